/*
 * sc_reply.c - the SMTP client's reply reader (RFC 5321 4.2): assembles a
 * multi-line reply ("250-" continuations, the same code on every line),
 * takes the RFC 3463 enhanced status code from its first line, builds the
 * one-line sanitized status text, and reads EHLO keywords.
 *
 * Limits: SC_REPLY_LINES lines of SC_LINE_MAX octets (the line reader's
 * buffer is the only memory); codes 2yz..5yz with y 0..5 only (1yz has no
 * meaning in SMTP, and anything else is not a reply); the status text is
 * cut to SC_STATUS_MAX - 1 octets of printable ASCII, so nothing a peer
 * sends can reach a log, an envelope or a DSN as a control character.
 * A bare LF ends a line as a CRLF does (Postfix smtp_get does the same):
 * replies are not data, and refusing them would only make mail stick.
 * Privilege: none.
 */
#include <string.h>
#include "sc_int.h"
#include "ut_str.h"

char *sc_sanitize_cat(char *dst, size_t dn, const char *s, size_t n)
{
    size_t k, i;

    if (dst == NULL || dn == 0)
        return dst;
    k = strlen(dst);
    for (i = 0; i < n && k + 1 < dn; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\t')
            c = ' ';
        else if (c < 0x20 || c > 0x7e)
            c = '?';
        dst[k++] = (char)c;
    }
    dst[k] = '\0';
    return dst;
}

static int sc_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The reply code of a line, or 0 when the line does not start with one. */
static int sc_line_code(const char *s, size_t n)
{
    if (n < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '5' ||
        !sc_digit(s[2]))
        return 0;
    return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/* Length of an RFC 3463 code of class `cls` at the start of s (followed
 * by the end or a space), else 0. */
static size_t sc_enh_len(const char *s, size_t n, int cls)
{
    size_t i = 2, d;
    int part;

    if (n < 5 || s[0] != (char)('0' + cls) || s[1] != '.')
        return 0;
    for (part = 0; part < 2; part++) {
        for (d = 0; i < n && sc_digit(s[i]) && d < 4; i++)
            d++;
        if (d == 0 || d > 3)
            return 0;
        if (part == 0) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
    }
    if (i < n && s[i] != ' ')
        return 0;
    return i;
}

/* Append one line's text (s, n: after the code and separator) to rp. */
static void sc_add_text(sc_reply *rp, const char *s, size_t n)
{
    size_t el = strlen(rp->enh);
    size_t head = el > 0 ? 4 + el : 3;   /* "550" or "550 5.1.1" */

    /* the enhanced code is shown once, after the reply code */
    if (el > 0 && n >= el && memcmp(s, rp->enh, el) == 0 &&
        (n == el || s[el] == ' ')) {
        s += el;
        n -= el;
    }
    while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0)
        return;
    if (strlen(rp->text) > head)
        (void)ut_strlcat(rp->text, ";", sizeof rp->text);
    (void)ut_strlcat(rp->text, " ", sizeof rp->text);
    (void)sc_sanitize_cat(rp->text, sizeof rp->text, s, n);
}

/* The first line: code, enhanced code, start of the text. */
static void sc_first_line(sc_reply *rp, int code, const char *s, size_t n)
{
    size_t el = sc_enh_len(s, n, code / 100);
    char num[4];

    rp->code = code;
    num[0] = (char)('0' + code / 100);
    num[1] = (char)('0' + code / 10 % 10);
    num[2] = (char)('0' + code % 10);
    num[3] = '\0';
    (void)ut_strlcpy(rp->text, num, sizeof rp->text);
    if (el > 0 && el < sizeof rp->enh) {
        memcpy(rp->enh, s, el);
        rp->enh[el] = '\0';
        (void)ut_strlcat(rp->text, " ", sizeof rp->text);
        (void)ut_strlcat(rp->text, rp->enh, sizeof rp->text);
    }
}

int sc_reply_read(lr_reader *r, sc_reply *rp, sc_ext *ext)
{
    if (r == NULL || rp == NULL)
        return PL_EINVAL;
    memset(rp, 0, sizeof *rp);
    if (ext != NULL)
        memset(ext, 0, sizeof *ext);
    for (;;) {
        char *line;
        size_t len;
        int flags, code, rc;
        const char *txt;
        size_t tn;

        rc = lr_get_line(r, &line, &len, &flags);
        if (rc != PL_OK)
            return rc;
        if ((flags & LR_TOOLONG) != 0 || rp->nlines >= SC_REPLY_LINES)
            return PL_ERANGE;
        code = sc_line_code(line, len);
        if (code == 0 || (len > 3 && line[3] != ' ' && line[3] != '-') ||
            (rp->nlines > 0 && code != rp->code))
            return PL_EINVAL;
        txt = len > 4 ? line + 4 : "";
        tn = len > 4 ? len - 4 : 0;
        if (rp->nlines == 0)
            sc_first_line(rp, code, txt, tn);
        else if (ext != NULL)
            sc_ehlo_line(ext, txt, tn);
        rp->nlines++;
        sc_add_text(rp, txt, tn);
        if (len <= 3 || line[3] == ' ')
            return PL_OK;
    }
}

/* ---------------- EHLO keywords ---------------- */

/* 1 if the n octets of s are the keyword kw, case-insensitively. */
static int sc_kw(const char *s, size_t n, const char *kw)
{
    return strlen(kw) == n && ut_strncaseeq(s, kw, n);
}

static void sc_ehlo_auth(sc_ext *ext, const char *s, size_t n)
{
    size_t i = 0;

    ext->flags |= SC_X_AUTH;
    while (i < n) {
        size_t st;

        while (i < n && s[i] == ' ')
            i++;
        st = i;
        while (i < n && s[i] != ' ')
            i++;
        if (sc_kw(s + st, i - st, "PLAIN"))
            ext->auth |= SC_M_PLAIN;
        else if (sc_kw(s + st, i - st, "LOGIN"))
            ext->auth |= SC_M_LOGIN;
    }
}

void sc_ehlo_line(sc_ext *ext, const char *s, size_t n)
{
    size_t k = 0, p;
    pl_u64 v;

    if (ext == NULL || s == NULL)
        return;
    while (k < n && s[k] != ' ' && s[k] != '=')
        k++;
    p = k < n ? k + 1 : n;   /* parameters start after the separator */
    if (k < n && s[k] == '=') {
        /* only the pre-RFC 4954 "AUTH=LOGIN PLAIN" uses '=' */
        if (sc_kw(s, k, "AUTH"))
            sc_ehlo_auth(ext, s + p, n - p);
        return;
    }
    if (sc_kw(s, k, "AUTH")) {
        sc_ehlo_auth(ext, s + p, n - p);
    } else if (sc_kw(s, k, "SIZE")) {
        size_t e = p;

        while (e < n && s[e] != ' ')
            e++;
        if (e == p) {
            ext->flags |= SC_X_SIZE;
            ext->size = 0;
        } else if (ut_parse_u64(s + p, e - p, (pl_u64)-1, &v) == PL_OK) {
            ext->flags |= SC_X_SIZE;
            ext->size = v;
        }
    } else if (sc_kw(s, k, "PIPELINING")) {
        ext->flags |= SC_X_PIPELINING;
    } else if (sc_kw(s, k, "8BITMIME")) {
        ext->flags |= SC_X_8BITMIME;
    } else if (sc_kw(s, k, "STARTTLS")) {
        ext->flags |= SC_X_STARTTLS;
    } else if (sc_kw(s, k, "DSN")) {
        ext->flags |= SC_X_DSN;
    } else if (sc_kw(s, k, "SMTPUTF8")) {
        ext->flags |= SC_X_SMTPUTF8;
    } else if (sc_kw(s, k, "ENHANCEDSTATUSCODES")) {
        ext->flags |= SC_X_ENHANCED;
    }
}
