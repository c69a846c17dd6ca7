/*
 * impdef.h (stub for the Linux compile check) - persona service flags.
 * Interface declarations transcribed from the public manuals: "OpenVMS
 * System Services Reference Manual", $PERSONA_CREATE and $PERSONA_ASSUME
 * (flags argument); values cross-checked against public sources that use
 * them.
 */
#ifndef __IMPDEF_LOADED
#define __IMPDEF_LOADED 1

#define IMP$M_ASSUME_SECURITY 0x1
#define IMP$M_ASSUME_ACCOUNT  0x2
#define IMP$M_ASSUME_JOB_WIDE 0x4
#define IMP$M_ASSUME_DEFPRIV  0x8

#endif
