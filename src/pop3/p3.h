/*
 * p3.h - the POP3 session engine (RFC 1939, 2449, 2595, 5034, 8314):
 * one function runs one client session to its end on an nt_conn.
 *
 * Contract: the engine is blocking code for one session; the caller
 * (daemon thread or per-connection process) owns the connection and the
 * shared environment, which the engine only reads.  Every reply is exact
 * (sizes from the store index, dot-stuffing, CRLF); at QUIT the OpenVMS
 * folder semantics apply; on any other end of session nothing changes.
 * Privilege: the service account (popstore), or the mail user after
 * pl_become_user (native mailboxes, per-connection mode).
 */
#ifndef P3_H
#define P3_H

#include "pl.h"
#include "cf.h"
#include "st.h"
#include "au.h"
#include "nt_conn.h"

/* What a session did, for the server's statistics (ctl STATS). */
typedef struct p3_tally {
    pl_u64 retrieved;       /* RETR answered */
    pl_u64 octets;          /* octets of those messages */
    pl_u64 deleted;         /* DELE accepted */
} p3_tally;

typedef struct p3_env {
    const cf_config *cfg;   /* pop3.* policy keys */
    st_store *store;        /* the popstore */
    au_db *db;              /* popstore accounts */
    tl_ctx *tls;            /* NULL: no certificate, STLS not offered */
    const char *hostname;   /* greeting and APOP challenge */
    int implicit_tls;       /* the connection is already TLS (POP3S) */
    int native;             /* per-connection process that may serve
                               system accounts (pop3.system_accounts):
                               it acts as the service account
                               (pl_assume_service) until a login */
    p3_tally *tally;        /* NULL, or set when the session ends */
} p3_env;

/* Run one session: greeting, commands, QUIT/UPDATE or abort.  Returns
 * PL_OK when the session ended by QUIT, else the status that ended it. */
int p3_session(const p3_env *env, nt_conn *c);

#endif
