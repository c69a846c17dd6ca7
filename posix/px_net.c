/*
 * px_net.c - TCP sockets on POSIX: listeners, accept, connect, timed reads
 * and writes, addresses, and sockets inherited from inetd or systemd.
 *
 * Every socket is non-blocking and close-on-exec, and TCP ones send at
 * once (TCP_NODELAY); each wait is a poll()
 * with a deadline on the monotonic clock, so no call blocks longer than
 * its timeout.  Writes use MSG_NOSIGNAL (and SIGPIPE is ignored by
 * pl_init) so a vanished peer is PL_ECONNRESET, never a signal.  Listen
 * addresses are numeric only: a listener must not depend on DNS.
 * Limits: at most PX_NET_MAX_LISTEN listeners per pl_sock_accept call.
 * Privilege: binding a port below 1024 needs root (or CAP_NET_BIND_SERVICE);
 * nothing else does.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "px_int.h"

/* More listeners than services times address families is a mistake. */
#define PX_NET_MAX_LISTEN 64

struct pl_sock {
    int fd;
};

/* Make fd non-blocking and close-on-exec. */
static int px_sock_prep(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
        return px_fail(errno);
    fl = fcntl(fd, F_GETFD);
    if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) != 0)
        return px_fail(errno);
    return PL_OK;
}

/* Wrap fd in a handle; closes fd on failure. */
/* Callers cork their output (nt_conn: 16 KiB) and write it whole, so
 * Nagle only delays: the tail of a reply larger than the buffer waited for
 * the ACK of the part before, which the client's delayed ACK held for
 * 40 ms.  Fails harmlessly on listeners and non-TCP sockets. */
static void px_sock_nodelay(int fd)
{
    int on = 1;

    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

static int px_sock_wrap(int fd, pl_sock **out)
{
    pl_sock *s;
    int rc = px_sock_prep(fd);

    if (rc != PL_OK) {
        close(fd);
        return rc;
    }
    px_sock_nodelay(fd);
    s = (pl_sock *)malloc(sizeof *s);
    if (s == NULL) {
        close(fd);
        return px_fail(ENOMEM);
    }
    s->fd = fd;
    *out = s;
    return PL_OK;
}

int px_sock_adopt(int fd, pl_sock **out)
{
    return px_sock_wrap(fd, out);
}

/* Milliseconds left until deadline for poll(): -1 forever, 0 when past. */
static int px_left(pl_i32 timeout_ms, pl_i64 deadline)
{
    pl_i64 left;

    if (timeout_ms == PL_WAIT_FOREVER)
        return -1;
    left = deadline - pl_time_mono_ms();
    return left > 0 ? (int)left : 0;
}

static pl_i64 px_deadline(pl_i32 timeout_ms)
{
    return timeout_ms > 0 ? pl_time_mono_ms() + timeout_ms
                          : pl_time_mono_ms();
}

/* poll one descriptor for events until the deadline.  PL_OK when ready,
 * PL_ETIMEDOUT, or the failure. */
static int px_poll1(int fd, short events, pl_i32 timeout_ms, pl_i64 deadline)
{
    for (;;) {
        struct pollfd p;
        int r;

        p.fd = fd;
        p.events = events;
        p.revents = 0;
        r = poll(&p, 1, px_left(timeout_ms, deadline));
        if (r > 0)
            return PL_OK;   /* readable, writable, or an error to read */
        if (r == 0) {
            (void)px_fail(ETIMEDOUT);
            return PL_ETIMEDOUT;
        }
        if (errno != EINTR)
            return px_fail(errno);
        if (px_shutdown_pending())
            return PL_EINTR;
    }
}

/* PL_OK if port is a decimal port number 0..65535 (no service names:
 * they would depend on /etc/services). */
static int px_port_ok(const char *port)
{
    size_t len = strlen(port), i;

    if (len == 0 || len > 5)
        return PL_EINVAL;
    for (i = 0; i < len; i++)
        if (port[i] < '0' || port[i] > '9')
            return PL_EINVAL;
    return atol(port) <= 65535 ? PL_OK : PL_EINVAL;
}

/* Split "host:port", "[v6]:port", "*:port" into host and port; host "*"
 * becomes the IPv4 wildcard.  PL_EINVAL for anything else. */
static int px_split(const char *ap, char *host, size_t hn, char *port,
                    size_t pn)
{
    const char *hs, *he, *ps;
    size_t len;

    if (ap == NULL)
        return PL_EINVAL;
    if (ap[0] == '[') {
        hs = ap + 1;
        he = strchr(hs, ']');
        if (he == NULL || he[1] != ':')
            return PL_EINVAL;
        ps = he + 2;
    } else {
        hs = ap;
        he = strrchr(ap, ':');
        if (he == NULL)
            return PL_EINVAL;
        ps = he + 1;
        if (memchr(hs, ':', (size_t)(he - hs)) != NULL)
            return PL_EINVAL;   /* a bare IPv6 literal needs brackets */
    }
    len = (size_t)(he - hs);
    if (len == 0 || len >= hn)
        return PL_EINVAL;
    memcpy(host, hs, len);
    host[len] = '\0';
    if (strcmp(host, "*") == 0) {
        if (ap[0] == '[')
            return PL_EINVAL;
        strcpy(host, "0.0.0.0");
    }
    len = strlen(ps);
    if (len >= pn || px_port_ok(ps) != PL_OK)
        return PL_EINVAL;
    memcpy(port, ps, len + 1);
    return PL_OK;
}

int pl_sock_listen(const char *addr_port, int backlog, pl_sock **out)
{
    char host[PL_ADDR_MAX], port[8];
    struct addrinfo hints, *ai = NULL;
    int fd, on = 1, rc;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (px_split(addr_port, host, sizeof host, port, sizeof port) != PL_OK)
        return PL_EINVAL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
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
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
        rc = px_fail(errno);
    /* "[::]" means IPv6 only: IPv4 has its own "*" listener, and a dual
     * stack socket would make the two clash. */
    if (rc == PL_OK && ai->ai_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0)
        rc = px_fail(errno);
    if (rc == PL_OK && bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        rc = px_fail(errno);
    if (rc == PL_OK && listen(fd, backlog > 0 ? backlog : SOMAXCONN) != 0)
        rc = px_fail(errno);
    freeaddrinfo(ai);
    if (rc != PL_OK) {
        close(fd);
        return rc;
    }
    return px_sock_wrap(fd, out);
}

int pl_sock_accept(pl_sock **listeners, int n, pl_i32 timeout_ms,
                   pl_sock **out, int *which)
{
    struct pollfd p[PX_NET_MAX_LISTEN];
    pl_i64 deadline = px_deadline(timeout_ms);
    int i;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (listeners == NULL || n <= 0 || n > PX_NET_MAX_LISTEN ||
        (timeout_ms < 0 && timeout_ms != PL_WAIT_FOREVER))
        return PL_EINVAL;
    for (i = 0; i < n; i++)
        if (listeners[i] == NULL)
            return PL_EINVAL;
    for (;;) {
        int r;

        for (i = 0; i < n; i++) {
            p[i].fd = listeners[i]->fd;
            p[i].events = POLLIN;
            p[i].revents = 0;
        }
        r = poll(p, (nfds_t)n, px_left(timeout_ms, deadline));
        if (r < 0) {
            if (errno != EINTR)
                return px_fail(errno);
            if (px_shutdown_pending())
                return PL_EINTR;
            continue;
        }
        if (r == 0) {
            (void)px_fail(ETIMEDOUT);
            return PL_ETIMEDOUT;
        }
        for (i = 0; i < n; i++) {
            int fd;

            if (!(p[i].revents & (POLLIN | POLLERR | POLLHUP)))
                continue;
            fd = accept(p[i].fd, NULL, NULL);
            if (fd < 0) {
                /* Taken by another thread or process, or the client gave
                 * up before we got to it: not our failure. */
                if (errno == EAGAIN || errno == EWOULDBLOCK ||
                    errno == ECONNABORTED || errno == EINTR ||
                    errno == EPROTO)
                    continue;
                return px_fail(errno);
            }
            if (which != NULL)
                *which = i;
            return px_sock_wrap(fd, out);
        }
        if (timeout_ms == 0) {
            (void)px_fail(EAGAIN);
            return PL_ETIMEDOUT;
        }
    }
}

int pl_sock_connect(const char *host, const char *port, pl_i32 timeout_ms,
                    pl_sock **out)
{
    struct addrinfo hints, *ai = NULL, *a;
    pl_i64 deadline = px_deadline(timeout_ms);
    int rc, last = PL_ECONNREFUSED;

    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    if (host == NULL || port == NULL || host[0] == '\0' ||
        px_port_ok(port) != PL_OK ||
        (timeout_ms < 0 && timeout_ms != PL_WAIT_FOREVER))
        return PL_EINVAL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        if (rc == EAI_SYSTEM)
            return px_fail(errno);
        return px_native(PX_NAT_GAI, rc,
                         rc == EAI_SERVICE ? PL_EINVAL : PL_EHOST);
    }
    for (a = ai; a != NULL; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);

        if (fd < 0) {
            last = px_fail(errno);
            continue;
        }
        rc = px_sock_prep(fd);
        if (rc == PL_OK && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            if (errno != EINPROGRESS && errno != EINTR) {
                rc = px_fail(errno);
            } else {
                rc = px_poll1(fd, POLLOUT, timeout_ms, deadline);
                if (rc == PL_OK) {
                    int err = 0;
                    socklen_t len = sizeof err;

                    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                        rc = px_fail(errno);
                    else if (err != 0)
                        rc = px_fail(err);
                }
            }
        }
        if (rc == PL_OK) {
            pl_sock *s = (pl_sock *)malloc(sizeof *s);

            freeaddrinfo(ai);
            if (s == NULL) {
                close(fd);
                return px_fail(ENOMEM);
            }
            px_sock_nodelay(fd);
            s->fd = fd;
            *out = s;
            return PL_OK;
        }
        close(fd);
        last = rc;
        if (rc == PL_ETIMEDOUT || rc == PL_EINTR)
            break;   /* the whole budget is spent */
    }
    freeaddrinfo(ai);
    return last;
}

int pl_sock_read(pl_sock *s, void *buf, size_t n, pl_i32 timeout_ms,
                 size_t *got)
{
    pl_i64 deadline = px_deadline(timeout_ms);

    if (got != NULL)
        *got = 0;
    if (s == NULL || buf == NULL || got == NULL || n == 0 ||
        (timeout_ms < 0 && timeout_ms != PL_WAIT_FOREVER))
        return PL_EINVAL;
    for (;;) {
        ssize_t k = recv(s->fd, buf, n, 0);
        int rc;

        if (k > 0) {
            *got = (size_t)k;
            return PL_OK;
        }
        if (k == 0)
            return PL_EOF;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return px_fail(errno);
        rc = px_poll1(s->fd, POLLIN, timeout_ms, deadline);
        if (rc != PL_OK)
            return rc;
    }
}

int pl_sock_write(pl_sock *s, const void *buf, size_t n, pl_i32 timeout_ms)
{
    const char *p = (const char *)buf;
    pl_i64 deadline = px_deadline(timeout_ms);

    if (s == NULL || (buf == NULL && n > 0) ||
        (timeout_ms < 0 && timeout_ms != PL_WAIT_FOREVER))
        return PL_EINVAL;
    while (n > 0) {
        ssize_t k = send(s->fd, p, n, MSG_NOSIGNAL);

        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return px_fail(errno);
        {
            int rc = px_poll1(s->fd, POLLOUT, timeout_ms, deadline);

            if (rc != PL_OK)
                return rc;
        }
    }
    return PL_OK;
}

int pl_sock_wait_readable(pl_sock *s, pl_i32 timeout_ms)
{
    if (s == NULL || (timeout_ms < 0 && timeout_ms != PL_WAIT_FOREVER))
        return PL_EINVAL;
    return px_poll1(s->fd, POLLIN, timeout_ms, px_deadline(timeout_ms));
}

int pl_sock_wait_writable(pl_sock *s, pl_i32 timeout_ms)
{
    if (s == NULL || (timeout_ms < 0 && timeout_ms != PL_WAIT_FOREVER))
        return PL_EINVAL;
    return px_poll1(s->fd, POLLOUT, timeout_ms, px_deadline(timeout_ms));
}

/* Numeric text and port of a socket address; an IPv4-mapped IPv6 address
 * is shown as the IPv4 address it is. */
static int px_addr_text(const struct sockaddr_storage *ss, socklen_t len,
                        char *addr, size_t n, int *port)
{
    char host[NI_MAXHOST];
    const char *h = host;
    int rc;

    rc = getnameinfo((const struct sockaddr *)ss, len, host, sizeof host,
                     NULL, 0, NI_NUMERICHOST);
    if (rc != 0)
        return px_native(PX_NAT_GAI, rc, PL_ERR);
    if (ss->ss_family == AF_INET6 && strncmp(host, "::ffff:", 7) == 0 &&
        strchr(host + 7, '.') != NULL)
        h = host + 7;
    if (port != NULL) {
        if (ss->ss_family == AF_INET)
            *port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
        else if (ss->ss_family == AF_INET6)
            *port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
        else
            *port = 0;
    }
    if (addr != NULL) {
        if (strlen(h) + 1 > n)
            return PL_ERANGE;
        memcpy(addr, h, strlen(h) + 1);
    }
    return PL_OK;
}

int pl_sock_peer(pl_sock *s, char *addr, size_t n, int *port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (s == NULL)
        return PL_EINVAL;
    if (getpeername(s->fd, (struct sockaddr *)&ss, &len) != 0)
        return px_fail(errno);
    return px_addr_text(&ss, len, addr, n, port);
}

int pl_sock_local(pl_sock *s, char *addr, size_t n, int *port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (s == NULL)
        return PL_EINVAL;
    if (getsockname(s->fd, (struct sockaddr *)&ss, &len) != 0)
        return px_fail(errno);
    return px_addr_text(&ss, len, addr, n, port);
}

int pl_sock_fd(pl_sock *s)
{
    return s == NULL ? -1 : s->fd;
}

void pl_sock_close(pl_sock *s)
{
    if (s == NULL)
        return;
    close(s->fd);
    free(s);
}

/* 1 if fd is a stream socket that is listening (want_listen) or connected
 * (!want_listen); 0 otherwise. */
static int px_is_stream(int fd, int want_listen)
{
    int type = 0, acc = 0;
    socklen_t len = sizeof type;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;

    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
        type != SOCK_STREAM)
        return 0;
    len = sizeof acc;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) != 0)
        return 0;
    if (want_listen)
        return acc != 0;
    return acc == 0 && getpeername(fd, (struct sockaddr *)&ss, &sl) == 0;
}

/* The descriptor count systemd passed to this very process, or 0.  With
 * consume, the variables are removed so that children do not take them
 * as theirs. */
static int px_listen_fds(int consume)
{
    const char *pid = getenv("LISTEN_PID");
    const char *fds = getenv("LISTEN_FDS");
    char *end;
    long p, f;

    if (pid == NULL || fds == NULL)
        return 0;
    errno = 0;
    p = strtol(pid, &end, 10);
    if (errno != 0 || end == pid || *end != '\0' || p != (long)getpid())
        return 0;
    f = strtol(fds, &end, 10);
    if (errno != 0 || end == fds || *end != '\0' || f <= 0 ||
        f > PX_NET_MAX_LISTEN)
        f = 0;
    if (!consume)
        return (int)f;
    (void)unsetenv("LISTEN_PID");
    (void)unsetenv("LISTEN_FDS");
    (void)unsetenv("LISTEN_FDNAMES");
    return (int)f;
}

/* First descriptor of systemd socket activation (SD_LISTEN_FDS_START). */
#define PX_SD_FD0 3

int pl_sock_inherited_conn(pl_sock **out)
{
    if (out == NULL)
        return PL_EINVAL;
    *out = NULL;
    /* systemd Accept=yes: one connected socket at descriptor 3.  The
     * variables stay for pl_sock_inherited_listeners otherwise. */
    if (px_listen_fds(0) == 1 && px_is_stream(PX_SD_FD0, 0)) {
        (void)px_listen_fds(1);
        return px_sock_wrap(PX_SD_FD0, out);
    }
    /* inetd, xinetd, or systemd with StandardInput=socket. */
    if (px_is_stream(0, 0))
        return px_sock_wrap(0, out);
    return PL_ENOENT;
}

int pl_sock_inherited_listeners(pl_sock **out, int max, int *n)
{
    int count, i, got = 0;

    if (n == NULL)
        return PL_EINVAL;
    *n = 0;
    if (out == NULL || max < 0)
        return PL_EINVAL;
    count = px_listen_fds(1);
    for (i = 0; i < count && got < max; i++) {
        int fd = PX_SD_FD0 + i;

        if (!px_is_stream(fd, 1))
            continue;   /* datagram or FIFO units are not ours */
        if (px_sock_wrap(fd, &out[got]) == PL_OK)
            got++;
    }
    *n = got;
    return PL_OK;
}
