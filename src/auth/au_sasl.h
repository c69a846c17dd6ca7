/*
 * au_sasl.h - the server side of the SASL mechanisms, protocol-neutral:
 * POP3 AUTH (RFC 5034) and SMTP AUTH (RFC 4954) both drive it.
 *
 * Contract: the protocol layer decodes the client's base64 (and handles "*"
 * as a cancel itself), calls au_sasl_step with the raw bytes, and sends the
 * raw challenge it gets back base64-encoded.  Mechanisms: PLAIN, LOGIN,
 * CRAM-MD5, DIGEST-MD5, SCRAM-SHA-256 (no channel binding).  Every failure,
 * including an unknown user, a malformed message, a NUL where none may be,
 * and an authzid different from the authcid, ends in AU_SASL_FAIL with the
 * same result for unknown user and wrong password.  Secrets are wiped.
 * Privilege: the service account (reads the account database).
 */
#ifndef AU_SASL_H
#define AU_SASL_H

#include "au.h"
#include "ut_buf.h"
#include "cf.h"

#define AU_MECH_PLAIN    1
#define AU_MECH_LOGIN    2
#define AU_MECH_CRAM_MD5 4
#define AU_MECH_DIGEST   8
#define AU_MECH_SCRAM    16
#define AU_MECH_PLAINTEXT (AU_MECH_PLAIN | AU_MECH_LOGIN)  /* need TLS */

/* au_sasl_step results */
#define AU_SASL_CONTINUE 1   /* send the challenge in out, read a reply */
#define AU_SASL_DONE     2   /* authenticated; out may hold final server
                                data to send (SCRAM server-final) */
#define AU_SASL_FAIL     3   /* refused; see au_sasl_result */

typedef struct au_sasl au_sasl;

/* Mechanism bit for a name (any case), 0 if unknown; and the reverse. */
int au_sasl_mech(const char *name);
const char *au_sasl_mech_name(int mech);

/* Space-separated names of the mechanisms in mask, for CAPA/EHLO. */
int au_sasl_mech_list(int mask, char *buf, size_t n);

/* The mechanisms the configuration offers (auth.mechanisms, whose items
 * the configuration loader has already checked); the protocol engines
 * intersect this with their own TLS policy. */
int au_sasl_mech_conf(const cf_config *c);

/* Start an exchange.  hostname and service ("pop", "smtp") feed the
 * DIGEST-MD5 realm and digest-uri and the CRAM-MD5 challenge. */
int au_sasl_start(au_db *db, int mech, const char *hostname,
                  const char *service, au_sasl **out);

/* One step.  has_input = 0 for "no initial response"; otherwise in/inlen
 * hold the decoded client bytes (inlen may be 0 for an empty response).
 * out is cleared and receives the raw challenge or final data.  A negative
 * PL_E* code means the server failed (I/O, corrupt record, memory): the
 * exchange is over, answer a temporary error.  After DONE or FAIL every
 * further step is AU_SASL_FAIL: each attempt needs a fresh au_sasl. */
int au_sasl_step(au_sasl *s, const void *in, size_t inlen, int has_input,
                 ut_buf *out);

/* After AU_SASL_DONE or AU_SASL_FAIL: the AU_AUTH_* result and, when
 * known, the account address "user@domain" (empty otherwise; told only
 * after a right proof: AU_AUTH_OK, _LOCKED, _EXPIRED).  PL_EAGAIN while
 * the exchange is still running. */
int au_sasl_result(const au_sasl *s, int *auth_result, char *addr,
                   size_t n);

/* Wipe and free (NULL accepted). */
void au_sasl_free(au_sasl *s);

#endif
