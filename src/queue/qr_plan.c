/*
 * qr_plan.c - the queue runner's pure rules: the retry schedule (the
 * OpenVMS SMTP symbiont's: a first retry, then a fixed interval, until a
 * maximum lifetime), giving up, delay notices, and picking recipients by
 * state and destination.  No thread, file or socket: t_qrun.c tests every
 * rule with tables.
 * Limits: recipients as qu.h bounds them.  Privilege: none.
 */
#include <stdio.h>
#include <string.h>
#include "qr_int.h"
#include "ut_str.h"

void qr_sched_load(const cf_config *cfg, qr_sched *s)
{
    s->first_retry = cf_duration(cfg, "queue.first_retry");
    s->retry_interval = cf_duration(cfg, "queue.retry_interval");
    s->lifetime = cf_duration(cfg, "queue.maximum_lifetime");
    s->delay_warning = cf_duration(cfg, "queue.delay_warning");
}

pl_i64 qr_next_try(const qr_sched *s, pl_i64 created, int attempts,
                   pl_i64 now)
{
    pl_i64 next, end = created + s->lifetime;

    /* The first retry counts from arrival, as OpenVMS did, so a message
     * that waited for a busy runner is not held back twice. */
    if (attempts <= 1)
        next = created + s->first_retry;
    else
        next = now + s->retry_interval;
    /* A first retry already past (the runner was down) must not loop:
     * it becomes an ordinary interval. */
    if (next <= now)
        next = now + s->retry_interval;
    /* The last attempt is made when the lifetime ends, not an interval
     * later, so a bounce is never later than the configured lifetime. */
    if (next > end)
        next = end > now ? end : now;
    return next;
}

int qr_expired(const qr_sched *s, pl_i64 created, pl_i64 now)
{
    return now >= created + s->lifetime;
}

int qr_give_up(qu_env *e)
{
    char st[QU_STATUS_MAX + 1], num[24];
    int i, n = 0;

    for (i = 0; i < e->nrcpt; i++) {
        qu_rcpt *r = &e->rcpt[i];

        if (r->state != QU_R_PENDING)
            continue;
        sprintf(num, "%d", r->attempts);
        (void)ut_strlcpy(st, "554 5.4.7 Delivery time expired: gave up "
                         "after ", sizeof st);
        (void)ut_strlcat(st, num, sizeof st);
        (void)ut_strlcat(st, r->attempts == 1 ? " attempt" : " attempts",
                         sizeof st);
        if (r->status[0] != '\0') {
            (void)ut_strlcat(st, "; last: ", sizeof st);
            /* cut to fit: the last result is context, not the verdict */
            (void)ut_strlcat(st, r->status, sizeof st);
        }
        (void)ut_strlcpy(r->status, st, sizeof r->status);
        r->state = QU_R_FAILED;
        n++;
    }
    return n;
}

int qr_delay_due(const qr_sched *s, const qu_env *e, pl_i64 now)
{
    int i;

    if (s->delay_warning <= 0 || now < e->created + s->delay_warning)
        return 0;
    for (i = 0; i < e->nrcpt; i++)
        if (e->rcpt[i].state == QU_R_PENDING && !e->rcpt[i].warned)
            return 1;
    return 0;
}

int qr_select(const qu_env *e, const char *const *keys, const char *key,
              int state, int *idx, int max)
{
    int i, n = 0;

    for (i = 0; i < e->nrcpt && n < max; i++) {
        if (e->rcpt[i].state != state)
            continue;
        if (key != NULL && strcmp(keys[i], key) != 0)
            continue;
        idx[n++] = i;
    }
    return n;
}

int qr_distinct(const qu_env *e, const char *const *keys,
                const char **out, int max)
{
    int i, j, n = 0;

    for (i = 0; i < e->nrcpt && n < max; i++) {
        if (e->rcpt[i].state != QU_R_PENDING)
            continue;
        for (j = 0; j < n && strcmp(out[j], keys[i]) != 0; j++)
            ;
        if (j == n)
            out[n++] = keys[i];
    }
    return n;
}

int qr_has_state(const qu_env *e, int state)
{
    int i;

    for (i = 0; i < e->nrcpt; i++)
        if (e->rcpt[i].state == state)
            return 1;
    return 0;
}

void qr_status_set(qu_rcpt *r, const char *status, const char *remote)
{
    (void)ut_strlcpy(r->status, status != NULL ? status : "",
                     sizeof r->status);
    (void)ut_strlcpy(r->remote, remote != NULL ? remote : "",
                     sizeof r->remote);
}
