/*
 * cl_store.c - `newmail store check [--repair] [ADDRESS...]`, `store
 * repair [ADDRESS...]`, `store purge ADDRESS...|--all` and `store stats
 * [ADDRESS...]`: verification, repair, WASTEBASKET purging and usage of
 * popstore mailboxes (doc/store-format.md, "Recovery and checking").
 *
 * Without ADDRESS the commands walk every account of every domain (the
 * account database is the list of mailboxes: a mailbox kept after its
 * account was deleted is named explicitly).  check reads every message;
 * repair fixes what st_recover_check can fix and then checks again, so
 * its exit status says whether problems remain (0 none, 65 some).
 * Orphaned temporary files count only once older than ST_TMP_ORPHAN_SECS
 * (a younger one may be a delivery in progress).
 * Limits: memory of the list of account names plus one folder.
 * Privilege: the service account that owns the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cl.h"
#include "au.h"
#include "st.h"
#include "ut_str.h"

static int check_run(cl_ctx *ctx, int argc, char **argv);
static int repair_run(cl_ctx *ctx, int argc, char **argv);
static int purge_run(cl_ctx *ctx, int argc, char **argv);
static int stats_run(cl_ctx *ctx, int argc, char **argv);

const cl_cmd cl_store_cmds[] = {
    { "check", "verify mailboxes (and repair them)",
      "[--repair] [ADDRESS...]",
      "Verify every message (size and line count against its contents,\n"
      "compressed data), every folder index against its files, duplicate\n"
      "ids and orphaned temporary files older than 36 hours, for the\n"
      "mailboxes named or for every account.  One line per problem:\n"
      "ADDRESS: FOLDER/FILE: what.\n"
      "\n"
      "Options:\n"
      "  --repair   fix what can be fixed (rename files to their true\n"
      "             size, set unreadable ones aside as <ID>.BAD, rebuild\n"
      "             indexes, reap orphans), then check again\n"
      "Exit: 0 no problem (left), 65 problems found (or left), 67 no\n"
      "such mailbox, 74 I/O error.\n",
      check_run, NULL },
    { "repair", "repair mailboxes (store check --repair)", "[ADDRESS...]",
      "The same as 'newmail store check --repair'.\n",
      repair_run, NULL },
    { "purge", "empty WASTEBASKET", "ADDRESS... | --all",
      "Remove every message in the WASTEBASKET folder of the mailboxes\n"
      "named, or of every account with --all.\n",
      purge_run, NULL },
    { "stats", "show mailbox usage", "[ADDRESS...]",
      "Print the messages and octets (CRLF sizes, as POP3 counts them) of\n"
      "each folder of the mailboxes named, or one line per account and a\n"
      "total without ADDRESS.\n",
      stats_run, NULL },
    { NULL, NULL, NULL, NULL, NULL, NULL }
};

typedef struct mlist {
    char **v;
    size_t n, cap;
    const char *domain;
    int rc;
} mlist;

static int ml_add(mlist *l, const char *a, const char *b)
{
    size_t len = strlen(a) + (b != NULL ? strlen(b) + 1 : 0) + 1;
    char *s;

    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        char **nv = (char **)realloc(l->v, ncap * sizeof *nv);
        if (nv == NULL)
            return PL_ENOMEM;
        l->v = nv;
        l->cap = ncap;
    }
    s = (char *)malloc(len);
    if (s == NULL)
        return PL_ENOMEM;
    ut_strlcpy(s, a, len);
    if (b != NULL) {
        ut_strlcat(s, "@", len);
        ut_strlcat(s, b, len);
    }
    l->v[l->n++] = s;
    return PL_OK;
}

static int ml_cb(void *ctx, const char *name)
{
    mlist *l = (mlist *)ctx;

    l->rc = ml_add(l, name, l->domain);
    return l->rc != PL_OK;
}

static void ml_free(mlist *l)
{
    size_t k;

    for (k = 0; k < l->n; k++)
        free(l->v[k]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int ml_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every account "user@domain", sorted. */
static int all_accounts(cl_env *env, mlist *out)
{
    mlist doms;
    size_t k;
    int rc;

    memset(&doms, 0, sizeof doms);
    rc = au_domain_list(env->db, ml_cb, &doms);
    if (rc > 0)
        rc = doms.rc;
    for (k = 0; rc == PL_OK && k < doms.n; k++) {
        out->domain = doms.v[k];
        rc = au_db_list(env->db, doms.v[k], ml_cb, out);
        if (rc > 0)
            rc = out->rc;
    }
    out->domain = NULL;
    ml_free(&doms);
    if (rc == PL_OK)
        qsort(out->v, out->n, sizeof *out->v, ml_cmp);
    return rc;
}

/* The mailboxes to work on: the arguments (each checked before anything
 * is opened, then resolved) or every account.  Returns a CL_EX_* code;
 * env is open on CL_EX_OK. */
static int targets(const cl_ctx *ctx, char **args, int n, cl_env *env,
                   mlist *out)
{
    char user[AU_USER_MAX + 1], domain[AU_DOMAIN_MAX + 1];
    char mbox[CL_MBOX_MAX];
    int i, rc;

    memset(out, 0, sizeof *out);
    for (i = 0; i < n; i++) {
        if (cl_addr(NULL, args[i], user, domain, mbox) != PL_OK) {
            cl_error(ctx, "invalid account name '%s'", args[i]);
            return CL_EX_DATAERR;
        }
    }
    rc = cl_env_open(ctx, env);
    if (rc != CL_EX_OK)
        return rc;
    rc = PL_OK;
    for (i = 0; rc == PL_OK && i < n; i++) {
        if (cl_addr(env, args[i], user, domain, mbox) != PL_OK) {
            cl_error(ctx, "'%s' has no domain and no default domain is set",
                     args[i]);
            ml_free(out);
            cl_env_close(env);
            return CL_EX_DATAERR;
        }
        rc = ml_add(out, mbox, NULL);
    }
    if (rc == PL_OK && n == 0)
        rc = all_accounts(env, out);
    if (rc != PL_OK) {
        cl_error(ctx, "cannot list the accounts: %s", pl_strerror(rc));
        ml_free(out);
        cl_env_close(env);
        return CL_EX_IOERR;
    }
    return CL_EX_OK;
}

typedef struct rep_ctx {
    const char *mbox;
} rep_ctx;

static void rep_line(void *ctx, const char *line)
{
    printf("%s: %s\n", ((rep_ctx *)ctx)->mbox, line);
}

static int do_check(cl_ctx *ctx, char **args, int n, int repair)
{
    mlist l;
    cl_env env;
    st_mbox *mb;
    rep_ctx rc_;
    pl_u32 problems, total = 0, left = 0;
    size_t k;
    int rc, ex = CL_EX_OK;

    rc = targets(ctx, args, n, &env, &l);
    if (rc != CL_EX_OK)
        return rc;
    for (k = 0; k < l.n; k++) {
        rc_.mbox = l.v[k];
        rc = st_mbox_open(env.st, l.v[k], 0, &mb);
        if (rc == PL_ENOENT) {
            if (n > 0) {
                cl_error(ctx, "%s: no mailbox", l.v[k]);
                ex = CL_EX_NOUSER;
            }
            continue;
        }
        if (rc == PL_OK)
            rc = st_recover_check(mb, repair, rep_line, &rc_, &problems);
        if (rc == PL_OK) {
            total += problems;
            if (repair && problems > 0) {
                /* Judge the repair by a fresh check. */
                rc = st_recover_check(mb, 0, NULL, NULL, &problems);
                left += problems;
            }
        }
        st_mbox_close(mb);
        if (rc != PL_OK) {
            cl_error(ctx, "%s: check failed: %s", l.v[k], pl_strerror(rc));
            ex = CL_EX_IOERR;
        }
    }
    {
        char a[24], b[24], c[24];
        a[ut_u64_to_dec(a, l.n)] = '\0';
        b[ut_u64_to_dec(b, total)] = '\0';
        c[ut_u64_to_dec(c, left)] = '\0';
        if (repair)
            printf("%s mailboxes, %s problems, %s left after repair\n",
                   a, b, c);
        else
            printf("%s mailboxes, %s problems\n", a, b);
    }
    if (ex == CL_EX_OK && (repair ? left : total) > 0)
        ex = CL_EX_DATAERR;
    ml_free(&l);
    cl_env_close(&env);
    if (fflush(stdout) != 0 && ex == CL_EX_OK)
        ex = CL_EX_IOERR;
    return ex;
}

/* Move the non-option words of argv[1..] to the front of args. */
static int split_args(cl_ctx *ctx, const char *path, const char *usage,
                      int argc, char **argv, const char *flag, int *flag_set,
                      char **args)
{
    int i, n = 0;

    for (i = 1; i < argc; i++) {
        if (flag != NULL && strcmp(argv[i], flag) == 0)
            *flag_set = 1;
        else if (argv[i][0] == '-')
            return -cl_usage_error(ctx, path, usage, "unknown option",
                                   argv[i]);
        else
            args[n++] = argv[i];
    }
    return n;
}

static int check_run(cl_ctx *ctx, int argc, char **argv)
{
    int repair = 0, n;

    n = split_args(ctx, "newmail store check", "[--repair] [ADDRESS...]",
                   argc, argv, "--repair", &repair, argv);
    if (n < 0)
        return -n;
    return do_check(ctx, argv, n, repair);
}

static int repair_run(cl_ctx *ctx, int argc, char **argv)
{
    int n = split_args(ctx, "newmail store repair", "[ADDRESS...]", argc,
                       argv, NULL, NULL, argv);

    if (n < 0)
        return -n;
    return do_check(ctx, argv, n, 1);
}

static int purge_run(cl_ctx *ctx, int argc, char **argv)
{
    static const char usage[] = "ADDRESS... | --all";
    mlist l;
    cl_env env;
    st_mbox *mb;
    pl_u32 removed;
    size_t k;
    int all = 0, n, rc, ex = CL_EX_OK;
    char num[24];

    n = split_args(ctx, "newmail store purge", usage, argc, argv, "--all",
                   &all, argv);
    if (n < 0)
        return -n;
    if ((n == 0) == (all == 0))
        return cl_usage_error(ctx, "newmail store purge", usage, n == 0 ?
                              "missing ADDRESS" : "ADDRESS and --all "
                              "exclude each other", NULL);
    rc = targets(ctx, argv, n, &env, &l);
    if (rc != CL_EX_OK)
        return rc;
    for (k = 0; k < l.n; k++) {
        rc = st_mbox_open(env.st, l.v[k], 0, &mb);
        if (rc == PL_ENOENT && all)
            continue;
        if (rc == PL_OK)
            rc = st_mbox_purge(mb, &removed);
        st_mbox_close(mb);
        if (rc == PL_OK) {
            num[ut_u64_to_dec(num, removed)] = '\0';
            printf("%s: %s messages purged\n", l.v[k], num);
        } else {
            cl_error(ctx, "%s: %s", l.v[k], rc == PL_ENOENT ? "no mailbox"
                     : pl_strerror(rc));
            ex = cl_exit_of(rc);
        }
    }
    ml_free(&l);
    cl_env_close(&env);
    return ex;
}

typedef struct fl_ctx {
    st_mbox *mb;
    pl_u32 count;
    pl_u64 octets;
    int detail;
    int rc;
} fl_ctx;

static int stat_folder(void *ctx, const char *name)
{
    fl_ctx *c = (fl_ctx *)ctx;
    st_folder *f;
    pl_u32 n;
    pl_u64 o;
    char a[24], b[24];

    c->rc = st_folder_select(c->mb, name, &f);
    if (c->rc != PL_OK)
        return 1;
    st_folder_totals(f, &n, &o);
    st_folder_close(f);
    c->count += n;
    c->octets += o;
    if (c->detail) {
        a[ut_u64_to_dec(a, n)] = '\0';
        b[ut_u64_to_dec(b, o)] = '\0';
        printf("  %-39s %10s messages %14s octets\n", name, a, b);
    }
    return 0;
}

static int stats_run(cl_ctx *ctx, int argc, char **argv)
{
    mlist l;
    cl_env env;
    fl_ctx fc;
    pl_u32 tc = 0;
    pl_u64 to = 0;
    size_t k;
    int n, rc, ex = CL_EX_OK;
    char a[24], b[24], c[24];

    n = split_args(ctx, "newmail store stats", "[ADDRESS...]", argc, argv,
                   NULL, NULL, argv);
    if (n < 0)
        return -n;
    rc = targets(ctx, argv, n, &env, &l);
    if (rc != CL_EX_OK)
        return rc;
    for (k = 0; k < l.n; k++) {
        memset(&fc, 0, sizeof fc);
        fc.detail = n > 0;
        rc = st_mbox_open(env.st, l.v[k], 0, &fc.mb);
        if (rc == PL_ENOENT && n == 0)
            continue;
        if (rc == PL_OK && fc.detail)
            printf("%s\n", l.v[k]);
        if (rc == PL_OK) {
            rc = st_mbox_folders(fc.mb, stat_folder, &fc);
            if (rc > 0)
                rc = fc.rc;
        }
        st_mbox_close(fc.mb);
        if (rc != PL_OK) {
            cl_error(ctx, "%s: %s", l.v[k], rc == PL_ENOENT ? "no mailbox"
                     : pl_strerror(rc));
            ex = cl_exit_of(rc);
            continue;
        }
        a[ut_u64_to_dec(a, fc.count)] = '\0';
        b[ut_u64_to_dec(b, fc.octets)] = '\0';
        if (fc.detail)
            printf("  %-39s %10s messages %14s octets\n", "total", a, b);
        else
            printf("%-40s %10s messages %14s octets\n", l.v[k], a, b);
        tc += fc.count;
        to += fc.octets;
    }
    if (n == 0) {
        a[ut_u64_to_dec(a, tc)] = '\0';
        b[ut_u64_to_dec(b, to)] = '\0';
        c[ut_u64_to_dec(c, l.n)] = '\0';
        printf("%s accounts: %s messages, %s octets\n", c, a, b);
    }
    ml_free(&l);
    cl_env_close(&env);
    if (fflush(stdout) != 0 && ex == CL_EX_OK)
        ex = CL_EX_IOERR;
    return ex;
}
