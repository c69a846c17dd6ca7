/*
 * dn_res.c - the resolver object and the exchange with name servers: one
 * question to one server at a time over UDP (pl_udp_*), again over TCP
 * with the 2-byte length prefix (RFC 1035 4.2.2) when the reply is
 * truncated, the next server when one fails.
 *
 * Every query gets a fresh random 16-bit id (pl_random) and a fresh
 * socket (a fresh random source port, RFC 5452); a datagram counts as the
 * reply only when it comes from the server asked (connected socket), has
 * that id and repeats the question.  Anything else is dropped and the
 * wait goes on until the same deadline, so forged or late datagrams
 * cannot stretch it.  SERVFAIL, REFUSED, NOTIMP, FORMERR, a malformed
 * reply or an empty non-authoritative answer without recursion (a
 * referral from a server that is not a resolver) are that server's
 * failure: the next one is asked.  NOERROR and NXDOMAIN are answers.
 * A server that timed out or refused is asked after the others for
 * DN_BAD_MS, so one dead server does not cost every lookup a timeout.
 * Limits: DN_SERVERS_MAX servers; a lookup takes at most timeout x
 * attempts x servers (plus the TCP retry of a truncated reply, within
 * the same per-server timeout).
 * Privilege: none.
 */
#include <stdlib.h>
#include <string.h>
#include "dn_int.h"
#include "ut_log.h"
#include "ut_str.h"

/* Room for the system's server list: DN_SERVERS_MAX items and more. */
#define DN_SYSLIST_MAX 2048

struct dn_resolver {
    int n;
    dn_server srv[DN_SERVERS_MAX];
    pl_i64 bad_until[DN_SERVERS_MAX];   /* monotonic ms; under lock */
    pl_i32 timeout_ms;
    int attempts;
    pl_mutex *lock;
};

/* Take the comma-separated system list: items that do not parse are
 * skipped (a scoped IPv6 address, say), at most DN_SERVERS_MAX kept. */
static int dn_system_servers(dn_resolver *r)
{
    char list[DN_SYSLIST_MAX], *p, *comma;
    int rc = pl_dns_servers(list, sizeof list);

    if (rc != PL_OK)
        return rc;
    for (p = list; p != NULL && r->n < DN_SERVERS_MAX; p = comma) {
        comma = strchr(p, ',');
        if (comma != NULL)
            *comma++ = '\0';
        if (dn_server_parse(ut_trim(p), &r->srv[r->n]) == PL_OK)
            r->n++;
        else
            ut_log_debug("dns: system name server '%s' ignored", p);
    }
    return r->n > 0 ? PL_OK : PL_ENOENT;
}

int dn_resolver_new(const char *const *servers, int nservers,
                    pl_i32 timeout_ms, int attempts, dn_resolver **out)
{
    dn_resolver *r;
    int i, rc = PL_OK;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (nservers < 0 || nservers > DN_SERVERS_MAX || timeout_ms <= 0 ||
        attempts <= 0 || (nservers > 0 && servers == NULL))
        return PL_EINVAL;
    r = (dn_resolver *)calloc(1, sizeof *r);
    if (r == NULL)
        return PL_ENOMEM;
    r->timeout_ms = timeout_ms;
    r->attempts = attempts;
    for (i = 0; i < nservers && rc == PL_OK; i++) {
        rc = dn_server_parse(servers[i], &r->srv[i]);
        r->n = i + 1;
    }
    if (rc == PL_OK && nservers == 0)
        rc = dn_system_servers(r);
    if (rc == PL_OK)
        rc = pl_mutex_create(&r->lock);
    if (rc != PL_OK) {
        free(r);
        return rc;
    }
    *out = r;
    return PL_OK;
}

void dn_resolver_free(dn_resolver *r)
{
    if (r == NULL)
        return;
    pl_mutex_destroy(r->lock);
    free(r);
}

/* The order to ask in: servers in good standing first, in the
 * configured order, then the ones that failed lately. */
static void dn_order(dn_resolver *r, int *order)
{
    pl_i64 now = pl_time_mono_ms();
    int i, k = 0, pass;

    pl_mutex_lock(r->lock);
    for (pass = 0; pass < 2; pass++)
        for (i = 0; i < r->n; i++)
            if ((r->bad_until[i] <= now) == (pass == 0))
                order[k++] = i;
    pl_mutex_unlock(r->lock);
}

static void dn_mark(dn_resolver *r, int i, int bad)
{
    pl_mutex_lock(r->lock);
    r->bad_until[i] = bad ? pl_time_mono_ms() + DN_BAD_MS : 0;
    pl_mutex_unlock(r->lock);
}

/* What one exchange needs and gives back. */
typedef struct dn_xfer {
    const dn_server *srv;
    const char *qname;
    int qtype;
    unsigned id;
    unsigned char q[DN_QUERY_MAX + 2];   /* 2 octets of TCP length first */
    size_t qlen;
    pl_i64 deadline;                     /* monotonic ms */
    unsigned char *buf;                  /* DN_MSG_MAX octets */
    size_t len;
    dn_hdr h;
    size_t qend;
} dn_xfer;

static pl_i32 dn_left(const dn_xfer *x)
{
    pl_i64 left = x->deadline - pl_time_mono_ms();

    return left > 0 ? (pl_i32)left : 0;
}

/* Send the query by UDP and wait for the datagram that answers it. */
static int dn_udp_xfer(dn_xfer *x)
{
    pl_udp *u = NULL;
    int rc = pl_udp_open(x->srv->udp, &u);

    if (rc == PL_OK)
        rc = pl_udp_send(u, x->q + 2, x->qlen);
    while (rc == PL_OK) {
        size_t got = 0;
        pl_i32 left = dn_left(x);

        if (left <= 0) {
            rc = PL_ETIMEDOUT;
            break;
        }
        rc = pl_udp_recv(u, x->buf, DN_MSG_MAX, left, &got);
        if (rc != PL_OK)
            break;
        if (dn_reply_match(x->buf, got, x->id, x->qname, x->qtype, &x->h,
                           &x->qend) == PL_OK) {
            x->len = got;
            break;
        }
        ut_log_debug("dns: %s: a datagram that is not the reply to %s "
                     "ignored", x->srv->udp, x->qname);
    }
    pl_udp_close(u);
    return rc;
}

/* Read exactly n octets before the deadline. */
static int dn_read_all(dn_xfer *x, pl_sock *s, unsigned char *p, size_t n)
{
    while (n > 0) {
        size_t got = 0;
        pl_i32 left = dn_left(x);
        int rc;

        if (left <= 0)
            return PL_ETIMEDOUT;
        rc = pl_sock_read(s, p, n, left, &got);
        if (rc != PL_OK)
            return rc;
        p += got;
        n -= got;
    }
    return PL_OK;
}

/* The same question over TCP, for a truncated UDP reply. */
static int dn_tcp_xfer(dn_xfer *x)
{
    unsigned char pre[2];
    pl_sock *s = NULL;
    size_t mlen;
    int rc;

    x->q[0] = (unsigned char)(x->qlen >> 8);
    x->q[1] = (unsigned char)(x->qlen & 0xFF);
    rc = pl_sock_connect(x->srv->host, x->srv->port, dn_left(x), &s);
    if (rc == PL_OK)
        rc = pl_sock_write(s, x->q, x->qlen + 2, dn_left(x));
    if (rc == PL_OK)
        rc = dn_read_all(x, s, pre, 2);
    if (rc == PL_OK) {
        mlen = ((size_t)pre[0] << 8) | pre[1];
        rc = mlen < DN_HDR_LEN ? PL_EINVAL
                               : dn_read_all(x, s, x->buf, mlen);
        x->len = mlen;
    }
    pl_sock_close(s);
    if (rc == PL_EOF || rc == PL_ECONNRESET)
        rc = PL_EINVAL;   /* the server hung up in mid-answer */
    if (rc == PL_OK &&
        dn_reply_match(x->buf, x->len, x->id, x->qname, x->qtype, &x->h,
                       &x->qend) != PL_OK)
        rc = PL_EINVAL;   /* nobody can forge a TCP stream: a bad server */
    return rc;
}

/* Judge a matched reply: PL_OK for an answer, PL_EAGAIN for this
 * server's failure (out->rcode says which), PL_ELOOP. */
static int dn_judge(const dn_xfer *x, int budget, dn_ans *out)
{
    int rcode = (int)(x->h.flags & 0xF), rc;

    if (rcode != DN_RC_NOERROR && rcode != DN_RC_NXDOMAIN) {
        out->rcode = rcode;
        return PL_EAGAIN;
    }
    if (rcode == DN_RC_NOERROR && x->h.an == 0 &&
        !(x->h.flags & (DN_F_AA | DN_F_RA))) {
        out->rcode = -1;   /* a referral: not a recursive server */
        return PL_EAGAIN;
    }
    rc = dn_ans_parse(x->buf, x->len, x->qend, &x->h, x->qname, x->qtype,
                      budget, out);
    if (rc == PL_EINVAL) {
        out->rcode = -1;
        return PL_EAGAIN;
    }
    return rc;
}

/* One question to server i. */
static int dn_try(dn_resolver *r, int i, dn_xfer *x, int budget,
                  dn_ans *out)
{
    unsigned char rnd[2];
    int rc;

    if (pl_random(rnd, sizeof rnd) != PL_OK)
        return PL_ERR;
    x->srv = &r->srv[i];
    x->id = ((unsigned)rnd[0] << 8) | rnd[1];
    rc = dn_query_build(x->q + 2, sizeof x->q - 2, x->id, x->qname,
                        x->qtype, &x->qlen);
    if (rc != PL_OK)
        return rc;
    x->deadline = pl_time_mono_ms() + r->timeout_ms;
    rc = dn_udp_xfer(x);
    if (rc == PL_OK && (x->h.flags & DN_F_TC)) {
        ut_log_debug("dns: %s: truncated reply for %s, asking over TCP",
                     x->srv->udp, x->qname);
        rc = dn_tcp_xfer(x);
    }
    if (rc == PL_OK)
        return dn_judge(x, budget, out);
    ut_log_debug("dns: %s: no answer for %s: %s", x->srv->udp, x->qname,
                 pl_strerror(rc));
    if (rc == PL_EINVAL)
        return PL_EAGAIN;          /* a broken reply */
    if (rc == PL_EINTR || rc == PL_ENOMEM)
        return rc;
    return PL_ETIMEDOUT;           /* refused, unreachable, silent */
}

int dn_ask(dn_resolver *r, const char *qname, int qtype, int budget,
           dn_ans *out)
{
    int order[DN_SERVERS_MAX], a, k, rc, last = PL_ETIMEDOUT, rcode = -1;
    int final = 0;
    dn_xfer *x;

    if (r == NULL || out == NULL || !dn_name_ok(qname))
        return PL_EINVAL;
    x = (dn_xfer *)malloc(sizeof *x);
    if (x != NULL)
        x->buf = (unsigned char *)malloc(DN_MSG_MAX);
    if (x == NULL || x->buf == NULL) {
        free(x);
        return PL_ENOMEM;
    }
    x->qname = qname;
    x->qtype = qtype;
    dn_order(r, order);
    for (a = 0; a < r->attempts && !final; a++) {
        for (k = 0; k < r->n && !final; k++) {
            rc = dn_try(r, order[k], x, budget, out);
            if (rc == PL_OK || rc == PL_ELOOP) {
                dn_mark(r, order[k], 0);
                last = rc;
                final = 1;
            } else if (rc == PL_ERR || rc == PL_EINTR || rc == PL_ENOMEM) {
                last = rc;     /* ours, not the server's */
                final = 1;
            } else if (rc == PL_EAGAIN) {
                dn_mark(r, order[k], 0);   /* it answers, badly */
                last = PL_EAGAIN;
                rcode = out->rcode;
            } else {
                dn_mark(r, order[k], 1);   /* timeout, refused */
            }
        }
    }
    if (!final)
        out->rcode = rcode;
    free(x->buf);
    free(x);
    return last;
}
