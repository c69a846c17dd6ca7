/*
 * dn.h - a DNS stub resolver for mail routing: MX, A and AAAA lookups
 * over UDP (TCP when the answer is truncated) to configured name servers
 * (RFC 1035, 2181, 3596, 5321 section 5, 7505 null MX).
 *
 * Contract: blocking calls bounded by timeout x attempts x servers; every
 * answer is matched to its query (random id, same question, from the
 * server asked) and parsed with bounds checks on every octet (name
 * compression loops, lengths past the end are errors, never crashes);
 * CNAME chains are followed at most DN_CNAME_MAX times.  A resolver may be
 * used by many threads at once.
 * Privilege: none.
 */
#ifndef DN_H
#define DN_H

#include "pl.h"

#define DN_NAME_MAX   255   /* a domain name in text, without the NUL */
#define DN_HOSTS_MAX  16    /* mail exchangers kept per route */
#define DN_ADDRS_MAX  8     /* addresses kept per host */
#define DN_CNAME_MAX  8
#define DN_SERVERS_MAX 8
#define DN_WHY_MAX    160

/* Route and lookup results */
#define DN_R_OK     0   /* hosts found */
#define DN_R_NOHOST 1   /* the domain does not exist or has no address:
                           permanent (5.1.2) */
#define DN_R_NULLMX 2   /* RFC 7505 null MX: accepts no mail (5.1.10) */
#define DN_R_TEMP   3   /* server failure, timeout: try later (4.4.3) */
#define DN_R_LOOP   4   /* the best MX is this host: permanent (5.4.6) */

typedef struct dn_resolver dn_resolver;

typedef struct dn_host {
    char name[DN_NAME_MAX + 1];          /* exchanger host name */
    int pref;                            /* MX preference; -1: no MX
                                            (the domain's own address) */
    int naddr;
    char addr[DN_ADDRS_MAX][PL_ADDR_MAX]; /* "192.0.2.1", "2001:db8::1" */
} dn_host;

typedef struct dn_route {
    int result;                          /* DN_R_* */
    int nhost;
    dn_host host[DN_HOSTS_MAX];          /* in the order to try them */
    char why[DN_WHY_MAX];                /* for logs and DSNs */
} dn_route;

/* A resolver asking servers ("ADDRESS", "ADDRESS:PORT", "[V6]:PORT"; at
 * most DN_SERVERS_MAX) in turn; nservers 0: the system's (pl_dns_servers;
 * items that are no numeric address are skipped).  timeout_ms per query
 * and server; attempts: rounds over the servers.  Servers must be
 * recursive.  PL_EINVAL for a malformed server, PL_ENOENT when there is
 * none. */
int dn_resolver_new(const char *const *servers, int nservers,
                    pl_i32 timeout_ms, int attempts, dn_resolver **out);
void dn_resolver_free(dn_resolver *r);

/* Where mail for `domain` goes: its MX hosts by preference (equal
 * preferences in random order), each with its addresses (A then AAAA);
 * no MX record: the domain itself as one host with pref -1 (RFC 5321
 * 5.1).  Hosts named in self (our host names, case-insensitive) or having
 * an address in self (our addresses) mark our own preference: they and
 * every host not better are dropped, and DN_R_LOOP if none is left.
 * Hosts without an address are dropped too; out->why says what happened
 * (for logs and DSNs).  Returns PL_OK with out->result set, PL_EINVAL for
 * a domain that is not a host name (an address literal included), or
 * PL_ENOMEM. */
int dn_route_lookup(dn_resolver *r, const char *domain,
                    const char *const *self, int nself, dn_route *out);

/* The addresses of one host name (a smart host); out->pref is -1.
 * *result gets a DN_R_* value.  An address literal ("192.0.2.1",
 * "[192.0.2.1]", "[IPv6:2001:db8::1]") is returned as it is, without a
 * query.  PL_EINVAL for a name that is neither. */
int dn_host_lookup(dn_resolver *r, const char *name, dn_host *out,
                   int *result);

#endif
