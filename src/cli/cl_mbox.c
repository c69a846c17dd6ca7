/*
 * cl_mbox.c - `newmail import` (mbox files and Maildir message files into
 * a popstore folder) and `newmail export` (a folder to an mboxrd file), so
 * administrators can migrate in and out.
 *
 * mbox (read): a message starts at a line beginning "From " that is the
 * first line of the file or follows an empty line; the empty line before
 * it (and the one at the end of the file) belongs to the format and is
 * dropped; lines matching ">+From " lose one '>' (mboxrd).  Line ends
 * are kept as they are (LF or CRLF): the store keeps messages as
 * received and counts sizes in CRLF form anyway.
 * Maildir (--maildir): every FILE is one message, stored whole; a Maildir
 * info suffix ":2,FLAGS" in its name sets seen (S), answered (R) and
 * marked (F).  The platform layer only lists directories of simple names,
 * so the administrator names the files: on the command line, or one per
 * line on standard input with FILE "-" (find Maildir/cur -type f | ...).
 * mboxrd (write): "From SENDER DATE" (SENDER from Return-Path, else
 * MAILER-DAEMON; DATE from the Date header in UTC, else the arrival time,
 * in asctime form), the message with every ">*From " line given one more
 * '>', CRLF written as LF (--crlf keeps the bytes), a line end added to
 * an unterminated last line, and an empty line.  So import then export
 * of an mbox written this way gives back the same bytes.
 * Imported messages get the import time as arrival time.
 * Limits: mbox lines are examined in pieces of CL_LINE_MAX octets (a
 * longer line is passed through whole); Maildir file names up to 4096.
 * Privilege: the service account that owns the store; import files are
 * read and the export file is written with its rights.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cl.h"
#include "au.h"
#include "st.h"
#include "ut_buf.h"
#include "ut_date.h"
#include "ut_str.h"

#define CL_LINE_MAX  65536     /* a line examined for From_ and quoting */
#define CL_HDR_MAX   262144    /* header read for Return-Path and Date */
#define CL_FNAME_MAX 4096      /* a Maildir file name from standard input */

#define IMP_USAGE "[--folder FOLDER] [--maildir] ADDRESS FILE..."
#define EXP_USAGE "[--crlf] ADDRESS FOLDER FILE"

/* ---- input sources ---------------------------------------------------- */

typedef struct src {
    pl_file *f;               /* NULL: standard input */
} src;

static int src_read(src *s, void *buf, size_t n, size_t *got)
{
    if (s->f != NULL)
        return pl_file_read(s->f, buf, n, got);
    *got = fread(buf, 1, n, stdin);
    return *got == 0 && ferror(stdin) ? PL_EIO : PL_OK;
}

/* ---- imported messages ------------------------------------------------ */

typedef struct imp_id {
    char id[ST_NAME_BUF];
    pl_u32 flags;
} imp_id;

typedef struct imp {
    const cl_ctx *ctx;
    st_store *st;
    const char *mbox;
    imp_id *ids;
    size_t n, cap;
    st_dlv *d;                /* the message being written */
    pl_u32 flags;             /* its flags */
    pl_u64 octets;            /* octets written to it */
    pl_u32 skipped;           /* empty mbox messages */
} imp;

static int imp_begin(imp *im, pl_u32 flags)
{
    im->flags = flags;
    im->octets = 0;
    return st_deliver_begin(im->st, im->mbox, &im->d);
}

static int imp_write(imp *im, const void *p, size_t n)
{
    if (n == 0)
        return PL_OK;
    im->octets += n;
    return st_deliver_write(im->d, p, n);
}

static int imp_end(imp *im)
{
    int rc;

    if (im->octets == 0) {
        st_deliver_abort(im->d);
        im->d = NULL;
        im->skipped++;
        return PL_OK;
    }
    if (im->n == im->cap) {
        size_t ncap = im->cap ? im->cap * 2 : 64;
        imp_id *nv = (imp_id *)realloc(im->ids, ncap * sizeof *nv);
        if (nv == NULL) {
            st_deliver_abort(im->d);
            im->d = NULL;
            return PL_ENOMEM;
        }
        im->ids = nv;
        im->cap = ncap;
    }
    rc = st_deliver_commit(im->d, im->ids[im->n].id);
    im->d = NULL;
    if (rc == PL_OK)
        im->ids[im->n++].flags = im->flags;
    return rc;
}

/* ---- mbox reading ------------------------------------------------------- */

typedef struct mbr {
    imp *im;
    ut_buf line;              /* the current line (or its first piece) */
    int cont;                 /* line holds a continuation, not a start */
    int blank;                /* an empty line is held back */
    char blank_eol[3];        /* "\n" or "\r\n" */
    int started;              /* a message is open */
    int lineno;
    int rc;
} mbr;

static int is_from(const char *p, size_t n)
{
    return n >= 5 && memcmp(p, "From ", 5) == 0;
}

/* A complete line (or a first piece when !eol). */
static int mbr_line(mbr *m, const char *p, size_t n, int eol)
{
    size_t body = n, q;
    int rc;

    if (!m->cont) {
        /* Line content without its line end. */
        if (eol) {
            body = n - 1;
            if (body > 0 && p[body - 1] == '\r')
                body--;
        }
        if (eol && body == 0) {
            if (!m->started)
                return PL_EINVAL;
            if (m->blank)                 /* the older one is content */
                rc = imp_write(m->im, m->blank_eol, strlen(m->blank_eol));
            else
                rc = PL_OK;
            m->blank = 1;
            ut_memtostr(m->blank_eol, sizeof m->blank_eol, p, n);
            return rc;
        }
        if (is_from(p, body) && (m->blank || !m->started)) {
            m->blank = 0;
            if (m->started && (rc = imp_end(m->im)) != PL_OK)
                return rc;
            m->started = 1;
            return imp_begin(m->im, 0);
        }
        if (!m->started)
            return PL_EINVAL;              /* not an mbox file */
        if (m->blank) {
            m->blank = 0;
            rc = imp_write(m->im, m->blank_eol, strlen(m->blank_eol));
            if (rc != PL_OK)
                return rc;
        }
        for (q = 0; q < body && p[q] == '>'; q++)
            ;
        if (q > 0 && is_from(p + q, body - q)) {
            p++;                           /* mboxrd: drop one '>' */
            n--;
        }
    }
    return imp_write(m->im, p, n);
}

static int mbr_feed(mbr *m, const char *p, size_t n)
{
    size_t i, start = 0;
    int rc;

    for (i = 0; i < n; i++) {
        if (p[i] != '\n')
            continue;
        if (m->line.len > 0) {
            rc = ut_buf_add(&m->line, p + start, i + 1 - start);
            if (rc == PL_OK)
                rc = mbr_line(m, m->line.data, m->line.len, 1);
            ut_buf_clear(&m->line);
        } else {
            rc = mbr_line(m, p + start, i + 1 - start, 1);
        }
        m->lineno++;
        m->cont = 0;
        if (rc != PL_OK)
            return rc;
        start = i + 1;
    }
    if (start < n) {
        size_t rest = n - start;
        if (m->line.len + rest >= CL_LINE_MAX) {
            /* A long line: decide on its start, pass the rest through,
             * holding back a final CR that may belong to a CRLF. */
            rc = ut_buf_add(&m->line, p + start, rest);
            if (rc != PL_OK)
                return rc;
            rest = m->line.len;
            if (m->line.data[rest - 1] == '\r')
                rest--;
            rc = mbr_line(m, m->line.data, rest, 0);
            if (rc != PL_OK)
                return rc;
            m->cont = 1;
            memmove(m->line.data, m->line.data + rest, m->line.len - rest);
            m->line.len -= rest;
            return PL_OK;
        }
        return ut_buf_add(&m->line, p + start, rest);
    }
    return PL_OK;
}

static int mbr_end(mbr *m)
{
    int rc = PL_OK;

    if (m->line.len > 0)
        rc = mbr_line(m, m->line.data, m->line.len, 0);
    ut_buf_free(&m->line);
    /* A held empty line at the end is the format's, not the message's. */
    if (rc == PL_OK && m->started)
        rc = imp_end(m->im);
    else if (rc == PL_OK && !m->started && m->lineno > 0)
        rc = PL_EINVAL;
    return rc;
}

static int import_mbox(imp *im, src *s, char *buf, int *line)
{
    mbr m;
    size_t got;
    int rc;

    memset(&m, 0, sizeof m);
    m.im = im;
    ut_buf_init(&m.line, CL_LINE_MAX + ST_IO_BUF);
    for (;;) {
        rc = src_read(s, buf, ST_IO_BUF, &got);
        if (rc != PL_OK || got == 0)
            break;
        rc = mbr_feed(&m, buf, got);
        if (rc != PL_OK)
            break;
    }
    if (rc == PL_OK)
        rc = mbr_end(&m);
    else
        ut_buf_free(&m.line);
    *line = m.lineno + 1;
    if (im->d != NULL) {
        st_deliver_abort(im->d);
        im->d = NULL;
    }
    return rc;
}

/* Maildir info ":2,FLAGS" at the end of a file name. */
static pl_u32 maildir_flags(const char *name)
{
    const char *p = strstr(name, ":2,");
    pl_u32 f = 0;

    if (p == NULL)
        return 0;
    for (p += 3; *p != '\0'; p++) {
        if (*p == 'S')
            f |= ST_FL_SEEN;
        else if (*p == 'R')
            f |= ST_FL_ANSWERED;
        else if (*p == 'F')
            f |= ST_FL_MARKED;
    }
    return f;
}

static int import_file(imp *im, src *s, char *buf, pl_u32 flags)
{
    size_t got;
    int rc = imp_begin(im, flags);

    while (rc == PL_OK) {
        rc = src_read(s, buf, ST_IO_BUF, &got);
        if (rc != PL_OK || got == 0)
            break;
        rc = imp_write(im, buf, got);
    }
    if (rc == PL_OK)
        return imp_end(im);
    st_deliver_abort(im->d);
    im->d = NULL;
    return rc;
}

static int id_cmp(const void *a, const void *b)
{
    return strcmp(((const imp_id *)a)->id, ((const imp_id *)b)->id);
}

/* Give the imported messages their flags and move them to the folder. */
static int imp_place(imp *im, const char *folder)
{
    st_mbox *mb;
    st_folder *f;
    st_msginfo mi;
    imp_id key, *hit;
    pl_u32 k, n;
    int rc, move = strcmp(folder, ST_NEWMAIL) != 0;

    if (im->n == 0)
        return PL_OK;
    qsort(im->ids, im->n, sizeof *im->ids, id_cmp);
    rc = st_mbox_open(im->st, im->mbox, 0, &mb);
    if (rc != PL_OK)
        return rc;
    rc = st_folder_select(mb, ST_NEWMAIL, &f);
    if (rc == PL_OK) {
        n = st_folder_count(f);
        for (k = 0; rc == PL_OK && k < n; k++) {
            if (st_folder_info(f, k, &mi) != PL_OK || mi.gone)
                continue;
            ut_strlcpy(key.id, mi.id, sizeof key.id);
            hit = (imp_id *)bsearch(&key, im->ids, im->n, sizeof *im->ids,
                                    id_cmp);
            if (hit == NULL)
                continue;          /* delivered by someone else meanwhile */
            if (hit->flags != 0)
                rc = st_msg_set_flags(f, k, hit->flags);
            if (rc == PL_OK && move)
                rc = st_msg_move(f, k, folder);
        }
        if (rc == PL_OK)
            rc = st_folder_commit(f);
        st_folder_close(f);
    }
    st_mbox_close(mb);
    return rc;
}

/* Next file name from standard input (one per line); 0 at the end. */
static int next_name(char *buf, size_t n, int *too_long)
{
    size_t len;

    *too_long = 0;
    while (fgets(buf, (int)n, stdin) != NULL) {
        len = strlen(buf);
        if (len > 0 && buf[len - 1] == '\n')
            buf[--len] = '\0';
        else if (!feof(stdin)) {
            *too_long = 1;
            return 1;
        }
        if (len > 0 && buf[len - 1] == '\r')
            buf[--len] = '\0';
        if (len > 0)
            return 1;
    }
    return 0;
}

static int import_one(imp *im, const char *name, int maildir, char *buf)
{
    src s;
    int rc, line = 0;

    s.f = NULL;
    if (strcmp(name, "-") != 0) {
        rc = pl_file_open_path(name, &s.f);
        if (rc != PL_OK) {
            cl_error(im->ctx, "cannot open %s: %s", name, pl_strerror(rc));
            return CL_EX_NOINPUT;
        }
    }
    if (maildir)
        rc = import_file(im, &s, buf, maildir_flags(name));
    else
        rc = import_mbox(im, &s, buf, &line);
    pl_file_close(s.f);
    if (rc == PL_EINVAL) {
        cl_error(im->ctx, "%s:%d: not an mbox file (no From_ line)", name,
                 line);
        return CL_EX_DATAERR;
    }
    if (rc != PL_OK) {
        cl_error(im->ctx, "%s: %s", name, pl_strerror(rc));
        return rc == PL_ERANGE ? CL_EX_DATAERR : cl_exit_of(rc);
    }
    return CL_EX_OK;
}

int cl_import_run(cl_ctx *ctx, int argc, char **argv)
{
    static const char path[] = "newmail import";
    char user[AU_USER_MAX + 1], domain[AU_DOMAIN_MAX + 1];
    char mbox[CL_MBOX_MAX], folder[ST_NAME_BUF], *buf, *fname = NULL;
    const char *addr = NULL, *fopt = ST_NEWMAIL, *v;
    int i = 1, first = 0, maildir = 0, m, rc, ex = CL_EX_OK, too_long;
    au_account a;
    cl_env env;
    imp im;

    while (i < argc) {
        if ((m = cl_opt(argc, argv, &i, "--folder", &v)) != 0) {
            if (m < 0)
                return cl_usage_error(ctx, path, IMP_USAGE,
                                      "--folder needs a name", NULL);
            fopt = v;
        } else if (strcmp(argv[i], "--maildir") == 0) {
            maildir = 1;
            i++;
        } else if (strcmp(argv[i], "-") == 0 || argv[i][0] != '-') {
            break;
        } else {
            return cl_usage_error(ctx, path, IMP_USAGE, "unknown option",
                                  argv[i]);
        }
    }
    if (i < argc)
        addr = argv[i++];
    first = i;
    if (addr == NULL || first >= argc)
        return cl_usage_error(ctx, path, IMP_USAGE, addr == NULL ?
                              "missing ADDRESS" : "missing FILE", NULL);
    if (st_name_folder(fopt, strlen(fopt), folder) != PL_OK) {
        cl_error(ctx, "invalid folder name '%s'", fopt);
        return CL_EX_DATAERR;
    }
    if (cl_addr(NULL, addr, user, domain, mbox) != PL_OK) {
        cl_error(ctx, "invalid account name '%s'", addr);
        return CL_EX_DATAERR;
    }
    rc = cl_env_open(ctx, &env);
    if (rc != CL_EX_OK)
        return rc;
    if (cl_addr(&env, addr, user, domain, mbox) != PL_OK ||
        au_db_get(env.db, user, domain, &a) != PL_OK) {
        cl_error(ctx, "no account %s", addr);
        cl_env_close(&env);
        return CL_EX_NOUSER;
    }
    au_account_wipe(&a);
    memset(&im, 0, sizeof im);
    im.ctx = ctx;
    im.st = env.st;
    im.mbox = mbox;
    buf = (char *)malloc(ST_IO_BUF);
    if (maildir && strcmp(argv[first], "-") == 0)
        fname = (char *)malloc(CL_FNAME_MAX + 2);
    if (buf == NULL || (maildir && strcmp(argv[first], "-") == 0 &&
                        fname == NULL)) {
        ex = CL_EX_TEMPFAIL;
    } else if (fname != NULL) {
        while (ex == CL_EX_OK &&
               next_name(fname, CL_FNAME_MAX + 2, &too_long)) {
            if (too_long) {
                cl_error(ctx, "a file name on standard input is longer "
                         "than %d", CL_FNAME_MAX);
                ex = CL_EX_DATAERR;
            } else {
                ex = import_one(&im, fname, 1, buf);
            }
        }
    } else {
        for (i = first; ex == CL_EX_OK && i < argc; i++)
            ex = import_one(&im, argv[i], maildir, buf);
    }
    /* Whatever was stored stays: place it even after a failure, so a
     * retry of the rest is a clean continuation. */
    rc = imp_place(&im, folder);
    if (rc != PL_OK) {
        cl_error(ctx, "cannot move the messages to %s: %s", folder,
                 pl_strerror(rc));
        if (ex == CL_EX_OK)
            ex = cl_exit_of(rc);
    }
    {
        char a1[24], a2[24];
        a1[ut_u64_to_dec(a1, im.n)] = '\0';
        a2[ut_u64_to_dec(a2, im.skipped)] = '\0';
        printf("%s: %s messages imported into %s%s%s%s\n", mbox, a1, folder,
               im.skipped ? " (" : "", im.skipped ? a2 : "",
               im.skipped ? " empty ones skipped)" : "");
    }
    free(im.ids);
    free(buf);
    free(fname);
    cl_env_close(&env);
    if (fflush(stdout) != 0 && ex == CL_EX_OK)
        ex = CL_EX_IOERR;
    return ex;
}

/* ---- export ------------------------------------------------------------- */

typedef struct exp_out {
    pl_file *f;               /* NULL: standard output */
    int crlf;                 /* keep CRLF as it is */
    ut_buf line;              /* pending line start (for quoting) */
    int cont;                 /* the pending piece continues a line */
    int last_lf;              /* the last octet written was LF */
    int rc;
} exp_out;

static int out_raw(exp_out *o, const void *p, size_t n)
{
    if (n == 0)
        return PL_OK;
    o->last_lf = ((const char *)p)[n - 1] == '\n';
    if (o->f != NULL)
        return pl_file_write(o->f, p, n);
    return fwrite(p, 1, n, stdout) == n ? PL_OK : PL_EIO;
}

/* Write one line or line piece: quote a ">*From " start, CRLF -> LF. */
static int out_line(exp_out *o, const char *p, size_t n, int eol)
{
    size_t q;
    int rc;

    if (!o->cont) {
        for (q = 0; q < n && p[q] == '>'; q++)
            ;
        if (is_from(p + q, n - q) && (rc = out_raw(o, ">", 1)) != PL_OK)
            return rc;
    }
    if (eol && !o->crlf && n >= 2 && p[n - 2] == '\r') {
        rc = out_raw(o, p, n - 2);
        return rc == PL_OK ? out_raw(o, "\n", 1) : rc;
    }
    return out_raw(o, p, n);
}

static int exp_cb(void *ctx, const void *buf, size_t n)
{
    exp_out *o = (exp_out *)ctx;
    const char *p = (const char *)buf;
    size_t i, start = 0;

    for (i = 0; i < n && o->rc == PL_OK; i++) {
        if (p[i] != '\n')
            continue;
        if (o->line.len > 0) {
            o->rc = ut_buf_add(&o->line, p + start, i + 1 - start);
            if (o->rc == PL_OK)
                o->rc = out_line(o, o->line.data, o->line.len, 1);
            ut_buf_clear(&o->line);
        } else {
            o->rc = out_line(o, p + start, i + 1 - start, 1);
        }
        o->cont = 0;
        start = i + 1;
    }
    if (o->rc == PL_OK && start < n) {
        o->rc = ut_buf_add(&o->line, p + start, n - start);
        if (o->rc == PL_OK && o->line.len >= CL_LINE_MAX) {
            size_t k = o->line.len;
            if (o->line.data[k - 1] == '\r')
                k--;               /* may be half of a CRLF */
            o->rc = out_line(o, o->line.data, k, 0);
            o->cont = 1;
            memmove(o->line.data, o->line.data + k, o->line.len - k);
            o->line.len -= k;
        }
    }
    return o->rc != PL_OK;
}

/* ---- the From_ line ------------------------------------------------------ */

typedef struct hdr {
    ut_buf b;
} hdr;

static int hdr_cb(void *ctx, const void *buf, size_t n)
{
    hdr *h = (hdr *)ctx;

    if (h->b.len + n > CL_HDR_MAX)
        return 1;                  /* enough: the fields are at the top */
    return ut_buf_add(&h->b, buf, n) != PL_OK;
}

/* The value of header `name` (first occurrence, unfolded only as far as
 * its first line) into out; 0 when absent. */
static int hdr_field(const char *h, size_t n, const char *name, char *out,
                     size_t outn)
{
    size_t i = 0, nl = strlen(name), j;

    while (i < n) {
        if (h[i] == '\r' || h[i] == '\n')
            return 0;              /* the end of the header */
        if (n - i > nl && ut_strncaseeq(h + i, name, nl) && h[i + nl] == ':') {
            i += nl + 1;
            while (i < n && (h[i] == ' ' || h[i] == '\t'))
                i++;
            for (j = 0; i < n && h[i] != '\r' && h[i] != '\n' && j + 1 < outn;
                 i++)
                out[j++] = h[i];
            out[j] = '\0';
            return 1;
        }
        while (i < n && h[i] != '\n')
            i++;
        i++;
    }
    return 0;
}

static const char *const mon_names[12] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};
static const char *const day_names[7] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static pl_i64 days_of(int y, int m, int d)
{
    pl_i64 era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static const char *num(const char *p, int maxd, int *v)
{
    int k = 0;

    *v = 0;
    while (k < maxd && *p >= '0' && *p <= '9') {
        *v = *v * 10 + (*p - '0');
        p++;
        k++;
    }
    return k == 0 ? NULL : p;
}

/* RFC 5322 date-time ("[Sun, ]22 Nov 2026 04:29:56 +0100") to seconds
 * since 1970 UTC; PL_EINVAL for anything else. */
static int parse_date(const char *s, pl_i64 *out)
{
    const char *p = skip_ws(s);
    int d, mo = -1, y, hh, mm, ss = 0, k, z = 0, sign = 1;

    if (strchr(p, ',') != NULL)
        p = skip_ws(strchr(p, ',') + 1);
    if ((p = num(p, 2, &d)) == NULL)
        return PL_EINVAL;
    p = skip_ws(p);
    for (k = 0; k < 12; k++)
        if (ut_strncaseeq(p, mon_names[k], 3))
            mo = k + 1;
    if (mo < 0)
        return PL_EINVAL;
    p = skip_ws(p + 3);
    if ((p = num(p, 4, &y)) == NULL)
        return PL_EINVAL;
    if (y < 50)
        y += 2000;
    else if (y < 1000)
        y += 1900;
    p = skip_ws(p);
    if ((p = num(p, 2, &hh)) == NULL || *p != ':' ||
        (p = num(p + 1, 2, &mm)) == NULL)
        return PL_EINVAL;
    if (*p == ':' && (p = num(p + 1, 2, &ss)) == NULL)
        return PL_EINVAL;
    p = skip_ws(p);
    if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if ((p = num(p + 1, 4, &z)) == NULL)
            return PL_EINVAL;
        z = sign * ((z / 100) * 3600 + (z % 100) * 60);
    }
    if (d < 1 || d > 31 || y < 1970 || y > 9999 || hh > 23 || mm > 59 ||
        ss > 60)
        return PL_EINVAL;
    *out = days_of(y, mo, d) * 86400 + hh * 3600 + mm * 60 + ss - z;
    return *out >= 0 ? PL_OK : PL_EINVAL;
}

/* "From SENDER Www Mmm dd hh:mm:ss yyyy\n" into out (>= 400). */
static void from_line(const char *h, size_t n, pl_i64 arrival, char *out,
                      size_t outn)
{
    char v[300], sender[260];
    const char *p, *e;
    pl_i64 t = arrival;
    ut_tm tm;
    size_t k;

    ut_strlcpy(sender, "MAILER-DAEMON", sizeof sender);
    if (hdr_field(h, n, "Return-Path", v, sizeof v)) {
        p = strchr(v, '<');
        e = p != NULL ? strchr(p, '>') : NULL;
        if (p != NULL && e != NULL && e > p + 1 &&
            (size_t)(e - p - 1) < sizeof sender) {
            memcpy(sender, p + 1, (size_t)(e - p - 1));
            sender[e - p - 1] = '\0';
            for (k = 0; sender[k] != '\0'; k++)
                if ((unsigned char)sender[k] <= ' ' ||
                    (unsigned char)sender[k] >= 127)
                    break;
            if (sender[k] != '\0')
                ut_strlcpy(sender, "MAILER-DAEMON", sizeof sender);
        }
    }
    if (hdr_field(h, n, "Date", v, sizeof v))
        (void)parse_date(v, &t);
    ut_date_split(t, 0, &tm);
    snprintf(out, outn, "From %s %s %s %2d %02d:%02d:%02d %d\n", sender,
             day_names[tm.wday], mon_names[tm.month - 1], tm.day, tm.hour,
             tm.min, tm.sec, tm.year);
}

int cl_export_run(cl_ctx *ctx, int argc, char **argv)
{
    static const char path[] = "newmail export";
    char user[AU_USER_MAX + 1], domain[AU_DOMAIN_MAX + 1];
    char mbox[CL_MBOX_MAX], folder[ST_NAME_BUF], fl[400];
    const char *args[3];
    int i, n = 0, crlf = 0, rc, ex = CL_EX_OK;
    pl_u32 k, cnt, done = 0;
    st_msginfo mi;
    st_mbox *mb = NULL;
    st_folder *f = NULL;
    exp_out o;
    hdr h;
    cl_env env;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--crlf") == 0)
            crlf = 1;
        else if (argv[i][0] == '-' && strcmp(argv[i], "-") != 0)
            return cl_usage_error(ctx, path, EXP_USAGE, "unknown option",
                                  argv[i]);
        else if (n < 3)
            args[n++] = argv[i];
        else
            return cl_usage_error(ctx, path, EXP_USAGE,
                                  "too many arguments:", argv[i]);
    }
    if (n < 3)
        return cl_usage_error(ctx, path, EXP_USAGE, "missing arguments",
                              NULL);
    if (cl_addr(NULL, args[0], user, domain, mbox) != PL_OK) {
        cl_error(ctx, "invalid account name '%s'", args[0]);
        return CL_EX_DATAERR;
    }
    if (st_name_folder(args[1], strlen(args[1]), folder) != PL_OK) {
        cl_error(ctx, "invalid folder name '%s'", args[1]);
        return CL_EX_DATAERR;
    }
    rc = cl_env_open(ctx, &env);
    if (rc != CL_EX_OK)
        return rc;
    memset(&o, 0, sizeof o);
    o.crlf = crlf;
    ut_buf_init(&o.line, CL_LINE_MAX + ST_IO_BUF);
    ut_buf_init(&h.b, CL_HDR_MAX);
    rc = cl_addr(&env, args[0], user, domain, mbox);
    if (rc == PL_OK)
        rc = st_mbox_open(env.st, mbox, 0, &mb);
    if (rc == PL_OK)
        rc = st_folder_select(mb, folder, &f);
    if (rc != PL_OK) {
        cl_error(ctx, "%s: %s", mbox, rc == PL_ENOENT ? "no mailbox"
                 : pl_strerror(rc));
        ex = rc == PL_ENOENT ? CL_EX_NOUSER : cl_exit_of(rc);
        goto out;
    }
    if (strcmp(args[2], "-") != 0) {
        rc = pl_file_create_path(args[2], &o.f);
        if (rc != PL_OK) {
            cl_error(ctx, "cannot create %s: %s", args[2], pl_strerror(rc));
            ex = CL_EX_CANTCREAT;
            goto out;
        }
    }
    cnt = st_folder_count(f);
    for (k = 0; rc == PL_OK && k < cnt; k++) {
        if (st_folder_info(f, k, &mi) != PL_OK || mi.gone)
            continue;
        ut_buf_clear(&h.b);
        rc = st_msg_top(f, k, 0, hdr_cb, &h);
        if (rc == 1)
            rc = PL_OK;            /* the header was longer than needed */
        if (rc != PL_OK)
            break;
        from_line(h.b.data != NULL ? h.b.data : "", h.b.len, mi.arrival,
                  fl, sizeof fl);
        rc = out_raw(&o, fl, strlen(fl));
        o.cont = 0;
        if (rc == PL_OK) {
            rc = st_msg_stream(f, k, exp_cb, &o);
            if (rc != PL_OK && o.rc != PL_OK)
                rc = o.rc;
        }
        if (rc == PL_OK && o.line.len > 0) {
            rc = out_line(&o, o.line.data, o.line.len, 0);
            ut_buf_clear(&o.line);
        }
        if (rc == PL_OK && !o.last_lf)
            rc = out_raw(&o, "\n", 1);
        if (rc == PL_OK)
            rc = out_raw(&o, "\n", 1);
        done += rc == PL_OK;
    }
    if (rc == PL_OK && o.f != NULL)
        rc = pl_file_sync(o.f);
    if (o.f != NULL) {
        int rc2 = pl_file_close(o.f);
        if (rc == PL_OK)
            rc = rc2;
    } else if (fflush(stdout) != 0 && rc == PL_OK) {
        rc = PL_EIO;
    }
    if (rc != PL_OK) {
        cl_error(ctx, "export of %s %s failed: %s", mbox, folder,
                 pl_strerror(rc));
        ex = cl_exit_of(rc) == CL_EX_NOUSER ? CL_EX_IOERR : cl_exit_of(rc);
    } else if (o.f != NULL) {
        char a1[24];
        a1[ut_u64_to_dec(a1, done)] = '\0';
        printf("%s: %s messages of %s exported to %s\n", mbox, a1, folder,
               args[2]);
    }
out:
    st_folder_close(f);
    st_mbox_close(mb);
    ut_buf_free(&o.line);
    ut_buf_free(&h.b);
    cl_env_close(&env);
    return ex;
}
