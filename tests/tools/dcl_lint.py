#!/usr/bin/env python3
"""dcl_lint.py - a static check of DCL command procedures (build.com, vms/*.com).

There is no DCL interpreter on Linux, so this proves what can be proved
from the text (vms-porting.md section 3):
  - every line starts with '$', or continues a command whose previous line
    ends in '-', or is data read by the command before it (a command that
    names SYS$INPUT, or CREATE, DECK, RUN, MCR);
  - the last command does not end in a dangling '-' (a '-' inside a '!'
    comment continues nothing);
  - block IFs balance: IF ... (no THEN) is followed by THEN, ELSE only
    inside a block IF, every ENDIF closes one, none left open;
    SUBROUTINE/ENDSUBROUTINE balance likewise;
  - every GOTO, GOSUB, CALL, /END_OF_FILE= and /ERROR= target label exists,
    and every label is defined once (case-insensitive);
  - every command, after joining its continuation lines, is under the DCL
    limit of 4096 bytes, and every physical line is at most 255 bytes;
  - when a procedure has two or more wildcard F$SEARCH calls, each passes
    a stream id (otherwise they share, and reset, one search context).
Exit status 1 with "file:line: message" for each problem; one summary line.
Usage: dcl_lint.py FILE.com ...
"""
import re
import sys

MAX_LINE = 255
MAX_COMMAND = 4095
LABEL_RE = re.compile(r'^([A-Za-z0-9_$]+)\s*:(?!=)\s*(.*)$')
TARGET_RES = [
    re.compile(r'\bGOTO\s+([A-Za-z0-9_$\']+)', re.I),
    re.compile(r'\bGOSUB\s+([A-Za-z0-9_$\']+)', re.I),
    re.compile(r'^CALL\s+([A-Za-z0-9_$\']+)', re.I),
    re.compile(r'\bTHEN\s+CALL\s+([A-Za-z0-9_$\']+)', re.I),
]
# READ, WRITE, OPEN and CLOSE take labels in /END_OF_FILE= and /ERROR=
# (elsewhere /ERROR= is a file, as in RUN/DETACH/ERROR=file).
IO_TARGET_RE = re.compile(r'/(?:END_OF_FILE|ERROR)\s*=\s*([A-Za-z0-9_$\']+)(?![A-Za-z0-9_$:\[.])', re.I)
IO_VERB_RE = re.compile(r'(?:^|\bTHEN\s+)(READ|WRITE|OPEN|CLOSE)\b', re.I)
DATA_VERBS = re.compile(r'^(CREATE|DECK|RUN|MCR)\b', re.I)


def strip_comment(text):
    """Text without a trailing '!' comment; quotes ("" escapes) respected."""
    inq = False
    for i, ch in enumerate(text):
        if ch == '"':
            inq = not inq
        elif ch == '!' and not inq:
            return text[:i]
    return text


def unquoted(text):
    """Text with quoted strings blanked, for keyword searches."""
    return re.sub(r'"[^"]*"', lambda m: '"' + ' ' * (len(m.group(0)) - 2) + '"', text)


def commands(path, lines, problems):
    """Yields (first line number, joined command text without the '$')."""
    cur = None
    start = 0
    data_ok = False
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip('\r\n')
        if len(line.encode('latin-1', 'replace')) > MAX_LINE:
            problems.append('%s:%d: line is %d bytes (> %d)' % (path, n, len(line), MAX_LINE))
        if cur is not None:
            body = strip_comment(line).rstrip()
            if body.endswith('-'):
                cur += ' ' + body[:-1]
                continue
            cur += ' ' + body
            yield start, cur
            data_ok = bool(DATA_VERBS.match(cur.strip().lstrip('@')) or
                           re.search(r'SYS\$INPUT', cur, re.I))
            cur = None
            continue
        if not line.startswith('$'):
            if line.strip() == '' or data_ok:
                continue
            problems.append('%s:%d: line does not start with "$" and continues no command' % (path, n))
            continue
        body = strip_comment(line[1:]).rstrip()
        if body.endswith('-'):
            cur = body[:-1]
            start = n
            continue
        yield n, body
        data_ok = bool(DATA_VERBS.match(body.strip()) or re.search(r'SYS\$INPUT', body, re.I))
    if cur is not None:
        problems.append('%s:%d: last command ends with a continuation "-"' % (path, start))
        yield start, cur


def lint(path):
    problems = []
    try:
        with open(path, encoding='latin-1') as f:
            lines = f.readlines()
    except OSError as e:
        return ['%s: cannot read: %s' % (path, e)], 0
    labels = {}
    targets = []
    stack = []          # ('IF', line, state) state: 'need_then' | 'then' | 'else'; ('SUB', line)
    ncmd = 0
    for n, cmd in commands(path, lines, problems):
        ncmd += 1
        if len(cmd) + 1 > MAX_COMMAND:
            problems.append('%s:%d: command is %d bytes after joining continuations (> %d)'
                            % (path, n, len(cmd) + 1, MAX_COMMAND))
        text = cmd.strip()
        m = LABEL_RE.match(text)
        if m and not text.upper().startswith(('IF ', 'IF(')):
            key = m.group(1).upper()
            if key in labels:
                problems.append('%s:%d: label %s already defined at line %d'
                                % (path, n, m.group(1), labels[key]))
            else:
                labels[key] = n
            text = m.group(2).strip()
            if text.upper().startswith('SUBROUTINE'):
                stack.append(('SUB', n, None))
                continue
        if not text:
            continue
        uq = unquoted(text)
        for rx in TARGET_RES:
            for t in rx.findall(uq):
                if "'" not in t:
                    targets.append((n, t))
        if IO_VERB_RE.search(uq):
            for t in IO_TARGET_RE.findall(uq):
                if "'" not in t:
                    targets.append((n, t))
        word = re.match(r'[A-Za-z_$]*', uq).group(0).upper()
        if stack and stack[-1][0] == 'IF' and stack[-1][2] == 'need_then' and word != 'THEN':
            problems.append('%s:%d: block IF at line %d is not followed by THEN'
                            % (path, n, stack[-1][1]))
            stack[-1] = ('IF', stack[-1][1], 'then')
        if word == 'IF':
            mt = re.search(r'\bTHEN\b(.*)$', uq, re.I)
            if mt is None:
                stack.append(('IF', n, 'need_then'))
            elif mt.group(1).strip() == '':
                stack.append(('IF', n, 'then'))
        elif word == 'THEN':
            if stack and stack[-1][0] == 'IF' and stack[-1][2] == 'need_then':
                stack[-1] = ('IF', stack[-1][1], 'then')
            else:
                problems.append('%s:%d: THEN without a block IF before it' % (path, n))
        elif word == 'ELSE':
            if stack and stack[-1][0] == 'IF' and stack[-1][2] == 'then':
                stack[-1] = ('IF', stack[-1][1], 'else')
            else:
                problems.append('%s:%d: ELSE outside a block IF ... THEN' % (path, n))
        elif word == 'ENDIF':
            if stack and stack[-1][0] == 'IF' and stack[-1][2] in ('then', 'else'):
                stack.pop()
            else:
                problems.append('%s:%d: ENDIF without a block IF' % (path, n))
        elif word == 'ENDSUBROUTINE':
            if stack and stack[-1][0] == 'SUB':
                stack.pop()
            else:
                problems.append('%s:%d: ENDSUBROUTINE without SUBROUTINE' % (path, n))
    # Wildcard F$SEARCH calls share one search context unless each has its
    # own stream id: with two or more in a procedure, every one needs it.
    wild = []
    for n, cmd in commands(path, lines, []):
        for m in re.finditer(r'F\$SEARCH\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)', cmd, re.I):
            args = m.group(1)
            lits = ''.join(re.findall(r'"([^"]*)"', args))
            if '*' in lits or '%' in lits:
                depth, top_commas = 0, 0
                for ch in unquoted(args):
                    if ch == '(':
                        depth += 1
                    elif ch == ')':
                        depth -= 1
                    elif ch == ',' and depth == 0:
                        top_commas += 1
                wild.append((n, top_commas > 0))
    if len(wild) > 1:
        for n, has_stream in wild:
            if not has_stream:
                problems.append('%s:%d: wildcard F$SEARCH without a stream id (the procedure has %d)'
                                % (path, n, len(wild)))
    for kind, n, _ in stack:
        problems.append('%s:%d: %s is never closed' % (path, n, 'block IF' if kind == 'IF' else 'SUBROUTINE'))
    for n, t in targets:
        if t.upper() not in labels:
            problems.append('%s:%d: target label %s is not defined' % (path, n, t))
    if ncmd == 0:
        problems.append('%s: no DCL command found' % path)
    return problems, ncmd


def main(argv):
    files = [a for a in argv[1:] if not a.endswith('*.com')]
    if not files:
        print('dcl_lint: FAIL no .com files given')
        return 1
    allp = []
    total = 0
    for path in files:
        p, n = lint(path)
        allp += p
        total += n
    for p in allp:
        print('dcl_lint: ' + p)
    if allp:
        print('dcl_lint: FAIL %d problem(s) in %d file(s)' % (len(allp), len(files)))
        return 1
    print('dcl_lint: OK %d file(s), %d commands: $ lines, continuations, IF/THEN/ELSE/ENDIF, '
          'labels and targets, lengths' % (len(files), total))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
