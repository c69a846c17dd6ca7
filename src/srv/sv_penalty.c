/*
 * sv_penalty.c - the per-source authentication failure table of
 * sv_penalty.h: how long the next login attempt from an address waits.
 *
 * A fixed pool of SV_PENALTY_SLOTS entries chained from a small hash
 * index, allocated once: a flood of sources costs at most the pool, and
 * when it is full the entry with the least recent failure goes (it is the one
 * closest to being forgotten anyway).  The eviction scan is O(slots), paid
 * only by a failure from a new source while the table is full; lookups
 * walk one short chain.  One mutex guards it all: the work under it is a
 * few string compares, far cheaper than the login it gates.
 * Limits: addresses longer than PL_ADDR_MAX - 1 are cut (they cannot come
 * from pl_sock_peer).  Privilege: none.
 */
#include <stdlib.h>
#include <string.h>
#include "sv_penalty.h"
#include "ut_str.h"

/* Chains average SV_PENALTY_SLOTS / PEN_BUCKETS = 4 entries when full. */
#define PEN_BUCKETS 1024
#define PEN_NONE    (-1)

typedef struct pen_ent {
    char addr[PL_ADDR_MAX];
    pl_i32 delay_ms;    /* what the next attempt waits */
    pl_i64 last;        /* time of the last failure: expiry */
    pl_u64 seq;         /* order of the last failure: eviction (finer
                           than seconds) */
    int next;           /* chain in the bucket, or the free list */
    int used;
} pen_ent;

static pl_mutex *pen_mu;
static pen_ent *pen_pool;
static int pen_bucket[PEN_BUCKETS];
static int pen_free;
static int pen_used;
static pl_u64 pen_seq;
static pl_u64 pen_failures;    /* since start, for `newmail ctl stats` */
static pl_i64 (*pen_now)(void) = pl_time_now;

static unsigned pen_hash(const char *s)
{
    unsigned h = 2166136261u;   /* FNV-1a: cheap and spreads addresses */

    while (*s != '\0') {
        h ^= (unsigned char)*s++;
        h *= 16777619u;
    }
    return h % PEN_BUCKETS;
}

/* Empty every entry; the mutex is held (or not yet shared). */
static void pen_reset(void)
{
    int i;

    for (i = 0; i < PEN_BUCKETS; i++)
        pen_bucket[i] = PEN_NONE;
    for (i = 0; i < SV_PENALTY_SLOTS; i++) {
        pen_pool[i].used = 0;
        pen_pool[i].next = i + 1 < SV_PENALTY_SLOTS ? i + 1 : PEN_NONE;
    }
    pen_free = 0;
    pen_used = 0;
}

int sv_penalty_init(void)
{
    if (pen_mu != NULL)
        return PL_OK;
    pen_pool = (pen_ent *)malloc(sizeof *pen_pool * SV_PENALTY_SLOTS);
    if (pen_pool == NULL)
        return PL_ENOMEM;
    if (pl_mutex_create(&pen_mu) != PL_OK) {
        free(pen_pool);
        pen_pool = NULL;
        return PL_ENOMEM;
    }
    pen_reset();
    return PL_OK;
}

static const char *pen_key(const char *peer)
{
    return peer != NULL ? peer : "";
}

/* Index of peer's entry or PEN_NONE; *prev is its predecessor in the
 * chain (PEN_NONE when first). */
static int pen_find(const char *addr, int *prev)
{
    int i = pen_bucket[pen_hash(addr)], p = PEN_NONE;

    while (i != PEN_NONE) {
        if (strcmp(pen_pool[i].addr, addr) == 0) {
            if (prev != NULL)
                *prev = p;
            return i;
        }
        p = i;
        i = pen_pool[i].next;
    }
    return PEN_NONE;
}

static void pen_unlink(int i, int prev)
{
    if (prev == PEN_NONE)
        pen_bucket[pen_hash(pen_pool[i].addr)] = pen_pool[i].next;
    else
        pen_pool[prev].next = pen_pool[i].next;
    pen_pool[i].used = 0;
    pen_pool[i].next = pen_free;
    pen_free = i;
    pen_used--;
}

static void pen_remove(int i)
{
    int prev = PEN_NONE;

    if (pen_find(pen_pool[i].addr, &prev) == i)
        pen_unlink(i, prev);
}

static int pen_expired(const pen_ent *e, pl_i64 now)
{
    /* A clock stepped back is treated as "just now", never as expired
     * forever-in-the-future. */
    return now - e->last >= SV_PENALTY_FORGET_SECS;
}

/* The oldest entry: the one to evict when the pool is empty. */
static int pen_oldest(void)
{
    int i, best = PEN_NONE;

    for (i = 0; i < SV_PENALTY_SLOTS; i++) {
        if (pen_pool[i].used &&
            (best == PEN_NONE || pen_pool[i].seq < pen_pool[best].seq))
            best = i;
    }
    return best;
}

pl_i32 sv_penalty_delay(const char *peer)
{
    const char *addr = pen_key(peer);
    pl_i32 d = 0;
    int i, prev;

    if (pen_mu == NULL)
        return 0;
    pl_mutex_lock(pen_mu);
    i = pen_find(addr, &prev);
    if (i != PEN_NONE) {
        if (pen_expired(&pen_pool[i], pen_now()))
            pen_unlink(i, prev);
        else
            d = pen_pool[i].delay_ms;
    }
    pl_mutex_unlock(pen_mu);
    return d;
}

void sv_penalty_fail(const char *peer)
{
    const char *addr = pen_key(peer);
    pl_i64 now;
    int i, prev;

    if (pen_mu == NULL)
        return;
    pl_mutex_lock(pen_mu);
    pen_failures++;
    now = pen_now();
    i = pen_find(addr, &prev);
    if (i != PEN_NONE && !pen_expired(&pen_pool[i], now)) {
        pl_i32 d = pen_pool[i].delay_ms;
        pen_pool[i].delay_ms = d >= SV_PENALTY_MAX_MS / 2
                               ? SV_PENALTY_MAX_MS : d * 2;
        pen_pool[i].last = now;
        pen_pool[i].seq = ++pen_seq;
        pl_mutex_unlock(pen_mu);
        return;
    }
    if (i != PEN_NONE)
        pen_unlink(i, prev);     /* forgotten: starts again at the minimum */
    if (pen_free == PEN_NONE)
        pen_remove(pen_oldest());
    i = pen_free;
    pen_free = pen_pool[i].next;
    (void)ut_strlcpy(pen_pool[i].addr, addr, sizeof pen_pool[i].addr);
    pen_pool[i].delay_ms = SV_PENALTY_MIN_MS;
    pen_pool[i].last = now;
    pen_pool[i].seq = ++pen_seq;
    pen_pool[i].used = 1;
    pen_pool[i].next = pen_bucket[pen_hash(pen_pool[i].addr)];
    pen_bucket[pen_hash(pen_pool[i].addr)] = i;
    pen_used++;
    pl_mutex_unlock(pen_mu);
}

void sv_penalty_ok(const char *peer)
{
    int i, prev;

    if (pen_mu == NULL)
        return;
    pl_mutex_lock(pen_mu);
    i = pen_find(pen_key(peer), &prev);
    if (i != PEN_NONE)
        pen_unlink(i, prev);
    pl_mutex_unlock(pen_mu);
}

int sv_penalty_count(void)
{
    int n;

    if (pen_mu == NULL)
        return 0;
    pl_mutex_lock(pen_mu);
    n = pen_used;
    pl_mutex_unlock(pen_mu);
    return n;
}

void sv_penalty_set_clock(pl_i64 (*now_fn)(void))
{
    if (pen_mu != NULL)
        pl_mutex_lock(pen_mu);
    pen_now = now_fn != NULL ? now_fn : pl_time_now;
    if (pen_mu != NULL)
        pl_mutex_unlock(pen_mu);
}

void sv_penalty_clear(void)
{
    if (pen_mu == NULL)
        return;
    pl_mutex_lock(pen_mu);
    pen_reset();
    pl_mutex_unlock(pen_mu);
}

pl_u64 sv_penalty_failures(void)
{
    pl_u64 n;

    if (pen_mu == NULL)
        return 0;
    pl_mutex_lock(pen_mu);
    n = pen_failures;
    pl_mutex_unlock(pen_mu);
    return n;
}
