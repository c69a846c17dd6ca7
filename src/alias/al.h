/*
 * al.h - local recipients: which addresses are ours, and what a local
 * address expands to (user+tag, the sendmail-format aliases file with
 * lists and :include:, per-account forwarding with keep-a-copy).
 *
 * Contract
 *  - Local domains: the `domains` key and every virtual domain of the
 *    store.  Aliases apply to the domains of `domains` (as sendmail's
 *    aliases file applies to the local host); virtual domains use
 *    accounts and their forwarding only.
 *  - Aliases file (aliases(5)): "name: target, target, ..." with
 *    continuation lines that start with a blank, # comments, targets that
 *    are local names, addresses or ":include:/path" (one target per line
 *    or comma separated).  Program ("|cmd") and file ("/path") targets
 *    are refused at load with the line named: newmail runs no programs
 *    and writes no files for mail.  postmaster must resolve (alias or
 *    account), else the load fails.  The file is re-read when its
 *    modification time changes (checked at most once a second) and on
 *    al_map_reload; a broken new file keeps the previous table in use
 *    and is logged.
 *  - Expansion: depth at most AL_DEPTH_MAX, at most AL_TARGETS_MAX final
 *    targets, duplicates removed, a loop is AL_LOOP.
 * Privilege: the service account (reads the aliases and included files).
 */
#ifndef AL_H
#define AL_H

#include "pl.h"
#include "cf.h"
#include "au.h"

#define AL_DEPTH_MAX   10
#define AL_TARGETS_MAX 1000

/* Target types */
#define AL_T_LOCAL  1   /* a popstore mailbox */
#define AL_T_REMOTE 2   /* an address for the outbound queue */

typedef struct al_target {
    int type;                        /* AL_T_* */
    char user[AU_USER_MAX + 1];      /* LOCAL: the account */
    char domain[AU_DOMAIN_MAX + 1];
    pl_u64 quota, overdraft;         /* LOCAL: the account's limits */
    char addr[AU_ADDR_MAX];          /* REMOTE: local@domain */
} al_target;

/* al_resolve results */
#define AL_OK       0   /* targets in out[0..n-1] */
#define AL_UNKNOWN  1   /* no such user: 550 5.1.1 */
#define AL_DISABLED 2   /* DISMAIL account: 550 5.2.1 */
#define AL_LOOP     3   /* alias loop or too deep / wide: 554 5.4.6 */
#define AL_TEMP     4   /* account database failed: 451 4.3.0 */

typedef struct al_map al_map;

/* Load the aliases file at path spec ("" or NULL: no aliases, *out NULL
 * and PL_OK).  err gets "FILE:LINE: reason" on failure.  db (its default
 * domain) is used to check that postmaster resolves. */
int al_map_open(const char *path, au_db *db, al_map **out, char *err,
                size_t errlen);
void al_map_free(al_map *m);

/* Re-read now (SIGHUP, `newmail ctl reload`); the old table stays in use
 * if the new file is broken (PL_EINVAL, err says why).  The postmaster
 * check uses the db given to al_map_open: call this from the thread that
 * owns that db.  m may be NULL (PL_OK). */
int al_map_reload(al_map *m, char *err, size_t errlen);

typedef struct al_env {
    const cf_config *cfg;   /* domains */
    au_db *db;              /* accounts and virtual domains */
    al_map *map;            /* may be NULL: no aliases */
} al_env;

/* 1 if domain (any case) is local. */
int al_domain_is_local(const al_env *e, const char *domain);

/* Expand local@domain (domain local) into at most max final targets.
 * PL_OK with *result an AL_* value and *n the targets; PL_ERANGE when
 * more than max would be needed.  A local part that is not a plain name
 * ('%', '!', '@', quotes...) is AL_UNKNOWN.  Inside a list, unknown and
 * DISMAIL members are skipped (logged) unless none is left; a loop or a
 * temporary failure anywhere fails the whole address.  Thread-safe: e->db
 * must be the calling thread's own (doc/aliases-format.md). */
int al_resolve(const al_env *e, const char *local, const char *domain,
               al_target *out, int max, int *n, int *result);

#endif
