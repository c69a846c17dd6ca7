/*
 * bn_conn.c - newmail-bench's client connection: pl_sock for plain TCP,
 * OpenSSL directly over pl_sock_fd for TLS (the socket is non-blocking, so
 * every "want read/write" waits with pl_sock_wait_* under one timeout).
 *
 * Limits: input buffered in BN_IN_MAX octets; reply lines kept up to the
 * caller's buffer.  Every operation ends within o->io_ms.
 * Privilege: runs as any user; loopback only (checked in bn_main.c).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include "bn.h"

struct bn_conn {
    pl_sock *s;
    SSL *ssl;
    pl_i32 io_ms;
    size_t pos, len;          /* unread input is in[pos..len) */
    char in[BN_IN_MAX];
};

int bn_tls_ctx(SSL_CTX **out, char *err, size_t errlen)
{
    SSL_CTX *ctx;

    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL ||
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
        if (err != NULL && errlen > 0)
            ERR_error_string_n(ERR_get_error(), err, errlen);
        SSL_CTX_free(ctx);
        return PL_ERR;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    *out = ctx;
    return PL_OK;
}

/* Milliseconds left until deadline (monotonic), at least 0. */
static pl_i32 left_ms(pl_i64 deadline)
{
    pl_i64 now = pl_time_mono_ms();

    return now >= deadline ? 0 : (pl_i32)(deadline - now);
}

/* Wait as OpenSSL asks after a non-blocking call returned rc. */
static int tls_wait(bn_conn *c, int rc, pl_i64 deadline)
{
    int e = SSL_get_error(c->ssl, rc);

    if (e == SSL_ERROR_WANT_READ)
        return pl_sock_wait_readable(c->s, left_ms(deadline));
    if (e == SSL_ERROR_WANT_WRITE)
        return pl_sock_wait_writable(c->s, left_ms(deadline));
    if (e == SSL_ERROR_ZERO_RETURN)
        return PL_EOF;
    ERR_clear_error();
    return PL_EIO;
}

int bn_conn_starttls(bn_conn *c, SSL_CTX *tls_ctx)
{
    pl_i64 deadline = pl_time_mono_ms() + c->io_ms;
    int rc, st;

    if (c->pos != c->len || c->ssl != NULL)
        return PL_EINVAL;
    c->ssl = SSL_new(tls_ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, pl_sock_fd(c->s)) != 1)
        return PL_ENOMEM;
    for (;;) {
        rc = SSL_connect(c->ssl);
        if (rc == 1)
            return PL_OK;
        st = tls_wait(c, rc, deadline);
        if (st != PL_OK)
            return st;
    }
}

int bn_conn_open(const bn_opts *o, SSL_CTX *tls_ctx, bn_conn **out)
{
    bn_conn *c;
    int rc;

    c = (bn_conn *)calloc(1, sizeof *c);
    if (c == NULL)
        return PL_ENOMEM;
    c->io_ms = o->io_ms;
    rc = pl_sock_connect(o->host, o->port, o->io_ms, &c->s);
    if (rc == PL_OK && tls_ctx != NULL)
        rc = bn_conn_starttls(c, tls_ctx);
    if (rc != PL_OK) {
        bn_conn_close(c);
        return rc;
    }
    *out = c;
    return PL_OK;
}

int bn_conn_write(bn_conn *c, const void *buf, size_t n)
{
    pl_i64 deadline;
    int rc, st;

    if (c->ssl == NULL)
        return pl_sock_write(c->s, buf, n, c->io_ms);
    deadline = pl_time_mono_ms() + c->io_ms;
    while (n > 0) {
        /* SSL_write is all-or-nothing without partial-write mode, and a
         * retry after "want" repeats the same arguments, as required. */
        rc = SSL_write(c->ssl, buf, n > 0x40000000UL ? 0x40000000
                                                     : (int)n);
        if (rc > 0) {
            buf = (const char *)buf + rc;
            n -= (size_t)rc;
            continue;
        }
        st = tls_wait(c, rc, deadline);
        if (st != PL_OK)
            return st;
    }
    return PL_OK;
}

/* Refill the input buffer (it is empty) within the I/O timeout. */
static int fill(bn_conn *c)
{
    pl_i64 deadline;
    size_t got = 0;
    int rc, st;

    c->pos = c->len = 0;
    if (c->ssl == NULL) {
        rc = pl_sock_read(c->s, c->in, sizeof c->in, c->io_ms, &got);
        if (rc == PL_OK)
            c->len = got;
        return rc;
    }
    deadline = pl_time_mono_ms() + c->io_ms;
    for (;;) {
        rc = SSL_read(c->ssl, c->in, (int)sizeof c->in);
        if (rc > 0) {
            c->len = (size_t)rc;
            return PL_OK;
        }
        st = tls_wait(c, rc, deadline);
        if (st != PL_OK)
            return st;
    }
}

int bn_conn_line(bn_conn *c, char *line, size_t n, size_t *len)
{
    size_t kept = 0, total = 0;
    char ch;
    int rc;

    for (;;) {
        if (c->pos == c->len) {
            rc = fill(c);
            if (rc != PL_OK)
                return rc;
        }
        ch = c->in[c->pos++];
        total++;
        if (ch == '\n')
            break;
        if (kept + 1 < n)
            line[kept++] = ch;
    }
    if (kept > 0 && line[kept - 1] == '\r')
        kept--;
    if (n > 0)
        line[kept] = '\0';
    if (len != NULL)
        *len = total;
    return PL_OK;
}

void bn_conn_close(bn_conn *c)
{
    if (c == NULL)
        return;
    if (c->ssl != NULL) {
        /* One non-blocking close_notify attempt; waiting for the peer's
         * would only add a round trip to every measured session. */
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    pl_sock_close(c->s);
    free(c);
}
