/*
 * t_srv.c - unit tests of src/srv: the authentication penalty table
 * (doubling, ceiling, reset, expiry, eviction bound, threads) and the
 * session limits (total, per source, table bound, reload bounds, drain
 * wait, threads).
 */
#include <stdio.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "t_util.h"
#include "sv.h"
#include "sv_penalty.h"


/* --- penalty ----------------------------------------------------------- */

static pl_i64 fake_now;

static pl_i64 fake_clock(void)
{
    return fake_now;
}

static int pen_setup(void)
{
    if (sv_penalty_init() != PL_OK)
        return -1;
    fake_now = 1000000;
    sv_penalty_set_clock(fake_clock);
    sv_penalty_clear();
    return 0;
}

static int pen_teardown(void)
{
    sv_penalty_clear();
    sv_penalty_set_clock(NULL);
    return 0;
}

static void test_pen_doubling(void)
{
    static const pl_i32 want[] = { 2000, 4000, 8000, 15000, 15000, 15000 };
    size_t i;

    sv_penalty_clear();
    CU_ASSERT_EQUAL(sv_penalty_delay("192.0.2.1"), 0);
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        sv_penalty_fail("192.0.2.1");
        CU_ASSERT_EQUAL(sv_penalty_delay("192.0.2.1"), want[i]);
    }
    /* Another source is not touched. */
    CU_ASSERT_EQUAL(sv_penalty_delay("192.0.2.2"), 0);
    CU_ASSERT_EQUAL(sv_penalty_count(), 1);
}

static void test_pen_reset(void)
{
    sv_penalty_clear();
    sv_penalty_fail("2001:db8::1");
    sv_penalty_fail("2001:db8::1");
    sv_penalty_fail("2001:db8::2");
    CU_ASSERT_EQUAL(sv_penalty_delay("2001:db8::1"), 4000);
    sv_penalty_ok("2001:db8::1");
    CU_ASSERT_EQUAL(sv_penalty_delay("2001:db8::1"), 0);
    CU_ASSERT_EQUAL(sv_penalty_delay("2001:db8::2"), SV_PENALTY_MIN_MS);
    CU_ASSERT_EQUAL(sv_penalty_count(), 1);
    /* After a success the next failure starts again at the minimum. */
    sv_penalty_fail("2001:db8::1");
    CU_ASSERT_EQUAL(sv_penalty_delay("2001:db8::1"), SV_PENALTY_MIN_MS);
    /* A success from an unknown source is harmless. */
    sv_penalty_ok("198.51.100.9");
    CU_ASSERT_EQUAL(sv_penalty_count(), 2);
}

static void test_pen_expiry(void)
{
    sv_penalty_clear();
    sv_penalty_fail("192.0.2.7");
    sv_penalty_fail("192.0.2.7");
    fake_now += SV_PENALTY_FORGET_SECS - 1;
    CU_ASSERT_EQUAL(sv_penalty_delay("192.0.2.7"), 4000);
    /* Each failure restarts the forgetting period. */
    sv_penalty_fail("192.0.2.7");
    fake_now += SV_PENALTY_FORGET_SECS - 1;
    CU_ASSERT_EQUAL(sv_penalty_delay("192.0.2.7"), 8000);
    fake_now += 1;
    CU_ASSERT_EQUAL(sv_penalty_delay("192.0.2.7"), 0);
    CU_ASSERT_EQUAL(sv_penalty_count(), 0);
    /* A failure after the entry expired starts at the minimum again. */
    sv_penalty_fail("192.0.2.8");
    sv_penalty_fail("192.0.2.8");
    fake_now += SV_PENALTY_FORGET_SECS;
    sv_penalty_fail("192.0.2.8");
    CU_ASSERT_EQUAL(sv_penalty_delay("192.0.2.8"), SV_PENALTY_MIN_MS);
}

static void addr_of(int i, char *buf)
{
    sprintf(buf, "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
}

static void test_pen_eviction(void)
{
    char a[PL_ADDR_MAX];
    int i, extra = 100, ok_old = 1, ok_new = 1;

    sv_penalty_clear();
    for (i = 0; i < SV_PENALTY_SLOTS + extra; i++) {
        addr_of(i, a);
        sv_penalty_fail(a);
        if (sv_penalty_count() > SV_PENALTY_SLOTS)
            break;
    }
    CU_ASSERT_EQUAL(sv_penalty_count(), SV_PENALTY_SLOTS);
    /* The oldest `extra` went; every newer one is still there. */
    for (i = 0; i < extra; i++) {
        addr_of(i, a);
        if (sv_penalty_delay(a) != 0)
            ok_old = 0;
    }
    for (i = extra; i < SV_PENALTY_SLOTS + extra; i++) {
        addr_of(i, a);
        if (sv_penalty_delay(a) != SV_PENALTY_MIN_MS)
            ok_new = 0;
    }
    CU_ASSERT(ok_old);
    CU_ASSERT(ok_new);
    /* A source that fails again becomes the newest and survives the next
     * eviction, while the then-oldest goes. */
    addr_of(extra, a);
    sv_penalty_fail(a);
    sv_penalty_fail("192.0.2.200");
    CU_ASSERT_EQUAL(sv_penalty_delay(a), 4000);
    addr_of(extra + 1, a);
    CU_ASSERT_EQUAL(sv_penalty_delay(a), 0);
    CU_ASSERT_EQUAL(sv_penalty_count(), SV_PENALTY_SLOTS);
}

static void test_pen_null_peer(void)
{
    sv_penalty_clear();
    sv_penalty_fail(NULL);
    CU_ASSERT_EQUAL(sv_penalty_delay(""), SV_PENALTY_MIN_MS);
    CU_ASSERT_EQUAL(sv_penalty_delay(NULL), SV_PENALTY_MIN_MS);
    sv_penalty_ok("");
    CU_ASSERT_EQUAL(sv_penalty_delay(NULL), 0);
}

#define T_THREADS 8
#define T_ROUNDS  2000

typedef struct pen_arg {
    int id;
} pen_arg;

/* Every thread fails its own source three times between successes, and
 * all of them hammer one shared source; a lost update would show as a
 * wrong delay at the end. */
static void pen_worker(void *p)
{
    pen_arg *pa = (pen_arg *)p;
    char own[PL_ADDR_MAX];
    int r;

    sprintf(own, "172.16.0.%d", pa->id);
    for (r = 0; r < T_ROUNDS; r++) {
        sv_penalty_ok(own);
        sv_penalty_fail(own);
        sv_penalty_fail(own);
        sv_penalty_fail(own);
        sv_penalty_fail("203.0.113.1");
        (void)sv_penalty_delay("203.0.113.1");
    }
}

static void test_pen_threads(void)
{
    pl_thread *t[T_THREADS];
    pen_arg args[T_THREADS];
    char own[PL_ADDR_MAX];
    int i, started = 0, right = 0;

    sv_penalty_clear();
    for (i = 0; i < T_THREADS; i++) {
        args[i].id = i;
        if (pl_thread_start(pen_worker, &args[i], 0, 0, &t[i]) == PL_OK)
            started++;
        else
            t[i] = NULL;
    }
    CU_ASSERT_EQUAL(started, T_THREADS);
    for (i = 0; i < T_THREADS; i++)
        if (t[i] != NULL)
            (void)pl_thread_join(t[i]);
    for (i = 0; i < T_THREADS; i++) {
        sprintf(own, "172.16.0.%d", i);
        if (sv_penalty_delay(own) == 8000)
            right++;
    }
    CU_ASSERT_EQUAL(right, T_THREADS);
    CU_ASSERT_EQUAL(sv_penalty_delay("203.0.113.1"), SV_PENALTY_MAX_MS);
    CU_ASSERT_EQUAL(sv_penalty_count(), T_THREADS + 1);
}

/* --- limits ------------------------------------------------------------ */

static void test_lim_total_and_source(void)
{
    sv_limit *l = NULL;

    CU_ASSERT_EQUAL_FATAL(sv_limit_new(4, 4, 2, &l), PL_OK);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "192.0.2.1"), SV_LIM_OK);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "192.0.2.1"), SV_LIM_OK);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "192.0.2.1"), SV_LIM_SOURCE);
    CU_ASSERT_EQUAL(sv_limit_source(l, "192.0.2.1"), 2);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "192.0.2.2"), SV_LIM_OK);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "192.0.2.3"), SV_LIM_OK);
    CU_ASSERT_EQUAL(sv_limit_total(l), 4);
    /* Full: even a new source is refused, and for the total. */
    CU_ASSERT_EQUAL(sv_limit_enter(l, "192.0.2.4"), SV_LIM_TOTAL);
    sv_limit_leave(l, "192.0.2.1");
    CU_ASSERT_EQUAL(sv_limit_source(l, "192.0.2.1"), 1);
    CU_ASSERT_EQUAL(sv_limit_total(l), 3);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "192.0.2.4"), SV_LIM_OK);
    CU_ASSERT_EQUAL(sv_limit_source(l, "192.0.2.4"), 1);
    CU_ASSERT_EQUAL(sv_limit_source(l, "192.0.2.9"), 0);
    sv_limit_leave(l, "192.0.2.1");
    sv_limit_leave(l, "192.0.2.2");
    sv_limit_leave(l, "192.0.2.3");
    sv_limit_leave(l, "192.0.2.4");
    CU_ASSERT_EQUAL(sv_limit_total(l), 0);
    CU_ASSERT_EQUAL(sv_limit_source(l, "192.0.2.1"), 0);
    /* Leaving for a source that never entered changes nothing. */
    sv_limit_leave(l, "192.0.2.99");
    CU_ASSERT_EQUAL(sv_limit_total(l), 0);
    sv_limit_free(l);
}

static void test_lim_no_per_source(void)
{
    sv_limit *l = NULL;
    int i, ok = 0;

    CU_ASSERT_EQUAL_FATAL(sv_limit_new(10, 10, 0, &l), PL_OK);
    for (i = 0; i < 12; i++)
        if (sv_limit_enter(l, "::1") == SV_LIM_OK)
            ok++;
    CU_ASSERT_EQUAL(ok, 10);
    CU_ASSERT_EQUAL(sv_limit_source(l, "::1"), 10);
    sv_limit_free(l);
}

/* Every slot taken by a different source: the table never needs more
 * than its capacity, and frees an entry as its last session leaves. */
static void test_lim_table_bound(void)
{
    char a[PL_ADDR_MAX];
    sv_limit *l = NULL;
    int i, ok = 0, cap = 300;

    CU_ASSERT_EQUAL_FATAL(sv_limit_new(cap, cap, 1, &l), PL_OK);
    for (i = 0; i < cap; i++) {
        addr_of(i, a);
        if (sv_limit_enter(l, a) == SV_LIM_OK)
            ok++;
    }
    CU_ASSERT_EQUAL(ok, cap);
    addr_of(cap, a);
    CU_ASSERT_EQUAL(sv_limit_enter(l, a), SV_LIM_TOTAL);
    /* Many rounds of a leave and a new source: entries are reused. */
    for (i = 0; i < 5 * cap; i++) {
        char b[PL_ADDR_MAX];
        addr_of(i, b);
        sv_limit_leave(l, b);
        addr_of(i + cap, a);
        if (sv_limit_enter(l, a) != SV_LIM_OK)
            ok = -1;
    }
    CU_ASSERT_EQUAL(ok, cap);
    CU_ASSERT_EQUAL(sv_limit_total(l), cap);
    addr_of(6 * cap - 1, a);
    CU_ASSERT_EQUAL(sv_limit_source(l, a), 1);
    sv_limit_free(l);
}

static void test_lim_set(void)
{
    sv_limit *l = NULL;

    CU_ASSERT_EQUAL_FATAL(sv_limit_new(5, 3, 0, &l), PL_OK);
    CU_ASSERT_EQUAL(sv_limit_capacity(l), 5);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "a"), SV_LIM_OK);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "b"), SV_LIM_OK);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "c"), SV_LIM_OK);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "d"), SV_LIM_TOTAL);
    /* Raised above the capacity: clamped to it. */
    sv_limit_set(l, 50, 0);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "d"), SV_LIM_OK);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "e"), SV_LIM_OK);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "f"), SV_LIM_TOTAL);
    /* Lowered below the sessions counted: they stay, new ones wait. */
    sv_limit_set(l, 2, 1);
    CU_ASSERT_EQUAL(sv_limit_total(l), 5);
    sv_limit_leave(l, "a");
    sv_limit_leave(l, "b");
    CU_ASSERT_EQUAL(sv_limit_enter(l, "a"), SV_LIM_TOTAL);
    sv_limit_leave(l, "c");
    sv_limit_leave(l, "d");
    CU_ASSERT_EQUAL(sv_limit_enter(l, "a"), SV_LIM_OK);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "b"), SV_LIM_TOTAL);
    sv_limit_leave(l, "e");
    CU_ASSERT_EQUAL(sv_limit_enter(l, "a"), SV_LIM_SOURCE);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "b"), SV_LIM_OK);
    sv_limit_free(l);
    CU_ASSERT_EQUAL(sv_limit_new(0, 1, 0, &l), PL_EINVAL);
    CU_ASSERT_PTR_NULL(l);
}

typedef struct lim_arg {
    sv_limit *l;
    int id;
    int over;        /* times the total was seen above the maximum */
    int refused;
} lim_arg;

static void lim_worker(void *p)
{
    lim_arg *la = (lim_arg *)p;
    char a[PL_ADDR_MAX];
    int r;

    for (r = 0; r < T_ROUNDS; r++) {
        addr_of((r + la->id) % 5, a);
        if (sv_limit_enter(la->l, a) == SV_LIM_OK) {
            if (sv_limit_total(la->l) > 6 || sv_limit_source(la->l, a) > 2)
                la->over++;
            sv_limit_leave(la->l, a);
        } else {
            la->refused++;
        }
    }
}

static void test_lim_threads(void)
{
    pl_thread *t[T_THREADS];
    lim_arg args[T_THREADS];
    sv_limit *l = NULL;
    int i, over = 0;

    CU_ASSERT_EQUAL_FATAL(sv_limit_new(6, 6, 2, &l), PL_OK);
    for (i = 0; i < T_THREADS; i++) {
        args[i].l = l;
        args[i].id = i;
        args[i].over = 0;
        args[i].refused = 0;
        if (pl_thread_start(lim_worker, &args[i], 0, 0, &t[i]) != PL_OK)
            t[i] = NULL;
        CU_ASSERT_PTR_NOT_NULL(t[i]);
    }
    for (i = 0; i < T_THREADS; i++) {
        if (t[i] != NULL)
            (void)pl_thread_join(t[i]);
        over += args[i].over;
    }
    CU_ASSERT_EQUAL(over, 0);
    CU_ASSERT_EQUAL(sv_limit_total(l), 0);
    for (i = 0; i < 5; i++) {
        char a[PL_ADDR_MAX];
        addr_of(i, a);
        CU_ASSERT_EQUAL(sv_limit_source(l, a), 0);
    }
    sv_limit_free(l);
}

static void leave_later(void *p)
{
    (void)pl_sleep_ms(100);
    sv_limit_leave((sv_limit *)p, "192.0.2.50");
}

static void test_lim_wait_idle(void)
{
    sv_limit *l = NULL;
    pl_thread *t = NULL;
    pl_i64 t0;

    CU_ASSERT_EQUAL_FATAL(sv_limit_new(2, 2, 0, &l), PL_OK);
    CU_ASSERT_EQUAL(sv_limit_wait_idle(l, 0), PL_OK);
    CU_ASSERT_EQUAL(sv_limit_enter(l, "192.0.2.50"), SV_LIM_OK);
    t0 = pl_time_mono_ms();
    CU_ASSERT_EQUAL(sv_limit_wait_idle(l, 50), PL_ETIMEDOUT);
    CU_ASSERT(pl_time_mono_ms() - t0 >= 50);
    CU_ASSERT_EQUAL_FATAL(pl_thread_start(leave_later, l, 0, 0, &t), PL_OK);
    CU_ASSERT_EQUAL(sv_limit_wait_idle(l, 5000), PL_OK);
    CU_ASSERT_EQUAL(sv_limit_total(l), 0);
    (void)pl_thread_join(t);
    sv_limit_free(l);
}

int t_srv_register(void)
{
    CU_pSuite s = CU_add_suite("srv_penalty", pen_setup, pen_teardown);

    if (s == NULL ||
        CU_add_test(s, "doubling and ceiling", test_pen_doubling) == NULL ||
        CU_add_test(s, "success resets", test_pen_reset) == NULL ||
        CU_add_test(s, "expiry", test_pen_expiry) == NULL ||
        CU_add_test(s, "eviction bound", test_pen_eviction) == NULL ||
        CU_add_test(s, "missing peer", test_pen_null_peer) == NULL ||
        CU_add_test(s, "threads", test_pen_threads) == NULL)
        return -1;
    s = CU_add_suite("srv_limit", NULL, NULL);
    if (s == NULL ||
        CU_add_test(s, "total and per source", test_lim_total_and_source)
        == NULL ||
        CU_add_test(s, "no per-source bound", test_lim_no_per_source)
        == NULL ||
        CU_add_test(s, "table bound", test_lim_table_bound) == NULL ||
        CU_add_test(s, "reload bounds", test_lim_set) == NULL ||
        CU_add_test(s, "threads", test_lim_threads) == NULL ||
        CU_add_test(s, "wait idle", test_lim_wait_idle) == NULL)
        return -1;
    return 0;
}
