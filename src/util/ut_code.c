/*
 * ut_code.c - base64 (RFC 4648 section 4) and hex (contracts in ut_code.h).
 *
 * Limits: the base64 decoder is strict on purpose: SASL (RFC 4954) data
 * is canonical, and accepting several spellings of one credential only
 * helps an attacker slip past filters and logs.  Input is validated
 * completely before the first output byte is written, so a rejected
 * string never leaves half a decoded secret in the caller's buffer.
 * Privilege: none.
 */
#include <string.h>
#include "ut_code.h"
#include "ut_str.h"

static const char ut_b64_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of a base64 digit, -1 for anything else ('=' included).  Written
 * as ranges rather than a table so it does not depend on the character
 * set's ordering beyond the ASCII ranges it names. */
static int ut_b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

size_t ut_b64_enc_size(size_t n)
{
    size_t groups, chars, total;

    groups = n / 3 + (n % 3 != 0 ? 1 : 0);
    if (ut_mul_size(groups, 4, &chars) != PL_OK ||
        ut_add_size(chars, 1, &total) != PL_OK)
        return 0;
    return total;
}

int ut_b64_encode(const void *in, size_t n, char *out, size_t outsz,
                  size_t *outlen)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t need, i, o;
    unsigned long v;

    need = ut_b64_enc_size(n);
    if (need == 0 || need > outsz) {
        if (outsz > 0)
            out[0] = '\0';
        return PL_ERANGE;
    }
    o = 0;
    for (i = 0; i + 3 <= n; i += 3) {
        v = ((unsigned long)p[i] << 16) | ((unsigned long)p[i + 1] << 8) |
            p[i + 2];
        out[o++] = ut_b64_alpha[(v >> 18) & 63];
        out[o++] = ut_b64_alpha[(v >> 12) & 63];
        out[o++] = ut_b64_alpha[(v >> 6) & 63];
        out[o++] = ut_b64_alpha[v & 63];
    }
    if (n - i == 1) {
        v = (unsigned long)p[i] << 16;
        out[o++] = ut_b64_alpha[(v >> 18) & 63];
        out[o++] = ut_b64_alpha[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        v = ((unsigned long)p[i] << 16) | ((unsigned long)p[i + 1] << 8);
        out[o++] = ut_b64_alpha[(v >> 18) & 63];
        out[o++] = ut_b64_alpha[(v >> 12) & 63];
        out[o++] = ut_b64_alpha[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    if (outlen != NULL)
        *outlen = o;
    return PL_OK;
}

/* Check the whole string; *pad gets the number of '=' at the end. */
static int ut_b64_check(const unsigned char *s, size_t n, size_t *pad)
{
    size_t i, body;
    int v;

    if (n % 4 != 0)
        return PL_EINVAL;
    *pad = 0;
    if (n == 0)
        return PL_OK;
    if (s[n - 1] == '=')
        *pad = (s[n - 2] == '=') ? 2 : 1;
    body = n - *pad;
    for (i = 0; i < body; i++)
        if (ut_b64_val(s[i]) < 0)
            return PL_EINVAL;   /* includes '=' before the final padding */
    /* The bits the padding stands for must be zero, otherwise two
     * different strings would decode to the same bytes. */
    v = ut_b64_val(s[body - 1]);
    if (*pad == 2 && (v & 0x0f) != 0)
        return PL_EINVAL;
    if (*pad == 1 && (v & 0x03) != 0)
        return PL_EINVAL;
    return PL_OK;
}

int ut_b64_decode(const char *in, size_t n, void *out, size_t outsz,
                  size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *o = (unsigned char *)out;
    size_t pad, need, i, k;
    unsigned long v;
    int rc;

    rc = ut_b64_check(s, n, &pad);
    if (rc != PL_OK)
        return rc;
    need = n / 4 * 3 - pad;
    if (need > outsz)
        return PL_ERANGE;
    k = 0;
    for (i = 0; i < n; i += 4) {
        v = ((unsigned long)ut_b64_val(s[i]) << 18) |
            ((unsigned long)ut_b64_val(s[i + 1]) << 12);
        if (s[i + 2] != '=')
            v |= (unsigned long)ut_b64_val(s[i + 2]) << 6;
        if (s[i + 3] != '=')
            v |= (unsigned long)ut_b64_val(s[i + 3]);
        o[k++] = (unsigned char)((v >> 16) & 0xff);
        if (s[i + 2] != '=')
            o[k++] = (unsigned char)((v >> 8) & 0xff);
        if (s[i + 3] != '=')
            o[k++] = (unsigned char)(v & 0xff);
    }
    if (outlen != NULL)
        *outlen = k;
    return PL_OK;
}

int ut_hex_encode(const void *in, size_t n, char *out, size_t outsz)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)in;
    size_t need, i;

    if (ut_mul_size(n, 2, &need) != PL_OK || need >= outsz) {
        if (outsz > 0)
            out[0] = '\0';
        return PL_ERANGE;
    }
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0x0f];
    }
    out[2 * n] = '\0';
    return PL_OK;
}

static int ut_hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int ut_hex_decode(const char *in, size_t n, void *out, size_t outsz,
                  size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *o = (unsigned char *)out;
    size_t i;

    if (n % 2 != 0)
        return PL_EINVAL;
    for (i = 0; i < n; i++)
        if (ut_hex_val(s[i]) < 0)
            return PL_EINVAL;
    if (n / 2 > outsz)
        return PL_ERANGE;
    for (i = 0; i < n; i += 2)
        o[i / 2] = (unsigned char)(ut_hex_val(s[i]) * 16 + ut_hex_val(s[i + 1]));
    if (outlen != NULL)
        *outlen = n / 2;
    return PL_OK;
}
