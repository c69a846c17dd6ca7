/*
 * pl_os.h (POSIX) - the few feature macros and the fixed-width types of the
 * platform contract on POSIX systems.  Chosen by include path (-Iposix);
 * vms/pl_os.h is its OpenVMS twin.  Declarations only.
 */
#ifndef PL_OS_H
#define PL_OS_H

#include <stdint.h>

typedef uint8_t  pl_u8;
typedef uint16_t pl_u16;
typedef uint32_t pl_u32;
typedef int32_t  pl_i32;
typedef uint64_t pl_u64;
typedef int64_t  pl_i64;

#define PL_OS_NAME "POSIX"

#endif
