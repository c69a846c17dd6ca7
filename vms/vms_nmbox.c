/*
 * vms_nmbox.c - native mailboxes of system accounts on OpenVMS
 * (pl_nmb_*): the NEWMAIL folder of the user's own MAIL file, through the
 * callable MAIL routines (OpenVMS Utility Routines Manual, "Mail Utility
 * (MAIL) Routines"): MAIL$USER_BEGIN/GET_INFO/END,
 * MAIL$MAILFILE_BEGIN/OPEN/CLOSE/END and
 * MAIL$MESSAGE_BEGIN/SELECT/INFO/GET/COPY/DELETE/END with item lists.
 *
 * The MAIL file: MAIL.MAI in the mail directory MAIL$USER_GET_INFO gives
 * for the user (MAIL$_USER_FULL_DIRECTORY).
 * Text: the text records of a message (MAIL$_MESSAGE_TEXT; the VMS MAIL
 * header records From:/To:/CC:/Subj: are not part of it), each followed by
 * CRLF.  Mail that came in through SMTP carries its RFC 5322 header in the
 * text; for mail sent with VMS MAIL, whose text has no header, a header
 * is made from the message's From, Subject and date
 * ("From: ...", "Subject: ...", "X-VMS-Date: ...") and a blank line.  A
 * CR or LF inside a record is sent as a space, so every line end is one
 * record end and the sizes counted at open (by reading every record) are
 * exact.
 * Unique ids: the message's binary arrival time (MAIL$_MESSAGE_BINARY_DATE,
 * kept by MAIL across folder moves) in hex, a dot, and a 32-bit hash of
 * its From and Subject: stable across sessions.
 * At commit, working from the highest message number down: SEEN is
 * MAIL$MESSAGE_COPY to the MAIL folder with MAIL$_MESSAGE_DELETE (a move:
 * callable MAIL has no separate move routine); DELETE is
 * MAIL$MESSAGE_DELETE (to WASTEBASKET, as MAIL's DELETE does).  Mail that
 * arrives during the session is outside the selection made at open.
 * One session per mailbox: an exclusive $ENQ lock NEWMAIL$NMB_<user>,
 * taken without waiting (PL_EAGAIN).
 * Limits: VMS_NMB_REC_MAX bytes per record (MAIL's own record limit is
 * smaller); VMS_NMB_MSG_MAX messages.
 * Privilege: runs as the mail user (after pl_become_user); the MAIL file
 * is the user's own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <starlet.h>
#include <descrip.h>
#include <iledef.h>
#include <lckdef.h>
#include <lksbdef.h>
#include <psldef.h>
#include <ssdef.h>
#include <maildef.h>
#include <mail$routines.h>

#include "vms_int.h"

#define VMS_NMB_REC_MAX  2048
#define VMS_NMB_MSG_MAX  100000UL   /* MAIL folders hold far fewer */
#define VMS_NMB_FLD_MAX  256        /* From, Subject, date buffers */
#define VMS_NMB_UID_MAX  32

typedef struct vms_nmsg {
    unsigned int id;          /* MAIL message number in the selection */
    pl_u64 octets;
    int disp;
    char uid[VMS_NMB_UID_MAX];
} vms_nmsg;

struct pl_nmb {
    unsigned int fctx;        /* mail file context */
    unsigned int mctx;        /* message context */
    int file_open, msg_open;
    unsigned int lkid;        /* the session's $ENQ lock; 0: none */
    pl_u32 n;
    vms_nmsg *msg;
};

/* Fill one item list 3 entry. */
static void vms_ile(ILE3 *e, unsigned short code, void *buf,
                    unsigned short len, unsigned short *retlen)
{
    e->ile3$w_code = code;
    e->ile3$w_length = len;
    e->ile3$ps_bufaddr = buf;
    e->ile3$ps_retlen_addr = retlen;
}

static void vms_ile_end(ILE3 *e)
{
    memset(e, 0, sizeof *e);
}

/* --- output: counting or sending, with TOP's line bookkeeping ---------- */

typedef struct vms_sink {
    pl_out_fn out;            /* NULL: count only */
    void *ctx;
    pl_u64 octets;
    int top, in_hdr, done;
    pl_u64 lines;
} vms_sink;

/* One line (without its end) and a CRLF. */
static int vms_sink_line(vms_sink *k, const char *p, size_t n)
{
    char buf[VMS_NMB_REC_MAX + 2];
    size_t i;
    int rc = 0;

    if (k->done)
        return 0;
    for (i = 0; i < n; i++)
        buf[i] = (p[i] == '\r' || p[i] == '\n') ? ' ' : p[i];
    buf[n] = '\r';
    buf[n + 1] = '\n';
    k->octets += (pl_u64)n + 2;
    if (k->out != NULL)
        rc = k->out(k->ctx, buf, n + 2);
    if (k->top) {
        if (k->in_hdr) {
            if (n == 0) {
                k->in_hdr = 0;
                k->done = k->lines == 0;
            }
        } else if (--k->lines == 0) {
            k->done = 1;
        }
    }
    return rc;
}

/* "Name:" with a name of printable characters: an RFC 5322 field. */
static int vms_is_field(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] == ':')
            return i > 0;
        if ((unsigned char)p[i] <= 32 || (unsigned char)p[i] >= 127)
            return 0;
    }
    return 0;
}

/* --- MAIL calls -------------------------------------------------------- */

/* A message's From, Subject, date and arrival time. */
typedef struct vms_minfo {
    char from[VMS_NMB_FLD_MAX], subj[VMS_NMB_FLD_MAX], date[VMS_NMB_FLD_MAX];
    unsigned short lfrom, lsubj, ldate;
    pl_u64 bindate;
} vms_minfo;

static int vms_nmb_info(pl_nmb *m, unsigned int id, vms_minfo *mi)
{
    ILE3 in[3], out[5];
    unsigned int s;

    memset(mi, 0, sizeof *mi);
    vms_ile(&in[0], MAIL$_MESSAGE_ID, &id, sizeof id, NULL);
    vms_ile(&in[1], MAIL$_NOSIGNAL, NULL, 0, NULL);
    vms_ile_end(&in[2]);
    vms_ile(&out[0], MAIL$_MESSAGE_FROM, mi->from, sizeof mi->from - 1,
            &mi->lfrom);
    vms_ile(&out[1], MAIL$_MESSAGE_SUBJECT, mi->subj, sizeof mi->subj - 1,
            &mi->lsubj);
    vms_ile(&out[2], MAIL$_MESSAGE_DATE, mi->date, sizeof mi->date - 1,
            &mi->ldate);
    vms_ile(&out[3], MAIL$_MESSAGE_BINARY_DATE, &mi->bindate,
            sizeof mi->bindate, NULL);
    vms_ile_end(&out[4]);
    s = mail$message_info(&m->mctx, in, out);
    if (!(s & 1))
        return vms_fail(s);
    return PL_OK;
}

/* The made-up header of a message whose text has none. */
static int vms_nmb_header(vms_sink *k, const vms_minfo *mi)
{
    char line[VMS_NMB_FLD_MAX + 16];
    int n, rc;

    n = sprintf(line, "From: %.*s", (int)mi->lfrom, mi->from);
    rc = vms_sink_line(k, line, (size_t)n);
    n = sprintf(line, "Subject: %.*s", (int)mi->lsubj, mi->subj);
    if (rc == 0)
        rc = vms_sink_line(k, line, (size_t)n);
    n = sprintf(line, "X-VMS-Date: %.*s", (int)mi->ldate, mi->date);
    if (rc == 0)
        rc = vms_sink_line(k, line, (size_t)n);
    if (rc == 0)
        rc = vms_sink_line(k, "", 0);
    return rc;
}

/* Every text record of message id through k.  The first MAIL$MESSAGE_GET
 * positions on the message; MAIL$_MESSAGE_CONTINUE then returns its
 * records until a status that is not success (MAIL$_NOMOREREC). */
static int vms_nmb_text(pl_nmb *m, unsigned int id, const vms_minfo *mi,
                        vms_sink *k)
{
    char rec[VMS_NMB_REC_MAX];
    unsigned short rlen = 0, rtype = 0;
    ILE3 in[3], out[3], none[1];
    unsigned int s;
    int first = 1, rc = 0;

    vms_ile_end(&none[0]);
    vms_ile(&in[0], MAIL$_MESSAGE_ID, &id, sizeof id, NULL);
    vms_ile(&in[1], MAIL$_NOSIGNAL, NULL, 0, NULL);
    vms_ile_end(&in[2]);
    s = mail$message_get(&m->mctx, in, none);
    if (!(s & 1))
        return vms_fail(s);
    vms_ile(&in[0], MAIL$_MESSAGE_CONTINUE, NULL, 0, NULL);
    vms_ile(&out[0], MAIL$_MESSAGE_RECORD, rec, sizeof rec, &rlen);
    vms_ile(&out[1], MAIL$_MESSAGE_RECORD_TYPE, &rtype, sizeof rtype, NULL);
    vms_ile_end(&out[2]);
    while (rc == 0 && !k->done) {
        rlen = 0;
        rtype = 0;
        s = mail$message_get(&m->mctx, in, out);
        if (!(s & 1))
            break;   /* the end of the message's records */
        if (rtype == MAIL$_MESSAGE_HEADER)
            continue;
        if (rlen > sizeof rec)
            rlen = sizeof rec;
        if (first && !vms_is_field(rec, rlen))
            rc = vms_nmb_header(k, mi);
        first = 0;
        if (rc == 0)
            rc = vms_sink_line(k, rec, rlen);
    }
    return rc;
}

/* The id: arrival time and a hash of From and Subject. */
static void vms_nmb_uid(const vms_minfo *mi, char *uid)
{
    pl_u32 h = 2166136261UL;
    size_t i;

    for (i = 0; i < mi->lfrom; i++)
        h = (h ^ (unsigned char)mi->from[i]) * 16777619UL;
    for (i = 0; i < mi->lsubj; i++)
        h = (h ^ (unsigned char)mi->subj[i]) * 16777619UL;
    sprintf(uid, "%08lx%08lx.%08lx",
            (unsigned long)((mi->bindate >> 32) & 0xFFFFFFFFUL),
            (unsigned long)(mi->bindate & 0xFFFFFFFFUL), (unsigned long)h);
}

/* --- the session lock ---------------------------------------------------- */

static int vms_nmb_lock(pl_nmb *m, const char *user)
{
    char res[32];
    struct dsc$descriptor_s d;
    struct _lksb lksb;
    unsigned int s;

    /* Resource names are at most 31 characters; user names 12. */
    sprintf(res, "NEWMAIL$NMB_%.12s", user);
    vms_desc(&d, res, strlen(res));
    memset(&lksb, 0, sizeof lksb);
    s = sys$enqw(0, LCK$K_EXMODE, &lksb, LCK$M_NOQUEUE, &d, 0, NULL, 0,
                 NULL, PSL$C_USER, 0);
    if (s & 1)
        s = lksb.lksb$w_status;
    if (!(s & 1))
        return vms_fail(s);   /* SS$_NOTQUEUED: PL_EAGAIN */
    m->lkid = lksb.lksb$l_lkid;
    return PL_OK;
}

/* --- the contract -------------------------------------------------------- */

/* The user's mail directory as MAIL keeps it (MAIL$USER_GET_INFO,
 * MAIL$_USER_FULL_DIRECTORY: the login directory or its SET
 * MAIL_DIRECTORY subdirectory), so the MAIL file opened is the user's
 * even though a persona does not move SYS$LOGIN. */
static int vms_nmb_maildir(const char *user, char *dir, unsigned short *dl)
{
    ILE3 in[3], out[2], none[1];
    unsigned int uctx = 0, s;

    *dl = 0;
    vms_ile_end(&none[0]);
    s = mail$user_begin(&uctx, none, none);
    if (!(s & 1))
        return vms_fail(s);
    vms_ile(&in[0], MAIL$_USER_USERNAME, (void *)user,
            (unsigned short)strlen(user), NULL);
    vms_ile(&in[1], MAIL$_NOSIGNAL, NULL, 0, NULL);
    vms_ile_end(&in[2]);
    vms_ile(&out[0], MAIL$_USER_FULL_DIRECTORY, dir, VMS_SPEC_MAX, dl);
    vms_ile_end(&out[1]);
    s = mail$user_get_info(&uctx, in, out);
    (void)mail$user_end(&uctx, none, none);
    if (!(s & 1))
        return vms_fail(s);
    if (*dl > VMS_SPEC_MAX)
        *dl = VMS_SPEC_MAX;
    dir[*dl] = '\0';
    return PL_OK;
}

/* Open the user's MAIL file and select NEWMAIL; *count gets its size. */
static int vms_nmb_select(pl_nmb *m, const char *user, unsigned int *count)
{
    static char folder[] = "NEWMAIL";
    static char file[] = "MAIL";
    char dir[VMS_SPEC_MAX + 1];
    unsigned short dl = 0;
    ILE3 in[4], out[2], none[1];
    unsigned int s;
    int rc;

    *count = 0;
    vms_ile_end(&none[0]);
    rc = vms_nmb_maildir(user, dir, &dl);
    if (rc != PL_OK)
        return rc;
    s = mail$mailfile_begin(&m->fctx, none, none);
    if (!(s & 1))
        return vms_fail(s);
    vms_ile(&in[0], MAIL$_MAILFILE_DEFAULT_NAME, dir, dl, NULL);
    vms_ile(&in[1], MAIL$_MAILFILE_NAME, file, sizeof file - 1, NULL);
    vms_ile(&in[2], MAIL$_NOSIGNAL, NULL, 0, NULL);
    vms_ile_end(&in[3]);
    s = mail$mailfile_open(&m->fctx, in, none);
    if (!(s & 1)) {
        int rc = vms_fail(s);
        return rc == PL_ENOENT ? PL_OK : rc;   /* never had mail */
    }
    m->file_open = 1;
    vms_ile(&in[0], MAIL$_MESSAGE_FILE_CTX, &m->fctx, sizeof m->fctx, NULL);
    vms_ile_end(&in[1]);
    s = mail$message_begin(&m->mctx, in, none);
    if (!(s & 1))
        return vms_fail(s);
    m->msg_open = 1;
    vms_ile(&in[0], MAIL$_MESSAGE_FOLDER, folder, sizeof folder - 1, NULL);
    vms_ile(&in[1], MAIL$_NOSIGNAL, NULL, 0, NULL);
    vms_ile_end(&in[2]);
    vms_ile(&out[0], MAIL$_MESSAGE_SELECTED, count, sizeof *count, NULL);
    vms_ile_end(&out[1]);
    s = mail$message_select(&m->mctx, in, out);
    if (!(s & 1))
        *count = 0;   /* no NEWMAIL folder: no new mail */
    return PL_OK;
}

int pl_nmb_open(const pl_user *u, pl_nmb **out)
{
    vms_minfo mi;
    vms_sink k;
    unsigned int count = 0, i;
    pl_nmb *m;
    int rc;

    if (u == NULL || out == NULL || u->name[0] == '\0')
        return PL_EINVAL;
    *out = NULL;
    m = (pl_nmb *)calloc(1, sizeof *m);
    if (m == NULL)
        return PL_ENOMEM;
    rc = vms_nmb_lock(m, u->name);
    if (rc == PL_OK)
        rc = vms_nmb_select(m, u->name, &count);
    if (rc == PL_OK && count > VMS_NMB_MSG_MAX)
        count = VMS_NMB_MSG_MAX;
    if (rc == PL_OK && count > 0) {
        m->msg = (vms_nmsg *)calloc(count, sizeof *m->msg);
        if (m->msg == NULL)
            rc = PL_ENOMEM;
    }
    for (i = 0; rc == PL_OK && i < count; i++) {
        m->msg[i].id = i + 1;
        rc = vms_nmb_info(m, i + 1, &mi);
        if (rc == PL_OK) {
            memset(&k, 0, sizeof k);
            rc = vms_nmb_text(m, i + 1, &mi, &k);
            m->msg[i].octets = k.octets;
            vms_nmb_uid(&mi, m->msg[i].uid);
        }
        m->n = i + 1;
    }
    if (rc != PL_OK) {
        pl_nmb_close(m);
        return rc;
    }
    *out = m;
    return PL_OK;
}

pl_u32 pl_nmb_count(const pl_nmb *m)
{
    return m != NULL ? m->n : 0;
}

int pl_nmb_info(pl_nmb *m, pl_u32 i, pl_u64 *octets, char *uid, size_t un)
{
    if (m == NULL || i >= m->n)
        return PL_ENOENT;
    if (octets != NULL)
        *octets = m->msg[i].octets;
    if (uid != NULL) {
        if (strlen(m->msg[i].uid) >= un)
            return PL_ERANGE;
        strcpy(uid, m->msg[i].uid);
    }
    return PL_OK;
}

int pl_nmb_read(pl_nmb *m, pl_u32 i, pl_i64 body_lines, pl_out_fn out,
                void *ctx)
{
    vms_minfo mi;
    vms_sink k;
    int rc;

    if (m == NULL || i >= m->n || out == NULL)
        return PL_ENOENT;
    memset(&k, 0, sizeof k);
    k.out = out;
    k.ctx = ctx;
    k.in_hdr = 1;
    if (body_lines >= 0) {
        k.top = 1;
        k.lines = (pl_u64)body_lines;
        k.done = 0;
    }
    rc = vms_nmb_info(m, m->msg[i].id, &mi);
    if (rc == PL_OK)
        rc = vms_nmb_text(m, m->msg[i].id, &mi, &k);
    if (rc == PL_OK && body_lines < 0 && k.octets != m->msg[i].octets)
        rc = PL_EIO;   /* never a message that disagrees with LIST */
    return rc;
}

int pl_nmb_set(pl_nmb *m, pl_u32 i, int disposition)
{
    if (m == NULL || i >= m->n)
        return PL_ENOENT;
    if (disposition != PL_NMB_KEEP && disposition != PL_NMB_SEEN &&
        disposition != PL_NMB_DELETE)
        return PL_EINVAL;
    m->msg[i].disp = disposition;
    return PL_OK;
}

/* Move message id to the MAIL folder (copy, then delete the original). */
static unsigned int vms_nmb_to_mail(pl_nmb *m, unsigned int id)
{
    static char folder[] = "MAIL";
    ILE3 in[5], none[1];

    vms_ile_end(&none[0]);
    vms_ile(&in[0], MAIL$_MESSAGE_ID, &id, sizeof id, NULL);
    vms_ile(&in[1], MAIL$_MESSAGE_FOLDER, folder, sizeof folder - 1, NULL);
    vms_ile(&in[2], MAIL$_MESSAGE_DELETE, NULL, 0, NULL);
    vms_ile(&in[3], MAIL$_NOSIGNAL, NULL, 0, NULL);
    vms_ile_end(&in[4]);
    return mail$message_copy(&m->mctx, in, none);
}

static unsigned int vms_nmb_delete(pl_nmb *m, unsigned int id)
{
    ILE3 in[3], none[1];

    vms_ile_end(&none[0]);
    vms_ile(&in[0], MAIL$_MESSAGE_ID, &id, sizeof id, NULL);
    vms_ile(&in[1], MAIL$_NOSIGNAL, NULL, 0, NULL);
    vms_ile_end(&in[2]);
    return mail$message_delete(&m->mctx, in, none);
}

int pl_nmb_commit(pl_nmb *m)
{
    unsigned int s;
    pl_u32 i;
    int rc = PL_OK;

    if (m == NULL)
        return PL_EINVAL;
    /* From the highest number down, so no number shifts under us. */
    for (i = m->n; i > 0; i--) {
        vms_nmsg *e = &m->msg[i - 1];
        s = SS$_NORMAL;
        if (e->disp == PL_NMB_SEEN)
            s = vms_nmb_to_mail(m, e->id);
        else if (e->disp == PL_NMB_DELETE)
            s = vms_nmb_delete(m, e->id);
        if (!(s & 1) && rc == PL_OK)
            rc = vms_fail(s);
        if (s & 1)
            e->disp = PL_NMB_KEEP;
    }
    return rc;
}

void pl_nmb_close(pl_nmb *m)
{
    ILE3 none[1];

    if (m == NULL)
        return;
    vms_ile_end(&none[0]);
    if (m->msg_open)
        (void)mail$message_end(&m->mctx, none, none);
    if (m->file_open)
        (void)mail$mailfile_close(&m->fctx, none, none);
    if (m->fctx != 0)
        (void)mail$mailfile_end(&m->fctx, none, none);
    if (m->lkid != 0)
        (void)sys$deq(m->lkid, NULL, PSL$C_USER, 0);
    free(m->msg);
    free(m);
}
