/*
 * vms_lock.c - named locks of the platform contract on OpenVMS, through the
 * distributed lock manager: they exclude other threads, other processes and
 * other nodes of a cluster, and vanish with their process.
 * Services: $ENQW/$ENQ/$DEQ with LCK$M_SYSTEM (a system-wide resource, not
 * a UIC-group one, so per-connection processes running as different users
 * still meet), LCK$M_NOQUEUE for a try, and for a bounded wait $ENQ plus a
 * $SETIMR timer on a private event flag (LIB$GET_EF), cancelling the
 * request with $DEQ LCK$M_CANCEL when the time is up.  PL_LOCK_SH is
 * protected-read mode (PR), PL_LOCK_EX exclusive mode (EX).
 * Limits: the resource name is "NEWMAIL_" plus 16 hex digits of a 64-bit
 * FNV-1a hash of the directory spec and the lock name (24 characters, under
 * the 31 allowed); the directory spec is the one $PARSE expanded, with
 * concealed logicals kept, so cluster nodes must reach the store through
 * the same concealed logical or device name (NEWMAIL_ROOT).  A hash
 * collision can only make two locks exclude each other, never share.
 * Privilege: LCK$M_SYSTEM needs SYSLCK; it is enabled just around $ENQ when
 * it is authorized but not held.  After pl_become_user the user's own
 * privileges apply.  Wait on threads: link /THREADS_ENABLE=UPCALLS so that
 * $ENQW and $WAITFR block only the calling thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <starlet.h>
#include <descrip.h>
#include <gen64def.h>
#include <lksbdef.h>
#include <lckdef.h>
#include <prvdef.h>
#include <psldef.h>
#include <ssdef.h>
#include <lib$routines.h>

#include "vms_int.h"

struct pl_lock {
    unsigned int lkid;   /* lock identification from the LKSB */
};

#define VMS_RES_PREFIX "NEWMAIL_"

/* The 24-character resource name for lock `name` in directory spec. */
static void vms_res_name(const char *spec, const char *name, char out[32])
{
    pl_u64 h = 14695981039346656037ULL;   /* FNV-1a 64 offset basis */
    const unsigned char *p;
    int part;

    for (part = 0; part < 2; part++) {
        for (p = (const unsigned char *)(part ? name : spec); *p; p++) {
            unsigned char c = *p;

            if (c >= 'a' && c <= 'z')     /* specs are case-blind */
                c = (unsigned char)(c - 'a' + 'A');
            h ^= c;
            h *= 1099511628211ULL;        /* FNV-1a 64 prime */
        }
        h ^= 0xFF;                        /* separator: spec|name */
        h *= 1099511628211ULL;
    }
    snprintf(out, 32, "%s%08lX%08lX", VMS_RES_PREFIX,
             (unsigned long)(pl_u32)(h >> 32), (unsigned long)(pl_u32)h);
}

/* Wait for the queued request in lksb up to timeout_ms on event flag efn;
 * cancel it when the time is up.  Returns the final LKSB status (granted,
 * or SS$_ABORT/SS$_CANCEL after the cancel) or 0 with *timed_out. */
static unsigned int vms_lock_wait(unsigned int efn, struct _lksb *lksb,
                                  pl_i32 timeout_ms, int *timed_out)
{
    pl_i64 deadline = pl_time_mono_ms() + timeout_ms, left;
    pl_u64 reqid = (pl_u64)(size_t)lksb;   /* unique while we wait */
    pl_u64 delta;
    struct _generic_64 dt;

    *timed_out = 0;
    for (;;) {
        /* Clear first, then test: a completion after the test sets the
         * flag again and $WAITFR returns at once. */
        (void)sys$clref(efn);
        if (lksb->lksb$w_status != 0)
            break;
        left = deadline - pl_time_mono_ms();
        if (left <= 0) {
            *timed_out = 1;
            (void)sys$deq(lksb->lksb$l_lkid, NULL, PSL$C_USER,
                          LCK$M_CANCEL);
            /* Completes with SS$_ABORT, or was granted meanwhile. */
            (void)sys$synch(efn, (struct _iosb *)lksb);
            break;
        }
        /* A delta time is negative, in 100-ns units. */
        delta = (pl_u64)0 - (pl_u64)left * 10000u;
        memcpy(&dt, &delta, sizeof dt);
        if (!(sys$setimr(efn, &dt, NULL, reqid, 0) & 1))
            (void)sys$synch(efn, (struct _iosb *)lksb);  /* wait it out */
        (void)sys$waitfr(efn);
        (void)sys$cantim(reqid, PSL$C_USER);
    }
    return lksb->lksb$w_status;
}

int pl_lock_take(pl_dir *d, const char *name, int mode, pl_i32 timeout_ms,
                 pl_lock **out)
{
    static const unsigned int syslck[1] = { PRV$V_SYSLCK };
    char res[32];
    struct dsc$descriptor_s resd;
    struct _lksb lksb;
    unsigned int lkmode, s, efn = 0, flags = LCK$M_SYSTEM;
    pl_u32 added[2];
    pl_lock *lk;
    int rc, timed_out = 0;

    /* The same names as POSIX, whose lock files may carry a type. */
    if (d == NULL || out == NULL ||
        pl_name_check(name, PL_NAME_TYPE_OK) != PL_OK ||
        (mode != PL_LOCK_SH && mode != PL_LOCK_EX) ||
        (timeout_ms < 0 && timeout_ms != PL_WAIT_FOREVER))
        return PL_EINVAL;
    *out = NULL;
    lk = (pl_lock *)malloc(sizeof *lk);
    if (lk == NULL)
        return PL_ENOMEM;
    lkmode = mode == PL_LOCK_EX ? LCK$K_EXMODE : LCK$K_PRMODE;
    vms_res_name(d->spec, name, res);
    vms_desc(&resd, res, strlen(res));
    memset(&lksb, 0, sizeof lksb);

    rc = vms_priv_add(syslck, 1, added);
    if (rc != PL_OK) {
        free(lk);
        return rc;
    }
    if (timeout_ms == 0 || timeout_ms == PL_WAIT_FOREVER) {
        if (timeout_ms == 0)
            flags |= LCK$M_NOQUEUE;
        s = sys$enqw(0, lkmode, &lksb, flags, &resd, 0, NULL, 0, NULL,
                     PSL$C_USER, 0);
        if (s & 1)
            s = lksb.lksb$w_status;
    } else {
        s = lib$get_ef(&efn);
        if (s & 1) {
            s = sys$enq(efn, lkmode, &lksb, flags, &resd, 0, NULL, 0, NULL,
                        PSL$C_USER, 0);
            if (s & 1)
                s = vms_lock_wait(efn, &lksb, timeout_ms, &timed_out);
            (void)lib$free_ef(&efn);
        }
    }
    vms_priv_drop(added);

    if (!(s & 1)) {
        free(lk);
        if (timed_out) {
            (void)vms_fail(SS$_TIMEOUT);
            return PL_ETIMEDOUT;
        }
        return vms_fail(s);     /* SS$_NOTQUEUED: PL_EAGAIN */
    }
    lk->lkid = lksb.lksb$l_lkid;
    *out = lk;
    return PL_OK;
}

void pl_lock_release(pl_lock *lk)
{
    if (lk == NULL)
        return;
    (void)sys$deq(lk->lkid, NULL, PSL$C_USER, 0);
    free(lk);
}
