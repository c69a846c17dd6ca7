#!/bin/sh
# t_cli.sh - drives the real `newmail` program: --version, --help at every
# level, usage errors and their exit codes, `config check` on good and bad
# files and with no file, and that doc/config-reference.md is exactly what
# `newmail config keys --markdown` prints.
#
# Usage: tests/integration/t_cli.sh [PATH-TO-NEWMAIL]   (default build/newmail)
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.
# Needs nothing but a POSIX shell, grep, sed, cmp and mktemp; no network.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-$top/build/newmail}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
if [ ! -x "$nm" ]; then
    echo "t_cli: $nm is not built (run make first)" >&2
    exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_cli.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp" || exit 2

pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "$2" ] && echo "     $2"; }

# run ARGS...: runs newmail, output in $tmp/out and $tmp/err, status in $rc.
run() {
    "$nm" "$@" >out 2>err
    rc=$?
}

# expect NAME RC: the last run exited with RC.
expect_rc() {
    if [ "$rc" -eq "$2" ]; then ok "$1 (exit $2)"
    else bad "$1" "exit $rc, expected $2; stderr: $(head -3 err)"; fi
}

# expect_grep NAME FILE PATTERN: FILE holds a line matching PATTERN (fixed).
expect_grep() {
    if grep -F -e "$3" "$2" >/dev/null; then ok "$1"
    else bad "$1" "no '$3' in $2: $(head -3 "$2")"; fi
}

expect_empty() {
    if [ ! -s "$2" ]; then ok "$1"
    else bad "$1" "$2 not empty: $(head -3 "$2")"; fi
}

# --- version and help ---
run --version
expect_rc "--version" 0
if grep -E '^newmail [0-9]+\.[0-9]+(\.[0-9]+)? \([A-Za-z0-9 ]+\)$' out >/dev/null \
   && [ "$(wc -l <out)" -eq 1 ]; then ok "--version format"
else bad "--version format" "$(cat out)"; fi

run --help
expect_rc "--help" 0
expect_grep "--help lists config" out "  config "
expect_grep "--help lists help" out "  help "
expect_grep "--help shows -c" out "-c FILE, --config=FILE"
cp out top_help
run -h
expect_rc "-h" 0
if cmp -s out top_help; then ok "-h equals --help"; else bad "-h equals --help"; fi
run help
expect_rc "help" 0
if cmp -s out top_help; then ok "help equals --help"; else bad "help equals --help"; fi

run config --help
expect_rc "config --help" 0
expect_grep "config --help lists check" out "  check "
expect_grep "config --help lists keys" out "  keys "
cp out config_help
run help config
if cmp -s out config_help; then ok "help config equals config --help"
else bad "help config equals config --help"; fi

for sub in check keys; do
    run config $sub --help
    expect_rc "config $sub --help" 0
    expect_grep "config $sub --help usage" out "usage: newmail config $sub"
    cp out sub_help
    run help config $sub
    if cmp -s out sub_help; then ok "help config $sub equals config $sub --help"
    else bad "help config $sub equals config $sub --help"; fi
done

# --- usage errors: exit 64, message on stderr, nothing on stdout ---
run frobnicate
expect_rc "unknown command" 64
expect_grep "unknown command named" err "unknown command 'frobnicate'"
expect_empty "unknown command: stdout empty" out
run
expect_rc "no command" 64
run config
expect_rc "config without subcommand" 64
run config frob
expect_rc "unknown config subcommand" 64
expect_grep "unknown config subcommand named" err "unknown command 'frob'"
run --frob config check
expect_rc "unknown global option" 64
run -c
expect_rc "-c without a file" 64
run config keys --frob
expect_rc "unknown option of config keys" 64
run help frob
expect_rc "help for an unknown command" 64

# --- config check: a good file ---
cat >good.conf <<'EOF'
# a good configuration
hostname = mx.example.org
domains = example.org, example.net   ! OpenVMS-style comment
store.root = "/srv/newmail store"
pop3.listen = 127.0.0.1:110, [::1]:110
pop3.idle_timeout = "0 00:20:00"
pop3.security = FRIENDLY
pop3.leave_in_newmail = yes
EOF
run -c good.conf config check
expect_rc "config check good file" 0
expect_grep "good: file named" out "# configuration file good.conf: OK"
expect_grep "good: value and FILE:LINE" out "hostname = mx.example.org  # good.conf:2"
expect_grep "good: delta time" out 'pop3.idle_timeout = "0 00:20:00"  # good.conf:6 (1200 s)'
expect_grep "good: enum canonical" out "pop3.security = friendly  # good.conf:7"
expect_grep "good: default shown" out "smtp.listen = \"\"  # default"
expect_grep "good: default value" out "pop3.max_login_failures = 2  # default"
expect_empty "good: nothing on stderr" err

# The printed configuration is itself a valid file with the same values.
cp out printed.conf
run config check printed.conf
expect_rc "printed configuration loads" 0
sed -e 's/  #.*$//' -e '/^#/d' printed.conf >a.vals
sed -e 's/  #.*$//' -e '/^#/d' out >b.vals
if cmp -s a.vals b.vals; then ok "printed configuration round trip"
else bad "printed configuration round trip" "$(diff a.vals b.vals | head -5)"; fi

run -cgood.conf config check
expect_rc "-cFILE form" 0
expect_grep "-cFILE form reads the file" out "# configuration file good.conf: OK"
run config check -- good.conf
expect_rc "config check -- FILE" 0
run config check good.conf other.conf
expect_rc "config check with two files" 64
run config check --frob
expect_rc "unknown option of config check" 64

run config check -q good.conf
expect_rc "config check -q" 0
expect_empty "config check -q prints nothing" out

# --- config check: errors name FILE:LINE and exit 78 ---
printf 'hostname = a\n\npop3.idle_timeout = 5m\n' >badval.conf
run -c badval.conf config check
expect_rc "bad value" 78
expect_grep "bad value: FILE:LINE" err "badval.conf:3: bad value for pop3.idle_timeout: below the minimum 600"
expect_empty "bad value: stdout empty" out

printf 'hostname = a\npop3.idle_timeout = 10x\n' >badval2.conf
run config check badval2.conf
expect_rc "bad duration" 78
expect_grep "bad duration: FILE:LINE" err "badval2.conf:2: bad value for pop3.idle_timeout: not a duration"

printf 'hostname = a\nfoo.bar = 1\n' >unknown.conf
run --config=unknown.conf config check
expect_rc "unknown key" 78
expect_grep "unknown key: FILE:LINE" err "unknown.conf:2: unknown key 'foo.bar'"

printf 'hostname = a\r\nhostname = b\r\n' >dup.conf
run --config dup.conf config check
expect_rc "duplicate key" 78
expect_grep "duplicate key: FILE:LINE" err "dup.conf:2: duplicate key 'hostname'"

printf 'hostname a\n' >noeq.conf
run config check noeq.conf
expect_rc "missing =" 78
expect_grep "missing =: FILE:LINE" err "noeq.conf:1: expected 'key = value'"

run config check does-not-exist.conf
expect_rc "missing file" 66
expect_grep "missing file named" err "does-not-exist.conf: cannot open"
mkdir adir.conf
run config check adir.conf
expect_rc "a directory as the file" 66

# --- config check with no file: the embedded defaults ---
deffile=$(sed -n 's/^Default configuration file: //p' top_help)
if [ -z "$deffile" ]; then
    bad "default file named in --help"
elif [ -e "$deffile" ]; then
    echo "skip embedded defaults: $deffile exists on this machine"
else
    run config check
    expect_rc "config check without a file" 0
    expect_grep "no file: says so" out "embedded defaults"
    expect_grep "no file: pop3 on 2110" out "pop3.listen = 127.0.0.1:2110  # embedded"
    expect_grep "no file: pop3s on 2995" out "pop3s.listen = 127.0.0.1:2995  # embedded"
    expect_grep "no file: smtp on 2525" out "smtp.listen = 127.0.0.1:2525  # embedded"
    expect_grep "no file: submission on 2587" out "submission.listen = 127.0.0.1:2587  # embedded"
    expect_grep "no file: local store" out "store.root = newmail-data/store  # embedded"
    expect_grep "no file: stderr logging" out "log.syslog = no  # embedded"
fi

# --- config keys and the reference document ---
run config keys
expect_rc "config keys" 0
for k in hostname store.root pop3.listen pop3s.listen smtp.listen \
         submission.listen submissions.listen lmtp.listen tls.cert tls.key \
         domains log.level pop3.leave_in_newmail pop3.idle_timeout; do
    expect_grep "config keys lists $k" out "$k ("
done
expect_grep "config keys shows logical names" out "OpenVMS logical: NEWMAIL_POP3_LEAVE_IN_NEWMAIL"

run config keys --markdown
expect_rc "config keys --markdown" 0
if cmp -s out "$top/doc/config-reference.md"; then
    ok "doc/config-reference.md matches config keys --markdown"
else
    bad "doc/config-reference.md matches config keys --markdown" \
        "regenerate: build/newmail config keys --markdown > doc/config-reference.md"
fi
nkeys=$("$nm" config keys | grep -c '^[a-z]')
nrows=$(grep -c '^| `' out)
if [ "$nkeys" -gt 0 ] && [ "$nkeys" -eq "$nrows" ]; then
    ok "markdown has one row per key ($nrows)"
else bad "markdown has one row per key" "$nkeys keys, $nrows rows"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
