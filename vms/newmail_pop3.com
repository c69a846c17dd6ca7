$! NEWMAIL_POP3.COM - the auxiliary-server service procedure for POP3.
$!
$! The TCP/IP Services auxiliary server runs this procedure in a new
$! process for every connection on the POP3 port, under the account named
$! by /USER_NAME, with the connection on the BG device that SYS$NET names; the
$! server image takes it with socket(TCPIP$C_AUXS, ...) (pl_sock_inherited_conn)
$! and serves exactly that one session, then the process ends.
$!
$! The service this procedure expects (see doc/install-vms.md):
$!   $ TCPIP SET SERVICE NEWMAIL_POP3 /PORT=110 /PROTOCOL=TCP -
$!         /USER_NAME=NEWMAIL /PROCESS_NAME=NEWMAIL_POP3 -
$!         /FILE=NEWMAIL_ROOT:[000000]NEWMAIL_POP3.COM -
$!         /LIMIT=50 /LOG_OPTIONS=(ACCEPT,REJECT,ERROR) -
$!         /LOG_FILE=NEWMAIL_ROOT:[LOG]NEWMAIL_POP3.LOG
$!   $ TCPIP ENABLE SERVICE NEWMAIL_POP3
$!
$! Limits: one session per process; /LIMIT caps the processes.
$! Privilege: the account's SYSPRV and IMPERSONATE must be authorized but
$! not default; the image enables them only around $ACM/$GETUAI and the
$! persona switch, and after authentication runs as the user.
$!
$ SET NOON
$ SET NOVERIFY
$ SET PROCESS/PARSE_STYLE=EXTENDED
$ image = F$TRNLNM("NEWMAIL_STARTUP_IMAGE", "LNM$SYSTEM_TABLE",, "EXECUTIVE")
$ IF image .EQS. "" THEN image = "NEWMAIL_ROOT:[BIN]NEWMAIL.EXE"
$ newmail := $'image'
$ newmail "pop3d" "--inetd"
$ EXIT $STATUS
