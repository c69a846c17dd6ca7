/*
 * sv_int.h - internals of src/srv shared by sv_daemon.c (the accept loop,
 * sessions, reload, drain) and sv_listen.c (opening the listeners).
 *
 * Contract: the sv_server's mutex guards `tls` and `cfg` (both swapped
 * by a reload while sessions hold references) and nothing else; the
 * listener arrays belong to the main thread.
 * Limits: SV_SVC_MAX services per server.  Privilege: none.
 */
#ifndef SV_INT_H
#define SV_INT_H

#include "sv.h"

/* POP3, POP3S, SMTP, submission, submissions, LMTP, and room to spare. */
#define SV_SVC_MAX 8

/* A configuration shared by the sessions that began under it. */
typedef struct sv_cfgref {
    cf_config *cfg;
    int refs;          /* guarded by the server's mutex */
} sv_cfgref;

typedef struct sv_svcstate {
    const sv_service *svc;
    sv_limit *lim;     /* may be shared with an earlier service */
    int owns_lim;      /* this row frees lim */
} sv_svcstate;

/* What `newmail ctl stats` reports; guarded by its own mutex because
 * session threads count themselves out. */
typedef struct sv_stats {
    pl_mutex *mu;
    pl_i64 started;                 /* wall clock at sv_server_new */
    int now[SV_SVC_MAX];            /* sessions running, per service */
    int peak[SV_SVC_MAX];           /* the most at once since the start */
    pl_u64 total[SV_SVC_MAX];       /* sessions started since the start */
    pl_u64 refused[SV_SVC_MAX];     /* refused by the session limits */
    sv_tally mail[SV_SVC_MAX];      /* mail handled by ended sessions */
} sv_stats;

struct sv_server {
    sv_svcstate svc[SV_SVC_MAX];
    int nsvc;
    pl_sock *ls[SV_LISTEN_MAX];
    int ls_svc[SV_LISTEN_MAX];      /* index into svc of each listener */
    char ls_addr[SV_LISTEN_MAX][PL_ADDR_MAX];
    int nls;
    pl_mutex *mu;
    sv_cfgref *cfg;
    tl_ctx *tls;
    char *used_file;                /* NULL: embedded defaults */
    int verbose;
    st_store *store;
    pl_dir *root;
    pl_mutex *root_mu;              /* a pl_dir serves one thread at once */
    au_pend *pend;                  /* counters the main loop writes out */
    char hostname[PL_HOST_MAX + 1];
    int abandoned;                  /* drain timed out: threads still run */
    sv_stats stats;
    pl_dir *ctl_dir;                /* store.root/_CONTROL (sv_ctl.c) */
    pl_sock *ctl;                   /* the control listener, or NULL */
    int ctl_events;                 /* PL_EVENT_* asked for by ctl; main
                                       thread only */
    const char *version;            /* for STATS; may be NULL */
    struct qu_queue *queue;         /* the outbound queue (sv_queue.c) */
    struct al_map *aliases;         /* NULL: no aliases file */
    struct qr_runner *runner;       /* NULL until started */
    sv_cfgref *runner_cfg;          /* the configuration it runs on */
    struct qr_env *qenv;            /* what the runner sees */
};

/* Open the queue and the aliases map and start the queue runner (after
 * the privilege drop); stop and close them (sv_queue.c).  err says why
 * a start failed. */
int sv_queue_start(sv_server *s, char *err, size_t errlen);
void sv_queue_stop(sv_server *s);

/* Reload the aliases file (SIGHUP, ctl RELOAD); failures are logged and
 * the old table stays. */
void sv_queue_reload(sv_server *s);

/* Drop a reference to a configuration (sv_daemon.c); the last frees it. */
void sv_cfg_unref(sv_server *s, sv_cfgref *r);

#endif
