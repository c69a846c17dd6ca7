/*
 * t_msg.c - src/msg: the header section reader (tables fed whole, one
 * byte at a time and in blocks of 7, each giving the same fields, end
 * and body) and the address-list parser (valid lists with their
 * addr-specs and display names; malformed lists with their message).
 * Privilege: none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "t_util.h"
#include "ms.h"
#include "ut_buf.h"

/* ---- the header reader ---------------------------------------------- */

typedef struct t_hv {
    const char *in;
    int rc;              /* PL_OK, PL_EINVAL, PL_ERANGE */
    int end;             /* MS_END_* when PL_OK */
    const char *fields;  /* "name=value|..." */
    const char *body;    /* pending line + the bytes not taken */
    const char *err;     /* part of the error text */
} t_hv;

static const t_hv t_hdr_vec[] = {
    { "Subject: hi\r\nTo: a@b\r\n\r\nbody\r\n", PL_OK, MS_END_BLANK,
      "Subject=hi|To=a@b", "body\r\n", NULL },
    { "Subject: hi\nTo: a@b\n\nbody\n", PL_OK, MS_END_BLANK,
      "Subject=hi|To=a@b", "body\n", NULL },
    /* unfolding keeps the blanks, drops the line breaks */
    { "Subject: one\r\n two\r\n\tthree\r\n\r\n", PL_OK, MS_END_BLANK,
      "Subject=one two\tthree", "", NULL },
    { "To: a@b,\n  c@d\nX:\n\n", PL_OK, MS_END_BLANK,
      "To=a@b,  c@d|X=", "", NULL },
    /* obsolete blank before the colon; empty value; no blank after */
    { "Subject : x\r\nX-A:y\r\n\r\n", PL_OK, MS_END_BLANK,
      "Subject=x|X-A=y", "", NULL },
    /* no header at all: the first line is the body (Postfix) */
    { "hello world\nsecond\n", PL_OK, MS_END_BODY, "",
      "hello world\nsecond\n", NULL },
    { "Subject: s\r\nnot a field\r\nmore\r\n", PL_OK, MS_END_BODY,
      "Subject=s", "not a field\r\nmore\r\n", NULL },
    /* a continuation line with no field before it is body */
    { " indented\r\n", PL_OK, MS_END_BODY, "", " indented\r\n", NULL },
    /* the mbox From_ line is not a field */
    { "From alice Sun Nov 22\nSubject: x\n\n", PL_OK, MS_END_BODY, "",
      "From alice Sun Nov 22\nSubject: x\n\n", NULL },
    /* end of input without the empty line */
    { "Subject: s\r\nTo: t", PL_OK, MS_END_EOF, "Subject=s|To=t", "",
      NULL },
    { "", PL_OK, MS_END_EOF, "", "", NULL },
    { "\r\nbody", PL_OK, MS_END_BLANK, "", "body", NULL },
    /* 8-bit text (RFC 6532) is kept as it is */
    { "Subject: caf\xc3\xa9\n\n", PL_OK, MS_END_BLANK,
      "Subject=caf\xc3\xa9", "", NULL },
    /* errors: never guessed */
    { "Subject: a\rb\r\n\r\n", PL_EINVAL, 0, NULL, NULL, "bare CR" },
    { "Subject: a\r", PL_EINVAL, 0, NULL, NULL, "bare CR" },
    { NULL, 0, 0, NULL, NULL, NULL }
};

/* Feed v->in in pieces of chunk bytes; returns the status and fills the
 * field dump and the body (pending line + untaken bytes). */
static int t_hdr_run(ms_hdr *h, const char *in, size_t len, size_t chunk,
                     ut_buf *dump, ut_buf *body)
{
    size_t pos = 0, used, k, plen;
    const char *pend;
    int rc = PL_OK, i;

    while (pos < len) {
        k = len - pos < chunk ? len - pos : chunk;
        rc = ms_hdr_feed(h, in + pos, k, &used);
        CU_ASSERT(used <= k);
        pos += used;
        if (rc != PL_OK)
            break;
    }
    if (rc == PL_OK)
        rc = ms_hdr_finish(h);
    else if (rc == MS_HDR_DONE)
        rc = PL_OK;
    if (rc != PL_OK)
        return rc;
    for (i = 0; i < ms_hdr_count(h); i++) {
        const ms_field *f = ms_hdr_field(h, i);

        if (i > 0)
            ut_buf_addc(dump, '|');
        ut_buf_addf(dump, "%s=%s", f->name, f->value);
    }
    pend = ms_hdr_pending(h, &plen);
    if (pend != NULL)
        ut_buf_add(body, pend, plen);
    ut_buf_add(body, in + pos, len - pos);
    return rc;
}

static void t_hdr_table(void)
{
    static const size_t chunks[] = { 100000, 1, 7 };
    const t_hv *v;
    size_t c;

    for (v = t_hdr_vec; v->in != NULL; v++) {
        size_t len = strlen(v->in);

        for (c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            ut_buf dump, body;
            ms_hdr *h;
            int rc;

            CU_ASSERT_FATAL(ms_hdr_new(&h) == PL_OK);
            ut_buf_init(&dump, 0);
            ut_buf_init(&body, 0);
            rc = t_hdr_run(h, v->in, len, chunks[c], &dump, &body);
            if (rc != v->rc)
                printf("\nheader vector '%s' chunk %u: rc %d\n", v->in,
                       (unsigned)chunks[c], rc);
            CU_ASSERT(rc == v->rc);
            if (rc == PL_OK && v->rc == PL_OK) {
                CU_ASSERT(ms_hdr_end(h) == v->end);
                CU_ASSERT_STRING_EQUAL(ut_buf_str(&dump), v->fields);
                CU_ASSERT(body.len == strlen(v->body) &&
                          memcmp(ut_buf_str(&body), v->body, body.len)
                          == 0);
            }
            if (v->err != NULL)
                CU_ASSERT(strstr(ms_hdr_error(h), v->err) != NULL);
            ut_buf_free(&dump);
            ut_buf_free(&body);
            ms_hdr_free(h);
        }
    }
}

/* A NUL byte is an error wherever it is, however the bytes come. */
static void t_hdr_nul(void)
{
    static const char in[] = "To: x\r\nSubject: a\0b\r\n\r\n";
    size_t chunk, pos, used;
    ms_hdr *h;
    int rc;

    for (chunk = 1; chunk <= sizeof in; chunk += 6) {
        CU_ASSERT_FATAL(ms_hdr_new(&h) == PL_OK);
        rc = PL_OK;
        for (pos = 0; rc == PL_OK && pos < sizeof in - 1; pos += used) {
            size_t k = sizeof in - 1 - pos < chunk ? sizeof in - 1 - pos
                       : chunk;

            rc = ms_hdr_feed(h, in + pos, k, &used);
        }
        CU_ASSERT(rc == PL_EINVAL);
        CU_ASSERT(strstr(ms_hdr_error(h), "line 2: NUL") != NULL);
        ms_hdr_free(h);
    }
}

/* Raw text keeps the folding with CRLF line ends; find is caseless. */
static void t_hdr_raw_find(void)
{
    static const char in[] = "To: a@b,\n c@d\nbcc: x@y\nBCC: z@w\n\nB";
    ms_hdr *h;
    size_t used;
    const ms_field *f;

    CU_ASSERT_FATAL(ms_hdr_new(&h) == PL_OK);
    CU_ASSERT(ms_hdr_feed(h, in, sizeof in - 1, &used) == MS_HDR_DONE);
    CU_ASSERT(used == sizeof in - 2);
    f = ms_hdr_field(h, 0);
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT(f->raw_len == strlen("To: a@b,\r\n c@d\r\n"));
    CU_ASSERT(memcmp(f->raw, "To: a@b,\r\n c@d\r\n", f->raw_len) == 0);
    CU_ASSERT(ms_hdr_find(h, "Bcc", 0) == 1);
    CU_ASSERT(ms_hdr_find(h, "Bcc", 2) == 2);
    CU_ASSERT(ms_hdr_find(h, "Bcc", 3) == -1);
    CU_ASSERT(ms_hdr_field(h, 3) == NULL);
    /* after the end nothing more is taken */
    CU_ASSERT(ms_hdr_feed(h, "X: y\n", 5, &used) == MS_HDR_DONE);
    CU_ASSERT(used == 0);
    ms_hdr_free(h);
}

/* The bounds: field count, field size, section size. */
static void t_hdr_limits(void)
{
    ut_buf b;
    ms_hdr *h;
    size_t used;
    int i, rc;

    ut_buf_init(&b, 0);
    for (i = 0; i <= MS_HDR_FIELDS_MAX; i++)
        ut_buf_addf(&b, "X-%d: v\n", i);
    ut_buf_adds(&b, "\n");
    CU_ASSERT_FATAL(ms_hdr_new(&h) == PL_OK);
    CU_ASSERT(ms_hdr_feed(h, b.data, b.len, &used) == PL_ERANGE);
    CU_ASSERT(strstr(ms_hdr_error(h), "too many") != NULL);
    ms_hdr_free(h);

    ut_buf_clear(&b);
    ut_buf_adds(&b, "Subject: ");
    for (i = 0; i < MS_HDR_FIELD_MAX / 10; i++)
        ut_buf_adds(&b, "0123456789\n ");
    ut_buf_adds(&b, "\n\n");
    CU_ASSERT_FATAL(ms_hdr_new(&h) == PL_OK);
    rc = ms_hdr_feed(h, b.data, b.len, &used);
    CU_ASSERT(rc == PL_ERANGE);
    CU_ASSERT(strstr(ms_hdr_error(h), "too long") != NULL);
    /* an error sticks */
    CU_ASSERT(ms_hdr_feed(h, "\n", 1, &used) == PL_ERANGE);
    CU_ASSERT(ms_hdr_finish(h) == PL_ERANGE);
    ms_hdr_free(h);

    ut_buf_clear(&b);
    for (i = 0; i < 900; i++) {
        int k;

        ut_buf_addf(&b, "X-%d: ", i);
        for (k = 0; k < 16; k++)
            ut_buf_adds(&b, "0123456789012345678901234567890123456789"
                        "0123456789012345678901234567890123456789\n ");
        ut_buf_adds(&b, "x\n");
    }
    CU_ASSERT_FATAL(ms_hdr_new(&h) == PL_OK);
    rc = ms_hdr_feed(h, b.data, b.len, &used);
    CU_ASSERT(rc == PL_ERANGE);
    CU_ASSERT(strstr(ms_hdr_error(h), "section too large") != NULL);
    ms_hdr_free(h);
    ut_buf_free(&b);
}

/* ---- the address parser --------------------------------------------- */

typedef struct t_alv {
    const char *in;
    int flags;
    int rc;
    const char *out;     /* "addr[display]|..." or part of the error */
} t_alv;

static const t_alv t_addr_vec[] = {
    { "a@b.example", 0, PL_OK, "a@b.example[]" },
    { "  a@b.example  ", 0, PL_OK, "a@b.example[]" },
    { "Alice <alice@example.org>", 0, PL_OK, "alice@example.org[Alice]" },
    { "\"Smith, John\" <js@example.org>, bob@example.org", 0, PL_OK,
      "js@example.org[Smith, John]|bob@example.org[]" },
    { "John Q. Public <jqp@example.org>", 0, PL_OK,
      "jqp@example.org[John Q. Public]" },
    { "\"a\\\"q\" <x@y>", 0, PL_OK, "x@y[a\"q]" },
    /* comments, nested, anywhere */
    { "(c1) a (c2 (nested) \\) ) @ (c3) b.example (end)", 0, PL_OK,
      "a@b.example[]" },
    { "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
      0, PL_OK, "pete@silly.test[Pete]" },
    /* groups */
    { "undisclosed-recipients:;", 0, PL_OK, "" },
    { "undisclosed-recipients: ;", 0, PL_OK, "" },
    { "A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
      0, PL_OK, "c@a.test[Ed Jones]|joe@where.test[]|jdoe@one.test[John]" },
    { "team: a@x, b@y;, c@z", 0, PL_OK, "a@x[]|b@y[]|c@z[]" },
    /* obsolete forms: route, empty elements, CFWS around dots */
    { "<@a.example,@b.example:u@c.example>", 0, PL_OK, "u@c.example[]" },
    { "Joe <@r1,,@r2:joe@x.test>", 0, PL_OK, "joe@x.test[Joe]" },
    { ", a@b ,, c@d ,", 0, PL_OK, "a@b[]|c@d[]" },
    { "john . doe @ example . org", 0, PL_OK, "john.doe@example.org[]" },
    /* quoted local parts, literals, UTF-8 */
    { "\"john doe\"@example.org", 0, PL_OK, "\"john doe\"@example.org[]" },
    { "u@[192.0.2.1]", 0, PL_OK, "u@[192.0.2.1][]" },
    { "J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc" "cher.example>", 0, PL_OK,
      "j\xc3\xb6rg@b\xc3\xbc" "cher.example[J\xc3\xb6rg]" },
    { "", 0, PL_OK, "" },
    /* bare local parts only when asked */
    { "alice", MS_A_BARE, PL_OK, "alice[]" },
    { "alice, bob@x", MS_A_BARE, PL_OK, "alice[]|bob@x[]" },
    { "alice", 0, PL_EINVAL, "without '@domain'" },
    /* malformed: a clear message, nothing returned */
    { "a@b, (unterminated", 0, PL_EINVAL, "unterminated comment" },
    { "\"open <a@b>", 0, PL_EINVAL, "unterminated quoted string" },
    { "a@[1.2.3.4", 0, PL_EINVAL, "unterminated domain literal" },
    { "Alice <a@b", 0, PL_EINVAL, "missing '>'" },
    { "<>", 0, PL_EINVAL, "empty address" },
    { "a@b <c@d>", 0, PL_EINVAL, "must be quoted" },
    { "a@", 0, PL_EINVAL, "domain" },
    { "@b", 0, PL_EINVAL, "missing local part" },
    { "a..b@c", 0, PL_EINVAL, "misplaced '.'" },
    { "a@b..c", 0, PL_EINVAL, "domain" },
    { "g1: g2: a@b;;", 0, PL_EINVAL, "group inside a group" },
    { "team: a@x, b@y", 0, PL_EINVAL, "not ended by ';'" },
    { ": a@b;", 0, PL_EINVAL, "group without a name" },
    { "a@b c@d", 0, PL_EINVAL, "expected ','" },
    { "a@b)", 0, PL_EINVAL, "')' without '('" },
    { "a\x01@b", 0, PL_EINVAL, "control character 0x01" },
    { "x <@r1 junk:u@v>", 0, PL_EINVAL, "source route" },
    { "((((((((((((((((((((((((((((((((((x)))))))))))))))))))))))))))))"
      ")))) a@b", 0, PL_EINVAL, "nested too deep" },
    { NULL, 0, 0, NULL }
};

static int t_addr_cb(void *ctx, const char *addr, const char *display)
{
    ut_buf *b = (ut_buf *)ctx;

    if (b->len > 0)
        ut_buf_addc(b, '|');
    ut_buf_addf(b, "%s[%s]", addr, display);
    return 0;
}

static void t_addr_table(void)
{
    const t_alv *v;
    char err[MS_ERR_MAX];
    ut_buf out;
    int rc;

    for (v = t_addr_vec; v->in != NULL; v++) {
        ut_buf_init(&out, 0);
        rc = ms_addr_list(v->in, strlen(v->in), v->flags, t_addr_cb, &out,
                          err, sizeof err);
        if (rc != v->rc || (rc == PL_OK &&
                            strcmp(ut_buf_str(&out), v->out) != 0) ||
            (rc != PL_OK && strstr(err, v->out) == NULL))
            printf("\naddress vector '%s': rc %d out '%s' err '%s'\n",
                   v->in, rc, ut_buf_str(&out), err);
        CU_ASSERT(rc == v->rc);
        if (v->rc == PL_OK) {
            CU_ASSERT_STRING_EQUAL(ut_buf_str(&out), v->out);
        } else {
            CU_ASSERT(out.len == 0);
            CU_ASSERT(strstr(err, v->out) != NULL);
        }
        ut_buf_free(&out);
    }
}

static int t_addr_stop_cb(void *ctx, const char *addr, const char *display)
{
    (void)display;
    ++*(int *)ctx;
    return strcmp(addr, "b@x") == 0 ? 7 : 0;
}

/* Bounds: a long address, many addresses; the callback can stop. */
static void t_addr_limits(void)
{
    char err[MS_ERR_MAX];
    ut_buf b;
    int i, n = 0;

    ut_buf_init(&b, 0);
    for (i = 0; i < MS_ADDR_MAX; i++)
        ut_buf_addc(&b, 'a');
    ut_buf_adds(&b, "@example.org");
    CU_ASSERT(ms_addr_list(b.data, b.len, 0, t_addr_cb, NULL, err,
                           sizeof err) == PL_EINVAL);
    CU_ASSERT(strstr(err, "too long") != NULL);
    ut_buf_clear(&b);
    for (i = 0; i <= MS_ADDR_LIST_MAX; i++)
        ut_buf_addf(&b, "u%d@x,", i);
    CU_ASSERT(ms_addr_list(b.data, b.len, 0, t_addr_cb, NULL, err,
                           sizeof err) == PL_EINVAL);
    CU_ASSERT(strstr(err, "too many") != NULL);
    ut_buf_free(&b);
    CU_ASSERT(ms_addr_list("a@x, b@x, c@x", 13, 0, t_addr_stop_cb, &n,
                           err, sizeof err) == 7);
    CU_ASSERT(n == 2);
}

int t_msg_register(void)
{
    CU_pSuite s = CU_add_suite("msg: header reader, address lists", NULL,
                               NULL);

    if (s == NULL ||
        CU_add_test(s, "header table, any segmentation", t_hdr_table)
        == NULL ||
        CU_add_test(s, "header NUL byte", t_hdr_nul) == NULL ||
        CU_add_test(s, "header raw text and find", t_hdr_raw_find) == NULL ||
        CU_add_test(s, "header limits", t_hdr_limits) == NULL ||
        CU_add_test(s, "address list table", t_addr_table) == NULL ||
        CU_add_test(s, "address list limits", t_addr_limits) == NULL)
        return -1;
    return 0;
}
