/*
 * st_folder.c - the store root, mailboxes and the folder interface shared
 * by POP3 and the OpenVMS layer: select a folder as a snapshot, stream a
 * message or its TOP, move, delete to WASTEBASKET, purge, new-mail count.
 *
 * A snapshot is taken under the folder's index lock and never changes
 * afterwards: a session only moves or deletes messages it listed, so mail
 * delivered during a session survives its QUIT.  A move is a rename that
 * keeps the file name (the id is stable); indexes learn of moves at
 * st_folder_commit, and a crash before that is repaired by the
 * reconciliation of the next select.
 * Limits: ST_FOLDER_MAX messages per snapshot; memory about 80 octets per
 * message.
 * Privilege: the store's service account.
 */
#include <stdlib.h>
#include <string.h>
#include "st_int.h"
#include "ut_str.h"

/* A pending index change of a snapshot: message i moved to dest, or
 * removed when dest is empty. */
typedef struct st_move {
    pl_u32 i;
    char dest[ST_NAME_BUF];
    unsigned char done;    /* its destination has been committed */
} st_move;

struct st_folder {
    st_mbox *mb;
    pl_dir *dir;
    char name[ST_NAME_BUF];
    st_recs r;
    st_move *mv;
    pl_u32 nmv, capmv;
    int nflags;            /* records with unsaved flags */
    pl_dir *ddir;          /* the last destination directory, kept open */
    char dname[ST_NAME_BUF];
};

/* ---- store ------------------------------------------------------------ */

int st_store_open(const char *root_spec, const st_params *p, st_store **out)
{
    st_store *s;
    unsigned char seed[4];
    int rc;

    *out = NULL;
    s = (st_store *)calloc(1, sizeof *s);
    if (s == NULL)
        return PL_ENOMEM;
    if (p != NULL)
        s->p = *p;
    if (s->p.compress_min == 0)
        s->p.compress_min = ST_COMPRESS_MIN_DEFAULT;
    if (s->p.max_size == 0 || s->p.max_size > ST_SIZE_HARD_MAX)
        s->p.max_size = s->p.max_size == 0 ? ST_SIZE_DEFAULT_MAX
                                           : ST_SIZE_HARD_MAX;
    if (s->p.default_domain != NULL) {
        if (ut_strlcpy(s->defdom, s->p.default_domain, sizeof s->defdom)
            != PL_OK) {
            free(s);
            return PL_EINVAL;
        }
        s->p.default_domain = s->defdom;
    }
    rc = pl_random(seed, sizeof seed);
    if (rc == PL_OK)
        rc = pl_mutex_create(&s->mu);
    if (rc != PL_OK) {
        free(s);
        return rc;
    }
    s->counter = ((pl_u32)seed[0] << 8) | seed[1];
    st_nm_node(s->node);
    rc = pl_dir_open_root(root_spec, PL_DIR_CREATE, &s->root);
    if (rc != PL_OK) {
        pl_mutex_destroy(s->mu);
        free(s);
        return rc;
    }
    *out = s;
    return PL_OK;
}

void st_store_close(st_store *s)
{
    if (s == NULL)
        return;
    pl_dir_close(s->root);
    pl_mutex_destroy(s->mu);
    free(s);
}

/* Open child `name` of parent; with create, make it when missing and sync
 * the parent so the new directory survives a crash (only on creation:
 * an existing directory costs no sync). */
int st_fo_subdir(pl_dir *parent, const char *name, int create,
                     pl_dir **out)
{
    int rc = pl_dir_open(parent, name, 0, out);

    if (rc == PL_ENOENT && create) {
        rc = pl_dir_open(parent, name, PL_DIR_CREATE, out);
        if (rc == PL_OK)
            rc = pl_dir_sync(parent);
        if (rc != PL_OK) {
            pl_dir_close(*out);
            *out = NULL;
        }
    }
    return rc;
}

int st_fo_mbdir(st_store *s, const char *addr, int create, pl_dir **out,
                char *dom, char *user)
{
    pl_dir *dd;
    int rc;

    *out = NULL;
    if (addr == NULL)
        return PL_EINVAL;
    rc = st_name_mailbox(addr, strlen(addr), s->p.default_domain, dom, user);
    if (rc != PL_OK)
        return rc;
    /* The root handle is shared by every thread of the store, and a pl.h
     * handle is used by one thread at a time. */
    pl_mutex_lock(s->mu);
    rc = st_fo_subdir(s->root, dom, create, &dd);
    pl_mutex_unlock(s->mu);
    if (rc != PL_OK)
        return rc;
    rc = st_fo_subdir(dd, user, create, out);
    pl_dir_close(dd);
    return rc;
}

/* ---- mailbox ----------------------------------------------------------- */

int st_mbox_open(st_store *s, const char *mailbox, int flags, st_mbox **out)
{
    st_mbox *mb;
    int rc;

    *out = NULL;
    mb = (st_mbox *)calloc(1, sizeof *mb);
    if (mb == NULL)
        return PL_ENOMEM;
    mb->st = s;
    rc = st_fo_mbdir(s, mailbox, (flags & ST_OPEN_CREATE) != 0, &mb->dir,
                     mb->dom, mb->user);
    if (rc != PL_OK) {
        free(mb);
        return rc;
    }
    *out = mb;
    return PL_OK;
}

void st_mbox_close(st_mbox *mb)
{
    if (mb == NULL)
        return;
    st_mbox_unlock(mb);
    pl_dir_close(mb->dir);
    free(mb);
}

int st_mbox_newcount(st_mbox *mb, pl_u32 *count, pl_u64 *octets)
{
    pl_dir *fd;
    st_recs r;
    pl_u32 dead, k;
    pl_u64 sum = 0;
    int damaged = 0, rc;

    memset(&r, 0, sizeof r);
    *count = 0;
    if (octets != NULL)
        *octets = 0;
    rc = pl_dir_open(mb->dir, ST_NEWMAIL, 0, &fd);
    if (rc == PL_ENOENT)
        return PL_OK;
    if (rc != PL_OK)
        return rc;
    rc = st_ix_load(fd, &r, &damaged, &dead);
    if (rc == PL_OK && damaged) {
        /* Never count from a damaged index: reconcile it first. */
        st_recs_free(&r);
        rc = st_ix_sync(fd, 0, &r);
    }
    if (rc == PL_OK) {
        for (k = 0; k < r.n; k++)
            sum += r.v[k].size;
        *count = r.n;
        if (octets != NULL)
            *octets = sum;
    }
    st_recs_free(&r);
    pl_dir_close(fd);
    return rc;
}

pl_u64 st_mbox_usage(st_store *s, const char *addr)
{
    st_mbox *mb;
    pl_u32 cnt = 0;
    pl_u64 oct = 0;

    if (st_mbox_open(s, addr, 0, &mb) != PL_OK)
        return 0;
    if (st_mbox_newcount(mb, &cnt, &oct) != PL_OK)
        oct = 0;
    st_mbox_close(mb);
    return oct;
}

typedef struct st_fl_ctx {
    st_name_fn cb;
    void *ctx;
} st_fl_ctx;

static int st_folders_cb(void *ctx, const char *name, int kind)
{
    st_fl_ctx *c = (st_fl_ctx *)ctx;
    char canon[ST_NAME_BUF];

    if (kind != PL_ENT_DIR ||
        st_name_folder(name, strlen(name), canon) != PL_OK ||
        strcmp(canon, name) != 0)
        return 0;
    return c->cb(c->ctx, name);
}

int st_mbox_folders(st_mbox *mb, st_name_fn cb, void *ctx)
{
    st_fl_ctx c;

    c.cb = cb;
    c.ctx = ctx;
    return pl_dir_list(mb->dir, st_folders_cb, &c);
}

int st_mbox_purge(st_mbox *mb, pl_u32 *removed)
{
    pl_dir *fd;
    st_recs files, r;
    char name[ST_FILE_BUF];
    pl_u32 k, n = 0;
    int rc;

    memset(&files, 0, sizeof files);
    memset(&r, 0, sizeof r);
    if (removed != NULL)
        *removed = 0;
    rc = pl_dir_open(mb->dir, ST_WASTEBASKET, 0, &fd);
    if (rc == PL_ENOENT)
        return PL_OK;
    if (rc != PL_OK)
        return rc;
    rc = st_ix_scan(fd, &files);
    for (k = 0; rc == PL_OK && k < files.n; k++) {
        st_rec *x = &files.v[k];
        rc = st_nm_msgfile(x->id, x->size, x->lines, x->z, name);
        if (rc == PL_OK)
            rc = pl_file_remove(fd, name);
        if (rc == PL_ENOENT)
            rc = PL_OK;
        else if (rc == PL_OK)
            n++;
    }
    /* Reconciliation drops the records of the removed files. */
    if (rc == PL_OK)
        rc = st_ix_sync(fd, 0, &r);
    if (rc == PL_OK)
        rc = pl_dir_sync(fd);
    st_recs_free(&r);
    st_recs_free(&files);
    pl_dir_close(fd);
    if (removed != NULL)
        *removed = n;
    return rc;
}

/* ---- folders ----------------------------------------------------------- */

int st_folder_select(st_mbox *mb, const char *name, st_folder **out)
{
    st_folder *f;
    int rc;

    *out = NULL;
    f = (st_folder *)calloc(1, sizeof *f);
    if (f == NULL)
        return PL_ENOMEM;
    rc = name == NULL ? PL_EINVAL : st_name_folder(name, strlen(name), f->name);
    if (rc == PL_OK)
        rc = st_fo_subdir(mb->dir, f->name, 1, &f->dir);
    if (rc == PL_OK)
        rc = st_ix_sync(f->dir, 0, &f->r);
    if (rc != PL_OK) {
        pl_dir_close(f->dir);
        free(f);
        return rc;
    }
    f->mb = mb;
    *out = f;
    return PL_OK;
}

pl_u32 st_folder_count(const st_folder *f)
{
    return f->r.n;
}

int st_folder_info(const st_folder *f, pl_u32 i, st_msginfo *out)
{
    const st_rec *x;

    if (i >= f->r.n)
        return PL_ENOENT;
    x = &f->r.v[i];
    out->id = x->id;
    out->size = x->size;
    out->lines = x->lines;
    out->arrival = x->arrival;
    out->flags = x->flags;
    out->compressed = x->z;
    out->gone = x->gone;
    return PL_OK;
}

void st_folder_totals(const st_folder *f, pl_u32 *count, pl_u64 *octets)
{
    pl_u32 k, n = 0;
    pl_u64 sum = 0;

    for (k = 0; k < f->r.n; k++) {
        if (f->r.v[k].gone)
            continue;
        n++;
        sum += f->r.v[k].size;
    }
    *count = n;
    *octets = sum;
}

/* The live record i, or NULL. */
static st_rec *st_live(st_folder *f, pl_u32 i)
{
    if (i >= f->r.n || f->r.v[i].gone)
        return NULL;
    return &f->r.v[i];
}

/* Streaming through a counter, so that a file whose contents do not
 * match its recorded size and line count is reported (PL_EIO) instead of
 * silently giving a client fewer octets than LIST promised. */
typedef struct st_verify {
    st_out_fn out;
    void *ctx;
    st_count cnt;
} st_verify;

static int st_verify_cb(void *ctx, const void *buf, size_t n)
{
    st_verify *v = (st_verify *)ctx;

    st_count_feed(&v->cnt, (const unsigned char *)buf, n);
    return v->out(v->ctx, buf, n);
}

static int st_stream_raw(st_folder *f, st_rec *x, st_out_fn out, void *ctx)
{
    char name[ST_FILE_BUF];
    int rc = st_nm_msgfile(x->id, x->size, x->lines, x->z, name);

    if (rc != PL_OK)
        return rc;
    return st_zl_stream(f->dir, name, x->z, x->size, out, ctx);
}

int st_msg_stream(st_folder *f, pl_u32 i, st_out_fn out, void *ctx)
{
    st_rec *x = st_live(f, i);
    st_verify v;
    pl_u64 size, lines;
    int rc;

    if (x == NULL)
        return PL_ENOENT;
    v.out = out;
    v.ctx = ctx;
    st_count_init(&v.cnt);
    rc = st_stream_raw(f, x, st_verify_cb, &v);
    if (rc != PL_OK)
        return rc;
    st_count_end(&v.cnt, &size, &lines);
    return size == x->size && lines == x->lines ? PL_OK : PL_EIO;
}

/* TOP: a filter in front of the caller's output that passes the header,
 * the blank line and `left` body lines, then stops the stream. */
typedef struct st_top {
    st_out_fn out;
    void *ctx;
    pl_u64 left;
    int body;
    int cr;            /* the previous octet was a CR (already passed) */
    int empty;         /* the current line has no content octets yet */
    int stopped;
} st_top;

/* A line ended; returns 1 if TOP has sent all it should. */
static int st_top_eol(st_top *t)
{
    if (!t->body) {
        if (t->empty)
            t->body = 1;           /* the blank line ends the header */
    } else if (t->left > 0) {
        t->left--;
    }
    t->empty = 1;
    return t->body && t->left == 0;
}

static int st_top_cb(void *ctx, const void *buf, size_t n)
{
    st_top *t = (st_top *)ctx;
    const unsigned char *p = (const unsigned char *)buf;
    size_t i, cut = n;
    int done = 0, rc;

    for (i = 0; i < n && !done; i++) {
        if (t->cr) {
            t->cr = 0;
            if (p[i] == '\n') {
                if (st_top_eol(t)) {
                    cut = i + 1;
                    done = 1;
                }
                continue;
            }
            if (st_top_eol(t)) {   /* a bare CR ended the line */
                cut = i;
                done = 1;
                continue;
            }
        }
        if (p[i] == '\r') {
            t->cr = 1;
        } else if (p[i] == '\n') {
            if (st_top_eol(t)) {
                cut = i + 1;
                done = 1;
            }
        } else {
            t->empty = 0;
        }
    }
    if (cut > 0) {
        rc = t->out(t->ctx, p, cut);
        if (rc != 0)
            return rc;
    }
    if (done) {
        t->stopped = 1;
        return 1;
    }
    return 0;
}

int st_msg_top(st_folder *f, pl_u32 i, pl_u64 nlines, st_out_fn out,
               void *ctx)
{
    st_top t;
    st_rec *x;
    int rc;

    t.out = out;
    t.ctx = ctx;
    t.left = nlines;
    t.body = 0;
    t.cr = 0;
    t.empty = 1;
    t.stopped = 0;
    x = st_live(f, i);
    if (x == NULL)
        return PL_ENOENT;
    rc = st_stream_raw(f, x, st_top_cb, &t);
    if (t.stopped && rc == 1)
        rc = PL_OK;
    return rc;
}

static int st_mv_push(st_folder *f, pl_u32 i, const char *dest)
{
    if (f->nmv == f->capmv) {
        pl_u32 ncap = f->capmv ? f->capmv * 2 : 16;
        size_t bytes;
        st_move *nv;

        if (ut_mul_size(ncap, sizeof *nv, &bytes) != PL_OK)
            return PL_ENOMEM;
        nv = (st_move *)realloc(f->mv, bytes);
        if (nv == NULL)
            return PL_ENOMEM;
        f->mv = nv;
        f->capmv = ncap;
    }
    f->mv[f->nmv].i = i;
    f->mv[f->nmv].done = 0;
    strcpy(f->mv[f->nmv].dest, dest);   /* a canonical folder name */
    f->nmv++;
    return PL_OK;
}

int st_msg_move(st_folder *f, pl_u32 i, const char *dest)
{
    st_rec *x = st_live(f, i);
    char canon[ST_NAME_BUF], name[ST_FILE_BUF];
    int rc;

    if (x == NULL)
        return PL_ENOENT;
    if (dest == NULL || st_name_folder(dest, strlen(dest), canon) != PL_OK ||
        strcmp(canon, f->name) == 0)
        return PL_EINVAL;
    if (f->ddir == NULL || strcmp(f->dname, canon) != 0) {
        pl_dir_close(f->ddir);
        f->ddir = NULL;
        rc = st_fo_subdir(f->mb->dir, canon, 1, &f->ddir);
        if (rc != PL_OK)
            return rc;
        strcpy(f->dname, canon);
    }
    rc = st_nm_msgfile(x->id, x->size, x->lines, x->z, name);
    if (rc == PL_OK)
        rc = st_mv_push(f, i, canon);
    if (rc != PL_OK)
        return rc;
    rc = pl_file_rename(f->dir, name, f->ddir, name);
    if (rc != PL_OK) {
        f->nmv--;
        return rc;
    }
    x->gone = 1;
    return PL_OK;
}

int st_msg_delete(st_folder *f, pl_u32 i)
{
    st_rec *x = st_live(f, i);
    char name[ST_FILE_BUF];
    int rc;

    if (x == NULL)
        return PL_ENOENT;
    if (strcmp(f->name, ST_WASTEBASKET) != 0)
        return st_msg_move(f, i, ST_WASTEBASKET);
    rc = st_nm_msgfile(x->id, x->size, x->lines, x->z, name);
    if (rc == PL_OK)
        rc = st_mv_push(f, i, "");
    if (rc != PL_OK)
        return rc;
    rc = pl_file_remove(f->dir, name);
    if (rc != PL_OK) {
        f->nmv--;
        return rc;
    }
    x->gone = 1;
    return PL_OK;
}

int st_msg_set_flags(st_folder *f, pl_u32 i, pl_u32 flags)
{
    st_rec *x = st_live(f, i);

    if (x == NULL)
        return PL_ENOENT;
    if (x->flags != flags) {
        x->flags = flags;
        if (!x->dirty)
            f->nflags++;
        x->dirty = 1;
    }
    return PL_OK;
}

/* Append the record lines that `pick` selects to fd's index under its
 * lock, in ST_IO_BUF pieces. */
typedef size_t (*st_pick_fn)(st_folder *f, pl_u32 k, const char *dest,
                             char *line);

static size_t st_pick_add(st_folder *f, pl_u32 k, const char *dest,
                          char *line)
{
    if (strcmp(f->mv[k].dest, dest) != 0)
        return 0;
    return st_ix_fmt_add(line, &f->r.v[f->mv[k].i]);
}

static size_t st_pick_del(st_folder *f, pl_u32 k, const char *dest,
                          char *line)
{
    (void)dest;
    return st_ix_fmt_del(line, f->r.v[f->mv[k].i].id);
}

static int st_append_picked(st_folder *f, pl_dir *fd, st_pick_fn pick,
                            const char *dest, int flags_too)
{
    char *buf;
    size_t o = 0;
    pl_u32 k;
    pl_lock *lk = NULL;
    int rc;

    buf = (char *)malloc(ST_IO_BUF);
    if (buf == NULL)
        return PL_ENOMEM;
    rc = st_ix_lock(fd, &lk);
    for (k = 0; rc == PL_OK && k < f->nmv; k++) {
        if (ST_IO_BUF - o < ST_INDEX_LINE_MAX) {
            rc = st_ix_append(fd, buf, o);
            o = 0;
        }
        o += pick(f, k, dest, buf + o);
    }
    for (k = 0; rc == PL_OK && flags_too && k < f->r.n; k++) {
        st_rec *x = &f->r.v[k];
        if (x->gone || !x->dirty)
            continue;
        if (ST_IO_BUF - o < ST_INDEX_LINE_MAX) {
            rc = st_ix_append(fd, buf, o);
            o = 0;
        }
        o += st_ix_fmt_flags(buf + o, x->id, x->flags);
    }
    if (rc == PL_OK && o > 0)
        rc = st_ix_append(fd, buf, o);
    if (lk != NULL)
        pl_lock_release(lk);
    free(buf);
    return rc;
}

int st_folder_commit(st_folder *f)
{
    pl_u32 k, j;
    int rc = PL_OK;

    if (f->nmv == 0 && f->nflags == 0)
        return PL_OK;
    /* Destinations first: make the renames durable, then tell each
     * destination index.  One pass per distinct destination (a handful
     * of folders), so n moves cost O(n) per destination, not O(n^2). */
    for (k = 0; rc == PL_OK && k < f->nmv; k++) {
        const char *dest = f->mv[k].dest;
        pl_dir *dd;

        if (dest[0] == '\0' || f->mv[k].done)
            continue;
        for (j = k; j < f->nmv; j++)
            if (strcmp(f->mv[j].dest, dest) == 0)
                f->mv[j].done = 1;
        rc = pl_dir_open(f->mb->dir, dest, 0, &dd);
        if (rc == PL_OK) {
            rc = pl_dir_sync(dd);
            if (rc == PL_OK)
                rc = st_append_picked(f, dd, st_pick_add, dest, 0);
            pl_dir_close(dd);
        }
    }
    if (rc == PL_OK && f->nmv > 0)
        rc = pl_dir_sync(f->dir);
    if (rc == PL_OK)
        rc = st_append_picked(f, f->dir, st_pick_del, "", 1);
    if (rc != PL_OK) {
        for (k = 0; k < f->nmv; k++)
            f->mv[k].done = 0;   /* a retry repeats all: replay dedups */
    } else {
        f->nmv = 0;
        f->nflags = 0;
        for (k = 0; k < f->r.n; k++)
            f->r.v[k].dirty = 0;
    }
    return rc;
}

void st_folder_close(st_folder *f)
{
    if (f == NULL)
        return;
    st_folder_commit(f);
    pl_dir_close(f->ddir);
    pl_dir_close(f->dir);
    st_recs_free(&f->r);
    free(f->mv);
    free(f);
}
