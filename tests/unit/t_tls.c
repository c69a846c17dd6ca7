/*
 * t_tls.c - unit tests of src/net/tl_tls.c and src/net/nt_conn.c over
 * loopback: a self-signed certificate made in a scratch directory, a
 * server thread (pl_sock_accept, then TLS and echo through nt_conn) and a
 * client written here with OpenSSL's client API on a plain blocking BSD
 * socket (tests may use POSIX).  Covers the negotiated version and cipher,
 * close_notify and abrupt close as PL_EOF, the handshake timeout (group
 * B8), garbage instead of a ClientHello (B3), STARTTLS in mid-stream,
 * corked writes and back-pressure, and the custom I/O form.
 * Scratch files live under build/test-scratch/tls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <CUnit/CUnit.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include "t_util.h"
#include "tl_tls.h"
#include "nt_conn.h"
#include "ut_str.h"


static char t_cert[600], t_key[600], t_dir[512];
static tl_ctx *t_ctx;

/* ---------------- certificate ---------------- */

static void t_path(char *out, size_t n, const char *dir, const char *name)
{
    CU_ASSERT((size_t)snprintf(out, n, "%s/%s", dir, name) < n);
}

static long t_fsize(const char *p)
{
    struct stat st;

    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static int t_tls_init(void)
{
    const char *d = t_scratch_dir("tls");
    char err[256];
    int rc;

    if (d == NULL)
        return -1;
    (void)ut_strlcpy(t_dir, d, sizeof t_dir);
    snprintf(t_cert, sizeof t_cert, "%s/cert.pem", t_dir);
    snprintf(t_key, sizeof t_key, "%s/key.pem", t_dir);
    /* as the daemon does: umask 077 (owner-only key files) and SIGPIPE
     * ignored (OpenSSL writes to a socket the peer may have closed) */
    if (pl_init() != PL_OK)
        return -1;
    rc = tl_selfsigned_make(t_cert, t_key, "localhost", err, sizeof err);
    if (rc != PL_OK ||
        tl_ctx_new(t_cert, t_key, &t_ctx, err, sizeof err) != PL_OK) {
        fprintf(stderr, "t_tls: %s\n", err);
        return -1;
    }
    return 0;
}

static int t_tls_clean(void)
{
    tl_ctx_unref(t_ctx);
    t_ctx = NULL;
    return 0;
}

static void t_selfsigned(void)
{
    char err[256], c2[600], k2[600], c3[600];
    struct stat st;
    BIO *b;
    X509 *x;
    long before;
    tl_ctx *ctx = NULL;

    /* the key made at suite start is owner-only */
    CU_ASSERT_EQUAL_FATAL(stat(t_key, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 077, 0);
    /* subject, SAN and validity */
    b = BIO_new_file(t_cert, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    CU_ASSERT_EQUAL(X509_check_host(x, "localhost", 0, 0, NULL), 1);
    CU_ASSERT_EQUAL(X509_check_host(x, "evil.example", 0, 0, NULL), 0);
    {
        int days = 0, secs = 0;

        CU_ASSERT_EQUAL(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
                                       X509_get0_notAfter(x)), 1);
        CU_ASSERT_EQUAL(days, 825);
    }
    CU_ASSERT(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0) == 1);
    X509_free(x);
    /* nothing is replaced when both files exist */
    before = t_fsize(t_cert);
    CU_ASSERT_EQUAL(tl_selfsigned_make(t_cert, t_key, "other.example", err,
                                       sizeof err), PL_OK);
    CU_ASSERT_EQUAL(t_fsize(t_cert), before);
    /* hostile host names never reach the certificate text */
    t_path(c2, sizeof c2, t_dir, "c2.pem");
    t_path(k2, sizeof k2, t_dir, "k2.pem");
    CU_ASSERT_EQUAL(tl_selfsigned_make(c2, k2, "a,DNS:evil.example", err,
                                       sizeof err), PL_EINVAL);
    CU_ASSERT_EQUAL(tl_selfsigned_make(c2, k2, "", err, sizeof err),
                    PL_EINVAL);
    CU_ASSERT_EQUAL(tl_selfsigned_make(c2, k2, "a\nb", err, sizeof err),
                    PL_EINVAL);
    CU_ASSERT_EQUAL(t_fsize(c2), -1);
    CU_ASSERT_EQUAL(t_fsize(k2), -1);
    /* a second pair; its key does not match the first certificate */
    CU_ASSERT_EQUAL(tl_selfsigned_make(c2, k2, "mail.example.org", err,
                                       sizeof err), PL_OK);
    CU_ASSERT_EQUAL_FATAL(stat(k2, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 077, 0);
    err[0] = '\0';
    CU_ASSERT_EQUAL(tl_ctx_new(t_cert, k2, &ctx, err, sizeof err),
                    PL_EINVAL);
    CU_ASSERT_PTR_NULL(ctx);
    CU_ASSERT(strlen(err) > 0);
    t_path(c3, sizeof c3, t_dir, "missing.pem");
    CU_ASSERT_NOT_EQUAL(tl_ctx_new(c3, k2, &ctx, err, sizeof err), PL_OK);
    CU_ASSERT_NOT_EQUAL(tl_ctx_new(c2, c3, &ctx, err, sizeof err), PL_OK);
    CU_ASSERT_EQUAL(tl_ctx_new(c2, k2, &ctx, err, sizeof err), PL_OK);
    /* references: the context outlives its first owner */
    tl_ctx_ref(ctx);
    tl_ctx_unref(ctx);
    tl_ctx_unref(ctx);
    /* a certificate whose key is gone is not silently replaced */
    CU_ASSERT_EQUAL(unlink(k2), 0);
    before = t_fsize(c2);
    CU_ASSERT_EQUAL(tl_selfsigned_make(c2, k2, "mail.example.org", err,
                                       sizeof err), PL_EEXIST);
    CU_ASSERT_EQUAL(t_fsize(c2), before);
    /* a key whose certificate is gone gets a new certificate */
    CU_ASSERT_EQUAL(unlink(c2), 0);
    CU_ASSERT_EQUAL(tl_selfsigned_make(c2, t_key, "localhost", err,
                                       sizeof err), PL_OK);
    CU_ASSERT_EQUAL(tl_ctx_new(c2, t_key, &ctx, err, sizeof err), PL_OK);
    tl_ctx_unref(ctx);
}

/* ---------------- server thread ---------------- */

enum { T_ECHO, T_STARTTLS, T_HANDSHAKE, T_BP_PLAIN, T_BP_TLS };

typedef struct t_srv {
    int mode;
    pl_i32 hs_ms;           /* handshake timeout */
    pl_sock *lis;
    int port;
    int rc_tls;             /* nt_conn_starttls */
    int rc_end;             /* what ended the session */
    int was_tls_before;     /* T_STARTTLS: is_tls before the upgrade */
    pl_i64 ms;              /* handshake or last flush duration */
    size_t bytes;           /* bytes echoed or queued */
    char version[32], cipher[80];
    char peer[PL_ADDR_MAX];
    int lport;
} t_srv;

static void t_echo(t_srv *sv, nt_conn *c)
{
    char buf[4096];
    size_t got;
    int rc;

    for (;;) {
        rc = nt_conn_read(c, buf, sizeof buf, 5000, &got);
        if (rc != PL_OK)
            break;
        sv->bytes += got;
        rc = nt_conn_write(c, buf, got);
        if (rc == PL_OK)
            rc = nt_conn_flush(c);
        if (rc != PL_OK)
            break;
    }
    sv->rc_end = rc;
}

static void t_flood(t_srv *sv, nt_conn *c)
{
    static char block[NT_OUT_MAX];
    pl_i64 t0 = 0;
    int rc = PL_OK;

    memset(block, 'x', sizeof block);
    nt_conn_set_write_timeout(c, 300);
    /* far more than any socket buffer holds; stops at the first error */
    while (rc == PL_OK && sv->bytes < 512UL * 1024UL * 1024UL) {
        t0 = pl_time_mono_ms();
        rc = nt_conn_write(c, block, sizeof block);
        sv->bytes += sizeof block;
    }
    sv->ms = pl_time_mono_ms() - t0;
    sv->rc_end = rc;
    /* the error sticks */
    if (nt_conn_puts(c, "x") != rc || nt_conn_flush(c) != rc)
        sv->rc_end = PL_ERR;
}

static void t_server(void *arg)
{
    t_srv *sv = (t_srv *)arg;
    pl_sock *s = NULL;
    nt_conn *c = NULL;
    int which;
    pl_i64 t0;

    sv->rc_tls = sv->rc_end = PL_ERR;
    if (pl_sock_accept(&sv->lis, 1, 5000, &s, &which) != PL_OK)
        return;
    if (nt_conn_new(s, &c) != PL_OK) {
        pl_sock_close(s);
        return;
    }
    (void)ut_strlcpy(sv->peer, nt_conn_peer(c), sizeof sv->peer);
    sv->lport = nt_conn_local_port(c);
    if (sv->mode == T_BP_PLAIN) {
        t_flood(sv, c);
        nt_conn_close(c);
        return;
    }
    if (sv->mode == T_STARTTLS) {
        char ch = 0;
        size_t got;
        char line[64];
        size_t n = 0;

        /* one byte at a time: nothing of the handshake is read here */
        while (ch != '\n' && n + 1 < sizeof line &&
               nt_conn_read(c, &ch, 1, 5000, &got) == PL_OK)
            line[n++] = ch;
        line[n] = '\0';
        sv->was_tls_before = nt_conn_is_tls(c);
        if (strcmp(line, "STARTTLS\r\n") != 0 ||
            nt_conn_puts(c, "OK begin TLS\r\n") != PL_OK) {
            nt_conn_close(c);
            return;
        }
        /* nt_conn_starttls sends the buffered reply first */
    }
    t0 = pl_time_mono_ms();
    sv->rc_tls = nt_conn_starttls(c, t_ctx, sv->hs_ms);
    sv->ms = pl_time_mono_ms() - t0;
    if (sv->rc_tls == PL_OK) {
        nt_conn_tls_info(c, sv->version, sizeof sv->version, sv->cipher,
                         sizeof sv->cipher);
        if (sv->mode == T_BP_TLS)
            t_flood(sv, c);
        else
            t_echo(sv, c);
    } else {
        /* after a failed upgrade nothing may travel in clear */
        if (nt_conn_puts(c, "leak\r\n") == PL_OK ||
            nt_conn_flush(c) == PL_OK)
            sv->rc_tls = PL_OK - 1000;
    }
    nt_conn_close(c);
}

static pl_thread *t_serve(t_srv *sv, int mode, pl_i32 hs_ms)
{
    pl_thread *t = NULL;
    char addr[PL_ADDR_MAX];

    memset(sv, 0, sizeof *sv);
    sv->mode = mode;
    sv->hs_ms = hs_ms;
    if (pl_sock_listen("127.0.0.1:0", 4, &sv->lis) != PL_OK)
        return NULL;
    if (pl_sock_local(sv->lis, addr, sizeof addr, &sv->port) != PL_OK ||
        pl_thread_start(t_server, sv, 0, 0, &t) != PL_OK) {
        pl_sock_close(sv->lis);
        return NULL;
    }
    return t;
}

static void t_unserve(t_srv *sv, pl_thread *t)
{
    CU_ASSERT_EQUAL(pl_thread_join(t), PL_OK);
    pl_sock_close(sv->lis);
}

/* ---------------- client side ---------------- */

static int t_connect(int port, int rcvbuf)
{
    struct sockaddr_in sa;
    struct timeval tv;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    tv.tv_sec = 5;
    tv.tv_usec = 0;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (rcvbuf > 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A verifying client: the self-signed certificate is its only CA. */
static SSL *t_client(int fd, int maxver, SSL_CTX **cctx)
{
    SSL_CTX *cx = SSL_CTX_new(TLS_client_method());
    SSL *ssl;

    *cctx = cx;
    if (cx == NULL)
        return NULL;
    SSL_CTX_set_verify(cx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_load_verify_locations(cx, t_cert, NULL) != 1)
        return NULL;
    if (maxver != 0)
        (void)SSL_CTX_set_max_proto_version(cx, maxver);
    if (maxver != 0 && maxver < TLS1_2_VERSION) {
        /* a client willing to go as low as it can: only the server's
         * minimum may refuse it */
        SSL_CTX_set_security_level(cx, 0);
        (void)SSL_CTX_set_min_proto_version(cx, TLS1_VERSION);
    }
    ssl = SSL_new(cx);
    if (ssl == NULL)
        return NULL;
    (void)SSL_set_tlsext_host_name(ssl, "localhost");
    (void)SSL_set1_host(ssl, "localhost");
    (void)SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
        ERR_clear_error();
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

static void t_client_done(SSL *ssl, SSL_CTX *cx, int fd)
{
    SSL_free(ssl);
    SSL_CTX_free(cx);
    if (fd >= 0)
        close(fd);
    ERR_clear_error();
}

/* Echo round trip of msg; 1 if it came back whole. */
static int t_roundtrip(SSL *ssl, const char *msg)
{
    char buf[256];
    size_t n = strlen(msg), have = 0;

    if (SSL_write(ssl, msg, (int)n) != (int)n)
        return 0;
    while (have < n) {
        int k = SSL_read(ssl, buf + have, (int)(sizeof buf - have));

        if (k <= 0)
            return 0;
        have += (size_t)k;
    }
    return have == n && memcmp(buf, msg, n) == 0;
}

static void t_echo_version(int maxver, const char *want)
{
    t_srv sv;
    pl_thread *th = t_serve(&sv, T_ECHO, 5000);
    SSL_CTX *cx = NULL;
    SSL *ssl;
    int fd;

    CU_ASSERT_PTR_NOT_NULL_FATAL(th);
    fd = t_connect(sv.port, 0);
    CU_ASSERT(fd >= 0);
    ssl = t_client(fd, maxver, &cx);
    CU_ASSERT_PTR_NOT_NULL(ssl);
    if (ssl != NULL) {
        char cname[80];

        CU_ASSERT(t_roundtrip(ssl, "hello\r\n"));
        CU_ASSERT(t_roundtrip(ssl, "second line\r\n"));
        (void)ut_strlcpy(cname, SSL_get_cipher_name(ssl), sizeof cname);
        /* close_notify: the server's read sees PL_EOF */
        (void)SSL_shutdown(ssl);
        t_unserve(&sv, th);
        CU_ASSERT_STRING_EQUAL(sv.version, want);
        CU_ASSERT_STRING_EQUAL(sv.cipher, cname);
        CU_ASSERT_EQUAL(sv.rc_tls, PL_OK);
        CU_ASSERT_EQUAL(sv.rc_end, PL_EOF);
        CU_ASSERT_EQUAL(sv.bytes, 7 + 13);
        CU_ASSERT_STRING_EQUAL(sv.peer, "127.0.0.1");
        CU_ASSERT_EQUAL(sv.lport, sv.port);
    } else {
        close(fd);
        fd = -1;
        t_unserve(&sv, th);
    }
    t_client_done(ssl, cx, fd);
}

static void t_tls13(void)
{
    t_echo_version(0, "TLSv1.3");
}

static void t_tls12(void)
{
    t_echo_version(TLS1_2_VERSION, "TLSv1.2");
}

/* A client that only speaks TLS 1.1 never gets through. */
static void t_tls11_refused(void)
{
    t_srv sv;
    pl_thread *th = t_serve(&sv, T_ECHO, 5000);
    SSL_CTX *cx = NULL;
    SSL *ssl;
    int fd;

    CU_ASSERT_PTR_NOT_NULL_FATAL(th);
    fd = t_connect(sv.port, 0);
    CU_ASSERT(fd >= 0);
    ssl = t_client(fd, TLS1_1_VERSION, &cx);
    CU_ASSERT_PTR_NULL(ssl);
    close(fd);
    t_unserve(&sv, th);
    CU_ASSERT_NOT_EQUAL(sv.rc_tls, PL_OK);
    CU_ASSERT(sv.rc_tls < 0);
    t_client_done(NULL, cx, -1);
}

/* The peer vanishes without close_notify: still PL_EOF to the engine. */
static void t_abrupt(void)
{
    t_srv sv;
    pl_thread *th = t_serve(&sv, T_ECHO, 5000);
    SSL_CTX *cx = NULL;
    SSL *ssl;
    int fd;

    CU_ASSERT_PTR_NOT_NULL_FATAL(th);
    fd = t_connect(sv.port, 0);
    ssl = t_client(fd, 0, &cx);
    CU_ASSERT_PTR_NOT_NULL(ssl);
    if (ssl != NULL)
        CU_ASSERT(t_roundtrip(ssl, "x\n"));
    close(fd);
    t_unserve(&sv, th);
    CU_ASSERT_EQUAL(sv.rc_tls, PL_OK);
    CU_ASSERT_EQUAL(sv.rc_end, PL_EOF);
    t_client_done(ssl, cx, -1);
}

/* Group B8: a client that connects and says nothing. */
static void t_hs_timeout(void)
{
    t_srv sv;
    pl_thread *th = t_serve(&sv, T_HANDSHAKE, 300);
    int fd;

    CU_ASSERT_PTR_NOT_NULL_FATAL(th);
    fd = t_connect(sv.port, 0);
    CU_ASSERT(fd >= 0);
    t_unserve(&sv, th);
    close(fd);
    CU_ASSERT_EQUAL(sv.rc_tls, PL_ETIMEDOUT);
    CU_ASSERT(sv.ms >= 290 && sv.ms < 2000);
}

/* Half a ClientHello, then silence: the deadline covers the whole
 * handshake, not each read. */
static void t_hs_half(void)
{
    static const unsigned char half[] = { 0x16, 0x03, 0x01, 0x02, 0x00,
                                          0x01, 0x00, 0x01 };
    t_srv sv;
    pl_thread *th = t_serve(&sv, T_HANDSHAKE, 300);
    int fd;

    CU_ASSERT_PTR_NOT_NULL_FATAL(th);
    fd = t_connect(sv.port, 0);
    CU_ASSERT(write(fd, half, sizeof half) == (ssize_t)sizeof half);
    t_unserve(&sv, th);
    close(fd);
    CU_ASSERT_EQUAL(sv.rc_tls, PL_ETIMEDOUT);
    CU_ASSERT(sv.ms >= 290 && sv.ms < 2000);
}

/* Group B3: cleartext where the ClientHello should be. */
static void t_hs_garbage(void)
{
    static const char junk[] = "RSET\r\nQUIT\r\nGET / HTTP/1.0\r\n\r\n";
    t_srv sv;
    pl_thread *th = t_serve(&sv, T_HANDSHAKE, 3000);
    char buf[64];
    ssize_t k;
    int fd;

    CU_ASSERT_PTR_NOT_NULL_FATAL(th);
    fd = t_connect(sv.port, 0);
    CU_ASSERT(write(fd, junk, sizeof junk - 1) == (ssize_t)sizeof junk - 1);
    t_unserve(&sv, th);
    CU_ASSERT(sv.rc_tls < 0);
    CU_ASSERT_NOT_EQUAL(sv.rc_tls, PL_ETIMEDOUT);
    CU_ASSERT(sv.ms < 2000);
    /* the server wrote no cleartext reply: at most a TLS alert record */
    k = read(fd, buf, sizeof buf);
    CU_ASSERT(k <= 0 || (unsigned char)buf[0] == 0x15);
    close(fd);
}

/* STARTTLS in mid-stream: clear reply, then TLS, then echo inside. */
static void t_starttls(void)
{
    t_srv sv;
    pl_thread *th = t_serve(&sv, T_STARTTLS, 5000);
    SSL_CTX *cx = NULL;
    SSL *ssl = NULL;
    char buf[64];
    size_t have = 0;
    int fd;

    CU_ASSERT_PTR_NOT_NULL_FATAL(th);
    fd = t_connect(sv.port, 0);
    CU_ASSERT(write(fd, "STARTTLS\r\n", 10) == 10);
    while (have < 14) {
        ssize_t k = read(fd, buf + have, sizeof buf - 1 - have);

        if (k <= 0)
            break;
        have += (size_t)k;
    }
    buf[have] = '\0';
    CU_ASSERT_STRING_EQUAL(buf, "OK begin TLS\r\n");
    ssl = t_client(fd, 0, &cx);
    CU_ASSERT_PTR_NOT_NULL(ssl);
    if (ssl != NULL) {
        CU_ASSERT(t_roundtrip(ssl, "EHLO inside\r\n"));
        (void)SSL_shutdown(ssl);
    }
    t_unserve(&sv, th);
    CU_ASSERT_EQUAL(sv.was_tls_before, 0);
    CU_ASSERT_EQUAL(sv.rc_tls, PL_OK);
    CU_ASSERT_STRING_EQUAL(sv.version, "TLSv1.3");
    CU_ASSERT_EQUAL(sv.rc_end, PL_EOF);
    CU_ASSERT_EQUAL(sv.bytes, 13);
    t_client_done(ssl, cx, fd);
}

/* A client that never reads: the flush gives up after the write
 * timeout instead of holding the thread. */
static void t_backpressure(int tls)
{
    t_srv sv;
    pl_thread *th = t_serve(&sv, tls ? T_BP_TLS : T_BP_PLAIN, 5000);
    SSL_CTX *cx = NULL;
    SSL *ssl = NULL;
    int fd;

    CU_ASSERT_PTR_NOT_NULL_FATAL(th);
    fd = t_connect(sv.port, 4096);
    if (tls) {
        ssl = t_client(fd, 0, &cx);
        CU_ASSERT_PTR_NOT_NULL(ssl);
    }
    t_unserve(&sv, th);
    CU_ASSERT_EQUAL(sv.rc_end, PL_ETIMEDOUT);
    CU_ASSERT(sv.ms >= 290 && sv.ms < 3000);
    CU_ASSERT(sv.bytes < 512UL * 1024UL * 1024UL);
    t_client_done(ssl, cx, fd);
}

static void t_bp_plain(void)
{
    t_backpressure(0);
}

static void t_bp_tls(void)
{
    t_backpressure(1);
}

/* ---------------- custom I/O ---------------- */

typedef struct t_sink {
    int writes;             /* calls of write */
    size_t total;
    size_t last;            /* size of the last write */
    int fail;               /* answer this to writes when non-zero */
    pl_i32 last_ms;
    t_feed feed;
} t_sink;

static int t_sink_write(void *ctx, const void *buf, size_t n, pl_i32 ms)
{
    t_sink *k = (t_sink *)ctx;

    (void)buf;
    k->writes++;
    k->last_ms = ms;
    if (k->fail != 0)
        return k->fail;
    k->total += n;
    k->last = n;
    return PL_OK;
}

static int t_sink_read(void *ctx, void *buf, size_t n, pl_i32 ms,
                       size_t *got)
{
    return t_feed_read(&((t_sink *)ctx)->feed, buf, n, ms, got);
}

static void t_custom(void)
{
    static char big[NT_OUT_MAX + 10];
    nt_io io;
    t_sink k;
    nt_conn *c = NULL;
    char buf[16], v[8], ci[8];
    size_t got;

    memset(&k, 0, sizeof k);
    t_feed_init(&k.feed, "+OK\r\n", 5, 2);
    io.read = t_sink_read;
    io.write = t_sink_write;
    CU_ASSERT_EQUAL(nt_conn_new_io(NULL, &k, "x", &c), PL_EINVAL);
    CU_ASSERT_EQUAL_FATAL(nt_conn_new_io(&io, &k, "192.0.2.7", &c), PL_OK);
    CU_ASSERT_STRING_EQUAL(nt_conn_peer(c), "192.0.2.7");
    CU_ASSERT_EQUAL(nt_conn_local_port(c), 0);
    CU_ASSERT_EQUAL(nt_conn_is_tls(c), 0);
    nt_conn_tls_info(c, v, sizeof v, ci, sizeof ci);
    CU_ASSERT_STRING_EQUAL(v, "");
    CU_ASSERT_STRING_EQUAL(ci, "");
    CU_ASSERT_EQUAL(nt_conn_starttls(c, t_ctx, 100), PL_ENOTSUP);
    /* reads come from the custom function */
    CU_ASSERT_EQUAL(nt_conn_read(c, buf, sizeof buf, 100, &got), PL_OK);
    CU_ASSERT_EQUAL(got, 2);
    CU_ASSERT_EQUAL(nt_conn_read(c, buf, sizeof buf, 100, &got), PL_OK);
    CU_ASSERT_EQUAL(nt_conn_read(c, buf, sizeof buf, 100, &got), PL_OK);
    CU_ASSERT_EQUAL(got, 1);
    CU_ASSERT_EQUAL(nt_conn_read(c, buf, sizeof buf, 100, &got), PL_EOF);
    /* corked until flush */
    CU_ASSERT_EQUAL(nt_conn_puts(c, "+OK hello\r\n"), PL_OK);
    CU_ASSERT_EQUAL(nt_conn_write(c, "abc", 3), PL_OK);
    CU_ASSERT_EQUAL(k.writes, 0);
    nt_conn_set_write_timeout(c, 1234);
    CU_ASSERT_EQUAL(nt_conn_flush(c), PL_OK);
    CU_ASSERT_EQUAL(k.writes, 1);
    CU_ASSERT_EQUAL(k.total, 14);
    CU_ASSERT_EQUAL(k.last_ms, 1234);
    CU_ASSERT_EQUAL(nt_conn_flush(c), PL_OK);   /* nothing to send */
    CU_ASSERT_EQUAL(k.writes, 1);
    /* a full buffer goes out by itself, the rest waits */
    memset(big, 'y', sizeof big);
    CU_ASSERT_EQUAL(nt_conn_write(c, big, sizeof big), PL_OK);
    CU_ASSERT_EQUAL(k.writes, 2);
    CU_ASSERT_EQUAL(k.last, NT_OUT_MAX);
    CU_ASSERT_EQUAL(nt_conn_flush(c), PL_OK);
    CU_ASSERT_EQUAL(k.last, 10);
    CU_ASSERT_EQUAL(k.total, 14 + NT_OUT_MAX + 10);
    /* a failed send sticks: nothing more is attempted */
    k.fail = PL_ECONNRESET;
    CU_ASSERT_EQUAL(nt_conn_puts(c, "x"), PL_OK);
    CU_ASSERT_EQUAL(nt_conn_flush(c), PL_ECONNRESET);
    CU_ASSERT_EQUAL(k.writes, 4);
    CU_ASSERT_EQUAL(nt_conn_puts(c, "y"), PL_ECONNRESET);
    CU_ASSERT_EQUAL(nt_conn_flush(c), PL_ECONNRESET);
    CU_ASSERT_EQUAL(k.writes, 4);
    nt_conn_close(c);
    nt_conn_close(NULL);
    CU_ASSERT_EQUAL(k.writes, 4);
}

int t_tls_register(void)
{
    CU_pSuite s = CU_add_suite("tls", t_tls_init, t_tls_clean);

    if (s == NULL ||
        CU_add_test(s, "self-signed certificate", t_selfsigned) == NULL ||
        CU_add_test(s, "TLS 1.3 echo and close_notify", t_tls13) == NULL ||
        CU_add_test(s, "TLS 1.2 echo", t_tls12) == NULL ||
        CU_add_test(s, "TLS 1.1 refused", t_tls11_refused) == NULL ||
        CU_add_test(s, "abrupt close", t_abrupt) == NULL ||
        CU_add_test(s, "handshake timeout", t_hs_timeout) == NULL ||
        CU_add_test(s, "half ClientHello", t_hs_half) == NULL ||
        CU_add_test(s, "garbage ClientHello", t_hs_garbage) == NULL ||
        CU_add_test(s, "STARTTLS mid-stream", t_starttls) == NULL ||
        CU_add_test(s, "back-pressure plain", t_bp_plain) == NULL ||
        CU_add_test(s, "back-pressure TLS", t_bp_tls) == NULL ||
        CU_add_test(s, "custom I/O", t_custom) == NULL)
        return -1;
    return 0;
}
