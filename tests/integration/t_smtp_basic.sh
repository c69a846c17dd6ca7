#!/bin/bash
# t_smtp_basic.sh - end to end through the real server: mail sent with
# Python smtplib to `newmail serve` (inbound SMTP, and submission with
# STARTTLS and AUTH) is delivered durably into NEWMAIL and fetched back with
# poplib byte for byte (the Return-Path and Received headers the server adds
# aside); unknown users get 550 at RCPT, relay gets 554 5.7.1, plaintext
# AUTH mechanisms are not offered before TLS, and a smuggling attempt (group A1: LF . CRLF) never
# makes two messages; `newmail smtpd --inetd --service lmtp` serves one LMTP
# session on an inherited socket.
#
# Usage: tests/integration/t_smtp_basic.sh [PATH-TO-NEWMAIL]
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.
# Needs python3 and the openssl command; uses only 127.0.0.1.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-$top/build/newmail}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
if [ ! -x "$nm" ]; then
    echo "t_smtp_basic: $nm is not built (run make first)" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "t_smtp_basic: needs python3" >&2; exit 2; }

PYTHONPATH="$top/tests/integration${PYTHONPATH:+:$PYTHONPATH}" \
    exec python3 - "$nm" <<'PYEOF'
import os, poplib, signal, smtplib, socket, ssl, subprocess, sys, tempfile
import time, shutil
from nmtest import check, finish, free_ports, wait_port, make_cert

NM = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="t_smtp_basic.")

cert, key = make_cert(tmp)
p3, smtp, sub = free_ports(3)
conf = os.path.join(tmp, "newmail.conf")
with open(conf, "w") as f:
    f.write("hostname = localhost\n"
            "pop3.listen = 127.0.0.1:%d\n"
            "smtp.listen = 127.0.0.1:%d\n"
            "submission.listen = 127.0.0.1:%d\n"
            "tls.cert = %s\ntls.key = %s\n"
            "smtp.relay_clients = 192.0.2.0/24\n"
            "store.root = %s\n"
            "service.user = \"\"\nlog.syslog = no\nlog.level = info\n"
            % (p3, smtp, sub, cert, key, os.path.join(tmp, "store")))

def nm(args, stdin=None):
    return subprocess.run([NM, "-c", conf] + args, input=stdin,
                          capture_output=True, timeout=60)

r = nm(["user", "add", "alice@example.org", "--password-stdin"],
       b"s3cret-pw\n")
check("user add alice", r.returncode == 0, r.stderr)

log = open(os.path.join(tmp, "serve.log"), "wb")
srv = subprocess.Popen([NM, "-c", conf, "serve", "--stderr"],
                       stdin=subprocess.DEVNULL, stdout=log, stderr=log)
try:
    check("server listens on smtp, submission, pop3",
          wait_port(smtp) and wait_port(sub) and wait_port(p3))
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    body1 = (b"From: bob@remote.example\r\nTo: alice@example.org\r\n"
             b"Subject: one\r\n\r\nline 1\r\n.dot line\r\n\r\nlast\r\n")
    with smtplib.SMTP("127.0.0.1", smtp, timeout=30) as s:
        code, _ = s.ehlo("client.example")
        check("EHLO 250", code == 250)
        mechs = (s.esmtp_features.get("auth") or "").upper().split()
        check("no plaintext AUTH mechanism before TLS",
              "PLAIN" not in mechs and "LOGIN" not in mechs, mechs)
        try:
            s.sendmail("bob@remote.example", ["alice@example.org"], body1)
            check("inbound delivery accepted", True)
        except smtplib.SMTPException as e:
            check("inbound delivery accepted", False, e)
        try:
            s.sendmail("bob@remote.example", ["nobody@example.org"], b"x\r\n")
            check("unknown user refused", False, "accepted")
        except smtplib.SMTPRecipientsRefused as e:
            code = list(e.recipients.values())[0][0]
            check("unknown user refused with 550 at RCPT", code == 550, e)
        try:
            s.sendmail("bob@remote.example", ["x@elsewhere.example"], b"x\r\n")
            check("relay refused", False, "accepted")
        except smtplib.SMTPRecipientsRefused as e:
            code, text = list(e.recipients.values())[0]
            check("relay refused with 554 5.7.1", code == 554 and
                  b"5.7.1" in text, e)

    body2 = (b"From: alice@example.org\r\nTo: alice@example.org\r\n"
             b"Subject: two\r\n\r\nsent through submission\r\n")
    with smtplib.SMTP("127.0.0.1", sub, timeout=30) as s:
        s.ehlo("client.example")
        try:
            s.sendmail("alice@example.org", ["alice@example.org"], body2)
            check("submission refuses MAIL before AUTH", False, "accepted")
        except smtplib.SMTPSenderRefused as e:
            check("submission refuses MAIL before AUTH (530)",
                  e.smtp_code == 530, e)
        s.starttls(context=ctx)
        s.ehlo("client.example")
        check("AUTH offered after STARTTLS", s.has_extn("auth"))
        try:
            s.login("alice@example.org", "wrong-pw")
            check("wrong password refused", False, "accepted")
        except smtplib.SMTPAuthenticationError as e:
            check("wrong password refused with 535", e.smtp_code == 535, e)
        s.login("alice@example.org", "s3cret-pw")
        s.sendmail("alice@example.org", ["alice@example.org"], body2)
        check("authenticated submission accepted", True)

    # A1: "LF . CRLF" inside DATA must never end the message.
    raw = socket.create_connection(("127.0.0.1", smtp), 30)
    f = raw.makefile("rb")
    f.readline()
    raw.sendall(b"EHLO x.example\r\n")
    while True:
        line = f.readline()
        if line[3:4] != b"-":
            break
    raw.sendall(b"MAIL FROM:<a@remote.example>\r\n"
                b"RCPT TO:<alice@example.org>\r\nDATA\r\n")
    replies = [f.readline() for _ in range(3)]
    raw.sendall(b"Subject: t\r\n\r\nhi\n.\r\nMAIL FROM:<spoof@x.example>\r\n"
                b"RCPT TO:<alice@example.org>\r\nDATA\r\nFrom: spoof\r\n\r\n"
                b"evil\r\n.\r\nQUIT\r\n")
    rest = b""
    raw.settimeout(30)
    while True:
        chunk = raw.recv(4096)
        if not chunk:
            break
        rest += chunk
    raw.close()
    finals = [l for l in rest.split(b"\r\n") if l[:1] in (b"2", b"5")]
    check("smuggling: exactly one end-of-data reply, then QUIT",
          replies[2].startswith(b"354") and len(finals) == 2 and
          finals[-1].startswith(b"221"), rest)
    smuggle_rejected = finals[0].startswith(b"5")

    # Per-connection mode: one LMTP session on an inherited socket (as
    # inetd or systemd Accept=yes would start it), per-recipient replies.
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    cl = socket.create_connection(ls.getsockname(), 5)
    conn, _ = ls.accept()
    child = subprocess.Popen([NM, "-c", conf, "smtpd", "--inetd",
                              "--service", "lmtp"], stdin=conn.fileno(),
                             stdout=conn.fileno(), stderr=subprocess.DEVNULL)
    conn.close()
    ls.close()
    cl.settimeout(30)
    cf = cl.makefile("rwb")
    greet = cf.readline()
    cf.write(b"LHLO x.example\r\n")
    cf.flush()
    while True:
        line = cf.readline()
        if not line or line[3:4] != b"-":
            break
    body3 = b"Subject: three\r\n\r\nby lmtp\r\n"
    cf.write(b"MAIL FROM:<m@remote.example>\r\nRCPT TO:<alice@example.org>\r\n"
             b"RCPT TO:<nobody@example.org>\r\nDATA\r\n")
    cf.flush()
    r = [cf.readline() for _ in range(4)]
    cf.write(body3 + b".\r\nQUIT\r\n")
    cf.flush()
    final = [cf.readline() for _ in range(2)]
    try:
        rc = child.wait(30)
    except subprocess.TimeoutExpired:
        child.kill()
        rc = None
    cl.close()
    check("smtpd --inetd: LMTP greeting, unknown RCPT 550, one reply per "
          "accepted recipient, exit 0",
          greet.startswith(b"220") and r[1].startswith(b"250") and
          r[2].startswith(b"550") and r[3].startswith(b"354") and
          final[0].startswith(b"250") and final[1].startswith(b"221") and
          rc == 0, (greet, r, final, rc))

    pop = poplib.POP3("127.0.0.1", p3, timeout=30)
    pop.stls(context=ctx)
    pop.user("alice@example.org")
    pop.pass_("s3cret-pw")
    count, octets = pop.stat()
    expect = 3 + (0 if smuggle_rejected else 1)
    check("POP3 sees %d messages" % expect, count == expect,
          "count %d" % count)
    def strip_added(lines):
        # The server prepends Return-Path and Received (possibly folded).
        i = 0
        while i < len(lines) and (lines[i].startswith(b"Return-Path:") or
                                  lines[i].startswith(b"Received:") or
                                  lines[i][:1] in (b" ", b"\t")):
            i += 1
        return b"\r\n".join(lines[i:]) + b"\r\n"
    got = [strip_added(pop.retr(i + 1)[1]) for i in range(count)]
    check("message 1 byte for byte", body1 in got, got)
    check("message 2 byte for byte", body2 in got, got)
    check("LMTP message byte for byte", body3 in got, got)
    sizes = pop.list()[1]
    total = sum(int(x.split()[1]) for x in sizes)
    check("LIST sizes add up to STAT", total == octets)
    pop.quit()
finally:
    srv.send_signal(signal.SIGTERM)
    try:
        srv.wait(30)
    except subprocess.TimeoutExpired:
        srv.kill()
    check("server exits 0 on SIGTERM", srv.returncode == 0,
          open(os.path.join(tmp, "serve.log"), "rb").read()[-2000:])
    # The daemon gathers received-mail counters in memory (au_pend.c)
    # and writes them at shutdown at the latest: every delivery counts.
    r = nm(["user", "show", "alice@example.org"])
    rx = [l.split()[1] for l in r.stdout.decode().splitlines()
          if l.startswith("rx_msgs")]
    check("rx_msgs counts every delivery after shutdown",
          rx == [str(count)], (rx, count))
    shutil.rmtree(tmp, ignore_errors=True)

finish()
PYEOF
