/*
 * ut_str.c - safe string, number and memory helpers (contracts in ut_str.h).
 *
 * Limits: ASCII only, no locale; ut_parse_u64 takes at most 20 digits and
 * accepts leading zeros ("01" is 1), because RFC 1939 message numbers and
 * SMTP SIZE values are plain digit strings and a zero prefix changes no
 * meaning, while a sign, a space or a 21st digit always means an error.
 * Privilege: none.
 */
#include <stdlib.h>
#include <string.h>
#include "ut_str.h"

#define UT_SIZE_MAX ((size_t)-1)
#define UT_U64_MAX  ((pl_u64)-1)

int ut_add_size(size_t a, size_t b, size_t *out)
{
    if (a > UT_SIZE_MAX - b)
        return PL_ERANGE;
    *out = a + b;
    return PL_OK;
}

int ut_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > UT_SIZE_MAX / a)
        return PL_ERANGE;
    *out = a * b;
    return PL_OK;
}

int ut_strlcpy(char *dst, const char *src, size_t n)
{
    size_t i;

    if (n == 0)
        return PL_ERANGE;
    for (i = 0; i + 1 < n && src[i] != '\0'; i++)
        dst[i] = src[i];
    dst[i] = '\0';
    return src[i] == '\0' ? PL_OK : PL_ERANGE;
}

int ut_strlcat(char *dst, const char *src, size_t n)
{
    size_t used;

    /* A dst without a NUL inside n bytes is a caller bug: refuse rather
     * than scan or write beyond n. */
    used = 0;
    while (used < n && dst[used] != '\0')
        used++;
    if (used == n)
        return PL_ERANGE;
    return ut_strlcpy(dst + used, src, n - used);
}

int ut_memtostr(char *dst, size_t n, const void *src, size_t len)
{
    if (len >= n) {
        if (n > 0)
            dst[0] = '\0';   /* no half value for a caller that ignores rc */
        return PL_ERANGE;
    }
    if (len > 0)
        memcpy(dst, src, len);
    dst[len] = '\0';
    return PL_OK;
}

char *ut_strdup(const char *s)
{
    size_t n;
    char *p;

    n = strlen(s);
    if (n == UT_SIZE_MAX)
        return NULL;
    p = malloc(n + 1);
    if (p != NULL)
        memcpy(p, s, n + 1);
    return p;
}

int ut_toupper(int c)
{
    return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
}

int ut_tolower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

int ut_strcaseeq(const char *a, const char *b)
{
    for (;;) {
        if (ut_tolower((unsigned char)*a) != ut_tolower((unsigned char)*b))
            return 0;
        if (*a == '\0')
            return 1;
        a++;
        b++;
    }
}

int ut_strncaseeq(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (ut_tolower((unsigned char)a[i]) != ut_tolower((unsigned char)b[i]))
            return 0;
        if (a[i] == '\0')
            return 1;
    }
    return 1;
}

int ut_parse_u64(const char *s, size_t len, pl_u64 max, pl_u64 *out)
{
    pl_u64 v;
    unsigned d;
    size_t i;

    if (s == NULL || len == 0 || len > 20)
        return PL_EINVAL;
    v = 0;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return PL_EINVAL;
        d = (unsigned)(s[i] - '0');
        if (v > (UT_U64_MAX - d) / 10)
            return PL_EINVAL;
        v = v * 10 + d;
    }
    if (v > max)
        return PL_EINVAL;
    *out = v;
    return PL_OK;
}

size_t ut_u64_to_dec(char *buf, pl_u64 v)
{
    char tmp[20];
    size_t n, i;

    n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v != 0);
    for (i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

void ut_wipe(void *p, size_t n)
{
    /* Stores through a volatile pointer are observable behaviour, so the
     * compiler may not drop them as dead stores before free(). */
    volatile unsigned char *q = (volatile unsigned char *)p;

    while (n-- > 0)
        *q++ = 0;
}

int ut_memeq_ct(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = (const volatile unsigned char *)a;
    const volatile unsigned char *y = (const volatile unsigned char *)b;
    unsigned acc;
    size_t i;

    /* No early exit: the time depends on n only, never on where the
     * first difference is (password and digest comparisons). */
    acc = 0;
    for (i = 0; i < n; i++)
        acc |= (unsigned)(x[i] ^ y[i]);
    return acc == 0;
}

char *ut_trim(char *s)
{
    size_t start, end;

    start = 0;
    while (s[start] == ' ' || s[start] == '\t')
        start++;
    end = start + strlen(s + start);
    while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
        end--;
    if (start > 0)
        memmove(s, s + start, end - start);
    s[end - start] = '\0';
    return s;
}
