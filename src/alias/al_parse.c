/*
 * al_parse.c - the aliases file parser (aliases(5), sendmail format):
 * "name: target, target, ..." entries, continuation lines that start with
 * a blank, '#' comment lines, and ":include:FILE" targets whose file holds
 * more targets (one or more per line, comma separated, '#' comments).
 *
 * Rules (doc/aliases-format.md): names are plain local names, folded to
 * lower case, defined once; a target is a local name, "\name" (the
 * account's own mailbox), an address local@domain (checked as a
 * forwarding address: no '%', '!', quotes, routes) or an include.
 * Program ("|cmd") and file ("/path") targets, quoted or not, are refused
 * with the file and line named: newmail runs no programs and writes no
 * files for mail.  A comment or blank line ends an entry; a continuation
 * line with no entry before it is an error.  Includes are read at load
 * (and their modification times kept, so an edit triggers a reload), each
 * at most AL_FILE_MAX octets, AL_INCLUDE_DEPTH deep.
 * Limits: al_int.h.  Any byte may be hostile: NUL and control characters
 * other than tab (and CR before LF) are refused.
 * Privilege: the service account (reads the files named).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "al_int.h"
#include "ut_str.h"

typedef struct al_pctx {
    al_table *t;
    int includes;        /* files read through :include: so far */
    char *err;
    size_t errlen;
} al_pctx;

static int al_fail(al_pctx *p, const char *fname, int line,
                   const char *why, const char *what)
{
    char num[24];

    ut_u64_to_dec(num, (pl_u64)line);
    ut_strlcpy(p->err, fname, p->errlen);
    ut_strlcat(p->err, ":", p->errlen);
    ut_strlcat(p->err, num, p->errlen);
    ut_strlcat(p->err, ": ", p->errlen);
    ut_strlcat(p->err, why, p->errlen);
    if (what != NULL) {
        ut_strlcat(p->err, ": ", p->errlen);
        ut_strlcat(p->err, what, p->errlen);
    }
    return PL_EINVAL;
}

int al_name_ok(const char *name)
{
    size_t i, n = strlen(name);

    if (n == 0 || n > AL_NAME_MAX || name[0] == '.' || name[n - 1] == '.')
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+' ||
              c == '-'))
            return 0;
    }
    return 1;
}

static void al_lower(char *s)
{
    for (; *s != '\0'; s++)
        *s = (char)ut_tolower((unsigned char)*s);
}

void al_table_free(al_table *t)
{
    int i, j;

    if (t == NULL)
        return;
    for (i = 0; i < t->n; i++) {
        for (j = 0; j < t->e[i].n; j++)
            free(t->e[i].t[j].text);
        free(t->e[i].t);
        free(t->e[i].name);
    }
    for (i = 0; i < t->nfiles; i++)
        free(t->files[i].spec);
    free(t->files);
    free(t->e);
    free(t);
}

static int al_cmp_entry(const void *a, const void *b)
{
    return strcmp(((const al_entry *)a)->name, ((const al_entry *)b)->name);
}

const al_entry *al_table_find(const al_table *t, const char *name)
{
    al_entry key;

    if (t == NULL || t->n == 0)
        return NULL;
    key.name = (char *)name;
    return (const al_entry *)bsearch(&key, t->e, (size_t)t->n,
                                     sizeof *t->e, al_cmp_entry);
}

/* Grow an array of elements of size sz to hold one more. */
static int al_grow(void **arr, int *cap, int n, size_t sz)
{
    void *nb;
    int nc;

    if (n < *cap)
        return PL_OK;
    nc = *cap == 0 ? 8 : *cap * 2;
    nb = realloc(*arr, (size_t)nc * sz);
    if (nb == NULL)
        return PL_ENOMEM;
    *arr = nb;
    *cap = nc;
    return PL_OK;
}

static int al_add_target(al_entry *e, int kind, const char *text)
{
    char *dup;

    if (al_grow((void **)&e->t, &e->cap, e->n, sizeof *e->t) != PL_OK)
        return PL_ENOMEM;
    dup = ut_strdup(text);
    if (dup == NULL)
        return PL_ENOMEM;
    e->t[e->n].kind = kind;
    e->t[e->n].text = dup;
    e->n++;
    return PL_OK;
}

/* Remember a file the table depends on (its facts before it is read, so
 * an edit during the load still looks like a change afterwards). */
static int al_note_file(al_table *t, const char *spec)
{
    pl_file_info fi;
    al_file *nb;

    nb = (al_file *)realloc(t->files, (size_t)(t->nfiles + 1) * sizeof *nb);
    if (nb == NULL)
        return PL_ENOMEM;
    t->files = nb;
    nb[t->nfiles].spec = ut_strdup(spec);
    if (nb[t->nfiles].spec == NULL)
        return PL_ENOMEM;
    if (pl_file_info_path(spec, &fi) != PL_OK) {
        fi.mtime = -1;
        fi.size = 0;
    }
    nb[t->nfiles].mtime = fi.mtime;
    nb[t->nfiles].size = fi.size;
    t->nfiles++;
    return PL_OK;
}

/* Read a whole file of at most AL_FILE_MAX octets (caller frees *buf). */
static int al_read_file(const char *spec, char **buf, size_t *len)
{
    pl_file *f;
    char *b;
    size_t n = 0, got;
    int rc;

    rc = pl_file_open_path(spec, &f);
    if (rc != PL_OK)
        return rc;
    b = (char *)malloc((size_t)AL_FILE_MAX + 1);
    if (b == NULL) {
        pl_file_close(f);
        return PL_ENOMEM;
    }
    for (;;) {
        rc = pl_file_read(f, b + n, (size_t)AL_FILE_MAX + 1 - n, &got);
        if (rc == PL_EOF || (rc == PL_OK && got == 0)) {
            rc = PL_OK;
            break;
        }
        if (rc != PL_OK)
            break;
        n += got;
        if (n > (size_t)AL_FILE_MAX) {
            rc = PL_ERANGE;
            break;
        }
    }
    pl_file_close(f);
    if (rc != PL_OK) {
        free(b);
        return rc;
    }
    *buf = b;
    *len = n;
    return PL_OK;
}

static int al_parse_include(al_pctx *p, al_entry *e, const char *fname,
                            int line, const char *spec, int depth);

/* One target (trimmed, NUL-terminated, may be modified). */
static int al_one_target(al_pctx *p, al_entry *e, const char *fname, int line,
                     char *s, int depth)
{
    char addr[AU_FWD_ADDR_MAX + 1];
    size_t n = strlen(s);
    int quoted = 0;

    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s[n - 1] = '\0';
        s++;
        quoted = 1;
    }
    if (s[0] == '|')
        return al_fail(p, fname, line, "program targets are not supported "
                       "(newmail runs no programs for mail)", s);
    if (s[0] == '/')
        return al_fail(p, fname, line, "file targets are not supported "
                       "(newmail writes no files for mail)", s);
    if (quoted || strchr(s, '"') != NULL)
        return al_fail(p, fname, line, "quoted targets are not supported",
                       s);
    if (ut_strncaseeq(s, ":include:", 9)) {
        s = ut_trim(s + 9);
        if (s[0] == '\0')
            return al_fail(p, fname, line, ":include: without a file",
                           NULL);
        return al_parse_include(p, e, fname, line, s, depth);
    }
    if (s[0] == '\\') {
        if (!al_name_ok(s + 1))
            return al_fail(p, fname, line, "bad account name", s);
        al_lower(s + 1);
        return al_add_target(e, AL_K_ACCT, s + 1);
    }
    if (strchr(s, '@') != NULL) {
        if (ut_strlcpy(addr, s, sizeof addr) != PL_OK ||
            au_fwd_check(addr) != PL_OK)
            return al_fail(p, fname, line, "bad address", s);
        return al_add_target(e, AL_K_ADDR, addr);
    }
    if (!al_name_ok(s))
        return al_fail(p, fname, line, "bad name (a local name, \\name, "
                       "local@domain or :include:FILE)", s);
    al_lower(s);
    return al_add_target(e, AL_K_NAME, s);
}

/* The comma-separated targets in s (modified). */
static int al_targets(al_pctx *p, al_entry *e, const char *fname, int line,
                      char *s, int depth)
{
    char *start = s, *q;
    int inq = 0, rc;

    for (q = s;; q++) {
        if (*q == '"')
            inq = !inq;
        if (*q != '\0' && (*q != ',' || inq))
            continue;
        if (*q == '\0' && inq)
            return al_fail(p, fname, line, "unterminated quote", NULL);
        {
            int end = *q == '\0';
            char *t;

            *q = '\0';
            t = ut_trim(start);
            if (t[0] != '\0') {
                rc = al_one_target(p, e, fname, line, t, depth);
                if (rc != PL_OK)
                    return rc;
            }
            if (end)
                return PL_OK;
            start = q + 1;
        }
    }
}

/* Split text into lines in place: returns the next line (NUL-terminated,
 * no CR LF) or NULL at the end; refuses control characters. */
static int al_next_line(al_pctx *p, const char *fname, char **pos,
                        char *end, int lineno, char **line)
{
    char *s = *pos, *q;

    if (s >= end) {
        *line = NULL;
        return PL_OK;
    }
    for (q = s; q < end && *q != '\n'; q++) {
        unsigned char c = (unsigned char)*q;
        if ((c < 32 && c != '\t' && !(c == '\r' && q + 1 < end &&
                                      q[1] == '\n')) || c == 127)
            return al_fail(p, fname, lineno, "control character in line",
                           NULL);
    }
    *pos = q < end ? q + 1 : end;
    if (q > s && q[-1] == '\r')
        q--;
    *q = '\0';
    *line = s;
    return PL_OK;
}

/* An included file: targets only. */
static int al_parse_include(al_pctx *p, al_entry *e, const char *fname,
                            int line, const char *spec, int depth)
{
    char *buf, *pos, *l;
    size_t len;
    int rc, ln = 0;

    if (depth >= AL_INCLUDE_DEPTH)
        return al_fail(p, fname, line, ":include: nested too deeply", spec);
    if (++p->includes > AL_INCLUDES_MAX)
        return al_fail(p, fname, line, "too many :include: files", spec);
    if (al_note_file(p->t, spec) != PL_OK)
        return al_fail(p, fname, line, "out of memory", NULL);
    rc = al_read_file(spec, &buf, &len);
    if (rc == PL_ERANGE)
        return al_fail(p, fname, line, ":include: file too large", spec);
    if (rc != PL_OK)
        return al_fail(p, fname, line, ":include: file cannot be read",
                       spec);
    pos = buf;
    for (;;) {
        rc = al_next_line(p, spec, &pos, buf + len, ln + 1, &l);
        if (rc != PL_OK || l == NULL)
            break;
        ln++;
        l = ut_trim(l);
        if (l[0] == '#' || l[0] == '\0')
            continue;
        rc = al_targets(p, e, spec, ln, l, depth + 1);
        if (rc != PL_OK)
            break;
    }
    free(buf);
    return rc;
}

/* "name: targets" at the start of an entry. */
static int al_entry_start(al_pctx *p, const char *fname, int line, char *l,
                          al_entry **cur)
{
    al_table *t = p->t;
    char *colon = strchr(l, ':'), *name;
    al_entry *e;

    if (colon == NULL)
        return al_fail(p, fname, line, "missing ':' after the alias name",
                       NULL);
    *colon = '\0';
    name = ut_trim(l);
    if (name[0] == '\0')
        return al_fail(p, fname, line, "empty alias name", NULL);
    if (!al_name_ok(name))
        return al_fail(p, fname, line, "bad alias name", name);
    al_lower(name);
    if (al_grow((void **)&t->e, &t->cap, t->n, sizeof *t->e) != PL_OK)
        return al_fail(p, fname, line, "out of memory", NULL);
    e = &t->e[t->n];
    memset(e, 0, sizeof *e);
    e->name = ut_strdup(name);
    if (e->name == NULL)
        return al_fail(p, fname, line, "out of memory", NULL);
    e->line = line;
    t->n++;
    *cur = e;
    return al_targets(p, e, fname, line, colon + 1, 0);
}

static int al_entry_end(al_pctx *p, const char *fname, al_entry *e)
{
    if (e != NULL && e->n == 0)
        return al_fail(p, fname, e->line, "alias without targets", e->name);
    return PL_OK;
}

/* Sort, then refuse a name defined twice (naming both lines). */
static int al_check_dups(al_pctx *p, const char *fname)
{
    al_table *t = p->t;
    char first[24];
    int i;

    if (t->n < 2)
        return PL_OK;   /* nothing to sort (and e may be NULL) */
    qsort(t->e, (size_t)t->n, sizeof *t->e, al_cmp_entry);
    for (i = 1; i < t->n; i++)
        if (strcmp(t->e[i - 1].name, t->e[i].name) == 0) {
            const al_entry *a = &t->e[i - 1], *b = &t->e[i];
            char msg[120];

            ut_u64_to_dec(first, (pl_u64)(a->line < b->line ? a->line
                                                            : b->line));
            ut_strlcpy(msg, "alias defined twice (first at line ",
                       sizeof msg);
            ut_strlcat(msg, first, sizeof msg);
            ut_strlcat(msg, ")", sizeof msg);
            return al_fail(p, fname, a->line > b->line ? a->line : b->line,
                           msg, a->name);
        }
    return PL_OK;
}

static int al_parse_lines(al_pctx *p, const char *fname, char *buf,
                          size_t len)
{
    char *pos = buf, *l;
    al_entry *cur = NULL;
    int rc, ln = 0;

    for (;;) {
        rc = al_next_line(p, fname, &pos, buf + len, ln + 1, &l);
        if (rc != PL_OK)
            return rc;
        if (l == NULL)
            break;
        ln++;
        if (l[0] == ' ' || l[0] == '\t') {
            if (ut_trim(l)[0] == '\0') {
                rc = al_entry_end(p, fname, cur);
                cur = NULL;
            } else if (cur == NULL) {
                rc = al_fail(p, fname, ln, "continuation line without an "
                             "alias before it", NULL);
            } else {
                rc = al_targets(p, cur, fname, ln, l, 0);
            }
        } else {
            rc = al_entry_end(p, fname, cur);
            cur = NULL;
            if (rc == PL_OK && l[0] != '#' && l[0] != '\0')
                rc = al_entry_start(p, fname, ln, l, &cur);
        }
        if (rc != PL_OK)
            return rc;
    }
    rc = al_entry_end(p, fname, cur);
    return rc == PL_OK ? al_check_dups(p, fname) : rc;
}

int al_parse_text(const char *fname, const char *text, size_t len,
                  al_table **out, char *err, size_t errlen)
{
    al_pctx p;
    char *buf;
    int rc;

    *out = NULL;
    memset(&p, 0, sizeof p);
    p.err = err;
    p.errlen = errlen;
    if (errlen > 0)
        err[0] = '\0';
    if (len > (size_t)AL_FILE_MAX)
        return al_fail(&p, fname, 0, "file too large", NULL);
    p.t = (al_table *)calloc(1, sizeof *p.t);
    buf = (char *)malloc(len + 1);
    if (p.t == NULL || buf == NULL) {
        free(p.t);
        free(buf);
        return al_fail(&p, fname, 0, "out of memory", NULL);
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    rc = al_parse_lines(&p, fname, buf, len);
    free(buf);
    if (rc != PL_OK) {
        al_table_free(p.t);
        return rc;
    }
    *out = p.t;
    return PL_OK;
}

int al_parse_file(const char *spec, al_table **out, char *err,
                  size_t errlen)
{
    pl_file_info fi;
    char *buf;
    size_t len;
    int rc, have;

    *out = NULL;
    have = pl_file_info_path(spec, &fi) == PL_OK;
    rc = al_read_file(spec, &buf, &len);
    if (rc != PL_OK) {
        ut_strlcpy(err, spec, errlen);
        ut_strlcat(err, rc == PL_ERANGE ? ":0: file too large"
                        : ":0: cannot read the file", errlen);
        return rc == PL_ERANGE ? PL_EINVAL : rc;
    }
    rc = al_parse_text(spec, buf, len, out, err, errlen);
    free(buf);
    if (rc != PL_OK)
        return rc;
    /* the aliases file itself comes first in the list */
    rc = al_note_file(*out, spec);
    if (rc == PL_OK) {
        al_file f = (*out)->files[(*out)->nfiles - 1];
        memmove((*out)->files + 1, (*out)->files,
                (size_t)((*out)->nfiles - 1) * sizeof f);
        if (have) {
            f.mtime = fi.mtime;
            f.size = fi.size;
        }
        (*out)->files[0] = f;
    } else {
        al_table_free(*out);
        *out = NULL;
        ut_strlcpy(err, "out of memory", errlen);
    }
    return rc;
}
