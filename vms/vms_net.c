/*
 * vms_net.c - TCP sockets on OpenVMS through the C RTL's BSD socket
 * interface (TCP/IP Services), and the connection the auxiliary server
 * hands to a process it starts.
 * Services: socket/bind/listen/accept/connect/recv/send, getaddrinfo and
 * getnameinfo, ioctl(FIONBIO) for non-blocking sockets, select() for every
 * timeout (select works on sockets only on OpenVMS, and sockets are all we
 * wait on); socket(TCPIP$C_AUXS, SOCK_STREAM, 0) for the auxiliary server's
 * BG device when SYS$NET translates.
 * Limits: descriptors at or above FD_SETSIZE cannot be waited on
 * (PL_ERR); FD_SETSIZE is raised to 1024 for the DEC C headers, whose
 * default is smaller.  No socket activation exists on OpenVMS:
 * pl_sock_inherited_listeners always reports none.
 * Privilege: binding a port below 1024 needs SYSPRV (or BYPASS or OPER);
 * pl_sock_listen enables SYSPRV just around bind() when it is authorized
 * and not already on.  Under the auxiliary server the port is already
 * bound by TCP/IP Services.
 */
/* 4.4BSD socket addresses (sin_len), needed for IPv6 and getaddrinfo in
 * the TCP/IP Services headers. */
#define _SOCKADDR_LEN 1
/* OpenVMS headers honour a larger set size defined before them; gcc's C
 * library fixes its own value, so only DEC C gets it. */
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
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <ioctl.h>

#include <tcpip$inetdef.h>
#include <psldef.h>
#include <prvdef.h>

#include "vms_int.h"

struct pl_sock {
    int fd;
};

/* Wrap fd in a handle (closing fd when there is no memory). */
static int vms_sock_wrap(int fd, pl_sock **out)
{
    pl_sock *s = (pl_sock *)malloc(sizeof *s);
    int on = 1;

    /* As px_net.c: output is corked by the caller, so Nagle only delays
     * the tail of a long reply; TCP/IP Services honours TCP_NODELAY.
     * Fails harmlessly on listeners and non-TCP sockets. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, (char *)&on, sizeof on);
    if (s == NULL) {
        close(fd);
        return PL_ENOMEM;
    }
    s->fd = fd;
    *out = s;
    return PL_OK;
}

static int vms_nonblock(int fd, int on)
{
    int v = on ? 1 : 0;

    return ioctl(fd, FIONBIO, &v) == 0 ? PL_OK : vms_fail_errno();
}

/* Wait until fd is readable (or writable) for at most ms (-1: forever).
 * PL_OK when ready, PL_ETIMEDOUT, or an error. */
static int vms_wait(int fd, int for_write, pl_i32 ms)
{
    fd_set set;
    struct timeval tv, *tvp = NULL;
    int r;

    if (fd < 0 || fd >= FD_SETSIZE)
        return PL_ERR;
    for (;;) {
        FD_ZERO(&set);
        FD_SET(fd, &set);
        if (ms >= 0) {
            tv.tv_sec = ms / 1000;
            tv.tv_usec = (ms % 1000) * 1000;
            tvp = &tv;
        }
        r = select(fd + 1, for_write ? NULL : &set, for_write ? &set : NULL,
                   NULL, tvp);
        if (r > 0)
            return PL_OK;
        if (r == 0)
            return PL_ETIMEDOUT;
        if (errno != EINTR)
            return vms_fail_errno();
        if (vms_term_pending())
            return PL_EINTR;
    }
}

/* Split "ADDRESS:PORT" / "[V6]:PORT" / "*:PORT" into host and port. */
static int vms_split(const char *ap, char *host, size_t hn, char *port,
                     size_t pn, int *v6)
{
    const char *colon;
    size_t hl;

    *v6 = 0;
    if (ap[0] == '[') {
        const char *rb = strchr(ap, ']');

        if (rb == NULL || rb[1] != ':')
            return PL_EINVAL;
        hl = (size_t)(rb - ap - 1);
        if (hl + 1 > hn)
            return PL_EINVAL;
        memcpy(host, ap + 1, hl);
        host[hl] = '\0';
        colon = rb + 1;
        *v6 = 1;
    } else {
        colon = strrchr(ap, ':');
        if (colon == NULL)
            return PL_EINVAL;
        hl = (size_t)(colon - ap);
        if (hl + 1 > hn)
            return PL_EINVAL;
        memcpy(host, ap, hl);
        host[hl] = '\0';
    }
    if (strlen(colon + 1) + 1 > pn || colon[1] == '\0')
        return PL_EINVAL;
    strcpy(port, colon + 1);
    return PL_OK;
}

int pl_sock_listen(const char *addr_port, int backlog, pl_sock **out)
{
    char host[PL_ADDR_MAX], port[16];
    struct addrinfo hints, *res = NULL;
    int v6, fd, on = 1, rc, e;

    if (addr_port == NULL || out == NULL || backlog <= 0)
        return PL_EINVAL;
    *out = NULL;
    rc = vms_split(addr_port, host, sizeof host, port, sizeof port, &v6);
    if (rc != PL_OK)
        return rc;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = v6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    e = getaddrinfo(strcmp(host, "*") == 0 ? NULL : host, port, &hints,
                    &res);
    if (e != 0 || res == NULL)
        return PL_EINVAL;
    fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (fd < 0) {
        rc = vms_fail_errno();
        freeaddrinfo(res);
        return rc;
    }
    rc = PL_OK;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, (char *)&on, sizeof on) != 0)
        rc = vms_fail_errno();
#ifdef IPV6_V6ONLY
    /* "[::]:port" means IPv6 only; IPv4 has its own "*:port". */
    if (rc == PL_OK && v6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, (char *)&on, sizeof on))
        rc = vms_fail_errno();
#endif
    if (rc == PL_OK) {
        static const unsigned int sysprv[1] = { PRV$V_SYSPRV };
        pl_u32 added[2];
        int low = atoi(port) < 1024;

        added[0] = added[1] = 0;
        if (low)
            rc = vms_priv_add(sysprv, 1, added);
        if (rc == PL_OK && bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
            rc = vms_fail_errno();
            if (rc == PL_EADDRINUSE || errno == EADDRINUSE)
                rc = PL_EADDRINUSE;
        }
        vms_priv_drop(added);
    }
    if (rc == PL_OK && listen(fd, backlog) != 0)
        rc = vms_fail_errno();
    if (rc == PL_OK)
        rc = vms_nonblock(fd, 1);
    freeaddrinfo(res);
    if (rc != PL_OK) {
        close(fd);
        return rc;
    }
    return vms_sock_wrap(fd, out);
}

int pl_sock_accept(pl_sock **listeners, int n, pl_i32 timeout_ms,
                   pl_sock **out, int *which)
{
    fd_set set;
    struct timeval tv, *tvp = NULL;
    int i, maxfd = -1, r, fd, rc;

    if (listeners == NULL || n <= 0 || out == NULL || which == NULL ||
        (timeout_ms < 0 && timeout_ms != PL_WAIT_FOREVER))
        return PL_EINVAL;
    *out = NULL;
    FD_ZERO(&set);
    for (i = 0; i < n; i++) {
        if (listeners[i] == NULL || listeners[i]->fd >= FD_SETSIZE)
            return PL_EINVAL;
        FD_SET(listeners[i]->fd, &set);
        if (listeners[i]->fd > maxfd)
            maxfd = listeners[i]->fd;
    }
    if (timeout_ms >= 0) {
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
        tvp = &tv;
    }
    r = select(maxfd + 1, &set, NULL, NULL, tvp);
    if (r == 0)
        return PL_ETIMEDOUT;
    if (r < 0)
        return errno == EINTR ? PL_EINTR : vms_fail_errno();
    for (i = 0; i < n; i++) {
        if (!FD_ISSET(listeners[i]->fd, &set))
            continue;
        fd = accept(listeners[i]->fd, NULL, NULL);
        if (fd < 0) {
            /* The client went away between select and accept. */
            if (errno == EWOULDBLOCK || errno == EAGAIN ||
                errno == ECONNABORTED)
                continue;
            return vms_fail_errno();
        }
        rc = vms_nonblock(fd, 0);   /* sessions use blocking I/O */
        if (rc != PL_OK) {
            close(fd);
            return rc;
        }
        *which = i;
        return vms_sock_wrap(fd, out);
    }
    return PL_EAGAIN;
}

int pl_sock_connect(const char *host, const char *port, pl_i32 timeout_ms,
                    pl_sock **out)
{
    struct addrinfo hints, *res = NULL, *ai;
    pl_i64 deadline;
    int fd = -1, rc = PL_EHOST, e, soerr;
    socklen_t sl;

    if (host == NULL || port == NULL || out == NULL || timeout_ms < 0)
        return PL_EINVAL;
    *out = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    e = getaddrinfo(host, port, &hints, &res);
    if (e != 0 || res == NULL)
        return PL_EHOST;
    deadline = pl_time_mono_ms() + timeout_ms;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        pl_i64 left = deadline - pl_time_mono_ms();

        if (left <= 0) {
            rc = PL_ETIMEDOUT;
            break;
        }
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            rc = vms_fail_errno();
            continue;
        }
        rc = vms_nonblock(fd, 1);
        if (rc == PL_OK && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            if (errno == EINPROGRESS || errno == EWOULDBLOCK) {
                rc = vms_wait(fd, 1, (pl_i32)left);
                if (rc == PL_OK) {
                    soerr = 0;
                    sl = (socklen_t)sizeof soerr;
                    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, (char *)&soerr,
                                   &sl) != 0)
                        rc = vms_fail_errno();
                    else if (soerr != 0) {
                        errno = soerr;
                        rc = vms_fail_errno();
                    }
                }
            } else {
                rc = vms_fail_errno();
            }
        }
        if (rc == PL_OK)
            rc = vms_nonblock(fd, 0);
        if (rc == PL_OK)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return rc;
    return vms_sock_wrap(fd, out);
}

int pl_sock_read(pl_sock *s, void *buf, size_t n, pl_i32 timeout_ms,
                 size_t *got)
{
    int rc;
    ssize_t r;

    if (s == NULL || buf == NULL || got == NULL || n == 0)
        return PL_EINVAL;
    *got = 0;
    rc = vms_wait(s->fd, 0, timeout_ms);
    if (rc != PL_OK)
        return rc;
    do {
        r = recv(s->fd, buf, n, 0);
    } while (r < 0 && errno == EINTR);
    if (r == 0)
        return PL_EOF;
    if (r < 0)
        return vms_fail_errno();
    *got = (size_t)r;
    return PL_OK;
}

int pl_sock_write(pl_sock *s, const void *buf, size_t n, pl_i32 timeout_ms)
{
    const char *p = (const char *)buf;
    pl_i64 deadline;
    ssize_t w;
    int rc;

    if (s == NULL || (buf == NULL && n > 0))
        return PL_EINVAL;
    deadline = pl_time_mono_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
    while (n > 0) {
        if (timeout_ms != PL_WAIT_FOREVER) {
            pl_i64 left = deadline - pl_time_mono_ms();

            if (left <= 0)
                return PL_ETIMEDOUT;
            rc = vms_wait(s->fd, 1, (pl_i32)left);
            if (rc != PL_OK)
                return rc;
        }
        /* Blocking socket: after select said writable, send may still
         * block for a large n; the chunk keeps that wait short. */
        w = send(s->fd, p, n > 16384 ? 16384 : n, 0);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return vms_fail_errno();
        }
        p += w;
        n -= (size_t)w;
    }
    return PL_OK;
}

int pl_sock_wait_readable(pl_sock *s, pl_i32 timeout_ms)
{
    if (s == NULL)
        return PL_EINVAL;
    return vms_wait(s->fd, 0, timeout_ms);
}

int pl_sock_wait_writable(pl_sock *s, pl_i32 timeout_ms)
{
    if (s == NULL)
        return PL_EINVAL;
    return vms_wait(s->fd, 1, timeout_ms);
}

/* Text address and port of a socket address; IPv4-mapped IPv6 addresses
 * are shown as IPv4. */
static int vms_addr_text(const struct sockaddr *sa, socklen_t len,
                         char *addr, size_t n, int *port)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    const char *h = host;

    if (getnameinfo(sa, len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return PL_ERR;
    if (strncmp(h, "::ffff:", 7) == 0 && strchr(h + 7, '.') != NULL)
        h += 7;
    if (strlen(h) + 1 > n)
        return PL_ERANGE;
    strcpy(addr, h);
    if (port != NULL)
        *port = atoi(serv);
    return PL_OK;
}

int pl_sock_peer(pl_sock *s, char *addr, size_t n, int *port)
{
    struct sockaddr_storage ss;
    socklen_t len = (socklen_t)sizeof ss;

    if (s == NULL || addr == NULL || n == 0)
        return PL_EINVAL;
    if (getpeername(s->fd, (struct sockaddr *)&ss, &len) != 0)
        return vms_fail_errno();
    return vms_addr_text((struct sockaddr *)&ss, len, addr, n, port);
}

int pl_sock_local(pl_sock *s, char *addr, size_t n, int *port)
{
    struct sockaddr_storage ss;
    socklen_t len = (socklen_t)sizeof ss;

    if (s == NULL || addr == NULL || n == 0)
        return PL_EINVAL;
    if (getsockname(s->fd, (struct sockaddr *)&ss, &len) != 0)
        return vms_fail_errno();
    return vms_addr_text((struct sockaddr *)&ss, len, addr, n, port);
}

int pl_sock_fd(pl_sock *s)
{
    return s == NULL ? -1 : s->fd;
}

void pl_sock_close(pl_sock *s)
{
    if (s == NULL)
        return;
    (void)close(s->fd);
    free(s);
}

int pl_sock_inherited_conn(pl_sock **out)
{
    char net[256];
    int fd;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    /* The auxiliary server defines SYS$NET (the BG device of the accepted
     * connection) for the process it starts; nothing else does. */
    if (vms_trnlnm("LNM$FILE_DEV", "SYS$NET", PSL$C_USER, net,
                   sizeof net) != PL_OK)
        return PL_ENOENT;
    fd = socket(TCPIP$C_AUXS, SOCK_STREAM, 0);
    if (fd < 0)
        return vms_fail_errno();
    return vms_sock_wrap(fd, out);
}

int pl_sock_inherited_listeners(pl_sock **out, int max, int *n)
{
    (void)out;
    if (n == NULL || max < 0)
        return PL_EINVAL;
    /* OpenVMS has no socket activation: listeners are opened by us. */
    *n = 0;
    return PL_OK;
}
