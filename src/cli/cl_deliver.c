/*
 * cl_deliver.c - `newmail deliver ADDRESS`: a local delivery agent.  One
 * message on standard input goes into the NEWMAIL folder of a popstore
 * account, durably, and the exit status (sysexits) tells the caller
 * (Postfix pipe(8), procmail, cron) what happened:
 *
 *   0  delivered (the message is durable: file and directory synced)
 *   65 data error: empty input, or larger than the store's maximum
 *   67 unknown address, or a name outside the whitelist
 *   73 can never fit: larger than quota + overdraft on its own
 *   74 I/O error reading standard input or writing the store
 *   75 try again later: over quota now, disk full, a lock timed out,
 *      the store cannot be opened
 *   77 the account has DISMAIL (receives no mail)
 *
 * The bytes are stored exactly as read (ISO C fread in binary-safe
 * chunks; no line-end conversion): the store counts sizes in CRLF form
 * whatever the line ends, so a message piped with LF line ends is
 * served to POP3 clients with CRLF.  Quota follows PMDF (au_quota_check)
 * with the usage of every folder of the mailbox; two concurrent
 * deliveries may both pass the check (as in PMDF).  Forwarding is not
 * done here: it is the SMTP server's business before local delivery.
 * Limits: the store's maximum message size (1 GiB by default); memory is
 * one ST_IO_BUF buffer.
 * Privilege: the service account that owns the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cl.h"
#include "au.h"
#include "st.h"
#include "ut_log.h"
#include "ut_str.h"

#define DLV_USAGE "[--print-id] ADDRESS"

/* Counting CRLF size exactly as the store does (st.h: a bare CR or LF
 * counts as CRLF, an unterminated last line gets one), so the quota
 * check sees the size LIST will report. */
typedef struct crlf_count {
    pl_u64 size;
    int cr, open;
} crlf_count;

static void crlf_feed(crlf_count *c, const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (c->cr) {
            c->cr = 0;
            c->size += 2;
            c->open = 0;
            if (p[i] == '\n')
                continue;
        }
        if (p[i] == '\r') {
            c->cr = 1;
        } else if (p[i] == '\n') {
            c->size += 2;
            c->open = 0;
        } else {
            c->size++;
            c->open = 1;
        }
    }
}

static pl_u64 crlf_end(const crlf_count *c)
{
    return c->size + ((c->cr || c->open) ? 2 : 0);
}

typedef struct fnames {
    char (*v)[ST_NAME_BUF];
    size_t n, cap;
} fnames;

static int fnames_cb(void *ctx, const char *name)
{
    fnames *f = (fnames *)ctx;

    if (f->n == f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 8;
        char (*nv)[ST_NAME_BUF] =
            (char (*)[ST_NAME_BUF])realloc(f->v, ncap * ST_NAME_BUF);
        if (nv == NULL)
            return 1;
        f->v = nv;
        f->cap = ncap;
    }
    ut_strlcpy(f->v[f->n++], name, ST_NAME_BUF);
    return 0;
}

/* Messages and CRLF octets of every folder of mb (WASTEBASKET included:
 * deleted mail occupies the disk until purged). */
int cl_mbox_usage(st_mbox *mb, pl_u32 *count, pl_u64 *octets)
{
    fnames f;
    st_folder *fo;
    pl_u32 c;
    pl_u64 o;
    size_t k;
    int rc;

    *count = 0;
    *octets = 0;
    memset(&f, 0, sizeof f);
    rc = st_mbox_folders(mb, fnames_cb, &f);
    if (rc > 0)
        rc = PL_ENOMEM;
    for (k = 0; rc == PL_OK && k < f.n; k++) {
        rc = st_folder_select(mb, f.v[k], &fo);
        if (rc != PL_OK)
            break;
        st_folder_totals(fo, &c, &o);
        *count += c;
        *octets += o;
        st_folder_close(fo);
    }
    free(f.v);
    return rc;
}

/* The exit status for a store failure during delivery. */
static int dlv_status(int rc)
{
    switch (rc) {
    case PL_ENOSPC:
    case PL_EAGAIN:
    case PL_ETIMEDOUT:
    case PL_ENOMEM:
        return CL_EX_TEMPFAIL;
    case PL_ERANGE:
        return CL_EX_DATAERR;
    case PL_EACCES:
    case PL_EEXIST:
    case PL_ENOTDIR:
        return CL_EX_CANTCREAT;
    default:
        return CL_EX_IOERR;
    }
}

static int quota_status(const cl_ctx *ctx, const char *mbox, int q)
{
    if (q == AU_Q_PERM) {
        cl_error(ctx, "%s: message larger than quota plus overdraft (%s)",
                 mbox, au_quota_reply(q));
        return CL_EX_CANTCREAT;
    }
    cl_error(ctx, "%s: mailbox over quota (%s)", mbox, au_quota_reply(q));
    return CL_EX_TEMPFAIL;
}

int cl_deliver_run(cl_ctx *ctx, int argc, char **argv)
{
    static const char path[] = "newmail deliver";
    char user[AU_USER_MAX + 1], domain[AU_DOMAIN_MAX + 1];
    char mbox[CL_MBOX_MAX], id[ST_NAME_BUF];
    const char *addr = NULL;
    unsigned char *buf;
    int i, print_id = 0, rc, ex, q;
    au_account *a;
    cl_env env;
    st_mbox *mb;
    st_dlv *d = NULL;
    crlf_count cc;
    pl_u32 ucount = 0;
    pl_u64 usage = 0, size;
    size_t got;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--print-id") == 0)
            print_id = 1;
        else if (strcmp(argv[i], "--") == 0 && i + 1 < argc && addr == NULL)
            addr = argv[++i];
        else if (argv[i][0] == '-')
            return cl_usage_error(ctx, path, DLV_USAGE, "unknown option",
                                  argv[i]);
        else if (addr == NULL)
            addr = argv[i];
        else
            return cl_usage_error(ctx, path, DLV_USAGE,
                                  "too many arguments:", argv[i]);
    }
    if (addr == NULL)
        return cl_usage_error(ctx, path, DLV_USAGE, "missing ADDRESS", NULL);
    if (cl_addr(NULL, addr, user, domain, mbox) != PL_OK) {
        cl_error(ctx, "invalid address '%s'", addr);
        return CL_EX_NOUSER;
    }
    ex = cl_env_open(ctx, &env);
    if (ex != CL_EX_OK)
        return ex == CL_EX_CONFIG ? ex : CL_EX_TEMPFAIL;
    a = (au_account *)malloc(sizeof *a);
    buf = (unsigned char *)malloc(ST_IO_BUF);
    if (a == NULL || buf == NULL) {
        free(a);
        free(buf);
        cl_env_close(&env);
        return CL_EX_TEMPFAIL;
    }
    rc = cl_addr(&env, addr, user, domain, mbox);
    if (rc != PL_OK) {
        cl_error(ctx, "'%s' has no domain and no default domain is set",
                 addr);
        ex = CL_EX_NOUSER;
        goto out;
    }
    rc = au_db_get(env.db, user, domain, a);
    if (rc == PL_ENOENT) {
        cl_error(ctx, "%s: no such account", mbox);
        ex = CL_EX_NOUSER;
        goto out_wipe;
    }
    if (rc != PL_OK) {
        cl_error(ctx, "%s: cannot read the account: %s", mbox,
                 pl_strerror(rc));
        ex = CL_EX_TEMPFAIL;
        goto out_wipe;
    }
    if (a->flags & AU_F_DISMAIL) {
        cl_error(ctx, "%s: the account receives no mail (DISMAIL)", mbox);
        ex = CL_EX_NOPERM;
        goto out_wipe;
    }
    if (a->fwd_n > 0)
        ut_log(PL_LOG_NOTICE, PL_LOGCAT_MAIL, "deliver: %s has forwarding; "
               "newmail deliver stores locally only", mbox);
    if (a->quota > 0) {
        rc = st_mbox_open(env.st, mbox, ST_OPEN_CREATE, &mb);
        if (rc == PL_OK) {
            rc = cl_mbox_usage(mb, &ucount, &usage);
            st_mbox_close(mb);
        }
        if (rc != PL_OK) {
            cl_error(ctx, "%s: cannot measure the mailbox: %s", mbox,
                     pl_strerror(rc));
            ex = CL_EX_TEMPFAIL;
            goto out_wipe;
        }
        /* Refuse early, before reading, when already over quota. */
        q = au_quota_check(a->quota, a->overdraft, usage, 0);
        if (q != AU_Q_OK) {
            ex = quota_status(ctx, mbox, q);
            goto out_wipe;
        }
    }
    rc = st_deliver_begin(env.st, mbox, &d);
    if (rc != PL_OK) {
        cl_error(ctx, "%s: cannot start the delivery: %s", mbox,
                 pl_strerror(rc));
        ex = dlv_status(rc);
        goto out_wipe;
    }
    memset(&cc, 0, sizeof cc);
    while ((got = fread(buf, 1, ST_IO_BUF, stdin)) > 0) {
        crlf_feed(&cc, buf, got);
        rc = st_deliver_write(d, buf, got);
        if (rc != PL_OK)
            break;
    }
    size = crlf_end(&cc);
    if (rc == PL_OK && ferror(stdin)) {
        cl_error(ctx, "%s: error reading standard input", mbox);
        ex = CL_EX_IOERR;
    } else if (rc == PL_ERANGE) {
        cl_error(ctx, "%s: message larger than the store's maximum", mbox);
        ex = CL_EX_DATAERR;
    } else if (rc != PL_OK) {
        cl_error(ctx, "%s: cannot write the message: %s", mbox,
                 pl_strerror(rc));
        ex = dlv_status(rc);
    } else if (size == 0) {
        cl_error(ctx, "%s: empty message", mbox);
        ex = CL_EX_DATAERR;
    } else if (a->quota > 0 &&
               (q = au_quota_check(a->quota, a->overdraft, usage, size))
               != AU_Q_OK) {
        ex = quota_status(ctx, mbox, q);
    } else {
        rc = st_deliver_commit(d, id);
        d = NULL;
        if (rc != PL_OK) {
            cl_error(ctx, "%s: cannot store the message: %s", mbox,
                     pl_strerror(rc));
            ex = dlv_status(rc);
        } else {
            ex = CL_EX_OK;
            /* The message is durable; a failed counter update must not
             * make the caller send it again. */
            if (au_db_count_rx(env.db, user, domain, 1, size) != PL_OK)
                ut_log_warn("deliver: %s: counters not updated", mbox);
            if (print_id && (puts(id) == EOF || fflush(stdout) != 0))
                ut_log_warn("deliver: %s: cannot print the id", mbox);
        }
    }
    st_deliver_abort(d);
out_wipe:
    au_account_wipe(a);
out:
    free(a);
    free(buf);
    cl_env_close(&env);
    return ex;
}
