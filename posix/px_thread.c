/*
 * px_thread.c - threads, mutexes and condition variables on POSIX
 * (pthreads).
 *
 * Condition variables time out on CLOCK_MONOTONIC so that a wall-clock
 * step cannot stretch or cut a session timeout.  A mutex or condition
 * operation that fails is a programming error (corrupted or unlocked
 * object): the process aborts rather than run on without mutual exclusion.
 * Limits: stack sizes are rounded up to whole pages and to at least
 * PTHREAD_STACK_MIN.  A detached thread frees its own handle, so
 * pl_thread_start sets *out to NULL for it.  Privilege: none.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "px_int.h"

struct pl_thread {
    pthread_t tid;
    pl_thread_fn fn;
    void *arg;
    int detached;
};

struct pl_mutex {
    pthread_mutex_t m;
};

struct pl_cond {
    pthread_cond_t c;
};

static void *px_thread_main(void *p)
{
    pl_thread *t = (pl_thread *)p;
    pl_thread_fn fn = t->fn;
    void *arg = t->arg;

    /* Nobody will join a detached thread: its handle is ours to free. */
    if (t->detached)
        free(t);
    fn(arg);
    return NULL;
}

/* Round a requested stack size up to a page multiple and to the system
 * minimum; 0 if the arithmetic would overflow. */
static size_t px_stack_size(size_t want)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t page = pg > 0 ? (size_t)pg : 4096;
    size_t min = (size_t)PTHREAD_STACK_MIN;

    if (want < min)
        want = min;
    if (want > (size_t)-1 - page)
        return 0;
    return (want + page - 1) / page * page;
}

int pl_thread_start(pl_thread_fn fn, void *arg, size_t stack_bytes,
                    int detached, pl_thread **out)
{
    pthread_attr_t attr;
    pl_thread *t;
    int rc;

    if (out != NULL)
        *out = NULL;
    if (fn == NULL || (!detached && out == NULL))
        return PL_EINVAL;
    t = (pl_thread *)malloc(sizeof *t);
    if (t == NULL)
        return px_fail(ENOMEM);
    t->fn = fn;
    t->arg = arg;
    t->detached = detached != 0;
    rc = pthread_attr_init(&attr);
    if (rc != 0) {
        free(t);
        return px_fail(rc);
    }
    if (stack_bytes > 0) {
        size_t sz = px_stack_size(stack_bytes);

        rc = sz == 0 ? EINVAL : pthread_attr_setstacksize(&attr, sz);
    }
    if (rc == 0 && detached)
        rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (rc == 0)
        rc = pthread_create(&t->tid, &attr, px_thread_main, t);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(t);
        return px_fail(rc);
    }
    /* A detached thread frees its handle itself, perhaps already. */
    if (!detached)
        *out = t;
    return PL_OK;
}

int pl_thread_join(pl_thread *t)
{
    int rc;

    if (t == NULL || t->detached)
        return PL_EINVAL;
    rc = pthread_join(t->tid, NULL);
    if (rc != 0)
        return px_fail(rc);
    free(t);
    return PL_OK;
}

int pl_mutex_create(pl_mutex **out)
{
    pl_mutex *m;
    int rc;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    m = (pl_mutex *)malloc(sizeof *m);
    if (m == NULL)
        return px_fail(ENOMEM);
    rc = pthread_mutex_init(&m->m, NULL);
    if (rc != 0) {
        free(m);
        return px_fail(rc);
    }
    *out = m;
    return PL_OK;
}

void pl_mutex_destroy(pl_mutex *m)
{
    if (m == NULL)
        return;
    (void)pthread_mutex_destroy(&m->m);
    free(m);
}

void pl_mutex_lock(pl_mutex *m)
{
    if (pthread_mutex_lock(&m->m) != 0)
        abort();
}

void pl_mutex_unlock(pl_mutex *m)
{
    if (pthread_mutex_unlock(&m->m) != 0)
        abort();
}

int pl_cond_create(pl_cond **out)
{
    pthread_condattr_t ca;
    pl_cond *c;
    int rc;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    c = (pl_cond *)malloc(sizeof *c);
    if (c == NULL)
        return px_fail(ENOMEM);
    rc = pthread_condattr_init(&ca);
    if (rc == 0) {
        rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        if (rc == 0)
            rc = pthread_cond_init(&c->c, &ca);
        pthread_condattr_destroy(&ca);
    }
    if (rc != 0) {
        free(c);
        return px_fail(rc);
    }
    *out = c;
    return PL_OK;
}

void pl_cond_destroy(pl_cond *c)
{
    if (c == NULL)
        return;
    (void)pthread_cond_destroy(&c->c);
    free(c);
}

int pl_cond_wait(pl_cond *c, pl_mutex *m, pl_i32 timeout_ms)
{
    struct timespec ts;
    int rc;

    if (c == NULL || m == NULL ||
        (timeout_ms < 0 && timeout_ms != PL_WAIT_FOREVER))
        return PL_EINVAL;
    if (timeout_ms == PL_WAIT_FOREVER) {
        rc = pthread_cond_wait(&c->c, &m->m);
        return rc == 0 ? PL_OK : px_fail(rc);
    }
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return px_fail(errno);
    ts.tv_sec += (time_t)(timeout_ms / 1000);
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    rc = pthread_cond_timedwait(&c->c, &m->m, &ts);
    if (rc == ETIMEDOUT) {
        (void)px_fail(rc);
        return PL_ETIMEDOUT;
    }
    return rc == 0 ? PL_OK : px_fail(rc);
}

void pl_cond_signal(pl_cond *c)
{
    if (pthread_cond_signal(&c->c) != 0)
        abort();
}

void pl_cond_broadcast(pl_cond *c)
{
    if (pthread_cond_broadcast(&c->c) != 0)
        abort();
}
