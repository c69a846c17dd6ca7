/*
 * st_recover.c - recovery and verification of a mailbox: reaping orphaned
 * temporary delivery files, rebuilding a folder index, and the check /
 * repair behind `newmail store check [--repair]`.
 *
 * Check reads every message (inflating compressed ones with a bounded
 * output) to verify that the size and line count its name declares are
 * the truth; it compares each index with its folder, reports duplicate
 * ids across folders, foreign files and old orphans.  Repair renames a
 * file to its true size (the id stays), sets unreadable files aside as
 * <ID>.BAD (out of every listing, kept for a human), reconciles indexes
 * (keeping flags) and reaps orphans.  Each problem is one report line.
 * Limits: memory of one folder's record list plus a list of every id of
 * the mailbox; a compressed file is inflated at most up to the store's
 * maximum message size.
 * Privilege: the store's service account.
 */
#include <stdlib.h>
#include <string.h>
#include "st_int.h"
#include "ut_str.h"

/* ---- orphans --------------------------------------------------------- */

typedef struct st_names {
    char (*v)[ST_FILE_BUF];
    pl_u32 n, cap;
    int rc;
} st_names;

static int st_names_push(st_names *ns, const char *name)
{
    if (ns->n == ns->cap) {
        pl_u32 ncap = ns->cap ? ns->cap * 2 : 32;
        size_t bytes;
        char (*nv)[ST_FILE_BUF];

        if (ut_mul_size(ncap, ST_FILE_BUF, &bytes) != PL_OK)
            return PL_ENOMEM;
        nv = (char (*)[ST_FILE_BUF])realloc(ns->v, bytes);
        if (nv == NULL)
            return PL_ENOMEM;
        ns->v = nv;
        ns->cap = ncap;
    }
    return ut_strlcpy(ns->v[ns->n++], name, ST_FILE_BUF);
}

/* Collect every file name of a directory (listing first, acting after:
 * the directory is not changed while it is being read). */
static int st_names_cb(void *ctx, const char *name, int kind)
{
    st_names *ns = (st_names *)ctx;

    if (kind != PL_ENT_FILE)
        return 0;
    ns->rc = st_names_push(ns, name);
    return ns->rc != PL_OK;
}

static int st_names_of(pl_dir *d, st_names *ns)
{
    int rc;

    memset(ns, 0, sizeof *ns);
    rc = pl_dir_list(d, st_names_cb, ns);
    if (ns->rc != PL_OK)
        return ns->rc;
    return rc > 0 ? PL_ERR : rc;
}

static int st_is_tmpname(const char *name)
{
    const char *dot = strchr(name, '.');

    return dot != NULL && strcmp(dot + 1, ST_TMP_TYPE) == 0;
}

/* Reap (or, with act = 0, only count and report) old orphans. */
static int st_reap(st_mbox *mb, pl_i64 max_age, int act, st_report_fn cb,
                   void *ctx, pl_u32 *count)
{
    pl_dir *td;
    st_names ns;
    pl_file_info info;
    pl_i64 now = pl_time_now();
    char line[ST_FILE_BUF + 64];
    pl_u32 k;
    int rc;

    *count = 0;
    rc = pl_dir_open(mb->dir, ST_TMP_DIR, 0, &td);
    if (rc == PL_ENOENT)
        return PL_OK;
    if (rc != PL_OK)
        return rc;
    rc = st_names_of(td, &ns);
    for (k = 0; rc == PL_OK && k < ns.n; k++) {
        if (!st_is_tmpname(ns.v[k]) ||
            pl_file_info_get(td, ns.v[k], &info) != PL_OK ||
            now - info.mtime < max_age)
            continue;
        if (cb != NULL) {
            ut_strlcpy(line, "TMP/", sizeof line);
            ut_strlcat(line, ns.v[k], sizeof line);
            ut_strlcat(line, ": orphaned temporary file", sizeof line);
            cb(ctx, line);
        }
        if (act) {
            rc = pl_file_remove(td, ns.v[k]);
            if (rc == PL_ENOENT)
                rc = PL_OK;        /* a concurrent reaper was first */
        }
        (*count)++;
    }
    free(ns.v);
    pl_dir_close(td);
    return rc;
}

int st_recover_reap(st_mbox *mb, pl_i64 max_age, pl_u32 *reaped)
{
    pl_u32 n;
    int rc = st_reap(mb, max_age, 1, NULL, NULL, &n);

    if (reaped != NULL)
        *reaped = n;
    return rc;
}

int st_recover_rebuild(st_mbox *mb, const char *name)
{
    char canon[ST_NAME_BUF];
    pl_dir *fd;
    st_recs r;
    int rc;

    if (name == NULL || st_name_folder(name, strlen(name), canon) != PL_OK)
        return PL_EINVAL;
    rc = pl_dir_open(mb->dir, canon, 0, &fd);
    if (rc != PL_OK)
        return rc;
    memset(&r, 0, sizeof r);
    rc = st_ix_sync(fd, 1, &r);
    st_recs_free(&r);
    pl_dir_close(fd);
    return rc;
}

/* ---- check ----------------------------------------------------------- */

typedef struct st_chk {
    st_mbox *mb;
    int repair;
    st_report_fn cb;
    void *ctx;
    pl_u32 problems;
    st_recs all;           /* every id of the mailbox, for duplicates */
    char folder[ST_NAME_BUF];
} st_chk;

/* One problem line; fixable says whether repair fixes this kind. */
static void st_report(st_chk *c, const char *name, const char *what,
                      pl_u64 a, pl_u64 b, int fixable)
{
    char line[ST_FILE_BUF + ST_NAME_BUF + 128], num[21];

    c->problems++;
    if (c->cb == NULL)
        return;
    ut_strlcpy(line, c->folder, sizeof line);
    ut_strlcat(line, "/", sizeof line);
    ut_strlcat(line, name, sizeof line);
    ut_strlcat(line, ": ", sizeof line);
    ut_strlcat(line, what, sizeof line);
    if (a != b) {
        num[ut_u64_to_dec(num, a)] = '\0';
        ut_strlcat(line, " (declared ", sizeof line);
        ut_strlcat(line, num, sizeof line);
        num[ut_u64_to_dec(num, b)] = '\0';
        ut_strlcat(line, ", actual ", sizeof line);
        ut_strlcat(line, num, sizeof line);
        ut_strlcat(line, ")", sizeof line);
    }
    if (c->repair)
        ut_strlcat(line, fixable ? " [repaired]" : " [left alone]",
                   sizeof line);
    c->cb(c->ctx, line);
}

static int st_count_cb(void *ctx, const void *buf, size_t n)
{
    st_count_feed((st_count *)ctx, (const unsigned char *)buf, n);
    return 0;
}

/* Verify one message file; returns PL_OK or an error that stops the
 * check (I/O problems of the store itself, not of the message). */
static int st_chk_msg(st_chk *c, pl_dir *fd, const char *name)
{
    st_rec rec;
    st_count cnt;
    pl_u64 size, lines, cap;
    char fixed[ST_FILE_BUF];
    int z, rc;

    memset(&rec, 0, sizeof rec);
    if (st_nm_parse(name, rec.id, &rec.size, &rec.lines, &z) != PL_OK) {
        if (strcmp(name, ST_INDEX_FILE) != 0 &&
            strcmp(name, ST_INDEX_NEW) != 0 &&
            strcmp(name, ST_INDEX_LOCK) != 0)
            st_report(c, name, "foreign file", 0, 0, 0);
        return PL_OK;
    }
    rec.z = (unsigned char)z;
    rc = st_recs_push(&c->all, &rec);
    if (rc != PL_OK)
        return rc;
    st_count_init(&cnt);
    cap = z ? c->mb->st->p.max_size : ST_SIZE_HARD_MAX;
    rc = st_zl_stream(fd, name, z, cap, st_count_cb, &cnt);
    if (rc == PL_EIO) {
        st_report(c, name, z ? "corrupt compressed data" : "unreadable",
                  0, 0, 1);
        if (c->repair &&
            st_nm_typed(rec.id, ST_BAD_TYPE, fixed) == PL_OK)
            return pl_file_rename(fd, name, fd, fixed);
        return PL_OK;
    }
    if (rc != PL_OK)
        return rc;
    st_count_end(&cnt, &size, &lines);
    if (size != rec.size)
        st_report(c, name, "size mismatch", rec.size, size, 1);
    else if (lines != rec.lines)
        st_report(c, name, "line count mismatch", rec.lines, lines, 1);
    else
        return PL_OK;
    if (!c->repair)
        return PL_OK;
    rc = st_nm_msgfile(rec.id, size, lines, z, fixed);
    if (rc == PL_OK)
        rc = pl_file_rename(fd, name, fd, fixed);
    return rc;
}

/* Compare a folder's index with its files. */
static int st_chk_index(st_chk *c, pl_dir *fd)
{
    st_recs idx, files;
    st_idmap m;
    pl_lock *lk = NULL;
    pl_u32 dead = 0, k;
    int damaged = 0, rc, bad = 0;

    memset(&idx, 0, sizeof idx);
    memset(&files, 0, sizeof files);
    m.slot = NULL;
    /* Under the index lock, so a concurrent append is not taken for a
     * torn record. */
    rc = st_ix_lock(fd, &lk);
    if (rc != PL_OK)
        return rc;
    rc = st_ix_load(fd, &idx, &damaged, &dead);
    if (rc == PL_OK)
        rc = st_ix_scan(fd, &files);
    pl_lock_release(lk);
    if (rc == PL_OK)
        rc = st_map_build(&m, &idx);
    if (rc == PL_OK && damaged) {
        st_report(c, ST_INDEX_FILE, "index missing or damaged", 0, 0, 1);
        bad = 1;
    }
    for (k = 0; rc == PL_OK && k < files.n; k++) {
        long p = st_map_find(&m, &idx, files.v[k].id);
        if (p < 0) {
            st_report(c, files.v[k].id, "message not in the index", 0, 0, 1);
            bad = 1;
        } else {
            idx.v[p].seen = 1;
            if (idx.v[p].size != files.v[k].size) {
                st_report(c, files.v[k].id, "index size differs",
                          idx.v[p].size, files.v[k].size, 1);
                bad = 1;
            }
        }
    }
    for (k = 0; rc == PL_OK && k < idx.n; k++)
        if (!idx.v[k].seen) {
            st_report(c, idx.v[k].id, "indexed message has no file", 0, 0, 1);
            bad = 1;
        }
    st_map_free(&m);
    st_recs_free(&idx);
    st_recs_free(&files);
    if (rc == PL_OK && bad && c->repair) {
        rc = st_ix_sync(fd, 0, &idx);
        st_recs_free(&idx);
    }
    return rc;
}

static int st_chk_folder(st_chk *c, const char *folder)
{
    pl_dir *fd;
    st_names ns;
    pl_u32 k;
    int rc;

    ut_strlcpy(c->folder, folder, sizeof c->folder);
    rc = pl_dir_open(c->mb->dir, folder, 0, &fd);
    if (rc != PL_OK)
        return rc;
    rc = st_names_of(fd, &ns);
    for (k = 0; rc == PL_OK && k < ns.n; k++)
        rc = st_chk_msg(c, fd, ns.v[k]);
    free(ns.v);
    /* The index is compared after any renames so that it is judged
     * against the repaired names. */
    if (rc == PL_OK)
        rc = st_chk_index(c, fd);
    pl_dir_close(fd);
    return rc;
}

typedef struct st_fnames {
    char (*v)[ST_NAME_BUF];
    pl_u32 n, cap;
} st_fnames;

static int st_fnames_cb(void *ctx, const char *name)
{
    st_fnames *fn = (st_fnames *)ctx;

    if (fn->n == fn->cap) {
        pl_u32 ncap = fn->cap ? fn->cap * 2 : 8;
        char (*nv)[ST_NAME_BUF] =
            (char (*)[ST_NAME_BUF])realloc(fn->v, (size_t)ncap * ST_NAME_BUF);
        if (nv == NULL)
            return PL_ENOMEM;
        fn->v = nv;
        fn->cap = ncap;
    }
    strcpy(fn->v[fn->n++], name);       /* a canonical folder name */
    return 0;
}

int st_recover_check(st_mbox *mb, int repair, st_report_fn cb, void *ctx,
                     pl_u32 *problems)
{
    st_chk c;
    st_fnames fn;
    pl_u32 k, orphans;
    int rc;

    memset(&c, 0, sizeof c);
    memset(&fn, 0, sizeof fn);
    c.mb = mb;
    c.repair = repair;
    c.cb = cb;
    c.ctx = ctx;
    rc = st_mbox_folders(mb, st_fnames_cb, &fn);
    for (k = 0; rc == PL_OK && k < fn.n; k++)
        rc = st_chk_folder(&c, fn.v[k]);
    if (rc == PL_OK) {
        /* The same id in two places: a copy made outside the store. */
        st_recs_sort_id(c.all.v, c.all.n);
        ut_strlcpy(c.folder, "*", sizeof c.folder);
        for (k = 1; k < c.all.n; k++)
            if (strcmp(c.all.v[k].id, c.all.v[k - 1].id) == 0)
                st_report(&c, c.all.v[k].id, "duplicate id", 0, 0, 0);
    }
    if (rc == PL_OK) {
        rc = st_reap(mb, ST_TMP_ORPHAN_SECS, repair, cb, ctx, &orphans);
        c.problems += orphans;
    }
    free(fn.v);
    st_recs_free(&c.all);
    if (problems != NULL)
        *problems = c.problems;
    return rc;
}
