/*
 * descrip.h (stub for the Linux compile check) - OpenVMS argument
 * descriptors.  Interface declarations transcribed from the public manuals:
 * "OpenVMS Calling Standard", chapter "Argument descriptors" (fixed-length
 * string descriptor, CLASS_S, DTYPE_T).  Declares only what vms/ uses.
 */
#ifndef __DESCRIP_LOADED
#define __DESCRIP_LOADED 1

#define DSC$K_DTYPE_T 14   /* character string */
#define DSC$K_CLASS_S 1    /* fixed-length descriptor */

struct dsc$descriptor_s {
    unsigned short dsc$w_length;
    unsigned char  dsc$b_dtype;
    unsigned char  dsc$b_class;
    char          *dsc$a_pointer;
};

#define $DESCRIPTOR(name, string) \
    struct dsc$descriptor_s name = { sizeof(string) - 1, DSC$K_DTYPE_T, \
                                     DSC$K_CLASS_S, (char *)string }

#endif
