/*
 * vms_cfg.c - configuration overrides from system logical names, the
 * default configuration file spec, and the logical name translation helper
 * the rest of the layer uses.
 * Services: $TRNLNM.  pl_cfg_override reads LNM$SYSTEM_TABLE with access
 * mode PSL$C_EXEC, so only names an administrator defined /SYSTEM/EXEC_MODE
 * count: a user's process, job or group logical, or a supervisor/user-mode
 * system logical, cannot steer the server.
 * Limits: one equivalence string (index 0) of at most 255 characters;
 * keys of lower-case letters, digits, '_' and '.', mapped to
 * NEWMAIL_<KEY> with '.' -> '_' and upper case, at most 31 characters of
 * key so the name stays readable in SHOW LOGICAL.
 * Privilege: none (translation needs no privilege).
 */
#include <string.h>
#include <ctype.h>

#include <starlet.h>
#include <descrip.h>
#include <iledef.h>
#include <lnmdef.h>
#include <psldef.h>
#include <ssdef.h>

#include "vms_int.h"

#define VMS_CFG_PREFIX "NEWMAIL_"
#define VMS_CFG_KEY_MAX 64   /* longest dotted key accepted */

int vms_trnlnm(const char *table, const char *name, unsigned char acmode,
               char *buf, size_t n)
{
    struct dsc$descriptor_s tab, lnm;
    ILE3 items[2];
    char value[LNM$C_NAMLENGTH + 1];
    unsigned short len = 0;
    unsigned int attr = LNM$M_CASE_BLIND;
    unsigned int s;

    if (table == NULL || name == NULL || buf == NULL || n == 0 ||
        strlen(name) > LNM$C_NAMLENGTH)
        return PL_EINVAL;
    vms_desc(&tab, table, strlen(table));
    vms_desc(&lnm, name, strlen(name));
    items[0].ile3$w_length = (unsigned short)(sizeof value - 1);
    items[0].ile3$w_code = LNM$_STRING;
    items[0].ile3$ps_bufaddr = value;
    items[0].ile3$ps_retlen_addr = &len;
    memset(&items[1], 0, sizeof items[1]);   /* terminator */
    s = sys$trnlnm(&attr, &tab, &lnm, &acmode, items);
    if (s == SS$_NOLOGNAM) {
        (void)vms_fail(s);
        return PL_ENOENT;
    }
    if (!(s & 1))
        return vms_fail(s);
    if ((size_t)len + 1 > n) {
        memset(value, 0, sizeof value);
        return PL_ERANGE;
    }
    memcpy(buf, value, len);
    buf[len] = '\0';
    return PL_OK;
}

int pl_cfg_override(const char *key, char *buf, size_t n)
{
    char name[sizeof VMS_CFG_PREFIX + VMS_CFG_KEY_MAX];
    size_t i, kl, pl = strlen(VMS_CFG_PREFIX);

    if (key == NULL || buf == NULL || n == 0)
        return PL_EINVAL;
    kl = strlen(key);
    if (kl == 0 || kl > VMS_CFG_KEY_MAX)
        return PL_EINVAL;
    memcpy(name, VMS_CFG_PREFIX, pl);
    for (i = 0; i < kl; i++) {
        unsigned char c = (unsigned char)key[i];

        if (c == '.')
            c = '_';
        else if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        else if (!((c >= '0' && c <= '9') || c == '_'))
            return PL_EINVAL;   /* keys are dotted lower-case words */
        name[pl + i] = (char)c;
    }
    name[pl + kl] = '\0';
    return vms_trnlnm("LNM$SYSTEM_TABLE", name, PSL$C_EXEC, buf, n);
}

const char *pl_cfg_default_file(void)
{
    /* NEWMAIL_ROOT is a concealed device logical that the startup
     * procedure defines /SYSTEM/EXEC; [000000] is its top directory. */
    return "NEWMAIL_ROOT:[000000]NEWMAIL.CONF";
}
