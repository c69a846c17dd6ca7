/*
 * st_bench.c - measures the popstore against the disk it runs on
 * (doc/performance.md):
 *
 *  1. the disk's own limit: create, write 4 KiB, fsync, close, rename into
 *     another directory, fsync that directory, in a loop through pl.h, by
 *     1 and by 16 threads (each in its own directories);
 *     (the four tests run in interleaved one-second slices);
 *  2. durable deliveries per second of 4 KiB messages through the store
 *     API (st_deliver_begin/write/commit) by 1 and 16 concurrent writers
 *     into one mailbox;
 *  3. on a folder of N (default 100,000) messages: the first select (index
 *     rebuilt from the file names), a warm select, and then STAT (totals),
 *     LIST (a "n size" line per message) and UIDL (a "n id" line per
 *     message) formatted into memory, as a POP3 session would do them.
 *
 * Usage: st_bench DIR [SECONDS [N]]   DIR is created and must not exist;
 * each throughput test runs SECONDS (default 5).  The folder's messages
 * are written without fsync (they are test data, not deliveries).
 * Prints a table and the ratios.  Limits: bounded by SECONDS per test and
 * N files.  Privilege: the caller's; everything stays inside DIR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "st.h"
#include "ut_str.h"

#define B_MSG     4096
#define B_THREADS 16

static char b_body[B_MSG];
static const char *b_root;
static pl_i64 b_secs;
static long b_slice;       /* makes raw file names unique per slice */

typedef struct b_job {
    int idx;
    st_store *st;
    pl_dir *dir;              /* raw test: this thread's directory */
    long done;
    int rc;
} b_job;

static void b_die(const char *what, int rc)
{
    fprintf(stderr, "st_bench: %s: %s\n", what, pl_strerror(rc));
    exit(1);
}

/* 4 KiB of text lines ending in CRLF: a plausible message. */
static void b_make_body(void)
{
    int k;

    for (k = 0; k < B_MSG; k++)
        b_body[k] = (char)('a' + k % 26);
    memcpy(b_body, "Subject: bench\r\n\r\n", 18);
    for (k = 77; k < B_MSG; k += 78) {
        b_body[k - 1] = '\r';
        b_body[k] = '\n';
    }
    b_body[B_MSG - 2] = '\r';
    b_body[B_MSG - 1] = '\n';
}

/* Raw: the durable-rename loop a delivery cannot beat. */
static void b_raw(void *arg)
{
    b_job *j = (b_job *)arg;
    pl_dir *src = NULL, *dst = NULL;
    pl_file *f;
    char name[40];
    pl_i64 end = pl_time_mono_ms() + b_secs * 1000;
    int rc;

    rc = pl_dir_open(j->dir, "A", PL_DIR_CREATE, &src);
    if (rc == PL_OK)
        rc = pl_dir_open(j->dir, "B", PL_DIR_CREATE, &dst);
    while (rc == PL_OK && pl_time_mono_ms() < end) {
        sprintf(name, "S%ldM%ld.TMP", b_slice, j->done);
        rc = pl_file_create(src, name, &f);
        if (rc != PL_OK)
            break;
        rc = pl_file_write(f, b_body, B_MSG);
        if (rc == PL_OK)
            rc = pl_file_sync(f);
        if (pl_file_close(f) != PL_OK && rc == PL_OK)
            rc = PL_EIO;
        if (rc == PL_OK)
            rc = pl_file_rename(src, name, dst, name);
        if (rc == PL_OK)
            rc = pl_dir_sync(dst);
        if (rc == PL_OK)
            j->done++;
    }
    pl_dir_close(src);
    pl_dir_close(dst);
    j->rc = rc;
}

static void b_store(void *arg)
{
    b_job *j = (b_job *)arg;
    pl_i64 end = pl_time_mono_ms() + b_secs * 1000;
    st_dlv *d;
    int rc = PL_OK;

    while (rc == PL_OK && pl_time_mono_ms() < end) {
        rc = st_deliver_begin(j->st, "bench@example.org", &d);
        if (rc != PL_OK)
            break;
        rc = st_deliver_write(d, b_body, B_MSG);
        if (rc != PL_OK) {
            st_deliver_abort(d);
            break;
        }
        rc = st_deliver_commit(d, NULL);
        if (rc == PL_OK)
            j->done++;
    }
    j->rc = rc;
}

/* Run fn in n threads for b_secs; adds the operations and the elapsed
 * milliseconds to *ops and *ms. */
static void b_run(pl_thread_fn fn, int n, st_store *st, pl_dir *top,
                  const char *label, double *ops, double *ms)
{
    b_job jobs[B_THREADS];
    pl_thread *th[B_THREADS];
    char name[16];
    pl_i64 t0, t1;
    long total = 0;
    int k, rc;

    b_slice++;
    t0 = pl_time_mono_ms();
    for (k = 0; k < n; k++) {
        memset(&jobs[k], 0, sizeof jobs[k]);
        jobs[k].idx = k;
        jobs[k].st = st;
        if (top != NULL) {
            sprintf(name, "%s%d", label, k);
            rc = pl_dir_open(top, name, PL_DIR_CREATE, &jobs[k].dir);
            if (rc != PL_OK)
                b_die("raw dir", rc);
        }
        rc = pl_thread_start(fn, &jobs[k], 0, 0, &th[k]);
        if (rc != PL_OK)
            b_die("thread", rc);
    }
    for (k = 0; k < n; k++) {
        pl_thread_join(th[k]);
        pl_dir_close(jobs[k].dir);
        if (jobs[k].rc != PL_OK)
            b_die(label, jobs[k].rc);
        total += jobs[k].done;
    }
    t1 = pl_time_mono_ms();
    *ops += (double)total;
    *ms += (double)(t1 - t0);
}

/* ---- the big folder ------------------------------------------------ */

typedef struct b_out {
    char *buf;
    size_t len, cap;
} b_out;

static void b_line(b_out *o, pl_u32 n, const char *word)
{
    char line[96];
    int k = sprintf(line, "%lu %s\r\n", (unsigned long)n, word);

    if (o->len + (size_t)k > o->cap)
        o->len = 0;            /* a session would have sent it by now */
    memcpy(o->buf + o->len, line, (size_t)k);
    o->len += (size_t)k;
}

static double b_ms_since(pl_i64 t0)
{
    return (double)(pl_time_mono_ms() - t0);
}

static void b_big(const char *root, long n)
{
    st_store *st;
    st_mbox *mb;
    st_folder *f;
    pl_dir *rd, *dd, *ud, *fd;
    pl_file *fp;
    st_msginfo mi;
    char id[ST_NAME_BUF], name[80], dec[24];
    static const char small[] = "Subject: x\r\n\r\nbody\r\n";
    b_out o;
    pl_u32 k, c;
    pl_u64 oct;
    pl_i64 t0;
    double t_rebuild, t_sel, t_stat, t_list, t_uidl;
    long i;
    int rc, rep;

    rc = st_store_open(root, NULL, &st);
    if (rc != PL_OK)
        b_die("store", rc);
    /* The mailbox directories come from the store; the files are put in
     * with the documented names (store-format.md). */
    rc = st_mbox_open(st, "big@example.org", ST_OPEN_CREATE, &mb);
    if (rc == PL_OK)
        rc = st_folder_select(mb, ST_MAIL, &f);
    if (rc != PL_OK)
        b_die("big mailbox", rc);
    st_folder_close(f);
    rc = pl_dir_open_root(root, 0, &rd);
    if (rc == PL_OK)
        rc = pl_dir_open(rd, "EXAMPLE_DORG", 0, &dd);
    if (rc == PL_OK)
        rc = pl_dir_open(dd, "BIG", 0, &ud);
    if (rc == PL_OK)
        rc = pl_dir_open(ud, ST_MAIL, 0, &fd);
    if (rc != PL_OK)
        b_die("big folder", rc);
    t0 = pl_time_mono_ms();
    for (i = 0; i < n; i++) {
        rc = st_name_new_id(st, id);
        if (rc != PL_OK)
            b_die("id", rc);
        sprintf(name, "%s.%d_3", id, (int)sizeof small - 1);
        rc = pl_file_create(fd, name, &fp);
        if (rc == PL_OK)
            rc = pl_file_write(fp, small, sizeof small - 1);
        if (pl_file_close(fp) != PL_OK && rc == PL_OK)
            rc = PL_EIO;
        if (rc != PL_OK)
            b_die("big file", rc);
    }
    fprintf(stderr, "st_bench: created %ld files in %.0f ms\n", n,
            b_ms_since(t0));
    pl_dir_close(fd);
    pl_dir_close(ud);
    pl_dir_close(dd);
    pl_dir_close(rd);

    t0 = pl_time_mono_ms();
    rc = st_folder_select(mb, ST_MAIL, &f);
    t_rebuild = b_ms_since(t0);
    if (rc != PL_OK || st_folder_count(f) != (pl_u32)n)
        b_die("select (rebuild)", rc != PL_OK ? rc : PL_EIO);
    st_folder_close(f);
    t0 = pl_time_mono_ms();
    for (rep = 0; rep < 5; rep++) {
        rc = st_folder_select(mb, ST_MAIL, &f);
        if (rc != PL_OK)
            b_die("select", rc);
        if (rep < 4)
            st_folder_close(f);
    }
    t_sel = b_ms_since(t0) / 5.0;
    o.cap = 65536;
    o.len = 0;
    o.buf = (char *)malloc(o.cap);
    if (o.buf == NULL)
        b_die("memory", PL_ENOMEM);
    t0 = pl_time_mono_ms();
    for (rep = 0; rep < 100; rep++)
        st_folder_totals(f, &c, &oct);
    t_stat = b_ms_since(t0) / 100.0;
    t0 = pl_time_mono_ms();
    for (rep = 0; rep < 5; rep++)
        for (k = 0; k < st_folder_count(f); k++) {
            st_folder_info(f, k, &mi);
            dec[ut_u64_to_dec(dec, mi.size)] = '\0';
            b_line(&o, k + 1, dec);
        }
    t_list = b_ms_since(t0) / 5.0;
    t0 = pl_time_mono_ms();
    for (rep = 0; rep < 5; rep++)
        for (k = 0; k < st_folder_count(f); k++) {
            st_folder_info(f, k, &mi);
            b_line(&o, k + 1, mi.id);
        }
    t_uidl = b_ms_since(t0) / 5.0;
    st_folder_close(f);
    st_mbox_close(mb);
    st_store_close(st);
    free(o.buf);
    printf("| first select of %ld messages (index rebuilt from names) "
           "| %.1f ms |\n", n, t_rebuild);
    printf("| select (index loaded, reconciled with the directory) "
           "| %.1f ms |\n", t_sel);
    printf("| STAT after select | %.3f ms |\n", t_stat);
    printf("| LIST, all %ld lines formatted | %.1f ms |\n", n, t_list);
    printf("| UIDL, all %ld lines formatted | %.1f ms |\n", n, t_uidl);
    printf("| POP3 login to STAT total (select + STAT) | %.1f ms |\n",
           t_sel + t_stat);
}

int main(int argc, char **argv)
{
    pl_dir *top;
    st_store *st;
    double raw1, raw16, st1, st16, ops[4], ms[4];
    long n, s, secs;
    int rc;

    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: st_bench DIR [SECONDS [N]]\n");
        return 2;
    }
    b_root = argv[1];
    secs = argc > 2 ? atol(argv[2]) : 5;
    b_secs = 1;
    n = argc > 3 ? atol(argv[3]) : 100000L;
    if (secs < 1 || secs > 600 || n < 1 || n > 2000000L) {
        fprintf(stderr, "st_bench: SECONDS 1..600, N 1..2000000\n");
        return 2;
    }
    rc = pl_init();
    if (rc != PL_OK)
        b_die("init", rc);
    b_make_body();
    rc = pl_dir_open_root(b_root, PL_DIR_CREATE, &top);
    if (rc != PL_OK)
        b_die(b_root, rc);
    rc = st_store_open(b_root, NULL, &st);
    if (rc != PL_OK)
        b_die("store", rc);
    /* Interleaved one-second slices, so that a disk shared with other
     * work drifts the same way under every test. */
    memset(ops, 0, sizeof ops);
    memset(ms, 0, sizeof ms);
    for (s = 0; s < secs; s++) {
        b_run(b_raw, 1, NULL, top, "RAW", &ops[0], &ms[0]);
        b_run(b_store, 1, st, NULL, "store x1", &ops[2], &ms[2]);
        b_run(b_raw, B_THREADS, NULL, top, "RAWM", &ops[1], &ms[1]);
        b_run(b_store, B_THREADS, st, NULL, "store x16", &ops[3], &ms[3]);
    }
    raw1 = ops[0] * 1000.0 / ms[0];
    raw16 = ops[1] * 1000.0 / ms[1];
    st1 = ops[2] * 1000.0 / ms[2];
    st16 = ops[3] * 1000.0 / ms[3];
    st_store_close(st);
    pl_dir_close(top);
    printf("| test (4 KiB messages, %ld s each) | per second | ratio |\n",
           secs);
    printf("|---|---|---|\n");
    printf("| disk limit, 1 thread (write+fsync+rename+dir fsync) "
           "| %.0f | 1.00 |\n", raw1);
    printf("| disk limit, 16 threads | %.0f | %.2f |\n", raw16,
           raw16 / raw1);
    printf("| store deliveries, 1 writer | %.0f | %.2f of 1-thread limit |\n",
           st1, st1 / raw1);
    printf("| store deliveries, 16 writers, one mailbox | %.0f | %.2f of "
           "16-thread limit |\n", st16, st16 / raw16);
    printf("\n| folder of %ld messages | time |\n|---|---|\n", n);
    b_big(b_root, n);
    return 0;
}
