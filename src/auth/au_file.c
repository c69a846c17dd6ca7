/*
 * au_file.c - small whole-file reads and crash-safe rewrites for account
 * records and the default-domain file.
 *
 * Why this order: write a temporary, sync it, then rename (new) or
 * replace (update) and sync the directory.  A crash at any point leaves
 * either the old file or the new one in place, plus perhaps a temporary
 * that the next writer under the same lock removes (au_db_reap sweeps
 * the rest).  Never writes in place.
 * Limits: files up to the caller's buffer (AU_REC_MAX for records).
 * Privilege: runs as the service account; files are owner-only
 * (pl_file_create).
 */
#include <string.h>
#include "au_int.h"
#include "ut_str.h"

int au_fname(char *out, size_t n, const char *base, const char *ext)
{
    if (ut_strlcpy(out, base, n) != PL_OK || ut_strlcat(out, ext, n) != PL_OK)
        return PL_EINVAL;
    return pl_name_check(out, PL_NAME_TYPE_OK);
}

int au_file_read(pl_dir *d, const char *name, char *buf, size_t n,
                 size_t *len)
{
    pl_file *f = NULL;
    size_t total = 0;
    size_t got;
    int rc;

    *len = 0;
    if (n < 2)
        return PL_EINVAL;
    rc = pl_file_open(d, name, PL_OPEN_READ, &f);
    if (rc != PL_OK)
        return rc;
    for (;;) {
        if (total == n - 1) {
            /* full: one more byte means the file is too large */
            char extra;
            rc = pl_file_read(f, &extra, 1, &got);
            if (rc == PL_OK && got != 0)
                rc = PL_EIO;
            break;
        }
        rc = pl_file_read(f, buf + total, n - 1 - total, &got);
        if (rc != PL_OK || got == 0)
            break;
        total += got;
    }
    (void)pl_file_close(f);
    if (rc == PL_EOF)
        rc = PL_OK;
    buf[total] = '\0';
    *len = total;
    return rc;
}

int au_file_write(pl_dir *d, const char *tmp, const char *name,
                  const char *data, size_t len, int mode)
{
    pl_file *f = NULL;
    int rc;
    int crc;

    rc = pl_file_remove(d, tmp);
    if (rc != PL_OK && rc != PL_ENOENT)
        return rc;
    rc = pl_file_create(d, tmp, &f);
    if (rc != PL_OK)
        return rc;
    rc = pl_file_write(f, data, len);
    if (rc == PL_OK)
        rc = pl_file_sync(f);
    crc = pl_file_close(f);
    if (rc == PL_OK)
        rc = crc;
    if (rc == PL_OK) {
        if (mode == AU_W_NEW)
            rc = pl_file_rename(d, tmp, d, name);
        else
            rc = pl_file_replace(d, tmp, name);
    }
    if (rc != PL_OK) {
        (void)pl_file_remove(d, tmp);
        return rc;
    }
    /* the reply to the caller promises durability: sync the entry */
    return pl_dir_sync(d);
}
