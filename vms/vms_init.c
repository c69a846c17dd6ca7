/*
 * vms_init.c - C RTL feature switches set before main() runs, through the
 * LIB$INITIALIZE mechanism: a pointer to vms_crtl_init placed in the
 * LIB$INITIALIZE program section, which the image activator calls at
 * start-up.
 * Services: decc$feature_get_index/decc$feature_set_value (C RTL) and
 * $TRNLNM: a feature the site already defined as a DECC$ logical name is
 * left alone, so the system manager keeps the last word.
 * Limits: only the features the layer needs; the layer builds native file
 * specs itself, so no ODS-5/UNIX filename feature is set.  The table must
 * hold 32-bit pointers even in a 64-bit pointer compilation, hence the
 * pointer_size pragma; the psect attributes follow the "OpenVMS Linker
 * Utility Manual", LIB$INITIALIZE.
 * pl_init calls vms_init_features, which is what pulls this module out of
 * the object library into the image (nothing else refers to it).
 * Privilege: none.
 */
#include <stddef.h>

#include <unixlib.h>
#include <psldef.h>

#include "vms_int.h"

/* A feature and the value we want. */
struct vms_feature {
    const char *name;
    int value;
};

static const struct vms_feature vms_features[] = {
    /* Keep argv case as typed when the process runs with
     * SET PROCESS/PARSE_STYLE=EXTENDED (user names, paths in options). */
    { "DECC$ARGV_PARSE_STYLE", 1 },
    /* lseek beyond the end of a stream file extends it as POSIX does;
     * pl_file_seek/pl_file_truncate rely on byte positions. */
    { "DECC$POSIX_SEEK_STREAM_FILE", 1 }
};

static int vms_init_ran;   /* set once vms_crtl_init has run */

/* Set each feature unless the site defined it as a logical name. */
static void vms_crtl_init(void)
{
    char val[64];
    size_t i;
    int idx;

    vms_init_ran = 1;
    for (i = 0; i < sizeof vms_features / sizeof vms_features[0]; i++) {
        if (vms_trnlnm("LNM$FILE_DEV", vms_features[i].name, PSL$C_USER,
                       val, sizeof val) == PL_OK)
            continue;      /* the site's choice wins */
        idx = decc$feature_get_index(vms_features[i].name);
        if (idx < 0)
            continue;      /* older C RTL without this feature */
        (void)decc$feature_set_value(idx, 1, vms_features[i].value);
    }
}

int vms_init_features(void)
{
    /* Normally LIB$INITIALIZE ran us before main(); if the psect was lost
     * at link time, set the features now rather than not at all. */
    if (!vms_init_ran)
        vms_crtl_init();
    return PL_OK;
}

/* The LIB$INITIALIZE contribution: one 32-bit pointer in a psect that is
 * not executable, not writable and not shared, as the linker expects. */
#pragma nostandard
#ifdef __INITIAL_POINTER_SIZE
#pragma __required_pointer_size __save
#pragma __required_pointer_size __short
#endif
#pragma extern_model save
#pragma extern_model strict_refdef "LIB$INITIALIZE" nopic, gbl, noexe, nowrt, noshr, long
extern void (* const vms_init_table[])(void);
void (* const vms_init_table[])(void) = { vms_crtl_init };
#pragma extern_model restore
#ifdef __INITIAL_POINTER_SIZE
#pragma __required_pointer_size __restore
#endif

/* The linker must also see a reference to the LIB$INITIALIZE routine in
 * STARLET, or it drops the psect's meaning; this call is never made. */
extern int LIB$INITIALIZE(void);
int vms_init_ref(void);
int vms_init_ref(void)
{
    return LIB$INITIALIZE();
}
#pragma standard
