/*
 * vms_priv.c - privilege and identity on OpenVMS.
 * Services: $SETPRV with the prvprv argument (what was enabled before), so
 * that a raise is undone by disabling only what was not already held;
 * $PERSONA_CREATE (five-argument form) and $PERSONA_ASSUME (four-argument
 * form) for the one-way switch to a user; getlogin() for the current
 * account name.
 * Limits: pl_privsave records the privileges this layer enabled (opaque to
 * the caller).  pl_become_user refuses (PL_EACCES) an account that can still
 * enable IMPERSONATE afterwards, because then the switch could be undone.
 * pl_become_service cannot change accounts on OpenVMS: the account is the
 * one TCPIP SET SERVICE /USER or RUN/DETACH chose; it only drops privileges.
 * Privilege: pl_priv_raise needs the privileges authorized (SYSPRV for
 * READUAF, IMPERSONATE for IMPERS, BYPASS); pl_become_user raises
 * IMPERSONATE just around $PERSONA_CREATE/$PERSONA_ASSUME.
 */
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <starlet.h>
#include <descrip.h>
#include <gen64def.h>
#include <prvdef.h>
#include <impdef.h>
#include <psldef.h>
#include <ssdef.h>

#include "vms_int.h"

/* Build the 64-bit mask of privilege bit numbers. */
static void vms_priv_mask(const unsigned int *bits, int nbits,
                          pl_u32 mask[2])
{
    int i;

    mask[0] = mask[1] = 0;
    for (i = 0; i < nbits; i++)
        mask[bits[i] / 32] |= (pl_u32)1 << (bits[i] % 32);
}

int vms_priv_add(const unsigned int *bits, int nbits, pl_u32 added[2])
{
    pl_u32 want[2], prev[2];
    struct _generic_64 w, p;
    unsigned int s;

    added[0] = added[1] = 0;
    vms_priv_mask(bits, nbits, want);
    memcpy(&w, want, sizeof w);
    memset(&p, 0, sizeof p);
    s = sys$setprv(1, &w, 0, &p);
    if (!(s & 1))
        return vms_fail(s);
    memcpy(prev, &p, sizeof prev);
    added[0] = want[0] & ~prev[0];
    added[1] = want[1] & ~prev[1];
    if (s == SS$_NOTALLPRIV) {
        /* A success status, but some were not authorized: undo the part
         * that did go on. */
        vms_priv_drop(added);
        added[0] = added[1] = 0;
        (void)vms_fail(SS$_NOPRIV);
        return PL_EACCES;
    }
    return PL_OK;
}

void vms_priv_drop(const pl_u32 added[2])
{
    struct _generic_64 m;

    if (added[0] == 0 && added[1] == 0)
        return;
    memcpy(&m, added, sizeof m);
    (void)sys$setprv(0, &m, 0, NULL);
}

int pl_priv_raise(int which, pl_privsave *saved)
{
    unsigned int bits[3];
    int n = 0, rc;

    if (saved == NULL || which == 0 ||
        (which & ~(PL_PRIV_READUAF | PL_PRIV_IMPERS | PL_PRIV_BYPASS)))
        return PL_EINVAL;
    if (which & PL_PRIV_READUAF)
        bits[n++] = PRV$V_SYSPRV;
    if (which & PL_PRIV_IMPERS)
        bits[n++] = PRV$V_IMPERSONATE;
    if (which & PL_PRIV_BYPASS)
        bits[n++] = PRV$V_BYPASS;
    rc = vms_priv_add(bits, n, saved->held);
    return rc;
}

int pl_priv_restore(const pl_privsave *saved)
{
    if (saved == NULL)
        return PL_EINVAL;
    vms_priv_drop(saved->held);
    return PL_OK;
}

int pl_become_user(const pl_user *u)
{
    static const unsigned int impers[1] = { PRV$V_IMPERSONATE };
    struct dsc$descriptor_s d;
    unsigned int persona = 0, s;
    pl_u32 added[2];
    int rc;

    if (u == NULL || u->name[0] == '\0' ||
        strlen(u->name) >= sizeof u->name)
        return PL_EINVAL;
    rc = vms_priv_add(impers, 1, added);
    if (rc != PL_OK)
        return rc;
    vms_desc(&d, u->name, strlen(u->name));
    /* DEFPRIV: the persona's authorized privileges are only its default
     * ones, so authorized-but-not-default privileges never come along. */
    s = sys$persona_create(&persona, &d, IMP$M_ASSUME_DEFPRIV, NULL, NULL);
    if (!(s & 1)) {
        vms_priv_drop(added);
        return vms_fail(s);
    }
    s = sys$persona_assume(&persona,
                           IMP$M_ASSUME_SECURITY | IMP$M_ASSUME_ACCOUNT |
                           IMP$M_ASSUME_JOB_WIDE, NULL, PSL$C_USER);
    if (!(s & 1)) {
        vms_priv_drop(added);
        return vms_fail(s);
    }
    /* The service's privileges went with its persona; prove that the new
     * identity cannot take IMPERSONATE again (which would let it switch
     * back). */
    rc = vms_priv_add(impers, 1, added);
    if (rc == PL_OK) {
        vms_priv_drop(added);
        (void)vms_fail(SS$_NOPRIV);
        return PL_EACCES;
    }
    return PL_OK;
}

int pl_become_service(const char *name)
{
    /* The working set of a service: network and temporary mailboxes.  The
     * rest are disabled both for the image and permanently; what is
     * authorized stays authorized, so pl_priv_raise can still enable SYSPRV
     * or IMPERSONATE around a single call. */
    pl_u32 drop[2];
    struct _generic_64 m;
    const char *me;
    unsigned int s;

    if (name == NULL || *name == '\0')
        return PL_EINVAL;
    me = getlogin();
    if (me == NULL || strcasecmp(me, name) != 0)
        return PL_ENOTSUP;   /* see Limits: the account is chosen outside */
    drop[0] = ~(((pl_u32)1 << PRV$V_NETMBX) | ((pl_u32)1 << PRV$V_TMPMBX));
    drop[1] = ~(pl_u32)0;
    memcpy(&m, drop, sizeof m);
    s = sys$setprv(0, &m, 1, NULL);
    if (s & 1)
        s = sys$setprv(0, &m, 0, NULL);
    if (!(s & 1))
        return vms_fail(s);
    return PL_OK;
}

int pl_assume_service(const char *name)
{
    /* pl_become_service already keeps the authorized privileges, so the
     * later pl_priv_raise (SYSPRV for $ACM/$GETUAI) and pl_become_user
     * (IMPERSONATE) still work: on OpenVMS "for now" and "for good" are
     * the same step. */
    return pl_become_service(name);
}
