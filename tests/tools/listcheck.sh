#!/bin/sh
# listcheck.sh - the three builds name the same sources.
#
# Proves that Makefile, descrip.mms and build.com list the same .c modules
# in the same groups and the same order:
#   Makefile    NAME_SRCS = dir/file.c ...          (and TEST_MAIN)
#   descrip.mms NAME_OBJS = $(OBJDIR)FILE.OBJ ...   with one dependency line
#               $(OBJDIR)FILE.OBJ : [.DIR]FILE.C    per object
#   build.com   $ name_srcs = "[.dir]file.c,..." + -
# POSIX_SRCS is the one group of the Makefile alone: descrip.mms and
# build.com build VMS_SRCS in its place.  Lists built from other lists
# (CORE_SRCS, TEST_OBJS...) are not groups.  Also proves that every file the
# Makefile lists exists, and that every .c file under platform/, posix/,
# vms/, src/ and tests/unit/ is in some Makefile list.
# Fails naming the group and the difference.
#
# `listcheck.sh --fix` rewrites the generated regions of descrip.mms
# (BEGIN GROUPS..END GROUPS, BEGIN SOURCES..END SOURCES) and of build.com
# (BEGIN GROUPS..END GROUPS) from the Makefile's lists, then checks.
# Usage: listcheck.sh [--fix] [TOP]   (TOP defaults to the current directory)
set -eu

MODE=check
if [ "${1:-}" = "--fix" ]; then MODE=fix; shift; fi
TOP=${1:-.}
exec python3 - "$TOP" "$MODE" <<'PYEOF'
import os
import re
import sys

top = sys.argv[1]
mode = sys.argv[2]
problems = []


def read(name):
    with open(os.path.join(top, name), encoding='latin-1') as f:
        return f.read()


def join_lines(text, cont):
    out, cur = [], ''
    for line in text.split('\n'):
        if line.rstrip().endswith(cont):
            cur += line.rstrip()[:-1] + ' '
            continue
        out.append(cur + line)
        cur = ''
    if cur:
        out.append(cur)
    return out


# --- --fix: write the generated regions from the Makefile -------------------
def mk_groups_in_order():
    order, composite = [], {}
    for line in join_lines(read('Makefile'), '\\'):
        m = re.match(r'^([A-Z0-9_]+_SRCS|TEST_MAIN)\s*[:?]?=(.*)$', line)
        if not m:
            continue
        if '$(' in m.group(2):
            composite[m.group(1)] = re.findall(r'\$\(([A-Z0-9_]+)\)', m.group(2))
        else:
            order.append((m.group(1), m.group(2).split()))
    return order, composite


def wrap(first, items, sep, cont, indent, width=78):
    lines, cur = [], first
    for i, it in enumerate(items):
        piece = it + (sep if i < len(items) - 1 else '')
        if cur.strip() and len(cur) + len(piece) > width and cur != first:
            lines.append(cur.rstrip() + cont)
            cur = ' ' * indent
        cur += piece
    lines.append(cur.rstrip())
    return lines


def vms_spec(path, upper):
    d, f = os.path.split(path)
    spec = '[.' + d.replace('/', '.') + ']' + f if d else f
    return spec.upper() if upper else spec.lower()


def objname(path):
    return os.path.splitext(os.path.basename(path))[0].upper() + '.OBJ'


def mms_name(g):
    return 'TEST_MAIN_OBJS' if g == 'TEST_MAIN' else g[:-len('_SRCS')] + '_OBJS'


def replace_region(name, begin, end, body):
    path = os.path.join(top, name)
    with open(path, encoding='latin-1') as f:
        lines = f.read().split('\n')
    try:
        a = next(i for i, l in enumerate(lines) if l.startswith(begin))
        b = next(i for i, l in enumerate(lines) if i > a and l.startswith(end))
    except StopIteration:
        sys.exit('listcheck: FAIL %s has no "%s" ... "%s" region' % (name, begin, end))
    lines[a + 1:b] = body
    with open(path, 'w', encoding='latin-1') as f:
        f.write('\n'.join(lines))


def fix():
    order, composite = mk_groups_in_order()
    groups = [(g, f) for g, f in order if g != 'POSIX_SRCS']
    core = [('VMS_SRCS' if g == 'POSIX_SRCS' else g) for g in composite.get('CORE_SRCS', [])]
    tests = [g for g, _ in groups if g.startswith('TEST_')]
    mms_lines, src_lines = [], []
    for g, files in groups:
        objs = ['$(OBJDIR)' + objname(f) for f in files]
        first = mms_name(g) + ' = '
        mms_lines += wrap(first, objs, ' ', ' \\', len(first)) if objs else [first.rstrip()]
        for f in files:
            src_lines.append('$(OBJDIR)%s : %s' % (objname(f), vms_spec(f, True)))
    first = 'CORE_OBJS = '
    mms_lines += wrap(first, ['$(%s)' % mms_name(g) for g in core], ' ', ' \\', len(first))
    first = 'TEST_OBJS = '
    mms_lines += wrap(first, ['$(%s)' % mms_name(g) for g in tests], ' ', ' \\', len(first))
    replace_region('descrip.mms', '# BEGIN GROUPS', '# END GROUPS', mms_lines)
    replace_region('descrip.mms', '# BEGIN SOURCES', '# END SOURCES', src_lines)
    com_lines = []
    def com_list(name, items):
        first = '$ %s = "' % name
        body = wrap(first, items, ',', '" + -', len(first) - 1, 88)
        out = []
        for i, l in enumerate(body):
            if i > 0:
                l = l[:len(first) - 1] + '"' + l[len(first) - 1:]
            out.append(l)
        out[-1] += '"'
        return out
    for g, files in groups:
        com_lines += com_list(g.lower(), [vms_spec(f, False) for f in files])
    com_lines += com_list('core_groups', [g.lower() for g in core])
    com_lines += com_list('test_groups', [g.lower() for g in tests])
    replace_region('build.com', '$! BEGIN GROUPS', '$! END GROUPS', com_lines)
    print('listcheck: wrote the lists of descrip.mms and build.com from the Makefile')


if mode == 'fix':
    fix()


# --- Makefile -----------------------------------------------------------
mk = {}
for line in join_lines(read('Makefile'), '\\'):
    m = re.match(r'^([A-Z0-9_]+_SRCS|TEST_MAIN)\s*[:?]?=(.*)$', line)
    if not m or '$(' in m.group(2):
        continue
    mk[m.group(1)] = m.group(2).split()

# --- descrip.mms ------------------------------------------------------------
mms_text = join_lines(read('descrip.mms'), '\\')
mms_groups, mms_deps = {}, {}
for line in mms_text:
    if line.startswith('#') or line.startswith('\t'):
        continue
    m = re.match(r'^([A-Z0-9_]+)_OBJS\s*=(.*)$', line)
    if m:
        items = m.group(2).split()
        if any(not re.match(r'^\$\(OBJDIR\)[A-Z0-9_]+\.OBJ$', i, re.I) for i in items):
            continue        # a list of lists
        name = m.group(1) + '_SRCS'
        if name == 'TEST_MAIN_SRCS':
            name = 'TEST_MAIN'
        mms_groups[name] = [re.sub(r'^\$\(OBJDIR\)', '', i).upper() for i in items]
        continue
    m = re.match(r'^\$\(OBJDIR\)([A-Z0-9_]+\.OBJ)\s*:\s*(\[[^\]]*\])([A-Z0-9_]+\.C)\b', line, re.I)
    if m:
        obj = m.group(1).upper()
        d = m.group(2)[1:-1].lstrip('.').lower().replace('.', '/')
        src = (d + '/' if d else '') + m.group(3).lower()
        if obj in mms_deps:
            problems.append('descrip.mms: two dependency lines for %s' % obj)
        mms_deps[obj] = src
mms = {}
used = set()
for g, objs in mms_groups.items():
    files = []
    for o in objs:
        used.add(o)
        if o not in mms_deps:
            problems.append('descrip.mms: %s (group %s) has no "$(OBJDIR)%s : [.DIR]FILE.C" line'
                            % (o, g, o))
            files.append('?' + o.lower())
        else:
            files.append(mms_deps[o])
    mms[g] = files
for o in sorted(set(mms_deps) - used):
    problems.append('descrip.mms: dependency line for %s, which no *_OBJS group lists' % o)

# --- build.com --------------------------------------------------------------
com = {}
com_text = '\n'.join(l for l in read('build.com').split('\n') if not re.match(r'^\$\s*!', l))
for line in join_lines(com_text, '-'):
    m = re.match(r'^\$\s*([a-z0-9_]+_srcs|test_main)\s*=\s*(".*)$', line, re.I)
    if not m:
        continue
    value = ''.join(re.findall(r'"([^"]*)"', m.group(2)))
    files = []
    for spec in [s for s in value.split(',') if s.strip()]:
        sm = re.match(r'^\s*\[([^\]]*)\]([A-Za-z0-9_]+\.c)\s*$', spec, re.I)
        if not sm:
            problems.append('build.com: %s: cannot read file spec "%s"' % (m.group(1), spec))
            continue
        d = sm.group(1).lstrip('.').lower().replace('.', '/')
        files.append((d + '/' if d else '') + sm.group(2).lower())
    name = m.group(1).upper()
    com[name] = files

# --- compare -----------------------------------------------------------------
if not mk:
    problems.append('Makefile: no *_SRCS lists found')
want = dict(mk)
want.pop('POSIX_SRCS', None)
for label, other in (('descrip.mms', mms), ('build.com', com)):
    if 'POSIX_SRCS' in other:
        problems.append('%s: has a POSIX group; it builds VMS_SRCS instead' % label)
    for g in sorted(set(want) | set(other)):
        if g == 'POSIX_SRCS':
            continue
        a, b = want.get(g), other.get(g)
        if a is None:
            problems.append('%s: group %s is not in the Makefile' % (label, g))
        elif b is None:
            problems.append('%s: group %s of the Makefile is missing' % (label, g))
        elif a != b:
            miss = [f for f in a if f not in b]
            extra = [f for f in b if f not in a]
            detail = []
            if miss:
                detail.append('missing ' + ' '.join(miss))
            if extra:
                detail.append('extra ' + ' '.join(extra))
            if not detail:
                detail.append('order differs')
            problems.append('%s: group %s differs from the Makefile: %s' % (label, g, '; '.join(detail)))

listed = set()
for g, files in mk.items():
    for f in files:
        listed.add(f)
        if not os.path.isfile(os.path.join(top, f)):
            problems.append('Makefile: %s lists %s, which does not exist' % (g, f))
for d in ('platform', 'posix', 'vms', 'src', 'tests/unit'):
    for root, _, names in os.walk(os.path.join(top, d)):
        for n in names:
            if n.endswith('.c'):
                rel = os.path.relpath(os.path.join(root, n), top)
                if rel not in listed:
                    problems.append('Makefile: %s is in no *_SRCS list' % rel)

for p in problems:
    print('listcheck: ' + p)
nfiles = sum(len(v) for v in mk.values())
if problems:
    print('listcheck: FAIL %d problem(s)' % len(problems))
    sys.exit(1)
print('listcheck: OK %d groups, %d files: Makefile, descrip.mms and build.com agree'
      % (len(mk), nfiles))
PYEOF
