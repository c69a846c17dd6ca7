/*
 * qr.h - the queue runner inside `newmail serve`: takes due entries from
 * the outbound queue, routes each recipient (local mailbox, fixed route,
 * relay host, MX), delivers with the SMTP client, records per-recipient
 * results, schedules retries (queue.first_retry, queue.retry_interval,
 * queue.maximum_lifetime) and has bounces and delay notices written
 * (qb.h).
 *
 * Contract: at most queue.maximum_deliveries attempts at once and
 * queue.maximum_per_destination per destination; all recipients of one
 * entry for one destination go in one transaction; an entry is locked
 * (qu_lock) while it is worked on, so a restart, a second server or a
 * `newmail queue` command never delivers it twice at once; state is saved
 * after each attempt, so a crash repeats at most the attempt that was
 * running (at-least-once).  A damaged entry is logged once per scan and
 * left for the administrator.
 * Privilege: the service account.
 */
#ifndef QR_H
#define QR_H

#include "pl.h"
#include "cf.h"
#include "st.h"
#include "au.h"
#include "qu.h"
#include "al.h"

typedef struct qr_runner qr_runner;

typedef struct qr_env {
    const cf_config *cfg;     /* queue.*, outbound.*, relay.*, dns.* */
    st_store *store;          /* local deliveries */
    au_db *db;
    au_pend *pend;            /* NULL: received counters written at once */
    al_map *aliases;          /* may be NULL */
    qu_queue *queue;
    const char *hostname;     /* EHLO name, Reporting-MTA */
    const char *const *self;  /* our names and addresses (MX loops) */
    int nself;
} qr_env;

typedef struct qr_stats {
    pl_u64 delivered;         /* recipients delivered or relayed */
    pl_u64 deferred;          /* recipient attempts that failed for now */
    pl_u64 bounced;           /* recipients failed for good */
    int active;               /* deliveries running now */
    int queued;               /* entries in the queue at the last scan */
} qr_stats;

/* Start the runner threads on env (which must outlive the runner).
 * err gets a reason on failure (bad relay.host, unreadable password). */
int qr_start(const qr_env *env, qr_runner **out, char *err, size_t errlen);

/* Make every entry due now and wake the runner (FLUSH). */
void qr_flush(qr_runner *r);

/* Counters since start. */
void qr_get_stats(qr_runner *r, qr_stats *out);

/* Stop taking entries, wait at most wait_ms for running attempts, join
 * the threads and free.  NULL accepted. */
void qr_stop(qr_runner *r, pl_i32 wait_ms);

#endif
