/*
 * st_params.h - the limits and tunable defaults of the popstore core.
 * Each constant says why it has its value.  The caller passes the run-time
 * values (compression, threshold, maximum size) in an st_params; these are
 * the defaults and hard ceilings.
 * Privilege: none; constants only.
 */
#ifndef ST_PARAMS_H
#define ST_PARAMS_H

/* A unique id is the name part of a message file: at most PL_NAME_MAX (39)
 * characters, far inside RFC 1939's 70.  Ours are exactly 30 (see
 * st_name.c); anything from 1 to 39 of A-Z 0-9 is accepted when reading. */
#define ST_ID_MAX            39
/* Buffer size for a mapped directory name or an id, with the NUL. */
#define ST_NAME_BUF          40

/* RFC 5321 4.5.3.1.1 and 4.5.3.1.2: local part 64 octets, domain 255. */
#define ST_LOCAL_MAX         64
#define ST_DOMAIN_MAX        255

/* Mapped names longer than PL_NAME_MAX are shortened to this many
 * characters of prefix plus "_X" and a 96-bit hash (24 hex digits). */
#define ST_HASH_PREFIX       13

/* Default largest message, in CRLF octets, when the caller gives 0: far
 * above SMTP SIZE limits in common use, small enough that sizes fit the
 * file name's type part comfortably. */
#define ST_SIZE_DEFAULT_MAX  ((pl_u64)1024 * 1024 * 1024)
/* Hard ceiling of any message: 1 TiB keeps the size at 13 digits. */
#define ST_SIZE_HARD_MAX     ((pl_u64)1024 * 1024 * 1024 * 1024)

/* Default compression threshold: below 4 KiB deflate saves less than one
 * disk block, so it only costs CPU. */
#define ST_COMPRESS_MIN_DEFAULT 4096
/* The most a delivery holds in memory while deciding whether to compress;
 * larger thresholds are lowered to this so a delivery's memory is bounded. */
#define ST_COMPRESS_HOLD_MAX (1024L * 1024L)

/* Size of the I/O buffers (delivery write-behind, stream reads): 64 KiB is
 * one or two large disk transfers and keeps the syscall count low. */
#define ST_IO_BUF            65536

/* An inflate may produce this many octets beyond the recorded size before
 * it is declared corrupt: none, the recorded size is an upper bound on the
 * raw octets (a raw message is never longer than its CRLF form). */
#define ST_INFLATE_SLACK     0

/* Temporary delivery files untouched for this long are orphans of a crash
 * and are removed (qmail's maildir(5) uses 36 hours; a delivery in
 * progress touches its file far more often). */
#define ST_TMP_ORPHAN_SECS   ((pl_i64)36 * 3600)

/* The index is compacted when it holds more than this many dead records
 * (deletions, superseded flags) and more dead than live records. */
#define ST_INDEX_GARBAGE_MIN 256

/* One index line is at most this long (id, four numbers, flags). */
#define ST_INDEX_LINE_MAX    160

/* Messages in one folder: bounds memory of a snapshot (about 80 bytes per
 * message: 8 million messages are about 640 MB); beyond it select fails
 * with PL_ERANGE instead of exhausting memory. */
#define ST_FOLDER_MAX        8000000UL

/* How many times a delivery draws a new id when its temporary name is
 * taken (it never is, unless clocks and pids collide across nodes). */
#define ST_ID_RETRIES        8

#endif
