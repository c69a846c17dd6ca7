/*
 * bn_box.c - newmail-bench's big-mailbox scenario: what a POP3 client
 * pays to open a mailbox of many messages (100,000 in the issue's
 * scenario) and learn its contents: login (connect, greeting, USER,
 * PASS), STAT, LIST and UIDL, each read to its end, then QUIT.
 *
 * Every visit goes to one mailbox (PREFIXn@DOMAIN, n = --first-user, 1
 * by default): sessions take visits from the shared counter (--messages)
 * until --max-seconds; a server that locks the mailbox per session
 * answers -ERR [IN-USE] to a second concurrent session, so this scenario
 * is meant for --sessions 1.  The
 * four phases are summed over the visits and reported as means; the
 * latency of a visit is the four together.  STAT's count must equal the
 * lines of LIST and of UIDL, else the visit fails.
 * Limits: at most BN_MAX_BOX lines per listing; every socket operation
 * within --timeout.
 * Privilege: runs as any user; loopback only.
 */
#include <stdio.h>
#include <string.h>
#include "bn.h"
#include "ut_str.h"

/* Read a multi-line reply's lines up to "."; *lines gets their count. */
static int read_listing(bn_worker *w, bn_conn *c, pl_u64 *lines)
{
    char line[BN_LINE_MAX];
    size_t len;
    int rc;

    *lines = 0;
    for (;;) {
        rc = bn_conn_line(c, line, sizeof line, &len);
        if (rc != PL_OK)
            return rc;
        if (strcmp(line, ".") == 0)
            return PL_OK;
        w->bytes += len;
        if (++*lines > BN_MAX_BOX)
            return PL_ERANGE;
    }
}

/* STAT's "+OK count size" into *count. */
static int stat_count(const char *line, pl_u64 *count)
{
    const char *sp = strchr(line + 4, ' ');

    if (strlen(line) < 5 || sp == NULL)
        return PL_EIO;
    return ut_parse_u64(line + 4, (size_t)(sp - line - 4), ~(pl_u64)0,
                        count);
}

/* One multi-line command (LIST, UIDL): +OK, then its lines. */
static int listing(bn_worker *w, bn_conn *c, const char *cmd,
                   pl_u64 *lines, char *line, size_t n)
{
    int rc = bn_pop_cmd(c, cmd, line, n);

    if (rc == PL_OK)
        rc = read_listing(w, c, lines);
    return rc;
}

/* One visit, phase by phase; r->box_msgs is set from STAT. */
static int visit(bn_worker *w, pl_u64 job)
{
    bn_shared *sh = w->sh;
    char line[BN_LINE_MAX];
    bn_conn *c = NULL;
    pl_i64 t0 = bn_now_us(), t;
    pl_u64 count = 0, nlist = 0, nuidl = 0;
    int rc;

    line[0] = '\0';
    rc = bn_pop_login(sh, 0, &c, line, sizeof line);
    if (rc != PL_OK) {
        bn_set_err(w, "login", rc, line);
        return rc;
    }
    t = bn_now_us();
    w->phase_us[0] += (pl_u64)(t - t0 > 0 ? t - t0 : 0);
    rc = bn_pop_cmd(c, "STAT\r\n", line, sizeof line);
    if (rc == PL_OK)
        rc = stat_count(line, &count);
    w->phase_us[1] += bn_lat_since(t);
    t = bn_now_us();
    if (rc == PL_OK)
        rc = listing(w, c, "LIST\r\n", &nlist, line, sizeof line);
    w->phase_us[2] += bn_lat_since(t);
    t = bn_now_us();
    if (rc == PL_OK)
        rc = listing(w, c, "UIDL\r\n", &nuidl, line, sizeof line);
    w->phase_us[3] += bn_lat_since(t);
    if (rc == PL_OK && (nlist != count || nuidl != count)) {
        sprintf(line, "STAT and LIST/UIDL line counts differ");
        rc = PL_EIO;
    }
    if (rc != PL_OK) {
        bn_set_err(w, "STAT/LIST/UIDL", rc, line);
        bn_conn_close(c);
        return rc;
    }
    sh->r->lat_us[job] = bn_lat_since(t0);
    pl_mutex_lock(sh->mu);
    sh->r->box_msgs = count;
    pl_mutex_unlock(sh->mu);
    rc = bn_pop_cmd(c, "QUIT\r\n", line, sizeof line);
    if (rc != PL_OK)
        bn_set_err(w, "QUIT", rc, line);
    bn_conn_close(c);
    return rc;
}

static void box_session(void *arg)
{
    bn_worker *w = (bn_worker *)arg;
    pl_u64 job;

    while (bn_take_job(w->sh, &job)) {
        if (visit(w, job) != PL_OK) {
            w->errors++;
            return;
        }
        w->done++;
    }
}

int bn_run_bigbox(const bn_opts *o, bn_result *r)
{
    bn_shared sh;
    bn_worker *ws = NULL;
    int rc;

    rc = bn_setup(o, r, &sh, &ws, o->tls);
    if (rc == PL_OK)
        rc = bn_run_workers(&sh, ws, o->sessions, box_session);
    bn_teardown(&sh, ws);
    return rc;
}
