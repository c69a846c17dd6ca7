/*
 * t_feed.c - test helpers shared by the unit suites (t_util.h): a scripted
 * byte source that serves data in fixed-size pieces, and scratch
 * directories under build/.
 *
 * Limits: tests only; t_scratch_dir uses POSIX calls (the unit tests run
 * on POSIX; OpenVMS runs them through its own stub, tests/vmsstub) and
 * removes at most T_SCRATCH_DEPTH levels below the scratch directory.
 * Privilege: none; touches only build/test-scratch/ under the current
 * directory.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "t_util.h"

#define T_SCRATCH_ROOT  "build/test-scratch"
#define T_SCRATCH_DEPTH 16
#define T_PATH_MAX      1024

void t_feed_init(t_feed *f, const char *data, size_t len, size_t chunk)
{
    f->data = data;
    f->len = len;
    f->pos = 0;
    f->chunk = chunk;
}

int t_feed_read(void *ctx, void *buf, size_t n, pl_i32 timeout_ms,
                size_t *got)
{
    t_feed *f = (t_feed *)ctx;
    size_t k;

    (void)timeout_ms;
    if (f->pos >= f->len)
        return PL_EOF;
    k = f->len - f->pos;
    if (f->chunk != 0 && k > f->chunk)   /* chunk 0: everything at once */
        k = f->chunk;
    if (k > n)
        k = n;
    memcpy(buf, f->data + f->pos, k);
    f->pos += k;
    *got = k;
    return PL_OK;
}

/* mkdir that accepts an existing directory. */
static int t_mkdir1(const char *path)
{
    struct stat st;

    if (mkdir(path, 0700) == 0)
        return 0;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    return -1;
}

/* mkdir -p */
static int t_mkdirs(const char *path)
{
    char tmp[T_PATH_MAX];
    size_t i, n;

    n = strlen(path);
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, path, n + 1);
    for (i = 1; i < n; i++) {
        if (tmp[i] == '/') {
            tmp[i] = '\0';
            if (t_mkdir1(tmp) != 0)
                return -1;
            tmp[i] = '/';
        }
    }
    return t_mkdir1(tmp);
}

/* Remove everything inside dir (not dir itself); symbolic links are
 * removed, never followed. */
static int t_empty_dir(const char *dir, int depth)
{
    DIR *d;
    struct dirent *e;
    struct stat st;
    char sub[T_PATH_MAX];
    int rc = 0;

    if (depth > T_SCRATCH_DEPTH)
        return -1;
    d = opendir(dir);
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if ((size_t)snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name) >=
            sizeof sub) {
            rc = -1;
            continue;
        }
        if (lstat(sub, &st) != 0) {
            rc = -1;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (t_empty_dir(sub, depth + 1) != 0 || rmdir(sub) != 0)
                rc = -1;
        } else if (unlink(sub) != 0) {
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

const char *t_scratch_dir(const char *name)
{
    static char path[T_PATH_MAX];
    const char *p;

    /* A plain name only: the helper must never be able to empty a
     * directory outside build/test-scratch. */
    if (name == NULL || name[0] == '\0' || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0)
        return NULL;
    for (p = name; *p != '\0'; p++)
        if (*p == '/')
            return NULL;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", T_SCRATCH_ROOT, name) >=
        sizeof path)
        return NULL;
    if (t_mkdirs(path) != 0 || t_empty_dir(path, 0) != 0)
        return NULL;
    return path;
}
