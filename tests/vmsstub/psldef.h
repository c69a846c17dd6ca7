/*
 * psldef.h (stub for the Linux compile check) - processor access modes.
 * Interface declarations transcribed from the public manuals: "OpenVMS
 * System Services Reference Manual", access mode arguments (PSL$C_KERNEL 0,
 * EXEC 1, SUPER 2, USER 3).
 */
#ifndef __PSLDEF_LOADED
#define __PSLDEF_LOADED 1

#define PSL$C_EXEC   1
#define PSL$C_USER   3

#endif
