/*
 * sc_client.c - sc_deliver: one SMTP transaction with one host (sc.h).
 *
 * The session: connect to the address literal, greeting, EHLO (HELO when
 * EHLO gets a 5xx), STARTTLS per policy (the reader's buffer is emptied
 * after the 220, so bytes a peer pushed behind it are never read as
 * replies: attack B7; then EHLO again inside TLS), AUTH PLAIN or LOGIN
 * inside TLS only, the policy checks that need the peer's extensions
 * (SMTPUTF8, 8BITMIME, SIZE), MAIL / RCPT / DATA (pipelined in groups of
 * at most SC_OUT_MAX octets when PIPELINING is offered, one at a time
 * otherwise), the body dot-stuffed, QUIT.  Which failures are permanent
 * for the message and which send the caller on to its next host is the
 * table in doc/outbound.md, "The SMTP client".
 * Limits: memory is one sc_sess (fixed buffers) plus one octet per
 * recipient; every wait is bounded by the policy's stage timeouts (a
 * reply by one deadline for all its lines, so a dripping peer cannot
 * stretch it); replies are bounded by sc_reply.c.
 * Privilege: none.  The AUTH secret lives in this session's buffers only
 * and they are wiped before they are freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sc_int.h"
#include "tl_tls.h"
#include "qu.h"
#include "ut_str.h"
#include "ut_code.h"

/* Output buffer: commands are corked here and one pipelined group never
 * exceeds it; big enough for ~500 ordinary RCPT commands in one write. */
#define SC_OUT_MAX  32768
/* A command line: MAIL with an ENVID of QU_XTEXT_MAX octets as xtext
 * (3 x 500), a 256-octet path and the other parameters. */
#define SC_CMD_MAX  2300
/* Message file octets read per pl_file_read. */
#define SC_READ_MAX 8192
/* RFC 4954 AUTH credentials we accept from the policy: SASL names and
 * passwords beyond this are configuration mistakes. */
#define SC_CRED_MAX 255
/* QUIT is a courtesy: a peer that does not answer gets this long. */
#define SC_QUIT_MS  5000

typedef struct sc_sess {
    const sc_policy *p;
    const char *host;        /* host_name */
    sc_msg *m;
    sc_result *r;
    pl_sock *s;
    tl_ctx *tctx;
    tl_conn *tls;
    lr_reader *lr;
    sc_ext ext;
    int esmtp;               /* EHLO accepted */
    int dead;                /* no more I/O: broken, or 421 seen */
    int naccepted;           /* recipients accepted at RCPT */
    int local_err;           /* reading m->data failed: that PL_E* */
    unsigned char *acc;      /* per recipient: 1 when accepted at RCPT */
    size_t olen;
    sc_reply rp;
    char cmd[SC_CMD_MAX];
    unsigned char out[SC_OUT_MAX];
    unsigned char fbuf[SC_READ_MAX];
    unsigned char dbuf[SC_DOT_OUT(SC_READ_MAX)];
} sc_sess;

/* ---------------- results ---------------- */

static void sc_stop(sc_sess *ss, int code, int perm, const char *status)
{
    ss->r->code = code;
    ss->r->perm = perm;
    (void)ut_strlcpy(ss->r->status, "", sizeof ss->r->status);
    (void)sc_sanitize_cat(ss->r->status, sizeof ss->r->status, status,
                          strlen(status));
}

/* Stop with an error of ours: "4.4.2 timeout ... host[addr]:port". */
static void sc_stopf(sc_sess *ss, int code, int perm, const char *enh,
                     const char *what, const char *detail)
{
    char buf[SC_STATUS_MAX];

    /* cut, never refused: a status is for people */
    (void)ut_strlcpy(buf, enh, sizeof buf);
    (void)ut_strlcat(buf, " ", sizeof buf);
    (void)ut_strlcat(buf, what, sizeof buf);
    (void)ut_strlcat(buf, " ", sizeof buf);
    (void)ut_strlcat(buf, ss->r->remote, sizeof buf);
    if (detail[0] != '\0') {
        (void)ut_strlcat(buf, ": ", sizeof buf);
        (void)ut_strlcat(buf, detail, sizeof buf);
    }
    sc_stop(ss, code, perm, buf);
}

/* Stop with the peer's reply. */
static void sc_stop_reply(sc_sess *ss, int perm)
{
    sc_stop(ss, ss->rp.code, perm, ss->rp.text);
    if (ss->rp.code == 421)
        ss->dead = 1;   /* the server is closing: no QUIT */
}

/* An I/O failure while sending `what` (reading = 0) or reading the reply
 * to it ("the greeting" has no command). */
static void sc_io_fail(sc_sess *ss, int rc, int reading, const char *what)
{
    char w[96];

    ss->dead = 1;
    if (!reading)
        (void)snprintf(w, sizeof w, "sending %s to", what);
    else if (strcmp(what, "the greeting") == 0)
        (void)snprintf(w, sizeof w, "waiting for the greeting from");
    else
        (void)snprintf(w, sizeof w, "%s the reply to %s from",
                       rc == PL_EINVAL || rc == PL_ERANGE ? "in" :
                       "waiting for", what);
    if (rc == PL_ETIMEDOUT) {
        sc_stopf(ss, SC_E_TIMEOUT, 0, "4.4.2 timeout", w, "");
    } else if (reading && (rc == PL_EINVAL || rc == PL_ERANGE)) {
        sc_stopf(ss, SC_E_PROTOCOL, 0, rc == PL_EINVAL ?
                 "4.5.0 malformed line" : "4.5.0 line or reply too long",
                 w, "");
    } else {
        sc_stopf(ss, SC_E_LOST, 0, "4.4.2 connection lost", w,
                 pl_strerror(rc));
    }
}

/* ---------------- I/O ---------------- */

/* lr_source_fn: the socket, or TLS once it is up. */
static int sc_src(void *ctx, void *buf, size_t n, pl_i32 timeout_ms,
                  size_t *got)
{
    sc_sess *ss = (sc_sess *)ctx;

    if (ss->tls != NULL)
        return tl_read(ss->tls, buf, n, timeout_ms, got);
    return pl_sock_read(ss->s, buf, n, timeout_ms, got);
}

static int sc_flush(sc_sess *ss, pl_i32 ms, const char *what)
{
    int rc;

    if (ss->olen == 0)
        return PL_OK;
    if (ss->tls != NULL)
        rc = tl_write(ss->tls, ss->out, ss->olen, ms);
    else
        rc = pl_sock_write(ss->s, ss->out, ss->olen, ms);
    ut_wipe(ss->out, ss->olen);   /* it may have held AUTH secrets */
    ss->olen = 0;
    if (rc != PL_OK)
        sc_io_fail(ss, rc, 0, what);
    return rc;
}

/* Cork n octets; a full buffer is sent within ms. */
static int sc_out(sc_sess *ss, const void *buf, size_t n, pl_i32 ms,
                  const char *what)
{
    const unsigned char *p = (const unsigned char *)buf;

    while (n > 0) {
        size_t k = SC_OUT_MAX - ss->olen;

        if (k > n)
            k = n;
        memcpy(ss->out + ss->olen, p, k);
        ss->olen += k;
        p += k;
        n -= k;
        if (ss->olen == SC_OUT_MAX) {
            int rc = sc_flush(ss, ms, what);

            if (rc != PL_OK)
                return rc;
        }
    }
    return PL_OK;
}

/* Send one command line now (cmd without CRLF). */
static int sc_cmd(sc_sess *ss, const char *cmd, const char *what)
{
    int rc = sc_out(ss, cmd, strlen(cmd), ss->p->command_ms, what);

    if (rc == PL_OK)
        rc = sc_out(ss, "\r\n", 2, ss->p->command_ms, what);
    if (rc == PL_OK)
        rc = sc_flush(ss, ss->p->command_ms, what);
    return rc;
}

/* Read one reply into ss->rp within ms (one deadline for all its lines). */
static int sc_get(sc_sess *ss, pl_i32 ms, sc_ext *ext, const char *what)
{
    int rc;

    lr_set_timeout(ss->lr, ms);
    lr_set_deadline(ss->lr, pl_time_mono_ms() + ms);
    rc = sc_reply_read(ss->lr, &ss->rp, ext);
    if (rc != PL_OK)
        sc_io_fail(ss, rc, 1, what);
    return rc;
}

/* ---------------- session stages ---------------- */

static int sc_connect(sc_sess *ss, const char *addr, int port)
{
    char ps[8];
    int rc;

    (void)snprintf(ps, sizeof ps, "%d", port);
    rc = pl_sock_connect(addr, ps, ss->p->connect_ms, &ss->s);
    if (rc != PL_OK) {
        ss->dead = 1;
        sc_stopf(ss, SC_E_CONNECT, 0, "4.4.1", "connect to", pl_strerror(rc));
        return rc;
    }
    ss->lr = lr_new(SC_LINE_MAX, LR_POLICY_LENIENT, sc_src, ss);
    if (ss->lr == NULL) {
        ss->dead = 1;
        ss->local_err = PL_ENOMEM;
        sc_stopf(ss, SC_E_LOST, 0, "4.3.0", "out of memory for", "");
        return PL_ENOMEM;
    }
    return PL_OK;
}

/* A refusing greeting is the host's business, not the message's: like
 * Postfix with smtp_skip_5xx_greeting, a 5xx here sends the caller on to
 * the next host (perm 0). */
static int sc_greeting(sc_sess *ss)
{
    int rc = sc_get(ss, ss->p->greeting_ms, NULL, "the greeting");

    if (rc != PL_OK)
        return rc;
    if (ss->rp.code / 100 != 2) {
        sc_stop_reply(ss, 0);
        return PL_ERR;
    }
    return PL_OK;
}

/* EHLO, or HELO when EHLO gets a 5xx.  A refusal of both is, like the
 * greeting, a refusal by this host (perm 0). */
static int sc_hello(sc_sess *ss)
{
    int rc;

    memset(&ss->ext, 0, sizeof ss->ext);
    ss->esmtp = 0;
    (void)snprintf(ss->cmd, sizeof ss->cmd, "EHLO %s", ss->p->helo);
    rc = sc_cmd(ss, ss->cmd, "EHLO");
    if (rc == PL_OK)
        rc = sc_get(ss, ss->p->command_ms, &ss->ext, "EHLO");
    if (rc != PL_OK)
        return rc;
    if (ss->rp.code / 100 == 2) {
        ss->esmtp = 1;
        return PL_OK;
    }
    memset(&ss->ext, 0, sizeof ss->ext);
    if (ss->rp.code / 100 != 5) {
        sc_stop_reply(ss, 0);
        return PL_ERR;
    }
    (void)snprintf(ss->cmd, sizeof ss->cmd, "HELO %s", ss->p->helo);
    rc = sc_cmd(ss, ss->cmd, "HELO");
    if (rc == PL_OK)
        rc = sc_get(ss, ss->p->command_ms, NULL, "HELO");
    if (rc != PL_OK)
        return rc;
    if (ss->rp.code / 100 != 2) {
        sc_stop_reply(ss, 0);
        return PL_ERR;
    }
    return PL_OK;
}

/* The handshake after the peer's 220 to STARTTLS. */
static int sc_handshake(sc_sess *ss)
{
    int verify = ss->p->tls == SC_TLS_VERIFY;
    char err[256];
    int rc;

    /* B7: whatever came behind the 220 was sent before the handshake and
     * is not protected by it; it must never be read as a reply */
    lr_discard(ss->lr);
    rc = tl_client_ctx_new(verify ? ss->p->tls_ca : NULL, &ss->tctx, err,
                           sizeof err);
    if (rc == PL_OK)
        rc = tl_connect(ss->tctx, ss->s, ss->host, verify,
                        ss->p->command_ms, &ss->tls, err, sizeof err);
    if (rc != PL_OK) {
        ss->dead = 1;
        ss->tls = NULL;
        sc_stopf(ss, SC_E_TLS, 0, verify ? "4.7.5" : "4.7.0",
                 "TLS handshake failed with", err);
        return rc;
    }
    tl_info(ss->tls, ss->r->tls_version, sizeof ss->r->tls_version,
            ss->r->tls_cipher, sizeof ss->r->tls_cipher);
    return sc_hello(ss);
}

/* STARTTLS as the policy says.  Under SC_TLS_MAY a peer that does not
 * offer it, or refuses it, gets plain text; once the handshake has begun
 * there is no way back on this connection, so a failed one is a failure
 * for this host (perm 0) under every policy. */
static int sc_starttls(sc_sess *ss)
{
    int must = ss->p->tls == SC_TLS_ENCRYPT || ss->p->tls == SC_TLS_VERIFY;
    int rc;

    if (ss->p->tls == SC_TLS_NONE)
        return PL_OK;
    if (!ss->esmtp || (ss->ext.flags & SC_X_STARTTLS) == 0) {
        if (!must)
            return PL_OK;
        sc_stopf(ss, SC_E_TLS, 0, "4.7.4",
                 "TLS is required, but was not offered by", "");
        return PL_ERR;
    }
    rc = sc_cmd(ss, "STARTTLS", "STARTTLS");
    if (rc == PL_OK)
        rc = sc_get(ss, ss->p->command_ms, NULL, "STARTTLS");
    if (rc != PL_OK)
        return rc;
    if (ss->rp.code == 220)
        return sc_handshake(ss);
    if (ss->rp.code == 421 || must) {
        if (ss->rp.code == 421)
            sc_stop_reply(ss, 0);
        else
            sc_stopf(ss, SC_E_TLS, 0, "4.7.4", "TLS is required, but was "
                     "refused by", ss->rp.text);
        return PL_ERR;
    }
    return PL_OK;
}

/* Send the base64 of n octets of p, as a line of its own or after
 * "prefix ". */
static int sc_send_b64(sc_sess *ss, const char *prefix, const void *p,
                       size_t n)
{
    char b64[SC_CMD_MAX];
    size_t k = 0;
    int rc;

    ss->cmd[0] = '\0';
    if (prefix != NULL)
        (void)snprintf(ss->cmd, sizeof ss->cmd, "%s ", prefix);
    k = strlen(ss->cmd);
    rc = ut_b64_encode(p, n, b64, sizeof b64, NULL);
    if (rc == PL_OK)
        rc = ut_strlcat(ss->cmd, b64, sizeof ss->cmd);
    ut_wipe(b64, sizeof b64);
    if (rc == PL_OK)
        rc = sc_cmd(ss, ss->cmd, "AUTH");
    ut_wipe(ss->cmd + k, sizeof ss->cmd - k);
    return rc;
}

/* One AUTH step: send, read, and check the expected code. */
static int sc_auth_step(sc_sess *ss, const char *prefix, const void *p,
                        size_t n, int want)
{
    int rc;

    if (p == NULL)
        rc = sc_cmd(ss, prefix, "AUTH");
    else
        rc = sc_send_b64(ss, prefix, p, n);
    if (rc == PL_OK)
        rc = sc_get(ss, ss->p->command_ms, NULL, "AUTH");
    if (rc != PL_OK)
        return rc;
    if (ss->rp.code != want) {
        /* like Postfix's smtp_sasl_auth_soft_bounce: a refused login is
         * our configuration's problem, never the message's */
        sc_stop_reply(ss, 0);
        return PL_ERR;
    }
    return PL_OK;
}

static int sc_auth(sc_sess *ss)
{
    const char *u = ss->p->auth_user, *pw = ss->p->auth_pass;
    unsigned char cred[2 * SC_CRED_MAX + 2];
    size_t ul, pl;
    int rc;

    if (u == NULL || u[0] == '\0')
        return PL_OK;
    if (ss->tls == NULL) {
        sc_stopf(ss, SC_E_TLS, 0, "4.7.0", "not sending AUTH without TLS "
                 "to", "");
        return PL_ERR;
    }
    /* a relay that offers no mechanism we know may accept us by address
     * (Postfix sends without AUTH then, too) */
    if ((ss->ext.auth & (SC_M_PLAIN | SC_M_LOGIN)) == 0)
        return PL_OK;
    ul = strlen(u);
    pl = pw != NULL ? strlen(pw) : 0;
    if ((ss->ext.auth & SC_M_PLAIN) != 0) {
        cred[0] = '\0';
        memcpy(cred + 1, u, ul);
        cred[1 + ul] = '\0';
        if (pl > 0)
            memcpy(cred + 2 + ul, pw, pl);
        rc = sc_auth_step(ss, "AUTH PLAIN", cred, 2 + ul + pl, 235);
    } else {
        rc = sc_auth_step(ss, "AUTH LOGIN", NULL, 0, 334);
        if (rc == PL_OK)
            rc = sc_auth_step(ss, NULL, u, ul, 334);
        if (rc == PL_OK)
            rc = sc_auth_step(ss, NULL, pw != NULL ? pw : "", pl, 235);
    }
    ut_wipe(cred, sizeof cred);
    return rc;
}

/* What the message needs that the peer must offer (checked before MAIL,
 * so nothing is sent that must fail).  These are permanent: the message
 * itself can never pass this host. */
static int sc_needs(sc_sess *ss)
{
    char buf[SC_STATUS_MAX], n1[24], n2[24];

    if (ss->m->smtputf8 && (ss->ext.flags & SC_X_SMTPUTF8) == 0) {
        sc_stopf(ss, 553, 1, "553 5.6.7", "SMTPUTF8 is required, but was "
                 "not offered by", "");
        return PL_ERR;
    }
    if (ss->m->body == QU_BODY_8BIT &&
        (ss->ext.flags & SC_X_8BITMIME) == 0 &&
        ss->p->eightbit == SC_8BIT_BOUNCE) {
        sc_stopf(ss, 554, 1, "554 5.6.3", "8-bit message, and 8BITMIME is "
                 "not offered by", "");
        return PL_ERR;
    }
    if ((ss->ext.flags & SC_X_SIZE) != 0 && ss->ext.size > 0 &&
        ss->m->size > ss->ext.size) {
        (void)ut_u64_to_dec(n1, ss->m->size);
        (void)ut_u64_to_dec(n2, ss->ext.size);
        (void)snprintf(buf, sizeof buf, "552 5.3.4 message size %s exceeds "
                       "the limit of %s octets of %s", n1, n2,
                       ss->r->remote);
        sc_stop(ss, 552, 1, buf);
        return PL_ERR;
    }
    return PL_OK;
}

/* ---------------- the transaction ---------------- */

/* " KEY=" and the xtext of n octets of v onto ss->cmd. */
static int sc_add_xtext(sc_sess *ss, const char *key, const char *v,
                        size_t n)
{
    char x[3 * QU_XTEXT_MAX + 1];

    if (sc_xtext(v, n, x, sizeof x) != PL_OK)
        return PL_ERANGE;
    (void)ut_strlcat(ss->cmd, key, sizeof ss->cmd);
    return ut_strlcat(ss->cmd, x, sizeof ss->cmd);
}

static int sc_mail_cmd(sc_sess *ss)
{
    const sc_msg *m = ss->m;
    char n[24];
    int rc = PL_OK;

    (void)snprintf(ss->cmd, sizeof ss->cmd, "MAIL FROM:<%s>", m->from);
    if ((ss->ext.flags & SC_X_SIZE) != 0) {
        (void)ut_u64_to_dec(n, m->size);
        (void)ut_strlcat(ss->cmd, " SIZE=", sizeof ss->cmd);
        (void)ut_strlcat(ss->cmd, n, sizeof ss->cmd);
    }
    if (m->body == QU_BODY_8BIT && (ss->ext.flags & SC_X_8BITMIME) != 0)
        (void)ut_strlcat(ss->cmd, " BODY=8BITMIME", sizeof ss->cmd);
    if (m->smtputf8)
        (void)ut_strlcat(ss->cmd, " SMTPUTF8", sizeof ss->cmd);
    if ((ss->ext.flags & SC_X_DSN) == 0)
        return PL_OK;
    if (m->ret == QU_RET_FULL)
        (void)ut_strlcat(ss->cmd, " RET=FULL", sizeof ss->cmd);
    else if (m->ret == QU_RET_HDRS)
        (void)ut_strlcat(ss->cmd, " RET=HDRS", sizeof ss->cmd);
    if (m->envid != NULL && m->envid[0] != '\0')
        rc = sc_add_xtext(ss, " ENVID=", m->envid, strlen(m->envid));
    return rc;
}

static int sc_rcpt_cmd(sc_sess *ss, int i)
{
    const sc_rcpt *t = &ss->m->rcpt[i];
    const char *semi;
    int nf = t->notify;

    (void)snprintf(ss->cmd, sizeof ss->cmd, "RCPT TO:<%s>", t->addr);
    if ((ss->ext.flags & SC_X_DSN) == 0)
        return PL_OK;
    if ((nf & QU_N_NEVER) != 0) {
        (void)ut_strlcat(ss->cmd, " NOTIFY=NEVER", sizeof ss->cmd);
    } else if (nf != 0) {
        (void)ut_strlcat(ss->cmd, " NOTIFY=", sizeof ss->cmd);
        if ((nf & QU_N_SUCCESS) != 0)
            (void)ut_strlcat(ss->cmd, "SUCCESS,", sizeof ss->cmd);
        if ((nf & QU_N_FAILURE) != 0)
            (void)ut_strlcat(ss->cmd, "FAILURE,", sizeof ss->cmd);
        if ((nf & QU_N_DELAY) != 0)
            (void)ut_strlcat(ss->cmd, "DELAY,", sizeof ss->cmd);
        ss->cmd[strlen(ss->cmd) - 1] = '\0';   /* the last comma */
    }
    semi = t->orcpt != NULL ? strchr(t->orcpt, ';') : NULL;
    if (semi == NULL || semi == t->orcpt)
        return PL_OK;   /* no "type;" part: not an ORCPT we can pass on */
    (void)ut_strlcat(ss->cmd, " ORCPT=", sizeof ss->cmd);
    if ((size_t)(semi - t->orcpt) + 1 + strlen(ss->cmd) >= sizeof ss->cmd)
        return PL_ERANGE;
    (void)strncat(ss->cmd, t->orcpt, (size_t)(semi - t->orcpt));
    return sc_add_xtext(ss, ";", semi + 1, strlen(semi + 1));
}

/* Build command k of the transaction into ss->cmd: -1 MAIL, 0..n-1 RCPT,
 * n DATA. */
static int sc_build(sc_sess *ss, int k)
{
    if (k < 0)
        return sc_mail_cmd(ss);
    if (k < ss->m->nrcpt)
        return sc_rcpt_cmd(ss, k);
    (void)ut_strlcpy(ss->cmd, "DATA", sizeof ss->cmd);
    return PL_OK;
}

/* The body after 354: dot-stuffed, then the reply to the final dot.
 * A local read error abandons the transaction before its end (the peer
 * then discards what it got). */
static int sc_body(sc_sess *ss)
{
    sc_dot d;
    size_t got, k;
    int rc, i;

    sc_dot_init(&d);
    rc = pl_file_seek(ss->m->data, 0);
    for (;;) {
        if (rc == PL_OK)
            rc = pl_file_read(ss->m->data, ss->fbuf, sizeof ss->fbuf, &got);
        if (rc != PL_OK) {
            ss->dead = 1;
            sc_stopf(ss, SC_E_LOST, 0, "4.3.0", "error reading the queued "
                     "message for", pl_strerror(rc));
            ss->local_err = rc;
            return rc;
        }
        if (got == 0)
            break;
        sc_dot_put(&d, ss->fbuf, got, ss->dbuf, &k);
        if (sc_out(ss, ss->dbuf, k, ss->p->data_block_ms, "the message") !=
            PL_OK)
            return PL_OK;   /* ss->r says why */
    }
    sc_dot_end(&d, ss->dbuf, &k);
    if (sc_out(ss, ss->dbuf, k, ss->p->data_block_ms, "the message") !=
        PL_OK ||
        sc_flush(ss, ss->p->data_block_ms, "the message") != PL_OK ||
        sc_get(ss, ss->p->data_done_ms, NULL, "the end of data") != PL_OK)
        return PL_OK;   /* ss->r says why */
    for (i = 0; i < ss->m->nrcpt; i++) {
        if (!ss->acc[i])
            continue;
        ss->m->rcpt[i].code = ss->rp.code;
        (void)ut_strlcpy(ss->m->rcpt[i].status, ss->rp.text,
                         sizeof ss->m->rcpt[i].status);
    }
    sc_stop(ss, 0, 0, ss->rp.text);
    if (ss->rp.code == 421)
        ss->dead = 1;
    return PL_OK;
}

/* Every recipient has its own refusal: the transaction ran (code 0). */
static void sc_none_accepted(sc_sess *ss)
{
    char buf[SC_STATUS_MAX];

    (void)snprintf(buf, sizeof buf, "every recipient was refused by %s",
                   ss->r->remote);
    sc_stop(ss, 0, 0, buf);
}

/* A 354 with no recipient accepted (a server that ignores RFC 2920 3.1):
 * end the empty message at once so the session stays in step. */
static void sc_empty_data(sc_sess *ss)
{
    if (sc_out(ss, ".\r\n", 3, ss->p->data_block_ms, "commands") ==
        PL_OK && sc_flush(ss, ss->p->data_block_ms, "commands") == PL_OK)
        (void)sc_get(ss, ss->p->data_done_ms, NULL, "the end of data");
}

/* The reply to command k.  Returns PL_OK to go on, PL_ERR when the
 * transaction is over (ss->r says why), 1 when DATA got its 354. */
static int sc_on_reply(sc_sess *ss, int k, int *mail_bad)
{
    int c = ss->rp.code;

    if (k < 0) {
        if (c / 100 != 2)
            *mail_bad = 1;
        return PL_OK;
    }
    if (*mail_bad)
        return PL_OK;   /* replies to a transaction that never began */
    if (c == 421) {
        sc_stop_reply(ss, 0);
        return PL_ERR;
    }
    if (k < ss->m->nrcpt) {
        if (c / 100 == 2) {
            ss->acc[k] = 1;
            ss->naccepted++;
        } else {
            ss->m->rcpt[k].code = c;
            (void)ut_strlcpy(ss->m->rcpt[k].status, ss->rp.text,
                             sizeof ss->m->rcpt[k].status);
        }
        return PL_OK;
    }
    if (c == 354)
        return 1;
    if (ss->naccepted > 0)
        sc_stop_reply(ss, c / 100 == 5);
    else
        sc_none_accepted(ss);
    return PL_ERR;
}

/* Read the replies to commands first..last-1 in order. */
static int sc_replies(sc_sess *ss, int first, int last, int *mail_bad,
                      sc_reply *mail_rp)
{
    int k, rc = PL_OK;

    for (k = first; k < last && rc == PL_OK; k++) {
        int st = sc_get(ss, k == ss->m->nrcpt ? ss->p->data_init_ms
                        : ss->p->command_ms, NULL, k < 0 ? "MAIL"
                        : k < ss->m->nrcpt ? "RCPT" : "DATA");

        if (st != PL_OK)
            return *mail_bad ? PL_ERR : st;
        if (k < 0)
            *mail_rp = ss->rp;
        rc = sc_on_reply(ss, k, mail_bad);
    }
    return rc;
}

/* Queue commands from *next on as one group (all of them with
 * PIPELINING, else one) and send it. */
static int sc_group(sc_sess *ss, int *next)
{
    int n = ss->m->nrcpt;
    int first = *next;
    size_t cl;

    while (*next <= n) {
        if (sc_build(ss, *next) != PL_OK) {
            sc_stopf(ss, SC_E_PROTOCOL, 1, "5.5.2 command too long",
                     "for", "");
            return PL_ERR;
        }
        cl = strlen(ss->cmd) + 2;
        if (*next > first && ss->olen + cl > SC_OUT_MAX)
            break;
        (void)ut_strlcat(ss->cmd, "\r\n", sizeof ss->cmd);
        if (sc_out(ss, ss->cmd, cl, ss->p->command_ms, "commands") !=
            PL_OK)
            return PL_ERR;
        (*next)++;
        if ((ss->ext.flags & SC_X_PIPELINING) == 0)
            break;
    }
    return sc_flush(ss, ss->p->command_ms, "commands") == PL_OK
           ? PL_OK : PL_ERR;
}

static int sc_transaction(sc_sess *ss)
{
    int next = -1, first, rc = PL_OK, mail_bad = 0;
    int n = ss->m->nrcpt;
    sc_reply mail_rp;

    memset(&mail_rp, 0, sizeof mail_rp);
    while (next <= n) {
        if (next == n && ss->naccepted == 0 &&
            (ss->ext.flags & SC_X_PIPELINING) == 0)
            break;   /* no DATA without a recipient */
        first = next;
        if (sc_group(ss, &next) != PL_OK)
            return PL_OK;
        rc = sc_replies(ss, first, next, &mail_bad, &mail_rp);
        if (mail_bad) {
            ss->rp = mail_rp;
            sc_stop_reply(ss, mail_rp.code / 100 == 5);
            return PL_OK;
        }
        if (rc == 1 && ss->naccepted > 0)
            return sc_body(ss);
        if (rc == 1) {
            sc_empty_data(ss);
            sc_none_accepted(ss);
        }
        if (rc != PL_OK)
            return PL_OK;
    }
    sc_none_accepted(ss);
    return PL_OK;
}

static void sc_quit(sc_sess *ss)
{
    pl_i32 ms = ss->p->command_ms < SC_QUIT_MS ? ss->p->command_ms
                : SC_QUIT_MS;
    sc_result keep = *ss->r;

    if (ss->dead || ss->s == NULL)
        return;
    ss->olen = 0;
    if (sc_out(ss, "QUIT\r\n", 6, ms, "QUIT") == PL_OK &&
        sc_flush(ss, ms, "QUIT") == PL_OK) {
        lr_set_timeout(ss->lr, ms);
        lr_set_deadline(ss->lr, pl_time_mono_ms() + ms);
        (void)sc_reply_read(ss->lr, &ss->rp, NULL);
    }
    *ss->r = keep;   /* QUIT never changes the outcome */
}

static int sc_session(sc_sess *ss, const char *addr, int port)
{
    int rc = sc_connect(ss, addr, port);

    if (rc == PL_OK)
        rc = sc_greeting(ss);
    if (rc == PL_OK)
        rc = sc_hello(ss);
    if (rc == PL_OK)
        rc = sc_starttls(ss);
    if (rc == PL_OK)
        rc = sc_auth(ss);
    if (rc == PL_OK)
        rc = sc_needs(ss);
    if (rc == PL_OK)
        rc = sc_transaction(ss);
    sc_quit(ss);
    /* whatever the peer did is in r; only our own read error is not */
    return ss->local_err;
}

/* ---------------- arguments ---------------- */

/* An address literal: IPv4 dotted digits or IPv6 hex and colons; a name
 * would make pl_sock_connect look it up, which is the caller's job. */
static int sc_literal_ok(const char *a)
{
    size_t i, n = strlen(a);
    int colon = 0, hexalpha = 0;

    if (n == 0 || n >= PL_ADDR_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        char c = a[i];

        if (c == ':')
            colon = 1;
        else if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
            hexalpha = 1;
        else if (!((c >= '0' && c <= '9') || c == '.'))
            return 0;
    }
    return colon || !hexalpha;
}

/* Text that goes into a command: 1..max octets, no control octet. */
static int sc_text_ok(const char *s, size_t min, size_t max, int space)
{
    size_t i, n;

    if (s == NULL)
        return 0;
    n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7f || (c == ' ' && !space))
            return 0;
    }
    return 1;
}

static int sc_args_ok(const sc_policy *p, const char *host,
                      const char *addr, int port, const sc_msg *m)
{
    int i;

    if (p == NULL || host == NULL || addr == NULL || m == NULL ||
        port < 1 || port > 65535 || m->data == NULL || m->nrcpt < 1 ||
        m->rcpt == NULL || !sc_literal_ok(addr) ||
        !sc_text_ok(host, 1, PL_HOST_MAX, 0) ||
        !sc_text_ok(p->helo, 1, PL_HOST_MAX, 0) ||
        !sc_text_ok(m->from, 0, QU_ADDR_MAX, 1) ||
        (m->envid != NULL && !sc_text_ok(m->envid, 0, QU_XTEXT_MAX, 1)) ||
        p->tls < SC_TLS_NONE || p->tls > SC_TLS_VERIFY ||
        p->connect_ms <= 0 || p->greeting_ms <= 0 || p->command_ms <= 0 ||
        p->data_init_ms <= 0 || p->data_block_ms <= 0 ||
        p->data_done_ms <= 0)
        return 0;
    if (p->auth_user != NULL && p->auth_user[0] != '\0' &&
        (!sc_text_ok(p->auth_user, 1, SC_CRED_MAX, 1) ||
         (p->auth_pass != NULL && strlen(p->auth_pass) > SC_CRED_MAX)))
        return 0;
    for (i = 0; i < m->nrcpt; i++)
        if (!sc_text_ok(m->rcpt[i].addr, 1, QU_ADDR_MAX, 1) ||
            (m->rcpt[i].orcpt != NULL &&
             !sc_text_ok(m->rcpt[i].orcpt, 0, QU_XTEXT_MAX, 1)))
            return 0;
    return 1;
}

int sc_deliver(const sc_policy *p, const char *host_name, const char *addr,
               int port, sc_msg *m, sc_result *r)
{
    sc_sess *ss;
    char ps[16];
    int i, rc;

    if (r == NULL)
        return PL_EINVAL;
    memset(r, 0, sizeof *r);
    if (!sc_args_ok(p, host_name, addr, port, m))
        return PL_EINVAL;
    (void)snprintf(ps, sizeof ps, "]:%d", port);
    (void)ut_strlcpy(r->remote, host_name, sizeof r->remote);
    (void)ut_strlcat(r->remote, "[", sizeof r->remote);
    (void)ut_strlcat(r->remote, addr, sizeof r->remote);
    (void)ut_strlcat(r->remote, ps, sizeof r->remote);
    for (i = 0; i < m->nrcpt; i++) {
        m->rcpt[i].code = 0;
        m->rcpt[i].status[0] = '\0';
    }
    ss = (sc_sess *)calloc(1, sizeof *ss);
    if (ss != NULL)
        ss->acc = (unsigned char *)calloc((size_t)m->nrcpt, 1);
    if (ss == NULL || ss->acc == NULL) {
        free(ss);
        return PL_ENOMEM;
    }
    ss->p = p;
    ss->host = host_name;
    ss->m = m;
    ss->r = r;
    rc = sc_session(ss, addr, port);
    tl_close(ss->tls);
    pl_sock_close(ss->s);
    lr_free(ss->lr);
    tl_ctx_unref(ss->tctx);
    free(ss->acc);
    ut_wipe(ss, sizeof *ss);
    free(ss);
    return rc;
}
