#!/bin/sh
# ods2check.sh - every file of the tree can live on an OpenVMS ODS-2 disk.
#
# Proves, for every file git would ship (git ls-files --cached --others
# --exclude-standard; the CI metadata folder .ci/ is exempt, it never goes
# to OpenVMS):
#   - each directory component uses only a-z 0-9 _ $ - and at most 39 chars;
#   - each file name uses only a-z 0-9 _ $ - and at most one dot, name and
#     type each at most 39 characters (upper case only for the top-level
#     Makefile, README.md and friends: ODS-2 folds case anyway);
#   - no two paths are equal when folded to upper case;
#   - every .c base name is unique in the tree (the OpenVMS builds put all
#     objects into one [.OBJ_<arch>] directory);
#   - directories nest at most 7 below the top (the checkout directory is
#     the 8th ODS-2 level).
# Fails naming each offending path.
set -eu

MAXDEPTH=7
list=$(mktemp)
trap 'rm -f "$list"' EXIT

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard | sort -u > "$list"
else
    find . -type f ! -path './.git/*' | sed 's,^\./,,' | sort > "$list"
fi
# Files deleted from the work tree but still in the index are not shipped.
n=$(wc -l < "$list")
if [ "$n" -eq 0 ]; then
    echo "ods2check: FAIL no files listed"
    exit 1
fi

awk -v maxdepth="$MAXDEPTH" '
BEGIN { bad = 0; top = "^(Makefile|README\\.md|LICENSE|COPYING|NEWS|CHANGES|AUTHORS|INSTALL)$" }
function complain(p, why) { printf "ods2check: %s: %s\n", p, why; bad++ }
{
    p = $0
    if (p ~ /^\.ci\//) next
    if (system("test -e \"" p "\"") != 0) next
    total++
    nc = split(p, c, "/")
    if (nc - 1 > maxdepth) complain(p, "directories nested " (nc - 1) " deep (max " maxdepth ")")
    for (i = 1; i < nc; i++) {
        if (c[i] !~ /^[a-z0-9_$-]+$/) complain(p, "directory \"" c[i] "\" is not a-z 0-9 _ $ -")
        else if (length(c[i]) > 39) complain(p, "directory \"" c[i] "\" longer than 39")
    }
    f = c[nc]
    lowerok = (nc == 1 && f ~ top)
    if (!lowerok && f !~ /^[a-z0-9_$.-]+$/) complain(p, "name \"" f "\" is not a-z 0-9 _ $ - .")
    ndot = gsub(/\./, ".", f)
    if (ndot > 1) complain(p, "name \"" f "\" has " ndot " dots (ODS-2 allows one)")
    name = f; type = ""
    if (ndot >= 1) { name = substr(f, 1, index(f, ".") - 1); type = substr(f, index(f, ".") + 1) }
    if (length(name) > 39) complain(p, "name part longer than 39 characters")
    if (length(type) > 39) complain(p, "type part longer than 39 characters")
    if (ndot == 0 && name == "") complain(p, "empty name")
    up = toupper(p)
    if (up in seen) complain(p, "same as " seen[up] " when upper-cased")
    else seen[up] = p
    if (f ~ /\.c$/) {
        b = toupper(f)
        if (b in cbase) complain(p, "C base name also used by " cbase[b] " (objects share one directory)")
        else cbase[b] = p
    }
}
END {
    if (bad) { printf "ods2check: FAIL %d problem(s) in %d files\n", bad, total; exit 1 }
    printf "ods2check: OK %d files: ODS-2 names, unique in upper case, unique .c base names, depth <= %d\n", total, maxdepth
}' "$list"
