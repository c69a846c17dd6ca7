/*
 * qb_dsn.c - delivery status notifications: who is told (the rules of
 * qb.h), and the report itself, an RFC 6522 multipart/report of
 * report-type delivery-status (RFC 3464) with three parts:
 *   1. what happened, per recipient, in plain English (as Postfix words
 *      its bounces);
 *   2. message/delivery-status: Reporting-MTA, Original-Envelope-Id,
 *      Arrival-Date, then per recipient Original-Recipient,
 *      Final-Recipient, Action, Status, Remote-MTA, Diagnostic-Code,
 *      Last-Attempt-Date, Will-Retry-Until;
 *   3. the returned content: message/rfc822 (the whole message, for a
 *      failure with RET=FULL or no RET when it fits size_limit) or
 *      text/rfc822-headers (its header section).
 * An SMTPUTF8 message gets the RFC 6533 types message/global-delivery-
 * status, message/global and message/global-headers.  The report is
 * submitted to the queue from <> as QU_K_BOUNCE (to the sender) or
 * QU_K_DOUBLE (a failed bounce, to the postmaster), with
 * Auto-Submitted: auto-replied (RFC 3834) so that no robot answers it.
 * Limits: returned content at most size_limit octets (a header section
 * longer than that is cut at a line end); lines folded at QB_FOLD.
 * Privilege: the service account (reads and writes the queue).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qb.h"
#include "ut_buf.h"
#include "ut_code.h"
#include "ut_date.h"
#include "ut_log.h"
#include "ut_str.h"

#define QB_FOLD        78    /* RFC 5322 2.1.1: SHOULD be at most 78 */
#define QB_READ_BUF    8192
#define QB_DATE_MAX    40
#define QB_BOUNDARY_TRIES 8  /* a random boundary found in the content */
/* The notification beyond the returned content: a few lines per
 * recipient; bounds the buffer with the content. */
#define QB_TEXT_MAX    (4L * 1024L * 1024L)

/* ---- who is told ------------------------------------------------------ */

/* The NOTIFY bit that lets a report of `kind` through. */
static int qb_notify_bit(int kind)
{
    return kind == QB_FAILED ? QU_N_FAILURE
         : kind == QB_DELAYED ? QU_N_DELAY : QU_N_SUCCESS;
}

/* 1 if recipient r wants a report of `kind` (RFC 3461 4.1: without
 * NOTIFY, failure and delay are reported, success is not). */
static int qb_wanted(const qu_rcpt *r, int kind)
{
    if (r->notify & QU_N_NEVER)
        return 0;
    if (r->notify == 0)
        return kind != QB_RELAYED;
    return (r->notify & qb_notify_bit(kind)) != 0;
}

/* The address to tell and the kind of the new entry; 0 when nobody. */
static int qb_whom(const qu_env *e, int kind, const qb_opts *o, char *to,
                   int *newkind)
{
    if (e->kind == QU_K_DOUBLE)
        return 0;                      /* only logged */
    if (e->kind == QU_K_BOUNCE) {
        /* a failed notification goes to the postmaster, once */
        if (kind != QB_FAILED || o->postmaster == NULL ||
            o->postmaster[0] == '\0')
            return 0;
        (void)ut_strlcpy(to, o->postmaster, QU_ADDR_MAX + 1);
        if (strchr(to, '@') == NULL &&
            (ut_strlcat(to, "@", QU_ADDR_MAX + 1) != PL_OK ||
             ut_strlcat(to, o->reporting_mta, QU_ADDR_MAX + 1) != PL_OK))
            return 0;
        *newkind = QU_K_DOUBLE;
        return 1;
    }
    if (e->from[0] == '\0')
        return 0;                      /* the null sender: never */
    (void)ut_strlcpy(to, e->from, QU_ADDR_MAX + 1);
    *newkind = QU_K_BOUNCE;
    return 1;
}

/* ---- text helpers ----------------------------------------------------- */

/* Append one header or DSN field, folded before QB_FOLD at blanks (a
 * word longer than a line stays whole: 998 is the hard limit, and every
 * envelope text is shorter), ending in CRLF.  Runs of blanks become
 * one. */
static int qb_field(ut_buf *b, const char *name, const char *value)
{
    size_t first = strlen(name) + 1, col = first, i = 0, we;
    size_t len = strlen(value);
    int rc;

    rc = ut_buf_addf(b, "%s:", name);
    while (rc == PL_OK && i < len) {
        while (i < len && value[i] == ' ')
            i++;
        for (we = i; we < len && value[we] != ' '; we++)
            ;
        if (we == i)
            break;
        if (col > first && col + 1 + (we - i) > QB_FOLD) {
            rc = ut_buf_adds(b, "\r\n ");
            col = 1;
        } else {
            rc = ut_buf_addc(b, ' ');
            col++;
        }
        if (rc == PL_OK)
            rc = ut_buf_add(b, value + i, we - i);
        col += we - i;
        i = we;
    }
    return rc == PL_OK ? ut_buf_adds(b, "\r\n") : rc;
}

/* Append plain text wrapped at QB_FOLD, continuation lines indented by
 * `indent` blanks, ending in CRLF. */
static int qb_para(ut_buf *b, const char *text, size_t indent)
{
    size_t col = 0, i = 0, len = strlen(text), word;
    int rc = PL_OK;

    while (rc == PL_OK && i < len) {
        while (i < len && text[i] == ' ')
            i++;
        for (word = i; word < len && text[word] != ' '; word++)
            ;
        if (word == i)
            break;
        if (col > 0 && col + 1 + (word - i) > QB_FOLD) {
            rc = ut_buf_adds(b, "\r\n");
            col = 0;
            for (; rc == PL_OK && col < indent; col++)
                rc = ut_buf_addc(b, ' ');
        } else if (col > 0) {
            rc = ut_buf_addc(b, ' ');
            col++;
        }
        if (rc == PL_OK)
            rc = ut_buf_add(b, text + i, word - i);
        col += word - i;
        i = word;
    }
    return rc == PL_OK ? ut_buf_adds(b, "\r\n") : rc;
}

static void qb_date(pl_i64 t, char *buf)
{
    pl_i32 off = 0;

    if (pl_time_utc_offset(t, &off) != PL_OK)
        off = 0;
    if (ut_date_rfc5322(t, off, buf, QB_DATE_MAX) != PL_OK)
        (void)ut_date_rfc5322(t, 0, buf, QB_DATE_MAX);
}

static int qb_has_8bit(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if ((unsigned char)p[i] >= 0x80)
            return 1;
    }
    return 0;
}

static int qb_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* The enhanced status code (RFC 3463) of a status text such as
 * "550 5.1.1 <b@x>: no such user" or "5.7.1 refused" into code (at
 * least 12 bytes); 0 if there is none. */
static int qb_status_code(const char *s, char *code, size_t n)
{
    size_t i = 0, k, parts;

    if (qb_digit(s[0]) && qb_digit(s[1]) && qb_digit(s[2]) &&
        (s[3] == ' ' || s[3] == '-'))
        i = 4;
    if (!(s[i] == '2' || s[i] == '4' || s[i] == '5') || s[i + 1] != '.')
        return 0;
    k = i + 2;
    for (parts = 0; parts < 2; parts++) {
        size_t d = 0;

        while (qb_digit(s[k]) && d < 4) {
            k++;
            d++;
        }
        if (d == 0 || d > 3)
            return 0;
        if (parts == 0) {
            if (s[k] != '.')
                return 0;
            k++;
        }
    }
    if (s[k] != '\0' && s[k] != ' ')
        return 0;
    if (k - i >= n)
        return 0;
    memcpy(code, s + i, k - i);
    code[k - i] = '\0';
    return 1;
}

/* The host of a remote text "mx1.example[192.0.2.1]:25" -> mx1.example */
static void qb_remote_host(const char *remote, char *host, size_t n)
{
    size_t len = strcspn(remote, "[: ");

    if (len == 0)
        len = strcspn(remote, " ");
    if (len >= n)
        len = n - 1;
    memcpy(host, remote, len);
    host[len] = '\0';
}

/* ---- the three parts ------------------------------------------------- */

typedef struct qb_doc {
    const qu_env *e;
    const int *idx;      /* the recipients reported (already filtered) */
    int n;
    int kind;            /* QB_* */
    int double_bounce;   /* the new entry is QU_K_DOUBLE */
    const qb_opts *o;
    ut_buf content;      /* the returned content */
    int headers_only;    /* content is the header section */
    int have_content;    /* 0: the message could not be read */
    int cut;             /* the header section was cut at size_limit */
} qb_doc;

static const char *qb_action(const qb_doc *d, const qu_rcpt *r)
{
    if (d->kind == QB_FAILED)
        return "failed";
    if (d->kind == QB_DELAYED)
        return "delayed";
    return r->remote[0] != '\0' ? "relayed" : "delivered";
}

static int qb_human_intro(const qb_doc *d, ut_buf *b)
{
    const char *pm = d->o->postmaster != NULL && d->o->postmaster[0]
                     ? d->o->postmaster : "postmaster";
    char until[QB_DATE_MAX];
    int rc;

    rc = ut_buf_addf(b, "This is the mail system at host %s.\r\n\r\n",
                     d->o->reporting_mta);
    if (rc != PL_OK)
        return rc;
    if (d->double_bounce) {
        rc = ut_buf_addf(b, "A delivery status notification (queue id %s) "
                         "for <%s> could not\r\nbe delivered.  It is "
                         "returned to you, the postmaster, below.\r\n",
                         d->e->id, d->e->rcpt[d->idx[0]].addr);
    } else if (d->kind == QB_FAILED) {
        rc = ut_buf_addf(b, "I'm sorry to have to inform you that your "
                         "message could not\r\nbe delivered to one or more "
                         "recipients. %s\r\n\r\nFor further assistance, "
                         "please send mail to %s.\r\n\r\nIf you do so, "
                         "please include this problem report. You can\r\n"
                         "delete your own text from the attached returned "
                         "message.\r\n",
                         d->headers_only ? "Its header is attached below."
                         : "It's attached below.", pm);
    } else if (d->kind == QB_DELAYED) {
        rc = ut_buf_adds(b, "############################################"
                         "########################\r\n# THIS IS A WARNING "
                         "ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. "
                         "#\r\n#############################################"
                         "#######################\r\n\r\nYour message "
                         "could not be delivered yet to the recipients "
                         "below.\r\n");
        if (rc == PL_OK && d->o->lifetime > 0) {
            qb_date(d->e->created + d->o->lifetime, until);
            rc = ut_buf_addf(b, "The mail system will keep trying until "
                             "%s.\r\n", until);
        }
    } else {
        rc = ut_buf_adds(b, "Your message was successfully delivered to "
                         "the destination(s)\r\nlisted below. If the "
                         "message was delivered to a mailbox you will\r\n"
                         "receive no further notifications. Otherwise you "
                         "may still receive\r\nnotifications of mail "
                         "delivery errors from other systems.\r\n");
    }
    if (rc == PL_OK)
        rc = ut_buf_adds(b, "\r\n                   The mail system\r\n");
    return rc;
}

/* Part 1: what happened, one paragraph per recipient. */
static int qb_human(const qb_doc *d, ut_buf *b)
{
    ut_buf line;
    char host[QU_TEXT_MAX + 1];
    int i, rc;

    rc = qb_human_intro(d, b);
    ut_buf_init(&line, 0);
    for (i = 0; rc == PL_OK && i < d->n; i++) {
        const qu_rcpt *r = &d->e->rcpt[d->idx[i]];

        ut_buf_clear(&line);
        rc = ut_buf_addf(&line, "<%s>:", r->addr);
        if (rc == PL_OK && r->remote[0] != '\0') {
            qb_remote_host(r->remote, host, sizeof host);
            rc = ut_buf_addf(&line, " host %s said:", host);
        }
        if (rc == PL_OK)
            rc = ut_buf_addf(&line, " %s", r->status[0] != '\0' ? r->status
                             : d->kind == QB_RELAYED ? "delivery successful"
                             : d->kind == QB_DELAYED ? "delivery deferred"
                             : "delivery failed");
        if (rc == PL_OK)
            rc = ut_buf_adds(b, "\r\n");
        if (rc == PL_OK)
            rc = qb_para(b, ut_buf_str(&line), 4);
    }
    ut_buf_free(&line);
    return rc;
}

/* Part 2, per recipient (RFC 3464 2.3). */
static int qb_status_rcpt(const qb_doc *d, const qu_rcpt *r, ut_buf *b)
{
    char code[16], host[QU_TEXT_MAX + 1], date[QB_DATE_MAX];
    const char *semi;
    ut_buf v;
    int rc = PL_OK;

    ut_buf_init(&v, 0);
    semi = strchr(r->orcpt, ';');
    if (r->orcpt[0] != '\0' && semi != NULL) {
        rc = ut_buf_add(&v, r->orcpt, (size_t)(semi - r->orcpt));
        if (rc == PL_OK)
            rc = ut_buf_addf(&v, "; %s", semi + 1);
        if (rc == PL_OK)
            rc = qb_field(b, "Original-Recipient", ut_buf_str(&v));
    }
    ut_buf_clear(&v);
    if (rc == PL_OK)
        rc = ut_buf_addf(&v, "%s; %s", qb_has_8bit(r->addr, strlen(r->addr))
                         ? "utf-8" : "rfc822", r->addr);   /* RFC 6533 */
    if (rc == PL_OK)
        rc = qb_field(b, "Final-Recipient", ut_buf_str(&v));
    if (rc == PL_OK)
        rc = qb_field(b, "Action", qb_action(d, r));
    if (!qb_status_code(r->status, code, sizeof code))
        (void)ut_strlcpy(code, d->kind == QB_FAILED ? "5.0.0"
                         : d->kind == QB_DELAYED ? "4.0.0" : "2.0.0",
                         sizeof code);
    if (rc == PL_OK)
        rc = qb_field(b, "Status", code);
    if (rc == PL_OK && r->remote[0] != '\0') {
        qb_remote_host(r->remote, host, sizeof host);
        ut_buf_clear(&v);
        rc = ut_buf_addf(&v, "dns; %s", host);
        if (rc == PL_OK)
            rc = qb_field(b, "Remote-MTA", ut_buf_str(&v));
    }
    if (rc == PL_OK && r->status[0] != '\0') {
        ut_buf_clear(&v);
        /* an SMTP reply ("550 ...") is smtp; a local reason is ours */
        rc = ut_buf_addf(&v, "%s; %s", qb_digit(r->status[0]) &&
                         qb_digit(r->status[1]) && qb_digit(r->status[2])
                         ? "smtp" : "X-newmail", r->status);
        if (rc == PL_OK)
            rc = qb_field(b, "Diagnostic-Code", ut_buf_str(&v));
    }
    if (rc == PL_OK && r->last_try > 0) {
        qb_date(r->last_try, date);
        rc = qb_field(b, "Last-Attempt-Date", date);
    }
    if (rc == PL_OK && d->kind == QB_DELAYED && d->o->lifetime > 0) {
        qb_date(d->e->created + d->o->lifetime, date);
        rc = qb_field(b, "Will-Retry-Until", date);
    }
    ut_buf_free(&v);
    return rc;
}

/* Part 2: message/delivery-status (RFC 3464 2.1, 2.2, 2.3). */
static int qb_status(const qb_doc *d, ut_buf *b)
{
    char date[QB_DATE_MAX];
    ut_buf v;
    int i, rc;

    ut_buf_init(&v, 0);
    rc = ut_buf_addf(&v, "dns; %s", d->o->reporting_mta);
    if (rc == PL_OK)
        rc = qb_field(b, "Reporting-MTA", ut_buf_str(&v));
    if (rc == PL_OK && d->e->envid[0] != '\0')
        rc = qb_field(b, "Original-Envelope-Id", d->e->envid);
    qb_date(d->e->created, date);
    if (rc == PL_OK)
        rc = qb_field(b, "Arrival-Date", date);
    for (i = 0; rc == PL_OK && i < d->n; i++) {
        rc = ut_buf_adds(b, "\r\n");
        if (rc == PL_OK)
            rc = qb_status_rcpt(d, &d->e->rcpt[d->idx[i]], b);
    }
    ut_buf_free(&v);
    return rc;
}

/* Part 3: read the message (all of it, or its header section), at most
 * size_limit octets. */
static int qb_content(qu_queue *q, qb_doc *d)
{
    pl_u64 limit = d->o->size_limit;
    char *buf;
    pl_file *f = NULL;
    size_t got, k;
    int rc, end = 0, bol = 1, crbol = 0;

    d->headers_only = d->kind != QB_FAILED || d->e->ret == QU_RET_HDRS ||
                      d->e->size > limit;
    rc = qu_msg_open(q, d->e->id, &f);
    if (rc != PL_OK)
        return rc;
    buf = (char *)malloc(QB_READ_BUF);
    if (buf == NULL) {
        pl_file_close(f);
        return PL_ENOMEM;
    }
    while (!end) {
        rc = pl_file_read(f, buf, QB_READ_BUF, &got);
        if (rc != PL_OK || got == 0)
            break;
        if (!d->headers_only) {
            if ((pl_u64)(d->content.len + got) > limit) {
                /* it grew after the size check: headers only after all */
                d->headers_only = 1;
                ut_buf_clear(&d->content);
                rc = pl_file_seek(f, 0);
                if (rc != PL_OK)
                    break;
                continue;
            }
            rc = ut_buf_add(&d->content, buf, got);
            if (rc != PL_OK)
                break;
            continue;
        }
        /* the header section ends at the first empty line */
        for (k = 0; k < got && !end && rc == PL_OK; k++) {
            int c = (unsigned char)buf[k];

            if ((pl_u64)d->content.len >= limit) {
                d->cut = 1;
                end = 1;
                break;
            }
            rc = ut_buf_addc(&d->content, c);
            if (c == '\n') {
                end = bol || crbol;
                bol = 1;
                crbol = 0;
            } else {
                crbol = c == '\r' && bol;
                bol = 0;
            }
        }
    }
    free(buf);
    pl_file_close(f);
    if (rc != PL_OK)
        return rc;
    if (d->cut) {
        /* cut at the last line end, so the part stays line-structured */
        while (d->content.len > 0 &&
               d->content.data[d->content.len - 1] != '\n')
            d->content.len--;
    } else if (d->headers_only && end) {
        /* drop the empty line that ended the section */
        d->content.len -= d->content.len >= 2 &&
            d->content.data[d->content.len - 2] == '\r' ? 2 : 1;
    }
    if (d->content.data != NULL)
        d->content.data[d->content.len] = '\0';
    return PL_OK;
}

static int qb_contains(const ut_buf *b, const char *s)
{
    size_t n = strlen(s), i;

    for (i = 0; b->len >= n && i <= b->len - n; i++) {
        if (b->data[i] == s[0] && memcmp(b->data + i, s, n) == 0)
            return 1;
    }
    return 0;
}

/* A boundary that occurs nowhere in the parts. */
static int qb_boundary(const ut_buf *parts, char *bd, size_t n)
{
    unsigned char r[12];
    char hex[25];
    int t, rc;

    for (t = 0; t < QB_BOUNDARY_TRIES; t++) {
        rc = pl_random(r, sizeof r);
        if (rc == PL_OK)
            rc = ut_hex_encode(r, sizeof r, hex, sizeof hex);
        if (rc != PL_OK)
            return rc;
        (void)snprintf(bd, n, "=_newmail_dsn_%s", hex);
        if (!qb_contains(parts, bd))
            return PL_OK;
    }
    return PL_ERR;
}

/* The header of the report. */
static int qb_head(const qb_doc *d, const char *to, const char *bd,
                   int eight, ut_buf *b)
{
    char date[QB_DATE_MAX], hex[17];
    unsigned char r[8];
    ut_tm tm;
    ut_buf v;
    int rc;

    ut_buf_init(&v, 0);
    rc = ut_buf_addf(&v, "Mail Delivery System <MAILER-DAEMON@%s>",
                     d->o->reporting_mta);
    if (rc == PL_OK)
        rc = qb_field(b, "From", ut_buf_str(&v));
    ut_buf_clear(&v);
    if (rc == PL_OK)
        rc = ut_buf_addf(&v, "<%s>", to);
    if (rc == PL_OK)
        rc = qb_field(b, "To", ut_buf_str(&v));
    if (rc == PL_OK)
        rc = qb_field(b, "Subject", d->double_bounce
                      ? "Postmaster Copy: Undelivered Mail"
                      : d->kind == QB_FAILED
                      ? "Undelivered Mail Returned to Sender"
                      : d->kind == QB_DELAYED
                      ? "Delayed Mail (still being retried)"
                      : "Successful Mail Delivery Report");
    qb_date(pl_time_now(), date);
    if (rc == PL_OK)
        rc = qb_field(b, "Date", date);
    if (rc == PL_OK)
        rc = pl_random(r, sizeof r);
    if (rc == PL_OK)
        rc = ut_hex_encode(r, sizeof r, hex, sizeof hex);
    ut_date_split(pl_time_now(), 0, &tm);
    ut_buf_clear(&v);
    if (rc == PL_OK)
        rc = ut_buf_addf(&v, "<%04d%02d%02d%02d%02d%02d.%s.dsn@%s>",
                         tm.year, tm.month, tm.day, tm.hour, tm.min,
                         tm.sec, hex, d->o->reporting_mta);
    if (rc == PL_OK)
        rc = qb_field(b, "Message-ID", ut_buf_str(&v));
    if (rc == PL_OK)
        rc = qb_field(b, "Auto-Submitted", "auto-replied");
    if (rc == PL_OK)
        rc = qb_field(b, "MIME-Version", "1.0");
    ut_buf_clear(&v);
    if (rc == PL_OK)
        rc = ut_buf_addf(&v, "multipart/report; report-type=delivery-status;"
                         " boundary=\"%s\"", bd);
    if (rc == PL_OK)
        rc = qb_field(b, "Content-Type", ut_buf_str(&v));
    if (rc == PL_OK && eight)
        rc = qb_field(b, "Content-Transfer-Encoding", "8bit");
    ut_buf_free(&v);
    return rc;
}

/* The whole report into out; *eight says whether it holds 8-bit text. */
static int qb_compose(const qb_doc *d, const char *to, ut_buf *out,
                      int *eight)
{
    char bd[64];
    ut_buf human, status;
    int rc, utf8 = d->e->smtputf8;

    ut_buf_init(&human, QB_TEXT_MAX);
    ut_buf_init(&status, QB_TEXT_MAX);
    rc = qb_human(d, &human);
    if (rc == PL_OK)
        rc = qb_status(d, &status);
    *eight = qb_has_8bit(human.data, human.len) ||
             qb_has_8bit(status.data, status.len) ||
             qb_has_8bit(d->content.data, d->content.len);
    if (rc == PL_OK) {
        ut_buf all;

        ut_buf_init(&all, 0);
        rc = ut_buf_add(&all, human.data, human.len);
        if (rc == PL_OK)
            rc = ut_buf_add(&all, status.data, status.len);
        if (rc == PL_OK)
            rc = ut_buf_add(&all, d->content.data, d->content.len);
        if (rc == PL_OK)
            rc = qb_boundary(&all, bd, sizeof bd);
        ut_buf_free(&all);
    }
    if (rc == PL_OK)
        rc = qb_head(d, to, bd, *eight, out);
    if (rc == PL_OK)
        rc = ut_buf_addf(out, "\r\nThis is a MIME-encapsulated message.\r\n"
                         "\r\n--%s\r\nContent-Description: Notification\r\n"
                         "Content-Type: text/plain; charset=%s\r\n%s\r\n",
                         bd, qb_has_8bit(human.data, human.len)
                         ? "utf-8" : "us-ascii",
                         qb_has_8bit(human.data, human.len)
                         ? "Content-Transfer-Encoding: 8bit\r\n" : "");
    if (rc == PL_OK)
        rc = ut_buf_add(out, human.data, human.len);
    if (rc == PL_OK)
        rc = ut_buf_addf(out, "\r\n--%s\r\nContent-Description: Delivery "
                         "report\r\nContent-Type: message/%sdelivery-status"
                         "\r\n\r\n", bd, utf8 ? "global-" : "");
    if (rc == PL_OK)
        rc = ut_buf_add(out, status.data, status.len);
    if (rc == PL_OK && d->have_content)
        rc = ut_buf_addf(out, "\r\n--%s\r\nContent-Description: %s\r\n"
                         "Content-Type: %s\r\n%s\r\n", bd,
                         d->headers_only ? "Undelivered Message Headers"
                         : "Undelivered Message",
                         d->headers_only ? (utf8 ? "message/global-headers"
                                            : "text/rfc822-headers")
                         : (utf8 ? "message/global" : "message/rfc822"),
                         qb_has_8bit(d->content.data, d->content.len)
                         ? "Content-Transfer-Encoding: 8bit\r\n" : "");
    if (rc == PL_OK && d->have_content)
        rc = ut_buf_add(out, d->content.data, d->content.len);
    /* the CRLF before a delimiter belongs to the delimiter (RFC 2046
     * 5.1.1), so the content keeps its own last line end */
    if (rc == PL_OK)
        rc = ut_buf_addf(out, "\r\n--%s--\r\n", bd);
    ut_buf_free(&human);
    ut_buf_free(&status);
    return rc;
}

/* Queue the report from <> to `to`. */
static int qb_submit(qu_queue *q, const qb_doc *d, const char *to,
                     int newkind, const ut_buf *msg, int eight,
                     char *new_id)
{
    qu_env proto;
    qu_sub *s = NULL;
    int rc;

    memset(&proto, 0, sizeof proto);
    proto.kind = newkind;
    proto.from[0] = '\0';
    proto.ret = QU_RET_NONE;
    proto.body = eight ? QU_BODY_8BIT : QU_BODY_7BIT;
    proto.smtputf8 = d->e->smtputf8;
    (void)snprintf(proto.origin, sizeof proto.origin, "bounce of %s",
                   d->e->id);
    rc = qu_sub_begin(q, &proto, &s);
    if (rc == PL_OK)
        rc = qu_sub_rcpt(s, to, "", 0);
    if (rc == PL_OK)
        rc = qu_sub_write(s, msg->data, msg->len);
    if (rc == PL_OK) {
        rc = qu_sub_commit(s, new_id);
        s = NULL;
    }
    qu_sub_abort(s);
    if (rc != PL_OK)
        new_id[0] = '\0';
    return rc;
}

int qb_report(qu_queue *q, const qu_env *e, const int *idx, int n,
              int kind, const qb_opts *o, char *new_id)
{
    char to[QU_ADDR_MAX + 1];
    int *keep, nkeep = 0, i, newkind = QU_K_BOUNCE, rc, eight = 0;
    qb_doc d;
    ut_buf msg;

    new_id[0] = '\0';
    if (q == NULL || e == NULL || o == NULL || o->reporting_mta == NULL ||
        (n > 0 && idx == NULL) || n < 0 ||
        kind < QB_FAILED || kind > QB_RELAYED)
        return PL_EINVAL;
    if (!qb_whom(e, kind, o, to, &newkind)) {
        if (e->kind == QU_K_DOUBLE && kind == QB_FAILED)
            ut_log(PL_LOG_WARN, PL_LOGCAT_MAIL, "%s: double bounce could "
                   "not be delivered; no further notification", e->id);
        return PL_OK;
    }
    keep = (int *)malloc((size_t)(n > 0 ? n : 1) * sizeof *keep);
    if (keep == NULL)
        return PL_ENOMEM;
    for (i = 0; i < n; i++) {
        if (idx[i] < 0 || idx[i] >= e->nrcpt) {
            free(keep);
            return PL_EINVAL;
        }
        if (qb_wanted(&e->rcpt[idx[i]], kind))
            keep[nkeep++] = idx[i];
    }
    if (nkeep == 0) {
        free(keep);
        return PL_OK;
    }
    memset(&d, 0, sizeof d);
    d.e = e;
    d.idx = keep;
    d.n = nkeep;
    d.kind = kind;
    d.double_bounce = newkind == QU_K_DOUBLE;
    d.o = o;
    ut_buf_init(&d.content, 0);
    ut_buf_init(&msg, 0);
    rc = qb_content(q, &d);
    if (rc == PL_ENOMEM) {
        ut_buf_free(&d.content);
        free(keep);
        return rc;
    }
    /* The report still goes out without the message it cannot read. */
    d.have_content = rc == PL_OK;
    if (rc != PL_OK)
        ut_log(PL_LOG_WARN, PL_LOGCAT_MAIL, "%s: the message cannot be "
               "read for its notification: %s", e->id, pl_strerror(rc));
    rc = qb_compose(&d, to, &msg, &eight);
    if (rc == PL_OK)
        rc = qb_submit(q, &d, to, newkind, &msg, eight, new_id);
    if (rc == PL_OK)
        ut_log(PL_LOG_INFO, PL_LOGCAT_MAIL, "%s: %s notification %s to "
               "<%s> for %d recipient(s)", e->id,
               kind == QB_FAILED ? "failure" : kind == QB_DELAYED
               ? "delay" : "success", new_id, to, nkeep);
    ut_buf_free(&msg);
    ut_buf_free(&d.content);
    free(keep);
    return rc;
}
