/*
 * cf_parse.c - reading a configuration: the file or text parser, the
 * OpenVMS logical-name overrides, the checks between keys, the typed
 * getters and the dump that `newmail config check` prints.
 *
 * Syntax (see cf.h): `key = value` lines; `#` and `!` comments (the whole
 * line, or after a blank outside quotes); "quoted" values with \" and \\
 * as the only escapes; LF or CRLF line ends.  Refused with FILE:LINE: a
 * line over UT_CONF_LINE_MAX bytes, a NUL or other control character, a
 * missing '=', an unknown or repeated key, a bad value, an unclosed quote.
 * A file over UT_CONF_FILE_MAX bytes is refused as a whole.
 * Order of precedence: OpenVMS logical > file > default.
 * Privilege: none; the file is opened with the caller's rights.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cf_int.h"
#include "ut_buf.h"
#include "ut_log.h"
#include "ut_params.h"
#include "ut_str.h"

#define SRC_DEFAULT  0
#define SRC_SET      1   /* file or logical name: `where` says which */

typedef struct cf_val {
    char *text;       /* the value, unquoted; canonical for bool/enum */
    char *where;      /* "FILE:LINE" or "logical NEWMAIL_X"; NULL = default */
    cf_num num;       /* checked numeric value */
    char *store;      /* list: one copy of the text cut into items */
    char **items;     /* list: nitems pointers into store */
    int nitems;
} cf_val;

struct cf_config {
    int embedded;     /* 1: no file, embedded defaults */
    cf_val *v;        /* cf_nkeys values, in registry order */
};

/* "name:line: " + message into err. */
static void err_at(char *err, size_t errlen, const char *name,
                   unsigned long line, const char *msg)
{
    if (err == NULL || errlen == 0)
        return;
    if (line > 0)
        snprintf(err, errlen, "%s:%lu: %s", name, line, msg);
    else
        snprintf(err, errlen, "%s: %s", name, msg);
}

static void val_clear(cf_val *v)
{
    free(v->text);
    free(v->where);
    free(v->store);
    free(v->items);
    memset(v, 0, sizeof *v);
}

void cf_free(cf_config *c)
{
    int i;

    if (c == NULL)
        return;
    if (c->v != NULL) {
        for (i = 0; i < cf_nkeys; i++)
            val_clear(&c->v[i]);
        free(c->v);
    }
    free(c);
}

/* Check text for key idx and store it with its source.  On a bad value
 * write "bad value for KEY: why" into why. */
static int set_value(cf_config *c, int idx, const char *text,
                     const char *where, char *why, size_t whylen)
{
    const cf_key *k = &cf_keys[idx];
    cf_val nv;
    char reason[CF_ERR_MAX];
    const char *canon = text;
    int rc;

    memset(&nv, 0, sizeof nv);
    rc = cf_value_check(k, text, &nv.num, reason, sizeof reason);
    if (rc != PL_OK) {
        snprintf(why, whylen, "bad value for %.64s: %.400s", k->name,
                 reason);
        return rc;
    }
    if (k->type == CF_T_BOOL)
        canon = nv.num.i ? "yes" : "no";
    nv.text = ut_strdup(canon);
    if (nv.text != NULL && k->type == CF_T_ENUM) {
        /* The registry's spelling: "SECURE" from a logical is "secure". */
        int i;
        for (i = 0; nv.text[i] != '\0'; i++)
            nv.text[i] = (char)ut_tolower((unsigned char)nv.text[i]);
    }
    if (nv.text != NULL && where != NULL)
        nv.where = ut_strdup(where);
    rc = (nv.text == NULL || (where != NULL && nv.where == NULL))
         ? PL_ENOMEM : PL_OK;
    if (rc == PL_OK && (k->type == CF_T_LIST || k->type == CF_T_ADDRS)) {
        char *items[UT_CONF_LIST_MAX];
        int n = 0;
        rc = cf_list_split(text, &nv.store, items, UT_CONF_LIST_MAX, &n);
        if (rc == PL_OK && n > 0) {
            nv.items = (char **)malloc((size_t)n * sizeof *nv.items);
            if (nv.items == NULL)
                rc = PL_ENOMEM;
            else
                memcpy(nv.items, items, (size_t)n * sizeof *nv.items);
        }
        nv.nitems = n;
    }
    if (rc != PL_OK) {
        val_clear(&nv);
        snprintf(why, whylen, "%s", pl_strerror(rc));
        return rc;
    }
    val_clear(&c->v[idx]);
    c->v[idx] = nv;
    return PL_OK;
}

static int new_config(int embedded, cf_config **out, char *err,
                      size_t errlen)
{
    cf_config *c;
    char why[CF_ERR_MAX];
    int i, rc;

    c = (cf_config *)calloc(1, sizeof *c);
    if (c != NULL)
        c->v = (cf_val *)calloc((size_t)cf_nkeys, sizeof *c->v);
    if (c == NULL || c->v == NULL) {
        cf_free(c);
        err_at(err, errlen, "newmail", 0, "out of memory");
        return PL_ENOMEM;
    }
    c->embedded = embedded;
    for (i = 0; i < cf_nkeys; i++) {
        const cf_key *k = &cf_keys[i];
        const char *d = embedded && k->def_emb != NULL ? k->def_emb : k->def;
        rc = set_value(c, i, d, NULL, why, sizeof why);
        if (rc != PL_OK) {
            cf_free(c);
            err_at(err, errlen, "built-in default", 0, why);
            return rc;
        }
    }
    *out = c;
    return PL_OK;
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t';
}

static int is_key_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
           || c == '.';
}

/* Cut the value that starts at p (after '=' and blanks) in place:
 * unquote, drop a trailing comment and blanks.  NULL with *msg set when
 * the value is malformed. */
static char *cut_value(char *p, const char **msg)
{
    char *end;

    if (*p == '"') {
        char *r = p + 1, *w = p;
        for (;;) {
            if (*r == '\0') {
                *msg = "missing closing quote";
                return NULL;
            }
            if (*r == '"')
                break;
            if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
                r++;
            *w++ = *r++;
        }
        *w = '\0';
        r++;
        while (is_blank((unsigned char)*r))
            r++;
        if (*r != '\0' && *r != '#' && *r != '!') {
            *msg = "text after the closing quote";
            return NULL;
        }
        return p;
    }
    for (end = p; *end != '\0'; end++) {
        if ((*end == '#' || *end == '!')
            && (end == p || is_blank((unsigned char)end[-1])))
            break;
    }
    while (end > p && is_blank((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return p;
}

/* Parse one line (NUL-terminated copy, line end removed).  The first line
 * that set each key is remembered in first_line for duplicate reports. */
static int parse_line(cf_config *c, char *line, const char *name,
                      unsigned long lno, unsigned long *first_line,
                      char *err, size_t errlen)
{
    char msg[CF_ERR_MAX];
    char where[CF_ERR_MAX];
    const char *why = NULL;
    char *p = line, *key, *keyend, *val;
    int idx, rc;

    while (is_blank((unsigned char)*p))
        p++;
    if (*p == '\0' || *p == '#' || *p == '!')
        return PL_OK;
    key = p;
    while (*p != '\0' && *p != '=' && !is_blank((unsigned char)*p))
        p++;
    keyend = p;
    while (is_blank((unsigned char)*p))
        p++;
    if (*p != '=') {
        err_at(err, errlen, name, lno, "expected 'key = value'");
        return PL_EINVAL;
    }
    if (keyend == key) {
        err_at(err, errlen, name, lno, "missing key before '='");
        return PL_EINVAL;
    }
    *keyend = '\0';
    p++;
    while (is_blank((unsigned char)*p))
        p++;
    val = cut_value(p, &why);
    if (val == NULL) {
        err_at(err, errlen, name, lno, why);
        return PL_EINVAL;
    }
    for (p = key; *p != '\0' && is_key_char((unsigned char)*p); p++)
        ;
    idx = *p == '\0' ? cf_key_index(key) : -1;
    if (idx < 0) {
        /* Only printable ASCII goes back into a message. */
        for (p = key; *p != '\0'; p++) {
            if ((unsigned char)*p > 0x7e)
                *p = '?';
        }
        snprintf(msg, sizeof msg, "unknown key '%.200s'", key);
        err_at(err, errlen, name, lno, msg);
        return PL_EINVAL;
    }
    if (first_line[idx] != 0) {
        snprintf(msg, sizeof msg, "duplicate key '%.64s' (first set at "
                 "line %lu)", key, first_line[idx]);
        err_at(err, errlen, name, lno, msg);
        return PL_EINVAL;
    }
    first_line[idx] = lno;
    snprintf(where, sizeof where, "%.400s:%lu", name, lno);
    rc = set_value(c, idx, val, where, msg, sizeof msg);
    if (rc != PL_OK)
        err_at(err, errlen, name, lno, msg);
    return rc;
}

/* The whole-file limit, worded once for files and texts. */
static int too_big(const char *name, char *err, size_t errlen)
{
    char msg[64];
    char num[24];

    ut_u64_to_dec(num, (pl_u64)UT_CONF_FILE_MAX);
    snprintf(msg, sizeof msg, "larger than %s bytes", num);
    err_at(err, errlen, name, 0, msg);
    return PL_EINVAL;
}

static int parse_text(cf_config *c, const char *text, size_t len,
                      const char *name, char *err, size_t errlen)
{
    char *line;
    unsigned long *first_line;
    unsigned long lno = 0;
    size_t pos = 0;
    int rc = PL_OK;

    if (len > (size_t)UT_CONF_FILE_MAX)
        return too_big(name, err, errlen);
    line = (char *)malloc(UT_CONF_LINE_MAX + 1);
    first_line = (unsigned long *)calloc((size_t)cf_nkeys,
                                         sizeof *first_line);
    if (line == NULL || first_line == NULL) {
        free(line);
        free(first_line);
        err_at(err, errlen, name, 0, "out of memory");
        return PL_ENOMEM;
    }
    while (pos < len && rc == PL_OK) {
        const char *s = text + pos;
        const char *nl = (const char *)memchr(s, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;
        size_t i;

        pos += n + (nl != NULL ? 1 : 0);
        lno++;
        if (n > 0 && s[n - 1] == '\r')
            n--;
        if (n > UT_CONF_LINE_MAX) {
            snprintf(line, UT_CONF_LINE_MAX, "line longer than %d bytes",
                     UT_CONF_LINE_MAX);
            err_at(err, errlen, name, lno, line);
            rc = PL_EINVAL;
            break;
        }
        for (i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (ch == 0 || (ch < 0x20 && ch != '\t') || ch == 0x7f)
                break;
        }
        if (i < n) {
            err_at(err, errlen, name, lno, s[i] == '\0'
                   ? "NUL byte in line" : "control character in line");
            rc = PL_EINVAL;
            break;
        }
        memcpy(line, s, n);
        line[n] = '\0';
        rc = parse_line(c, line, name, lno, first_line, err, errlen);
    }
    free(line);
    free(first_line);
    return rc;
}

/* The OpenVMS system logicals NEWMAIL_<KEY> win over the file; on POSIX
 * pl_cfg_override always answers PL_ENOENT. */
static int apply_overrides(cf_config *c, char *err, size_t errlen)
{
    char buf[UT_CONF_LINE_MAX + 1];
    char lnm[CF_LNM_MAX];
    char where[CF_LNM_MAX + 16];
    char why[CF_ERR_MAX];
    int i, rc;

    for (i = 0; i < cf_nkeys; i++) {
        rc = pl_cfg_override(cf_keys[i].name, buf, sizeof buf);
        if (rc == PL_ENOENT)
            continue;
        if (cf_logical_name(cf_keys[i].name, lnm, sizeof lnm) != PL_OK)
            ut_strlcpy(lnm, cf_keys[i].name, sizeof lnm);
        snprintf(where, sizeof where, "logical %s", lnm);
        if (rc != PL_OK) {
            snprintf(why, sizeof why, "cannot translate: %s",
                     pl_strerror(rc));
            err_at(err, errlen, where, 0, why);
            return rc == PL_ERANGE ? PL_EINVAL : rc;
        }
        rc = set_value(c, i, ut_trim(buf), where, why, sizeof why);
        if (rc != PL_OK) {
            err_at(err, errlen, where, 0, why);
            return rc;
        }
    }
    return PL_OK;
}

/* Text of a key by index, for the checks between keys. */
static const char *vtext(const cf_config *c, const char *key)
{
    int i = cf_key_index(key);
    return i < 0 ? "" : c->v[i].text;
}

/* Report a missing dependency at the place the dependent key was set. */
static int need(const cf_config *c, const char *key, const char *msg,
                char *err, size_t errlen)
{
    char full[CF_ERR_MAX];
    const char *w = c->v[cf_key_index(key)].where;

    snprintf(full, sizeof full, "%.64s %.400s", key, msg);
    err_at(err, errlen, w != NULL ? w : "built-in default", 0, full);
    return PL_EINVAL;
}

/* Rules between keys, checked once everything is read. */
static int cross_check(const cf_config *c, char *err, size_t errlen)
{
    static const char *const listens[] = {
        "pop3.listen", "pop3s.listen", "smtp.listen", "submission.listen",
        "submissions.listen", "lmtp.listen", NULL
    };
    int i;

    for (i = 0; listens[i] != NULL; i++) {
        if (vtext(c, listens[i])[0] != '\0' && vtext(c, "store.root")[0]
            == '\0')
            return need(c, listens[i], "needs store.root", err, errlen);
    }
    if ((vtext(c, "pop3s.listen")[0] != '\0'
         || vtext(c, "submissions.listen")[0] != '\0')
        && (vtext(c, "tls.cert")[0] == '\0'
            || vtext(c, "tls.key")[0] == '\0'))
        return need(c, vtext(c, "pop3s.listen")[0] != '\0'
                    ? "pop3s.listen" : "submissions.listen",
                    "needs tls.cert and tls.key", err, errlen);
    if (vtext(c, "tls.cert")[0] != '\0' && vtext(c, "tls.key")[0] == '\0')
        return need(c, "tls.cert", "needs tls.key", err, errlen);
    if (vtext(c, "tls.key")[0] != '\0' && vtext(c, "tls.cert")[0] == '\0')
        return need(c, "tls.key", "needs tls.cert", err, errlen);
    return PL_OK;
}

static int finish(cf_config *c, cf_config **out, char *err, size_t errlen)
{
    int rc = apply_overrides(c, err, errlen);

    if (rc == PL_OK)
        rc = cross_check(c, err, errlen);
    if (rc != PL_OK) {
        cf_free(c);
        return rc;
    }
    *out = c;
    return PL_OK;
}

int cf_load_text(const char *text, size_t len, const char *name,
                 cf_config **out, char *err, size_t errlen)
{
    cf_config *c;
    int rc;

    *out = NULL;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    rc = new_config(0, &c, err, errlen);
    if (rc != PL_OK)
        return rc;
    rc = parse_text(c, text, len, name, err, errlen);
    if (rc != PL_OK) {
        cf_free(c);
        return rc;
    }
    return finish(c, out, err, errlen);
}

int cf_load(const char *path, cf_config **out, char *err, size_t errlen)
{
    ut_buf b;
    pl_file *f;
    char chunk[4096];
    char msg[CF_ERR_MAX];
    size_t got;
    int rc;

    *out = NULL;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (path == NULL) {
        cf_config *c;
        rc = new_config(1, &c, err, errlen);
        return rc != PL_OK ? rc : finish(c, out, err, errlen);
    }
    rc = pl_file_open_path(path, &f);
    if (rc != PL_OK) {
        snprintf(msg, sizeof msg, "cannot open: %s", pl_strerror(rc));
        err_at(err, errlen, path, 0, msg);
        /* PL_EINVAL would read as "bad configuration" (a directory gives
         * it); the message keeps the real reason. */
        return rc == PL_ENOENT || rc == PL_ENOMEM ? rc : PL_EACCES;
    }
    /* One byte over the limit is enough to know the file is too big. */
    ut_buf_init(&b, (size_t)UT_CONF_FILE_MAX + 1);
    for (;;) {
        rc = pl_file_read(f, chunk, sizeof chunk, &got);
        if (rc != PL_OK || got == 0)
            break;
        rc = ut_buf_add(&b, chunk, got);
        if (rc != PL_OK)
            break;
    }
    pl_file_close(f);
    if (rc == PL_ERANGE) {
        ut_buf_free(&b);
        return too_big(path, err, errlen);
    }
    if (rc != PL_OK) {
        snprintf(msg, sizeof msg, "read error: %s", pl_strerror(rc));
        err_at(err, errlen, path, 0, msg);
        ut_buf_free(&b);
        return rc;
    }
    rc = cf_load_text(ut_buf_str(&b), b.len, path, out, err, errlen);
    ut_buf_free(&b);
    return rc;
}

/* ---- typed access ---- */

/* The value of key if it exists and has one of the types t1, t2; else
 * log the programming error and return NULL. */
static const cf_val *get(const cf_config *c, const char *key, int t1,
                         int t2)
{
    int i = cf_key_index(key);

    if (c == NULL || i < 0) {
        ut_log_err("configuration: no key %s (program error)", key);
        return NULL;
    }
    if (t1 != 0 && cf_keys[i].type != t1 && cf_keys[i].type != t2) {
        ut_log_err("configuration: %s is a %s (program error)", key,
                   cf_type_name(cf_keys[i].type));
        return NULL;
    }
    return &c->v[i];
}

const char *cf_str(const cf_config *c, const char *key)
{
    const cf_val *v = get(c, key, 0, 0);
    return v != NULL ? v->text : "";
}

int cf_bool(const cf_config *c, const char *key)
{
    const cf_val *v = get(c, key, CF_T_BOOL, CF_T_BOOL);
    return v != NULL ? (int)v->num.i : 0;
}

pl_i64 cf_int(const cf_config *c, const char *key)
{
    const cf_val *v = get(c, key, CF_T_INT, CF_T_ENUM);
    return v != NULL ? v->num.i : 0;
}

pl_i64 cf_duration(const cf_config *c, const char *key)
{
    const cf_val *v = get(c, key, CF_T_DUR, CF_T_DUR);
    return v != NULL ? v->num.i : 0;
}

pl_u64 cf_size(const cf_config *c, const char *key)
{
    const cf_val *v = get(c, key, CF_T_SIZE, CF_T_SIZE);
    return v != NULL ? v->num.u : 0;
}

int cf_list_count(const cf_config *c, const char *key)
{
    const cf_val *v = get(c, key, CF_T_LIST, CF_T_ADDRS);
    return v != NULL ? v->nitems : 0;
}

const char *cf_list_item(const cf_config *c, const char *key, int i)
{
    const cf_val *v = get(c, key, CF_T_LIST, CF_T_ADDRS);
    if (v == NULL || i < 0 || i >= v->nitems)
        return NULL;
    return v->items[i];
}

int cf_is_set(const cf_config *c, const char *key)
{
    const cf_val *v = get(c, key, 0, 0);
    return v != NULL && v->where != NULL;
}

const char *cf_source(const cf_config *c, const char *key)
{
    const cf_val *v = get(c, key, 0, 0);

    if (v == NULL)
        return "";
    if (v->where != NULL)
        return v->where;
    return c->embedded ? "embedded" : "default";
}

/* A value needs quotes when the parser would otherwise change it: empty,
 * blanks at either end, comment characters, quotes or backslashes; values
 * with inner blanks (OpenVMS delta times) are quoted for readability. */
static int needs_quotes(const char *s)
{
    size_t n = strlen(s);

    return n == 0 || strpbrk(s, " \t\"\\#!") != NULL;
}

static int add_value(ut_buf *b, const char *s)
{
    int rc = PL_OK;

    if (!needs_quotes(s))
        return ut_buf_adds(b, s);
    rc = ut_buf_addc(b, '"');
    for (; rc == PL_OK && *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            rc = ut_buf_addc(b, '\\');
        if (rc == PL_OK)
            rc = ut_buf_addc(b, *s);
    }
    return rc == PL_OK ? ut_buf_addc(b, '"') : rc;
}

void cf_dump(const cf_config *c, cf_out_fn out, void *ctx)
{
    ut_buf b;
    char num[24];
    int i, rc;

    ut_buf_init(&b, 0);
    for (i = 0; i < cf_nkeys; i++) {
        const cf_key *k = &cf_keys[i];
        ut_buf_clear(&b);
        rc = ut_buf_adds(&b, k->name);
        if (rc == PL_OK)
            rc = ut_buf_adds(&b, " = ");
        if (rc == PL_OK)
            rc = add_value(&b, c->v[i].text);
        if (rc == PL_OK)
            rc = ut_buf_adds(&b, "  # ");
        if (rc == PL_OK)
            rc = ut_buf_adds(&b, cf_source(c, k->name));
        if (rc == PL_OK && k->type == CF_T_DUR) {
            ut_u64_to_dec(num, (pl_u64)c->v[i].num.i);
            rc = ut_buf_addf(&b, " (%s s)", num);
        }
        if (rc == PL_OK && k->type == CF_T_SIZE) {
            ut_u64_to_dec(num, c->v[i].num.u);
            rc = ut_buf_addf(&b, " (%s bytes)", num);
        }
        if (rc != PL_OK) {
            ut_buf_clear(&b);
            ut_buf_addf(&b, "# %s: out of memory", k->name);
        }
        out(ctx, ut_buf_str(&b));
    }
    ut_buf_free(&b);
}
