/*
 * cl_user.c - `newmail user add|del|list|show|set|passwd`: popstore
 * accounts from the command line, plus the helpers every store command
 * shares (opening configuration, store root, accounts and store; checking
 * an address argument before any file is opened; exit codes).
 *
 * Passwords come from one line of standard input (--password-stdin; the
 * line end is stripped) or from two prompts without echo on the terminal
 * (pl_tty_read_secret).  Every password buffer is wiped with ut_wipe and
 * no password is ever printed or logged.  LOCKPWD makes `user passwd`
 * refuse unless the administrator adds --force.
 * Limits: AU_PASS_MAX octets of password; names as in au.h.
 * Privilege: the service account that owns the store (the files are
 * owner-only); run by the administrator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cl.h"
#include "au.h"
#include "st.h"
#include "ut_date.h"
#include "ut_str.h"

static int add_run(cl_ctx *ctx, int argc, char **argv);
static int del_run(cl_ctx *ctx, int argc, char **argv);
static int list_run(cl_ctx *ctx, int argc, char **argv);
static int show_run(cl_ctx *ctx, int argc, char **argv);
static int set_run(cl_ctx *ctx, int argc, char **argv);
static int passwd_run(cl_ctx *ctx, int argc, char **argv);

#define ADD_USAGE "ADDRESS [--password-stdin | --no-password] " \
                  "[--quota SIZE] [--overdraft SIZE] [--flags LIST]"
#define SET_USAGE "ADDRESS [--quota SIZE] [--overdraft SIZE] " \
                  "[--flags LIST] [--add-flags LIST] [--remove-flags LIST] " \
                  "[--forward ADDR[,ADDR...]] [--no-forward] " \
                  "[--keep-copy yes|no]"
#define PW_USAGE "ADDRESS [--password-stdin] [--force] [--expire]"

const cl_cmd cl_user_cmds[] = {
    { "add", "create a popstore account and its mailbox", ADD_USAGE,
      "Create the account ADDRESS (user@domain, or a bare user in the\n"
      "default domain) with an empty mailbox.  A domain that does not\n"
      "exist yet is created (and reported).\n"
      "\n"
      "Options:\n"
      "  --password-stdin  read the password from one line of standard\n"
      "                    input (the line end is removed)\n"
      "  --no-password     create the account without credentials (it\n"
      "                    receives mail but cannot log in)\n"
      "  --quota SIZE      mailbox quota in bytes (K, M, G); 0 = none\n"
      "  --overdraft SIZE  bytes a delivery may go past the quota\n"
      "  --flags LIST      DISUSER,DISMAIL,LOCKPWD,PWDEXPIRED,MANAGE,\n"
      "                    AUTO_PURGE,APOP,CRAM_MD5\n"
      "Without --password-stdin or --no-password the password is asked\n"
      "twice on the terminal without echo.\n"
      "Exit: 0 created, 65 bad name or account exists, 64 usage.\n",
      add_run, NULL },
    { "del", "delete an account and its mail", "[--keep-mail] ADDRESS",
      "Delete the account ADDRESS and every message of its mailbox.\n"
      "Refused (exit 75) while a POP3 session holds the mailbox.\n"
      "\n"
      "Options:\n"
      "  --keep-mail   delete the account only; the mailbox stays (see\n"
      "                newmail store stats / export)\n",
      del_run, NULL },
    { "list", "list accounts", "[DOMAIN...]",
      "Print every account (user@domain, sorted), of all domains or of\n"
      "the domains named.\n",
      list_run, NULL },
    { "show", "show an account", "ADDRESS",
      "Print an account's flags, quota, overdraft, forwarding, counters,\n"
      "which credential forms it holds (never a secret) and its mailbox\n"
      "usage.\n",
      show_run, NULL },
    { "set", "change an account's quota, flags or forwarding", SET_USAGE,
      "Change fields of an account (read-modify-write under its lock).\n"
      "\n"
      "Options:\n"
      "  --quota SIZE, --overdraft SIZE   bytes (K, M, G); quota 0 = none\n"
      "  --flags LIST           replace the flags (\"\" clears them)\n"
      "  --add-flags LIST, --remove-flags LIST\n"
      "  --forward LIST         forwarding targets, comma separated\n"
      "  --no-forward           remove every forwarding target\n"
      "  --keep-copy yes|no     keep a local copy of forwarded mail\n"
      "Forwarding is applied by the SMTP server; `newmail deliver`\n"
      "always stores locally.\n",
      set_run, NULL },
    { "passwd", "set an account's password", PW_USAGE,
      "Set the password of ADDRESS: every credential form is computed\n"
      "again with fresh salts, and PWDEXPIRED is cleared.\n"
      "\n"
      "Options:\n"
      "  --password-stdin  read the password from one line of standard\n"
      "                    input; otherwise it is asked twice without echo\n"
      "  --force           set it even when the account has LOCKPWD (the\n"
      "                    user may not change it; the administrator may)\n"
      "  --expire          set PWDEXPIRED: the user must change it\n"
      "Exit: 77 when LOCKPWD refuses without --force.\n",
      passwd_run, NULL },
    { NULL, NULL, NULL, NULL, NULL, NULL }
};

/* ---- shared helpers ------------------------------------------------ */

int cl_opt(int argc, char **argv, int *i, const char *name,
           const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);

    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        *i += 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *val = argv[*i + 1];
    *i += 2;
    return 1;
}

int cl_exit_of(int rc)
{
    switch (rc) {
    case PL_OK:
        return CL_EX_OK;
    case PL_ENOENT:
        return CL_EX_NOUSER;
    case PL_EINVAL:
    case PL_ERANGE:
        return CL_EX_DATAERR;
    case PL_EACCES:
        return CL_EX_NOPERM;
    case PL_ENOSPC:
    case PL_EAGAIN:
    case PL_ETIMEDOUT:
    case PL_ENOMEM:
        return CL_EX_TEMPFAIL;
    case PL_EEXIST:
    case PL_ENOTDIR:
        return CL_EX_CANTCREAT;
    default:
        return CL_EX_IOERR;
    }
}

int cl_env_open(const cl_ctx *ctx, cl_env *env)
{
    const char *used, *spec;
    st_params sp;
    int rc;

    memset(env, 0, sizeof *env);
    rc = cl_load_config(ctx, NULL, &env->cf, &used);
    if (rc != CL_EX_OK)
        return rc;
    spec = cf_str(env->cf, "store.root");
    if (spec[0] == '\0') {
        cl_error(ctx, "store.root is not set in the configuration");
        cl_env_close(env);
        return CL_EX_CONFIG;
    }
    rc = pl_dir_open_root(spec, PL_DIR_CREATE, &env->root);
    if (rc == PL_OK)
        rc = au_db_open(env->root, PL_DIR_CREATE, &env->db);
    if (rc == PL_OK) {
        memset(&sp, 0, sizeof sp);
        sp.compress = cf_bool(env->cf, "store.compress");
        sp.compress_min = cf_size(env->cf, "store.compress_threshold");
        sp.default_domain = au_db_default_domain(env->db)[0] != '\0' ?
                            au_db_default_domain(env->db) : NULL;
        rc = st_store_open(spec, &sp, &env->st);
    }
    if (rc != PL_OK) {
        char nat[128];
        pl_last_native(nat, sizeof nat);
        cl_error(ctx, "cannot open the store %s: %s (%s)", spec,
                 pl_strerror(rc), nat);
        cl_env_close(env);
        return rc == PL_EACCES ? CL_EX_NOPERM : CL_EX_CANTCREAT;
    }
    return CL_EX_OK;
}

void cl_env_close(cl_env *env)
{
    st_store_close(env->st);
    au_db_close(env->db);
    pl_dir_close(env->root);
    if (env->cf != NULL)
        cf_free(env->cf);
    memset(env, 0, sizeof *env);
}

int cl_addr(cl_env *env, const char *arg, char *user, char *domain,
            char *mbox)
{
    /* Before the database is open a bare name is checked against a
     * placeholder domain, so a hostile name never reaches a file. */
    const char *def = env == NULL ? "placeholder.invalid"
                                  : au_db_default_domain(env->db);
    size_t n = strlen(arg);
    int rc;

    if (def[0] == '\0')
        def = NULL;
    rc = au_addr_parse(arg, n, def, user, domain);
    if (rc != PL_OK)
        return PL_EINVAL;
    if (ut_strlcpy(mbox, user, CL_MBOX_MAX) != PL_OK ||
        ut_strlcat(mbox, "@", CL_MBOX_MAX) != PL_OK ||
        ut_strlcat(mbox, domain, CL_MBOX_MAX) != PL_OK)
        return PL_EINVAL;
    return PL_OK;
}

/* Check and resolve ADDRESS: the name first, then the database.  Returns
 * a CL_EX_* code after reporting; env is open on CL_EX_OK. */
static int open_addr(const cl_ctx *ctx, const char *arg, cl_env *env,
                     char *user, char *domain, char *mbox)
{
    int rc;

    if (cl_addr(NULL, arg, user, domain, mbox) != PL_OK) {
        cl_error(ctx, "invalid account name '%s'", arg);
        return CL_EX_DATAERR;
    }
    rc = cl_env_open(ctx, env);
    if (rc != CL_EX_OK)
        return rc;
    if (cl_addr(env, arg, user, domain, mbox) != PL_OK) {
        cl_error(ctx, "'%s' has no domain and no default domain is set",
                 arg);
        cl_env_close(env);
        return CL_EX_DATAERR;
    }
    return CL_EX_OK;
}

/* Read a password: one line of stdin, or two no-echo prompts.  *len is
 * its length; buf holds AU_PASS_MAX + 2.  Returns a CL_EX_* code. */
static int read_password(const cl_ctx *ctx, int from_stdin, char *buf,
                         size_t *len)
{
    char again[AU_PASS_MAX + 2];
    size_t n;
    int rc;

    *len = 0;
    if (from_stdin) {
        if (fgets(buf, AU_PASS_MAX + 2, stdin) == NULL) {
            cl_error(ctx, "no password on standard input");
            return CL_EX_DATAERR;
        }
        n = strlen(buf);
        if (n > 0 && buf[n - 1] == '\n')
            buf[--n] = '\0';
        else if (n > AU_PASS_MAX) {
            ut_wipe(buf, AU_PASS_MAX + 2);
            cl_error(ctx, "password longer than %d octets", AU_PASS_MAX);
            return CL_EX_DATAERR;
        }
        if (n > 0 && buf[n - 1] == '\r')
            buf[--n] = '\0';
    } else {
        rc = pl_tty_read_secret("New password: ", buf, AU_PASS_MAX + 2);
        if (rc == PL_OK)
            rc = pl_tty_read_secret("Again: ", again, sizeof again);
        if (rc == PL_ENOTSUP) {
            cl_error(ctx, "standard input is not a terminal: use "
                     "--password-stdin");
            return CL_EX_USAGE;
        }
        if (rc != PL_OK) {
            ut_wipe(buf, AU_PASS_MAX + 2);
            ut_wipe(again, sizeof again);
            cl_error(ctx, "cannot read the password: %s", pl_strerror(rc));
            return CL_EX_IOERR;
        }
        rc = strcmp(buf, again) == 0;
        ut_wipe(again, sizeof again);
        if (!rc) {
            ut_wipe(buf, AU_PASS_MAX + 2);
            cl_error(ctx, "the passwords differ");
            return CL_EX_DATAERR;
        }
        n = strlen(buf);
    }
    if (n == 0 || n > AU_PASS_MAX) {
        ut_wipe(buf, AU_PASS_MAX + 2);
        cl_error(ctx, "a password has 1 to %d octets", AU_PASS_MAX);
        return CL_EX_DATAERR;
    }
    *len = n;
    return CL_EX_OK;
}

static int size_arg(const cl_ctx *ctx, const char *opt, const char *v,
                    pl_u64 *out)
{
    if (cf_parse_size(v, out) != PL_OK) {
        cl_error(ctx, "bad size for %s: '%s'", opt, v);
        return CL_EX_USAGE;
    }
    return CL_EX_OK;
}

static int flags_arg(const cl_ctx *ctx, const char *opt, const char *v,
                     unsigned *out)
{
    if (au_flags_parse(v, out) != PL_OK) {
        cl_error(ctx, "bad flag list for %s: '%s'", opt, v);
        return CL_EX_USAGE;
    }
    return CL_EX_OK;
}

/* ---- add ----------------------------------------------------------- */

static int add_run(cl_ctx *ctx, int argc, char **argv)
{
    static const char path[] = "newmail user add";
    char user[AU_USER_MAX + 1], domain[AU_DOMAIN_MAX + 1];
    char mbox[CL_MBOX_MAX], pw[AU_PASS_MAX + 2];
    const char *addr = NULL, *v;
    int i = 1, pw_stdin = 0, no_pw = 0, rc, m;
    pl_u64 quota = 0, over = 0;
    unsigned flags = 0;
    au_account a;
    cl_env env;
    st_mbox *mb;
    size_t pwn = 0;

    while (i < argc) {
        if (strcmp(argv[i], "--password-stdin") == 0) {
            pw_stdin = 1;
            i++;
        } else if (strcmp(argv[i], "--no-password") == 0) {
            no_pw = 1;
            i++;
        } else if ((m = cl_opt(argc, argv, &i, "--quota", &v)) != 0) {
            if (m < 0 || (rc = size_arg(ctx, "--quota", v, &quota)) != 0)
                return cl_usage_error(ctx, path, ADD_USAGE,
                                      "bad --quota", NULL);
        } else if ((m = cl_opt(argc, argv, &i, "--overdraft", &v)) != 0) {
            if (m < 0 || (rc = size_arg(ctx, "--overdraft", v, &over)) != 0)
                return cl_usage_error(ctx, path, ADD_USAGE,
                                      "bad --overdraft", NULL);
        } else if ((m = cl_opt(argc, argv, &i, "--flags", &v)) != 0) {
            if (m < 0 || (rc = flags_arg(ctx, "--flags", v, &flags)) != 0)
                return cl_usage_error(ctx, path, ADD_USAGE,
                                      "bad --flags", NULL);
        } else if (argv[i][0] == '-') {
            return cl_usage_error(ctx, path, ADD_USAGE, "unknown option",
                                  argv[i]);
        } else if (addr == NULL) {
            addr = argv[i++];
        } else {
            return cl_usage_error(ctx, path, ADD_USAGE, "too many arguments:",
                                  argv[i]);
        }
    }
    if (addr == NULL)
        return cl_usage_error(ctx, path, ADD_USAGE, "missing ADDRESS", NULL);
    if (pw_stdin && no_pw)
        return cl_usage_error(ctx, path, ADD_USAGE, "--password-stdin and "
                              "--no-password exclude each other", NULL);
    rc = open_addr(ctx, addr, &env, user, domain, mbox);
    if (rc != CL_EX_OK)
        return rc;
    au_account_init(&a, user, domain);
    a.flags = flags;
    a.quota = quota;
    a.overdraft = over;
    if (!no_pw) {
        rc = read_password(ctx, pw_stdin, pw, &pwn);
        if (rc != CL_EX_OK) {
            cl_env_close(&env);
            return rc;
        }
        m = au_cred_set(&a, pw, pwn);
        ut_wipe(pw, sizeof pw);
        if (m != PL_OK) {
            au_account_wipe(&a);
            cl_env_close(&env);
            cl_error(ctx, "cannot compute credentials: %s", pl_strerror(m));
            return CL_EX_SOFTWARE;
        }
    }
    m = au_domain_exists(env.db, domain);
    if (m == PL_ENOENT) {
        m = au_domain_add(env.db, domain);
        if (m == PL_OK || m == PL_EEXIST) {
            printf("created domain %s\n", domain);
            m = PL_OK;
        }
    }
    if (m == PL_OK)
        m = au_db_add(env.db, &a);
    au_account_wipe(&a);
    if (m == PL_EEXIST) {
        cl_error(ctx, "account %s exists", mbox);
        cl_env_close(&env);
        return CL_EX_DATAERR;
    }
    /* The mailbox exists from the start, so a POP3 login before the first
     * message sees an empty NEWMAIL rather than an error. */
    if (m == PL_OK && (m = st_mbox_open(env.st, mbox, ST_OPEN_CREATE, &mb))
        == PL_OK)
        st_mbox_close(mb);
    if (m != PL_OK) {
        cl_error(ctx, "cannot add %s: %s", mbox, pl_strerror(m));
        cl_env_close(&env);
        return cl_exit_of(m);
    }
    printf("added %s\n", mbox);
    cl_env_close(&env);
    return fflush(stdout) == 0 ? CL_EX_OK : CL_EX_IOERR;
}

/* ---- del ----------------------------------------------------------- */

typedef struct fl_list {
    char (*name)[ST_NAME_BUF];
    size_t n, cap;
} fl_list;

static int fl_cb(void *ctx, const char *name)
{
    fl_list *l = (fl_list *)ctx;

    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 8;
        char (*nv)[ST_NAME_BUF] =
            (char (*)[ST_NAME_BUF])realloc(l->name, ncap * ST_NAME_BUF);
        if (nv == NULL)
            return 1;
        l->name = nv;
        l->cap = ncap;
    }
    ut_strlcpy(l->name[l->n++], name, ST_NAME_BUF);
    return 0;
}

/* Remove every message of every folder: delete to WASTEBASKET, purge. */
static int empty_mailbox(st_mbox *mb, pl_u32 *removed)
{
    fl_list l;
    st_folder *f;
    pl_u32 k, n;
    size_t i;
    int rc;

    memset(&l, 0, sizeof l);
    rc = st_mbox_folders(mb, fl_cb, &l);
    if (rc > 0)
        rc = PL_ENOMEM;
    for (i = 0; rc == PL_OK && i < l.n; i++) {
        if (strcmp(l.name[i], ST_WASTEBASKET) == 0)
            continue;
        rc = st_folder_select(mb, l.name[i], &f);
        if (rc != PL_OK)
            break;
        n = st_folder_count(f);
        for (k = 0; rc == PL_OK && k < n; k++)
            rc = st_msg_delete(f, k);
        if (rc == PL_OK)
            rc = st_folder_commit(f);
        st_folder_close(f);
    }
    free(l.name);
    if (rc == PL_OK)
        rc = st_mbox_purge(mb, removed);
    return rc;
}

static int del_run(cl_ctx *ctx, int argc, char **argv)
{
    static const char path[] = "newmail user del";
    static const char usage[] = "[--keep-mail] ADDRESS";
    char user[AU_USER_MAX + 1], domain[AU_DOMAIN_MAX + 1];
    char mbox[CL_MBOX_MAX];
    const char *addr = NULL;
    int i, keep = 0, rc;
    pl_u32 removed = 0;
    au_account a;
    cl_env env;
    st_mbox *mb = NULL;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep-mail") == 0)
            keep = 1;
        else if (argv[i][0] == '-')
            return cl_usage_error(ctx, path, usage, "unknown option",
                                  argv[i]);
        else if (addr == NULL)
            addr = argv[i];
        else
            return cl_usage_error(ctx, path, usage, "too many arguments:",
                                  argv[i]);
    }
    if (addr == NULL)
        return cl_usage_error(ctx, path, usage, "missing ADDRESS", NULL);
    rc = open_addr(ctx, addr, &env, user, domain, mbox);
    if (rc != CL_EX_OK)
        return rc;
    rc = au_db_get(env.db, user, domain, &a) == PL_ENOENT ? PL_ENOENT
         : PL_OK;
    au_account_wipe(&a);
    if (rc == PL_OK && !keep) {
        rc = st_mbox_open(env.st, mbox, 0, &mb);
        if (rc == PL_ENOENT) {
            rc = PL_OK;            /* no mailbox: nothing to empty */
        } else if (rc == PL_OK) {
            /* Holding the in-use lock keeps POP3 out while mail goes. */
            rc = st_mbox_lock(mb);
            if (rc == PL_EAGAIN)
                cl_error(ctx, "%s is in use by a POP3 session; try later",
                         mbox);
            else if (rc == PL_OK)
                rc = empty_mailbox(mb, &removed);
        }
    }
    if (rc == PL_OK)
        rc = au_db_del(env.db, user, domain);
    st_mbox_close(mb);
    if (rc == PL_ENOENT) {
        cl_error(ctx, "no account %s", mbox);
    } else if (rc != PL_OK && rc != PL_EAGAIN) {
        cl_error(ctx, "cannot delete %s: %s", mbox, pl_strerror(rc));
    } else if (rc == PL_OK) {
        char num[24];
        num[ut_u64_to_dec(num, removed)] = '\0';
        if (keep)
            printf("deleted %s (mailbox kept)\n", mbox);
        else
            printf("deleted %s and %s messages\n", mbox, num);
    }
    cl_env_close(&env);
    return cl_exit_of(rc);
}

/* ---- list ---------------------------------------------------------- */

typedef struct names {
    char **v;
    size_t n, cap;
    const char *domain;      /* appended as "@domain" when not NULL */
    int rc;
} names;

static int names_cb(void *ctx, const char *name)
{
    names *ns = (names *)ctx;
    size_t len;
    char *s;

    if (ns->n == ns->cap) {
        size_t ncap = ns->cap ? ns->cap * 2 : 64;
        char **nv = (char **)realloc(ns->v, ncap * sizeof *nv);
        if (nv == NULL) {
            ns->rc = PL_ENOMEM;
            return 1;
        }
        ns->v = nv;
        ns->cap = ncap;
    }
    len = strlen(name) + (ns->domain ? strlen(ns->domain) + 1 : 0) + 1;
    s = (char *)malloc(len);
    if (s == NULL) {
        ns->rc = PL_ENOMEM;
        return 1;
    }
    ut_strlcpy(s, name, len);
    if (ns->domain != NULL) {
        ut_strlcat(s, "@", len);
        ut_strlcat(s, ns->domain, len);
    }
    ns->v[ns->n++] = s;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(names *ns)
{
    size_t k;

    for (k = 0; k < ns->n; k++)
        free(ns->v[k]);
    free(ns->v);
    memset(ns, 0, sizeof *ns);
}

static int list_run(cl_ctx *ctx, int argc, char **argv)
{
    names doms, users;
    cl_env env;
    size_t k;
    int i, rc;

    for (i = 1; i < argc; i++) {
        if (argv[i][0] == '-' || au_name_check_domain(argv[i]) != PL_OK)
            return cl_usage_error(ctx, "newmail user list", "[DOMAIN...]",
                                  "not a domain:", argv[i]);
    }
    rc = cl_env_open(ctx, &env);
    if (rc != CL_EX_OK)
        return rc;
    memset(&doms, 0, sizeof doms);
    memset(&users, 0, sizeof users);
    if (argc > 1) {
        for (i = 1; i < argc; i++)
            names_cb(&doms, argv[i]);
        rc = doms.rc;
    } else {
        rc = au_domain_list(env.db, names_cb, &doms);
        if (rc == PL_OK || rc > 0)
            rc = doms.rc;
    }
    for (k = 0; rc == PL_OK && k < doms.n; k++) {
        users.domain = doms.v[k];
        rc = au_db_list(env.db, doms.v[k], names_cb, &users);
        if (rc > 0)
            rc = users.rc;
        if (rc == PL_ENOENT && argc > 1) {
            cl_error(ctx, "no domain %s", doms.v[k]);
            rc = PL_OK;
        }
    }
    if (rc == PL_OK) {
        qsort(users.v, users.n, sizeof *users.v, cmp_str);
        for (k = 0; k < users.n; k++)
            puts(users.v[k]);
    } else {
        cl_error(ctx, "cannot list accounts: %s", pl_strerror(rc));
    }
    names_free(&doms);
    names_free(&users);
    cl_env_close(&env);
    if (rc == PL_OK && fflush(stdout) != 0)
        rc = PL_EIO;
    return rc == PL_OK ? CL_EX_OK : CL_EX_IOERR;
}

/* ---- show ---------------------------------------------------------- */

static void show_u64(const char *label, pl_u64 v)
{
    char num[24];

    num[ut_u64_to_dec(num, v)] = '\0';
    printf("%-16s %s\n", label, num);
}

static void show_time(const char *label, pl_i64 t)
{
    char buf[40];

    if (t <= 0 || ut_date_rfc5322(t, 0, buf, sizeof buf) != PL_OK)
        printf("%-16s never\n", label);
    else
        printf("%-16s %s\n", label, buf);
}

static int show_run(cl_ctx *ctx, int argc, char **argv)
{
    char user[AU_USER_MAX + 1], domain[AU_DOMAIN_MAX + 1];
    char mbox[CL_MBOX_MAX], fl[128];
    au_account a;
    cl_env env;
    st_mbox *mb;
    pl_u32 cnt = 0;
    pl_u64 oct = 0;
    int k, rc;

    if (argc != 2 || argv[1][0] == '-')
        return cl_usage_error(ctx, "newmail user show", "ADDRESS",
                              argc < 2 ? "missing ADDRESS" : "bad arguments",
                              NULL);
    rc = open_addr(ctx, argv[1], &env, user, domain, mbox);
    if (rc != CL_EX_OK)
        return rc;
    rc = au_db_get(env.db, user, domain, &a);
    if (rc != PL_OK) {
        cl_error(ctx, rc == PL_ENOENT ? "no account %s"
                 : "cannot read %s: %s", mbox, pl_strerror(rc));
        cl_env_close(&env);
        return cl_exit_of(rc);
    }
    au_flags_format(a.flags, fl, sizeof fl);
    printf("%-16s %s\n", "account", mbox);
    printf("%-16s %s\n", "flags", fl[0] ? fl : "-");
    show_u64("quota", a.quota);
    show_u64("overdraft", a.overdraft);
    for (k = 0; k < a.fwd_n; k++)
        printf("%-16s %s\n", "forward", a.fwd[k]);
    printf("%-16s %s\n", "keep_copy", a.fwd_keep ? "yes" : "no");
    show_u64("rx_msgs", a.rx_msgs);
    show_u64("rx_bytes", a.rx_bytes);
    show_u64("connects", a.connects);
    show_time("last_connect", a.last_connect);
    show_time("last_disconnect", a.last_disconnect);
    show_time("created", a.created);
    show_time("pwd_changed", a.pwd_changed);
    printf("%-16s%s%s%s%s%s\n", "credentials",
           a.cred.have ? "" : " none",
           (a.cred.have & AU_C_PBKDF2) ? " pbkdf2-sha256" : "",
           (a.cred.have & AU_C_SCRAM) ? " scram-sha-256" : "",
           (a.cred.have & AU_C_DIGEST) ? " digest-md5" : "",
           (a.cred.have & AU_C_SECRET) ? " secret(apop/cram-md5)" : "");
    au_account_wipe(&a);
    if (st_mbox_open(env.st, mbox, 0, &mb) == PL_OK) {
        if (st_mbox_newcount(mb, &cnt, &oct) == PL_OK) {
            show_u64("newmail_msgs", cnt);
            show_u64("newmail_bytes", oct);
        }
        st_mbox_close(mb);
    } else {
        printf("%-16s none\n", "mailbox");
    }
    cl_env_close(&env);
    return fflush(stdout) == 0 ? CL_EX_OK : CL_EX_IOERR;
}

/* ---- set ----------------------------------------------------------- */

typedef struct set_req {
    int has_quota, has_over, has_flags, has_fwd, has_keep;
    pl_u64 quota, over;
    unsigned flags, add, remove;
    int keep;
    const char *fwd;          /* comma list, "" for none */
    int rc_detail;            /* PL_EINVAL: bad forward target */
} set_req;

static int set_apply(void *ctx, au_account *a)
{
    set_req *r = (set_req *)ctx;
    char buf[AU_FWD_ADDR_MAX + 1];
    const char *p, *e;
    size_t len;

    if (r->has_quota)
        a->quota = r->quota;
    if (r->has_over)
        a->overdraft = r->over;
    if (r->has_flags)
        a->flags = r->flags;
    a->flags = (a->flags | r->add) & ~r->remove;
    if (r->has_keep)
        a->fwd_keep = r->keep;
    if (r->has_fwd) {
        a->fwd_n = 0;
        for (p = r->fwd; *p != '\0'; p = *e ? e + 1 : e) {
            e = strchr(p, ',');
            if (e == NULL)
                e = p + strlen(p);
            len = (size_t)(e - p);
            if (a->fwd_n >= AU_FWD_MAX ||
                ut_memtostr(buf, sizeof buf, p, len) != PL_OK ||
                au_fwd_check(buf) != PL_OK) {
                r->rc_detail = PL_EINVAL;
                return PL_EINVAL;
            }
            ut_strlcpy(a->fwd[a->fwd_n++], buf, AU_FWD_ADDR_MAX + 1);
        }
    }
    return PL_OK;
}

static int set_run(cl_ctx *ctx, int argc, char **argv)
{
    static const char path[] = "newmail user set";
    char user[AU_USER_MAX + 1], domain[AU_DOMAIN_MAX + 1];
    char mbox[CL_MBOX_MAX];
    const char *addr = NULL, *v;
    set_req r;
    cl_env env;
    int i = 1, m, rc, changes = 0;

    memset(&r, 0, sizeof r);
    while (i < argc) {
        rc = CL_EX_OK;
        if ((m = cl_opt(argc, argv, &i, "--quota", &v)) != 0) {
            r.has_quota = 1;
            rc = m < 0 ? CL_EX_USAGE : size_arg(ctx, "--quota", v, &r.quota);
        } else if ((m = cl_opt(argc, argv, &i, "--overdraft", &v)) != 0) {
            r.has_over = 1;
            rc = m < 0 ? CL_EX_USAGE : size_arg(ctx, "--overdraft", v,
                                                &r.over);
        } else if ((m = cl_opt(argc, argv, &i, "--flags", &v)) != 0) {
            r.has_flags = 1;
            rc = m < 0 ? CL_EX_USAGE : flags_arg(ctx, "--flags", v,
                                                 &r.flags);
        } else if ((m = cl_opt(argc, argv, &i, "--add-flags", &v)) != 0) {
            rc = m < 0 ? CL_EX_USAGE : flags_arg(ctx, "--add-flags", v,
                                                 &r.add);
        } else if ((m = cl_opt(argc, argv, &i, "--remove-flags", &v)) != 0) {
            rc = m < 0 ? CL_EX_USAGE : flags_arg(ctx, "--remove-flags", v,
                                                 &r.remove);
        } else if ((m = cl_opt(argc, argv, &i, "--forward", &v)) != 0) {
            r.has_fwd = 1;
            r.fwd = v;
            rc = m < 0 ? CL_EX_USAGE : CL_EX_OK;
        } else if (strcmp(argv[i], "--no-forward") == 0) {
            r.has_fwd = 1;
            r.fwd = "";
            i++;
            m = 1;
        } else if ((m = cl_opt(argc, argv, &i, "--keep-copy", &v)) != 0) {
            r.has_keep = 1;
            rc = m < 0 || cf_parse_bool(v, &r.keep) != PL_OK ? CL_EX_USAGE
                                                             : CL_EX_OK;
        } else if (argv[i][0] == '-') {
            return cl_usage_error(ctx, path, SET_USAGE, "unknown option",
                                  argv[i]);
        } else if (addr == NULL) {
            addr = argv[i++];
            m = 0;
        } else {
            return cl_usage_error(ctx, path, SET_USAGE,
                                  "too many arguments:", argv[i]);
        }
        if (rc != CL_EX_OK)
            return cl_usage_error(ctx, path, SET_USAGE, "bad option value",
                                  NULL);
        changes += m > 0;
    }
    if (addr == NULL || changes == 0)
        return cl_usage_error(ctx, path, SET_USAGE, addr == NULL ?
                              "missing ADDRESS" : "nothing to change", NULL);
    rc = open_addr(ctx, addr, &env, user, domain, mbox);
    if (rc != CL_EX_OK)
        return rc;
    rc = au_db_update(env.db, user, domain, set_apply, &r);
    if (rc == PL_OK)
        printf("updated %s\n", mbox);
    else if (rc == PL_ENOENT)
        cl_error(ctx, "no account %s", mbox);
    else if (r.rc_detail == PL_EINVAL)
        cl_error(ctx, "bad forwarding list '%s' (at most %d addresses "
                 "local@domain)", r.fwd, AU_FWD_MAX);
    else
        cl_error(ctx, "cannot update %s: %s", mbox, pl_strerror(rc));
    cl_env_close(&env);
    return cl_exit_of(rc);
}

/* ---- passwd -------------------------------------------------------- */

typedef struct pw_req {
    const char *pw;
    size_t n;
    int force, expire;
    int locked;               /* refused by LOCKPWD */
} pw_req;

static int pw_apply(void *ctx, au_account *a)
{
    pw_req *r = (pw_req *)ctx;

    if ((a->flags & AU_F_LOCKPWD) && !r->force) {
        r->locked = 1;
        return PL_EACCES;
    }
    if (r->expire)
        a->flags |= AU_F_PWDEXPIRED;
    else
        a->flags &= ~(unsigned)AU_F_PWDEXPIRED;
    return au_cred_set(a, r->pw, r->n);
}

static int passwd_run(cl_ctx *ctx, int argc, char **argv)
{
    static const char path[] = "newmail user passwd";
    char user[AU_USER_MAX + 1], domain[AU_DOMAIN_MAX + 1];
    char mbox[CL_MBOX_MAX], pw[AU_PASS_MAX + 2];
    const char *addr = NULL;
    int i, pw_stdin = 0, rc;
    pw_req r;
    cl_env env;

    memset(&r, 0, sizeof r);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--password-stdin") == 0)
            pw_stdin = 1;
        else if (strcmp(argv[i], "--force") == 0)
            r.force = 1;
        else if (strcmp(argv[i], "--expire") == 0)
            r.expire = 1;
        else if (argv[i][0] == '-')
            return cl_usage_error(ctx, path, PW_USAGE, "unknown option",
                                  argv[i]);
        else if (addr == NULL)
            addr = argv[i];
        else
            return cl_usage_error(ctx, path, PW_USAGE, "too many arguments:",
                                  argv[i]);
    }
    if (addr == NULL)
        return cl_usage_error(ctx, path, PW_USAGE, "missing ADDRESS", NULL);
    rc = open_addr(ctx, addr, &env, user, domain, mbox);
    if (rc != CL_EX_OK)
        return rc;
    rc = read_password(ctx, pw_stdin, pw, &r.n);
    if (rc != CL_EX_OK) {
        cl_env_close(&env);
        return rc;
    }
    r.pw = pw;
    rc = au_db_update(env.db, user, domain, pw_apply, &r);
    ut_wipe(pw, sizeof pw);
    if (rc == PL_OK)
        printf("password set for %s\n", mbox);
    else if (r.locked)
        cl_error(ctx, "%s has LOCKPWD: the password may not be changed "
                 "(use --force as the administrator)", mbox);
    else if (rc == PL_ENOENT)
        cl_error(ctx, "no account %s", mbox);
    else
        cl_error(ctx, "cannot set the password of %s: %s", mbox,
                 pl_strerror(rc));
    cl_env_close(&env);
    return cl_exit_of(rc);
}
