/*
 * nm_main.c - main() of the `newmail` program: start the platform layer,
 * send log lines to standard error, read the global options, and hand
 * the command to the dispatcher (cl_cmd.c).
 *
 * Global options (before the command): -c FILE, --config FILE,
 * --config=FILE, -v/--verbose (repeatable), --version, -h/--help.
 * Personalities: started under the name `sendmail` (a link to this
 * program, /usr/sbin/sendmail, or an OpenVMS foreign command) it is
 * `newmail sendmail ARGS`; as `mailq` it is `newmail sendmail -bp ARGS`,
 * which runs `newmail queue list`.
 * Limits: none of its own.
 * Privilege: whatever the caller holds; commands that need more say so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cl.h"
#include "ut_log.h"

#define NM_PROG_MAX 40   /* "sendmail", "mailq": short names */

/* Run as `newmail CMD [SUB] ARGS...` for a personality; argv[0] is the
 * name the program was started under. */
static int nm_persona(cl_ctx *ctx, const char *cmd, const char *sub,
                      int argc, char **argv)
{
    char **v;
    int n = 0, i, rc;

    v = (char **)malloc(((size_t)argc + 3) * sizeof *v);
    if (v == NULL) {
        fprintf(stderr, "%s: out of memory\n", ctx->prog);
        return CL_EX_TEMPFAIL;
    }
    v[n++] = (char *)cmd;
    if (sub != NULL)
        v[n++] = (char *)sub;
    for (i = 1; i < argc; i++)
        v[n++] = argv[i];
    v[n] = NULL;
    rc = cl_dispatch(ctx, n, v);
    free(v);
    return rc;
}

int main(int argc, char **argv)
{
    static char as_sendmail[] = "sendmail", as_mailq[] = "mailq";
    char name[NM_PROG_MAX];
    cl_ctx ctx;
    int i, rc;

    ctx.config = NULL;
    ctx.verbose = 0;
    ctx.prog = "newmail";
    rc = pl_init();
    if (rc != PL_OK) {
        fprintf(stderr, "newmail: cannot start: %s\n", pl_strerror(rc));
        return CL_EX_SOFTWARE;
    }
    /* A command run from a shell reports on standard error; the daemon
     * reopens the log as its configuration says. */
    if (pl_log_open("newmail", PL_LOGTO_STDERR, NULL) != PL_OK)
        fprintf(stderr, "newmail: cannot open the log; continuing\n");

    if (argc > 0 && pl_prog_name(argv[0], name, sizeof name) == PL_OK) {
        if (strcmp(name, "sendmail") == 0) {
            ctx.prog = as_sendmail;
            return nm_persona(&ctx, "sendmail", NULL, argc, argv);
        }
        if (strcmp(name, "mailq") == 0) {
            ctx.prog = as_mailq;
            /* sendmail's own mailq is sendmail -bp, which also takes
             * -C FILE */
            return nm_persona(&ctx, "sendmail", "-bp", argc, argv);
        }
    }

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "newmail: option %s needs a file name\n", a);
                cl_usage_top(1);
                return CL_EX_USAGE;
            }
            ctx.config = argv[++i];
        } else if (strncmp(a, "-c", 2) == 0) {
            ctx.config = a + 2;            /* -cFILE */
        } else if (strncmp(a, "--config=", 9) == 0) {
            ctx.config = a + 9;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            ctx.verbose++;
        } else if (strcmp(a, "--version") == 0) {
            printf("newmail %s (%s)\n", CL_VERSION, PL_OS_NAME);
            return CL_EX_OK;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cl_usage_top(0);
            return CL_EX_OK;
        } else {
            fprintf(stderr, "newmail: unknown option '%s'\n", a);
            cl_usage_top(1);
            return CL_EX_USAGE;
        }
    }
    if (ctx.config != NULL && ctx.config[0] == '\0') {
        fprintf(stderr, "newmail: empty configuration file name\n");
        return CL_EX_USAGE;
    }
    /* The default level is info; -v adds debug lines. */
    if (ctx.verbose > 0)
        ut_log_set_level(PL_LOG_DEBUG);
    return cl_dispatch(&ctx, argc - i, argv + i);
}
