#!/bin/sh
# visible.sh - how many messages are visible in the benchmark's mailboxes,
# for newmail-bench --visible-cmd ("timed until every message is visible
# in its mailbox, not just accepted").
#
#   visible.sh count newmail|maildir DIR        print the number of messages
#   visible.sh newmail|maildir DIR BASE COUNT   exit 0 when >= BASE + COUNT
#
# newmail: DIR is a domain directory of the store (STORE/EXAMPLE_DORG);
# the messages are the files of every */NEWMAIL/ folder except the
# folder's INDEX.* files.  maildir: DIR holds one Maildir per user
# (DIR/USER/{new,cur}); the messages are the files of new/ and cur/
# (a Maildir's tmp/ holds deliveries not yet finished).
# newmail-bench appends COUNT (messages accepted); the caller puts BASE
# (the count before the run) into the command.  Reads only; any user.

count() {   # layout dir
    case $1 in
    newmail) find "$2" -path '*/NEWMAIL/*' -type f ! -name 'INDEX.*' \
                 2>/dev/null | wc -l ;;
    maildir) find "$2" \( -path '*/new/*' -o -path '*/cur/*' \) -type f \
                 2>/dev/null | wc -l ;;
    *) echo "visible.sh: layout must be newmail or maildir" >&2; exit 2 ;;
    esac
}

if [ "$1" = count ]; then
    [ $# = 3 ] || { echo "usage: visible.sh count LAYOUT DIR" >&2; exit 2; }
    count "$2" "$3"
    exit 0
fi
[ $# = 4 ] || { echo "usage: visible.sh LAYOUT DIR BASE COUNT" >&2; exit 2; }
n=$(count "$1" "$2") || exit 2
[ "$n" -ge $(($3 + $4)) ]
