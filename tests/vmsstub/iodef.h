/*
 * iodef.h (stub for the Linux compile check) - terminal driver function
 * codes.  Interface declarations transcribed from the public manuals:
 * "OpenVMS I/O User's Reference Manual", terminal driver, read functions
 * (IO$_READPROMPT with modifier IO$M_NOECHO).
 */
#ifndef __IODEF_LOADED
#define __IODEF_LOADED 1

#define IO$_READPROMPT 0x37
#define IO$M_NOECHO    0x40

#endif
