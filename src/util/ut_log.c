/*
 * ut_log.c - logging front end: filter, format, escape, hand to pl_log_line
 * (contract in ut_log.h).
 *
 * Limits: a line is at most UT_LOG_LINE_MAX octets after escaping; two
 * buffers of that size live on the caller's stack (about 4 KB), no heap,
 * so logging still works when memory is exhausted.
 * Thread safety: the level is one int, read and written whole; a level
 * change racing a log call only decides whether that one line is written.
 * Privilege: none.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "ut_log.h"
#include "ut_str.h"

static volatile int ut_log_cur = PL_LOG_INFO;

/* Octets the escaped form of c takes. */
static size_t ut_log_esc_len(unsigned char c)
{
    if (c == '\\')
        return 2;
    if (c < 0x20 || c >= 0x7f)
        return 4;
    return 1;
}

static void ut_log_esc_put(unsigned char c, char *o)
{
    static const char hex[] = "0123456789ABCDEF";

    if (c == '\\') {
        o[0] = '\\';
        o[1] = '\\';
    } else if (c < 0x20 || c >= 0x7f) {
        o[0] = '\\';
        o[1] = 'x';
        o[2] = hex[c >> 4];
        o[3] = hex[c & 0x0f];
    } else {
        o[0] = (char)c;
    }
}

/* Escape n bytes; cut_input says the text was already cut before it got
 * here, so "..." must show even if the rest fits. */
static size_t ut_log_esc(const unsigned char *in, size_t n, int cut_input,
                         char *out, size_t outsz)
{
    size_t room, total, i, o, l, dots, budget;

    if (outsz == 0)
        return 0;
    room = outsz - 1;
    total = 0;
    for (i = 0; i < n && total <= room; i++)
        total += ut_log_esc_len(in[i]);
    if (!cut_input && i == n && total <= room) {
        o = 0;
        for (i = 0; i < n; i++) {
            ut_log_esc_put(in[i], out + o);
            o += ut_log_esc_len(in[i]);
        }
        out[o] = '\0';
        return o;
    }
    dots = room < 3 ? room : 3;
    budget = room - dots;
    o = 0;
    for (i = 0; i < n; i++) {
        l = ut_log_esc_len(in[i]);
        if (o + l > budget)
            break;              /* whole escapes only: no dangling "\x4" */
        ut_log_esc_put(in[i], out + o);
        o += l;
    }
    memset(out + o, '.', dots);
    o += dots;
    out[o] = '\0';
    return o;
}

size_t ut_log_escape(const void *in, size_t n, char *out, size_t outsz)
{
    return ut_log_esc((const unsigned char *)in, n, 0, out, outsz);
}

/* Format into raw, escape into out; returns the escaped length. */
static size_t ut_log_vfmt(char *out, size_t outsz, const char *fmt,
                          va_list ap)
{
    char raw[UT_LOG_LINE_MAX + 1];
    int n;
    size_t len;
    int cut;

    n = vsnprintf(raw, sizeof raw, fmt, ap);
    if (n < 0) {
        /* An encoding error in a format we wrote ourselves: still leave a
         * trace, with the format (never client data) as the text. */
        ut_strlcpy(raw, "log format error: ", sizeof raw);
        ut_strlcat(raw, fmt, sizeof raw);
        len = strlen(raw);
        cut = 0;
    } else if ((size_t)n >= sizeof raw) {
        len = sizeof raw - 1;
        cut = 1;
    } else {
        len = (size_t)n;
        cut = 0;
    }
    if (outsz > UT_LOG_LINE_MAX + 1)
        outsz = UT_LOG_LINE_MAX + 1;
    return ut_log_esc((const unsigned char *)raw, len, cut, out, outsz);
}

size_t ut_log_format(char *out, size_t outsz, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = ut_log_vfmt(out, outsz, fmt, ap);
    va_end(ap);
    return n;
}

void ut_logv(int level, int category, const char *fmt, va_list ap)
{
    char line[UT_LOG_LINE_MAX + 1];

    if (!ut_log_enabled(level))
        return;
    ut_log_vfmt(line, sizeof line, fmt, ap);
    pl_log_line(level, category, line);
}

void ut_log(int level, int category, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ut_logv(level, category, fmt, ap);
    va_end(ap);
}

void ut_log_err(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ut_logv(PL_LOG_ERROR, PL_LOGCAT_MAIL, fmt, ap);
    va_end(ap);
}

void ut_log_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ut_logv(PL_LOG_WARN, PL_LOGCAT_MAIL, fmt, ap);
    va_end(ap);
}

void ut_log_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ut_logv(PL_LOG_INFO, PL_LOGCAT_MAIL, fmt, ap);
    va_end(ap);
}

void ut_log_debug(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ut_logv(PL_LOG_DEBUG, PL_LOGCAT_MAIL, fmt, ap);
    va_end(ap);
}

void ut_log_set_level(int level)
{
    /* Clamped so that errors can never be switched off by a typo. */
    if (level < PL_LOG_ERROR)
        level = PL_LOG_ERROR;
    if (level > PL_LOG_DEBUG)
        level = PL_LOG_DEBUG;
    ut_log_cur = level;
}

int ut_log_get_level(void)
{
    return ut_log_cur;
}

int ut_log_enabled(int level)
{
    return level <= ut_log_cur;
}

static const struct {
    const char *name;
    int level;
} ut_log_names[] = {
    { "error", PL_LOG_ERROR },
    { "warn", PL_LOG_WARN },
    { "warning", PL_LOG_WARN },
    { "notice", PL_LOG_NOTICE },
    { "info", PL_LOG_INFO },
    { "debug", PL_LOG_DEBUG }
};

int ut_log_level_parse(const char *name, int *level)
{
    size_t i;

    for (i = 0; i < sizeof ut_log_names / sizeof ut_log_names[0]; i++) {
        if (ut_strcaseeq(name, ut_log_names[i].name)) {
            *level = ut_log_names[i].level;
            return PL_OK;
        }
    }
    return PL_EINVAL;
}

const char *ut_log_level_name(int level)
{
    switch (level) {
    case PL_LOG_ERROR:  return "error";
    case PL_LOG_WARN:   return "warn";
    case PL_LOG_NOTICE: return "notice";
    case PL_LOG_INFO:   return "info";
    case PL_LOG_DEBUG:  return "debug";
    default:            return "unknown";
    }
}
