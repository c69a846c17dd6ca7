/*
 * cl_ctl.c - `newmail ctl stats|loglevel LEVEL|shutdown|reload|flush`: one
 * request to the running daemon over its control channel (sv_ctl.h), the
 * reply printed on standard output.
 *
 * Exit codes say what an operator's script needs to know: 69 when no
 * server runs on this store (no control directory, no socket, nobody
 * listening), 77 when the channel is closed to this user, 65 when the
 * server refused the request, 64 for a usage error.
 * Limits: SV_CTL_REPLY_MAX bytes of reply; CL_CTL_WAIT_MS in all.
 * Privilege: none of its own; the channel admits the service account and
 * root only.
 */
#include <stdio.h>
#include <string.h>
#include "cl.h"
#include "sv_ctl.h"
#include "ut_log.h"

#define CTL_USAGE "stats | loglevel LEVEL | shutdown | reload | flush"
/* The whole exchange: the server answers at once, but on OpenVMS it may
 * first spend up to three seconds on the token. */
#define CL_CTL_WAIT_MS 10000

/* The exit code for a failure to reach the channel. */
static int ctl_exit(int rc)
{
    switch (rc) {
    case PL_EACCES:
        return CL_EX_NOPERM;
    case PL_EAGAIN:
        return CL_EX_TEMPFAIL;
    default:
        return CL_EX_UNAVAILABLE;   /* ENOENT, ECONNREFUSED, timeouts */
    }
}

/* Open store.root/_CONTROL and connect; CL_EX_* on failure (said, but
 * with quiet not when simply no server runs). */
static int ctl_connect(const cl_ctx *ctx, cf_config *cfg, int quiet,
                       pl_sock **out)
{
    const char *spec = cf_str(cfg, "store.root");
    pl_dir *root = NULL, *cd = NULL;
    char nat[128];
    int rc;

    rc = pl_dir_open_root(spec, 0, &root);
    if (rc == PL_OK)
        rc = sv_ctl_open_dir(root, 0, &cd);
    if (rc == PL_OK)
        rc = pl_ctl_connect(cd, SV_CTL_NAME, CL_CTL_WAIT_MS, out);
    if (rc != PL_OK)
        pl_last_native(nat, sizeof nat);
    pl_dir_close(cd);
    pl_dir_close(root);
    if (rc == PL_OK)
        return CL_EX_OK;
    if (rc == PL_EACCES)
        cl_error(ctx, "control channel of %s: %s (%s)", spec,
                 pl_strerror(rc), nat);
    else if (!quiet)
        cl_error(ctx, "no server is running on %s: %s (%s)", spec,
                 pl_strerror(rc), nat);
    return ctl_exit(rc);
}

static int ctl_exchange(const cl_ctx *ctx, cf_config *cfg, int quiet,
                        const char *req, char *reply, size_t n);

/* Read the reply until the server closes, at most n - 1 bytes. */
static int ctl_reply(pl_sock *s, char *buf, size_t n)
{
    pl_i64 deadline = pl_time_mono_ms() + CL_CTL_WAIT_MS;
    size_t have = 0;

    for (;;) {
        pl_i64 left = deadline - pl_time_mono_ms();
        size_t got = 0;
        int rc;

        buf[have] = '\0';
        if (have >= n - 1)
            return PL_ERANGE;
        if (left <= 0)
            return PL_ETIMEDOUT;
        rc = pl_sock_read(s, buf + have, n - 1 - have, (pl_i32)left, &got);
        if (rc == PL_EOF || rc == PL_ECONNRESET)
            return have > 0 ? PL_OK : PL_EOF;
        if (rc != PL_OK)
            return rc;
        have += got;
    }
}

/* Print the reply: a STATS body line by line without the "." and the
 * CRs, else the text after "+OK ".  The CL_EX_* code of the reply. */
static int ctl_print(const cl_ctx *ctx, char *reply, int stats)
{
    char *p = reply, *nl;

    if (strncmp(reply, "-ERR", 4) == 0) {
        nl = strchr(reply, '\r');
        if (nl != NULL)
            *nl = '\0';
        cl_error(ctx, "the server says: %s", reply);
        return strstr(reply, "not allowed") != NULL ? CL_EX_NOPERM
                                                    : CL_EX_DATAERR;
    }
    if (strncmp(reply, "+OK", 3) != 0) {
        cl_error(ctx, "unexpected reply from the server");
        return CL_EX_SOFTWARE;
    }
    nl = strchr(p, '\n');
    if (!stats) {
        if (nl != NULL)
            *nl = '\0';
        if (nl != NULL && nl > p && nl[-1] == '\r')
            nl[-1] = '\0';
        printf("%s\n", p[3] == ' ' ? p + 4 : p + 3);
        return CL_EX_OK;
    }
    while (nl != NULL) {
        p = nl + 1;
        nl = strchr(p, '\n');
        if (nl == NULL)
            break;
        *nl = '\0';
        if (nl > p && nl[-1] == '\r')
            nl[-1] = '\0';
        if (strcmp(p, ".") == 0)
            return CL_EX_OK;
        printf("%s\n", p);
    }
    cl_error(ctx, "the statistics were cut short");
    return CL_EX_IOERR;
}

int cl_ctl_run(cl_ctx *ctx, int argc, char **argv)
{
    char req[SV_CTL_LINE_MAX + 1], reply[SV_CTL_REPLY_MAX + 1];
    const char *used;
    cf_config *cfg = NULL;
    int code, level, stats = 0;

    if (argc < 2)
        return cl_usage_error(ctx, "newmail ctl", CTL_USAGE,
                              "missing request", NULL);
    if (strcmp(argv[1], "stats") == 0 || strcmp(argv[1], "shutdown") == 0 ||
        strcmp(argv[1], "reload") == 0 || strcmp(argv[1], "flush") == 0) {
        if (argc != 2)
            return cl_usage_error(ctx, "newmail ctl", CTL_USAGE,
                                  "unexpected argument", argv[2]);
        stats = argv[1][1] == 't';
        sprintf(req, "%s\r\n", stats ? "STATS" : argv[1][0] == 's'
                ? "SHUTDOWN" : argv[1][0] == 'f' ? "FLUSH" : "RELOAD");
    } else if (strcmp(argv[1], "loglevel") == 0) {
        if (argc != 3)
            return cl_usage_error(ctx, "newmail ctl", CTL_USAGE, argc < 3
                                  ? "missing level" : "unexpected argument",
                                  argc < 3 ? NULL : argv[3]);
        if (ut_log_level_parse(argv[2], &level) != PL_OK)
            return cl_usage_error(ctx, "newmail ctl", CTL_USAGE,
                                  "unknown log level", argv[2]);
        sprintf(req, "LOGLEVEL %s\r\n", ut_log_level_name(level));
    } else {
        return cl_usage_error(ctx, "newmail ctl", CTL_USAGE,
                              argv[1][0] == '-' ? "unknown option"
                              : "unknown request", argv[1]);
    }
    code = cl_load_config(ctx, NULL, &cfg, &used);
    if (code != CL_EX_OK)
        return code;
    code = ctl_exchange(ctx, cfg, 0, req, reply, sizeof reply);
    cf_free(cfg);
    if (code != CL_EX_OK)
        return code;
    return ctl_print(ctx, reply, stats);
}

/* Connect, send req (with its CRLF), read the whole reply. */
static int ctl_exchange(const cl_ctx *ctx, cf_config *cfg, int quiet,
                        const char *req, char *reply, size_t n)
{
    pl_sock *s = NULL;
    int code, rc;

    code = ctl_connect(ctx, cfg, quiet, &s);
    if (code != CL_EX_OK)
        return code;
    rc = pl_sock_write(s, req, strlen(req), CL_CTL_WAIT_MS);
    if (rc == PL_OK)
        rc = ctl_reply(s, reply, n);
    pl_sock_close(s);
    if (rc != PL_OK) {
        cl_error(ctx, "no answer from the server: %s", pl_strerror(rc));
        return CL_EX_UNAVAILABLE;
    }
    return CL_EX_OK;
}

int cl_ctl_request(const cl_ctx *ctx, cf_config *cfg, const char *verb,
                   char *reply, size_t n)
{
    char req[SV_CTL_LINE_MAX + 1];
    int code;

    if (strlen(verb) + 3 > sizeof req)
        return CL_EX_SOFTWARE;
    sprintf(req, "%s\r\n", verb);
    code = ctl_exchange(ctx, cfg, 1, req, reply, n);
    if (code == CL_EX_OK && strncmp(reply, "+OK", 3) != 0)
        return CL_EX_DATAERR;
    return code;
}
