/*
 * sm_relay.c - who may relay (the OpenVMS "good clients" and "relay
 * zones" as configuration): authenticated clients, clients whose address
 * is in smtp.relay_clients (ADDRESS or ADDRESS/BITS, IPv4 and IPv6), and
 * any client for a domain of smtp.relay_zones (exact, or a subdomain of
 * an entry that starts with a dot).  Plus the relay tricks of group E
 * (mail-servers.md): '%', '!', '@' in the local part, quoted local parts
 * and source routes are never relayed.
 *
 * Addresses are parsed by ut_ip.c (no OS resolver); an IPv4-mapped
 * IPv6 peer (::ffff:a.b.c.d) matches IPv4 networks, and a network
 * written ::ffff:a.b.c.d/N (N >= 96) is the IPv4 network.  An empty list
 * item (a list written "") matches nothing and is no error.
 * Limits: a network text is at most SM_NET_MAX octets.
 * Privilege: none (pure functions of the configuration).
 */
#include <string.h>
#include "sm_int.h"
#include "ut_ip.h"
#include "ut_str.h"

#define SM_NET_MAX 80

int sm_ip_parse(const char *s, size_t n, unsigned char out[16], int *bits)
{
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                              0xff, 0xff };
    int len;

    memset(out, 0, 16);
    if (ut_ip_parse(s, n, out, &len) != PL_OK)
        return PL_EINVAL;
    *bits = len * 8;
    if (len == 16 && memcmp(out, mapped, 12) == 0) {
        memmove(out, out + 12, 4);
        memset(out + 4, 0, 12);
        *bits = 32;
    }
    return PL_OK;
}

int sm_net_match(const char *net, const char *addr, int *match)
{
    unsigned char na[16], aa[16];
    int nbits, abits, pre, k;
    const char *slash;
    size_t nl = strlen(net);
    pl_u64 v;

    *match = 0;
    if (nl == 0 || nl > SM_NET_MAX)
        return PL_EINVAL;
    slash = strchr(net, '/');
    if (sm_ip_parse(net, slash != NULL ? (size_t)(slash - net) : nl, na,
                    &nbits) != PL_OK)
        return PL_EINVAL;
    pre = nbits;
    if (slash != NULL) {
        /* ::ffff:a.b.c.d/N counts N over 128 bits, the IPv4 part from 96 */
        int v6text = memchr(net, ':', (size_t)(slash - net)) != NULL;

        if (slash[1] == '\0' ||
            ut_parse_u64(slash + 1, strlen(slash + 1),
                         (pl_u64)(v6text ? 128 : nbits), &v) != PL_OK)
            return PL_EINVAL;
        pre = (int)v;
        if (v6text && nbits == 32) {
            if (pre < 96)
                return PL_EINVAL;
            pre -= 96;
        }
    }
    if (addr == NULL || sm_ip_parse(addr, strlen(addr), aa, &abits) != PL_OK
        || abits != nbits)
        return PL_OK;   /* not an address of this family: no match */
    for (k = 0; k < pre / 8; k++)
        if (na[k] != aa[k])
            return PL_OK;
    if (pre % 8 != 0) {
        unsigned char m = (unsigned char)(0xff << (8 - pre % 8));
        if ((na[k] & m) != (aa[k] & m))
            return PL_OK;
    }
    *match = 1;
    return PL_OK;
}

int sm_zone_match(const char *zone, const char *domain)
{
    size_t zl = strlen(zone), dl = strlen(domain);

    if (zl == 0)
        return 0;
    if (zone[0] != '.')
        return ut_strcaseeq(zone, domain);
    /* ".example.org": the domain itself and any subdomain */
    if (dl == zl - 1 && ut_strcaseeq(zone + 1, domain))
        return 1;
    return dl > zl && ut_strcaseeq(domain + dl - zl, zone);
}

int sm_relay_allowed(const cf_config *cfg, int auth, const char *peer,
                     const char *domain)
{
    int i, n, m;

    if (auth)
        return 1;
    n = cf_list_count(cfg, "smtp.relay_clients");
    for (i = 0; i < n; i++)
        if (sm_net_match(cf_list_item(cfg, "smtp.relay_clients", i), peer,
                         &m) == PL_OK && m)
            return 1;
    n = cf_list_count(cfg, "smtp.relay_zones");
    for (i = 0; i < n; i++)
        if (sm_zone_match(cf_list_item(cfg, "smtp.relay_zones", i), domain))
            return 1;
    return 0;
}

int sm_addr_tricky(const sm_addr *a)
{
    return a->quoted || a->routed || strchr(a->local, '%') != NULL ||
           strchr(a->local, '!') != NULL || strchr(a->local, '@') != NULL;
}

int sm_relay_check(const cf_config *cfg, char *err, size_t errlen)
{
    const char *v, *d;
    int i, n, m;

    n = cf_list_count(cfg, "smtp.relay_clients");
    for (i = 0; i < n; i++) {
        v = cf_list_item(cfg, "smtp.relay_clients", i);
        if (v[0] != '\0' && sm_net_match(v, NULL, &m) != PL_OK) {
            ut_strlcpy(err, "smtp.relay_clients: bad network \"", errlen);
            ut_strlcat(err, v, errlen);
            ut_strlcat(err, "\" (ADDRESS or ADDRESS/BITS)", errlen);
            return PL_EINVAL;
        }
    }
    n = cf_list_count(cfg, "smtp.relay_zones");
    for (i = 0; i < n; i++) {
        v = cf_list_item(cfg, "smtp.relay_zones", i);
        d = v[0] == '.' ? v + 1 : v;
        if (v[0] != '\0' &&
            (!sm_addr_domain_ok(d, strlen(d)) || d[0] == '[')) {
            ut_strlcpy(err, "smtp.relay_zones: bad domain \"", errlen);
            ut_strlcat(err, v, errlen);
            ut_strlcat(err, "\"", errlen);
            return PL_EINVAL;
        }
    }
    return PL_OK;
}
