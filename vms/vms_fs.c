/*
 * vms_fs.c - files and directories of the platform contract on OpenVMS.
 *
 * A pl_dir holds the expanded native "device:[dir]" spec that RMS $PARSE
 * gave for it; simple names (checked with pl_name_check first) are appended
 * to it inside this file only: subdirectory NEWMAIL of DKA0:[STORE.ALICE] is
 * DKA0:[STORE.ALICE.NEWMAIL] (its directory file NEWMAIL.DIR;1), a file
 * without a type is "NAME.".
 * Services: RMS $PARSE/$SEARCH (existence, listing, versions), $OPEN with
 * XABFHC/XABDAT (facts without a handle), $ERASE (remove, every version),
 * $RENAME; LIB$CREATE_DIR (directories, with owner-only protection); the
 * C RTL open/read/write/lseek/ftruncate/fsync with RMS keywords for byte
 * I/O, because it gives exact byte semantics over a Stream_LF file opened
 * with stream context (ctx=stm) and keeps the end-of-file byte for us.
 * Limits:
 *  - Every file we create is Stream_LF (rfm=stmlf) with ctx=stm, given
 *    explicitly; pl_file_size is the byte count tracked on write (initially
 *    the end-of-file byte of the open stream file), never a stat() size.
 *  - Files are opened shr=get: a file open for writing cannot be opened by
 *    another process at the same time (RMS$_FLK, PL_EAGAIN).  The store
 *    never needs it: new files are written under temporary names and then
 *    renamed, indexes are rewritten with pl_file_replace.
 *  - ODS-5 symbolic links inside a store are not detected (the store root
 *    should be an ODS-2 volume or a directory tree nobody else writes).
 *  - pl_file_rename checks the target with $SEARCH (any version) and then
 *    renames to the explicit version ;1, which $RENAME refuses with
 *    RMS$_FEX if it exists (it never supersedes): a concurrent creator of
 *    the target name loses or the rename fails, nothing is overwritten.
 *    The window left: a replacer that makes a higher version of the
 *    target between the search and the rename.  pl_file_create uses the
 *    same search-then-;1 scheme.
 *  - pl_file_replace renames into version N+1 of the target, then erases
 *    versions 1..N: a reader opening the name gets the highest version,
 *    old or new, never none.  Version numbers end at 32767.
 *  - Specs are ODS-2 sized (255 characters, NAM not NAML).
 * Privilege: whatever the process holds (file protection decides).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <starlet.h>
#include <descrip.h>
#include <rms.h>
#include <ssdef.h>
#include <lib$routines.h>

#include "vms_int.h"

struct pl_file {
    int fd;            /* C RTL descriptor */
    pl_u64 size;       /* bytes in the file as written (see pl_file_size) */
    pl_u64 pos;        /* current byte offset */
    int werr;          /* first deferred write error (PL_E*), for close */
};

/* Owner-only protection for new directories: S:RWED,O:RWED,G,W (a set bit
 * in the protection word denies; all four bits set for group and world). */
#define VMS_PRO_OWNER_ONLY 0xFF00u
#define VMS_PRO_ENABLE_ALL 0xFFFFu

/* Copy s to out with room check; PL_EINVAL when it does not fit. */
static int vms_cat(char *out, size_t n, const char *a, const char *b,
                   const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);

    if (la + lb + lc + 1 > n)
        return PL_EINVAL;
    memcpy(out, a, la);
    memcpy(out + la, b, lb);
    memcpy(out + la + lb, c, lc + 1);
    return PL_OK;
}

/* The native spec of file `name` in d with version part `ver` (";1", ";*"
 * or ""): a name without a type gets "NAME.".  The name was checked. */
static int vms_file_spec(const pl_dir *d, const char *name, const char *ver,
                         char *out, size_t n)
{
    char nm[PL_NAME_MAX + PL_TYPE_MAX + 3];

    if (strlen(name) + 2 > sizeof nm)
        return PL_EINVAL;
    strcpy(nm, name);
    if (strchr(nm, '.') == NULL)
        strcat(nm, ".");
    return vms_cat(out, n, d->spec, nm, ver);
}

/* The spec of subdirectory `name` of the directory spec `parent`:
 * [A.B] -> [A.B.NAME]; a master file directory [000000] -> [NAME], which
 * also covers a rooted [ROOT.][000000] -> [ROOT.][NAME]. */
static int vms_subdir_spec(const char *parent, const char *name, char *out,
                           size_t n)
{
    size_t pl = strlen(parent), nl = strlen(name);
    const char *mfd = "[000000]";
    size_t ml = strlen(mfd);
    char close_br;

    if (pl < 3 || (parent[pl - 1] != ']' && parent[pl - 1] != '>'))
        return PL_EINVAL;
    close_br = parent[pl - 1];
    if (pl + nl + 2 > n)
        return PL_EINVAL;
    if (pl >= ml && strncmp(parent + pl - ml, mfd, ml - 1) == 0) {
        /* replace the 000000 between the brackets */
        memcpy(out, parent, pl - ml + 1);
        memcpy(out + pl - ml + 1, name, nl);
        out[pl - ml + 1 + nl] = close_br;
        out[pl - ml + 2 + nl] = '\0';
        return PL_OK;
    }
    memcpy(out, parent, pl - 1);
    out[pl - 1] = '.';
    memcpy(out + pl, name, nl);
    out[pl + nl] = close_br;
    out[pl + nl + 1] = '\0';
    return PL_OK;
}

/* Prepare a FAB/NAM pair for spec, with expanded and resultant string
 * buffers of VMS_SPEC_MAX bytes each. */
static void vms_fab_init(struct fabdef *fab, struct namdef *nam,
                         const char *spec, char *esa, char *rsa)
{
    *fab = cc$rms_fab;
    *nam = cc$rms_nam;
    fab->fab$l_fna = (char *)spec;
    fab->fab$b_fns = (unsigned char)strlen(spec);
    fab->fab$l_nam = nam;
    nam->nam$l_esa = esa;
    nam->nam$b_ess = VMS_SPEC_MAX;
    nam->nam$l_rsa = rsa;
    nam->nam$b_rss = VMS_SPEC_MAX;
}

/* Release RMS's internal search context after a wildcard sequence that
 * stopped early: a $PARSE with syntax check only and no name, as the RMS
 * manual describes for ending a $SEARCH sequence. */
static void vms_search_end(struct fabdef *fab, struct namdef *nam)
{
    fab->fab$b_fns = 0;
    nam->nam$b_nop |= NAM$M_SYNCHK;
    (void)sys$parse(fab);
}

/* Does spec (which may hold wildcards) match at least one file?  PL_OK with
 * *found set; *ver gets the version of the first match (the highest, for a
 * spec without an explicit version). */
static int vms_find(const char *spec, int *found, int *ver)
{
    struct fabdef fab;
    struct namdef nam;
    char esa[VMS_SPEC_MAX + 1], rsa[VMS_SPEC_MAX + 1];
    unsigned int s;

    if (strlen(spec) > VMS_SPEC_MAX)
        return PL_EINVAL;
    *found = 0;
    if (ver != NULL)
        *ver = 0;
    vms_fab_init(&fab, &nam, spec, esa, rsa);
    s = sys$parse(&fab);
    if (!(s & 1))
        return vms_fail(s);
    s = sys$search(&fab);
    if (s == RMS$_FNF || s == RMS$_NMF)
        return PL_OK;
    if (!(s & 1))
        return vms_fail(s);
    *found = 1;
    if (ver != NULL && nam.nam$b_ver > 1)
        *ver = atoi(nam.nam$l_ver + 1);
    vms_search_end(&fab, &nam);
    return PL_OK;
}

/* Check that the directory spec exists: $PARSE without syntax-check-only
 * looks the directory up and fails with RMS$_DNF when it is missing. */
static int vms_dir_exists(const char *dirspec, char *expanded, size_t n)
{
    struct fabdef fab;
    struct namdef nam;
    char esa[VMS_SPEC_MAX + 1], rsa[VMS_SPEC_MAX + 1];
    unsigned int s;
    size_t len;

    vms_fab_init(&fab, &nam, dirspec, esa, rsa);
    s = sys$parse(&fab);
    if (!(s & 1))
        return vms_fail(s);   /* RMS$_DNF: missing directory, PL_ENOENT */
    /* Keep "device:[directory]" only: an administrator's spec that names a
     * file is not a directory. */
    if (nam.nam$b_name != 0 || nam.nam$b_type > 1)
        return PL_ENOTDIR;
    len = (size_t)nam.nam$b_dev + nam.nam$b_dir;
    if (len + 1 > n)
        return PL_EINVAL;
    memcpy(expanded, nam.nam$l_dev, len);
    expanded[len] = '\0';
    vms_search_end(&fab, &nam);
    return PL_OK;
}

/* Create dirspec and any missing parents with owner-only protection; the
 * version limit is inherited from the parent (the startup procedure sets
 * VERSION_LIMIT=1 on the store root). */
static int vms_mkdir(const char *dirspec)
{
    struct dsc$descriptor_s d;
    unsigned short pro_en = VMS_PRO_ENABLE_ALL, pro_val = VMS_PRO_OWNER_ONLY;
    unsigned int s;

    vms_desc(&d, dirspec, strlen(dirspec));
    s = lib$create_dir(&d, NULL, &pro_en, &pro_val, NULL, NULL);
    if (!(s & 1))
        return vms_fail(s);
    return PL_OK;
}

static int vms_dir_new(const char *dirspec, int flags, pl_dir **out)
{
    pl_dir *d;
    char expanded[VMS_SPEC_MAX + 1];
    int rc;

    rc = vms_dir_exists(dirspec, expanded, sizeof expanded);
    if (rc == PL_ENOENT && (flags & PL_DIR_CREATE)) {
        rc = vms_mkdir(dirspec);
        if (rc == PL_OK)
            rc = vms_dir_exists(dirspec, expanded, sizeof expanded);
    }
    if (rc != PL_OK)
        return rc;
    d = (pl_dir *)malloc(sizeof *d);
    if (d == NULL)
        return PL_ENOMEM;
    strcpy(d->spec, expanded);
    *out = d;
    return PL_OK;
}

int pl_dir_open_root(const char *spec, int flags, pl_dir **out)
{
    if (spec == NULL || out == NULL || *spec == '\0' ||
        strlen(spec) > VMS_SPEC_MAX)
        return PL_EINVAL;
    *out = NULL;
    return vms_dir_new(spec, flags, out);
}

int pl_dir_open(pl_dir *parent, const char *name, int flags, pl_dir **out)
{
    char sub[VMS_SPEC_MAX + 1];
    int rc;

    if (parent == NULL || out == NULL || pl_name_check(name, 0) != PL_OK)
        return PL_EINVAL;
    *out = NULL;
    rc = vms_subdir_spec(parent->spec, name, sub, sizeof sub);
    if (rc != PL_OK)
        return rc;
    return vms_dir_new(sub, flags, out);
}

void pl_dir_close(pl_dir *d)
{
    free(d);
}

int pl_dir_sync(pl_dir *d)
{
    /* Files-11 directory updates are written through by the XQP before
     * $CREATE/$RENAME/$ERASE complete: nothing is left to flush. */
    return d == NULL ? PL_EINVAL : PL_OK;
}

int pl_dir_remove(pl_dir *parent, const char *name)
{
    char sub[VMS_SPEC_MAX + 1], wild[VMS_SPEC_MAX + 1];
    char dirfile[VMS_SPEC_MAX + 1], nm[PL_NAME_MAX + 8];
    struct fabdef fab;
    struct namdef nam;
    char esa[VMS_SPEC_MAX + 1], rsa[VMS_SPEC_MAX + 1];
    int rc, found;
    unsigned int s;

    if (parent == NULL || pl_name_check(name, 0) != PL_OK)
        return PL_EINVAL;
    rc = vms_subdir_spec(parent->spec, name, sub, sizeof sub);
    if (rc == PL_OK)
        rc = vms_cat(wild, sizeof wild, sub, "*.*;*", "");
    if (rc != PL_OK)
        return rc;
    rc = vms_find(wild, &found, NULL);
    if (rc != PL_OK)
        return rc;
    if (found)
        return PL_ENOTEMPTY;
    strcpy(nm, name);
    strcat(nm, ".DIR;1");
    rc = vms_cat(dirfile, sizeof dirfile, parent->spec, nm, "");
    if (rc != PL_OK)
        return rc;
    vms_fab_init(&fab, &nam, dirfile, esa, rsa);
    s = sys$erase(&fab);
    if (!(s & 1))
        return vms_fail(s);
    return PL_OK;
}

/* Turn the name.type of a $SEARCH result into a simple name and kind:
 * "X.DIR" (version 1) is directory X, "NAME." is NAME.  0 if skipped. */
static int vms_ent_name(const struct namdef *nam, char *out, size_t n)
{
    size_t nl = nam->nam$b_name, tl = nam->nam$b_type;
    int ver = nam->nam$b_ver > 1 ? atoi(nam->nam$l_ver + 1) : 0;

    if (nl + tl + 1 > n || nl == 0)
        return 0;
    memcpy(out, nam->nam$l_name, nl);
    out[nl] = '\0';
    if (tl == 4 && memcmp(nam->nam$l_type, ".DIR", 4) == 0 && ver == 1)
        return pl_name_check(out, 0) == PL_OK ? PL_ENT_DIR : 0;
    if (tl > 1) {                 /* ".TYPE"; a bare "." adds nothing */
        memcpy(out + nl, nam->nam$l_type, tl);
        out[nl + tl] = '\0';
    }
    return pl_name_check(out, PL_NAME_TYPE_OK) == PL_OK ? PL_ENT_FILE : 0;
}

int pl_dir_list(pl_dir *d, pl_dir_cb cb, void *ctx)
{
    struct fabdef fab;
    struct namdef nam;
    char esa[VMS_SPEC_MAX + 1], rsa[VMS_SPEC_MAX + 1];
    char spec[VMS_SPEC_MAX + 1], ent[PL_NAME_MAX + PL_TYPE_MAX + 2];
    unsigned int s;
    int rc = PL_OK, kind;

    if (d == NULL || cb == NULL)
        return PL_EINVAL;
    /* No version in the pattern: RMS returns only the highest version of
     * each file, which is the "one entry per file" of the contract. */
    rc = vms_cat(spec, sizeof spec, d->spec, "*.*", "");
    if (rc != PL_OK)
        return rc;
    vms_fab_init(&fab, &nam, spec, esa, rsa);
    s = sys$parse(&fab);
    if (!(s & 1))
        return vms_fail(s);
    for (;;) {
        s = sys$search(&fab);
        if (s == RMS$_NMF || s == RMS$_FNF)
            return PL_OK;
        if (!(s & 1))
            return vms_fail(s);
        kind = vms_ent_name(&nam, ent, sizeof ent);
        if (kind == 0)
            continue;
        rc = cb(ctx, ent, kind);
        if (rc != 0)
            break;
    }
    vms_search_end(&fab, &nam);
    return rc;
}

/* Facts from the file header: size from the end-of-file mark (XABFHC:
 * (EBK - 1) * 512 + FFB, exact for the Stream_LF files we create) and the
 * revision time (XABDAT RDT).  Opened for read sharing everything, so it
 * never excludes a writer, and closed at once. */
static int vms_header_facts(const char *spec, pl_u64 *size, pl_i64 *mtime)
{
    struct fabdef fab;
    struct namdef nam;
    struct xabfhcdef fhc;
    struct xabdatdef dat;
    char esa[VMS_SPEC_MAX + 1], rsa[VMS_SPEC_MAX + 1];
    unsigned int s;
    pl_u64 rdt;

    vms_fab_init(&fab, &nam, spec, esa, rsa);
    fhc = cc$rms_xabfhc;
    dat = cc$rms_xabdat;
    fab.fab$l_xab = &fhc;
    fhc.xab$l_nxt = &dat;
    fab.fab$b_fac = FAB$M_GET;
    fab.fab$b_shr = FAB$M_SHRGET | FAB$M_SHRPUT | FAB$M_SHRUPD |
                    FAB$M_SHRDEL;
    s = sys$open(&fab);
    if (!(s & 1))
        return vms_fail(s);
    if (fhc.xab$l_ebk == 0)
        *size = 0;
    else
        *size = (pl_u64)(fhc.xab$l_ebk - 1) * 512u + fhc.xab$w_ffb;
    memcpy(&rdt, dat.xab$q_rdt, sizeof rdt);
    *mtime = vms_time_to_unix(rdt);
    (void)sys$close(&fab);
    return PL_OK;
}

int pl_file_info_get(pl_dir *d, const char *name, pl_file_info *info)
{
    char spec[VMS_SPEC_MAX + 1], nm[PL_NAME_MAX + 8];
    int rc;

    if (d == NULL || info == NULL ||
        pl_name_check(name, PL_NAME_TYPE_OK) != PL_OK)
        return PL_EINVAL;
    rc = vms_file_spec(d, name, "", spec, sizeof spec);
    if (rc != PL_OK)
        return rc;
    rc = vms_header_facts(spec, &info->size, &info->mtime);
    if (rc == PL_OK) {
        info->kind = PL_ENT_FILE;
        return PL_OK;
    }
    /* A name without a type may be a subdirectory: its X.DIR;1 file. */
    if (rc != PL_ENOENT || strchr(name, '.') != NULL)
        return rc;
    strcpy(nm, name);
    strcat(nm, ".DIR;1");
    rc = vms_cat(spec, sizeof spec, d->spec, nm, "");
    if (rc == PL_OK)
        rc = vms_header_facts(spec, &info->size, &info->mtime);
    if (rc == PL_OK)
        info->kind = PL_ENT_DIR;
    return rc;
}

/* A path spec as the administrator wrote it (logical names allowed): RMS
 * $OPEN parses it with the defaults of the process, and XABFHC/XABDAT give
 * the facts (OpenVMS Record Management Services Reference, $OPEN). */
int pl_file_info_path(const char *spec, pl_file_info *info)
{
    if (spec == NULL || spec[0] == '\0' || info == NULL ||
        strlen(spec) > VMS_SPEC_MAX)
        return PL_EINVAL;
    info->kind = PL_ENT_FILE;
    return vms_header_facts(spec, &info->size, &info->mtime);
}

/* Wrap a descriptor; the current end of file (the EOF byte of the stream
 * file, as the C RTL positions it with SEEK_END) starts the size count. */
static int vms_file_wrap(int fd, int at_end_known_zero, pl_file **out)
{
    pl_file *f;
    off_t end = 0;

    if (!at_end_known_zero) {
        end = lseek(fd, 0, SEEK_END);
        if (end < 0 || lseek(fd, 0, SEEK_SET) < 0) {
            int rc = vms_fail_errno();
            close(fd);
            return rc;
        }
    }
    f = (pl_file *)malloc(sizeof *f);
    if (f == NULL) {
        close(fd);
        return PL_ENOMEM;
    }
    f->fd = fd;
    f->size = (pl_u64)end;
    f->pos = 0;
    f->werr = PL_OK;
    *out = f;
    return PL_OK;
}

int pl_file_create(pl_dir *d, const char *name, pl_file **out)
{
    char spec[VMS_SPEC_MAX + 1];
    int fd, rc, found;

    if (d == NULL || out == NULL ||
        pl_name_check(name, PL_NAME_TYPE_OK) != PL_OK)
        return PL_EINVAL;
    *out = NULL;
    /* Any version means the file exists (after pl_file_replace only a
     * higher version may be left); then create the explicit version 1,
     * which RMS refuses to create twice (no supersede), so two creators
     * racing past the search cannot both succeed. */
    rc = vms_file_spec(d, name, ";*", spec, sizeof spec);
    if (rc == PL_OK)
        rc = vms_find(spec, &found, NULL);
    if (rc != PL_OK)
        return rc;
    if (found) {
        (void)vms_fail(RMS$_FEX);
        return PL_EEXIST;
    }
    rc = vms_file_spec(d, name, ";1", spec, sizeof spec);
    if (rc != PL_OK)
        return rc;
    fd = open(spec, O_WRONLY | O_CREAT | O_EXCL, 0600,
              "rfm=stmlf", "ctx=stm", "shr=get");
    if (fd < 0)
        return vms_fail_errno();
    return vms_file_wrap(fd, 1, out);
}

int pl_file_open(pl_dir *d, const char *name, int mode, pl_file **out)
{
    char spec[VMS_SPEC_MAX + 1];
    int fd, rc, oflags;

    if (d == NULL || out == NULL ||
        pl_name_check(name, PL_NAME_TYPE_OK) != PL_OK)
        return PL_EINVAL;
    *out = NULL;
    switch (mode) {
    case PL_OPEN_READ: oflags = O_RDONLY; break;
    case PL_OPEN_RDWR: oflags = O_RDWR; break;
    case PL_OPEN_RDWR_CREATE: oflags = O_RDWR | O_CREAT; break;
    default: return PL_EINVAL;
    }
    rc = vms_file_spec(d, name, "", spec, sizeof spec);
    if (rc != PL_OK)
        return rc;
    /* rfm=stmlf only matters when O_CREAT creates the file. */
    fd = open(spec, oflags, 0600, "rfm=stmlf", "ctx=stm", "shr=get");
    if (fd < 0)
        return vms_fail_errno();
    return vms_file_wrap(fd, 0, out);
}

int pl_file_open_path(const char *spec, pl_file **out)
{
    int fd;

    if (spec == NULL || out == NULL || *spec == '\0')
        return PL_EINVAL;
    *out = NULL;
    /* No ctx=stm: an administrator's text file may be a variable-length
     * record file, and record mode hands each record over with its "\n". */
    fd = open(spec, O_RDONLY, 0, "shr=get");
    if (fd < 0)
        return vms_fail_errno();
    /* A record file has no byte end to start from: pl_file_size is not
     * meaningful for a file opened this way (the core reads these files
     * to their end and never asks). */
    return vms_file_wrap(fd, 1, out);
}

int pl_file_create_path(const char *spec, pl_file **out)
{
    int fd;

    if (spec == NULL || out == NULL || *spec == '\0')
        return PL_EINVAL;
    *out = NULL;
    /* "Create or replace" on OpenVMS is a new version; the old versions
     * stay until the administrator purges them. */
    fd = open(spec, O_WRONLY | O_CREAT | O_TRUNC, 0600,
              "rfm=stmlf", "ctx=stm", "shr=get");
    if (fd < 0)
        return vms_fail_errno();
    return vms_file_wrap(fd, 1, out);
}

int pl_file_temp(pl_file **out)
{
    char spec[64];
    unsigned char r[4];
    int fd, rc;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    rc = pl_random(r, sizeof r);
    if (rc != PL_OK)
        return rc;
    (void)snprintf(spec, sizeof spec,
                   "SYS$SCRATCH:NEWMAIL_%08X_%02X%02X%02X%02X.TMP",
                   (unsigned int)getpid(), r[0], r[1], r[2], r[3]);
    /* fop=dlt: RMS deletes the file when it is closed, also when the
     * image ends without closing it. */
    fd = open(spec, O_RDWR | O_CREAT | O_EXCL, 0600, "rfm=stmlf", "ctx=stm",
              "shr=nil", "fop=dlt");
    if (fd < 0)
        return vms_fail_errno();
    return vms_file_wrap(fd, 1, out);
}

int pl_file_write(pl_file *f, const void *buf, size_t n)
{
    const char *p = (const char *)buf;
    ssize_t w;
    int rc;

    if (f == NULL || (buf == NULL && n > 0))
        return PL_EINVAL;
    while (n > 0) {
        w = write(f->fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rc = vms_fail_errno();
            if (f->werr == PL_OK)
                f->werr = rc;
            return rc;
        }
        p += w;
        n -= (size_t)w;
        f->pos += (pl_u64)w;
        if (f->pos > f->size)
            f->size = f->pos;
    }
    return PL_OK;
}

int pl_file_read(pl_file *f, void *buf, size_t n, size_t *got)
{
    ssize_t r;

    if (f == NULL || got == NULL || (buf == NULL && n > 0))
        return PL_EINVAL;
    *got = 0;
    if (n == 0)
        return PL_OK;
    do {
        r = read(f->fd, buf, n);
    } while (r < 0 && errno == EINTR);
    if (r < 0)
        return vms_fail_errno();
    *got = (size_t)r;
    f->pos += (pl_u64)r;
    return PL_OK;
}

int pl_file_seek(pl_file *f, pl_u64 offset)
{
    off_t o = (off_t)offset;

    if (f == NULL || o < 0 || (pl_u64)o != offset)
        return PL_EINVAL;
    if (lseek(f->fd, o, SEEK_SET) < 0)
        return vms_fail_errno();
    f->pos = offset;
    return PL_OK;
}

int pl_file_truncate(pl_file *f, pl_u64 size)
{
    off_t o = (off_t)size;

    if (f == NULL || o < 0 || (pl_u64)o != size)
        return PL_EINVAL;
    if (ftruncate(f->fd, o) != 0)
        return vms_fail_errno();
    f->size = size;
    return PL_OK;
}

int pl_file_size(pl_file *f, pl_u64 *size)
{
    if (f == NULL || size == NULL)
        return PL_EINVAL;
    *size = f->size;
    return PL_OK;
}

int pl_file_sync(pl_file *f)
{
    if (f == NULL)
        return PL_EINVAL;
    /* The C RTL's fsync writes its buffers and does an RMS $FLUSH, which
     * also writes the end-of-file mark to the file header. */
    if (fsync(f->fd) != 0)
        return vms_fail_errno();
    return PL_OK;
}

int pl_file_close(pl_file *f)
{
    int rc;

    if (f == NULL)
        return PL_OK;
    rc = f->werr;
    if (close(f->fd) != 0 && rc == PL_OK)
        rc = vms_fail_errno();
    free(f);
    return rc;
}

/* $RENAME old_spec to new_spec. */
static int vms_rename(const char *old_spec, const char *new_spec)
{
    struct fabdef ofab, nfab;
    struct namdef onam, nnam;
    char oesa[VMS_SPEC_MAX + 1], orsa[VMS_SPEC_MAX + 1];
    char nesa[VMS_SPEC_MAX + 1], nrsa[VMS_SPEC_MAX + 1];
    unsigned int s;

    vms_fab_init(&ofab, &onam, old_spec, oesa, orsa);
    vms_fab_init(&nfab, &nnam, new_spec, nesa, nrsa);
    s = sys$rename(&ofab, NULL, NULL, &nfab);
    if (!(s & 1))
        return vms_fail(s);
    return PL_OK;
}

/* The device part ("DKA0:") of a directory spec, for the same-device
 * check of pl_file_rename. */
static size_t vms_dev_len(const char *spec)
{
    const char *c = strchr(spec, ':');

    return c == NULL ? 0 : (size_t)(c - spec) + 1;
}

int pl_file_rename(pl_dir *from, const char *from_name,
                   pl_dir *to, const char *to_name)
{
    char ospec[VMS_SPEC_MAX + 1], nspec[VMS_SPEC_MAX + 1];
    char wild[VMS_SPEC_MAX + 1];
    size_t fl, tl;
    int rc, found;

    if (from == NULL || to == NULL ||
        pl_name_check(from_name, PL_NAME_TYPE_OK) != PL_OK ||
        pl_name_check(to_name, PL_NAME_TYPE_OK) != PL_OK)
        return PL_EINVAL;
    fl = vms_dev_len(from->spec);
    tl = vms_dev_len(to->spec);
    if (fl != tl || strncmp(from->spec, to->spec, fl) != 0)
        return PL_EXDEV;
    rc = vms_file_spec(from, from_name, "", ospec, sizeof ospec);
    if (rc == PL_OK)
        rc = vms_file_spec(to, to_name, ";*", wild, sizeof wild);
    if (rc == PL_OK)
        rc = vms_file_spec(to, to_name, ";1", nspec, sizeof nspec);
    if (rc != PL_OK)
        return rc;
    rc = vms_find(wild, &found, NULL);
    if (rc != PL_OK)
        return rc;
    if (found)
        return PL_EEXIST;
    return vms_rename(ospec, nspec);
}

/* Erase every version of to_name below version `keep` (the new one). */
static int vms_erase_below(pl_dir *d, const char *name, int keep)
{
    char spec[VMS_SPEC_MAX + 1], ver[16];
    struct fabdef fab;
    struct namdef nam;
    char esa[VMS_SPEC_MAX + 1], rsa[VMS_SPEC_MAX + 1];
    int v, rc;
    unsigned int s;

    for (v = keep - 1; v >= 1; v--) {
        snprintf(ver, sizeof ver, ";%d", v);
        rc = vms_file_spec(d, name, ver, spec, sizeof spec);
        if (rc != PL_OK)
            return rc;
        vms_fab_init(&fab, &nam, spec, esa, rsa);
        s = sys$erase(&fab);
        if (!(s & 1) && s != RMS$_FNF)
            return vms_fail(s);
    }
    return PL_OK;
}

int pl_file_replace(pl_dir *d, const char *from_name, const char *to_name)
{
    char ospec[VMS_SPEC_MAX + 1], nspec[VMS_SPEC_MAX + 1];
    char cur[VMS_SPEC_MAX + 1], ver[16];
    int rc, found, v, tries;

    if (d == NULL || pl_name_check(from_name, PL_NAME_TYPE_OK) != PL_OK ||
        pl_name_check(to_name, PL_NAME_TYPE_OK) != PL_OK)
        return PL_EINVAL;
    rc = vms_file_spec(d, from_name, "", ospec, sizeof ospec);
    if (rc == PL_OK)
        rc = vms_file_spec(d, to_name, "", cur, sizeof cur);
    if (rc != PL_OK)
        return rc;
    /* Rename into the next version number explicitly, so that a reader
     * opening the name (highest version) sees old or new, never nothing;
     * if another replacer took that number first, $RENAME says RMS$_FEX
     * and we try the next one. */
    for (tries = 0; tries < 8; tries++) {
        rc = vms_find(cur, &found, &v);
        if (rc != PL_OK)
            return rc;
        if (!found)
            v = 0;
        if (v >= 32767)
            return vms_fail(RMS$_FEX);   /* version numbers exhausted */
        snprintf(ver, sizeof ver, ";%d", v + 1);
        rc = vms_file_spec(d, to_name, ver, nspec, sizeof nspec);
        if (rc != PL_OK)
            return rc;
        rc = vms_rename(ospec, nspec);
        if (rc == PL_OK)
            return vms_erase_below(d, to_name, v + 1);
        if (rc != PL_EEXIST)
            return rc;
    }
    return rc;
}

int pl_file_remove(pl_dir *d, const char *name)
{
    char spec[VMS_SPEC_MAX + 1];
    struct fabdef fab;
    struct namdef nam;
    char esa[VMS_SPEC_MAX + 1], rsa[VMS_SPEC_MAX + 1];
    unsigned int s;
    int rc, erased = 0;

    if (d == NULL || pl_name_check(name, PL_NAME_TYPE_OK) != PL_OK)
        return PL_EINVAL;
    rc = vms_file_spec(d, name, ";*", spec, sizeof spec);
    if (rc != PL_OK)
        return rc;
    /* $ERASE takes no wildcards: $SEARCH each version and erase it by the
     * resultant name (FAB$M_NAM makes $ERASE use the NAM's file id). */
    vms_fab_init(&fab, &nam, spec, esa, rsa);
    s = sys$parse(&fab);
    if (!(s & 1))
        return vms_fail(s);
    for (;;) {
        s = sys$search(&fab);
        if (s == RMS$_NMF || s == RMS$_FNF)
            break;
        if (!(s & 1))
            return vms_fail(s);
        fab.fab$l_fop |= FAB$M_NAM;
        s = sys$erase(&fab);
        fab.fab$l_fop &= ~(unsigned int)FAB$M_NAM;
        if (!(s & 1)) {
            vms_search_end(&fab, &nam);
            return vms_fail(s);
        }
        erased++;
    }
    if (erased == 0)
        return vms_fail(RMS$_FNF);
    return PL_OK;
}
