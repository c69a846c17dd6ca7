/*
 * bn.h - newmail-bench, the load generator: shared declarations.
 *
 * Contract: drives a newmail server (or any SMTP/POP3 server) on a
 * loopback address with C concurrent sessions, bounded in messages
 * (--messages) and in time (--max-seconds plus one I/O timeout), and
 * reports rates, latency percentiles and, given --pid, the server's CPU
 * seconds and resident memory read from /proc before and after.
 * Limits: at most BN_MAX_SESSIONS sessions and BN_MAX_MESSAGES messages
 * per run; message size from the 89 octets of its headers to BN_MAX_SIZE.
 * Privilege: runs as any user; loopback only (127.0.0.0/8 and ::1).
 */
#ifndef BN_H
#define BN_H

#include <openssl/ssl.h>
#include "pl.h"

#define BN_MAX_SESSIONS 5000      /* above 1,000 idle plus headroom */
#define BN_MAX_MESSAGES 1000000UL /* one latency slot (4 octets) each */
#define BN_MAX_SIZE (10UL * 1024UL * 1024UL) /* under smtp.max_message_size */
#define BN_IN_MAX 8192            /* input buffer per connection */
#define BN_LINE_MAX 1024          /* longest reply line kept; longer ones
                                     are consumed and cut */
#define BN_LAT_NONE 0xFFFFFFFFUL  /* latency slot of an unfinished job */

#define BN_SC_SMTP 1
#define BN_SC_POP3 2
#define BN_SC_IDLE 3

typedef struct bn_opts {
    int scenario;            /* BN_SC_* */
    int idle_pop3;           /* idle: 1 = POP3 login, 0 = SMTP EHLO */
    const char *host;        /* loopback address literal */
    const char *port;
    int sessions;
    pl_u64 messages;         /* smtp: to send; pop3: RETRs at most */
    size_t size;             /* smtp message size in octets */
    int users;               /* mailboxes user_prefix1 .. user_prefixM */
    const char *prefix;
    const char *domain;
    const char *password;
    int tls;                 /* smtp: STARTTLS; pop3/idle pop3: POP3S */
    int dele;                /* pop3: DELE after each RETR */
    pl_i32 max_seconds;      /* hard bound on the measured phase */
    pl_i32 io_ms;            /* every socket operation's timeout */
    pl_u32 pid;              /* server process for CPU/RSS, 0 = none */
    const char *proc_dir;    /* "/proc" */
    int clk_tck;             /* units of utime/stime in PROC/PID/stat */
    pl_i32 settle_ms;        /* idle: wait before reading RSS after */
} bn_opts;

/* What a run measured; filled by bn_run_*. */
typedef struct bn_result {
    pl_u64 done;             /* transactions completed */
    pl_u64 errors;           /* sessions or transactions that failed */
    pl_u64 bytes;            /* message octets moved */
    pl_i64 elapsed_ms;       /* measured phase, monotonic */
    pl_u32 *lat_us;          /* one slot per job, BN_LAT_NONE if unused */
    pl_u64 nlat;
    int sessions_open;       /* idle: connections established */
    char first_error[160];
} bn_result;

/* ---- bn_conn.c: one client connection, plain or TLS ---- */

typedef struct bn_conn bn_conn;

/* Client TLS context (TLS 1.2 minimum, no certificate check: the peer is
 * on loopback and the benchmark measures cost, not trust). */
int bn_tls_ctx(SSL_CTX **out, char *err, size_t errlen);

/* Connect to o->host:o->port within o->io_ms; with tls_ctx non-NULL the
 * TLS handshake follows at once (POP3S). */
int bn_conn_open(const bn_opts *o, SSL_CTX *tls_ctx, bn_conn **out);

/* Upgrade in place (after 220 to STARTTLS); the input buffer must be
 * empty, else PL_EINVAL (a server that sent ahead is broken). */
int bn_conn_starttls(bn_conn *c, SSL_CTX *tls_ctx);

/* Send all n bytes within the I/O timeout. */
int bn_conn_write(bn_conn *c, const void *buf, size_t n);

/* One line without its CRLF into line (cut to n-1 characters; the rest
 * of a long line is consumed); *len gets the full length on the wire
 * including the line ending. */
int bn_conn_line(bn_conn *c, char *line, size_t n, size_t *len);

/* Close TLS (no close_notify wait) and the socket, free; NULL accepted. */
void bn_conn_close(bn_conn *c);

/* ---- bn_run.c: the scenarios ---- */

/* Each runs its scenario from start to end with o->sessions threads and
 * fills r (r->lat_us allocated here, freed by the caller). */
int bn_run_smtp(const bn_opts *o, bn_result *r);
int bn_run_pop3(const bn_opts *o, bn_result *r);

/* Opens o->sessions idle connections, calls between(ctx) once they are
 * all up (to read the server's memory), then quits them all. */
int bn_run_idle(const bn_opts *o, bn_result *r,
                void (*between)(void *ctx), void *ctx);

/* ---- bn_stats.c: percentiles and the server's process figures ---- */

/* The p-th percentile (0..100, nearest rank) of the used slots of lat in
 * microseconds; sorts lat in place.  PL_ENOENT when no slot is used. */
int bn_percentile(pl_u32 *lat, pl_u64 n, int p, pl_u32 *out_us);

/* CPU ticks (utime + stime) and resident KiB of process pid, read as
 * plain files PROC/PID/stat and PROC/PID/status (Linux layout).
 * PL_ENOENT when the files are not there (other systems). */
int bn_proc_read(const char *proc_dir, pl_u32 pid, pl_u64 *ticks,
                 pl_u64 *rss_kib);

#endif
