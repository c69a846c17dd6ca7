/*
 * px_time.c - clocks, the local time zone offset and sleeping, on POSIX.
 *
 * The wall clock is CLOCK_REALTIME, the monotonic one CLOCK_MONOTONIC.
 * The zone offset comes from localtime_r's tm_gmtoff after tzset(), so a
 * change of TZ is seen.  Sleeps run in short slices so that a thread that
 * never receives the signal itself still notices a shutdown promptly.
 * Limits: times are seconds since 1970 in 64 bits; a time_t of 32 bits
 * (old 32-bit systems) limits pl_time_utc_offset to its range.
 * Privilege: none.
 */
#include <errno.h>
#include <time.h>

#include "px_int.h"

/* How often a sleeping thread looks for a shutdown request. */
#define PX_SLEEP_SLICE_MS 100

pl_i64 pl_time_now(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return (pl_i64)time(NULL);
    return (pl_i64)ts.tv_sec;
}

void pl_time_now_us(pl_i64 *secs, pl_i32 *usec)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        ts.tv_sec = time(NULL);
        ts.tv_nsec = 0;
    }
    if (secs != NULL)
        *secs = (pl_i64)ts.tv_sec;
    if (usec != NULL)
        *usec = (pl_i32)(ts.tv_nsec / 1000);
}

pl_i64 pl_time_mono_ms(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail on a system that has it; the pthread
     * code relies on it too. */
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (pl_i64)ts.tv_sec * 1000 + (pl_i64)(ts.tv_nsec / 1000000);
}

int pl_time_utc_offset(pl_i64 t, pl_i32 *offset_secs)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (offset_secs == NULL)
        return PL_EINVAL;
    if ((pl_i64)tt != t) {
        (void)px_fail(EOVERFLOW);
        return PL_ERANGE;
    }
    /* localtime_r need not read TZ again; tzset makes it. */
    tzset();
    if (localtime_r(&tt, &tm) == NULL)
        return px_fail(errno != 0 ? errno : EOVERFLOW);
    *offset_secs = (pl_i32)tm.tm_gmtoff;
    return PL_OK;
}

int pl_sleep_ms(pl_i32 ms)
{
    pl_i64 end;

    if (ms < 0)
        return PL_EINVAL;
    end = pl_time_mono_ms() + ms;
    for (;;) {
        struct timespec ts;
        pl_i64 left;

        if (px_shutdown_pending())
            return PL_EINTR;
        left = end - pl_time_mono_ms();
        if (left <= 0)
            return PL_OK;
        if (left > PX_SLEEP_SLICE_MS)
            left = PX_SLEEP_SLICE_MS;
        ts.tv_sec = (time_t)(left / 1000);
        ts.tv_nsec = (long)(left % 1000) * 1000000L;
        (void)nanosleep(&ts, NULL);   /* EINTR: loop and look again */
    }
}
