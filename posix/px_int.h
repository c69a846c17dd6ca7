/*
 * px_int.h - what the files of the POSIX platform layer (posix/) share and
 * nothing else may see: the handle layouts, the native-status recorder and
 * the shutdown flag.  Never included from src/.
 * Limits: none of its own.  Privilege: none; declarations only.
 */
#ifndef PX_INT_H
#define PX_INT_H

#include "pl.h"

/* An open directory: an O_DIRECTORY descriptor, and the path it was opened
 * by (for messages only; never used to reach a file). */
struct pl_dir {
    int fd;
    char *path;
};

/* Kinds of native status kept by px_err.c. */
#define PX_NAT_NONE  0
#define PX_NAT_ERRNO 1   /* an errno value */
#define PX_NAT_GAI   2   /* a getaddrinfo/getnameinfo EAI_* code */
#define PX_NAT_PAM   3   /* a PAM return code */

/* Record errno value err as this thread's native status and return the
 * PL_E* code that stands for it (PL_ERR when no better code exists). */
int px_fail(int err);

/* The PL_E* code for errno value err, without recording anything. */
int px_errno_map(int err);

/* Record a non-errno native status (PX_NAT_GAI, PX_NAT_PAM) and return
 * `status` unchanged, so that failures read "return px_native(...)". */
int px_native(int kind, int code, int status);

/* Create the thread-local key of the native status.  Idempotent and
 * thread safe; pl_init calls it, px_fail also calls it lazily. */
int px_err_init(void);

/* Overwrite n bytes at p in a way the compiler may not remove (secrets). */
void px_wipe(void *p, size_t n);

/* Nonzero once a termination request (SIGTERM/SIGINT) has arrived.  Sticky:
 * pl_events_take does not clear it, so every sleeping thread sees it. */
int px_shutdown_pending(void);

/* Wrap the socket descriptor fd in a pl_sock (non-blocking,
 * close-on-exec) for the other posix/ files (px_ctl.c); closes fd on
 * failure. */
int px_sock_adopt(int fd, pl_sock **out);

/* px_nmbox.c: the group of the mail spool directory when delivery agents
 * share it by group (Debian: /var/mail root:mail 2775), so that
 * pl_become_user keeps it and the user's process can make USER.lock.
 * PL_ENOENT when the layout needs no group. */
int px_nmb_spool_group(pl_u32 *gid);

/* px_nmbox.c, for tests/unit/t_nmbox.c only: use spool_dir instead of
 * /var/mail and home instead of the user's home directory (NULL or ""
 * restores the system's).  Nothing in the server calls it. */
void px_nmb_test_paths(const char *spool_dir, const char *home);

/* px_udp.c: the nameserver lines of resolv.conf text (tlen octets) as
 * pl_dns_servers gives them; pl_dns_servers and tests/unit/t_dns.c call
 * it.  PL_ENOENT when there is none, PL_ERANGE when buf is too small. */
int px_dns_parse(const char *text, size_t tlen, char *buf, size_t n);

#endif
