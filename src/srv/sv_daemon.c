/*
 * sv_daemon.c - the daemon of `newmail serve`: the accept loop over every
 * listener, one detached worker thread per session, session limits,
 * implicit TLS at accept, reload on PL_EVENT_RELOAD and the graceful stop
 * on PL_EVENT_TERM; the control channel's listener (sv_ctl.c) is accepted
 * beside the service listeners and served inline.
 *
 * How: the main thread only accepts, counts and starts threads; anything
 * that can wait on a client (the TLS handshake, the session) runs in the
 * session's own thread, so one slow client never delays another.  It
 * wakes every SV_POLL_MS to take events.  A session holds references to
 * the TLS context and configuration it began with, so a reload swaps in
 * new ones without disturbing it.  At TERM the listeners close (new
 * clients are refused by the system), and sessions get SV_DRAIN_SECS to
 * end; a session cut then changes nothing in its mailbox (no QUIT).  The
 * queue runner (sv_queue.c) starts with the store and stops after the
 * drain, with its own bound (SV_QUEUE_STOP_SECS).
 * Limits: SV_LISTEN_MAX listeners, SV_SVC_MAX services, the per-service
 * session limits; one thread of SV_THREAD_STACK bytes per session.
 * Privilege: binds as root, then runs as service.user (sv_setup.c).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "sv_ctl.h"
#include "sv_int.h"
#include "sv_penalty.h"
#include "qu.h"
#include "al.h"
#include "sm.h"
#include "ut_log.h"
#include "ut_str.h"

typedef struct sv_sess {
    sv_server *srv;
    int si;                  /* service index */
    pl_sock *sock;
    char peer[PL_ADDR_MAX];
    tl_ctx *tls;             /* a reference, or NULL */
    sv_cfgref *cfg;          /* a reference */
} sv_sess;

/* Keys that take effect only at start: a reload reports their change. */
static const char *const restart_keys[] = {
    "pop3.listen", "pop3s.listen", "smtp.listen", "submission.listen",
    "submissions.listen", "lmtp.listen", "store.root", "store.compress",
    "store.compress_threshold", "service.user", "hostname", "log.syslog",
    "log.file", "aliases.file",
    /* the queue runner keeps the configuration of its start (sv_queue.c) */
    "queue.maximum_deliveries", "queue.maximum_per_destination",
    "queue.first_retry", "queue.retry_interval", "queue.maximum_lifetime",
    "queue.delay_warning", "queue.scan_interval", "queue.postmaster",
    "outbound.port", "outbound.tls", "outbound.routes", "outbound.zone",
    "relay.host", "relay.tls", "relay.auth_user",
    "relay.auth_password_file", "dns.servers", NULL
};

static void cfg_unref(sv_server *s, sv_cfgref *r)
{
    int last;

    pl_mutex_lock(s->mu);
    last = --r->refs == 0;
    pl_mutex_unlock(s->mu);
    if (last) {
        cf_free(r->cfg);
        free(r);
    }
}

void sv_cfg_unref(sv_server *s, sv_cfgref *r)
{
    cfg_unref(s, r);
}

static sv_cfgref *cfg_wrap(cf_config *cfg)
{
    sv_cfgref *r = (sv_cfgref *)malloc(sizeof *r);

    if (r != NULL) {
        r->cfg = cfg;
        r->refs = 1;
    }
    return r;
}

/* Bounds of a service's limit from a configuration. */
static void svc_bounds(const cf_config *cfg, const sv_service *v,
                       int *total, int *per_source)
{
    *total = (int)cf_int(cfg, v->threads_key);
    *per_source = (int)cf_int(cfg, v->per_source_key);
}

int sv_server_new(cf_config *cfg, const char *used_file, int verbose,
                  const sv_service *svcs, int nsvc, sv_server **out,
                  char *err, size_t errlen)
{
    sv_server *s;
    int i, j, rc;

    *out = NULL;
    err[0] = '\0';
    if (nsvc < 1 || nsvc > SV_SVC_MAX) {
        cf_free(cfg);
        ut_log_format(err, errlen, "%d services: at most %d", nsvc,
                      SV_SVC_MAX);
        return PL_EINVAL;
    }
    s = (sv_server *)calloc(1, sizeof *s);
    if (s == NULL) {
        cf_free(cfg);
        return PL_ENOMEM;
    }
    s->cfg = cfg_wrap(cfg);
    if (s->cfg == NULL) {
        cf_free(cfg);
        free(s);
        return PL_ENOMEM;
    }
    s->verbose = verbose;
    if (used_file != NULL && (s->used_file = ut_strdup(used_file)) == NULL)
        rc = PL_ENOMEM;
    else if (pl_mutex_create(&s->mu) != PL_OK ||
             pl_mutex_create(&s->root_mu) != PL_OK ||
             pl_mutex_create(&s->stats.mu) != PL_OK ||
             au_pend_new(&s->pend) != PL_OK)
        rc = PL_ENOMEM;
    else
        rc = sv_penalty_init();
    if (rc != PL_OK) {
        sv_server_free(s);
        return rc;
    }
    /* smtp.relay_clients and smtp.relay_zones decide who may relay:
     * a mistake there is refused at start, never guessed at */
    rc = sm_relay_check(cfg, err, errlen);
    if (rc != PL_OK) {
        sv_server_free(s);
        return rc;
    }
    s->stats.started = pl_time_now();
    sv_hostname(cfg, s->hostname, sizeof s->hostname);
    s->nsvc = nsvc;
    for (i = 0; i < nsvc; i++) {
        int total, per;

        s->svc[i].svc = &svcs[i];
        /* Services counted by one key share one count (POP3 and POP3S
         * against pop3.maximum_threads). */
        for (j = 0; j < i; j++) {
            if (strcmp(svcs[j].threads_key, svcs[i].threads_key) == 0) {
                s->svc[i].lim = s->svc[j].lim;
                break;
            }
        }
        if (s->svc[i].lim != NULL)
            continue;
        svc_bounds(cfg, &svcs[i], &total, &per);
        rc = sv_limit_new(total, total, per, &s->svc[i].lim);
        if (rc != PL_OK) {
            sv_server_free(s);
            return rc;
        }
        s->svc[i].owns_lim = 1;
    }
    if (used_file == NULL) {
        rc = sv_embedded_tls(cfg, s->hostname, err, errlen);
        if (rc != PL_OK) {
            sv_server_free(s);
            return rc;
        }
    }
    if (cf_str(cfg, "tls.cert")[0] != '\0') {
        rc = tl_ctx_new(cf_str(cfg, "tls.cert"), cf_str(cfg, "tls.key"),
                        &s->tls, err, errlen);
        if (rc != PL_OK) {
            sv_server_free(s);
            return rc;
        }
    }
    for (i = 0; i < nsvc; i++) {
        if (svcs[i].implicit_tls && s->tls == NULL &&
            cf_list_count(cfg, svcs[i].listen_key) > 0) {
            ut_log_format(err, errlen, "%s needs tls.cert and tls.key",
                          svcs[i].listen_key);
            sv_server_free(s);
            return PL_EINVAL;
        }
    }
    *out = s;
    return PL_OK;
}

int sv_server_open_store(sv_server *s, char *err, size_t errlen)
{
    int rc = sv_store_open(s->cfg->cfg, &s->store, &s->root, err, errlen);

    /* The control channel lives in the store, and is created here, after
     * the privilege drop, so that it belongs to the service account. */
    if (rc == PL_OK)
        rc = sv_ctl_open(s, err, errlen);
    if (rc == PL_OK)
        rc = sv_queue_start(s, err, errlen);
    /* received-mail counters, written by their own thread (au_pend.c) */
    if (rc == PL_OK && (rc = au_pend_start(s->pend, s->root, s->root_mu))
                       != PL_OK)
        (void)snprintf(err, errlen, "account counters: %s",
                       pl_strerror(rc));
    return rc;
}

/* --- sessions --------------------------------------------------------- */

static void sess_main(void *arg)
{
    sv_sess *ss = (sv_sess *)arg;
    sv_server *s = ss->srv;
    const sv_service *v = s->svc[ss->si].svc;
    sv_limit *lim = s->svc[ss->si].lim;
    nt_conn *c = NULL;
    au_db *db = NULL;
    sv_env env;
    sv_tally tally = { 0, 0, 0 };
    int rc;

    rc = nt_conn_new(ss->sock, &c);
    if (rc != PL_OK) {
        pl_sock_close(ss->sock);
        ut_log_err("%s: session for %s: %s", v->name, ss->peer,
                   pl_strerror(rc));
    }
    if (rc == PL_OK && v->implicit_tls) {
        pl_i32 ms = (pl_i32)cf_duration(ss->cfg->cfg, v->handshake_key) *
                    1000;
        rc = nt_conn_starttls(c, ss->tls, ms);
        if (rc != PL_OK)
            ut_log_info("%s: TLS handshake with %s failed: %s", v->name,
                        ss->peer, pl_strerror(rc));
    }
    if (rc == PL_OK) {
        pl_mutex_lock(s->root_mu);
        rc = au_db_open(s->root, 0, &db);
        pl_mutex_unlock(s->root_mu);
        if (rc != PL_OK)
            ut_log_err("%s: account database: %s", v->name,
                       pl_strerror(rc));
    }
    if (rc == PL_OK) {
        env.cfg = ss->cfg->cfg;
        env.store = s->store;
        env.db = db;
        env.pend = s->pend;
        env.tls = ss->tls;
        env.hostname = s->hostname;
        env.implicit_tls = v->implicit_tls;
        env.queue = s->queue;
        env.aliases = s->aliases;
        env.tally = &tally;
        (void)v->run(&env, c);
    }
    nt_conn_close(c);
    au_db_close(db);
    if (ss->tls != NULL)
        tl_ctx_unref(ss->tls);
    cfg_unref(s, ss->cfg);
    /* OpenSSL keeps per-thread state (random generators, error queue) that
     * it frees only when the thread ends; free it now, before the drain may
     * let the process exit while this detached thread is still ending. */
    OPENSSL_thread_stop();
    sv_stats_tally(s, ss->si, &tally);
    sv_stats_leave(s, ss->si);
    /* Last touch of the server: once counted out, the drain may free it. */
    sv_limit_leave(lim, ss->peer);
    free(ss);
}

/* Hand an accepted connection to a new thread, or refuse it. */
static void dispatch(sv_server *s, int li, pl_sock *sock)
{
    int si = s->ls_svc[li], why, rc, port = 0;
    const sv_service *v = s->svc[si].svc;
    sv_sess *ss;
    char peer[PL_ADDR_MAX];

    if (pl_sock_peer(sock, peer, sizeof peer, &port) != PL_OK)
        (void)ut_strlcpy(peer, "unknown", sizeof peer);
    why = sv_limit_enter(s->svc[si].lim, peer);
    if (why != SV_LIM_OK) {
        sv_stats_refused(s, si);
        ut_log(PL_LOG_NOTICE, PL_LOGCAT_MAIL, "%s: refused %s: %s", v->name,
               peer, why == SV_LIM_TOTAL ? "too many sessions"
               : "too many sessions from this address");
        if (v->busy_line != NULL)
            (void)pl_sock_write(sock, v->busy_line, strlen(v->busy_line),
                                SV_REFUSE_WRITE_MS);
        pl_sock_close(sock);
        return;
    }
    ss = (sv_sess *)calloc(1, sizeof *ss);
    if (ss == NULL) {
        ut_log_err("%s: no memory for a session from %s", v->name, peer);
        sv_limit_leave(s->svc[si].lim, peer);
        pl_sock_close(sock);
        return;
    }
    ss->srv = s;
    ss->si = si;
    ss->sock = sock;
    memcpy(ss->peer, peer, sizeof peer);
    pl_mutex_lock(s->mu);
    ss->tls = s->tls;
    if (ss->tls != NULL)
        tl_ctx_ref(ss->tls);
    ss->cfg = s->cfg;
    ss->cfg->refs++;
    pl_mutex_unlock(s->mu);
    ut_log_debug("%s: connection from %s port %d", v->name, peer, port);
    sv_stats_enter(s, si);     /* before the thread can count itself out */
    rc = pl_thread_start(sess_main, ss, (size_t)SV_THREAD_STACK, 1, NULL);
    if (rc != PL_OK) {
        sv_stats_leave(s, si);
        ut_log_err("%s: cannot start a thread for %s: %s", v->name, peer,
                   pl_strerror(rc));
        if (ss->tls != NULL)
            tl_ctx_unref(ss->tls);
        cfg_unref(s, ss->cfg);
        sv_limit_leave(s->svc[si].lim, peer);
        pl_sock_close(sock);
        free(ss);
    }
}

/* --- reload ----------------------------------------------------------- */

static void reload_tls(sv_server *s, const cf_config *cfg)
{
    char err[256];
    tl_ctx *nt = NULL, *old;
    int rc;

    if (cf_str(cfg, "tls.cert")[0] == '\0')
        return;      /* no TLS configured: nothing to reload */
    rc = tl_ctx_new(cf_str(cfg, "tls.cert"), cf_str(cfg, "tls.key"), &nt,
                    err, sizeof err);
    if (rc != PL_OK) {
        ut_log_err("reload: TLS certificate %s not loaded, keeping the old "
                   "one: %s", cf_str(cfg, "tls.cert"), err);
        return;
    }
    pl_mutex_lock(s->mu);
    old = s->tls;
    s->tls = nt;
    pl_mutex_unlock(s->mu);
    if (old != NULL)
        tl_ctx_unref(old);     /* sessions still using it hold their own */
    ut_log(PL_LOG_NOTICE, PL_LOGCAT_MAIL, "reload: TLS certificate %s "
           "loaded", cf_str(cfg, "tls.cert"));
}

static void reload(sv_server *s)
{
    char err[CF_ERR_MAX];
    cf_config *nc = NULL;
    sv_cfgref *nr, *old;
    int i, rc;

    ut_log(PL_LOG_NOTICE, PL_LOGCAT_MAIL, "reload requested");
    rc = cf_load(s->used_file, &nc, err, sizeof err);
    if (rc != PL_OK || (nr = cfg_wrap(nc)) == NULL) {
        if (rc == PL_OK)
            cf_free(nc);
        ut_log_err("reload: configuration not changed: %s",
                   rc == PL_OK ? "no memory" : err);
        reload_tls(s, s->cfg->cfg);
        sv_queue_reload(s);
        return;
    }
    for (i = 0; restart_keys[i] != NULL; i++) {
        if (strcmp(cf_str(s->cfg->cfg, restart_keys[i]),
                   cf_str(nc, restart_keys[i])) != 0)
            ut_log_warn("reload: %s changed; it takes effect at the next "
                        "start", restart_keys[i]);
    }
    if (!s->verbose)
        ut_log_set_level((int)cf_int(nc, "log.level"));
    for (i = 0; i < s->nsvc; i++) {
        int total, per;
        if (!s->svc[i].owns_lim)
            continue;
        svc_bounds(nc, s->svc[i].svc, &total, &per);
        sv_limit_set(s->svc[i].lim, total, per);
        if (total > sv_limit_capacity(s->svc[i].lim))
            ut_log_warn("reload: %s %d is above the %d of the start; it "
                        "takes effect at the next start",
                        s->svc[i].svc->threads_key, total,
                        sv_limit_capacity(s->svc[i].lim));
    }
    pl_mutex_lock(s->mu);
    old = s->cfg;
    s->cfg = nr;
    pl_mutex_unlock(s->mu);
    cfg_unref(s, old);
    reload_tls(s, nc);
    sv_queue_reload(s);
}

/* --- the loop ----------------------------------------------------------- */

static int sessions_open(sv_server *s)
{
    int i, n = 0;

    for (i = 0; i < s->nsvc; i++)
        if (s->svc[i].owns_lim)
            n += sv_limit_total(s->svc[i].lim);
    return n;
}

static int drain(sv_server *s)
{
    pl_i64 deadline = pl_time_mono_ms() + (pl_i64)SV_DRAIN_SECS * 1000;
    int i, n;

    for (i = 0; i < s->nls; i++) {
        pl_sock_close(s->ls[i]);
        s->ls[i] = NULL;
    }
    s->nls = 0;
    pl_sock_close(s->ctl);      /* ctl now finds no server: it is going */
    s->ctl = NULL;
    n = sessions_open(s);
    ut_log(PL_LOG_NOTICE, PL_LOGCAT_MAIL, "shutting down: listeners "
           "closed, %d session%s to finish (up to %d s)", n,
           n == 1 ? "" : "s", SV_DRAIN_SECS);
    for (;;) {
        if (sessions_open(s) == 0) {
            sv_queue_stop(s);
            au_pend_stop(s->pend);
            ut_log(PL_LOG_NOTICE, PL_LOGCAT_MAIL, "stopped");
            return PL_OK;
        }
        if (pl_time_mono_ms() >= deadline ||
            (pl_events_take() & PL_EVENT_TERM) != 0)
            break;
        for (i = 0; i < s->nsvc; i++)
            if (s->svc[i].owns_lim)
                (void)sv_limit_wait_idle(s->svc[i].lim, SV_POLL_MS / 4);
    }
    n = sessions_open(s);
    /* the sessions left may still queue mail: the queue stays open */
    sv_queue_stop(s);
    au_pend_stop(s->pend);
    ut_log_warn("stopped with %d session%s cut short (their mailboxes are "
                "unchanged)", n, n == 1 ? "" : "s");
    s->abandoned = 1;
    return PL_ETIMEDOUT;
}

int sv_server_run(sv_server *s)
{
    pl_sock *all[SV_LISTEN_MAX + 1];
    int rc, nall, i;

    rc = pl_events_install();
    if (rc != PL_OK) {
        ut_log_err("cannot install signal handlers: %s", pl_strerror(rc));
        return rc;
    }
    ut_log(PL_LOG_NOTICE, PL_LOGCAT_MAIL, "newmail serving as %s "
           "(pid %lu)", s->hostname, (unsigned long)pl_pid());
    /* The control listener is one more socket of the same accept call,
     * after the service listeners so that `which` still indexes ls. */
    for (i = 0; i < s->nls; i++)
        all[i] = s->ls[i];
    nall = s->nls;
    if (s->ctl != NULL)
        all[nall++] = s->ctl;
    for (;;) {
        pl_sock *c = NULL;
        int ev = pl_events_take() | sv_ctl_take_events(s), which = 0;

        if (ev & PL_EVENT_TERM)
            break;
        if (ev & PL_EVENT_RELOAD)
            reload(s);
        rc = pl_sock_accept(all, nall, SV_POLL_MS, &c, &which);
        if (rc == PL_OK && which == s->nls) {
            sv_ctl_serve(s, c);
        } else if (rc == PL_OK) {
            dispatch(s, which, c);
        } else if (rc != PL_ETIMEDOUT && rc != PL_EINTR) {
            /* Out of descriptors or memory: pause instead of spinning;
             * sessions ending will free what is missing. */
            char nat[128];
            pl_last_native(nat, sizeof nat);
            ut_log_err("accept: %s (%s)", pl_strerror(rc), nat);
            (void)pl_sleep_ms(SV_POLL_MS);
        }
    }
    return drain(s);
}

void sv_server_free(sv_server *s)
{
    int i;

    if (s == NULL || s->abandoned)
        return;     /* threads still use it; the process is exiting */
    sv_queue_stop(s);           /* when run never started: a failed start */
    qu_close(s->queue);
    al_map_free(s->aliases);
    for (i = 0; i < s->nls; i++)
        pl_sock_close(s->ls[i]);
    pl_sock_close(s->ctl);
    pl_dir_close(s->ctl_dir);
    for (i = 0; i < s->nsvc; i++)
        if (s->svc[i].owns_lim)
            sv_limit_free(s->svc[i].lim);
    if (s->tls != NULL)
        tl_ctx_unref(s->tls);
    if (s->cfg != NULL) {
        cf_free(s->cfg->cfg);
        free(s->cfg);
    }
    pl_dir_close(s->root);
    st_store_close(s->store);
    if (s->mu != NULL)
        pl_mutex_destroy(s->mu);
    au_pend_free(s->pend);
    if (s->root_mu != NULL)
        pl_mutex_destroy(s->root_mu);
    if (s->stats.mu != NULL)
        pl_mutex_destroy(s->stats.mu);
    free(s->used_file);
    free(s);
}
