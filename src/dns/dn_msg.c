/*
 * dn_msg.c - DNS messages (RFC 1035 4.1, RFC 3596): building a query,
 * checking that a reply answers it, reading names with compression and
 * the records of an answer section, address text.
 *
 * Replies come from the network and are hostile until proven otherwise:
 * every octet read is bounds-checked against the datagram, counts are
 * never trusted (a count that runs past the end is an error), a
 * compression pointer must point before the segment that holds it (so
 * loops cannot exist) and at most DN_JUMPS_MAX are followed, a name is at
 * most 255 octets and a label 63; nothing recurses.
 * Limits: DN_REC_MAX records kept per answer, DN_CNAME_MAX CNAMEs.
 * Privilege: none.
 */
#include <stdio.h>
#include <string.h>
#include "dn_int.h"
#include "ut_str.h"

static unsigned dn_get16(const unsigned char *p)
{
    return ((unsigned)p[0] << 8) | (unsigned)p[1];
}

static void dn_put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)((v >> 8) & 0xFF);
    p[1] = (unsigned char)(v & 0xFF);
}

/* 1 for the octets a host name may hold (underscore tolerated: it is in
 * real service names and harmless in ours). */
static int dn_host_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int dn_name_ok(const char *text)
{
    size_t len, i, label = 0;

    if (text == NULL)
        return 0;
    len = strlen(text);
    if (len > 0 && text[len - 1] == '.')
        len--;
    if (len == 0 || len > DN_WIRE_MAX - 2)
        return 0;
    for (i = 0; i < len; i++) {
        if (text[i] == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if (!dn_host_char((unsigned char)text[i]) ||
                   ++label > DN_LABEL_MAX) {
            return 0;
        }
    }
    return label > 0;
}

int dn_name_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la > 0 && a[la - 1] == '.')
        la--;
    if (lb > 0 && b[lb - 1] == '.')
        lb--;
    return la == lb && ut_strncaseeq(a, b, la);
}

int dn_query_build(unsigned char *buf, size_t n, unsigned id,
                   const char *name, int qtype, size_t *len)
{
    size_t pos = DN_HDR_LEN, i = 0, nl;

    if (buf == NULL || name == NULL || len == NULL || !dn_name_ok(name) ||
        n < DN_QUERY_MAX)
        return PL_EINVAL;
    nl = strlen(name);
    if (name[nl - 1] == '.')
        nl--;
    memset(buf, 0, DN_HDR_LEN);
    dn_put16(buf, id & 0xFFFF);
    dn_put16(buf + 2, DN_F_RD);
    dn_put16(buf + 4, 1);
    while (i < nl) {
        size_t e = i;

        while (e < nl && name[e] != '.')
            e++;
        buf[pos++] = (unsigned char)(e - i);
        memcpy(buf + pos, name + i, e - i);
        pos += e - i;
        i = e + 1;
    }
    buf[pos++] = 0;
    dn_put16(buf + pos, (unsigned)qtype);
    dn_put16(buf + pos + 2, DN_C_IN);
    *len = pos + 4;
    return PL_OK;
}

/* Append label m[p..p+ll) to out at *tl (lower case, '?' for octets no
 * host name has). */
static void dn_label_text(const unsigned char *p, size_t ll, char *out,
                          size_t *tl)
{
    size_t i;

    if (*tl > 0)
        out[(*tl)++] = '.';
    for (i = 0; i < ll; i++) {
        int c = p[i];

        out[(*tl)++] = (char)(dn_host_char(c) ? ut_tolower(c) : '?');
    }
}

int dn_name_read(const unsigned char *m, size_t n, size_t *off, char *out,
                 size_t outn)
{
    size_t pos, seg, after = 0, wire = 1, tl = 0;
    int jumps = 0, jumped = 0;

    if (m == NULL || off == NULL || out == NULL || outn < DN_NAME_MAX + 1)
        return PL_EINVAL;
    pos = seg = *off;
    out[0] = '\0';
    for (;;) {
        unsigned c;

        if (pos >= n)
            return PL_EINVAL;
        c = m[pos];
        if ((c & 0xC0) == 0xC0) {
            size_t ptr;

            if (pos + 1 >= n || ++jumps > DN_JUMPS_MAX)
                return PL_EINVAL;
            ptr = ((size_t)(c & 0x3F) << 8) | m[pos + 1];
            /* Strictly before this segment: targets only ever go down,
             * so no loop can form. */
            if (ptr >= seg)
                return PL_EINVAL;
            if (!jumped)
                after = pos + 2;
            jumped = 1;
            pos = seg = ptr;
            continue;
        }
        if (c & 0xC0)
            return PL_EINVAL;   /* RFC 6891 extended label types */
        if (c == 0)
            break;
        wire += c + 1;
        if (wire > DN_WIRE_MAX || pos + 1 + c > n)
            return PL_EINVAL;
        dn_label_text(m + pos + 1, c, out, &tl);
        pos += 1 + c;
    }
    out[tl] = '\0';
    *off = jumped ? after : pos + 1;
    return PL_OK;
}

int dn_reply_match(const unsigned char *m, size_t n, unsigned id,
                   const char *name, int qtype, dn_hdr *h, size_t *qend)
{
    char qn[DN_NAME_MAX + 1];
    size_t off = DN_HDR_LEN;
    unsigned t, c;

    if (m == NULL || h == NULL || qend == NULL || n < DN_HDR_LEN)
        return PL_EINVAL;
    h->id = dn_get16(m);
    h->flags = dn_get16(m + 2);
    h->qd = dn_get16(m + 4);
    h->an = dn_get16(m + 6);
    h->ns = dn_get16(m + 8);
    h->ar = dn_get16(m + 10);
    if (h->id != (id & 0xFFFF) || !(h->flags & DN_F_QR) ||
        ((h->flags >> 11) & 0xF) != 0 || h->qd != 1)
        return PL_ENOENT;
    if (dn_name_read(m, n, &off, qn, sizeof qn) != PL_OK || off + 4 > n)
        return PL_EINVAL;
    t = dn_get16(m + off);
    c = dn_get16(m + off + 2);
    if (t != (unsigned)qtype || c != DN_C_IN || !dn_name_eq(qn, name))
        return PL_ENOENT;
    *qend = off + 4;
    return PL_OK;
}

/* One resource record's header; rdata at *rdoff, *rdlen octets, all
 * inside the message. */
typedef struct dn_rrh {
    char owner[DN_NAME_MAX + 1];
    unsigned type, cls;
    size_t rdoff, rdlen;
} dn_rrh;

static int dn_rr_read(const unsigned char *m, size_t n, size_t *off,
                      dn_rrh *rr)
{
    size_t p = *off;

    if (dn_name_read(m, n, &p, rr->owner, sizeof rr->owner) != PL_OK ||
        p + 10 > n)
        return PL_EINVAL;
    rr->type = dn_get16(m + p);
    rr->cls = dn_get16(m + p + 2);
    rr->rdlen = dn_get16(m + p + 8);
    rr->rdoff = p + 10;
    if (rr->rdoff + rr->rdlen > n)
        return PL_EINVAL;
    *off = rr->rdoff + rr->rdlen;
    return PL_OK;
}

/* A name that must fill rdata exactly (CNAME, MX exchange). */
static int dn_rdata_name(const unsigned char *m, size_t n, size_t at,
                         size_t end, char *out)
{
    size_t p = at;

    if (dn_name_read(m, n, &p, out, DN_NAME_MAX + 1) != PL_OK || p != end)
        return PL_EINVAL;
    return PL_OK;
}

/* Keep rec in out: when full, an MX replaces the worst preference it
 * beats (so the best exchangers survive a huge set); addresses are
 * dropped. */
static void dn_rec_keep(dn_ans *out, const dn_rec *rec, int qtype)
{
    int i, worst = 0;

    for (i = 0; i < out->nrec; i++)
        if (out->rec[i].pref == rec->pref &&
            strcmp(out->rec[i].data, rec->data) == 0)
            return;   /* the same record twice */
    if (out->nrec < DN_REC_MAX) {
        out->rec[out->nrec++] = *rec;
        return;
    }
    if (qtype != DN_T_MX)
        return;
    for (i = 1; i < out->nrec; i++)
        if (out->rec[i].pref > out->rec[worst].pref)
            worst = i;
    if (rec->pref < out->rec[worst].pref)
        out->rec[worst] = *rec;
}

/* Decode the rdata of one record of the asked type into out. */
static int dn_rec_take(const unsigned char *m, size_t n, const dn_rrh *rr,
                       int qtype, dn_ans *out)
{
    dn_rec rec;

    rec.pref = 0;
    if (qtype == DN_T_A || qtype == DN_T_AAAA) {
        if (rr->rdlen != (qtype == DN_T_A ? 4u : 16u))
            return PL_EINVAL;
        ut_ip_text(m + rr->rdoff, (int)rr->rdlen, rec.data,
                     sizeof rec.data);
    } else if (qtype == DN_T_MX) {
        if (rr->rdlen < 3)
            return PL_EINVAL;
        rec.pref = (int)dn_get16(m + rr->rdoff);
        if (dn_rdata_name(m, n, rr->rdoff + 2, rr->rdoff + rr->rdlen,
                          rec.data) != PL_OK)
            return PL_EINVAL;
        if (rec.data[0] != '\0' && !dn_name_ok(rec.data)) {
            out->nbad++;   /* a hostile or broken exchanger name */
            return PL_OK;
        }
    } else {
        return PL_EINVAL;
    }
    dn_rec_keep(out, &rec, qtype);
    return PL_OK;
}

/* One pass over the answer section for the name out->name: keep its
 * records of qtype, note a CNAME of it in next ("" when none). */
static int dn_ans_scan(const unsigned char *m, size_t n, size_t qend,
                       unsigned an, int qtype, dn_ans *out, char *next)
{
    size_t off = qend;
    unsigned i;
    dn_rrh rr;

    next[0] = '\0';
    for (i = 0; i < an; i++) {
        if (dn_rr_read(m, n, &off, &rr) != PL_OK)
            return PL_EINVAL;   /* the count lied, or a name is bad */
        if (rr.cls != DN_C_IN || !dn_name_eq(rr.owner, out->name))
            continue;
        if (rr.type == (unsigned)qtype) {
            if (dn_rec_take(m, n, &rr, qtype, out) != PL_OK)
                return PL_EINVAL;
        } else if (rr.type == DN_T_CNAME) {
            if (dn_rdata_name(m, n, rr.rdoff, rr.rdoff + rr.rdlen,
                              next) != PL_OK)
                return PL_EINVAL;
            if (!dn_name_ok(next))
                return PL_EINVAL;
        }
    }
    return PL_OK;
}

int dn_ans_parse(const unsigned char *m, size_t n, size_t qend,
                 const dn_hdr *h, const char *qname, int qtype, int budget,
                 dn_ans *out)
{
    char next[DN_NAME_MAX + 1];
    int rc;

    if (m == NULL || h == NULL || qname == NULL || out == NULL ||
        qend > n || budget < 0)
        return PL_EINVAL;
    memset(out, 0, sizeof *out);
    out->rcode = (int)(h->flags & 0xF);
    if (ut_strlcpy(out->name, qname, sizeof out->name) != PL_OK)
        return PL_EINVAL;
    for (;;) {
        rc = dn_ans_scan(m, n, qend, h->an, qtype, out, next);
        if (rc != PL_OK)
            return rc;
        if (out->nrec > 0 || out->nbad > 0 || next[0] == '\0')
            return PL_OK;
        if (out->ncname >= budget)
            return PL_ELOOP;
        out->ncname++;
        memcpy(out->name, next, sizeof out->name);
        out->cname_open = 1;
    }
}

int dn_server_parse(const char *text, dn_server *s)
{
    char addr[PL_ADDR_MAX];
    unsigned char a[16];
    const char *port = "53", *end;
    size_t al;
    pl_u64 pv;
    int len;

    if (text == NULL || s == NULL || strlen(text) >= PL_ADDR_MAX)
        return PL_EINVAL;
    if (text[0] == '[') {
        end = strchr(text, ']');
        if (end == NULL || (end[1] != '\0' && end[1] != ':'))
            return PL_EINVAL;
        al = (size_t)(end - text - 1);
        memcpy(addr, text + 1, al);
        if (end[1] == ':')
            port = end + 2;
    } else {
        end = strrchr(text, ':');
        if (end != NULL && strchr(text, ':') == end) {
            al = (size_t)(end - text);   /* IPv4 with a port */
            port = end + 1;
        } else {
            al = strlen(text);           /* IPv4, or bare IPv6 */
        }
        memcpy(addr, text, al);
    }
    addr[al] = '\0';
    if (ut_ip_parse(addr, strlen(addr), a, &len) != PL_OK ||
        (text[0] == '[' && len != 16))
        return PL_EINVAL;
    if (strlen(port) > 5 ||
        ut_parse_u64(port, strlen(port), 65535, &pv) != PL_OK || pv == 0)
        return PL_EINVAL;
    ut_ip_text(a, len, s->host, sizeof s->host);
    (void)snprintf(s->port, sizeof s->port, "%u", (unsigned)pv);
    (void)snprintf(s->udp, sizeof s->udp, len == 16 ? "[%s]:%s" : "%s:%s",
                   s->host, s->port);
    return PL_OK;
}
