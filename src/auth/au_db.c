/*
 * au_db.c - the account database: one record file per account,
 * _ACCOUNTS/<DOMAIN>/<USER>.ACC below the store root.
 *
 * Why one file per account: a lookup is two directory opens and one
 * open+read whatever the number of accounts (100,000 accounts cost no
 * more than ten), and an update rewrites one small file.  Writers take
 * <USER>.LCK exclusively, write <USER>.TMP, sync it and put it in place
 * (au_file.c), so readers never lock and never see a partial record;
 * a .TMP left by a crash is never read and is removed by the next
 * writer of that account or by au_db_reap.  Every name is checked by
 * au_name.c before any file is touched.
 * Limits: AU_REC_MAX per record; a writer waits AU_LOCK_MS for the lock.
 * Lock files stay after au_db_del: removing a lock file another process
 * is waiting on would let two writers hold "the" lock on different files.
 * Privilege: runs as the service account, which owns _ACCOUNTS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "au_int.h"
#include "ut_str.h"
#include "ut_log.h"

#define AU_DEF_FILE "DEFAULT.DOM"
#define AU_DEF_MAGIC "newmail-default-domain 1\n"

/* Read _ACCOUNTS/DEFAULT.DOM: the magic line, "domain=NAME" and the crc
 * line as in account records.  Missing means no default domain. */
static int au_def_load(au_db *db)
{
    char buf[512];
    size_t len;
    size_t ml = sizeof AU_DEF_MAGIC - 1;
    char crc[16];
    int rc;

    db->def_domain[0] = '\0';
    rc = au_file_read(db->acc, AU_DEF_FILE, buf, sizeof buf, &len);
    if (rc == PL_ENOENT)
        return PL_OK;
    if (rc != PL_OK)
        return rc;
    if (len < ml + 7 + 13 || memcmp(buf, AU_DEF_MAGIC, ml) != 0 ||
        memcmp(buf + ml, "domain=", 7) != 0 || buf[len - 1] != '\n' ||
        buf[len - 14] != '\n' || memcmp(buf + len - 13, "crc=", 4) != 0)
        goto corrupt;
    sprintf(crc, "%08lx", (unsigned long)au_crc32(buf, len - 13));
    if (memcmp(crc, buf + len - 9, 8) != 0)
        goto corrupt;
    buf[len - 14] = '\0';
    if (ut_strlcpy(db->def_domain, buf + ml + 7, sizeof db->def_domain)
        != PL_OK || au_name_check_domain(db->def_domain) != PL_OK)
        goto corrupt;
    return PL_OK;
corrupt:
    db->def_domain[0] = '\0';
    ut_log_err("accounts: %s is corrupt; no default domain", AU_DEF_FILE);
    return PL_EIO;
}

int au_def_store(au_db *db, const char *domain)
{
    char buf[512];
    char crc[16];
    size_t o;
    pl_lock *lk = NULL;
    int rc;

    rc = pl_lock_take(db->acc, "DEFAULT.LCK", PL_LOCK_EX, AU_LOCK_MS, &lk);
    if (rc != PL_OK)
        return rc;
    if (domain[0] == '\0') {
        rc = pl_file_remove(db->acc, AU_DEF_FILE);
        if (rc == PL_ENOENT)
            rc = PL_OK;
        if (rc == PL_OK)
            rc = pl_dir_sync(db->acc);
    } else {
        (void)ut_strlcpy(buf, AU_DEF_MAGIC, sizeof buf);
        (void)ut_strlcat(buf, "domain=", sizeof buf);
        (void)ut_strlcat(buf, domain, sizeof buf);
        (void)ut_strlcat(buf, "\n", sizeof buf);
        o = strlen(buf);
        sprintf(crc, "crc=%08lx\n", (unsigned long)au_crc32(buf, o));
        (void)ut_strlcat(buf, crc, sizeof buf);
        rc = au_file_write(db->acc, "DEFAULT.TMP", AU_DEF_FILE, buf,
                           strlen(buf), AU_W_REPLACE);
    }
    if (rc == PL_OK)
        (void)ut_strlcpy(db->def_domain, domain, sizeof db->def_domain);
    pl_lock_release(lk);
    return rc;
}

int au_db_open(pl_dir *root, int flags, au_db **out)
{
    au_db *db;
    int rc;

    if (root == NULL || out == NULL)
        return PL_EINVAL;
    *out = NULL;
    db = (au_db *)calloc(1, sizeof *db);
    if (db == NULL)
        return PL_ENOMEM;
    rc = pl_dir_open(root, AU_ACCOUNTS_DIR, flags & PL_DIR_CREATE, &db->acc);
    if (rc == PL_OK)
        rc = au_def_load(db);
    if (rc != PL_OK) {
        pl_dir_close(db->acc);
        free(db);
        return rc;
    }
    *out = db;
    return PL_OK;
}

void au_db_close(au_db *db)
{
    if (db == NULL)
        return;
    pl_dir_close(db->acc);
    free(db);
}

const char *au_db_default_domain(const au_db *db)
{
    return db->def_domain;
}

int au_domain_dir(au_db *db, const char *domain, pl_dir **out)
{
    char m[PL_NAME_MAX + 1];

    *out = NULL;
    if (au_name_map_domain(domain, m, sizeof m) != PL_OK)
        return PL_EINVAL;
    return pl_dir_open(db->acc, m, 0, out);
}

/* The three file names of one account. */
typedef struct au_names {
    char rec[PL_NAME_MAX + 8];
    char tmp[PL_NAME_MAX + 8];
    char lck[PL_NAME_MAX + 8];
} au_names;

static int au_acct_names(const char *user, au_names *nm)
{
    char m[PL_NAME_MAX + 1];

    if (au_name_map_user(user, m, sizeof m) != PL_OK ||
        au_fname(nm->rec, sizeof nm->rec, m, AU_EXT_REC) != PL_OK ||
        au_fname(nm->tmp, sizeof nm->tmp, m, AU_EXT_TMP) != PL_OK ||
        au_fname(nm->lck, sizeof nm->lck, m, AU_EXT_LCK) != PL_OK)
        return PL_EINVAL;
    return PL_OK;
}

/* Read and check the record of user in d; the parsed names must match
 * the file's, so a record copied into the wrong place is refused. */
static int au_load(pl_dir *d, const au_names *nm, const char *user,
                   const char *domain, au_account *out)
{
    char buf[AU_REC_MAX + 1];
    char err[128];
    size_t len;
    int rc;

    rc = au_file_read(d, nm->rec, buf, sizeof buf, &len);
    if (rc == PL_EIO && len == AU_REC_MAX) {
        ut_log_err("accounts: %s@%s: record larger than %d bytes",
                   user, domain, AU_REC_MAX);
        return PL_EIO;
    }
    if (rc != PL_OK)
        return rc;
    rc = au_rec_parse(buf, len, out, err, sizeof err);
    ut_wipe(buf, sizeof buf);
    if (rc != PL_OK) {
        ut_log_err("accounts: %s@%s: corrupt record: %s", user, domain, err);
        return PL_EIO;
    }
    if (strcmp(out->user, user) != 0 || strcmp(out->domain, domain) != 0) {
        au_account_wipe(out);
        ut_log_err("accounts: %s@%s: record names another account",
                   user, domain);
        return PL_EIO;
    }
    return PL_OK;
}

/* Format a and write it under the lock the caller holds. */
static int au_store(pl_dir *d, const au_names *nm, const au_account *a,
                    int mode)
{
    char buf[AU_REC_MAX + 1];
    size_t len;
    int rc;

    rc = au_rec_format(a, buf, sizeof buf, &len);
    if (rc == PL_OK)
        rc = au_file_write(d, nm->tmp, nm->rec, buf, len, mode);
    ut_wipe(buf, sizeof buf);
    return rc;
}

int au_db_get(au_db *db, const char *user, const char *domain,
              au_account *out)
{
    au_names nm;
    pl_dir *d = NULL;
    int rc;

    if (db == NULL || out == NULL || au_name_check_user(user) != PL_OK ||
        au_name_check_domain(domain) != PL_OK || au_acct_names(user, &nm)
        != PL_OK)
        return PL_EINVAL;
    rc = au_domain_dir(db, domain, &d);
    if (rc != PL_OK)
        return rc;
    rc = au_load(d, &nm, user, domain, out);
    pl_dir_close(d);
    return rc;
}

int au_db_get_addr(au_db *db, const char *addr, size_t n, au_account *out)
{
    char user[AU_USER_MAX + 1];
    char domain[AU_DOMAIN_MAX + 1];

    if (db == NULL ||
        au_addr_parse(addr, n, db->def_domain, user, domain) != PL_OK)
        return PL_EINVAL;
    return au_db_get(db, user, domain, out);
}

/* Open the domain and take the account's lock for a writer. */
static int au_wbegin(au_db *db, const char *user, const char *domain,
                     au_names *nm, pl_dir **d, pl_lock **lk)
{
    int rc;

    *d = NULL;
    *lk = NULL;
    if (db == NULL || au_name_check_user(user) != PL_OK ||
        au_name_check_domain(domain) != PL_OK ||
        au_acct_names(user, nm) != PL_OK)
        return PL_EINVAL;
    rc = au_domain_dir(db, domain, d);
    if (rc != PL_OK)
        return rc;
    rc = pl_lock_take(*d, nm->lck, PL_LOCK_EX, AU_LOCK_MS, lk);
    if (rc != PL_OK) {
        pl_dir_close(*d);
        *d = NULL;
    }
    return rc;
}

static void au_wend(pl_dir *d, pl_lock *lk)
{
    pl_lock_release(lk);
    pl_dir_close(d);
}

int au_db_add(au_db *db, const au_account *a)
{
    au_names nm;
    pl_dir *d;
    pl_lock *lk;
    au_account *copy;
    int rc;

    if (a == NULL)
        return PL_EINVAL;
    rc = au_wbegin(db, a->user, a->domain, &nm, &d, &lk);
    if (rc != PL_OK)
        return rc;
    copy = (au_account *)malloc(sizeof *copy);
    if (copy == NULL) {
        au_wend(d, lk);
        return PL_ENOMEM;
    }
    memcpy(copy, a, sizeof *copy);
    if (copy->created == 0)
        copy->created = pl_time_now();
    /* AU_W_NEW: the rename itself refuses an existing record */
    rc = au_store(d, &nm, copy, AU_W_NEW);
    au_account_wipe(copy);
    free(copy);
    au_wend(d, lk);
    return rc;
}

int au_db_put(au_db *db, const au_account *a)
{
    au_names nm;
    pl_dir *d;
    pl_lock *lk;
    pl_file_info fi;
    int rc;

    if (a == NULL)
        return PL_EINVAL;
    rc = au_wbegin(db, a->user, a->domain, &nm, &d, &lk);
    if (rc != PL_OK)
        return rc;
    rc = pl_file_info_get(d, nm.rec, &fi);
    if (rc == PL_OK)
        rc = au_store(d, &nm, a, AU_W_REPLACE);
    au_wend(d, lk);
    return rc;
}

int au_db_update(au_db *db, const char *user, const char *domain,
                 au_update_fn fn, void *ctx)
{
    au_names nm;
    pl_dir *d;
    pl_lock *lk;
    au_account *a;
    int rc;

    if (fn == NULL)
        return PL_EINVAL;
    rc = au_wbegin(db, user, domain, &nm, &d, &lk);
    if (rc != PL_OK)
        return rc;
    a = (au_account *)malloc(sizeof *a);
    if (a == NULL) {
        au_wend(d, lk);
        return PL_ENOMEM;
    }
    rc = au_load(d, &nm, user, domain, a);
    if (rc == PL_OK)
        rc = fn(ctx, a);
    /* the record's identity is its file name: fn may not change it */
    if (rc == PL_OK &&
        (strcmp(a->user, user) != 0 || strcmp(a->domain, domain) != 0))
        rc = PL_EINVAL;
    if (rc == PL_OK)
        rc = au_store(d, &nm, a, AU_W_REPLACE);
    au_account_wipe(a);
    free(a);
    au_wend(d, lk);
    return rc;
}

int au_db_del(au_db *db, const char *user, const char *domain)
{
    au_names nm;
    pl_dir *d;
    pl_lock *lk;
    int rc;

    rc = au_wbegin(db, user, domain, &nm, &d, &lk);
    if (rc != PL_OK)
        return rc;
    rc = pl_file_remove(d, nm.rec);
    if (rc == PL_OK) {
        (void)pl_file_remove(d, nm.tmp);
        rc = pl_dir_sync(d);
    }
    au_wend(d, lk);
    return rc;
}

/* Listing: names "X.ACC" whose base unmaps to a valid user. */
typedef struct au_list_ctx {
    au_name_cb cb;
    void *ctx;
} au_list_ctx;

/* If name is "BASE.EXT" with the given ext, copy BASE into base. */
static int au_split_ext(const char *name, const char *ext, char *base,
                        size_t n)
{
    size_t len = strlen(name);
    size_t el = strlen(ext);

    if (len <= el || strcmp(name + len - el, ext) != 0 || len - el >= n)
        return 0;
    memcpy(base, name, len - el);
    base[len - el] = '\0';
    return 1;
}

static int au_list_cb(void *ctx, const char *name, int kind)
{
    au_list_ctx *lc = (au_list_ctx *)ctx;
    char base[PL_NAME_MAX + 1];
    char user[AU_USER_MAX + 1];

    if (kind != PL_ENT_FILE ||
        !au_split_ext(name, AU_EXT_REC, base, sizeof base) ||
        au_name_unmap_user(base, user, sizeof user) != PL_OK)
        return 0;
    return lc->cb(lc->ctx, user);
}

int au_db_list(au_db *db, const char *domain, au_name_cb cb, void *ctx)
{
    pl_dir *d = NULL;
    au_list_ctx lc;
    int rc;

    if (db == NULL || cb == NULL)
        return PL_EINVAL;
    rc = au_domain_dir(db, domain, &d);
    if (rc != PL_OK)
        return rc;
    lc.cb = cb;
    lc.ctx = ctx;
    rc = pl_dir_list(d, au_list_cb, &lc);
    pl_dir_close(d);
    return rc;
}

/* Reaping: collect the temporary names first, then remove each under its
 * account's lock (removing entries while listing is not portable). */
typedef struct au_reap_ctx {
    char (*names)[PL_NAME_MAX + 1];
    size_t n, cap;
    int oom;
} au_reap_ctx;

static int au_reap_cb(void *ctx, const char *name, int kind)
{
    au_reap_ctx *rc = (au_reap_ctx *)ctx;
    char base[PL_NAME_MAX + 1];

    if (kind != PL_ENT_FILE ||
        !au_split_ext(name, AU_EXT_TMP, base, sizeof base))
        return 0;
    if (rc->n == rc->cap) {
        size_t cap = rc->cap == 0 ? 16 : rc->cap * 2;
        void *p;
        size_t bytes;
        if (ut_mul_size(cap, sizeof rc->names[0], &bytes) != PL_OK) {
            rc->oom = 1;
            return 1;
        }
        p = realloc(rc->names, bytes);
        if (p == NULL) {
            rc->oom = 1;
            return 1;
        }
        rc->names = (char (*)[PL_NAME_MAX + 1])p;
        rc->cap = cap;
    }
    memcpy(rc->names[rc->n++], base, sizeof base);
    return 0;
}

int au_db_reap(au_db *db, const char *domain, int *removed)
{
    pl_dir *d = NULL;
    au_reap_ctx rx;
    size_t i;
    int rc;

    if (removed != NULL)
        *removed = 0;
    if (db == NULL)
        return PL_EINVAL;
    rc = au_domain_dir(db, domain, &d);
    if (rc != PL_OK)
        return rc;
    memset(&rx, 0, sizeof rx);
    rc = pl_dir_list(d, au_reap_cb, &rx);
    if (rx.oom)
        rc = PL_ENOMEM;
    for (i = 0; rc == PL_OK && i < rx.n; i++) {
        char lck[PL_NAME_MAX + 8];
        char tmp[PL_NAME_MAX + 8];
        pl_lock *lk = NULL;
        if (au_fname(lck, sizeof lck, rx.names[i], AU_EXT_LCK) != PL_OK ||
            au_fname(tmp, sizeof tmp, rx.names[i], AU_EXT_TMP) != PL_OK)
            continue;
        /* a writer holding the lock owns its temporary: leave it */
        if (pl_lock_take(d, lck, PL_LOCK_EX, 0, &lk) != PL_OK)
            continue;
        if (pl_file_remove(d, tmp) == PL_OK && removed != NULL)
            (*removed)++;
        pl_lock_release(lk);
    }
    if (rc == PL_OK && rx.n > 0)
        rc = pl_dir_sync(d);
    free(rx.names);
    pl_dir_close(d);
    return rc;
}

/* ---------------- counters ---------------- */

typedef struct au_cnt {
    int what;           /* 0 rx, 1 connect, 2 disconnect */
    pl_u64 msgs, bytes;
    pl_i64 when;
} au_cnt;

pl_u64 au_sat_add(pl_u64 a, pl_u64 b)
{
    return a + b < a ? ~(pl_u64)0 : a + b;
}

static int au_cnt_fn(void *ctx, au_account *a)
{
    const au_cnt *c = (const au_cnt *)ctx;

    switch (c->what) {
    case 0:
        a->rx_msgs = au_sat_add(a->rx_msgs, c->msgs);
        a->rx_bytes = au_sat_add(a->rx_bytes, c->bytes);
        break;
    case 1:
        a->connects = au_sat_add(a->connects, 1);
        a->last_connect = c->when;
        break;
    default:
        a->last_disconnect = c->when;
        break;
    }
    /* the record holds at most 2^63-1 (au_rec.c parses signed range) */
    if (a->rx_msgs > 0x7FFFFFFFFFFFFFFFULL)
        a->rx_msgs = 0x7FFFFFFFFFFFFFFFULL;
    if (a->rx_bytes > 0x7FFFFFFFFFFFFFFFULL)
        a->rx_bytes = 0x7FFFFFFFFFFFFFFFULL;
    if (a->connects > 0x7FFFFFFFFFFFFFFFULL)
        a->connects = 0x7FFFFFFFFFFFFFFFULL;
    return PL_OK;
}

int au_db_count_rx(au_db *db, const char *user, const char *domain,
                   pl_u64 msgs, pl_u64 bytes)
{
    au_cnt c;

    c.what = 0;
    c.msgs = msgs;
    c.bytes = bytes;
    c.when = 0;
    return au_db_update(db, user, domain, au_cnt_fn, &c);
}

int au_db_count_connect(au_db *db, const char *user, const char *domain,
                        pl_i64 when)
{
    au_cnt c;

    if (when < 0)
        return PL_EINVAL;
    c.what = 1;
    c.msgs = c.bytes = 0;
    c.when = when;
    return au_db_update(db, user, domain, au_cnt_fn, &c);
}

int au_db_count_disconnect(au_db *db, const char *user,
                           const char *domain, pl_i64 when)
{
    au_cnt c;

    if (when < 0)
        return PL_EINVAL;
    c.what = 2;
    c.msgs = c.bytes = 0;
    c.when = when;
    return au_db_update(db, user, domain, au_cnt_fn, &c);
}
