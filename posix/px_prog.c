/*
 * px_prog.c - who and what this program is on POSIX: the name it was
 * started under (for the sendmail and mailq personalities) and the
 * account that runs it (for `newmail sendmail`).
 *
 * Limits: program names up to the caller's buffer; account names as
 * pl_user.name holds them.
 * Privilege: none; reads the password database with the caller's rights.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "px_int.h"

#define PX_PROG_PW_BUF_MAX (1024 * 1024)   /* as px_user.c */

int pl_prog_name(const char *argv0, char *buf, size_t n)
{
    const char *base, *dot;
    size_t len, i;

    if (buf == NULL || n == 0)
        return PL_EINVAL;
    buf[0] = '\0';
    if (argv0 == NULL)
        return PL_EINVAL;
    base = strrchr(argv0, '/');
    base = base != NULL ? base + 1 : argv0;
    len = strlen(base);
    /* The contract's "type": a last ".ext" ("sendmail.newmail" is the
     * sendmail personality); a leading dot is part of the name. */
    dot = strrchr(base, '.');
    if (dot != NULL && dot != base)
        len = (size_t)(dot - base);
    if (len == 0)
        return PL_EINVAL;
    if (len >= n)
        return PL_ERANGE;
    /* Locale-free lower case: "SENDMAIL" on a case-folding file system
     * is the same personality. */
    for (i = 0; i < len; i++) {
        int c = (unsigned char)base[i];

        buf[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    buf[len] = '\0';
    return PL_OK;
}

int pl_user_self(pl_user *out, char *label, size_t n)
{
    struct passwd pw, *res = NULL;
    uid_t uid = getuid();
    char *buf = NULL;
    size_t size = 4096;
    int rc;

    if (out == NULL || label == NULL || n < 32)
        return PL_EINVAL;
    memset(out, 0, sizeof *out);
    out->id = (pl_u32)uid;
    out->group = (pl_u32)getgid();
    (void)snprintf(label, n, "uid %lu", (unsigned long)uid);
    for (;;) {
        buf = (char *)malloc(size);
        if (buf == NULL)
            return px_fail(ENOMEM);
        rc = getpwuid_r(uid, &pw, buf, size, &res);
        if (rc != ERANGE || size >= PX_PROG_PW_BUF_MAX)
            break;
        free(buf);
        size *= 2;
    }
    if (rc != 0 || res == NULL) {
        free(buf);
        (void)px_fail(rc != 0 ? rc : ENOENT);
        return PL_ENOENT;
    }
    if (strlen(pw.pw_name) >= sizeof out->name) {
        free(buf);
        return PL_ERANGE;
    }
    strcpy(out->name, pw.pw_name);
    free(buf);
    return PL_OK;
}
