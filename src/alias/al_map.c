/*
 * al_map.c - the aliases table in use, shared by every session thread:
 * loading with the postmaster check, the reload when a file it was read
 * from (the aliases file or an :include:) changes, and local domains.
 *
 * Threads: one mutex guards the current table pointer, its reader counts
 * and the time of the last check.  A resolver takes the table counted and
 * releases it afterwards, so a reload swaps the pointer while old readers
 * finish with the old table; the last of them frees it.  The files are
 * checked at most once per AL_CHECK_MS, by whichever resolver comes first
 * (holding the mutex, so one reload at a time).
 * A broken new file never replaces a working table: the error is logged
 * (and returned by al_map_reload) and the old table stays in use.
 * Privilege: the service account (reads the aliases and included files).
 */
#include <stdlib.h>
#include <string.h>
#include "al_int.h"
#include "ut_str.h"
#include "ut_log.h"

struct al_map {
    char *path;
    au_db *db;           /* for al_map_reload (the opener's thread) */
    pl_mutex *mu;
    al_table *cur;
    pl_i64 checked;      /* pl_time_mono_ms() of the last file check */
};

/* postmaster (RFC 5321 4.5.1) must reach someone: an alias, or an
 * account in the default domain. */
static int al_check_postmaster(al_table *t, au_db *db, const char *path,
                               char *err, size_t errlen)
{
    au_account *a;
    int rc = PL_ENOENT;

    if (al_table_find(t, "postmaster") != NULL)
        return PL_OK;
    if (db != NULL && au_db_default_domain(db)[0] != '\0') {
        a = (au_account *)malloc(sizeof *a);
        if (a == NULL)
            return PL_ENOMEM;
        rc = au_db_get(db, "postmaster", au_db_default_domain(db), a);
        au_account_wipe(a);
        free(a);
    }
    if (rc == PL_OK)
        return PL_OK;
    ut_strlcpy(err, path, errlen);
    ut_strlcat(err, ":0: postmaster is neither an alias nor an account "
               "of the default domain", errlen);
    return PL_EINVAL;
}

static int al_load(const char *path, au_db *db, al_table **out, char *err,
                   size_t errlen)
{
    int rc = al_parse_file(path, out, err, errlen);

    if (rc != PL_OK)
        return rc;
    rc = al_check_postmaster(*out, db, path, err, errlen);
    if (rc != PL_OK) {
        al_table_free(*out);
        *out = NULL;
    }
    return rc;
}

int al_map_open(const char *path, au_db *db, al_map **out, char *err,
                size_t errlen)
{
    al_map *m;
    int rc;

    *out = NULL;
    if (errlen > 0)
        err[0] = '\0';
    if (path == NULL || path[0] == '\0')
        return PL_OK;
    m = (al_map *)calloc(1, sizeof *m);
    if (m == NULL || (m->path = ut_strdup(path)) == NULL ||
        pl_mutex_create(&m->mu) != PL_OK) {
        if (m != NULL)
            free(m->path);
        free(m);
        ut_strlcpy(err, "out of memory", errlen);
        return PL_ENOMEM;
    }
    m->db = db;
    rc = al_load(path, db, &m->cur, err, errlen);
    if (rc != PL_OK) {
        al_map_free(m);
        return rc;
    }
    m->checked = pl_time_mono_ms();
    *out = m;
    return PL_OK;
}

void al_map_free(al_map *m)
{
    if (m == NULL)
        return;
    al_table_free(m->cur);
    if (m->mu != NULL)
        pl_mutex_destroy(m->mu);
    free(m->path);
    free(m);
}

/* Put t in place; the old table goes when its last reader leaves. */
static void al_swap(al_map *m, al_table *t)
{
    al_table *old = m->cur;

    m->cur = t;
    if (old != NULL && old->refs == 0)
        al_table_free(old);
}

/* Under the mutex. */
static int al_reload_locked(al_map *m, au_db *db, char *err, size_t errlen)
{
    al_table *t;
    int rc = al_load(m->path, db, &t, err, errlen);

    if (rc != PL_OK) {
        ut_log(PL_LOG_ERROR, PL_LOGCAT_MAIL,
               "aliases: %s; the previous table stays in use", err);
        return rc == PL_ENOMEM ? rc : PL_EINVAL;
    }
    al_swap(m, t);
    ut_log(PL_LOG_INFO, PL_LOGCAT_MAIL, "aliases: loaded %s (%d aliases)",
           m->path, t->n);
    return PL_OK;
}

int al_map_reload(al_map *m, char *err, size_t errlen)
{
    int rc;

    if (errlen > 0)
        err[0] = '\0';
    if (m == NULL)
        return PL_OK;
    pl_mutex_lock(m->mu);
    rc = al_reload_locked(m, m->db, err, errlen);
    m->checked = pl_time_mono_ms();
    pl_mutex_unlock(m->mu);
    return rc;
}

/* 1 if a file the table came from changed (or vanished, or appeared). */
static int al_changed(const al_table *t)
{
    pl_file_info fi;
    int i;

    for (i = 0; i < t->nfiles; i++) {
        if (pl_file_info_path(t->files[i].spec, &fi) != PL_OK) {
            if (t->files[i].mtime != -1)
                return 1;
            continue;
        }
        if (fi.mtime != t->files[i].mtime || fi.size != t->files[i].size)
            return 1;
    }
    return 0;
}

/* After a failed reload: take the files' present facts as seen, so the
 * broken version is reported once, and the next edit is tried again. */
static void al_changed_accept(al_table *t)
{
    pl_file_info fi;
    int i;

    for (i = 0; i < t->nfiles; i++) {
        if (pl_file_info_path(t->files[i].spec, &fi) != PL_OK) {
            fi.mtime = -1;
            fi.size = 0;
        }
        t->files[i].mtime = fi.mtime;
        t->files[i].size = fi.size;
    }
}

al_table *al_map_acquire(al_map *m, au_db *db)
{
    char err[300];
    al_table *t;
    pl_i64 now;

    if (m == NULL)
        return NULL;
    pl_mutex_lock(m->mu);
    now = pl_time_mono_ms();
    if (now - m->checked >= AL_CHECK_MS || now < m->checked) {
        m->checked = now;
        if (m->cur == NULL || al_changed(m->cur)) {
            /* a broken file is logged once per change, not per check */
            if (al_reload_locked(m, db, err, sizeof err) != PL_OK &&
                m->cur != NULL)
                al_changed_accept(m->cur);
        }
    }
    t = m->cur;
    if (t != NULL)
        t->refs++;
    pl_mutex_unlock(m->mu);
    return t;
}

void al_map_release(al_map *m, al_table *t)
{
    if (m == NULL || t == NULL)
        return;
    pl_mutex_lock(m->mu);
    if (--t->refs == 0 && t != m->cur)
        al_table_free(t);
    pl_mutex_unlock(m->mu);
}

int al_domain_is_local(const al_env *e, const char *domain)
{
    char dom[AU_DOMAIN_MAX + 1];
    int i, n;
    size_t k;

    if (domain == NULL || ut_strlcpy(dom, domain, sizeof dom) != PL_OK ||
        dom[0] == '\0')
        return 0;
    for (k = 0; dom[k] != '\0'; k++)
        dom[k] = (char)ut_tolower((unsigned char)dom[k]);
    n = cf_list_count(e->cfg, "domains");
    for (i = 0; i < n; i++)
        if (ut_strcaseeq(cf_list_item(e->cfg, "domains", i), dom))
            return 1;
    return e->db != NULL && au_name_check_domain(dom) == PL_OK &&
           au_domain_exists(e->db, dom) == PL_OK;
}
