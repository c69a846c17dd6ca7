/*
 * pl_types.h - fixed-width types and status codes of the platform contract.
 *
 * Contract: every pl_ function returns PL_OK (0) or a negative PL_E* code.
 * The native status (errno, or an OpenVMS condition value) of the last
 * failure in the calling thread is kept for logs: pl_last_native().
 * Limits: the fixed-width types come from pl_os.h, which each platform
 * folder (posix/, vms/) provides under the same name; `long` and pointers
 * may be 32 bits (OpenVMS Alpha), so sizes never travel in a `long`.
 * Privilege: none; declarations only.
 */
#ifndef PL_TYPES_H
#define PL_TYPES_H

#include <stddef.h>
#include "pl_os.h"          /* pl_u8 .. pl_i64, chosen by include path */

/* Status codes.  Negative so that "< 0" always means failure. */
#define PL_OK            0
#define PL_ERR         (-1)  /* failure with no better code; see native */
#define PL_ENOENT      (-2)  /* no such file, user, key or record */
#define PL_EEXIST      (-3)  /* target exists (exclusive create, rename) */
#define PL_EACCES      (-4)  /* permission or privilege denied */
#define PL_EINVAL      (-5)  /* invalid argument, e.g. a name outside the whitelist */
#define PL_ENOMEM      (-6)  /* out of memory */
#define PL_ENOSPC      (-7)  /* disk full or disk quota exceeded */
#define PL_EIO         (-8)  /* I/O error */
#define PL_ETIMEDOUT   (-9)  /* timeout or deadline expired */
#define PL_EAGAIN     (-10)  /* would block: a lock is held, no connection ready */
#define PL_EOF        (-11)  /* end of file, or peer closed the connection */
#define PL_ECONNREFUSED (-12) /* connection refused */
#define PL_ECONNRESET (-13)  /* connection reset or broken pipe */
#define PL_EINTR      (-14)  /* interrupted by a shutdown request */
#define PL_ENOTSUP    (-15)  /* operation not supported here */
#define PL_ENOTEMPTY  (-16)  /* directory not empty */
#define PL_ERANGE     (-17)  /* result does not fit the caller's buffer */
#define PL_ENOTDIR    (-18)  /* a path component is not a directory */
#define PL_EADDRINUSE (-19)  /* listen address already in use */
#define PL_EHOST      (-20)  /* host name does not resolve */
#define PL_ELOOP      (-21)  /* a symbolic link was met where none may be */
#define PL_EXDEV      (-22)  /* rename across devices */
#define PL_E_LAST     (-22)

/* Timeouts in milliseconds: PL_WAIT_FOREVER blocks, 0 never blocks. */
#define PL_WAIT_FOREVER (-1)

#endif
