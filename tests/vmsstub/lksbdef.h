/*
 * lksbdef.h (stub for the Linux compile check) - the lock status block.
 * Interface declarations transcribed from the public manuals: "OpenVMS
 * System Services Reference Manual", $ENQ, argument lksb (condition value
 * word, reserved word, lock identification longword, 16-byte value block).
 */
#ifndef __LKSBDEF_LOADED
#define __LKSBDEF_LOADED 1

typedef struct _lksb {
    unsigned short lksb$w_status;
    unsigned short lksb$w_reserved;
    unsigned int   lksb$l_lkid;
    unsigned char  lksb$b_valblk[16];
} LKSB;

#endif
