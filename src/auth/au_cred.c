/*
 * au_cred.c - credentials: derive the stored forms from a password, and
 * verify USER/PASS, PLAIN, LOGIN, APOP, CRAM-MD5, SCRAM-SHA-256 and
 * DIGEST-MD5 proofs against them.  All hashing is OpenSSL 3 EVP
 * (PKCS5_PBKDF2_HMAC, EVP_MAC "HMAC", EVP_Digest).
 *
 * Why these forms
 *  - Plaintext mechanisms: PBKDF2-HMAC-SHA256, 16 random salt bytes, the
 *    iteration count stored with the hash (AU_PBKDF2_ITER, chosen by
 *    measurement: see au.h).
 *  - SCRAM-SHA-256 (RFC 5802 3, RFC 7677): salt, iterations, StoredKey
 *    and ServerKey; the server never needs the password again.  Passwords
 *    are used as their bytes without SASLprep (RFC 4013): an ASCII
 *    password is unaffected; a non-ASCII one works with clients that send
 *    the same bytes.
 *  - DIGEST-MD5 (RFC 2831): H(user:realm:password) with user the full
 *    "user@domain" and realm the domain, fixed when the password is set.
 *  - APOP and CRAM-MD5 need a plaintext-equivalent key.  Dovecot stores
 *    the HMAC-MD5 inner and outer MD5 states for CRAM-MD5, but OpenSSL 3's
 *    EVP interfaces give no portable access to an intermediate digest
 *    state (only the deprecated MD5_CTX would), and those states are
 *    plaintext-equivalent for CRAM-MD5 anyway.  So the password itself is
 *    kept (base64, in the owner-only record) only while the account has
 *    AU_F_APOP or AU_F_CRAM; au_rec_format drops it otherwise.
 *  - Verification compares with ut_memeq_ct; an unknown user runs the
 *    same derivation on a dummy so the answer and its cost do not tell
 *    unknown from wrong.  Account flags are told only after a proof is
 *    right, so they leak nothing to a guesser.
 * Limits: passwords 1..AU_PASS_MAX bytes without NUL.
 * Privilege: runs as the service account; secrets are wiped after use.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include "au_int.h"
#include "ut_str.h"
#include "ut_code.h"

/* ---------------- primitives ---------------- */

static int au_pbkdf2(const char *pw, size_t n, const pl_u8 *salt,
                     size_t sn, pl_u32 iter, pl_u8 out[AU_SHA256_LEN])
{
    if (n > AU_PASS_MAX || iter == 0 || iter > AU_PBKDF2_MAX)
        return PL_EINVAL;
    if (PKCS5_PBKDF2_HMAC(pw, (int)n, salt, (int)sn, (int)iter,
                          EVP_sha256(), AU_SHA256_LEN, out) != 1)
        return PL_ERR;
    return PL_OK;
}

/* HMAC with digest md ("SHA256", "MD5") over data. */
static int au_hmac(const char *md, const void *key, size_t kn,
                   const void *data, size_t dn, pl_u8 *out, size_t outn)
{
    EVP_MAC *mac;
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    size_t got = 0;
    int rc = PL_ERR;

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL)
        return PL_ERR;
    ctx = EVP_MAC_CTX_new(mac);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)md, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (ctx != NULL &&
        EVP_MAC_init(ctx, (const unsigned char *)key, kn, params) == 1 &&
        EVP_MAC_update(ctx, (const unsigned char *)data, dn) == 1 &&
        EVP_MAC_final(ctx, out, &got, outn) == 1 && got == outn)
        rc = PL_OK;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return rc;
}

/* Digest of up to four pieces concatenated (no copy of secrets). */
static int au_digest(const EVP_MD *md, const void *p1, size_t n1,
                     const void *p2, size_t n2, const void *p3, size_t n3,
                     pl_u8 *out)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = PL_ERR;

    if (ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
        EVP_DigestUpdate(ctx, p1, n1) == 1 &&
        (n2 == 0 || EVP_DigestUpdate(ctx, p2, n2) == 1) &&
        (n3 == 0 || EVP_DigestUpdate(ctx, p3, n3) == 1) &&
        EVP_DigestFinal_ex(ctx, out, NULL) == 1)
        rc = PL_OK;
    EVP_MD_CTX_free(ctx);
    return rc;
}

static int au_pw_ok(const char *pw, size_t n)
{
    return pw != NULL && n >= 1 && n <= AU_PASS_MAX &&
           memchr(pw, '\0', n) == NULL;
}

/* ---------------- derivation ---------------- */

int au_scram_keys(const char *pw, size_t n, const pl_u8 *salt,
                  size_t salt_n, pl_u32 iter,
                  pl_u8 stored[AU_SHA256_LEN], pl_u8 server[AU_SHA256_LEN])
{
    pl_u8 salted[AU_SHA256_LEN];
    pl_u8 ckey[AU_SHA256_LEN];
    int rc;

    if (!au_pw_ok(pw, n) || salt == NULL || salt_n == 0)
        return PL_EINVAL;
    rc = au_pbkdf2(pw, n, salt, salt_n, iter, salted);
    if (rc == PL_OK)
        rc = au_hmac("SHA256", salted, sizeof salted, "Client Key", 10,
                     ckey, sizeof ckey);
    if (rc == PL_OK)
        rc = au_digest(EVP_sha256(), ckey, sizeof ckey, NULL, 0, NULL, 0,
                       stored);
    if (rc == PL_OK)
        rc = au_hmac("SHA256", salted, sizeof salted, "Server Key", 10,
                     server, AU_SHA256_LEN);
    ut_wipe(salted, sizeof salted);
    ut_wipe(ckey, sizeof ckey);
    return rc;
}

int au_digest_ha1(const char *user, const char *realm, const char *pw,
                  size_t n, pl_u8 out[AU_MD5_LEN])
{
    EVP_MD_CTX *ctx;
    int rc = PL_ERR;

    if (user == NULL || realm == NULL || !au_pw_ok(pw, n))
        return PL_EINVAL;
    ctx = EVP_MD_CTX_new();
    if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
        EVP_DigestUpdate(ctx, user, strlen(user)) == 1 &&
        EVP_DigestUpdate(ctx, ":", 1) == 1 &&
        EVP_DigestUpdate(ctx, realm, strlen(realm)) == 1 &&
        EVP_DigestUpdate(ctx, ":", 1) == 1 &&
        EVP_DigestUpdate(ctx, pw, n) == 1 &&
        EVP_DigestFinal_ex(ctx, out, NULL) == 1)
        rc = PL_OK;
    EVP_MD_CTX_free(ctx);
    return rc;
}

int au_cred_set(au_account *a, const char *pw, size_t n)
{
    au_cred c;
    char login[AU_ADDR_MAX];
    int rc;

    if (a == NULL || !au_pw_ok(pw, n) ||
        au_name_check_user(a->user) != PL_OK ||
        au_name_check_domain(a->domain) != PL_OK)
        return PL_EINVAL;
    memset(&c, 0, sizeof c);
    c.pw_iter = AU_PBKDF2_ITER;
    c.sc_iter = AU_SCRAM_ITER;
    rc = pl_random(c.pw_salt, sizeof c.pw_salt);
    if (rc == PL_OK)
        rc = pl_random(c.sc_salt, sizeof c.sc_salt);
    if (rc == PL_OK)
        rc = au_pbkdf2(pw, n, c.pw_salt, sizeof c.pw_salt, c.pw_iter,
                       c.pw_hash);
    if (rc == PL_OK)
        rc = au_scram_keys(pw, n, c.sc_salt, sizeof c.sc_salt, c.sc_iter,
                           c.sc_stored, c.sc_server);
    if (rc == PL_OK) {
        (void)ut_strlcpy(login, a->user, sizeof login);
        (void)ut_strlcat(login, "@", sizeof login);
        (void)ut_strlcat(login, a->domain, sizeof login);
        rc = au_digest_ha1(login, a->domain, pw, n, c.dg_ha1);
    }
    if (rc == PL_OK) {
        c.have = AU_C_PBKDF2 | AU_C_SCRAM | AU_C_DIGEST;
        if ((a->flags & (AU_F_APOP | AU_F_CRAM)) != 0) {
            memcpy(c.secret, pw, n);
            c.secret[n] = '\0';
            c.secret_len = n;
            c.have |= AU_C_SECRET;
        }
        ut_wipe(&a->cred, sizeof a->cred);
        memcpy(&a->cred, &c, sizeof c);
        a->pwd_changed = pl_time_now();
    }
    ut_wipe(&c, sizeof c);
    return rc;
}

/* ---------------- verification ---------------- */

/* The final answer once a proof was right: flags speak only now. */
static int au_after_ok(const au_account *a)
{
    if ((a->flags & AU_F_DISUSER) != 0)
        return AU_AUTH_LOCKED;
    if ((a->flags & AU_F_PWDEXPIRED) != 0)
        return AU_AUTH_EXPIRED;
    return AU_AUTH_OK;
}

int au_cred_verify_plain(const au_account *a, const char *pw, size_t n,
                         int *result)
{
    /* dummy salt and hash: the comparison below always fails for them */
    static const pl_u8 dummy_salt[AU_SALT_LEN] = { 0x6e, 0x65, 0x77, 0x6d };
    pl_u8 want[AU_SHA256_LEN];
    pl_u8 got[AU_SHA256_LEN];
    const pl_u8 *salt = dummy_salt;
    pl_u32 iter = AU_PBKDF2_ITER;
    int real = a != NULL && (a->cred.have & AU_C_PBKDF2) != 0;
    int rc;
    int eq;

    if (result == NULL)
        return PL_EINVAL;
    *result = AU_AUTH_BAD;
    memset(want, 0, sizeof want);
    memset(got, 0xff, sizeof got);
    if (real) {
        salt = a->cred.pw_salt;
        iter = a->cred.pw_iter;
        memcpy(want, a->cred.pw_hash, sizeof want);
    }
    if (!au_pw_ok(pw, n)) {
        /* still pay the cost: a bad length must not answer faster */
        rc = au_pbkdf2("x", 1, salt, AU_SALT_LEN, iter, got);
        real = 0;
    } else {
        rc = au_pbkdf2(pw, n, salt, AU_SALT_LEN, iter, got);
    }
    eq = ut_memeq_ct(want, got, sizeof got);
    ut_wipe(got, sizeof got);
    ut_wipe(want, sizeof want);
    if (rc != PL_OK)
        return rc;
    if (real && eq)
        *result = au_after_ok(a);
    return PL_OK;
}

int au_auth_plain(au_db *db, const char *addr, size_t addr_n,
                  const char *pw, size_t pw_n, int *result)
{
    au_account *a;
    int rc;
    int vrc;

    if (db == NULL || result == NULL)
        return PL_EINVAL;
    *result = AU_AUTH_BAD;
    a = (au_account *)malloc(sizeof *a);
    if (a == NULL)
        return PL_ENOMEM;
    rc = au_db_get_addr(db, addr, addr_n, a);
    vrc = au_cred_verify_plain(rc == PL_OK ? a : NULL, pw, pw_n, result);
    if (rc == PL_OK)
        au_account_wipe(a);
    free(a);
    /* unknown and hostile names are just a wrong login; a corrupt record
     * or an I/O error is the server's fault and must be told as such */
    if (rc == PL_ENOENT || rc == PL_EINVAL)
        rc = PL_OK;
    if (rc == PL_OK)
        rc = vrc;
    if (rc != PL_OK)
        *result = AU_AUTH_BAD;
    return rc;
}

/* Decode the client's 32 hex digits; a malformed answer is just wrong. */
static int au_hex16(const char *hex, pl_u8 out[AU_MD5_LEN])
{
    size_t got;

    if (hex == NULL || strlen(hex) != 2 * AU_MD5_LEN ||
        ut_hex_decode(hex, 2 * AU_MD5_LEN, out, AU_MD5_LEN, &got) != PL_OK
        || got != AU_MD5_LEN) {
        memset(out, 0, AU_MD5_LEN);
        return 0;
    }
    return 1;
}

/* Whether a holds the secret for a mechanism enabled by flag. */
static int au_has_secret(const au_account *a, unsigned flag)
{
    return a != NULL && (a->flags & flag) != 0 &&
           (a->cred.have & AU_C_SECRET) != 0 && a->cred.secret_len > 0;
}

int au_cred_verify_apop(const au_account *a, const char *timestamp,
                        const char *digest_hex, int *result)
{
    pl_u8 want[AU_MD5_LEN];
    pl_u8 got[AU_MD5_LEN];
    int real = au_has_secret(a, AU_F_APOP);
    int wellformed;
    int rc;

    if (result == NULL || timestamp == NULL)
        return PL_EINVAL;
    *result = AU_AUTH_BAD;
    wellformed = au_hex16(digest_hex, got);
    if (real)
        rc = au_digest(EVP_md5(), timestamp, strlen(timestamp),
                       a->cred.secret, a->cred.secret_len, NULL, 0, want);
    else
        rc = au_digest(EVP_md5(), timestamp, strlen(timestamp), "-", 1,
                       NULL, 0, want);
    if (rc == PL_OK && ut_memeq_ct(want, got, sizeof got) && real &&
        wellformed)
        *result = au_after_ok(a);
    ut_wipe(want, sizeof want);
    return rc;
}

int au_cred_verify_cram(const au_account *a, const char *challenge,
                        size_t clen, const char *digest_hex, int *result)
{
    pl_u8 want[AU_MD5_LEN];
    pl_u8 got[AU_MD5_LEN];
    int real = au_has_secret(a, AU_F_CRAM);
    int wellformed;
    int rc;

    if (result == NULL || challenge == NULL)
        return PL_EINVAL;
    *result = AU_AUTH_BAD;
    wellformed = au_hex16(digest_hex, got);
    if (real)
        rc = au_hmac("MD5", a->cred.secret, a->cred.secret_len, challenge,
                     clen, want, sizeof want);
    else
        rc = au_hmac("MD5", "-", 1, challenge, clen, want, sizeof want);
    if (rc == PL_OK && ut_memeq_ct(want, got, sizeof got) && real &&
        wellformed)
        *result = au_after_ok(a);
    ut_wipe(want, sizeof want);
    return rc;
}

int au_scram_verify(const au_account *a, const char *auth_msg, size_t n,
                    const pl_u8 proof[AU_SHA256_LEN], int *result,
                    pl_u8 server_sig[AU_SHA256_LEN])
{
    static const pl_u8 zero[AU_SHA256_LEN] = { 0 };
    const pl_u8 *stored = zero;
    pl_u8 csig[AU_SHA256_LEN];
    pl_u8 ckey[AU_SHA256_LEN];
    pl_u8 check[AU_SHA256_LEN];
    int real = a != NULL && (a->cred.have & AU_C_SCRAM) != 0;
    size_t i;
    int rc;

    if (result == NULL || auth_msg == NULL || proof == NULL ||
        server_sig == NULL)
        return PL_EINVAL;
    *result = AU_AUTH_BAD;
    memset(server_sig, 0, AU_SHA256_LEN);
    if (real)
        stored = a->cred.sc_stored;
    /* RFC 5802 3: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage);
     * the proof is right when H(ClientKey) is StoredKey */
    rc = au_hmac("SHA256", stored, AU_SHA256_LEN, auth_msg, n, csig,
                 sizeof csig);
    for (i = 0; i < AU_SHA256_LEN; i++)
        ckey[i] = (pl_u8)(proof[i] ^ csig[i]);
    if (rc == PL_OK)
        rc = au_digest(EVP_sha256(), ckey, sizeof ckey, NULL, 0, NULL, 0,
                       check);
    if (rc == PL_OK && real && ut_memeq_ct(check, stored, AU_SHA256_LEN)) {
        rc = au_hmac("SHA256", a->cred.sc_server, AU_SHA256_LEN, auth_msg,
                     n, server_sig, AU_SHA256_LEN);
        if (rc == PL_OK)
            *result = au_after_ok(a);
    }
    ut_wipe(ckey, sizeof ckey);
    ut_wipe(csig, sizeof csig);
    return rc;
}

/* Lower-case hex of an MD5 digest (ut_hex_encode writes lower case). */
static int au_md5_hex(const void *p1, size_t n1, const void *p2, size_t n2,
                      char out[2 * AU_MD5_LEN + 1])
{
    pl_u8 d[AU_MD5_LEN];
    int rc = au_digest(EVP_md5(), p1, n1, p2, n2, NULL, 0, d);

    if (rc == PL_OK)
        rc = ut_hex_encode(d, sizeof d, out, 2 * AU_MD5_LEN + 1);
    return rc;
}

int au_digest_response(const pl_u8 ha1[AU_MD5_LEN], const char *nonce,
                       const char *cnonce, const char *nc,
                       const char *authzid, const char *uri, int rspauth,
                       char out[2 * AU_MD5_LEN + 1])
{
    /* RFC 2831 2.1.2.1: every piece is bounded by the SASL line limit;
     * 1 KiB each keeps the concatenations on the stack */
    char tail[4 * 1024 + 64];
    char ha1hex[2 * AU_MD5_LEN + 1];
    char ha2hex[2 * AU_MD5_LEN + 1];
    int rc;

    if (ha1 == NULL || nonce == NULL || cnonce == NULL || nc == NULL ||
        uri == NULL || out == NULL || strlen(nonce) > 1024 ||
        strlen(cnonce) > 1024 || strlen(nc) > 8 || strlen(uri) > 1024 ||
        (authzid != NULL && strlen(authzid) > 1024))
        return PL_EINVAL;
    /* A1 = H(user:realm:pw) ":" nonce ":" cnonce [":" authzid] */
    tail[0] = ':';
    tail[1] = '\0';
    (void)ut_strlcat(tail, nonce, sizeof tail);
    (void)ut_strlcat(tail, ":", sizeof tail);
    (void)ut_strlcat(tail, cnonce, sizeof tail);
    if (authzid != NULL && authzid[0] != '\0') {
        (void)ut_strlcat(tail, ":", sizeof tail);
        (void)ut_strlcat(tail, authzid, sizeof tail);
    }
    rc = au_md5_hex(ha1, AU_MD5_LEN, tail, strlen(tail), ha1hex);
    if (rc != PL_OK)
        return rc;
    /* A2 = "AUTHENTICATE:" uri for the client, ":" uri for rspauth */
    (void)ut_strlcpy(tail, rspauth ? ":" : "AUTHENTICATE:", sizeof tail);
    (void)ut_strlcat(tail, uri, sizeof tail);
    rc = au_md5_hex(tail, strlen(tail), NULL, 0, ha2hex);
    if (rc != PL_OK)
        return rc;
    /* KD(HEX(H(A1)), nonce:nc:cnonce:qop:HEX(H(A2))) */
    (void)ut_strlcpy(tail, ha1hex, sizeof tail);
    (void)ut_strlcat(tail, ":", sizeof tail);
    (void)ut_strlcat(tail, nonce, sizeof tail);
    (void)ut_strlcat(tail, ":", sizeof tail);
    (void)ut_strlcat(tail, nc, sizeof tail);
    (void)ut_strlcat(tail, ":", sizeof tail);
    (void)ut_strlcat(tail, cnonce, sizeof tail);
    (void)ut_strlcat(tail, ":auth:", sizeof tail);
    (void)ut_strlcat(tail, ha2hex, sizeof tail);
    rc = au_md5_hex(tail, strlen(tail), NULL, 0, out);
    ut_wipe(tail, sizeof tail);
    ut_wipe(ha1hex, sizeof ha1hex);
    return rc;
}

int au_cred_verify_digest(const au_account *a, const char *nonce,
                          const char *cnonce, const char *nc,
                          const char *authzid, const char *uri,
                          const char *response, int *result,
                          char rspauth[2 * AU_MD5_LEN + 1])
{
    static const pl_u8 zero[AU_MD5_LEN] = { 0 };
    char want[2 * AU_MD5_LEN + 1];
    char got[2 * AU_MD5_LEN + 1];
    int real = a != NULL && (a->cred.have & AU_C_DIGEST) != 0;
    size_t i;
    int rc;

    if (result == NULL || response == NULL || rspauth == NULL)
        return PL_EINVAL;
    *result = AU_AUTH_BAD;
    rspauth[0] = '\0';
    rc = au_digest_response(real ? a->cred.dg_ha1 : zero, nonce, cnonce,
                            nc, authzid, uri, 0, want);
    if (rc != PL_OK)
        return rc;
    /* the client's hex may be upper case; anything else is just wrong */
    memset(got, 0, sizeof got);
    for (i = 0; i < 2 * AU_MD5_LEN && response[i] != '\0'; i++)
        got[i] = (char)ut_tolower((unsigned char)response[i]);
    if (response[i] != '\0')
        got[0] = '\0';
    if (ut_memeq_ct(want, got, 2 * AU_MD5_LEN) && real) {
        rc = au_digest_response(a->cred.dg_ha1, nonce, cnonce, nc, authzid,
                                uri, 1, rspauth);
        if (rc == PL_OK)
            *result = au_after_ok(a);
    }
    ut_wipe(want, sizeof want);
    return rc;
}

int au_scram_fake_salt(const void *key, size_t kn, const char *addr,
                       pl_u8 salt[AU_SALT_LEN])
{
    pl_u8 mac[AU_SHA256_LEN];
    int rc;

    if (key == NULL || kn == 0 || addr == NULL || salt == NULL)
        return PL_EINVAL;
    rc = au_hmac("SHA256", key, kn, addr, strlen(addr), mac, sizeof mac);
    if (rc == PL_OK)
        memcpy(salt, mac, AU_SALT_LEN);
    return rc;
}
