/*
 * px_log.c - the log sink on POSIX: syslog (LOG_MAIL, LOG_AUTHPRIV for
 * authentication), standard error, and an optional append-only file.
 *
 * Each line reaches stderr and the file in one write() of a whole
 * formatted line, so lines from concurrent threads and processes never
 * interleave (O_APPEND makes the file shared between processes).  Until
 * pl_log_open is called, lines go to standard error so nothing is lost.
 * Limits: the ident is cut to 63 characters; lines longer than the stack
 * buffer are formatted in a heap buffer, and cut if that fails.
 * Privilege: none; the log file is opened with the process's rights.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "px_int.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
#ifndef LOG_AUTHPRIV
#define LOG_AUTHPRIV LOG_AUTH   /* systems without a private auth facility */
#endif

#define PX_LOG_IDENT_MAX 64
#define PX_LOG_BUF 1024

static pthread_mutex_t px_log_mu = PTHREAD_MUTEX_INITIALIZER;
/* openlog keeps the pointer: the ident must outlive every syslog call. */
static char px_log_ident[PX_LOG_IDENT_MAX] = "newmail";
static int px_log_dest = PL_LOGTO_STDERR;
static int px_log_fd = -1;
static int px_log_syslog_open;

static const char *const px_log_names[] = {
    "error", "warn", "notice", "info", "debug"
};
static const int px_log_prio[] = {
    LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG
};

int pl_log_open(const char *ident, int dest, const char *file_spec)
{
    int fd = -1;

    if (ident == NULL || ident[0] == '\0' ||
        (dest & ~(PL_LOGTO_SYSTEM | PL_LOGTO_STDERR)) != 0)
        return PL_EINVAL;
    if (file_spec != NULL && file_spec[0] != '\0') {
        fd = open(file_spec, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return px_fail(errno);
    }
    pthread_mutex_lock(&px_log_mu);
    if (px_log_syslog_open) {
        closelog();
        px_log_syslog_open = 0;
    }
    strncpy(px_log_ident, ident, sizeof px_log_ident - 1);
    px_log_ident[sizeof px_log_ident - 1] = '\0';
    if (dest & PL_LOGTO_SYSTEM) {
        openlog(px_log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
        px_log_syslog_open = 1;
    }
    px_log_dest = dest;
    if (px_log_fd >= 0)
        close(px_log_fd);
    px_log_fd = fd;
    pthread_mutex_unlock(&px_log_mu);
    return PL_OK;
}

/* Write the whole of buf to fd: one write() in practice; the loop only
 * covers a signal or a short write to a pipe. */
static void px_log_write(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, buf, n);

        if (k < 0) {
            if (errno == EINTR)
                continue;
            return;   /* nowhere left to report a logging failure */
        }
        buf += k;
        n -= (size_t)k;
    }
}

/* "YYYY-MM-DDTHH:MM:SSZ ident[pid] level: line\n" to stderr and/or the
 * file.  Call with px_log_mu held. */
static void px_log_plain(const char *level, const char *line, int to_stderr)
{
    char stack[PX_LOG_BUF];
    char *buf = stack;
    size_t need;
    int k;
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];

    if (!to_stderr && px_log_fd < 0)
        return;
    if (gmtime_r(&now, &tm) == NULL ||
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        strcpy(stamp, "0000-00-00T00:00:00Z");
    need = strlen(stamp) + strlen(px_log_ident) + strlen(level) +
           strlen(line) + 32;
    if (need > sizeof stack) {
        buf = (char *)malloc(need);
        if (buf == NULL) {
            buf = stack;
            need = sizeof stack;
        }
    }
    k = snprintf(buf, need, "%s %s[%lu] %s: %s\n", stamp, px_log_ident,
                 (unsigned long)getpid(), level, line);
    if (k > 0) {
        size_t len = (size_t)k < need ? (size_t)k : need - 1;

        if (len > 0 && buf[len - 1] != '\n')
            buf[len - 1] = '\n';   /* a cut line still ends */
        if (to_stderr)
            px_log_write(2, buf, len);
        if (px_log_fd >= 0)
            px_log_write(px_log_fd, buf, len);
    }
    if (buf != stack)
        free(buf);
}

void pl_log_line(int level, int category, const char *line)
{
    int prio;

    if (line == NULL)
        return;
    if (level < PL_LOG_ERROR)
        level = PL_LOG_ERROR;
    if (level > PL_LOG_DEBUG)
        level = PL_LOG_DEBUG;
    prio = px_log_prio[level] |
           (category == PL_LOGCAT_AUTH ? LOG_AUTHPRIV : LOG_MAIL);
    pthread_mutex_lock(&px_log_mu);
    if (px_log_dest & PL_LOGTO_SYSTEM)
        syslog(prio, "%s", line);
    px_log_plain(px_log_names[level], line,
                 (px_log_dest & PL_LOGTO_STDERR) != 0);
    pthread_mutex_unlock(&px_log_mu);
}

void pl_log_operator(const char *line)
{
    if (line == NULL)
        return;
    pthread_mutex_lock(&px_log_mu);
    if (px_log_dest & PL_LOGTO_SYSTEM)
        syslog(LOG_CRIT | LOG_MAIL, "%s", line);
    px_log_plain("crit", line, (px_log_dest & PL_LOGTO_STDERR) != 0);
    pthread_mutex_unlock(&px_log_mu);
}
