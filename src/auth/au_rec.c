/*
 * au_rec.c - the account record text: format, strict parse, checksum.
 *
 * A record is "key=value" lines in printable ASCII (0x20-0x7E) ending in
 * LF, starting with "newmail-account 1" and ending with "crc=XXXXXXXX",
 * the CRC-32 of every byte before that line (doc/accounts-format.md).
 * Values are written only from validated fields and binary data is base64
 * or hex, so no field can carry CR, LF or NUL; the parser refuses any such
 * byte anyway, plus unknown or repeated keys, out-of-range numbers and a
 * missing or wrong checksum (a truncated or edited file).
 * Limits: AU_REC_MAX bytes; AU_FWD_MAX forwarding lines.
 * Privilege: none; pure computation on buffers.
 */
#include <string.h>
#include <stdio.h>
#include "au_int.h"
#include "ut_str.h"
#include "ut_code.h"

#define AU_REC_MAGIC "newmail-account 1\n"
#define AU_I64_MAXV  ((pl_u64)0x7FFFFFFFFFFFFFFFULL)

void au_account_init(au_account *a, const char *user, const char *domain)
{
    memset(a, 0, sizeof *a);
    if (user != NULL)
        (void)ut_strlcpy(a->user, user, sizeof a->user);
    if (domain != NULL)
        (void)ut_strlcpy(a->domain, domain, sizeof a->domain);
}

void au_account_wipe(au_account *a)
{
    ut_wipe(&a->cred, sizeof a->cred);
}

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32) computed bitwise: the
 * records are small and this keeps au_rec.c free of zlib and OpenSSL. */
pl_u32 au_crc32(const char *p, size_t n)
{
    pl_u32 c = 0xFFFFFFFFu;
    size_t i;
    int k;

    for (i = 0; i < n; i++) {
        c ^= (unsigned char)p[i];
        for (k = 0; k < 8; k++)
            c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : (c >> 1);
    }
    return c ^ 0xFFFFFFFFu;
}

/* Append "key=value\n"; values here are already validated text. */
static int au_put(char *buf, size_t n, size_t *o, const char *key,
                  const char *val)
{
    size_t kl = strlen(key);
    size_t vl = strlen(val);

    if (*o + kl + vl + 2 >= n)
        return PL_ERANGE;
    memcpy(buf + *o, key, kl);
    buf[*o + kl] = '=';
    memcpy(buf + *o + kl + 1, val, vl);
    buf[*o + kl + 1 + vl] = '\n';
    *o += kl + vl + 2;
    buf[*o] = '\0';
    return PL_OK;
}

static int au_put_u64(char *buf, size_t n, size_t *o, const char *key,
                      pl_u64 v)
{
    char num[24];
    (void)ut_u64_to_dec(num, v);
    return au_put(buf, n, o, key, num);
}

static int au_put_time(char *buf, size_t n, size_t *o, const char *key,
                       pl_i64 t)
{
    return au_put_u64(buf, n, o, key, t < 0 ? 0 : (pl_u64)t);
}

/* "b64:b64[:b64]" style fields of the credentials */
static int au_b64_field(char *dst, size_t dn, const char *prefix,
                        const pl_u8 *const *parts, const size_t *lens,
                        int nparts)
{
    size_t o;
    int i;
    size_t got;

    if (ut_strlcpy(dst, prefix, dn) != PL_OK)
        return PL_ERANGE;
    o = strlen(dst);
    for (i = 0; i < nparts; i++) {
        if (o + 1 >= dn)
            return PL_ERANGE;
        dst[o++] = ':';
        if (ut_b64_encode(parts[i], lens[i], dst + o, dn - o, &got) != PL_OK)
            return PL_ERANGE;
        o += got;
    }
    dst[o] = '\0';
    return PL_OK;
}

int au_rec_format(const au_account *a, char *buf, size_t n, size_t *len)
{
    size_t o = 0;
    char tmp[1024];
    char fwd[AU_FWD_ADDR_MAX + 1];
    int i;
    int rc;
    const pl_u8 *parts[3];
    size_t lens[3];
    const au_cred *c = &a->cred;

    if (au_name_check_user(a->user) != PL_OK ||
        au_name_check_domain(a->domain) != PL_OK ||
        a->fwd_n < 0 || a->fwd_n > AU_FWD_MAX ||
        (a->flags & ~(unsigned)AU_F_ALL) != 0 ||
        c->secret_len > AU_PASS_MAX)
        return PL_EINVAL;
    if (n < sizeof AU_REC_MAGIC)
        return PL_ERANGE;
    memcpy(buf, AU_REC_MAGIC, sizeof AU_REC_MAGIC);
    o = sizeof AU_REC_MAGIC - 1;
    rc = au_put(buf, n, &o, "user", a->user);
    if (rc == PL_OK)
        rc = au_put(buf, n, &o, "domain", a->domain);
    if (rc == PL_OK)
        rc = au_flags_format(a->flags, tmp, sizeof tmp);
    if (rc == PL_OK)
        rc = au_put(buf, n, &o, "flags", tmp);
    if (rc == PL_OK)
        rc = au_put_u64(buf, n, &o, "quota", a->quota);
    if (rc == PL_OK)
        rc = au_put_u64(buf, n, &o, "overdraft", a->overdraft);
    if (rc == PL_OK)
        rc = au_put(buf, n, &o, "fwd_keep", a->fwd_keep ? "1" : "0");
    for (i = 0; rc == PL_OK && i < a->fwd_n; i++) {
        if (ut_strlcpy(fwd, a->fwd[i], sizeof fwd) != PL_OK ||
            au_fwd_check(fwd) != PL_OK)
            return PL_EINVAL;
        rc = au_put(buf, n, &o, "fwd", fwd);
    }
    if (rc == PL_OK)
        rc = au_put_u64(buf, n, &o, "rx_msgs", a->rx_msgs);
    if (rc == PL_OK)
        rc = au_put_u64(buf, n, &o, "rx_bytes", a->rx_bytes);
    if (rc == PL_OK)
        rc = au_put_u64(buf, n, &o, "connects", a->connects);
    if (rc == PL_OK)
        rc = au_put_time(buf, n, &o, "last_connect", a->last_connect);
    if (rc == PL_OK)
        rc = au_put_time(buf, n, &o, "last_disconnect", a->last_disconnect);
    if (rc == PL_OK)
        rc = au_put_time(buf, n, &o, "created", a->created);
    if (rc == PL_OK)
        rc = au_put_time(buf, n, &o, "pwd_changed", a->pwd_changed);
    if (rc == PL_OK && (c->have & AU_C_PBKDF2) != 0) {
        char pre[16];
        (void)ut_u64_to_dec(pre, c->pw_iter);
        parts[0] = c->pw_salt; lens[0] = AU_SALT_LEN;
        parts[1] = c->pw_hash; lens[1] = AU_SHA256_LEN;
        rc = au_b64_field(tmp, sizeof tmp, pre, parts, lens, 2);
        if (rc == PL_OK)
            rc = au_put(buf, n, &o, "pbkdf2_sha256", tmp);
    }
    if (rc == PL_OK && (c->have & AU_C_SCRAM) != 0) {
        char pre[16];
        (void)ut_u64_to_dec(pre, c->sc_iter);
        parts[0] = c->sc_salt; lens[0] = AU_SALT_LEN;
        parts[1] = c->sc_stored; lens[1] = AU_SHA256_LEN;
        parts[2] = c->sc_server; lens[2] = AU_SHA256_LEN;
        rc = au_b64_field(tmp, sizeof tmp, pre, parts, lens, 3);
        if (rc == PL_OK)
            rc = au_put(buf, n, &o, "scram_sha256", tmp);
    }
    if (rc == PL_OK && (c->have & AU_C_DIGEST) != 0) {
        rc = ut_hex_encode(c->dg_ha1, AU_MD5_LEN, tmp, sizeof tmp);
        if (rc == PL_OK)
            rc = au_put(buf, n, &o, "digest_md5", tmp);
    }
    /* the plaintext-equivalent secret lives only while a mechanism that
     * needs it is enabled */
    if (rc == PL_OK && (c->have & AU_C_SECRET) != 0 &&
        (a->flags & (AU_F_APOP | AU_F_CRAM)) != 0) {
        size_t got;
        rc = ut_b64_encode(c->secret, c->secret_len, tmp, sizeof tmp, &got);
        if (rc == PL_OK)
            rc = au_put(buf, n, &o, "secret", tmp);
    }
    ut_wipe(tmp, sizeof tmp);
    if (rc != PL_OK)
        return rc;
    {
        char crc[16];
        sprintf(crc, "%08lx", (unsigned long)au_crc32(buf, o));
        rc = au_put(buf, n, &o, "crc", crc);
        if (rc != PL_OK)
            return rc;
    }
    *len = o;
    return PL_OK;
}

/* ---------------- parse ---------------- */

static void au_err(char *err, size_t errn, const char *msg, int line)
{
    if (err == NULL || errn == 0)
        return;
    if (line > 0 && errn >= 80)
        sprintf(err, "line %d: %.60s", line, msg);
    else
        (void)ut_strlcpy(err, msg, errn);
}

/* Decode exactly want bytes of base64 from s (len chars). */
static int au_b64_exact(const char *s, size_t len, pl_u8 *out, size_t want)
{
    pl_u8 tmp[64];
    size_t got;

    if (want > sizeof tmp ||
        ut_b64_decode(s, len, tmp, sizeof tmp, &got) != PL_OK ||
        got != want)
        return PL_EINVAL;
    memcpy(out, tmp, want);
    ut_wipe(tmp, sizeof tmp);
    return PL_OK;
}

/* Split v at ':' into up to max fields; PL_EINVAL unless exactly want. */
static int au_split(const char *v, size_t vl, const char **f, size_t *fl,
                    int want)
{
    int k = 0;
    size_t start = 0;
    size_t i;

    for (i = 0; i <= vl; i++) {
        if (i == vl || v[i] == ':') {
            if (k == want)
                return PL_EINVAL;
            f[k] = v + start;
            fl[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    return k == want ? PL_OK : PL_EINVAL;
}

/* Key identifiers, and which must appear. */
enum {
    K_USER, K_DOMAIN, K_FLAGS, K_QUOTA, K_OVERDRAFT, K_FWD_KEEP, K_FWD,
    K_RX_MSGS, K_RX_BYTES, K_CONNECTS, K_LAST_CONNECT, K_LAST_DISCONNECT,
    K_CREATED, K_PWD_CHANGED, K_PBKDF2, K_SCRAM, K_DIGEST, K_SECRET, K_N
};

static const char *const au_keys[K_N] = {
    "user", "domain", "flags", "quota", "overdraft", "fwd_keep", "fwd",
    "rx_msgs", "rx_bytes", "connects", "last_connect", "last_disconnect",
    "created", "pwd_changed", "pbkdf2_sha256", "scram_sha256", "digest_md5",
    "secret"
};

/* bit set of keys that every record carries */
#define AU_REQUIRED ((1UL << K_USER) | (1UL << K_DOMAIN) | \
    (1UL << K_FLAGS) | (1UL << K_QUOTA) | (1UL << K_OVERDRAFT) | \
    (1UL << K_FWD_KEEP) | (1UL << K_RX_MSGS) | (1UL << K_RX_BYTES) | \
    (1UL << K_CONNECTS) | (1UL << K_LAST_CONNECT) | \
    (1UL << K_LAST_DISCONNECT) | (1UL << K_CREATED) | \
    (1UL << K_PWD_CHANGED))

static int au_field(au_account *a, int key, const char *v, size_t vl)
{
    char tmp[AU_FWD_ADDR_MAX + 1];
    pl_u64 num;
    const char *f[3];
    size_t fl[3];
    au_cred *c = &a->cred;

    switch (key) {
    case K_USER:
        if (ut_memtostr(a->user, sizeof a->user, v, vl) != PL_OK)
            return PL_EINVAL;
        return au_name_check_user(a->user);
    case K_DOMAIN:
        if (ut_memtostr(a->domain, sizeof a->domain, v, vl) != PL_OK)
            return PL_EINVAL;
        return au_name_check_domain(a->domain);
    case K_FLAGS:
        if (ut_memtostr(tmp, sizeof tmp, v, vl) != PL_OK)
            return PL_EINVAL;
        return au_flags_parse(tmp, &a->flags);
    case K_FWD:
        if (a->fwd_n >= AU_FWD_MAX ||
            ut_memtostr(tmp, sizeof tmp, v, vl) != PL_OK ||
            au_fwd_check(tmp) != PL_OK)
            return PL_EINVAL;
        memcpy(a->fwd[a->fwd_n], tmp, sizeof tmp);
        a->fwd_n++;
        return PL_OK;
    case K_FWD_KEEP:
        if (vl != 1 || (v[0] != '0' && v[0] != '1'))
            return PL_EINVAL;
        a->fwd_keep = v[0] == '1';
        return PL_OK;
    case K_PBKDF2:
        if (au_split(v, vl, f, fl, 3) != PL_OK ||
            ut_parse_u64(f[0], fl[0], AU_PBKDF2_MAX, &num) != PL_OK ||
            num < AU_PBKDF2_MIN ||
            au_b64_exact(f[1], fl[1], c->pw_salt, AU_SALT_LEN) != PL_OK ||
            au_b64_exact(f[2], fl[2], c->pw_hash, AU_SHA256_LEN) != PL_OK)
            return PL_EINVAL;
        c->pw_iter = (pl_u32)num;
        c->have |= AU_C_PBKDF2;
        return PL_OK;
    case K_SCRAM:
        {
            const char *g[4];
            size_t gl[4];
            if (au_split(v, vl, g, gl, 4) != PL_OK ||
                ut_parse_u64(g[0], gl[0], AU_PBKDF2_MAX, &num) != PL_OK ||
                num < AU_SCRAM_MIN ||
                au_b64_exact(g[1], gl[1], c->sc_salt, AU_SALT_LEN) != PL_OK ||
                au_b64_exact(g[2], gl[2], c->sc_stored, AU_SHA256_LEN)
                    != PL_OK ||
                au_b64_exact(g[3], gl[3], c->sc_server, AU_SHA256_LEN)
                    != PL_OK)
                return PL_EINVAL;
        }
        c->sc_iter = (pl_u32)num;
        c->have |= AU_C_SCRAM;
        return PL_OK;
    case K_DIGEST:
        {
            size_t got;
            if (vl != 2 * AU_MD5_LEN ||
                ut_hex_decode(v, vl, c->dg_ha1, AU_MD5_LEN, &got) != PL_OK ||
                got != AU_MD5_LEN)
                return PL_EINVAL;
        }
        c->have |= AU_C_DIGEST;
        return PL_OK;
    case K_SECRET:
        {
            size_t got;
            if (ut_b64_decode(v, vl, c->secret, AU_PASS_MAX, &got) != PL_OK
                || got == 0 || memchr(c->secret, '\0', got) != NULL)
                return PL_EINVAL;
            c->secret[got] = '\0';
            c->secret_len = got;
        }
        c->have |= AU_C_SECRET;
        return PL_OK;
    default:
        break;
    }
    /* the rest are decimal numbers */
    if (ut_parse_u64(v, vl, AU_I64_MAXV, &num) != PL_OK)
        return PL_EINVAL;
    switch (key) {
    case K_QUOTA: a->quota = num; break;
    case K_OVERDRAFT: a->overdraft = num; break;
    case K_RX_MSGS: a->rx_msgs = num; break;
    case K_RX_BYTES: a->rx_bytes = num; break;
    case K_CONNECTS: a->connects = num; break;
    case K_LAST_CONNECT: a->last_connect = (pl_i64)num; break;
    case K_LAST_DISCONNECT: a->last_disconnect = (pl_i64)num; break;
    case K_CREATED: a->created = (pl_i64)num; break;
    case K_PWD_CHANGED: a->pwd_changed = (pl_i64)num; break;
    default: return PL_EINVAL;
    }
    return PL_OK;
}

int au_rec_parse(const char *buf, size_t len, au_account *a,
                 char *err, size_t errn)
{
    size_t i;
    size_t body;            /* bytes before the crc line */
    size_t pos;
    unsigned long seen = 0;
    int line = 1;
    char crc[16];

    au_account_init(a, NULL, NULL);
    if (len > AU_REC_MAX) {
        au_err(err, errn, "record too large", 0);
        return PL_EIO;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\n')
            continue;
        if (c < 0x20 || c > 0x7E) {
            au_err(err, errn, c == '\0' ? "NUL byte" :
                   c == '\r' ? "CR byte" : "control or 8-bit byte", 0);
            return PL_EIO;
        }
    }
    if (len < sizeof AU_REC_MAGIC - 1 ||
        memcmp(buf, AU_REC_MAGIC, sizeof AU_REC_MAGIC - 1) != 0) {
        au_err(err, errn, "not an account record (bad first line)", 0);
        return PL_EIO;
    }
    /* the last line must be "crc=XXXXXXXX\n": finds truncation */
    if (len < 13 + sizeof AU_REC_MAGIC - 1 || buf[len - 1] != '\n' ||
        memcmp(buf + len - 13, "crc=", 4) != 0 || buf[len - 14] != '\n') {
        au_err(err, errn, "truncated record (no checksum line)", 0);
        return PL_EIO;
    }
    body = len - 13;
    sprintf(crc, "%08lx", (unsigned long)au_crc32(buf, body));
    if (memcmp(crc, buf + body + 4, 8) != 0) {
        au_err(err, errn, "checksum mismatch", 0);
        return PL_EIO;
    }
    pos = sizeof AU_REC_MAGIC - 1;
    while (pos < body) {
        const char *ln = buf + pos;
        const char *nl = memchr(ln, '\n', body - pos);
        const char *eq;
        size_t ll;
        int k;

        line++;
        if (nl == NULL) {
            au_err(err, errn, "unterminated line", line);
            return PL_EIO;
        }
        ll = (size_t)(nl - ln);
        eq = memchr(ln, '=', ll);
        if (eq == NULL) {
            au_err(err, errn, "line without '='", line);
            return PL_EIO;
        }
        for (k = 0; k < K_N; k++) {
            if (strlen(au_keys[k]) == (size_t)(eq - ln) &&
                memcmp(au_keys[k], ln, (size_t)(eq - ln)) == 0)
                break;
        }
        if (k == K_N) {
            au_err(err, errn, "unknown key", line);
            return PL_EIO;
        }
        if (k != K_FWD && (seen & (1UL << k)) != 0) {
            au_err(err, errn, "repeated key", line);
            return PL_EIO;
        }
        seen |= 1UL << k;
        if (au_field(a, k, eq + 1, ll - (size_t)(eq + 1 - ln)) != PL_OK) {
            au_account_wipe(a);
            au_err(err, errn, "invalid value", line);
            return PL_EIO;
        }
        pos += ll + 1;
    }
    if ((seen & AU_REQUIRED) != AU_REQUIRED) {
        au_account_wipe(a);
        au_err(err, errn, "missing key", 0);
        return PL_EIO;
    }
    return PL_OK;
}
