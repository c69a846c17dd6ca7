/*
 * iosbdef.h (stub for the Linux compile check) - the I/O status block.
 * Interface declarations transcribed from the public manuals: "OpenVMS
 * System Services Reference Manual", $QIO, argument iosb (status word,
 * transfer count word, device-dependent longword).
 */
#ifndef __IOSBDEF_LOADED
#define __IOSBDEF_LOADED 1

typedef struct _iosb {
    unsigned short iosb$w_status;
    unsigned short iosb$w_bcnt;
    unsigned int   iosb$l_dev_depend;
} IOSB;

#endif
