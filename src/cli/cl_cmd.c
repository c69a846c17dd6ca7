/*
 * cl_cmd.c - the command table of `newmail` and the dispatcher that walks
 * it: help at every level, usage errors, and the configuration loading
 * every command shares.
 *
 * Limits: command paths are at most CL_PATH_MAX characters (three levels
 * of short names); longer ones are cut in messages only.
 * Privilege: none; runs with the caller's rights.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cl.h"
#include "ut_str.h"

#define CL_PATH_MAX 128

static int help_run(cl_ctx *ctx, int argc, char **argv);

/* Only commands that exist are listed here: no placeholders. */
const cl_cmd cl_commands[] = {
    { "config", "check the configuration or list its keys",
      "COMMAND [ARGS]",
      "Validate a configuration file and show the effective values, or\n"
      "list every key newmail knows with its default and documentation.\n",
      NULL, cl_config_cmds },
    { "help", "show the help of a command",
      "[COMMAND [SUBCOMMAND]]",
      "Print the help of the named command, or of newmail itself.\n",
      help_run, NULL },
    { NULL, NULL, NULL, NULL, NULL, NULL }
};

static int is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

void cl_error(const cl_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", ctx != NULL && ctx->prog != NULL
            ? ctx->prog : "newmail");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void list_cmds(FILE *fp, const cl_cmd *cmds)
{
    int i;

    fputs("\nCommands:\n", fp);
    for (i = 0; cmds[i].name != NULL; i++)
        fprintf(fp, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
}

void cl_usage_top(int to_err)
{
    FILE *fp = to_err ? stderr : stdout;

    fputs("usage: newmail [-c FILE] [-v] COMMAND [ARGS]\n"
          "       newmail --version | --help\n", fp);
    if (to_err) {
        fputs("Run 'newmail --help' for the list of commands.\n", fp);
        return;
    }
    fprintf(fp, "\nnewmail is a POP3 and SMTP mail server for OpenVMS "
            "and POSIX systems.\n\n"
            "Global options:\n"
            "  -c FILE, --config=FILE  configuration file; without -c, the "
            "default\n"
            "                          file if it exists, else the embedded "
            "defaults\n"
            "  -v, --verbose           also log debug lines\n"
            "  --version               print the version and exit\n"
            "  -h, --help              print this help and exit\n"
            "\nDefault configuration file: %s\n", pl_cfg_default_file());
    list_cmds(fp, cl_commands);
    fputs("\nRun 'newmail COMMAND --help' for the help of a command.\n", fp);
}

/* Help of one command: usage, text, subcommands. */
static void help_cmd(const cl_cmd *c, const char *path)
{
    printf("usage: %s %s\n\n%s", path, c->usage, c->help);
    if (c->subs != NULL) {
        list_cmds(stdout, c->subs);
        printf("\nRun '%s COMMAND --help' for the help of a command.\n",
               path);
    }
}

int cl_usage_error(const cl_ctx *ctx, const char *path, const char *usage,
                   const char *msg, const char *arg)
{
    if (arg != NULL)
        cl_error(ctx, "%s '%s'", msg, arg);
    else
        cl_error(ctx, "%s", msg);
    if (usage != NULL)
        fprintf(stderr, "usage: %s %s\n", path, usage);
    fprintf(stderr, "Run '%s --help' for more.\n", path);
    return CL_EX_USAGE;
}

static const cl_cmd *find(const cl_cmd *cmds, const char *name)
{
    int i;

    for (i = 0; cmds[i].name != NULL; i++) {
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    }
    return NULL;
}

/* path + " " + name into buf (buf may be path). */
static void join(char *buf, const char *path, const char *name)
{
    if (buf != path)
        ut_strlcpy(buf, path, CL_PATH_MAX);
    ut_strlcat(buf, " ", CL_PATH_MAX);
    ut_strlcat(buf, name, CL_PATH_MAX);
}

/* Run command c (argv[0] is its name) reached by path. */
static int run_cmd(cl_ctx *ctx, const cl_cmd *c, const char *path,
                   int argc, char **argv)
{
    char sub_path[CL_PATH_MAX];
    const cl_cmd *s;
    int i;

    if (c->subs != NULL) {
        if (argc < 2)
            return cl_usage_error(ctx, path, c->usage, "missing command",
                                  NULL);
        if (is_help(argv[1])) {
            help_cmd(c, path);
            return CL_EX_OK;
        }
        s = find(c->subs, argv[1]);
        if (s == NULL)
            return cl_usage_error(ctx, path, c->usage, "unknown command",
                                  argv[1]);
        join(sub_path, path, s->name);
        return run_cmd(ctx, s, sub_path, argc - 1, argv + 1);
    }
    /* Leaf: --help anywhere before "--" answers with the help. */
    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (is_help(argv[i])) {
            help_cmd(c, path);
            return CL_EX_OK;
        }
    }
    return c->run(ctx, argc, argv);
}

int cl_dispatch(cl_ctx *ctx, int argc, char **argv)
{
    char path[CL_PATH_MAX];
    const cl_cmd *c;

    if (argc < 1) {
        cl_error(ctx, "missing command");
        cl_usage_top(1);
        return CL_EX_USAGE;
    }
    c = find(cl_commands, argv[0]);
    if (c == NULL) {
        cl_error(ctx, "unknown command '%s'", argv[0]);
        cl_usage_top(1);
        return CL_EX_USAGE;
    }
    join(path, "newmail", c->name);
    return run_cmd(ctx, c, path, argc, argv);
}

/* `newmail help [COMMAND [SUBCOMMAND...]]`: walk the tables by name. */
static int help_run(cl_ctx *ctx, int argc, char **argv)
{
    char path[CL_PATH_MAX];
    const cl_cmd *cmds = cl_commands, *c = NULL;
    int i;

    if (argc < 2) {
        cl_usage_top(0);
        return CL_EX_OK;
    }
    ut_strlcpy(path, "newmail", sizeof path);
    for (i = 1; i < argc; i++) {
        c = cmds != NULL ? find(cmds, argv[i]) : NULL;
        if (c == NULL)
            return cl_usage_error(ctx, "newmail help", "[COMMAND "
                                  "[SUBCOMMAND]]", "no such command",
                                  argv[i]);
        join(path, path, c->name);
        cmds = c->subs;
    }
    help_cmd(c, path);
    return CL_EX_OK;
}

int cl_load_config(const cl_ctx *ctx, const char *file, cf_config **out,
                   const char **used_file)
{
    char err[CF_ERR_MAX];
    const char *path = file != NULL ? file : ctx->config;
    int rc;

    *out = NULL;
    *used_file = NULL;
    if (path == NULL) {
        /* No -c: the default file when there is one, else the embedded
         * defaults, so that a first run needs no file at all. */
        path = pl_cfg_default_file();
        rc = cf_load(path, out, err, sizeof err);
        if (rc == PL_ENOENT) {
            path = NULL;
            rc = cf_load(NULL, out, err, sizeof err);
        }
    } else {
        rc = cf_load(path, out, err, sizeof err);
    }
    if (rc == PL_OK) {
        *used_file = path;
        return CL_EX_OK;
    }
    /* With no file the only possible error is an OpenVMS logical. */
    cl_error(ctx, "%s", err);
    switch (rc) {
    case PL_EINVAL:
        return CL_EX_CONFIG;
    case PL_ENOENT:
    case PL_EACCES:
        return CL_EX_NOINPUT;
    case PL_EIO:
        return CL_EX_IOERR;
    default:
        return CL_EX_SOFTWARE;
    }
}
