/*
 * t_qrun.c - unit tests of the queue runner's pure rules (src/queue
 * qr_plan.c and the parsers of qr_route.c): the retry schedule and the
 * lifetime, giving up with 5.4.7, delay notices, host specs and
 * outbound.routes items (good and bad), the routing table from a
 * configuration with its bad entries, the zone and route choice per
 * recipient, and the grouping of recipients by destination.
 *
 * No thread, socket or file: the threads and the network are covered by
 * tests/integration/t_outbound.sh.
 * Privilege: none.
 */
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "t_util.h"
#include "qr_int.h"

/* --- schedule ----------------------------------------------------------- */

static void t_qr_next_try(void)
{
    /* the OpenVMS defaults: 30 min, then hourly, for 3 days */
    const qr_sched s = { 1800, 3600, 259200, 0 };
    static const struct {
        pl_i64 created;
        int attempts;
        pl_i64 now, want;
    } tab[] = {
        { 1000, 1, 1010, 2800 },             /* first: from arrival */
        { 1000, 1, 1000, 2800 },
        { 1000, 1, 6000, 9600 },             /* first retry passed */
        { 1000, 1, 2800, 6400 },             /* exactly at it */
        { 1000, 2, 2800, 6400 },             /* later: from now */
        { 1000, 7, 100000, 103600 },
        { 1000, 9, 258000, 260200 },         /* the lifetime's end */
        { 1000, 9, 259000, 260200 },
        { 1000, 9, 260199, 260200 },
        { 1000, 9, 260500, 260500 },         /* past it: now */
        { 0, 0, 0, 1800 }
    };
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        pl_i64 got = qr_next_try(&s, tab[i].created, tab[i].attempts,
                                 tab[i].now);
        CU_ASSERT_EQUAL(got, tab[i].want);
    }
    CU_ASSERT_FALSE(qr_expired(&s, 1000, 260199));
    CU_ASSERT_TRUE(qr_expired(&s, 1000, 260200));
    CU_ASSERT_TRUE(qr_expired(&s, 1000, 999999));
    CU_ASSERT_FALSE(qr_expired(&s, 1000, 1000));
}

static void t_qr_sched_cfg(void)
{
    char err[256];
    cf_config *c = NULL;
    qr_sched s;
    static const char txt[] = "queue.first_retry = 1\n"
        "queue.retry_interval = 2m\nqueue.maximum_lifetime = 1h\n"
        "queue.delay_warning = 4h\n";

    CU_ASSERT_EQUAL_FATAL(cf_load_text(txt, sizeof txt - 1, "q.conf", &c,
                                       err, sizeof err), PL_OK);
    qr_sched_load(c, &s);
    CU_ASSERT_EQUAL(s.first_retry, 1);
    CU_ASSERT_EQUAL(s.retry_interval, 120);
    CU_ASSERT_EQUAL(s.lifetime, 3600);
    CU_ASSERT_EQUAL(s.delay_warning, 14400);
    cf_free(c);
}

/* An envelope of n recipients addr[i], all pending. */
static qu_env *t_env(const char *const *addr, int n)
{
    qu_env *e = (qu_env *)calloc(1, sizeof *e);
    int i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    e->rcpt = (qu_rcpt *)calloc((size_t)n, sizeof *e->rcpt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e->rcpt);
    e->nrcpt = n;
    strcpy(e->id, "ABCDEFGHIJKLMNOP");
    e->created = 1000;
    for (i = 0; i < n; i++)
        strcpy(e->rcpt[i].addr, addr[i]);
    return e;
}

static void t_env_free(qu_env *e)
{
    free(e->rcpt);
    free(e);
}

static void t_qr_give_up(void)
{
    static const char *const a[] = { "a@x.test", "b@x.test", "c@y.test" };
    qu_env *e = t_env(a, 3);
    int i;

    e->rcpt[0].attempts = 3;
    strcpy(e->rcpt[0].status, "451 4.4.1 Connection refused");
    e->rcpt[1].state = QU_R_SENT;
    strcpy(e->rcpt[1].status, "250 2.0.0 Ok");
    e->rcpt[2].attempts = 1;
    CU_ASSERT_EQUAL(qr_give_up(e), 2);
    CU_ASSERT_EQUAL(e->rcpt[0].state, QU_R_FAILED);
    CU_ASSERT_EQUAL(strncmp(e->rcpt[0].status, "554 5.4.7 ", 10), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(e->rcpt[0].status,
                                  "gave up after 3 attempts; last: 451 "
                                  "4.4.1 Connection refused"));
    CU_ASSERT_EQUAL(e->rcpt[1].state, QU_R_SENT);
    CU_ASSERT_STRING_EQUAL(e->rcpt[1].status, "250 2.0.0 Ok");
    CU_ASSERT_EQUAL(e->rcpt[2].state, QU_R_FAILED);
    CU_ASSERT_PTR_NOT_NULL(strstr(e->rcpt[2].status, "after 1 attempt"));
    CU_ASSERT_PTR_NULL(strstr(e->rcpt[2].status, "last:"));
    CU_ASSERT_EQUAL(qr_give_up(e), 0);        /* nothing pending left */
    /* a last status at its maximum is cut, never overflows */
    e->rcpt[0].state = QU_R_PENDING;
    for (i = 0; i < QU_STATUS_MAX; i++)
        e->rcpt[0].status[i] = 'x';
    e->rcpt[0].status[QU_STATUS_MAX] = '\0';
    CU_ASSERT_EQUAL(qr_give_up(e), 1);
    CU_ASSERT_EQUAL(strlen(e->rcpt[0].status), QU_STATUS_MAX);
    CU_ASSERT_EQUAL(strncmp(e->rcpt[0].status, "554 5.4.7 ", 10), 0);
    t_env_free(e);
}

static void t_qr_delay(void)
{
    static const char *const a[] = { "a@x.test", "b@x.test" };
    qr_sched s = { 1800, 3600, 259200, 14400 };
    qu_env *e = t_env(a, 2);

    CU_ASSERT_FALSE(qr_delay_due(&s, e, 1000 + 14399));
    CU_ASSERT_TRUE(qr_delay_due(&s, e, 1000 + 14400));
    e->rcpt[0].warned = 1;
    CU_ASSERT_TRUE(qr_delay_due(&s, e, 1000 + 20000));
    e->rcpt[1].state = QU_R_SENT;
    CU_ASSERT_FALSE(qr_delay_due(&s, e, 1000 + 20000));   /* all told */
    e->rcpt[0].warned = 0;
    s.delay_warning = 0;                                  /* off */
    CU_ASSERT_FALSE(qr_delay_due(&s, e, 1000 + 999999));
    t_env_free(e);
}

/* --- parsing ------------------------------------------------------------ */

static void t_qr_route_parse(void)
{
    static const struct {
        const char *in;
        int ok;
        const char *domain, *host;
        int port, literal;
    } tab[] = {
        { "example.org=mx.example.net", 1, "example.org", "mx.example.net",
          25, 0 },
        { "Example.ORG=MX.Example.net:2525", 1, "example.org",
          "mx.example.net", 2525, 0 },
        { "example.org=[192.0.2.1]:587", 1, "example.org", "192.0.2.1",
          587, 1 },
        { "example.org=[192.0.2.1]", 1, "example.org", "192.0.2.1", 25, 1 },
        { "example.org=[2001:db8::1]:26", 1, "example.org", "2001:db8::1",
          26, 1 },
        { "example.org=192.0.2.7:26", 1, "example.org", "192.0.2.7", 26, 1 },
        { "a-b.example=relay_1.test", 1, "a-b.example", "relay_1.test", 25,
          0 },
        { "example.org", 0, NULL, NULL, 0, 0 },
        { "=host.test", 0, NULL, NULL, 0, 0 },
        { "example.org=", 0, NULL, NULL, 0, 0 },
        { "example.org=host:0", 0, NULL, NULL, 0, 0 },
        { "example.org=host:65536", 0, NULL, NULL, 0, 0 },
        { "example.org=host:x", 0, NULL, NULL, 0, 0 },
        { "example.org=host:", 0, NULL, NULL, 0, 0 },
        { "example.org=[192.0.2.1", 0, NULL, NULL, 0, 0 },
        { "example.org=[zz]:25", 0, NULL, NULL, 0, 0 },
        { "example.org=[192.0.2.1]x", 0, NULL, NULL, 0, 0 },
        { "example.org=[192.0.2.1]:", 0, NULL, NULL, 0, 0 },
        { "example.org=2001:db8::1", 0, NULL, NULL, 0, 0 },
        { "example.org=1.2.3", 0, NULL, NULL, 0, 0 },
        { "exa mple.org=host.test", 0, NULL, NULL, 0, 0 },
        { "example..org=host.test", 0, NULL, NULL, 0, 0 },
        { ".example.org=host.test", 0, NULL, NULL, 0, 0 },
        { "example.org=host/x", 0, NULL, NULL, 0, 0 },
        { "example.org=h\001st", 0, NULL, NULL, 0, 0 }
    };
    char why[256];
    qr_route r;
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        int rc;

        why[0] = '\0';
        rc = qr_route_parse(tab[i].in, 25, &r, why, sizeof why);
        CU_ASSERT_EQUAL(rc == PL_OK, tab[i].ok);
        if (rc != PL_OK) {
            CU_ASSERT_TRUE(why[0] != '\0');
            continue;
        }
        CU_ASSERT_STRING_EQUAL(r.domain, tab[i].domain);
        CU_ASSERT_STRING_EQUAL(r.to.host, tab[i].host);
        CU_ASSERT_EQUAL(r.to.port, tab[i].port);
        CU_ASSERT_EQUAL(r.to.literal, tab[i].literal);
    }
}

/* A routing table from configuration text; PL_* of qr_rtab_load. */
static int t_rtab(const char *txt, qr_rtab *t, char *why, size_t n)
{
    char err[256];
    cf_config *c = NULL;
    int rc;

    CU_ASSERT_EQUAL_FATAL(cf_load_text(txt, strlen(txt), "r.conf", &c, err,
                                       sizeof err), PL_OK);
    rc = qr_rtab_load(c, t, why, n);
    cf_free(c);
    return rc;
}

static void t_qr_rtab_bad(void)
{
    static const struct {
        const char *txt, *why;
    } tab[] = {
        { "outbound.routes = a.test=h.test, b.test\n", "outbound.routes" },
        { "outbound.routes = a.test=h.test, A.TEST=[192.0.2.1]:25\n",
          "two routes" },
        { "outbound.zone = inside.test\n", "relay.host" },
        { "relay.host = [zz]:25\n", "relay.host" },
        { "relay.host = smart.test:99999\n", "relay.host" },
        { "relay.host = smart.test\noutbound.zone = in..side\n",
          "outbound.zone" }
    };
    char why[256];
    qr_rtab *t = (qr_rtab *)malloc(sizeof *t);
    size_t i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        why[0] = '\0';
        CU_ASSERT_EQUAL(t_rtab(tab[i].txt, t, why, sizeof why), PL_EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, tab[i].why));
    }
    CU_ASSERT_EQUAL(t_rtab("outbound.port = 2525\n", t, why, sizeof why),
                    PL_OK);
    CU_ASSERT_EQUAL(t->port, 2525);
    CU_ASSERT_EQUAL(t->nroute, 0);
    CU_ASSERT_FALSE(t->has_relay);
    free(t);
}

/* --- choosing a destination --------------------------------------------- */

typedef struct t_pick {
    const char *addr;
    int local, rc, kind;
    const char *key;
} t_pick;

static void t_picks(const char *txt, const t_pick *tab, size_t n)
{
    char why[256];
    qr_rtab *t = (qr_rtab *)malloc(sizeof *t);
    qr_dest d;
    size_t i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL_FATAL(t_rtab(txt, t, why, sizeof why), PL_OK);
    for (i = 0; i < n; i++) {
        int rc = qr_dest_pick(t, tab[i].addr, tab[i].local, &d);

        CU_ASSERT_EQUAL(rc, tab[i].rc);
        if (rc != PL_OK || tab[i].rc != PL_OK)
            continue;
        CU_ASSERT_EQUAL(d.kind, tab[i].kind);
        CU_ASSERT_STRING_EQUAL(d.key, tab[i].key);
    }
    free(t);
}

static void t_qr_pick_zone(void)
{
    static const char txt[] =
        "outbound.routes = special.test=[127.0.0.1]:2525, "
        "other.test=Mail.Other.test\n"
        "relay.host = smart.test:587\n"
        "outbound.zone = inside.test, .example.com\n";
    static const t_pick tab[] = {
        { "a@special.test", 0, PL_OK, QR_D_ROUTE, "route:[127.0.0.1]:2525" },
        { "a@OTHER.test", 0, PL_OK, QR_D_ROUTE, "route:mail.other.test:25" },
        { "a@sub.special.test", 0, PL_OK, QR_D_RELAY,
          "relay:smart.test:587" },
        { "a@inside.test", 0, PL_OK, QR_D_MX, "mx:inside.test" },
        { "a@Deep.Sub.Inside.Test", 0, PL_OK, QR_D_MX,
          "mx:deep.sub.inside.test" },
        { "a@notinside.test", 0, PL_OK, QR_D_RELAY, "relay:smart.test:587" },
        { "a@example.com", 0, PL_OK, QR_D_MX, "mx:example.com" },
        { "a@www.example.com", 0, PL_OK, QR_D_MX, "mx:www.example.com" },
        { "a@example.com.evil.test", 0, PL_OK, QR_D_RELAY,
          "relay:smart.test:587" },
        { "a@[192.0.2.1]", 0, PL_OK, QR_D_RELAY, "relay:smart.test:587" },
        { "a@inside.test", 1, PL_OK, QR_D_LOCAL, "local" },
        { "\"odd@name\"@inside.test", 0, PL_OK, QR_D_MX, "mx:inside.test" },
        { "nodomain", 0, PL_EINVAL, 0, NULL },
        { "a@", 0, PL_EINVAL, 0, NULL },
        { "a@[1.2.3]", 0, PL_EINVAL, 0, NULL },
        { "a@bad..domain", 0, PL_EINVAL, 0, NULL },
        { "a@bad domain", 0, PL_EINVAL, 0, NULL }
    };

    t_picks(txt, tab, sizeof tab / sizeof tab[0]);
}

static void t_qr_pick_direct(void)
{
    static const t_pick direct[] = {
        { "a@[192.0.2.1]", 0, PL_OK, QR_D_LITERAL, "addr:[192.0.2.1]:26" },
        { "a@[IPv6:2001:db8::1]", 0, PL_OK, QR_D_LITERAL,
          "addr:[2001:db8::1]:26" },
        { "a@[2001:db8::1]", 0, PL_EINVAL, 0, NULL },
        { "a@example.org", 0, PL_OK, QR_D_MX, "mx:example.org" },
        { "a@example.org", 1, PL_OK, QR_D_LOCAL, "local" }
    };
    static const t_pick smart[] = {
        { "a@example.org", 0, PL_OK, QR_D_RELAY, "relay:[192.0.2.9]:25" },
        { "a@[192.0.2.1]", 0, PL_OK, QR_D_RELAY, "relay:[192.0.2.9]:25" },
        { "a@example.org", 1, PL_OK, QR_D_LOCAL, "local" },
        { "a@fixed.test", 0, PL_OK, QR_D_ROUTE, "route:h.test:25" }
    };

    t_picks("outbound.port = 26\n", direct,
            sizeof direct / sizeof direct[0]);
    t_picks("relay.host = [192.0.2.9]\noutbound.routes = fixed.test=h.test"
            "\n", smart, sizeof smart / sizeof smart[0]);
}

/* --- grouping ---------------------------------------------------------- */

static void t_qr_group(void)
{
    static const char *const a[] = {
        "a@x.test", "b@y.test", "c@x.test", "d@X.test", "e@here.test",
        "f@y.test", "g@here.test"
    };
    char why[256], keys[7][QR_KEY_MAX];
    const char *kp[7], *dk[7];
    qr_rtab *t = (qr_rtab *)malloc(sizeof *t);
    qu_env *e = t_env(a, 7);
    qr_dest d;
    int idx[7], i, n;

    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL_FATAL(t_rtab("outbound.port = 25\n", t, why,
                                 sizeof why), PL_OK);
    for (i = 0; i < 7; i++) {
        CU_ASSERT_EQUAL(qr_dest_pick(t, a[i], strstr(a[i], "here") != NULL,
                                     &d), PL_OK);
        strcpy(keys[i], d.key);
        kp[i] = keys[i];
    }
    e->rcpt[2].state = QU_R_SENT;
    e->rcpt[5].state = QU_R_FAILED;
    n = qr_distinct(e, kp, dk, 7);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_STRING_EQUAL(dk[0], "mx:x.test");
    CU_ASSERT_STRING_EQUAL(dk[1], "mx:y.test");
    CU_ASSERT_STRING_EQUAL(dk[2], "local");
    n = qr_select(e, kp, "mx:x.test", QU_R_PENDING, idx, 7);
    CU_ASSERT_EQUAL_FATAL(n, 2);          /* c was sent: not again */
    CU_ASSERT_EQUAL(idx[0], 0);
    CU_ASSERT_EQUAL(idx[1], 3);
    n = qr_select(e, kp, "mx:y.test", QU_R_PENDING, idx, 7);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(idx[0], 1);
    n = qr_select(e, kp, "local", QU_R_PENDING, idx, 1);
    CU_ASSERT_EQUAL(n, 1);                /* bounded by max */
    n = qr_select(e, NULL, NULL, QU_R_FAILED, idx, 7);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(idx[0], 5);
    CU_ASSERT_TRUE(qr_has_state(e, QU_R_FAILED));
    CU_ASSERT_FALSE(qr_has_state(e, QU_R_BOUNCED));
    for (i = 0; i < 7; i++)
        if (e->rcpt[i].state == QU_R_PENDING)
            e->rcpt[i].state = QU_R_BOUNCED;
    CU_ASSERT_EQUAL(qr_distinct(e, kp, dk, 7), 0);
    t_env_free(e);
    free(t);
}

/* 120 recipients of one domain, and of many domains through a smart host:
 * one group each, so one transaction. */
static void t_qr_group_many(void)
{
    char why[256], (*keys)[QR_KEY_MAX];
    const char **kp, *dk[4], **addr;
    qr_rtab *t = (qr_rtab *)malloc(sizeof *t);
    qu_env *e;
    qr_dest d;
    int idx[120], i, pass;
    char (*ab)[40];

    keys = (char (*)[QR_KEY_MAX])calloc(120, QR_KEY_MAX);
    kp = (const char **)calloc(120, sizeof *kp);
    addr = (const char **)calloc(120, sizeof *addr);
    ab = (char (*)[40])calloc(120, 40);
    CU_ASSERT_FATAL(t != NULL && keys != NULL && kp != NULL &&
                    addr != NULL && ab != NULL);
    for (pass = 0; pass < 2; pass++) {
        CU_ASSERT_EQUAL_FATAL(t_rtab(pass == 0 ? "outbound.port = 25\n"
                                     : "relay.host = smart.test\n", t, why,
                                     sizeof why), PL_OK);
        for (i = 0; i < 120; i++) {
            sprintf(ab[i], "user%d@%s", i, pass == 0 ? "many.test"
                    : i % 2 ? "one.test" : "two.test");
            addr[i] = ab[i];
        }
        e = t_env(addr, 120);
        for (i = 0; i < 120; i++) {
            CU_ASSERT_EQUAL(qr_dest_pick(t, addr[i], 0, &d), PL_OK);
            strcpy(keys[i], d.key);
            kp[i] = keys[i];
        }
        CU_ASSERT_EQUAL(qr_distinct(e, kp, dk, 4), 1);
        CU_ASSERT_EQUAL(qr_select(e, kp, dk[0], QU_R_PENDING, idx, 120),
                        120);
        t_env_free(e);
    }
    free(keys);
    free(kp);
    free(addr);
    free(ab);
    free(t);
}

static const struct {
    const char *name;
    void (*fn)(void);
} t_qr_cases[] = {
    { "retry schedule and lifetime", t_qr_next_try },
    { "schedule from the configuration", t_qr_sched_cfg },
    { "give up with 5.4.7", t_qr_give_up },
    { "delay notice due", t_qr_delay },
    { "outbound.routes items", t_qr_route_parse },
    { "bad routing configuration", t_qr_rtab_bad },
    { "routes, relay host and zone", t_qr_pick_zone },
    { "literals, MX and smart host", t_qr_pick_direct },
    { "grouping by destination", t_qr_group },
    { "120 recipients, one group", t_qr_group_many }
};

int t_qrun_register(void)
{
    CU_pSuite s;
    size_t i;

    s = CU_add_suite("qrun", NULL, NULL);
    if (s == NULL)
        return -1;
    for (i = 0; i < sizeof t_qr_cases / sizeof t_qr_cases[0]; i++)
        if (CU_add_test(s, t_qr_cases[i].name, t_qr_cases[i].fn) == NULL)
            return -1;
    return 0;
}
