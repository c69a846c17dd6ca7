/*
 * nt_conn.h - one client connection as the protocol engines see it: a
 * byte source for the line reader, a buffered writer with a timeout, and
 * an in-place upgrade to TLS (STARTTLS/STLS, or implicit TLS at accept).
 *
 * Contract: output is corked in a fixed buffer of NT_OUT_MAX octets and sent
 * when full or on nt_conn_flush(); a write waits at most the write timeout
 * for the peer to read (PL_ETIMEDOUT), which is how back-pressure shows:
 * the engine stops reading commands while its replies are not being read.
 * The custom form lets tests drive an engine with scripted bytes (golden
 * transcripts) without sockets.
 * Privilege: none.
 */
#ifndef NT_CONN_H
#define NT_CONN_H

#include "pl.h"
#include "tl_tls.h"

#define NT_OUT_MAX 16384

typedef struct nt_conn nt_conn;

/* I/O functions for a custom connection (tests). */
typedef struct nt_io {
    int (*read)(void *ctx, void *buf, size_t n, pl_i32 timeout_ms,
                size_t *got);
    int (*write)(void *ctx, const void *buf, size_t n, pl_i32 timeout_ms);
} nt_io;

/* Wrap an accepted socket; the conn owns it from now on. */
int nt_conn_new(pl_sock *s, nt_conn **out);

/* Wrap custom I/O (no TLS possible: nt_conn_starttls gives PL_ENOTSUP). */
int nt_conn_new_io(const nt_io *io, void *ctx, const char *peer,
                   nt_conn **out);

/* lr_source_fn: ctx is the nt_conn; reads through TLS once upgraded. */
int nt_conn_read(void *conn, void *buf, size_t n, pl_i32 timeout_ms,
                 size_t *got);

/* Buffer n bytes of output; sends when the buffer fills. */
int nt_conn_write(nt_conn *c, const void *buf, size_t n);
int nt_conn_puts(nt_conn *c, const char *s);

/* Send everything buffered within the write timeout.  A failed send
 * sticks: every later write and flush returns the same error. */
int nt_conn_flush(nt_conn *c);

/* Timeout for each flush (default 5 minutes). */
void nt_conn_set_write_timeout(nt_conn *c, pl_i32 ms);

/* TLS handshake as server now (after the 220/+OK of STARTTLS was flushed,
 * or at accept for implicit TLS); output still buffered is flushed in
 * clear first.  The caller discards its reader's buffered plaintext
 * before.  After a failure every read and write returns that error, so
 * nothing falls back to plaintext: close the connection. */
int nt_conn_starttls(nt_conn *c, tl_ctx *ctx, pl_i32 timeout_ms);

/* 1 once TLS is active; version and cipher as tl_info. */
int nt_conn_is_tls(const nt_conn *c);
void nt_conn_tls_info(const nt_conn *c, char *version, size_t vn,
                      char *cipher, size_t cn);

/* The peer's address text ("127.0.0.1") and the local port. */
const char *nt_conn_peer(const nt_conn *c);
int nt_conn_local_port(const nt_conn *c);

/* Flush what can be flushed quickly, close TLS and the socket, free. */
void nt_conn_close(nt_conn *c);

#endif
