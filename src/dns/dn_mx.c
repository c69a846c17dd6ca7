/*
 * dn_mx.c - mail routing on top of the resolver: the MX hosts of a
 * domain by preference with their addresses (RFC 5321 5.1), the implicit
 * MX, the null MX (RFC 7505), self detection, and the addresses of one
 * host.
 *
 * Addresses come from A and AAAA queries per host, never from the
 * additional section (glue there is unauthenticated by the question, so
 * it is not trusted).  CNAMEs are followed inside an answer and across
 * queries, at most DN_CNAME_MAX in all.  Exchanger names that are not
 * host names are dropped, so nothing hostile reaches a log line, a
 * Received header or a TLS name check.  Equal preferences are shuffled
 * with pl_random so that load spreads as RFC 5321 5.1 asks.
 * Limits: DN_HOSTS_MAX hosts, DN_ADDRS_MAX addresses per host (A first).
 * Privilege: none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dn_int.h"
#include "ut_str.h"

/* Outcome of the lookups for one host name and one type. */
#define DN_L_DATA    0   /* records (or NODATA) */
#define DN_L_NXDOM   1
#define DN_L_TEMP    2
#define DN_L_LOOP    3

/* One type for one name, CNAMEs followed across queries when a server
 * did not complete the chain itself.  DN_L_*. */
static int dn_lookup(dn_resolver *r, const char *name, int qtype,
                     dn_ans *ans)
{
    char q[DN_NAME_MAX + 1];
    int budget = DN_CNAME_MAX, rc;

    if (ut_strlcpy(q, name, sizeof q) != PL_OK)
        return DN_L_NXDOM;
    for (;;) {
        rc = dn_ask(r, q, qtype, budget, ans);
        if (rc == PL_ELOOP)
            return DN_L_LOOP;
        if (rc != PL_OK)
            return DN_L_TEMP;
        if (ans->rcode == DN_RC_NXDOMAIN)
            return DN_L_NXDOM;
        if (ans->nrec > 0 || ans->nbad > 0 || !ans->cname_open)
            return DN_L_DATA;
        /* dn_ans_parse keeps ncname <= budget and ncname >= 1 here, so
         * the budget falls every round. */
        budget -= ans->ncname;
        memcpy(q, ans->name, sizeof q);
    }
}

/* "192.0.2.1", "[192.0.2.1]", "[IPv6:2001:db8::1]", "2001:db8::1" into
 * canonical text; PL_EINVAL when s is no address literal. */
static int dn_literal(const char *s, char *text, size_t n)
{
    char in[PL_ADDR_MAX];
    unsigned char a[16];
    size_t len = strlen(s);
    int alen;

    if (len >= sizeof in)
        return PL_EINVAL;
    if (s[0] == '[') {
        if (len < 3 || s[len - 1] != ']')
            return PL_EINVAL;
        s++;
        len -= 2;
        if (len > 5 && ut_strncaseeq(s, "IPv6:", 5)) {
            s += 5;
            len -= 5;
        }
    }
    memcpy(in, s, len);
    in[len] = '\0';
    if (ut_ip_parse(in, strlen(in), a, &alen) != PL_OK)
        return PL_EINVAL;
    ut_ip_text(a, alen, text, n);
    return PL_OK;
}

/* Add the A or AAAA records of ans to h (up to DN_ADDRS_MAX). */
static void dn_addrs_add(dn_host *h, const dn_ans *ans)
{
    int i;

    for (i = 0; i < ans->nrec && h->naddr < DN_ADDRS_MAX; i++)
        (void)ut_strlcpy(h->addr[h->naddr++], ans->rec[i].data,
                         PL_ADDR_MAX);
}

/* The addresses of h->name, A then AAAA.  DN_R_OK with at least one
 * address, DN_R_NOHOST (why says which), DN_R_TEMP. */
static int dn_host_fill(dn_resolver *r, dn_host *h, dn_ans *ans,
                        char *why, size_t wn)
{
    int la, l6 = DN_L_DATA;

    h->naddr = 0;
    la = dn_lookup(r, h->name, DN_T_A, ans);
    if (la == DN_L_DATA)
        dn_addrs_add(h, ans);
    if (la != DN_L_NXDOM) {
        l6 = dn_lookup(r, h->name, DN_T_AAAA, ans);
        if (l6 == DN_L_DATA)
            dn_addrs_add(h, ans);
    }
    if (h->naddr > 0)
        return DN_R_OK;
    if (la == DN_L_TEMP || l6 == DN_L_TEMP) {
        (void)snprintf(why, wn, "%.80s: address lookup failed for now "
                       "(no name server answered, or SERVFAIL)", h->name);
        return DN_R_TEMP;
    }
    if (la == DN_L_LOOP || l6 == DN_L_LOOP) {
        (void)snprintf(why, wn, "%.80s: CNAME chain longer than %d", h->name,
                       DN_CNAME_MAX);
        return DN_R_TEMP;
    }
    (void)snprintf(why, wn, la == DN_L_NXDOM ? "%.80s: no such host"
                   : "%.80s: host has no address", h->name);
    return DN_R_NOHOST;
}

int dn_host_lookup(dn_resolver *r, const char *name, dn_host *out,
                   int *result)
{
    char why[DN_WHY_MAX];
    dn_ans *ans;

    if (r == NULL || name == NULL || out == NULL || result == NULL)
        return PL_EINVAL;
    memset(out, 0, sizeof *out);
    out->pref = -1;
    *result = DN_R_NOHOST;
    if (dn_literal(name, out->addr[0], PL_ADDR_MAX) == PL_OK) {
        (void)ut_strlcpy(out->name, out->addr[0], sizeof out->name);
        out->naddr = 1;
        *result = DN_R_OK;
        return PL_OK;
    }
    if (!dn_name_ok(name))
        return PL_EINVAL;
    ans = (dn_ans *)malloc(sizeof *ans);
    if (ans == NULL)
        return PL_ENOMEM;
    (void)ut_strlcpy(out->name, name, sizeof out->name);
    *result = dn_host_fill(r, out, ans, why, sizeof why);
    free(ans);
    return PL_OK;
}

/* ---- ordering and self detection (pure; tests call them through
 * dn_route_order and dn_route_self) ------------------------------------ */

/* Shuffle then sort stably by preference: equal preferences end up in
 * random order. */
static void dn_order_recs(dn_rec *rec, int n)
{
    unsigned char rnd[DN_REC_MAX];
    dn_rec t;
    int i, j;

    if (n > 1 && pl_random(rnd, (size_t)n) == PL_OK) {
        for (i = n - 1; i > 0; i--) {
            j = rnd[i] % (i + 1);
            t = rec[i];
            rec[i] = rec[j];
            rec[j] = t;
        }
    }
    for (i = 1; i < n; i++) {
        t = rec[i];
        for (j = i; j > 0 && rec[j - 1].pref > t.pref; j--)
            rec[j] = rec[j - 1];
        rec[j] = t;
    }
}

/* 1 if h is one of self: a name equal to h's, or an address equal to
 * one of h's. */
static int dn_is_self(const dn_host *h, const char *const *self, int nself)
{
    char a[PL_ADDR_MAX];
    int i, k;

    for (i = 0; i < nself; i++) {
        if (self[i] == NULL)
            continue;
        if (dn_literal(self[i], a, sizeof a) != PL_OK) {
            if (dn_name_eq(self[i], h->name))
                return 1;
            continue;
        }
        for (k = 0; k < h->naddr; k++)
            if (strcmp(a, h->addr[k]) == 0)
                return 1;
    }
    return 0;
}

int dn_route_self(dn_route *rt, const char *const *self, int nself)
{
    int i, k = 0, cut = -2;

    for (i = 0; i < rt->nhost; i++)
        if (dn_is_self(&rt->host[i], self, nself) &&
            (cut == -2 || rt->host[i].pref < cut))
            cut = rt->host[i].pref;
    if (cut == -2)
        return 0;
    for (i = 0; i < rt->nhost; i++)
        if (rt->host[i].pref < cut)
            rt->host[k++] = rt->host[i];
    rt->nhost = k;
    return 1;
}

void dn_route_drop_bare(dn_route *rt)
{
    int i, k = 0;

    for (i = 0; i < rt->nhost; i++)
        if (rt->host[i].naddr > 0)
            rt->host[k++] = rt->host[i];
    rt->nhost = k;
}

/* Put the exchangers of ans into out by preference (null MX records
 * dropped), at most DN_HOSTS_MAX.  The number of null MX records. */
static int dn_route_order(dn_ans *ans, dn_route *out)
{
    int i, nnull = 0;

    dn_order_recs(ans->rec, ans->nrec);
    out->nhost = 0;
    for (i = 0; i < ans->nrec; i++) {
        dn_host *h;

        if (ans->rec[i].data[0] == '\0') {
            nnull++;
            continue;
        }
        if (out->nhost >= DN_HOSTS_MAX)
            continue;
        h = &out->host[out->nhost++];
        (void)ut_strlcpy(h->name, ans->rec[i].data, sizeof h->name);
        h->pref = ans->rec[i].pref;
        h->naddr = 0;
    }
    return nnull;
}

int dn_route_sort(dn_rec *rec, int nrec, dn_route *out)
{
    dn_ans *ans;
    int nnull;

    if (rec == NULL || out == NULL || nrec < 0 || nrec > DN_REC_MAX)
        return -1;
    ans = (dn_ans *)calloc(1, sizeof *ans);
    if (ans == NULL)
        return -1;
    memcpy(ans->rec, rec, (size_t)nrec * sizeof *rec);
    ans->nrec = nrec;
    nnull = dn_route_order(ans, out);
    free(ans);
    return nnull;
}

/* The addresses of every host; *temp set when one failed for now. */
static void dn_route_addrs(dn_resolver *r, dn_route *out, dn_ans *ans,
                           int *temp)
{
    char why[DN_WHY_MAX];
    int i;

    for (i = 0; i < out->nhost; i++)
        if (dn_host_fill(r, &out->host[i], ans, why, sizeof why) ==
            DN_R_TEMP) {
            *temp = 1;
            memcpy(out->why, why, sizeof why);
        }
}

/* Set the result and why: "NAME: TEXT" (a long name cut). */
static void dn_result(dn_route *out, int result, const char *name,
                      const char *text)
{
    out->result = result;
    (void)snprintf(out->why, sizeof out->why, "%.80s: %s", name, text);
}

/* The MX answer ans for domain into out->result and hosts. */
static void dn_route_mx(dn_resolver *r, const char *domain,
                        const char *const *self, int nself, dn_ans *ans,
                        dn_route *out)
{
    int temp = 0, nnull;

    if (ans->nrec == 0) {
        /* RFC 5321 5.1: no MX, the domain itself (bad exchanger names
         * found are not the same as none: nothing is usable). */
        if (ans->nbad > 0) {
            dn_result(out, DN_R_NOHOST, domain, "no MX record names a valid "
                      "host");
            return;
        }
        out->nhost = 1;
        out->host[0].pref = -1;
        (void)ut_strlcpy(out->host[0].name, domain, DN_NAME_MAX + 1);
    } else {
        nnull = dn_route_order(ans, out);
        if (out->nhost == 0 && nnull > 0) {
            dn_result(out, DN_R_NULLMX, domain, "null MX, the domain accepts "
                      "no mail (RFC 7505)");
            return;
        }
    }
    dn_route_addrs(r, out, ans, &temp);
    if (dn_route_self(out, self, nself) && out->nhost == 0) {
        dn_result(out, DN_R_LOOP, domain, "the best mail exchanger is this "
                  "host (mail loop)");
        return;
    }
    dn_route_drop_bare(out);
    if (out->nhost > 0)
        dn_result(out, DN_R_OK, domain, "ok");
    else if (temp)
        out->result = DN_R_TEMP;   /* why set by dn_route_addrs */
    else if (ans->nrec == 0)
        dn_result(out, DN_R_NOHOST, domain, "no MX record and no address");
    else
        dn_result(out, DN_R_NOHOST, domain, "no mail exchanger has an "
                  "address");
}

int dn_route_lookup(dn_resolver *r, const char *domain,
                    const char *const *self, int nself, dn_route *out)
{
    dn_ans *ans;
    int l;

    if (r == NULL || out == NULL || domain == NULL || nself < 0 ||
        (nself > 0 && self == NULL))
        return PL_EINVAL;
    memset(out, 0, sizeof *out);
    if (!dn_name_ok(domain))
        return PL_EINVAL;
    ans = (dn_ans *)malloc(sizeof *ans);
    if (ans == NULL)
        return PL_ENOMEM;
    l = dn_lookup(r, domain, DN_T_MX, ans);
    if (l == DN_L_TEMP)
        dn_result(out, DN_R_TEMP, domain, "MX lookup failed for now (no name "
                  "server answered, or SERVFAIL)");
    else if (l == DN_L_LOOP)
        dn_result(out, DN_R_TEMP, domain, "CNAME chain too long");
    else if (l == DN_L_NXDOM)
        dn_result(out, DN_R_NOHOST, domain, "no such domain");
    else
        dn_route_mx(r, domain, self, nself, ans, out);
    free(ans);
    return PL_OK;
}
