/*
 * vms_int.h - internal helpers shared by the files of the OpenVMS layer
 * (vms_*.c).  Nothing here is part of the platform contract; every name
 * carries the vms_ prefix and stays within 31 characters.
 * Limits: native file specifications are ODS-2 sized (NAM$C_MAXRSS, 255).
 * Privilege: none by itself; see each function.
 */
#ifndef VMS_INT_H
#define VMS_INT_H

/* Ask for the typed (__NEW_STARLET) system service prototypes so that the
 * compiler checks every argument; the default header leaves them open. */
#ifndef __NEW_STARLET
#define __NEW_STARLET 1
#endif

#include <descrip.h>
#include "pl.h"

#define VMS_SPEC_MAX 255   /* NAM$C_MAXRSS: longest ODS-2 file spec */

/* An open directory: its native "device:[dir]" spec, kept expanded so that
 * names can be appended and lock names derived from it. */
struct pl_dir {
    char spec[VMS_SPEC_MAX + 1];
};

/* Record a failed OpenVMS condition value for pl_last_native() in the
 * calling thread and return its PL_E* mapping. */
int vms_fail(unsigned int vms_status);

/* Record errno (and vaxc$errno when errno is EVMSERR) for pl_last_native()
 * and return the PL_E* mapping of errno. */
int vms_fail_errno(void);

/* The PL_E* code for an OpenVMS condition value (PL_ERR if unknown). */
int vms_map_status(unsigned int vms_status);

/* Point a fixed-length string descriptor at s (len bytes, no copy). */
void vms_desc(struct dsc$descriptor_s *d, const char *s, size_t len);

/* Translate logical name `name` in `table` considering only definitions
 * made in access mode `acmode` or an inner one (PSL$C_*); the first
 * equivalence string goes to buf.  PL_ENOENT if undefined, PL_ERANGE if
 * it does not fit with its NUL. */
int vms_trnlnm(const char *table, const char *name, unsigned char acmode,
               char *buf, size_t n);

/* Seconds since 1970 (UTC) for an OpenVMS 64-bit local system time. */
pl_i64 vms_time_to_unix(pl_u64 vms_time);

/* The local time differential in seconds east of UTC from
 * SYS$TIMEZONE_DIFFERENTIAL; 0 when the logical is missing. */
pl_i32 vms_tdf_seconds(void);

/* Nonzero once a termination request has arrived (pl_events_install);
 * used by pl_sleep_ms to return early. */
int vms_term_pending(void);

/* Make sure the C RTL features of vms_init.c are set (they normally are,
 * by LIB$INITIALIZE before main); called from pl_init, which also links
 * vms_init.c into the image. */
int vms_init_features(void);

/* Raise the privileges of the 64-bit mask bits[] (bit numbers PRV$V_*) that
 * are not already enabled; *added gets the ones raised, for vms_priv_drop.
 * Returns PL_EACCES when one is not authorized. */
int vms_priv_add(const unsigned int *bits, int nbits, pl_u32 added[2]);

/* Disable exactly the privileges in added[] (those vms_priv_add raised). */
void vms_priv_drop(const pl_u32 added[2]);

#endif
