/*
 * vms_thread.c - threads, mutexes and condition variables on OpenVMS.
 * Services: the POSIX Threads Library (DECthreads) of the C RTL, plus its
 * pthread_get_expiration_np to turn a relative timeout into the absolute
 * time pthread_cond_timedwait wants.
 * Limits: the default stack is 256 KB, because the DECthreads default is
 * far smaller and a TLS handshake plus our line buffers need more; the
 * image must be linked /THREADS_ENABLE=(UPCALLS,MULTIPLE_KERNEL_THREADS)
 * so that a thread blocked in a system service does not stop the others.
 * Privilege: none.
 */
#include <stdlib.h>
#include <errno.h>
#include <time.h>
#include <pthread.h>

#include "vms_int.h"

#define VMS_STACK_DEFAULT (256u * 1024u)

struct pl_thread {
    pthread_t tid;
    pl_thread_fn fn;
    void *arg;
};

struct pl_mutex {
    pthread_mutex_t mx;
};

struct pl_cond {
    pthread_cond_t cv;
};

/* The thread body: run fn(arg); a detached thread frees its own handle. */
static void *vms_thread_main(void *p)
{
    pl_thread *t = (pl_thread *)p;

    t->fn(t->arg);
    return NULL;
}

/* Trampoline record for detached threads, freed by the thread itself. */
static void *vms_thread_detached(void *p)
{
    pl_thread *t = (pl_thread *)p;
    pl_thread_fn fn = t->fn;
    void *arg = t->arg;

    free(t);
    fn(arg);
    return NULL;
}

int pl_thread_start(pl_thread_fn fn, void *arg, size_t stack_bytes,
                    int detached, pl_thread **out)
{
    pthread_attr_t attr;
    pl_thread *t;
    int e;

    if (fn == NULL || (!detached && out == NULL))
        return PL_EINVAL;
    if (out != NULL)
        *out = NULL;
    t = (pl_thread *)malloc(sizeof *t);
    if (t == NULL)
        return PL_ENOMEM;
    t->fn = fn;
    t->arg = arg;
    if (stack_bytes < VMS_STACK_DEFAULT)
        stack_bytes = VMS_STACK_DEFAULT;
    e = pthread_attr_init(&attr);
    if (e == 0)
        e = pthread_attr_setstacksize(&attr, stack_bytes);
    if (e == 0)
        e = pthread_attr_setdetachstate(&attr, detached ?
                PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE);
    if (e == 0)
        e = pthread_create(&t->tid, &attr,
                           detached ? vms_thread_detached : vms_thread_main,
                           t);
    (void)pthread_attr_destroy(&attr);
    if (e != 0) {
        free(t);
        errno = e;
        return vms_fail_errno();
    }
    if (!detached)
        *out = t;
    return PL_OK;
}

int pl_thread_join(pl_thread *t)
{
    int e;

    if (t == NULL)
        return PL_EINVAL;
    e = pthread_join(t->tid, NULL);
    if (e != 0) {
        errno = e;
        return vms_fail_errno();
    }
    free(t);
    return PL_OK;
}

int pl_mutex_create(pl_mutex **out)
{
    pl_mutex *m;
    int e;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    m = (pl_mutex *)malloc(sizeof *m);
    if (m == NULL)
        return PL_ENOMEM;
    e = pthread_mutex_init(&m->mx, NULL);
    if (e != 0) {
        free(m);
        errno = e;
        return vms_fail_errno();
    }
    *out = m;
    return PL_OK;
}

void pl_mutex_destroy(pl_mutex *m)
{
    if (m == NULL)
        return;
    (void)pthread_mutex_destroy(&m->mx);
    free(m);
}

void pl_mutex_lock(pl_mutex *m)
{
    /* Only EINVAL/EDEADLK can come back: programming errors, and the
     * contract gives no way to report them; abort rather than run
     * unprotected. */
    if (pthread_mutex_lock(&m->mx) != 0)
        abort();
}

void pl_mutex_unlock(pl_mutex *m)
{
    if (pthread_mutex_unlock(&m->mx) != 0)
        abort();
}

int pl_cond_create(pl_cond **out)
{
    pl_cond *c;
    int e;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    c = (pl_cond *)malloc(sizeof *c);
    if (c == NULL)
        return PL_ENOMEM;
    e = pthread_cond_init(&c->cv, NULL);
    if (e != 0) {
        free(c);
        errno = e;
        return vms_fail_errno();
    }
    *out = c;
    return PL_OK;
}

void pl_cond_destroy(pl_cond *c)
{
    if (c == NULL)
        return;
    (void)pthread_cond_destroy(&c->cv);
    free(c);
}

int pl_cond_wait(pl_cond *c, pl_mutex *m, pl_i32 timeout_ms)
{
    struct timespec delta, abstime;
    int e;

    if (c == NULL || m == NULL ||
        (timeout_ms < 0 && timeout_ms != PL_WAIT_FOREVER))
        return PL_EINVAL;
    if (timeout_ms == PL_WAIT_FOREVER) {
        e = pthread_cond_wait(&c->cv, &m->mx);
    } else {
        delta.tv_sec = timeout_ms / 1000;
        delta.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        e = pthread_get_expiration_np(&delta, &abstime);
        if (e == 0)
            e = pthread_cond_timedwait(&c->cv, &m->mx, &abstime);
    }
    if (e == ETIMEDOUT)
        return PL_ETIMEDOUT;
    if (e != 0) {
        errno = e;
        return vms_fail_errno();
    }
    return PL_OK;
}

void pl_cond_signal(pl_cond *c)
{
    if (c != NULL)
        (void)pthread_cond_signal(&c->cv);
}

void pl_cond_broadcast(pl_cond *c)
{
    if (c != NULL)
        (void)pthread_cond_broadcast(&c->cv);
}
