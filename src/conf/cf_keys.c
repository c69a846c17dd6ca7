/*
 * cf_keys.c - the registry: every configuration key newmail knows, with
 * its type, defaults, bounds and one line of documentation.  `newmail
 * config keys --markdown` prints this table as doc/config-reference.md.
 *
 * Two defaults per key: `def` applies when a configuration file is used
 * (a service without a listen key is off, paths must be written out), and
 * `def_emb` applies when there is no file at all, so that a first run
 * works on unprivileged loopback ports with data in ./newmail-data.
 * To add a key, add a row; the unit tests check that every default passes
 * its own checker and that names are valid and unique.
 * Limits: key names are at most CF_KEY_MAX characters.
 * Privilege: none; constant data.
 */
#include <string.h>
#include "cf_int.h"

#define NO_ENUM NULL
#define NONE 0, 0, NULL

const cf_key cf_keys[] = {
    /* --- identity --- */
    { "hostname", CF_T_STR, "", "localhost", NO_ENUM, NONE,
      "Name the server gives itself in greetings, Received headers and "
      "APOP challenges; empty: the system's host name." },
    { "domains", CF_T_LIST, "", "localhost", NO_ENUM, NONE,
      "Local mail domains, in addition to the virtual domains of the "
      "store." },

    /* --- listeners: empty means the service is off --- */
    { "pop3.listen", CF_T_ADDRS, "", "127.0.0.1:2110", NO_ENUM, NONE,
      "POP3 listeners (RFC 1939, STLS), ADDRESS:PORT, comma separated; "
      "empty: off." },
    { "pop3s.listen", CF_T_ADDRS, "", "127.0.0.1:2995", NO_ENUM, NONE,
      "POP3 over implicit TLS (RFC 8314); needs tls.cert and tls.key; "
      "empty: off." },
    { "smtp.listen", CF_T_ADDRS, "", "127.0.0.1:2525", NO_ENUM, NONE,
      "SMTP listeners for incoming mail (RFC 5321); empty: off." },
    { "submission.listen", CF_T_ADDRS, "", "127.0.0.1:2587", NO_ENUM, NONE,
      "Message submission listeners (RFC 6409, AUTH required); "
      "empty: off." },
    { "submissions.listen", CF_T_ADDRS, "", NULL, NO_ENUM, NONE,
      "Submission over implicit TLS (RFC 8314); needs tls.cert and "
      "tls.key; empty: off." },
    { "lmtp.listen", CF_T_ADDRS, "", NULL, NO_ENUM, NONE,
      "LMTP listeners (RFC 2033) for delivery from another mail "
      "server; empty: off." },

    /* --- TLS --- */
    { "tls.cert", CF_T_STR, "", "newmail-data/tls/cert.pem", NO_ENUM, NONE,
      "PEM file with the server certificate and its chain." },
    { "tls.key", CF_T_STR, "", "newmail-data/tls/key.pem", NO_ENUM, NONE,
      "PEM file with the private key of tls.cert." },

    /* --- store --- */
    { "store.root", CF_T_STR, "", "newmail-data/store", NO_ENUM, NONE,
      "Directory of the mail store (a path, or an OpenVMS "
      "device:[directory]); required when a service listens." },
    { "store.compress", CF_T_BOOL, "no", NULL, NO_ENUM, NONE,
      "Compress message files at rest with zlib; sizes shown to clients "
      "do not change." },
    { "store.compress_threshold", CF_T_SIZE, "16K", NULL, NO_ENUM,
      0, 1024L * 1024L * 1024L, "bytes",
      "With store.compress, compress only messages at least this large." },

    /* --- logging --- */
    { "log.level", CF_T_ENUM, "info", NULL, "error|warn|notice|info|debug",
      NONE,
      "Most verbose level that is logged." },
    { "log.syslog", CF_T_BOOL, "yes", "no", NO_ENUM, NONE,
      "Log to syslog (POSIX) or the system log (OpenVMS); no: standard "
      "error." },
    { "log.file", CF_T_STR, "", NULL, NO_ENUM, NONE,
      "Also append log lines to this file; empty: no file." },

    /* --- authentication --- */
    /* PLAIN and LOGIN (under TLS) and SCRAM work for every account.
     * CRAM-MD5 works only for accounts that keep a plaintext-equivalent
     * secret (flag CRAM_MD5), and DIGEST-MD5 is historic (RFC 6331): off
     * unless asked for, so clients never pick a mechanism that must fail. */
    { "auth.mechanisms", CF_T_LIST, "plain, login, scram-sha-256", NULL,
      "plain|login|cram-md5|digest-md5|scram-sha-256", NONE,
      "SASL mechanisms POP3 AUTH and SMTP AUTH offer (plain, login, "
      "cram-md5, digest-md5, scram-sha-256); plain and login only as "
      "pop3.plaintext_auth and smtp.plaintext_auth allow." },

    /* --- process --- */
    { "service.user", CF_T_STR, "newmail", "", NO_ENUM, NONE,
      "Account the server runs as once its ports are bound; empty: keep "
      "the identity it was started with." },

    /* --- POP3, with the meanings of the OpenVMS TCPIP$POP_* logicals --- */
    { "pop3.leave_in_newmail", CF_T_BOOL, "no", NULL, NO_ENUM, NONE,
      "At QUIT, leave retrieved messages in NEWMAIL instead of moving "
      "them to MAIL (OpenVMS LEAVE_IN_NEWMAIL)." },
    { "pop3.use_mail_folder", CF_T_BOOL, "no", NULL, NO_ENUM, NONE,
      "Move all mail from NEWMAIL to MAIL and serve the MAIL folder "
      "(OpenVMS USE_MAIL_FOLDER)." },
    { "pop3.message_maximum", CF_T_INT, "0", NULL, NO_ENUM,
      0, 65535, "messages",
      "Offer at most this many messages per session; 0: no limit "
      "(OpenVMS MESSAGE_MAXIMUM)." },
    /* RFC 1939 section 3: the autologout timer is at least 10 minutes;
     * the maximum keeps the timeout in milliseconds inside a pl_i32. */
    { "pop3.idle_timeout", CF_T_DUR, "600", NULL, NO_ENUM,
      600, 2147483L, "s",
      "Close a session that sends nothing for this long; at least 10 "
      "minutes, as RFC 1939 asks (OpenVMS LINK_IDLE_TIMEOUT)." },
    { "pop3.disuserpass", CF_T_BOOL, "no", NULL, NO_ENUM, NONE,
      "Refuse USER/PASS; clients must use APOP or AUTH "
      "(OpenVMS DISUSERPASS)." },
    /* 15 is the OpenVMS server's default thread count. */
    { "pop3.maximum_threads", CF_T_INT, "15", NULL, NO_ENUM,
      1, 10000, "sessions",
      "Most POP3 sessions served at once by the daemon, one thread each "
      "(OpenVMS MAXIMUM_THREADS)." },
    /* One address may hold a share, not the whole service (H1). */
    { "pop3.maximum_per_source", CF_T_INT, "10", NULL, NO_ENUM,
      1, 10000, "sessions",
      "Most POP3 and POP3S sessions at once from one client address." },
    { "pop3.security", CF_T_ENUM, "secure", NULL, "secure|friendly", NONE,
      "secure: one reply for an unknown user and a wrong password; "
      "friendly: say which (OpenVMS SECURITY)." },
    /* Two attempts per connection, as the OpenVMS server allowed. */
    { "pop3.max_login_failures", CF_T_INT, "2", NULL, NO_ENUM,
      1, 100, "failures",
      "Failed logins allowed on one connection before it is closed." },
    /* RFC 2595 and DESIGN: a password must not cross the wire in clear
     * unless the administrator says so; APOP and challenge mechanisms are
     * never plaintext. */
    { "pop3.plaintext_auth", CF_T_ENUM, "tls", NULL, "tls|always|never",
      NONE,
      "When USER/PASS, AUTH PLAIN and AUTH LOGIN are offered: tls (only "
      "after STLS or on POP3S), always, or never." },
    /* Dovecot closes after 20 unknown commands; a client that errs that
     * often is broken or probing. */
    { "pop3.bad_command_limit", CF_T_INT, "20", NULL, NO_ENUM,
      1, 1000, "commands",
      "Unknown, misplaced or malformed commands allowed on one connection; "
      "the next one closes it." },
    { "pop3.login_delay", CF_T_DUR, "0", NULL, NO_ENUM, 0, 86400L, "s",
      "Least time between two logins of one account, announced as "
      "LOGIN-DELAY and enforced with -ERR [LOGIN-DELAY]; 0: none." },
    { "pop3.auth_penalty", CF_T_BOOL, "yes", NULL, NO_ENUM, NONE,
      "Delay authentication from a source after its failures (2 s, "
      "doubling to 15 s; a success clears it)." },
    /* Long enough for a slow client on a slow link; short enough that a
     * stalled handshake cannot hold a session slot (attack B8). */
    { "pop3.tls_handshake_timeout", CF_T_DUR, "60", NULL, NO_ENUM,
      1, 3600, "s",
      "Longest time a TLS handshake (STLS or POP3S) may take." },
    { "pop3.trace", CF_T_BOOL, "no", NULL, NO_ENUM, NONE,
      "Log every POP3 command and reply status line (passwords, APOP "
      "digests and SASL data are replaced by ****)." },
    /* PMDF "legacy" order; per-connection mode only (sv_pop3.c). */
    { "pop3.system_accounts", CF_T_BOOL, "no", NULL, NO_ENUM, NONE,
      "newmail pop3d --inetd started as root: after a failed USER/PASS "
      "for a name without a popstore account, log in the system account "
      "(PAM, SYSUAF) and serve its native mailbox." },
    { "pop3.pam_service", CF_T_STR, "newmail", NULL, NO_ENUM, NONE,
      "PAM service that checks system account passwords "
      "(pop3.system_accounts; /etc/pam.d/NAME)." },

    /* --- SMTP, submission and LMTP --- */
    { "smtp.maximum_threads", CF_T_INT, "100", NULL, NO_ENUM,
      1, 10000, "sessions",
      "Most SMTP, submission, submissions and LMTP sessions served at "
      "once by the daemon, one thread each." },
    { "smtp.maximum_per_source", CF_T_INT, "20", NULL, NO_ENUM,
      1, 10000, "sessions",
      "Most SMTP-family sessions at once from one client address." },
    /* RFC 5321 4.5.3.1.8: at least 100 must be accepted. */
    { "smtp.max_recipients", CF_T_INT, "100", NULL, NO_ENUM,
      100, 100000, "recipients",
      "Recipients accepted per message; more get 452 4.5.3." },
    { "smtp.max_message_size", CF_T_SIZE, "25M", NULL, NO_ENUM,
      1024, 1024L * 1024L * 1024L, "bytes",
      "Largest message accepted (announced as SIZE); larger ones get "
      "552 5.3.4." },
    { "smtp.max_line_length", CF_T_SIZE, "64K", NULL, NO_ENUM,
      1000, 1024L * 1024L * 1024L, "bytes",
      "Longest line of a message, without its CRLF; longer: 552 5.3.4 "
      "after the end of data (RFC 5321 asks for at least 998)." },
    { "smtp.max_header_count", CF_T_INT, "1000", NULL, NO_ENUM,
      100, 1000000, "fields",
      "Header fields allowed in one message; more: 552 5.3.4." },
    { "smtp.max_header_size", CF_T_SIZE, "100K", NULL, NO_ENUM,
      1000, 1024L * 1024L * 1024L, "bytes",
      "Longest header field with its continuation lines; longer: "
      "552 5.3.4." },
    { "smtp.bare_lf", CF_T_ENUM, "reject", NULL, "reject|normalize", NONE,
      "A bare LF or bare CR in DATA: reject the message (554 5.6.0), or "
      "store it as CRLF; DATA ends only at CRLF.CRLF either way." },
    { "smtp.received_auth_user", CF_T_BOOL, "no", NULL, NO_ENUM, NONE,
      "Name the authenticated user in the Received header." },
    { "smtp.plaintext_auth", CF_T_ENUM, "tls", NULL, "tls|always|never",
      NONE,
      "When AUTH PLAIN and LOGIN are offered: tls (only after STARTTLS "
      "or on submissions), always, or never." },
    { "smtp.auth_penalty", CF_T_BOOL, "yes", NULL, NO_ENUM, NONE,
      "Delay AUTH from a source after its failures (2 s, doubling to "
      "15 s; a success clears it)." },
    { "smtp.require_tls", CF_T_BOOL, "no", NULL, NO_ENUM, NONE,
      "SMTP and submission: refuse every command but EHLO, HELO, "
      "STARTTLS, NOOP, RSET, HELP and QUIT before STARTTLS (530)." },
    /* Postfix: 20 hard errors, 100 junk commands, 1 s error sleep. */
    { "smtp.max_errors", CF_T_INT, "20", NULL, NO_ENUM, 1, 1000, "errors",
      "Refused commands allowed per session; past half of it each one "
      "pauses the session, past it: 421 and close." },
    { "smtp.max_junk", CF_T_INT, "100", NULL, NO_ENUM, 1, 100000,
      "commands",
      "NOOP, RSET, VRFY, EXPN and HELP allowed per session before each "
      "one counts as an error." },
    { "smtp.error_delay", CF_T_DUR, "1", NULL, NO_ENUM, 0, 60, "s",
      "Pause per error beyond half of smtp.max_errors (growing: times "
      "the excess, at most 60 s)." },
    /* RFC 5321 4.5.3.2.7: the server waits at least 5 minutes. */
    { "smtp.idle_timeout", CF_T_DUR, "300", NULL, NO_ENUM,
      300, 2147483L, "s",
      "Close a session that sends nothing for this long (commands and "
      "each block of DATA)." },
    { "smtp.tls_handshake_timeout", CF_T_DUR, "60", NULL, NO_ENUM,
      1, 3600, "s",
      "Longest time a TLS handshake (STARTTLS, or the implicit TLS of "
      "submissions) may take." },
    { "smtp.pregreet_wait", CF_T_DUR, "0", NULL, NO_ENUM, 0, 60, "s",
      "Wait this long before the greeting; a client that talks first "
      "gets 554 and is closed (0: only input already there counts)." },
    /* Postfix smtpd_min_data_rate and a per-command deadline (attack H2). */
    { "smtp.command_deadline", CF_T_DUR, "300", NULL, NO_ENUM,
      10, 3600, "s",
      "Longest time one command line may take to arrive, however slowly "
      "it trickles in; past it: 421 and close." },
    { "smtp.min_data_rate", CF_T_INT, "500", NULL, NO_ENUM,
      0, 1000000000L, "bytes/s",
      "Slowest DATA transfer accepted, averaged from the start of DATA "
      "(after a grace of smtp.data_rate_grace); 0: no minimum." },
    { "smtp.data_rate_grace", CF_T_DUR, "300", NULL, NO_ENUM, 1, 3600, "s",
      "Time from the start of DATA before smtp.min_data_rate applies "
      "(the default is the RFC 5321 idle timeout, as Postfix waits one "
      "smtpd_timeout)." },

    /* --- relay (OpenVMS good clients and relay zones) --- */
    { "smtp.relay_clients", CF_T_LIST, "127.0.0.0/8, ::1", NULL, NO_ENUM,
      NONE,
      "Client networks (ADDRESS or ADDRESS/BITS) that may relay to any "
      "domain; authenticated clients always may." },
    { "smtp.relay_zones", CF_T_LIST, "", NULL, NO_ENUM, NONE,
      "Domains any client may send to for relaying (a leading dot also "
      "covers subdomains: .example.org); empty: none." },

    /* --- aliases --- */
    { "aliases.file", CF_T_STR, "", NULL, NO_ENUM, NONE,
      "sendmail-format aliases file (name: target, ...; :include:FILE) "
      "for the domains of `domains`; re-read when it changes; empty: "
      "none." },

    /* --- outbound queue (OpenVMS SMTP symbiont defaults) --- */
    { "queue.maximum_deliveries", CF_T_INT, "20", NULL, NO_ENUM,
      1, 1000, "sessions",
      "Outbound SMTP deliveries running at once." },
    { "queue.maximum_per_destination", CF_T_INT, "5", NULL, NO_ENUM,
      1, 1000, "sessions",
      "Outbound deliveries at once to one destination domain or relay "
      "host." },
    { "queue.first_retry", CF_T_DUR, "1800", NULL, NO_ENUM,
      1, 864000L, "s",
      "Wait after the first failed attempt (OpenVMS /INTERVAL INITIAL, "
      "30 minutes)." },
    { "queue.retry_interval", CF_T_DUR, "3600", NULL, NO_ENUM,
      1, 864000L, "s",
      "Wait between later attempts (OpenVMS /INTERVAL RETRY, 60 "
      "minutes)." },
    { "queue.maximum_lifetime", CF_T_DUR, "259200", NULL, NO_ENUM,
      60, 8640000L, "s",
      "Give up and bounce after this long in the queue (OpenVMS "
      "/INTERVAL MAXIMUM, 3 days)." },
    { "queue.delay_warning", CF_T_DUR, "0", NULL, NO_ENUM,
      0, 8640000L, "s",
      "Send one delay notice (RFC 3464 action delayed) to the sender "
      "after this long; 0: never." },
    { "queue.scan_interval", CF_T_DUR, "10", NULL, NO_ENUM, 1, 3600, "s",
      "How often the queue runner looks for mail written by `newmail "
      "sendmail` or left by another process." },
    { "queue.bounce_size_limit", CF_T_SIZE, "50K", NULL, NO_ENUM,
      1024, 100L * 1024L * 1024L, "bytes",
      "Most of the original message returned in a bounce (RET=FULL); "
      "beyond it only the header section is returned." },
    { "queue.postmaster", CF_T_STR, "postmaster", NULL, NO_ENUM, NONE,
      "Local address that receives bounces which could not be delivered "
      "to their sender." },

    /* --- outbound SMTP client (RFC 5321 4.5.3.2 timeouts) --- */
    { "outbound.port", CF_T_INT, "25", NULL, NO_ENUM, 1, 65535, "port",
      "TCP port of mail exchangers reached through MX or address "
      "records." },
    { "outbound.tls", CF_T_ENUM, "may", NULL, "none|may|encrypt|verify",
      NONE,
      "STARTTLS to mail exchangers: none, may (when offered; "
      "unauthenticated), encrypt (required), verify (required, with a "
      "certificate valid for the host)." },
    { "outbound.tls_required_domains", CF_T_LIST, "", NULL, NO_ENUM, NONE,
      "Destination domains for which outbound.tls of encrypt applies "
      "whatever its setting." },
    { "outbound.tls_ca_file", CF_T_STR, "", NULL, NO_ENUM, NONE,
      "PEM file of trusted certificate authorities for verify; empty: "
      "the system's." },
    { "outbound.8bitmime", CF_T_ENUM, "send", NULL, "send|bounce", NONE,
      "An 8-bit message for a server without 8BITMIME: send it as it is "
      "(as Postfix does), or bounce it (5.6.3)." },
    { "outbound.connect_timeout", CF_T_DUR, "30", NULL, NO_ENUM,
      1, 3600, "s", "Longest wait for a TCP connection." },
    { "outbound.greeting_timeout", CF_T_DUR, "300", NULL, NO_ENUM,
      1, 3600, "s", "Wait for the 220 greeting (RFC 5321: 5 minutes)." },
    { "outbound.command_timeout", CF_T_DUR, "300", NULL, NO_ENUM,
      1, 3600, "s",
      "Wait for the reply to EHLO, MAIL, RCPT, STARTTLS, AUTH (5 "
      "minutes)." },
    { "outbound.data_init_timeout", CF_T_DUR, "120", NULL, NO_ENUM,
      1, 3600, "s", "Wait for the 354 reply to DATA (2 minutes)." },
    { "outbound.data_block_timeout", CF_T_DUR, "180", NULL, NO_ENUM,
      1, 3600, "s", "Longest wait to send each block of data (3 minutes)." },
    { "outbound.data_done_timeout", CF_T_DUR, "600", NULL, NO_ENUM,
      1, 3600, "s",
      "Wait for the reply after the final dot (10 minutes)." },
    { "outbound.zone", CF_T_LIST, "", NULL, NO_ENUM, NONE,
      "OpenVMS /ZONE: domains (with their subdomains) delivered directly "
      "by MX; others go to relay.host (the alternate gateway).  Empty: "
      "relay.host, when set, takes everything." },
    { "outbound.routes", CF_T_LIST, "", NULL, NO_ENUM, NONE,
      "Fixed routes, DOMAIN=HOST[:PORT] or DOMAIN=[ADDRESS]:PORT, used "
      "instead of MX lookup for that domain." },
    { "relay.host", CF_T_STR, "", NULL, NO_ENUM, NONE,
      "Smart host (HOST, HOST:PORT or [ADDRESS]:PORT) for mail leaving "
      "outbound.zone; empty: deliver directly by MX." },
    { "relay.tls", CF_T_ENUM, "may", NULL, "none|may|encrypt|verify",
      NONE, "STARTTLS policy towards relay.host (see outbound.tls)." },
    { "relay.auth_user", CF_T_STR, "", NULL, NO_ENUM, NONE,
      "User name for AUTH at relay.host; empty: no AUTH.  AUTH is only "
      "sent over TLS." },
    { "relay.auth_password_file", CF_T_STR, "", NULL, NO_ENUM, NONE,
      "File whose first line is the password for relay.auth_user "
      "(keep it owner-only)." },

    /* --- DNS --- */
    { "dns.servers", CF_T_LIST, "", NULL, NO_ENUM, NONE,
      "Name servers (ADDRESS or ADDRESS:PORT; IPv6 as [ADDRESS]:PORT) "
      "for MX and address lookups; empty: the system's." },
    { "dns.timeout", CF_T_DUR, "5", NULL, NO_ENUM, 1, 60, "s",
      "Wait for one answer from one name server." },
    { "dns.attempts", CF_T_INT, "2", NULL, NO_ENUM, 1, 10, "rounds",
      "Rounds over the name servers before a lookup fails for now." }
};

const int cf_nkeys = (int)(sizeof cf_keys / sizeof cf_keys[0]);

int cf_key_index(const char *name)
{
    int i;

    for (i = 0; i < cf_nkeys; i++) {
        if (strcmp(cf_keys[i].name, name) == 0)
            return i;
    }
    return -1;
}
