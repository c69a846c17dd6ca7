/*
 * cl_serve.c - `newmail serve` (the multithreaded daemon) and `newmail
 * pop3d --inetd` and `newmail smtpd --inetd` (one session on an inherited
 * connection): option
 * parsing, the start-up order, and the exit codes; the work is src/srv.
 *
 * Start-up order of serve, and why: configuration; log; TLS files and
 * context (the key is read while still privileged); listeners (ports
 * below 1024 need root); then the identity of service.user; then the
 * store, the outbound queue, the aliases map and the queue runner (so
 * that what they create belongs to that account); then the loop.  At the
 * end: the sessions drain, then the queue runner stops.
 * Limits: those of src/srv.
 * Privilege: binds as root, then runs as service.user; a process that
 * may not change identity keeps its own (developers, tests).
 */
#include <stdio.h>
#include <string.h>
#include "cl.h"
#include "sv.h"
#include "sv_ctl.h"
#include "ut_log.h"

#define SERVE_USAGE "[--stderr]"
#define POP3D_USAGE "--inetd [--tls]"
#define SMTPD_USAGE "--inetd [--service smtp|submission|submissions|lmtp]"

/* Every service the daemon runs, POP3 and SMTP, in one table (the server
 * keeps a pointer to it, so it lives as long as the process). */
static sv_service serve_services[SV_SERVICE_MAX];

static const sv_service *serve_table(int *n)
{
    const sv_service *part;
    int i, k, total = 0;

    for (k = 0; k < 2; k++) {
        part = k == 0 ? sv_pop3_services(&i) : sv_smtp_services(&i);
        while (i-- > 0 && total < SV_SERVICE_MAX)
            serve_services[total++] = *part++;
    }
    *n = total;
    return serve_services;
}

/* Exit code for a failed start-up step. */
static int exit_for(int rc)
{
    switch (rc) {
    case PL_EINVAL:
    case PL_ERANGE:
        return CL_EX_CONFIG;
    case PL_EACCES:
        return CL_EX_NOPERM;
    case PL_ENOENT:
        return CL_EX_NOINPUT;
    case PL_EADDRINUSE:
    case PL_EHOST:
        return CL_EX_UNAVAILABLE;
    case PL_ENOSPC:
    case PL_EIO:
        return CL_EX_IOERR;
    default:
        return CL_EX_SOFTWARE;
    }
}

/* Report a start-up failure where the administrator looks: the log, and
 * standard error too when the log is not there already. */
static int fail(const cl_ctx *ctx, int log_is_stderr, int code,
                const char *what, const char *err)
{
    ut_log_err("%s: %s", what, err);
    if (!log_is_stderr)
        cl_error(ctx, "%s: %s", what, err);
    return code;
}

int cl_serve_run(cl_ctx *ctx, int argc, char **argv)
{
    char err[CF_ERR_MAX];
    const char *used;
    const sv_service *svcs;
    cf_config *cfg;
    sv_server *srv = NULL;
    int i, nsvc, to_stderr = 0, on_stderr, rc, dropped = 0, code;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--stderr") == 0)
            to_stderr = 1;
        else
            return cl_usage_error(ctx, "newmail serve", SERVE_USAGE,
                                  argv[i][0] == '-' ? "unknown option"
                                  : "unexpected argument", argv[i]);
    }
    code = cl_load_config(ctx, NULL, &cfg, &used);
    if (code != CL_EX_OK)
        return code;
    on_stderr = to_stderr || !cf_bool(cfg, "log.syslog");
    if (sv_log_setup(cfg, to_stderr, ctx->verbose > 0) != PL_OK)
        cl_error(ctx, "cannot open the log as configured; continuing");
    if (used == NULL)
        ut_log_info("no configuration file (%s): embedded defaults, data "
                    "in ./newmail-data", pl_cfg_default_file());
    else
        ut_log_info("configuration %s", used);
    svcs = serve_table(&nsvc);
    rc = sv_server_new(cfg, used, ctx->verbose > 0, svcs, nsvc, &srv, err,
                       sizeof err);
    if (rc != PL_OK)
        return fail(ctx, on_stderr, exit_for(rc), "cannot start", err);
    sv_server_set_version(srv, CL_VERSION);
    rc = sv_server_listen(srv, err, sizeof err);
    if (rc != PL_OK) {
        sv_server_free(srv);
        return fail(ctx, on_stderr, rc == PL_ENOENT || rc == PL_EINVAL ||
                    rc == PL_ERANGE ? CL_EX_CONFIG : rc == PL_EACCES
                    ? CL_EX_NOPERM : CL_EX_UNAVAILABLE, "cannot start", err);
    }
    /* cfg is still the server's own: a reload can only happen in run. */
    rc = sv_drop_privileges(cfg, &dropped, err, sizeof err);
    if (rc != PL_OK) {
        sv_server_free(srv);
        /* A missing account is a configuration mistake; anything else is
         * the system refusing the change. */
        return fail(ctx, on_stderr, rc == PL_ENOENT || rc == PL_EINVAL
                    ? CL_EX_CONFIG : CL_EX_NOPERM, "cannot start", err);
    }
    rc = sv_server_open_store(srv, err, sizeof err);
    if (rc != PL_OK) {
        sv_server_free(srv);
        return fail(ctx, on_stderr, exit_for(rc), "cannot start", err);
    }
    rc = sv_server_run(srv);
    sv_server_free(srv);
    return rc == PL_OK || rc == PL_ETIMEDOUT ? CL_EX_OK : exit_for(rc);
}

/* The configuration of a per-connection run, as cl_load_config finds it,
 * but with every message in the log: standard error may be the client's
 * socket (inetd passes it as descriptors 0, 1 and 2). */
static int inetd_config(const cl_ctx *ctx, cf_config **out)
{
    char err[CF_ERR_MAX];
    const char *path = ctx->config;
    int rc;

    if (path == NULL) {
        rc = cf_load(pl_cfg_default_file(), out, err, sizeof err);
        if (rc == PL_ENOENT)
            rc = cf_load(NULL, out, err, sizeof err);
    } else {
        rc = cf_load(path, out, err, sizeof err);
    }
    if (rc != PL_OK) {
        ut_log_err("per-connection mode: %s", err);
        return rc == PL_EINVAL ? CL_EX_CONFIG : CL_EX_NOINPUT;
    }
    return CL_EX_OK;
}

/* One session of the service `want` (a row name of svcs) on the inherited
 * connection: the shared body of pop3d and smtpd. */
static int inetd_run(cl_ctx *ctx, const char *cmd, const char *usage,
                     const sv_service *svcs, int nsvc, const char *want,
                     int inetd)
{
    char err[CF_ERR_MAX];
    cf_config *cfg;
    int i, rc, code;

    if (!inetd)
        return cl_usage_error(ctx, cmd, usage, "--inetd is required (the "
                              "daemon is 'newmail serve')", NULL);
    for (i = 0; i < nsvc && strcmp(svcs[i].name, want) != 0; i++)
        ;
    if (i == nsvc)
        return cl_usage_error(ctx, cmd, usage, "no such service", want);
    /* The system log before anything can be said: standard error may be
     * the client's socket. */
    (void)pl_log_open("newmail", PL_LOGTO_SYSTEM, NULL);
    code = inetd_config(ctx, &cfg);
    if (code != CL_EX_OK)
        return code;
    (void)pl_log_open("newmail", PL_LOGTO_SYSTEM,
                      cf_str(cfg, "log.file")[0] != '\0'
                      ? cf_str(cfg, "log.file") : NULL);
    if (ctx->verbose == 0)
        ut_log_set_level((int)cf_int(cfg, "log.level"));
    rc = sv_inetd_session(cfg, &svcs[i], err, sizeof err);
    cf_free(cfg);
    if (rc != PL_OK) {
        ut_log_err("%s: %s", want, err);
        return exit_for(rc);
    }
    return CL_EX_OK;
}

int cl_pop3d_run(cl_ctx *ctx, int argc, char **argv)
{
    const sv_service *svcs;
    int i, nsvc, inetd = 0, tls = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--inetd") == 0)
            inetd = 1;
        else if (strcmp(argv[i], "--tls") == 0)
            tls = 1;
        else
            return cl_usage_error(ctx, "newmail pop3d", POP3D_USAGE,
                                  argv[i][0] == '-' ? "unknown option"
                                  : "unexpected argument", argv[i]);
    }
    svcs = sv_pop3_services(&nsvc);
    return inetd_run(ctx, "newmail pop3d", POP3D_USAGE, svcs, nsvc,
                     tls ? "pop3s" : "pop3", inetd);
}

int cl_smtpd_run(cl_ctx *ctx, int argc, char **argv)
{
    const sv_service *svcs;
    const char *want = "smtp";
    int i, nsvc, inetd = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--inetd") == 0)
            inetd = 1;
        else if (strcmp(argv[i], "--service") == 0 && i + 1 < argc)
            want = argv[++i];
        else
            return cl_usage_error(ctx, "newmail smtpd", SMTPD_USAGE,
                                  argv[i][0] == '-' ? "unknown option"
                                  : "unexpected argument", argv[i]);
    }
    svcs = sv_smtp_services(&nsvc);
    return inetd_run(ctx, "newmail smtpd", SMTPD_USAGE, svcs, nsvc, want,
                     inetd);
}
