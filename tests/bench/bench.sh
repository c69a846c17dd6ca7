#!/bin/bash
# bench.sh - the quick benchmark profile against newmail (make bench):
# a private `newmail serve` on free 127.0.0.1 ports with 1,000-odd
# accounts in a temporary store, then, one after another, the machine's
# own limits (write + fsync + rename of 4 KiB files at 1 and 16 threads,
# loopback TCP), SMTP durable delivery (4 KiB and 100 KiB at 1, 8, 64
# sessions, timed until every message is visible in NEWMAIL; 4 KiB with
# STARTTLS at 8), Postfix's smtp-source at 1, 8, 64 sessions (4 KiB and
# 100 KiB, timed the same way), POP3 retrieval (1, 8, 64 sessions over
# mailboxes of 40 messages; POP3S and DELE at 8; 8 sessions over
# mailboxes of 400), memory per idle connection (IDLE POP3 logins, IDLE
# SMTP sessions) and a mailbox of BIG messages (login + STAT + LIST +
# UIDL).  Prints one Markdown table (tests/bench/table.py) and keeps the
# raw rows.
#
# Usage: tests/bench/bench.sh [NEWMAIL [NEWMAIL-BENCH]]
# Environment: BENCH_SECONDS (bound of each measured row, 5), BENCH_IDLE
# (1000), BENCH_BIG (100000), BENCH_DIR (work directory, on the disk to
# measure; default a new one under /var/tmp), BENCH_ROWS (where the raw
# rows are kept; default build/bench-rows.txt).
# Bounds: each row ends within its --max-seconds plus its visibility
# wait (300 s at most); about 5 minutes on 2 cores.  Stops the server it
# started on any exit.  Needs python3 and openssl.

TOP=$(cd "$(dirname "$0")/../.." && pwd)
NM=${1:-$TOP/build/newmail}
BENCH=${2:-$(dirname "$NM")/newmail-bench}
SECS=${BENCH_SECONDS:-5}
IDLE=${BENCH_IDLE:-1000}
BIG=${BENCH_BIG:-100000}
SS_4K=${BENCH_SS_4K:-1000}
SS_100K=${BENCH_SS_100K:-300}
PW=bench-pw
. "$TOP/tests/bench/lib.sh"

for x in "$NM" "$BENCH"; do
    [ -x "$x" ] || { echo "bench: $x is not built (run make)" >&2; exit 2; }
done
command -v python3 >/dev/null || { echo "bench: needs python3" >&2; exit 2; }
TMPD=$(mktemp -d "${BENCH_DIR:-/var/tmp}/nmbench.XXXXXX") || exit 2
ROWS=${BENCH_ROWS:-$TOP/build/bench-rows.txt}
: >"$ROWS" || exit 2
trap 'bn_stop_all; rm -rf "$TMPD"' EXIT
trap 'exit 1' INT TERM HUP

say "work directory $TMPD"
bn_cert
read -r p_smtp p_pop3 p_pop3s <<<"$(bn_ports 3)"
nm_setup "$p_smtp" "$p_pop3" "$p_pop3s"
say "newmail: importing the big mailbox ($BIG messages)"
nm_bigbox
nm_start
dom=$NM_STORE/EXAMPLE_DORG

sys_rows
smtp_rows newmail "$dom" "$p_smtp" "$NM_PID" newmail
ss_rows newmail "$dom" "$p_smtp" newmail
say "newmail: filling $BN_USERS_POP POP3 mailboxes"
pop_fill newmail "$dom" "$p_smtp"
pop_rows "$p_pop3" "$p_pop3s" "$NM_PID" newmail
pop_rows_long newmail "$dom" "$p_smtp" "$p_pop3" "$NM_PID" newmail
big_rows "$p_pop3" "$NM_PID" newmail
idle_rows "$p_pop3" "$p_smtp" "$NM_PID" "$NM_PID" newmail
nm_stop

echo
echo "newmail benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs"
python3 "$TOP/tests/bench/table.py" "$ROWS"
echo
echo "raw rows: $ROWS"
if grep -q 'errors=[1-9]\|visible=no' "$ROWS"; then
    echo "bench: some rows failed (see errors= in $ROWS)"
    exit 1
fi
