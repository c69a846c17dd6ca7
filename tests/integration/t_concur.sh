#!/bin/bash
# t_concur.sh - many parallel `newmail deliver` processes into one mailbox
# while another process (tests/tools/t_stmove.c, through the store API)
# holds the POP3 in-use lock, moves mail NEWMAIL -> MAIL, deletes to
# WASTEBASKET and removes from WASTEBASKET.  Afterwards every delivered
# id is in exactly one folder or was removed exactly once: counts and ids
# are exact, nothing lost, nothing duplicated, and no delivery waited for
# or failed because of the reader.
#
# Usage: tests/integration/t_concur.sh [PATH-TO-NEWMAIL]
# The driver: $T_STMOVE, else build/t_stmove (made with `make
# build/t_stmove` when missing).  T_CONCUR_PROCS (default 16 parallel
# deliverers) x T_CONCUR_EACH (default 25 messages each).
# Prints "N passed, N failed"; exits 1 on failure.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-$top/build/newmail}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
[ -x "$nm" ] || { echo "t_concur: $nm is not built" >&2; exit 2; }
mover=${T_STMOVE:-$(dirname "$nm")/t_stmove}
procs=${T_CONCUR_PROCS:-16}
each=${T_CONCUR_EACH:-25}

pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "$2" ] && echo "     $2"; }

if [ ! -x "$mover" ]; then
    make -C "$top" --no-print-directory "$(dirname "$nm")/t_stmove" >/dev/null 2>&1
fi
if [ ! -x "$mover" ]; then
    bad "test driver $mover is built (make build/t_stmove)"
    echo "$pass passed, $fail failed"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_concur.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp" || exit 2
store=$tmp/store
printf 'store.root = %s\n' "$store" >c.conf
addr=many@example.org
"$nm" -c c.conf user add "$addr" --no-password >/dev/null ||
    { echo "t_concur: user add failed" >&2; exit 2; }

# One deliverer: `each` messages, ids and statuses recorded.
deliverer() {
    local p=$1 i st
    for ((i = 1; i <= each; i++)); do
        printf 'Subject: p%d m%d\r\n\r\nbody %d %d\r\n' "$p" "$i" "$p" "$i" |
            "$nm" -c c.conf deliver --print-id "$addr" >>"ids.$p" 2>>"err.$p"
        st=$?
        [ "$st" -eq 0 ] || echo "exit $st" >>"bad.$p"
    done
}

start=$(date +%s%N)
"$mover" churn "$store" "$addr" "${T_CONCUR_MS:-1500}" >moved.out 2>mover.err &
mpid=$!
for ((p = 1; p <= procs; p++)); do
    deliverer "$p" &
done
wait
end=$(date +%s%N)
total=$((procs * each))
echo "# $total deliveries by $procs processes in $(((end - start) / 1000000)) ms," \
     "mover: $(grep -c '^removed' moved.out) removed, $(sed -n 's/^rounds //p' moved.out) rounds"

if [ ! -s mover.err ] && grep -q '^rounds [1-9]' moved.out; then
    ok "the mover ran without error ($(sed -n 's/^rounds //p' moved.out) rounds under the in-use lock)"
else bad "the mover ran without error" "$(head -3 mover.err)"; fi
if cat bad.* 2>/dev/null | grep -q .; then
    bad "every delivery succeeded" "$(cat bad.* err.* 2>/dev/null | sort | uniq -c | head -3)"
else ok "every delivery succeeded ($total, none waited for the in-use lock)"; fi

cat ids.* | sort >delivered.lst
n_del=$(wc -l <delivered.lst)
if [ "$n_del" -eq "$total" ]; then ok "$total ids printed"
else bad "$total ids printed" "$n_del"; fi
if [ -z "$(uniq -d delivered.lst)" ]; then ok "all delivered ids distinct"
else bad "all delivered ids distinct" "$(uniq -d delivered.lst | head -3)"; fi

"$mover" list "$store" "$addr" >list.out 2>list.err ||
    bad "list" "$(cat list.err)"
awk '{ print $2 }' list.out >present.lst
sed -n 's/^removed //p' moved.out >removed.lst
if [ -z "$(sort removed.lst | uniq -d)" ]; then ok "no id removed twice"
else bad "no id removed twice"; fi
if [ -z "$(sort present.lst | uniq -d)" ]; then ok "no id in two places"
else bad "no id in two places" "$(sort present.lst | uniq -d | head -3)"; fi
sort present.lst removed.lst >accounted.lst
if cmp -s delivered.lst accounted.lst; then
    ok "ids exact: delivered = present ($(wc -l <present.lst)) + removed ($(wc -l <removed.lst))"
else
    bad "ids exact: delivered = present + removed" \
        "$(diff delivered.lst accounted.lst | head -5)"
fi
for fo in NEWMAIL MAIL WASTEBASKET; do
    c1=$(awk -v f=$fo '$1 == f' list.out | wc -l)
    c2=$("$nm" -c c.conf store stats "$addr" | awk -v f=$fo '$1 == f { print $2 }')
    c3=$(find "$store" -path "*/$fo/*.*_*" | wc -l)
    if [ "$c1" -eq "${c2:-0}" ] && [ "$c1" -eq "$c3" ]; then ok "$fo: index, stats and files agree ($c1)"
    else bad "$fo: index, stats and files agree" "list $c1, stats $c2, files $c3"; fi
done
"$nm" -c c.conf store check "$addr" >check.out 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok "store check finds no problem"
else bad "store check finds no problem" "$(head -5 check.out)"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
