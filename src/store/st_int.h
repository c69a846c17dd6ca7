/*
 * st_int.h - what the popstore modules share inside src/store: the handle
 * structures, message file names, the index records and the zlib helpers.
 * Not for use outside src/store (st.h is the interface).
 * Privilege: none; declarations only.
 */
#ifndef ST_INT_H
#define ST_INT_H

#include "st.h"

/* Fixed names inside a mailbox and a folder (simple names, pl.h). */
#define ST_TMP_DIR    "TMP"        /* deliveries in progress */
#define ST_INUSE_LOCK "INUSE.LCK"  /* POP3 in-use lock, mailbox dir */
#define ST_INDEX_FILE "INDEX.IDX"  /* per-folder index (a cache) */
#define ST_INDEX_NEW  "INDEX.NEW"  /* index being rewritten */
#define ST_INDEX_LOCK "INDEX.LCK"  /* serialises index updates */
#define ST_TMP_TYPE   "TMP"        /* type of a temporary delivery file */
#define ST_BAD_TYPE   "BAD"        /* type of a file set aside by repair */

/* Buffer for a message file name "<ID>.<SIZE>_<LINES>[_Z]" with NUL. */
#define ST_FILE_BUF   (PL_NAME_MAX + 1 + PL_TYPE_MAX + 1)

struct st_store {
    pl_dir *root;
    st_params p;
    char defdom[ST_DOMAIN_MAX + 1];
    char node[5];          /* 4 base-36 digits of a hash of the host name */
    pl_mutex *mu;          /* guards counter and uses of root */
    pl_u32 counter;        /* per-store id counter, randomly seeded */
};

struct st_mbox {
    st_store *st;
    pl_dir *dir;           /* the mailbox (USER) directory */
    pl_lock *inuse;        /* the POP3 in-use lock while held */
    char dom[ST_NAME_BUF];
    char user[ST_NAME_BUF];
};

/* One message as the index and the snapshot know it. */
typedef struct st_rec {
    char id[ST_NAME_BUF];
    pl_u64 size;           /* CRLF size */
    pl_u64 lines;
    pl_i64 arrival;
    pl_u32 flags;
    unsigned char z;       /* stored deflated */
    unsigned char gone;    /* moved away (snapshot) / deleted (index) */
    unsigned char dirty;   /* flags changed, not yet in the index */
    unsigned char seen;    /* scratch for reconciliation */
} st_rec;

typedef struct st_recs {
    st_rec *v;
    pl_u32 n;
    pl_u32 cap;
} st_recs;

/* Open-addressing id -> record position map. */
typedef struct st_idmap {
    pl_u32 *slot;          /* position + 1; 0 = empty */
    pl_u32 mask;
} st_idmap;

/* --- st_name.c --- */

/* "<ID>.<SIZE>_<LINES>" or with "_Z" when compressed; out is ST_FILE_BUF. */
int st_nm_msgfile(const char *id, pl_u64 size, pl_u64 lines, int z,
                  char *out);
/* Parse a message file name; PL_EINVAL if name is not one. */
int st_nm_parse(const char *name, char *id, pl_u64 *size, pl_u64 *lines,
                int *z);
/* "<ID>.<type>" into out (ST_FILE_BUF). */
int st_nm_typed(const char *id, const char *type, char *out);
/* Arrival second encoded in one of our ids; PL_EINVAL for foreign ids. */
int st_nm_id_time(const char *id, pl_i64 *secs);
/* Fill a node tag from the host name (4 base-36 digits). */
void st_nm_node(char *node);

/* --- st_index.c --- */

int st_recs_push(st_recs *r, const st_rec *rec);
void st_recs_free(st_recs *r);
/* Sort by id (our ids sort by arrival time). */
void st_recs_sort_id(st_rec *v, pl_u32 n);

int st_map_build(st_idmap *m, const st_recs *r);
/* Position of id in r, or -1. */
long st_map_find(const st_idmap *m, const st_recs *r, const char *id);
void st_map_free(st_idmap *m);

/* Take the folder's index lock, waiting (updates are short). */
int st_ix_lock(pl_dir *fd, pl_lock **lk);
/* Append n bytes of finished record lines to the index; caller holds the
 * lock.  Starts a new index when missing. */
int st_ix_append(pl_dir *fd, const char *text, size_t n);
/* Record line formats; return the length written into buf
 * (ST_INDEX_LINE_MAX). */
size_t st_ix_fmt_add(char *buf, const st_rec *r);
size_t st_ix_fmt_del(char *buf, const char *id);
size_t st_ix_fmt_flags(char *buf, const char *id, pl_u32 flags);
/* The message files of a folder (arrival from the id, flags 0). */
int st_ix_scan(pl_dir *fd, st_recs *out);
/* Load the index, reconcile with the files, rewrite the index when it was
 * missing, damaged, out of step or full of garbage (rebuild = always
 * rewrite from the files alone).  Takes the index lock itself.  *out is
 * in arrival order. */
int st_ix_sync(pl_dir *fd, int rebuild, st_recs *out);
/* Load only (no directory listing); for counting. */
int st_ix_load(pl_dir *fd, st_recs *out, int *damaged, pl_u32 *dead);

/* --- st_zlib.c --- */

/* A deflate stream that writes into a file. */
typedef struct st_zw st_zw;
int st_zw_open(pl_file *f, st_zw **out);
int st_zw_write(st_zw *z, const void *buf, size_t n);
/* Flush the end of the stream into the file and free z. */
int st_zw_finish(st_zw *z);
void st_zw_free(st_zw *z);

/* Stream the message file `name` of d to out: plain files are read, z
 * files inflated; more than cap raw octets, corrupt or truncated data is
 * PL_EIO.  Memory is bounded by two ST_IO_BUF buffers. */
int st_zl_stream(pl_dir *d, const char *name, int z, pl_u64 cap,
                 st_out_fn out, void *ctx);

/* --- st_deliver.c / st_folder.c helpers --- */

/* Counting of CRLF size and lines over a byte stream. */
typedef struct st_count {
    pl_u64 raw;      /* octets as received */
    pl_u64 size;     /* CRLF octets so far (without the open line's end) */
    pl_u64 lines;    /* line ends seen */
    int cr;          /* last octet was CR */
    int open;        /* octets since the last line end */
} st_count;
void st_count_init(st_count *c);
void st_count_feed(st_count *c, const unsigned char *p, size_t n);
/* Final size and lines (closing a pending CR or an open last line). */
void st_count_end(const st_count *c, pl_u64 *size, pl_u64 *lines);

/* Open subdirectory name of parent; with create, make it when missing
 * (syncing parent after a creation). */
int st_fo_subdir(pl_dir *parent, const char *name, int create, pl_dir **out);
/* Open (creating with create) the mailbox directory of an address. */
int st_fo_mbdir(st_store *s, const char *addr, int create, pl_dir **out,
                char *dom, char *user);

#endif
