/*
 * ssdef.h (stub for the Linux compile check) - system service condition
 * values.  Interface declarations transcribed from the public manuals:
 * "OpenVMS System Services Reference Manual" (condition values returned by
 * each service) and "OpenVMS System Messages and Recovery Procedures";
 * values cross-checked against a public $SSDEF listing.  Only the codes
 * vms/ tests for.
 */
#ifndef __SSDEF_LOADED
#define __SSDEF_LOADED 1

#define SS$_NORMAL      0x0001
#define SS$_BADPARAM    0x0014
#define SS$_NOPRIV      0x0024
#define SS$_INSFMEM     0x0124
#define SS$_IVLOGNAM    0x0154
#define SS$_NOLOGNAM    0x01BC
#define SS$_TIMEOUT     0x022C
#define SS$_EXDISKQUOTA 0x03EC
#define SS$_NOSUCHUSER  0x2084
#define SS$_DIRNOTEMPTY 0x2174
#define SS$_BUFFEROVF   0x0601
#define SS$_NOTALLPRIV  0x0681
#define SS$_DEVICEFULL  0x0850
#define SS$_ENDOFFILE   0x0870
#define SS$_NOTQUEUED   0x09B8

#endif
