/*
 * au_sasl.c - the server side of SASL: PLAIN (RFC 4616), LOGIN, CRAM-MD5
 * (RFC 2195), DIGEST-MD5 (RFC 2831, qop "auth" only) and SCRAM-SHA-256
 * (RFC 5802, RFC 7677; no channel binding), protocol-neutral.
 *
 * Rules every mechanism follows: a message is parsed completely and
 * strictly before anything is looked up; an unknown user goes through the
 * same verification (on a dummy) as a wrong password and ends in the same
 * AU_SASL_FAIL with AU_AUTH_BAD; the account address is told only when the
 * proof was right (DISUSER / PWDEXPIRED replies need it); every secret the
 * exchange saw is wiped before its memory is released; a finished exchange
 * answers AU_SASL_FAIL to any further step, so a new attempt needs a new
 * au_sasl (no state survives a failure).
 * Limits: one client message is at most AU_SASL_IN_MAX octets; each
 * DIGEST-MD5 directive value AU_DG_VAL_MAX; a SCRAM client nonce
 * AU_SCRAM_NONCE_MAX; names and passwords as au.h (AU_ADDR_MAX,
 * AU_PASS_MAX).  DIGEST-MD5 offers the database's default domain as its
 * realm (none when unset) and accepts only nc=00000001: no
 * re-authentication, no integrity or confidentiality layers.
 * Privilege: the service account (reads the account database).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "au_sasl.h"
#include "ut_str.h"
#include "ut_code.h"

/* RFC 4954 4: an AUTH line is at most 12288 octets of base64, which
 * decode to at most 9216 octets. */
#define AU_SASL_IN_MAX     9216
/* "pop", "smtp", "imap": service names of RFC 2831 digest-uri. */
#define AU_SERV_MAX        16
/* DIGEST-MD5 directive values: au_digest_response takes up to 1024. */
#define AU_DG_VAL_MAX      512
/* SCRAM client nonces: real clients send 24..64 characters. */
#define AU_SCRAM_NONCE_MAX 256
/* Server nonce bytes (SCRAM, base64) and DIGEST-MD5 nonce bytes (hex). */
#define AU_NONCE_BYTES     18
/* The gs2 header "n,a=AUTHZID," with the NUL. */
#define AU_GS2_MAX         (AU_ADDR_MAX + 8)

#define AU_ST_START 0
#define AU_ST_OVER  99

struct au_sasl {
    au_db *db;
    int mech;
    int state;                  /* AU_ST_START, mechanism steps, OVER */
    int result;                 /* AU_AUTH_* once over */
    char addr[AU_ADDR_MAX];     /* told after a right proof */
    char pending[AU_ADDR_MAX];  /* DIGEST-MD5: address until the end */
    char host[PL_HOST_MAX + 1];
    char service[AU_SERV_MAX];
    char chal[PL_HOST_MAX + 64];        /* CRAM-MD5 challenge */
    char user[AU_ADDR_MAX];             /* LOGIN user name */
    size_t ulen;
    char nonce[AU_SCRAM_NONCE_MAX + 2 * AU_NONCE_BYTES + 2];
    size_t nlen;
    char gs2[AU_GS2_MAX];               /* SCRAM gs2 header */
    size_t gs2len;
    au_account *acct;                   /* the looked-up account, if any */
    int have_acct;
    ut_buf msg;                         /* SCRAM AuthMessage */
};

/* ---------------- names ---------------- */

static const struct {
    int mech;
    const char *name;
} au_mechs[] = {
    { AU_MECH_PLAIN, "PLAIN" },
    { AU_MECH_LOGIN, "LOGIN" },
    { AU_MECH_CRAM_MD5, "CRAM-MD5" },
    { AU_MECH_DIGEST, "DIGEST-MD5" },
    { AU_MECH_SCRAM, "SCRAM-SHA-256" }
};
#define AU_NMECHS ((int)(sizeof au_mechs / sizeof au_mechs[0]))

int au_sasl_mech(const char *name)
{
    int i;

    if (name == NULL)
        return 0;
    for (i = 0; i < AU_NMECHS; i++)
        if (ut_strcaseeq(name, au_mechs[i].name))
            return au_mechs[i].mech;
    return 0;
}

const char *au_sasl_mech_name(int mech)
{
    int i;

    for (i = 0; i < AU_NMECHS; i++)
        if (au_mechs[i].mech == mech)
            return au_mechs[i].name;
    return NULL;
}

int au_sasl_mech_list(int mask, char *buf, size_t n)
{
    int i;
    int rc = PL_OK;

    if (buf == NULL || n == 0)
        return PL_EINVAL;
    buf[0] = '\0';
    for (i = 0; i < AU_NMECHS && rc == PL_OK; i++) {
        if ((mask & au_mechs[i].mech) == 0)
            continue;
        if (buf[0] != '\0')
            rc = ut_strlcat(buf, " ", n);
        if (rc == PL_OK)
            rc = ut_strlcat(buf, au_mechs[i].name, n);
    }
    if (rc != PL_OK)
        buf[0] = '\0';
    return rc;
}

int au_sasl_mech_conf(const cf_config *c)
{
    int i, mask = 0, n = cf_list_count(c, "auth.mechanisms");

    for (i = 0; i < n; i++)
        mask |= au_sasl_mech(cf_list_item(c, "auth.mechanisms", i));
    return mask;
}

/* ---------------- shared helpers ---------------- */

static int au_sasl_canon(const au_sasl *s, const char *name, size_t n,
                  char addr[AU_ADDR_MAX])
{
    char user[AU_USER_MAX + 1];
    char domain[AU_DOMAIN_MAX + 1];
    const char *def = au_db_default_domain(s->db);
    int rc;

    addr[0] = '\0';
    rc = au_addr_parse(name, n, def[0] != '\0' ? def : NULL, user, domain);
    if (rc != PL_OK)
        return rc;
    (void)ut_strlcpy(addr, user, AU_ADDR_MAX);
    (void)ut_strlcat(addr, "@", AU_ADDR_MAX);
    return ut_strlcat(addr, domain, AU_ADDR_MAX);
}

static int au_sasl_load(au_sasl *s, const char *name, size_t n)
{
    int rc;

    if (s->acct == NULL) {
        s->acct = (au_account *)malloc(sizeof *s->acct);
        if (s->acct == NULL)
            return PL_ENOMEM;
    }
    memset(s->acct, 0, sizeof *s->acct);
    s->have_acct = 0;
    rc = au_db_get_addr(s->db, name, n, s->acct);
    if (rc == PL_OK) {
        s->have_acct = 1;
        return PL_OK;
    }
    au_account_wipe(s->acct);
    /* an unknown or hostile name is just a wrong login */
    if (rc == PL_ENOENT || rc == PL_EINVAL)
        return PL_OK;
    return rc;
}

static int au_sasl_finish(au_sasl *s, int result, const char *addr)
{
    s->result = result;
    s->state = AU_ST_OVER;
    s->addr[0] = '\0';
    /* the address is told only once the password was proven right */
    if (result != AU_AUTH_BAD && addr != NULL)
        (void)ut_strlcpy(s->addr, addr, sizeof s->addr);
    return result == AU_AUTH_OK ? AU_SASL_DONE : AU_SASL_FAIL;
}

static int au_sasl_fail(au_sasl *s)
{
    return au_sasl_finish(s, AU_AUTH_BAD, NULL);
}

static int au_sasl_error(au_sasl *s, int rc)
{
    (void)au_sasl_fail(s);
    return rc;
}

/* ---------------- PLAIN ---------------- */

/* RFC 4616 2: message = [authzid] NUL authcid NUL passwd, exactly two
 * NULs; authzid, when given, must name the same account. */
static int au_plain(au_sasl *s, const char *in, size_t n)
{
    const char *p1, *p2;
    size_t zlen, clen, plen;
    char caddr[AU_ADDR_MAX];
    char zaddr[AU_ADDR_MAX];
    int result = AU_AUTH_BAD;
    int rc;

    p1 = (const char *)memchr(in, '\0', n);
    if (p1 == NULL)
        return au_sasl_fail(s);
    p2 = (const char *)memchr(p1 + 1, '\0', n - (size_t)(p1 + 1 - in));
    if (p2 == NULL)
        return au_sasl_fail(s);
    zlen = (size_t)(p1 - in);
    clen = (size_t)(p2 - p1 - 1);
    plen = n - (size_t)(p2 + 1 - in);
    if (memchr(p2 + 1, '\0', plen) != NULL || clen == 0 || plen == 0 ||
        clen >= AU_ADDR_MAX || zlen >= AU_ADDR_MAX || plen > AU_PASS_MAX)
        return au_sasl_fail(s);
    if (au_sasl_canon(s, p1 + 1, clen, caddr) != PL_OK)
        caddr[0] = '\0';
    if (zlen > 0 && (caddr[0] == '\0' ||
                     au_sasl_canon(s, in, zlen, zaddr) != PL_OK ||
                     strcmp(zaddr, caddr) != 0))
        return au_sasl_fail(s);
    rc = au_auth_plain(s->db, p1 + 1, clen, p2 + 1, plen, &result);
    if (rc != PL_OK)
        return au_sasl_error(s, rc);
    return au_sasl_finish(s, result, caddr);
}

/* ---------------- LOGIN ---------------- */

static int au_login(au_sasl *s, const char *in, size_t n, int has_input,
                    ut_buf *out)
{
    char addr[AU_ADDR_MAX];
    int result = AU_AUTH_BAD;
    int rc;

    switch (s->state) {
    case AU_ST_START:
        if (!has_input) {
            s->state = 1;
            rc = ut_buf_adds(out, "Username:");
            return rc == PL_OK ? AU_SASL_CONTINUE : au_sasl_error(s, rc);
        }
        /* an initial response is the user name (RFC 4954 clients) */
        /* fall through */
    case 1:
        /* a bad name still gets the password prompt: the reply to the
         * name must not tell which names exist or are valid */
        s->ulen = 0;
        if (n < sizeof s->user && memchr(in, '\0', n) == NULL) {
            memcpy(s->user, in, n);
            s->ulen = n;
        }
        s->user[s->ulen] = '\0';
        s->state = 2;
        rc = ut_buf_adds(out, "Password:");
        return rc == PL_OK ? AU_SASL_CONTINUE : au_sasl_error(s, rc);
    case 2:
        if (n > AU_PASS_MAX)
            n = 0;   /* au_auth_plain pays the full cost and says BAD */
        rc = au_auth_plain(s->db, s->user, s->ulen, in, n, &result);
        if (rc != PL_OK)
            return au_sasl_error(s, rc);
        if (au_sasl_canon(s, s->user, s->ulen, addr) != PL_OK)
            addr[0] = '\0';
        return au_sasl_finish(s, result, addr);
    default:
        return au_sasl_fail(s);
    }
}

/* ---------------- CRAM-MD5 ---------------- */

/* RFC 2195 2: a challenge of the form <random.time@hostname>, unique per
 * exchange because of the 64 random bits. */
static int au_cram_challenge(au_sasl *s, ut_buf *out)
{
    pl_u8 r[8];
    pl_u64 v = 0;
    char d1[24], d2[24];
    int i, rc;

    rc = pl_random(r, sizeof r);
    if (rc != PL_OK)
        return rc;
    for (i = 0; i < 8; i++)
        v = (v << 8) | r[i];
    (void)ut_u64_to_dec(d1, v);
    (void)ut_u64_to_dec(d2, (pl_u64)pl_time_now());
    s->chal[0] = '\0';
    (void)ut_strlcat(s->chal, "<", sizeof s->chal);
    (void)ut_strlcat(s->chal, d1, sizeof s->chal);
    (void)ut_strlcat(s->chal, ".", sizeof s->chal);
    (void)ut_strlcat(s->chal, d2, sizeof s->chal);
    (void)ut_strlcat(s->chal, "@", sizeof s->chal);
    rc = ut_strlcat(s->chal, s->host, sizeof s->chal);
    if (rc == PL_OK)
        rc = ut_strlcat(s->chal, ">", sizeof s->chal);
    if (rc == PL_OK)
        rc = ut_buf_adds(out, s->chal);
    return rc;
}

/* Response: user SP 32 lower-case hex digits (any case accepted). */
static int au_cram(au_sasl *s, const char *in, size_t n, int has_input,
                   ut_buf *out)
{
    char hex[2 * AU_MD5_LEN + 1];
    char addr[AU_ADDR_MAX];
    size_t ulen;
    int result = AU_AUTH_BAD;
    int rc;

    if (s->state == AU_ST_START) {
        /* the server speaks first: an initial response is a protocol
         * error (RFC 4954 4) */
        if (has_input)
            return au_sasl_fail(s);
        rc = au_cram_challenge(s, out);
        if (rc != PL_OK)
            return au_sasl_error(s, rc);
        s->state = 1;
        return AU_SASL_CONTINUE;
    }
    if (s->state != 1 || n < 2 + 2 * AU_MD5_LEN ||
        in[n - 2 * AU_MD5_LEN - 1] != ' ' || memchr(in, '\0', n) != NULL)
        return au_sasl_fail(s);
    ulen = n - 2 * AU_MD5_LEN - 1;
    if (ulen >= AU_ADDR_MAX)
        return au_sasl_fail(s);
    memcpy(hex, in + ulen + 1, 2 * AU_MD5_LEN);
    hex[2 * AU_MD5_LEN] = '\0';
    rc = au_sasl_load(s, in, ulen);
    if (rc != PL_OK)
        return au_sasl_error(s, rc);
    rc = au_cred_verify_cram(s->have_acct ? s->acct : NULL, s->chal,
                             strlen(s->chal), hex, &result);
    if (rc != PL_OK)
        return au_sasl_error(s, rc);
    if (au_sasl_canon(s, in, ulen, addr) != PL_OK)
        addr[0] = '\0';
    return au_sasl_finish(s, result, addr);
}

/* ---------------- DIGEST-MD5 ---------------- */

enum { AU_DG_USERNAME, AU_DG_REALM, AU_DG_NONCE, AU_DG_CNONCE, AU_DG_NC,
       AU_DG_QOP, AU_DG_URI, AU_DG_RESPONSE, AU_DG_MAXBUF, AU_DG_CHARSET,
       AU_DG_CIPHER, AU_DG_AUTHZID, AU_DG_N };

static const char *const au_dg_names[AU_DG_N] = {
    "username", "realm", "nonce", "cnonce", "nc", "qop", "digest-uri",
    "response", "maxbuf", "charset", "cipher", "authzid"
};

typedef struct au_dg {
    int seen[AU_DG_N];
    char v[AU_DG_N][AU_DG_VAL_MAX + 1];
} au_dg;

/* RFC 2616 2.2 token characters: no CTL, no separator, ASCII. */
static int au_dg_tokc(int c)
{
    return c > 32 && c < 127 && strchr("()<>@,;:\\\"/[]?={}", c) == NULL;
}

static int au_dg_lws(int c)
{
    return c == ' ' || c == '\t';
}

/* Parse n bytes of `in` as a comma list of name=value (token or quoted
 * string with backslash escapes); known names at most once each, unknown
 * names ignored (RFC 2831 2.1.2).  0 on any deviation. */
static int au_dg_parse(const char *in, size_t n, au_dg *d)
{
    size_t pos = 0;

    memset(d->seen, 0, sizeof d->seen);
    for (;;) {
        char name[32];
        char val[AU_DG_VAL_MAX + 1];
        size_t nl = 0, vl = 0;
        int k;

        while (pos < n && (au_dg_lws(in[pos]) || in[pos] == ','))
            pos++;   /* the #rule allows empty elements */
        if (pos == n)
            return 1;
        while (pos < n && au_dg_tokc((unsigned char)in[pos])) {
            if (nl + 1 >= sizeof name)
                return 0;
            name[nl++] = in[pos++];
        }
        name[nl] = '\0';
        while (pos < n && au_dg_lws(in[pos]))
            pos++;
        if (nl == 0 || pos == n || in[pos] != '=')
            return 0;
        pos++;
        while (pos < n && au_dg_lws(in[pos]))
            pos++;
        if (pos < n && in[pos] == '"') {
            pos++;
            for (;;) {
                unsigned char c;

                if (pos == n)
                    return 0;
                c = (unsigned char)in[pos];
                if (c == '"')
                    break;
                if (c == '\\') {
                    if (++pos == n)
                        return 0;
                    c = (unsigned char)in[pos];
                }
                if ((c < 32 && c != '\t') || c == 127 || vl >= AU_DG_VAL_MAX)
                    return 0;
                val[vl++] = (char)c;
                pos++;
            }
            pos++;
        } else {
            while (pos < n && au_dg_tokc((unsigned char)in[pos])) {
                if (vl >= AU_DG_VAL_MAX)
                    return 0;
                val[vl++] = in[pos++];
            }
            if (vl == 0)
                return 0;
        }
        val[vl] = '\0';
        while (pos < n && au_dg_lws(in[pos]))
            pos++;
        if (pos < n && in[pos] != ',')
            return 0;
        for (k = 0; k < AU_DG_N; k++) {
            if (!ut_strcaseeq(name, au_dg_names[k]))
                continue;
            if (d->seen[k])
                return 0;
            d->seen[k] = 1;
            memcpy(d->v[k], val, vl + 1);
        }
        ut_wipe(val, sizeof val);
    }
}

static int au_digest_challenge(au_sasl *s, ut_buf *out)
{
    pl_u8 r[AU_NONCE_BYTES];
    const char *realm = au_db_default_domain(s->db);
    int rc;

    rc = pl_random(r, sizeof r);
    if (rc == PL_OK)
        rc = ut_hex_encode(r, sizeof r, s->nonce, sizeof s->nonce);
    if (rc != PL_OK)
        return rc;
    s->nlen = strlen(s->nonce);
    /* the stored H(A1) binds realm to the account's domain, so only the
     * default domain can be offered; without one the user types it */
    if (realm[0] != '\0')
        rc = ut_buf_addf(out, "realm=\"%s\",", realm);
    if (rc == PL_OK)
        rc = ut_buf_addf(out, "nonce=\"%s\",qop=\"auth\",charset=utf-8,"
                         "algorithm=md5-sess", s->nonce);
    return rc;
}

/* digest-uri = serv-type "/" host [ "/" serv-name ] (RFC 2831 2.1.2):
 * ours only, so a response made for another server is refused. */
static int au_dg_uri_ok(const au_sasl *s, const char *uri)
{
    const char *h = strchr(uri, '/');
    const char *e;
    char part[PL_HOST_MAX + 1];
    size_t n;

    if (h == NULL || (size_t)(h - uri) != strlen(s->service) ||
        !ut_strncaseeq(uri, s->service, (size_t)(h - uri)))
        return 0;
    h++;
    e = strchr(h, '/');
    n = e != NULL ? (size_t)(e - h) : strlen(h);
    if (ut_memtostr(part, sizeof part, h, n) != PL_OK)
        return 0;
    return ut_strcaseeq(part, s->host);
}

static int au_digest_response_step(au_sasl *s, const char *in, size_t n,
                                   ut_buf *out)
{
    au_dg *d;
    char addr[AU_ADDR_MAX];
    char zaddr[AU_ADDR_MAX];
    char rspauth[2 * AU_MD5_LEN + 1];
    const char *authzid = NULL;
    int result = AU_AUTH_BAD;
    int ok, rc;

    d = (au_dg *)malloc(sizeof *d);
    if (d == NULL)
        return au_sasl_error(s, PL_ENOMEM);
    ok = au_dg_parse(in, n, d) &&
         d->seen[AU_DG_USERNAME] && d->v[AU_DG_USERNAME][0] != '\0' &&
         d->seen[AU_DG_NONCE] && d->seen[AU_DG_CNONCE] &&
         d->v[AU_DG_CNONCE][0] != '\0' && d->seen[AU_DG_NC] &&
         d->seen[AU_DG_URI] && d->seen[AU_DG_RESPONSE] &&
         !d->seen[AU_DG_CIPHER] &&
         strlen(d->v[AU_DG_NONCE]) == s->nlen &&
         ut_memeq_ct(d->v[AU_DG_NONCE], s->nonce, s->nlen) &&
         strcmp(d->v[AU_DG_NC], "00000001") == 0 &&
         (!d->seen[AU_DG_QOP] || ut_strcaseeq(d->v[AU_DG_QOP], "auth")) &&
         (!d->seen[AU_DG_CHARSET] ||
          ut_strcaseeq(d->v[AU_DG_CHARSET], "utf-8")) &&
         au_dg_uri_ok(s, d->v[AU_DG_URI]);
    if (ok && d->seen[AU_DG_MAXBUF]) {
        pl_u64 mb;

        ok = ut_parse_u64(d->v[AU_DG_MAXBUF], strlen(d->v[AU_DG_MAXBUF]),
                          16777215, &mb) == PL_OK;
    }
    if (ok && au_sasl_canon(s, d->v[AU_DG_USERNAME],
                            strlen(d->v[AU_DG_USERNAME]), addr) != PL_OK)
        addr[0] = '\0';
    if (ok && d->seen[AU_DG_AUTHZID] && d->v[AU_DG_AUTHZID][0] != '\0') {
        authzid = d->v[AU_DG_AUTHZID];
        ok = addr[0] != '\0' &&
             au_sasl_canon(s, authzid, strlen(authzid), zaddr) == PL_OK &&
             strcmp(addr, zaddr) == 0;
    }
    if (!ok) {
        ut_wipe(d, sizeof *d);
        free(d);
        return au_sasl_fail(s);
    }
    rc = au_sasl_load(s, d->v[AU_DG_USERNAME],
                      strlen(d->v[AU_DG_USERNAME]));
    /* H(A1) was made with realm = the account's domain: any other realm
     * can never verify, and an absent one is the empty realm */
    if (rc == PL_OK && s->have_acct &&
        (!d->seen[AU_DG_REALM] ||
         strcmp(d->v[AU_DG_REALM], s->acct->domain) != 0))
        s->have_acct = 0;
    if (rc == PL_OK)
        rc = au_cred_verify_digest(s->have_acct ? s->acct : NULL,
                                   s->nonce, d->v[AU_DG_CNONCE],
                                   d->v[AU_DG_NC], authzid, d->v[AU_DG_URI],
                                   d->v[AU_DG_RESPONSE], &result, rspauth);
    ut_wipe(d, sizeof *d);
    free(d);
    if (rc != PL_OK)
        return au_sasl_error(s, rc);
    if (result != AU_AUTH_OK)
        return au_sasl_finish(s, result, addr);
    rc = ut_buf_addf(out, "rspauth=%s", rspauth);
    if (rc != PL_OK)
        return au_sasl_error(s, rc);
    (void)ut_strlcpy(s->pending, addr, sizeof s->pending);
    s->state = 2;
    return AU_SASL_CONTINUE;
}

static int au_digest_step(au_sasl *s, const char *in, size_t n,
                          int has_input, ut_buf *out)
{
    int rc;

    switch (s->state) {
    case AU_ST_START:
        /* the server speaks first (RFC 2831 2.1) */
        if (has_input)
            return au_sasl_fail(s);
        rc = au_digest_challenge(s, out);
        if (rc != PL_OK)
            return au_sasl_error(s, rc);
        s->state = 1;
        return AU_SASL_CONTINUE;
    case 1:
        return au_digest_response_step(s, in, n, out);
    case 2:
        /* RFC 2831 2.1.3: the client answers rspauth with nothing */
        if (n != 0)
            return au_sasl_fail(s);
        return au_sasl_finish(s, AU_AUTH_OK, s->pending);
    default:
        return au_sasl_fail(s);
    }
}

/* ---------------- SCRAM-SHA-256 ---------------- */

/* The key of the fake salts for unknown users: random per process, made
 * once whichever thread comes first. */
static CRYPTO_ONCE au_fake_once = CRYPTO_ONCE_STATIC_INIT;
static pl_u8 au_fake_key[32];
static int au_fake_ok;

static void au_fake_init(void)
{
    au_fake_ok = pl_random(au_fake_key, sizeof au_fake_key) == PL_OK;
}

/* RFC 5802 5.1 saslname: "=2C" is ',', "=3D" is '=', any other '=' is
 * an error; no NUL (checked by the caller) and no bare ','. */
static int au_saslname(const char *p, size_t n, char *out, size_t outsz,
                       size_t *outlen)
{
    size_t i, k = 0;

    for (i = 0; i < n; i++) {
        char c = p[i];

        if (c == ',')
            return 0;
        if (c == '=') {
            if (i + 2 >= n)
                return 0;
            if (p[i + 1] == '2' && p[i + 2] == 'C')
                c = ',';
            else if (p[i + 1] == '3' && p[i + 2] == 'D')
                c = '=';
            else
                return 0;
            i += 2;
        }
        if (k + 1 >= outsz)
            return 0;
        out[k++] = c;
    }
    out[k] = '\0';
    *outlen = k;
    return k > 0;
}

/* Length of the attribute value starting at p (up to ',' or the end). */
static size_t au_attr_len(const char *p, size_t n)
{
    const char *c = (const char *)memchr(p, ',', n);

    return c != NULL ? (size_t)(c - p) : n;
}

/* Optional extensions: (",", ALPHA "=" value)* to the end. */
static int au_scram_exts(const char *p, size_t n)
{
    while (n > 0) {
        size_t l;

        if (n < 3 || p[0] != ',' ||
            !((p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z'))
            || p[2] != '=')
            return 0;
        p += 3;
        n -= 3;
        l = au_attr_len(p, n);
        p += l;
        n -= l;
    }
    return 1;
}

static int au_nonce_ok(const char *p, size_t n)
{
    size_t i;

    if (n == 0 || n > AU_SCRAM_NONCE_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if (p[i] < 0x21 || p[i] > 0x7e || p[i] == ',')
            return 0;
    return 1;
}

/* client-first-message = gs2-header client-first-message-bare */
static int au_scram_first(au_sasl *s, const char *in, size_t n, ut_buf *out)
{
    char user[AU_ADDR_MAX];
    char authz[AU_ADDR_MAX];
    char addr[AU_ADDR_MAX];
    char zaddr[AU_ADDR_MAX];
    char salt64[32];
    pl_u8 salt[AU_SALT_LEN];
    pl_u8 r[AU_NONCE_BYTES];
    char r64[2 * AU_NONCE_BYTES + 4];
    const char *p, *bare, *cn;
    size_t rest, l, ul, zl = 0, cnl, bl;
    pl_u32 iter = AU_SCRAM_ITER;
    char itxt[24];
    int rc;

    /* gs2-cbind-flag: "n" or "y" (client would bind, thinks we cannot,
     * which is true: accepted per RFC 5802 6); "p=" needs binding */
    if (n < 3 || memchr(in, '\0', n) != NULL ||
        (in[0] != 'n' && in[0] != 'y') || in[1] != ',')
        return au_sasl_fail(s);
    p = in + 2;
    rest = n - 2;
    l = au_attr_len(p, rest);
    if (l == rest)
        return au_sasl_fail(s);
    if (l > 0) {
        if (l < 3 || p[0] != 'a' || p[1] != '=' ||
            !au_saslname(p + 2, l - 2, authz, sizeof authz, &zl))
            return au_sasl_fail(s);
    }
    bare = p + l + 1;
    bl = rest - l - 1;
    if ((size_t)(bare - in) >= sizeof s->gs2)
        return au_sasl_fail(s);
    memcpy(s->gs2, in, (size_t)(bare - in));
    s->gs2len = (size_t)(bare - in);
    s->gs2[s->gs2len] = '\0';
    /* "m=" is a mandatory extension we do not know: RFC 5802 5.1 */
    if (bl < 2 || bare[0] != 'n' || bare[1] != '=')
        return au_sasl_fail(s);
    p = bare + 2;
    rest = bl - 2;
    l = au_attr_len(p, rest);
    if (!au_saslname(p, l, user, sizeof user, &ul) || l == rest)
        return au_sasl_fail(s);
    p += l + 1;
    rest -= l + 1;
    if (rest < 2 || p[0] != 'r' || p[1] != '=')
        return au_sasl_fail(s);
    cn = p + 2;
    cnl = au_attr_len(cn, rest - 2);
    if (!au_nonce_ok(cn, cnl) ||
        !au_scram_exts(cn + cnl, rest - 2 - cnl))
        return au_sasl_fail(s);
    if (au_sasl_canon(s, user, ul, addr) != PL_OK)
        addr[0] = '\0';
    if (zl > 0 && (addr[0] == '\0' ||
                   au_sasl_canon(s, authz, zl, zaddr) != PL_OK ||
                   strcmp(addr, zaddr) != 0))
        return au_sasl_fail(s);

    rc = au_sasl_load(s, user, ul);
    if (rc != PL_OK)
        return au_sasl_error(s, rc);
    if (s->have_acct && (s->acct->cred.have & AU_C_SCRAM) != 0) {
        memcpy(salt, s->acct->cred.sc_salt, sizeof salt);
        iter = s->acct->cred.sc_iter;
    } else {
        /* RFC 5802 9: an unknown user gets a salt that stays the same
         * from one attempt to the next, like a real one */
        (void)CRYPTO_THREAD_run_once(&au_fake_once, au_fake_init);
        if (!au_fake_ok)
            return au_sasl_error(s, PL_ERR);
        rc = au_scram_fake_salt(au_fake_key, sizeof au_fake_key,
                                addr[0] != '\0' ? addr : user, salt);
        if (rc != PL_OK)
            return au_sasl_error(s, rc);
    }
    rc = pl_random(r, sizeof r);
    if (rc == PL_OK)
        rc = ut_b64_encode(r, sizeof r, r64, sizeof r64, NULL);
    if (rc == PL_OK)
        rc = ut_b64_encode(salt, sizeof salt, salt64, sizeof salt64, NULL);
    if (rc != PL_OK)
        return au_sasl_error(s, rc);
    memcpy(s->nonce, cn, cnl);
    s->nonce[cnl] = '\0';
    (void)ut_strlcat(s->nonce, r64, sizeof s->nonce);
    s->nlen = strlen(s->nonce);
    (void)ut_u64_to_dec(itxt, iter);
    rc = ut_buf_addf(out, "r=%s,s=%s,i=%s", s->nonce, salt64, itxt);
    /* AuthMessage = client-first-bare "," server-first "," final-bare */
    if (rc == PL_OK)
        rc = ut_buf_add(&s->msg, bare, bl);
    if (rc == PL_OK)
        rc = ut_buf_addc(&s->msg, ',');
    if (rc == PL_OK)
        rc = ut_buf_add(&s->msg, out->data, out->len);
    if (rc != PL_OK)
        return au_sasl_error(s, rc);
    (void)ut_strlcpy(s->pending, addr, sizeof s->pending);
    s->state = 2;
    return AU_SASL_CONTINUE;
}

/* client-final-message = "c=" b64(gs2-header) ",r=" nonce [exts] ",p=" */
static int au_scram_final(au_sasl *s, const char *in, size_t n, ut_buf *out)
{
    pl_u8 cb[AU_GS2_MAX];
    pl_u8 proof[AU_SHA256_LEN + 4];
    pl_u8 sig[AU_SHA256_LEN];
    char sig64[64];
    const char *p, *pp;
    size_t l, got, rest, wl;
    int result = AU_AUTH_BAD;
    int rc;

    if (n < 2 || memchr(in, '\0', n) != NULL || in[0] != 'c' ||
        in[1] != '=')
        return au_sasl_fail(s);
    l = au_attr_len(in + 2, n - 2);
    if (ut_b64_decode(in + 2, l, cb, sizeof cb, &got) != PL_OK ||
        got != s->gs2len || memcmp(cb, s->gs2, got) != 0)
        return au_sasl_fail(s);
    p = in + 2 + l;
    rest = n - 2 - l;
    if (rest < 3 || p[0] != ',' || p[1] != 'r' || p[2] != '=')
        return au_sasl_fail(s);
    l = au_attr_len(p + 3, rest - 3);
    if (l != s->nlen || !ut_memeq_ct(p + 3, s->nonce, l))
        return au_sasl_fail(s);
    p += 3 + l;
    rest -= 3 + l;
    /* the proof is the last attribute: find the last ",p=" */
    pp = NULL;
    for (l = 0; l + 3 <= rest; l++)
        if (p[l] == ',' && p[l + 1] == 'p' && p[l + 2] == '=')
            pp = p + l;
    if (pp == NULL || memchr(pp + 3, ',', rest - (size_t)(pp + 3 - p))
        != NULL || !au_scram_exts(p, (size_t)(pp - p)))
        return au_sasl_fail(s);
    if (ut_b64_decode(pp + 3, rest - (size_t)(pp + 3 - p), proof,
                      sizeof proof, &got) != PL_OK || got != AU_SHA256_LEN)
        return au_sasl_fail(s);
    wl = (size_t)(pp - in);
    rc = ut_buf_addc(&s->msg, ',');
    if (rc == PL_OK)
        rc = ut_buf_add(&s->msg, in, wl);
    if (rc == PL_OK)
        rc = au_scram_verify(s->have_acct ? s->acct : NULL, s->msg.data,
                             s->msg.len, proof, &result, sig);
    ut_wipe(proof, sizeof proof);
    if (rc != PL_OK)
        return au_sasl_error(s, rc);
    if (result == AU_AUTH_OK) {
        rc = ut_b64_encode(sig, sizeof sig, sig64, sizeof sig64, NULL);
        if (rc == PL_OK)
            rc = ut_buf_addf(out, "v=%s", sig64);
        ut_wipe(sig, sizeof sig);
        if (rc != PL_OK)
            return au_sasl_error(s, rc);
    }
    return au_sasl_finish(s, result, s->pending);
}

static int au_scram_step(au_sasl *s, const char *in, size_t n,
                         int has_input, ut_buf *out)
{
    switch (s->state) {
    case AU_ST_START:
        if (!has_input) {
            s->state = 1;   /* empty challenge: the client speaks first */
            return AU_SASL_CONTINUE;
        }
        return au_scram_first(s, in, n, out);
    case 1:
        return au_scram_first(s, in, n, out);
    case 2:
        return au_scram_final(s, in, n, out);
    default:
        return au_sasl_fail(s);
    }
}

/* ---------------- the exchange ---------------- */

int au_sasl_start(au_db *db, int mech, const char *hostname,
                  const char *service, au_sasl **out)
{
    au_sasl *s;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (db == NULL || au_sasl_mech_name(mech) == NULL || hostname == NULL ||
        service == NULL || hostname[0] == '\0' || service[0] == '\0' ||
        strlen(hostname) > PL_HOST_MAX || strlen(service) >= AU_SERV_MAX)
        return PL_EINVAL;
    s = (au_sasl *)malloc(sizeof *s);
    if (s == NULL)
        return PL_ENOMEM;
    memset(s, 0, sizeof *s);
    s->db = db;
    s->mech = mech;
    s->state = AU_ST_START;
    s->result = AU_AUTH_BAD;
    (void)ut_strlcpy(s->host, hostname, sizeof s->host);
    (void)ut_strlcpy(s->service, service, sizeof s->service);
    ut_buf_init(&s->msg, AU_SASL_IN_MAX * 3);
    *out = s;
    return PL_OK;
}

int au_sasl_step(au_sasl *s, const void *in, size_t inlen, int has_input,
                 ut_buf *out)
{
    const char *p = (const char *)in;

    if (s == NULL || out == NULL || (has_input && inlen > 0 && in == NULL))
        return PL_EINVAL;
    ut_buf_clear(out);
    if (s->state == AU_ST_OVER)
        return AU_SASL_FAIL;
    if (!has_input) {
        /* only a first step may lack input; later an empty reply */
        if (s->state != AU_ST_START)
            has_input = 1;
        inlen = 0;
        p = "";
    }
    if (p == NULL)
        p = "";
    if (inlen > AU_SASL_IN_MAX)
        return au_sasl_fail(s);
    switch (s->mech) {
    case AU_MECH_PLAIN:
        if (s->state == AU_ST_START && !has_input) {
            s->state = 1;
            return AU_SASL_CONTINUE;   /* empty challenge: RFC 4616 */
        }
        return au_plain(s, p, inlen);
    case AU_MECH_LOGIN:
        return au_login(s, p, inlen, has_input, out);
    case AU_MECH_CRAM_MD5:
        return au_cram(s, p, inlen, has_input, out);
    case AU_MECH_DIGEST:
        return au_digest_step(s, p, inlen, has_input, out);
    case AU_MECH_SCRAM:
        return au_scram_step(s, p, inlen, has_input, out);
    default:
        return au_sasl_fail(s);
    }
}

int au_sasl_result(const au_sasl *s, int *auth_result, char *addr,
                   size_t n)
{
    if (addr != NULL && n > 0)
        addr[0] = '\0';
    if (auth_result != NULL)
        *auth_result = AU_AUTH_BAD;
    if (s == NULL || auth_result == NULL)
        return PL_EINVAL;
    if (s->state != AU_ST_OVER)
        return PL_EAGAIN;
    *auth_result = s->result;
    if (addr != NULL && n > 0)
        return ut_strlcpy(addr, s->addr, n);
    return PL_OK;
}

void au_sasl_free(au_sasl *s)
{
    if (s == NULL)
        return;
    if (s->acct != NULL) {
        au_account_wipe(s->acct);
        ut_wipe(s->acct, sizeof *s->acct);
        free(s->acct);
    }
    ut_buf_wipe(&s->msg);
    ut_wipe(s, sizeof *s);
    free(s);
}
