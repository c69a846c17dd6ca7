/*
 * jpidef.h (stub for the Linux compile check) - $GETJPI item codes.
 * Interface declarations transcribed from the public manuals: "OpenVMS
 * System Services Reference Manual", $GETJPI (item codes JPI$_USERNAME:
 * 12-byte blank-padded user name; JPI$_UIC: longword UIC), values as in
 * the public $JPIDEF listing (JPI$_USERNAME 0x0202, JPI$_UIC 0x0304).
 */
#ifndef __JPIDEF_LOADED
#define __JPIDEF_LOADED 1

#define JPI$_USERNAME 0x0202
#define JPI$_UIC      0x0304

#endif
