/*
 * qr_job.c - one attempt on one queue entry for one destination: take
 * the entry's lock (try only: whoever holds it is working on it), load
 * and validate the envelope, deliver the pending recipients of that
 * destination in one transaction (or locally), log one line per
 * recipient, then settle: give up past queue.maximum_lifetime, schedule
 * the next try, have delay notices, success reports and bounces written
 * (qb_report), and save the envelope, or remove the entry when nobody is
 * pending or owed a bounce.
 *
 * At-least-once: the envelope is saved after every attempt, before the
 * lock is released; a crash in between repeats only that attempt.  A
 * bounce is submitted before its recipients are marked QU_R_BOUNCED, so
 * a crash may send a bounce twice but never lose one.
 * Limits: QU_RCPT_MAX recipients per entry.
 * Privilege: the service account that owns the queue and the popstore.
 */
#include <stdlib.h>
#include <string.h>
#include "qr_int.h"
#include "ut_log.h"
#include "ut_str.h"

int qr_keys(qr_ctx *c, const qu_env *e, char (*keys)[QR_KEY_MAX],
            qr_dest *dests)
{
    al_env ae;
    qr_dest d;
    int i;

    ae.cfg = c->env->cfg;
    ae.db = c->db;
    ae.map = c->env->aliases;
    for (i = 0; i < e->nrcpt; i++) {
        const char *at = strrchr(e->rcpt[i].addr, '@');
        int local = at != NULL && at[1] != '[' &&
                    al_domain_is_local(&ae, at + 1);

        if (qr_dest_pick(c->rtab, e->rcpt[i].addr, local, &d) != PL_OK) {
            memset(&d, 0, sizeof d);
            (void)ut_strlcpy(d.key, "bad", sizeof d.key);
        }
        (void)ut_strlcpy(keys[i], d.key, QR_KEY_MAX);
        if (dests != NULL)
            dests[i] = d;
    }
    return PL_OK;
}

/* The outcome word of a recipient's log line. */
static const char *outcome(int state)
{
    return state == QU_R_SENT ? "sent" : state == QU_R_PENDING ? "deferred"
           : "failed";
}

static void log_rcpt(const qu_env *e, int i, pl_i64 now)
{
    const qu_rcpt *r = &e->rcpt[i];
    char delay[24];

    delay[ut_u64_to_dec(delay, (pl_u64)(now > e->created
                                        ? now - e->created : 0))] = '\0';
    ut_log(r->state == QU_R_PENDING ? PL_LOG_NOTICE : PL_LOG_INFO,
           PL_LOGCAT_MAIL, "queue id=%s to=<%s> relay=%s delay=%ss "
           "attempts=%d result=%s status=%s", e->id, r->addr,
           r->remote[0] != '\0' ? r->remote : "none", delay, r->attempts,
           outcome(r->state), r->status);
}

/* Submit a report of `kind` on idx[0..n); 1 when it is done (sent or
 * nobody to tell), 0 when it must be tried again. */
static int report(qr_ctx *c, const qu_env *e, const int *idx, int n,
                  int kind)
{
    char nid[QU_ID_LEN + 1];
    int rc;

    if (n == 0)
        return 1;
    nid[0] = '\0';
    rc = qb_report(c->env->queue, e, idx, n, kind, &c->qb, nid);
    if (rc != PL_OK) {
        ut_log_err("queue id=%s: cannot write the %s notice: %s", e->id,
                   kind == QB_FAILED ? "failure" : kind == QB_DELAYED
                   ? "delay" : "success", pl_strerror(rc));
        return 0;
    }
    /* qb_report logs the notice it wrote; say so when none was due */
    if (nid[0] == '\0' && kind == QB_FAILED)
        ut_log_info("queue id=%s: no failure notice for %d recipient%s "
                    "(null sender, NOTIFY, or a failed notice)", e->id, n,
                    n == 1 ? "" : "s");
    return 1;
}

/* Deliver the pending recipients of e whose key is `key`.  PL_EINTR when
 * the runner was abandoned during the network part. */
static int attempt(qr_ctx *c, qu_env *e, const char *const *keys,
                   const qr_dest *dests, const char *key, int *idx,
                   int *nout, pl_i64 now)
{
    int n = qr_select(e, keys, key, QU_R_PENDING, idx, e->nrcpt), k, rc;
    const qr_dest *d;

    *nout = n;
    if (n == 0)
        return PL_OK;
    for (k = 0; k < n; k++) {
        e->rcpt[idx[k]].attempts++;
        e->rcpt[idx[k]].last_try = now;
    }
    d = &dests[idx[0]];
    if (d->kind == QR_D_LOCAL) {
        for (k = 0; k < n; k++)
            qr_local_deliver(c, e, idx[k]);
        return PL_OK;
    }
    if (d->kind == 0) {
        for (k = 0; k < n; k++) {
            e->rcpt[idx[k]].state = QU_R_FAILED;
            qr_status_set(&e->rcpt[idx[k]], "553 5.1.3 Bad recipient "
                          "address syntax", "");
        }
        return PL_OK;
    }
    rc = qr_remote_deliver(c, e, d, idx, n);
    return rc;
}

/* The most attempts among pending recipients; 0 when one was never
 * tried (new from an expansion, or its destination's turn is to come). */
static int pending_attempts(const qu_env *e)
{
    int i, most = -1;

    for (i = 0; i < e->nrcpt; i++) {
        if (e->rcpt[i].state != QU_R_PENDING)
            continue;
        if (e->rcpt[i].attempts == 0)
            return 0;
        if (e->rcpt[i].attempts > most)
            most = e->rcpt[i].attempts;
    }
    return most;
}

/* Expiry, next try, notices.  idx/n: the recipients just attempted. */
static void settle(qr_ctx *c, qu_env *e, const int *idx, int n,
                   pl_i64 now, int *rescan)
{
    int *sel, k, m, most, gave = 0;

    sel = (int *)malloc((size_t)(e->nrcpt > 0 ? e->nrcpt : 1) *
                        sizeof *sel);
    if (sel == NULL) {
        e->next_try = now + c->sched.retry_interval;
        return;
    }
    most = pending_attempts(e);
    if (most == 0) {
        e->next_try = 0;
        *rescan = 1;
    } else if (most > 0 && qr_expired(&c->sched, e->created, now)) {
        m = qr_select(e, NULL, NULL, QU_R_PENDING, sel, e->nrcpt);
        gave = qr_give_up(e);
        for (k = 0; k < m; k++)
            log_rcpt(e, sel[k], now);
        qr_count(c->run, 0, 0, gave);
    } else if (most > 0) {
        e->next_try = qr_next_try(&c->sched, e->created, most, now);
    }
    if (gave == 0 && qr_delay_due(&c->sched, e, now)) {
        for (k = m = 0; k < e->nrcpt; k++)
            if (e->rcpt[k].state == QU_R_PENDING && !e->rcpt[k].warned)
                sel[m++] = k;
        if (report(c, e, sel, m, QB_DELAYED))
            for (k = 0; k < m; k++)
                e->rcpt[sel[k]].warned = 1;
    }
    for (k = m = 0; k < n; k++)
        if (e->rcpt[idx[k]].state == QU_R_SENT &&
            (e->rcpt[idx[k]].notify & QU_N_SUCCESS) != 0)
            sel[m++] = idx[k];
    (void)report(c, e, sel, m, QB_RELAYED);
    m = qr_select(e, NULL, NULL, QU_R_FAILED, sel, e->nrcpt);
    if (report(c, e, sel, m, QB_FAILED)) {
        for (k = 0; k < m; k++)
            e->rcpt[sel[k]].state = QU_R_BOUNCED;
    } else if (most < 0 || e->next_try > now + c->sched.retry_interval) {
        /* the notice is owed: try writing it again in an interval */
        e->next_try = now + c->sched.retry_interval;
    }
    free(sel);
}

/* Save e, or remove the entry when nobody waits for anything. */
static void finish(qr_ctx *c, qu_env *e)
{
    int rc;

    if (!qr_has_state(e, QU_R_PENDING) && !qr_has_state(e, QU_R_FAILED)) {
        rc = qu_remove(c->env->queue, e->id);
        if (rc == PL_OK)
            ut_log_info("queue id=%s: done, removed", e->id);
        else
            ut_log_err("queue id=%s: cannot remove: %s", e->id,
                       pl_strerror(rc));
        return;
    }
    rc = qu_env_save(c->env->queue, e);
    if (rc != PL_OK)
        ut_log_err("queue id=%s: cannot save the envelope (the attempt "
                   "will be repeated): %s", e->id, pl_strerror(rc));
}

static void count(qr_ctx *c, const qu_env *e, const int *idx, int n)
{
    int k, sent = 0, def = 0, bad = 0;

    for (k = 0; k < n; k++) {
        int st = e->rcpt[idx[k]].state;
        sent += st == QU_R_SENT;
        def += st == QU_R_PENDING;
        bad += st == QU_R_FAILED || st == QU_R_BOUNCED;
    }
    qr_count(c->run, sent, def, bad);
}

/* 1 when a pending recipient for key was tried at or after `seen`: a
 * job of an older scan whose work another worker has done since. */
static int stale(const qu_env *e, const char *const *keys, const char *key,
                 pl_i64 seen)
{
    int i;

    for (i = 0; i < e->nrcpt; i++)
        if (e->rcpt[i].state == QU_R_PENDING &&
            strcmp(keys[i], key) == 0 && e->rcpt[i].last_try >= seen)
            return 1;
    return 0;
}

/* The body of qr_job_run once the lock is held. */
static int job_locked(qr_ctx *c, const char *id, const char *key,
                      pl_i64 seen, int *rescan)
{
    char why[256];
    char (*keys)[QR_KEY_MAX] = NULL;
    const char **kp = NULL;
    qr_dest *dests = NULL;
    qu_env *e = NULL;
    int *idx = NULL, n = 0, k, rc, nbefore;
    pl_i64 now = pl_time_now();

    rc = qu_env_load(c->env->queue, id, &e, why, sizeof why);
    if (rc != PL_OK) {
        if (rc != PL_ENOENT)     /* damaged ones are logged by the scan */
            ut_log_debug("queue id=%s: not loaded: %s", id, why);
        return PL_OK;
    }
    if (e->hold) {
        qu_env_free(e);
        return PL_OK;
    }
    nbefore = e->nrcpt;
    keys = (char (*)[QR_KEY_MAX])calloc((size_t)nbefore, QR_KEY_MAX);
    kp = (const char **)calloc((size_t)nbefore, sizeof *kp);
    dests = (qr_dest *)calloc((size_t)nbefore, sizeof *dests);
    idx = (int *)calloc((size_t)nbefore, sizeof *idx);
    if (keys == NULL || kp == NULL || dests == NULL || idx == NULL) {
        ut_log_err("queue id=%s: out of memory", id);
        rc = PL_OK;
        goto out;
    }
    (void)qr_keys(c, e, keys, dests);
    for (k = 0; k < nbefore; k++)
        kp[k] = keys[k];
    if (key != NULL && stale(e, kp, key, seen)) {
        rc = PL_OK;
        goto out;
    }
    if (key != NULL) {
        rc = attempt(c, e, kp, dests, key, idx, &n, now);
        if (rc == PL_EINTR)
            goto out;
        now = pl_time_now();
        for (k = 0; k < n; k++)
            log_rcpt(e, idx[k], now);
        count(c, e, idx, n);
    }
    settle(c, e, idx, n, now, rescan);
    finish(c, e);
    rc = PL_OK;
out:
    free(keys);
    free(kp);
    free(dests);
    free(idx);
    qu_env_free(e);
    return rc;
}

int qr_job_run(qr_ctx *c, const char *id, const char *key, pl_i64 seen,
               int *rescan)
{
    pl_lock *lk = NULL;
    int rc;

    *rescan = 0;
    rc = qu_lock(c->env->queue, id, 0, &lk);
    if (rc == PL_EAGAIN) {
        ut_log_debug("queue id=%s: busy elsewhere, skipped", id);
        return PL_OK;
    }
    if (rc != PL_OK) {
        ut_log_warn("queue id=%s: cannot lock: %s", id, pl_strerror(rc));
        return PL_OK;
    }
    rc = job_locked(c, id, key, seen, rescan);
    pl_lock_release(lk);
    return rc;
}
