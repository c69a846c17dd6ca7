/*
 * ut_log.h - the logging front end: level filter, formatting, escaping.
 *
 * Contract: every line goes out through pl_log_line() with control
 * characters, DEL and bytes >= 0x80 written as \xNN (upper-case hex), a
 * backslash written as \\ (so an escape cannot be forged), and the line cut
 * at UT_LOG_LINE_MAX octets with a trailing "..." (never inside an escape);
 * so no client byte can forge a log line or reach a terminal raw.  The
 * level may be changed at any time from any thread (newmail ctl loglevel).
 * Format strings are never client data: client text goes in through %s
 * arguments.
 * Privilege: none.
 */
#ifndef UT_LOG_H
#define UT_LOG_H

#include <stdarg.h>
#include "pl.h"

#define UT_LOG_LINE_MAX 2048

/* Log at level (PL_LOG_*) and category (PL_LOGCAT_*). */
void ut_log(int level, int category, const char *fmt, ...);

/* ut_log with a va_list, for modules that wrap it (session prefixes). */
void ut_logv(int level, int category, const char *fmt, va_list ap);

/* Shorthands for the mail category. */
void ut_log_err(const char *fmt, ...);
void ut_log_warn(const char *fmt, ...);
void ut_log_info(const char *fmt, ...);
void ut_log_debug(const char *fmt, ...);

/* The most verbose level that is written; PL_LOG_INFO at start.  Values
 * outside PL_LOG_ERROR..PL_LOG_DEBUG are clamped (errors always show). */
void ut_log_set_level(int level);
int ut_log_get_level(void);

/* 1 if a message at level would be written now: lets callers skip costly
 * work (hex dumps) for filtered levels. */
int ut_log_enabled(int level);

/* "error", "warn"/"warning", "notice", "info", "debug" (any case) to a
 * level; PL_EINVAL otherwise.  ut_log_level_name is the reverse ("warn";
 * "unknown" for a value that is no level; never NULL). */
int ut_log_level_parse(const char *name, int *level);
const char *ut_log_level_name(int level);

/* Escape n bytes of in for a log line into out (always NUL-terminated,
 * cut with "..." if too small); returns the length written. */
size_t ut_log_escape(const void *in, size_t n, char *out, size_t outsz);

/* Format and escape exactly as ut_log does, into out (NUL-terminated; cut
 * with "..." to fit outsz, and when the formatted text exceeds
 * UT_LOG_LINE_MAX); returns the length written.  For ctl replies and tests. */
size_t ut_log_format(char *out, size_t outsz, const char *fmt, ...);

#endif
