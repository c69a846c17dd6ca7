#!/bin/bash
# t_crash.sh - kill -9 `newmail deliver` at random points, hundreds of
# times, and check the store's promises (doc/store-format.md, Delivery):
#  - every acknowledged (exit 0) message is present, byte for byte;
#  - no partial message is ever visible: every file in NEWMAIL equals one
#    of the bodies sent, and `store stats` counts only such files;
#  - the index recovers (store check after a select finds no problem);
#  - orphaned temporary files are reported by `store check` once old and
#    removed by `store repair`.
# Kills land while the input is still arriving (the feeder pauses at a
# random point), during the write, or during the commit (fsyncs, rename,
# index append).
#
# Usage: tests/integration/t_crash.sh [PATH-TO-NEWMAIL]
# Environment: T_CRASH_ROUNDS (default 300), T_CRASH_SECS (default 100):
# the rounds stop at whichever comes first.
# Prints "N passed, N failed"; exits 1 on failure.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-$top/build/newmail}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
[ -x "$nm" ] || { echo "t_crash: $nm is not built" >&2; exit 2; }
rounds=${T_CRASH_ROUNDS:-300}
secs=${T_CRASH_SECS:-100}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_crash.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp" || exit 2
store=$tmp/store
printf 'store.root = %s\n' "$store" >c.conf
mkdir bodies

pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "$2" ] && echo "     $2"; }

for u in crash calib; do
    "$nm" -c c.conf user add $u@example.org --no-password >/dev/null ||
        { echo "t_crash: user add failed" >&2; exit 2; }
done

# A body of random size (up to about 200 KiB, so writes take a while),
# unique by its first line.
make_body() {
    local n=$1 size=$((RANDOM * 6 + 1))
    {
        printf 'X-Round: %d\r\nSubject: crash test %d\r\n\r\n' "$n" "$n"
        head -c "$size" /dev/urandom | od -An -tx1 | tr -d ' ' |
            sed 's/$/\r/'
    } >"bodies/$n"
}

# Calibrate: the kill delays span about 3 times a whole delivery of
# this machine and build (sanitizers make it several times slower), so
# kills land before, during and after the acknowledgement.
make_body 0
t0=$(date +%s%N)
for i in 1 2 3 4 5; do
    "$nm" -c c.conf deliver calib@example.org <bodies/0 >/dev/null ||
        { echo "t_crash: calibration delivery failed" >&2; exit 2; }
done
t1=$(date +%s%N)
span=$(( (t1 - t0) / 1000000 / 5 * 3 ))
[ "$span" -ge 5 ] || span=5
echo "# one delivery takes about $((span / 3)) ms; kills within ${span} ms"
ms() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

start=$(date +%s)
acked=0
killed=0
for ((n = 1; n <= rounds; n++)); do
    [ $(($(date +%s) - start)) -ge "$secs" ] && break
    make_body "$n"
    half=$(($(wc -c <"bodies/$n") / 2))
    pause=$(ms $((RANDOM % (span / 3 + 1))))
    delay=$(ms $((RANDOM % span)))
    # The feeder sends half, pauses, sends the rest: the kill may hit
    # before, during or after the input ends.
    { head -c "$half" "bodies/$n"; sleep "$pause"; tail -c +$((half + 1)) "bodies/$n"; } |
        "$nm" -c c.conf deliver crash@example.org 2>/dev/null &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
    wait "$pid" 2>/dev/null
    st=$?
    if [ "$st" -eq 0 ]; then
        acked=$((acked + 1))
        echo "$n" >>acked.lst
    fi
done
n=$((n - 1))
[ -f acked.lst ] || : >acked.lst
echo "# $n rounds in $(($(date +%s) - start)) s: $acked acknowledged, $killed kill signals sent"
if [ "$n" -ge 100 ]; then ok "$n delivery rounds with kill -9 (at least 100)"
else bad "at least 100 rounds ran" "only $n"; fi
if [ "$acked" -gt 0 ] && [ "$acked" -lt "$n" ]; then
    ok "some deliveries finished and some were killed ($acked of $n acknowledged)"
else bad "the kills landed both before and after the acknowledgement" "$acked of $n"; fi

newmail=$(find "$store" -type d -path '*/CRASH/NEWMAIL')
[ -d "$newmail" ] || { bad "NEWMAIL exists"; echo "$pass passed, $fail failed"; exit 1; }

# Every visible message equals one whole body.
visible=0
partial=0
: >visible.lst
for f in "$newmail"/*.*_*; do
    [ -f "$f" ] || continue
    visible=$((visible + 1))
    r=$(head -n 1 "$f" | sed -n 's/^X-Round: \([0-9]*\)\r$/\1/p')
    if [ -n "$r" ] && [ -f "bodies/$r" ] && cmp -s "$f" "bodies/$r"; then
        echo "$r" >>visible.lst
    else
        partial=$((partial + 1))
        echo "     partial or foreign: $(basename "$f")"
    fi
done
if [ "$partial" -eq 0 ]; then ok "no partial message visible ($visible visible)"
else bad "no partial message visible" "$partial of $visible"; fi

lost=0
while read -r r; do
    grep -qx "$r" visible.lst || { lost=$((lost + 1)); echo "     lost: round $r"; }
done <acked.lst
if [ "$lost" -eq 0 ]; then ok "every acknowledged message present ($acked)"
else bad "every acknowledged message present" "$lost lost"; fi

dups=$(sort visible.lst | uniq -d | wc -l)
if [ "$dups" -eq 0 ]; then ok "no message stored twice"
else bad "no message stored twice" "$dups"; fi

# The index is a cache: a select reconciles it; the counts agree.
cnt=$("$nm" -c c.conf store stats crash@example.org | awk '$1 == "NEWMAIL" { print $2 }')
if [ "$cnt" = "$visible" ]; then ok "store stats counts exactly the visible messages ($cnt)"
else bad "store stats counts exactly the visible messages" "$cnt vs $visible"; fi
"$nm" -c c.conf store check crash@example.org >check.out 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok "store check finds no problem after the crashes"
else bad "store check finds no problem after the crashes" "$(head -5 check.out)"; fi

# Orphans: temporary files of killed deliveries.  Young ones may be live
# deliveries and are left alone; aged past 36 hours they are reported and
# reaped.
tmpd=$(dirname "$newmail")/TMP
orph=$(find "$tmpd" -name '*.TMP' | wc -l)
echo "# $orph orphaned temporary files"
if [ "$orph" -gt 0 ]; then ok "killed deliveries left orphans to clean ($orph)"
else bad "killed deliveries left orphans to clean" "none: the kills missed the writes"; fi
find "$tmpd" -name '*.TMP' -exec touch -d '3 days ago' {} +
"$nm" -c c.conf store check crash@example.org >check.out 2>&1
rc=$?
if [ "$rc" -eq 65 ] && grep -q 'orphaned temporary file' check.out; then
    ok "store check reports old orphans"
else bad "store check reports old orphans" "exit $rc: $(head -3 check.out)"; fi
"$nm" -c c.conf store repair crash@example.org >check.out 2>&1
rc=$?
left=$(find "$tmpd" -name '*.TMP' | wc -l)
if [ "$rc" -eq 0 ] && [ "$left" -eq 0 ]; then ok "store repair reaped every orphan"
else bad "store repair reaped every orphan" "exit $rc, $left left"; fi
after=$(find "$newmail" -name '*.*_*' | wc -l)
if [ "$after" -eq "$visible" ]; then ok "repair left every message in place"
else bad "repair left every message in place" "$after vs $visible"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
