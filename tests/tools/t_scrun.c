/*
 * t_scrun.c - test driver for tests/integration/t_smtpc.sh: runs the SMTP
 * client (sc_deliver, src/smtpc/sc.h) once from its arguments and prints
 * what came back.
 *
 *   t_scrun [options] HOST ADDR PORT FROM MESSAGE-FILE RCPT...
 *     -t none|may|encrypt|verify  TLS policy (default none)
 *     -c FILE      CA file for verify
 *     -u USER -p PASS             AUTH credentials
 *     -8 send|bounce              8-bit message to a peer without 8BITMIME
 *     -b 7bit|8bit                the message's BODY (default none given)
 *     -U           the message needs SMTPUTF8
 *     -w MS        every stage timeout (default 10000)
 *     -g MS        the greeting timeout alone
 *     -r full|hdrs -e ENVID -n NOTIFY-BITS -o ORCPT   DSN parameters
 *     -H NAME      our EHLO name (default client.example)
 *   FROM "" is the null reverse path.
 *
 * Prints "result CODE PERM STATUS", "remote REMOTE", "tls VERSION CIPHER"
 * (or "tls none"), one "rcpt ADDRESS CODE STATUS" per recipient and
 * "elapsed MS".  Exit 0 when sc_deliver returned PL_OK, 1 when it did not
 * (with the reason), 2 for bad usage.
 * Limits: none of its own.  Privilege: the caller's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sc.h"
#include "qu.h"

static int t_usage(void)
{
    fprintf(stderr, "usage: t_scrun [-t none|may|encrypt|verify] [-c CA] "
            "[-u USER -p PASS] [-8 send|bounce] [-b 7bit|8bit] [-U] "
            "[-w MS] [-g MS] [-r full|hdrs] [-e ENVID] [-n BITS] "
            "[-o ORCPT] [-H HELO] HOST ADDR PORT FROM FILE RCPT...\n");
    return 2;
}

typedef struct t_opts {
    sc_policy p;
    sc_msg m;
    const char *orcpt;
    int notify;
} t_opts;

static int t_tls_arg(const char *v)
{
    static const char *const names[] = { "none", "may", "encrypt",
                                         "verify", NULL };
    int i;

    for (i = 0; names[i] != NULL; i++)
        if (strcmp(v, names[i]) == 0)
            return i;
    return -1;
}

/* One option with its value; 0 when unknown or bad. */
static int t_opt(t_opts *o, char f, const char *v)
{
    switch (f) {
    case 't': o->p.tls = t_tls_arg(v); return o->p.tls >= 0;
    case 'c': o->p.tls_ca = v; return 1;
    case 'u': o->p.auth_user = v; return 1;
    case 'p': o->p.auth_pass = v; return 1;
    case '8':
        o->p.eightbit = strcmp(v, "bounce") == 0 ? SC_8BIT_BOUNCE
                        : SC_8BIT_SEND;
        return strcmp(v, "bounce") == 0 || strcmp(v, "send") == 0;
    case 'b':
        o->m.body = strcmp(v, "8bit") == 0 ? QU_BODY_8BIT : QU_BODY_7BIT;
        return strcmp(v, "8bit") == 0 || strcmp(v, "7bit") == 0;
    case 'w':
        o->p.connect_ms = o->p.greeting_ms = o->p.command_ms = atoi(v);
        o->p.data_init_ms = o->p.data_block_ms = atoi(v);
        o->p.data_done_ms = atoi(v);
        return atoi(v) > 0;
    case 'g': o->p.greeting_ms = atoi(v); return atoi(v) > 0;
    case 'r':
        o->m.ret = strcmp(v, "full") == 0 ? QU_RET_FULL : QU_RET_HDRS;
        return 1;
    case 'e': o->m.envid = v; return 1;
    case 'n': o->notify = atoi(v); return 1;
    case 'o': o->orcpt = v; return 1;
    case 'H': o->p.helo = v; return 1;
    default: return 0;
    }
}

static void t_print(const sc_msg *m, const sc_result *r, pl_i64 ms)
{
    int i;

    printf("result %d %d %s\n", r->code, r->perm, r->status);
    printf("remote %s\n", r->remote);
    if (r->tls_version[0] != '\0')
        printf("tls %s %s\n", r->tls_version, r->tls_cipher);
    else
        printf("tls none\n");
    for (i = 0; i < m->nrcpt; i++)
        printf("rcpt %s %d %s\n", m->rcpt[i].addr, m->rcpt[i].code,
               m->rcpt[i].status);
    printf("elapsed %d\n", (int)ms);
}

int main(int argc, char **argv)
{
    t_opts o;
    sc_result r;
    sc_rcpt *rc;
    int a = 1, i, st;
    pl_i64 t0;

    memset(&o, 0, sizeof o);
    o.p.helo = "client.example";
    o.p.tls_ca = "";
    o.m.envid = "";
    o.orcpt = "";
    o.p.connect_ms = o.p.greeting_ms = o.p.command_ms = 10000;
    o.p.data_init_ms = o.p.data_block_ms = o.p.data_done_ms = 10000;
    if (pl_init() != PL_OK)
        return 1;
    while (a < argc && argv[a][0] == '-' && argv[a][1] != '\0') {
        if (strcmp(argv[a], "-U") == 0) {
            o.m.smtputf8 = 1;
            a++;
            continue;
        }
        if (argv[a][2] != '\0' || a + 1 >= argc ||
            !t_opt(&o, argv[a][1], argv[a + 1]))
            return t_usage();
        a += 2;
    }
    if (argc - a < 6)
        return t_usage();
    o.m.from = argv[a + 3];
    st = pl_file_open_path(argv[a + 4], &o.m.data);
    if (st == PL_OK)
        st = pl_file_size(o.m.data, &o.m.size);
    if (st != PL_OK) {
        fprintf(stderr, "t_scrun: %s: %s\n", argv[a + 4], pl_strerror(st));
        return 1;
    }
    o.m.nrcpt = argc - a - 5;
    rc = (sc_rcpt *)calloc((size_t)o.m.nrcpt, sizeof *rc);
    if (rc == NULL)
        return 1;
    for (i = 0; i < o.m.nrcpt; i++) {
        rc[i].addr = argv[a + 5 + i];
        rc[i].orcpt = o.orcpt;
        rc[i].notify = o.notify;
    }
    o.m.rcpt = rc;
    t0 = pl_time_mono_ms();
    st = sc_deliver(&o.p, argv[a], argv[a + 1], atoi(argv[a + 2]), &o.m,
                    &r);
    if (st == PL_OK)
        t_print(&o.m, &r, pl_time_mono_ms() - t0);
    else
        fprintf(stderr, "t_scrun: sc_deliver: %s (%s)\n", pl_strerror(st),
                r.status);
    (void)pl_file_close(o.m.data);
    free(rc);
    return st == PL_OK ? 0 : 1;
}
