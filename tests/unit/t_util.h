/*
 * t_util.h - what the unit-test files share: suite registration functions
 * and the byte-feeding helpers for parser tests.
 */
#ifndef T_UTIL_H
#define T_UTIL_H

#include <stddef.h>
#include "pl.h"

int t_util_register(void);   /* t_util.c: src/util */
int t_lr_register(void);     /* t_lr.c: the line reader */
int t_cf_register(void);     /* t_cf.c: configuration */
int t_posix_register(void);  /* t_posix.c: the POSIX platform layer */
int t_rand_register(void);   /* t_rand.c: needs OpenSSL */
int t_auth_register(void);   /* t_auth.c: accounts and credentials */
int t_store_register(void);  /* t_store.c: the popstore */
int t_tls_register(void);    /* t_tls.c: TLS and connections */
int t_sasl_register(void);   /* t_sasl.c: SASL mechanisms */
int t_srv_register(void);    /* t_srv.c: penalties and session limits */
int t_pop3_register(void);   /* t_pop3.c: the POP3 session engine */
int t_smtp_register(void);   /* t_smtp.c: the SMTP session engine */
int t_alias_register(void);  /* t_alias.c: aliases and forwarding */
int t_ctl_register(void);    /* t_ctl.c: the control channel */
int t_msg_register(void);    /* t_msg.c: header reader, address lists */
int t_dsn_register(void);    /* t_dsn.c: delivery status notifications */
int t_prog_register(void);   /* t_prog.c: program name, caller, scratch file */
int t_smtpc_register(void);  /* t_smtpc.c: the SMTP client's parsers */
int t_queue_register(void);  /* t_queue.c: the outbound queue */
int t_nmbox_register(void);  /* t_nmbox.c: POSIX native mailboxes */
int t_qrun_register(void);   /* t_qrun.c: queue runner rules, routing */
int t_dns_register(void);    /* t_dns.c: the DNS stub resolver */

/* A scripted byte source for lr_reader and other stream parsers: serves
 * `data` in pieces of at most `chunk` bytes per read (1 = one byte at a
 * time), then PL_EOF. */
typedef struct t_feed {
    const char *data;
    size_t len;
    size_t pos;
    size_t chunk;
} t_feed;

void t_feed_init(t_feed *f, const char *data, size_t len, size_t chunk);
int t_feed_read(void *ctx, void *buf, size_t n, pl_i32 timeout_ms,
                size_t *got);

/* A scratch directory for file tests under build/, emptied first; returns
 * its path (static storage). */
const char *t_scratch_dir(const char *name);

#endif
