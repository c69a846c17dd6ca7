$! NEWMAIL_STARTUP.COM - define the newmail logical names and start the
$! newmail daemon as a detached process.
$!
$! What it does
$!  1. Reads the site file (P1, default SYS$MANAGER:NEWMAIL_SITE.DAT), one
$!     "key = value" per line, "!" or "#" starts a comment:
$!       root = DKA100:[NEWMAIL.]        rooted directory -> NEWMAIL_ROOT,
$!                                       defined concealed
$!       startup.account = NEWMAIL       service account (default NEWMAIL)
$!       startup.image = NEWMAIL_ROOT:[BIN]NEWMAIL.EXE
$!       startup.keep_logs = 5           log versions kept by PURGE
$!       store.root = NEWMAIL_ROOT:[STORE]
$!       opcom_classes = CENTRAL,SECURITY
$!       any.other.key = value           -> NEWMAIL_ANY_OTHER_KEY
$!     Every key except root and startup.* becomes the logical name
$!     NEWMAIL_<KEY> ("." -> "_", upper case), defined /SYSTEM
$!     /EXECUTIVE_MODE: that is the only place pl_cfg_override looks.
$!  2. Sets VERSION_LIMIT=1 on the store root and every directory below it
$!     (folders created later inherit the limit from their parent).
$!  3. Starts the daemon with RUN/DETACH SYS$SYSTEM:LOGINOUT.EXE/AUTHORIZE,
$!     so the process gets the service account's SYSUAF quotas and
$!     privileges (SYSPRV and IMPERSONATE authorized, not default), with
$!     this same procedure as its input: run that way it loops on the
$!     server image (restarting it after a failure, at most 5 times).
$!
$! Limits: a value may not contain a double quote.  A key removed from the
$! site file keeps its old logical name until DEASSIGN/SYSTEM/EXECUTIVE.
$! Privilege: SYSNAM (system executive-mode logicals), DETACH (RUN/DETACH
$! with another UIC), SYSPRV (SET DIRECTORY on the store); run it from
$! SYS$MANAGER:SYSTARTUP_VMS.COM as SYSTEM.
$!
$ SET NOON
$ IF F$MODE() .EQS. "OTHER" .AND. -
     F$EDIT(F$GETJPI("", "PRCNAM"), "TRIM") .EQS. "NEWMAIL" THEN -
     GOTO RUN_SERVER
$!
$! ---- 1. the site file --------------------------------------------------
$ site = P1
$ IF site .EQS. "" THEN site = "SYS$MANAGER:NEWMAIL_SITE.DAT"
$ IF F$SEARCH(site) .EQS. ""
$ THEN
$   WRITE SYS$OUTPUT "%NEWMAIL-F-NOSITE, site file ''site' not found"
$   EXIT 44
$ ENDIF
$ account = "NEWMAIL"
$ image = "NEWMAIL_ROOT:[BIN]NEWMAIL.EXE"
$ keep_logs = "5"
$ store = ""
$ root = ""
$ OPEN/READ/ERROR=OPEN_FAILED site_file 'site'
$READ_LOOP:
$ READ/END_OF_FILE=READ_DONE site_file line
$ line = F$EDIT(line, "TRIM,COMPRESS")
$ IF line .EQS. "" THEN GOTO READ_LOOP
$ first = F$EXTRACT(0, 1, line)
$ IF first .EQS. "!" .OR. first .EQS. "#" THEN GOTO READ_LOOP
$ eq = F$LOCATE("=", line)
$ IF eq .EQ. F$LENGTH(line)
$ THEN
$   WRITE SYS$OUTPUT "%NEWMAIL-W-BADLINE, no ""="" in: ''line'"
$   GOTO READ_LOOP
$ ENDIF
$ key = F$EDIT(F$EXTRACT(0, eq, line), "TRIM,UPCASE")
$ value = F$EDIT(F$EXTRACT(eq + 1, F$LENGTH(line) - eq - 1, line), "TRIM")
$ IF F$LOCATE("""", value) .NE. F$LENGTH(value)
$ THEN
$   WRITE SYS$OUTPUT "%NEWMAIL-W-QUOTE, value of ''key' has a quote; skipped"
$   GOTO READ_LOOP
$ ENDIF
$ IF key .EQS. "ROOT"
$ THEN
$   root = value
$   GOTO READ_LOOP
$ ENDIF
$ IF key .EQS. "STARTUP.ACCOUNT" THEN account = F$EDIT(value, "UPCASE")
$ IF key .EQS. "STARTUP.IMAGE" THEN image = value
$ IF key .EQS. "STARTUP.KEEP_LOGS" THEN keep_logs = value
$ IF F$EXTRACT(0, 8, key) .EQS. "STARTUP." THEN GOTO READ_LOOP
$ IF key .EQS. "STORE.ROOT" THEN store = value
$ lnm = "NEWMAIL_" + key
$DOT_LOOP:
$ dot = F$LOCATE(".", lnm)
$ IF dot .LT. F$LENGTH(lnm)
$ THEN
$   lnm = F$EXTRACT(0, dot, lnm) + "_" + -
          F$EXTRACT(dot + 1, F$LENGTH(lnm) - dot - 1, lnm)
$   GOTO DOT_LOOP
$ ENDIF
$ DEFINE/SYSTEM/EXECUTIVE_MODE/NOLOG 'lnm' "''value'"
$ GOTO READ_LOOP
$READ_DONE:
$ CLOSE site_file
$ IF root .EQS. ""
$ THEN
$   WRITE SYS$OUTPUT "%NEWMAIL-F-NOROOT, the site file must set root"
$   EXIT 44
$ ENDIF
$ DEFINE/SYSTEM/EXECUTIVE_MODE/TRANSLATION_ATTRIBUTES=CONCEALED/NOLOG -
      NEWMAIL_ROOT 'root'
$!
$! The service account's UIC, for the store owner and the detached process.
$ id = F$IDENTIFIER(account, "NAME_TO_NUMBER")
$ IF id .EQ. 0
$ THEN
$   WRITE SYS$OUTPUT "%NEWMAIL-F-NOACCOUNT, no account ''account'"
$   EXIT 44
$ ENDIF
$ uic = F$FAO("!%U", id)
$!
$! ---- 2. the store: one version of every file ---------------------------
$ IF store .EQS. "" THEN store = "NEWMAIL_ROOT:[STORE]"
$ IF F$PARSE(store) .EQS. "" THEN -
      CREATE/DIRECTORY/OWNER_UIC='uic'/PROTECTION=(S:RWE,O:RWED,G,W) 'store'
$ SET DIRECTORY/VERSION_LIMIT=1 'store'
$ tree = store - "]" + "...]"
$ SET DIRECTORY/VERSION_LIMIT=1 'tree'
$!
$! ---- 3. start the daemon -------------------------------------------------
$ IF F$SEARCH("NEWMAIL_ROOT:[000000]LOG.DIR") .EQS. "" THEN -
      CREATE/DIRECTORY/OWNER_UIC='uic' NEWMAIL_ROOT:[LOG]
$ DEFINE/SYSTEM/EXECUTIVE_MODE/NOLOG NEWMAIL_STARTUP_IMAGE "''image'"
$ me = F$ENVIRONMENT("PROCEDURE")
$ me = F$PARSE(me,,, "DEVICE") + F$PARSE(me,,, "DIRECTORY") + -
       F$PARSE(me,,, "NAME") + F$PARSE(me,,, "TYPE")
$ ctx = ""
$ pid = F$PID(ctx)
$FIND_LOOP:
$ IF pid .EQS. "" THEN GOTO START
$ IF F$EDIT(F$GETJPI(pid, "PRCNAM"), "TRIM") .EQS. "NEWMAIL"
$ THEN
$   WRITE SYS$OUTPUT "%NEWMAIL-I-RUNNING, already running as ''pid'"
$   EXIT 1
$ ENDIF
$ pid = F$PID(ctx)
$ GOTO FIND_LOOP
$START:
$ RUN/DETACH/AUTHORIZE/UIC='uic'/PROCESS_NAME="NEWMAIL" -
      /INPUT='me' /OUTPUT=NEWMAIL_ROOT:[LOG]NEWMAIL_RUN.LOG -
      /ERROR=NEWMAIL_ROOT:[LOG]NEWMAIL_RUN.LOG -
      SYS$SYSTEM:LOGINOUT.EXE
$ st = $STATUS
$ IF .NOT. st THEN WRITE SYS$OUTPUT "%NEWMAIL-F-NOSTART, RUN/DETACH failed"
$ PURGE/NOLOG/KEEP='keep_logs' NEWMAIL_ROOT:[LOG]NEWMAIL_RUN.LOG
$ EXIT st
$!
$OPEN_FAILED:
$ WRITE SYS$OUTPUT "%NEWMAIL-F-OPEN, cannot read ''site'"
$ EXIT 44
$!
$! ---- the detached process runs from here ----------------------------------
$RUN_SERVER:
$ SET NOON
$ SET PROCESS/PARSE_STYLE=EXTENDED
$ image = F$TRNLNM("NEWMAIL_STARTUP_IMAGE", "LNM$SYSTEM_TABLE",, "EXECUTIVE")
$ newmail := $'image'
$ tries = 0
$SERVER_LOOP:
$ WRITE SYS$OUTPUT "%NEWMAIL-I-START, ", F$TIME()
$ newmail "serve"
$ st = $STATUS
$ WRITE SYS$OUTPUT "%NEWMAIL-I-EXIT, status ", F$FAO("%X!XL", st), " ", F$TIME()
$ IF st THEN EXIT st
$ tries = tries + 1
$ IF tries .GE. 5 THEN EXIT st
$ WAIT 00:00:30
$ GOTO SERVER_LOOP
