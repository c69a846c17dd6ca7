/*
 * acmedef.h (stub for the Linux compile check) - $ACM authentication.
 * Interface declarations transcribed from the public manuals: "OpenVMS
 * System Services Reference Manual", $ACM (function codes, item codes
 * ACME$_PRINCIPAL_NAME_IN, ACME$_PASSWORD_1, ACME$_LOGON_TYPE, logon type
 * ACME$K_NETWORK, the ACM status block).
 *
 * VALUES NOT VERIFIED: no second public listing of $ACMEDEF was found, so
 * the numbers below only make the names compile here; vms_user.c uses the
 * names, and the real SYS$LIBRARY header supplies the values on OpenVMS.
 */
#ifndef __ACMEDEF_LOADED
#define __ACMEDEF_LOADED 1

#define ACME$_FC_AUTHENTICATE_PRINCIPAL 1
#define ACME$_PRINCIPAL_NAME_IN  1
#define ACME$_PASSWORD_1         2
#define ACME$_LOGON_TYPE         3
#define ACME$K_NETWORK           2

typedef struct _acmesb {
    unsigned int acmesb$l_status;
    unsigned int acmesb$l_secondary_status;
    unsigned int acmesb$l_acme_id;
    unsigned int acmesb$l_acme_status;
} ACMESB;

#endif
