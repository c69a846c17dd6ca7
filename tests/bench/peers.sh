#!/bin/bash
# peers.sh - newmail beside Postfix and Dovecot on the same machine
# (make bench-peers): installs postfix and dovecot-pop3d from the
# distribution if missing (the packaged system services are stopped, so
# nothing is left running or bound to the standard ports), then runs the
# rows of bench.sh against a private newmail and against a private
# Postfix (own config_directory, queue_directory and data_directory,
# smtpd on a free 127.0.0.1 port, the bench domains delivered by
# virtual(8) to Maildirs) plus a private Dovecot (own base_dir,
# passwd-file with the same users and password, POP3 and POP3S on free
# 127.0.0.1 ports from Postfix's Maildirs, a throw-away certificate),
# one after another, and prints one table: row, newmail's figure, the
# peer's figure, the ratio, CPU per 1,000 messages of both.
# Durability is at each product's defaults (newmail: fsync before the
# 250; Postfix: fsync of the queue file and of the Maildir file; Dovecot:
# mail_fsync = optimized).  SMTP rows are timed until every message is
# visible in its mailbox (NEWMAIL, or the Maildir's new/ and cur/).
#
# Usage: tests/bench/peers.sh [NEWMAIL [NEWMAIL-BENCH]]  (as root)
# Environment: as bench.sh (BENCH_SECONDS, BENCH_IDLE, BENCH_BIG,
# BENCH_DIR), BENCH_ROWS default build/bench-peers-rows.txt.
# Bounds: every row as in bench.sh; about 15 minutes on 2 cores.
# Stops every server it started on any exit (trap).

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

[ "$(id -u)" = 0 ] || { echo "bench-peers: needs root (Postfix, Dovecot)" >&2; exit 2; }
for x in "$NM" "$BENCH"; do
    [ -x "$x" ] || { echo "bench-peers: $x is not built (run make)" >&2; exit 2; }
done

# Install the peers when missing; a package's own service must not stay
# up (the private instances are the only ones measured).
need=
command -v postfix >/dev/null 2>&1 || need="$need postfix"
[ -x /usr/lib/dovecot/pop3 ] || need="$need dovecot-pop3d"
if [ -n "$need" ]; then
    say "installing$need"
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y \
        --no-install-recommends $need >&2 || die "apt-get install$need"
    for svc in postfix dovecot; do
        if command -v systemctl >/dev/null 2>&1 \
           && systemctl is-active --quiet "$svc" 2>/dev/null; then
            systemctl stop "$svc"; systemctl disable "$svc" 2>/dev/null
        fi
    done
    [ -f /etc/postfix/main.cf ] && postfix status >/dev/null 2>&1 \
        && postfix stop >/dev/null 2>&1
    [ -f /run/dovecot/master.pid ] && dovecot stop >/dev/null 2>&1
fi
command -v dovecot >/dev/null || die "dovecot is not installed"

TMPD=$(mktemp -d "${BENCH_DIR:-/var/tmp}/nmpeers.XXXXXX") || exit 2
ROWS=${BENCH_ROWS:-$TOP/build/bench-peers-rows.txt}
: >"$ROWS" || exit 2
trap 'bn_stop_all; rm -rf "$TMPD"' EXIT
trap 'exit 1' INT TERM HUP

say "work directory $TMPD"
bn_cert
read -r p_smtp p_pop3 p_pop3s q_smtp q_pop3 q_pop3s <<<"$(bn_ports 6)"

# newmail first, then the peers, on the same machine and disk.
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
rm -rf "$NM_STORE"

say "Postfix and Dovecot: private instances"
pf_start "$q_smtp"
dv_start "$q_pop3" "$q_pop3s"
say "Dovecot: writing the big Maildir ($BIG messages)"
dv_bigbox
mdir=$TMPD/mail/example.org
smtp_rows maildir "$mdir" "$q_smtp" "$PF_PID" peer --tree
ss_rows maildir "$mdir" "$q_smtp" peer
say "Postfix: filling $BN_USERS_POP POP3 mailboxes"
pop_fill maildir "$mdir" "$q_smtp"
pop_rows "$q_pop3" "$q_pop3s" "$DV_PID" peer --tree
pop_rows_long maildir "$mdir" "$q_smtp" "$q_pop3" "$DV_PID" peer --tree
big_rows "$q_pop3" "$DV_PID" peer --tree
idle_rows "$q_pop3" "$q_smtp" "$DV_PID" "$PF_PID" peer --tree
bn_stop_all

echo
echo "newmail beside Postfix $(postconf -h mail_version 2>/dev/null) and" \
     "Dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1)," \
     "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs"
python3 "$TOP/tests/bench/table.py" --peers "$ROWS"
echo
echo "raw rows: $ROWS"
if grep -q 'errors=[1-9]\|visible=no' "$ROWS"; then
    echo "bench-peers: some rows failed (see errors= in $ROWS)"
    exit 1
fi
