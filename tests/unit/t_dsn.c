/*
 * t_dsn.c - delivery status notifications (src/queue/qb_dsn.c) on a real
 * queue in build/test-scratch: each report is read back from the queue
 * and parsed (its MIME structure with ms_hdr, every required field of
 * the delivery-status part, the returned content byte for byte), for
 * RET=FULL, RET=HDRS, a message over the size limit, SMTPUTF8, delay
 * and success reports, folding; and the who-is-told rules: the null
 * sender never, a failed bounce to the postmaster as QU_K_DOUBLE, a
 * failed double bounce to nobody, NOTIFY=NEVER and NOTIFY without the
 * kind's keyword suppress.
 * Privilege: none; files only under build/test-scratch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "t_util.h"
#include "qb.h"
#include "ms.h"
#include "ut_buf.h"
#include "ut_str.h"

#define T_MTA "mta.example"

static pl_dir *t_root;
static qu_queue *t_q;

static const char t_msg_small[] =
    "From: Alice <alice@src.example>\r\n"
    "To: bob@dst.example\r\n"
    "Subject: the original\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "this is the body.\r\n";

static int t_dsn_init(void)
{
    const char *dir = t_scratch_dir("dsn");

    if (dir == NULL || pl_dir_open_root(dir, PL_DIR_CREATE, &t_root)
        != PL_OK)
        return -1;
    return qu_open(t_root, &t_q) == PL_OK ? 0 : -1;
}

static int t_dsn_fini(void)
{
    qu_close(t_q);
    pl_dir_close(t_root);
    return 0;
}

/* ---- building entries ------------------------------------------------- */

typedef struct t_rc {
    const char *addr, *orcpt;
    int notify;
    const char *status, *remote;
} t_rc;

/* Queue msg from `from` to the recipients; returns the loaded envelope
 * with the test's status texts filled in (as the runner would have). */
static qu_env *t_entry(int kind, const char *from, const char *envid,
                       int ret, int utf8, const char *msg, size_t len,
                       const t_rc *r, int n)
{
    qu_env proto, *e = NULL;
    qu_sub *s = NULL;
    char id[QU_ID_LEN + 1], why[128];
    int i;

    memset(&proto, 0, sizeof proto);
    proto.kind = kind;
    ut_strlcpy(proto.from, from, sizeof proto.from);
    ut_strlcpy(proto.envid, envid, sizeof proto.envid);
    proto.ret = ret;
    proto.smtputf8 = utf8;
    ut_strlcpy(proto.origin, "test", sizeof proto.origin);
    CU_ASSERT_FATAL(qu_sub_begin(t_q, &proto, &s) == PL_OK);
    for (i = 0; i < n; i++)
        CU_ASSERT_FATAL(qu_sub_rcpt(s, r[i].addr, r[i].orcpt, r[i].notify)
                        == PL_OK);
    CU_ASSERT_FATAL(qu_sub_write(s, msg, len) == PL_OK);
    CU_ASSERT_FATAL(qu_sub_commit(s, id) == PL_OK);
    CU_ASSERT_FATAL(qu_env_load(t_q, id, &e, why, sizeof why) == PL_OK);
    for (i = 0; i < n; i++) {
        ut_strlcpy(e->rcpt[i].status, r[i].status, QU_STATUS_MAX + 1);
        ut_strlcpy(e->rcpt[i].remote, r[i].remote, QU_TEXT_MAX + 1);
        e->rcpt[i].last_try = r[i].status[0] ? e->created + 60 : 0;
    }
    return e;
}

static int t_count_cb(void *ctx, const char *id)
{
    (void)id;
    ++*(int *)ctx;
    return 0;
}

static int t_count(void)
{
    int n = 0;

    CU_ASSERT(qu_list(t_q, t_count_cb, &n) == PL_OK);
    return n;
}

static void t_opts(qb_opts *o, pl_u64 limit)
{
    memset(o, 0, sizeof *o);
    o->reporting_mta = T_MTA;
    o->postmaster = "postmaster";
    o->size_limit = limit;
    o->lifetime = 3 * 86400;
}

/* ---- reading a report back -------------------------------------------- */

#define T_PARTS 4

typedef struct t_part {
    ms_hdr *h;             /* the part's header */
    const char *body;      /* into t_rep.text */
    size_t blen;
} t_part;

typedef struct t_rep {
    qu_env *env;           /* the notification's envelope */
    ut_buf text;           /* the whole message */
    ms_hdr *top;
    int nparts;
    t_part part[T_PARTS];
    ms_hdr *st[8];         /* delivery-status groups: message, rcpts */
    int nst;
} t_rep;

static const char *t_val(ms_hdr *h, const char *name)
{
    int i = ms_hdr_find(h, name, 0);

    return i < 0 ? NULL : ms_hdr_field(h, i)->value;
}

/* Parse a header section at p (n bytes); *used gets its length with the
 * empty line. */
static ms_hdr *t_hdr(const char *p, size_t n, size_t *used)
{
    ms_hdr *h;
    int rc;

    CU_ASSERT_FATAL(ms_hdr_new(&h) == PL_OK);
    rc = ms_hdr_feed(h, p, n, used);
    if (rc == PL_OK) {
        CU_ASSERT(ms_hdr_finish(h) == PL_OK);
        *used = n;
    } else {
        CU_ASSERT(rc == MS_HDR_DONE);
    }
    return h;
}

static const char *t_find(const char *p, size_t n, const char *s)
{
    size_t k = strlen(s), i;

    for (i = 0; n >= k && i <= n - k; i++) {
        if (memcmp(p + i, s, k) == 0)
            return p + i;
    }
    return NULL;
}

/* Load and parse the notification new_id. */
static void t_read(const char *new_id, t_rep *r)
{
    char why[128], buf[4096], delim[128];
    const char *ct, *b, *p, *end, *next;
    pl_file *f;
    size_t got, used, n;
    int i;

    memset(r, 0, sizeof *r);
    ut_buf_init(&r->text, 0);
    CU_ASSERT_FATAL(qu_env_load(t_q, new_id, &r->env, why, sizeof why)
                    == PL_OK);
    CU_ASSERT_FATAL(qu_msg_open(t_q, new_id, &f) == PL_OK);
    while (pl_file_read(f, buf, sizeof buf, &got) == PL_OK && got > 0)
        ut_buf_add(&r->text, buf, got);
    pl_file_close(f);
    r->top = t_hdr(r->text.data, r->text.len, &used);
    ct = t_val(r->top, "Content-Type");
    CU_ASSERT_FATAL(ct != NULL);
    CU_ASSERT(strncmp(ct, "multipart/report; report-type=delivery-status;",
                      46) == 0);
    b = strstr(ct, "boundary=\"");
    CU_ASSERT_FATAL(b != NULL);
    b += 10;
    n = strcspn(b, "\"");
    CU_ASSERT_FATAL(n > 0 && n < 70);
    (void)snprintf(delim, sizeof delim, "\r\n--%.*s", (int)n, b);
    /* body parts between delimiter lines; the last one ends with -- */
    p = r->text.data + used - 2;        /* the CRLF before the first one */
    end = r->text.data + r->text.len;
    p = t_find(p, (size_t)(end - p), delim);
    CU_ASSERT_FATAL(p != NULL);
    for (;;) {
        p += strlen(delim);
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            CU_ASSERT(end - p == 4 && memcmp(p, "--\r\n", 4) == 0);
            break;
        }
        CU_ASSERT_FATAL(end - p >= 2 && p[0] == '\r' && p[1] == '\n');
        p += 2;
        next = t_find(p, (size_t)(end - p), delim);
        CU_ASSERT_FATAL(next != NULL && r->nparts < T_PARTS);
        r->part[r->nparts].h = t_hdr(p, (size_t)(next - p), &used);
        r->part[r->nparts].body = p + used;
        r->part[r->nparts].blen = (size_t)(next - p) - used;
        r->nparts++;
        p = next;
    }
    /* the delivery-status part: groups of fields split by empty lines */
    if (r->nparts >= 2) {
        p = r->part[1].body;
        end = p + r->part[1].blen;
        while (p < end && r->nst < 8) {
            r->st[r->nst++] = t_hdr(p, (size_t)(end - p), &used);
            p += used;
        }
    }
    for (i = 0; i < r->nst; i++)
        CU_ASSERT(ms_hdr_count(r->st[i]) > 0);
}

static void t_free(t_rep *r)
{
    int i;

    qu_env_free(r->env);
    ut_buf_free(&r->text);
    ms_hdr_free(r->top);
    for (i = 0; i < r->nparts; i++)
        ms_hdr_free(r->part[i].h);
    for (i = 0; i < r->nst; i++)
        ms_hdr_free(r->st[i]);
}

/* Every line of the message at most 78 octets (nothing in the tests is
 * a single word that long). */
static int t_lines_ok(const ut_buf *b, size_t from, size_t to)
{
    size_t i, col = 0;

    for (i = from; i < to; i++) {
        if (b->data[i] == '\n')
            col = 0;
        else if (b->data[i] != '\r' && ++col > 78)
            return 0;
    }
    return 1;
}

/* ---- the tests -------------------------------------------------------- */

static void t_dsn_failed_full(void)
{
    static const t_rc rc[] = {
        { "bob@dst.example", "rfc822;Bob@Dst.Example", 0,
          "550 5.1.1 <bob@dst.example>: Recipient address rejected: User "
          "unknown in virtual mailbox table", "mx1.dst.example[192.0.2.1]:25"
        },
        { "carol@dst.example", "", QU_N_FAILURE,
          "connect to mx1.dst.example[192.0.2.1]:25: Connection timed out",
          "" },
        { "dave@dst.example", "", QU_N_NEVER, "550 5.1.1 no", "" },
    };
    static const int idx[] = { 0, 1, 2 };
    char id[QU_ID_LEN + 1];
    qb_opts o;
    qu_env *e;
    t_rep r;
    const char *v;

    t_opts(&o, 50 * 1024);
    e = t_entry(QU_K_MAIL, "alice@src.example", "ENV-42", QU_RET_NONE, 0,
                t_msg_small, sizeof t_msg_small - 1, rc, 3);
    CU_ASSERT(qb_report(t_q, e, idx, 3, QB_FAILED, &o, id) == PL_OK);
    CU_ASSERT_FATAL(qu_id_check(id));
    t_read(id, &r);
    /* the new entry: from <>, to the sender, a bounce */
    CU_ASSERT(r.env->kind == QU_K_BOUNCE);
    CU_ASSERT_STRING_EQUAL(r.env->from, "");
    CU_ASSERT(r.env->nrcpt == 1);
    CU_ASSERT_STRING_EQUAL(r.env->rcpt[0].addr, "alice@src.example");
    CU_ASSERT(strstr(r.env->origin, e->id) != NULL);
    /* the header */
    CU_ASSERT_STRING_EQUAL(t_val(r.top, "From"),
                           "Mail Delivery System <MAILER-DAEMON@" T_MTA ">");
    CU_ASSERT_STRING_EQUAL(t_val(r.top, "To"), "<alice@src.example>");
    CU_ASSERT_STRING_EQUAL(t_val(r.top, "Subject"),
                           "Undelivered Mail Returned to Sender");
    CU_ASSERT_STRING_EQUAL(t_val(r.top, "Auto-Submitted"), "auto-replied");
    CU_ASSERT_STRING_EQUAL(t_val(r.top, "MIME-Version"), "1.0");
    CU_ASSERT(t_val(r.top, "Date") != NULL);
    v = t_val(r.top, "Message-ID");
    CU_ASSERT(v != NULL && v[0] == '<' && strstr(v, "@" T_MTA ">") != NULL);
    /* three parts */
    CU_ASSERT_FATAL(r.nparts == 3);
    CU_ASSERT(strncmp(t_val(r.part[0].h, "Content-Type"), "text/plain",
                      10) == 0);
    CU_ASSERT(t_find(r.part[0].body, r.part[0].blen,
                     "<bob@dst.example>: host mx1.dst.example said: 550")
              != NULL);
    CU_ASSERT(t_find(r.part[0].body, r.part[0].blen, "<carol@dst.example>:")
              != NULL);
    CU_ASSERT(t_find(r.part[0].body, r.part[0].blen, "dave") == NULL);
    CU_ASSERT_STRING_EQUAL(t_val(r.part[1].h, "Content-Type"),
                           "message/delivery-status");
    CU_ASSERT_STRING_EQUAL(t_val(r.part[2].h, "Content-Type"),
                           "message/rfc822");
    /* the returned message, byte for byte */
    CU_ASSERT(r.part[2].blen == sizeof t_msg_small - 1 &&
              memcmp(r.part[2].body, t_msg_small, r.part[2].blen) == 0);
    /* per message */
    CU_ASSERT_FATAL(r.nst == 3);
    CU_ASSERT_STRING_EQUAL(t_val(r.st[0], "Reporting-MTA"), "dns; " T_MTA);
    CU_ASSERT_STRING_EQUAL(t_val(r.st[0], "Original-Envelope-Id"),
                           "ENV-42");
    v = t_val(r.st[0], "Arrival-Date");
    CU_ASSERT(v != NULL && strlen(v) >= 29 && v[3] == ',');
    /* per recipient; dave (NOTIFY=NEVER) is not there */
    CU_ASSERT_STRING_EQUAL(t_val(r.st[1], "Original-Recipient"),
                           "rfc822; Bob@Dst.Example");
    CU_ASSERT_STRING_EQUAL(t_val(r.st[1], "Final-Recipient"),
                           "rfc822; bob@dst.example");
    CU_ASSERT_STRING_EQUAL(t_val(r.st[1], "Action"), "failed");
    CU_ASSERT_STRING_EQUAL(t_val(r.st[1], "Status"), "5.1.1");
    CU_ASSERT_STRING_EQUAL(t_val(r.st[1], "Remote-MTA"),
                           "dns; mx1.dst.example");
    CU_ASSERT_STRING_EQUAL(t_val(r.st[1], "Diagnostic-Code"),
                           "smtp; 550 5.1.1 <bob@dst.example>: Recipient "
                           "address rejected: User unknown in virtual "
                           "mailbox table");
    CU_ASSERT(t_val(r.st[1], "Last-Attempt-Date") != NULL);
    CU_ASSERT(t_val(r.st[1], "Will-Retry-Until") == NULL);
    CU_ASSERT(t_val(r.st[2], "Original-Recipient") == NULL);
    CU_ASSERT_STRING_EQUAL(t_val(r.st[2], "Final-Recipient"),
                           "rfc822; carol@dst.example");
    CU_ASSERT_STRING_EQUAL(t_val(r.st[2], "Status"), "5.0.0");
    CU_ASSERT(t_val(r.st[2], "Remote-MTA") == NULL);
    CU_ASSERT(strncmp(t_val(r.st[2], "Diagnostic-Code"), "X-newmail; "
                      "connect to", 21) == 0);
    /* folded: every line of the report proper is short */
    CU_ASSERT(t_lines_ok(&r.text, 0, (size_t)(r.part[2].body -
                                              r.text.data)));
    t_free(&r);
    qu_env_free(e);
}

static void t_dsn_hdrs_and_limit(void)
{
    static const t_rc rc[] = {
        { "bob@dst.example", "", 0, "550 5.7.1 refused", "mx.dst.example" },
    };
    static const int idx[] = { 0 };
    static const char hdr[] = "From: Alice <alice@src.example>\r\n"
        "To: bob@dst.example\r\nSubject: the original\r\n";
    char id[QU_ID_LEN + 1];
    ut_buf big;
    qb_opts o;
    qu_env *e;
    t_rep r;
    int i;

    /* RET=HDRS: the header section only */
    t_opts(&o, 50 * 1024);
    e = t_entry(QU_K_MAIL, "alice@src.example", "", QU_RET_HDRS, 0,
                t_msg_small, sizeof t_msg_small - 1, rc, 1);
    CU_ASSERT(qb_report(t_q, e, idx, 1, QB_FAILED, &o, id) == PL_OK);
    t_read(id, &r);
    CU_ASSERT_FATAL(r.nparts == 3);
    CU_ASSERT_STRING_EQUAL(t_val(r.part[2].h, "Content-Type"),
                           "text/rfc822-headers");
    CU_ASSERT(r.part[2].blen == sizeof hdr - 1 &&
              memcmp(r.part[2].body, hdr, sizeof hdr - 1) == 0);
    CU_ASSERT(t_val(r.st[0], "Original-Envelope-Id") == NULL);
    t_free(&r);
    qu_env_free(e);

    /* RET=FULL but over the limit: headers only */
    ut_buf_init(&big, 0);
    ut_buf_adds(&big, hdr);
    ut_buf_adds(&big, "\r\n");
    for (i = 0; i < 100; i++)
        ut_buf_adds(&big, "0123456789 0123456789 0123456789 0123456789\r\n");
    t_opts(&o, 1024);
    e = t_entry(QU_K_MAIL, "alice@src.example", "", QU_RET_FULL, 0,
                big.data, big.len, rc, 1);
    CU_ASSERT(qb_report(t_q, e, idx, 1, QB_FAILED, &o, id) == PL_OK);
    t_read(id, &r);
    CU_ASSERT_FATAL(r.nparts == 3);
    CU_ASSERT_STRING_EQUAL(t_val(r.part[2].h, "Content-Type"),
                           "text/rfc822-headers");
    CU_ASSERT(r.part[2].blen == sizeof hdr - 1);
    t_free(&r);
    qu_env_free(e);

    /* RET=FULL within the limit: all of it */
    t_opts(&o, 100 * 1024);
    e = t_entry(QU_K_MAIL, "alice@src.example", "", QU_RET_FULL, 0,
                big.data, big.len, rc, 1);
    CU_ASSERT(qb_report(t_q, e, idx, 1, QB_FAILED, &o, id) == PL_OK);
    t_read(id, &r);
    CU_ASSERT_FATAL(r.nparts == 3);
    CU_ASSERT_STRING_EQUAL(t_val(r.part[2].h, "Content-Type"),
                           "message/rfc822");
    CU_ASSERT(r.part[2].blen == big.len &&
              memcmp(r.part[2].body, big.data, big.len) == 0);
    t_free(&r);
    qu_env_free(e);
    ut_buf_free(&big);
}

static void t_dsn_utf8(void)
{
    static const t_rc rc[] = {
        { "j\xc3\xb6rg@dst.example", "utf-8;j\xc3\xb6rg@dst.example", 0,
          "550 5.1.1 unknown", "mx.dst.example" },
    };
    static const char msg[] = "From: J\xc3\xb6rg <j@src.example>\r\n"
        "Subject: gr\xc3\xbc\xc3\x9f" "e\r\n\r\nK\xc3\xa4se\r\n";
    static const int idx[] = { 0 };
    char id[QU_ID_LEN + 1];
    qb_opts o;
    qu_env *e;
    t_rep r;

    t_opts(&o, 50 * 1024);
    e = t_entry(QU_K_MAIL, "j@src.example", "", QU_RET_NONE, 1, msg,
                sizeof msg - 1, rc, 1);
    CU_ASSERT(qb_report(t_q, e, idx, 1, QB_FAILED, &o, id) == PL_OK);
    t_read(id, &r);
    CU_ASSERT(r.env->smtputf8 == 1);
    CU_ASSERT(r.env->body == QU_BODY_8BIT);
    CU_ASSERT_FATAL(r.nparts == 3);
    CU_ASSERT_STRING_EQUAL(t_val(r.part[1].h, "Content-Type"),
                           "message/global-delivery-status");
    CU_ASSERT_STRING_EQUAL(t_val(r.part[2].h, "Content-Type"),
                           "message/global");
    CU_ASSERT_STRING_EQUAL(t_val(r.st[1], "Final-Recipient"),
                           "utf-8; j\xc3\xb6rg@dst.example");
    CU_ASSERT(r.part[2].blen == sizeof msg - 1 &&
              memcmp(r.part[2].body, msg, sizeof msg - 1) == 0);
    CU_ASSERT(strstr(t_val(r.top, "Content-Transfer-Encoding"), "8bit")
              != NULL);
    t_free(&r);
    qu_env_free(e);
}

static void t_dsn_delay_success(void)
{
    static const t_rc rc[] = {
        { "bob@dst.example", "", 0, "451 4.4.1 try later",
          "mx.dst.example" },
        { "carol@dst.example", "", QU_N_SUCCESS | QU_N_FAILURE,
          "250 2.0.0 Ok: queued", "mx.dst.example" },
        { "dave@dst.example", "", 0, "250 ok", "mx.dst.example" },
        { "erin@dst.example", "", QU_N_FAILURE, "451 4.4.1 later", "" },
    };
    static const int delayed[] = { 0, 3 }, relayed[] = { 1, 2 };
    char id[QU_ID_LEN + 1];
    qb_opts o;
    qu_env *e;
    t_rep r;

    t_opts(&o, 50 * 1024);
    e = t_entry(QU_K_MAIL, "alice@src.example", "", QU_RET_FULL, 0,
                t_msg_small, sizeof t_msg_small - 1, rc, 4);
    /* delay: bob (NOTIFY not given: delay implied); not erin (FAILURE) */
    CU_ASSERT(qb_report(t_q, e, delayed, 2, QB_DELAYED, &o, id) == PL_OK);
    t_read(id, &r);
    CU_ASSERT_STRING_EQUAL(t_val(r.top, "Subject"),
                           "Delayed Mail (still being retried)");
    CU_ASSERT_FATAL(r.nparts == 3 && r.nst == 2);
    CU_ASSERT_STRING_EQUAL(t_val(r.st[1], "Final-Recipient"),
                           "rfc822; bob@dst.example");
    CU_ASSERT_STRING_EQUAL(t_val(r.st[1], "Action"), "delayed");
    CU_ASSERT_STRING_EQUAL(t_val(r.st[1], "Status"), "4.4.1");
    CU_ASSERT(t_val(r.st[1], "Will-Retry-Until") != NULL);
    CU_ASSERT_STRING_EQUAL(t_val(r.part[2].h, "Content-Type"),
                           "text/rfc822-headers");
    CU_ASSERT(t_find(r.part[0].body, r.part[0].blen, "WARNING ONLY")
              != NULL);
    t_free(&r);
    /* success: only carol asked for it */
    CU_ASSERT(qb_report(t_q, e, relayed, 2, QB_RELAYED, &o, id) == PL_OK);
    t_read(id, &r);
    CU_ASSERT_FATAL(r.nst == 2);
    CU_ASSERT_STRING_EQUAL(t_val(r.st[1], "Final-Recipient"),
                           "rfc822; carol@dst.example");
    CU_ASSERT_STRING_EQUAL(t_val(r.st[1], "Action"), "relayed");
    CU_ASSERT_STRING_EQUAL(t_val(r.st[1], "Status"), "2.0.0");
    CU_ASSERT(t_val(r.st[1], "Will-Retry-Until") == NULL);
    t_free(&r);
    qu_env_free(e);
}

/* Who is told, and who is not (nothing queued then). */
static void t_dsn_rules(void)
{
    static const t_rc one[] = {
        { "bob@dst.example", "", 0, "550 5.1.1 unknown", "" },
    };
    static const t_rc never[] = {
        { "bob@dst.example", "", QU_N_NEVER, "550 5.1.1 unknown", "" },
    };
    static const t_rc success[] = {
        { "bob@dst.example", "", QU_N_SUCCESS | QU_N_DELAY, "550 5.1.1 x",
          "" },
    };
    static const int idx[] = { 0 };
    char id[QU_ID_LEN + 1];
    qb_opts o;
    qu_env *e;
    t_rep r;
    int before;

    t_opts(&o, 50 * 1024);
    /* the null sender is never told */
    e = t_entry(QU_K_MAIL, "", "", QU_RET_NONE, 0, t_msg_small,
                sizeof t_msg_small - 1, one, 1);
    before = t_count();
    strcpy(id, "X");
    CU_ASSERT(qb_report(t_q, e, idx, 1, QB_FAILED, &o, id) == PL_OK);
    CU_ASSERT_STRING_EQUAL(id, "");
    CU_ASSERT(t_count() == before);
    qu_env_free(e);
    /* a failed bounce goes to the postmaster as a double bounce */
    e = t_entry(QU_K_BOUNCE, "", "", QU_RET_NONE, 0, t_msg_small,
                sizeof t_msg_small - 1, one, 1);
    CU_ASSERT(qb_report(t_q, e, idx, 1, QB_FAILED, &o, id) == PL_OK);
    CU_ASSERT_FATAL(qu_id_check(id));
    t_read(id, &r);
    CU_ASSERT(r.env->kind == QU_K_DOUBLE);
    CU_ASSERT_STRING_EQUAL(r.env->rcpt[0].addr, "postmaster@" T_MTA);
    CU_ASSERT_STRING_EQUAL(r.env->from, "");
    t_free(&r);
    /* ... but not its delay */
    before = t_count();
    CU_ASSERT(qb_report(t_q, e, idx, 1, QB_DELAYED, &o, id) == PL_OK);
    CU_ASSERT_STRING_EQUAL(id, "");
    CU_ASSERT(t_count() == before);
    qu_env_free(e);
    /* a failed double bounce is only logged */
    e = t_entry(QU_K_DOUBLE, "", "", QU_RET_NONE, 0, t_msg_small,
                sizeof t_msg_small - 1, one, 1);
    before = t_count();
    CU_ASSERT(qb_report(t_q, e, idx, 1, QB_FAILED, &o, id) == PL_OK);
    CU_ASSERT_STRING_EQUAL(id, "");
    CU_ASSERT(t_count() == before);
    qu_env_free(e);
    /* NOTIFY=NEVER; NOTIFY without FAILURE */
    e = t_entry(QU_K_MAIL, "alice@src.example", "", QU_RET_NONE, 0,
                t_msg_small, sizeof t_msg_small - 1, never, 1);
    CU_ASSERT(qb_report(t_q, e, idx, 1, QB_FAILED, &o, id) == PL_OK);
    CU_ASSERT_STRING_EQUAL(id, "");
    CU_ASSERT(qb_report(t_q, e, idx, 1, QB_DELAYED, &o, id) == PL_OK);
    CU_ASSERT_STRING_EQUAL(id, "");
    qu_env_free(e);
    e = t_entry(QU_K_MAIL, "alice@src.example", "", QU_RET_NONE, 0,
                t_msg_small, sizeof t_msg_small - 1, success, 1);
    CU_ASSERT(qb_report(t_q, e, idx, 1, QB_FAILED, &o, id) == PL_OK);
    CU_ASSERT_STRING_EQUAL(id, "");
    CU_ASSERT(t_count() == before + 2);     /* only the two entries */
    /* success is not implied without NOTIFY; bad arguments refused */
    qu_env_free(e);
    e = t_entry(QU_K_MAIL, "alice@src.example", "", QU_RET_NONE, 0,
                t_msg_small, sizeof t_msg_small - 1, one, 1);
    CU_ASSERT(qb_report(t_q, e, idx, 1, QB_RELAYED, &o, id) == PL_OK);
    CU_ASSERT_STRING_EQUAL(id, "");
    {
        static const int bad[] = { 5 };

        CU_ASSERT(qb_report(t_q, e, bad, 1, QB_FAILED, &o, id)
                  == PL_EINVAL);
        CU_ASSERT(qb_report(t_q, e, idx, 1, 9, &o, id) == PL_EINVAL);
    }
    CU_ASSERT(t_count() == before + 3);
    qu_env_free(e);
}

int t_dsn_register(void)
{
    CU_pSuite s = CU_add_suite("queue: delivery status notifications",
                               t_dsn_init, t_dsn_fini);

    if (s == NULL ||
        CU_add_test(s, "failure report, RET=FULL, every field",
                    t_dsn_failed_full) == NULL ||
        CU_add_test(s, "RET=HDRS, over the size limit, within it",
                    t_dsn_hdrs_and_limit) == NULL ||
        CU_add_test(s, "SMTPUTF8: the RFC 6533 types", t_dsn_utf8) == NULL ||
        CU_add_test(s, "delay and success reports", t_dsn_delay_success)
        == NULL ||
        CU_add_test(s, "who is told", t_dsn_rules) == NULL)
        return -1;
    return 0;
}
