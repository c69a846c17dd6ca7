/*
 * vms_prog.c - who and what this program is on OpenVMS: the name the
 * image was started under (for the sendmail and mailq personalities,
 * reached through foreign commands) and the account that runs it (for
 * `newmail sendmail`).
 * Services: $GETJPIW (JPI$_USERNAME, JPI$_UIC) for the process's own
 * user name and UIC.
 * Limits: program names up to the caller's buffer.
 * Privilege: none ($GETJPI on the calling process needs none).
 */
#include <stdio.h>
#include <string.h>

#include <starlet.h>
#include <iledef.h>
#include <iosbdef.h>
#include <jpidef.h>

#include "vms_int.h"

#define VMS_JPI_USER_LEN 12   /* JPI$_USERNAME: 12 bytes, blank padded */

/* The name part of a file spec: after the device (:), the directory
 * ([...] or <...>) or a POSIX-style directory (/). */
static const char *vms_prog_base(const char *s)
{
    const char *base = s, *p;

    for (p = s; *p != '\0'; p++) {
        if (*p == ':' || *p == ']' || *p == '>' || *p == '/')
            base = p + 1;
    }
    return base;
}

int pl_prog_name(const char *argv0, char *buf, size_t n)
{
    const char *base;
    size_t len, i;

    if (buf == NULL || n == 0)
        return PL_EINVAL;
    buf[0] = '\0';
    if (argv0 == NULL)
        return PL_EINVAL;
    base = vms_prog_base(argv0);
    /* The version (;3) and the type (.EXE, after the last dot on ODS-5)
     * are not part of the name. */
    for (len = 0; base[len] != '\0' && base[len] != ';'; len++)
        ;
    for (i = len; i > 0; i--) {
        if (base[i - 1] == '.') {
            len = i - 1;
            break;
        }
    }
    if (len == 0)
        return PL_EINVAL;
    if (len >= n)
        return PL_ERANGE;
    for (i = 0; i < len; i++) {
        int c = (unsigned char)base[i];

        buf[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    buf[len] = '\0';
    return PL_OK;
}

int pl_user_self(pl_user *out, char *label, size_t n)
{
    char user[VMS_JPI_USER_LEN + 1];
    unsigned short ulen = 0;
    unsigned int uic = 0, s;
    struct _iosb iosb;
    ILE3 items[3];
    size_t len;

    if (out == NULL || label == NULL || n < 32)
        return PL_EINVAL;
    memset(out, 0, sizeof *out);
    memset(items, 0, sizeof items);
    items[0].ile3$w_length = VMS_JPI_USER_LEN;
    items[0].ile3$w_code = JPI$_USERNAME;
    items[0].ile3$ps_bufaddr = user;
    items[0].ile3$ps_retlen_addr = &ulen;
    items[1].ile3$w_length = (unsigned short)sizeof uic;
    items[1].ile3$w_code = JPI$_UIC;
    items[1].ile3$ps_bufaddr = &uic;
    items[1].ile3$ps_retlen_addr = NULL;
    s = sys$getjpiw(0, NULL, NULL, items, &iosb, NULL, 0);
    if (s & 1)
        s = iosb.iosb$w_status;
    if (!(s & 1))
        return vms_fail(s);
    len = ulen <= VMS_JPI_USER_LEN ? ulen : VMS_JPI_USER_LEN;
    while (len > 0 && user[len - 1] == ' ')
        len--;
    user[len] = '\0';
    out->id = (pl_u32)uic;
    out->group = (pl_u32)(uic >> 16);
    (void)snprintf(label, n, "user %s", len > 0 ? user : "?");
    if (len == 0)
        return PL_ENOENT;
    memcpy(out->name, user, len + 1);
    return PL_OK;
}
