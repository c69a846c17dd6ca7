/*
 * ms.h - message text: the RFC 5322 header section reader and the
 * address-list parser.
 *
 * Contract
 *  - The header reader is a push parser: bytes go in as they come (whole,
 *    in pieces, one at a time: the result is the same).  Lines end in LF
 *    or CRLF; continuation lines are unfolded; the section ends at the
 *    empty line, at the first line that is not a field (as Postfix does:
 *    that line starts the body and is handed back), or at the end of the
 *    input.  NUL and a bare CR are errors, never guessed at.  Field count,
 *    field size and section size are bounded (PL_ERANGE).
 *  - The address parser takes an unfolded address-list field value
 *    (RFC 5322 3.4 and the obsolete forms of 4.4): display names, quoted
 *    strings, comments (nested), angle addresses, groups, source routes
 *    (dropped), bare addresses.  It returns addr-specs only when the whole
 *    list is valid; otherwise a message saying what is wrong and where.
 * Privilege: none.
 */
#ifndef MS_H
#define MS_H

#include "pl.h"

/* --- the header section (ms_hdr.c) ------------------------------------ */

/* Postfix's header_count-like bound: a real message has a few dozen. */
#define MS_HDR_FIELDS_MAX  1000
/* Postfix header_size_limit: one field, folded lines included. */
#define MS_HDR_FIELD_MAX   102400
/* The whole header section; more is an attack, not mail. */
#define MS_HDR_SECTION_MAX (1024L * 1024L)
/* Room for an error message of ms_hdr_error / ms_addr_list. */
#define MS_ERR_MAX         160

/* ms_hdr_feed result besides PL_OK (more wanted) and errors */
#define MS_HDR_DONE 1

/* How the section ended (ms_hdr_end) */
#define MS_END_NONE  0   /* not yet */
#define MS_END_BLANK 1   /* the empty line (consumed) */
#define MS_END_BODY  2   /* a line that is not a field: ms_hdr_pending */
#define MS_END_EOF   3   /* the input ended (ms_hdr_finish) */

typedef struct ms_field {
    const char *name;    /* as written, blanks before the colon removed */
    const char *value;   /* unfolded, leading and trailing blanks removed */
    const char *raw;     /* the field as read, every line ending in CRLF */
    size_t raw_len;
} ms_field;

typedef struct ms_hdr ms_hdr;

/* A new, empty reader (PL_ENOMEM). */
int ms_hdr_new(ms_hdr **out);
void ms_hdr_free(ms_hdr *h);

/* Read n more bytes.  PL_OK: all taken, more wanted; MS_HDR_DONE: the
 * section ended and *used bytes were taken (the rest is body); PL_EINVAL
 * (NUL, bare CR) or PL_ERANGE (a bound) with ms_hdr_error set. */
int ms_hdr_feed(ms_hdr *h, const void *buf, size_t n, size_t *used);

/* The input ended: an unterminated last line counts as a line.  PL_OK
 * (the section ended, MS_END_EOF unless it had ended before) or an error
 * as ms_hdr_feed. */
int ms_hdr_finish(ms_hdr *h);

/* MS_END_* */
int ms_hdr_end(const ms_hdr *h);

/* With MS_END_BODY, the line that started the body, as read (with its
 * LF or CRLF when it had one); else NULL and *len 0. */
const char *ms_hdr_pending(const ms_hdr *h, size_t *len);

/* Fields in the order read; ms_hdr_find gives the index of the first
 * field at or after `from` named `name` (any case), or -1. */
int ms_hdr_count(const ms_hdr *h);
const ms_field *ms_hdr_field(const ms_hdr *h, int i);
int ms_hdr_find(const ms_hdr *h, const char *name, int from);

/* What went wrong ("line 3: NUL byte in the header"); "" if nothing. */
const char *ms_hdr_error(const ms_hdr *h);

/* --- address lists (ms_addr.c) ----------------------------------------- */

/* An addr-spec: RFC 5321 allows 64 + 1 + 255 octets; headers get a little
 * slack for comments' sake but not more. */
#define MS_ADDR_MAX        320
/* Addresses in one list (a To: with more is not mail we relay). */
#define MS_ADDR_LIST_MAX   1000
/* Nested comments "(a (b (c)))": deeper is an attack. */
#define MS_COMMENT_DEPTH   32

/* ms_addr_list flags */
#define MS_A_BARE 1   /* accept a local part without @domain ("alice") */

/* Receives each addr-spec ("local@domain", quoting as written, comments
 * and route removed) with its display name ("" if none), in order; a
 * nonzero return stops the walk and is returned. */
typedef int (*ms_addr_fn)(void *ctx, const char *addr, const char *display);

/* Parse the address list s (n bytes).  PL_OK after cb saw every address
 * (an empty list and empty groups give none); PL_EINVAL with err set and
 * no call of cb when any part is malformed; PL_ENOMEM. */
int ms_addr_list(const char *s, size_t n, int flags, ms_addr_fn cb,
                 void *ctx, char *err, size_t errlen);

#endif
