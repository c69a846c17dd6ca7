/*
 * pl.h - the platform contract: every operating-system service the portable
 * core (src/) may use.  posix/ and vms/ each define every function declared
 * here under the same name; the build picks one folder (Info-ZIP style).
 *
 * Rules of the contract
 *  - Opaque handles, caller-owned buffers, int status returns (pl_types.h).
 *  - No OS type crosses it: no FILE *, struct stat, uid_t, struct sockaddr.
 *  - The core never builds a file path.  Directories are handles; names
 *    inside them are "simple names": 1..PL_NAME_MAX characters from
 *    A-Z 0-9 _ with at most one '.' separating a type of 1..PL_TYPE_MAX
 *    characters (valid ODS-2 names).  Anything else is PL_EINVAL before any
 *    file is touched.  The only OS paths the core handles are the ones an
 *    administrator wrote (configuration file, -c, store root, TLS files);
 *    they pass through untouched as "path specs".
 *  - Thread safety: every function may be called from any thread; a handle
 *    is used by one thread at a time unless its comment says otherwise.
 *  - pl_last_native() describes the native status of the calling thread's
 *    most recent failure.
 *
 * Privilege: the functions run with whatever the process holds; only
 * pl_priv_raise/pl_priv_restore and pl_become_user change it.
 */
#ifndef PL_H
#define PL_H

#include "pl_types.h"

/* ------------------------------------------------------------------ */
/* Process start-up, identity of the host, errors                      */
/* ------------------------------------------------------------------ */

#define PL_NAME_MAX   39   /* ODS-2: characters in a name */
#define PL_TYPE_MAX   39   /* ODS-2: characters in a type */
#define PL_HOST_MAX  255   /* host name buffer, without the NUL */
#define PL_ADDR_MAX   64   /* "[v6addr]:port" text, with the NUL */

/* Prepare the layer: C RTL features, locale-free behaviour, SIGPIPE off.
 * Call once from main() before anything else. */
int pl_init(void);

/* The name the program was started under, lower case, without
 * directory, type or version ("/usr/sbin/sendmail" -> "sendmail";
 * "DKA0:[SYS]MAILQ.EXE;3" -> "mailq"), for the sendmail and mailq
 * personalities.  PL_ERANGE if it does not fit in n bytes. */
int pl_prog_name(const char *argv0, char *buf, size_t n);

/* Text for a PL_E* code ("file exists"); never NULL. */
const char *pl_strerror(int status);

/* Writes the native status of this thread's last failure as text
 * (e.g. "errno 13: Permission denied", "%SYSTEM-F-NOPRIV"). */
void pl_last_native(char *buf, size_t n);

/* This process's identifier. */
pl_u32 pl_pid(void);

/* The fully qualified host name if known, else the node name.
 * PL_ERANGE if it does not fit in n bytes with its NUL. */
int pl_hostname(char *buf, size_t n);

/* pl_name_check flags */
#define PL_NAME_TYPE_OK 1   /* a ".TYPE" part is allowed (file names) */

/* PL_OK if name is a simple name (see the rules above): 1..PL_NAME_MAX of
 * A-Z 0-9 _, and with PL_NAME_TYPE_OK one '.' and 1..PL_TYPE_MAX more;
 * PL_EINVAL otherwise.  Pure C, shared by both layers (pl_common.c). */
int pl_name_check(const char *name, int flags);

/* n cryptographically strong random bytes (OpenSSL RAND_bytes).
 * PL_ERR if the generator is not seeded. */
int pl_random(void *buf, size_t n);

/* ------------------------------------------------------------------ */
/* Time                                                                */
/* ------------------------------------------------------------------ */

/* Wall clock, seconds since 1970-01-01T00:00:00Z. */
pl_i64 pl_time_now(void);

/* Wall clock with microseconds: seconds and 0..999999 usec. */
void pl_time_now_us(pl_i64 *secs, pl_i32 *usec);

/* Monotonic milliseconds since an arbitrary origin; never goes back. */
pl_i64 pl_time_mono_ms(void);

/* Offset of local time from UTC at instant t, in seconds east of UTC
 * (POSIX tm_gmtoff; OpenVMS SYS$TIMEZONE_DIFFERENTIAL). */
int pl_time_utc_offset(pl_i64 t, pl_i32 *offset_secs);

/* Sleep at least ms milliseconds (returns early only on shutdown:
 * PL_EINTR). */
int pl_sleep_ms(pl_i32 ms);

/* ------------------------------------------------------------------ */
/* Files and directories                                               */
/* ------------------------------------------------------------------ */

typedef struct pl_dir pl_dir;    /* an open directory */
typedef struct pl_file pl_file;  /* an open file */

/* pl_dir_open flags */
#define PL_DIR_CREATE  1   /* create the directory (and, for a root, its
                              parents) when missing; owner-only access */

/* Open the directory named by an administrator's path spec (store root,
 * queue root).  A POSIX path or an OpenVMS spec such as DKA0:[NEWMAIL]. */
int pl_dir_open_root(const char *spec, int flags, pl_dir **out);

/* Open the subdirectory `name` (a simple name without a type) of parent. */
int pl_dir_open(pl_dir *parent, const char *name, int flags, pl_dir **out);

/* Close a directory handle (NULL is accepted). */
void pl_dir_close(pl_dir *d);

/* Make the directory's entries durable (fsync of the directory on POSIX;
 * a no-op on RMS, whose directory updates are synchronous). */
int pl_dir_sync(pl_dir *d);

/* Remove the empty subdirectory `name`.  PL_ENOTEMPTY if not empty. */
int pl_dir_remove(pl_dir *parent, const char *name);

/* Entry kinds for pl_dir_list and pl_file_info */
#define PL_ENT_FILE 1
#define PL_ENT_DIR  2

/* Callback for pl_dir_list: a nonzero return stops the listing and is
 * returned by pl_dir_list. */
typedef int (*pl_dir_cb)(void *ctx, const char *name, int kind);

/* Call cb once per entry whose name is a valid simple name (others are
 * skipped: they were not made by us).  Order is unspecified.  One entry per
 * file even where the system keeps versions. */
int pl_dir_list(pl_dir *d, pl_dir_cb cb, void *ctx);

typedef struct pl_file_info {
    pl_u64 size;      /* bytes as written (see pl_file_size) */
    pl_i64 mtime;     /* last modification, seconds since 1970 */
    int kind;         /* PL_ENT_FILE or PL_ENT_DIR */
} pl_file_info;

/* Facts about the entry `name` in d, without opening it. */
int pl_file_info_get(pl_dir *d, const char *name, pl_file_info *info);

/* Facts about the file at an administrator's path spec (a configured file
 * such as the aliases file), without opening it for the caller; follows
 * links as pl_file_open_path does.  PL_ENOENT when it does not exist. */
int pl_file_info_path(const char *spec, pl_file_info *info);

/* Create `name` in d for writing: fails with PL_EEXIST if it exists, never
 * follows a symbolic link, owner-only access; Stream_LF with stream context
 * on OpenVMS.  The file starts empty. */
int pl_file_create(pl_dir *d, const char *name, pl_file **out);

/* pl_file_open modes */
#define PL_OPEN_READ   1   /* read only, sequential from offset 0 */
#define PL_OPEN_RDWR   2   /* read and write an existing file */
#define PL_OPEN_RDWR_CREATE 3 /* read and write, created empty if missing */

/* Open an existing file for reading or updating; never follows symbolic
 * links.  PL_ENOENT if missing. */
int pl_file_open(pl_dir *d, const char *name, int mode, pl_file **out);

/* Open a file by an administrator's path spec for reading (configuration,
 * aliases, import sources).  Symbolic links are followed here. */
int pl_file_open_path(const char *spec, pl_file **out);

/* Create or replace a file by an administrator's path spec for writing
 * (export target), owner-only access. */
int pl_file_create_path(const char *spec, pl_file **out);

/* Create an anonymous scratch file for writing and reading back (an SMTP
 * submission's copy of a message), owner-only, gone when closed or when
 * the process ends: POSIX in $TMPDIR (else /tmp), unlinked at once;
 * OpenVMS in SYS$SCRATCH with RMS delete-on-close. */
int pl_file_temp(pl_file **out);

/* Write all n bytes at the current offset (PL_ENOSPC when the disk or a
 * quota is full; nothing is guaranteed about a partial write). */
int pl_file_write(pl_file *f, const void *buf, size_t n);

/* Read up to n bytes at the current offset; *got = 0 only at end of file. */
int pl_file_read(pl_file *f, void *buf, size_t n, size_t *got);

/* Move the current offset to `offset` bytes from the start. */
int pl_file_seek(pl_file *f, pl_u64 offset);

/* Cut the file to `size` bytes. */
int pl_file_truncate(pl_file *f, pl_u64 size);

/* The file's size in bytes as written through the byte interface: exact
 * on both systems (on OpenVMS from the end-of-file mark of a Stream_LF
 * file after a flush, never from a record count). */
int pl_file_size(pl_file *f, pl_u64 *size);

/* Make the file's contents and size durable (fsync / $FLUSH). */
int pl_file_sync(pl_file *f);

/* Close (NULL accepted).  Returns the close status: a deferred write error
 * surfaces here. */
int pl_file_close(pl_file *f);

/* Atomically give the file `from_name` in `from` the new name `to_name` in
 * `to`; fails with PL_EEXIST, changing nothing, if `to_name` exists.  Both
 * directories must be on the same device (PL_EXDEV otherwise).  The caller
 * syncs the directories when it needs the rename durable. */
int pl_file_rename(pl_dir *from, const char *from_name,
                   pl_dir *to, const char *to_name);

/* Atomically put the file `from_name` in place of `to_name` (same
 * directory), replacing it if it exists: a reader opening `to_name` sees the
 * old or the new contents, never a mix or nothing (POSIX rename; a new
 * highest version then the old versions erased on OpenVMS).  For small
 * records rewritten whole (account records, indexes). */
int pl_file_replace(pl_dir *d, const char *from_name, const char *to_name);

/* Remove `name` (every version on OpenVMS).  PL_ENOENT if missing. */
int pl_file_remove(pl_dir *d, const char *name);

/* ------------------------------------------------------------------ */
/* Locks                                                               */
/* ------------------------------------------------------------------ */

typedef struct pl_lock pl_lock;

#define PL_LOCK_SH 1     /* shared: many holders */
#define PL_LOCK_EX 2     /* exclusive: one holder */

/* Take the lock `name` (a simple name) that lives in directory d.  The lock
 * excludes other threads of this process, other processes, and on OpenVMS
 * other cluster nodes ($ENQ with a system-wide resource name); on POSIX it is
 * an fcntl lock on the file `name` in d (works over NFS), so a lock vanishes
 * with its process and never needs cleaning up.  timeout_ms: 0 = try once
 * (PL_EAGAIN if held), PL_WAIT_FOREVER, or a bound (PL_ETIMEDOUT). */
int pl_lock_take(pl_dir *d, const char *name, int mode, pl_i32 timeout_ms,
                 pl_lock **out);

/* Release a lock (NULL accepted). */
void pl_lock_release(pl_lock *lk);

/* ------------------------------------------------------------------ */
/* Logging                                                             */
/* ------------------------------------------------------------------ */

#define PL_LOG_ERROR  0
#define PL_LOG_WARN   1
#define PL_LOG_NOTICE 2
#define PL_LOG_INFO   3
#define PL_LOG_DEBUG  4

#define PL_LOGCAT_MAIL 0   /* mail traffic: syslog LOG_MAIL */
#define PL_LOGCAT_AUTH 1   /* authentication: syslog LOG_AUTHPRIV */

/* pl_log_open destinations */
#define PL_LOGTO_SYSTEM 1  /* syslog / the OpenVMS log file */
#define PL_LOGTO_STDERR 2  /* standard error (foreground runs, tests) */

/* Start logging as `ident`; file_spec (may be NULL) adds an append-only log
 * file shared between processes.  May be called again to reopen. */
int pl_log_open(const char *ident, int dest, const char *file_spec);

/* Write one finished line (no newline; the caller has already escaped
 * control characters) at level and category. */
void pl_log_line(int level, int category, const char *line);

/* Tell the operator: syslog at LOG_CRIT on POSIX; OPCOM ($SNDOPR) to the
 * operator classes of NEWMAIL_OPCOM_CLASSES on OpenVMS. */
void pl_log_operator(const char *line);

/* ------------------------------------------------------------------ */
/* Configuration overrides                                             */
/* ------------------------------------------------------------------ */

/* The value an administrator set for configuration key `key` (a dotted
 * lower-case key such as "pop3.leave_in_newmail") outside the file: on
 * OpenVMS the system logical NEWMAIL_POP3_LEAVE_IN_NEWMAIL, translated in
 * LNM$SYSTEM_TABLE at executive mode only; on POSIX there is no such source
 * and the answer is always PL_ENOENT.  PL_ERANGE if it does not fit. */
int pl_cfg_override(const char *key, char *buf, size_t n);

/* The default configuration file spec (/etc/newmail/newmail.conf,
 * NEWMAIL_ROOT:[000000]NEWMAIL.CONF). */
const char *pl_cfg_default_file(void);

/* ------------------------------------------------------------------ */
/* Sockets                                                             */
/* ------------------------------------------------------------------ */

/* Every accepted or connected TCP socket sends at once (TCP_NODELAY):
 * callers cork their own output, so Nagle's algorithm could only delay. */
typedef struct pl_sock pl_sock;

/* Listen on "ADDRESS:PORT": 127.0.0.1:2110, [::1]:2110, *:110 (all IPv4),
 * [::]:110 (IPv6 only).  SO_REUSEADDR set; non-blocking accept. */
int pl_sock_listen(const char *addr_port, int backlog, pl_sock **out);

/* Wait until one of n listening sockets has a connection ready or
 * timeout_ms passes (PL_ETIMEDOUT), then accept it. *which is the index. */
int pl_sock_accept(pl_sock **listeners, int n, pl_i32 timeout_ms,
                   pl_sock **out, int *which);

/* Connect to host:port (host is a name or an address literal) within
 * timeout_ms, trying each address in turn. */
int pl_sock_connect(const char *host, const char *port, pl_i32 timeout_ms,
                    pl_sock **out);

/* Read up to n bytes, waiting at most timeout_ms; *got > 0 on PL_OK,
 * PL_EOF when the peer closed, PL_ETIMEDOUT when nothing came. */
int pl_sock_read(pl_sock *s, void *buf, size_t n, pl_i32 timeout_ms,
                 size_t *got);

/* Write all n bytes, waiting at most timeout_ms in all (PL_ETIMEDOUT:
 * the peer stopped reading). */
int pl_sock_write(pl_sock *s, const void *buf, size_t n, pl_i32 timeout_ms);

/* Wait until s is readable (PL_OK) or timeout_ms passes (PL_ETIMEDOUT). */
int pl_sock_wait_readable(pl_sock *s, pl_i32 timeout_ms);

/* Wait until s can take more output (PL_OK) or timeout_ms passes
 * (PL_ETIMEDOUT); for TLS writes, which may return "want write". */
int pl_sock_wait_writable(pl_sock *s, pl_i32 timeout_ms);

/* The peer's and the local address as text: "192.0.2.1", "2001:db8::1"
 * (no port); port separately. */
int pl_sock_peer(pl_sock *s, char *addr, size_t n, int *port);
int pl_sock_local(pl_sock *s, char *addr, size_t n, int *port);

/* The descriptor to hand to OpenSSL's SSL_set_fd. */
int pl_sock_fd(pl_sock *s);

/* Close (NULL accepted). */
void pl_sock_close(pl_sock *s);

/* The connection this process was started for: descriptor 0 from inetd,
 * xinetd or systemd Accept=yes; on OpenVMS the auxiliary server's BG device
 * through socket(TCPIP$C_AUXS, ...).  PL_ENOENT if there is none. */
int pl_sock_inherited_conn(pl_sock **out);

/* The listening sockets passed by systemd socket activation (LISTEN_PID,
 * LISTEN_FDS); fills up to max, sets *n.  *n = 0 when none were passed. */
int pl_sock_inherited_listeners(pl_sock **out, int max, int *n);

/* ------------------------------------------------------------------ */
/* Datagrams and the system resolver's servers (DNS client)            */
/* ------------------------------------------------------------------ */

typedef struct pl_udp pl_udp;

/* A UDP socket connected to "ADDRESS:PORT" (an IPv4 address or a
 * bracketed IPv6 address; no names), with a source port the system picks
 * at random.  Only datagrams from that server are received. */
int pl_udp_open(const char *addr_port, pl_udp **out);

/* Send one datagram of n bytes. */
int pl_udp_send(pl_udp *u, const void *buf, size_t n);

/* Wait at most timeout_ms for one datagram; *got its length (a longer one
 * is cut to n).  PL_ETIMEDOUT when none came; PL_ECONNREFUSED when the
 * server's port answered with ICMP unreachable. */
int pl_udp_recv(pl_udp *u, void *buf, size_t n, pl_i32 timeout_ms,
                size_t *got);

/* Close (NULL accepted). */
void pl_udp_close(pl_udp *u);

/* The name servers the system is configured with, as "ADDRESS:PORT"
 * items separated by commas (POSIX: nameserver lines of /etc/resolv.conf;
 * OpenVMS: the TCPIP$BIND_SERVERnnn logical names of TCP/IP Services).
 * PL_ENOENT when none is configured, PL_ERANGE when buf is too small. */
int pl_dns_servers(char *buf, size_t n);

/* ------------------------------------------------------------------ */
/* Local control channel                                               */
/* ------------------------------------------------------------------ */

/* Listen for local control connections under the simple name `name` in d
 * (a directory only the service account can reach).  POSIX: an AF_UNIX
 * socket file, mode 0600, a stale one (nobody listening) replaced,
 * PL_EADDRINUSE while a server answers on it.  OpenVMS: a TCP listener on
 * 127.0.0.1 whose port and random token go to the owner-only file
 * NAME.CTL in d.  Accept with pl_sock_accept; one per process. */
int pl_ctl_listen(pl_dir *d, const char *name, pl_sock **out);

/* Connect to the control listener `name` in d within timeout_ms (on
 * OpenVMS also sending the token).  PL_ENOENT or PL_ECONNREFUSED when no
 * server listens; PL_EACCES when d or the socket may not be opened. */
int pl_ctl_connect(pl_dir *d, const char *name, pl_i32 timeout_ms,
                   pl_sock **out);

/* PL_OK if the peer of accepted control connection s runs as the same
 * user as this process, or as root (POSIX SO_PEERCRED / getpeereid); on
 * OpenVMS if it sends the listener's token within a few seconds.
 * PL_EACCES otherwise. */
int pl_ctl_peer_ok(pl_sock *s);

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

typedef struct pl_thread pl_thread;
typedef struct pl_mutex pl_mutex;
typedef struct pl_cond pl_cond;
typedef void (*pl_thread_fn)(void *arg);

/* Start fn(arg) in a new thread with a stack of at least stack_bytes
 * (0 = the layer's default).  detached: no join; *out may be NULL then. */
int pl_thread_start(pl_thread_fn fn, void *arg, size_t stack_bytes,
                    int detached, pl_thread **out);

/* Wait for a joinable thread to end and free its handle. */
int pl_thread_join(pl_thread *t);

int pl_mutex_create(pl_mutex **out);
void pl_mutex_destroy(pl_mutex *m);
void pl_mutex_lock(pl_mutex *m);
void pl_mutex_unlock(pl_mutex *m);

int pl_cond_create(pl_cond **out);
void pl_cond_destroy(pl_cond *c);
/* Wait on c with m held; PL_ETIMEDOUT after timeout_ms (PL_WAIT_FOREVER
 * allowed).  Spurious wake-ups happen: callers re-check their predicate. */
int pl_cond_wait(pl_cond *c, pl_mutex *m, pl_i32 timeout_ms);
void pl_cond_signal(pl_cond *c);
void pl_cond_broadcast(pl_cond *c);

/* ------------------------------------------------------------------ */
/* Signals and shutdown                                                */
/* ------------------------------------------------------------------ */

#define PL_EVENT_TERM   1   /* SIGTERM / SIGINT / $FORCEX: stop gracefully */
#define PL_EVENT_RELOAD 2   /* SIGHUP: reload configuration and certificates */

/* Route termination and reload requests to pl_events_take(). */
int pl_events_install(void);

/* Return and clear the pending PL_EVENT_* bits (0 when none). */
int pl_events_take(void);

/* ------------------------------------------------------------------ */
/* Terminal                                                            */
/* ------------------------------------------------------------------ */

/* Print prompt on the terminal and read a line without echo into buf
 * (newline removed).  PL_ENOTSUP when standard input is not a terminal. */
int pl_tty_read_secret(const char *prompt, char *buf, size_t n);

/* ------------------------------------------------------------------ */
/* System accounts                                                     */
/* ------------------------------------------------------------------ */

#define PL_USER_DISABLED 1   /* DISUSER / locked password / nologin shell */
#define PL_USER_EXPIRED  2   /* account or password expired */
#define PL_USER_NOMAIL   4   /* DISMAIL: may not receive or read mail */

typedef struct pl_user {
    char name[64];    /* canonical name: as stored (POSIX), upper case (VMS) */
    pl_u32 id;        /* uid, or the UIC as a longword */
    pl_u32 group;     /* primary gid, or the UIC group */
    int flags;        /* PL_USER_* */
} pl_user;

/* Look up a system account.  Names outside the platform's whitelist
 * (POSIX portable user names; SYSUAF A-Z 0-9 _ $ up to 12) are PL_EINVAL
 * before any lookup. */
int pl_user_lookup(const char *name, pl_user *out);

/* The account this process runs as (real uid; OpenVMS: the process's
 * user name and UIC), and in label (n >= 32) how the system names the
 * caller in logs: "uid 1000" on POSIX, "user ALICE" on OpenVMS.  PL_ENOENT
 * with id and label set when the account database has no name for it. */
int pl_user_self(pl_user *out, char *label, size_t n);

/* pl_user_verify results (*result) */
#define PL_AUTH_OK      0
#define PL_AUTH_BAD     1   /* wrong password or unknown user: one answer */
#define PL_AUTH_LOCKED  2   /* disabled, or locked by intrusion detection */
#define PL_AUTH_EXPIRED 3   /* password or account expired */

/* Check a password for a system account (PAM service `service` on POSIX;
 * $ACM network logon or $GETUAI + $HASH_PASSWORD honouring PWDMIX on
 * OpenVMS).  The layer wipes its own copies of the password; the caller
 * wipes the buffer it passed.  Needs the privilege to read the account
 * database: see pl_priv_raise. */
int pl_user_verify(const char *name, const char *password,
                   const char *service, const char *peer, int *result);

/* ------------------------------------------------------------------ */
/* Native mailboxes of system accounts (the PMDF "legacy" order)       */
/* ------------------------------------------------------------------ */

typedef struct pl_nmb pl_nmb;

/* Callback receiving message text; nonzero stops and is returned. */
typedef int (*pl_out_fn)(void *ctx, const void *buf, size_t n);

/* Open the new-mail box of the system account u for one POP3 session;
 * the process already runs as u (pl_become_user).  POSIX: ~/Maildir
 * (new/ and cur/ messages not yet seen) when ~/Maildir/new exists, else
 * the spool file /var/mail/USER, locked as the system's delivery agent
 * locks it (fcntl plus USER.lock dot-lock) while it is scanned and while
 * it is rewritten, never in between (delivery does not wait for a
 * session); OpenVMS: the NEWMAIL folder of the user's MAIL file through
 * the callable MAIL routines.  A user without a mailbox gets an empty
 * one (PL_OK).  PL_EAGAIN: another session holds it ([IN-USE]);
 * PL_EINVAL: the mailbox is not in a format this layer reads. */
int pl_nmb_open(const pl_user *u, pl_nmb **out);

/* Messages in the box when it was opened. */
pl_u32 pl_nmb_count(const pl_nmb *m);

/* Message i (0-based): its size in octets as POP3 sends it (CRLF line
 * ends, before dot-stuffing), and a unique id (1..70 characters 0x21..
 * 0x7E) that stays the same across sessions. */
int pl_nmb_info(pl_nmb *m, pl_u32 i, pl_u64 *octets, char *uid,
                size_t un);

/* Send message i with CRLF line ends and without dot-stuffing through
 * out: all of it when body_lines < 0, else the header, the blank line
 * and at most body_lines lines of the body (TOP). */
int pl_nmb_read(pl_nmb *m, pl_u32 i, pl_i64 body_lines, pl_out_fn out,
                void *ctx);

/* pl_nmb_set dispositions, applied by pl_nmb_commit */
#define PL_NMB_KEEP   0   /* stays new (the default) */
#define PL_NMB_SEEN   1   /* moves to read mail: ~/mbox, Maildir cur/ with
                             the S flag, the OpenVMS MAIL folder */
#define PL_NMB_DELETE 2   /* removed (OpenVMS: to WASTEBASKET) */

int pl_nmb_set(pl_nmb *m, pl_u32 i, int disposition);

/* Apply the dispositions durably (QUIT in the UPDATE state): mail that
 * arrived during the session is kept untouched. */
int pl_nmb_commit(pl_nmb *m);

/* Release the box and its locks; without a commit nothing changes. */
void pl_nmb_close(pl_nmb *m);

/* ------------------------------------------------------------------ */
/* Identity and privilege                                              */
/* ------------------------------------------------------------------ */

#define PL_PRIV_READUAF 1   /* read the account database: SYSPRV / euid 0 */
#define PL_PRIV_IMPERS  2   /* change identity: IMPERSONATE / euid 0 */
#define PL_PRIV_BYPASS  4   /* file access beyond protection: BYPASS */

typedef struct pl_privsave {
    pl_u32 held[2];   /* what was held before the raise; opaque */
} pl_privsave;

/* Raise `which` for a call, remembering what was held; restore lowers only
 * what was not held before ($SETPRV with prvprv; seteuid(0) and back on a
 * POSIX process that kept root as its saved uid).  PL_EACCES if the
 * privilege is not authorized. */
int pl_priv_raise(int which, pl_privsave *saved);
int pl_priv_restore(const pl_privsave *saved);

/* One-way switch of the whole process to the account `u`
 * (initgroups+setgid+setuid, then verified that root cannot be regained;
 * $PERSONA_CREATE + $PERSONA_ASSUME).  On POSIX the group of a mail spool
 * directory shared by group (Debian's /var/mail, root:mail 2775) is kept
 * as a supplementary group, so the user's dot-lock can be made there.
 * Single-threaded processes only. */
int pl_become_user(const pl_user *u);

/* Act as the service account `name` while keeping the means to become
 * another account later (per-connection POP3 with native mailboxes: the
 * popstore is used as the service account, a system account's password
 * is checked with pl_priv_raise, then pl_become_user or
 * pl_become_service makes it final).  POSIX: supplementary groups,
 * effective gid and uid of `name`, root kept as real and saved uid;
 * OpenVMS: as pl_become_service, whose authorized privileges already
 * stay.  No-op with PL_OK if already that user.  Single-threaded
 * processes only. */
int pl_assume_service(const char *name);

/* Permanently run as the service account `name` after binding privileged
 * ports (POSIX: setgid/initgroups/setuid; OpenVMS: drop every privilege not
 * in the service's working set).  No-op with PL_OK if already that user. */
int pl_become_service(const char *name);

#endif
