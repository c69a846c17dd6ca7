/*
 * ut_code.h - base64 (RFC 4648, standard alphabet) and hex encoding.
 *
 * Contract: encoders NUL-terminate and return PL_ERANGE when the output
 * buffer is too small; the base64 decoder is strict (length a multiple of
 * 4, padding only at the end, no spaces, no characters outside the
 * alphabet, no non-zero bits in the padding) and rejects with PL_EINVAL;
 * decoded output may hold NUL bytes, so its length is returned.
 * Privilege: none.
 */
#ifndef UT_CODE_H
#define UT_CODE_H

#include "pl_types.h"

/* Buffer size needed to base64-encode n bytes, with the NUL; 0 if that
 * size would not fit in a size_t. */
size_t ut_b64_enc_size(size_t n);

/* Encode n bytes; *outlen (may be NULL) gets the length without the NUL.
 * PL_ERANGE if outsz < ut_b64_enc_size(n) (out then holds ""). */
int ut_b64_encode(const void *in, size_t n, char *out, size_t outsz,
                  size_t *outlen);

/* Decode n characters ("" gives 0 bytes).  PL_EINVAL for any non-strict
 * form, PL_ERANGE if the bytes do not fit outsz; on failure nothing is
 * written.  No NUL is appended: use *outlen (may be NULL). */
int ut_b64_decode(const char *in, size_t n, void *out, size_t outsz,
                  size_t *outlen);

/* Lower-case hex of n bytes into out (2n+1 bytes); PL_ERANGE if smaller
 * (out then holds ""). */
int ut_hex_encode(const void *in, size_t n, char *out, size_t outsz);

/* Decode 2k hex digits (either case) into k bytes; PL_EINVAL for an odd
 * count or a non-digit, PL_ERANGE if k > outsz; nothing written on
 * failure; *outlen may be NULL. */
int ut_hex_decode(const char *in, size_t n, void *out, size_t outsz,
                  size_t *outlen);

#endif
