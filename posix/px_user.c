/*
 * px_user.c - system accounts on POSIX: lookup in the password database
 * and the shadow file, and password checks through PAM.
 *
 * Names are checked against the POSIX portable user-name set before any
 * lookup, so a client's text never reaches NSS modules unfiltered.  A
 * wrong password and an unknown user give the same answer, PL_AUTH_BAD,
 * and the same path through PAM.
 * Limits: names of 1..32 characters from A-Z a-z 0-9 . _ -, not starting
 * with '-'.  The shadow file is consulted only when readable (root); the
 * Linux-PAM conversation prototype (const messages) is assumed.
 * Privilege: the shadow fields and pam_unix need euid 0 (pl_priv_raise);
 * without it DISABLED/EXPIRED come from the shell alone and PAM decides.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>
#include <security/pam_appl.h>
#ifdef __linux__
#include <shadow.h>
#define PX_HAVE_SHADOW 1
#endif

#include "px_int.h"

#define PX_USER_NAME_MAX 32   /* POSIX LOGIN_NAME_MAX is at least 9; Linux
                                 tools accept 32 */
#define PX_PW_BUF_MAX (1024 * 1024)

/* PL_OK if name is a portable POSIX user name we are willing to look up. */
static int px_user_name_ok(const char *name)
{
    size_t i;

    if (name == NULL || name[0] == '\0' || name[0] == '-')
        return PL_EINVAL;
    for (i = 0; name[i] != '\0'; i++) {
        char c = name[i];

        if (i >= PX_USER_NAME_MAX)
            return PL_EINVAL;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return PL_EINVAL;
    }
    return PL_OK;
}

/* The shell refuses logins: nologin or false, wherever installed. */
static int px_shell_disabled(const char *shell)
{
    const char *b;

    if (shell == NULL || shell[0] == '\0')
        return 0;   /* empty means /bin/sh */
    b = strrchr(shell, '/');
    b = b != NULL ? b + 1 : shell;
    return strcmp(b, "nologin") == 0 || strcmp(b, "false") == 0;
}

/* DISABLED/EXPIRED flags from the shadow entry, when we may read it. */
static int px_shadow_flags(const char *name)
{
#ifdef PX_HAVE_SHADOW
    struct spwd sp, *res = NULL;
    char buf[4096];
    long today = (long)(time(NULL) / 86400);
    int flags = 0;

    if (getspnam_r(name, &sp, buf, sizeof buf, &res) != 0 || res == NULL)
        return 0;   /* not readable (not root) or no entry: PAM decides */
    if (sp.sp_pwdp != NULL && (sp.sp_pwdp[0] == '!' || sp.sp_pwdp[0] == '*'))
        flags |= PL_USER_DISABLED;
    if (sp.sp_expire > 0 && today >= sp.sp_expire)
        flags |= PL_USER_EXPIRED;
    /* lstchg 0 means "must change at next login"; max -1 or 99999 and
     * more mean the password never ages. */
    if (sp.sp_lstchg == 0)
        flags |= PL_USER_EXPIRED;
    else if (sp.sp_lstchg > 0 && sp.sp_max >= 0 && sp.sp_max < 99999 &&
             today > sp.sp_lstchg + sp.sp_max)
        flags |= PL_USER_EXPIRED;
    px_wipe(buf, sizeof buf);   /* it held the password hash */
    return flags;
#else
    (void)name;
    return 0;
#endif
}

int pl_user_lookup(const char *name, pl_user *out)
{
    struct passwd pw, *res = NULL;
    char *buf;
    size_t size;
    long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
    int rc;

    if (out == NULL)
        return PL_EINVAL;
    memset(out, 0, sizeof *out);
    if (px_user_name_ok(name) != PL_OK)
        return PL_EINVAL;
    size = hint > 0 ? (size_t)hint : 4096;
    for (;;) {
        buf = (char *)malloc(size);
        if (buf == NULL)
            return px_fail(ENOMEM);
        rc = getpwnam_r(name, &pw, buf, size, &res);
        if (rc != ERANGE || size >= PX_PW_BUF_MAX)
            break;
        free(buf);
        size *= 2;
    }
    if (rc != 0) {
        free(buf);
        return px_fail(rc);
    }
    if (res == NULL) {
        free(buf);
        (void)px_fail(ENOENT);
        return PL_ENOENT;
    }
    if (strlen(pw.pw_name) >= sizeof out->name) {
        free(buf);
        return PL_ERANGE;
    }
    strcpy(out->name, pw.pw_name);
    out->id = (pl_u32)pw.pw_uid;
    out->group = (pl_u32)pw.pw_gid;
    if (px_shell_disabled(pw.pw_shell))
        out->flags |= PL_USER_DISABLED;
    out->flags |= px_shadow_flags(pw.pw_name);
    free(buf);
    return PL_OK;
}

/* Free a partly filled response array, wiping the answers. */
static void px_pam_free(struct pam_response *r, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        if (r[i].resp != NULL) {
            px_wipe(r[i].resp, strlen(r[i].resp));
            free(r[i].resp);
        }
    }
    free(r);
}

/* The PAM conversation: the password for every hidden prompt; no answer
 * to a visible prompt (we passed the user name, so one is unexpected);
 * informational messages are dropped (there is nobody to show them to). */
static int px_pam_conv(int num_msg, const struct pam_message **msg,
                       struct pam_response **resp, void *appdata)
{
    const char *password = (const char *)appdata;
    struct pam_response *r;
    int i;

    if (num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG || resp == NULL)
        return PAM_CONV_ERR;
    r = (struct pam_response *)calloc((size_t)num_msg, sizeof *r);
    if (r == NULL)
        return PAM_BUF_ERR;
    for (i = 0; i < num_msg; i++) {
        switch (msg[i]->msg_style) {
        case PAM_PROMPT_ECHO_OFF: {
            size_t len = strlen(password);

            /* PAM frees (and Linux-PAM wipes) this copy. */
            r[i].resp = (char *)malloc(len + 1);
            if (r[i].resp == NULL) {
                px_pam_free(r, num_msg);
                return PAM_BUF_ERR;
            }
            memcpy(r[i].resp, password, len + 1);
            break;
        }
        case PAM_ERROR_MSG:
        case PAM_TEXT_INFO:
            break;
        default:
            px_pam_free(r, num_msg);
            return PAM_CONV_ERR;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

int pl_user_verify(const char *name, const char *password,
                   const char *service, const char *peer, int *result)
{
    struct pam_conv conv;
    pam_handle_t *ph = NULL;
    int rc;

    if (result == NULL)
        return PL_EINVAL;
    *result = PL_AUTH_BAD;
    if (password == NULL || service == NULL || service[0] == '\0')
        return PL_EINVAL;
    /* A name outside the set is answered like a wrong password. */
    if (px_user_name_ok(name) != PL_OK)
        return PL_OK;
    conv.conv = px_pam_conv;
    conv.appdata_ptr = (void *)password;
    rc = pam_start(service, name, &conv, &ph);
    if (rc != PAM_SUCCESS)
        return px_native(PX_NAT_PAM, rc, PL_ERR);
    if (peer != NULL && peer[0] != '\0') {
        rc = pam_set_item(ph, PAM_RHOST, peer);
        if (rc != PAM_SUCCESS) {
            (void)pam_end(ph, rc);
            return px_native(PX_NAT_PAM, rc, PL_ERR);
        }
    }
    rc = pam_authenticate(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    if (rc == PAM_SUCCESS) {
        /* Only a right password earns a more precise answer. */
        rc = pam_acct_mgmt(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
        switch (rc) {
        case PAM_SUCCESS:
            *result = PL_AUTH_OK;
            break;
        case PAM_ACCT_EXPIRED:
        case PAM_NEW_AUTHTOK_REQD:
        case PAM_AUTHTOK_EXPIRED:
            *result = PL_AUTH_EXPIRED;
            break;
        case PAM_MAXTRIES:
        case PAM_PERM_DENIED:
            *result = PL_AUTH_LOCKED;
            break;
        default:
            *result = PL_AUTH_BAD;
            break;
        }
    }
    /* Any failure of pam_authenticate, PAM_MAXTRIES included, stays
     * PL_AUTH_BAD: modules may answer differently for unknown users. */
    if (rc != PAM_SUCCESS)
        (void)px_native(PX_NAT_PAM, rc, PL_OK);
    (void)pam_end(ph, rc);
    return PL_OK;
}
