/*
 * st_index.c - the per-folder index: a rebuildable cache of the folder's
 * messages (id, CRLF size, lines, arrival, flags, compressed) in arrival
 * order, so STAT, LIST and UIDL never read a message body.
 *
 * Format (doc/store-format.md): a header line "NMIDX 1", then append-only
 * record lines "A id size lines arrival flags z", "D id", "F id flags".
 * Every update is an append under the folder's INDEX.LCK; the file is
 * compacted (rewritten) when garbage outweighs live records.  The index is
 * never fsynced: the message file names carry id, size and line count, so
 * on every select the index is reconciled with the directory and a lost,
 * torn or stale index loses at most flags, never mail.
 * Limits: lines of at most ST_INDEX_LINE_MAX; ST_FOLDER_MAX records.
 * Privilege: the store's service account.
 */
#include <stdlib.h>
#include <string.h>
#include "st_int.h"
#include "ut_str.h"

static const char st_ix_header[] = "NMIDX 1\n";

/* ---- record arrays ------------------------------------------------- */

int st_recs_push(st_recs *r, const st_rec *rec)
{
    if (r->n == r->cap) {
        pl_u32 ncap = r->cap ? r->cap * 2 : 64;
        st_rec *nv;
        size_t bytes;

        if (r->n >= ST_FOLDER_MAX)
            return PL_ERANGE;
        if (ut_mul_size(ncap, sizeof *nv, &bytes) != PL_OK)
            return PL_ENOMEM;
        nv = (st_rec *)realloc(r->v, bytes);
        if (nv == NULL)
            return PL_ENOMEM;
        r->v = nv;
        r->cap = ncap;
    }
    r->v[r->n++] = *rec;
    return PL_OK;
}

void st_recs_free(st_recs *r)
{
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}

static int st_rec_cmp(const void *a, const void *b)
{
    return strcmp(((const st_rec *)a)->id, ((const st_rec *)b)->id);
}

void st_recs_sort_id(st_rec *v, pl_u32 n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, st_rec_cmp);
}

/* ---- id map ---------------------------------------------------------- */

static pl_u32 st_hash(const char *s)
{
    pl_u32 h = 2166136261u;

    while (*s != '\0') {
        h ^= (unsigned char)*s++;
        h *= 16777619u;
    }
    return h;
}

static int st_map_alloc(st_idmap *m, pl_u32 want)
{
    pl_u32 cap = 64;

    while (cap < want * 2) {
        if (cap > 0x40000000u)
            return PL_ENOMEM;
        cap *= 2;
    }
    m->slot = (pl_u32 *)calloc(cap, sizeof *m->slot);
    if (m->slot == NULL)
        return PL_ENOMEM;
    m->mask = cap - 1;
    return PL_OK;
}

static void st_map_put(st_idmap *m, const st_recs *r, pl_u32 pos)
{
    pl_u32 i = st_hash(r->v[pos].id) & m->mask;

    while (m->slot[i] != 0)
        i = (i + 1) & m->mask;
    m->slot[i] = pos + 1;
}

int st_map_build(st_idmap *m, const st_recs *r)
{
    pl_u32 k;
    int rc = st_map_alloc(m, r->n);

    if (rc != PL_OK)
        return rc;
    for (k = 0; k < r->n; k++)
        st_map_put(m, r, k);
    return PL_OK;
}

long st_map_find(const st_idmap *m, const st_recs *r, const char *id)
{
    pl_u32 i = st_hash(id) & m->mask;

    while (m->slot[i] != 0) {
        if (strcmp(r->v[m->slot[i] - 1].id, id) == 0)
            return (long)(m->slot[i] - 1);
        i = (i + 1) & m->mask;
    }
    return -1;
}

void st_map_free(st_idmap *m)
{
    free(m->slot);
    m->slot = NULL;
    m->mask = 0;
}

/* Make the slot that points at position from point at to (same id). */
static void st_map_repoint(st_idmap *m, const st_recs *r, pl_u32 from,
                           pl_u32 to)
{
    pl_u32 i = st_hash(r->v[to].id) & m->mask;

    while (m->slot[i] != 0) {
        if (m->slot[i] == from + 1) {
            m->slot[i] = to + 1;
            return;
        }
        i = (i + 1) & m->mask;
    }
}

/* Add r->v[pos] to a map that grows with the array while loading. */
static int st_map_add(st_idmap *m, const st_recs *r, pl_u32 pos)
{
    if ((pos + 1) * 2 > m->mask + 1) {
        st_idmap nm;
        pl_u32 k;
        int rc = st_map_alloc(&nm, (pos + 1) * 2);

        if (rc != PL_OK)
            return rc;
        st_map_free(m);
        *m = nm;
        for (k = 0; k < pos; k++)
            if (!r->v[k].gone)      /* a gone id may be re-added later */
                st_map_put(m, r, k);
    }
    st_map_put(m, r, pos);
    return PL_OK;
}

/* ---- record lines ---------------------------------------------------- */

static size_t st_put_u64(char *p, pl_u64 v)
{
    return ut_u64_to_dec(p, v);
}

size_t st_ix_fmt_add(char *buf, const st_rec *r)
{
    size_t o = 0, n = strlen(r->id);

    buf[o++] = 'A';
    buf[o++] = ' ';
    memcpy(buf + o, r->id, n);
    o += n;
    buf[o++] = ' ';
    o += st_put_u64(buf + o, r->size);
    buf[o++] = ' ';
    o += st_put_u64(buf + o, r->lines);
    buf[o++] = ' ';
    o += st_put_u64(buf + o, r->arrival > 0 ? (pl_u64)r->arrival : 0);
    buf[o++] = ' ';
    o += st_put_u64(buf + o, r->flags);
    buf[o++] = ' ';
    buf[o++] = r->z ? '1' : '0';
    buf[o++] = '\n';
    return o;
}

size_t st_ix_fmt_del(char *buf, const char *id)
{
    size_t n = strlen(id);

    buf[0] = 'D';
    buf[1] = ' ';
    memcpy(buf + 2, id, n);
    buf[2 + n] = '\n';
    return n + 3;
}

size_t st_ix_fmt_flags(char *buf, const char *id, pl_u32 flags)
{
    size_t o, n = strlen(id);

    buf[0] = 'F';
    buf[1] = ' ';
    memcpy(buf + 2, id, n);
    o = n + 2;
    buf[o++] = ' ';
    o += st_put_u64(buf + o, flags);
    buf[o++] = '\n';
    return o;
}

/* Split line (NUL-terminated, no newline) at single spaces into at most
 * max fields; returns the count, or -1 for empty fields. */
static int st_fields(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;

    for (;;) {
        char *sp = strchr(p, ' ');
        if (n == max || *p == '\0' || *p == ' ')
            return -1;
        f[n++] = p;
        if (sp == NULL)
            return n;
        *sp = '\0';
        p = sp + 1;
    }
}

static int st_num(const char *s, pl_u64 max, pl_u64 *v)
{
    return ut_parse_u64(s, strlen(s), max, v);
}

typedef struct st_loadst {
    st_recs *r;
    st_idmap map;
    int damaged;
    pl_u32 dead;
} st_loadst;

/* Apply one record line to the replay state. */
static int st_ix_apply(st_loadst *ls, char *line)
{
    char *f[8];
    int nf = st_fields(line, f, 8);
    pl_u64 size, lines, arr, fl, z;
    long pos;
    st_rec rec;
    int rc;

    if (nf < 2 || f[0][1] != '\0' || st_name_id_check(f[1]) != PL_OK) {
        ls->damaged = 1;
        return PL_OK;
    }
    pos = st_map_find(&ls->map, ls->r, f[1]);
    switch (f[0][0]) {
    case 'A':
        if (nf != 7 || st_num(f[2], ST_SIZE_HARD_MAX, &size) != PL_OK ||
            st_num(f[3], ST_SIZE_HARD_MAX, &lines) != PL_OK ||
            st_num(f[4], (pl_u64)1 << 62, &arr) != PL_OK ||
            st_num(f[5], 0xFFFFFFFFu, &fl) != PL_OK ||
            st_num(f[6], 1, &z) != PL_OK) {
            ls->damaged = 1;
            return PL_OK;
        }
        memset(&rec, 0, sizeof rec);
        strcpy(rec.id, f[1]);        /* checked: at most ST_ID_MAX */
        rec.size = size;
        rec.lines = lines;
        rec.arrival = (pl_i64)arr;
        rec.flags = (pl_u32)fl;
        rec.z = (unsigned char)z;
        if (pos >= 0 && !ls->r->v[pos].gone) {
            /* A duplicate: a delivery raced a reconciliation. */
            ls->r->v[pos] = rec;
            ls->dead++;
            return PL_OK;
        }
        rc = st_recs_push(ls->r, &rec);
        if (rc != PL_OK)
            return rc;
        if (pos >= 0) {
            /* Moved back into this folder: it arrives anew, at the end. */
            st_map_repoint(&ls->map, ls->r, (pl_u32)pos, ls->r->n - 1);
            return PL_OK;
        }
        return st_map_add(&ls->map, ls->r, ls->r->n - 1);
    case 'D':
        if (nf != 2)
            ls->damaged = 1;
        else if (pos >= 0 && !ls->r->v[pos].gone) {
            ls->r->v[pos].gone = 1;
            ls->dead += 2;
        }
        return PL_OK;
    case 'F':
        if (nf != 3 || st_num(f[2], 0xFFFFFFFFu, &fl) != PL_OK)
            ls->damaged = 1;
        else if (pos >= 0) {
            ls->r->v[pos].flags = (pl_u32)fl;
            ls->dead++;
        }
        return PL_OK;
    default:
        ls->damaged = 1;
        return PL_OK;
    }
}

/* Replay one open index file. */
static int st_ix_read(pl_file *fp, st_loadst *ls)
{
    char *buf;
    size_t have = 0, got, i, start;
    int rc = PL_OK, first = 1;

    buf = (char *)malloc(ST_IO_BUF + 1);
    if (buf == NULL)
        return PL_ENOMEM;
    for (;;) {
        rc = pl_file_read(fp, buf + have, ST_IO_BUF - have, &got);
        if (rc != PL_OK || got == 0)
            break;
        have += got;
        start = 0;
        for (i = 0; i < have; i++) {
            if (buf[i] != '\n')
                continue;
            buf[i] = '\0';
            if (first) {
                if (strcmp(buf + start, "NMIDX 1") != 0)
                    ls->damaged = 1;
                first = 0;
            } else if (i - start > ST_INDEX_LINE_MAX) {
                ls->damaged = 1;
            } else {
                rc = st_ix_apply(ls, buf + start);
                if (rc != PL_OK)
                    goto out;
            }
            start = i + 1;
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (have == ST_IO_BUF) {       /* a line no writer makes */
            ls->damaged = 1;
            have = 0;
        }
    }
    if (have > 0 || first)
        ls->damaged = 1;               /* torn last append, or empty */
out:
    free(buf);
    return rc;
}

int st_ix_load(pl_dir *fd, st_recs *out, int *damaged, pl_u32 *dead)
{
    st_loadst ls;
    pl_file *fp = NULL;
    pl_u32 k, o;
    int rc;

    memset(&ls, 0, sizeof ls);
    ls.r = out;
    rc = st_map_alloc(&ls.map, 64);
    if (rc != PL_OK)
        return rc;
    rc = pl_file_open(fd, ST_INDEX_FILE, PL_OPEN_READ, &fp);
    if (rc == PL_ENOENT) {
        /* A crash between removing the old index and renaming the new
         * one: the new one is complete, use it (and rewrite it). */
        rc = pl_file_open(fd, ST_INDEX_NEW, PL_OPEN_READ, &fp);
        ls.damaged = 1;
    }
    if (rc == PL_OK) {
        rc = st_ix_read(fp, &ls);
        pl_file_close(fp);
    }
    st_map_free(&ls.map);
    if (rc == PL_ENOENT) {
        ls.damaged = 1;
        rc = PL_OK;
    }
    if (rc != PL_OK) {
        st_recs_free(out);
        return rc;
    }
    for (k = o = 0; k < out->n; k++)
        if (!out->v[k].gone)
            out->v[o++] = out->v[k];
    out->n = o;
    *damaged = ls.damaged;
    *dead = ls.dead;
    return PL_OK;
}

/* ---- directory scan --------------------------------------------------- */

typedef struct st_scanst {
    pl_dir *fd;
    st_recs *r;
    int rc;
} st_scanst;

static int st_scan_cb(void *ctx, const char *name, int kind)
{
    st_scanst *ss = (st_scanst *)ctx;
    st_rec rec;
    pl_u64 size, lines;
    int z;

    if (kind != PL_ENT_FILE ||
        st_nm_parse(name, rec.id, &size, &lines, &z) != PL_OK)
        return 0;
    rec.size = size;
    rec.lines = lines;
    rec.z = (unsigned char)z;
    rec.flags = 0;
    rec.gone = rec.dirty = rec.seen = 0;
    if (st_nm_id_time(rec.id, &rec.arrival) != PL_OK) {
        pl_file_info info;
        rec.arrival = pl_file_info_get(ss->fd, name, &info) == PL_OK ?
                      info.mtime : 0;
    }
    ss->rc = st_recs_push(ss->r, &rec);
    return ss->rc != PL_OK;
}

int st_ix_scan(pl_dir *fd, st_recs *out)
{
    st_scanst ss;
    int rc;

    ss.fd = fd;
    ss.r = out;
    ss.rc = PL_OK;
    rc = pl_dir_list(fd, st_scan_cb, &ss);
    if (ss.rc != PL_OK)
        rc = ss.rc;
    else if (rc > 0)
        rc = PL_ERR;
    return rc;
}

/* ---- writing ----------------------------------------------------------- */

int st_ix_lock(pl_dir *fd, pl_lock **lk)
{
    return pl_lock_take(fd, ST_INDEX_LOCK, PL_LOCK_EX, PL_WAIT_FOREVER, lk);
}

int st_ix_append(pl_dir *fd, const char *text, size_t n)
{
    pl_file *fp;
    pl_u64 size;
    char last = '\n';
    size_t got;
    int rc, rc2;

    rc = pl_file_open(fd, ST_INDEX_FILE, PL_OPEN_RDWR_CREATE, &fp);
    if (rc != PL_OK)
        return rc;
    rc = pl_file_size(fp, &size);
    if (rc == PL_OK && size == 0)
        rc = pl_file_write(fp, st_ix_header, sizeof st_ix_header - 1);
    else if (rc == PL_OK) {
        /* After a torn append, start on a fresh line so only the torn
         * record is lost (reconciliation restores it). */
        rc = pl_file_seek(fp, size - 1);
        if (rc == PL_OK)
            rc = pl_file_read(fp, &last, 1, &got);
        if (rc == PL_OK)
            rc = pl_file_seek(fp, size);
        if (rc == PL_OK && last != '\n')
            rc = pl_file_write(fp, "\n", 1);
    }
    if (rc == PL_OK)
        rc = pl_file_write(fp, text, n);
    rc2 = pl_file_close(fp);
    return rc != PL_OK ? rc : rc2;
}

/* Replace the index with exactly the records of r (caller holds the
 * lock).  INDEX.NEW is complete before INDEX.IDX goes, so a crash leaves
 * one whole index or none (then a rebuild). */
static int st_ix_rewrite(pl_dir *fd, const st_recs *r)
{
    pl_file *fp;
    char *buf;
    size_t o;
    pl_u32 k;
    int rc, rc2;

    rc = pl_file_remove(fd, ST_INDEX_NEW);
    if (rc != PL_OK && rc != PL_ENOENT)
        return rc;
    buf = (char *)malloc(ST_IO_BUF);
    if (buf == NULL)
        return PL_ENOMEM;
    rc = pl_file_create(fd, ST_INDEX_NEW, &fp);
    if (rc != PL_OK) {
        free(buf);
        return rc;
    }
    memcpy(buf, st_ix_header, sizeof st_ix_header - 1);
    o = sizeof st_ix_header - 1;
    for (k = 0; k < r->n && rc == PL_OK; k++) {
        if (r->v[k].gone)
            continue;
        if (ST_IO_BUF - o < ST_INDEX_LINE_MAX) {
            rc = pl_file_write(fp, buf, o);
            o = 0;
        }
        o += st_ix_fmt_add(buf + o, &r->v[k]);
    }
    if (rc == PL_OK && o > 0)
        rc = pl_file_write(fp, buf, o);
    free(buf);
    rc2 = pl_file_close(fp);
    if (rc == PL_OK)
        rc = rc2;
    if (rc == PL_OK) {
        rc = pl_file_remove(fd, ST_INDEX_FILE);
        if (rc == PL_ENOENT)
            rc = PL_OK;
    }
    if (rc == PL_OK)
        rc = pl_file_rename(fd, ST_INDEX_NEW, fd, ST_INDEX_FILE);
    return rc;
}

int st_ix_sync(pl_dir *fd, int rebuild, st_recs *out)
{
    st_recs idx, files;
    st_idmap fmap;
    pl_lock *lk = NULL;
    int damaged = 1, changed = 0, rc;
    pl_u32 dead = 0, k, nextra, first_extra;

    memset(&idx, 0, sizeof idx);
    memset(&files, 0, sizeof files);
    fmap.slot = NULL;
    rc = st_ix_lock(fd, &lk);
    if (rc != PL_OK)
        return rc;
    if (!rebuild)
        rc = st_ix_load(fd, &idx, &damaged, &dead);
    if (rc == PL_OK)
        rc = st_ix_scan(fd, &files);
    if (rc == PL_OK)
        rc = st_map_build(&fmap, &files);
    /* Index records in index order, corrected from the file names. */
    for (k = 0; rc == PL_OK && k < idx.n; k++) {
        st_rec *ir = &idx.v[k];
        long p = st_map_find(&fmap, &files, ir->id);
        st_rec *fr;

        if (p < 0) {
            changed = 1;                  /* its file is gone */
            continue;
        }
        fr = &files.v[p];
        if (fr->seen) {
            changed = 1;                  /* duplicate record */
            continue;
        }
        fr->seen = 1;
        if (fr->size != ir->size || fr->lines != ir->lines || fr->z != ir->z) {
            ir->size = fr->size;
            ir->lines = fr->lines;
            ir->z = fr->z;
            changed = 1;
        }
        ir->gone = ir->dirty = ir->seen = 0;
        rc = st_recs_push(out, ir);
    }
    /* Files no record names: deliveries whose index append was lost or is
     * still to come; in id (arrival) order after the indexed ones. */
    first_extra = out->n;
    for (k = 0; rc == PL_OK && k < files.n; k++)
        if (!files.v[k].seen)
            rc = st_recs_push(out, &files.v[k]);
    nextra = out->n - first_extra;
    if (rc == PL_OK && nextra > 0) {
        st_recs_sort_id(out->v + first_extra, nextra);
        changed = 1;
    }
    if (rc == PL_OK && (rebuild || damaged || changed ||
                        (dead > ST_INDEX_GARBAGE_MIN && dead > out->n)))
        rc = st_ix_rewrite(fd, out);
    pl_lock_release(lk);
    st_map_free(&fmap);
    st_recs_free(&idx);
    st_recs_free(&files);
    if (rc != PL_OK)
        st_recs_free(out);
    return rc;
}
