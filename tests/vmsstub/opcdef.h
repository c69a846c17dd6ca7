/*
 * opcdef.h (stub for the Linux compile check) - operator communication.
 * Interface declarations transcribed from the public manuals: "OpenVMS
 * System Services Reference Manual", $SNDOPR (message buffer: request type
 * byte, 3-byte operator class mask, request id longword, text) and the
 * REPLY/ENABLE operator class table; values cross-checked against two public
 * $OPCDEF listings.
 */
#ifndef __OPCDEF_LOADED
#define __OPCDEF_LOADED 1

#define OPC$_RQ_RQST      3

#define OPC$M_NM_CENTRL   0x1
#define OPC$M_NM_PRINT    0x2
#define OPC$M_NM_TAPES    0x4
#define OPC$M_NM_DISKS    0x8
#define OPC$M_NM_DEVICE   0x10
#define OPC$M_NM_CARDS    0x20
#define OPC$M_NM_NTWORK   0x40
#define OPC$M_NM_CLUSTER  0x80
#define OPC$M_NM_SECURITY 0x100
#define OPC$M_NM_REPLY    0x200
#define OPC$M_NM_SOFTWARE 0x400
#define OPC$M_NM_LICENSE  0x800
#define OPC$M_NM_OPER1    0x1000

#endif
