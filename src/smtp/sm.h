/*
 * sm.h - the SMTP, submission and LMTP session engine (RFC 5321, 1870,
 * 2033, 2034, 2920, 3207, 3461, 4954, 6152, 6409, 6531, 8314): one function
 * runs one client session to its end on an nt_conn.
 *
 * Contract: blocking code for one session; the caller owns the connection
 * and the shared environment, which the engine only reads.  Mail for local
 * users is written into each recipient's NEWMAIL and the 250 (LMTP: each
 * recipient's 250) is sent only once every copy is durable.  Mail for
 * other domains is refused (554 5.7.1) whoever the client is: relay needs
 * the outbound queue, which this engine does not have yet.
 * Privilege: the service account that owns the popstore.
 */
#ifndef SM_H
#define SM_H

#include "pl.h"
#include "cf.h"
#include "st.h"
#include "au.h"
#include "nt_conn.h"

#define SM_SVC_SMTP        0   /* port 25: inbound mail */
#define SM_SVC_SUBMISSION  1   /* port 587: AUTH before MAIL (RFC 6409) */
#define SM_SVC_SUBMISSIONS 2   /* port 465: submission on implicit TLS */
#define SM_SVC_LMTP        3   /* RFC 2033: LHLO, replies per recipient */

typedef struct sm_env {
    const cf_config *cfg;   /* smtp.* policy keys, domains */
    st_store *store;        /* the popstore */
    au_db *db;              /* popstore accounts and virtual domains */
    tl_ctx *tls;            /* NULL: no certificate, STARTTLS not offered */
    const char *hostname;   /* greeting, EHLO reply, Received header */
    int service;            /* SM_SVC_* */
    int implicit_tls;       /* the connection is already TLS */
} sm_env;

/* Run one session: greeting, commands, QUIT or abort.  Returns PL_OK when
 * the session ended by QUIT, else the status that ended it. */
int sm_session(const sm_env *env, nt_conn *c);

#endif
