/*
 * bn_run.c - newmail-bench's scenarios: SMTP delivery, POP3 retrieval and
 * idle connections, each by o->sessions threads (pl_thread_start).
 *
 * SMTP: each session sends EHLO (and STARTTLS with --tls), then takes
 * message jobs from a shared counter until --messages are taken or
 * --max-seconds pass; one transaction is MAIL, RCPT, DATA (pipelined when
 * the server offers PIPELINING) and the message, timed until the final
 * 250.  The message counts as delivered at that 250, because newmail
 * replies 250 only once the message is durable in NEWMAIL.
 * POP3: mailbox k belongs to session k mod C (the server locks a mailbox
 * per session, so two sessions never share one); a session logs in to
 * each of its mailboxes in turn, RETRs every message (DELE with --dele),
 * QUITs, and starts over, until --messages RETRs or --max-seconds.  One
 * transaction is one RETR, timed to the terminating ".".  A login met
 * by -ERR [IN-USE] is retried a bounded number of times and counted.
 * With --visible-cmd an SMTP run ends only when that command says every
 * accepted message is visible in its mailbox (for servers that queue).
 * Also here: what every scenario shares (job counter, workers, POP3
 * login), declared in bn.h.
 * Limits: latency slots are one per job (BN_MAX_MESSAGES at most); each
 * socket operation ends within o->io_ms, so a run ends within
 * --max-seconds plus one I/O timeout.
 * Privilege: runs as any user; loopback only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bn.h"
#include "ut_str.h"

/* Microseconds for latencies: the monotonic clock has only milliseconds
 * and a loopback transaction often takes less; a wall-clock step during a
 * run can only spoil the few samples it crosses (clamped, never wrap). */
pl_i64 bn_now_us(void)
{
    pl_i64 s;
    pl_i32 us;

    pl_time_now_us(&s, &us);
    return s * 1000000 + us;
}

pl_u32 bn_lat_since(pl_i64 t0)
{
    pl_i64 d = bn_now_us() - t0;

    if (d < 0)
        d = 0;
    if (d >= (pl_i64)BN_LAT_NONE)
        d = (pl_i64)BN_LAT_NONE - 1;
    return (pl_u32)d;
}

/* Take a job number, or return 0 when the run is over. */
int bn_take_job(bn_shared *sh, pl_u64 *job)
{
    int ok = 0;

    pl_mutex_lock(sh->mu);
    if (sh->next < sh->o->messages && pl_time_mono_ms() < sh->deadline) {
        *job = sh->next++;
        ok = 1;
    }
    pl_mutex_unlock(sh->mu);
    return ok;
}

void bn_set_err(bn_worker *w, const char *what, int rc, const char *line)
{
    if (w->err[0] != '\0')
        return;
    sprintf(w->err, "session %d: %.30s: %.30s %.60s", w->idx, what,
            rc == PL_OK ? "reply" : pl_strerror(rc),
            line != NULL ? line : "");
}

/* Read one SMTP reply (all its lines) into *code; *pipelining (when not
 * NULL) is set to 1 if a line names PIPELINING.  line keeps the last. */
static int smtp_reply(bn_conn *c, int *code, int *pipelining, char *line,
                      size_t n)
{
    int rc;

    for (;;) {
        rc = bn_conn_line(c, line, n, NULL);
        if (rc != PL_OK)
            return rc;
        if (strlen(line) < 3)
            return PL_EIO;
        if (pipelining != NULL && strlen(line) >= 4
            && ut_strcaseeq(line + 4, "PIPELINING"))
            *pipelining = 1;
        if (line[3] != '-')
            break;
    }
    *code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    return PL_OK;
}

/* Send cmd and expect a reply with code want. */
static int smtp_cmd(bn_conn *c, const char *cmd, int want, int *pipel,
                    char *line, size_t n)
{
    int rc, code = 0;

    if (cmd != NULL) {
        rc = bn_conn_write(c, cmd, strlen(cmd));
        if (rc != PL_OK)
            return rc;
    }
    rc = smtp_reply(c, &code, pipel, line, n);
    if (rc == PL_OK && code != want)
        rc = PL_EIO;
    return rc;
}

/* "PREFIXk@DOMAIN" for mailbox k (0-based). */
void bn_user_addr(const bn_opts *o, int k, char *buf)
{
    char num[24];

    num[ut_u64_to_dec(num, (pl_u64)k + o->first)] = '\0';
    sprintf(buf, "%.40s%s@%.60s", o->prefix, num, o->domain);
}

static void smtp_session(void *arg)
{
    bn_worker *w = (bn_worker *)arg;
    bn_shared *sh = w->sh;
    const bn_opts *o = sh->o;
    char line[BN_LINE_MAX], addr[BN_ADDR_MAX], cmd[BN_ADDR_MAX + 64];
    bn_conn *c = NULL;
    int rc, pipelining = 0, code = 0;
    pl_u64 job;
    pl_i64 t0;

    line[0] = '\0';
    rc = bn_conn_open(o, NULL, &c);
    if (rc != PL_OK) {
        bn_set_err(w, "connect", rc, NULL);
        w->errors++;
        return;
    }
    rc = smtp_cmd(c, NULL, 220, NULL, line, sizeof line);
    if (rc == PL_OK)
        rc = smtp_cmd(c, "EHLO bench.example\r\n", 250, &pipelining, line,
                      sizeof line);
    if (rc == PL_OK && o->tls) {
        rc = smtp_cmd(c, "STARTTLS\r\n", 220, NULL, line, sizeof line);
        if (rc == PL_OK)
            rc = bn_conn_starttls(c, sh->tls);
        pipelining = 0;   /* RFC 3207: forget the pre-TLS EHLO */
        if (rc == PL_OK)
            rc = smtp_cmd(c, "EHLO bench.example\r\n", 250, &pipelining, line,
                          sizeof line);
    }
    if (rc != PL_OK) {
        bn_set_err(w, "greeting/EHLO/STARTTLS", rc, line);
        w->errors++;
        bn_conn_close(c);
        return;
    }
    while (bn_take_job(sh, &job)) {
        bn_user_addr(o, (int)(job % (pl_u64)o->users), addr);
        t0 = bn_now_us();
        if (pipelining) {
            /* RFC 2920: the three commands in one write, then their
             * replies in order, as real MTAs send them. */
            sprintf(cmd, "MAIL FROM:<bench@bench.example>\r\n"
                    "RCPT TO:<%s>\r\nDATA\r\n", addr);
            rc = bn_conn_write(c, cmd, strlen(cmd));
            if (rc == PL_OK)
                rc = smtp_cmd(c, NULL, 250, NULL, line, sizeof line);
            if (rc == PL_OK)
                rc = smtp_cmd(c, NULL, 250, NULL, line, sizeof line);
            if (rc == PL_OK)
                rc = smtp_cmd(c, NULL, 354, NULL, line, sizeof line);
        } else {
            rc = smtp_cmd(c, "MAIL FROM:<bench@bench.example>\r\n", 250,
                          NULL, line, sizeof line);
            sprintf(cmd, "RCPT TO:<%s>\r\n", addr);
            if (rc == PL_OK)
                rc = smtp_cmd(c, cmd, 250, NULL, line, sizeof line);
            if (rc == PL_OK)
                rc = smtp_cmd(c, "DATA\r\n", 354, NULL, line, sizeof line);
        }
        if (rc == PL_OK)
            rc = bn_conn_write(c, sh->msg, sh->msg_len);
        if (rc == PL_OK)
            rc = smtp_reply(c, &code, NULL, line, sizeof line);
        if (rc == PL_OK && code != 250)
            rc = PL_EIO;
        if (rc != PL_OK) {
            bn_set_err(w, "transaction", rc, line);
            w->errors++;
            break;
        }
        w->done++;
        w->bytes += sh->msg_len - 3;
        sh->r->lat_us[job] = bn_lat_since(t0);
    }
    if (rc == PL_OK)
        (void)smtp_cmd(c, "QUIT\r\n", 221, NULL, line, sizeof line);
    bn_conn_close(c);
}

/* Send cmd (may be NULL) and expect "+OK". */
int bn_pop_cmd(bn_conn *c, const char *cmd, char *line, size_t n)
{
    int rc;

    if (cmd != NULL) {
        rc = bn_conn_write(c, cmd, strlen(cmd));
        if (rc != PL_OK)
            return rc;
    }
    rc = bn_conn_line(c, line, n, NULL);
    if (rc == PL_OK && strncmp(line, "+OK", 3) != 0)
        rc = PL_EIO;
    return rc;
}

/* One login attempt: greeting, USER, PASS.  Each command goes in one
 * write, as real clients send it: a line split over writes meets Nagle
 * and the server's delayed ACK and measures a 40 ms stall, not the
 * server. */
static int pop_login_once(bn_shared *sh, int k, bn_conn **out, char *line,
                          size_t n)
{
    const bn_opts *o = sh->o;
    char addr[BN_ADDR_MAX], cmd[BN_ADDR_MAX + BN_PASS_MAX + 16];
    bn_conn *c;
    int rc;

    rc = bn_conn_open(o, o->tls ? sh->tls : NULL, &c);
    if (rc != PL_OK)
        return rc;
    bn_user_addr(o, k, addr);
    rc = bn_pop_cmd(c, NULL, line, n);
    if (rc == PL_OK) {
        sprintf(cmd, "USER %s\r\n", addr);
        rc = bn_pop_cmd(c, cmd, line, n);
    }
    if (rc == PL_OK) {
        /* o->password is at most BN_PASS_MAX octets (bn_main.c). */
        sprintf(cmd, "PASS %s\r\n", o->password);
        rc = bn_pop_cmd(c, cmd, line, n);
    }
    if (rc != PL_OK) {
        bn_conn_close(c);
        return rc;
    }
    *out = c;
    return PL_OK;
}

int bn_pop_login(bn_shared *sh, int k, bn_conn **out, char *line,
                 size_t n)
{
    int rc, tries;

    /* A server may answer its +OK to QUIT before it releases the
     * mailbox's lock, so a session that logs in again at once (as these
     * do) can meet its own previous session: -ERR [IN-USE] (RFC 2449).
     * Retry for up to BN_INUSE_TRIES pauses of BN_INUSE_MS; the retries
     * are counted and reported (inuse_retries=), not hidden. */
    for (tries = 0;; tries++) {
        rc = pop_login_once(sh, k, out, line, n);
        if (rc != PL_EIO || strncmp(line, "-ERR [IN-USE]", 13) != 0
            || tries >= BN_INUSE_TRIES)
            return rc;
        pl_mutex_lock(sh->mu);
        sh->r->inuse_retries++;
        pl_mutex_unlock(sh->mu);
        pl_sleep_ms(BN_INUSE_MS);
    }
}

/* One mailbox visit: login, STAT, RETR (and DELE) each message while
 * jobs last, QUIT.  *empty = 1 when STAT said 0 messages. */
static int pop_visit(bn_worker *w, int k, int *empty, int *stop)
{
    bn_shared *sh = w->sh;
    char line[BN_LINE_MAX], cmd[64];
    bn_conn *c = NULL;
    pl_u64 count = 0, i, job;
    size_t len;
    pl_i64 t0;
    const char *sp;
    int rc;

    line[0] = '\0';
    *empty = 0;
    rc = bn_pop_login(sh, k, &c, line, sizeof line);
    if (rc != PL_OK) {
        bn_set_err(w, "login", rc, line);
        return rc;
    }
    rc = bn_pop_cmd(c, "STAT\r\n", line, sizeof line);
    if (rc == PL_OK) {
        sp = strchr(line + 4, ' ');
        if (sp == NULL || ut_parse_u64(line + 4, (size_t)(sp - line - 4),
                                       ~(pl_u64)0, &count) != PL_OK)
            rc = PL_EIO;
    }
    if (rc != PL_OK)
        bn_set_err(w, "STAT", rc, line);
    if (rc == PL_OK && count == 0)
        *empty = 1;
    for (i = 1; rc == PL_OK && i <= count; i++) {
        if (!bn_take_job(sh, &job)) {
            *stop = 1;
            break;
        }
        t0 = bn_now_us();
        cmd[ut_u64_to_dec(cmd + 5, i) + 5] = '\0';
        memcpy(cmd, "RETR ", 5);
        if (ut_strlcat(cmd, "\r\n", sizeof cmd) != PL_OK)
            rc = PL_ERANGE;
        if (rc == PL_OK)
            rc = bn_pop_cmd(c, cmd, line, sizeof line);
        while (rc == PL_OK) {
            rc = bn_conn_line(c, line, sizeof line, &len);
            if (rc == PL_OK && strcmp(line, ".") == 0)
                break;
            w->bytes += len;
        }
        if (rc != PL_OK) {
            bn_set_err(w, "RETR", rc, line);
            break;
        }
        sh->r->lat_us[job] = bn_lat_since(t0);
        w->done++;
        if (sh->o->dele) {
            memcpy(cmd, "DELE", 4);
            rc = bn_pop_cmd(c, cmd, line, sizeof line);
            if (rc != PL_OK)
                bn_set_err(w, "DELE", rc, line);
        }
    }
    if (rc == PL_OK) {
        rc = bn_pop_cmd(c, "QUIT\r\n", line, sizeof line);
        if (rc != PL_OK)
            bn_set_err(w, "QUIT", rc, line);
    }
    bn_conn_close(c);
    return rc;
}

static void pop3_session(void *arg)
{
    bn_worker *w = (bn_worker *)arg;
    const bn_opts *o = w->sh->o;
    int k, empty, stop = 0, all_empty;

    while (!stop) {
        all_empty = 1;
        for (k = w->idx; k < o->users && !stop; k += o->sessions) {
            if (pl_time_mono_ms() >= w->sh->deadline) {
                stop = 1;
                break;
            }
            if (pop_visit(w, k, &empty, &stop) != PL_OK) {
                w->errors++;
                return;
            }
            if (!empty)
                all_empty = 0;
        }
        if (all_empty)
            break;      /* --dele emptied them, or nothing was delivered */
    }
}

/* Open this worker's slice of idle connections. */
static void idle_session(void *arg)
{
    bn_worker *w = (bn_worker *)arg;
    bn_shared *sh = w->sh;
    char line[BN_LINE_MAX];
    int i, rc, k;

    line[0] = '\0';
    for (i = 0; i < w->idle_n; i++) {
        if (pl_time_mono_ms() >= sh->deadline) {
            bn_set_err(w, "open", PL_ETIMEDOUT, "--max-seconds reached");
            w->errors++;
            return;
        }
        /* Connection number k logs in to mailbox k: each needs its own,
         * because the server locks a mailbox per session. */
        k = w->idle_base + i;
        if (sh->o->idle_pop3)
            rc = bn_pop_login(sh, k, &w->idle[i], line, sizeof line);
        else {
            rc = bn_conn_open(sh->o, NULL, &w->idle[i]);
            if (rc == PL_OK)
                rc = smtp_cmd(w->idle[i], NULL, 220, NULL, line,
                              sizeof line);
            if (rc == PL_OK)
                rc = smtp_cmd(w->idle[i], "EHLO bench.example\r\n", 250,
                              NULL, line, sizeof line);
        }
        if (rc != PL_OK) {
            bn_set_err(w, sh->o->idle_pop3 ? "POP3 login" : "SMTP EHLO", rc,
                    line);
            w->errors++;
            return;
        }
        w->done++;
    }
}

/* Start one thread per worker, wait for all, sum their counts into r. */
int bn_run_workers(bn_shared *sh, bn_worker *ws, int n, pl_thread_fn fn)
{
    int i, k, started = 0, rc = PL_OK;
    pl_i64 t0 = pl_time_mono_ms();

    for (i = 0; i < n; i++) {
        ws[i].sh = sh;
        ws[i].idx = i;
        /* 256 KiB: the sessions keep two 1 KiB lines and no recursion. */
        rc = pl_thread_start(fn, &ws[i], 256 * 1024, 0, &ws[i].th);
        if (rc != PL_OK)
            break;
        started++;
    }
    for (i = 0; i < started; i++)
        pl_thread_join(ws[i].th);
    sh->r->elapsed_ms = pl_time_mono_ms() - t0;
    for (i = 0; i < started; i++) {
        sh->r->done += ws[i].done;
        sh->r->errors += ws[i].errors;
        sh->r->bytes += ws[i].bytes;
        for (k = 0; k < 4; k++)
            sh->r->phase_us[k] += ws[i].phase_us[k];
        if (sh->r->first_error[0] == '\0' && ws[i].err[0] != '\0')
            ut_strlcpy(sh->r->first_error, ws[i].err,
                       sizeof sh->r->first_error);
    }
    if (rc != PL_OK) {
        sh->r->errors++;
        if (sh->r->first_error[0] == '\0')
            sprintf(sh->r->first_error, "thread start: %.60s",
                    pl_strerror(rc));
    }
    return rc;
}

/* Common set-up: the mutex, the TLS context, latency slots, workers. */
int bn_setup(const bn_opts *o, bn_result *r, bn_shared *sh, bn_worker **ws,
             int need_tls)
{
    pl_u64 i;
    char err[120];

    memset(sh, 0, sizeof *sh);
    sh->o = o;
    sh->r = r;
    sh->deadline = pl_time_mono_ms() + (pl_i64)o->max_seconds * 1000;
    r->nlat = o->messages;
    r->lat_us = (pl_u32 *)malloc((size_t)(r->nlat > 0 ? r->nlat : 1)
                                 * sizeof r->lat_us[0]);
    *ws = (bn_worker *)calloc((size_t)o->sessions, sizeof **ws);
    if (r->lat_us == NULL || *ws == NULL || pl_mutex_create(&sh->mu) != 0)
        return PL_ENOMEM;
    for (i = 0; i < r->nlat; i++)
        r->lat_us[i] = (pl_u32)BN_LAT_NONE;
    if (need_tls && bn_tls_ctx(&sh->tls, err, sizeof err) != PL_OK) {
        sprintf(r->first_error, "TLS context: %.100s", err);
        return PL_ERR;
    }
    return PL_OK;
}

void bn_teardown(bn_shared *sh, bn_worker *ws)
{
    if (sh->tls != NULL)
        SSL_CTX_free(sh->tls);
    if (sh->mu != NULL)
        pl_mutex_destroy(sh->mu);
    free(ws);
}

/* The message: a few headers and 76-character lines up to o->size
 * octets in all, then the end-of-data line.  No line starts with '.',
 * so no dot-stuffing is needed. */
static char *make_message(size_t size, size_t *len)
{
    static const char head[] = "From: <bench@bench.example>\r\n"
        "To: undisclosed-recipients:;\r\nSubject: newmail-bench\r\n\r\n";
    static const char alpha[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char *m;
    size_t pos, b, hl = sizeof head - 1;

    if (size < hl + 2)
        size = hl + 2;
    m = (char *)malloc(size + 4);
    if (m == NULL)
        return NULL;
    memcpy(m, head, hl);
    for (pos = hl; pos < size - 2; pos++) {
        b = (pos - hl) % 78;       /* lines of 76 characters plus CRLF */
        m[pos] = b == 76 ? '\r' : b == 77 ? '\n'
                 : alpha[(pos - hl) % (sizeof alpha - 1)];
    }
    if (size - 2 > hl && m[size - 3] == '\r')
        m[size - 3] = 'x';         /* no bare CR before the final CRLF */
    memcpy(m + size - 2, "\r\n.\r\n", 5);
    *len = size + 3;
    return m;
}

/* "Accepted" is not "delivered" for an MTA that queues first: run
 * "CMD COUNT" (ISO C system(), so any shell command or script that
 * counts files of the mailboxes) until it exits 0, every BN_POLL_MS, at
 * most o->visible_s seconds; the measured phase then ends at that
 * success.  Resolution: one poll interval plus one command's run time. */
static int wait_visible(const bn_opts *o, bn_result *r)
{
    char cmd[BN_CMD_MAX], num[24];
    pl_i64 t0 = pl_time_mono_ms() - r->elapsed_ms;
    pl_i64 end = pl_time_mono_ms() + (pl_i64)o->visible_s * 1000;

    num[ut_u64_to_dec(num, r->done)] = '\0';
    if (ut_strlcpy(cmd, o->visible_cmd, sizeof cmd) != PL_OK
        || ut_strlcat(cmd, " ", sizeof cmd) != PL_OK
        || ut_strlcat(cmd, num, sizeof cmd) != PL_OK) {
        ut_strlcpy(r->first_error, "--visible-cmd too long",
                   sizeof r->first_error);
        return PL_ERANGE;
    }
    r->visible = -1;
    for (;;) {
        if (system(cmd) == 0) {
            r->visible = 1;
            break;
        }
        if (pl_time_mono_ms() >= end)
            break;
        pl_sleep_ms(BN_POLL_MS);
    }
    r->elapsed_ms = pl_time_mono_ms() - t0;
    if (r->visible != 1) {
        sprintf(r->first_error, "not all %.20s messages visible after %d s",
                num, (int)o->visible_s);
        return PL_ETIMEDOUT;
    }
    return PL_OK;
}

int bn_run_smtp(const bn_opts *o, bn_result *r)
{
    bn_shared sh;
    bn_worker *ws = NULL;
    char *msg;
    int rc;

    rc = bn_setup(o, r, &sh, &ws, o->tls);
    msg = make_message(o->size, &sh.msg_len);
    if (msg == NULL)
        rc = PL_ENOMEM;
    sh.msg = msg;
    if (rc == PL_OK)
        rc = bn_run_workers(&sh, ws, o->sessions, smtp_session);
    r->accept_ms = r->elapsed_ms;
    if (rc == PL_OK && o->visible_cmd != NULL && r->done > 0)
        rc = wait_visible(o, r);
    bn_teardown(&sh, ws);
    free(msg);
    return rc;
}

int bn_run_pop3(const bn_opts *o, bn_result *r)
{
    bn_shared sh;
    bn_worker *ws = NULL;
    int rc;

    rc = bn_setup(o, r, &sh, &ws, o->tls);
    if (rc == PL_OK)
        rc = bn_run_workers(&sh, ws, o->sessions, pop3_session);
    bn_teardown(&sh, ws);
    return rc;
}

int bn_run_idle(const bn_opts *o, bn_result *r,
                void (*between)(void *ctx), void *ctx)
{
    bn_shared sh;
    bn_worker *ws = NULL;
    bn_conn **conns;
    char line[BN_LINE_MAX];
    int rc, i, nthreads, per;
    bn_opts one = *o;

    /* Up to 8 threads open the connections: POP3 logins cost the server
     * a password hash each, which one client thread would serialise. */
    nthreads = o->sessions < 8 ? o->sessions : 8;
    one.sessions = nthreads;
    one.messages = 0;
    conns = (bn_conn **)calloc((size_t)o->sessions, sizeof *conns);
    rc = bn_setup(&one, r, &sh, &ws, o->tls && o->idle_pop3);
    if (conns == NULL)
        rc = PL_ENOMEM;
    if (rc == PL_OK) {
        per = (o->sessions + nthreads - 1) / nthreads;
        for (i = 0; i < nthreads; i++) {
            ws[i].idle = conns + i * per;
            ws[i].idle_base = i * per;
            ws[i].idle_n = o->sessions - i * per < per
                           ? o->sessions - i * per : per;
            if (ws[i].idle_n < 0)
                ws[i].idle_n = 0;
        }
        rc = bn_run_workers(&sh, ws, nthreads, idle_session);
        r->sessions_open = (int)r->done;
        if (rc == PL_OK && between != NULL)
            between(ctx);
    }
    for (i = 0; conns != NULL && i < o->sessions; i++) {
        if (conns[i] == NULL)
            continue;
        /* Polite QUIT so that the server's sessions end normally. */
        if (bn_conn_write(conns[i], "QUIT\r\n", 6) == PL_OK)
            (void)bn_conn_line(conns[i], line, sizeof line, NULL);
        bn_conn_close(conns[i]);
    }
    free(conns);
    bn_teardown(&sh, ws);
    return rc;
}
