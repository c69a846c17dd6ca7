/*
 * bn_main.c - newmail-bench: options, the loopback check, the server's
 * CPU and memory before and after, and the report.
 *
 *   newmail-bench [options] smtp|pop3|idle|bigbox|tcp|disk
 *
 * Output: one human line per run and one "bench key=value ..." line for
 * scripts (with --label, "row=LABEL" first, so that a script can join the
 * rows of several runs into one table).  Exit 0 when every session and transaction succeeded, 1 when
 * any failed or nothing was done, 2 for a usage error.
 * Limits: see bn.h; the run ends within --max-seconds plus --timeout.
 * Privilege: runs as any user; loopback only: --host must be an address
 * literal in 127.0.0.0/8 or ::1, never a name, so a typo cannot aim the
 * load at another machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bn.h"
#include "ut_str.h"

static void usage(void)
{
    fputs("usage: newmail-bench [options] smtp|pop3|idle|bigbox|tcp|disk\n"
      "  --host ADDR        127.0.0.0/8 or ::1 literal (127.0.0.1)\n"
      "  --port N           server port (25; pop3 110; with --tls 995)\n"
      "  --sessions C       concurrent sessions / idle connections (8)\n"
      "  --messages N       smtp: messages to send; pop3: RETRs at most;"
      " bigbox:\n"
      "                     visits; tcp: blocks; disk: files (1000)\n"
      "  --size S           smtp message, tcp block, disk file octets,"
      " K/M (4K)\n"
      "  --users M          mailboxes PREFIX1..PREFIXM (16)\n"
      "  --first-user N     start at PREFIXN instead of PREFIX1\n"
      "  --user-prefix P    (u)   --domain D (example.org)\n"
      "  --password PW      POP3 password of every mailbox\n"
      "  --tls              smtp: STARTTLS; pop3 and idle pop3: POP3S\n"
      "  --dele             pop3: DELE after each RETR\n"
      "  --idle-proto pop3|smtp  idle: authenticated POP3 or SMTP EHLO\n"
      "  --max-seconds T    hard bound of the run (60)\n"
      "  --timeout T        every socket operation, seconds (30)\n"
      "  --pid PID          server process: CPU seconds and RSS\n"
      "  --proc-dir DIR     where PID/stat and PID/status are (/proc)\n"
      "  --clk-tck HZ       units of utime/stime in PID/stat (100)\n"
      "  --settle-ms MS     idle: wait before reading RSS (1000)\n"
      "  --tree             --pid and all its descendants (Postfix, Dovecot)\n"
      "  --visible-cmd CMD  smtp: time until 'CMD COUNT' exits 0\n"
      "  --visible-seconds T  bound of that wait (120)\n"
      "  --dir DIR          disk: where the files are written\n"
      "  --label NAME       row=NAME in the key=value line\n",
      stderr);
}

/* 1 if s is a loopback address literal: 127.d.d.d or ::1. */
static int is_loopback(const char *s)
{
    pl_u64 v;
    const char *p = s, *e;
    int parts = 0;

    if (strcmp(s, "::1") == 0 || strcmp(s, "0:0:0:0:0:0:0:1") == 0)
        return 1;
    for (;;) {
        e = p;
        while (*e >= '0' && *e <= '9')
            e++;
        if (e == p || e - p > 3
            || ut_parse_u64(p, (size_t)(e - p), 255, &v) != PL_OK)
            return 0;
        if (parts == 0 && v != 127)
            return 0;
        parts++;
        if (*e == '\0')
            break;
        if (*e != '.' || parts == 4)
            return 0;
        p = e + 1;
    }
    return parts == 4;
}

/* A count with an optional K or M suffix (1024-based), 1..max. */
static int parse_num(const char *s, pl_u64 max, pl_u64 *out)
{
    size_t n = strlen(s);
    pl_u64 mul = 1, v;

    if (n > 1 && (s[n - 1] == 'K' || s[n - 1] == 'k'))
        mul = 1024;
    else if (n > 1 && (s[n - 1] == 'M' || s[n - 1] == 'm'))
        mul = 1024UL * 1024UL;
    if (mul != 1)
        n--;
    if (ut_parse_u64(s, n, max, &v) != PL_OK || v == 0 || v > max / mul)
        return PL_EINVAL;
    *out = v * mul;
    return PL_OK;
}

/* The server's figures around the measured phase. */
typedef struct procfig {
    int ok;                  /* both reads worked */
    pl_u64 t0, t1, rss0, rss1, pss0, pss1;
    int procs;               /* processes in the tree after */
    int after;               /* proc_after ran */
    int self_ok;             /* the same for this process: the client and
                                the server share the machine's CPUs */
    pl_u64 s0, s1;
} procfig;

static void proc_before(const bn_opts *o, procfig *p)
{
    pl_u64 rss;
    bn_tree t;

    memset(p, 0, sizeof *p);
    if (bn_proc_read(o->proc_dir, pl_pid(), &p->s0, &rss) == PL_OK)
        p->self_ok = 1;
    if (o->pid != 0 && bn_proc_tree(o->proc_dir, o->pid, o->tree, &t)
                       == PL_OK) {
        p->ok = 1;
        p->t0 = t.ticks;
        p->rss0 = t.rss_kib;
        p->pss0 = t.pss_kib;
    }
}

static void proc_after(const bn_opts *o, procfig *p)
{
    pl_u64 rss;
    bn_tree t;

    p->after = 1;
    if (p->self_ok && bn_proc_read(o->proc_dir, pl_pid(), &p->s1, &rss)
                      != PL_OK)
        p->self_ok = 0;
    if (p->ok && bn_proc_tree(o->proc_dir, o->pid, o->tree, &t) != PL_OK)
        p->ok = 0;
    else if (p->ok) {
        p->t1 = t.ticks;
        p->rss1 = t.rss_kib;
        p->pss1 = t.pss_kib;
        p->procs = t.procs;
    }
}

/* Memory per idle connection: the Pss growth where Pss is known (a
 * process tree shares its libraries), else the RSS growth. */
static double per_conn(const procfig *p, int conns)
{
    if (p->pss0 > 0 && p->pss1 > 0)
        return ((double)p->pss1 - (double)p->pss0) / (double)conns;
    return ((double)p->rss1 - (double)p->rss0) / (double)conns;
}

/* Idle runs read the memory while the connections are open. */
typedef struct idle_ctx {
    const bn_opts *o;
    procfig *p;
} idle_ctx;

static void idle_between(void *arg)
{
    idle_ctx *c = (idle_ctx *)arg;

    /* Let the server's threads finish their start-up allocations. */
    pl_sleep_ms(c->o->settle_ms);
    proc_after(c->o, c->p);
}

static const char *u64s(char *buf, pl_u64 v)
{
    buf[ut_u64_to_dec(buf, v)] = '\0';
    return buf;
}

/* The key=value fields of the smtp visibility wait and of bigbox. */
static void report_extra(const bn_opts *o, const bn_result *r)
{
    char a[24];
    /* Milliseconds: means over the completed visits; with none, the
     * sums of the visit that failed. */
    double n = r->done > 0 ? (double)r->done * 1000.0 : 1000.0;

    if (o->scenario == BN_SC_SMTP)
        printf(" accept_s=%.3f visible=%s", (double)r->accept_ms / 1000.0,
               r->visible > 0 ? "yes" : r->visible < 0 ? "no" : "n/a");
    if (o->scenario == BN_SC_POP3 || o->scenario == BN_SC_BIGBOX
        || (o->scenario == BN_SC_IDLE && o->idle_pop3))
        printf(" inuse_retries=%s", u64s(a, r->inuse_retries));
    if (o->scenario == BN_SC_BIGBOX)
        printf(" box_msgs=%s login_ms=%.2f stat_ms=%.2f list_ms=%.2f"
               " uidl_ms=%.2f total_ms=%.2f", u64s(a, r->box_msgs),
               (double)r->phase_us[0] / n, (double)r->phase_us[1] / n,
               (double)r->phase_us[2] / n, (double)r->phase_us[3] / n,
               (double)(r->phase_us[0] + r->phase_us[1] + r->phase_us[2]
                        + r->phase_us[3]) / n);
}

static void report(const bn_opts *o, const char *name, bn_result *r,
                   procfig *p)
{
    double secs = r->elapsed_ms > 0 ? (double)r->elapsed_ms / 1000.0
                                    : 0.001;
    double rate = (double)r->done / secs;
    double mbs = (double)r->bytes / 1e6 / secs;
    double cpu = 0.0, p50 = 0.0, p99 = 0.0;
    pl_u32 us;
    int have_lat = 0;
    char a[24], b[24], c[24], d[24];

    if (r->nlat > 0 && bn_percentile(r->lat_us, r->nlat, 50, &us) == PL_OK) {
        p50 = (double)us / 1000.0;
        if (bn_percentile(r->lat_us, r->nlat, 99, &us) == PL_OK)
            p99 = (double)us / 1000.0;
        have_lat = 1;
    }
    if (p->ok)
        cpu = (double)(p->t1 - p->t0) / (double)o->clk_tck;
    if (o->scenario == BN_SC_IDLE) {
        printf("%s: %d of %d connections open", name, r->sessions_open,
               o->sessions);
        if (p->ok && r->sessions_open > 0 && p->pss0 > 0 && p->pss1 > 0)
            printf(", server Pss %s -> %s KiB (%d processes), %.1f KiB"
                   " per connection", u64s(a, p->pss0), u64s(b, p->pss1),
                   p->procs, per_conn(p, r->sessions_open));
        else if (p->ok && r->sessions_open > 0)
            printf(", server RSS %s -> %s KiB, %.1f KiB per connection",
                   u64s(a, p->rss0), u64s(b, p->rss1),
                   per_conn(p, r->sessions_open));
        else
            printf(", server RSS n/a");
        printf(" (opened in %.2f s)\n", secs);
    } else {
        printf("%s: %s %s in %.2f s: %.1f/s, %.2f MB/s", name,
               u64s(a, r->done), o->scenario == BN_SC_BIGBOX ? "visits"
               : o->scenario == BN_SC_TCP ? "blocks"
               : o->scenario == BN_SC_DISK ? "files" : "msgs", secs, rate,
               mbs);
        if (r->visible != 0)
            printf(" (last reply at %.2f s, %s)",
                   (double)r->accept_ms / 1000.0, r->visible > 0
                   ? "all visible" : "NOT all visible");
        if (have_lat)
            printf(", p50 %.2f ms, p99 %.2f ms", p50, p99);
        if (p->ok)
            printf(", server CPU %.2f s (%.3f s per 1000 msgs), RSS %s -> %s"
                   " KiB", cpu, r->done > 0 ? cpu * 1000.0
                   / (double)r->done : 0.0, u64s(c, p->rss0),
                   u64s(d, p->rss1));
        else
            printf(", server CPU/RSS n/a");
        printf("\n");
    }
    printf("bench ");
    if (o->label != NULL)
        printf("row=%s ", o->label);
    printf("scenario=%s sessions=%d messages=%s size=%s tls=%d"
           " dele=%d done=%s errors=%s seconds=%.3f msgs_per_s=%.1f"
           " mb_per_s=%.3f", name, o->sessions, u64s(a, o->messages),
           u64s(b, (pl_u64)o->size), o->tls, o->dele, u64s(c, r->done),
           u64s(d, r->errors), secs, rate, mbs);
    if (have_lat)
        printf(" p50_ms=%.3f p99_ms=%.3f", p50, p99);
    else
        printf(" p50_ms=n/a p99_ms=n/a");
    if (p->ok) {
        printf(" cpu_s=%.2f cpu_s_per_1000=%.3f rss_before_kib=%s"
               " rss_after_kib=%s", cpu, r->done > 0 ? cpu * 1000.0
               / (double)r->done : 0.0, u64s(a, p->rss0), u64s(b, p->rss1));
        if (p->pss1 > 0)
            printf(" pss_before_kib=%s pss_after_kib=%s", u64s(a, p->pss0),
                   u64s(b, p->pss1));
        printf(" procs=%d", p->procs);
        if (o->scenario == BN_SC_IDLE && r->sessions_open > 0)
            printf(" kib_per_conn=%.1f", per_conn(p, r->sessions_open));
    } else
        printf(" cpu_s=n/a rss_before_kib=n/a rss_after_kib=n/a");
    report_extra(o, r);
    if (p->self_ok)
        printf(" client_cpu_s=%.2f",
               (double)(p->s1 - p->s0) / (double)o->clk_tck);
    else
        printf(" client_cpu_s=n/a");
    printf("\n");
    if (r->first_error[0] != '\0')
        printf("first error: %s\n", r->first_error);
    fflush(stdout);
}

/* Option value or usage error. */
static const char *arg_of(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "newmail-bench: %s needs a value\n", argv[*i]);
        exit(2);
    }
    return argv[++*i];
}

static pl_u64 num_of(int argc, char **argv, int *i, pl_u64 max)
{
    const char *name = argv[*i], *v = arg_of(argc, argv, i);
    pl_u64 n;

    if (parse_num(v, max, &n) != PL_OK) {
        fprintf(stderr, "newmail-bench: %s: '%s' is not in 1..%lu\n", name,
                v, (unsigned long)max);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    bn_opts o;
    bn_result r;
    procfig p;
    idle_ctx ic;
    const char *scen = NULL, *proto = "pop3";
    int i, rc;

    if (pl_init() != PL_OK) {
        fputs("newmail-bench: platform start-up failed\n", stderr);
        return 2;
    }
    memset(&o, 0, sizeof o);
    memset(&r, 0, sizeof r);
    o.host = "127.0.0.1";
    o.sessions = 8;
    o.messages = 1000;
    o.size = 4096;
    o.users = 16;
    o.first = 1;
    o.prefix = "u";
    o.domain = "example.org";
    o.password = "";
    o.max_seconds = 60;
    o.io_ms = 30000;
    o.proc_dir = "/proc";
    o.clk_tck = 100;
    o.settle_ms = 1000;
    o.visible_s = 120;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--host") == 0)
            o.host = arg_of(argc, argv, &i);
        else if (strcmp(a, "--port") == 0)
            o.port = arg_of(argc, argv, &i);
        else if (strcmp(a, "--sessions") == 0)
            o.sessions = (int)num_of(argc, argv, &i, BN_MAX_SESSIONS);
        else if (strcmp(a, "--messages") == 0)
            o.messages = num_of(argc, argv, &i, BN_MAX_MESSAGES);
        else if (strcmp(a, "--size") == 0)
            o.size = (size_t)num_of(argc, argv, &i, BN_MAX_SIZE);
        else if (strcmp(a, "--users") == 0)
            o.users = (int)num_of(argc, argv, &i, 1000000UL);
        else if (strcmp(a, "--first-user") == 0)
            o.first = num_of(argc, argv, &i, 1000000UL);
        else if (strcmp(a, "--user-prefix") == 0)
            o.prefix = arg_of(argc, argv, &i);
        else if (strcmp(a, "--domain") == 0)
            o.domain = arg_of(argc, argv, &i);
        else if (strcmp(a, "--password") == 0)
            o.password = arg_of(argc, argv, &i);
        else if (strcmp(a, "--tls") == 0)
            o.tls = 1;
        else if (strcmp(a, "--dele") == 0)
            o.dele = 1;
        else if (strcmp(a, "--idle-proto") == 0)
            proto = arg_of(argc, argv, &i);
        else if (strcmp(a, "--max-seconds") == 0)
            o.max_seconds = (pl_i32)num_of(argc, argv, &i, 86400UL);
        else if (strcmp(a, "--timeout") == 0)
            o.io_ms = (pl_i32)num_of(argc, argv, &i, 3600UL) * 1000;
        else if (strcmp(a, "--pid") == 0)
            o.pid = (pl_u32)num_of(argc, argv, &i, 0xFFFFFFFFUL);
        else if (strcmp(a, "--proc-dir") == 0)
            o.proc_dir = arg_of(argc, argv, &i);
        else if (strcmp(a, "--clk-tck") == 0)
            o.clk_tck = (int)num_of(argc, argv, &i, 100000UL);
        else if (strcmp(a, "--settle-ms") == 0)
            o.settle_ms = (pl_i32)num_of(argc, argv, &i, 600000UL);
        else if (strcmp(a, "--tree") == 0)
            o.tree = 1;
        else if (strcmp(a, "--visible-cmd") == 0)
            o.visible_cmd = arg_of(argc, argv, &i);
        else if (strcmp(a, "--visible-seconds") == 0)
            o.visible_s = (pl_i32)num_of(argc, argv, &i, 86400UL);
        else if (strcmp(a, "--dir") == 0)
            o.dir = arg_of(argc, argv, &i);
        else if (strcmp(a, "--label") == 0)
            o.label = arg_of(argc, argv, &i);
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage();
            return 0;
        } else if (a[0] == '-' || scen != NULL) {
            usage();
            return 2;
        } else
            scen = a;
    }
    if (scen == NULL) {
        usage();
        return 2;
    }
    if (strcmp(scen, "smtp") == 0)
        o.scenario = BN_SC_SMTP;
    else if (strcmp(scen, "pop3") == 0)
        o.scenario = BN_SC_POP3;
    else if (strcmp(scen, "idle") == 0)
        o.scenario = BN_SC_IDLE;
    else if (strcmp(scen, "bigbox") == 0)
        o.scenario = BN_SC_BIGBOX;
    else if (strcmp(scen, "tcp") == 0)
        o.scenario = BN_SC_TCP;
    else if (strcmp(scen, "disk") == 0)
        o.scenario = BN_SC_DISK;
    else {
        usage();
        return 2;
    }
    if (strcmp(proto, "pop3") != 0 && strcmp(proto, "smtp") != 0) {
        fprintf(stderr, "newmail-bench: --idle-proto must be pop3 or smtp\n");
        return 2;
    }
    o.idle_pop3 = strcmp(proto, "pop3") == 0;
    if (!is_loopback(o.host)) {
        fprintf(stderr, "newmail-bench: --host %s is not a loopback address"
                " literal (127.0.0.0/8 or ::1); refused\n", o.host);
        return 2;
    }
    if (o.scenario == BN_SC_DISK && o.dir == NULL) {
        fprintf(stderr, "newmail-bench: disk needs --dir\n");
        return 2;
    }
    if (strlen(o.password) > BN_PASS_MAX) {
        fprintf(stderr, "newmail-bench: --password is longer than %d"
                " octets\n", BN_PASS_MAX);
        return 2;
    }
    if (o.visible_cmd != NULL && strlen(o.visible_cmd) > BN_CMD_MAX - 32) {
        fprintf(stderr, "newmail-bench: --visible-cmd is too long\n");
        return 2;
    }
    if (o.port == NULL)
        o.port = o.scenario == BN_SC_SMTP
                 || (o.scenario == BN_SC_IDLE && !o.idle_pop3) ? "25"
                 : o.tls ? "995" : "110";
    if (o.scenario == BN_SC_POP3 && o.sessions > o.users) {
        fprintf(stderr, "newmail-bench: pop3 needs --users >= --sessions"
                " (the server locks a mailbox per session)\n");
        return 2;
    }
    if (o.scenario == BN_SC_IDLE && o.idle_pop3 && o.sessions > o.users) {
        fprintf(stderr, "newmail-bench: idle pop3 needs --users >="
                " --sessions (one mailbox per connection)\n");
        return 2;
    }
    proc_before(&o, &p);
    if (o.scenario == BN_SC_SMTP)
        rc = bn_run_smtp(&o, &r);
    else if (o.scenario == BN_SC_POP3)
        rc = bn_run_pop3(&o, &r);
    else if (o.scenario == BN_SC_BIGBOX)
        rc = bn_run_bigbox(&o, &r);
    else if (o.scenario == BN_SC_TCP)
        rc = bn_run_tcp(&o, &r);
    else if (o.scenario == BN_SC_DISK)
        rc = bn_run_disk(&o, &r);
    else {
        ic.o = &o;
        ic.p = &p;
        rc = bn_run_idle(&o, &r, idle_between, &ic);
    }
    /* An idle run reads "after" while its connections are open; one that
     * failed before that point reads it now. */
    if (o.scenario != BN_SC_IDLE || !p.after)
        proc_after(&o, &p);
    report(&o, o.scenario == BN_SC_IDLE
               ? (o.idle_pop3 ? "idle-pop3" : "idle-smtp") : scen, &r, &p);
    free(r.lat_us);
    if (rc != PL_OK || r.errors > 0 || r.done == 0)
        return 1;
    return 0;
}
