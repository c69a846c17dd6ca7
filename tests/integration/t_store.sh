#!/bin/sh
# t_store.sh - drives the real `newmail` program through the popstore
# administrator commands: user add/del/list/show/set/passwd, domain
# add/del/list, deliver (exit codes, DISMAIL, quota and overdraft), store
# stats/check/repair/purge on planted problems, import/export round trips
# (mbox and Maildir files), and hostile user, domain and folder names,
# which must be refused before any file is created.
#
# Usage: tests/integration/t_store.sh [PATH-TO-NEWMAIL]  (default build/newmail)
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.
# Needs a POSIX shell, find, sort, cmp, mktemp; no network.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-$top/build/newmail}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
if [ ! -x "$nm" ]; then
    echo "t_store: $nm is not built (run make first)" >&2
    exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_store.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp" || exit 2
mkdir work
store=$tmp/work/store
printf 'store.root = %s\n' "$store" >c.conf

pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "$2" ] && echo "     $2"; }

# nmc ARGS...: newmail -c c.conf ARGS, stdin from the caller; output in
# out and err, status in rc.
nmc() {
    "$nm" -c "$tmp/c.conf" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
expect_rc() {
    if [ "$rc" -eq "$2" ]; then ok "$1 (exit $2)"
    else bad "$1" "exit $rc, expected $2; stderr: $(head -3 "$tmp/err")"; fi
}
expect_grep() {
    if grep -F -e "$3" "$2" >/dev/null; then ok "$1"
    else bad "$1" "no '$3' in $2: $(head -5 "$2")"; fi
}
expect_nogrep() {
    if grep -F -e "$3" "$2" >/dev/null; then bad "$1" "'$3' in $2"
    else ok "$1"; fi
}
# msgs ADDRESS: total messages of ADDRESS from `store stats`.
msgs() {
    "$nm" -c "$tmp/c.conf" store stats "$1" 2>/dev/null |
        awk '$1 == "total" { print $2 }'
}
folder_msgs() {
    "$nm" -c "$tmp/c.conf" store stats "$1" 2>/dev/null |
        awk -v f="$2" '$1 == f { print $2 }'
}

# --- help ---
for c in "user" "user add" "user del" "user list" "user show" "user set" \
         "user passwd" "domain" "domain add" "domain del" "domain list" \
         "deliver" "store" "store check" "store repair" "store purge" \
         "store stats" "import" "export"; do
    # shellcheck disable=SC2086
    nmc $c --help
    expect_rc "$c --help" 0
done

# --- accounts ---
echo 'alice secret' >"$tmp/in"; nmc user add alice@example.org --password-stdin <"$tmp/in"
expect_rc "user add alice@example.org --password-stdin" 0
expect_grep "user add reports the new domain" out "created domain example.org"
echo 'x' >"$tmp/in"; nmc user add alice@example.org --password-stdin <"$tmp/in"
expect_rc "user add of an existing account" 65
nmc user add bob@example.org --no-password --quota 10K --flags MANAGE
expect_rc "user add --no-password --quota --flags" 0
nmc user list
expect_rc "user list" 0
if [ "$(cat out)" = "alice@example.org
bob@example.org" ]; then ok "user list is sorted and complete"
else bad "user list is sorted and complete" "$(cat out)"; fi
nmc user show bob@example.org
expect_grep "user show: quota" out "quota            10240"
expect_grep "user show: flags" out "MANAGE"
expect_grep "user show: no credentials" out "credentials      none"
nmc user show alice@example.org
expect_grep "user show: credential forms" out "pbkdf2-sha256 scram-sha-256"
expect_nogrep "user show prints no password" out "alice secret"
nmc user set bob@example.org --quota 20K --overdraft 1K --add-flags DISUSER \
    --forward carol@example.net --keep-copy yes
expect_rc "user set" 0
nmc user show bob@example.org
expect_grep "user set: quota" out "quota            20480"
expect_grep "user set: overdraft" out "overdraft        1024"
expect_grep "user set: flags added" out "DISUSER,MANAGE"
expect_grep "user set: forward" out "forward          carol@example.net"
nmc user set bob@example.org --remove-flags DISUSER,MANAGE --no-forward
nmc user show bob@example.org
expect_grep "user set --remove-flags" out "flags            -"
expect_nogrep "user set --no-forward" out "forward"
nmc user set bob@example.org --flags FROB
expect_rc "user set with an unknown flag" 64
nmc user set nobody@example.org --quota 1
expect_rc "user set of a missing account" 67

# passwd and LOCKPWD
echo 'new one' >"$tmp/in"; nmc user passwd alice@example.org --password-stdin <"$tmp/in"
expect_rc "user passwd --password-stdin" 0
nmc user set alice@example.org --add-flags LOCKPWD,PWDEXPIRED
echo 'other' >"$tmp/in"; nmc user passwd alice@example.org --password-stdin <"$tmp/in"
expect_rc "user passwd refused by LOCKPWD" 77
echo 'other' >"$tmp/in"; nmc user passwd alice@example.org --password-stdin --force <"$tmp/in"
expect_rc "user passwd --force overrides LOCKPWD" 0
nmc user show alice@example.org
expect_grep "passwd clears PWDEXPIRED, keeps LOCKPWD" out \
    "flags            LOCKPWD"
nmc user passwd alice@example.org </dev/null
expect_rc "user passwd without a terminal or --password-stdin" 64
printf '' >"$tmp/in"; nmc user passwd alice@example.org --password-stdin --force <"$tmp/in"
expect_rc "user passwd with an empty password" 65

# --- domains ---
nmc domain add Example.NET
expect_rc "domain add (folded to lower case)" 0
nmc domain add example.net
expect_rc "domain add of an existing domain" 65
nmc domain add --default example.net
expect_rc "domain add --default on an existing domain" 0
nmc domain list
expect_rc "domain list" 0
if [ "$(cat out)" = "example.net (default)
example.org" ]; then ok "domain list with the default marked"
else bad "domain list with the default marked" "$(cat out)"; fi
nmc user add dave --no-password
expect_rc "user add of a bare name takes the default domain" 0
expect_grep "bare name resolved" out "added dave@example.net"
nmc domain del example.net
expect_rc "domain del of a domain with accounts" 65
nmc user del dave
expect_rc "user del of a bare name" 0
nmc domain del example.net
expect_rc "domain del of an empty domain" 0
nmc domain list
if [ "$(cat out)" = "example.org" ]; then ok "domain del removed it"
else bad "domain del removed it" "$(cat out)"; fi
nmc domain del example.net
expect_rc "domain del of a missing domain" 65

# --- deliver ---
printf 'Subject: one\r\n\r\nhello\r\n' >"$tmp/in"; nmc deliver alice@example.org <"$tmp/in"
expect_rc "deliver" 0
printf 'Subject: two\n\nLF lines\n' >"$tmp/in"; nmc deliver --print-id ALICE@Example.Org <"$tmp/in"
expect_rc "deliver (address case folded, --print-id)" 0
if grep -Eq '^[A-Z0-9]{30}$' out; then ok "deliver --print-id prints an id"
else bad "deliver --print-id prints an id" "$(cat out)"; fi
if [ "$(msgs alice@example.org)" = 2 ]; then ok "store stats counts 2"
else bad "store stats counts 2" "$(msgs alice@example.org)"; fi
nmc store stats alice@example.org
# 'Subject: one' CRLF CRLF 'hello' CRLF = 23; the LF message counts CRLF: 26
expect_grep "stats octets are CRLF sizes" out "  NEWMAIL"
sz=$(awk '$1 == "NEWMAIL" { print $4 }' out)
if [ "$sz" = 49 ]; then ok "CRLF octets: 23 + 26 = 49"
else bad "CRLF octets: 23 + 26 = 49" "got $sz"; fi
printf 'x\n' >"$tmp/in"; nmc deliver nobody@example.org <"$tmp/in"
expect_rc "deliver to an unknown account" 67
nmc deliver alice@example.org </dev/null
expect_rc "deliver of an empty message" 65
nmc user set alice@example.org --add-flags DISMAIL
printf 'x\n' >"$tmp/in"; nmc deliver alice@example.org <"$tmp/in"
expect_rc "deliver to a DISMAIL account" 77
nmc user set alice@example.org --remove-flags DISMAIL
nmc user show alice@example.org
expect_grep "deliver counts received messages" out "rx_msgs          2"
expect_grep "deliver counts received octets" out "rx_bytes         49"

# --- quota and overdraft (PMDF: accept while usage < quota and
#     usage + size <= quota + overdraft) ---
nmc user add q@example.org --no-password --quota 100 --overdraft 50
body80=$(printf '%078d' 0)          # 78 octets + CRLF = 80
printf '%s\r\n' "$body80" >"$tmp/in"; nmc deliver q@example.org <"$tmp/in"
expect_rc "quota: 80 of 100, accepted" 0
printf '%s\r\n' "$body80" >"$tmp/in"; nmc deliver q@example.org <"$tmp/in"
expect_rc "quota: 80 + 80 > 150, temporary failure" 75
printf '%s\n' "$(printf '%0198d' 0)" >"$tmp/in"; nmc deliver q@example.org <"$tmp/in"
expect_rc "quota: 200 > quota + overdraft on its own, permanent" 73
nmc user set q@example.org --overdraft 80
printf '%s\r\n' "$body80" >"$tmp/in"; nmc deliver q@example.org <"$tmp/in"
expect_rc "overdraft: usage 80 < 100, 160 <= 180, accepted" 0
printf 'x\r\n' >"$tmp/in"; nmc deliver q@example.org <"$tmp/in"
expect_rc "quota: usage 160 >= 100, refused before reading" 75
if [ "$(msgs q@example.org)" = 2 ]; then ok "refused messages left nothing"
else bad "refused messages left nothing" "$(msgs q@example.org)"; fi
if [ -z "$(find "$store" -name '*.TMP')" ]; then ok "no temporary files left"
else bad "no temporary files left" "$(find "$store" -name '*.TMP')"; fi

# --- import / export ---
cat >orig.mbox <<'EOF'
From s1@x.org Sat Nov 21 09:01:00 2026
Return-Path: <s1@x.org>
Date: Sat, 21 Nov 2026 10:01:00 +0100
Subject: first

>From the start of a line
>>From quoted once
>>>From quoted twice
>Fromage is no From_ line

From MAILER-DAEMON Thu Jan  1 00:00:00 2026
Date: 1 Jan 26 00:00 GMT
Subject: second, ends with an empty line

body

From MAILER-DAEMON Sun Feb  1 12:00:00 2026
Return-Path: <>
Date: Sun, 1 Feb 2026 07:00:00 -0500
Subject: third

last
EOF
printf '\n' >>orig.mbox
nmc import alice@example.org orig.mbox
expect_rc "import mbox" 0
expect_grep "import counts" out "3 messages imported into NEWMAIL"
nmc user add r@example.org --no-password
nmc import --folder MAIL r@example.org orig.mbox
expect_rc "import mbox --folder MAIL" 0
nmc export r@example.org MAIL back.mbox
expect_rc "export" 0
if cmp -s orig.mbox back.mbox; then ok "mbox -> import -> export is byte-identical"
else bad "mbox -> import -> export is byte-identical" "$(diff orig.mbox back.mbox | head -5)"; fi
nmc export r@example.org MAIL -
if cmp -s orig.mbox out; then ok "export to standard output"
else bad "export to standard output"; fi
if [ "$(folder_msgs r@example.org MAIL)" = 3 ] &&
   [ "$(folder_msgs r@example.org NEWMAIL)" != 3 ]; then ok "--folder MAIL placed them in MAIL"
else bad "--folder MAIL placed them in MAIL" "$(cat out)"; fi
# the stored message is unquoted once
nmc export --crlf r@example.org MAIL crlf.mbox
nmc user add r2@example.org --no-password
nmc import r2@example.org back.mbox
nmc export r2@example.org NEWMAIL back2.mbox
if cmp -s back.mbox back2.mbox; then ok "second round trip identical"
else bad "second round trip identical"; fi
# mboxo writers leave "From " unquoted inside a paragraph: not a separator
printf 'From a Sat Nov 21 09:01:00 2026\nSubject: t\n\nline\nFrom inside\n\n' >tol.mbox
nmc user add t@example.org --no-password
nmc import t@example.org tol.mbox
expect_grep "an unquoted From_ inside a paragraph is no separator" out \
    "1 messages imported"
printf 'not an mbox\n' >junk.txt
nmc import r@example.org junk.txt
expect_rc "import of a file that is not an mbox" 65
nmc import r@example.org missing.mbox
expect_rc "import of a missing file" 66
nmc import nobody@example.org orig.mbox
expect_rc "import into a missing account" 67
# Maildir: one message per file, names from standard input
mkdir -p md/cur md/new
printf 'Subject: a\n\nA\n' >'md/cur/1700000000.1.host:2,S'
printf 'Subject: b\n\nB\n' >'md/cur/1700000000.2.host:2,RS'
printf 'Subject: c\n\nC\n' >'md/new/1700000000.3.host'
nmc user add m@example.org --no-password
find md/cur -type f >"$tmp/in"; nmc import --maildir --folder MAIL m@example.org - <"$tmp/in"
expect_rc "import --maildir, names on standard input" 0
nmc import --maildir m@example.org md/new/1700000000.3.host
expect_rc "import --maildir, name as argument" 0
if [ "$(folder_msgs m@example.org MAIL)" = 2 ] &&
   [ "$(folder_msgs m@example.org NEWMAIL)" = 1 ]; then ok "Maildir messages in their folders"
else bad "Maildir messages in their folders"; fi
idx=$(find "$store" -path '*/M/MAIL/INDEX.IDX')
if [ -n "$idx" ] && grep -q ' 1 0$' "$idx" && grep -q ' 3 0$' "$idx"; then
    ok "Maildir flags S and RS kept (seen, seen+answered)"
else bad "Maildir flags S and RS kept" "$(cat "$idx" 2>/dev/null)"; fi

# --- purge ---
nmc import --folder WASTEBASKET m@example.org orig.mbox
if [ "$(folder_msgs m@example.org WASTEBASKET)" = 3 ]; then ok "3 in WASTEBASKET"
else bad "3 in WASTEBASKET"; fi
nmc store purge m@example.org
expect_rc "store purge" 0
expect_grep "store purge counts" out "3 messages purged"
if [ "$(folder_msgs m@example.org WASTEBASKET)" = 0 ]; then ok "WASTEBASKET empty"
else bad "WASTEBASKET empty"; fi
nmc store purge
expect_rc "store purge without ADDRESS or --all" 64

# --- store check / repair on planted problems ---
nmc store check
expect_rc "store check of a sound store" 0
f=$(find "$store" -path '*/R/MAIL/*.*_*' | head -n 1)
d=$(dirname "$f"); b=$(basename "$f"); id=${b%%.*}
mv "$f" "$d/$id.999_9"                      # wrong size and line count
printf 'garbage\n' >"$d/INDEX.IDX"           # a damaged index
nmc store check r@example.org
expect_rc "store check finds planted problems" 65
expect_grep "size mismatch reported" out "size mismatch (declared 999"
expect_grep "damaged index reported" out "index missing or damaged"
nmc store check --repair r@example.org
expect_rc "store check --repair fixes them" 0
expect_grep "repair summary" out "0 left after repair"
nmc store check
expect_rc "store check after repair" 0
if [ -f "$d/$b" ]; then ok "the file has its true name again"
else bad "the file has its true name again" "$(ls "$d")"; fi
nmc export r@example.org MAIL back3.mbox
if cmp -s orig.mbox back3.mbox; then ok "repaired folder exports unchanged"
else bad "repaired folder exports unchanged"; fi
printf 'x' >>"$d/$b"                        # contents longer than declared
nmc store repair r@example.org
expect_rc "store repair (size changed)" 0
nmc store check nobody@example.org
expect_rc "store check of a missing mailbox" 67

# --- hostile names: refused before any file is created ---
hostile='../x
a/b
.
..
~root
/etc
xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
[-]
[000000]
SYS$SYSTEM:
X;1
A*
%%
DKA0:[X]'
nh=0
hbad=0
# hb WHAT STATUS WANT: one hostile-name refusal check.
hb() { [ "$2" -eq "$3" ] || { hbad=$((hbad + 1)); bad "$1" "exit $2, expected $3"; }; }
printf '%s\n' "$hostile" >hostile.lst
find "$tmp" | sort >before.lst
while IFS= read -r h; do
    nh=$((nh + 1))
    for form in "$h" "$h@example.org" "alice@$h"; do
        nmc user add "$form" --no-password
        hb "user add '$form' refused" "$rc" 65
        printf 'x\n' >"$tmp/in"; nmc deliver "$form" <"$tmp/in"
        hb "deliver '$form' refused" "$rc" 67
        nmc import "$form" orig.mbox
        hb "import '$form' refused" "$rc" 65
        nmc store check "$form"
        hb "store check '$form' refused" "$rc" 65
    done
    nmc domain add "$h"
    hb "domain add '$h' refused" "$rc" 65
    nmc import --folder "$h" alice@example.org orig.mbox
    hb "import --folder '$h' refused" "$rc" 65
    nmc export alice@example.org "$h" out.mbox
    hb "export of folder '$h' refused" "$rc" 65
done <hostile.lst
for h in TMP NEW cur; do
    nmc export alice@example.org "$h" out.mbox
    hb "export of reserved folder '$h' refused" "$rc" 65
done
find "$tmp" | sort >after.lst
grep -v -e '/out$' -e '/err$' -e '/after.lst$' -e '/before.lst$' after.lst >a2.lst
grep -v -e '/out$' -e '/err$' -e '/after.lst$' -e '/before.lst$' before.lst >b2.lst
if cmp -s b2.lst a2.lst; then ok "$nh hostile names in 3 forms refused: no file created anywhere"
else bad "hostile names created files" "$(diff b2.lst a2.lst | head -5)"; fi
if [ "$hbad" -eq 0 ]; then ok "every hostile name in every command got the expected exit status"
else bad "$hbad hostile-name commands got another exit status"; fi

# --- user del ---
nmc user del --keep-mail r2@example.org
expect_rc "user del --keep-mail" 0
if [ "$(msgs r2@example.org)" = 3 ]; then ok "the kept mailbox still has its mail"
else bad "the kept mailbox still has its mail"; fi
nmc user del r@example.org
expect_rc "user del" 0
expect_grep "user del counts the mail" out "and 3 messages"
printf 'x\n' >"$tmp/in"; nmc deliver r@example.org <"$tmp/in"
expect_rc "deliver after user del" 67
nmc user list
expect_nogrep "user list after del" out "r@example.org"
nmc user del r@example.org
expect_rc "user del of a missing account" 67

# nothing escaped the store root
if [ -z "$(find "$tmp/work" -mindepth 1 -maxdepth 1 ! -name store)" ] &&
   [ ! -e "$tmp/x" ] && [ ! -e "$tmp/../x" ]; then ok "nothing outside the store root"
else bad "nothing outside the store root" "$(ls -a "$tmp/work")"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
