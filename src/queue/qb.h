/*
 * qb.h - delivery status notifications (RFC 3464, RFC 3461, RFC 6522):
 * bounces, delay notices and success reports, built from a queue entry
 * and submitted to the queue as new entries from <>.
 *
 * Contract: the rules of who gets a notification live here: the null
 * sender is never notified; a failed ordinary message is reported to its
 * sender (kind QU_K_BOUNCE); a bounce that failed goes to the postmaster
 * (kind QU_K_DOUBLE); a failed QU_K_DOUBLE is only logged.  NOTIFY=NEVER
 * recipients are never reported; NOTIFY without FAILURE (or DELAY,
 * SUCCESS) suppresses that kind.  The returned content is the original
 * message up to queue.bounce_size_limit with RET=FULL, or its header
 * section (RET=HDRS, or the message was larger).  Every text taken from
 * the envelope is already CR/LF/NUL-free (qu.h) and is folded to 78
 * columns.
 * Privilege: the service account (reads and writes the queue).
 */
#ifndef QB_H
#define QB_H

#include "qu.h"

/* kinds of report */
#define QB_FAILED  1   /* action: failed   (recipients in QU_R_FAILED) */
#define QB_DELAYED 2   /* action: delayed  (still QU_R_PENDING) */
#define QB_RELAYED 3   /* action: relayed / delivered, NOTIFY=SUCCESS */

typedef struct qb_opts {
    const char *reporting_mta;   /* our host name */
    const char *postmaster;      /* queue.postmaster, "postmaster@dom" */
    pl_u64 size_limit;           /* queue.bounce_size_limit */
    pl_i64 lifetime;             /* queue.maximum_lifetime (seconds) for
                                    Will-Retry-Until; 0: field left out */
} qb_opts;

/* Report the recipients of e listed in idx (n indexes into e->rcpt) as
 * `kind`.  Submits one notification to q (new_id, QU_ID_LEN + 1 bytes,
 * gets its id, or "" when the rules say nobody is to be told).  The caller
 * then marks the failed recipients QU_R_BOUNCED and saves e. */
int qb_report(qu_queue *q, const qu_env *e, const int *idx, int n,
              int kind, const qb_opts *o, char *new_id);

#endif
