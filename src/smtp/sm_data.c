/*
 * sm_data.c - the DATA byte machine (RFC 5321 4.1.1.4, 4.5.2): finds the
 * end of the message, undoes dot-stuffing, applies the bare CR / bare LF
 * policy and the size, line and header limits, counts Received fields.
 *
 * The end of data is CR LF "." CR LF and nothing else: LF.CRLF, CRLF.LF,
 * LF.LF, CR.CR, a NUL beside the dot never end it (the SMTP smuggling
 * lesson, CVE-2023-51764 and friends).  The message starts as if after a
 * CRLF (so ".\r\n" at once is an empty message).  A bare LF or bare CR is
 * either a reason to reject the whole message (SM_BARE_REJECT: one 554
 * after the end of data) or is stored as CRLF (SM_BARE_NORMALIZE); in
 * neither mode does it start a line for dot handling, so text behind it is
 * stored literally.  A dot is removed only when it starts a line after a
 * real CRLF and other characters follow it on the line.
 * After the first error the machine stores nothing more but still finds
 * the end, so the reply comes after the end of data, never in the middle.
 * Limits: memory is this structure; nothing grows with the input.
 * Privilege: none.
 */
#include <string.h>
#include "sm_int.h"

#define D_BOL   0   /* after CRLF (or at the start) */
#define D_DOT   1   /* BOL "." */
#define D_DOTCR 2   /* BOL "." CR */
#define D_TEXT  3   /* inside a line */
#define D_CR    4   /* inside a line, CR seen */
#define D_END   5

#define H_LSTART 0  /* start of a header line */
#define H_NAME   1
#define H_VALUE  2
#define H_BODY   3

void sm_data_init(sm_data *d, int mode, pl_u64 max_size, pl_u64 max_line,
                  unsigned max_hdrs, pl_u64 max_hdr_size, sm_sink_fn sink,
                  void *ctx)
{
    memset(d, 0, sizeof *d);
    d->st = D_BOL;
    d->mode = mode;
    d->max_size = max_size;
    d->max_line = max_line;
    d->max_hdrs = max_hdrs;
    d->max_hdr_size = max_hdr_size;
    d->sink = sink;
    d->sink_ctx = ctx;
    d->hstate = H_LSTART;
}

static void sm_fail(sm_data *d, int err)
{
    if (d->err == SM_D_OK)
        d->err = err;
}

static void sm_flush(sm_data *d)
{
    if (d->olen > 0 && d->err == SM_D_OK && d->sink != NULL &&
        d->sink(d->sink_ctx, d->obuf, d->olen) != 0)
        sm_fail(d, SM_D_STORE);
    d->olen = 0;
}

/* The header section ends at the first empty line or at the first line
 * that is not a header field. */
static void sm_hdr_byte(sm_data *d, int c)
{
    if (c != '\r' && c != '\n' && d->hstate != H_LSTART)
        d->hdr_size++;
    switch (d->hstate) {
    case H_LSTART:
        if (c == '\r')
            return;
        if (c == '\n') {
            d->hstate = H_BODY;
            return;
        }
        if ((c == ' ' || c == '\t') && d->hdrs > 0) {
            d->hdr_size++;
            d->hstate = H_VALUE;
            break;
        }
        d->hdrs++;
        if (d->max_hdrs != 0 && d->hdrs > d->max_hdrs)
            sm_fail(d, SM_D_HDR);
        d->hdr_size = 1;
        d->hn = 0;
        d->hstate = H_NAME;
        /* c is the first character of the name */
        /* fallthrough */
    case H_NAME:
        if (c == ':') {
            if (d->hn == 8 && memcmp(d->hname, "received", 8) == 0 &&
                ++d->received > SM_MAX_HOPS)
                sm_fail(d, SM_D_LOOP);
            d->hstate = H_VALUE;
        } else if (c > 32 && c < 127) {
            if (d->hn < sizeof d->hname)
                d->hname[d->hn] = (char)((c >= 'A' && c <= 'Z')
                                         ? c + 32 : c);
            d->hn++;
        } else {
            d->hstate = H_BODY;   /* not a field: the body has begun */
            return;
        }
        break;
    default:
        if (c == '\n')
            d->hstate = H_LSTART;
        break;
    }
    if (d->max_hdr_size != 0 && d->hdr_size > d->max_hdr_size)
        sm_fail(d, SM_D_HDR);
}

static void sm_put(sm_data *d, const char *p, size_t n)
{
    size_t i;

    if (d->hstate != H_BODY)
        for (i = 0; i < n && d->hstate != H_BODY; i++)
            sm_hdr_byte(d, (unsigned char)p[i]);
    if (d->err != SM_D_OK)
        return;
    if (d->max_size != 0 && d->size + n > d->max_size) {
        sm_fail(d, SM_D_SIZE);
        return;
    }
    d->size += n;
    for (i = 0; i < n; i++) {
        if (d->olen == sizeof d->obuf)
            sm_flush(d);
        d->obuf[d->olen++] = p[i];
    }
}

static void sm_text(sm_data *d, char c)
{
    d->line++;
    if (d->max_line != 0 && d->line > d->max_line)
        sm_fail(d, SM_D_LINE);
    sm_put(d, &c, 1);
}

/* A bare CR or LF ends the line it is in, but never starts a line that
 * counts for dot handling. */
static void sm_bare(sm_data *d)
{
    if (d->mode == SM_BARE_REJECT) {
        sm_fail(d, SM_D_BARE);
        return;
    }
    sm_put(d, "\r\n", 2);
    d->line = 0;
}

int sm_data_feed(sm_data *d, const char *buf, size_t n, size_t *used)
{
    size_t i;
    char c;

    for (i = 0; i < n; i++) {
        c = buf[i];
        switch (d->st) {
        case D_BOL:
            if (c == '.') {
                d->st = D_DOT;
                continue;
            }
            break;
        case D_DOT:
            if (c == '\r') {
                d->st = D_DOTCR;
                continue;
            }
            if (c == '\n') {
                /* "." then a bare LF: the dot stays, literally */
                sm_text(d, '.');
                sm_bare(d);
                d->st = D_TEXT;
                continue;
            }
            break;   /* dot-unstuffing: the dot is dropped */
        case D_DOTCR:
            if (c == '\n') {
                d->st = D_END;
                sm_flush(d);
                *used = i + 1;
                return 1;
            }
            sm_text(d, '.');
            sm_bare(d);
            break;
        case D_CR:
            if (c == '\n') {
                sm_put(d, "\r\n", 2);
                d->line = 0;
                d->st = D_BOL;
                continue;
            }
            sm_bare(d);
            break;
        case D_END:
            *used = i;
            return 1;
        default:
            break;
        }
        /* c is an ordinary character of a line (state D_TEXT) */
        d->st = D_TEXT;
        if (c == '\r')
            d->st = D_CR;
        else if (c == '\n')
            sm_bare(d);
        else
            sm_text(d, c);
    }
    *used = n;
    return 0;
}

const char *sm_data_reply(int err)
{
    switch (err) {
    case SM_D_OK:
        return "250 2.0.0 Ok";
    case SM_D_BARE:
        return "554 5.6.0 Message refused: bare CR or LF in message "
               "(lines must end in CRLF)";
    case SM_D_SIZE:
        return "552 5.3.4 Message size exceeds fixed maximum message size";
    case SM_D_LINE:
        return "552 5.3.4 Message line too long";
    case SM_D_HDR:
        return "552 5.3.4 Message header too large or too many headers";
    case SM_D_LOOP:
        return "554 5.4.6 Too many Received headers: mail loop";
    default:
        return "451 4.3.0 Local error while storing the message";
    }
}
