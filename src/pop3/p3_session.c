/*
 * p3_session.c - one POP3 session from greeting to QUIT or abort: the
 * command loop, line policy, flush policy, limits and the session log.
 *
 * Line policy: a line ends at LF (a bare LF is accepted, as popa3d does);
 * a line over UT_POP3_CMD_MAX octets gets exactly one "-ERR Line too long"
 * and its excess is skipped by the reader, never parsed; a line holding
 * NUL or a bare CR is refused whole, never cut into two commands.  Each
 * of these, and each unknown or misplaced command, is a bad command; one
 * past pop3.bad_command_limit gets its -ERR, then a closing notice, and
 * the session ends.
 * Flush policy: replies are corked and sent when no more input is
 * buffered, so a pipelined batch gets its replies in one write, in order;
 * while a send waits for the client to read, no command is read (the
 * back-pressure of nt_conn).
 * Privilege: the caller's (service account, or the mail user).
 */
#include <string.h>
#include "p3_int.h"
#include "ut_str.h"
#include "ut_log.h"
#include "ut_code.h"

int p3_reply(p3_sess *s, const char *text)
{
    int rc;

    if (s->trace)
        ut_log(PL_LOG_INFO, PL_LOGCAT_MAIL, "pop3 %s S: %s",
               nt_conn_peer(s->c), text);
    rc = nt_conn_puts(s->c, text);
    if (rc == PL_OK)
        rc = nt_conn_write(s->c, "\r\n", 2);
    return rc;
}

int p3_reply_num(p3_sess *s, const char *pre, pl_u64 a, const char *mid,
                 pl_u64 b, const char *post)
{
    char buf[160];
    char num[24];

    ut_strlcpy(buf, pre, sizeof buf);
    ut_u64_to_dec(num, a);
    ut_strlcat(buf, num, sizeof buf);
    if (mid != NULL) {
        ut_strlcat(buf, mid, sizeof buf);
        ut_u64_to_dec(num, b);
        ut_strlcat(buf, num, sizeof buf);
    }
    if (post != NULL)
        ut_strlcat(buf, post, sizeof buf);
    return p3_reply(s, buf);
}

void p3_trace_in(p3_sess *s, const char *text)
{
    if (s->trace)
        ut_log(PL_LOG_INFO, PL_LOGCAT_MAIL, "pop3 %s C: %s",
               nt_conn_peer(s->c), text);
}

int p3_plain_ok(const p3_sess *s)
{
    /* cf_int of an enum is its index in "tls|always|never". */
    pl_i64 v = cf_int(s->env->cfg, "pop3.plaintext_auth");

    if (v == 1)
        return 1;
    if (v == 2)
        return 0;
    return s->tls;
}

/* The host part of the APOP challenge: the configured name if it is a
 * plain host name, else "localhost" (the greeting must stay one token). */
static void p3_host(const p3_env *env, char *out, size_t n)
{
    const char *h = env->hostname;
    size_t i;

    if (h == NULL || h[0] == '\0' || strlen(h) >= n) {
        ut_strlcpy(out, "localhost", n);
        return;
    }
    for (i = 0; h[i] != '\0'; i++) {
        char ch = h[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
              ch == '_')) {
            ut_strlcpy(out, "localhost", n);
            return;
        }
    }
    ut_strlcpy(out, h, n);
}

/* RFC 1939 7: a timestamp unique per greeting, <process-ID.clock@host>;
 * random bits make it unguessable too (an APOP digest cannot be replayed
 * on another connection even in the same microsecond). */
static void p3_make_stamp(p3_sess *s)
{
    char host[P3_HOST_MAX + 1];
    char num[24];
    char hex[17];
    pl_u8 rnd[8];
    pl_i64 secs;
    pl_i32 usec;

    p3_host(s->env, host, sizeof host);
    pl_time_now_us(&secs, &usec);
    if (pl_random(rnd, sizeof rnd) != PL_OK)
        memset(rnd, 0, sizeof rnd);   /* pid.clock still make it unique */
    ut_hex_encode(rnd, sizeof rnd, hex, sizeof hex);
    ut_strlcpy(s->stamp, "<", sizeof s->stamp);
    ut_u64_to_dec(num, (pl_u64)pl_pid());
    ut_strlcat(s->stamp, num, sizeof s->stamp);
    ut_strlcat(s->stamp, ".", sizeof s->stamp);
    ut_u64_to_dec(num, (pl_u64)secs);
    ut_strlcat(s->stamp, num, sizeof s->stamp);
    ut_strlcat(s->stamp, ".", sizeof s->stamp);
    ut_u64_to_dec(num, (pl_u64)usec);
    ut_strlcat(s->stamp, num, sizeof s->stamp);
    ut_strlcat(s->stamp, ".", sizeof s->stamp);
    ut_strlcat(s->stamp, hex, sizeof s->stamp);
    ut_strlcat(s->stamp, "@", sizeof s->stamp);
    ut_strlcat(s->stamp, host, sizeof s->stamp);
    ut_strlcat(s->stamp, ">", sizeof s->stamp);
}

/* One line per session, the facts an administrator asks about. */
static void p3_log_session(p3_sess *s, pl_i64 t0)
{
    char ver[32], ciph[64], nb[24], ms[24];
    pl_i64 dt = pl_time_mono_ms() - t0;

    ver[0] = ciph[0] = '\0';
    if (s->tls)
        nt_conn_tls_info(s->c, ver, sizeof ver, ciph, sizeof ciph);
    ut_u64_to_dec(nb, s->b_retr);
    ut_u64_to_dec(ms, (pl_u64)(dt < 0 ? 0 : dt));
    ut_log(PL_LOG_INFO, PL_LOGCAT_MAIL,
           "pop3 session peer=%s user=%s mech=%s tls=%s%s%s retr=%lu "
           "bytes=%s dele=%lu ms=%s result=%s",
           nt_conn_peer(s->c), s->addr[0] ? s->addr : "-",
           s->mech != NULL ? s->mech : "-", s->tls ? ver : "no",
           s->tls ? "/" : "", s->tls ? ciph : "",
           (unsigned long)s->n_retr, nb, (unsigned long)s->n_dele, ms,
           s->result != NULL ? s->result : "-");
}

/* Count a refused line, after its own -ERR (text, or sent by the
 * handler when NULL).  Past the limit a notice follows and the session
 * closes, as Dovecot does: every command still gets its own reply. */
static int p3_bad(p3_sess *s, const char *text)
{
    pl_i64 limit = cf_int(s->env->cfg, "pop3.bad_command_limit");

    if (text != NULL && p3_reply(s, text) != PL_OK)
        return PL_EIO;
    s->bad++;
    if (s->bad > limit) {
        s->result = "too many bad commands";
        return p3_reply(s, "-ERR Too many bad commands, closing") == PL_OK
               ? P3_R_CLOSE : PL_EIO;
    }
    return P3_R_OK;
}

static int p3_loop(p3_sess *s)
{
    char *line;
    size_t len;
    int flags, rc;

    for (;;) {
        /* Reply to a whole pipelined batch at once, and block in the
         * send (not in reading) while the client does not read. */
        if (lr_pending(s->lr) == 0) {
            rc = nt_conn_flush(s->c);
            if (rc != PL_OK) {
                s->result = "write failed";
                return rc;
            }
        }
        /* The idle timeout bounds each read and each whole line, so a
         * drip-fed line cannot hold the session (attack H2). */
        lr_set_deadline(s->lr, pl_time_mono_ms() + s->idle_ms);
        rc = lr_get_line(s->lr, &line, &len, &flags);
        if (rc == PL_ETIMEDOUT) {
            s->result = "idle timeout";
            p3_reply(s, "-ERR Idle timeout, closing");
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
        if ((flags & LR_TOOLONG) != 0) {
            p3_trace_in(s, "(line too long)");
            rc = p3_bad(s, "-ERR Line too long");
        } else if ((flags & (LR_NUL | LR_BARE_CR)) != 0) {
            p3_trace_in(s, "(NUL or bare CR in line)");
            rc = p3_bad(s, "-ERR Invalid character in command");
        } else {
            rc = p3_cmd_run(s, line, len);
            if (rc == P3_R_BAD)
                rc = p3_bad(s, NULL);
        }
        if (rc == P3_R_OK)
            continue;
        if (rc == P3_R_QUIT)
            return PL_OK;
        if (rc == P3_R_CLOSE)
            return PL_EACCES;   /* closed by policy (limits) */
        if (s->result == NULL)
            s->result = "error";
        return rc;
    }
}

int p3_session(const p3_env *env, nt_conn *c)
{
    p3_sess s;
    pl_i64 t0 = pl_time_mono_ms();
    pl_i64 idle;
    char greet[P3_STAMP_MAX + 64];
    int rc;

    memset(&s, 0, sizeof s);
    s.env = env;
    s.c = c;
    s.state = P3_S_AUTH;
    s.tls = env->implicit_tls || nt_conn_is_tls(c);
    s.trace = cf_bool(env->cfg, "pop3.trace");
    /* The buffer fits an AUTH exchange line; commands get the RFC 2449
     * limit until an exchange raises it. */
    s.lr = lr_new(P3_AUTH_LINE_MAX, LR_POLICY_LENIENT, nt_conn_read, c);
    if (s.lr == NULL) {
        s.result = "out of memory";
        p3_log_session(&s, t0);
        return PL_ENOMEM;
    }
    lr_set_max_line(s.lr, UT_POP3_CMD_MAX);
    idle = cf_duration(env->cfg, "pop3.idle_timeout");
    s.idle_ms = (pl_i32)(idle * 1000);
    lr_set_timeout(s.lr, s.idle_ms);
    nt_conn_set_write_timeout(c, s.idle_ms);

    p3_make_stamp(&s);
    ut_strlcpy(greet, "+OK newmail POP3 server ready ", sizeof greet);
    ut_strlcat(greet, s.stamp, sizeof greet);
    rc = p3_reply(&s, greet);
    if (rc == PL_OK)
        rc = p3_loop(&s);
    else
        s.result = "write failed";
    nt_conn_flush(c);
    if (s.auser[0] != '\0')
        au_db_count_disconnect(env->db, s.auser, s.adom, pl_time_now());
    p3_trans_close(&s);
    p3_log_session(&s, t0);
    if (env->tally != NULL) {
        env->tally->retrieved = s.n_retr;
        env->tally->octets = s.b_retr;
        env->tally->deleted = s.n_dele;
    }
    lr_free(s.lr);
    ut_wipe(s.user, sizeof s.user);
    return rc;
}
