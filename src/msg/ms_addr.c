/*
 * ms_addr.c - the RFC 5322 address-list parser (3.4 and the obsolete
 * syntax of 4.4): display names, quoted strings, nested comments, angle
 * addresses with an obsolete source route (dropped), groups such as
 * "undisclosed-recipients:;", bare addresses, and empty list elements.
 *
 * The text is cut into tokens first (atoms, quoted strings, domain
 * literals, the specials < > @ , ; : .), with comments and blanks
 * skipped, then the tokens are parsed.  Nothing reaches the caller until
 * the whole list is valid, so a malformed To: never yields half its
 * recipients.  Bytes >= 0x80 count as atom text (RFC 6532 UTF-8).
 * Limits: MS_ADDR_MAX octets per address, MS_ADDR_LIST_MAX addresses,
 * MS_COMMENT_DEPTH nested comments.
 * Privilege: none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ms.h"
#include "ut_buf.h"
#include "ut_str.h"

#define MS_T_ATOM 1
#define MS_T_QSTR 2   /* "..." as written, quotes included */
#define MS_T_DLIT 3   /* [...] as written */
#define MS_T_SPEC 4   /* one of < > @ , ; : . */

typedef struct ms_tok {
    int type;
    size_t pos, len;
} ms_tok;

typedef struct ms_ap {
    const char *s;
    ms_tok *t;
    size_t nt, i;
    int flags, count;
    ut_buf out;          /* addr NUL display NUL, repeated */
    char *err;
    size_t errlen;
} ms_ap;

static int ms_atext(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c >= 0x80 ||
           (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int ms_perr(ms_ap *p, const char *what, size_t at)
{
    (void)snprintf(p->err, p->errlen, "%s at offset %lu", what,
                   (unsigned long)at);
    return PL_EINVAL;
}

/* Skip a comment starting at s[*i] == '('; nested, with quoted-pairs. */
static int ms_comment(ms_ap *p, size_t n, size_t *i)
{
    size_t start = *i;
    int depth = 0;

    while (*i < n) {
        int c = (unsigned char)p->s[*i];

        if (c == '\\') {
            if (*i + 1 >= n)
                break;
            *i += 2;
            continue;
        }
        (*i)++;
        if (c == '(') {
            if (++depth > MS_COMMENT_DEPTH)
                return ms_perr(p, "comments nested too deep", start);
        } else if (c == ')') {
            if (--depth == 0)
                return PL_OK;
        } else if (c == '\0') {
            return ms_perr(p, "NUL byte in a comment", *i - 1);
        }
    }
    return ms_perr(p, "unterminated comment", start);
}

/* The end of a quoted string or domain literal opened at s[i]. */
static int ms_quoted(ms_ap *p, size_t n, size_t i, int close, size_t *end)
{
    size_t j;

    for (j = i + 1; j < n; j++) {
        int c = (unsigned char)p->s[j];

        if (c == '\\' && j + 1 < n) {
            j++;
        } else if (c == close) {
            *end = j + 1;
            return PL_OK;
        } else if (c == '\0' || (close == ']' && (c == '[' || c == '\\'))) {
            break;
        }
    }
    return ms_perr(p, close == '"' ? "unterminated quoted string"
                   : "unterminated domain literal '['", i);
}

static int ms_tokenize(ms_ap *p, size_t n)
{
    size_t i = 0, end;
    int rc;

    while (i < n) {
        int c = (unsigned char)p->s[i];
        ms_tok *t = &p->t[p->nt];

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            i++;
            continue;
        }
        if (c == '(') {
            rc = ms_comment(p, n, &i);
            if (rc != PL_OK)
                return rc;
            continue;
        }
        t->pos = i;
        if (c == '"' || c == '[') {
            rc = ms_quoted(p, n, i, c == '"' ? '"' : ']', &end);
            if (rc != PL_OK)
                return rc;
            t->type = c == '"' ? MS_T_QSTR : MS_T_DLIT;
        } else if (strchr("<>@,;:.", c) != NULL && c != 0) {
            t->type = MS_T_SPEC;
            end = i + 1;
        } else if (ms_atext(c)) {
            for (end = i; end < n && ms_atext((unsigned char)p->s[end]);
                 end++)
                ;
            t->type = MS_T_ATOM;
        } else if (c == ')') {
            return ms_perr(p, "')' without '('", i);
        } else {
            char what[48];

            if (c >= 33 && c < 127)
                (void)snprintf(what, sizeof what, "unexpected '%c'", c);
            else
                (void)snprintf(what, sizeof what,
                               "unexpected control character 0x%02X", c);
            return ms_perr(p, what, i);
        }
        t->len = end - i;
        p->nt++;
        i = end;
    }
    return PL_OK;
}

static int ms_is(const ms_ap *p, size_t k, int spec)
{
    return k < p->nt && p->t[k].type == MS_T_SPEC &&
           p->s[p->t[k].pos] == spec;
}

static size_t ms_at(const ms_ap *p)
{
    return p->i < p->nt ? p->t[p->i].pos : (p->nt > 0
           ? p->t[p->nt - 1].pos + p->t[p->nt - 1].len : 0);
}

static int ms_word(const ms_ap *p, size_t k)
{
    return k < p->nt && (p->t[k].type == MS_T_ATOM ||
                         p->t[k].type == MS_T_QSTR);
}

/* Append token k's text to b (quoted strings unquoted when unq). */
static int ms_tok_text(const ms_ap *p, size_t k, int unq, ut_buf *b)
{
    const char *s = p->s + p->t[k].pos;
    size_t len = p->t[k].len, j;
    int rc = PL_OK;

    if (!unq || p->t[k].type != MS_T_QSTR)
        return ut_buf_add(b, s, len);
    for (j = 1; j + 1 < len && rc == PL_OK; j++) {
        if (s[j] == '\\' && j + 2 < len)
            j++;
        rc = ut_buf_addc(b, (unsigned char)s[j]);
    }
    return rc;
}

/* dot-atom-ish domain or a domain literal, appended to b. */
static int ms_domain(ms_ap *p, ut_buf *b)
{
    int rc;

    if (p->i < p->nt && p->t[p->i].type == MS_T_DLIT)
        return ms_tok_text(p, p->i++, 0, b);
    for (;;) {
        if (p->i >= p->nt || p->t[p->i].type != MS_T_ATOM)
            return ms_perr(p, "missing or malformed domain", ms_at(p));
        if ((rc = ms_tok_text(p, p->i++, 0, b)) != PL_OK)
            return rc;
        if (!ms_is(p, p->i, '.'))
            return PL_OK;
        p->i++;
        if ((rc = ut_buf_addc(b, '.')) != PL_OK)
            return rc;
    }
}

/* local-part ["@" domain], the result in b. */
static int ms_addr_spec(ms_ap *p, ut_buf *b)
{
    size_t start = ms_at(p);
    int rc;

    for (;;) {
        if (!ms_word(p, p->i))
            return ms_perr(p, ms_is(p, p->i, '.') ? "misplaced '.'"
                           : "missing local part", ms_at(p));
        if ((rc = ms_tok_text(p, p->i++, 0, b)) != PL_OK)
            return rc;
        if (!ms_is(p, p->i, '.'))
            break;
        p->i++;
        if ((rc = ut_buf_addc(b, '.')) != PL_OK)
            return rc;
    }
    if (ms_is(p, p->i, '@')) {
        p->i++;
        if ((rc = ut_buf_addc(b, '@')) != PL_OK)
            return rc;
        return ms_domain(p, b);
    }
    if (!(p->flags & MS_A_BARE))
        return ms_perr(p, "address without '@domain'", start);
    return PL_OK;
}

/* "<" [route ":"] addr-spec ">" */
static int ms_angle(ms_ap *p, ut_buf *b)
{
    ut_buf route;
    int rc = PL_OK;

    p->i++;
    if (ms_is(p, p->i, '>'))
        return ms_perr(p, "empty address '<>'", ms_at(p));
    if (ms_is(p, p->i, '@') || ms_is(p, p->i, ',')) {
        /* obs-route: 1*("," / "@" domain) ":", recognised and dropped */
        ut_buf_init(&route, MS_ADDR_MAX);
        while (rc == PL_OK && !ms_is(p, p->i, ':')) {
            if (ms_is(p, p->i, ',')) {
                p->i++;
            } else if (ms_is(p, p->i, '@')) {
                p->i++;
                rc = ms_domain(p, &route);
            } else {
                rc = ms_perr(p, "malformed source route", ms_at(p));
            }
        }
        ut_buf_free(&route);
        if (rc != PL_OK)
            return rc;
        p->i++;
    }
    rc = ms_addr_spec(p, b);
    if (rc != PL_OK)
        return rc;
    if (!ms_is(p, p->i, '>'))
        return ms_perr(p, "missing '>'", ms_at(p));
    p->i++;
    return PL_OK;
}

/* Record one address with its display name. */
static int ms_emit(ms_ap *p, const ut_buf *addr, const ut_buf *disp,
                   size_t at)
{
    if (addr->len > MS_ADDR_MAX)
        return ms_perr(p, "address too long", at);
    if (memchr(addr->data, '\0', addr->len) != NULL)
        return ms_perr(p, "NUL byte in an address", at);
    if (++p->count > MS_ADDR_LIST_MAX)
        return ms_perr(p, "too many addresses", at);
    if (ut_buf_add(&p->out, addr->data, addr->len) != PL_OK ||
        ut_buf_addc(&p->out, '\0') != PL_OK ||
        ut_buf_add(&p->out, ut_buf_str(disp), disp->len) != PL_OK ||
        ut_buf_addc(&p->out, '\0') != PL_OK)
        return PL_ENOMEM;
    return PL_OK;
}

/* A phrase (display name) of words and obsolete dots, into disp. */
static int ms_phrase(ms_ap *p, ut_buf *disp)
{
    while (ms_word(p, p->i) || ms_is(p, p->i, '.')) {
        if (disp->len > 0 && !ms_is(p, p->i, '.') &&
            ut_buf_addc(disp, ' ') != PL_OK)
            return PL_ENOMEM;
        if (ms_tok_text(p, p->i++, 1, disp) != PL_OK)
            return PL_ENOMEM;
    }
    return PL_OK;
}

/* mailbox: name-addr or addr-spec; in_group forbids a nested group. */
static int ms_mailbox(ms_ap *p, int in_group, int *was_group);

static int ms_group(ms_ap *p, size_t start)
{
    int rc, dummy;

    p->i++;                                   /* ':' */
    for (;;) {
        if (ms_is(p, p->i, ';')) {
            p->i++;
            return PL_OK;
        }
        if (p->i >= p->nt)
            return ms_perr(p, "group not ended by ';'", start);
        if (ms_is(p, p->i, ',')) {
            p->i++;
            continue;
        }
        rc = ms_mailbox(p, 1, &dummy);
        if (rc != PL_OK)
            return rc;
        if (!ms_is(p, p->i, ',') && !ms_is(p, p->i, ';'))
            return ms_perr(p, p->i >= p->nt ? "group not ended by ';'"
                           : "expected ',' or ';' after an address",
                           ms_at(p));
    }
}

static int ms_mailbox(ms_ap *p, int in_group, int *was_group)
{
    ut_buf addr, disp;
    size_t start = ms_at(p), k;
    int rc;

    *was_group = 0;
    /* The first of < : @ , ; decides the form. */
    for (k = p->i; k < p->nt; k++) {
        if (ms_is(p, k, '<') || ms_is(p, k, ':') || ms_is(p, k, '@') ||
            ms_is(p, k, ',') || ms_is(p, k, ';') || ms_is(p, k, '>'))
            break;
    }
    ut_buf_init(&addr, MS_ADDR_MAX + 1);
    ut_buf_init(&disp, 0);
    if (ms_is(p, k, '<')) {
        rc = ms_phrase(p, &disp);
        if (rc == PL_OK && p->i != k)
            rc = ms_perr(p, "malformed display name", ms_at(p));
        if (rc == PL_OK)
            rc = ms_angle(p, &addr);
        if (rc == PL_ERANGE)
            rc = ms_perr(p, "address too long", start);
        if (rc == PL_OK)
            rc = ms_emit(p, &addr, &disp, start);
    } else if (ms_is(p, k, ':')) {
        if (in_group)
            rc = ms_perr(p, "group inside a group", ms_at(p));
        else if (k == p->i)
            rc = ms_perr(p, "group without a name", ms_at(p));
        else {
            rc = ms_phrase(p, &disp);
            if (rc == PL_OK && p->i != k)
                rc = ms_perr(p, "malformed group name", ms_at(p));
            if (rc == PL_OK)
                rc = ms_group(p, start);
            *was_group = 1;
        }
    } else {
        rc = ms_addr_spec(p, &addr);
        if (rc == PL_ERANGE)
            rc = ms_perr(p, "address too long", start);
        if (rc == PL_OK)
            rc = ms_emit(p, &addr, &disp, start);
    }
    ut_buf_free(&addr);
    ut_buf_free(&disp);
    return rc;
}

static int ms_list(ms_ap *p)
{
    int rc, grp;

    while (p->i < p->nt) {
        if (ms_is(p, p->i, ',')) {           /* obs: empty element */
            p->i++;
            continue;
        }
        rc = ms_mailbox(p, 0, &grp);
        if (rc != PL_OK)
            return rc;
        if (p->i < p->nt && !ms_is(p, p->i, ','))
            return ms_perr(p, ms_is(p, p->i, '<') ? "unexpected '<' "
                           "(a display name with '@' must be quoted)"
                           : "expected ',' after an address", ms_at(p));
    }
    return PL_OK;
}

int ms_addr_list(const char *s, size_t n, int flags, ms_addr_fn cb,
                 void *ctx, char *err, size_t errlen)
{
    ms_ap p;
    size_t k, tsize;
    int rc;

    if (errlen > 0)
        err[0] = '\0';
    memset(&p, 0, sizeof p);
    p.s = s;
    p.flags = flags;
    p.err = err;
    p.errlen = errlen;
    if (ut_mul_size(n + 1, sizeof *p.t, &tsize) != PL_OK)
        return PL_ENOMEM;
    p.t = (ms_tok *)malloc(tsize);
    if (p.t == NULL)
        return PL_ENOMEM;
    ut_buf_init(&p.out, 0);
    rc = ms_tokenize(&p, n);
    if (rc == PL_OK)
        rc = ms_list(&p);
    if (rc == PL_OK) {
        /* Only now, with the whole list valid, does the caller see it. */
        for (k = 0; rc == PL_OK && k < p.out.len;) {
            const char *a = p.out.data + k;
            const char *d = a + strlen(a) + 1;

            rc = cb(ctx, a, d);
            k = (size_t)(d - p.out.data) + strlen(d) + 1;
        }
    }
    free(p.t);
    ut_buf_free(&p.out);
    return rc;
}
