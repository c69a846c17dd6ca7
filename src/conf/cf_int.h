/*
 * cf_int.h - internals of src/conf shared by cf_value.c, cf_keys.c,
 * cf_parse.c and the `newmail config` commands: the key registry and the
 * value checkers.  Not for the rest of the core, which uses cf.h.
 *
 * Contract: the registry is one constant table (cf_keys.c), sorted by
 * nothing in particular but printed in table order; adding a key is adding
 * one row.  Every default in the table must pass the key's own checker
 * (the unit tests verify this for every row).
 * Privilege: none.
 */
#ifndef CF_INT_H
#define CF_INT_H

#include "cf.h"

/* Value types of the registry. */
#define CF_T_STR   1   /* any text (paths, names) */
#define CF_T_BOOL  2   /* yes/no true/false on/off 1/0, any case */
#define CF_T_INT   3   /* decimal integer in [min, max] */
#define CF_T_DUR   4   /* duration in seconds, within [min, max] */
#define CF_T_SIZE  5   /* bytes, within [min, max] */
#define CF_T_LIST  6   /* comma-separated items, none empty */
#define CF_T_ENUM  7   /* one word out of `enums`, any case */
#define CF_T_ADDRS 8   /* list of ADDRESS:PORT for pl_sock_listen */

/* Longest key name; also bounds the logical name (NEWMAIL_ + key). */
#define CF_KEY_MAX  64
/* Logical name buffer: "NEWMAIL_" + key + NUL. */
#define CF_LNM_MAX  (CF_KEY_MAX + 9)
/* Largest duration: 9999 days, the largest OpenVMS delta time, which also
 * keeps seconds far inside 32 bits. */
#define CF_DUR_MAX  (9999L * 86400L)

typedef struct cf_key {
    const char *name;      /* dotted lower-case key */
    int type;              /* CF_T_* */
    const char *def;       /* default when a configuration file is used */
    const char *def_emb;   /* default with no file; NULL = same as def */
    const char *enums;     /* CF_T_ENUM: "a|b|c"; the index is the value;
                              CF_T_LIST: when set, every item one of them */
    pl_i64 min, max;       /* CF_T_INT, CF_T_DUR, CF_T_SIZE bounds */
    const char *unit;      /* how to read min/max in docs ("s", "bytes") */
    const char *doc;       /* one line for `config keys` and the manual */
} cf_key;

/* The registry and its length. */
extern const cf_key cf_keys[];
extern const int cf_nkeys;

/* Index of key in cf_keys, or -1 when it is not registered. */
int cf_key_index(const char *name);

/* One type's name for listings ("bool", "duration"). */
const char *cf_type_name(int type);

/* A checked value: what the getters return. */
typedef struct cf_num {
    pl_i64 i;      /* bool 0/1, int, duration seconds, enum index */
    pl_u64 u;      /* size in bytes */
} cf_num;

/* Check text against key k's type and bounds; on PL_OK fill *num (may be
 * NULL).  On PL_EINVAL write the reason into why ("not a duration",
 * "below the minimum 600"), never echoing more than the caller gave. */
int cf_value_check(const cf_key *k, const char *text, cf_num *num,
                   char *why, size_t whylen);

/* Split a list value at commas, trimming blanks around each item.  Writes
 * up to max item start pointers into items, cutting the malloc'd copy
 * *store (caller frees).  PL_EINVAL for an empty item ("a,,b"), PL_ERANGE
 * for more than max items, PL_ENOMEM.  An empty or all-blank text is a
 * list of zero items. */
int cf_list_split(const char *text, char **store, char **items, int max,
                  int *count);

/* One listen address as pl_sock_listen takes it: "127.0.0.1:2110",
 * "[::1]:2110", "*:110", "host.example:25"; port 1..65535.  PL_EINVAL
 * otherwise. */
int cf_check_listen(const char *item);

/* Integer text: optional '-' then 1..19 digits; PL_EINVAL otherwise. */
int cf_parse_int(const char *s, pl_i64 *out);

#endif
