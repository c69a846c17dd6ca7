#!/bin/sh
# t_queue.sh - drives `newmail queue list|show|flush|delete|hold|release`
# and the mailq personality on a store directory: outputs and exit codes,
# an entry locked by a delivery in progress (refused politely, exit 75),
# damaged envelopes (a changed byte, a cut file, a message file of another
# size) shown as damaged and never lost, and flush with no server running
# (exit 0 and a note).
#
# Entries are made with `newmail sendmail` and with tests/tools/t_qsubmit.c
# (through qu.h, as the SMTP server writes them: DSN fields, per-recipient
# status, and the lock a delivery holds): $T_QSUBMIT, else build/t_qsubmit
# (made with `make build/t_qsubmit` when missing).
#
# Usage: tests/integration/t_queue.sh [PATH-TO-NEWMAIL] (default build/newmail)
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.
# Needs a POSIX shell, grep, python3 (byte edits) and mktemp; no network.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-${NEWMAIL:-$top/build/newmail}}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
if [ ! -x "$nm" ]; then
    echo "t_queue: $nm is not built (run make first)" >&2
    exit 2
fi
qs=${T_QSUBMIT:-$(dirname "$nm")/t_qsubmit}
if [ ! -x "$qs" ]; then
    make -C "$top" --no-print-directory "$(dirname "$nm")/t_qsubmit" \
        >/dev/null 2>&1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_queue.XXXXXX") || exit 2
lockpid=
cleanup() {
    [ -n "$lockpid" ] && kill "$lockpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
cd "$tmp" || exit 2

pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "$2" ] && echo "     $2"; }

if [ ! -x "$qs" ]; then
    bad "test driver $qs is built (make build/t_qsubmit)"
    echo "$pass passed, $fail failed"
    exit 1
fi

store=$tmp/store
qdir=$store/_QUEUE
cat >nm.conf <<EOF
store.root = $store
hostname = mx.example.org
service.user = $(id -un)
EOF

# run ARGS...: `newmail -c nm.conf queue ARGS`, output in out and err.
run() {
    "$nm" -c nm.conf queue "$@" >out 2>err
    rc=$?
}

expect_rc() {
    if [ "$rc" -eq "$2" ]; then ok "$1 (exit $2)"
    else bad "$1" "exit $rc, expected $2; stdout: $(head -3 out); stderr: $(head -3 err)"; fi
}

# expect_grep NAME FILE TEXT: FILE holds TEXT (fixed string).
expect_grep() {
    if grep -F -e "$3" "$2" >/dev/null; then ok "$1"
    else bad "$1" "no '$3' in $2: $(head -5 "$2")"; fi
}

expect_nogrep() {
    if grep -F -e "$3" "$2" >/dev/null; then bad "$1" "'$3' in $2"
    else ok "$1"; fi
}

# files ID: the entry's files present, e.g. "ENV MSG".
files() {
    f=
    for t in ENV MSG; do [ -f "$qdir/$1.$t" ] && f="$f $t"; done
    echo "$f"
}

# --- no store yet, then an empty queue ---
run list
expect_rc "list without a store" 0
expect_grep "no store: empty" out "Mail queue is empty"
mkdir -p "$store"
run list
expect_rc "list of an empty queue" 0
expect_grep "empty queue says so" out "Mail queue is empty"

# --- entries: one by sendmail, one through the queue API ---
printf 'Subject: one\n\nfirst body line\n' | \
    "$nm" -c nm.conf sendmail -v -f alice@example.org bob@example.net \
        carol@example.com >sm.out 2>sm.err
rc=$?
id1=$(sed -n 's/.*queued as \([A-Z0-9]\{16\}\).*/\1/p' sm.err)
if [ "$rc" -eq 0 ] && [ -n "$id1" ]; then ok "sendmail queued $id1"
else
    bad "sendmail queued a message" "exit $rc: $(head -3 sm.err)"
    id1=$(printf 'Subject: one\r\n\r\nfirst body line\r\n' | \
          "$qs" submit "$store" alice@example.org bob@example.net \
              carol@example.com)
fi
id2=$(printf 'Subject: two\r\n\r\nsecond\r\n' | \
      "$qs" submit "$store" "" "dave@example.net,SUCCESS+FAILURE,rfc822;dave@example.net" \
          "erin@example.net,NEVER")
case $id2 in
    [0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z]*)
        ok "t_qsubmit queued $id2" ;;
    *) bad "t_qsubmit queued a message" "$id2" ;;
esac
"$qs" status "$store" "$id2" 1 "451 4.4.1 connection refused" || \
    bad "t_qsubmit status"

run list
expect_rc "list" 0
expect_grep "list shows entry 1" out "$id1"
expect_grep "list shows entry 2" out "$id2"
expect_grep "list shows the sender" out "<alice@example.org>"
expect_grep "list shows the null sender" out "<>"
expect_grep "list shows a recipient" out "<carol@example.com>"
expect_grep "list shows the last status" out "(451 4.4.1 connection refused)"
expect_grep "list counts" out "-- 2 entries"
expect_nogrep "not held yet" out "(held)"

# --- show ---
run show "$id2"
expect_rc "show" 0
expect_grep "show: sender" out "Sender:       <>"
expect_grep "show: ENVID" out "ENVID:        T-ENVID-1"
expect_grep "show: RET" out "RET:          HDRS"
expect_grep "show: NOTIFY" out "NOTIFY:   SUCCESS,FAILURE"
expect_grep "show: NOTIFY=NEVER" out "NOTIFY:   NEVER"
expect_grep "show: ORCPT" out "ORCPT:    rfc822;dave@example.net"
expect_grep "show: attempts" out "State:    pending, 1 attempt"
expect_grep "show: status" out "Status:   451 4.4.1 connection refused"
expect_grep "show: remote" out "Remote:   mx.example.net"
expect_grep "show: size" out "Size:         24 octets"
low=$(echo "$id1" | tr 'A-Z' 'a-z')
run show --message "$low"
expect_rc "show --message, id in lower case" 0
expect_grep "show --message prints the message" out "first body line"
run show 0000000000000000
expect_rc "show of a missing entry" 66
run show not-an-id
expect_rc "show of a bad id" 65
run show
expect_rc "show without an id" 64

# --- hold, flush, release ---
run hold "$id1"
expect_rc "hold" 0
expect_grep "hold says so" out "$id1: held"
run list
expect_grep "list marks held" out "(held)"
run flush
expect_rc "flush with no server running" 0
expect_grep "flush: no server note" out "the mail goes when it starts"
expect_grep "flush leaves held mail" out "$id1: held; not flushed"
run flush "$id2"
expect_rc "flush ID" 0
expect_grep "flush ID says due" out "$id2: due now"
run release "$id1"
expect_rc "release" 0
expect_grep "release says so" out "$id1: released"
run show "$id1"
expect_grep "released: not held" out "Held:         no"
expect_grep "released: due now" out "Next try:     now"
run hold 0000000000000000
expect_rc "hold of a missing entry" 66
if [ -f "$qdir/0000000000000000.LCK" ]; then
    bad "no lock file left for a missing entry"
else ok "no lock file left for a missing entry"; fi

# --- a delivery in progress holds the lock ---
"$qs" lock "$store" "$id2" 20000 >lock.out 2>&1 &
lockpid=$!
n=0
while [ "$n" -lt 50 ] && ! grep -q locked lock.out 2>/dev/null; do
    sleep 0.1
    n=$((n + 1))
done
if grep -q locked lock.out; then ok "a delivery holds $id2"
else bad "t_qsubmit lock" "$(cat lock.out)"; fi
run delete "$id2"
expect_rc "delete while delivering" 75
expect_grep "delete refused politely" err "try again later"
run hold "$id2"
expect_rc "hold while delivering" 75
if [ "$(files "$id2")" = " ENV MSG" ]; then ok "entry kept while locked"
else bad "entry kept while locked" "$(ls "$qdir")"; fi
kill "$lockpid" 2>/dev/null
wait "$lockpid" 2>/dev/null
lockpid=

# --- damage: never lost, always shown ---
env2=$qdir/$id2.ENV
cp "$env2" env2.good
python3 - "$env2" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
i = b.find(b'erin')
b[i] ^= 0x20
open(p, 'wb').write(b)
EOF
run list
expect_rc "list with a damaged entry" 0
expect_grep "list marks damaged" out "$id2"
expect_grep "damage reason: checksum" out "(damaged: checksum mismatch"
expect_grep "list counts damaged" out "1 damaged"
run show "$id2"
expect_rc "show of a damaged entry" 65
expect_grep "show prints the reason" out "Damaged:      checksum mismatch"
expect_grep "show prints the file as stored" out "| RCPT Erin@example.net"
run hold "$id2"
expect_rc "hold of a damaged entry refused" 65
run flush "$id2"
expect_rc "flush of a damaged entry refused" 65
if [ "$(files "$id2")" = " ENV MSG" ]; then ok "damaged entry not lost"
else bad "damaged entry not lost" "$(ls "$qdir")"; fi

python3 - "$env2" <<'EOF'
import sys
p = sys.argv[1]
b = open('env2.good', 'rb').read()
open(p, 'wb').write(b[:len(b) // 2])
EOF
run list
expect_grep "cut envelope: damaged" out "(damaged: truncated"

cp env2.good "$env2"
printf 'x' >>"$qdir/$id2.MSG"
run list
expect_grep "message size differs: damaged" out \
    "(damaged: the message file holds 25 octets, the envelope says 24)"

# --- text from the envelope never reaches the terminal raw ---
evil=$(printf 'x\302\233[2Jy\377@example.net')
nice=$(printf 'j\303\251r\303\264me@example.net')
id3=$(printf 'Subject: 3\r\n\r\nclear\033[2J caf\303\251 bare\rCR\r\n' | \
      "$qs" submit "$store" a@example.org "$evil" "$nice")
run show "$id3"
expect_rc "show of odd addresses" 0
expect_grep "C1 control and bad byte escaped" out 'x\xC2\x9B[2Jy\xFF@example.net'
expect_grep "UTF-8 shown as is" out "$nice"
if LC_ALL=C grep "$(printf '\233')" out >/dev/null; then
    bad "no raw C1 byte in the output"
else ok "no raw C1 byte in the output"; fi
run show --message "$id3"
expect_grep "message: escapes escaped, UTF-8 kept" out \
    "clear\\x1B[2J caf$(printf '\303\251') bare\\x0DCR"
if LC_ALL=C grep "$(printf '\033')" out >/dev/null; then
    bad "no raw ESC in the message output"
else ok "no raw ESC in the message output"; fi
run list
expect_grep "list escapes too" out 'x\xC2\x9B[2Jy\xFF@example.net'
run delete "$id3"
expect_rc "delete the odd entry" 0

# --- delete ---
run delete "$id1"
expect_rc "delete" 0
expect_grep "delete says so" out "$id1: deleted"
run delete "$id1"
expect_rc "delete again" 66
run delete --all "$id2"
expect_rc "delete --all with an id" 64
run delete
expect_rc "delete without an id" 64
run delete --all
expect_rc "delete --all (a damaged entry too)" 0
expect_grep "delete --all counts" out "1 entry deleted"
run list
expect_grep "empty after delete" out "Mail queue is empty"
left=$(ls -A "$qdir")
if [ -z "$left" ]; then ok "no files left in _QUEUE"
else bad "no files left in _QUEUE" "$left"; fi

# --- mailq, help and usage ---
ln -s "$nm" mailq
./mailq -C nm.conf >out 2>err
rc=$?
expect_rc "mailq" 0
expect_grep "mailq lists" out "Mail queue is empty"
run --help
expect_rc "queue --help" 0
expect_grep "queue --help lists release" out "  release "
run list --help
expect_rc "queue list --help" 0
"$nm" help queue delete >out 2>err
rc=$?
expect_rc "help queue delete" 0
expect_grep "help queue delete" out "usage: newmail queue delete"
run frob
expect_rc "unknown queue command" 64
run list extra
expect_rc "list with an argument" 64

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
