/*
 * t_tlscli.h - a test client that talks in clear and then upgrades to TLS
 * in place (STLS, STARTTLS), shared by the POP3 and SMTP engine suites.
 * Reads go one byte at a time before TLS, so nothing past the server's
 * "go ahead" reply is taken from the socket.  Certificates are not
 * checked: the servers under test use self-signed ones.
 */
#ifndef T_TLSCLI_H
#define T_TLSCLI_H

#include <openssl/ssl.h>
#include "pl.h"
#include "ut_buf.h"

typedef struct t_tlscli {
    pl_sock *s;      /* set by the caller (pl_sock_connect) */
    SSL_CTX *ctx;    /* NULL until t_tlscli_start */
    SSL *ssl;
} t_tlscli;

/* TLS handshake as client on k->s; 1 on success. */
int t_tlscli_start(t_tlscli *k);

/* Send text (clear or TLS); 1 on success. */
int t_tlscli_send(t_tlscli *k, const char *text);

/* Read into b until it ends with `end` (at most 64 KiB); 1 on success. */
int t_tlscli_until(t_tlscli *k, ut_buf *b, const char *end);

/* Shut TLS down, free it, close the socket. */
void t_tlscli_close(t_tlscli *k);

#endif
