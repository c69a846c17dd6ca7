/*
 * p3_auth.c - AUTHORIZATION: USER/PASS, APOP (RFC 1939 7) and AUTH
 * (RFC 5034, SASL through au_sasl), with the login policies.
 *
 * Policies: plaintext mechanisms (USER/PASS, PLAIN, LOGIN) only when
 * p3_plain_ok (pop3.plaintext_auth, TLS by default); USER/PASS off with
 * pop3.disuserpass; pop3.max_login_failures failures close the
 * connection; with pop3.auth_penalty each attempt first waits the delay
 * sv_penalty keeps for the source.  pop3.security secure (default) gives
 * one answer for an unknown user and a wrong password; friendly tells
 * which, at USER.
 * Response codes once the credentials are right (RFC 2449, 3206):
 *   DISUSER      -ERR [AUTH] Account disabled       (counts as a failure)
 *   PWDEXPIRED   -ERR [AUTH] Password expired ...   (counts as a failure)
 *   DISMAIL      -ERR [SYS/PERM] ...  the account exists and the
 *                credentials are good, but it may not use mail: retrying
 *                cannot help, which is what SYS/PERM says.
 *   too soon     -ERR [LOGIN-DELAY] (pop3.login_delay)
 *   locked       -ERR [IN-USE], store trouble -ERR [SYS/TEMP] (p3_trans.c)
 * System accounts (per-connection mode, pop3.system_accounts): a failed
 * USER/PASS for a name without a popstore account is tried against the
 * system (p3_native.c) before the failure is answered.
 * Secrets: PASS arguments, SASL buffers and account records are wiped.
 * Privilege: the service account (reads the account database).
 */
#include <string.h>
#include "p3_int.h"
#include "au_sasl.h"
#include "sv_penalty.h"
#include "ut_str.h"
#include "ut_code.h"
#include "ut_buf.h"
#include "ut_log.h"

#define P3_FAILED_SECURE "-ERR [AUTH] Authentication failed"

static int p3_secure(const p3_sess *s)
{
    return cf_int(s->env->cfg, "pop3.security") == 0;
}

/* Wait the per-source penalty before any check of credentials, so a
 * guesser pays it even when it never reads our replies. */
static void p3_penalty_wait(p3_sess *s)
{
    pl_i32 d;

    if (!cf_bool(s->env->cfg, "pop3.auth_penalty"))
        return;
    if (sv_penalty_init() != PL_OK)
        return;
    d = sv_penalty_delay(nt_conn_peer(s->c));
    if (d > 0) {
        nt_conn_flush(s->c);
        pl_sleep_ms(d);
    }
}

/* A failed login: reply, count, penalise; close at the limit. */
static int p3_failed(p3_sess *s, const char *text, int penalise)
{
    if (penalise && cf_bool(s->env->cfg, "pop3.auth_penalty") &&
        sv_penalty_init() == PL_OK)
        sv_penalty_fail(nt_conn_peer(s->c));
    s->fails++;
    s->have_user = 0;
    ut_log(PL_LOG_NOTICE, PL_LOGCAT_AUTH, "pop3 %s login failed (%d)",
           nt_conn_peer(s->c), s->fails);
    if (p3_reply(s, text) != PL_OK)
        return PL_EIO;
    if (s->fails >= cf_int(s->env->cfg, "pop3.max_login_failures")) {
        s->result = "too many login failures";
        return P3_R_CLOSE;
    }
    return P3_R_OK;
}

/* Credentials are checked (result is an AU_AUTH_*): apply the account's
 * flags and the login delay, then open the mailbox. */
static int p3_login(p3_sess *s, const char *user, const char *dom,
                    const char *mech, int result, const char *badtext)
{
    au_account a;
    pl_i64 delay, now;
    int rc;

    if (result == AU_AUTH_BAD)
        return p3_failed(s, badtext, 1);
    rc = au_db_get(s->env->db, user, dom, &a);
    if (rc != PL_OK) {
        au_account_wipe(&a);
        if (rc == PL_ENOENT)   /* removed in between: a plain failure */
            return p3_failed(s, badtext, 1);
        return p3_reply(s, "-ERR [SYS/TEMP] Account database unavailable")
               == PL_OK ? P3_R_OK : PL_EIO;
    }
    if (cf_bool(s->env->cfg, "pop3.auth_penalty") &&
        sv_penalty_init() == PL_OK)
        sv_penalty_ok(nt_conn_peer(s->c));
    if (result == AU_AUTH_LOCKED || (a.flags & AU_F_DISUSER) != 0) {
        au_account_wipe(&a);
        return p3_failed(s, "-ERR [AUTH] Account disabled", 0);
    }
    if (result == AU_AUTH_EXPIRED || (a.flags & AU_F_PWDEXPIRED) != 0) {
        au_account_wipe(&a);
        return p3_failed(s, "-ERR [AUTH] Password expired; change it "
                         "before reading mail", 0);
    }
    if ((a.flags & AU_F_DISMAIL) != 0) {
        au_account_wipe(&a);
        return p3_failed(s, "-ERR [SYS/PERM] Mail access disabled for "
                         "this account", 0);
    }
    delay = cf_duration(s->env->cfg, "pop3.login_delay");
    now = pl_time_now();
    if (delay > 0 && a.last_connect > 0 && now >= a.last_connect &&
        now - a.last_connect < delay) {
        au_account_wipe(&a);
        return p3_reply(s, "-ERR [LOGIN-DELAY] Too soon since the last "
                        "login") == PL_OK ? P3_R_OK : PL_EIO;
    }
    /* Per-connection mode with system accounts: the popstore is served
     * as the service account, for good (p3_native.c). */
    if (p3_native_popstore(s) != PL_OK) {
        au_account_wipe(&a);
        s->result = "identity change failed";
        return p3_reply(s, "-ERR [SYS/TEMP] Mailbox unavailable, try "
                        "again later") == PL_OK ? P3_R_CLOSE : PL_EIO;
    }
    ut_strlcpy(s->auser, a.user, sizeof s->auser);
    ut_strlcpy(s->adom, a.domain, sizeof s->adom);
    ut_strlcpy(s->addr, a.user, sizeof s->addr);
    ut_strlcat(s->addr, "@", sizeof s->addr);
    ut_strlcat(s->addr, a.domain, sizeof s->addr);
    s->aflags = a.flags;
    s->mech = mech;
    au_account_wipe(&a);
    rc = p3_trans_open(s);
    if (s->state == P3_S_TRANS) {
        au_db_count_connect(s->env->db, s->auser, s->adom, now);
    } else {
        s->auser[0] = s->adom[0] = s->addr[0] = '\0';
        s->mech = NULL;
    }
    return rc;
}

int p3_auth_mechs(const p3_sess *s)
{
    int all = au_sasl_mech_conf(s->env->cfg);

    return p3_plain_ok(s) ? all : (all & ~AU_MECH_PLAINTEXT);
}

int p3_do_user(p3_sess *s, int argc, char **argv)
{
    char u[AU_USER_MAX + 1], d[AU_DOMAIN_MAX + 1];
    au_account a;
    size_t n = strlen(argv[0]);
    int rc;

    (void)argc;
    if (cf_bool(s->env->cfg, "pop3.disuserpass"))
        return p3_reply(s, "-ERR [AUTH] USER/PASS is disabled; use APOP "
                        "or AUTH") == PL_OK ? P3_R_OK : PL_EIO;
    if (s->have_user)
        return p3_reply(s, "-ERR USER already given; send PASS") == PL_OK
               ? P3_R_BAD : PL_EIO;
    if (!p3_secure(s)) {
        /* FRIENDLY (OpenVMS): tell an unknown user at once. */
        rc = au_addr_parse(argv[0], n, au_db_default_domain(s->env->db),
                           u, d);
        if (rc == PL_OK)
            rc = au_db_get(s->env->db, u, d, &a);
        au_account_wipe(&a);
        if ((rc == PL_ENOENT || rc == PL_EINVAL) && s->env->native &&
            p3_native_exists(argv[0]))
            rc = PL_OK;   /* a system account (legacy order) */
        if (rc == PL_ENOENT || rc == PL_EINVAL)
            return p3_failed(s, "-ERR [AUTH] No such user", 1);
        if (rc != PL_OK)
            return p3_reply(s, "-ERR [SYS/TEMP] Account database "
                            "unavailable") == PL_OK ? P3_R_OK : PL_EIO;
    }
    ut_strlcpy(s->user, argv[0], sizeof s->user);
    s->have_user = 1;
    return p3_reply(s, "+OK Send your password") == PL_OK ? P3_R_OK
                                                       : PL_EIO;
}

/* A system account's verdict (p3_native.c), answered with the codes of a
 * popstore account's flags. */
static int p3_native_result(p3_sess *s, int nat, const pl_user *su)
{
    if (nat == P3_NAT_ERROR)
        return p3_reply(s, "-ERR [SYS/TEMP] Authentication unavailable")
               == PL_OK ? P3_R_OK : PL_EIO;
    if (cf_bool(s->env->cfg, "pop3.auth_penalty") &&
        sv_penalty_init() == PL_OK)
        sv_penalty_ok(nt_conn_peer(s->c));
    if (nat == P3_NAT_DISABLED)
        return p3_failed(s, "-ERR [AUTH] Account disabled", 0);
    if (nat == P3_NAT_EXPIRED)
        return p3_failed(s, "-ERR [AUTH] Password expired; change it "
                         "before reading mail", 0);
    if (nat == P3_NAT_NOMAIL)
        return p3_failed(s, "-ERR [SYS/PERM] Mail access disabled for "
                         "this account", 0);
    return p3_native_open(s, su);
}

int p3_do_pass(p3_sess *s, int argc, char **argv)
{
    char u[AU_USER_MAX + 1], d[AU_DOMAIN_MAX + 1];
    size_t pn = strlen(argv[0]);
    pl_user su;
    int result = AU_AUTH_BAD, rc, nat = P3_NAT_NONE;
    const char *bad = p3_secure(s) ? P3_FAILED_SECURE
                                   : "-ERR [AUTH] Wrong password";

    (void)argc;
    if (!s->have_user) {
        ut_wipe(argv[0], pn);
        return p3_reply(s, "-ERR Send USER first") == PL_OK ? P3_R_BAD
                                                          : PL_EIO;
    }
    s->have_user = 0;
    p3_penalty_wait(s);
    rc = au_auth_plain(s->env->db, s->user, strlen(s->user), argv[0], pn,
                       &result);
    if (rc == PL_OK && result == AU_AUTH_BAD && s->env->native)
        nat = p3_native_check(s, s->user, argv[0], &su);
    ut_wipe(argv[0], pn);
    if (nat != P3_NAT_NONE)
        return p3_native_result(s, nat, &su);
    if (rc != PL_OK && rc != PL_ENOENT && rc != PL_EINVAL)
        return p3_reply(s, "-ERR [SYS/TEMP] Account database unavailable")
               == PL_OK ? P3_R_OK : PL_EIO;
    if (rc != PL_OK)
        result = AU_AUTH_BAD;
    if (au_addr_parse(s->user, strlen(s->user),
                      au_db_default_domain(s->env->db), u, d) != PL_OK)
        result = AU_AUTH_BAD;
    return p3_login(s, u, d, "USER", result, bad);
}

static int p3_is_hex32(const char *h)
{
    size_t i;

    for (i = 0; h[i] != '\0'; i++) {
        char c = h[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
              (c >= 'A' && c <= 'F')))
            return 0;
    }
    return i == 32;
}

int p3_do_apop(p3_sess *s, int argc, char **argv)
{
    char u[AU_USER_MAX + 1], d[AU_DOMAIN_MAX + 1];
    au_account a;
    int result = AU_AUTH_BAD, rc;

    (void)argc;
    if (!p3_is_hex32(argv[1]))
        return p3_reply(s, "-ERR Syntax error") == PL_OK ? P3_R_BAD
                                                       : PL_EIO;
    p3_penalty_wait(s);
    rc = au_addr_parse(argv[0], strlen(argv[0]),
                       au_db_default_domain(s->env->db), u, d);
    if (rc == PL_OK)
        rc = au_db_get(s->env->db, u, d, &a);
    if (rc != PL_OK) {
        /* Unknown: the same work on an empty account, the same answer. */
        au_account_init(&a, "nobody", "invalid");
        if (rc != PL_ENOENT && rc != PL_EINVAL) {
            au_account_wipe(&a);
            return p3_reply(s, "-ERR [SYS/TEMP] Account database "
                            "unavailable") == PL_OK ? P3_R_OK : PL_EIO;
        }
    }
    if (au_cred_verify_apop(&a, s->stamp, argv[1], &result) != PL_OK ||
        rc != PL_OK)
        result = AU_AUTH_BAD;
    au_account_wipe(&a);
    ut_wipe(argv[1], strlen(argv[1]));
    return p3_login(s, u, d, "APOP", result, P3_FAILED_SECURE);
}

/* Send a SASL challenge as "+ base64". */
static int p3_send_chal(p3_sess *s, const ut_buf *out)
{
    ut_buf t;
    size_t need = ut_b64_enc_size(out->len), n = 0;
    int rc;

    ut_buf_init(&t, 0);
    rc = ut_buf_adds(&t, "+ ");
    if (rc == PL_OK)
        rc = ut_buf_reserve(&t, need);
    if (rc == PL_OK)
        rc = ut_b64_encode(out->data != NULL ? out->data : "", out->len,
                           t.data + 2, need, &n);
    if (rc == PL_OK) {
        t.len = 2 + n;
        if (s->trace)
            ut_log(PL_LOG_INFO, PL_LOGCAT_MAIL, "pop3 %s S: + ****",
                   nt_conn_peer(s->c));
        rc = nt_conn_write(s->c, t.data, t.len);
    }
    if (rc == PL_OK)
        rc = nt_conn_write(s->c, "\r\n", 2);
    if (rc == PL_OK)
        rc = nt_conn_flush(s->c);
    ut_buf_free(&t);
    return rc;
}

/* Read one client response of an exchange.  Returns PL_OK with the line,
 * 1 for "*" (cancel), 2 for a line too long, or a PL_E* code. */
static int p3_read_resp(p3_sess *s, char **line, size_t *len)
{
    int flags, rc;

    lr_set_max_line(s->lr, P3_AUTH_LINE_MAX);
    lr_set_deadline(s->lr, pl_time_mono_ms() + s->idle_ms);
    rc = lr_get_line(s->lr, line, len, &flags);
    lr_set_max_line(s->lr, UT_POP3_CMD_MAX);
    if (rc != PL_OK)
        return rc;
    p3_trace_in(s, "****");
    if ((flags & LR_TOOLONG) != 0)
        return 2;
    if (*len == 1 && (*line)[0] == '*')
        return 1;
    return PL_OK;
}

/* Decode base64 text (or "=" for an empty initial response) into in. */
static int p3_decode(ut_buf *in, const char *txt, size_t n, int initial)
{
    size_t got = 0;
    int rc;

    ut_buf_clear(in);
    if (initial && n == 1 && txt[0] == '=')
        return PL_OK;
    rc = ut_buf_reserve(in, n + 1);
    if (rc == PL_OK)
        rc = ut_b64_decode(txt, n, in->data, n + 1, &got);
    if (rc == PL_OK)
        in->len = got;
    return rc;
}

static int p3_list_mechs(p3_sess *s)
{
    char buf[128];
    char *p, *q;

    if (au_sasl_mech_list(p3_auth_mechs(s), buf, sizeof buf) != PL_OK)
        buf[0] = '\0';
    if (p3_reply(s, "+OK Mechanisms follow") != PL_OK)
        return PL_EIO;
    for (p = buf; *p != '\0'; p = q) {
        q = strchr(p, ' ');
        if (q != NULL)
            *q++ = '\0';
        else
            q = p + strlen(p);
        if (*p != '\0' && p3_reply(s, p) != PL_OK)
            return PL_EIO;
    }
    return p3_reply(s, ".") == PL_OK ? P3_R_OK : PL_EIO;
}

int p3_do_auth(p3_sess *s, int argc, char **argv)
{
    au_sasl *sa = NULL;
    ut_buf in, out;
    char addr[AU_ADDR_MAX];
    char u[AU_USER_MAX + 1], d[AU_DOMAIN_MAX + 1];
    char host[P3_HOST_MAX + 1];
    char *line;
    size_t len;
    int mech, rc, r, steps = 0, has = 0, result = AU_AUTH_BAD;

    u[0] = d[0] = '\0';
    if (argc == 0)
        return p3_list_mechs(s);
    mech = au_sasl_mech(argv[0]);
    if (mech == 0)
        return p3_reply(s, "-ERR Unsupported authentication mechanism")
               == PL_OK ? P3_R_OK : PL_EIO;
    if ((mech & p3_auth_mechs(s)) == 0)
        return p3_reply(s, "-ERR [AUTH] Plaintext authentication is not "
                        "allowed without TLS") == PL_OK ? P3_R_OK : PL_EIO;
    ut_buf_init(&in, P3_AUTH_LINE_MAX);
    ut_buf_init(&out, 0);
    if (argc == 2) {
        if (p3_decode(&in, argv[1], strlen(argv[1]), 1) != PL_OK) {
            ut_wipe(argv[1], strlen(argv[1]));
            ut_buf_wipe(&in);
            return p3_failed(s, "-ERR [AUTH] Invalid base64 data", 1);
        }
        ut_wipe(argv[1], strlen(argv[1]));
        has = 1;
    }
    p3_penalty_wait(s);
    ut_strlcpy(host, s->env->hostname != NULL ? s->env->hostname
                                              : "localhost", sizeof host);
    rc = au_sasl_start(s->env->db, mech, host, "pop", &sa);
    if (rc != PL_OK) {
        ut_buf_wipe(&in);
        return p3_reply(s, "-ERR [SYS/TEMP] Authentication unavailable")
               == PL_OK ? P3_R_OK : PL_EIO;
    }
    for (;;) {
        r = au_sasl_step(sa, in.data, in.len, has, &out);
        ut_buf_wipe(&in);
        ut_buf_init(&in, P3_AUTH_LINE_MAX);
        if (r != AU_SASL_CONTINUE || ++steps > P3_SASL_STEPS_MAX)
            break;
        rc = p3_send_chal(s, &out);
        if (rc == PL_OK)
            rc = p3_read_resp(s, &line, &len);
        if (rc < 0) {
            s->result = rc == PL_EOF ? "disconnected in AUTH" : "error";
            goto done;
        }
        if (rc == 1) {
            rc = p3_reply(s, "-ERR AUTH cancelled") == PL_OK ? P3_R_BAD
                                                           : PL_EIO;
            goto done;
        }
        if (rc == 2 || p3_decode(&in, line, len, 0) != PL_OK) {
            ut_wipe(line, len);
            r = AU_SASL_FAIL;
            break;
        }
        ut_wipe(line, len);
        has = 1;
    }
    if (r == AU_SASL_DONE && out.len > 0) {
        /* RFC 5034 4: success data goes as a challenge; the client
         * answers with an empty line. */
        rc = p3_send_chal(s, &out);
        if (rc == PL_OK)
            rc = p3_read_resp(s, &line, &len);
        if (rc < 0) {
            s->result = rc == PL_EOF ? "disconnected in AUTH" : "error";
            goto done;
        }
        if (rc == 1) {
            rc = p3_reply(s, "-ERR AUTH cancelled") == PL_OK ? P3_R_BAD
                                                           : PL_EIO;
            goto done;
        }
        if (rc != PL_OK || len != 0)
            r = AU_SASL_FAIL;
    }
    if (r < 0) {
        rc = p3_reply(s, "-ERR [SYS/TEMP] Authentication unavailable")
             == PL_OK ? P3_R_OK : PL_EIO;
        goto done;
    }
    addr[0] = '\0';
    if (r == AU_SASL_DONE || r == AU_SASL_FAIL)
        au_sasl_result(sa, &result, addr, sizeof addr);
    if (r != AU_SASL_DONE && result == AU_AUTH_OK)
        result = AU_AUTH_BAD;   /* never log in on a failed exchange */
    if (result != AU_AUTH_BAD &&
        au_addr_parse(addr, strlen(addr), NULL, u, d) != PL_OK)
        result = AU_AUTH_BAD;
    rc = p3_login(s, u, d, au_sasl_mech_name(mech), result,
                  P3_FAILED_SECURE);
done:
    au_sasl_free(sa);
    ut_buf_wipe(&in);
    ut_buf_wipe(&out);
    return rc;
}
