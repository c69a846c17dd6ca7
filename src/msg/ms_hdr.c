/*
 * ms_hdr.c - the RFC 5322 header section reader: a push parser that
 * takes bytes as they come, unfolds continuation lines, splits each field
 * into name and value, and stops at the end of the section.
 *
 * A line that is neither a field nor a continuation ends the section and
 * starts the body, as Postfix's cleanup does, so `echo hi | sendmail`
 * works; it is handed back through ms_hdr_pending because it was already
 * taken from the input.  A field name is 1..n printable characters other
 * than ':' (RFC 5322 2.2), blanks before the colon allowed (obsolete
 * syntax, 4.5).
 * Limits: MS_HDR_FIELDS_MAX fields, MS_HDR_FIELD_MAX octets per field,
 * MS_HDR_SECTION_MAX octets in all.
 * Privilege: none.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "ms.h"
#include "ut_buf.h"
#include "ut_str.h"

/* One finished field: raw text, name and value in one allocation. */
typedef struct ms_fld {
    ms_field f;
    char *mem;
} ms_fld;

struct ms_hdr {
    ut_buf line;          /* the current line, without its end */
    ut_buf cur;           /* the field being read, CRLF lines */
    ut_buf pend;          /* MS_END_BODY: the line handed back */
    ms_fld *flds;
    int nflds, cap;
    size_t section;       /* octets of the section so far */
    pl_u32 lineno;
    int cr;               /* the previous byte was CR */
    int end;              /* MS_END_* */
    int failed;           /* an error stuck: every later call repeats it */
    char err[MS_ERR_MAX];
};

int ms_hdr_new(ms_hdr **out)
{
    ms_hdr *h;

    *out = NULL;
    h = (ms_hdr *)calloc(1, sizeof *h);
    if (h == NULL)
        return PL_ENOMEM;
    ut_buf_init(&h->line, MS_HDR_FIELD_MAX);
    ut_buf_init(&h->cur, MS_HDR_FIELD_MAX);
    ut_buf_init(&h->pend, MS_HDR_FIELD_MAX + 2);
    *out = h;
    return PL_OK;
}

void ms_hdr_free(ms_hdr *h)
{
    int i;

    if (h == NULL)
        return;
    for (i = 0; i < h->nflds; i++)
        free(h->flds[i].mem);
    free(h->flds);
    ut_buf_free(&h->line);
    ut_buf_free(&h->cur);
    ut_buf_free(&h->pend);
    free(h);
}

static int ms_fail(ms_hdr *h, int rc, const char *what)
{
    (void)snprintf(h->err, sizeof h->err, "line %lu: %s",
                   (unsigned long)h->lineno + 1, what);
    h->failed = rc;
    return rc;
}

static int ms_is_wsp(int c)
{
    return c == ' ' || c == '\t';
}

/* Length of the field name at the start of s (n bytes), blanks before
 * the colon excluded, and *colon the index of the colon; 0 if the line
 * is not a field. */
static size_t ms_name_len(const char *s, size_t n, size_t *colon)
{
    size_t i = 0, len;

    while (i < n && (unsigned char)s[i] > 32 && (unsigned char)s[i] < 127 &&
           s[i] != ':')
        i++;
    len = i;
    while (i < n && ms_is_wsp((unsigned char)s[i]))
        i++;
    if (len == 0 || i >= n || s[i] != ':')
        return 0;
    *colon = i;
    return len;
}

/* Store the field in h->cur (if any) as name, unfolded value and raw. */
static int ms_finish_field(ms_hdr *h)
{
    const char *raw = h->cur.data;
    size_t rlen = h->cur.len, nlen, colon = 0, i, v, vs;
    ms_fld *fl;
    char *m, *val;

    if (rlen == 0)
        return PL_OK;
    if (h->nflds >= MS_HDR_FIELDS_MAX)
        return ms_fail(h, PL_ERANGE, "too many header fields");
    if (h->nflds == h->cap) {
        int ncap = h->cap ? h->cap * 2 : 16;
        ms_fld *nf = (ms_fld *)realloc(h->flds, (size_t)ncap * sizeof *nf);

        if (nf == NULL)
            return ms_fail(h, PL_ENOMEM, "out of memory");
        h->flds = nf;
        h->cap = ncap;
    }
    nlen = ms_name_len(raw, rlen, &colon);
    /* raw + NUL, name + NUL, value (never longer than raw) + NUL */
    m = (char *)malloc(rlen * 2 + nlen + 3);
    if (m == NULL)
        return ms_fail(h, PL_ENOMEM, "out of memory");
    memcpy(m, raw, rlen);
    m[rlen] = '\0';
    memcpy(m + rlen + 1, raw, nlen);
    m[rlen + 1 + nlen] = '\0';
    val = m + rlen + nlen + 2;
    /* Unfold: drop the CRLF of every fold, keep the blanks. */
    for (i = colon + 1, v = 0; i < rlen; i++) {
        if (raw[i] == '\r' || raw[i] == '\n')
            continue;
        val[v++] = raw[i];
    }
    while (v > 0 && ms_is_wsp((unsigned char)val[v - 1]))
        v--;
    val[v] = '\0';
    for (vs = 0; ms_is_wsp((unsigned char)val[vs]); vs++)
        ;
    fl = &h->flds[h->nflds++];
    fl->mem = m;
    fl->f.raw = m;
    fl->f.raw_len = rlen;
    fl->f.name = m + rlen + 1;
    fl->f.value = val + vs;
    ut_buf_clear(&h->cur);
    return PL_OK;
}

/* The section ends at this line, which belongs to the body. */
static int ms_to_body(ms_hdr *h, int crlf, int terminated)
{
    int rc = ms_finish_field(h);

    if (rc != PL_OK)
        return rc;
    if (ut_buf_add(&h->pend, h->line.data, h->line.len) != PL_OK ||
        (terminated && ut_buf_adds(&h->pend, crlf ? "\r\n" : "\n")
         != PL_OK))
        return ms_fail(h, PL_ENOMEM, "out of memory");
    h->end = MS_END_BODY;
    return MS_HDR_DONE;
}

/* A complete line is in h->line. */
static int ms_line(ms_hdr *h, int crlf, int terminated)
{
    const char *s = h->line.data;
    size_t n = h->line.len, colon;
    int rc;

    if (h->section + n + 2 > (size_t)MS_HDR_SECTION_MAX)
        return ms_fail(h, PL_ERANGE, "header section too large");
    if (n == 0) {
        rc = ms_finish_field(h);
        if (rc != PL_OK)
            return rc;
        h->end = MS_END_BLANK;
        return MS_HDR_DONE;
    }
    if (ms_is_wsp((unsigned char)s[0])) {
        if (h->cur.len == 0)
            return ms_to_body(h, crlf, terminated);
        if (ut_buf_add(&h->cur, s, n) != PL_OK ||
            ut_buf_adds(&h->cur, "\r\n") != PL_OK)
            return ms_fail(h, PL_ERANGE, "header field too long");
    } else {
        if (ms_name_len(s, n, &colon) == 0)
            return ms_to_body(h, crlf, terminated);
        rc = ms_finish_field(h);
        if (rc != PL_OK)
            return rc;
        if (ut_buf_add(&h->cur, s, n) != PL_OK ||
            ut_buf_adds(&h->cur, "\r\n") != PL_OK)
            return ms_fail(h, PL_ERANGE, "header field too long");
    }
    h->section += n + 2;
    h->lineno++;
    ut_buf_clear(&h->line);
    return PL_OK;
}

int ms_hdr_feed(ms_hdr *h, const void *buf, size_t n, size_t *used)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t i;
    int rc;

    *used = 0;
    if (h->failed)
        return h->failed;
    if (h->end != MS_END_NONE)
        return MS_HDR_DONE;
    for (i = 0; i < n; i++) {
        if (h->cr) {
            h->cr = 0;
            if (p[i] != '\n')
                return ms_fail(h, PL_EINVAL, "bare CR in the header");
            rc = ms_line(h, 1, 1);
        } else if (p[i] == '\r') {
            h->cr = 1;
            continue;
        } else if (p[i] == '\n') {
            rc = ms_line(h, 0, 1);
        } else if (p[i] == '\0') {
            return ms_fail(h, PL_EINVAL, "NUL byte in the header");
        } else {
            rc = ut_buf_addc(&h->line, p[i]) == PL_OK ? PL_OK
                 : ms_fail(h, PL_ERANGE, "header line too long");
        }
        if (rc != PL_OK) {
            *used = i + 1;
            return rc;
        }
    }
    *used = n;
    return PL_OK;
}

int ms_hdr_finish(ms_hdr *h)
{
    int rc;

    if (h->failed)
        return h->failed;
    if (h->end != MS_END_NONE)
        return PL_OK;
    if (h->cr)
        return ms_fail(h, PL_EINVAL, "bare CR in the header");
    if (h->line.len > 0) {
        rc = ms_line(h, 0, 0);
        if (rc == MS_HDR_DONE)
            return PL_OK;
        if (rc != PL_OK)
            return rc;
    }
    rc = ms_finish_field(h);
    if (rc != PL_OK)
        return rc;
    h->end = MS_END_EOF;
    return PL_OK;
}

int ms_hdr_end(const ms_hdr *h)
{
    return h->end;
}

const char *ms_hdr_pending(const ms_hdr *h, size_t *len)
{
    if (h->end != MS_END_BODY) {
        *len = 0;
        return NULL;
    }
    *len = h->pend.len;
    return ut_buf_str(&h->pend);
}

int ms_hdr_count(const ms_hdr *h)
{
    return h->nflds;
}

const ms_field *ms_hdr_field(const ms_hdr *h, int i)
{
    if (i < 0 || i >= h->nflds)
        return NULL;
    return &h->flds[i].f;
}

int ms_hdr_find(const ms_hdr *h, const char *name, int from)
{
    int i;

    for (i = from < 0 ? 0 : from; i < h->nflds; i++) {
        if (ut_strcaseeq(h->flds[i].f.name, name))
            return i;
    }
    return -1;
}

const char *ms_hdr_error(const ms_hdr *h)
{
    return h->err;
}
