/*
 * sm_auth.c - STARTTLS (RFC 3207) and AUTH (RFC 4954).
 *
 * STARTTLS: the 220 is flushed, then every buffered plaintext byte (the
 * reader's buffer and the DATA pushback) is discarded before the
 * handshake, so commands injected behind STARTTLS are never run
 * (CVE-2011-0411); afterwards the session is as new: no HELO, no
 * transaction, not authenticated.
 * AUTH: only after EHLO, outside a transaction, once; an initial response
 * ("=" for an empty one); "*" cancels (501); exchange lines up to 12288
 * octets (the reader's size); plaintext mechanisms only under TLS unless
 * smtp.plaintext_auth says otherwise (538 5.7.11); every failure is the
 * same 535 5.7.8 and, with smtp.auth_penalty, the next attempt from the
 * source waits the growing sv_penalty delay.  Decoded client data is
 * wiped after use.
 * Privilege: the service account (reads the account database).
 */
#include <stdlib.h>
#include <string.h>
#include "sm_int.h"
#include "au_sasl.h"
#include "sv_penalty.h"
#include "ut_buf.h"
#include "ut_code.h"
#include "ut_str.h"
#include "ut_log.h"

/* decoded client data: at most 3/4 of an exchange line */
#define SM_SASL_IN ((UT_SMTP_AUTH_LINE_MAX / 4) * 3 + 4)

static int sm_say(sm_sess *s, const char *text, int res)
{
    return sm_reply(s, text) == PL_OK ? res : PL_EIO;
}

int sm_do_starttls(sm_sess *s, char *arg)
{
    pl_i64 t = cf_duration(s->env->cfg, "smtp.tls_handshake_timeout");
    int rc;

    if (arg[0] != '\0')
        return sm_say(s, "501 5.5.4 Syntax: STARTTLS", SM_R_ERR);
    if (s->tls)
        return sm_say(s, "554 5.5.1 TLS already active", SM_R_ERR);
    if (s->env->tls == NULL)
        return sm_say(s, "502 5.5.1 STARTTLS not available", SM_R_ERR);
    if (sm_reply(s, "220 2.0.0 Ready to start TLS") != PL_OK ||
        nt_conn_flush(s->c) != PL_OK)
        return PL_EIO;
    lr_discard(s->lr);
    if (s->pb != NULL)
        ut_wipe(s->pb, s->pb_len);
    s->pb_len = s->pb_pos = 0;
    rc = nt_conn_starttls(s->c, s->env->tls, (pl_i32)(t * 1000));
    if (rc != PL_OK) {
        s->result = "TLS handshake failed";
        return SM_R_CLOSE;
    }
    s->tls = 1;
    sm_txn_reset(s);
    s->state = SM_ST_CONNECT;
    s->helo[0] = '\0';
    s->helo_ok = 0;
    s->esmtp = 0;
    s->auth = 0;
    s->auth_addr[0] = '\0';
    s->mech = NULL;
    return SM_R_OK;
}

/* Send a 334 with base64 of out; read the client's line into in.  PL_OK
 * with *cancel set for "*"; PL_EINVAL (reply sent) for bad base64 or an
 * over-long line; other negative codes end the session. */
static int sm_challenge(sm_sess *s, const ut_buf *out, pl_u8 *in,
                        size_t *inlen, int *cancel)
{
    char *enc, *line;
    size_t en = ut_b64_enc_size(out->len) + 4, len;
    int rc, flags;

    *cancel = 0;
    enc = (char *)malloc(en);
    if (enc == NULL)
        return PL_ENOMEM;
    memcpy(enc, "334 ", 4);
    rc = ut_b64_encode(out->data != NULL ? out->data : "", out->len,
                       enc + 4, en - 4, NULL);
    if (rc == PL_OK)
        rc = sm_reply(s, enc);
    free(enc);
    if (rc == PL_OK)
        rc = nt_conn_flush(s->c);
    if (rc != PL_OK)
        return rc;
    sm_line_begin(s);
    rc = lr_get_line(s->lr, &line, &len, &flags);
    if (rc != PL_OK)
        return rc;
    if ((flags & LR_TOOLONG) != 0) {
        sm_reply(s, "500 5.5.6 Authentication exchange line is too long");
        return PL_EINVAL;
    }
    if (len == 1 && line[0] == '*') {
        *cancel = 1;
        return PL_OK;
    }
    if (ut_b64_decode(line, len, in, SM_SASL_IN, inlen) != PL_OK) {
        ut_wipe(line, len);
        sm_reply(s, "501 5.5.2 Invalid base64 data");
        return PL_EINVAL;
    }
    ut_wipe(line, len);
    return PL_OK;
}

static int sm_auth_run(sm_sess *s, au_sasl *sa, const char *ir, pl_u8 *in)
{
    ut_buf out;
    size_t inlen = 0;
    int has = 0, rc, cancel, res = AU_AUTH_BAD;
    char addr[AU_ADDR_MAX];

    ut_buf_init(&out, 0);
    if (ir != NULL) {
        has = 1;
        if (strcmp(ir, "=") != 0 &&
            ut_b64_decode(ir, strlen(ir), in, SM_SASL_IN, &inlen) != PL_OK) {
            ut_buf_wipe(&out);
            return sm_say(s, "501 5.5.2 Invalid base64 data", SM_R_ERR);
        }
    }
    for (;;) {
        rc = au_sasl_step(sa, in, inlen, has, &out);
        ut_wipe(in, inlen);
        inlen = 0;
        has = 1;
        if (rc < 0) {
            ut_buf_wipe(&out);
            return sm_say(s, "454 4.7.0 Temporary authentication failure",
                          SM_R_OK);
        }
        if (rc == AU_SASL_FAIL)
            break;
        if (rc == AU_SASL_DONE && out.len == 0)
            break;
        /* a challenge, or server-final data (RFC 4954 4: sent in a 334,
         * answered by an empty line) */
        rc = sm_challenge(s, &out, in, &inlen, &cancel);
        if (rc == PL_EINVAL) {
            ut_buf_wipe(&out);
            return SM_R_ERR;
        }
        if (rc != PL_OK) {
            ut_buf_wipe(&out);
            s->result = "disconnected during AUTH";
            return rc;
        }
        if (cancel) {
            ut_buf_wipe(&out);
            return sm_say(s, "501 5.0.0 Authentication cancelled", SM_R_ERR);
        }
        if (au_sasl_result(sa, &res, addr, sizeof addr) == PL_OK)
            break;   /* was DONE: the empty answer is all there is */
    }
    ut_buf_wipe(&out);
    addr[0] = '\0';
    if (au_sasl_result(sa, &res, addr, sizeof addr) != PL_OK ||
        res != AU_AUTH_OK || addr[0] == '\0') {
        sv_penalty_fail(s->peer);
        return sm_say(s, "535 5.7.8 Authentication credentials invalid",
                      SM_R_ERR);
    }
    sv_penalty_ok(s->peer);
    s->auth = 1;
    ut_strlcpy(s->auth_addr, addr, sizeof s->auth_addr);
    return sm_say(s, "235 2.7.0 Authentication successful", SM_R_OK);
}

int sm_do_auth(sm_sess *s, char *arg)
{
    char *sp, *ir = NULL;
    au_sasl *sa = NULL;
    pl_u8 *in;
    int mech, rc;
    pl_i32 ms;

    if (s->auth)
        return sm_say(s, "503 5.5.1 Already authenticated", SM_R_ERR);
    if (!s->esmtp)
        return sm_say(s, "503 5.5.1 Send EHLO first", SM_R_ERR);
    sp = strchr(arg, ' ');
    if (sp != NULL) {
        *sp = '\0';
        ir = sp + 1;
        if (*ir == '\0' || strchr(ir, ' ') != NULL)
            return sm_say(s, "501 5.5.4 Syntax: AUTH mechanism "
                          "[initial-response]", SM_R_ERR);
    }
    mech = au_sasl_mech(arg);
    if (mech == 0 || (cf_int(s->env->cfg, "smtp.plaintext_auth") == 2 &&
                      (mech & AU_MECH_PLAINTEXT) != 0))
        return sm_say(s, "504 5.5.4 Unrecognized authentication type",
                      SM_R_ERR);
    if ((sm_mech_mask(s) & mech) == 0)
        return sm_say(s, "538 5.7.11 Encryption required for requested "
                      "authentication mechanism", SM_R_ERR);
    if (cf_bool(s->env->cfg, "smtp.auth_penalty")) {
        ms = sv_penalty_delay(s->peer);
        if (ms > 0)
            pl_sleep_ms(ms);
    }
    if (au_sasl_start(s->env->db, mech, sm_hostname(s), "smtp", &sa)
        != PL_OK)
        return sm_say(s, "454 4.7.0 Temporary authentication failure",
                      SM_R_OK);
    in = (pl_u8 *)malloc(SM_SASL_IN);
    if (in == NULL) {
        au_sasl_free(sa);
        return sm_say(s, "454 4.7.0 Temporary authentication failure",
                      SM_R_OK);
    }
    rc = sm_auth_run(s, sa, ir, in);
    if (ir != NULL)
        ut_wipe(ir, strlen(ir));
    ut_wipe(in, SM_SASL_IN);
    free(in);
    if (s->auth)
        s->mech = au_sasl_mech_name(mech);
    au_sasl_free(sa);
    return rc;
}
