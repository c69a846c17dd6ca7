/*
 * sv_listen.c - open the listening sockets of a server: the systemd
 * socket-activation descriptors when the service manager passed some,
 * else one pl_sock_listen per ADDRESS:PORT of each service's listen key.
 *
 * An inherited socket belongs to the service whose listen key names its
 * port: the configuration stays the one description of what listens
 * where, and a unit file that disagrees with it is an error at start, not
 * a silent surprise.  Binding happens before privileges are dropped, so
 * ports below 1024 work.
 * Limits: SV_LISTEN_MAX sockets.
 * Privilege: binds as root, then the caller runs as service.user.
 */
#include <string.h>
#include "sv_int.h"
#include "ut_log.h"
#include "ut_str.h"

/* Listen queue: the accept loop takes connections as fast as threads
 * start; this only absorbs bursts. */
#define SV_BACKLOG 128

/* The port of "ADDRESS:PORT" (after the last ':'), or -1. */
static int item_port(const char *item)
{
    const char *p = strrchr(item, ':');
    pl_u64 v;

    if (p == NULL || ut_parse_u64(p + 1, strlen(p + 1), 65535, &v) != PL_OK)
        return -1;
    return (int)v;
}

/* The service whose listen key has an item on port; -1 if none. */
static int svc_for_port(const sv_server *s, const cf_config *cfg, int port,
                        char *addr, size_t n)
{
    int i, j;

    for (i = 0; i < s->nsvc; i++) {
        const char *key = s->svc[i].svc->listen_key;
        for (j = 0; j < cf_list_count(cfg, key); j++) {
            if (item_port(cf_list_item(cfg, key, j)) == port) {
                (void)ut_strlcpy(addr, cf_list_item(cfg, key, j), n);
                return i;
            }
        }
    }
    return -1;
}

static int listen_inherited(sv_server *s, pl_sock **socks, int n,
                            char *err, size_t errlen)
{
    const cf_config *cfg = s->cfg->cfg;
    int i, rc = PL_OK;

    for (i = 0; i < n; i++) {
        char local[PL_ADDR_MAX];
        int port = 0, si;

        if (pl_sock_local(socks[i], local, sizeof local, &port) != PL_OK)
            port = -1;
        si = svc_for_port(s, cfg, port, s->ls_addr[s->nls],
                          sizeof s->ls_addr[0]);
        if (si < 0) {
            ut_log_format(err, errlen, "inherited socket %d (%s port %d) "
                          "matches no configured listen address", i, local,
                          port);
            rc = PL_EINVAL;
            break;
        }
        s->ls[s->nls] = socks[i];
        s->ls_svc[s->nls] = si;
        socks[i] = NULL;
        s->nls++;
        ut_log_info("%s: listening on %s (socket activation)",
                    s->svc[si].svc->name, s->ls_addr[s->nls - 1]);
    }
    for (i = 0; i < n; i++)
        pl_sock_close(socks[i]);
    return rc;
}

int sv_server_listen(sv_server *s, char *err, size_t errlen)
{
    const cf_config *cfg = s->cfg->cfg;
    pl_sock *inh[SV_LISTEN_MAX];
    int i, j, n = 0, rc;

    err[0] = '\0';
    rc = pl_sock_inherited_listeners(inh, SV_LISTEN_MAX, &n);
    if (rc == PL_OK && n > 0)
        return listen_inherited(s, inh, n, err, errlen);
    for (i = 0; i < s->nsvc; i++) {
        const char *key = s->svc[i].svc->listen_key;
        for (j = 0; j < cf_list_count(cfg, key); j++) {
            const char *a = cf_list_item(cfg, key, j);
            if (s->nls >= SV_LISTEN_MAX) {
                ut_log_format(err, errlen, "more than %d listen addresses",
                              SV_LISTEN_MAX);
                return PL_ERANGE;
            }
            rc = pl_sock_listen(a, SV_BACKLOG, &s->ls[s->nls]);
            if (rc != PL_OK) {
                char nat[128];
                pl_last_native(nat, sizeof nat);
                ut_log_format(err, errlen, "%s: cannot listen on %s: %s "
                              "(%s)", key, a, rc == PL_EADDRINUSE
                              ? "address already in use" : pl_strerror(rc),
                              nat);
                return rc;
            }
            (void)ut_strlcpy(s->ls_addr[s->nls], a, sizeof s->ls_addr[0]);
            s->ls_svc[s->nls] = i;
            s->nls++;
            ut_log_info("%s: listening on %s", s->svc[i].svc->name, a);
        }
    }
    if (s->nls == 0) {
        ut_log_format(err, errlen, "no service listens: set pop3.listen or "
                      "pop3s.listen");
        return PL_ENOENT;
    }
    return PL_OK;
}
