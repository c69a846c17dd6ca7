/*
 * px_ctl.c - the local control channel on POSIX: an AF_UNIX stream socket
 * in a directory of the store, and the check that the peer is the server's
 * own user or root.
 *
 * The socket file is reached through the path the directory was opened by
 * (bind() has no directory-relative form); every other step (the stale
 * check, the removal, the mode) goes through the directory descriptor.
 * The directory is owner-only (PL_DIR_CREATE), so the short time between
 * bind() and fchmodat() exposes nothing; mode 0600 then keeps other users
 * out even if the directory is opened up by hand.  The peer check is the
 * real barrier: the kernel's credentials of the connecting process
 * (SO_PEERCRED on Linux, getpeereid on the BSDs and macOS).
 * Limits: the socket path must fit sockaddr_un (about 100 bytes).
 * Privilege: none; the socket belongs to the user that created it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1   /* struct ucred for SO_PEERCRED (glibc) */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "px_int.h"

/* Pending connections on a control socket: requests are tiny and served
 * at once, so a few are plenty. */
#define PX_CTL_BACKLOG 8

/* Fill sa with the path of `name` in d.  PL_ERANGE if it does not fit. */
static int px_ctl_addr(pl_dir *d, const char *name, struct sockaddr_un *sa)
{
    size_t dl, nl;

    if (d == NULL || d->path == NULL || name == NULL ||
        pl_name_check(name, 0) != PL_OK)
        return PL_EINVAL;
    dl = strlen(d->path);
    nl = strlen(name);
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (dl + 1 + nl + 1 > sizeof sa->sun_path)
        return PL_ERANGE;
    memcpy(sa->sun_path, d->path, dl);
    sa->sun_path[dl] = '/';
    memcpy(sa->sun_path + dl + 1, name, nl + 1);
    return PL_OK;
}

/* Connect a new socket to sa within timeout_ms. */
static int px_ctl_dial(const struct sockaddr_un *sa, pl_i32 timeout_ms,
                       pl_sock **out)
{
    pl_sock *s = NULL;
    int fd, rc;

    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return px_fail(errno);
    rc = px_sock_adopt(fd, &s);   /* non-blocking from here on */
    if (rc != PL_OK)
        return rc;
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0) {
        if (errno == EAGAIN) {
            /* Backlog full: the server is busy, not absent. */
            rc = px_fail(errno);
        } else if (errno != EINPROGRESS && errno != EINTR) {
            rc = px_fail(errno);
        } else {
            rc = pl_sock_wait_writable(s, timeout_ms);
            if (rc == PL_OK) {
                int err = 0;
                socklen_t len = sizeof err;

                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                    rc = px_fail(errno);
                else if (err != 0)
                    rc = px_fail(err);
            }
        }
    }
    if (rc != PL_OK) {
        pl_sock_close(s);
        return rc;
    }
    *out = s;
    return PL_OK;
}

int pl_ctl_listen(pl_dir *d, const char *name, pl_sock **out)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd, rc;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    rc = px_ctl_addr(d, name, &sa);
    if (rc != PL_OK)
        return rc;
    if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        pl_sock *probe = NULL;

        if (!S_ISSOCK(st.st_mode))
            return px_fail(EEXIST);   /* not ours to remove */
        if (px_ctl_dial(&sa, 0, &probe) == PL_OK) {
            pl_sock_close(probe);
            return px_fail(EADDRINUSE);   /* a live server answers */
        }
        if (unlinkat(d->fd, name, 0) != 0 && errno != ENOENT)
            return px_fail(errno);
    } else if (errno != ENOENT) {
        return px_fail(errno);
    }
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return px_fail(errno);
    rc = PL_OK;
    if (bind(fd, (const struct sockaddr *)&sa, sizeof sa) != 0)
        rc = px_fail(errno);
    else if (fchmodat(d->fd, name, S_IRUSR | S_IWUSR, 0) != 0 ||
             listen(fd, PX_CTL_BACKLOG) != 0) {
        rc = px_fail(errno);
        (void)unlinkat(d->fd, name, 0);
    }
    if (rc != PL_OK) {
        close(fd);
        return rc;
    }
    return px_sock_adopt(fd, out);
}

int pl_ctl_connect(pl_dir *d, const char *name, pl_i32 timeout_ms,
                   pl_sock **out)
{
    struct sockaddr_un sa;
    int rc;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (timeout_ms < 0 && timeout_ms != PL_WAIT_FOREVER)
        return PL_EINVAL;
    rc = px_ctl_addr(d, name, &sa);
    if (rc != PL_OK)
        return rc;
    return px_ctl_dial(&sa, timeout_ms, out);
}

int pl_ctl_peer_ok(pl_sock *s)
{
    uid_t uid;

    if (s == NULL)
        return PL_EINVAL;
#if defined(SO_PEERCRED)
    {
        struct ucred cr;
        socklen_t len = sizeof cr;

        if (getsockopt(pl_sock_fd(s), SOL_SOCKET, SO_PEERCRED, &cr,
                       &len) != 0)
            return px_fail(errno);
        uid = cr.uid;
    }
#else
    {
        gid_t gid;

        if (getpeereid(pl_sock_fd(s), &uid, &gid) != 0)
            return px_fail(errno);
    }
#endif
    if (uid == 0 || uid == geteuid())
        return PL_OK;
    (void)px_fail(EACCES);
    return PL_EACCES;
}
