/*
 * t_prog.c - the platform functions `newmail sendmail` and the program
 * personalities use, on POSIX: pl_prog_name (a table of argv[0] forms),
 * pl_user_self (against the password database) and pl_file_temp (a
 * nameless scratch file that reads back what was written).
 * Privilege: runs as any user.
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include "t_util.h"

typedef struct t_pn {
    const char *argv0;
    size_t n;            /* buffer size */
    int rc;
    const char *name;
} t_pn;

static const t_pn t_prog_vec[] = {
    { "/usr/sbin/sendmail", 40, PL_OK, "sendmail" },
    { "sendmail", 40, PL_OK, "sendmail" },
    { "./bin/mailq", 40, PL_OK, "mailq" },
    { "/usr/local/sbin/NEWMAIL", 40, PL_OK, "newmail" },
    { "/usr/sbin/sendmail.newmail", 40, PL_OK, "sendmail" },
    { "/opt/nm-1.0/bin/.hidden", 40, PL_OK, ".hidden" },
    { "/usr/sbin/", 40, PL_EINVAL, "" },
    { "", 40, PL_EINVAL, "" },
    { "/usr/sbin/sendmail", 8, PL_ERANGE, "" },
    { "/usr/sbin/sendmail", 9, PL_OK, "sendmail" },
    { NULL, 0, 0, NULL }
};

static void t_prog_name(void)
{
    const t_pn *v;
    char buf[40];

    for (v = t_prog_vec; v->argv0 != NULL; v++) {
        int rc = pl_prog_name(v->argv0, buf, v->n);

        if (rc != v->rc || (rc == PL_OK && strcmp(buf, v->name) != 0))
            printf("\npl_prog_name('%s', %u): %d '%s'\n", v->argv0,
                   (unsigned)v->n, rc, buf);
        CU_ASSERT(rc == v->rc);
        if (v->rc == PL_OK) {
            CU_ASSERT_STRING_EQUAL(buf, v->name);
        } else {
            CU_ASSERT_STRING_EQUAL(buf, "");
        }
    }
    CU_ASSERT(pl_prog_name(NULL, buf, sizeof buf) == PL_EINVAL);
}

static void t_user_self(void)
{
    struct passwd *pw = getpwuid(getuid());
    char label[64], want[64];
    pl_user u;
    int rc;

    rc = pl_user_self(&u, label, sizeof label);
    (void)snprintf(want, sizeof want, "uid %lu", (unsigned long)getuid());
    CU_ASSERT_STRING_EQUAL(label, want);
    CU_ASSERT(u.id == (pl_u32)getuid());
    if (pw != NULL) {
        CU_ASSERT(rc == PL_OK);
        CU_ASSERT_STRING_EQUAL(u.name, pw->pw_name);
    } else {
        CU_ASSERT(rc == PL_ENOENT);
    }
    CU_ASSERT(pl_user_self(&u, label, 8) == PL_EINVAL);
}

static void t_file_temp(void)
{
    static const char text[] = "line one\r\nline two\r\n";
    char buf[64];
    pl_file *f = NULL;
    pl_u64 size = 0;
    size_t got = 0;

    CU_ASSERT_FATAL(pl_file_temp(&f) == PL_OK);
    CU_ASSERT(pl_file_write(f, text, sizeof text - 1) == PL_OK);
    CU_ASSERT(pl_file_size(f, &size) == PL_OK && size == sizeof text - 1);
    CU_ASSERT(pl_file_seek(f, 0) == PL_OK);
    CU_ASSERT(pl_file_read(f, buf, sizeof buf, &got) == PL_OK);
    CU_ASSERT(got == sizeof text - 1 && memcmp(buf, text, got) == 0);
    CU_ASSERT(pl_file_close(f) == PL_OK);
    CU_ASSERT(pl_file_temp(NULL) == PL_EINVAL);
}

int t_prog_register(void)
{
    CU_pSuite s = CU_add_suite("platform: program name, caller, scratch "
                               "file", NULL, NULL);

    if (s == NULL ||
        CU_add_test(s, "pl_prog_name", t_prog_name) == NULL ||
        CU_add_test(s, "pl_user_self", t_user_self) == NULL ||
        CU_add_test(s, "pl_file_temp", t_file_temp) == NULL)
        return -1;
    return 0;
}
