/*
 * vms_user.c - system accounts on OpenVMS: lookup in SYSUAF and password
 * verification.
 * Services: $ACMW (non-dialogue AUTHENTICATE_PRINCIPAL with logon type
 * ACME$K_NETWORK), which applies the site's authentication policy,
 * intrusion detection, auditing and expiry; when the ACM call itself
 * cannot be made (no ACME server, no privilege), $GETUAI +
 * $HASH_PASSWORD: the password is upper-cased only when the account lacks
 * UAI$M_PWDMIX, the 8-byte hashes are compared in constant time, DISACNT
 * and expiry are checked, and every copy of the password is wiped.
 * Limits: user names of 1..12 characters A-Z 0-9 _ $ (lower case is folded,
 * as LOGINOUT does); passwords of at most 64 characters (the V9.2 maximum;
 * 32 before).  The fallback does not report failures to intrusion detection
 * ($SCAN_INTRUSION), does not apply UAI network-access hours, and refuses
 * accounts with a secondary password (one password cannot satisfy them).
 * Privilege: SYSPRV, enabled (when authorized and not already held) only
 * around $GETUAI and $ACMW, and restored at once.
 */
#include <string.h>

#include <starlet.h>
#include <descrip.h>
#include <gen64def.h>
#include <iledef.h>
#include <uaidef.h>
#include <acmedef.h>
#include <prvdef.h>
#include <ssdef.h>
#include <rms.h>

#include "vms_int.h"

#define VMS_USER_MAX 12   /* SYSUAF user names */
#define VMS_PWD_MAX  64   /* longest SYSUAF password (OpenVMS V9.2) */

static const unsigned int vms_sysprv[1] = { PRV$V_SYSPRV };

/* What $GETUAI tells us about an account. */
struct vms_uaf {
    unsigned int uic;
    unsigned int flags;
    unsigned char encrypt;
    unsigned short salt;
    pl_u64 pwd, pwd2;
    pl_u64 expiration, pwd_date;
    pl_i64 pwd_lifetime;   /* a negative delta time, 0 = never */
};

/* Wipe n bytes so the compiler cannot drop the stores (the buffer is
 * reached through a volatile pointer). */
static void vms_wipe(void *p, size_t n)
{
    volatile unsigned char *v = (volatile unsigned char *)p;

    while (n-- > 0)
        *v++ = 0;
}

/* Check and upper-case a user name into out[VMS_USER_MAX + 1]. */
static int vms_user_name(const char *name, char *out)
{
    size_t i, n;

    if (name == NULL)
        return PL_EINVAL;
    n = strlen(name);
    if (n == 0 || n > VMS_USER_MAX)
        return PL_EINVAL;
    for (i = 0; i < n; i++) {
        char c = name[i];

        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '$'))
            return PL_EINVAL;
        out[i] = c;
    }
    out[n] = '\0';
    return PL_OK;
}

/* Fill an item list entry. */
static void vms_item(ILE3 *it, unsigned short code, void *buf,
                     unsigned short len)
{
    it->ile3$w_length = len;
    it->ile3$w_code = code;
    it->ile3$ps_bufaddr = buf;
    it->ile3$ps_retlen_addr = NULL;
}

/* Read the account with SYSPRV enabled only around $GETUAI. */
static int vms_getuai(const char *user, struct vms_uaf *u)
{
    ILE3 items[11];
    struct dsc$descriptor_s d;
    pl_u32 added[2];
    unsigned int s;
    int rc;

    memset(u, 0, sizeof *u);
    vms_item(&items[0], UAI$_UIC, &u->uic, sizeof u->uic);
    vms_item(&items[1], UAI$_FLAGS, &u->flags, sizeof u->flags);
    vms_item(&items[2], UAI$_ENCRYPT, &u->encrypt, sizeof u->encrypt);
    vms_item(&items[3], UAI$_SALT, &u->salt, sizeof u->salt);
    vms_item(&items[4], UAI$_PWD, &u->pwd, sizeof u->pwd);
    vms_item(&items[5], UAI$_PWD2, &u->pwd2, sizeof u->pwd2);
    vms_item(&items[6], UAI$_EXPIRATION, &u->expiration,
             sizeof u->expiration);
    vms_item(&items[7], UAI$_PWD_DATE, &u->pwd_date, sizeof u->pwd_date);
    vms_item(&items[8], UAI$_PWD_LIFETIME, &u->pwd_lifetime,
             sizeof u->pwd_lifetime);
    memset(&items[9], 0, sizeof items[9]);
    vms_desc(&d, user, strlen(user));
    rc = vms_priv_add(vms_sysprv, 1, added);
    if (rc != PL_OK)
        return rc;
    s = sys$getuai(0, NULL, &d, items, NULL, NULL, 0);
    vms_priv_drop(added);
    if (!(s & 1))
        return vms_fail(s);   /* RMS$_RNF for an unknown user: PL_ENOENT */
    return PL_OK;
}

/* Is the account or its password expired now? */
static int vms_expired(const struct vms_uaf *u)
{
    struct _generic_64 g;
    pl_u64 now;

    if (!(sys$gettim(&g) & 1))
        return 0;
    memcpy(&now, &g, sizeof now);
    if (u->expiration != 0 && u->expiration <= now)
        return 1;
    if (u->flags & UAI$M_PWD_EXPIRED)
        return 1;
    if (u->pwd_lifetime != 0) {
        /* A pre-expired password has the date -1 ("set on next login"). */
        if (u->pwd_date == ~(pl_u64)0)
            return 1;
        /* Lifetime is a negative delta: expiry = date - lifetime. */
        if (u->pwd_date + (pl_u64)(-u->pwd_lifetime) <= now)
            return 1;
    }
    return 0;
}

int pl_user_lookup(const char *name, pl_user *out)
{
    char user[VMS_USER_MAX + 1];
    struct vms_uaf u;
    int rc;

    if (out == NULL)
        return PL_EINVAL;
    rc = vms_user_name(name, user);
    if (rc != PL_OK)
        return rc;
    rc = vms_getuai(user, &u);
    if (rc != PL_OK) {
        vms_wipe(&u, sizeof u);
        return rc;
    }
    memset(out, 0, sizeof *out);
    strcpy(out->name, user);
    out->id = u.uic;
    out->group = u.uic >> 16;           /* [group,member] */
    if (u.flags & UAI$M_DISACNT)
        out->flags |= PL_USER_DISABLED;
    if (vms_expired(&u))
        out->flags |= PL_USER_EXPIRED;
    if (u.flags & UAI$M_DISMAIL)
        out->flags |= PL_USER_NOMAIL;
    vms_wipe(&u, sizeof u);             /* holds the password hashes */
    return PL_OK;
}

/* $ACMW non-dialogue network logon.  Returns PL_OK with *granted set when
 * the ACM server answered; an error when the call could not be made, so
 * the caller falls back to $GETUAI. */
static int vms_acm_verify(const char *user, const char *pwd, size_t plen,
                          int *granted)
{
    ILE3 items[4];
    ACMESB sb;
    unsigned int logon_type = ACME$K_NETWORK, s;
    pl_u32 added[2];
    int rc;

    *granted = 0;
    vms_item(&items[0], ACME$_PRINCIPAL_NAME_IN, (void *)user,
             (unsigned short)strlen(user));
    vms_item(&items[1], ACME$_PASSWORD_1, (void *)pwd,
             (unsigned short)plen);
    vms_item(&items[2], ACME$_LOGON_TYPE, &logon_type, sizeof logon_type);
    memset(&items[3], 0, sizeof items[3]);
    memset(&sb, 0, sizeof sb);
    rc = vms_priv_add(vms_sysprv, 1, added);
    if (rc != PL_OK)
        return rc;
    /* context 0: a single non-dialogue request. */
    s = sys$acmw(0, ACME$_FC_AUTHENTICATE_PRINCIPAL, NULL, items, &sb,
                 NULL, 0);
    vms_priv_drop(added);
    vms_wipe(items, sizeof items);
    if (!(s & 1))
        return vms_fail(s);
    if (!(sb.acmesb$l_status & 1)) {
        (void)vms_fail(sb.acmesb$l_status);
        return PL_OK;
    }
    *granted = 1;
    return PL_OK;
}

/* Constant-time equality of two 8-byte hashes. */
static int vms_hash_eq(const void *a, const void *b)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;
    unsigned int diff = 0;
    int i;

    for (i = 0; i < 8; i++)
        diff |= (unsigned int)(x[i] ^ y[i]);
    return diff == 0;
}

/* $GETUAI + $HASH_PASSWORD check.  *match is set when the password is
 * right; u is filled for the flag checks (zeroed for unknown users). */
static int vms_uaf_verify(const char *user, const char *password,
                          size_t plen, struct vms_uaf *u, int *match)
{
    char pwd[VMS_PWD_MAX + 1];
    struct dsc$descriptor_s pd, ud;
    struct _generic_64 hash;
    size_t i;
    unsigned int s;
    int rc, known;

    *match = 0;
    rc = vms_getuai(user, u);
    if (rc != PL_OK && rc != PL_ENOENT)
        return rc;
    known = rc == PL_OK;
    memcpy(pwd, password, plen);
    pwd[plen] = '\0';
    /* Without PWDMIX, SYSUAF passwords were upper-cased before hashing. */
    if (!known || !(u->flags & UAI$M_PWDMIX))
        for (i = 0; i < plen; i++)
            if (pwd[i] >= 'a' && pwd[i] <= 'z')
                pwd[i] = (char)(pwd[i] - 'a' + 'A');
    vms_desc(&pd, pwd, plen);
    vms_desc(&ud, user, strlen(user));
    /* An unknown user still costs one hash, so timing does not tell. */
    s = sys$hash_password(&pd, known ? u->encrypt : UAI$C_PURDY_S,
                          known ? u->salt : 0, &ud, &hash);
    vms_wipe(pwd, sizeof pwd);
    if (!(s & 1)) {
        vms_wipe(&hash, sizeof hash);
        return vms_fail(s);
    }
    if (known && u->pwd != 0 && u->pwd2 == 0 && vms_hash_eq(&hash, &u->pwd))
        *match = 1;
    vms_wipe(&hash, sizeof hash);
    return PL_OK;
}

int pl_user_verify(const char *name, const char *password,
                   const char *service, const char *peer, int *result)
{
    char user[VMS_USER_MAX + 1];
    struct vms_uaf u;
    size_t plen;
    int rc, ok = 0;

    (void)peer;      /* intrusion records come from the ACME itself */
    if (result == NULL)
        return PL_EINVAL;
    *result = PL_AUTH_BAD;
    /* $ACM has no PAM-style service name (the logon type is NETWORK); it
     * is still required, as on POSIX. */
    if (password == NULL || service == NULL || service[0] == '\0')
        return PL_EINVAL;
    if (vms_user_name(name, user) != PL_OK)
        return PL_OK;                    /* one answer for every failure */
    plen = strlen(password);
    if (plen == 0 || plen > VMS_PWD_MAX)
        return PL_OK;

    rc = vms_acm_verify(user, password, plen, &ok);
    if (rc == PL_OK) {
        memset(&u, 0, sizeof u);
        if (!ok) {
            /* Say LOCKED or EXPIRED only for a real, refused account; the
             * ACM status itself is kept for pl_last_native(). */
            if (vms_getuai(user, &u) == PL_OK) {
                if (u.flags & UAI$M_DISACNT)
                    *result = PL_AUTH_LOCKED;
                else if (vms_expired(&u))
                    *result = PL_AUTH_EXPIRED;
            }
            vms_wipe(&u, sizeof u);
            return PL_OK;
        }
        *result = PL_AUTH_OK;
        return PL_OK;
    }

    rc = vms_uaf_verify(user, password, plen, &u, &ok);
    if (rc != PL_OK) {
        vms_wipe(&u, sizeof u);
        return rc;
    }
    if (ok) {
        if (u.flags & UAI$M_DISACNT)
            *result = PL_AUTH_LOCKED;
        else if (vms_expired(&u))
            *result = PL_AUTH_EXPIRED;
        else
            *result = PL_AUTH_OK;
    }
    vms_wipe(&u, sizeof u);
    return PL_OK;
}
