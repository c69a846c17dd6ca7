/*
 * px_proc.c - process start-up, identity of the host, signals turned into
 * events, and reading a secret from the terminal, on POSIX.
 *
 * Signal handlers only set volatile sig_atomic_t flags; the core polls
 * them with pl_events_take.  A termination request also sets a sticky
 * shutdown flag that pl_sleep_ms and pl_sock_accept watch.
 * Limits: host names up to PL_HOST_MAX; no DNS is ever consulted (a mail
 * server must start without a resolver).  Privilege: none.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "px_int.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

static volatile sig_atomic_t px_ev_term;
static volatile sig_atomic_t px_ev_reload;
static volatile sig_atomic_t px_ev_shutdown;

int pl_init(void)
{
    struct sigaction sa;
    int fd;

    /* A peer that closes must give EPIPE, not kill the server. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, NULL) != 0)
        return px_fail(errno);
    /* Everything we create is owner-only unless we say otherwise. */
    (void)umask(077);
    /* A closed 0, 1 or 2 would be reused by the next open(), and stray
     * diagnostics would land in a mailbox or lock file. */
    for (fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            int n = open("/dev/null", O_RDWR);

            if (n < 0)
                return px_fail(errno);
            if (n != fd) {
                (void)dup2(n, fd);
                close(n);
            }
        }
    }
    tzset();
    return px_err_init();
}

pl_u32 pl_pid(void)
{
    return (pl_u32)getpid();
}

int pl_hostname(char *buf, size_t n)
{
    char name[PL_HOST_MAX + 1];
    size_t len;

    if (buf == NULL || n == 0)
        return PL_EINVAL;
    if (gethostname(name, sizeof name) != 0)
        return px_fail(errno);
    name[sizeof name - 1] = '\0';   /* POSIX leaves a cut name unended */
    len = strlen(name);
    if (len + 1 > n)
        return PL_ERANGE;
    memcpy(buf, name, len + 1);
    return PL_OK;
}

int px_shutdown_pending(void)
{
    return px_ev_shutdown != 0;
}

static void px_on_signal(int sig)
{
    if (sig == SIGHUP) {
        px_ev_reload = 1;
    } else {
        px_ev_term = 1;
        px_ev_shutdown = 1;
    }
}

int pl_events_install(void)
{
    static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
    struct sigaction sa;
    size_t i;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = px_on_signal;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&sa.sa_mask, sigs[i]);
    /* No SA_RESTART: a blocking call in the main thread returns EINTR and
     * the main loop looks at the events. */
    sa.sa_flags = 0;
    for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL) != 0)
            return px_fail(errno);
    return PL_OK;
}

int pl_events_take(void)
{
    int ev = 0;

    /* Clear after reading: a signal between the two is merged into the
     * event being reported, never lost. */
    if (px_ev_term) {
        px_ev_term = 0;
        ev |= PL_EVENT_TERM;
    }
    if (px_ev_reload) {
        px_ev_reload = 0;
        ev |= PL_EVENT_RELOAD;
    }
    return ev;
}

/* Read one line from fd into buf (at most n-1 characters and the NUL),
 * consuming the rest of an overlong line.  PL_ERANGE if it did not fit. */
static int px_tty_line(int fd, char *buf, size_t n)
{
    size_t len = 0;
    int over = 0;

    for (;;) {
        char c;
        ssize_t k = read(fd, &c, 1);

        if (k < 0) {
            if (errno == EINTR)
                continue;
            px_wipe(buf, n);
            return px_fail(errno);
        }
        if (k == 0 || c == '\n')
            break;
        if (c == '\r')
            continue;
        if (len + 1 < n)
            buf[len++] = c;
        else
            over = 1;
    }
    buf[len] = '\0';
    if (over) {
        px_wipe(buf, n);
        return PL_ERANGE;
    }
    return PL_OK;
}

int pl_tty_read_secret(const char *prompt, char *buf, size_t n)
{
    struct termios old, quiet;
    sigset_t block, saved;
    int fd, own = 0, rc, rc2;

    if (buf == NULL || n == 0)
        return PL_EINVAL;
    buf[0] = '\0';
    if (!isatty(0)) {
        (void)px_fail(ENOTTY);
        return PL_ENOTSUP;
    }
    fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd >= 0)
        own = 1;
    else
        fd = 0;
    if (tcgetattr(fd, &old) != 0) {
        rc = px_fail(errno);
        if (own)
            close(fd);
        return rc;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;   /* the user still sees the line end */
    /* Hold back signals that would stop or end us while echo is off, so
     * the terminal is always restored; they are delivered afterwards. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGTSTP);
    (void)pthread_sigmask(SIG_BLOCK, &block, &saved);
    if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
        rc = px_fail(errno);
    } else {
        if (prompt != NULL && prompt[0] != '\0') {
            ssize_t k = write(own ? fd : 2, prompt, strlen(prompt));

            (void)k;   /* a lost prompt does not stop the read */
        }
        rc = px_tty_line(fd, buf, n);
    }
    rc2 = tcsetattr(fd, TCSAFLUSH, &old);
    (void)pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (own)
        close(fd);
    if (rc == PL_OK && rc2 != 0) {
        px_wipe(buf, n);
        rc = px_fail(errno);
    }
    return rc;
}
