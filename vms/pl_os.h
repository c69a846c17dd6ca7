/*
 * pl_os.h (OpenVMS) - the fixed-width types of the platform contract and the
 * few feature macros of the OpenVMS layer.  Chosen by include path
 * (/INCLUDE=([.platform],[.vms])); posix/pl_os.h is its twin.
 * Limits: DEC/VSI C on Alpha has 32-bit long and pointers, so the 64-bit
 * types come from <inttypes.h> (VSI C has it; older C RTLs lack
 * <stdint.h>).  Privilege: none; declarations only.
 */
#ifndef PL_OS_H
#define PL_OS_H

#include <inttypes.h>

typedef uint8_t  pl_u8;
typedef uint16_t pl_u16;
typedef uint32_t pl_u32;
typedef int32_t  pl_i32;
typedef uint64_t pl_u64;
typedef int64_t  pl_i64;

#define PL_OS_NAME "OpenVMS"

#endif
