/*
 * t_nmbox.c - unit tests of the POSIX native mailboxes (posix/px_nmbox.c):
 * mbox splitting and the text served (tables against files), exact sizes,
 * stable and unique ids, TOP, the session lock, stale dot-locks, commit
 * with mail delivered during the session, read mail to ~/mbox with
 * ">From" quoting, a spool changed behind the session, and Maildir.
 *
 * Limits: files live in a scratch directory; px_nmb_test_paths() points
 * the layer's /var/mail and home directory there (the only way to move
 * them, and only tests call it).
 * Privilege: any user; the process already is "the user".
 */
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/time.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "t_util.h"
#include "px_int.h"

#define T_NM_USER "tuser"

static char t_nm_root[1024], t_nm_spool[1040], t_nm_home[1040];

/* A fresh spool directory and home directory for one test. */
static void t_nm_setup(const char *name)
{
    const char *p = t_scratch_dir(name);

    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    snprintf(t_nm_root, sizeof t_nm_root, "%s", p);
    snprintf(t_nm_spool, sizeof t_nm_spool, "%s/spool", t_nm_root);
    snprintf(t_nm_home, sizeof t_nm_home, "%s/home", t_nm_root);
    CU_ASSERT_EQUAL_FATAL(mkdir(t_nm_spool, 0775), 0);
    CU_ASSERT_EQUAL_FATAL(mkdir(t_nm_home, 0700), 0);
    px_nmb_test_paths(t_nm_spool, t_nm_home);
}

static void t_nm_path(char *out, size_t n, const char *dir, const char *rel)
{
    snprintf(out, n, "%s/%s", dir, rel);
}

static void t_nm_write(const char *path, const char *data, size_t len,
                       const char *mode)
{
    FILE *f = fopen(path, mode);

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
    CU_ASSERT_EQUAL(fclose(f), 0);
}

/* The whole file into a malloc'd NUL-ended buffer (NULL if missing). */
static char *t_nm_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = (char *)malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

static void t_nm_user(pl_user *u)
{
    memset(u, 0, sizeof *u);
    strcpy(u->name, T_NM_USER);
    u->id = (pl_u32)getuid();
    u->group = (pl_u32)getgid();
}

static void t_nm_spool_put(const char *data, size_t len)
{
    char path[1200];

    t_nm_path(path, sizeof path, t_nm_spool, T_NM_USER);
    t_nm_write(path, data, len, "wb");
}

/* Collects what pl_nmb_read sends. */
typedef struct t_nm_sink {
    char *buf;
    size_t len, cap;
} t_nm_sink;

static int t_nm_out(void *ctx, const void *p, size_t n)
{
    t_nm_sink *k = (t_nm_sink *)ctx;

    if (k->len + n + 1 > k->cap) {
        size_t cap = (k->len + n + 1) * 2;
        char *b = (char *)realloc(k->buf, cap);
        if (b == NULL)
            return PL_ENOMEM;
        k->buf = b;
        k->cap = cap;
    }
    memcpy(k->buf + k->len, p, n);
    k->len += n;
    k->buf[k->len] = '\0';
    return 0;
}

/* Message i whole (lines < 0) or TOP; the text in a malloc'd buffer. */
static char *t_nm_msg(pl_nmb *m, pl_u32 i, pl_i64 lines, size_t *len)
{
    t_nm_sink k;

    memset(&k, 0, sizeof k);
    CU_ASSERT_EQUAL(pl_nmb_read(m, i, lines, t_nm_out, &k), PL_OK);
    if (k.buf == NULL)
        k.buf = (char *)calloc(1, 1);
    *len = k.len;
    return k.buf;
}

/* ------------------------------------------------------------------ */
/* mbox splitting: table                                               */
/* ------------------------------------------------------------------ */

typedef struct t_nm_case {
    const char *name;
    const char *mbox;
    int status;            /* of pl_nmb_open */
    pl_u32 count;
    const char *msg[3];    /* the CRLF text served */
} t_nm_case;

static const t_nm_case t_nm_cases[] = {
    { "empty file", "", PL_OK, 0, { NULL } },
    { "one message", "From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n\n"
      "body\n", PL_OK, 1, { "Subject: x\r\n\r\nbody\r\n" } },
    { "two, blank separator, trailing blank",
      "From a Mon Jan  1 00:00:00 2024\nS: 1\n\none\n\n"
      "From b Mon Jan  1 00:00:01 2024\nS: 2\n\ntwo\n\n", PL_OK, 2,
      { "S: 1\r\n\r\none\r\n", "S: 2\r\n\r\ntwo\r\n" } },
    { "From in body after text is no split",
      "From a\nS: 1\n\nline\nFrom me to you\n", PL_OK, 1,
      { "S: 1\r\n\r\nline\r\nFrom me to you\r\n" } },
    { ">From stays as stored",
      "From a\nS: 1\n\n>From x\n\n>>From y\n", PL_OK, 1,
      { "S: 1\r\n\r\n>From x\r\n\r\n>>From y\r\n" } },
    { "no trailing newline", "From a\nS: 1\n\nbody", PL_OK, 1,
      { "S: 1\r\n\r\nbody\r\n" } },
    { "CRLF already present",
      "From a\r\nS: 1\r\n\r\nb\r\n\r\nFrom c\r\nS: 2\r\n\r\nd\r\n", PL_OK,
      2, { "S: 1\r\n\r\nb\r\n", "S: 2\r\n\r\nd\r\n" } },
    { "extra blank lines kept but one",
      "From a\nS: 1\n\nb\n\n\nFrom c\nS: 2\n\nd\n", PL_OK, 2,
      { "S: 1\r\n\r\nb\r\n\r\n", "S: 2\r\n\r\nd\r\n" } },
    { "bare CR is a line end", "From a\nS: 1\n\nx\ry\n", PL_OK, 1,
      { "S: 1\r\n\r\nx\r\ny\r\n" } },
    { "header only", "From a\nS: 1\n", PL_OK, 1, { "S: 1\r\n" } },
    { "From_ line alone at the end", "From a\nS: 1\n\nb\n\nFrom c", PL_OK,
      2, { "S: 1\r\n\r\nb\r\n", "" } },
    { "Fro at a line start is text", "From a\nS: 1\n\nFro", PL_OK, 1,
      { "S: 1\r\n\r\nFro\r\n" } },
    { "not an mbox", "Hello\nFrom a\n\n", PL_EINVAL, 0, { NULL } },
    { "blank first line", "\nFrom a\nS: 1\n", PL_EINVAL, 0, { NULL } },
};

static void t_nm_split(void)
{
    size_t c, len;
    pl_user u;

    t_nm_user(&u);
    for (c = 0; c < sizeof t_nm_cases / sizeof t_nm_cases[0]; c++) {
        const t_nm_case *tc = &t_nm_cases[c];
        pl_nmb *m = NULL;
        pl_u32 i;
        int rc;

        t_nm_setup("nmbox_split");
        t_nm_spool_put(tc->mbox, strlen(tc->mbox));
        rc = pl_nmb_open(&u, &m);
        if (rc != tc->status)
            fprintf(stderr, "\nt_nmbox case '%s': open %d, want %d\n",
                    tc->name, rc, tc->status);
        CU_ASSERT_EQUAL(rc, tc->status);
        if (rc != PL_OK)
            continue;
        CU_ASSERT_EQUAL(pl_nmb_count(m), tc->count);
        for (i = 0; i < tc->count && i < pl_nmb_count(m); i++) {
            pl_u64 oct = 0;
            char uid[80];
            char *t = t_nm_msg(m, i, -1, &len);
            CU_ASSERT_EQUAL(pl_nmb_info(m, i, &oct, uid, sizeof uid),
                            PL_OK);
            if (strcmp(t, tc->msg[i]) != 0)
                fprintf(stderr, "\nt_nmbox case '%s' message %lu: got "
                        "'%s'\n", tc->name, (unsigned long)i, t);
            CU_ASSERT_STRING_EQUAL(t, tc->msg[i]);
            CU_ASSERT_EQUAL(oct, (pl_u64)strlen(tc->msg[i]));
            CU_ASSERT_EQUAL(len, strlen(tc->msg[i]));
            CU_ASSERT(strlen(uid) >= 1 && strlen(uid) <= 70);
            free(t);
        }
        pl_nmb_close(m);
    }
}

/* A From_ line across the scanner's 64 KiB read boundary, and a line far
 * longer than any buffer. */
static void t_nm_boundaries(void)
{
    static const size_t cuts[] = { 65533, 65534, 65535, 65536, 65537 };
    const size_t huge = 300000;
    size_t c, len, pos;
    char *data, *t;
    pl_nmb *m = NULL;
    pl_user u;

    t_nm_user(&u);
    data = (char *)malloc(huge + 200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    for (c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        /* message 1 fills the file up to cuts[c], where "From " starts */
        strcpy(data, "From a\nS: 1\n\n");
        pos = strlen(data);
        memset(data + pos, 'x', cuts[c] - pos - 2);
        pos = cuts[c] - 2;
        data[pos++] = '\n';
        data[pos++] = '\n';
        strcpy(data + pos, "From b\nS: 2\n\ny\n");
        t_nm_setup("nmbox_bound");
        t_nm_spool_put(data, strlen(data));
        CU_ASSERT_EQUAL_FATAL(pl_nmb_open(&u, &m), PL_OK);
        CU_ASSERT_EQUAL(pl_nmb_count(m), 2);
        t = t_nm_msg(m, 1, -1, &len);
        CU_ASSERT_STRING_EQUAL(t, "S: 2\r\n\r\ny\r\n");
        free(t);
        t = t_nm_msg(m, 0, -1, &len);
        CU_ASSERT_EQUAL(len, cuts[c] - strlen("From a\n") - 1 + 3);
        free(t);
        pl_nmb_close(m);
    }
    /* one huge line */
    strcpy(data, "From a\nS: 1\n\n");
    pos = strlen(data);
    memset(data + pos, 'z', huge);
    strcpy(data + pos + huge, "\n");
    t_nm_setup("nmbox_huge");
    t_nm_spool_put(data, strlen(data));
    CU_ASSERT_EQUAL_FATAL(pl_nmb_open(&u, &m), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_count(m), 1);
    t = t_nm_msg(m, 0, -1, &len);
    CU_ASSERT_EQUAL(len, strlen("S: 1\r\n\r\n") + huge + 2);
    free(t);
    pl_nmb_close(m);
    free(data);
}

static const char t_nm_three[] =
    "From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody 1\n\n"
    "From b@x Mon Jan  1 00:00:01 2024\nSubject: two\n\nbody 2\n"
    "From inside\n\n"
    "From c@x Mon Jan  1 00:00:02 2024\nSubject: three\n\nbody 3\n\n";

static void t_nm_ids_top(void)
{
    char a[3][80], b[80];
    pl_nmb *m = NULL;
    pl_user u;
    size_t len;
    pl_u32 i;
    char *t;
    static const char dup[] = "From a\nS: 1\n\nx\n\nFrom a\nS: 1\n\nx\n\n"
                              "From a\nS: 1\n\nx\n";

    t_nm_user(&u);
    t_nm_setup("nmbox_ids");
    t_nm_spool_put(t_nm_three, strlen(t_nm_three));
    CU_ASSERT_EQUAL_FATAL(pl_nmb_open(&u, &m), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_count(m), 3);
    for (i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(pl_nmb_info(m, i, NULL, a[i], sizeof a[i]), PL_OK);
    CU_ASSERT(strcmp(a[0], a[1]) != 0 && strcmp(a[1], a[2]) != 0);
    CU_ASSERT_EQUAL(pl_nmb_info(m, 3, NULL, b, sizeof b), PL_ENOENT);
    CU_ASSERT_EQUAL(pl_nmb_info(m, 0, NULL, b, 4), PL_ERANGE);
    /* TOP 0: header and blank line; TOP 1: one body line */
    t = t_nm_msg(m, 1, 0, &len);
    CU_ASSERT_STRING_EQUAL(t, "Subject: two\r\n\r\n");
    free(t);
    t = t_nm_msg(m, 1, 1, &len);
    CU_ASSERT_STRING_EQUAL(t, "Subject: two\r\n\r\nbody 2\r\n");
    free(t);
    t = t_nm_msg(m, 1, 99, &len);
    CU_ASSERT_STRING_EQUAL(t, "Subject: two\r\n\r\nbody 2\r\nFrom inside\r\n");
    free(t);
    /* one session at a time */
    {
        pl_nmb *m2 = NULL;
        CU_ASSERT_EQUAL(pl_nmb_open(&u, &m2), PL_EAGAIN);
        CU_ASSERT_PTR_NULL(m2);
    }
    pl_nmb_close(m);
    /* the same ids in the next session */
    CU_ASSERT_EQUAL_FATAL(pl_nmb_open(&u, &m), PL_OK);
    for (i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(pl_nmb_info(m, i, NULL, b, sizeof b), PL_OK);
        CU_ASSERT_STRING_EQUAL(a[i], b);
    }
    pl_nmb_close(m);
    /* identical messages get distinct ids */
    t_nm_spool_put(dup, strlen(dup));
    CU_ASSERT_EQUAL_FATAL(pl_nmb_open(&u, &m), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_count(m), 3);
    for (i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(pl_nmb_info(m, i, NULL, a[i], sizeof a[i]), PL_OK);
    CU_ASSERT(strcmp(a[0], a[1]) != 0 && strcmp(a[0], a[2]) != 0 &&
              strcmp(a[1], a[2]) != 0);
    CU_ASSERT(strstr(a[1], "-2") != NULL && strstr(a[2], "-3") != NULL);
    pl_nmb_close(m);
    /* no spool file: an empty box */
    {
        char path[1200];
        t_nm_path(path, sizeof path, t_nm_spool, T_NM_USER);
        CU_ASSERT_EQUAL(unlink(path), 0);
    }
    CU_ASSERT_EQUAL_FATAL(pl_nmb_open(&u, &m), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_count(m), 0);
    CU_ASSERT_EQUAL(pl_nmb_commit(m), PL_OK);
    pl_nmb_close(m);
}

/* ------------------------------------------------------------------ */
/* commit                                                              */
/* ------------------------------------------------------------------ */

static void t_nm_commit(void)
{
    static const char late[] =
        "From d@x Mon Jan  1 00:00:03 2024\nSubject: four\n\nbody 4\n\n";
    char path[1200], mbox[1100], lock[1100];
    struct stat st;
    pl_nmb *m = NULL;
    pl_user u;
    size_t len;
    char *t;

    t_nm_user(&u);
    t_nm_setup("nmbox_commit");
    t_nm_spool_put(t_nm_three, strlen(t_nm_three));
    t_nm_path(path, sizeof path, t_nm_spool, T_NM_USER);
    t_nm_path(mbox, sizeof mbox, t_nm_home, "mbox");
    t_nm_path(lock, sizeof lock, t_nm_spool, T_NM_USER ".lock");
    CU_ASSERT_EQUAL_FATAL(pl_nmb_open(&u, &m), PL_OK);
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    /* delivered during the session */
    t_nm_write(path, late, strlen(late), "ab");
    CU_ASSERT_EQUAL(pl_nmb_set(m, 0, PL_NMB_DELETE), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_set(m, 1, PL_NMB_SEEN), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_set(m, 2, PL_NMB_KEEP), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_set(m, 3, PL_NMB_KEEP), PL_ENOENT);
    CU_ASSERT_EQUAL(pl_nmb_set(m, 2, 7), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_nmb_commit(m), PL_OK);
    pl_nmb_close(m);
    {
        struct stat st2;
        CU_ASSERT_EQUAL(stat(path, &st2), 0);
        CU_ASSERT_EQUAL(st2.st_ino, st.st_ino);   /* same inode */
    }
    CU_ASSERT_EQUAL(access(lock, F_OK), -1);     /* dot-lock removed */
    t = t_nm_read(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_STRING_EQUAL(t,
        "From c@x Mon Jan  1 00:00:02 2024\nSubject: three\n\nbody 3\n\n"
        "From d@x Mon Jan  1 00:00:03 2024\nSubject: four\n\nbody 4\n\n");
    free(t);
    t = t_nm_read(mbox, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_STRING_EQUAL(t,
        "From b@x Mon Jan  1 00:00:01 2024\nSubject: two\n\nbody 2\n"
        ">From inside\n\n");
    free(t);
    CU_ASSERT_EQUAL(stat(mbox, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    /* a second round appends after a blank line */
    CU_ASSERT_EQUAL_FATAL(pl_nmb_open(&u, &m), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_count(m), 2);
    CU_ASSERT_EQUAL(pl_nmb_set(m, 0, PL_NMB_SEEN), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_set(m, 1, PL_NMB_SEEN), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_commit(m), PL_OK);
    pl_nmb_close(m);
    t = t_nm_read(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(len, 0);
    free(t);
    t = t_nm_read(mbox, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "\n\nFrom c@x Mon"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "body 3\n\nFrom d@x Mon"));
    free(t);
    /* the mbox we wrote reads back as three messages */
    {
        char *saved = t_nm_read(mbox, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(saved);
        t_nm_spool_put(saved, len);
        free(saved);
        CU_ASSERT_EQUAL_FATAL(pl_nmb_open(&u, &m), PL_OK);
        CU_ASSERT_EQUAL(pl_nmb_count(m), 3);
        t = t_nm_msg(m, 0, -1, &len);
        CU_ASSERT_STRING_EQUAL(t, "Subject: two\r\n\r\nbody 2\r\n"
                               ">From inside\r\n");
        free(t);
        pl_nmb_close(m);
    }
}

/* A session that ends without commit changes nothing; a spool rewritten
 * behind the session is left alone at commit. */
static void t_nm_conflict(void)
{
    static const char other[] = "From z\nS: 9\n\nq\n";
    char path[1200];
    pl_nmb *m = NULL;
    pl_user u;
    size_t len;
    char *t;

    t_nm_user(&u);
    t_nm_setup("nmbox_conflict");
    t_nm_spool_put(t_nm_three, strlen(t_nm_three));
    t_nm_path(path, sizeof path, t_nm_spool, T_NM_USER);
    CU_ASSERT_EQUAL_FATAL(pl_nmb_open(&u, &m), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_set(m, 0, PL_NMB_DELETE), PL_OK);
    pl_nmb_close(m);
    t = t_nm_read(path, &len);
    CU_ASSERT_STRING_EQUAL(t, t_nm_three);
    free(t);
    CU_ASSERT_EQUAL_FATAL(pl_nmb_open(&u, &m), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_set(m, 0, PL_NMB_DELETE), PL_OK);
    t_nm_write(path, other, strlen(other), "r+b");   /* same inode */
    CU_ASSERT_EQUAL(truncate(path, (off_t)strlen(other)), 0);
    CU_ASSERT_NOT_EQUAL(pl_nmb_commit(m), PL_OK);
    pl_nmb_close(m);
    t = t_nm_read(path, &len);
    CU_ASSERT_STRING_EQUAL(t, other);
    free(t);
}

/* A dot-lock older than five minutes is stale and removed; the file is
 * opened all the same. */
static void t_nm_stale_lock(void)
{
    char lock[1200];
    struct timeval tv[2];
    pl_nmb *m = NULL;
    pl_user u;

    t_nm_user(&u);
    t_nm_setup("nmbox_stale");
    t_nm_spool_put(t_nm_three, strlen(t_nm_three));
    t_nm_path(lock, sizeof lock, t_nm_spool, T_NM_USER ".lock");
    t_nm_write(lock, "1\n", 2, "wb");
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= 600;
    tv[1] = tv[0];
    CU_ASSERT_EQUAL(utimes(lock, tv), 0);
    CU_ASSERT_EQUAL_FATAL(pl_nmb_open(&u, &m), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_count(m), 3);
    CU_ASSERT_EQUAL(access(lock, F_OK), -1);
    pl_nmb_close(m);
}

/* ------------------------------------------------------------------ */
/* Maildir                                                             */
/* ------------------------------------------------------------------ */

static void t_nm_maildir(void)
{
    static const char *dirs[] = { "Maildir", "Maildir/new", "Maildir/cur",
                                  "Maildir/tmp" };
    char p[1200], uid[80];
    pl_nmb *m = NULL;
    pl_user u;
    pl_u64 oct;
    size_t i, len;
    char *t;

    t_nm_user(&u);
    t_nm_setup("nmbox_maildir");
    for (i = 0; i < 4; i++) {
        t_nm_path(p, sizeof p, t_nm_home, dirs[i]);
        CU_ASSERT_EQUAL_FATAL(mkdir(p, 0700), 0);
    }
    /* a spool file exists too: Maildir wins */
    t_nm_spool_put(t_nm_three, strlen(t_nm_three));
    t_nm_path(p, sizeof p, t_nm_home, "Maildir/new/1700000001.A.host");
    t_nm_write(p, "S: a\n\nnew one", 13, "wb");
    t_nm_path(p, sizeof p, t_nm_home, "Maildir/cur/1700000002.B.host:2,F");
    t_nm_write(p, "S: b\r\n\r\ncur unseen\r\n", 20, "wb");
    t_nm_path(p, sizeof p, t_nm_home, "Maildir/cur/1700000003.C.host:2,S");
    t_nm_write(p, "S: c\n\nseen\n", 11, "wb");
    t_nm_path(p, sizeof p, t_nm_home, "Maildir/new/1700000004.D.host");
    t_nm_write(p, "S: d\n\ngoes\n", 11, "wb");
    CU_ASSERT_EQUAL_FATAL(pl_nmb_open(&u, &m), PL_OK);
    CU_ASSERT_EQUAL_FATAL(pl_nmb_count(m), 3);
    CU_ASSERT_EQUAL(pl_nmb_info(m, 0, &oct, uid, sizeof uid), PL_OK);
    CU_ASSERT_STRING_EQUAL(uid, "1700000001.A.host");
    CU_ASSERT_EQUAL(oct, (pl_u64)strlen("S: a\r\n\r\nnew one\r\n"));
    t = t_nm_msg(m, 0, -1, &len);
    CU_ASSERT_STRING_EQUAL(t, "S: a\r\n\r\nnew one\r\n");
    free(t);
    CU_ASSERT_EQUAL(pl_nmb_info(m, 1, &oct, uid, sizeof uid), PL_OK);
    CU_ASSERT_STRING_EQUAL(uid, "1700000002.B.host");
    CU_ASSERT_EQUAL(oct, 20);
    CU_ASSERT_EQUAL(pl_nmb_info(m, 2, NULL, uid, sizeof uid), PL_OK);
    CU_ASSERT_STRING_EQUAL(uid, "1700000004.D.host");
    {
        pl_nmb *m2 = NULL;
        CU_ASSERT_EQUAL(pl_nmb_open(&u, &m2), PL_EAGAIN);
    }
    /* arrives during the session */
    t_nm_path(p, sizeof p, t_nm_home, "Maildir/new/1700000005.E.host");
    t_nm_write(p, "S: e\n\nlate\n", 11, "wb");
    CU_ASSERT_EQUAL(pl_nmb_set(m, 0, PL_NMB_SEEN), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_set(m, 1, PL_NMB_SEEN), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_set(m, 2, PL_NMB_DELETE), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_commit(m), PL_OK);
    pl_nmb_close(m);
    t_nm_path(p, sizeof p, t_nm_home, "Maildir/cur/1700000001.A.host:2,S");
    CU_ASSERT_EQUAL(access(p, F_OK), 0);
    t_nm_path(p, sizeof p, t_nm_home, "Maildir/new/1700000001.A.host");
    CU_ASSERT_EQUAL(access(p, F_OK), -1);
    t_nm_path(p, sizeof p, t_nm_home, "Maildir/cur/1700000002.B.host:2,FS");
    CU_ASSERT_EQUAL(access(p, F_OK), 0);
    t_nm_path(p, sizeof p, t_nm_home, "Maildir/new/1700000004.D.host");
    CU_ASSERT_EQUAL(access(p, F_OK), -1);
    t_nm_path(p, sizeof p, t_nm_home, "Maildir/new/1700000005.E.host");
    CU_ASSERT_EQUAL(access(p, F_OK), 0);
    /* the next session sees only the late one; the spool is untouched */
    CU_ASSERT_EQUAL_FATAL(pl_nmb_open(&u, &m), PL_OK);
    CU_ASSERT_EQUAL(pl_nmb_count(m), 1);
    pl_nmb_close(m);
    t_nm_path(p, sizeof p, t_nm_spool, T_NM_USER);
    t = t_nm_read(p, &len);
    CU_ASSERT_STRING_EQUAL(t, t_nm_three);
    free(t);
}

static void t_nm_reset(void)
{
    px_nmb_test_paths(NULL, NULL);
}

int t_nmbox_register(void)
{
    CU_pSuite s = CU_add_suite("nmbox", NULL, NULL);

    if (s == NULL ||
        CU_add_test(s, "mbox splitting table", t_nm_split) == NULL ||
        CU_add_test(s, "read boundaries and huge lines",
                    t_nm_boundaries) == NULL ||
        CU_add_test(s, "ids, TOP, one session", t_nm_ids_top) == NULL ||
        CU_add_test(s, "commit keeps late mail", t_nm_commit) == NULL ||
        CU_add_test(s, "changed spool, no commit", t_nm_conflict) == NULL ||
        CU_add_test(s, "stale dot-lock", t_nm_stale_lock) == NULL ||
        CU_add_test(s, "Maildir", t_nm_maildir) == NULL ||
        CU_add_test(s, "reset paths", t_nm_reset) == NULL)
        return -1;
    return 0;
}
