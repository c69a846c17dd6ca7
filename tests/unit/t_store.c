/*
 * t_store.c - unit tests of the popstore core (src/store): name mapping
 * (hostile names never touch the file system), delivery round trips byte
 * for byte, sizes, TOP, move/delete/purge, ids, snapshots, abort,
 * concurrent deliveries, the in-use lock, index rebuild, orphan reaping,
 * compression including corrupt, truncated and bomb files, check/repair.
 * Table-driven where the cases are data.
 * Limits: POSIX only for the directory-tree walk (dirent), like t_feed.c.
 * Privilege: none; files only under build/test-scratch/.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <CUnit/CUnit.h>
#include "t_util.h"
#include "st_int.h"
#include "ut_buf.h"
#include "au.h"

#define T_ADDR "alice@example.org"
#define T_PATH 512

static char t_root[T_PATH];

/* A fresh scratch store; st_params as given (NULL: defaults). */
static st_store *t_open_store(const char *scratch, const st_params *p)
{
    const char *dir = t_scratch_dir(scratch);
    st_store *s = NULL;

    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    snprintf(t_root, sizeof t_root, "%s/root", dir);
    CU_ASSERT_EQUAL_FATAL(st_store_open(t_root, p, &s), PL_OK);
    return s;
}

/* Open a folder directory of alice's mailbox straight through pl.h. */
static pl_dir *t_folder_dir(const char *folder)
{
    pl_dir *r = NULL, *d = NULL, *u = NULL, *f = NULL;

    if (pl_dir_open_root(t_root, 0, &r) == PL_OK &&
        pl_dir_open(r, "EXAMPLE_DORG", 0, &d) == PL_OK &&
        pl_dir_open(d, "ALICE", 0, &u) == PL_OK)
        pl_dir_open(u, folder, 0, &f);
    pl_dir_close(u);
    pl_dir_close(d);
    pl_dir_close(r);
    return f;
}

static int t_count_cb(void *ctx, const char *name, int kind)
{
    (void)name;
    (void)kind;
    (*(int *)ctx)++;
    return 0;
}

/* Entries of a folder directory of alice (-1 if it does not exist). */
static int t_entries(const char *folder)
{
    pl_dir *f = t_folder_dir(folder);
    int n = 0;

    if (f == NULL)
        return -1;
    pl_dir_list(f, t_count_cb, &n);
    pl_dir_close(f);
    return n;
}

static int t_deliver(st_store *s, const char *addr, const char *msg,
                     size_t len, size_t chunk, char *id)
{
    st_dlv *d;
    size_t o = 0;
    int rc = st_deliver_begin(s, addr, &d);

    if (rc != PL_OK)
        return rc;
    while (o < len) {
        size_t k = chunk == 0 || len - o < chunk ? len - o : chunk;
        rc = st_deliver_write(d, msg + o, k);
        if (rc != PL_OK) {
            st_deliver_abort(d);
            return rc;
        }
        o += k;
    }
    return st_deliver_commit(d, id);
}

static int t_buf_out(void *ctx, const void *buf, size_t n)
{
    return ut_buf_add((ut_buf *)ctx, buf, n) == PL_OK ? 0 : PL_ENOMEM;
}

/* Reference CRLF size and line count, computed by building the CRLF form
 * the way a POP3 client receives it. */
static void t_crlf_form(const char *m, size_t n, pl_u64 *size, pl_u64 *lines)
{
    ut_buf b;
    size_t i;
    pl_u64 l = 0;

    ut_buf_init(&b, 0);
    for (i = 0; i < n; i++) {
        if (m[i] == '\r' && i + 1 < n && m[i + 1] == '\n')
            continue;                       /* the LF adds the pair */
        if (m[i] == '\r' || m[i] == '\n') {
            ut_buf_add(&b, "\r\n", 2);
            l++;
        } else {
            ut_buf_addc(&b, (unsigned char)m[i]);
        }
    }
    if (b.len > 0 && !(b.len >= 2 && b.data[b.len - 1] == '\n')) {
        ut_buf_add(&b, "\r\n", 2);
        l++;
    }
    *size = b.len;
    *lines = l;
    ut_buf_free(&b);
}

/* ---- names ---------------------------------------------------------- */

static const char *const t_hostile[] = {
    "../x", "a/b", ".", "..", "~root", "[-]", "[000000]", "SYS$SYSTEM:",
    "X;1", "A*", "%%", "%%%", "DKA0:[X]", "A...", "/etc", "../../etc/passwd",
    "a@../x", "a@b/c", "a@.", "a@..", "a@", "@x.org", "", "a@x..org",
    "a b@x.org", "\"a\"@x.org", "a\\b@x.org", "a@x.org.", "a@-x.org",
    "a@[127.0.0.1]", "a@x_y.org", "a:b@x.org", ".a@x.org", "a.@x.org",
    "NEWMAIL/x@x.org", "a@DKA0:[X]", "u/WASTEBASKET@x.org"
};

static void t_name_table(void)
{
    static const struct {
        const char *in; const char *dom; const char *user;
    } ok[] = {
        { "alice@example.org", "EXAMPLE_DORG", "ALICE" },
        { "Alice@Example.ORG", "EXAMPLE_DORG", "ALICE" },
        { "a_b.c-d+e@x-y.z", "X_HY_DZ", "A__B_DC_HD_PE" },
        { "bob", "DEFAULT_DTEST", "BOB" },
        { "0@0", "0", "0" },
        { "a@b@example.org", NULL, NULL },   /* '@' is not a local char */
    };
    char dom[ST_NAME_BUF], user[ST_NAME_BUF];
    size_t i;

    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int rc = st_name_mailbox(ok[i].in, strlen(ok[i].in), "default.test",
                                 dom, user);
        if (ok[i].dom == NULL) {
            CU_ASSERT_EQUAL(rc, PL_EINVAL);
            continue;
        }
        CU_ASSERT_EQUAL(rc, PL_OK);
        CU_ASSERT_STRING_EQUAL(dom, ok[i].dom);
        CU_ASSERT_STRING_EQUAL(user, ok[i].user);
    }
    for (i = 0; i < sizeof t_hostile / sizeof t_hostile[0]; i++) {
        int rc = st_name_mailbox(t_hostile[i], strlen(t_hostile[i]),
                                 "default.test", dom, user);
        if (rc != PL_EINVAL)
            fprintf(stderr, "hostile name accepted: %s\n", t_hostile[i]);
        CU_ASSERT_EQUAL(rc, PL_EINVAL);
    }
    /* Embedded NUL, bare name without a default domain. */
    CU_ASSERT_EQUAL(st_name_mailbox("a\0b@x.org", 9, NULL, dom, user),
                    PL_EINVAL);
    CU_ASSERT_EQUAL(st_name_mailbox("bob", 3, NULL, dom, user), PL_EINVAL);
    /* A domain named like newmail's own top-level directories maps to a
     * different name: no mapped domain starts with '_'. */
    CU_ASSERT_EQUAL_FATAL(st_name_mailbox("x@accounts", 10, NULL, dom, user),
                          PL_OK);
    CU_ASSERT_STRING_EQUAL(dom, "ACCOUNTS");
    CU_ASSERT(strcmp(dom, AU_ACCOUNTS_DIR) != 0);
    CU_ASSERT_EQUAL(st_name_mailbox("x@_accounts", 11, NULL, dom, user),
                    PL_EINVAL);
}

static void t_name_long(void)
{
    char big[400], dom[ST_NAME_BUF], user[ST_NAME_BUF], user2[ST_NAME_BUF];
    size_t n;

    /* 300 characters: over every limit. */
    memset(big, 'a', 300);
    big[300] = '\0';
    CU_ASSERT_EQUAL(st_name_mailbox(big, 300, "x.org", dom, user), PL_EINVAL);
    memcpy(big + 100, "@x.org", 7);
    CU_ASSERT_EQUAL(st_name_mailbox(big, strlen(big), NULL, dom, user),
                    PL_EINVAL);
    /* 64 characters (the RFC maximum) map to a hashed 39-char name;
     * differing only at the end gives a different name. */
    memset(big, 'q', 64);
    memcpy(big + 64, "@x.org", 7);
    n = strlen(big);
    CU_ASSERT_EQUAL_FATAL(st_name_mailbox(big, n, NULL, dom, user), PL_OK);
    CU_ASSERT_EQUAL(strlen(user), 39);
    CU_ASSERT_EQUAL(pl_name_check(user, 0), PL_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(user, "_X"));
    big[63] = 'r';
    CU_ASSERT_EQUAL_FATAL(st_name_mailbox(big, n, NULL, dom, user2), PL_OK);
    CU_ASSERT_STRING_NOT_EQUAL(user, user2);
    /* Case-insensitive for hashed names too. */
    big[0] = 'Q';
    CU_ASSERT_EQUAL_FATAL(st_name_mailbox(big, n, NULL, dom, user), PL_OK);
    CU_ASSERT_STRING_EQUAL(user, user2);
    /* Exactly 39 after mapping stays readable; 40 is hashed. */
    memset(big, 'b', 39);
    memcpy(big + 39, "@x.org", 7);
    CU_ASSERT_EQUAL_FATAL(st_name_mailbox(big, strlen(big), NULL, dom, user),
                          PL_OK);
    CU_ASSERT_PTR_NULL(strstr(user, "_X"));
    big[38] = '_';             /* "__" makes it 40 */
    CU_ASSERT_EQUAL_FATAL(st_name_mailbox(big, strlen(big), NULL, dom, user),
                          PL_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(user, "_X"));
    CU_ASSERT_EQUAL(strlen(user), 39);
}

/* Count every entry below path (POSIX walk: sees names pl_dir_list
 * would skip). */
static int t_tree_count(const char *path, int depth)
{
    DIR *dp = opendir(path);
    struct dirent *e;
    char sub[T_PATH];
    int n = 0;

    if (dp == NULL)
        return 0;
    while ((e = readdir(dp)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (depth < 8) {
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            n += t_tree_count(sub, depth + 1);
        }
    }
    closedir(dp);
    return n;
}

static void t_name_nothing_opened(void)
{
    st_store *s = t_open_store("st_names", NULL);
    char parent[T_PATH];
    size_t i;

    snprintf(parent, sizeof parent, "%s", t_root);
    *strrchr(parent, '/') = '\0';
    for (i = 0; i < sizeof t_hostile / sizeof t_hostile[0]; i++) {
        st_mbox *mb = NULL;
        st_dlv *d = NULL;
        CU_ASSERT_EQUAL(st_mbox_open(s, t_hostile[i], ST_OPEN_CREATE, &mb),
                        PL_EINVAL);
        CU_ASSERT_PTR_NULL(mb);
        CU_ASSERT_EQUAL(st_deliver_begin(s, t_hostile[i], &d), PL_EINVAL);
        CU_ASSERT_PTR_NULL(d);
    }
    /* Only the (empty) store root exists in the scratch directory. */
    CU_ASSERT_EQUAL(t_tree_count(parent, 0), 1);
    CU_ASSERT_EQUAL(t_tree_count(t_root, 0), 0);
    st_store_close(s);
}

static void t_folder_names(void)
{
    static const struct { const char *in; const char *canon; } tab[] = {
        { "newmail", "NEWMAIL" }, { "Mail", "MAIL" },
        { "WASTEBASKET", "WASTEBASKET" }, { "A_B1", "A_B1" },
        { "X234567890123456789012345678901234567890", NULL },
        { "X2345678901234567890123456789012345678", "X2345678901234567890123456789012345678" },
        { "..", NULL }, { ".", NULL }, { "a//b", NULL }, { "/abs", NULL },
        { "~x", NULL }, { "tmp", NULL }, { "TMP", NULL }, { "new", NULL },
        { "cur", NULL }, { "", NULL }, { "A$B", NULL }, { "X;1", NULL },
        { "A*", NULL }, { "%%", NULL }, { "[-]", NULL }, { "A.B", NULL },
        { "SYS$SYSTEM:", NULL }, { "a b", NULL }
    };
    char canon[ST_NAME_BUF];
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        int rc = st_name_folder(tab[i].in, strlen(tab[i].in), canon);
        if (tab[i].canon == NULL) {
            CU_ASSERT_EQUAL(rc, PL_EINVAL);
        } else {
            CU_ASSERT_EQUAL(rc, PL_OK);
            CU_ASSERT_STRING_EQUAL(canon, tab[i].canon);
        }
    }
    CU_ASSERT_EQUAL(st_name_folder("A\0B", 3, canon), PL_EINVAL);
}

static void t_ids(void)
{
    st_store *s = t_open_store("st_ids", NULL);
    st_recs r;
    st_rec rec;
    pl_u32 k;
    pl_i64 t;

    memset(&r, 0, sizeof r);
    memset(&rec, 0, sizeof rec);
    for (k = 0; k < 20000; k++) {
        CU_ASSERT_EQUAL_FATAL(st_name_new_id(s, rec.id), PL_OK);
        CU_ASSERT_EQUAL(strlen(rec.id), 30);
        CU_ASSERT_EQUAL(st_name_id_check(rec.id), PL_OK);
        CU_ASSERT_EQUAL_FATAL(st_recs_push(&r, &rec), PL_OK);
    }
    CU_ASSERT_EQUAL(st_nm_id_time(r.v[0].id, &t), PL_OK);
    CU_ASSERT(t > pl_time_now() - 60 && t <= pl_time_now());
    st_recs_sort_id(r.v, r.n);
    for (k = 1; k < r.n; k++)
        CU_ASSERT_STRING_NOT_EQUAL(r.v[k].id, r.v[k - 1].id);
    st_recs_free(&r);
    CU_ASSERT_EQUAL(st_name_id_check(""), PL_EINVAL);
    CU_ASSERT_EQUAL(st_name_id_check("abc"), PL_EINVAL);
    CU_ASSERT_EQUAL(st_name_id_check("A.B"), PL_EINVAL);
    CU_ASSERT_EQUAL(st_name_id_check("A234567890123456789012345678901234567890"),
                    PL_EINVAL);
    st_store_close(s);
}

static void t_msgfile_names(void)
{
    char name[ST_FILE_BUF], id[ST_NAME_BUF];
    pl_u64 size, lines;
    int z;

    CU_ASSERT_EQUAL(st_nm_msgfile("ABC123", 4096, 87, 0, name), PL_OK);
    CU_ASSERT_STRING_EQUAL(name, "ABC123.4096_87");
    CU_ASSERT_EQUAL(st_nm_parse(name, id, &size, &lines, &z), PL_OK);
    CU_ASSERT_STRING_EQUAL(id, "ABC123");
    CU_ASSERT(size == 4096 && lines == 87 && z == 0);
    CU_ASSERT_EQUAL(st_nm_msgfile("ABC123", 5, 1, 1, name), PL_OK);
    CU_ASSERT_STRING_EQUAL(name, "ABC123.5_1_Z");
    CU_ASSERT_EQUAL(st_nm_parse(name, id, &size, &lines, &z), PL_OK);
    CU_ASSERT(size == 5 && lines == 1 && z == 1);
    CU_ASSERT_EQUAL(st_nm_parse("INDEX.IDX", id, &size, &lines, &z),
                    PL_EINVAL);
    CU_ASSERT_EQUAL(st_nm_parse("A.TMP", id, &size, &lines, &z), PL_EINVAL);
    CU_ASSERT_EQUAL(st_nm_parse("A.1_", id, &size, &lines, &z), PL_EINVAL);
    CU_ASSERT_EQUAL(st_nm_parse("A._1", id, &size, &lines, &z), PL_EINVAL);
    CU_ASSERT_EQUAL(st_nm_parse("A.1_2_3", id, &size, &lines, &z), PL_EINVAL);
    CU_ASSERT_EQUAL(st_nm_parse(".1_2", id, &size, &lines, &z), PL_EINVAL);
}

/* ---- delivery and folders ------------------------------------------- */

typedef struct t_msg {
    const char *what;
    const char *data;
    size_t len;
} t_msg;

#define T_M(w, s) { w, s, sizeof s - 1 }
static const t_msg t_msgs[] = {
    T_M("plain", "From: a\r\nTo: b\r\n\r\nhello\r\n"),
    T_M("nul", "Subject: x\r\n\r\na\0b\0\r\n\0\r\n"),
    T_M("bare cr", "H: 1\r\rbody\rline\r\n\r"),
    T_M("bare lf", "H: 1\n\nbody\nmore\n"),
    T_M("dots", ".\r\n..\r\n.foo\r\n\r\n.\r\n"),
    T_M("no final eol", "H: 1\r\n\r\nlast line"),
    T_M("empty", ""),
    T_M("only crlf", "\r\n"),
    T_M("smuggle", "a\nb\r.\r\n\n.\nX"),
};

static void t_roundtrip(void)
{
    static const size_t chunks[] = { 0, 1, 3 };
    st_store *s = t_open_store("st_rt", NULL);
    const size_t nm = sizeof t_msgs / sizeof t_msgs[0];
    st_mbox *mb;
    st_folder *f;
    st_msginfo mi;
    char id[3][16][ST_NAME_BUF];
    size_t c, i;
    pl_u32 count, nc;
    pl_u64 octets, sum = 0, no;

    for (c = 0; c < 3; c++)
        for (i = 0; i < nm; i++)
            CU_ASSERT_EQUAL_FATAL(t_deliver(s, T_ADDR, t_msgs[i].data,
                                            t_msgs[i].len, chunks[c],
                                            id[c][i]), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, 0, &mb), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, "NEWMAIL", &f), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_folder_count(f), 3 * nm);
    for (c = 0; c < 3; c++)
        for (i = 0; i < nm; i++) {
            pl_u32 k = (pl_u32)(c * nm + i);
            pl_u64 esize, elines;
            ut_buf b;

            ut_buf_init(&b, 0);
            CU_ASSERT_EQUAL_FATAL(st_folder_info(f, k, &mi), PL_OK);
            CU_ASSERT_STRING_EQUAL(mi.id, id[c][i]);   /* arrival order */
            t_crlf_form(t_msgs[i].data, t_msgs[i].len, &esize, &elines);
            if (mi.size != esize || mi.lines != elines)
                fprintf(stderr, "%s: size %lu/%lu lines %lu/%lu\n",
                        t_msgs[i].what, (unsigned long)mi.size,
                        (unsigned long)esize, (unsigned long)mi.lines,
                        (unsigned long)elines);
            CU_ASSERT(mi.size == esize);
            CU_ASSERT(mi.lines == elines);
            CU_ASSERT_EQUAL(mi.compressed, 0);
            sum += mi.size;
            CU_ASSERT_EQUAL(st_msg_stream(f, k, t_buf_out, &b), PL_OK);
            CU_ASSERT_EQUAL(b.len, t_msgs[i].len);
            CU_ASSERT(b.len == t_msgs[i].len &&
                      memcmp(b.data == NULL ? "" : b.data, t_msgs[i].data,
                             b.len) == 0);
            ut_buf_free(&b);
        }
    st_folder_totals(f, &count, &octets);
    CU_ASSERT_EQUAL(count, 3 * nm);
    CU_ASSERT(octets == sum);
    CU_ASSERT_EQUAL(st_folder_info(f, (pl_u32)(3 * nm), &mi), PL_ENOENT);
    CU_ASSERT_EQUAL(st_mbox_newcount(mb, &nc, &no), PL_OK);
    CU_ASSERT_EQUAL(nc, 3 * nm);
    CU_ASSERT(no == sum);
    st_folder_close(f);
    st_mbox_close(mb);
    /* Nothing left behind in TMP. */
    CU_ASSERT_EQUAL(t_entries("TMP"), 0);
    st_store_close(s);
}

static void t_top(void)
{
    static const struct {
        const char *msg; pl_u64 n; const char *want;
    } tab[] = {
        { "H1: a\r\nH2: b\r\n\r\nL1\r\nL2\r\nL3\r\n", 0,
          "H1: a\r\nH2: b\r\n\r\n" },
        { "H1: a\r\nH2: b\r\n\r\nL1\r\nL2\r\nL3\r\n", 2,
          "H1: a\r\nH2: b\r\n\r\nL1\r\nL2\r\n" },
        { "H1: a\r\nH2: b\r\n\r\nL1\r\nL2\r\nL3\r\n", 99999999,
          "H1: a\r\nH2: b\r\n\r\nL1\r\nL2\r\nL3\r\n" },
        { "H1: a\r\nH2: b\r\n", 0, "H1: a\r\nH2: b\r\n" },
        { "H1: a\r\nH2: b", 5, "H1: a\r\nH2: b" },
        { "H: a\n\nB1\nB2\n", 1, "H: a\n\nB1\n" },
        { "H: a\r\rB1\rB2", 1, "H: a\r\rB1\r" },
        { "H: a\r\rB1\rB2", 0, "H: a\r\r" },
        { "\r\nbody\r\n", 0, "\r\n" },
        { "H: a\r\n\r\n\r\n\r\nX\r\n", 2, "H: a\r\n\r\n\r\n\r\n" },
    };
    st_store *s = t_open_store("st_top", NULL);
    st_mbox *mb;
    st_folder *f;
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
        CU_ASSERT_EQUAL_FATAL(t_deliver(s, T_ADDR, tab[i].msg,
                                        strlen(tab[i].msg), 0, NULL), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, 0, &mb), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, "newmail", &f), PL_OK);
    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        ut_buf b;
        st_msginfo mi;

        ut_buf_init(&b, 0);
        CU_ASSERT_EQUAL(st_msg_top(f, (pl_u32)i, tab[i].n, t_buf_out, &b),
                        PL_OK);
        CU_ASSERT_STRING_EQUAL(ut_buf_str(&b), tab[i].want);
        ut_buf_free(&b);
        /* TOP changes nothing. */
        CU_ASSERT_EQUAL(st_folder_info(f, (pl_u32)i, &mi), PL_OK);
        CU_ASSERT_EQUAL(mi.flags, 0);
    }
    st_folder_close(f);
    st_mbox_close(mb);
    st_store_close(s);
}

/* Line ends split across the 64 KiB read chunks: a bare CR as the last
 * octet of a chunk, and a CRLF split between two chunks. */
static void t_top_chunk_edges(void)
{
    static const struct { const char *tail; pl_u64 n; size_t want; } tab[] = {
        { "\r" "B1\rB2", 0, ST_IO_BUF + 1 },          /* bare CR blank */
        { "\r" "B1\rB2", 1, ST_IO_BUF + 4 },
        { "\n\r\nB1\r\nB2", 0, ST_IO_BUF + 3 },      /* split CRLF */
        { "\n\r\nB1\r\nB2", 1, ST_IO_BUF + 7 },
    };
    st_store *s = t_open_store("st_top2", NULL);
    st_mbox *mb;
    st_folder *f;
    char *m;
    size_t i, len;

    m = (char *)malloc(ST_IO_BUF + 64);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    memset(m, 'a', ST_IO_BUF);
    memcpy(m, "X: ", 3);
    m[ST_IO_BUF - 1] = '\r';                /* last octet of chunk one */
    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        len = ST_IO_BUF + strlen(tab[i].tail);
        memcpy(m + ST_IO_BUF, tab[i].tail, strlen(tab[i].tail));
        CU_ASSERT_EQUAL_FATAL(t_deliver(s, T_ADDR, m, len, 1000, NULL),
                              PL_OK);
    }
    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, 0, &mb), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, ST_NEWMAIL, &f), PL_OK);
    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        ut_buf b;

        ut_buf_init(&b, 0);
        len = ST_IO_BUF + strlen(tab[i].tail);
        memcpy(m + ST_IO_BUF, tab[i].tail, strlen(tab[i].tail));
        CU_ASSERT_EQUAL(st_msg_stream(f, (pl_u32)i, t_buf_out, &b), PL_OK);
        CU_ASSERT(b.len == len && memcmp(b.data, m, len) == 0);
        ut_buf_clear(&b);
        CU_ASSERT_EQUAL(st_msg_top(f, (pl_u32)i, tab[i].n, t_buf_out, &b),
                        PL_OK);
        CU_ASSERT_EQUAL(b.len, tab[i].want);
        CU_ASSERT(b.len <= len && memcmp(b.data, m, b.len) == 0);
        ut_buf_free(&b);
    }
    st_folder_close(f);
    st_mbox_close(mb);
    free(m);
    st_store_close(s);
}

static int t_ids_of(st_mbox *mb, const char *folder, char ids[][ST_NAME_BUF],
                    int max)
{
    st_folder *f;
    st_msginfo mi;
    pl_u32 k;
    int n = 0;

    if (st_folder_select(mb, folder, &f) != PL_OK)
        return -1;
    for (k = 0; k < st_folder_count(f) && n < max; k++)
        if (st_folder_info(f, k, &mi) == PL_OK && !mi.gone)
            strcpy(ids[n++], mi.id);
    st_folder_close(f);
    return n;
}

static void t_move_delete_purge(void)
{
    st_store *s = t_open_store("st_mv", NULL);
    st_mbox *mb;
    st_folder *f;
    st_msginfo mi;
    char id[5][ST_NAME_BUF], got[8][ST_NAME_BUF];
    pl_u32 nc, purged;
    pl_u64 no;
    int i;

    for (i = 0; i < 5; i++)
        CU_ASSERT_EQUAL_FATAL(t_deliver(s, T_ADDR, "S: x\r\n\r\nb\r\n", 11, 0,
                                        id[i]), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, 0, &mb), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, ST_NEWMAIL, &f), PL_OK);
    CU_ASSERT_EQUAL(st_msg_set_flags(f, 0, ST_FL_SEEN), PL_OK);
    CU_ASSERT_EQUAL(st_msg_move(f, 0, "mail"), PL_OK);
    CU_ASSERT_EQUAL(st_msg_delete(f, 1), PL_OK);
    CU_ASSERT_EQUAL(st_msg_delete(f, 2), PL_OK);
    CU_ASSERT_EQUAL(st_msg_delete(f, 2), PL_ENOENT);      /* twice */
    CU_ASSERT_EQUAL(st_msg_move(f, 3, "NEWMAIL"), PL_EINVAL);
    CU_ASSERT_EQUAL(st_msg_move(f, 3, "../x"), PL_EINVAL);
    CU_ASSERT_EQUAL(st_msg_move(f, 3, "TMP"), PL_EINVAL);
    CU_ASSERT_EQUAL(st_msg_stream(f, 1, t_buf_out, NULL), PL_ENOENT);
    /* Numbering does not change. */
    CU_ASSERT_EQUAL(st_folder_count(f), 5);
    CU_ASSERT_EQUAL(st_folder_info(f, 1, &mi), PL_OK);
    CU_ASSERT_EQUAL(mi.gone, 1);
    CU_ASSERT_STRING_EQUAL(mi.id, id[1]);
    CU_ASSERT_EQUAL(st_folder_commit(f), PL_OK);
    st_folder_close(f);

    CU_ASSERT_EQUAL(t_ids_of(mb, "NEWMAIL", got, 8), 2);
    CU_ASSERT_STRING_EQUAL(got[0], id[3]);
    CU_ASSERT_STRING_EQUAL(got[1], id[4]);
    CU_ASSERT_EQUAL(t_ids_of(mb, "MAIL", got, 8), 1);
    CU_ASSERT_STRING_EQUAL(got[0], id[0]);
    CU_ASSERT_EQUAL(t_ids_of(mb, "WASTEBASKET", got, 8), 2);
    CU_ASSERT_STRING_EQUAL(got[0], id[1]);
    CU_ASSERT_STRING_EQUAL(got[1], id[2]);
    /* The flag travelled with the message. */
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, "MAIL", &f), PL_OK);
    CU_ASSERT_EQUAL(st_folder_info(f, 0, &mi), PL_OK);
    CU_ASSERT_EQUAL(mi.flags, ST_FL_SEEN);
    /* Move back: same id again in NEWMAIL. */
    CU_ASSERT_EQUAL(st_msg_move(f, 0, ST_NEWMAIL), PL_OK);
    st_folder_close(f);
    CU_ASSERT_EQUAL(t_ids_of(mb, "NEWMAIL", got, 8), 3);
    CU_ASSERT_STRING_EQUAL(got[2], id[0]);
    CU_ASSERT_EQUAL(t_ids_of(mb, "MAIL", got, 8), 0);

    CU_ASSERT_EQUAL(st_mbox_newcount(mb, &nc, &no), PL_OK);
    CU_ASSERT_EQUAL(nc, 3);
    CU_ASSERT(no == 3 * 11);
    CU_ASSERT_EQUAL(st_mbox_purge(mb, &purged), PL_OK);
    CU_ASSERT_EQUAL(purged, 2);
    CU_ASSERT_EQUAL(t_ids_of(mb, "WASTEBASKET", got, 8), 0);
    CU_ASSERT_EQUAL(t_entries("WASTEBASKET"), 2);   /* index and lock */
    /* Delete inside WASTEBASKET removes. */
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, ST_NEWMAIL, &f), PL_OK);
    CU_ASSERT_EQUAL(st_msg_delete(f, 0), PL_OK);
    st_folder_close(f);
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, ST_WASTEBASKET, &f), PL_OK);
    CU_ASSERT_EQUAL(st_folder_count(f), 1);
    CU_ASSERT_EQUAL(st_msg_delete(f, 0), PL_OK);
    st_folder_close(f);
    CU_ASSERT_EQUAL(t_ids_of(mb, "WASTEBASKET", got, 8), 0);
    st_mbox_close(mb);
    st_store_close(s);
}

typedef struct t_folders {
    int n;
    int has_newmail;
} t_folders;

static int t_folders_cb(void *ctx, const char *name)
{
    t_folders *tf = (t_folders *)ctx;

    tf->n++;
    if (strcmp(name, ST_NEWMAIL) == 0)
        tf->has_newmail = 1;
    return 0;
}

static void t_snapshot_and_reopen(void)
{
    st_store *s = t_open_store("st_snap", NULL);
    st_mbox *mb;
    st_folder *f;
    st_msginfo mi;
    char id[3][ST_NAME_BUF], got[4][ST_NAME_BUF];
    t_folders tf = { 0, 0 };
    pl_u32 k;

    CU_ASSERT_EQUAL_FATAL(t_deliver(s, T_ADDR, "a\r\n", 3, 0, id[0]), PL_OK);
    CU_ASSERT_EQUAL_FATAL(t_deliver(s, T_ADDR, "b\r\n", 3, 0, id[1]), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, 0, &mb), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_mbox_lock(mb), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, ST_NEWMAIL, &f), PL_OK);
    /* Mail arriving during the session... */
    CU_ASSERT_EQUAL_FATAL(t_deliver(s, T_ADDR, "c\r\n", 3, 0, id[2]), PL_OK);
    CU_ASSERT_EQUAL(st_folder_count(f), 2);
    for (k = 0; k < st_folder_count(f); k++)
        CU_ASSERT_EQUAL(st_msg_delete(f, k), PL_OK);
    st_folder_close(f);                 /* QUIT */
    st_mbox_close(mb);
    /* ...survives it, visible next time; ids stable after a reopen of
     * the whole store. */
    st_store_close(s);
    CU_ASSERT_EQUAL_FATAL(st_store_open(t_root, NULL, &s), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, 0, &mb), PL_OK);
    CU_ASSERT_EQUAL(t_ids_of(mb, ST_NEWMAIL, got, 4), 1);
    CU_ASSERT_STRING_EQUAL(got[0], id[2]);
    CU_ASSERT_EQUAL(t_ids_of(mb, ST_WASTEBASKET, got, 4), 2);
    CU_ASSERT_STRING_EQUAL(got[0], id[0]);
    CU_ASSERT_STRING_EQUAL(got[1], id[1]);
    CU_ASSERT_EQUAL(st_mbox_folders(mb, t_folders_cb, &tf), PL_OK);
    CU_ASSERT_EQUAL(tf.n, 2);           /* NEWMAIL, WASTEBASKET, not TMP */
    CU_ASSERT_EQUAL(tf.has_newmail, 1);
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, ST_NEWMAIL, &f), PL_OK);
    CU_ASSERT_EQUAL(st_folder_info(f, 0, &mi), PL_OK);
    CU_ASSERT_EQUAL(st_msg_move(f, 0, "Z9"), PL_OK);
    st_folder_close(f);
    CU_ASSERT_EQUAL(t_ids_of(mb, "z9", got, 4), 1);
    CU_ASSERT_STRING_EQUAL(got[0], id[2]);
    st_mbox_close(mb);
    /* A mailbox that does not exist is not created by a plain open. */
    CU_ASSERT_EQUAL(st_mbox_open(s, "nobody@example.org", 0, &mb), PL_ENOENT);
    st_store_close(s);
}

/* Moving messages back and forth grows the indexes with D and A records
 * (replayed past a hash-table resize); each id must appear exactly once,
 * and the last arrival comes last. */
static void t_move_back_and_forth(void)
{
    st_store *s = t_open_store("st_bf", NULL);
    st_mbox *mb;
    st_folder *f;
    st_msginfo mi;
    char id[3][ST_NAME_BUF], got[8][ST_NAME_BUF];
    pl_u32 nc;
    int i, round;

    for (i = 0; i < 3; i++)
        CU_ASSERT_EQUAL_FATAL(t_deliver(s, T_ADDR, "m\r\n", 3, 0, id[i]),
                              PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, 0, &mb), PL_OK);
    for (round = 0; round < 151; round++) {
        const char *from = round % 2 ? "MAIL" : "NEWMAIL";
        const char *to = round % 2 ? "NEWMAIL" : "MAIL";
        pl_u32 k;

        CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, from, &f), PL_OK);
        CU_ASSERT_EQUAL_FATAL(st_folder_count(f), 3);
        for (k = 0; k < 3; k++) {
            CU_ASSERT_EQUAL(st_folder_info(f, k, &mi), PL_OK);
            /* The order rotates by one per round (151 rounds: once). */
            CU_ASSERT_EQUAL(st_msg_move(f, (k + 1) % 3, to), PL_OK);
        }
        st_folder_close(f);
    }
    CU_ASSERT_EQUAL(t_ids_of(mb, "MAIL", got, 8), 3);
    CU_ASSERT_STRING_EQUAL(got[0], id[1]);
    CU_ASSERT_STRING_EQUAL(got[1], id[2]);
    CU_ASSERT_STRING_EQUAL(got[2], id[0]);
    CU_ASSERT_EQUAL(t_ids_of(mb, "NEWMAIL", got, 8), 0);
    CU_ASSERT_EQUAL(st_mbox_newcount(mb, &nc, NULL), PL_OK);
    CU_ASSERT_EQUAL(nc, 0);
    st_mbox_close(mb);
    st_store_close(s);
}

static void t_abort_and_limit(void)
{
    st_params p;
    st_store *s;
    st_dlv *d;
    char big[200];

    memset(&p, 0, sizeof p);
    p.max_size = 100;
    s = t_open_store("st_abort", &p);
    CU_ASSERT_EQUAL_FATAL(st_deliver_begin(s, T_ADDR, &d), PL_OK);
    CU_ASSERT_EQUAL(st_deliver_write(d, "partial\r\n", 9), PL_OK);
    CU_ASSERT_EQUAL(t_entries("TMP"), 1);
    st_deliver_abort(d);
    CU_ASSERT_EQUAL(t_entries("TMP"), 0);
    CU_ASSERT_EQUAL(t_entries("NEWMAIL"), 0);
    /* 98 octets + CRLF = 100: accepted; 99 + CRLF: refused. */
    memset(big, 'x', sizeof big);
    CU_ASSERT_EQUAL(t_deliver(s, T_ADDR, big, 98, 7, NULL), PL_OK);
    CU_ASSERT_EQUAL(t_deliver(s, T_ADDR, big, 99, 7, NULL), PL_ERANGE);
    CU_ASSERT_EQUAL(t_deliver(s, T_ADDR, big, 200, 0, NULL), PL_ERANGE);
    CU_ASSERT_EQUAL(t_entries("TMP"), 0);
    CU_ASSERT_EQUAL(t_entries("NEWMAIL"), 3);   /* message, index, lock */
    /* A commit after a refused write fails and leaves nothing. */
    CU_ASSERT_EQUAL_FATAL(st_deliver_begin(s, T_ADDR, &d), PL_OK);
    CU_ASSERT_EQUAL(st_deliver_write(d, big, 150), PL_ERANGE);
    CU_ASSERT_EQUAL(st_deliver_commit(d, NULL), PL_ERANGE);
    CU_ASSERT_EQUAL(t_entries("TMP"), 0);
    CU_ASSERT_EQUAL(t_entries("NEWMAIL"), 3);
    st_store_close(s);
}

/* ---- concurrency and locks ------------------------------------------ */

#define T_THREADS 8
#define T_PER_THREAD 40

typedef struct t_worker {
    st_store *s;
    int n;
    int failures;
    char ids[T_PER_THREAD][ST_NAME_BUF];
} t_worker;

static void t_worker_fn(void *arg)
{
    t_worker *w = (t_worker *)arg;
    char msg[128];
    int i;

    for (i = 0; i < T_PER_THREAD; i++) {
        int len = snprintf(msg, sizeof msg, "X-N: %d\r\n\r\nbody %p %d\r\n",
                           i, (void *)w, i);
        if (t_deliver(w->s, T_ADDR, msg, (size_t)len, 5, w->ids[i]) != PL_OK)
            w->failures++;
        else
            w->n++;
    }
}

static void t_report_cb(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "  check: %s\n", line);
}

static void t_concurrent(void)
{
    st_store *s = t_open_store("st_conc", NULL);
    static t_worker w[T_THREADS];
    pl_thread *th[T_THREADS];
    st_mbox *mb;
    st_folder *f;
    st_recs all;
    st_rec rec;
    st_msginfo mi;
    st_idmap m;
    pl_u32 k, nc, problems = 99;
    pl_u64 no;
    int i, j;

    memset(w, 0, sizeof w);
    memset(&all, 0, sizeof all);
    memset(&rec, 0, sizeof rec);
    /* The reader holds the in-use lock the whole time: deliveries must
     * not wait for it. */
    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, ST_OPEN_CREATE, &mb), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_mbox_lock(mb), PL_OK);
    for (i = 0; i < T_THREADS; i++) {
        w[i].s = s;
        CU_ASSERT_EQUAL_FATAL(pl_thread_start(t_worker_fn, &w[i], 0, 0,
                                              &th[i]), PL_OK);
    }
    for (i = 0; i < T_THREADS; i++)
        pl_thread_join(th[i]);
    for (i = 0; i < T_THREADS; i++) {
        CU_ASSERT_EQUAL(w[i].failures, 0);
        CU_ASSERT_EQUAL(w[i].n, T_PER_THREAD);
        for (j = 0; j < w[i].n; j++) {
            strcpy(rec.id, w[i].ids[j]);
            st_recs_push(&all, &rec);
        }
    }
    st_recs_sort_id(all.v, all.n);
    for (k = 1; k < all.n; k++)
        CU_ASSERT_STRING_NOT_EQUAL(all.v[k].id, all.v[k - 1].id);
    CU_ASSERT_EQUAL(st_mbox_newcount(mb, &nc, &no), PL_OK);
    CU_ASSERT_EQUAL(nc, T_THREADS * T_PER_THREAD);
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, ST_NEWMAIL, &f), PL_OK);
    CU_ASSERT_EQUAL(st_folder_count(f), T_THREADS * T_PER_THREAD);
    CU_ASSERT_EQUAL_FATAL(st_map_build(&m, &all), PL_OK);
    for (k = 0; k < st_folder_count(f); k++) {
        CU_ASSERT_EQUAL(st_folder_info(f, k, &mi), PL_OK);
        CU_ASSERT(st_map_find(&m, &all, mi.id) >= 0);
    }
    st_map_free(&m);
    st_folder_close(f);
    CU_ASSERT_EQUAL(st_recover_check(mb, 0, t_report_cb, NULL, &problems),
                    PL_OK);
    CU_ASSERT_EQUAL(problems, 0);
    st_mbox_close(mb);
    st_recs_free(&all);
    CU_ASSERT_EQUAL(t_entries("TMP"), 0);
    st_store_close(s);
}

typedef struct t_locker {
    st_store *s;
    int rc;
} t_locker;

static void t_locker_fn(void *arg)
{
    t_locker *l = (t_locker *)arg;
    st_mbox *mb;

    l->rc = st_mbox_open(l->s, T_ADDR, 0, &mb);
    if (l->rc != PL_OK)
        return;
    l->rc = st_mbox_lock(mb);
    st_mbox_close(mb);
}

static void t_inuse_lock(void)
{
    st_store *s = t_open_store("st_lock", NULL);
    st_mbox *a, *b;
    pl_thread *th;
    t_locker l;
    pl_u32 nc;

    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, ST_OPEN_CREATE, &a), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, 0, &b), PL_OK);
    CU_ASSERT_EQUAL(st_mbox_lock(a), PL_OK);
    CU_ASSERT_EQUAL(st_mbox_lock(b), PL_EAGAIN);
    /* From another thread too. */
    l.s = s;
    l.rc = 99;
    CU_ASSERT_EQUAL_FATAL(pl_thread_start(t_locker_fn, &l, 0, 0, &th), PL_OK);
    pl_thread_join(th);
    CU_ASSERT_EQUAL(l.rc, PL_EAGAIN);
    /* Delivery while the lock is held. */
    CU_ASSERT_EQUAL(t_deliver(s, T_ADDR, "x\r\n", 3, 0, NULL), PL_OK);
    CU_ASSERT_EQUAL(st_mbox_newcount(b, &nc, NULL), PL_OK);
    CU_ASSERT_EQUAL(nc, 1);
    st_mbox_unlock(a);
    CU_ASSERT_EQUAL(st_mbox_lock(b), PL_OK);
    CU_ASSERT_EQUAL(st_mbox_lock(a), PL_EAGAIN);
    st_mbox_close(b);                   /* closing releases */
    CU_ASSERT_EQUAL(st_mbox_lock(a), PL_OK);
    st_mbox_close(a);
    st_store_close(s);
}

/* ---- recovery -------------------------------------------------------- */

typedef struct t_snap {
    int n;
    char id[8][ST_NAME_BUF];
    pl_u64 size[8], lines[8];
    pl_u32 flags[8];
} t_snap;

static void t_take(st_mbox *mb, t_snap *sn)
{
    st_folder *f;
    st_msginfo mi;
    pl_u32 k;

    memset(sn, 0, sizeof *sn);
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, ST_NEWMAIL, &f), PL_OK);
    for (k = 0; k < st_folder_count(f) && sn->n < 8; k++) {
        st_folder_info(f, k, &mi);
        strcpy(sn->id[sn->n], mi.id);
        sn->size[sn->n] = mi.size;
        sn->lines[sn->n] = mi.lines;
        sn->flags[sn->n] = mi.flags;
        sn->n++;
    }
    st_folder_close(f);
}

static void t_write_file(pl_dir *d, const char *name, const void *p, size_t n)
{
    pl_file *fp;

    pl_file_remove(d, name);
    CU_ASSERT_EQUAL_FATAL(pl_file_create(d, name, &fp), PL_OK);
    CU_ASSERT_EQUAL(pl_file_write(fp, p, n), PL_OK);
    CU_ASSERT_EQUAL(pl_file_close(fp), PL_OK);
}

static void t_index_rebuild(void)
{
    static const char *const damage[] = {
        NULL,                                   /* missing */
        "garbage\n",
        "NMIDX 1\nA ZZZ 1 1 1 0 0\nD",          /* torn, stale record */
        "NMIDX 1\nA ",
        "",
        "NMIDX 1\nQ x\nA BOGUS 12 x 0 0 0\n",
    };
    st_store *s = t_open_store("st_idx", NULL);
    st_mbox *mb;
    st_folder *f;
    t_snap before, after;
    pl_dir *nd;
    size_t i;
    int k;
    const char *bodies[] = { "a\r\n", "bb\r\n\r\nc", "ccc\n", "", "d\rd" };

    for (k = 0; k < 5; k++)
        CU_ASSERT_EQUAL_FATAL(t_deliver(s, T_ADDR, bodies[k],
                                        strlen(bodies[k]), 0, NULL), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, 0, &mb), PL_OK);
    t_take(mb, &before);
    CU_ASSERT_EQUAL(before.n, 5);
    nd = t_folder_dir(ST_NEWMAIL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(nd);
    for (i = 0; i < sizeof damage / sizeof damage[0]; i++) {
        pl_file_remove(nd, ST_INDEX_FILE);
        if (damage[i] != NULL)
            t_write_file(nd, ST_INDEX_FILE, damage[i], strlen(damage[i]));
        t_take(mb, &after);
        CU_ASSERT_EQUAL(after.n, before.n);
        for (k = 0; k < before.n && k < after.n; k++) {
            CU_ASSERT_STRING_EQUAL(after.id[k], before.id[k]);
            CU_ASSERT(after.size[k] == before.size[k]);
            CU_ASSERT(after.lines[k] == before.lines[k]);
        }
    }
    /* Flags survive a torn last record (reconciliation keeps the rest). */
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, ST_NEWMAIL, &f), PL_OK);
    CU_ASSERT_EQUAL(st_msg_set_flags(f, 1, ST_FL_SEEN | ST_FL_MARKED), PL_OK);
    st_folder_close(f);
    {
        pl_file *fp;
        CU_ASSERT_EQUAL_FATAL(pl_file_open(nd, ST_INDEX_FILE, PL_OPEN_RDWR,
                                           &fp), PL_OK);
        {
            pl_u64 sz;
            pl_file_size(fp, &sz);
            pl_file_seek(fp, sz);
        }
        CU_ASSERT_EQUAL(pl_file_write(fp, "A XYZ 12", 8), PL_OK);
        pl_file_close(fp);
    }
    /* A delivery after a torn append still lands in the index. */
    CU_ASSERT_EQUAL(t_deliver(s, T_ADDR, "z\r\n", 3, 0, NULL), PL_OK);
    t_take(mb, &after);
    CU_ASSERT_EQUAL(after.n, 6);
    CU_ASSERT_EQUAL(after.flags[1], ST_FL_SEEN | ST_FL_MARKED);
    CU_ASSERT_STRING_EQUAL(after.id[4], before.id[4]);
    /* Explicit rebuild: same list, flags gone (they live only there). */
    CU_ASSERT_EQUAL(st_recover_rebuild(mb, "newmail"), PL_OK);
    t_take(mb, &after);
    CU_ASSERT_EQUAL(after.n, 6);
    for (k = 0; k < before.n; k++)
        CU_ASSERT_STRING_EQUAL(after.id[k], before.id[k]);
    CU_ASSERT_EQUAL(after.flags[1], 0);
    CU_ASSERT_EQUAL(st_recover_rebuild(mb, "../x"), PL_EINVAL);
    pl_dir_close(nd);
    st_mbox_close(mb);
    st_store_close(s);
}

/* Replay rules straight on st_ix_load: a re-added id moves to the end,
 * and stays findable when later new ids grow the hash table. */
static void t_index_replay(void)
{
    st_store *s = t_open_store("st_replay", NULL);
    st_mbox *mb;
    pl_dir *nd;
    ut_buf b;
    st_recs r;
    pl_u32 dead = 0, k;
    int damaged = 1, i;

    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, ST_OPEN_CREATE, &mb),
                          PL_OK);
    st_mbox_close(mb);
    CU_ASSERT_EQUAL_FATAL(t_deliver(s, T_ADDR, "x\r\n", 3, 0, NULL), PL_OK);
    nd = t_folder_dir(ST_NEWMAIL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(nd);
    ut_buf_init(&b, 0);
    ut_buf_adds(&b, "NMIDX 1\nA X1 3 1 5 0 0\nA X2 3 1 6 0 0\n"
                    "D X1\nA X1 3 1 7 4 0\nD X2\nA X2 3 1 8 0 0\n");
    for (i = 0; i < 100; i++)
        ut_buf_addf(&b, "A N%d 3 1 9 0 0\n", i);
    ut_buf_adds(&b, "D X1\nF X2 1\nF N7 2\nD N99\n");
    t_write_file(nd, ST_INDEX_FILE, b.data, b.len);
    memset(&r, 0, sizeof r);
    CU_ASSERT_EQUAL_FATAL(st_ix_load(nd, &r, &damaged, &dead), PL_OK);
    CU_ASSERT_EQUAL(damaged, 0);
    CU_ASSERT_EQUAL(r.n, 100);              /* X2 and N0..N98 */
    for (k = 0; k < r.n; k++)
        CU_ASSERT_STRING_NOT_EQUAL(r.v[k].id, "X1");
    if (r.n == 100) {
        CU_ASSERT_STRING_EQUAL(r.v[0].id, "X2");
        CU_ASSERT_EQUAL(r.v[0].flags, 1);
        CU_ASSERT(r.v[0].arrival == 8);
        CU_ASSERT_STRING_EQUAL(r.v[8].id, "N7");
        CU_ASSERT_EQUAL(r.v[8].flags, 2);
        CU_ASSERT_STRING_EQUAL(r.v[99].id, "N98");
    }
    CU_ASSERT(dead >= 8);
    st_recs_free(&r);
    ut_buf_free(&b);
    pl_dir_close(nd);
    st_store_close(s);
}

static void t_orphans(void)
{
    st_store *s = t_open_store("st_orph", NULL);
    st_mbox *mb;
    st_dlv *d;
    pl_dir *td;
    pl_u32 n = 99;

    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, ST_OPEN_CREATE, &mb), PL_OK);
    /* A delivery in progress and an orphan from a crash. */
    CU_ASSERT_EQUAL_FATAL(st_deliver_begin(s, T_ADDR, &d), PL_OK);
    CU_ASSERT_EQUAL(st_deliver_write(d, "x\r\n", 3), PL_OK);
    td = t_folder_dir(ST_TMP_DIR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(td);
    t_write_file(td, "ORPHAN1.TMP", "half", 4);
    t_write_file(td, "NOTOURS.DAT", "x", 1);
    CU_ASSERT_EQUAL(st_recover_reap(mb, ST_TMP_ORPHAN_SECS, &n), PL_OK);
    CU_ASSERT_EQUAL(n, 0);                       /* too young */
    CU_ASSERT_EQUAL(t_entries("TMP"), 3);
    CU_ASSERT_EQUAL(st_recover_reap(mb, 0, &n), PL_OK);
    CU_ASSERT_EQUAL(n, 2);                       /* both .TMP files */
    CU_ASSERT_EQUAL(t_entries("TMP"), 1);        /* only the foreign one */
    st_deliver_abort(d);                         /* its file is gone: ok */
    pl_file_remove(td, "NOTOURS.DAT");
    pl_dir_close(td);
    st_mbox_close(mb);
    st_store_close(s);
}

/* ---- compression ---------------------------------------------------- */

static void t_compress(void)
{
    st_params p;
    st_store *s;
    st_mbox *mb;
    st_folder *f;
    st_msginfo mi;
    pl_dir *nd;
    pl_file *fp;
    ut_buf b;
    char *big, name[ST_FILE_BUF], small[] = "S: 1\r\n\r\nsmall\r\n";
    size_t bn = 300000, i;
    unsigned char *z;
    uLongf zn;
    pl_u64 zsize;

    memset(&p, 0, sizeof p);
    p.compress = 1;
    p.compress_min = 100;
    s = t_open_store("st_z", &p);
    big = (char *)malloc(bn);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    for (i = 0; i < bn; i++)
        big[i] = (i % 80 == 78) ? '\r' : (i % 80 == 79) ? '\n'
                 : (char)('a' + (i * 7 + i / 80) % 26);
    CU_ASSERT_EQUAL_FATAL(t_deliver(s, T_ADDR, big, bn, 4096, NULL), PL_OK);
    CU_ASSERT_EQUAL_FATAL(t_deliver(s, T_ADDR, small, strlen(small), 0, NULL),
                          PL_OK);
    CU_ASSERT_EQUAL_FATAL(t_deliver(s, T_ADDR, big, 150, 1, NULL), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, 0, &mb), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, ST_NEWMAIL, &f), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_folder_count(f), 3);
    CU_ASSERT_EQUAL(st_folder_info(f, 0, &mi), PL_OK);
    CU_ASSERT_EQUAL(mi.compressed, 1);
    CU_ASSERT(mi.size == bn);
    CU_ASSERT(mi.lines == bn / 80);
    ut_buf_init(&b, 0);
    CU_ASSERT_EQUAL(st_msg_stream(f, 0, t_buf_out, &b), PL_OK);
    CU_ASSERT(b.len == bn && memcmp(b.data, big, bn) == 0);
    ut_buf_clear(&b);
    CU_ASSERT_EQUAL(st_msg_top(f, 0, 1, t_buf_out, &b), PL_OK);
    CU_ASSERT(b.len == bn);          /* no blank line: all of it */
    ut_buf_clear(&b);
    CU_ASSERT_EQUAL(st_folder_info(f, 1, &mi), PL_OK);
    CU_ASSERT_EQUAL(mi.compressed, 0);           /* under the threshold */
    CU_ASSERT_EQUAL(st_folder_info(f, 2, &mi), PL_OK);
    CU_ASSERT_EQUAL(mi.compressed, 1);
    CU_ASSERT_EQUAL(st_msg_stream(f, 2, t_buf_out, &b), PL_OK);
    CU_ASSERT(b.len == 150 && memcmp(b.data, big, 150) == 0);
    ut_buf_clear(&b);
    st_folder_close(f);

    nd = t_folder_dir(ST_NEWMAIL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(nd);
    /* Planted files, each declaring 1000 octets: a bomb (10 MB of
     * zeros), corrupt data, a truncated stream, trailing garbage. */
    zn = compressBound((uLong)bn * 40);
    z = (unsigned char *)malloc(zn);
    CU_ASSERT_PTR_NOT_NULL_FATAL(z);
    {
        char *zeros = (char *)calloc(1, bn * 40);
        CU_ASSERT_PTR_NOT_NULL_FATAL(zeros);
        CU_ASSERT_EQUAL_FATAL(compress(z, &zn, (unsigned char *)zeros,
                                       (uLong)bn * 40), Z_OK);
        free(zeros);
    }
    t_write_file(nd, "BOMB1.1000_1_Z", z, zn);
    zn = compressBound(1000);
    CU_ASSERT_EQUAL_FATAL(compress(z, &zn, (unsigned char *)big, 1000), Z_OK);
    t_write_file(nd, "TRUNC1.1000_13_Z", z, zn / 2);
    {
        unsigned char save = z[zn / 2];
        z[zn / 2] ^= 0x55;
        z[zn / 2 + 1] ^= 0xAA;
        t_write_file(nd, "CORRUPT1.1000_13_Z", z, zn);
        z[zn / 2] = save;
        z[zn / 2 + 1] ^= 0xAA;
    }
    {
        unsigned char *z2 = (unsigned char *)malloc(zn + 3);
        CU_ASSERT_PTR_NOT_NULL_FATAL(z2);
        memcpy(z2, z, zn);
        memcpy(z2 + zn, "XYZ", 3);
        t_write_file(nd, "TRAIL1.1000_13_Z", z2, zn + 3);
        free(z2);
    }
    t_write_file(nd, "GOOD1.1002_13_Z", z, zn);
    t_write_file(nd, "RAW1.5_1", "toolongforfive", 14);
    t_write_file(nd, "SHORT1.100_2", "short\r\n", 7);
    t_write_file(nd, "LINES1.7_3", "short\r\n", 7);
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, ST_NEWMAIL, &f), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_folder_count(f), 11);
    for (i = 3; i < 11; i++) {
        int want;
        st_folder_info(f, (pl_u32)i, &mi);
        want = strcmp(mi.id, "GOOD1") == 0 ? PL_OK : PL_EIO;
        ut_buf_clear(&b);
        CU_ASSERT_EQUAL(st_msg_stream(f, (pl_u32)i, t_buf_out, &b), want);
        CU_ASSERT(b.len <= 1002);                /* output capped */
        if (want == PL_OK)
            CU_ASSERT(b.len == 1000 && memcmp(b.data, big, 1000) == 0);
    }
    st_folder_close(f);
    CU_ASSERT_EQUAL(pl_file_open(nd, "BOMB1.1000_1_Z", PL_OPEN_READ, &fp),
                    PL_OK);
    CU_ASSERT_EQUAL(pl_file_size(fp, &zsize), PL_OK);
    pl_file_close(fp);
    CU_ASSERT(zsize < 100000);                   /* it really is a bomb */
    st_nm_msgfile("BOMB1", 1000, 1, 1, name);
    CU_ASSERT_STRING_EQUAL(name, "BOMB1.1000_1_Z");
    ut_buf_free(&b);
    free(z);
    free(big);
    pl_dir_close(nd);
    st_mbox_close(mb);
    st_store_close(s);
}

/* ---- check / repair --------------------------------------------------- */

typedef struct t_lines {
    int n;
    int size_mismatch;
    int corrupt;
} t_lines;

static void t_lines_cb(void *ctx, const char *line)
{
    t_lines *tl = (t_lines *)ctx;

    tl->n++;
    if (strstr(line, "size mismatch") != NULL)
        tl->size_mismatch++;
    if (strstr(line, "corrupt") != NULL)
        tl->corrupt++;
}

static void t_check_repair(void)
{
    st_params p;
    st_store *s;
    st_mbox *mb;
    st_folder *f;
    st_msginfo mi;
    pl_dir *nd;
    char id[3][ST_NAME_BUF], from[ST_FILE_BUF], to[ST_FILE_BUF];
    t_lines tl;
    pl_u32 problems;
    int k;
    unsigned char junk[64];

    memset(&p, 0, sizeof p);
    p.compress = 1;
    p.compress_min = 20;
    s = t_open_store("st_chk", &p);
    for (k = 0; k < 3; k++)
        CU_ASSERT_EQUAL_FATAL(t_deliver(s, T_ADDR,
                                        "Subject: check\r\n\r\nbody\r\n", 24,
                                        0, id[k]), PL_OK);
    CU_ASSERT_EQUAL_FATAL(st_mbox_open(s, T_ADDR, 0, &mb), PL_OK);
    memset(&tl, 0, sizeof tl);
    CU_ASSERT_EQUAL(st_recover_check(mb, 0, t_lines_cb, &tl, &problems),
                    PL_OK);
    CU_ASSERT_EQUAL(problems, 0);
    CU_ASSERT_EQUAL(tl.n, 0);
    /* Plant a size mismatch: the name claims 30 octets. */
    nd = t_folder_dir(ST_NEWMAIL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(nd);
    st_nm_msgfile(id[1], 24, 3, 1, from);
    st_nm_msgfile(id[1], 30, 3, 1, to);
    CU_ASSERT_EQUAL_FATAL(pl_file_rename(nd, from, nd, to), PL_OK);
    /* And a corrupt compressed message. */
    memset(junk, 0x5A, sizeof junk);
    t_write_file(nd, "JUNK1.50_2_Z", junk, sizeof junk);
    memset(&tl, 0, sizeof tl);
    CU_ASSERT_EQUAL(st_recover_check(mb, 0, t_lines_cb, &tl, &problems),
                    PL_OK);
    /* size mismatch, corrupt, index size differs, JUNK1 not indexed */
    CU_ASSERT_EQUAL(problems, 4);
    CU_ASSERT_EQUAL(tl.size_mismatch, 1);
    CU_ASSERT_EQUAL(tl.corrupt, 1);
    CU_ASSERT_EQUAL((pl_u32)tl.n, problems);
    /* Check alone changed nothing. */
    CU_ASSERT_EQUAL(st_recover_check(mb, 0, NULL, NULL, &problems), PL_OK);
    CU_ASSERT_EQUAL(problems, 4);
    /* Repair fixes the files first, so the index then agrees. */
    CU_ASSERT_EQUAL(st_recover_check(mb, 1, NULL, NULL, &problems), PL_OK);
    CU_ASSERT_EQUAL(problems, 2);
    memset(&tl, 0, sizeof tl);
    CU_ASSERT_EQUAL(st_recover_check(mb, 0, t_lines_cb, &tl, &problems),
                    PL_OK);
    CU_ASSERT_EQUAL(problems, 1);    /* only JUNK1.BAD, left for a human */
    CU_ASSERT_EQUAL(tl.corrupt, 0);
    CU_ASSERT_EQUAL_FATAL(st_folder_select(mb, ST_NEWMAIL, &f), PL_OK);
    CU_ASSERT_EQUAL(st_folder_count(f), 3);
    CU_ASSERT_EQUAL(st_folder_info(f, 1, &mi), PL_OK);
    CU_ASSERT_STRING_EQUAL(mi.id, id[1]);
    CU_ASSERT(mi.size == 24);
    st_folder_close(f);
    pl_dir_close(nd);
    st_mbox_close(mb);
    st_store_close(s);
}

int t_store_register(void)
{
    CU_pSuite s = CU_add_suite("store", NULL, NULL);

    if (s == NULL)
        return -1;
    if (CU_add_test(s, "mailbox name table", t_name_table) == NULL
        || CU_add_test(s, "long names", t_name_long) == NULL
        || CU_add_test(s, "hostile names open nothing",
                       t_name_nothing_opened) == NULL
        || CU_add_test(s, "folder names", t_folder_names) == NULL
        || CU_add_test(s, "unique ids", t_ids) == NULL
        || CU_add_test(s, "message file names", t_msgfile_names) == NULL
        || CU_add_test(s, "deliver and stream round trip", t_roundtrip) == NULL
        || CU_add_test(s, "TOP", t_top) == NULL
        || CU_add_test(s, "TOP at chunk edges", t_top_chunk_edges) == NULL
        || CU_add_test(s, "move, delete, purge", t_move_delete_purge) == NULL
        || CU_add_test(s, "snapshot and reopen", t_snapshot_and_reopen) == NULL
        || CU_add_test(s, "move back and forth", t_move_back_and_forth) == NULL
        || CU_add_test(s, "abort and size limit", t_abort_and_limit) == NULL
        || CU_add_test(s, "concurrent deliveries", t_concurrent) == NULL
        || CU_add_test(s, "in-use lock", t_inuse_lock) == NULL
        || CU_add_test(s, "index rebuild", t_index_rebuild) == NULL
        || CU_add_test(s, "index replay", t_index_replay) == NULL
        || CU_add_test(s, "orphan reaping", t_orphans) == NULL
        || CU_add_test(s, "compression", t_compress) == NULL
        || CU_add_test(s, "check and repair", t_check_repair) == NULL)
        return -1;
    return 0;
}
