/*
 * gen64def.h (stub for the Linux compile check) - the generic quadword used
 * by __NEW_STARLET prototypes (times, privilege masks, hashes).  Interface
 * declarations transcribed from the public manuals: "OpenVMS System
 * Services Reference Manual", introduction, "C prototypes and
 * __NEW_STARLET" (struct _generic_64).
 */
#ifndef __GEN64DEF_LOADED
#define __GEN64DEF_LOADED 1

typedef struct _generic_64 {
    unsigned int gen64$l_longword[2];
} GENERIC_64;

#endif
