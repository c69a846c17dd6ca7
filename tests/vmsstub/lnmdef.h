/*
 * lnmdef.h (stub for the Linux compile check) - logical name services.
 * Interface declarations transcribed from the public manuals: "OpenVMS
 * System Services Reference Manual", $TRNLNM (attr LNM$M_CASE_BLIND, item
 * codes LNM$_INDEX and LNM$_STRING, LNM$C_NAMLENGTH).
 */
#ifndef __LNMDEF_LOADED
#define __LNMDEF_LOADED 1

#define LNM$M_CASE_BLIND 0x2000000
#define LNM$_STRING      2
#define LNM$C_NAMLENGTH  255

#endif
