/*
 * ioctl.h (stub wrapper for the Linux compile check) - ioctl() and FIONBIO
 * for sockets.  Interface declarations transcribed from the public manuals:
 * "HP TCP/IP Services for OpenVMS Sockets API and System Services
 * Programming", ioctl() (header <ioctl.h>, request FIONBIO).  On Linux the
 * same declarations live in <sys/ioctl.h>.
 */
#ifndef VMSSTUB_IOCTL_H
#define VMSSTUB_IOCTL_H 1
#include <sys/ioctl.h>
#endif
