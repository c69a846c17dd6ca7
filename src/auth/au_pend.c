/*
 * au_pend.c - received-mail counters of a long-running server, gathered
 * in memory and written to the account records in batches.
 *
 * Why: au_db_count_rx rewrites the account record (write, sync, rename,
 * directory sync) under its lock.  Doing that for every delivered
 * message doubled the synchronous writes of a delivery and serialized
 * concurrent deliveries to one account on its lock.  The counters are
 * statistics (`newmail user show`), not mail: the server adds to this
 * table and its main loop writes it out every AU_PEND_FLUSH_MS and at
 * shutdown, one record update per account per batch.
 * Limits: AU_PEND_MAX accounts pending; an add beyond that is written at
 * once through the caller's database (nothing is dropped).  A crash of
 * the server loses at most the counts of the last AU_PEND_FLUSH_MS;
 * the messages themselves were durable before they were counted.
 * Threads: any number of adders (the mutex) and one flusher at a time,
 * which takes the filled table and leaves the spare in its place.
 * Privilege: the service account (it owns the account records).
 */
#include <stdlib.h>
#include <string.h>
#include "au.h"
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
    *out = p;
    return PL_OK;
}

void au_pend_free(au_pend *p)
{
    if (p == NULL)
        return;
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
    /* Saturating, as au_db_count_rx is: a wrapped counter would lie. */
    e->msgs = e->msgs + msgs < e->msgs ? ~(pl_u64)0 : e->msgs + msgs;
    e->bytes = e->bytes + bytes < e->bytes ? ~(pl_u64)0 : e->bytes + bytes;
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
