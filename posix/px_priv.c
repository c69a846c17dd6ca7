/*
 * px_priv.c - privilege and identity on POSIX.
 *
 * Every PL_PRIV_* privilege is euid 0 here.  A process that dropped root
 * with seteuid but kept it as real or saved uid can raise it for one call
 * and lower it again; pl_become_user/pl_become_service drop it for good
 * (real, effective and saved uid and gid, and the supplementary groups),
 * then prove it by failing to get root back.
 * Limits: seteuid changes the whole process (glibc applies it to every
 * thread), so raise/restore suit a single-threaded process or a section
 * no other thread depends on.  Switching to uid 0 is refused: a one-way
 * switch to root cannot be verified and no mail account needs it.
 * Privilege: needs root (real, saved or effective uid 0) to change anything.
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "px_int.h"

/* held[0] of a pl_privsave: what pl_priv_raise did. */
#define PX_PRIV_NOTHING 0   /* euid was 0 already */
#define PX_PRIV_RAISED  1   /* we set euid 0; held[1] is the old euid */

int pl_priv_raise(int which, pl_privsave *saved)
{
    uid_t euid = geteuid();

    if (saved == NULL || which == 0 ||
        (which & ~(PL_PRIV_READUAF | PL_PRIV_IMPERS | PL_PRIV_BYPASS)) != 0)
        return PL_EINVAL;
    saved->held[0] = PX_PRIV_NOTHING;
    saved->held[1] = (pl_u32)euid;
    if (euid == 0)
        return PL_OK;
    /* seteuid(0) succeeds exactly when the real or saved uid is 0. */
    if (seteuid(0) != 0) {
        (void)px_fail(errno);
        return PL_EACCES;
    }
    saved->held[0] = PX_PRIV_RAISED;
    return PL_OK;
}

int pl_priv_restore(const pl_privsave *saved)
{
    if (saved == NULL)
        return PL_EINVAL;
    if (saved->held[0] != PX_PRIV_RAISED)
        return PL_OK;
    if (seteuid((uid_t)saved->held[1]) != 0)
        return px_fail(errno);
    return PL_OK;
}

/* Switch the whole process to uid/gid with name's groups, for good, and
 * verify.  If root can be regained afterwards the process aborts: running
 * on would break the promise the caller relies on. */
static int px_switch(const char *name, pl_u32 uid, pl_u32 gid)
{
    if (uid == 0) {
        (void)px_fail(EPERM);
        return PL_EACCES;
    }
    /* setuid() changes real and saved uid only with euid 0. */
    if (geteuid() != 0 && seteuid(0) != 0) {
        (void)px_fail(errno);
        return PL_EACCES;
    }
    if (initgroups(name, (gid_t)gid) != 0)
        return px_fail(errno);
    if (setgid((gid_t)gid) != 0)
        return px_fail(errno);
    if (setuid((uid_t)uid) != 0)
        return px_fail(errno);
    if (getuid() != (uid_t)uid || geteuid() != (uid_t)uid ||
        getgid() != (gid_t)gid || getegid() != (gid_t)gid) {
        (void)px_fail(EPERM);
        return PL_EACCES;
    }
    if (setuid(0) == 0 || seteuid(0) == 0) {
        (void)px_fail(EPERM);
        abort();
    }
    return PL_OK;
}

int pl_become_user(const pl_user *u)
{
    if (u == NULL || u->name[0] == '\0')
        return PL_EINVAL;
    return px_switch(u->name, u->id, u->group);
}

int pl_become_service(const char *name)
{
    pl_user u;
    int rc = pl_user_lookup(name, &u);

    if (rc != PL_OK)
        return rc;
    if (getuid() == (uid_t)u.id && geteuid() == (uid_t)u.id &&
        getgid() == (gid_t)u.group && getegid() == (gid_t)u.group)
        return PL_OK;
    return px_switch(u.name, u.id, u.group);
}
