/*
 * qu.h - the outbound queue: messages waiting for delivery elsewhere (or
 * written by `newmail sendmail`), each a message file and an envelope file
 * in STORE_ROOT/_QUEUE (format: doc/queue-format.md).
 *
 * Contract
 *  - Durable before success: qu_sub_commit returns only once the message
 *    and its envelope are synced and the directory entry is durable, so
 *    the SMTP server may answer 250 then.  A crash before the commit
 *    leaves at most an orphan that qu_reap removes; never half an entry.
 *  - Envelope records are text lines that can never carry CR, LF or NUL:
 *    every field is checked when written (PL_EINVAL, nothing written) and
 *    again when read back, with a checksum over the whole file, so a
 *    damaged envelope is reported (qu_env_load: PL_EINVAL and a reason),
 *    never delivered half.
 *  - The queue id is 16 characters A-Z 0-9, unique, and appears in every
 *    log line about the entry.  Per-recipient state is kept in the
 *    envelope and rewritten durably (qu_env_save) after each attempt.
 *  - Concurrency: any number of threads and processes may submit; one
 *    holder at a time of an entry's lock (qu_lock) may change or remove it
 *    (the runner while delivering, `newmail queue` commands).
 * Privilege: the service account that owns the store.
 */
#ifndef QU_H
#define QU_H

#include "pl.h"

#define QU_DIR       "_QUEUE"  /* under the store root */
#define QU_ID_LEN    16
#define QU_ADDR_MAX  256       /* RFC 5321 path without <> */
#define QU_XTEXT_MAX 500       /* decoded ORCPT and ENVID */
#define QU_STATUS_MAX 512      /* a sanitized reply or reason */
#define QU_TEXT_MAX  256       /* origin, remote host text */
#define QU_RCPT_MAX  10000     /* recipients of one entry, aliases
                                  expanded: bounds an envelope file */

/* RET= (RFC 3461) */
#define QU_RET_NONE 0
#define QU_RET_FULL 1
#define QU_RET_HDRS 2

/* NOTIFY= bits (RFC 3461); 0: not given (failure and delay implied) */
#define QU_N_NEVER   1
#define QU_N_SUCCESS 2
#define QU_N_FAILURE 4
#define QU_N_DELAY   8

/* BODY= */
#define QU_BODY_NONE 0
#define QU_BODY_7BIT 1
#define QU_BODY_8BIT 2

/* What the entry is, for the bounce rules (qb.h) */
#define QU_K_MAIL   0   /* ordinary mail */
#define QU_K_BOUNCE 1   /* a notification we made, sent from <> */
#define QU_K_DOUBLE 2   /* a failed bounce sent on to the postmaster */

/* Per-recipient state */
#define QU_R_PENDING 0  /* to be tried */
#define QU_R_SENT    1  /* delivered or relayed: done */
#define QU_R_FAILED  2  /* failed for good; a bounce is still owed */
#define QU_R_BOUNCED 3  /* failed and reported (or never reportable) */

typedef struct qu_rcpt {
    char addr[QU_ADDR_MAX + 1];      /* local@domain, the forward path */
    char orcpt[QU_XTEXT_MAX + 1];    /* ORCPT "type;address" or "" */
    int notify;                      /* QU_N_* bits */
    int state;                       /* QU_R_* */
    int attempts;                    /* tries so far */
    int warned;                      /* a delay notice went out */
    pl_i64 last_try;                 /* seconds since 1970; 0: never */
    char status[QU_STATUS_MAX + 1];  /* last result, "451 4.4.1 ..." */
    char remote[QU_TEXT_MAX + 1];    /* host that gave it, or "" */
} qu_rcpt;

typedef struct qu_env {
    char id[QU_ID_LEN + 1];
    int kind;                        /* QU_K_* */
    char from[QU_ADDR_MAX + 1];      /* reverse path; "" is <> */
    char envid[QU_XTEXT_MAX + 1];    /* ENVID or "" */
    int ret;                         /* QU_RET_* */
    int body;                        /* QU_BODY_* */
    int smtputf8;                    /* SMTPUTF8 was given */
    char origin[QU_TEXT_MAX + 1];    /* "smtp 192.0.2.7 (user alice)",
                                        "sendmail uid 1000" (logs, DSN) */
    pl_i64 created;                  /* arrival, seconds since 1970 */
    pl_i64 next_try;                 /* not before; 0: now */
    int hold;                        /* held by the administrator */
    pl_u64 size;                     /* octets of the message file */
    int nrcpt;
    qu_rcpt *rcpt;                   /* nrcpt entries, owned */
} qu_env;

typedef struct qu_queue qu_queue;
typedef struct qu_sub qu_sub;

/* Open the queue in the store root directory, creating _QUEUE (owner-only)
 * when missing. */
int qu_open(pl_dir *store_root, qu_queue **out);
void qu_close(qu_queue *q);

/* Called after every successful commit and qu_kick (the runner uses it to
 * wake up); may be called from any thread.  NULL removes it.  Calls are
 * serialised with qu_set_notify, so once it returns the old fn is not
 * running; fn must not call qu_set_notify or qu_kick itself. */
typedef void (*qu_notify_fn)(void *ctx);
void qu_set_notify(qu_queue *q, qu_notify_fn fn, void *ctx);
void qu_kick(qu_queue *q);

/* Start a submission.  proto supplies kind, from, envid, ret, body,
 * smtputf8, origin; its id, rcpt and counters are ignored.  PL_EINVAL if
 * a field holds CR, LF, NUL or is too long. */
int qu_sub_begin(qu_queue *q, const qu_env *proto, qu_sub **out);

/* Add a recipient (PL_EINVAL as above, or for a NOTIFY set RFC 3461
 * forbids: NEVER with another bit); PL_ERANGE past QU_RCPT_MAX.
 * notify 0: not given; orcpt NULL or "": none. */
int qu_sub_rcpt(qu_sub *s, const char *addr, const char *orcpt,
                int notify);

/* Append message octets: CRLF text, not dot-stuffed. */
int qu_sub_write(qu_sub *s, const void *buf, size_t n);

/* Make the entry durable and visible to the runner; id (QU_ID_LEN + 1
 * bytes) gets its queue id.  At least one recipient is required
 * (PL_EINVAL).  The handle is freed whatever the result. */
int qu_sub_commit(qu_sub *s, char *id);

/* Forget the submission and remove what it wrote; NULL accepted. */
void qu_sub_abort(qu_sub *s);

/* Call cb for each committed entry (order unspecified); a nonzero return
 * stops and is returned. */
typedef int (*qu_id_fn)(void *ctx, const char *id);
int qu_list(qu_queue *q, qu_id_fn cb, void *ctx);

/* Read and validate an entry's envelope.  PL_ENOENT: no such entry;
 * PL_EINVAL: damaged (why gets the reason: bad record, checksum, size of
 * the message file differs). */
int qu_env_load(qu_queue *q, const char *id, qu_env **out, char *why,
                size_t whylen);
void qu_env_free(qu_env *e);

/* Durably replace the entry's envelope with e (same id), e.g. after an
 * attempt.  Recipients may have been appended (alias expansion). */
int qu_env_save(qu_queue *q, const qu_env *e);

/* Open the entry's message file for reading from its start. */
int qu_msg_open(qu_queue *q, const char *id, pl_file **out);

/* Remove an entry (envelope first, then message).  The caller holds its
 * lock. */
int qu_remove(qu_queue *q, const char *id);

/* Take the entry's exclusive lock; timeout_ms as pl_lock_take (0: try). */
int qu_lock(qu_queue *q, const char *id, pl_i32 timeout_ms, pl_lock **out);

/* Remove orphans at least max_age seconds old: message files without an
 * envelope, unfinished envelope rewrites, stale lock files; *removed
 * counts them.  Only while it holds the entry's lock (tried, never
 * waited for), so never a submission or rewrite in progress; an entry
 * with an envelope, damaged or not, is never removed. */
int qu_reap(qu_queue *q, pl_i64 max_age, int *removed);

/* 1 if id is a well-formed queue id. */
int qu_id_check(const char *id);

/* Names for people: a recipient state ("pending", "sent", "failed",
 * "bounced"; "?" for another value) and an entry kind ("mail", "bounce",
 * "double"). */
const char *qu_state_name(int state);
const char *qu_kind_name(int kind);

/* The NOTIFY set as the envelope writes it: "" when not given, "NEVER",
 * or a comma list of SUCCESS, FAILURE, DELAY.  buf holds >= 24 bytes. */
void qu_notify_text(int notify, char *buf, size_t n);

/* Send the entry's envelope file as stored, damaged or not, through out
 * (for `newmail queue show`).  PL_ENOENT: no such entry. */
int qu_env_dump(qu_queue *q, const char *id, pl_out_fn out, void *ctx);

#endif
