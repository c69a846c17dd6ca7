"""table.py - join the rows of a benchmark run into one Markdown table.

    python3 table.py ROWS            newmail alone (make bench)
    python3 table.py --peers ROWS    newmail beside Postfix/Dovecot

ROWS holds newmail-bench's key=value lines, each prefixed by the
scripts with side=newmail, side=peer or side=machine.  The figure of a
row depends on its scenario: messages per second (smtp, pop3; higher is
better), KiB of server memory per idle connection (idle; lower is
better), milliseconds for login + STAT + LIST + UIDL (bigbox; lower is
better), files per second (disk) and MB/s (tcp).  ratio is always
newmail / peer.  SMTP rows also show newmail's rate as a fraction of
the disk's write + fsync + rename limit of the same run (1 thread for
1 session, 16 threads otherwise).  A row whose run failed shows its
errors.
"""
import sys


def parse(path):
    rows = {}
    order = []
    for line in open(path):
        kv = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if "row" not in kv:
            continue
        key = (kv["side"], kv["row"])
        rows[key] = kv
        if kv["row"] not in order:
            order.append(kv["row"])
    return rows, order


def num(kv, k):
    try:
        return float(kv.get(k, "n/a"))
    except ValueError:
        return None


def figure(kv):
    """(value, unit, cpu per 1000) of one run, value None if failed."""
    if kv is None:
        return None, "", None
    sc = kv["scenario"]
    bad = kv.get("errors", "0") != "0" or kv.get("visible") == "no"
    if sc.startswith("idle"):
        v, unit = num(kv, "kib_per_conn"), "KiB/conn"
    elif sc == "bigbox":
        v, unit = num(kv, "total_ms"), "ms"
    elif sc == "tcp":
        v, unit = num(kv, "mb_per_s"), "MB/s"
    elif sc == "disk":
        v, unit = num(kv, "msgs_per_s"), "files/s"
    else:
        v, unit = num(kv, "msgs_per_s"), "msg/s"
    return (None if bad else v), unit, num(kv, "cpu_s_per_1000")


def fmt(v, digits=1):
    if v is None:
        return "failed"
    if v >= 100:
        return "%.0f" % v
    return "%.*f" % (digits, v)


def disk_ratio(rows, kv, v):
    if v is None or kv is None or kv["scenario"] not in ("smtp",
                                                         "smtp-source"):
        return ""
    lim = rows.get(("machine", "disk-4k-1" if kv["sessions"] == "1"
                    else "disk-4k-16"))
    lv = figure(lim)[0]
    return "%.2f" % (v / lv) if lv else ""


def main():
    args = sys.argv[1:]
    peers = args and args[0] == "--peers"
    if peers:
        args = args[1:]
    rows, order = parse(args[0])
    if peers:
        print("| row | unit | newmail | peer | ratio | newmail CPU s/1000"
              " | peer CPU s/1000 | CPU ratio | newmail / disk limit |")
        print("|---|---|---|---|---|---|---|---|---|")
    else:
        print("| row | unit | newmail | p50 ms | p99 ms | server CPU s/1000"
              " | newmail / disk limit |")
        print("|---|---|---|---|---|---|---|")
    for r in order:
        m = rows.get(("machine", r))
        if m is not None:
            v, unit, _ = figure(m)
            if peers:
                print("| %s (machine) | %s | %s | | | | | | |"
                      % (r, unit, fmt(v)))
            else:
                print("| %s (machine) | %s | %s | %s | %s | | |"
                      % (r, unit, fmt(v), m.get("p50_ms", ""),
                         m.get("p99_ms", "")))
            continue
        n = rows.get(("newmail", r))
        nv, unit, ncpu = figure(n)
        if not peers:
            print("| %s | %s | %s | %s | %s | %s | %s |"
                  % (r, unit, fmt(nv), n.get("p50_ms", ""),
                     n.get("p99_ms", ""),
                     "" if ncpu is None else "%.2f" % ncpu,
                     disk_ratio(rows, n, nv)))
            continue
        p = rows.get(("peer", r))
        pv, punit, pcpu = figure(p)
        unit = unit or punit
        ratio = "%.2f" % (nv / pv) if nv and pv else ""
        cr = ""
        if ncpu and pcpu and not unit.startswith("KiB") and unit != "ms":
            cr = "%.2f" % (ncpu / pcpu)
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |"
              % (r, unit, fmt(nv) if n else "", fmt(pv) if p else "",
                 ratio, "" if ncpu is None else "%.2f" % ncpu,
                 "" if pcpu is None else "%.2f" % pcpu, cr,
                 disk_ratio(rows, n, nv)))


main()
