#!/bin/sh
# i386run.sh - does this kernel execute i386 programs?  Exit 0 when a
# program built with `gcc -m32` runs, 1 when it cannot be built or the
# kernel refuses it (PVM guests: "32-bit emulation disabled", exec fails
# with status 126 before main).  Used by `make unit32` and selftest.sh.
# Writes only a temporary directory, removed on exit; any user.
d=$(mktemp -d "${TMPDIR:-/tmp}/nm-i386.XXXXXX") || exit 1
trap 'rm -rf "$d"' EXIT
printf 'int main(void) { return 0; }\n' > "$d/p.c"
gcc -m32 -o "$d/p" "$d/p.c" 2>/dev/null || exit 1
"$d/p" 2>/dev/null
