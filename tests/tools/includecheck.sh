#!/bin/sh
# includecheck.sh - the portable core stays portable.
#
# Proves, for every .c and .h under src/ and platform/ (the code both
# OpenVMS and POSIX compile):
#   - each #include names an ISO C99 standard header, a header of platform/
#     (or pl_os.h, picked by include path from posix/ or vms/), another
#     header under src/, an OpenSSL header (openssl/...) or zlib.h;
#   - no #if/#ifdef/#ifndef/#elif tests an operating-system or architecture
#     macro (__VMS, VMS, __linux__, __unix__, _WIN32, __APPLE__, __ALPHA ...):
#     OS differences live in posix/ and vms/ behind platform/pl.h.
# Fails naming file:line and the offending directive.
# Usage: includecheck.sh [DIR ...]   (default: src platform)
set -eu

[ $# -gt 0 ] || set -- src platform
ISO='assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h
limits.h locale.h math.h setjmp.h signal.h stdarg.h stdbool.h stddef.h
stdint.h stdio.h stdlib.h string.h tgmath.h time.h wchar.h wctype.h'
OSMACROS='__VMS|VMS|__vms|vms|__VMS_VER|__CRTL_VER|__DECC|__DECC_VER|__linux__|__linux|linux|__gnu_linux__|__unix__|__unix|unix|_WIN32|_WIN64|__CYGWIN__|__APPLE__|__MACH__|__FreeBSD__|__NetBSD__|__OpenBSD__|__sun|__sun__|__hpux|_AIX|__ALPHA|__alpha|__alpha__|__ia64|__ia64__|__IA64|__x86_64|__x86_64__|__i386__|_M_X64'

# Headers a core file may include by quoted or bare name.
known=$(mktemp)
trap 'rm -f "$known"' EXIT
{
    for h in $ISO; do echo "$h"; done
    echo pl_os.h
    echo zlib.h
    find platform src -name '*.h' 2>/dev/null | sed 's,.*/,,'
} | sort -u > "$known"

files=$(find "$@" -name '*.[ch]' | sort)
if [ -z "$files" ]; then
    echo "includecheck: FAIL no .c/.h files under $*"
    exit 1
fi

bad=0
nfiles=0
nincl=0
for f in $files; do
    nfiles=$((nfiles + 1))
    out=$(awk -v f="$f" -v osm="^($OSMACROS)\$" -v known="$known" '
        BEGIN { while ((getline k < known) > 0) ok[k] = 1 }
        /^[ \t]*#[ \t]*include/ {
            line = $0
            sub(/^[ \t]*#[ \t]*include[ \t]*/, "", line)
            if (line ~ /^[<"]/) {
                name = substr(line, 2); sub(/[>"].*/, "", name)
                base = name; sub(/.*\//, "", base)
                nincl++
                if (name ~ /^openssl\/[a-z0-9_]+\.h$/) next
                if (name ~ /\// && name !~ /^(\.\.\/)*(src|platform|util|net|conf|cli|store|auth|msg|pop3|smtp)\//) {
                    printf "%s:%d: #include of %s (not ISO C, platform/, src/, openssl/ or zlib.h)\n", f, NR, name; next
                }
                if (!(base in ok) || (name ~ /^sys\//))
                    printf "%s:%d: #include of %s (not ISO C, platform/, src/, openssl/ or zlib.h)\n", f, NR, name
            } else {
                printf "%s:%d: computed #include %s\n", f, NR, line
            }
        }
        /^[ \t]*#[ \t]*(if|ifdef|ifndef|elif)[ \t(]/ {
            line = $0; sub(/\/\*.*/, "", line); sub(/\/\/.*/, "", line)
            n = split(line, w, /[^A-Za-z0-9_]+/)
            for (i = 1; i <= n; i++) if (w[i] ~ osm) {
                printf "%s:%d: conditional on the OS macro %s: %s\n", f, NR, w[i], $0; break
            }
        }
        END { printf "#%d\n", nincl > "/dev/stderr" }
    ' "$f" 2>"$known.n")
    nincl=$((nincl + $(sed 's/#//' "$known.n")))
    if [ -n "$out" ]; then
        echo "$out" | sed 's/^/includecheck: /'
        bad=$((bad + $(echo "$out" | wc -l)))
    fi
done
rm -f "$known.n"

if [ "$bad" -ne 0 ]; then
    echo "includecheck: FAIL $bad problem(s) in $nfiles files under $*"
    exit 1
fi
echo "includecheck: OK $nfiles files under $*, $nincl includes, no OS header, no OS #ifdef"
