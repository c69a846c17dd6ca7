/*
 * t_alias.c - CUnit tests of src/alias: the aliases file parser (every
 * error with its line), :include: files, resolution (+tag, alias to alias,
 * to a remote address, forwarding with and without keep-a-copy, DISMAIL,
 * loops, depth, width, duplicates) and the reload that keeps the old
 * table when the new file is broken.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "t_util.h"
#include "al_int.h"
#include "st.h"
#include "ut_str.h"

#define T_AL_DOM "example.org"

/* ---- parser ------------------------------------------------------------ */

typedef struct t_al_case {
    const char *text;
    const char *err;     /* NULL: loads; else the start of the error */
} t_al_case;

static const t_al_case t_al_cases[] = {
    { "postmaster: alice\n", NULL },
    { "# comment\n\npostmaster: alice, bob\n", NULL },
    { "postmaster: alice,\n  bob,\n\tcarol\n", NULL },
    { "postmaster: alice\r\nabuse: postmaster\r\n", NULL },
    { "Postmaster : \\alice , x@remote.test\n", NULL },
    { "a: b,\n", NULL },                               /* trailing comma */
    { "postmaster alice\n", "t:1: missing ':'" },
    { "x: y\n: alice\n", "t:2: empty alias name" },
    { "x: y\nbad name: alice\n", "t:2: bad alias name" },
    { "x: y\nbad/name: alice\n", "t:2: bad alias name" },
    { "x:\n", "t:1: alias without targets" },
    { "x: ,\n", "t:1: alias without targets" },
    { "x: y\n\nz:\n# c\n", "t:3: alias without targets" },
    { "  alice\n", "t:1: continuation line without an alias" },
    { "x: y\n# c\n  z\n", "t:3: continuation line without an alias" },
    { "x: y\n\nw: |/bin/sh\n", "t:3: program targets are not supported" },
    { "x: y\nw: \"|/bin/sh -c id\"\n",
      "t:2: program targets are not supported" },
    { "x: y\nw: a,\n  /tmp/file\n", "t:3: file targets are not supported" },
    { "w: \"/var/mail/x\"\n", "t:1: file targets are not supported" },
    { "w: \"alice\"\n", "t:1: quoted targets are not supported" },
    { "w: \"a,b\n", "t:1: unterminated quote" },
    { "w: a%b@c.example\n", "t:1: bad address" },
    { "w: a!b@c.example\n", "t:1: bad address" },
    { "w: @r.example:a@c.example\n", "t:1: bad address" },
    { "w: a@\n", "t:1: bad address" },
    { "w: a b\n", "t:1: bad name" },
    { "w: \\\n", "t:1: bad account name" },
    { "w: :include:\n", "t:1: :include: without a file" },
    { "w: :include:/nonexistent/t_alias/none\n",
      "t:1: :include: file cannot be read" },
    { "x: y\nx: z\n", "t:2: alias defined twice (first at line 1)" },
    { "X: y\n\nx: z\n", "t:3: alias defined twice (first at line 1)" },
    { "x: y\x01\n", "t:1: control character" },
    { "x: y\n\x7f: z\n", "t:2: control character" },
    { NULL, NULL }
};

static void t_al_parser_table(void)
{
    char err[300];
    al_table *t;
    int i, rc;

    for (i = 0; t_al_cases[i].text != NULL; i++) {
        const t_al_case *c = &t_al_cases[i];

        rc = al_parse_text("t", c->text, strlen(c->text), &t, err,
                           sizeof err);
        if ((rc == PL_OK) != (c->err == NULL) ||
            (c->err != NULL && strncmp(err, c->err, strlen(c->err)) != 0))
            fprintf(stderr, "\ncase %d: rc %d err \"%s\" want \"%s\"\n", i,
                    rc, err, c->err != NULL ? c->err : "ok");
        if (c->err == NULL) {
            CU_ASSERT_EQUAL(rc, PL_OK);
            CU_ASSERT_PTR_NOT_NULL(t);
        } else {
            CU_ASSERT_EQUAL(rc, PL_EINVAL);
            CU_ASSERT_PTR_NULL(t);
            CU_ASSERT_EQUAL(strncmp(err, c->err, strlen(c->err)), 0);
        }
        al_table_free(t);
    }
    /* a NUL byte is a control character, never a line end */
    rc = al_parse_text("t", "x: y\0z\n", 7, &t, err, sizeof err);
    CU_ASSERT_EQUAL(rc, PL_EINVAL);
    CU_ASSERT_EQUAL(strncmp(err, "t:1: control character", 22), 0);
}

static void t_al_parser_content(void)
{
    static const char text[] =
        "# site aliases\n"
        "Postmaster: Alice\n"
        "team: alice, \\bob,\n"
        "      x@Remote.Test\n"
        "\tcarol\n"
        "abuse: postmaster\n";
    char err[300];
    al_table *t;
    const al_entry *e;

    CU_ASSERT_FATAL(al_parse_text("t", text, strlen(text), &t, err,
                                  sizeof err) == PL_OK);
    CU_ASSERT_EQUAL(t->n, 3);
    e = al_table_find(t, "postmaster");
    CU_ASSERT_FATAL(e != NULL);
    CU_ASSERT_EQUAL(e->line, 2);
    CU_ASSERT_EQUAL(e->n, 1);
    CU_ASSERT_STRING_EQUAL(e->t[0].text, "alice");
    e = al_table_find(t, "team");
    CU_ASSERT_FATAL(e != NULL);
    CU_ASSERT_EQUAL(e->n, 4);
    CU_ASSERT_EQUAL(e->t[0].kind, AL_K_NAME);
    CU_ASSERT_EQUAL(e->t[1].kind, AL_K_ACCT);
    CU_ASSERT_STRING_EQUAL(e->t[1].text, "bob");
    CU_ASSERT_EQUAL(e->t[2].kind, AL_K_ADDR);
    CU_ASSERT_STRING_EQUAL(e->t[2].text, "x@remote.test");
    CU_ASSERT_STRING_EQUAL(e->t[3].text, "carol");
    CU_ASSERT_PTR_NULL(al_table_find(t, "Team"));
    CU_ASSERT_PTR_NULL(al_table_find(t, "nobody"));
    al_table_free(t);
    /* every prefix (a file cut anywhere) loads or is refused cleanly */
    {
        size_t k;
        int rc;

        for (k = 0; k <= strlen(text); k++) {
            rc = al_parse_text("t", text, k, &t, err, sizeof err);
            CU_ASSERT(rc == PL_OK || rc == PL_EINVAL);
            CU_ASSERT((rc == PL_OK) == (t != NULL));
            al_table_free(t);
        }
    }
    CU_ASSERT_TRUE(al_name_ok("first.last+tag"));
    CU_ASSERT_FALSE(al_name_ok(".x"));
    CU_ASSERT_FALSE(al_name_ok("a%b"));
    CU_ASSERT_FALSE(al_name_ok(""));
}

static int t_al_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f) == 0 ? 0 : -1;
}

static void t_al_include(void)
{
    const char *dir = t_scratch_dir("alias_inc");
    char a[300], b[300], c[300], main_[300], text[1200], err[400];
    al_table *t;
    const al_entry *e;
    int i;

    CU_ASSERT_FATAL(dir != NULL);
    snprintf(a, sizeof a, "%s/a.lst", dir);
    snprintf(b, sizeof b, "%s/b.lst", dir);
    snprintf(c, sizeof c, "%s/c.lst", dir);
    snprintf(main_, sizeof main_, "%s/aliases", dir);
    snprintf(text, sizeof text, "# list\nalice, bob\n\n  carol\n:include:%s\n",
             b);
    CU_ASSERT_FATAL(t_al_write(a, text) == 0);
    CU_ASSERT_FATAL(t_al_write(b, "dave@remote.test\n") == 0);
    snprintf(text, sizeof text, "postmaster: alice\nlist: :include:%s, "
             "erin\n", a);
    CU_ASSERT_FATAL(t_al_write(main_, text) == 0);
    CU_ASSERT_FATAL(al_parse_file(main_, &t, err, sizeof err) == PL_OK);
    e = al_table_find(t, "list");
    CU_ASSERT_FATAL(e != NULL);
    CU_ASSERT_EQUAL(e->n, 5);
    CU_ASSERT_STRING_EQUAL(e->t[3].text, "dave@remote.test");
    CU_ASSERT_STRING_EQUAL(e->t[4].text, "erin");
    CU_ASSERT_EQUAL(t->nfiles, 3);
    CU_ASSERT_STRING_EQUAL(t->files[0].spec, main_);
    al_table_free(t);

    /* an error inside an include names that file and its line */
    CU_ASSERT_FATAL(t_al_write(b, "ok@remote.test\n\n|/bin/evil\n") == 0);
    CU_ASSERT_EQUAL(al_parse_file(main_, &t, err, sizeof err), PL_EINVAL);
    snprintf(text, sizeof text, "%s:3: program targets", b);
    CU_ASSERT_EQUAL(strncmp(err, text, strlen(text)), 0);

    /* nesting: a includes itself until the depth limit */
    snprintf(text, sizeof text, "x\n:include:%s\n", c);
    CU_ASSERT_FATAL(t_al_write(c, text) == 0);
    snprintf(text, sizeof text, "postmaster: :include:%s\n", c);
    CU_ASSERT_FATAL(t_al_write(main_, text) == 0);
    CU_ASSERT_EQUAL(al_parse_file(main_, &t, err, sizeof err), PL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nested too deeply"));

    /* size bound */
    {
        FILE *f = fopen(b, "wb");
        CU_ASSERT_FATAL(f != NULL);
        for (i = 0; i < 70000; i++)
            fputs("abcdefghijklmno\n", f);
        fclose(f);
    }
    snprintf(text, sizeof text, "postmaster: :include:%s\n", b);
    CU_ASSERT_FATAL(t_al_write(main_, text) == 0);
    CU_ASSERT_EQUAL(al_parse_file(main_, &t, err, sizeof err), PL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "file too large"));
}

/* ---- resolution --------------------------------------------------------- */

static pl_dir *t_al_root;
static au_db *t_al_db;
static cf_config *t_al_cf;
static char t_al_file[300];

static int t_al_acct(const char *user, unsigned flags, int keep,
                     const char *f1, const char *f2)
{
    au_account a;
    int rc;

    au_account_init(&a, user, T_AL_DOM);
    a.flags = flags;
    a.fwd_keep = keep;
    if (f1 != NULL)
        ut_strlcpy(a.fwd[a.fwd_n++], f1, sizeof a.fwd[0]);
    if (f2 != NULL)
        ut_strlcpy(a.fwd[a.fwd_n++], f2, sizeof a.fwd[0]);
    rc = au_db_add(t_al_db, &a);
    au_account_wipe(&a);
    return rc;
}

static const char t_al_aliases[] =
    "postmaster: alice\n"
    "team: alice, carol, team@remote.test\n"
    "all: team, dave, alice\n"
    "ext: someone@remote.test\n"
    "self: self, alice\n"
    "loop1: loop2\n"
    "loop2: loop1\n"
    "deep1: deep2\ndeep2: deep3\ndeep3: deep4\ndeep4: deep5\n"
    "deep5: deep6\ndeep6: deep7\ndeep7: deep8\ndeep8: deep9\n"
    "deep9: deep10\ndeep10: deep11\ndeep11: deep12\ndeep12: alice\n"
    "shallow: deep8\n"
    "gone: nosuch, bob\n"
    "half: nosuch, alice\n"
    "dup: alice, alice@example.org, \\alice, team\n"
    "virt: alice@example.org\n";

static int t_al_init(void)
{
    const char *path = t_scratch_dir("alias_res");
    static const char conf[] = "domains = example.org, localhost\n";
    char err[CF_ERR_MAX];

    if (path == NULL ||
        pl_dir_open_root(path, PL_DIR_CREATE, &t_al_root) != PL_OK ||
        au_db_open(t_al_root, PL_DIR_CREATE, &t_al_db) != PL_OK ||
        au_domain_add(t_al_db, T_AL_DOM) != PL_OK ||
        au_domain_add(t_al_db, "virt.test") != PL_OK ||
        au_domain_set_default(t_al_db, T_AL_DOM) != PL_OK ||
        t_al_acct("alice", 0, 0, NULL, NULL) != PL_OK ||
        t_al_acct("bob", AU_F_DISMAIL, 0, NULL, NULL) != PL_OK ||
        t_al_acct("carol", 0, 1, "carol@remote.test", NULL) != PL_OK ||
        t_al_acct("dave", 0, 0, "dave@remote.test", "alice@example.org")
        != PL_OK ||
        t_al_acct("erin", 0, 0, "erin@example.org", NULL) != PL_OK ||
        t_al_acct("fwa", 0, 1, "fwb@example.org", NULL) != PL_OK ||
        t_al_acct("fwb", 0, 0, "fwa@example.org", NULL) != PL_OK ||
        t_al_acct("gus", 0, 0, "bob@example.org", NULL) != PL_OK ||
        t_al_acct("hal", 0, 1, "nosuch@example.org", NULL) != PL_OK ||
        cf_load_text(conf, strlen(conf), "t", &t_al_cf, err, sizeof err)
        != PL_OK)
        return -1;
    snprintf(t_al_file, sizeof t_al_file, "%s/aliases", path);
    return t_al_write(t_al_file, t_al_aliases);
}

static int t_al_fini(void)
{
    cf_free(t_al_cf);
    au_db_close(t_al_db);
    pl_dir_close(t_al_root);
    return 0;
}

typedef struct t_res_case {
    const char *local, *domain;
    int result;
    const char *targets;   /* "L:user@dom R:addr ..." in order */
} t_res_case;

static const t_res_case t_res_cases[] = {
    { "alice", "example.org", AL_OK, "L:alice@example.org" },
    { "ALICE", "Example.ORG", AL_OK, "L:alice@example.org" },
    { "alice+news", "example.org", AL_OK, "L:alice@example.org" },
    { "alice", "localhost", AL_OK, "L:alice@example.org" },
    { "postmaster", "localhost", AL_OK, "L:alice@example.org" },
    { "nosuch", "example.org", AL_UNKNOWN, "" },
    { "bob", "example.org", AL_DISABLED, "" },
    { "alice", "remote.test", AL_UNKNOWN, "" },
    { "a%b", "example.org", AL_UNKNOWN, "" },
    { "a!b", "example.org", AL_UNKNOWN, "" },
    { "a@b", "example.org", AL_UNKNOWN, "" },
    /* forwarding with keep, without keep, to a local account */
    { "carol", "example.org", AL_OK,
      "L:carol@example.org R:carol@remote.test" },
    { "dave", "example.org", AL_OK,
      "R:dave@remote.test L:alice@example.org" },
    { "erin", "example.org", AL_OK, "L:erin@example.org" },
    { "fwa", "example.org", AL_LOOP, "" },
    { "gus", "example.org", AL_DISABLED, "" },
    { "hal", "example.org", AL_OK, "L:hal@example.org" },
    /* aliases: lists, alias to alias, to remote, +tag, self */
    { "team", "example.org", AL_OK,
      "L:alice@example.org L:carol@example.org R:carol@remote.test "
      "R:team@remote.test" },
    { "team+x", "localhost", AL_OK,
      "L:alice@example.org L:carol@example.org R:carol@remote.test "
      "R:team@remote.test" },
    { "all", "example.org", AL_OK,
      "L:alice@example.org L:carol@example.org R:carol@remote.test "
      "R:team@remote.test R:dave@remote.test" },
    { "ext", "example.org", AL_OK, "R:someone@remote.test" },
    { "self", "example.org", AL_OK, "L:alice@example.org" },
    { "loop1", "example.org", AL_LOOP, "" },
    { "deep1", "example.org", AL_LOOP, "" },
    { "shallow", "example.org", AL_OK, "L:alice@example.org" },
    { "gone", "example.org", AL_UNKNOWN, "" },
    { "half", "example.org", AL_OK, "L:alice@example.org" },
    { "dup", "example.org", AL_OK,
      "L:alice@example.org L:carol@example.org R:carol@remote.test "
      "R:team@remote.test" },
    /* aliases apply to `domains` only: virt.test is a virtual domain */
    { "team", "virt.test", AL_UNKNOWN, "" },
    { NULL, NULL, 0, NULL }
};

static void t_al_targets_text(const al_target *t, int n, char *out,
                              size_t on)
{
    int i;

    out[0] = '\0';
    for (i = 0; i < n; i++) {
        if (i > 0)
            ut_strlcat(out, " ", on);
        if (t[i].type == AL_T_LOCAL) {
            ut_strlcat(out, "L:", on);
            ut_strlcat(out, t[i].user, on);
            ut_strlcat(out, "@", on);
            ut_strlcat(out, t[i].domain, on);
        } else {
            ut_strlcat(out, "R:", on);
            ut_strlcat(out, t[i].addr, on);
        }
    }
}

static void t_al_resolve(void)
{
    al_target out[20];
    al_env e;
    al_map *m = NULL;
    char err[300], got[600];
    int i, n, res;

    CU_ASSERT_FATAL(al_map_open(t_al_file, t_al_db, &m, err, sizeof err)
                    == PL_OK);
    e.cfg = t_al_cf;
    e.db = t_al_db;
    e.map = m;
    CU_ASSERT_TRUE(al_domain_is_local(&e, "EXAMPLE.org"));
    CU_ASSERT_TRUE(al_domain_is_local(&e, "localhost"));
    CU_ASSERT_TRUE(al_domain_is_local(&e, "virt.test"));
    CU_ASSERT_FALSE(al_domain_is_local(&e, "remote.test"));
    CU_ASSERT_FALSE(al_domain_is_local(&e, ""));
    for (i = 0; t_res_cases[i].local != NULL; i++) {
        const t_res_case *c = &t_res_cases[i];

        CU_ASSERT_EQUAL(al_resolve(&e, c->local, c->domain, out, 20, &n,
                                   &res), PL_OK);
        t_al_targets_text(out, n, got, sizeof got);
        if (res != c->result || strcmp(got, c->targets) != 0)
            fprintf(stderr, "\n%s@%s: result %d \"%s\" want %d \"%s\"\n",
                    c->local, c->domain, res, got, c->result, c->targets);
        CU_ASSERT_EQUAL(res, c->result);
        CU_ASSERT_STRING_EQUAL(got, c->targets);
    }
    /* more targets than the caller's array: PL_ERANGE */
    CU_ASSERT_EQUAL(al_resolve(&e, "all", T_AL_DOM, out, 2, &n, &res),
                    PL_ERANGE);
    CU_ASSERT_EQUAL(n, 0);
    /* without a map: accounts only */
    e.map = NULL;
    CU_ASSERT_EQUAL(al_resolve(&e, "team", T_AL_DOM, out, 20, &n, &res),
                    PL_OK);
    CU_ASSERT_EQUAL(res, AL_UNKNOWN);
    al_map_free(m);
}

static void t_al_postmaster(void)
{
    const char *dir = t_scratch_dir("alias_pm");
    char p[300], err[300];
    al_map *m = NULL;

    CU_ASSERT_FATAL(dir != NULL);
    snprintf(p, sizeof p, "%s/aliases", dir);
    CU_ASSERT_FATAL(t_al_write(p, "abuse: alice\n") == 0);
    /* no postmaster alias and no postmaster account */
    CU_ASSERT_EQUAL(al_map_open(p, t_al_db, &m, err, sizeof err),
                    PL_EINVAL);
    CU_ASSERT_PTR_NULL(m);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "postmaster"));
    CU_ASSERT_EQUAL(t_al_acct("postmaster", 0, 0, NULL, NULL), PL_OK);
    CU_ASSERT_EQUAL(al_map_open(p, t_al_db, &m, err, sizeof err), PL_OK);
    CU_ASSERT_PTR_NOT_NULL(m);
    al_map_free(m);
    CU_ASSERT_EQUAL(au_db_del(t_al_db, "postmaster", T_AL_DOM), PL_OK);
    /* no file configured: no map, no error */
    CU_ASSERT_EQUAL(al_map_open("", t_al_db, &m, err, sizeof err), PL_OK);
    CU_ASSERT_PTR_NULL(m);
    CU_ASSERT_EQUAL(al_map_reload(NULL, err, sizeof err), PL_OK);
    CU_ASSERT_EQUAL(al_map_open(p, t_al_db, &m, err, sizeof err),
                    PL_EINVAL);
}

static int t_al_one(al_env *e, const char *local, char *got, size_t gn)
{
    al_target out[8];
    int n, res;

    if (al_resolve(e, local, T_AL_DOM, out, 8, &n, &res) != PL_OK)
        return -1;
    t_al_targets_text(out, n, got, gn);
    return res;
}

static void t_al_reload(void)
{
    const char *dir = t_scratch_dir("alias_reload");
    char p[300], err[300], got[300];
    al_map *m = NULL;
    al_env e;

    CU_ASSERT_FATAL(dir != NULL);
    snprintf(p, sizeof p, "%s/aliases", dir);
    CU_ASSERT_FATAL(t_al_write(p, "postmaster: alice\nsales: carol\n") == 0);
    CU_ASSERT_FATAL(al_map_open(p, t_al_db, &m, err, sizeof err) == PL_OK);
    e.cfg = t_al_cf;
    e.db = t_al_db;
    e.map = m;
    CU_ASSERT_EQUAL(t_al_one(&e, "sales", got, sizeof got), AL_OK);
    CU_ASSERT_STRING_EQUAL(got, "L:carol@example.org R:carol@remote.test");

    /* a broken file: the old table stays, the error names the line */
    CU_ASSERT_FATAL(t_al_write(p, "postmaster: alice\nsales: |/bin/sh\n")
                    == 0);
    CU_ASSERT_EQUAL(al_map_reload(m, err, sizeof err), PL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "aliases:2: program targets"));
    CU_ASSERT_EQUAL(t_al_one(&e, "sales", got, sizeof got), AL_OK);
    CU_ASSERT_STRING_EQUAL(got, "L:carol@example.org R:carol@remote.test");

    /* an explicit reload of a good file */
    CU_ASSERT_FATAL(t_al_write(p, "postmaster: alice\nsales: alice\n") == 0);
    CU_ASSERT_EQUAL(al_map_reload(m, err, sizeof err), PL_OK);
    CU_ASSERT_EQUAL(t_al_one(&e, "sales", got, sizeof got), AL_OK);
    CU_ASSERT_STRING_EQUAL(got, "L:alice@example.org");

    /* an edit is noticed without a reload (checked once a second) */
    CU_ASSERT_FATAL(t_al_write(p, "postmaster: alice\nsales: erin\n"
                               "new: alice\n") == 0);
    pl_sleep_ms(AL_CHECK_MS + 100);
    CU_ASSERT_EQUAL(t_al_one(&e, "sales", got, sizeof got), AL_OK);
    CU_ASSERT_STRING_EQUAL(got, "L:erin@example.org");
    CU_ASSERT_EQUAL(t_al_one(&e, "new", got, sizeof got), AL_OK);

    /* a broken edit noticed by the check: the table in use stays */
    CU_ASSERT_FATAL(t_al_write(p, "sales: alice\n") == 0);   /* no pm */
    pl_sleep_ms(AL_CHECK_MS + 100);
    CU_ASSERT_EQUAL(t_al_one(&e, "sales", got, sizeof got), AL_OK);
    CU_ASSERT_STRING_EQUAL(got, "L:erin@example.org");
    al_map_free(m);
}

int t_alias_register(void)
{
    CU_pSuite p = CU_add_suite("aliases parser", NULL, NULL);
    CU_pSuite s;

    if (p == NULL ||
        CU_add_test(p, "errors with FILE:LINE", t_al_parser_table) == NULL ||
        CU_add_test(p, "entries and targets", t_al_parser_content) == NULL ||
        CU_add_test(p, ":include: files and limits", t_al_include) == NULL)
        return -1;
    s = CU_add_suite("aliases resolution", t_al_init, t_al_fini);
    if (s == NULL ||
        CU_add_test(s, "resolution table", t_al_resolve) == NULL ||
        CU_add_test(s, "postmaster required", t_al_postmaster) == NULL ||
        CU_add_test(s, "reload keeps the old table on error", t_al_reload)
        == NULL)
        return -1;
    return 0;
}
