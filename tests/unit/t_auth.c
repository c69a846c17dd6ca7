/*
 * t_auth.c - unit tests of src/auth: names and their ODS-2 mapping (with
 * every hostile name of issue 3), the record format and its corruption
 * checks, the account database (round trips, 1,000 accounts, counters,
 * forwarding, flags, leftover temporaries), domains, quota, and the
 * credentials against the RFC test vectors (RFC 7677 SCRAM,
 * RFC 2195 CRAM-MD5, RFC 1939 APOP, RFC 2831 DIGEST-MD5).
 * Scratch files live under build/test-scratch/auth*.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <CUnit/CUnit.h>
#include "t_util.h"
#include "au.h"
#include "au_int.h"
#include "ut_str.h"
#include "ut_code.h"

/* ------------------------------------------------------------------ */
/* names                                                               */
/* ------------------------------------------------------------------ */

typedef struct t_name_case {
    const char *in;
    size_t len;             /* 0: strlen(in) */
    const char *def;        /* default domain */
    int rc;
    const char *user, *domain;
    const char *muser, *mdomain;
} t_name_case;

static char t_long300[301];

static void t_names(void)
{
    static const t_name_case tab[] = {
        { "alice@example.org", 0, NULL, PL_OK, "alice", "example.org",
          "ALICE", "EXAMPLE_ORG" },
        { "Alice@Example.ORG", 0, NULL, PL_OK, "alice", "example.org",
          "ALICE", "EXAMPLE_ORG" },
        { "alice", 0, "example.org", PL_OK, "alice", "example.org",
          "ALICE", "EXAMPLE_ORG" },
        { "ALICE", 0, "example.org", PL_OK, "alice", "example.org",
          "ALICE", "EXAMPLE_ORG" },
        { "first.last@my-host.example.org", 0, NULL, PL_OK, "first.last",
          "my-host.example.org", "FIRST_LAST", "MY__HOST_EXAMPLE_ORG" },
        { "a-b_c.d@xn--p1ai.ru", 0, NULL, PL_OK, "a-b_c.d", "xn--p1ai.ru",
          "A__B___C_D", "XN____P1AI_RU" },
        { "u1@a.b", 0, NULL, PL_OK, "u1", "a.b", "U1", "A_B" },
        { "0@0.0", 0, NULL, PL_OK, "0", "0.0", "0", "0_0" },
        /* bare name without a default domain */
        { "alice", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "alice", 0, "", PL_EINVAL, NULL, NULL, NULL, NULL },
        /* issue 3's hostile names, POSIX and OpenVMS forms */
        { "../x", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "a/b", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { ".", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "..", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "~root", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "a\0b", 3, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "\0", 1, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "alice@example.org\0", 18, NULL, PL_EINVAL, NULL, NULL, NULL,
          NULL },
        { t_long300, 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "[-]", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "[000000]", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "SYS$SYSTEM:", 0, "example.org", PL_EINVAL, NULL, NULL, NULL,
          NULL },
        { "X;1", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "SYSTEM;1", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "A*", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "%%", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "%%%", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "A...", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "DKA0:[X]", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "/etc", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "../../etc/passwd", 0, "example.org", PL_EINVAL, NULL, NULL, NULL,
          NULL },
        /* address forms that route or quote */
        { "u%h@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "h!u@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "h!u", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "\"x\"@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "\"a b\"@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL,
          NULL },
        { "'x'@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "@a.org,@b.org:u@example.org", 0, NULL, PL_EINVAL, NULL, NULL,
          NULL, NULL },
        { "@a.org:u@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL,
          NULL },
        { "<u@example.org>", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@a@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@[192.0.2.1]", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "", 0, "example.org", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u+tag@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u v@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { " u@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@example.org ", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u\t@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u\r\n@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u\xc3\xa9@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL,
          NULL },
        /* separators: never first, last or doubled */
        { ".u@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u.@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "a..b@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "a._b@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "a_.b@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "-u@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "_u@example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        /* domains */
        { "u@example", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@localhost", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@example.org.", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@.example.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@example..org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@-x.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@x-.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@x_y.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@../x", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@a/b.org", 0, NULL, PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u", 0, "../x", PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u", 0, "DKA0:[X]", PL_EINVAL, NULL, NULL, NULL, NULL },
        /* mapped forms must fit 39 characters */
        { "abcdefghijklmnopqrstuvwxyz0123456789abc@a.b", 0, NULL, PL_OK,
          "abcdefghijklmnopqrstuvwxyz0123456789abc", "a.b",
          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABC", "A_B" },
        { "abcdefghijklmnopqrstuvwxyz0123456789abcd@a.b", 0, NULL,
          PL_EINVAL, NULL, NULL, NULL, NULL },
        { "abcdefghijklmnopqrstuvwxyz0123456789a_b@a.b", 0, NULL,
          PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@abcdefghijklmnopqrstuvwxyz0123456789.abc", 0, NULL,
          PL_EINVAL, NULL, NULL, NULL, NULL },
        { "u@abcdefghijklmnopqrstuvwxyz012345678.a", 0, NULL, PL_OK,
          "u", "abcdefghijklmnopqrstuvwxyz012345678.a", "U",
          "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345678_A" }
    };
    size_t i;

    memset(t_long300, 'a', 300);
    t_long300[300] = '\0';
    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        char user[AU_USER_MAX + 1];
        char dom[AU_DOMAIN_MAX + 1];
        char m[PL_NAME_MAX + 1];
        char back[AU_DOMAIN_MAX + 1];
        size_t len = tab[i].len != 0 ? tab[i].len : strlen(tab[i].in);
        int rc = au_addr_parse(tab[i].in, len, tab[i].def, user, dom);

        CU_ASSERT_EQUAL(rc, tab[i].rc);
        if (rc != tab[i].rc)
            fprintf(stderr, "name case %u: rc %d\n", (unsigned)i, rc);
        if (rc != PL_OK || tab[i].rc != PL_OK)
            continue;
        CU_ASSERT_STRING_EQUAL(user, tab[i].user);
        CU_ASSERT_STRING_EQUAL(dom, tab[i].domain);
        CU_ASSERT_EQUAL(au_name_map_user(user, m, sizeof m), PL_OK);
        CU_ASSERT_STRING_EQUAL(m, tab[i].muser);
        CU_ASSERT_EQUAL(pl_name_check(m, 0), PL_OK);
        CU_ASSERT_EQUAL(au_name_unmap_user(m, back, sizeof back), PL_OK);
        CU_ASSERT_STRING_EQUAL(back, user);
        CU_ASSERT_EQUAL(au_name_map_domain(dom, m, sizeof m), PL_OK);
        CU_ASSERT_STRING_EQUAL(m, tab[i].mdomain);
        CU_ASSERT_EQUAL(pl_name_check(m, 0), PL_OK);
        CU_ASSERT_EQUAL(au_name_unmap_domain(m, back, sizeof back), PL_OK);
        CU_ASSERT_STRING_EQUAL(back, dom);
    }
}

/* Names no map produces are refused by the unmaps. */
static void t_unmap_bad(void)
{
    static const char *const users[] = {
        "", "_A", "A_", "A____B", "abc", "A.B", "A-B", "A B", "[-]"
    };
    static const char *const domains[] = {
        "", "A", "_A_B", "A_B_", "A___B", "A__B", "A__B_", "A__", "a_b"
    };
    size_t i;
    char out[AU_DOMAIN_MAX + 1];

    for (i = 0; i < sizeof users / sizeof users[0]; i++)
        CU_ASSERT_NOT_EQUAL(au_name_unmap_user(users[i], out, sizeof out),
                            PL_OK);
    for (i = 0; i < sizeof domains / sizeof domains[0]; i++)
        CU_ASSERT_NOT_EQUAL(au_name_unmap_domain(domains[i], out,
                                                 sizeof out), PL_OK);
    /* an output buffer too small is an error, not a cut name */
    CU_ASSERT_NOT_EQUAL(au_name_map_user("alice", out, 5), PL_OK);
    CU_ASSERT_EQUAL(au_name_map_user("alice", out, 6), PL_OK);
}

static void t_fwd(void)
{
    static const struct { const char *in; int rc; const char *out; } tab[] = {
        { "Bob@Example.NET", PL_OK, "Bob@example.net" },
        { "a.b+c=d_e-f@x.y.z", PL_OK, "a.b+c=d_e-f@x.y.z" },
        { "bob", PL_EINVAL, NULL },
        { "bob@", PL_EINVAL, NULL },
        { "@example.net", PL_EINVAL, NULL },
        { "u%h@example.net", PL_EINVAL, NULL },
        { "h!u@example.net", PL_EINVAL, NULL },
        { "\"u\"@example.net", PL_EINVAL, NULL },
        { "@a.net:u@example.net", PL_EINVAL, NULL },
        { "u@[192.0.2.1]", PL_EINVAL, NULL },
        { "u@example", PL_EINVAL, NULL },
        { "u@@example.net", PL_EINVAL, NULL },
        { "u@a@example.net", PL_EINVAL, NULL },
        { ".u@example.net", PL_EINVAL, NULL },
        { "u..v@example.net", PL_EINVAL, NULL },
        { "u v@example.net", PL_EINVAL, NULL },
        { "u\r@example.net", PL_EINVAL, NULL },
        { "u@exa mple.net", PL_EINVAL, NULL },
        { "|cmd@example.net", PL_EINVAL, NULL },
        { "/etc/passwd@example.net", PL_EINVAL, NULL }
    };
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        char buf[AU_FWD_ADDR_MAX + 1];
        (void)ut_strlcpy(buf, tab[i].in, sizeof buf);
        CU_ASSERT_EQUAL(au_fwd_check(buf), tab[i].rc);
        if (tab[i].rc == PL_OK)
            CU_ASSERT_STRING_EQUAL(buf, tab[i].out);
    }
}

static void t_flags(void)
{
    unsigned f = 99;
    char buf[128];

    CU_ASSERT_EQUAL(au_flags_parse("", &f), PL_OK);
    CU_ASSERT_EQUAL(f, 0u);
    CU_ASSERT_EQUAL(au_flags_parse("disuser,Manage", &f), PL_OK);
    CU_ASSERT_EQUAL(f, (unsigned)(AU_F_DISUSER | AU_F_MANAGE));
    CU_ASSERT_EQUAL(au_flags_parse("DISUSER,DISMAIL,LOCKPWD,PWDEXPIRED,"
                                   "MANAGE,AUTO_PURGE,APOP,CRAM_MD5", &f),
                    PL_OK);
    CU_ASSERT_EQUAL(f, (unsigned)AU_F_ALL);
    CU_ASSERT_EQUAL(au_flags_format(f, buf, sizeof buf), PL_OK);
    CU_ASSERT_STRING_EQUAL(buf, "DISUSER,DISMAIL,LOCKPWD,PWDEXPIRED,"
                           "MANAGE,AUTO_PURGE,APOP,CRAM_MD5");
    CU_ASSERT_EQUAL(au_flags_format(AU_F_LOCKPWD | AU_F_AUTO_PURGE, buf,
                                    sizeof buf), PL_OK);
    CU_ASSERT_STRING_EQUAL(buf, "LOCKPWD,AUTO_PURGE");
    CU_ASSERT_EQUAL(au_flags_format(0, buf, sizeof buf), PL_OK);
    CU_ASSERT_STRING_EQUAL(buf, "");
    CU_ASSERT_EQUAL(au_flags_parse("DISUSER,", &f), PL_EINVAL);
    CU_ASSERT_EQUAL(au_flags_parse(",DISUSER", &f), PL_EINVAL);
    CU_ASSERT_EQUAL(au_flags_parse("NOSUCH", &f), PL_EINVAL);
    CU_ASSERT_EQUAL(au_flags_parse("DISUSERX", &f), PL_EINVAL);
    CU_ASSERT_EQUAL(au_flags_format(0x10000, buf, sizeof buf), PL_EINVAL);
    CU_ASSERT_EQUAL(au_flags_format(AU_F_ALL, buf, 8), PL_ERANGE);
}

/* ------------------------------------------------------------------ */
/* quota                                                               */
/* ------------------------------------------------------------------ */

static void t_quota(void)
{
    static const struct {
        pl_u64 quota, overdraft, usage, size;
        int want;
    } tab[] = {
        { 0, 0, 999999, 999999, AU_Q_OK },         /* no quota */
        { 1000, 0, 0, 1000, AU_Q_OK },             /* exactly at quota */
        { 1000, 0, 0, 1001, AU_Q_PERM },           /* can never fit */
        { 1000, 0, 500, 500, AU_Q_OK },            /* lands on quota */
        { 1000, 0, 500, 501, AU_Q_TEMP },
        { 1000, 0, 1000, 1, AU_Q_TEMP },           /* at quota: full */
        { 1000, 200, 999, 201, AU_Q_OK },          /* into overdraft */
        { 1000, 200, 999, 202, AU_Q_TEMP },        /* past overdraft */
        { 1000, 200, 1000, 1, AU_Q_TEMP },         /* over: no more */
        { 1000, 200, 1100, 1, AU_Q_TEMP },
        { 1000, 200, 0, 1200, AU_Q_OK },           /* overdraft boundary */
        { 1000, 200, 0, 1201, AU_Q_PERM },
        { 1000, 200, 1, 1200, AU_Q_TEMP },
        { 1000, 200, 999, 0, AU_Q_OK },
        { 1, ~(pl_u64)0, 0, ~(pl_u64)0, AU_Q_OK },  /* sum saturates */
        { 1000, 0, ~(pl_u64)0, 1, AU_Q_TEMP },
        { ~(pl_u64)0, 0, ~(pl_u64)0 - 2, 2, AU_Q_OK }
    };
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        int r = au_quota_check(tab[i].quota, tab[i].overdraft,
                               tab[i].usage, tab[i].size);
        CU_ASSERT_EQUAL(r, tab[i].want);
        if (r != tab[i].want)
            fprintf(stderr, "quota case %u: %d\n", (unsigned)i, r);
    }
    CU_ASSERT_STRING_EQUAL(au_quota_reply(AU_Q_TEMP), "452 4.2.2");
    CU_ASSERT_STRING_EQUAL(au_quota_reply(AU_Q_PERM), "552 5.2.2");
}

/* ------------------------------------------------------------------ */
/* record format                                                       */
/* ------------------------------------------------------------------ */

static void t_fill(au_account *a)
{
    au_account_init(a, "alice", "example.org");
    a->flags = AU_F_MANAGE | AU_F_AUTO_PURGE | AU_F_APOP;
    a->quota = 1048576;
    a->overdraft = 4096;
    a->fwd_n = 2;
    a->fwd_keep = 1;
    (void)ut_strlcpy(a->fwd[0], "Bob@example.net", sizeof a->fwd[0]);
    (void)ut_strlcpy(a->fwd[1], "carol@example.com", sizeof a->fwd[1]);
    a->rx_msgs = 7;
    a->rx_bytes = 123456789012ULL;
    a->connects = 3;
    a->last_connect = 1790000000;
    a->last_disconnect = 1790000060;
    a->created = 1780000000;
    a->pwd_changed = 1780000001;
    a->cred.have = AU_C_PBKDF2 | AU_C_SCRAM | AU_C_DIGEST | AU_C_SECRET;
    a->cred.pw_iter = 100000;
    memset(a->cred.pw_salt, 0x11, AU_SALT_LEN);
    memset(a->cred.pw_hash, 0x22, AU_SHA256_LEN);
    a->cred.sc_iter = 4096;
    memset(a->cred.sc_salt, 0x33, AU_SALT_LEN);
    memset(a->cred.sc_stored, 0x44, AU_SHA256_LEN);
    memset(a->cred.sc_server, 0x55, AU_SHA256_LEN);
    memset(a->cred.dg_ha1, 0x66, AU_MD5_LEN);
    (void)ut_strlcpy(a->cred.secret, "s3cret=:x", sizeof a->cred.secret);
    a->cred.secret_len = 9;
}

static int t_same(const au_account *a, const au_account *b)
{
    int i;

    if (strcmp(a->user, b->user) != 0 || strcmp(a->domain, b->domain) != 0
        || a->flags != b->flags || a->quota != b->quota ||
        a->overdraft != b->overdraft || a->fwd_n != b->fwd_n ||
        a->fwd_keep != b->fwd_keep || a->rx_msgs != b->rx_msgs ||
        a->rx_bytes != b->rx_bytes || a->connects != b->connects ||
        a->last_connect != b->last_connect ||
        a->last_disconnect != b->last_disconnect ||
        a->created != b->created || a->pwd_changed != b->pwd_changed ||
        a->cred.have != b->cred.have)
        return 0;
    for (i = 0; i < a->fwd_n; i++)
        if (strcmp(a->fwd[i], b->fwd[i]) != 0)
            return 0;
    if ((a->cred.have & AU_C_PBKDF2) &&
        (a->cred.pw_iter != b->cred.pw_iter ||
         memcmp(a->cred.pw_salt, b->cred.pw_salt, AU_SALT_LEN) != 0 ||
         memcmp(a->cred.pw_hash, b->cred.pw_hash, AU_SHA256_LEN) != 0))
        return 0;
    if ((a->cred.have & AU_C_SCRAM) &&
        (a->cred.sc_iter != b->cred.sc_iter ||
         memcmp(a->cred.sc_salt, b->cred.sc_salt, AU_SALT_LEN) != 0 ||
         memcmp(a->cred.sc_stored, b->cred.sc_stored, AU_SHA256_LEN) != 0 ||
         memcmp(a->cred.sc_server, b->cred.sc_server, AU_SHA256_LEN) != 0))
        return 0;
    if ((a->cred.have & AU_C_DIGEST) &&
        memcmp(a->cred.dg_ha1, b->cred.dg_ha1, AU_MD5_LEN) != 0)
        return 0;
    if ((a->cred.have & AU_C_SECRET) &&
        (a->cred.secret_len != b->cred.secret_len ||
         memcmp(a->cred.secret, b->cred.secret, a->cred.secret_len) != 0))
        return 0;
    return 1;
}

/* Replace the crc line of a record after editing its body, so that a
 * test reaches the field checks behind the checksum. */
static size_t t_recrc(char *buf, size_t body)
{
    sprintf(buf + body, "crc=%08lx\n", (unsigned long)au_crc32(buf, body));
    return body + 13;
}

static void t_rec(void)
{
    static au_account a, b;
    static char buf[AU_REC_MAX + 1], bad[AU_REC_MAX + 64];
    char err[128];
    size_t len, i;

    t_fill(&a);
    CU_ASSERT_EQUAL_FATAL(au_rec_format(&a, buf, sizeof buf, &len), PL_OK);
    CU_ASSERT_EQUAL(au_rec_parse(buf, len, &b, err, sizeof err), PL_OK);
    CU_ASSERT(t_same(&a, &b));
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        CU_ASSERT(c == '\n' || (c >= 0x20 && c <= 0x7e));
    }
    /* without APOP/CRAM the plaintext-equivalent secret is not written */
    a.flags &= ~(unsigned)AU_F_APOP;
    CU_ASSERT_EQUAL(au_rec_format(&a, buf, sizeof buf, &len), PL_OK);
    CU_ASSERT_PTR_NULL(strstr(buf, "secret="));
    CU_ASSERT_EQUAL(au_rec_parse(buf, len, &b, err, sizeof err), PL_OK);
    CU_ASSERT_EQUAL(b.cred.have & AU_C_SECRET, 0u);
    a.flags |= AU_F_CRAM;
    CU_ASSERT_EQUAL(au_rec_format(&a, buf, sizeof buf, &len), PL_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "secret="));
    CU_ASSERT_EQUAL(au_rec_parse(buf, len, &b, err, sizeof err), PL_OK);
    CU_ASSERT(t_same(&a, &b));

    /* every truncation is refused */
    for (i = 0; i < len; i++) {
        CU_ASSERT_EQUAL(au_rec_parse(buf, i, &b, err, sizeof err), PL_EIO);
    }
    /* every single-byte change is refused: CR, LF, NUL, or a flipped bit */
    for (i = 0; i < len; i++) {
        static const char inj[4] = { '\r', '\n', '\0', 0 };
        int k;
        for (k = 0; k < 4; k++) {
            memcpy(bad, buf, len);
            if (k < 3) {
                if (bad[i] == inj[k])
                    continue;
                bad[i] = inj[k];
            } else {
                bad[i] = (char)(bad[i] ^ 0x01);
            }
            if (au_rec_parse(bad, len, &b, err, sizeof err) != PL_EIO) {
                CU_FAIL("changed record accepted");
                fprintf(stderr, "byte %u kind %d accepted\n", (unsigned)i, k);
            }
        }
    }
    /* an inserted CR before LF (a file gone through a text converter) */
    memcpy(bad, buf, 30);
    bad[30] = '\r';
    memcpy(bad + 31, buf + 30, len - 30);
    CU_ASSERT_EQUAL(au_rec_parse(bad, len + 1, &b, err, sizeof err), PL_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "CR"));
    bad[30] = '\0';
    CU_ASSERT_EQUAL(au_rec_parse(bad, len + 1, &b, err, sizeof err), PL_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "NUL"));
    CU_ASSERT_EQUAL(au_rec_parse(buf, len - 1, &b, err, sizeof err), PL_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated"));

    /* well-formed checksum around bad fields: each refused by the parser */
    {
        static const char *const bodies[] = {
            /* unknown key */
            "newmail-account 1\nuser=alice\nbogus=1\n",
            /* repeated key */
            "newmail-account 1\nuser=alice\nuser=alice\n",
            /* missing keys */
            "newmail-account 1\nuser=alice\ndomain=example.org\n",
            /* wrong version line */
            "newmail-account 2\nuser=alice\n",
            /* hostile user inside a record */
            "newmail-account 1\nuser=../x\n",
            /* line without '=' */
            "newmail-account 1\nuser\n",
            /* number with a sign */
            "newmail-account 1\nquota=-1\n",
            /* number too large */
            "newmail-account 1\nquota=99999999999999999999\n",
            /* iteration count below the floor */
            "newmail-account 1\npbkdf2_sha256=1:AAAAAAAAAAAAAAAAAAAAAA==:"
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            /* short hash */
            "newmail-account 1\npbkdf2_sha256=100000:AAAAAAAAAAAAAAAAAAAAAA==:"
            "AAAA\n",
            /* bad hex */
            "newmail-account 1\ndigest_md5=zz\n"
        };
        size_t k;
        for (k = 0; k < sizeof bodies / sizeof bodies[0]; k++) {
            size_t bl = strlen(bodies[k]);
            memcpy(bad, bodies[k], bl);
            bl = t_recrc(bad, bl);
            CU_ASSERT_EQUAL(au_rec_parse(bad, bl, &b, err, sizeof err),
                            PL_EIO);
        }
    }
    /* a record whose own fields are rewritten with a fresh crc parses:
     * the checks above fail for their field, not for the crc */
    {
        char *crcline;
        memcpy(bad, buf, len);
        crcline = strstr(bad, "\ncrc=");
        CU_ASSERT_PTR_NOT_NULL_FATAL(crcline);
        CU_ASSERT_EQUAL(au_rec_parse(bad, t_recrc(bad, (size_t)(crcline + 1
                        - bad)), &b, err, sizeof err), PL_OK);
    }
    /* format refuses what it cannot represent */
    t_fill(&a);
    (void)ut_strlcpy(a.fwd[1], "x\r\n@example.org", sizeof a.fwd[1]);
    CU_ASSERT_EQUAL(au_rec_format(&a, buf, sizeof buf, &len), PL_EINVAL);
    t_fill(&a);
    (void)ut_strlcpy(a.user, "../x", sizeof a.user);
    CU_ASSERT_EQUAL(au_rec_format(&a, buf, sizeof buf, &len), PL_EINVAL);
    t_fill(&a);
    a.fwd_n = AU_FWD_MAX + 1;
    CU_ASSERT_EQUAL(au_rec_format(&a, buf, sizeof buf, &len), PL_EINVAL);
    au_account_wipe(&a);
    au_account_wipe(&b);
}

/* ------------------------------------------------------------------ */
/* database                                                            */
/* ------------------------------------------------------------------ */

static pl_dir *t_root;
static au_db *t_db;

static int t_db_setup(const char *name)
{
    const char *path = t_scratch_dir(name);

    t_root = NULL;
    t_db = NULL;
    if (path == NULL || pl_dir_open_root(path, PL_DIR_CREATE, &t_root)
        != PL_OK)
        return -1;
    if (au_db_open(t_root, PL_DIR_CREATE, &t_db) != PL_OK)
        return -1;
    return 0;
}

static void t_db_teardown(void)
{
    au_db_close(t_db);
    pl_dir_close(t_root);
    t_db = NULL;
    t_root = NULL;
}

static int t_count_cb(void *ctx, const char *name, int kind)
{
    (void)name;
    (void)kind;
    (*(int *)ctx)++;
    return 0;
}

/* Entries in AU_ACCOUNTS_DIR and in every domain directory below it. */
static int t_entries(void)
{
    pl_dir *acc = NULL;
    int n = 0;

    if (pl_dir_open(t_root, AU_ACCOUNTS_DIR, 0, &acc) != PL_OK)
        return -1;
    (void)pl_dir_list(acc, t_count_cb, &n);
    {
        pl_dir *d = NULL;
        if (pl_dir_open(acc, "EXAMPLE_ORG", 0, &d) == PL_OK) {
            (void)pl_dir_list(d, t_count_cb, &n);
            pl_dir_close(d);
        }
    }
    pl_dir_close(acc);
    return n;
}

static int t_name_list_cb(void *ctx, const char *name)
{
    char *seen = (char *)ctx;

    if (strlen(seen) + strlen(name) + 2 < 256) {
        strcat(seen, name);
        strcat(seen, " ");
    }
    return 0;
}

static int t_count_names(void *ctx, const char *name)
{
    (void)name;
    (*(int *)ctx)++;
    return 0;
}

static void t_domains(void)
{
    char seen[256];
    au_account a;
    int n;

    CU_ASSERT_EQUAL_FATAL(t_db_setup("auth_dom"), 0);
    CU_ASSERT_STRING_EQUAL(au_db_default_domain(t_db), "");
    CU_ASSERT_EQUAL(au_domain_exists(t_db, "example.org"), PL_ENOENT);
    CU_ASSERT_EQUAL(au_domain_add(t_db, "example.org"), PL_OK);
    CU_ASSERT_EQUAL(au_domain_add(t_db, "example.org"), PL_EEXIST);
    CU_ASSERT_EQUAL(au_domain_add(t_db, "my-host.example.net"), PL_OK);
    CU_ASSERT_EQUAL(au_domain_exists(t_db, "example.org"), PL_OK);
    CU_ASSERT_EQUAL(au_domain_add(t_db, "../x"), PL_EINVAL);
    CU_ASSERT_EQUAL(au_domain_add(t_db, "[000000]"), PL_EINVAL);
    CU_ASSERT_EQUAL(au_domain_add(t_db, "SYS$SYSTEM:"), PL_EINVAL);
    CU_ASSERT_EQUAL(au_domain_add(t_db, "localhost"), PL_EINVAL);
    seen[0] = '\0';
    CU_ASSERT_EQUAL(au_domain_list(t_db, t_name_list_cb, seen), PL_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(seen, "example.org "));
    CU_ASSERT_PTR_NOT_NULL(strstr(seen, "my-host.example.net "));
    n = 0;
    CU_ASSERT_EQUAL(au_domain_list(t_db, t_count_names, &n), PL_OK);
    CU_ASSERT_EQUAL(n, 2);

    /* default domain: must exist, persists, cleared with its domain */
    CU_ASSERT_EQUAL(au_domain_set_default(t_db, "nosuch.org"), PL_ENOENT);
    CU_ASSERT_EQUAL(au_domain_set_default(t_db, "example.org"), PL_OK);
    CU_ASSERT_STRING_EQUAL(au_db_default_domain(t_db), "example.org");
    au_db_close(t_db);
    CU_ASSERT_EQUAL_FATAL(au_db_open(t_root, 0, &t_db), PL_OK);
    CU_ASSERT_STRING_EQUAL(au_db_default_domain(t_db), "example.org");

    /* a domain with accounts is not deleted */
    au_account_init(&a, "alice", "example.org");
    CU_ASSERT_EQUAL(au_db_add(t_db, &a), PL_OK);
    CU_ASSERT_EQUAL(au_domain_del(t_db, "example.org"), PL_ENOTEMPTY);
    CU_ASSERT_EQUAL(au_db_del(t_db, "alice", "example.org"), PL_OK);
    CU_ASSERT_EQUAL(au_domain_del(t_db, "example.org"), PL_OK);
    CU_ASSERT_EQUAL(au_domain_exists(t_db, "example.org"), PL_ENOENT);
    CU_ASSERT_STRING_EQUAL(au_db_default_domain(t_db), "");
    CU_ASSERT_EQUAL(au_domain_del(t_db, "example.org"), PL_ENOENT);
    au_db_close(t_db);
    CU_ASSERT_EQUAL_FATAL(au_db_open(t_root, 0, &t_db), PL_OK);
    CU_ASSERT_STRING_EQUAL(au_db_default_domain(t_db), "");
    t_db_teardown();
}

static void t_db_roundtrip(void)
{
    static au_account a, b;
    int before;
    size_t i;
    static const char *const hostile[] = {
        "../x", "a/b", ".", "..", "~root", "[-]", "[000000]", "SYS$SYSTEM:",
        "X;1", "A*", "%%", "DKA0:[X]", "u%h", "h!u", "\"x\"",
        "@a.org:u", "alice@", "@example.org", "a..b"
    };

    CU_ASSERT_EQUAL_FATAL(t_db_setup("auth_db"), 0);
    t_fill(&a);
    /* the domain must exist first */
    CU_ASSERT_EQUAL(au_db_add(t_db, &a), PL_ENOENT);
    CU_ASSERT_EQUAL(au_domain_add(t_db, "example.org"), PL_OK);
    CU_ASSERT_EQUAL(au_db_add(t_db, &a), PL_OK);
    CU_ASSERT_EQUAL(au_db_add(t_db, &a), PL_EEXIST);
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &b), PL_OK);
    CU_ASSERT(t_same(&a, &b));
    CU_ASSERT_EQUAL(au_db_get(t_db, "bob", "example.org", &b), PL_ENOENT);
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.net", &b), PL_ENOENT);

    /* by address, with and without the default domain */
    CU_ASSERT_EQUAL(au_db_get_addr(t_db, "ALICE@example.ORG", 17, &b),
                    PL_OK);
    CU_ASSERT_EQUAL(au_db_get_addr(t_db, "alice", 5, &b), PL_EINVAL);
    CU_ASSERT_EQUAL(au_domain_set_default(t_db, "example.org"), PL_OK);
    CU_ASSERT_EQUAL(au_db_get_addr(t_db, "alice", 5, &b), PL_OK);
    CU_ASSERT_STRING_EQUAL(b.user, "alice");

    /* hostile names: refused, and nothing appears on disk */
    before = t_entries();
    for (i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        au_account h;
        CU_ASSERT_EQUAL(au_db_get_addr(t_db, hostile[i], strlen(hostile[i]),
                                       &b), PL_EINVAL);
        au_account_init(&h, hostile[i], "example.org");
        CU_ASSERT_EQUAL(au_db_add(t_db, &h), PL_EINVAL);
        CU_ASSERT_EQUAL(au_db_del(t_db, hostile[i], "example.org"),
                        PL_EINVAL);
        au_account_init(&h, "alice", hostile[i]);
        CU_ASSERT_EQUAL(au_db_add(t_db, &h), PL_EINVAL);
        CU_ASSERT_EQUAL(au_db_get(t_db, "alice", hostile[i], &b),
                        PL_EINVAL);
    }
    CU_ASSERT_EQUAL(t_entries(), before);

    /* put replaces; flags and forwarding round-trip */
    a.flags = AU_F_DISUSER | AU_F_DISMAIL | AU_F_LOCKPWD | AU_F_PWDEXPIRED;
    a.fwd_n = 1;
    a.fwd_keep = 0;
    (void)ut_strlcpy(a.fwd[0], "new@example.com", sizeof a.fwd[0]);
    CU_ASSERT_EQUAL(au_db_put(t_db, &a), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &b), PL_OK);
    CU_ASSERT_EQUAL(b.flags, a.flags);
    CU_ASSERT_EQUAL(b.fwd_n, 1);
    CU_ASSERT_EQUAL(b.fwd_keep, 0);
    CU_ASSERT_STRING_EQUAL(b.fwd[0], "new@example.com");
    /* no APOP/CRAM flag now: the secret is gone from the stored record */
    CU_ASSERT_EQUAL(b.cred.have & AU_C_SECRET, 0u);
    b.fwd_n = AU_FWD_MAX;
    for (i = 0; i < AU_FWD_MAX; i++)
        sprintf(b.fwd[i], "user%u@example.com", (unsigned)i);
    b.fwd_keep = 1;
    CU_ASSERT_EQUAL(au_db_put(t_db, &b), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &a), PL_OK);
    CU_ASSERT_EQUAL(a.fwd_n, AU_FWD_MAX);
    CU_ASSERT_EQUAL(a.fwd_keep, 1);
    CU_ASSERT_STRING_EQUAL(a.fwd[AU_FWD_MAX - 1], "user15@example.com");

    au_account_init(&b, "nobody", "example.org");
    CU_ASSERT_EQUAL(au_db_put(t_db, &b), PL_ENOENT);
    CU_ASSERT_EQUAL(au_db_del(t_db, "nobody", "example.org"), PL_ENOENT);

    /* delete, then add again */
    CU_ASSERT_EQUAL(au_db_del(t_db, "alice", "example.org"), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &b), PL_ENOENT);
    CU_ASSERT_EQUAL(au_db_add(t_db, &a), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &b), PL_OK);
    t_db_teardown();
}

static int t_bump(void *ctx, au_account *a)
{
    (void)ctx;
    a->quota += 1;
    return PL_OK;
}

static int t_rename(void *ctx, au_account *a)
{
    (void)ctx;
    (void)ut_strlcpy(a->user, "mallory", sizeof a->user);
    return PL_OK;
}

static int t_refuse(void *ctx, au_account *a)
{
    (void)ctx;
    a->quota = 1;
    return PL_EACCES;
}

static void t_counters(void)
{
    au_account a;

    CU_ASSERT_EQUAL_FATAL(t_db_setup("auth_cnt"), 0);
    CU_ASSERT_EQUAL(au_domain_add(t_db, "example.org"), PL_OK);
    au_account_init(&a, "bob", "example.org");
    CU_ASSERT_EQUAL(au_db_add(t_db, &a), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "bob", "example.org", &a), PL_OK);
    CU_ASSERT(a.created > 0);
    CU_ASSERT_EQUAL(a.rx_msgs, 0u);

    CU_ASSERT_EQUAL(au_db_count_rx(t_db, "bob", "example.org", 1, 4096),
                    PL_OK);
    CU_ASSERT_EQUAL(au_db_count_rx(t_db, "bob", "example.org", 2, 100),
                    PL_OK);
    CU_ASSERT_EQUAL(au_db_count_connect(t_db, "bob", "example.org",
                                        1790000000), PL_OK);
    CU_ASSERT_EQUAL(au_db_count_connect(t_db, "bob", "example.org",
                                        1790000100), PL_OK);
    CU_ASSERT_EQUAL(au_db_count_disconnect(t_db, "bob", "example.org",
                                           1790000200), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "bob", "example.org", &a), PL_OK);
    CU_ASSERT_EQUAL(a.rx_msgs, 3u);
    CU_ASSERT_EQUAL(a.rx_bytes, 4196u);
    CU_ASSERT_EQUAL(a.connects, 2u);
    CU_ASSERT_EQUAL(a.last_connect, 1790000100);
    CU_ASSERT_EQUAL(a.last_disconnect, 1790000200);

    /* saturate rather than wrap */
    CU_ASSERT_EQUAL(au_db_count_rx(t_db, "bob", "example.org",
                                   ~(pl_u64)0, ~(pl_u64)0), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "bob", "example.org", &a), PL_OK);
    CU_ASSERT_EQUAL(a.rx_msgs, 0x7FFFFFFFFFFFFFFFULL);

    CU_ASSERT_EQUAL(au_db_count_rx(t_db, "nobody", "example.org", 1, 1),
                    PL_ENOENT);
    CU_ASSERT_EQUAL(au_db_count_connect(t_db, "bob", "example.org", -1),
                    PL_EINVAL);

    /* update: applied, identity kept, a refusal changes nothing */
    CU_ASSERT_EQUAL(au_db_update(t_db, "bob", "example.org", t_bump, NULL),
                    PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "bob", "example.org", &a), PL_OK);
    CU_ASSERT_EQUAL(a.quota, 1u);
    CU_ASSERT_EQUAL(au_db_update(t_db, "bob", "example.org", t_rename,
                                 NULL), PL_EINVAL);
    CU_ASSERT_EQUAL(au_db_update(t_db, "bob", "example.org", t_refuse,
                                 NULL), PL_EACCES);
    CU_ASSERT_EQUAL(au_db_get(t_db, "bob", "example.org", &a), PL_OK);
    CU_ASSERT_STRING_EQUAL(a.user, "bob");
    CU_ASSERT_EQUAL(a.quota, 1u);
    CU_ASSERT_EQUAL(au_db_get(t_db, "mallory", "example.org", &a),
                    PL_ENOENT);
    t_db_teardown();
}

/* Counters of a running server: gathered in memory, written in batches
 * (au_pend.c).  Table: the adds, then what the records say after a
 * forced flush. */
static void t_pend(void)
{
    static const struct {
        const char *user;
        pl_u64 msgs, bytes;
    } adds[] = {
        { "bob", 1, 100 }, { "dave", 2, 50 }, { "bob", 3, 10 },
        { "ghost", 1, 1 }, { "dave", 1, 1 }
    };
    au_pend *p = NULL;
    au_account a;
    char user[32], longname[AU_USER_MAX + 2];
    size_t i;
    int k;

    CU_ASSERT_EQUAL_FATAL(t_db_setup("auth_pend"), 0);
    CU_ASSERT_EQUAL(au_domain_add(t_db, "example.org"), PL_OK);
    au_account_init(&a, "bob", "example.org");
    CU_ASSERT_EQUAL(au_db_add(t_db, &a), PL_OK);
    au_account_init(&a, "dave", "example.org");
    CU_ASSERT_EQUAL(au_db_add(t_db, &a), PL_OK);
    CU_ASSERT_EQUAL_FATAL(au_pend_new(&p), PL_OK);
    for (i = 0; i < sizeof adds / sizeof adds[0]; i++)
        CU_ASSERT_EQUAL(au_pend_add(p, t_db, adds[i].user, "example.org",
                                    adds[i].msgs, adds[i].bytes), PL_OK);
    /* younger than AU_PEND_FLUSH_MS: nothing written yet */
    CU_ASSERT_EQUAL(au_pend_flush(p, t_root, NULL, 0), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "bob", "example.org", &a), PL_OK);
    CU_ASSERT_EQUAL(a.rx_msgs, 0u);
    /* forced: one update per account; the missing account is skipped */
    CU_ASSERT_EQUAL(au_pend_flush(p, t_root, NULL, 1), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "bob", "example.org", &a), PL_OK);
    CU_ASSERT_EQUAL(a.rx_msgs, 4u);
    CU_ASSERT_EQUAL(a.rx_bytes, 110u);
    CU_ASSERT_EQUAL(au_db_get(t_db, "dave", "example.org", &a), PL_OK);
    CU_ASSERT_EQUAL(a.rx_msgs, 3u);
    CU_ASSERT_EQUAL(a.rx_bytes, 51u);
    /* an empty table writes nothing; a second flush counts nothing twice */
    CU_ASSERT_EQUAL(au_pend_flush(p, t_root, NULL, 1), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "bob", "example.org", &a), PL_OK);
    CU_ASSERT_EQUAL(a.rx_msgs, 4u);
    /* a full table writes through the caller's database at once */
    for (k = 0; k < AU_PEND_MAX; k++) {
        sprintf(user, "u%d", k);
        if (au_pend_add(p, t_db, user, "example.org", 1, 1) != PL_OK)
            break;
    }
    CU_ASSERT_EQUAL(k, AU_PEND_MAX);
    CU_ASSERT_EQUAL(au_pend_add(p, t_db, "dave", "example.org", 5, 5),
                    PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "dave", "example.org", &a), PL_OK);
    CU_ASSERT_EQUAL(a.rx_msgs, 8u);
    /* no table: written at once; bad names refused */
    CU_ASSERT_EQUAL(au_pend_add(NULL, t_db, "bob", "example.org", 1, 1),
                    PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "bob", "example.org", &a), PL_OK);
    CU_ASSERT_EQUAL(a.rx_msgs, 5u);
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CU_ASSERT_EQUAL(au_pend_add(p, t_db, longname, "example.org", 1, 1),
                    PL_EINVAL);
    au_pend_free(p);     /* the u0.. counts were never flushed: dropped */
    /* with the flusher thread: stop writes what is pending */
    CU_ASSERT_EQUAL_FATAL(au_pend_new(&p), PL_OK);
    CU_ASSERT_EQUAL(au_pend_start(p, t_root, NULL), PL_OK);
    CU_ASSERT_EQUAL(au_pend_start(p, t_root, NULL), PL_EINVAL);
    CU_ASSERT_EQUAL(au_pend_add(p, t_db, "bob", "example.org", 2, 2),
                    PL_OK);
    au_pend_stop(p);
    CU_ASSERT_EQUAL(au_db_get(t_db, "bob", "example.org", &a), PL_OK);
    CU_ASSERT_EQUAL(a.rx_msgs, 7u);
    au_pend_stop(p);     /* a second stop is a no-op */
    au_pend_free(p);
    t_db_teardown();
}

static void t_many(void)
{
    static au_account a;
    char user[32];
    int i, n, bad = 0;

    CU_ASSERT_EQUAL_FATAL(t_db_setup("auth_many"), 0);
    CU_ASSERT_EQUAL(au_domain_add(t_db, "example.org"), PL_OK);
    for (i = 0; i < 1000; i++) {
        sprintf(user, "user.%d", i);
        au_account_init(&a, user, "example.org");
        a.quota = (pl_u64)i * 1000u;
        if (au_db_add(t_db, &a) != PL_OK)
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    for (i = 999; i >= 0; i--) {
        sprintf(user, "USER.%d@EXAMPLE.ORG", i);
        if (au_db_get_addr(t_db, user, strlen(user), &a) != PL_OK ||
            a.quota != (pl_u64)i * 1000u)
            bad++;
        else {
            sprintf(user, "user.%d", i);
            if (strcmp(a.user, user) != 0)
                bad++;
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(au_db_get(t_db, "user.1000", "example.org", &a),
                    PL_ENOENT);
    n = 0;
    CU_ASSERT_EQUAL(au_db_list(t_db, "example.org", t_count_names, &n),
                    PL_OK);
    CU_ASSERT_EQUAL(n, 1000);
    t_db_teardown();
}

/* Writers in several threads, each with its own handle, bump one
 * account's counters: the lock must make every increment count. */
#define T_THREADS 4
#define T_BUMPS   25

typedef struct t_worker {
    int failures;
} t_worker;

static void t_worker_fn(void *arg)
{
    t_worker *w = (t_worker *)arg;
    au_db *db = NULL;
    int i;

    if (au_db_open(t_root, 0, &db) != PL_OK) {
        w->failures = T_BUMPS;
        return;
    }
    for (i = 0; i < T_BUMPS; i++) {
        if (au_db_count_rx(db, "carol", "example.org", 1, 10) != PL_OK)
            w->failures++;
        if (au_db_count_connect(db, "carol", "example.org", 1000 + i)
            != PL_OK)
            w->failures++;
    }
    au_db_close(db);
}

static void t_threads(void)
{
    static t_worker w[T_THREADS];
    pl_thread *th[T_THREADS];
    au_account a;
    int i, started = 0, failures = 0;

    CU_ASSERT_EQUAL_FATAL(t_db_setup("auth_thr"), 0);
    CU_ASSERT_EQUAL(au_domain_add(t_db, "example.org"), PL_OK);
    au_account_init(&a, "carol", "example.org");
    CU_ASSERT_EQUAL(au_db_add(t_db, &a), PL_OK);
    for (i = 0; i < T_THREADS; i++) {
        w[i].failures = 0;
        if (pl_thread_start(t_worker_fn, &w[i], 0, 0, &th[i]) == PL_OK)
            started++;
        else
            break;
    }
    CU_ASSERT_EQUAL(started, T_THREADS);
    for (i = 0; i < started; i++) {
        CU_ASSERT_EQUAL(pl_thread_join(th[i]), PL_OK);
        failures += w[i].failures;
    }
    CU_ASSERT_EQUAL(failures, 0);
    CU_ASSERT_EQUAL(au_db_get(t_db, "carol", "example.org", &a), PL_OK);
    CU_ASSERT_EQUAL(a.rx_msgs, (pl_u64)(started * T_BUMPS));
    CU_ASSERT_EQUAL(a.rx_bytes, (pl_u64)(started * T_BUMPS * 10));
    CU_ASSERT_EQUAL(a.connects, (pl_u64)(started * T_BUMPS));
    t_db_teardown();
}

/* Write raw bytes as `name` in the example.org directory. */
static int t_raw(const char *name, const char *data, size_t len)
{
    pl_dir *acc = NULL, *d = NULL;
    pl_file *f = NULL;
    int rc;

    rc = pl_dir_open(t_root, AU_ACCOUNTS_DIR, 0, &acc);
    if (rc == PL_OK)
        rc = pl_dir_open(acc, "EXAMPLE_ORG", 0, &d);
    if (rc == PL_OK) {
        (void)pl_file_remove(d, name);
        rc = pl_file_create(d, name, &f);
    }
    if (rc == PL_OK) {
        rc = pl_file_write(f, data, len);
        if (pl_file_close(f) != PL_OK)
            rc = PL_EIO;
    }
    pl_dir_close(d);
    pl_dir_close(acc);
    return rc;
}

static int t_exists(const char *name)
{
    pl_dir *acc = NULL, *d = NULL;
    pl_file_info fi;
    int rc;

    rc = pl_dir_open(t_root, AU_ACCOUNTS_DIR, 0, &acc);
    if (rc == PL_OK)
        rc = pl_dir_open(acc, "EXAMPLE_ORG", 0, &d);
    if (rc == PL_OK)
        rc = pl_file_info_get(d, name, &fi);
    pl_dir_close(d);
    pl_dir_close(acc);
    return rc == PL_OK;
}

static void t_crash(void)
{
    static au_account a, b;
    static char buf[AU_REC_MAX + 1];
    size_t len;
    int removed = -1;
    int n;

    CU_ASSERT_EQUAL_FATAL(t_db_setup("auth_crash"), 0);
    CU_ASSERT_EQUAL(au_domain_add(t_db, "example.org"), PL_OK);
    t_fill(&a);
    CU_ASSERT_EQUAL(au_db_add(t_db, &a), PL_OK);

    /* an update interrupted after writing part of its temporary */
    CU_ASSERT_EQUAL(t_raw("ALICE.TMP", "newmail-account 1\nuser=al", 25),
                    PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &b), PL_OK);
    CU_ASSERT(t_same(&a, &b));
    n = 0;
    CU_ASSERT_EQUAL(au_db_list(t_db, "example.org", t_count_names, &n),
                    PL_OK);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(au_db_reap(t_db, "example.org", &removed), PL_OK);
    CU_ASSERT_EQUAL(removed, 1);
    CU_ASSERT(!t_exists("ALICE.TMP"));
    CU_ASSERT(t_exists("ALICE.ACC"));
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &b), PL_OK);
    CU_ASSERT(t_same(&a, &b));

    /* the next writer also removes a leftover and succeeds */
    CU_ASSERT_EQUAL(t_raw("ALICE.TMP", "junk", 4), PL_OK);
    CU_ASSERT_EQUAL(au_db_count_rx(t_db, "alice", "example.org", 1, 10),
                    PL_OK);
    CU_ASSERT(!t_exists("ALICE.TMP"));
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &b), PL_OK);
    CU_ASSERT_EQUAL(b.rx_msgs, a.rx_msgs + 1);

    /* corrupt records on disk are refused with PL_EIO, not half-read */
    CU_ASSERT_EQUAL(au_rec_format(&b, buf, sizeof buf, &len), PL_OK);
    CU_ASSERT_EQUAL(t_raw("ALICE.ACC", buf, len / 2), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &b), PL_EIO);
    buf[40] = '\r';
    CU_ASSERT_EQUAL(t_raw("ALICE.ACC", buf, len), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &b), PL_EIO);
    buf[40] = '\0';
    CU_ASSERT_EQUAL(t_raw("ALICE.ACC", buf, len), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &b), PL_EIO);
    CU_ASSERT_EQUAL(t_raw("ALICE.ACC", "", 0), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &b), PL_EIO);
    /* an update never rewrites a corrupt record from garbage */
    CU_ASSERT_EQUAL(au_db_count_rx(t_db, "alice", "example.org", 1, 1),
                    PL_EIO);
    /* too large */
    {
        static char big[AU_REC_MAX + 100];
        memset(big, 'x', sizeof big);
        CU_ASSERT_EQUAL(t_raw("ALICE.ACC", big, sizeof big), PL_OK);
        CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &b),
                        PL_EIO);
    }
    /* a valid record of another account copied over this one */
    au_account_init(&b, "bob", "example.org");
    CU_ASSERT_EQUAL(au_rec_format(&b, buf, sizeof buf, &len), PL_OK);
    CU_ASSERT_EQUAL(t_raw("ALICE.ACC", buf, len), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &b), PL_EIO);
    /* put repairs it */
    CU_ASSERT_EQUAL(au_db_put(t_db, &a), PL_OK);
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &b), PL_OK);
    CU_ASSERT(t_same(&a, &b));
    t_db_teardown();
}

/* ------------------------------------------------------------------ */
/* credentials (OpenSSL)                                               */
/* ------------------------------------------------------------------ */


static void t_b64(const char *s, pl_u8 *out, size_t want)
{
    size_t got = 0;

    CU_ASSERT_EQUAL(ut_b64_decode(s, strlen(s), out, want, &got), PL_OK);
    CU_ASSERT_EQUAL(got, want);
}

static void t_cred_plain(void)
{
    static au_account a;
    int r = -1;

    au_account_init(&a, "alice", "example.org");
    CU_ASSERT_EQUAL(au_cred_set(&a, "correct horse", 13), PL_OK);
    CU_ASSERT(a.cred.have & AU_C_PBKDF2);
    CU_ASSERT(a.cred.have & AU_C_SCRAM);
    CU_ASSERT(a.cred.have & AU_C_DIGEST);
    CU_ASSERT_EQUAL(a.cred.have & AU_C_SECRET, 0u);
    CU_ASSERT_EQUAL(a.cred.pw_iter, (pl_u32)AU_PBKDF2_ITER);
    CU_ASSERT(a.pwd_changed > 0);

    CU_ASSERT_EQUAL(au_cred_verify_plain(&a, "correct horse", 13, &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_OK);
    CU_ASSERT_EQUAL(au_cred_verify_plain(&a, "correct horsf", 13, &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    CU_ASSERT_EQUAL(au_cred_verify_plain(&a, "correct hors", 12, &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    CU_ASSERT_EQUAL(au_cred_verify_plain(&a, "", 0, &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    CU_ASSERT_EQUAL(au_cred_verify_plain(NULL, "correct horse", 13, &r),
                    PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    /* flags are told only after a right password */
    a.flags = AU_F_DISUSER;
    CU_ASSERT_EQUAL(au_cred_verify_plain(&a, "correct horse", 13, &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_LOCKED);
    CU_ASSERT_EQUAL(au_cred_verify_plain(&a, "wrong", 5, &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    a.flags = AU_F_PWDEXPIRED;
    CU_ASSERT_EQUAL(au_cred_verify_plain(&a, "correct horse", 13, &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_EXPIRED);
    a.flags = 0;
    /* a second set uses fresh salts */
    {
        pl_u8 old[AU_SALT_LEN];
        memcpy(old, a.cred.pw_salt, sizeof old);
        CU_ASSERT_EQUAL(au_cred_set(&a, "correct horse", 13), PL_OK);
        CU_ASSERT(memcmp(old, a.cred.pw_salt, sizeof old) != 0);
    }
    CU_ASSERT_EQUAL(au_cred_set(&a, "a\0b", 3), PL_EINVAL);
    CU_ASSERT_EQUAL(au_cred_set(&a, "", 0), PL_EINVAL);
    au_account_wipe(&a);
}

static void t_cred_db(void)
{
    static au_account a;
    int r = -1;
    int r2 = -1;

    CU_ASSERT_EQUAL_FATAL(t_db_setup("auth_cred"), 0);
    CU_ASSERT_EQUAL(au_domain_add(t_db, "example.org"), PL_OK);
    CU_ASSERT_EQUAL(au_domain_set_default(t_db, "example.org"), PL_OK);
    au_account_init(&a, "alice", "example.org");
    a.flags = AU_F_APOP;
    CU_ASSERT_EQUAL(au_cred_set(&a, "pw-alice", 8), PL_OK);
    CU_ASSERT_EQUAL(au_db_add(t_db, &a), PL_OK);
    au_account_wipe(&a);

    CU_ASSERT_EQUAL(au_auth_plain(t_db, "alice@example.org", 17, "pw-alice",
                                  8, &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_OK);
    CU_ASSERT_EQUAL(au_auth_plain(t_db, "Alice", 5, "pw-alice", 8, &r),
                    PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_OK);
    /* wrong password, unknown user, hostile name: one answer */
    CU_ASSERT_EQUAL(au_auth_plain(t_db, "alice", 5, "pw-alicE", 8, &r),
                    PL_OK);
    CU_ASSERT_EQUAL(au_auth_plain(t_db, "nobody", 6, "pw-alice", 8, &r2),
                    PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    CU_ASSERT_EQUAL(r2, r);
    CU_ASSERT_EQUAL(au_auth_plain(t_db, "../x", 4, "pw-alice", 8, &r2),
                    PL_OK);
    CU_ASSERT_EQUAL(r2, r);
    CU_ASSERT_EQUAL(au_auth_plain(t_db, "x@nosuch.org", 12, "pw", 2, &r2),
                    PL_OK);
    CU_ASSERT_EQUAL(r2, r);

    /* the stored secret survives the record round trip for APOP */
    CU_ASSERT_EQUAL(au_db_get(t_db, "alice", "example.org", &a), PL_OK);
    CU_ASSERT(a.cred.have & AU_C_SECRET);
    CU_ASSERT_EQUAL(a.cred.secret_len, 8u);
    au_account_wipe(&a);
    t_db_teardown();
}

static void t_scram(void)
{
    /* RFC 7677 3: user "user", password "pencil" */
    static const char auth_msg[] =
        "n=user,r=rOprNGfwEbeRWgbNEkqO,"
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    static au_account a;
    pl_u8 salt[AU_SALT_LEN];
    pl_u8 proof[AU_SHA256_LEN];
    pl_u8 want_sig[AU_SHA256_LEN];
    pl_u8 sig[AU_SHA256_LEN];
    int r = -1;

    t_b64("W22ZaJ0SNY7soEsUEjb6gQ==", salt, sizeof salt);
    t_b64("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", proof,
          sizeof proof);
    t_b64("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", want_sig,
          sizeof want_sig);
    au_account_init(&a, "user", "example.org");
    CU_ASSERT_EQUAL(au_scram_keys("pencil", 6, salt, sizeof salt, 4096,
                                  a.cred.sc_stored, a.cred.sc_server), PL_OK);
    memcpy(a.cred.sc_salt, salt, sizeof salt);
    a.cred.sc_iter = 4096;
    a.cred.have = AU_C_SCRAM;
    CU_ASSERT_EQUAL(au_scram_verify(&a, auth_msg, strlen(auth_msg), proof,
                                    &r, sig), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_OK);
    CU_ASSERT_EQUAL(memcmp(sig, want_sig, sizeof sig), 0);
    /* a flipped bit in the proof, or another AuthMessage, is refused */
    proof[5] ^= 0x40;
    CU_ASSERT_EQUAL(au_scram_verify(&a, auth_msg, strlen(auth_msg), proof,
                                    &r, sig), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    proof[5] ^= 0x40;
    CU_ASSERT_EQUAL(au_scram_verify(&a, auth_msg, strlen(auth_msg) - 1,
                                    proof, &r, sig), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    CU_ASSERT_EQUAL(au_scram_verify(NULL, auth_msg, strlen(auth_msg), proof,
                                    &r, sig), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    /* au_cred_set derives keys that verify with a client's computation */
    au_account_init(&a, "user", "example.org");
    CU_ASSERT_EQUAL(au_cred_set(&a, "pencil", 6), PL_OK);
    CU_ASSERT_EQUAL(a.cred.sc_iter, (pl_u32)AU_SCRAM_ITER);
    {
        pl_u8 st[AU_SHA256_LEN], sv[AU_SHA256_LEN];
        CU_ASSERT_EQUAL(au_scram_keys("pencil", 6, a.cred.sc_salt,
                                      AU_SALT_LEN, a.cred.sc_iter, st, sv),
                        PL_OK);
        CU_ASSERT_EQUAL(memcmp(st, a.cred.sc_stored, sizeof st), 0);
        CU_ASSERT_EQUAL(memcmp(sv, a.cred.sc_server, sizeof sv), 0);
    }
    /* fake salts for unknown users: stable per name, differ by name */
    {
        pl_u8 s1[AU_SALT_LEN], s2[AU_SALT_LEN], s3[AU_SALT_LEN];
        CU_ASSERT_EQUAL(au_scram_fake_salt("k", 1, "x@a.b", s1), PL_OK);
        CU_ASSERT_EQUAL(au_scram_fake_salt("k", 1, "x@a.b", s2), PL_OK);
        CU_ASSERT_EQUAL(au_scram_fake_salt("k", 1, "y@a.b", s3), PL_OK);
        CU_ASSERT_EQUAL(memcmp(s1, s2, sizeof s1), 0);
        CU_ASSERT_NOT_EQUAL(memcmp(s1, s3, sizeof s1), 0);
    }
    au_account_wipe(&a);
}

static void t_cram_apop(void)
{
    static au_account a;
    static const char ch[] = "<1896.697170952@postoffice.reston.mci.net>";
    static const char ts[] = "<1896.697170952@dbc.mtview.ca.us>";
    int r = -1;

    /* RFC 2195 2 */
    au_account_init(&a, "tim", "example.org");
    a.flags = AU_F_CRAM;
    CU_ASSERT_EQUAL(au_cred_set(&a, "tanstaaftanstaaf", 16), PL_OK);
    CU_ASSERT_EQUAL(au_cred_verify_cram(&a, ch, strlen(ch),
                    "b913a602c7eda7a495b4e6e7334d3890", &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_OK);
    CU_ASSERT_EQUAL(au_cred_verify_cram(&a, ch, strlen(ch),
                    "B913A602C7EDA7A495B4E6E7334D3890", &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_OK);
    CU_ASSERT_EQUAL(au_cred_verify_cram(&a, ch, strlen(ch),
                    "b913a602c7eda7a495b4e6e7334d3891", &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    CU_ASSERT_EQUAL(au_cred_verify_cram(&a, ch, strlen(ch), "b913", &r),
                    PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    CU_ASSERT_EQUAL(au_cred_verify_cram(NULL, ch, strlen(ch),
                    "b913a602c7eda7a495b4e6e7334d3890", &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    /* APOP is not enabled for this account */
    CU_ASSERT_EQUAL(au_cred_verify_apop(&a, ts,
                    "c4c9334bac560ecc979e58001b3e22fb", &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);

    /* RFC 1939 7 */
    au_account_init(&a, "mrose", "example.org");
    a.flags = AU_F_APOP;
    CU_ASSERT_EQUAL(au_cred_set(&a, "tanstaaf", 8), PL_OK);
    CU_ASSERT_EQUAL(au_cred_verify_apop(&a, ts,
                    "c4c9334bac560ecc979e58001b3e22fb", &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_OK);
    CU_ASSERT_EQUAL(au_cred_verify_apop(&a, ts,
                    "c4c9334bac560ecc979e58001b3e22fc", &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    CU_ASSERT_EQUAL(au_cred_verify_apop(&a, "<other@host>",
                    "c4c9334bac560ecc979e58001b3e22fb", &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    CU_ASSERT_EQUAL(au_cred_verify_apop(&a, ts, "xyz", &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    CU_ASSERT_EQUAL(au_cred_verify_cram(&a, ch, strlen(ch),
                    "b913a602c7eda7a495b4e6e7334d3890", &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    a.flags |= AU_F_DISUSER;
    CU_ASSERT_EQUAL(au_cred_verify_apop(&a, ts,
                    "c4c9334bac560ecc979e58001b3e22fb", &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_LOCKED);
    /* without a mechanism flag, set keeps no secret */
    au_account_init(&a, "mrose", "example.org");
    CU_ASSERT_EQUAL(au_cred_set(&a, "tanstaaf", 8), PL_OK);
    CU_ASSERT_EQUAL(a.cred.have & AU_C_SECRET, 0u);
    a.flags = AU_F_APOP;   /* enabled later: no secret until a new set */
    CU_ASSERT_EQUAL(au_cred_verify_apop(&a, ts,
                    "c4c9334bac560ecc979e58001b3e22fb", &r), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    au_account_wipe(&a);
}

static void t_digest(void)
{
    /* RFC 2831 4: chris / elwood.innosoft.com / secret */
    static au_account a;
    pl_u8 ha1[AU_MD5_LEN];
    char out[2 * AU_MD5_LEN + 1];
    char rsp[2 * AU_MD5_LEN + 1];
    int r = -1;

    CU_ASSERT_EQUAL(au_digest_ha1("chris", "elwood.innosoft.com", "secret",
                                  6, ha1), PL_OK);
    CU_ASSERT_EQUAL(au_digest_response(ha1, "OA6MG9tEQGm2hh",
                    "OA6MHXh6VqTrRk", "00000001", NULL,
                    "imap/elwood.innosoft.com", 0, out), PL_OK);
    CU_ASSERT_STRING_EQUAL(out, "d388dad90d4bbd760a152321f2143af7");
    CU_ASSERT_EQUAL(au_digest_response(ha1, "OA6MG9tEQGm2hh",
                    "OA6MHXh6VqTrRk", "00000001", NULL,
                    "imap/elwood.innosoft.com", 1, out), PL_OK);
    CU_ASSERT_STRING_EQUAL(out, "ea40f60335c427b5527b84dbabcdfffd");

    au_account_init(&a, "chris", "example.org");
    memcpy(a.cred.dg_ha1, ha1, sizeof ha1);
    a.cred.have = AU_C_DIGEST;
    CU_ASSERT_EQUAL(au_cred_verify_digest(&a, "OA6MG9tEQGm2hh",
                    "OA6MHXh6VqTrRk", "00000001", NULL,
                    "imap/elwood.innosoft.com",
                    "D388DAD90D4BBD760A152321F2143AF7", &r, rsp), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_OK);
    CU_ASSERT_STRING_EQUAL(rsp, "ea40f60335c427b5527b84dbabcdfffd");
    CU_ASSERT_EQUAL(au_cred_verify_digest(&a, "OA6MG9tEQGm2hh",
                    "OA6MHXh6VqTrRk", "00000002", NULL,
                    "imap/elwood.innosoft.com",
                    "d388dad90d4bbd760a152321f2143af7", &r, rsp), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    CU_ASSERT_STRING_EQUAL(rsp, "");
    CU_ASSERT_EQUAL(au_cred_verify_digest(&a, "OA6MG9tEQGm2hh",
                    "OA6MHXh6VqTrRk", "00000001", NULL,
                    "imap/elwood.innosoft.com",
                    "d388dad90d4bbd760a152321f2143af7ff", &r, rsp), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    CU_ASSERT_EQUAL(au_cred_verify_digest(NULL, "OA6MG9tEQGm2hh",
                    "OA6MHXh6VqTrRk", "00000001", NULL,
                    "imap/elwood.innosoft.com",
                    "d388dad90d4bbd760a152321f2143af7", &r, rsp), PL_OK);
    CU_ASSERT_EQUAL(r, AU_AUTH_BAD);
    /* au_cred_set stores H(user@domain:domain:password) */
    au_account_init(&a, "chris", "example.org");
    CU_ASSERT_EQUAL(au_cred_set(&a, "secret", 6), PL_OK);
    CU_ASSERT_EQUAL(au_digest_ha1("chris@example.org", "example.org",
                                  "secret", 6, ha1), PL_OK);
    CU_ASSERT_EQUAL(memcmp(ha1, a.cred.dg_ha1, sizeof ha1), 0);
    au_account_wipe(&a);
}


int t_auth_register(void)
{
    CU_pSuite s = CU_add_suite("auth", NULL, NULL);

    if (s == NULL ||
        CU_add_test(s, "names and ODS-2 mapping", t_names) == NULL ||
        CU_add_test(s, "unmap refuses foreign names", t_unmap_bad) == NULL ||
        CU_add_test(s, "forwarding targets", t_fwd) == NULL ||
        CU_add_test(s, "flag names", t_flags) == NULL ||
        CU_add_test(s, "quota and overdraft", t_quota) == NULL ||
        CU_add_test(s, "record format and corruption", t_rec) == NULL ||
        CU_add_test(s, "domains and default domain", t_domains) == NULL ||
        CU_add_test(s, "account round trips", t_db_roundtrip) == NULL ||
        CU_add_test(s, "counters and update", t_counters) == NULL ||
        CU_add_test(s, "counters written in batches", t_pend) == NULL ||
        CU_add_test(s, "1000 accounts", t_many) == NULL ||
        CU_add_test(s, "concurrent writers", t_threads) == NULL ||
        CU_add_test(s, "crash leftovers and corrupt files", t_crash)
            == NULL)
        return -1;
    s = CU_add_suite("auth_cred", NULL, NULL);
    if (s == NULL ||
        CU_add_test(s, "plaintext hash verify", t_cred_plain) == NULL ||
        CU_add_test(s, "auth through the database", t_cred_db) == NULL ||
        CU_add_test(s, "SCRAM-SHA-256 RFC 7677", t_scram) == NULL ||
        CU_add_test(s, "CRAM-MD5 RFC 2195, APOP RFC 1939", t_cram_apop)
            == NULL ||
        CU_add_test(s, "DIGEST-MD5 RFC 2831", t_digest) == NULL)
        return -1;
    return 0;
}
