/*
 * lr_read.c - the buffered line reader (contract in lr_read.h).
 *
 * How it keeps the contract:
 *  - Every decision about a line (where it ends, whether it is too long,
 *    its flags) looks only at the first max_line octets of that line, so
 *    the result is the same however the source splits the bytes.
 *  - An over-long line is returned as soon as max_line octets have come
 *    without an LF, so the caller can answer (or hang up) before the rest
 *    arrives; the reader then stays in "skip" mode and throws bytes away
 *    up to and including the next LF, whatever the reads look like.  The
 *    excess is therefore never seen as a line: not after many reads, and
 *    not when the CR of the CRLF is the last octet of a full buffer.
 *  - The buffer is allocated once by lr_new; input never makes it grow.
 * Limits: max_line from UT_LR_MIN_LINE up to the size given to lr_new.
 * Privilege: none.
 */
#include <stdlib.h>
#include <string.h>
#include "lr_read.h"
#include "ut_params.h"
#include "ut_str.h"

#define LR_I32_MAX 2147483647L

struct lr_reader {
    char *buf;          /* bufsz octets, allocated once */
    size_t bufsz;       /* the max_line given to lr_new */
    size_t max_line;    /* current limit, <= bufsz */
    size_t start;       /* first octet not yet returned */
    size_t end;         /* one past the last octet received */
    int skip;           /* throwing away the excess of an over-long line */
    int eof;            /* the source said PL_EOF; it is not asked again */
    int policy;         /* LR_POLICY_*, kept for the caller */
    pl_i32 timeout_ms;  /* per-read timeout */
    pl_i64 deadline;    /* pl_time_mono_ms() deadline, 0 = none */
    lr_source_fn src;
    void *ctx;
};

lr_reader *lr_new(size_t max_line, int policy, lr_source_fn src, void *ctx)
{
    lr_reader *r;

    if (max_line < UT_LR_MIN_LINE)
        max_line = UT_LR_MIN_LINE;
    r = malloc(sizeof *r);
    if (r == NULL)
        return NULL;
    r->buf = malloc(max_line);
    if (r->buf == NULL) {
        free(r);
        return NULL;
    }
    r->bufsz = max_line;
    r->max_line = max_line;
    r->start = 0;
    r->end = 0;
    r->skip = 0;
    r->eof = 0;
    r->policy = policy;
    r->timeout_ms = (pl_i32)UT_LR_TIMEOUT_MS;
    r->deadline = 0;
    r->src = src;
    r->ctx = ctx;
    return r;
}

void lr_free(lr_reader *r)
{
    if (r == NULL)
        return;
    /* Buffered input may hold a password (USER/PASS, AUTH PLAIN). */
    ut_wipe(r->buf, r->bufsz);
    free(r->buf);
    free(r);
}

void lr_set_source(lr_reader *r, lr_source_fn src, void *ctx)
{
    r->src = src;
    r->ctx = ctx;
    r->eof = 0;
}

int lr_set_max_line(lr_reader *r, size_t max_line)
{
    if (max_line > r->bufsz)
        return PL_ERANGE;
    if (max_line < UT_LR_MIN_LINE)
        return PL_EINVAL;
    r->max_line = max_line;
    return PL_OK;
}

void lr_set_timeout(lr_reader *r, pl_i32 timeout_ms)
{
    r->timeout_ms = timeout_ms;
}

void lr_set_deadline(lr_reader *r, pl_i64 mono_ms)
{
    r->deadline = mono_ms;
}

int lr_get_policy(const lr_reader *r)
{
    return r->policy;
}

/* One read from the source into dst, bounded by the per-read timeout and
 * by what is left before the deadline. */
static int lr_source_read(lr_reader *r, void *dst, size_t n, size_t *got)
{
    pl_i32 t;
    pl_i64 left;
    int rc;

    if (r->eof)
        return PL_EOF;
    t = r->timeout_ms;
    if (r->deadline != 0) {
        left = r->deadline - pl_time_mono_ms();
        if (left <= 0)
            return PL_ETIMEDOUT;
        if (left > LR_I32_MAX)
            left = LR_I32_MAX;
        if (t == PL_WAIT_FOREVER || t < 0 || left < t)
            t = (pl_i32)left;
    }
    *got = 0;
    rc = r->src(r->ctx, dst, n, t, got);
    if (rc == PL_EOF)
        r->eof = 1;
    if (rc != PL_OK)
        return rc;
    /* A source that claims success without bytes, or with more than asked,
     * is broken; stop rather than spin or overrun. */
    if (*got == 0 || *got > n)
        return PL_EIO;
    return PL_OK;
}

/* Drop the buffered part of an over-long line's excess; clears skip once
 * its LF has been seen. */
static void lr_skip_buffered(lr_reader *r)
{
    char *lf;

    lf = memchr(r->buf + r->start, '\n', r->end - r->start);
    if (lf != NULL) {
        r->start = (size_t)(lf - r->buf) + 1;
        r->skip = 0;
    } else {
        r->start = r->end;
    }
    if (r->start == r->end) {
        r->start = 0;
        r->end = 0;
    }
}

/* Read more octets after the buffered ones. */
static int lr_fill(lr_reader *r)
{
    size_t got;
    int rc;

    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->end >= r->bufsz)
        return PL_ERR;   /* unreachable: callers only fill a short buffer */
    rc = lr_source_read(r, r->buf + r->end, r->bufsz - r->end, &got);
    if (rc != PL_OK)
        return rc;
    r->end += got;
    return PL_OK;
}

/* Flags of the n octets at p (the returned part of a line).  Any CR in it
 * is bare: an LF after it would have ended the line there. */
static int lr_scan_flags(const char *p, size_t n)
{
    int flags = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] == '\r')
            flags |= LR_BARE_CR;
        else if (p[i] == '\0')
            flags |= LR_NUL;
    }
    return flags;
}

int lr_get_line(lr_reader *r, char **line, size_t *len, int *flags)
{
    size_t avail, win, n;
    char *p, *lf;
    int rc, f;

    for (;;) {
        if (r->skip)
            lr_skip_buffered(r);
        if (!r->skip) {
            p = r->buf + r->start;
            avail = r->end - r->start;
            win = avail < r->max_line ? avail : r->max_line;
            lf = memchr(p, '\n', win);
            if (lf != NULL) {
                n = (size_t)(lf - p);
                f = 0;
                if (n > 0 && p[n - 1] == '\r')
                    n--;
                else
                    f |= LR_BARE_LF;
                f |= lr_scan_flags(p, n);
                p[n] = '\0';
                r->start += (size_t)(lf - p) + 1;
                *line = p;
                *len = n;
                *flags = f;
                return PL_OK;
            }
            if (win == r->max_line) {
                n = r->max_line - 2;
                f = LR_TOOLONG | lr_scan_flags(p, n);
                p[n] = '\0';
                /* The whole window belongs to this line; what follows
                 * it is excess until the next LF. */
                r->start += r->max_line;
                r->skip = 1;
                *line = p;
                *len = n;
                *flags = f;
                return PL_OK;
            }
        }
        rc = lr_fill(r);
        if (rc == PL_EOF) {
            /* An unterminated line is not a command: drop it. */
            r->start = 0;
            r->end = 0;
            r->skip = 0;
            return PL_EOF;
        }
        if (rc != PL_OK)
            return rc;
    }
}

size_t lr_pending(const lr_reader *r)
{
    const char *lf;

    if (r->skip) {
        /* The rest of an over-long line will never be returned. */
        lf = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (lf == NULL)
            return 0;
        return r->end - (size_t)(lf - r->buf) - 1;
    }
    return r->end - r->start;
}

void lr_discard(lr_reader *r)
{
    ut_wipe(r->buf, r->bufsz);
    r->start = 0;
    r->end = 0;
    r->skip = 0;
}

int lr_read_raw(lr_reader *r, void *buf, size_t n, size_t *got)
{
    size_t avail;
    int rc;

    if (n == 0)
        return PL_EINVAL;
    /* The excess of an over-long line is never handed out, not even raw. */
    while (r->skip) {
        lr_skip_buffered(r);
        if (!r->skip)
            break;
        rc = lr_fill(r);
        if (rc == PL_EOF) {
            r->skip = 0;
            r->start = 0;
            r->end = 0;
        }
        if (rc != PL_OK)
            return rc;
    }
    avail = r->end - r->start;
    if (avail > 0) {
        if (avail > n)
            avail = n;
        memcpy(buf, r->buf + r->start, avail);
        r->start += avail;
        if (r->start == r->end) {
            r->start = 0;
            r->end = 0;
        }
        *got = avail;
        return PL_OK;
    }
    return lr_source_read(r, buf, n, got);
}
