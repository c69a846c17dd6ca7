/*
 * p3_trans.c - TRANSACTION and UPDATE (RFC 1939 5, 6) over a mailbox
 * snapshot (p3_mbox.c: a popstore folder or a native mailbox), with the
 * OpenVMS folder semantics.
 *
 * The session serves NEWMAIL (pop3.use_mail_folder: first moves all of
 * NEWMAIL to MAIL, then serves MAIL), at most pop3.message_maximum
 * messages of it.  Nothing is changed before QUIT: DELE and RETR only
 * mark.  At QUIT deleted messages go to WASTEBASKET (purged when the
 * account has AUTO_PURGE), retrieved ones that were not deleted move to
 * MAIL (marked seen) unless pop3.leave_in_newmail; mail delivered during
 * the session is outside the snapshot and untouched.
 * Sizes come from the index (the CRLF size); the multi-line writer turns
 * CRLF, bare CR and bare LF each into CRLF, adds a CRLF after a last line
 * without one, and doubles a leading dot, so a client's un-stuffed octets
 * equal LIST's number exactly (doc/store-format.md).
 * Message numbers: 1..n of ASCII digits through ut_parse_u64, so
 * "4294967297" is no message, never message 1.
 * Privilege: the service account (store files), or the mail user
 * (native mailboxes).
 */
#include <stdlib.h>
#include <string.h>
#include "p3_int.h"
#include "ut_str.h"
#include "ut_log.h"

/* The dot-stuffing writer: state across chunks of one message. */
typedef struct p3_dot {
    nt_conn *c;
    int bol;            /* at the start of a line */
    int cr;             /* last byte was a CR already sent as CRLF */
    size_t n;
    char buf[4096];
    pl_u64 sent;        /* octets of the message after un-stuffing */
} p3_dot;

static int p3_dot_put(p3_dot *d, char ch)
{
    int rc;

    if (d->n == sizeof d->buf) {
        rc = nt_conn_write(d->c, d->buf, d->n);
        d->n = 0;
        if (rc != PL_OK)
            return rc;
    }
    d->buf[d->n++] = ch;
    return PL_OK;
}

static int p3_dot_out(void *ctx, const void *buf, size_t n)
{
    p3_dot *d = (p3_dot *)ctx;
    const unsigned char *p = (const unsigned char *)buf;
    size_t i;
    int rc = PL_OK;

    for (i = 0; i < n && rc == PL_OK; i++) {
        char ch = (char)p[i];
        if (d->cr) {
            d->cr = 0;
            if (ch == '\n')
                continue;   /* the LF of a CRLF already sent */
        }
        if (ch == '\r' || ch == '\n') {
            rc = p3_dot_put(d, '\r');
            if (rc == PL_OK)
                rc = p3_dot_put(d, '\n');
            d->sent += 2;
            d->cr = (ch == '\r');
            d->bol = 1;
            continue;
        }
        if (d->bol && ch == '.')
            rc = p3_dot_put(d, '.');   /* stuffed: not counted */
        if (rc == PL_OK)
            rc = p3_dot_put(d, ch);
        d->sent++;
        d->bol = 0;
    }
    return rc;
}

static int p3_dot_end(p3_dot *d)
{
    int rc = PL_OK;

    if (!d->bol) {
        rc = p3_dot_put(d, '\r');
        if (rc == PL_OK)
            rc = p3_dot_put(d, '\n');
        d->sent += 2;
    }
    if (rc == PL_OK)
        rc = p3_dot_put(d, '.');
    if (rc == PL_OK)
        rc = p3_dot_put(d, '\r');
    if (rc == PL_OK)
        rc = p3_dot_put(d, '\n');
    if (rc == PL_OK && d->n > 0)
        rc = nt_conn_write(d->c, d->buf, d->n);
    d->n = 0;
    return rc;
}

static int p3_send(p3_sess *s, const char *text, int status)
{
    if (p3_reply(s, text) != PL_OK)
        return PL_EIO;
    return status;
}

/* Parse a message number argument; on failure the -ERR is sent and the
 * result (P3_R_OK) is returned through *res. */
static int p3_msgnum(p3_sess *s, const char *arg, pl_u32 *idx, int *res)
{
    pl_u64 v, size;

    if (ut_parse_u64(arg, strlen(arg), (pl_u64)0xFFFFFFFFUL, &v)
        != PL_OK) {
        *res = p3_send(s, "-ERR Invalid message number", P3_R_OK);
        return 0;
    }
    if (v == 0 || v > s->n) {
        *res = p3_send(s, "-ERR No such message", P3_R_OK);
        return 0;
    }
    if ((s->mark[v - 1] & P3_M_DELE) != 0 ||
        s->ops->info(s, (pl_u32)(v - 1), &size, NULL, 0) != PL_OK) {
        *res = p3_send(s, "-ERR Message is deleted", P3_R_OK);
        return 0;
    }
    *idx = (pl_u32)(v - 1);
    return 1;
}

static void p3_totals(p3_sess *s, pl_u32 *count, pl_u64 *octets)
{
    pl_u64 size;
    pl_u32 i;

    *count = 0;
    *octets = 0;
    for (i = 0; i < s->n; i++) {
        if ((s->mark[i] & P3_M_DELE) == 0 &&
            s->ops->info(s, i, &size, NULL, 0) == PL_OK) {
            (*count)++;
            *octets += size;
        }
    }
}

int p3_trans_open(p3_sess *s)
{
    pl_u32 count = 0;
    int rc = p3_box_store(s, &count);

    return p3_trans_enter(s, rc, count);
}

int p3_trans_enter(p3_sess *s, int rc, pl_u32 count)
{
    pl_i64 max = cf_int(s->env->cfg, "pop3.message_maximum");
    pl_u64 octets;

    if (rc == PL_EAGAIN) {
        p3_trans_close(s);
        return p3_send(s, "-ERR [IN-USE] Mailbox in use by another "
                       "session", P3_R_OK);
    }
    if (rc == PL_OK) {
        s->n = count;
        if (max > 0 && (pl_u64)s->n > (pl_u64)max)
            s->n = (pl_u32)max;
        s->mark = (unsigned char *)calloc((size_t)s->n + 1, 1);
        if (s->mark == NULL)
            rc = PL_ENOMEM;
    }
    if (rc != PL_OK) {
        ut_log(PL_LOG_ERROR, PL_LOGCAT_MAIL, "pop3 %s mailbox %s: "
               "error %d", nt_conn_peer(s->c), s->addr, rc);
        p3_trans_close(s);
        return p3_send(s, "-ERR [SYS/TEMP] Mailbox unavailable, try "
                       "again later", P3_R_OK);
    }
    s->state = P3_S_TRANS;
    s->have_user = 0;
    p3_totals(s, &count, &octets);
    return p3_reply_num(s, "+OK ", count, " messages (", octets,
                        " octets)") == PL_OK ? P3_R_OK : PL_EIO;
}

void p3_trans_close(p3_sess *s)
{
    if (s->ops != NULL)
        s->ops->close(s);
    s->ops = NULL;
    free(s->mark);
    s->mark = NULL;
    s->n = 0;
}

int p3_do_stat(p3_sess *s, int argc, char **argv)
{
    pl_u32 count;
    pl_u64 octets;

    (void)argc;
    (void)argv;
    p3_totals(s, &count, &octets);
    return p3_reply_num(s, "+OK ", count, " ", octets, NULL) == PL_OK
           ? P3_R_OK : PL_EIO;
}

/* LIST and UIDL share their shape: one message or all not deleted. */
static int p3_line(p3_sess *s, pl_u32 i, int uidl, const char *pre)
{
    pl_u64 size;
    char buf[128], num[24], uid[P3_UID_MAX];

    if (s->ops->info(s, i, &size, uid, sizeof uid) != PL_OK)
        return PL_EIO;
    ut_strlcpy(buf, pre, sizeof buf);
    ut_u64_to_dec(num, (pl_u64)i + 1);
    ut_strlcat(buf, num, sizeof buf);
    ut_strlcat(buf, " ", sizeof buf);
    if (uidl) {
        ut_strlcat(buf, uid, sizeof buf);
    } else {
        ut_u64_to_dec(num, size);
        ut_strlcat(buf, num, sizeof buf);
    }
    return p3_reply(s, buf);
}

static int p3_listing(p3_sess *s, int argc, char **argv, int uidl)
{
    pl_u32 i, count;
    pl_u64 octets;
    int res;

    if (argc == 1) {
        if (!p3_msgnum(s, argv[0], &i, &res))
            return res;
        return p3_line(s, i, uidl, "+OK ") == PL_OK ? P3_R_OK : PL_EIO;
    }
    if (uidl) {
        if (p3_reply(s, "+OK Unique-ID listing follows") != PL_OK)
            return PL_EIO;
    } else {
        p3_totals(s, &count, &octets);
        if (p3_reply_num(s, "+OK ", count, " messages (", octets,
                         " octets)") != PL_OK)
            return PL_EIO;
    }
    for (i = 0; i < s->n; i++) {
        if ((s->mark[i] & P3_M_DELE) == 0 &&
            p3_line(s, i, uidl, "") != PL_OK)
            return PL_EIO;
    }
    return p3_reply(s, ".") == PL_OK ? P3_R_OK : PL_EIO;
}

int p3_do_list(p3_sess *s, int argc, char **argv)
{
    return p3_listing(s, argc, argv, 0);
}

int p3_do_uidl(p3_sess *s, int argc, char **argv)
{
    return p3_listing(s, argc, argv, 1);
}

/* Stream message i (whole, or its top nlines) dot-stuffed.  After the +OK
 * an error can not be told to the client: the session ends. */
static int p3_stream(p3_sess *s, pl_u32 i, int top, pl_u64 nlines)
{
    p3_dot d;
    pl_u64 size;
    char uid[P3_UID_MAX];
    int rc;

    if (s->ops->info(s, i, &size, uid, sizeof uid) != PL_OK)
        return PL_EIO;
    if (top)
        rc = p3_reply(s, "+OK Top of message follows");
    else
        rc = p3_reply_num(s, "+OK ", size, NULL, 0, " octets");
    if (rc != PL_OK)
        return PL_EIO;
    memset(&d, 0, sizeof d);
    d.c = s->c;
    d.bol = 1;
    rc = s->ops->read(s, i, top, nlines, p3_dot_out, &d);
    if (rc == PL_OK)
        rc = p3_dot_end(&d);
    if (rc == PL_OK && !top && d.sent != size)
        rc = PL_EIO;   /* never a reply that disagrees with LIST */
    if (rc != PL_OK) {
        ut_log(PL_LOG_ERROR, PL_LOGCAT_MAIL, "pop3 %s %s message %s: "
               "error %d", nt_conn_peer(s->c), s->addr, uid, rc);
        s->result = "message read failed";
        return rc < 0 ? rc : PL_EIO;
    }
    if (!top) {
        s->mark[i] |= P3_M_RETR;
        s->n_retr++;
        s->b_retr += size;
    }
    return P3_R_OK;
}

int p3_do_retr(p3_sess *s, int argc, char **argv)
{
    pl_u32 i;
    int res;

    (void)argc;
    if (!p3_msgnum(s, argv[0], &i, &res))
        return res;
    return p3_stream(s, i, 0, 0);
}

int p3_do_top(p3_sess *s, int argc, char **argv)
{
    pl_u32 i;
    pl_u64 k;
    int res;

    (void)argc;
    if (!p3_msgnum(s, argv[0], &i, &res))
        return res;
    /* Any count of lines is fine: more than the body means all of it. */
    if (ut_parse_u64(argv[1], strlen(argv[1]), ~(pl_u64)0, &k) != PL_OK)
        return p3_send(s, "-ERR Invalid line count", P3_R_OK);
    return p3_stream(s, i, 1, k);
}

int p3_do_dele(p3_sess *s, int argc, char **argv)
{
    pl_u32 i;
    int res;

    (void)argc;
    if (!p3_msgnum(s, argv[0], &i, &res))
        return res;
    s->mark[i] |= P3_M_DELE;
    return p3_send(s, "+OK Message deleted", P3_R_OK);
}

int p3_do_noop(p3_sess *s, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return p3_send(s, "+OK", P3_R_OK);
}

int p3_do_rset(p3_sess *s, int argc, char **argv)
{
    pl_u32 i, count;
    pl_u64 octets;

    (void)argc;
    (void)argv;
    for (i = 0; i < s->n; i++)
        s->mark[i] &= (unsigned char)~P3_M_DELE;
    p3_totals(s, &count, &octets);
    return p3_reply_num(s, "+OK ", count, " messages (", octets,
                        " octets)") == PL_OK ? P3_R_OK : PL_EIO;
}

int p3_do_quit(p3_sess *s, int argc, char **argv)
{
    int rc;

    (void)argc;
    (void)argv;
    if (s->state != P3_S_TRANS) {
        s->result = "quit";
        return p3_send(s, "+OK Bye", P3_R_QUIT);
    }
    rc = s->ops->update(s);
    if (rc != PL_OK) {
        ut_log(PL_LOG_ERROR, PL_LOGCAT_MAIL, "pop3 %s %s update: error %d",
               nt_conn_peer(s->c), s->addr, rc);
        s->result = "update failed";
        return p3_send(s, "-ERR [SYS/TEMP] Some changes could not be "
                       "saved", P3_R_QUIT);
    }
    s->result = "quit";
    return p3_send(s, "+OK Bye", P3_R_QUIT);
}
