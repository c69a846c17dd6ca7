/*
 * vms_time.c - clocks, the UTC offset and sleeping on OpenVMS.
 * Services: the C RTL time()/gettimeofday() (UTC-based since the V7.0 C
 * RTL) for the wall clock; $GETTIM for the monotonic clock; the logical name
 * SYS$TIMEZONE_DIFFERENTIAL (seconds, defined by the system's time zone
 * setup) for the offset; DECthreads pthread_delay_np for sleeping, so that
 * only the calling thread waits.
 * Limits:
 *  - pl_time_mono_ms derives from $GETTIM, the system time, which an
 *    operator can set back (SET TIME) or daylight saving can shift; this
 *    file keeps the largest value handed out (under a mutex), so the result
 *    never goes back, but it can stand still after a backward change and
 *    jump after a forward one.  Alpha has no documented monotonic service.
 *  - pl_time_utc_offset gives the current SYS$TIMEZONE_DIFFERENTIAL for an
 *    instant within a day of now; for other instants it asks the C RTL
 *    (localtime_r/gmtime_r with the SYS$TIMEZONE_RULE rules).
 * Privilege: none.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>
#include <pthread.h>

#include <starlet.h>
#include <gen64def.h>
#include <psldef.h>

#include "vms_int.h"

/* 100-ns units between 17-NOV-1858 (the OpenVMS base) and 1-JAN-1970. */
#define VMS_EPOCH_OFFSET 35067168000000000ULL
#define VMS_TICKS_PER_SEC 10000000ULL

static pthread_mutex_t vms_mono_mx = PTHREAD_MUTEX_INITIALIZER;
static pl_i64 vms_mono_last;

pl_i32 vms_tdf_seconds(void)
{
    char buf[32];
    long v;
    char *end;

    /* Any access mode: the system manager defines it at executive mode,
     * and the value is not a security decision. */
    if (vms_trnlnm("LNM$SYSTEM_TABLE", "SYS$TIMEZONE_DIFFERENTIAL",
                   PSL$C_USER, buf, sizeof buf) != PL_OK)
        return 0;
    v = strtol(buf, &end, 10);
    if (end == buf || v < -86400L || v > 86400L)
        return 0;
    return (pl_i32)v;
}

pl_i64 vms_time_to_unix(pl_u64 t)
{
    pl_i64 local;

    if (t < VMS_EPOCH_OFFSET)
        return 0;
    local = (pl_i64)((t - VMS_EPOCH_OFFSET) / VMS_TICKS_PER_SEC);
    /* The system time is local time; UTC = local - differential. */
    return local - vms_tdf_seconds();
}

pl_i64 pl_time_now(void)
{
    return (pl_i64)time(NULL);
}

void pl_time_now_us(pl_i64 *secs, pl_i32 *usec)
{
    struct timeval tv;

    if (gettimeofday(&tv, NULL) != 0) {
        tv.tv_sec = time(NULL);
        tv.tv_usec = 0;
    }
    if (secs != NULL)
        *secs = (pl_i64)tv.tv_sec;
    if (usec != NULL)
        *usec = (pl_i32)tv.tv_usec;
}

pl_i64 pl_time_mono_ms(void)
{
    struct _generic_64 now;
    pl_u64 t;
    pl_i64 ms;

    if (!(sys$gettim(&now) & 1))
        return vms_mono_last;
    memcpy(&t, &now, sizeof t);
    ms = (pl_i64)(t / 10000u);
    pthread_mutex_lock(&vms_mono_mx);
    if (ms < vms_mono_last)
        ms = vms_mono_last;     /* the clock was set back: hold still */
    vms_mono_last = ms;
    pthread_mutex_unlock(&vms_mono_mx);
    return ms;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), for the offset
 * computed from two broken-down times without mktime's zone rules. */
static pl_i64 vms_days(int y, int m, int d)
{
    pl_i64 yy = (pl_i64)y - (m <= 2);
    pl_i64 era = (yy >= 0 ? yy : yy - 399) / 400;
    pl_i64 yoe = yy - era * 400;
    pl_i64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    pl_i64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

int pl_time_utc_offset(pl_i64 t, pl_i32 *offset_secs)
{
    pl_i64 now = (pl_i64)time(NULL), diff;
    time_t tt = (time_t)t;
    struct tm lt, ut;

    if (offset_secs == NULL)
        return PL_EINVAL;
    diff = t > now ? t - now : now - t;
    if (diff < 86400) {
        *offset_secs = vms_tdf_seconds();
        return PL_OK;
    }
    if ((pl_i64)tt != t || localtime_r(&tt, &lt) == NULL ||
        gmtime_r(&tt, &ut) == NULL)
        return PL_EINVAL;
    diff = (vms_days(lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday) -
            vms_days(ut.tm_year + 1900, ut.tm_mon + 1, ut.tm_mday)) * 86400 +
           (lt.tm_hour - ut.tm_hour) * 3600 + (lt.tm_min - ut.tm_min) * 60 +
           (lt.tm_sec - ut.tm_sec);
    *offset_secs = (pl_i32)diff;
    return PL_OK;
}

int pl_sleep_ms(pl_i32 ms)
{
    struct timespec slice;
    pl_i32 step;

    if (ms < 0)
        return PL_EINVAL;
    /* Slices of at most 200 ms, so a termination request ends the sleep
     * soon (pl_sleep_ms returns early only for it). */
    while (ms > 0) {
        if (vms_term_pending())
            return PL_EINTR;
        step = ms > 200 ? 200 : ms;
        slice.tv_sec = 0;
        slice.tv_nsec = (long)step * 1000000L;
        (void)pthread_delay_np(&slice);
        ms -= step;
    }
    return vms_term_pending() ? PL_EINTR : PL_OK;
}
