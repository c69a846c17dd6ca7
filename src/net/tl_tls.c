/*
 * tl_tls.c - TLS over a pl_sock with OpenSSL 3 (public SSL and EVP/X509
 * APIs only): the servers' side, the SMTP client's side (trust anchors,
 * SNI, chain and host name verification), and the self-signed
 * certificate of a first start.
 *
 * How: sockets from pl_sock_accept and pl_sock_connect are non-blocking,
 * so every SSL call is retried after pl_sock_wait_readable/writable until
 * it completes or the caller's deadline (pl_time_mono_ms) passes: a
 * stalled or dripping peer can never hold a thread longer than the
 * timeout it was given.  A client verifies only when asked (tl_connect),
 * so opportunistic STARTTLS still works with self-signed servers.
 * Limits: TLS 1.2 minimum, no compression, no renegotiation; hostnames of
 * a self-signed certificate are 1..253 characters of A-Z a-z 0-9 - . so
 * that nothing can be injected into the subject or SAN text.
 * Privilege: none.  Key files are created through BIO_new_file (fopen):
 * owner-only because pl_init sets the process umask to 077 on POSIX and
 * the OpenVMS default protection gives no world access; src/ may not set
 * permissions itself.
 */
#include <string.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bn.h>
#include "tl_tls.h"
#include "ut_str.h"

/* close_notify is a courtesy: a peer that does not read gets this long. */
#define TL_CLOSE_MS 500
/* RFC 8446 and CA/Browser practice: 825 days is the longest validity most
 * clients accept for a server certificate. */
#define TL_CERT_DAYS 825
#define TL_HOST_MAX 253

struct tl_ctx {
    SSL_CTX *ssl;
    pl_mutex *mu;   /* guards refs: sessions on many threads share it */
    int refs;
    int client;     /* made by tl_client_ctx_new: connect, never accept */
};

struct tl_conn {
    SSL *ssl;
    pl_sock *s;
    int dead;       /* fatal error seen: no shutdown may be attempted */
};

/* The first queued OpenSSL error as text, then the queue cleared. */
static void tl_err(char *err, size_t errlen, const char *what)
{
    char buf[256];
    unsigned long e = ERR_get_error();

    if (err == NULL || errlen == 0) {
        ERR_clear_error();
        return;
    }
    (void)ut_strlcpy(err, what, errlen);
    if (e != 0) {
        ERR_error_string_n(e, buf, sizeof buf);
        (void)ut_strlcat(err, ": ", errlen);
        (void)ut_strlcat(err, buf, errlen);
    }
    ERR_clear_error();
}

/* Wrap a configured SSL_CTX (freed on failure). */
static int tl_ctx_wrap(SSL_CTX *ssl, int client, tl_ctx **out, char *err,
                       size_t errlen)
{
    tl_ctx *c = (tl_ctx *)OPENSSL_zalloc(sizeof *c);

    if (c == NULL || pl_mutex_create(&c->mu) != PL_OK) {
        OPENSSL_free(c);
        SSL_CTX_free(ssl);
        if (err != NULL && errlen > 0)
            (void)ut_strlcpy(err, "out of memory", errlen);
        return PL_ENOMEM;
    }
    c->ssl = ssl;
    c->refs = 1;
    c->client = client;
    *out = c;
    return PL_OK;
}

int tl_ctx_new(const char *cert_spec, const char *key_spec, tl_ctx **out,
               char *err, size_t errlen)
{
    SSL_CTX *ssl;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (cert_spec == NULL || key_spec == NULL)
        return PL_EINVAL;
    ERR_clear_error();
    ssl = SSL_CTX_new(TLS_server_method());
    if (ssl == NULL) {
        tl_err(err, errlen, "SSL_CTX_new");
        return PL_ENOMEM;
    }
    /* compression invites CRIME; renegotiation invites DoS and splicing */
    (void)SSL_CTX_set_options(ssl, SSL_OP_NO_COMPRESSION |
                              SSL_OP_NO_RENEGOTIATION |
                              SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION) != 1) {
        tl_err(err, errlen, "TLS 1.2 minimum");
        SSL_CTX_free(ssl);
        return PL_ERR;
    }
    if (SSL_CTX_use_certificate_chain_file(ssl, cert_spec) != 1) {
        tl_err(err, errlen, "certificate file");
        SSL_CTX_free(ssl);
        return PL_EINVAL;
    }
    if (SSL_CTX_use_PrivateKey_file(ssl, key_spec, SSL_FILETYPE_PEM) != 1) {
        tl_err(err, errlen, "key file");
        SSL_CTX_free(ssl);
        return PL_EINVAL;
    }
    if (SSL_CTX_check_private_key(ssl) != 1) {
        tl_err(err, errlen, "key does not match certificate");
        SSL_CTX_free(ssl);
        return PL_EINVAL;
    }
    return tl_ctx_wrap(ssl, 0, out, err, errlen);
}

int tl_client_ctx_new(const char *ca_spec, tl_ctx **out, char *err,
                      size_t errlen)
{
    SSL_CTX *ssl;
    int ok;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    ERR_clear_error();
    ssl = SSL_CTX_new(TLS_client_method());
    if (ssl == NULL) {
        tl_err(err, errlen, "SSL_CTX_new");
        return PL_ENOMEM;
    }
    (void)SSL_CTX_set_options(ssl, SSL_OP_NO_COMPRESSION |
                              SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION) != 1) {
        tl_err(err, errlen, "TLS 1.2 minimum");
        SSL_CTX_free(ssl);
        return PL_ERR;
    }
    /* checking is per connection (tl_connect): opportunistic TLS must
     * not fail on a self-signed peer */
    SSL_CTX_set_verify(ssl, SSL_VERIFY_NONE, NULL);
    if (ca_spec == NULL || ca_spec[0] == '\0')
        ok = SSL_CTX_set_default_verify_paths(ssl);
    else
        ok = SSL_CTX_load_verify_locations(ssl, ca_spec, NULL);
    if (ok != 1) {
        tl_err(err, errlen, "CA file");
        SSL_CTX_free(ssl);
        return PL_EINVAL;
    }
    return tl_ctx_wrap(ssl, 1, out, err, errlen);
}

void tl_ctx_ref(tl_ctx *c)
{
    if (c == NULL)
        return;
    pl_mutex_lock(c->mu);
    c->refs++;
    pl_mutex_unlock(c->mu);
}

void tl_ctx_unref(tl_ctx *c)
{
    int left;

    if (c == NULL)
        return;
    pl_mutex_lock(c->mu);
    left = --c->refs;
    pl_mutex_unlock(c->mu);
    if (left > 0)
        return;
    SSL_CTX_free(c->ssl);
    pl_mutex_destroy(c->mu);
    OPENSSL_free(c);
}

/* ---------------- self-signed certificate ---------------- */

static int tl_host_ok(const char *h)
{
    size_t i, n;

    if (h == NULL)
        return 0;
    n = strlen(h);
    if (n == 0 || n > TL_HOST_MAX || h[0] == '.' || h[0] == '-')
        return 0;
    for (i = 0; i < n; i++) {
        char ch = h[i];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
            return 0;
    }
    return 1;
}

/* 1 if the file named by spec can be opened for reading. */
static int tl_exists(const char *spec)
{
    BIO *b = BIO_new_file(spec, "r");

    ERR_clear_error();
    if (b == NULL)
        return 0;
    BIO_free(b);
    return 1;
}

static int tl_add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (ext == NULL)
        return 0;
    ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1;
}

static X509 *tl_make_cert(EVP_PKEY *pk, const char *host)
{
    X509 *x = X509_new();
    X509_NAME *name;
    BIGNUM *bn = BN_new();
    ASN1_INTEGER *serial = NULL;
    char san[TL_HOST_MAX + 8];
    int ok = 0;

    if (x == NULL || bn == NULL)
        goto done;
    /* RFC 5280 4.1.2.2: a positive serial of at most 20 octets, random so
     * that a re-created certificate never repeats one */
    if (BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
        X509_set_serialNumber(x, serial) != 1 ||
        X509_set_version(x, 2) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(x), TL_CERT_DAYS, 0, NULL)
            == NULL ||
        X509_set_pubkey(x, pk) != 1)
        goto done;
    name = X509_get_subject_name(x);
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)host, -1, -1, 0)
        != 1 || X509_set_issuer_name(x, name) != 1)
        goto done;
    (void)ut_strlcpy(san, "DNS:", sizeof san);
    (void)ut_strlcat(san, host, sizeof san);
    if (!tl_add_ext(x, NID_subject_alt_name, san) ||
        !tl_add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
        !tl_add_ext(x, NID_key_usage, "critical,digitalSignature") ||
        !tl_add_ext(x, NID_ext_key_usage, "serverAuth") ||
        X509_sign(x, pk, EVP_sha256()) == 0)
        goto done;
    ok = 1;
done:
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    if (!ok) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

int tl_selfsigned_make(const char *cert_spec, const char *key_spec,
                       const char *hostname, char *err, size_t errlen)
{
    EVP_PKEY *pk = NULL;
    X509 *x = NULL;
    BIO *b = NULL;
    int have_cert, have_key;
    int rc = PL_ERR;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (cert_spec == NULL || key_spec == NULL || !tl_host_ok(hostname)) {
        if (err != NULL && errlen > 0)
            (void)ut_strlcpy(err, "invalid argument or host name", errlen);
        return PL_EINVAL;
    }
    ERR_clear_error();
    have_cert = tl_exists(cert_spec);
    have_key = tl_exists(key_spec);
    if (have_cert && have_key)
        return PL_OK;
    /* a certificate without its key is an administrator's file we cannot
     * use and must not silently replace */
    if (have_cert) {
        if (err != NULL && errlen > 0)
            (void)ut_strlcpy(err, "certificate exists but its key is "
                             "missing", errlen);
        return PL_EEXIST;
    }
    if (have_key) {
        b = BIO_new_file(key_spec, "r");
        if (b != NULL)
            pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
        BIO_free(b);
        b = NULL;
        if (pk == NULL) {
            tl_err(err, errlen, "reading the existing key");
            return PL_EINVAL;
        }
    } else {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        if (pk == NULL) {
            tl_err(err, errlen, "key generation");
            return PL_ERR;
        }
        b = BIO_new_file(key_spec, "w");
        if (b == NULL ||
            PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL)
            != 1 || BIO_flush(b) != 1) {
            tl_err(err, errlen, "writing the key file");
            rc = PL_EIO;
            goto done;
        }
        BIO_free(b);
        b = NULL;
    }
    x = tl_make_cert(pk, hostname);
    if (x == NULL) {
        tl_err(err, errlen, "building the certificate");
        goto done;
    }
    b = BIO_new_file(cert_spec, "w");
    if (b == NULL || PEM_write_bio_X509(b, x) != 1 || BIO_flush(b) != 1) {
        tl_err(err, errlen, "writing the certificate file");
        rc = PL_EIO;
        goto done;
    }
    rc = PL_OK;
done:
    BIO_free(b);
    X509_free(x);
    EVP_PKEY_free(pk);
    return rc;
}

/* ---------------- connections ---------------- */

static pl_i64 tl_deadline(pl_i32 timeout_ms)
{
    return pl_time_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
}

/* Wait as OpenSSL asked (e = SSL_ERROR_WANT_*) until the deadline. */
static int tl_wait(tl_conn *t, int e, pl_i32 timeout_ms, pl_i64 deadline)
{
    pl_i32 left = PL_WAIT_FOREVER;

    if (timeout_ms != PL_WAIT_FOREVER) {
        pl_i64 l = deadline - pl_time_mono_ms();

        if (l <= 0)
            return PL_ETIMEDOUT;
        left = (pl_i32)l;
    }
    if (e == SSL_ERROR_WANT_READ)
        return pl_sock_wait_readable(t->s, left);
    return pl_sock_wait_writable(t->s, left);
}

/* Map a failed SSL call's error to a status, or 0 to wait and retry. */
static int tl_status(tl_conn *t, int ret)
{
    int e = SSL_get_error(t->ssl, ret);
    unsigned long q;

    switch (e) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return 0;
    case SSL_ERROR_ZERO_RETURN:
        return PL_EOF;
    case SSL_ERROR_SYSCALL:
        t->dead = 1;
        ERR_clear_error();
        return PL_ECONNRESET;
    default:
        t->dead = 1;
        q = ERR_peek_error();
        ERR_clear_error();
        /* OpenSSL 3 reports a TCP close without close_notify this way;
         * for the protocol engines it is the peer going away */
        if (ERR_GET_LIB(q) == ERR_LIB_SSL &&
            ERR_GET_REASON(q) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
            return PL_EOF;
        return PL_EIO;
    }
}

static int tl_timeout_ok(pl_i32 ms)
{
    return ms >= 0 || ms == PL_WAIT_FOREVER;
}

/* A connection object for s under context c, before the handshake. */
static int tl_conn_make(tl_ctx *c, pl_sock *s, tl_conn **out)
{
    tl_conn *t;
    int fd = pl_sock_fd(s);

    if (fd < 0)
        return PL_EINVAL;
    t = (tl_conn *)OPENSSL_zalloc(sizeof *t);
    if (t == NULL)
        return PL_ENOMEM;
    t->s = s;
    ERR_clear_error();
    t->ssl = SSL_new(c->ssl);
    if (t->ssl == NULL || SSL_set_fd(t->ssl, fd) != 1) {
        ERR_clear_error();
        SSL_free(t->ssl);
        OPENSSL_free(t);
        return PL_ENOMEM;
    }
    *out = t;
    return PL_OK;
}

int tl_accept(tl_ctx *c, pl_sock *s, pl_i32 timeout_ms, tl_conn **out)
{
    tl_conn *t;
    pl_i64 deadline = tl_deadline(timeout_ms);
    int rc;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (c == NULL || c->client || s == NULL || !tl_timeout_ok(timeout_ms))
        return PL_EINVAL;
    rc = tl_conn_make(c, s, &t);
    if (rc != PL_OK)
        return rc;
    for (;;) {
        int r, st;

        ERR_clear_error();
        r = SSL_accept(t->ssl);
        if (r == 1)
            break;
        st = tl_status(t, r);
        if (st == 0)
            st = tl_wait(t, SSL_get_error(t->ssl, r), timeout_ms, deadline);
        if (st != PL_OK) {
            /* a half-done handshake gets no close_notify */
            SSL_free(t->ssl);
            OPENSSL_free(t);
            return st == PL_EOF ? PL_ECONNRESET : st;
        }
    }
    *out = t;
    return PL_OK;
}

/* 1 if h is a DNS name that may go into SNI (not an address literal). */
static int tl_sni_ok(const char *h)
{
    size_t i;
    int alpha = 0;

    if (!tl_host_ok(h))
        return 0;
    for (i = 0; h[i] != '\0'; i++)
        if ((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z'))
            alpha = 1;
    /* an IPv4 literal is digits and dots; IPv6 fails tl_host_ok (':') */
    return alpha;
}

/* Why a client handshake failed: the certificate check if that was it,
 * else OpenSSL's first error. */
static void tl_connect_err(tl_conn *t, int verify, char *err, size_t errlen)
{
    long v = SSL_get_verify_result(t->ssl);

    if (err == NULL || errlen == 0)
        return;
    if (verify && v != X509_V_OK) {
        (void)ut_strlcpy(err, "certificate verify failed: ", errlen);
        (void)ut_strlcat(err, X509_verify_cert_error_string(v), errlen);
        return;
    }
    if (ERR_peek_error() != 0)
        tl_err(err, errlen, "TLS handshake");
    else
        (void)ut_strlcpy(err, "TLS handshake: connection closed", errlen);
}

/* Set SNI and, with verify, the name the certificate must carry. */
static int tl_connect_names(tl_conn *t, const char *sni_name, int verify)
{
    if (sni_name != NULL && tl_sni_ok(sni_name) &&
        SSL_set_tlsext_host_name(t->ssl, sni_name) != 1)
        return 0;
    if (!verify)
        return 1;
    SSL_set_verify(t->ssl, SSL_VERIFY_PEER, NULL);
    SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return sni_name != NULL && sni_name[0] != '\0' &&
           SSL_set1_host(t->ssl, sni_name) == 1;
}

int tl_connect(tl_ctx *c, pl_sock *s, const char *sni_name, int verify,
               pl_i32 timeout_ms, tl_conn **out, char *err, size_t errlen)
{
    tl_conn *t;
    pl_i64 deadline = tl_deadline(timeout_ms);
    int rc;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (c == NULL || !c->client || s == NULL || !tl_timeout_ok(timeout_ms))
        return PL_EINVAL;
    rc = tl_conn_make(c, s, &t);
    if (rc != PL_OK)
        return rc;
    if (!tl_connect_names(t, sni_name, verify)) {
        /* verification without a name to check would prove nothing */
        tl_err(err, errlen, "TLS host name");
        SSL_free(t->ssl);
        OPENSSL_free(t);
        return PL_EINVAL;
    }
    for (;;) {
        int r, st, e;

        ERR_clear_error();
        r = SSL_connect(t->ssl);
        if (r == 1)
            break;
        e = SSL_get_error(t->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            tl_connect_err(t, verify, err, errlen);
        st = tl_status(t, r);
        if (st == 0)
            st = tl_wait(t, e, timeout_ms, deadline);
        if (st != PL_OK) {
            if (st == PL_ETIMEDOUT && err != NULL && errlen > 0)
                (void)ut_strlcpy(err, "TLS handshake timed out", errlen);
            SSL_free(t->ssl);
            OPENSSL_free(t);
            return st == PL_EOF ? PL_ECONNRESET : st;
        }
    }
    *out = t;
    return PL_OK;
}

int tl_read(void *conn, void *buf, size_t n, pl_i32 timeout_ms, size_t *got)
{
    tl_conn *t = (tl_conn *)conn;
    pl_i64 deadline = tl_deadline(timeout_ms);

    if (got != NULL)
        *got = 0;
    if (t == NULL || buf == NULL || got == NULL || n == 0 ||
        !tl_timeout_ok(timeout_ms))
        return PL_EINVAL;
    if (t->dead)
        return PL_ECONNRESET;
    for (;;) {
        int r, st, e;

        ERR_clear_error();
        r = SSL_read_ex(t->ssl, buf, n, got);
        if (r == 1 && *got > 0)
            return PL_OK;
        *got = 0;
        e = SSL_get_error(t->ssl, r);
        st = tl_status(t, r);
        if (st == 0)
            st = tl_wait(t, e, timeout_ms, deadline);
        if (st != PL_OK)
            return st;
    }
}

int tl_write(tl_conn *t, const void *buf, size_t n, pl_i32 timeout_ms)
{
    pl_i64 deadline = tl_deadline(timeout_ms);

    if (t == NULL || (buf == NULL && n > 0) || !tl_timeout_ok(timeout_ms))
        return PL_EINVAL;
    if (t->dead)
        return PL_ECONNRESET;
    if (n == 0)
        return PL_OK;
    for (;;) {
        size_t done = 0;
        int r, st, e;

        /* without SSL_MODE_ENABLE_PARTIAL_WRITE success means all n
         * bytes; after "want" the same buffer is offered again */
        ERR_clear_error();
        r = SSL_write_ex(t->ssl, buf, n, &done);
        if (r == 1)
            return PL_OK;
        e = SSL_get_error(t->ssl, r);
        st = tl_status(t, r);
        if (st == 0)
            st = tl_wait(t, e, timeout_ms, deadline);
        if (st != PL_OK) {
            /* a record may be half sent: the stream is unusable */
            t->dead = 1;
            return st == PL_EOF ? PL_ECONNRESET : st;
        }
    }
}

void tl_info(const tl_conn *t, char *version, size_t vn, char *cipher,
             size_t cn)
{
    const char *v = "";
    const char *ci = "";

    if (t != NULL && t->ssl != NULL) {
        v = SSL_get_version(t->ssl);
        ci = SSL_get_cipher_name(t->ssl);
        if (v == NULL)
            v = "";
        if (ci == NULL)
            ci = "";
    }
    if (version != NULL && vn > 0)
        (void)ut_strlcpy(version, v, vn);
    if (cipher != NULL && cn > 0)
        (void)ut_strlcpy(cipher, ci, cn);
}

void tl_close(tl_conn *t)
{
    if (t == NULL)
        return;
    if (!t->dead) {
        int r;

        ERR_clear_error();
        r = SSL_shutdown(t->ssl);
        /* one bounded wait if the socket was full, then give up: the peer
         * may never read and must not hold the thread */
        if (r < 0 && SSL_get_error(t->ssl, r) == SSL_ERROR_WANT_WRITE &&
            pl_sock_wait_writable(t->s, TL_CLOSE_MS) == PL_OK) {
            ERR_clear_error();
            (void)SSL_shutdown(t->ssl);
        }
        ERR_clear_error();
    }
    SSL_free(t->ssl);
    OPENSSL_free(t);
}
