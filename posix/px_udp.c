/*
 * px_udp.c - datagram sockets for the DNS client on POSIX, and the name
 * servers of /etc/resolv.conf.
 *
 * A pl_udp is a UDP socket connect()ed to one numeric server address:
 * the kernel then delivers only that server's datagrams, picks a random
 * source port at the implicit bind, and reports an ICMP port unreachable
 * as ECONNREFUSED on the next send or receive (PL_ECONNREFUSED), so a
 * dead server costs no timeout.  Non-blocking and close-on-exec; waits
 * are poll() against a monotonic deadline.
 * Limits: numeric addresses only (no DNS to find DNS); resolv.conf is
 * read up to PX_RESOLV_MAX octets, lines up to PX_RESOLV_LINE; scoped
 * IPv6 addresses (fe80::1%eth0) are skipped.
 * Privilege: none.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "px_int.h"

#define PX_RESOLV_FILE "/etc/resolv.conf"
#define PX_RESOLV_MAX  65536   /* a resolv.conf is a few hundred octets */
#define PX_RESOLV_LINE 256     /* glibc's own line buffer is smaller */

struct pl_udp {
    int fd;
};

/* "ADDRESS:PORT" or "[V6]:PORT" into host and port; PL_EINVAL. */
static int px_udp_split(const char *ap, char *host, size_t hn, char *port,
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
            return PL_EINVAL;   /* IPv6 needs brackets */
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
    return atol(port) > 0 && atol(port) <= 65535 ? PL_OK : PL_EINVAL;
}

int pl_udp_open(const char *addr_port, pl_udp **out)
{
    char host[PL_ADDR_MAX], port[8];
    struct addrinfo hints, *ai = NULL;
    int fd, rc, fl;
    pl_udp *u;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (addr_port == NULL ||
        px_udp_split(addr_port, host, sizeof host, port, sizeof port) !=
        PL_OK)
        return PL_EINVAL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0)
        return px_native(PX_NAT_GAI, rc, PL_EINVAL);
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) {
        rc = px_fail(errno);
        freeaddrinfo(ai);
        return rc;
    }
    rc = PL_OK;
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
        rc = px_fail(errno);
    if (rc == PL_OK && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        rc = px_fail(errno);
    freeaddrinfo(ai);
    u = rc == PL_OK ? (pl_udp *)malloc(sizeof *u) : NULL;
    if (rc == PL_OK && u == NULL)
        rc = px_fail(ENOMEM);
    if (rc != PL_OK) {
        close(fd);
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
        k = send(u->fd, buf, n, MSG_NOSIGNAL);
    } while (k < 0 && errno == EINTR);
    if (k < 0)
        return px_fail(errno);
    return (size_t)k == n ? PL_OK : px_fail(EMSGSIZE);
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
        struct pollfd p;
        pl_i64 left;
        ssize_t k = recv(u->fd, buf, n, 0);
        int r;

        if (k >= 0) {
            *got = (size_t)k;   /* a longer datagram was cut to n */
            return PL_OK;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return px_fail(errno);   /* ECONNREFUSED: ICMP unreachable */
        left = deadline - pl_time_mono_ms();
        if (left <= 0) {
            (void)px_fail(ETIMEDOUT);
            return PL_ETIMEDOUT;
        }
        p.fd = u->fd;
        p.events = POLLIN;
        p.revents = 0;
        r = poll(&p, 1, (int)left);
        if (r < 0 && errno != EINTR)
            return px_fail(errno);
        if (r < 0 && px_shutdown_pending())
            return PL_EINTR;
    }
}

void pl_udp_close(pl_udp *u)
{
    if (u == NULL)
        return;
    close(u->fd);
    free(u);
}

/* 1 if s is made of the characters of a numeric IPv4 or IPv6 address
 * (getaddrinfo checks it properly; this only keeps out scopes and
 * names). */
static int px_numeric_chars(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
              (*s >= 'A' && *s <= 'F') || *s == '.' || *s == ':'))
            return 0;
    return 1;
}

/* Append "ADDR:53" or "[ADDR]:53" to buf (comma-separated). */
static int px_dns_add(const char *addr, char *buf, size_t n, size_t *len)
{
    char item[PL_ADDR_MAX + 4];
    int k;

    k = snprintf(item, sizeof item, strchr(addr, ':') != NULL
                 ? "%s[%s]:53" : "%s%s:53", *len > 0 ? "," : "", addr);
    if (k < 0 || (size_t)k >= sizeof item)
        return PL_OK;   /* too long to be an address: skip */
    if (*len + (size_t)k + 1 > n)
        return PL_ERANGE;
    memcpy(buf + *len, item, (size_t)k + 1);
    *len += (size_t)k;
    return PL_OK;
}

int px_dns_parse(const char *text, size_t tlen, char *buf, size_t n)
{
    size_t pos = 0, len = 0;
    int rc = PL_OK;

    if (text == NULL || buf == NULL || n == 0)
        return PL_EINVAL;
    buf[0] = '\0';
    while (pos < tlen && rc == PL_OK) {
        char line[PX_RESOLV_LINE], word[16], addr[PX_RESOLV_LINE];
        size_t e = pos, ll;

        while (e < tlen && text[e] != '\n')
            e++;
        ll = e - pos < sizeof line ? e - pos : sizeof line - 1;
        memcpy(line, text + pos, ll);
        line[ll] = '\0';
        pos = e + 1;
        /* "nameserver ADDR [anything]"; '#' and ';' start comments. */
        if (sscanf(line, "%15s %255s", word, addr) == 2 &&
            strcmp(word, "nameserver") == 0 && px_numeric_chars(addr))
            rc = px_dns_add(addr, buf, n, &len);
    }
    if (rc != PL_OK)
        return rc;
    return len > 0 ? PL_OK : PL_ENOENT;
}

int pl_dns_servers(char *buf, size_t n)
{
    char *text;
    size_t have = 0;
    int fd, rc;

    if (buf == NULL || n == 0)
        return PL_EINVAL;
    buf[0] = '\0';
    fd = open(PX_RESOLV_FILE, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return px_fail(errno);
    text = (char *)malloc(PX_RESOLV_MAX);
    if (text == NULL) {
        close(fd);
        return px_fail(ENOMEM);
    }
    for (;;) {
        ssize_t k = read(fd, text + have, PX_RESOLV_MAX - have);

        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        have += (size_t)k;
        if (have == PX_RESOLV_MAX)
            break;   /* the rest is not a resolver configuration */
    }
    close(fd);
    rc = px_dns_parse(text, have, buf, n);
    free(text);
    return rc;
}
