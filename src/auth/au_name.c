/*
 * au_name.c - account names: parsing client addresses, the whitelist, the
 * reversible mapping to ODS-2 simple names, forwarding targets, flag names.
 *
 * Why a whitelist and a map: a client's user name must never reach a file
 * name except through a function that can only emit A-Z 0-9 _ (DESIGN.md,
 * Security).  The names accepted are deliberately narrower than RFC 5321:
 *   user:   [a-z0-9] runs joined by single '.', '-' or '_', starting and
 *           ending with a letter or digit, at most AU_USER_MAX.
 *   domain: labels of [a-z0-9-] (not starting or ending with '-') joined
 *           by single '.', at least two labels, at most AU_DOMAIN_MAX.
 * Upper case input is folded, so names are case-insensitive as in PMDF.
 * The map upper-cases letters and writes '.' as "_", '-' as "__" and '_'
 * as "___"; since separators never touch in a user name (and '.' never
 * touches '-' in a domain) each run of underscores decodes uniquely.  A
 * name is valid only if its mapped form fits PL_NAME_MAX (39) characters.
 * Limits: ASCII only; no quoted local parts, no address literals, no
 * '+' details (the SMTP layer strips those before lookup).
 * Privilege: none; pure computation.
 */
#include <string.h>
#include "au.h"
#include "ut_str.h"

static int au_is_lower_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int au_is_sep_user(int c)
{
    return c == '.' || c == '-' || c == '_';
}

/* Map a name over an alphabet where sep chars become runs of '_'. */
static int au_map(const char *s, char *out, size_t n)
{
    size_t o = 0;
    size_t k;
    size_t run;

    for (; *s != '\0'; s++) {
        if (au_is_lower_alnum((unsigned char)*s)) {
            if (o + 1 >= n)
                return PL_ERANGE;
            out[o++] = (char)ut_toupper((unsigned char)*s);
            continue;
        }
        run = (*s == '.') ? 1 : (*s == '-') ? 2 : 3;
        if (o + run >= n)
            return PL_ERANGE;
        for (k = 0; k < run; k++)
            out[o++] = '_';
    }
    out[o] = '\0';
    return PL_OK;
}

int au_name_check_user(const char *user)
{
    size_t i;
    size_t len;
    char mapped[PL_NAME_MAX + 1];

    if (user == NULL)
        return PL_EINVAL;
    len = strlen(user);
    if (len == 0 || len > AU_USER_MAX)
        return PL_EINVAL;
    for (i = 0; i < len; i++) {
        int c = (unsigned char)user[i];
        if (au_is_lower_alnum(c))
            continue;
        if (!au_is_sep_user(c))
            return PL_EINVAL;
        /* a separator needs a letter or digit on both sides */
        if (i == 0 || i + 1 == len ||
            !au_is_lower_alnum((unsigned char)user[i - 1]) ||
            !au_is_lower_alnum((unsigned char)user[i + 1]))
            return PL_EINVAL;
    }
    if (au_map(user, mapped, sizeof mapped) != PL_OK)
        return PL_EINVAL;
    return pl_name_check(mapped, 0) == PL_OK ? PL_OK : PL_EINVAL;
}

int au_name_check_domain(const char *domain)
{
    size_t i;
    size_t len;
    size_t label = 0;       /* length of the current label */
    int labels = 1;
    char mapped[PL_NAME_MAX + 1];

    if (domain == NULL)
        return PL_EINVAL;
    len = strlen(domain);
    if (len == 0 || len > AU_DOMAIN_MAX)
        return PL_EINVAL;
    for (i = 0; i < len; i++) {
        int c = (unsigned char)domain[i];
        if (au_is_lower_alnum(c)) {
            label++;
        } else if (c == '-') {
            /* RFC 952/1123: a label neither starts nor ends with '-' */
            if (label == 0 || i + 1 == len || domain[i + 1] == '.')
                return PL_EINVAL;
            label++;
        } else if (c == '.') {
            if (label == 0 || i + 1 == len)
                return PL_EINVAL;
            label = 0;
            labels++;
        } else {
            return PL_EINVAL;
        }
        if (label > 63)
            return PL_EINVAL;
    }
    /* a single label ("localhost", "..") is not a mail domain here */
    if (labels < 2)
        return PL_EINVAL;
    if (au_map(domain, mapped, sizeof mapped) != PL_OK)
        return PL_EINVAL;
    return pl_name_check(mapped, 0) == PL_OK ? PL_OK : PL_EINVAL;
}

int au_name_map_user(const char *user, char *out, size_t n)
{
    if (au_name_check_user(user) != PL_OK)
        return PL_EINVAL;
    return au_map(user, out, n);
}

int au_name_map_domain(const char *domain, char *out, size_t n)
{
    if (au_name_check_domain(domain) != PL_OK)
        return PL_EINVAL;
    return au_map(domain, out, n);
}

/* Decode runs of '_' by length; is_domain allows only 1 ('.') and even
 * runs ('-' each pair, for "xn--"); the result is re-checked by the
 * caller, so an odd or impossible run is simply refused. */
static int au_unmap(const char *m, char *out, size_t n, int is_domain)
{
    size_t o = 0;
    size_t run;

    if (pl_name_check(m, 0) != PL_OK)
        return PL_EINVAL;
    while (*m != '\0') {
        if (*m != '_') {
            int c = (unsigned char)*m;
            if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
                return PL_EINVAL;
            if (o + 1 >= n)
                return PL_ERANGE;
            out[o++] = (char)ut_tolower(c);
            m++;
            continue;
        }
        for (run = 0; m[run] == '_'; run++)
            ;
        m += run;
        if (is_domain) {
            if (run == 1) {
                if (o + 1 >= n)
                    return PL_ERANGE;
                out[o++] = '.';
            } else if (run % 2 == 0) {
                size_t k;
                if (o + run / 2 >= n)
                    return PL_ERANGE;
                for (k = 0; k < run / 2; k++)
                    out[o++] = '-';
            } else {
                return PL_EINVAL;
            }
        } else {
            if (run > 3)
                return PL_EINVAL;
            if (o + 1 >= n)
                return PL_ERANGE;
            out[o++] = run == 1 ? '.' : run == 2 ? '-' : '_';
        }
    }
    out[o] = '\0';
    return PL_OK;
}

int au_name_unmap_user(const char *mapped, char *out, size_t n)
{
    int rc = au_unmap(mapped, out, n, 0);
    if (rc != PL_OK)
        return rc;
    return au_name_check_user(out);
}

int au_name_unmap_domain(const char *mapped, char *out, size_t n)
{
    int rc = au_unmap(mapped, out, n, 1);
    if (rc != PL_OK)
        return rc;
    return au_name_check_domain(out);
}

int au_addr_parse(const char *s, size_t n, const char *def_domain,
                  char user[AU_USER_MAX + 1], char domain[AU_DOMAIN_MAX + 1])
{
    size_t i;
    size_t at = n;          /* index of the '@', n if none */

    if (s == NULL || n == 0 || n >= AU_ADDR_MAX)
        return PL_EINVAL;
    /* Fold and whitelist in one pass over the raw bytes, so a NUL, CR, a
     * path or a VMS device spec is refused before any other step. */
    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '@') {
            if (at != n)
                return PL_EINVAL;
            at = i;
            continue;
        }
        c = ut_tolower(c);
        if (!au_is_lower_alnum(c) && c != '.' && c != '-' && c != '_')
            return PL_EINVAL;
    }
    if (at == 0 || at + 1 == n || at > AU_USER_MAX)
        return PL_EINVAL;
    for (i = 0; i < at; i++)
        user[i] = (char)ut_tolower((unsigned char)s[i]);
    user[at] = '\0';
    if (au_name_check_user(user) != PL_OK)
        return PL_EINVAL;
    if (at == n) {
        if (def_domain == NULL || def_domain[0] == '\0')
            return PL_EINVAL;
        if (ut_strlcpy(domain, def_domain, AU_DOMAIN_MAX + 1) != PL_OK)
            return PL_EINVAL;
    } else {
        size_t dl = n - at - 1;
        if (dl > AU_DOMAIN_MAX)
            return PL_EINVAL;
        for (i = 0; i < dl; i++)
            domain[i] = (char)ut_tolower((unsigned char)s[at + 1 + i]);
        domain[dl] = '\0';
    }
    if (au_name_check_domain(domain) != PL_OK)
        return PL_EINVAL;
    return PL_OK;
}

/* Characters allowed in a forwarding target's local part: RFC 5322 atext
 * minus everything a relay or shell ever read as routing or syntax. */
static int au_fwd_local_ok(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
           c == '+' || c == '=';
}

int au_fwd_check(char *addr)
{
    size_t len;
    size_t i;
    char *at;

    if (addr == NULL)
        return PL_EINVAL;
    len = strlen(addr);
    if (len == 0 || len > AU_FWD_ADDR_MAX)
        return PL_EINVAL;
    at = strchr(addr, '@');
    if (at == NULL || at == addr || strchr(at + 1, '@') != NULL)
        return PL_EINVAL;
    if ((size_t)(at - addr) > AU_USER_MAX)
        return PL_EINVAL;
    for (i = 0; addr + i < at; i++) {
        if (!au_fwd_local_ok((unsigned char)addr[i]))
            return PL_EINVAL;
    }
    if (addr[0] == '.' || at[-1] == '.' || strstr(addr, "..") != NULL)
        return PL_EINVAL;
    for (i = 1; at[i] != '\0'; i++)
        at[i] = (char)ut_tolower((unsigned char)at[i]);
    /* remote domains follow the same hostname rule, but their mapped form
     * is irrelevant, so check labels here rather than with the map */
    {
        const char *d = at + 1;
        size_t label = 0;
        int labels = 1;
        size_t dl = strlen(d);
        if (dl == 0 || dl > AU_DOMAIN_MAX)
            return PL_EINVAL;
        for (i = 0; i < dl; i++) {
            int c = (unsigned char)d[i];
            if (au_is_lower_alnum(c)) {
                label++;
            } else if (c == '-') {
                if (label == 0 || i + 1 == dl || d[i + 1] == '.')
                    return PL_EINVAL;
                label++;
            } else if (c == '.') {
                if (label == 0 || i + 1 == dl)
                    return PL_EINVAL;
                label = 0;
                labels++;
            } else {
                return PL_EINVAL;
            }
            if (label > 63)
                return PL_EINVAL;
        }
        if (labels < 2)
            return PL_EINVAL;
    }
    return PL_OK;
}

static const struct {
    const char *name;
    unsigned bit;
} au_flag_names[] = {
    { "DISUSER", AU_F_DISUSER },
    { "DISMAIL", AU_F_DISMAIL },
    { "LOCKPWD", AU_F_LOCKPWD },
    { "PWDEXPIRED", AU_F_PWDEXPIRED },
    { "MANAGE", AU_F_MANAGE },
    { "AUTO_PURGE", AU_F_AUTO_PURGE },
    { "APOP", AU_F_APOP },
    { "CRAM_MD5", AU_F_CRAM }
};

#define AU_NFLAGS (sizeof au_flag_names / sizeof au_flag_names[0])

int au_flags_parse(const char *s, unsigned *flags)
{
    unsigned f = 0;
    size_t i;

    if (s == NULL || flags == NULL)
        return PL_EINVAL;
    while (*s != '\0') {
        const char *e = strchr(s, ',');
        size_t len = e != NULL ? (size_t)(e - s) : strlen(s);
        int found = 0;
        for (i = 0; i < AU_NFLAGS; i++) {
            if (strlen(au_flag_names[i].name) == len &&
                ut_strncaseeq(s, au_flag_names[i].name, len)) {
                f |= au_flag_names[i].bit;
                found = 1;
                break;
            }
        }
        if (!found)
            return PL_EINVAL;
        if (e == NULL)
            break;
        s = e + 1;
        if (*s == '\0')
            return PL_EINVAL;   /* trailing comma */
    }
    *flags = f;
    return PL_OK;
}

int au_flags_format(unsigned flags, char *out, size_t n)
{
    size_t i;

    if (out == NULL || n == 0)
        return PL_EINVAL;
    out[0] = '\0';
    if ((flags & ~(unsigned)AU_F_ALL) != 0)
        return PL_EINVAL;
    for (i = 0; i < AU_NFLAGS; i++) {
        if ((flags & au_flag_names[i].bit) == 0)
            continue;
        if (out[0] != '\0' && ut_strlcat(out, ",", n) != PL_OK)
            return PL_ERANGE;
        if (ut_strlcat(out, au_flag_names[i].name, n) != PL_OK)
            return PL_ERANGE;
    }
    return PL_OK;
}
