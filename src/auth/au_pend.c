/*
 * au_pend.c - received-mail counters of a long-running server, gathered
 * in memory and written to the account records in batches.
 *
 * Why: au_db_count_rx rewrites the account record (write, sync, rename,
 * directory sync) under its lock.  Doing that for every delivered
 * message doubled the synchronous writes of a delivery and serialized
 * concurrent deliveries to one account on its lock.  The counters are
 * statistics (`newmail user show`), not mail: the server adds to this
 * table and its flusher thread (au_pend_start) writes it out once the
 * oldest count is AU_PEND_FLUSH_MS old, and at au_pend_stop, one record
 * update per account per batch.  A thread of its own, because a batch
 * can take seconds of synchronous writes that must not hold up accepts
 * or deliveries.
 * Limits: AU_PEND_MAX accounts pending; an add beyond that is written at
 * once through the caller's database (nothing is dropped).  A crash of
 * the server loses at most the counts of the last AU_PEND_FLUSH_MS;
 * the messages themselves were durable before they were counted.
 * Threads: any number of adders (the mutex) and one flusher at a time
 * (the thread, or a caller of au_pend_flush when there is none), which
 * takes the filled table and leaves the spare in its place.
 * Privilege: the service account (it owns the account records).
 */
#include <stdlib.h>
#include <string.h>
#include "au_int.h"
#include "ut_log.h"
#include "ut_str.h"

typedef struct au_pend_ent {
    pl_u32 hash;
    char user[AU_USER_MAX + 1];
    char domain[AU_DOMAIN_MAX + 1];
    pl_u64 msgs, bytes;
} au_pend_ent;

struct au_pend {
    pl_mutex *mu;
    int n;
    pl_i64 since;                   /* monotonic ms of the oldest add */
    au_pend_ent *ent;               /* AU_PEND_MAX entries */
    au_pend_ent *spare;             /* the same, the flusher's while it
                                       writes */
    pl_cond *wake;                  /* the flusher's tick, or stop */
    pl_thread *th;                  /* NULL until au_pend_start */
    int stop;
    pl_dir *root;                   /* for the thread's flushes */
    pl_mutex *root_mu;
};

/* FNV-1a of user "@" domain: a cheap first test before two strcmps. */
static pl_u32 pend_hash(const char *user, const char *domain)
{
    pl_u32 h = 2166136261UL;
    const unsigned char *p;

    for (p = (const unsigned char *)user; *p != '\0'; p++)
        h = (h ^ *p) * 16777619UL;
    h = (h ^ '@') * 16777619UL;
    for (p = (const unsigned char *)domain; *p != '\0'; p++)
        h = (h ^ *p) * 16777619UL;
    return h & 0xFFFFFFFFUL;
}

int au_pend_new(au_pend **out)
{
    au_pend *p;

    *out = NULL;
    p = (au_pend *)calloc(1, sizeof *p);
    if (p == NULL)
        return PL_ENOMEM;
    p->ent = (au_pend_ent *)malloc(AU_PEND_MAX * sizeof *p->ent);
    p->spare = (au_pend_ent *)malloc(AU_PEND_MAX * sizeof *p->spare);
    if (p->ent == NULL || p->spare == NULL
        || pl_mutex_create(&p->mu) != PL_OK) {
        free(p->ent);
        free(p->spare);
        free(p);
        return PL_ENOMEM;
    }
    if (pl_cond_create(&p->wake) != PL_OK) {
        au_pend_free(p);
        return PL_ENOMEM;
    }
    *out = p;
    return PL_OK;
}

void au_pend_free(au_pend *p)
{
    if (p == NULL)
        return;
    au_pend_stop(p);
    if (p->wake != NULL)
        pl_cond_destroy(p->wake);
    pl_mutex_destroy(p->mu);
    free(p->ent);
    free(p->spare);
    free(p);
}

int au_pend_add(au_pend *p, au_db *db, const char *user,
                const char *domain, pl_u64 msgs, pl_u64 bytes)
{
    pl_u32 h;
    int i;
    au_pend_ent *e = NULL;

    if (p == NULL)
        return au_db_count_rx(db, user, domain, msgs, bytes);
    if (strlen(user) > AU_USER_MAX || strlen(domain) > AU_DOMAIN_MAX)
        return PL_EINVAL;
    h = pend_hash(user, domain);
    pl_mutex_lock(p->mu);
    for (i = 0; i < p->n; i++) {
        e = &p->ent[i];
        if (e->hash == h && strcmp(e->user, user) == 0
            && strcmp(e->domain, domain) == 0)
            break;
    }
    if (i == p->n) {
        if (p->n == AU_PEND_MAX) {
            pl_mutex_unlock(p->mu);
            return au_db_count_rx(db, user, domain, msgs, bytes);
        }
        if (p->n == 0)
            p->since = pl_time_mono_ms();
        e = &p->ent[p->n++];
        e->hash = h;
        (void)ut_strlcpy(e->user, user, sizeof e->user);
        (void)ut_strlcpy(e->domain, domain, sizeof e->domain);
        e->msgs = e->bytes = 0;
    }
    e->msgs = au_sat_add(e->msgs, msgs);
    e->bytes = au_sat_add(e->bytes, bytes);
    pl_mutex_unlock(p->mu);
    return PL_OK;
}

int au_pend_flush(au_pend *p, pl_dir *root, pl_mutex *root_mu, int force)
{
    au_pend_ent *batch = NULL;
    au_db *db = NULL;
    int n = 0, i, rc, failed = 0;

    if (p == NULL)
        return PL_OK;
    pl_mutex_lock(p->mu);
    if (p->n > 0
        && (force || pl_time_mono_ms() - p->since >= AU_PEND_FLUSH_MS)) {
        batch = p->ent;
        n = p->n;
        p->ent = p->spare;
        p->n = 0;
    }
    pl_mutex_unlock(p->mu);
    if (n == 0)
        return PL_OK;
    if (root_mu != NULL)
        pl_mutex_lock(root_mu);
    rc = au_db_open(root, 0, &db);
    if (root_mu != NULL)
        pl_mutex_unlock(root_mu);
    for (i = 0; rc == PL_OK && i < n; i++) {
        int r = au_db_count_rx(db, batch[i].user, batch[i].domain,
                               batch[i].msgs, batch[i].bytes);
        /* An account removed since its delivery has nothing to count. */
        if (r != PL_OK && r != PL_ENOENT)
            failed++;
    }
    if (rc != PL_OK || failed > 0)
        ut_log_warn("accounts: received-mail counters of %d account%s not "
                    "written: %s", rc != PL_OK ? n : failed,
                    (rc != PL_OK ? n : failed) == 1 ? "" : "s",
                    pl_strerror(rc != PL_OK ? rc : PL_EIO));
    au_db_close(db);
    pl_mutex_lock(p->mu);
    p->spare = batch;               /* the next flush swaps it in */
    pl_mutex_unlock(p->mu);
    return rc != PL_OK ? rc : failed > 0 ? PL_EIO : PL_OK;
}

/* The flusher: wake every AU_PEND_TICK_MS, write what is due, until
 * au_pend_stop. */
static void pend_main(void *arg)
{
    au_pend *p = (au_pend *)arg;
    int stop = 0;

    while (!stop) {
        pl_mutex_lock(p->mu);
        if (!p->stop)
            (void)pl_cond_wait(p->wake, p->mu, AU_PEND_TICK_MS);
        stop = p->stop;
        pl_mutex_unlock(p->mu);
        if (!stop)
            (void)au_pend_flush(p, p->root, p->root_mu, 0);
    }
}

int au_pend_start(au_pend *p, pl_dir *root, pl_mutex *root_mu)
{
    if (p == NULL || p->th != NULL)
        return PL_EINVAL;
    p->root = root;
    p->root_mu = root_mu;
    p->stop = 0;
    return pl_thread_start(pend_main, p, (size_t)AU_PEND_STACK, 0, &p->th);
}

void au_pend_stop(au_pend *p)
{
    if (p == NULL || p->th == NULL)
        return;
    pl_mutex_lock(p->mu);
    p->stop = 1;
    pl_cond_signal(p->wake);
    pl_mutex_unlock(p->mu);
    (void)pl_thread_join(p->th);
    p->th = NULL;
    (void)au_pend_flush(p, p->root, p->root_mu, 1);
}
