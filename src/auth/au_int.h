/*
 * au_int.h - what the files of src/auth share and nobody else uses: the
 * database handle, the small-file helpers (au_file.c) and the checksum.
 * Limits: internal; callers outside src/auth use au.h only.
 * Privilege: runs as the service account.
 */
#ifndef AU_INT_H
#define AU_INT_H

#include "au.h"

/* How long a writer waits for an account's lock: an update holds it for a
 * read, a write and two syncs, so ten seconds means a stuck disk. */
#define AU_LOCK_MS 10000

struct au_db {
    pl_dir *acc;                        /* ACCOUNTS below the store root */
    char def_domain[AU_DOMAIN_MAX + 1]; /* "" when none */
};

/* File types inside a domain directory and in ACCOUNTS. */
#define AU_EXT_REC ".ACC"
#define AU_EXT_TMP ".TMP"
#define AU_EXT_LCK ".LCK"

/* Build "BASE.EXT" into out (PL_NAME_MAX + 5 bytes suffice). */
int au_fname(char *out, size_t n, const char *base, const char *ext);

/* Read the whole file `name` of d into buf; PL_EIO if it holds more than
 * n - 1 bytes (a record is small: more is corruption).  NUL-terminated. */
int au_file_read(pl_dir *d, const char *name, char *buf, size_t n,
                 size_t *len);

/* Crash-safe write of data as `name`, through `tmp` in the same directory:
 * a stale tmp is removed, tmp is written and synced, then renamed without
 * replacing (AU_W_NEW: PL_EEXIST if name exists) or put in place of name
 * (AU_W_REPLACE), and the directory synced.  The caller holds the lock
 * that owns tmp.  On failure tmp is removed and name is untouched. */
#define AU_W_NEW     1
#define AU_W_REPLACE 2
int au_file_write(pl_dir *d, const char *tmp, const char *name,
                  const char *data, size_t len, int mode);

/* Open the directory of a valid domain (no create): PL_ENOENT if none. */
int au_domain_dir(au_db *db, const char *domain, pl_dir **out);

/* Write (or with "" remove) ACCOUNTS/DEFAULT.DOM under DEFAULT.LCK and
 * remember the value in db (au_db.c). */
int au_def_store(au_db *db, const char *domain);

/* CRC-32 (IEEE) as zlib computes it. */
pl_u32 au_crc32(const char *p, size_t n);

/* a + b, saturating at 2^64-1 instead of wrapping: a wrapped counter
 * would lie (au_db.c). */
pl_u64 au_sat_add(pl_u64 a, pl_u64 b);

#endif
