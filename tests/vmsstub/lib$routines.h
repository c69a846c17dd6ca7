/*
 * lib$routines.h (stub for the Linux compile check) - run-time library
 * routines.  Interface declarations transcribed from the public manuals:
 * "OpenVMS RTL Library (LIB$) Manual", LIB$CREATE_DIR, LIB$GET_EF,
 * LIB$FREE_EF.  Declares only what vms/ calls.
 */
#ifndef __LIB_ROUTINES_LOADED
#define __LIB_ROUTINES_LOADED 1

int lib$create_dir(void *device_directory_spec, unsigned int *owner_uic,
                   unsigned short int *protection_enable,
                   unsigned short int *protection_value,
                   unsigned short int *maximum_versions,
                   unsigned short int *relative_volume_number, ...);
unsigned int lib$get_ef(unsigned int *event_flag_number);
unsigned int lib$free_ef(unsigned int *event_flag_number);

#endif
