/*
 * pl_common.c - the pure-C part of the platform contract shared by the
 * POSIX and OpenVMS layers: status texts and the simple-name check.
 *
 * pl_name_check is the gate between client-chosen text and file names: it
 * accepts only ODS-2-valid names built from A-Z 0-9 _ (one optional '.'
 * type), so the same name is valid and means the same file on both
 * systems.  Characters are compared by value, never through <ctype.h>, so
 * the locale cannot widen the set.
 * Limits: PL_NAME_MAX / PL_TYPE_MAX characters.  Privilege: none.
 */
#include <stddef.h>

#include "pl.h"

static const char *const pl_err_text[] = {
    "success",                          /* PL_OK */
    "failure",                          /* PL_ERR */
    "no such file, user or record",     /* PL_ENOENT */
    "file exists",                      /* PL_EEXIST */
    "permission denied",                /* PL_EACCES */
    "invalid argument",                 /* PL_EINVAL */
    "out of memory",                    /* PL_ENOMEM */
    "disk full or quota exceeded",      /* PL_ENOSPC */
    "I/O error",                        /* PL_EIO */
    "timed out",                        /* PL_ETIMEDOUT */
    "resource busy, try again",         /* PL_EAGAIN */
    "end of file",                      /* PL_EOF */
    "connection refused",               /* PL_ECONNREFUSED */
    "connection reset",                 /* PL_ECONNRESET */
    "interrupted by shutdown",          /* PL_EINTR */
    "not supported",                    /* PL_ENOTSUP */
    "directory not empty",              /* PL_ENOTEMPTY */
    "result too large for buffer",      /* PL_ERANGE */
    "not a directory",                  /* PL_ENOTDIR */
    "address already in use",           /* PL_EADDRINUSE */
    "host name does not resolve",       /* PL_EHOST */
    "symbolic link not allowed",        /* PL_ELOOP */
    "rename across devices"             /* PL_EXDEV */
};

const char *pl_strerror(int status)
{
    int i = -status;

    if (status > 0 || status < PL_E_LAST)
        return "unknown status";
    if ((size_t)i >= sizeof pl_err_text / sizeof pl_err_text[0])
        return "unknown status";
    return pl_err_text[i];
}

/* One name character: A-Z 0-9 _ (by value; ASCII on both systems). */
static int pl_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

int pl_name_check(const char *name, int flags)
{
    size_t base = 0, type = 0;
    int dot = 0;
    const char *p;

    if (name == NULL)
        return PL_EINVAL;
    for (p = name; *p != '\0'; p++) {
        if (*p == '.') {
            if (dot || !(flags & PL_NAME_TYPE_OK) || base == 0)
                return PL_EINVAL;
            dot = 1;
        } else if (pl_name_char(*p)) {
            if (dot) {
                if (++type > PL_TYPE_MAX)
                    return PL_EINVAL;
            } else {
                if (++base > PL_NAME_MAX)
                    return PL_EINVAL;
            }
        } else {
            return PL_EINVAL;
        }
    }
    if (base == 0 || (dot && type == 0))
        return PL_EINVAL;
    return PL_OK;
}
