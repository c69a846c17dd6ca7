/*
 * pthread.h (stub wrapper for the Linux compile check) - the host's POSIX
 * <pthread.h> plus the two DECthreads extensions vms/ uses.  Interface
 * declarations transcribed from the public manuals: "Guide to the POSIX
 * Threads Library" (OpenVMS), pthread_delay_np and
 * pthread_get_expiration_np.
 */
#ifndef VMSSTUB_PTHREAD_H
#define VMSSTUB_PTHREAD_H 1
#include_next <pthread.h>
int pthread_delay_np(const struct timespec *interval);
int pthread_get_expiration_np(const struct timespec *delta,
                              struct timespec *abstime);
#endif
