/*
 * t_lr.c - unit tests of the line reader (src/net/lr_read.c).
 *
 * Every input is fed whole, one byte at a time and in chunks of 2, 3, 7
 * and 64 bytes; the lines, lengths, flags and final status must be the
 * same each way and match the table.  Lines are compared by length,
 * their first T_HEAD octets and a checksum of all octets, so lines of
 * 64 KB can be compared without storing them.
 * The helpers of t_feed.c are tested here too (t_scratch_dir uses POSIX
 * calls, as tests may).
 * Privilege: none; files only under build/test-scratch, no network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <CUnit/CUnit.h>
#include "t_util.h"
#include "lr_read.h"
#include "ut_params.h"

#define T_HEAD   64     /* octets of each line kept for comparison */
#define T_MAXEV  16     /* results kept per run */

/* One result of lr_get_line. */
typedef struct t_ev {
    int rc;
    size_t len;
    int flags;
    unsigned long sum;
    char head[T_HEAD];
} t_ev;

/* Expected line: text (may hold NUL), its length, its flags. */
typedef struct t_exp {
    const char *text;
    size_t len;
    int flags;
} t_exp;

/* 0 = the whole input in one read. */
static const size_t t_chunks[] = { 0, 1, 2, 3, 7, 64 };
#define T_NCHUNKS (sizeof t_chunks / sizeof t_chunks[0])

/* FNV-1a, 32 bits: enough to tell two lines apart in a test. */
static unsigned long t_sum(const char *p, size_t n)
{
    unsigned long h = 2166136261UL;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h = (h * 16777619UL) & 0xffffffffUL;
    }
    return h;
}

/* A t_feed that also remembers the largest read the reader asked for:
 * the reader never asks for more than its buffer, so this bounds its
 * memory. */
typedef struct t_cfeed {
    t_feed f;
    size_t max_n;
    int calls;
    pl_i32 last_timeout;
} t_cfeed;

static int t_cfeed_read(void *ctx, void *buf, size_t n, pl_i32 timeout_ms,
                        size_t *got)
{
    t_cfeed *c = (t_cfeed *)ctx;

    c->calls++;
    c->last_timeout = timeout_ms;
    if (n > c->max_n)
        c->max_n = n;
    return t_feed_read(&c->f, buf, n, timeout_ms, got);
}

/* Run the reader over data until the first non-PL_OK status. */
static int t_lr_run(const char *data, size_t len, size_t max_line,
                    size_t chunk, t_ev *ev, int maxev, size_t *max_n)
{
    t_cfeed c;
    lr_reader *r;
    char *line;
    size_t l;
    int fl, rc, n;

    memset(&c, 0, sizeof c);
    t_feed_init(&c.f, data, len, chunk);
    r = lr_new(max_line, LR_POLICY_LENIENT, t_cfeed_read, &c);
    CU_ASSERT_FATAL(r != NULL);
    n = 0;
    while (n < maxev) {
        line = NULL;
        l = 0;
        fl = -1;
        rc = lr_get_line(r, &line, &l, &fl);
        memset(&ev[n], 0, sizeof ev[n]);
        ev[n].rc = rc;
        if (rc == PL_OK) {
            CU_ASSERT_FATAL(line != NULL);
            CU_ASSERT(line[l] == '\0');
            ev[n].len = l;
            ev[n].flags = fl;
            ev[n].sum = t_sum(line, l);
            memcpy(ev[n].head, line, l < T_HEAD ? l : T_HEAD);
        }
        n++;
        if (rc != PL_OK)
            break;
    }
    /* Input ended in every run: the reader consumed the whole feed. */
    CU_ASSERT(c.f.pos == c.f.len);
    if (max_n != NULL)
        *max_n = c.max_n;
    lr_free(r);
    return n;
}

static int t_ev_same(const t_ev *a, const t_ev *b)
{
    return a->rc == b->rc && a->len == b->len && a->flags == b->flags &&
           a->sum == b->sum && memcmp(a->head, b->head, T_HEAD) == 0;
}

static int t_ev_is(const t_ev *e, const char *text, size_t len, int flags)
{
    size_t k = len < T_HEAD ? len : T_HEAD;

    return e->rc == PL_OK && e->len == len && e->flags == flags &&
           e->sum == t_sum(text, len) && memcmp(e->head, text, k) == 0;
}

/* Feed data every way; the lines must match exp[0..nexp) and then
 * final_rc, identically for every chunk size.  Returns the worst read
 * size requested. */
static size_t t_lr_check(const char *name, const char *data, size_t len,
                         size_t max_line, const t_exp *exp, int nexp,
                         int final_rc)
{
    t_ev ref[T_MAXEV], ev[T_MAXEV];
    int nref, n, i;
    size_t k, worst, mx;

    worst = 0;
    nref = t_lr_run(data, len, max_line, t_chunks[0], ref, T_MAXEV, &mx);
    worst = mx;
    CU_ASSERT(nref == nexp + 1);
    if (nref != nexp + 1)
        fprintf(stderr, "\n  case %s: %d results, expected %d\n", name,
                nref, nexp + 1);
    for (i = 0; i < nexp && i < nref; i++) {
        CU_ASSERT(t_ev_is(&ref[i], exp[i].text, exp[i].len, exp[i].flags));
        if (!t_ev_is(&ref[i], exp[i].text, exp[i].len, exp[i].flags))
            fprintf(stderr, "\n  case %s: line %d: rc %d len %lu flags %d\n",
                    name, i, ref[i].rc, (unsigned long)ref[i].len,
                    ref[i].flags);
    }
    if (nref > 0)
        CU_ASSERT(ref[nref - 1].rc == final_rc);
    for (k = 1; k < T_NCHUNKS; k++) {
        n = t_lr_run(data, len, max_line, t_chunks[k], ev, T_MAXEV, &mx);
        if (mx > worst)
            worst = mx;
        CU_ASSERT(n == nref);
        for (i = 0; i < n && i < nref; i++) {
            CU_ASSERT(t_ev_same(&ev[i], &ref[i]));
            if (!t_ev_same(&ev[i], &ref[i]))
                fprintf(stderr, "\n  case %s chunk %lu: result %d differs\n",
                        name, (unsigned long)t_chunks[k], i);
        }
    }
    return worst;
}

#define T_S(s) s, (sizeof(s) - 1)

typedef struct t_case {
    const char *name;
    const char *data;
    size_t len;
    size_t max_line;
    int nexp;
    t_exp exp[4];
    int final_rc;
} t_case;

static const t_case t_cases[] = {
    { "crlf", T_S("NOOP\r\n"), 32, 1, { { T_S("NOOP"), 0 } }, PL_EOF },
    { "bare lf", T_S("NOOP\n"), 32, 1,
      { { T_S("NOOP"), LR_BARE_LF } }, PL_EOF },
    { "lf then crlf", T_S("USER u\nPASS p\r\n"), 32, 2,
      { { T_S("USER u"), LR_BARE_LF }, { T_S("PASS p"), 0 } }, PL_EOF },
    { "bare cr is one line", T_S("RCPT TO:<a@b>\rRSET\r\n"), 512, 1,
      { { T_S("RCPT TO:<a@b>\rRSET"), LR_BARE_CR } }, PL_EOF },
    { "bare cr pop3", T_S("USER a\rPASS b\r\n"), 255, 1,
      { { T_S("USER a\rPASS b"), LR_BARE_CR } }, PL_EOF },
    /* The NUL is kept: the line is 10 octets, never cut to "USER ab". */
    { "nul inside", T_S("USER ab\0cd\r\n"), 255, 1,
      { { T_S("USER ab\0cd"), LR_NUL } }, PL_EOF },
    { "nul and bare cr and bare lf", T_S("a\0b\rc\n"), 32, 1,
      { { T_S("a\0b\rc"), LR_NUL | LR_BARE_CR | LR_BARE_LF } }, PL_EOF },
    { "empty lines", T_S("\r\n\n\r\nX\r\n"), 32, 4,
      { { T_S(""), 0 }, { T_S(""), LR_BARE_LF }, { T_S(""), 0 },
        { T_S("X"), 0 } }, PL_EOF },
    { "cr cr lf", T_S("A\r\r\n"), 32, 1,
      { { T_S("A\r"), LR_BARE_CR } }, PL_EOF },
    { "lone cr line", T_S("\r\r\n"), 32, 1,
      { { T_S("\r"), LR_BARE_CR } }, PL_EOF },
    { "partial line at eof dropped", T_S("NOOP\r\nQUI"), 32, 1,
      { { T_S("NOOP"), 0 } }, PL_EOF },
    { "cr at eof dropped", T_S("NOOP\r"), 32, 0, { { NULL, 0, 0 } },
      PL_EOF },
    { "empty input", T_S(""), 32, 0, { { NULL, 0, 0 } }, PL_EOF },
    { "8-bit octets pass", T_S("HELO \xff\xfe\x1b[2J\r\n"), 512, 1,
      { { T_S("HELO \xff\xfe\x1b[2J"), 0 } }, PL_EOF },
    /* max_line 32: 30 octets + CRLF is exactly the limit. */
    { "exactly max_line crlf", T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nN\r\n"),
      32, 2, { { T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0 }, { T_S("N"), 0 } },
      PL_EOF },
    { "exactly max_line lf", T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nN\r\n"),
      32, 2, { { T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), LR_BARE_LF },
               { T_S("N"), 0 } }, PL_EOF },
    /* 31 octets + CRLF: the CR is the last octet of the 32-octet window
     * and its LF comes after it; the LF must not become an empty line. */
    { "max_line+1, cr at boundary",
      T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nNEXT\r\n"), 32, 2,
      { { T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), LR_TOOLONG },
        { T_S("NEXT"), 0 } }, PL_EOF },
    { "max_line+1 bare lf", T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nNEXT\r\n"),
      32, 2, { { T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), LR_TOOLONG },
               { T_S("NEXT"), 0 } }, PL_EOF },
    { "bare cr at boundary is excess",
      T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\rb\r\nNEXT\r\n"), 32, 2,
      { { T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), LR_TOOLONG },
        { T_S("NEXT"), 0 } }, PL_EOF },
    { "too long keeps nul flag",
      T_S("\0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nN\r\n"), 32, 2,
      { { T_S("\0aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), LR_TOOLONG | LR_NUL },
        { T_S("N"), 0 } }, PL_EOF },
    { "excess with bare cr and command",
      T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\rRSET\r\nQUIT\r\n"), 32, 2,
      { { T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), LR_TOOLONG },
        { T_S("QUIT"), 0 } }, PL_EOF },
    { "too long then empty line",
      T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\nX\r\n"), 32, 3,
      { { T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), LR_TOOLONG },
        { T_S(""), 0 }, { T_S("X"), 0 } }, PL_EOF },
    { "two long lines",
      T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
          "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\nC\n"), 32, 3,
      { { T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), LR_TOOLONG },
        { T_S("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"), LR_TOOLONG },
        { T_S("C"), LR_BARE_LF } }, PL_EOF },
    { "long line, eof in excess",
      T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 32, 1,
      { { T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), LR_TOOLONG } }, PL_EOF },
    /* A line shorter than max_line by the octets a wrong "exactly at
     * the limit" check would lose. */
    { "max_line-1 crlf", T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"), 32, 1,
      { { T_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0 } }, PL_EOF },
    { "minimum reader", T_S("abcdef\r\nabcdefg\r\nab\n"), 8, 3,
      { { T_S("abcdef"), 0 }, { T_S("abcdef"), LR_TOOLONG },
        { T_S("ab"), LR_BARE_LF } }, PL_EOF }
};

static void t_lr_table(void)
{
    size_t i;

    for (i = 0; i < sizeof t_cases / sizeof t_cases[0]; i++)
        t_lr_check(t_cases[i].name, t_cases[i].data, t_cases[i].len,
                   t_cases[i].max_line, t_cases[i].exp, t_cases[i].nexp,
                   t_cases[i].final_rc);
}

/* 'NOOP ' + 'A' x (B-5) + 'RSET\r\n' + 'QUIT\r\n': RSET must never be a
 * line of its own.  With max_line 512 the short forms are one ordinary
 * line that merely ends in RSET; with max_line = B every form is too
 * long. */
static void t_lr_hidden_command(void)
{
    static const size_t bs[] = { 128, 256, 512, 1024, 2048, 4096, 65536 };
    size_t i, j, b, n, max_line, worst;
    char *data;
    t_exp exp[2];

    for (i = 0; i < sizeof bs / sizeof bs[0]; i++) {
        b = bs[i];
        n = b + 6 + 6;
        data = malloc(n);
        CU_ASSERT_FATAL(data != NULL);
        memcpy(data, "NOOP ", 5);
        memset(data + 5, 'A', b - 5);
        memcpy(data + b, "RSET\r\nQUIT\r\n", 12);
        for (j = 0; j < 2; j++) {
            max_line = j == 0 ? 512 : b;
            if (b + 6 > max_line) {
                exp[0].text = data;
                exp[0].len = max_line - 2;
                exp[0].flags = LR_TOOLONG;
            } else {
                exp[0].text = data;
                exp[0].len = b + 4;
                exp[0].flags = 0;
            }
            exp[1].text = "QUIT";
            exp[1].len = 4;
            exp[1].flags = 0;
            worst = t_lr_check("hidden RSET", data, n, max_line, exp, 2,
                               PL_EOF);
            CU_ASSERT(worst <= max_line);
        }
        free(data);
    }
}

/* 100 KB without LF, then end of input: one cut line, then PL_EOF; the
 * reader never asks for more than its own buffer. */
static void t_lr_endless(void)
{
    size_t n = 100 * 1024, worst;
    char *data;
    t_exp exp[1];

    data = malloc(n);
    CU_ASSERT_FATAL(data != NULL);
    memset(data, 'A', n);
    exp[0].text = data;
    exp[0].len = 510;
    exp[0].flags = LR_TOOLONG;
    worst = t_lr_check("100 KB no LF", data, n, 512, exp, 1, PL_EOF);
    CU_ASSERT(worst <= 512);
    CU_ASSERT(worst > 0);
    free(data);
}

/* A source that serves pieces of varying size (1..40, from an LCG). */
typedef struct t_rfeed {
    const char *data;
    size_t len, pos;
    unsigned long seed;
} t_rfeed;

static int t_rfeed_read(void *ctx, void *buf, size_t n, pl_i32 timeout_ms,
                        size_t *got)
{
    t_rfeed *f = (t_rfeed *)ctx;
    size_t k;

    (void)timeout_ms;
    if (f->pos >= f->len)
        return PL_EOF;
    f->seed = (f->seed * 1103515245UL + 12345UL) & 0xffffffffUL;
    k = 1 + (size_t)((f->seed >> 16) % 40);
    if (k > f->len - f->pos)
        k = f->len - f->pos;
    if (k > n)
        k = n;
    memcpy(buf, f->data + f->pos, k);
    f->pos += k;
    *got = k;
    return PL_OK;
}

#define T_CORPUS_EV 256

/* Read lines until the first non-PL_OK status; returns the count. */
static int t_lr_collect(lr_reader *r, t_ev *ev, int maxev)
{
    char *line;
    size_t l;
    int fl, rc, n;

    for (n = 0; n < maxev; n++) {
        rc = lr_get_line(r, &line, &l, &fl);
        memset(&ev[n], 0, sizeof ev[n]);
        ev[n].rc = rc;
        if (rc != PL_OK)
            return n + 1;
        ev[n].len = l;
        ev[n].flags = fl;
        ev[n].sum = t_sum(line, l);
        memcpy(ev[n].head, line, l < T_HEAD ? l : T_HEAD);
    }
    return n;
}

/* Every max_line-32 case of the table back to back, read whole and then
 * with 200 different random splittings: the same lines each time. */
static void t_lr_random_splits(void)
{
    static t_ev ref[T_CORPUS_EV], ev[T_CORPUS_EV];
    char *corpus;
    size_t i, len;
    int nref, n, k, seed, same;
    t_feed whole;
    t_rfeed f;
    lr_reader *r;

    len = 0;
    for (i = 0; i < sizeof t_cases / sizeof t_cases[0]; i++)
        if (t_cases[i].max_line == 32)
            len += t_cases[i].len;
    corpus = malloc(len);
    CU_ASSERT_FATAL(corpus != NULL);
    len = 0;
    for (i = 0; i < sizeof t_cases / sizeof t_cases[0]; i++) {
        if (t_cases[i].max_line == 32) {
            memcpy(corpus + len, t_cases[i].data, t_cases[i].len);
            len += t_cases[i].len;
        }
    }
    t_feed_init(&whole, corpus, len, 0);
    r = lr_new(32, LR_POLICY_LENIENT, t_feed_read, &whole);
    CU_ASSERT_FATAL(r != NULL);
    nref = t_lr_collect(r, ref, T_CORPUS_EV);
    lr_free(r);
    CU_ASSERT(nref > 30 && nref < T_CORPUS_EV);
    CU_ASSERT(ref[nref - 1].rc == PL_EOF);
    for (seed = 0; seed < 200; seed++) {
        f.data = corpus;
        f.len = len;
        f.pos = 0;
        f.seed = (unsigned long)seed;
        r = lr_new(32, LR_POLICY_LENIENT, t_rfeed_read, &f);
        CU_ASSERT_FATAL(r != NULL);
        n = t_lr_collect(r, ev, T_CORPUS_EV);
        lr_free(r);
        same = n == nref;
        for (k = 0; same && k < n; k++)
            same = t_ev_same(&ev[k], &ref[k]);
        CU_ASSERT(same);
    }
    free(corpus);
}

/* A scripted source: each step is a status or some bytes. */
typedef struct t_step {
    int rc;
    const char *data;
} t_step;

typedef struct t_script {
    const t_step *steps;
    int n, pos, calls;
    pl_i32 last_timeout;
} t_script;

static int t_script_read(void *ctx, void *buf, size_t n, pl_i32 timeout_ms,
                         size_t *got)
{
    t_script *s = (t_script *)ctx;
    const t_step *st;
    size_t k;

    s->calls++;
    s->last_timeout = timeout_ms;
    if (s->pos >= s->n)
        return PL_EOF;
    st = &s->steps[s->pos++];
    if (st->rc != PL_OK)
        return st->rc;
    k = strlen(st->data);
    CU_ASSERT_FATAL(k <= n);
    memcpy(buf, st->data, k);
    *got = k;
    return PL_OK;
}

static void t_lr_timeout(void)
{
    static const t_step steps[] = {
        { PL_OK, "NO" }, { PL_ETIMEDOUT, NULL }, { PL_OK, "OP\r\n" },
        { PL_ECONNRESET, NULL }
    };
    t_script s;
    lr_reader *r;
    char *line;
    size_t len;
    int fl;

    memset(&s, 0, sizeof s);
    s.steps = steps;
    s.n = 4;
    r = lr_new(64, LR_POLICY_STRICT, t_script_read, &s);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT(lr_get_policy(r) == LR_POLICY_STRICT);
    lr_set_timeout(r, 1234);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_ETIMEDOUT);
    CU_ASSERT(s.last_timeout == 1234);
    CU_ASSERT(lr_pending(r) == 2);          /* "NO" is kept */
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(len == 4 && memcmp(line, "NOOP", 4) == 0 && fl == 0);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_ECONNRESET);
    lr_free(r);
}

static void t_lr_default_timeout(void)
{
    static const t_step steps[] = { { PL_OK, "X\n" } };
    t_script s;
    lr_reader *r;
    char *line;
    size_t len;
    int fl;

    memset(&s, 0, sizeof s);
    s.steps = steps;
    s.n = 1;
    r = lr_new(64, LR_POLICY_LENIENT, t_script_read, &s);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(s.last_timeout == (pl_i32)UT_LR_TIMEOUT_MS);
    lr_free(r);
}

static pl_i64 t_past(void)
{
    pl_i64 d = pl_time_mono_ms() - 1000;

    return d > 0 ? d : 1;   /* 0 would mean "no deadline" */
}

static void t_lr_deadline(void)
{
    static const t_step steps[] = {
        { PL_OK, "A\r\nB" }, { PL_OK, "\r\n" }, { PL_OK, "C\r\n" }
    };
    t_script s;
    lr_reader *r;
    char *line;
    size_t len;
    int fl;

    memset(&s, 0, sizeof s);
    s.steps = steps;
    s.n = 3;
    r = lr_new(64, LR_POLICY_LENIENT, t_script_read, &s);
    CU_ASSERT_FATAL(r != NULL);

    /* Expired before anything was read: no read at all. */
    lr_set_deadline(r, t_past());
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_ETIMEDOUT);
    CU_ASSERT(s.calls == 0);

    /* A deadline far ahead bounds an endless per-read timeout. */
    lr_set_timeout(r, PL_WAIT_FOREVER);
    lr_set_deadline(r, pl_time_mono_ms() + 60000);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(len == 1 && line[0] == 'A');
    CU_ASSERT(s.last_timeout > 0 && s.last_timeout <= 60000);

    /* A per-read timeout shorter than the deadline is kept. */
    lr_set_timeout(r, 50);
    lr_set_deadline(r, pl_time_mono_ms() + 60000);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(len == 1 && line[0] == 'B');
    CU_ASSERT(s.last_timeout == 50);

    /* Expired in the middle of a transaction: the next read fails. */
    lr_set_deadline(r, t_past());
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_ETIMEDOUT);
    CU_ASSERT(s.calls == 2);

    /* Cleared: reading goes on. */
    lr_set_deadline(r, 0);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(len == 1 && line[0] == 'C');
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_EOF);
    lr_free(r);
}

static void t_lr_deadline_buffered(void)
{
    t_feed f;
    lr_reader *r;
    char *line;
    size_t len;
    int fl;

    /* A line already received needs no wait, so the deadline does not
     * hide it. */
    t_feed_init(&f, T_S("A\r\nB\r\n"), 0);
    r = lr_new(64, LR_POLICY_LENIENT, t_feed_read, &f);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    lr_set_deadline(r, t_past());
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(len == 1 && line[0] == 'B');
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_ETIMEDOUT);
    lr_free(r);
}

static void t_lr_discard(void)
{
    t_feed f;
    lr_reader *r;
    char *line;
    size_t len;
    int fl;

    t_feed_init(&f, T_S("STARTTLS\r\nEHLO evil\r\n"), 0);
    r = lr_new(512, LR_POLICY_STRICT, t_feed_read, &f);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT(lr_pending(r) == 0);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(len == 8 && memcmp(line, "STARTTLS", 8) == 0);
    CU_ASSERT(lr_pending(r) == 11);
    lr_discard(r);
    CU_ASSERT(lr_pending(r) == 0);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_EOF);
    lr_free(r);
}

static void t_lr_discard_skip(void)
{
    static const t_step steps[] = {
        { PL_OK, "aaaaaaaaaaaaaaaa" },
        { PL_OK, "bbbb\r\n" }
    };
    t_script s;
    lr_reader *r;
    char *line;
    size_t len;
    int fl;

    /* After a discard the bytes of a new (TLS) stream are lines, even if
     * the old stream ended inside an over-long line. */
    memset(&s, 0, sizeof s);
    s.steps = steps;
    s.n = 2;
    r = lr_new(16, LR_POLICY_LENIENT, t_script_read, &s);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(fl == LR_TOOLONG && len == 14);
    lr_discard(r);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(len == 4 && memcmp(line, "bbbb", 4) == 0 && fl == 0);
    lr_free(r);
}

static void t_lr_pending_skip(void)
{
    t_feed f;
    lr_reader *r;
    char *line;
    size_t len;
    int fl;
    static const char data[] =
        "NOOP AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\nQUIT\r\n";

    t_feed_init(&f, data, sizeof data - 1, 0);
    /* A buffer larger than the limit, so the excess and the next
     * command arrive in the same read. */
    r = lr_new(128, LR_POLICY_LENIENT, t_feed_read, &f);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT(lr_set_max_line(r, 32) == PL_OK);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(fl == LR_TOOLONG && len == 30);
    CU_ASSERT(lr_pending(r) == 6);   /* "QUIT\r\n", not the excess */
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(len == 4 && memcmp(line, "QUIT", 4) == 0);
    CU_ASSERT(lr_pending(r) == 0);
    lr_free(r);
}

static void t_lr_read_raw(void)
{
    static const char data[] = "DATA\r\nhello\r\n.\r\nQUIT\r\n";
    t_feed f;
    lr_reader *r;
    char *line, buf[64];
    size_t len, got, total;
    int fl, rc;
    size_t k;

    for (k = 0; k < T_NCHUNKS; k++) {
        t_feed_init(&f, data, sizeof data - 1, t_chunks[k]);
        r = lr_new(64, LR_POLICY_LENIENT, t_feed_read, &f);
        CU_ASSERT_FATAL(r != NULL);
        CU_ASSERT(lr_read_raw(r, buf, 0, &got) == PL_EINVAL);
        CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
        CU_ASSERT(len == 4 && memcmp(line, "DATA", 4) == 0);
        /* Read the rest 3 octets at a time: buffered octets first, in
         * order, then the source. */
        total = 0;
        for (;;) {
            rc = lr_read_raw(r, buf + total, 3, &got);
            if (rc != PL_OK)
                break;
            CU_ASSERT(got >= 1 && got <= 3);
            total += got;
            CU_ASSERT_FATAL(total < sizeof buf);
        }
        CU_ASSERT(rc == PL_EOF);
        CU_ASSERT(total == sizeof data - 1 - 6);
        CU_ASSERT(memcmp(buf, data + 6, total) == 0);
        lr_free(r);
    }
}

static void t_lr_read_raw_skips_excess(void)
{
    static const char data[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaRSET\r\nBODY";
    t_feed f;
    lr_reader *r;
    char *line, buf[64];
    size_t len, got;
    int fl;
    size_t k;

    for (k = 0; k < T_NCHUNKS; k++) {
        t_feed_init(&f, data, sizeof data - 1, t_chunks[k]);
        r = lr_new(16, LR_POLICY_LENIENT, t_feed_read, &f);
        CU_ASSERT_FATAL(r != NULL);
        CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
        CU_ASSERT(fl == LR_TOOLONG);
        CU_ASSERT(lr_read_raw(r, buf, sizeof buf, &got) == PL_OK);
        CU_ASSERT(got >= 1 && got <= 4 && memcmp(buf, "BODY", got) == 0);
        lr_free(r);
    }
}

static void t_lr_max_line(void)
{
    static const char data[] = "0123456789012345678\r\nabc\r\n";
    t_feed f;
    lr_reader *r;
    char *line;
    size_t len;
    int fl;

    t_feed_init(&f, data, sizeof data - 1, 0);
    r = lr_new(64, LR_POLICY_LENIENT, t_feed_read, &f);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT(lr_set_max_line(r, 65) == PL_ERANGE);
    CU_ASSERT(lr_set_max_line(r, 7) == PL_EINVAL);
    CU_ASSERT(lr_set_max_line(r, 64) == PL_OK);
    CU_ASSERT(lr_set_max_line(r, 16) == PL_OK);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(fl == LR_TOOLONG && len == 14);
    CU_ASSERT(memcmp(line, "01234567890123", 14) == 0);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(len == 3 && fl == 0);
    lr_free(r);

    /* Too small a size is raised to the minimum, not refused. */
    t_feed_init(&f, T_S("abcdefghij\r\n"), 1);
    r = lr_new(2, LR_POLICY_LENIENT, t_feed_read, &f);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(fl == LR_TOOLONG && len == UT_LR_MIN_LINE - 2);
    lr_free(r);
}

static void t_lr_set_source(void)
{
    t_feed f1, f2;
    lr_reader *r;
    char *line;
    size_t len;
    int fl;

    t_feed_init(&f1, T_S("A\r\nB"), 0);
    t_feed_init(&f2, T_S("C\r\n"), 0);
    r = lr_new(64, LR_POLICY_LENIENT, t_feed_read, &f1);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(len == 1 && line[0] == 'A');
    lr_set_source(r, t_feed_read, &f2);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(len == 2 && memcmp(line, "BC", 2) == 0);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_EOF);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_EOF);
    lr_free(r);
    lr_free(NULL);
}

/* After PL_EOF the partial line is gone: a new source does not complete
 * it into a command. */
static void t_lr_eof_drops(void)
{
    t_feed f1, f2;
    lr_reader *r;
    char *line;
    size_t len;
    int fl;

    t_feed_init(&f1, T_S("NOOP\r\nQUI"), 0);
    t_feed_init(&f2, T_S("T\r\n"), 0);
    r = lr_new(64, LR_POLICY_LENIENT, t_feed_read, &f1);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(lr_pending(r) == 3);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_EOF);
    CU_ASSERT(lr_pending(r) == 0);
    lr_set_source(r, t_feed_read, &f2);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_OK);
    CU_ASSERT(len == 1 && line[0] == 'T' && fl == 0);
    lr_free(r);
}

static int t_broken_read(void *ctx, void *buf, size_t n, pl_i32 timeout_ms,
                         size_t *got)
{
    (void)ctx;
    (void)buf;
    (void)n;
    (void)timeout_ms;
    *got = 0;
    return PL_OK;
}

static void t_lr_broken_source(void)
{
    lr_reader *r;
    char *line;
    size_t len;
    int fl;

    /* PL_OK with no bytes would make the reader spin: it is an error. */
    r = lr_new(64, LR_POLICY_LENIENT, t_broken_read, NULL);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT(lr_get_line(r, &line, &len, &fl) == PL_EIO);
    lr_free(r);
}

static void t_feed_pieces(void)
{
    t_feed f;
    char buf[8];
    size_t got;

    t_feed_init(&f, "abcdefg", 7, 3);
    CU_ASSERT(t_feed_read(&f, buf, sizeof buf, 0, &got) == PL_OK);
    CU_ASSERT(got == 3 && memcmp(buf, "abc", 3) == 0);
    CU_ASSERT(t_feed_read(&f, buf, 2, 0, &got) == PL_OK);
    CU_ASSERT(got == 2 && memcmp(buf, "de", 2) == 0);
    CU_ASSERT(t_feed_read(&f, buf, sizeof buf, 0, &got) == PL_OK);
    CU_ASSERT(got == 2 && memcmp(buf, "fg", 2) == 0);
    CU_ASSERT(t_feed_read(&f, buf, sizeof buf, 0, &got) == PL_EOF);
    t_feed_init(&f, "abcdefg", 7, 0);
    CU_ASSERT(t_feed_read(&f, buf, sizeof buf, 0, &got) == PL_OK);
    CU_ASSERT(got == 7);
}

/* Count the entries of a directory other than . and .. */
static int t_count_entries(const char *dir)
{
    DIR *d;
    struct dirent *e;
    int n = 0;

    d = opendir(dir);
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void t_scratch(void)
{
    const char *dir;
    char path[600], keep[64];
    FILE *fp;

    dir = t_scratch_dir("t_lr");
    CU_ASSERT_FATAL(dir != NULL);
    CU_ASSERT(strcmp(dir, "build/test-scratch/t_lr") == 0);
    CU_ASSERT(t_count_entries(dir) == 0);
    CU_ASSERT_FATAL(strlen(dir) < sizeof keep);
    strcpy(keep, dir);
    sprintf(path, "%s/f.txt", keep);
    fp = fopen(path, "w");
    CU_ASSERT_FATAL(fp != NULL);
    fputs("x", fp);
    fclose(fp);
    sprintf(path, "%s/sub", keep);
    CU_ASSERT_FATAL(mkdir(path, 0700) == 0);
    sprintf(path, "%s/sub/g.txt", keep);
    fp = fopen(path, "w");
    CU_ASSERT_FATAL(fp != NULL);
    fclose(fp);
    CU_ASSERT(t_count_entries(keep) == 2);
    /* Asked again: the same directory, emptied. */
    dir = t_scratch_dir("t_lr");
    CU_ASSERT_FATAL(dir != NULL);
    CU_ASSERT(strcmp(dir, keep) == 0);
    CU_ASSERT(t_count_entries(dir) == 0);
    /* Names that could reach outside build/test-scratch are refused. */
    CU_ASSERT(t_scratch_dir("") == NULL);
    CU_ASSERT(t_scratch_dir("..") == NULL);
    CU_ASSERT(t_scratch_dir(".") == NULL);
    CU_ASSERT(t_scratch_dir("a/b") == NULL);
    CU_ASSERT(t_scratch_dir("../x") == NULL);
}

int t_lr_register(void)
{
    CU_pSuite s;

    s = CU_add_suite("test helpers", NULL, NULL);
    if (s == NULL)
        return -1;
    if (CU_add_test(s, "t_feed pieces", t_feed_pieces) == NULL ||
        CU_add_test(s, "t_scratch_dir", t_scratch) == NULL)
        return -1;

    s = CU_add_suite("lr_read", NULL, NULL);
    if (s == NULL)
        return -1;
    if (CU_add_test(s, "line table, every chunking", t_lr_table) == NULL ||
        CU_add_test(s, "command hidden past the limit",
                    t_lr_hidden_command) == NULL ||
        CU_add_test(s, "100 KB without LF", t_lr_endless) == NULL ||
        CU_add_test(s, "random splittings", t_lr_random_splits) == NULL ||
        CU_add_test(s, "per-read timeout", t_lr_timeout) == NULL ||
        CU_add_test(s, "default timeout", t_lr_default_timeout) == NULL ||
        CU_add_test(s, "deadline", t_lr_deadline) == NULL ||
        CU_add_test(s, "deadline, buffered line",
                    t_lr_deadline_buffered) == NULL ||
        CU_add_test(s, "discard", t_lr_discard) == NULL ||
        CU_add_test(s, "discard ends skip", t_lr_discard_skip) == NULL ||
        CU_add_test(s, "pending excludes excess", t_lr_pending_skip) == NULL ||
        CU_add_test(s, "read_raw", t_lr_read_raw) == NULL ||
        CU_add_test(s, "read_raw skips excess",
                    t_lr_read_raw_skips_excess) == NULL ||
        CU_add_test(s, "set_max_line", t_lr_max_line) == NULL ||
        CU_add_test(s, "set_source", t_lr_set_source) == NULL ||
        CU_add_test(s, "EOF drops the partial line", t_lr_eof_drops) == NULL ||
        CU_add_test(s, "broken source", t_lr_broken_source) == NULL)
        return -1;
    return 0;
}
