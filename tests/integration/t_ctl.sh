#!/bin/bash
# t_ctl.sh - `newmail ctl` against a real `newmail serve`: stats counts a
# POP3 session, loglevel debug makes debug lines appear, reload is logged,
# shutdown makes the server exit 0, ctl against a stopped server exits 69,
# a bad request is a usage error (64), and (when run as root) another user
# is refused with 77.
#
# Usage: tests/integration/t_ctl.sh [PATH-TO-NEWMAIL]
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.
# Needs python3; uses only 127.0.0.1 and a temporary directory.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-$top/build/newmail}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
if [ ! -x "$nm" ]; then
    echo "t_ctl: $nm is not built (run make first)" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "t_ctl: needs python3" >&2; exit 2; }

PYTHONPATH="$top/tests/integration${PYTHONPATH:+:$PYTHONPATH}" \
    exec python3 - "$nm" <<'PYEOF'
import os, poplib, re, shutil, signal, socket, stat, subprocess, sys
import tempfile, time
from nmtest import check, finish, free_ports, wait_port

NM = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="t_ctl.")


def free_port():
    return free_ports(1)[0]

def pop3_counts(out):
    """now, total, max of the pop3 service in a STATS body."""
    m = re.search(r"service pop3: now (\d+) total (\d+) max (\d+) "
                  r"refused (\d+)", out)
    return tuple(int(x) for x in m.groups()[:3]) if m else (-1, -1, -1)

def wait_log(text, secs=10.0):
    end = time.time() + secs
    while time.time() < end:
        if text in open(logname, "rb").read():
            return True
        time.sleep(0.05)
    return False

p3, sm = free_ports(2)
store = os.path.join(tmp, "store")
conf = os.path.join(tmp, "newmail.conf")
with open(conf, "w") as f:
    f.write("hostname = localhost\n"
            "pop3.listen = 127.0.0.1:%d\n"
            "pop3.plaintext_auth = always\n"
            "smtp.listen = 127.0.0.1:%d\n"
            "store.root = %s\n"
            "service.user = \"\"\nlog.syslog = no\nlog.level = info\n"
            % (p3, sm, store))

def nm(args, stdin=None, pre=None):
    return subprocess.run((pre or []) + [NM, "-c", conf] + args,
                          input=stdin, capture_output=True, timeout=60)

r = nm(["user", "add", "alice@example.org", "--password-stdin"],
       b"s3cret-pw\n")
check("user add alice", r.returncode == 0, r.stderr)
MSG = b"Subject: tally\r\n\r\nfor the counters\r\n"
r = nm(["deliver", "alice@example.org"], MSG)
check("deliver one message", r.returncode == 0, r.stderr)

def mail_line(out, svc):
    """(messages, octets, other) of a "mail SVC:" STATS line."""
    m = re.search(r"mail %s: \w+ (\d+) octets (\d+) \w+ (\d+)" % svc, out)
    return tuple(int(x) for x in m.groups()) if m else None

r = nm(["ctl", "stats"])
check("ctl before any server exits 69", r.returncode == 69,
      (r.returncode, r.stderr))
r = nm(["ctl", "loglevel", "loud"])
check("ctl loglevel with a bad level exits 64", r.returncode == 64,
      (r.returncode, r.stderr))
r = nm(["ctl", "frobnicate"])
check("ctl with an unknown request exits 64", r.returncode == 64,
      (r.returncode, r.stderr))
r = nm(["ctl", "--help"])
check("ctl --help", r.returncode == 0 and b"loglevel" in r.stdout,
      (r.returncode, r.stdout, r.stderr))

logname = os.path.join(tmp, "serve.log")
log = open(logname, "wb")
srv = subprocess.Popen([NM, "-c", conf, "serve", "--stderr"],
                       stdin=subprocess.DEVNULL, stdout=log, stderr=log)
try:
    check("server listens", wait_port(p3))
    sock = os.path.join(store, "_CONTROL", "NEWMAIL")
    # The listeners are bound (and accept in the kernel) before the store
    # and its control channel are opened, after privileges are dropped.
    end = time.time() + 10
    while not os.path.exists(sock) and time.time() < end:
        time.sleep(0.05)
    st = os.lstat(sock)
    check("control socket is a socket, mode 0600",
          stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
          oct(st.st_mode))
    check("control directory is owner-only",
          stat.S_IMODE(os.stat(os.path.dirname(sock)).st_mode) & 0o077 == 0)

    pop = poplib.POP3("127.0.0.1", p3, timeout=30)
    pop.user("alice@example.org")
    pop.pass_("s3cret-pw")
    r = nm(["ctl", "stats"])
    out = r.stdout.decode("ascii", "replace")
    check("ctl stats exits 0", r.returncode == 0, (r.returncode, r.stderr))
    now, total1, peak = pop3_counts(out)
    # wait_port's probe was a session too: total counts it, now does not.
    check("stats shows the POP3 session now",
          now == 1 and total1 >= 1 and peak >= 1, out)
    check("stats shows version, level, uptime",
          "version: " in out and "log_level: info" in out and
          "uptime_seconds: " in out and "started: " in out, out)
    check("stats counts no mail before the session ends",
          mail_line(out, "pop3") == (0, 0, 0), out)
    got = b"\r\n".join(pop.retr(1)[1]) + b"\r\n"
    pop.dele(1)
    pop.quit()
    import smtplib
    with smtplib.SMTP("127.0.0.1", sm, timeout=30) as s:
        s.sendmail("bob@example.net", ["alice@example.org"], MSG)
    end = time.time() + 10
    while time.time() < end:
        out = nm(["ctl", "stats"]).stdout.decode("ascii", "replace")
        if mail_line(out, "smtp") not in (None, (0, 0, 0)):
            break
        time.sleep(0.1)
    check("stats: mail pop3 retrieved 1, its octets, deleted 1",
          "mail pop3: retrieved 1 octets %d deleted 1" % len(got) in out,
          out)
    m = mail_line(out, "smtp")
    check("stats: mail smtp accepted 1 for 1 recipient",
          "mail smtp: accepted 1 octets " in out and m is not None and
          m[0] == 1 and m[2] == 1 and m[1] >= len(MSG), out)
    try:
        pop2 = poplib.POP3("127.0.0.1", p3, timeout=30)
        pop2.user("alice@example.org")
        pop2.pass_("wrong-pw")
    except poplib.error_proto:
        pass
    pop2.close()
    time.sleep(0.3)
    r = nm(["ctl", "stats"])
    out = r.stdout.decode("ascii", "replace")
    now, total2, peak = pop3_counts(out)
    check("stats counts the ended session and the auth failure",
          now == 0 and total2 == total1 + 1 and "auth_failures: 1" in out,
          out)

    check("no debug line before loglevel debug",
          b"connection from" not in open(logname, "rb").read())
    r = nm(["ctl", "loglevel", "debug"])
    check("ctl loglevel debug exits 0", r.returncode == 0 and
          b"debug" in r.stdout, (r.returncode, r.stdout, r.stderr))
    socket.create_connection(("127.0.0.1", p3), 5).close()
    check("a debug line appears after loglevel debug",
          wait_log(b"connection from"))
    r = nm(["ctl", "stats"])
    check("stats shows the new level",
          b"log_level: debug" in r.stdout, r.stdout)

    r = nm(["ctl", "reload"])
    check("ctl reload exits 0", r.returncode == 0, (r.returncode, r.stderr))
    check("reload is logged", wait_log(b"reload requested"))

    # A raw client: a request that is too long, and a bad verb.
    for req, want in ((b"X" * 200 + b"\r\n", b"-ERR"),
                      (b"STATS now\r\n", b"-ERR bad request"),
                      (b"loglevel\r\n", b"-ERR bad request")):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(10)
        c.connect(sock)
        try:
            c.sendall(req)
        except OSError:
            pass
        got = b""
        try:
            while True:
                d = c.recv(4096)
                if not d:
                    break
                got += d
        except OSError:
            pass
        c.close()
        check("raw request %r refused" % req[:20], got.startswith(want), got)

    if os.geteuid() == 0 and shutil.which("setpriv"):
        # Let the other user read the configuration, not the store.
        os.chmod(tmp, 0o755)
        os.chmod(conf, 0o644)
        r = nm(["ctl", "stats"], pre=["setpriv", "--reuid=nobody",
                                      "--regid=nogroup", "--clear-groups"])
        check("another user is refused with 77", r.returncode == 77,
              (r.returncode, r.stderr))
        # Even with the directory opened up, the socket's mode and the peer
        # check keep the other user out.
        os.chmod(store, 0o755)
        os.chmod(os.path.dirname(sock), 0o755)
        r = nm(["ctl", "stats"], pre=["setpriv", "--reuid=nobody",
                                      "--regid=nogroup", "--clear-groups"])
        check("another user is refused with 77 through an open directory",
              r.returncode == 77, (r.returncode, r.stderr))
        os.chmod(os.path.dirname(sock), 0o700)
    else:
        print("skip another user (needs root and setpriv)")

    r = nm(["ctl", "shutdown"])
    check("ctl shutdown exits 0", r.returncode == 0, (r.returncode, r.stderr))
    try:
        srv.wait(30)
    except subprocess.TimeoutExpired:
        srv.kill()
        srv.wait()
    check("server exits 0 after ctl shutdown", srv.returncode == 0,
          open(logname, "rb").read()[-2000:])
    check("shutdown is logged", b"control: shutdown requested" in
          open(logname, "rb").read())
    r = nm(["ctl", "stats"])
    check("ctl against the stopped server exits 69", r.returncode == 69,
          (r.returncode, r.stderr))

    # A second start replaces the stale socket file.
    srv = subprocess.Popen([NM, "-c", conf, "serve", "--stderr"],
                           stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    check("server restarts over the stale socket", wait_port(p3))
    r = nm(["ctl", "stats"])
    check("ctl stats on the restarted server", r.returncode == 0 and
          b"total 0" in r.stdout, (r.returncode, r.stdout, r.stderr))
finally:
    if srv.poll() is None:
        srv.send_signal(signal.SIGTERM)
        try:
            srv.wait(30)
        except subprocess.TimeoutExpired:
            srv.kill()
    shutil.rmtree(tmp, ignore_errors=True)

finish()
PYEOF
