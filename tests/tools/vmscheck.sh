#!/bin/sh
# vmscheck.sh - compile-check the OpenVMS layer (vms/*.c) on Linux against
# the stub headers in tests/vmsstub (interface declarations transcribed from
# the public OpenVMS manuals), and check that vms/ defines every function
# platform/pl.h declares (except the three shared pure-C ones).
#
# It proves that argument counts and types match the documented prototypes
# and that nothing is missing; it cannot prove behaviour (that needs an
# OpenVMS system: see doc/install-vms.md).
#
# Usage: tests/tools/vmscheck.sh   (from anywhere; exits non-zero on failure)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2

CC=${CC:-gcc}
# -D__VMS etc.: what DEC C predefines on Alpha with a V8.4 C RTL.
# -Wno-unknown-pragmas: vms_init.c must use DEC C's extern_model and
#   pointer_size pragmas to place the LIB$INITIALIZE table; gcc ignores them.
# No -pedantic: '$' in identifiers (sys$open, dsc$w_length) is a GNU
#   extension to gcc but the native spelling on OpenVMS.
# -fdollars-in-identifiers: the default on Linux; spelled out for clarity.
# -D_DEFAULT_SOURCE: the VSI C RTL headers show POSIX and BSD functions
#   (ftruncate, gethostname, ...) by default; glibc hides them under
#   -std=c99 unless asked.
FLAGS="-fsyntax-only -std=c99 -Wall -Wextra -Werror -Wvla
 -Wdeclaration-after-statement -Werror=implicit-function-declaration
 -fdollars-in-identifiers -Wno-unknown-pragmas -D_DEFAULT_SOURCE
 -D__VMS -D__DECC -D__ALPHA -D__CRTL_VER=80400000 -D__VMS_VER=80400000
 -Itests/vmsstub -Iplatform -Ivms"

fail=0
n=0
for f in vms/*.c; do
    [ -f "$f" ] || continue
    # shellcheck disable=SC2086
    if out=$($CC $FLAGS "$f" 2>&1); then
        echo "vmscheck: $f ok"
        n=$((n + 1))
    else
        echo "vmscheck: $f FAILED"
        echo "$out" | sed 's/^/    /'
        fail=1
    fi
done

# Every pl_ function declared in pl.h needs a definition in vms/*.c.
shared="pl_strerror pl_name_check pl_random"
decls=$(sed -n 's/^[a-zA-Z_][a-zA-Z0-9_ *]*[ *]\(pl_[a-z0-9_]*\)(.*/\1/p' \
        platform/pl.h | sort -u)
[ -n "$decls" ] || { echo "vmscheck: no declarations found in pl.h"; exit 2; }
missing=""
for fn in $decls; do
    case " $shared " in *" $fn "*) continue ;; esac
    # A definition: the name at the start of a declarator followed by '(' on
    # a line that does not end in ';' (a prototype), outside comments.
    if ! grep -Eh "^[a-zA-Z_].*[ *]$fn\(" vms/*.c 2>/dev/null |
         grep -qv ';[[:space:]]*$'; then
        missing="$missing $fn"
    fi
done
if [ -n "$missing" ]; then
    echo "vmscheck: pl.h functions with no definition in vms/:$missing"
    fail=1
fi
for fn in $shared; do
    if grep -Eh "^[a-zA-Z_].*[ *]$fn\(" vms/*.c 2>/dev/null |
       grep -qv ';[[:space:]]*$'; then
        echo "vmscheck: $fn is shared (platform/); vms/ must not define it"
        fail=1
    fi
done

if [ "$fail" -ne 0 ]; then
    echo "vmscheck: FAILED"
    exit 1
fi
echo "vmscheck: $n files ok"
exit 0
