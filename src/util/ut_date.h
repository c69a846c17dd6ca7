/*
 * ut_date.h - calendar arithmetic and RFC 5322 date-time text.
 *
 * Contract: pure arithmetic on seconds since 1970 (no gmtime, which older
 * OpenVMS C RTLs got wrong); valid for years 1970..9999.
 * Privilege: none.
 */
#ifndef UT_DATE_H
#define UT_DATE_H

#include "pl_types.h"

typedef struct ut_tm {
    int year, month, day;        /* 1970.., 1..12, 1..31 */
    int hour, min, sec;          /* 0..23, 0..59, 0..60 */
    int wday;                    /* 0 = Sunday */
} ut_tm;

/* Break t (seconds since 1970, UTC) plus offset_secs into fields. */
void ut_date_split(pl_i64 t, pl_i32 offset_secs, ut_tm *out);

/* "Sun, 22 Nov 2026 03:59:01 +0100" for t shifted by offset_secs;
 * PL_ERANGE if buf (at least 32 bytes) is too small; PL_EINVAL for a year
 * outside 0000..9999 or an offset of 100 hours or more. */
int ut_date_rfc5322(pl_i64 t, pl_i32 offset_secs, char *buf, size_t n);

/* Same with the local offset from pl_time_utc_offset; "-0000" (RFC 5322
 * 3.3: zone unknown) with UTC time if the offset cannot be had. */
int ut_date_rfc5322_now(char *buf, size_t n);

#endif
