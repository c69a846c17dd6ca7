#!/usr/bin/env python3
"""mms_lint.py - a static check of descrip.mms for MMS and MMK.

MMS and MMK do not run on Linux, so this proves from the text that the
description file keeps to the subset both accept (the one Info-ZIP UnZip
uses, vms-porting.md sections 3 and 4.3):
  - .IFDEF/.IFNDEF, .ELSE and .ENDIF balance; only the directives .IFDEF
    .IFNDEF .ELSE .ENDIF .INCLUDE .FIRST .LAST .SUFFIXES .DEFAULT .SILENT
    .IGNORE and suffix rules (.C.OBJ :) start with a dot;
  - action lines start with a tab and follow a dependency line;
  - continuation is consistent: description lines (macros, dependencies)
    continue with '\\', action lines (DCL) with '-', never the other way;
    a continued action line is followed by another action line;
  - no GNU-make syntax: $(shell, $(wildcard, $(patsubst, $(foreach,
    $(call, :=, ?=, +=, %-patterns, ifeq/ifneq/ifdef/else/endif without a
    dot, $@ $< $^, .PHONY, define, export, include without a dot;
  - every $(MACRO) used is defined in the file, or is an MMS$ built-in,
    or is an architecture macro MMK defines;
  - physical lines are at most 132 characters, joined description lines
    and actions at most 1024 and 4095 bytes.
Exit status 1 with "file:line: message" per problem; one summary line.
Usage: mms_lint.py descrip.mms
"""
import re
import sys

MAX_LINE = 132
MAX_DESC = 1024
MAX_ACTION = 4095
DIRECTIVES = {'.IFDEF', '.IFNDEF', '.ELSE', '.ENDIF', '.INCLUDE', '.FIRST', '.LAST',
              '.SUFFIXES', '.DEFAULT', '.SILENT', '.IGNORE'}
BUILTIN = {'MMS', 'MMSQUALIFIERS', 'MMSTARGETS', '__ALPHA__', '__IA64__', '__X86_64__',
           '__VAX__', 'CC', 'LINK', 'CFLAGS', 'LINKFLAGS'}
GNU = [
    (re.compile(r'\$\((shell|wildcard|patsubst|subst|foreach|call|filter|addprefix|'
                r'addsuffix|notdir|dir|eval|if|or|and|sort|strip)\s'), 'GNU make function'),
    (re.compile(r'^\s*[A-Za-z0-9_$.]+\s*(:=|\?=|\+=|::=)'), 'GNU make assignment'),
    (re.compile(r'^\s*(ifeq|ifneq|ifdef|ifndef|else|endif|define|endef|export|unexport|'
                r'include|-include|sinclude|override|vpath)\b'), 'GNU make directive'),
    (re.compile(r'\$[@<^?*+|]'), 'GNU make automatic variable'),
    (re.compile(r'^\.PHONY\b'), 'GNU make .PHONY'),
]


def lint(path):
    problems = []
    try:
        with open(path, encoding='latin-1') as f:
            lines = [l.rstrip('\r\n') for l in f]
    except OSError as e:
        return ['%s: cannot read: %s' % (path, e)], 0
    conds = []
    defined = set()
    used = []
    in_rule = False        # after a dependency line, tab lines are its actions
    cont = None            # None, 'desc' or 'action': the previous line continued
    joined = 0
    nrules = 0
    for n, line in enumerate(lines, 1):
        def bad(msg):
            problems.append('%s:%d: %s' % (path, n, msg))
        if len(line) > MAX_LINE:
            bad('line is %d characters (> %d)' % (len(line), MAX_LINE))
        stripped = line.strip()
        if cont == 'action':
            if not line.startswith('\t'):
                bad('continuation of an action line must be an action line (tab)')
            joined += len(stripped)
            if joined > MAX_ACTION:
                bad('action is %d bytes after joining (> %d)' % (joined, MAX_ACTION))
            cont = 'action' if stripped.endswith('-') else None
            if stripped.endswith('\\'):
                bad('action line continued with "\\" (use "-")')
            continue
        if cont == 'desc':
            joined += len(stripped)
            if joined > MAX_DESC:
                bad('description line is %d bytes after joining (> %d)' % (joined, MAX_DESC))
            code = stripped
        else:
            code = None
        if code is None:
            if stripped == '' or stripped.startswith('#'):
                if stripped == '':
                    in_rule = False
                continue
            if line.startswith('\t'):
                if not in_rule:
                    bad('action line (tab) outside a rule')
                joined = len(stripped)
                if stripped.endswith('-'):
                    cont = 'action'
                elif stripped.endswith('\\'):
                    bad('action line continued with "\\" (use "-")')
                for m in re.finditer(r'\$\(([A-Za-z0-9_$]+)\)', line):
                    used.append((n, m.group(1)))
                if re.search(r'\$[@<^]', line):
                    bad('GNU make automatic variable in an action: ' + stripped)
                continue
            if line[0] in ' ':
                bad('line starts with spaces but continues nothing (actions start with a tab)')
                continue
            code = stripped
            joined = len(code)
        # description line (or its continuation)
        body = re.sub(r'\s#.*$', '', code)
        for rx, what in GNU:
            if rx.search(body):
                bad('%s: %s' % (what, body.strip()))
        if cont is None and '%' in body:
            bad('"%" pattern (GNU make): ' + body.strip())
        for m in re.finditer(r'\$\(([A-Za-z0-9_$]+)\)', body):
            used.append((n, m.group(1)))
        was_cont = cont
        if body.rstrip().endswith('\\'):
            cont = 'desc'
        else:
            cont = None
            if body.rstrip().endswith('-') and not body.lstrip().startswith('.'):
                bad('description line ends with "-": continue it with "\\"')
        if was_cont == 'desc':
            continue
        word = body.split()[0].upper() if body.split() else ''
        if word.startswith('.'):
            if word in ('.IFDEF', '.IFNDEF'):
                conds.append((n, 'if'))
                continue
            if word == '.ELSE':
                if not conds or conds[-1][1] != 'if':
                    bad('.ELSE without .IFDEF')
                else:
                    conds[-1] = (conds[-1][0], 'else')
                continue
            if word == '.ENDIF':
                if not conds:
                    bad('.ENDIF without .IFDEF')
                else:
                    conds.pop()
                continue
            if word in DIRECTIVES:
                in_rule = word in ('.FIRST', '.LAST', '.DEFAULT')
                continue
            if re.match(r'^(\.[A-Z0-9_]+){2}\s*:', body.strip(), re.I):
                in_rule = True
                nrules += 1
                continue
            bad('unknown directive %s' % word)
            continue
        m = re.match(r'^([A-Za-z0-9_$]+(?:\$\([A-Za-z0-9_$]+\)[A-Za-z0-9_$]*)*)\s*=', body)
        if m and not re.match(r'^[^=]*:', body.split('=')[0]):
            defined.add(m.group(1).upper())
            in_rule = False
            continue
        if ':' in body:
            in_rule = True
            nrules += 1
            continue
        bad('neither a macro, a dependency nor a directive: ' + body.strip())
    if cont is not None:
        problems.append('%s:%d: file ends inside a continued line' % (path, len(lines)))
    for n, kind in conds:
        problems.append('%s:%d: .IFDEF is never closed by .ENDIF' % (path, n))
    for n, name in used:
        up = name.upper()
        if up not in defined and up not in BUILTIN and not up.startswith('MMS$'):
            problems.append('%s:%d: macro $(%s) is never defined' % (path, n, name))
    if nrules == 0:
        problems.append('%s: no rule found' % path)
    return problems, nrules


def main(argv):
    if len(argv) < 2:
        print('mms_lint: FAIL no description file given')
        return 1
    allp = []
    rules = 0
    for path in argv[1:]:
        p, n = lint(path)
        allp += p
        rules += n
    for p in allp:
        print('mms_lint: ' + p)
    if allp:
        print('mms_lint: FAIL %d problem(s) in %s' % (len(allp), ' '.join(argv[1:])))
        return 1
    print('mms_lint: OK %s: %d rules, .IFDEF balance, tab actions, continuations, '
          'MMS subset, macros defined, lengths' % (' '.join(argv[1:]), rules))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
