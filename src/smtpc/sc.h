/*
 * sc.h - the SMTP client: one transaction for one message and a set of
 * recipients over one connection to one mail exchanger or relay host
 * (RFC 5321, 1870, 2920, 3207, 3461, 4954, 6152, 6531).
 *
 * Contract: EHLO, or HELO when EHLO is refused; PIPELINING when offered
 * (MAIL, every RCPT and DATA in one write; several writes only when the
 * commands exceed 32 KiB); SIZE announced and honoured;
 * 8BITMIME per policy when the peer lacks it; STARTTLS per policy: bytes
 * the peer sent after its 220 to STARTTLS are discarded (attack B7) and
 * EHLO is sent again inside TLS; AUTH PLAIN or LOGIN only inside TLS;
 * DSN parameters passed on when the peer offers DSN; dot-stuffing on the
 * way out; every stage bounded by its RFC 5321 4.5.3.2 timeout.  Reply
 * texts are sanitized (printable ASCII, bounded) before they reach the
 * caller, so they can go to logs, envelopes and DSNs as they are.
 * Thread safety: no shared state; any number of sc_deliver calls may run
 * at once on different threads.
 * Privilege: none.
 */
#ifndef SC_H
#define SC_H

#include "pl.h"

#define SC_STATUS_MAX 512
#define SC_REMOTE_MAX 300

/* TLS policy (the enum order of outbound.tls and relay.tls) */
#define SC_TLS_NONE    0
#define SC_TLS_MAY     1
#define SC_TLS_ENCRYPT 2
#define SC_TLS_VERIFY  3

/* 8-bit message to a peer without 8BITMIME (outbound.8bitmime) */
#define SC_8BIT_SEND   0
#define SC_8BIT_BOUNCE 1

typedef struct sc_policy {
    const char *helo;          /* our host name for EHLO/HELO */
    int tls;                   /* SC_TLS_* */
    const char *tls_ca;        /* CA file for SC_TLS_VERIFY; "" system */
    const char *auth_user;     /* NULL or "": no AUTH */
    const char *auth_pass;
    int eightbit;              /* SC_8BIT_* */
    pl_i32 connect_ms, greeting_ms, command_ms;
    pl_i32 data_init_ms, data_block_ms, data_done_ms;
} sc_policy;

typedef struct sc_rcpt {
    const char *addr;          /* in: forward path without <> */
    const char *orcpt;         /* in: "type;address" or "" */
    int notify;                /* in: QU_N_* bits, 0: none given */
    int code;                  /* out: final reply code for this
                                  recipient, 0 when never reached */
    char status[SC_STATUS_MAX]; /* out: "550 5.1.1 <b@x>: no such user" */
} sc_rcpt;

typedef struct sc_msg {
    const char *from;          /* reverse path without <>; "" is <> */
    const char *envid;         /* "" or the ENVID */
    int ret;                   /* QU_RET_* */
    int body;                  /* QU_BODY_* */
    int smtputf8;
    pl_u64 size;               /* octets of data */
    pl_file *data;             /* CRLF text, not dot-stuffed, at offset 0 */
    int nrcpt;
    sc_rcpt *rcpt;
} sc_msg;

typedef struct sc_result {
    int code;                  /* 0: the transaction ran and each sc_rcpt
                                  has its code; else the reply code (or
                                  SC_E_*) that stopped it for every
                                  recipient still without one */
    int perm;                  /* 1: that stop is permanent for the
                                  message: a 5xx to MAIL or DATA, or the
                                  message needs what the peer lacks (SIZE,
                                  8BITMIME under SC_8BIT_BOUNCE, SMTPUTF8).
                                  Refusals of the session (greeting, HELO,
                                  STARTTLS, AUTH) and every SC_E_* are 0:
                                  another host may take it
                                  (doc/outbound.md, "The SMTP client") */
    char status[SC_STATUS_MAX];  /* why, for logs and DSNs */
    char remote[SC_REMOTE_MAX];  /* "mx1.example[192.0.2.1]:25" */
    char tls_version[32];      /* "" without TLS */
    char tls_cipher[64];
} sc_result;

/* Connection-level stops (sc_result.code, below any reply code) */
#define SC_E_CONNECT  1   /* refused, unreachable, connect timeout */
#define SC_E_TIMEOUT  2   /* a stage timed out */
#define SC_E_LOST     3   /* the peer closed or broke the connection */
#define SC_E_PROTOCOL 4   /* unparsable or oversized reply */
#define SC_E_TLS      5   /* STARTTLS required but absent or refused, a
                             failed handshake or verification, or AUTH
                             configured without TLS */

/* Deliver m to the server at address addr (an address literal, no name
 * lookup), port, known as host_name (for logs, SNI and verify); every
 * timeout of p must be above 0.  The caller moves on to its next mail
 * exchanger when r->code is nonzero and not permanent.  PL_OK when r is
 * filled in (whatever happened remotely); PL_EINVAL for a bad argument
 * (a name for addr, a control character in a path, name or ORCPT);
 * PL_ENOMEM; or the PL_E* of a failed read of m->data, r saying so
 * (SC_E_LOST, not permanent; abandoned before the end of data). */
int sc_deliver(const sc_policy *p, const char *host_name, const char *addr,
               int port, sc_msg *m, sc_result *r);

#endif
