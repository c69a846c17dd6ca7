/*
 * maildef.h (stub for the Linux compile check) - item codes of the
 * callable MAIL routines.  Interface declarations transcribed from the
 * public manual "OpenVMS Utility Routines Manual", chapter "Mail Utility
 * (MAIL) Routines" (item codes of MAIL$MAILFILE_*, MAIL$MESSAGE_*,
 * MAIL$USER_* and the special items), with the values of SYS$LIBRARY:MAILDEF.  Declares only
 * what vms/ uses.
 */
#ifndef __MAILDEF_LOADED
#define __MAILDEF_LOADED 1

/* mail file input items */
#define MAIL$_MAILFILE_DEFAULT_NAME  1026
#define MAIL$_MAILFILE_NAME          1029
/* mail file output items */
#define MAIL$_MAILFILE_RESULTSPEC    1059
#define MAIL$_MAILFILE_WASTEBASKET   1061

/* message input items */
#define MAIL$_MESSAGE_BACK           2049
#define MAIL$_MESSAGE_CONTINUE       2052
#define MAIL$_MESSAGE_DELETE         2056
#define MAIL$_MESSAGE_FILE_CTX       2058
#define MAIL$_MESSAGE_FLAGS          2060
#define MAIL$_MESSAGE_FOLDER         2061
#define MAIL$_MESSAGE_ID             2063
#define MAIL$_MESSAGE_NEXT           2064
/* message output items */
#define MAIL$_MESSAGE_CURRENT_ID     2095
#define MAIL$_MESSAGE_DATE           2096
#define MAIL$_MESSAGE_FROM           2100
#define MAIL$_MESSAGE_RECORD         2101
#define MAIL$_MESSAGE_RECORD_TYPE    2102
#define MAIL$_MESSAGE_RETURN_FLAGS   2105
#define MAIL$_MESSAGE_SELECTED       2107
#define MAIL$_MESSAGE_SIZE           2109
#define MAIL$_MESSAGE_SUBJECT        2110
#define MAIL$_MESSAGE_BINARY_DATE    2114
/* record types returned in MAIL$_MESSAGE_RECORD_TYPE */
#define MAIL$_MESSAGE_NULL           2131
#define MAIL$_MESSAGE_HEADER         2132
#define MAIL$_MESSAGE_TEXT           2133

/* user items */
#define MAIL$_USER_USERNAME          3075
#define MAIL$_USER_FULL_DIRECTORY    3145

/* special items */
#define MAIL$_NOSIGNAL               4098

/* message system flags (MAIL$_MESSAGE_RETURN_FLAGS) */
#define MAIL$M_NEWMSG   0x00000001
#define MAIL$M_DEL      0x00000004

#endif
