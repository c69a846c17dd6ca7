/*
 * starlet.h (stub for the Linux compile check) - system service entry
 * points, in their __NEW_STARLET form.  Interface declarations transcribed
 * from the public manuals: "OpenVMS System Services Reference Manual"
 * (the "C Prototype" line of each service named below) and "OpenVMS Record
 * Management Services Reference Manual" ($OPEN, $CLOSE, $PARSE, $SEARCH,
 * $ERASE, $RENAME).  Declares only the services vms/ calls.
 *
 * The real header takes __unknown_params for AST routine arguments; the
 * stub spells that as an unprototyped pointer, which gcc treats the same.
 */
#ifndef __STARLET_LOADED
#define __STARLET_LOADED 1

#include <gen64def.h>
#include <iosbdef.h>
#include <lksbdef.h>
#include <rms.h>

#define __unknown_params

/* DEC C's built-in 64-bit integer type, spelled for gcc. */
#ifndef __int64
#define __int64 long long
#endif

/* $TRNLNM: translate a logical name */
int sys$trnlnm(unsigned int *attr, void *tabnam, void *lognam,
               unsigned char *acmode, void *itmlst);

/* $GETMSG: text of a condition value */
int sys$getmsg(unsigned int msgid, unsigned short int *msglen, void *bufadr,
               unsigned int flags, unsigned char outadr[4]);

/* $GETTIM: current system time (64-bit, 100 ns since 17-NOV-1858) */
int sys$gettim(struct _generic_64 *timadr);

/* $SETIMR / $CANTIM: timer requests */
int sys$setimr(unsigned int efn, struct _generic_64 *daytim,
               void (*astadr)(__unknown_params), unsigned __int64 reqidt,
               unsigned int flags);
int sys$cantim(unsigned __int64 reqidt, unsigned int acmode);

/* $WAITFR / $CLREF: event flags */
int sys$waitfr(unsigned int efn);
int sys$clref(unsigned int efn);

/* $SYNCH: wait for completion of an asynchronous request */
int sys$synch(unsigned int efn, struct _iosb *iosb);

/* $ENQ / $ENQW / $DEQ: lock management */
int sys$enq(unsigned int efn, unsigned int lkmode, struct _lksb *lksb,
            unsigned int flags, void *resnam, unsigned int parid,
            void (*astadr)(__unknown_params), __int64 astprm,
            void (*blkast)(__unknown_params), unsigned int acmode,
            unsigned int rsdm_id, ...);
int sys$enqw(unsigned int efn, unsigned int lkmode, struct _lksb *lksb,
             unsigned int flags, void *resnam, unsigned int parid,
             void (*astadr)(__unknown_params), __int64 astprm,
             void (*blkast)(__unknown_params), unsigned int acmode,
             unsigned int rsdm_id, ...);
int sys$deq(unsigned int lkid, void *valblk, unsigned int acmode,
            unsigned int flags);

/* $SNDOPR: send a message to the operator */
int sys$sndopr(void *msgbuf, unsigned short int chan);

/* $GETUAI: read a SYSUAF record */
int sys$getuai(unsigned int efn, unsigned int *contxt, void *usrnam,
               void *itmlst, struct _iosb *iosb,
               void (*astadr)(__unknown_params), int astprm);

/* $GETJPIW: information about a process, synchronous (pidadr and prcnam
 * NULL: the calling process) */
int sys$getjpiw(unsigned int efn, unsigned int *pidadr, void *prcnam,
                void *itmlst, struct _iosb *iosb,
                void (*astadr)(__unknown_params), unsigned __int64 astprm);

/* $HASH_PASSWORD: apply the SYSUAF hash algorithm */
int sys$hash_password(void *pwd, unsigned char alg, unsigned short int salt,
                      void *usrnam, struct _generic_64 *hash);

/* $ACMW: authentication and credential management, synchronous */
int sys$acmw(unsigned int efn, unsigned int func, void *context,
             void *itmlst, void *acmsb, void (*astadr)(__unknown_params),
             int astprm);

/* $SETPRV: enable or disable privileges */
int sys$setprv(char enbflg, struct _generic_64 *prvadr, char prmflg,
               struct _generic_64 *prvprv);

/* $PERSONA_CREATE (five arguments) and $PERSONA_ASSUME (four) */
int sys$persona_create(unsigned int *persona, void *usrnam,
                       unsigned int flags, void *usrpro, void *itmlst);
int sys$persona_assume(unsigned int *persona, unsigned int flags,
                       unsigned int *previous, unsigned int acmode);

/* $ASSIGN / $DASSGN / $QIOW: terminal I/O for the password prompt */
int sys$assign(void *devnam, unsigned short int *chan, unsigned int acmode,
               void *mbxnam, ...);
int sys$dassgn(unsigned short int chan);
int sys$qiow(unsigned int efn, unsigned short int chan, unsigned int func,
             struct _iosb *iosb, void (*astadr)(__unknown_params),
             __int64 astprm, void *p1, __int64 p2, __int64 p3, __int64 p4,
             __int64 p5, __int64 p6);

/* RMS services */
int sys$open(struct fabdef *fab, ...);
int sys$close(struct fabdef *fab, ...);
int sys$parse(struct fabdef *fab, ...);
int sys$search(struct fabdef *fab, ...);
int sys$erase(struct fabdef *fab, ...);
int sys$rename(struct fabdef *oldfab, void (*err)(__unknown_params),
               void (*suc)(__unknown_params), struct fabdef *newfab);

#endif
