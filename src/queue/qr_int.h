/*
 * qr_int.h - what the queue runner's files share (qr_run.c threads,
 * qr_job.c one attempt on one entry, qr_route.c routing and remote
 * delivery, qr_local.c local delivery, qr_plan.c the pure schedule and
 * grouping rules).  Not for use outside src/queue and its tests.
 *
 * The pure functions here (qr_plan.c, the parsers of qr_route.c) touch no
 * thread, socket or file, so tests/unit/t_qrun.c drives them with tables.
 * Limits: the constants below.  Privilege: none; declarations only.
 */
#ifndef QR_INT_H
#define QR_INT_H

#include "qr.h"
#include "qb.h"
#include "dn.h"
#include "sc.h"

/* fixed routes (outbound.routes) kept; a site with more wants DNS */
#define QR_ROUTES_MAX   64
/* zone entries (outbound.zone) kept */
#define QR_ZONE_MAX     64
/* a destination key: "mx:" or "route:" plus a host or domain and port */
#define QR_KEY_MAX      (DN_NAME_MAX + 16)
/* stack of a runner thread: an SMTP client session with TLS, as a server
 * session (SV_THREAD_STACK) plus room for the per-recipient arrays kept
 * on the heap */
#define QR_THREAD_STACK (256L * 1024L)
/* the password file's first line */
#define QR_PASS_MAX     256
/* a queue scan keeps at most this many jobs; the rest waits for the next
 * scan (bounds memory with a huge queue) */
#define QR_JOBS_MAX     20000
/* waits of the runner's threads re-check their state this often */
#define QR_TICK_MS      1000
/* scans woken by submissions are at least this far apart, so a burst of
 * incoming mail costs a few scans, not one per message */
#define QR_SCAN_GAP_MS  200
/* Orphans (a message file whose submission never committed, an
 * unfinished envelope rewrite) are removed once they are this old, and
 * looked for this often: a crash leaves few, and a day is far beyond any
 * submission still being written. */
#define QR_ORPHAN_AGE   86400L
#define QR_REAP_EVERY   3600L

/* Destination kinds (qr_dest.kind) */
#define QR_D_LOCAL   1   /* a local domain: the popstore */
#define QR_D_ROUTE   2   /* outbound.routes */
#define QR_D_RELAY   3   /* relay.host */
#define QR_D_MX      4   /* MX lookup on the domain */
#define QR_D_LITERAL 5   /* an address literal [192.0.2.1] */

/* A host as configured: "HOST", "HOST:PORT", "[ADDRESS]" or
 * "[ADDRESS]:PORT" (IPv6 inside the brackets). */
typedef struct qr_hostspec {
    char host[DN_NAME_MAX + 1];  /* name or address, no brackets */
    int literal;                 /* host is an address: no lookup */
    int port;
} qr_hostspec;

typedef struct qr_route {
    char domain[DN_NAME_MAX + 1];   /* lower case */
    qr_hostspec to;
} qr_route;

/* The routing table, parsed from the configuration once at start. */
typedef struct qr_rtab {
    int nroute;
    qr_route route[QR_ROUTES_MAX];
    int has_relay;
    qr_hostspec relay;
    int nzone;
    char zone[QR_ZONE_MAX][DN_NAME_MAX + 1];   /* lower case */
    int port;                                  /* outbound.port */
} qr_rtab;

/* Where one recipient goes. */
typedef struct qr_dest {
    int kind;                      /* QR_D_* */
    qr_hostspec to;                /* ROUTE, RELAY, LITERAL */
    char domain[DN_NAME_MAX + 1];  /* the recipient's, lower case */
    char key[QR_KEY_MAX];          /* equal keys share one transaction
                                      and one per-destination count */
} qr_dest;

/* The retry rules (queue.*), in seconds. */
typedef struct qr_sched {
    pl_i64 first_retry, retry_interval, lifetime, delay_warning;
} qr_sched;

/* --- qr_route.c: parsing and choosing (pure) ------------------------- */

/* Parse a host spec with default port dport.  PL_EINVAL with why. */
int qr_host_parse(const char *s, int dport, qr_hostspec *out, char *why,
                  size_t whylen);

/* Parse one outbound.routes item "DOMAIN=HOST[:PORT]" or
 * "DOMAIN=[ADDRESS]:PORT" (port default dport).  PL_EINVAL with why. */
int qr_route_parse(const char *item, int dport, qr_route *out, char *why,
                   size_t whylen);

/* Build the table from the configuration (outbound.routes, relay.host,
 * outbound.zone, outbound.port).  PL_EINVAL with why naming the key. */
int qr_rtab_load(const cf_config *cfg, qr_rtab *t, char *why,
                 size_t whylen);

/* 1 if domain equals a zone entry or is below one (any case). */
int qr_in_zone(const qr_rtab *t, const char *domain);

/* Where the recipient addr goes: is_local says whether its domain is one
 * of ours (al_domain_is_local).  PL_EINVAL for an address without a
 * domain or with a malformed address literal. */
int qr_dest_pick(const qr_rtab *t, const char *addr, int is_local,
                 qr_dest *out);

/* --- qr_plan.c: schedule, expiry, grouping (pure) ------------------- */

/* Read the queue.* retry keys. */
void qr_sched_load(const cf_config *cfg, qr_sched *s);

/* When to try again after an attempt at `now` that left recipients
 * pending, attempts the most tries any of them had: after the first,
 * created + first_retry; later, now + retry_interval; never past
 * created + lifetime (the last attempt is made then). */
pl_i64 qr_next_try(const qr_sched *s, pl_i64 created, int attempts,
                   pl_i64 now);

/* 1 when an entry created at `created` is past its lifetime at now. */
int qr_expired(const qr_sched *s, pl_i64 created, pl_i64 now);

/* Give up on every pending recipient of e: state QU_R_FAILED and a 5.4.7
 * status naming the attempts and the last result.  Returns how many. */
int qr_give_up(qu_env *e);

/* 1 when a delay notice is due for e at now (queue.delay_warning set and
 * passed, some pending recipient not warned yet). */
int qr_delay_due(const qr_sched *s, const qu_env *e, pl_i64 now);

/* Indexes of the recipients of e in state `state` (and, when key is not
 * NULL, whose keys[i] equals key) into idx (at most max); the count. */
int qr_select(const qu_env *e, const char *const *keys, const char *key,
              int state, int *idx, int max);

/* The distinct keys of the pending recipients of e, in first-seen order:
 * out[] points into keys; the count. */
int qr_distinct(const qu_env *e, const char *const *keys,
                const char **out, int max);

/* 1 if e has a recipient in `state`. */
int qr_has_state(const qu_env *e, int state);

/* Status text of a recipient from a reply code and text, made to fit
 * QU_STATUS_MAX: the text as the client gave it. */
void qr_status_set(qu_rcpt *r, const char *status, const char *remote);

/* --- qr_route.c: remote delivery (network) --------------------------- */

typedef struct qr_ctx qr_ctx;

/* One transaction for recipients idx[0..n-1] of e, which all share dest:
 * route lookup, then each host and address until the transaction runs or
 * a permanent stop; each recipient's state, status and remote are set
 * (QU_R_SENT, QU_R_FAILED, or left QU_R_PENDING with the reason).
 * PL_EINTR when the runner was abandoned meanwhile (touch nothing). */
int qr_remote_deliver(qr_ctx *c, qu_env *e, const qr_dest *dest,
                       const int *idx, int n);

/* --- qr_local.c ------------------------------------------------------- */

/* Deliver recipient i of e into the popstore (aliases, forwarding and
 * quota); remote targets are appended to e as new pending recipients.
 * Sets the recipient's state and status. */
void qr_local_deliver(qr_ctx *c, qu_env *e, int i);

/* --- qr_job.c --------------------------------------------------------- */

/* One attempt on entry id for destination key (NULL: bounces owed
 * only), decided by a scan at `seen`: lock, load, deliver, settle,
 * report, save or remove; nothing when that destination was attempted
 * at or after `seen` (by another worker since the scan).  *rescan is set
 * when recipients were added that are due now.  PL_EINTR when the runner
 * was abandoned during it (the queue was not touched after). */
int qr_job_run(qr_ctx *c, const char *id, const char *key, pl_i64 seen,
               int *rescan);

/* The destination of every recipient of e into keys (e->nrcpt, each
 * QR_KEY_MAX bytes) and dests (may be NULL); PL_ENOMEM. */
int qr_keys(qr_ctx *c, const qu_env *e, char (*keys)[QR_KEY_MAX],
            qr_dest *dests);

/* --- the shared state of the runner's threads (qr_run.c) --------------- */

/* our names and addresses passed to the resolver, at most */
#define QR_SELF_MAX     40
/* outbound.tls_ca_file and relay.auth_user kept by each worker */
#define QR_SPEC_MAX     1024

struct qr_ctx {
    const qr_env *env;
    /* What the network part reads, copied into the worker's own memory:
     * a worker abandoned by qr_stop may still be in sc_deliver or a DNS
     * lookup after the caller freed env and its configuration. */
    char helo[PL_HOST_MAX + 1];
    char tls_ca[QR_SPEC_MAX];
    char auth_user[QR_SPEC_MAX];
    const char *self[QR_SELF_MAX];
    char selfbuf[QR_SELF_MAX][PL_HOST_MAX + 1];
    int nself;
    qr_runner *run;        /* for the counters */
    au_db *db;             /* this worker thread's own */
    pl_dir *root;          /* the store root, this thread's own handle */
    const qr_rtab *rtab;
    qr_sched sched;
    dn_resolver *dns;
    const char *auth_pass; /* relay.auth_password_file's first line */
    qb_opts qb;
};

/* Count recipient results (qr_run.c; thread safe). */
void qr_count(qr_runner *r, int delivered, int deferred, int bounced);

/* Bracket a network wait: qr_net_leave returns 0 when the runner was
 * abandoned meanwhile (qr_stop's bound passed): the job then drops
 * everything without touching the queue again. */
void qr_net_enter(qr_runner *r);
int qr_net_leave(qr_runner *r);

#endif
