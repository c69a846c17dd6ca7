/*
 * sm_cmd.c - the SMTP/LMTP command table and the envelope commands:
 * HELO, EHLO, LHLO, MAIL, RCPT, RSET, NOOP, QUIT, HELP, VRFY, EXPN.
 *
 * The table carries, per command, the states where it is valid and the
 * flags PRE_TLS (allowed before STARTTLS when smtp.require_tls is set),
 * LAST (RFC 2920: must end a pipelined group, so replies are flushed after
 * it) and LIMIT (junk: counted against smtp.max_junk, after Postfix).
 * Recipients: a domain is local when it is a virtual domain of the store
 * or listed in `domains` (al_domain_is_local); a local address is
 * expanded by al_resolve (aliases, "user+tag", forwarding) into mailbox
 * copies and queue targets, and every mailbox must take the message now
 * (quota with SIZE).  Any other domain is relay: allowed only for the
 * clients sm_relay_allowed accepts, only with an outbound queue, never
 * over LMTP, else 554 5.7.1.  The relay tricks of group E ('%', '!', '@'
 * in the local part, quoted local parts, source routes) are never
 * relayed (554 5.7.1); for a local domain they resolve only when the
 * local part is a plain name (a quoted "john", a route to john@here),
 * else 550 5.1.1.
 * VRFY answers 252 and EXPN 502 (no user enumeration).
 * Privilege: the service account (reads accounts and mailbox indexes).
 */
#include <stdlib.h>
#include <string.h>
#include "sm_int.h"
#include "au_sasl.h"
#include "ut_str.h"
#include "ut_log.h"

#define A SM_ST_ANY
#define R SM_ST_READY
#define M SM_ST_MAIL
#define PT SM_C_PRE_TLS
#define L SM_C_LAST
#define J SM_C_LIMIT

const sm_cmd sm_cmds[] = {
    { "EHLO",     A, PT | L | SM_C_NOLMTP, sm_do_ehlo },
    { "HELO",     A, PT | L | SM_C_NOLMTP, sm_do_helo },
    { "LHLO",     A, PT | L | SM_C_LMTP,   sm_do_lhlo },
    { "STARTTLS", A, PT | L,               sm_do_starttls },
    { "AUTH",     R, L | SM_C_NOLMTP,      sm_do_auth },
    { "MAIL",     R, 0,                    sm_do_mail },
    { "RCPT",     M, 0,                    sm_do_rcpt },
    { "DATA",     M, L,                    sm_do_data },
    { "RSET",     A, PT | J,               sm_do_rset },
    { "NOOP",     A, PT | L | J,           sm_do_noop },
    { "QUIT",     A, PT | L,               sm_do_quit },
    { "HELP",     A, PT | L | J,           sm_do_help },
    { "VRFY",     A, L | J,                sm_do_vrfy },
    { "EXPN",     A, L | J,                sm_do_expn },
    { NULL, 0, 0, NULL }
};

const sm_cmd *sm_cmd_find(const char *verb, size_t n)
{
    int i;

    for (i = 0; sm_cmds[i].name != NULL; i++)
        if (strlen(sm_cmds[i].name) == n &&
            ut_strncaseeq(sm_cmds[i].name, verb, n))
            return &sm_cmds[i];
    return NULL;
}

static int sm_say(sm_sess *s, const char *text, int res)
{
    return sm_reply(s, text) == PL_OK ? res : PL_EIO;
}

/* The name we give ourselves: the configured one if it is a plain
 * domain, so no configuration value can break a reply or a header. */
const char *sm_hostname(const sm_sess *s)
{
    const char *h = s->env->hostname;

    if (h != NULL && sm_addr_domain_ok(h, strlen(h)))
        return h;
    return "localhost";
}

/* SASL mechanisms offered now (EHLO) or usable (AUTH). */
int sm_mech_mask(const sm_sess *s)
{
    int all = au_sasl_mech_conf(s->env->cfg);
    /* enum "tls|always|never" */
    pl_i64 pol = cf_int(s->env->cfg, "smtp.plaintext_auth");

    if (s->lmtp)
        return 0;
    if (pol == 2 || (pol == 0 && !s->tls))
        all &= ~AU_MECH_PLAINTEXT;
    return all;
}

static int sm_greet(sm_sess *s, char *arg, int esmtp, const char *usage)
{
    size_t n = strlen(arg);

    if (n == 0)
        return sm_say(s, usage, SM_R_ERR);
    sm_txn_reset(s);
    ut_strlcpy(s->helo, arg, sizeof s->helo);
    s->helo_ok = sm_addr_domain_ok(arg, n);
    s->esmtp = esmtp;
    s->state = SM_ST_READY;
    return SM_R_OK;
}

int sm_do_helo(sm_sess *s, char *arg)
{
    char buf[300];
    int rc = sm_greet(s, arg, 0, "501 5.5.4 Syntax: HELO hostname");

    if (rc != SM_R_OK)
        return rc;
    ut_strlcpy(buf, "250 ", sizeof buf);
    ut_strlcat(buf, sm_hostname(s), sizeof buf);
    return sm_say(s, buf, SM_R_OK);
}

static int sm_ehlo_reply(sm_sess *s)
{
    const char *kw[12];
    char size[40], auth[128], first[300], line[200];
    char num[24];
    int n = 0, i, mask;

    ut_strlcpy(first, sm_hostname(s), sizeof first);
    kw[n++] = first;
    kw[n++] = "PIPELINING";
    ut_u64_to_dec(num, cf_size(s->env->cfg, "smtp.max_message_size"));
    ut_strlcpy(size, "SIZE ", sizeof size);
    ut_strlcat(size, num, sizeof size);
    kw[n++] = size;
    kw[n++] = "8BITMIME";
    kw[n++] = "ENHANCEDSTATUSCODES";
    if (s->env->tls != NULL && !s->tls)
        kw[n++] = "STARTTLS";
    mask = sm_mech_mask(s);
    if (mask != 0) {
        ut_strlcpy(auth, "AUTH ", sizeof auth);
        au_sasl_mech_list(mask, auth + 5, sizeof auth - 5);
        kw[n++] = auth;
    }
    kw[n++] = "SMTPUTF8";
    kw[n++] = "DSN";
    for (i = 0; i < n; i++) {
        ut_strlcpy(line, i + 1 < n ? "250-" : "250 ", sizeof line);
        ut_strlcat(line, kw[i], sizeof line);
        if (sm_reply(s, line) != PL_OK)
            return PL_EIO;
    }
    return SM_R_OK;
}

int sm_do_ehlo(sm_sess *s, char *arg)
{
    int rc = sm_greet(s, arg, 1, "501 5.5.4 Syntax: EHLO hostname");

    return rc != SM_R_OK ? rc : sm_ehlo_reply(s);
}

int sm_do_lhlo(sm_sess *s, char *arg)
{
    int rc = sm_greet(s, arg, 1, "501 5.5.4 Syntax: LHLO hostname");

    return rc != SM_R_OK ? rc : sm_ehlo_reply(s);
}

/* "FROM:" / "TO:" then the path (blanks after the colon tolerated, as
 * most servers do); *rest is what follows the path. */
static int sm_path_arg(const char *arg, const char *kw, int allow_null,
                       sm_addr *a, const char **rest)
{
    size_t k = strlen(kw), n, used;
    int rc;

    if (!ut_strncaseeq(arg, kw, k))
        return SM_A_SYNTAX;
    arg += k;
    while (*arg == ' ')
        arg++;
    n = strlen(arg);
    rc = sm_addr_parse(arg, n, allow_null, a, &used);
    if (rc == PL_OK)
        *rest = arg + used;
    return rc;
}

int sm_do_mail(sm_sess *s, char *arg)
{
    sm_addr a;
    sm_params p;
    const char *rest, *reply;
    int rc;

    if ((s->env->service == SM_SVC_SUBMISSION ||
         s->env->service == SM_SVC_SUBMISSIONS) && !s->auth)
        return sm_say(s, "530 5.7.0 Authentication required", SM_R_ERR);
    rc = sm_path_arg(arg, "FROM:", 1, &a, &rest);
    if (rc == SM_A_LONG)
        return sm_say(s, "553 5.1.7 Sender address too long", SM_R_ERR);
    if (rc != PL_OK)
        return sm_say(s, "501 5.1.7 Bad sender address syntax", SM_R_ERR);
    if (sm_param_parse(rest, strlen(rest), SM_P_MAIL, &p, &reply) != PL_OK)
        return sm_say(s, reply, SM_R_ERR);
    if (a.utf8 && !p.smtputf8)
        return sm_say(s, "553 5.6.7 Non-ASCII address needs SMTPUTF8",
                      SM_R_ERR);
    if (p.has_size &&
        p.size > cf_size(s->env->cfg, "smtp.max_message_size"))
        return sm_say(s, "552 5.3.4 Message size exceeds fixed maximum "
                      "message size", SM_R_ERR);
    s->from = a;
    s->mp = p;
    s->state = SM_ST_MAIL;
    return sm_say(s, "250 2.1.0 Ok", SM_R_OK);
}

/* NEWMAIL octets of a mailbox (0 when it does not exist yet).  Without a
 * quota the usage decides nothing (au_quota_check), so the folder's index
 * is not read: that read grows with the folder, once per recipient. */
pl_u64 sm_usage(sm_sess *s, const char *user, const char *dom, pl_u64 quota)
{
    char addr[AU_ADDR_MAX];

    if (quota == 0)
        return 0;
    ut_strlcpy(addr, user, sizeof addr);
    ut_strlcat(addr, "@", sizeof addr);
    ut_strlcat(addr, dom, sizeof addr);
    return st_mbox_usage(s->env->store, addr);
}

/* Room for one more element in a growing array (at most SM_TARGETS_MAX
 * local plus remote targets per message). */
static int sm_room(sm_sess *s, void **arr, int *cap, int n, size_t sz)
{
    void *nb;
    int nc;

    if (s->nrcpt + s->nrem >= SM_TARGETS_MAX)
        return PL_ERANGE;
    if (n < *cap)
        return PL_OK;
    nc = *cap == 0 ? 8 : *cap * 2;
    nb = realloc(*arr, (size_t)nc * sz);
    if (nb == NULL)
        return PL_ENOMEM;
    *arr = nb;
    *cap = nc;
    return PL_OK;
}

static int sm_add_local(sm_sess *s, const al_target *t)
{
    sm_rcpt *r;
    int i, rc;

    rc = sm_room(s, (void **)&s->rcpt, &s->cap_rcpt, s->nrcpt, sizeof *r);
    if (rc != PL_OK)
        return rc;
    r = &s->rcpt[s->nrcpt];
    memset(r, 0, sizeof *r);
    ut_strlcpy(r->user, t->user, sizeof r->user);
    ut_strlcpy(r->domain, t->domain, sizeof r->domain);
    r->quota = t->quota;
    r->overdraft = t->overdraft;
    r->rc = s->nrc;
    for (i = 0; i < s->nrcpt; i++)
        if (s->rcpt[i].dup == 0 && strcmp(s->rcpt[i].user, r->user) == 0 &&
            strcmp(s->rcpt[i].domain, r->domain) == 0) {
            r->dup = i + 1;
            break;
        }
    s->nrcpt++;
    return PL_OK;
}

static int sm_add_remote(sm_sess *s, const char *addr, const char *orcpt,
                         int notify)
{
    sm_remote *r;
    int i, rc;

    rc = sm_room(s, (void **)&s->rem, &s->cap_rem, s->nrem, sizeof *r);
    if (rc != PL_OK)
        return rc;
    r = &s->rem[s->nrem];
    memset(r, 0, sizeof *r);
    if (ut_strlcpy(r->addr, addr, sizeof r->addr) != PL_OK ||
        ut_strlcpy(r->orcpt, orcpt, sizeof r->orcpt) != PL_OK)
        return PL_EINVAL;
    r->notify = notify;
    r->rc = s->nrc;
    for (i = 0; i < s->nrem; i++)
        if (strcmp(s->rem[i].addr, r->addr) == 0)
            r->dup = 1;
    s->nrem++;
    return PL_OK;
}

/* Undo the targets added for the RCPT being handled. */
static void sm_drop_from(sm_sess *s, int nl, int nr)
{
    s->nrcpt = nl;
    s->nrem = nr;
}

/* A domain that is not ours: relay, if this client may. */
static int sm_rcpt_relay(sm_sess *s, const sm_addr *a, const char *dom,
                         const sm_params *p)
{
    char addr[AU_FWD_ADDR_MAX + 1];
    int rc;

    if (s->lmtp || a->literal || sm_addr_tricky(a) ||
        s->env->queue == NULL ||
        !sm_relay_allowed(s->env->cfg, s->auth, s->peer, dom))
        return sm_say(s, "554 5.7.1 Relay access denied", SM_R_ERR);
    if (ut_strlcpy(addr, a->local, sizeof addr) != PL_OK ||
        ut_strlcat(addr, "@", sizeof addr) != PL_OK ||
        ut_strlcat(addr, dom, sizeof addr) != PL_OK)
        return sm_say(s, "553 5.1.3 Recipient address too long", SM_R_ERR);
    rc = sm_add_remote(s, addr, p->orcpt, p->notify);
    if (rc == PL_ERANGE)
        return sm_say(s, "452 4.5.3 Too many recipients", SM_R_OK);
    if (rc != PL_OK)
        return sm_say(s, "451 4.3.0 Local error", SM_R_OK);
    s->nrc++;
    return sm_say(s, "250 2.1.5 Ok", SM_R_OK);
}

/* al_resolve into s->tg: a small array first, the full one only for a big
 * list (the scratch is SM_TARGETS_MAX entries at most). */
static int sm_resolve(sm_sess *s, const char *local, const char *dom,
                      int *n, int *result)
{
    al_env ae;
    int room = SM_TARGETS_MAX - s->nrcpt - s->nrem, try, rc;

    ae.cfg = s->env->cfg;
    ae.db = s->env->db;
    ae.map = s->env->aliases;
    for (try = room < 32 ? room : 32;; try = room) {
        free(s->tg);
        s->tg = (al_target *)malloc((size_t)(try > 0 ? try : 1) *
                                    sizeof *s->tg);
        if (s->tg == NULL)
            return PL_ENOMEM;
        if (try <= 0)
            return PL_ERANGE;
        rc = al_resolve(&ae, local, dom, s->tg, try, n, result);
        if (rc != PL_ERANGE || try == room)
            return rc;
    }
}

/* Every local target must take the message now (SIZE, or current use). */
static int sm_quota_all(sm_sess *s, int n)
{
    int i, q, worst = AU_Q_OK;

    for (i = 0; i < n; i++) {
        if (s->tg[i].type != AL_T_LOCAL)
            continue;
        q = au_quota_check(s->tg[i].quota, s->tg[i].overdraft,
                           sm_usage(s, s->tg[i].user, s->tg[i].domain,
                                    s->tg[i].quota),
                           s->mp.has_size ? s->mp.size : 0);
        if (q == AU_Q_PERM)
            return q;
        if (q != AU_Q_OK)
            worst = q;
    }
    return worst;
}

static int sm_rcpt_local(sm_sess *s, const sm_addr *a, const char *dom,
                         const sm_params *p)
{
    char orcpt[SM_XTEXT_MAX + 1];
    int rc, n = 0, res, i, nl = s->nrcpt, nr = s->nrem, remote = 0;

    rc = sm_resolve(s, a->local, dom, &n, &res);
    if (rc == PL_ERANGE)
        return sm_say(s, "452 4.5.3 Too many recipients", SM_R_OK);
    if (rc != PL_OK || res == AL_TEMP)
        return sm_say(s, "451 4.3.0 Account lookup failed", SM_R_OK);
    if (res == AL_DISABLED)
        return sm_say(s, "550 5.2.1 Mailbox disabled", SM_R_ERR);
    if (res == AL_LOOP)
        return sm_say(s, "554 5.4.6 Routing loop in the alias or "
                      "forwarding of this address", SM_R_ERR);
    if (res != AL_OK || n == 0)
        return sm_say(s, "550 5.1.1 User unknown", SM_R_ERR);
    for (i = 0; i < n; i++)
        remote += s->tg[i].type == AL_T_REMOTE;
    if (remote > 0 && s->env->queue == NULL) {
        ut_log(PL_LOG_WARN, PL_LOGCAT_MAIL, "smtp %s@%s forwards to another "
               "domain but no outbound queue is configured", a->local, dom);
        return sm_say(s, "451 4.3.0 Forwarding not available now", SM_R_OK);
    }
    rc = sm_quota_all(s, n);
    if (rc == AU_Q_TEMP)
        return sm_say(s, "452 4.2.2 Mailbox full", SM_R_OK);
    if (rc != AU_Q_OK)
        return sm_say(s, "552 5.2.2 Message too large for the mailbox quota",
                      SM_R_ERR);
    /* an expanded address keeps the one the client gave (RFC 3461 4.2),
     * unless the client named its own ORCPT */
    ut_strlcpy(orcpt, p->orcpt, sizeof orcpt);
    if (orcpt[0] == '\0') {
        ut_strlcpy(orcpt, "rfc822;", sizeof orcpt);
        ut_strlcat(orcpt, a->local, sizeof orcpt);
        ut_strlcat(orcpt, "@", sizeof orcpt);
        if (ut_strlcat(orcpt, dom, sizeof orcpt) != PL_OK)
            orcpt[0] = '\0';
    }
    for (i = 0, rc = PL_OK; rc == PL_OK && i < n; i++)
        rc = s->tg[i].type == AL_T_LOCAL
             ? sm_add_local(s, &s->tg[i])
             : sm_add_remote(s, s->tg[i].addr, orcpt, p->notify);
    if (rc != PL_OK) {
        sm_drop_from(s, nl, nr);
        return sm_say(s, rc == PL_ERANGE ? "452 4.5.3 Too many recipients"
                      : "451 4.3.0 Local error", SM_R_OK);
    }
    s->nrc++;
    return sm_say(s, "250 2.1.5 Ok", SM_R_OK);
}

int sm_do_rcpt(sm_sess *s, char *arg)
{
    sm_addr a;
    sm_params p;
    const char *rest, *reply;
    char dom[SM_DOMAIN_MAX + 1];
    al_env ae;
    size_t k;
    int rc;

    rc = sm_path_arg(arg, "TO:", 0, &a, &rest);
    if (rc == SM_A_LONG)
        return sm_say(s, "553 5.1.3 Recipient address too long", SM_R_ERR);
    if (rc != PL_OK)
        return sm_say(s, "501 5.1.3 Bad recipient address syntax",
                      SM_R_ERR);
    if (sm_param_parse(rest, strlen(rest), SM_P_RCPT, &p, &reply) != PL_OK)
        return sm_say(s, reply, SM_R_ERR);
    if (s->nrc >= s->max_rcpt)
        return sm_say(s, "452 4.5.3 Too many recipients", SM_R_ERR);
    s->tried_rcpt++;
    if (a.utf8 && !s->mp.smtputf8)
        return sm_say(s, "553 5.6.7 Non-ASCII address needs SMTPUTF8",
                      SM_R_ERR);
    if (a.domain[0] != '\0')
        ut_strlcpy(dom, a.domain, sizeof dom);
    else if (au_db_default_domain(s->env->db)[0] != '\0')   /* <postmaster> */
        ut_strlcpy(dom, au_db_default_domain(s->env->db), sizeof dom);
    else if (cf_list_count(s->env->cfg, "domains") > 0)
        ut_strlcpy(dom, cf_list_item(s->env->cfg, "domains", 0), sizeof dom);
    else
        return sm_say(s, "550 5.1.1 User unknown", SM_R_ERR);
    for (k = 0; dom[k] != '\0'; k++)
        dom[k] = (char)ut_tolower((unsigned char)dom[k]);
    ae.cfg = s->env->cfg;
    ae.db = s->env->db;
    ae.map = s->env->aliases;
    if (!a.literal && al_domain_is_local(&ae, dom))
        return sm_rcpt_local(s, &a, dom, &p);
    return sm_rcpt_relay(s, &a, dom, &p);
}

int sm_do_rset(sm_sess *s, char *arg)
{
    if (arg[0] != '\0')
        return sm_say(s, "501 5.5.4 Syntax: RSET", SM_R_ERR);
    sm_txn_reset(s);
    return sm_say(s, "250 2.0.0 Ok", SM_R_OK);
}

int sm_do_noop(sm_sess *s, char *arg)
{
    (void)arg;   /* RFC 5321 4.1.1.9: a parameter is ignored */
    return sm_say(s, "250 2.0.0 Ok", SM_R_OK);
}

int sm_do_quit(sm_sess *s, char *arg)
{
    (void)arg;
    s->quit = 1;
    return sm_say(s, "221 2.0.0 Bye", SM_R_QUIT);
}

int sm_do_help(sm_sess *s, char *arg)
{
    (void)arg;
    return sm_say(s, s->lmtp
                  ? "214 2.0.0 Commands: LHLO MAIL RCPT DATA RSET NOOP QUIT"
                  : "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP "
                    "QUIT HELP VRFY STARTTLS AUTH", SM_R_OK);
}

int sm_do_vrfy(sm_sess *s, char *arg)
{
    if (arg[0] == '\0')
        return sm_say(s, "501 5.5.4 Syntax: VRFY address", SM_R_ERR);
    return sm_say(s, "252 2.5.2 Cannot VRFY user, but will accept message "
                  "and attempt delivery", SM_R_OK);
}

int sm_do_expn(sm_sess *s, char *arg)
{
    (void)arg;
    return sm_say(s, "502 5.5.1 EXPN not available", SM_R_OK);
}
