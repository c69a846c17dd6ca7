/*
 * prvdef.h (stub for the Linux compile check) - privilege bit numbers of the
 * quadword privilege mask.  Interface declarations transcribed from the
 * public manuals: "OpenVMS System Services Reference Manual", $SETPRV (table
 * of privileges) and "OpenVMS Guide to System Security", privileges;
 * values cross-checked against two public $PRVDEF listings.  IMPERSONATE
 * is the Alpha name of the DETACH bit.
 */
#ifndef __PRVDEF_LOADED
#define __PRVDEF_LOADED 1

#define PRV$V_IMPERSONATE 5
#define PRV$V_NETMBX      20
#define PRV$V_TMPMBX      15
#define PRV$V_SYSPRV      28
#define PRV$V_BYPASS      29
#define PRV$V_SYSLCK      30

#endif
