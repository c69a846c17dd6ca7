/*
 * unixlib.h (stub for the Linux compile check) - C RTL feature switches.
 * Interface declarations transcribed from the public manuals: "VSI C
 * Run-Time Library Reference Manual for OpenVMS Systems",
 * decc$feature_get_index, decc$feature_get_value, decc$feature_set_value
 * (mode 1 = current value).
 */
#ifndef __UNIXLIB_LOADED
#define __UNIXLIB_LOADED 1

int decc$feature_get_index(const char *name);
int decc$feature_get_value(int index, int mode);
int decc$feature_set_value(int index, int mode, int value);

#endif
