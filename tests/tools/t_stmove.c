/*
 * t_stmove.c - test driver for tests/integration/t_concur.sh: a reader
 * that moves and deletes mail through the store API (st.h) while
 * `newmail deliver` processes deliver into the same mailbox.
 *
 *   t_stmove churn ROOT ADDRESS MS   for MS milliseconds, repeatedly: hold
 *       the POP3 in-use lock, select NEWMAIL, move every third message to
 *       MAIL and delete every third to WASTEBASKET; delete every other
 *       message of MAIL; remove every other message of WASTEBASKET,
 *       printing "removed ID" for each.  Ends with "rounds N".
 *   t_stmove list ROOT ADDRESS       print "FOLDER ID" for every message of
 *       every folder (from a fresh select: index reconciled with files).
 *
 * Exit 0, or 1 with a message on a store error.  Limits: none of its
 * own.  Privilege: the caller's; the store must be the caller's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "st.h"

static int t_fail(const char *what, int rc)
{
    fprintf(stderr, "t_stmove: %s: %s\n", what, pl_strerror(rc));
    return 1;
}

/* One pass over folder `name`: act on message k when k % every == pick. */
static int t_pass(st_mbox *mb, const char *name, const char *dest,
                  pl_u32 every, pl_u32 pick, int print)
{
    st_folder *f;
    st_msginfo mi;
    pl_u32 k, n;
    int rc = st_folder_select(mb, name, &f);

    if (rc != PL_OK)
        return rc;
    n = st_folder_count(f);
    for (k = 0; rc == PL_OK && k < n; k++) {
        if (k % every != pick)
            continue;
        rc = st_folder_info(f, k, &mi);
        if (rc != PL_OK)
            break;
        if (dest != NULL)
            rc = st_msg_move(f, k, dest);
        else
            rc = st_msg_delete(f, k);
        if (rc == PL_OK && print)
            printf("removed %s\n", mi.id);
    }
    if (rc == PL_OK)
        rc = st_folder_commit(f);
    st_folder_close(f);
    return rc;
}

static int t_churn(st_store *s, const char *addr, long ms)
{
    st_mbox *mb;
    pl_i64 end = pl_time_mono_ms() + ms;
    long rounds = 0;
    int rc;

    while (pl_time_mono_ms() < end) {
        rc = st_mbox_open(s, addr, ST_OPEN_CREATE, &mb);
        if (rc != PL_OK)
            return t_fail("open", rc);
        rc = st_mbox_lock(mb);
        if (rc == PL_OK)
            rc = t_pass(mb, ST_NEWMAIL, ST_MAIL, 3, 0, 0);
        if (rc == PL_OK)
            rc = t_pass(mb, ST_NEWMAIL, NULL, 3, 1, 0);
        if (rc == PL_OK)
            rc = t_pass(mb, ST_MAIL, NULL, 2, 0, 0);
        if (rc == PL_OK)
            rc = t_pass(mb, ST_WASTEBASKET, NULL, 2, 1, 1);
        st_mbox_close(mb);
        if (rc != PL_OK)
            return t_fail("churn", rc);
        fflush(stdout);
        rounds++;
    }
    printf("rounds %ld\n", rounds);
    return 0;
}

typedef struct t_lctx {
    st_mbox *mb;
    int rc;
} t_lctx;

static int t_list_cb(void *ctx, const char *name)
{
    t_lctx *c = (t_lctx *)ctx;
    st_folder *f;
    st_msginfo mi;
    pl_u32 k;

    c->rc = st_folder_select(c->mb, name, &f);
    if (c->rc != PL_OK)
        return 1;
    for (k = 0; k < st_folder_count(f); k++)
        if (st_folder_info(f, k, &mi) == PL_OK)
            printf("%s %s\n", name, mi.id);
    st_folder_close(f);
    return 0;
}

int main(int argc, char **argv)
{
    st_store *s;
    st_mbox *mb;
    t_lctx c;
    int rc;

    if (argc < 4 || (strcmp(argv[1], "churn") == 0 && argc != 5)) {
        fprintf(stderr, "usage: t_stmove churn ROOT ADDRESS MS | "
                "list ROOT ADDRESS\n");
        return 2;
    }
    rc = pl_init();
    if (rc == PL_OK)
        rc = st_store_open(argv[2], NULL, &s);
    if (rc != PL_OK)
        return t_fail("store", rc);
    if (strcmp(argv[1], "churn") == 0) {
        rc = t_churn(s, argv[3], atol(argv[4]));
    } else {
        rc = st_mbox_open(s, argv[3], 0, &mb);
        if (rc != PL_OK)
            return t_fail("open", rc);
        c.mb = mb;
        c.rc = PL_OK;
        if (st_mbox_folders(mb, t_list_cb, &c) != PL_OK || c.rc != PL_OK)
            rc = t_fail("list", c.rc);
        st_mbox_close(mb);
    }
    st_store_close(s);
    return rc == 0 && fflush(stdout) == 0 ? 0 : 1;
}
