/*
 * px_nmbox.c - native mailboxes of system accounts on POSIX (pl_nmb_*):
 * the spool file /var/mail/USER (an mbox) as NEWMAIL with ~/mbox as MAIL,
 * or ~/Maildir when ~/Maildir/new exists.
 *
 * mbox reading: a message starts at a "From " line that begins the file or
 * follows a blank line (a "From " line after a non-blank line is body
 * text, as mboxo readers treat it); it ends before the blank line that
 * precedes the next one (or before a last blank line at the end of the
 * file).  A non-empty file that does not start with "From " is refused
 * (PL_EINVAL): it is not an mbox and nothing is guessed.  ">From " lines
 * are served as stored: mboxo quoting cannot be undone without corrupting
 * real ">From " lines.  Text is served with every LF, CRLF and bare CR
 * turned into CRLF and a CRLF after a last line without one, exactly as
 * the POP3 writer counts it, so sizes are exact; they come from a scan of
 * the whole file at open (one pass, no line buffer: a huge line costs
 * nothing extra).
 * Unique ids: mbox: the first 128 bits of SHA-256 over the From_ line and
 * the header (up to the first blank line) in hex, a dot and the CRLF size;
 * a second identical message in the same box gets "-2", a third "-3" (in
 * file order).  Maildir: the base name (before ":") when it is 1..70
 * characters 0x21..0x7E, else the 128-bit hash of it.
 * Locking (the Debian delivery agents' way): an fcntl lock on the whole
 * spool plus the dot-lock USER.lock (O_EXCL; older than PX_NMB_STALE_SECS
 * is stale and removed, as liblockfile does).  /var/mail is root:mail
 * 2775 on Debian: pl_become_user keeps the spool directory's group as a
 * supplementary group (px_nmb_spool_group) so the user's process can make
 * the dot-lock, as setgid-mail MUAs do; when it still cannot (another
 * layout), it logs a warning and relies on fcntl alone.  The group also
 * reaches other users' 0660 spool files: this code opens only the file
 * named after the authenticated user, and the process, made non-dumpable
 * by the uid change, cannot be traced by that user.  The locks are
 * held only while the spool is scanned at open and while it is rewritten
 * at commit, so delivery never waits for a session; the session itself is
 * kept exclusive by flock() on the spool (Maildir: on the Maildir
 * directory), which on Linux is independent of the fcntl locks of
 * delivery agents.
 * Commit (mbox): under both locks, the snapshot is verified (the file has
 * not shrunk and every From_ line is where it was), SEEN messages are
 * appended to ~/mbox (created 0600; fcntl plus ~/mbox.lock; From_ line
 * kept, body lines starting "From " quoted with '>', a blank line after
 * each; made durable before the spool changes, so a crash can duplicate a
 * message but never lose one), then the spool is compacted in place from
 * the first removed message: kept messages and everything appended since
 * the open (the file grew) slide down, the file is cut and synced.  The
 * inode stays (as movemail and popa3d do it); a crash during the slide can
 * leave the spool damaged, which is why the slide starts no earlier than
 * the first removed message and the read-mail copy is already durable.
 * Maildir: new/ messages and cur/ messages without the S (seen) or T
 * (trashed) flag are served in base-name order; SEEN renames into cur/
 * with ":2,S" (other flags kept), DELETE unlinks; mail that arrives later
 * has new names and is not touched.
 * Tests: px_nmb_test_paths() replaces /var/mail and the home directory
 * (tests/unit/t_nmbox.c); nothing else can change them.
 * Limits: PX_NMB_MSG_MAX messages per box; user names as pl_user_lookup
 * accepts them; paths up to PX_NMB_PATH_MAX.
 * Privilege: runs as the mail user (after pl_become_user), with the spool
 * directory's group when it is group-writable.
 */
#define _FILE_OFFSET_BITS 64

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>
#include <openssl/evp.h>

#include "px_int.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

#define PX_NMB_SPOOL_DIR  "/var/mail"
#define PX_NMB_PATH_MAX   4096
/* liblockfile and procmail treat a dot-lock older than 5 minutes as left
 * behind by a dead process. */
#define PX_NMB_STALE_SECS 300
/* How long a lock held by a delivery agent is waited for before the
 * session gets [IN-USE] (open) or [SYS/TEMP] (commit): deliveries hold
 * it for well under a second. */
#define PX_NMB_LOCK_WAIT_MS 10000
#define PX_NMB_LOCK_STEP_MS 50
/* A million messages: far beyond any spool a POP3 client could fetch,
 * small enough that the table (about 150 bytes each) stays bounded. */
#define PX_NMB_MSG_MAX    1000000UL
#define PX_NMB_UID_MAX    70     /* RFC 1939 7: 1 to 70 characters */
#define PX_NMB_HASH_HEX   32     /* 128 bits of SHA-256 in hex */
#define PX_NMB_BUF        65536
#define PX_NMB_OUT_BUF    8192

#define PX_NMB_EMPTY   0   /* no spool file: an empty box */
#define PX_NMB_MBOX    1
#define PX_NMB_MAILDIR 2

typedef struct px_nmsg {
    pl_u64 from_off;   /* mbox: the From_ line */
    pl_u64 body_off;   /* mbox: first byte after it */
    pl_u64 end_off;    /* end of the message text */
    pl_u64 next_off;   /* mbox: where the next From_ line (or EOF) is */
    pl_u64 octets;     /* CRLF size */
    pl_u32 fromsum;    /* FNV-1a of the From_ line: checked at commit */
    int disp;          /* PL_NMB_* */
    char *name;        /* Maildir: "new/NAME" or "cur/NAME:2,FL" */
    char uid[PX_NMB_UID_MAX + 1];
} px_nmsg;

struct pl_nmb {
    int kind;
    int fd;            /* spool file or Maildir directory: flock holder */
    pl_u64 size0;      /* spool size when scanned */
    pl_u32 n, cap;
    px_nmsg *msg;
    char spool[PX_NMB_PATH_MAX];
    char home[PX_NMB_PATH_MAX];
};

static char px_nmb_t_spool[PX_NMB_PATH_MAX];
static char px_nmb_t_home[PX_NMB_PATH_MAX];

void px_nmb_test_paths(const char *spool_dir, const char *home)
{
    px_nmb_t_spool[0] = px_nmb_t_home[0] = '\0';
    if (spool_dir != NULL && strlen(spool_dir) < sizeof px_nmb_t_spool)
        strcpy(px_nmb_t_spool, spool_dir);
    if (home != NULL && strlen(home) < sizeof px_nmb_t_home)
        strcpy(px_nmb_t_home, home);
}

/* A log line of this module (paths and names in it are whitelisted user
 * names under administrator paths: nothing to escape). */
static void px_nmb_log(int level, const char *fmt, ...)
{
    char line[PX_NMB_PATH_MAX + 256];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pl_log_line(level, PL_LOGCAT_MAIL, line);
}

static const char *px_nmb_spool_dir(void)
{
    return px_nmb_t_spool[0] != '\0' ? px_nmb_t_spool : PX_NMB_SPOOL_DIR;
}

int px_nmb_spool_group(pl_u32 *gid)
{
    struct stat st;

    if (stat(px_nmb_spool_dir(), &st) != 0 || !S_ISDIR(st.st_mode))
        return PL_ENOENT;
    /* Only the shared-spool layout (group-writable, not world-writable,
     * not root's group) calls for the group; a sticky 1777 spool lets
     * every user make its own dot-lock. */
    if ((st.st_mode & S_IWGRP) == 0 || (st.st_mode & S_IWOTH) != 0 ||
        st.st_gid == 0)
        return PL_ENOENT;
    *gid = (pl_u32)st.st_gid;
    return PL_OK;
}

/* "a" + "/" + "b" into out; PL_ERANGE when it does not fit. */
static int px_nmb_join(char *out, const char *a, const char *b)
{
    int k = snprintf(out, PX_NMB_PATH_MAX, "%s/%s", a, b);

    return k < 0 || k >= PX_NMB_PATH_MAX ? PL_ERANGE : PL_OK;
}

static int px_nmb_home(const pl_user *u, char *out)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    int rc;

    if (px_nmb_t_home[0] != '\0') {
        strcpy(out, px_nmb_t_home);
        return PL_OK;
    }
    rc = getpwuid_r((uid_t)u->id, &pw, buf, sizeof buf, &res);
    if (rc != 0 || res == NULL || pw.pw_dir == NULL || pw.pw_dir[0] != '/')
        return rc != 0 ? px_fail(rc) : PL_ENOENT;
    if (strlen(pw.pw_dir) >= PX_NMB_PATH_MAX)
        return PL_ERANGE;
    strcpy(out, pw.pw_dir);
    return PL_OK;
}

static void px_nmb_sleep(int ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    (void)nanosleep(&ts, NULL);
}

/* --- locks ------------------------------------------------------------- */

/* fcntl lock (F_WRLCK) or unlock (F_UNLCK) of the whole file, polled so
 * that the wait is bounded. */
static int px_nmb_fcntl(int fd, int type)
{
    struct flock fl;
    int waited = 0;

    for (;;) {
        memset(&fl, 0, sizeof fl);
        fl.l_type = (short)type;
        fl.l_whence = SEEK_SET;
        if (fcntl(fd, F_SETLK, &fl) == 0)
            return PL_OK;
        if ((errno != EAGAIN && errno != EACCES && errno != EINTR) ||
            type == F_UNLCK)
            return px_fail(errno);
        if (waited >= PX_NMB_LOCK_WAIT_MS)
            return PL_EAGAIN;
        px_nmb_sleep(PX_NMB_LOCK_STEP_MS);
        waited += PX_NMB_LOCK_STEP_MS;
    }
}

/* Make the dot-lock `path`: PL_OK (*made = 1), PL_EAGAIN when another
 * holds it past the wait, PL_OK with *made = 0 when this process may not
 * create it (logged; fcntl alone then guards the file). */
static int px_nmb_dotlock(const char *path, int *made)
{
    struct stat st;
    int waited = 0, fd;
    char pid[24];

    *made = 0;
    for (;;) {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                  O_CLOEXEC, 0644);
        if (fd >= 0) {
            int k = snprintf(pid, sizeof pid, "%lu\n",
                             (unsigned long)getpid());
            if (k > 0 && write(fd, pid, (size_t)k) < 0)
                k = 0;   /* an empty lock file locks just as well */
            (void)close(fd);
            *made = 1;
            return PL_OK;
        }
        if (errno == EACCES || errno == EPERM || errno == EROFS) {
            px_nmb_log(PL_LOG_WARN, "native mailbox: cannot make the dot-lock %s "
                        "(%s); relying on the fcntl lock alone", path,
                        strerror(errno));
            return PL_OK;
        }
        if (errno != EEXIST && errno != EINTR)
            return px_fail(errno);
        if (lstat(path, &st) == 0 &&
            time(NULL) - st.st_mtime > PX_NMB_STALE_SECS) {
            px_nmb_log(PL_LOG_WARN, "native mailbox: removing the stale dot-lock %s",
                        path);
            (void)unlink(path);
            continue;
        }
        if (waited >= PX_NMB_LOCK_WAIT_MS)
            return PL_EAGAIN;
        px_nmb_sleep(PX_NMB_LOCK_STEP_MS);
        waited += PX_NMB_LOCK_STEP_MS;
    }
}

typedef struct px_nmb_locks {
    int fd;
    int dot;                  /* the dot-lock was made by us */
    char dotpath[PX_NMB_PATH_MAX];
} px_nmb_locks;

/* Both locks of a mail file, in the Debian delivery agents' order
 * (postfix's mailbox_delivery_lock = fcntl, dotlock). */
static int px_nmb_lock(int fd, const char *file, px_nmb_locks *lk)
{
    int k, rc;

    lk->fd = fd;
    lk->dot = 0;
    k = snprintf(lk->dotpath, sizeof lk->dotpath, "%s.lock", file);
    if (k < 0 || k >= (int)sizeof lk->dotpath)
        return PL_ERANGE;
    rc = px_nmb_fcntl(fd, F_WRLCK);
    if (rc != PL_OK)
        return rc;
    rc = px_nmb_dotlock(lk->dotpath, &lk->dot);
    if (rc != PL_OK)
        (void)px_nmb_fcntl(fd, F_UNLCK);
    return rc;
}

static void px_nmb_unlock(px_nmb_locks *lk)
{
    if (lk->dot)
        (void)unlink(lk->dotpath);
    lk->dot = 0;
    (void)px_nmb_fcntl(lk->fd, F_UNLCK);
}

/* --- CRLF conversion (the POP3 writer's rules) ------------------------ */

typedef struct px_crlf {
    int cr;           /* last byte was a CR already turned into CRLF */
    int bol;          /* at the start of a line */
    pl_u64 octets;
    /* output side (NULL out: count only) */
    pl_out_fn out;
    void *ctx;
    size_t n;
    char buf[PX_NMB_OUT_BUF];
    /* TOP: header, blank line, then at most `lines` body lines */
    int top;
    int in_hdr;
    int line_empty;
    pl_u64 lines;
    int done;
} px_crlf;

static void px_crlf_init(px_crlf *c, pl_out_fn out, void *ctx)
{
    memset(c, 0, sizeof *c);
    c->bol = 1;
    c->out = out;
    c->ctx = ctx;
    c->in_hdr = 1;
    c->line_empty = 1;
}

static int px_crlf_put(px_crlf *c, char ch)
{
    int rc;

    c->octets++;
    if (c->out == NULL)
        return 0;
    if (c->n == sizeof c->buf) {
        rc = c->out(c->ctx, c->buf, c->n);
        c->n = 0;
        if (rc != 0)
            return rc;
    }
    c->buf[c->n++] = ch;
    return 0;
}

/* One line ended (its CRLF is out): TOP's bookkeeping. */
static void px_crlf_eol(px_crlf *c)
{
    if (c->top) {
        if (c->in_hdr) {
            if (c->line_empty) {
                c->in_hdr = 0;
                if (c->lines == 0)
                    c->done = 1;
            }
        } else if (--c->lines == 0) {
            c->done = 1;
        }
    }
    c->line_empty = 1;
}

static int px_crlf_feed(px_crlf *c, const char *p, size_t n)
{
    size_t i;
    int rc;

    for (i = 0; i < n && !c->done; i++) {
        char ch = p[i];
        if (c->cr) {
            c->cr = 0;
            if (ch == '\n')
                continue;
        }
        if (ch == '\r' || ch == '\n') {
            rc = px_crlf_put(c, '\r');
            if (rc == 0)
                rc = px_crlf_put(c, '\n');
            if (rc != 0)
                return rc;
            c->cr = (ch == '\r');
            c->bol = 1;
            px_crlf_eol(c);
            continue;
        }
        rc = px_crlf_put(c, ch);
        if (rc != 0)
            return rc;
        c->bol = 0;
        c->line_empty = 0;
    }
    return 0;
}

static int px_crlf_end(px_crlf *c)
{
    int rc = 0;

    if (!c->bol && !c->done) {
        rc = px_crlf_put(c, '\r');
        if (rc == 0)
            rc = px_crlf_put(c, '\n');
    }
    if (rc == 0 && c->out != NULL && c->n > 0)
        rc = c->out(c->ctx, c->buf, c->n);
    c->n = 0;
    return rc;
}

/* --- hashes ------------------------------------------------------------ */

static pl_u32 px_fnv(pl_u32 h, const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 16777619UL;
    }
    return h;
}

#define PX_FNV_INIT 2166136261UL

static void px_nmb_hex(const unsigned char *d, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[2 * n] = '\0';
}

/* v in decimal (pl_u64 is not printed through a long: doc/hacking.md). */
static void px_nmb_dec(pl_u64 v, char out[24])
{
    char t[24];
    size_t n = 0, i;

    do {
        t[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v != 0);
    for (i = 0; i < n; i++)
        out[i] = t[n - 1 - i];
    out[n] = '\0';
}

/* --- the message table ------------------------------------------------- */

static int px_nmb_add(pl_nmb *m, px_nmsg **out)
{
    px_nmsg *t;
    pl_u32 cap;

    if (m->n >= PX_NMB_MSG_MAX)
        return PL_ERANGE;
    if (m->n == m->cap) {
        cap = m->cap == 0 ? 64 : m->cap * 2;
        t = (px_nmsg *)realloc(m->msg, (size_t)cap * sizeof *t);
        if (t == NULL)
            return PL_ENOMEM;
        m->msg = t;
        m->cap = cap;
    }
    *out = &m->msg[m->n++];
    memset(*out, 0, sizeof **out);
    return PL_OK;
}

/* Make ids unique within the box: the second of two equal ids gets "-2",
 * the third "-3", in box order (a sort of indices, not a quadratic
 * search, so a huge box stays cheap). */
static pl_nmb *px_nmb_sorting;

static int px_nmb_uidcmp(const void *a, const void *b)
{
    pl_u32 x = *(const pl_u32 *)a, y = *(const pl_u32 *)b;
    int c = strcmp(px_nmb_sorting->msg[x].uid, px_nmb_sorting->msg[y].uid);

    return c != 0 ? c : (x < y ? -1 : (x > y ? 1 : 0));
}

static int px_nmb_dedupe(pl_nmb *m)
{
    pl_u32 *ix, i, head, k = 1;
    size_t len;

    if (m->n < 2)
        return PL_OK;
    ix = (pl_u32 *)malloc((size_t)m->n * sizeof *ix);
    if (ix == NULL)
        return PL_ENOMEM;
    for (i = 0; i < m->n; i++)
        ix[i] = i;
    px_nmb_sorting = m;   /* qsort has no context argument in C99 */
    qsort(ix, m->n, sizeof *ix, px_nmb_uidcmp);
    px_nmb_sorting = NULL;
    head = 0;
    for (i = 1; i < m->n; i++) {
        px_nmsg *e = &m->msg[ix[i]];
        /* the head of a run of equal ids keeps its id unchanged */
        if (strcmp(m->msg[ix[head]].uid, e->uid) != 0) {
            head = i;
            k = 1;
            continue;
        }
        k++;
        len = strlen(e->uid);
        (void)snprintf(e->uid + len, sizeof e->uid - len, "-%lu",
                       (unsigned long)k);
    }
    free(ix);
    return PL_OK;
}

/* --- mbox scan ----------------------------------------------------------- */

typedef struct px_scan {
    pl_nmb *m;
    px_nmsg *cur;          /* message being read */
    EVP_MD_CTX *md;        /* id hash of cur: From_ line and header */
    int in_hdr;            /* cur's header not ended yet */
    px_crlf crlf;          /* CRLF size of cur's text so far */
    pl_u64 line_start;     /* file offset of the current line */
    int k;                 /* bytes of "From " matched and held back;
                              -1: this line is decided */
    int blank;             /* the current line is blank so far */
    int prev_blank;        /* the previous line was blank */
    pl_u64 prev_start;     /* ... and started here */
    int in_from;           /* the current line is a From_ separator */
    pl_u32 fromsum;
} px_scan;

static const char px_from[] = "From ";

/* Bytes of the current line to where they belong: the From_ line (its
 * check sum and the id hash) or cur's text (its CRLF size, and the id
 * hash while in the header). */
static int px_scan_put(px_scan *s, const char *p, size_t n)
{
    if (n == 0)
        return PL_OK;
    if (s->cur == NULL)
        return PL_EINVAL;   /* text before the first From_ line */
    if (s->in_from) {
        s->fromsum = px_fnv(s->fromsum, p, n);
        return EVP_DigestUpdate(s->md, p, n) == 1 ? PL_OK : PL_ERR;
    }
    if (px_crlf_feed(&s->crlf, p, n) != 0)
        return PL_ERR;
    if (s->in_hdr && EVP_DigestUpdate(s->md, p, n) != 1)
        return PL_ERR;
    return PL_OK;
}

/* Close cur at end_off; a separator blank line in front of the next
 * From_ line (drop_blank) was counted as two octets of CRLF that are not
 * part of the message. */
static int px_scan_close(px_scan *s, pl_u64 end_off, pl_u64 next_off,
                         int drop_blank)
{
    unsigned char d[32];
    unsigned int dn = 0;
    char num[24];
    px_nmsg *c = s->cur;

    if (c == NULL)
        return PL_OK;
    if (end_off < c->body_off)
        end_off = c->body_off;
    (void)px_crlf_end(&s->crlf);
    c->octets = s->crlf.octets;
    if (drop_blank && c->octets >= 2)
        c->octets -= 2;
    c->end_off = end_off;
    c->next_off = next_off;
    if (EVP_DigestFinal_ex(s->md, d, &dn) != 1 || dn < 16)
        return PL_ERR;
    px_nmb_hex(d, 16, c->uid);
    px_nmb_dec(c->octets, num);
    strcat(c->uid, ".");
    strcat(c->uid, num);
    s->cur = NULL;
    return PL_OK;
}

/* A From_ line begins at s->line_start: close the message before it
 * (without the blank line in front) and open a new one. */
static int px_scan_from(px_scan *s)
{
    int rc = PL_OK;

    if (s->cur != NULL)
        rc = px_scan_close(s, s->prev_start, s->line_start, 1);
    if (rc == PL_OK)
        rc = px_nmb_add(s->m, &s->cur);
    if (rc != PL_OK)
        return rc;
    s->cur->from_off = s->line_start;
    if (EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1)
        return PL_ERR;
    s->in_hdr = 1;
    px_crlf_init(&s->crlf, NULL, NULL);
    s->in_from = 1;
    s->fromsum = PX_FNV_INIT;
    return px_scan_put(s, px_from, 5);
}

/* One byte of a line start while it may still be "From ": *used = 1 when
 * the byte was taken (held back or decided as part of "From "). */
static int px_scan_match(px_scan *s, char ch, int *used)
{
    int held = s->k;

    *used = 0;
    if (ch == px_from[s->k]) {
        *used = 1;
        s->blank = 0;
        if (++s->k < 5)
            return PL_OK;
        s->k = -1;
        if (s->line_start == 0 || s->prev_blank)
            return px_scan_from(s);
        return px_scan_put(s, px_from, 5);
    }
    s->k = -1;
    return px_scan_put(s, px_from, (size_t)held);
}

/* The line that ends at file offset `lf` (its LF) is complete. */
static void px_scan_eol(px_scan *s, pl_u64 lf)
{
    if (s->in_from) {
        s->cur->body_off = lf + 1;
        s->cur->fromsum = s->fromsum;
        s->in_from = 0;
    } else if (s->blank && s->cur != NULL) {
        s->in_hdr = 0;
    }
    s->prev_blank = s->blank;
    s->prev_start = s->line_start;
    s->line_start = lf + 1;
    s->blank = 1;
    s->k = 0;
}

/* Bytes p[0..n) found at file offset base. */
static int px_scan_bytes(px_scan *s, const char *p, size_t n, pl_u64 base)
{
    size_t i, rs = 0;
    int rc, used;

    for (i = 0; i < n; i++) {
        char ch = p[i];
        if (s->k >= 0) {
            rc = px_scan_match(s, ch, &used);
            if (rc != PL_OK)
                return rc;
            if (used) {
                rs = i + 1;
                continue;
            }
            rs = i;
        }
        if (ch != '\n' && ch != '\r')
            s->blank = 0;
        if (ch == '\n') {
            rc = px_scan_put(s, p + rs, i + 1 - rs);
            if (rc != PL_OK)
                return rc;
            rs = i + 1;
            px_scan_eol(s, base + i);
        }
    }
    return px_scan_put(s, p + rs, n - rs);
}

static int px_scan_end(px_scan *s, pl_u64 size)
{
    int last_blank, rc;

    if (s->k > 0) {   /* "Fro" at the very end: plain text */
        rc = px_scan_put(s, px_from, (size_t)s->k);
        if (rc != PL_OK)
            return rc;
    }
    if (s->cur == NULL)
        return size == 0 ? PL_OK : PL_EINVAL;
    if (s->in_from) {
        /* a From_ line without a newline at the very end */
        s->cur->body_off = size;
        s->cur->fromsum = s->fromsum;
        s->in_from = 0;
    }
    /* A blank last line (complete) is the separator after the message. */
    last_blank = s->line_start == size && s->line_start > 0 &&
                 s->prev_blank && s->prev_start >= s->cur->body_off;
    return px_scan_close(s, last_blank ? s->prev_start : size, size,
                         last_blank);
}

/* Scan fd (size bytes) into m's table. */
static int px_mbox_scan(pl_nmb *m, int fd, pl_u64 size)
{
    px_scan s;
    char *buf;
    ssize_t got;
    pl_u64 off = 0;
    int rc = PL_OK;

    memset(&s, 0, sizeof s);
    s.m = m;
    s.blank = 1;
    s.md = EVP_MD_CTX_new();
    buf = (char *)malloc(PX_NMB_BUF);
    if (s.md == NULL || buf == NULL) {
        EVP_MD_CTX_free(s.md);
        free(buf);
        return PL_ENOMEM;
    }
    while (rc == PL_OK && off < size) {
        size_t want = size - off < PX_NMB_BUF ? (size_t)(size - off)
                                              : PX_NMB_BUF;
        got = pread(fd, buf, want, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            rc = got < 0 ? px_fail(errno) : PL_EIO;
            break;
        }
        rc = px_scan_bytes(&s, buf, (size_t)got, off);
        off += (pl_u64)got;
    }
    if (rc == PL_OK)
        rc = px_scan_end(&s, size);
    EVP_MD_CTX_free(s.md);
    free(buf);
    if (rc == PL_OK)
        rc = px_nmb_dedupe(m);
    return rc;
}

static int px_mbox_open(pl_nmb *m, const pl_user *u)
{
    struct stat st;
    px_nmb_locks lk;
    int rc;

    rc = px_nmb_join(m->spool, px_nmb_spool_dir(), u->name);
    if (rc != PL_OK)
        return rc;
    m->fd = open(m->spool, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (m->fd < 0) {
        if (errno == ENOENT) {
            m->kind = PX_NMB_EMPTY;   /* no mail yet: an empty box */
            return PL_OK;
        }
        return px_fail(errno);
    }
    if (fstat(m->fd, &st) != 0)
        return px_fail(errno);
    if (!S_ISREG(st.st_mode))
        return PL_EINVAL;
    if (flock(m->fd, LOCK_EX | LOCK_NB) != 0)
        return errno == EWOULDBLOCK ? PL_EAGAIN : px_fail(errno);
    rc = px_nmb_lock(m->fd, m->spool, &lk);
    if (rc != PL_OK)
        return rc;
    if (fstat(m->fd, &st) != 0)
        rc = px_fail(errno);
    if (rc == PL_OK) {
        m->size0 = (pl_u64)st.st_size;
        rc = px_mbox_scan(m, m->fd, m->size0);
        if (rc == PL_EINVAL)
            px_nmb_log(PL_LOG_ERROR, "native mailbox %s is not an mbox file (it does "
                         "not start with a From_ line)", m->spool);
    }
    px_nmb_unlock(&lk);
    m->kind = PX_NMB_MBOX;
    return rc;
}

/* --- Maildir ------------------------------------------------------------- */

/* Flags of a Maildir name ("...:2,FS"): NULL when there are none. */
static const char *px_md_flags(const char *name)
{
    const char *c = strrchr(name, ':');

    return c != NULL && c[1] == '2' && c[2] == ',' ? c + 3 : NULL;
}

static int px_md_uid(px_nmsg *e, const char *name)
{
    const char *c = strchr(name, ':');
    size_t len = c != NULL ? (size_t)(c - name) : strlen(name), i;
    unsigned char d[32];
    unsigned int dn = 0;
    int ok = len >= 1 && len <= PX_NMB_UID_MAX;

    for (i = 0; ok && i < len; i++)
        ok = (unsigned char)name[i] >= 0x21 && (unsigned char)name[i] <= 0x7E;
    if (ok) {
        memcpy(e->uid, name, len);
        e->uid[len] = '\0';
        return PL_OK;
    }
    if (EVP_Digest(name, len, d, &dn, EVP_sha256(), NULL) != 1 || dn < 16)
        return PL_ERR;
    px_nmb_hex(d, 16, e->uid);
    return PL_OK;
}

/* CRLF size of a message file by a scan. */
static int px_md_size(int dfd, const char *rel, pl_u64 *size,
                      pl_u64 *octets)
{
    px_crlf c;
    char buf[PX_NMB_OUT_BUF];
    struct stat st;
    ssize_t got;
    int fd = openat(dfd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                    O_CLOEXEC);

    if (fd < 0)
        return px_fail(errno);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        (void)close(fd);
        return PL_EINVAL;   /* not a message file: not ours to serve */
    }
    px_crlf_init(&c, NULL, NULL);
    *size = 0;
    for (;;) {
        got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        *size += (pl_u64)got;
        (void)px_crlf_feed(&c, buf, (size_t)got);
    }
    (void)close(fd);
    if (got < 0)
        return px_fail(errno);
    (void)px_crlf_end(&c);
    *octets = c.octets;
    return PL_OK;
}

static int px_md_add(pl_nmb *m, int dfd, const char *sub, const char *name)
{
    char rel[PX_NMB_PATH_MAX];
    const char *fl = px_md_flags(name);
    px_nmsg *e;
    int rc;

    if (name[0] == '.')
        return PL_OK;
    /* cur/ with S (seen) is read mail; T is trashed by another client */
    if (fl != NULL && (strchr(fl, 'S') != NULL || strchr(fl, 'T') != NULL))
        return PL_OK;
    if (px_nmb_join(rel, sub, name) != PL_OK)
        return PL_OK;   /* a name this long was not made by an MDA */
    rc = px_nmb_add(m, &e);
    if (rc == PL_OK) {
        e->name = (char *)malloc(strlen(rel) + 1);
        if (e->name == NULL)
            rc = PL_ENOMEM;
        else
            strcpy(e->name, rel);
    }
    if (rc == PL_OK)
        rc = px_md_uid(e, name);
    if (rc == PL_OK)
        rc = px_md_size(dfd, rel, &e->end_off, &e->octets);
    /* taken by another client meanwhile, a symbolic link or not a file:
     * not a message to serve */
    if (rc == PL_ENOENT || rc == PL_ELOOP || rc == PL_EINVAL) {
        free(e->name);
        m->n--;
        rc = PL_OK;
    }
    return rc;
}

static int px_md_list(pl_nmb *m, int dfd, const char *sub)
{
    struct dirent *de;
    DIR *d;
    int fd, rc = PL_OK;

    fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? PL_OK : px_fail(errno);
    d = fdopendir(fd);
    if (d == NULL) {
        (void)close(fd);
        return px_fail(errno);
    }
    while (rc == PL_OK && (de = readdir(d)) != NULL)
        rc = px_md_add(m, dfd, sub, de->d_name);
    (void)closedir(d);
    return rc;
}

/* Base name order: Maildir names start with the delivery time. */
static int px_md_cmp(const void *a, const void *b)
{
    const px_nmsg *x = (const px_nmsg *)a, *y = (const px_nmsg *)b;

    return strcmp(x->name + 4, y->name + 4);
}

static int px_md_open(pl_nmb *m, const char *mdir)
{
    int rc;

    m->fd = open(mdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m->fd < 0)
        return px_fail(errno);
    if (flock(m->fd, LOCK_EX | LOCK_NB) != 0)
        return errno == EWOULDBLOCK ? PL_EAGAIN : px_fail(errno);
    m->kind = PX_NMB_MAILDIR;
    rc = px_md_list(m, m->fd, "new");
    if (rc == PL_OK)
        rc = px_md_list(m, m->fd, "cur");
    if (rc == PL_OK && m->n > 1)
        qsort(m->msg, m->n, sizeof *m->msg, px_md_cmp);
    if (rc == PL_OK)
        rc = px_nmb_dedupe(m);
    return rc;
}

/* --- the contract -------------------------------------------------------- */

int pl_nmb_open(const pl_user *u, pl_nmb **out)
{
    char mdir[PX_NMB_PATH_MAX], newdir[PX_NMB_PATH_MAX];
    struct stat st;
    pl_nmb *m;
    int rc;

    if (u == NULL || out == NULL || u->name[0] == '\0' ||
        strchr(u->name, '/') != NULL || u->name[0] == '.')
        return PL_EINVAL;
    *out = NULL;
    m = (pl_nmb *)calloc(1, sizeof *m);
    if (m == NULL)
        return PL_ENOMEM;
    m->fd = -1;
    rc = px_nmb_home(u, m->home);
    if (rc == PL_OK && px_nmb_join(mdir, m->home, "Maildir") == PL_OK &&
        px_nmb_join(newdir, mdir, "new") == PL_OK &&
        stat(newdir, &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = px_md_open(m, mdir);
    } else {
        if (rc != PL_OK)
            m->home[0] = '\0';   /* no home: SEEN mail stays in the spool */
        rc = px_mbox_open(m, u);
    }
    if (rc != PL_OK) {
        pl_nmb_close(m);
        return rc;
    }
    *out = m;
    return PL_OK;
}

pl_u32 pl_nmb_count(const pl_nmb *m)
{
    return m != NULL ? m->n : 0;
}

int pl_nmb_info(pl_nmb *m, pl_u32 i, pl_u64 *octets, char *uid, size_t un)
{
    if (m == NULL || i >= m->n)
        return PL_ENOENT;
    if (octets != NULL)
        *octets = m->msg[i].octets;
    if (uid != NULL) {
        if (strlen(m->msg[i].uid) >= un)
            return PL_ERANGE;
        strcpy(uid, m->msg[i].uid);
    }
    return PL_OK;
}

/* Feed [off, end) of fd through c. */
static int px_nmb_copy(int fd, pl_u64 off, pl_u64 end, px_crlf *c)
{
    char buf[PX_NMB_OUT_BUF];
    ssize_t got;
    int rc;

    while (off < end && !c->done) {
        size_t want = end - off < sizeof buf ? (size_t)(end - off)
                                             : sizeof buf;
        got = pread(fd, buf, want, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return got < 0 ? px_fail(errno) : PL_EIO;
        rc = px_crlf_feed(c, buf, (size_t)got);
        if (rc != 0)
            return rc;
        off += (pl_u64)got;
    }
    return PL_OK;
}

int pl_nmb_read(pl_nmb *m, pl_u32 i, pl_i64 body_lines, pl_out_fn out,
                void *ctx)
{
    px_crlf *c;
    px_nmsg *e;
    int fd, rc;

    if (m == NULL || i >= m->n || out == NULL)
        return PL_ENOENT;
    e = &m->msg[i];
    c = (px_crlf *)malloc(sizeof *c);
    if (c == NULL)
        return PL_ENOMEM;
    px_crlf_init(c, out, ctx);
    if (body_lines >= 0) {
        c->top = 1;
        c->lines = (pl_u64)body_lines;
    }
    if (m->kind == PX_NMB_MAILDIR) {
        fd = openat(m->fd, e->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        rc = fd < 0 ? px_fail(errno) : px_nmb_copy(fd, 0, e->end_off, c);
        if (fd >= 0)
            (void)close(fd);
    } else {
        rc = px_nmb_copy(m->fd, e->body_off, e->end_off, c);
    }
    if (rc == PL_OK)
        rc = px_crlf_end(c);
    /* The file changed under us (another client): never send a message
     * whose size disagrees with LIST. */
    if (rc == PL_OK && body_lines < 0 && c->octets != e->octets)
        rc = PL_EIO;
    free(c);
    return rc;
}

int pl_nmb_set(pl_nmb *m, pl_u32 i, int disposition)
{
    if (m == NULL || i >= m->n)
        return PL_ENOENT;
    if (disposition != PL_NMB_KEEP && disposition != PL_NMB_SEEN &&
        disposition != PL_NMB_DELETE)
        return PL_EINVAL;
    m->msg[i].disp = disposition;
    return PL_OK;
}

/* --- commit: Maildir ----------------------------------------------------- */

/* "cur/BASE:2,FLAGS" with S added (flags stay in ASCII order). */
static int px_md_seen_name(const char *name, char *out)
{
    const char *base = strchr(name, '/') + 1;
    const char *fl = px_md_flags(base);
    const char *colon = strrchr(base, ':');
    size_t blen = fl != NULL ? (size_t)(colon - base) : strlen(base);
    char flags[64];
    size_t i, j = 0;
    int s_done = 0, k;

    if (fl != NULL && strlen(fl) >= sizeof flags - 1)
        return PL_ERANGE;
    for (i = 0; fl != NULL && fl[i] != '\0'; i++) {
        if (!s_done && fl[i] > 'S') {
            flags[j++] = 'S';
            s_done = 1;
        }
        flags[j++] = fl[i];
    }
    if (!s_done)
        flags[j++] = 'S';
    flags[j] = '\0';
    k = snprintf(out, PX_NMB_PATH_MAX, "cur/%.*s:2,%s", (int)blen, base,
                 flags);
    return k < 0 || k >= PX_NMB_PATH_MAX ? PL_ERANGE : PL_OK;
}

static int px_md_commit(pl_nmb *m)
{
    char to[PX_NMB_PATH_MAX];
    int rc = PL_OK, r, fd;
    pl_u32 i;

    for (i = 0; i < m->n; i++) {
        px_nmsg *e = &m->msg[i];
        r = PL_OK;
        if (e->disp == PL_NMB_DELETE) {
            if (unlinkat(m->fd, e->name, 0) != 0 && errno != ENOENT)
                r = px_fail(errno);
        } else if (e->disp == PL_NMB_SEEN) {
            r = px_md_seen_name(e->name, to);
            if (r == PL_OK && renameat(m->fd, e->name, m->fd, to) != 0 &&
                errno != ENOENT)
                r = px_fail(errno);
        }
        if (r == PL_OK && e->disp != PL_NMB_KEEP)
            e->disp = PL_NMB_KEEP;   /* done: a second commit is a no-op */
        if (r != PL_OK && rc == PL_OK)
            rc = r;
    }
    /* Make the renames and unlinks durable. */
    fd = openat(m->fd, "cur", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        (void)close(fd);
    }
    fd = openat(m->fd, "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        (void)close(fd);
    }
    return rc;
}

/* --- commit: mbox -------------------------------------------------------- */

typedef struct px_wbuf {
    int fd;
    size_t n;
    int bol;
    int k;          /* bytes of "From " matched at a line start */
    char held[5];
    char buf[PX_NMB_OUT_BUF];
} px_wbuf;

static int px_wflush(px_wbuf *w)
{
    size_t done = 0;
    ssize_t k;

    while (done < w->n) {
        k = write(w->fd, w->buf + done, w->n - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return px_fail(k < 0 ? errno : EIO);
        done += (size_t)k;
    }
    w->n = 0;
    return PL_OK;
}

/* Buffered write; bol follows the last byte (px_wbody sets its own). */
static int px_wput(px_wbuf *w, const char *p, size_t n)
{
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        if (w->n == sizeof w->buf) {
            rc = px_wflush(w);
            if (rc != PL_OK)
                return rc;
        }
        w->buf[w->n++] = p[i];
    }
    if (n > 0)
        w->bol = p[n - 1] == '\n';
    return PL_OK;
}

/* Body text with "From " at a line start quoted as ">From ". */
static int px_wbody(px_wbuf *w, const char *p, size_t n)
{
    static const char from[] = "From ";
    size_t i;
    int rc = PL_OK;

    for (i = 0; i < n && rc == PL_OK; i++) {
        char ch = p[i];
        if (w->k >= 0 && w->k < 5 && w->bol) {
            if (ch == from[w->k]) {
                w->held[w->k++] = ch;
                if (w->k == 5) {
                    rc = px_wput(w, ">From ", 6);
                    w->k = -1;
                    w->bol = 0;
                }
                continue;
            }
            rc = px_wput(w, w->held, (size_t)w->k);
            w->k = -1;
            w->bol = 0;
            if (rc != PL_OK)
                break;
        }
        rc = px_wput(w, &ch, 1);
        if (ch == '\n') {
            w->bol = 1;
            w->k = 0;
        } else {
            w->bol = 0;
            w->k = -1;
        }
    }
    return rc;
}

/* The held part of an unfinished "From" at the very end of the text. */
static int px_wbody_end(px_wbuf *w)
{
    int rc = PL_OK;

    if (w->bol && w->k > 0) {
        rc = px_wput(w, w->held, (size_t)w->k);
        w->bol = 0;
    }
    w->k = 0;
    return rc;
}

static int px_copy_raw(int fd, pl_u64 off, pl_u64 end, px_wbuf *w,
                       int quote)
{
    char buf[PX_NMB_OUT_BUF];
    ssize_t got;
    int rc;

    while (off < end) {
        size_t want = end - off < sizeof buf ? (size_t)(end - off)
                                             : sizeof buf;
        got = pread(fd, buf, want, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return got < 0 ? px_fail(errno) : PL_EIO;
        rc = quote ? px_wbody(w, buf, (size_t)got)
                   : px_wput(w, buf, (size_t)got);
        if (rc != PL_OK)
            return rc;
        off += (pl_u64)got;
    }
    return PL_OK;
}

/* Newlines needed so that what follows the file's last bytes starts after
 * a blank line ("" at the start, "\n" after "\n\n", ...). */
static const char *px_mbox_gap(int fd, pl_u64 size)
{
    char t[2];

    if (size == 0)
        return "";
    if (size == 1) {
        if (pread(fd, t, 1, 0) != 1)
            return "\n\n";
        return t[0] == '\n' ? "\n" : "\n\n";
    }
    if (pread(fd, t, 2, (off_t)(size - 2)) != 2)
        return "\n\n";
    if (t[1] != '\n')
        return "\n\n";
    return t[0] == '\n' ? "" : "\n";
}

static int px_mbox_append_one(pl_nmb *m, px_wbuf *w, const px_nmsg *e)
{
    int rc;

    w->bol = 1;
    w->k = 0;
    rc = px_copy_raw(m->fd, e->from_off, e->body_off, w, 0);
    if (rc == PL_OK && !w->bol)
        rc = px_wput(w, "\n", 1);   /* a From_ line cut by EOF */
    w->k = 0;
    if (rc == PL_OK)
        rc = px_copy_raw(m->fd, e->body_off, e->end_off, w, 1);
    if (rc == PL_OK)
        rc = px_wbody_end(w);
    if (rc == PL_OK && !w->bol)
        rc = px_wput(w, "\n", 1);
    if (rc == PL_OK)
        rc = px_wput(w, "\n", 1);
    return rc;
}

/* Append the SEEN messages to ~/mbox, durably; on failure the file is cut
 * back to its old size. */
static int px_mbox_save_seen(pl_nmb *m)
{
    char path[PX_NMB_PATH_MAX];
    struct stat st;
    px_nmb_locks lk;
    px_wbuf *w;
    const char *gap;
    pl_u32 i;
    int rc, fd;

    rc = px_nmb_join(path, m->home, "mbox");
    if (rc != PL_OK)
        return rc;
    fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
              0600);
    if (fd < 0)
        return px_fail(errno);
    rc = px_nmb_lock(fd, path, &lk);
    if (rc != PL_OK) {
        (void)close(fd);
        return rc;
    }
    w = (px_wbuf *)calloc(1, sizeof *w);
    if (w == NULL)
        rc = PL_ENOMEM;
    if (rc == PL_OK && fstat(fd, &st) != 0)
        rc = px_fail(errno);
    if (rc == PL_OK) {
        w->fd = fd;
        gap = px_mbox_gap(fd, (pl_u64)st.st_size);
        rc = px_wput(w, gap, strlen(gap));
    }
    for (i = 0; rc == PL_OK && i < m->n; i++)
        if (m->msg[i].disp == PL_NMB_SEEN)
            rc = px_mbox_append_one(m, w, &m->msg[i]);
    if (rc == PL_OK)
        rc = px_wflush(w);
    if (rc == PL_OK && fsync(fd) != 0)
        rc = px_fail(errno);
    if (rc != PL_OK && w != NULL)
        (void)ftruncate(fd, st.st_size);
    free(w);
    px_nmb_unlock(&lk);
    if (close(fd) != 0 && rc == PL_OK)
        rc = px_fail(errno);
    return rc;
}

/* Every From_ line still where the scan saw it, and nothing cut. */
static int px_mbox_verify(pl_nmb *m, pl_u64 size)
{
    char buf[1024];
    pl_u32 i, sum;
    pl_u64 off;
    ssize_t got;

    if (size < m->size0)
        return PL_EIO;
    for (i = 0; i < m->n; i++) {
        const px_nmsg *e = &m->msg[i];
        sum = PX_FNV_INIT;
        for (off = e->from_off; off < e->body_off; off += (pl_u64)got) {
            size_t want = e->body_off - off < sizeof buf
                          ? (size_t)(e->body_off - off) : sizeof buf;
            got = pread(m->fd, buf, want, (off_t)off);
            if (got <= 0)
                return PL_EIO;
            sum = px_fnv(sum, buf, (size_t)got);
        }
        if (sum != e->fromsum)
            return PL_EIO;
    }
    return PL_OK;
}

/* Slide [src, end) down to dst (dst <= src). */
static int px_slide(int fd, pl_u64 src, pl_u64 end, pl_u64 *dst)
{
    char *buf;
    ssize_t got, put;
    int rc = PL_OK;

    if (src == *dst) {
        *dst = end;
        return PL_OK;
    }
    buf = (char *)malloc(PX_NMB_BUF);
    if (buf == NULL)
        return PL_ENOMEM;
    while (src < end) {
        size_t want = end - src < PX_NMB_BUF ? (size_t)(end - src)
                                             : PX_NMB_BUF;
        got = pread(fd, buf, want, (off_t)src);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            rc = got < 0 ? px_fail(errno) : PL_EIO;
            break;
        }
        put = pwrite(fd, buf, (size_t)got, (off_t)*dst);
        if (put != got) {
            rc = px_fail(put < 0 ? errno : ENOSPC);
            break;
        }
        src += (pl_u64)got;
        *dst += (pl_u64)got;
    }
    free(buf);
    return rc;
}

static int px_mbox_compact(pl_nmb *m, pl_u64 size)
{
    pl_u64 dst = 0;
    pl_u32 i, first = m->n;
    int rc = PL_OK;

    for (i = 0; i < m->n && first == m->n; i++)
        if (m->msg[i].disp != PL_NMB_KEEP)
            first = i;
    if (first == m->n)
        return PL_OK;
    dst = m->msg[first].from_off;
    for (i = first; rc == PL_OK && i < m->n; i++)
        if (m->msg[i].disp == PL_NMB_KEEP)
            rc = px_slide(m->fd, m->msg[i].from_off, m->msg[i].next_off,
                          &dst);
    /* mail delivered during the session */
    if (rc == PL_OK && size > m->size0)
        rc = px_slide(m->fd, m->size0, size, &dst);
    if (rc == PL_OK && ftruncate(m->fd, (off_t)dst) != 0)
        rc = px_fail(errno);
    if (rc == PL_OK && fsync(m->fd) != 0)
        rc = px_fail(errno);
    return rc;
}

static int px_mbox_commit(pl_nmb *m)
{
    struct stat st;
    px_nmb_locks lk;
    pl_u32 i, seen = 0, changed = 0;
    int rc;

    for (i = 0; i < m->n; i++) {
        if (m->msg[i].disp != PL_NMB_KEEP)
            changed++;
        if (m->msg[i].disp == PL_NMB_SEEN)
            seen++;
    }
    if (changed == 0)
        return PL_OK;
    if (seen > 0 && m->home[0] == '\0')
        return PL_ENOENT;   /* no home for read mail: change nothing */
    rc = px_nmb_lock(m->fd, m->spool, &lk);
    if (rc != PL_OK)
        return rc;
    if (fstat(m->fd, &st) != 0)
        rc = px_fail(errno);
    if (rc == PL_OK) {
        rc = px_mbox_verify(m, (pl_u64)st.st_size);
        if (rc != PL_OK)
            px_nmb_log(PL_LOG_ERROR, "native mailbox %s changed during the session "
                         "by another program; nothing was changed",
                         m->spool);
    }
    if (rc == PL_OK && seen > 0)
        rc = px_mbox_save_seen(m);
    if (rc == PL_OK)
        rc = px_mbox_compact(m, (pl_u64)st.st_size);
    px_nmb_unlock(&lk);
    if (rc == PL_OK) {
        /* applied: the box is now empty of this snapshot */
        for (i = 0; i < m->n; i++)
            m->msg[i].disp = PL_NMB_KEEP;
        m->n = 0;
    }
    return rc;
}

int pl_nmb_commit(pl_nmb *m)
{
    if (m == NULL)
        return PL_EINVAL;
    if (m->kind == PX_NMB_MAILDIR)
        return px_md_commit(m);
    if (m->kind == PX_NMB_MBOX)
        return px_mbox_commit(m);
    return PL_OK;
}

void pl_nmb_close(pl_nmb *m)
{
    pl_u32 i;

    if (m == NULL)
        return;
    for (i = 0; i < m->n; i++)
        free(m->msg[i].name);
    free(m->msg);
    if (m->fd >= 0)
        (void)close(m->fd);   /* drops the flock */
    free(m);
}
