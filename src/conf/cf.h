/*
 * cf.h - configuration: the key registry, the file parser, typed values.
 *
 * Contract
 *  - File syntax: one `key = value` per line; keys are dotted lower-case
 *    words (`pop3.leave_in_newmail`); `#` or `!` starts a comment (whole
 *    line, or after blanks outside quotes); values may be "quoted" (with
 *    \" and \\ as the only escapes; needed for an empty value, blanks at
 *    either end, or a comment character; customary for OpenVMS delta
 *    times, "0 00:10:00"); lists are comma separated; LF or CRLF line
 *    ends.  Every error names the file and the line.
 *  - Every key is known in advance (cf_keys.c) with its type, default, and
 *    documentation; an unknown key or a bad value is an error, never
 *    ignored.  On OpenVMS a system logical NEWMAIL_<KEY> (dots as _)
 *    overrides the file (pl_cfg_override).
 *  - With no configuration file at all (cf_load(NULL)) the embedded
 *    defaults apply: loopback listeners on unprivileged ports, a store in
 *    a local folder.  With a file, a service without a listen key is off.
 *  - Every load (file, text or embedded) applies the overrides, then the
 *    rules between keys: a listening service needs store.root; pop3s and
 *    submissions need tls.cert and tls.key; tls.cert and tls.key come
 *    together.  A broken rule is reported where the key was set.
 *  - Types: string, bool (yes/no, true/false, on/off, 1/0), integer,
 *    duration (seconds; 10s 10m 2h 1d units; OpenVMS delta "d hh:mm:ss.cc"
 *    or "hh:mm:ss"; at most 9999 days), size (bytes; K M G, powers of
 *    1024), list, address list (ADDRESS:PORT items), enum.
 *  - A cf_config is read-only after loading: any number of threads may
 *    read one; cf_free it once nobody does.
 * Privilege: none (the file is read with the caller's rights).
 */
#ifndef CF_H
#define CF_H

#include "pl.h"

typedef struct cf_config cf_config;

#define CF_ERR_MAX 512   /* size of an error message buffer */

/* Load the file at path spec, or the embedded defaults when path is NULL.
 * On failure *out is NULL and err holds "FILE:LINE: message" (or
 * "FILE: message" for the file as a whole); the status is PL_EINVAL for
 * a bad configuration, PL_ENOENT when the file does not exist, PL_EACCES
 * when it cannot be opened for another reason (the message says which),
 * a PL_EIO-like read error, or PL_ENOMEM. */
int cf_load(const char *path, cf_config **out, char *err, size_t errlen);

/* Parse configuration text (tests, reload).  name labels the errors. */
int cf_load_text(const char *text, size_t len, const char *name,
                 cf_config **out, char *err, size_t errlen);

void cf_free(cf_config *c);

/* Typed access.  key must be a registered key: asking for an unknown key
 * or with the wrong type is a programming error (logged and answered with
 * the type's zero).  cf_str works for every type (bool as yes/no, enum in
 * the registry's spelling); cf_int of an enum is the index of its value,
 * so cf_int(c, "log.level") is a PL_LOG_* level.  Lists: "list" and
 * "address list" keys. */
const char *cf_str(const cf_config *c, const char *key);     /* never NULL */
int cf_bool(const cf_config *c, const char *key);
pl_i64 cf_int(const cf_config *c, const char *key);  /* int; enum index */
pl_i64 cf_duration(const cf_config *c, const char *key);      /* seconds */
pl_u64 cf_size(const cf_config *c, const char *key);          /* bytes */
int cf_list_count(const cf_config *c, const char *key);
const char *cf_list_item(const cf_config *c, const char *key, int i);

/* 1 if the key was set by the file or an override, 0 if defaulted. */
int cf_is_set(const cf_config *c, const char *key);

/* Where a key's value came from: "default", "embedded", "FILE:LINE",
 * "logical NEWMAIL_X". */
const char *cf_source(const cf_config *c, const char *key);

/* Print the effective configuration, one `key = value  # source` per
 * line, every registered key, through out(ctx, line). */
typedef void (*cf_out_fn)(void *ctx, const char *line);
void cf_dump(const cf_config *c, cf_out_fn out, void *ctx);

/* Value parsers, also used by the command line.  PL_EINVAL on bad text. */
int cf_parse_bool(const char *s, int *out);
int cf_parse_duration(const char *s, pl_i64 *secs);
int cf_parse_size(const char *s, pl_u64 *bytes);

/* The OpenVMS logical name of a key: "pop3.leave_in_newmail" ->
 * "NEWMAIL_POP3_LEAVE_IN_NEWMAIL". */
int cf_logical_name(const char *key, char *buf, size_t n);

#endif
