#!/bin/bash
# t_bench.sh - a bounded smoke run of newmail-bench against a real
# `newmail serve` on free 127.0.0.1 ports: every scenario (SMTP, SMTP with
# STARTTLS, POP3, POP3S, POP3 with DELE, idle POP3, idle SMTP, SMTP timed
# until visible with tests/bench/visible.sh, bigbox, tcp, disk) with 2
# sessions and 20 messages exits 0 and reports done=20 errors=0 with a
# positive rate and latencies, and the server's CPU and RSS; a visibility
# command that never succeeds fails the run; --tree sums a process tree;
# a non-loopback --host is refused with exit 2 before any connection.
#
# Usage: tests/integration/t_bench.sh [NEWMAIL [NEWMAIL-BENCH]]
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.
# Needs python3 (free ports) and the openssl command; about 10 seconds.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-$top/build/newmail}
# The load generator built beside the server (build/, build-asan/).
bench=${2:-$(dirname "$nm")/newmail-bench}
for x in "$nm" "$bench"; do
    if [ ! -x "$x" ]; then
        echo "t_bench: $x is not built (run make first)" >&2
        exit 2
    fi
done
command -v python3 >/dev/null || { echo "t_bench: needs python3" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_bench.XXXXXX")
passed=0
failed=0
srv=
cleanup() {
    if [ -n "$srv" ]; then
        kill "$srv" 2>/dev/null
        wait "$srv" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

check() {   # name, condition-status, detail
    if [ "$2" = 0 ]; then
        passed=$((passed + 1)); echo "ok   $1"
    else
        failed=$((failed + 1)); echo "FAIL $1"
        [ -n "$3" ] && printf '     %s\n' "$3" | head -5
    fi
}

# key=value from the machine-readable line of output $1.
kv() { sed -n "s/^bench .* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

read -r p3 p3s smtp <<<"$(python3 -c '
import socket
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 \
    -subj /CN=localhost >/dev/null 2>&1
conf=$tmp/newmail.conf
cat >"$conf" <<CONF
hostname = localhost
pop3.listen = 127.0.0.1:$p3
pop3s.listen = 127.0.0.1:$p3s
smtp.listen = 127.0.0.1:$smtp
tls.cert = $tmp/cert.pem
tls.key = $tmp/key.pem
store.root = $tmp/store
service.user = ""
log.syslog = no
log.level = warn
pop3.leave_in_newmail = yes
pop3.plaintext_auth = always
CONF
ok=0
# One password for both: the benchmark logs in with a single --password.
for u in 1 2; do
    echo "bench-pw" | "$nm" -c "$conf" user add "u$u@example.org" \
        --password-stdin >/dev/null 2>&1 || ok=1
done
check "two bench users added" $ok

"$nm" -c "$conf" serve --stderr >"$tmp/serve.log" 2>&1 &
srv=$!
python3 -c '
import socket, sys, time
end = time.time() + 10
for p in sys.argv[1:]:
    while True:
        try:
            socket.create_connection(("127.0.0.1", int(p)), 0.5).close()
            break
        except OSError:
            if time.time() > end: sys.exit(1)
            time.sleep(0.05)' "$p3" "$p3s" "$smtp"
check "server listens" $?

common="--sessions 2 --messages 20 --users 2 --password bench-pw
        --max-seconds 20 --timeout 10 --pid $srv"

run() {     # name, expected done, bench arguments...
    local name=$1 want=$2 out rc bad=0
    shift 2
    out=$("$bench" $common "$@" 2>&1)
    rc=$?
    lastout=$out
    [ "$rc" = 0 ] || bad=1
    [ "$(kv "$out" done)" = "$want" ] || bad=1
    [ "$(kv "$out" errors)" = 0 ] || bad=1
    case $(kv "$out" cpu_s) in ''|n/a) bad=1 ;; esac
    case $(kv "$out" rss_after_kib) in ''|n/a|0) bad=1 ;; esac
    case $name in idle*) ;; *)
        case $(kv "$out" msgs_per_s) in ''|0.0) bad=1 ;; esac
        case $(kv "$out" p99_ms) in ''|n/a) bad=1 ;; esac ;;
    esac
    check "$name: exit 0, done=$want errors=0, sane figures" $bad \
        "rc=$rc $out"
}

run "smtp" 20 --port "$smtp" smtp
run "smtp STARTTLS" 20 --port "$smtp" --tls smtp
run "pop3" 20 --port "$p3" pop3
run "pop3s" 20 --port "$p3s" --tls pop3
run "idle pop3" 2 --port "$p3" idle
run "idle smtp" 2 --port "$smtp" --idle-proto smtp idle
# 40 messages are in the two mailboxes now; DELE stops at --messages.
run "pop3 with DELE" 20 --port "$p3" --dele pop3

# Timed until visible: tests/bench/visible.sh counts NEWMAIL's files.
vis="sh $top/tests/bench/visible.sh"
dom=$tmp/store/EXAMPLE_DORG
base=$($vis count newmail "$dom")
run "smtp until visible" 20 --port "$smtp" --visible-cmd "$vis newmail $dom $base" smtp
after=$($vis count newmail "$dom")
[ "$after" = $((base + 20)) ] && [ "$(kv "$lastout" visible)" = yes ]
check "visible.sh: 20 more messages in NEWMAIL, visible=yes" $? \
    "before $base after $after"
out=$("$bench" $common --port "$smtp" --visible-cmd false \
      --visible-seconds 1 smtp 2>&1)
rc=$?
[ "$rc" = 1 ] && [ "$(kv "$out" visible)" = no ]
check "a --visible-cmd that never succeeds: exit 1, visible=no" $? "$out"
run "bigbox (mailbox u1)" 20 --port "$p3" --user-prefix u --users 1 \
    --sessions 1 bigbox
case $(kv "$lastout" box_msgs) in ''|0) bad=1 ;; *) bad=0 ;; esac
[ "$(kv "$lastout" list_ms)" != "" ] || bad=1
check "bigbox reports the mailbox size and the phase times" $bad "$lastout"
run "tcp" 20 --size 64K tcp
[ "$(kv "$lastout" mb_per_s)" != 0.000 ]
check "tcp moved every octet" $? "$lastout"
run "disk" 20 --dir "$tmp/disk" disk
[ -z "$(ls -A "$tmp/disk")" ]
check "disk removed its files and directories" $? "$(ls -R "$tmp/disk")"
out=$("$bench" --pid $$ --tree --label t1 --dir "$tmp/disk" --messages 2 \
      disk 2>&1)
case $(kv "$out" procs) in ''|0|1) bad=1 ;; *) bad=0 ;; esac
grep -q '^bench row=t1 ' <<<"$out" || bad=1
check "--tree sums the shell and its children; --label gives row=" $bad \
    "$out"

out=$("$bench" --host 192.0.2.1 --port "$smtp" smtp 2>&1)
rc=$?
[ "$rc" = 2 ] && grep -q "not a loopback" <<<"$out"
check "non-loopback --host refused (exit 2)" $? "rc=$rc $out"
out=$("$bench" --host localhost --port "$smtp" smtp 2>&1)
[ $? = 2 ]
check "host names refused (address literals only)" $? "$out"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
