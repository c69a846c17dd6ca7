/*
 * ut_params.h - every limit and tunable default of newmail in one place
 * (after popa3d's params.h).  Each constant says why it has its value.
 * Configuration keys may lower or raise some of these at run time; the
 * constants are the defaults and the hard ceilings.
 * Privilege: none; constants only.
 */
#ifndef UT_PARAMS_H
#define UT_PARAMS_H

/* --- line reader --- */

/* RFC 5321 4.5.3.1.4: a command line is at most 512 octets with CRLF. */
#define UT_SMTP_CMD_MAX      512
/* RFC 4954 4: an AUTH exchange line may be 12288 octets. */
#define UT_SMTP_AUTH_LINE_MAX 12288
/* RFC 2449 4: a POP3 command line is at most 255 octets with CRLF. */
#define UT_POP3_CMD_MAX      255
/* RFC 1939 3: each POP3 argument is at most 40 characters. */
#define UT_POP3_ARG_MAX      40
/* RFC 5321 4.5.3.1.6: a text line is 1000 octets with CRLF; DATA reads use
 * a larger buffer and enforce the policy themselves. */
#define UT_SMTP_TEXT_MAX     1000

/* The smallest line-reader buffer: the cut of an over-long line keeps
 * max_line - 2 octets, and a few octets of it must remain to log. */
#define UT_LR_MIN_LINE       8
/* Per-read timeout of a fresh line reader until its owner sets one: the
 * RFC 5321 4.5.3.2.7 server wait, so a forgotten call cannot hang a
 * thread forever. */
#define UT_LR_TIMEOUT_MS     (300L * 1000L)

/* --- configuration --- */

/* A configuration line longer than this is an error, not a cut value. */
#define UT_CONF_LINE_MAX     4096
/* A configuration file larger than this is refused (it is a mistake). */
#define UT_CONF_FILE_MAX     (1024L * 1024L)
/* Items in one list value (domains, listen addresses). */
#define UT_CONF_LIST_MAX     256

/* --- timeouts (seconds) --- */

/* RFC 1939 3: the POP3 autologout timer is at least 10 minutes. */
#define UT_POP3_IDLE_SECS    600
/* RFC 5321 4.5.3.2.7: the SMTP server waits at least 5 minutes. */
#define UT_SMTP_IDLE_SECS    300

#endif
