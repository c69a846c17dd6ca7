/*
 * px_lock.c - named shared/exclusive locks on POSIX.
 *
 * A lock is an fcntl record lock on the whole lock file `name` in a store
 * directory, so it works across processes and over NFS and vanishes with
 * its process.  fcntl locks belong to the process, not the thread, and
 * closing ANY descriptor of the file drops them all; so each process keeps
 * a registry with one entry per lock file (keyed by device and inode)
 * holding the one descriptor, the counts of shared and exclusive holders,
 * and the fcntl lock the process holds for them.  Threads of this process
 * queue on a condition variable; other processes are polled with F_SETLK
 * and short growing sleeps, because F_SETLKW cannot be bounded in time.
 * A descriptor is closed only when no holder and no waiter remains.
 * A lock file must be dedicated to locking: opening it with pl_file_* and
 * closing it again would drop this process's lock (fcntl semantics).
 * Limits: no preference between readers and writers (a steady stream of
 * shared holders can delay an exclusive one); locks are not inherited by a
 * fork child (fcntl semantics): in the child, handles copied from the
 * parent are inert and releasing them only frees memory.
 * Privilege: needs write access to the directory only to create a missing
 * lock file (0600) and read/write access to the file.
 */
/* 64-bit ino_t and off_t in the 32-bit build too: fstat of a file with a
 * large inode number would otherwise fail with EOVERFLOW. */
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "px_int.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* Polling another process's lock: the first retry after 1 ms, doubling up
 * to 64 ms, so a short hold costs little and a long wait little CPU. */
#define PX_LK_SLEEP_MIN_MS 1
#define PX_LK_SLEEP_MAX_MS 64

typedef struct px_lkfile {
    struct px_lkfile *next;
    dev_t dev;
    ino_t ino;
    int fd;        /* -1 once orphaned by fork */
    int sh;        /* shared holders in this process */
    int ex;        /* exclusive holders in this process: 0 or 1 */
    int busy;      /* a thread is taking the fcntl lock for this entry */
    int refs;      /* holders plus threads inside pl_lock_take */
} px_lkfile;

struct pl_lock {
    px_lkfile *lf;
    int mode;
};

static pthread_mutex_t px_lk_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t px_lk_cv;
static pthread_once_t px_lk_once = PTHREAD_ONCE_INIT;
static int px_lk_ok;
static px_lkfile *px_lk_head;

static void px_lk_prepare(void)
{
    pthread_mutex_lock(&px_lk_mu);
}

static void px_lk_parent(void)
{
    pthread_mutex_unlock(&px_lk_mu);
}

/* In a fork child no fcntl lock is held, so closing the inherited
 * descriptors drops nothing; the entries are detached so that the child's
 * own locks get fresh ones.  Only async-signal-safe calls here. */
static void px_lk_child(void)
{
    px_lkfile *e;

    for (e = px_lk_head; e != NULL; e = e->next) {
        if (e->fd >= 0)
            close(e->fd);
        e->fd = -1;
        e->busy = 0;
    }
    px_lk_head = NULL;
    pthread_mutex_unlock(&px_lk_mu);
}

static void px_lk_init(void)
{
    pthread_condattr_t ca;

    if (pthread_condattr_init(&ca) != 0)
        return;
    /* The wall clock may jump; deadlines are on the monotonic clock. */
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
        pthread_cond_init(&px_lk_cv, &ca) == 0 &&
        pthread_atfork(px_lk_prepare, px_lk_parent, px_lk_child) == 0)
        px_lk_ok = 1;
    pthread_condattr_destroy(&ca);
}

/* Find the registry entry for (dev, ino); call with px_lk_mu held. */
static px_lkfile *px_lk_find(dev_t dev, ino_t ino)
{
    px_lkfile *e;

    for (e = px_lk_head; e != NULL; e = e->next)
        if (e->dev == dev && e->ino == ino)
            return e;
    return NULL;
}

/* Find or create the entry for the lock file `name` in d and count the
 * caller in refs; call with px_lk_mu held.  Opening happens under the
 * mutex so that two threads never hold two descriptors of one file. */
static int px_lk_entry(pl_dir *d, const char *name, px_lkfile **out)
{
    struct stat st;
    px_lkfile *e;
    int fd;

    if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(st.st_mode)) {
            (void)px_fail(ELOOP);
            return PL_ELOOP;
        }
        e = px_lk_find(st.st_dev, st.st_ino);
        if (e != NULL) {
            e->refs++;
            *out = e;
            return PL_OK;
        }
    } else if (errno != ENOENT) {
        return px_fail(errno);
    }
    fd = openat(d->fd, name,
                O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
    if (fd < 0) {
        if (errno == ELOOP || errno == EMLINK) {
            (void)px_fail(errno);
            return PL_ELOOP;
        }
        return px_fail(errno);
    }
    if (fstat(fd, &st) != 0) {
        int rc = px_fail(errno);

        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return px_fail(EINVAL);
    }
    e = px_lk_find(st.st_dev, st.st_ino);
    if (e != NULL) {
        /* The file appeared between fstatat and openat and we already
         * have it open: closing this second descriptor would drop our
         * fcntl locks on it, so refuse the race instead (rare). */
        close(fd);
        if (e->sh == 0 && e->ex == 0 && !e->busy) {
            e->refs++;
            *out = e;
            return PL_OK;
        }
        (void)px_fail(EAGAIN);
        return PL_EAGAIN;
    }
    e = (px_lkfile *)calloc(1, sizeof *e);
    if (e == NULL) {
        close(fd);
        return px_fail(ENOMEM);
    }
    e->dev = st.st_dev;
    e->ino = st.st_ino;
    e->fd = fd;
    e->refs = 1;
    e->next = px_lk_head;
    px_lk_head = e;
    *out = e;
    return PL_OK;
}

/* Drop one reference; the last one closes the descriptor (nothing is held
 * by then) and frees the entry.  Call with px_lk_mu held. */
static void px_lk_unref(px_lkfile *e)
{
    px_lkfile **pp;

    if (--e->refs > 0)
        return;
    for (pp = &px_lk_head; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    }
    if (e->fd >= 0)
        close(e->fd);
    free(e);
}

/* fcntl lock or unlock of the whole file: type F_RDLCK, F_WRLCK, F_UNLCK. */
static int px_lk_fcntl(int fd, short type)
{
    struct flock fl;

    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0;   /* to the end of the file, however it grows */
    return fcntl(fd, F_SETLK, &fl);
}

/* Absolute CLOCK_MONOTONIC time ms from now, for pthread_cond_timedwait. */
static void px_lk_abstime(pl_i64 deadline_ms, struct timespec *ts)
{
    ts->tv_sec = (time_t)(deadline_ms / 1000);
    ts->tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
}

static void px_lk_sleep(pl_i64 ms)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    (void)nanosleep(&ts, NULL);
}

int pl_lock_take(pl_dir *d, const char *name, int mode, pl_i32 timeout_ms,
                 pl_lock **out)
{
    px_lkfile *e = NULL;
    pl_lock *lk;
    pl_i64 deadline = 0;
    pl_i64 step = PX_LK_SLEEP_MIN_MS;
    int rc;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (d == NULL || pl_name_check(name, PL_NAME_TYPE_OK) != PL_OK ||
        (mode != PL_LOCK_SH && mode != PL_LOCK_EX) ||
        (timeout_ms < 0 && timeout_ms != PL_WAIT_FOREVER))
        return PL_EINVAL;
    if (pthread_once(&px_lk_once, px_lk_init) != 0 || !px_lk_ok)
        return PL_ERR;
    lk = (pl_lock *)malloc(sizeof *lk);
    if (lk == NULL)
        return px_fail(ENOMEM);
    if (timeout_ms > 0)
        deadline = pl_time_mono_ms() + timeout_ms;

    pthread_mutex_lock(&px_lk_mu);
    rc = px_lk_entry(d, name, &e);
    if (rc != PL_OK) {
        pthread_mutex_unlock(&px_lk_mu);
        free(lk);
        return rc;
    }
    for (;;) {
        int in_ok = mode == PL_LOCK_EX
                    ? (e->sh == 0 && e->ex == 0 && !e->busy)
                    : (e->ex == 0 && !e->busy);

        if (in_ok) {
            if (mode == PL_LOCK_SH && e->sh > 0) {
                /* The process already holds the fcntl read lock. */
                e->sh++;
                rc = PL_OK;
                break;
            }
            if (px_lk_fcntl(e->fd, mode == PL_LOCK_EX ? F_WRLCK : F_RDLCK)
                == 0) {
                if (mode == PL_LOCK_EX)
                    e->ex = 1;
                else
                    e->sh = 1;
                rc = PL_OK;
                break;
            }
            if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
                rc = px_fail(errno);
                break;
            }
            /* Another process holds it: poll, keeping threads of this
             * process out of the way while the mutex is dropped. */
            if (timeout_ms == 0) {
                rc = px_fail(EAGAIN);
                break;
            }
            {
                pl_i64 wait = step;

                if (timeout_ms != PL_WAIT_FOREVER) {
                    pl_i64 left = deadline - pl_time_mono_ms();

                    if (left <= 0) {
                        rc = px_fail(ETIMEDOUT);
                        break;
                    }
                    if (wait > left)
                        wait = left;
                }
                e->busy = 1;
                pthread_mutex_unlock(&px_lk_mu);
                px_lk_sleep(wait);
                pthread_mutex_lock(&px_lk_mu);
                e->busy = 0;
                /* Threads waiting behind us may now try in turn. */
                pthread_cond_broadcast(&px_lk_cv);
                if (step < PX_LK_SLEEP_MAX_MS)
                    step *= 2;
            }
            if (e->fd < 0) {    /* cannot happen outside a fork child */
                rc = px_fail(EBADF);
                break;
            }
            continue;
        }
        /* Held by another thread of this process. */
        if (timeout_ms == 0) {
            rc = px_fail(EAGAIN);
            break;
        }
        if (timeout_ms == PL_WAIT_FOREVER) {
            pthread_cond_wait(&px_lk_cv, &px_lk_mu);
        } else {
            struct timespec ts;

            if (pl_time_mono_ms() >= deadline) {
                rc = px_fail(ETIMEDOUT);
                break;
            }
            px_lk_abstime(deadline, &ts);
            (void)pthread_cond_timedwait(&px_lk_cv, &px_lk_mu, &ts);
        }
    }
    if (rc != PL_OK) {
        px_lk_unref(e);
        pthread_mutex_unlock(&px_lk_mu);
        free(lk);
        return rc;
    }
    pthread_mutex_unlock(&px_lk_mu);
    lk->lf = e;
    lk->mode = mode;
    *out = lk;
    return PL_OK;
}

void pl_lock_release(pl_lock *lk)
{
    px_lkfile *e;

    if (lk == NULL)
        return;
    e = lk->lf;
    pthread_mutex_lock(&px_lk_mu);
    if (lk->mode == PL_LOCK_EX)
        e->ex = 0;
    else if (e->sh > 0)
        e->sh--;
    if (e->sh == 0 && e->ex == 0 && e->fd >= 0)
        (void)px_lk_fcntl(e->fd, F_UNLCK);
    px_lk_unref(e);
    pthread_cond_broadcast(&px_lk_cv);
    pthread_mutex_unlock(&px_lk_mu);
    free(lk);
}
