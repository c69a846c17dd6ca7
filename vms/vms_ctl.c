/*
 * vms_ctl.c - the local control channel on OpenVMS: a TCP listener on the
 * loopback address whose connections must first present a random token
 * that only the service account can read.
 *
 * Why this mechanism: TCP/IP Services has no AF_UNIX sockets with peer
 * credentials, and a mailbox would need its own $QIO event loop beside the
 * select() of pl_sock_accept.  A loopback listener is accepted by the same
 * pl_sock_accept as the mail listeners; file protection (the one barrier
 * every OpenVMS administrator already manages) decides who may talk to it:
 * pl_ctl_listen writes "PORT TOKEN" to NAME.CTL in the control directory
 * with pl_file_create (owner-only: the service account and, through SYSPRV
 * or BYPASS, the system manager), and pl_ctl_peer_ok demands the token as
 * the connection's first line.  Knowing the token is the same proof as
 * being able to read the file.
 * Services: only the platform contract itself (pl_sock_listen,
 * pl_sock_local, pl_sock_connect, pl_file_*, pl_random), so nothing here
 * needs a system service of its own.
 * Limits: one control listener per process (the token is kept here, set
 * before the accept loop starts and only read afterwards); a token line is
 * VMS_CTL_HEX + 2 bytes and must arrive within VMS_CTL_TOKEN_MS.
 * Privilege: none; the file and the listener belong to the process's UIC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vms_int.h"

#define VMS_CTL_RAW 32                 /* random bytes in a token */
#define VMS_CTL_HEX (2 * VMS_CTL_RAW)  /* its hexadecimal text */
/* A local client sends its token at once; a peer that does not is not
 * our client and must not hold the accept thread. */
#define VMS_CTL_TOKEN_MS 3000
#define VMS_CTL_FILE_MAX 96            /* "PORT TOKEN\n" and spare */

static char vms_ctl_token[VMS_CTL_HEX + 1];

/* "NAME.CTL" for the control name `name` (a simple name without type). */
static int vms_ctl_file(const char *name, char *buf, size_t n)
{
    size_t len;

    if (name == NULL || pl_name_check(name, 0) != PL_OK)
        return PL_EINVAL;
    len = strlen(name);
    if (len + 5 > n)
        return PL_EINVAL;
    memcpy(buf, name, len);
    memcpy(buf + len, ".CTL", 5);
    return PL_OK;
}

/* Read the port and token of `fname` in d. */
static int vms_ctl_read(pl_dir *d, const char *fname, char *port,
                        size_t pn, char *token)
{
    char text[VMS_CTL_FILE_MAX];
    pl_file *f = NULL;
    size_t got = 0, k = 0, i;
    int rc;

    rc = pl_file_open(d, fname, PL_OPEN_READ, &f);
    if (rc != PL_OK)
        return rc;
    while (got < sizeof text - 1) {
        rc = pl_file_read(f, text + got, sizeof text - 1 - got, &k);
        if (rc != PL_OK || k == 0)
            break;
        got += k;
    }
    (void)pl_file_close(f);
    if (rc != PL_OK)
        return rc;
    text[got] = '\0';
    for (i = 0; text[i] >= '0' && text[i] <= '9'; i++)
        ;
    if (i == 0 || i >= pn || text[i] != ' ' ||
        strlen(text + i + 1) < VMS_CTL_HEX)
        return PL_ERR;
    memcpy(port, text, i);
    port[i] = '\0';
    memcpy(token, text + i + 1, VMS_CTL_HEX);
    token[VMS_CTL_HEX] = '\0';
    return PL_OK;
}

int pl_ctl_listen(pl_dir *d, const char *name, pl_sock **out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[VMS_CTL_RAW];
    char fname[PL_NAME_MAX + 5], addr[PL_ADDR_MAX], line[VMS_CTL_FILE_MAX];
    pl_sock *ls = NULL, *probe = NULL;
    pl_file *f = NULL;
    int rc, port = 0, i;

    if (out == NULL || d == NULL)
        return PL_EINVAL;
    *out = NULL;
    rc = vms_ctl_file(name, fname, sizeof fname);
    if (rc != PL_OK)
        return rc;
    if (pl_ctl_connect(d, name, 1000, &probe) == PL_OK) {
        pl_sock_close(probe);
        return PL_EADDRINUSE;      /* a live server answers */
    }
    rc = pl_random(raw, sizeof raw);
    if (rc != PL_OK)
        return rc;
    for (i = 0; i < VMS_CTL_RAW; i++) {
        vms_ctl_token[2 * i] = hex[raw[i] >> 4];
        vms_ctl_token[2 * i + 1] = hex[raw[i] & 15];
    }
    vms_ctl_token[VMS_CTL_HEX] = '\0';
    memset(raw, 0, sizeof raw);
    rc = pl_sock_listen("127.0.0.1:0", 8, &ls);
    if (rc == PL_OK)
        rc = pl_sock_local(ls, addr, sizeof addr, &port);
    if (rc == PL_OK) {
        rc = pl_file_remove(d, fname);
        if (rc == PL_ENOENT)
            rc = PL_OK;
    }
    if (rc == PL_OK)
        rc = pl_file_create(d, fname, &f);
    if (rc == PL_OK) {
        sprintf(line, "%d %s\n", port, vms_ctl_token);
        rc = pl_file_write(f, line, strlen(line));
        if (rc == PL_OK)
            rc = pl_file_sync(f);
        i = pl_file_close(f);
        if (rc == PL_OK)
            rc = i;
        memset(line, 0, sizeof line);
    }
    if (rc != PL_OK) {
        pl_sock_close(ls);
        return rc;
    }
    *out = ls;
    return PL_OK;
}

int pl_ctl_connect(pl_dir *d, const char *name, pl_i32 timeout_ms,
                   pl_sock **out)
{
    char fname[PL_NAME_MAX + 5], port[8], token[VMS_CTL_HEX + 3];
    pl_sock *s = NULL;
    int rc;

    if (out == NULL || d == NULL || timeout_ms < 0)
        return PL_EINVAL;
    *out = NULL;
    rc = vms_ctl_file(name, fname, sizeof fname);
    if (rc == PL_OK)
        rc = vms_ctl_read(d, fname, port, sizeof port, token);
    if (rc == PL_ERR)
        rc = PL_ENOENT;            /* no usable file: no server */
    if (rc == PL_OK)
        rc = pl_sock_connect("127.0.0.1", port, timeout_ms, &s);
    if (rc == PL_OK) {
        memcpy(token + VMS_CTL_HEX, "\r\n", 3);
        rc = pl_sock_write(s, token, VMS_CTL_HEX + 2, timeout_ms);
    }
    memset(token, 0, sizeof token);
    if (rc != PL_OK) {
        pl_sock_close(s);
        return rc;
    }
    *out = s;
    return PL_OK;
}

int pl_ctl_peer_ok(pl_sock *s)
{
    char got[VMS_CTL_HEX + 2];
    size_t have = 0, k = 0, i;
    pl_i64 deadline = pl_time_mono_ms() + VMS_CTL_TOKEN_MS;
    unsigned int diff = 0;
    int rc;

    if (s == NULL)
        return PL_EINVAL;
    if (vms_ctl_token[0] == '\0')
        return PL_EACCES;          /* no listener in this process */
    /* Exactly the token line: reading more would eat the request. */
    while (have < sizeof got) {
        pl_i64 left = deadline - pl_time_mono_ms();

        if (left <= 0)
            return PL_EACCES;
        rc = pl_sock_read(s, got + have, sizeof got - have, (pl_i32)left,
                          &k);
        if (rc != PL_OK)
            return PL_EACCES;
        have += k;
    }
    /* Compare every byte so the time taken says nothing about the token. */
    for (i = 0; i < VMS_CTL_HEX; i++)
        diff |= (unsigned int)(got[i] ^ vms_ctl_token[i]);
    if (got[VMS_CTL_HEX] != '\r' || got[VMS_CTL_HEX + 1] != '\n')
        diff |= 1;
    memset(got, 0, sizeof got);
    return diff == 0 ? PL_OK : PL_EACCES;
}
