/*
 * t_cf.c - unit tests of src/conf: the value parsers, the registry, the
 * file parser with every error case, the dump round trip, and the parser
 * fed every prefix of a valid file.  Table-driven.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include "t_util.h"
#include "cf_int.h"
#include "ut_buf.h"
#include "ut_params.h"

/* ---- value parsers ---- */

static void t_bool(void)
{
    static const struct { const char *in; int rc; int val; } tab[] = {
        { "yes", PL_OK, 1 }, { "YES", PL_OK, 1 }, { "true", PL_OK, 1 },
        { "True", PL_OK, 1 }, { "on", PL_OK, 1 }, { "1", PL_OK, 1 },
        { "no", PL_OK, 0 }, { "NO", PL_OK, 0 }, { "false", PL_OK, 0 },
        { "off", PL_OK, 0 }, { "0", PL_OK, 0 },
        { "", PL_EINVAL, 0 }, { "y", PL_EINVAL, 0 }, { "2", PL_EINVAL, 0 },
        { "yes ", PL_EINVAL, 0 }, { " no", PL_EINVAL, 0 },
        { "enabled", PL_EINVAL, 0 }, { "01", PL_EINVAL, 0 }
    };
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        int v = -1;
        int rc = cf_parse_bool(tab[i].in, &v);
        CU_ASSERT_EQUAL(rc, tab[i].rc);
        if (rc != tab[i].rc)
            fprintf(stderr, "bool '%s': rc %d\n", tab[i].in, rc);
        if (tab[i].rc == PL_OK)
            CU_ASSERT_EQUAL(v, tab[i].val);
    }
}

static void t_duration(void)
{
    static const struct { const char *in; int rc; long val; } tab[] = {
        { "600", PL_OK, 600 }, { "0", PL_OK, 0 }, { "10s", PL_OK, 10 },
        { "10m", PL_OK, 600 }, { "10M", PL_OK, 600 }, { "1h", PL_OK, 3600 },
        { "2h", PL_OK, 7200 }, { "1d", PL_OK, 86400 },
        { "2d", PL_OK, 172800 },
        { "0 00:10:00", PL_OK, 600 }, { "00:10:00", PL_OK, 600 },
        { "1 02:03:04.50", PL_OK, 93784 }, { "1 02:03:04.99", PL_OK, 93784 },
        { "0 00:10", PL_OK, 600 }, { "23:59:59", PL_OK, 86399 },
        { "9999 00:00:00", PL_OK, 9999L * 86400L },
        { "9999d", PL_OK, 9999L * 86400L },
        { "", PL_EINVAL, 0 }, { "-1", PL_EINVAL, 0 },
        { "10x", PL_EINVAL, 0 }, { "1e3", PL_EINVAL, 0 },
        { "99999999999999999999", PL_EINVAL, 0 },
        { "10000d", PL_EINVAL, 0 }, { "10000 00:00:00", PL_EINVAL, 0 },
        { "10ms", PL_EINVAL, 0 }, { "m", PL_EINVAL, 0 },
        { " 600", PL_EINVAL, 0 }, { "600 ", PL_EINVAL, 0 },
        { "10 m", PL_EINVAL, 0 }, { "+5", PL_EINVAL, 0 },
        { "24:00:00", PL_EINVAL, 0 }, { "00:60:00", PL_EINVAL, 0 },
        { "00:00:60", PL_EINVAL, 0 }, { "00:1:00", PL_EINVAL, 0 },
        { "0 00:10:00.", PL_EINVAL, 0 }, { "0 00:10:00.123", PL_EINVAL, 0 },
        { "0  00:10:00", PL_EINVAL, 0 }, { "x 00:10:00", PL_EINVAL, 0 },
        { "00:10:00 ", PL_EINVAL, 0 }, { ":10:00", PL_EINVAL, 0 },
        { "0-00:10:00", PL_EINVAL, 0 }
    };
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        pl_i64 v = -1;
        int rc = cf_parse_duration(tab[i].in, &v);
        CU_ASSERT_EQUAL(rc, tab[i].rc);
        if (rc != tab[i].rc)
            fprintf(stderr, "duration '%s': rc %d\n", tab[i].in, rc);
        if (tab[i].rc == PL_OK && rc == PL_OK) {
            CU_ASSERT(v == (pl_i64)tab[i].val);
            if (v != (pl_i64)tab[i].val)
                fprintf(stderr, "duration '%s': %ld\n", tab[i].in,
                        (long)v);
        }
    }
}

static void t_size(void)
{
    static const struct { const char *in; int rc; pl_u64 val; } tab[] = {
        { "0", PL_OK, 0 }, { "4096", PL_OK, 4096 }, { "1K", PL_OK, 1024 },
        { "1k", PL_OK, 1024 }, { "64K", PL_OK, 65536 },
        { "10M", PL_OK, 10485760 }, { "1G", PL_OK, 1073741824 },
        { "16g", PL_OK, (pl_u64)16 * 1073741824 },
        { "18446744073709551615", PL_OK, ~(pl_u64)0 },
        { "", PL_EINVAL, 0 }, { "-1", PL_EINVAL, 0 }, { "1T", PL_EINVAL, 0 },
        { "1KB", PL_EINVAL, 0 }, { "K", PL_EINVAL, 0 },
        { "1.5M", PL_EINVAL, 0 }, { "1e3", PL_EINVAL, 0 },
        { "18446744073709551616", PL_EINVAL, 0 },
        { "99999999999999999999", PL_EINVAL, 0 },
        { "17179869184G", PL_EINVAL, 0 }, { " 1K", PL_EINVAL, 0 },
        { "1K ", PL_EINVAL, 0 }
    };
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        pl_u64 v = 7;
        int rc = cf_parse_size(tab[i].in, &v);
        CU_ASSERT_EQUAL(rc, tab[i].rc);
        if (rc != tab[i].rc)
            fprintf(stderr, "size '%s': rc %d\n", tab[i].in, rc);
        if (tab[i].rc == PL_OK)
            CU_ASSERT(v == tab[i].val);
    }
}

static void t_list(void)
{
    static const struct {
        const char *in; int rc; int n; const char *items[3];
    } tab[] = {
        { "", PL_OK, 0, { NULL, NULL, NULL } },
        { "  ", PL_OK, 0, { NULL, NULL, NULL } },
        { "a", PL_OK, 1, { "a", NULL, NULL } },
        { "a,b", PL_OK, 2, { "a", "b", NULL } },
        { " a ,\tb , c ", PL_OK, 3, { "a", "b", "c" } },
        { "a b, c", PL_OK, 2, { "a b", "c", NULL } },
        { "a,,b", PL_EINVAL, 0, { NULL, NULL, NULL } },
        { "a,", PL_EINVAL, 0, { NULL, NULL, NULL } },
        { ",a", PL_EINVAL, 0, { NULL, NULL, NULL } },
        { "a, ,b", PL_EINVAL, 0, { NULL, NULL, NULL } },
        { "a,b,c,d", PL_ERANGE, 0, { NULL, NULL, NULL } }
    };
    size_t i;
    int j;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        char *store = NULL;
        char *items[3];
        int n = -1;
        int rc = cf_list_split(tab[i].in, &store, items, 3, &n);
        CU_ASSERT_EQUAL(rc, tab[i].rc);
        if (rc == PL_OK) {
            CU_ASSERT_EQUAL(n, tab[i].n);
            for (j = 0; j < n && j < tab[i].n; j++)
                CU_ASSERT_STRING_EQUAL(items[j], tab[i].items[j]);
        } else {
            CU_ASSERT_PTR_NULL(store);
        }
        free(store);
    }
}

static void t_listen(void)
{
    static const struct { const char *in; int rc; } tab[] = {
        { "127.0.0.1:2110", PL_OK }, { "[::1]:2110", PL_OK },
        { "*:110", PL_OK }, { "[::]:110", PL_OK },
        { "mail.example.org:25", PL_OK }, { "0.0.0.0:65535", PL_OK },
        { "[::ffff:192.0.2.1]:995", PL_OK },
        { "110", PL_EINVAL }, { ":110", PL_EINVAL },
        { "127.0.0.1:", PL_EINVAL }, { "127.0.0.1:0", PL_EINVAL },
        { "127.0.0.1:65536", PL_EINVAL }, { "127.0.0.1:-1", PL_EINVAL },
        { "::1:110", PL_EINVAL }, { "[::1:110", PL_EINVAL },
        { "[]:110", PL_EINVAL }, { "[x::1]:110", PL_EINVAL },
        { "a b:110", PL_EINVAL }, { "a/b:110", PL_EINVAL },
        { "**:110", PL_EINVAL }
    };
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        int rc = cf_check_listen(tab[i].in);
        CU_ASSERT_EQUAL(rc, tab[i].rc);
        if (rc != tab[i].rc)
            fprintf(stderr, "listen '%s': rc %d\n", tab[i].in, rc);
    }
}

static void t_logical(void)
{
    static const struct { const char *in; size_t n; int rc; const char *out; }
    tab[] = {
        { "pop3.leave_in_newmail", 64, PL_OK,
          "NEWMAIL_POP3_LEAVE_IN_NEWMAIL" },
        { "hostname", 64, PL_OK, "NEWMAIL_HOSTNAME" },
        { "store.compress_threshold", 64, PL_OK,
          "NEWMAIL_STORE_COMPRESS_THRESHOLD" },
        { "a", 10, PL_OK, "NEWMAIL_A" },
        { "a", 9, PL_ERANGE, NULL },
        { "", 64, PL_EINVAL, NULL }, { "Pop3.x", 64, PL_EINVAL, NULL },
        { "pop3 x", 64, PL_EINVAL, NULL }, { ".pop3", 64, PL_EINVAL, NULL },
        { "pop3.", 64, PL_EINVAL, NULL }, { "a..b", 64, PL_EINVAL, NULL },
        { "a$b", 64, PL_EINVAL, NULL }, { "a-b", 64, PL_EINVAL, NULL }
    };
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        char buf[64];
        int rc = cf_logical_name(tab[i].in, buf, tab[i].n);
        CU_ASSERT_EQUAL(rc, tab[i].rc);
        if (rc == PL_OK && tab[i].out != NULL)
            CU_ASSERT_STRING_EQUAL(buf, tab[i].out);
    }
}

/* ---- the registry ---- */

static void t_registry(void)
{
    static const char *const required[] = {
        "hostname", "store.root", "pop3.listen", "pop3s.listen",
        "smtp.listen", "submission.listen", "submissions.listen",
        "lmtp.listen", "tls.cert", "tls.key", "domains", "log.level",
        "log.file", "log.syslog", "service.user", "pop3.leave_in_newmail",
        "pop3.use_mail_folder", "pop3.message_maximum", "pop3.idle_timeout",
        "pop3.disuserpass", "pop3.maximum_threads", "pop3.security",
        "pop3.max_login_failures", "store.compress",
        "store.compress_threshold", NULL
    };
    char why[CF_ERR_MAX], lnm[CF_LNM_MAX];
    int i, j;

    for (i = 0; required[i] != NULL; i++) {
        CU_ASSERT(cf_key_index(required[i]) >= 0);
        if (cf_key_index(required[i]) < 0)
            fprintf(stderr, "missing key %s\n", required[i]);
    }
    CU_ASSERT_EQUAL(cf_key_index("no.such.key"), -1);
    for (i = 0; i < cf_nkeys; i++) {
        const cf_key *k = &cf_keys[i];
        CU_ASSERT(strlen(k->name) <= CF_KEY_MAX);
        CU_ASSERT_EQUAL(cf_logical_name(k->name, lnm, sizeof lnm), PL_OK);
        CU_ASSERT(k->doc != NULL && strlen(k->doc) > 0);
        CU_ASSERT_EQUAL(cf_value_check(k, k->def, NULL, why, sizeof why),
                        PL_OK);
        if (k->def_emb != NULL)
            CU_ASSERT_EQUAL(cf_value_check(k, k->def_emb, NULL, why,
                                           sizeof why), PL_OK);
        /* enums name the words of an enum, or restrict a list's items */
        CU_ASSERT(k->type == CF_T_ENUM ? k->enums != NULL
                  : k->enums == NULL || k->type == CF_T_LIST);
        for (j = i + 1; j < cf_nkeys; j++)
            CU_ASSERT(strcmp(k->name, cf_keys[j].name) != 0);
    }
}

/* ---- the file parser ---- */

/* Parse text and expect success; returns the config (caller frees). */
static cf_config *load_ok(const char *text)
{
    cf_config *c = NULL;
    char err[CF_ERR_MAX];
    int rc = cf_load_text(text, strlen(text), "t.conf", &c, err, sizeof err);

    CU_ASSERT_EQUAL(rc, PL_OK);
    if (rc != PL_OK)
        fprintf(stderr, "unexpected error: %s\n", err);
    return c;
}

static void t_parse_values(void)
{
    static const char text[] =
        "# a comment\n"
        "! an OpenVMS-style comment\n"
        "\n"
        "   \t\n"
        "  # indented comment\n"
        "hostname = mail.example.org\n"
        "domains=example.org, example.net ,example.com # trailing comment\n"
        "store.root = /var/lib/newmail/store ! trailing bang comment\n"
        "pop3.listen = 127.0.0.1:110, [::1]:110\r\n"
        "pop3.idle_timeout = \"0 00:15:00\"\n"
        "pop3.security = FRIENDLY\n"
        "pop3.leave_in_newmail = TRUE\n"
        "pop3.message_maximum = 65535\n"
        "store.compress_threshold = 64K\n"
        "log.level = debug\n"
        "log.file = \"/var/log/a#b \\\"x\\\" \\\\ !\"  # comment\n"
        "service.user = mail#x\n"
        "tls.cert=\"\"\n";
    cf_config *c = load_ok(text);

    if (c == NULL)
        return;
    CU_ASSERT_STRING_EQUAL(cf_str(c, "hostname"), "mail.example.org");
    CU_ASSERT_EQUAL(cf_list_count(c, "domains"), 3);
    CU_ASSERT_STRING_EQUAL(cf_list_item(c, "domains", 0), "example.org");
    CU_ASSERT_STRING_EQUAL(cf_list_item(c, "domains", 1), "example.net");
    CU_ASSERT_STRING_EQUAL(cf_list_item(c, "domains", 2), "example.com");
    CU_ASSERT_PTR_NULL(cf_list_item(c, "domains", 3));
    CU_ASSERT_PTR_NULL(cf_list_item(c, "domains", -1));
    CU_ASSERT_STRING_EQUAL(cf_str(c, "store.root"), "/var/lib/newmail/store");
    CU_ASSERT_EQUAL(cf_list_count(c, "pop3.listen"), 2);
    CU_ASSERT_STRING_EQUAL(cf_list_item(c, "pop3.listen", 1), "[::1]:110");
    CU_ASSERT(cf_duration(c, "pop3.idle_timeout") == 900);
    CU_ASSERT_STRING_EQUAL(cf_str(c, "pop3.security"), "friendly");
    CU_ASSERT(cf_int(c, "pop3.security") == 1);
    CU_ASSERT_EQUAL(cf_bool(c, "pop3.leave_in_newmail"), 1);
    CU_ASSERT_STRING_EQUAL(cf_str(c, "pop3.leave_in_newmail"), "yes");
    CU_ASSERT(cf_int(c, "pop3.message_maximum") == 65535);
    CU_ASSERT(cf_size(c, "store.compress_threshold") == 65536);
    CU_ASSERT(cf_int(c, "log.level") == PL_LOG_DEBUG);
    CU_ASSERT_STRING_EQUAL(cf_str(c, "log.file"), "/var/log/a#b \"x\" \\ !");
    CU_ASSERT_STRING_EQUAL(cf_str(c, "service.user"), "mail#x");
    CU_ASSERT_STRING_EQUAL(cf_str(c, "tls.cert"), "");
    /* Sources and defaults. */
    CU_ASSERT_EQUAL(cf_is_set(c, "hostname"), 1);
    CU_ASSERT_STRING_EQUAL(cf_source(c, "hostname"), "t.conf:6");
    CU_ASSERT_STRING_EQUAL(cf_source(c, "pop3.listen"), "t.conf:9");
    CU_ASSERT_EQUAL(cf_is_set(c, "smtp.listen"), 0);
    CU_ASSERT_STRING_EQUAL(cf_source(c, "smtp.listen"), "default");
    CU_ASSERT_STRING_EQUAL(cf_str(c, "smtp.listen"), "");
    CU_ASSERT_EQUAL(cf_list_count(c, "smtp.listen"), 0);
    CU_ASSERT(cf_int(c, "pop3.maximum_threads") == 15);
    CU_ASSERT(cf_int(c, "pop3.max_login_failures") == 2);
    CU_ASSERT_EQUAL(cf_bool(c, "store.compress"), 0);
    /* Wrong type or unknown key: the type's zero, and a log line. */
    fprintf(stderr, "t_cf: three 'program error' log lines follow on "
            "purpose\n");
    CU_ASSERT(cf_int(c, "hostname") == 0);
    CU_ASSERT(cf_duration(c, "no.such") == 0);
    CU_ASSERT_STRING_EQUAL(cf_str(c, "no.such"), "");
    cf_free(c);
}

static void t_embedded(void)
{
    cf_config *c = NULL, *f;
    char err[CF_ERR_MAX];

    CU_ASSERT_EQUAL(cf_load(NULL, &c, err, sizeof err), PL_OK);
    if (c == NULL)
        return;
    CU_ASSERT_STRING_EQUAL(cf_str(c, "pop3.listen"), "127.0.0.1:2110");
    CU_ASSERT_STRING_EQUAL(cf_str(c, "pop3s.listen"), "127.0.0.1:2995");
    CU_ASSERT_STRING_EQUAL(cf_str(c, "smtp.listen"), "127.0.0.1:2525");
    CU_ASSERT_STRING_EQUAL(cf_str(c, "submission.listen"), "127.0.0.1:2587");
    CU_ASSERT_STRING_EQUAL(cf_str(c, "submissions.listen"), "");
    CU_ASSERT_STRING_EQUAL(cf_str(c, "store.root"), "newmail-data/store");
    CU_ASSERT_STRING_EQUAL(cf_str(c, "tls.cert"), "newmail-data/tls/cert.pem");
    CU_ASSERT_STRING_EQUAL(cf_str(c, "tls.key"), "newmail-data/tls/key.pem");
    CU_ASSERT_STRING_EQUAL(cf_str(c, "hostname"), "localhost");
    CU_ASSERT_STRING_EQUAL(cf_str(c, "domains"), "localhost");
    CU_ASSERT_EQUAL(cf_bool(c, "log.syslog"), 0);
    CU_ASSERT(cf_duration(c, "pop3.idle_timeout") == UT_POP3_IDLE_SECS);
    CU_ASSERT_STRING_EQUAL(cf_source(c, "pop3.listen"), "embedded");
    CU_ASSERT_EQUAL(cf_is_set(c, "pop3.listen"), 0);
    cf_free(c);
    /* An empty file is not "no file": every service is off. */
    f = load_ok("");
    if (f != NULL) {
        CU_ASSERT_STRING_EQUAL(cf_str(f, "pop3.listen"), "");
        CU_ASSERT_EQUAL(cf_list_count(f, "pop3.listen"), 0);
        CU_ASSERT_EQUAL(cf_bool(f, "log.syslog"), 1);
        CU_ASSERT_STRING_EQUAL(cf_source(f, "pop3.listen"), "default");
    }
    cf_free(f);
}

/* Every error case: the text, then the exact start of the message. */
static void t_parse_errors(void)
{
    static const struct { const char *text; const char *msg; } tab[] = {
        { "bogus = 1\n", "t.conf:1: unknown key 'bogus'" },
        { "# c\nHostname = x\n", "t.conf:2: unknown key 'Hostname'" },
        { "\n\npop3.idle_timeout = 10x\n",
          "t.conf:3: bad value for pop3.idle_timeout: not a duration" },
        { "pop3.idle_timeout = 599\n",
          "t.conf:1: bad value for pop3.idle_timeout: below the minimum 600" },
        { "pop3.idle_timeout = \"0 00:09:59\"\n",
          "t.conf:1: bad value for pop3.idle_timeout: below the minimum 600" },
        { "pop3.message_maximum = 65536\n",
          "t.conf:1: bad value for pop3.message_maximum: above the maximum "
          "65535" },
        { "pop3.message_maximum = -1\n",
          "t.conf:1: bad value for pop3.message_maximum: below the "
          "minimum 0" },
        { "pop3.maximum_threads = 0\n",
          "t.conf:1: bad value for pop3.maximum_threads: below the "
          "minimum 1" },
        { "pop3.message_maximum = 99999999999999999999\n",
          "t.conf:1: bad value for pop3.message_maximum: not an integer" },
        { "pop3.leave_in_newmail = maybe\n",
          "t.conf:1: bad value for pop3.leave_in_newmail: not a boolean" },
        { "pop3.leave_in_newmail =\n",
          "t.conf:1: bad value for pop3.leave_in_newmail: not a boolean" },
        { "pop3.security = open\n",
          "t.conf:1: bad value for pop3.security: not one of "
          "secure|friendly" },
        { "log.level = loud\n",
          "t.conf:1: bad value for log.level: not one of" },
        { "auth.mechanisms = plain, gssapi\n",
          "t.conf:1: bad value for auth.mechanisms: not one of "
          "plain|login|cram-md5|digest-md5|scram-sha-256: gssapi" },
        { "store.compress_threshold = 2G\n",
          "t.conf:1: bad value for store.compress_threshold: above the "
          "maximum" },
        { "domains = a,,b\n",
          "t.conf:1: bad value for domains: empty list item" },
        { "store.root = s\npop3.listen = 110\n",
          "t.conf:2: bad value for pop3.listen: not ADDRESS:PORT" },
        { "hostname = a\nhostname = b\n",
          "t.conf:2: duplicate key 'hostname' (first set at line 1)" },
        { "hostname a\n", "t.conf:1: expected 'key = value'" },
        { "hostname\n", "t.conf:1: expected 'key = value'" },
        { "= a\n", "t.conf:1: missing key before '='" },
        { "hostname = \"abc\n", "t.conf:1: missing closing quote" },
        { "hostname = \"abc\" d\n", "t.conf:1: text after the closing quote" },
        { "hostname = a\rb\n", "t.conf:1: control character in line" },
        { "hostname = a\033b\n", "t.conf:1: control character in line" },
        { "hostname = a\r\r\n", "t.conf:1: control character in line" },
        { "pop3.listen = 127.0.0.1:110\n",
          "t.conf:1: pop3.listen needs store.root" },
        { "store.root = s\npop3s.listen = 127.0.0.1:995\n",
          "t.conf:2: pop3s.listen needs tls.cert and tls.key" },
        { "store.root = s\nsubmissions.listen = 127.0.0.1:465\n"
          "tls.cert = c\n",
          "t.conf:2: submissions.listen needs tls.cert and tls.key" },
        { "tls.cert = c\n", "t.conf:1: tls.cert needs tls.key" },
        { "tls.key = k\n", "t.conf:1: tls.key needs tls.cert" }
    };
    size_t i;

    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        cf_config *c = (cf_config *)&c;
        char err[CF_ERR_MAX];
        int rc = cf_load_text(tab[i].text, strlen(tab[i].text), "t.conf",
                              &c, err, sizeof err);
        CU_ASSERT_EQUAL(rc, PL_EINVAL);
        CU_ASSERT_PTR_NULL(c);
        CU_ASSERT(strncmp(err, tab[i].msg, strlen(tab[i].msg)) == 0);
        if (strncmp(err, tab[i].msg, strlen(tab[i].msg)) != 0)
            fprintf(stderr, "case %u: got '%s'\n", (unsigned)i, err);
        cf_free(c);
    }
}

/* Errors that need built texts: NUL byte, long lines, big files. */
static void t_parse_limits(void)
{
    static const char nul[] = "hostname = a\nhostname2\0 = b\n";
    ut_buf b;
    cf_config *c;
    char err[CF_ERR_MAX];
    size_t i;
    int rc;

    rc = cf_load_text(nul, sizeof nul - 1, "n.conf", &c, err, sizeof err);
    CU_ASSERT_EQUAL(rc, PL_EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "n.conf:2: NUL byte in line");

    /* A line of exactly UT_CONF_LINE_MAX bytes (CRLF not counted) is
     * accepted; one more byte is an error. */
    ut_buf_init(&b, 0);
    ut_buf_adds(&b, "# x\nlog.file = ");
    while (b.len < 4 + UT_CONF_LINE_MAX)
        ut_buf_addc(&b, 'a');
    ut_buf_adds(&b, "\r\n");
    rc = cf_load_text(b.data, b.len, "l.conf", &c, err, sizeof err);
    CU_ASSERT_EQUAL(rc, PL_OK);
    if (rc == PL_OK)
        CU_ASSERT_EQUAL(strlen(cf_str(c, "log.file")), UT_CONF_LINE_MAX - 11);
    cf_free(c);
    b.len -= 2;
    ut_buf_adds(&b, "a\n");
    rc = cf_load_text(b.data, b.len, "l.conf", &c, err, sizeof err);
    CU_ASSERT_EQUAL(rc, PL_EINVAL);
    CU_ASSERT(strncmp(err, "l.conf:2: line longer than", 26) == 0);

    /* Comments may fill a file up to UT_CONF_FILE_MAX but not beyond. */
    ut_buf_clear(&b);
    while (b.len + 80 <= (size_t)UT_CONF_FILE_MAX) {
        for (i = 0; i < 79; i++)
            ut_buf_addc(&b, '#');
        ut_buf_addc(&b, '\n');
    }
    while (b.len < (size_t)UT_CONF_FILE_MAX)
        ut_buf_addc(&b, '#');
    rc = cf_load_text(b.data, b.len, "big.conf", &c, err, sizeof err);
    CU_ASSERT_EQUAL(rc, PL_OK);
    cf_free(c);
    ut_buf_addc(&b, '#');
    rc = cf_load_text(b.data, b.len, "big.conf", &c, err, sizeof err);
    CU_ASSERT_EQUAL(rc, PL_EINVAL);
    CU_ASSERT(strncmp(err, "big.conf: larger than", 21) == 0);
    ut_buf_free(&b);
}

/* The dump, its comments stripped, parses back to the same values. */
static void dump_collect(void *ctx, const char *line)
{
    ut_buf *b = (ut_buf *)ctx;
    ut_buf_adds(b, line);
    ut_buf_addc(b, '\n');
}

static const char full_text[] =
    "hostname = mail.example.org\n"
    "domains = example.org, example.net\n"
    "store.root = \"/srv/mail store\"\n"
    "pop3.listen = 127.0.0.1:110\n"
    "pop3s.listen = [::1]:995\n"
    "tls.cert = /etc/c.pem\n"
    "tls.key = /etc/k.pem\n"
    "pop3.idle_timeout = \"1 02:03:04.50\"\n"
    "log.file = \"a \\\"q\\\" #b\"\n"
    "service.user = \"\"\n"
    "pop3.security = SECURE\n"
    "store.compress = on\n";

static void t_dump_roundtrip(void)
{
    ut_buf b;
    cf_config *c = load_ok(full_text), *d;
    int i;

    if (c == NULL)
        return;
    ut_buf_init(&b, 0);
    cf_dump(c, dump_collect, &b);
    CU_ASSERT(strstr(b.data, "hostname = mail.example.org  # t.conf:1\n")
              != NULL);
    CU_ASSERT(strstr(b.data, "pop3.idle_timeout = \"1 02:03:04.50\"  "
                     "# t.conf:8 (93784 s)\n") != NULL);
    CU_ASSERT(strstr(b.data, "smtp.listen = \"\"  # default\n") != NULL);
    CU_ASSERT(strstr(b.data, "store.compress = yes  # t.conf:12\n") != NULL);
    CU_ASSERT(strstr(b.data, "store.compress_threshold = 16K  # default "
                     "(16384 bytes)\n") != NULL);
    d = load_ok(b.data);
    for (i = 0; d != NULL && i < cf_nkeys; i++)
        CU_ASSERT_STRING_EQUAL(cf_str(c, cf_keys[i].name),
                               cf_str(d, cf_keys[i].name));
    cf_free(d);
    cf_free(c);
    ut_buf_free(&b);
}

/* Every prefix of a valid file either loads or fails with a message
 * naming the file; none crashes or reads past the length given (the
 * text is copied into an exact-size allocation for each run so that a
 * sanitizer build catches an over-read). */
static void t_prefixes(void)
{
    size_t len = sizeof full_text - 1, n;

    for (n = 0; n <= len; n++) {
        char *copy = (char *)malloc(n + 1);
        cf_config *c;
        char err[CF_ERR_MAX];
        int rc;

        if (copy == NULL)
            return;
        memcpy(copy, full_text, n);
        rc = cf_load_text(copy, n, "p.conf", &c, err, sizeof err);
        CU_ASSERT(rc == PL_OK || rc == PL_EINVAL);
        if (rc == PL_OK) {
            CU_ASSERT_PTR_NOT_NULL(c);
        } else {
            CU_ASSERT(strncmp(err, "p.conf:", 7) == 0);
        }
        cf_free(c);
        free(copy);
    }
}

/* The same file with CRLF line ends, and without its last line end,
 * gives the same values. */
static void t_line_ends(void)
{
    ut_buf b;
    const char *p;
    cf_config *lf = load_ok(full_text), *crlf, *noeol;
    int i;

    ut_buf_init(&b, 0);
    for (p = full_text; *p != '\0'; p++) {
        if (*p == '\n')
            ut_buf_addc(&b, '\r');
        ut_buf_addc(&b, *p);
    }
    crlf = load_ok(b.data);
    ut_buf_clear(&b);
    ut_buf_add(&b, full_text, sizeof full_text - 2);   /* drop the last LF */
    noeol = load_ok(b.data);
    for (i = 0; lf != NULL && crlf != NULL && noeol != NULL && i < cf_nkeys;
         i++) {
        CU_ASSERT_STRING_EQUAL(cf_str(lf, cf_keys[i].name),
                               cf_str(crlf, cf_keys[i].name));
        CU_ASSERT_STRING_EQUAL(cf_str(lf, cf_keys[i].name),
                               cf_str(noeol, cf_keys[i].name));
    }
    cf_free(lf);
    cf_free(crlf);
    cf_free(noeol);
    ut_buf_free(&b);
}

/* The same file from disk through cf_load, and a missing file. */
static void t_load_file(void)
{
    char path[512];
    cf_config *c;
    char err[CF_ERR_MAX];
    FILE *fp;
    int rc;

    sprintf(path, "%.400s/ok.conf", t_scratch_dir("cf"));
    fp = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL(fp);
    if (fp == NULL)
        return;
    fputs(full_text, fp);
    fclose(fp);
    rc = cf_load(path, &c, err, sizeof err);
    CU_ASSERT_EQUAL(rc, PL_OK);
    if (rc == PL_OK)
        CU_ASSERT_STRING_EQUAL(cf_str(c, "store.root"), "/srv/mail store");
    cf_free(c);
    sprintf(path, "%.400s/missing.conf", t_scratch_dir("cf"));
    rc = cf_load(path, &c, err, sizeof err);
    CU_ASSERT_EQUAL(rc, PL_ENOENT);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT(strstr(err, "missing.conf: cannot open") != NULL);
}

int t_cf_register(void)
{
    CU_pSuite s = CU_add_suite("conf", NULL, NULL);

    if (s == NULL)
        return -1;
    if (CU_add_test(s, "bool values", t_bool) == NULL
        || CU_add_test(s, "durations", t_duration) == NULL
        || CU_add_test(s, "sizes", t_size) == NULL
        || CU_add_test(s, "list splitting", t_list) == NULL
        || CU_add_test(s, "listen addresses", t_listen) == NULL
        || CU_add_test(s, "logical names", t_logical) == NULL
        || CU_add_test(s, "registry", t_registry) == NULL
        || CU_add_test(s, "parse values", t_parse_values) == NULL
        || CU_add_test(s, "embedded defaults", t_embedded) == NULL
        || CU_add_test(s, "parse errors", t_parse_errors) == NULL
        || CU_add_test(s, "line and file limits", t_parse_limits) == NULL
        || CU_add_test(s, "dump round trip", t_dump_roundtrip) == NULL
        || CU_add_test(s, "every prefix", t_prefixes) == NULL
        || CU_add_test(s, "line ends", t_line_ends) == NULL
        || CU_add_test(s, "load from a file", t_load_file) == NULL)
        return -1;
    return 0;
}
