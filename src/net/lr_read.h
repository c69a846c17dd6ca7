/*
 * lr_read.h - the one buffered line reader every protocol uses.
 *
 * Contract (after Postfix smtp_get and popa3d pop_get_line):
 *  - A line ends at LF.  A CR immediately before that LF is part of the
 *    terminator; the line is returned without its terminator and followed
 *    by a NUL in the reader's buffer (the NUL is not counted).
 *  - max_line is the longest accepted line in octets including its
 *    terminator (RFC 5321: 512; RFC 2449: 255).  A longer line is returned
 *    once, cut to max_line - 2 octets and flagged LR_TOOLONG, as soon as
 *    max_line octets have arrived without an LF (so the caller can answer
 *    or close before the rest comes); its excess is then read and thrown
 *    away up to and including the next LF by the following calls, and is
 *    never returned as a line of its own (nor by lr_read_raw), so no
 *    command can hide behind a long prefix.  The flags of a cut line
 *    describe the octets returned.
 *  - Flags report, never repair: LR_BARE_LF (ended by LF without CR),
 *    LR_BARE_CR (a CR not followed by LF inside the line), LR_NUL (a NUL
 *    byte inside the line).  With LR_POLICY_STRICT the caller is expected
 *    to reject flagged lines; the reader itself never splits at a bare CR
 *    and never truncates at a NUL.
 *  - Time: each read of the source waits at most the per-read timeout
 *    (PL_ETIMEDOUT), and lr_set_deadline() bounds a whole line or
 *    transaction by the monotonic clock (PL_ETIMEDOUT as well, checked
 *    before every read of the source; a line already buffered is still
 *    returned).  After PL_ETIMEDOUT the buffered octets are kept.
 *  - End of input in the middle of a line returns PL_EOF and drops the
 *    partial line (a command is only a command once terminated).  After
 *    PL_EOF the source is not asked again until lr_set_source().
 *  - The reader owns one buffer of fixed size; memory never grows with
 *    input.
 * Privilege: none.
 */
#ifndef LR_READ_H
#define LR_READ_H

#include "pl.h"

/* Source of bytes: plain socket, TLS, or a test feed.  Returns PL_OK with
 * *got > 0, PL_EOF, PL_ETIMEDOUT or another PL_E* code. */
typedef int (*lr_source_fn)(void *ctx, void *buf, size_t n,
                            pl_i32 timeout_ms, size_t *got);

/* Line flags */
#define LR_TOOLONG 1
#define LR_BARE_LF 2
#define LR_BARE_CR 4
#define LR_NUL     8

/* Policies (informational for callers, kept with the reader) */
#define LR_POLICY_LENIENT 0   /* bare LF ends commands (popa3d, Postfix) */
#define LR_POLICY_STRICT  1   /* any flag makes the line an error */

typedef struct lr_reader lr_reader;

/* Make a reader with a buffer for max_line octets (raised to
 * UT_LR_MIN_LINE = 8 if smaller); per-read timeout UT_LR_TIMEOUT_MS, no
 * deadline.  NULL when out of memory. */
lr_reader *lr_new(size_t max_line, int policy, lr_source_fn src, void *ctx);
void lr_free(lr_reader *r);   /* wipes the buffer; NULL accepted */

/* The policy given to lr_new. */
int lr_get_policy(const lr_reader *r);

/* Replace the byte source (plain -> TLS) keeping buffered bytes; callers
 * switching to TLS call lr_discard() first. */
void lr_set_source(lr_reader *r, lr_source_fn src, void *ctx);

/* Change the maximum line length (e.g. 12288 for an AUTH exchange);
 * PL_ERANGE if larger than the buffer allocated by lr_new, PL_EINVAL if
 * below UT_LR_MIN_LINE. */
int lr_set_max_line(lr_reader *r, size_t max_line);

/* Per-read timeout in milliseconds (PL_WAIT_FOREVER allowed). */
void lr_set_timeout(lr_reader *r, pl_i32 timeout_ms);

/* Absolute deadline on pl_time_mono_ms(), or 0 for none. */
void lr_set_deadline(lr_reader *r, pl_i64 mono_ms);

/* Read the next line.  *line points into the reader (valid until the next
 * call), *len excludes the terminator, *flags gets LR_* bits. */
int lr_get_line(lr_reader *r, char **line, size_t *len, int *flags);

/* Bytes received but not yet returned (pipelining, early talkers); the
 * buffered excess of an over-long line is not counted. */
size_t lr_pending(const lr_reader *r);

/* Throw away every buffered byte, and any over-long line still being
 * skipped (after STARTTLS/STLS). */
void lr_discard(lr_reader *r);

/* Raw read for bulk data (SMTP DATA): buffered bytes first, then one read
 * of the source; *got > 0 on PL_OK; n = 0 is PL_EINVAL.  Same timeouts. */
int lr_read_raw(lr_reader *r, void *buf, size_t n, size_t *got);

#endif
