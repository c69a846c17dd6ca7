/*
 * sv.h - the listener/daemon framework shared by the servers (POP3 now,
 * SMTP later): session limits, listeners, the accept loop with one worker
 * thread per session, graceful shutdown and reload, and the set-up that
 * `newmail serve` and `newmail pop3d --inetd` share.
 *
 * Contract
 *  - A service is a row of sv_service: its listen key, whether TLS starts
 *    at accept, the line that refuses a client over a limit, and the
 *    function that runs one session on an nt_conn.
 *  - `newmail serve`: sv_server_new (read-only set-up, TLS loaded while
 *    still privileged), sv_server_listen (binds), sv_drop_privileges,
 *    sv_server_open_store (also the queue and its runner), sv_server_run
 *    (until PL_EVENT_TERM, the drain and the runner's stop),
 *    sv_server_free.
 *  - Reload (PL_EVENT_RELOAD, SIGHUP): the configuration file is read
 *    again; TLS certificate and key, session policies (every key a session
 *    reads), log.level and the session limits (up to the maximum of the
 *    start) take effect for new sessions, and the aliases file is re-read;
 *    listeners, store.*, service.user, hostname, the log destinations and
 *    the queue runner's keys (queue.*, outbound.*, relay.*, dns.servers,
 *    aliases.file) need a restart (a change is logged and ignored).  A
 *    bad file or certificate is logged and the old one kept.
 * Limits: SV_LISTEN_MAX listeners; the constants below.
 * Privilege: binds as root (or with the OpenVMS privileges it was started
 * with), then runs as service.user.
 */
#ifndef SV_H
#define SV_H

#include "pl.h"
#include "cf.h"
#include "st.h"
#include "au.h"
#include "nt_conn.h"

/* Listening sockets of one process: a handful of services, each on IPv4
 * and IPv6; pl_sock_accept takes at most 64 on POSIX. */
#define SV_LISTEN_MAX        32

/* Services one daemon runs: pop3, pop3s, smtp, submission, submissions,
 * lmtp, with room to spare. */
#define SV_SERVICE_MAX        8
/* Stack of a session thread.  A whole POP3 session (TLS 1.3 handshake,
 * PBKDF2 login, RETR) ran in 32 KiB when tests/integration/t_pop3_basic.sh
 * was run with that stack; 128 KiB is four times that, and 10,000
 * threads reserve 1.25 GiB of address space, which 32-bit OpenVMS Alpha
 * can still hold.  Only the pages a session touches become memory. */
#define SV_THREAD_STACK      (128L * 1024L)
/* How often the accept loop wakes to look at signals (ms): short enough
 * that SIGTERM and SIGHUP feel immediate, long enough to cost nothing. */
#define SV_POLL_MS           500
/* After PL_EVENT_TERM, sessions get this long to finish before the
 * process exits without them (a session that ends without QUIT changes
 * nothing, so cutting it is safe); systemd's default stop timeout is 90 s. */
#define SV_DRAIN_SECS        60
/* After the drain, deliveries in progress get this long to end before
 * the queue runner is left behind (each is repeated at the next start):
 * with SV_DRAIN_SECS it stays under systemd's 90 s stop timeout. */
#define SV_QUEUE_STOP_SECS   20
/* A refusal line must go out at once or not at all: the accept loop
 * never waits for one client. */
#define SV_REFUSE_WRITE_MS   1000

/* --- session limits (sv_limit.c) ------------------------------------ */

typedef struct sv_limit sv_limit;

/* sv_limit_enter results */
#define SV_LIM_OK     0   /* counted in: the caller must sv_limit_leave */
#define SV_LIM_TOTAL  1   /* refused: the service is full */
#define SV_LIM_SOURCE 2   /* refused: this address has its share */

/* A counter of sessions in total (at most total_max, 1..capacity) and per
 * source address (at most per_source; 0 = no per-source bound).  The
 * per-source table holds `capacity` addresses, which is enough because
 * each counted session holds at most one.  Thread safe. */
int sv_limit_new(int capacity, int total_max, int per_source,
                 sv_limit **out);
void sv_limit_free(sv_limit *l);

/* Change the bounds (reload); total_max is clamped to 1..capacity.
 * Sessions already counted stay. */
void sv_limit_set(sv_limit *l, int total_max, int per_source);

/* The capacity given at creation: the highest total_max possible. */
int sv_limit_capacity(const sv_limit *l);

/* Count a session from peer in, or say why not (SV_LIM_*). */
int sv_limit_enter(sv_limit *l, const char *peer);

/* Count a session from peer out (it must have entered). */
void sv_limit_leave(sv_limit *l, const char *peer);

/* Sessions counted now: in total, from one peer. */
int sv_limit_total(sv_limit *l);
int sv_limit_source(sv_limit *l, const char *peer);

/* Wait until no session is counted (PL_OK) or timeout_ms passes
 * (PL_ETIMEDOUT). */
int sv_limit_wait_idle(sv_limit *l, pl_i32 timeout_ms);

/* --- services ---------------------------------------------------------- */

/* Mail a session handled, by kind of service: POP3 retrieved messages,
 * their octets, deletions; SMTP accepted messages, octets, recipients. */
typedef struct sv_tally {
    pl_u64 messages, octets, other;
} sv_tally;

/* What a session sees of the server; everything is read-only but db,
 * which is the session thread's own. */
typedef struct sv_env {
    const cf_config *cfg;   /* the configuration when the session began */
    st_store *store;
    au_db *db;              /* opened for this session's thread */
    au_pend *pend;          /* received-mail counters, written in batches */
    tl_ctx *tls;            /* NULL when no certificate is configured */
    const char *hostname;
    int implicit_tls;       /* TLS was negotiated at accept */
    struct qu_queue *queue; /* the outbound queue; NULL: no relaying */
    struct al_map *aliases; /* NULL: no aliases file */
    sv_tally *tally;        /* NULL, or filled in by the session */
} sv_env;

/* Run one session to its end; the caller closes c afterwards. */
typedef int (*sv_session_fn)(const sv_env *env, nt_conn *c);

typedef struct sv_service {
    const char *name;          /* "pop3", "pop3s": logs */
    const char *listen_key;    /* "pop3.listen" */
    const char *threads_key;   /* integer key: sessions at most */
    const char *per_source_key; /* integer key: sessions per address */
    const char *handshake_key; /* duration key: implicit TLS handshake */
    int implicit_tls;          /* TLS handshake at accept (RFC 8314) */
    const char *busy_line;     /* sent in clear to a client over a limit
                                  (services without implicit TLS) */
    sv_session_fn run;
    const char *tally_words;   /* STATS names of sv_tally's messages and
                                  other: "retrieved deleted" */
} sv_service;

/* The POP3 services (sv_pop3.c): pop3 and pop3s; n gets the count. */
const sv_service *sv_pop3_services(int *n);

/* Per-connection POP3 with pop3.system_accounts (sv_pop3.c): when svc
 * is a POP3 service, the key is yes and the process may change identity,
 * act as service.user while keeping the means to become a system account
 * after its login (pl_assume_service) and set *native = 1; the caller
 * then skips sv_drop_privileges.  *native = 0 otherwise (also in
 * `newmail serve`, which never calls it: a multithreaded process cannot
 * become each user). */
int sv_pop3_inetd_identity(const cf_config *cfg, const sv_service *svc,
                           int *native, char *err, size_t errlen);

/* The SMTP services (sv_smtp.c): smtp, submission, submissions, lmtp. */
const sv_service *sv_smtp_services(int *n);

/* --- the server (sv_daemon.c, sv_listen.c) --------------------------- */

typedef struct sv_server sv_server;

/* Prepare a server for services (the table is not copied): with the
 * embedded defaults (used_file NULL) create the local data folders and a
 * self-signed certificate when missing; load TLS if tls.cert is set.
 * Takes cfg (freed on failure too).  verbose: -v was given, so log.level
 * is not applied on reload.  On failure err says why and the status is a
 * PL_E* code (PL_EINVAL: configuration; PL_EACCES, PL_ENOENT: files). */
int sv_server_new(cf_config *cfg, const char *used_file, int verbose,
                  const sv_service *svcs, int nsvc, sv_server **out,
                  char *err, size_t errlen);

/* Open every listener: the systemd sockets if any were passed (each one
 * matched by its port to a configured ADDRESS:PORT), else each address
 * of each service's listen key.  PL_EADDRINUSE, PL_EACCES as the system
 * says; err names the address.  PL_ENOENT when no service listens. */
int sv_server_listen(sv_server *s, char *err, size_t errlen);

/* Open the store, the account root, the control channel, the outbound
 * queue and the aliases map, and start the queue runner (after
 * sv_drop_privileges, so that anything created belongs to the service
 * account).  A bad routing key or an unreadable relay password is
 * PL_EINVAL (or the file's error) with err saying why. */
int sv_server_open_store(sv_server *s, char *err, size_t errlen);

/* Install the event handlers and serve until PL_EVENT_TERM, then stop
 * accepting, close the listeners and wait up to SV_DRAIN_SECS (or until a
 * second TERM) for sessions.  PL_OK after a clean drain, PL_ETIMEDOUT if
 * sessions were left behind. */
int sv_server_run(sv_server *s);

/* Free (NULL accepted).  After a drain that timed out, the state the
 * remaining threads use is left alone: the process is about to exit. */
void sv_server_free(sv_server *s);

/* --- set-up shared with per-connection mode (sv_setup.c) ------------- */

/* Open the log as the configuration says: syslog (log.syslog) or, when
 * to_stderr, standard error; plus log.file; log.level unless verbose. */
int sv_log_setup(const cf_config *cfg, int to_stderr, int verbose);

/* The host name of greetings: `hostname`, else the system's, into buf. */
void sv_hostname(const cf_config *cfg, char *buf, size_t n);

/* Become service.user when this process may change identity; PL_OK and a
 * log line saying so when it may not (a non-root test run) or the key is
 * empty.  *dropped = 1 when the identity changed. */
int sv_drop_privileges(const cf_config *cfg, int *dropped, char *err,
                       size_t errlen);

/* With the embedded defaults, make the TLS files when missing. */
int sv_embedded_tls(const cf_config *cfg, const char *hostname,
                    char *err, size_t errlen);

/* Open the store and an account database on it for this thread. */
int sv_store_open(const cf_config *cfg, st_store **store, pl_dir **root,
                  char *err, size_t errlen);

/* One session on the connection this process inherited (inetd, xinetd,
 * systemd Accept=yes, the OpenVMS auxiliary server): svc->run with TLS
 * first when implicit_tls.  PL_ENOENT when there is no such connection. */
int sv_inetd_session(const cf_config *cfg, const sv_service *svc,
                     char *err, size_t errlen);

#endif
