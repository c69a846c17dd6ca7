/*
 * al_resolve.c - what a local address expands to: aliases (for the
 * domains of `domains`), accounts with the "+tag" fallback, and each
 * account's forwarding with keep-a-copy.
 *
 * Order for local@domain: if domain is one of `domains` and the aliases
 * table has local (then local without its "+tag"), the alias's targets;
 * else the account local (then local without "+tag") in domain when it is
 * a virtual domain, or in the store's default domain for the other names
 * of `domains`.  An account with forwarding expands to its forwarding
 * addresses (each resolved again when local), plus its own mailbox when
 * keep-a-copy is set; a forwarding address naming the account itself is
 * its mailbox.  Inside an alias, the alias's own name and "\name" mean
 * the account's mailbox with no further expansion (sendmail's rule).
 * Members: inside an alias or a forwarding list an unknown or DISMAIL
 * member is skipped and logged; only when nothing at all is left is the
 * address unknown (or disabled).  A temporary failure or a loop anywhere
 * fails the whole address (AL_TEMP, AL_LOOP): a partial delivery would
 * be silent loss.
 * Limits: AL_DEPTH_MAX levels (deeper: AL_LOOP), AL_TARGETS_MAX targets
 * (wider: AL_LOOP), AL_STEPS_MAX names visited; a name already being
 * expanded higher up is a loop.  Duplicate targets are dropped.
 * Privilege: the service account (reads accounts).
 */
#include <stdlib.h>
#include <string.h>
#include "al_int.h"
#include "ut_str.h"
#include "ut_log.h"

/* internal result: the caller's array is full */
#define AL_I_RANGE 100

typedef struct al_rctx {
    const al_env *e;
    const al_table *t;
    al_target *out;
    int max, n, steps;
    au_account acct;              /* scratch for lookups */
    int depth;
    char stack[AL_DEPTH_MAX + 2][AU_ADDR_MAX + 2];
} al_rctx;

static int al_resolve_addr(al_rctx *c, const char *local, const char *dom);

static void al_lower_copy(char *dst, size_t n, const char *src)
{
    size_t k;

    for (k = 0; k + 1 < n && src[k] != '\0'; k++)
        dst[k] = (char)ut_tolower((unsigned char)src[k]);
    dst[k] = '\0';
}

static int al_alias_domain(const al_env *e, const char *dom)
{
    int i, n = cf_list_count(e->cfg, "domains");

    for (i = 0; i < n; i++)
        if (ut_strcaseeq(cf_list_item(e->cfg, "domains", i), dom))
            return 1;
    return 0;
}

/* Add a final target (duplicates dropped). */
static int al_add(al_rctx *c, int type, const char *user, const char *dom,
                  const char *addr)
{
    al_target *t;
    int i;

    for (i = 0; i < c->n; i++) {
        t = &c->out[i];
        if (t->type == type &&
            (type == AL_T_LOCAL ? strcmp(t->user, user) == 0 &&
                                  strcmp(t->domain, dom) == 0
                                : strcmp(t->addr, addr) == 0))
            return AL_OK;
    }
    if (c->n >= AL_TARGETS_MAX)
        return AL_LOOP;
    if (c->n >= c->max)
        return AL_I_RANGE;
    t = &c->out[c->n];
    memset(t, 0, sizeof *t);
    t->type = type;
    if (type == AL_T_LOCAL) {
        ut_strlcpy(t->user, user, sizeof t->user);
        ut_strlcpy(t->domain, dom, sizeof t->domain);
        t->quota = c->acct.quota;
        t->overdraft = c->acct.overdraft;
    } else {
        ut_strlcpy(t->addr, addr, sizeof t->addr);
    }
    c->n++;
    return AL_OK;
}

/* Mark key as being expanded; AL_LOOP if it already is, or too deep. */
static int al_push(al_rctx *c, const char *kind, const char *a,
                   const char *b)
{
    char key[AU_ADDR_MAX + 2];
    int i;

    if (c->depth > AL_DEPTH_MAX || ++c->steps > AL_STEPS_MAX)
        return AL_LOOP;
    ut_strlcpy(key, kind, sizeof key);
    ut_strlcat(key, a, sizeof key);
    ut_strlcat(key, "@", sizeof key);
    ut_strlcat(key, b, sizeof key);
    for (i = 0; i < c->depth; i++)
        if (strcmp(c->stack[i], key) == 0)
            return AL_LOOP;
    ut_strlcpy(c->stack[c->depth], key, sizeof c->stack[0]);
    c->depth++;
    return AL_OK;
}

/* Combine a member's result into a list's: worst of TEMP and LOOP wins,
 * unknown and disabled members are remembered (first one). */
static int al_member(int *list, int *first_bad, int *ok, int r)
{
    if (r == AL_OK) {
        (*ok)++;
        return 0;
    }
    if (r == AL_TEMP || r == AL_LOOP || r == AL_I_RANGE) {
        *list = r;
        return 1;
    }
    if (*first_bad == AL_OK)
        *first_bad = r;
    return 0;
}

/* The account user@dom (dom: the account's real domain), "+tag" too. */
static int al_get_account(al_rctx *c, const char *user, const char *dom)
{
    char base[AU_USER_MAX + 1];
    const char *plus;
    int rc;

    if (!al_name_ok(user))
        return AL_UNKNOWN;
    rc = au_db_get(c->e->db, user, dom, &c->acct);
    if (rc == PL_ENOENT || rc == PL_EINVAL) {
        plus = strchr(user, '+');
        if (plus == NULL || plus == user ||
            ut_memtostr(base, sizeof base, user, (size_t)(plus - user))
            != PL_OK)
            return AL_UNKNOWN;
        rc = au_db_get(c->e->db, base, dom, &c->acct);
    }
    if (rc == PL_ENOENT || rc == PL_EINVAL)
        return AL_UNKNOWN;
    if (rc != PL_OK)
        return AL_TEMP;
    if ((c->acct.flags & AU_F_DISMAIL) != 0)
        return AL_DISABLED;
    return AL_OK;
}

/* The account's domain for a local domain: itself when it is a virtual
 * domain of the store, else the default domain ("" when none). */
static void al_acct_domain(al_rctx *c, const char *dom, char *out,
                           size_t n)
{
    if (au_name_check_domain(dom) == PL_OK &&
        au_domain_exists(c->e->db, dom) == PL_OK)
        ut_strlcpy(out, dom, n);
    else
        ut_strlcpy(out, au_db_default_domain(c->e->db), n);
}

/* The mailbox of an account with no further expansion. */
static int al_mailbox(al_rctx *c, const char *user, const char *dom)
{
    char adom[AU_DOMAIN_MAX + 1];
    int r;

    al_acct_domain(c, dom, adom, sizeof adom);
    if (adom[0] == '\0')
        return AL_UNKNOWN;
    r = al_get_account(c, user, adom);
    if (r != AL_OK)
        return r;
    r = al_add(c, AL_T_LOCAL, c->acct.user, c->acct.domain, NULL);
    au_account_wipe(&c->acct);
    return r;
}

typedef char al_fwd_list[AU_FWD_MAX][AU_FWD_ADDR_MAX + 1];

/* The forwarding addresses of an account, expanded in turn (the account
 * record is reused by the recursion, so they are copied first). */
static int al_forward(al_rctx *c, const char *me_u, const char *me_d,
                      al_fwd_list fwd, int nf)
{
    char *at;
    int r, i, list = AL_OK, bad = AL_OK, ok = 0;

    r = al_push(c, "=", me_u, me_d);
    if (r != AL_OK)
        return r;
    for (i = 0; i < nf; i++) {
        at = strrchr(fwd[i], '@');
        if (at == NULL)
            continue;   /* au_fwd_check never stores one */
        *at = '\0';
        if (strcmp(fwd[i], me_u) == 0 && ut_strcaseeq(at + 1, me_d))
            r = al_mailbox(c, me_u, me_d);
        else
            r = al_resolve_addr(c, fwd[i], at + 1);
        if (r == AL_UNKNOWN || r == AL_DISABLED)
            ut_log(PL_LOG_WARN, PL_LOGCAT_MAIL,
                   "aliases: forwarding of %s@%s to %s@%s skipped (%s)",
                   me_u, me_d, fwd[i], at + 1,
                   r == AL_UNKNOWN ? "unknown" : "DISMAIL");
        if (al_member(&list, &bad, &ok, r))
            break;
    }
    c->depth--;
    if (list != AL_OK)
        return list;
    return ok > 0 ? AL_OK : bad;
}

/* An account and its forwarding. */
static int al_account(al_rctx *c, const char *user, const char *dom)
{
    char adom[AU_DOMAIN_MAX + 1];
    char me_u[AU_USER_MAX + 1], me_d[AU_DOMAIN_MAX + 1];
    al_fwd_list *fwd;
    int r, i, nf, keep, list = AL_OK, bad = AL_OK, ok = 0;

    al_acct_domain(c, dom, adom, sizeof adom);
    if (adom[0] == '\0')
        return AL_UNKNOWN;
    r = al_get_account(c, user, adom);
    if (r != AL_OK)
        return r;
    nf = c->acct.fwd_n < 0 ? 0 : c->acct.fwd_n > AU_FWD_MAX ? AU_FWD_MAX
                                                            : c->acct.fwd_n;
    keep = c->acct.fwd_keep || nf == 0;
    ut_strlcpy(me_u, c->acct.user, sizeof me_u);
    ut_strlcpy(me_d, c->acct.domain, sizeof me_d);
    if (keep) {
        r = al_add(c, AL_T_LOCAL, me_u, me_d, NULL);
        if (al_member(&list, &bad, &ok, r)) {
            au_account_wipe(&c->acct);
            return list;
        }
    }
    if (nf == 0) {
        au_account_wipe(&c->acct);
        return AL_OK;
    }
    /* on the heap: the recursion may nest AL_DEPTH_MAX deep on a
     * session thread's small stack */
    fwd = (al_fwd_list *)malloc(sizeof *fwd);
    if (fwd == NULL) {
        au_account_wipe(&c->acct);
        return AL_TEMP;
    }
    for (i = 0; i < nf; i++)
        ut_strlcpy((*fwd)[i], c->acct.fwd[i], sizeof (*fwd)[i]);
    au_account_wipe(&c->acct);
    r = al_forward(c, me_u, me_d, *fwd, nf);
    free(fwd);
    /* the kept copy is a target: skipped forwards leave it alone */
    if (keep && (r == AL_UNKNOWN || r == AL_DISABLED))
        r = AL_OK;
    return r;
}

/* An alias's targets. */
static int al_alias(al_rctx *c, const al_entry *a, const char *dom)
{
    char local[AU_FWD_ADDR_MAX + 1], *at;
    int i, r, list = AL_OK, bad = AL_OK, ok = 0;

    r = al_push(c, "alias:", a->name, "");
    if (r != AL_OK)
        return r;
    for (i = 0; i < a->n; i++) {
        const al_tgt *t = &a->t[i];

        if (t->kind == AL_K_ACCT || (t->kind == AL_K_NAME &&
                                     strcmp(t->text, a->name) == 0)) {
            r = al_mailbox(c, t->text, dom);
        } else if (t->kind == AL_K_NAME) {
            r = al_resolve_addr(c, t->text, dom);
        } else {
            ut_strlcpy(local, t->text, sizeof local);
            at = strrchr(local, '@');
            if (at == NULL) {
                r = AL_UNKNOWN;
            } else {
                *at = '\0';
                r = al_resolve_addr(c, local, at + 1);
            }
        }
        if (r == AL_UNKNOWN || r == AL_DISABLED)
            ut_log(PL_LOG_WARN, PL_LOGCAT_MAIL,
                   "aliases: member %s of %s skipped (%s)", t->text, a->name,
                   r == AL_UNKNOWN ? "unknown" : "DISMAIL");
        if (al_member(&list, &bad, &ok, r))
            break;
    }
    c->depth--;
    if (list != AL_OK)
        return list;
    return ok > 0 ? AL_OK : bad;
}

static int al_resolve_addr(al_rctx *c, const char *local, const char *dom)
{
    char d[AU_DOMAIN_MAX + 1], l[AU_USER_MAX + 1], base[AU_USER_MAX + 1];
    char addr[AU_ADDR_MAX + AU_FWD_ADDR_MAX];
    const al_entry *a = NULL;
    const char *plus;

    al_lower_copy(d, sizeof d, dom);
    if (!al_domain_is_local(c->e, d)) {
        if (ut_strlcpy(addr, local, sizeof addr) != PL_OK ||
            ut_strlcat(addr, "@", sizeof addr) != PL_OK ||
            ut_strlcat(addr, d, sizeof addr) != PL_OK ||
            strlen(addr) > AU_FWD_ADDR_MAX)
            return AL_UNKNOWN;
        return al_add(c, AL_T_REMOTE, NULL, NULL, addr);
    }
    if (strlen(local) > AU_USER_MAX || !al_name_ok(local))
        return AL_UNKNOWN;
    al_lower_copy(l, sizeof l, local);
    if (c->depth > AL_DEPTH_MAX)
        return AL_LOOP;
    if (c->t != NULL && al_alias_domain(c->e, d)) {
        a = al_table_find(c->t, l);
        plus = strchr(l, '+');
        if (a == NULL && plus != NULL && plus != l &&
            ut_memtostr(base, sizeof base, l, (size_t)(plus - l)) == PL_OK)
            a = al_table_find(c->t, base);
    }
    if (a != NULL)
        return al_alias(c, a, d);
    return al_account(c, l, d);
}

int al_resolve(const al_env *e, const char *local, const char *domain,
               al_target *out, int max, int *n, int *result)
{
    al_rctx *c;
    int r;

    *n = 0;
    *result = AL_UNKNOWN;
    if (e == NULL || e->db == NULL || local == NULL || domain == NULL ||
        out == NULL || max <= 0)
        return PL_EINVAL;
    if (!al_domain_is_local(e, domain) || !al_name_ok(local))
        return PL_OK;
    c = (al_rctx *)calloc(1, sizeof *c);
    if (c == NULL)
        return PL_ENOMEM;
    c->e = e;
    c->out = out;
    c->max = max;
    c->t = al_map_acquire(e->map, e->db);
    r = al_resolve_addr(c, local, domain);
    al_map_release(e->map, (al_table *)c->t);
    au_account_wipe(&c->acct);
    *n = c->n;
    free(c);
    if (r == AL_I_RANGE) {
        *n = 0;
        return PL_ERANGE;
    }
    if (r != AL_OK)
        *n = 0;
    *result = r;
    return PL_OK;
}
