/*
 * sv_ctl.c - the daemon's side of `newmail ctl`: the control listener in
 * store.root/_CONTROL, the request parser, the STATS report and the
 * session counters behind it (protocol in sv_ctl.h).
 *
 * Why inline on the accept thread: a request is one short line from a
 * local program, so serving it costs less than a thread; every read and
 * write is bounded by SV_CTL_IO_MS (and the peer is checked before the
 * request is read), so one stuck client delays accepting by at most a
 * few seconds and never blocks it.
 * Limits: SV_CTL_LINE_MAX per request, SV_CTL_REPLY_MAX per reply.
 * Privilege: runs as the service account; the channel admits only it and
 * root (pl_ctl_peer_ok).
 */
#include <string.h>
#include "sv_ctl.h"
#include "sv_int.h"
#include "sv_penalty.h"
#include "qr.h"
#include "ut_date.h"
#include "ut_log.h"
#include "ut_str.h"

/* The verbs, in the order of the SV_CTL_* values; [0] unused. */
static const char *const ctl_verbs[] = {
    "", "STATS", "LOGLEVEL", "SHUTDOWN", "RELOAD", "FLUSH"
};

int sv_ctl_parse(const char *line, size_t len, int *verb, int *level)
{
    char word[16], arg[16];
    size_t i = 0, w = 0, a = 0;
    int v;

    if (line == NULL || verb == NULL || level == NULL ||
        memchr(line, '\0', len) != NULL)
        return PL_EINVAL;
    *verb = 0;
    *level = -1;
    while (i < len && line[i] != ' ') {
        if (w + 1 >= sizeof word)
            return PL_EINVAL;
        word[w++] = line[i++];
    }
    word[w] = '\0';
    if (i < len)
        i++;                       /* the one space before the argument */
    while (i < len) {
        if (line[i] == ' ' || a + 1 >= sizeof arg)
            return PL_EINVAL;      /* one argument, one space: no more */
        arg[a++] = line[i++];
    }
    arg[a] = '\0';
    if (i > 0 && line[len - 1] == ' ')
        return PL_EINVAL;          /* "STATS " has an empty argument */
    for (v = SV_CTL_STATS; v <= SV_CTL_FLUSH; v++)
        if (ut_strcaseeq(word, ctl_verbs[v]))
            break;
    if (v > SV_CTL_FLUSH)
        return PL_EINVAL;
    if (v == SV_CTL_LOGLEVEL) {
        if (a == 0 || ut_log_level_parse(arg, level) != PL_OK)
            return PL_EINVAL;
    } else if (a != 0) {
        return PL_EINVAL;
    }
    *verb = v;
    return PL_OK;
}

int sv_ctl_read_line(pl_sock *s, char *buf, size_t n, pl_i32 timeout_ms)
{
    pl_i64 deadline = pl_time_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    size_t have = 0;

    if (s == NULL || buf == NULL || n < 2 || timeout_ms < 0)
        return PL_EINVAL;
    for (;;) {
        char *nl = (char *)memchr(buf, '\n', have);
        pl_i64 left;
        size_t got = 0;
        int rc;

        if (nl != NULL) {
            size_t len = (size_t)(nl - buf);

            if (len > 0 && buf[len - 1] == '\r')
                len--;
            buf[len] = '\0';
            return PL_OK;
        }
        if (have >= n - 1)
            return PL_ERANGE;
        left = deadline - pl_time_mono_ms();
        if (left <= 0)
            return PL_ETIMEDOUT;
        /* One byte at a time would be simpler but the bound is the same:
         * the request is the whole conversation, so nothing after the line
         * end can be lost. */
        rc = pl_sock_read(s, buf + have, n - 1 - have, (pl_i32)left, &got);
        if (rc != PL_OK)
            return rc;
        have += got;
    }
}

int sv_ctl_open_dir(pl_dir *root, int create, pl_dir **out)
{
    return pl_dir_open(root, SV_CTL_DIR, create ? PL_DIR_CREATE : 0, out);
}

int sv_ctl_open(sv_server *s, char *err, size_t errlen)
{
    int rc;
    char nat[128];

    rc = sv_ctl_open_dir(s->root, 1, &s->ctl_dir);
    if (rc == PL_OK)
        rc = pl_ctl_listen(s->ctl_dir, SV_CTL_NAME, &s->ctl);
    if (rc != PL_OK) {
        pl_last_native(nat, sizeof nat);
        ut_log_format(err, errlen, "control channel %s/%s: %s%s (%s)",
                      SV_CTL_DIR, SV_CTL_NAME, pl_strerror(rc),
                      rc == PL_EADDRINUSE ? ": a server already runs on "
                      "this store" : "", nat);
        pl_dir_close(s->ctl_dir);
        s->ctl_dir = NULL;
    }
    return rc;
}

int sv_ctl_take_events(sv_server *s)
{
    int ev = s->ctl_events;

    s->ctl_events = 0;
    return ev;
}

void sv_server_set_version(sv_server *s, const char *version)
{
    s->version = version;
}

void sv_stats_enter(sv_server *s, int si)
{
    pl_mutex_lock(s->stats.mu);
    s->stats.now[si]++;
    s->stats.total[si]++;
    if (s->stats.now[si] > s->stats.peak[si])
        s->stats.peak[si] = s->stats.now[si];
    pl_mutex_unlock(s->stats.mu);
}

void sv_stats_refused(sv_server *s, int si)
{
    pl_mutex_lock(s->stats.mu);
    s->stats.refused[si]++;
    pl_mutex_unlock(s->stats.mu);
}

void sv_stats_tally(sv_server *s, int si, const sv_tally *t)
{
    pl_mutex_lock(s->stats.mu);
    s->stats.mail[si].messages += t->messages;
    s->stats.mail[si].octets += t->octets;
    s->stats.mail[si].other += t->other;
    pl_mutex_unlock(s->stats.mu);
}

void sv_stats_leave(sv_server *s, int si)
{
    pl_mutex_lock(s->stats.mu);
    s->stats.now[si]--;
    pl_mutex_unlock(s->stats.mu);
}

/* Append one line (CRLF added) to out; cut silently at n: a report that
 * does not fit is a bug in SV_CTL_REPLY_MAX, not the client's problem. */
static void ctl_line(char *out, size_t n, const char *line)
{
    (void)ut_strlcat(out, line, n);
    (void)ut_strlcat(out, "\r\n", n);
}

/* The queue runner's lines of STATS (zeros when it does not run). */
static void ctl_queue(sv_server *s, char *out, size_t n)
{
    char line[128], d[24];
    qr_stats qs;

    qr_get_stats(s->runner, &qs);
    ut_log_format(line, sizeof line, "queue_queued: %d", qs.queued);
    ctl_line(out, n, line);
    ut_log_format(line, sizeof line, "queue_active: %d", qs.active);
    ctl_line(out, n, line);
    d[ut_u64_to_dec(d, qs.delivered)] = '\0';
    ut_log_format(line, sizeof line, "queue_delivered: %s", d);
    ctl_line(out, n, line);
    d[ut_u64_to_dec(d, qs.deferred)] = '\0';
    ut_log_format(line, sizeof line, "queue_deferred: %s", d);
    ctl_line(out, n, line);
    d[ut_u64_to_dec(d, qs.bounced)] = '\0';
    ut_log_format(line, sizeof line, "queue_bounced: %s", d);
    ctl_line(out, n, line);
}

/* The STATS reply, "+OK" to "." inclusive. */
/* "mail pop3: retrieved 3 octets 12840 deleted 1" (the first and last
 * words from the service table).  Called with the stats mutex held. */
static void ctl_mail(sv_server *s, int i, char *out, size_t n)
{
    const char *words = s->svc[i].svc->tally_words;
    const char *sp;
    char line[256], d1[24], d2[24], d3[24];

    if (words == NULL || (sp = strchr(words, ' ')) == NULL)
        return;
    d1[ut_u64_to_dec(d1, s->stats.mail[i].messages)] = '\0';
    d2[ut_u64_to_dec(d2, s->stats.mail[i].octets)] = '\0';
    d3[ut_u64_to_dec(d3, s->stats.mail[i].other)] = '\0';
    ut_log_format(line, sizeof line, "mail %s: %.*s %s octets %s %s %s",
                  s->svc[i].svc->name, (int)(sp - words), words, d1, d2,
                  sp + 1, d3);
    ctl_line(out, n, line);
}

static void ctl_stats(sv_server *s, char *out, size_t n)
{
    char line[256], d1[24], d2[24], d3[24];
    ut_tm tm;
    pl_i64 now = pl_time_now(), up;
    int i, open_now = 0;

    out[0] = '\0';
    ctl_line(out, n, "+OK statistics follow");
    ut_log_format(line, sizeof line, "version: %s",
                  s->version != NULL ? s->version : "unknown");
    ctl_line(out, n, line);
    ut_log_format(line, sizeof line, "log_level: %s",
                  ut_log_level_name(ut_log_get_level()));
    ctl_line(out, n, line);
    ut_date_split(s->stats.started, 0, &tm);
    ut_log_format(line, sizeof line,
                  "started: %04d-%02d-%02dT%02d:%02d:%02dZ", tm.year,
                  tm.month, tm.day, tm.hour, tm.min, tm.sec);
    ctl_line(out, n, line);
    up = now > s->stats.started ? now - s->stats.started : 0;
    d1[ut_u64_to_dec(d1, (pl_u64)up)] = '\0';
    ut_log_format(line, sizeof line, "uptime_seconds: %s", d1);
    ctl_line(out, n, line);
    pl_mutex_lock(s->stats.mu);
    for (i = 0; i < s->nsvc; i++) {
        d1[ut_u64_to_dec(d1, s->stats.total[i])] = '\0';
        d2[ut_u64_to_dec(d2, s->stats.refused[i])] = '\0';
        ut_log_format(line, sizeof line,
                      "service %s: now %d total %s max %d refused %s",
                      s->svc[i].svc->name, s->stats.now[i], d1,
                      s->stats.peak[i], d2);
        open_now += s->stats.now[i];
        ctl_line(out, n, line);
        ctl_mail(s, i, out, n);
    }
    pl_mutex_unlock(s->stats.mu);
    ut_log_format(line, sizeof line, "sessions_now: %d", open_now);
    ctl_line(out, n, line);
    d3[ut_u64_to_dec(d3, sv_penalty_failures())] = '\0';
    ut_log_format(line, sizeof line, "auth_failures: %s", d3);
    ctl_line(out, n, line);
    ctl_queue(s, out, n);
    ctl_line(out, n, ".");
}

void sv_ctl_serve(sv_server *s, pl_sock *c)
{
    char req[SV_CTL_LINE_MAX + 1], out[SV_CTL_REPLY_MAX], line[128];
    int rc, verb = 0, level = -1;

    rc = pl_ctl_peer_ok(c);
    if (rc != PL_OK) {
        ut_log(PL_LOG_NOTICE, PL_LOGCAT_AUTH, "control: connection "
               "refused: %s", pl_strerror(rc));
        (void)pl_sock_write(c, "-ERR not allowed\r\n", 18, SV_CTL_IO_MS);
        pl_sock_close(c);
        return;
    }
    rc = sv_ctl_read_line(c, req, sizeof req, SV_CTL_IO_MS);
    if (rc == PL_OK)
        rc = sv_ctl_parse(req, strlen(req), &verb, &level);
    if (rc != PL_OK) {
        ut_log_info("control: bad request: %s", pl_strerror(rc));
        (void)ut_strlcpy(out, rc == PL_ERANGE ? "-ERR line too long\r\n"
                         : "-ERR bad request\r\n", sizeof out);
    } else if (verb == SV_CTL_STATS) {
        ctl_stats(s, out, sizeof out);
    } else if (verb == SV_CTL_LOGLEVEL) {
        ut_log_set_level(level);
        ut_log(PL_LOG_NOTICE, PL_LOGCAT_MAIL, "control: log level %s",
               ut_log_level_name(level));
        ut_log_format(line, sizeof line, "+OK log level %s",
                      ut_log_level_name(level));
        out[0] = '\0';
        ctl_line(out, sizeof out, line);
    } else if (verb == SV_CTL_FLUSH) {
        qr_flush(s->runner);
        ut_log(PL_LOG_NOTICE, PL_LOGCAT_MAIL, "control: queue flush "
               "requested");
        (void)ut_strlcpy(out, s->runner != NULL ? "+OK queue runner woken"
                         "\r\n" : "-ERR no queue runner\r\n", sizeof out);
    } else {
        int ev = verb == SV_CTL_SHUTDOWN ? PL_EVENT_TERM : PL_EVENT_RELOAD;

        s->ctl_events |= ev;
        ut_log(PL_LOG_NOTICE, PL_LOGCAT_MAIL, "control: %s requested",
               verb == SV_CTL_SHUTDOWN ? "shutdown" : "reload");
        (void)ut_strlcpy(out, verb == SV_CTL_SHUTDOWN
                         ? "+OK shutting down\r\n" : "+OK reloading\r\n",
                         sizeof out);
    }
    (void)pl_sock_write(c, out, strlen(out), SV_CTL_IO_MS);
    pl_sock_close(c);
}
