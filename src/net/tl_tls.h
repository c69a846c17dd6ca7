/*
 * tl_tls.h - TLS for the servers and the SMTP client through OpenSSL,
 * over a pl_sock.
 *
 * Contract: a server tl_ctx holds a certificate and key loaded from PEM
 * files (administrator path specs), a client one its trust anchors; both
 * are reference counted, so a reload (SIGHUP) swaps in a new context
 * while sessions keep the one they started with.
 * TLS 1.2 is the minimum; the handshake is bounded by a timeout; every
 * read and write honours a timeout and never blocks beyond it.
 * Privilege: none; the key file is read once, before privileges are
 * dropped, and kept in memory.
 */
#ifndef TL_TLS_H
#define TL_TLS_H

#include "pl.h"

typedef struct tl_ctx tl_ctx;
typedef struct tl_conn tl_conn;

/* Load a server context from PEM certificate chain and key files; err
 * gets a one-line reason on failure. */
int tl_ctx_new(const char *cert_spec, const char *key_spec, tl_ctx **out,
               char *err, size_t errlen);

/* Create a self-signed certificate for `hostname` and its key (owner-only)
 * when either file is missing (the embedded-default first start): EC
 * P-256, CN and SAN DNS:hostname, 825 days.  PL_OK without touching
 * anything when both exist; an existing key is reused; a certificate
 * whose key is missing is PL_EEXIST (never replaced); a hostname outside
 * A-Z a-z 0-9 - . is PL_EINVAL.  Owner-only relies on the umask that
 * pl_init sets (077 on POSIX). */
int tl_selfsigned_make(const char *cert_spec, const char *key_spec,
                       const char *hostname, char *err, size_t errlen);

/* Take and drop references; the context is freed with its last one. */
void tl_ctx_ref(tl_ctx *c);
void tl_ctx_unref(tl_ctx *c);

/* Load a client context (SMTP client STARTTLS): trust anchors from the
 * PEM file ca_spec, or the system's default CA paths when ca_spec is NULL
 * or "".  TLS 1.2 minimum; certificates are checked only by a tl_connect
 * with verify.  err gets a one-line reason on failure. */
int tl_client_ctx_new(const char *ca_spec, tl_ctx **out, char *err,
                      size_t errlen);

/* Client handshake on s within timeout_ms (one deadline) with a context
 * from tl_client_ctx_new.  sni_name (may be NULL) is sent as SNI when it
 * is a DNS name (RFC 6066 3: never an address literal); with verify = 1
 * the chain must lead to a trust anchor and the certificate must name
 * sni_name (SSL_set1_host, no partial wildcards; PL_EINVAL without one).
 * PL_ETIMEDOUT, PL_ECONNRESET, PL_EIO (handshake or verification failed);
 * err gets the reason ("certificate verify failed: hostname mismatch"). */
int tl_connect(tl_ctx *c, pl_sock *s, const char *sni_name, int verify,
               pl_i32 timeout_ms, tl_conn **out, char *err, size_t errlen);

/* Server handshake on s within timeout_ms (one deadline for the whole
 * handshake); a client context is PL_EINVAL.  The tl_conn does not own
 * s.  PL_ETIMEDOUT, PL_ECONNRESET (peer went away), PL_EIO (not TLS, no
 * common version or cipher). */
int tl_accept(tl_ctx *c, pl_sock *s, pl_i32 timeout_ms, tl_conn **out);

/* Read/write with timeouts; tl_read has the shape of lr_source_fn (ctx is
 * the tl_conn).  PL_EOF on close_notify or a closed socket; PL_ETIMEDOUT;
 * PL_ECONNRESET or PL_EIO for a broken stream.  A failed tl_write leaves
 * the connection unusable (a record may be half sent). */
int tl_read(void *conn, void *buf, size_t n, pl_i32 timeout_ms, size_t *got);
int tl_write(tl_conn *t, const void *buf, size_t n, pl_i32 timeout_ms);

/* Negotiated protocol ("TLSv1.3") and cipher, for logs and Received. */
void tl_info(const tl_conn *t, char *version, size_t vn, char *cipher,
             size_t cn);

/* Send close_notify (best effort, bounded) and free. */
void tl_close(tl_conn *t);

#endif
