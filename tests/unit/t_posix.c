/*
 * t_posix.c - unit tests of the POSIX platform layer (posix/, and the
 * shared platform/pl_common.c): names, errors, files and directories,
 * locks across threads and processes, time, logging, sockets, threads,
 * events, accounts and privilege.
 *
 * Limits: sockets use loopback only (no network); the IPv6, time-zone and
 * root-only cases skip themselves when the machine lacks them.  Tests that
 * change identity or descriptors 0/3 run in a forked child.
 * Privilege: runs as any user; as root it also checks the identity switch.
 */
/* posix_openpt and friends (XSI) for the terminal test. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "t_util.h"

/* ------------------------------------------------------------------ */
/* helpers                                                             */
/* ------------------------------------------------------------------ */

/* A fresh scratch directory opened as a pl_dir; its path in path. */
static pl_dir *t_px_dir(const char *name, char *path, size_t n)
{
    const char *p = t_scratch_dir(name);
    pl_dir *d = NULL;

    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    snprintf(path, n, "%s", p);
    CU_ASSERT_EQUAL_FATAL(pl_dir_open_root(path, 0, &d), PL_OK);
    return d;
}

/* Create `name` in d holding text. */
static void t_px_put(pl_dir *d, const char *name, const char *text)
{
    pl_file *f = NULL;

    CU_ASSERT_EQUAL_FATAL(pl_file_create(d, name, &f), PL_OK);
    CU_ASSERT_EQUAL(pl_file_write(f, text, strlen(text)), PL_OK);
    CU_ASSERT_EQUAL(pl_file_close(f), PL_OK);
}

/* Read the whole of `name` in d into buf (NUL-ended); the status. */
static int t_px_get(pl_dir *d, const char *name, char *buf, size_t n)
{
    pl_file *f = NULL;
    size_t len = 0, got;
    int rc = pl_file_open(d, name, PL_OPEN_READ, &f);

    if (rc != PL_OK)
        return rc;
    while (len + 1 < n &&
           (rc = pl_file_read(f, buf + len, n - 1 - len, &got)) == PL_OK &&
           got > 0)
        len += got;
    buf[len] = '\0';
    pl_file_close(f);
    return rc;
}

/* Wait for a forked child; its exit status, or -1 if it did not exit. */
static int t_px_wait(pid_t pid)
{
    int st;

    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ------------------------------------------------------------------ */
/* names and errors                                                    */
/* ------------------------------------------------------------------ */

static void t_px_names(void)
{
    static const struct {
        const char *name;
        int flags;
        int rc;
    } tab[] = {
        { "NEWMAIL", 0, PL_OK },
        { "NEWMAIL", PL_NAME_TYPE_OK, PL_OK },
        { "M_1.MSG", PL_NAME_TYPE_OK, PL_OK },
        { "M_1.MSG", 0, PL_EINVAL },
        { "A", 0, PL_OK },
        { "0", 0, PL_OK },
        { "_", 0, PL_OK },
        { "A.B", PL_NAME_TYPE_OK, PL_OK },
        { "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABC", 0, PL_OK },  /* 39 */
        { "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCD", 0, PL_EINVAL }, /* 40 */
        { "A.ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABC", PL_NAME_TYPE_OK,
          PL_OK },
        { "A.ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCD", PL_NAME_TYPE_OK,
          PL_EINVAL },
        { "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCD.X", PL_NAME_TYPE_OK,
          PL_EINVAL },
        { "", 0, PL_EINVAL },
        { "", PL_NAME_TYPE_OK, PL_EINVAL },
        { "..", PL_NAME_TYPE_OK, PL_EINVAL },
        { ".", PL_NAME_TYPE_OK, PL_EINVAL },
        { "../x", PL_NAME_TYPE_OK, PL_EINVAL },
        { "../X", PL_NAME_TYPE_OK, PL_EINVAL },
        { "a/b", PL_NAME_TYPE_OK, PL_EINVAL },
        { "A/B", PL_NAME_TYPE_OK, PL_EINVAL },
        { "~root", 0, PL_EINVAL },
        { "a", 0, PL_EINVAL },
        { "newmail", 0, PL_EINVAL },
        { "Newmail", 0, PL_EINVAL },
        { "X;1", PL_NAME_TYPE_OK, PL_EINVAL },
        { "A*", PL_NAME_TYPE_OK, PL_EINVAL },
        { "%%", PL_NAME_TYPE_OK, PL_EINVAL },
        { "DKA0:[X]", PL_NAME_TYPE_OK, PL_EINVAL },
        { "[-]", PL_NAME_TYPE_OK, PL_EINVAL },
        { "A.B.C", PL_NAME_TYPE_OK, PL_EINVAL },
        { "A.", PL_NAME_TYPE_OK, PL_EINVAL },
        { ".A", PL_NAME_TYPE_OK, PL_EINVAL },
        { "A-B", 0, PL_EINVAL },
        { "A$B", 0, PL_EINVAL },
        { "A B", 0, PL_EINVAL },
        { "A\nB", 0, PL_EINVAL },
        { "A\\B", 0, PL_EINVAL },
        { "\xc3\x84", 0, PL_EINVAL },
        { "A.b", PL_NAME_TYPE_OK, PL_EINVAL }
    };
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        int rc = pl_name_check(tab[i].name, tab[i].flags);

        if (rc != tab[i].rc)
            fprintf(stderr, "\nname \"%s\" flags %d: %d\n", tab[i].name,
                    tab[i].flags, rc);
        CU_ASSERT_EQUAL(rc, tab[i].rc);
    }
    CU_ASSERT_EQUAL(pl_name_check(NULL, 0), PL_EINVAL);
}

static void t_px_strerror(void)
{
    int i, j;

    for (i = PL_OK; i >= PL_E_LAST; i--) {
        CU_ASSERT_PTR_NOT_NULL(pl_strerror(i));
        CU_ASSERT_STRING_NOT_EQUAL(pl_strerror(i), "unknown status");
        for (j = i - 1; j >= PL_E_LAST; j--)
            CU_ASSERT_STRING_NOT_EQUAL(pl_strerror(i), pl_strerror(j));
    }
    CU_ASSERT_STRING_EQUAL(pl_strerror(PL_EEXIST), "file exists");
    CU_ASSERT_STRING_EQUAL(pl_strerror(1), "unknown status");
    CU_ASSERT_STRING_EQUAL(pl_strerror(PL_E_LAST - 1), "unknown status");
}

static void t_px_native(void)
{
    char buf[128];
    pl_file *f = NULL;

    CU_ASSERT_EQUAL(pl_file_open_path("build/test-scratch/NO/SUCH", &f),
                    PL_ENOENT);
    pl_last_native(buf, sizeof buf);
    CU_ASSERT(strncmp(buf, "errno ", 6) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, ": "));
    pl_last_native(buf, 4);   /* cut, still ended */
    CU_ASSERT_EQUAL(strlen(buf), 3);
}

/* The native status is per thread: another thread's failure is not ours. */
static void t_px_native_thr(void *arg)
{
    char *buf = (char *)arg;

    pl_last_native(buf, 128);
}

static void t_px_native_thread(void)
{
    char mine[128], theirs[128];
    pl_thread *t = NULL;
    pl_file *f = NULL;

    CU_ASSERT_EQUAL(pl_file_open_path("build/test-scratch/NO/SUCH", &f),
                    PL_ENOENT);
    CU_ASSERT_EQUAL_FATAL(pl_thread_start(t_px_native_thr, theirs, 0, 0, &t),
                          PL_OK);
    CU_ASSERT_EQUAL(pl_thread_join(t), PL_OK);
    pl_last_native(mine, sizeof mine);
    CU_ASSERT_STRING_EQUAL(theirs, "no native status");
    CU_ASSERT(strncmp(mine, "errno ", 6) == 0);
}

/* ------------------------------------------------------------------ */
/* files and directories                                               */
/* ------------------------------------------------------------------ */

static void t_px_root_create(void)
{
    char path[512], deep[600];
    pl_dir *d = NULL;
    struct stat st;

    snprintf(path, sizeof path, "%s", t_scratch_dir("px_root"));
    snprintf(deep, sizeof deep, "%s/a/b/c", path);
    CU_ASSERT_EQUAL(pl_dir_open_root(deep, 0, &d), PL_ENOENT);
    CU_ASSERT_PTR_NULL(d);
    CU_ASSERT_EQUAL_FATAL(pl_dir_open_root(deep, PL_DIR_CREATE, &d), PL_OK);
    pl_dir_close(d);
    CU_ASSERT_EQUAL(stat(deep, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0700);
    /* again: it exists now */
    CU_ASSERT_EQUAL(pl_dir_open_root(deep, PL_DIR_CREATE, &d), PL_OK);
    pl_dir_close(d);
    CU_ASSERT_EQUAL(pl_dir_open_root("", 0, &d), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_dir_open_root(NULL, 0, &d), PL_EINVAL);
    pl_dir_close(NULL);
}

static void t_px_file_rw(void)
{
    char path[512], buf[64];
    pl_dir *d = t_px_dir("px_rw", path, sizeof path);
    pl_file *f = NULL, *g = NULL;
    pl_u64 size = 99;
    size_t got;
    pl_file_info info;
    struct stat st;
    char full[600];

    CU_ASSERT_EQUAL_FATAL(pl_file_create(d, "M_1.MSG", &f), PL_OK);
    CU_ASSERT_EQUAL(pl_file_size(f, &size), PL_OK);
    CU_ASSERT(size == 0);
    CU_ASSERT_EQUAL(pl_file_write(f, "hello world", 11), PL_OK);
    CU_ASSERT_EQUAL(pl_file_sync(f), PL_OK);
    CU_ASSERT_EQUAL(pl_file_size(f, &size), PL_OK);
    CU_ASSERT(size == 11);
    CU_ASSERT_EQUAL(pl_file_close(f), PL_OK);
    CU_ASSERT_EQUAL(pl_dir_sync(d), PL_OK);
    snprintf(full, sizeof full, "%s/M_1.MSG", path);
    CU_ASSERT_EQUAL(stat(full, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);

    /* exclusive create: the second one fails and changes nothing */
    CU_ASSERT_EQUAL(pl_file_create(d, "M_1.MSG", &g), PL_EEXIST);
    CU_ASSERT_PTR_NULL(g);
    CU_ASSERT_EQUAL(t_px_get(d, "M_1.MSG", buf, sizeof buf), PL_OK);
    CU_ASSERT_STRING_EQUAL(buf, "hello world");

    /* read to the end: got 0 only there */
    CU_ASSERT_EQUAL_FATAL(pl_file_open(d, "M_1.MSG", PL_OPEN_READ, &f), PL_OK);
    CU_ASSERT_EQUAL(pl_file_read(f, buf, 5, &got), PL_OK);
    CU_ASSERT_EQUAL(got, 5);
    CU_ASSERT_EQUAL(pl_file_read(f, buf, sizeof buf, &got), PL_OK);
    CU_ASSERT_EQUAL(got, 6);
    CU_ASSERT_EQUAL(pl_file_read(f, buf, sizeof buf, &got), PL_OK);
    CU_ASSERT_EQUAL(got, 0);
    CU_ASSERT_EQUAL(pl_file_seek(f, 6), PL_OK);
    CU_ASSERT_EQUAL(pl_file_read(f, buf, sizeof buf, &got), PL_OK);
    CU_ASSERT_EQUAL(got, 5);
    CU_ASSERT(memcmp(buf, "world", 5) == 0);
    CU_ASSERT_EQUAL(pl_file_write(f, "x", 1), PL_EINVAL);   /* read only */
    CU_ASSERT_EQUAL(pl_file_close(f), PL_OK);

    /* update in place, truncate */
    CU_ASSERT_EQUAL_FATAL(pl_file_open(d, "M_1.MSG", PL_OPEN_RDWR, &f), PL_OK);
    CU_ASSERT_EQUAL(pl_file_seek(f, 2), PL_OK);
    CU_ASSERT_EQUAL(pl_file_write(f, "XY", 2), PL_OK);
    CU_ASSERT_EQUAL(pl_file_truncate(f, 3), PL_OK);
    CU_ASSERT_EQUAL(pl_file_size(f, &size), PL_OK);
    CU_ASSERT(size == 3);
    CU_ASSERT_EQUAL(pl_file_seek(f, 0), PL_OK);
    CU_ASSERT_EQUAL(pl_file_read(f, buf, sizeof buf, &got), PL_OK);
    CU_ASSERT_EQUAL(got, 3);
    CU_ASSERT(memcmp(buf, "heX", 3) == 0);
    CU_ASSERT_EQUAL(pl_file_seek(f, (pl_u64)-1), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_file_close(f), PL_OK);

    CU_ASSERT_EQUAL(pl_file_info_get(d, "M_1.MSG", &info), PL_OK);
    CU_ASSERT_EQUAL(info.kind, PL_ENT_FILE);
    CU_ASSERT(info.size == 3);
    CU_ASSERT(info.mtime > 1000000000);
    CU_ASSERT_EQUAL(pl_file_info_get(d, "NONE", &info), PL_ENOENT);

    CU_ASSERT_EQUAL(pl_file_open(d, "NEW.IDX", PL_OPEN_RDWR, &f), PL_ENOENT);
    CU_ASSERT_EQUAL(pl_file_open(d, "NEW.IDX", PL_OPEN_READ, &f), PL_ENOENT);
    CU_ASSERT_EQUAL_FATAL(pl_file_open(d, "NEW.IDX", PL_OPEN_RDWR_CREATE, &f),
                          PL_OK);
    CU_ASSERT_EQUAL(pl_file_close(f), PL_OK);
    CU_ASSERT_EQUAL(pl_file_open(d, "NEW.IDX", 9, &f), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_file_close(NULL), PL_OK);
    pl_dir_close(d);
}

static void t_px_bad_names(void)
{
    static const char *const bad[] = {
        "", "..", ".", "../x", "a/b", "/etc/passwd", "x", "A.B.C", "A;1"
    };
    char path[512];
    pl_dir *d = t_px_dir("px_bad", path, sizeof path), *s = NULL;
    pl_file *f = NULL;
    pl_lock *lk = NULL;
    pl_file_info info;
    size_t i;

    t_px_put(d, "GOOD.MSG", "g");
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(pl_file_create(d, bad[i], &f), PL_EINVAL);
        CU_ASSERT_EQUAL(pl_file_open(d, bad[i], PL_OPEN_RDWR_CREATE, &f),
                        PL_EINVAL);
        CU_ASSERT_EQUAL(pl_file_info_get(d, bad[i], &info), PL_EINVAL);
        CU_ASSERT_EQUAL(pl_file_remove(d, bad[i]), PL_EINVAL);
        CU_ASSERT_EQUAL(pl_file_rename(d, "GOOD.MSG", d, bad[i]), PL_EINVAL);
        CU_ASSERT_EQUAL(pl_file_rename(d, bad[i], d, "OTHER"), PL_EINVAL);
        CU_ASSERT_EQUAL(pl_dir_open(d, bad[i], PL_DIR_CREATE, &s), PL_EINVAL);
        CU_ASSERT_EQUAL(pl_dir_remove(d, bad[i]), PL_EINVAL);
        CU_ASSERT_EQUAL(pl_lock_take(d, bad[i], PL_LOCK_EX, 0, &lk),
                        PL_EINVAL);
    }
    /* a directory name takes no type */
    CU_ASSERT_EQUAL(pl_dir_open(d, "A.DIR", PL_DIR_CREATE, &s), PL_EINVAL);
    CU_ASSERT_PTR_NULL(f);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_PTR_NULL(lk);
    pl_dir_close(d);
}

static void t_px_symlinks(void)
{
    char path[512], full[600], buf[16];
    pl_dir *d = t_px_dir("px_link", path, sizeof path), *s = NULL;
    pl_file *f = NULL;
    pl_lock *lk = NULL;
    pl_file_info info;

    t_px_put(d, "REAL.MSG", "real");
    CU_ASSERT_EQUAL_FATAL(pl_dir_open(d, "REALDIR", PL_DIR_CREATE, &s), PL_OK);
    pl_dir_close(s);
    s = NULL;
    snprintf(full, sizeof full, "%s/LINK.MSG", path);
    CU_ASSERT_EQUAL_FATAL(symlink("REAL.MSG", full), 0);
    snprintf(full, sizeof full, "%s/DANGLE.MSG", path);
    CU_ASSERT_EQUAL_FATAL(symlink("NOWHERE.MSG", full), 0);
    snprintf(full, sizeof full, "%s/LDIR", path);
    CU_ASSERT_EQUAL_FATAL(symlink("REALDIR", full), 0);

    CU_ASSERT_EQUAL(pl_file_open(d, "LINK.MSG", PL_OPEN_READ, &f), PL_ELOOP);
    CU_ASSERT_EQUAL(pl_file_open(d, "LINK.MSG", PL_OPEN_RDWR, &f), PL_ELOOP);
    CU_ASSERT_EQUAL(pl_file_open(d, "DANGLE.MSG", PL_OPEN_RDWR_CREATE, &f),
                    PL_ELOOP);
    CU_ASSERT_EQUAL(pl_file_create(d, "LINK.MSG", &f), PL_ELOOP);
    CU_ASSERT_EQUAL(pl_file_create(d, "DANGLE.MSG", &f), PL_ELOOP);
    CU_ASSERT_EQUAL(pl_file_info_get(d, "LINK.MSG", &info), PL_ELOOP);
    CU_ASSERT_EQUAL(pl_dir_open(d, "LDIR", 0, &s), PL_ELOOP);
    CU_ASSERT_EQUAL(pl_dir_open(d, "LDIR", PL_DIR_CREATE, &s), PL_ELOOP);
    CU_ASSERT_EQUAL(pl_lock_take(d, "LINK.MSG", PL_LOCK_EX, 0, &lk),
                    PL_ELOOP);
    CU_ASSERT_EQUAL(pl_lock_take(d, "DANGLE.MSG", PL_LOCK_EX, 0, &lk),
                    PL_ELOOP);
    CU_ASSERT_EQUAL(pl_file_rename(d, "LINK.MSG", d, "MOVED.MSG"), PL_ELOOP);
    CU_ASSERT_PTR_NULL(f);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_PTR_NULL(lk);
    /* the dangling link created nothing */
    snprintf(full, sizeof full, "%s/NOWHERE.MSG", path);
    CU_ASSERT_EQUAL(access(full, F_OK), -1);
    CU_ASSERT_EQUAL(t_px_get(d, "REAL.MSG", buf, sizeof buf), PL_OK);
    CU_ASSERT_STRING_EQUAL(buf, "real");
    pl_dir_close(d);
}

static void t_px_special(void)
{
    char path[512], full[600];
    pl_dir *d = t_px_dir("px_fifo", path, sizeof path), *s = NULL;
    pl_file *f = NULL;

    snprintf(full, sizeof full, "%s/FIFO.MSG", path);
    CU_ASSERT_EQUAL_FATAL(mkfifo(full, 0600), 0);
    /* must not hang waiting for a writer, and must refuse */
    CU_ASSERT_EQUAL(pl_file_open(d, "FIFO.MSG", PL_OPEN_READ, &f), PL_EINVAL);
    CU_ASSERT_EQUAL_FATAL(pl_dir_open(d, "SUB", PL_DIR_CREATE, &s), PL_OK);
    pl_dir_close(s);
    CU_ASSERT_EQUAL(pl_file_open(d, "SUB", PL_OPEN_READ, &f), PL_EINVAL);
    t_px_put(d, "PLAIN", "p");
    CU_ASSERT_EQUAL(pl_dir_open(d, "PLAIN", 0, &s), PL_ENOTDIR);
    CU_ASSERT_PTR_NULL(f);
    pl_dir_close(d);
}

static void t_px_rename(void)
{
    char path[512], buf[16];
    pl_dir *d = t_px_dir("px_ren", path, sizeof path), *sub = NULL;

    t_px_put(d, "TMP_1", "new");
    t_px_put(d, "M_1.MSG", "old");
    CU_ASSERT_EQUAL(pl_file_rename(d, "TMP_1", d, "M_1.MSG"), PL_EEXIST);
    CU_ASSERT_EQUAL(t_px_get(d, "TMP_1", buf, sizeof buf), PL_OK);
    CU_ASSERT_STRING_EQUAL(buf, "new");
    CU_ASSERT_EQUAL(t_px_get(d, "M_1.MSG", buf, sizeof buf), PL_OK);
    CU_ASSERT_STRING_EQUAL(buf, "old");

    CU_ASSERT_EQUAL_FATAL(pl_dir_open(d, "NEWMAIL", PL_DIR_CREATE, &sub),
                          PL_OK);
    CU_ASSERT_EQUAL(pl_file_rename(d, "TMP_1", sub, "M_2.MSG"), PL_OK);
    CU_ASSERT_EQUAL(t_px_get(d, "TMP_1", buf, sizeof buf), PL_ENOENT);
    CU_ASSERT_EQUAL(t_px_get(sub, "M_2.MSG", buf, sizeof buf), PL_OK);
    CU_ASSERT_STRING_EQUAL(buf, "new");
    CU_ASSERT_EQUAL(pl_dir_sync(sub), PL_OK);
    CU_ASSERT_EQUAL(pl_file_rename(d, "TMP_1", sub, "M_3.MSG"), PL_ENOENT);
    /* same name in the same place exists: refused, not a no-op */
    CU_ASSERT_EQUAL(pl_file_rename(d, "M_1.MSG", d, "M_1.MSG"), PL_EEXIST);
    CU_ASSERT_EQUAL(pl_file_rename(d, "NEWMAIL", d, "OTHER"), PL_EINVAL);
    pl_dir_close(sub);
    pl_dir_close(d);
}

/* Replace: the target holds the old or the new contents, never neither;
 * the source is gone; links and directories are refused. */
static void t_px_replace(void)
{
    char path[512], full[600], buf[16];
    pl_dir *d = t_px_dir("px_repl", path, sizeof path), *sub = NULL;

    t_px_put(d, "REC.TMP", "new");
    CU_ASSERT_EQUAL(pl_file_replace(d, "REC.TMP", "REC.ACC"), PL_OK);
    CU_ASSERT_EQUAL(t_px_get(d, "REC.ACC", buf, sizeof buf), PL_OK);
    CU_ASSERT_STRING_EQUAL(buf, "new");
    t_px_put(d, "REC.TMP", "newer");
    CU_ASSERT_EQUAL(pl_file_replace(d, "REC.TMP", "REC.ACC"), PL_OK);
    CU_ASSERT_EQUAL(t_px_get(d, "REC.ACC", buf, sizeof buf), PL_OK);
    CU_ASSERT_STRING_EQUAL(buf, "newer");
    CU_ASSERT_EQUAL(t_px_get(d, "REC.TMP", buf, sizeof buf), PL_ENOENT);
    CU_ASSERT_EQUAL(pl_file_replace(d, "REC.TMP", "REC.ACC"), PL_ENOENT);
    CU_ASSERT_EQUAL(pl_file_replace(d, "../X", "REC.ACC"), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_file_replace(d, "REC.ACC", "a/b"), PL_EINVAL);

    /* a symbolic link planted as the target is never followed or replaced */
    (void)snprintf(full, sizeof full, "%s/LINK.ACC", path);
    CU_ASSERT_EQUAL_FATAL(symlink("/etc/passwd", full), 0);
    t_px_put(d, "REC.TMP", "x");
    CU_ASSERT_EQUAL(pl_file_replace(d, "REC.TMP", "LINK.ACC"), PL_ELOOP);
    CU_ASSERT_EQUAL_FATAL(pl_dir_open(d, "SUB", PL_DIR_CREATE, &sub), PL_OK);
    CU_ASSERT_EQUAL(pl_file_replace(d, "REC.TMP", "SUB"), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_file_replace(d, "SUB", "REC.ACC"), PL_EINVAL);
    CU_ASSERT_EQUAL(t_px_get(d, "REC.ACC", buf, sizeof buf), PL_OK);
    CU_ASSERT_STRING_EQUAL(buf, "newer");
    pl_dir_close(sub);
    pl_dir_close(d);
}

/* Across devices: PL_EXDEV, when /dev/shm is another file system. */
static void t_px_exdev(void)
{
    char path[512];
    pl_dir *d = t_px_dir("px_xdev", path, sizeof path), *shm = NULL;
    struct stat a, b;

    if (stat(path, &a) != 0 || stat("/dev/shm", &b) != 0 ||
        a.st_dev == b.st_dev ||
        pl_dir_open_root("/dev/shm/t_px_xdev", PL_DIR_CREATE, &shm) != PL_OK) {
        fprintf(stderr, "\n  (no second file system: skipped) ");
        pl_dir_close(d);
        return;
    }
    t_px_put(d, "MOVE.MSG", "m");
    CU_ASSERT_EQUAL(pl_file_rename(d, "MOVE.MSG", shm, "MOVE.MSG"), PL_EXDEV);
    CU_ASSERT_EQUAL(pl_file_remove(d, "MOVE.MSG"), PL_OK);
    CU_ASSERT_EQUAL(pl_file_remove(shm, "MOVE.MSG"), PL_ENOENT);
    pl_dir_close(shm);
    rmdir("/dev/shm/t_px_xdev");
    pl_dir_close(d);
}

typedef struct t_px_seen {
    char names[16][48];
    int kinds[16];
    int n;
    int stop_at;
} t_px_seen;

static int t_px_list_cb(void *ctx, const char *name, int kind)
{
    t_px_seen *s = (t_px_seen *)ctx;

    if (s->n < 16) {
        snprintf(s->names[s->n], sizeof s->names[0], "%s", name);
        s->kinds[s->n] = kind;
    }
    s->n++;
    return s->stop_at != 0 && s->n >= s->stop_at ? 77 : 0;
}

/* The kind under which name was seen, 0 if it was not. */
static int t_px_seen_kind(const t_px_seen *s, const char *name)
{
    int i;

    for (i = 0; i < s->n && i < 16; i++)
        if (strcmp(s->names[i], name) == 0)
            return s->kinds[i];
    return 0;
}

static void t_px_list(void)
{
    static const char *const foreign[] = {
        "lower.msg", "A.B.C", ".hidden", "WITH SPACE", "A-B"
    };
    char path[512], full[600];
    pl_dir *d = t_px_dir("px_list", path, sizeof path), *s = NULL;
    t_px_seen seen;
    size_t i;

    t_px_put(d, "A.MSG", "a");
    t_px_put(d, "B", "b");
    CU_ASSERT_EQUAL_FATAL(pl_dir_open(d, "SUB", PL_DIR_CREATE, &s), PL_OK);
    pl_dir_close(s);
    for (i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        FILE *fp;

        snprintf(full, sizeof full, "%s/%s", path, foreign[i]);
        fp = fopen(full, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
        fclose(fp);
    }
    snprintf(full, sizeof full, "%s/LINK", path);
    CU_ASSERT_EQUAL(symlink("A.MSG", full), 0);
    snprintf(full, sizeof full, "%s/D.X", path);
    CU_ASSERT_EQUAL(mkdir(full, 0700), 0);

    memset(&seen, 0, sizeof seen);
    CU_ASSERT_EQUAL(pl_dir_list(d, t_px_list_cb, &seen), PL_OK);
    CU_ASSERT_EQUAL(seen.n, 3);
    CU_ASSERT_EQUAL(t_px_seen_kind(&seen, "A.MSG"), PL_ENT_FILE);
    CU_ASSERT_EQUAL(t_px_seen_kind(&seen, "B"), PL_ENT_FILE);
    CU_ASSERT_EQUAL(t_px_seen_kind(&seen, "SUB"), PL_ENT_DIR);
    /* twice in a row: each listing starts at the beginning */
    memset(&seen, 0, sizeof seen);
    CU_ASSERT_EQUAL(pl_dir_list(d, t_px_list_cb, &seen), PL_OK);
    CU_ASSERT_EQUAL(seen.n, 3);
    /* a nonzero callback return stops and is returned */
    memset(&seen, 0, sizeof seen);
    seen.stop_at = 2;
    CU_ASSERT_EQUAL(pl_dir_list(d, t_px_list_cb, &seen), 77);
    CU_ASSERT_EQUAL(seen.n, 2);
    pl_dir_close(d);
}

static void t_px_remove(void)
{
    char path[512];
    pl_dir *d = t_px_dir("px_rm", path, sizeof path), *s = NULL;

    CU_ASSERT_EQUAL_FATAL(pl_dir_open(d, "MAIL", PL_DIR_CREATE, &s), PL_OK);
    t_px_put(s, "X.MSG", "x");
    CU_ASSERT_EQUAL(pl_dir_remove(d, "MAIL"), PL_ENOTEMPTY);
    CU_ASSERT_EQUAL(pl_file_remove(s, "X.MSG"), PL_OK);
    CU_ASSERT_EQUAL(pl_file_remove(s, "X.MSG"), PL_ENOENT);
    pl_dir_close(s);
    CU_ASSERT_EQUAL(pl_dir_remove(d, "MAIL"), PL_OK);
    CU_ASSERT_EQUAL(pl_dir_remove(d, "MAIL"), PL_ENOENT);
    CU_ASSERT_EQUAL(pl_dir_open(d, "MAIL", 0, &s), PL_ENOENT);
    pl_dir_close(d);
}

static void t_px_paths(void)
{
    char path[512], full[600], buf[32];
    const char *p = t_scratch_dir("px_path");
    pl_file *f = NULL;
    size_t got;
    struct stat st;

    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    snprintf(path, sizeof path, "%s", p);
    snprintf(full, sizeof full, "%s/export.txt", path);
    /* an old target with wide permissions is narrowed and emptied */
    {
        FILE *fp = fopen(full, "w");

        CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
        fputs("old contents that must go", fp);
        fclose(fp);
        chmod(full, 0644);
    }
    CU_ASSERT_EQUAL_FATAL(pl_file_create_path(full, &f), PL_OK);
    CU_ASSERT_EQUAL(pl_file_write(f, "exported", 8), PL_OK);
    CU_ASSERT_EQUAL(pl_file_close(f), PL_OK);
    CU_ASSERT_EQUAL(stat(full, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    CU_ASSERT_EQUAL_FATAL(pl_file_open_path(full, &f), PL_OK);
    CU_ASSERT_EQUAL(pl_file_read(f, buf, sizeof buf, &got), PL_OK);
    CU_ASSERT_EQUAL(got, 8);
    CU_ASSERT(memcmp(buf, "exported", 8) == 0);
    CU_ASSERT_EQUAL(pl_file_close(f), PL_OK);
    CU_ASSERT_EQUAL(pl_file_open_path(path, &f), PL_EINVAL);   /* a dir */
    CU_ASSERT_EQUAL(pl_file_open_path("", &f), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_file_create_path("", &f), PL_EINVAL);
}

/* ------------------------------------------------------------------ */
/* locks                                                               */
/* ------------------------------------------------------------------ */

typedef struct t_px_lkarg {
    pl_dir *d;
    int mode;
    pl_i32 timeout;
    int rc;
    pl_i64 took_ms;
    volatile int done;
} t_px_lkarg;

static void t_px_lock_thr(void *p)
{
    t_px_lkarg *a = (t_px_lkarg *)p;
    pl_lock *lk = NULL;
    pl_i64 t0 = pl_time_mono_ms();

    a->rc = pl_lock_take(a->d, "LOCK", a->mode, a->timeout, &lk);
    a->took_ms = pl_time_mono_ms() - t0;
    a->done = 1;
    pl_lock_release(lk);
}

/* Run one take in another thread and wait for it. */
static int t_px_other(pl_dir *d, int mode, pl_i32 timeout, pl_i64 *took)
{
    t_px_lkarg a;
    pl_thread *t = NULL;

    memset(&a, 0, sizeof a);
    a.d = d;
    a.mode = mode;
    a.timeout = timeout;
    if (pl_thread_start(t_px_lock_thr, &a, 0, 0, &t) != PL_OK)
        return 999;
    pl_thread_join(t);
    if (took != NULL)
        *took = a.took_ms;
    return a.rc;
}

static void t_px_lock_threads(void)
{
    char path[512];
    pl_dir *d = t_px_dir("px_lock", path, sizeof path);
    pl_lock *ex = NULL, *sh1 = NULL, *sh2 = NULL;
    t_px_lkarg a;
    pl_thread *t = NULL;
    pl_i64 took = 0;
    struct stat st;
    char full[600];

    CU_ASSERT_EQUAL_FATAL(pl_lock_take(d, "LOCK", PL_LOCK_EX, 0, &ex), PL_OK);
    snprintf(full, sizeof full, "%s/LOCK", path);
    CU_ASSERT_EQUAL(stat(full, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    CU_ASSERT_EQUAL(t_px_other(d, PL_LOCK_EX, 0, NULL), PL_EAGAIN);
    CU_ASSERT_EQUAL(t_px_other(d, PL_LOCK_SH, 0, NULL), PL_EAGAIN);
    CU_ASSERT_EQUAL(t_px_other(d, PL_LOCK_EX, 150, &took), PL_ETIMEDOUT);
    CU_ASSERT(took >= 140 && took < 2000);
    /* the holder's own thread is excluded too: locks are not recursive */
    CU_ASSERT_EQUAL(pl_lock_take(d, "LOCK", PL_LOCK_SH, 0, &sh1), PL_EAGAIN);

    /* a blocked waiter is woken by the release */
    memset(&a, 0, sizeof a);
    a.d = d;
    a.mode = PL_LOCK_EX;
    a.timeout = PL_WAIT_FOREVER;
    CU_ASSERT_EQUAL_FATAL(pl_thread_start(t_px_lock_thr, &a, 0, 0, &t), PL_OK);
    pl_sleep_ms(100);
    CU_ASSERT_EQUAL(a.done, 0);
    pl_lock_release(ex);
    CU_ASSERT_EQUAL(pl_thread_join(t), PL_OK);
    CU_ASSERT_EQUAL(a.rc, PL_OK);
    CU_ASSERT(a.took_ms >= 90);

    /* shared with shared; exclusive against shared */
    CU_ASSERT_EQUAL_FATAL(pl_lock_take(d, "LOCK", PL_LOCK_SH, 0, &sh1), PL_OK);
    CU_ASSERT_EQUAL_FATAL(pl_lock_take(d, "LOCK", PL_LOCK_SH, 0, &sh2), PL_OK);
    CU_ASSERT_EQUAL(t_px_other(d, PL_LOCK_SH, 0, NULL), PL_OK);
    CU_ASSERT_EQUAL(t_px_other(d, PL_LOCK_EX, 0, NULL), PL_EAGAIN);
    pl_lock_release(sh1);
    CU_ASSERT_EQUAL(t_px_other(d, PL_LOCK_EX, 50, NULL), PL_ETIMEDOUT);
    pl_lock_release(sh2);
    CU_ASSERT_EQUAL(t_px_other(d, PL_LOCK_EX, 0, NULL), PL_OK);

    /* other names are independent */
    CU_ASSERT_EQUAL_FATAL(pl_lock_take(d, "LOCK", PL_LOCK_EX, 0, &ex), PL_OK);
    CU_ASSERT_EQUAL_FATAL(pl_lock_take(d, "OTHER.LCK", PL_LOCK_EX, 0, &sh1),
                          PL_OK);
    pl_lock_release(sh1);
    pl_lock_release(ex);

    CU_ASSERT_EQUAL(pl_lock_take(d, "LOCK", 3, 0, &ex), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_lock_take(d, "LOCK", PL_LOCK_EX, -5, &ex), PL_EINVAL);
    pl_lock_release(NULL);
    pl_dir_close(d);
}

/* Many threads increment a counter under an exclusive lock. */
typedef struct t_px_count {
    pl_dir *d;
    volatile int inside;
    volatile int overlap;
    int total;
} t_px_count;

static void t_px_count_thr(void *p)
{
    t_px_count *c = (t_px_count *)p;
    int i;

    for (i = 0; i < 200; i++) {
        pl_lock *lk = NULL;

        if (pl_lock_take(c->d, "COUNT", PL_LOCK_EX, PL_WAIT_FOREVER, &lk)
            != PL_OK)
            continue;
        if (c->inside++ != 0)
            c->overlap = 1;
        c->total++;
        c->inside--;
        pl_lock_release(lk);
    }
}

static void t_px_lock_stress(void)
{
    char path[512];
    t_px_count c;
    pl_thread *t[6];
    int i;

    memset(&c, 0, sizeof c);
    c.d = t_px_dir("px_lkst", path, sizeof path);
    for (i = 0; i < 6; i++)
        CU_ASSERT_EQUAL_FATAL(pl_thread_start(t_px_count_thr, &c, 0, 0, &t[i]),
                              PL_OK);
    for (i = 0; i < 6; i++)
        pl_thread_join(t[i]);
    CU_ASSERT_EQUAL(c.total, 1200);
    CU_ASSERT_EQUAL(c.overlap, 0);
    pl_dir_close(c.d);
}

static void t_px_lock_process(void)
{
    char path[512];
    pl_dir *d = t_px_dir("px_lkproc", path, sizeof path);
    int up[2], down[2];
    pid_t pid;
    pl_lock *lk = NULL;
    char c = 0;
    pl_i64 took;

    CU_ASSERT_EQUAL_FATAL(pipe(up), 0);
    CU_ASSERT_EQUAL_FATAL(pipe(down), 0);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        pl_lock *mine = NULL;
        int ok = pl_lock_take(d, "LOCK", PL_LOCK_EX, 0, &mine) == PL_OK;

        c = ok ? 'L' : 'F';
        if (write(up[1], &c, 1) != 1)
            _exit(2);
        /* hold until told, then exit without releasing: the lock must go
         * with the process */
        if (read(down[0], &c, 1) != 1)
            _exit(3);
        pl_sleep_ms(150);
        _exit(ok ? 0 : 1);
    }
    close(up[1]);
    close(down[0]);
    CU_ASSERT_EQUAL(read(up[0], &c, 1), 1);
    CU_ASSERT_EQUAL(c, 'L');
    CU_ASSERT_EQUAL(pl_lock_take(d, "LOCK", PL_LOCK_EX, 0, &lk), PL_EAGAIN);
    CU_ASSERT_EQUAL(pl_lock_take(d, "LOCK", PL_LOCK_SH, 0, &lk), PL_EAGAIN);
    CU_ASSERT_EQUAL(pl_lock_take(d, "LOCK", PL_LOCK_EX, 100, &lk),
                    PL_ETIMEDOUT);
    /* while this thread polls the other process, another thread of ours
     * must not slip in either */
    CU_ASSERT_EQUAL(write(down[1], "g", 1), 1);
    took = pl_time_mono_ms();
    CU_ASSERT_EQUAL(pl_lock_take(d, "LOCK", PL_LOCK_EX, 5000, &lk), PL_OK);
    took = pl_time_mono_ms() - took;
    CU_ASSERT(took >= 100);
    CU_ASSERT_EQUAL(t_px_wait(pid), 0);
    CU_ASSERT_EQUAL(t_px_other(d, PL_LOCK_SH, 0, NULL), PL_EAGAIN);
    pl_lock_release(lk);
    close(up[0]);
    close(down[1]);

    /* and the other way round: a lock we hold keeps a child out */
    CU_ASSERT_EQUAL_FATAL(pl_lock_take(d, "LOCK", PL_LOCK_SH, 0, &lk), PL_OK);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        pl_lock *mine = NULL;
        int a = pl_lock_take(d, "LOCK", PL_LOCK_EX, 50, &mine);
        int b = pl_lock_take(d, "LOCK", PL_LOCK_SH, 0, &mine);

        _exit(a == PL_ETIMEDOUT && b == PL_OK ? 0 : 1);
    }
    CU_ASSERT_EQUAL(t_px_wait(pid), 0);
    pl_lock_release(lk);
    pl_dir_close(d);
}

/* ------------------------------------------------------------------ */
/* time                                                                */
/* ------------------------------------------------------------------ */

static void t_px_time(void)
{
    pl_i64 prev = pl_time_mono_ms(), s, t0;
    pl_i32 us;
    int i;

    for (i = 0; i < 100000; i++) {
        pl_i64 now = pl_time_mono_ms();

        CU_ASSERT_FATAL(now >= prev);
        prev = now;
    }
    pl_time_now_us(&s, &us);
    CU_ASSERT(us >= 0 && us <= 999999);
    CU_ASSERT(s > 1600000000);
    CU_ASSERT(pl_time_now() >= s && pl_time_now() - s < 5);
    t0 = pl_time_mono_ms();
    CU_ASSERT_EQUAL(pl_sleep_ms(30), PL_OK);
    CU_ASSERT(pl_time_mono_ms() - t0 >= 30);
    CU_ASSERT_EQUAL(pl_sleep_ms(0), PL_OK);
    CU_ASSERT_EQUAL(pl_sleep_ms(-2), PL_EINVAL);
}

static void t_px_tz(void)
{
    const char *old = getenv("TZ");
    char saved[128];
    pl_i32 off = 1;

    snprintf(saved, sizeof saved, "%s", old != NULL ? old : "");
    setenv("TZ", "UTC", 1);
    CU_ASSERT_EQUAL(pl_time_utc_offset(pl_time_now(), &off), PL_OK);
    CU_ASSERT_EQUAL(off, 0);
    setenv("TZ", "UTC0", 1);   /* POSIX form, needs no tzdata */
    CU_ASSERT_EQUAL(pl_time_utc_offset(0, &off), PL_OK);
    CU_ASSERT_EQUAL(off, 0);
    setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
    CU_ASSERT_EQUAL(pl_time_utc_offset(1704067200, &off), PL_OK); /* Jan */
    CU_ASSERT_EQUAL(off, -18000);
    CU_ASSERT_EQUAL(pl_time_utc_offset(1719792000, &off), PL_OK); /* Jul */
    CU_ASSERT_EQUAL(off, -14400);
    if (access("/usr/share/zoneinfo/Asia/Kolkata", R_OK) == 0) {
        setenv("TZ", "Asia/Kolkata", 1);
        CU_ASSERT_EQUAL(pl_time_utc_offset(pl_time_now(), &off), PL_OK);
        CU_ASSERT_EQUAL(off, 19800);
    } else {
        fprintf(stderr, "\n  (no tzdata for Asia/Kolkata: skipped) ");
    }
    if (old != NULL)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    CU_ASSERT_EQUAL(pl_time_utc_offset(0, NULL), PL_EINVAL);
}

/* ------------------------------------------------------------------ */
/* logging                                                             */
/* ------------------------------------------------------------------ */

static void t_px_log_thr(void *p)
{
    int i;

    (void)p;
    for (i = 0; i < 200; i++)
        pl_log_line(PL_LOG_INFO, PL_LOGCAT_MAIL,
                    "a line from a thread, long enough to be split if the "
                    "writes were not whole lines .........................");
}

static void t_px_log(void)
{
    char path[512], file[600], line[512], want[64];
    pl_thread *t[4];
    FILE *fp;
    int i, lines = 0, bad = 0;

    snprintf(path, sizeof path, "%s", t_scratch_dir("px_log"));
    snprintf(file, sizeof file, "%s/newmail.log", path);
    CU_ASSERT_EQUAL_FATAL(pl_log_open("t_posix", 0, file), PL_OK);
    pl_log_line(PL_LOG_NOTICE, PL_LOGCAT_MAIL, "first line");
    pl_log_line(PL_LOG_WARN, PL_LOGCAT_AUTH, "auth line");
    pl_log_line(99, PL_LOGCAT_MAIL, "clamped");
    pl_log_operator("operator line");
    for (i = 0; i < 4; i++)
        CU_ASSERT_EQUAL_FATAL(pl_thread_start(t_px_log_thr, NULL, 0, 0, &t[i]),
                              PL_OK);
    for (i = 0; i < 4; i++)
        pl_thread_join(t[i]);
    CU_ASSERT_EQUAL(pl_log_open("t_posix", PL_LOGTO_STDERR, NULL), PL_OK);
    CU_ASSERT_EQUAL(pl_log_open("", 0, NULL), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_log_open("x", 8, NULL), PL_EINVAL);

    fp = fopen(file, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    snprintf(want, sizeof want, " t_posix[%lu] ", (unsigned long)getpid());
    while (fgets(line, sizeof line, fp) != NULL) {
        size_t len = strlen(line);

        lines++;
        /* 2026-11-22T04:05:18Z ident[pid] level: text */
        if (len < 21 || line[len - 1] != '\n' || line[4] != '-' ||
            line[10] != 'T' || line[19] != 'Z' ||
            strncmp(line + 20, want, strlen(want)) != 0)
            bad++;
        if (lines == 1)
            CU_ASSERT_PTR_NOT_NULL(strstr(line, "notice: first line\n"));
        if (lines == 2)
            CU_ASSERT_PTR_NOT_NULL(strstr(line, "warn: auth line\n"));
        if (lines == 3)
            CU_ASSERT_PTR_NOT_NULL(strstr(line, "debug: clamped\n"));
        if (lines == 4)
            CU_ASSERT_PTR_NOT_NULL(strstr(line, "operator line\n"));
        if (lines > 4 && strstr(line, "info: a line from a thread") == NULL)
            bad++;
    }
    fclose(fp);
    CU_ASSERT_EQUAL(lines, 4 + 800);
    CU_ASSERT_EQUAL(bad, 0);
}

/* ------------------------------------------------------------------ */
/* configuration                                                       */
/* ------------------------------------------------------------------ */

static void t_px_cfg(void)
{
    char buf[32] = "junk";
    const char *f = pl_cfg_default_file();
    size_t n = strlen(f);

    CU_ASSERT_EQUAL(pl_cfg_override("pop3.leave_in_newmail", buf, sizeof buf),
                    PL_ENOENT);
    CU_ASSERT_EQUAL(buf[0], '\0');
    CU_ASSERT(n > 21 && strcmp(f + n - 21, "/newmail/newmail.conf") == 0);
    CU_ASSERT_EQUAL(f[0], '/');
}

/* ------------------------------------------------------------------ */
/* sockets                                                             */
/* ------------------------------------------------------------------ */

/* Listen on addr, connect to it, accept: the three sockets. */
static int t_px_pair(const char *addr, const char *host, pl_sock **l,
                     pl_sock **c, pl_sock **s)
{
    char a[PL_ADDR_MAX], port[16];
    int p = 0, which = -1, rc;

    rc = pl_sock_listen(addr, 8, l);
    if (rc != PL_OK)
        return rc;
    CU_ASSERT_EQUAL(pl_sock_local(*l, a, sizeof a, &p), PL_OK);
    CU_ASSERT(p > 0);
    snprintf(port, sizeof port, "%d", p);
    rc = pl_sock_connect(host, port, 2000, c);
    CU_ASSERT_EQUAL_FATAL(rc, PL_OK);
    rc = pl_sock_accept(l, 1, 2000, s, &which);
    CU_ASSERT_EQUAL_FATAL(rc, PL_OK);
    CU_ASSERT_EQUAL(which, 0);
    return PL_OK;
}

/* Back-pressure: a peer that never reads makes output stall, and
 * pl_sock_wait_writable says so instead of blocking. */
static void t_px_sock_writable(void)
{
    static char blob[65536];
    pl_sock *l = NULL, *c = NULL, *s = NULL;
    int i, rc = PL_OK;

    CU_ASSERT_EQUAL_FATAL(t_px_pair("127.0.0.1:0", "127.0.0.1", &l, &c, &s),
                          PL_OK);
    CU_ASSERT_EQUAL(pl_sock_wait_writable(c, 1000), PL_OK);
    for (i = 0; i < 1024 && rc == PL_OK; i++)
        rc = pl_sock_write(c, blob, sizeof blob, 50);
    CU_ASSERT_EQUAL(rc, PL_ETIMEDOUT);
    CU_ASSERT_EQUAL(pl_sock_wait_writable(c, 50), PL_ETIMEDOUT);
    CU_ASSERT_EQUAL(pl_sock_wait_writable(NULL, 50), PL_EINVAL);
    pl_sock_close(s);
    pl_sock_close(c);
    pl_sock_close(l);
}

/* Accepted and connected TCP sockets send at once (TCP_NODELAY): the
 * callers cork their output, and with Nagle the tail of a reply longer
 * than the cork waited 40 ms for the peer's delayed ACK. */
static void t_px_sock_nodelay(void)
{
    pl_sock *l = NULL, *c = NULL, *s = NULL;
    pl_sock *both[2];
    int i, v;
    socklen_t len;

    CU_ASSERT_EQUAL_FATAL(t_px_pair("127.0.0.1:0", "127.0.0.1", &l, &c, &s),
                          PL_OK);
    both[0] = c;
    both[1] = s;
    for (i = 0; i < 2; i++) {
        v = 0;
        len = sizeof v;
        CU_ASSERT_EQUAL(getsockopt(pl_sock_fd(both[i]), IPPROTO_TCP,
                                   TCP_NODELAY, &v, &len), 0);
        CU_ASSERT(v != 0);
    }
    pl_sock_close(s);
    pl_sock_close(c);
    pl_sock_close(l);
}

static void t_px_sock_v4(void)
{
    pl_sock *l = NULL, *c = NULL, *s = NULL, *none = NULL;
    char a[PL_ADDR_MAX], buf[64];
    int p = 0, cp = 0, which = 5;
    size_t got = 9;
    pl_i64 t0;

    CU_ASSERT_EQUAL_FATAL(t_px_pair("127.0.0.1:0", "127.0.0.1", &l, &c, &s),
                          PL_OK);
    CU_ASSERT_EQUAL(pl_sock_local(l, a, sizeof a, &p), PL_OK);
    CU_ASSERT_STRING_EQUAL(a, "127.0.0.1");
    t0 = pl_time_mono_ms();
    CU_ASSERT_EQUAL(pl_sock_accept(&l, 1, 100, &none, &which), PL_ETIMEDOUT);
    CU_ASSERT(pl_time_mono_ms() - t0 >= 95);
    CU_ASSERT_PTR_NULL(none);
    CU_ASSERT_EQUAL(pl_sock_accept(&l, 1, 0, &none, &which), PL_ETIMEDOUT);

    CU_ASSERT_EQUAL(pl_sock_peer(s, a, sizeof a, &p), PL_OK);
    CU_ASSERT_STRING_EQUAL(a, "127.0.0.1");
    CU_ASSERT_EQUAL(pl_sock_local(c, NULL, 0, &cp), PL_OK);
    CU_ASSERT_EQUAL(p, cp);
    CU_ASSERT_EQUAL(pl_sock_peer(s, a, 5, &p), PL_ERANGE);
    CU_ASSERT(pl_sock_fd(s) >= 0);
    CU_ASSERT_EQUAL(pl_sock_fd(NULL), -1);

    CU_ASSERT_EQUAL(pl_sock_wait_readable(s, 20), PL_ETIMEDOUT);
    t0 = pl_time_mono_ms();
    CU_ASSERT_EQUAL(pl_sock_read(s, buf, sizeof buf, 100, &got), PL_ETIMEDOUT);
    CU_ASSERT(pl_time_mono_ms() - t0 >= 95);
    CU_ASSERT_EQUAL(got, 0);
    CU_ASSERT_EQUAL(pl_sock_write(c, "+OK hello\r\n", 11, 1000), PL_OK);
    CU_ASSERT_EQUAL(pl_sock_wait_readable(s, 1000), PL_OK);
    CU_ASSERT_EQUAL(pl_sock_read(s, buf, sizeof buf, 1000, &got), PL_OK);
    CU_ASSERT_EQUAL(got, 11);
    CU_ASSERT(memcmp(buf, "+OK hello\r\n", 11) == 0);
    CU_ASSERT_EQUAL(pl_sock_write(s, "QUIT\r\n", 6, 1000), PL_OK);
    CU_ASSERT_EQUAL(pl_sock_read(c, buf, sizeof buf, 1000, &got), PL_OK);
    CU_ASSERT_EQUAL(got, 6);
    pl_sock_close(c);
    CU_ASSERT_EQUAL(pl_sock_read(s, buf, sizeof buf, 1000, &got), PL_EOF);
    /* writing to a closed peer: a status, never SIGPIPE */
    {
        int i, rc = PL_OK;

        for (i = 0; i < 50 && rc == PL_OK; i++) {
            rc = pl_sock_write(s, "data\r\n", 6, 1000);
            pl_sleep_ms(1);
        }
        CU_ASSERT_EQUAL(rc, PL_ECONNRESET);
    }
    pl_sock_close(s);
    pl_sock_close(l);
    pl_sock_close(NULL);
}

static void t_px_sock_write_timeout(void)
{
    pl_sock *l = NULL, *c = NULL, *s = NULL;
    size_t big = 32u * 1024u * 1024u;
    char *data = (char *)calloc(1, big);
    pl_i64 t0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    CU_ASSERT_EQUAL_FATAL(t_px_pair("127.0.0.1:0", "127.0.0.1", &l, &c, &s),
                          PL_OK);
    t0 = pl_time_mono_ms();
    /* the server never reads: the buffers fill and the budget runs out */
    CU_ASSERT_EQUAL(pl_sock_write(c, data, big, 200), PL_ETIMEDOUT);
    CU_ASSERT(pl_time_mono_ms() - t0 >= 195);
    CU_ASSERT(pl_time_mono_ms() - t0 < 3000);
    free(data);
    pl_sock_close(c);
    pl_sock_close(s);
    pl_sock_close(l);
}

static void t_px_sock_v6(void)
{
    pl_sock *l = NULL, *c = NULL, *s = NULL;
    char a[PL_ADDR_MAX];
    int p = 0;

    if (pl_sock_listen("[::1]:0", 8, &l) != PL_OK) {
        fprintf(stderr, "\n  (no IPv6 loopback: skipped) ");
        return;
    }
    pl_sock_close(l);
    CU_ASSERT_EQUAL_FATAL(t_px_pair("[::1]:0", "::1", &l, &c, &s), PL_OK);
    CU_ASSERT_EQUAL(pl_sock_peer(s, a, sizeof a, &p), PL_OK);
    CU_ASSERT_STRING_EQUAL(a, "::1");
    CU_ASSERT_EQUAL(pl_sock_local(l, a, sizeof a, &p), PL_OK);
    CU_ASSERT_STRING_EQUAL(a, "::1");
    pl_sock_close(c);
    pl_sock_close(s);
    pl_sock_close(l);
    /* "[::]" is IPv6 only: an IPv4 connection to its port is refused */
    CU_ASSERT_EQUAL_FATAL(pl_sock_listen("[::]:0", 8, &l), PL_OK);
    CU_ASSERT_EQUAL(pl_sock_local(l, a, sizeof a, &p), PL_OK);
    CU_ASSERT_STRING_EQUAL(a, "::");
    {
        char port[16];

        snprintf(port, sizeof port, "%d", p);
        CU_ASSERT_EQUAL(pl_sock_connect("127.0.0.1", port, 1000, &c),
                        PL_ECONNREFUSED);
    }
    pl_sock_close(l);
}

static void t_px_sock_misc(void)
{
    static const char *const bad[] = {
        "", "127.0.0.1", "127.0.0.1:", ":25", "::1:25", "[::1]25", "[::1",
        "127.0.0.1:99999", "127.0.0.1:123456", "*:x", "127.0.0.1:-1",
        "localhost:25", "[*]:25", "1.2.3.4.5:25", "127.0.0.1:25 "
    };
    pl_sock *l = NULL, *c = NULL, *ls[2];
    char a[PL_ADDR_MAX], port[16];
    int p = 0, which = -1;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = pl_sock_listen(bad[i], 8, &l);

        if (rc != PL_EINVAL)
            fprintf(stderr, "\nlisten \"%s\": %d\n", bad[i], rc);
        CU_ASSERT_EQUAL(rc, PL_EINVAL);
        CU_ASSERT_PTR_NULL(l);
    }
    CU_ASSERT_EQUAL_FATAL(pl_sock_listen("*:0", 8, &l), PL_OK);
    CU_ASSERT_EQUAL(pl_sock_local(l, a, sizeof a, &p), PL_OK);
    CU_ASSERT_STRING_EQUAL(a, "0.0.0.0");
    /* the same port twice: in use */
    snprintf(a, sizeof a, "127.0.0.1:%d", p);
    CU_ASSERT_EQUAL(pl_sock_listen(a, 8, &c), PL_EADDRINUSE);
    pl_sock_close(l);
    /* a port nobody listens on any more: refused */
    snprintf(port, sizeof port, "%d", p);
    CU_ASSERT_EQUAL(pl_sock_connect("127.0.0.1", port, 1000, &c),
                    PL_ECONNREFUSED);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(pl_sock_connect("127.0.0.1", "smtp!", 1000, &c),
                    PL_EINVAL);
    /* two listeners: accept says which one */
    CU_ASSERT_EQUAL_FATAL(pl_sock_listen("127.0.0.1:0", 8, &ls[0]), PL_OK);
    CU_ASSERT_EQUAL_FATAL(pl_sock_listen("127.0.0.1:0", 8, &ls[1]), PL_OK);
    CU_ASSERT_EQUAL(pl_sock_local(ls[1], NULL, 0, &p), PL_OK);
    snprintf(port, sizeof port, "%d", p);
    CU_ASSERT_EQUAL_FATAL(pl_sock_connect("127.0.0.1", port, 1000, &c), PL_OK);
    CU_ASSERT_EQUAL(pl_sock_accept(ls, 2, 1000, &l, &which), PL_OK);
    CU_ASSERT_EQUAL(which, 1);
    pl_sock_close(l);
    pl_sock_close(c);
    pl_sock_close(ls[0]);
    pl_sock_close(ls[1]);
}

/* In a child (descriptors 0 and 3 are changed): inetd-style descriptor 0,
 * then systemd-style listeners at descriptor 3. */
static void t_px_sock_inherit(void)
{
    pid_t pid;
    pl_sock *s = NULL;

    if (!isatty(0)) {
        int type;
        socklen_t len = sizeof type;

        if (getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
            CU_ASSERT_EQUAL(pl_sock_inherited_conn(&s), PL_ENOENT);
    }
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        int sv[2], fail = 0, n = -1;
        pl_sock *ls[4], *l = NULL, *conn = NULL;
        char env[32], buf[8];
        size_t got = 0;

        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 ||
            dup2(sv[0], 0) != 0)
            _exit(10);
        close(sv[0]);
        if (pl_sock_inherited_conn(&conn) != PL_OK)
            _exit(11);
        if (write(sv[1], "hi", 2) != 2 ||
            pl_sock_read(conn, buf, sizeof buf, 1000, &got) != PL_OK ||
            got != 2)
            _exit(12);
        pl_sock_close(conn);
        close(sv[1]);
        /* descriptor 0 is now closed: nothing inherited */
        if (pl_sock_inherited_conn(&conn) != PL_ENOENT)
            fail |= 1;
        /* systemd: a listener at 3, for this pid only */
        if (pl_sock_listen("127.0.0.1:0", 4, &l) != PL_OK ||
            dup2(pl_sock_fd(l), 3) != 3)
            _exit(13);
        snprintf(env, sizeof env, "%lu", (unsigned long)getpid() + 1);
        setenv("LISTEN_PID", env, 1);
        setenv("LISTEN_FDS", "1", 1);
        if (pl_sock_inherited_listeners(ls, 4, &n) != PL_OK || n != 0)
            fail |= 2;
        snprintf(env, sizeof env, "%lu", (unsigned long)getpid());
        setenv("LISTEN_PID", env, 1);
        if (pl_sock_inherited_conn(&conn) != PL_ENOENT)  /* a listener */
            fail |= 4;
        if (pl_sock_inherited_listeners(ls, 4, &n) != PL_OK || n != 1)
            fail |= 8;
        if (getenv("LISTEN_PID") != NULL || getenv("LISTEN_FDS") != NULL)
            fail |= 16;
        if (n == 1 && pl_sock_fd(ls[0]) != 3)
            fail |= 32;
        _exit(fail);
    }
    CU_ASSERT_EQUAL(t_px_wait(pid), 0);
}

/* ------------------------------------------------------------------ */
/* threads                                                             */
/* ------------------------------------------------------------------ */

typedef struct t_px_shared {
    pl_mutex *m;
    pl_cond *c;
    int value;
    int flag;
} t_px_shared;

static void t_px_thr_add(void *p)
{
    t_px_shared *sh = (t_px_shared *)p;
    char big[64 * 1024];   /* uses the larger stack we asked for */
    int i;

    memset(big, 1, sizeof big);
    for (i = 0; i < 1000; i++) {
        pl_mutex_lock(sh->m);
        sh->value += big[i];
        pl_mutex_unlock(sh->m);
    }
}

static void t_px_thr_signal(void *p)
{
    t_px_shared *sh = (t_px_shared *)p;

    pl_sleep_ms(20);
    pl_mutex_lock(sh->m);
    sh->flag = 1;
    pl_cond_broadcast(sh->c);
    pl_mutex_unlock(sh->m);
}

static void t_px_threads(void)
{
    t_px_shared sh;
    pl_thread *t[4];
    pl_i64 t0;
    int i, rc;

    memset(&sh, 0, sizeof sh);
    CU_ASSERT_EQUAL_FATAL(pl_mutex_create(&sh.m), PL_OK);
    CU_ASSERT_EQUAL_FATAL(pl_cond_create(&sh.c), PL_OK);
    for (i = 0; i < 4; i++)
        CU_ASSERT_EQUAL_FATAL(pl_thread_start(t_px_thr_add, &sh,
                                              (size_t)256 * 1024 + 1, 0,
                                              &t[i]), PL_OK);
    for (i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(pl_thread_join(t[i]), PL_OK);
    CU_ASSERT_EQUAL(sh.value, 4000);

    pl_mutex_lock(sh.m);
    t0 = pl_time_mono_ms();
    CU_ASSERT_EQUAL(pl_cond_wait(sh.c, sh.m, 50), PL_ETIMEDOUT);
    CU_ASSERT(pl_time_mono_ms() - t0 >= 49);
    CU_ASSERT_EQUAL(pl_cond_wait(sh.c, sh.m, -7), PL_EINVAL);
    pl_mutex_unlock(sh.m);

    /* a detached thread signals; we wait with and without a bound */
    CU_ASSERT_EQUAL_FATAL(pl_thread_start(t_px_thr_signal, &sh, 0, 1, NULL),
                          PL_OK);
    pl_mutex_lock(sh.m);
    rc = PL_OK;
    while (!sh.flag && rc == PL_OK)
        rc = pl_cond_wait(sh.c, sh.m, 5000);
    CU_ASSERT_EQUAL(rc, PL_OK);
    CU_ASSERT_EQUAL(sh.flag, 1);
    sh.flag = 0;
    pl_mutex_unlock(sh.m);
    CU_ASSERT_EQUAL_FATAL(pl_thread_start(t_px_thr_signal, &sh, 0, 1, &t[0]),
                          PL_OK);
    CU_ASSERT_PTR_NULL(t[0]);
    pl_mutex_lock(sh.m);
    while (!sh.flag)
        CU_ASSERT_EQUAL(pl_cond_wait(sh.c, sh.m, PL_WAIT_FOREVER), PL_OK);
    pl_cond_signal(sh.c);   /* nobody waits: harmless */
    pl_mutex_unlock(sh.m);
    pl_sleep_ms(10);        /* let the detached thread finish */

    CU_ASSERT_EQUAL(pl_thread_start(NULL, NULL, 0, 0, &t[0]), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_thread_start(t_px_thr_signal, &sh, 0, 0, NULL),
                    PL_EINVAL);
    pl_cond_destroy(sh.c);
    pl_mutex_destroy(sh.m);
    pl_cond_destroy(NULL);
    pl_mutex_destroy(NULL);
}

/* ------------------------------------------------------------------ */
/* process, events, terminal                                           */
/* ------------------------------------------------------------------ */

static void t_px_proc(void)
{
    char host[PL_HOST_MAX + 1], tiny[1];
    char secret[16];

    CU_ASSERT_EQUAL(pl_pid(), (pl_u32)getpid());
    CU_ASSERT_EQUAL(pl_hostname(host, sizeof host), PL_OK);
    CU_ASSERT(strlen(host) > 0);
    CU_ASSERT_EQUAL(pl_hostname(tiny, sizeof tiny), PL_ERANGE);
    CU_ASSERT_EQUAL(pl_hostname(NULL, 0), PL_EINVAL);
    if (!isatty(0))
        CU_ASSERT_EQUAL(pl_tty_read_secret("Password: ", secret,
                                           sizeof secret), PL_ENOTSUP);
}

/* Read from the pty master until `want` has been seen (or 3 s passed);
 * everything read is appended to out. */
static int t_px_pty_expect(int master, const char *want, char *out,
                           size_t n)
{
    size_t len = strlen(out);
    pl_i64 end = pl_time_mono_ms() + 3000;

    while (strstr(out, want) == NULL && pl_time_mono_ms() < end) {
        struct pollfd p;
        ssize_t k;

        p.fd = master;
        p.events = POLLIN;
        if (poll(&p, 1, 100) <= 0)
            continue;
        k = read(master, out + len, n - 1 - len);
        if (k <= 0)
            return -1;
        len += (size_t)k;
        out[len] = '\0';
    }
    return strstr(out, want) != NULL ? 0 : -1;
}

/* pl_tty_read_secret on a pseudo-terminal: no echo while typing, echo
 * back afterwards, overlong input refused. */
static void t_px_tty(void)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    char seen[1024];
    const char *slave;
    pid_t pid;

    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 ||
        (slave = ptsname(master)) == NULL) {
        fprintf(stderr, "\n  (no pseudo-terminals: skipped) ");
        if (master >= 0)
            close(master);
        return;
    }
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        char buf[16], tiny[4];
        struct termios tio;
        int fd, fail = 0;

        alarm(10);   /* never hang the suite */
        /* a new session whose controlling terminal is the pty */
        if (setsid() < 0 || (fd = open(slave, O_RDWR)) < 0 ||
            dup2(fd, 0) != 0)
            _exit(40);
        if (pl_tty_read_secret("Password: ", buf, sizeof buf) != PL_OK ||
            strcmp(buf, "s3cret") != 0)
            fail |= 1;
        if (tcgetattr(0, &tio) != 0 || !(tio.c_lflag & ECHO))
            fail |= 2;
        if (pl_tty_read_secret("Again: ", tiny, sizeof tiny) != PL_ERANGE ||
            tiny[0] != '\0')
            fail |= 4;
        _exit(fail);
    }
    seen[0] = '\0';
    CU_ASSERT_EQUAL(t_px_pty_expect(master, "Password: ", seen, sizeof seen),
                    0);
    CU_ASSERT_EQUAL(write(master, "s3cret\n", 7), 7);
    CU_ASSERT_EQUAL(t_px_pty_expect(master, "Again: ", seen, sizeof seen), 0);
    CU_ASSERT_EQUAL(write(master, "too long\n", 9), 9);
    CU_ASSERT_EQUAL(t_px_wait(pid), 0);
    CU_ASSERT_PTR_NULL(strstr(seen, "s3cret"));
    close(master);
}

static void t_px_events(void)
{
    CU_ASSERT_EQUAL_FATAL(pl_events_install(), PL_OK);
    (void)pl_events_take();
    CU_ASSERT_EQUAL(pl_events_take(), 0);
    CU_ASSERT_EQUAL(raise(SIGHUP), 0);
    CU_ASSERT_EQUAL(pl_events_take(), PL_EVENT_RELOAD);
    CU_ASSERT_EQUAL(pl_events_take(), 0);
    CU_ASSERT_EQUAL(raise(SIGHUP), 0);
    CU_ASSERT_EQUAL(raise(SIGHUP), 0);
    CU_ASSERT_EQUAL(pl_events_take(), PL_EVENT_RELOAD);
    CU_ASSERT_EQUAL(pl_events_take(), 0);
    /* a termination request: sleeps end early, in a child so that our own
     * later sleeps are unaffected */
    {
        pid_t pid = fork();

        CU_ASSERT_FATAL(pid >= 0);
        if (pid == 0) {
            pl_i64 t0 = pl_time_mono_ms();
            int ok;

            raise(SIGTERM);
            ok = pl_events_take() == PL_EVENT_TERM &&
                 pl_sleep_ms(5000) == PL_EINTR &&
                 pl_time_mono_ms() - t0 < 1000;
            _exit(ok ? 0 : 1);
        }
        CU_ASSERT_EQUAL(t_px_wait(pid), 0);
    }
}

/* ------------------------------------------------------------------ */
/* accounts and privilege                                              */
/* ------------------------------------------------------------------ */

static void t_px_user_lookup(void)
{
    static const char *const hostile[] = {
        "", "-root", "root;id", "../etc/passwd", "a b", "root\n", "ro\tot",
        "ROOT$", "r\xc3\xb6ot", "~root", "root:x", "/root", "*",
        "abcdefghijklmnopqrstuvwxyz0123456"   /* 33 */
    };
    pl_user u;
    size_t i;
    struct passwd *pw;

    CU_ASSERT_EQUAL_FATAL(pl_user_lookup("root", &u), PL_OK);
    CU_ASSERT_STRING_EQUAL(u.name, "root");
    CU_ASSERT_EQUAL(u.id, 0);
    CU_ASSERT_EQUAL(u.group, 0);
    for (i = 0; i < sizeof hostile / sizeof hostile[0]; i++)
        CU_ASSERT_EQUAL(pl_user_lookup(hostile[i], &u), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_user_lookup(NULL, &u), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_user_lookup("no_such_user_q7", &u), PL_ENOENT);
    pw = getpwnam("nobody");
    if (pw != NULL) {
        int nologin = strstr(pw->pw_shell, "nologin") != NULL ||
                      strstr(pw->pw_shell, "false") != NULL;

        CU_ASSERT_EQUAL_FATAL(pl_user_lookup("nobody", &u), PL_OK);
        CU_ASSERT_EQUAL(u.id, (pl_u32)pw->pw_uid);
        if (nologin)
            CU_ASSERT(u.flags & PL_USER_DISABLED);
    }
}

static void t_px_user_verify(void)
{
    int res = -1;

    CU_ASSERT_EQUAL(pl_user_verify("no_such_user_q7", "secret", "newmail",
                                   "192.0.2.1", &res), PL_OK);
    CU_ASSERT_EQUAL(res, PL_AUTH_BAD);
    res = -1;
    CU_ASSERT_EQUAL(pl_user_verify("root", "not-the-password-7Zq",
                                   "newmail", "192.0.2.1", &res), PL_OK);
    CU_ASSERT_EQUAL(res, PL_AUTH_BAD);
    res = -1;
    CU_ASSERT_EQUAL(pl_user_verify("bad name;", "x", "newmail", NULL, &res),
                    PL_OK);
    CU_ASSERT_EQUAL(res, PL_AUTH_BAD);
    CU_ASSERT_EQUAL(pl_user_verify("root", NULL, "newmail", NULL, &res),
                    PL_EINVAL);
    CU_ASSERT_EQUAL(res, PL_AUTH_BAD);
}

static void t_px_priv(void)
{
    pl_privsave sv;
    pl_user u;
    pid_t pid;

    CU_ASSERT_EQUAL(pl_priv_raise(0, &sv), PL_EINVAL);
    if (geteuid() != 0) {
        CU_ASSERT_EQUAL(pl_priv_raise(PL_PRIV_READUAF, &sv), PL_EACCES);
        CU_ASSERT_EQUAL(pl_become_service("root"), PL_EACCES);
        fprintf(stderr, "\n  (not root: identity switch skipped) ");
        return;
    }
    /* already root: nothing raised, nothing lowered */
    CU_ASSERT_EQUAL(pl_priv_raise(PL_PRIV_READUAF, &sv), PL_OK);
    CU_ASSERT_EQUAL(pl_priv_restore(&sv), PL_OK);
    CU_ASSERT_EQUAL(geteuid(), 0);
    CU_ASSERT_EQUAL(pl_become_service("root"), PL_OK);   /* already */
    CU_ASSERT_EQUAL_FATAL(pl_user_lookup("root", &u), PL_OK);
    CU_ASSERT_EQUAL(pl_become_user(&u), PL_EACCES);     /* never to uid 0 */
    if (pl_user_lookup("nobody", &u) != PL_OK) {
        fprintf(stderr, "\n  (no user nobody: identity switch skipped) ");
        return;
    }

    /* raise and restore around a call, with root kept as real uid */
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        int fail = 0;

        if (seteuid((uid_t)u.id) != 0)
            _exit(20);
        if (pl_priv_raise(PL_PRIV_READUAF | PL_PRIV_IMPERS, &sv) != PL_OK ||
            geteuid() != 0)
            fail |= 1;
        if (pl_priv_restore(&sv) != PL_OK || geteuid() != (uid_t)u.id)
            fail |= 2;
        /* one-way from a lowered euid too */
        if (pl_become_service("nobody") != PL_OK)
            fail |= 4;
        if (getuid() != (uid_t)u.id || geteuid() != (uid_t)u.id ||
            setuid(0) == 0 || seteuid(0) == 0)
            fail |= 8;
        _exit(fail);
    }
    CU_ASSERT_EQUAL(t_px_wait(pid), 0);

    /* the per-connection switch */
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        int fail = 0;
        gid_t groups[4];

        if (pl_become_user(&u) != PL_OK)
            _exit(30);
        if (getuid() != (uid_t)u.id || geteuid() != (uid_t)u.id ||
            getgid() != (gid_t)u.group || getegid() != (gid_t)u.group)
            fail |= 1;
        if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
            fail |= 2;
        if (pl_priv_raise(PL_PRIV_READUAF, &sv) != PL_EACCES)
            fail |= 4;
        if (getgroups(4, groups) > 0 && groups[0] == 0)
            fail |= 8;
        if (pl_become_service("nobody") != PL_OK)   /* already: no-op */
            fail |= 16;
        if (pl_become_service("root") != PL_EACCES)
            fail |= 32;
        _exit(fail);
    }
    CU_ASSERT_EQUAL(t_px_wait(pid), 0);
}

/* ------------------------------------------------------------------ */

static int t_px_init(void)
{
    return pl_init() == PL_OK ? 0 : -1;
}

typedef struct t_px_case {
    const char *name;
    CU_TestFunc fn;
} t_px_case;

static const t_px_case t_px_cases[] = {
    { "names", t_px_names },
    { "strerror table", t_px_strerror },
    { "last native status", t_px_native },
    { "native status per thread", t_px_native_thread },
    { "root dir create (mkdir -p)", t_px_root_create },
    { "create, read, write, seek, truncate", t_px_file_rw },
    { "bad names never reach the system", t_px_bad_names },
    { "symbolic links refused", t_px_symlinks },
    { "fifo and dir where a file must be", t_px_special },
    { "rename never replaces", t_px_rename },
    { "replace is atomic and safe", t_px_replace },
    { "rename across devices", t_px_exdev },
    { "list skips foreign names", t_px_list },
    { "remove", t_px_remove },
    { "admin paths", t_px_paths },
    { "locks between threads", t_px_lock_threads },
    { "lock stress", t_px_lock_stress },
    { "locks between processes", t_px_lock_process },
    { "clocks and sleep", t_px_time },
    { "utc offset", t_px_tz },
    { "log file", t_px_log },
    { "configuration", t_px_cfg },
    { "sockets IPv4", t_px_sock_v4 },
    { "socket output back-pressure", t_px_sock_writable },
    { "TCP sockets send at once (no Nagle)", t_px_sock_nodelay },
    { "socket write timeout", t_px_sock_write_timeout },
    { "sockets IPv6", t_px_sock_v6 },
    { "socket addresses and errors", t_px_sock_misc },
    { "inherited sockets", t_px_sock_inherit },
    { "threads, mutex, cond", t_px_threads },
    { "process and host", t_px_proc },
    { "terminal secret", t_px_tty },
    { "events", t_px_events },
    { "user lookup", t_px_user_lookup },
    { "user verify (PAM)", t_px_user_verify },
    { "privilege and identity", t_px_priv }
};

int t_posix_register(void)
{
    CU_pSuite s;
    size_t i;

    s = CU_add_suite("posix", t_px_init, NULL);
    if (s == NULL)
        return -1;
    for (i = 0; i < sizeof t_px_cases / sizeof t_px_cases[0]; i++)
        if (CU_add_test(s, t_px_cases[i].name, t_px_cases[i].fn) == NULL)
            return -1;
    return 0;
}
