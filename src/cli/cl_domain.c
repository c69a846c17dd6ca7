/*
 * cl_domain.c - `newmail domain add|del|list`: the popstore's virtual
 * domains (directories under ACCOUNTS, see doc/accounts-format.md) and
 * the default domain for bare user names.
 *
 * Every domain argument is checked against the whitelist (au_name_check_
 * domain, after folding to lower case) before the store is opened.
 * Limits: AU_DOMAIN_MAX characters; the mapped name must fit 39.
 * Privilege: the service account that owns the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cl.h"
#include "au.h"
#include "st.h"
#include "ut_str.h"

static int dadd_run(cl_ctx *ctx, int argc, char **argv);
static int ddel_run(cl_ctx *ctx, int argc, char **argv);
static int dlist_run(cl_ctx *ctx, int argc, char **argv);

const cl_cmd cl_domain_cmds[] = {
    { "add", "create a virtual domain", "[--default] DOMAIN",
      "Create the virtual domain DOMAIN.  With --default it also becomes\n"
      "the domain of bare user names (also for a domain that exists).\n"
      "Exit: 0 created, 65 bad name or the domain exists.\n",
      dadd_run, NULL },
    { "del", "delete an empty virtual domain", "DOMAIN",
      "Delete DOMAIN; refused (exit 65) while it holds accounts.  Clears\n"
      "the default domain when it was DOMAIN.\n",
      ddel_run, NULL },
    { "list", "list the virtual domains", "",
      "Print every virtual domain, sorted; the default one is followed by\n"
      "' (default)'.\n",
      dlist_run, NULL },
    { NULL, NULL, NULL, NULL, NULL, NULL }
};

/* Fold to lower case into out and check; PL_EINVAL for a hostile name. */
static int domain_arg(const char *arg, char *out)
{
    size_t k, n = strlen(arg);

    if (n == 0 || n > AU_DOMAIN_MAX)
        return PL_EINVAL;
    for (k = 0; k < n; k++)
        out[k] = (char)ut_tolower((unsigned char)arg[k]);
    out[n] = '\0';
    return au_name_check_domain(out);
}

static int dadd_run(cl_ctx *ctx, int argc, char **argv)
{
    static const char path[] = "newmail domain add";
    static const char usage[] = "[--default] DOMAIN";
    char dom[AU_DOMAIN_MAX + 1];
    const char *arg = NULL;
    int i, def = 0, rc, existed = 0;
    cl_env env;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--default") == 0)
            def = 1;
        else if (argv[i][0] == '-')
            return cl_usage_error(ctx, path, usage, "unknown option",
                                  argv[i]);
        else if (arg == NULL)
            arg = argv[i];
        else
            return cl_usage_error(ctx, path, usage, "too many arguments:",
                                  argv[i]);
    }
    if (arg == NULL)
        return cl_usage_error(ctx, path, usage, "missing DOMAIN", NULL);
    if (domain_arg(arg, dom) != PL_OK) {
        cl_error(ctx, "invalid domain name '%s'", arg);
        return CL_EX_DATAERR;
    }
    rc = cl_env_open(ctx, &env);
    if (rc != CL_EX_OK)
        return rc;
    rc = au_domain_add(env.db, dom);
    if (rc == PL_EEXIST && def) {
        existed = 1;
        rc = PL_OK;
    }
    if (rc == PL_OK && def)
        rc = au_domain_set_default(env.db, dom);
    if (rc == PL_OK) {
        if (!existed)
            printf("added domain %s\n", dom);
        if (def)
            printf("default domain is %s\n", dom);
    } else if (rc == PL_EEXIST) {
        cl_error(ctx, "domain %s exists", dom);
    } else {
        cl_error(ctx, "cannot add domain %s: %s", dom, pl_strerror(rc));
    }
    cl_env_close(&env);
    return rc == PL_EEXIST ? CL_EX_DATAERR : cl_exit_of(rc);
}

static int ddel_run(cl_ctx *ctx, int argc, char **argv)
{
    char dom[AU_DOMAIN_MAX + 1];
    cl_env env;
    int rc;

    if (argc != 2 || argv[1][0] == '-')
        return cl_usage_error(ctx, "newmail domain del", "DOMAIN",
                              argc < 2 ? "missing DOMAIN" : "bad arguments",
                              NULL);
    if (domain_arg(argv[1], dom) != PL_OK) {
        cl_error(ctx, "invalid domain name '%s'", argv[1]);
        return CL_EX_DATAERR;
    }
    rc = cl_env_open(ctx, &env);
    if (rc != CL_EX_OK)
        return rc;
    rc = au_domain_del(env.db, dom);
    if (rc == PL_OK)
        printf("deleted domain %s\n", dom);
    else if (rc == PL_ENOTEMPTY)
        cl_error(ctx, "domain %s still has accounts", dom);
    else if (rc == PL_ENOENT)
        cl_error(ctx, "no domain %s", dom);
    else
        cl_error(ctx, "cannot delete domain %s: %s", dom, pl_strerror(rc));
    cl_env_close(&env);
    if (rc == PL_ENOTEMPTY)
        return CL_EX_DATAERR;
    return rc == PL_ENOENT ? CL_EX_DATAERR : cl_exit_of(rc);
}

typedef struct dl {
    char **v;
    size_t n, cap;
    int rc;
} dl;

static int dl_cb(void *ctx, const char *name)
{
    dl *l = (dl *)ctx;

    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        char **nv = (char **)realloc(l->v, ncap * sizeof *nv);
        if (nv == NULL) {
            l->rc = PL_ENOMEM;
            return 1;
        }
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n] = ut_strdup(name);
    if (l->v[l->n] == NULL) {
        l->rc = PL_ENOMEM;
        return 1;
    }
    l->n++;
    return 0;
}

static int dl_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int dlist_run(cl_ctx *ctx, int argc, char **argv)
{
    const char *def;
    cl_env env;
    dl l;
    size_t k;
    int rc;

    (void)argv;
    if (argc != 1)
        return cl_usage_error(ctx, "newmail domain list", "",
                              "too many arguments:", argv[1]);
    rc = cl_env_open(ctx, &env);
    if (rc != CL_EX_OK)
        return rc;
    memset(&l, 0, sizeof l);
    rc = au_domain_list(env.db, dl_cb, &l);
    if (rc > 0)
        rc = l.rc;
    def = au_db_default_domain(env.db);
    if (rc == PL_OK) {
        qsort(l.v, l.n, sizeof *l.v, dl_cmp);
        for (k = 0; k < l.n; k++)
            printf("%s%s\n", l.v[k], strcmp(l.v[k], def) == 0 ?
                   " (default)" : "");
    } else {
        cl_error(ctx, "cannot list domains: %s", pl_strerror(rc));
    }
    for (k = 0; k < l.n; k++)
        free(l.v[k]);
    free(l.v);
    cl_env_close(&env);
    if (rc == PL_OK && fflush(stdout) != 0)
        rc = PL_EIO;
    return rc == PL_OK ? CL_EX_OK : CL_EX_IOERR;
}
