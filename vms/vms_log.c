/*
 * vms_log.c - logging on OpenVMS: a shared, append-only log file, standard
 * error, and operator messages through OPCOM.
 * Services: the C RTL open() with RMS keywords for the log file (variable
 * length records with carriage-return control, ctx=rec so each line is one
 * $PUT, shr=get,put so every server process appends to the same file and
 * operators can TYPE it while it grows); $SNDOPR for OPCOM, to the operator
 * classes named by the executive-mode system logical NEWMAIL_OPCOM_CLASSES
 * (for example "CENTRAL,SECURITY"; CENTRAL when undefined).
 * Limits: a line longer than VMS_LOG_LINE_MAX is cut there; an OPCOM
 * message carries at most VMS_OPC_TEXT_MAX characters.  Without file_spec,
 * PL_LOGTO_SYSTEM writes to SYS$OUTPUT, which for a detached process or an
 * auxiliary-server process is its own log file.  The file is appended to
 * (highest version); the startup procedure starts a new version and purges
 * old ones.
 * Privilege: none to log; OPCOM requests need no privilege.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <pthread.h>

#include <starlet.h>
#include <descrip.h>
#include <opcdef.h>
#include <psldef.h>

#include "vms_int.h"

#define VMS_LOG_LINE_MAX 1024   /* a record of the log file */
#define VMS_OPC_TEXT_MAX 128    /* OPCOM shows short requests best */
#define VMS_IDENT_MAX 32

static pthread_mutex_t vms_log_mx = PTHREAD_MUTEX_INITIALIZER;
static char vms_log_ident[VMS_IDENT_MAX + 1] = "newmail";
static int vms_log_dest = PL_LOGTO_STDERR;
static int vms_log_fd = -1;

int pl_log_open(const char *ident, int dest, const char *file_spec)
{
    int fd = -1, rc = PL_OK;

    if (ident == NULL ||
        (dest & ~(PL_LOGTO_SYSTEM | PL_LOGTO_STDERR)) != 0)
        return PL_EINVAL;
    if (file_spec != NULL && *file_spec != '\0') {
        fd = open(file_spec, O_WRONLY | O_APPEND | O_CREAT, 0600,
                  "rfm=var", "rat=cr", "ctx=rec", "shr=get,put");
        if (fd < 0)
            rc = vms_fail_errno();
    }
    pthread_mutex_lock(&vms_log_mx);
    snprintf(vms_log_ident, sizeof vms_log_ident, "%s", ident);
    vms_log_dest = dest;
    if (rc == PL_OK) {
        if (vms_log_fd >= 0)
            close(vms_log_fd);
        vms_log_fd = fd;
    }
    pthread_mutex_unlock(&vms_log_mx);
    return rc;
}

static const char *vms_level_name(int level)
{
    switch (level) {
    case PL_LOG_ERROR: return "ERROR";
    case PL_LOG_WARN: return "WARN";
    case PL_LOG_NOTICE: return "NOTICE";
    case PL_LOG_INFO: return "INFO";
    default: return "DEBUG";
    }
}

void pl_log_line(int level, int category, const char *line)
{
    char rec[VMS_LOG_LINE_MAX + 1];
    char stamp[32];
    time_t now = time(NULL);
    struct tm tmv;
    int len;

    if (line == NULL)
        return;
    if (localtime_r(&now, &tmv) == NULL ||
        strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tmv) == 0)
        strcpy(stamp, "-");
    pthread_mutex_lock(&vms_log_mx);
    len = snprintf(rec, sizeof rec, "%s %s[%08X] %s %s: %s", stamp,
                   vms_log_ident, (unsigned int)getpid(),
                   vms_level_name(level),
                   category == PL_LOGCAT_AUTH ? "auth" : "mail", line);
    if (len < 0)
        len = 0;
    if ((size_t)len >= sizeof rec)
        len = (int)sizeof rec - 1;
    /* One write() is one record ($PUT) under ctx=rec: lines from several
     * processes never interleave inside a record. */
    if (vms_log_fd >= 0)
        (void)write(vms_log_fd, rec, (size_t)len);
    else if (vms_log_dest & PL_LOGTO_SYSTEM) {
        fputs(rec, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    if (vms_log_dest & PL_LOGTO_STDERR) {
        fputs(rec, stderr);
        fputc('\n', stderr);
    }
    pthread_mutex_unlock(&vms_log_mx);
}

/* Operator class names as REPLY/ENABLE spells them, and their masks. */
static const struct vms_opc_class {
    const char *name;
    pl_u32 mask;
} vms_opc_classes[] = {
    { "CENTRAL", OPC$M_NM_CENTRL }, { "PRINTER", OPC$M_NM_PRINT },
    { "TAPES", OPC$M_NM_TAPES }, { "DISKS", OPC$M_NM_DISKS },
    { "DEVICES", OPC$M_NM_DEVICE }, { "CARDS", OPC$M_NM_CARDS },
    { "NETWORK", OPC$M_NM_NTWORK }, { "CLUSTER", OPC$M_NM_CLUSTER },
    { "SECURITY", OPC$M_NM_SECURITY }, { "REPLY", OPC$M_NM_REPLY },
    { "SOFTWARE", OPC$M_NM_SOFTWARE }, { "LICENSE", OPC$M_NM_LICENSE }
};

/* The class mask from NEWMAIL_OPCOM_CLASSES ("CENTRAL,OPER3,..."). */
static pl_u32 vms_opc_mask(void)
{
    char buf[256], *p, *tok, *save = NULL;
    pl_u32 mask = 0;
    size_t i;
    int k;

    if (vms_trnlnm("LNM$SYSTEM_TABLE", "NEWMAIL_OPCOM_CLASSES", PSL$C_EXEC,
                   buf, sizeof buf) != PL_OK)
        return OPC$M_NM_CENTRL;
    for (p = buf; (tok = strtok_r(p, ", \t", &save)) != NULL; p = NULL) {
        if (strncasecmp(tok, "OPER", 4) == 0) {
            k = atoi(tok + 4);
            if (k >= 1 && k <= 12)
                mask |= (pl_u32)OPC$M_NM_OPER1 << (k - 1);
            continue;
        }
        for (i = 0; i < sizeof vms_opc_classes / sizeof vms_opc_classes[0];
             i++)
            if (strcasecmp(tok, vms_opc_classes[i].name) == 0)
                mask |= vms_opc_classes[i].mask;
    }
    return mask != 0 ? mask : OPC$M_NM_CENTRL;
}

void pl_log_operator(const char *line)
{
    /* The $SNDOPR request: type byte, 3-byte class mask (little-endian),
     * request id longword, then the text. */
    unsigned char msg[8 + VMS_OPC_TEXT_MAX];
    struct dsc$descriptor_s d;
    pl_u32 mask;
    size_t tl;
    int n;
    unsigned int s;

    if (line == NULL)
        return;
    pl_log_line(PL_LOG_ERROR, PL_LOGCAT_MAIL, line);
    mask = vms_opc_mask();
    memset(msg, 0, sizeof msg);
    msg[0] = OPC$_RQ_RQST;
    msg[1] = (unsigned char)(mask & 0xFF);
    msg[2] = (unsigned char)((mask >> 8) & 0xFF);
    msg[3] = (unsigned char)((mask >> 16) & 0xFF);
    pthread_mutex_lock(&vms_log_mx);
    n = snprintf((char *)msg + 8, VMS_OPC_TEXT_MAX, "%s: %s", vms_log_ident,
                 line);
    pthread_mutex_unlock(&vms_log_mx);
    if (n < 0)
        return;
    tl = (size_t)n >= VMS_OPC_TEXT_MAX ? VMS_OPC_TEXT_MAX - 1 : (size_t)n;
    vms_desc(&d, (const char *)msg, 8 + tl);
    s = sys$sndopr(&d, 0);
    if (!(s & 1))
        (void)vms_fail(s);   /* OPCOM down: the log line above remains */
}
