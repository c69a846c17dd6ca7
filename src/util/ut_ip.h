/*
 * ut_ip.h - IP address text without the system resolver: dotted quads
 * and RFC 4291 IPv6 text in, 4 or 16 octets out, and RFC 5952 text back
 * (the DNS resolver, relay client networks).
 * Limits: no zone ids ("%eth0"), no names, no leading zeros in a quad
 * (so "010" is never read as octal elsewhere).
 * Privilege: none (pure functions).
 */
#ifndef UT_IP_H
#define UT_IP_H

#include "pl.h"

/* Parse n bytes of address text into a (16 bytes of room): *len 4 for a
 * dotted quad, 16 for IPv6 text (an embedded dotted quad at its end
 * allowed).  PL_EINVAL for anything else. */
int ut_ip_parse(const char *s, size_t n, unsigned char *a, int *len);

/* a (len 4 or 16 octets) as text into out: "192.0.2.1", or RFC 5952
 * lower-case IPv6 with the longest run of two or more zero groups
 * shortened to "::".  n of PL_ADDR_MAX is always enough. */
void ut_ip_text(const unsigned char *a, int len, char *out, size_t n);

#endif
