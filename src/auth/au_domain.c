/*
 * au_domain.c - virtual domains: _ACCOUNTS/<DOMAIN> directories, and the
 * default domain that bare user names belong to.
 *
 * A domain is its directory: it exists when _ACCOUNTS holds a directory
 * whose name unmaps to a valid domain (au_name.c), so listing needs no
 * extra file and a crash while adding leaves either no domain or an
 * empty one.  Deleting refuses a domain that still holds accounts; the
 * lock files and temporaries it may hold are not accounts and go with it.
 * Limits: domain names whose mapped form fits PL_NAME_MAX (about 39).
 * Privilege: runs as the service account, which owns _ACCOUNTS.
 */
#include <stdlib.h>
#include <string.h>
#include "au_int.h"
#include "ut_str.h"

int au_domain_exists(au_db *db, const char *domain)
{
    pl_dir *d = NULL;
    int rc;

    if (db == NULL)
        return PL_EINVAL;
    rc = au_domain_dir(db, domain, &d);
    pl_dir_close(d);
    return rc;
}

int au_domain_add(au_db *db, const char *domain)
{
    char m[PL_NAME_MAX + 1];
    pl_dir *d = NULL;
    int rc;

    if (db == NULL || au_name_map_domain(domain, m, sizeof m) != PL_OK)
        return PL_EINVAL;
    rc = pl_dir_open(db->acc, m, 0, &d);
    if (rc == PL_OK) {
        pl_dir_close(d);
        return PL_EEXIST;
    }
    if (rc != PL_ENOENT)
        return rc;
    rc = pl_dir_open(db->acc, m, PL_DIR_CREATE, &d);
    if (rc != PL_OK)
        return rc;
    pl_dir_close(d);
    return pl_dir_sync(db->acc);
}

/* Collect the names in a domain directory: accounts stop the delete,
 * anything else of ours (lock files, temporaries) is removed with it. */
typedef struct au_del_ctx {
    int accounts;
    int oom;
    size_t n, cap;
    char (*names)[PL_NAME_MAX + PL_TYPE_MAX + 2];
} au_del_ctx;

static int au_del_cb(void *ctx, const char *name, int kind)
{
    au_del_ctx *dc = (au_del_ctx *)ctx;
    size_t len = strlen(name);

    if (kind != PL_ENT_FILE)
        return 0;   /* a subdirectory makes pl_dir_remove refuse: fine */
    if (len > 4 && strcmp(name + len - 4, AU_EXT_REC) == 0) {
        dc->accounts++;
        return 0;
    }
    if (len <= 4 || (strcmp(name + len - 4, AU_EXT_LCK) != 0 &&
                     strcmp(name + len - 4, AU_EXT_TMP) != 0))
        return 0;
    if (dc->n == dc->cap) {
        size_t cap = dc->cap == 0 ? 16 : dc->cap * 2;
        size_t bytes;
        void *p;
        if (ut_mul_size(cap, sizeof dc->names[0], &bytes) != PL_OK ||
            (p = realloc(dc->names, bytes)) == NULL) {
            dc->oom = 1;
            return 1;
        }
        dc->names = (char (*)[PL_NAME_MAX + PL_TYPE_MAX + 2])p;
        dc->cap = cap;
    }
    (void)ut_strlcpy(dc->names[dc->n++], name, sizeof dc->names[0]);
    return 0;
}

int au_domain_del(au_db *db, const char *domain)
{
    char m[PL_NAME_MAX + 1];
    pl_dir *d = NULL;
    au_del_ctx dc;
    size_t i;
    int rc;

    if (db == NULL || au_name_map_domain(domain, m, sizeof m) != PL_OK)
        return PL_EINVAL;
    rc = pl_dir_open(db->acc, m, 0, &d);
    if (rc != PL_OK)
        return rc;
    memset(&dc, 0, sizeof dc);
    rc = pl_dir_list(d, au_del_cb, &dc);
    if (dc.oom)
        rc = PL_ENOMEM;
    if (rc == PL_OK && dc.accounts > 0)
        rc = PL_ENOTEMPTY;
    for (i = 0; rc == PL_OK && i < dc.n; i++)
        (void)pl_file_remove(d, dc.names[i]);
    free(dc.names);
    pl_dir_close(d);
    if (rc != PL_OK)
        return rc;
    /* an account added meanwhile makes this fail with PL_ENOTEMPTY */
    rc = pl_dir_remove(db->acc, m);
    if (rc != PL_OK)
        return rc;
    rc = pl_dir_sync(db->acc);
    if (rc == PL_OK && strcmp(db->def_domain, domain) == 0)
        rc = au_def_store(db, "");
    return rc;
}

typedef struct au_dlist_ctx {
    au_name_cb cb;
    void *ctx;
} au_dlist_ctx;

static int au_dlist_cb(void *ctx, const char *name, int kind)
{
    au_dlist_ctx *lc = (au_dlist_ctx *)ctx;
    char dom[AU_DOMAIN_MAX + 1];

    if (kind != PL_ENT_DIR ||
        au_name_unmap_domain(name, dom, sizeof dom) != PL_OK)
        return 0;
    return lc->cb(lc->ctx, dom);
}

int au_domain_list(au_db *db, au_name_cb cb, void *ctx)
{
    au_dlist_ctx lc;

    if (db == NULL || cb == NULL)
        return PL_EINVAL;
    lc.cb = cb;
    lc.ctx = ctx;
    return pl_dir_list(db->acc, au_dlist_cb, &lc);
}

int au_domain_set_default(au_db *db, const char *domain)
{
    int rc;

    if (db == NULL || domain == NULL)
        return PL_EINVAL;
    if (domain[0] != '\0') {
        rc = au_domain_exists(db, domain);
        if (rc != PL_OK)
            return rc;
    }
    return au_def_store(db, domain);
}
