/*
 * cl_dns.c - `newmail dns DOMAIN` and `newmail dns --host NAME`: the mail
 * route of a domain exactly as the queue runner sees it (dn_route_lookup
 * with dns.servers, dns.timeout, dns.attempts and this host's name as
 * "self"), or the addresses of one host, one line per host on standard
 * output:
 *     PREF NAME ADDRESS...        ("implicit" for a domain without MX)
 *     NAME ADDRESS...             (--host)
 * Exit codes tell a script what the queue would do: 0 a route, 68 no
 * such domain or host (mail would bounce, 5.1.2), 69 null MX or a route
 * back to this host (bounce, 5.1.10 / 5.4.6), 75 try later (4.4.3),
 * 78 a bad dns.servers, 65 not a domain name, 64 usage.
 * Limits: CL_DNS_LIST_MAX --self and --server options each.
 * Privilege: none; only asks the name servers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cl.h"
#include "dn.h"

#define DNS_USAGE "[--server ADDRESS]... [--self NAME]... DOMAIN\n" \
    "       newmail dns [--server ADDRESS]... --host NAME"
#define CL_DNS_LIST_MAX 8

/* What the command line asked for. */
typedef struct cl_dns_args {
    const char *name;
    int host;                                  /* --host */
    const char *self[CL_DNS_LIST_MAX + 1];     /* + the configured name */
    int nself;
    const char *server[DN_SERVERS_MAX];
    int nserver;
} cl_dns_args;

static int cl_dns_parse(const cl_ctx *ctx, int argc, char **argv,
                        cl_dns_args *a)
{
    static const char path[] = "newmail dns";
    const char *v;
    int i, o;

    memset(a, 0, sizeof *a);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--host") == 0) {
            a->host = 1;
        } else if ((o = cl_opt(argc, argv, &i, "--self", &v)) != 0) {
            if (o < 0 || a->nself >= CL_DNS_LIST_MAX)
                return cl_usage_error(ctx, path, DNS_USAGE, o < 0
                                      ? "missing value of" : "too many",
                                      "--self");
            a->self[a->nself++] = v;
            i--;
        } else if ((o = cl_opt(argc, argv, &i, "--server", &v)) != 0) {
            if (o < 0 || a->nserver >= DN_SERVERS_MAX)
                return cl_usage_error(ctx, path, DNS_USAGE, o < 0
                                      ? "missing value of" : "too many",
                                      "--server");
            a->server[a->nserver++] = v;
            i--;
        } else if (argv[i][0] == '-') {
            return cl_usage_error(ctx, path, DNS_USAGE, "unknown option",
                                  argv[i]);
        } else if (a->name == NULL) {
            a->name = argv[i];
        } else {
            return cl_usage_error(ctx, path, DNS_USAGE,
                                  "too many arguments:", argv[i]);
        }
    }
    if (a->name == NULL)
        return cl_usage_error(ctx, path, DNS_USAGE, a->host
                              ? "missing NAME" : "missing DOMAIN", NULL);
    return CL_EX_OK;
}

/* The resolver of the configuration (or of --server). */
static int cl_dns_resolver(const cl_ctx *ctx, cf_config *cf,
                           cl_dns_args *a, dn_resolver **r)
{
    const char **srv = a->server;
    pl_i64 secs = cf_duration(cf, "dns.timeout");
    int n = a->nserver, i, rc;

    if (n == 0) {
        n = cf_list_count(cf, "dns.servers");
        if (n > DN_SERVERS_MAX) {
            cl_error(ctx, "dns.servers: at most %d name servers",
                     DN_SERVERS_MAX);
            return CL_EX_CONFIG;
        }
        for (i = 0; i < n; i++)
            a->server[i] = cf_list_item(cf, "dns.servers", i);
    }
    rc = dn_resolver_new(srv, n, (pl_i32)(secs * 1000),
                         (int)cf_int(cf, "dns.attempts"), r);
    if (rc == PL_OK)
        return CL_EX_OK;
    if (rc == PL_ENOENT)
        cl_error(ctx, "no name server: dns.servers is empty and the "
                 "system has none");
    else if (rc == PL_EINVAL)
        cl_error(ctx, "%s: a name server is not ADDRESS[:PORT] or "
                 "[IPV6]:PORT", a->nserver > 0 ? "--server" : "dns.servers");
    else
        cl_error(ctx, "cannot make a resolver: %s", pl_strerror(rc));
    return CL_EX_CONFIG;
}

/* One host: "PREF NAME ADDRESS...", "implicit NAME ..." for the domain
 * itself, "NAME ADDRESS..." for --host (with_pref 0). */
static void cl_dns_print(const dn_host *h, int with_pref)
{
    int i;

    if (!with_pref)
        printf("%s", h->name);
    else if (h->pref < 0)
        printf("implicit %s", h->name);
    else
        printf("%d %s", h->pref, h->name);
    for (i = 0; i < h->naddr; i++)
        printf(" %s", h->addr[i]);
    putchar('\n');
}

/* The exit code of a DN_R_* result. */
static int cl_dns_exit(int result)
{
    switch (result) {
    case DN_R_OK:
        return CL_EX_OK;
    case DN_R_NOHOST:
        return CL_EX_NOHOST;
    case DN_R_TEMP:
        return CL_EX_TEMPFAIL;
    default:
        return CL_EX_UNAVAILABLE;   /* null MX, loop */
    }
}

static int cl_dns_host(const cl_ctx *ctx, dn_resolver *r, const char *name)
{
    dn_host h;
    int result = DN_R_TEMP, rc = dn_host_lookup(r, name, &h, &result);

    if (rc != PL_OK) {
        cl_error(ctx, "'%s' is not a host name or address", name);
        return CL_EX_DATAERR;
    }
    if (result == DN_R_OK)
        cl_dns_print(&h, 0);
    else
        cl_error(ctx, "%s: %s", name, result == DN_R_NOHOST
                 ? "no such host, or no address" : "try later: no name "
                 "server answered, or it failed");
    return cl_dns_exit(result);
}

static int cl_dns_route(const cl_ctx *ctx, dn_resolver *r, cl_dns_args *a)
{
    dn_route *rt = (dn_route *)malloc(sizeof *rt);
    int i, rc, ex;

    if (rt == NULL) {
        cl_error(ctx, "out of memory");
        return CL_EX_TEMPFAIL;
    }
    rc = dn_route_lookup(r, a->name, a->self, a->nself, rt);
    if (rc != PL_OK) {
        cl_error(ctx, "'%s' is not a domain name", a->name);
        free(rt);
        return CL_EX_DATAERR;
    }
    for (i = 0; i < rt->nhost && rt->result == DN_R_OK; i++)
        cl_dns_print(&rt->host[i], 1);
    if (rt->result != DN_R_OK)
        cl_error(ctx, "%s", rt->why);
    ex = cl_dns_exit(rt->result);
    free(rt);
    return ex;
}

int cl_dns_run(cl_ctx *ctx, int argc, char **argv)
{
    cl_dns_args a;
    const char *used;
    cf_config *cf = NULL;
    dn_resolver *r = NULL;
    int ex;

    ex = cl_dns_parse(ctx, argc, argv, &a);
    if (ex == CL_EX_OK)
        ex = cl_load_config(ctx, NULL, &cf, &used);
    if (ex == CL_EX_OK)
        ex = cl_dns_resolver(ctx, cf, &a, &r);
    if (ex == CL_EX_OK && a.host) {
        ex = cl_dns_host(ctx, r, a.name);
    } else if (ex == CL_EX_OK) {
        /* Our own name marks a route back to us, as in the queue. */
        if (cf_str(cf, "hostname")[0] != '\0')
            a.self[a.nself++] = cf_str(cf, "hostname");
        ex = cl_dns_route(ctx, r, &a);
    }
    dn_resolver_free(r);
    cf_free(cf);
    return ex;
}
