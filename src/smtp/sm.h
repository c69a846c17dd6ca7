/*
 * sm.h - the SMTP, submission and LMTP session engine (RFC 5321, 1870,
 * 2033, 2034, 2920, 3207, 3461, 4954, 6152, 6409, 6531, 8314): one function
 * runs one client session to its end on an nt_conn.
 *
 * Contract: blocking code for one session; the caller owns the connection
 * and the shared environment, which the engine only reads.  Mail for local
 * users is written into each recipient's NEWMAIL and the 250 (LMTP: each
 * recipient's 250) is sent only once every copy is durable.  Local
 * recipients are expanded by the aliases map (al.h: lists, forwarding).
 * Mail for other domains (relay, and remote aliases or forwarding) goes
 * into one outbound queue submission, durable before the 250 as well;
 * relay is allowed only as sm_relay_allowed says (sm_relay.c) and only
 * with a queue (no queue: 554 5.7.1 for everyone).
 * Privilege: the service account that owns the popstore.
 */
#ifndef SM_H
#define SM_H

#include "pl.h"
#include "cf.h"
#include "st.h"
#include "au.h"
#include "nt_conn.h"
#include "qu.h"
#include "al.h"

#define SM_SVC_SMTP        0   /* port 25: inbound mail */
#define SM_SVC_SUBMISSION  1   /* port 587: AUTH before MAIL (RFC 6409) */
#define SM_SVC_SUBMISSIONS 2   /* port 465: submission on implicit TLS */
#define SM_SVC_LMTP        3   /* RFC 2033: LHLO, replies per recipient */

/* What a session did, for the server's statistics (ctl STATS). */
typedef struct sm_tally {
    pl_u64 messages;        /* messages accepted (each once) */
    pl_u64 octets;          /* their octets as received */
    pl_u64 recipients;      /* recipients they were accepted for */
} sm_tally;

typedef struct sm_env {
    const cf_config *cfg;   /* smtp.* policy keys, domains */
    st_store *store;        /* the popstore */
    au_db *db;              /* popstore accounts and virtual domains */
    au_pend *pend;          /* NULL: counters written at once */
    tl_ctx *tls;            /* NULL: no certificate, STARTTLS not offered */
    const char *hostname;   /* greeting, EHLO reply, Received header */
    int service;            /* SM_SVC_* */
    int implicit_tls;       /* the connection is already TLS */
    qu_queue *queue;        /* outbound queue; NULL: no relay, no remote
                               aliases or forwarding (451 4.3.0) */
    al_map *aliases;        /* NULL: no aliases file */
    sm_tally *tally;        /* NULL, or set when the session ends */
} sm_env;

/* Run one session: greeting, commands, QUIT or abort.  Returns PL_OK when
 * the session ended by QUIT, else the status that ended it. */
int sm_session(const sm_env *env, nt_conn *c);

/* Validate smtp.relay_clients (ADDRESS or ADDRESS/BITS, IPv4 or IPv6) and
 * smtp.relay_zones (domains, a leading dot allowed) at startup; PL_EINVAL
 * with err naming the key and the bad item. */
int sm_relay_check(const cf_config *cfg, char *err, size_t errlen);

#endif
