/*
 * tcpip$inetdef.h (stub for the Linux compile check) - TCP/IP Services
 * definitions.  Interface declarations transcribed from the public manuals:
 * "HP TCP/IP Services for OpenVMS Sockets API and System Services
 * Programming", auxiliary server (socket(TCPIP$C_AUXS, SOCK_STREAM, 0));
 * value cross-checked against public copies of TCPIP$INETDEF.
 */
#ifndef __TCPIP_INETDEF_LOADED
#define __TCPIP_INETDEF_LOADED 1

#define TCPIP$C_AUXS 127

#endif
