/*
 * qu_store.c - the outbound queue's files in STORE_ROOT/_QUEUE: ids,
 * submission, envelope load and save, removal, entry locks, the reaper
 * and the runner's wake-up callback.
 *
 * An entry ID is ID.MSG (the message, written once) plus ID.ENV (the
 * envelope); it exists exactly when ID.ENV exists.  Write order, so that
 * a crash at any point leaves the old state or the new one:
 *   submit: lock ID.LCK; create ID.MSG exclusively (a taken id is
 *           refused there), write, sync, sync the directory; write ID.NEW,
 *           sync; rename ID.NEW to ID.ENV (never over an existing file);
 *           sync the directory; only then is success returned.
 *   save:   write ID.NEW, sync; replace ID.ENV by it; sync the directory.
 *   remove: ID.ENV first (the entry is gone), then ID.NEW, ID.MSG, ID.LCK.
 * What a crash leaves (an ID.MSG or ID.NEW without a finished step, an
 * ID.LCK of a removed entry) is an orphan for qu_reap, which removes one
 * only while it holds the entry's lock, so never a submission or rewrite
 * in progress.  The lock file of an entry lives as long as the entry: a
 * lock file removed while others may wait on it could let two holders in.
 * Limits: QU_DIR_POOL directory handles shared by all threads; QU_IO_BUF
 * write-behind per submission.
 * Privilege: the service account that owns the store.
 */
#include <stdlib.h>
#include <string.h>
#include "qu_int.h"
#include "ut_str.h"
#include "ut_log.h"

struct qu_queue {
    pl_dir *pool[QU_DIR_POOL];
    int nfree;                 /* handles in pool[0..nfree) are free */
    pl_mutex *mu;              /* guards the pool */
    pl_cond *cv;               /* a handle was returned */
    pl_mutex *nmu;             /* guards and serialises the callback */
    qu_notify_fn fn;
    void *fnctx;
};

struct qu_sub {
    qu_queue *q;
    qu_env e;                  /* id, fields, recipients so far */
    int rcap;
    pl_lock *lk;
    pl_file *fp;               /* ID.MSG while it is written */
    unsigned char *buf;
    size_t blen;
    int failed;                /* first write error: commit fails */
};

/* ---- the directory handle pool ----------------------------------------- */

static pl_dir *qu_dir_get(qu_queue *q)
{
    pl_dir *d;

    pl_mutex_lock(q->mu);
    while (q->nfree == 0)
        (void)pl_cond_wait(q->cv, q->mu, PL_WAIT_FOREVER);
    d = q->pool[--q->nfree];
    pl_mutex_unlock(q->mu);
    return d;
}

static void qu_dir_put(qu_queue *q, pl_dir *d)
{
    pl_mutex_lock(q->mu);
    q->pool[q->nfree++] = d;
    pl_cond_signal(q->cv);
    pl_mutex_unlock(q->mu);
}

int qu_open(pl_dir *store_root, qu_queue **out)
{
    qu_queue *q;
    int i, rc = PL_OK;

    *out = NULL;
    q = (qu_queue *)calloc(1, sizeof *q);
    if (q == NULL)
        return PL_ENOMEM;
    for (i = 0; rc == PL_OK && i < QU_DIR_POOL; i++) {
        rc = pl_dir_open(store_root, QU_DIR, PL_DIR_CREATE, &q->pool[i]);
        if (rc == PL_OK)
            q->nfree++;
    }
    if (rc == PL_OK)
        rc = pl_mutex_create(&q->mu);
    if (rc == PL_OK)
        rc = pl_mutex_create(&q->nmu);
    if (rc == PL_OK)
        rc = pl_cond_create(&q->cv);
    if (rc != PL_OK) {
        qu_close(q);
        return rc;
    }
    *out = q;
    return PL_OK;
}

void qu_close(qu_queue *q)
{
    int i;

    if (q == NULL)
        return;
    for (i = 0; i < q->nfree; i++)
        pl_dir_close(q->pool[i]);
    if (q->mu != NULL)
        pl_mutex_destroy(q->mu);
    if (q->nmu != NULL)
        pl_mutex_destroy(q->nmu);
    if (q->cv != NULL)
        pl_cond_destroy(q->cv);
    free(q);
}

/* ---- wake-up callback ---------------------------------------------------- */

void qu_set_notify(qu_queue *q, qu_notify_fn fn, void *ctx)
{
    pl_mutex_lock(q->nmu);
    q->fn = fn;
    q->fnctx = ctx;
    pl_mutex_unlock(q->nmu);
}

/* The callback runs under nmu, so once qu_set_notify(NULL) returns no
 * call of the old one is still running: its owner may free ctx. */
void qu_kick(qu_queue *q)
{
    pl_mutex_lock(q->nmu);
    if (q->fn != NULL)
        q->fn(q->fnctx);
    pl_mutex_unlock(q->nmu);
}

/* ---- ids and locks --------------------------------------------------------- */

static const char qu_b36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

static void qu_b36_put(char *p, pl_u64 v, int width)
{
    while (width-- > 0) {
        p[width] = qu_b36[v % 36];
        v /= 36;
    }
}

/* Seconds (7 digits, until the year 4400) and microseconds (4) of now
 * make ids sort by arrival; 5 random digits (36^5 = 60 million) keep
 * two in one microsecond apart. */
static int qu_new_id(char *id)
{
    unsigned char rnd[4];
    pl_i64 secs;
    pl_i32 usec;
    pl_u32 r;
    int rc = pl_random(rnd, sizeof rnd);

    if (rc != PL_OK)
        return rc;
    r = ((pl_u32)rnd[0] << 24) | ((pl_u32)rnd[1] << 16) |
        ((pl_u32)rnd[2] << 8) | rnd[3];
    pl_time_now_us(&secs, &usec);
    qu_b36_put(id, secs > 0 ? (pl_u64)secs : 0, 7);
    qu_b36_put(id + 7, (pl_u64)(usec > 0 ? usec : 0), 4);
    qu_b36_put(id + 11, r, 5);
    id[QU_ID_LEN] = '\0';
    return PL_OK;
}

static int qu_lock_try(qu_queue *q, const char *id, pl_lock **out)
{
    char name[QU_NAME_BUF];
    pl_dir *d;
    int rc = qu_name(id, QU_T_LCK, name);

    if (rc != PL_OK)
        return rc;
    d = qu_dir_get(q);
    rc = pl_lock_take(d, name, PL_LOCK_EX, 0, out);
    qu_dir_put(q, d);
    return rc;
}

/* Waiting polls without a handle, so that waiters never drain the pool. */
int qu_lock(qu_queue *q, const char *id, pl_i32 timeout_ms, pl_lock **out)
{
    pl_i64 end = pl_time_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    int rc;

    *out = NULL;
    if (timeout_ms < 0 && timeout_ms != PL_WAIT_FOREVER)
        return PL_EINVAL;
    for (;;) {
        rc = qu_lock_try(q, id, out);
        if (rc != PL_EAGAIN || timeout_ms == 0)
            return rc;
        if (timeout_ms != PL_WAIT_FOREVER && pl_time_mono_ms() >= end)
            return PL_ETIMEDOUT;
        rc = pl_sleep_ms(QU_LOCK_POLL_MS);
        if (rc == PL_EINTR)
            return rc;
    }
}

/* ---- small file helpers ------------------------------------------------------ */

/* Remove ID.TYPE if it exists (PL_OK when it did not). */
static int qu_rm(pl_dir *d, const char *id, const char *type)
{
    char name[QU_NAME_BUF];
    int rc = qu_name(id, type, name);

    if (rc == PL_OK)
        rc = pl_file_remove(d, name);
    return rc == PL_ENOENT ? PL_OK : rc;
}

static int qu_info(pl_dir *d, const char *id, const char *type,
                   pl_file_info *fi)
{
    char name[QU_NAME_BUF];
    int rc = qu_name(id, type, name);

    return rc == PL_OK ? pl_file_info_get(d, name, fi) : rc;
}

/* Write text durably as ID.NEW (a leftover one is stale: the caller holds
 * the entry's lock, so no other writer exists). */
static int qu_write_new(pl_dir *d, const char *id, const ut_buf *text)
{
    char name[QU_NAME_BUF];
    pl_file *f = NULL;
    int rc = qu_name(id, QU_T_NEW, name), rc2;

    if (rc == PL_OK) {
        rc = pl_file_create(d, name, &f);
        if (rc == PL_EEXIST && pl_file_remove(d, name) == PL_OK)
            rc = pl_file_create(d, name, &f);
    }
    if (rc != PL_OK)
        return rc;
    rc = pl_file_write(f, text->data, text->len);
    if (rc == PL_OK)
        rc = pl_file_sync(f);
    rc2 = pl_file_close(f);
    if (rc == PL_OK)
        rc = rc2;
    if (rc != PL_OK)
        (void)pl_file_remove(d, name);
    return rc;
}

/* ---- submission ------------------------------------------------------------ */

static void qu_sub_free(qu_sub *s)
{
    free(s->e.rcpt);
    free(s->buf);
    free(s);
}

/* Take a fresh id: its lock, then ID.MSG created exclusively. */
static int qu_sub_claim(qu_sub *s)
{
    char name[QU_NAME_BUF];
    pl_dir *d;
    int tries, rc = PL_EEXIST;

    for (tries = 0; tries < QU_ID_RETRIES; tries++) {
        rc = qu_new_id(s->e.id);
        if (rc == PL_OK)
            rc = qu_lock_try(s->q, s->e.id, &s->lk);
        if (rc == PL_EAGAIN)
            continue;                 /* someone holds this id */
        if (rc != PL_OK)
            return rc;
        qu_name(s->e.id, QU_T_MSG, name);
        d = qu_dir_get(s->q);
        rc = pl_file_create(d, name, &s->fp);
        qu_dir_put(s->q, d);
        if (rc == PL_OK)
            return PL_OK;
        if (rc != PL_EEXIST) {        /* our id: leave no lock file */
            d = qu_dir_get(s->q);
            (void)qu_rm(d, s->e.id, QU_T_LCK);
            qu_dir_put(s->q, d);
        }
        pl_lock_release(s->lk);       /* else the lock file is that entry's */
        s->lk = NULL;
        if (rc != PL_EEXIST)
            return rc;
    }
    return rc == PL_EAGAIN ? PL_EEXIST : rc;
}

int qu_sub_begin(qu_queue *q, const qu_env *proto, qu_sub **out)
{
    qu_sub *s;
    int rc;

    *out = NULL;
    if (q == NULL || proto == NULL)
        return PL_EINVAL;
    s = (qu_sub *)calloc(1, sizeof *s);
    if (s == NULL)
        return PL_ENOMEM;
    s->q = q;
    s->e = *proto;
    s->e.id[0] = '\0';
    s->e.rcpt = NULL;
    s->e.nrcpt = 0;
    s->e.size = 0;
    s->e.hold = 0;
    s->e.next_try = 0;
    s->e.created = pl_time_now();
    rc = qu_env_check_head(&s->e, NULL, 0);
    if (rc == PL_OK) {
        s->buf = (unsigned char *)malloc(QU_IO_BUF);
        if (s->buf == NULL)
            rc = PL_ENOMEM;
    }
    if (rc == PL_OK)
        rc = qu_sub_claim(s);
    if (rc != PL_OK) {
        qu_sub_free(s);
        return rc;
    }
    *out = s;
    return PL_OK;
}

int qu_sub_rcpt(qu_sub *s, const char *addr, const char *orcpt, int notify)
{
    qu_rcpt r;

    memset(&r, 0, sizeof r);
    if (addr == NULL || ut_strlcpy(r.addr, addr, sizeof r.addr) != PL_OK ||
        ut_strlcpy(r.orcpt, orcpt != NULL ? orcpt : "", sizeof r.orcpt)
        != PL_OK)
        return PL_EINVAL;
    r.notify = notify;
    r.state = QU_R_PENDING;
    if (qu_rcpt_check(&r, NULL, 0) != PL_OK)
        return PL_EINVAL;
    if (s->e.nrcpt >= QU_RCPT_MAX)
        return PL_ERANGE;
    if (s->e.nrcpt == s->rcap) {
        int ncap = s->rcap ? s->rcap * 2 : 4;
        qu_rcpt *nr = (qu_rcpt *)realloc(s->e.rcpt,
                                         (size_t)ncap * sizeof *nr);
        if (nr == NULL)
            return PL_ENOMEM;
        s->e.rcpt = nr;
        s->rcap = ncap;
    }
    s->e.rcpt[s->e.nrcpt++] = r;
    return PL_OK;
}

static int qu_sub_flush(qu_sub *s)
{
    int rc = PL_OK;

    if (s->blen > 0)
        rc = pl_file_write(s->fp, s->buf, s->blen);
    s->blen = 0;
    return rc;
}

int qu_sub_write(qu_sub *s, const void *buf, size_t n)
{
    const unsigned char *p = (const unsigned char *)buf;

    if (s->failed != PL_OK)
        return s->failed;
    s->e.size += n;
    while (n > 0) {
        size_t k = QU_IO_BUF - s->blen < n ? QU_IO_BUF - s->blen : n;

        memcpy(s->buf + s->blen, p, k);
        s->blen += k;
        p += k;
        n -= k;
        if (s->blen == QU_IO_BUF) {
            s->failed = qu_sub_flush(s);
            if (s->failed != PL_OK)
                return s->failed;
        }
    }
    return PL_OK;
}

/* Make the message durable: data, size, and its directory entry (so that
 * an envelope can never name a message file a crash took away). */
static int qu_sub_msg_done(qu_sub *s, pl_dir *d)
{
    int rc = qu_sub_flush(s), rc2;

    if (rc == PL_OK)
        rc = pl_file_sync(s->fp);
    rc2 = pl_file_close(s->fp);
    s->fp = NULL;
    if (rc == PL_OK)
        rc = rc2;
    if (rc == PL_OK)
        rc = pl_dir_sync(d);
    return rc;
}

/* Envelope: ID.NEW written and synced, renamed to ID.ENV, directory
 * synced.  On failure nothing of the entry stays visible. */
static int qu_sub_env_done(qu_sub *s, pl_dir *d)
{
    char nname[QU_NAME_BUF], ename[QU_NAME_BUF];
    ut_buf text;
    int rc;

    ut_buf_init(&text, QU_ENV_FILE_MAX);
    rc = qu_env_format(&s->e, &text);
    if (rc == PL_OK)
        rc = qu_write_new(d, s->e.id, &text);
    ut_buf_free(&text);
    if (rc != PL_OK)
        return rc;
    qu_name(s->e.id, QU_T_NEW, nname);
    qu_name(s->e.id, QU_T_ENV, ename);
    rc = pl_file_rename(d, nname, d, ename);
    if (rc != PL_OK) {
        (void)pl_file_remove(d, nname);
        return rc;
    }
    rc = pl_dir_sync(d);
    if (rc != PL_OK)
        (void)pl_file_remove(d, ename);   /* not durable: not accepted */
    return rc;
}

int qu_sub_commit(qu_sub *s, char *id)
{
    pl_dir *d;
    int rc;

    if (id != NULL)
        id[0] = '\0';
    if (s == NULL)
        return PL_EINVAL;
    if (s->failed != PL_OK || s->e.nrcpt == 0) {
        rc = s->failed != PL_OK ? s->failed : PL_EINVAL;
        qu_sub_abort(s);
        return rc;
    }
    d = qu_dir_get(s->q);
    rc = qu_sub_msg_done(s, d);
    if (rc == PL_OK)
        rc = qu_sub_env_done(s, d);
    qu_dir_put(s->q, d);
    if (rc != PL_OK) {
        ut_log_warn("queue: cannot commit %s: %s", s->e.id,
                    pl_strerror(rc));
        qu_sub_abort(s);
        return rc;
    }
    pl_lock_release(s->lk);
    if (id != NULL)
        memcpy(id, s->e.id, QU_ID_LEN + 1);
    ut_log_debug("queue: %s queued, %d recipient(s)", s->e.id, s->e.nrcpt);
    qu_kick(s->q);
    qu_sub_free(s);
    return PL_OK;
}

/* Nothing of the entry was visible: remove its files, the lock file
 * last and while still held (nobody else can wait for a new id). */
void qu_sub_abort(qu_sub *s)
{
    pl_dir *d;

    if (s == NULL)
        return;
    if (s->fp != NULL)
        (void)pl_file_close(s->fp);
    d = qu_dir_get(s->q);
    (void)qu_rm(d, s->e.id, QU_T_NEW);
    (void)qu_rm(d, s->e.id, QU_T_MSG);
    (void)qu_rm(d, s->e.id, QU_T_LCK);
    qu_dir_put(s->q, d);
    pl_lock_release(s->lk);
    qu_sub_free(s);
}

/* ---- listing ------------------------------------------------------------------ */

typedef struct qu_ids {
    char (*v)[QU_ID_LEN + 1];
    size_t n, cap;
    const char *type;      /* only names of this type */
    int failed;
} qu_ids;

/* Collect the id of each "ID.TYPE" of the wanted type. */
static int qu_ids_cb(void *ctx, const char *name, int kind)
{
    qu_ids *l = (qu_ids *)ctx;
    char id[QU_ID_LEN + 1];

    if (kind != PL_ENT_FILE || strlen(name) != QU_ID_LEN + 4 ||
        name[QU_ID_LEN] != '.' || strcmp(name + QU_ID_LEN + 1, l->type))
        return 0;
    memcpy(id, name, QU_ID_LEN);
    id[QU_ID_LEN] = '\0';
    if (!qu_id_check(id))
        return 0;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        char (*nv)[QU_ID_LEN + 1] = (char (*)[QU_ID_LEN + 1])
            realloc(l->v, ncap * (QU_ID_LEN + 1));
        if (nv == NULL) {
            l->failed = PL_ENOMEM;
            return 1;
        }
        l->v = nv;
        l->cap = ncap;
    }
    memcpy(l->v[l->n++], id, QU_ID_LEN + 1);
    return 0;
}

/* The ids of every ID.TYPE, taken before any callback runs (a callback
 * may use the queue; no handle is held meanwhile). */
static int qu_ids_get(qu_queue *q, const char *type, qu_ids *l)
{
    pl_dir *d = qu_dir_get(q);
    int rc;

    memset(l, 0, sizeof *l);
    l->type = type;
    rc = pl_dir_list(d, qu_ids_cb, l);
    qu_dir_put(q, d);
    if (l->failed != PL_OK)
        rc = l->failed;
    if (rc != PL_OK) {
        free(l->v);
        l->v = NULL;
        l->n = 0;
    }
    return rc;
}

int qu_list(qu_queue *q, qu_id_fn cb, void *ctx)
{
    qu_ids l;
    size_t i;
    int rc = qu_ids_get(q, QU_T_ENV, &l);

    for (i = 0; rc == PL_OK && i < l.n; i++)
        rc = cb(ctx, l.v[i]);
    free(l.v);
    return rc;
}

/* ---- envelopes ------------------------------------------------------------------ */

static void qu_setwhy(char *why, size_t whylen, const char *a,
                      const char *b)
{
    if (why == NULL || whylen == 0)
        return;
    ut_strlcpy(why, a, whylen);
    ut_strlcat(why, b, whylen);
}

/* Read all of ID.ENV into text (bounded by QU_ENV_FILE_MAX). */
static int qu_env_read(pl_dir *d, const char *id, ut_buf *text)
{
    char name[QU_NAME_BUF], chunk[4096];
    pl_file *f = NULL;
    size_t got;
    int rc = qu_name(id, QU_T_ENV, name);

    if (rc == PL_OK)
        rc = pl_file_open(d, name, PL_OPEN_READ, &f);
    while (rc == PL_OK) {
        rc = pl_file_read(f, chunk, sizeof chunk, &got);
        if (rc != PL_OK || got == 0)
            break;
        rc = ut_buf_add(text, chunk, got);
    }
    if (f != NULL)
        (void)pl_file_close(f);
    return rc;
}

/* The message file must exist and hold exactly what the envelope says. */
static int qu_msg_matches(pl_dir *d, const qu_env *e, char *why,
                          size_t whylen)
{
    char a[24], b[24], msg[80];
    pl_file_info fi;
    int rc = qu_info(d, e->id, QU_T_MSG, &fi);

    if (rc == PL_ENOENT) {
        /* Removed since the envelope was read (the envelope goes
         * first): gone, not damaged. */
        if (qu_info(d, e->id, QU_T_ENV, &fi) == PL_ENOENT)
            return PL_ENOENT;
        qu_setwhy(why, whylen, "the message file is missing", "");
        return PL_EINVAL;
    }
    if (rc != PL_OK)
        return rc;
    if (fi.size != e->size) {
        ut_u64_to_dec(a, fi.size);
        ut_u64_to_dec(b, e->size);
        ut_strlcpy(msg, "the message file holds ", sizeof msg);
        ut_strlcat(msg, a, sizeof msg);
        ut_strlcat(msg, " octets, the envelope says ", sizeof msg);
        qu_setwhy(why, whylen, msg, b);
        return PL_EINVAL;
    }
    return PL_OK;
}

int qu_env_load(qu_queue *q, const char *id, qu_env **out, char *why,
                size_t whylen)
{
    ut_buf text;
    pl_dir *d;
    int rc;

    *out = NULL;
    qu_setwhy(why, whylen, "", "");
    if (!qu_id_check(id)) {
        qu_setwhy(why, whylen, "not a queue id", "");
        return PL_EINVAL;
    }
    ut_buf_init(&text, QU_ENV_FILE_MAX);
    d = qu_dir_get(q);
    rc = qu_env_read(d, id, &text);
    if (rc == PL_ERANGE) {
        qu_setwhy(why, whylen, "the envelope file is too large", "");
        rc = PL_EINVAL;
    } else if (rc == PL_OK) {
        rc = qu_env_parse(text.data != NULL ? text.data : "", text.len,
                          out, why, whylen);
    }
    if (rc == PL_OK && strcmp((*out)->id, id) != 0) {
        qu_setwhy(why, whylen, "the ID record names another entry: ",
                  (*out)->id);
        rc = PL_EINVAL;
    }
    if (rc == PL_OK)
        rc = qu_msg_matches(d, *out, why, whylen);
    qu_dir_put(q, d);
    ut_buf_free(&text);
    if (rc != PL_OK) {
        qu_env_free(*out);
        *out = NULL;
    }
    return rc;
}

int qu_env_save(qu_queue *q, const qu_env *e)
{
    char nname[QU_NAME_BUF], ename[QU_NAME_BUF];
    pl_file_info fi;
    ut_buf text;
    pl_dir *d;
    int rc;

    ut_buf_init(&text, QU_ENV_FILE_MAX);
    rc = qu_env_format(e, &text);
    if (rc != PL_OK) {
        ut_buf_free(&text);
        return rc == PL_ERANGE ? PL_EINVAL : rc;
    }
    qu_name(e->id, QU_T_NEW, nname);
    qu_name(e->id, QU_T_ENV, ename);
    d = qu_dir_get(q);
    /* Saving must never bring back an entry that was removed. */
    rc = pl_file_info_get(d, ename, &fi);
    if (rc == PL_OK)
        rc = qu_write_new(d, e->id, &text);
    if (rc == PL_OK) {
        rc = pl_file_replace(d, nname, ename);
        if (rc != PL_OK)
            (void)pl_file_remove(d, nname);
    }
    if (rc == PL_OK)
        rc = pl_dir_sync(d);
    qu_dir_put(q, d);
    ut_buf_free(&text);
    return rc;
}

int qu_env_dump(qu_queue *q, const char *id, pl_out_fn out, void *ctx)
{
    char name[QU_NAME_BUF], chunk[4096];
    pl_file *f = NULL;
    pl_dir *d;
    size_t got;
    int rc = qu_name(id, QU_T_ENV, name);

    if (rc != PL_OK)
        return rc;
    d = qu_dir_get(q);
    rc = pl_file_open(d, name, PL_OPEN_READ, &f);
    qu_dir_put(q, d);
    while (rc == PL_OK) {
        rc = pl_file_read(f, chunk, sizeof chunk, &got);
        if (rc != PL_OK || got == 0)
            break;
        rc = out(ctx, chunk, got);
    }
    if (f != NULL)
        (void)pl_file_close(f);
    return rc;
}

int qu_msg_open(qu_queue *q, const char *id, pl_file **out)
{
    char name[QU_NAME_BUF];
    pl_dir *d;
    int rc = qu_name(id, QU_T_MSG, name);

    *out = NULL;
    if (rc != PL_OK)
        return rc;
    d = qu_dir_get(q);
    rc = pl_file_open(d, name, PL_OPEN_READ, out);
    qu_dir_put(q, d);
    return rc;
}

int qu_remove(qu_queue *q, const char *id)
{
    pl_file_info fi;
    pl_dir *d;
    int rc, had;

    if (!qu_id_check(id))
        return PL_EINVAL;
    d = qu_dir_get(q);
    had = qu_info(d, id, QU_T_ENV, &fi) == PL_OK ||
          qu_info(d, id, QU_T_MSG, &fi) == PL_OK;
    rc = qu_rm(d, id, QU_T_ENV);
    if (rc == PL_OK)
        rc = qu_rm(d, id, QU_T_NEW);
    if (rc == PL_OK)
        rc = qu_rm(d, id, QU_T_MSG);
    /* The caller holds the lock: a waiter that gets the old file's lock
     * afterwards finds no entry, which is the truth. */
    if (rc == PL_OK)
        rc = qu_rm(d, id, QU_T_LCK);
    if (rc == PL_OK)
        rc = pl_dir_sync(d);
    qu_dir_put(q, d);
    if (rc == PL_OK && !had)
        return PL_ENOENT;
    return rc;
}

/* ---- the reaper ------------------------------------------------------------------- */

typedef struct qu_reap_st {
    qu_queue *q;
    pl_dir *d;
    pl_i64 now, max_age;
    int removed;
} qu_reap_st;

/* 1 if ID.TYPE exists and is at least max_age seconds old. */
static int qu_old(qu_reap_st *r, const char *id, const char *type)
{
    pl_file_info fi;

    return qu_info(r->d, id, type, &fi) == PL_OK &&
           r->now - fi.mtime >= r->max_age;
}

static int qu_exists(qu_reap_st *r, const char *id, const char *type)
{
    pl_file_info fi;

    return qu_info(r->d, id, type, &fi) == PL_OK;
}

static void qu_reap_rm(qu_reap_st *r, const char *id, const char *type)
{
    char name[QU_NAME_BUF];

    qu_name(id, type, name);
    if (qu_rm(r->d, id, type) == PL_OK) {
        r->removed++;
        ut_log_info("queue: removed the orphan %s", name);
    }
}

/* Reap the orphans of one id (its files listed as seen by the caller).
 * Under the entry's lock: a submission or a rewrite holds it all along,
 * so what is found then is left over from a crash. */
static void qu_reap_id(qu_reap_st *r, const char *id)
{
    char name[QU_NAME_BUF];
    pl_lock *lk = NULL;
    int env = qu_exists(r, id, QU_T_ENV), msg;

    /* Only a candidate costs a lock attempt: a live entry's lock is the
     * runner's, and a failed try would make it skip the entry. */
    if (!qu_old(r, id, QU_T_NEW) && (env || (!qu_old(r, id, QU_T_MSG) &&
        (qu_exists(r, id, QU_T_MSG) || !qu_old(r, id, QU_T_LCK)))))
        return;
    qu_name(id, QU_T_LCK, name);
    if (pl_lock_take(r->d, name, PL_LOCK_EX, 0, &lk) != PL_OK)
        return;                           /* in use: not an orphan */
    env = qu_exists(r, id, QU_T_ENV);
    if (qu_old(r, id, QU_T_NEW))
        qu_reap_rm(r, id, QU_T_NEW);
    if (!env && qu_old(r, id, QU_T_MSG))
        qu_reap_rm(r, id, QU_T_MSG);
    msg = qu_exists(r, id, QU_T_MSG);
    if (!env && !msg && qu_old(r, id, QU_T_LCK))
        qu_reap_rm(r, id, QU_T_LCK);
    pl_lock_release(lk);
}

int qu_reap(qu_queue *q, pl_i64 max_age, int *removed)
{
    static const char *const types[] = { QU_T_MSG, QU_T_NEW, QU_T_LCK };
    qu_reap_st r;
    qu_ids l;
    size_t i;
    int t, rc = PL_OK;

    *removed = 0;
    memset(&r, 0, sizeof r);
    r.q = q;
    r.now = pl_time_now();
    r.max_age = max_age;
    for (t = 0; rc == PL_OK && t < 3; t++) {
        rc = qu_ids_get(q, types[t], &l);
        if (rc != PL_OK)
            break;
        r.d = qu_dir_get(q);
        for (i = 0; i < l.n; i++)
            qu_reap_id(&r, l.v[i]);
        if (r.removed > *removed)
            rc = pl_dir_sync(r.d);
        *removed = r.removed;
        qu_dir_put(q, r.d);
        free(l.v);
    }
    return rc;
}
