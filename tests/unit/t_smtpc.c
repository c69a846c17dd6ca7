/*
 * t_smtpc.c - the SMTP client's parts (src/smtpc/sc_int.h): the reply
 * reader (single and multi-line replies, bad codes, mixed codes, lines
 * and replies over the limits, enhanced codes, sanitizing) and the EHLO
 * keyword parser, each reply fed whole and one byte at a time; the
 * dot-stuffing writer fed whole, one byte at a time and split at every
 * position; xtext; the argument checks of sc_deliver; the TLS client
 * context.  The sessions themselves run in tests/integration/t_smtpc.sh.
 * Privilege: none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "t_util.h"
#include "sc_int.h"
#include "tl_tls.h"
#include "ut_str.h"

/* ---- replies ------------------------------------------------------ */

typedef struct t_rv {
    const char *in;
    int rc;
    int code;
    const char *enh;
    const char *text;
    int nlines;
} t_rv;

static const t_rv t_reply_vec[] = {
    { "250 OK\r\n", PL_OK, 250, "", "250 OK", 1 },
    { "250 OK\n", PL_OK, 250, "", "250 OK", 1 },
    { "250\r\n", PL_OK, 250, "", "250", 1 },
    { "250-\r\n250 \r\n", PL_OK, 250, "", "250", 2 },
    { "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n", PL_OK, 250,
      "", "250 mx.example; PIPELINING; SIZE 100", 3 },
    { "550 5.1.1 <b@x>: no such user\r\n", PL_OK, 550, "5.1.1",
      "550 5.1.1 <b@x>: no such user", 1 },
    { "550-5.1.1 first\r\n550-5.1.1 second\r\n550 5.1.1 third\r\n", PL_OK,
      550, "5.1.1", "550 5.1.1 first; second; third", 3 },
    { "550-5.1.1 first\r\n550 5.7.1 other\r\n", PL_OK, 550, "5.1.1",
      "550 5.1.1 first; 5.7.1 other", 2 },
    { "250 2.0.0\r\n", PL_OK, 250, "2.0.0", "250 2.0.0", 1 },
    { "451 4.123.456 x\r\n", PL_OK, 451, "4.123.456", "451 4.123.456 x",
      1 },
    /* enhanced codes that are not: wrong class, too many digits, glued */
    { "450 5.1.1 mismatch\r\n", PL_OK, 450, "", "450 5.1.1 mismatch", 1 },
    { "250 2.1234.5 x\r\n", PL_OK, 250, "", "250 2.1234.5 x", 1 },
    { "250 2.0.0x y\r\n", PL_OK, 250, "", "250 2.0.0x y", 1 },
    { "250 2..0 y\r\n", PL_OK, 250, "", "250 2..0 y", 1 },
    { "250 2.0. y\r\n", PL_OK, 250, "", "250 2.0. y", 1 },
    /* sanitizing: controls, escape sequences, 8-bit, tab, NUL */
    { "250 a\x01" "b\x1b[2Jc\tz\xff\r\n", PL_OK, 250, "",
      "250 a?b?[2Jc z?", 1 },
    { "250 a\rb\r\n", PL_OK, 250, "", "250 a?b", 1 },
    /* not replies */
    { "199 x\r\n", PL_EINVAL, 0, NULL, NULL, 0 },
    { "600 x\r\n", PL_EINVAL, 0, NULL, NULL, 0 },
    { "260 x\r\n", PL_EINVAL, 0, NULL, NULL, 0 },
    { "25 x\r\n", PL_EINVAL, 0, NULL, NULL, 0 },
    { "2500 x\r\n", PL_EINVAL, 0, NULL, NULL, 0 },
    { "250_x\r\n", PL_EINVAL, 0, NULL, NULL, 0 },
    { "abc\r\n", PL_EINVAL, 0, NULL, NULL, 0 },
    { "\r\n", PL_EINVAL, 0, NULL, NULL, 0 },
    { " 250 x\r\n", PL_EINVAL, 0, NULL, NULL, 0 },
    { "250-a\r\n251 b\r\n", PL_EINVAL, 0, NULL, NULL, 0 },
    { "250-a\r\n550 b\r\n", PL_EINVAL, 0, NULL, NULL, 0 },
    { "250-a\r\nb\r\n", PL_EINVAL, 0, NULL, NULL, 0 },
    /* ends before the last line */
    { "250-a\r\n", PL_EOF, 0, NULL, NULL, 0 },
    { "250 a", PL_EOF, 0, NULL, NULL, 0 },
    { "", PL_EOF, 0, NULL, NULL, 0 },
    { NULL, 0, 0, NULL, NULL, 0 }
};

/* Read one reply from len octets of in, fed in pieces of chunk. */
static int t_reply_run(const char *in, size_t len, size_t chunk,
                       sc_reply *rp, sc_ext *ext)
{
    t_feed f;
    lr_reader *lr;
    int rc;

    t_feed_init(&f, in, len, chunk);
    lr = lr_new(SC_LINE_MAX, LR_POLICY_LENIENT, t_feed_read, &f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lr);
    rc = sc_reply_read(lr, rp, ext);
    lr_free(lr);
    return rc;
}

static void t_reply_table(void)
{
    int i;
    size_t chunk;
    sc_reply rp;

    for (i = 0; t_reply_vec[i].in != NULL; i++) {
        const t_rv *v = &t_reply_vec[i];

        for (chunk = 0; chunk <= 1; chunk++) {
            int rc = t_reply_run(v->in, strlen(v->in), chunk, &rp, NULL);

            if (rc != v->rc || (rc == PL_OK &&
                                strcmp(rp.text, v->text) != 0))
                fprintf(stderr, "\nreply %d chunk %d: rc %d text [%s]\n",
                        i, (int)chunk, rc, rp.text);
            CU_ASSERT_EQUAL(rc, v->rc);
            if (rc != PL_OK || v->rc != PL_OK)
                continue;
            CU_ASSERT_EQUAL(rp.code, v->code);
            CU_ASSERT_STRING_EQUAL(rp.enh, v->enh);
            CU_ASSERT_STRING_EQUAL(rp.text, v->text);
            CU_ASSERT_EQUAL(rp.nlines, v->nlines);
        }
    }
}

/* Line and line-count limits, the cut of the text, and a second reply
 * behind the first staying in the reader. */
static void t_reply_limits(void)
{
    char *buf = (char *)malloc(SC_LINE_MAX * 2 + 8 * 200);
    size_t n, chunk;
    int i;
    sc_reply rp;
    t_feed f;
    lr_reader *lr;

    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    for (chunk = 0; chunk <= 1; chunk++) {
        /* a line of exactly SC_LINE_MAX octets with its CRLF passes */
        memcpy(buf, "250 ", 4);
        memset(buf + 4, 'a', SC_LINE_MAX - 6);
        memcpy(buf + SC_LINE_MAX - 2, "\r\n", 2);
        CU_ASSERT_EQUAL(t_reply_run(buf, SC_LINE_MAX, chunk, &rp, NULL),
                        PL_OK);
        CU_ASSERT_EQUAL(strlen(rp.text), SC_STATUS_MAX - 1);
        /* one more octet is too long */
        memset(buf + 4, 'a', SC_LINE_MAX - 5);
        memcpy(buf + SC_LINE_MAX - 1, "\r\n", 2);
        CU_ASSERT_EQUAL(t_reply_run(buf, SC_LINE_MAX + 1, chunk, &rp, NULL),
                        PL_ERANGE);
        /* SC_REPLY_LINES lines pass, one more does not */
        for (n = 0, i = 0; i < SC_REPLY_LINES - 1; i++, n += 15)
            memcpy(buf + n, "250-abcdefghij\n", 15);
        memcpy(buf + n, "250 z\r\n", 7);
        n += 7;
        CU_ASSERT_EQUAL(t_reply_run(buf, n, chunk, &rp, NULL), PL_OK);
        CU_ASSERT_EQUAL(rp.nlines, SC_REPLY_LINES);
        CU_ASSERT_EQUAL(strlen(rp.text), SC_STATUS_MAX - 1);
        CU_ASSERT_EQUAL(strncmp(rp.text, "250 abcdefghij; abcdefghij; ",
                                28), 0);
        memmove(buf + 15, buf, n);
        memcpy(buf, "250-abcdefghij\n", 15);
        CU_ASSERT_EQUAL(t_reply_run(buf, n + 15, chunk, &rp, NULL),
                        PL_ERANGE);
    }
    /* a NUL and DEL inside a line are sanitized, never cut at */
    for (chunk = 0; chunk <= 1; chunk++) {
        CU_ASSERT_EQUAL(t_reply_run("554 a\0b\x7f\r\n", 11, chunk, &rp,
                                    NULL), PL_OK);
        CU_ASSERT_STRING_EQUAL(rp.text, "554 a?b?");
    }
    /* B7 shape: the reader returns the 220 and keeps what follows */
    t_feed_init(&f, "220 go\r\n250-injected\r\n", 22, 0);
    lr = lr_new(SC_LINE_MAX, LR_POLICY_LENIENT, t_feed_read, &f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lr);
    CU_ASSERT_EQUAL(sc_reply_read(lr, &rp, NULL), PL_OK);
    CU_ASSERT_EQUAL(rp.code, 220);
    CU_ASSERT_EQUAL(lr_pending(lr), 14);
    lr_discard(lr);
    CU_ASSERT_EQUAL(lr_pending(lr), 0);
    CU_ASSERT_EQUAL(sc_reply_read(lr, &rp, NULL), PL_EOF);
    lr_free(lr);
    free(buf);
}

/* ---- EHLO keywords ------------------------------------------------ */

typedef struct t_ev {
    const char *in;
    int flags;
    pl_u64 size;
    int auth;
} t_ev;

static const t_ev t_ehlo_vec[] = {
    { "250-mx.example Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
      "250-8BITMIME\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN CRAM-MD5\r\n"
      "250-DSN\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n",
      SC_X_PIPELINING | SC_X_SIZE | SC_X_8BITMIME | SC_X_STARTTLS |
      SC_X_AUTH | SC_X_DSN | SC_X_SMTPUTF8 | SC_X_ENHANCED, 10240000,
      SC_M_PLAIN | SC_M_LOGIN },
    { "250 mx.example\r\n", 0, 0, 0 },
    /* keywords on the greeting line are the host's name, not keywords */
    { "250 PIPELINING\r\n", 0, 0, 0 },
    { "250-mx\r\n250-size\r\n250 auth=login\r\n", SC_X_SIZE | SC_X_AUTH, 0,
      SC_M_LOGIN },
    { "250-mx\r\n250-SIZE 0\r\n250 Auth cram-md5 plain\r\n",
      SC_X_SIZE | SC_X_AUTH, 0, SC_M_PLAIN },
    { "250-mx\r\n250-SIZE abc\r\n250 AUTH CRAM-MD5\r\n", SC_X_AUTH, 0, 0 },
    { "250-mx\r\n250 SIZE 99999999999999999999999\r\n", 0, 0, 0 },
    { "250-mx\r\n250 SIZE 18446744073709551615\r\n", SC_X_SIZE,
      (pl_u64)-1, 0 },
    { "250-mx\r\n250-XPIPELINING\r\n250-PIPELININGX\r\n250-STARTTLSX\r\n"
      "250-X-AUTH PLAIN\r\n250 8BITMIME=yes\r\n", 0, 0, 0 },
    { "250-mx\r\n250-PIPELINING  \r\n250-AUTH  PLAIN  \r\n250 DSN\r\n",
      SC_X_PIPELINING | SC_X_AUTH | SC_X_DSN, 0, SC_M_PLAIN },
    { NULL, 0, 0, 0 }
};

static void t_ehlo_table(void)
{
    int i;
    size_t chunk;
    sc_reply rp;
    sc_ext ext;

    for (i = 0; t_ehlo_vec[i].in != NULL; i++) {
        const t_ev *v = &t_ehlo_vec[i];

        for (chunk = 0; chunk <= 1; chunk++) {
            int rc = t_reply_run(v->in, strlen(v->in), chunk, &rp, &ext);

            CU_ASSERT_EQUAL(rc, PL_OK);
            if (ext.flags != v->flags || ext.auth != v->auth)
                fprintf(stderr, "\nehlo %d: flags %x auth %d\n", i,
                        (unsigned)ext.flags, ext.auth);
            CU_ASSERT_EQUAL(ext.flags, v->flags);
            CU_ASSERT_TRUE(ext.size == v->size);
            CU_ASSERT_EQUAL(ext.auth, v->auth);
        }
    }
}

/* ---- dot-stuffing ------------------------------------------------- */

typedef struct t_dv {
    const char *in;
    const char *out;
} t_dv;

static const t_dv t_dot_vec[] = {
    { "", ".\r\n" },
    { ".", "..\r\n.\r\n" },
    { "..", "...\r\n.\r\n" },
    { ".\r\n", "..\r\n.\r\n" },
    { "a\r\n", "a\r\n.\r\n" },
    { "a", "a\r\n.\r\n" },
    { "a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n" },
    { ".a\r\n..b\r\nc.\r\n", "..a\r\n...b\r\nc.\r\n.\r\n" },
    { "\r\n.\r\n", "\r\n..\r\n.\r\n" },
    { "\r\n\r\n", "\r\n\r\n.\r\n" },
    /* bare LF and bare CR go out as CRLF and start a line */
    { "a\n.b\n", "a\r\n..b\r\n.\r\n" },
    { "a\r", "a\r\n.\r\n" },
    { "a\r.\r\n", "a\r\n..\r\n.\r\n" },
    { "a\rb", "a\r\nb\r\n.\r\n" },
    { "a\r\r\n", "a\r\n\r\n.\r\n" },
    { "\n.\r\n", "\r\n..\r\n.\r\n" },
    { "a\n", "a\r\n.\r\n" },
    { NULL, NULL }
};

/* Stuff in, cut at `cut` (0: whole) or fed one octet at a time (-1). */
static void t_dot_run(const char *in, long cut, char *out, size_t *olen)
{
    sc_dot d;
    size_t n = strlen(in), k, i;
    unsigned char tmp[SC_DOT_OUT(64)];

    sc_dot_init(&d);
    *olen = 0;
    if (cut < 0) {
        for (i = 0; i < n; i++) {
            sc_dot_put(&d, in + i, 1, tmp, &k);
            CU_ASSERT_TRUE(k <= SC_DOT_OUT(1));
            memcpy(out + *olen, tmp, k);
            *olen += k;
        }
    } else {
        size_t c = cut == 0 ? n : (size_t)cut;

        sc_dot_put(&d, in, c, tmp, &k);
        memcpy(out + *olen, tmp, k);
        *olen += k;
        sc_dot_put(&d, in + c, n - c, tmp, &k);
        memcpy(out + *olen, tmp, k);
        *olen += k;
    }
    sc_dot_end(&d, tmp, &k);
    CU_ASSERT_TRUE(k <= SC_DOT_END_MAX);
    memcpy(out + *olen, tmp, k);
    *olen += k;
    out[*olen] = '\0';
}

static void t_dot_table(void)
{
    char out[256];
    size_t olen;
    long cut;
    int i;

    for (i = 0; t_dot_vec[i].in != NULL; i++) {
        const t_dv *v = &t_dot_vec[i];
        long n = (long)strlen(v->in);

        for (cut = -1; cut <= n; cut++) {
            t_dot_run(v->in, cut, out, &olen);
            if (strcmp(out, v->out) != 0)
                fprintf(stderr, "\ndot %d cut %ld: got [%s]\n", i, cut, out);
            CU_ASSERT_STRING_EQUAL(out, v->out);
            CU_ASSERT_EQUAL(olen, strlen(v->out));
        }
    }
}

/* Lines that cross the writer's input pieces at every offset of a
 * message file read in blocks, as sc_body does. */
static void t_dot_blocks(void)
{
    static const char line[] = ".x\r\n";
    char in[600], want[900], got[1400];
    unsigned char tmp[SC_DOT_OUT(7)];
    size_t n = 0, w = 0, g, k, i;
    sc_dot d;

    while (n + 4 < sizeof in - 2) {
        memcpy(in + n, line, 4);
        memcpy(want + w, "..x\r\n", 5);
        n += 4;
        w += 5;
    }
    memcpy(want + w, ".\r\n", 3);
    w += 3;
    sc_dot_init(&d);
    for (g = 0, i = 0; i < n; i += 7) {
        size_t c = n - i < 7 ? n - i : 7;

        sc_dot_put(&d, in + i, c, tmp, &k);
        memcpy(got + g, tmp, k);
        g += k;
    }
    sc_dot_end(&d, tmp, &k);
    memcpy(got + g, tmp, k);
    g += k;
    CU_ASSERT_EQUAL(g, w);
    CU_ASSERT_EQUAL(memcmp(got, want, w), 0);
}

/* ---- xtext, sanitizing -------------------------------------------- */

static void t_xtext(void)
{
    char out[64];

    CU_ASSERT_EQUAL(sc_xtext("a+b=c d\x01\xff", 9, out, sizeof out),
                    PL_OK);
    CU_ASSERT_STRING_EQUAL(out, "a+2Bb+3Dc+20d+01+FF");
    CU_ASSERT_EQUAL(sc_xtext("", 0, out, sizeof out), PL_OK);
    CU_ASSERT_STRING_EQUAL(out, "");
    CU_ASSERT_EQUAL(sc_xtext("abc", 3, out, 4), PL_OK);
    CU_ASSERT_EQUAL(sc_xtext("abcd", 4, out, 4), PL_ERANGE);
    CU_ASSERT_STRING_EQUAL(out, "");
    CU_ASSERT_EQUAL(sc_xtext("a+", 2, out, 4), PL_ERANGE);
    CU_ASSERT_EQUAL(sc_xtext("a+", 2, out, 5), PL_OK);
    CU_ASSERT_STRING_EQUAL(out, "a+2B");
}

static void t_sanitize(void)
{
    char buf[8];

    buf[0] = '\0';
    (void)sc_sanitize_cat(buf, sizeof buf, "a\tb\x80\n", 5);
    CU_ASSERT_STRING_EQUAL(buf, "a b??");
    (void)sc_sanitize_cat(buf, sizeof buf, "xyzw", 4);
    CU_ASSERT_STRING_EQUAL(buf, "a b??xy");
}

/* ---- sc_deliver arguments, TLS client context ---------------------- */

static void t_args(void)
{
    sc_policy p;
    sc_rcpt rc;
    sc_msg m;
    sc_result r;
    pl_file *f = NULL;

    memset(&p, 0, sizeof p);
    memset(&rc, 0, sizeof rc);
    memset(&m, 0, sizeof m);
    p.helo = "client.example";
    p.connect_ms = p.greeting_ms = p.command_ms = 1000;
    p.data_init_ms = p.data_block_ms = p.data_done_ms = 1000;
    rc.addr = "b@example.org";
    rc.orcpt = "";
    m.from = "a@example.org";
    m.envid = "";
    /* any readable file: every call below fails before reading it */
    CU_ASSERT_EQUAL_FATAL(pl_file_open_path("Makefile", &f), PL_OK);
    m.data = f;
    m.nrcpt = 1;
    m.rcpt = &rc;
    /* a name is not an address literal: no lookup happens here */
    CU_ASSERT_EQUAL(sc_deliver(&p, "mx", "mx.example.org", 25, &m, &r),
                    PL_EINVAL);
    CU_ASSERT_EQUAL(sc_deliver(&p, "mx", "bad", 25, &m, &r), PL_EINVAL);
    CU_ASSERT_EQUAL(sc_deliver(&p, "mx", "127.0.0.1", 0, &m, &r),
                    PL_EINVAL);
    CU_ASSERT_EQUAL(sc_deliver(&p, "mx", "127.0.0.1", 65536, &m, &r),
                    PL_EINVAL);
    CU_ASSERT_EQUAL(sc_deliver(&p, "m x", "127.0.0.1", 25, &m, &r),
                    PL_EINVAL);
    rc.addr = "b@example.org\r\nRSET";
    CU_ASSERT_EQUAL(sc_deliver(&p, "mx", "127.0.0.1", 25, &m, &r),
                    PL_EINVAL);
    rc.addr = "b@example.org";
    m.from = "a\n@example.org";
    CU_ASSERT_EQUAL(sc_deliver(&p, "mx", "127.0.0.1", 25, &m, &r),
                    PL_EINVAL);
    m.from = "";
    p.helo = "a\rb";
    CU_ASSERT_EQUAL(sc_deliver(&p, "mx", "::1", 25, &m, &r), PL_EINVAL);
    p.helo = "client.example";
    m.nrcpt = 0;
    CU_ASSERT_EQUAL(sc_deliver(&p, "mx", "::1", 25, &m, &r), PL_EINVAL);
    CU_ASSERT_EQUAL(sc_deliver(&p, "mx", "::1", 25, &m, NULL), PL_EINVAL);
    m.nrcpt = 1;
    p.tls = 4;
    CU_ASSERT_EQUAL(sc_deliver(&p, "mx", "::1", 25, &m, &r), PL_EINVAL);
    p.tls = SC_TLS_NONE;
    rc.orcpt = "rfc822;a\r\nb";
    CU_ASSERT_EQUAL(sc_deliver(&p, "mx", "::1", 25, &m, &r), PL_EINVAL);
    (void)pl_file_close(f);
}

static void t_tls_client_ctx(void)
{
    tl_ctx *c = NULL;
    char err[256];

    CU_ASSERT_EQUAL(tl_client_ctx_new("", &c, err, sizeof err), PL_OK);
    CU_ASSERT_EQUAL(tl_accept(c, NULL, 1000, NULL), PL_EINVAL);
    tl_ctx_unref(c);
    c = NULL;
    CU_ASSERT_EQUAL(tl_client_ctx_new(NULL, &c, err, sizeof err), PL_OK);
    tl_ctx_unref(c);
    c = NULL;
    CU_ASSERT_EQUAL(tl_client_ctx_new("build/test-scratch/no-such-ca.pem",
                                      &c, err, sizeof err), PL_EINVAL);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_NOT_EQUAL(err[0], '\0');
}

int t_smtpc_register(void)
{
    CU_pSuite s = CU_add_suite("smtpc", NULL, NULL);

    if (s == NULL ||
        CU_add_test(s, "reply table", t_reply_table) == NULL ||
        CU_add_test(s, "reply limits", t_reply_limits) == NULL ||
        CU_add_test(s, "EHLO keywords", t_ehlo_table) == NULL ||
        CU_add_test(s, "dot-stuffing table", t_dot_table) == NULL ||
        CU_add_test(s, "dot-stuffing blocks", t_dot_blocks) == NULL ||
        CU_add_test(s, "xtext", t_xtext) == NULL ||
        CU_add_test(s, "sanitize", t_sanitize) == NULL ||
        CU_add_test(s, "sc_deliver arguments", t_args) == NULL ||
        CU_add_test(s, "TLS client context", t_tls_client_ctx) == NULL)
        return -1;
    return 0;
}
