/*
 * p3_int.h - what the files of the POP3 engine share: the session state,
 * the command table entry, the reply helpers.  Not for other modules.
 *
 * Limits: a command line is UT_POP3_CMD_MAX octets with CRLF, an argument
 * UT_POP3_ARG_MAX characters (PASS and the AUTH initial response take the
 * line limit instead), an AUTH exchange line P3_AUTH_LINE_MAX.
 * Privilege: that of p3_session's caller.
 */
#ifndef P3_INT_H
#define P3_INT_H

#include "p3.h"
#include "lr_read.h"
#include "ut_params.h"

/* RFC 5034 4 sets no bound on a client's SASL response; the SMTP bound of
 * RFC 4954 (12288) fits every mechanism we offer with room to spare. */
#define P3_AUTH_LINE_MAX UT_SMTP_AUTH_LINE_MAX
/* Arguments on one line: TOP has the most (2); more are a syntax error. */
#define P3_ARGS_MAX 4
/* "<pid.clock.random@host>" with a host name of at most 64 octets. */
#define P3_STAMP_MAX 128
#define P3_HOST_MAX 64
/* SASL exchanges longer than this are broken clients (SCRAM needs 2). */
#define P3_SASL_STEPS_MAX 8

/* States (bit masks for the command table). */
#define P3_S_AUTH  1   /* AUTHORIZATION */
#define P3_S_TRANS 2   /* TRANSACTION */

/* Handler results besides negative PL_E* codes (which end the session). */
#define P3_R_OK    0   /* reply sent; read the next command */
#define P3_R_BAD   1   /* reply sent; count a bad command */
#define P3_R_CLOSE 2   /* reply sent; close the connection (no UPDATE) */
#define P3_R_QUIT  3   /* QUIT handled; the session is over */

/* Command flags. */
#define P3_C_REST  1   /* the last argument is the rest of the line (PASS) */
#define P3_C_LONG  2   /* args after the first exempt from the 40-limit */
#define P3_C_PLAIN 4   /* sends a password in clear: p3_plain_ok first */

/* Message marks in TRANSACTION. */
#define P3_M_DELE 1
#define P3_M_RETR 2

struct p3_sess;

/* The operations of the mailbox a session serves (p3_mbox.c): a
 * popstore folder or a system account's native mailbox. */
typedef struct p3_mbops {
    /* Size (CRLF octets) and unique id of message i; uid may be NULL. */
    int (*info)(struct p3_sess *s, pl_u32 i, pl_u64 *size, char *uid,
                size_t un);
    /* Stream message i undotted: whole, or with top its header, the blank
     * line and nlines body lines. */
    int (*read)(struct p3_sess *s, pl_u32 i, int top, pl_u64 nlines,
                st_out_fn out, void *ctx);
    /* UPDATE: apply the session's marks durably. */
    int (*update)(struct p3_sess *s);
    /* Release without UPDATE. */
    void (*close)(struct p3_sess *s);
} p3_mbops;

/* A unique id: 70 characters at most (RFC 1939 7) and the NUL. */
#define P3_UID_MAX 71

typedef struct p3_sess {
    const p3_env *env;
    nt_conn *c;
    lr_reader *lr;
    int state;              /* P3_S_* */
    int tls;                /* 1 once the connection is TLS */
    char stamp[P3_STAMP_MAX];   /* APOP challenge of the greeting */
    char user[AU_ADDR_MAX];     /* USER argument awaiting PASS */
    int have_user;
    char addr[AU_ADDR_MAX];     /* the authenticated account */
    char auser[AU_USER_MAX + 1];    /* its parts */
    char adom[AU_DOMAIN_MAX + 1];
    const char *mech;           /* how it authenticated (log) */
    unsigned aflags;            /* its AU_F_* flags */
    int fails;                  /* failed logins on this connection */
    int bad;                    /* bad commands on this connection */
    const p3_mbops *ops;        /* the mailbox being served; NULL before */
    st_mbox *mb;                /* popstore */
    st_folder *f;
    pl_nmb *nmb;                /* native mailbox (system account) */
    const char *folder;         /* ST_NEWMAIL or ST_MAIL */
    int use_mail;               /* serving MAIL (pop3.use_mail_folder) */
    pl_u32 n;                   /* visible messages (message_maximum) */
    unsigned char *mark;        /* P3_M_* per visible message */
    pl_u32 n_retr, n_dele;      /* counters for the session log */
    pl_u64 b_retr;
    int trace;                  /* pop3.trace */
    pl_i32 idle_ms;             /* pop3.idle_timeout */
    const char *result;         /* how the session ended (log) */
} p3_sess;

typedef int (*p3_fn)(p3_sess *s, int argc, char **argv);

typedef struct p3_cmd {
    const char *name;
    int states;     /* P3_S_* where the command is allowed */
    int min_args;
    int max_args;
    int flags;      /* P3_C_* */
    p3_fn fn;
} p3_cmd;

/* p3_cmd.c: find a command by name (any case), NULL if unknown. */
const p3_cmd *p3_cmd_find(const char *name);

/* p3_cmd.c: parse one command line and run it; returns a P3_R_* or a
 * negative PL_E* code.  line is NUL-terminated and may be changed. */
int p3_cmd_run(p3_sess *s, char *line, size_t len);

/* p3_session.c: send one status line (text plus CRLF); traced when
 * pop3.trace is on. */
int p3_reply(p3_sess *s, const char *text);
/* "+OK <n> messages (<octets> octets)" style with numbers. */
int p3_reply_num(p3_sess *s, const char *pre, pl_u64 a, const char *mid,
                 pl_u64 b, const char *post);
/* Trace a client line as given (already redacted by the caller). */
void p3_trace_in(p3_sess *s, const char *text);

/* p3_session.c: 1 if plaintext mechanisms may be used now. */
int p3_plain_ok(const p3_sess *s);

/* p3_auth.c: USER, PASS, APOP, AUTH handlers. */
int p3_do_user(p3_sess *s, int argc, char **argv);
int p3_do_pass(p3_sess *s, int argc, char **argv);
int p3_do_apop(p3_sess *s, int argc, char **argv);
int p3_do_auth(p3_sess *s, int argc, char **argv);
/* SASL mechanisms offered now (AU_MECH_* mask). */
int p3_auth_mechs(const p3_sess *s);

/* p3_trans.c: TRANSACTION handlers and QUIT in both states. */
int p3_do_stat(p3_sess *s, int argc, char **argv);
int p3_do_list(p3_sess *s, int argc, char **argv);
int p3_do_retr(p3_sess *s, int argc, char **argv);
int p3_do_top(p3_sess *s, int argc, char **argv);
int p3_do_dele(p3_sess *s, int argc, char **argv);
int p3_do_noop(p3_sess *s, int argc, char **argv);
int p3_do_rset(p3_sess *s, int argc, char **argv);
int p3_do_uidl(p3_sess *s, int argc, char **argv);
int p3_do_quit(p3_sess *s, int argc, char **argv);
/* Open the mailbox of s->addr, take the in-use lock, select the folder
 * (USE_MAIL_FOLDER moves NEWMAIL first) and enter TRANSACTION; sends the
 * +OK or the coded -ERR itself. */
int p3_trans_open(p3_sess *s);
/* Close folder and mailbox without UPDATE (NULL-safe). */
void p3_trans_close(p3_sess *s);
/* Enter TRANSACTION on the mailbox a p3_box_* call opened with status rc
 * and count messages: [IN-USE] for PL_EAGAIN, [SYS/TEMP] for other
 * failures (the mailbox is closed then), else "+OK n messages". */
int p3_trans_enter(p3_sess *s, int rc, pl_u32 count);

/* p3_mbox.c: open the popstore mailbox s->addr, take its in-use lock and
 * select the folder (USE_MAIL_FOLDER moves NEWMAIL first). */
int p3_box_store(p3_sess *s, pl_u32 *count);
/* p3_mbox.c: open the native mailbox of system account u (the process
 * already runs as u). */
int p3_box_native(p3_sess *s, const pl_user *u, pl_u32 *count);

/* p3_native.c: results of p3_native_check. */
#define P3_NAT_NONE     0   /* not a system login: answer the failure */
#define P3_NAT_OK       1   /* right password, account usable */
#define P3_NAT_DISABLED 2   /* right password; disabled or locked */
#define P3_NAT_EXPIRED  3   /* right password; password/account expired */
#define P3_NAT_NOMAIL   4   /* right password; may not use mail */
#define P3_NAT_ERROR    5   /* the check itself failed (PAM, $ACM) */

/* p3_native.c: with env->native, after a failed popstore USER/PASS for
 * a name no popstore account has: check it as a system account; *u gets
 * the account when the password was right. */
int p3_native_check(p3_sess *s, const char *user, const char *pw,
                    pl_user *u);
/* p3_native.c: become u for good and enter TRANSACTION on its native
 * mailbox; any failure after the switch closes the connection. */
int p3_native_open(p3_sess *s, const pl_user *u);
/* p3_native.c: with env->native, make the service account final before
 * a popstore mailbox is opened (PL_OK without env->native). */
int p3_native_popstore(p3_sess *s);
/* p3_native.c: 1 if `user` names a system account (FRIENDLY USER). */
int p3_native_exists(const char *user);

/* p3_capa.c: CAPA and STLS. */
int p3_do_capa(p3_sess *s, int argc, char **argv);
int p3_do_stls(p3_sess *s, int argc, char **argv);

#endif
