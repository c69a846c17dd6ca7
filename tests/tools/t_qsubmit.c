/*
 * t_qsubmit.c - test driver for tests/integration/t_queue.sh: writes to
 * the outbound queue through its API (qu.h), as the SMTP server would.
 *
 *   t_qsubmit submit ROOT FROM RCPT[,NOTIFY[,ORCPT]]...   the message on
 *       standard input becomes one entry from FROM ("" for <>) to each
 *       RCPT; NOTIFY is NEVER or a "+"-separated list of SUCCESS, FAILURE,
 *       DELAY.  Prints the queue id.
 *   t_qsubmit status ROOT ID N TEXT   record an attempt on recipient N
 *       (1-based): attempts + 1, last try now, status TEXT, remote
 *       "mx.example.net".
 *   t_qsubmit lock ROOT ID MS   hold the entry's lock for MS milliseconds
 *       (a delivery in progress); prints "locked" once it holds it.
 *
 * Exit 0, or 1 with a message on a queue error (2: usage).  Limits: none
 * of its own (the message is streamed).  Privilege: the caller's; the
 * store must be the caller's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qu.h"

static int t_fail(const char *what, int rc)
{
    fprintf(stderr, "t_qsubmit: %s: %s\n", what, pl_strerror(rc));
    return 1;
}

/* "SUCCESS+FAILURE" or "NEVER" into QU_N_* bits; -1 if unknown. */
static int t_notify(const char *s)
{
    int v = 0;

    while (*s != '\0') {
        size_t n = strcspn(s, "+");
        if (n == 5 && strncmp(s, "NEVER", 5) == 0)
            v |= QU_N_NEVER;
        else if (n == 7 && strncmp(s, "SUCCESS", 7) == 0)
            v |= QU_N_SUCCESS;
        else if (n == 7 && strncmp(s, "FAILURE", 7) == 0)
            v |= QU_N_FAILURE;
        else if (n == 5 && strncmp(s, "DELAY", 5) == 0)
            v |= QU_N_DELAY;
        else
            return -1;
        s += n;
        if (*s == '+')
            s++;
    }
    return v;
}

/* One recipient argument "ADDR[,NOTIFY[,ORCPT]]". */
static int t_rcpt(qu_sub *s, const char *arg)
{
    char buf[1024], *notify, *orcpt = NULL;
    int nv = 0;

    if (strlen(arg) >= sizeof buf)
        return PL_EINVAL;
    strcpy(buf, arg);
    notify = strchr(buf, ',');
    if (notify != NULL) {
        *notify++ = '\0';
        orcpt = strchr(notify, ',');
        if (orcpt != NULL)
            *orcpt++ = '\0';
        nv = t_notify(notify);
        if (nv < 0)
            return PL_EINVAL;
    }
    return qu_sub_rcpt(s, buf, orcpt, nv);
}

static int t_submit(qu_queue *q, int argc, char **argv)
{
    char id[QU_ID_LEN + 1], buf[8192];
    qu_env proto;
    qu_sub *s = NULL;
    size_t n;
    int i, rc;

    memset(&proto, 0, sizeof proto);
    proto.kind = QU_K_MAIL;
    if (strlen(argv[3]) > QU_ADDR_MAX)
        return t_fail("sender", PL_EINVAL);
    strcpy(proto.from, argv[3]);
    strcpy(proto.origin, "t_qsubmit");
    strcpy(proto.envid, "T-ENVID-1");
    proto.ret = QU_RET_HDRS;
    proto.body = QU_BODY_8BIT;
    rc = qu_sub_begin(q, &proto, &s);
    if (rc != PL_OK)
        return t_fail("begin", rc);
    for (i = 4; rc == PL_OK && i < argc; i++)
        rc = t_rcpt(s, argv[i]);
    while (rc == PL_OK && (n = fread(buf, 1, sizeof buf, stdin)) > 0)
        rc = qu_sub_write(s, buf, n);
    if (rc != PL_OK) {
        qu_sub_abort(s);
        return t_fail("recipient or message", rc);
    }
    rc = qu_sub_commit(s, id);
    if (rc != PL_OK)
        return t_fail("commit", rc);
    printf("%s\n", id);
    return 0;
}

static int t_status(qu_queue *q, char **argv)
{
    char why[256];
    qu_env *e = NULL;
    pl_lock *lk = NULL;
    int k = atoi(argv[4]) - 1;
    int rc = qu_lock(q, argv[3], 5000, &lk);

    if (rc == PL_OK)
        rc = qu_env_load(q, argv[3], &e, why, sizeof why);
    if (rc == PL_OK && (k < 0 || k >= e->nrcpt ||
                        strlen(argv[5]) > QU_STATUS_MAX))
        rc = PL_EINVAL;
    if (rc == PL_OK) {
        e->rcpt[k].attempts++;
        e->rcpt[k].last_try = pl_time_now();
        strcpy(e->rcpt[k].status, argv[5]);
        strcpy(e->rcpt[k].remote, "mx.example.net");
        rc = qu_env_save(q, e);
    }
    qu_env_free(e);
    pl_lock_release(lk);
    return rc == PL_OK ? 0 : t_fail("status", rc);
}

static int t_lock(qu_queue *q, char **argv)
{
    pl_lock *lk = NULL;
    int rc = qu_lock(q, argv[3], 5000, &lk);

    if (rc != PL_OK)
        return t_fail("lock", rc);
    printf("locked\n");
    fflush(stdout);
    pl_sleep_ms((pl_i32)atoi(argv[4]));
    pl_lock_release(lk);
    return 0;
}

int main(int argc, char **argv)
{
    pl_dir *root = NULL;
    qu_queue *q = NULL;
    int rc;

    if (argc < 4 || pl_init() != PL_OK) {
        fprintf(stderr, "usage: t_qsubmit submit ROOT FROM RCPT... | "
                "status ROOT ID N TEXT | lock ROOT ID MS\n");
        return 2;
    }
    rc = pl_dir_open_root(argv[2], PL_DIR_CREATE, &root);
    if (rc == PL_OK)
        rc = qu_open(root, &q);
    if (rc != PL_OK)
        return t_fail(argv[2], rc);
    if (strcmp(argv[1], "submit") == 0 && argc >= 5)
        rc = t_submit(q, argc, argv);
    else if (strcmp(argv[1], "status") == 0 && argc == 6)
        rc = t_status(q, argv);
    else if (strcmp(argv[1], "lock") == 0 && argc == 5)
        rc = t_lock(q, argv);
    else
        rc = 2;
    qu_close(q);
    pl_dir_close(root);
    return rc;
}
