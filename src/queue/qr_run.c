/*
 * qr_run.c - the queue runner's threads: one scheduler and
 * queue.maximum_deliveries workers.
 *
 * The scheduler lists the queue every queue.scan_interval, or at once
 * when woken (a commit through qu_set_notify, qr_flush, a job that added
 * recipients), loads each envelope, logs damaged ones (once per scan;
 * they stay for the administrator), and turns each due entry into jobs,
 * one per destination of its pending recipients (or one "bounces owed"
 * job).  The job list is rebuilt at every scan, so nothing is queued
 * twice and a held or removed entry drops out.
 * A worker takes the first job whose entry no other worker has and whose
 * destination has fewer than queue.maximum_per_destination jobs running,
 * and runs it (qr_job.c) without the runner's mutex.
 * Stop: the scheduler is joined; running attempts get qr_stop's bound;
 * past it the runner is abandoned: workers still in the network find
 * that out when they come back (qr_net_leave) and drop their attempt
 * without touching the queue, which the caller may then close; the
 * attempt is repeated after the restart (at-least-once).
 * Limits: QR_JOBS_MAX jobs per scan; threads of QR_THREAD_STACK bytes.
 * Privilege: the service account.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "qr_int.h"
#include "ut_log.h"
#include "ut_str.h"

typedef struct qr_job {
    char id[QU_ID_LEN + 1];
    char key[QR_KEY_MAX];        /* "" : bounces owed only */
    pl_i64 seen;                 /* the scan's clock */
    int taken;
} qr_job;

typedef struct qr_worker {
    qr_runner *r;
    qr_ctx ctx;
    pl_thread *thr;
    char busy[QU_ID_LEN + 1];    /* entry being worked on, "" */
    char key[QR_KEY_MAX];        /* its destination */
} qr_worker;

struct qr_runner {
    const qr_env *env;
    qr_rtab rtab;
    qr_sched sched;
    dn_resolver *dns;
    char pass[QR_PASS_MAX + 1];
    char postmaster[AU_ADDR_MAX];
    pl_i32 scan_ms;
    int per_dest;
    pl_mutex *mu;
    pl_cond *wake;               /* the scheduler's */
    pl_cond *work;               /* the workers' */
    pl_cond *idle;               /* qr_stop's */
    qr_job *jobs;
    int njobs;
    int nworkers;
    qr_worker *w;
    qr_ctx sctx;                 /* the scheduler's context */
    pl_thread *sched_thr;
    int stop, abandoned, flush, kick;
    int touching;                /* workers inside a job, off the network */
    pl_i64 reaped;               /* when qu_reap last ran */
    qr_stats stats;
};

/* --- counters and the network bracket ---------------------------------- */

void qr_count(qr_runner *r, int delivered, int deferred, int bounced)
{
    pl_mutex_lock(r->mu);
    r->stats.delivered += (pl_u64)delivered;
    r->stats.deferred += (pl_u64)deferred;
    r->stats.bounced += (pl_u64)bounced;
    pl_mutex_unlock(r->mu);
}

void qr_net_enter(qr_runner *r)
{
    pl_mutex_lock(r->mu);
    r->touching--;
    pl_cond_broadcast(r->idle);
    pl_mutex_unlock(r->mu);
}

int qr_net_leave(qr_runner *r)
{
    int ok;

    pl_mutex_lock(r->mu);
    ok = !r->abandoned;
    if (ok)
        r->touching++;
    pl_mutex_unlock(r->mu);
    return ok;
}

/* --- per-thread contexts ----------------------------------------------- */

static void ctx_close(qr_ctx *c)
{
    au_db_close(c->db);
    pl_dir_close(c->root);
    c->db = NULL;
    c->root = NULL;
}

/* A context with this thread's own store-root handle and account
 * database (an au_db serves one thread). */
static int ctx_open(qr_runner *r, qr_ctx *c, char *err, size_t errlen)
{
    const char *spec = cf_str(r->env->cfg, "store.root");
    int rc, i;

    memset(c, 0, sizeof *c);
    c->env = r->env;
    c->run = r;
    c->rtab = &r->rtab;
    c->sched = r->sched;
    c->dns = r->dns;
    c->auth_pass = r->pass;
    c->qb.reporting_mta = r->env->hostname;
    c->qb.postmaster = r->postmaster;
    c->qb.size_limit = cf_size(r->env->cfg, "queue.bounce_size_limit");
    c->qb.lifetime = r->sched.lifetime;
    (void)ut_strlcpy(c->helo, r->env->hostname, sizeof c->helo);
    (void)ut_strlcpy(c->tls_ca, cf_str(r->env->cfg, "outbound.tls_ca_file"),
                     sizeof c->tls_ca);
    (void)ut_strlcpy(c->auth_user, cf_str(r->env->cfg, "relay.auth_user"),
                     sizeof c->auth_user);
    for (i = 0; i < r->env->nself && c->nself < QR_SELF_MAX; i++) {
        if (ut_strlcpy(c->selfbuf[c->nself], r->env->self[i],
                       sizeof c->selfbuf[0]) != PL_OK)
            continue;
        c->self[c->nself] = c->selfbuf[c->nself];
        c->nself++;
    }
    rc = pl_dir_open_root(spec, 0, &c->root);
    if (rc == PL_OK)
        rc = au_db_open(c->root, 0, &c->db);
    if (rc != PL_OK) {
        ut_log_format(err, errlen, "queue runner: account database in %s: "
                      "%s", spec, pl_strerror(rc));
        ctx_close(c);
    }
    return rc;
}

/* --- the scheduler --------------------------------------------------- */

typedef struct qr_idlist {
    char (*id)[QU_ID_LEN + 1];
    int n, cap;
} qr_idlist;

static int id_collect(void *ctx, const char *id)
{
    qr_idlist *l = (qr_idlist *)ctx;

    if (l->n == l->cap) {
        int cap = l->cap == 0 ? 64 : l->cap * 2;
        char (*nid)[QU_ID_LEN + 1] = (char (*)[QU_ID_LEN + 1])
            realloc(l->id, (size_t)cap * (QU_ID_LEN + 1));
        if (nid == NULL)
            return PL_ENOMEM;
        l->id = nid;
        l->cap = cap;
    }
    if (ut_strlcpy(l->id[l->n], id, QU_ID_LEN + 1) == PL_OK)
        l->n++;
    return 0;
}

typedef struct qr_joblist {
    qr_job *j;
    int n, cap;
} qr_joblist;

static void job_add(qr_joblist *l, const char *id, const char *key,
                    pl_i64 seen)
{
    if (l->n >= QR_JOBS_MAX)
        return;           /* the rest waits for the next scan */
    if (l->n == l->cap) {
        int cap = l->cap == 0 ? 64 : l->cap * 2;
        qr_job *nj;

        nj = (qr_job *)realloc(l->j, (size_t)cap * sizeof *nj);
        if (nj == NULL)
            return;
        l->j = nj;
        l->cap = cap;
    }
    (void)ut_strlcpy(l->j[l->n].id, id, sizeof l->j[l->n].id);
    (void)ut_strlcpy(l->j[l->n].key, key, sizeof l->j[l->n].key);
    l->j[l->n].seen = seen;
    l->j[l->n].taken = 0;
    l->n++;
}

/* The jobs of one entry, if it is due. */
static void scan_entry(qr_runner *r, const char *id, int flush, pl_i64 now,
                       qr_joblist *jl)
{
    char why[256];
    char (*keys)[QR_KEY_MAX];
    const char **kp, **dk;
    qu_env *e = NULL;
    int rc, k, nd;

    pl_mutex_lock(r->mu);
    for (k = 0; k < r->nworkers && strcmp(r->w[k].busy, id) != 0; k++)
        ;
    pl_mutex_unlock(r->mu);
    if (k < r->nworkers)
        return;             /* being worked on: its state is changing */
    rc = qu_env_load(r->env->queue, id, &e, why, sizeof why);
    if (rc == PL_EINVAL) {
        ut_log_warn("queue id=%s: damaged envelope, not delivered (see "
                    "newmail queue show %s): %s", id, id, why);
        return;
    }
    if (rc != PL_OK)
        return;             /* removed since the listing */
    if (e->hold || (!flush && e->next_try > now) || e->nrcpt == 0) {
        qu_env_free(e);
        return;
    }
    keys = (char (*)[QR_KEY_MAX])calloc((size_t)e->nrcpt, QR_KEY_MAX);
    kp = (const char **)calloc((size_t)e->nrcpt, sizeof *kp);
    dk = (const char **)calloc((size_t)e->nrcpt, sizeof *dk);
    if (keys != NULL && kp != NULL && dk != NULL) {
        (void)qr_keys(&r->sctx, e, keys, NULL);
        for (k = 0; k < e->nrcpt; k++)
            kp[k] = keys[k];
        nd = qr_distinct(e, kp, dk, e->nrcpt);
        for (k = 0; k < nd; k++)
            job_add(jl, id, dk[k], now);
        if (nd == 0 && qr_has_state(e, QU_R_FAILED))
            job_add(jl, id, "", now);
    }
    free(keys);
    free(kp);
    free(dk);
    qu_env_free(e);
}

static void scan(qr_runner *r, int flush)
{
    qr_idlist l;
    qr_joblist jl;
    qr_job *old;
    int i, rc;
    pl_i64 now = pl_time_now();

    memset(&l, 0, sizeof l);
    memset(&jl, 0, sizeof jl);
    if (now - r->reaped >= QR_REAP_EVERY) {
        int removed = 0;

        r->reaped = now;
        rc = qu_reap(r->env->queue, QR_ORPHAN_AGE, &removed);
        if (rc != PL_OK)
            ut_log_warn("queue runner: removing orphans: %s",
                        pl_strerror(rc));
        else if (removed > 0)
            ut_log_info("queue runner: removed %d orphaned queue "
                          "file(s) older than a day", removed);
    }
    rc = qu_list(r->env->queue, id_collect, &l);
    if (rc != PL_OK)
        ut_log_err("queue runner: cannot list the queue: %s",
                   pl_strerror(rc));
    for (i = 0; i < l.n; i++)
        scan_entry(r, l.id[i], flush, now, &jl);
    pl_mutex_lock(r->mu);
    old = r->jobs;
    r->jobs = jl.j;
    r->njobs = jl.n;
    r->stats.queued = l.n;
    pl_cond_broadcast(r->work);
    pl_mutex_unlock(r->mu);
    free(old);
    free(l.id);
}

static void sched_main(void *arg)
{
    qr_runner *r = (qr_runner *)arg;
    pl_i64 next = 0, last = 0, now;
    int flush;

    pl_mutex_lock(r->mu);
    while (!r->stop) {
        now = pl_time_mono_ms();
        if (now >= next || ((r->kick || r->flush) &&
                            now >= last + QR_SCAN_GAP_MS)) {
            flush = r->flush;
            r->flush = r->kick = 0;
            pl_mutex_unlock(r->mu);
            scan(r, flush);
            pl_mutex_lock(r->mu);
            last = pl_time_mono_ms();
            next = last + r->scan_ms;
            continue;
        }
        (void)pl_cond_wait(r->wake, r->mu, (r->kick || r->flush)
                           ? QR_SCAN_GAP_MS : (pl_i32)(next - now));
    }
    pl_mutex_unlock(r->mu);
}

/* --- workers ------------------------------------------------------------ */

/* A job that may start now, or -1.  With r->mu held. */
static int job_pick(qr_runner *r)
{
    int j, i, same;

    for (j = 0; j < r->njobs; j++) {
        qr_job *jb = &r->jobs[j];

        if (jb->taken)
            continue;
        for (i = 0, same = 0; i < r->nworkers; i++) {
            if (strcmp(r->w[i].busy, jb->id) == 0)
                break;
            same += r->w[i].busy[0] != '\0' && jb->key[0] != '\0' &&
                    strcmp(r->w[i].key, jb->key) == 0;
        }
        if (i == r->nworkers && same < r->per_dest)
            return j;
    }
    return -1;
}

static void worker_main(void *arg)
{
    qr_worker *w = (qr_worker *)arg;
    qr_runner *r = w->r;
    char id[QU_ID_LEN + 1], key[QR_KEY_MAX];
    pl_i64 seen;
    int j, rescan, rc;

    pl_mutex_lock(r->mu);
    for (;;) {
        j = -1;
        while (!r->stop && (j = job_pick(r)) < 0)
            (void)pl_cond_wait(r->work, r->mu, QR_TICK_MS);
        if (r->stop)
            break;
        r->jobs[j].taken = 1;
        memcpy(id, r->jobs[j].id, sizeof id);
        memcpy(key, r->jobs[j].key, sizeof key);
        seen = r->jobs[j].seen;
        memcpy(w->busy, id, sizeof id);
        memcpy(w->key, key, sizeof key);
        r->stats.active++;
        r->touching++;
        pl_mutex_unlock(r->mu);
        rc = qr_job_run(&w->ctx, id, key[0] != '\0' ? key : NULL, seen,
                        &rescan);
        pl_mutex_lock(r->mu);
        if (rc == PL_EINTR)
            break;          /* abandoned: not counted in touching */
        r->touching--;
        r->stats.active--;
        w->busy[0] = '\0';
        if (rescan) {
            r->kick = 1;
            pl_cond_signal(r->wake);
        }
        pl_cond_broadcast(r->work);
        pl_cond_broadcast(r->idle);
    }
    pl_mutex_unlock(r->mu);
    /* OpenSSL frees per-thread state only when told (see sv_daemon.c) */
    OPENSSL_thread_stop();
}

/* --- start, flush, stats, stop ------------------------------------------ */

static void notified(void *ctx)
{
    qr_runner *r = (qr_runner *)ctx;

    pl_mutex_lock(r->mu);
    r->kick = 1;
    pl_cond_signal(r->wake);
    pl_mutex_unlock(r->mu);
}

/* relay.auth_password_file's first line into r->pass. */
static int pass_load(qr_runner *r, char *err, size_t errlen)
{
    const char *user = cf_str(r->env->cfg, "relay.auth_user");
    const char *spec = cf_str(r->env->cfg, "relay.auth_password_file");
    pl_file *f = NULL;
    size_t got = 0, i;
    int rc;

    if (user[0] == '\0')
        return PL_OK;
    if (spec[0] == '\0') {
        ut_log_format(err, errlen, "relay.auth_user is set but "
                      "relay.auth_password_file is empty");
        return PL_EINVAL;
    }
    rc = pl_file_open_path(spec, &f);
    if (rc == PL_OK)
        rc = pl_file_read(f, r->pass, sizeof r->pass - 1, &got);
    (void)pl_file_close(f);
    if (rc != PL_OK) {
        ut_log_format(err, errlen, "relay.auth_password_file %s: %s", spec,
                      pl_strerror(rc));
        return rc;
    }
    r->pass[got] = '\0';
    for (i = 0; i < got && r->pass[i] != '\r' && r->pass[i] != '\n'; i++)
        ;
    if (i == got && got == sizeof r->pass - 1) {
        ut_wipe(r->pass, sizeof r->pass);
        ut_log_format(err, errlen, "relay.auth_password_file %s: first "
                      "line longer than %d", spec, QR_PASS_MAX - 1);
        return PL_ERANGE;
    }
    ut_wipe(r->pass + i, sizeof r->pass - i);
    if (i == 0) {
        ut_log_format(err, errlen, "relay.auth_password_file %s: empty "
                      "first line", spec);
        return PL_EINVAL;
    }
    return PL_OK;
}

/* The resolver of dns.*; none (with a log line) when the system has no
 * name server: fixed routes and literals still work. */
static int dns_open(qr_runner *r, char *err, size_t errlen)
{
    const cf_config *cfg = r->env->cfg;
    const char *srv[DN_SERVERS_MAX];
    int i, n = cf_list_count(cfg, "dns.servers"), rc;

    if (n > DN_SERVERS_MAX) {
        ut_log_format(err, errlen, "dns.servers: more than %d servers",
                      DN_SERVERS_MAX);
        return PL_EINVAL;
    }
    for (i = 0; i < n; i++)
        srv[i] = cf_list_item(cfg, "dns.servers", i);
    rc = dn_resolver_new(srv, n, (pl_i32)cf_duration(cfg, "dns.timeout") *
                         1000, (int)cf_int(cfg, "dns.attempts"), &r->dns);
    if (rc == PL_ENOENT && n == 0) {
        ut_log_warn("queue runner: no name server configured; MX routing "
                    "defers mail until dns.servers is set");
        r->dns = NULL;
        return PL_OK;
    }
    if (rc != PL_OK)
        ut_log_format(err, errlen, "dns.servers: %s", pl_strerror(rc));
    return rc;
}

static void postmaster_set(qr_runner *r)
{
    const cf_config *cfg = r->env->cfg;
    const char *pm = cf_str(cfg, "queue.postmaster");

    (void)ut_strlcpy(r->postmaster, pm[0] != '\0' ? pm : "postmaster",
                     sizeof r->postmaster);
    if (strchr(r->postmaster, '@') != NULL)
        return;
    (void)ut_strlcat(r->postmaster, "@", sizeof r->postmaster);
    (void)ut_strlcat(r->postmaster, cf_list_count(cfg, "domains") > 0
                     ? cf_list_item(cfg, "domains", 0) : r->env->hostname,
                     sizeof r->postmaster);
}

static void runner_free(qr_runner *r)
{
    int i;

    if (r == NULL)
        return;
    for (i = 0; r->w != NULL && i < r->nworkers; i++)
        ctx_close(&r->w[i].ctx);
    ctx_close(&r->sctx);
    free(r->w);
    free(r->jobs);
    dn_resolver_free(r->dns);
    if (r->mu != NULL)
        pl_mutex_destroy(r->mu);
    if (r->wake != NULL)
        pl_cond_destroy(r->wake);
    if (r->work != NULL)
        pl_cond_destroy(r->work);
    if (r->idle != NULL)
        pl_cond_destroy(r->idle);
    ut_wipe(r->pass, sizeof r->pass);
    free(r);
}

/* Everything but the threads. */
static int runner_new(const qr_env *env, qr_runner **out, char *err,
                      size_t errlen)
{
    qr_runner *r = (qr_runner *)calloc(1, sizeof *r);
    int rc, i;

    *out = NULL;
    if (r == NULL)
        return PL_ENOMEM;
    r->env = env;
    qr_sched_load(env->cfg, &r->sched);
    r->scan_ms = (pl_i32)cf_duration(env->cfg, "queue.scan_interval") * 1000;
    r->per_dest = (int)cf_int(env->cfg, "queue.maximum_per_destination");
    r->nworkers = (int)cf_int(env->cfg, "queue.maximum_deliveries");
    postmaster_set(r);
    rc = qr_rtab_load(env->cfg, &r->rtab, err, errlen);
    if (rc == PL_OK)
        rc = pass_load(r, err, errlen);
    if (rc == PL_OK)
        rc = dns_open(r, err, errlen);
    if (rc == PL_OK && (pl_mutex_create(&r->mu) != PL_OK ||
                        pl_cond_create(&r->wake) != PL_OK ||
                        pl_cond_create(&r->work) != PL_OK ||
                        pl_cond_create(&r->idle) != PL_OK ||
                        (r->w = (qr_worker *)calloc((size_t)r->nworkers,
                                                    sizeof *r->w)) == NULL))
        rc = PL_ENOMEM;
    if (rc == PL_OK)
        rc = ctx_open(r, &r->sctx, err, errlen);
    for (i = 0; rc == PL_OK && i < r->nworkers; i++) {
        r->w[i].r = r;
        rc = ctx_open(r, &r->w[i].ctx, err, errlen);
    }
    if (rc != PL_OK) {
        if (err[0] == '\0')
            ut_log_format(err, errlen, "queue runner: %s", pl_strerror(rc));
        runner_free(r);
        return rc;
    }
    *out = r;
    return PL_OK;
}

int qr_start(const qr_env *env, qr_runner **out, char *err, size_t errlen)
{
    qr_runner *r;
    int rc, i;

    *out = NULL;
    err[0] = '\0';
    if (env == NULL || env->cfg == NULL || env->queue == NULL ||
        env->store == NULL || env->hostname == NULL) {
        ut_log_format(err, errlen, "queue runner: incomplete environment");
        return PL_EINVAL;
    }
    rc = runner_new(env, &r, err, errlen);
    if (rc != PL_OK)
        return rc;
    for (i = 0; i < r->nworkers; i++) {
        rc = pl_thread_start(worker_main, &r->w[i], (size_t)QR_THREAD_STACK,
                             0, &r->w[i].thr);
        if (rc != PL_OK)
            break;
    }
    if (rc == PL_OK)
        rc = pl_thread_start(sched_main, r, (size_t)QR_THREAD_STACK, 0,
                             &r->sched_thr);
    if (rc != PL_OK) {
        ut_log_format(err, errlen, "queue runner: cannot start threads: %s",
                      pl_strerror(rc));
        pl_mutex_lock(r->mu);
        r->stop = 1;
        pl_cond_broadcast(r->work);
        pl_mutex_unlock(r->mu);
        for (i = 0; i < r->nworkers; i++)
            if (r->w[i].thr != NULL)
                (void)pl_thread_join(r->w[i].thr);
        runner_free(r);
        return rc;
    }
    qu_set_notify(env->queue, notified, r);
    ut_log_info("queue runner: %d delivery threads, %d per destination, "
                "scan every %d s", r->nworkers, r->per_dest,
                (int)(r->scan_ms / 1000));
    *out = r;
    return PL_OK;
}

void qr_flush(qr_runner *r)
{
    if (r == NULL)
        return;
    pl_mutex_lock(r->mu);
    r->flush = 1;
    pl_cond_signal(r->wake);
    pl_mutex_unlock(r->mu);
}

void qr_get_stats(qr_runner *r, qr_stats *out)
{
    memset(out, 0, sizeof *out);
    if (r == NULL)
        return;
    pl_mutex_lock(r->mu);
    *out = r->stats;
    pl_mutex_unlock(r->mu);
}

void qr_stop(qr_runner *r, pl_i32 wait_ms)
{
    pl_i64 deadline;
    int i, left;

    if (r == NULL)
        return;
    qu_set_notify(r->env->queue, NULL, NULL);
    pl_mutex_lock(r->mu);
    r->stop = 1;
    pl_cond_broadcast(r->wake);
    pl_cond_broadcast(r->work);
    pl_mutex_unlock(r->mu);
    (void)pl_thread_join(r->sched_thr);
    deadline = pl_time_mono_ms() + (wait_ms > 0 ? wait_ms : 0);
    pl_mutex_lock(r->mu);
    while (r->stats.active > 0 && pl_time_mono_ms() < deadline)
        (void)pl_cond_wait(r->idle, r->mu,
                           (pl_i32)(deadline - pl_time_mono_ms()));
    left = r->stats.active;
    if (left > 0) {
        r->abandoned = 1;
        /* local work (a save, a local copy) is short: let it end */
        while (r->touching > 0)
            (void)pl_cond_wait(r->idle, r->mu, QR_TICK_MS);
        pl_mutex_unlock(r->mu);
        ut_log_warn("queue runner: stopped with %d deliver%s still "
                    "running; %s repeated at the next start", left,
                    left == 1 ? "y" : "ies", left == 1 ? "it is"
                    : "they are");
        return;     /* the threads still use r: the process is exiting */
    }
    pl_mutex_unlock(r->mu);
    for (i = 0; i < r->nworkers; i++)
        (void)pl_thread_join(r->w[i].thr);
    ut_log_info("queue runner: stopped");
    runner_free(r);
}
