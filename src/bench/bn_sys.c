/*
 * bn_sys.c - newmail-bench's measures of the machine itself, run beside
 * the servers so that their figures can be read as fractions of what the
 * disk and the loopback network allow:
 *
 * disk: the loop no crash-safe delivery can beat: create a file, write
 *   --size octets, fsync, close, rename it into a second directory, fsync
 *   that directory (the store's commit and Postfix's queue and Maildir
 *   writes do the same or more).  Session k works in its own pair of
 *   directories BKT / BKD under --dir; the files are removed after the
 *   measured phase (and before it, if a killed run left some).
 * tcp: --sessions loopback connections to a listener of this process on
 *   --host, each sending --size octet blocks (--messages blocks in all);
 *   the phase ends when the receivers have read every octet.
 *
 * Limits: --messages jobs, --max-seconds, every socket read or write
 * within --timeout; file names F<job> in directories of this program.
 * Privilege: runs as any user; writes only under --dir; loopback only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bn.h"
#include "ut_str.h"

#define BN_TCP_READ 65536        /* receiver's read size */
#define BN_NAME_LEN 48           /* a file or directory name we make */

/* ---- disk ---- */

typedef struct disk_dirs {
    pl_dir *tmp, *dst;
} disk_dirs;

typedef struct names {
    char (*v)[BN_NAME_LEN];
    size_t n, cap;
    int rc;
} names;

static int collect(void *ctx, const char *name, int kind)
{
    names *nm = (names *)ctx;
    void *p;

    if (kind != PL_ENT_FILE)
        return 0;
    if (nm->n == nm->cap) {
        nm->cap = nm->cap == 0 ? 256 : nm->cap * 2;
        p = realloc(nm->v, nm->cap * sizeof nm->v[0]);
        if (p == NULL) {
            nm->rc = PL_ENOMEM;
            return 1;
        }
        nm->v = (char (*)[BN_NAME_LEN])p;
    }
    if (ut_strlcpy(nm->v[nm->n], name, BN_NAME_LEN) == PL_OK)
        nm->n++;
    return 0;
}

/* Remove every file of d: listed first, removed after, because removing
 * during a listing is not portable. */
static int empty_dir(pl_dir *d)
{
    names nm;
    size_t i;
    int rc;

    memset(&nm, 0, sizeof nm);
    rc = pl_dir_list(d, collect, &nm);
    if (rc == PL_OK)
        rc = nm.rc;
    for (i = 0; rc == PL_OK && i < nm.n; i++)
        rc = pl_file_remove(d, nm.v[i]);
    free(nm.v);
    return rc;
}

static void dir_name(char *buf, int k, const char *suffix)
{
    char num[24];

    num[ut_u64_to_dec(num, (pl_u64)k)] = '\0';
    sprintf(buf, "BN%s%s", num, suffix);
}

/* Open (creating) session k's two directories, emptied. */
static int disk_open(pl_dir *root, int k, disk_dirs *dd)
{
    char name[BN_NAME_LEN];
    int rc;

    dir_name(name, k, "T");
    rc = pl_dir_open(root, name, PL_DIR_CREATE, &dd->tmp);
    if (rc == PL_OK) {
        dir_name(name, k, "D");
        rc = pl_dir_open(root, name, PL_DIR_CREATE, &dd->dst);
    }
    if (rc == PL_OK)
        rc = empty_dir(dd->tmp);
    if (rc == PL_OK)
        rc = empty_dir(dd->dst);
    return rc;
}

static void disk_close(pl_dir *root, int k, disk_dirs *dd)
{
    char name[BN_NAME_LEN];

    if (dd->tmp != NULL && empty_dir(dd->tmp) == PL_OK) {
        pl_dir_close(dd->tmp);
        dir_name(name, k, "T");
        (void)pl_dir_remove(root, name);
    } else
        pl_dir_close(dd->tmp);
    if (dd->dst != NULL && empty_dir(dd->dst) == PL_OK) {
        pl_dir_close(dd->dst);
        dir_name(name, k, "D");
        (void)pl_dir_remove(root, name);
    } else
        pl_dir_close(dd->dst);
}

/* One durable file: the steps of a store commit, no more. */
static int disk_one(disk_dirs *dd, const char *name, const char *buf,
                    size_t n)
{
    pl_file *f;
    int rc, rc2;

    rc = pl_file_create(dd->tmp, name, &f);
    if (rc != PL_OK)
        return rc;
    rc = pl_file_write(f, buf, n);
    if (rc == PL_OK)
        rc = pl_file_sync(f);
    rc2 = pl_file_close(f);
    if (rc == PL_OK)
        rc = rc2;
    if (rc == PL_OK)
        rc = pl_file_rename(dd->tmp, name, dd->dst, name);
    if (rc == PL_OK)
        rc = pl_dir_sync(dd->dst);
    return rc;
}

static void disk_session(void *arg)
{
    bn_worker *w = (bn_worker *)arg;
    bn_shared *sh = w->sh;
    disk_dirs *dd = (disk_dirs *)w->ext;
    char name[BN_NAME_LEN];
    pl_u64 job;
    pl_i64 t0;
    int rc;

    while (bn_take_job(sh, &job)) {
        name[0] = 'F';
        name[ut_u64_to_dec(name + 1, job) + 1] = '\0';
        t0 = bn_now_us();
        rc = disk_one(dd, name, sh->msg, sh->msg_len);
        if (rc != PL_OK) {
            bn_set_err(w, "write/fsync/rename", rc, name);
            w->errors++;
            return;
        }
        sh->r->lat_us[job] = bn_lat_since(t0);
        w->done++;
        w->bytes += sh->msg_len;
    }
}

int bn_run_disk(const bn_opts *o, bn_result *r)
{
    bn_shared sh;
    bn_worker *ws = NULL;
    disk_dirs *dd;
    pl_dir *root = NULL;
    char *buf;
    int rc, k;

    rc = bn_setup(o, r, &sh, &ws, 0);
    dd = (disk_dirs *)calloc((size_t)o->sessions, sizeof *dd);
    buf = (char *)malloc(o->size);
    if (rc == PL_OK && (dd == NULL || buf == NULL))
        rc = PL_ENOMEM;
    if (rc == PL_OK) {
        memset(buf, 'x', o->size);
        sh.msg = buf;
        sh.msg_len = o->size;
        rc = pl_dir_open_root(o->dir, PL_DIR_CREATE, &root);
        if (rc != PL_OK)
            sprintf(r->first_error, "--dir: %.60s", pl_strerror(rc));
    }
    for (k = 0; rc == PL_OK && k < o->sessions; k++) {
        rc = disk_open(root, k, &dd[k]);
        ws[k].ext = &dd[k];
        if (rc != PL_OK)
            sprintf(r->first_error, "--dir: session directories: %.60s",
                    pl_strerror(rc));
    }
    if (rc == PL_OK)
        rc = bn_run_workers(&sh, ws, o->sessions, disk_session);
    for (k = 0; root != NULL && dd != NULL && k < o->sessions; k++)
        disk_close(root, k, &dd[k]);
    pl_dir_close(root);
    free(dd);
    free(buf);
    bn_teardown(&sh, ws);
    return rc;
}

/* ---- tcp ---- */

typedef struct tcp_rx {
    pl_sock *s;
    pl_i32 io_ms;
    pl_u64 got;
    int rc;
    pl_thread *th;
} tcp_rx;

typedef struct tcp_state {
    pl_sock *lsn;
    char port[16];
    int n;                   /* connections to accept */
    pl_i32 io_ms;
    tcp_rx *rx;
    int accepted;
    int rc;
} tcp_state;

static void tcp_receive(void *arg)
{
    tcp_rx *x = (tcp_rx *)arg;
    char *buf = (char *)malloc(BN_TCP_READ);
    size_t got;

    if (buf == NULL) {
        x->rc = PL_ENOMEM;
        return;
    }
    for (;;) {
        x->rc = pl_sock_read(x->s, buf, BN_TCP_READ, x->io_ms, &got);
        if (x->rc != PL_OK)
            break;
        x->got += got;
    }
    if (x->rc == PL_EOF)
        x->rc = PL_OK;
    free(buf);
}

/* Accept the senders' connections one by one (each within the I/O
 * timeout), a receiving thread for each, then wait for them all. */
static void tcp_acceptor(void *arg)
{
    tcp_state *ts = (tcp_state *)arg;
    int i, which;

    for (i = 0; i < ts->n; i++) {
        ts->rx[i].io_ms = ts->io_ms;
        ts->rc = pl_sock_accept(&ts->lsn, 1, ts->io_ms, &ts->rx[i].s,
                                &which);
        if (ts->rc != PL_OK)
            break;
        ts->rc = pl_thread_start(tcp_receive, &ts->rx[i], 256 * 1024, 0,
                                 &ts->rx[i].th);
        if (ts->rc != PL_OK) {
            pl_sock_close(ts->rx[i].s);
            break;
        }
        ts->accepted++;
    }
    for (i = 0; i < ts->accepted; i++) {
        pl_thread_join(ts->rx[i].th);
        pl_sock_close(ts->rx[i].s);
        if (ts->rc == PL_OK)
            ts->rc = ts->rx[i].rc;
    }
}

static void tcp_session(void *arg)
{
    bn_worker *w = (bn_worker *)arg;
    bn_shared *sh = w->sh;
    tcp_state *ts = (tcp_state *)sh->ext;
    bn_opts one = *sh->o;
    bn_conn *c = NULL;
    pl_u64 job;
    pl_i64 t0;
    int rc;

    one.port = ts->port;
    rc = bn_conn_open(&one, NULL, &c);
    if (rc != PL_OK) {
        bn_set_err(w, "connect", rc, NULL);
        w->errors++;
        return;
    }
    while (bn_take_job(sh, &job)) {
        t0 = bn_now_us();
        rc = bn_conn_write(c, sh->msg, sh->msg_len);
        if (rc != PL_OK) {
            bn_set_err(w, "write", rc, NULL);
            w->errors++;
            break;
        }
        sh->r->lat_us[job] = bn_lat_since(t0);
        w->done++;
    }
    bn_conn_close(c);
}

/* Listen on HOST:0 and learn the port the system chose. */
static int tcp_listen(const bn_opts *o, tcp_state *ts)
{
    char spec[80], addr[64];
    int port, rc;

    sprintf(spec, strchr(o->host, ':') != NULL ? "[%.60s]:0" : "%.60s:0",
            o->host);
    rc = pl_sock_listen(spec, o->sessions + 16, &ts->lsn);
    if (rc == PL_OK)
        rc = pl_sock_local(ts->lsn, addr, sizeof addr, &port);
    if (rc == PL_OK)
        ts->port[ut_u64_to_dec(ts->port, (pl_u64)port)] = '\0';
    return rc;
}

/* Octets moved are those the receivers read; they must be all that
 * was written, else the run failed. */
static void tcp_check(const tcp_state *ts, bn_result *r, size_t size)
{
    pl_u64 got = 0;
    int i;

    for (i = 0; i < ts->accepted; i++)
        got += ts->rx[i].got;
    r->bytes = got;
    if (ts->rc != PL_OK || ts->accepted != ts->n
        || got != r->done * (pl_u64)size) {
        r->errors++;
        if (r->first_error[0] == '\0')
            sprintf(r->first_error, "receivers: %.60s, %d of %d accepted,"
                    " octets short", pl_strerror(ts->rc), ts->accepted,
                    ts->n);
    }
}

int bn_run_tcp(const bn_opts *o, bn_result *r)
{
    bn_shared sh;
    bn_worker *ws = NULL;
    tcp_state ts;
    pl_thread *acc = NULL;
    char *buf;
    pl_i64 t0;
    int rc;

    memset(&ts, 0, sizeof ts);
    rc = bn_setup(o, r, &sh, &ws, 0);
    ts.n = o->sessions;
    ts.io_ms = o->io_ms;
    ts.rx = (tcp_rx *)calloc((size_t)o->sessions, sizeof *ts.rx);
    buf = (char *)malloc(o->size);
    if (rc == PL_OK && (ts.rx == NULL || buf == NULL))
        rc = PL_ENOMEM;
    if (rc == PL_OK) {
        memset(buf, 'x', o->size);
        sh.msg = buf;
        sh.msg_len = o->size;
        sh.ext = &ts;
        rc = tcp_listen(o, &ts);
        if (rc != PL_OK)
            sprintf(r->first_error, "listen: %.60s", pl_strerror(rc));
    }
    t0 = pl_time_mono_ms();
    if (rc == PL_OK)
        rc = pl_thread_start(tcp_acceptor, &ts, 256 * 1024, 0, &acc);
    if (rc == PL_OK) {
        rc = bn_run_workers(&sh, ws, o->sessions, tcp_session);
        pl_thread_join(acc);
        /* The phase ends when the last octet was read, not written. */
        r->elapsed_ms = pl_time_mono_ms() - t0;
        tcp_check(&ts, r, o->size);
    }
    pl_sock_close(ts.lsn);
    free(ts.rx);
    free(buf);
    bn_teardown(&sh, ws);
    return rc;
}
