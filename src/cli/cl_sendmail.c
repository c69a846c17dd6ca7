/*
 * cl_sendmail.c - `newmail sendmail`: the sendmail-compatible submission
 * command (also run when the program is installed as `sendmail`), so that
 * cron, mailx, mutt, git send-email and PHP's mail() can send mail.
 *
 * One message is read from standard input (LF or CRLF line ends, stored
 * as CRLF; a bare CR inside a line is refused, never guessed at; a first
 * line "From ..." of the mbox format is dropped).  Without
 * -i (or -oi) a line holding a single dot ends it.  From:, Date: and
 * Message-ID: are added when missing; Bcc: is always removed.  -t takes
 * the recipients from To:, Cc: and Bcc: and adds those of the command line
 * (as Postfix does).  Every address is checked (RFC 5321 syntax and
 * lengths, no CR/LF/NUL) before anything is written: on any error nothing
 * is queued and the exit status (sysexits) says why.
 *
 * Two ways in:
 *  - the service account, or root (which becomes service.user first):
 *    the message goes straight into the outbound queue of store.root and
 *    the running server is woken with a FLUSH over the control channel
 *    (no server running is fine: the mail waits in the queue);
 *  - anyone else, who may not write the queue (PL_EACCES): the message is
 *    submitted over SMTP to the first address of smtp.listen, without TLS
 *    or AUTH (loopback clients may relay by default), and the server's
 *    refusals are reported.
 *
 * Limits: smtp.max_message_size octets, lines of 998 octets (RFC 5322
 * 2.1.1), QU_RCPT_MAX recipients, a full name of SMD_NAME_MAX octets.
 * The message is held in memory while it is checked, so that nothing is
 * queued before everything has passed.
 * Privilege: the caller's; root becomes service.user before touching the
 * store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cl.h"
#include "ms.h"
#include "qu.h"
#include "sc.h"
#include "sm_int.h"
#include "ut_buf.h"
#include "ut_code.h"
#include "ut_date.h"
#include "ut_log.h"
#include "ut_str.h"

#define SMD_PATH  "newmail sendmail"
#define SMD_USAGE "[-t] [-i] [-f SENDER] [-F FULLNAME] [-N DSN] [-R RET] " \
                  "[-V ENVID] [-B TYPE] [-C FILE] [-oX] [-v] [--] " \
                  "[RECIPIENT...]"
#define SMD_NAME_MAX   128     /* -F: a person's name, not a paragraph */
#define SMD_LINE_MAX   998     /* RFC 5322 2.1.1, without the CRLF */
#define SMD_READ_BUF   8192
#define SMD_LABEL_MAX  80
#define SMD_ENVID_MAX  100     /* RFC 3461 4.4 */
#define SMD_CTL_REPLY  512
/* Not a CL_EX code: the queue may not be written by this user. */
#define SMD_FALLBACK   (-1)

typedef struct smd_opts {
    int extract;              /* -t */
    int dots_end;             /* without -i: "." alone ends the input */
    int verbose;              /* -v */
    int list_queue;           /* -bp */
    int body;                 /* -B: QU_BODY_*; QU_BODY_NONE: detect */
    int notify;               /* -N: QU_N_* */
    int ret;                  /* -R: QU_RET_* */
    const char *from;         /* -f / -r; NULL: the invoking user */
    const char *fullname;     /* -F */
    const char *envid;        /* -V */
} smd_opts;

typedef struct smd_job {
    cl_ctx *ctx;
    smd_opts o;
    cf_config *cfg;
    char host[PL_HOST_MAX + 1];
    char sender[QU_ADDR_MAX + 1];
    char label[SMD_LABEL_MAX];        /* "uid 1000", "user ALICE" */
    char (*rcpt)[QU_ADDR_MAX + 1];
    int nrcpt, cap;
    int smtputf8;                     /* 8-bit header or address */
    int eightbit;                     /* 8-bit body */
    const char *where;                /* "argument", "To: header" */
    int bad;                          /* CL_EX_* of an address error */
    ut_buf msg;                       /* the message to submit, CRLF */
} smd_job;

/* ---- options -------------------------------------------------------- */

static int smd_usage(const cl_ctx *ctx, const char *msg, const char *arg)
{
    return cl_usage_error(ctx, SMD_PATH, SMD_USAGE, msg, arg);
}

static int smd_notify(const char *s, int *out)
{
    char buf[64], *tok, *save;
    int n = 0;

    if (ut_strlcpy(buf, s, sizeof buf) != PL_OK)
        return PL_EINVAL;
    if (ut_strcaseeq(buf, "never")) {
        *out = QU_N_NEVER;
        return PL_OK;
    }
    for (tok = buf; tok != NULL; tok = save) {
        save = strchr(tok, ',');
        if (save != NULL)
            *save++ = '\0';
        if (ut_strcaseeq(tok, "success"))
            n |= QU_N_SUCCESS;
        else if (ut_strcaseeq(tok, "failure"))
            n |= QU_N_FAILURE;
        else if (ut_strcaseeq(tok, "delay"))
            n |= QU_N_DELAY;
        else
            return PL_EINVAL;
    }
    *out = n;
    return PL_OK;
}

/* The value of an option letter: the rest of the word or the next word. */
static const char *smd_value(int argc, char **argv, int *i, const char *rest)
{
    if (*rest != '\0')
        return rest;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

/* One option word; CL_EX_OK or a usage error. */
static int smd_option(smd_job *j, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v;
    int letter = (unsigned char)a[1];

    switch (letter) {
    case 't': case 'i': case 'v': case 'U':
        /* flags, which may be grouped as getopt allows: -ti */
        for (v = a + 1; *v != '\0'; v++) {
            if (*v == 't')
                j->o.extract = 1;
            else if (*v == 'i')
                j->o.dots_end = 0;
            else if (*v == 'v')
                j->o.verbose = 1;
            else if (*v != 'U')        /* initial submission: implied */
                return smd_usage(j->ctx, "unknown option", a);
        }
        return CL_EX_OK;
    case 'o':
        /* -oi is -i; every other sendmail -oXXX is accepted and ignored */
        if (strcmp(a, "-oi") == 0)
            j->o.dots_end = 0;
        else if (a[2] == '\0' && *i + 1 < argc)
            ++*i;
        return CL_EX_OK;
    case 'b':
        if (strcmp(a, "-bm") == 0)
            return CL_EX_OK;
        if (strcmp(a, "-bp") == 0) {
            j->o.list_queue = 1;
            return CL_EX_OK;
        }
        return smd_usage(j->ctx, "unsupported mode", a);
    default:
        break;
    }
    if (strchr("fFrNRVBC", letter) == NULL || letter == 0)
        return smd_usage(j->ctx, "unknown option", a);
    v = smd_value(argc, argv, i, a + 2);
    if (v == NULL)
        return smd_usage(j->ctx, "option needs a value:", a);
    switch (letter) {
    case 'f': case 'r':
        j->o.from = v;
        break;
    case 'F':
        j->o.fullname = v;
        break;
    case 'N':
        if (smd_notify(v, &j->o.notify) != PL_OK)
            return smd_usage(j->ctx, "-N takes never or a list of "
                             "success, failure, delay, not", v);
        break;
    case 'R':
        if (ut_strcaseeq(v, "full"))
            j->o.ret = QU_RET_FULL;
        else if (ut_strcaseeq(v, "hdrs"))
            j->o.ret = QU_RET_HDRS;
        else
            return smd_usage(j->ctx, "-R takes full or hdrs, not", v);
        break;
    case 'V':
        j->o.envid = v;
        break;
    case 'B':
        if (ut_strcaseeq(v, "7bit"))
            j->o.body = QU_BODY_7BIT;
        else if (ut_strcaseeq(v, "8bitmime"))
            j->o.body = QU_BODY_8BIT;
        else
            return smd_usage(j->ctx, "-B takes 7BIT or 8BITMIME, not", v);
        break;
    default:                                   /* 'C' */
        j->ctx->config = v;             /* sendmail's -C: the
                                           configuration file */
        break;
    }
    return CL_EX_OK;
}

/* Options up to the first recipient; *first gets its index. */
static int smd_options(smd_job *j, int argc, char **argv, int *first)
{
    int i, ex;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break;
        ex = smd_option(j, argc, argv, &i);
        if (ex != CL_EX_OK)
            return ex;
    }
    *first = i;
    return CL_EX_OK;
}

/* ---- addresses -------------------------------------------------------- */

static int smd_has_ctl(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 32 || *s == 127)
            return 1;
    }
    return 0;
}

/* RFC 5321 syntax and lengths, exactly as our SMTP server checks a path:
 * PL_OK, else a reason in why.  *utf8 is set for an 8-bit address. */
static int smd_check(const char *addr, int allow_null, int *utf8,
                     const char **why)
{
    char path[QU_ADDR_MAX + 3];
    sm_addr a;
    size_t used = 0, len = strlen(addr);
    int rc;

    *why = NULL;
    if (smd_has_ctl(addr)) {
        *why = "control character (CR, LF, NUL ...) in the address";
        return PL_EINVAL;
    }
    if (len > QU_ADDR_MAX - 2) {
        *why = "address too long (RFC 5321 4.5.3.1)";
        return PL_EINVAL;
    }
    (void)snprintf(path, sizeof path, "<%s>", addr);
    rc = sm_addr_parse(path, len + 2, allow_null, &a, &used);
    if (rc == SM_A_LONG) {
        *why = "local part or domain too long (RFC 5321 4.5.3.1)";
        return PL_EINVAL;
    }
    if (rc != PL_OK || used != len + 2) {
        *why = "not a valid RFC 5321 address";
        return PL_EINVAL;
    }
    if (!a.null && a.domain[0] == '\0') {
        *why = "address without a domain";
        return PL_EINVAL;
    }
    if (a.utf8)
        *utf8 = 1;
    return PL_OK;
}

/* Qualify a bare local part with our host name, as Postfix appends
 * $myorigin; out holds QU_ADDR_MAX + 1. */
static int smd_qualify(const smd_job *j, const char *addr, char *out)
{
    if (ut_strlcpy(out, addr, QU_ADDR_MAX + 1) != PL_OK)
        return PL_ERANGE;
    if (strchr(addr, '@') != NULL || addr[0] == '\0')
        return PL_OK;
    if (ut_strlcat(out, "@", QU_ADDR_MAX + 1) != PL_OK ||
        ut_strlcat(out, j->host, QU_ADDR_MAX + 1) != PL_OK)
        return PL_ERANGE;
    return PL_OK;
}

/* ms_addr_list callback: check, qualify and add one recipient (once). */
static int smd_rcpt_cb(void *ctx, const char *addr, const char *display)
{
    smd_job *j = (smd_job *)ctx;
    char q[QU_ADDR_MAX + 1];
    const char *why = "address too long (RFC 5321 4.5.3.1)";
    int i;

    (void)display;
    if (smd_qualify(j, addr, q) != PL_OK ||
        smd_check(q, 0, &j->smtputf8, &why) != PL_OK) {
        cl_error(j->ctx, "bad recipient '%s' (%s): %s", addr, j->where,
                 why);
        j->bad = CL_EX_DATAERR;
        return 1;
    }
    for (i = 0; i < j->nrcpt; i++) {
        if (ut_strcaseeq(j->rcpt[i], q))
            return 0;
    }
    if (j->nrcpt >= QU_RCPT_MAX) {
        cl_error(j->ctx, "more than %d recipients", QU_RCPT_MAX);
        j->bad = CL_EX_DATAERR;
        return 1;
    }
    if (j->nrcpt == j->cap) {
        int ncap = j->cap ? j->cap * 2 : 16;
        char (*nv)[QU_ADDR_MAX + 1] = (char (*)[QU_ADDR_MAX + 1])
            realloc(j->rcpt, (size_t)ncap * sizeof *nv);

        if (nv == NULL) {
            j->bad = CL_EX_TEMPFAIL;
            return 1;
        }
        j->rcpt = nv;
        j->cap = ncap;
    }
    memcpy(j->rcpt[j->nrcpt++], q, sizeof q);
    return 0;
}

/* Add the recipients of an address list (an argument or a header). */
static int smd_add_list(smd_job *j, const char *text, const char *where)
{
    char err[MS_ERR_MAX];
    int rc;

    j->where = where;
    j->bad = CL_EX_OK;
    if (smd_has_ctl(text) && strchr(where, ':') == NULL) {
        cl_error(j->ctx, "control character in the recipient argument");
        return CL_EX_DATAERR;
    }
    rc = ms_addr_list(text, strlen(text), MS_A_BARE, smd_rcpt_cb, j, err,
                      sizeof err);
    if (rc == PL_EINVAL) {
        cl_error(j->ctx, "bad address list in %s '%s': %s", where, text,
                 err);
        return CL_EX_DATAERR;
    }
    if (rc == PL_ENOMEM)
        return CL_EX_TEMPFAIL;
    return j->bad;
}

/* ---- the message ------------------------------------------------------ */

/* Read standard input into raw as CRLF lines.  Refuses a bare CR, NUL and
 * over-long lines (CL_EX_DATAERR) rather than change the message. */
static int smd_read(smd_job *j, ut_buf *raw)
{
    unsigned char *buf = (unsigned char *)malloc(SMD_READ_BUF);
    size_t got, k, linelen = 0;
    unsigned long lineno = 1;
    int cr = 0, stop = 0, ex = CL_EX_OK;
    ut_buf line;

    if (buf == NULL)
        return CL_EX_TEMPFAIL;
    ut_buf_init(&line, SMD_LINE_MAX + 1);
    while (!stop && ex == CL_EX_OK &&
           (got = fread(buf, 1, SMD_READ_BUF, stdin)) > 0) {
        for (k = 0; k < got && !stop && ex == CL_EX_OK; k++) {
            int c = buf[k];

            if (cr && c != '\n') {
                cl_error(j->ctx, "line %lu: a CR not followed by LF (bare "
                         "CR) is not allowed in mail; fix the line ends",
                         lineno);
                ex = CL_EX_DATAERR;
                break;
            }
            cr = 0;
            if (c == '\r') {
                cr = 1;
            } else if (c == '\n') {
                if (j->o.dots_end && line.len == 1 && line.data[0] == '.') {
                    stop = 1;
                    break;
                }
                /* An mbox "From " line first is envelope, not header
                 * (sendmail and Postfix drop it too). */
                if (lineno == 1 && line.len >= 5 &&
                    memcmp(line.data, "From ", 5) == 0) {
                    ut_buf_clear(&line);
                    linelen = 0;
                    lineno++;
                    continue;
                }
                if (ut_buf_add(raw, line.data, line.len) != PL_OK ||
                    ut_buf_adds(raw, "\r\n") != PL_OK) {
                    cl_error(j->ctx, "message larger than %s",
                             "smtp.max_message_size");
                    ex = CL_EX_DATAERR;
                }
                ut_buf_clear(&line);
                linelen = 0;
                lineno++;
            } else if (c == '\0') {
                cl_error(j->ctx, "line %lu: NUL byte in the message",
                         lineno);
                ex = CL_EX_DATAERR;
            } else if (++linelen > SMD_LINE_MAX ||
                       ut_buf_addc(&line, c) != PL_OK) {
                cl_error(j->ctx, "line %lu: longer than %d octets "
                         "(RFC 5322 2.1.1)", lineno, SMD_LINE_MAX);
                ex = CL_EX_DATAERR;
            }
        }
    }
    if (ex == CL_EX_OK && !stop && ferror(stdin)) {
        cl_error(j->ctx, "error reading standard input");
        ex = CL_EX_IOERR;
    }
    if (ex == CL_EX_OK && !stop && cr) {
        cl_error(j->ctx, "line %lu: the input ends in a bare CR", lineno);
        ex = CL_EX_DATAERR;
    }
    /* An unterminated last line gets its CRLF (a lone "." ends too). */
    if (ex == CL_EX_OK && !stop && line.len > 0 &&
        !(j->o.dots_end && line.len == 1 && line.data[0] == '.')) {
        if (ut_buf_add(raw, line.data, line.len) != PL_OK ||
            ut_buf_adds(raw, "\r\n") != PL_OK) {
            cl_error(j->ctx, "message larger than smtp.max_message_size");
            ex = CL_EX_DATAERR;
        }
    }
    ut_buf_free(&line);
    free(buf);
    return ex;
}

static int smd_8bit(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if ((unsigned char)p[i] >= 0x80)
            return 1;
    }
    return 0;
}

/* The -F name as an RFC 5322 phrase: atoms as they are, else a quoted
 * string, or RFC 2047 encoded words for 8-bit text. */
static int smd_phrase(ut_buf *b, const char *name)
{
    size_t i, len = strlen(name), start, k;
    int plain = 1, rc = PL_OK;

    if (smd_8bit(name, len)) {
        /* 45 octets give 60 base64 characters: each word stays under 75
         * (RFC 2047 2); a UTF-8 sequence is never split. */
        for (start = 0; start < len && rc == PL_OK; start = k) {
            char enc[64];

            k = start + 45 < len ? start + 45 : len;
            while (k < len && k > start &&
                   ((unsigned char)name[k] & 0xC0) == 0x80)
                k--;
            if (ut_b64_encode(name + start, k - start, enc, sizeof enc,
                              NULL) != PL_OK)
                return PL_ERANGE;
            rc = ut_buf_addf(b, "%s=?UTF-8?B?%s?=", start > 0 ? " " : "",
                             enc);
        }
        return rc;
    }
    for (i = 0; i < len; i++) {
        int c = (unsigned char)name[i];

        if (!(c == ' ' || (c >= '0' && c <= '9') ||
              (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL))
            plain = 0;
    }
    if (plain && len > 0 && name[0] != ' ' && name[len - 1] != ' ')
        return ut_buf_adds(b, name);
    rc = ut_buf_addc(b, '"');
    for (i = 0; i < len && rc == PL_OK; i++) {
        if (name[i] == '"' || name[i] == '\\')
            rc = ut_buf_addc(b, '\\');
        if (rc == PL_OK)
            rc = ut_buf_addc(b, (unsigned char)name[i]);
    }
    return rc == PL_OK ? ut_buf_addc(b, '"') : rc;
}

/* Add From:, Date: and Message-ID: where the message has none. */
static int smd_add_fields(smd_job *j, const ms_hdr *h, ut_buf *out)
{
    char date[40], hex[17];
    unsigned char rnd[8];
    ut_tm tm;
    int rc = PL_OK;

    if (ms_hdr_find(h, "From", 0) < 0) {
        rc = ut_buf_adds(out, "From: ");
        if (rc == PL_OK && j->o.fullname != NULL &&
            j->o.fullname[0] != '\0') {
            rc = smd_phrase(out, j->o.fullname);
            if (rc == PL_OK)
                rc = ut_buf_addf(out, " <%s>\r\n", j->sender);
        } else if (rc == PL_OK) {
            rc = j->sender[0] != '\0'
                 ? ut_buf_addf(out, "%s\r\n", j->sender)
                 : ut_buf_addf(out, "MAILER-DAEMON@%s\r\n", j->host);
        }
    }
    if (rc == PL_OK && ms_hdr_find(h, "Date", 0) < 0) {
        rc = ut_date_rfc5322_now(date, sizeof date);
        if (rc == PL_OK)
            rc = ut_buf_addf(out, "Date: %s\r\n", date);
    }
    if (rc == PL_OK && ms_hdr_find(h, "Message-ID", 0) < 0) {
        rc = pl_random(rnd, sizeof rnd);
        if (rc == PL_OK)
            rc = ut_hex_encode(rnd, sizeof rnd, hex, sizeof hex);
        ut_date_split(pl_time_now(), 0, &tm);
        if (rc == PL_OK)
            rc = ut_buf_addf(out, "Message-ID: <%04d%02d%02d%02d%02d%02d."
                             "%s@%s>\r\n", tm.year, tm.month, tm.day,
                             tm.hour, tm.min, tm.sec, hex, j->host);
    }
    return rc;
}

/* Header fields kept (all but Bcc), the added ones, the body. */
static int smd_compose(smd_job *j, const ms_hdr *h, const char *body,
                       size_t blen)
{
    const char *pend;
    size_t plen;
    int i, rc = PL_OK;

    for (i = 0; i < ms_hdr_count(h) && rc == PL_OK; i++) {
        const ms_field *f = ms_hdr_field(h, i);

        if (!ut_strcaseeq(f->name, "Bcc"))
            rc = ut_buf_add(&j->msg, f->raw, f->raw_len);
    }
    if (rc == PL_OK)
        rc = smd_add_fields(j, h, &j->msg);
    if (rc == PL_OK)
        rc = ut_buf_adds(&j->msg, "\r\n");
    pend = ms_hdr_pending(h, &plen);
    if (rc == PL_OK && pend != NULL)
        rc = ut_buf_add(&j->msg, pend, plen);
    if (rc == PL_OK)
        rc = ut_buf_add(&j->msg, body, blen);
    return rc;
}

/* Parse the header of raw, take -t recipients, build j->msg. */
static int smd_build(smd_job *j, const ut_buf *raw)
{
    static const char *const rfields[] = { "To", "Cc", "Bcc" };
    const char *data = raw->len > 0 ? raw->data : "";
    ms_hdr *h;
    size_t used = 0;
    int rc, ex = CL_EX_OK, i, k;

    if (ms_hdr_new(&h) != PL_OK)
        return CL_EX_TEMPFAIL;
    rc = ms_hdr_feed(h, data, raw->len, &used);
    if (rc == PL_OK)
        rc = ms_hdr_finish(h);
    if (rc != PL_OK && rc != MS_HDR_DONE) {
        cl_error(j->ctx, "bad message header: %s", ms_hdr_error(h));
        ms_hdr_free(h);
        return rc == PL_ENOMEM ? CL_EX_TEMPFAIL : CL_EX_DATAERR;
    }
    if (ms_hdr_end(h) == MS_END_EOF)
        used = raw->len;
    if (smd_8bit(data, used))
        j->smtputf8 = 1;
    if (smd_8bit(data + used, raw->len - used))
        j->eightbit = 1;
    for (k = 0; j->o.extract && ex == CL_EX_OK && k < 3; k++) {
        for (i = ms_hdr_find(h, rfields[k], 0); i >= 0 && ex == CL_EX_OK;
             i = ms_hdr_find(h, rfields[k], i + 1)) {
            char where[16];

            (void)snprintf(where, sizeof where, "%s: header", rfields[k]);
            ex = smd_add_list(j, ms_hdr_field(h, i)->value, where);
        }
    }
    if (ex == CL_EX_OK &&
        smd_compose(j, h, data + used, raw->len - used) != PL_OK) {
        cl_error(j->ctx, "message larger than smtp.max_message_size");
        ex = CL_EX_DATAERR;
    }
    ms_hdr_free(h);
    return ex;
}

/* ---- submission ------------------------------------------------------- */

static void smd_proto(const smd_job *j, qu_env *e)
{
    memset(e, 0, sizeof *e);
    e->kind = QU_K_MAIL;
    (void)ut_strlcpy(e->from, j->sender, sizeof e->from);
    (void)ut_strlcpy(e->envid, j->o.envid != NULL ? j->o.envid : "",
                     sizeof e->envid);
    e->ret = j->o.ret;
    e->body = j->o.body != QU_BODY_NONE ? j->o.body
              : (j->eightbit ? QU_BODY_8BIT : QU_BODY_NONE);
    e->smtputf8 = j->smtputf8;
    (void)snprintf(e->origin, sizeof e->origin, "sendmail %s", j->label);
}

static int smd_qexit(const smd_job *j, int rc, const char *what)
{
    char nat[128];

    pl_last_native(nat, sizeof nat);
    cl_error(j->ctx, "cannot %s: %s (%s)", what, pl_strerror(rc), nat);
    switch (rc) {
    case PL_ENOSPC: case PL_EAGAIN: case PL_ETIMEDOUT: case PL_ENOMEM:
        return CL_EX_TEMPFAIL;
    case PL_EINVAL:
        return CL_EX_DATAERR;
    default:
        return CL_EX_CANTCREAT;
    }
}

/* Wake the server's queue runner; quiet when no server is running (the
 * runner's periodic scan finds the entry later). */
static void smd_flush(const smd_job *j)
{
    char reply[SMD_CTL_REPLY];
    int code = cl_ctl_request(j->ctx, j->cfg, "FLUSH", reply, sizeof reply);

    if (code == CL_EX_UNAVAILABLE) {
        if (j->o.verbose)
            fprintf(stderr, "%s: no server is running; the message waits "
                    "in the queue\n", j->ctx->prog);
    } else if (code != CL_EX_OK) {
        fprintf(stderr, "%s: the message is queued; the server will find "
                "it at its next queue scan\n", j->ctx->prog);
    }
}

/* Root becomes service.user (as `serve` does) so that the server can
 * read what we write; anyone else keeps their identity. */
static int smd_identity(const smd_job *j)
{
    const char *user = cf_str(j->cfg, "service.user");
    pl_privsave save;
    int rc;

    if (user[0] == '\0' || pl_priv_raise(PL_PRIV_IMPERS, &save) != PL_OK)
        return CL_EX_OK;
    (void)pl_priv_restore(&save);
    rc = pl_become_service(user);
    if (rc == PL_OK)
        return CL_EX_OK;
    cl_error(j->ctx, "cannot become service.user %s: %s", user,
             pl_strerror(rc));
    return rc == PL_ENOENT || rc == PL_EINVAL ? CL_EX_CONFIG
                                              : CL_EX_TEMPFAIL;
}

/* Into the outbound queue: CL_EX_*, or SMD_FALLBACK when this user may
 * not write it. */
static int smd_queue(smd_job *j)
{
    char id[QU_ID_LEN + 1];
    pl_dir *root = NULL;
    qu_queue *q = NULL;
    qu_sub *s = NULL;
    qu_env proto;
    int rc, i;

    rc = pl_dir_open_root(cf_str(j->cfg, "store.root"), 0, &root);
    if (rc == PL_OK)
        rc = qu_open(root, &q);
    if (rc == PL_EACCES) {
        qu_close(q);
        pl_dir_close(root);
        return SMD_FALLBACK;
    }
    if (rc != PL_OK) {
        char nat[128];

        pl_last_native(nat, sizeof nat);
        cl_error(j->ctx, "cannot open the queue of %s: %s (%s)",
                 cf_str(j->cfg, "store.root"), pl_strerror(rc), nat);
        pl_dir_close(root);
        return rc == PL_ENOENT ? CL_EX_UNAVAILABLE : CL_EX_TEMPFAIL;
    }
    smd_proto(j, &proto);
    rc = qu_sub_begin(q, &proto, &s);
    if (rc == PL_EACCES) {
        qu_close(q);
        pl_dir_close(root);
        return SMD_FALLBACK;
    }
    for (i = 0; rc == PL_OK && i < j->nrcpt; i++)
        rc = qu_sub_rcpt(s, j->rcpt[i], "", j->o.notify);
    if (rc == PL_OK)
        rc = qu_sub_write(s, j->msg.data, j->msg.len);
    if (rc == PL_OK) {
        rc = qu_sub_commit(s, id);
        s = NULL;
    }
    qu_sub_abort(s);
    qu_close(q);
    pl_dir_close(root);
    if (rc != PL_OK)
        return smd_qexit(j, rc, "queue the message");
    if (j->o.verbose)
        fprintf(stderr, "%s: queued as %s\n", j->ctx->prog, id);
    smd_flush(j);
    return CL_EX_OK;
}

/* Host and port of the first smtp.listen address; a wildcard listener
 * is reached on the loopback address. */
static int smd_target(const smd_job *j, char *host, size_t hn, int *port)
{
    const char *item, *colon;
    pl_u64 p;
    size_t len;

    if (cf_list_count(j->cfg, "smtp.listen") < 1)
        return PL_ENOENT;
    item = cf_list_item(j->cfg, "smtp.listen", 0);
    colon = strrchr(item, ':');
    if (colon == NULL ||
        ut_parse_u64(colon + 1, strlen(colon + 1), 65535, &p) != PL_OK)
        return PL_EINVAL;
    len = (size_t)(colon - item);
    if (len >= 2 && item[0] == '[' && item[len - 1] == ']') {
        item++;
        len -= 2;
    }
    if (len == 0 || len >= hn)
        return PL_EINVAL;
    memcpy(host, item, len);
    host[len] = '\0';
    if (strcmp(host, "*") == 0 || strcmp(host, "0.0.0.0") == 0)
        (void)ut_strlcpy(host, "127.0.0.1", hn);
    else if (strcmp(host, "::") == 0)
        (void)ut_strlcpy(host, "::1", hn);
    *port = (int)p;
    return PL_OK;
}

static pl_i32 smd_ms(const smd_job *j, const char *key)
{
    pl_i64 s = cf_duration(j->cfg, key);

    return (pl_i32)(s > 86400 ? 86400000L : s * 1000);
}

/* Report what sc_deliver said; the CL_EX_* of the whole submission. */
static int smd_smtp_result(const smd_job *j, const sc_msg *m,
                           const sc_result *r, const char *where)
{
    int i, ok = 0, perm = 1;

    if (r->code != 0) {
        cl_error(j->ctx, "submission to %s failed: %s", where,
                 r->status[0] != '\0' ? r->status : "no reason given");
        return r->perm ? CL_EX_UNAVAILABLE : CL_EX_TEMPFAIL;
    }
    for (i = 0; i < m->nrcpt; i++) {
        if (m->rcpt[i].code >= 200 && m->rcpt[i].code < 300) {
            ok++;
            continue;
        }
        if (m->rcpt[i].code < 500)
            perm = 0;
        cl_error(j->ctx, "%s refused by %s: %s", m->rcpt[i].addr, where,
                 m->rcpt[i].status[0] != '\0' ? m->rcpt[i].status
                 : "no reply");
    }
    if (ok == m->nrcpt) {
        if (j->o.verbose)
            fprintf(stderr, "%s: submitted to %s\n", j->ctx->prog, where);
        return CL_EX_OK;
    }
    if (ok > 0)
        cl_error(j->ctx, "the message was accepted for the other %d "
                 "recipient(s)", ok);
    return perm ? CL_EX_UNAVAILABLE : CL_EX_TEMPFAIL;
}

/* Over SMTP to our own server, for users who may not write the queue. */
static int smd_smtp(smd_job *j)
{
    char host[PL_ADDR_MAX], where[PL_ADDR_MAX + 16];
    sc_policy pol;
    sc_result *r;
    sc_rcpt *rc_v;
    sc_msg m;
    pl_file *f = NULL;
    int port = 0, rc, i, ex;

    if (smd_target(j, host, sizeof host, &port) != PL_OK) {
        cl_error(j->ctx, "this user may not write the queue, and "
                 "smtp.listen names no server to submit to");
        return CL_EX_UNAVAILABLE;
    }
    (void)snprintf(where, sizeof where, "%s port %d", host, port);
    rc = pl_file_temp(&f);
    if (rc == PL_OK)
        rc = pl_file_write(f, j->msg.data, j->msg.len);
    if (rc == PL_OK)
        rc = pl_file_seek(f, 0);
    if (rc != PL_OK) {
        pl_file_close(f);
        return smd_qexit(j, rc, "write a scratch copy of the message");
    }
    rc_v = (sc_rcpt *)calloc((size_t)j->nrcpt, sizeof *rc_v);
    r = (sc_result *)calloc(1, sizeof *r);
    if (rc_v == NULL || r == NULL) {
        free(rc_v);
        free(r);
        pl_file_close(f);
        return CL_EX_TEMPFAIL;
    }
    for (i = 0; i < j->nrcpt; i++) {
        rc_v[i].addr = j->rcpt[i];
        rc_v[i].orcpt = "";
        rc_v[i].notify = j->o.notify;
    }
    memset(&pol, 0, sizeof pol);
    pol.helo = j->host;
    pol.tls = SC_TLS_NONE;
    pol.tls_ca = "";
    pol.auth_user = NULL;
    pol.auth_pass = NULL;
    pol.eightbit = SC_8BIT_SEND;
    pol.connect_ms = smd_ms(j, "outbound.connect_timeout");
    pol.greeting_ms = smd_ms(j, "outbound.greeting_timeout");
    pol.command_ms = smd_ms(j, "outbound.command_timeout");
    pol.data_init_ms = smd_ms(j, "outbound.data_init_timeout");
    pol.data_block_ms = smd_ms(j, "outbound.data_block_timeout");
    pol.data_done_ms = smd_ms(j, "outbound.data_done_timeout");
    {
        qu_env e;

        smd_proto(j, &e);
        memset(&m, 0, sizeof m);
        m.from = j->sender;
        m.envid = j->o.envid != NULL ? j->o.envid : "";
        m.ret = e.ret;
        m.body = e.body;
        m.smtputf8 = e.smtputf8;
    }
    m.size = (pl_u64)j->msg.len;
    m.data = f;
    m.nrcpt = j->nrcpt;
    m.rcpt = rc_v;
    rc = sc_deliver(&pol, host, host, port, &m, r);
    if (rc != PL_OK) {
        cl_error(j->ctx, "cannot submit to %s: %s", where, pl_strerror(rc));
        ex = CL_EX_SOFTWARE;
    } else {
        ex = smd_smtp_result(j, &m, r, where);
    }
    pl_file_close(f);
    free(rc_v);
    free(r);
    return ex;
}

/* ---- the command ------------------------------------------------------ */

/* Sender, full name and ENVID: checked before anything is read. */
static int smd_sender(smd_job *j)
{
    pl_user u;
    const char *why;
    int rc;

    (void)ut_strlcpy(j->label, "an unknown user", sizeof j->label);
    rc = pl_user_self(&u, j->label, sizeof j->label);
    if (j->o.from != NULL) {
        const char *f = j->o.from;

        if (strcmp(f, "<>") == 0)
            f = "";
        if (smd_qualify(j, f, j->sender) != PL_OK ||
            smd_check(j->sender, 1, &j->smtputf8, &why) != PL_OK) {
            cl_error(j->ctx, "bad sender '%s': %s", j->o.from,
                     why != NULL ? why : "address too long");
            return CL_EX_DATAERR;
        }
    } else if (rc != PL_OK) {
        cl_error(j->ctx, "no login name for %s; give the sender with -f",
                 j->label);
        return CL_EX_NOUSER;
    } else if (smd_qualify(j, u.name, j->sender) != PL_OK ||
               smd_check(j->sender, 0, &j->smtputf8, &why) != PL_OK) {
        cl_error(j->ctx, "login name '%s' does not make an address; give "
                 "the sender with -f", u.name);
        return CL_EX_NOUSER;
    }
    if (j->o.fullname != NULL && (smd_has_ctl(j->o.fullname) ||
                                  strlen(j->o.fullname) > SMD_NAME_MAX)) {
        cl_error(j->ctx, "-F: the full name must be one line of at most "
                 "%d octets", SMD_NAME_MAX);
        return CL_EX_USAGE;
    }
    if (j->o.envid != NULL && (strlen(j->o.envid) > SMD_ENVID_MAX ||
                               smd_has_ctl(j->o.envid) ||
                               smd_8bit(j->o.envid, strlen(j->o.envid)))) {
        cl_error(j->ctx, "-V: the envelope id must be printable ASCII of "
                 "at most %d characters", SMD_ENVID_MAX);
        return CL_EX_USAGE;
    }
    return CL_EX_OK;
}

static int smd_run(smd_job *j, int argc, char **argv, int first)
{
    const char *used;
    ut_buf raw;
    int ex, i;

    ex = cl_load_config(j->ctx, NULL, &j->cfg, &used);
    if (ex != CL_EX_OK)
        return ex == CL_EX_CONFIG ? ex : CL_EX_TEMPFAIL;
    {
        const char *h = cf_str(j->cfg, "hostname");

        if (h[0] == '\0' || ut_strlcpy(j->host, h, sizeof j->host) != PL_OK)
            if (pl_hostname(j->host, sizeof j->host) != PL_OK)
                (void)ut_strlcpy(j->host, "localhost", sizeof j->host);
    }
    ex = smd_sender(j);
    for (i = first; ex == CL_EX_OK && i < argc; i++)
        ex = smd_add_list(j, argv[i], "argument");
    if (ex != CL_EX_OK)
        return ex;
    if (!j->o.extract && j->nrcpt == 0)
        return smd_usage(j->ctx, "no recipients given (use -t to take "
                         "them from the header)", NULL);
    ut_buf_init(&raw, (size_t)cf_size(j->cfg, "smtp.max_message_size"));
    ut_buf_init(&j->msg, (size_t)cf_size(j->cfg, "smtp.max_message_size"));
    ex = smd_read(j, &raw);
    if (ex == CL_EX_OK)
        ex = smd_build(j, &raw);
    ut_buf_free(&raw);
    if (ex == CL_EX_OK && j->nrcpt == 0) {
        cl_error(j->ctx, "no recipient addresses found in the header");
        ex = CL_EX_DATAERR;
    }
    if (ex != CL_EX_OK)
        return ex;
    ex = smd_identity(j);
    if (ex == CL_EX_OK)
        ex = smd_queue(j);
    if (ex == SMD_FALLBACK) {
        if (j->o.verbose)
            fprintf(stderr, "%s: may not write the queue; submitting over "
                    "SMTP\n", j->ctx->prog);
        ex = smd_smtp(j);
    }
    return ex;
}

int cl_sendmail_run(cl_ctx *ctx, int argc, char **argv)
{
    static char q0[] = "queue", q1[] = "list";
    smd_job *j;
    int first, ex;

    j = (smd_job *)calloc(1, sizeof *j);
    if (j == NULL)
        return CL_EX_TEMPFAIL;
    j->ctx = ctx;
    j->o.dots_end = 1;
    ex = smd_options(j, argc, argv, &first);
    if (ex == CL_EX_OK && j->o.list_queue) {
        char *qargv[3];

        qargv[0] = q0;
        qargv[1] = q1;
        qargv[2] = NULL;
        free(j);
        return cl_dispatch(ctx, 2, qargv);
    }
    /* Silent on success, as cron and mail user agents expect. */
    if (ex == CL_EX_OK && !j->o.verbose && ctx->verbose == 0)
        ut_log_set_level(PL_LOG_WARN);
    if (ex == CL_EX_OK)
        ex = smd_run(j, argc, argv, first);
    ut_buf_free(&j->msg);
    cf_free(j->cfg);
    free(j->rcpt);
    free(j);
    return ex;
}
