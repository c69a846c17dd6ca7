/*
 * qr_route.c - where a queued recipient goes and the remote delivery of
 * one group: local domains to the popstore; outbound.routes (fixed
 * routes, exact domains); relay.host, for everything or, with
 * outbound.zone (the OpenVMS /ZONE and alternate gateway), for domains
 * outside the zone; address literals straight to the address; else MX
 * (dn_route_lookup, our own names and addresses marking a loop).  Then
 * each host and each address in order with sc_deliver, until one
 * transaction runs or a stop is permanent.
 *
 * DNS outcomes: no answer now 4.4.3 (retry); no such domain 5.1.2; null
 * MX 5.1.10; the best MX is us 5.4.6.  A relay host or route host that
 * does not resolve is a configuration problem, never the sender's: 4.4.3.
 * Limits: QR_ROUTES_MAX routes, QR_ZONE_MAX zone entries, the resolver's
 * DN_HOSTS_MAX x DN_ADDRS_MAX addresses.
 * Privilege: none (network only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qr_int.h"
#include "ut_log.h"
#include "ut_str.h"

/* --- parsing (pure) ---------------------------------------------------- */

static int is_name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* A domain or host name: labels of name characters, no empty label. */
static int name_ok(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > DN_NAME_MAX || s[0] == '.' || s[len - 1] == '.')
        return 0;
    for (i = 0; i < len; i++) {
        if (!is_name_char((unsigned char)s[i]))
            return 0;
        if (s[i] == '.' && i + 1 < len && s[i + 1] == '.')
            return 0;
    }
    return 1;
}

/* An address inside brackets: hex digits, dots and colons. */
static int addr_ok(const char *s, size_t len)
{
    size_t i;
    int dots = 0, colons = 0;

    if (len == 0 || len >= PL_ADDR_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == '.')
            dots++;
        else if (c == ':')
            colons++;
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                   (c >= 'A' && c <= 'F')))
            return 0;
    }
    return (dots == 3 && colons == 0) || (colons >= 2 && dots <= 3);
}

static int all_digits_dots(const char *s)
{
    for (; *s != '\0'; s++)
        if (!((*s >= '0' && *s <= '9') || *s == '.'))
            return 0;
    return 1;
}

static int port_parse(const char *s, int *port)
{
    pl_u64 v;

    if (ut_parse_u64(s, strlen(s), 65535, &v) != PL_OK || v == 0)
        return PL_EINVAL;
    *port = (int)v;
    return PL_OK;
}

static void lower(char *s)
{
    for (; *s != '\0'; s++)
        *s = (char)ut_tolower((unsigned char)*s);
}

int qr_host_parse(const char *s, int dport, qr_hostspec *out, char *why,
                  size_t whylen)
{
    const char *end, *colon;
    size_t len;

    memset(out, 0, sizeof *out);
    out->port = dport;
    if (s[0] == '[') {
        end = strchr(s, ']');
        if (end == NULL || !addr_ok(s + 1, (size_t)(end - s - 1))) {
            ut_log_format(why, whylen, "%s: a bad address in brackets", s);
            return PL_EINVAL;
        }
        memcpy(out->host, s + 1, (size_t)(end - s - 1));
        out->host[end - s - 1] = '\0';
        out->literal = 1;
        if (end[1] == '\0')
            return PL_OK;
        if (end[1] != ':' || port_parse(end + 2, &out->port) != PL_OK) {
            ut_log_format(why, whylen, "%s: a bad port", s);
            return PL_EINVAL;
        }
        return PL_OK;
    }
    colon = strchr(s, ':');
    if (colon != NULL && strchr(colon + 1, ':') != NULL) {
        ut_log_format(why, whylen, "%s: write an IPv6 address in brackets "
                      "([ADDRESS]:PORT)", s);
        return PL_EINVAL;
    }
    len = colon != NULL ? (size_t)(colon - s) : strlen(s);
    if (!name_ok(s, len)) {
        ut_log_format(why, whylen, "%s: not a host name", s);
        return PL_EINVAL;
    }
    if (colon != NULL && port_parse(colon + 1, &out->port) != PL_OK) {
        ut_log_format(why, whylen, "%s: a bad port", s);
        return PL_EINVAL;
    }
    memcpy(out->host, s, len);
    out->host[len] = '\0';
    lower(out->host);
    out->literal = all_digits_dots(out->host);
    if (out->literal && !addr_ok(out->host, len)) {
        ut_log_format(why, whylen, "%s: a bad IPv4 address", s);
        return PL_EINVAL;
    }
    return PL_OK;
}

int qr_route_parse(const char *item, int dport, qr_route *out, char *why,
                   size_t whylen)
{
    const char *eq = strchr(item, '=');
    size_t len;

    memset(out, 0, sizeof *out);
    if (eq == NULL) {
        ut_log_format(why, whylen, "%s: expected DOMAIN=HOST[:PORT]", item);
        return PL_EINVAL;
    }
    len = (size_t)(eq - item);
    if (!name_ok(item, len)) {
        ut_log_format(why, whylen, "%s: not a domain before '='", item);
        return PL_EINVAL;
    }
    memcpy(out->domain, item, len);
    out->domain[len] = '\0';
    lower(out->domain);
    if (eq[1] == '\0') {
        ut_log_format(why, whylen, "%s: no host after '='", item);
        return PL_EINVAL;
    }
    return qr_host_parse(eq + 1, dport, &out->to, why, whylen);
}

int qr_rtab_load(const cf_config *cfg, qr_rtab *t, char *why, size_t whylen)
{
    char sub[256];
    int i, j, n;
    const char *relay = cf_str(cfg, "relay.host");

    memset(t, 0, sizeof *t);
    t->port = (int)cf_int(cfg, "outbound.port");
    n = cf_list_count(cfg, "outbound.routes");
    if (n > QR_ROUTES_MAX) {
        ut_log_format(why, whylen, "outbound.routes: more than %d routes",
                      QR_ROUTES_MAX);
        return PL_EINVAL;
    }
    for (i = 0; i < n; i++) {
        if (qr_route_parse(cf_list_item(cfg, "outbound.routes", i), t->port,
                           &t->route[i], sub, sizeof sub) != PL_OK) {
            ut_log_format(why, whylen, "outbound.routes: %s", sub);
            return PL_EINVAL;
        }
        for (j = 0; j < i; j++) {
            if (strcmp(t->route[j].domain, t->route[i].domain) == 0) {
                ut_log_format(why, whylen, "outbound.routes: %s has two "
                              "routes", t->route[i].domain);
                return PL_EINVAL;
            }
        }
        t->nroute++;
    }
    if (relay[0] != '\0') {
        /* a relay host is reached on the submission-style port it names,
         * else on port 25 like any mail exchanger */
        if (qr_host_parse(relay, t->port, &t->relay, sub, sizeof sub)
            != PL_OK) {
            ut_log_format(why, whylen, "relay.host: %s", sub);
            return PL_EINVAL;
        }
        t->has_relay = 1;
    }
    n = cf_list_count(cfg, "outbound.zone");
    if (n > QR_ZONE_MAX) {
        ut_log_format(why, whylen, "outbound.zone: more than %d entries",
                      QR_ZONE_MAX);
        return PL_EINVAL;
    }
    for (i = 0; i < n; i++) {
        const char *z = cf_list_item(cfg, "outbound.zone", i);

        if (z[0] == '.')
            z++;          /* ".example.org" means the same as the bare name */
        if (!name_ok(z, strlen(z))) {
            ut_log_format(why, whylen, "outbound.zone: %s: not a domain",
                          cf_list_item(cfg, "outbound.zone", i));
            return PL_EINVAL;
        }
        (void)ut_strlcpy(t->zone[i], z, sizeof t->zone[i]);
        lower(t->zone[i]);
        t->nzone++;
    }
    if (t->nzone > 0 && !t->has_relay) {
        ut_log_format(why, whylen, "outbound.zone is set but relay.host is "
                      "empty: mail outside the zone has no gateway");
        return PL_EINVAL;
    }
    return PL_OK;
}

int qr_in_zone(const qr_rtab *t, const char *domain)
{
    size_t dl = strlen(domain), zl;
    int i;

    for (i = 0; i < t->nzone; i++) {
        zl = strlen(t->zone[i]);
        if (dl == zl && ut_strcaseeq(domain, t->zone[i]))
            return 1;
        if (dl > zl && domain[dl - zl - 1] == '.' &&
            ut_strcaseeq(domain + dl - zl, t->zone[i]))
            return 1;
    }
    return 0;
}

static void key_host(qr_dest *d, const char *kind, const qr_hostspec *h)
{
    char port[12];

    sprintf(port, ":%d", h->port);
    (void)ut_strlcpy(d->key, kind, sizeof d->key);
    (void)ut_strlcat(d->key, h->literal ? "[" : "", sizeof d->key);
    (void)ut_strlcat(d->key, h->host, sizeof d->key);
    (void)ut_strlcat(d->key, h->literal ? "]" : "", sizeof d->key);
    (void)ut_strlcat(d->key, port, sizeof d->key);
}

/* An address-literal domain "[192.0.2.1]" or "[IPv6:2001:db8::1]". */
static int literal_parse(const char *dom, int port, qr_hostspec *h)
{
    size_t len = strlen(dom);
    const char *a = dom + 1;

    if (len < 3 || dom[len - 1] != ']')
        return PL_EINVAL;
    if (ut_strncaseeq(a, "IPv6:", 5))
        a += 5;
    len = (size_t)(dom + len - 1 - a);
    /* RFC 5321 4.1.3: an IPv6 literal carries its "IPv6:" tag */
    if (!addr_ok(a, len) || (a == dom + 1 && memchr(a, ':', len) != NULL))
        return PL_EINVAL;
    memset(h, 0, sizeof *h);
    memcpy(h->host, a, len);
    h->host[len] = '\0';
    h->literal = 1;
    h->port = port;
    return PL_OK;
}

int qr_dest_pick(const qr_rtab *t, const char *addr, int is_local,
                 qr_dest *out)
{
    const char *at = strrchr(addr, '@');
    int i;

    memset(out, 0, sizeof *out);
    if (at == NULL || at[1] == '\0' ||
        ut_strlcpy(out->domain, at + 1, sizeof out->domain) != PL_OK)
        return PL_EINVAL;
    lower(out->domain);
    if (out->domain[0] == '[') {
        if (literal_parse(out->domain, t->port, &out->to) != PL_OK)
            return PL_EINVAL;
    } else if (!name_ok(out->domain, strlen(out->domain))) {
        return PL_EINVAL;
    }
    if (is_local) {
        out->kind = QR_D_LOCAL;
        (void)ut_strlcpy(out->key, "local", sizeof out->key);
        return PL_OK;
    }
    for (i = 0; i < t->nroute; i++) {
        if (strcmp(t->route[i].domain, out->domain) == 0) {
            out->kind = QR_D_ROUTE;
            out->to = t->route[i].to;
            key_host(out, "route:", &out->to);
            return PL_OK;
        }
    }
    if (t->has_relay && (t->nzone == 0 || out->domain[0] == '[' ||
                         !qr_in_zone(t, out->domain))) {
        out->kind = QR_D_RELAY;
        out->to = t->relay;
        key_host(out, "relay:", &out->to);
        return PL_OK;
    }
    if (out->domain[0] == '[') {
        out->kind = QR_D_LITERAL;
        key_host(out, "addr:", &out->to);
        return PL_OK;
    }
    out->kind = QR_D_MX;
    (void)ut_strlcpy(out->key, "mx:", sizeof out->key);
    (void)ut_strlcat(out->key, out->domain, sizeof out->key);
    return PL_OK;
}

/* --- delivery (network) ------------------------------------------------ */

/* 1 if domain is listed in outbound.tls_required_domains. */
static int tls_required(const cf_config *cfg, const char *domain)
{
    int i, n = cf_list_count(cfg, "outbound.tls_required_domains");

    for (i = 0; i < n; i++)
        if (ut_strcaseeq(cf_list_item(cfg, "outbound.tls_required_domains",
                                      i), domain))
            return 1;
    return 0;
}

static pl_i32 ms_of(const cf_config *cfg, const char *key)
{
    return (pl_i32)cf_duration(cfg, key) * 1000;
}

static void policy_fill(qr_ctx *c, const qu_env *e, const qr_dest *dest,
                        const int *idx, int n, sc_policy *p)
{
    const cf_config *cfg = c->env->cfg;
    int i;

    memset(p, 0, sizeof *p);
    p->helo = c->helo;
    p->tls_ca = c->tls_ca;
    p->eightbit = (int)cf_int(cfg, "outbound.8bitmime") == 1
                  ? SC_8BIT_BOUNCE : SC_8BIT_SEND;
    p->connect_ms = ms_of(cfg, "outbound.connect_timeout");
    p->greeting_ms = ms_of(cfg, "outbound.greeting_timeout");
    p->command_ms = ms_of(cfg, "outbound.command_timeout");
    p->data_init_ms = ms_of(cfg, "outbound.data_init_timeout");
    p->data_block_ms = ms_of(cfg, "outbound.data_block_timeout");
    p->data_done_ms = ms_of(cfg, "outbound.data_done_timeout");
    if (dest->kind == QR_D_RELAY) {
        p->tls = (int)cf_int(cfg, "relay.tls");
        p->auth_user = c->auth_user;
        p->auth_pass = c->auth_pass;
        return;
    }
    p->tls = (int)cf_int(cfg, "outbound.tls");
    /* one transaction may carry several domains (a fixed route): the
     * strictest of their policies applies to all */
    for (i = 0; i < n && p->tls < SC_TLS_ENCRYPT; i++) {
        const char *at = strrchr(e->rcpt[idx[i]].addr, '@');
        if (at != NULL && tls_required(cfg, at + 1))
            p->tls = SC_TLS_ENCRYPT;
    }
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* A status that starts with its reply code, made from a bare reason
 * ("connection refused": code is "451 4.4.1") or from one that has only
 * an enhanced code ("4.7.4 TLS is required": the reply code of code). */
static void status_make(char *out, size_t n, const char *code,
                        const char *text)
{
    if (text[0] >= '2' && text[0] <= '5' && is_digit(text[1]) &&
        is_digit(text[2]) && text[3] == ' ') {
        (void)ut_strlcpy(out, text, n);
        return;
    }
    if (text[0] >= '2' && text[0] <= '5' && text[1] == '.' &&
        is_digit(text[2])) {
        memcpy(out, code, 4);           /* "451 " */
        out[4] = '\0';
        (void)ut_strlcat(out, text, n);
        return;
    }
    (void)ut_strlcpy(out, code, n);
    (void)ut_strlcat(out, " ", n);
    (void)ut_strlcat(out, text[0] != '\0' ? text : "no reason given", n);
}

static void set_all(qu_env *e, const int *idx, int n, int state,
                    const char *status, const char *remote)
{
    int i;

    for (i = 0; i < n; i++) {
        qr_status_set(&e->rcpt[idx[i]], status, remote);
        e->rcpt[idx[i]].state = state;
    }
}

/* The hosts to try for dest into rt; PL_OK, or a status and state for
 * every recipient when there is nobody to try. */
static int hosts_find(qr_ctx *c, const qr_dest *dest, dn_route *rt,
                      int *port, char *status, size_t sn, int *state)
{
    int rc, res = DN_R_OK;

    memset(rt, 0, sizeof *rt);
    *state = QU_R_PENDING;
    if (c->dns == NULL && !(dest->kind != QR_D_MX && dest->to.literal)) {
        status_make(status, sn, "451 4.4.3", "no name server configured "
                    "(dns.servers)");
        return PL_ENOENT;
    }
    if (dest->kind == QR_D_MX) {
        *port = c->rtab->port;
        rc = dn_route_lookup(c->dns, dest->domain, c->self, c->nself, rt);
        if (rc == PL_EINVAL) {
            status_make(status, sn, "550 5.1.2", "bad destination domain");
            *state = QU_R_FAILED;
            return PL_EINVAL;
        }
        if (rc != PL_OK) {   /* out of memory, sockets: ours, not theirs */
            status_make(status, sn, "451 4.4.3", "name lookup failed");
            return rc;
        }
        res = rt->result;
    } else {
        *port = dest->to.port;
        rt->nhost = 1;
        rt->host[0].pref = -1;
        (void)ut_strlcpy(rt->host[0].name, dest->to.host, DN_NAME_MAX + 1);
        if (dest->to.literal) {
            rt->host[0].naddr = 1;
            (void)ut_strlcpy(rt->host[0].addr[0], dest->to.host,
                             PL_ADDR_MAX);
        } else {
            rc = dn_host_lookup(c->dns, dest->to.host, &rt->host[0], &res);
            if (rc != PL_OK || res != DN_R_OK) {
                ut_log_format(status, sn, "451 4.4.3 %s host %s: not found "
                              "(%s)", dest->kind == QR_D_RELAY ? "relay"
                              : "route", dest->to.host, res == DN_R_TEMP
                              ? "DNS lookup failed for now" : "no address");
                return PL_ENOENT;
            }
            return PL_OK;
        }
    }
    switch (res) {
    case DN_R_OK:
        return PL_OK;
    case DN_R_NOHOST:
        status_make(status, sn, "550 5.1.2", rt->why);
        *state = QU_R_FAILED;
        break;
    case DN_R_NULLMX:
        status_make(status, sn, "556 5.1.10", rt->why);
        *state = QU_R_FAILED;
        break;
    case DN_R_LOOP:
        status_make(status, sn, "554 5.4.6", rt->why);
        *state = QU_R_FAILED;
        break;
    default:
        status_make(status, sn, "451 4.4.3", rt->why);
        break;
    }
    return PL_ENOENT;
}

/* Apply one sc_deliver result to the recipients still open (idx[0..*n),
 * compacting idx to those that go on to the next address.  1 when done. */
static int result_apply(qu_env *e, int *idx, int *n, const sc_rcpt *sr,
                        const sc_result *res, char *last, size_t ln)
{
    int i, k = 0;

    for (i = 0; i < *n; i++) {
        qu_rcpt *r = &e->rcpt[idx[i]];
        int code = sr[i].code;

        if (res->code == 0 || code >= 500) {
            /* the transaction ran, or this recipient was refused for
             * good: its own reply is the verdict */
            if (code == 0)
                status_make(r->status, sizeof r->status, "451 4.4.2",
                            res->status);
            else
                qr_status_set(r, sr[i].status, NULL);
            (void)ut_strlcpy(r->remote, res->remote, sizeof r->remote);
            r->state = code >= 200 && code < 300 ? QU_R_SENT
                       : code >= 500 ? QU_R_FAILED : QU_R_PENDING;
            continue;
        }
        idx[k++] = idx[i];
    }
    *n = k;
    if (res->code == 0)
        return 1;
    status_make(last, ln, res->perm ? "554 5.0.0" : "451 4.4.1",
                res->status);
    if (res->perm) {
        set_all(e, idx, *n, QU_R_FAILED, last, res->remote);
        *n = 0;
        return 1;
    }
    return *n == 0;
}

int qr_remote_deliver(qr_ctx *c, qu_env *e, const qr_dest *dest,
                      const int *idx0, int n0)
{
    char status[QU_STATUS_MAX + 1], remote[SC_REMOTE_MAX];
    dn_route *rt;
    sc_policy pol;
    sc_msg m;
    sc_rcpt *sr;
    sc_result *res;
    pl_file *data = NULL;
    int *idx, n = n0, h, a, port = 25, state, rc, done = 0;

    rt = (dn_route *)malloc(sizeof *rt);
    sr = (sc_rcpt *)calloc((size_t)n0, sizeof *sr);
    res = (sc_result *)malloc(sizeof *res);
    idx = (int *)malloc((size_t)n0 * sizeof *idx);
    if (rt == NULL || sr == NULL || res == NULL || idx == NULL) {
        set_all(e, idx0, n0, QU_R_PENDING, "451 4.3.0 Out of memory", "");
        rc = PL_OK;
        goto out;
    }
    memcpy(idx, idx0, (size_t)n0 * sizeof *idx);
    remote[0] = '\0';
    qr_net_enter(c->run);
    rc = hosts_find(c, dest, rt, &port, status, sizeof status, &state);
    if (!qr_net_leave(c->run)) {
        rc = PL_EINTR;
        goto out;
    }
    if (rc != PL_OK) {
        set_all(e, idx, n, state, status, "");
        rc = PL_OK;
        goto out;
    }
    rc = qu_msg_open(c->env->queue, e->id, &data);
    if (rc != PL_OK) {
        ut_log_format(status, sizeof status, "451 4.3.0 Queue file "
                      "unreadable: %s", pl_strerror(rc));
        set_all(e, idx, n, QU_R_PENDING, status, "");
        rc = PL_OK;
        goto out;
    }
    policy_fill(c, e, dest, idx, n, &pol);
    status_make(status, sizeof status, "451 4.4.1", "no address to try");
    for (h = 0; !done && h < rt->nhost; h++) {
        for (a = 0; !done && a < rt->host[h].naddr; a++) {
            int i;

            memset(&m, 0, sizeof m);
            memset(res, 0, sizeof *res);
            for (i = 0; i < n; i++) {
                memset(&sr[i], 0, sizeof sr[i]);
                sr[i].addr = e->rcpt[idx[i]].addr;
                sr[i].orcpt = e->rcpt[idx[i]].orcpt;
                sr[i].notify = e->rcpt[idx[i]].notify;
            }
            m.from = e->from;
            m.envid = e->envid;
            m.ret = e->ret;
            m.body = e->body;
            m.smtputf8 = e->smtputf8;
            m.size = e->size;
            m.data = data;
            m.nrcpt = n;
            m.rcpt = sr;
            if (pl_file_seek(data, 0) != PL_OK)
                break;
            qr_net_enter(c->run);
            rc = sc_deliver(&pol, rt->host[h].name, rt->host[h].addr[a],
                            port, &m, res);
            if (!qr_net_leave(c->run)) {
                rc = PL_EINTR;
                goto out;
            }
            if (rc != PL_OK && res->code == 0) {
                /* not filled in (bad argument, no memory): the peer got
                 * no complete transaction; another try may do better */
                ut_log_format(res->status, sizeof res->status,
                              "451 4.3.0 SMTP client error: %s",
                              pl_strerror(rc));
                res->code = SC_E_PROTOCOL;
                res->perm = 0;
            }
            (void)ut_strlcpy(remote, res->remote[0] != '\0' ? res->remote
                             : rt->host[h].addr[a], sizeof remote);
            done = result_apply(e, idx, &n, sr, res, status, sizeof status);
        }
    }
    if (!done)
        set_all(e, idx, n, QU_R_PENDING, status, remote);
    rc = PL_OK;
out:
    (void)pl_file_close(data);
    free(rt);
    free(sr);
    free(res);
    free(idx);
    return rc;
}
