/*
 * au.h - popstore accounts: names, the account database, credentials,
 * virtual domains, quota.
 *
 * Contract
 *  - Names: an account is "user@domain".  Both parts are folded to lower
 *    case and checked against a whitelist before anything else happens;
 *    each maps reversibly to an ODS-2 simple name (au_name_map_user,
 *    au_name_map_domain), which is the only way a client's name ever
 *    reaches a file name.  Bare names take the database's default domain.
 *  - Storage: _ACCOUNTS/<DOMAIN>/<USER>.ACC under the store root, one small
 *    text file per account (doc/accounts-format.md), so a lookup costs two
 *    directory opens and one open+read however many accounts exist.
 *    Every rewrite is crash-safe: <USER>.TMP written, synced, put in place
 *    with pl_file_replace, directory synced, all under the account's lock
 *    <USER>.LCK.  A reader sees the old or the new record, never a mix.
 *  - Credentials: a salted PBKDF2-HMAC-SHA256 hash for plaintext
 *    mechanisms (USER/PASS, PLAIN, LOGIN), SCRAM-SHA-256 StoredKey and
 *    ServerKey, DIGEST-MD5 H(user:realm:password); a plaintext-equivalent
 *    secret only when the account enables APOP or CRAM-MD5.  Verification
 *    compares in constant time; an unknown user costs what a wrong password
 *    costs and gets the same answer.
 *  - Limits: names and sizes below (AU_*_MAX); a record is at most
 *    AU_REC_MAX bytes.
 *  - Threads: an au_db is used by one thread at a time (it holds a
 *    directory handle); each thread opens its own, which is cheap.
 *    Processes and threads may share the files freely: writers lock.
 * Privilege: runs as the service account, which owns the store.
 */
#ifndef AU_H
#define AU_H

#include "pl.h"

/* --- limits ------------------------------------------------------- */

/* RFC 5321 4.5.3.1.1: a local part is at most 64 octets; the mapped name
 * must also fit PL_NAME_MAX, which is usually the tighter bound. */
#define AU_USER_MAX     64
/* RFC 1035: 253 characters; PMDF allowed 40 and the mapped name must fit
 * PL_NAME_MAX, so in practice about 39. */
#define AU_DOMAIN_MAX   253
/* user@domain with its NUL. */
#define AU_ADDR_MAX     (AU_USER_MAX + 1 + AU_DOMAIN_MAX + 1)
/* RFC 5321 4.5.3.1.3: a forward path is at most 256 octets with <>. */
#define AU_FWD_ADDR_MAX 254
/* Forwarding targets per account: PMDF-style lists belong to aliases. */
#define AU_FWD_MAX      16
/* A password or secret longer than this is refused (poppassd, AUTH PLAIN
 * fit easily; bounds the PBKDF2 input). */
#define AU_PASS_MAX     256
/* A record file larger than this is corrupt. */
#define AU_REC_MAX      8192

/* PBKDF2-HMAC-SHA256 iterations for new hashes.  Measured on the build
 * machine (AMD EPYC, OpenSSL 3.0): 100000 iterations take 25-40 ms, so
 * one core checks about 30 logins a second; POP3 clients log in every
 * few minutes, each one paying this cost.  OWASP's 600000 (130 ms here)
 * would cut login throughput by six for little gain against an offline
 * attacker who already holds the owner-only store.  The count is stored
 * with each hash, so raising it later needs no migration. */
#define AU_PBKDF2_ITER  100000
/* Accepted range of a stored count: below the floor a record is corrupt or
 * forged; above the ceiling one login could stall a thread for seconds. */
#define AU_PBKDF2_MIN   1000
#define AU_PBKDF2_MAX   10000000
/* SCRAM-SHA-256 iterations for new keys; RFC 7677 4 asks for at least
 * 4096.  Clients pay this per login (the server only at password set). */
#define AU_SCRAM_ITER   10000
#define AU_SCRAM_MIN    4096
#define AU_SALT_LEN     16     /* random salt bytes */
#define AU_SHA256_LEN   32
#define AU_MD5_LEN      16

/* --- flags (PMDF popstore names) ------------------------------------ */

#define AU_F_DISUSER    0x0001  /* may not log in */
#define AU_F_DISMAIL    0x0002  /* receives no mail */
#define AU_F_LOCKPWD    0x0004  /* the user may not change the password */
#define AU_F_PWDEXPIRED 0x0008  /* must change the password before use */
#define AU_F_MANAGE     0x0010  /* may manage other accounts */
#define AU_F_AUTO_PURGE 0x0020  /* WASTEBASKET purged at QUIT */
#define AU_F_APOP       0x0040  /* keep the APOP secret */
#define AU_F_CRAM       0x0080  /* keep the CRAM-MD5 secret */
#define AU_F_ALL        0x00FF

/* --- names (au_name.c) --------------------------------------------- */

/* Parse n bytes of s (may hold a NUL, which is refused) as "user@domain"
 * or a bare "user" (then def_domain, which may be NULL: PL_EINVAL).  Folds
 * to lower case; PL_EINVAL for anything outside the whitelist (see
 * doc/accounts-format.md): '%', '!', quotes, source routes, paths. */
int au_addr_parse(const char *s, size_t n, const char *def_domain,
                  char user[AU_USER_MAX + 1], char domain[AU_DOMAIN_MAX + 1]);

/* PL_OK if user / domain (NUL-terminated, already lower case) are valid
 * names whose mapped forms fit PL_NAME_MAX; PL_EINVAL otherwise. */
int au_name_check_user(const char *user);
int au_name_check_domain(const char *domain);

/* Map a valid user or domain to its ODS-2 simple name ("first.last" ->
 * "FIRST_LAST", "my-host.example.org" -> "MY__HOST_EXAMPLE_ORG") into out
 * (at least PL_NAME_MAX + 1).  Reversible; the store may use it for
 * mailbox directories.  PL_EINVAL for an invalid name. */
int au_name_map_user(const char *user, char *out, size_t n);
int au_name_map_domain(const char *domain, char *out, size_t n);

/* The reverse: a simple name made by the maps back to the name;
 * PL_EINVAL for a name no map produces. */
int au_name_unmap_user(const char *mapped, char *out, size_t n);
int au_name_unmap_domain(const char *mapped, char *out, size_t n);

/* Check a forwarding target "local@domain.tld": printable, no '%', '!',
 * quotes, route or brackets; local part case is kept, domain folded in
 * place.  PL_EINVAL otherwise. */
int au_fwd_check(char *addr);

/* Flag names: "DISUSER,MANAGE" <-> bits.  Parse accepts any case and
 * an empty string; PL_EINVAL on an unknown name. */
int au_flags_parse(const char *s, unsigned *flags);
int au_flags_format(unsigned flags, char *out, size_t n);

/* --- credentials (stored forms) ------------------------------------ */

#define AU_C_PBKDF2 1   /* pw_* fields valid */
#define AU_C_SCRAM  2   /* sc_* fields valid */
#define AU_C_DIGEST 4   /* dg_ha1 valid */
#define AU_C_SECRET 8   /* secret valid (APOP / CRAM-MD5 enabled) */

typedef struct au_cred {
    unsigned have;                      /* AU_C_* */
    pl_u32 pw_iter;
    pl_u8 pw_salt[AU_SALT_LEN];
    pl_u8 pw_hash[AU_SHA256_LEN];
    pl_u32 sc_iter;
    pl_u8 sc_salt[AU_SALT_LEN];
    pl_u8 sc_stored[AU_SHA256_LEN];     /* H(ClientKey) */
    pl_u8 sc_server[AU_SHA256_LEN];     /* ServerKey */
    pl_u8 dg_ha1[AU_MD5_LEN];           /* MD5(user@domain:domain:pw) */
    size_t secret_len;
    char secret[AU_PASS_MAX + 1];       /* plaintext-equivalent */
} au_cred;

/* --- accounts ------------------------------------------------------ */

typedef struct au_account {
    char user[AU_USER_MAX + 1];         /* lower case local part */
    char domain[AU_DOMAIN_MAX + 1];     /* lower case domain */
    unsigned flags;                     /* AU_F_* */
    pl_u64 quota;                       /* bytes; 0 = no quota */
    pl_u64 overdraft;                   /* bytes allowed past quota */
    int fwd_n;                          /* forwarding targets in use */
    int fwd_keep;                       /* 1: keep a copy when forwarding */
    char fwd[AU_FWD_MAX][AU_FWD_ADDR_MAX + 1];
    pl_u64 rx_msgs, rx_bytes;           /* received counters */
    pl_u64 connects;                    /* sessions started */
    pl_i64 last_connect, last_disconnect; /* seconds since 1970; 0 never */
    pl_i64 created, pwd_changed;        /* seconds since 1970 */
    au_cred cred;
} au_account;

/* Empty account for user@domain with no credentials (both are copied as
 * given; au_db_add checks them).  */
void au_account_init(au_account *a, const char *user, const char *domain);

/* Overwrite every secret of a (call before it goes out of scope). */
void au_account_wipe(au_account *a);

/* --- record text (au_rec.c) ---------------------------------------- */

/* Serialize a into buf (AU_REC_MAX); *len is the byte count.  PL_EINVAL
 * if a field cannot be represented (bad name, too many forwards). */
int au_rec_format(const au_account *a, char *buf, size_t n, size_t *len);

/* Parse and validate a record (any byte may be hostile): version line,
 * printable ASCII only, known keys once each, numbers in range, checksum
 * line last.  PL_EIO for a corrupt record, with why in err (>= 80). */
int au_rec_parse(const char *buf, size_t len, au_account *a,
                 char *err, size_t errn);

/* --- the database (au_db.c) ---------------------------------------- */

typedef struct au_db au_db;

/* The accounts directory below the store root.  The leading "_A" can never
 * be a mapped domain name (the store's escapes are __ _D _H _P _X), so a
 * virtual domain called "accounts" cannot collide with it. */
#define AU_ACCOUNTS_DIR "_ACCOUNTS"

/* Open the account database below the store root (AU_ACCOUNTS_DIR; created with
 * PL_DIR_CREATE in flags).  Reads the default domain if one is set. */
int au_db_open(pl_dir *root, int flags, au_db **out);
void au_db_close(au_db *db);

/* The default domain for bare names ("" when none is set), as read at
 * au_db_open or set through this handle: a long-lived process sees a
 * change made elsewhere after it reopens. */
const char *au_db_default_domain(const au_db *db);

/* Load the account user@domain (both checked first).  PL_ENOENT when the
 * domain or account does not exist, PL_EIO when its record is corrupt
 * (logged).  Leftover temporary files are never read. */
int au_db_get(au_db *db, const char *user, const char *domain,
              au_account *out);

/* Load by a client-supplied address (au_addr_parse with the default
 * domain): PL_EINVAL for a hostile name, before any file is touched. */
int au_db_get_addr(au_db *db, const char *addr, size_t n, au_account *out);

/* Create a new account (the domain must exist: PL_ENOENT); PL_EEXIST if
 * the account exists.  Sets created if it is 0. */
int au_db_add(au_db *db, const au_account *a);

/* Replace an existing account's record with a (PL_ENOENT if missing). */
int au_db_put(au_db *db, const au_account *a);

/* Read-modify-write under the account's lock: fn changes the loaded
 * record; a non-PL_OK return from fn aborts with that status. */
typedef int (*au_update_fn)(void *ctx, au_account *a);
int au_db_update(au_db *db, const char *user, const char *domain,
                 au_update_fn fn, void *ctx);

/* Remove an account record (its lock file stays: see accounts-format). */
int au_db_del(au_db *db, const char *user, const char *domain);

/* Call cb(ctx, user) for each account of domain (order unspecified); a
 * nonzero return stops the listing and is returned. */
typedef int (*au_name_cb)(void *ctx, const char *name);
int au_db_list(au_db *db, const char *domain, au_name_cb cb, void *ctx);

/* Remove temporary files left in domain's directory by interrupted
 * updates, skipping any whose account is being updated; *removed counts. */
int au_db_reap(au_db *db, const char *domain, int *removed);

/* Counters, each one locked read-modify-write. */
int au_db_count_rx(au_db *db, const char *user, const char *domain,
                   pl_u64 msgs, pl_u64 bytes);
int au_db_count_connect(au_db *db, const char *user, const char *domain,
                        pl_i64 when);
int au_db_count_disconnect(au_db *db, const char *user,
                           const char *domain, pl_i64 when);

/* --- counters of a running server, written in batches (au_pend.c) --- */

#define AU_PEND_MAX      4096   /* accounts pending; more are written at once */
#define AU_PEND_FLUSH_MS 5000   /* oldest pending count is written after this */
#define AU_PEND_TICK_MS  1000   /* the flusher thread looks this often */
#define AU_PEND_STACK    (256L * 1024L) /* its stack: account updates */

typedef struct au_pend au_pend;

int au_pend_new(au_pend **out);
/* Stops the thread (au_pend_stop) first; NULL accepted. */
void au_pend_free(au_pend *p);

/* Start the flusher thread: it writes pending counts through its own
 * au_db on root (opened under root_mu when not NULL) once they are
 * AU_PEND_FLUSH_MS old.  Without it, counts wait for au_pend_flush. */
int au_pend_start(au_pend *p, pl_dir *root, pl_mutex *root_mu);

/* Stop the flusher thread, then write every pending count; a no-op when
 * it was never started.  Adds may go on during and after the call. */
void au_pend_stop(au_pend *p);

/* Count msgs/bytes received by user@domain.  p NULL, or p full: written
 * now through db (au_db_count_rx).  Thread-safe. */
int au_pend_add(au_pend *p, au_db *db, const char *user,
                const char *domain, pl_u64 msgs, pl_u64 bytes);

/* Write the pending counts when the oldest is AU_PEND_FLUSH_MS old, or
 * always with force; opens its own au_db on root (under root_mu when not
 * NULL).  Counts that cannot be written are logged and dropped.  One
 * flusher at a time (adders may run beside it): not while the thread
 * runs. */
int au_pend_flush(au_pend *p, pl_dir *root, pl_mutex *root_mu, int force);

/* --- virtual domains (au_domain.c) --------------------------------- */

/* Create a domain (its directory); PL_EEXIST if it exists (two racing
 * adds of one domain may both answer PL_OK: the result is the same). */
int au_domain_add(au_db *db, const char *domain);

/* Remove a domain that holds no accounts (PL_ENOTEMPTY otherwise); also
 * clears the default if it was this domain. */
int au_domain_del(au_db *db, const char *domain);

/* PL_OK if the domain exists, PL_ENOENT if not. */
int au_domain_exists(au_db *db, const char *domain);

/* Call cb(ctx, domain) for each domain. */
int au_domain_list(au_db *db, au_name_cb cb, void *ctx);

/* Set ("" clears) the default domain for bare names; it must exist.
 * Stored crash-safely in _ACCOUNTS/DEFAULT.DOM. */
int au_domain_set_default(au_db *db, const char *domain);

/* --- quota (au_quota.c) -------------------------------------------- */

#define AU_Q_OK    0   /* accept */
#define AU_Q_TEMP  1   /* over quota now: 452 4.2.2, the sender retries */
#define AU_Q_PERM  2   /* can never fit: 552 5.2.2, bounce */

/* PMDF's rule: accept while usage < quota and usage + size <= quota +
 * overdraft; quota 0 means none.  AU_Q_PERM when the message alone is
 * larger than quota + overdraft, AU_Q_TEMP for any other refusal. */
int au_quota_check(pl_u64 quota, pl_u64 overdraft, pl_u64 usage,
                   pl_u64 size);

/* SMTP reply code and enhanced status for a result: "452 4.2.2". */
const char *au_quota_reply(int result);

/* --- credential operations (au_cred.c, OpenSSL) -------------------- */

/* Results of the verify functions (same values as PL_AUTH_*). */
#define AU_AUTH_OK      0
#define AU_AUTH_BAD     1   /* wrong password or unknown user: one answer */
#define AU_AUTH_LOCKED  2   /* DISUSER (told only after a right password) */
#define AU_AUTH_EXPIRED 3   /* PWDEXPIRED (likewise) */

/* Compute and store every credential form for password (n bytes, no NUL,
 * 1..AU_PASS_MAX) in a->cred, with fresh random salts; the secret only if
 * a has AU_F_APOP or AU_F_CRAM.  Sets pwd_changed. */
int au_cred_set(au_account *a, const char *pw, size_t n);

/* Check a plaintext password against a->cred (constant-time compare).
 * a may be NULL (unknown user): the same work is done on a dummy and the
 * answer is AU_AUTH_BAD.  *result gets an AU_AUTH_* value. */
int au_cred_verify_plain(const au_account *a, const char *pw, size_t n,
                         int *result);

/* Look up addr and verify pw in one step with the same answer and cost
 * for unknown and wrong; flags are told only after a right password. */
int au_auth_plain(au_db *db, const char *addr, size_t addr_n,
                  const char *pw, size_t pw_n, int *result);

/* APOP (RFC 1939 7): digest is the client's 32 hex digits for
 * MD5(timestamp secret).  AU_AUTH_BAD when the account has no secret. */
int au_cred_verify_apop(const au_account *a, const char *timestamp,
                        const char *digest_hex, int *result);

/* CRAM-MD5 (RFC 2195): digest_hex is HMAC-MD5(secret, challenge). */
int au_cred_verify_cram(const au_account *a, const char *challenge,
                        size_t clen, const char *digest_hex, int *result);

/* SCRAM-SHA-256 (RFC 5802, 7677) server side: verify the 32-byte
 * ClientProof over AuthMessage; on AU_AUTH_OK fill server_sig (32 bytes)
 * for the server-final "v=" attribute. */
int au_scram_verify(const au_account *a, const char *auth_msg, size_t n,
                    const pl_u8 proof[AU_SHA256_LEN], int *result,
                    pl_u8 server_sig[AU_SHA256_LEN]);

/* SCRAM key derivation from a password (also used by tests and clients
 * of the CLI): SaltedPassword -> StoredKey, ServerKey. */
int au_scram_keys(const char *pw, size_t n, const pl_u8 *salt,
                  size_t salt_n, pl_u32 iter,
                  pl_u8 stored[AU_SHA256_LEN], pl_u8 server[AU_SHA256_LEN]);

/* DIGEST-MD5 (RFC 2831 2.1.2.1): the 32 hex digits of response-value
 * from H(user:realm:password) = ha1, for the client response (rspauth 0)
 * or the server's rspauth (1).  authzid may be NULL.  qop "auth" only. */
int au_digest_response(const pl_u8 ha1[AU_MD5_LEN], const char *nonce,
                       const char *cnonce, const char *nc,
                       const char *authzid, const char *uri, int rspauth,
                       char out[2 * AU_MD5_LEN + 1]);

/* DIGEST-MD5 server side: check the client's response (32 hex digits,
 * any case) for an account whose stored H(A1) uses user "user@domain"
 * and realm "domain"; on AU_AUTH_OK rspauth holds the server's value. */
int au_cred_verify_digest(const au_account *a, const char *nonce,
                          const char *cnonce, const char *nc,
                          const char *authzid, const char *uri,
                          const char *response, int *result,
                          char rspauth[2 * AU_MD5_LEN + 1]);

/* SCRAM for an unknown user (RFC 5802 9): a stable fake salt, HMAC of
 * addr under a server secret key, so server-first looks the same. */
int au_scram_fake_salt(const void *key, size_t kn, const char *addr,
                       pl_u8 salt[AU_SALT_LEN]);

/* DIGEST-MD5 H(user:realm:password) as stored for an account. */
int au_digest_ha1(const char *user, const char *realm, const char *pw,
                  size_t n, pl_u8 out[AU_MD5_LEN]);

#endif
