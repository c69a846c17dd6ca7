/*
 * bn_proc.c - newmail-bench's figures for a server made of many
 * processes (Postfix's master and its smtpd, cleanup, local...; Dovecot's
 * master, pop3-login, pop3, auth...): the process given by --pid and
 * every descendant, found by listing PROC and reading each PROC/N/stat's
 * parent pid.  newmail is one process, so for it the tree is the process.
 *
 * CPU: utime + stime + cutime + cstime of each live process of the tree.
 * A process that ended during the run was waited for by its parent (the
 * masters reap their children), so its time moved into that parent's
 * cutime/cstime and still counts; nothing counts twice.  Memory: the sums
 * of VmRSS (shared library pages counted once per process) and of Pss
 * (shared pages divided among their users: the fair figure for a tree).
 * Limits: BN_MAX_PROCS processes on the system; a process that ends
 * between the listing and the read is skipped.
 * Privilege: runs as any user; Pss of another user's process needs root
 * (ptrace access), else the sum is n/a.
 */
#include <stdlib.h>
#include <string.h>
#include "bn.h"
#include "ut_str.h"

typedef struct plist {
    pl_u32 *pid;
    int n;
} plist;

/* pl_dir_list callback: every all-digit entry of PROC is a process. */
static int add_pid(void *ctx, const char *name, int kind)
{
    plist *pl = (plist *)ctx;
    pl_u64 v;

    if (kind != PL_ENT_DIR || pl->n >= BN_MAX_PROCS
        || ut_parse_u64(name, strlen(name), 0xFFFFFFFFUL, &v) != PL_OK)
        return 0;
    pl->pid[pl->n++] = (pl_u32)v;
    return 0;
}

/* Add one process's figures into t. */
static void add_one(const char *proc_dir, pl_u32 pid, int tree,
                    bn_tree *t, int *pss_ok)
{
    pl_u32 ppid;
    pl_u64 self, child, ticks, rss, pss;

    if (bn_proc_stat(proc_dir, pid, &ppid, &self, &child) != PL_OK
        || bn_proc_read(proc_dir, pid, &ticks, &rss) != PL_OK)
        return;
    t->ticks += tree ? self + child : self;
    t->rss_kib += rss;
    if (bn_proc_pss(proc_dir, pid, &pss) == PL_OK)
        t->pss_kib += pss;
    else
        *pss_ok = 0;
    t->procs++;
}

/* Mark the descendants of root in in[] (parallel to pl->pid[]). */
static void mark_tree(const plist *pl, const pl_u32 *ppid, pl_u32 root,
                      char *in)
{
    int i, j, changed = 1;

    for (i = 0; i < pl->n; i++)
        in[i] = pl->pid[i] == root;
    /* Repeat until no process joins: as many passes as the tree is deep
     * (three or four for the mail servers), never more than n. */
    for (j = 0; changed && j < pl->n; j++) {
        changed = 0;
        for (i = 0; i < pl->n; i++) {
            int k;

            if (in[i] || ppid[i] == 0)
                continue;
            for (k = 0; k < pl->n; k++)
                if (in[k] && pl->pid[k] == ppid[i]) {
                    in[i] = 1;
                    changed = 1;
                    break;
                }
        }
    }
}

int bn_proc_tree(const char *proc_dir, pl_u32 pid, int tree, bn_tree *t)
{
    plist pl;
    pl_u32 *ppid = NULL;
    pl_u64 self, child;
    pl_dir *d = NULL;
    char *in = NULL;
    int i, rc, pss_ok = 1;

    memset(t, 0, sizeof *t);
    if (!tree) {
        add_one(proc_dir, pid, 0, t, &pss_ok);
        if (!pss_ok)
            t->pss_kib = 0;
        return t->procs == 1 ? PL_OK : PL_ENOENT;
    }
    pl.n = 0;
    pl.pid = (pl_u32 *)malloc(BN_MAX_PROCS * sizeof pl.pid[0]);
    ppid = (pl_u32 *)malloc(BN_MAX_PROCS * sizeof ppid[0]);
    in = (char *)malloc(BN_MAX_PROCS);
    rc = pl.pid == NULL || ppid == NULL || in == NULL ? PL_ENOMEM : PL_OK;
    if (rc == PL_OK)
        rc = pl_dir_open_root(proc_dir, 0, &d);
    if (rc == PL_OK)
        rc = pl_dir_list(d, add_pid, &pl);
    pl_dir_close(d);
    for (i = 0; rc == PL_OK && i < pl.n; i++)
        if (bn_proc_stat(proc_dir, pl.pid[i], &ppid[i], &self, &child)
            != PL_OK)
            ppid[i] = 0;        /* gone: joins no tree */
    if (rc == PL_OK) {
        mark_tree(&pl, ppid, pid, in);
        for (i = 0; i < pl.n; i++)
            if (in[i])
                add_one(proc_dir, pl.pid[i], 1, t, &pss_ok);
        if (!pss_ok)
            t->pss_kib = 0;
        if (t->procs == 0)
            rc = PL_ENOENT;
    }
    free(pl.pid);
    free(ppid);
    free(in);
    return rc;
}
