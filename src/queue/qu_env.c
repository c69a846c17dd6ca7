/*
 * qu_env.c - the envelope file's text form (doc/queue-format.md): one
 * "KEY value" record per LF-ended line, VERSION first, the entry's fields
 * in a fixed order, one block of records per recipient, and CHECKSUM last
 * (SHA-256 over every byte before it, lower-case hex).
 *
 * One table drives writing, checking and parsing, so the three can not
 * disagree.  Every value is checked on the way out (no control character,
 * CR, LF or NUL; within its length; codes and numbers in range) and again
 * on the way in, where the version and the checksum are checked before
 * any record is believed; the first problem found is the reason given.
 * Limits: QU_RCPT_MAX recipients, QU_ENV_FILE_MAX bytes of text.
 * Privilege: none; pure computation on buffers.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "qu_int.h"
#include "ut_str.h"
#include "ut_code.h"

#define QU_SUM_LEN 32                 /* SHA-256 octets */
#define QU_SUM_HEX (2 * QU_SUM_LEN)
#define QU_KEY_MAX 12                 /* longest record key */

/* Value kinds of the records. */
#define QF_VERSION 1   /* the format version number */
#define QF_ID      2   /* a queue id */
#define QF_TEXT    3   /* text of at most `max` octets, may be empty */
#define QF_ADDR    4   /* text of at most `max` octets, never empty */
#define QF_CODE    5   /* an int given by one of the words of `names` */
#define QF_BOOL    6   /* an int 0/1 written "no"/"yes" */
#define QF_TIME    7   /* a pl_i64 0..QU_TIME_MAX */
#define QF_SIZE    8   /* a pl_u64 */
#define QF_INT     9   /* an int 0..max */
#define QF_COUNT  10   /* the recipient count, 1..QU_RCPT_MAX */
#define QF_NOTIFY 11   /* QU_N_* bits */

typedef struct qu_field {
    const char *key;
    int kind;
    size_t off;                  /* in qu_env or qu_rcpt */
    size_t max;                  /* QF_TEXT/ADDR length, QF_INT value */
    const char *const *names;    /* QF_CODE words, by value */
    int nnames;
} qu_field;

static const char *const qu_kinds[] = { "mail", "bounce", "double" };
static const char *const qu_rets[] = { "none", "full", "hdrs" };
static const char *const qu_bodies[] = { "none", "7bit", "8bitmime" };
static const char *const qu_states[] = { "pending", "sent", "failed",
                                         "bounced" };
static const char *const qu_bools[] = { "no", "yes" };

#define QE(m) offsetof(qu_env, m)
#define QR(m) offsetof(qu_rcpt, m)

/* The entry's records, in file order (VERSION is written separately, as
 * it must be understood before anything else). */
static const qu_field qu_head[] = {
    { "ID", QF_ID, QE(id), QU_ID_LEN, NULL, 0 },
    { "KIND", QF_CODE, QE(kind), 0, qu_kinds, 3 },
    { "FROM", QF_TEXT, QE(from), QU_ADDR_MAX, NULL, 0 },
    { "ENVID", QF_TEXT, QE(envid), QU_XTEXT_MAX, NULL, 0 },
    { "RET", QF_CODE, QE(ret), 0, qu_rets, 3 },
    { "BODY", QF_CODE, QE(body), 0, qu_bodies, 3 },
    { "SMTPUTF8", QF_BOOL, QE(smtputf8), 1, NULL, 0 },
    { "ORIGIN", QF_TEXT, QE(origin), QU_TEXT_MAX, NULL, 0 },
    { "CREATED", QF_TIME, QE(created), 0, NULL, 0 },
    { "NEXTTRY", QF_TIME, QE(next_try), 0, NULL, 0 },
    { "HOLD", QF_BOOL, QE(hold), 1, NULL, 0 },
    { "SIZE", QF_SIZE, QE(size), 0, NULL, 0 },
    { "RCPTS", QF_COUNT, QE(nrcpt), QU_RCPT_MAX, NULL, 0 }
};
#define QU_NHEAD ((int)(sizeof qu_head / sizeof qu_head[0]))

/* One block per recipient, in file order. */
static const qu_field qu_rfld[] = {
    { "RCPT", QF_ADDR, QR(addr), QU_ADDR_MAX, NULL, 0 },
    { "ORCPT", QF_TEXT, QR(orcpt), QU_XTEXT_MAX, NULL, 0 },
    { "NOTIFY", QF_NOTIFY, QR(notify), 0, NULL, 0 },
    { "STATE", QF_CODE, QR(state), 0, qu_states, 4 },
    { "ATTEMPTS", QF_INT, QR(attempts), QU_ATTEMPTS_MAX, NULL, 0 },
    { "WARNED", QF_BOOL, QR(warned), 1, NULL, 0 },
    { "LASTTRY", QF_TIME, QR(last_try), 0, NULL, 0 },
    { "STATUS", QF_TEXT, QR(status), QU_STATUS_MAX, NULL, 0 },
    { "REMOTE", QF_TEXT, QR(remote), QU_TEXT_MAX, NULL, 0 }
};
#define QU_NRFLD ((int)(sizeof qu_rfld / sizeof qu_rfld[0]))

#define QU_K_VERSION "VERSION"
#define QU_K_SUM     "CHECKSUM"

/* ---- names for people ------------------------------------------------ */

const char *qu_state_name(int state)
{
    return state >= 0 && state < 4 ? qu_states[state] : "?";
}

const char *qu_kind_name(int kind)
{
    return kind >= 0 && kind < 3 ? qu_kinds[kind] : "?";
}

/* The NOTIFY words by bit. */
static const struct { int bit; const char *word; } qu_nwords[] = {
    { QU_N_NEVER, "NEVER" }, { QU_N_SUCCESS, "SUCCESS" },
    { QU_N_FAILURE, "FAILURE" }, { QU_N_DELAY, "DELAY" }
};

void qu_notify_text(int notify, char *buf, size_t n)
{
    size_t i;

    if (n == 0)
        return;
    buf[0] = '\0';
    for (i = 0; i < sizeof qu_nwords / sizeof qu_nwords[0]; i++) {
        if ((notify & qu_nwords[i].bit) == 0)
            continue;
        if (buf[0] != '\0')
            ut_strlcat(buf, ",", n);
        ut_strlcat(buf, qu_nwords[i].word, n);
    }
}

/* RFC 3461: NEVER alone, or any set of the other three. */
static int qu_notify_ok(int v)
{
    if (v < 0 || (v & ~(QU_N_NEVER | QU_N_SUCCESS | QU_N_FAILURE |
                        QU_N_DELAY)) != 0)
        return 0;
    return (v & QU_N_NEVER) == 0 || v == QU_N_NEVER;
}

/* ---- checking values ------------------------------------------------- */

static void qu_why(char *why, size_t whylen, const char *fmt,
                   const char *a, const char *b, int line)
{
    if (why == NULL || whylen == 0)
        return;
    if (line > 0) {
        char pre[32];
        sprintf(pre, "line %d: ", line);
        ut_strlcpy(why, pre, whylen);
    } else {
        why[0] = '\0';
    }
    {
        char tail[160];
        snprintf(tail, sizeof tail, fmt, a != NULL ? a : "",
                 b != NULL ? b : "");
        ut_strlcat(why, tail, whylen);
    }
}

/* 0 if the n octets hold no control character (C0, DEL), else 1. */
static int qu_has_ctl(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            return 1;
    }
    return 0;
}

/* Check one field of struct base against f; the reason names it. */
static int qu_field_check(const qu_field *f, const void *base,
                          const char *who, char *why, size_t whylen)
{
    const char *p = (const char *)base + f->off;
    const char *nul;
    int v;

    switch (f->kind) {
    case QF_ID:
        if (!qu_id_check(p))
            goto bad;
        return PL_OK;
    case QF_TEXT:
    case QF_ADDR:
        nul = (const char *)memchr(p, '\0', f->max + 1);
        if (nul == NULL) {
            qu_why(why, whylen, "%s%s is too long", who, f->key, 0);
            return PL_EINVAL;
        }
        if (qu_has_ctl(p, (size_t)(nul - p))) {
            qu_why(why, whylen, "%s%s holds a control character (CR, LF, "
                   "NUL, TAB, ...)", who, f->key, 0);
            return PL_EINVAL;
        }
        if (f->kind == QF_ADDR && nul == p)
            goto bad;
        return PL_OK;
    case QF_CODE:
    case QF_BOOL:
    case QF_INT:
    case QF_COUNT:
    case QF_NOTIFY:
        memcpy(&v, p, sizeof v);
        if (f->kind == QF_NOTIFY ? !qu_notify_ok(v) :
            f->kind == QF_CODE ? v < 0 || v >= f->nnames :
            v < (f->kind == QF_COUNT ? 1 : 0) || v > (int)f->max)
            goto bad;
        return PL_OK;
    case QF_TIME: {
        pl_i64 t;
        memcpy(&t, p, sizeof t);
        if (t < 0 || t > QU_TIME_MAX)
            goto bad;
        return PL_OK;
    }
    default:
        return PL_OK;     /* QF_SIZE: every value is valid */
    }
bad:
    qu_why(why, whylen, "%s%s has an invalid value", who, f->key, 0);
    return PL_EINVAL;
}

int qu_env_check_head(const qu_env *e, char *why, size_t whylen)
{
    int i, rc;

    for (i = 0; i < QU_NHEAD; i++) {
        if (qu_head[i].kind == QF_ID || qu_head[i].kind == QF_COUNT)
            continue;
        rc = qu_field_check(&qu_head[i], e, "", why, whylen);
        if (rc != PL_OK)
            return rc;
    }
    return PL_OK;
}

int qu_rcpt_check(const qu_rcpt *r, char *why, size_t whylen)
{
    int i, rc;

    for (i = 0; i < QU_NRFLD; i++) {
        rc = qu_field_check(&qu_rfld[i], r, "", why, whylen);
        if (rc != PL_OK)
            return rc;
    }
    return PL_OK;
}

int qu_env_check(const qu_env *e, char *why, size_t whylen)
{
    char tmp[200];
    int i, k, rc;

    for (i = 0; i < QU_NHEAD; i++) {
        rc = qu_field_check(&qu_head[i], e, "", why, whylen);
        if (rc != PL_OK)
            return rc;
    }
    if (e->rcpt == NULL) {
        qu_why(why, whylen, "no recipients", NULL, NULL, 0);
        return PL_EINVAL;
    }
    for (k = 0; k < e->nrcpt; k++) {
        rc = qu_rcpt_check(&e->rcpt[k], tmp, sizeof tmp);
        if (rc != PL_OK) {
            if (why != NULL && whylen > 0)
                snprintf(why, whylen, "recipient %d: %s", k + 1, tmp);
            return rc;
        }
    }
    return PL_OK;
}

/* ---- writing ----------------------------------------------------------- */

static int qu_put_field(ut_buf *b, const qu_field *f, const void *base)
{
    const char *p = (const char *)base + f->off;
    char num[24], nt[32];
    int v;
    pl_i64 t;
    pl_u64 u;
    int rc = ut_buf_adds(b, f->key);

    if (rc == PL_OK)
        rc = ut_buf_addc(b, ' ');
    if (rc != PL_OK)
        return rc;
    switch (f->kind) {
    case QF_ID:
    case QF_TEXT:
    case QF_ADDR:
        rc = ut_buf_adds(b, p);
        break;
    case QF_CODE:
        memcpy(&v, p, sizeof v);
        rc = ut_buf_adds(b, f->names[v]);
        break;
    case QF_BOOL:
        memcpy(&v, p, sizeof v);
        rc = ut_buf_adds(b, v ? "yes" : "no");
        break;
    case QF_NOTIFY:
        memcpy(&v, p, sizeof v);
        qu_notify_text(v, nt, sizeof nt);
        rc = ut_buf_adds(b, nt);
        break;
    case QF_INT:
    case QF_COUNT:
        memcpy(&v, p, sizeof v);
        ut_u64_to_dec(num, (pl_u64)v);
        rc = ut_buf_adds(b, num);
        break;
    case QF_TIME:
        memcpy(&t, p, sizeof t);
        ut_u64_to_dec(num, (pl_u64)t);
        rc = ut_buf_adds(b, num);
        break;
    default:
        memcpy(&u, p, sizeof u);
        ut_u64_to_dec(num, u);
        rc = ut_buf_adds(b, num);
        break;
    }
    if (rc == PL_OK)
        rc = ut_buf_addc(b, '\n');
    return rc;
}

/* SHA-256 of n octets as lower-case hex (QU_SUM_HEX + 1 bytes). */
static int qu_sum_hex(const void *p, size_t n, char *hex)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
        mdlen != QU_SUM_LEN)
        return PL_ERR;
    return ut_hex_encode(md, QU_SUM_LEN, hex, QU_SUM_HEX + 1);
}

int qu_env_format(const qu_env *e, ut_buf *out)
{
    char hex[QU_SUM_HEX + 1], ver[24];
    size_t start = out->len;
    int i, k, rc;

    rc = qu_env_check(e, NULL, 0);
    if (rc != PL_OK)
        return rc;
    ut_u64_to_dec(ver, QU_ENV_VERSION);
    rc = ut_buf_adds(out, QU_K_VERSION " ");
    if (rc == PL_OK)
        rc = ut_buf_adds(out, ver);
    if (rc == PL_OK)
        rc = ut_buf_addc(out, '\n');
    for (i = 0; rc == PL_OK && i < QU_NHEAD; i++)
        rc = qu_put_field(out, &qu_head[i], e);
    for (k = 0; rc == PL_OK && k < e->nrcpt; k++)
        for (i = 0; rc == PL_OK && i < QU_NRFLD; i++)
            rc = qu_put_field(out, &qu_rfld[i], &e->rcpt[k]);
    if (rc == PL_OK)
        rc = qu_sum_hex(out->data + start, out->len - start, hex);
    if (rc == PL_OK)
        rc = ut_buf_adds(out, QU_K_SUM " ");
    if (rc == PL_OK)
        rc = ut_buf_adds(out, hex);
    if (rc == PL_OK)
        rc = ut_buf_addc(out, '\n');
    if (rc != PL_OK)
        out->len = start;          /* never half an envelope */
    if (out->data != NULL)
        out->data[out->len] = '\0';
    return rc;
}

/* ---- parsing ------------------------------------------------------------ */

typedef struct qu_line {
    const char *key;     /* not NUL-terminated */
    size_t klen;
    const char *val;
    size_t vlen;
    int no;              /* 1-based line number */
} qu_line;

typedef struct qu_pst {
    const char *text;
    size_t n;
    size_t pos;
    int no;
    char *why;
    size_t whylen;
} qu_pst;

/* The next line split at its first space; PL_EOF after the last one.
 * Every line of a parsed file ends with LF (checked before). */
static int qu_next_line(qu_pst *ps, qu_line *ln)
{
    const char *p = ps->text + ps->pos;
    const char *lf, *sp;

    if (ps->pos >= ps->n)
        return PL_EOF;
    lf = (const char *)memchr(p, '\n', ps->n - ps->pos);
    ln->no = ++ps->no;
    ps->pos = (size_t)(lf - ps->text) + 1;
    sp = (const char *)memchr(p, ' ', (size_t)(lf - p));
    if (sp == NULL || sp == p) {
        qu_why(ps->why, ps->whylen, "not a \"KEY value\" record", NULL,
               NULL, ln->no);
        return PL_EINVAL;
    }
    ln->key = p;
    ln->klen = (size_t)(sp - p);
    ln->val = sp + 1;
    ln->vlen = (size_t)(lf - sp - 1);
    if (qu_has_ctl(p, (size_t)(lf - p))) {
        qu_why(ps->why, ps->whylen, "control character (CR, NUL, TAB, "
               "...) in the record", NULL, NULL, ln->no);
        return PL_EINVAL;
    }
    return PL_OK;
}

static int qu_key_is(const qu_line *ln, const char *key)
{
    return ln->klen == strlen(key) && memcmp(ln->key, key, ln->klen) == 0;
}

/* Index of the line's key in tab (n rows), or -1. */
static int qu_key_find(const qu_line *ln, const qu_field *tab, int n)
{
    int i;

    for (i = 0; i < n; i++)
        if (qu_key_is(ln, tab[i].key))
            return i;
    return -1;
}

/* Explain why line ln is not the record `want` (index iw of tab). */
static int qu_misplaced(qu_pst *ps, const qu_line *ln, const qu_field *tab,
                        int n, int iw)
{
    char key[QU_KEY_MAX + 4];
    int ih = qu_key_find(ln, qu_head, QU_NHEAD);
    int ir = qu_key_find(ln, qu_rfld, QU_NRFLD);
    int i = tab == qu_head ? ih : ir;

    ut_memtostr(key, sizeof key, ln->key,
                ln->klen < QU_KEY_MAX ? ln->klen : QU_KEY_MAX);
    if (ih < 0 && ir < 0 && !qu_key_is(ln, QU_K_VERSION) &&
        !qu_key_is(ln, QU_K_SUM))
        qu_why(ps->why, ps->whylen, "unknown record \"%s\"", key, NULL,
               ln->no);
    else if ((i >= 0 && i < iw) || qu_key_is(ln, QU_K_VERSION))
        qu_why(ps->why, ps->whylen, "duplicate record %s", key, NULL,
               ln->no);
    else
        qu_why(ps->why, ps->whylen, "record %s found where %s was expected",
               key, iw < n ? tab[iw].key : "CHECKSUM", ln->no);
    return PL_EINVAL;
}

/* The word's index in names, or -1. */
static int qu_word(const qu_line *ln, const char *const *names, int n)
{
    int i;

    for (i = 0; i < n; i++)
        if (ln->vlen == strlen(names[i]) &&
            memcmp(ln->val, names[i], ln->vlen) == 0)
            return i;
    return -1;
}

/* NOTIFY value: "" or comma-separated words, each at most once. */
static int qu_parse_notify(const qu_line *ln, int *out)
{
    size_t i = 0, j, w;
    int v = 0;

    while (i < ln->vlen) {
        for (j = i; j < ln->vlen && ln->val[j] != ','; j++)
            ;
        for (w = 0; w < sizeof qu_nwords / sizeof qu_nwords[0]; w++)
            if (j - i == strlen(qu_nwords[w].word) &&
                memcmp(ln->val + i, qu_nwords[w].word, j - i) == 0)
                break;
        if (w == sizeof qu_nwords / sizeof qu_nwords[0] ||
            (v & qu_nwords[w].bit) != 0)
            return PL_EINVAL;
        v |= qu_nwords[w].bit;
        if (j < ln->vlen && j + 1 == ln->vlen)
            return PL_EINVAL;          /* a trailing comma */
        i = j + 1;
    }
    if (!qu_notify_ok(v))
        return PL_EINVAL;
    *out = v;
    return PL_OK;
}

/* Store the value of ln into field f of base. */
static int qu_get_field(qu_pst *ps, const qu_line *ln, const qu_field *f,
                        void *base)
{
    char *p = (char *)base + f->off;
    pl_u64 u = 0;
    pl_i64 t;
    int v = 0, rc = PL_OK;

    switch (f->kind) {
    case QF_ID:
    case QF_TEXT:
    case QF_ADDR:
        if (ln->vlen > f->max) {
            qu_why(ps->why, ps->whylen, "%s value is too long", f->key,
                   NULL, ln->no);
            return PL_EINVAL;
        }
        memcpy(p, ln->val, ln->vlen);
        p[ln->vlen] = '\0';
        if ((f->kind == QF_ID && !qu_id_check(p)) ||
            (f->kind == QF_ADDR && ln->vlen == 0))
            rc = PL_EINVAL;
        break;
    case QF_CODE:
        v = qu_word(ln, f->names, f->nnames);
        rc = v < 0 ? PL_EINVAL : PL_OK;
        memcpy(p, &v, sizeof v);
        break;
    case QF_BOOL:
        v = qu_word(ln, qu_bools, 2);
        rc = v < 0 ? PL_EINVAL : PL_OK;
        memcpy(p, &v, sizeof v);
        break;
    case QF_NOTIFY:
        rc = qu_parse_notify(ln, &v);
        memcpy(p, &v, sizeof v);
        break;
    case QF_INT:
    case QF_COUNT:
        rc = ut_parse_u64(ln->val, ln->vlen, (pl_u64)f->max, &u);
        if (rc == PL_OK && f->kind == QF_COUNT && u == 0)
            rc = PL_EINVAL;
        v = (int)u;
        memcpy(p, &v, sizeof v);
        break;
    case QF_TIME:
        rc = ut_parse_u64(ln->val, ln->vlen, (pl_u64)QU_TIME_MAX, &u);
        t = (pl_i64)u;
        memcpy(p, &t, sizeof t);
        break;
    default:
        rc = ut_parse_u64(ln->val, ln->vlen, ~(pl_u64)0, &u);
        memcpy(p, &u, sizeof u);
        break;
    }
    if (rc != PL_OK)
        qu_why(ps->why, ps->whylen, "%s has an invalid value", f->key, NULL,
               ln->no);
    return rc;
}

/* Read the records of table tab (n rows) into base, in order. */
static int qu_get_block(qu_pst *ps, const qu_field *tab, int n, void *base)
{
    qu_line ln;
    int i, rc;

    for (i = 0; i < n; i++) {
        rc = qu_next_line(ps, &ln);
        if (rc == PL_EOF) {
            qu_why(ps->why, ps->whylen, "record %s missing", tab[i].key,
                   NULL, ps->no + 1);
            return PL_EINVAL;
        }
        if (rc != PL_OK)
            return rc;
        if (!qu_key_is(&ln, tab[i].key))
            return qu_misplaced(ps, &ln, tab, n, i);
        rc = qu_get_field(ps, &ln, &tab[i], base);
        if (rc != PL_OK)
            return rc;
    }
    return PL_OK;
}

/* Nothing may follow the last recipient but the CHECKSUM line. */
static int qu_no_more(qu_pst *ps)
{
    char key[QU_KEY_MAX + 4];
    qu_line ln;
    int rc = qu_next_line(ps, &ln);

    if (rc == PL_EOF)
        return PL_OK;
    if (rc == PL_OK) {
        ut_memtostr(key, sizeof key, ln.key,
                    ln.klen < QU_KEY_MAX ? ln.klen : QU_KEY_MAX);
        qu_why(ps->why, ps->whylen, "record %s after the last recipient "
               "(RCPTS counts fewer)", key, NULL, ln.no);
    }
    return PL_EINVAL;
}

/* The VERSION line must come first and name a version we read. */
static int qu_check_version(const char *text, size_t n, char *why,
                            size_t whylen)
{
    size_t klen = sizeof QU_K_VERSION;   /* "VERSION " */
    const char *lf = (const char *)memchr(text, '\n', n);
    pl_u64 v;

    if (n < klen || memcmp(text, QU_K_VERSION " ", klen) != 0 || lf == NULL) {
        qu_why(why, whylen, "not an envelope: no VERSION record first",
               NULL, NULL, 1);
        return PL_EINVAL;
    }
    if (ut_parse_u64(text + klen, (size_t)(lf - text) - klen, 1000000,
                     &v) != PL_OK || v != QU_ENV_VERSION) {
        char got[16];
        ut_memtostr(got, sizeof got, text + klen,
                    (size_t)(lf - text) - klen < 12 ?
                    (size_t)(lf - text) - klen : 12);
        qu_why(why, whylen, "unsupported envelope version \"%s\"%s", got,
               " (this program reads version 1)", 1);
        return PL_EINVAL;
    }
    return PL_OK;
}

/* The last line must be CHECKSUM with the SHA-256 of everything before
 * it; *body_len gets where it starts. */
static int qu_check_sum(const char *text, size_t n, size_t *body_len,
                        char *why, size_t whylen)
{
    size_t klen = sizeof QU_K_SUM;       /* "CHECKSUM " */
    size_t start;
    char hex[QU_SUM_HEX + 1];

    if (text[n - 1] != '\n') {
        qu_why(why, whylen, "truncated: the last line has no line end",
               NULL, NULL, 0);
        return PL_EINVAL;
    }
    for (start = n - 1; start > 0 && text[start - 1] != '\n'; start--)
        ;
    if (n - start != klen + QU_SUM_HEX + 1 ||
        memcmp(text + start, QU_K_SUM " ", klen) != 0) {
        qu_why(why, whylen, "truncated or damaged: no CHECKSUM record at "
               "the end", NULL, NULL, 0);
        return PL_EINVAL;
    }
    if (qu_sum_hex(text, start, hex) != PL_OK) {
        qu_why(why, whylen, "cannot compute SHA-256", NULL, NULL, 0);
        return PL_ERR;
    }
    if (memcmp(hex, text + start + klen, QU_SUM_HEX) != 0) {
        qu_why(why, whylen, "checksum mismatch: the file was changed or "
               "damaged", NULL, NULL, 0);
        return PL_EINVAL;
    }
    *body_len = start;
    return PL_OK;
}

int qu_env_parse(const char *text, size_t n, qu_env **out, char *why,
                 size_t whylen)
{
    qu_pst ps;
    qu_line ln;
    qu_env *e;
    size_t body;
    int k, rc;

    *out = NULL;
    if (why != NULL && whylen > 0)
        why[0] = '\0';
    if (n == 0) {
        qu_why(why, whylen, "the envelope file is empty", NULL, NULL, 0);
        return PL_EINVAL;
    }
    if (n > QU_ENV_FILE_MAX) {
        qu_why(why, whylen, "the envelope file is too large", NULL, NULL,
               0);
        return PL_EINVAL;
    }
    rc = qu_check_version(text, n, why, whylen);
    if (rc == PL_OK)
        rc = qu_check_sum(text, n, &body, why, whylen);
    if (rc != PL_OK)
        return rc;
    e = (qu_env *)calloc(1, sizeof *e);
    if (e == NULL)
        return PL_ENOMEM;
    memset(&ps, 0, sizeof ps);
    ps.text = text;
    ps.n = body;
    ps.why = why;
    ps.whylen = whylen;
    rc = qu_next_line(&ps, &ln);          /* VERSION, checked above */
    if (rc == PL_OK)
        rc = qu_get_block(&ps, qu_head, QU_NHEAD, e);
    if (rc == PL_OK) {
        e->rcpt = (qu_rcpt *)calloc((size_t)e->nrcpt, sizeof *e->rcpt);
        if (e->rcpt == NULL)
            rc = PL_ENOMEM;
    }
    for (k = 0; rc == PL_OK && k < e->nrcpt; k++)
        rc = qu_get_block(&ps, qu_rfld, QU_NRFLD, &e->rcpt[k]);
    if (rc == PL_OK)
        rc = qu_no_more(&ps);
    if (rc == PL_OK)
        rc = qu_env_check(e, why, whylen);
    if (rc != PL_OK) {
        qu_env_free(e);
        return rc;
    }
    *out = e;
    return PL_OK;
}

void qu_env_free(qu_env *e)
{
    if (e == NULL)
        return;
    free(e->rcpt);
    free(e);
}

int qu_id_check(const char *id)
{
    int i;

    if (id == NULL)
        return 0;
    for (i = 0; i < QU_ID_LEN; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return id[QU_ID_LEN] == '\0';
}

int qu_name(const char *id, const char *type, char *name)
{
    if (!qu_id_check(id))
        return PL_EINVAL;
    memcpy(name, id, QU_ID_LEN);
    name[QU_ID_LEN] = '.';
    ut_strlcpy(name + QU_ID_LEN + 1, type, QU_NAME_BUF - QU_ID_LEN - 1);
    return PL_OK;
}
