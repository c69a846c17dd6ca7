/*
 * ut_str.h - safe string, number and memory helpers with checked arithmetic.
 *
 * Contract: no function writes past the size it is given; every size sum or
 * product is checked; number parsers are strict (digits only, no sign, no
 * spaces, no overflow, an explicit maximum) so "4294967297" is never 1.
 * Limits: ASCII only; the case helpers ignore the locale on purpose.
 * Privilege: none.
 */
#ifndef UT_STR_H
#define UT_STR_H

#include "pl_types.h"

/* *out = a + b; PL_ERANGE (and *out untouched) on overflow. */
int ut_add_size(size_t a, size_t b, size_t *out);

/* *out = a * b; PL_ERANGE on overflow. */
int ut_mul_size(size_t a, size_t b, size_t *out);

/* Copy src into dst of size n, always NUL-terminated; PL_ERANGE if it had
 * to cut (dst then holds the cut string). */
int ut_strlcpy(char *dst, const char *src, size_t n);

/* Append src to the NUL-terminated dst of size n; PL_ERANGE if cut, or
 * (writing nothing) if dst has no NUL within n. */
int ut_strlcat(char *dst, const char *src, size_t n);

/* Copy exactly len bytes of src plus a NUL; PL_ERANGE if len >= n (dst
 * then holds "" when n > 0: never half a value). */
int ut_memtostr(char *dst, size_t n, const void *src, size_t len);

/* malloc'd copy of s (NULL when out of memory). */
char *ut_strdup(const char *s);

/* ASCII case folding and comparison, locale-independent. */
int ut_toupper(int c);
int ut_tolower(int c);
int ut_strcaseeq(const char *a, const char *b);           /* 1 if equal */
int ut_strncaseeq(const char *a, const char *b, size_t n); /* 1 if equal */

/* Parse a decimal number made of 1..20 ASCII digits (len bytes of s, no
 * NUL needed) into *out; PL_EINVAL for anything else or a value above max
 * (*out untouched).  Leading zeros are accepted: "01" is 1. */
int ut_parse_u64(const char *s, size_t len, pl_u64 max, pl_u64 *out);

/* Format v in decimal into buf (at least 21 bytes); returns the length.
 * Keeps 64-bit values out of printf formats (older C RTLs). */
size_t ut_u64_to_dec(char *buf, pl_u64 v);

/* Overwrite n bytes in a way the compiler may not remove (secrets). */
void ut_wipe(void *p, size_t n);

/* Compare n bytes in time independent of their contents; 1 if equal. */
int ut_memeq_ct(const void *a, const void *b, size_t n);

/* Strip leading and trailing blanks (space, tab) in place; returns s. */
char *ut_trim(char *s);

#endif
