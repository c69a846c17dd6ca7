/*
 * al_int.h - what the files of the alias module share: the parsed aliases
 * table (al_parse.c), the map that swaps tables under readers (al_map.c)
 * and the expansion (al_resolve.c).  Unit tests use the parser directly.
 *
 * Limits: every file read (the aliases file and each :include:) is at most
 * AL_FILE_MAX octets; :include: nests AL_INCLUDE_DEPTH deep and at most
 * AL_INCLUDES_MAX files are read per load; one expansion visits at most
 * AL_STEPS_MAX names, so a wide alias graph cannot stall a session.
 * Privilege: the service account (reads the aliases and included files).
 */
#ifndef AL_INT_H
#define AL_INT_H

#include "al.h"

/* sendmail's own aliases files rarely pass 100 KiB; 1 MiB leaves room for
 * big sites while bounding the memory a hostile include could claim. */
#define AL_FILE_MAX       (1024L * 1024L)
#define AL_INCLUDE_DEPTH  4
#define AL_INCLUDES_MAX   100
#define AL_STEPS_MAX      10000
/* The longest alias name: a local part (RFC 5321 4.5.3.1.1). */
#define AL_NAME_MAX       AU_USER_MAX
/* Reload checks: at most one stat per file per this many milliseconds. */
#define AL_CHECK_MS       1000

/* Target kinds in the table */
#define AL_K_NAME 1   /* a local name: an alias, else an account */
#define AL_K_ACCT 2   /* \name: the account's mailbox, no alias, no fwd */
#define AL_K_ADDR 3   /* local@domain (domain folded to lower case) */

typedef struct al_tgt {
    int kind;            /* AL_K_* */
    char *text;          /* the name or the address */
} al_tgt;

typedef struct al_entry {
    char *name;          /* lower case */
    int line;            /* where it is defined */
    int n, cap;
    al_tgt *t;
} al_entry;

/* A file the table was read from, to notice changes. */
typedef struct al_file {
    char *spec;
    pl_i64 mtime;
    pl_u64 size;
} al_file;

typedef struct al_table {
    al_entry *e;         /* sorted by name after the load */
    int n, cap;
    al_file *files;      /* [0] is the aliases file, then includes */
    int nfiles;
    int refs;            /* resolvers using it (al_map.c, under its mutex) */
} al_table;

/* Parse text (len octets) that came from the file called fname (for error
 * messages; :include: files are read from disk).  On failure err gets
 * "FILE:LINE: reason" and *out is NULL. */
int al_parse_text(const char *fname, const char *text, size_t len,
                  al_table **out, char *err, size_t errlen);

/* Read and parse the file at spec (at most AL_FILE_MAX octets). */
int al_parse_file(const char *spec, al_table **out, char *err,
                  size_t errlen);

void al_table_free(al_table *t);

/* The entry for name (lower case), or NULL. */
const al_entry *al_table_find(const al_table *t, const char *name);

/* 1 if name is a plain local name an alias or account may have:
 * letters, digits, '.', '_', '+', '-', 1..AL_NAME_MAX octets, not
 * starting or ending with '.'. */
int al_name_ok(const char *name);

/* The table in use, counted (al_map.c); may reload first when a file
 * changed (db checks postmaster).  NULL for a NULL map. */
al_table *al_map_acquire(al_map *m, au_db *db);
void al_map_release(al_map *m, al_table *t);

#endif
