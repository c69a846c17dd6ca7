/*
 * t_queue.c - unit tests of the outbound queue (src/queue/qu_*.c): the
 * envelope text round trip with every field, values with CR, LF, NUL and
 * other control characters refused on write, every prefix and single
 * byte change of a valid file refused on load, versions, duplicate,
 * unknown and misplaced records, the message size check, unique ids,
 * abort, the reaper's age and lock rules, rewrites with appended
 * recipients, concurrent submissions, entry locks and the wake-up call.
 * Table-driven where the cases are data.
 * Limits: POSIX only for setting file times (utime), like t_store.c.
 * Privilege: none; files only under build/test-scratch/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utime.h>
#include <openssl/evp.h>
#include <CUnit/CUnit.h>
#include "t_util.h"
#include "qu_int.h"
#include "ut_buf.h"
#include "ut_code.h"

#define T_PATH 512
#define T_MSG "From: a@example.org\r\nSubject: t\r\n\r\nbody\r\n"

static char t_qroot[T_PATH];
static char t_qdir[T_PATH + 16];

/* A fresh store root with an open queue. */
static qu_queue *t_q_open(const char *scratch)
{
    const char *dir = t_scratch_dir(scratch);
    pl_dir *root = NULL;
    qu_queue *q = NULL;

    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    snprintf(t_qroot, sizeof t_qroot, "%s/root", dir);
    snprintf(t_qdir, sizeof t_qdir, "%s/" QU_DIR, t_qroot);
    CU_ASSERT_EQUAL_FATAL(pl_dir_open_root(t_qroot, PL_DIR_CREATE, &root),
                          PL_OK);
    CU_ASSERT_EQUAL_FATAL(qu_open(root, &q), PL_OK);
    pl_dir_close(root);
    return q;
}

static pl_dir *t_q_dir(void)
{
    pl_dir *d = NULL;

    CU_ASSERT_EQUAL(pl_dir_open_root(t_qdir, 0, &d), PL_OK);
    return d;
}

static int t_q_count_cb(void *ctx, const char *name, int kind)
{
    (void)name;
    (void)kind;
    (*(int *)ctx)++;
    return 0;
}

/* Files in _QUEUE. */
static int t_q_files(void)
{
    pl_dir *d = t_q_dir();
    int n = 0;

    if (d == NULL)
        return -1;
    pl_dir_list(d, t_q_count_cb, &n);
    pl_dir_close(d);
    return n;
}

static int t_q_exists(const char *id, const char *type)
{
    char name[QU_NAME_BUF];
    pl_file_info fi;
    pl_dir *d = t_q_dir();
    int rc;

    qu_name(id, type, name);
    rc = pl_file_info_get(d, name, &fi);
    pl_dir_close(d);
    return rc == PL_OK;
}

/* A prototype with every field set. */
static void t_q_proto(qu_env *e)
{
    memset(e, 0, sizeof *e);
    e->kind = QU_K_MAIL;
    strcpy(e->from, "alice@example.org");
    strcpy(e->envid, "QQ314159 x+2B");
    e->ret = QU_RET_HDRS;
    e->body = QU_BODY_8BIT;
    e->smtputf8 = 1;
    strcpy(e->origin, "smtp 192.0.2.7 (user alice)");
}

/* Submit T_MSG (or msg) to the given recipients. */
static int t_q_submit(qu_queue *q, const qu_env *proto, const char *msg,
                      int nrcpt, char *id)
{
    qu_sub *s = NULL;
    char addr[64];
    int i, rc = qu_sub_begin(q, proto, &s);

    if (rc != PL_OK)
        return rc;
    for (i = 0; rc == PL_OK && i < nrcpt; i++) {
        snprintf(addr, sizeof addr, "rcpt%d@example.net", i);
        rc = qu_sub_rcpt(s, addr, i % 2 ? "rfc822;orig@example.net" : NULL,
                         i % 2 ? QU_N_SUCCESS | QU_N_FAILURE : 0);
    }
    if (rc == PL_OK)
        rc = qu_sub_write(s, msg, strlen(msg));
    if (rc != PL_OK) {
        qu_sub_abort(s);
        return rc;
    }
    return qu_sub_commit(s, id);
}

/* A complete envelope with unusual but valid values in every field. */
static void t_q_full(qu_env *e, qu_rcpt *r, int n)
{
    int i;

    t_q_proto(e);
    strcpy(e->id, "0ABCDEFGHIJ12345");
    e->kind = QU_K_DOUBLE;
    e->from[0] = '\0';                         /* <> */
    strcpy(e->origin, "sendmail uid 1000 \xc3\xa9t\xc3\xa9  two spaces ");
    e->created = 1732262400;
    e->next_try = QU_TIME_MAX;
    e->hold = 1;
    e->size = 18446744073709551615ULL;
    e->nrcpt = n;
    e->rcpt = r;
    memset(r, 0, (size_t)n * sizeof *r);
    for (i = 0; i < n; i++) {
        snprintf(r[i].addr, sizeof r[i].addr, "\"x y\"%d@example.net", i);
        strcpy(r[i].orcpt, i ? "rfc822;Orig@Example.NET" : "");
        r[i].notify = i % 3 == 0 ? 0 : i % 3 == 1 ? QU_N_NEVER
                      : QU_N_SUCCESS | QU_N_FAILURE | QU_N_DELAY;
        r[i].state = i % 4;
        r[i].attempts = QU_ATTEMPTS_MAX - i;
        r[i].warned = i % 2;
        r[i].last_try = i;
        snprintf(r[i].status, sizeof r[i].status,
                 "451 4.4.1 try %d: connection refused", i);
        strcpy(r[i].remote, i ? "mx.example.net [192.0.2.9]" : "");
    }
}

static void t_q_same(const qu_env *a, const qu_env *b)
{
    int i;

    CU_ASSERT_STRING_EQUAL(a->id, b->id);
    CU_ASSERT_EQUAL(a->kind, b->kind);
    CU_ASSERT_STRING_EQUAL(a->from, b->from);
    CU_ASSERT_STRING_EQUAL(a->envid, b->envid);
    CU_ASSERT_EQUAL(a->ret, b->ret);
    CU_ASSERT_EQUAL(a->body, b->body);
    CU_ASSERT_EQUAL(a->smtputf8, b->smtputf8);
    CU_ASSERT_STRING_EQUAL(a->origin, b->origin);
    CU_ASSERT(a->created == b->created);
    CU_ASSERT(a->next_try == b->next_try);
    CU_ASSERT_EQUAL(a->hold, b->hold);
    CU_ASSERT(a->size == b->size);
    CU_ASSERT_EQUAL_FATAL(a->nrcpt, b->nrcpt);
    for (i = 0; i < a->nrcpt; i++) {
        const qu_rcpt *x = &a->rcpt[i], *y = &b->rcpt[i];
        CU_ASSERT_STRING_EQUAL(x->addr, y->addr);
        CU_ASSERT_STRING_EQUAL(x->orcpt, y->orcpt);
        CU_ASSERT_EQUAL(x->notify, y->notify);
        CU_ASSERT_EQUAL(x->state, y->state);
        CU_ASSERT_EQUAL(x->attempts, y->attempts);
        CU_ASSERT_EQUAL(x->warned, y->warned);
        CU_ASSERT(x->last_try == y->last_try);
        CU_ASSERT_STRING_EQUAL(x->status, y->status);
        CU_ASSERT_STRING_EQUAL(x->remote, y->remote);
    }
}

/* A valid envelope file's text. */
static void t_q_text(ut_buf *b, int nrcpt)
{
    qu_env e;
    qu_rcpt r[8];

    t_q_full(&e, r, nrcpt);
    ut_buf_init(b, 0);
    CU_ASSERT_EQUAL_FATAL(qu_env_format(&e, b), PL_OK);
}

/* Replace the CHECKSUM line of text with the right one for the rest. */
static void t_q_resum(ut_buf *b)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char hex[65];
    size_t start;

    CU_ASSERT_FATAL(b->len > 1);
    for (start = b->len - 1; start > 0 && b->data[start - 1] != '\n';
         start--)
        ;
    b->len = start;
    EVP_Digest(b->data, start, md, &mdlen, EVP_sha256(), NULL);
    ut_hex_encode(md, 32, hex, sizeof hex);
    ut_buf_adds(b, "CHECKSUM ");
    ut_buf_adds(b, hex);
    ut_buf_addc(b, '\n');
}

/* ---- envelope text ------------------------------------------------------ */

static void t_q_roundtrip(void)
{
    static const int counts[] = { 1, 2, 3, 8 };
    qu_env e, *back = NULL;
    qu_rcpt r[8];
    ut_buf b;
    char why[256];
    size_t i;

    for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        t_q_full(&e, r, counts[i]);
        ut_buf_init(&b, 0);
        CU_ASSERT_EQUAL_FATAL(qu_env_format(&e, &b), PL_OK);
        CU_ASSERT_EQUAL(qu_env_parse(b.data, b.len, &back, why, sizeof why),
                        PL_OK);
        CU_ASSERT_PTR_NOT_NULL_FATAL(back);
        t_q_same(&e, back);
        qu_env_free(back);
        back = NULL;
        ut_buf_free(&b);
    }
    /* Every code of every enumerated field. */
    for (i = 0; i < 4; i++) {
        t_q_full(&e, r, 1);
        e.kind = (int)(i % 3);
        e.ret = (int)(i % 3);
        e.body = (int)(i % 3);
        e.smtputf8 = (int)(i % 2);
        e.hold = (int)(i % 2);
        r[0].state = (int)i;
        r[0].notify = (int)i * 2;     /* 0, SUCCESS, FAILURE, both */
        ut_buf_init(&b, 0);
        CU_ASSERT_EQUAL_FATAL(qu_env_format(&e, &b), PL_OK);
        CU_ASSERT_EQUAL(qu_env_parse(b.data, b.len, &back, why, sizeof why),
                        PL_OK);
        if (back != NULL)
            t_q_same(&e, back);
        qu_env_free(back);
        back = NULL;
        ut_buf_free(&b);
    }
}

/* Text fields by offset, for the control character table. */
typedef struct t_q_tfield {
    const char *name;
    int in_rcpt;
    size_t off;
    size_t max;
} t_q_tfield;

static const t_q_tfield t_q_tfields[] = {
    { "FROM", 0, offsetof(qu_env, from), QU_ADDR_MAX },
    { "ENVID", 0, offsetof(qu_env, envid), QU_XTEXT_MAX },
    { "ORIGIN", 0, offsetof(qu_env, origin), QU_TEXT_MAX },
    { "RCPT", 1, offsetof(qu_rcpt, addr), QU_ADDR_MAX },
    { "ORCPT", 1, offsetof(qu_rcpt, orcpt), QU_XTEXT_MAX },
    { "STATUS", 1, offsetof(qu_rcpt, status), QU_STATUS_MAX },
    { "REMOTE", 1, offsetof(qu_rcpt, remote), QU_TEXT_MAX }
};

static void t_q_bad_values(void)
{
    static const char *const bad[] = {
        "a\rb", "a\nb", "a\r\nRCPT evil@example.com", "\n", "x\ty",
        "\x01", "del\x7f", "esc\x1b[0m", "tail\r"
    };
    qu_env e;
    qu_rcpt r[2];
    ut_buf b;
    size_t f, k;
    char *p;

    ut_buf_init(&b, 0);
    for (f = 0; f < sizeof t_q_tfields / sizeof t_q_tfields[0]; f++) {
        for (k = 0; k <= sizeof bad / sizeof bad[0]; k++) {
            t_q_full(&e, r, 2);
            p = (t_q_tfields[f].in_rcpt ? (char *)&r[1] : (char *)&e) +
                t_q_tfields[f].off;
            if (k < sizeof bad / sizeof bad[0]) {
                strcpy(p, bad[k]);
            } else {
                /* No NUL within the field: too long, never read past. */
                memset(p, 'a', t_q_tfields[f].max + 1);
            }
            ut_buf_adds(&b, "keep");
            CU_ASSERT_EQUAL(qu_env_format(&e, &b), PL_EINVAL);
            CU_ASSERT_EQUAL(b.len, 4);      /* nothing was added */
            CU_ASSERT_EQUAL(qu_env_check(&e, NULL, 0), PL_EINVAL);
            ut_buf_clear(&b);
        }
        /* The longest allowed value is fine. */
        t_q_full(&e, r, 2);
        p = (t_q_tfields[f].in_rcpt ? (char *)&r[1] : (char *)&e) +
            t_q_tfields[f].off;
        memset(p, 'b', t_q_tfields[f].max);
        p[t_q_tfields[f].max] = '\0';
        CU_ASSERT_EQUAL(qu_env_format(&e, &b), PL_OK);
        ut_buf_clear(&b);
    }
    /* Numbers and codes out of range. */
    for (k = 0; k < 12; k++) {
        t_q_full(&e, r, 2);
        switch (k) {
        case 0: e.kind = 3; break;
        case 1: e.ret = -1; break;
        case 2: e.body = 3; break;
        case 3: e.smtputf8 = 2; break;
        case 4: e.created = -1; break;
        case 5: e.next_try = QU_TIME_MAX + 1; break;
        case 6: r[0].state = 4; break;
        case 7: r[0].notify = QU_N_NEVER | QU_N_DELAY; break;
        case 8: r[0].attempts = -1; break;
        case 9: r[0].addr[0] = '\0'; break;
        case 10: e.id[3] = 'a'; break;
        default: e.nrcpt = 0; break;
        }
        CU_ASSERT_EQUAL(qu_env_format(&e, &b), PL_EINVAL);
        CU_ASSERT_EQUAL(b.len, 0);
    }
    ut_buf_free(&b);
}

static void t_q_bad_submission(void)
{
    qu_queue *q = t_q_open("queue-badsub");
    qu_env proto;
    qu_sub *s = NULL;
    char id[QU_ID_LEN + 1];

    t_q_proto(&proto);
    strcpy(proto.from, "a\r\nb@example.org");
    CU_ASSERT_EQUAL(qu_sub_begin(q, &proto, &s), PL_EINVAL);
    CU_ASSERT_PTR_NULL(s);
    t_q_proto(&proto);
    strcpy(proto.origin, "smtp\t1.2.3.4");
    CU_ASSERT_EQUAL(qu_sub_begin(q, &proto, &s), PL_EINVAL);
    t_q_proto(&proto);
    CU_ASSERT_EQUAL_FATAL(qu_sub_begin(q, &proto, &s), PL_OK);
    CU_ASSERT_EQUAL(qu_sub_rcpt(s, "b@x\r\n", NULL, 0), PL_EINVAL);
    CU_ASSERT_EQUAL(qu_sub_rcpt(s, "", NULL, 0), PL_EINVAL);
    CU_ASSERT_EQUAL(qu_sub_rcpt(s, "b@x", "rfc822;\nX", 0), PL_EINVAL);
    CU_ASSERT_EQUAL(qu_sub_rcpt(s, "b@x", NULL, QU_N_NEVER | QU_N_SUCCESS),
                    PL_EINVAL);
    CU_ASSERT_EQUAL(qu_sub_rcpt(s, "b@x", NULL, 16), PL_EINVAL);
    CU_ASSERT_EQUAL(qu_sub_write(s, T_MSG, strlen(T_MSG)), PL_OK);
    /* No recipient was accepted: commit refuses and leaves nothing. */
    CU_ASSERT_EQUAL(qu_sub_commit(s, id), PL_EINVAL);
    CU_ASSERT_STRING_EQUAL(id, "");
    CU_ASSERT_EQUAL(t_q_files(), 0);
    qu_close(q);
}

/* Every prefix of a valid file is refused with a reason. */
static void t_q_prefixes(void)
{
    qu_env *e = NULL;
    ut_buf b;
    char why[256];
    size_t n;

    t_q_text(&b, 3);
    for (n = 0; n < b.len; n++) {
        why[0] = '\0';
        CU_ASSERT_EQUAL(qu_env_parse(b.data, n, &e, why, sizeof why),
                        PL_EINVAL);
        CU_ASSERT_PTR_NULL(e);
        CU_ASSERT(why[0] != '\0');
    }
    CU_ASSERT_EQUAL(qu_env_parse(b.data, b.len, &e, why, sizeof why), PL_OK);
    qu_env_free(e);
    ut_buf_free(&b);
}

/* Every single-byte change (three patterns per byte) is refused. */
static void t_q_flips(void)
{
    static const unsigned char masks[] = { 0x01, 0x20, 0x80 };
    qu_env *e = NULL;
    ut_buf b;
    char why[256];
    size_t i, m;
    int refused = 0, total = 0;

    t_q_text(&b, 2);
    for (i = 0; i < b.len; i++) {
        for (m = 0; m < sizeof masks; m++) {
            b.data[i] ^= (char)masks[m];
            total++;
            if (qu_env_parse(b.data, b.len, &e, why, sizeof why) ==
                PL_EINVAL && e == NULL)
                refused++;
            qu_env_free(e);
            e = NULL;
            b.data[i] ^= (char)masks[m];
        }
    }
    CU_ASSERT_EQUAL(refused, total);
    /* A byte added after the checksum, or an LF dropped at the end. */
    ut_buf_addc(&b, '\n');
    CU_ASSERT_EQUAL(qu_env_parse(b.data, b.len, &e, why, sizeof why),
                    PL_EINVAL);
    ut_buf_free(&b);
}

/* Edits of a valid file whose checksum is then made right again: the
 * records themselves must be refused, each with its reason. */
typedef struct t_q_edit {
    const char *from;     /* text to replace (first occurrence) */
    const char *to;
    const char *why;      /* substring of the reason */
} t_q_edit;

static const t_q_edit t_q_edits[] = {
    { "VERSION 1\n", "VERSION 2\n", "unsupported envelope version" },
    { "VERSION 1\n", "VERSION 01x\n", "unsupported envelope version" },
    { "VERSION 1\n", "VERSIO 1\n", "no VERSION record" },
    { "KIND double\n", "KIND double\nKIND mail\n", "duplicate record KIND" },
    { "BODY ", "FROM x@y\nBODY ", "duplicate record FROM" },
    { "HOLD yes\n", "HOLD yes\nPRIORITY 1\n", "unknown record" },
    { "SIZE 18446744073709551615\n", "", "SIZE was expected" },
    { "ENVID ", "ENVIDX ", "unknown record" },
    { "SMTPUTF8 yes", "SMTPUTF8 maybe", "SMTPUTF8 has an invalid value" },
    { "CREATED 1732262400", "CREATED -1", "CREATED has an invalid" },
    { "CREATED 1732262400", "CREATED 17322624OO", "CREATED has an invalid" },
    { "SIZE 18446744073709551615", "SIZE 18446744073709551616",
      "SIZE has an invalid" },
    { "RCPTS 2", "RCPTS 3", "missing" },
    { "RCPTS 2", "RCPTS 1", "after the last recipient" },
    { "RCPTS 2", "RCPTS 0", "RCPTS has an invalid" },
    { "RCPTS 2", "RCPTS 10001", "RCPTS has an invalid" },
    { "KIND double", "KIND Double", "KIND has an invalid" },
    { "ID 0ABCDEFGHIJ12345", "ID 0abcdefghij12345", "ID has an invalid" },
    { "ID 0ABCDEFGHIJ12345", "ID 0ABCDEFGHIJ1234", "ID has an invalid" },
    { "NOTIFY NEVER", "NOTIFY NEVER,DELAY", "NOTIFY has an invalid" },
    { "NOTIFY NEVER", "NOTIFY DELAY,DELAY", "NOTIFY has an invalid" },
    { "NOTIFY NEVER", "NOTIFY DELAY,", "NOTIFY has an invalid" },
    { "NOTIFY NEVER", "NOTIFY never", "NOTIFY has an invalid" },
    { "STATE sent", "STATE done", "STATE has an invalid" },
    { "ATTEMPTS 1000000", "ATTEMPTS 1000001", "ATTEMPTS has an invalid" },
    { "RCPT \"x y\"0@example.net", "RCPT ", "RCPT has an invalid" },
    { "WARNED no\n", "", "WARNED was expected" },
    { "STATUS 451", "STATUS\t451", "control character" },
    { "REMOTE \n", "REMOTE\t\n", "not a \"KEY value\"" },
    { "REMOTE \n", "REMOTE\n", "not a \"KEY value\"" },
    { "ORIGIN ", "ORIGIN \r", "control character" },
    { "HOLD yes\n", "HOLD yes\r\n", "control character" },
    { "FROM \n", "from \n", "unknown record" },
    { "LASTTRY 0\n", "LASTTRY 0\nRCPT z@y\n", "duplicate record RCPT" },
    { "ORCPT \n", "NOTIFY \nORCPT \n", "NOTIFY found where ORCPT was" }
};

/* NUL, CR, TAB, ESC, DEL, and the other C0 bytes at the edges. */
static const unsigned char t_q_ctl[] = { 0x00, 0x0D, 0x09, 0x1B, 0x7F,
                                         0x01, 0x1F };

static void t_q_records(void)
{
    qu_env *e = NULL;
    ut_buf b, c;
    char why[256];
    size_t i;

    for (i = 0; i < sizeof t_q_edits / sizeof t_q_edits[0]; i++) {
        const t_q_edit *t = &t_q_edits[i];
        char *at;

        t_q_text(&b, 2);
        at = strstr(b.data, t->from);
        CU_ASSERT_PTR_NOT_NULL_FATAL(at);
        ut_buf_init(&c, 0);
        ut_buf_add(&c, b.data, (size_t)(at - b.data));
        ut_buf_adds(&c, t->to);
        ut_buf_adds(&c, at + strlen(t->from));
        t_q_resum(&c);
        why[0] = '\0';
        CU_ASSERT_EQUAL(qu_env_parse(c.data, c.len, &e, why, sizeof why),
                        PL_EINVAL);
        if (strstr(why, t->why) == NULL)
            fprintf(stderr, "\nedit %u: reason \"%s\", wanted \"%s\"\n",
                    (unsigned)i, why, t->why);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, t->why));
        CU_ASSERT_PTR_NULL(e);
        ut_buf_free(&b);
        ut_buf_free(&c);
    }
    /* A control byte inside a value, the checksum made right. */
    for (i = 0; i < sizeof t_q_ctl; i++) {
        char *at;

        t_q_text(&b, 2);
        at = strstr(b.data, "STATUS 451");
        CU_ASSERT_PTR_NOT_NULL_FATAL(at);
        at[8] = (char)t_q_ctl[i];          /* "STATUS 4?1" */
        t_q_resum(&b);
        why[0] = '\0';
        CU_ASSERT_EQUAL(qu_env_parse(b.data, b.len, &e, why, sizeof why),
                        PL_EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "control character"));
        ut_buf_free(&b);
    }
    /* The unedited file with a recomputed checksum still parses. */
    t_q_text(&b, 2);
    t_q_resum(&b);
    CU_ASSERT_EQUAL(qu_env_parse(b.data, b.len, &e, why, sizeof why), PL_OK);
    qu_env_free(e);
    ut_buf_free(&b);
}

static void t_q_idcheck(void)
{
    static const struct { const char *id; int ok; } cases[] = {
        { "0123456789ABCDEF", 1 }, { "ZZZZZZZZZZZZZZZZ", 1 },
        { "0123456789ABCDE", 0 }, { "0123456789ABCDEFG", 0 },
        { "0123456789abcdef", 0 }, { "0123456789ABCDE.", 0 },
        { "", 0 }, { "../../etc/passwd", 0 }, { "0123456789ABCD_F", 0 }
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CU_ASSERT_EQUAL(qu_id_check(cases[i].id), cases[i].ok);
    CU_ASSERT_EQUAL(qu_id_check(NULL), 0);
}

/* ---- the queue directory -------------------------------------------------- */

static void t_q_store_roundtrip(void)
{
    qu_queue *q = t_q_open("queue-store");
    qu_env proto, *e = NULL;
    char id[QU_ID_LEN + 1], why[256], buf[256];
    pl_file *f = NULL;
    size_t got = 0;

    t_q_proto(&proto);
    CU_ASSERT_EQUAL_FATAL(t_q_submit(q, &proto, T_MSG, 3, id), PL_OK);
    CU_ASSERT(qu_id_check(id));
    CU_ASSERT_EQUAL(qu_env_load(q, id, &e, why, sizeof why), PL_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->id, id);
    CU_ASSERT_STRING_EQUAL(e->from, proto.from);
    CU_ASSERT_STRING_EQUAL(e->envid, proto.envid);
    CU_ASSERT_STRING_EQUAL(e->origin, proto.origin);
    CU_ASSERT_EQUAL(e->ret, proto.ret);
    CU_ASSERT_EQUAL(e->body, proto.body);
    CU_ASSERT_EQUAL(e->smtputf8, 1);
    CU_ASSERT(e->size == strlen(T_MSG));
    CU_ASSERT(e->created > 0 && e->next_try == 0 && e->hold == 0);
    CU_ASSERT_EQUAL_FATAL(e->nrcpt, 3);
    CU_ASSERT_STRING_EQUAL(e->rcpt[1].addr, "rcpt1@example.net");
    CU_ASSERT_STRING_EQUAL(e->rcpt[1].orcpt, "rfc822;orig@example.net");
    CU_ASSERT_EQUAL(e->rcpt[1].notify, QU_N_SUCCESS | QU_N_FAILURE);
    CU_ASSERT_EQUAL(e->rcpt[0].state, QU_R_PENDING);
    qu_env_free(e);
    CU_ASSERT_EQUAL_FATAL(qu_msg_open(q, id, &f), PL_OK);
    CU_ASSERT_EQUAL(pl_file_read(f, buf, sizeof buf, &got), PL_OK);
    CU_ASSERT(got == strlen(T_MSG) && memcmp(buf, T_MSG, got) == 0);
    pl_file_close(f);
    /* Entry files: MSG, ENV and the lock file (POSIX). */
    CU_ASSERT(t_q_exists(id, QU_T_MSG) && t_q_exists(id, QU_T_ENV));
    CU_ASSERT(!t_q_exists(id, QU_T_NEW));
    CU_ASSERT_EQUAL(qu_env_load(q, "0000000000000000", &e, why, sizeof why),
                    PL_ENOENT);
    CU_ASSERT_EQUAL(qu_env_load(q, "../x", &e, why, sizeof why), PL_EINVAL);
    qu_close(q);
}

/* On disk: a changed byte, a cut file, a message file of another size. */
static void t_q_damage(void)
{
    qu_queue *q = t_q_open("queue-damage");
    qu_env proto, *e = NULL;
    char id[QU_ID_LEN + 1], name[QU_NAME_BUF], why[256];
    pl_dir *d;
    pl_file *f = NULL;
    pl_u64 size = 0;

    t_q_proto(&proto);
    CU_ASSERT_EQUAL_FATAL(t_q_submit(q, &proto, T_MSG, 1, id), PL_OK);
    d = t_q_dir();
    /* One more octet in the message file. */
    qu_name(id, QU_T_MSG, name);
    CU_ASSERT_EQUAL_FATAL(pl_file_open(d, name, PL_OPEN_RDWR, &f), PL_OK);
    pl_file_size(f, &size);
    pl_file_seek(f, size);
    pl_file_write(f, "x", 1);
    pl_file_close(f);
    CU_ASSERT_EQUAL(qu_env_load(q, id, &e, why, sizeof why), PL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "octets"));
    CU_ASSERT_PTR_NULL(e);
    /* No message file at all. */
    pl_file_remove(d, name);
    CU_ASSERT_EQUAL(qu_env_load(q, id, &e, why, sizeof why), PL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "missing"));
    /* The envelope cut short. */
    CU_ASSERT_EQUAL_FATAL(t_q_submit(q, &proto, T_MSG, 1, id), PL_OK);
    qu_name(id, QU_T_ENV, name);
    CU_ASSERT_EQUAL_FATAL(pl_file_open(d, name, PL_OPEN_RDWR, &f), PL_OK);
    pl_file_size(f, &size);
    pl_file_truncate(f, size - 10);
    pl_file_close(f);
    CU_ASSERT_EQUAL(qu_env_load(q, id, &e, why, sizeof why), PL_EINVAL);
    CU_ASSERT(why[0] != '\0');
    /* Still listed, never lost: the administrator decides. */
    CU_ASSERT(t_q_exists(id, QU_T_ENV) && t_q_exists(id, QU_T_MSG));
    pl_dir_close(d);
    qu_close(q);
}

static int t_q_collect(void *ctx, const char *id)
{
    ut_buf *b = (ut_buf *)ctx;

    ut_buf_add(b, id, QU_ID_LEN + 1);
    return 0;
}

static int t_q_idcmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* Sorted ids are all distinct and well-formed. */
static int t_q_distinct(char *ids, size_t n)
{
    size_t i;

    qsort(ids, n, QU_ID_LEN + 1, t_q_idcmp);
    for (i = 0; i < n; i++) {
        if (!qu_id_check(ids + i * (QU_ID_LEN + 1)))
            return 0;
        if (i > 0 && strcmp(ids + i * (QU_ID_LEN + 1),
                            ids + (i - 1) * (QU_ID_LEN + 1)) == 0)
            return 0;
    }
    return 1;
}

#define T_NIDS 200

static void t_q_ids(void)
{
    qu_queue *q = t_q_open("queue-ids");
    qu_env proto;
    char *ids = (char *)malloc(T_NIDS * (QU_ID_LEN + 1));
    ut_buf listed;
    int i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
    t_q_proto(&proto);
    for (i = 0; i < T_NIDS; i++)
        CU_ASSERT_EQUAL(t_q_submit(q, &proto, "x\r\n", 1,
                                   ids + i * (QU_ID_LEN + 1)), PL_OK);
    CU_ASSERT(t_q_distinct(ids, T_NIDS));
    ut_buf_init(&listed, 0);
    CU_ASSERT_EQUAL(qu_list(q, t_q_collect, &listed), PL_OK);
    CU_ASSERT_EQUAL(listed.len, T_NIDS * (QU_ID_LEN + 1));
    if (listed.len == T_NIDS * (QU_ID_LEN + 1)) {
        qsort(listed.data, T_NIDS, QU_ID_LEN + 1, t_q_idcmp);
        CU_ASSERT(memcmp(listed.data, ids, listed.len) == 0);
    }
    ut_buf_free(&listed);
    free(ids);
    qu_close(q);
}

static void t_q_abort(void)
{
    qu_queue *q = t_q_open("queue-abort");
    qu_env proto;
    qu_sub *s = NULL;
    ut_buf listed;
    int i;

    t_q_proto(&proto);
    CU_ASSERT_EQUAL_FATAL(qu_sub_begin(q, &proto, &s), PL_OK);
    CU_ASSERT_EQUAL(qu_sub_rcpt(s, "b@example.net", NULL, 0), PL_OK);
    for (i = 0; i < 3000; i++)                  /* beyond the buffer */
        CU_ASSERT_EQUAL(qu_sub_write(s, T_MSG, strlen(T_MSG)), PL_OK);
    CU_ASSERT(t_q_files() >= 1);
    qu_sub_abort(s);
    CU_ASSERT_EQUAL(t_q_files(), 0);
    qu_sub_abort(NULL);
    ut_buf_init(&listed, 0);
    CU_ASSERT_EQUAL(qu_list(q, t_q_collect, &listed), PL_OK);
    CU_ASSERT_EQUAL(listed.len, 0);
    ut_buf_free(&listed);
    qu_close(q);
}

/* Make ID.TYPE look `age` seconds old. */
static void t_q_age(const char *id, const char *type, long age)
{
    char path[T_PATH + 64];
    struct utimbuf ut;

    snprintf(path, sizeof path, "%s/%s.%s", t_qdir, id, type);
    ut.actime = ut.modtime = (time_t)(pl_time_now() - age);
    CU_ASSERT_EQUAL(utime(path, &ut), 0);
}

/* Create ID.TYPE with a little content. */
static void t_q_mkfile(const char *id, const char *type)
{
    char name[QU_NAME_BUF];
    pl_dir *d = t_q_dir();
    pl_file *f = NULL;

    qu_name(id, type, name);
    CU_ASSERT_EQUAL_FATAL(pl_file_create(d, name, &f), PL_OK);
    pl_file_write(f, "orphan\n", 7);
    pl_file_close(f);
    pl_dir_close(d);
}

static void t_q_reap(void)
{
    qu_queue *q = t_q_open("queue-reap");
    qu_env proto;
    qu_sub *s = NULL;
    pl_lock *lk = NULL;
    char live[QU_ID_LEN + 1], busy[QU_ID_LEN + 1];
    int removed = -1;

    t_q_proto(&proto);
    CU_ASSERT_EQUAL_FATAL(t_q_submit(q, &proto, T_MSG, 1, live), PL_OK);
    t_q_age(live, QU_T_MSG, 7200);
    t_q_age(live, QU_T_ENV, 7200);
    t_q_age(live, QU_T_LCK, 7200);
    /* A submission in progress with an old message file. */
    CU_ASSERT_EQUAL_FATAL(qu_sub_begin(q, &proto, &s), PL_OK);
    CU_ASSERT_EQUAL(qu_sub_rcpt(s, "b@example.net", NULL, 0), PL_OK);
    CU_ASSERT_EQUAL(qu_sub_write(s, T_MSG, strlen(T_MSG)), PL_OK);
    /* Crash leftovers: old and young. */
    t_q_mkfile("AAAAAAAAAAAAAAAA", QU_T_MSG);       /* old message */
    t_q_age("AAAAAAAAAAAAAAAA", QU_T_MSG, 7200);
    t_q_mkfile("BBBBBBBBBBBBBBBB", QU_T_MSG);       /* young message */
    t_q_mkfile(live, QU_T_NEW);                      /* old rewrite */
    t_q_age(live, QU_T_NEW, 7200);
    t_q_mkfile("CCCCCCCCCCCCCCCC", QU_T_LCK);       /* old lock file */
    t_q_age("CCCCCCCCCCCCCCCC", QU_T_LCK, 7200);
    t_q_mkfile("DDDDDDDDDDDDDDDD", QU_T_NEW);       /* young rewrite */
    t_q_mkfile("EEEEEEEEEEEEEEEE", QU_T_ENV);       /* damaged: no MSG */
    t_q_age("EEEEEEEEEEEEEEEE", QU_T_ENV, 7200);
    t_q_mkfile("FFFFFFFFFFFFFFFF", QU_T_MSG);       /* old, but locked */
    t_q_age("FFFFFFFFFFFFFFFF", QU_T_MSG, 7200);
    CU_ASSERT_EQUAL_FATAL(qu_lock(q, "FFFFFFFFFFFFFFFF", 0, &lk), PL_OK);

    CU_ASSERT_EQUAL(qu_reap(q, 3600, &removed), PL_OK);
    CU_ASSERT_EQUAL(removed, 3);
    CU_ASSERT(!t_q_exists("AAAAAAAAAAAAAAAA", QU_T_MSG));
    CU_ASSERT(!t_q_exists("CCCCCCCCCCCCCCCC", QU_T_LCK));
    CU_ASSERT(!t_q_exists(live, QU_T_NEW));
    CU_ASSERT(t_q_exists("BBBBBBBBBBBBBBBB", QU_T_MSG));
    CU_ASSERT(t_q_exists("DDDDDDDDDDDDDDDD", QU_T_NEW));
    CU_ASSERT(t_q_exists("EEEEEEEEEEEEEEEE", QU_T_ENV));
    CU_ASSERT(t_q_exists("FFFFFFFFFFFFFFFF", QU_T_MSG));
    CU_ASSERT(t_q_exists(live, QU_T_MSG) && t_q_exists(live, QU_T_ENV));
    CU_ASSERT(t_q_exists(live, QU_T_LCK));

    /* Age 0: every orphan whose lock is free, never a live entry or one
     * being written. */
    pl_lock_release(lk);
    CU_ASSERT_EQUAL(qu_reap(q, 0, &removed), PL_OK);
    CU_ASSERT(!t_q_exists("BBBBBBBBBBBBBBBB", QU_T_MSG));
    CU_ASSERT(!t_q_exists("DDDDDDDDDDDDDDDD", QU_T_NEW));
    CU_ASSERT(!t_q_exists("FFFFFFFFFFFFFFFF", QU_T_MSG));
    CU_ASSERT(t_q_exists("EEEEEEEEEEEEEEEE", QU_T_ENV));
    CU_ASSERT(t_q_exists(live, QU_T_MSG) && t_q_exists(live, QU_T_ENV));
    CU_ASSERT_EQUAL(qu_sub_commit(s, busy), PL_OK);
    CU_ASSERT(t_q_exists(busy, QU_T_MSG) && t_q_exists(busy, QU_T_ENV));
    qu_close(q);
}

static void t_q_save(void)
{
    qu_queue *q = t_q_open("queue-save");
    qu_env proto, *e = NULL, *back = NULL;
    qu_rcpt *nr;
    pl_lock *lk = NULL;
    char id[QU_ID_LEN + 1], why[256];
    int i;

    t_q_proto(&proto);
    CU_ASSERT_EQUAL_FATAL(t_q_submit(q, &proto, T_MSG, 2, id), PL_OK);
    CU_ASSERT_EQUAL_FATAL(qu_lock(q, id, 1000, &lk), PL_OK);
    CU_ASSERT_EQUAL_FATAL(qu_env_load(q, id, &e, why, sizeof why), PL_OK);
    /* Alias expansion: three more recipients; an attempt's results. */
    nr = (qu_rcpt *)realloc(e->rcpt, 5 * sizeof *nr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(nr);
    e->rcpt = nr;
    for (i = 2; i < 5; i++) {
        memset(&e->rcpt[i], 0, sizeof e->rcpt[i]);
        snprintf(e->rcpt[i].addr, sizeof e->rcpt[i].addr,
                 "list%d@example.com", i);
    }
    e->nrcpt = 5;
    e->rcpt[0].state = QU_R_SENT;
    e->rcpt[1].state = QU_R_FAILED;
    e->rcpt[1].attempts = 3;
    e->rcpt[1].last_try = 1732262400;
    strcpy(e->rcpt[1].status, "550 5.1.1 no such user");
    strcpy(e->rcpt[1].remote, "mx.example.net");
    e->next_try = 1732266000;
    e->hold = 1;
    CU_ASSERT_EQUAL(qu_env_save(q, e), PL_OK);
    CU_ASSERT(!t_q_exists(id, QU_T_NEW));
    CU_ASSERT_EQUAL_FATAL(qu_env_load(q, id, &back, why, sizeof why), PL_OK);
    t_q_same(e, back);
    qu_env_free(back);
    /* A bad value: refused, the stored envelope unchanged. */
    strcpy(e->rcpt[4].status, "250 ok\r\nRCPT evil@example.com");
    CU_ASSERT_EQUAL(qu_env_save(q, e), PL_EINVAL);
    strcpy(e->rcpt[4].status, "");
    CU_ASSERT_EQUAL_FATAL(qu_env_load(q, id, &back, why, sizeof why), PL_OK);
    t_q_same(e, back);
    qu_env_free(back);
    /* Removal; a save afterwards must not bring the entry back. */
    CU_ASSERT_EQUAL(qu_remove(q, id), PL_OK);
    CU_ASSERT_EQUAL(qu_env_save(q, e), PL_ENOENT);
    CU_ASSERT_EQUAL(qu_env_load(q, id, &back, why, sizeof why), PL_ENOENT);
    CU_ASSERT_EQUAL(qu_remove(q, id), PL_ENOENT);
    pl_lock_release(lk);
    CU_ASSERT_EQUAL(t_q_files(), 0);
    qu_env_free(e);
    qu_close(q);
}

#define T_THREADS 4
#define T_PER_THREAD 40

typedef struct t_q_worker {
    qu_queue *q;
    char ids[T_PER_THREAD][QU_ID_LEN + 1];
    int failures;
} t_q_worker;

static void t_q_worker_fn(void *arg)
{
    t_q_worker *w = (t_q_worker *)arg;
    qu_env proto;
    int i;

    t_q_proto(&proto);
    for (i = 0; i < T_PER_THREAD; i++)
        if (t_q_submit(w->q, &proto, T_MSG, 2, w->ids[i]) != PL_OK)
            w->failures++;
}

static int t_q_notified;

static void t_q_notify_fn(void *ctx)
{
    (*(int *)ctx)++;
}

static void t_q_threads(void)
{
    qu_queue *q = t_q_open("queue-threads");
    t_q_worker *w = (t_q_worker *)calloc(T_THREADS, sizeof *w);
    pl_thread *th[T_THREADS];
    char *all = (char *)malloc(T_THREADS * T_PER_THREAD * (QU_ID_LEN + 1));
    int i, count = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_PTR_NOT_NULL_FATAL(all);
    t_q_notified = 0;
    qu_set_notify(q, t_q_notify_fn, &t_q_notified);
    for (i = 0; i < T_THREADS; i++) {
        w[i].q = q;
        CU_ASSERT_EQUAL_FATAL(pl_thread_start(t_q_worker_fn, &w[i], 0, 0,
                                              &th[i]), PL_OK);
    }
    for (i = 0; i < T_THREADS; i++) {
        pl_thread_join(th[i]);
        CU_ASSERT_EQUAL(w[i].failures, 0);
        memcpy(all + (size_t)i * T_PER_THREAD * (QU_ID_LEN + 1), w[i].ids,
               sizeof w[i].ids);
    }
    CU_ASSERT(t_q_distinct(all, T_THREADS * T_PER_THREAD));
    CU_ASSERT_EQUAL(t_q_notified, T_THREADS * T_PER_THREAD);
    {
        ut_buf b;
        ut_buf_init(&b, 0);
        qu_list(q, t_q_collect, &b);
        count = (int)(b.len / (QU_ID_LEN + 1));
        ut_buf_free(&b);
    }
    CU_ASSERT_EQUAL(count, T_THREADS * T_PER_THREAD);
    /* qu_kick calls the callback; after NULL nothing is called. */
    qu_kick(q);
    CU_ASSERT_EQUAL(t_q_notified, T_THREADS * T_PER_THREAD + 1);
    qu_set_notify(q, NULL, NULL);
    qu_kick(q);
    CU_ASSERT_EQUAL(t_q_notified, T_THREADS * T_PER_THREAD + 1);
    free(all);
    free(w);
    qu_close(q);
}

typedef struct t_q_locker {
    qu_queue *q;
    const char *id;
    int rc;
    pl_i64 waited;
} t_q_locker;

static void t_q_locker_fn(void *arg)
{
    t_q_locker *l = (t_q_locker *)arg;
    pl_lock *lk = NULL;
    pl_i64 t0 = pl_time_mono_ms();

    l->rc = qu_lock(l->q, l->id, 5000, &lk);
    l->waited = pl_time_mono_ms() - t0;
    pl_lock_release(lk);
}

static void t_q_lock(void)
{
    qu_queue *q = t_q_open("queue-lock");
    qu_env proto;
    pl_lock *a = NULL, *b = NULL;
    pl_thread *th;
    t_q_locker l;
    char id[QU_ID_LEN + 1];
    pl_i64 t0;

    t_q_proto(&proto);
    CU_ASSERT_EQUAL_FATAL(t_q_submit(q, &proto, T_MSG, 1, id), PL_OK);
    CU_ASSERT_EQUAL_FATAL(qu_lock(q, id, 0, &a), PL_OK);
    CU_ASSERT_EQUAL(qu_lock(q, id, 0, &b), PL_EAGAIN);
    CU_ASSERT_PTR_NULL(b);
    t0 = pl_time_mono_ms();
    CU_ASSERT_EQUAL(qu_lock(q, id, 150, &b), PL_ETIMEDOUT);
    CU_ASSERT(pl_time_mono_ms() - t0 >= 150);
    CU_ASSERT_EQUAL(qu_lock(q, "bad", 0, &b), PL_EINVAL);
    /* A waiter gets it once it is released. */
    l.q = q;
    l.id = id;
    l.rc = -99;
    CU_ASSERT_EQUAL_FATAL(pl_thread_start(t_q_locker_fn, &l, 0, 0, &th),
                          PL_OK);
    pl_sleep_ms(100);
    pl_lock_release(a);
    pl_thread_join(th);
    CU_ASSERT_EQUAL(l.rc, PL_OK);
    CU_ASSERT(l.waited >= 50);
    CU_ASSERT_EQUAL(qu_lock(q, id, 0, &b), PL_OK);
    pl_lock_release(b);
    qu_close(q);
}

int t_queue_register(void)
{
    CU_pSuite s = CU_add_suite("queue", NULL, NULL);

    if (s == NULL)
        return -1;
    if (CU_add_test(s, "envelope round trip", t_q_roundtrip) == NULL
        || CU_add_test(s, "control characters refused", t_q_bad_values) == NULL
        || CU_add_test(s, "bad submissions", t_q_bad_submission) == NULL
        || CU_add_test(s, "every prefix refused", t_q_prefixes) == NULL
        || CU_add_test(s, "every byte change refused", t_q_flips) == NULL
        || CU_add_test(s, "bad records", t_q_records) == NULL
        || CU_add_test(s, "queue ids", t_q_idcheck) == NULL
        || CU_add_test(s, "submit and load", t_q_store_roundtrip) == NULL
        || CU_add_test(s, "damaged entries", t_q_damage) == NULL
        || CU_add_test(s, "unique ids", t_q_ids) == NULL
        || CU_add_test(s, "abort leaves nothing", t_q_abort) == NULL
        || CU_add_test(s, "reaper", t_q_reap) == NULL
        || CU_add_test(s, "save with appended recipients", t_q_save) == NULL
        || CU_add_test(s, "concurrent submissions", t_q_threads) == NULL
        || CU_add_test(s, "entry locks", t_q_lock) == NULL)
        return -1;
    return 0;
}
