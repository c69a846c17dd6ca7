/*
 * dn_int.h - what the files of the DNS stub resolver (src/dns) share and
 * nothing else needs: wire constants, the query builder, the reply
 * checker and answer extractor (dn_msg.c), address text (dn_msg.c), the
 * server list and the exchange with the servers (dn_res.c).  The unit
 * tests (tests/unit/t_dns.c) use these directly.
 * Limits: a reply is at most DN_MSG_MAX octets (the TCP length prefix);
 * DN_REC_MAX records of the asked type are kept per answer.
 * Privilege: none; declarations only.
 */
#ifndef DN_INT_H
#define DN_INT_H

#include "dn.h"
#include "ut_ip.h"

/* RFC 1035 3.2.2 and RFC 3596 2.1: the types asked or followed. */
#define DN_T_A     1
#define DN_T_CNAME 5
#define DN_T_MX    15
#define DN_T_AAAA  28
#define DN_C_IN    1

/* RFC 1035 4.1.1 header fields. */
#define DN_HDR_LEN   12
#define DN_F_QR      0x8000
#define DN_F_AA      0x0400
#define DN_F_TC      0x0200
#define DN_F_RD      0x0100
#define DN_F_RA      0x0080
#define DN_RC_NOERROR  0
#define DN_RC_FORMERR  1
#define DN_RC_SERVFAIL 2
#define DN_RC_NXDOMAIN 3
#define DN_RC_NOTIMP   4
#define DN_RC_REFUSED  5

/* The largest message: TCP carries a 16-bit length (RFC 1035 4.2.2). */
#define DN_MSG_MAX   65535
/* A query: header, a name of at most 255 octets, type and class. */
#define DN_QUERY_MAX (DN_HDR_LEN + 255 + 4)
/* Octets of a name on the wire (RFC 1035 3.1) and of one label. */
#define DN_WIRE_MAX  255
#define DN_LABEL_MAX 63
/* Compression pointers followed in one name: each must point before the
 * part that led to it, so a loop is impossible anyway; this is a second
 * bound in case that rule is ever relaxed. */
#define DN_JUMPS_MAX 64
/* Records of one type kept from one answer: MX sets larger than this
 * keep their best preferences. */
#define DN_REC_MAX   32
/* How long a server that did not answer is asked after the others. */
#define DN_BAD_MS    60000

/* A name decoded from the wire: lower case, labels joined by '.', no
 * trailing dot, the root as "".  An octet that may not appear in a host
 * name (RFC 952/1123 letters, digits, hyphen; underscore tolerated) is
 * written as '?', so such a name never equals or passes for a host name. */

/* Put the question for `name` (text, one trailing dot allowed) and qtype
 * into buf with id and RD set; *len its length.  PL_EINVAL when name is
 * not a host name (characters, 1..63 octets per label, 255 in all). */
int dn_query_build(unsigned char *buf, size_t n, unsigned id,
                   const char *name, int qtype, size_t *len);

/* Read the (possibly compressed) name at *off of the n-octet message m
 * into out (at least DN_NAME_MAX + 1) and move *off past it.  PL_EINVAL
 * for a name running past n, a label over 63 octets, a reserved label
 * type, a pointer that does not point before its own segment, more than
 * DN_JUMPS_MAX pointers or more than 255 octets in all. */
int dn_name_read(const unsigned char *m, size_t n, size_t *off, char *out,
                 size_t outn);

/* 1 if text is a host name we will return: 1..253 characters, labels of
 * 1..63 letters, digits, hyphens and underscores, one trailing dot
 * allowed. */
int dn_name_ok(const char *text);

/* Compare two names in text case-insensitively, ignoring one trailing
 * dot on either.  1 if equal. */
int dn_name_eq(const char *a, const char *b);

/* The reply header fields we use. */
typedef struct dn_hdr {
    unsigned id;
    unsigned flags;      /* DN_F_* and the RCODE in the low 4 bits */
    unsigned qd, an, ns, ar;
} dn_hdr;

/* Check that m (n octets) is the reply to the query (id, name, qtype):
 * QR set, standard query, one question equal to ours, class IN.  Fills
 * *h and *qend (offset after the question).  PL_ENOENT: well formed but
 * not the reply to this query; PL_EINVAL: malformed. */
int dn_reply_match(const unsigned char *m, size_t n, unsigned id,
                   const char *name, int qtype, dn_hdr *h, size_t *qend);

/* One record of the asked type: an MX (pref, host name; "" is the null
 * MX's root) or an address (pref 0, text as "192.0.2.1", "2001:db8::1"). */
typedef struct dn_rec {
    int pref;
    char data[DN_NAME_MAX + 1];
} dn_rec;

/* What one answer says about a name. */
typedef struct dn_ans {
    int rcode;                    /* DN_RC_* of the reply */
    int nrec;                     /* records kept in rec[] */
    int nbad;                     /* records refused (not a host name) */
    int ncname;                   /* CNAMEs followed inside the answer */
    int cname_open;               /* 1: the chain leads to `name` but this
                                     answer has no records for it */
    char name[DN_NAME_MAX + 1];   /* where the chain ended */
    dn_rec rec[DN_REC_MAX];
} dn_ans;

/* Read the answer section of a matched reply (qend from dn_reply_match)
 * for qname and qtype, following CNAMEs from qname at most `budget`
 * times.  PL_EINVAL: malformed section or record data, a CNAME target
 * that is not a host name; PL_ELOOP: the chain is longer than budget. */
int dn_ans_parse(const unsigned char *m, size_t n, size_t qend,
                 const dn_hdr *h, const char *qname, int qtype, int budget,
                 dn_ans *out);

/* One name server. */
typedef struct dn_server {
    char udp[PL_ADDR_MAX];     /* "192.0.2.1:53", "[2001:db8::1]:53" */
    char host[PL_ADDR_MAX];    /* the address alone, for pl_sock_connect */
    char port[8];
} dn_server;

/* Parse "ADDRESS", "ADDRESS:PORT", "[V6]", "[V6]:PORT" or a bare IPv6
 * address (port 53 when none is given).  PL_EINVAL otherwise. */
int dn_server_parse(const char *text, dn_server *s);

/* Ask the resolver's servers for qname/qtype and read the answer (as
 * dn_ans_parse with budget).  PL_OK: an answer (NOERROR or NXDOMAIN in
 * out->rcode).  PL_ETIMEDOUT: no server answered; PL_EAGAIN: servers
 * answered with a failure (out->rcode the last one, -1 for a malformed
 * reply); PL_ELOOP: CNAME chain too long; PL_EINVAL: qname is no host
 * name; PL_ERR: no random numbers. */
int dn_ask(dn_resolver *r, const char *qname, int qtype, int budget,
           dn_ans *out);

/* The pure steps of dn_route_lookup (dn_mx.c), for the tests.
 * dn_route_sort: MX records into out->host by preference (equal ones
 * shuffled), null MX records left out, at most DN_HOSTS_MAX; returns the
 * number of null MX records, -1 on bad arguments or no memory.
 * dn_route_self: drop the hosts at or below the best preference that is
 * ours (see dn_route_lookup); 1 if one was ours.
 * dn_route_drop_bare: drop the hosts without addresses. */
int dn_route_sort(dn_rec *rec, int nrec, dn_route *out);
int dn_route_self(dn_route *rt, const char *const *self, int nself);
void dn_route_drop_bare(dn_route *rt);

#endif
