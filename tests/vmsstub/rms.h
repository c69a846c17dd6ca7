/*
 * rms.h (stub for the Linux compile check) - RMS control blocks: FAB, NAM,
 * XABFHC, XABDAT, XABPRO.  Interface declarations transcribed from the
 * public manuals: "OpenVMS Record Management Services Reference Manual"
 * (FAB, NAM, XABFHC, XABDAT, XABPRO field descriptions) and "OpenVMS
 * System Messages" for the RMS$_ condition values; values cross-checked
 * against public $FABDEF/$RMSDEF listings.  Field ORDER and padding here are
 * not the real layout (only names and types are used by vms/); the real
 * header also defines cc$rms_fab etc. as initialised prototype blocks.
 */
#ifndef __RMS_LOADED
#define __RMS_LOADED 1

/* fab$b_fac */
#define FAB$M_GET 0x02
/* fab$b_shr */
#define FAB$M_SHRPUT 0x01
#define FAB$M_SHRGET 0x02
#define FAB$M_SHRDEL 0x04
#define FAB$M_SHRUPD 0x08
/* fab$b_rfm */
/* fab$l_fop */
#define FAB$M_NAM   0x01000000
/* nam$b_nop */
#define NAM$M_SYNCHK 0x08
#define NAM$C_MAXRSS 255

/* condition values */
#define RMS$_EOF    98938
#define RMS$_FEX    98946
#define RMS$_FLK    98954
#define RMS$_FNF    98962
#define RMS$_PRV    98970
#define RMS$_NMF    99018
#define RMS$_RNF    98994
#define RMS$_DIR    99532
#define RMS$_SYN    100052
#define RMS$_DNF    114762

struct namdef {
    unsigned char  nam$b_bid;
    unsigned char  nam$b_bln;
    unsigned char  nam$b_rss;
    unsigned char  nam$b_rsl;
    char          *nam$l_rsa;
    unsigned char  nam$b_nop;
    unsigned char  nam$b_ess;
    unsigned char  nam$b_esl;
    char          *nam$l_esa;
    unsigned int   nam$l_fnb;
    unsigned short nam$w_did[3];
    unsigned char  nam$b_dev;
    unsigned char  nam$b_dir;
    unsigned char  nam$b_name;
    unsigned char  nam$b_type;
    unsigned char  nam$b_ver;
    char          *nam$l_dev;
    char          *nam$l_dir;
    char          *nam$l_name;
    char          *nam$l_type;
    char          *nam$l_ver;
};

struct xabfhcdef {
    unsigned char  xab$b_cod;
    unsigned char  xab$b_bln;
    void          *xab$l_nxt;
    unsigned char  xab$b_rfo;
    unsigned int   xab$l_ebk;
    unsigned short xab$w_ffb;
};

struct xabdatdef {
    unsigned char  xab$b_cod;
    unsigned char  xab$b_bln;
    void          *xab$l_nxt;
    unsigned int   xab$q_cdt[2];
    unsigned int   xab$q_rdt[2];
};

struct xabprodef {
    unsigned char  xab$b_cod;
    unsigned char  xab$b_bln;
    void          *xab$l_nxt;
    unsigned short xab$w_pro;
    unsigned int   xab$l_uic;
};

struct fabdef {
    unsigned char  fab$b_bid;
    unsigned char  fab$b_bln;
    unsigned int   fab$l_fop;
    unsigned int   fab$l_sts;
    unsigned int   fab$l_stv;
    unsigned char  fab$b_fac;
    unsigned char  fab$b_shr;
    unsigned char  fab$b_rfm;
    unsigned char  fab$b_rat;
    void          *fab$l_xab;
    struct namdef *fab$l_nam;
    char          *fab$l_fna;
    char          *fab$l_dna;
    unsigned char  fab$b_fns;
    unsigned char  fab$b_dns;
};

/* The initialised prototype blocks the RMS run-time library exports. */
extern struct fabdef    cc$rms_fab;
extern struct namdef    cc$rms_nam;
extern struct xabfhcdef cc$rms_xabfhc;
extern struct xabdatdef cc$rms_xabdat;
extern struct xabprodef cc$rms_xabpro;

#endif
