/*
 * sc_int.h - the pieces of the SMTP client that the session (sc_client.c)
 * is built from and that the unit tests drive on their own: the reply
 * reader (RFC 5321 4.2, RFC 3463 enhanced codes), the EHLO keyword parser,
 * the dot-stuffing writer (RFC 5321 4.5.2) and the xtext encoder (RFC 3461
 * 4).
 *
 * Contract: every parser is bounded (SC_REPLY_LINES lines of at most
 * SC_LINE_MAX octets per reply; texts cut to SC_STATUS_MAX) and turns
 * whatever the peer sent into printable ASCII before anyone sees it.
 * Privilege: none.
 */
#ifndef SC_INT_H
#define SC_INT_H

#include "sc.h"
#include "lr_read.h"

/* RFC 5321 4.5.3.1.5 allows 512 octets per reply line with its CRLF;
 * servers exceed it (long AUTH lines, verbose policy texts), so like
 * Postfix's line_length_limit we accept up to 2048 and call anything
 * longer a protocol error. */
#define SC_LINE_MAX    2048
/* An EHLO reply has a dozen lines; a hundred is generous and still bounds
 * the time and memory a hostile peer can make us spend on one reply. */
#define SC_REPLY_LINES 100
/* RFC 3463 2: class "." subject (1-3 digits) "." detail (1-3 digits). */
#define SC_ENH_MAX     12

/* sc_ext.flags: the EHLO keywords we act on */
#define SC_X_PIPELINING 0x01   /* RFC 2920 */
#define SC_X_SIZE       0x02   /* RFC 1870 */
#define SC_X_8BITMIME   0x04   /* RFC 6152 */
#define SC_X_STARTTLS   0x08   /* RFC 3207 */
#define SC_X_AUTH       0x10   /* RFC 4954 */
#define SC_X_DSN        0x20   /* RFC 3461 */
#define SC_X_SMTPUTF8   0x40   /* RFC 6531 */
#define SC_X_ENHANCED   0x80   /* RFC 2034 ENHANCEDSTATUSCODES */

/* sc_ext.auth: SASL mechanisms we can use */
#define SC_M_PLAIN 1
#define SC_M_LOGIN 2

typedef struct sc_ext {
    int flags;        /* SC_X_* */
    pl_u64 size;      /* SIZE limit in octets; 0: none announced */
    int auth;         /* SC_M_* offered by AUTH (or the old AUTH=) */
} sc_ext;

typedef struct sc_reply {
    int code;                   /* 200..559 */
    int nlines;
    char enh[SC_ENH_MAX];       /* "5.1.1", or "" when the first line has
                                   none (or one of another class) */
    char text[SC_STATUS_MAX];   /* "550 5.1.1 first; second": code, the
                                   enhanced code once, then each line's
                                   text joined with "; ", sanitized */
} sc_reply;

/* Read one complete reply from r (whose max line must be SC_LINE_MAX),
 * and, when ext is not NULL, the EHLO keywords of its lines after the
 * first into *ext (cleared first).  PL_OK; PL_EINVAL for a malformed line
 * (no valid code, a continuation with another code, a bad separator);
 * PL_ERANGE for a line over SC_LINE_MAX or more than SC_REPLY_LINES
 * lines; otherwise the reader's error (PL_ETIMEDOUT, PL_EOF, ...). */
int sc_reply_read(lr_reader *r, sc_reply *rp, sc_ext *ext);

/* Apply one EHLO line's text (after "250-" / "250 ") to *ext; unknown
 * keywords and malformed parameters are ignored (a bad SIZE value counts
 * as no SIZE at all). */
void sc_ehlo_line(sc_ext *ext, const char *s, size_t n);

/* Append n octets of s to dst (size dn, NUL-terminated) as printable
 * ASCII: tab becomes a space, other control and 8-bit octets '?'; cut at
 * dn - 1.  Returns dst. */
char *sc_sanitize_cat(char *dst, size_t dn, const char *s, size_t n);

/* The dot-stuffing writer: message text in, SMTP DATA octets out. */
typedef struct sc_dot {
    int bol;          /* the next octet starts a line */
    int cr;           /* a CR is held back: is it followed by LF? */
} sc_dot;

/* Octets sc_dot_put may write for n input octets: each octet gives at most
 * two ("." doubled at a line start, a bare LF as CR LF), and a CR held
 * from the previous call two more. */
#define SC_DOT_OUT(n) (2 * (n) + 2)
/* Octets sc_dot_end may write: CR LF "." CR LF. */
#define SC_DOT_END_MAX 5

void sc_dot_init(sc_dot *d);

/* Stuff n octets of in into out (room for SC_DOT_OUT(n)); *outlen gets the
 * count.  Line ends go out as CR LF whatever they were (CR LF, bare LF,
 * bare CR), so no receiver can find a different end of data (the SMTP
 * smuggling lesson); a "." that starts a line is doubled. */
void sc_dot_put(sc_dot *d, const void *in, size_t n, void *out,
                size_t *outlen);

/* The end: CR LF first unless the data ended with a line end, then
 * ".\r\n"; out has room for SC_DOT_END_MAX. */
void sc_dot_end(sc_dot *d, void *out, size_t *outlen);

/* xtext of n octets of s (RFC 3461 4: "+" HEXHEX for "+", "=", controls,
 * space and 8-bit octets) into out of size on.  PL_ERANGE if it does not
 * fit (out then holds ""). */
int sc_xtext(const char *s, size_t n, char *out, size_t on);

#endif
