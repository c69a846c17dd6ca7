/*
 * t_smtp.c - the SMTP/LMTP engine: the path parser, the ESMTP parameter
 * parser, the DATA byte machine (fed whole, one byte at a time and in
 * blocks) with the vectors of groups A, C, D and H of the attack
 * catalogue, and session transcripts over nt_conn_new_io (scripted client
 * bytes in, exact replies out) against a scratch store: sequencing,
 * relay tricks, AUTH, limits, pipelining, LMTP, quota, delivery bytes.
 * Privilege: none; files only under build/test-scratch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ssl.h>
#include <CUnit/CUnit.h>
#include "t_util.h"
#include "t_tlscli.h"
#include "sm_int.h"
#include "sv_penalty.h"
#include "ut_buf.h"
#include "ut_str.h"
#include "ut_code.h"


#define T_SM_DOM  "example.org"
#define T_SM_HOST "mail.example.org"

/* ---- the address parser ------------------------------------------- */

typedef struct t_av {
    const char *in;
    int allow_null;
    int rc;              /* PL_OK or SM_A_* */
    const char *local;   /* expected unquoted local part (PL_OK) */
    const char *domain;
    int flags;           /* 1 quoted, 2 literal, 4 routed, 8 null, 16 utf8 */
} t_av;

static const t_av t_addr_vec[] = {
    { "<>", 1, PL_OK, "", "", 8 },
    { "<>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<a@b.example>", 0, PL_OK, "a", "b.example", 0 },
    { "<a.b.c@x-y.example>", 0, PL_OK, "a.b.c", "x-y.example", 0 },
    { "<Postmaster>", 0, PL_OK, "Postmaster", "", 0 },
    { "<Postmaster>", 1, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<root>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    /* D1: CVE-2020-7247 */
    { "<;sleep 66;>", 1, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<;sleep 66;@localhost>", 1, SM_A_SYNTAX, NULL, NULL, 0 },
    /* D2: parses (all atext), the user can not exist; with \ it is 501 */
    { "<${run{/bin/sh}}@localhost>", 0, PL_OK, "${run{/bin/sh}}",
      "localhost", 0 },
    { "<${run{\\x2fbin\\x2fsh\\t-c\\t\\x22id\\x22}}@localhost>", 0,
      SM_A_SYNTAX, NULL, NULL, 0 },
    /* D7 */
    { "<@a.example,@b.example:u@c.example>", 0, PL_OK, "u", "c.example",
      4 },
    { "<\"a\\\"b\"@example.org>", 0, PL_OK, "a\"b", "example.org", 1 },
    { "<u@[127.0.0.1]>", 0, PL_OK, "u", "[127.0.0.1]", 2 },
    { "<u@[IPv6:::1]>", 0, PL_OK, "u", "[IPv6:::1]", 2 },
    { "<u@[IPv6:2001:db8::1]>", 0, PL_OK, "u", "[IPv6:2001:db8::1]", 2 },
    { "<u@[IPv6:1:2:3:4:5:6:7:8]>", 0, PL_OK, "u", "[IPv6:1:2:3:4:5:6:7:8]",
      2 },
    { "<u@[IPv6:1:2:3:4:5:6:1.2.3.4]>", 0, PL_OK, "u",
      "[IPv6:1:2:3:4:5:6:1.2.3.4]", 2 },
    { "<u@[IPv6:1:2:3:4:5:6:7]>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<u@[IPv6:1::2::3]>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<u@[256.0.0.1]>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<u@[1.2.3]>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<u@[x:y]>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    /* E2 shapes */
    { "<b%ext2.example@[127.0.0.1]>", 0, PL_OK, "b%ext2.example",
      "[127.0.0.1]", 2 },
    { "<\"b@ext2.example\">", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<b@ext2.example@localhost>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<@localhost:b@ext2.example>", 0, PL_OK, "b", "ext2.example", 4 },
    { "<ext2.example!b>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<ext2.example!b@localhost>", 0, PL_OK, "ext2.example!b",
      "localhost", 0 },
    /* broken syntax */
    { "a@b.example", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<a@b.example", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<a b@c.example>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<.a@c.example>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<a.@c.example>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<a..b@c.example>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<a@-c.example>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<a@c-.example>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<a@c..example>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<a@>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<@b.example>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<\"\"@b.example>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<\"a\rb\"@b.example>", 0, SM_A_SYNTAX, NULL, NULL, 0 },
    { "<\xc3\xa9@b.example>", 0, PL_OK, "\xc3\xa9", "b.example", 16 },
    { NULL, 0, 0, NULL, NULL, 0 }
};

static void t_addr_table(void)
{
    int i, rc;
    sm_addr a;
    size_t used;

    for (i = 0; t_addr_vec[i].in != NULL; i++) {
        const t_av *v = &t_addr_vec[i];
        rc = sm_addr_parse(v->in, strlen(v->in), v->allow_null, &a, &used);
        if (rc != v->rc)
            fprintf(stderr, "\naddr %d %s: rc %d\n", i, v->in, rc);
        CU_ASSERT_EQUAL(rc, v->rc);
        if (rc != PL_OK || v->rc != PL_OK)
            continue;
        CU_ASSERT_EQUAL(used, strlen(v->in));
        CU_ASSERT_STRING_EQUAL(a.null ? "" : a.local, v->local);
        CU_ASSERT_STRING_EQUAL(a.domain, v->domain);
        CU_ASSERT_EQUAL(a.quoted, (v->flags & 1) != 0);
        CU_ASSERT_EQUAL(a.literal, (v->flags & 2) != 0);
        CU_ASSERT_EQUAL(a.routed, (v->flags & 4) != 0);
        CU_ASSERT_EQUAL(a.null, (v->flags & 8) != 0);
        CU_ASSERT_EQUAL(a.utf8, (v->flags & 16) != 0);
    }
}

/* D7 limits: local 64, domain 255, path 256; a NUL is never accepted. */
static void t_addr_limits(void)
{
    char buf[600], dom[300];
    sm_addr a;
    size_t used, i;

    memset(buf, 0, sizeof buf);
    buf[0] = '<';
    memset(buf + 1, 'a', 64);
    strcpy(buf + 65, "@b.example>");
    CU_ASSERT_EQUAL(sm_addr_parse(buf, strlen(buf), 0, &a, &used), PL_OK);
    buf[0] = '<';
    memset(buf + 1, 'a', 65);
    strcpy(buf + 66, "@b.example>");
    CU_ASSERT_EQUAL(sm_addr_parse(buf, strlen(buf), 0, &a, &used),
                    SM_A_LONG);
    /* a 255-octet domain fits the domain limit but not the path limit
     * with a local part; 256 octets is over the domain limit */
    for (i = 0; i < 255; i++)
        dom[i] = (i % 50 == 49) ? '.' : 'd';
    dom[255] = '\0';
    snprintf(buf, sizeof buf, "<a@%s>", dom);
    CU_ASSERT_EQUAL(sm_addr_parse(buf, strlen(buf), 0, &a, &used),
                    SM_A_LONG);
    CU_ASSERT_TRUE(sm_addr_domain_ok(dom, 255));
    dom[249] = '\0';
    snprintf(buf, sizeof buf, "<a@%s>", dom);
    CU_ASSERT_EQUAL(sm_addr_parse(buf, strlen(buf), 0, &a, &used), PL_OK);
    memcpy(buf, "<a\0b@c.example>", 15);
    CU_ASSERT_EQUAL(sm_addr_parse(buf, 15, 0, &a, &used), SM_A_SYNTAX);
    CU_ASSERT_FALSE(sm_addr_domain_ok("bad_name!", 9));
    CU_ASSERT_TRUE(sm_addr_domain_ok("[10.0.0.1]", 10));
}

/* ---- ESMTP parameters --------------------------------------------- */

typedef struct t_pv {
    int which;
    const char *in;
    const char *reply;   /* NULL: accepted; else the code prefix */
} t_pv;

static const t_pv t_param_vec[] = {
    { SM_P_MAIL, "", NULL },
    { SM_P_MAIL, " SIZE=1000", NULL },
    { SM_P_MAIL, " SIZE=1000 BODY=8BITMIME SMTPUTF8", NULL },
    { SM_P_MAIL, " body=7bit", NULL },
    { SM_P_MAIL, " AUTH=<>", NULL },
    { SM_P_MAIL, " AUTH=a+2Bb@c.example", NULL },
    { SM_P_MAIL, " RET=HDRS ENVID=QQ314159", NULL },
    { SM_P_RCPT, " NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;u+40example.org",
      NULL },
    { SM_P_RCPT, " NOTIFY=NEVER", NULL },
    /* C10 */
    { SM_P_MAIL, " SIZE=18446744073709551616", "501" },
    { SM_P_MAIL, " SIZE=-1", "501" },
    { SM_P_MAIL, " SIZE=1e9", "501" },
    { SM_P_MAIL, " SIZE=", "501" },
    { SM_P_MAIL, " SIZE", "501" },
    /* D4 */
    { SM_P_MAIL, " AUTH=<x+0D+0AX-Evil:+201>", "501" },
    { SM_P_RCPT, " ORCPT=rfc822;x+0Ay", "501" },
    { SM_P_MAIL, " ENVID=a+00b", "501" },
    { SM_P_MAIL, " AUTH=a+0", "501" },
    { SM_P_MAIL, " AUTH=a+0d+0a", "501" },
    /* D6 */
    { SM_P_MAIL, " BODY=8BITMIME BODY=7BIT", "501" },
    { SM_P_MAIL, " =", "501" },
    { SM_P_MAIL, "  SIZE=1", "501" },
    { SM_P_MAIL, "SIZE=1", "501" },
    { SM_P_MAIL, " SIZE=1 ", "501" },
    { SM_P_MAIL, " X=aaaa", "555" },
    { SM_P_MAIL, " BODY=BINARYMIME", "555" },
    { SM_P_MAIL, " NOTIFY=NEVER", "555" },
    { SM_P_RCPT, " SIZE=10", "555" },
    { SM_P_MAIL, " SMTPUTF8=yes", "501" },
    { SM_P_RCPT, " NOTIFY=NEVER,DELAY", "501" },
    { SM_P_RCPT, " NOTIFY=SUCCESS,", "501" },
    { SM_P_RCPT, " NOTIFY=SUCCESS,SUCCESS", "501" },
    { SM_P_RCPT, " ORCPT=rfc822", "501" },
    { SM_P_MAIL, " RET=ALL", "501" },
    { SM_P_MAIL, " -X=1", "501" },
    { 0, NULL, NULL }
};

static void t_param_table(void)
{
    int i, rc;
    sm_params p;
    const char *reply;
    char big[10100];

    for (i = 0; t_param_vec[i].in != NULL; i++) {
        const t_pv *v = &t_param_vec[i];
        rc = sm_param_parse(v->in, strlen(v->in), v->which, &p, &reply);
        if (v->reply == NULL) {
            if (rc != PL_OK)
                fprintf(stderr, "\nparam %d '%s': %s\n", i, v->in, reply);
            CU_ASSERT_EQUAL(rc, PL_OK);
        } else {
            CU_ASSERT_NOT_EQUAL(rc, PL_OK);
            CU_ASSERT_PTR_NOT_NULL(reply);
            if (reply != NULL && strncmp(reply, v->reply, 3) != 0)
                fprintf(stderr, "\nparam %d '%s': %s\n", i, v->in, reply);
            CU_ASSERT(reply != NULL && strncmp(reply, v->reply, 3) == 0);
        }
    }
    rc = sm_param_parse(" SIZE=1000 BODY=8BITMIME SMTPUTF8 AUTH=a+2Bb",
                        44, SM_P_MAIL, &p, &reply);
    CU_ASSERT_EQUAL(rc, PL_OK);
    CU_ASSERT_EQUAL(p.size, 1000);
    CU_ASSERT_EQUAL(p.body, SM_BODY_8BIT);
    CU_ASSERT_EQUAL(p.smtputf8, 1);
    CU_ASSERT_STRING_EQUAL(p.auth, "a+b");
    rc = sm_param_parse(" NOTIFY=DELAY ORCPT=rfc822;u+40x", 32, SM_P_RCPT,
                        &p, &reply);
    CU_ASSERT_EQUAL(rc, PL_OK);
    CU_ASSERT_EQUAL(p.notify, SM_N_DELAY);
    CU_ASSERT_STRING_EQUAL(p.orcpt, "rfc822;u@x");
    /* D6: X= + 10000 octets */
    strcpy(big, " X=");
    memset(big + 3, 'a', 10000);
    big[10003] = '\0';
    CU_ASSERT_NOT_EQUAL(sm_param_parse(big, strlen(big), SM_P_MAIL, &p,
                                       &reply), PL_OK);
    strcpy(big, " ENVID=");
    memset(big + 7, 'a', 101);
    big[108] = '\0';
    CU_ASSERT_NOT_EQUAL(sm_param_parse(big, strlen(big), SM_P_MAIL, &p,
                                       &reply), PL_OK);
}

/* ---- the DATA machine --------------------------------------------- */

typedef struct t_dv {
    const char *name;
    int mode;
    const char *in;
    size_t inlen;        /* 0: strlen */
    int err;             /* SM_D_* */
    const char *out;     /* stored (when err is SM_D_OK) */
    size_t outlen;
    const char *rest;    /* after the end of data */
} t_dv;

#define S(x) x, sizeof(x) - 1
#define A1_TAIL "MAIL FROM:<spoof@x.example>\r\nRCPT TO:<u@local>\r\n" \
                "DATA\r\nFrom: spoof\r\n\r\nevil\r\n"

static const t_dv t_data_vec[] = {
    { "plain", 0, S("Subject: t\r\n\r\nhi\r\n.\r\n"), 0,
      S("Subject: t\r\n\r\nhi\r\n"), "" },
    { "empty", 0, S(".\r\n"), 0, S(""), "" },
    { "rest", 0, S("x\r\n.\r\nQUIT\r\n"), 0, S("x\r\n"), "QUIT\r\n" },
    { "A1 reject", 0, S("Subject: t\r\n\r\nhi\n.\r\n" A1_TAIL ".\r\n"),
      SM_D_BARE, S(""), "" },
    { "A1 normalize", 1, S("Subject: t\r\n\r\nhi\n.\r\n" A1_TAIL ".\r\n"),
      0, S("Subject: t\r\n\r\nhi\r\n.\r\n" A1_TAIL), "" },
    { "A2 reject", 0, S("hi\n.\n" A1_TAIL ".\r\n"), SM_D_BARE, S(""), "" },
    { "A2 normalize", 1, S("hi\n.\n" A1_TAIL ".\r\n"), 0,
      S("hi\r\n.\r\n" A1_TAIL), "" },
    { "A3 reject", 0, S("hi\r\n.\n" A1_TAIL ".\r\n"), SM_D_BARE, S(""),
      "" },
    { "A3 normalize", 1, S("hi\r\n.\n" A1_TAIL ".\r\n"), 0,
      S("hi\r\n.\r\n" A1_TAIL), "" },
    { "A4 CR.CR", 1, S("hi\r.\r" A1_TAIL ".\r\n"), 0,
      S("hi\r\n.\r\n" A1_TAIL), "" },
    { "A4 CRLF.CR", 1, S("hi\r\n.\r" A1_TAIL ".\r\n"), 0,
      S("hi\r\n.\r\n" A1_TAIL), "" },
    { "A4 reject", 0, S("hi\r\n.\r" A1_TAIL ".\r\n"), SM_D_BARE, S(""),
      "" },
    { "A5 dot NUL", 0, S("hi\r\n.\0\r\nX\r\n.\r\n"), 0,
      S("hi\r\n\0\r\nX\r\n"), "" },
    { "A5 NUL dot", 0, S("hi\r\n\0.\r\nX\r\n.\r\n"), 0,
      S("hi\r\n\0.\r\nX\r\n"), "" },
    { "A7 unstuff", 0, S("..\r\n..foo\r\n.foo\r\nfoo.\r\n.\r\n"), 0,
      S(".\r\n.foo\r\nfoo\r\nfoo.\r\n"), "" },
    { "8-bit", 0, S("\x80\xff\xc3\xa9\r\n.\r\n"), 0,
      S("\x80\xff\xc3\xa9\r\n"), "" },
    { "body Received not counted", 0,
      S("a: b\r\n\r\nReceived: x\r\n.\r\n"), 0,
      S("a: b\r\n\r\nReceived: x\r\n"), "" },
    { NULL, 0, NULL, 0, 0, NULL, 0, NULL }
};

typedef struct t_sink {
    ut_buf b;
} t_sink;

static int t_sink_fn(void *ctx, const void *buf, size_t n)
{
    return ut_buf_add(&((t_sink *)ctx)->b, buf, n) == PL_OK ? 0 : 1;
}

/* Feed in pieces of chunk (0: whole); returns the end flag; *used is the
 * total consumed. */
static int t_feed_data(sm_data *d, const char *in, size_t n, size_t chunk,
                       size_t *used)
{
    size_t pos = 0, k, u;

    *used = 0;
    while (pos < n) {
        k = chunk == 0 || n - pos < chunk ? n - pos : chunk;
        if (sm_data_feed(d, in + pos, k, &u)) {
            *used = pos + u;
            return 1;
        }
        CU_ASSERT_EQUAL(u, k);
        pos += k;
    }
    *used = n;
    return 0;
}

static const size_t t_chunks[] = { 0, 1, 2, 3, 7, 64, 4096 };

static void t_data_table(void)
{
    int i, end;
    size_t c, used;
    sm_data *d = (sm_data *)malloc(sizeof *d);
    t_sink k;

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    for (i = 0; t_data_vec[i].name != NULL; i++) {
        const t_dv *v = &t_data_vec[i];
        for (c = 0; c < sizeof t_chunks / sizeof t_chunks[0]; c++) {
            ut_buf_init(&k.b, 0);
            sm_data_init(d, v->mode, 0, 1000, 1000, 100000, t_sink_fn, &k);
            end = t_feed_data(d, v->in, v->inlen, t_chunks[c], &used);
            CU_ASSERT_EQUAL(end, 1);
            CU_ASSERT_EQUAL(d->err, v->err);
            if (d->err != v->err || end != 1)
                fprintf(stderr, "\ndata %s chunk %lu: end %d err %d\n",
                        v->name, (unsigned long)t_chunks[c], end, d->err);
            CU_ASSERT_EQUAL(v->inlen - used, strlen(v->rest));
            CU_ASSERT(memcmp(v->in + used, v->rest, strlen(v->rest)) == 0);
            if (v->err == SM_D_OK) {
                CU_ASSERT_EQUAL(k.b.len, v->outlen);
                CU_ASSERT(k.b.len == v->outlen &&
                          (v->outlen == 0 ||
                           memcmp(k.b.data, v->out, v->outlen) == 0));
                CU_ASSERT_EQUAL(d->size, v->outlen);
            }
            ut_buf_free(&k.b);
        }
    }
    free(d);
}

/* Inputs that must never end DATA (A4-A6, A8): nothing is taken as the
 * end, whatever the segmentation. */
static void t_data_noend(void)
{
    static const char *const v[] = {
        "hi\n.\r\n", "hi\n.\n", "hi\r\n.\n", "hi\r.\r", "hi\r\n.\r",
        "hi\r\n.\0\r\n", "hi\r\n\0.\r\n", "x\r\n. \r\n", "x\r\n.\r\r\n",
        "\r\n.\r\r\n", "x\r\n..\r\n", NULL
    };
    sm_data *d = (sm_data *)malloc(sizeof *d);
    char *big;
    size_t c, used;
    int i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    for (i = 0; v[i] != NULL; i++) {
        size_t n = strlen(v[i]);
        if (i == 5 || i == 6)
            n = 7;   /* the NUL vectors */
        for (c = 0; c < sizeof t_chunks / sizeof t_chunks[0]; c++) {
            sm_data_init(d, SM_BARE_NORMALIZE, 0, 0, 0, 0, NULL, NULL);
            CU_ASSERT_EQUAL(t_feed_data(d, v[i], n, t_chunks[c], &used), 0);
        }
    }
    /* A8: 'A' x 5000 then ".\r\n" without CRLF between: no line start */
    big = (char *)malloc(5010);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memset(big, 'A', 5000);
    memcpy(big + 5000, ".\r\n", 3);
    for (c = 0; c < sizeof t_chunks / sizeof t_chunks[0]; c++) {
        sm_data_init(d, SM_BARE_REJECT, 0, 0, 0, 0, NULL, NULL);
        CU_ASSERT_EQUAL(t_feed_data(d, big, 5003, t_chunks[c], &used), 0);
        CU_ASSERT_EQUAL(d->err, SM_D_OK);
    }
    /* the same with 998 octets before a CR, then LF . CRLF */
    memset(big, 'A', 998);
    memcpy(big + 998, "\r\n.\r\n", 5);
    sm_data_init(d, SM_BARE_REJECT, 0, 1000, 0, 0, NULL, NULL);
    CU_ASSERT_EQUAL(t_feed_data(d, big, 1003, 1, &used), 1);
    CU_ASSERT_EQUAL(d->err, SM_D_OK);
    free(big);
    free(d);
}

/* Builds count copies of unit after head, then tail; malloc'd. */
static char *t_rep(const char *head, const char *unit, size_t count,
                   const char *tail, size_t *len)
{
    size_t hn = strlen(head), un = strlen(unit), tn = strlen(tail), i;
    char *p = (char *)malloc(hn + un * count + tn + 1);

    if (p == NULL)
        return NULL;
    memcpy(p, head, hn);
    for (i = 0; i < count; i++)
        memcpy(p + hn + i * un, unit, un);
    memcpy(p + hn + un * count, tail, tn + 1);
    *len = hn + un * count + tn;
    return p;
}

/* C4, D10, D11, H8: limits give one error after the end, nothing more is
 * stored, memory stays this structure. */
static void t_data_limits(void)
{
    static const size_t ch[] = { 0, 1, 4096 };
    sm_data *d = (sm_data *)malloc(sizeof *d);
    char *p;
    size_t n, used, c;
    t_sink k;

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    for (c = 0; c < sizeof ch / sizeof ch[0]; c++) {
        /* C4: a 1 MB line: over a 64K line limit, intact without one */
        p = t_rep("s: x\r\n\r\n", "y", 1024 * 1024, "\r\n.\r\n", &n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        sm_data_init(d, 0, 0, 65536, 1000, 102400, NULL, NULL);
        CU_ASSERT_EQUAL(t_feed_data(d, p, n, ch[c], &used), 1);
        CU_ASSERT_EQUAL(d->err, SM_D_LINE);
        CU_ASSERT_EQUAL(used, n);
        ut_buf_init(&k.b, 0);
        sm_data_init(d, 0, 0, 0, 1000, 102400, t_sink_fn, &k);
        CU_ASSERT_EQUAL(t_feed_data(d, p, n, ch[c], &used), 1);
        CU_ASSERT_EQUAL(d->err, SM_D_OK);
        CU_ASSERT_EQUAL(k.b.len, n - 3);
        ut_buf_free(&k.b);
        /* H8: over the size limit: error, the sink saw at most the limit */
        ut_buf_init(&k.b, 0);
        sm_data_init(d, 0, 100000, 0, 1000, 102400, t_sink_fn, &k);
        CU_ASSERT_EQUAL(t_feed_data(d, p, n, ch[c], &used), 1);
        CU_ASSERT_EQUAL(d->err, SM_D_SIZE);
        CU_ASSERT(k.b.len <= 100000);
        ut_buf_free(&k.b);
        free(p);
        /* D10: 100 Received fields pass, 101 are a loop */
        p = t_rep("", "Received: from a by b\r\n", 100, "\r\nx\r\n.\r\n", &n);
        sm_data_init(d, 0, 0, 1000, 1000, 102400, NULL, NULL);
        CU_ASSERT_EQUAL(t_feed_data(d, p, n, ch[c], &used), 1);
        CU_ASSERT_EQUAL(d->err, SM_D_OK);
        CU_ASSERT_EQUAL(d->received, 100);
        free(p);
        p = t_rep("", "received: from a by b\r\n", 101, "\r\nx\r\n.\r\n", &n);
        sm_data_init(d, 0, 0, 1000, 1000, 102400, NULL, NULL);
        CU_ASSERT_EQUAL(t_feed_data(d, p, n, ch[c], &used), 1);
        CU_ASSERT_EQUAL(d->err, SM_D_LOOP);
        free(p);
        /* D11: one field folded into 100k lines; 50k fields */
        p = t_rep("X-Big: a\r\n", " b\r\n", 100000, "\r\nbody\r\n.\r\n", &n);
        sm_data_init(d, 0, 0, 1000, 1000, 102400, NULL, NULL);
        CU_ASSERT_EQUAL(t_feed_data(d, p, n, ch[c], &used), 1);
        CU_ASSERT_EQUAL(d->err, SM_D_HDR);
        free(p);
        p = t_rep("", "X-H: v\r\n", 50000, "\r\nbody\r\n.\r\n", &n);
        sm_data_init(d, 0, 0, 1000, 1000, 102400, NULL, NULL);
        CU_ASSERT_EQUAL(t_feed_data(d, p, n, ch[c], &used), 1);
        CU_ASSERT_EQUAL(d->err, SM_D_HDR);
        CU_ASSERT_EQUAL(d->hdrs, 50000);
        free(p);
        /* ... and the same 50k lines in the body are fine */
        p = t_rep("S: x\r\n\r\n", "X-H: v\r\n", 50000, ".\r\n", &n);
        sm_data_init(d, 0, 0, 1000, 1000, 102400, NULL, NULL);
        CU_ASSERT_EQUAL(t_feed_data(d, p, n, ch[c], &used), 1);
        CU_ASSERT_EQUAL(d->err, SM_D_OK);
        free(p);
    }
    CU_ASSERT_STRING_EQUAL(sm_data_reply(SM_D_LOOP), "554 5.4.6 Too many "
                           "Received headers: mail loop");
    CU_ASSERT_EQUAL(strncmp(sm_data_reply(SM_D_BARE), "554 5.6.0", 9), 0);
    CU_ASSERT_EQUAL(strncmp(sm_data_reply(SM_D_SIZE), "552 5.3.4", 9), 0);
    free(d);
}

/* ---- relay decisions (E) ----------------------------------------------- */

typedef struct t_net_case {
    const char *net, *addr;
    int rc, match;
} t_net_case;

static const t_net_case t_net_cases[] = {
    { "127.0.0.0/8", "127.0.0.1", PL_OK, 1 },
    { "127.0.0.0/8", "127.255.3.4", PL_OK, 1 },
    { "127.0.0.0/8", "128.0.0.1", PL_OK, 0 },
    { "10.0.0.0/8", "127.0.0.1", PL_OK, 0 },
    { "192.0.2.0/25", "192.0.2.127", PL_OK, 1 },
    { "192.0.2.0/25", "192.0.2.128", PL_OK, 0 },
    { "192.0.2.7", "192.0.2.7", PL_OK, 1 },
    { "192.0.2.7", "192.0.2.8", PL_OK, 0 },
    { "192.0.2.7/32", "192.0.2.7", PL_OK, 1 },
    { "0.0.0.0/0", "203.0.113.9", PL_OK, 1 },
    { "0.0.0.0/0", "::1", PL_OK, 0 },
    { "127.0.0.0/8", "::ffff:127.0.0.1", PL_OK, 1 },
    { "::1", "::1", PL_OK, 1 },
    { "::1", "::2", PL_OK, 0 },
    { "::1/128", "127.0.0.1", PL_OK, 0 },
    { "2001:db8::/32", "2001:db8:ffff::1", PL_OK, 1 },
    { "2001:db8::/32", "2001:db9::1", PL_OK, 0 },
    { "2001:DB8:0:0:0:0:0:0/33", "2001:db8:7fff::", PL_OK, 1 },
    { "2001:db8::/33", "2001:db8:8000::", PL_OK, 0 },
    { "fe80::/10", "febf::1", PL_OK, 1 },
    { "fe80::/10", "fec0::1", PL_OK, 0 },
    { "::ffff:10.0.0.0/104", "10.1.2.3", PL_OK, 1 },
    { "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", PL_OK, 1 },
    { "1::8", "1:0:0:0:0:0:0:8", PL_OK, 1 },
    { "10.0.0.0/8", "not-an-address", PL_OK, 0 },
    { "10.0.0.0/33", "10.0.0.1", PL_EINVAL, 0 },
    { "::/129", "::1", PL_EINVAL, 0 },
    { "10.0.0/8", "10.0.0.1", PL_EINVAL, 0 },
    { "10.0.0.256", "10.0.0.1", PL_EINVAL, 0 },
    { "010.0.0.1", "10.0.0.1", PL_EINVAL, 0 },
    { "10.0.0.1/", "10.0.0.1", PL_EINVAL, 0 },
    { "10.0.0.1/-1", "10.0.0.1", PL_EINVAL, 0 },
    { "1::2::3", "1::3", PL_EINVAL, 0 },
    { "1:2:3:4:5:6:7:8:9", "::1", PL_EINVAL, 0 },
    { "12345::", "::1", PL_EINVAL, 0 },
    { ":1::", "::1", PL_EINVAL, 0 },
    { "1:", "::1", PL_EINVAL, 0 },
    { "example.org", "127.0.0.1", PL_EINVAL, 0 },
    { "", "127.0.0.1", PL_EINVAL, 0 },
    { NULL, NULL, 0, 0 }
};

typedef struct t_relay_case {
    const char *conf;
    int auth;
    const char *peer, *domain;
    int allowed;
} t_relay_case;

static const t_relay_case t_relay_cases[] = {
    { "", 0, "127.0.0.1", "remote.example", 1 },     /* default: loopback */
    { "", 0, "::1", "remote.example", 1 },
    { "", 0, "192.0.2.1", "remote.example", 0 },
    { "", 1, "192.0.2.1", "remote.example", 1 },     /* authenticated */
    { "smtp.relay_clients = 10.0.0.0/8\n", 0, "127.0.0.1", "r.example", 0 },
    { "smtp.relay_clients = 10.0.0.0/8\n", 1, "127.0.0.1", "r.example", 1 },
    { "smtp.relay_clients = 10.0.0.0/8\n", 0, "10.9.8.7", "r.example", 1 },
    { "smtp.relay_clients = 10.0.0.0/8, 2001:db8::/48\n", 0,
      "2001:db8:0:1::5", "r.example", 1 },
    { "smtp.relay_clients = 10.0.0.0/8, 2001:db8::/48\n", 0,
      "2001:db8:1::5", "r.example", 0 },
    { "smtp.relay_clients = \nsmtp.relay_zones = partner.example\n", 0,
      "192.0.2.1", "partner.example", 1 },
    { "smtp.relay_clients = \nsmtp.relay_zones = partner.example\n", 0,
      "192.0.2.1", "mx.partner.example", 0 },
    { "smtp.relay_clients = \nsmtp.relay_zones = .partner.example\n", 0,
      "192.0.2.1", "mx.PARTNER.example", 1 },
    { "smtp.relay_clients = \nsmtp.relay_zones = .partner.example\n", 0,
      "192.0.2.1", "partner.example", 1 },
    { "smtp.relay_clients = \nsmtp.relay_zones = .partner.example\n", 0,
      "192.0.2.1", "evilpartner.example", 0 },
    { "smtp.relay_clients = \nsmtp.relay_zones = .partner.example\n", 0,
      "192.0.2.1", "partner.example.evil", 0 },
    { NULL, 0, NULL, NULL, 0 }
};

static void t_relay_table(void)
{
    char err[CF_ERR_MAX];
    cf_config *cf;
    int i, m, rc;

    for (i = 0; t_net_cases[i].net != NULL; i++) {
        const t_net_case *c = &t_net_cases[i];

        m = -1;
        rc = sm_net_match(c->net, c->addr, &m);
        if (rc != c->rc || (rc == PL_OK && m != c->match))
            fprintf(stderr, "\nnet %s addr %s: rc %d match %d\n", c->net,
                    c->addr, rc, m);
        CU_ASSERT_EQUAL(rc, c->rc);
        if (rc == PL_OK)
            CU_ASSERT_EQUAL(m, c->match);
    }
    for (i = 0; t_relay_cases[i].conf != NULL; i++) {
        const t_relay_case *c = &t_relay_cases[i];

        CU_ASSERT_FATAL(cf_load_text(c->conf, strlen(c->conf), "t", &cf,
                                     err, sizeof err) == PL_OK);
        CU_ASSERT_EQUAL(sm_relay_check(cf, err, sizeof err), PL_OK);
        if (sm_relay_allowed(cf, c->auth, c->peer, c->domain) != c->allowed)
            fprintf(stderr, "\nrelay case %d wrong\n", i);
        CU_ASSERT_EQUAL(sm_relay_allowed(cf, c->auth, c->peer, c->domain),
                        c->allowed);
        cf_free(cf);
    }
    /* startup validation names the key and the item */
    CU_ASSERT_FATAL(cf_load_text("smtp.relay_clients = 10.0.0.0/8, "
                                 "10.1/16\n", 40, "t", &cf, err, sizeof err)
                    == PL_OK);
    CU_ASSERT_EQUAL(sm_relay_check(cf, err, sizeof err), PL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "smtp.relay_clients"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "10.1/16"));
    cf_free(cf);
    CU_ASSERT_FATAL(cf_load_text("smtp.relay_zones = a..b\n", 23, "t", &cf,
                                 err, sizeof err) == PL_OK);
    CU_ASSERT_EQUAL(sm_relay_check(cf, err, sizeof err), PL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "smtp.relay_zones"));
    cf_free(cf);
}

/* Group E: which parsed addresses are never relayed. */
static void t_relay_tricks(void)
{
    static const struct { const char *path; int tricky; } v[] = {
        { "<b@ext.example>", 0 },
        { "<first.last+tag@ext.example>", 0 },
        { "<b%ext.example@here.example>", 1 },
        { "<ext.example!b@here.example>", 1 },
        { "<\"b@ext.example\"@here.example>", 1 },
        { "<\"b\"@here.example>", 1 },
        { "<@here.example:b@ext.example>", 1 },
        { "<@a.example,@b.example:b@ext.example>", 1 },
        { NULL, 0 }
    };
    sm_addr a;
    size_t used;
    int i;

    for (i = 0; v[i].path != NULL; i++) {
        CU_ASSERT_FATAL(sm_addr_parse(v[i].path, strlen(v[i].path), 0, &a,
                                      &used) == PL_OK);
        CU_ASSERT_EQUAL(sm_addr_tricky(&a), v[i].tricky);
    }
}

/* ---- sessions ------------------------------------------------------- */

static pl_dir *t_sm_root;
static st_store *t_sm_store;
static au_db *t_sm_db;
static tl_ctx *t_sm_tls;
/* set by the relay and alias tests only */
static qu_queue *t_sm_q;
static al_map *t_sm_al;

static int t_sm_account(const char *user, const char *pw, unsigned flags,
                        pl_u64 quota)
{
    au_account a;
    int rc;

    au_account_init(&a, user, T_SM_DOM);
    a.flags = flags;
    a.quota = quota;
    rc = au_cred_set(&a, pw, strlen(pw));
    if (rc == PL_OK)
        rc = au_db_add(t_sm_db, &a);
    au_account_wipe(&a);
    return rc;
}

static int t_sm_put(const char *user, const char *msg, size_t n)
{
    st_dlv *d;
    int rc = st_deliver_begin(t_sm_store, user, &d);

    if (rc != PL_OK)
        return rc;
    rc = st_deliver_write(d, msg, n);
    if (rc != PL_OK) {
        st_deliver_abort(d);
        return rc;
    }
    return st_deliver_commit(d, NULL);
}

static int t_sm_init(void)
{
    st_params p;
    char cert[512], key[512], err[256];
    const char *path = t_scratch_dir("smx");
    char filler[200];

    memset(&p, 0, sizeof p);
    p.default_domain = T_SM_DOM;
    if (path == NULL || sv_penalty_init() != PL_OK ||
        pl_dir_open_root(path, PL_DIR_CREATE, &t_sm_root) != PL_OK ||
        st_store_open(path, &p, &t_sm_store) != PL_OK ||
        au_db_open(t_sm_root, PL_DIR_CREATE, &t_sm_db) != PL_OK ||
        au_domain_add(t_sm_db, T_SM_DOM) != PL_OK ||
        au_domain_set_default(t_sm_db, T_SM_DOM) != PL_OK ||
        t_sm_account("alice", "secret1", 0, 0) != PL_OK ||
        t_sm_account("bob", "secret2", AU_F_DISMAIL, 0) != PL_OK ||
        t_sm_account("carol", "secret3", 0, 100) != PL_OK ||
        t_sm_account("dora", "secret4", 0, 100) != PL_OK)
        return -1;
    memset(filler, 'f', sizeof filler);
    if (t_sm_put("dora@" T_SM_DOM, filler, sizeof filler) != PL_OK)
        return -1;
    snprintf(cert, sizeof cert, "%s/cert.pem", path);
    snprintf(key, sizeof key, "%s/key.pem", path);
    if (tl_selfsigned_make(cert, key, T_SM_HOST, err, sizeof err) != PL_OK ||
        tl_ctx_new(cert, key, &t_sm_tls, err, sizeof err) != PL_OK) {
        fprintf(stderr, "\ntls setup: %s\n", err);
        return -1;
    }
    return 0;
}

static int t_sm_fini(void)
{
    tl_ctx_unref(t_sm_tls);
    au_db_close(t_sm_db);
    st_store_close(t_sm_store);
    pl_dir_close(t_sm_root);
    return 0;
}

/* Messages in user's NEWMAIL (-1 on error); the last one into last. */
static long t_sm_count(const char *user, ut_buf *last)
{
    st_mbox *mb;
    st_folder *f;
    pl_u32 n;
    char addr[100];

    snprintf(addr, sizeof addr, "%s@%s", user, T_SM_DOM);
    if (st_mbox_open(t_sm_store, addr, ST_OPEN_CREATE, &mb) != PL_OK)
        return -1;
    if (st_folder_select(mb, ST_NEWMAIL, &f) != PL_OK) {
        st_mbox_close(mb);
        return -1;
    }
    n = st_folder_count(f);
    if (last != NULL && n > 0)
        st_msg_stream(f, n - 1, (st_out_fn)t_sink_fn, last);
    st_folder_close(f);
    st_mbox_close(mb);
    return (long)n;
}

typedef struct t_io {
    const char *in;
    size_t n, pos, chunk;
    int early;           /* bytes are there before the greeting */
    ut_buf out;
} t_io;

static int t_io_read(void *ctx, void *buf, size_t n, pl_i32 ms, size_t *got)
{
    t_io *io = (t_io *)ctx;
    size_t k;

    (void)ms;
    if (!io->early && io->out.len == 0)
        return PL_ETIMEDOUT;   /* a polite client waits for the 220 */
    if (io->pos >= io->n)
        return PL_EOF;
    k = io->n - io->pos;
    if (io->chunk != 0 && k > io->chunk)
        k = io->chunk;
    if (k > n)
        k = n;
    memcpy(buf, io->in + io->pos, k);
    io->pos += k;
    *got = k;
    return PL_OK;
}

static int t_io_write(void *ctx, const void *buf, size_t n, pl_i32 ms)
{
    (void)ms;
    return ut_buf_add(&((t_io *)ctx)->out, buf, n);
}

static const char t_sm_conf[] =
    "hostname = " T_SM_HOST "\n"
    "domains = localhost\n"
    "smtp.error_delay = 0\n"
    "smtp.auth_penalty = no\n";

static const char *const t_sm_base[] = {
    "hostname = " T_SM_HOST "\n", "domains = localhost\n",
    "smtp.error_delay = 0\n", "smtp.auth_penalty = no\n",
    /* every mechanism, so the AUTH tests reach each one */
    "auth.mechanisms = plain, login, cram-md5, digest-md5, scram-sha-256\n",
    NULL
};

/* 1 if text has a line starting with the kl-octet key. */
static int t_has_key(const char *text, const char *key, size_t kl)
{
    const char *p = text;

    while (p != NULL && *p != '\0') {
        if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
            return 1;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return 0;
}

/* Run one session; the replies in out (caller frees with ut_buf_free). */
static void t_sm_run2(const char *extra, int svc, int implicit,
                      const char *in, size_t n, size_t chunk, int early,
                      ut_buf *out)
{
    static const nt_io fns = { t_io_read, t_io_write };
    char text[2048], err[CF_ERR_MAX];
    cf_config *cf = NULL;
    nt_conn *c = NULL;
    sm_env env;
    t_io io;
    int i;

    /* the base lines, less any key the test sets itself */
    text[0] = '\0';
    for (i = 0; t_sm_base[i] != NULL; i++) {
        size_t kl = strcspn(t_sm_base[i], " ");
        if (extra == NULL || strstr(extra, "smtp.") == NULL ||
            !t_has_key(extra, t_sm_base[i], kl))
            ut_strlcat(text, t_sm_base[i], sizeof text);
    }
    ut_strlcat(text, extra ? extra : "", sizeof text);
    CU_ASSERT_FATAL(cf_load_text(text, strlen(text), "t", &cf, err,
                                 sizeof err) == PL_OK);
    memset(&io, 0, sizeof io);
    io.in = in;
    io.n = n;
    io.chunk = chunk;
    io.early = early;
    ut_buf_init(&io.out, 0);
    CU_ASSERT_FATAL(nt_conn_new_io(&fns, &io, "127.0.0.1", &c) == PL_OK);
    memset(&env, 0, sizeof env);
    env.cfg = cf;
    env.store = t_sm_store;
    env.db = t_sm_db;
    env.pend = NULL;
    env.tls = svc == SM_SVC_LMTP ? NULL : t_sm_tls;
    env.hostname = T_SM_HOST;
    env.service = svc;
    env.implicit_tls = implicit;
    env.queue = t_sm_q;
    env.aliases = t_sm_al;
    sm_session(&env, c);
    nt_conn_close(c);
    cf_free(cf);
    ut_buf_add(&io.out, "", 0);
    *out = io.out;
}

static void t_sm_run(const char *extra, int svc, int implicit,
                     const char *in, ut_buf *out)
{
    t_sm_run2(extra, svc, implicit, in, strlen(in), 0, 0, out);
}

/* Lines of out that start with prefix. */
static int t_lines(const ut_buf *out, const char *prefix)
{
    const char *p = ut_buf_str(out);
    int n = 0;

    while (*p != '\0') {
        if (strncmp(p, prefix, strlen(prefix)) == 0)
            n++;
        p = strstr(p, "\r\n");
        if (p == NULL)
            break;
        p += 2;
    }
    return n;
}

static void t_expect(const ut_buf *out, const char *want)
{
    if (strcmp(ut_buf_str(out), want) != 0)
        fprintf(stderr, "\n--- got:\n%s--- want:\n%s---\n", ut_buf_str(out),
                want);
    CU_ASSERT_STRING_EQUAL(ut_buf_str(out), want);
}

#define T_GREET "220 " T_SM_HOST " ESMTP newmail ready\r\n"
#define T_EHLO_PLAIN \
    "250-" T_SM_HOST "\r\n250-PIPELINING\r\n250-SIZE 26214400\r\n" \
    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n" \
    "250-AUTH CRAM-MD5 DIGEST-MD5 SCRAM-SHA-256\r\n250-SMTPUTF8\r\n" \
    "250 DSN\r\n"
#define T_EHLO_TLS \
    "250-" T_SM_HOST "\r\n250-PIPELINING\r\n250-SIZE 26214400\r\n" \
    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n" \
    "250-AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5 SCRAM-SHA-256\r\n" \
    "250-SMTPUTF8\r\n250 DSN\r\n"
/* The same with auth.mechanisms at its default. */
#define T_EHLO_PLAIN_DEF \
    "250-" T_SM_HOST "\r\n250-PIPELINING\r\n250-SIZE 26214400\r\n" \
    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n" \
    "250-AUTH SCRAM-SHA-256\r\n250-SMTPUTF8\r\n250 DSN\r\n"
#define T_EHLO_TLS_DEF \
    "250-" T_SM_HOST "\r\n250-PIPELINING\r\n250-SIZE 26214400\r\n" \
    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n" \
    "250-AUTH PLAIN LOGIN SCRAM-SHA-256\r\n250-SMTPUTF8\r\n250 DSN\r\n"

/* A whole delivery, fed whole, one byte at a time and in blocks: the
 * same transcript, and the stored message is the data byte for byte
 * after the trace header. */
static void t_sess_deliver(void)
{
    static const char in[] =
        "EHLO client.example.net\r\n"
        "MAIL FROM:<sender@ext.example> BODY=8BITMIME\r\n"
        "RCPT TO:<alice@example.org>\r\n"
        "DATA\r\n"
        "Subject: hi\r\n\r\nbody \x80\xff\r\n..dot\r\n.\r\n"
        "QUIT\r\n";
    static const char want[] =
        T_GREET T_EHLO_PLAIN "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
        "354 End data with <CR><LF>.<CR><LF>\r\n"
        "250 2.0.0 Ok: delivered\r\n221 2.0.0 Bye\r\n";
    static const char body[] = "Subject: hi\r\n\r\nbody \x80\xff\r\n.dot\r\n";
    static const size_t ch[] = { 0, 1, 5, 100 };
    ut_buf out, msg;
    long before = t_sm_count("alice", NULL), after;
    size_t i;
    const char *m;

    for (i = 0; i < sizeof ch / sizeof ch[0]; i++) {
        t_sm_run2(NULL, SM_SVC_SMTP, 0, in, sizeof in - 1, ch[i], 0, &out);
        t_expect(&out, want);
        ut_buf_free(&out);
    }
    ut_buf_init(&msg, 0);
    after = t_sm_count("alice", &msg);
    CU_ASSERT_EQUAL(after, before + 4);
    m = ut_buf_str(&msg);
    CU_ASSERT_EQUAL(strncmp(m, "Return-Path: <sender@ext.example>\r\n"
                            "Received: from client.example.net "
                            "([127.0.0.1])\r\n\tby " T_SM_HOST
                            " (newmail) with ESMTP id ", 104), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "\r\n\tfor <alice@example.org>; "));
    CU_ASSERT(msg.len > sizeof body - 1 &&
              memcmp(m + msg.len - (sizeof body - 1), body,
                     sizeof body - 1) == 0);
    ut_buf_free(&msg);
}

/* EHLO keywords: STARTTLS and no plaintext AUTH before TLS; after TLS
 * (submissions) plaintext AUTH and no STARTTLS.  B1 (as far as a socket-
 * less connection goes): commands written behind STARTTLS get no reply. */
static void t_sess_ehlo_tls(void)
{
    ut_buf out;

    t_sm_run(NULL, SM_SVC_SMTP, 0, "EHLO x.example\r\nQUIT\r\n", &out);
    t_expect(&out, T_GREET T_EHLO_PLAIN "221 2.0.0 Bye\r\n");
    ut_buf_free(&out);
    t_sm_run(NULL, SM_SVC_SUBMISSIONS, 1, "EHLO x.example\r\nQUIT\r\n", &out);
    t_expect(&out, T_GREET T_EHLO_TLS "221 2.0.0 Bye\r\n");
    ut_buf_free(&out);
    t_sm_run(NULL, SM_SVC_SMTP, 0,
             "EHLO x.example\r\nSTARTTLS\r\nMAIL FROM:<a@evil.example>\r\n"
             "RCPT TO:<alice@example.org>\r\n", &out);
    t_expect(&out, T_GREET T_EHLO_PLAIN "220 2.0.0 Ready to start TLS\r\n");
    ut_buf_free(&out);
    t_sm_run(NULL, SM_SVC_SUBMISSIONS, 1, "EHLO x\r\nSTARTTLS\r\n"
             "STARTTLS x\r\nQUIT\r\n", &out);
    CU_ASSERT_EQUAL(t_lines(&out, "554 5.5.1 TLS already active"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "501 5.5.4"), 1);
    ut_buf_free(&out);
    /* smtp.require_tls: only the PRE_TLS commands before STARTTLS */
    t_sm_run("smtp.require_tls = yes\n", SM_SVC_SMTP, 0,
             "EHLO x\r\nMAIL FROM:<a@b.example>\r\nNOOP\r\nQUIT\r\n", &out);
    CU_ASSERT_EQUAL(t_lines(&out, "530 5.7.0 Must issue a STARTTLS"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.0.0 Ok"), 1);
    ut_buf_free(&out);
}

/* D8 sequencing; nothing runs after QUIT. */
static void t_sess_sequence(void)
{
    ut_buf out;

    t_sm_run(NULL, SM_SVC_SMTP, 0,
             "RCPT TO:<alice@example.org>\r\n"
             "HELO x.example\r\n"
             "RCPT TO:<alice@example.org>\r\n"
             "DATA\r\n"
             "MAIL FROM:<a@b.example>\r\n"
             "MAIL FROM:<a@b.example>\r\n"
             "DATA\r\n"
             "RCPT TO:<nobody@example.org>\r\n"
             "DATA\r\n"
             "RCPT TO:<alice@example.org>\r\n"
             "HELO y.example\r\n"
             "RCPT TO:<alice@example.org>\r\n"
             "RSET x\r\n"
             "QUIT\r\n"
             "NOOP\r\n", &out);
    t_expect(&out, T_GREET
             "503 5.5.1 Send HELO/EHLO first\r\n"
             "250 " T_SM_HOST "\r\n"
             "503 5.5.1 Bad sequence of commands\r\n"
             "503 5.5.1 Bad sequence of commands\r\n"
             "250 2.1.0 Ok\r\n"
             "503 5.5.1 Bad sequence of commands\r\n"
             "503 5.5.1 Need RCPT (recipient)\r\n"
             "550 5.1.1 User unknown\r\n"
             "554 5.5.1 No valid recipients\r\n"
             "250 2.1.5 Ok\r\n"
             "250 " T_SM_HOST "\r\n"
             "503 5.5.1 Bad sequence of commands\r\n"
             "501 5.5.4 Syntax: RSET\r\n"
             "221 2.0.0 Bye\r\n");
    ut_buf_free(&out);
}

/* E1, E2, E3: relay refused for every trick, authenticated or not; D1,
 * D2; nothing stored anywhere. */
static void t_sess_relay(void)
{
    static const char *const rc[] = {
        "<b@ext2.example>", "<b%ext2.example@[127.0.0.1]>",
        "<b%ext2.example@localhost>", "<\"b@ext2.example\">",
        "<\"b%ext2.example\">", "<b@ext2.example@[127.0.0.1]>",
        "<\"b@ext2.example\"@[127.0.0.1]>", "<b@ext2.example@localhost>",
        "<@[127.0.0.1]:b@ext2.example>", "<@localhost:b@ext2.example>",
        "<ext2.example!b>", "<ext2.example!b@[127.0.0.1]>",
        "<ext2.example!b@localhost>", "<b%ext2.example@example.org>",
        "<\"b@ext2.example\"@example.org>", "<@example.org:b@ext2.example>",
        "<${run{/bin/sh}}@localhost>",
        "<${run{\\x2fbin\\x2fsh\\t-c\\t\\x22id\\x22}}@localhost>",
        NULL
    };
    char in[4096], b64[128], raw[64];
    ut_buf out;
    long before = t_sm_count("alice", NULL);
    int i, auth, nrc = 0;

    memcpy(raw, "\0alice@example.org\0secret1", 26);
    ut_b64_encode(raw, 26, b64, sizeof b64, NULL);
    for (auth = 0; auth < 2; auth++) {
        snprintf(in, sizeof in, "EHLO x.example\r\n%s%s%s"
                 "MAIL FROM:<postmaster@example.org>\r\n",
                 auth ? "AUTH PLAIN " : "", auth ? b64 : "",
                 auth ? "\r\n" : "");
        for (i = 0; rc[i] != NULL; i++) {
            ut_strlcat(in, "RCPT TO:", sizeof in);
            ut_strlcat(in, rc[i], sizeof in);
            ut_strlcat(in, "\r\n", sizeof in);
        }
        nrc = i;
        ut_strlcat(in, "DATA\r\nQUIT\r\n", sizeof in);
        t_sm_run("smtp.max_errors = 100\n",
                 auth ? SM_SVC_SUBMISSIONS : SM_SVC_SMTP, auth, in, &out);
        CU_ASSERT_EQUAL(t_lines(&out, "235 "), auth);
        CU_ASSERT_EQUAL(t_lines(&out, "554 5.7.1 Relay access denied"), 7);
        CU_ASSERT_EQUAL(t_lines(&out, "550 5.1.1 User unknown"), 5);
        CU_ASSERT_EQUAL(t_lines(&out, "501 5.1.3"), 6);
        CU_ASSERT_EQUAL(t_lines(&out, "250 2.1.5"), 0);
        CU_ASSERT_EQUAL(t_lines(&out, "554 5.5.1 No valid recipients"), 1);
        CU_ASSERT_EQUAL(7 + 5 + 6, nrc);
        ut_buf_free(&out);
    }
    t_sm_run(NULL, SM_SVC_SMTP, 0, "HELO x\r\nMAIL FROM:<;sleep 66;>\r\n"
             "MAIL FROM:<;sleep 66;@localhost>\r\nQUIT\r\n", &out);
    CU_ASSERT_EQUAL(t_lines(&out, "501 5.1.7"), 2);
    ut_buf_free(&out);
    CU_ASSERT_EQUAL(t_sm_count("alice", NULL), before);
}

/* E5, DISMAIL, user+tag, a configured domain, <postmaster>, F2. */
static void t_sess_rcpt(void)
{
    ut_buf out;
    long a0 = t_sm_count("alice", NULL);

    t_sm_run(NULL, SM_SVC_SMTP, 0, "EHLO x\r\nMAIL FROM:<>\r\n"
             "RCPT TO:<nosuchuser@example.org>\r\n"
             "RCPT TO:<bob@example.org>\r\n"
             "RCPT TO:<alice+news@example.org>\r\n"
             "RCPT TO:<ALICE@LOCALHOST>\r\n"
             "RCPT TO:<Postmaster>\r\n"
             "VRFY alice\r\nEXPN staff\r\nVRFY\r\n"
             "DATA\r\nx\r\n.\r\nQUIT\r\n", &out);
    CU_ASSERT_EQUAL(t_lines(&out, "550 5.1.1 User unknown"), 2);
    CU_ASSERT_EQUAL(t_lines(&out, "550 5.2.1 Mailbox disabled"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.1.5 Ok"), 2);
    CU_ASSERT_EQUAL(t_lines(&out, "252 2.5.2"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "502 5.5.1 EXPN not available"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "501 5.5.4 Syntax: VRFY"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.0.0 Ok: delivered"), 1);
    ut_buf_free(&out);
    /* two RCPTs for one mailbox: one copy */
    CU_ASSERT_EQUAL(t_sm_count("alice", NULL), a0 + 1);
    CU_ASSERT_EQUAL(t_sm_count("bob", NULL), 0);
}

static int t_q_count_cb(void *ctx, const char *id)
{
    (void)id;
    (*(int *)ctx)++;
    return 0;
}

static int t_q_count(void)
{
    int n = 0;

    return qu_list(t_sm_q, t_q_count_cb, &n) == PL_OK ? n : -1;
}

/* The recipients of the entry whose id the reply "queued as ID" names,
 * "addr|orcpt|notify " each. */
static void t_q_rcpts(const ut_buf *out, char *got, size_t gn)
{
    const char *p = strstr(ut_buf_str(out), "queued as ");
    char id[QU_ID_LEN + 1], why[200], num[8];
    qu_env *e = NULL;
    int i;

    got[0] = '\0';
    if (p == NULL || ut_memtostr(id, sizeof id, p + 10, QU_ID_LEN) != PL_OK
        || qu_env_load(t_sm_q, id, &e, why, sizeof why) != PL_OK)
        return;
    for (i = 0; i < e->nrcpt; i++) {
        ut_strlcat(got, e->rcpt[i].addr, gn);
        ut_strlcat(got, "|", gn);
        ut_strlcat(got, e->rcpt[i].orcpt, gn);
        ut_strlcat(got, "|", gn);
        snprintf(num, sizeof num, "%d ", e->rcpt[i].notify);
        ut_strlcat(got, num, gn);
    }
    ut_strlcat(got, e->from, gn);
    qu_env_free(e);
}

/* Relay into the queue (E with a queue), mixed local and remote
 * recipients, remote aliases, LMTP never relaying. */
static void t_sess_queue(void)
{
    const char *dir = t_scratch_dir("sm_aliases");
    char path[300], got[600], err[300];
    ut_buf out;
    long a0 = t_sm_count("alice", NULL);
    int q0;
    FILE *f;

    CU_ASSERT_FATAL(dir != NULL);
    CU_ASSERT_FATAL(qu_open(t_sm_root, &t_sm_q) == PL_OK);
    q0 = t_q_count();
    /* loopback may relay by default; local + remote: one queue entry */
    t_sm_run(NULL, SM_SVC_SMTP, 0, "EHLO x\r\n"
             "MAIL FROM:<s@ext.example> ENVID=e1 RET=HDRS\r\n"
             "RCPT TO:<r1@Remote.example> NOTIFY=SUCCESS,FAILURE "
             "ORCPT=rfc822;r1@remote.example\r\n"
             "RCPT TO:<alice@example.org>\r\n"
             "RCPT TO:<r2@remote.example>\r\n"
             "RCPT TO:<r1@remote.example>\r\n"
             "DATA\r\nSubject: t\r\n\r\nbody\r\n.\r\nQUIT\r\n", &out);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.1.5 Ok"), 4);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.0.0 Ok: queued as "), 1);
    CU_ASSERT_EQUAL(t_q_count(), q0 + 1);
    CU_ASSERT_EQUAL(t_sm_count("alice", NULL), a0 + 1);
    t_q_rcpts(&out, got, sizeof got);
    CU_ASSERT_STRING_EQUAL(got, "r1@remote.example|rfc822;r1@remote.example"
                           "|6 r2@remote.example||0 s@ext.example");
    ut_buf_free(&out);

    /* a client network that excludes us: 554, unless authenticated or a
     * relay zone; the tricks of group E never relay */
    t_sm_run("smtp.relay_clients = 10.0.0.0/8\n"
             "smtp.relay_zones = .zone.example\n", SM_SVC_SMTP, 0,
             "EHLO x\r\nMAIL FROM:<>\r\n"
             "RCPT TO:<r@remote.example>\r\n"
             "RCPT TO:<r@mx.zone.example>\r\n"
             "RCPT TO:<r%remote.example@zone.example>\r\n"
             "RCPT TO:<remote.example!r@zone.example>\r\n"
             "RCPT TO:<\"r@remote.example\"@zone.example>\r\n"
             "RCPT TO:<@example.org:r@zone.example>\r\n"
             "RCPT TO:<r%remote.example@example.org>\r\n"
             "RCPT TO:<@zone.example:alice@example.org>\r\n"
             "RSET\r\nQUIT\r\n", &out);
    CU_ASSERT_EQUAL(t_lines(&out, "554 5.7.1 Relay access denied"), 5);
    CU_ASSERT_EQUAL(t_lines(&out, "550 5.1.1 User unknown"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.1.5 Ok"), 2);
    ut_buf_free(&out);

    /* LMTP never relays */
    t_sm_run(NULL, SM_SVC_LMTP, 0, "LHLO x\r\nMAIL FROM:<>\r\n"
             "RCPT TO:<r@remote.example>\r\nQUIT\r\n", &out);
    CU_ASSERT_EQUAL(t_lines(&out, "554 5.7.1 Relay access denied"), 1);
    ut_buf_free(&out);

    /* an alias with a remote member: the local copy and the queue */
    snprintf(path, sizeof path, "%s/aliases", dir);
    f = fopen(path, "wb");
    CU_ASSERT_FATAL(f != NULL);
    fputs("postmaster: alice\nteam: alice, far@remote.example\n"
          "loop: loop2\nloop2: loop\n", f);
    fclose(f);
    CU_ASSERT_FATAL(al_map_open(path, t_sm_db, &t_sm_al, err, sizeof err)
                    == PL_OK);
    a0 = t_sm_count("alice", NULL);
    t_sm_run("smtp.relay_clients = 10.0.0.0/8\n", SM_SVC_SMTP, 0,
             "EHLO x\r\nMAIL FROM:<s@ext.example>\r\n"
             "RCPT TO:<team@localhost>\r\nRCPT TO:<loop@localhost>\r\n"
             "RCPT TO:<postmaster>\r\n"
             "DATA\r\nx\r\n.\r\nQUIT\r\n", &out);
    CU_ASSERT_EQUAL(t_lines(&out, "554 5.4.6"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.0.0 Ok: queued as "), 1);
    CU_ASSERT_EQUAL(t_sm_count("alice", NULL), a0 + 1);
    t_q_rcpts(&out, got, sizeof got);
    CU_ASSERT_STRING_EQUAL(got, "far@remote.example|rfc822;team@localhost"
                           "|0 s@ext.example");
    ut_buf_free(&out);
    /* no queue: the remote member cannot be served now */
    qu_close(t_sm_q);
    t_sm_q = NULL;
    t_sm_run(NULL, SM_SVC_SMTP, 0, "EHLO x\r\nMAIL FROM:<>\r\n"
             "RCPT TO:<team@localhost>\r\nQUIT\r\n", &out);
    CU_ASSERT_EQUAL(t_lines(&out, "451 4.3.0"), 1);
    ut_buf_free(&out);
    al_map_free(t_sm_al);
    t_sm_al = NULL;
}

static void t_b64(const char *raw, size_t n, char *out, size_t on)
{
    ut_b64_encode(raw, n, out, on, NULL);
}

/* F3, F4, F5, B6, submission needs AUTH. */
static void t_sess_auth(void)
{
    char in[16000], g[128], w[128], b[6][128];
    ut_buf out;
    char *big;
    size_t hl;

    t_b64("\0alice@example.org\0secret1", 26, g, sizeof g);
    t_b64("\0alice@example.org\0wrong", 24, w, sizeof w);
    t_b64("\0u", 2, b[0], 128);
    t_b64("u\0p", 3, b[1], 128);
    t_b64("\0u\0p\0x", 6, b[2], 128);
    t_b64("a\0alice@example.org\0secret1", 27, b[3], 128);
    t_b64("\0\0", 2, b[4], 128);
    t_b64("\0u\r\nX-Evil: 1\0p", 16, b[5], 128);
    snprintf(in, sizeof in,
             "EHLO x\r\nMAIL FROM:<a@b.example>\r\nAUTH PLAIN %s\r\nRSET\r\n"
             "AUTH FOO\r\nAUTH PLAIN !!!!\r\nAUTH PLAIN AAA\r\n"
             "AUTH PLAIN =\r\nAUTH PLAIN %s\r\n"
             "AUTH PLAIN %s\r\nAUTH PLAIN %s\r\nAUTH PLAIN %s\r\n"
             "AUTH PLAIN %s\r\nAUTH PLAIN %s\r\nAUTH PLAIN %s\r\n"
             "AUTH PLAIN\r\n*\r\n"
             "AUTH LOGIN\r\n%%%%\r\nQUIT\r\n",
             g, w, b[0], b[1], b[2], b[3], b[4], b[5]);
    t_sm_run("smtp.max_errors = 100\n", SM_SVC_SMTP, 1, in, &out);
    t_expect(&out, T_GREET T_EHLO_TLS
             "250 2.1.0 Ok\r\n"
             "503 5.5.1 Bad sequence of commands\r\n"
             "250 2.0.0 Ok\r\n"
             "504 5.5.4 Unrecognized authentication type\r\n"
             "501 5.5.2 Invalid base64 data\r\n"
             "501 5.5.2 Invalid base64 data\r\n"
             "535 5.7.8 Authentication credentials invalid\r\n"
             "535 5.7.8 Authentication credentials invalid\r\n"
             "535 5.7.8 Authentication credentials invalid\r\n"
             "535 5.7.8 Authentication credentials invalid\r\n"
             "535 5.7.8 Authentication credentials invalid\r\n"
             "535 5.7.8 Authentication credentials invalid\r\n"
             "535 5.7.8 Authentication credentials invalid\r\n"
             "535 5.7.8 Authentication credentials invalid\r\n"
             "334 \r\n501 5.0.0 Authentication cancelled\r\n"
             "334 VXNlcm5hbWU6\r\n501 5.5.2 Invalid base64 data\r\n"
             "221 2.0.0 Bye\r\n");
    ut_buf_free(&out);
    /* F4: a fresh exchange after a cancelled one; F5: twice, inside a
     * transaction */
    snprintf(in, sizeof in, "EHLO x\r\nAUTH CRAM-MD5\r\n*\r\n"
             "AUTH PLAIN %s\r\nAUTH PLAIN %s\r\n"
             "MAIL FROM:<a@b.example>\r\nAUTH PLAIN %s\r\nQUIT\r\n",
             g, g, g);
    t_sm_run(NULL, SM_SVC_SUBMISSIONS, 1, in, &out);
    CU_ASSERT_EQUAL(t_lines(&out, "334 "), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "501 5.0.0 Authentication cancelled"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "235 2.7.0 Authentication successful"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "503 5.5.1 Already authenticated"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.1.0 Ok"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "503 5.5.1 Bad sequence"), 1);
    ut_buf_free(&out);
    /* B6: plaintext before TLS is 538; submission needs AUTH (530);
     * AUTH needs EHLO; an AUTH line over 12288 octets is one 500 */
    big = (char *)malloc(13300);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    strcpy(big, "AUTH PLAIN\r\nHELO x\r\nAUTH PLAIN\r\nEHLO x\r\n"
           "AUTH PLAIN ");
    hl = strlen(big);
    memset(big + hl, 'Q', 13000);
    big[hl + 13000] = '\0';
    strcat(big, "\r\nAUTH LOGIN\r\nMAIL FROM:<a@b.example>\r\nQUIT\r\n");
    t_sm_run(NULL, SM_SVC_SUBMISSION, 0, big, &out);
    CU_ASSERT_EQUAL(t_lines(&out, "503 5.5.1 Send HELO/EHLO first"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "503 5.5.1 Send EHLO first"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "500 5.5.2 Line too long"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "538 5.7.11 Encryption required"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "530 5.7.0 Authentication required"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "221 "), 1);
    free(big);
    ut_buf_free(&out);
}

/* H5 junk, H6 errors, H7 recipients. */
static void t_sess_limits(void)
{
    char *in;
    size_t n;
    ut_buf out;
    pl_i64 t0;

    in = t_rep("EHLO x\r\n", "FOO\r\n", 25, "QUIT\r\n", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    t_sm_run(NULL, SM_SVC_SMTP, 0, in, &out);
    CU_ASSERT_EQUAL(t_lines(&out, "500 5.5.2 Command not recognized"), 21);
    CU_ASSERT_EQUAL(t_lines(&out, "421 4.7.0 Too many errors"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "221 "), 0);
    ut_buf_free(&out);
    free(in);
    /* the pause grows past half the limit: 1 s at the second error */
    t0 = pl_time_mono_ms();
    t_sm_run("smtp.max_errors = 2\nsmtp.error_delay = 1\n", SM_SVC_SMTP, 0,
             "FOO\r\nFOO\r\nFOO\r\nQUIT\r\n", &out);
    CU_ASSERT(pl_time_mono_ms() - t0 >= 1000);
    CU_ASSERT_EQUAL(t_lines(&out, "500 5.5.2"), 3);
    CU_ASSERT_EQUAL(t_lines(&out, "421 4.7.0 Too many errors"), 1);
    ut_buf_free(&out);
    in = t_rep("EHLO x\r\n", "NOOP\r\n", 200, "QUIT\r\n", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    t_sm_run(NULL, SM_SVC_SMTP, 0, in, &out);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.0.0 Ok"), 120);
    CU_ASSERT_EQUAL(t_lines(&out, "421 4.7.0 Too many errors"), 1);
    ut_buf_free(&out);
    free(in);
    in = t_rep("EHLO x\r\nMAIL FROM:<a@b.example>\r\n",
               "RCPT TO:<alice@example.org>\r\n", 101, "QUIT\r\n", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    t_sm_run(NULL, SM_SVC_SMTP, 0, in, &out);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.1.5 Ok"), 100);
    CU_ASSERT_EQUAL(t_lines(&out, "452 4.5.3 Too many recipients"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "221 "), 1);
    ut_buf_free(&out);
    free(in);
}

/* C2, C3, C5, C6, H3, BDAT. */
static void t_sess_lines(void)
{
    static const size_t bs[] = { 128, 256, 512, 1024, 2048, 4096, 65536 };
    static const char c5[] = "HELO a\0b\r\nRCPT TO:<a@b>\rRSET\r\n"
        "HELO \xff\xfe\x1b[2J\r\nBDAT 5 LAST\r\nHELO %n%n\r\nQUIT\r\n";
    ut_buf out;
    char *in;
    size_t n, i;

    for (i = 0; i < sizeof bs / sizeof bs[0]; i++) {
        /* "NOOP " + A x (B - 5) + "RSET": one reply, RSET never runs */
        in = t_rep("EHLO x\r\nMAIL FROM:<a@b.example>\r\nNOOP ", "A",
                   bs[i] - 5, "RSET\r\nRCPT TO:<alice@example.org>\r\n"
                   "QUIT\r\n", &n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(in);
        t_sm_run(NULL, SM_SVC_SMTP, 0, in, &out);
        CU_ASSERT_EQUAL(t_lines(&out, bs[i] < 510 ? "250 2.0.0 Ok"
                                : "500 5.5.2 Line too long"), 1);
        CU_ASSERT_EQUAL(t_lines(&out, "250 2.1.5 Ok"), 1);
        CU_ASSERT_EQUAL(t_lines(&out, "221 "), 1);
        ut_buf_free(&out);
        free(in);
    }
    t_sm_run2(NULL, SM_SVC_SMTP, 0, c5, sizeof c5 - 1, 0, 0, &out);
    t_expect(&out, T_GREET "501 5.5.2 Invalid character in command\r\n"
             "501 5.5.2 Invalid character in command\r\n"
             "501 5.5.2 Invalid character in command\r\n"
             "500 5.5.2 Command not recognized\r\n"
             "250 " T_SM_HOST "\r\n221 2.0.0 Bye\r\n");
    ut_buf_free(&out);
    /* C1: a 1 MB line without LF: one 500, memory stays the reader's */
    in = t_rep("EHLO x\r\nNOOP ", "A", 1024 * 1024, "\r\nQUIT\r\n", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    t_sm_run(NULL, SM_SVC_SMTP, 0, in, &out);
    CU_ASSERT_EQUAL(t_lines(&out, "500 5.5.2 Line too long"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "221 2.0.0 Bye"), 1);
    ut_buf_free(&out);
    free(in);
    /* H3: an early talker gets 554 and nothing else */
    t_sm_run2(NULL, SM_SVC_SMTP, 0, "EHLO x\r\nQUIT\r\n", 14, 0, 1, &out);
    t_expect(&out, "554 5.5.1 Protocol error: input before the greeting\r\n");
    ut_buf_free(&out);
}

/* RFC 2920: a whole transaction and more in one write, replies in order;
 * bytes after the end of data are commands again. */
static void t_sess_pipelining(void)
{
    static const char in[] =
        "EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.org>\r\n"
        "RCPT TO:<nobody@example.org>\r\nDATA\r\nhello\r\n.\r\n"
        "MAIL FROM:<c@d.example>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n"
        "again\r\n.\r\nNOOP\r\nQUIT\r\n";
    ut_buf out;
    long before = t_sm_count("alice", NULL);
    size_t i;
    static const size_t ch[] = { 0, 1, 7 };

    for (i = 0; i < sizeof ch / sizeof ch[0]; i++) {
        t_sm_run2(NULL, SM_SVC_SMTP, 0, in, sizeof in - 1, ch[i], 0, &out);
        t_expect(&out, T_GREET T_EHLO_PLAIN "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
                 "550 5.1.1 User unknown\r\n"
                 "354 End data with <CR><LF>.<CR><LF>\r\n"
                 "250 2.0.0 Ok: delivered\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
                 "354 End data with <CR><LF>.<CR><LF>\r\n"
                 "250 2.0.0 Ok: delivered\r\n250 2.0.0 Ok\r\n"
                 "221 2.0.0 Bye\r\n");
        ut_buf_free(&out);
    }
    CU_ASSERT_EQUAL(t_sm_count("alice", NULL), before + 6);
}

/* LMTP: LHLO, one reply per accepted recipient, quota per recipient. */
static void t_sess_lmtp(void)
{
    static const char in[] =
        "EHLO x\r\nLHLO x\r\nMAIL FROM:<a@b.example>\r\n"
        "RCPT TO:<alice@example.org>\r\nRCPT TO:<carol@example.org>\r\n"
        "RCPT TO:<nobody@example.org>\r\nRCPT TO:<alice@example.org>\r\n"
        "DATA\r\nSubject: lmtp\r\n\r\n"
        "0123456789012345678901234567890123456789\r\n.\r\nQUIT\r\n";
    ut_buf out;
    long a0 = t_sm_count("alice", NULL), c0 = t_sm_count("carol", NULL);

    t_sm_run(NULL, SM_SVC_LMTP, 0, in, &out);
    t_expect(&out, "220 " T_SM_HOST " LMTP newmail ready\r\n"
             "500 5.5.2 Command not recognized\r\n"
             "250-" T_SM_HOST "\r\n250-PIPELINING\r\n250-SIZE 26214400\r\n"
             "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n"
             "250 DSN\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
             "550 5.1.1 User unknown\r\n250 2.1.5 Ok\r\n"
             "354 End data with <CR><LF>.<CR><LF>\r\n"
             "250 2.0.0 Ok: delivered\r\n"
             "552 5.2.2 Message too large for the mailbox quota\r\n"
             "250 2.0.0 Ok: delivered\r\n221 2.0.0 Bye\r\n");
    ut_buf_free(&out);
    CU_ASSERT_EQUAL(t_sm_count("alice", NULL), a0 + 1);
    CU_ASSERT_EQUAL(t_sm_count("carol", NULL), c0);
}

/* Quota in SMTP: 552 at RCPT for a SIZE that can never fit, 452 for a
 * full mailbox, 552 after the data with the real size, nothing stored. */
static void t_sess_quota(void)
{
    ut_buf out;
    long c0 = t_sm_count("carol", NULL), d0 = t_sm_count("dora", NULL);
    long a0 = t_sm_count("alice", NULL);

    t_sm_run(NULL, SM_SVC_SMTP, 0, "EHLO x\r\n"
             "MAIL FROM:<a@b.example> SIZE=5000\r\n"
             "RCPT TO:<carol@example.org>\r\nRCPT TO:<dora@example.org>\r\n"
             "RSET\r\nMAIL FROM:<a@b.example>\r\n"
             "RCPT TO:<dora@example.org>\r\nRCPT TO:<carol@example.org>\r\n"
             "RCPT TO:<alice@example.org>\r\n"
             "DATA\r\nSubject: q\r\n\r\n"
             "0123456789012345678901234567890123456789\r\n.\r\n"
             "MAIL FROM:<a@b.example> SIZE=99999999999\r\nQUIT\r\n", &out);
    t_expect(&out, T_GREET T_EHLO_PLAIN "250 2.1.0 Ok\r\n"
             "552 5.2.2 Message too large for the mailbox quota\r\n"
             "552 5.2.2 Message too large for the mailbox quota\r\n"
             "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n"
             "452 4.2.2 Mailbox full\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
             "354 End data with <CR><LF>.<CR><LF>\r\n"
             "552 5.2.2 Message too large for the mailbox quota\r\n"
             "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
             "221 2.0.0 Bye\r\n");
    ut_buf_free(&out);
    CU_ASSERT_EQUAL(t_sm_count("carol", NULL), c0);
    CU_ASSERT_EQUAL(t_sm_count("dora", NULL), d0);
    CU_ASSERT_EQUAL(t_sm_count("alice", NULL), a0);
}

/* DATA policy in a session: bare LF rejected (one 554, nothing stored) or
 * normalized (one message, literal text); H8 after the data; D10. */
static void t_sess_data_policy(void)
{
    static const char a1[] =
        "EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.org>\r\n"
        "DATA\r\nSubject: t\r\n\r\nhi\n.\r\nMAIL FROM:<spoof@x.example>\r\n"
        "RCPT TO:<alice@example.org>\r\nDATA\r\nFrom: spoof\r\n\r\nevil\r\n"
        ".\r\nQUIT\r\n";
    ut_buf out, msg;
    long a0 = t_sm_count("alice", NULL);
    char *in;
    size_t n;
    const char *m;

    t_sm_run(NULL, SM_SVC_SMTP, 0, a1, &out);
    CU_ASSERT_EQUAL(t_lines(&out, "554 5.6.0"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "354 "), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.0.0 Ok: delivered"), 0);
    CU_ASSERT_EQUAL(t_lines(&out, "221 "), 1);
    ut_buf_free(&out);
    CU_ASSERT_EQUAL(t_sm_count("alice", NULL), a0);
    t_sm_run("smtp.bare_lf = normalize\n", SM_SVC_SMTP, 0, a1, &out);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.0.0 Ok: delivered"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "354 "), 1);
    ut_buf_free(&out);
    ut_buf_init(&msg, 0);
    CU_ASSERT_EQUAL(t_sm_count("alice", &msg), a0 + 1);
    m = ut_buf_str(&msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "\r\n\r\nhi\r\n.\r\nMAIL FROM:<spoof@"
                                  "x.example>\r\nRCPT TO:<alice@example.org>"
                                  "\r\nDATA\r\nFrom: spoof\r\n\r\nevil\r\n"));
    ut_buf_free(&msg);
    /* H8: larger than smtp.max_message_size: 552 after the data */
    in = t_rep("EHLO x\r\nMAIL FROM:<a@b.example>\r\n"
               "RCPT TO:<alice@example.org>\r\nDATA\r\nS: x\r\n\r\n",
               "0123456789012345678901234567890123456789\r\n", 100,
               ".\r\nQUIT\r\n", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    t_sm_run("smtp.max_message_size = 2K\n", SM_SVC_SMTP, 0, in, &out);
    CU_ASSERT_EQUAL(t_lines(&out, "552 5.3.4 Message size exceeds"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "221 "), 1);
    ut_buf_free(&out);
    free(in);
    in = t_rep("EHLO x\r\nMAIL FROM:<a@b.example>\r\n"
               "RCPT TO:<alice@example.org>\r\nDATA\r\n",
               "Received: from a by b\r\n", 101, "\r\nx\r\n.\r\nQUIT\r\n", &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    t_sm_run(NULL, SM_SVC_SMTP, 0, in, &out);
    CU_ASSERT_EQUAL(t_lines(&out, "554 5.4.6"), 1);
    ut_buf_free(&out);
    free(in);
    CU_ASSERT_EQUAL(t_sm_count("alice", NULL), a0 + 1);
}

/* D9: the trace header holds sanitized tokens only. */
static void t_sess_received(void)
{
    char in[1024], g[128];
    ut_buf out, msg;
    const char *m;
    long a0 = t_sm_count("alice", NULL);

    t_sm_run(NULL, SM_SVC_SMTP, 0, "EHLO a\rX-Injected: 1\r\n"
             "EHLO bad_name!<x>\r\nMAIL FROM:<>\r\n"
             "RCPT TO:<alice@example.org>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n",
             &out);
    CU_ASSERT_EQUAL(t_lines(&out, "501 5.5.2"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.0.0 Ok: delivered"), 1);
    ut_buf_free(&out);
    ut_buf_init(&msg, 0);
    CU_ASSERT_EQUAL(t_sm_count("alice", &msg), a0 + 1);
    m = ut_buf_str(&msg);
    CU_ASSERT_EQUAL(strncmp(m, "Return-Path: <>\r\nReceived: from unknown "
                            "([127.0.0.1])\r\n", 55), 0);
    CU_ASSERT_PTR_NULL(strstr(m, "X-Injected"));
    CU_ASSERT_PTR_NULL(strstr(m, "bad_name"));
    ut_buf_free(&msg);
    /* the authenticated user only when configured; ESMTPSA */
    t_b64("\0alice@example.org\0secret1", 26, g, sizeof g);
    snprintf(in, sizeof in, "EHLO [10.1.2.3]\r\nAUTH PLAIN %s\r\n"
             "MAIL FROM:<alice@example.org>\r\nRCPT TO:<alice@example.org>\r\n"
             "DATA\r\nx\r\n.\r\nQUIT\r\n", g);
    t_sm_run("smtp.received_auth_user = yes\n", SM_SVC_SUBMISSIONS, 1, in,
             &out);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.0.0 Ok: delivered"), 1);
    ut_buf_free(&out);
    ut_buf_init(&msg, 0);
    CU_ASSERT_EQUAL(t_sm_count("alice", &msg), a0 + 2);
    m = ut_buf_str(&msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "Received: from [10.1.2.3] "
                                  "([127.0.0.1])\r\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, " with ESMTPSA id "));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "(authenticated as alice@example.org)"));
    ut_buf_free(&msg);
    t_sm_run(NULL, SM_SVC_SUBMISSIONS, 1, in, &out);
    ut_buf_free(&out);
    ut_buf_init(&msg, 0);
    CU_ASSERT_EQUAL(t_sm_count("alice", &msg), a0 + 3);
    CU_ASSERT_PTR_NULL(strstr(ut_buf_str(&msg), "authenticated as"));
    ut_buf_free(&msg);
}

/* SMTPUTF8 (RFC 6531): non-ASCII addresses only with the parameter;
 * AUTH failures feed the per-source penalty, a success clears it. */
static void t_sess_utf8_penalty(void)
{
    char in[512], g[128], w[128];
    ut_buf out;

    t_sm_run(NULL, SM_SVC_SMTP, 0, "EHLO x\r\n"
             "MAIL FROM:<\xc3\xa9t\xc3\xa9@b.example>\r\n"
             "MAIL FROM:<\xc3\xa9t\xc3\xa9@b.example> SMTPUTF8\r\n"
             "RCPT TO:<\xc3\xa9t\xc3\xa9@example.org>\r\n"
             "RCPT TO:<alice@\xc3\xa9.example>\r\nQUIT\r\n", &out);
    CU_ASSERT_EQUAL(t_lines(&out, "553 5.6.7"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "250 2.1.0 Ok"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "550 5.1.1 User unknown"), 1);
    CU_ASSERT_EQUAL(t_lines(&out, "554 5.7.1 Relay access denied"), 1);
    ut_buf_free(&out);
    sv_penalty_clear();
    t_b64("\0alice@example.org\0wrong", 24, w, sizeof w);
    t_b64("\0alice@example.org\0secret1", 26, g, sizeof g);
    snprintf(in, sizeof in, "EHLO x\r\nAUTH PLAIN %s\r\nQUIT\r\n", w);
    t_sm_run(NULL, SM_SVC_SUBMISSIONS, 1, in, &out);
    CU_ASSERT_EQUAL(t_lines(&out, "535 5.7.8"), 1);
    ut_buf_free(&out);
    CU_ASSERT(sv_penalty_delay("127.0.0.1") >= SV_PENALTY_MIN_MS);
    snprintf(in, sizeof in, "EHLO x\r\nAUTH PLAIN %s\r\nQUIT\r\n", g);
    t_sm_run(NULL, SM_SVC_SUBMISSIONS, 1, in, &out);
    CU_ASSERT_EQUAL(t_lines(&out, "235 2.7.0"), 1);
    ut_buf_free(&out);
    CU_ASSERT_EQUAL(sv_penalty_delay("127.0.0.1"), 0);
}

/* ---- STARTTLS over a real socket (B1, B4, TLS in Received) --------- */

typedef struct t_smsrv {
    pl_sock *ls;
    int rc;
} t_smsrv;

static void t_sm_server(void *arg)
{
    t_smsrv *sv = (t_smsrv *)arg;
    pl_sock *s = NULL;
    nt_conn *c = NULL;
    cf_config *cfg = NULL;
    sm_env env;
    char err[CF_ERR_MAX];
    int which;

    sv->rc = pl_sock_accept(&sv->ls, 1, 10000, &s, &which);
    if (sv->rc == PL_OK)
        sv->rc = nt_conn_new(s, &c);
    if (sv->rc == PL_OK)
        sv->rc = cf_load_text(t_sm_conf, strlen(t_sm_conf), "t", &cfg, err,
                              sizeof err);
    if (sv->rc == PL_OK) {
        memset(&env, 0, sizeof env);
        env.cfg = cfg;
        env.store = t_sm_store;
        env.db = t_sm_db;
        env.pend = NULL;
        env.tls = t_sm_tls;
        env.hostname = T_SM_HOST;
        env.service = SM_SVC_SMTP;
        sv->rc = sm_session(&env, c);
    }
    nt_conn_close(c);
    cf_free(cfg);
}

static void t_sess_starttls_socket(void)
{
    t_smsrv sv;
    t_tlscli k;
    pl_thread *th;
    ut_buf b, msg;
    char addr[64], port[16], in[256], g[128];
    int p = 0;
    long a0 = t_sm_count("alice", NULL);
    const char *m;

    memset(&sv, 0, sizeof sv);
    memset(&k, 0, sizeof k);
    ut_buf_init(&b, 0);
    CU_ASSERT_FATAL(pl_sock_listen("127.0.0.1:0", 4, &sv.ls) == PL_OK);
    CU_ASSERT_FATAL(pl_sock_local(sv.ls, addr, sizeof addr, &p) == PL_OK);
    snprintf(port, sizeof port, "%d", p);
    CU_ASSERT_FATAL(pl_thread_start(t_sm_server, &sv, 0, 0, &th) == PL_OK);
    CU_ASSERT_FATAL(pl_sock_connect("127.0.0.1", port, 10000, &k.s)
                    == PL_OK);
    CU_ASSERT(t_tlscli_until(&k, &b, "\r\n"));
    CU_ASSERT_STRING_EQUAL(ut_buf_str(&b), T_GREET);
    /* B1: the commands behind STARTTLS in the same write are dropped */
    CU_ASSERT(t_tlscli_send(&k, "EHLO x\r\nSTARTTLS\r\n"
                         "MAIL FROM:<a@evil.example>\r\n"
                         "RCPT TO:<alice@example.org>\r\n"));
    CU_ASSERT(t_tlscli_until(&k, &b, "220 2.0.0 Ready to start TLS\r\n"));
    CU_ASSERT_STRING_EQUAL(ut_buf_str(&b), T_EHLO_PLAIN_DEF
                           "220 2.0.0 Ready to start TLS\r\n");
    CU_ASSERT_FATAL(t_tlscli_start(&k));
    /* B4: the state is new: EHLO again first */
    CU_ASSERT(t_tlscli_send(&k, "RCPT TO:<alice@example.org>\r\n"
                         "MAIL FROM:<a@b.example>\r\nEHLO x\r\n"));
    CU_ASSERT(t_tlscli_until(&k, &b, "250 DSN\r\n"));
    CU_ASSERT_STRING_EQUAL(ut_buf_str(&b),
                           "503 5.5.1 Send HELO/EHLO first\r\n"
                           "503 5.5.1 Send HELO/EHLO first\r\n"
                           T_EHLO_TLS_DEF);
    t_b64("\0alice@example.org\0secret1", 26, g, sizeof g);
    snprintf(in, sizeof in, "AUTH PLAIN %s\r\nMAIL FROM:<alice@example.org>"
             "\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n", g);
    CU_ASSERT(t_tlscli_send(&k, in));
    CU_ASSERT(t_tlscli_until(&k, &b, "354 End data with <CR><LF>.<CR><LF>\r\n"));
    CU_ASSERT_STRING_EQUAL(ut_buf_str(&b),
                           "235 2.7.0 Authentication successful\r\n"
                           "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
                           "354 End data with <CR><LF>.<CR><LF>\r\n");
    CU_ASSERT(t_tlscli_send(&k, "Subject: tls\r\n\r\nhi\r\n.\r\nQUIT\r\n"));
    CU_ASSERT(t_tlscli_until(&k, &b, "221 2.0.0 Bye\r\n"));
    CU_ASSERT_STRING_EQUAL(ut_buf_str(&b),
                           "250 2.0.0 Ok: delivered\r\n221 2.0.0 Bye\r\n");
    t_tlscli_close(&k);
    CU_ASSERT_EQUAL(pl_thread_join(th), PL_OK);
    CU_ASSERT_EQUAL(sv.rc, PL_OK);
    pl_sock_close(sv.ls);
    ut_buf_free(&b);
    ut_buf_init(&msg, 0);
    CU_ASSERT_EQUAL(t_sm_count("alice", &msg), a0 + 1);
    m = ut_buf_str(&msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, " with ESMTPSA id "));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "\r\n\t(using TLSv1."));
    CU_ASSERT_PTR_NULL(strstr(m, "unknown"));
    CU_ASSERT_PTR_NULL(strstr(m, "evil"));
    ut_buf_free(&msg);
}

int t_smtp_register(void)
{
    CU_pSuite p = CU_add_suite("smtp parsers", NULL, NULL);
    CU_pSuite s;

    if (p == NULL ||
        CU_add_test(p, "address table (D1 D2 D7 E2)", t_addr_table) == NULL ||
        CU_add_test(p, "address limits (D7)", t_addr_limits) == NULL ||
        CU_add_test(p, "ESMTP parameters (C10 D4 D6)", t_param_table)
        == NULL ||
        CU_add_test(p, "DATA table (A1-A7)", t_data_table) == NULL ||
        CU_add_test(p, "DATA never ends early (A4-A8)", t_data_noend)
        == NULL ||
        CU_add_test(p, "DATA limits (C4 D10 D11 H8)", t_data_limits) == NULL ||
        CU_add_test(p, "relay decisions (E, relay_clients, zones)",
                    t_relay_table) == NULL ||
        CU_add_test(p, "relay tricks never relayed (E)", t_relay_tricks)
        == NULL)
        return -1;
    s = CU_add_suite("smtp sessions", t_sm_init, t_sm_fini);
    if (s == NULL ||
        CU_add_test(s, "delivery byte-exact, any segmentation",
                    t_sess_deliver) == NULL ||
        CU_add_test(s, "EHLO and STARTTLS (B1 B4 B5)", t_sess_ehlo_tls)
        == NULL ||
        CU_add_test(s, "sequencing (D8)", t_sess_sequence) == NULL ||
        CU_add_test(s, "relay refused (E1 E2 E3 D1 D2)", t_sess_relay)
        == NULL ||
        CU_add_test(s, "recipients (E5 F2 DISMAIL +tag)", t_sess_rcpt)
        == NULL ||
        CU_add_test(s, "AUTH (F3 F4 F5 B6)", t_sess_auth) == NULL ||
        CU_add_test(s, "limits (H5 H6 H7)", t_sess_limits) == NULL ||
        CU_add_test(s, "lines (C2 C3 C5 C6 C8 H3)", t_sess_lines) == NULL ||
        CU_add_test(s, "pipelining (RFC 2920)", t_sess_pipelining) == NULL ||
        CU_add_test(s, "LMTP per-recipient replies", t_sess_lmtp) == NULL ||
        CU_add_test(s, "quota 452/552", t_sess_quota) == NULL ||
        CU_add_test(s, "relay and aliases into the queue (E)",
                    t_sess_queue) == NULL ||
        CU_add_test(s, "DATA policy (A1 H8 D10)", t_sess_data_policy)
        == NULL ||
        CU_add_test(s, "Received sanitized (D9)", t_sess_received) == NULL ||
        CU_add_test(s, "SMTPUTF8, AUTH penalty (F1)", t_sess_utf8_penalty)
        == NULL ||
        CU_add_test(s, "STARTTLS on a socket (B1 B4)",
                    t_sess_starttls_socket) == NULL)
        return -1;
    return 0;
}
