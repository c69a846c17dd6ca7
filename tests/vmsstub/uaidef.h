/*
 * uaidef.h (stub for the Linux compile check) - $GETUAI item codes, flags
 * and password algorithms.  Interface declarations transcribed from the
 * public manuals: "OpenVMS System Services Reference Manual", $GETUAI (item
 * codes, UAI$_FLAGS bits, UAI$_ENCRYPT values); values cross-checked
 * against a public $UAIDEF listing and VSI's CPython uaidef table.
 */
#ifndef __UAIDEF_LOADED
#define __UAIDEF_LOADED 1

#define UAI$_UIC          6
#define UAI$_PWD          18
#define UAI$_PWD2         19
#define UAI$_SALT         21
#define UAI$_ENCRYPT      22
#define UAI$_EXPIRATION   25
#define UAI$_PWD_LIFETIME 26
#define UAI$_PWD_DATE     27
#define UAI$_FLAGS        35

#define UAI$C_PURDY   1
#define UAI$C_PURDY_S 3

#define UAI$M_DISACNT      0x10
#define UAI$M_DISMAIL      0x40
#define UAI$M_PWD_EXPIRED  0x200
#define UAI$M_PWDMIX       0x2000000

#endif
