/*
 * px_cfg.c - configuration sources outside the file, POSIX side.
 *
 * POSIX has nothing like OpenVMS system logical names that only a
 * privileged administrator can set (environment variables are chosen by
 * whoever starts the process), so the configuration file is the only
 * source and pl_cfg_override always answers PL_ENOENT.
 * Limits: none.  Privilege: none.
 */
#include "px_int.h"

/* Where the default configuration lives; the build may pass
 * -DNEWMAIL_SYSCONFDIR=\"/usr/local/etc\". */
#ifndef NEWMAIL_SYSCONFDIR
#define NEWMAIL_SYSCONFDIR "/etc"
#endif

int pl_cfg_override(const char *key, char *buf, size_t n)
{
    (void)key;
    if (buf != NULL && n > 0)
        buf[0] = '\0';
    return PL_ENOENT;
}

const char *pl_cfg_default_file(void)
{
    return NEWMAIL_SYSCONFDIR "/newmail/newmail.conf";
}
