/*
 * sv_pop3.c - the POP3 rows of the service table: POP3 with STLS on the
 * pop3.listen addresses and POP3 over implicit TLS (RFC 8314) on the
 * pop3s.listen ones, both served by p3_session and both counted against
 * pop3.maximum_threads; and, for `newmail pop3d --inetd` only, the
 * identity of a process that may serve system accounts
 * (pop3.system_accounts, src/pop3/p3_native.c).
 *
 * Limits: those of sv.h and the keys named below.  The daemon never
 * serves native mailboxes: its threads share one identity, and only a
 * single-threaded process can become each user.
 * Privilege: daemon sessions run as service.user (popstore accounts
 * only).  Per-connection with pop3.system_accounts: started as root, the
 * process acts as service.user with root kept as its real and saved uid
 * until a login, then becomes the popstore's service.user or the system
 * account for good.
 */
#include "sv.h"
#include "p3.h"
#include "ut_log.h"

/* Set once, before the only session of a per-connection process. */
static int sv_pop3_native;

static int pop3_run(const sv_env *e, nt_conn *c);

int sv_pop3_inetd_identity(const cf_config *cfg, const sv_service *svc,
                           int *native, char *err, size_t errlen)
{
    const char *user = cf_str(cfg, "service.user");
    pl_privsave save;
    int rc;

    *native = 0;
    err[0] = '\0';
    if (svc->run != pop3_run || !cf_bool(cfg, "pop3.system_accounts"))
        return PL_OK;
    if (pl_priv_raise(PL_PRIV_IMPERS, &save) != PL_OK) {
        ut_log_warn("pop3.system_accounts: not started as root, so system "
                    "accounts cannot be served; popstore accounts only");
        return PL_OK;
    }
    (void)pl_priv_restore(&save);
    if (user[0] != '\0') {
        rc = pl_assume_service(user);
        if (rc != PL_OK) {
            char nat[128];
            pl_last_native(nat, sizeof nat);
            ut_log_format(err, errlen, "cannot act as service.user %s: "
                          "%s (%s)", user, pl_strerror(rc), nat);
            return rc;
        }
    }
    sv_pop3_native = 1;
    *native = 1;
    return PL_OK;
}

static int pop3_run(const sv_env *e, nt_conn *c)
{
    p3_env p;
    p3_tally t = { 0, 0, 0 };
    int rc;

    p.native = sv_pop3_native;
    p.cfg = e->cfg;
    p.store = e->store;
    p.db = e->db;
    p.tls = e->tls;
    p.hostname = e->hostname;
    p.implicit_tls = e->implicit_tls;
    p.tally = &t;
    rc = p3_session(&p, c);
    if (e->tally != NULL) {
        e->tally->messages = t.retrieved;
        e->tally->octets = t.octets;
        e->tally->other = t.deleted;
    }
    return rc;
}

/* RFC 2449 8: [SYS/TEMP] tells the client to try again later; a client
 * over the limit gets it instead of a greeting. */
#define POP3_BUSY "-ERR [SYS/TEMP] too many sessions, try again later\r\n"

#define P3_TALLY "retrieved deleted"

static const sv_service pop3_services[] = {
    { "pop3", "pop3.listen", "pop3.maximum_threads",
      "pop3.maximum_per_source", "pop3.tls_handshake_timeout",
      0, POP3_BUSY, pop3_run, P3_TALLY },
    /* Implicit TLS: a refusal cannot be read before the handshake, so an
     * over-limit POP3S client is closed without a word (and logged). */
    { "pop3s", "pop3s.listen", "pop3.maximum_threads",
      "pop3.maximum_per_source", "pop3.tls_handshake_timeout",
      1, NULL, pop3_run, P3_TALLY }
};

const sv_service *sv_pop3_services(int *n)
{
    *n = (int)(sizeof pop3_services / sizeof pop3_services[0]);
    return pop3_services;
}
