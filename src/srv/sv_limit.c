/*
 * sv_limit.c - session counts of one service, in total and per source
 * address (sv.h), so one host cannot take every thread.
 *
 * The per-address counts live in a pool of `capacity` entries chained
 * from a hash index, allocated once: a counted session holds at most one
 * entry and the total never exceeds capacity, so the pool cannot run out
 * and a flood of addresses cannot grow memory.  An entry is freed when
 * its count drops to zero.  One mutex and one condition (for the drain
 * at shutdown) guard it.
 * Limits: capacity 1..SV_LIMIT_CAP_MAX; addresses are cut at
 * PL_ADDR_MAX - 1 characters.  Privilege: none.
 */
#include <stdlib.h>
#include <string.h>
#include "sv.h"
#include "ut_str.h"

/* pop3.maximum_threads allows 10000; leave room for a larger service. */
#define SV_LIMIT_CAP_MAX 100000
#define LIM_NONE (-1)

typedef struct lim_ent {
    char addr[PL_ADDR_MAX];
    int count;
    int next;    /* chain in the bucket, or the free list */
} lim_ent;

struct sv_limit {
    pl_mutex *mu;
    pl_cond *idle;        /* broadcast when total drops to zero */
    lim_ent *pool;
    int *bucket;
    int nbucket;
    int capacity;
    int free_head;
    int total;
    int total_max;
    int per_source;
};

static unsigned lim_hash(const char *s, int nbucket)
{
    unsigned h = 2166136261u;   /* FNV-1a */

    while (*s != '\0') {
        h ^= (unsigned char)*s++;
        h *= 16777619u;
    }
    return h % (unsigned)nbucket;
}

static void lim_clamp(sv_limit *l, int total_max, int per_source)
{
    if (total_max < 1)
        total_max = 1;
    if (total_max > l->capacity)
        total_max = l->capacity;
    l->total_max = total_max;
    l->per_source = per_source > 0 ? per_source : 0;
}

int sv_limit_new(int capacity, int total_max, int per_source,
                 sv_limit **out)
{
    sv_limit *l;
    int i;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (capacity < 1 || capacity > SV_LIMIT_CAP_MAX)
        return PL_EINVAL;
    l = (sv_limit *)calloc(1, sizeof *l);
    if (l == NULL)
        return PL_ENOMEM;
    l->capacity = capacity;
    /* Twice the entries keeps chains short when every slot is in use. */
    l->nbucket = capacity * 2;
    l->pool = (lim_ent *)malloc(sizeof *l->pool * (size_t)capacity);
    l->bucket = (int *)malloc(sizeof *l->bucket * (size_t)l->nbucket);
    if (l->pool == NULL || l->bucket == NULL ||
        pl_mutex_create(&l->mu) != PL_OK) {
        sv_limit_free(l);
        return PL_ENOMEM;
    }
    if (pl_cond_create(&l->idle) != PL_OK) {
        sv_limit_free(l);
        return PL_ENOMEM;
    }
    for (i = 0; i < l->nbucket; i++)
        l->bucket[i] = LIM_NONE;
    for (i = 0; i < capacity; i++) {
        l->pool[i].count = 0;
        l->pool[i].next = i + 1 < capacity ? i + 1 : LIM_NONE;
    }
    l->free_head = 0;
    lim_clamp(l, total_max, per_source);
    *out = l;
    return PL_OK;
}

void sv_limit_free(sv_limit *l)
{
    if (l == NULL)
        return;
    if (l->idle != NULL)
        pl_cond_destroy(l->idle);
    if (l->mu != NULL)
        pl_mutex_destroy(l->mu);
    free(l->pool);
    free(l->bucket);
    free(l);
}

void sv_limit_set(sv_limit *l, int total_max, int per_source)
{
    pl_mutex_lock(l->mu);
    lim_clamp(l, total_max, per_source);
    pl_mutex_unlock(l->mu);
}

int sv_limit_capacity(const sv_limit *l)
{
    return l->capacity;
}

/* The key as stored: cut like the entries so lookups match. */
static void lim_key(const char *peer, char *key)
{
    (void)ut_strlcpy(key, peer != NULL ? peer : "", PL_ADDR_MAX);
}

static int lim_find(const sv_limit *l, const char *key, int *prev)
{
    int i = l->bucket[lim_hash(key, l->nbucket)], p = LIM_NONE;

    while (i != LIM_NONE) {
        if (strcmp(l->pool[i].addr, key) == 0) {
            if (prev != NULL)
                *prev = p;
            return i;
        }
        p = i;
        i = l->pool[i].next;
    }
    return LIM_NONE;
}

int sv_limit_enter(sv_limit *l, const char *peer)
{
    char key[PL_ADDR_MAX];
    unsigned h;
    int i;

    lim_key(peer, key);
    pl_mutex_lock(l->mu);
    if (l->total >= l->total_max) {
        pl_mutex_unlock(l->mu);
        return SV_LIM_TOTAL;
    }
    i = lim_find(l, key, NULL);
    if (i != LIM_NONE) {
        if (l->per_source > 0 && l->pool[i].count >= l->per_source) {
            pl_mutex_unlock(l->mu);
            return SV_LIM_SOURCE;
        }
        l->pool[i].count++;
    } else {
        /* total < total_max <= capacity, and every entry in use holds at
         * least one counted session, so a free entry exists. */
        i = l->free_head;
        l->free_head = l->pool[i].next;
        memcpy(l->pool[i].addr, key, sizeof key);
        l->pool[i].count = 1;
        h = lim_hash(key, l->nbucket);
        l->pool[i].next = l->bucket[h];
        l->bucket[h] = i;
    }
    l->total++;
    pl_mutex_unlock(l->mu);
    return SV_LIM_OK;
}

void sv_limit_leave(sv_limit *l, const char *peer)
{
    char key[PL_ADDR_MAX];
    int i, prev = LIM_NONE;

    lim_key(peer, key);
    pl_mutex_lock(l->mu);
    i = lim_find(l, key, &prev);
    if (i != LIM_NONE) {
        if (--l->pool[i].count == 0) {
            if (prev == LIM_NONE)
                l->bucket[lim_hash(key, l->nbucket)] = l->pool[i].next;
            else
                l->pool[prev].next = l->pool[i].next;
            l->pool[i].next = l->free_head;
            l->free_head = i;
        }
        if (l->total > 0 && --l->total == 0)
            pl_cond_broadcast(l->idle);
    }
    pl_mutex_unlock(l->mu);
}

int sv_limit_total(sv_limit *l)
{
    int n;

    pl_mutex_lock(l->mu);
    n = l->total;
    pl_mutex_unlock(l->mu);
    return n;
}

int sv_limit_source(sv_limit *l, const char *peer)
{
    char key[PL_ADDR_MAX];
    int i, n;

    lim_key(peer, key);
    pl_mutex_lock(l->mu);
    i = lim_find(l, key, NULL);
    n = i == LIM_NONE ? 0 : l->pool[i].count;
    pl_mutex_unlock(l->mu);
    return n;
}

int sv_limit_wait_idle(sv_limit *l, pl_i32 timeout_ms)
{
    pl_i64 deadline = pl_time_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    int rc = PL_OK;

    pl_mutex_lock(l->mu);
    while (l->total > 0) {
        pl_i64 left = deadline - pl_time_mono_ms();
        if (timeout_ms != PL_WAIT_FOREVER && left <= 0) {
            rc = PL_ETIMEDOUT;
            break;
        }
        (void)pl_cond_wait(l->idle, l->mu, timeout_ms == PL_WAIT_FOREVER
                           ? PL_WAIT_FOREVER : (pl_i32)left);
    }
    pl_mutex_unlock(l->mu);
    return rc;
}
