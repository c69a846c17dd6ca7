/*
 * vms_err.c - native status bookkeeping of the OpenVMS layer: the per-thread
 * "last failure" behind pl_last_native(), and the mapping of OpenVMS
 * condition values and C RTL errno values onto PL_E* codes.
 * Services: $GETMSG for message text; a POSIX threads key for the
 * per-thread slot (DECthreads).
 * Limits: a thread whose slot cannot be allocated shares one process-wide
 * slot (the text may then describe another thread's failure).
 * Privilege: none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>

#include <starlet.h>
#include <descrip.h>
#include <ssdef.h>
#include <stsdef.h>
#include <rms.h>

#include "vms_int.h"

/* What the calling thread failed on last: a condition value, or an errno
 * (with the condition value the C RTL kept in vaxc$errno). */
struct vms_last {
    unsigned int vms;   /* OpenVMS condition value, 0 if none */
    int err;            /* errno, 0 if the failure was a condition value */
};

static pthread_once_t vms_err_once = PTHREAD_ONCE_INIT;
static pthread_key_t vms_err_key;
static int vms_err_key_ok;
static struct vms_last vms_err_shared;   /* fallback slot, see Limits */

/* Create the thread key once; each slot is freed when its thread ends. */
static void vms_err_init(void)
{
    if (pthread_key_create(&vms_err_key, free) == 0)
        vms_err_key_ok = 1;
}

/* The calling thread's slot, created on first use. */
static struct vms_last *vms_err_slot(void)
{
    struct vms_last *p;

    pthread_once(&vms_err_once, vms_err_init);
    if (!vms_err_key_ok)
        return &vms_err_shared;
    p = (struct vms_last *)pthread_getspecific(vms_err_key);
    if (p == NULL) {
        p = (struct vms_last *)calloc(1, sizeof *p);
        if (p == NULL || pthread_setspecific(vms_err_key, p) != 0) {
            free(p);
            return &vms_err_shared;
        }
    }
    return p;
}

/* Compare condition values by message identity, ignoring the severity
 * bits, the way the manuals recommend testing for a specific status. */
static int vms_same(unsigned int a, unsigned int b)
{
    return (a & STS$M_COND_ID) == (b & STS$M_COND_ID);
}

int vms_map_status(unsigned int s)
{
    if (s & 1)
        return PL_OK;
    if (vms_same(s, RMS$_FNF) || vms_same(s, RMS$_NMF) ||
        vms_same(s, RMS$_DNF) || vms_same(s, SS$_NOLOGNAM) ||
        vms_same(s, SS$_NOSUCHUSER) || vms_same(s, RMS$_RNF))
        return PL_ENOENT;
    if (vms_same(s, RMS$_FEX))
        return PL_EEXIST;
    if (vms_same(s, RMS$_PRV) || vms_same(s, SS$_NOPRIV))
        return PL_EACCES;
    if (vms_same(s, SS$_INSFMEM))
        return PL_ENOMEM;
    if (vms_same(s, SS$_EXDISKQUOTA) || vms_same(s, SS$_DEVICEFULL))
        return PL_ENOSPC;
    if (vms_same(s, SS$_TIMEOUT))
        return PL_ETIMEDOUT;
    if (vms_same(s, SS$_NOTQUEUED) || vms_same(s, RMS$_FLK))
        return PL_EAGAIN;
    if (vms_same(s, SS$_DIRNOTEMPTY))
        return PL_ENOTEMPTY;
    if (vms_same(s, SS$_BUFFEROVF))
        return PL_ERANGE;
    if (vms_same(s, RMS$_EOF) || vms_same(s, SS$_ENDOFFILE))
        return PL_EOF;
    if (vms_same(s, RMS$_SYN) || vms_same(s, RMS$_DIR) ||
        vms_same(s, SS$_BADPARAM) || vms_same(s, SS$_IVLOGNAM))
        return PL_EINVAL;
    return PL_ERR;
}

/* The PL_E* code for a C RTL errno value. */
static int vms_map_errno(int e)
{
    switch (e) {
    case 0: return PL_ERR;
    case ENOENT: return PL_ENOENT;
    case EEXIST: return PL_EEXIST;
    case EACCES: case EPERM: return PL_EACCES;
    case EINVAL: return PL_EINVAL;
    case ENOMEM: return PL_ENOMEM;
    case ENOSPC: return PL_ENOSPC;
#ifdef EDQUOT
    case EDQUOT: return PL_ENOSPC;
#endif
    case EIO: return PL_EIO;
    case ETIMEDOUT: return PL_ETIMEDOUT;
    case EAGAIN: return PL_EAGAIN;
#if defined(EWOULDBLOCK) && EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK: return PL_EAGAIN;
#endif
    case ECONNREFUSED: return PL_ECONNREFUSED;
    case ECONNRESET: case EPIPE: return PL_ECONNRESET;
    case EINTR: return PL_EINTR;
    case ENOTEMPTY: return PL_ENOTEMPTY;
    case ERANGE: return PL_ERANGE;
    case ENOTDIR: return PL_ENOTDIR;
    case EADDRINUSE: return PL_EADDRINUSE;
    case ELOOP: return PL_ELOOP;
    case EXDEV: return PL_EXDEV;
    default: break;
    }
    return PL_ERR;
}

int vms_fail(unsigned int vms_status)
{
    struct vms_last *p = vms_err_slot();

    p->vms = vms_status;
    p->err = 0;
    return vms_map_status(vms_status);
}

int vms_fail_errno(void)
{
    int e = errno;
    struct vms_last *p = vms_err_slot();

    p->err = e;
    /* EVMSERR: the C RTL had no errno for it and kept the condition value,
     * which says more than errno does. */
    p->vms = (e == EVMSERR) ? (unsigned int)vaxc$errno : 0;
    if (e == EVMSERR)
        return vms_map_status(p->vms);
    return vms_map_errno(e);
}

/* Message text of a condition value via $GETMSG (all four parts:
 * facility, severity, identification, text). */
static void vms_msg_text(unsigned int sts, char *buf, size_t n)
{
    char text[256];
    unsigned short len = 0;
    struct dsc$descriptor_s d;
    int r;

    vms_desc(&d, text, sizeof text - 1);
    r = sys$getmsg(sts, &len, &d, 15, NULL);
    if (!(r & 1) || len == 0) {
        snprintf(buf, n, "%%NONAME-?-NOMSG, status %%X%08X", sts);
        return;
    }
    text[len] = '\0';
    snprintf(buf, n, "%s", text);
}

void pl_last_native(char *buf, size_t n)
{
    struct vms_last *p;
    char text[256];

    if (buf == NULL || n == 0)
        return;
    p = vms_err_slot();
    if (p->err != 0 && p->err != EVMSERR) {
        snprintf(buf, n, "errno %d: %s", p->err, strerror(p->err));
    } else if (p->vms != 0) {
        vms_msg_text(p->vms, text, sizeof text);
        snprintf(buf, n, "%s", text);
    } else {
        snprintf(buf, n, "no failure recorded");
    }
}

void vms_desc(struct dsc$descriptor_s *d, const char *s, size_t len)
{
    /* Descriptor lengths are 16-bit; callers keep strings under 64 KB. */
    d->dsc$w_length = (unsigned short)(len > 65535 ? 65535 : len);
    d->dsc$b_dtype = DSC$K_DTYPE_T;
    d->dsc$b_class = DSC$K_CLASS_S;
    d->dsc$a_pointer = (char *)s;
}
