/*
 * bn.h - newmail-bench, the load generator: shared declarations.
 *
 * Contract: drives a newmail server (or any SMTP/POP3 server) on a
 * loopback address with C concurrent sessions, bounded in messages
 * (--messages) and in time (no unit starts after --max-seconds; work
 * under way ends within its I/O timeouts; see newmail-bench(1) BOUNDS), and
 * reports rates, latency percentiles and, given --pid, the server's CPU
 * seconds and resident memory read from /proc before and after.
 * Scenarios: smtp, pop3, idle, bigbox (one big mailbox), and the
 * machine's own limits: disk (write + fsync + rename) and tcp (loopback).
 * Limits: at most BN_MAX_SESSIONS sessions and BN_MAX_MESSAGES messages
 * per run; message size from 87 octets (85 of headers and a line end;
 * a smaller --size is raised to that) to BN_MAX_SIZE.
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

#define BN_MAX_PROCS 32768        /* processes of a server tree (--tree) */
#define BN_MAX_BOX 2000000UL      /* bigbox: LIST/UIDL lines accepted */
#define BN_POLL_MS 50             /* --visible-cmd: pause between polls */
#define BN_CMD_MAX 2048           /* --visible-cmd with its count */
#define BN_INUSE_TRIES 200        /* POP3 [IN-USE] retries of one login */
#define BN_INUSE_MS 10            /* and the pause before each: 2 s */
#define BN_PASS_MAX 255           /* --password octets (RFC 2449 argument) */

#define BN_SC_SMTP 1
#define BN_SC_POP3 2
#define BN_SC_IDLE 3
#define BN_SC_BIGBOX 4            /* one big mailbox: login, STAT, LIST, UIDL */
#define BN_SC_TCP 5               /* loopback TCP throughput, no server */
#define BN_SC_DISK 6              /* write + fsync + rename + dir fsync */

typedef struct bn_opts {
    int scenario;            /* BN_SC_* */
    int idle_pop3;           /* idle: 1 = POP3 login, 0 = SMTP EHLO */
    const char *host;        /* loopback address literal */
    const char *port;
    int sessions;
    pl_u64 messages;         /* smtp: to send; pop3: RETRs at most */
    size_t size;             /* smtp message size in octets */
    int users;               /* mailboxes PREFIX<first> .. PREFIX<first+M-1> */
    pl_u64 first;            /* number of the first mailbox (1) */
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
    int tree;                /* --pid and all its descendants */
    const char *label;       /* row name for scripts, NULL = none */
    const char *visible_cmd; /* smtp: "CMD COUNT" exits 0 once COUNT
                                messages are visible in the mailboxes */
    pl_i32 visible_s;        /* bound of the visibility wait */
    const char *dir;         /* disk: directory for the files */
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
    pl_i64 accept_ms;        /* smtp: until the last 250 */
    int visible;             /* smtp: 1 seen, -1 not within visible_s,
                                0 not asked */
    pl_u64 phase_us[4];      /* bigbox: login, STAT, LIST, UIDL summed */
    pl_u64 box_msgs;         /* bigbox: messages STAT reported */
    pl_u64 inuse_retries;    /* POP3 logins retried after [IN-USE] */
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

/* ---- bn_run.c: the scenarios, and what every scenario shares ---- */

#define BN_ADDR_MAX 128

/* State shared by the sessions of one run. */
typedef struct bn_shared {
    const bn_opts *o;
    SSL_CTX *tls;
    pl_mutex *mu;
    pl_u64 next;             /* next job number */
    pl_i64 deadline;         /* monotonic ms */
    const char *msg;         /* smtp message with its final ".\r\n" */
    size_t msg_len;
    bn_result *r;
    void *ext;               /* a scenario's own shared state */
} bn_shared;

/* One session (thread) and its private counts, summed after the join. */
typedef struct bn_worker {
    bn_shared *sh;
    int idx;
    pl_u64 done, errors, bytes;
    pl_u64 phase_us[4];      /* bigbox: per phase */
    char err[160];
    struct bn_conn **idle;   /* idle: this worker's slice of connections */
    int idle_n;
    int idle_base;           /* number of its first connection */
    void *ext;               /* a scenario's per-session state */
    pl_thread *th;
} bn_worker;

/* Wall-clock microseconds (latencies), and the latency since t0 clamped
 * to a slot (a clock step spoils only the samples it crosses). */
pl_i64 bn_now_us(void);
pl_u32 bn_lat_since(pl_i64 t0);

/* Take the next job number; 0 when --messages are taken or the deadline
 * passed. */
int bn_take_job(bn_shared *sh, pl_u64 *job);

/* Keep the session's first error as text ("session N: what: ..."). */
void bn_set_err(bn_worker *w, const char *what, int rc, const char *line);

/* "PREFIXn@DOMAIN", n = k + --first-user, for mailbox k (0-based) into
 * buf (BN_ADDR_MAX). */
void bn_user_addr(const bn_opts *o, int k, char *buf);

/* POP3: send cmd (NULL: none) and expect "+OK"; connect and log in to
 * mailbox k with USER and PASS (POP3S with --tls). */
int bn_pop_cmd(bn_conn *c, const char *cmd, char *line, size_t n);
int bn_pop_login(bn_shared *sh, int k, bn_conn **out, char *line,
                 size_t n);

/* Set up a run: latency slots (o->messages), o->sessions zeroed workers,
 * the mutex, the deadline, and a client TLS context if need_tls. */
int bn_setup(const bn_opts *o, bn_result *r, bn_shared *sh, bn_worker **ws,
             int need_tls);
void bn_teardown(bn_shared *sh, bn_worker *ws);

/* Start n workers running fn, join them, sum their counts and the first
 * error into sh->r and set r->elapsed_ms. */
int bn_run_workers(bn_shared *sh, bn_worker *ws, int n, pl_thread_fn fn);

/* Each runs its scenario from start to end with o->sessions threads and
 * fills r (r->lat_us allocated here, freed by the caller). */
int bn_run_smtp(const bn_opts *o, bn_result *r);
int bn_run_pop3(const bn_opts *o, bn_result *r);

/* Opens o->sessions idle connections, calls between(ctx) once they are
 * all up (to read the server's memory), then quits them all. */
int bn_run_idle(const bn_opts *o, bn_result *r,
                void (*between)(void *ctx), void *ctx);

/* ---- bn_box.c: the big mailbox ---- */

/* Log in to mailbox PREFIXn@DOMAIN (n = --first-user) o->messages
 * times (or until --max-seconds) by o->sessions threads; each visit
 * times the login, STAT, LIST and UIDL (both read to the final ".") and
 * QUITs. */
int bn_run_bigbox(const bn_opts *o, bn_result *r);

/* ---- bn_sys.c: the machine's own limits ---- */

/* o->sessions threads each create a file in o->dir, write o->size
 * octets, fsync, close, rename it into a second directory and fsync that
 * directory, o->messages times in all; the files are removed after. */
int bn_run_disk(const bn_opts *o, bn_result *r);

/* o->sessions loopback TCP connections to a listener of this process,
 * each sending o->size octet blocks, o->messages blocks in all. */
int bn_run_tcp(const bn_opts *o, bn_result *r);

/* ---- bn_stats.c: percentiles and the server's process figures ---- */

/* The p-th percentile (0..100, nearest rank) of the used slots of lat in
 * microseconds; sorts lat in place.  PL_ENOENT when no slot is used. */
int bn_percentile(pl_u32 *lat, pl_u64 n, int p, pl_u32 *out_us);

/* CPU ticks (utime + stime) and resident KiB of process pid, read as
 * plain files PROC/PID/stat and PROC/PID/status (Linux layout).
 * PL_ENOENT when the files are not there (other systems). */
int bn_proc_read(const char *proc_dir, pl_u32 pid, pl_u64 *ticks,
                 pl_u64 *rss_kib);

/* The parent pid, the CPU ticks of pid itself and those of its waited-for
 * children (cutime + cstime) from PROC/PID/stat. */
int bn_proc_stat(const char *proc_dir, pl_u32 pid, pl_u32 *ppid,
                 pl_u64 *self_ticks, pl_u64 *child_ticks);

/* Proportional set size (KiB) from PROC/PID/smaps_rollup: shared pages
 * divided among the processes mapping them.  PL_ENOENT where missing. */
int bn_proc_pss(const char *proc_dir, pl_u32 pid, pl_u64 *pss_kib);

/* ---- bn_proc.c: a server made of many processes ---- */

/* A process tree's figures: pid and every descendant found by listing
 * PROC; CPU includes the waited-for children, so processes that ended
 * during the run still count (through their parent). */
typedef struct bn_tree {
    pl_u64 ticks;            /* sum of utime+stime+cutime+cstime */
    pl_u64 rss_kib;          /* sum of VmRSS (shared pages counted twice) */
    pl_u64 pss_kib;          /* sum of Pss (shared pages divided) */
    int procs;               /* processes summed */
} bn_tree;

/* Sum pid and its descendants into t.  With tree 0 only pid itself
 * (utime+stime).  PL_ENOENT when pid is not there. */
int bn_proc_tree(const char *proc_dir, pl_u32 pid, int tree, bn_tree *t);

#endif
