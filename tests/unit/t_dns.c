/*
 * t_dns.c - the DNS stub resolver's parts (src/dns/dn_int.h): query
 * building; name reading with compression, pointer loops, forward
 * pointers, reserved label types, over-long names; hand-built replies
 * (MX, A, AAAA, CNAME chains, NXDOMAIN, NODATA, null MX, bad exchanger
 * names, counts that lie, records past the end, replies that answer
 * another query), each fed whole and as every shorter prefix in a buffer
 * of exactly that size; address text and parsing; server specs; MX
 * ordering with shuffled equal preferences and self removal; the
 * resolv.conf reader and the UDP sockets of the POSIX layer (a reply, a
 * refused port, a bounded wait); resolver arguments.  Lookups
 * against a real server run in tests/integration/t_dns.sh.
 * Privilege: none.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "t_util.h"
#include "dn_int.h"
#include "px_int.h"

/* ---- a tiny assembler for reply packets ----------------------------
 * One line per part:
 *   "H ID FLAGS QD AN NS AR"   header (ID, FLAGS hex; counts decimal)
 *   "Q NAME TYPE"              question, class IN
 *   "R NAME TYPE DATA..."      record, class IN, TTL 300, rdlength
 *                              computed: A dotted quad, AAAA 32 hex
 *                              digits, MX "PREF NAME", CNAME "NAME"
 *   "X HEX"                    raw octets
 * A NAME is labels joined by '.', optionally ending in "@OFFSET" (a
 * compression pointer); "." is the root, "@12" a pointer alone. */

typedef struct t_pkt {
    unsigned char b[2048];
    size_t n;
} t_pkt;

static void t_put16(t_pkt *p, unsigned v)
{
    p->b[p->n++] = (unsigned char)(v >> 8);
    p->b[p->n++] = (unsigned char)(v & 0xFF);
}

static void t_put_name(t_pkt *p, const char *s)
{
    const char *at = strchr(s, '@');
    size_t end = at != NULL ? (size_t)(at - s) : strlen(s), i = 0;

    if (strcmp(s, ".") == 0)
        end = 0;
    while (i < end) {
        size_t e = i;

        while (e < end && s[e] != '.')
            e++;
        p->b[p->n++] = (unsigned char)(e - i);
        memcpy(p->b + p->n, s + i, e - i);
        p->n += e - i;
        i = e + 1;
    }
    if (at != NULL)
        t_put16(p, 0xC000 | (unsigned)atoi(at + 1));
    else
        p->b[p->n++] = 0;
}

static int t_type(const char *s)
{
    if (strcmp(s, "A") == 0)
        return DN_T_A;
    if (strcmp(s, "AAAA") == 0)
        return DN_T_AAAA;
    if (strcmp(s, "MX") == 0)
        return DN_T_MX;
    if (strcmp(s, "CNAME") == 0)
        return DN_T_CNAME;
    return atoi(s);
}

static void t_put_hex(t_pkt *p, const char *h)
{
    unsigned v;

    while (h[0] != '\0' && h[1] != '\0' && sscanf(h, "%2x", &v) == 1) {
        p->b[p->n++] = (unsigned char)v;
        h += 2;
        while (*h == ' ')
            h++;
    }
}

static void t_put_rdata(t_pkt *p, int type, const char *data)
{
    char name[300];
    unsigned a[4], pref;

    if (type == DN_T_A && sscanf(data, "%u.%u.%u.%u", &a[0], &a[1], &a[2],
                                 &a[3]) == 4) {
        int i;

        for (i = 0; i < 4; i++)
            p->b[p->n++] = (unsigned char)a[i];
    } else if (type == DN_T_AAAA) {
        t_put_hex(p, data);
    } else if (type == DN_T_MX && sscanf(data, "%u %299s", &pref, name) ==
               2) {
        t_put16(p, pref);
        t_put_name(p, name);
    } else if (type == DN_T_CNAME && sscanf(data, "%299s", name) == 1) {
        t_put_name(p, name);
    } else {
        t_put_hex(p, data);
    }
}

static void t_asm(const char *const *lines, t_pkt *p)
{
    int i;

    p->n = 0;
    for (i = 0; lines[i] != NULL; i++) {
        const char *l = lines[i];
        char name[300], type[16];
        unsigned v[6];
        int off = 0;

        if (l[0] == 'H' && sscanf(l + 2, "%x %x %u %u %u %u", &v[0], &v[1],
                                  &v[2], &v[3], &v[4], &v[5]) == 6) {
            int k;

            for (k = 0; k < 6; k++)
                t_put16(p, v[k]);
        } else if (l[0] == 'Q' && sscanf(l + 2, "%299s %15s", name, type) ==
                   2) {
            t_put_name(p, name);
            t_put16(p, (unsigned)t_type(type));
            t_put16(p, DN_C_IN);
        } else if (l[0] == 'R' && sscanf(l + 2, "%299s %15s %n", name, type,
                                         &off) == 2 && off > 0) {
            size_t rdl;

            t_put_name(p, name);
            t_put16(p, (unsigned)t_type(type));
            t_put16(p, DN_C_IN);
            t_put16(p, 0);
            t_put16(p, 300);
            rdl = p->n;
            p->n += 2;
            t_put_rdata(p, t_type(type), l + 2 + off);
            p->b[rdl] = (unsigned char)((p->n - rdl - 2) >> 8);
            p->b[rdl + 1] = (unsigned char)((p->n - rdl - 2) & 0xFF);
        } else if (l[0] == 'X') {
            t_put_hex(p, l + 2);
        } else {
            CU_FAIL_FATAL("bad assembler line");
        }
    }
}

/* ---- query building --------------------------------------------------- */

static void t_query(void)
{
    static const unsigned char want[] = {
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0,
        7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
        0x00, 0x0F, 0x00, 0x01
    };
    static const char *const bad[] = {
        "", ".", "..", "a..b", ".a", "a b", "ex$mple.org", "a\\.b",
        "exa\"mple.org", "a.b..", "\xc3\xa9.org", "a/b", NULL
    };
    unsigned char buf[DN_QUERY_MAX];
    char name[300];
    size_t len = 0;
    int i;

    CU_ASSERT_EQUAL(dn_query_build(buf, sizeof buf, 0x1234, "example.org",
                                   DN_T_MX, &len), PL_OK);
    CU_ASSERT_EQUAL(len, sizeof want);
    CU_ASSERT(memcmp(buf, want, sizeof want) == 0);
    CU_ASSERT_EQUAL(dn_query_build(buf, sizeof buf, 0x1234, "example.org.",
                                   DN_T_MX, &len), PL_OK);
    CU_ASSERT(len == sizeof want && memcmp(buf, want, sizeof want) == 0);
    CU_ASSERT_EQUAL(dn_query_build(buf, sizeof buf, 1, "_srv.a-b.c1",
                                   DN_T_A, &len), PL_OK);
    for (i = 0; bad[i] != NULL; i++)
        CU_ASSERT_EQUAL(dn_query_build(buf, sizeof buf, 1, bad[i], DN_T_A,
                                       &len), PL_EINVAL);
    /* 63 octets per label, 253 characters in all */
    memset(name, 'a', 63);
    name[63] = '\0';
    CU_ASSERT_EQUAL(dn_query_build(buf, sizeof buf, 1, name, DN_T_A, &len),
                    PL_OK);
    name[63] = 'a';
    name[64] = '\0';
    CU_ASSERT_EQUAL(dn_query_build(buf, sizeof buf, 1, name, DN_T_A, &len),
                    PL_EINVAL);
    for (i = 0; i < 253; i++)
        name[i] = (i % 2) ? '.' : 'a';
    name[253] = '\0';
    CU_ASSERT_EQUAL(dn_query_build(buf, sizeof buf, 1, name, DN_T_A, &len),
                    PL_OK);
    CU_ASSERT_EQUAL(len, DN_HDR_LEN + 255 + 4);
    name[253] = 'a';
    name[254] = '\0';
    CU_ASSERT_EQUAL(dn_query_build(buf, sizeof buf, 1, name, DN_T_A, &len),
                    PL_EINVAL);
    CU_ASSERT_EQUAL(dn_query_build(buf, 20, 1, "a.b", DN_T_A, &len),
                    PL_EINVAL);
}

/* ---- names ------------------------------------------------------------ */

typedef struct t_nv {
    const char *hex;     /* the message */
    size_t off;          /* where the name starts */
    int rc;
    const char *text;
    size_t end;          /* *off afterwards */
} t_nv;

static const t_nv t_name_vec[] = {
    { "0161 0162 00", 0, PL_OK, "a.b", 5 },
    { "00", 0, PL_OK, "", 1 },
    { "0141 0342 4358 00", 0, PL_OK, "a.bcx", 7 },
    /* a pointer back: "x" + pointer to 0 */
    { "0161 00 0178 c000", 3, PL_OK, "x.a", 7 },
    /* a pointer to a pointer */
    { "0161 00 0178 c000 c003", 7, PL_OK, "x.a", 9 },
    /* octets no host name has become '?' */
    { "03612e62 00", 0, PL_OK, "a?b", 5 },
    { "03612062 00", 0, PL_OK, "a?b", 5 },
    { "0361ff00 00", 0, PL_OK, "a??", 5 },
    /* pointer to itself, forward, into its own segment */
    { "c000", 0, PL_EINVAL, NULL, 0 },
    { "c002 00", 0, PL_EINVAL, NULL, 0 },
    { "0161 c000", 0, PL_EINVAL, NULL, 0 },
    /* a two-pointer loop: 0 -> 2 is forward; 2 -> 0 -> 2 */
    { "c002 c000", 2, PL_EINVAL, NULL, 0 },
    /* labels past the end, no terminator, half a pointer */
    { "0561 62", 0, PL_EINVAL, NULL, 0 },
    { "0161", 0, PL_EINVAL, NULL, 0 },
    { "0161 c0", 0, PL_EINVAL, NULL, 0 },
    { "", 0, PL_EINVAL, NULL, 0 },
    /* reserved label types 01 and 10 */
    { "4161 00", 0, PL_EINVAL, NULL, 0 },
    { "8161 00", 0, PL_EINVAL, NULL, 0 },
    { NULL, 0, 0, NULL, 0 }
};

static void t_names(void)
{
    char out[DN_NAME_MAX + 1];
    t_pkt p;
    size_t off;
    int i, rc;

    for (i = 0; t_name_vec[i].hex != NULL; i++) {
        const t_nv *v = &t_name_vec[i];
        unsigned char *m;

        p.n = 0;
        t_put_hex(&p, v->hex);
        m = (unsigned char *)malloc(p.n + 1);   /* exact size for ASan */
        CU_ASSERT_FATAL(m != NULL);
        memcpy(m, p.b, p.n);
        off = v->off;
        rc = dn_name_read(m, p.n, &off, out, sizeof out);
        CU_ASSERT_EQUAL(rc, v->rc);
        if (rc != v->rc)
            fprintf(stderr, "\nname vector %d: rc %d\n", i, rc);
        if (v->rc == PL_OK && rc == PL_OK) {
            CU_ASSERT_STRING_EQUAL(out, v->text);
            CU_ASSERT_EQUAL(off, v->end);
        }
        free(m);
    }
}

/* 255 octets on the wire is the most; a pointer chain may not get
 * around it, and a chain of DN_JUMPS_MAX + 1 pointers is refused. */
static void t_name_limits(void)
{
    char out[DN_NAME_MAX + 1];
    t_pkt p;
    size_t off;
    int i;

    /* 4 labels of 62 + 1 of 2: 4*63 + 3 + 1 = 256 octets: too long */
    p.n = 0;
    for (i = 0; i < 4; i++) {
        p.b[p.n++] = 62;
        memset(p.b + p.n, 'a', 62);
        p.n += 62;
    }
    p.b[p.n++] = 2;
    p.b[p.n++] = 'b';
    p.b[p.n++] = 'b';
    p.b[p.n++] = 0;
    off = 0;
    CU_ASSERT_EQUAL(dn_name_read(p.b, p.n, &off, out, sizeof out),
                    PL_EINVAL);
    /* one octet less fits: 255 octets, 253 characters */
    p.b[252] = 1;
    p.b[254] = 0;
    p.n = 255;
    off = 0;
    CU_ASSERT_EQUAL(dn_name_read(p.b, p.n, &off, out, sizeof out), PL_OK);
    CU_ASSERT_EQUAL(strlen(out), 253);
    /* the same length reached through pointers: labels of 62 at 0, 63,
     * 126, 189 (each ends in a pointer to the one before), then 2 more */
    p.n = 0;
    for (i = 0; i < 5; i++) {
        size_t start = p.n;

        p.b[p.n++] = i < 4 ? 62 : 2;
        memset(p.b + p.n, 'c', i < 4 ? 62 : 2);
        p.n += i < 4 ? 62 : 2;
        if (i == 0) {
            p.b[p.n++] = 0;
        } else {
            p.b[p.n++] = 0xC0;
            p.b[p.n++] = (unsigned char)(start - (i == 1 ? 64 : 65));
        }
    }
    off = p.n - 5;
    CU_ASSERT_EQUAL(dn_name_read(p.b, p.n, &off, out, sizeof out),
                    PL_EINVAL);
    /* a long chain of pointers, each to the one before it */
    p.n = 0;
    p.b[p.n++] = 0;
    for (i = 0; i <= DN_JUMPS_MAX; i++) {
        size_t prev = i == 0 ? 0 : p.n - 2;

        p.b[p.n++] = 0xC0 | (unsigned char)(prev >> 8);
        p.b[p.n++] = (unsigned char)(prev & 0xFF);
    }
    off = p.n - 2;
    CU_ASSERT_EQUAL(dn_name_read(p.b, p.n, &off, out, sizeof out),
                    PL_EINVAL);
    off = 2 * (DN_JUMPS_MAX - 1) + 1;
    CU_ASSERT_EQUAL(dn_name_read(p.b, p.n, &off, out, sizeof out), PL_OK);
    CU_ASSERT_STRING_EQUAL(out, "");
    /* labels of the reserved types 01 and 10 with the octets they would
     * claim present: still refused */
    for (i = 0; i < 2; i++) {
        p.n = 0;
        p.b[p.n++] = i == 0 ? 0x41 : 0x81;
        memset(p.b + p.n, 'a', 0x41);
        p.n += 0x41;
        p.b[p.n++] = 0;
        off = 0;
        CU_ASSERT_EQUAL(dn_name_read(p.b, p.n, &off, out, sizeof out),
                        PL_EINVAL);
    }
    /* the output buffer must hold a whole name */
    off = 0;
    CU_ASSERT_EQUAL(dn_name_read(p.b, p.n, &off, out, 10), PL_EINVAL);
}

static void t_name_ok(void)
{
    static const char *const good[] = {
        "a", "a.b", "a.b.", "mx-1.example.org", "_dmarc.x.org",
        "1.2.3.4", "A.B", NULL
    };
    static const char *const bad[] = {
        "", ".", "a..b", "a b", "a?b", "-\x01", "a.b..", "\x80", NULL
    };
    int i;

    for (i = 0; good[i] != NULL; i++)
        CU_ASSERT(dn_name_ok(good[i]));
    for (i = 0; bad[i] != NULL; i++)
        CU_ASSERT(!dn_name_ok(bad[i]));
    CU_ASSERT(dn_name_eq("Example.ORG", "example.org."));
    CU_ASSERT(!dn_name_eq("example.org", "example.or"));
    CU_ASSERT(!dn_name_eq("a?b", "a.b"));
}

/* ---- replies ---------------------------------------------------------- */

#define T_LINES 10

typedef struct t_rp {
    const char *what;
    const char *qname;
    int qtype;
    const char *lines[T_LINES];
    int match;           /* dn_reply_match */
    int rc;              /* dn_ans_parse (when matched) */
    int rcode;
    const char *recs;    /* "PREF DATA,PREF DATA" */
    const char *name;    /* where the chain ended */
    int nbad;
    int exact;           /* every octet is needed: prefixes must fail */
} t_rp;

static const t_rp t_reply_vec[] = {
    { "two MX, compressed", "example.org", DN_T_MX,
      { "H 0001 8180 1 2 0 0", "Q example.org MX",
        "R @12 MX 10 mx1@12", "R @12 MX 20 mx2.example.org", NULL },
      PL_OK, PL_OK, 0, "10 mx1.example.org,20 mx2.example.org",
      "example.org", 0, 1 },
    { "MX target through a pointer to a pointer", "example.org", DN_T_MX,
      { "H 0001 8180 1 2 0 0", "Q example.org MX",
        "R @12 MX 10 mx1@12", "R @12 MX 20 @43", NULL },
      PL_OK, PL_OK, 0, "10 mx1.example.org,20 mx1.example.org",
      "example.org", 0, 1 },
    { "upper case is folded", "example.org", DN_T_MX,
      { "H 0001 8580 1 1 0 0", "Q EXAMPLE.Org MX",
        "R Example.ORG MX 5 MX.Example.Org", NULL },
      PL_OK, PL_OK, 0, "5 mx.example.org", "example.org", 0, 1 },
    { "two A", "host.example.org", DN_T_A,
      { "H 0001 8180 1 2 0 0", "Q host.example.org A",
        "R @12 A 192.0.2.1", "R @12 A 192.0.2.255", NULL },
      PL_OK, PL_OK, 0, "0 192.0.2.1,0 192.0.2.255", "host.example.org",
      0, 1 },
    { "AAAA", "host.example.org", DN_T_AAAA,
      { "H 0001 8180 1 2 0 0", "Q host.example.org AAAA",
        "R @12 AAAA 20010db8000000000000000000000001",
        "R @12 AAAA 20010db8000100000000000100000000", NULL },
      PL_OK, PL_OK, 0, "0 2001:db8::1,0 2001:db8:1::1:0:0",
      "host.example.org", 0, 1 },
    { "CNAME then A", "www.example.org", DN_T_A,
      { "H 0001 8180 1 2 0 0", "Q www.example.org A",
        "R @12 CNAME host@16", "R @45 A 192.0.2.7", NULL },
      PL_OK, PL_OK, 0, "0 192.0.2.7", "host.example.org", 0, 1 },
    { "CNAME, target not in the answer", "alias.example.org", DN_T_A,
      { "H 0001 8180 1 1 0 0", "Q alias.example.org A",
        "R @12 CNAME target.example.org", NULL },
      PL_OK, PL_OK, 0, "", "target.example.org", 0, 1 },
    { "CNAME loop", "a.example.org", DN_T_A,
      { "H 0001 8180 1 2 0 0", "Q a.example.org A",
        "R @12 CNAME b.example.org", "R b.example.org CNAME @12", NULL },
      PL_OK, PL_ELOOP, 0, NULL, NULL, 0, 1 },
    { "CNAME to a non-host name", "a.example.org", DN_T_A,
      { "H 0001 8180 1 1 0 0", "Q a.example.org A",
        "R @12 CNAME b!.example.org", NULL },
      PL_OK, PL_EINVAL, 0, NULL, NULL, 0, 1 },
    { "NXDOMAIN", "nx.example.org", DN_T_MX,
      { "H 0001 8183 1 0 0 0", "Q nx.example.org MX", NULL },
      PL_OK, PL_OK, 3, "", "nx.example.org", 0, 1 },
    { "NODATA", "host.example.org", DN_T_MX,
      { "H 0001 8180 1 0 0 0", "Q host.example.org MX", NULL },
      PL_OK, PL_OK, 0, "", "host.example.org", 0, 1 },
    { "null MX", "null.example.org", DN_T_MX,
      { "H 0001 8180 1 1 0 0", "Q null.example.org MX", "R @12 MX 0 .",
        NULL },
      PL_OK, PL_OK, 0, "0 ", "null.example.org", 0, 1 },
    { "hostile MX target", "example.org", DN_T_MX,
      { "H 0001 8180 1 3 0 0", "Q example.org MX",
        "R @12 MX 10 evil\x1b[2J.org", "R @12 MX 20 a$b.org",
        "X c00c 000f 0001 0000012c 000b 001e 06 6576696c0d0a c00c", NULL },
      PL_OK, PL_OK, 0, "", "example.org", 3, 1 },
    { "records of other names are not ours", "example.org", DN_T_MX,
      { "H 0001 8180 1 2 0 0", "Q example.org MX",
        "R other.org MX 10 mx.other.org", "R @12 MX 20 mx@12", NULL },
      PL_OK, PL_OK, 0, "20 mx.example.org", "example.org", 0, 1 },
    { "the same record twice", "example.org", DN_T_MX,
      { "H 0001 8180 1 2 0 0", "Q example.org MX",
        "R @12 MX 10 mx@12", "R @12 MX 10 mx@12", NULL },
      PL_OK, PL_OK, 0, "10 mx.example.org", "example.org", 0, 1 },
    { "answer count too high", "example.org", DN_T_MX,
      { "H 0001 8180 1 3 0 0", "Q example.org MX",
        "R @12 MX 10 mx1@12", "R @12 MX 20 mx2@12", NULL },
      PL_OK, PL_EINVAL, 0, NULL, NULL, 0, 1 },
    { "answer count too low: the rest is not read", "example.org",
      DN_T_MX,
      { "H 0001 8180 1 1 0 0", "Q example.org MX",
        "R @12 MX 10 mx1@12", "R @12 MX 20 mx2@12", NULL },
      PL_OK, PL_OK, 0, "10 mx1.example.org", "example.org", 0, 0 },
    { "rdlength past the end", "h.example.org", DN_T_A,
      { "H 0001 8180 1 1 0 0", "Q h.example.org A",
        "X c00c 0001 0001 0000012c 0005 c0000201", NULL },
      PL_OK, PL_EINVAL, 0, NULL, NULL, 0, 1 },
    { "A of 5 octets", "h.example.org", DN_T_A,
      { "H 0001 8180 1 1 0 0", "Q h.example.org A",
        "X c00c 0001 0001 0000012c 0005 c000020101", NULL },
      PL_OK, PL_EINVAL, 0, NULL, NULL, 0, 1 },
    { "AAAA of 4 octets", "h.example.org", DN_T_AAAA,
      { "H 0001 8180 1 1 0 0", "Q h.example.org AAAA",
        "X c00c 001c 0001 0000012c 0004 c0000201", NULL },
      PL_OK, PL_EINVAL, 0, NULL, NULL, 0, 1 },
    { "MX name shorter than its rdata", "example.org", DN_T_MX,
      { "H 0001 8180 1 1 0 0", "Q example.org MX",
        "X c00c 000f 0001 0000012c 0006 000a c00c 0000", NULL },
      PL_OK, PL_EINVAL, 0, NULL, NULL, 0, 1 },
    { "MX name longer than its rdata", "example.org", DN_T_MX,
      { "H 0001 8180 1 1 0 0", "Q example.org MX",
        "X c00c 000f 0001 0000012c 0003 000a 01 61 00", NULL },
      PL_OK, PL_EINVAL, 0, NULL, NULL, 0, 1 },
    { "MX rdata of 2 octets", "example.org", DN_T_MX,
      { "H 0001 8180 1 1 0 0", "Q example.org MX",
        "X c00c 000f 0001 0000012c 0002 000a", NULL },
      PL_OK, PL_EINVAL, 0, NULL, NULL, 0, 1 },
    { "owner pointing at itself", "example.org", DN_T_MX,
      { "H 0001 8180 1 1 0 0", "Q example.org MX",
        "X c01d 000f 0001 0000012c 0004 000a c00c", NULL },
      PL_OK, PL_EINVAL, 0, NULL, NULL, 0, 1 },
    { "MX target pointing forward", "example.org", DN_T_MX,
      { "H 0001 8180 1 1 0 0", "Q example.org MX",
        "X c00c 000f 0001 0000012c 0004 000a c031 00", NULL },
      PL_OK, PL_EINVAL, 0, NULL, NULL, 0, 0 },
    /* replies to another query */
    { "another id", "example.org", DN_T_MX,
      { "H 0002 8180 1 0 0 0", "Q example.org MX", NULL },
      PL_ENOENT, 0, 0, NULL, NULL, 0, 0 },
    { "not a reply (QR clear)", "example.org", DN_T_MX,
      { "H 0001 0100 1 0 0 0", "Q example.org MX", NULL },
      PL_ENOENT, 0, 0, NULL, NULL, 0, 0 },
    { "another opcode", "example.org", DN_T_MX,
      { "H 0001 8900 1 0 0 0", "Q example.org MX", NULL },
      PL_ENOENT, 0, 0, NULL, NULL, 0, 0 },
    { "another name", "example.org", DN_T_MX,
      { "H 0001 8180 1 0 0 0", "Q example.com MX", NULL },
      PL_ENOENT, 0, 0, NULL, NULL, 0, 0 },
    { "another type", "example.org", DN_T_MX,
      { "H 0001 8180 1 0 0 0", "Q example.org A", NULL },
      PL_ENOENT, 0, 0, NULL, NULL, 0, 0 },
    { "another class", "example.org", DN_T_MX,
      { "H 0001 8180 1 0 0 0", "X 07 6578616d706c65 03 6f7267 00 000f 0003",
        NULL },
      PL_ENOENT, 0, 0, NULL, NULL, 0, 0 },
    { "no question", "example.org", DN_T_MX,
      { "H 0001 8182 0 0 0 0", NULL },
      PL_ENOENT, 0, 0, NULL, NULL, 0, 0 },
    { "two questions", "example.org", DN_T_MX,
      { "H 0001 8180 2 0 0 0", "Q example.org MX", "Q example.org MX",
        NULL },
      PL_ENOENT, 0, 0, NULL, NULL, 0, 0 },
    { "question past the end", "example.org", DN_T_MX,
      { "H 0001 8180 1 0 0 0", "X 07 6578616d706c65 03 6f7267 00 000f",
        NULL },
      PL_EINVAL, 0, 0, NULL, NULL, 0, 0 },
    { "header only, cut", "example.org", DN_T_MX,
      { "X 0001 8180 0001 0000 00", NULL },
      PL_EINVAL, 0, 0, NULL, NULL, 0, 0 },
    { NULL, NULL, 0, { NULL }, 0, 0, 0, NULL, NULL, 0, 0 }
};

/* The records of a as "PREF DATA,..." */
static void t_recs(const dn_ans *a, char *out, size_t n)
{
    int i;

    out[0] = '\0';
    for (i = 0; i < a->nrec; i++) {
        char one[300];

        (void)snprintf(one, sizeof one, "%s%d %s", i > 0 ? "," : "",
                       a->rec[i].pref, a->rec[i].data);
        strncat(out, one, n - strlen(out) - 1);
    }
}

/* Match and parse len octets of b copied into a buffer of exactly that
 * size; *match gets the dn_reply_match status. */
static int t_reply_run(const t_rp *v, const unsigned char *b, size_t len,
                       int *match, dn_ans *a)
{
    unsigned char *m = (unsigned char *)malloc(len > 0 ? len : 1);
    dn_hdr h;
    size_t qend = 0;
    int rc;

    CU_ASSERT_FATAL(m != NULL);
    memcpy(m, b, len);
    /* Every query of the table has id 1. */
    *match = dn_reply_match(m, len, 1, v->qname, v->qtype, &h, &qend);
    rc = *match;
    if (rc == PL_OK)
        rc = dn_ans_parse(m, len, qend, &h, v->qname, v->qtype,
                          DN_CNAME_MAX, a);
    free(m);
    return rc;
}

static void t_reply_table(void)
{
    char recs[1024];
    dn_ans *a = (dn_ans *)malloc(sizeof *a);
    t_pkt p;
    int i, match, rc;
    size_t len;

    CU_ASSERT_FATAL(a != NULL);
    for (i = 0; t_reply_vec[i].what != NULL; i++) {
        const t_rp *v = &t_reply_vec[i];

        t_asm(v->lines, &p);
        rc = t_reply_run(v, p.b, p.n, &match, a);
        CU_ASSERT_EQUAL(match, v->match);
        if (match != v->match || (match == PL_OK && rc != v->rc)) {
            fprintf(stderr, "\nreply '%s': match %d rc %d\n", v->what,
                    match, rc);
            CU_FAIL("reply vector");
            continue;
        }
        if (match == PL_OK && rc == PL_OK) {
            t_recs(a, recs, sizeof recs);
            CU_ASSERT_EQUAL(a->rcode, v->rcode);
            CU_ASSERT_STRING_EQUAL(recs, v->recs);
            CU_ASSERT_STRING_EQUAL(a->name, v->name);
            CU_ASSERT_EQUAL(a->nbad, v->nbad);
            if (strcmp(recs, v->recs) != 0 || a->nbad != v->nbad)
                fprintf(stderr, "\nreply '%s': '%s' nbad %d\n", v->what,
                        recs, a->nbad);
        }
        /* Every shorter prefix: no crash, no read past it (ASan), and
         * for a reply that needs every octet, never a success. */
        for (len = 0; len < p.n; len++) {
            rc = t_reply_run(v, p.b, len, &match, a);
            if (v->exact && rc == PL_OK) {
                fprintf(stderr, "\nreply '%s': prefix %u parsed\n",
                        v->what, (unsigned)len);
                CU_FAIL("a cut reply parsed");
            }
        }
    }
    free(a);
}

/* A chain longer than the budget, and the budget a resolver gives. */
static void t_cname_budget(void)
{
    static const char *const lines[] = {
        "H 0001 8180 1 3 0 0", "Q a.example.org A",
        "R @12 CNAME b.example.org", "R b.example.org CNAME c.example.org",
        "R c.example.org A 192.0.2.9", NULL
    };
    dn_ans *a = (dn_ans *)malloc(sizeof *a);
    dn_hdr h;
    size_t qend;
    t_pkt p;

    CU_ASSERT_FATAL(a != NULL);
    t_asm(lines, &p);
    CU_ASSERT_EQUAL_FATAL(dn_reply_match(p.b, p.n, 1, "a.example.org",
                                         DN_T_A, &h, &qend), PL_OK);
    CU_ASSERT_EQUAL(dn_ans_parse(p.b, p.n, qend, &h, "a.example.org",
                                 DN_T_A, 2, a), PL_OK);
    CU_ASSERT_EQUAL(a->ncname, 2);
    CU_ASSERT_STRING_EQUAL(a->name, "c.example.org");
    CU_ASSERT_EQUAL(a->nrec, 1);
    CU_ASSERT_EQUAL(dn_ans_parse(p.b, p.n, qend, &h, "a.example.org",
                                 DN_T_A, 1, a), PL_ELOOP);
    CU_ASSERT_EQUAL(dn_ans_parse(p.b, p.n, qend, &h, "a.example.org",
                                 DN_T_A, 0, a), PL_ELOOP);
    free(a);
}

/* More MX records than DN_REC_MAX: the best preferences are kept. */
static void t_mx_many(void)
{
    dn_ans *a = (dn_ans *)malloc(sizeof *a);
    dn_hdr h;
    size_t qend;
    t_pkt p;
    int i, best = 1000;
    char line[64];

    CU_ASSERT_FATAL(a != NULL);
    p.n = 0;
    t_put16(&p, 1);
    t_put16(&p, 0x8180);
    t_put16(&p, 1);
    t_put16(&p, 40);
    t_put16(&p, 0);
    t_put16(&p, 0);
    t_put_name(&p, "example.org");
    t_put16(&p, DN_T_MX);
    t_put16(&p, DN_C_IN);
    for (i = 0; i < 40; i++) {
        const char *r[2];

        (void)snprintf(line, sizeof line, "R @12 MX %d m%d@12", 100 - i, i);
        r[0] = line;
        r[1] = NULL;
        {
            t_pkt one;

            t_asm(r, &one);
            memcpy(p.b + p.n, one.b, one.n);
            p.n += one.n;
        }
    }
    CU_ASSERT_EQUAL_FATAL(dn_reply_match(p.b, p.n, 1, "example.org", DN_T_MX,
                                         &h, &qend), PL_OK);
    CU_ASSERT_EQUAL(dn_ans_parse(p.b, p.n, qend, &h, "example.org", DN_T_MX,
                                 DN_CNAME_MAX, a), PL_OK);
    CU_ASSERT_EQUAL(a->nrec, DN_REC_MAX);
    for (i = 0; i < a->nrec; i++) {
        CU_ASSERT(a->rec[i].pref <= 100 - 40 + DN_REC_MAX);
        if (a->rec[i].pref < best)
            best = a->rec[i].pref;
    }
    CU_ASSERT_EQUAL(best, 61);
    free(a);
}

/* ---- addresses and servers -------------------------------------------- */

typedef struct t_av {
    const char *in;
    int rc;
    const char *text;   /* canonical form */
} t_av;

static const t_av t_addr_vec[] = {
    { "192.0.2.1", PL_OK, "192.0.2.1" },
    { "0.0.0.0", PL_OK, "0.0.0.0" },
    { "255.255.255.255", PL_OK, "255.255.255.255" },
    { "::1", PL_OK, "::1" },
    { "::", PL_OK, "::" },
    { "2001:DB8::1", PL_OK, "2001:db8::1" },
    { "2001:db8:0:0:1:0:0:1", PL_OK, "2001:db8::1:0:0:1" },
    { "2001:db8:0:1:1:1:1:1", PL_OK, "2001:db8:0:1:1:1:1:1" },
    { "1::", PL_OK, "1::" },
    { "0:0:0:0:0:0:0:1", PL_OK, "::1" },
    { "1:0:0:2:0:0:0:3", PL_OK, "1:0:0:2::3" },
    { "::ffff:192.0.2.1", PL_OK, "::ffff:c000:201" },
    { "1:2:3:4:5:6:7::", PL_OK, "1:2:3:4:5:6:7:0" },
    { "256.0.0.1", PL_EINVAL, NULL },
    { "1.2.3", PL_EINVAL, NULL },
    { "1.2.3.4.5", PL_EINVAL, NULL },
    { "1.2.3.", PL_EINVAL, NULL },
    { "1..2.3", PL_EINVAL, NULL },
    { "1.2.3.4 ", PL_EINVAL, NULL },
    { "1234.1.1.1", PL_EINVAL, NULL },
    { ":::", PL_EINVAL, NULL },
    { "1:::2", PL_EINVAL, NULL },
    { "1::2::3", PL_EINVAL, NULL },
    { "12345::1", PL_EINVAL, NULL },
    { "1:2:3:4:5:6:7:8:9", PL_EINVAL, NULL },
    { "1:2:3:4:5:6:7", PL_EINVAL, NULL },
    { "1:", PL_EINVAL, NULL },
    { ":1", PL_EINVAL, NULL },
    { "g::1", PL_EINVAL, NULL },
    { "fe80::1%eth0", PL_EINVAL, NULL },
    { "", PL_EINVAL, NULL },
    { "example.org", PL_EINVAL, NULL },
    { NULL, 0, NULL }
};

static void t_addrs(void)
{
    unsigned char a[16];
    char text[64];
    int i, len, rc;

    for (i = 0; t_addr_vec[i].in != NULL; i++) {
        rc = ut_ip_parse(t_addr_vec[i].in, strlen(t_addr_vec[i].in), a, &len);
        CU_ASSERT_EQUAL(rc, t_addr_vec[i].rc);
        if (rc != t_addr_vec[i].rc)
            fprintf(stderr, "\naddress '%s': %d\n", t_addr_vec[i].in, rc);
        if (rc != PL_OK || t_addr_vec[i].rc != PL_OK)
            continue;
        ut_ip_text(a, len, text, sizeof text);
        CU_ASSERT_STRING_EQUAL(text, t_addr_vec[i].text);
    }
}

typedef struct t_sv {
    const char *in;
    int rc;
    const char *udp, *host, *port;
} t_sv;

static const t_sv t_server_vec[] = {
    { "192.0.2.1", PL_OK, "192.0.2.1:53", "192.0.2.1", "53" },
    { "127.0.0.1:5353", PL_OK, "127.0.0.1:5353", "127.0.0.1", "5353" },
    { "[::1]:5353", PL_OK, "[::1]:5353", "::1", "5353" },
    { "[2001:DB8::1]", PL_OK, "[2001:db8::1]:53", "2001:db8::1", "53" },
    { "::1", PL_OK, "[::1]:53", "::1", "53" },
    { "2001:db8::53", PL_OK, "[2001:db8::53]:53", "2001:db8::53", "53" },
    { "127.0.0.1:0", PL_EINVAL, NULL, NULL, NULL },
    { "127.0.0.1:65536", PL_EINVAL, NULL, NULL, NULL },
    { "127.0.0.1:", PL_EINVAL, NULL, NULL, NULL },
    { "127.0.0.1:x", PL_EINVAL, NULL, NULL, NULL },
    { "[127.0.0.1]:53", PL_EINVAL, NULL, NULL, NULL },
    { "[::1]53", PL_EINVAL, NULL, NULL, NULL },
    { "[::1", PL_EINVAL, NULL, NULL, NULL },
    { "ns.example.org", PL_EINVAL, NULL, NULL, NULL },
    { "ns.example.org:53", PL_EINVAL, NULL, NULL, NULL },
    { "", PL_EINVAL, NULL, NULL, NULL },
    { NULL, 0, NULL, NULL, NULL }
};

static void t_servers(void)
{
    dn_server s;
    int i, rc;

    for (i = 0; t_server_vec[i].in != NULL; i++) {
        const t_sv *v = &t_server_vec[i];

        rc = dn_server_parse(v->in, &s);
        CU_ASSERT_EQUAL(rc, v->rc);
        if (rc != v->rc)
            fprintf(stderr, "\nserver '%s': %d\n", v->in, rc);
        if (rc == PL_OK && v->rc == PL_OK) {
            CU_ASSERT_STRING_EQUAL(s.udp, v->udp);
            CU_ASSERT_STRING_EQUAL(s.host, v->host);
            CU_ASSERT_STRING_EQUAL(s.port, v->port);
        }
    }
}

static void t_resolver_args(void)
{
    static const char *const bad[] = { "127.0.0.1:53", "nameserver" };
    static const char *const nine[] = {
        "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1",
        "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1"
    };
    dn_resolver *r = NULL;
    dn_route *rt = (dn_route *)malloc(sizeof *rt);
    dn_host h;
    int result;

    CU_ASSERT_FATAL(rt != NULL);
    CU_ASSERT_EQUAL(dn_resolver_new(bad, 2, 1000, 1, &r), PL_EINVAL);
    CU_ASSERT(r == NULL);
    CU_ASSERT_EQUAL(dn_resolver_new(nine, 9, 1000, 1, &r), PL_EINVAL);
    CU_ASSERT_EQUAL(dn_resolver_new(nine, 8, 0, 1, &r), PL_EINVAL);
    CU_ASSERT_EQUAL(dn_resolver_new(nine, 8, 1000, 0, &r), PL_EINVAL);
    CU_ASSERT_EQUAL(dn_resolver_new(NULL, 1, 1000, 1, &r), PL_EINVAL);
    CU_ASSERT_EQUAL_FATAL(dn_resolver_new(nine, 8, 1000, 1, &r), PL_OK);
    /* Bad names are refused before anything is sent. */
    CU_ASSERT_EQUAL(dn_route_lookup(r, "a..b", NULL, 0, rt), PL_EINVAL);
    CU_ASSERT_EQUAL(dn_route_lookup(r, "evil\r\n.org", NULL, 0, rt),
                    PL_EINVAL);
    CU_ASSERT_EQUAL(dn_route_lookup(r, "", NULL, 0, rt), PL_EINVAL);
    CU_ASSERT_EQUAL(dn_route_lookup(r, "a.org", NULL, 1, rt), PL_EINVAL);
    CU_ASSERT_EQUAL(dn_host_lookup(r, "a b", &h, &result), PL_EINVAL);
    /* Address literals need no server. */
    CU_ASSERT_EQUAL(dn_host_lookup(r, "[IPv6:2001:DB8::1]", &h, &result),
                    PL_OK);
    CU_ASSERT_EQUAL(result, DN_R_OK);
    CU_ASSERT_EQUAL(h.naddr, 1);
    CU_ASSERT_STRING_EQUAL(h.addr[0], "2001:db8::1");
    CU_ASSERT_EQUAL(h.pref, -1);
    CU_ASSERT_EQUAL(dn_host_lookup(r, "192.0.2.1", &h, &result), PL_OK);
    CU_ASSERT_STRING_EQUAL(h.addr[0], "192.0.2.1");
    dn_resolver_free(r);
    dn_resolver_free(NULL);
    free(rt);
}

/* ---- ordering and self removal ---------------------------------------- */

static void t_sort(void)
{
    dn_rec rec[5];
    dn_route *rt = (dn_route *)malloc(sizeof *rt);
    int seen_b_first = 0, seen_c_first = 0, round, i;

    CU_ASSERT_FATAL(rt != NULL);
    for (round = 0; round < 200; round++) {
        memset(rec, 0, sizeof rec);
        rec[0].pref = 30;
        strcpy(rec[0].data, "d.example.org");
        rec[1].pref = 20;
        strcpy(rec[1].data, "b.example.org");
        rec[2].pref = 10;
        strcpy(rec[2].data, "a.example.org");
        rec[3].pref = 20;
        strcpy(rec[3].data, "c.example.org");
        rec[4].pref = 0;
        strcpy(rec[4].data, "");   /* a null MX among others: dropped */
        CU_ASSERT_EQUAL(dn_route_sort(rec, 5, rt), 1);
        CU_ASSERT_EQUAL_FATAL(rt->nhost, 4);
        CU_ASSERT_STRING_EQUAL(rt->host[0].name, "a.example.org");
        CU_ASSERT_STRING_EQUAL(rt->host[3].name, "d.example.org");
        for (i = 1; i < rt->nhost; i++)
            CU_ASSERT(rt->host[i - 1].pref <= rt->host[i].pref);
        if (strcmp(rt->host[1].name, "b.example.org") == 0)
            seen_b_first++;
        else if (strcmp(rt->host[1].name, "c.example.org") == 0)
            seen_c_first++;
    }
    /* both orders of the equal preferences occur (each with p = 1/2) */
    CU_ASSERT(seen_b_first > 0 && seen_c_first > 0);
    CU_ASSERT_EQUAL(seen_b_first + seen_c_first, 200);
    CU_ASSERT_EQUAL(dn_route_sort(rec, DN_REC_MAX + 1, rt), -1);
    free(rt);
}

/* Four hosts: a 10, b 20, c 20, d 30 (b and c with addresses). */
static void t_route4(dn_route *rt)
{
    static const char *const names[] = { "a.x.org", "b.x.org", "c.x.org",
                                         "d.x.org" };
    static const int prefs[] = { 10, 20, 20, 30 };
    int i;

    memset(rt, 0, sizeof *rt);
    rt->nhost = 4;
    for (i = 0; i < 4; i++) {
        strcpy(rt->host[i].name, names[i]);
        rt->host[i].pref = prefs[i];
        rt->host[i].naddr = 1;
        (void)snprintf(rt->host[i].addr[0], PL_ADDR_MAX, "192.0.2.%d",
                       i + 1);
    }
    strcpy(rt->host[2].addr[1], "2001:db8::3");
    rt->host[2].naddr = 2;
}

static void t_self(void)
{
    static const char *const s_c[] = { "C.X.ORG." };
    static const char *const s_a[] = { "other.org", "a.x.org" };
    static const char *const s_v6[] = { "[IPv6:2001:DB8:0::3]" };
    static const char *const s_v4[] = { "192.0.2.4" };
    static const char *const s_none[] = { "e.x.org", "192.0.2.9" };
    dn_route *rt = (dn_route *)malloc(sizeof *rt);

    CU_ASSERT_FATAL(rt != NULL);
    t_route4(rt);
    CU_ASSERT_EQUAL(dn_route_self(rt, s_c, 1), 1);
    CU_ASSERT_EQUAL(rt->nhost, 1);   /* b shares c's preference */
    CU_ASSERT_STRING_EQUAL(rt->host[0].name, "a.x.org");
    t_route4(rt);
    CU_ASSERT_EQUAL(dn_route_self(rt, s_a, 2), 1);
    CU_ASSERT_EQUAL(rt->nhost, 0);   /* the best is us: a loop */
    t_route4(rt);
    CU_ASSERT_EQUAL(dn_route_self(rt, s_v6, 1), 1);
    CU_ASSERT_EQUAL(rt->nhost, 1);
    t_route4(rt);
    CU_ASSERT_EQUAL(dn_route_self(rt, s_v4, 1), 1);
    CU_ASSERT_EQUAL(rt->nhost, 3);
    t_route4(rt);
    CU_ASSERT_EQUAL(dn_route_self(rt, s_none, 2), 0);
    CU_ASSERT_EQUAL(rt->nhost, 4);
    CU_ASSERT_EQUAL(dn_route_self(rt, NULL, 0), 0);
    /* an implicit MX that is us */
    memset(rt, 0, sizeof *rt);
    rt->nhost = 1;
    rt->host[0].pref = -1;
    strcpy(rt->host[0].name, "x.org");
    CU_ASSERT_EQUAL(dn_route_self(rt, s_none, 2), 0);
    strcpy(rt->host[0].name, "e.x.org");
    CU_ASSERT_EQUAL(dn_route_self(rt, s_none, 2), 1);
    CU_ASSERT_EQUAL(rt->nhost, 0);
    /* hosts without addresses go */
    t_route4(rt);
    rt->host[0].naddr = 0;
    rt->host[3].naddr = 0;
    dn_route_drop_bare(rt);
    CU_ASSERT_EQUAL(rt->nhost, 2);
    CU_ASSERT_STRING_EQUAL(rt->host[0].name, "b.x.org");
    free(rt);
}

/* ---- resolv.conf ------------------------------------------------------ */

typedef struct t_rv {
    const char *text;
    size_t n;
    int rc;
    const char *out;
} t_rv;

static const t_rv t_resolv_vec[] = {
    { "nameserver 10.0.0.1\n", 64, PL_OK, "10.0.0.1:53" },
    { "# comment\nsearch example.org\nnameserver 10.0.0.1\n"
      "nameserver   ::1  \n;nameserver 10.9.9.9\n#nameserver 10.8.8.8\n"
      "nameserver\tfe80::1%eth0\nnameserver ns.example.org\n"
      "options rotate\nnameserver 192.0.2.53", 64, PL_OK,
      "10.0.0.1:53,[::1]:53,192.0.2.53:53" },
    { "nameserver 10.0.0.1\r\n", 64, PL_OK, "10.0.0.1:53" },
    { "", 64, PL_ENOENT, "" },
    { "domain example.org\n", 64, PL_ENOENT, "" },
    { "nameserver 10.0.0.1\nnameserver 10.0.0.2\n", 16, PL_ERANGE, NULL },
    { NULL, 0, 0, NULL }
};

static void t_resolv(void)
{
    char buf[64];
    int i, rc;

    for (i = 0; t_resolv_vec[i].text != NULL; i++) {
        const t_rv *v = &t_resolv_vec[i];

        rc = px_dns_parse(v->text, strlen(v->text), buf, v->n);
        CU_ASSERT_EQUAL(rc, v->rc);
        if (rc != v->rc)
            fprintf(stderr, "\nresolv.conf %d: %d '%s'\n", i, rc, buf);
        if (rc == v->rc && v->out != NULL)
            CU_ASSERT_STRING_EQUAL(buf, v->out);
    }
    /* The system's own: either none or a list the resolver accepts. */
    rc = pl_dns_servers(buf, sizeof buf);
    CU_ASSERT(rc == PL_OK || rc == PL_ENOENT || rc == PL_ERANGE);
    if (rc == PL_OK) {
        dn_server s;
        char *comma = strchr(buf, ',');

        if (comma != NULL)
            *comma = '\0';
        CU_ASSERT_EQUAL(dn_server_parse(buf, &s), PL_OK);
    }
}

/* ---- UDP sockets (posix/px_udp.c) ------------------------------------- */

/* A UDP socket bound to 127.0.0.1 on a free port; its "127.0.0.1:PORT". */
static int t_udp_server(char *ap, size_t n)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        close(fd);
        return -1;
    }
    (void)snprintf(ap, n, "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    return fd;
}

static void t_udp(void)
{
    static const char *const bad[] = {
        "127.0.0.1", "localhost:53", "::1:53", "[::1]53", "127.0.0.1:x",
        "127.0.0.1:70000", "", NULL
    };
    char ap[64], buf[8], big[16];
    struct sockaddr_storage peer;
    socklen_t pl = sizeof peer;
    pl_udp *u = NULL;
    size_t got = 0;
    pl_i64 t0;
    int i, fd;

    for (i = 0; bad[i] != NULL; i++) {
        CU_ASSERT_EQUAL(pl_udp_open(bad[i], &u), PL_EINVAL);
        CU_ASSERT(u == NULL);
    }
    pl_udp_close(NULL);
    fd = t_udp_server(ap, sizeof ap);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL_FATAL(pl_udp_open(ap, &u), PL_OK);
    /* a reply comes back; a longer one is cut to the buffer */
    CU_ASSERT_EQUAL(pl_udp_send(u, "ping", 4), PL_OK);
    CU_ASSERT_EQUAL(recvfrom(fd, big, sizeof big, 0,
                             (struct sockaddr *)&peer, &pl), 4);
    CU_ASSERT_EQUAL(sendto(fd, "pong-and-more", 13, 0,
                           (struct sockaddr *)&peer, pl), 13);
    CU_ASSERT_EQUAL(pl_udp_recv(u, buf, sizeof buf, 2000, &got), PL_OK);
    CU_ASSERT_EQUAL(got, sizeof buf);
    CU_ASSERT(memcmp(buf, "pong-and", 8) == 0);
    /* nothing comes: the wait ends at the timeout */
    t0 = pl_time_mono_ms();
    CU_ASSERT_EQUAL(pl_udp_recv(u, buf, sizeof buf, 150, &got),
                    PL_ETIMEDOUT);
    CU_ASSERT(pl_time_mono_ms() - t0 >= 140);
    CU_ASSERT(pl_time_mono_ms() - t0 < 2000);
    /* the server's port closed: ICMP port unreachable, at once */
    close(fd);
    t0 = pl_time_mono_ms();
    CU_ASSERT_EQUAL(pl_udp_send(u, "ping", 4), PL_OK);
    CU_ASSERT_EQUAL(pl_udp_recv(u, buf, sizeof buf, 2000, &got),
                    PL_ECONNREFUSED);
    CU_ASSERT(pl_time_mono_ms() - t0 < 1000);
    CU_ASSERT_EQUAL(pl_udp_recv(u, buf, 0, 10, &got), PL_EINVAL);
    pl_udp_close(u);
}

int t_dns_register(void)
{
    CU_pSuite s = CU_add_suite("dns", NULL, NULL);

    if (s == NULL ||
        CU_add_test(s, "query building", t_query) == NULL ||
        CU_add_test(s, "names", t_names) == NULL ||
        CU_add_test(s, "name limits", t_name_limits) == NULL ||
        CU_add_test(s, "host names", t_name_ok) == NULL ||
        CU_add_test(s, "reply table", t_reply_table) == NULL ||
        CU_add_test(s, "CNAME budget", t_cname_budget) == NULL ||
        CU_add_test(s, "many MX", t_mx_many) == NULL ||
        CU_add_test(s, "addresses", t_addrs) == NULL ||
        CU_add_test(s, "servers", t_servers) == NULL ||
        CU_add_test(s, "resolver arguments", t_resolver_args) == NULL ||
        CU_add_test(s, "MX order", t_sort) == NULL ||
        CU_add_test(s, "self removal", t_self) == NULL ||
        CU_add_test(s, "resolv.conf", t_resolv) == NULL ||
        CU_add_test(s, "UDP sockets", t_udp) == NULL)
        return -1;
    return 0;
}
