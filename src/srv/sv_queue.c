/*
 * sv_queue.c - the daemon's outbound side: opens the queue (qu.h) and the
 * aliases map (al.h) for every session, and runs the queue runner (qr.h)
 * on the configuration of the start, which it keeps a reference to (a
 * reload does not change queue.*, outbound.*, relay.* or dns.*: restart).
 *
 * MX loops: the runner is told our host name and every address we listen
 * on (the wildcard addresses tell nothing and are left out), so an MX
 * that points back at us is refused (5.4.6) instead of mail looping.
 * Limits: SV_LISTEN_MAX addresses plus the host name.
 * Privilege: after the drop to service.user, so what the queue creates
 * belongs to it.
 */
#include <stdlib.h>
#include <string.h>
#include "sv_int.h"
#include "qr.h"
#include "ut_log.h"
#include "ut_str.h"

/* The runner's environment and the storage behind its self list. */
typedef struct sv_qenv {
    qr_env env;                              /* first: s->qenv points here */
    const char *self[SV_LISTEN_MAX + 1];
    char buf[SV_LISTEN_MAX + 1][PL_HOST_MAX + 1];
} sv_qenv;

/* "127.0.0.1:25" -> "127.0.0.1", "[::1]:25" -> "::1"; 0 for a wildcard
 * or an item without a port. */
static int listen_host(const char *item, char *out, size_t n)
{
    const char *colon = strrchr(item, ':');
    size_t len;

    if (colon == NULL)
        return 0;
    len = (size_t)(colon - item);
    if (len >= 2 && item[0] == '[' && item[len - 1] == ']') {
        item++;
        len -= 2;
    }
    if (len == 0 || len >= n)
        return 0;
    memcpy(out, item, len);
    out[len] = '\0';
    return strcmp(out, "*") != 0 && strcmp(out, "0.0.0.0") != 0 &&
           strcmp(out, "::") != 0;
}

static void self_fill(sv_server *s, sv_qenv *q)
{
    int i, j, n = 0;

    (void)ut_strlcpy(q->buf[n], s->hostname, sizeof q->buf[0]);
    q->self[n] = q->buf[n];
    n++;
    for (i = 0; i < s->nls && n <= SV_LISTEN_MAX; i++) {
        if (!listen_host(s->ls_addr[i], q->buf[n], sizeof q->buf[0]))
            continue;
        for (j = 1; j < n && strcmp(q->buf[j], q->buf[n]) != 0; j++)
            ;
        if (j < n)
            continue;        /* the same address for two services */
        q->self[n] = q->buf[n];
        n++;
    }
    q->env.self = q->self;
    q->env.nself = n;
}

/* The aliases map, checked against an account database of this thread. */
static int aliases_open(sv_server *s, const cf_config *cfg, char *err,
                        size_t errlen)
{
    char sub[256];
    au_db *db = NULL;
    int rc;

    rc = au_db_open(s->root, 0, &db);
    if (rc != PL_OK) {
        ut_log_format(err, errlen, "account database: %s", pl_strerror(rc));
        return rc;
    }
    sub[0] = '\0';
    rc = al_map_open(cf_str(cfg, "aliases.file"), db, &s->aliases, sub,
                     sizeof sub);
    au_db_close(db);
    if (rc != PL_OK)
        ut_log_format(err, errlen, "aliases.file %s: %s",
                      cf_str(cfg, "aliases.file"), sub);
    return rc;
}

int sv_queue_start(sv_server *s, char *err, size_t errlen)
{
    const cf_config *cfg;
    sv_qenv *q;
    int rc;

    pl_mutex_lock(s->mu);
    s->runner_cfg = s->cfg;
    s->runner_cfg->refs++;
    pl_mutex_unlock(s->mu);
    cfg = s->runner_cfg->cfg;
    rc = qu_open(s->root, &s->queue);
    if (rc != PL_OK) {
        ut_log_format(err, errlen, "queue %s/%s: %s", cf_str(cfg,
                      "store.root"), QU_DIR, pl_strerror(rc));
        return rc;
    }
    rc = aliases_open(s, cfg, err, errlen);
    if (rc != PL_OK)
        return rc;
    q = (sv_qenv *)calloc(1, sizeof *q);
    if (q == NULL)
        return PL_ENOMEM;
    s->qenv = &q->env;
    q->env.cfg = cfg;
    q->env.store = s->store;
    q->env.db = NULL;            /* each runner thread opens its own */
    q->env.pend = s->pend;
    q->env.aliases = s->aliases;
    q->env.queue = s->queue;
    q->env.hostname = s->hostname;
    self_fill(s, q);
    return qr_start(&q->env, &s->runner, err, errlen);
}

void sv_queue_stop(sv_server *s)
{
    if (s->runner != NULL) {
        ut_log_info("stopping the queue runner (up to %d s for deliveries "
                    "in progress)", SV_QUEUE_STOP_SECS);
        qr_stop(s->runner, (pl_i32)SV_QUEUE_STOP_SECS * 1000);
        s->runner = NULL;
    }
    free(s->qenv);               /* the env is the first member */
    s->qenv = NULL;
    if (s->runner_cfg != NULL) {
        sv_cfg_unref(s, s->runner_cfg);
        s->runner_cfg = NULL;
    }
}

void sv_queue_reload(sv_server *s)
{
    char err[256];

    if (s->aliases == NULL)
        return;
    err[0] = '\0';
    if (al_map_reload(s->aliases, err, sizeof err) == PL_OK)
        ut_log(PL_LOG_NOTICE, PL_LOGCAT_MAIL, "reload: aliases re-read");
    else
        ut_log_err("reload: aliases not changed: %s", err);
}
