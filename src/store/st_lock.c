/*
 * st_lock.c - the POP3 in-use lock of a mailbox (RFC 1939 exclusive
 * maildrop access; RFC 2449 [IN-USE]).
 *
 * The lock is pl_lock_take on INUSE.LCK in the mailbox directory, taken
 * without waiting: a second session gets PL_EAGAIN at once.  It excludes
 * other threads, other processes and (OpenVMS, $ENQ) other cluster nodes.
 * Stale locks cannot exist: an fcntl lock (POSIX) or a $ENQ lock (OpenVMS)
 * belongs to the process and the system drops it when the process ends,
 * however it ends, so a crash needs no clean-up; the lock file itself
 * carries no state and may stay.  Deliveries never take this lock (they
 * use the folder's short index lock), so they never wait for a session.
 * Taking the lock also reaps orphaned temporary files (st_recover_reap).
 * Limits: one holder per mailbox.
 * Privilege: the store's service account.
 */
#include "st_int.h"

int st_mbox_lock(st_mbox *mb)
{
    int rc;

    if (mb->inuse != NULL)
        return PL_OK;
    rc = pl_lock_take(mb->dir, ST_INUSE_LOCK, PL_LOCK_EX, 0, &mb->inuse);
    /* A session start is the natural moment to clear what a crashed
     * delivery left in TMP; a failure here must not refuse the login. */
    if (rc == PL_OK)
        (void)st_recover_reap(mb, ST_TMP_ORPHAN_SECS, NULL);
    return rc;
}

void st_mbox_unlock(st_mbox *mb)
{
    if (mb->inuse == NULL)
        return;
    pl_lock_release(mb->inuse);
    mb->inuse = NULL;
}
