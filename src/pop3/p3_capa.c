/*
 * p3_capa.c - CAPA (RFC 2449) and STLS (RFC 2595).
 *
 * CAPA lists only what may be used now: USER and the SASL mechanisms in
 * AUTHORIZATION when the plaintext policy allows them, STLS before TLS
 * when a certificate is loaded.  EXPIRE tells the truth about the folder
 * semantics: by default a retrieved message leaves NEWMAIL at QUIT (it
 * moves to MAIL), which is "EXPIRE 0"; with pop3.leave_in_newmail or
 * pop3.use_mail_folder messages stay until deleted: "EXPIRE NEVER".
 * STLS: the +OK is flushed, every buffered plaintext byte is discarded
 * (no command can ride in with the handshake, attack B1/B2), the handshake
 * runs within pop3.tls_handshake_timeout, and the session starts over in
 * AUTHORIZATION with no USER remembered.  A failed handshake ends the
 * session: the stream state is unknown.
 * Privilege: none beyond the session's.
 */
#include <string.h>
#include "p3_int.h"
#include "au_sasl.h"
#include "ut_str.h"

int p3_do_capa(p3_sess *s, int argc, char **argv)
{
    char buf[160];
    char num[24];
    int mechs;
    int keep = cf_bool(s->env->cfg, "pop3.leave_in_newmail") ||
               cf_bool(s->env->cfg, "pop3.use_mail_folder");

    (void)argc;
    (void)argv;
    if (p3_reply(s, "+OK Capability list follows") != PL_OK ||
        p3_reply(s, "TOP") != PL_OK)
        return PL_EIO;
    if (s->state == P3_S_AUTH && p3_plain_ok(s) &&
        !cf_bool(s->env->cfg, "pop3.disuserpass") &&
        p3_reply(s, "USER") != PL_OK)
        return PL_EIO;
    if (p3_reply(s, "UIDL") != PL_OK)
        return PL_EIO;
    mechs = p3_auth_mechs(s);
    if (s->state == P3_S_AUTH && mechs != 0) {
        ut_strlcpy(buf, "SASL ", sizeof buf);
        if (au_sasl_mech_list(mechs, buf + 5, sizeof buf - 5) == PL_OK &&
            buf[5] != '\0' && p3_reply(s, buf) != PL_OK)
            return PL_EIO;
    }
    if (p3_reply(s, "RESP-CODES") != PL_OK ||
        p3_reply(s, "AUTH-RESP-CODE") != PL_OK ||
        p3_reply(s, "PIPELINING") != PL_OK ||
        p3_reply(s, keep ? "EXPIRE NEVER" : "EXPIRE 0") != PL_OK)
        return PL_EIO;
    ut_u64_to_dec(num, (pl_u64)cf_duration(s->env->cfg,
                                           "pop3.login_delay"));
    ut_strlcpy(buf, "LOGIN-DELAY ", sizeof buf);
    ut_strlcat(buf, num, sizeof buf);
    if (p3_reply(s, buf) != PL_OK ||
        p3_reply(s, "IMPLEMENTATION newmail") != PL_OK)
        return PL_EIO;
    if (s->state == P3_S_AUTH && !s->tls && s->env->tls != NULL &&
        p3_reply(s, "STLS") != PL_OK)
        return PL_EIO;
    return p3_reply(s, ".") == PL_OK ? P3_R_OK : PL_EIO;
}

int p3_do_stls(p3_sess *s, int argc, char **argv)
{
    pl_i64 t = cf_duration(s->env->cfg, "pop3.tls_handshake_timeout");
    int rc;

    (void)argc;
    (void)argv;
    if (s->tls)
        return p3_reply(s, "-ERR Already using TLS") == PL_OK ? P3_R_BAD
                                                             : PL_EIO;
    if (s->env->tls == NULL)
        return p3_reply(s, "-ERR STLS not available") == PL_OK ? P3_R_BAD
                                                              : PL_EIO;
    if (p3_reply(s, "+OK Begin TLS negotiation") != PL_OK ||
        nt_conn_flush(s->c) != PL_OK)
        return PL_EIO;
    lr_discard(s->lr);
    rc = nt_conn_starttls(s->c, s->env->tls, (pl_i32)(t * 1000));
    if (rc != PL_OK) {
        s->result = "TLS handshake failed";
        return rc < 0 ? rc : PL_EIO;
    }
    s->tls = 1;
    s->have_user = 0;
    ut_wipe(s->user, sizeof s->user);
    return P3_R_OK;
}
