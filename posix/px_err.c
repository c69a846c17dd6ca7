/*
 * px_err.c - native status of the calling thread's last failure, and the
 * mapping of errno values to PL_E* codes, for the POSIX layer.
 *
 * The status lives in a pthread key so that concurrent sessions never see
 * each other's errors.  If the per-thread record cannot be allocated the
 * status is silently dropped: logging a failure must never fail itself.
 * Limits: one status per thread (the latest).  Privilege: none.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "px_int.h"

typedef struct px_native_rec {
    int kind;   /* PX_NAT_* */
    int code;
} px_native_rec;

static pthread_key_t px_err_key;
static pthread_once_t px_err_once = PTHREAD_ONCE_INIT;
static int px_err_key_ok;

static void px_err_free(void *p)
{
    free(p);
}

static void px_err_make_key(void)
{
    if (pthread_key_create(&px_err_key, px_err_free) == 0)
        px_err_key_ok = 1;
}

int px_err_init(void)
{
    int rc = pthread_once(&px_err_once, px_err_make_key);

    if (rc != 0 || !px_err_key_ok)
        return PL_ERR;
    return PL_OK;
}

/* This thread's record, created on first use; NULL if that is impossible. */
static px_native_rec *px_err_rec(void)
{
    px_native_rec *r;

    if (px_err_init() != PL_OK)
        return NULL;
    r = (px_native_rec *)pthread_getspecific(px_err_key);
    if (r == NULL) {
        r = (px_native_rec *)calloc(1, sizeof *r);
        if (r == NULL)
            return NULL;
        if (pthread_setspecific(px_err_key, r) != 0) {
            free(r);
            return NULL;
        }
    }
    return r;
}

int px_errno_map(int err)
{
    switch (err) {
    case 0:            return PL_ERR;
    case ENOENT:       return PL_ENOENT;
    case ESRCH:        return PL_ENOENT;
    case EEXIST:       return PL_EEXIST;
    case EACCES:
    case EPERM:
    case EROFS:        return PL_EACCES;
    case EINVAL:
    case ENAMETOOLONG:
    case EBADF:
    case EISDIR:       return PL_EINVAL;
    case ENOMEM:       return PL_ENOMEM;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:        return PL_ENOSPC;
    case EIO:          return PL_EIO;
    case ETIMEDOUT:    return PL_ETIMEDOUT;
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
                       return PL_EAGAIN;
    case ECONNREFUSED: return PL_ECONNREFUSED;
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:        return PL_ECONNRESET;
    case EINTR:        return PL_EINTR;
    case ENOSYS:
    case EOPNOTSUPP:
#if ENOTSUP != EOPNOTSUPP
    case ENOTSUP:
#endif
    case EAFNOSUPPORT: return PL_ENOTSUP;
    case ENOTEMPTY:    return PL_ENOTEMPTY;
    case ERANGE:       return PL_ERANGE;
    case ENOTDIR:      return PL_ENOTDIR;
    case EADDRINUSE:   return PL_EADDRINUSE;
    case ELOOP:        return PL_ELOOP;
    case EXDEV:        return PL_EXDEV;
    default:           return PL_ERR;
    }
}

int px_fail(int err)
{
    px_native_rec *r = px_err_rec();

    if (r != NULL) {
        r->kind = PX_NAT_ERRNO;
        r->code = err;
    }
    return px_errno_map(err);
}

int px_native(int kind, int code, int status)
{
    px_native_rec *r = px_err_rec();

    if (r != NULL) {
        r->kind = kind;
        r->code = code;
    }
    return status;
}

void pl_last_native(char *buf, size_t n)
{
    px_native_rec *r;
    char text[256];

    if (buf == NULL || n == 0)
        return;
    r = px_err_rec();
    if (r == NULL || r->kind == PX_NAT_NONE) {
        snprintf(buf, n, "no native status");
        return;
    }
    switch (r->kind) {
    case PX_NAT_ERRNO:
        /* XSI strerror_r: this file does not define _GNU_SOURCE. */
        if (strerror_r(r->code, text, sizeof text) != 0)
            snprintf(text, sizeof text, "unknown error");
        snprintf(buf, n, "errno %d: %s", r->code, text);
        break;
    case PX_NAT_GAI:
        snprintf(buf, n, "getaddrinfo %d: %s", r->code, gai_strerror(r->code));
        break;
    case PX_NAT_PAM:
        snprintf(buf, n, "PAM status %d", r->code);
        break;
    default:
        snprintf(buf, n, "native status %d", r->code);
        break;
    }
}

void px_wipe(void *p, size_t n)
{
    volatile unsigned char *v = (volatile unsigned char *)p;

    while (n-- > 0)
        *v++ = 0;
}
