/*
 * sm_session.c - one SMTP, submission or LMTP session from the greeting to
 * QUIT or abort: the command loop, line policy, limits, DATA with local
 * delivery, the Received header and the logs.
 *
 * Line policy: commands end at LF (a bare LF is accepted; DATA has its own
 * strict rules, sm_data.c).  The reader's buffer is the AUTH line size
 * (12288, RFC 4954) so an AUTH initial response fits; any other command
 * longer than 512 octets (RFC 5321 4.5.3.1.4) gets one 500 and is not run.
 * A line over 12288 gets one 500 and its excess is skipped by the reader.
 * A line with NUL, a bare CR or another control character is refused
 * whole (501): it is never cut into two commands.
 * Early talkers: input that arrives before the greeting (within
 * smtp.pregreet_wait; 0 looks only at what is there at once) gets 554 and
 * the connection is closed (RFC 5321 4.3.1 allows 554 instead of 220).
 * Pipelining (RFC 2920): replies are corked and sent when no input is
 * buffered or after a command flagged LAST; bytes read past the end of
 * DATA are kept (pushback) and served to the reader before the network.
 * Limits: errors (each 5xx to a command, junk past smtp.max_junk) beyond
 * half of smtp.max_errors pause the session for a growing time
 * (smtp.error_delay times the excess); past smtp.max_errors: 421 and close.
 * Drip feed (attack H2): a command line must be complete within
 * smtp.command_deadline of its first octet (sm_line_begin, sm_src), and
 * DATA must average smtp.min_data_rate after smtp.data_rate_grace
 * (sm_read_data); else 421 4.4.2 and close.  Both are deadlines of the
 * line reader, so no read waits past them.
 * Delivery (SMTP): a copy is opened in each recipient's NEWMAIL before the
 * 354; at the end of data the limits and each recipient's quota are
 * checked with the real size, and only then are the copies committed; the
 * 250 follows the last durable commit.  If any recipient fails before the
 * commits, nothing is stored and the reply says why (one reply: all or
 * nothing).  A commit that fails after others succeeded gives 451 and the
 * client retries: a duplicate is preferred over a lost message.
 * Remote targets (relay, remote aliases, forwarding) go into one queue
 * submission written alongside the local copies; it is committed first,
 * so if it fails no local copy is kept (451, the client retries), and
 * the reply carries its queue id.
 * LMTP (RFC 2033): one reply per accepted recipient after the data, each
 * recipient's copy committed or refused on its own.
 * Privilege: the service account that owns the popstore.
 */
#include <stdlib.h>
#include <string.h>
#include "sm_int.h"
#include "sv_penalty.h"
#include "ut_str.h"
#include "ut_log.h"
#include "ut_date.h"
#include "ut_buf.h"

int sm_reply(sm_sess *s, const char *text)
{
    int rc = nt_conn_puts(s->c, text);

    if (rc == PL_OK)
        rc = nt_conn_write(s->c, "\r\n", 2);
    return rc;
}

size_t sm_pending(const sm_sess *s)
{
    return lr_pending(s->lr) + (s->pb_len - s->pb_pos);
}

/* Attack H2 (mail-servers.md): a line that trickles in one octet at a
 * time never meets the idle timeout, so the whole line gets
 * smtp.command_deadline from its first octet. */
static void sm_deadline_start(sm_sess *s)
{
    s->line_start = pl_time_mono_ms();
    lr_set_deadline(s->lr, s->line_start +
                    cf_duration(s->env->cfg, "smtp.command_deadline") * 1000);
}

void sm_line_begin(sm_sess *s)
{
    s->data_mode = 0;
    s->line_start = 0;
    lr_set_deadline(s->lr, 0);
    if (sm_pending(s) > 0)
        sm_deadline_start(s);
}

/* The reader's source: the pushback first, then the connection; starts
 * the command deadline when a line's first octet comes from the network. */
static int sm_src(void *ctx, void *buf, size_t n, pl_i32 timeout_ms,
                  size_t *got)
{
    sm_sess *s = (sm_sess *)ctx;
    size_t k = s->pb_len - s->pb_pos;
    int rc;

    if (k > 0) {
        if (k > n)
            k = n;
        memcpy(buf, s->pb + s->pb_pos, k);
        s->pb_pos += k;
        if (s->pb_pos == s->pb_len)
            s->pb_pos = s->pb_len = 0;
        *got = k;
        return PL_OK;
    }
    k = 0;
    rc = nt_conn_read(s->c, buf, n, timeout_ms, &k);
    *got = k;
    if (rc == PL_OK && k > 0 && !s->data_mode && s->line_start == 0)
        sm_deadline_start(s);
    return rc;
}

static void sm_abort_all(sm_sess *s)
{
    int i;

    for (i = 0; i < s->nrcpt; i++) {
        st_deliver_abort(s->rcpt[i].d);
        s->rcpt[i].d = NULL;
    }
    qu_sub_abort(s->qsub);
    s->qsub = NULL;
}

void sm_txn_reset(sm_sess *s)
{
    sm_abort_all(s);
    s->nrcpt = 0;
    s->nrem = 0;
    s->nrc = 0;
    s->tried_rcpt = 0;
    memset(&s->from, 0, sizeof s->from);
    memset(&s->mp, 0, sizeof s->mp);
    if (s->state == SM_ST_MAIL)
        s->state = SM_ST_READY;
}

/* Keep only characters in ok; anything else makes the token "unknown"
 * (a header must never carry what a client or a library chose). */
static void sm_token(const char *in, const char *ok, char *out, size_t n)
{
    size_t i;

    for (i = 0; in != NULL && in[i] != '\0'; i++) {
        unsigned char c = (unsigned char)in[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || strchr(ok, c) != NULL)) {
            ut_strlcpy(out, "unknown", n);
            return;
        }
    }
    if (in == NULL || in[0] == '\0' || ut_strlcpy(out, in, n) != PL_OK)
        ut_strlcpy(out, "unknown", n);
}

/* Return-Path and Received for one recipient's copy (RFC 5321 4.4). */
static void sm_trace(sm_sess *s, const char *for_addr, int return_path,
                     const char *id, ut_buf *b)
{
    char ver[32], ciph[80], tv[32], tc[80], date[40], helo[SM_HELO_MAX + 1];
    char proto[8], au[AU_ADDR_MAX];

    ut_buf_clear(b);
    if (return_path) {   /* only at final delivery (RFC 5321 4.4) */
        ut_buf_adds(b, "Return-Path: <");
        if (!s->from.null)
            ut_buf_adds(b, s->from.text);
        ut_buf_adds(b, ">\r\n");
    }
    ut_buf_adds(b, "Received: from ");
    ut_strlcpy(helo, s->helo_ok ? s->helo : "unknown", sizeof helo);
    ut_buf_adds(b, helo);
    ut_buf_adds(b, strchr(s->peer, ':') != NULL ? " ([IPv6:" : " ([");
    ut_buf_adds(b, s->peer);
    ut_buf_adds(b, "])\r\n\tby ");
    ut_buf_adds(b, sm_hostname(s));
    ut_strlcpy(proto, s->lmtp ? "LMTP" : s->esmtp ? "ESMTP" : "SMTP",
               sizeof proto);
    if (s->esmtp && s->tls)
        ut_strlcat(proto, "S", sizeof proto);
    if (s->esmtp && s->auth)
        ut_strlcat(proto, "A", sizeof proto);
    ut_buf_adds(b, " (newmail) with ");
    ut_buf_adds(b, proto);
    ut_buf_adds(b, " id ");
    ut_buf_adds(b, id);
    if (s->tls) {
        ver[0] = ciph[0] = '\0';
        nt_conn_tls_info(s->c, ver, sizeof ver, ciph, sizeof ciph);
        sm_token(ver, "._-", tv, sizeof tv);
        sm_token(ciph, "._-", tc, sizeof tc);
        ut_buf_adds(b, "\r\n\t(using ");
        ut_buf_adds(b, tv);
        ut_buf_adds(b, " with cipher ");
        ut_buf_adds(b, tc);
        ut_buf_adds(b, ")");
    }
    if (s->auth && cf_bool(s->env->cfg, "smtp.received_auth_user")) {
        sm_token(s->auth_addr, "._+-@", au, sizeof au);
        ut_buf_adds(b, "\r\n\t(authenticated as ");
        ut_buf_adds(b, au);
        ut_buf_adds(b, ")");
    }
    if (for_addr != NULL) {
        ut_buf_adds(b, "\r\n\tfor <");
        ut_buf_adds(b, for_addr);
        ut_buf_adds(b, ">");
    }
    ut_buf_adds(b, "; ");
    if (ut_date_rfc5322_now(date, sizeof date) != PL_OK)
        ut_strlcpy(date, "Thu, 1 Jan 1970 00:00:00 -0000", sizeof date);
    ut_buf_adds(b, date);
    ut_buf_adds(b, "\r\n");
}

/* The DATA sink: the same octets into every open copy. */
static int sm_sink(void *ctx, const void *buf, size_t n)
{
    sm_sess *s = (sm_sess *)ctx;
    int i;

    for (i = 0; i < s->nrcpt; i++)
        if (s->rcpt[i].d != NULL &&
            st_deliver_write(s->rcpt[i].d, buf, n) != PL_OK)
            return 1;
    if (s->qsub != NULL && qu_sub_write(s->qsub, buf, n) != PL_OK)
        return 1;
    return 0;
}

/* Octets read past the end of data go back in front of the stream:
 * the block's rest, then what the reader still buffers, then the old
 * pushback.  PL_ERANGE if that cannot fit (cannot happen: see sm_int.h). */
static int sm_push_back(sm_sess *s, const char *rest, size_t n)
{
    char *nb;
    size_t len = 0, got, old = s->pb_len - s->pb_pos;

    if (n == 0 && lr_pending(s->lr) == 0)
        return PL_OK;   /* the stream order is already right */
    nb = (char *)malloc(SM_PUSHBACK);
    if (nb == NULL)
        return PL_ENOMEM;
    if (n > SM_PUSHBACK) {
        free(nb);
        return PL_ERANGE;
    }
    memcpy(nb, rest, n);
    len = n;
    while (lr_pending(s->lr) > 0) {
        if (len == SM_PUSHBACK ||
            lr_read_raw(s->lr, nb + len, SM_PUSHBACK - len, &got) != PL_OK) {
            free(nb);
            return PL_ERANGE;
        }
        len += got;
    }
    if (old > SM_PUSHBACK - len) {
        free(nb);
        return PL_ERANGE;
    }
    memcpy(nb + len, s->pb + s->pb_pos, old);
    len += old;
    memcpy(s->pb, nb, len);
    s->pb_pos = 0;
    s->pb_len = len;
    ut_wipe(nb, SM_PUSHBACK);
    free(nb);
    return PL_OK;
}

/* Read the message through the DATA machine.  PL_OK at the end of data;
 * else the status that ends the session.  Attack H2: after a grace of
 * smtp.data_rate_grace (default: the idle timeout) the average rate since
 * the 354 must stay at least smtp.min_data_rate, so the reader's deadline
 * is the moment the octets received so far stop being enough
 * (PL_ETIMEDOUT then); each read still waits at most the idle timeout. */
static int sm_read_data(sm_sess *s, sm_data *d)
{
    char blk[SM_DATA_BLOCK];
    size_t got, used;
    pl_u64 total = 0;
    pl_i64 t0 = pl_time_mono_ms(), due;
    pl_i64 grace = cf_duration(s->env->cfg, "smtp.data_rate_grace") * 1000;
    pl_i64 rate = cf_int(s->env->cfg, "smtp.min_data_rate");
    int rc;

    s->data_mode = 1;
    for (;;) {
        if (rate > 0) {
            /* total / rate seconds are covered by what arrived */
            due = total / (pl_u64)rate > 86400u
                  ? (pl_i64)86400 * 1000
                  : (pl_i64)(total * 1000u / (pl_u64)rate);
            lr_set_deadline(s->lr, t0 + (due > grace ? due : grace));
        }
        rc = lr_read_raw(s->lr, blk, sizeof blk, &got);
        if (rc != PL_OK)
            break;
        total += got;
        if (sm_data_feed(d, blk, got, &used)) {
            rc = sm_push_back(s, blk + used, got - used);
            break;
        }
    }
    lr_set_deadline(s->lr, 0);
    s->data_mode = 0;
    return rc;
}

static void sm_log_msg(sm_sess *s, const char *id, const char *qid,
                       pl_u64 size, const char *result)
{
    char to[600], num[24];
    int i;

    to[0] = '\0';
    for (i = 0; i < s->nrcpt; i++) {
        if (s->rcpt[i].dup)
            continue;
        if (to[0] != '\0')
            ut_strlcat(to, ",", sizeof to);
        ut_strlcat(to, s->rcpt[i].user, sizeof to);
        ut_strlcat(to, "@", sizeof to);
        ut_strlcat(to, s->rcpt[i].domain, sizeof to);
    }
    for (i = 0; i < s->nrem; i++) {
        if (s->rem[i].dup)
            continue;
        if (to[0] != '\0')
            ut_strlcat(to, ",", sizeof to);
        ut_strlcat(to, s->rem[i].addr, sizeof to);
    }
    ut_u64_to_dec(num, size);
    ut_log(PL_LOG_INFO, PL_LOGCAT_MAIL,
           "smtp message id=%s queue=%s peer=%s from=<%s> to=%s size=%s "
           "result=%s", id, qid[0] != '\0' ? qid : "-", s->peer,
           s->from.null ? "" : s->from.text, to, num, result);
}

/* Open a copy in each recipient's NEWMAIL, with its trace header; the
 * number that failed. */
static int sm_open_local(sm_sess *s, const char *id)
{
    ut_buf hdr;
    char addr[AU_ADDR_MAX];
    sm_rcpt *r;
    int i, rc, bad = 0;

    ut_buf_init(&hdr, 0);
    for (i = 0; i < s->nrcpt; i++) {
        r = &s->rcpt[i];
        r->reply = NULL;
        if (r->dup)
            continue;
        ut_strlcpy(addr, r->user, sizeof addr);
        ut_strlcat(addr, "@", sizeof addr);
        ut_strlcat(addr, r->domain, sizeof addr);
        sm_trace(s, addr, 1, id, &hdr);
        r->hsize = hdr.len;
        rc = st_deliver_begin(s->env->store, addr, &r->d);
        if (rc == PL_OK)
            rc = st_deliver_write(r->d, hdr.data, hdr.len);
        if (rc != PL_OK) {
            st_deliver_abort(r->d);
            r->d = NULL;
            r->reply = "451 4.3.0 Local error while storing the message";
            bad++;
        }
    }
    ut_buf_free(&hdr);
    return bad;
}

/* One queue submission for every remote target: the envelope of MAIL
 * and each RCPT, then our Received header (no Return-Path: that is for
 * the final delivery). */
static int sm_open_queue(sm_sess *s, const char *id)
{
    qu_env *proto;
    ut_buf hdr;
    int i, rc, n = 0, one = -1;

    proto = (qu_env *)calloc(1, sizeof *proto);
    if (proto == NULL)
        return PL_ENOMEM;
    proto->kind = QU_K_MAIL;
    ut_strlcpy(proto->from, s->from.null ? "" : s->from.text,
               sizeof proto->from);
    ut_strlcpy(proto->envid, s->mp.envid, sizeof proto->envid);
    proto->ret = s->mp.ret == 1 ? QU_RET_FULL
                 : s->mp.ret == 2 ? QU_RET_HDRS : QU_RET_NONE;
    proto->body = s->mp.body == SM_BODY_8BIT ? QU_BODY_8BIT
                  : s->mp.body == SM_BODY_7BIT ? QU_BODY_7BIT : QU_BODY_NONE;
    proto->smtputf8 = s->mp.smtputf8;
    ut_strlcpy(proto->origin, "smtp ", sizeof proto->origin);
    ut_strlcat(proto->origin, s->peer, sizeof proto->origin);
    if (s->auth) {
        ut_strlcat(proto->origin, " (user ", sizeof proto->origin);
        ut_strlcat(proto->origin, s->auth_addr, sizeof proto->origin);
        ut_strlcat(proto->origin, ")", sizeof proto->origin);
    }
    rc = qu_sub_begin(s->env->queue, proto, &s->qsub);
    free(proto);
    for (i = 0; rc == PL_OK && i < s->nrem; i++) {
        if (s->rem[i].dup)
            continue;
        /* SM_N_* and QU_N_* are both the RFC 3461 bits */
        rc = qu_sub_rcpt(s->qsub, s->rem[i].addr, s->rem[i].orcpt,
                         s->rem[i].notify);
        one = n++ == 0 ? i : -1;
    }
    if (rc != PL_OK)
        return rc;
    ut_buf_init(&hdr, 0);
    sm_trace(s, one >= 0 ? s->rem[one].addr : NULL, 0, id, &hdr);
    rc = hdr.len > 0 ? qu_sub_write(s->qsub, hdr.data, hdr.len) : PL_ENOMEM;
    ut_buf_free(&hdr);
    return rc;
}

/* Make the queue copy durable; on failure the local copies of the RCPTs
 * that also had remote targets are dropped (LMTP) or all are (SMTP). */
static int sm_commit_queue(sm_sess *s, char *qid)
{
    int i, j, rc;

    if (s->qsub == NULL)
        return PL_OK;
    rc = qu_sub_commit(s->qsub, qid);
    s->qsub = NULL;
    if (rc == PL_OK)
        return PL_OK;
    qid[0] = '\0';
    ut_log(PL_LOG_ERROR, PL_LOGCAT_MAIL, "smtp queue submission failed "
           "(status %d)", rc);
    for (i = 0; i < s->nrcpt; i++)
        for (j = 0; j < s->nrem; j++)
            if (s->rem[j].rc == s->rcpt[i].rc || !s->lmtp) {
                st_deliver_abort(s->rcpt[i].d);
                s->rcpt[i].d = NULL;
                s->rcpt[i].reply = "451 4.3.0 Local error while queueing "
                                   "the message";
                break;
            }
    return rc;
}

/* LMTP: the reply for RCPT k, the first failure among its targets. */
static const char *sm_rc_reply(sm_sess *s, int k, const char *qreply,
                               const char *final)
{
    const char *rep = NULL, *x;
    int i;

    for (i = 0; i < s->nrcpt; i++) {
        if (s->rcpt[i].rc != k)
            continue;
        x = s->rcpt[i].dup ? s->rcpt[s->rcpt[i].dup - 1].reply
                           : s->rcpt[i].reply;
        if (x == NULL)
            x = final;
        if (rep == NULL || (rep[0] == '2' && x[0] != '2'))
            rep = x;
    }
    for (i = 0; i < s->nrem; i++)
        if (s->rem[i].rc == k &&
            (rep == NULL || (rep[0] == '2' && qreply[0] != '2')))
            rep = qreply;
    return rep != NULL ? rep : final;
}

/* Quota with the real size, before anything is committed. */
static void sm_quota_final(sm_sess *s, pl_u64 size, int *temp, int *perm)
{
    sm_rcpt *r;
    int i, q;

    for (i = 0; i < s->nrcpt; i++) {
        r = &s->rcpt[i];
        if (r->dup || r->d == NULL)
            continue;
        q = au_quota_check(r->quota, r->overdraft,
                           sm_usage(s, r->user, r->domain, r->quota),
                           size + r->hsize);
        if (q == AU_Q_OK)
            continue;
        if (q == AU_Q_TEMP) {
            r->reply = "452 4.2.2 Mailbox full";
            (*temp)++;
        } else {
            r->reply = "552 5.2.2 Message too large for the mailbox quota";
            (*perm)++;
        }
        st_deliver_abort(r->d);
        r->d = NULL;
    }
}

int sm_do_data(sm_sess *s, char *arg)
{
    const cf_config *cf = s->env->cfg;
    sm_data *d;
    char id[ST_NAME_BUF], mid[ST_NAME_BUF], qid[QU_ID_LEN + 1];
    char okq[QU_ID_LEN + 40];
    const char *final = NULL, *qreply = "250 2.0.0 Ok";
    pl_u64 size = 0;
    int i, rc, temp = 0, perm = 0, okn = 0, bad = 0;
    sm_rcpt *r;

    qid[0] = '\0';
    if (arg[0] != '\0')
        return sm_reply(s, "501 5.5.4 Syntax: DATA") == PL_OK ? SM_R_ERR
                                                              : PL_EIO;
    if (s->nrc == 0)
        return sm_reply(s, s->tried_rcpt > 0
                        ? "554 5.5.1 No valid recipients"
                        : "503 5.5.1 Need RCPT (recipient)") == PL_OK
               ? SM_R_ERR : PL_EIO;
    if (st_name_new_id(s->env->store, id) != PL_OK)
        ut_strlcpy(id, "UNKNOWN", sizeof id);
    bad = sm_open_local(s, id);
    if (s->nrem > 0 && (s->env->queue == NULL || sm_open_queue(s, id)
                        != PL_OK))
        bad = s->nrcpt + 1;   /* nothing can be half done: refuse all */
    if (bad > 0 && (!s->lmtp || bad >= s->nrcpt)) {
        sm_log_msg(s, id, qid, 0, "451 store error");
        sm_txn_reset(s);
        return sm_reply(s, "451 4.3.0 Local error while storing the "
                        "message") == PL_OK ? SM_R_OK : PL_EIO;
    }
    d = (sm_data *)malloc(sizeof *d);
    if (d == NULL) {
        sm_txn_reset(s);
        return sm_reply(s, "451 4.3.0 Out of memory") == PL_OK ? SM_R_OK
                                                               : PL_EIO;
    }
    sm_data_init(d, (int)cf_int(cf, "smtp.bare_lf") == 1
                    ? SM_BARE_NORMALIZE : SM_BARE_REJECT,
                 cf_size(cf, "smtp.max_message_size"),
                 cf_size(cf, "smtp.max_line_length"),
                 (unsigned)cf_int(cf, "smtp.max_header_count"),
                 cf_size(cf, "smtp.max_header_size"), sm_sink, s);
    if (sm_reply(s, "354 End data with <CR><LF>.<CR><LF>") != PL_OK ||
        nt_conn_flush(s->c) != PL_OK) {
        free(d);
        sm_txn_reset(s);
        return PL_EIO;
    }
    rc = sm_read_data(s, d);
    if (rc != PL_OK) {
        free(d);
        sm_log_msg(s, id, qid, 0, "aborted: no end of data");
        sm_txn_reset(s);
        if (rc == PL_ETIMEDOUT)
            sm_reply(s, "421 4.4.2 Timeout exceeded (data too slow), "
                     "closing");
        s->result = rc == PL_ETIMEDOUT ? "timeout in DATA"
                    : rc == PL_EOF ? "disconnected in DATA" : "DATA failed";
        return rc;
    }
    size = d->size;
    if (d->err != SM_D_OK) {
        final = sm_data_reply(d->err);
        sm_abort_all(s);
        for (i = 0; i < s->nrcpt; i++)
            s->rcpt[i].reply = final;
        qreply = final;
    }
    free(d);
    if (final == NULL)
        sm_quota_final(s, size, &temp, &perm);
    if (final == NULL && !s->lmtp && (temp > 0 || perm > 0)) {
        final = temp > 0 ? "452 4.2.2 Mailbox full"
                         : "552 5.2.2 Message too large for the mailbox quota";
        sm_abort_all(s);
    }
    /* the queue first: if it fails, no local copy is kept without it */
    if (final == NULL && s->qsub != NULL) {
        if (sm_commit_queue(s, qid) != PL_OK) {
            qreply = "451 4.3.0 Local error while queueing the message";
            if (!s->lmtp)
                final = qreply;
            bad++;
        } else {
            okn++;
        }
    }
    for (i = 0; final == NULL && i < s->nrcpt; i++) {
        r = &s->rcpt[i];
        if (r->dup || r->d == NULL)
            continue;
        rc = st_deliver_commit(r->d, mid);
        r->d = NULL;
        if (rc != PL_OK) {
            r->reply = "451 4.3.0 Local error while storing the message";
            bad++;
            continue;
        }
        r->reply = "250 2.0.0 Ok: delivered";
        okn++;
        au_pend_add(s->env->pend, s->env->db, r->user, r->domain, 1,
                    size + r->hsize);
    }
    if (final == NULL && qid[0] != '\0') {
        ut_strlcpy(okq, "250 2.0.0 Ok: queued as ", sizeof okq);
        ut_strlcat(okq, qid, sizeof okq);
    }
    if (final == NULL)
        final = bad > 0 ? "451 4.3.0 Local error while storing the message"
                : qid[0] != '\0' ? okq : "250 2.0.0 Ok: delivered";
    sm_log_msg(s, id, qid, size, s->lmtp && okn > 0 &&
               bad + temp + perm > 0 ? "partial (LMTP)" : final);
    rc = PL_OK;
    if (s->lmtp) {
        for (i = 0; rc == PL_OK && i < s->nrc; i++)
            rc = sm_reply(s, sm_rc_reply(s, i, qreply, final));
    } else {
        rc = sm_reply(s, final);
    }
    if (okn > 0) {
        s->msgs++;
        s->done.messages++;
        s->done.octets += size;
        s->done.recipients += (pl_u64)okn;
    }
    s->rcpts_total += s->nrc;
    sm_txn_reset(s);
    return rc == PL_OK ? SM_R_OK : PL_EIO;
}

/* Count an error; past the limit: 421 and close.  The pause grows with
 * each error past half the limit (Postfix soft/hard error limits). */
static int sm_error(sm_sess *s)
{
    pl_i64 max = cf_int(s->env->cfg, "smtp.max_errors");
    pl_i64 delay = cf_duration(s->env->cfg, "smtp.error_delay");
    pl_i64 over;

    s->errors++;
    if (s->errors > max) {
        s->result = "too many errors";
        sm_reply(s, "421 4.7.0 Too many errors, closing connection");
        return SM_R_CLOSE;
    }
    over = s->errors - max / 2;
    if (over > 0 && delay > 0) {
        nt_conn_flush(s->c);
        pl_sleep_ms((pl_i32)(over * delay * 1000 > 60000
                             ? 60000 : over * delay * 1000));
    }
    return SM_R_OK;
}

/* Run one command line. */
static int sm_dispatch(sm_sess *s, char *line, size_t len, int *last)
{
    const sm_cmd *cmd;
    size_t v = 0, i;
    char *arg;
    int rc;

    *last = 0;
    for (i = 0; i < len; i++)
        if ((unsigned char)line[i] < 32 || (unsigned char)line[i] == 127)
            return sm_reply(s, "501 5.5.2 Invalid character in command")
                   == PL_OK ? SM_R_ERR : PL_EIO;
    while (v < len && line[v] != ' ')
        v++;
    cmd = sm_cmd_find(line, v);
    if (cmd != NULL && (cmd->flags & (s->lmtp ? SM_C_NOLMTP : SM_C_LMTP)))
        cmd = NULL;
    if (cmd == NULL)
        return sm_reply(s, "500 5.5.2 Command not recognized") == PL_OK
               ? SM_R_ERR : PL_EIO;
    if (len > UT_SMTP_CMD_MAX - 2 && strcmp(cmd->name, "AUTH") != 0)
        return sm_reply(s, "500 5.5.2 Line too long") == PL_OK ? SM_R_ERR
                                                               : PL_EIO;
    *last = (cmd->flags & SM_C_LAST) != 0;
    if (cf_bool(s->env->cfg, "smtp.require_tls") && !s->tls &&
        !s->lmtp && (cmd->flags & SM_C_PRE_TLS) == 0)
        return sm_reply(s, "530 5.7.0 Must issue a STARTTLS command first")
               == PL_OK ? SM_R_ERR : PL_EIO;
    if ((cmd->states & s->state) == 0)
        return sm_reply(s, s->state == SM_ST_CONNECT
                        ? "503 5.5.1 Send HELO/EHLO first"
                        : "503 5.5.1 Bad sequence of commands") == PL_OK
               ? SM_R_ERR : PL_EIO;
    if ((cmd->flags & SM_C_LIMIT) != 0 &&
        ++s->junk > cf_int(s->env->cfg, "smtp.max_junk")) {
        rc = sm_error(s);
        if (rc != SM_R_OK)
            return rc;
    }
    arg = line + v;
    if (*arg == ' ')
        arg++;
    return cmd->fn(s, arg);
}

static int sm_loop(sm_sess *s)
{
    char *line;
    size_t len;
    int flags, rc, last = 0;

    for (;;) {
        if (last || sm_pending(s) == 0) {
            rc = nt_conn_flush(s->c);
            if (rc != PL_OK) {
                s->result = "write failed";
                return rc;
            }
        }
        sm_line_begin(s);
        rc = lr_get_line(s->lr, &line, &len, &flags);
        if (rc == PL_ETIMEDOUT) {
            int slow = s->line_start != 0 && pl_time_mono_ms() >=
                       s->line_start + 1000 * cf_duration(s->env->cfg,
                                                   "smtp.command_deadline");

            s->result = slow ? "command deadline" : "idle timeout";
            sm_reply(s, slow
                     ? "421 4.4.2 Command line too slow (timeout), closing"
                     : "421 4.4.2 Timeout exceeded, closing");
            return rc;
        }
        if (rc == PL_EOF) {
            s->result = "disconnected";
            return rc;
        }
        if (rc != PL_OK) {
            s->result = "read failed";
            return rc;
        }
        last = 0;
        if ((flags & LR_TOOLONG) != 0)
            rc = sm_reply(s, "500 5.5.2 Line too long") == PL_OK ? SM_R_ERR
                                                                 : PL_EIO;
        else if ((flags & (LR_NUL | LR_BARE_CR)) != 0)
            rc = sm_reply(s, "501 5.5.2 Invalid character in command")
                 == PL_OK ? SM_R_ERR : PL_EIO;
        else
            rc = sm_dispatch(s, line, len, &last);
        if (rc == SM_R_ERR)
            rc = sm_error(s);
        if (rc == SM_R_OK)
            continue;
        if (rc == SM_R_QUIT)
            return PL_OK;
        if (rc == SM_R_CLOSE)
            return PL_EINTR;
        if (s->result == NULL)
            s->result = "write failed";
        return rc;
    }
}

static void sm_log_session(sm_sess *s, pl_i64 t0)
{
    char ver[32], ciph[80], ms[24];
    pl_i64 dt = pl_time_mono_ms() - t0;

    ver[0] = ciph[0] = '\0';
    if (s->tls)
        nt_conn_tls_info(s->c, ver, sizeof ver, ciph, sizeof ciph);
    ut_u64_to_dec(ms, (pl_u64)(dt < 0 ? 0 : dt));
    ut_log(PL_LOG_INFO, PL_LOGCAT_MAIL,
           "%s session peer=%s helo=%s user=%s mech=%s tls=%s%s%s msgs=%d "
           "rcpts=%d errors=%d ms=%s result=%s",
           s->lmtp ? "lmtp" : "smtp", s->peer,
           s->helo[0] ? s->helo : "-", s->auth ? s->auth_addr : "-",
           s->mech != NULL ? s->mech : "-",
           s->tls ? (ver[0] != '\0' ? ver : "yes") : "no",
           s->tls && ciph[0] != '\0' ? "/" : "", s->tls ? ciph : "",
           s->msgs, s->rcpts_total,
           s->errors, ms, s->result != NULL ? s->result : "quit");
}

/* Input before the greeting: 554 and close (1), or nothing (0). */
static int sm_early(sm_sess *s)
{
    char b;
    size_t got = 0;
    pl_i64 w = cf_duration(s->env->cfg, "smtp.pregreet_wait");

    lr_set_timeout(s->lr, (pl_i32)(w * 1000));
    if (lr_read_raw(s->lr, &b, 1, &got) != PL_OK)
        return 0;
    s->result = "early talker";
    sm_reply(s, "554 5.5.1 Protocol error: input before the greeting");
    return 1;
}

int sm_session(const sm_env *env, nt_conn *c)
{
    sm_sess s;
    pl_i64 t0 = pl_time_mono_ms();
    pl_i64 idle;
    char greet[300];
    int rc;

    memset(&s, 0, sizeof s);
    s.env = env;
    s.c = c;
    s.state = SM_ST_CONNECT;
    s.lmtp = env->service == SM_SVC_LMTP;
    s.tls = env->implicit_tls || nt_conn_is_tls(c);
    sm_token(nt_conn_peer(c), ".:", s.peer, sizeof s.peer);
    s.max_rcpt = (int)cf_int(env->cfg, "smtp.max_recipients");
    s.pb = (char *)malloc(SM_PUSHBACK);
    s.lr = lr_new(UT_SMTP_AUTH_LINE_MAX, LR_POLICY_LENIENT, sm_src, &s);
    if (s.pb == NULL || s.lr == NULL) {
        s.result = "out of memory";
        sm_reply(&s, "421 4.3.0 Service not available, closing");
        nt_conn_flush(c);
        rc = PL_ENOMEM;
    } else if (sm_early(&s)) {
        nt_conn_flush(c);
        rc = PL_EINTR;
    } else {
        idle = cf_duration(env->cfg, "smtp.idle_timeout");
        lr_set_timeout(s.lr, (pl_i32)(idle * 1000));
        nt_conn_set_write_timeout(c, (pl_i32)(idle * 1000));
        ut_strlcpy(greet, "220 ", sizeof greet);
        ut_strlcat(greet, sm_hostname(&s), sizeof greet);
        ut_strlcat(greet, s.lmtp ? " LMTP" : " ESMTP", sizeof greet);
        ut_strlcat(greet, " newmail ready", sizeof greet);
        rc = sm_reply(&s, greet);
        if (rc == PL_OK)
            rc = sm_loop(&s);
        else
            s.result = "write failed";
        nt_conn_flush(c);
    }
    sm_txn_reset(&s);
    sm_log_session(&s, t0);
    if (env->tally != NULL)
        *env->tally = s.done;
    lr_free(s.lr);
    if (s.pb != NULL)
        ut_wipe(s.pb, SM_PUSHBACK);
    free(s.pb);
    free(s.rcpt);
    free(s.rem);
    free(s.tg);
    return rc;
}
