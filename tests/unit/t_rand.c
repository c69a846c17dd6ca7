/*
 * t_rand.c - unit tests of pl_random (platform/pl_rand.c, OpenSSL).
 * Limits: statistical checks only as strong as "not constant".
 * Privilege: none.
 */
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "t_util.h"

static void t_rand_draws(void)
{
    unsigned char a[32], b[32], zero[32];

    memset(zero, 0, sizeof zero);
    CU_ASSERT_EQUAL(pl_random(a, sizeof a), PL_OK);
    CU_ASSERT_EQUAL(pl_random(b, sizeof b), PL_OK);
    CU_ASSERT(memcmp(a, b, sizeof a) != 0);
    CU_ASSERT(memcmp(a, zero, sizeof a) != 0);
    CU_ASSERT(memcmp(b, zero, sizeof b) != 0);
}

/* More than one chunk: the tail beyond the first chunk is filled too. */
static void t_rand_large(void)
{
    size_t n = 200000, i, zeros = 0;
    unsigned char *p = (unsigned char *)calloc(1, n);

    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(pl_random(p, n), PL_OK);
    for (i = n - 1000; i < n; i++)
        zeros += p[i] == 0;
    CU_ASSERT(zeros < 50);
    free(p);
    CU_ASSERT_EQUAL(pl_random(NULL, 0), PL_OK);
    CU_ASSERT_EQUAL(pl_random(NULL, 4), PL_EINVAL);
}

int t_rand_register(void)
{
    CU_pSuite s = CU_add_suite("rand", NULL, NULL);

    if (s == NULL ||
        CU_add_test(s, "two draws differ", t_rand_draws) == NULL ||
        CU_add_test(s, "large request", t_rand_large) == NULL)
        return -1;
    return 0;
}
