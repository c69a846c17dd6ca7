#!/bin/bash
# t_relay.sh - relay control, aliases, forwarding and the drip-feed
# defences through a running `newmail serve` (issue 5 items 3, 4, 6/H2):
#  - relay from 127.0.0.1 is allowed by default and the message is in the
#    outbound queue (newmail queue list, STORE/_QUEUE) when the 250 comes;
#  - with smtp.relay_clients excluding the client: 554 5.7.1, unless
#    authenticated (AUTH PLAIN over STARTTLS) or the domain is in
#    smtp.relay_zones (exact and leading-dot entries);
#  - each relay trick of group E is refused (554 5.7.1), also from a
#    client that may relay;
#  - mixed local and remote recipients: the local copy in NEWMAIL, the
#    remote one in the queue;
#  - an aliases file with a list, :include:, a remote member and
#    postmaster; an edit takes effect without a restart;
#  - per-account forwarding set with `newmail user set`, with and without
#    keep-a-copy;
#  - H2: a command trickled one byte every 2 s gets 421 within
#    smtp.command_deadline (10 s); a DATA below smtp.min_data_rate gets 421.
# Queued mail goes to relay.host, a closed loopback port, so entries stay.
#
# Usage: tests/integration/t_relay.sh [PATH-TO-NEWMAIL]
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.
# Needs python3 and the openssl command; uses only 127.0.0.1.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-${NEWMAIL:-$top/build/newmail}}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
if [ ! -x "$nm" ]; then
    echo "t_relay: $nm is not built (run make first)" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "t_relay: needs python3" >&2; exit 2; }

PYTHONPATH="$top/tests/integration${PYTHONPATH:+:$PYTHONPATH}" \
    exec python3 - "$nm" <<'PYEOF'
import os, poplib, re, shutil, signal, socket, ssl, subprocess, sys
import tempfile, time, base64
from nmtest import check, finish, free_ports, wait_port, make_cert

NM = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="t_relay.")
store = os.path.join(tmp, "store")
cert, key = make_cert(tmp)
p3, smtp, dead = free_ports(3)
conf = os.path.join(tmp, "newmail.conf")
aliases = os.path.join(tmp, "aliases")
include = os.path.join(tmp, "list.inc")
PW = "s3cret-pw"


def write_conf(extra=""):
    with open(conf, "w") as f:
        f.write("hostname = mail.example.org\ndomains = example.org\n"
                "pop3.listen = 127.0.0.1:%d\nsmtp.listen = 127.0.0.1:%d\n"
                "tls.cert = %s\ntls.key = %s\n"
                "store.root = %s\nservice.user = \"\"\nlog.syslog = no\n"
                "log.level = info\npop3.plaintext_auth = always\n"
                "aliases.file = %s\n"
                "relay.host = [127.0.0.1]:%d\nrelay.tls = none\n"
                "queue.first_retry = 3600\nqueue.retry_interval = 3600\n"
                "smtp.command_deadline = 10\n"
                "smtp.min_data_rate = 1000\nsmtp.data_rate_grace = 2\n%s"
                % (p3, smtp, cert, key, store, aliases, dead, extra))


def nm(args, stdin=None):
    return subprocess.run([NM, "-c", conf] + args, input=stdin,
                          capture_output=True, timeout=30)


logpath = os.path.join(tmp, "serve.log")


def serve():
    log = open(logpath, "ab")
    p = subprocess.Popen([NM, "-c", conf, "serve", "--stderr"],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    ok = wait_port(smtp) and wait_port(p3)
    return p, ok


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


def logtext():
    with open(logpath, "rb") as f:
        return f.read().decode("latin-1")


class Conv:
    """One SMTP conversation, a command at a time, replies parsed."""

    def __init__(self, port=None, timeout=30):
        self.s = socket.create_connection(("127.0.0.1", port or smtp),
                                          timeout)
        self.f = self.s.makefile("rb")
        self.greet = self.reply()

    def reply(self):
        lines = []
        while True:
            l = self.f.readline()
            if not l:
                break
            lines.append(l.rstrip(b"\r\n").decode("latin-1"))
            if l[3:4] != b"-":
                break
        return "\n".join(lines)

    def cmd(self, line):
        self.s.sendall(line.encode("latin-1") + b"\r\n")
        return self.reply()

    def starttls(self):
        r = self.cmd("STARTTLS")
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.s = ctx.wrap_socket(self.s, server_hostname="localhost")
        self.f = self.s.makefile("rb")
        return r

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def send(frm, rcpts, body=b"Subject: t\r\n\r\nhello\r\n", auth=False):
    """One message; returns (list of RCPT replies, final reply)."""
    c = Conv()
    c.cmd("EHLO client.example")
    if auth:
        c.starttls()
        c.cmd("EHLO client.example")
        tok = base64.b64encode(b"\0alice@example.org\0" + PW.encode())
        c.cmd("AUTH PLAIN " + tok.decode())
    c.cmd("MAIL FROM:<%s>" % frm)
    rr = [c.cmd("RCPT TO:%s" % (r if r.startswith("<") else "<%s>" % r))
          for r in rcpts]
    final = ""
    if any(r.startswith("250") for r in rr):
        d = c.cmd("DATA")
        if d.startswith("354"):
            c.s.sendall(body + b".\r\n")
            final = c.reply()
    c.cmd("QUIT")
    c.close()
    return rr, final


def qid(final):
    m = re.search(r"queued as ([A-Z0-9]{16})", final)
    return m.group(1) if m else None


def queue_has(addr, id_=None):
    r = nm(["queue", "list"])
    text = r.stdout.decode("latin-1")
    return addr in text and (id_ is None or id_ in text), text


def qfiles(id_):
    d = os.path.join(store, "_QUEUE")
    return [n for n in os.listdir(d) if n.upper().startswith(id_)] \
        if id_ and os.path.isdir(d) else []


def pop_count(user):
    pop = poplib.POP3("127.0.0.1", p3, timeout=10)
    pop.user(user + "@example.org")
    pop.pass_(PW)
    n = pop.stat()[0]
    pop.rset()
    pop.quit()
    return n


# --- accounts, aliases ---------------------------------------------------
with open(include, "w") as f:
    f.write("# members\nalice\n\nbob@example.org, carol@remote.test\n")
with open(aliases, "w") as f:
    f.write("# test aliases\npostmaster: alice\n"
            "team: alice,\n  bob, far@remote.test\n"
            "list: :include:%s\n"
            "ext: ext@remote.test\n" % include)
write_conf()
for u in ("alice", "bob", "fwd", "fwd2"):
    r = nm(["user", "add", u + "@example.org", "--password-stdin"],
           (PW + "\n").encode())
    check("user add " + u, r.returncode == 0, r.stderr)
r = nm(["user", "set", "fwd@example.org", "--forward", "out1@remote.test",
        "--keep-copy", "yes"])
check("user set --forward --keep-copy yes", r.returncode == 0, r.stderr)
r = nm(["user", "set", "fwd2@example.org", "--forward", "out2@remote.test",
        "--keep-copy", "no"])
check("user set --forward --keep-copy no", r.returncode == 0, r.stderr)

srv, ok = serve()
try:
    check("server listens", ok, logtext()[-800:])

    # relay from loopback (in the default smtp.relay_clients)
    rr, final = send("s@ext.example", ["r1@remote.test"])
    i1 = qid(final)
    check("loopback relay: RCPT 250", rr[0].startswith("250"), rr)
    check("loopback relay: 250 with the queue id", i1 is not None, final)
    has, text = queue_has("r1@remote.test", i1)
    check("queued before the 250: queue list shows it", has, text)
    check("queued before the 250: files in STORE/_QUEUE",
          len(qfiles(i1)) >= 2, os.listdir(os.path.join(store, "_QUEUE")))
    check("log line names the queue id",
          i1 is not None and ("queue=" + i1) in logtext(), logtext()[-600:])

    # every trick of group E refused, even for a client that may relay
    tricks = ["<r%other.test@remote.test>", "<other.test!r@remote.test>",
              "<\"r@other.test\"@remote.test>", "<@mx.remote.test:r@remote.test>",
              "<@example.org:r@remote.test>", "<\"r%other.test\"@remote.test>"]
    rr, final = send("s@ext.example", tricks)
    for t, r in zip(tricks, rr):
        check("group E %s: 554 5.7.1" % t, r.startswith("554 5.7.1"), r)
    local_tricks = ["<r%remote.test@example.org>", "<remote.test!r@example.org>",
                    "<\"r@remote.test\"@example.org>"]
    rr, final = send("s@ext.example", local_tricks)
    for t, r in zip(local_tricks, rr):
        check("group E %s: 550 5.1.1" % t, r.startswith("550 5.1.1"), r)
    rr, final = send("s@ext.example", ["<@remote.test:alice@example.org>",
                                        "<\"alice\"@example.org>"])
    check("route / quoted plain name to a local user: resolved",
          all(r.startswith("250") for r in rr), rr)

    # mixed local and remote
    a0 = pop_count("alice")
    rr, final = send("s@ext.example", ["alice@example.org", "r2@remote.test"])
    i2 = qid(final)
    check("mixed: 250 queued", i2 is not None, final)
    check("mixed: local copy in NEWMAIL", pop_count("alice") == a0 + 1)
    check("mixed: remote copy in the queue", queue_has("r2@remote.test",
                                                         i2)[0])

    # aliases: list with continuation, :include:, remote member, postmaster
    a0, b0 = pop_count("alice"), pop_count("bob")
    rr, final = send("s@ext.example", ["team@example.org"])
    check("alias list: accepted and queued", qid(final) is not None,
          (rr, final))
    check("alias list: local members delivered",
          pop_count("alice") == a0 + 1 and pop_count("bob") == b0 + 1)
    check("alias list: remote member queued",
          queue_has("far@remote.test", qid(final))[0])
    rr, final = send("s@ext.example", ["list@example.org"])
    check(":include: list: the included remote member queued",
          queue_has("carol@remote.test", qid(final))[0], (rr, final))
    check(":include: list: the included local members delivered",
          pop_count("alice") == a0 + 2 and pop_count("bob") == b0 + 2)
    rr, final = send("s@ext.example", ["ext@example.org"])
    check("alias to a remote address queued",
          queue_has("ext@remote.test", qid(final))[0], (rr, final))
    rr, final = send("s@ext.example", ["postmaster@example.org", "<postmaster>"])
    check("postmaster resolves", final.startswith("250") and
          pop_count("alice") == a0 + 3, (rr, final))
    rr, final = send("s@ext.example", ["newalias@example.org"])
    check("unknown before the edit: 550 5.1.1", rr[0].startswith("550 5.1.1"),
          rr)
    with open(aliases, "a") as f:
        f.write("newalias: bob\n")
    time.sleep(1.5)
    rr, final = send("s@ext.example", ["newalias@example.org"])
    check("an edit of the aliases file applies without restart",
          final.startswith("250") and pop_count("bob") == b0 + 3,
          (rr, final))
    with open(aliases, "a") as f:
        f.write("broken: |/bin/sh\n")
    time.sleep(1.5)
    rr, final = send("s@ext.example", ["newalias@example.org"])
    check("a broken edit keeps the table in use", final.startswith("250"),
          (rr, final))
    check("a broken edit is logged with its line",
          re.search(r"aliases:\d+: program targets", logtext()) is not None,
          logtext()[-600:])

    # forwarding
    f0, g0 = pop_count("fwd"), pop_count("fwd2")
    rr, final = send("s@ext.example", ["fwd@example.org"])
    check("forwarding with keep-copy: forwarded copy queued",
          queue_has("out1@remote.test", qid(final))[0], (rr, final))
    check("forwarding with keep-copy: local copy kept",
          pop_count("fwd") == f0 + 1)
    rr, final = send("s@ext.example", ["fwd2@example.org"])
    check("forwarding without keep-copy: queued",
          queue_has("out2@remote.test", qid(final))[0], (rr, final))
    check("forwarding without keep-copy: no local copy",
          pop_count("fwd2") == g0)

    # H2: a command line trickled in one byte every 2 s
    c = Conv(timeout=25)
    c.cmd("EHLO client.example")
    t0 = time.time()
    got = ""
    try:
        for ch in "MAIL FROM:<slow@ext.example>\r\n":
            c.s.sendall(ch.encode())
            time.sleep(2)
            c.s.settimeout(0.01)
            try:
                data = c.s.recv(200)
            except socket.timeout:
                data = None
            c.s.settimeout(25)
            if data is not None:
                got = data.decode("latin-1")
                break
            if time.time() - t0 > 20:
                break
    except OSError as e:
        got = got or str(e)
    dt = time.time() - t0
    c.close()
    check("drip-fed command: 421 4.4.2", got.startswith("421 4.4.2"), got)
    check("drip-fed command: cut within ~12 s", dt < 13.5, dt)

    # H2: DATA below smtp.min_data_rate (1000 B/s after a 2 s grace)
    c = Conv(timeout=25)
    c.cmd("EHLO client.example")
    c.cmd("MAIL FROM:<slow@ext.example>")
    c.cmd("RCPT TO:<alice@example.org>")
    d = c.cmd("DATA")
    t0 = time.time()
    got = ""
    try:
        for i in range(20):
            c.s.sendall(b"x")
            time.sleep(0.5)
            c.s.settimeout(0.01)
            try:
                data = c.s.recv(200)
            except socket.timeout:
                data = None
            c.s.settimeout(25)
            if data is not None:
                got = data.decode("latin-1")
                break
    except OSError as e:
        got = got or str(e)
    dt = time.time() - t0
    c.close()
    check("slow DATA: 354 first", d.startswith("354"), d)
    check("slow DATA: 421 4.4.2 after the grace", got.startswith("421 4.4.2")
          and 1.5 < dt < 6, (got, dt))
finally:
    stop(srv)

# a broken aliases file stops the start, naming FILE:LINE
r = subprocess.run([NM, "-c", conf, "serve", "--stderr"],
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
check("broken aliases file refused at startup with its line",
      r.returncode != 0 and re.search(rb"aliases:\d+: program targets",
                                      r.stdout + r.stderr) is not None,
      r.stderr[-300:])
with open(aliases) as f:
    good = [l for l in f if not l.startswith("broken:")]
with open(aliases, "w") as f:
    f.writelines(good)

# --- relay_clients excluding the client, relay zones, AUTH ----------------
write_conf("smtp.relay_clients = 10.0.0.0/8, 2001:db8::/32\n"
           "smtp.relay_zones = .zone.test, exact.test\n")
srv, ok = serve()
try:
    check("server restarted with relay_clients = 10.0.0.0/8", ok,
          logtext()[-800:])
    rr, final = send("s@ext.example", ["r3@remote.test"])
    check("client outside relay_clients: 554 5.7.1",
          rr[0].startswith("554 5.7.1") and "Relay access denied" in rr[0],
          rr)
    rr, final = send("s@ext.example", ["z@zone.test", "z@mx.zone.test",
                                       "z@exact.test", "z@sub.exact.test"])
    check("relay_zones: .zone.test covers the zone and its subdomains",
          rr[0].startswith("250") and rr[1].startswith("250"), rr)
    check("relay_zones: exact.test only exactly",
          rr[2].startswith("250") and rr[3].startswith("554 5.7.1"), rr)
    check("relay_zones: queued", queue_has("z@mx.zone.test", qid(final))[0],
          final)
    rr, final = send("alice@example.org", ["r4@remote.test"], auth=True)
    check("authenticated (AUTH PLAIN over STARTTLS): relay allowed",
          rr[0].startswith("250") and qid(final) is not None, (rr, final))
    check("authenticated relay queued", queue_has("r4@remote.test",
                                                   qid(final))[0])
    rr, final = send("s@ext.example", ["alice@example.org"])
    check("local delivery still open to everyone", final.startswith("250"),
          (rr, final))
    rr, final = send("s@ext.example", ["<r%remote.test@zone.test>"])
    check("group E into a relay zone: 554 5.7.1",
          rr[0].startswith("554 5.7.1"), rr)
finally:
    stop(srv)

# a bad network is a configuration error naming the item
write_conf("smtp.relay_clients = 10.0.0.0/8, 10.1/16\n")
r = subprocess.run([NM, "-c", conf, "serve", "--stderr"],
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
check("bad relay_clients refused at startup",
      r.returncode != 0 and b"10.1/16" in r.stdout + r.stderr,
      (r.returncode, r.stderr[-300:]))

shutil.rmtree(tmp, ignore_errors=True)
finish()
PYEOF
