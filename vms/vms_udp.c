/*
 * vms_udp.c - datagram sockets for the DNS client on OpenVMS through the
 * C RTL's BSD socket interface (TCP/IP Services), and the name servers
 * TCP/IP Services is configured with.
 * Services: socket/connect/send/recv, getaddrinfo (numeric only),
 * ioctl(FIONBIO) and select() for the timeout, as vms_net.c; $TRNLNM
 * (through vms_trnlnm) for the TCPIP$BIND_SERVERnnn logical names that
 * SET NAME_SERVICE /SERVER=... /SYSTEM (or SET CONFIGURATION
 * NAME_SERVICE at start-up) defines: "TCP/IP Services for OpenVMS
 * Management", BIND resolver, and the TCPIP$UCP help of SET
 * NAME_SERVICE.
 * A connected UDP socket receives only its server's datagrams, gets a
 * random source port from the stack, and reports an ICMP port
 * unreachable as ECONNREFUSED (PL_ECONNREFUSED).
 * Limits: numeric server addresses only (a /SERVER given as a host name
 * is skipped: finding DNS must not need DNS); only the system table is
 * read, so a process-level SET NAME_SERVICE does not steer the server;
 * at most VMS_DNS_MAX logical names (000 to 015).  Descriptors at or
 * above FD_SETSIZE cannot be waited on (PL_ERR).
 * Privilege: none.
 */
#define _SOCKADDR_LEN 1
#if defined(__DECC) && !defined(__GNUC__)
#define FD_SETSIZE 1024
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netdb.h>
#include <ioctl.h>

#include <psldef.h>

#include "vms_int.h"

#define VMS_DNS_MAX 16   /* TCPIP$BIND_SERVER000 .. 015 */

struct pl_udp {
    int fd;
};

/* "ADDRESS:PORT" or "[V6]:PORT" into host and port; PL_EINVAL. */
static int vms_udp_split(const char *ap, char *host, size_t hn, char *port,
                         size_t pn)
{
    const char *hs = ap, *he, *ps;
    size_t len, i;

    if (ap[0] == '[') {
        hs = ap + 1;
        he = strchr(hs, ']');
        if (he == NULL || he[1] != ':')
            return PL_EINVAL;
        ps = he + 2;
    } else {
        he = strchr(ap, ':');
        if (he == NULL || strchr(he + 1, ':') != NULL)
            return PL_EINVAL;
        ps = he + 1;
    }
    len = (size_t)(he - hs);
    if (len == 0 || len >= hn || strlen(ps) == 0 || strlen(ps) >= pn)
        return PL_EINVAL;
    for (i = 0; ps[i] != '\0'; i++)
        if (ps[i] < '0' || ps[i] > '9')
            return PL_EINVAL;
    memcpy(host, hs, len);
    host[len] = '\0';
    strcpy(port, ps);
    return atoi(port) > 0 && atoi(port) <= 65535 ? PL_OK : PL_EINVAL;
}

int pl_udp_open(const char *addr_port, pl_udp **out)
{
    char host[PL_ADDR_MAX], port[8];
    struct addrinfo hints, *res = NULL;
    int fd, rc = PL_OK, on = 1;
    pl_udp *u;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (addr_port == NULL ||
        vms_udp_split(addr_port, host, sizeof host, port, sizeof port) !=
        PL_OK)
        return PL_EINVAL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST;
    if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
        return PL_EINVAL;
    fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (fd < 0) {
        rc = vms_fail_errno();
        freeaddrinfo(res);
        return rc;
    }
    if (fd >= FD_SETSIZE)
        rc = PL_ERR;
    if (rc == PL_OK && ioctl(fd, FIONBIO, &on) != 0)
        rc = vms_fail_errno();
    if (rc == PL_OK && connect(fd, res->ai_addr, res->ai_addrlen) != 0)
        rc = vms_fail_errno();
    freeaddrinfo(res);
    u = rc == PL_OK ? (pl_udp *)malloc(sizeof *u) : NULL;
    if (rc == PL_OK && u == NULL)
        rc = PL_ENOMEM;
    if (rc != PL_OK) {
        (void)close(fd);
        return rc;
    }
    u->fd = fd;
    *out = u;
    return PL_OK;
}

int pl_udp_send(pl_udp *u, const void *buf, size_t n)
{
    ssize_t k;

    if (u == NULL || buf == NULL || n == 0)
        return PL_EINVAL;
    do {
        k = send(u->fd, buf, n, 0);
    } while (k < 0 && errno == EINTR);
    if (k < 0)
        return vms_fail_errno();
    return (size_t)k == n ? PL_OK : PL_EIO;
}

int pl_udp_recv(pl_udp *u, void *buf, size_t n, pl_i32 timeout_ms,
                size_t *got)
{
    pl_i64 deadline;

    if (got != NULL)
        *got = 0;
    if (u == NULL || buf == NULL || got == NULL || n == 0 ||
        timeout_ms < 0)
        return PL_EINVAL;
    deadline = pl_time_mono_ms() + timeout_ms;
    for (;;) {
        fd_set set;
        struct timeval tv;
        pl_i64 left;
        ssize_t k = recv(u->fd, buf, n, 0);
        int r;

        if (k >= 0) {
            *got = (size_t)k;   /* a longer datagram was cut to n */
            return PL_OK;
        }
        if (errno != EWOULDBLOCK && errno != EAGAIN && errno != EINTR)
            return vms_fail_errno();   /* ECONNREFUSED: ICMP unreachable */
        left = deadline - pl_time_mono_ms();
        if (left <= 0)
            return PL_ETIMEDOUT;
        FD_ZERO(&set);
        FD_SET(u->fd, &set);
        tv.tv_sec = (long)(left / 1000);
        tv.tv_usec = (long)(left % 1000) * 1000;
        r = select(u->fd + 1, &set, NULL, NULL, &tv);
        if (r < 0 && errno != EINTR)
            return vms_fail_errno();
        if (r < 0 && vms_term_pending())
            return PL_EINTR;
    }
}

void pl_udp_close(pl_udp *u)
{
    if (u == NULL)
        return;
    (void)close(u->fd);
    free(u);
}

/* 1 if s looks like a numeric IPv4 or IPv6 address (getaddrinfo in
 * pl_udp_open checks it fully). */
static int vms_numeric(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
              (*s >= 'A' && *s <= 'F') || *s == '.' || *s == ':'))
            return 0;
    return 1;
}

int pl_dns_servers(char *buf, size_t n)
{
    char name[32], value[256], item[PL_ADDR_MAX + 8];
    size_t len = 0;
    int i, k, rc;

    if (buf == NULL || n == 0)
        return PL_EINVAL;
    buf[0] = '\0';
    for (i = 0; i < VMS_DNS_MAX; i++) {
        (void)sprintf(name, "TCPIP$BIND_SERVER%03d", i);
        /* Defining a name in the system table needs SYSNAM or SYSPRV in
         * any mode, so every mode may be trusted there. */
        rc = vms_trnlnm("LNM$SYSTEM_TABLE", name, PSL$C_USER, value,
                        sizeof value);
        if (rc == PL_ENOENT)
            break;
        if (rc != PL_OK || !vms_numeric(value) ||
            strlen(value) >= PL_ADDR_MAX)
            continue;
        k = sprintf(item, strchr(value, ':') != NULL ? "%s[%s]:53"
                    : "%s%s:53", len > 0 ? "," : "", value);
        if (len + (size_t)k + 1 > n)
            return PL_ERANGE;
        memcpy(buf + len, item, (size_t)k + 1);
        len += (size_t)k;
    }
    return len > 0 ? PL_OK : PL_ENOENT;
}
