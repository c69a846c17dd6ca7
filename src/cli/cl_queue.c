/*
 * cl_queue.c - `newmail queue list|show|flush|delete|hold|release`: the
 * administrator's view of the outbound queue (qu.h), and `mailq`.
 *
 * Every change to an entry is made under its lock (qu_lock), so a command
 * never races a delivery in progress: it waits CL_Q_LOCK_MS, then gives
 * up politely with exit 75.  A damaged entry is shown as damaged, never
 * changed except by delete, and never removed by anything else.
 * Exit codes (sysexits): 0 done (also for an empty queue, or no store
 * yet); 64 usage; 65 not a queue id, or the entry is damaged; 66 no such
 * entry; 74 I/O error; 75 locked by a running delivery; 77 not allowed
 * (run it as the service account); 78 configuration.  Text from the
 * queue is escaped for the terminal (attack C8).  With several ids every one is tried; the first failure's
 * code is returned.
 * Limits: ids are QU_ID_LEN characters; listing holds every id (17 bytes
 * each) in memory to sort them.
 * Privilege: the caller's; root becomes service.user first, so that what
 * it rewrites stays the service account's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cl.h"
#include "qu.h"
#include "ut_str.h"
#include "ut_date.h"
#include "ut_log.h"

/* How long a change waits for an entry's lock: enough to ride over the
 * runner's short look at it, much less than a delivery takes. */
#define CL_Q_LOCK_MS 2000
#define CL_Q_REPLY_MAX 512
#define CL_Q_WHY_MAX 256

#define LIST_USAGE "[-C FILE]"
#define SHOW_USAGE "[--message] ID"
#define FLUSH_USAGE "[ID...]"
#define DEL_USAGE "ID... | --all"
#define HOLD_USAGE "ID..."

/* What every subcommand opens. */
typedef struct clq {
    const cl_ctx *ctx;
    cf_config *cf;
    pl_dir *root;
    qu_queue *q;
    const char *spec;
} clq;

static void clq_close(clq *c)
{
    qu_close(c->q);
    pl_dir_close(c->root);
    cf_free(c->cf);
    memset(c, 0, sizeof *c);
}

/* Root becomes service.user first (as `serve` and `sendmail` do): an
 * envelope or lock file rewritten by root would be closed to the
 * server.  Anyone else keeps their identity. */
static int clq_identity(const cl_ctx *ctx, cf_config *cf)
{
    const char *user = cf_str(cf, "service.user");
    pl_privsave save;
    int rc;

    if (user[0] == '\0' || pl_priv_raise(PL_PRIV_IMPERS, &save) != PL_OK)
        return CL_EX_OK;
    (void)pl_priv_restore(&save);
    rc = pl_become_service(user);
    if (rc == PL_OK)
        return CL_EX_OK;
    cl_error(ctx, "cannot become service.user %s: %s", user,
             pl_strerror(rc));
    return rc == PL_ENOENT || rc == PL_EINVAL ? CL_EX_CONFIG
                                              : CL_EX_TEMPFAIL;
}

/* Load the configuration and open the queue.  *none is set (and
 * CL_EX_UNAVAILABLE returned quietly) when the store does not exist. */
static int clq_open(const cl_ctx *ctx, clq *c, int *none)
{
    const char *used;
    char nat[128];
    int code, rc;

    memset(c, 0, sizeof *c);
    c->ctx = ctx;
    *none = 0;
    code = cl_load_config(ctx, NULL, &c->cf, &used);
    if (code != CL_EX_OK)
        return code;
    c->spec = cf_str(c->cf, "store.root");
    if (c->spec[0] == '\0') {
        cl_error(ctx, "store.root is not set in the configuration");
        clq_close(c);
        return CL_EX_CONFIG;
    }
    code = clq_identity(ctx, c->cf);
    if (code != CL_EX_OK) {
        clq_close(c);
        return code;
    }
    rc = pl_dir_open_root(c->spec, 0, &c->root);
    if (rc == PL_OK)
        rc = qu_open(c->root, &c->q);
    if (rc == PL_OK)
        return CL_EX_OK;
    pl_last_native(nat, sizeof nat);
    if (rc == PL_ENOENT && c->root == NULL) {
        *none = 1;
        cf_free(c->cf);
        c->cf = NULL;
        return CL_EX_UNAVAILABLE;
    }
    cl_error(ctx, "cannot open the queue of %s: %s (%s)", c->spec,
             pl_strerror(rc), nat);
    code = rc == PL_EACCES ? CL_EX_NOPERM : CL_EX_IOERR;
    clq_close(c);
    return code;
}

/* Copy an id given on the command line, upper-cased; 0 if it is not
 * one (reported). */
static int clq_id(const cl_ctx *ctx, const char *arg, char *id)
{
    size_t i, n = strlen(arg);

    if (n != QU_ID_LEN) {
        cl_error(ctx, "'%s' is not a queue id (%d letters and digits)",
                 arg, QU_ID_LEN);
        return 0;
    }
    for (i = 0; i < n; i++)
        id[i] = (char)ut_toupper((unsigned char)arg[i]);
    id[n] = '\0';
    if (!qu_id_check(id)) {
        cl_error(ctx, "'%s' is not a queue id (%d letters and digits)",
                 arg, QU_ID_LEN);
        return 0;
    }
    return 1;
}

/* Check every id argument before anything is opened or changed. */
static int clq_check_ids(const cl_ctx *ctx, int argc, char **argv,
                         int first, const char *path, const char *usage)
{
    char id[QU_ID_LEN + 1];
    int i;

    for (i = first; i < argc; i++) {
        if (argv[i][0] == '-')
            return cl_usage_error(ctx, path, usage, "unknown option",
                                  argv[i]);
        if (!clq_id(ctx, argv[i], id))
            return CL_EX_DATAERR;
    }
    return CL_EX_OK;
}

/* Text from the envelope made safe for a terminal: printable ASCII and
 * well-formed UTF-8 pass; C0 and C1 controls, DEL, a backslash and any
 * other byte become \xNN, so no escape sequence reaches the screen.
 * buf holds CLQ_SAFE_MAX bytes (four per octet of the longest value). */
#define CLQ_SAFE_MAX (4 * QU_STATUS_MAX + 1)

/* Octets of the well-formed, non-C1 UTF-8 sequence at p, else 0. */
static size_t clq_utf8(const unsigned char *p)
{
    pl_u32 cp;
    size_t n, i;

    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        n = 2;
        cp = p[0] & 0x1Fu;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        n = 3;
        cp = p[0] & 0x0Fu;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        n = 4;
        cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || cp <= 0x9F)
        return 0;                        /* overlong, surrogate, C1 */
    return n;
}

static const char *clq_safe(const char *s, char *buf)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0, k;

    while (*p != '\0' && o + 5 < CLQ_SAFE_MAX) {
        k = *p >= 0x80 ? clq_utf8(p) : 0;
        if (k > 0) {
            memcpy(buf + o, p, k);
            o += k;
            p += k;
        } else if (*p >= 0x20 && *p < 0x7F && *p != '\\') {
            buf[o++] = (char)*p++;
        } else {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[*p >> 4];
            buf[o++] = hex[*p++ & 0x0F];
        }
    }
    buf[o] = '\0';
    return buf;
}

static void clq_time(pl_i64 t, char *buf, size_t n)
{
    ut_tm tm;

    ut_date_split(t, 0, &tm);
    snprintf(buf, n, "%04d-%02d-%02d %02d:%02d:%02d", tm.year, tm.month,
             tm.day, tm.hour, tm.min, tm.sec);
}

/* ---- the sorted list of ids ---------------------------------------------- */

typedef struct clq_ids {
    char (*v)[QU_ID_LEN + 1];
    size_t n, cap;
} clq_ids;

static int clq_ids_cb(void *ctx, const char *id)
{
    clq_ids *l = (clq_ids *)ctx;

    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        char (*nv)[QU_ID_LEN + 1] = (char (*)[QU_ID_LEN + 1])
            realloc(l->v, ncap * (QU_ID_LEN + 1));
        if (nv == NULL)
            return PL_ENOMEM;
        l->v = nv;
        l->cap = ncap;
    }
    memcpy(l->v[l->n++], id, QU_ID_LEN + 1);
    return 0;
}

static int clq_idcmp(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* Every entry's id in arrival order (ids begin with the time). */
static int clq_all(clq *c, clq_ids *l)
{
    int rc;

    memset(l, 0, sizeof *l);
    rc = qu_list(c->q, clq_ids_cb, l);
    if (rc != PL_OK) {
        cl_error(c->ctx, "cannot list the queue of %s: %s", c->spec,
                 pl_strerror(rc));
        free(l->v);
        l->v = NULL;
        l->n = 0;
        return rc == PL_EACCES ? CL_EX_NOPERM : CL_EX_IOERR;
    }
    if (l->n > 1)
        qsort(l->v, l->n, QU_ID_LEN + 1, clq_idcmp);
    return CL_EX_OK;
}

/* ---- list ------------------------------------------------------------------ */

typedef struct clq_sum {
    size_t entries, held, damaged;
    pl_u64 octets;
} clq_sum;

static void clq_list_one(clq *c, const char *id, clq_sum *sum)
{
    char why[CL_Q_WHY_MAX], when[24], size[24], sb[CLQ_SAFE_MAX];
    qu_env *e = NULL;
    int i, done = 0, rc = qu_env_load(c->q, id, &e, why, sizeof why);

    sum->entries++;
    if (rc == PL_ENOENT) {                /* delivered meanwhile */
        sum->entries--;
        return;
    }
    if (rc != PL_OK) {
        sum->damaged++;
        printf("%s  %8s  %-19s  (damaged: %s)\n", id, "-", "-",
               rc == PL_EINVAL ? clq_safe(why, sb) : pl_strerror(rc));
        return;
    }
    sum->octets += e->size;
    if (e->hold)
        sum->held++;
    ut_u64_to_dec(size, e->size);
    clq_time(e->created, when, sizeof when);
    printf("%s  %8s  %s  <%s>%s\n", id, size, when, clq_safe(e->from, sb),
           e->hold ? " (held)" : "");
    for (i = 0; i < e->nrcpt; i++) {
        const qu_rcpt *r = &e->rcpt[i];

        if (r->state != QU_R_PENDING) {
            done++;
            continue;
        }
        printf("    <%s>\n", clq_safe(r->addr, sb));
        if (r->status[0] != '\0')
            printf("        (%s)\n", clq_safe(r->status, sb));
    }
    if (done > 0)
        printf("    (%d recipient%s done)\n", done, done == 1 ? "" : "s");
    qu_env_free(e);
}

static int list_run(cl_ctx *ctx, int argc, char **argv)
{
    char total[24];
    clq c;
    clq_ids l;
    clq_sum sum;
    const char *file = NULL;
    size_t i;
    int code, none, k = 1;

    /* -C FILE: the configuration, as sendmail's mailq takes it. */
    if (k < argc && cl_opt(argc, argv, &k, "-C", &file) < 0)
        return cl_usage_error(ctx, "newmail queue list", LIST_USAGE,
                              "option -C needs a file name", NULL);
    if (k < argc)
        return cl_usage_error(ctx, "newmail queue list", LIST_USAGE,
                              argv[k][0] == '-' ? "unknown option"
                              : "unexpected argument", argv[k]);
    if (file != NULL)
        ctx->config = file;
    code = clq_open(ctx, &c, &none);
    if (none) {
        printf("Mail queue is empty\n");
        return CL_EX_OK;
    }
    if (code != CL_EX_OK)
        return code;
    code = clq_all(&c, &l);
    if (code == CL_EX_OK && l.n == 0)
        printf("Mail queue is empty\n");
    else if (code == CL_EX_OK) {
        memset(&sum, 0, sizeof sum);
        printf("%-16s  %8s  %-19s  %s\n", "Queue ID", "Size",
               "Arrival (UTC)", "Sender / pending recipients");
        for (i = 0; i < l.n; i++)
            clq_list_one(&c, l.v[i], &sum);
        ut_u64_to_dec(total, sum.octets);
        printf("-- %u entr%s, %s octets, %u held, %u damaged\n",
               (unsigned)sum.entries, sum.entries == 1 ? "y" : "ies",
               total, (unsigned)sum.held, (unsigned)sum.damaged);
    }
    free(l.v);
    clq_close(&c);
    if (code == CL_EX_OK && fflush(stdout) != 0)
        code = CL_EX_IOERR;
    return code;
}

/* ---- show ------------------------------------------------------------------- */

static const char *clq_ret(int v)
{
    return v == QU_RET_FULL ? "FULL" : v == QU_RET_HDRS ? "HDRS"
                                     : "(not given)";
}

static const char *clq_body(int v)
{
    return v == QU_BODY_7BIT ? "7BIT" : v == QU_BODY_8BIT ? "8BITMIME"
                                      : "(not given)";
}

static void clq_show_rcpt(int k, const qu_rcpt *r)
{
    char nt[32], when[24], sb[CLQ_SAFE_MAX];

    qu_notify_text(r->notify, nt, sizeof nt);
    printf("  %d. <%s>\n", k, clq_safe(r->addr, sb));
    printf("     State:    %s, %d attempt%s%s\n", qu_state_name(r->state),
           r->attempts, r->attempts == 1 ? "" : "s",
           r->warned ? ", delay notice sent" : "");
    if (r->last_try != 0) {
        clq_time(r->last_try, when, sizeof when);
        printf("     Last try: %s UTC\n", when);
    }
    if (r->status[0] != '\0')
        printf("     Status:   %s\n", clq_safe(r->status, sb));
    if (r->remote[0] != '\0')
        printf("     Remote:   %s\n", clq_safe(r->remote, sb));
    printf("     NOTIFY:   %s\n", nt[0] != '\0' ? nt : "(not given)");
    if (r->orcpt[0] != '\0')
        printf("     ORCPT:    %s\n", clq_safe(r->orcpt, sb));
}

static void clq_show_env(const qu_env *e)
{
    char when[24], num[24], sb[CLQ_SAFE_MAX];
    int i;

    clq_time(e->created, when, sizeof when);
    ut_u64_to_dec(num, e->size);
    printf("Queue ID:     %s\n", e->id);
    printf("Kind:         %s\n", qu_kind_name(e->kind));
    printf("Arrival:      %s UTC\n", when);
    printf("Sender:       <%s>\n", clq_safe(e->from, sb));
    printf("Origin:       %s\n", clq_safe(e->origin, sb));
    printf("Size:         %s octets\n", num);
    if (e->next_try == 0) {
        printf("Next try:     %s\n", e->hold ? "(held)" : "now");
    } else {
        clq_time(e->next_try, when, sizeof when);
        printf("Next try:     %s UTC%s\n", when, e->hold ? " (held)" : "");
    }
    printf("Held:         %s\n", e->hold ? "yes" : "no");
    printf("ENVID:        %s\n", e->envid[0] ? clq_safe(e->envid, sb)
                                                : "(not given)");
    printf("RET:          %s\n", clq_ret(e->ret));
    printf("BODY:         %s\n", clq_body(e->body));
    printf("SMTPUTF8:     %s\n", e->smtputf8 ? "yes" : "no");
    printf("Recipients:   %d\n", e->nrcpt);
    for (i = 0; i < e->nrcpt; i++)
        clq_show_rcpt(i + 1, &e->rcpt[i]);
}

/* A damaged envelope is printed as stored, control characters escaped,
 * so the administrator sees what is there. */
typedef struct clq_raw {
    char line[1024];
    size_t n;
} clq_raw;

static void clq_raw_line(clq_raw *r)
{
    char esc[4200];

    ut_log_escape(r->line, r->n, esc, sizeof esc);
    printf("  | %s\n", esc);
    r->n = 0;
}

static int clq_raw_out(void *ctx, const void *buf, size_t n)
{
    clq_raw *r = (clq_raw *)ctx;
    const char *p = (const char *)buf;
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] == '\n' || r->n == sizeof r->line)
            clq_raw_line(r);
        if (p[i] != '\n')
            r->line[r->n++] = p[i];
    }
    return 0;
}

/* Print message octets for a terminal: text, LF, TAB and UTF-8 as they
 * are, CRLF as LF, anything else as \xNN.  Returns the octets used: a
 * CR or a UTF-8 sequence cut at the end waits for more unless final. */
static size_t clq_msg_put(const unsigned char *p, size_t n, int final)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0, need, k;

    while (i < n) {
        unsigned char c = p[i];

        if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7F)) {
            putchar(c);
            i++;
            continue;
        }
        need = c == '\r' ? 2 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (i + need > n && !final && (c == '\r' || c >= 0x80))
            break;
        if (c == '\r' && i + 1 < n && p[i + 1] == '\n') {
            i++;                          /* the LF prints the line end */
            continue;
        }
        k = c >= 0x80 && i + need <= n ? clq_utf8(p + i) : 0;
        if (k > 0) {
            fwrite(p + i, 1, k, stdout);
            i += k;
            continue;
        }
        printf("\\x%c%c", hex[c >> 4], hex[c & 0x0F]);
        i++;
    }
    return i;
}

static int clq_show_msg(clq *c, const char *id)
{
    unsigned char buf[8192];
    pl_file *f = NULL;
    size_t got, have = 0, used;
    int rc = qu_msg_open(c->q, id, &f);

    printf("\n");
    while (rc == PL_OK) {
        rc = pl_file_read(f, buf + have, sizeof buf - have, &got);
        if (rc != PL_OK)
            break;
        have += got;
        used = clq_msg_put(buf, have, got == 0);
        memmove(buf, buf + used, have - used);
        have -= used;
        if (got == 0)
            break;
    }
    pl_file_close(f);
    if (rc == PL_OK && ferror(stdout))
        rc = PL_EIO;
    if (rc != PL_OK) {
        cl_error(c->ctx, "%s: cannot read the message: %s", id,
                 pl_strerror(rc));
        return rc == PL_ENOENT ? CL_EX_NOINPUT : CL_EX_IOERR;
    }
    return CL_EX_OK;
}

static int show_run(cl_ctx *ctx, int argc, char **argv)
{
    char id[QU_ID_LEN + 1], why[CL_Q_WHY_MAX], sb[CLQ_SAFE_MAX];
    const char *arg = NULL;
    qu_env *e = NULL;
    clq_raw raw;
    clq c;
    int i, code, none, msg = 0, rc;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--message") == 0)
            msg = 1;
        else if (argv[i][0] == '-')
            return cl_usage_error(ctx, "newmail queue show", SHOW_USAGE,
                                  "unknown option", argv[i]);
        else if (arg != NULL)
            return cl_usage_error(ctx, "newmail queue show", SHOW_USAGE,
                                  "unexpected argument", argv[i]);
        else
            arg = argv[i];
    }
    if (arg == NULL)
        return cl_usage_error(ctx, "newmail queue show", SHOW_USAGE,
                              "missing queue id", NULL);
    if (!clq_id(ctx, arg, id))
        return CL_EX_DATAERR;
    code = clq_open(ctx, &c, &none);
    if (none) {
        cl_error(ctx, "%s: no such queue entry", id);
        return CL_EX_NOINPUT;
    }
    if (code != CL_EX_OK)
        return code;
    rc = qu_env_load(c.q, id, &e, why, sizeof why);
    if (rc == PL_OK) {
        clq_show_env(e);
        qu_env_free(e);
        if (msg)
            code = clq_show_msg(&c, id);
    } else if (rc == PL_EINVAL) {
        printf("Queue ID:     %s\nDamaged:      %s\n"
               "Envelope file as stored:\n", id, clq_safe(why, sb));
        memset(&raw, 0, sizeof raw);
        if (qu_env_dump(c.q, id, clq_raw_out, &raw) == PL_OK && raw.n > 0)
            clq_raw_line(&raw);
        if (msg)
            (void)clq_show_msg(&c, id);
        cl_error(ctx, "%s: the envelope is damaged: %s", id, sb);
        code = CL_EX_DATAERR;
    } else {
        cl_error(ctx, "%s: %s", id, rc == PL_ENOENT ? "no such queue entry"
                 : pl_strerror(rc));
        code = rc == PL_ENOENT ? CL_EX_NOINPUT : CL_EX_IOERR;
    }
    clq_close(&c);
    if (code == CL_EX_OK && fflush(stdout) != 0)
        code = CL_EX_IOERR;
    return code;
}

/* ---- changes under the entry lock ------------------------------------------ */

#define CLQ_FLUSH   1
#define CLQ_DELETE  2
#define CLQ_HOLD    3
#define CLQ_RELEASE 4

/* The exit code of a failed queue operation on id (reported). */
static int clq_fail(clq *c, const char *id, int rc, const char *why)
{
    char sb[CLQ_SAFE_MAX];

    switch (rc) {
    case PL_ENOENT:
        cl_error(c->ctx, "%s: no such queue entry", id);
        return CL_EX_NOINPUT;
    case PL_EAGAIN:
    case PL_ETIMEDOUT:
        cl_error(c->ctx, "%s: a delivery of this entry is running now; "
                 "try again later", id);
        return CL_EX_TEMPFAIL;
    case PL_EINVAL:
        cl_error(c->ctx, "%s: the envelope is damaged (%s); only 'delete' "
                 "changes it", id, clq_safe(why, sb));
        return CL_EX_DATAERR;
    case PL_EACCES:
        cl_error(c->ctx, "%s: %s", id, pl_strerror(rc));
        return CL_EX_NOPERM;
    default:
        cl_error(c->ctx, "%s: %s", id, pl_strerror(rc));
        return CL_EX_IOERR;
    }
}

/* Apply op to the loaded envelope; 0 when nothing needs saving. */
static int clq_apply(int op, qu_env *e)
{
    switch (op) {
    case CLQ_FLUSH:
        if (e->next_try == 0 || e->hold)
            return 0;
        e->next_try = 0;
        return 1;
    case CLQ_HOLD:
        if (e->hold)
            return 0;
        e->hold = 1;
        return 1;
    default:                              /* CLQ_RELEASE: due at once */
        if (!e->hold && e->next_try == 0)
            return 0;
        e->hold = 0;
        e->next_try = 0;
        return 1;
    }
}

static const char *const clq_done[] = { "", "due now", "deleted", "held",
                                        "released" };

/* One entry: lock, change, save, unlock.  The CL_EX_* code; *held is
 * set when flush left a held entry alone. */
static int clq_change(clq *c, const char *id, int op, int quiet,
                      int *held_out)
{
    char why[CL_Q_WHY_MAX];
    pl_lock *lk = NULL;
    qu_env *e = NULL;
    int rc = qu_lock(c->q, id, CL_Q_LOCK_MS, &lk), held = 0;

    why[0] = '\0';
    if (rc == PL_OK && op == CLQ_DELETE) {
        rc = qu_remove(c->q, id);
    } else if (rc == PL_OK) {
        rc = qu_env_load(c->q, id, &e, why, sizeof why);
        if (rc == PL_ENOENT)
            (void)qu_remove(c->q, id);    /* its lock file, made just now */
        if (rc == PL_OK && clq_apply(op, e))
            rc = qu_env_save(c->q, e);
        held = e != NULL && e->hold && op == CLQ_FLUSH;
    }
    pl_lock_release(lk);
    qu_env_free(e);
    *held_out = held;
    if (rc != PL_OK)
        return clq_fail(c, id, rc, why);
    if (held)
        printf("%s: held; not flushed (see 'newmail queue release')\n", id);
    else if (!quiet)
        printf("%s: %s\n", id, clq_done[op]);
    return CL_EX_OK;
}

/* Run op on the ids argv[1..] (or on every entry when all). */
static int clq_change_many(clq *c, int argc, char **argv, int all, int op)
{
    char id[QU_ID_LEN + 1];
    clq_ids l;
    size_t k, ok = 0;
    int i, code = CL_EX_OK, one, held;

    if (all) {
        one = clq_all(c, &l);
        if (one != CL_EX_OK)
            return one;
        for (k = 0; k < l.n; k++) {
            one = clq_change(c, l.v[k], op, 1, &held);
            if (one == CL_EX_OK && !held)
                ok++;
            /* flush passes over damaged entries (said on stderr) */
            if (one != CL_EX_OK && code == CL_EX_OK &&
                !(op == CLQ_FLUSH && one == CL_EX_DATAERR))
                code = one;
        }
        if (l.n == 0)
            printf("Mail queue is empty\n");
        else
            printf("%u entr%s %s\n", (unsigned)ok, ok == 1 ? "y" : "ies",
                   clq_done[op]);
        free(l.v);
        return code;
    }
    for (i = 1; i < argc; i++) {
        clq_id(c->ctx, argv[i], id);
        one = clq_change(c, id, op, 0, &held);
        if (one != CL_EX_OK && code == CL_EX_OK)
            code = one;
    }
    return code;
}

/* Wake the running server; with none running the entries wait for it. */
static int clq_wake(clq *c)
{
    char reply[CL_Q_REPLY_MAX];
    int code = cl_ctl_request(c->ctx, c->cf, "FLUSH", reply, sizeof reply);
    char *nl;

    if (code == CL_EX_OK) {
        printf("the server is delivering the queue now\n");
        return CL_EX_OK;
    }
    if (code == CL_EX_UNAVAILABLE) {
        printf("no server is running on %s: the mail goes when it starts\n",
               c->spec);
        return CL_EX_OK;
    }
    if (code == CL_EX_DATAERR) {
        nl = strpbrk(reply, "\r\n");
        if (nl != NULL)
            *nl = '\0';
        cl_error(c->ctx, "the server refused FLUSH: %s", reply);
    }
    return code;
}

/* flush, delete, hold, release: parse, open, change, report. */
static int clq_changes(cl_ctx *ctx, int argc, char **argv, int op,
                       const char *path, const char *usage)
{
    clq c;
    int i, code, none, all = op == CLQ_FLUSH && argc == 1;

    for (i = 1; i < argc; i++)
        if (op == CLQ_DELETE && strcmp(argv[i], "--all") == 0)
            all = 1;
    if (all && argc > 1 && argc != 2)
        return cl_usage_error(ctx, path, usage,
                              "--all takes no queue ids", NULL);
    if (!all && argc < 2)
        return cl_usage_error(ctx, path, usage, "missing queue id", NULL);
    if (!all) {
        code = clq_check_ids(ctx, argc, argv, 1, path, usage);
        if (code != CL_EX_OK)
            return code;
    }
    code = clq_open(ctx, &c, &none);
    if (none && all) {
        printf("Mail queue is empty\n");
        return CL_EX_OK;
    }
    if (none) {
        cl_error(ctx, "no store at the configured store.root: no such "
                 "queue entry");
        return CL_EX_NOINPUT;
    }
    if (code != CL_EX_OK)
        return code;
    code = clq_change_many(&c, argc, argv, all, op);
    if (op == CLQ_FLUSH) {
        int wake = clq_wake(&c);
        if (code == CL_EX_OK)
            code = wake;
    }
    clq_close(&c);
    if (fflush(stdout) != 0 && code == CL_EX_OK)
        code = CL_EX_IOERR;
    return code;
}

static int flush_run(cl_ctx *ctx, int argc, char **argv)
{
    return clq_changes(ctx, argc, argv, CLQ_FLUSH, "newmail queue flush",
                       FLUSH_USAGE);
}

static int delete_run(cl_ctx *ctx, int argc, char **argv)
{
    return clq_changes(ctx, argc, argv, CLQ_DELETE, "newmail queue delete",
                       DEL_USAGE);
}

static int hold_run(cl_ctx *ctx, int argc, char **argv)
{
    return clq_changes(ctx, argc, argv, CLQ_HOLD, "newmail queue hold",
                       HOLD_USAGE);
}

static int release_run(cl_ctx *ctx, int argc, char **argv)
{
    return clq_changes(ctx, argc, argv, CLQ_RELEASE,
                       "newmail queue release", HOLD_USAGE);
}

const cl_cmd cl_queue_cmds[] = {
    { "list", "list the entries of the outbound queue (mailq)", LIST_USAGE,
      "Print every entry of the outbound queue in arrival order: its id,\n"
      "size in octets, arrival time (UTC) and sender, then each recipient\n"
      "still pending with its last status in parentheses.  '(held)'\n"
      "marks an entry held by the administrator; '(damaged: REASON)' one\n"
      "whose envelope failed its checks (it stays in the queue until\n"
      "deleted).  An empty queue prints 'Mail queue is empty'.\n"
      "Installed as 'mailq', newmail runs this command.\n"
      "\n"
      "Options:\n"
      "  -C FILE   configuration file (as the global -c; mailq -C)\n",
      list_run, NULL },
    { "show", "show one entry's envelope, and its message", SHOW_USAGE,
      "Print the whole envelope of entry ID: sender, origin, size,\n"
      "times, DSN parameters, and per recipient its state, attempts,\n"
      "last status and remote host.  A damaged envelope is printed as\n"
      "stored (control characters escaped) with the reason (exit 65).\n"
      "\n"
      "Options:\n"
      "  --message   also print the message as queued, after a blank line\n"
      "              (CRLF shown as LF; control characters and bytes that\n"
      "              are not UTF-8 as \\xNN)\n",
      show_run, NULL },
    { "flush", "deliver now: make entries due and wake the server",
      FLUSH_USAGE,
      "Make the named entries (or every entry) due now and ask the\n"
      "running server to deliver them.  Held entries stay held.  With no\n"
      "server running this is not an error: the mail goes when it\n"
      "starts.\n",
      flush_run, NULL },
    { "delete", "remove entries from the queue", DEL_USAGE,
      "Remove the named entries (or, with --all, every entry) without\n"
      "delivering them or telling anyone.  An entry being delivered at\n"
      "this moment is left alone (exit 75): try again later.  Damaged\n"
      "entries can be deleted.\n",
      delete_run, NULL },
    { "hold", "keep entries in the queue without delivering them",
      HOLD_USAGE,
      "Mark the named entries held: the server does not deliver them\n"
      "until they are released.\n",
      hold_run, NULL },
    { "release", "release held entries; they are due at once", HOLD_USAGE,
      "Clear the hold mark of the named entries and make them due now.\n",
      release_run, NULL },
    { NULL, NULL, NULL, NULL, NULL, NULL }
};

/* For callers that build "queue SUBCOMMAND ..." themselves (mailq). */
int cl_queue_run(cl_ctx *ctx, int argc, char **argv)
{
    return cl_dispatch(ctx, argc, argv);
}
