/*
 * sc_data.c - what the SMTP client sends as text: the dot-stuffing writer
 * for DATA (RFC 5321 4.5.2) and the xtext encoder for ENVID and ORCPT
 * (RFC 3461 4).
 *
 * The writer keeps two bits of state between calls, so the data may come
 * in pieces of any size (a "." or a CR LF split across two reads of the
 * message file is handled the same as in one).  Every line end goes out
 * as CR LF: CR LF stays, and a bare LF or a bare CR becomes CR LF (RFC
 * 5321 2.3.8 forbids sending them bare), so the octets we send have
 * exactly one reading as lines and one end of data whatever line-end rule
 * the receiver applies (the SMTP smuggling lesson, CVE-2023-51764).  A
 * line starts at the start of the data and after each line end; a "."
 * there is doubled.
 * Limits: none; pure functions over caller buffers.
 * Privilege: none.
 */
#include <string.h>
#include "sc_int.h"

void sc_dot_init(sc_dot *d)
{
    d->bol = 1;
    d->cr = 0;
}

void sc_dot_put(sc_dot *d, const void *in, size_t n, void *out,
                size_t *outlen)
{
    const unsigned char *p = (const unsigned char *)in;
    unsigned char *o = (unsigned char *)out;
    size_t i, k = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = p[i];

        if (d->cr) {
            /* the held CR ends a line, with its LF or without one */
            d->cr = 0;
            o[k++] = '\r';
            o[k++] = '\n';
            d->bol = 1;
            if (c == '\n')
                continue;
        }
        if (c == '\r') {
            d->cr = 1;   /* held until we know what follows */
            continue;
        }
        if (c == '\n') {
            o[k++] = '\r';
            o[k++] = '\n';
            d->bol = 1;
            continue;
        }
        if (d->bol && c == '.')
            o[k++] = '.';
        o[k++] = c;
        d->bol = 0;
    }
    *outlen = k;
}

void sc_dot_end(sc_dot *d, void *out, size_t *outlen)
{
    unsigned char *o = (unsigned char *)out;
    size_t k = 0;

    if (d->cr || !d->bol) {
        o[k++] = '\r';
        o[k++] = '\n';
    }
    memcpy(o + k, ".\r\n", 3);
    *outlen = k + 3;
    d->bol = 1;
    d->cr = 0;
}

int sc_xtext(const char *s, size_t n, char *out, size_t on)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, k = 0;

    if (out == NULL || on == 0)
        return PL_EINVAL;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int plain = c >= 0x21 && c <= 0x7e && c != '+' && c != '=';

        if (k + (plain ? 1 : 3) >= on) {
            out[0] = '\0';
            return PL_ERANGE;
        }
        if (plain) {
            out[k++] = (char)c;
        } else {
            out[k++] = '+';
            out[k++] = hex[c >> 4];
            out[k++] = hex[c & 15];
        }
    }
    out[k] = '\0';
    return PL_OK;
}
