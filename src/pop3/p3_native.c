/*
 * p3_native.c - system accounts in per-connection mode, in the PMDF
 * "legacy" order: a popstore account first, then a system account (PAM
 * service pop3.pam_service on POSIX, SYSUAF on OpenVMS) whose own native
 * mailbox is served (p3_mbox.c, pl_nmb).
 *
 * Only USER/PASS reaches system accounts (their password must be given in
 * clear to PAM or $ACM); APOP and AUTH stay popstore-only.  A system
 * account is tried only when no popstore account has the name, so a
 * popstore account always wins.  Before a login the process acts as the
 * service account with the means to change identity kept
 * (pl_assume_service, set up by sv_pop3.c); a popstore login makes the
 * service account final (pl_become_service), a system login becomes the
 * user for good (pl_become_user) before the mailbox is opened.  After
 * either switch a failure closes the connection: the process can no
 * longer serve anyone else.
 * Disclosure: a wrong password and an unknown user take the caller's
 * one failure path; DISUSER, expiry and DISMAIL are told only after the
 * right password, with the codes of p3_auth.c.
 * Privilege: PL_PRIV_READUAF is raised around the password check and
 * the account lookup only.
 */
#include <string.h>
#include "p3_int.h"
#include "ut_str.h"
#include "ut_log.h"

int p3_native_exists(const char *user)
{
    pl_user u;

    return pl_user_lookup(user, &u) == PL_OK;
}

int p3_native_check(p3_sess *s, const char *user, const char *pw,
                    pl_user *u)
{
    au_account a;
    pl_privsave sv;
    int raised, rc, result = PL_AUTH_BAD;

    if (!s->env->native)
        return P3_NAT_NONE;
    /* Legacy order: a popstore account by this name is never shadowed. */
    rc = au_db_get_addr(s->env->db, user, strlen(user), &a);
    au_account_wipe(&a);
    if (rc != PL_ENOENT && rc != PL_EINVAL)
        return P3_NAT_NONE;
    raised = pl_priv_raise(PL_PRIV_READUAF, &sv) == PL_OK;
    rc = pl_user_verify(user, pw, cf_str(s->env->cfg, "pop3.pam_service"),
                        nt_conn_peer(s->c), &result);
    if (rc == PL_OK && result != PL_AUTH_BAD)
        rc = pl_user_lookup(user, u);
    if (raised)
        (void)pl_priv_restore(&sv);
    if (rc != PL_OK) {
        char nat[128];
        pl_last_native(nat, sizeof nat);
        ut_log(PL_LOG_ERROR, PL_LOGCAT_AUTH, "pop3 %s system account "
               "check failed: %s (%s)", nt_conn_peer(s->c),
               pl_strerror(rc), nat);
        return P3_NAT_ERROR;
    }
    if (result == PL_AUTH_BAD)
        return P3_NAT_NONE;
    if (result == PL_AUTH_LOCKED || (u->flags & PL_USER_DISABLED) != 0)
        return P3_NAT_DISABLED;
    if (result == PL_AUTH_EXPIRED || (u->flags & PL_USER_EXPIRED) != 0)
        return P3_NAT_EXPIRED;
    if ((u->flags & PL_USER_NOMAIL) != 0)
        return P3_NAT_NOMAIL;
    return P3_NAT_OK;
}

int p3_native_open(p3_sess *s, const pl_user *u)
{
    pl_u32 count = 0;
    int rc;

    rc = pl_become_user(u);
    if (rc != PL_OK) {
        char nat[128];
        pl_last_native(nat, sizeof nat);
        ut_log(PL_LOG_ERROR, PL_LOGCAT_AUTH, "pop3 %s cannot become "
               "system account %s: %s (%s)", nt_conn_peer(s->c), u->name,
               pl_strerror(rc), nat);
        s->result = "identity change failed";
        return p3_reply(s, "-ERR [SYS/TEMP] Mailbox unavailable, try "
                        "again later") == PL_OK ? P3_R_CLOSE : PL_EIO;
    }
    ut_strlcpy(s->addr, u->name, sizeof s->addr);
    s->mech = "USER";
    rc = p3_box_native(s, u, &count);
    rc = p3_trans_enter(s, rc, count);
    if (rc == P3_R_OK && s->state != P3_S_TRANS) {
        /* this process is the user now: it serves no one else */
        s->result = "native mailbox unavailable";
        s->addr[0] = '\0';
        s->mech = NULL;
        return P3_R_CLOSE;
    }
    return rc;
}

int p3_native_popstore(p3_sess *s)
{
    const char *svc = cf_str(s->env->cfg, "service.user");
    int rc;

    if (!s->env->native || svc[0] == '\0')
        return PL_OK;
    rc = pl_become_service(svc);
    if (rc != PL_OK) {
        char nat[128];
        pl_last_native(nat, sizeof nat);
        ut_log(PL_LOG_ERROR, PL_LOGCAT_MAIL, "pop3 %s cannot become "
               "service.user %s: %s (%s)", nt_conn_peer(s->c), svc,
               pl_strerror(rc), nat);
    }
    return rc;
}
