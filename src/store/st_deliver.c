/*
 * st_deliver.c - crash-safe delivery into a mailbox's NEWMAIL folder.
 *
 * The message is written to TMP/<ID>.TMP (exclusive create), counted
 * (raw octets, CRLF size, lines) and optionally deflated on the way; at
 * commit the file is synced, renamed to NEWMAIL/<ID>.<SIZE>_<LINES>[_Z]
 * (pl_file_rename never overwrites), NEWMAIL is synced, and only then is
 * the index record appended.  So: two fsyncs per delivery; a crash before
 * the rename leaves an orphan in TMP (reaped later) and nothing visible;
 * a crash after it leaves a complete message the next select indexes.
 * Deliveries take no mailbox lock: concurrent ones differ in id and only
 * serialise on the short index append; a POP3 session never blocks them.
 * Limits: st_params.max_size CRLF octets; at most ST_COMPRESS_HOLD_MAX
 * octets held in memory while the compression decision is open, otherwise
 * one ST_IO_BUF write-behind buffer.
 * Privilege: the store's service account.
 */
#include <stdlib.h>
#include <string.h>
#include "st_int.h"
#include "ut_log.h"

struct st_dlv {
    st_store *st;
    pl_dir *tmp;
    pl_dir *newd;
    pl_file *fp;
    char id[ST_NAME_BUF];
    char tname[ST_FILE_BUF];
    st_count cnt;
    unsigned char *buf;    /* write-behind, or held data while deciding */
    size_t blen;
    size_t bcap;
    size_t hold;           /* deciding: compress once this much is held */
    int deciding;
    st_zw *zw;
    int failed;            /* first error; the delivery can only abort */
};

void st_count_init(st_count *c)
{
    memset(c, 0, sizeof *c);
}

void st_count_feed(st_count *c, const unsigned char *p, size_t n)
{
    size_t i;

    c->raw += n;
    for (i = 0; i < n; i++) {
        unsigned char b = p[i];

        if (c->cr) {
            c->cr = 0;
            c->size += 2;          /* CRLF, or a bare CR counted as one */
            c->lines++;
            c->open = 0;
            if (b == '\n')
                continue;
        }
        if (b == '\r') {
            c->cr = 1;
        } else if (b == '\n') {
            c->size += 2;          /* a bare LF becomes CRLF */
            c->lines++;
            c->open = 0;
        } else {
            c->size++;
            c->open = 1;
        }
    }
}

void st_count_end(const st_count *c, pl_u64 *size, pl_u64 *lines)
{
    *size = c->size;
    *lines = c->lines;
    if (c->cr || c->open) {
        *size += 2;                /* POP3 ends the last line with CRLF */
        *lines += 1;
    }
}

static void st_dlv_free(st_dlv *d)
{
    st_zw_free(d->zw);
    if (d->fp != NULL)
        pl_file_close(d->fp);
    pl_dir_close(d->tmp);
    pl_dir_close(d->newd);
    free(d->buf);
    free(d);
}

int st_deliver_begin(st_store *s, const char *mailbox, st_dlv **out)
{
    st_dlv *d;
    pl_dir *mb = NULL;
    char dom[ST_NAME_BUF], user[ST_NAME_BUF];
    int rc, tries;

    *out = NULL;
    d = (st_dlv *)calloc(1, sizeof *d);
    if (d == NULL)
        return PL_ENOMEM;
    d->st = s;
    st_count_init(&d->cnt);
    rc = st_fo_mbdir(s, mailbox, 1, &mb, dom, user);
    if (rc == PL_OK)
        rc = st_fo_subdir(mb, ST_TMP_DIR, 1, &d->tmp);
    if (rc == PL_OK)
        rc = st_fo_subdir(mb, ST_NEWMAIL, 1, &d->newd);
    pl_dir_close(mb);
    if (rc == PL_OK) {
        d->deciding = s->p.compress != 0;
        d->hold = s->p.compress_min > (pl_u64)ST_COMPRESS_HOLD_MAX ?
                  (size_t)ST_COMPRESS_HOLD_MAX : (size_t)s->p.compress_min;
        d->bcap = d->deciding && d->hold > ST_IO_BUF ? d->hold : ST_IO_BUF;
        d->buf = (unsigned char *)malloc(d->bcap);
        if (d->buf == NULL)
            rc = PL_ENOMEM;
    }
    for (tries = 0; rc == PL_OK; tries++) {
        rc = st_name_new_id(s, d->id);
        if (rc == PL_OK)
            rc = st_nm_typed(d->id, ST_TMP_TYPE, d->tname);
        if (rc == PL_OK)
            rc = pl_file_create(d->tmp, d->tname, &d->fp);
        if (rc != PL_EEXIST || tries + 1 >= ST_ID_RETRIES)
            break;
        rc = PL_OK;
    }
    if (rc != PL_OK) {
        st_dlv_free(d);
        return rc;
    }
    *out = d;
    return PL_OK;
}

/* Send n bytes on towards the file: through deflate, or write-behind. */
static int st_dlv_emit(st_dlv *d, const unsigned char *p, size_t n)
{
    int rc;

    if (d->zw != NULL)
        return st_zw_write(d->zw, p, n);
    if (d->blen + n > d->bcap) {
        if (d->blen > 0) {
            rc = pl_file_write(d->fp, d->buf, d->blen);
            d->blen = 0;
            if (rc != PL_OK)
                return rc;
        }
        if (n >= d->bcap)
            return pl_file_write(d->fp, p, n);
    }
    memcpy(d->buf + d->blen, p, n);
    d->blen += n;
    return PL_OK;
}

/* Close the compression decision: deflate from here on if z. */
static int st_dlv_decide(st_dlv *d, int z)
{
    size_t held = d->blen;
    int rc;

    d->deciding = 0;
    if (!z)
        return PL_OK;              /* the held bytes stay as write-behind */
    rc = st_zw_open(d->fp, &d->zw);
    d->blen = 0;
    if (rc == PL_OK && held > 0)
        rc = st_zw_write(d->zw, d->buf, held);
    return rc;
}

int st_deliver_write(st_dlv *d, const void *buf, size_t n)
{
    const unsigned char *p = (const unsigned char *)buf;
    pl_u64 size, lines;
    int rc;

    if (d->failed)
        return d->failed;
    st_count_feed(&d->cnt, p, n);
    st_count_end(&d->cnt, &size, &lines);
    if (size > d->st->p.max_size) {
        d->failed = PL_ERANGE;
        return PL_ERANGE;
    }
    if (d->deciding) {
        size_t room = d->bcap - d->blen, k = n < room ? n : room;

        memcpy(d->buf + d->blen, p, k);
        d->blen += k;
        p += k;
        n -= k;
        if (d->blen < d->hold && n == 0)
            return PL_OK;
        rc = st_dlv_decide(d, 1);
        if (rc != PL_OK) {
            d->failed = rc;
            return rc;
        }
    }
    rc = n > 0 ? st_dlv_emit(d, p, n) : PL_OK;
    if (rc != PL_OK)
        d->failed = rc;
    return rc;
}

int st_deliver_commit(st_dlv *d, char *id)
{
    pl_u64 size, lines;
    char final[ST_FILE_BUF], line[ST_INDEX_LINE_MAX];
    st_rec rec;
    pl_lock *lk = NULL;
    int rc = d->failed, rc2;

    st_count_end(&d->cnt, &size, &lines);
    memset(&rec, 0, sizeof rec);
    if (rc == PL_OK && d->deciding)
        rc = st_dlv_decide(d, size >= d->st->p.compress_min);
    rec.z = (unsigned char)(d->zw != NULL);
    if (rc == PL_OK && d->zw != NULL) {
        rc = st_zw_finish(d->zw);
        d->zw = NULL;
    } else if (rc == PL_OK && d->blen > 0) {
        rc = pl_file_write(d->fp, d->buf, d->blen);
        d->blen = 0;
    }
    if (rc == PL_OK)
        rc = pl_file_sync(d->fp);
    rc2 = pl_file_close(d->fp);
    d->fp = NULL;
    if (rc == PL_OK)
        rc = rc2;
    if (rc == PL_OK)
        rc = st_nm_msgfile(d->id, size, lines, rec.z, final);
    if (rc == PL_OK)
        rc = pl_file_rename(d->tmp, d->tname, d->newd, final);
    if (rc != PL_OK) {
        pl_file_remove(d->tmp, d->tname);
        st_dlv_free(d);
        return rc;
    }
    /* From here the message exists; the directory sync makes it durable.
     * If that fails we cannot promise durability, but the message stays
     * (a retry by the client would duplicate, a loss would be worse). */
    rc = pl_dir_sync(d->newd);
    if (rc == PL_OK) {
        strcpy(rec.id, d->id);
        rec.size = size;
        rec.lines = lines;
        rec.arrival = pl_time_now();
        /* The index is a cache: a failed append is repaired by the next
         * select's reconciliation, so it does not fail the delivery. */
        if (st_ix_lock(d->newd, &lk) == PL_OK) {
            if (st_ix_append(d->newd, line, st_ix_fmt_add(line, &rec))
                != PL_OK)
                ut_log_warn("store: index append failed for %s", d->id);
            pl_lock_release(lk);
        }
        if (id != NULL)
            strcpy(id, d->id);
    }
    st_dlv_free(d);
    return rc;
}

void st_deliver_abort(st_dlv *d)
{
    if (d == NULL)
        return;
    if (d->fp != NULL) {
        pl_file_close(d->fp);
        d->fp = NULL;
    }
    pl_file_remove(d->tmp, d->tname);
    st_dlv_free(d);
}
