/*
 * stsdef.h (stub for the Linux compile check) - condition value fields.
 * Interface declarations transcribed from the public manuals: "OpenVMS
 * Programming Concepts Manual", "Condition values" (bit 0 = success,
 * bits 0-2 severity, bits 3-27 the condition identification).
 */
#ifndef __STSDEF_LOADED
#define __STSDEF_LOADED 1

#define STS$M_COND_ID   0x0FFFFFF8

#endif
