/*
 * cl_config.c - `newmail config check` (validate a configuration and
 * print the effective values with their sources) and `newmail config
 * keys` (list the registry; `--markdown` writes the text of
 * doc/config-reference.md, which the integration tests compare byte for
 * byte so the document cannot drift from the program).
 *
 * Limits: none beyond those of src/conf.
 * Privilege: none; the file is read with the caller's rights.
 */
#include <stdio.h>
#include <string.h>
#include "cl.h"
#include "cf_int.h"
#include "ut_str.h"

static int check_run(cl_ctx *ctx, int argc, char **argv);
static int keys_run(cl_ctx *ctx, int argc, char **argv);

const cl_cmd cl_config_cmds[] = {
    { "check", "validate a configuration and print the effective values",
      "[-q] [FILE]",
      "Read FILE (default: the -c file, else the default file if it\n"
      "exists, else the embedded defaults), check every key and value,\n"
      "and print the effective configuration: one 'key = value' line per\n"
      "key, with a comment saying where the value came from (default,\n"
      "embedded, FILE:LINE, or an OpenVMS logical name).\n"
      "\n"
      "Options:\n"
      "  -q, --quiet   print nothing; the exit status tells (0 good,\n"
      "                78 bad configuration, 66 file missing)\n",
      check_run, NULL },
    { "keys", "list every configuration key with its default",
      "[--markdown]",
      "List every configuration key with its type, its defaults with and\n"
      "without a configuration file, its OpenVMS logical name, and what\n"
      "it does.\n"
      "\n"
      "Options:\n"
      "  --markdown    print the Markdown text of doc/config-reference.md\n",
      keys_run, NULL },
    { NULL, NULL, NULL, NULL, NULL, NULL }
};

static void print_line(void *ctx, const char *line)
{
    (void)ctx;
    puts(line);
}

static int check_run(cl_ctx *ctx, int argc, char **argv)
{
    const char *file = NULL, *used;
    cf_config *c;
    int i, quiet = 0, opts_done = 0, rc;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0))
            quiet = 1;
        else if (!opts_done && strcmp(a, "--") == 0)
            opts_done = 1;
        else if (!opts_done && a[0] == '-' && a[1] != '\0')
            return cl_usage_error(ctx, "newmail config check", "[-q] [FILE]",
                                  "unknown option", a);
        else if (file == NULL)
            file = a;
        else
            return cl_usage_error(ctx, "newmail config check", "[-q] [FILE]",
                                  "too many arguments:", a);
    }
    rc = cl_load_config(ctx, file, &c, &used);
    if (rc != CL_EX_OK)
        return rc;
    if (!quiet) {
        if (used != NULL)
            printf("# configuration file %s: OK\n", used);
        else
            printf("# no configuration file (%s does not exist): "
                   "embedded defaults\n", pl_cfg_default_file());
        cf_dump(c, print_line, NULL);
    }
    cf_free(c);
    return CL_EX_OK;
}

/* "600..2147483 s" style bounds, or "" for types without bounds. */
static void bounds(const cf_key *k, char *buf, size_t n)
{
    char lo[24], hi[24];

    buf[0] = '\0';
    if (k->type != CF_T_INT && k->type != CF_T_DUR && k->type != CF_T_SIZE)
        return;
    /* No registered bound is negative; see the registry. */
    ut_u64_to_dec(lo, (pl_u64)k->min);
    ut_u64_to_dec(hi, (pl_u64)k->max);
    snprintf(buf, n, "%s..%s %s", lo, hi, k->unit != NULL ? k->unit : "");
}

/* Enum values "a|b" written with a separator. */
static void enum_list(const cf_key *k, const char *sep, char *buf, size_t n)
{
    const char *p;

    buf[0] = '\0';
    for (p = k->enums; *p != '\0'; p++) {
        char ch[2];
        if (*p == '|') {
            ut_strlcat(buf, sep, n);
            continue;
        }
        ch[0] = *p;
        ch[1] = '\0';
        ut_strlcat(buf, ch, n);
    }
}

static const char *emb_default(const cf_key *k)
{
    return k->def_emb != NULL ? k->def_emb : k->def;
}

static void keys_text(void)
{
    char lnm[CF_LNM_MAX], b[128];
    int i;

    for (i = 0; i < cf_nkeys; i++) {
        const cf_key *k = &cf_keys[i];
        cf_logical_name(k->name, lnm, sizeof lnm);
        printf("%s (%s", k->name, cf_type_name(k->type));
        bounds(k, b, sizeof b);
        if (b[0] != '\0')
            printf(", %s", b);
        if (k->type == CF_T_ENUM) {
            enum_list(k, ", ", b, sizeof b);
            printf(": %s", b);
        }
        printf(")\n    default: \"%s\"", k->def);
        if (strcmp(emb_default(k), k->def) != 0)
            printf("; without a file: \"%s\"", emb_default(k));
        printf("\n    OpenVMS logical: %s\n    %s\n", lnm, k->doc);
    }
}

/* A default for a Markdown cell: `value`, or *empty*. */
static void md_value(const char *v)
{
    if (v[0] == '\0')
        fputs("*empty*", stdout);
    else
        printf("`%s`", v);
}

static void keys_markdown(void)
{
    char lnm[CF_LNM_MAX], b[128];
    int i;

    fputs("# newmail configuration reference\n"
          "\n"
          "<!-- Generated by `newmail config keys --markdown`; do not edit."
          "\n     tests/integration/t_cli.sh fails when this file and the "
          "program differ. -->\n"
          "\n"
          "newmail reads one configuration file: `-c FILE`, or by default "
          "the file\nnamed in newmail(8) (`/etc/newmail/newmail.conf` on "
          "POSIX).  With no\nconfiguration file at all, the *without a "
          "file* defaults below apply:\nloopback listeners on unprivileged "
          "ports and data under `newmail-data/`\nin the current directory, "
          "so a first run needs no setup.  With a file,\nthe *default* "
          "column applies, and a service without a listen key is off.\n"
          "\n"
          "In this release the program reads and checks every key below; "
          "the\nservers, the store and the log set-up that act on them "
          "are still\nbeing written.\n"
          "\n"
          "## Syntax\n"
          "\n"
          "- One `key = value` per line; keys are lower case.  Blank "
          "lines are ignored.\n"
          "- `#` or `!` starts a comment: a whole line, or after a blank "
          "outside quotes.\n"
          "- A value may be written in double quotes, with `\\\"` and "
          "`\\\\` as the only\n  escapes.  Quotes are needed for an empty "
          "value, blanks at either end, or\n  a `#` or `!` after a blank; "
          "they are customary for OpenVMS delta times.\n"
          "- Types: *bool* `yes`/`no`, `true`/`false`, `on`/`off`, `1`/`0` "
          "(any case);\n  *integer* in decimal; *duration* in seconds "
          "(`600`), with a unit (`10s`,\n  `10m`, `2h`, `1d`) or as an "
          "OpenVMS delta time (`\"0 00:10:00\"`, `00:10:00`,\n  "
          "`\"1 02:03:04.50\"`; hundredths are dropped); *size* in bytes, "
          "with `K`, `M`\n  or `G` for powers of 1024; *list* and *address "
          "list* are comma separated,\n  addresses as `ADDRESS:PORT` "
          "(`127.0.0.1:110`, `[::1]:110`, `*:110`); *enum*\n  is one of "
          "the listed words.\n"
          "- Each key may appear once.  An unknown key, a repeated key or "
          "a bad value\n  is an error that names the file and the line; "
          "nothing is ignored.\n"
          "- On OpenVMS each key can also be set by a system logical name "
          "in executive\n  mode, which wins over the file, for example\n"
          "  `DEFINE/SYSTEM/EXECUTIVE_MODE NEWMAIL_POP3_LEAVE_IN_NEWMAIL "
          "YES`.\n"
          "- `newmail config check` validates a file and prints every "
          "effective value\n  with where it came from.\n"
          "\n"
          "## Keys\n"
          "\n"
          "| key | type | default | without a file | OpenVMS logical name "
          "| meaning |\n"
          "|---|---|---|---|---|---|\n", stdout);
    for (i = 0; i < cf_nkeys; i++) {
        const cf_key *k = &cf_keys[i];
        cf_logical_name(k->name, lnm, sizeof lnm);
        printf("| `%s` | %s", k->name, cf_type_name(k->type));
        bounds(k, b, sizeof b);
        if (b[0] != '\0')
            printf(", %s", b);
        if (k->type == CF_T_ENUM) {
            enum_list(k, "`, `", b, sizeof b);
            printf(": `%s`", b);
        }
        fputs(" | ", stdout);
        md_value(k->def);
        fputs(" | ", stdout);
        md_value(emb_default(k));
        printf(" | `%s` | %s |\n", lnm, k->doc);
    }
}

static int keys_run(cl_ctx *ctx, int argc, char **argv)
{
    int i, markdown = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--markdown") == 0)
            markdown = 1;
        else
            return cl_usage_error(ctx, "newmail config keys", "[--markdown]",
                                  "unknown argument", argv[i]);
    }
    if (markdown)
        keys_markdown();
    else
        keys_text();
    return fflush(stdout) == 0 ? CL_EX_OK : CL_EX_IOERR;
}
