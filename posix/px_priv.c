/*
 * px_priv.c - privilege and identity on POSIX.
 *
 * Every PL_PRIV_* privilege is euid 0 here.  pl_assume_service takes the
 * service account's effective ids and groups with root kept as the real
 * and saved uid (per-connection POP3 with native mailboxes).  A process that dropped root
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

/* Add gid to the supplementary groups unless it is there already. */
static int px_add_group(gid_t gid)
{
    gid_t *g;
    int n, i, rc = PL_OK;

    n = getgroups(0, NULL);
    if (n < 0)
        return px_fail(errno);
    g = (gid_t *)malloc(((size_t)n + 1) * sizeof *g);
    if (g == NULL)
        return px_fail(ENOMEM);
    n = getgroups(n, g);
    for (i = 0; n >= 0 && i < n; i++)
        if (g[i] == gid)
            break;
    if (n < 0)
        rc = px_fail(errno);
    else if (i == n) {
        g[n] = gid;
        if (setgroups((size_t)n + 1, g) != 0)
            rc = px_fail(errno);
    }
    free(g);
    return rc;
}

/* Switch the whole process to uid/gid with name's groups (plus
 * extra_gid when it is not (gid_t)-1), for good, and verify.  If root
 * can be regained afterwards the process aborts: running on would break
 * the promise the caller relies on. */
static int px_switch(const char *name, pl_u32 uid, pl_u32 gid,
                     gid_t extra_gid)
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
    if (extra_gid != (gid_t)-1 && px_add_group(extra_gid) != PL_OK)
        return PL_EACCES;
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
    pl_u32 spool_gid;
    gid_t extra = (gid_t)-1;

    if (u == NULL || u->name[0] == '\0')
        return PL_EINVAL;
    /* The dot-lock of /var/mail/USER needs the spool's group (px_nmbox.c);
     * the process becomes non-dumpable with the uid change, so the user
     * cannot borrow the group through ptrace. */
    if (px_nmb_spool_group(&spool_gid) == PL_OK)
        extra = (gid_t)spool_gid;
    return px_switch(u->name, u->id, u->group, extra);
}

int pl_assume_service(const char *name)
{
    pl_user u;
    int rc = pl_user_lookup(name, &u);

    if (rc != PL_OK)
        return rc;
    if (geteuid() == (uid_t)u.id && getegid() == (gid_t)u.group)
        return PL_OK;
    if (u.id == 0) {
        (void)px_fail(EPERM);
        return PL_EACCES;
    }
    /* seteuid(0) works while the real or saved uid is root. */
    if (geteuid() != 0 && seteuid(0) != 0) {
        (void)px_fail(errno);
        return PL_EACCES;
    }
    if (initgroups(u.name, (gid_t)u.group) != 0 ||
        setegid((gid_t)u.group) != 0 || seteuid((uid_t)u.id) != 0)
        return px_fail(errno);
    return PL_OK;
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
    return px_switch(u.name, u.id, u.group, (gid_t)-1);
}
