/*
 * sv_pop3.c - the POP3 rows of the service table: POP3 with STLS on the
 * pop3.listen addresses and POP3 over implicit TLS (RFC 8314) on the
 * pop3s.listen ones, both served by p3_session and both counted against
 * pop3.maximum_threads.
 *
 * Limits: those of sv.h and the keys named below.
 * Privilege: the sessions run as service.user (popstore accounts only).
 */
#include "sv.h"
#include "p3.h"

static int pop3_run(const sv_env *e, nt_conn *c)
{
    p3_env p;

    p.cfg = e->cfg;
    p.store = e->store;
    p.db = e->db;
    p.tls = e->tls;
    p.hostname = e->hostname;
    p.implicit_tls = e->implicit_tls;
    return p3_session(&p, c);
}

/* RFC 2449 8: [SYS/TEMP] tells the client to try again later; a client
 * over the limit gets it instead of a greeting. */
#define POP3_BUSY "-ERR [SYS/TEMP] too many sessions, try again later\r\n"

static const sv_service pop3_services[] = {
    { "pop3", "pop3.listen", "pop3.maximum_threads",
      "pop3.maximum_per_source", "pop3.tls_handshake_timeout",
      0, POP3_BUSY, pop3_run },
    /* Implicit TLS: a refusal cannot be read before the handshake, so an
     * over-limit POP3S client is closed without a word (and logged). */
    { "pop3s", "pop3s.listen", "pop3.maximum_threads",
      "pop3.maximum_per_source", "pop3.tls_handshake_timeout",
      1, NULL, pop3_run }
};

const sv_service *sv_pop3_services(int *n)
{
    *n = (int)(sizeof pop3_services / sizeof pop3_services[0]);
    return pop3_services;
}
