/*
 * ut_buf.c - growable byte buffer with a hard limit (contract in ut_buf.h).
 *
 * Limits: len never exceeds `limit` (0 = SIZE_MAX - 1, room for the NUL);
 * growth doubles, so appends cost amortised O(1).  Growth copies into a new
 * block and wipes the old one instead of using realloc(), so a buffer that
 * held a secret leaves no stale copy behind in freed memory.
 * Privilege: none.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ut_buf.h"
#include "ut_str.h"

#define UT_BUF_MIN_CAP 64   /* first allocation: most log and reply lines */

void ut_buf_init(ut_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

int ut_buf_reserve(ut_buf *b, size_t more)
{
    size_t want, need, newcap;
    char *p;

    if (ut_add_size(b->len, more, &want) != PL_OK)
        return PL_ERANGE;
    if (b->limit != 0 && want > b->limit)
        return PL_ERANGE;
    if (ut_add_size(want, 1, &need) != PL_OK)   /* the NUL */
        return PL_ERANGE;
    if (need <= b->cap)
        return PL_OK;
    newcap = b->cap < UT_BUF_MIN_CAP ? UT_BUF_MIN_CAP : b->cap;
    while (newcap < need) {
        if (ut_mul_size(newcap, 2, &newcap) != PL_OK) {
            newcap = need;
            break;
        }
    }
    /* Never hold more than the limit allows. */
    if (b->limit != 0 && b->limit < (size_t)-1 && newcap > b->limit + 1)
        newcap = b->limit + 1;
    p = malloc(newcap);
    if (p == NULL)
        return PL_ENOMEM;
    if (b->data != NULL) {
        memcpy(p, b->data, b->len + 1);
        ut_wipe(b->data, b->cap);
        free(b->data);
    } else {
        p[0] = '\0';
    }
    b->data = p;
    b->cap = newcap;
    return PL_OK;
}

int ut_buf_add(ut_buf *b, const void *p, size_t n)
{
    int rc;

    if (n == 0)
        return PL_OK;
    if (p == NULL)
        return PL_EINVAL;
    rc = ut_buf_reserve(b, n);
    if (rc != PL_OK)
        return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return PL_OK;
}

int ut_buf_adds(ut_buf *b, const char *s)
{
    return ut_buf_add(b, s, strlen(s));
}

int ut_buf_addc(ut_buf *b, int c)
{
    char ch = (char)(unsigned char)c;

    return ut_buf_add(b, &ch, 1);
}

int ut_buf_addf(ut_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;
    size_t room;

    room = b->data != NULL ? b->cap - b->len : 0;
    va_start(ap, fmt);
    n = vsnprintf(room > 0 ? b->data + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        if (b->data != NULL)
            b->data[b->len] = '\0';
        return PL_EINVAL;
    }
    if ((size_t)n < room) {
        if (b->limit != 0 && b->len + (size_t)n > b->limit) {
            b->data[b->len] = '\0';   /* fitted the block, not the limit */
            return PL_ERANGE;
        }
        b->len += (size_t)n;
        return PL_OK;
    }
    /* Did not fit: the attempt may have written a cut copy past len, so
     * restore the terminator before anything can fail. */
    if (b->data != NULL)
        b->data[b->len] = '\0';
    rc = ut_buf_reserve(b, (size_t)n);
    if (rc != PL_OK)
        return rc;
    va_start(ap, fmt);
    n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) {
        b->data[b->len] = '\0';
        return PL_EINVAL;
    }
    b->len += (size_t)n;
    return PL_OK;
}

const char *ut_buf_str(const ut_buf *b)
{
    return b->data != NULL ? b->data : "";
}

void ut_buf_clear(ut_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

void ut_buf_free(ut_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void ut_buf_wipe(ut_buf *b)
{
    if (b->data != NULL)
        ut_wipe(b->data, b->cap);
    ut_buf_free(b);
}
