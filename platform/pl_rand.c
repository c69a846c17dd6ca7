/*
 * pl_rand.c - cryptographically strong random bytes from OpenSSL, shared by
 * both platform layers.  Kept apart from pl_common.c because the 32-bit
 * test build has no OpenSSL to link.
 * Limits: none on n; RAND_bytes takes an int, so large requests are served
 * in chunks.  The native status is in OpenSSL's error queue, not in
 * pl_last_native.  Privilege: none.
 */
#include <stddef.h>
#include <openssl/rand.h>

#include "pl.h"

/* Below INT_MAX on every platform, and big enough that no caller loops. */
#define PL_RAND_CHUNK 65536

int pl_random(void *buf, size_t n)
{
    unsigned char *p = (unsigned char *)buf;

    if (buf == NULL && n > 0)
        return PL_EINVAL;
    while (n > 0) {
        size_t k = n < PL_RAND_CHUNK ? n : PL_RAND_CHUNK;

        if (RAND_bytes(p, (int)k) != 1)
            return PL_ERR;
        p += k;
        n -= k;
    }
    return PL_OK;
}
