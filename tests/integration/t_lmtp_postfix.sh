#!/bin/bash
# t_lmtp_postfix.sh - Postfix's lmtp client delivering into the popstore
# (issue 5, "LMTP from Postfix's lmtp client"): a private Postfix
# instance (its own config_directory, queue_directory and data_directory
# in a temporary directory, smtpd on a free 127.0.0.1 port, example.org
# in mydestination with local_transport = lmtp:inet:127.0.0.1:PORT)
# hands mail to `newmail serve`'s lmtp.listen:
#
#   - a message sent with swaks to Postfix's smtpd arrives in the NEWMAIL
#     of alice@example.org (read with Python poplib) byte for byte, apart
#     from the trace headers added on the way (Return-Path, Received);
#   - a message to an unknown user: newmail answers 550 at RCPT (Postfix's
#     log says so), and Postfix returns a bounce to the sender
#     (bouncebox@example.org, also a newmail account) naming the user.
#
# Needs root (Postfix's master starts as root and drops to postfix); as
# another user it prints "SKIP ... needs root" and exits 0.  Every wait
# is bounded; Postfix and newmail are stopped at the end, also on failure.
#
# Usage: tests/integration/t_lmtp_postfix.sh [PATH-TO-NEWMAIL]
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.
# Needs python3, openssl, swaks and postfix (tests/tools/deps.sh).

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-$top/build/newmail}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
if [ ! -x "$nm" ]; then
    echo "t_lmtp_postfix: $nm is not built (run make first)" >&2
    exit 2
fi
if [ "$(id -u)" != 0 ]; then
    echo "SKIP t_lmtp_postfix: needs root (Postfix's master runs as root)"
    exit 0
fi
command -v python3 >/dev/null || { echo "t_lmtp_postfix: needs python3" >&2; exit 2; }

PYTHONPATH="$top/tests/integration${PYTHONPATH:+:$PYTHONPATH}" \
    exec python3 - "$nm" <<'PYEOF'
import os, poplib, pwd, re, shutil, signal, subprocess, sys, tempfile, time
from nmtest import check, finish, free_ports, wait_port

NM = sys.argv[1]
T = 60                               # bound of every command and wait
tmp = tempfile.mkdtemp(prefix="t_lmtp_postfix.")
os.chmod(tmp, 0o755)                 # Postfix's daemons run as postfix
PW = "lmtp-pw"
P3, LMTP, PSMTP = free_ports(3)
etc = os.path.join(tmp, "pf", "etc")
spool = os.path.join(tmp, "pf", "spool")
data = os.path.join(tmp, "pf", "data")
maillog = os.path.join(tmp, "pf", "maillog")
srv = None
pf_started = False


def run(args, stdin=None):
    try:
        return subprocess.run(args, input=stdin, capture_output=True,
                              timeout=T)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, -999, b"", b"timed out")


def why(r):
    return (b"exit %d: %s %s" % (r.returncode, r.stdout[-500:],
                                 r.stderr[-500:])).decode("utf-8", "replace")


def pop_msgs(user):
    """Every message of USER's NEWMAIL as bytes (CRLF), [] on error."""
    try:
        p = poplib.POP3("127.0.0.1", P3, timeout=30)
        p.user(user)
        p.pass_(PW)
        n = p.stat()[0]
        msgs = [b"\r\n".join(p.retr(i)[1]) + b"\r\n"
                for i in range(1, n + 1)]
        p.quit()
        return msgs
    except (OSError, poplib.error_proto):
        return []


def wait_msgs(user, n):
    end = time.time() + T
    while time.time() < end:
        m = pop_msgs(user)
        if len(m) >= n:
            return m
        time.sleep(0.5)
    return pop_msgs(user)


def strip_trace(msg):
    """The message without the trace header fields at its top."""
    lines = msg.split(b"\r\n")
    i = 0
    while i < len(lines) and re.match(
            rb"(?i)(return-path|received|delivered-to|x-original-to):",
            lines[i]):
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    return b"\r\n".join(lines[i:])


def postfix_stop():
    run(["postfix", "-c", etc, "stop"])
    pidf = os.path.join(spool, "pid", "master.pid")
    try:
        pid = int(open(pidf).read().strip())
    except (OSError, ValueError):
        return
    end = time.time() + 10
    while time.time() < end:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


try:
    for cmd in ("postfix", "swaks"):
        check("%s installed" % cmd, shutil.which(cmd) is not None,
              "install it: sh tests/tools/deps.sh")

    # --- newmail with an LMTP listener -----------------------------------
    conf = os.path.join(tmp, "newmail.conf")
    with open(conf, "w") as f:
        f.write("hostname = localhost\n"
                "pop3.listen = 127.0.0.1:%d\n"
                "lmtp.listen = 127.0.0.1:%d\n"
                "store.root = %s\n"
                "pop3.leave_in_newmail = yes\n"
                "pop3.plaintext_auth = always\n"
                "service.user = \"\"\nlog.syslog = no\nlog.level = info\n"
                % (P3, LMTP, os.path.join(tmp, "store")))
    for u in ("alice@example.org", "bouncebox@example.org"):
        r = run([NM, "-c", conf, "user", "add", u, "--password-stdin"],
                (PW + "\n").encode())
        check("user add " + u, r.returncode == 0, why(r))
    srv = subprocess.Popen([NM, "-c", conf, "serve", "--stderr"],
                           stdout=subprocess.DEVNULL,
                           stderr=open(os.path.join(tmp, "serve.log"), "w"))
    check("newmail listens on POP3 and LMTP",
          wait_port(P3, 20) and wait_port(LMTP, 5))

    # --- the private Postfix ---------------------------------------------
    for d in (etc, spool, data):
        os.makedirs(d)
    pw = pwd.getpwnam("postfix")
    os.chown(data, pw.pw_uid, pw.pw_gid)
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write("compatibility_level = 3.6\n"
                "queue_directory = %s\ndata_directory = %s\n"
                "mail_owner = postfix\nsetgid_group = postdrop\n"
                "myhostname = postfix.test.localdomain\n"
                "mydomain = localdomain\n"
                "mydestination = example.org\n"
                "local_recipient_maps =\n"
                "local_transport = lmtp:inet:127.0.0.1:%d\n"
                "alias_maps =\nalias_database =\n"
                "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n"
                "mynetworks = 127.0.0.0/8\n"
                "maillog_file_prefixes = %s\n"
                "maillog_file = %s\n"
                % (spool, data, LMTP, tmp, maillog))
    # Debian's services without chroot; smtpd on the test's port.
    with open("/etc/postfix/master.cf") as src, \
            open(os.path.join(etc, "master.cf"), "w") as dst:
        for line in src:
            f = line.split()
            if line[:1] in ("#", " ", "\t") or len(f) < 8:
                dst.write(line)
                continue
            if f[0] == "smtp" and f[1] == "inet":
                f[0] = "127.0.0.1:%d" % PSMTP
            f[4] = "n"
            dst.write(" ".join(f) + "\n")
    r = run(["postfix", "-c", etc, "check"])
    check("postfix check of the private instance", r.returncode == 0,
          why(r))
    r = run(["postfix", "-c", etc, "start"])
    pf_started = r.returncode == 0
    check("postfix -c DIR start", pf_started, why(r))
    if not check("Postfix smtpd listens", wait_port(PSMTP, 20)):
        raise SystemExit(0)        # nothing below can pass; finish() says

    # --- a message through Postfix into NEWMAIL ----------------------------
    body = (b"From: Bounce Box <bouncebox@example.org>\r\n"
            b"To: Alice <alice@example.org>\r\n"
            b"Subject: through Postfix's lmtp client\r\n"
            b"Date: Sun, 22 Nov 2026 09:00:00 +0000\r\n"
            b"Message-ID: <lmtp-test-1@example.org>\r\n"
            b"\r\n"
            b"first line\r\n"
            b".a line that starts with a dot\r\n"
            b"  indented line, trailing space \r\n"
            b"\r\n"
            b"last line\r\n")
    data_file = os.path.join(tmp, "msg.eml")
    with open(data_file, "wb") as f:
        # swaks ends the data with CRLF "." CRLF itself: a file that ended
        # in CRLF would gain an empty line.
        f.write(body[:-2])
    r = run(["swaks", "--server", "127.0.0.1", "--port", str(PSMTP),
             "--from", "bouncebox@example.org", "--to", "alice@example.org",
             "--data", "@" + data_file])
    check("swaks to Postfix's smtpd: accepted", r.returncode == 0, why(r))
    got = wait_msgs("alice@example.org", 1)
    check("the message arrives in alice's NEWMAIL within %d s" % T,
          len(got) == 1, "messages: %d" % len(got))
    if got:
        check("byte for byte, apart from the trace headers added",
              strip_trace(got[0]) == body,
              "got:\n%r\nsent:\n%r" % (got[0][:900], body))
        check("newmail's Return-Path names the envelope sender",
              got[0].startswith(b"Return-Path: <bouncebox@example.org>"),
              got[0][:200])

    # --- an unknown user: 550 at RCPT, Postfix's bounce ------------------
    r = run(["swaks", "--server", "127.0.0.1", "--port", str(PSMTP),
             "--from", "bouncebox@example.org",
             "--to", "nosuch@example.org",
             "--header", "Subject: to nobody"])
    check("swaks to an unknown user: Postfix accepts (it cannot know)",
          r.returncode == 0, why(r))
    bounces = wait_msgs("bouncebox@example.org", 1)
    check("Postfix's bounce reaches the sender within %d s" % T,
          len(bounces) == 1, "messages: %d" % len(bounces))
    if bounces:
        b = bounces[0]
        check("the bounce is Postfix's and names the user",
              b"nosuch@example.org" in b
              and b"Undelivered Mail Returned to Sender" in b, b[:900])
    log = b""
    end = time.time() + T
    while time.time() < end:
        try:
            log = open(maillog, "rb").read()
        except OSError:
            log = b""
        if b"status=bounced" in log:
            break
        time.sleep(0.5)
    check("newmail said 550 at RCPT (Postfix's log)",
          re.search(rb"to=<nosuch@example\.org>.*said: 550 .*"
                    rb"in reply to RCPT TO command", log) is not None,
          "\n".join(l.decode("utf-8", "replace") for l in log.splitlines()
                    if b"nosuch" in l)[-900:])
    check("alice still has exactly the one message",
          len(pop_msgs("alice@example.org")) == 1)
except SystemExit:
    pass
finally:
    if pf_started or os.path.isdir(spool):
        postfix_stop()
    if srv is not None:
        srv.terminate()
        try:
            srv.wait(timeout=10)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait(timeout=10)
    shutil.rmtree(tmp, ignore_errors=True)
finish()
PYEOF
