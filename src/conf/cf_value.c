/*
 * cf_value.c - the value parsers of the configuration: booleans,
 * integers, durations (units and OpenVMS delta times), sizes, lists,
 * enums, and the OpenVMS logical name of a key.
 *
 * Limits: values are ASCII; numbers are parsed with explicit overflow
 * checks (never strtol, whose errno and locale behaviour differ between C
 * run-time libraries), so "99999999999999999999" is an error, not a
 * wrapped number.  Durations are at most CF_DUR_MAX seconds; sizes at most
 * 2^64-1 bytes.  Lists hold at most UT_CONF_LIST_MAX items.
 * Privilege: none; pure functions.
 */
#include <stdlib.h>
#include <string.h>
#include "cf_int.h"
#include "ut_params.h"
#include "ut_str.h"

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t';
}

/* Parse exactly `len` digits at s into *out, refusing values above max. */
static int digits(const char *s, size_t len, pl_u64 max, pl_u64 *out)
{
    size_t i;
    pl_u64 v = 0;

    if (len == 0)
        return PL_EINVAL;
    for (i = 0; i < len; i++) {
        unsigned d;
        if (!is_digit((unsigned char)s[i]))
            return PL_EINVAL;
        d = (unsigned)(s[i] - '0');
        if (v > (max - d) / 10)
            return PL_EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return PL_OK;
}

int cf_parse_bool(const char *s, int *out)
{
    /* The spellings of the OpenVMS logicals (YES, TRUE, 1) and of the
     * TCP/IP Services SMTP.CONFIG (ON) as well as the POSIX habits. */
    static const char *const yes[] = { "yes", "true", "on", "1", NULL };
    static const char *const no[] = { "no", "false", "off", "0", NULL };
    int i;

    for (i = 0; yes[i] != NULL; i++) {
        if (ut_strcaseeq(s, yes[i])) {
            *out = 1;
            return PL_OK;
        }
    }
    for (i = 0; no[i] != NULL; i++) {
        if (ut_strcaseeq(s, no[i])) {
            *out = 0;
            return PL_OK;
        }
    }
    return PL_EINVAL;
}

int cf_parse_int(const char *s, pl_i64 *out)
{
    int neg = 0;
    pl_u64 v;
    /* 2^63-1 written without a 64-bit literal suffix (C89 RTLs). */
    const pl_u64 imax = (((pl_u64)1) << 62) - 1 + (((pl_u64)1) << 62);

    if (*s == '-') {
        neg = 1;
        s++;
    }
    if (digits(s, strlen(s), imax, &v) != PL_OK)
        return PL_EINVAL;
    *out = neg ? -(pl_i64)v : (pl_i64)v;
    return PL_OK;
}

/* OpenVMS delta time: "[D ]HH:MM[:SS[.CC]]" with D 0..9999, the fields
 * in their clock ranges; hundredths are accepted and rounded down. */
static int parse_delta(const char *s, pl_i64 *secs)
{
    const char *p = s;
    const char *sp = strchr(s, ' ');
    pl_u64 days = 0, hh, mm, ss = 0, cc;
    size_t n;

    if (sp != NULL) {
        if (digits(s, (size_t)(sp - s), 9999, &days) != PL_OK)
            return PL_EINVAL;
        p = sp + 1;
    }
    n = strspn(p, "0123456789");
    if (n == 0 || n > 2 || digits(p, n, 23, &hh) != PL_OK || p[n] != ':')
        return PL_EINVAL;
    p += n + 1;
    n = strspn(p, "0123456789");
    if (n != 2 || digits(p, n, 59, &mm) != PL_OK)
        return PL_EINVAL;
    p += n;
    if (*p == ':') {
        p++;
        n = strspn(p, "0123456789");
        if (n != 2 || digits(p, n, 59, &ss) != PL_OK)
            return PL_EINVAL;
        p += n;
        if (*p == '.') {
            p++;
            n = strspn(p, "0123456789");
            if (n == 0 || n > 2 || digits(p, n, 99, &cc) != PL_OK)
                return PL_EINVAL;
            p += n;
        }
    }
    if (*p != '\0')
        return PL_EINVAL;
    *secs = (pl_i64)(days * 86400u + hh * 3600u + mm * 60u + ss);
    return PL_OK;
}

int cf_parse_duration(const char *s, pl_i64 *secs)
{
    size_t n = strspn(s, "0123456789");
    pl_u64 v, mult = 1;

    if (strchr(s, ':') != NULL)
        return parse_delta(s, secs);
    if (n == 0)
        return PL_EINVAL;
    switch (s[n]) {
    case '\0':
        break;
    case 's': case 'S':
        mult = 1;
        break;
    case 'm': case 'M':
        mult = 60;
        break;
    case 'h': case 'H':
        mult = 3600;
        break;
    case 'd': case 'D':
        mult = 86400;
        break;
    default:
        return PL_EINVAL;
    }
    if (s[n] != '\0' && s[n + 1] != '\0')
        return PL_EINVAL;
    if (digits(s, n, (pl_u64)CF_DUR_MAX / mult, &v) != PL_OK)
        return PL_EINVAL;
    *secs = (pl_i64)(v * mult);
    return PL_OK;
}

int cf_parse_size(const char *s, pl_u64 *bytes)
{
    size_t n = strspn(s, "0123456789");
    pl_u64 v, mult = 1, umax = ~(pl_u64)0;

    if (n == 0)
        return PL_EINVAL;
    switch (s[n]) {
    case '\0':
        break;
    case 'k': case 'K':
        mult = 1024;
        break;
    case 'm': case 'M':
        mult = 1024 * 1024;
        break;
    case 'g': case 'G':
        mult = 1024 * 1024 * 1024;
        break;
    default:
        return PL_EINVAL;
    }
    if (s[n] != '\0' && s[n + 1] != '\0')
        return PL_EINVAL;
    if (digits(s, n, umax / mult, &v) != PL_OK)
        return PL_EINVAL;
    *bytes = v * mult;
    return PL_OK;
}

int cf_list_split(const char *text, char **store, char **items, int max,
                  int *count)
{
    char *copy, *p;
    int n = 0;

    *store = NULL;
    *count = 0;
    copy = ut_strdup(text);
    if (copy == NULL)
        return PL_ENOMEM;
    p = copy;
    while (is_blank((unsigned char)*p))
        p++;
    if (*p == '\0') {
        *store = copy;
        return PL_OK;
    }
    for (;;) {
        char *comma = strchr(p, ',');
        char *item;

        if (comma != NULL)
            *comma = '\0';
        item = ut_trim(p);
        if (*item == '\0' || n == max) {
            int rc = *item == '\0' ? PL_EINVAL : PL_ERANGE;
            free(copy);
            return rc;
        }
        items[n++] = item;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    *store = copy;
    *count = n;
    return PL_OK;
}

int cf_check_listen(const char *item)
{
    const char *colon = strrchr(item, ':');
    const char *p;
    pl_u64 port;

    if (colon == NULL || colon == item
        || digits(colon + 1, strlen(colon + 1), 65535, &port) != PL_OK
        || port == 0)
        return PL_EINVAL;
    if (item[0] == '[') {
        /* An IPv6 literal: hex digits, ':' and '.' (v4-mapped) only. */
        if (colon - item < 3 || colon[-1] != ']')
            return PL_EINVAL;
        for (p = item + 1; p < colon - 1; p++) {
            if (!is_digit((unsigned char)*p)
                && strchr("abcdefABCDEF:.", *p) == NULL)
                return PL_EINVAL;
        }
        return PL_OK;
    }
    if (colon - item == 1 && item[0] == '*')
        return PL_OK;
    /* An IPv4 address or a host name: letters, digits, '-' and '.'. */
    for (p = item; p < colon; p++) {
        int c = (unsigned char)*p;
        if (!is_digit(c) && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z')
            && c != '-' && c != '.')
            return PL_EINVAL;
    }
    return PL_OK;
}

const char *cf_type_name(int type)
{
    switch (type) {
    case CF_T_STR:  return "string";
    case CF_T_BOOL: return "bool";
    case CF_T_INT:  return "integer";
    case CF_T_DUR:  return "duration";
    case CF_T_SIZE: return "size";
    case CF_T_LIST: return "list";
    case CF_T_ENUM: return "enum";
    case CF_T_ADDRS: return "address list";
    default:        return "?";
    }
}

/* Index of word in "a|b|c" (any case), or -1. */
static int enum_index(const char *enums, const char *word)
{
    const char *p = enums;
    size_t wl = strlen(word);
    int i = 0;

    for (;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
        if (len == wl && wl > 0 && ut_strncaseeq(p, word, len))
            return i;
        if (bar == NULL)
            return -1;
        p = bar + 1;
        i++;
    }
}

/* "below the minimum 600" with the number in decimal, signed. */
static void bound_msg(char *why, size_t n, const char *what, pl_i64 v)
{
    char num[24];

    if (v < 0) {
        num[0] = '-';
        ut_u64_to_dec(num + 1, (pl_u64)(-v));
    } else {
        ut_u64_to_dec(num, (pl_u64)v);
    }
    ut_strlcpy(why, what, n);
    ut_strlcat(why, num, n);
}

int cf_value_check(const cf_key *k, const char *text, cf_num *num,
                   char *why, size_t whylen)
{
    cf_num v;
    int b;

    v.i = 0;
    v.u = 0;
    switch (k->type) {
    case CF_T_STR:
        break;
    case CF_T_BOOL:
        if (cf_parse_bool(text, &b) != PL_OK) {
            ut_strlcpy(why, "not a boolean (yes/no, true/false, on/off, "
                       "1/0)", whylen);
            return PL_EINVAL;
        }
        v.i = b;
        break;
    case CF_T_INT:
        if (cf_parse_int(text, &v.i) != PL_OK) {
            ut_strlcpy(why, "not an integer", whylen);
            return PL_EINVAL;
        }
        break;
    case CF_T_DUR:
        if (cf_parse_duration(text, &v.i) != PL_OK) {
            ut_strlcpy(why, "not a duration (600, 10m, 2h, 1d, "
                       "\"0 00:10:00\")", whylen);
            return PL_EINVAL;
        }
        break;
    case CF_T_SIZE:
        if (cf_parse_size(text, &v.u) != PL_OK) {
            ut_strlcpy(why, "not a size (4096, 64K, 10M, 1G)", whylen);
            return PL_EINVAL;
        }
        if (v.u < (pl_u64)k->min) {
            bound_msg(why, whylen, "below the minimum ", k->min);
            return PL_EINVAL;
        }
        if (v.u > (pl_u64)k->max) {
            bound_msg(why, whylen, "above the maximum ", k->max);
            return PL_EINVAL;
        }
        break;
    case CF_T_LIST:
    case CF_T_ADDRS: {
        char *store;
        char *items[UT_CONF_LIST_MAX];
        int i, n, rc = cf_list_split(text, &store, items,
                                     UT_CONF_LIST_MAX, &n);

        for (i = 0; rc == PL_OK && k->type == CF_T_ADDRS && i < n; i++) {
            if (cf_check_listen(items[i]) != PL_OK) {
                ut_strlcpy(why, "not ADDRESS:PORT (127.0.0.1:110, "
                           "[::1]:110, *:110): ", whylen);
                ut_strlcat(why, items[i], whylen);
                free(store);
                return PL_EINVAL;
            }
        }
        for (i = 0; rc == PL_OK && k->type == CF_T_LIST && k->enums != NULL &&
                    i < n; i++) {
            if (enum_index(k->enums, items[i]) < 0) {
                ut_strlcpy(why, "not one of ", whylen);
                ut_strlcat(why, k->enums, whylen);
                ut_strlcat(why, ": ", whylen);
                ut_strlcat(why, items[i], whylen);
                free(store);
                return PL_EINVAL;
            }
        }
        free(store);
        if (rc == PL_EINVAL) {
            ut_strlcpy(why, "empty list item", whylen);
            return PL_EINVAL;
        }
        if (rc == PL_ERANGE) {
            bound_msg(why, whylen, "more list items than ",
                      UT_CONF_LIST_MAX);
            return PL_EINVAL;
        }
        if (rc != PL_OK) {
            ut_strlcpy(why, pl_strerror(rc), whylen);
            return rc;
        }
        v.i = n;
        break;
    }
    case CF_T_ENUM:
        v.i = enum_index(k->enums, text);
        if (v.i < 0) {
            ut_strlcpy(why, "not one of ", whylen);
            ut_strlcat(why, k->enums, whylen);
            return PL_EINVAL;
        }
        break;
    default:
        ut_strlcpy(why, "key has no type", whylen);
        return PL_EINVAL;
    }
    if (k->type == CF_T_INT || k->type == CF_T_DUR) {
        if (v.i < k->min) {
            bound_msg(why, whylen, "below the minimum ", k->min);
            return PL_EINVAL;
        }
        if (v.i > k->max) {
            bound_msg(why, whylen, "above the maximum ", k->max);
            return PL_EINVAL;
        }
    }
    if (num != NULL)
        *num = v;
    return PL_OK;
}

int cf_logical_name(const char *key, char *buf, size_t n)
{
    static const char prefix[] = "NEWMAIL_";
    size_t i, len = strlen(key);

    if (len == 0 || len > CF_KEY_MAX)
        return PL_EINVAL;
    for (i = 0; i < len; i++) {
        int c = (unsigned char)key[i];
        if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '.'))
            return PL_EINVAL;
    }
    if (key[0] == '.' || key[len - 1] == '.' || strstr(key, "..") != NULL)
        return PL_EINVAL;
    if (n < sizeof prefix + len)
        return PL_ERANGE;
    memcpy(buf, prefix, sizeof prefix - 1);
    for (i = 0; i <= len; i++) {
        int c = (unsigned char)key[i];
        buf[sizeof prefix - 1 + i] = (char)(c == '.' ? '_' : ut_toupper(c));
    }
    return PL_OK;
}
