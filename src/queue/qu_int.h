/*
 * qu_int.h - what the queue modules share inside src/queue: file names of
 * an entry, the envelope text format (qu_env.c) and the queue handle.
 * Not for use outside src/queue and its tests (qu.h is the interface).
 * Privilege: none; declarations only.
 */
#ifndef QU_INT_H
#define QU_INT_H

#include "qu.h"
#include "ut_buf.h"

/* Types of the files of entry ID in _QUEUE (simple names "ID.TYPE"). */
#define QU_T_MSG "MSG"    /* the message, written once */
#define QU_T_ENV "ENV"    /* the committed envelope: the entry exists */
#define QU_T_NEW "NEW"    /* an envelope being written or rewritten */
#define QU_T_LCK "LCK"    /* the entry's lock (POSIX: fcntl on this file) */

/* "ID.TYPE" with its NUL. */
#define QU_NAME_BUF (QU_ID_LEN + 1 + 3 + 1)

/* The envelope format's version (doc/queue-format.md). */
#define QU_ENV_VERSION 1

/* Longest recipient block and header part in the text form, so that a
 * reader can bound the file before reading it: every value at its
 * maximum plus the keys, spaces and line ends, rounded up. */
#define QU_ENV_RCPT_BYTES 1800
#define QU_ENV_HEAD_BYTES 2048
#define QU_ENV_FILE_MAX \
    ((size_t)QU_ENV_HEAD_BYTES + (size_t)QU_RCPT_MAX * QU_ENV_RCPT_BYTES)

/* Largest time accepted in a record: 9999-12-31T23:59:59Z. */
#define QU_TIME_MAX 253402300799LL
/* Largest attempt count accepted (years of retries). */
#define QU_ATTEMPTS_MAX 1000000

/* Handles on _QUEUE kept open: a pl.h handle serves one thread at a time,
 * so each operation borrows one; 8 lets that many submissions sync at
 * once without queueing behind each other. */
#define QU_DIR_POOL 8
/* Write-behind buffer of a submission's message file. */
#define QU_IO_BUF 65536
/* Attempts at a fresh id when one is taken (collisions are ~1e-8). */
#define QU_ID_RETRIES 8
/* qu_lock with a timeout polls at this interval, holding no handle. */
#define QU_LOCK_POLL_MS 20

/* "ID.TYPE" into name (QU_NAME_BUF bytes); PL_EINVAL for a bad id. */
int qu_name(const char *id, const char *type, char *name);

/* Check every field of e as qu_env_save writes it: text without control
 * characters and within its length, numbers and codes in range, a valid
 * id, 1..QU_RCPT_MAX recipients.  PL_OK or PL_EINVAL with the reason. */
int qu_env_check(const qu_env *e, char *why, size_t whylen);

/* The same for what a submission's prototype supplies (every entry field
 * but the id and the recipients) and for one recipient. */
int qu_env_check_head(const qu_env *e, char *why, size_t whylen);
int qu_rcpt_check(const qu_rcpt *r, char *why, size_t whylen);

/* The envelope file text of e (checked first: PL_EINVAL, nothing added),
 * ending with its CHECKSUM record, appended to out. */
int qu_env_format(const qu_env *e, ut_buf *out);

/* Parse an envelope file of n bytes.  PL_EINVAL with the reason (line
 * number and what is wrong) for anything but a complete, well-formed file
 * whose checksum matches; PL_ENOMEM.  *out is freed with qu_env_free. */
int qu_env_parse(const char *text, size_t n, qu_env **out, char *why,
                 size_t whylen);

#endif
