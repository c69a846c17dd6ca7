/*
 * lckdef.h (stub for the Linux compile check) - lock modes and $ENQ/$DEQ
 * flags.  Interface declarations transcribed from the public manuals:
 * "OpenVMS System Services Reference Manual", $ENQ (lkmode, flags) and $DEQ
 * (flags); values cross-checked against two public $LCKDEF listings.
 */
#ifndef __LCKDEF_LOADED
#define __LCKDEF_LOADED 1

#define LCK$K_PRMODE 3
#define LCK$K_EXMODE 5

#define LCK$M_NOQUEUE  0x4
#define LCK$M_SYSTEM   0x10

/* $DEQ flags */
#define LCK$M_CANCEL   0x2

#endif
