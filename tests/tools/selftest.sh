#!/bin/sh
# selftest.sh - every check can fail: `make check-selftest`.
#
# Copies the tree to a temporary directory, plants one deliberate violation
# per check there, runs that check and asserts that it fails AND that its
# output names the planted violation (so a check failing for some other
# reason does not count).  Each plant is removed before the next one.
#   namecheck     an external name of 32+ characters (in an object, and in
#                 vms/*.c); two names equal when upper-cased; a name
#                 without a module prefix
#   includecheck  src/ including <unistd.h>; #ifdef __VMS in src/
#   listcheck     a module dropped from build.com; one dropped from descrip.mms
#   lint          an unbalanced IF in a .com; a GOTO to no label; GNU make
#                 syntax in descrip.mms
#   ods2check     an ODS-2-invalid file name; a duplicate .c base name
#   vmscheck      a call to an undeclared function in vms/vms_err.c
#   unit          a failing CUnit test
#   unit32        a test that assumes 64-bit long (passes 64-bit, fails -m32)
#   asan          a heap buffer overflow in a test
# The tree itself is never touched.  Fails listing each check that did not
# fail on its plant.  SELFTEST_FAST=1 skips the three builds (unit, unit32,
# asan).  SELFTEST_KEEP=1 keeps the temporary copy for a look.
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nm-selftest.XXXXXX")
[ "${SELFTEST_KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
T=$WORK/tree
mkdir -p "$T"
# The whole tree, .git included (ods2check asks git), without build output.
(cd "$SRC" && tar cf - --exclude=./build --exclude=./build32 --exclude=./build-asan .) | (cd "$T" && tar xf -)
cd "$T"

JOBS=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0
failures=""

# expect_fail NAME PATTERN COMMAND...: COMMAND must exit non-zero and print
# PATTERN (an extended regular expression).
expect_fail() {
    name=$1; pattern=$2; shift 2
    if "$@" > "$WORK/out" 2>&1; then
        echo "selftest: FAIL $name: the check passed despite the plant"
        failed=$((failed + 1)); failures="$failures $name"
    elif grep -Eq -- "$pattern" "$WORK/out"; then
        echo "selftest: ok   $name: failed as expected ($(grep -E -- "$pattern" "$WORK/out" | head -n 1 | cut -c1-100))"
        passed=$((passed + 1))
    else
        echo "selftest: FAIL $name: the check failed, but not on the plant /$pattern/:"
        tail -n 5 "$WORK/out" | sed 's/^/    /'
        failed=$((failed + 1)); failures="$failures $name"
    fi
}

save() { cp -p "$1" "$WORK/saved.$(echo "$1" | tr / _)"; }
restore() { cp -p "$WORK/saved.$(echo "$1" | tr / _)" "$1"; }

# --- namecheck: on a build dir holding only planted objects ------------------
mkobj() {   # mkobj DIR FILE.c CODE
    mkdir -p "$WORK/nb/obj/$1"
    printf '%s\n' "$3" > "$WORK/$2"
    cc -c -o "$WORK/nb/obj/$1/$(basename "$2" .c).o" "$WORK/$2"
}
rm -rf "$WORK/nb"
mkobj a ok.c 'int ut_selftest_fine(void) { return 0; }'
mkobj a long.c 'int ut_this_external_name_is_32_chars(void) { return 1; }'
expect_fail "namecheck: 33-character name" 'ut_this_external_name_is_32_chars is 33' sh tests/tools/namecheck.sh "$WORK/nb"
rm -rf "$WORK/nb"
mkobj a up.c 'int ut_selftest_Case(void) { return 0; }'
mkobj b low.c 'int ut_selftest_case(void) { return 0; }'
expect_fail "namecheck: upper-case collision" 'collides' sh tests/tools/namecheck.sh "$WORK/nb"
rm -rf "$WORK/nb"
mkobj a nopfx.c 'int selftest_unprefixed(void) { return 0; }'
expect_fail "namecheck: no module prefix" 'selftest_unprefixed has no module prefix' sh tests/tools/namecheck.sh "$WORK/nb"
rm -rf "$WORK/nb"
mkobj a ok.c 'int ut_selftest_fine(void) { return 0; }'
save vms/vms_err.c
printf '\nint vms_selftest_name_far_too_long_for_vms(void);\nint vms_selftest_name_far_too_long_for_vms(void) { return 0; }\n' >> vms/vms_err.c
expect_fail "namecheck: 38-character name in vms/" 'vms_selftest_name_far_too_long_for_vms is 38' sh tests/tools/namecheck.sh "$WORK/nb"
restore vms/vms_err.c
rm -rf "$WORK/nb"

# --- includecheck --------------------------------------------------------------
printf '#include <unistd.h>\nint ut_selftest_inc(void) { return 0; }\n' > src/util/ut_selftest.c
expect_fail "includecheck: <unistd.h> in src/" 'ut_selftest.c:1: #include of unistd.h' sh tests/tools/includecheck.sh
printf '#ifdef __VMS\nint ut_selftest_inc(void) { return 0; }\n#endif\n' > src/util/ut_selftest.c
expect_fail "includecheck: #ifdef __VMS in src/" 'ut_selftest.c:1: conditional on the OS macro __VMS' sh tests/tools/includecheck.sh
rm -f src/util/ut_selftest.c

# --- listcheck -----------------------------------------------------------------
save build.com
sed -i 's/\[\.src\.net\]lr_read\.c//' build.com
expect_fail "listcheck: module missing from build.com" 'build.com: group NET_SRCS differs' sh tests/tools/listcheck.sh
restore build.com
save descrip.mms
sed -i 's/^\(UTIL_OBJS = \)\$(OBJDIR)UT_STR.OBJ /\1/' descrip.mms
expect_fail "listcheck: module missing from descrip.mms" 'descrip.mms: (group UTIL_SRCS differs|dependency line for UT_STR.OBJ)' sh tests/tools/listcheck.sh
restore descrip.mms

# --- lint ------------------------------------------------------------------------
printf '$! selftest.com - planted\n$ if p1 .eqs. ""\n$ then\n$   write sys$output "no end"\n$ exit 1\n' > vms/selftest.com
expect_fail "lint: unbalanced IF in a .com" 'selftest.com:2: block IF is never closed' make --no-print-directory lint
printf '$! selftest.com - planted\n$ goto nowhere\n$ exit 1\n' > vms/selftest.com
expect_fail "lint: GOTO to a missing label" 'target label nowhere is not defined' make --no-print-directory lint
rm -f vms/selftest.com
save descrip.mms
printf 'ifeq ($(ARCH),ALPHA)\nFOO = 1\nendif\n' >> descrip.mms
expect_fail "lint: GNU make syntax in descrip.mms" 'GNU make directive: ifeq' make --no-print-directory lint
restore descrip.mms

# --- ods2check -------------------------------------------------------------------
echo planted > doc/Selftest.Two.dots
expect_fail "ods2check: ODS-2-invalid name" 'doc/Selftest.Two.dots' sh tests/tools/ods2check.sh
rm -f doc/Selftest.Two.dots
mkdir -p tests/selftestdir
echo 'int t_selftest_dup;' > tests/selftestdir/t_main.c
expect_fail "ods2check: duplicate .c base name" 't_main.c: C base name also used by .*t_main.c' sh tests/tools/ods2check.sh
rm -rf tests/selftestdir

# --- vmscheck: a call to an undeclared function in the VMS layer ------------------
if [ -f tests/tools/vmscheck.sh ] && [ -f vms/vms_err.c ]; then
    save vms/vms_err.c
    printf '\nint vms_selftest_plant(void);\nint vms_selftest_plant(void) { return vms_no_such_service(1); }\n' >> vms/vms_err.c
    expect_fail "vmscheck: undeclared function in vms/" 'vms_no_such_service' make --no-print-directory vmscheck
    restore vms/vms_err.c
else
    echo "selftest: FAIL vmscheck: tests/tools/vmscheck.sh or vms/vms_err.c is missing"
    failed=$((failed + 1)); failures="$failures vmscheck"
fi

# --- unit, unit32, asan: a planted CUnit suite in t_main.c -----------------------
if [ "${SELFTEST_FAST:-0}" != 1 ]; then
    save tests/unit/t_main.c
    python3 - tests/unit/t_main.c <<'PYEOF'
import sys
p = sys.argv[1]
s = open(p).read()
plant = r'''
#include <string.h>
/* selftest.sh plant: NM_SELFTEST=fail|lp64|asan picks the violation. */
static void t_selftest_planted(void)
{
    const char *what = getenv("NM_SELFTEST");
    if (what == NULL)
        return;
    if (strcmp(what, "fail") == 0)
        CU_FAIL("selftest_planted_failure");
    if (strcmp(what, "lp64") == 0)
        CU_ASSERT_EQUAL(sizeof(long), 8);
    if (strcmp(what, "asan") == 0) {
        char *p = malloc(4);
        volatile size_t i = 4;
        if (p != NULL) {
            memset(p, 0, 4);
            CU_ASSERT(p[i] == 0);
            free(p);
        }
    }
}

int main(void)'''
reg = '''CU_basic_set_mode(CU_BRM_NORMAL);'''
add = reg + '''
    {
        CU_pSuite s = CU_add_suite("selftest", NULL, NULL);
        if (s == NULL || CU_add_test(s, "planted", t_selftest_planted) == NULL)
            return EXIT_FAILURE;
    }'''
if 'int main(void)' not in s or reg not in s:
    sys.exit('selftest: cannot plant into ' + p)
s = s.replace('int main(void)', plant, 1).replace(reg, add, 1)
open(p, 'w').write(s)
PYEOF
    # A kernel that runs no i386 program (make unit32 then builds and does
    # not run) gets the 64-bit long assumption at compile time as well.
    i386_runs=no
    sh tests/tools/i386run.sh && i386_runs=yes
    if [ "$i386_runs" = no ]; then
        printf '\n/* selftest.sh plant: a 64-bit long assumption at compile time */\ntypedef char t_selftest_lp64[sizeof(long) == 8 ? 1 : -1];\n' \
            >> tests/unit/t_main.c
    fi
    echo "selftest: building the planted tree (64-bit, 32-bit, ASan) ..."
    NM_SELFTEST=fail expect_fail "unit: a failing test" 'selftest_planted_failure' \
        make --no-print-directory -j"$JOBS" unit
    if [ "$i386_runs" = yes ]; then
        NM_SELFTEST=lp64 expect_fail "unit32: a 64-bit long assumption" 'CU_ASSERT_EQUAL\(sizeof\(long\),8\)|sizeof\(long\)' \
            make --no-print-directory -j"$JOBS" unit32
    else
        expect_fail "unit32: a 64-bit long assumption (at compile time; this kernel runs no i386 program)" \
            't_selftest_lp64' make --no-print-directory -j"$JOBS" unit32
    fi
    NM_SELFTEST=asan expect_fail "asan: a heap buffer overflow" 'heap-buffer-overflow|insufficient space for an object' \
        make --no-print-directory -j"$JOBS" asan
    restore tests/unit/t_main.c
fi

if [ "$failed" -ne 0 ]; then
    echo "selftest: FAIL $failed check(s) did not fail on their plant:$failures"
    echo "selftest: $passed passed, $failed failed"
    exit 1
fi
echo "selftest: OK every check failed on its planted violation"
echo "selftest: $passed passed, $failed failed"
