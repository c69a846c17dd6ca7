/*
 * qr_local.c - local delivery of a queued recipient: al_resolve expands
 * it (aliases, user+tag, forwarding); every local target gets a copy in
 * its NEWMAIL with Return-Path and a Received line, under the quota rule
 * of au_quota_check (as src/smtp/sm_session.c delivers); remote targets
 * (forwarding, alias lists) are appended to the envelope as new pending
 * recipients with the ORCPT of the original.
 *
 * Quota first, as SMTP does before its commits: every target's quota is
 * checked with the real size before any copy is written, so a recipient
 * deferred for a full mailbox is delivered to nobody and the retry cannot
 * duplicate.  A target over quota for good is recorded as a failed
 * recipient of its own (the sender hears of it) while the others get
 * their copy; a copy that fails when others succeeded re-queues that
 * mailbox as a recipient of its own (a duplicate is preferred over a
 * loss).
 * Limits: AL_TARGETS_MAX targets, QR_COPY_BATCH copies open at once,
 * QU_RCPT_MAX recipients per entry.
 * Privilege: the service account that owns the popstore and the queue.
 */
#include <stdlib.h>
#include <string.h>
#include "qr_int.h"
#include "ut_buf.h"
#include "ut_date.h"
#include "ut_log.h"
#include "ut_str.h"

/* copy buffer for the message file */
#define QR_COPY_BUF 16384
/* local copies written at once: each holds a temporary file open, and an
 * alias list may name AL_TARGETS_MAX mailboxes */
#define QR_COPY_BATCH 32

/* One local target's delivery. */
typedef struct qr_copy {
    const al_target *t;
    st_dlv *d;
    pl_u64 hsize;        /* octets of Return-Path and Received */
    int q;               /* AU_Q_* */
} qr_copy;

/* Append a recipient to e unless a pending or sent one has addr; the
 * ORCPT says which original address it came from (RFC 3461 4.2). */
static int rcpt_append(qu_env *e, int from, const char *addr, int state,
                       const char *status)
{
    qu_rcpt *nr;
    const qu_rcpt *o;
    int i;

    for (i = 0; i < e->nrcpt; i++)
        if (ut_strcaseeq(e->rcpt[i].addr, addr) &&
            (e->rcpt[i].state == QU_R_PENDING ||
             e->rcpt[i].state == QU_R_SENT))
            return PL_OK;
    if (e->nrcpt >= QU_RCPT_MAX)
        return PL_ERANGE;
    nr = (qu_rcpt *)realloc(e->rcpt, (size_t)(e->nrcpt + 1) * sizeof *nr);
    if (nr == NULL)
        return PL_ENOMEM;
    e->rcpt = nr;
    o = &e->rcpt[from];
    nr = &e->rcpt[e->nrcpt];
    memset(nr, 0, sizeof *nr);
    if (ut_strlcpy(nr->addr, addr, sizeof nr->addr) != PL_OK)
        return PL_EINVAL;
    if (o->orcpt[0] != '\0') {
        (void)ut_strlcpy(nr->orcpt, o->orcpt, sizeof nr->orcpt);
    } else {
        (void)ut_strlcpy(nr->orcpt, "rfc822;", sizeof nr->orcpt);
        (void)ut_strlcat(nr->orcpt, o->addr, sizeof nr->orcpt);
    }
    nr->notify = o->notify;
    nr->state = state;
    (void)ut_strlcpy(nr->status, status, sizeof nr->status);
    e->nrcpt++;
    return PL_OK;
}

static void target_addr(const al_target *t, char *buf, size_t n)
{
    (void)ut_strlcpy(buf, t->user, n);
    (void)ut_strlcat(buf, "@", n);
    (void)ut_strlcat(buf, t->domain, n);
}

/* Return-Path and Received for one local copy (RFC 5321 4.4). */
static int trace_make(const qr_ctx *c, const qu_env *e, const char *to,
                      ut_buf *b)
{
    char date[40];

    if (ut_date_rfc5322_now(date, sizeof date) != PL_OK)
        (void)ut_strlcpy(date, "Thu, 1 Jan 1970 00:00:00 -0000",
                         sizeof date);
    ut_buf_clear(b);
    (void)ut_buf_adds(b, "Return-Path: <");
    (void)ut_buf_adds(b, e->from);
    (void)ut_buf_adds(b, ">\r\nReceived: from localhost by ");
    (void)ut_buf_adds(b, c->env->hostname);
    (void)ut_buf_adds(b, " (newmail) with local id ");
    (void)ut_buf_adds(b, e->id);
    (void)ut_buf_adds(b, "\r\n\tfor <");
    (void)ut_buf_adds(b, to);
    (void)ut_buf_adds(b, ">; ");
    (void)ut_buf_adds(b, date);
    return ut_buf_adds(b, "\r\n");
}

/* Octets in NEWMAIL of mailbox addr, 0 when it has none yet; not read
 * without a quota, where it decides nothing (sm_usage says why). */
static pl_u64 usage_of(qr_ctx *c, const char *addr, pl_u64 quota)
{
    return quota == 0 ? 0 : st_mbox_usage(c->env->store, addr);
}

/* Open a copy for each target and write its trace lines. */
static int copies_open(qr_ctx *c, const qu_env *e, qr_copy *cp, int n)
{
    char addr[AU_ADDR_MAX];
    ut_buf hdr;
    int j, rc = PL_OK;

    ut_buf_init(&hdr, 0);
    for (j = 0; rc == PL_OK && j < n; j++) {
        target_addr(cp[j].t, addr, sizeof addr);
        rc = trace_make(c, e, addr, &hdr);
        if (rc == PL_OK)
            rc = st_deliver_begin(c->env->store, addr, &cp[j].d);
        if (rc == PL_OK)
            rc = st_deliver_write(cp[j].d, hdr.data, hdr.len);
        cp[j].hsize = hdr.len;
    }
    ut_buf_free(&hdr);
    return rc;
}

/* The message file into every open copy. */
static int copies_fill(qr_ctx *c, const qu_env *e, qr_copy *cp, int n)
{
    pl_file *f = NULL;
    char *buf = (char *)malloc(QR_COPY_BUF);
    size_t got = 0;
    int j, rc;

    if (buf == NULL)
        return PL_ENOMEM;
    rc = qu_msg_open(c->env->queue, e->id, &f);
    while (rc == PL_OK) {
        rc = pl_file_read(f, buf, QR_COPY_BUF, &got);
        if (rc != PL_OK || got == 0)
            break;
        for (j = 0; rc == PL_OK && j < n; j++)
            rc = st_deliver_write(cp[j].d, buf, got);
    }
    (void)pl_file_close(f);
    free(buf);
    return rc;
}

static void copies_abort(qr_copy *cp, int n)
{
    int j;

    for (j = 0; j < n; j++) {
        st_deliver_abort(cp[j].d);
        cp[j].d = NULL;
    }
}

/* Every target's quota, checked before any copy is written (the size of
 * its trace lines included).  The number of targets over quota for now;
 * cp[j].q says each one's result. */
static int quotas_check(qr_ctx *c, const qu_env *e, qr_copy *cp, int n)
{
    char addr[AU_ADDR_MAX];
    ut_buf hdr;
    int j, temp = 0;

    ut_buf_init(&hdr, 0);
    for (j = 0; j < n; j++) {
        target_addr(cp[j].t, addr, sizeof addr);
        (void)trace_make(c, e, addr, &hdr);
        cp[j].q = au_quota_check(cp[j].t->quota, cp[j].t->overdraft,
                                 usage_of(c, addr, cp[j].t->quota),
                                 e->size + hdr.len);
        temp += cp[j].q == AU_Q_TEMP;
    }
    ut_buf_free(&hdr);
    return temp;
}

/* Write and commit the copies cp[0..n) (all within quota).  A copy that
 * fails: with several targets its mailbox becomes a pending recipient of
 * its own (*requeued); alone, the caller's recipient waits.  The number
 * committed. */
static int batch_deliver(qr_ctx *c, qu_env *e, int i, qr_copy *cp, int n,
                         int several)
{
    char addr[AU_ADDR_MAX];
    int j, ok = 0, rc;

    rc = copies_open(c, e, cp, n);
    if (rc == PL_OK)
        rc = copies_fill(c, e, cp, n);
    if (rc != PL_OK)
        copies_abort(cp, n);
    for (j = 0; j < n; j++) {
        target_addr(cp[j].t, addr, sizeof addr);
        if (rc == PL_OK) {
            int crc = st_deliver_commit(cp[j].d, NULL);

            cp[j].d = NULL;
            if (crc == PL_OK) {
                ok++;
                au_pend_add(c->env->pend, c->db, cp[j].t->user,
                            cp[j].t->domain, 1,
                            e->size + cp[j].hsize);
                continue;
            }
        }
        /* one of several: that mailbox is tried again on its own */
        if (several)
            (void)rcpt_append(e, i, addr, QU_R_PENDING, "");
    }
    return ok;
}

/* Deliver the local targets among t[0..nt) for recipient i: its state
 * and status are set here.  Quotas are checked for all first, so a full
 * mailbox defers the recipient before anybody has a copy; the copies are
 * then made QR_COPY_BATCH at a time (each holds a file open). */
static void locals_deliver(qr_ctx *c, qu_env *e, int i, al_target *t,
                           int nt)
{
    char addr[AU_ADDR_MAX];
    qr_copy *cp = (qr_copy *)calloc((size_t)nt, sizeof *cp);
    int j, k, n = 0, m, ok = 0, perm = 0;

    if (cp == NULL) {
        qr_status_set(&e->rcpt[i], "451 4.3.0 Out of memory", "local");
        return;
    }
    for (j = 0; j < nt; j++)
        if (t[j].type == AL_T_LOCAL)
            cp[n++].t = &t[j];
    if (quotas_check(c, e, cp, n) > 0) {
        qr_status_set(&e->rcpt[i], "452 4.2.2 Mailbox full", "local");
        free(cp);
        return;
    }
    /* targets that can never fit fail on their own; the rest go ahead */
    for (j = k = 0; j < n; j++) {
        if (cp[j].q != AU_Q_PERM) {
            cp[k++] = cp[j];
            continue;
        }
        perm++;
        target_addr(cp[j].t, addr, sizeof addr);
        if (nt > 1)
            (void)rcpt_append(e, i, addr, QU_R_FAILED, "552 5.2.2 Message "
                              "too large for the mailbox quota");
    }
    for (j = 0; j < k; j += m) {
        m = k - j < QR_COPY_BATCH ? k - j : QR_COPY_BATCH;
        ok += batch_deliver(c, e, i, cp + j, m, nt > 1);
    }
    free(cp);
    if (ok > 0 || nt > 1) {
        e->rcpt[i].state = QU_R_SENT;
        qr_status_set(&e->rcpt[i], nt > 1 ? "250 2.1.5 Ok: expanded"
                      : "250 2.0.0 Ok: delivered", "local");
    } else if (perm > 0) {
        e->rcpt[i].state = QU_R_FAILED;
        qr_status_set(&e->rcpt[i], "552 5.2.2 Message too large for the "
                      "mailbox quota", "local");
    } else {
        qr_status_set(&e->rcpt[i], "451 4.3.0 Local error while storing "
                      "the message", "local");
    }
}

/* Split local@domain (the last '@'). */
static int addr_split(const char *addr, char *local, size_t ln, char *dom,
                      size_t dn)
{
    const char *at = strrchr(addr, '@');

    if (at == NULL || (size_t)(at - addr) >= ln || at == addr)
        return PL_EINVAL;
    memcpy(local, addr, (size_t)(at - addr));
    local[at - addr] = '\0';
    return ut_strlcpy(dom, at + 1, dn);
}

static void resolve_failed(qu_env *e, int i, int result)
{
    char st[QU_STATUS_MAX + 1];
    const char *why;
    int state = QU_R_FAILED;

    switch (result) {
    case AL_UNKNOWN:
        ut_log_format(st, sizeof st, "550 5.1.1 <%s>: no such user",
                      e->rcpt[i].addr);
        why = st;
        break;
    case AL_DISABLED:
        why = "550 5.2.1 Mailbox disabled, not accepting messages";
        break;
    case AL_LOOP:
        why = "554 5.4.6 Alias loop or expansion too large";
        break;
    default:
        why = "451 4.3.0 Account database unavailable";
        state = QU_R_PENDING;
        break;
    }
    e->rcpt[i].state = state;
    qr_status_set(&e->rcpt[i], why, "local");
}

void qr_local_deliver(qr_ctx *c, qu_env *e, int i)
{
    char local[AU_ADDR_MAX], dom[AU_DOMAIN_MAX + 1];
    al_env ae;
    al_target *t;
    int n = 0, result = AL_TEMP, j, nl = 0, rc;

    if (addr_split(e->rcpt[i].addr, local, sizeof local, dom, sizeof dom)
        != PL_OK) {
        resolve_failed(e, i, AL_UNKNOWN);
        return;
    }
    t = (al_target *)malloc(AL_TARGETS_MAX * sizeof *t);
    if (t == NULL) {
        qr_status_set(&e->rcpt[i], "451 4.3.0 Out of memory", "local");
        return;
    }
    ae.cfg = c->env->cfg;
    ae.db = c->db;
    ae.map = c->env->aliases;
    rc = al_resolve(&ae, local, dom, t, AL_TARGETS_MAX, &n, &result);
    if (rc == PL_ERANGE)
        result = AL_LOOP;
    else if (rc != PL_OK)
        result = AL_TEMP;
    if (result != AL_OK) {
        resolve_failed(e, i, result);
        free(t);
        return;
    }
    /* remote targets first: appending is idempotent (an address already
     * pending or sent is not added again), so a retry adds nothing */
    for (j = 0; j < n; j++) {
        if (t[j].type != AL_T_REMOTE) {
            nl++;
            continue;
        }
        rc = rcpt_append(e, i, t[j].addr, QU_R_PENDING, "");
        if (rc != PL_OK) {
            qr_status_set(&e->rcpt[i], rc == PL_ERANGE ? "452 4.5.3 Too "
                          "many recipients after expansion"
                          : "451 4.3.0 Cannot queue a forwarding target",
                          "local");
            free(t);
            return;
        }
    }
    if (nl > 0) {
        locals_deliver(c, e, i, t, n);
    } else {
        e->rcpt[i].state = QU_R_SENT;
        qr_status_set(&e->rcpt[i], "250 2.1.5 Ok: forwarded", "local");
    }
    free(t);
}
