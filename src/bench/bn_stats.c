/*
 * bn_stats.c - newmail-bench's figures: latency percentiles, and the
 * server's CPU ticks and resident memory read from /proc as plain files
 * with ISO C stdio (so src/ needs no OS header; where there is no /proc,
 * e.g. OpenVMS, the read fails with PL_ENOENT and the report says n/a).
 *
 * Also the parent pid and children's CPU (PROC/PID/stat) and the
 * proportional set size (PROC/PID/smaps_rollup) for process trees.
 * Limits: the first line of PROC/PID/stat and lines of PROC/PID/status
 * and smaps_rollup up to 511 characters (the kernel's are shorter).
 * Privilege: runs as any user (loopback only: no network here); another
 * user's PROC/PID/stat is readable, its status may need the same user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bn.h"
#include "ut_str.h"

static int cmp_u32(const void *a, const void *b)
{
    pl_u32 x = *(const pl_u32 *)a, y = *(const pl_u32 *)b;

    return x < y ? -1 : x > y;
}

int bn_percentile(pl_u32 *lat, pl_u64 n, int p, pl_u32 *out_us)
{
    pl_u64 used = 0, rank;

    qsort(lat, (size_t)n, sizeof lat[0], cmp_u32);
    /* BN_LAT_NONE sorts last, so the used slots are a prefix. */
    while (used < n && lat[used] != (pl_u32)BN_LAT_NONE)
        used++;
    if (used == 0)
        return PL_ENOENT;
    rank = (used * (pl_u64)p + 99) / 100;     /* nearest rank, 1-based */
    if (rank < 1)
        rank = 1;
    *out_us = lat[rank - 1];
    return PL_OK;
}

/* Path "DIR/PID/LEAF" into buf. */
static int proc_path(char *buf, size_t n, const char *dir, pl_u32 pid,
                     const char *leaf)
{
    char num[24];

    num[ut_u64_to_dec(num, pid)] = '\0';
    if (ut_strlcpy(buf, dir, n) != PL_OK || ut_strlcat(buf, "/", n) != PL_OK
        || ut_strlcat(buf, num, n) != PL_OK
        || ut_strlcat(buf, "/", n) != PL_OK
        || ut_strlcat(buf, leaf, n) != PL_OK)
        return PL_ERANGE;
    return PL_OK;
}

/* The idx-th (0-based) space-separated field of s as a number. */
static int field_u64(const char *s, int idx, pl_u64 *out)
{
    const char *e;

    for (;;) {
        while (*s == ' ')
            s++;
        if (*s == '\0')
            return PL_EINVAL;
        e = s;
        while (*e != ' ' && *e != '\0' && *e != '\n')
            e++;
        if (idx-- == 0)
            return ut_parse_u64(s, (size_t)(e - s), ~(pl_u64)0, out);
        s = e;
    }
}

int bn_proc_read(const char *proc_dir, pl_u32 pid, pl_u64 *ticks,
                 pl_u64 *rss_kib)
{
    char path[512], line[512];
    const char *p;
    pl_u64 ut, stt;
    FILE *f;
    int rc = PL_ENOENT;

    if (proc_path(path, sizeof path, proc_dir, pid, "stat") != PL_OK)
        return PL_ERANGE;
    f = fopen(path, "r");
    if (f == NULL)
        return PL_ENOENT;
    if (fgets(line, sizeof line, f) != NULL) {
        /* The command name in parentheses may hold spaces: count the
         * fields from the last ')'.  utime and stime are fields 14 and
         * 15 of proc(5), i.e. the 12th and 13th after the name. */
        p = strrchr(line, ')');
        if (p != NULL && field_u64(p + 1, 11, &ut) == PL_OK
            && field_u64(p + 1, 12, &stt) == PL_OK) {
            *ticks = ut + stt;
            rc = PL_OK;
        }
    }
    fclose(f);
    if (rc != PL_OK)
        return PL_EINVAL;
    if (proc_path(path, sizeof path, proc_dir, pid, "status") != PL_OK)
        return PL_ERANGE;
    f = fopen(path, "r");
    if (f == NULL)
        return PL_ENOENT;
    rc = PL_EINVAL;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            p = line + 6;
            while (*p == ' ' || *p == '\t')
                p++;
            if (field_u64(p, 0, rss_kib) == PL_OK)
                rc = PL_OK;
            break;
        }
    }
    fclose(f);
    return rc;
}

int bn_proc_stat(const char *proc_dir, pl_u32 pid, pl_u32 *ppid,
                 pl_u64 *self_ticks, pl_u64 *child_ticks)
{
    char path[512], line[512];
    const char *p;
    pl_u64 v[5];
    FILE *f;
    int rc = PL_EINVAL, i;

    if (proc_path(path, sizeof path, proc_dir, pid, "stat") != PL_OK)
        return PL_ERANGE;
    f = fopen(path, "r");
    if (f == NULL)
        return PL_ENOENT;
    if (fgets(line, sizeof line, f) != NULL) {
        /* After the name: ppid is the 2nd field, utime, stime, cutime,
         * cstime the 12th to 15th (proc(5) fields 4 and 14-17). */
        p = strrchr(line, ')');
        rc = p != NULL ? field_u64(p + 1, 1, &v[0]) : PL_EINVAL;
        for (i = 0; rc == PL_OK && i < 4; i++)
            rc = field_u64(p + 1, 11 + i, &v[1 + i]);
    }
    fclose(f);
    if (rc != PL_OK)
        return PL_EINVAL;
    *ppid = (pl_u32)v[0];
    *self_ticks = v[1] + v[2];
    *child_ticks = v[3] + v[4];
    return PL_OK;
}

int bn_proc_pss(const char *proc_dir, pl_u32 pid, pl_u64 *pss_kib)
{
    char path[512], line[512];
    const char *p;
    FILE *f;
    int rc = PL_EINVAL;

    if (proc_path(path, sizeof path, proc_dir, pid, "smaps_rollup")
        != PL_OK)
        return PL_ERANGE;
    f = fopen(path, "r");
    if (f == NULL)
        return PL_ENOENT;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "Pss:", 4) == 0) {
            p = line + 4;
            while (*p == ' ' || *p == '\t')
                p++;
            rc = field_u64(p, 0, pss_kib);
            break;
        }
    }
    fclose(f);
    return rc;
}
