/*
 * sm_addr.c - the RFC 5321 4.1.2 path parser for MAIL FROM and RCPT TO.
 *
 * Accepts Path = "<" [ A-d-l ":" ] Mailbox ">" and "<>" (MAIL only), plus
 * "<postmaster>" without a domain (RCPT, RFC 5321 4.1.1.3).  A source route
 * is recognised and dropped (RFC 5321 C: "MUST ignore"): it never takes
 * part in a relay decision.  Local parts are Dot-string or Quoted-string;
 * domains are host names or address literals ([IPv4], [IPv6:...]); other
 * literal tags are refused.  Bytes >= 0x80 are accepted and flagged, for
 * the caller to require SMTPUTF8.  NUL, CR, LF and every other control
 * character are refused, so no parsed address can carry them.
 * Limits: local part 64, domain 255, path 256 octets (RFC 5321 4.5.3.1).
 * Privilege: none; pure parsing.
 */
#include <string.h>
#include "sm_int.h"
#include "ut_str.h"

static int sm_is_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

static int sm_is_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* RFC 5322 atext; bytes >= 0x80 only for SMTPUTF8 (flagged by caller). */
static int sm_is_atext(int c)
{
    return sm_is_alnum(c) || (c >= 0x80 && c <= 0xFF) ||
           (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Dotted quad with each part 0..255, exactly n bytes. */
static int sm_ipv4_ok(const char *s, size_t n)
{
    size_t i = 0;
    int parts = 0;

    while (parts < 4) {
        unsigned v = 0;
        size_t d = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && d < 3) {
            v = v * 10 + (unsigned)(s[i] - '0');
            i++;
            d++;
        }
        if (d == 0 || v > 255)
            return 0;
        parts++;
        if (parts < 4) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
    }
    return i == n;
}

/* RFC 5321 4.1.3 IPv6-addr: full, compressed ("::" once), with an
 * optional trailing IPv4 address counting as two groups. */
static int sm_ipv6_ok(const char *s, size_t n)
{
    size_t i = 0;
    int groups = 0, dbl = 0;

    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        dbl = 1;
        i = 2;
        if (i == n)
            return 1;
    } else if (n >= 1 && s[0] == ':') {
        return 0;
    }
    while (i < n) {
        size_t j = i, h = 0;
        while (j < n && sm_is_hex((unsigned char)s[j]) && h < 5) {
            j++;
            h++;
        }
        if (j < n && s[j] == '.') {
            /* the IPv4 tail must be last */
            if (!sm_ipv4_ok(s + i, n - i))
                return 0;
            groups += 2;
            i = n;
            break;
        }
        if (h == 0 || h > 4)
            return 0;
        groups++;
        i = j;
        if (i == n)
            break;
        if (s[i] != ':')
            return 0;
        i++;
        if (i < n && s[i] == ':') {
            if (dbl)
                return 0;
            dbl = 1;
            i++;
            if (i == n)
                break;
        } else if (i == n) {
            return 0;   /* trailing single colon */
        }
    }
    return dbl ? groups <= 7 : groups == 8;
}

/* Length of the domain or address literal starting at s (at most n
 * bytes, stopping at the first byte that cannot continue it); 0 if there
 * is no valid one.  *lit and *utf8 are set when seen. */
static size_t sm_dom_len(const char *s, size_t n, int *lit, int *utf8)
{
    size_t i = 0, lab;

    if (n > 0 && s[0] == '[') {
        const char *end = memchr(s, ']', n);
        size_t k;
        if (end == NULL)
            return 0;
        k = (size_t)(end - s);
        if (sm_ipv4_ok(s + 1, k - 1) ||
            (k > 6 && memcmp(s + 1, "IPv6:", 5) == 0 &&
             sm_ipv6_ok(s + 6, k - 6))) {
            *lit = 1;
            return k + 1;
        }
        return 0;
    }
    for (;;) {
        lab = 0;
        while (i < n && (sm_is_alnum((unsigned char)s[i]) || s[i] == '-' ||
                         (unsigned char)s[i] >= 0x80)) {
            if ((unsigned char)s[i] >= 0x80)
                *utf8 = 1;
            i++;
            lab++;
        }
        if (lab == 0 || lab > 63 || s[i - lab] == '-' || s[i - 1] == '-')
            return 0;
        if (i + 1 < n && s[i] == '.' &&
            (sm_is_alnum((unsigned char)s[i + 1]) ||
             (unsigned char)s[i + 1] >= 0x80)) {
            i++;
            continue;
        }
        return i;
    }
}

int sm_addr_domain_ok(const char *s, size_t n)
{
    int lit = 0, u8 = 0;

    if (n == 0 || n > SM_DOMAIN_MAX)
        return 0;
    return sm_dom_len(s, n, &lit, &u8) == n && !u8;
}

/* Local part at s: its written length, 0 if invalid.  Copies the unquoted
 * form to a->local when it fits (the caller checks the limit first). */
static size_t sm_local_len(const char *s, size_t n, sm_addr *a)
{
    size_t i = 0, o = 0;
    int c;

    if (n > 0 && s[0] == '"') {
        a->quoted = 1;
        i = 1;
        while (i < n && s[i] != '"') {
            c = (unsigned char)s[i];
            if (c == '\\') {
                if (i + 1 >= n)
                    return 0;
                c = (unsigned char)s[i + 1];
                if (c < 32 || c == 127)
                    return 0;
                i++;
            } else if (c < 32 || c == 127) {
                return 0;
            }
            if (c >= 0x80)
                a->utf8 = 1;
            if (o < SM_LOCAL_MAX)
                a->local[o++] = (char)c;
            i++;
        }
        if (i >= n || i == 1)
            return 0;     /* unterminated, or "" */
        a->local[o] = '\0';
        return i + 1;
    }
    for (;;) {
        size_t st = i;
        while (i < n && sm_is_atext((unsigned char)s[i])) {
            if ((unsigned char)s[i] >= 0x80)
                a->utf8 = 1;
            if (o < SM_LOCAL_MAX)
                a->local[o++] = s[i];
            i++;
        }
        if (i == st)
            return 0;
        if (i < n && s[i] == '.') {
            if (o < SM_LOCAL_MAX)
                a->local[o++] = '.';
            i++;
            continue;
        }
        a->local[o < SM_LOCAL_MAX ? o : SM_LOCAL_MAX] = '\0';
        return i;
    }
}

int sm_addr_parse(const char *s, size_t n, int allow_null, sm_addr *a,
                  size_t *used)
{
    const char *gt;
    size_t i = 1, k, plen;
    int lit = 0, u8 = 0;

    memset(a, 0, sizeof *a);
    *used = 0;
    if (n < 2 || s[0] != '<')
        return SM_A_SYNTAX;
    gt = memchr(s, '>', n);
    /* a '>' inside a quoted local part is legal: find the real end by
     * parsing, but bound the whole path first */
    for (k = 0; k < n && k <= SM_PATH_MAX; k++)
        if (s[k] == '\0' || s[k] == '\r' || s[k] == '\n')
            return SM_A_SYNTAX;
    if (gt == NULL)
        return n > SM_PATH_MAX ? SM_A_LONG : SM_A_SYNTAX;
    if (s[1] == '>') {
        if (!allow_null)
            return SM_A_SYNTAX;
        a->null = 1;
        *used = 2;
        return PL_OK;
    }
    if (s[1] == '@') {
        /* A-d-l: "@" Domain *( "," "@" Domain ) ":" - parsed, dropped */
        for (;;) {
            if (i >= n || s[i] != '@')
                return SM_A_SYNTAX;
            i++;
            k = sm_dom_len(s + i, n - i, &lit, &u8);
            if (k == 0 || k > SM_DOMAIN_MAX)
                return k == 0 ? SM_A_SYNTAX : SM_A_LONG;
            i += k;
            if (i < n && s[i] == ',') {
                i++;
                continue;
            }
            if (i < n && s[i] == ':') {
                i++;
                break;
            }
            return SM_A_SYNTAX;
        }
        a->routed = 1;
        lit = 0;
        u8 = 0;
    }
    k = sm_local_len(s + i, n - i, a);
    if (k == 0)
        return SM_A_SYNTAX;
    if (k > SM_LOCAL_MAX)
        return SM_A_LONG;
    if (k + 1 > sizeof a->text)
        return SM_A_LONG;
    memcpy(a->text, s + i, k);
    a->text[k] = '\0';
    i += k;
    if (i < n && s[i] == '>' && !allow_null && !a->quoted &&
        ut_strcaseeq(a->local, "postmaster")) {
        *used = i + 1;
        return PL_OK;   /* RFC 5321 4.1.1.3: <Postmaster> */
    }
    if (i >= n || s[i] != '@')
        return SM_A_SYNTAX;
    i++;
    k = sm_dom_len(s + i, n - i, &lit, &u8);
    if (k == 0)
        return SM_A_SYNTAX;
    if (k > SM_DOMAIN_MAX)
        return SM_A_LONG;
    if (i + k >= n || s[i + k] != '>')
        return SM_A_SYNTAX;
    plen = i + k + 1;
    if (plen > SM_PATH_MAX)
        return SM_A_LONG;
    memcpy(a->domain, s + i, k);
    a->domain[k] = '\0';
    a->literal = lit;
    if (u8)
        a->utf8 = 1;
    ut_strlcat(a->text, "@", sizeof a->text);
    ut_strlcat(a->text, a->domain, sizeof a->text);
    *used = plen;
    return PL_OK;
}
