/*
 * t_ctl.c - unit tests of the local control channel: the POSIX layer's
 * pl_ctl_listen / pl_ctl_connect / pl_ctl_peer_ok (round trip, mode 0600,
 * a stale socket replaced, a live one and a foreign file left alone,
 * hostile names refused, another user refused), and the request side of
 * src/srv/sv_ctl.c (the parser table, the bounded line reader).
 *
 * Limits: the other-user case needs root (it forks a child that becomes
 * nobody) and skips itself otherwise.  Socket paths stay short because
 * sockaddr_un holds about 100 bytes.
 * Privilege: runs as any user; as root it also checks the refusal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "t_util.h"
#include "sv_ctl.h"
#include "ut_log.h"

#define T_CTL_MS 5000

/* A fresh scratch directory opened as a pl_dir; its path in path. */
static pl_dir *t_ctl_dir(const char *name, char *path, size_t n)
{
    const char *p = t_scratch_dir(name);
    pl_dir *d = NULL;

    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    snprintf(path, n, "%s", p);
    CU_ASSERT_EQUAL_FATAL(pl_dir_open_root(path, 0, &d), PL_OK);
    return d;
}

/* Accept one connection on ls within the test's bound. */
static pl_sock *t_ctl_accept(pl_sock *ls)
{
    pl_sock *c = NULL;
    int which = -1;

    CU_ASSERT_EQUAL(pl_sock_accept(&ls, 1, T_CTL_MS, &c, &which), PL_OK);
    CU_ASSERT_EQUAL(which, 0);
    return c;
}

static void t_ctl_roundtrip(void)
{
    char path[512], sp[600], buf[16];
    pl_dir *d = t_ctl_dir("ctl_rt", path, sizeof path);
    pl_sock *ls = NULL, *cl = NULL, *sv;
    struct stat st;
    size_t got = 0;

    CU_ASSERT_EQUAL_FATAL(pl_ctl_listen(d, "NEWMAIL", &ls), PL_OK);
    snprintf(sp, sizeof sp, "%s/NEWMAIL", path);
    CU_ASSERT_EQUAL_FATAL(lstat(sp, &st), 0);
    CU_ASSERT(S_ISSOCK(st.st_mode));
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
    CU_ASSERT_EQUAL(st.st_uid, geteuid());
    CU_ASSERT_EQUAL_FATAL(pl_ctl_connect(d, "NEWMAIL", T_CTL_MS, &cl),
                          PL_OK);
    sv = t_ctl_accept(ls);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sv);
    CU_ASSERT_EQUAL(pl_ctl_peer_ok(sv), PL_OK);
    CU_ASSERT_EQUAL(pl_sock_write(cl, "PING\n", 5, T_CTL_MS), PL_OK);
    CU_ASSERT_EQUAL(pl_sock_read(sv, buf, sizeof buf, T_CTL_MS, &got),
                    PL_OK);
    CU_ASSERT(got == 5 && memcmp(buf, "PING\n", 5) == 0);
    /* A second server on the same channel: refused, the first untouched. */
    {
        pl_sock *ls2 = NULL;

        CU_ASSERT_EQUAL(pl_ctl_listen(d, "NEWMAIL", &ls2), PL_EADDRINUSE);
        CU_ASSERT_PTR_NULL(ls2);
        CU_ASSERT_EQUAL(lstat(sp, &st), 0);
    }
    pl_sock_close(sv);
    pl_sock_close(cl);
    pl_sock_close(ls);
    CU_ASSERT_EQUAL(pl_ctl_peer_ok(NULL), PL_EINVAL);
    pl_dir_close(d);
}

static void t_ctl_stale(void)
{
    char path[512], sp[600];
    pl_dir *d = t_ctl_dir("ctl_stale", path, sizeof path);
    pl_sock *ls = NULL, *cl = NULL, *sv;
    struct sockaddr_un sa;
    struct stat st;
    int fd;
    FILE *fp;

    /* Nobody there at all. */
    CU_ASSERT_EQUAL(pl_ctl_connect(d, "NEWMAIL", T_CTL_MS, &cl), PL_ENOENT);
    CU_ASSERT_PTR_NULL(cl);
    /* A socket file left by a dead server: connect refused, listen
     * replaces it. */
    snprintf(sp, sizeof sp, "%s/NEWMAIL", path);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    CU_ASSERT_FATAL(strlen(sp) < sizeof sa.sun_path);
    memcpy(sa.sun_path, sp, strlen(sp) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
    CU_ASSERT_EQUAL(pl_ctl_connect(d, "NEWMAIL", T_CTL_MS, &cl),
                    PL_ECONNREFUSED);
    CU_ASSERT_EQUAL_FATAL(pl_ctl_listen(d, "NEWMAIL", &ls), PL_OK);
    CU_ASSERT_EQUAL(pl_ctl_connect(d, "NEWMAIL", T_CTL_MS, &cl), PL_OK);
    sv = t_ctl_accept(ls);
    CU_ASSERT_EQUAL(pl_ctl_peer_ok(sv), PL_OK);
    pl_sock_close(sv);
    pl_sock_close(cl);
    pl_sock_close(ls);
    /* A file that is not a socket is not ours to remove. */
    snprintf(sp, sizeof sp, "%s/OTHER", path);
    fp = fopen(sp, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fputs("keep me\n", fp);
    fclose(fp);
    ls = NULL;
    CU_ASSERT_EQUAL(pl_ctl_listen(d, "OTHER", &ls), PL_EEXIST);
    CU_ASSERT_PTR_NULL(ls);
    CU_ASSERT(lstat(sp, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 8);
    pl_dir_close(d);
}

static void t_ctl_names(void)
{
    static const char *const bad[] = {
        "", "../NEWMAIL", "A/B", "NEWMAIL.SOCK", ".", "..", "new mail",
        "NEW-MAIL", "A123456789012345678901234567890123456789"
    };
    char path[512];
    pl_dir *d = t_ctl_dir("ctl_names", path, sizeof path);
    pl_sock *s = NULL;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s = NULL;
        CU_ASSERT_EQUAL(pl_ctl_listen(d, bad[i], &s), PL_EINVAL);
        CU_ASSERT_PTR_NULL(s);
        CU_ASSERT_EQUAL(pl_ctl_connect(d, bad[i], T_CTL_MS, &s), PL_EINVAL);
        CU_ASSERT_PTR_NULL(s);
    }
    CU_ASSERT_EQUAL(pl_ctl_listen(d, NULL, &s), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_ctl_listen(NULL, "NEWMAIL", &s), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_ctl_listen(d, "NEWMAIL", NULL), PL_EINVAL);
    CU_ASSERT_EQUAL(pl_ctl_connect(d, "NEWMAIL", -5, &s), PL_EINVAL);
    /* Nothing was created by any of them. */
    {
        char sp[600];
        struct stat st;

        snprintf(sp, sizeof sp, "%s/NEWMAIL", path);
        CU_ASSERT_EQUAL(lstat(sp, &st), -1);
    }
    pl_dir_close(d);
}

/* As root: a child that becomes nobody connects through a socket opened
 * up on purpose; the peer check must still refuse it. */
static void t_ctl_other_user(void)
{
    char path[] = "/tmp/t_ctl.XXXXXX", sp[64];
    pl_dir *d = NULL;
    pl_sock *ls = NULL, *sv;
    pid_t pid;
    int status = 0;

    if (geteuid() != 0) {
        printf("\n  (skipped: the other-user refusal needs root) ");
        return;
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(path));
    CU_ASSERT_EQUAL_FATAL(chmod(path, 0777), 0);
    CU_ASSERT_EQUAL_FATAL(pl_dir_open_root(path, 0, &d), PL_OK);
    CU_ASSERT_EQUAL_FATAL(pl_ctl_listen(d, "NEWMAIL", &ls), PL_OK);
    snprintf(sp, sizeof sp, "%s/NEWMAIL", path);
    CU_ASSERT_EQUAL_FATAL(chmod(sp, 0666), 0);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        pl_sock *c = NULL;
        char b[8];
        size_t got;

        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(2);
        if (pl_ctl_connect(d, "NEWMAIL", T_CTL_MS, &c) != PL_OK)
            _exit(3);
        /* Wait for the parent's verdict (it closes the connection). */
        (void)pl_sock_read(c, b, sizeof b, T_CTL_MS, &got);
        _exit(0);
    }
    sv = t_ctl_accept(ls);
    CU_ASSERT_PTR_NOT_NULL(sv);
    if (sv != NULL)
        CU_ASSERT_EQUAL(pl_ctl_peer_ok(sv), PL_EACCES);
    pl_sock_close(sv);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    pl_sock_close(ls);
    pl_dir_close(d);
    (void)unlink(sp);
    (void)rmdir(path);
}

/* The request parser: what is accepted, and everything else. */
static void t_ctl_parse(void)
{
    static const struct {
        const char *line;
        int rc, verb, level;
    } cases[] = {
        { "STATS", PL_OK, SV_CTL_STATS, -1 },
        { "stats", PL_OK, SV_CTL_STATS, -1 },
        { "SHUTDOWN", PL_OK, SV_CTL_SHUTDOWN, -1 },
        { "Reload", PL_OK, SV_CTL_RELOAD, -1 },
        { "FLUSH", PL_OK, SV_CTL_FLUSH, -1 },
        { "flush", PL_OK, SV_CTL_FLUSH, -1 },
        { "FLUSH all", PL_EINVAL, 0, -1 },
        { "LOGLEVEL debug", PL_OK, SV_CTL_LOGLEVEL, PL_LOG_DEBUG },
        { "loglevel ERROR", PL_OK, SV_CTL_LOGLEVEL, PL_LOG_ERROR },
        { "LOGLEVEL warning", PL_OK, SV_CTL_LOGLEVEL, PL_LOG_WARN },
        { "", PL_EINVAL, 0, -1 },
        { " STATS", PL_EINVAL, 0, -1 },
        { "STATS ", PL_EINVAL, 0, -1 },
        { "STATS now", PL_EINVAL, 0, -1 },
        { "STAT", PL_EINVAL, 0, -1 },
        { "STATSX", PL_EINVAL, 0, -1 },
        { "XTND STATS", PL_EINVAL, 0, -1 },
        { "SHUTDOWN now", PL_EINVAL, 0, -1 },
        { "LOGLEVEL", PL_EINVAL, 0, -1 },
        { "LOGLEVEL ", PL_EINVAL, 0, -1 },
        { "LOGLEVEL  debug", PL_EINVAL, 0, -1 },
        { "LOGLEVEL debug ", PL_EINVAL, 0, -1 },
        { "LOGLEVEL loud", PL_EINVAL, 0, -1 },
        { "LOGLEVEL debug info", PL_EINVAL, 0, -1 },
        { "LOGLEVEL 4", PL_EINVAL, 0, -1 },
        { "LOGLEVEL debugdebugdebugdebug", PL_EINVAL, 0, -1 },
        { "SHUTDOWNSHUTDOWNSHUTDOWN", PL_EINVAL, 0, -1 },
        { "QUIT", PL_EINVAL, 0, -1 }
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int verb = 99, level = 99;
        int rc = sv_ctl_parse(cases[i].line, strlen(cases[i].line), &verb,
                              &level);

        if (rc != cases[i].rc)
            printf("\n  parse \"%s\": %d\n", cases[i].line, rc);
        CU_ASSERT_EQUAL(rc, cases[i].rc);
        if (cases[i].rc == PL_OK) {
            CU_ASSERT_EQUAL(verb, cases[i].verb);
            if (cases[i].verb == SV_CTL_LOGLEVEL)
                CU_ASSERT_EQUAL(level, cases[i].level);
        }
    }
    /* A NUL inside the line, and the length is what counts. */
    {
        int verb, level;

        CU_ASSERT_EQUAL(sv_ctl_parse("STATS\0X", 7, &verb, &level),
                        PL_EINVAL);
        CU_ASSERT_EQUAL(sv_ctl_parse("STATSXYZ", 5, &verb, &level), PL_OK);
        CU_ASSERT_EQUAL(verb, SV_CTL_STATS);
        CU_ASSERT_EQUAL(sv_ctl_parse(NULL, 0, &verb, &level), PL_EINVAL);
    }
}

/* The bounded line reader over a real control connection: endings, the
 * length bound, the timeout, a peer that leaves. */
static void t_ctl_read_line(void)
{
    static const struct {
        const char *sent;
        int rc;
        const char *line;
    } cases[] = {
        { "STATS\r\n", PL_OK, "STATS" },
        { "RELOAD\n", PL_OK, "RELOAD" },
        { "\r\n", PL_OK, "" },
        { "A\rB\r\n", PL_OK, "A\rB" },
        { "LOGLEVEL debug\r\nEXTRA\r\n", PL_OK, "LOGLEVEL debug" },
        { "0123456789012345678901234567890123456789"
          "0123456789012345678901234567890123456789\r\n", PL_ERANGE, NULL },
        { "NO LINE END", PL_EOF, NULL },
        { "", PL_EOF, NULL }
    };
    char path[512], buf[SV_CTL_LINE_MAX + 1];
    pl_dir *d = t_ctl_dir("ctl_line", path, sizeof path);
    pl_sock *ls = NULL;
    size_t i;

    CU_ASSERT_EQUAL_FATAL(pl_ctl_listen(d, "NEWMAIL", &ls), PL_OK);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pl_sock *cl = NULL, *sv;
        int rc;

        CU_ASSERT_EQUAL_FATAL(pl_ctl_connect(d, "NEWMAIL", T_CTL_MS, &cl),
                              PL_OK);
        sv = t_ctl_accept(ls);
        CU_ASSERT_PTR_NOT_NULL_FATAL(sv);
        CU_ASSERT_EQUAL(pl_sock_write(cl, cases[i].sent,
                                      strlen(cases[i].sent), T_CTL_MS),
                        PL_OK);
        pl_sock_close(cl);   /* the peer leaves after its request */
        rc = sv_ctl_read_line(sv, buf, sizeof buf, T_CTL_MS);
        CU_ASSERT_EQUAL(rc, cases[i].rc);
        if (rc == PL_OK && cases[i].line != NULL)
            CU_ASSERT_STRING_EQUAL(buf, cases[i].line);
        pl_sock_close(sv);
    }
    /* A peer that says nothing: the bound holds. */
    {
        pl_sock *cl = NULL, *sv;
        pl_i64 t0;

        CU_ASSERT_EQUAL_FATAL(pl_ctl_connect(d, "NEWMAIL", T_CTL_MS, &cl),
                              PL_OK);
        sv = t_ctl_accept(ls);
        t0 = pl_time_mono_ms();
        CU_ASSERT_EQUAL(sv_ctl_read_line(sv, buf, sizeof buf, 200),
                        PL_ETIMEDOUT);
        CU_ASSERT(pl_time_mono_ms() - t0 < 2000);
        CU_ASSERT_EQUAL(sv_ctl_read_line(sv, buf, 1, 200), PL_EINVAL);
        pl_sock_close(sv);
        pl_sock_close(cl);
    }
    pl_sock_close(ls);
    pl_dir_close(d);
}

static const struct {
    const char *name;
    void (*fn)(void);
} t_ctl_cases[] = {
    { "listen, connect, peer check, mode 0600", t_ctl_roundtrip },
    { "stale socket replaced, foreign file kept", t_ctl_stale },
    { "hostile names refused", t_ctl_names },
    { "another user refused (root only)", t_ctl_other_user },
    { "request parser", t_ctl_parse },
    { "bounded request line", t_ctl_read_line }
};

int t_ctl_register(void)
{
    CU_pSuite s;
    size_t i;

    s = CU_add_suite("ctl", NULL, NULL);
    if (s == NULL)
        return -1;
    for (i = 0; i < sizeof t_ctl_cases / sizeof t_ctl_cases[0]; i++)
        if (CU_add_test(s, t_ctl_cases[i].name, t_ctl_cases[i].fn) == NULL)
            return -1;
    return 0;
}
