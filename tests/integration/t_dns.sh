#!/bin/bash
# t_dns.sh - the DNS stub resolver against a real name server: dnsmasq,
# started unprivileged on a loopback port with a zone this test writes,
# driven through `newmail dns` with a configuration whose dns.servers
# points at it.  Checks: MX hosts in preference order with their A and
# AAAA addresses, equal preferences both present and in both orders over
# runs, an MX host that is a CNAME, the implicit MX, NXDOMAIN (68), the
# null MX (69), this host as the best MX (69) or a worse one (cut),
# truncated UDP replies retried over TCP, a refusing (down) server before
# a working one, a server that forges wrong replies before a working one,
# a silent server bounded by dns.timeout x dns.attempts (75), --host,
# a bad dns.servers (78) and a bad domain (65).
#
# Usage: tests/integration/t_dns.sh [PATH-TO-NEWMAIL]
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.
# Needs python3 and /usr/sbin/dnsmasq; uses only 127.0.0.1 and a
# temporary directory; dnsmasq and the helper servers are stopped at the
# end.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-${NEWMAIL:-$top/build/newmail}}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
if [ ! -x "$nm" ]; then
    echo "t_dns: $nm is not built (run make first)" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "t_dns: needs python3" >&2; exit 2; }
[ -x /usr/sbin/dnsmasq ] || {
    echo "t_dns: needs /usr/sbin/dnsmasq (tests/tools/deps.sh)" >&2; exit 2; }

PYTHONPATH="$top/tests/integration${PYTHONPATH:+:$PYTHONPATH}" \
    exec python3 - "$nm" <<'PYEOF'
import os, shutil, socket, struct, subprocess, sys, tempfile, threading
import time
from nmtest import check, finish, free_ports, wait_port

NM = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="t_dns.")
procs = []
stop = threading.Event()

P, DOWN, SILENT, FORGE = free_ports(4)
Z = "example.test"

zone = [
    "--mx-host=%s,mx1.%s,10" % (Z, Z),
    "--mx-host=%s,mx2.%s,20" % (Z, Z),
    "--mx-host=%s,mx3.%s,20" % (Z, Z),
    "--host-record=mx1.%s,127.0.0.2" % Z,
    "--host-record=mx2.%s,127.0.0.3,::3" % Z,
    "--host-record=mx3.%s,127.0.0.6" % Z,
    "--host-record=nomx.%s,127.0.0.4" % Z,
    "--host-record=target.%s,127.0.0.5" % Z,
    "--cname=alias.%s,target.%s" % (Z, Z),
    "--mx-host=cn.%s,alias.%s,5" % (Z, Z),
    "--mx-host=null.%s,.,0" % Z,
]
# 30 exchangers with long names: the MX reply is far over 512 octets.
for i in range(1, 31):
    h = "mx%d.a-rather-long-label-to-fill-the-reply.%s" % (i, Z)
    zone.append("--mx-host=big.%s,%s,%d" % (Z, h, i))
    zone.append("--host-record=%s,127.0.1.%d" % (h, i))

dm = subprocess.Popen(
    ["/usr/sbin/dnsmasq", "--keep-in-foreground", "--port=%d" % P,
     "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv",
     "--no-hosts", "--conf-file=/dev/null",
     "--pid-file=%s" % os.path.join(tmp, "dnsmasq.pid"),
     "--local=/%s/" % Z] + zone,
    stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "dm.err"), "w"))
procs.append(dm)


def silent_server():
    """Reads queries and never answers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", SILENT))
    s.settimeout(0.2)
    while not stop.is_set():
        try:
            s.recvfrom(2048)
        except socket.timeout:
            pass
    s.close()


def forge_server():
    """Answers every query with replies that must not be believed: the
    wrong id, another question, garbage; never the real answer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", FORGE))
    s.settimeout(0.2)
    while not stop.is_set():
        try:
            q, peer = s.recvfrom(2048)
        except socket.timeout:
            continue
        if len(q) < 12:
            continue
        qid = struct.unpack(">H", q[:2])[0]
        body = q[12:]
        nx = struct.pack(">HHHHHH", (qid + 1) & 0xFFFF, 0x8183, 1, 0, 0, 0)
        s.sendto(nx + body, peer)
        other = struct.pack(">HHHHHH", qid, 0x8183, 1, 0, 0, 0)
        s.sendto(other + b"\x05other\x04test\x00" + body[-4:], peer)
        s.sendto(q[:2] + b"\xff" * 40, peer)
    s.close()


for fn in (silent_server, forge_server):
    t = threading.Thread(target=fn, daemon=True)
    t.start()


def conf(servers, timeout=1, attempts=1, name="conf"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("hostname = me.%s\n" % Z)
        f.write("dns.servers = %s\n" % ", ".join(servers))
        f.write("dns.timeout = %d\ndns.attempts = %d\n" % (timeout, attempts))
    return path


GOOD = conf(["127.0.0.1:%d" % P], name="good.conf")


def nm(args, cfg=GOOD):
    t0 = time.monotonic()
    r = subprocess.run([NM, "-c", cfg] + args, capture_output=True,
                       text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr, time.monotonic() - t0


def lines(out):
    return [l.split() for l in out.splitlines() if l.strip()]


try:
    if not check("dnsmasq listens", wait_port(P, 10),
                 open(os.path.join(tmp, "dm.err")).read()):
        raise SystemExit

    rc, out, err, _ = nm(["dns", Z])
    ls = lines(out)
    check("MX: exit 0 and three hosts", rc == 0 and len(ls) == 3,
          (rc, out, err))
    check("MX: preference 10 first", ls and ls[0][:3] ==
          ["10", "mx1." + Z, "127.0.0.2"], out)
    check("MX: both preference 20 hosts follow",
          sorted(tuple(l[:2]) for l in ls[1:]) ==
          [("20", "mx2." + Z), ("20", "mx3." + Z)], out)
    mx2 = [l for l in ls if len(l) > 1 and l[1] == "mx2." + Z]
    check("MX: A then AAAA", mx2 and mx2[0][2:] == ["127.0.0.3", "::3"],
          out)

    firsts = set()
    for _ in range(20):
        rc, out, err, _ = nm(["dns", Z])
        ls = lines(out)
        if rc == 0 and len(ls) == 3:
            firsts.add(ls[1][1])
    check("equal preferences come in both orders", len(firsts) == 2,
          firsts)

    rc, out, err, _ = nm(["dns", "cn." + Z])
    check("MX host that is a CNAME gets the target's address",
          rc == 0 and lines(out) == [["5", "alias." + Z, "127.0.0.5"]],
          (rc, out, err))

    rc, out, err, _ = nm(["dns", "nomx." + Z])
    check("no MX: implicit MX, the domain's address",
          rc == 0 and lines(out) == [["implicit", "nomx." + Z,
                                      "127.0.0.4"]], (rc, out, err))

    rc, out, err, _ = nm(["dns", "nx." + Z])
    check("NXDOMAIN: exit 68, nothing printed",
          rc == 68 and out == "" and "no such domain" in err,
          (rc, out, err))

    rc, out, err, _ = nm(["dns", "null." + Z])
    check("null MX: exit 69", rc == 69 and "null MX" in err, (rc, err))

    rc, out, err, _ = nm(["dns", "--self", "mx1." + Z, Z])
    check("the best MX is this host: exit 69 (loop)",
          rc == 69 and "loop" in err, (rc, out, err))
    rc, out, err, _ = nm(["dns", "--self", "127.0.0.6", Z])
    check("this host at preference 20: only the better host is left",
          rc == 0 and lines(out) == [["10", "mx1." + Z, "127.0.0.2"]],
          (rc, out, err))

    rc, out, err, _ = nm(["-v", "dns", "big." + Z])
    ls = lines(out)
    check("truncated reply retried over TCP",
          "over TCP" in err, err[-600:])
    check("large MX set: the 16 best in order",
          rc == 0 and [l[0] for l in ls] == [str(i) for i in range(1, 17)]
          and ls[0][2] == "127.0.1.1", (rc, out))

    cfg = conf(["127.0.0.1:%d" % DOWN, "127.0.0.1:%d" % P], timeout=5,
               name="down.conf")
    rc, out, err, secs = nm(["dns", Z], cfg)
    check("a down server, then a working one",
          rc == 0 and len(lines(out)) == 3, (rc, out, err))
    check("the refusing server costs no timeout", secs < 4.0, secs)

    cfg = conf(["127.0.0.1:%d" % FORGE, "127.0.0.1:%d" % P],
               name="forge.conf")
    rc, out, err, secs = nm(["dns", Z], cfg)
    check("forged replies ignored, the next server's answer used",
          rc == 0 and len(lines(out)) == 3 and
          lines(out)[0][1] == "mx1." + Z, (rc, out, err))
    check("forged replies do not stretch the wait", secs < 4.0, secs)

    cfg = conf(["127.0.0.1:%d" % SILENT], timeout=1, attempts=2,
               name="silent.conf")
    rc, out, err, secs = nm(["dns", Z], cfg)
    check("a silent server: exit 75 (try later)", rc == 75, (rc, err))
    check("timeout bounded by dns.timeout x dns.attempts",
          1.9 <= secs < 5.0, secs)

    rc, out, err, _ = nm(["dns", "--host", "alias." + Z])
    check("--host follows the CNAME", rc == 0 and
          lines(out) == [["alias." + Z, "127.0.0.5"]], (rc, out, err))
    rc, out, err, _ = nm(["dns", "--host", "nx." + Z])
    check("--host of a missing name: exit 68", rc == 68, (rc, err))
    rc, out, err, _ = nm(["dns", "--server", "127.0.0.1:%d" % P,
                          "nomx." + Z], conf(["192.0.2.1"], name="x.conf"))
    check("--server overrides dns.servers", rc == 0 and
          lines(out) == [["implicit", "nomx." + Z, "127.0.0.4"]],
          (rc, out, err))

    rc, out, err, _ = nm(["dns", Z], conf(["ns.example.org"],
                                          name="bad.conf"))
    check("a name in dns.servers: exit 78", rc == 78, (rc, err))
    rc, out, err, _ = nm(["dns", "a..b"])
    check("not a domain name: exit 65", rc == 65, (rc, err))
    rc, out, err, _ = nm(["dns"])
    check("no domain: usage, exit 64", rc == 64, (rc, err))
finally:
    stop.set()
    for p in procs:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    shutil.rmtree(tmp, ignore_errors=True)

finish()
PYEOF
