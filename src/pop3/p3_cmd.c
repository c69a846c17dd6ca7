/*
 * p3_cmd.c - the POP3 command table and the command-line parser (BSD
 * popper's state table with argument counts, Postfix's per-command flags).
 *
 * Every policy a command shares lives in its row: the states where it is
 * allowed, its argument counts and how arguments are read.  The parser
 * splits on spaces; an argument is at most UT_POP3_ARG_MAX characters
 * (RFC 1939 3) except where a flag says otherwise; a keyword is at most
 * 4 letters plus CAPA/STLS/APOP/UIDL (all 4), so anything longer is
 * unknown.  The caller has already refused lines with NUL or bare CR.
 * Privilege: that of the session.
 */
#include <string.h>
#include "p3_int.h"
#include "ut_str.h"

#define A P3_S_AUTH
#define T P3_S_TRANS

static const p3_cmd p3_cmds[] = {
    /* name    states  min max flags       handler */
    { "USER",  A,      1,  1,  P3_C_PLAIN, p3_do_user },
    /* RFC 1939 7 lets a password contain spaces: the rest of the line. */
    { "PASS",  A,      1,  1,  P3_C_REST,  p3_do_pass },
    { "APOP",  A,      2,  2,  0,          p3_do_apop },
    /* The initial response (RFC 5034) is base64 of any length the line
     * allows; no argument lists the mechanisms (pre-RFC clients). */
    { "AUTH",  A,      0,  2,  P3_C_LONG,  p3_do_auth },
    { "STLS",  A,      0,  0,  0,          p3_do_stls },
    { "CAPA",  A | T,  0,  0,  0,          p3_do_capa },
    { "QUIT",  A | T,  0,  0,  0,          p3_do_quit },
    { "NOOP",  T,      0,  0,  0,          p3_do_noop },
    { "STAT",  T,      0,  0,  0,          p3_do_stat },
    { "LIST",  T,      0,  1,  0,          p3_do_list },
    { "RETR",  T,      1,  1,  0,          p3_do_retr },
    { "TOP",   T,      2,  2,  0,          p3_do_top },
    { "DELE",  T,      1,  1,  0,          p3_do_dele },
    { "RSET",  T,      0,  0,  0,          p3_do_rset },
    { "UIDL",  T,      0,  1,  0,          p3_do_uidl }
};

#undef A
#undef T

const p3_cmd *p3_cmd_find(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof p3_cmds / sizeof p3_cmds[0]; i++) {
        if (ut_strcaseeq(p3_cmds[i].name, name))
            return &p3_cmds[i];
    }
    return NULL;
}

/* The trace shows what was asked, never a secret: it is taken from the
 * line before splitting, cut after the keyword of PASS and after the
 * second word of APOP and AUTH, with " ****" in place of the rest. */
static void p3_trace_cmd(p3_sess *s, const p3_cmd *cmd, const char *line,
                         size_t len)
{
    char buf[UT_POP3_CMD_MAX + 8];
    size_t keep = len, i;
    int words = 0, cut = 0;

    if (!s->trace)
        return;
    if (cmd != NULL && ut_strcaseeq(cmd->name, "PASS"))
        cut = 1;
    else if (cmd != NULL && (ut_strcaseeq(cmd->name, "APOP") ||
                             ut_strcaseeq(cmd->name, "AUTH")))
        cut = 2;
    for (i = 0; cut > 0 && i < len; i++) {
        if (line[i] != ' ' && (i == 0 || line[i - 1] == ' '))
            words++;
        if (words > cut) {
            keep = i;
            break;
        }
    }
    if (keep > UT_POP3_CMD_MAX)
        keep = UT_POP3_CMD_MAX;
    memcpy(buf, line, keep);
    buf[keep] = '\0';
    if (keep < len)
        ut_strlcat(buf, "****", sizeof buf);
    p3_trace_in(s, buf);
}

int p3_cmd_run(p3_sess *s, char *line, size_t len)
{
    char *argv[P3_ARGS_MAX];
    char name[8];
    const p3_cmd *cmd;
    char *p = line;
    char *end = line + len;
    size_t klen, alen;
    int argc = 0, i, too_long = 0;

    /* The keyword: up to the first space. */
    while (p < end && *p != ' ')
        p++;
    klen = (size_t)(p - line);
    cmd = NULL;
    if (klen > 0 && klen < sizeof name) {
        memcpy(name, line, klen);
        name[klen] = '\0';
        cmd = p3_cmd_find(name);
    }
    p3_trace_cmd(s, cmd, line, len);
    /* Arguments: runs of spaces separate them (popa3d is as lenient). */
    while (p < end) {
        while (p < end && *p == ' ')
            *p++ = '\0';
        if (p >= end)
            break;
        if (argc == P3_ARGS_MAX) {
            argc++;   /* too many: a syntax error below */
            break;
        }
        argv[argc++] = p;
        if (cmd != NULL && (cmd->flags & P3_C_REST) != 0) {
            p = end;   /* everything up to the line end, spaces kept */
            break;
        }
        while (p < end && *p != ' ')
            p++;
    }
    if (p < end)
        *p = '\0';

    if (cmd == NULL)
        return p3_reply(s, "-ERR Unknown command") == PL_OK ? P3_R_BAD
                                                          : PL_EIO;
    if ((cmd->states & s->state) == 0)
        return p3_reply(s, "-ERR Command not valid in this state")
               == PL_OK ? P3_R_BAD : PL_EIO;
    if (argc < cmd->min_args || argc > cmd->max_args)
        return p3_reply(s, "-ERR Syntax error") == PL_OK ? P3_R_BAD
                                                       : PL_EIO;
    for (i = 0; i < argc; i++) {
        alen = strlen(argv[i]);
        if ((cmd->flags & P3_C_REST) != 0)
            continue;   /* bounded by the line limit */
        if ((cmd->flags & P3_C_LONG) != 0 && i > 0)
            continue;
        if (alen > UT_POP3_ARG_MAX)
            too_long = 1;
    }
    if (too_long)
        return p3_reply(s, "-ERR Argument too long") == PL_OK ? P3_R_BAD
                                                            : PL_EIO;
    /* RFC 2595 and DESIGN: no password in clear unless configured (AUTH
     * checks per mechanism; PASS needs a USER that passed this). */
    if ((cmd->flags & P3_C_PLAIN) != 0 && !p3_plain_ok(s))
        return p3_reply(s, "-ERR [AUTH] Plaintext authentication is not "
                        "allowed without TLS") == PL_OK ? P3_R_OK : PL_EIO;
    return cmd->fn(s, argc, argv);
}
