/*
 * errno.h (stub wrapper for the Linux compile check) - the host's ISO/POSIX
 * <errno.h> plus the OpenVMS C RTL addition vaxc$errno.  Interface
 * declarations transcribed from the public manuals: "VSI C Run-Time Library
 * Reference Manual for OpenVMS Systems", "Error handling" (errno EVMSERR
 * means the OpenVMS condition value is in vaxc$errno).
 */
#ifndef VMSSTUB_ERRNO_H
#define VMSSTUB_ERRNO_H 1
#include_next <errno.h>
extern int vaxc$errno;
#ifndef EVMSERR
#define EVMSERR 65535
#endif
#endif
