/*
 * p3_mbox.c - the mailbox a POP3 session serves, behind one table of
 * operations (p3_mbops): a popstore folder (st_*) or the native mailbox
 * of a system account (pl_nmb_*, per-connection mode only).  The engine
 * (p3_trans.c) sees message numbers, sizes, ids, text and the marks of
 * the session; each backend applies the marks at QUIT its own way.
 *
 * Popstore: NEWMAIL is served (pop3.use_mail_folder moves NEWMAIL to MAIL
 * first and serves MAIL); at QUIT deleted messages go to WASTEBASKET
 * (purged when the account has AUTO_PURGE) and retrieved ones move to MAIL
 * marked seen unless pop3.leave_in_newmail.
 * Native: the new-mail box is served (pop3.use_mail_folder does not
 * apply: there is no second folder to serve); at QUIT deleted messages
 * are removed and retrieved ones move to read mail (~/mbox, Maildir cur/
 * with S, the OpenVMS MAIL folder) unless pop3.leave_in_newmail.
 * Limits: those of the store and of pl_nmb.
 * Privilege: the service account (popstore) or the mail user (native).
 */
#include <string.h>
#include "p3_int.h"
#include "ut_str.h"

/* --- popstore ------------------------------------------------------------ */

static int p3_st_info(p3_sess *s, pl_u32 i, pl_u64 *size, char *uid,
                      size_t un)
{
    st_msginfo mi;
    int rc = st_folder_info(s->f, i, &mi);

    if (rc != PL_OK)
        return rc;
    *size = mi.size;
    if (uid != NULL)
        rc = ut_strlcpy(uid, mi.id, un);
    return rc;
}

static int p3_st_read(p3_sess *s, pl_u32 i, int top, pl_u64 nlines,
                      st_out_fn out, void *ctx)
{
    if (top)
        return st_msg_top(s->f, i, nlines, out, ctx);
    return st_msg_stream(s->f, i, out, ctx);
}

static int p3_st_update(p3_sess *s)
{
    int leave = cf_bool(s->env->cfg, "pop3.leave_in_newmail") ||
                s->use_mail;
    st_msginfo mi;
    pl_u32 i;
    int rc = PL_OK, r;

    for (i = 0; i < s->n; i++) {
        r = PL_OK;
        if ((s->mark[i] & P3_M_DELE) != 0) {
            r = st_msg_delete(s->f, i);
            if (r == PL_OK)
                s->n_dele++;
        } else if ((s->mark[i] & P3_M_RETR) != 0) {
            r = st_folder_info(s->f, i, &mi);
            if (r == PL_OK && (mi.flags & ST_FL_SEEN) == 0)
                r = st_msg_set_flags(s->f, i, mi.flags | ST_FL_SEEN);
            if (r == PL_OK && !leave)
                r = st_msg_move(s->f, i, ST_MAIL);
        }
        if (r != PL_OK && rc == PL_OK)
            rc = r;
    }
    r = st_folder_commit(s->f);
    if (r != PL_OK && rc == PL_OK)
        rc = r;
    if (rc == PL_OK && s->n_dele > 0 && (s->aflags & AU_F_AUTO_PURGE) != 0)
        rc = st_mbox_purge(s->mb, NULL);
    return rc;
}

static void p3_st_close(p3_sess *s)
{
    st_folder_close(s->f);
    s->f = NULL;
    st_mbox_close(s->mb);
    s->mb = NULL;
}

static const p3_mbops p3_st_ops = {
    p3_st_info, p3_st_read, p3_st_update, p3_st_close
};

/* Move everything in NEWMAIL to MAIL (pop3.use_mail_folder). */
static int p3_move_all(p3_sess *s)
{
    st_folder *f;
    pl_u32 i, n;
    int rc;

    rc = st_folder_select(s->mb, ST_NEWMAIL, &f);
    if (rc != PL_OK)
        return rc;
    n = st_folder_count(f);
    for (i = 0; i < n && rc == PL_OK; i++)
        rc = st_msg_move(f, i, ST_MAIL);
    if (rc == PL_OK)
        rc = st_folder_commit(f);
    st_folder_close(f);
    return rc;
}

int p3_box_store(p3_sess *s, pl_u32 *count)
{
    int rc;

    s->ops = &p3_st_ops;
    rc = st_mbox_open(s->env->store, s->addr, ST_OPEN_CREATE, &s->mb);
    if (rc == PL_OK)
        rc = st_mbox_lock(s->mb);
    s->folder = ST_NEWMAIL;
    if (rc == PL_OK && cf_bool(s->env->cfg, "pop3.use_mail_folder")) {
        rc = p3_move_all(s);
        s->folder = ST_MAIL;
        s->use_mail = 1;
    }
    if (rc == PL_OK)
        rc = st_folder_select(s->mb, s->folder, &s->f);
    if (rc == PL_OK)
        *count = st_folder_count(s->f);
    return rc;
}

/* --- native mailbox ------------------------------------------------------ */

static int p3_nm_info(p3_sess *s, pl_u32 i, pl_u64 *size, char *uid,
                      size_t un)
{
    return pl_nmb_info(s->nmb, i, size, uid, uid != NULL ? un : 0);
}

static int p3_nm_read(p3_sess *s, pl_u32 i, int top, pl_u64 nlines,
                      st_out_fn out, void *ctx)
{
    pl_i64 lines = -1;

    if (top)   /* more lines than any message has: all of them */
        lines = nlines > (pl_u64)0x7FFFFFFFL ? (pl_i64)0x7FFFFFFFL
                                             : (pl_i64)nlines;
    return pl_nmb_read(s->nmb, i, lines, out, ctx);
}

static int p3_nm_update(p3_sess *s)
{
    int leave = cf_bool(s->env->cfg, "pop3.leave_in_newmail");
    pl_u32 i;
    int rc = PL_OK, r, d;

    for (i = 0; i < s->n; i++) {
        d = PL_NMB_KEEP;
        if ((s->mark[i] & P3_M_DELE) != 0)
            d = PL_NMB_DELETE;
        else if ((s->mark[i] & P3_M_RETR) != 0 && !leave)
            d = PL_NMB_SEEN;
        r = pl_nmb_set(s->nmb, i, d);
        if (r != PL_OK && rc == PL_OK)
            rc = r;
    }
    if (rc == PL_OK)
        rc = pl_nmb_commit(s->nmb);
    if (rc == PL_OK)
        for (i = 0; i < s->n; i++)
            if ((s->mark[i] & P3_M_DELE) != 0)
                s->n_dele++;
    return rc;
}

static void p3_nm_close(p3_sess *s)
{
    pl_nmb_close(s->nmb);
    s->nmb = NULL;
}

static const p3_mbops p3_nm_ops = {
    p3_nm_info, p3_nm_read, p3_nm_update, p3_nm_close
};

int p3_box_native(p3_sess *s, const pl_user *u, pl_u32 *count)
{
    int rc;

    s->ops = &p3_nm_ops;
    s->folder = ST_NEWMAIL;
    rc = pl_nmb_open(u, &s->nmb);
    if (rc == PL_OK)
        *count = pl_nmb_count(s->nmb);
    return rc;
}
