/*
 * t_sasl.c - unit tests of src/auth/au_sasl.c: every mechanism run as a
 * real client would, with the client side computed here with OpenSSL
 * (HMAC-MD5 for CRAM-MD5, the RFC 2831 response for DIGEST-MD5, ClientKey,
 * StoredKey, proof and the server signature for SCRAM-SHA-256), plus the
 * malformed messages of mail-servers.md group F3, unknown versus wrong
 * (one answer), tampering, and a fresh exchange per attempt.
 * Scratch files live under build/test-scratch/sasl.
 */
#include <stdio.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include <openssl/evp.h>
#include "t_util.h"
#include "au_sasl.h"
#include "ut_str.h"
#include "ut_code.h"
#include "ut_buf.h"


#define T_HOST "mail.example.org"
#define T_DOM  "example.org"

static pl_dir *t_root;
static au_db *t_db;

static int t_add(const char *user, const char *pw, unsigned flags)
{
    au_account a;
    int rc;

    au_account_init(&a, user, T_DOM);
    a.flags = flags;
    rc = au_cred_set(&a, pw, strlen(pw));
    if (rc == PL_OK)
        rc = au_db_add(t_db, &a);
    au_account_wipe(&a);
    return rc;
}

static int t_sasl_init(void)
{
    const char *path = t_scratch_dir("sasl");

    if (path == NULL ||
        pl_dir_open_root(path, PL_DIR_CREATE, &t_root) != PL_OK ||
        au_db_open(t_root, PL_DIR_CREATE, &t_db) != PL_OK ||
        au_domain_add(t_db, T_DOM) != PL_OK ||
        au_domain_set_default(t_db, T_DOM) != PL_OK ||
        t_add("alice", "alice-pw", AU_F_CRAM) != PL_OK ||
        t_add("bob", "bob-pw", 0) != PL_OK ||
        t_add("dis", "dis-pw", AU_F_DISUSER | AU_F_CRAM) != PL_OK ||
        t_add("old", "old-pw", AU_F_PWDEXPIRED) != PL_OK)
        return -1;
    return 0;
}

static int t_sasl_clean(void)
{
    au_db_close(t_db);
    pl_dir_close(t_root);
    t_db = NULL;
    t_root = NULL;
    return 0;
}

/* ---------------- client-side crypto ---------------- */

static void t_hmac(const char *md, const void *key, size_t kn,
                   const void *data, size_t dn, unsigned char *out,
                   size_t outn)
{
    size_t got = 0;

    CU_ASSERT_PTR_NOT_NULL(EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, key, kn,
                                     (const unsigned char *)data, dn, out,
                                     outn, &got));
    CU_ASSERT_EQUAL(got, outn);
}

static void t_hash(const EVP_MD *md, const void *data, size_t n,
                   unsigned char *out)
{
    CU_ASSERT_EQUAL(EVP_Digest(data, n, out, NULL, md, NULL), 1);
}

static void t_md5hex(const void *data, size_t n, char hex[33])
{
    unsigned char d[16];

    t_hash(EVP_md5(), data, n, d);
    CU_ASSERT_EQUAL(ut_hex_encode(d, 16, hex, 33), PL_OK);
}

/* ---------------- driving an exchange ---------------- */

typedef struct t_ex {
    au_sasl *s;
    ut_buf out;
} t_ex;

static int t_start(t_ex *e, int mech)
{
    ut_buf_init(&e->out, 0);
    e->s = NULL;
    return au_sasl_start(t_db, mech, T_HOST, "pop", &e->s);
}

static int t_step(t_ex *e, const char *in, size_t n)
{
    return au_sasl_step(e->s, in, n, 1, &e->out);
}

static int t_steps(t_ex *e, const char *in)
{
    return t_step(e, in, strlen(in));
}

static void t_end(t_ex *e, int want_result, const char *want_addr)
{
    int result = -1;
    char addr[AU_ADDR_MAX];

    CU_ASSERT_EQUAL(au_sasl_result(e->s, &result, addr, sizeof addr), PL_OK);
    CU_ASSERT_EQUAL(result, want_result);
    CU_ASSERT_STRING_EQUAL(addr, want_addr);
    /* over is over: no further step can succeed */
    CU_ASSERT_EQUAL(t_steps(e, ""), AU_SASL_FAIL);
    au_sasl_free(e->s);
    ut_buf_wipe(&e->out);
}

/* ---------------- names ---------------- */

static void t_mechs(void)
{
    char buf[128];
    au_sasl *s = NULL;
    ut_buf out;

    CU_ASSERT_EQUAL(au_sasl_mech("plain"), AU_MECH_PLAIN);
    CU_ASSERT_EQUAL(au_sasl_mech("LOGIN"), AU_MECH_LOGIN);
    CU_ASSERT_EQUAL(au_sasl_mech("Cram-Md5"), AU_MECH_CRAM_MD5);
    CU_ASSERT_EQUAL(au_sasl_mech("DIGEST-MD5"), AU_MECH_DIGEST);
    CU_ASSERT_EQUAL(au_sasl_mech("scram-sha-256"), AU_MECH_SCRAM);
    CU_ASSERT_EQUAL(au_sasl_mech("SCRAM-SHA-1"), 0);
    CU_ASSERT_EQUAL(au_sasl_mech("SCRAM-SHA-256-PLUS"), 0);
    CU_ASSERT_EQUAL(au_sasl_mech("PLAIN "), 0);
    CU_ASSERT_EQUAL(au_sasl_mech(""), 0);
    CU_ASSERT_EQUAL(au_sasl_mech(NULL), 0);
    CU_ASSERT_STRING_EQUAL(au_sasl_mech_name(AU_MECH_SCRAM),
                           "SCRAM-SHA-256");
    CU_ASSERT_STRING_EQUAL(au_sasl_mech_name(AU_MECH_CRAM_MD5), "CRAM-MD5");
    CU_ASSERT_PTR_NULL(au_sasl_mech_name(3));
    CU_ASSERT_PTR_NULL(au_sasl_mech_name(0));
    CU_ASSERT_EQUAL(au_sasl_mech_list(0x1f, buf, sizeof buf), PL_OK);
    CU_ASSERT_STRING_EQUAL(buf,
                           "PLAIN LOGIN CRAM-MD5 DIGEST-MD5 SCRAM-SHA-256");
    CU_ASSERT_EQUAL(au_sasl_mech_list(AU_MECH_SCRAM | AU_MECH_CRAM_MD5, buf,
                                      sizeof buf), PL_OK);
    CU_ASSERT_STRING_EQUAL(buf, "CRAM-MD5 SCRAM-SHA-256");
    CU_ASSERT_EQUAL(au_sasl_mech_list(0, buf, sizeof buf), PL_OK);
    CU_ASSERT_STRING_EQUAL(buf, "");
    CU_ASSERT_EQUAL(au_sasl_mech_list(0x1f, buf, 20), PL_ERANGE);
    CU_ASSERT_STRING_EQUAL(buf, "");
    CU_ASSERT_EQUAL(au_sasl_start(t_db, 3, T_HOST, "pop", &s), PL_EINVAL);
    CU_ASSERT_EQUAL(au_sasl_start(t_db, 0, T_HOST, "pop", &s), PL_EINVAL);
    CU_ASSERT_EQUAL(au_sasl_start(t_db, 32, T_HOST, "pop", &s), PL_EINVAL);
    CU_ASSERT_EQUAL(au_sasl_start(NULL, AU_MECH_PLAIN, T_HOST, "pop", &s),
                    PL_EINVAL);
    CU_ASSERT_EQUAL(au_sasl_start(t_db, AU_MECH_PLAIN, "", "pop", &s),
                    PL_EINVAL);
    CU_ASSERT_PTR_NULL(s);
    /* the result is not known while the exchange runs */
    CU_ASSERT_EQUAL(au_sasl_start(t_db, AU_MECH_LOGIN, T_HOST, "pop", &s),
                    PL_OK);
    ut_buf_init(&out, 0);
    CU_ASSERT_EQUAL(au_sasl_step(s, NULL, 0, 0, &out), AU_SASL_CONTINUE);
    {
        int r;

        CU_ASSERT_EQUAL(au_sasl_result(s, &r, buf, sizeof buf), PL_EAGAIN);
    }
    au_sasl_free(s);
    au_sasl_free(NULL);
    ut_buf_free(&out);
}

/* ---------------- PLAIN ---------------- */

typedef struct t_plain_case {
    const char *msg;
    size_t len;
    int want;          /* AU_SASL_DONE or AU_SASL_FAIL */
    int result;
    const char *addr;
} t_plain_case;

#define T_S(x) x, sizeof(x) - 1

static const t_plain_case t_plain_tab[] = {
    { T_S("\0alice\0alice-pw"), AU_SASL_DONE, AU_AUTH_OK,
      "alice@example.org" },
    { T_S("\0alice@example.org\0alice-pw"), AU_SASL_DONE, AU_AUTH_OK,
      "alice@example.org" },
    { T_S("\0ALICE@Example.ORG\0alice-pw"), AU_SASL_DONE, AU_AUTH_OK,
      "alice@example.org" },
    { T_S("alice\0alice\0alice-pw"), AU_SASL_DONE, AU_AUTH_OK,
      "alice@example.org" },
    { T_S("alice@example.org\0alice\0alice-pw"), AU_SASL_DONE, AU_AUTH_OK,
      "alice@example.org" },
    { T_S("\0bob\0bob-pw"), AU_SASL_DONE, AU_AUTH_OK, "bob@example.org" },
    /* wrong and unknown: one answer */
    { T_S("\0alice\0alice-PW"), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    { T_S("\0nobody\0alice-pw"), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    { T_S("\0alice@nosuch.org\0alice-pw"), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    /* flags are told only after the right password */
    { T_S("\0dis\0dis-pw"), AU_SASL_FAIL, AU_AUTH_LOCKED,
      "dis@example.org" },
    { T_S("\0dis\0wrong"), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    { T_S("\0old\0old-pw"), AU_SASL_FAIL, AU_AUTH_EXPIRED,
      "old@example.org" },
    /* group F3 */
    { T_S("\0u"), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    { T_S("u\0p"), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    { T_S("\0u\0p\0x"), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    { T_S("a\0u\0p"), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    { T_S("\0\0"), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    { T_S(""), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    /* a right password does not let one user act as another */
    { T_S("bob\0alice\0alice-pw"), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    { T_S("\0alice\0alice-pw\0"), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    { T_S("\0alice\0"), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    { T_S("\0\0alice-pw"), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    { T_S("\0../alice\0alice-pw"), AU_SASL_FAIL, AU_AUTH_BAD, "" },
    { T_S("\0alice%example.org@example.org\0alice-pw"), AU_SASL_FAIL,
      AU_AUTH_BAD, "" }
};

static void t_plain(void)
{
    size_t i;
    int initial;

    for (i = 0; i < sizeof t_plain_tab / sizeof t_plain_tab[0]; i++) {
        const t_plain_case *c = &t_plain_tab[i];

        /* with an initial response, and after an empty challenge */
        for (initial = 0; initial < 2; initial++) {
            t_ex e;
            int rc;

            CU_ASSERT_EQUAL_FATAL(t_start(&e, AU_MECH_PLAIN), PL_OK);
            if (!initial) {
                CU_ASSERT_EQUAL(au_sasl_step(e.s, NULL, 0, 0, &e.out),
                                AU_SASL_CONTINUE);
                CU_ASSERT_EQUAL(e.out.len, 0);
            }
            rc = t_step(&e, c->msg, c->len);
            if (rc != c->want)
                fprintf(stderr, "PLAIN case %u initial %d: %d\n",
                        (unsigned)i, initial, rc);
            CU_ASSERT_EQUAL(rc, c->want);
            CU_ASSERT_EQUAL(e.out.len, 0);
            t_end(&e, c->result, c->addr);
        }
    }
}

/* A message longer than any AUTH line can carry is refused unread. */
static void t_plain_huge(void)
{
    static char big[20000];
    t_ex e;

    memset(big, 'a', sizeof big);
    big[0] = '\0';
    big[10] = '\0';
    CU_ASSERT_EQUAL_FATAL(t_start(&e, AU_MECH_PLAIN), PL_OK);
    CU_ASSERT_EQUAL(t_step(&e, big, sizeof big), AU_SASL_FAIL);
    t_end(&e, AU_AUTH_BAD, "");
}

/* ---------------- LOGIN ---------------- */

static void t_login(void)
{
    static const struct {
        int initial;
        const char *user, *pw;
        int want, result;
        const char *addr;
    } tab[] = {
        { 0, "alice", "alice-pw", AU_SASL_DONE, AU_AUTH_OK,
          "alice@example.org" },
        { 1, "alice@example.org", "alice-pw", AU_SASL_DONE, AU_AUTH_OK,
          "alice@example.org" },
        { 0, "alice", "bob-pw", AU_SASL_FAIL, AU_AUTH_BAD, "" },
        { 0, "nobody", "bob-pw", AU_SASL_FAIL, AU_AUTH_BAD, "" },
        { 1, "../etc", "x", AU_SASL_FAIL, AU_AUTH_BAD, "" },
        { 0, "dis", "dis-pw", AU_SASL_FAIL, AU_AUTH_LOCKED,
          "dis@example.org" },
        { 0, "alice", "", AU_SASL_FAIL, AU_AUTH_BAD, "" }
    };
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        t_ex e;

        CU_ASSERT_EQUAL_FATAL(t_start(&e, AU_MECH_LOGIN), PL_OK);
        if (tab[i].initial) {
            CU_ASSERT_EQUAL(t_steps(&e, tab[i].user), AU_SASL_CONTINUE);
        } else {
            CU_ASSERT_EQUAL(au_sasl_step(e.s, NULL, 0, 0, &e.out),
                            AU_SASL_CONTINUE);
            CU_ASSERT_STRING_EQUAL(ut_buf_str(&e.out), "Username:");
            CU_ASSERT_EQUAL(t_steps(&e, tab[i].user), AU_SASL_CONTINUE);
        }
        /* known, unknown and hostile names all get the prompt */
        CU_ASSERT_STRING_EQUAL(ut_buf_str(&e.out), "Password:");
        CU_ASSERT_EQUAL(t_steps(&e, tab[i].pw), tab[i].want);
        t_end(&e, tab[i].result, tab[i].addr);
    }
    {
        /* a NUL in the password is never part of a password */
        t_ex e;

        CU_ASSERT_EQUAL_FATAL(t_start(&e, AU_MECH_LOGIN), PL_OK);
        CU_ASSERT_EQUAL(t_steps(&e, "alice"), AU_SASL_CONTINUE);
        CU_ASSERT_EQUAL(t_step(&e, "alice-pw\0", 9), AU_SASL_FAIL);
        t_end(&e, AU_AUTH_BAD, "");
    }
}

/* ---------------- CRAM-MD5 ---------------- */

static int t_cram_run(const char *user, const char *pw, int upper,
                      const char *tamper, char *chal_out, size_t cn)
{
    t_ex e;
    unsigned char mac[16];
    char hex[33];
    char resp[200];
    const char *chal;
    int rc, i;

    CU_ASSERT_EQUAL_FATAL(t_start(&e, AU_MECH_CRAM_MD5), PL_OK);
    CU_ASSERT_EQUAL(au_sasl_step(e.s, NULL, 0, 0, &e.out),
                    AU_SASL_CONTINUE);
    chal = ut_buf_str(&e.out);
    /* <digits.digits@host> */
    CU_ASSERT(chal[0] == '<' && chal[strlen(chal) - 1] == '>');
    CU_ASSERT_PTR_NOT_NULL(strstr(chal, "@" T_HOST ">"));
    CU_ASSERT(strspn(chal + 1, "0123456789.") > 2);
    if (chal_out != NULL)
        (void)ut_strlcpy(chal_out, chal, cn);
    t_hmac("MD5", pw, strlen(pw), chal, strlen(chal), mac, sizeof mac);
    CU_ASSERT_EQUAL(ut_hex_encode(mac, 16, hex, sizeof hex), PL_OK);
    for (i = 0; upper && hex[i] != '\0'; i++)
        hex[i] = (char)ut_toupper((unsigned char)hex[i]);
    if (tamper != NULL)
        (void)ut_strlcpy(resp, tamper, sizeof resp);
    else
        sprintf(resp, "%s %s", user, hex);
    rc = t_steps(&e, resp);
    if (rc == AU_SASL_DONE) {
        CU_ASSERT_EQUAL(e.out.len, 0);
        t_end(&e, AU_AUTH_OK, "alice@example.org");
    } else {
        int r;
        char addr[80];

        CU_ASSERT_EQUAL(au_sasl_result(e.s, &r, addr, sizeof addr), PL_OK);
        t_end(&e, r, addr);
    }
    return rc;
}

static void t_cram(void)
{
    char c1[300], c2[300];
    t_ex e;

    CU_ASSERT_EQUAL(t_cram_run("alice", "alice-pw", 0, NULL, c1, sizeof c1),
                    AU_SASL_DONE);
    CU_ASSERT_EQUAL(t_cram_run("alice@example.org", "alice-pw", 1, NULL, c2,
                               sizeof c2), AU_SASL_DONE);
    CU_ASSERT_STRING_NOT_EQUAL(c1, c2);
    CU_ASSERT_EQUAL(t_cram_run("alice", "wrong", 0, NULL, NULL, 0),
                    AU_SASL_FAIL);
    CU_ASSERT_EQUAL(t_cram_run("nobody", "alice-pw", 0, NULL, NULL, 0),
                    AU_SASL_FAIL);
    /* bob has no CRAM secret: even the right password fails */
    CU_ASSERT_EQUAL(t_cram_run("bob", "bob-pw", 0, NULL, NULL, 0),
                    AU_SASL_FAIL);
    CU_ASSERT_EQUAL(t_cram_run("alice", "x", 0, "alice", NULL, 0),
                    AU_SASL_FAIL);
    CU_ASSERT_EQUAL(t_cram_run("alice", "x", 0,
                               "alice 0123456789abcdef0123456789abcdeg",
                               NULL, 0), AU_SASL_FAIL);
    CU_ASSERT_EQUAL(t_cram_run("alice", "x", 0, "", NULL, 0), AU_SASL_FAIL);
    /* CRAM-MD5 has no initial response (RFC 4954 4) */
    CU_ASSERT_EQUAL_FATAL(t_start(&e, AU_MECH_CRAM_MD5), PL_OK);
    CU_ASSERT_EQUAL(t_steps(&e, "alice 0123"), AU_SASL_FAIL);
    t_end(&e, AU_AUTH_BAD, "");
}

/* ---------------- DIGEST-MD5 ---------------- */

/* Copy the quoted value of name="..." in s. */
static int t_getq(const char *s, const char *name, char *out, size_t n)
{
    char key[40];
    const char *p, *e;

    sprintf(key, "%s=\"", name);
    p = strstr(s, key);
    if (p == NULL)
        return -1;
    p += strlen(key);
    e = strchr(p, '"');
    if (e == NULL || (size_t)(e - p) >= n)
        return -1;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return 0;
}

/* The RFC 2831 2.1.2.1 response value from the client's side. */
static void t_dg_value(const char *user, const char *realm, const char *pw,
                       const char *nonce, const char *cnonce, const char *nc,
                       const char *uri, int rspauth, char out[33])
{
    char buf[1024];
    unsigned char ha1[16];
    char a1hex[33], a2hex[33];
    size_t n;

    sprintf(buf, "%s:%s:%s", user, realm, pw);
    t_hash(EVP_md5(), buf, strlen(buf), ha1);
    memcpy(buf, ha1, 16);
    n = 16 + (size_t)sprintf(buf + 16, ":%s:%s", nonce, cnonce);
    t_md5hex(buf, n, a1hex);
    sprintf(buf, "%s%s", rspauth ? ":" : "AUTHENTICATE:", uri);
    t_md5hex(buf, strlen(buf), a2hex);
    sprintf(buf, "%s:%s:%s:%s:auth:%s", a1hex, nonce, nc, cnonce, a2hex);
    t_md5hex(buf, strlen(buf), out);
}

/* How a DIGEST-MD5 case bends the client's response. */
typedef struct t_dg_case {
    const char *user;       /* username value as sent (quoted) */
    const char *huser;      /* user name that goes into H(A1) */
    const char *pw;
    const char *uri;
    const char *extra;      /* appended directives */
    const char *nc;
    int bad_nonce;
    const char *final;      /* the last client message ("" normally) */
    int want;               /* after the response step */
    int want_end;           /* after the final step */
} t_dg_case;

static void t_digest(void)
{
    static const t_dg_case tab[] = {
        { "alice@example.org", "alice@example.org", "alice-pw",
          "pop/" T_HOST, "", "00000001", 0, "", AU_SASL_CONTINUE,
          AU_SASL_DONE },
        /* a backslash escape inside a quoted string */
        { "al\\ice@example.org", "alice@example.org", "alice-pw",
          "pop/" T_HOST, "", "00000001", 0, "", AU_SASL_CONTINUE,
          AU_SASL_DONE },
        { "alice@example.org", "alice@example.org", "alice-pw",
          "POP/Mail.Example.Org/example.org", ",maxbuf=65536",
          "00000001", 0, "", AU_SASL_CONTINUE, AU_SASL_DONE },
        { "alice@example.org", "alice@example.org", "alice-pw",
          "pop/" T_HOST, ",authzid=\"alice\"", "00000001", 0, "",
          AU_SASL_CONTINUE, AU_SASL_DONE },
        /* wrong password, unknown user */
        { "alice@example.org", "alice@example.org", "bob-pw",
          "pop/" T_HOST, "", "00000001", 0, "", AU_SASL_FAIL, 0 },
        { "nobody@example.org", "nobody@example.org", "bob-pw",
          "pop/" T_HOST, "", "00000001", 0, "", AU_SASL_FAIL, 0 },
        /* a response made for another service or host */
        { "alice@example.org", "alice@example.org", "alice-pw",
          "smtp/" T_HOST, "", "00000001", 0, "", AU_SASL_FAIL, 0 },
        { "alice@example.org", "alice@example.org", "alice-pw",
          "pop/evil.example.net", "", "00000001", 0, "", AU_SASL_FAIL, 0 },
        { "alice@example.org", "alice@example.org", "alice-pw",
          "pop", "", "00000001", 0, "", AU_SASL_FAIL, 0 },
        /* nonce and nonce count */
        { "alice@example.org", "alice@example.org", "alice-pw",
          "pop/" T_HOST, "", "00000001", 1, "", AU_SASL_FAIL, 0 },
        { "alice@example.org", "alice@example.org", "alice-pw",
          "pop/" T_HOST, "", "00000002", 0, "", AU_SASL_FAIL, 0 },
        /* duplicates, layers, authzid of another user */
        { "alice@example.org", "alice@example.org", "alice-pw",
          "pop/" T_HOST, ",username=\"alice@example.org\"", "00000001", 0,
          "", AU_SASL_FAIL, 0 },
        { "alice@example.org", "alice@example.org", "alice-pw",
          "pop/" T_HOST, ",cipher=rc4", "00000001", 0, "", AU_SASL_FAIL,
          0 },
        { "alice@example.org", "alice@example.org", "alice-pw",
          "pop/" T_HOST, ",qop=auth-int", "00000001", 0, "", AU_SASL_FAIL,
          0 },
        { "alice@example.org", "alice@example.org", "alice-pw",
          "pop/" T_HOST, ",authzid=\"bob\"", "00000001", 0, "",
          AU_SASL_FAIL, 0 },
        { "alice@example.org", "alice@example.org", "alice-pw",
          "pop/" T_HOST, ",x=\"unterminated", "00000001", 0, "",
          AU_SASL_FAIL, 0 },
        { "alice@example.org", "alice@example.org", "alice-pw",
          "pop/" T_HOST, ",=x", "00000001", 0, "", AU_SASL_FAIL, 0 },
        /* the last message must be empty */
        { "alice@example.org", "alice@example.org", "alice-pw",
          "pop/" T_HOST, "", "00000001", 0, "x", AU_SASL_CONTINUE,
          AU_SASL_FAIL },
        /* unknown directives are ignored */
        { "alice@example.org", "alice@example.org", "alice-pw",
          "pop/" T_HOST, ",future=\"x\\\"y\",,", "00000001", 0, "",
          AU_SASL_CONTINUE, AU_SASL_DONE }
    };
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        const t_dg_case *c = &tab[i];
        t_ex e;
        char nonce[100], realm[100], resp[33], rsp[33];
        char msg[1500];
        const char *cnonce = "OA6MHXh6VqTrRk";
        int rc;

        CU_ASSERT_EQUAL_FATAL(t_start(&e, AU_MECH_DIGEST), PL_OK);
        CU_ASSERT_EQUAL(au_sasl_step(e.s, NULL, 0, 0, &e.out),
                        AU_SASL_CONTINUE);
        CU_ASSERT_EQUAL_FATAL(t_getq(ut_buf_str(&e.out), "nonce", nonce,
                                     sizeof nonce), 0);
        CU_ASSERT_EQUAL(t_getq(ut_buf_str(&e.out), "realm", realm,
                               sizeof realm), 0);
        CU_ASSERT_STRING_EQUAL(realm, T_DOM);
        CU_ASSERT_PTR_NOT_NULL(strstr(ut_buf_str(&e.out), "qop=\"auth\""));
        CU_ASSERT_PTR_NOT_NULL(strstr(ut_buf_str(&e.out),
                                      "algorithm=md5-sess"));
        CU_ASSERT_PTR_NOT_NULL(strstr(ut_buf_str(&e.out),
                                      "charset=utf-8"));
        if (c->bad_nonce)
            nonce[0] = nonce[0] == 'a' ? 'b' : 'a';
        /* computed with what is sent, so only the server's own checks
         * can refuse a bent nonce count or URI */
        t_dg_value(c->huser, T_DOM, c->pw, nonce, cnonce, c->nc, c->uri, 0,
                   resp);
        if (strstr(c->extra, "authzid") != NULL) {
            /* H(A1) carries the authzid: RFC 2831 2.1.2.1 */
            char buf[600];
            unsigned char ha1[16];
            char a1hex[33], a2hex[33];
            size_t n;

            sprintf(buf, "%s:%s:%s", c->huser, T_DOM, c->pw);
            t_hash(EVP_md5(), buf, strlen(buf), ha1);
            memcpy(buf, ha1, 16);
            n = 16 + (size_t)sprintf(buf + 16, ":%s:%s:%s", nonce, cnonce,
                                     strstr(c->extra, "bob") != NULL ?
                                     "bob" : "alice");
            t_md5hex(buf, n, a1hex);
            sprintf(buf, "AUTHENTICATE:%s", c->uri);
            t_md5hex(buf, strlen(buf), a2hex);
            sprintf(buf, "%s:%s:00000001:%s:auth:%s", a1hex, nonce, cnonce,
                    a2hex);
            t_md5hex(buf, strlen(buf), resp);
        }
        sprintf(msg, "username=\"%s\",realm=\"%s\",nonce=\"%s\","
                "cnonce=\"%s\",nc=%s, qop=auth,digest-uri=\"%s\","
                "response=%s,charset=utf-8%s", c->user, T_DOM, nonce,
                cnonce, c->nc, c->uri, resp, c->extra);
        rc = t_steps(&e, msg);
        if (rc != c->want)
            fprintf(stderr, "DIGEST case %u: %d\n", (unsigned)i, rc);
        CU_ASSERT_EQUAL(rc, c->want);
        if (rc != AU_SASL_CONTINUE) {
            CU_ASSERT_EQUAL(e.out.len, 0);
            t_end(&e, AU_AUTH_BAD, "");
            continue;
        }
        /* the server proves it knows the secret too */
        if (strstr(c->extra, "authzid") == NULL) {
            char want[64];

            t_dg_value(c->huser, T_DOM, c->pw, nonce, cnonce, c->nc,
                       c->uri, 1, rsp);
            sprintf(want, "rspauth=%s", rsp);
            CU_ASSERT_STRING_EQUAL(ut_buf_str(&e.out), want);
        } else {
            CU_ASSERT_EQUAL(strncmp(ut_buf_str(&e.out), "rspauth=", 8), 0);
            CU_ASSERT_EQUAL(e.out.len, 8 + 32);
        }
        CU_ASSERT_EQUAL(t_steps(&e, c->final), c->want_end);
        if (c->want_end == AU_SASL_DONE)
            t_end(&e, AU_AUTH_OK, "alice@example.org");
        else
            t_end(&e, AU_AUTH_BAD, "");
    }
}

static void t_digest_misc(void)
{
    t_ex e;

    /* DIGEST-MD5 is server-first: an initial response is refused */
    CU_ASSERT_EQUAL_FATAL(t_start(&e, AU_MECH_DIGEST), PL_OK);
    CU_ASSERT_EQUAL(t_steps(&e, "username=\"alice\""), AU_SASL_FAIL);
    t_end(&e, AU_AUTH_BAD, "");
    /* garbage and a NUL inside a quoted string */
    CU_ASSERT_EQUAL_FATAL(t_start(&e, AU_MECH_DIGEST), PL_OK);
    CU_ASSERT_EQUAL(au_sasl_step(e.s, NULL, 0, 0, &e.out),
                    AU_SASL_CONTINUE);
    CU_ASSERT_EQUAL(t_step(&e, "username=\"a\0b\"", 14), AU_SASL_FAIL);
    t_end(&e, AU_AUTH_BAD, "");
}

/* ---------------- SCRAM-SHA-256 ---------------- */

typedef struct t_sc_case {
    const char *first;      /* client-first; %s is the client nonce */
    const char *pw;
    const char *cbind;      /* c= value */
    int tamper;             /* 1: flip a proof bit, 2: wrong nonce */
    const char *ext;        /* inserted before ",p=" */
    int want_first, want;
    int result;
    const char *addr;
} t_sc_case;

static void t_scram(void)
{
    static const t_sc_case tab[] = {
        { "n,,n=alice,r=%s", "alice-pw", "biws", 0, "", AU_SASL_CONTINUE,
          AU_SASL_DONE, AU_AUTH_OK, "alice@example.org" },
        { "n,,n=bob@example.org,r=%s", "bob-pw", "biws", 0, "",
          AU_SASL_CONTINUE, AU_SASL_DONE, AU_AUTH_OK, "bob@example.org" },
        { "y,,n=alice,r=%s", "alice-pw", "eSws", 0, "", AU_SASL_CONTINUE,
          AU_SASL_DONE, AU_AUTH_OK, "alice@example.org" },
        { "n,a=alice@example.org,n=alice,r=%s", "alice-pw",
          "bixhPWFsaWNlQGV4YW1wbGUub3JnLA==", 0, "", AU_SASL_CONTINUE,
          AU_SASL_DONE, AU_AUTH_OK, "alice@example.org" },
        { "n,,n=alice,r=%s,x=ext", "alice-pw", "biws", 0, ",y=z",
          AU_SASL_CONTINUE, AU_SASL_DONE, AU_AUTH_OK, "alice@example.org" },
        /* wrong password, unknown user, tampering */
        { "n,,n=alice,r=%s", "bob-pw", "biws", 0, "", AU_SASL_CONTINUE,
          AU_SASL_FAIL, AU_AUTH_BAD, "" },
        { "n,,n=nobody,r=%s", "bob-pw", "biws", 0, "", AU_SASL_CONTINUE,
          AU_SASL_FAIL, AU_AUTH_BAD, "" },
        { "n,,n=alice,r=%s", "alice-pw", "biws", 1, "", AU_SASL_CONTINUE,
          AU_SASL_FAIL, AU_AUTH_BAD, "" },
        { "n,,n=alice,r=%s", "alice-pw", "biws", 2, "", AU_SASL_CONTINUE,
          AU_SASL_FAIL, AU_AUTH_BAD, "" },
        /* the channel-binding header must be the one sent first */
        { "n,,n=alice,r=%s", "alice-pw", "eSws", 0, "", AU_SASL_CONTINUE,
          AU_SASL_FAIL, AU_AUTH_BAD, "" },
        { "dis", "dis-pw", "biws", 0, "", AU_SASL_CONTINUE, AU_SASL_FAIL,
          AU_AUTH_LOCKED, "dis@example.org" },
        /* refused at client-first */
        { "p=tls-unique,,n=alice,r=%s", "alice-pw", "biws", 0, "",
          AU_SASL_FAIL, 0, AU_AUTH_BAD, "" },
        { "n,,m=x,n=alice,r=%s", "alice-pw", "biws", 0, "", AU_SASL_FAIL, 0,
          AU_AUTH_BAD, "" },
        { "n,a=bob,n=alice,r=%s", "alice-pw", "biws", 0, "", AU_SASL_FAIL,
          0, AU_AUTH_BAD, "" },
        { "n,,n=al=ice,r=%s", "alice-pw", "biws", 0, "", AU_SASL_FAIL, 0,
          AU_AUTH_BAD, "" },
        { "n,,n=,r=%s", "alice-pw", "biws", 0, "", AU_SASL_FAIL, 0,
          AU_AUTH_BAD, "" },
        { "n,,n=alice", "alice-pw", "biws", 0, "", AU_SASL_FAIL, 0,
          AU_AUTH_BAD, "" },
        { "n,n=alice,r=%s", "alice-pw", "biws", 0, "", AU_SASL_FAIL, 0,
          AU_AUTH_BAD, "" },
        { "x,,n=alice,r=%s", "alice-pw", "biws", 0, "", AU_SASL_FAIL, 0,
          AU_AUTH_BAD, "" },
        { "", "alice-pw", "biws", 0, "", AU_SASL_FAIL, 0, AU_AUTH_BAD, "" }
    };
    static const char *cnonce = "rOprNGfwEbeRWgbNEkqO";
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        const t_sc_case *c = &tab[i];
        t_ex e;
        char first[300], final[600], sfirst[300], msg[1500];
        char nonce[300], salt64[100], tmp[100];
        const char *bare, *p;
        unsigned char salt[64], spw[32], ckey[32], skey[32], stored[32];
        unsigned char csig[32], proof[32], ssig[32];
        size_t saltn, k;
        unsigned long iter;
        int rc;

        if (strcmp(c->first, "dis") == 0)
            sprintf(first, "n,,n=dis,r=%s", cnonce);
        else
            sprintf(first, c->first, cnonce);
        CU_ASSERT_EQUAL_FATAL(t_start(&e, AU_MECH_SCRAM), PL_OK);
        if (i % 2 == 1) {
            /* no initial response: an empty challenge first */
            CU_ASSERT_EQUAL(au_sasl_step(e.s, NULL, 0, 0, &e.out),
                            AU_SASL_CONTINUE);
            CU_ASSERT_EQUAL(e.out.len, 0);
        }
        rc = t_steps(&e, first);
        if (rc != c->want_first)
            fprintf(stderr, "SCRAM case %u first: %d\n", (unsigned)i, rc);
        CU_ASSERT_EQUAL(rc, c->want_first);
        if (rc != AU_SASL_CONTINUE) {
            t_end(&e, c->result, c->addr);
            continue;
        }
        /* server-first: r=NONCE,s=SALT,i=ITER */
        (void)ut_strlcpy(sfirst, ut_buf_str(&e.out), sizeof sfirst);
        CU_ASSERT_EQUAL_FATAL(sscanf(sfirst, "r=%299[^,],s=%99[^,],i=%lu",
                                     nonce, salt64, &iter), 3);
        CU_ASSERT_EQUAL(strncmp(nonce, cnonce, strlen(cnonce)), 0);
        CU_ASSERT(strlen(nonce) > strlen(cnonce) + 16);
        CU_ASSERT(iter >= AU_SCRAM_MIN);
        CU_ASSERT_EQUAL_FATAL(ut_b64_decode(salt64, strlen(salt64), salt,
                                            sizeof salt, &saltn), PL_OK);
        CU_ASSERT_EQUAL(saltn, AU_SALT_LEN);
        /* the client's side of RFC 5802 3 */
        CU_ASSERT_EQUAL(PKCS5_PBKDF2_HMAC(c->pw, (int)strlen(c->pw), salt,
                                          (int)saltn, (int)iter,
                                          EVP_sha256(), 32, spw), 1);
        t_hmac("SHA256", spw, 32, "Client Key", 10, ckey, 32);
        t_hash(EVP_sha256(), ckey, 32, stored);
        t_hmac("SHA256", spw, 32, "Server Key", 10, skey, 32);
        if (c->tamper == 2)
            nonce[strlen(nonce) - 1] ^= 1;
        sprintf(final, "c=%s,r=%s%s", c->cbind, nonce, c->ext);
        /* client-first-bare: what follows the gs2 header's 2nd comma */
        p = strchr(first, ',');
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        p = strchr(p + 1, ',');
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        bare = p + 1;
        sprintf(msg, "%s,%s,%s", bare, sfirst, final);
        t_hmac("SHA256", stored, 32, msg, strlen(msg), csig, 32);
        for (k = 0; k < 32; k++)
            proof[k] = (unsigned char)(ckey[k] ^ csig[k]);
        if (c->tamper == 1)
            proof[7] ^= 0x20;
        CU_ASSERT_EQUAL(ut_b64_encode(proof, 32, tmp, sizeof tmp, NULL),
                        PL_OK);
        (void)ut_strlcat(final, ",p=", sizeof final);
        (void)ut_strlcat(final, tmp, sizeof final);
        rc = t_steps(&e, final);
        if (rc != c->want)
            fprintf(stderr, "SCRAM case %u final: %d\n", (unsigned)i, rc);
        CU_ASSERT_EQUAL(rc, c->want);
        if (rc == AU_SASL_DONE) {
            char want[128];

            /* and the client checks the server's signature */
            t_hmac("SHA256", skey, 32, msg, strlen(msg), ssig, 32);
            CU_ASSERT_EQUAL(ut_b64_encode(ssig, 32, tmp, sizeof tmp, NULL),
                            PL_OK);
            sprintf(want, "v=%s", tmp);
            CU_ASSERT_STRING_EQUAL(ut_buf_str(&e.out), want);
        } else {
            CU_ASSERT_EQUAL(e.out.len, 0);
        }
        t_end(&e, c->result, c->addr);
    }
}

/* An unknown user's server-first looks like a real one, and stays the
 * same from one attempt to the next. */
static void t_scram_unknown(void)
{
    char s1[300], s2[300], s3[300];
    char n1[300], a1[100], a2[100], a3[100];
    unsigned long i1, i2, i3;
    t_ex e;

    CU_ASSERT_EQUAL_FATAL(t_start(&e, AU_MECH_SCRAM), PL_OK);
    CU_ASSERT_EQUAL(t_steps(&e, "n,,n=ghost,r=abcdefgh"), AU_SASL_CONTINUE);
    (void)ut_strlcpy(s1, ut_buf_str(&e.out), sizeof s1);
    CU_ASSERT_EQUAL(t_steps(&e, ""), AU_SASL_FAIL);
    t_end(&e, AU_AUTH_BAD, "");
    CU_ASSERT_EQUAL_FATAL(t_start(&e, AU_MECH_SCRAM), PL_OK);
    CU_ASSERT_EQUAL(t_steps(&e, "n,,n=ghost@example.org,r=abcdefgh"),
                    AU_SASL_CONTINUE);
    (void)ut_strlcpy(s2, ut_buf_str(&e.out), sizeof s2);
    CU_ASSERT_EQUAL(t_steps(&e, "c=biws,r=x,p=AAAA"), AU_SASL_FAIL);
    t_end(&e, AU_AUTH_BAD, "");
    CU_ASSERT_EQUAL_FATAL(t_start(&e, AU_MECH_SCRAM), PL_OK);
    CU_ASSERT_EQUAL(t_steps(&e, "n,,n=ghost2,r=abcdefgh"), AU_SASL_CONTINUE);
    (void)ut_strlcpy(s3, ut_buf_str(&e.out), sizeof s3);
    CU_ASSERT_EQUAL(t_steps(&e, ""), AU_SASL_FAIL);
    t_end(&e, AU_AUTH_BAD, "");
    CU_ASSERT_EQUAL_FATAL(sscanf(s1, "r=%299[^,],s=%99[^,],i=%lu", n1, a1,
                                 &i1), 3);
    CU_ASSERT_EQUAL_FATAL(sscanf(s2, "r=%299[^,],s=%99[^,],i=%lu", n1, a2,
                                 &i2), 3);
    CU_ASSERT_EQUAL_FATAL(sscanf(s3, "r=%299[^,],s=%99[^,],i=%lu", n1, a3,
                                 &i3), 3);
    CU_ASSERT_STRING_EQUAL(a1, a2);
    CU_ASSERT_STRING_NOT_EQUAL(a1, a3);
    CU_ASSERT_EQUAL(i1, AU_SCRAM_ITER);
    CU_ASSERT_EQUAL(strlen(a1), 24);   /* 16 bytes, like a real salt */
}

/* Group F4: a failed or abandoned exchange leaves nothing behind; a new
 * one with the right answer succeeds and the dead one stays dead. */
static void t_fresh(void)
{
    t_ex bad, good;

    CU_ASSERT_EQUAL_FATAL(t_start(&bad, AU_MECH_PLAIN), PL_OK);
    CU_ASSERT_EQUAL(t_step(&bad, T_S("\0alice\0nope")), AU_SASL_FAIL);
    CU_ASSERT_EQUAL(t_step(&bad, T_S("\0alice\0alice-pw")), AU_SASL_FAIL);
    t_end(&bad, AU_AUTH_BAD, "");
    /* a CRAM-MD5 exchange abandoned after its challenge */
    CU_ASSERT_EQUAL_FATAL(t_start(&bad, AU_MECH_CRAM_MD5), PL_OK);
    CU_ASSERT_EQUAL(au_sasl_step(bad.s, NULL, 0, 0, &bad.out),
                    AU_SASL_CONTINUE);
    au_sasl_free(bad.s);
    ut_buf_free(&bad.out);
    CU_ASSERT_EQUAL_FATAL(t_start(&good, AU_MECH_PLAIN), PL_OK);
    CU_ASSERT_EQUAL(t_step(&good, T_S("\0alice\0alice-pw")), AU_SASL_DONE);
    t_end(&good, AU_AUTH_OK, "alice@example.org");
    /* LOGIN with garbage, then a fresh PLAIN */
    CU_ASSERT_EQUAL_FATAL(t_start(&bad, AU_MECH_LOGIN), PL_OK);
    CU_ASSERT_EQUAL(t_step(&bad, T_S("\0\0\0")), AU_SASL_CONTINUE);
    CU_ASSERT_EQUAL(t_steps(&bad, "alice-pw"), AU_SASL_FAIL);
    t_end(&bad, AU_AUTH_BAD, "");
    CU_ASSERT_EQUAL_FATAL(t_start(&good, AU_MECH_PLAIN), PL_OK);
    CU_ASSERT_EQUAL(t_step(&good, T_S("\0bob\0bob-pw")), AU_SASL_DONE);
    t_end(&good, AU_AUTH_OK, "bob@example.org");
}

int t_sasl_register(void)
{
    CU_pSuite s = CU_add_suite("sasl", t_sasl_init, t_sasl_clean);

    if (s == NULL ||
        CU_add_test(s, "mechanism names", t_mechs) == NULL ||
        CU_add_test(s, "PLAIN and group F3", t_plain) == NULL ||
        CU_add_test(s, "PLAIN oversized", t_plain_huge) == NULL ||
        CU_add_test(s, "LOGIN", t_login) == NULL ||
        CU_add_test(s, "CRAM-MD5", t_cram) == NULL ||
        CU_add_test(s, "DIGEST-MD5", t_digest) == NULL ||
        CU_add_test(s, "DIGEST-MD5 misc", t_digest_misc) == NULL ||
        CU_add_test(s, "SCRAM-SHA-256", t_scram) == NULL ||
        CU_add_test(s, "SCRAM unknown user", t_scram_unknown) == NULL ||
        CU_add_test(s, "fresh state per attempt", t_fresh) == NULL)
        return -1;
    return 0;
}
