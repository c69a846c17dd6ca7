/*
 * sm_param.c - the ESMTP parameters of MAIL and RCPT (RFC 5321 4.1.2
 * Mail-parameters / Rcpt-parameters): SIZE (RFC 1870), BODY (RFC 6152),
 * SMTPUTF8 (RFC 6531), AUTH (RFC 4954 5), RET, ENVID, NOTIFY, ORCPT
 * (RFC 3461), with xtext decoding.
 *
 * Every parameter is separated by exactly one space; a keyword appears at
 * most once (501); a keyword unknown for the command is 555 (RFC 5321
 * 4.1.1.11).  xtext that decodes to a control character (CR, LF, NUL,
 * ...) is refused (the Exim CVE-2020-28021/28026 lesson): no decoded
 * value can ever break an envelope record or a header.
 * Limits: values are bounded by the command line (512) and by the sizes
 * in sm_int.h; SIZE by 20 digits without overflow.
 * Privilege: none; pure parsing.
 */
#include <string.h>
#include "sm_int.h"
#include "ut_str.h"

#define SM_R_SYNTAX "501 5.5.4 Syntax error in parameters"
#define SM_R_DUP    "501 5.5.4 Duplicate parameter"
#define SM_R_UNK    "555 5.5.4 Unsupported parameter"
#define SM_R_VALUE  "501 5.5.4 Invalid parameter value"

static int sm_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;   /* RFC 3461 4: hexchar digits are upper case */
}

int sm_xtext_decode(const char *s, size_t n, char *out, size_t on)
{
    size_t i, o = 0;
    int c, h, l;

    for (i = 0; i < n; i++) {
        c = (unsigned char)s[i];
        if (c == '+') {
            if (i + 2 >= n)
                return PL_EINVAL;
            h = sm_hexval((unsigned char)s[i + 1]);
            l = sm_hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0)
                return PL_EINVAL;
            c = h * 16 + l;
            i += 2;
        } else if (c < 33 || c > 126 || c == '=') {
            return PL_EINVAL;
        }
        if (c < 32 || c == 127)
            return PL_EINVAL;   /* CR, LF, NUL and friends: never */
        if (o + 1 >= on)
            return PL_ERANGE;
        out[o++] = (char)c;
    }
    if (on == 0)
        return PL_ERANGE;
    out[o] = '\0';
    return PL_OK;
}

/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
static int sm_kw_ok(const char *s, size_t n)
{
    size_t i;

    if (n == 0)
        return 0;
    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        int an = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9');
        if (!an && !(i > 0 && c == '-'))
            return 0;
    }
    return 1;
}

/* esmtp-value = 1*(%d33-60 / %d62-126), UTF-8 allowed (RFC 6531). */
static int sm_val_ok(const char *s, size_t n)
{
    size_t i;

    if (n == 0)
        return 0;
    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c < 33 || c == '=' || c == 127)
            return 0;
    }
    return 1;
}

static int sm_kw_is(const char *k, size_t kn, const char *name)
{
    return strlen(name) == kn && ut_strncaseeq(k, name, kn);
}

/* NOTIFY=NEVER | 1#(SUCCESS / FAILURE / DELAY) */
static int sm_notify(const char *v, size_t n, int *out)
{
    size_t i = 0, j;
    int bits = 0, b;

    while (i < n) {
        j = i;
        while (j < n && v[j] != ',')
            j++;
        if (sm_kw_is(v + i, j - i, "NEVER"))
            b = SM_N_NEVER;
        else if (sm_kw_is(v + i, j - i, "SUCCESS"))
            b = SM_N_SUCCESS;
        else if (sm_kw_is(v + i, j - i, "FAILURE"))
            b = SM_N_FAILURE;
        else if (sm_kw_is(v + i, j - i, "DELAY"))
            b = SM_N_DELAY;
        else
            return PL_EINVAL;
        if ((bits & b) != 0)
            return PL_EINVAL;
        bits |= b;
        if (j < n && j + 1 == n)
            return PL_EINVAL;   /* trailing comma */
        i = j + 1;
    }
    if (bits == 0 || ((bits & SM_N_NEVER) != 0 && bits != SM_N_NEVER))
        return PL_EINVAL;
    *out = bits;
    return PL_OK;
}

/* ORCPT=addr-type ";" xtext; kept as "type;decoded". */
static int sm_orcpt(const char *v, size_t n, char *out, size_t on)
{
    const char *semi = memchr(v, ';', n);
    size_t tn;

    if (semi == NULL)
        return PL_EINVAL;
    tn = (size_t)(semi - v);
    if (!sm_kw_ok(v, tn) || tn + 2 >= on || tn + 1 == n)
        return PL_EINVAL;
    memcpy(out, v, tn);
    out[tn] = ';';
    return sm_xtext_decode(semi + 1, n - tn - 1, out + tn + 1,
                           on - tn - 1) == PL_OK ? PL_OK : PL_EINVAL;
}

/* One KEY[=VALUE]; bit is the keyword's duplicate-detection bit. */
static const char *sm_one(const char *k, size_t kn, const char *v,
                          size_t vn, int hasv, int which, sm_params *p,
                          unsigned *seen)
{
    unsigned bit;

    if (which == SM_P_MAIL && sm_kw_is(k, kn, "SIZE")) bit = 1;
    else if (which == SM_P_MAIL && sm_kw_is(k, kn, "BODY")) bit = 2;
    else if (which == SM_P_MAIL && sm_kw_is(k, kn, "SMTPUTF8")) bit = 4;
    else if (which == SM_P_MAIL && sm_kw_is(k, kn, "AUTH")) bit = 8;
    else if (which == SM_P_MAIL && sm_kw_is(k, kn, "RET")) bit = 16;
    else if (which == SM_P_MAIL && sm_kw_is(k, kn, "ENVID")) bit = 32;
    else if (which == SM_P_RCPT && sm_kw_is(k, kn, "NOTIFY")) bit = 64;
    else if (which == SM_P_RCPT && sm_kw_is(k, kn, "ORCPT")) bit = 128;
    else return SM_R_UNK;
    if ((*seen & bit) != 0)
        return SM_R_DUP;
    *seen |= bit;
    if (bit == 4) {
        if (hasv)
            return SM_R_SYNTAX;
        p->smtputf8 = 1;
        return NULL;
    }
    if (!hasv || !sm_val_ok(v, vn))
        return SM_R_SYNTAX;
    switch (bit) {
    case 1:
        if (ut_parse_u64(v, vn, (pl_u64)-1, &p->size) != PL_OK)
            return SM_R_VALUE;
        p->has_size = 1;
        return NULL;
    case 2:
        if (sm_kw_is(v, vn, "7BIT"))
            p->body = SM_BODY_7BIT;
        else if (sm_kw_is(v, vn, "8BITMIME"))
            p->body = SM_BODY_8BIT;
        else
            return SM_R_UNK;   /* BINARYMIME needs CHUNKING: not offered */
        return NULL;
    case 8:
        if (sm_xtext_decode(v, vn, p->auth, sizeof p->auth) != PL_OK)
            return SM_R_VALUE;
        p->has_auth = 1;
        return NULL;
    case 16:
        if (sm_kw_is(v, vn, "FULL"))
            p->ret = 1;
        else if (sm_kw_is(v, vn, "HDRS"))
            p->ret = 2;
        else
            return SM_R_VALUE;
        return NULL;
    case 32:
        if (sm_xtext_decode(v, vn, p->envid, sizeof p->envid) != PL_OK)
            return SM_R_VALUE;
        return NULL;
    case 64:
        return sm_notify(v, vn, &p->notify) == PL_OK ? NULL : SM_R_VALUE;
    default:
        return sm_orcpt(v, vn, p->orcpt, sizeof p->orcpt) == PL_OK
               ? NULL : SM_R_VALUE;
    }
}

int sm_param_parse(const char *s, size_t n, int which, sm_params *p,
                   const char **reply)
{
    size_t i = 0, j, eq;
    unsigned seen = 0;
    const char *r;

    memset(p, 0, sizeof *p);
    *reply = NULL;
    while (i < n) {
        /* exactly one SP before each parameter, none at the end */
        if (s[i] != ' ' || i + 1 >= n || s[i + 1] == ' ') {
            *reply = SM_R_SYNTAX;
            return PL_EINVAL;
        }
        i++;
        j = i;
        while (j < n && s[j] != ' ')
            j++;
        eq = i;
        while (eq < j && s[eq] != '=')
            eq++;
        if (!sm_kw_ok(s + i, eq - i)) {
            *reply = SM_R_SYNTAX;
            return PL_EINVAL;
        }
        r = sm_one(s + i, eq - i, s + eq + (eq < j), j - eq - (eq < j),
                   eq < j, which, p, &seen);
        if (r != NULL) {
            *reply = r;
            return PL_EINVAL;
        }
        i = j;
    }
    return PL_OK;
}
