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
    { "user", "manage popstore accounts",
      "COMMAND [ARGS]",
      "Add, delete, list, show and change popstore accounts and set\n"
      "their passwords.\n",
      NULL, cl_user_cmds },
    { "domain", "manage virtual domains",
      "COMMAND [ARGS]",
      "Add, delete and list the popstore's virtual domains.\n",
      NULL, cl_domain_cmds },
    { "deliver", "deliver one message from standard input",
      "[--print-id] ADDRESS",
      "Read one message on standard input and store it durably in the\n"
      "NEWMAIL folder of ADDRESS: a local delivery agent for Postfix\n"
      "pipe(8), procmail and cron.  The bytes are stored as read.\n"
      "\n"
      "Options:\n"
      "  --print-id   print the message's unique id (its UIDL)\n"
      "\n"
      "Exit (sysexits): 0 delivered; 65 empty or too large; 67 unknown\n"
      "address; 73 larger than quota plus overdraft; 74 I/O error;\n"
      "75 try later (over quota, disk full, lock, store unavailable);\n"
      "77 the account has DISMAIL.  Forwarding is not applied here.\n",
      cl_deliver_run, NULL },
    { "store", "check, repair, purge and measure mailboxes",
      "COMMAND [ARGS]",
      "Verify and repair popstore mailboxes, empty WASTEBASKET folders\n"
      "and show usage.\n",
      NULL, cl_store_cmds },
    { "import", "import mbox files or Maildir messages",
      "[--folder FOLDER] [--maildir] ADDRESS FILE...",
      "Import messages into FOLDER (default NEWMAIL) of ADDRESS.\n"
      "Each FILE is an mbox file (mboxrd: '>From ' lines are unquoted),\n"
      "'-' for standard input.  With --maildir each FILE is one message\n"
      "(a Maildir or MH file; ':2,S', 'R', 'F' in its name set seen,\n"
      "answered, marked), and FILE '-' reads the file names, one per\n"
      "line, from standard input:\n"
      "  find ~/Maildir/cur -type f | newmail import --maildir \\\n"
      "      --folder MAIL alice@example.org -\n"
      "Line ends are kept as they are.  Exit: 0, 65 not an mbox file,\n"
      "66 a file cannot be read, 67 no such account.\n",
      cl_import_run, NULL },
    { "export", "export a folder to an mbox file",
      "[--crlf] ADDRESS FOLDER FILE",
      "Write every message of FOLDER of ADDRESS to FILE ('-' for\n"
      "standard output) in mboxrd form: a 'From SENDER DATE' line (from\n"
      "Return-Path and Date), '>' added to every '>*From ' line, CRLF\n"
      "written as LF, an empty line after each message.\n"
      "\n"
      "Options:\n"
      "  --crlf   keep line ends as stored (no CRLF to LF)\n",
      cl_export_run, NULL },
    { "serve", "run the POP3 server (daemon mode)",
      "[--stderr]",
      "Run the multithreaded server in the foreground until SIGTERM: POP3\n"
      "(with STLS) on pop3.listen and POP3 over TLS on pop3s.listen, or on\n"
      "the sockets systemd passes (each matched to a listen address by its\n"
      "port), with one thread per session up to pop3.maximum_threads.\n"
      "Serves popstore accounts.\n"
      "\n"
      "With no configuration file it serves POP3 on 127.0.0.1:2110 and\n"
      "POP3S on 127.0.0.1:2995 from ./newmail-data, creating the store and\n"
      "a self-signed certificate on the first start.\n"
      "\n"
      "The ports are bound first; then a process started as root becomes\n"
      "service.user (one that is not root keeps its identity).\n"
      "SIGTERM: stop accepting, let sessions finish (60 s at most), exit 0.\n"
      "SIGHUP: reload the configuration file and the TLS certificate; new\n"
      "sessions use them.  Listeners, store.root, service.user, hostname\n"
      "and the log destinations change only at a restart.\n"
      "\n"
      "Options:\n"
      "  --stderr  log to standard error whatever log.syslog says\n"
      "\n"
      "Exit (sysexits): 0 after SIGTERM; 69 a port is in use; 77 binding\n"
      "or changing identity not permitted; 78 bad configuration.\n",
      cl_serve_run, NULL },
    { "pop3d", "serve one POP3 session on an inherited connection",
      "--inetd [--tls]",
      "Serve one POP3 session on the connection this process was started\n"
      "for, then exit: per-connection mode under inetd, xinetd, systemd\n"
      "Accept=yes or the OpenVMS auxiliary server.  The configuration is\n"
      "read as for 'serve'; log lines go to the system log (standard error\n"
      "may be the client's socket) and to log.file.  Started as root, the\n"
      "session runs as service.user.  With pop3.system_accounts = yes a\n"
      "USER/PASS login for a name without a popstore account is checked\n"
      "by PAM (pop3.pam_service); the process then becomes that user for\n"
      "good and serves ~/Maildir or /var/mail/USER (read mail to ~/mbox).\n"
      "\n"
      "Options:\n"
      "  --inetd   required: the connection is inherited (descriptor 0, or\n"
      "            the systemd socket)\n"
      "  --tls     POP3 over implicit TLS (the POP3S port, RFC 8314): the\n"
      "            TLS handshake comes before the greeting\n",
      cl_pop3d_run, NULL },
    { "smtpd", "serve one SMTP, submission or LMTP session on an inherited "
      "connection",
      "--inetd [--service smtp|submission|submissions|lmtp]",
      "Serve one session of the SMTP family on the connection this process\n"
      "was started for, then exit: per-connection mode under inetd,\n"
      "xinetd, systemd Accept=yes or the OpenVMS auxiliary server.  The\n"
      "configuration is read as for 'serve'; log lines go to the system\n"
      "log and to log.file.  Mail is delivered into the popstore; mail for\n"
      "other domains is refused until the outbound queue exists.\n"
      "\n"
      "Options:\n"
      "  --inetd             required: the connection is inherited\n"
      "  --service NAME      smtp (default; port 25), submission (587, AUTH\n"
      "                      before MAIL), submissions (465, implicit TLS),\n"
      "                      or lmtp (RFC 2033)\n",
      cl_smtpd_run, NULL },
    { "ctl", "ask the running server for statistics, log level, stop, "
      "reload, flush",
      "stats | loglevel LEVEL | shutdown | reload | flush",
      "Talk to the server started by 'serve' on the same store, over the\n"
      "local control channel in store.root/_CONTROL that only the service\n"
      "account and root (OpenVMS: readers of its token file) may open.\n"
      "\n"
      "  stats            version, log level, start time and uptime,\n"
      "                   sessions now/total/max/refused per service,\n"
      "                   authentication failures, queue counters\n"
      "  loglevel LEVEL   set the log level now: error, warn, notice,\n"
      "                   info or debug (until the next reload or restart)\n"
      "  shutdown         stop gracefully, as SIGTERM does\n"
      "  reload           read the configuration again, as SIGHUP does\n"
      "  flush            make every queued entry due and wake the queue\n"
      "                   runner (as 'newmail queue flush')\n"
      "\n"
      "Exit status: 0 done, 69 no server is running on this store, 77 not\n"
      "allowed, 65 the server refused the request.\n",
      cl_ctl_run, NULL },
    { "queue", "list, show, flush, delete, hold and release queued mail",
      "COMMAND [ARGS]",
      "Look at and manage the outbound queue in store.root/_QUEUE: mail\n"
      "waiting for delivery to other hosts, bounces, and what 'newmail\n"
      "sendmail' wrote.  Changes are made under each entry's lock, so they\n"
      "never race a delivery in progress.  Installed as 'mailq', newmail\n"
      "runs 'newmail queue list'.\n"
      "\n"
      "Exit (sysexits): 0 done; 64 usage; 65 not a queue id or a damaged\n"
      "entry; 66 no such entry; 74 I/O error; 75 the entry is being\n"
      "delivered, try again later; 77 not allowed (run as the service\n"
      "account).\n",
      NULL, cl_queue_cmds },
    { "sendmail", "submit a message from standard input (sendmail "
      "compatible)",
      "[-t] [-i] [-f SENDER] [-F FULLNAME] [-N DSN] [-R RET] [-V ENVID]\n"
      "       [-B TYPE] [-C FILE] [-oX] [-v] [--] [RECIPIENT...]",
      "Read one message on standard input and queue it for delivery to\n"
      "each RECIPIENT (address lists allowed; a bare name gets @hostname).\n"
      "Installed as /usr/sbin/sendmail (a symbolic link to newmail) it is\n"
      "the sendmail of cron, mailx, mutt and PHP; installed as mailq it\n"
      "runs 'newmail queue list'.  Line ends may be LF or CRLF; a bare CR\n"
      "is refused.  From:, Date: and Message-ID: are added when missing;\n"
      "Bcc: is always removed.  Nothing is queued unless every address is\n"
      "valid (RFC 5321 syntax and lengths).\n"
      "\n"
      "The service account (root becomes service.user) writes the queue of\n"
      "store.root and wakes the server (no server running: the mail waits\n"
      "in the queue).  Other users may not write the queue: their message\n"
      "is submitted over SMTP to the first address of smtp.listen, which\n"
      "relays for loopback clients by default.\n"
      "\n"
      "Options:\n"
      "  -t           also take recipients from To:, Cc: and Bcc: (command\n"
      "               line recipients are added, as Postfix does)\n"
      "  -i, -oi      a line with a single dot does not end the message\n"
      "  -f SENDER    envelope sender (also -fSENDER, -r; '<>' for none);\n"
      "               default: the invoking user at the host name\n"
      "  -F FULLNAME  full name for the From: header added when missing\n"
      "  -N DSN       never, or success,failure,delay (RFC 3461 NOTIFY)\n"
      "  -R RET       full or hdrs: what a bounce returns\n"
      "  -V ENVID     envelope id for delivery status notifications\n"
      "  -B TYPE      7BIT or 8BITMIME (default: from the body's bytes)\n"
      "  -C FILE      newmail configuration file (as -c)\n"
      "  -bm          deliver mail (the default); -bp: list the queue\n"
      "  -oX, -U      sendmail options, accepted and ignored\n"
      "  -v           say what happened on standard error\n"
      "  --           end of options\n"
      "\n"
      "Exit (sysexits): 0 queued or submitted; 64 usage; 65 bad message or\n"
      "address; 67 no login name; 69 refused by the SMTP server or no\n"
      "store; 73 the queue entry cannot be created; 75 try again later;\n"
      "78 bad configuration (or service.user does not exist).\n",
      cl_sendmail_run, NULL },
    { "dns", "show the mail route of a domain, or a host's addresses",
      "[--server ADDRESS]... [--self NAME]... DOMAIN | --host NAME",
      "Look up DOMAIN as the outbound queue does: its MX hosts by\n"
      "preference (equal preferences in random order), each with its\n"
      "addresses (A, then AAAA), one line per host: PREF NAME ADDRESS...\n"
      "A domain without MX records is its own host ('implicit').  Hosts\n"
      "named like this host (hostname, --self) and those not better are\n"
      "left out.  With --host, the addresses of NAME alone.  The name\n"
      "servers are dns.servers (else the system's), asked with\n"
      "dns.timeout and dns.attempts; -v logs each exchange.\n"
      "\n"
      "Options:\n"
      "  --server ADDRESS  ask this name server instead (ADDRESS[:PORT],\n"
      "                    [IPV6]:PORT; repeatable)\n"
      "  --self NAME       also treat NAME (a host name or an address) as\n"
      "                    this host (repeatable)\n"
      "  --host            NAME is a host: print its addresses\n"
      "\n"
      "Exit (sysexits): 0 a route; 68 no such domain or host, or no\n"
      "address (mail would bounce); 69 null MX (RFC 7505) or the best MX\n"
      "is this host; 75 try later (timeout, SERVFAIL); 65 not a domain\n"
      "name; 78 bad name server.\n",
      cl_dns_run, NULL },
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
