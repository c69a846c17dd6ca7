/*
 * st_name.c - popstore names: mailbox addresses and folder names mapped to
 * simple directory names through a whitelist, unique ids, and the names of
 * message files.
 *
 * Limits: local part 1..ST_LOCAL_MAX of A-Z a-z 0-9 . - _ + (no leading,
 * trailing or doubled dot); domain 1..ST_DOMAIN_MAX, dot-separated labels
 * of A-Z a-z 0-9 - (1..63 each).  Everything else is PL_EINVAL before any
 * file is touched: no client byte ever reaches pl_dir_open unmapped.  The
 * mapping is documented in doc/store-format.md.
 * Privilege: none (pure computation, plus pl_random/pl_hostname).
 */
#include <string.h>
#include <openssl/sha.h>
#include "st_int.h"
#include "ut_str.h"

static const char st_b36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

static int st_is_alnum(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9');
}

/* Append the escape of c to out at *o (room checked by the caller's
 * fixed buffer: at most 2 * 255 + 1). */
static void st_map_char(int c, char *out, size_t *o)
{
    switch (c) {
    case '_': out[(*o)++] = '_'; out[(*o)++] = '_'; break;
    case '.': out[(*o)++] = '_'; out[(*o)++] = 'D'; break;
    case '-': out[(*o)++] = '_'; out[(*o)++] = 'H'; break;
    case '+': out[(*o)++] = '_'; out[(*o)++] = 'P'; break;
    default:  out[(*o)++] = (char)ut_toupper(c); break;
    }
}

/* Map a validated part to a simple name; long results become
 * prefix + "_X" + 24 hex digits of SHA-256 of the upper-cased part, which
 * no short mapping can produce ("_X" is not an escape). */
static int st_map_part(const char *p, size_t n, char *out)
{
    char tmp[2 * ST_DOMAIN_MAX + 2];
    char up[ST_DOMAIN_MAX + 1];
    unsigned char md[SHA256_DIGEST_LENGTH];
    size_t i, o = 0, cut = 0;

    for (i = 0; i < n; i++) {
        st_map_char((unsigned char)p[i], tmp, &o);
        if (o <= ST_HASH_PREFIX)
            cut = o;           /* the prefix never splits an escape */
    }
    if (o <= PL_NAME_MAX) {
        memcpy(out, tmp, o);
        out[o] = '\0';
        return pl_name_check(out, 0);
    }
    for (i = 0; i < n; i++)
        up[i] = (char)ut_toupper((unsigned char)p[i]);
    SHA256((const unsigned char *)up, n, md);
    memcpy(out, tmp, cut);
    out[cut] = '_';
    out[cut + 1] = 'X';
    for (i = 0; i < 12; i++) {
        out[cut + 2 + 2 * i] = st_b36[md[i] >> 4];
        out[cut + 3 + 2 * i] = st_b36[md[i] & 15];
    }
    out[cut + 26] = '\0';
    return pl_name_check(out, 0);
}

static int st_local_ok(const char *p, size_t n)
{
    size_t i;

    if (n < 1 || n > ST_LOCAL_MAX || p[0] == '.' || p[n - 1] == '.')
        return 0;
    for (i = 0; i < n; i++) {
        int c = (unsigned char)p[i];
        if (c == '.' && p[i + 1] == '.')
            return 0;
        if (!st_is_alnum(c) && c != '.' && c != '-' && c != '_' && c != '+')
            return 0;
    }
    return 1;
}

static int st_domain_ok(const char *p, size_t n)
{
    size_t i, label = 0;

    if (n < 1 || n > ST_DOMAIN_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        int c = (unsigned char)p[i];
        if (c == '.') {
            if (label == 0 || p[i - 1] == '-')
                return 0;
            label = 0;
        } else if (st_is_alnum(c) || c == '-') {
            if (label == 0 && c == '-')
                return 0;
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return label > 0 && p[n - 1] != '-';
}

int st_name_mailbox(const char *addr, size_t len, const char *default_domain,
                    char *dom, char *user)
{
    const char *at = NULL, *d;
    size_t i, ln, dn;

    if (addr == NULL || dom == NULL || user == NULL)
        return PL_EINVAL;
    for (i = 0; i < len; i++) {
        if (addr[i] == '\0')
            return PL_EINVAL;          /* embedded NUL */
        if (addr[i] == '@')
            at = addr + i;             /* the last '@' splits */
    }
    if (at != NULL) {
        ln = (size_t)(at - addr);
        d = at + 1;
        dn = len - ln - 1;
    } else {
        if (default_domain == NULL)
            return PL_EINVAL;
        ln = len;
        d = default_domain;
        dn = strlen(default_domain);
    }
    if (!st_local_ok(addr, ln) || !st_domain_ok(d, dn))
        return PL_EINVAL;
    if (st_map_part(d, dn, dom) != PL_OK ||
        st_map_part(addr, ln, user) != PL_OK)
        return PL_EINVAL;
    return PL_OK;
}

int st_name_folder(const char *name, size_t len, char *canon)
{
    static const char *const reserved[] = { ST_TMP_DIR, "NEW", "CUR", NULL };
    size_t i;
    int k;

    if (name == NULL || canon == NULL || len < 1 || len > PL_NAME_MAX)
        return PL_EINVAL;
    for (i = 0; i < len; i++) {
        int c = (unsigned char)name[i];
        if (!st_is_alnum(c) && c != '_')
            return PL_EINVAL;
        canon[i] = (char)ut_toupper(c);
    }
    canon[len] = '\0';
    for (k = 0; reserved[k] != NULL; k++)
        if (strcmp(canon, reserved[k]) == 0)
            return PL_EINVAL;
    return pl_name_check(canon, 0);
}

int st_name_id_check(const char *id)
{
    size_t i;

    for (i = 0; id[i] != '\0'; i++) {
        if (i >= ST_ID_MAX)
            return PL_EINVAL;
        if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9')))
            return PL_EINVAL;
    }
    return i > 0 ? PL_OK : PL_EINVAL;
}

/* Write v as exactly w base-36 digits (the high part is dropped). */
static void st_b36_put(char *out, pl_u64 v, int w)
{
    while (w-- > 0) {
        out[w] = st_b36[v % 36];
        v /= 36;
    }
}

void st_nm_node(char *node)
{
    char host[PL_HOST_MAX + 1];
    pl_u32 h = 2166136261u;    /* FNV-1a: spreads similar host names */
    size_t i;

    if (pl_hostname(host, sizeof host) != PL_OK)
        host[0] = '\0';
    for (i = 0; host[i] != '\0'; i++) {
        h ^= (pl_u32)(unsigned char)ut_toupper((unsigned char)host[i]);
        h *= 16777619u;
    }
    st_b36_put(node, h, 4);
    node[4] = '\0';
}

/* Layout (30 characters): seconds (7) microseconds (4) node (4) pid (7)
 * counter (4) random (4).  Seconds first so ids sort by arrival; node and
 * pid separate writers; the counter separates calls within a microsecond;
 * the random part covers clock steps back and node-hash collisions. */
int st_name_new_id(st_store *s, char *id)
{
    pl_i64 secs;
    pl_i32 usec;
    pl_u32 ctr;
    unsigned char rnd[4];
    pl_u32 r;
    int rc;

    rc = pl_random(rnd, sizeof rnd);
    if (rc != PL_OK)
        return rc;
    r = ((pl_u32)rnd[0] << 24) | ((pl_u32)rnd[1] << 16) |
        ((pl_u32)rnd[2] << 8) | rnd[3];
    pl_mutex_lock(s->mu);
    ctr = s->counter++;
    pl_mutex_unlock(s->mu);
    pl_time_now_us(&secs, &usec);
    if (secs < 0)
        secs = 0;
    st_b36_put(id, (pl_u64)secs, 7);
    st_b36_put(id + 7, (pl_u64)usec, 4);
    memcpy(id + 11, s->node, 4);
    st_b36_put(id + 15, pl_pid(), 7);
    st_b36_put(id + 22, ctr, 4);
    st_b36_put(id + 26, r, 4);
    id[30] = '\0';
    return PL_OK;
}

int st_nm_id_time(const char *id, pl_i64 *secs)
{
    pl_i64 v = 0;
    int i;

    if (strlen(id) != 30)
        return PL_EINVAL;
    for (i = 0; i < 7; i++) {
        const char *p = strchr(st_b36, id[i]);
        if (p == NULL || id[i] == '\0')
            return PL_EINVAL;
        v = v * 36 + (pl_i64)(p - st_b36);
    }
    *secs = v;
    return PL_OK;
}

int st_nm_msgfile(const char *id, pl_u64 size, pl_u64 lines, int z,
                  char *out)
{
    char a[21], b[21];
    int rc;

    if (st_name_id_check(id) != PL_OK || size > ST_SIZE_HARD_MAX ||
        lines > ST_SIZE_HARD_MAX)
        return PL_EINVAL;
    a[ut_u64_to_dec(a, size)] = '\0';
    b[ut_u64_to_dec(b, lines)] = '\0';
    rc = ut_strlcpy(out, id, ST_FILE_BUF);
    if (rc == PL_OK) rc = ut_strlcat(out, ".", ST_FILE_BUF);
    if (rc == PL_OK) rc = ut_strlcat(out, a, ST_FILE_BUF);
    if (rc == PL_OK) rc = ut_strlcat(out, "_", ST_FILE_BUF);
    if (rc == PL_OK) rc = ut_strlcat(out, b, ST_FILE_BUF);
    if (rc == PL_OK && z) rc = ut_strlcat(out, "_Z", ST_FILE_BUF);
    if (rc != PL_OK)
        return PL_EINVAL;
    return pl_name_check(out, PL_NAME_TYPE_OK);
}

int st_nm_typed(const char *id, const char *type, char *out)
{
    if (st_name_id_check(id) != PL_OK ||
        ut_strlcpy(out, id, ST_FILE_BUF) != PL_OK ||
        ut_strlcat(out, ".", ST_FILE_BUF) != PL_OK ||
        ut_strlcat(out, type, ST_FILE_BUF) != PL_OK)
        return PL_EINVAL;
    return pl_name_check(out, PL_NAME_TYPE_OK);
}

int st_nm_parse(const char *name, char *id, pl_u64 *size, pl_u64 *lines,
                int *z)
{
    const char *dot = strchr(name, '.'), *t, *us;
    size_t idn, tn;

    if (dot == NULL)
        return PL_EINVAL;
    idn = (size_t)(dot - name);
    if (idn < 1 || idn > ST_ID_MAX)
        return PL_EINVAL;
    memcpy(id, name, idn);
    id[idn] = '\0';
    if (st_name_id_check(id) != PL_OK)
        return PL_EINVAL;
    t = dot + 1;
    tn = strlen(t);
    *z = 0;
    if (tn > 2 && t[tn - 2] == '_' && t[tn - 1] == 'Z') {
        *z = 1;
        tn -= 2;
    }
    us = memchr(t, '_', tn);
    if (us == NULL)
        return PL_EINVAL;
    if (ut_parse_u64(t, (size_t)(us - t), ST_SIZE_HARD_MAX, size) != PL_OK ||
        ut_parse_u64(us + 1, tn - (size_t)(us - t) - 1, ST_SIZE_HARD_MAX,
                     lines) != PL_OK)
        return PL_EINVAL;
    return PL_OK;
}
