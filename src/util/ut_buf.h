/*
 * ut_buf.h - a growable byte buffer with a hard size limit.
 *
 * Contract: data is always NUL-terminated after len bytes (the NUL is not
 * counted), growth is checked against overflow and against `limit`
 * (PL_ERANGE), allocation failure is PL_ENOMEM and leaves the buffer as it
 * was.  ut_buf_wipe() clears the bytes before freeing (secrets).
 * Privilege: none.
 */
#ifndef UT_BUF_H
#define UT_BUF_H

#include "pl_types.h"

typedef struct ut_buf {
    char *data;     /* NULL until the first append */
    size_t len;     /* bytes in use */
    size_t cap;     /* bytes allocated */
    size_t limit;   /* largest len allowed; 0 = no limit beyond SIZE_MAX */
} ut_buf;

/* Start empty with the given limit. */
void ut_buf_init(ut_buf *b, size_t limit);

/* Make room for `more` bytes beyond len. */
int ut_buf_reserve(ut_buf *b, size_t more);

/* Append n bytes / a C string / one byte. */
int ut_buf_add(ut_buf *b, const void *p, size_t n);
int ut_buf_adds(ut_buf *b, const char *s);
int ut_buf_addc(ut_buf *b, int c);

/* Append printf-style text (vsnprintf; format strings are never client
 * data). */
int ut_buf_addf(ut_buf *b, const char *fmt, ...);

/* The contents as a C string ("" when empty; never NULL). */
const char *ut_buf_str(const ut_buf *b);

/* Forget the contents, keep the allocation. */
void ut_buf_clear(ut_buf *b);

/* Free the allocation (ut_buf_wipe overwrites it first). */
void ut_buf_free(ut_buf *b);
void ut_buf_wipe(ut_buf *b);

#endif
