/*
 * vms_proc.c - process start-up, host identity, shutdown/reload events and
 * the no-echo password prompt on OpenVMS.
 * Services: the C RTL signal() for SIGTERM/SIGINT/SIGHUP (the C RTL turns
 * Ctrl/C and kill() into signals), getpid() (the OpenVMS PID),
 * gethostname() plus the TCP/IP Services logicals TCPIP$INET_HOST and
 * TCPIP$INET_DOMAIN for the fully qualified name; $ASSIGN of SYS$COMMAND
 * and $QIOW IO$_READPROMPT|IO$M_NOECHO for the secret prompt, because the
 * terminal driver, not the C RTL, knows how to read without echo.
 * Limits: STOP/ID and $DELPRC cannot be caught; a $FORCEX runs exit
 * handlers only.  Graceful shutdown from DCL is the newmail control
 * command, or a C RTL kill() from another image.  Secrets of at most
 * n - 1 characters; longer input is cut.
 * Privilege: none.
 */
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include <starlet.h>
#include <descrip.h>
#include <iodef.h>
#include <iosbdef.h>
#include <psldef.h>
#include <ssdef.h>

#include "vms_int.h"

static volatile sig_atomic_t vms_ev_term;
static volatile sig_atomic_t vms_ev_reload;

int pl_init(void)
{
    /* The C RTL features (vms_init.c) are normally set already. */
    (void)vms_init_features();
    /* A peer that closes early must give EPIPE, not end the image. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        return vms_fail_errno();
    return PL_OK;
}

pl_u32 pl_pid(void)
{
    return (pl_u32)getpid();
}

int pl_hostname(char *buf, size_t n)
{
    char host[PL_HOST_MAX + 1], dom[PL_HOST_MAX + 1];
    size_t hl, dl;

    if (buf == NULL || n == 0)
        return PL_EINVAL;
    /* TCPIP$INET_HOST/DOMAIN are what TCPIP$CONFIG set; gethostname()
     * is the fallback (it may give the SCS node name only). */
    if (vms_trnlnm("LNM$FILE_DEV", "TCPIP$INET_HOST", PSL$C_EXEC, host,
                   sizeof host) != PL_OK) {
        if (gethostname(host, sizeof host) != 0)
            return vms_fail_errno();
        host[sizeof host - 1] = '\0';
    }
    hl = strlen(host);
    if (strchr(host, '.') == NULL &&
        vms_trnlnm("LNM$FILE_DEV", "TCPIP$INET_DOMAIN", PSL$C_EXEC, dom,
                   sizeof dom) == PL_OK && dom[0] != '\0') {
        dl = strlen(dom);
        if (hl + 1 + dl <= PL_HOST_MAX) {
            host[hl] = '.';
            memcpy(host + hl + 1, dom, dl + 1);
            hl += 1 + dl;
        }
    }
    if (hl + 1 > n)
        return PL_ERANGE;
    memcpy(buf, host, hl + 1);
    return PL_OK;
}

/* Signal handlers only set flags (async-signal-safe). */
static void vms_on_term(int sig)
{
    (void)sig;
    vms_ev_term = 1;
}

static void vms_on_reload(int sig)
{
    (void)sig;
    vms_ev_reload = 1;
}

int pl_events_install(void)
{
    if (signal(SIGTERM, vms_on_term) == SIG_ERR ||
        signal(SIGINT, vms_on_term) == SIG_ERR ||
        signal(SIGHUP, vms_on_reload) == SIG_ERR)
        return vms_fail_errno();
    return PL_OK;
}

int pl_events_take(void)
{
    int ev = 0;

    if (vms_ev_term) {
        vms_ev_term = 0;
        ev |= PL_EVENT_TERM;
    }
    if (vms_ev_reload) {
        vms_ev_reload = 0;
        ev |= PL_EVENT_RELOAD;
    }
    return ev;
}

int vms_term_pending(void)
{
    return vms_ev_term != 0;
}

int pl_tty_read_secret(const char *prompt, char *buf, size_t n)
{
    struct dsc$descriptor_s dev;
    unsigned short chan = 0;
    struct _iosb iosb;
    unsigned int s;
    size_t len, pl;

    if (prompt == NULL || buf == NULL || n < 2)
        return PL_EINVAL;
    if (!isatty(0))
        return PL_ENOTSUP;
    vms_desc(&dev, "SYS$COMMAND", 11);
    s = sys$assign(&dev, &chan, PSL$C_USER, NULL);
    if (!(s & 1))
        return vms_fail(s);
    pl = strlen(prompt);
    if (n - 1 > 65535)
        n = 65536;
    /* P1/P2 the input buffer, P5/P6 the prompt written first. */
    s = sys$qiow(0, chan, IO$_READPROMPT | IO$M_NOECHO, &iosb, NULL, 0,
                 buf, (__int64)(n - 1), 0, 0,
                 (__int64)(size_t)prompt, (__int64)pl);
    if (s & 1)
        s = iosb.iosb$w_status;
    (void)sys$dassgn(chan);
    fputs("\n", stderr);   /* the terminator was not echoed */
    if (!(s & 1)) {
        memset(buf, 0, n);
        return vms_fail(s);
    }
    len = iosb.iosb$w_bcnt;   /* the terminator is not counted */
    if (len > n - 1)
        len = n - 1;
    buf[len] = '\0';
    return PL_OK;
}
