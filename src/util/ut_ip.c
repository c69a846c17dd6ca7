/*
 * ut_ip.c - IP address text to octets and back (ut_ip.h).
 * Limits: see ut_ip.h.
 * Privilege: none.
 */
#include <stdio.h>
#include <string.h>
#include "ut_ip.h"

static int ut_ip_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Dotted quad: exactly four decimal numbers 0..255, no leading zeros
 * beyond "0" itself. */
static int ut_ip4(const char *s, size_t n, unsigned char out[4])
{
    size_t i = 0;
    int part, digits, k;

    for (k = 0; k < 4; k++) {
        part = 0;
        digits = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (digits == 1 && part == 0)
                return PL_EINVAL;
            part = part * 10 + (s[i] - '0');
            if (part > 255)
                return PL_EINVAL;
            digits++;
            i++;
        }
        if (digits == 0)
            return PL_EINVAL;
        out[k] = (unsigned char)part;
        if (k < 3) {
            if (i >= n || s[i] != '.')
                return PL_EINVAL;
            i++;
        }
    }
    return i == n ? PL_OK : PL_EINVAL;
}

/* RFC 4291 2.2 text: hex groups of 1..4 digits, at most one "::", an
 * optional dotted quad in place of the last two groups. */
static int ut_ip6(const char *s, size_t n, unsigned char out[16])
{
    unsigned char w[16];
    size_t i = 0;
    int nw = 0, gap = -1, v, x, digits, k;

    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    } else if (n >= 1 && s[0] == ':') {
        return PL_EINVAL;
    }
    while (i < n) {
        size_t st = i;

        if (nw >= 16)
            return PL_EINVAL;
        v = 0;
        digits = 0;
        while (i < n && (x = ut_ip_hexval((unsigned char)s[i])) >= 0 &&
               digits < 5) {
            v = v * 16 + x;
            digits++;
            i++;
        }
        if (i < n && s[i] == '.') {
            if (nw > 12 || ut_ip4(s + st, n - st, w + nw) != PL_OK)
                return PL_EINVAL;
            nw += 4;
            break;
        }
        if (digits == 0 || digits > 4)
            return PL_EINVAL;
        w[nw++] = (unsigned char)(v >> 8);
        w[nw++] = (unsigned char)(v & 0xff);
        if (i == n)
            break;
        if (s[i] != ':')
            return PL_EINVAL;
        i++;
        if (i < n && s[i] == ':') {
            if (gap >= 0)
                return PL_EINVAL;
            gap = nw;
            i++;
        } else if (i == n) {
            return PL_EINVAL;   /* a trailing single ':' */
        }
    }
    if ((gap < 0 && nw != 16) || (gap >= 0 && nw > 14))
        return PL_EINVAL;
    memset(out, 0, 16);
    if (gap < 0) {
        memcpy(out, w, 16);
    } else {
        memcpy(out, w, (size_t)gap);
        k = nw - gap;
        memcpy(out + 16 - k, w + gap, (size_t)k);
    }
    return PL_OK;
}

int ut_ip_parse(const char *s, size_t n, unsigned char *a, int *len)
{
    if (s == NULL || a == NULL || len == NULL || n == 0)
        return PL_EINVAL;
    if (memchr(s, ':', n) != NULL) {
        *len = 16;
        return ut_ip6(s, n, a);
    }
    *len = 4;
    return ut_ip4(s, n, a);
}

void ut_ip_text(const unsigned char *a, int len, char *out, size_t n)
{
    int g[8], i, best = -1, blen = 0, run = 0;
    size_t pos = 0;

    if (n == 0)
        return;
    out[0] = '\0';
    if (len == 4) {
        (void)snprintf(out, n, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        return;
    }
    if (len != 16)
        return;
    for (i = 0; i < 8; i++)
        g[i] = (a[2 * i] << 8) | a[2 * i + 1];
    for (i = 0; i < 8; i++) {
        run = g[i] == 0 ? run + 1 : 0;
        if (run > blen) {
            blen = run;
            best = i - run + 1;
        }
    }
    if (blen < 2)
        best = -1;   /* RFC 5952 4.2.2: one zero group is not shortened */
    for (i = 0; i < 8 && pos + 6 < n; i++) {
        if (i == best) {
            out[pos++] = ':';
            if (i == 0)
                out[pos++] = ':';
            i += blen - 1;
            continue;
        }
        pos += (size_t)snprintf(out + pos, n - pos, "%x%s", (unsigned)g[i],
                                i < 7 ? ":" : "");
    }
    out[pos] = '\0';
}
