/*
 * st.h - the popstore core: mailbox and folder names, crash-safe delivery,
 * the folder interface shared by POP3 and the OpenVMS layer (callable-MAIL
 * like), the POP3 in-use lock, recovery and check/repair, compression at
 * rest.  doc/store-format.md describes the files.
 *
 * Contract: builds only on pl.h, src/util, zlib and OpenSSL.  Every client
 * supplied name passes a whitelist (st_name_*) before any file is opened.
 * Sizes of messages are "CRLF sizes": the octets a POP3 client receives
 * for the message after un-stuffing (every bare CR or LF counted as CRLF,
 * a CRLF added after a last line without one); the file itself holds the
 * message exactly as received.
 * Thread safety: an st_store may be shared by threads; an st_mbox, an
 * st_folder and an st_dlv are used by one thread at a time.
 * Privilege: runs as the service account that owns the store files.
 */
#ifndef ST_H
#define ST_H

#include "pl.h"
#include "st_params.h"

typedef struct st_store st_store;    /* an open store root */
typedef struct st_mbox st_mbox;      /* an open mailbox */
typedef struct st_folder st_folder;  /* a selected folder's snapshot */
typedef struct st_dlv st_dlv;        /* a delivery in progress */

/* Run-time parameters, filled by the caller from configuration. */
typedef struct st_params {
    int compress;          /* store.compress: deflate messages at rest */
    pl_u64 compress_min;   /* compress only messages of at least this many
                              CRLF octets (0 = ST_COMPRESS_MIN_DEFAULT) */
    pl_u64 max_size;       /* refuse larger messages (0 = default max) */
    const char *default_domain; /* domain for bare names; NULL = none */
} st_params;

/* Well-known folders (OpenVMS MAIL). */
#define ST_NEWMAIL     "NEWMAIL"
#define ST_MAIL        "MAIL"
#define ST_WASTEBASKET "WASTEBASKET"

/* Message flags kept in the index. */
#define ST_FL_SEEN  1u    /* read by the user (RETR) */
#define ST_FL_ANSWERED 2u /* replied to (OpenVMS MAIL "replied") */
#define ST_FL_MARKED 4u   /* marked (OpenVMS MAIL MARK) */

/* One message of a snapshot. */
typedef struct st_msginfo {
    const char *id;     /* unique id, 1..39 of A-Z 0-9: the UIDL */
    pl_u64 size;        /* CRLF size (LIST) */
    pl_u64 lines;       /* lines in the CRLF form */
    pl_i64 arrival;     /* seconds since 1970 */
    pl_u32 flags;       /* ST_FL_* */
    int compressed;     /* 1 if stored deflated */
    int gone;           /* moved or deleted by this snapshot's owner */
} st_msginfo;

/* Output callback for streaming: consume n bytes; nonzero stops the stream
 * and is returned by the streaming call. */
typedef int (*st_out_fn)(void *ctx, const void *buf, size_t n);

/* --- store ----------------------------------------------------------- */

/* Open the store root named by the administrator's path spec, creating it
 * if missing.  p is copied (default_domain too). */
int st_store_open(const char *root_spec, const st_params *p, st_store **out);

/* Close (NULL accepted); every mailbox of this store must be closed. */
void st_store_close(st_store *s);

/* --- names (st_name.c) ---------------------------------------------- */

/* Map a mailbox address "local@domain" (len bytes, case-insensitive; a
 * bare local part takes default_domain) to the two directory names dom
 * and user (ST_NAME_BUF bytes each).  PL_EINVAL for anything outside the
 * whitelist (doc/store-format.md), before any file is touched. */
int st_name_mailbox(const char *addr, size_t len, const char *default_domain,
                    char *dom, char *user);

/* Check a folder name (len bytes): 1..39 of A-Z a-z 0-9 _, not reserved
 * (TMP, NEW, CUR).  Writes the canonical upper-case name to canon
 * (ST_NAME_BUF).  PL_EINVAL otherwise. */
int st_name_folder(const char *name, size_t len, char *canon);

/* A new unique id (ST_NAME_BUF bytes): time, node, pid, counter, random
 * bits in A-Z 0-9; unique across processes and nodes sharing a store. */
int st_name_new_id(st_store *s, char *id);

/* PL_OK if id is 1..ST_ID_MAX of A-Z 0-9. */
int st_name_id_check(const char *id);

/* --- delivery (st_deliver.c) ---------------------------------------- */

/* Start a delivery into NEWMAIL of `mailbox` (an address, see
 * st_name_mailbox), creating the mailbox directories when missing.  Never
 * waits for a POP3 session. */
int st_deliver_begin(st_store *s, const char *mailbox, st_dlv **out);

/* Append n bytes of the message as received.  PL_ERANGE once the message
 * exceeds the maximum size (the delivery must then be aborted). */
int st_deliver_write(st_dlv *d, const void *buf, size_t n);

/* Make the message durable in NEWMAIL and free d (also on failure, when the
 * temporary file is removed).  id (ST_NAME_BUF, may be NULL) receives the
 * unique id.  Returns only after file and directory are synced. */
int st_deliver_commit(st_dlv *d, char *id);

/* Drop the delivery and its temporary file; free d (NULL accepted). */
void st_deliver_abort(st_dlv *d);

/* --- mailbox (st_folder.c, st_lock.c) --------------------------------- */

#define ST_OPEN_CREATE 1   /* create the mailbox directories if missing */

/* Open the mailbox of `mailbox` (an address).  PL_ENOENT if it does not
 * exist and ST_OPEN_CREATE is not given. */
int st_mbox_open(st_store *s, const char *mailbox, int flags, st_mbox **out);

/* Close (NULL accepted); releases the in-use lock. */
void st_mbox_close(st_mbox *mb);

/* Take the POP3 in-use lock without waiting: PL_EAGAIN when another
 * session (thread, process, cluster node) holds it.  It vanishes with the
 * holder, so a crash never leaves a stale lock.  Also reaps orphans. */
int st_mbox_lock(st_mbox *mb);

/* Release the in-use lock (no-op when not held). */
void st_mbox_unlock(st_mbox *mb);

/* Messages and CRLF octets in NEWMAIL, from its index. */
int st_mbox_newcount(st_mbox *mb, pl_u32 *count, pl_u64 *octets);

/* CRLF octets in NEWMAIL of mailbox addr, for a quota check: 0 when the
 * mailbox does not exist yet or cannot be read.  Reads the whole index,
 * so callers skip it when no quota applies. */
pl_u64 st_mbox_usage(st_store *s, const char *addr);

/* Call cb(ctx, folder name) for each folder of the mailbox. */
typedef int (*st_name_fn)(void *ctx, const char *name);
int st_mbox_folders(st_mbox *mb, st_name_fn cb, void *ctx);

/* Remove every message in WASTEBASKET; *removed (may be NULL) counts. */
int st_mbox_purge(st_mbox *mb, pl_u32 *removed);

/* --- folders (st_folder.c) -------------------------------------------- */

/* Select a folder (canonicalised with st_name_folder; created if missing)
 * and take a snapshot of its messages in arrival order.  The index is
 * reconciled with the directory (and rebuilt when missing or damaged). */
int st_folder_select(st_mbox *mb, const char *name, st_folder **out);

/* Messages in the snapshot (gone ones included, numbering never changes). */
pl_u32 st_folder_count(const st_folder *f);

/* Facts of message i (0-based); PL_ENOENT past the end.  The id pointer
 * lives as long as the snapshot. */
int st_folder_info(const st_folder *f, pl_u32 i, st_msginfo *out);

/* Count and CRLF octets of the messages not gone (STAT). */
void st_folder_totals(const st_folder *f, pl_u32 *count, pl_u64 *octets);

/* Stream message i exactly as received (inflated if compressed).
 * PL_EIO if the file is corrupt or does not match its recorded size. */
int st_msg_stream(st_folder *f, pl_u32 i, st_out_fn out, void *ctx);

/* Stream the header, the blank line and the first nlines body lines of
 * message i (TOP); a message without a blank line is sent whole. */
int st_msg_top(st_folder *f, pl_u32 i, pl_u64 nlines, st_out_fn out,
               void *ctx);

/* Move message i to folder `dest` (same file name: the id is stable); it
 * becomes gone in this snapshot.  Index updates are made by
 * st_folder_commit; PL_EINVAL for a bad name or dest == this folder. */
int st_msg_move(st_folder *f, pl_u32 i, const char *dest);

/* Move message i to WASTEBASKET (in WASTEBASKET: remove it). */
int st_msg_delete(st_folder *f, pl_u32 i);

/* Replace the flags of message i (kept by st_folder_commit). */
int st_msg_set_flags(st_folder *f, pl_u32 i, pl_u32 flags);

/* Make this snapshot's moves durable (directories synced) and record them
 * and flag changes in the indexes.  Called by st_folder_close too. */
int st_folder_commit(st_folder *f);

/* Commit and free (NULL accepted). */
void st_folder_close(st_folder *f);

/* --- recovery (st_recover.c) ------------------------------------------- */

/* Remove temporary delivery files not modified for max_age seconds
 * (ST_TMP_ORPHAN_SECS normally); *reaped (may be NULL) counts them. */
int st_recover_reap(st_mbox *mb, pl_i64 max_age, pl_u32 *reaped);

/* Rebuild folder `name`'s index from its message files (no body read). */
int st_recover_rebuild(st_mbox *mb, const char *name);

/* Problem report callback: one line of text per problem. */
typedef void (*st_report_fn)(void *ctx, const char *line);

/* Verify every folder: ids, names, sizes and line counts against the
 * contents (inflating compressed files), index against files.  Reports
 * each problem; with repair, fixes what can be fixed (renames files to
 * their true size, rebuilds indexes, sets unreadable files aside as
 * <ID>.BAD).  *problems (may be NULL) counts problems found. */
int st_recover_check(st_mbox *mb, int repair, st_report_fn cb, void *ctx,
                     pl_u32 *problems);

#endif
