/*
 * cl.h - the `newmail` command: global options, the command tables, the
 * dispatcher, and the exit codes.
 *
 * Contract
 *  - `newmail [GLOBAL OPTIONS] COMMAND [SUBCOMMAND] [ARGS]`, in the style of
 *    git and doveadm.  Every level answers --help (and -h) on standard
 *    output with exit 0; `newmail help [COMMAND...]` does the same.  A
 *    missing or unknown command is a usage error: the message and the
 *    level's usage on standard error, exit CL_EX_USAGE.
 *  - A command is listed only once it exists: the tables hold no stubs.
 *  - Exit codes are those of BSD sysexits.h, so that mail software
 *    (Postfix pipe, procmail, cron) can tell a temporary failure from a
 *    permanent one.
 * Limits: arguments are handled in place; nothing is copied.
 * Privilege: the commands run with the rights of the caller.
 */
#ifndef CL_H
#define CL_H

#include "cf.h"

/* The release this program reports. */
#define CL_VERSION "0.1.0"

/* Exit codes (sysexits). */
#define CL_EX_OK          0   /* success */
#define CL_EX_USAGE      64   /* command used wrongly */
#define CL_EX_DATAERR    65   /* input data was bad */
#define CL_EX_NOINPUT    66   /* an input file is missing or unreadable */
#define CL_EX_NOUSER     67   /* addressee unknown (deliver) */
#define CL_EX_NOHOST     68   /* host or domain name unknown (dns) */
#define CL_EX_UNAVAILABLE 69  /* a service is unavailable */
#define CL_EX_SOFTWARE   70   /* internal error */
#define CL_EX_CANTCREAT  73   /* an output file cannot be created */
#define CL_EX_IOERR      74   /* input/output error */
#define CL_EX_TEMPFAIL   75   /* temporary failure: try again later */
#define CL_EX_NOPERM     77   /* permission denied */
#define CL_EX_CONFIG     78   /* configuration error */

/* What the global options set, handed to every command. */
typedef struct cl_ctx {
    const char *config;   /* -c FILE; NULL: the default file if present */
    int verbose;          /* count of -v */
    const char *prog;     /* name used in messages: "newmail" */
} cl_ctx;

/* A command's handler: argv[0] is the command's own name, options and
 * arguments follow.  Returns a CL_EX_* code. */
typedef int (*cl_fn)(cl_ctx *ctx, int argc, char **argv);

typedef struct cl_cmd {
    const char *name;             /* "config" */
    const char *summary;          /* one line for listings */
    const char *usage;            /* arguments after the command path */
    const char *help;             /* paragraphs printed by --help */
    cl_fn run;                    /* NULL when the command has subs */
    const struct cl_cmd *subs;    /* subcommands, ended by a NULL name */
} cl_cmd;

/* The top-level commands (cl_cmd.c) and the `config` subcommands
 * (cl_config.c); each table ends with a row whose name is NULL. */
extern const cl_cmd cl_commands[];
extern const cl_cmd cl_config_cmds[];

/* `newmail serve` and `newmail pop3d` (cl_serve.c). */
int cl_serve_run(cl_ctx *ctx, int argc, char **argv);
int cl_pop3d_run(cl_ctx *ctx, int argc, char **argv);
int cl_smtpd_run(cl_ctx *ctx, int argc, char **argv);

/* `newmail ctl stats|loglevel LEVEL|shutdown|reload` (cl_ctl.c): one
 * request over the running server's control channel. */
int cl_ctl_run(cl_ctx *ctx, int argc, char **argv);

/* `newmail queue list|show|flush|delete|hold|release` (cl_queue.c); also
 * the `mailq` personality, which runs it as "queue list". */
int cl_queue_run(cl_ctx *ctx, int argc, char **argv);
extern const cl_cmd cl_queue_cmds[];   /* its subcommands */

/* `newmail dns DOMAIN` and `newmail dns --host NAME` (cl_dns.c): the
 * mail route of a domain, or a host's addresses, as the queue sees them. */
int cl_dns_run(cl_ctx *ctx, int argc, char **argv);

/* `newmail sendmail` (cl_sendmail.c): the sendmail-compatible submission
 * command, also run when the program is installed as `sendmail`. */
int cl_sendmail_run(cl_ctx *ctx, int argc, char **argv);

/* Send one control request line (verb without CRLF, e.g. "FLUSH") to the
 * running server of cfg's store; its reply in reply.  CL_EX_OK for a +OK
 * reply, CL_EX_DATAERR for -ERR, CL_EX_UNAVAILABLE (not reported) when
 * no server runs, else the failure (already reported). */
int cl_ctl_request(const cl_ctx *ctx, cf_config *cfg, const char *verb,
                   char *reply, size_t n);

/* Run the command named by argv[0] (the first word after the global
 * options) with its arguments; argc may be 0 (a usage error).  Handles
 * --help and -h at every level, `help [COMMAND...]`, and unknown names.
 * Returns a CL_EX_* code. */
int cl_dispatch(cl_ctx *ctx, int argc, char **argv);

/* Print the top-level usage with the command list to standard output
 * (to_err = 0) or standard error (1). */
void cl_usage_top(int to_err);

/* Report a usage error about the command at path ("newmail config
 * check"): "PROG: msg ARG" and the command's usage line on standard error.
 * arg may be NULL.  Returns CL_EX_USAGE. */
int cl_usage_error(const cl_ctx *ctx, const char *path, const char *usage,
                   const char *msg, const char *arg);

/* Load the configuration for a command: `file` if not NULL, else
 * ctx->config (-c) if given, else the default file (pl_cfg_default_file)
 * if it exists, else the embedded defaults.  *used_file is the file read,
 * or NULL for the embedded defaults.  On failure the error goes to
 * standard error and the result is the exit code (CL_EX_NOINPUT when the
 * file cannot be opened, CL_EX_CONFIG when it is wrong); else CL_EX_OK. */
int cl_load_config(const cl_ctx *ctx, const char *file, cf_config **out,
                   const char **used_file);

/* Print "PROG: message" on standard error. */
void cl_error(const cl_ctx *ctx, const char *fmt, ...);

/* --- the popstore administrator commands (cl_user.c, cl_domain.c,
 * cl_deliver.c, cl_store.c, cl_mbox.c) --------------------------------- */

extern const cl_cmd cl_user_cmds[];    /* newmail user add|del|...   */
extern const cl_cmd cl_domain_cmds[];  /* newmail domain add|del|list */
extern const cl_cmd cl_store_cmds[];   /* newmail store check|...     */

/* newmail deliver ADDRESS: one message on standard input into NEWMAIL;
 * sysexits status (0 delivered, 67 unknown, 75 try later, ...). */
int cl_deliver_run(cl_ctx *ctx, int argc, char **argv);

/* Messages and CRLF octets in every folder of an open mailbox (the quota
 * usage; WASTEBASKET included).  PL_OK or a store error. */
struct st_mbox;
int cl_mbox_usage(struct st_mbox *mb, pl_u32 *count, pl_u64 *octets);

/* newmail import ADDRESS FILE... / newmail export ADDRESS FOLDER FILE. */
int cl_import_run(cl_ctx *ctx, int argc, char **argv);
int cl_export_run(cl_ctx *ctx, int argc, char **argv);

/* What the store commands open: the configuration, the store root, the
 * account database and the message store (each NULL until opened). */
typedef struct cl_env {
    cf_config *cf;
    pl_dir *root;
    struct au_db *db;
    struct st_store *st;
} cl_env;

/* Load the configuration and open store root, accounts and store (the
 * root is created when missing).  Errors go to standard error; returns a
 * CL_EX_* code, and on failure leaves nothing open. */
int cl_env_open(const cl_ctx *ctx, cl_env *env);
void cl_env_close(cl_env *env);

/* The CL_EX_* code for a PL_E* status of a store or account operation. */
int cl_exit_of(int rc);

/* Check an account address given on the command line BEFORE anything is
 * opened (env NULL: a bare name is checked with a placeholder domain) or
 * resolve it with the default domain (env open).  Fills user and domain
 * (AU_USER_MAX + 1, AU_DOMAIN_MAX + 1) and mbox ("user@domain", at least
 * CL_MBOX_MAX).  PL_EINVAL for a hostile or malformed name. */
#define CL_MBOX_MAX 320
int cl_addr(cl_env *env, const char *arg, char *user, char *domain,
            char *mbox);

/* Option helper: if argv[*i] is `name` (then the value is the next word)
 * or `name=VALUE`, set *val, advance *i past what was used and return 1;
 * -1 when the value is missing; 0 when argv[*i] is another word. */
int cl_opt(int argc, char **argv, int *i, const char *name,
           const char **val);

#endif
