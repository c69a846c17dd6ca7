/*
 * sv_setup.c - the start-up steps `newmail serve` and `newmail pop3d
 * --inetd` share: log destinations, host name, the first-start TLS files
 * of the embedded defaults, dropping to service.user, opening the store,
 * and the per-connection (inetd) session.
 *
 * Limits: none of its own.
 * Per-connection SMTP opens the queue and the aliases map too, but runs
 * no queue runner: the daemon's runner finds the entries it writes at its
 * next scan (queue.scan_interval), as it finds those of `newmail
 * sendmail`.
 * Privilege: called as root (or with the OpenVMS privileges the process
 * was started with) until sv_drop_privileges; the store is opened after,
 * so that what it creates belongs to the service account.
 */
#include <string.h>
#include "sv.h"
#include "sv_penalty.h"
#include "qu.h"
#include "al.h"
#include "ut_log.h"
#include "ut_str.h"

int sv_log_setup(const cf_config *cfg, int to_stderr, int verbose)
{
    const char *file = cf_str(cfg, "log.file");
    int dest = to_stderr || !cf_bool(cfg, "log.syslog")
               ? PL_LOGTO_STDERR : PL_LOGTO_SYSTEM;
    int rc = pl_log_open("newmail", dest, file[0] != '\0' ? file : NULL);

    /* -v on the command line wins over the file for the whole run. */
    if (!verbose)
        ut_log_set_level((int)cf_int(cfg, "log.level"));
    return rc;
}

void sv_hostname(const cf_config *cfg, char *buf, size_t n)
{
    const char *h = cf_str(cfg, "hostname");

    if (h[0] != '\0' && ut_strlcpy(buf, h, n) == PL_OK)
        return;
    if (pl_hostname(buf, n) != PL_OK)
        (void)ut_strlcpy(buf, "localhost", n);
}

int sv_drop_privileges(const cf_config *cfg, int *dropped, char *err,
                       size_t errlen)
{
    const char *user = cf_str(cfg, "service.user");
    pl_privsave save;
    int rc;

    *dropped = 0;
    err[0] = '\0';
    if (user[0] == '\0') {
        ut_log_info("service.user is empty: keeping the identity the "
                    "server was started with");
        return PL_OK;
    }
    /* Only a process that may change identity can become the service
     * user; any other (a developer's or a test's run) keeps its own. */
    if (pl_priv_raise(PL_PRIV_IMPERS, &save) != PL_OK) {
        ut_log_info("not privileged: keeping the current identity "
                    "(service.user %s not applied)", user);
        return PL_OK;
    }
    (void)pl_priv_restore(&save);
    rc = pl_become_service(user);
    if (rc != PL_OK) {
        char nat[128];
        pl_last_native(nat, sizeof nat);
        if (rc == PL_ENOENT || rc == PL_EINVAL)
            ut_log_format(err, errlen, "service.user %s: no such account",
                          user);
        else
            ut_log_format(err, errlen, "cannot become service.user %s: "
                          "%s (%s)", user, pl_strerror(rc), nat);
        return rc;
    }
    *dropped = 1;
    ut_log_info("running as %s", user);
    return PL_OK;
}

/* The directory part of an administrator's file spec ("data/tls/c.pem"
 * -> "data/tls", "DKA0:[NM.TLS]C.PEM" -> "DKA0:[NM.TLS]"), or "" when the
 * file is in the current directory.  Only a cut of what the administrator
 * (here: the embedded default) wrote; no path is composed. */
static void spec_dir(const char *spec, char *dir, size_t n)
{
    size_t i, cut = 0;

    for (i = 0; spec[i] != '\0'; i++) {
        if (spec[i] == '/')
            cut = i;
        else if (spec[i] == ']' || spec[i] == '>' || spec[i] == ':')
            cut = i + 1;
    }
    if (cut >= n)
        cut = 0;
    memcpy(dir, spec, cut);
    dir[cut] = '\0';
}

int sv_embedded_tls(const cf_config *cfg, const char *hostname,
                    char *err, size_t errlen)
{
    const char *cert = cf_str(cfg, "tls.cert"), *key = cf_str(cfg, "tls.key");
    const char *specs[2];
    char dir[1024];
    pl_dir *d;
    int i, rc;

    if (cert[0] == '\0' || key[0] == '\0')
        return PL_OK;
    /* tl_selfsigned_make writes files, not folders: a first start in an
     * empty directory creates them (owner-only) here. */
    specs[0] = cert;
    specs[1] = key;
    for (i = 0; i < 2; i++) {
        spec_dir(specs[i], dir, sizeof dir);
        if (dir[0] == '\0')
            continue;
        rc = pl_dir_open_root(dir, PL_DIR_CREATE, &d);
        if (rc != PL_OK) {
            ut_log_format(err, errlen, "cannot create %s: %s", dir,
                          pl_strerror(rc));
            return rc;
        }
        pl_dir_close(d);
    }
    rc = tl_selfsigned_make(cert, key, hostname, err, errlen);
    if (rc == PL_OK)
        ut_log_debug("TLS certificate %s ready", cert);
    return rc;
}

int sv_store_open(const cf_config *cfg, st_store **store, pl_dir **root,
                  char *err, size_t errlen)
{
    const char *spec = cf_str(cfg, "store.root");
    st_params p;
    au_db *db = NULL;
    int rc;

    *store = NULL;
    *root = NULL;
    memset(&p, 0, sizeof p);
    p.compress = cf_bool(cfg, "store.compress");
    p.compress_min = cf_size(cfg, "store.compress_threshold");
    p.default_domain = NULL;   /* sessions name mailboxes in full */
    rc = st_store_open(spec, &p, store);
    if (rc == PL_OK)
        rc = pl_dir_open_root(spec, 0, root);
    /* The accounts live below the store root (au.h); creating their
     * folder once here lets every session open it read-mostly. */
    if (rc == PL_OK)
        rc = au_db_open(*root, PL_DIR_CREATE, &db);
    if (rc != PL_OK) {
        char nat[128];
        pl_last_native(nat, sizeof nat);
        ut_log_format(err, errlen, "store %s: %s (%s)", spec,
                      pl_strerror(rc), nat);
        pl_dir_close(*root);
        st_store_close(*store);
        *root = NULL;
        *store = NULL;
        return rc;
    }
    au_db_close(db);
    return PL_OK;
}

/* The queue and the aliases map of a per-connection SMTP session. */
static int sv_inetd_outbound(const cf_config *cfg, pl_dir *root, au_db *db,
                             qu_queue **queue, al_map **aliases, char *err,
                             size_t errlen)
{
    char sub[256];
    int rc = qu_open(root, queue);

    if (rc != PL_OK) {
        ut_log_format(err, errlen, "queue %s/%s: %s",
                      cf_str(cfg, "store.root"), QU_DIR, pl_strerror(rc));
        return rc;
    }
    sub[0] = '\0';
    rc = al_map_open(cf_str(cfg, "aliases.file"), db, aliases, sub,
                     sizeof sub);
    if (rc != PL_OK)
        ut_log_format(err, errlen, "aliases.file %s: %s",
                      cf_str(cfg, "aliases.file"), sub);
    return rc;
}

int sv_inetd_session(const cf_config *cfg, const sv_service *svc,
                     char *err, size_t errlen)
{
    char host[PL_HOST_MAX + 1];
    pl_sock *sock = NULL;
    tl_ctx *tls = NULL;
    st_store *store = NULL;
    pl_dir *root = NULL;
    au_db *db = NULL;
    nt_conn *c = NULL;
    qu_queue *queue = NULL;
    al_map *aliases = NULL;
    sv_env env;
    int rc, dropped, native = 0;
    pl_i32 hs_ms;

    err[0] = '\0';
    rc = pl_sock_inherited_conn(&sock);
    if (rc != PL_OK) {
        ut_log_format(err, errlen, "no inherited connection: %s (run from "
                      "inetd, xinetd, systemd Accept=yes or the OpenVMS "
                      "auxiliary server)", pl_strerror(rc));
        return rc;
    }
    sv_hostname(cfg, host, sizeof host);
    /* The key is read while still privileged (tl_tls.h). */
    if (cf_str(cfg, "tls.cert")[0] != '\0') {
        rc = tl_ctx_new(cf_str(cfg, "tls.cert"), cf_str(cfg, "tls.key"),
                        &tls, err, errlen);
        if (rc != PL_OK) {
            if (svc->implicit_tls)
                goto out;
            ut_log_warn("TLS not available: %s", err);
            err[0] = '\0';
        }
    }
    if (svc->implicit_tls && tls == NULL) {
        ut_log_format(err, errlen, "%s needs tls.cert and tls.key",
                      svc->name);
        rc = PL_EINVAL;
        goto out;
    }
    /* POP3 with system accounts (sv_pop3.c) acts as service.user but
     * keeps the means to become the mail user after a login. */
    rc = sv_pop3_inetd_identity(cfg, svc, &native, err, errlen);
    if (rc == PL_OK && !native)
        rc = sv_drop_privileges(cfg, &dropped, err, errlen);
    if (rc == PL_OK)
        rc = sv_store_open(cfg, &store, &root, err, errlen);
    if (rc == PL_OK) {
        rc = au_db_open(root, 0, &db);
        if (rc != PL_OK)
            ut_log_format(err, errlen, "account database: %s",
                          pl_strerror(rc));
    }
    /* SMTP sessions queue relayed and forwarded mail and read aliases;
     * there is no runner here: the daemon's picks the entry up at its
     * next scan (queue.scan_interval) */
    if (rc == PL_OK && strncmp(svc->name, "pop3", 4) != 0)
        rc = sv_inetd_outbound(cfg, root, db, &queue, &aliases, err,
                               errlen);
    if (rc == PL_OK)
        rc = sv_penalty_init();
    if (rc == PL_OK) {
        rc = nt_conn_new(sock, &c);
        if (rc == PL_OK)
            sock = NULL;
    }
    if (rc == PL_OK && svc->implicit_tls) {
        hs_ms = (pl_i32)cf_duration(cfg, svc->handshake_key) * 1000;
        rc = nt_conn_starttls(c, tls, hs_ms);
        if (rc != PL_OK) {
            ut_log_info("%s: TLS handshake with %s failed: %s", svc->name,
                        nt_conn_peer(c), pl_strerror(rc));
            rc = PL_OK;     /* the client's failure, not the server's */
            goto out;
        }
    }
    if (rc == PL_OK) {
        env.cfg = cfg;
        env.store = store;
        env.db = db;
        env.pend = NULL;    /* one session: counters written at once */
        env.tls = tls;
        env.hostname = host;
        env.implicit_tls = svc->implicit_tls;
        env.queue = queue;
        env.aliases = aliases;
        env.tally = NULL;   /* one session: its log line says it all */
        (void)svc->run(&env, c);
    }
out:
    nt_conn_close(c);
    pl_sock_close(sock);
    al_map_free(aliases);
    qu_close(queue);
    au_db_close(db);
    pl_dir_close(root);
    st_store_close(store);
    if (tls != NULL)
        tl_ctx_unref(tls);
    return rc;
}
