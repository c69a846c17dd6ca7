/*
 * t_tlscli.c - the shared clear-then-TLS test client (t_tlscli.h).
 * Every wait is bounded (10 s) so a server bug fails a test, never hangs it.
 */
#include <string.h>
#include "t_tlscli.h"

#define T_TLSCLI_WAIT_MS 10000
#define T_TLSCLI_MAX     65536

/* Wait for what OpenSSL asked for after result r; 1 when it may go on. */
static int t_tlscli_wait(t_tlscli *k, int r)
{
    int e = SSL_get_error(k->ssl, r);

    if (e == SSL_ERROR_WANT_READ)
        return pl_sock_wait_readable(k->s, T_TLSCLI_WAIT_MS) == PL_OK;
    if (e == SSL_ERROR_WANT_WRITE)
        return pl_sock_wait_writable(k->s, T_TLSCLI_WAIT_MS) == PL_OK;
    return 0;
}

int t_tlscli_start(t_tlscli *k)
{
    int r;

    k->ctx = SSL_CTX_new(TLS_client_method());
    if (k->ctx == NULL)
        return 0;
    k->ssl = SSL_new(k->ctx);
    if (k->ssl == NULL || SSL_set_fd(k->ssl, pl_sock_fd(k->s)) != 1)
        return 0;
    while ((r = SSL_connect(k->ssl)) != 1)
        if (!t_tlscli_wait(k, r))
            return 0;
    return 1;
}

int t_tlscli_send(t_tlscli *k, const char *text)
{
    size_t n = strlen(text);
    int r;

    if (k->ssl == NULL)
        return pl_sock_write(k->s, text, n, T_TLSCLI_WAIT_MS) == PL_OK;
    while ((r = SSL_write(k->ssl, text, (int)n)) <= 0)
        if (!t_tlscli_wait(k, r))
            return 0;
    return 1;
}

int t_tlscli_until(t_tlscli *k, ut_buf *b, const char *end)
{
    char ch;
    size_t got, el = strlen(end);
    int r;

    ut_buf_clear(b);
    for (;;) {
        if (k->ssl == NULL) {
            if (pl_sock_read(k->s, &ch, 1, T_TLSCLI_WAIT_MS, &got) != PL_OK)
                return 0;
        } else {
            while ((r = SSL_read(k->ssl, &ch, 1)) <= 0)
                if (!t_tlscli_wait(k, r))
                    return 0;
        }
        ut_buf_addc(b, ch);
        if (b->len >= el && memcmp(b->data + b->len - el, end, el) == 0)
            return 1;
        if (b->len > T_TLSCLI_MAX)
            return 0;
    }
}

void t_tlscli_close(t_tlscli *k)
{
    if (k->ssl != NULL) {
        SSL_shutdown(k->ssl);
        SSL_free(k->ssl);
    }
    SSL_CTX_free(k->ctx);
    pl_sock_close(k->s);
}
