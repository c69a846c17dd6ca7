#!/bin/sh
# namecheck.sh - external names fit the OpenVMS linker.
#
# Proves, with `nm -g --defined-only`, that every external name newmail
# defines:
#   - is at most 31 characters long (the VMS linker limit; /NAMES=SHORTENED
#     is only a safety net),
#   - does not collide with another when both are folded to upper case,
#   - starts with a known module prefix (doc/hacking.md): pl_ px_ vms_ ut_
#     lr_ cf_ cl_ st_ au_ ms_ p3_ sm_ qu_ nt_ t_, or is main,
#   - is defined once per program.
# It checks two programs' worth of objects:
#   POSIX    every object under BUILD/obj (default build/obj);
#   OpenVMS  the same objects less posix/, plus vms/*.c compiled by gcc
#            against the stub headers of tests/vmsstub into BUILD/vmsobj
#            (as vmscheck.sh does, but to objects): the names the VMS
#            linker will see.
# Fails listing each offending name with the object that defines it; also
# fails when there is no object, or a vms/*.c file does not compile.
set -eu

BUILD=${1:-build}
PREFIXES='pl_ px_ vms_ ut_ lr_ tl_ nt_ cf_ cl_ st_ au_ ms_ p3_ sm_ sv_ qu_ qb_ qr_ al_ dn_ sc_ bn_ t_'
CC=${CC:-cc}

if [ ! -d "$BUILD/obj" ]; then
    echo "namecheck: FAIL no $BUILD/obj (build first: make all tests)"
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# names LIST OUT: "name object" for every defined external of the objects.
names() {
    : > "$2"
    while read -r o; do
        nm -g --defined-only "$o" | awk -v obj="$o" 'NF >= 3 { print $3, obj }' >> "$2"
    done < "$1"
}

# judge LABEL FILE: the rules above over one program's names.
judge() {
    awk -v prefixes="$PREFIXES" -v label="$1" '
    BEGIN { np = split(prefixes, pre, " "); bad = 0 }
    {
        name = $1; obj = $2
        if (name ~ /^__(asan|ubsan|sanitizer)/ || name ~ /^\.|^_GLOBAL_/) next
        n++
        if (length(name) > 31) {
            printf "namecheck: %s: %s is %d characters (> 31)\n", obj, name, length(name); bad++
        }
        ok = (name == "main")
        for (i = 1; i <= np && !ok; i++)
            if (substr(name, 1, length(pre[i])) == pre[i]) ok = 1
        if (!ok) { printf "namecheck: %s: %s has no module prefix\n", obj, name; bad++ }
        up = toupper(name)
        if ((up in seen) && seen[up] != name) {
            printf "namecheck: %s: %s collides with %s (%s) when upper-cased\n", obj, name, seen[up], where[up]; bad++
        } else if ((up in seen) && where[up] != obj && name != "main") {
            printf "namecheck: %s: %s is also defined in %s\n", obj, name, where[up]; bad++
        } else { seen[up] = name; where[up] = obj }
    }
    END {
        printf "%d %d\n", n, bad > "/dev/stderr"
        exit bad != 0
    }' "$2"
}

find "$BUILD/obj" -name '*.o' | sort > "$tmp/posix.list"
if [ ! -s "$tmp/posix.list" ]; then
    echo "namecheck: FAIL no objects under $BUILD/obj"
    exit 1
fi

# The OpenVMS program: the portable objects plus vms/*.c built on stubs.
grep -v "^$BUILD/obj/posix/" "$tmp/posix.list" > "$tmp/vms.list" || true
nvms=0
if ls vms/*.c >/dev/null 2>&1 && [ -d tests/vmsstub ]; then
    mkdir -p "$BUILD/vmsobj"
    for f in vms/*.c; do
        o="$BUILD/vmsobj/$(basename "$f" .c).o"
        if ! "$CC" -c -o "$o" -std=c99 -w -fdollars-in-identifiers \
                -D_DEFAULT_SOURCE -D__VMS -D__DECC -D__ALPHA \
                -D__CRTL_VER=80400000 -D__VMS_VER=80400000 \
                -Itests/vmsstub -Iplatform -Ivms "$f" 2> "$tmp/cc.err"; then
            sed 's/^/    /' "$tmp/cc.err" | head -n 5
            echo "namecheck: FAIL $f does not compile against tests/vmsstub (see make vmscheck)"
            exit 1
        fi
        echo "$o" >> "$tmp/vms.list"
        nvms=$((nvms + 1))
    done
fi

rc=0
names "$tmp/posix.list" "$tmp/posix.names"
judge POSIX "$tmp/posix.names" 2> "$tmp/posix.count" || rc=1
names "$tmp/vms.list" "$tmp/vms.names"
judge OpenVMS "$tmp/vms.names" 2> "$tmp/vms.count" || rc=1
read -r np bp < "$tmp/posix.count"
read -r nv bv < "$tmp/vms.count"

if [ "$rc" -ne 0 ]; then
    echo "namecheck: FAIL $bp problem(s) in $np POSIX names, $bv in $nv OpenVMS names"
    exit 1
fi
echo "namecheck: OK $np POSIX and $nv OpenVMS external names ($nvms vms/*.c on stubs): <= 31 chars, prefixed, unique in upper case"
