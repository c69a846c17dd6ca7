/*
 * st_zlib.c - compression of message files at rest (zlib format, RFC 1950)
 * and the bounded reader every message read goes through.
 *
 * Limits: a compressed file is inflated with an output cap equal to the
 * recorded CRLF size (a raw message is never longer than its CRLF form)
 * and an input cap equal to the file's size: corrupt data, a truncated
 * stream, data after the end of the stream, or more output than declared
 * (a "bomb") is PL_EIO.  Every inflate step consumes input or produces
 * output, or the data is declared corrupt, so nothing can spin.  Memory:
 * two ST_IO_BUF buffers plus zlib's fixed 32 KiB window state.
 * Privilege: the store's service account.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "st_int.h"

struct st_zw {
    z_stream zs;
    pl_file *f;
    unsigned char *out;
};

int st_zw_open(pl_file *f, st_zw **out)
{
    st_zw *z = (st_zw *)calloc(1, sizeof *z);

    if (z == NULL)
        return PL_ENOMEM;
    z->out = (unsigned char *)malloc(ST_IO_BUF);
    if (z->out == NULL) {
        free(z);
        return PL_ENOMEM;
    }
    /* Level 6 is zlib's default balance; memLevel 8 and a 32 KiB window
     * bound the deflate state to about 256 KiB. */
    if (deflateInit(&z->zs, Z_DEFAULT_COMPRESSION) != Z_OK) {
        free(z->out);
        free(z);
        return PL_ENOMEM;
    }
    z->f = f;
    *out = z;
    return PL_OK;
}

/* Run deflate over the pending input with `flush`, writing all output. */
static int st_zw_run(st_zw *z, int flush)
{
    int zrc;

    do {
        z->zs.next_out = z->out;
        z->zs.avail_out = ST_IO_BUF;
        zrc = deflate(&z->zs, flush);
        if (zrc == Z_STREAM_ERROR)
            return PL_EIO;
        if (ST_IO_BUF - z->zs.avail_out > 0) {
            int rc = pl_file_write(z->f, z->out, ST_IO_BUF - z->zs.avail_out);
            if (rc != PL_OK)
                return rc;
        }
    } while (z->zs.avail_out == 0 || (flush == Z_FINISH && zrc != Z_STREAM_END));
    return PL_OK;
}

int st_zw_write(st_zw *z, const void *buf, size_t n)
{
    const unsigned char *p = (const unsigned char *)buf;

    /* avail_in is a uInt (maybe 16 bits in theory): feed in slices. */
    while (n > 0) {
        size_t k = n > ST_IO_BUF ? ST_IO_BUF : n;
        int rc;

        z->zs.next_in = (unsigned char *)p;   /* zlib's API is not const */
        z->zs.avail_in = (uInt)k;
        rc = st_zw_run(z, Z_NO_FLUSH);
        if (rc != PL_OK)
            return rc;
        p += k;
        n -= k;
    }
    return PL_OK;
}

int st_zw_finish(st_zw *z)
{
    int rc;

    z->zs.next_in = NULL;
    z->zs.avail_in = 0;
    rc = st_zw_run(z, Z_FINISH);
    st_zw_free(z);
    return rc;
}

void st_zw_free(st_zw *z)
{
    if (z == NULL)
        return;
    deflateEnd(&z->zs);
    free(z->out);
    free(z);
}

/* Plain file: stream it; more than cap octets means the file is not the
 * message the index describes. */
static int st_zl_plain(pl_file *fp, unsigned char *in, pl_u64 cap,
                       st_out_fn out, void *ctx)
{
    pl_u64 total = 0;
    size_t got;
    int rc;

    for (;;) {
        rc = pl_file_read(fp, in, ST_IO_BUF, &got);
        if (rc != PL_OK)
            return rc;
        if (got == 0)
            return PL_OK;
        total += got;
        if (total > cap)
            return PL_EIO;
        rc = out(ctx, in, got);
        if (rc != 0)
            return rc;
    }
}

static int st_zl_inflate(pl_file *fp, unsigned char *in, unsigned char *ob,
                         pl_u64 cap, st_out_fn out, void *ctx)
{
    z_stream zs;
    pl_u64 total = 0;
    size_t got = 0;
    int rc = PL_OK, zrc = Z_OK, eof = 0, full = 0;

    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK)
        return PL_ENOMEM;
    while (zrc != Z_STREAM_END) {
        size_t produced;

        if (zs.avail_in == 0 && !eof) {
            rc = pl_file_read(fp, in, ST_IO_BUF, &got);
            if (rc != PL_OK)
                break;
            if (got == 0)
                eof = 1;
            zs.next_in = in;
            zs.avail_in = (uInt)got;
        }
        if (zs.avail_in == 0 && eof && !full) {
            rc = PL_EIO;                /* truncated stream */
            break;
        }
        zs.next_out = ob;
        zs.avail_out = ST_IO_BUF;
        zrc = inflate(&zs, Z_NO_FLUSH);
        if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
            rc = PL_EIO;                /* data, dictionary, memory */
            break;
        }
        produced = ST_IO_BUF - zs.avail_out;
        full = zs.avail_out == 0;       /* inflate may hold more output */
        if (zrc == Z_BUF_ERROR && produced == 0 && zs.avail_in > 0) {
            rc = PL_EIO;                /* no progress possible */
            break;
        }
        total += produced;
        if (total > cap + ST_INFLATE_SLACK) {
            rc = PL_EIO;                /* more than declared: a bomb */
            break;
        }
        if (produced > 0) {
            rc = out(ctx, ob, produced);
            if (rc != 0)
                break;
        }
    }
    if (rc == PL_OK) {
        /* Nothing may follow the stream. */
        if (zs.avail_in > 0)
            rc = PL_EIO;
        else {
            rc = pl_file_read(fp, in, 1, &got);
            if (rc == PL_OK && got != 0)
                rc = PL_EIO;
        }
    }
    inflateEnd(&zs);
    return rc;
}

int st_zl_stream(pl_dir *d, const char *name, int z, pl_u64 cap,
                 st_out_fn out, void *ctx)
{
    pl_file *fp;
    unsigned char *in, *ob = NULL;
    int rc;

    in = (unsigned char *)malloc(ST_IO_BUF);
    if (in == NULL)
        return PL_ENOMEM;
    if (z) {
        ob = (unsigned char *)malloc(ST_IO_BUF);
        if (ob == NULL) {
            free(in);
            return PL_ENOMEM;
        }
    }
    rc = pl_file_open(d, name, PL_OPEN_READ, &fp);
    if (rc == PL_OK) {
        rc = z ? st_zl_inflate(fp, in, ob, cap, out, ctx)
               : st_zl_plain(fp, in, cap, out, ctx);
        pl_file_close(fp);
    }
    free(in);
    free(ob);
    return rc;
}
