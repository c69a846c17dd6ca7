/*
 * sm_int.h - what the files of the SMTP engine share: the envelope address
 * parser (sm_addr.c), the ESMTP parameter parser (sm_param.c), the DATA
 * byte machine (sm_data.c), the session state and the command table
 * (sm_cmd.c, sm_auth.c, sm_session.c).
 * Privilege: none of its own (see sm.h).
 */
#ifndef SM_INT_H
#define SM_INT_H

#include "sm.h"
#include "lr_read.h"
#include "ut_params.h"

/* --- addresses (sm_addr.c) ------------------------------------------- */

/* RFC 5321 4.5.3.1: local part 64, domain 255, path 256 octets with <>. */
#define SM_LOCAL_MAX  64
#define SM_DOMAIN_MAX 255
#define SM_PATH_MAX   256

typedef struct sm_addr {
    char local[SM_LOCAL_MAX + 1];    /* unquoted form (quotes, \ removed) */
    char text[SM_PATH_MAX + 1];      /* mailbox as written, route dropped */
    char domain[SM_DOMAIN_MAX + 1];  /* as written; "" for <> / <postmaster> */
    int null;       /* <> */
    int quoted;     /* the local part was a quoted string */
    int literal;    /* the domain is an address literal [..] */
    int routed;     /* a source route was given (and ignored) */
    int utf8;       /* bytes >= 0x80 were seen (needs SMTPUTF8) */
} sm_addr;

/* sm_addr_parse results besides PL_OK */
#define SM_A_SYNTAX  1   /* 501 5.1.3 */
#define SM_A_LONG    2   /* 553 5.1.3: over a length limit */

/* Parse a reverse- or forward-path at s (n bytes): "<...>" with an
 * optional source route, which is recognised and ignored.  allow_null: <>
 * is accepted (MAIL).  <postmaster> without a domain is accepted for RCPT.
 * *used gets the octets of the path; SM_A_* when refused. */
int sm_addr_parse(const char *s, size_t n, int allow_null, sm_addr *a,
                  size_t *used);

/* 1 if s (n bytes) is a syntactically valid domain or address literal
 * (EHLO names: only these reach a Received header). */
int sm_addr_domain_ok(const char *s, size_t n);

/* --- ESMTP parameters (sm_param.c) ----------------------------------- */

#define SM_P_MAIL 1
#define SM_P_RCPT 2

#define SM_BODY_NONE 0
#define SM_BODY_7BIT 1
#define SM_BODY_8BIT 2

#define SM_N_NEVER   1
#define SM_N_SUCCESS 2
#define SM_N_FAILURE 4
#define SM_N_DELAY   8

/* RFC 3461 4.4: ENVID at most 100 characters; 5321 bounds the others. */
#define SM_ENVID_MAX 100
#define SM_XTEXT_MAX 500

typedef struct sm_params {
    int has_size;
    pl_u64 size;                     /* SIZE= (RFC 1870) */
    int body;                        /* SM_BODY_* */
    int smtputf8;                    /* SMTPUTF8 (RFC 6531) */
    int has_auth;
    char auth[SM_XTEXT_MAX + 1];     /* AUTH= decoded (RFC 4954 5) */
    int ret;                         /* 0, 1 FULL, 2 HDRS */
    char envid[SM_ENVID_MAX + 1];    /* ENVID= decoded */
    int notify;                      /* SM_N_* bits */
    char orcpt[SM_XTEXT_MAX + 1];    /* ORCPT= "type;decoded" */
} sm_params;

/* Parse the parameters after a path: s (n bytes) is "" or " KEY[=VALUE]"
 * repeated, single spaces.  which: SM_P_MAIL or SM_P_RCPT.  PL_OK, or the
 * reply to send in *reply ("501 ...", "555 ..."): decoded xtext holding a
 * control character (CR, LF, NUL...) is refused, never stored. */
int sm_param_parse(const char *s, size_t n, int which, sm_params *p,
                   const char **reply);

/* Decode xtext (RFC 3461 4) of n bytes into out (size on); PL_EINVAL for
 * bad syntax or a decoded control character, PL_ERANGE if too long. */
int sm_xtext_decode(const char *s, size_t n, char *out, size_t on);

/* --- relay control (sm_relay.c) --------------------------------------- */

/* Parse an IPv4 or IPv6 address text (n octets) into 16 octets; *bits is
 * 32 (IPv4, in out[0..3]; also for ::ffff:a.b.c.d) or 128.  PL_EINVAL. */
int sm_ip_parse(const char *s, size_t n, unsigned char out[16], int *bits);

/* net is "ADDRESS" or "ADDRESS/BITS": PL_EINVAL if malformed, else
 * *match is 1 when addr (may be NULL: no match) lies inside it. */
int sm_net_match(const char *net, const char *addr, int *match);

/* 1 if domain is zone, or below it when zone starts with '.'. */
int sm_zone_match(const char *zone, const char *domain);

/* 1 if a client (authenticated or not, peer address text) may relay to
 * domain: auth, smtp.relay_clients, smtp.relay_zones. */
int sm_relay_allowed(const cf_config *cfg, int auth, const char *peer,
                     const char *domain);

/* 1 for the relay tricks of group E: '%', '!' or '@' in the local part,
 * a quoted local part, a source route.  Never relayed. */
int sm_addr_tricky(const sm_addr *a);

/* --- DATA (sm_data.c) -------------------------------------------------- */

#define SM_BARE_REJECT    0
#define SM_BARE_NORMALIZE 1

/* sm_data errors, in the order they are reported */
#define SM_D_OK    0
#define SM_D_BARE  1   /* 554 5.6.0 bare CR or LF (reject mode) */
#define SM_D_SIZE  2   /* 552 5.3.4 message too big */
#define SM_D_LINE  3   /* 552 5.3.4 line too long */
#define SM_D_HDR   4   /* 552 5.3.4 header too big / too many */
#define SM_D_LOOP  5   /* 554 5.4.6 too many Received headers */
#define SM_D_STORE 6   /* 451 4.3.0 the sink failed */

/* RFC 5321 6.3 asks for loop detection; qmail and OpenSMTPD use 100. */
#define SM_MAX_HOPS 100
#define SM_DATA_OBUF 4096

typedef int (*sm_sink_fn)(void *ctx, const void *buf, size_t n);

typedef struct sm_data {
    int st;                 /* byte state */
    int mode;               /* SM_BARE_* */
    pl_u64 max_size, size;  /* octets stored (after unstuffing) */
    pl_u64 max_line, line;  /* octets of the current line, no CRLF */
    unsigned max_hdrs, hdrs;
    pl_u64 max_hdr_size, hdr_size;
    unsigned received;      /* Received: fields seen */
    int hstate;             /* header-section scanner state */
    size_t hn;              /* octets of the field name so far */
    char hname[12];         /* "received" prefix, lower case */
    int err;                /* first SM_D_* */
    sm_sink_fn sink;
    void *sink_ctx;
    size_t olen;
    char obuf[SM_DATA_OBUF];
} sm_data;

/* Start a message: limits (0 = none for line and header limits). */
void sm_data_init(sm_data *d, int mode, pl_u64 max_size, pl_u64 max_line,
                  unsigned max_hdrs, pl_u64 max_hdr_size, sm_sink_fn sink,
                  void *ctx);

/* Feed n octets.  Returns 1 when the final CRLF.CRLF was consumed (*used
 * counts the octets up to and including it; the rest belongs to the next
 * command), 0 when more input is needed (*used = n).  The stored text is
 * passed to the sink (nothing after the first error). */
int sm_data_feed(sm_data *d, const char *buf, size_t n, size_t *used);

/* The reply for an SM_D_* error ("552 5.3.4 ..."). */
const char *sm_data_reply(int err);

/* --- the session --------------------------------------------------------- */

#define SM_ST_CONNECT 1   /* before HELO/EHLO/LHLO */
#define SM_ST_READY   2   /* greeted, no transaction */
#define SM_ST_MAIL    4   /* MAIL accepted */
#define SM_ST_ANY     7

#define SM_C_PRE_TLS 1    /* allowed before STARTTLS when TLS is required */
#define SM_C_LAST    2    /* last in a RFC 2920 group: flush replies after */
#define SM_C_LIMIT   4    /* junk: counted against smtp.max_junk */
#define SM_C_NOLMTP  8    /* not an LMTP command */
#define SM_C_LMTP    16   /* only an LMTP command */

/* handler results */
#define SM_R_OK    0
#define SM_R_ERR   1      /* the reply was an error: counts */
#define SM_R_QUIT  2
#define SM_R_CLOSE 3      /* reply sent, close now */

/* one accepted recipient */
typedef struct sm_rcpt {
    char user[AU_USER_MAX + 1];
    char domain[AU_DOMAIN_MAX + 1];
    pl_u64 quota, overdraft;
    pl_u64 hsize;         /* octets of the trace header of this copy */
    int dup;              /* index+1 of an earlier entry, same mailbox */
    st_dlv *d;
    const char *reply;    /* LMTP: this recipient's final reply */
    int rc;               /* the RCPT command it came from (0..nrc-1) */
} sm_rcpt;

/* one target for the outbound queue (relay, remote alias, forwarding) */
typedef struct sm_remote {
    char addr[AU_FWD_ADDR_MAX + 1];
    char orcpt[SM_XTEXT_MAX + 1];
    int notify;           /* SM_N_* bits of the RCPT */
    int rc;               /* the RCPT command it came from */
    int dup;              /* an earlier entry has the same address */
} sm_remote;

/* Local and remote targets of one message at most (aliases expanded). */
#define SM_TARGETS_MAX AL_TARGETS_MAX

#define SM_HELO_MAX 255
/* DATA is read in blocks of this size (fewer reads for big messages). */
#define SM_DATA_BLOCK 16384
/* Octets that can be buffered but not processed when DATA ends: the rest
 * of one block plus the reader's buffer (sm_session.c, sm_push_back). */
#define SM_PUSHBACK (UT_SMTP_AUTH_LINE_MAX + SM_DATA_BLOCK)

typedef struct sm_sess {
    const sm_env *env;
    nt_conn *c;
    lr_reader *lr;
    int state;            /* SM_ST_* */
    int lmtp, esmtp, tls, quit;
    int auth;             /* authenticated */
    char auth_addr[AU_ADDR_MAX];
    const char *mech;
    char helo[SM_HELO_MAX + 1];   /* as given (printable) */
    int helo_ok;          /* helo is a valid domain or literal */
    char peer[64];        /* sanitized peer address */
    /* transaction */
    sm_addr from;
    sm_params mp;
    sm_rcpt *rcpt;        /* local copies (aliases expanded) */
    int nrcpt, cap_rcpt, max_rcpt, tried_rcpt;
    int nrc;              /* RCPT commands accepted (max_rcpt bounds it) */
    sm_remote *rem;       /* queue targets */
    int nrem, cap_rem;
    al_target *tg;        /* al_resolve scratch (SM_TARGETS_MAX) */
    qu_sub *qsub;         /* the queue copy during DATA, or NULL */
    pl_i64 line_start;    /* mono ms the current command line began; 0 */
    int data_mode;        /* reading DATA: no command deadline */
    /* counters */
    int errors, junk, msgs, rcpts_total;
    sm_tally done;        /* accepted mail, for env->tally */
    const char *result;
    /* bytes read past the end of DATA, served before the connection */
    char *pb;
    size_t pb_len, pb_pos;
} sm_sess;

typedef struct sm_cmd {
    const char *name;
    int states;           /* SM_ST_* where the command is valid */
    int flags;            /* SM_C_* */
    int (*fn)(sm_sess *s, char *arg);
} sm_cmd;

extern const sm_cmd sm_cmds[];

/* Look a verb up (any case); NULL if unknown. */
const sm_cmd *sm_cmd_find(const char *verb, size_t n);

/* Send one reply line (CRLF added); PL_OK or a write error. */
int sm_reply(sm_sess *s, const char *text);

/* Forget the transaction (MAIL, RCPT, open deliveries). */
void sm_txn_reset(sm_sess *s);

/* Before reading a command line (sm_loop, AUTH continuations): start the
 * smtp.command_deadline clock now if part of a line is already buffered,
 * else when its first octet arrives (sm_src). */
void sm_line_begin(sm_sess *s);

/* Buffered input (reader and pushback). */
size_t sm_pending(const sm_sess *s);

/* Our name for replies and headers (a valid domain, else "localhost"). */
const char *sm_hostname(const sm_sess *s);

/* AU_MECH_* bits offered now (policy smtp.plaintext_auth, TLS state). */
int sm_mech_mask(const sm_sess *s);

/* NEWMAIL octets of user@dom's mailbox (0 if it does not exist). */
pl_u64 sm_usage(sm_sess *s, const char *user, const char *dom,
                pl_u64 quota);

/* The handlers (sm_cmd.c, sm_auth.c, sm_session.c) */
int sm_do_helo(sm_sess *s, char *arg);
int sm_do_ehlo(sm_sess *s, char *arg);
int sm_do_lhlo(sm_sess *s, char *arg);
int sm_do_mail(sm_sess *s, char *arg);
int sm_do_rcpt(sm_sess *s, char *arg);
int sm_do_data(sm_sess *s, char *arg);
int sm_do_rset(sm_sess *s, char *arg);
int sm_do_noop(sm_sess *s, char *arg);
int sm_do_quit(sm_sess *s, char *arg);
int sm_do_help(sm_sess *s, char *arg);
int sm_do_vrfy(sm_sess *s, char *arg);
int sm_do_expn(sm_sess *s, char *arg);
int sm_do_starttls(sm_sess *s, char *arg);
int sm_do_auth(sm_sess *s, char *arg);

#endif
