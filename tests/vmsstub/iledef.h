/*
 * iledef.h (stub for the Linux compile check) - item list entry format 3.
 * Interface declarations transcribed from the public manuals: "OpenVMS
 * System Services Reference Manual", "Item lists" (buffer length word, item
 * code word, buffer address, return length address).
 */
#ifndef __ILEDEF_LOADED
#define __ILEDEF_LOADED 1

typedef struct _ile3 {
    unsigned short  ile3$w_length;
    unsigned short  ile3$w_code;
    void           *ile3$ps_bufaddr;
    unsigned short *ile3$ps_retlen_addr;
} ILE3;

#endif
