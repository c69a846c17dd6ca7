/*
 * ut_date.c - calendar arithmetic and RFC 5322 dates (contract in ut_date.h).
 *
 * Limits: proleptic Gregorian calendar, no leap seconds (POSIX time has
 * none); the text form needs a four-digit year, so instants outside years
 * 0000..9999 and offsets of 100 hours or more are PL_EINVAL.  gmtime() and
 * localtime() are avoided because older OpenVMS C RTLs mishandled them;
 * the local offset comes from pl_time_utc_offset().
 * Privilege: none.
 */
#include <stdio.h>
#include <string.h>
#include "ut_date.h"
#include "pl.h"

#define UT_DAY_SECS 86400
#define UT_T_MIN (-62167219200LL)  /* 0000-01-01T00:00:00Z */
#define UT_T_MAX 253402300799LL    /* 9999-12-31T23:59:59Z */

/* Floor division: C99 '/' truncates toward zero, which would put
 * instants before 1970 on the wrong day. */
static pl_i64 ut_floor_div(pl_i64 a, pl_i64 b)
{
    pl_i64 q = a / b;

    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* Days since 1970-01-01 to year/month/day.  The calendar is treated as
 * starting on 1 March so the leap day falls at the end of a year; an era
 * is the 400-year Gregorian cycle of 146097 days. */
static void ut_civil_from_days(pl_i64 days, int *y, int *m, int *d)
{
    pl_i64 z, era, doe, yoe, doy, mp, year;

    z = days + 719468;                  /* days since 0000-03-01 */
    era = ut_floor_div(z, 146097);
    doe = z - era * 146097;             /* 0..146096 */
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  /* 0..399 */
    year = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);  /* 0..365, from 1 March */
    mp = (5 * doy + 2) / 153;           /* 0 = March .. 11 = February */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(year + (*m <= 2 ? 1 : 0));
}

void ut_date_split(pl_i64 t, pl_i32 offset_secs, ut_tm *out)
{
    pl_i64 local, days, rem;

    local = t + offset_secs;
    days = ut_floor_div(local, UT_DAY_SECS);
    rem = local - days * UT_DAY_SECS;
    ut_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(rem / 3600);
    out->min = (int)(rem % 3600 / 60);
    out->sec = (int)(rem % 60);
    /* 1970-01-01 was a Thursday (4). */
    out->wday = (int)(days - ut_floor_div(days + 4, 7) * 7 + 4);
}

static const char *const ut_wday_names[7] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const ut_mon_names[12] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* unknown_zone: write "-0000", RFC 5322 3.3's "local zone not known". */
static int ut_date_fmt(pl_i64 t, pl_i32 offset_secs, int unknown_zone,
                       char *buf, size_t n)
{
    char tmp[40];
    ut_tm tm;
    pl_i32 a;
    char sign;
    int len;

    if (offset_secs <= -360000 || offset_secs >= 360000)
        return PL_EINVAL;
    /* Bound t before adding the offset: 0000-01-01 .. 9999-12-31 with a
     * margin for the offset; also keeps t + offset from overflowing. */
    if (t < UT_T_MIN - 360000 || t > UT_T_MAX + 360000)
        return PL_EINVAL;
    ut_date_split(t, offset_secs, &tm);
    if (tm.year < 0 || tm.year > 9999)
        return PL_EINVAL;
    sign = (offset_secs < 0 || unknown_zone) ? '-' : '+';
    a = offset_secs < 0 ? -offset_secs : offset_secs;
    len = sprintf(tmp, "%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d",
                  ut_wday_names[tm.wday], tm.day, ut_mon_names[tm.month - 1],
                  tm.year, tm.hour, tm.min, tm.sec, sign,
                  (int)(a / 3600), (int)(a % 3600 / 60));
    if (len < 0 || (size_t)len >= n) {
        if (n > 0)
            buf[0] = '\0';
        return PL_ERANGE;
    }
    memcpy(buf, tmp, (size_t)len + 1);
    return PL_OK;
}

int ut_date_rfc5322(pl_i64 t, pl_i32 offset_secs, char *buf, size_t n)
{
    return ut_date_fmt(t, offset_secs, 0, buf, n);
}

int ut_date_rfc5322_now(char *buf, size_t n)
{
    pl_i64 t;
    pl_i32 off;

    t = pl_time_now();
    if (pl_time_utc_offset(t, &off) != PL_OK)
        return ut_date_fmt(t, 0, 1, buf, n);
    return ut_date_fmt(t, off, 0, buf, n);
}
