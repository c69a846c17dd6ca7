/*
 * sv_penalty.h - authentication failure penalties per source address,
 * shared by every service of one server process (POP3 and SMTP AUTH).
 *
 * Contract: each failure from a source doubles its delay, from
 * SV_PENALTY_MIN_MS up to SV_PENALTY_MAX_MS; a success clears it; entries
 * expire after SV_PENALTY_FORGET_SECS without failures.  The table is
 * bounded (SV_PENALTY_SLOTS, oldest entry evicted), so a flood of sources
 * cannot grow memory.  Thread safe once sv_penalty_init has returned
 * (call it from the main thread before sessions start).  A source is the
 * peer's address text as given; unknown (NULL or "") peers share one entry.
 * Privilege: none.
 */
#ifndef SV_PENALTY_H
#define SV_PENALTY_H

#include "pl.h"

#define SV_PENALTY_MIN_MS     2000   /* Dovecot's starting penalty */
#define SV_PENALTY_MAX_MS    15000   /* and its ceiling */
#define SV_PENALTY_FORGET_SECS 3600
#define SV_PENALTY_SLOTS      4096

/* Create the process-wide table (idempotent). */
int sv_penalty_init(void);

/* Milliseconds the next authentication attempt from peer must wait. */
pl_i32 sv_penalty_delay(const char *peer);

/* Record a failure / a success for peer. */
void sv_penalty_fail(const char *peer);
void sv_penalty_ok(const char *peer);

/* Sources in the table now (stats, tests); at most SV_PENALTY_SLOTS. */
int sv_penalty_count(void);

/* Authentication failures recorded since the table was created (every
 * service; `newmail ctl stats`). */
pl_u64 sv_penalty_failures(void);

/* Tests: take the time from now_fn instead of pl_time_now (NULL restores
 * it), and forget every source. */
void sv_penalty_set_clock(pl_i64 (*now_fn)(void));
void sv_penalty_clear(void);

#endif
