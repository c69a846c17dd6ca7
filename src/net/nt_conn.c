/*
 * nt_conn.c - one client connection: reads through the socket, TLS or a
 * test's functions; writes corked in a fixed NT_OUT_MAX buffer and sent on
 * flush or when full, each send bounded by the write timeout.
 *
 * Limits: memory is fixed per connection (NT_OUT_MAX plus the struct).  A
 * failed send leaves the stream in an unknown state (a TLS record may be
 * half sent), so the error sticks: every later write and flush returns it.
 * A failed STARTTLS likewise ends all I/O on the connection, so nothing can
 * fall back to plaintext after the client asked for TLS.
 * Privilege: none.
 */
#include <stdlib.h>
#include <string.h>
#include "nt_conn.h"
#include "ut_str.h"

/* RFC 5321 4.5.3.2.7: the server waits at least 5 minutes for the peer. */
#define NT_WRITE_MS_DEF (300L * 1000L)
/* nt_conn_close gives leftover output this long: a peer that does not read
 * must not hold the thread at close. */
#define NT_CLOSE_MS 1000

struct nt_conn {
    pl_sock *s;         /* NULL for a custom connection */
    tl_conn *tls;       /* non-NULL once upgraded */
    nt_io io;           /* custom I/O */
    void *ioctx;
    pl_i32 wto;         /* write timeout per flush */
    int werr;           /* sticky write error, PL_OK while healthy */
    int broken;         /* sticky error for all I/O (failed STARTTLS) */
    int lport;
    size_t outlen;
    char peer[PL_ADDR_MAX];
    unsigned char out[NT_OUT_MAX];
};

static nt_conn *nt_alloc(void)
{
    nt_conn *c = (nt_conn *)malloc(sizeof *c);

    if (c == NULL)
        return NULL;
    memset(c, 0, sizeof *c);
    c->wto = (pl_i32)NT_WRITE_MS_DEF;
    c->werr = PL_OK;
    c->broken = PL_OK;
    return c;
}

int nt_conn_new(pl_sock *s, nt_conn **out)
{
    nt_conn *c;
    char local[PL_ADDR_MAX];
    int port = 0;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (s == NULL)
        return PL_EINVAL;
    c = nt_alloc();
    if (c == NULL)
        return PL_ENOMEM;
    c->s = s;
    /* cached: logs want the address even after the peer has gone */
    if (pl_sock_peer(s, c->peer, sizeof c->peer, &port) != PL_OK)
        (void)ut_strlcpy(c->peer, "unknown", sizeof c->peer);
    if (pl_sock_local(s, local, sizeof local, &c->lport) != PL_OK)
        c->lport = 0;
    *out = c;
    return PL_OK;
}

int nt_conn_new_io(const nt_io *io, void *ctx, const char *peer,
                   nt_conn **out)
{
    nt_conn *c;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (io == NULL || io->read == NULL || io->write == NULL)
        return PL_EINVAL;
    c = nt_alloc();
    if (c == NULL)
        return PL_ENOMEM;
    c->io = *io;
    c->ioctx = ctx;
    (void)ut_strlcpy(c->peer, peer != NULL ? peer : "", sizeof c->peer);
    *out = c;
    return PL_OK;
}

int nt_conn_read(void *conn, void *buf, size_t n, pl_i32 timeout_ms,
                 size_t *got)
{
    nt_conn *c = (nt_conn *)conn;

    if (got != NULL)
        *got = 0;
    if (c == NULL || buf == NULL || got == NULL || n == 0)
        return PL_EINVAL;
    if (c->broken != PL_OK)
        return c->broken;
    if (c->tls != NULL)
        return tl_read(c->tls, buf, n, timeout_ms, got);
    if (c->s != NULL)
        return pl_sock_read(c->s, buf, n, timeout_ms, got);
    return c->io.read(c->ioctx, buf, n, timeout_ms, got);
}

/* Send n bytes of p by whichever path is active. */
static int nt_send(nt_conn *c, const void *p, size_t n, pl_i32 ms)
{
    if (c->tls != NULL)
        return tl_write(c->tls, p, n, ms);
    if (c->s != NULL)
        return pl_sock_write(c->s, p, n, ms);
    return c->io.write(c->ioctx, p, n, ms);
}

static int nt_flush_within(nt_conn *c, pl_i32 ms)
{
    int rc;

    if (c->broken != PL_OK)
        return c->broken;
    if (c->werr != PL_OK)
        return c->werr;
    if (c->outlen == 0)
        return PL_OK;
    rc = nt_send(c, c->out, c->outlen, ms);
    if (rc != PL_OK) {
        c->werr = rc;
        return rc;
    }
    c->outlen = 0;
    return PL_OK;
}

int nt_conn_flush(nt_conn *c)
{
    if (c == NULL)
        return PL_EINVAL;
    return nt_flush_within(c, c->wto);
}

int nt_conn_write(nt_conn *c, const void *buf, size_t n)
{
    const unsigned char *p = (const unsigned char *)buf;

    if (c == NULL || (buf == NULL && n > 0))
        return PL_EINVAL;
    if (c->broken != PL_OK)
        return c->broken;
    if (c->werr != PL_OK)
        return c->werr;
    while (n > 0) {
        size_t room = NT_OUT_MAX - c->outlen;
        size_t k = n < room ? n : room;

        memcpy(c->out + c->outlen, p, k);
        c->outlen += k;
        p += k;
        n -= k;
        if (c->outlen == NT_OUT_MAX) {
            int rc = nt_flush_within(c, c->wto);

            if (rc != PL_OK)
                return rc;
        }
    }
    return PL_OK;
}

int nt_conn_puts(nt_conn *c, const char *s)
{
    if (s == NULL)
        return PL_EINVAL;
    return nt_conn_write(c, s, strlen(s));
}

void nt_conn_set_write_timeout(nt_conn *c, pl_i32 ms)
{
    if (c != NULL && (ms >= 0 || ms == PL_WAIT_FOREVER))
        c->wto = ms;
}

int nt_conn_starttls(nt_conn *c, tl_ctx *ctx, pl_i32 timeout_ms)
{
    int rc;

    if (c == NULL || ctx == NULL)
        return PL_EINVAL;
    if (c->s == NULL)
        return PL_ENOTSUP;
    if (c->tls != NULL)
        return PL_EINVAL;
    /* the reply that said "go ahead" must leave in clear before the
     * handshake starts */
    rc = nt_flush_within(c, c->wto);
    if (rc != PL_OK)
        return rc;
    rc = tl_accept(ctx, c->s, timeout_ms, &c->tls);
    if (rc != PL_OK) {
        c->tls = NULL;
        c->broken = rc;
    }
    return rc;
}

int nt_conn_is_tls(const nt_conn *c)
{
    return c != NULL && c->tls != NULL;
}

void nt_conn_tls_info(const nt_conn *c, char *version, size_t vn,
                      char *cipher, size_t cn)
{
    if (c == NULL || c->tls == NULL) {
        if (version != NULL && vn > 0)
            version[0] = '\0';
        if (cipher != NULL && cn > 0)
            cipher[0] = '\0';
        return;
    }
    tl_info(c->tls, version, vn, cipher, cn);
}

const char *nt_conn_peer(const nt_conn *c)
{
    return c != NULL ? c->peer : "";
}

int nt_conn_local_port(const nt_conn *c)
{
    return c != NULL ? c->lport : 0;
}

void nt_conn_close(nt_conn *c)
{
    if (c == NULL)
        return;
    if (c->outlen > 0)
        (void)nt_flush_within(c, NT_CLOSE_MS);
    tl_close(c->tls);
    pl_sock_close(c->s);
    /* replies may have carried account data: leave nothing in the heap */
    ut_wipe(c->out, sizeof c->out);
    free(c);
}
