/*
 * sv_ctl.h - runtime control of a running daemon (`newmail ctl`), the
 * functions of the old OpenVMS server's XTND STATS, LOGLEVEL and SHUTDOWN,
 * plus RELOAD and FLUSH (the queue).
 *
 * Contract
 *  - Channel: pl_ctl_listen on the name SV_CTL_NAME in the directory
 *    SV_CTL_DIR at the top of store.root (owner-only; names beginning
 *    with '_' there belong to newmail).  Only the service account and root
 *    (POSIX) or the readers of the token file (OpenVMS) get through
 *    pl_ctl_peer_ok.
 *  - Protocol: one connection, one request line, one reply, then close.
 *    Requests (verbs in any case, ended by CRLF or LF, at most
 *    SV_CTL_LINE_MAX bytes with the ending): "STATS", "LOGLEVEL <level>",
 *    "SHUTDOWN", "RELOAD", "FLUSH" (the queue runner tries every entry
 *    now).  Replies: a single "+OK text" or "-ERR text"
 *    line, or for STATS "+OK" then "key: value" lines then ".".
 *  - SHUTDOWN and RELOAD act exactly as SIGTERM and SIGHUP: they are
 *    folded into the events the accept loop takes.
 * Limits: SV_CTL_LINE_MAX, SV_CTL_IO_MS, SV_CTL_REPLY_MAX.
 * Privilege: the daemon serves the channel as the service account.
 */
#ifndef SV_CTL_H
#define SV_CTL_H

#include "pl.h"
#include "sv.h"

/* The control directory below store.root and the channel's name in it. */
#define SV_CTL_DIR  "_CONTROL"
#define SV_CTL_NAME "NEWMAIL"

/* Longest request line with its CRLF: "LOGLEVEL warning" is 16 bytes;
 * anything near this bound is not a request. */
#define SV_CTL_LINE_MAX 64
/* A control client is a local program that sends at once; the accept
 * thread serves it inline and must not be held longer than this. */
#define SV_CTL_IO_MS 2000
/* A STATS reply: a dozen lines per service at most. */
#define SV_CTL_REPLY_MAX 4096

/* Requests (sv_ctl_parse) */
#define SV_CTL_STATS    1
#define SV_CTL_LOGLEVEL 2
#define SV_CTL_SHUTDOWN 3
#define SV_CTL_RELOAD   4
#define SV_CTL_FLUSH    5   /* make every queue entry due and wake the
                               queue runner */

/* Parse one request line of len bytes (CRLF or LF already removed).
 * PL_OK with *verb (and *level, a PL_LOG_* value, for LOGLEVEL); PL_EINVAL
 * for an unknown verb, a missing, extra or unknown argument, or a NUL. */
int sv_ctl_parse(const char *line, size_t len, int *verb, int *level);

/* Read one request line from s into buf (n >= 2), ending removed and
 * NUL added, waiting at most timeout_ms in all.  PL_ERANGE when no line
 * end comes within n - 1 bytes; PL_EOF, PL_ETIMEDOUT as pl_sock_read. */
int sv_ctl_read_line(pl_sock *s, char *buf, size_t n, pl_i32 timeout_ms);

/* Open (create with `create`) the control directory below root. */
int sv_ctl_open_dir(pl_dir *root, int create, pl_dir **out);

/* Start listening on the control channel below the store root (called by
 * sv_server_open_store).  PL_EADDRINUSE when another server answers. */
int sv_ctl_open(sv_server *s, char *err, size_t errlen);

/* Serve one accepted control connection inline and close it: peer check,
 * request, reply; SHUTDOWN and RELOAD are left for sv_ctl_take_events. */
void sv_ctl_serve(sv_server *s, pl_sock *c);

/* Return and clear the PL_EVENT_* bits requested over the channel. */
int sv_ctl_take_events(sv_server *s);

/* The release the STATS reply names (the string is not copied). */
void sv_server_set_version(sv_server *s, const char *version);

/* Count a session of service si in (dispatch), refused, or out (its
 * thread's end).  Thread safe. */
void sv_stats_enter(sv_server *s, int si);
void sv_stats_refused(sv_server *s, int si);
void sv_stats_leave(sv_server *s, int si);

/* Add what one ended session of service si handled (messages, octets,
 * other: see sv_tally).  Thread safe. */
void sv_stats_tally(sv_server *s, int si, const sv_tally *t);

#endif
