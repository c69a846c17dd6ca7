/*
 * t_util.c - unit tests of src/util: checked arithmetic, strings and
 * numbers, the byte buffer, base64 and hex, calendar dates, log escaping
 * and log levels.
 *
 * The tables carry the expected answers; where a property can be checked
 * by an independent method (a naive calendar walk, a per-byte escaping
 * rule, encode/decode round trips) the test does that as well.
 * Privilege: none; no files, no network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "t_util.h"
#include "ut_str.h"
#include "ut_buf.h"
#include "ut_code.h"
#include "ut_date.h"
#include "ut_log.h"

#define T_SMAX ((size_t)-1)
#define T_S(s) s, (sizeof(s) - 1)

/* Deterministic pseudo-random bytes for round trips (a 32-bit LCG). */
static unsigned long t_rng = 12345UL;
static unsigned t_rand8(void)
{
    t_rng = (t_rng * 1103515245UL + 12345UL) & 0xffffffffUL;
    return (unsigned)((t_rng >> 16) & 0xff);
}

/* ------------------------------------------------------------------ */
/* Checked arithmetic                                                  */
/* ------------------------------------------------------------------ */

static void t_arith(void)
{
    static const struct {
        size_t a, b;
        int add_rc, mul_rc;
    } rows[] = {
        { 0, 0, PL_OK, PL_OK },
        { T_SMAX, 0, PL_OK, PL_OK },
        { 0, T_SMAX, PL_OK, PL_OK },
        { T_SMAX, 1, PL_ERANGE, PL_OK },
        { 1, T_SMAX, PL_ERANGE, PL_OK },
        { T_SMAX - 1, 1, PL_OK, PL_OK },
        { T_SMAX, T_SMAX, PL_ERANGE, PL_ERANGE },
        { T_SMAX / 2, T_SMAX / 2 + 1, PL_OK, PL_ERANGE },
        { T_SMAX / 2 + 1, T_SMAX / 2 + 1, PL_ERANGE, PL_ERANGE },
        { 2, T_SMAX / 2, PL_OK, PL_OK },
        { 2, T_SMAX / 2 + 1, PL_OK, PL_ERANGE },
        { 65536, 65536, PL_OK,
          (T_SMAX / 65536 >= 65536) ? PL_OK : PL_ERANGE },
        { 3, 5, PL_OK, PL_OK }
    };
    size_t i, out;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        out = 777;
        CU_ASSERT(ut_add_size(rows[i].a, rows[i].b, &out) == rows[i].add_rc);
        if (rows[i].add_rc == PL_OK) {
            CU_ASSERT(out == rows[i].a + rows[i].b);
        } else {
            CU_ASSERT(out == 777);
        }
        out = 777;
        CU_ASSERT(ut_mul_size(rows[i].a, rows[i].b, &out) == rows[i].mul_rc);
        if (rows[i].mul_rc == PL_OK) {
            CU_ASSERT(out == rows[i].a * rows[i].b);
        } else {
            CU_ASSERT(out == 777);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Numbers                                                             */
/* ------------------------------------------------------------------ */

#define T_U64MAX ((pl_u64)-1)

static void t_parse_u64(void)
{
    static const struct {
        const char *s;
        size_t len;       /* (size_t)-1: strlen(s) */
        pl_u64 max;
        int rc;
        pl_u64 v;
    } rows[] = {
        { "0", T_SMAX, T_U64MAX, PL_OK, 0 },
        { "1", T_SMAX, T_U64MAX, PL_OK, 1 },
        { "18446744073709551615", T_SMAX, T_U64MAX, PL_OK, T_U64MAX },
        { "18446744073709551616", T_SMAX, T_U64MAX, PL_EINVAL, 0 },
        { "99999999999999999999", T_SMAX, T_U64MAX, PL_EINVAL, 0 },
        { "4294967297", T_SMAX, 0xFFFFFFFFUL, PL_EINVAL, 0 },
        { "4294967295", T_SMAX, 0xFFFFFFFFUL, PL_OK, 0xFFFFFFFFUL },
        { "4294967296", T_SMAX, T_U64MAX, PL_OK,
          (pl_u64)0xFFFFFFFFUL + 1 },
        { "5", T_SMAX, 4, PL_EINVAL, 0 },
        { "4", T_SMAX, 4, PL_OK, 4 },
        { "1", T_SMAX, 0, PL_EINVAL, 0 },
        { "", T_SMAX, T_U64MAX, PL_EINVAL, 0 },
        { "-1", T_SMAX, T_U64MAX, PL_EINVAL, 0 },
        { "+1", T_SMAX, T_U64MAX, PL_EINVAL, 0 },
        { "1a", T_SMAX, T_U64MAX, PL_EINVAL, 0 },
        { "a1", T_SMAX, T_U64MAX, PL_EINVAL, 0 },
        { " 1", T_SMAX, T_U64MAX, PL_EINVAL, 0 },
        { "1 ", T_SMAX, T_U64MAX, PL_EINVAL, 0 },
        { "1e9", T_SMAX, T_U64MAX, PL_EINVAL, 0 },
        { "0x10", T_SMAX, T_U64MAX, PL_EINVAL, 0 },
        /* Leading zeros are accepted (documented in ut_str.c). */
        { "01", T_SMAX, T_U64MAX, PL_OK, 1 },
        { "00000000000000000001", T_SMAX, T_U64MAX, PL_OK, 1 },
        /* 21 digits are refused whatever their value. */
        { "000000000000000000001", T_SMAX, T_U64MAX, PL_EINVAL, 0 },
        { "123456789012345678901", T_SMAX, T_U64MAX, PL_EINVAL, 0 },
        /* Only len bytes are read: no NUL needed, trailing bytes ignored. */
        { "12345", 3, T_U64MAX, PL_OK, 123 },
        { "1\0" "2", 3, T_U64MAX, PL_EINVAL, 0 },
        { "7", 0, T_U64MAX, PL_EINVAL, 0 }
    };
    size_t i, len;
    pl_u64 v;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        len = rows[i].len == T_SMAX ? strlen(rows[i].s) : rows[i].len;
        v = 4242;
        CU_ASSERT(ut_parse_u64(rows[i].s, len, rows[i].max, &v) == rows[i].rc);
        if (rows[i].rc == PL_OK) {
            CU_ASSERT(v == rows[i].v);
        } else {
            CU_ASSERT(v == 4242);
        }   /* untouched on failure */
    }
    CU_ASSERT(ut_parse_u64(NULL, 0, T_U64MAX, &v) == PL_EINVAL);
}

static void t_u64_to_dec(void)
{
    static const struct {
        pl_u64 v;
        const char *s;
    } rows[] = {
        { 0, "0" }, { 1, "1" }, { 9, "9" }, { 10, "10" },
        { 4294967295UL, "4294967295" },
        { (pl_u64)4294967295UL + 1, "4294967296" },
        { T_U64MAX, "18446744073709551615" },
        { T_U64MAX - 1, "18446744073709551614" }
    };
    char buf[21];
    size_t i, n, k;
    pl_u64 v, back;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        memset(buf, 'x', sizeof buf);
        n = ut_u64_to_dec(buf, rows[i].v);
        CU_ASSERT(n == strlen(rows[i].s));
        CU_ASSERT(strcmp(buf, rows[i].s) == 0);
    }
    /* Round trips over values spread across all 64 bits. */
    for (i = 0; i < 2000; i++) {
        v = 0;
        for (k = 0; k < 8; k++)
            v = (v << 8) | t_rand8();
        v >>= i % 64;
        n = ut_u64_to_dec(buf, v);
        CU_ASSERT(n >= 1 && n <= 20 && buf[n] == '\0');
        back = v + 1;
        CU_ASSERT(ut_parse_u64(buf, n, T_U64MAX, &back) == PL_OK);
        CU_ASSERT(back == v);
    }
}

/* ------------------------------------------------------------------ */
/* Strings and memory                                                  */
/* ------------------------------------------------------------------ */

static void t_strlcpy(void)
{
    static const struct {
        const char *src;
        size_t n;
        int rc;
        const char *want;
    } rows[] = {
        { "abc", 8, PL_OK, "abc" },
        { "abc", 4, PL_OK, "abc" },
        { "abc", 3, PL_ERANGE, "ab" },
        { "abc", 2, PL_ERANGE, "a" },
        { "abc", 1, PL_ERANGE, "" },
        { "", 1, PL_OK, "" }
    };
    char dst[8];
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        memset(dst, 'x', sizeof dst);
        CU_ASSERT(ut_strlcpy(dst, rows[i].src, rows[i].n) == rows[i].rc);
        CU_ASSERT(strcmp(dst, rows[i].want) == 0);
        /* Nothing beyond n was written. */
        if (rows[i].n < sizeof dst)
            CU_ASSERT(dst[rows[i].n] == 'x');
    }
    memset(dst, 'x', sizeof dst);
    CU_ASSERT(ut_strlcpy(dst, "abc", 0) == PL_ERANGE);
    CU_ASSERT(dst[0] == 'x');
}

static void t_strlcat(void)
{
    static const struct {
        const char *dst, *src;
        size_t n;
        int rc;
        const char *want;
    } rows[] = {
        { "ab", "cd", 8, PL_OK, "abcd" },
        { "ab", "cd", 5, PL_OK, "abcd" },
        { "ab", "cd", 4, PL_ERANGE, "abc" },
        { "ab", "cd", 3, PL_ERANGE, "ab" },
        { "ab", "", 3, PL_OK, "ab" },
        { "", "abc", 4, PL_OK, "abc" },
        { "abc", "d", 4, PL_ERANGE, "abc" }
    };
    char dst[8];
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        memset(dst, 'x', sizeof dst);
        strcpy(dst, rows[i].dst);
        CU_ASSERT(ut_strlcat(dst, rows[i].src, rows[i].n) == rows[i].rc);
        CU_ASSERT(strcmp(dst, rows[i].want) == 0);
        if (rows[i].n < sizeof dst)
            CU_ASSERT(dst[rows[i].n] == 'x' || rows[i].n <= strlen(rows[i].dst));
    }
    /* No NUL within n: refused, nothing written. */
    memset(dst, 'x', sizeof dst);
    CU_ASSERT(ut_strlcat(dst, "a", 4) == PL_ERANGE);
    CU_ASSERT(memcmp(dst, "xxxxxxxx", 8) == 0);
}

static void t_memtostr(void)
{
    char dst[4];

    CU_ASSERT(ut_memtostr(dst, sizeof dst, "abc", 3) == PL_OK);
    CU_ASSERT(strcmp(dst, "abc") == 0);
    CU_ASSERT(ut_memtostr(dst, sizeof dst, "abcd", 4) == PL_ERANGE);
    CU_ASSERT(dst[0] == '\0');
    CU_ASSERT(ut_memtostr(dst, sizeof dst, "", 0) == PL_OK);
    CU_ASSERT(dst[0] == '\0');
    CU_ASSERT(ut_memtostr(dst, sizeof dst, "a\0b", 3) == PL_OK);
    CU_ASSERT(memcmp(dst, "a\0b\0", 4) == 0);
    CU_ASSERT(ut_memtostr(dst, 0, "a", 1) == PL_ERANGE);
}

static void t_strdup_case(void)
{
    char *p;
    int c;

    p = ut_strdup("Hello");
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT(strcmp(p, "Hello") == 0);
    free(p);
    /* Only A-Z and a-z change, whatever the locale says about 8-bit. */
    for (c = 0; c < 256; c++) {
        if (c >= 'a' && c <= 'z') {
            CU_ASSERT(ut_toupper(c) == c - 32);
        } else {
            CU_ASSERT(ut_toupper(c) == c);
        }
        if (c >= 'A' && c <= 'Z') {
            CU_ASSERT(ut_tolower(c) == c + 32);
        } else {
            CU_ASSERT(ut_tolower(c) == c);
        }
    }
    CU_ASSERT(ut_strcaseeq("QUIT", "quit") == 1);
    CU_ASSERT(ut_strcaseeq("QUIT", "QUITS") == 0);
    CU_ASSERT(ut_strcaseeq("", "") == 1);
    CU_ASSERT(ut_strcaseeq("a", "") == 0);
    CU_ASSERT(ut_strcaseeq("\xe9", "\xc9") == 0);   /* no Latin-1 folding */
    CU_ASSERT(ut_strcaseeq("[", "{") == 0);
    CU_ASSERT(ut_strncaseeq("MAIL FROM:<a>", "mail from:", 10) == 1);
    CU_ASSERT(ut_strncaseeq("MAIL", "mail from:", 10) == 0);
    CU_ASSERT(ut_strncaseeq("abc", "abd", 2) == 1);
    CU_ASSERT(ut_strncaseeq("abc", "abd", 3) == 0);
    CU_ASSERT(ut_strncaseeq("ab", "AB", 5) == 1);
    CU_ASSERT(ut_strncaseeq("x", "y", 0) == 1);
}

static void t_wipe(void)
{
    unsigned char b[32];
    size_t i;

    memset(b, 0xAA, sizeof b);
    ut_wipe(b + 4, 20);
    for (i = 0; i < sizeof b; i++)
        CU_ASSERT(b[i] == ((i >= 4 && i < 24) ? 0 : 0xAA));
    ut_wipe(b, 0);
    CU_ASSERT(b[0] == 0xAA);
}

static void t_memeq_ct(void)
{
    static const struct {
        const char *a, *b;
        size_t n;
        int eq;
    } rows[] = {
        { "secret", "secret", 6, 1 },
        { "secret", "Secret", 6, 0 },
        { "secret", "secreT", 6, 0 },
        { "secret", "secrex", 5, 1 },
        { "a", "b", 0, 1 },
        { "a\0b", "a\0c", 3, 0 },
        { "\x80", "\x00", 1, 0 }
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CU_ASSERT(ut_memeq_ct(rows[i].a, rows[i].b, rows[i].n) == rows[i].eq);
}

static void t_trim(void)
{
    static const struct {
        const char *in, *out;
    } rows[] = {
        { "  a b \t", "a b" }, { "", "" }, { "   ", "" }, { "\t\t", "" },
        { "\tx", "x" }, { "x", "x" }, { "x ", "x" }, { " x", "x" },
        { "a\n", "a\n" }, { "\r a \r", "\r a \r" }
    };
    char buf[32];
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        strcpy(buf, rows[i].in);
        CU_ASSERT(ut_trim(buf) == buf);
        CU_ASSERT(strcmp(buf, rows[i].out) == 0);
    }
}

/* ------------------------------------------------------------------ */
/* Buffer                                                              */
/* ------------------------------------------------------------------ */

static void t_buf_grow(void)
{
    ut_buf b;
    size_t i;
    int ok = 1;

    ut_buf_init(&b, 0);
    CU_ASSERT(b.data == NULL && b.len == 0);
    CU_ASSERT(strcmp(ut_buf_str(&b), "") == 0);
    for (i = 0; i < 10000; i++)
        if (ut_buf_addc(&b, 'a' + (int)(i % 26)) != PL_OK)
            ok = 0;
    CU_ASSERT(ok);
    CU_ASSERT(b.len == 10000);
    CU_ASSERT(b.cap >= b.len + 1);
    CU_ASSERT(b.data[b.len] == '\0');
    for (i = 0; i < 10000; i++)
        if (b.data[i] != 'a' + (int)(i % 26))
            ok = 0;
    CU_ASSERT(ok);
    ut_buf_clear(&b);
    CU_ASSERT(b.len == 0 && b.cap >= 10001 && b.data != NULL);
    CU_ASSERT(strcmp(ut_buf_str(&b), "") == 0);
    CU_ASSERT(ut_buf_add(&b, "x\0y", 3) == PL_OK);
    CU_ASSERT(b.len == 3 && memcmp(b.data, "x\0y\0", 4) == 0);
    CU_ASSERT(ut_buf_addc(&b, 0) == PL_OK);
    CU_ASSERT(b.len == 4 && b.data[3] == '\0' && b.data[4] == '\0');
    CU_ASSERT(ut_buf_add(&b, NULL, 0) == PL_OK);
    CU_ASSERT(ut_buf_add(&b, NULL, 1) == PL_EINVAL);
    CU_ASSERT(b.len == 4);
    ut_buf_free(&b);
    CU_ASSERT(b.data == NULL && b.len == 0 && b.cap == 0);
    CU_ASSERT(strcmp(ut_buf_str(&b), "") == 0);
    CU_ASSERT(ut_buf_adds(&b, "again") == PL_OK);
    CU_ASSERT(strcmp(ut_buf_str(&b), "again") == 0);
    ut_buf_wipe(&b);
    CU_ASSERT(b.data == NULL && b.len == 0 && b.cap == 0);
}

static void t_buf_limit(void)
{
    ut_buf b;

    ut_buf_init(&b, 10);
    CU_ASSERT(ut_buf_adds(&b, "12345") == PL_OK);
    CU_ASSERT(ut_buf_adds(&b, "678901") == PL_ERANGE);
    CU_ASSERT(b.len == 5 && strcmp(ut_buf_str(&b), "12345") == 0);
    CU_ASSERT(ut_buf_adds(&b, "67890") == PL_OK);
    CU_ASSERT(b.len == 10 && strcmp(ut_buf_str(&b), "1234567890") == 0);
    CU_ASSERT(ut_buf_addc(&b, 'x') == PL_ERANGE);
    CU_ASSERT(ut_buf_addf(&b, "%d", 1) == PL_ERANGE);
    CU_ASSERT(b.len == 10 && strcmp(ut_buf_str(&b), "1234567890") == 0);
    CU_ASSERT(b.cap <= 11);   /* never holds more than the limit allows */
    CU_ASSERT(ut_buf_reserve(&b, 0) == PL_OK);
    CU_ASSERT(ut_buf_reserve(&b, 1) == PL_ERANGE);
    ut_buf_free(&b);

    /* Size arithmetic at SIZE_MAX: refused, not wrapped. */
    ut_buf_init(&b, 0);
    CU_ASSERT(ut_buf_adds(&b, "abc") == PL_OK);
    CU_ASSERT(ut_buf_reserve(&b, T_SMAX) == PL_ERANGE);
    CU_ASSERT(ut_buf_reserve(&b, T_SMAX - 3) == PL_ERANGE);  /* the NUL */
    CU_ASSERT(b.len == 3 && strcmp(ut_buf_str(&b), "abc") == 0);
    ut_buf_free(&b);
}

static void t_buf_enomem(void)
{
    ut_buf b;
    char *before;

    /* An allocation no system grants: PL_ENOMEM, buffer as it was.  (Run
     * the sanitizer build with allocator_may_return_null=1.) */
    ut_buf_init(&b, 0);
    CU_ASSERT(ut_buf_adds(&b, "keep") == PL_OK);
    before = b.data;
    CU_ASSERT(ut_buf_reserve(&b, T_SMAX - 64) == PL_ENOMEM);
    CU_ASSERT(b.data == before && b.len == 4);
    CU_ASSERT(strcmp(ut_buf_str(&b), "keep") == 0);
    CU_ASSERT(ut_buf_add(&b, "x", 1) == PL_OK);
    CU_ASSERT(strcmp(ut_buf_str(&b), "keepx") == 0);
    ut_buf_free(&b);
}

static void t_buf_addf(void)
{
    ut_buf b;
    char big[1001];
    size_t i;

    ut_buf_init(&b, 0);
    CU_ASSERT(ut_buf_addf(&b, "%s-%d", "a", 42) == PL_OK);
    CU_ASSERT(strcmp(ut_buf_str(&b), "a-42") == 0);
    CU_ASSERT(ut_buf_addf(&b, "%s", "") == PL_OK);
    CU_ASSERT(b.len == 4);
    memset(big, 'z', 1000);
    big[1000] = '\0';
    CU_ASSERT(ut_buf_addf(&b, "[%s]", big) == PL_OK);
    CU_ASSERT(b.len == 4 + 1002);
    CU_ASSERT(b.data[4] == '[' && b.data[1005] == ']' && b.data[1006] == 0);
    for (i = 5; i < 1005; i++)
        if (b.data[i] != 'z')
            break;
    CU_ASSERT(i == 1005);
    ut_buf_free(&b);

    /* Over the limit: refused and the old contents stay terminated, even
     * though the first attempt wrote into the spare room. */
    ut_buf_init(&b, 20);
    CU_ASSERT(ut_buf_adds(&b, "0123456789") == PL_OK);
    CU_ASSERT(ut_buf_addf(&b, "%s", "abcdefghijk") == PL_ERANGE);
    CU_ASSERT(b.len == 10 && strcmp(ut_buf_str(&b), "0123456789") == 0);
    CU_ASSERT(ut_buf_addf(&b, "%s", "abcdefghij") == PL_OK);
    CU_ASSERT(b.len == 20);
    ut_buf_free(&b);

    /* Growth inside addf keeps the prefix. */
    ut_buf_init(&b, 0);
    CU_ASSERT(ut_buf_adds(&b, "x") == PL_OK);
    CU_ASSERT(ut_buf_addf(&b, "%0200d", 7) == PL_OK);
    CU_ASSERT(b.len == 201 && b.data[0] == 'x' && b.data[1] == '0' &&
              b.data[200] == '7' && b.data[201] == '\0');
    ut_buf_wipe(&b);
}

/* ------------------------------------------------------------------ */
/* base64 and hex                                                      */
/* ------------------------------------------------------------------ */

static void t_b64_vectors(void)
{
    /* RFC 4648 section 10. */
    static const struct {
        const char *plain, *enc;
    } rows[] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
        { "foobar", "Zm9vYmFy" }
    };
    char out[16], dec[16];
    size_t i, n, pl;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pl = strlen(rows[i].plain);
        CU_ASSERT(ut_b64_enc_size(pl) == strlen(rows[i].enc) + 1);
        n = 99;
        CU_ASSERT(ut_b64_encode(rows[i].plain, pl, out, sizeof out, &n) ==
                  PL_OK);
        CU_ASSERT(strcmp(out, rows[i].enc) == 0);
        CU_ASSERT(n == strlen(rows[i].enc));
        /* Exactly enough room, and one octet too little. */
        CU_ASSERT(ut_b64_encode(rows[i].plain, pl, out, n + 1, NULL) ==
                  PL_OK);
        CU_ASSERT(ut_b64_encode(rows[i].plain, pl, out, n, NULL) ==
                  PL_ERANGE);
        n = 99;
        CU_ASSERT(ut_b64_decode(rows[i].enc, strlen(rows[i].enc), dec,
                                sizeof dec, &n) == PL_OK);
        CU_ASSERT(n == pl && memcmp(dec, rows[i].plain, pl) == 0);
        if (pl > 0)
            CU_ASSERT(ut_b64_decode(rows[i].enc, strlen(rows[i].enc), dec,
                                    pl - 1, &n) == PL_ERANGE);
    }
    CU_ASSERT(ut_b64_enc_size(T_SMAX) == 0);      /* would overflow */
    CU_ASSERT(ut_b64_enc_size(T_SMAX / 4 * 3 + 1) == 0);
    CU_ASSERT(ut_b64_enc_size(T_SMAX / 4 * 3) == T_SMAX / 4 * 4 + 1);
    CU_ASSERT(ut_b64_decode("", 0, NULL, 0, &n) == PL_OK && n == 0);
}

static void t_b64_invalid(void)
{
    static const char *const bad[] = {
        "AAA", "=", "==", "!!!!", "A===", "====", "Zg", "Zg=", "Zm9v=",
        "Zg==Zg==", "Zm=v", "Zm8=Zm9v", "Z=9v",
        "Zh==",        /* pad bits set: 'h' has low bits 0001 */
        "Zm9=",        /* pad bits set: '9' has low bits 01 */
        "Zm9vYh==", "Zm9vYmF=",
        " Zm9v", "Zm9v ", "Zm 9v", "Zm9v\r\n", "Zm\n9v",
        "Zm-_", "Zm9v====", "Zm9v\0\0\0\0"
    };
    static const size_t badlen[] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 8
    };
    unsigned char out[32];
    size_t i, n, len;

    CU_ASSERT_FATAL(sizeof bad / sizeof bad[0] ==
                    sizeof badlen / sizeof badlen[0]);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        len = badlen[i] != 0 ? badlen[i] : strlen(bad[i]);
        memset(out, 0x5A, sizeof out);
        n = 77;
        CU_ASSERT(ut_b64_decode(bad[i], len, out, sizeof out, &n) ==
                  PL_EINVAL);
        CU_ASSERT(n == 77);
        CU_ASSERT(out[0] == 0x5A);   /* nothing written */
    }
    /* The canonical neighbours of the pad-bit cases are fine. */
    CU_ASSERT(ut_b64_decode("Zg==", 4, out, sizeof out, &n) == PL_OK);
    CU_ASSERT(ut_b64_decode("Zm8=", 4, out, sizeof out, &n) == PL_OK);
}

static void t_b64_binary(void)
{
    /* SASL PLAIN "\0u\0p\0x": the NULs come back, with the length. */
    static const unsigned char want[] = { 0, 'u', 0, 'p', 0, 'x' };
    unsigned char in[64], dec[64];
    char enc[128];
    size_t n, len, i;

    CU_ASSERT(ut_b64_decode("AHUAcAB4", 8, dec, sizeof dec, &n) == PL_OK);
    CU_ASSERT(n == 6 && memcmp(dec, want, 6) == 0);
    CU_ASSERT(ut_b64_encode(want, 6, enc, sizeof enc, &n) == PL_OK);
    CU_ASSERT(strcmp(enc, "AHUAcAB4") == 0);
    for (len = 0; len <= 64; len++) {
        for (i = 0; i < len; i++)
            in[i] = (unsigned char)t_rand8();
        CU_ASSERT(ut_b64_encode(in, len, enc, sizeof enc, &n) == PL_OK);
        CU_ASSERT(n == ut_b64_enc_size(len) - 1);
        CU_ASSERT(ut_b64_decode(enc, n, dec, sizeof dec, &n) == PL_OK);
        CU_ASSERT(n == len && memcmp(in, dec, len) == 0);
    }
}

static void t_hex(void)
{
    static const unsigned char bytes[] = { 0x00, 0x01, 0xab, 0xff, 0x7f };
    unsigned char dec[8];
    char out[16];
    size_t n;

    CU_ASSERT(ut_hex_encode(bytes, 5, out, sizeof out) == PL_OK);
    CU_ASSERT(strcmp(out, "0001abff7f") == 0);
    CU_ASSERT(ut_hex_encode(bytes, 5, out, 11) == PL_OK);
    CU_ASSERT(ut_hex_encode(bytes, 5, out, 10) == PL_ERANGE);
    CU_ASSERT(ut_hex_encode(bytes, 0, out, 1) == PL_OK && out[0] == '\0');
    CU_ASSERT(ut_hex_encode(bytes, 0, out, 0) == PL_ERANGE);
    CU_ASSERT(ut_hex_decode("0001ABff7F", 10, dec, sizeof dec, &n) == PL_OK);
    CU_ASSERT(n == 5 && memcmp(dec, bytes, 5) == 0);
    CU_ASSERT(ut_hex_decode("", 0, dec, 0, &n) == PL_OK && n == 0);
    n = 77;
    CU_ASSERT(ut_hex_decode("abc", 3, dec, sizeof dec, &n) == PL_EINVAL);
    CU_ASSERT(ut_hex_decode("0g", 2, dec, sizeof dec, &n) == PL_EINVAL);
    CU_ASSERT(ut_hex_decode("g0", 2, dec, sizeof dec, &n) == PL_EINVAL);
    CU_ASSERT(ut_hex_decode(" 0", 2, dec, sizeof dec, &n) == PL_EINVAL);
    CU_ASSERT(ut_hex_decode("0x", 2, dec, sizeof dec, &n) == PL_EINVAL);
    CU_ASSERT(n == 77);
    CU_ASSERT(ut_hex_decode("0001", 4, dec, 1, &n) == PL_ERANGE);
}

/* ------------------------------------------------------------------ */
/* Dates                                                               */
/* ------------------------------------------------------------------ */

static void t_date_split(void)
{
    static const struct {
        pl_i64 t;
        pl_i32 off;
        int y, mo, d, h, mi, s, wd;
    } rows[] = {
        { 0, 0, 1970, 1, 1, 0, 0, 0, 4 },
        { 0, -3600, 1969, 12, 31, 23, 0, 0, 3 },
        { 0, 19800, 1970, 1, 1, 5, 30, 0, 4 },
        { 86399, 0, 1970, 1, 1, 23, 59, 59, 4 },
        { 951782400LL, 0, 2000, 2, 29, 0, 0, 0, 2 },
        { 951868799LL, 0, 2000, 2, 29, 23, 59, 59, 2 },
        { 951868800LL, 0, 2000, 3, 1, 0, 0, 0, 3 },
        { 1000000000LL, 0, 2001, 9, 9, 1, 46, 40, 0 },
        { 2147483647LL, 0, 2038, 1, 19, 3, 14, 7, 2 },
        { 2147483648LL, 0, 2038, 1, 19, 3, 14, 8, 2 },
        { 4102444800LL, 0, 2100, 1, 1, 0, 0, 0, 5 },
        { 4107542400LL, 0, 2100, 3, 1, 0, 0, 0, 1 },
        { 4107542400LL, -1, 2100, 2, 28, 23, 59, 59, 0 },
        { 4102444800LL, -28800, 2099, 12, 31, 16, 0, 0, 4 },
        { 253402300799LL, 0, 9999, 12, 31, 23, 59, 59, 5 }
    };
    ut_tm tm;
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ut_date_split(rows[i].t, rows[i].off, &tm);
        CU_ASSERT(tm.year == rows[i].y);
        CU_ASSERT(tm.month == rows[i].mo);
        CU_ASSERT(tm.day == rows[i].d);
        CU_ASSERT(tm.hour == rows[i].h);
        CU_ASSERT(tm.min == rows[i].mi);
        CU_ASSERT(tm.sec == rows[i].s);
        CU_ASSERT(tm.wday == rows[i].wd);
    }
}

/* Walk the calendar month by month with the leap-year rule and compare
 * every first and last day of a month from 1970 to 2500. */
static void t_date_walk(void)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
                                   30, 31 };
    pl_i64 days = 0;
    ut_tm tm;
    int y, m, len, bad = 0;

    for (y = 1970; y <= 2500; y++) {
        for (m = 1; m <= 12; m++) {
            len = mdays[m - 1];
            if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
                len = 29;
            ut_date_split(days * 86400, 0, &tm);
            if (tm.year != y || tm.month != m || tm.day != 1 ||
                tm.wday != (int)((days + 4) % 7) || tm.hour != 0)
                bad++;
            ut_date_split((days + len) * 86400 - 1, 0, &tm);
            if (tm.year != y || tm.month != m || tm.day != len ||
                tm.hour != 23 || tm.min != 59 || tm.sec != 59)
                bad++;
            days += len;
        }
    }
    CU_ASSERT(bad == 0);
}

static void t_date_rfc5322(void)
{
    static const struct {
        pl_i64 t;
        pl_i32 off;
        const char *want;
    } rows[] = {
        { 0, 0, "Thu, 01 Jan 1970 00:00:00 +0000" },
        { 0, 19800, "Thu, 01 Jan 1970 05:30:00 +0530" },
        { 0, -28800, "Wed, 31 Dec 1969 16:00:00 -0800" },
        { 951782400LL, 3600, "Tue, 29 Feb 2000 01:00:00 +0100" },
        { 1795823941LL, 3600, "Sat, 28 Nov 2026 00:59:01 +0100" },
        { 253402300799LL, 0, "Fri, 31 Dec 9999 23:59:59 +0000" },
        { 0, -34200, "Wed, 31 Dec 1969 14:30:00 -0930" }
    };
    char buf[64];
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        CU_ASSERT(ut_date_rfc5322(rows[i].t, rows[i].off, buf, sizeof buf) ==
                  PL_OK);
        CU_ASSERT(strcmp(buf, rows[i].want) == 0);
        if (strcmp(buf, rows[i].want) != 0)
            fprintf(stderr, "\n  rfc5322: got \"%s\"\n", buf);
    }
    CU_ASSERT(ut_date_rfc5322(0, 0, buf, 32) == PL_OK);
    CU_ASSERT(ut_date_rfc5322(0, 0, buf, 31) == PL_ERANGE);
    CU_ASSERT(buf[0] == '\0');
    CU_ASSERT(ut_date_rfc5322(0, 360000, buf, sizeof buf) == PL_EINVAL);
    CU_ASSERT(ut_date_rfc5322(0, -360000, buf, sizeof buf) == PL_EINVAL);
    CU_ASSERT(ut_date_rfc5322(253402300800LL + 400000, 0, buf, sizeof buf) ==
              PL_EINVAL);
    CU_ASSERT(ut_date_rfc5322((pl_i64)0x7fffffff * 0x7fffffff, 0, buf,
                              sizeof buf) == PL_EINVAL);
}

static void t_date_now(void)
{
    char buf[64];
    ut_tm tm;
    pl_i64 t;

    t = pl_time_now();
    CU_ASSERT(ut_date_rfc5322_now(buf, sizeof buf) == PL_OK);
    CU_ASSERT(strlen(buf) == 31);
    CU_ASSERT(buf[3] == ',' && buf[4] == ' ' && buf[25] == ' ');
    CU_ASSERT(buf[26] == '+' || buf[26] == '-');
    /* The year printed is this year or a neighbour (offset, midnight). */
    ut_date_split(t, 0, &tm);
    CU_ASSERT(atoi(buf + 12) >= tm.year - 1 && atoi(buf + 12) <= tm.year + 1);
    CU_ASSERT(ut_date_rfc5322_now(buf, 8) == PL_ERANGE);
}

/* ------------------------------------------------------------------ */
/* Logging                                                             */
/* ------------------------------------------------------------------ */

/* The rule, written independently of ut_log.c. */
static size_t t_esc_one(unsigned c, char *out)
{
    if (c == '\\')
        return (size_t)sprintf(out, "\\\\");
    if (c < 0x20 || c == 0x7f || c >= 0x80)
        return (size_t)sprintf(out, "\\x%02X", c);
    return (size_t)sprintf(out, "%c", (int)c);
}

static void t_log_escape_bytes(void)
{
    char in[1], out[16], want[8];
    unsigned c;
    size_t n;

    for (c = 0; c < 256; c++) {
        in[0] = (char)c;
        n = ut_log_escape(in, 1, out, sizeof out);
        CU_ASSERT(n == t_esc_one(c, want));
        CU_ASSERT(strcmp(out, want) == 0);
    }
}

static void t_log_escape_table(void)
{
    static const struct {
        const char *in;
        size_t n;
        size_t outsz;
        const char *want;
    } rows[] = {
        { T_S("plain text"), 32, "plain text" },
        { T_S("a\r\nb"), 32, "a\\x0D\\x0Ab" },
        { T_S("x\0y"), 32, "x\\x00y" },
        { T_S("\x1b[2J"), 32, "\\x1B[2J" },
        { T_S("\x7f\xff\x80"), 32, "\\x7F\\xFF\\x80" },
        { T_S("c:\\x0A"), 32, "c:\\\\x0A" },    /* a forged escape */
        { T_S("\t"), 32, "\\x09" },
        { T_S(""), 32, "" },
        /* Cuts: room for outsz - 1 octets, "..." included. */
        { T_S("abcdef"), 7, "abcdef" },
        { T_S("abcdef"), 6, "ab..." },
        { T_S("abcdefg"), 7, "abc..." },
        { T_S("\n\n"), 9, "\\x0A\\x0A" },
        { T_S("\n\n"), 8, "\\x0A..." },
        { T_S("\n\n"), 7, "..." },          /* never half an escape */
        { T_S("a\\b"), 5, "a\\\\b" },
        { T_S("a\\bcd"), 7, "a\\\\bcd" },
        { T_S("a\\bcd"), 6, "a..." },
        { T_S("a\\bcdef"), 7, "a\\\\..." },
        { T_S("abc"), 3, ".." },
        { T_S("abc"), 1, "" }
    };
    char out[64];
    size_t i, n;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        memset(out, 'Q', sizeof out);
        n = ut_log_escape(rows[i].in, rows[i].n, out, rows[i].outsz);
        CU_ASSERT(n == strlen(rows[i].want));
        CU_ASSERT(strcmp(out, rows[i].want) == 0);
        CU_ASSERT(n < rows[i].outsz);
        CU_ASSERT(out[rows[i].outsz] == 'Q');   /* nothing past outsz */
        if (strcmp(out, rows[i].want) != 0)
            fprintf(stderr, "\n  escape row %lu: got \"%s\"\n",
                    (unsigned long)i, out);
    }
    out[0] = 'Q';
    CU_ASSERT(ut_log_escape("abc", 3, out, 0) == 0);
    CU_ASSERT(out[0] == 'Q');
}

static void t_log_format(void)
{
    static char big[UT_LOG_LINE_MAX + 100];
    static char out[UT_LOG_LINE_MAX + 100];
    size_t n;

    n = ut_log_format(out, sizeof out, "user=%s n=%d", "a\r\nb", 5);
    CU_ASSERT(strcmp(out, "user=a\\x0D\\x0Ab n=5") == 0);
    CU_ASSERT(n == strlen(out));
    n = ut_log_format(out, sizeof out, "%c|%s", 0, "%n%s");
    CU_ASSERT(strcmp(out, "\\x00|%n%s") == 0);

    /* Exactly UT_LOG_LINE_MAX octets: kept whole. */
    memset(big, 'a', UT_LOG_LINE_MAX);
    big[UT_LOG_LINE_MAX] = '\0';
    n = ut_log_format(out, sizeof out, "%s", big);
    CU_ASSERT(n == UT_LOG_LINE_MAX && strcmp(out, big) == 0);
    /* One more: cut to the maximum with "...". */
    big[UT_LOG_LINE_MAX] = 'b';
    big[UT_LOG_LINE_MAX + 1] = '\0';
    n = ut_log_format(out, sizeof out, "%s", big);
    CU_ASSERT(n == UT_LOG_LINE_MAX);
    CU_ASSERT(strcmp(out + n - 3, "...") == 0);
    CU_ASSERT(out[n - 4] == 'a');
    /* Escapes that push a fitting line over the maximum. */
    memset(big, 'a', UT_LOG_LINE_MAX);
    big[UT_LOG_LINE_MAX - 2] = '\n';
    big[UT_LOG_LINE_MAX - 1] = '\0';
    n = ut_log_format(out, sizeof out, "%s", big);
    CU_ASSERT(n <= UT_LOG_LINE_MAX && n >= UT_LOG_LINE_MAX - 3);
    CU_ASSERT(strcmp(out + n - 3, "...") == 0);
    CU_ASSERT(strstr(out, "\\x0") == NULL);   /* cut before the escape */
    /* A small output buffer. */
    n = ut_log_format(out, 8, "%s", "0123456789");
    CU_ASSERT(n == 7 && strcmp(out, "0123...") == 0);
}

static void t_log_levels(void)
{
    static const struct {
        const char *name;
        int rc, level;
    } rows[] = {
        { "error", PL_OK, PL_LOG_ERROR }, { "ERROR", PL_OK, PL_LOG_ERROR },
        { "warn", PL_OK, PL_LOG_WARN }, { "Warning", PL_OK, PL_LOG_WARN },
        { "notice", PL_OK, PL_LOG_NOTICE }, { "info", PL_OK, PL_LOG_INFO },
        { "debug", PL_OK, PL_LOG_DEBUG }, { "DeBuG", PL_OK, PL_LOG_DEBUG },
        { "", PL_EINVAL, 0 }, { "err", PL_EINVAL, 0 },
        { "warnings", PL_EINVAL, 0 }, { "info ", PL_EINVAL, 0 },
        { "trace", PL_EINVAL, 0 }, { "3", PL_EINVAL, 0 }
    };
    size_t i;
    int lv, old;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        lv = -7;
        CU_ASSERT(ut_log_level_parse(rows[i].name, &lv) == rows[i].rc);
        CU_ASSERT(lv == (rows[i].rc == PL_OK ? rows[i].level : -7));
    }
    for (lv = PL_LOG_ERROR; lv <= PL_LOG_DEBUG; lv++) {
        old = -7;
        CU_ASSERT(ut_log_level_parse(ut_log_level_name(lv), &old) == PL_OK);
        CU_ASSERT(old == lv);
    }
    CU_ASSERT(strcmp(ut_log_level_name(PL_LOG_WARN), "warn") == 0);
    CU_ASSERT(strcmp(ut_log_level_name(99), "unknown") == 0);
    CU_ASSERT(strcmp(ut_log_level_name(-1), "unknown") == 0);

    old = ut_log_get_level();
    ut_log_set_level(PL_LOG_DEBUG);
    CU_ASSERT(ut_log_get_level() == PL_LOG_DEBUG);
    CU_ASSERT(ut_log_enabled(PL_LOG_DEBUG) == 1);
    ut_log_set_level(PL_LOG_WARN);
    CU_ASSERT(ut_log_enabled(PL_LOG_ERROR) == 1);
    CU_ASSERT(ut_log_enabled(PL_LOG_WARN) == 1);
    CU_ASSERT(ut_log_enabled(PL_LOG_NOTICE) == 0);
    CU_ASSERT(ut_log_enabled(PL_LOG_DEBUG) == 0);
    ut_log_set_level(99);
    CU_ASSERT(ut_log_get_level() == PL_LOG_DEBUG);
    ut_log_set_level(-5);
    CU_ASSERT(ut_log_get_level() == PL_LOG_ERROR);
    CU_ASSERT(ut_log_enabled(PL_LOG_ERROR) == 1);
    ut_log_set_level(old);
}

int t_util_register(void)
{
    CU_pSuite s;

    s = CU_add_suite("util", NULL, NULL);
    if (s == NULL)
        return -1;
    if (CU_add_test(s, "checked arithmetic", t_arith) == NULL ||
        CU_add_test(s, "ut_parse_u64", t_parse_u64) == NULL ||
        CU_add_test(s, "ut_u64_to_dec", t_u64_to_dec) == NULL ||
        CU_add_test(s, "ut_strlcpy", t_strlcpy) == NULL ||
        CU_add_test(s, "ut_strlcat", t_strlcat) == NULL ||
        CU_add_test(s, "ut_memtostr", t_memtostr) == NULL ||
        CU_add_test(s, "strdup and case", t_strdup_case) == NULL ||
        CU_add_test(s, "ut_wipe", t_wipe) == NULL ||
        CU_add_test(s, "ut_memeq_ct", t_memeq_ct) == NULL ||
        CU_add_test(s, "ut_trim", t_trim) == NULL ||
        CU_add_test(s, "buf growth", t_buf_grow) == NULL ||
        CU_add_test(s, "buf limit", t_buf_limit) == NULL ||
        CU_add_test(s, "buf ENOMEM", t_buf_enomem) == NULL ||
        CU_add_test(s, "buf addf", t_buf_addf) == NULL ||
        CU_add_test(s, "base64 RFC 4648 vectors", t_b64_vectors) == NULL ||
        CU_add_test(s, "base64 invalid", t_b64_invalid) == NULL ||
        CU_add_test(s, "base64 binary", t_b64_binary) == NULL ||
        CU_add_test(s, "hex", t_hex) == NULL ||
        CU_add_test(s, "date split", t_date_split) == NULL ||
        CU_add_test(s, "date calendar walk", t_date_walk) == NULL ||
        CU_add_test(s, "date rfc5322", t_date_rfc5322) == NULL ||
        CU_add_test(s, "date now", t_date_now) == NULL ||
        CU_add_test(s, "log escape every byte", t_log_escape_bytes) == NULL ||
        CU_add_test(s, "log escape table", t_log_escape_table) == NULL ||
        CU_add_test(s, "log format", t_log_format) == NULL ||
        CU_add_test(s, "log levels", t_log_levels) == NULL)
        return -1;
    return 0;
}
