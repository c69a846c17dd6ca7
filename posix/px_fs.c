/*
 * px_fs.c - files and directories of the platform contract on POSIX.
 *
 * A pl_dir is an O_DIRECTORY descriptor; every file is reached with the
 * *at() calls relative to it, so the core never builds a path and a
 * renamed or replaced parent cannot redirect us.  Names are checked with
 * pl_name_check before any system call; symbolic links are never followed
 * inside a store (O_NOFOLLOW) and meeting one is PL_ELOOP.  Created files
 * are 0600 and directories 0700.  A rename never replaces its target
 * (renameat2 RENAME_NOREPLACE, else link+unlink).
 * Limits: file sizes and offsets up to what off_t holds (64 bits: this file
 * asks for large-file support).  Privilege: whatever the process holds.
 */
#define _GNU_SOURCE 1            /* renameat2, RENAME_NOREPLACE */
#define _FILE_OFFSET_BITS 64     /* 64-bit off_t in the 32-bit build too */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "px_int.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* renameat2 exists in glibc from 2.28 (and in the Linux kernel from 3.15);
 * elsewhere the link+unlink path is the only one. */
#if defined(__GLIBC__) && defined(RENAME_NOREPLACE) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 28))
#define PX_HAVE_RENAMEAT2 1
#endif

struct pl_file {
    int fd;
};

/* The status for a failed open of `name` in dirfd with errno err: a
 * symbolic link in the way is PL_ELOOP whatever errno the system chose
 * (Linux ELOOP, FreeBSD EMLINK, ENOTDIR with O_DIRECTORY, EEXIST with
 * O_EXCL). */
static int px_open_fail(int dirfd, const char *name, int err)
{
    struct stat st;

    if ((err == ELOOP || err == EMLINK || err == ENOTDIR || err == EEXIST) &&
        fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode)) {
        (void)px_fail(ELOOP);
        return PL_ELOOP;
    }
    return px_fail(err);
}

static int px_dir_new(int fd, const char *path, pl_dir **out)
{
    pl_dir *d = (pl_dir *)malloc(sizeof *d);
    size_t len = strlen(path);

    if (d == NULL || (d->path = (char *)malloc(len + 1)) == NULL) {
        free(d);
        close(fd);
        return px_fail(ENOMEM);
    }
    memcpy(d->path, path, len + 1);
    d->fd = fd;
    *out = d;
    return PL_OK;
}

/* mkdir -p for an administrator's path: each missing component is made
 * owner-only; components that exist are left as they are. */
static int px_mkdir_parents(const char *spec)
{
    char *p, *s;
    size_t len = strlen(spec);
    int rc = PL_OK;

    s = (char *)malloc(len + 1);
    if (s == NULL)
        return px_fail(ENOMEM);
    memcpy(s, spec, len + 1);
    for (p = s + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char save = *p;

            *p = '\0';
            if (mkdir(s, 0700) != 0 && errno != EEXIST) {
                rc = px_fail(errno);
                break;
            }
            *p = save;
            if (save == '\0')
                break;
        }
    }
    free(s);
    return rc;
}

int pl_dir_open_root(const char *spec, int flags, pl_dir **out)
{
    int fd;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (spec == NULL || spec[0] == '\0')
        return PL_EINVAL;
    if (flags & PL_DIR_CREATE) {
        int rc = px_mkdir_parents(spec);

        if (rc != PL_OK)
            return rc;
    }
    /* An administrator's path: symbolic links are followed on purpose. */
    fd = open(spec, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return px_fail(errno);
    return px_dir_new(fd, spec, out);
}

int pl_dir_open(pl_dir *parent, const char *name, int flags, pl_dir **out)
{
    int fd;
    char *path;
    size_t plen, nlen;
    int rc;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (parent == NULL || pl_name_check(name, 0) != PL_OK)
        return PL_EINVAL;
    if ((flags & PL_DIR_CREATE) &&
        mkdirat(parent->fd, name, 0700) != 0 && errno != EEXIST)
        return px_fail(errno);
    fd = openat(parent->fd, name,
                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return px_open_fail(parent->fd, name, errno);
    plen = strlen(parent->path);
    nlen = strlen(name);
    path = (char *)malloc(plen + nlen + 2);
    if (path == NULL) {
        close(fd);
        return px_fail(ENOMEM);
    }
    memcpy(path, parent->path, plen);
    path[plen] = '/';
    memcpy(path + plen + 1, name, nlen + 1);
    rc = px_dir_new(fd, path, out);
    free(path);
    return rc;
}

void pl_dir_close(pl_dir *d)
{
    if (d == NULL)
        return;
    close(d->fd);
    free(d->path);
    free(d);
}

int pl_dir_sync(pl_dir *d)
{
    if (d == NULL)
        return PL_EINVAL;
    if (fsync(d->fd) != 0)
        return px_fail(errno);
    return PL_OK;
}

int pl_dir_remove(pl_dir *parent, const char *name)
{
    if (parent == NULL || pl_name_check(name, 0) != PL_OK)
        return PL_EINVAL;
    if (unlinkat(parent->fd, name, AT_REMOVEDIR) != 0) {
        /* POSIX allows EEXIST for a directory that is not empty. */
        if (errno == EEXIST || errno == ENOTEMPTY) {
            (void)px_fail(errno);
            return PL_ENOTEMPTY;
        }
        return px_fail(errno);
    }
    return PL_OK;
}

/* PL_ENT_* for a stat mode; 0 for anything we never create. */
static int px_ent_kind(mode_t m)
{
    if (S_ISREG(m))
        return PL_ENT_FILE;
    if (S_ISDIR(m))
        return PL_ENT_DIR;
    return 0;
}

int pl_dir_list(pl_dir *d, pl_dir_cb cb, void *ctx)
{
    DIR *dp;
    struct dirent *e;
    int fd, rc = PL_OK;

    if (d == NULL || cb == NULL)
        return PL_EINVAL;
    /* A fresh descriptor of its own (not dup, whose offset is shared with
     * d->fd): every listing starts at the beginning. */
    fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return px_fail(errno);
    dp = fdopendir(fd);
    if (dp == NULL) {
        rc = px_fail(errno);
        close(fd);
        return rc;
    }
    for (;;) {
        int kind = 0;

        errno = 0;
        e = readdir(dp);
        if (e == NULL) {
            if (errno != 0)
                rc = px_fail(errno);
            break;
        }
        if (pl_name_check(e->d_name, PL_NAME_TYPE_OK) != PL_OK)
            continue;
#if defined(DT_UNKNOWN) && defined(DT_REG) && defined(DT_DIR)
        if (e->d_type == DT_REG)
            kind = PL_ENT_FILE;
        else if (e->d_type == DT_DIR)
            kind = PL_ENT_DIR;
        else if (e->d_type == DT_UNKNOWN)
#endif
        {
            struct stat st;

            if (fstatat(d->fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
                continue;   /* gone meanwhile */
            kind = px_ent_kind(st.st_mode);
        }
        /* Links, devices and sockets were not made by us; a directory with
         * a type could never be opened by pl_dir_open. */
        if (kind == 0 ||
            (kind == PL_ENT_DIR && pl_name_check(e->d_name, 0) != PL_OK))
            continue;
        rc = cb(ctx, e->d_name, kind);
        if (rc != 0)
            break;
    }
    closedir(dp);
    return rc;
}

int pl_file_info_get(pl_dir *d, const char *name, pl_file_info *info)
{
    struct stat st;

    if (d == NULL || info == NULL ||
        pl_name_check(name, PL_NAME_TYPE_OK) != PL_OK)
        return PL_EINVAL;
    if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return px_fail(errno);
    if (S_ISLNK(st.st_mode)) {
        (void)px_fail(ELOOP);
        return PL_ELOOP;
    }
    info->kind = px_ent_kind(st.st_mode);
    if (info->kind == 0)
        return px_fail(EINVAL);
    info->size = (pl_u64)st.st_size;
    info->mtime = (pl_i64)st.st_mtime;
    return PL_OK;
}

int pl_file_info_path(const char *spec, pl_file_info *info)
{
    struct stat st;

    if (spec == NULL || spec[0] == '\0' || info == NULL)
        return PL_EINVAL;
    if (stat(spec, &st) != 0)
        return px_fail(errno);
    info->kind = px_ent_kind(st.st_mode);
    if (info->kind == 0)
        return px_fail(EINVAL);
    info->size = (pl_u64)st.st_size;
    info->mtime = (pl_i64)st.st_mtime;
    return PL_OK;
}

/* Wrap a freshly opened descriptor: it must be a regular file (a FIFO or a
 * device planted in a store must not block or surprise us), and the
 * O_NONBLOCK used to open it safely is cleared again. */
static int px_file_wrap(int fd, pl_file **out)
{
    struct stat st;
    pl_file *f;
    int fl;

    if (fstat(fd, &st) != 0) {
        int rc = px_fail(errno);

        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return px_fail(S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
    }
    fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK))
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    f = (pl_file *)malloc(sizeof *f);
    if (f == NULL) {
        close(fd);
        return px_fail(ENOMEM);
    }
    f->fd = fd;
    *out = f;
    return PL_OK;
}

int pl_file_create(pl_dir *d, const char *name, pl_file **out)
{
    int fd;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (d == NULL || pl_name_check(name, PL_NAME_TYPE_OK) != PL_OK)
        return PL_EINVAL;
    fd = openat(d->fd, name,
                O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return px_open_fail(d->fd, name, errno);
    return px_file_wrap(fd, out);
}

int pl_file_open(pl_dir *d, const char *name, int mode, pl_file **out)
{
    int fd, fl;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (d == NULL || pl_name_check(name, PL_NAME_TYPE_OK) != PL_OK)
        return PL_EINVAL;
    switch (mode) {
    case PL_OPEN_READ:        fl = O_RDONLY; break;
    case PL_OPEN_RDWR:        fl = O_RDWR; break;
    case PL_OPEN_RDWR_CREATE: fl = O_RDWR | O_CREAT; break;
    default:                  return PL_EINVAL;
    }
    fd = openat(d->fd, name, fl | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
    if (fd < 0)
        return px_open_fail(d->fd, name, errno);
    return px_file_wrap(fd, out);
}

int pl_file_open_path(const char *spec, pl_file **out)
{
    int fd;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (spec == NULL || spec[0] == '\0')
        return PL_EINVAL;
    fd = open(spec, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return px_fail(errno);
    return px_file_wrap(fd, out);
}

int pl_file_create_path(const char *spec, pl_file **out)
{
    int fd;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (spec == NULL || spec[0] == '\0')
        return PL_EINVAL;
    fd = open(spec, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return px_fail(errno);
    /* O_CREAT's mode only applies to a new file; an old target keeps its
     * permissions unless we narrow them. */
    if (fchmod(fd, 0600) != 0) {
        int rc = px_fail(errno);

        close(fd);
        return rc;
    }
    return px_file_wrap(fd, out);
}

int pl_file_temp(pl_file **out)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int fd;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    /* An unusable $TMPDIR (relative, too long) falls back to /tmp rather
     * than failing a submission. */
    if (dir == NULL || dir[0] != '/' || strlen(dir) > sizeof path - 32)
        dir = "/tmp";
    (void)snprintf(path, sizeof path, "%s/newmail-XXXXXX", dir);
    fd = mkstemp(path);
    if (fd < 0)
        return px_fail(errno);
    /* Nameless from now on: nobody else can open it, and it is gone with
     * its last descriptor whatever happens to this process. */
    (void)unlink(path);
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    return px_file_wrap(fd, out);
}

int pl_file_write(pl_file *f, const void *buf, size_t n)
{
    const char *p = (const char *)buf;

    if (f == NULL || (buf == NULL && n > 0))
        return PL_EINVAL;
    while (n > 0) {
        ssize_t k = write(f->fd, p, n);

        if (k < 0) {
            if (errno == EINTR)
                continue;
            return px_fail(errno);
        }
        if (k == 0)
            return px_fail(ENOSPC);
        p += k;
        n -= (size_t)k;
    }
    return PL_OK;
}

int pl_file_read(pl_file *f, void *buf, size_t n, size_t *got)
{
    ssize_t k;

    if (got != NULL)
        *got = 0;
    if (f == NULL || buf == NULL || got == NULL || n == 0)
        return PL_EINVAL;
    do {
        k = read(f->fd, buf, n);
    } while (k < 0 && errno == EINTR);
    if (k < 0)
        return px_fail(errno);
    *got = (size_t)k;
    return PL_OK;
}

/* Convert a contract offset to off_t; PL_EINVAL if it does not fit. */
static int px_to_off(pl_u64 v, off_t *o)
{
    *o = (off_t)v;
    if (*o < 0 || (pl_u64)*o != v) {
        (void)px_fail(EFBIG);
        return PL_EINVAL;
    }
    return PL_OK;
}

int pl_file_seek(pl_file *f, pl_u64 offset)
{
    off_t o;

    if (f == NULL || px_to_off(offset, &o) != PL_OK)
        return PL_EINVAL;
    if (lseek(f->fd, o, SEEK_SET) == (off_t)-1)
        return px_fail(errno);
    return PL_OK;
}

int pl_file_truncate(pl_file *f, pl_u64 size)
{
    off_t o;
    int r;

    if (f == NULL || px_to_off(size, &o) != PL_OK)
        return PL_EINVAL;
    do {
        r = ftruncate(f->fd, o);
    } while (r != 0 && errno == EINTR);
    if (r != 0)
        return px_fail(errno);
    return PL_OK;
}

int pl_file_size(pl_file *f, pl_u64 *size)
{
    struct stat st;

    if (f == NULL || size == NULL)
        return PL_EINVAL;
    if (fstat(f->fd, &st) != 0)
        return px_fail(errno);
    *size = (pl_u64)st.st_size;
    return PL_OK;
}

int pl_file_sync(pl_file *f)
{
    if (f == NULL)
        return PL_EINVAL;
    if (fsync(f->fd) != 0)
        return px_fail(errno);
    return PL_OK;
}

int pl_file_close(pl_file *f)
{
    int rc = PL_OK;

    if (f == NULL)
        return PL_OK;
    /* Never retried on EINTR: the descriptor is gone either way on Linux,
     * and a retry could close a descriptor another thread just opened. */
    if (close(f->fd) != 0 && errno != EINTR)
        rc = px_fail(errno);
    free(f);
    return rc;
}

/* No-replace rename by hard link: linkat fails with EEXIST if the target
 * exists, which makes the check and the rename one atomic step. */
static int px_rename_link(pl_dir *from, const char *fn, pl_dir *to,
                          const char *tn)
{
    if (linkat(from->fd, fn, to->fd, tn, 0) != 0)
        return px_fail(errno);
    if (unlinkat(from->fd, fn, 0) != 0) {
        int rc = px_fail(errno);

        /* Put things back as they were: the contract promises that a
         * failed rename changes nothing. */
        (void)unlinkat(to->fd, tn, 0);
        return rc;
    }
    return PL_OK;
}

int pl_file_rename(pl_dir *from, const char *from_name,
                   pl_dir *to, const char *to_name)
{
    struct stat st;

    if (from == NULL || to == NULL ||
        pl_name_check(from_name, PL_NAME_TYPE_OK) != PL_OK ||
        pl_name_check(to_name, PL_NAME_TYPE_OK) != PL_OK)
        return PL_EINVAL;
    if (fstatat(from->fd, from_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return px_fail(errno);
    if (S_ISLNK(st.st_mode)) {
        (void)px_fail(ELOOP);
        return PL_ELOOP;
    }
    if (!S_ISREG(st.st_mode))
        return px_fail(S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
#ifdef PX_HAVE_RENAMEAT2
    if (renameat2(from->fd, from_name, to->fd, to_name,
                  RENAME_NOREPLACE) == 0)
        return PL_OK;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP &&
        errno != EOPNOTSUPP)
        return px_fail(errno);
#endif
    return px_rename_link(from, from_name, to, to_name);
}

int pl_file_replace(pl_dir *d, const char *from_name, const char *to_name)
{
    struct stat st;

    if (d == NULL || pl_name_check(from_name, PL_NAME_TYPE_OK) != PL_OK ||
        pl_name_check(to_name, PL_NAME_TYPE_OK) != PL_OK)
        return PL_EINVAL;
    /* The source must be a regular file we made; the target may be missing
     * but never a symbolic link or a directory, which rename would replace
     * or refuse in ways the contract does not promise. */
    if (fstatat(d->fd, from_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return px_fail(errno);
    if (!S_ISREG(st.st_mode))
        return px_fail(S_ISLNK(st.st_mode) ? ELOOP : EINVAL);
    if (fstatat(d->fd, to_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        !S_ISREG(st.st_mode))
        return px_fail(S_ISLNK(st.st_mode) ? ELOOP : EINVAL);
    if (renameat(d->fd, from_name, d->fd, to_name) != 0)
        return px_fail(errno);
    return PL_OK;
}

int pl_file_remove(pl_dir *d, const char *name)
{
    if (d == NULL || pl_name_check(name, PL_NAME_TYPE_OK) != PL_OK)
        return PL_EINVAL;
    if (unlinkat(d->fd, name, 0) != 0)
        return px_fail(errno);
    return PL_OK;
}
