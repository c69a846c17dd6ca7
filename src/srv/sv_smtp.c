/*
 * sv_smtp.c - the SMTP rows of the service table: inbound SMTP (with
 * STARTTLS) on smtp.listen, submission on submission.listen (AUTH before
 * MAIL, RFC 6409), submission over implicit TLS on submissions.listen
 * (RFC 8314) and LMTP on lmtp.listen (RFC 2033), all served by sm_session
 * and counted together against smtp.maximum_threads.
 *
 * Limits: those of sv.h and the keys named below.
 * Privilege: the sessions run as service.user (local delivery into the
 * popstore; relay, remote aliases and forwarding into the outbound queue
 * when the daemon opened one, and aliases from its map).
 */
#include "sv.h"
#include "sm.h"

/* One runner per service: the table row carries no service number, so the
 * function is what tells sm_session which protocol it speaks. */
static int smtp_run_as(const sv_env *e, nt_conn *c, int service)
{
    sm_env s;
    sm_tally t = { 0, 0, 0 };
    int rc;

    s.cfg = e->cfg;
    s.store = e->store;
    s.db = e->db;
    s.pend = e->pend;
    s.tls = e->tls;
    s.hostname = e->hostname;
    s.service = service;
    s.implicit_tls = e->implicit_tls;
    s.queue = e->queue;
    s.aliases = e->aliases;
    s.tally = &t;
    rc = sm_session(&s, c);
    if (e->tally != NULL) {
        e->tally->messages = t.messages;
        e->tally->octets = t.octets;
        e->tally->other = t.recipients;
    }
    return rc;
}

static int smtp_run(const sv_env *e, nt_conn *c)
{
    return smtp_run_as(e, c, SM_SVC_SMTP);
}

static int submission_run(const sv_env *e, nt_conn *c)
{
    return smtp_run_as(e, c, e->implicit_tls ? SM_SVC_SUBMISSIONS
                                             : SM_SVC_SUBMISSION);
}

static int lmtp_run(const sv_env *e, nt_conn *c)
{
    return smtp_run_as(e, c, SM_SVC_LMTP);
}

/* RFC 5321 4.2.3: 421 closes the channel; a client over a limit gets it
 * instead of a greeting and retries later. */
#define SMTP_BUSY "421 4.3.2 too many sessions, try again later\r\n"

#define SM_TALLY "accepted recipients"

static const sv_service smtp_services[] = {
    { "smtp", "smtp.listen", "smtp.maximum_threads",
      "smtp.maximum_per_source", "smtp.tls_handshake_timeout",
      0, SMTP_BUSY, smtp_run, SM_TALLY },
    { "submission", "submission.listen", "smtp.maximum_threads",
      "smtp.maximum_per_source", "smtp.tls_handshake_timeout",
      0, SMTP_BUSY, submission_run, SM_TALLY },
    /* Implicit TLS: a refusal cannot be read before the handshake. */
    { "submissions", "submissions.listen", "smtp.maximum_threads",
      "smtp.maximum_per_source", "smtp.tls_handshake_timeout",
      1, NULL, submission_run, SM_TALLY },
    { "lmtp", "lmtp.listen", "smtp.maximum_threads",
      "smtp.maximum_per_source", "smtp.tls_handshake_timeout",
      0, SMTP_BUSY, lmtp_run, SM_TALLY }
};

const sv_service *sv_smtp_services(int *n)
{
    *n = (int)(sizeof smtp_services / sizeof smtp_services[0]);
    return smtp_services;
}
