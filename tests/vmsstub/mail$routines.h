/*
 * mail$routines.h (stub for the Linux compile check) - the callable MAIL
 * routines.  Interface declarations transcribed from the public manual
 * "OpenVMS Utility Routines Manual", chapter "Mail Utility (MAIL)
 * Routines": each takes a context longword by reference and an input and
 * an output item list (item list 3 entries, ILE3, ended by a zero entry).
 * Declares only what vms/ calls.
 */
#ifndef __MAIL_ROUTINES_LOADED
#define __MAIL_ROUTINES_LOADED 1

unsigned int mail$mailfile_begin(unsigned int *context, void *in_item_list,
                                 void *out_item_list);
unsigned int mail$mailfile_open(unsigned int *context, void *in_item_list,
                                void *out_item_list);
unsigned int mail$mailfile_close(unsigned int *context, void *in_item_list,
                                 void *out_item_list);
unsigned int mail$mailfile_end(unsigned int *context, void *in_item_list,
                               void *out_item_list);
unsigned int mail$message_begin(unsigned int *context, void *in_item_list,
                                void *out_item_list);
unsigned int mail$message_select(unsigned int *context, void *in_item_list,
                                 void *out_item_list);
unsigned int mail$message_info(unsigned int *context, void *in_item_list,
                               void *out_item_list);
unsigned int mail$message_get(unsigned int *context, void *in_item_list,
                              void *out_item_list);
unsigned int mail$message_copy(unsigned int *context, void *in_item_list,
                               void *out_item_list);
unsigned int mail$message_delete(unsigned int *context, void *in_item_list,
                                 void *out_item_list);
unsigned int mail$message_end(unsigned int *context, void *in_item_list,
                              void *out_item_list);
unsigned int mail$user_begin(unsigned int *context, void *in_item_list,
                             void *out_item_list);
unsigned int mail$user_get_info(unsigned int *context, void *in_item_list,
                                void *out_item_list);
unsigned int mail$user_end(unsigned int *context, void *in_item_list,
                           void *out_item_list);

#endif
