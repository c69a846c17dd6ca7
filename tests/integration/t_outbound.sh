#!/bin/bash
# t_outbound.sh - the queue runner inside `newmail serve` (issue 6 items 2,
# 3 and 5) end to end: mail relayed by a loopback client with smtplib goes
# through the queue to scripted SMTP sinks (threads of this script) on
# fixed routes (outbound.routes) and by MX through dnsmasq on a loopback
# port:
#
#   delivered byte for byte (the trace headers we add aside); 451 on the
#   first attempt, then delivered on the retry; 550 -> an RFC 3464 bounce
#   (multipart/report naming the recipient) in the sender's popstore
#   mailbox, fetched with poplib; connection refused -> still queued, and
#   `newmail queue list` shows why; TLS required (outbound.
#   tls_required_domains) to a sink without STARTTLS -> deferred, nothing
#   sent; 120 recipients in one transaction; two MX hosts, the better one
#   down -> delivered to the second; a null-sender message that fails ->
#   no bounce; a local alias with a remote and a local target (queued by
#   `newmail sendmail`); local recipients through the queue: unknown
#   (5.1.1 bounce), over quota for good (5.2.2 bounce), over quota for now
#   (4.2.2, kept); STATS has the queue counters; kill -9 of the server while a
#   slow sink holds its reply, restart -> delivered again (at least once),
#   nothing lost; a damaged envelope (one byte changed) is logged and shown
#   by `newmail queue list`, never delivered; `newmail ctl flush` delivers
#   an entry whose next retry is a minute away; one delay notice
#   (queue.delay_warning) for a deferred message; a success report for
#   NOTIFY=SUCCESS.
#
# Usage: tests/integration/t_outbound.sh [PATH-TO-NEWMAIL]
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.
# Needs python3 and dnsmasq (the MX checks are reported as failures without
# it); uses only loopback addresses (127.0.0.1, and 127.0.0.2/3 as the two
# mail exchangers).  Every wait is bounded; the whole run takes ~30 s.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-${NEWMAIL:-$top/build/newmail}}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
if [ ! -x "$nm" ]; then
    echo "t_outbound: $nm is not built (run make first)" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "t_outbound: needs python3" >&2; exit 2; }

PYTHONPATH="$top/tests/integration${PYTHONPATH:+:$PYTHONPATH}" \
    exec python3 - "$nm" <<'PYEOF'
import os, poplib, pwd, re, signal, shutil, smtplib, socket, subprocess, sys
import tempfile, threading, time
from nmtest import check, finish, free_ports, wait_port

NM = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="t_outbound.")
store = os.path.join(tmp, "store")
conf = os.path.join(tmp, "newmail.conf")
DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"


class Sink:
    """A scripted SMTP server thread on (addr, port).  mode: "ok"; "temp"
    (451 after the first DATA, then 250); "perm" (550 to every RCPT);
    "slow" (the first reply after DATA comes `delay` s late).  No STARTTLS,
    PIPELINING offered.  msgs: (from, [rcpts], data) accepted with 250."""

    def __init__(self, addr, port, mode="ok", delay=0.0):
        self.addr, self.port, self.mode, self.delay = addr, port, mode, delay
        self.msgs, self.datas, self.sessions = [], 0, 0
        self.mu = threading.Lock()
        self.stop = False
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind((addr, port))
        self.ls.listen(16)
        self.ls.settimeout(0.3)
        self.thr = threading.Thread(target=self.loop, daemon=True)
        self.thr.start()

    def loop(self):
        while not self.stop:
            try:
                c, _ = self.ls.accept()
            except OSError:
                continue
            threading.Thread(target=self.session, args=(c,),
                             daemon=True).start()
        self.ls.close()

    def close(self):
        self.stop = True
        self.thr.join(5)

    def session(self, c):
        with self.mu:
            self.sessions += 1
        c.settimeout(20)
        buf = b""
        sender, rcpts = None, []

        def line():
            nonlocal buf
            while b"\r\n" not in buf:
                d = c.recv(65536)
                if not d:
                    raise EOFError()
                buf += d
            ln, buf = buf.split(b"\r\n", 1)
            return ln.decode("latin-1")

        try:
            c.sendall(b"220 sink ESMTP\r\n")
            while True:
                ln = line()
                verb = ln[:4].upper()
                if verb == "EHLO":
                    c.sendall(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                elif verb == "HELO":
                    c.sendall(b"250 sink\r\n")
                elif verb == "MAIL":
                    sender = ln.split(":", 1)[1].split(" ")[0].strip("<>")
                    rcpts = []
                    c.sendall(b"250 2.1.0 ok\r\n")
                elif verb == "RCPT":
                    if self.mode == "perm":
                        c.sendall(b"550 5.1.1 no such user here\r\n")
                    else:
                        rcpts.append(ln.split(":", 1)[1].split(" ")[0]
                                     .strip("<>"))
                        c.sendall(b"250 2.1.5 ok\r\n")
                elif verb == "DATA":
                    if not rcpts:
                        c.sendall(b"554 5.5.1 no valid recipients\r\n")
                        continue
                    c.sendall(b"354 go\r\n")
                    while b"\r\n.\r\n" not in b"\r\n" + buf:
                        d = c.recv(65536)
                        if not d:
                            raise EOFError()
                        buf += d
                    i = (b"\r\n" + buf).find(b"\r\n.\r\n")
                    data, buf = buf[:i], buf[i + 3:]
                    data = re.sub(rb"(?m)^\.\.", b".", data)
                    with self.mu:
                        self.datas += 1
                        first = self.datas == 1
                    if self.mode == "temp" and first:
                        c.sendall(b"451 4.3.0 try again later\r\n")
                        continue
                    if self.mode == "slow" and first:
                        time.sleep(self.delay)
                    with self.mu:
                        self.msgs.append((sender, rcpts, data))
                    c.sendall(b"250 2.0.0 queued\r\n")
                elif verb == "QUIT":
                    c.sendall(b"221 2.0.0 bye\r\n")
                    break
                else:
                    c.sendall(b"250 2.0.0 ok\r\n")
        except (OSError, EOFError):
            pass
        finally:
            c.close()

    def got(self, rcpt):
        with self.mu:
            return [m for m in self.msgs if rcpt in m[1]]


def wait_for(cond, secs):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


(p3, smtp, p_ok, p_temp, p_perm, p_refused, p_slow, p_mx,
 p_dns) = free_ports(9)


def write_conf(retry):
    with open(conf, "w") as f:
        f.write("hostname = mail.example.org\ndomains = example.org\n"
                "pop3.listen = 127.0.0.1:%d\nsmtp.listen = 127.0.0.1:%d\n"
                "store.root = %s\nservice.user = \"\"\nlog.syslog = no\n"
                "log.level = info\nsmtp.max_recipients = 200\n"
                "pop3.plaintext_auth = always\naliases.file = %s\n"
                "queue.first_retry = %d\nqueue.retry_interval = %d\n"
                "queue.scan_interval = 1\nqueue.maximum_lifetime = 1h\n"
                "queue.delay_warning = 2\n"
                "outbound.port = %d\noutbound.connect_timeout = 3\n"
                "outbound.routes = ok.test=[127.0.0.1]:%d, "
                "temp.test=[127.0.0.1]:%d, perm.test=[127.0.0.1]:%d, "
                "refused.test=[127.0.0.1]:%d, slow.test=[127.0.0.1]:%d, "
                "tls.test=[127.0.0.1]:%d\n"
                "outbound.tls_required_domains = tls.test\n"
                "dns.servers = 127.0.0.1:%d\ndns.timeout = 2\n"
                % (p3, smtp, store, aliases, retry, retry, p_mx, p_ok, p_temp,
                   p_perm, p_refused, p_slow, p_ok, p_dns))


def nm(args, stdin=None):
    return subprocess.run([NM, "-c", conf] + args, input=stdin,
                          capture_output=True, timeout=30)


logpath = os.path.join(tmp, "serve.log")


def serve():
    log = open(logpath, "ab")
    return subprocess.Popen([NM, "-c", conf, "serve", "--stderr"],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)


def logtext():
    with open(logpath, "rb") as f:
        return f.read().decode("latin-1")


def queue_list():
    r = nm(["queue", "list"])
    return r.stdout.decode("latin-1") + r.stderr.decode("latin-1")


def relay(frm, to, body):
    with smtplib.SMTP("127.0.0.1", smtp, timeout=30) as s:
        s.ehlo("client.example")
        s.sendmail(frm, to, body)


def msg(subject, to):
    return (b"From: alice@example.org\r\nTo: %s\r\nSubject: %s\r\n\r\n"
            b"line one\r\n.leading dot\r\n\r\nlast line\r\n"
            % (to.encode(), subject.encode()))


aliases = os.path.join(tmp, "aliases")
with open(aliases, "w") as f:
    f.write("postmaster: alice@example.org\n"
            "fwd: zed@ok.test, alice@example.org\n")
# start-up refusals: a bad route, an unreadable relay password
for extra, what in (("outbound.routes = nodomain\n", b"outbound.routes"),
                    ("relay.host = smart.test\nrelay.auth_user = u\n"
                     "relay.auth_password_file = %s/none\n" % tmp,
                     b"relay.auth_password_file")):
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write("smtp.listen = 127.0.0.1:%d\nstore.root = %s\n"
                "service.user = \"\"\nlog.syslog = no\n%s"
                % (smtp, store, extra))
    r = subprocess.run([NM, "-c", bad, "serve", "--stderr"],
                       capture_output=True, timeout=30)
    check("serve refuses to start: " + what.decode(),
          r.returncode != 0 and what in r.stderr, (r.returncode, r.stderr))

write_conf(1)
r = nm(["user", "add", "alice@example.org", "--password-stdin"],
       b"s3cret-pw\n")
check("user add alice", r.returncode == 0, r.stderr)

for u, q in (("tiny", ["--quota", "1K", "--overdraft", "0"]),
             ("full", ["--quota", "1K", "--overdraft", "10K"])):
    r = nm(["user", "add", u + "@example.org", "--no-password"] + q)
    check("user add " + u, r.returncode == 0, r.stderr)

sinks = {
    "ok": Sink("127.0.0.1", p_ok), "temp": Sink("127.0.0.1", p_temp, "temp"),
    "perm": Sink("127.0.0.1", p_perm, "perm"),
    "slow": Sink("127.0.0.1", p_slow, "slow", 6.0),
}
mx2 = None
try:
    mx2 = Sink("127.0.0.3", p_mx)
except OSError as e:
    check("second MX sink on 127.0.0.3", False, e)
dns = None
if os.path.exists(DNSMASQ):
    dns = subprocess.Popen(
        [DNSMASQ, "-k", "-C", "/dev/null", "--port=%d" % p_dns,
         "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv",
         "--no-hosts", "--pid-file",
         "--user=" + pwd.getpwuid(os.getuid()).pw_name,
         "--mx-host=mx.test,mx1.mx.test,10",
         "--mx-host=mx.test,mx2.mx.test,20",
         "--host-record=mx1.mx.test,127.0.0.2",
         "--host-record=mx2.mx.test,127.0.0.3"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
check("dnsmasq available", dns is not None, DNSMASQ)

srv = serve()
srv2 = None
try:
    check("server listens", wait_port(smtp) and wait_port(p3))
    t0 = time.time()
    b_ok = msg("ok", "bob@ok.test")
    relay("alice@example.org", ["bob@ok.test"], b_ok)
    relay("alice@example.org", ["carol@temp.test"], msg("temp", "carol"))
    relay("alice@example.org", ["dave@perm.test"], msg("perm", "dave"))
    relay("alice@example.org", ["erin@refused.test"], msg("ref", "erin"))
    relay("alice@example.org", ["frank@tls.test"], msg("tls", "frank"))
    many = ["r%d@ok.test" % i for i in range(120)]
    relay("alice@example.org", many, msg("many", "list"))
    if mx2 is not None:
        relay("alice@example.org", ["gina@mx.test"], msg("mx", "gina"))
    relay("", ["ivan@perm.test"], msg("null", "ivan"))
    with smtplib.SMTP("127.0.0.1", smtp, timeout=30) as s:
        s.ehlo("client.example")
        s.sendmail("alice@example.org", ["sue@ok.test"], msg("dsn", "sue"),
                   rcpt_options=["NOTIFY=SUCCESS"])
    # through the queue to a local alias: a local copy and a remote one
    r = subprocess.run([NM, "-c", conf, "sendmail", "-f",
                        "alice@example.org", "fwd@example.org"],
                       input=b"Subject: forwarded\n\nto two places\n",
                       capture_output=True, timeout=30)
    check("sendmail to a local alias", r.returncode == 0, r.stderr)

    check("delivered to the sink", wait_for(
        lambda: sinks["ok"].got("bob@ok.test"), 10))
    got = sinks["ok"].got("bob@ok.test")
    check("byte for byte (after our trace headers)",
          got and got[0][2].endswith(b_ok) and got[0][0] ==
          "alice@example.org", got[:1])
    check("120 recipients in one transaction", wait_for(
        lambda: any(len(m[1]) == 120 for m in sinks["ok"].msgs), 10),
        [len(m[1]) for m in sinks["ok"].msgs])
    check("451 then delivered on the retry", wait_for(
        lambda: sinks["temp"].got("carol@temp.test"), 10) and
        sinks["temp"].datas == 2 and len(sinks["temp"].msgs) == 1,
        (sinks["temp"].datas, len(sinks["temp"].msgs)))
    if mx2 is not None:
        check("MX: the better host down, delivered to the second",
              wait_for(lambda: mx2.got("gina@mx.test"), 15),
              logtext()[-1500:])

    texts = []      # every message fetched (QUIT moves them to MAIL)

    def bounce():
        try:
            pop = poplib.POP3("127.0.0.1", p3, timeout=10)
            pop.user("alice@example.org")
            pop.pass_("s3cret-pw")
            n = pop.stat()[0]
            texts.extend(b"\r\n".join(pop.retr(i + 1)[1])
                         for i in range(n))
            pop.quit()
        except (OSError, poplib.error_proto):
            pass
        return texts
    check("5xx: a bounce reaches the sender's mailbox",
          wait_for(lambda: len(bounce()) >= 1, 15), logtext()[-1500:])
    reports = [t for t in texts if b"Action: failed" in t]
    b = reports[0] if reports else b""
    check("bounce is multipart/report and names the recipient",
          b"multipart/report" in b and b"dave@perm.test" in b and
          b"delivery-status" in b, b[:600])
    check("null sender failing: no bounce", wait_for(
        lambda: "no failure notice" in logtext() and
        "ivan@perm.test" not in queue_list(), 10) and
        len([t for t in bounce() if b"Action: failed" in t]) == 1,
        logtext()[-1000:])
    check("alias: the remote target relayed", wait_for(
        lambda: sinks["ok"].got("zed@ok.test"), 10), logtext()[-1000:])
    check("alias: the local target delivered", wait_for(
        lambda: any(b"Subject: forwarded" in t for t in bounce()), 10))

    # local delivery through the queue: unknown user, over quota for good,
    # over quota for now
    def sendmail(to, body):
        return subprocess.run([NM, "-c", conf, "sendmail", "-f",
                               "alice@example.org", to], input=body,
                              capture_output=True, timeout=30)
    big = b"Subject: big\n\n" + b"x" * 70 + b"\n"
    sendmail("nobody@example.org", b"Subject: who\n\nnobody\n")
    sendmail("tiny@example.org", big * 30)
    sendmail("full@example.org", big * 20)
    failed = lambda who: [t for t in bounce() if b"Action: failed" in t and
                          who in t]
    check("local: unknown user bounced (5.1.1)", wait_for(
        lambda: failed(b"nobody@example.org"), 10) and
        b"5.1.1" in failed(b"nobody@example.org")[0], logtext()[-800:])
    check("local: over quota for good bounced (5.2.2)", wait_for(
        lambda: failed(b"tiny@example.org"), 10) and
        b"5.2.2" in failed(b"tiny@example.org")[0], logtext()[-800:])
    check("local: first message within quota delivered", wait_for(
        lambda: re.search(r"to=<full@example.org> relay=local \S+ "
                          r"attempts=1 result=sent", logtext()), 10))
    sendmail("full@example.org", big * 20)
    check("local: mailbox full, deferred (4.2.2)", wait_for(
        lambda: re.search(r"to=<full@example.org> relay=local \S+ "
                          r"attempts=\d+ result=deferred status=452 "
                          r"4\.2\.2", logtext()), 10) and
        "full@example.org" in queue_list(), logtext()[-800:])
    check("NOTIFY=SUCCESS: a relayed report to the sender", wait_for(
        lambda: [t for t in bounce() if b"Action: relayed" in t and
                 b"sue@ok.test" in t], 10), logtext()[-800:])
    delayed = lambda: [t for t in bounce() if b"Action: delayed" in t and
                       b"erin@refused.test" in t]
    check("delay notice after queue.delay_warning", wait_for(
        lambda: delayed(), 10), logtext()[-800:])
    time.sleep(1.5)
    check("one delay notice only", len(delayed()) == 1, len(delayed()))
    ql = queue_list()
    check("connection refused: still queued, queue list says why",
          "erin@refused.test" in ql and
          re.search(r"4\.4\.1|refused", ql, re.I) is not None, ql)
    check("TLS required, not offered: deferred, nothing sent",
          "frank@tls.test" in ql and not sinks["ok"].got("frank@tls.test"),
          ql)
    check("log line per attempt", re.search(
        r"queue id=[A-Z0-9]{16} to=<bob@ok.test> relay=\S+ delay=\d+s "
        r"attempts=1 result=sent status=250", logtext()) is not None)
    r = nm(["ctl", "stats"])
    st = r.stdout.decode()
    check("ctl stats has the queue lines", r.returncode == 0 and
          "queue_delivered:" in st and "queue_queued:" in st and
          "queue_bounced:" in st, st)

    # kill -9 while the slow sink holds its reply to the end of data
    relay("alice@example.org", ["kim@slow.test"], msg("slow", "kim"))
    check("slow sink got the data", wait_for(
        lambda: sinks["slow"].datas >= 1, 10))
    srv.kill()
    srv.wait(10)
    # while it is down: an entry written by sendmail, then damaged
    r = subprocess.run([NM, "-c", conf, "sendmail", "-v", "-f",
                        "alice@example.org", "hank@ok.test"],
                       input=b"Subject: damaged\n\nnever\n",
                       capture_output=True, timeout=30)
    m = re.search(rb"queued as ([A-Z0-9]{16})", r.stderr)
    check("sendmail queued an entry", m is not None, r.stderr)
    hid = m.group(1).decode() if m else "NONE"
    envf = os.path.join(store, "_QUEUE", hid + ".ENV")
    try:
        with open(envf, "r+b") as f:
            data = bytearray(f.read())
            k = data.find(b"hank@ok.test")
            data[k] = ord("j")
            f.seek(0)
            f.write(data)
    except (OSError, ValueError) as e:
        check("damage the envelope", False, e)
    write_conf(60)                     # flush must not wait for a retry
    mark = len(logtext())
    srv2 = serve()
    check("restarted", wait_port(smtp))
    check("after kill -9: delivered at least once", wait_for(
        lambda: len(sinks["slow"].got("kim@slow.test")) >= 1 and
        "kim@slow.test" not in queue_list(), 15), sinks["slow"].datas)
    check("damaged envelope logged with its id", wait_for(
        lambda: re.search(hid + r": damaged envelope", logtext())
        is not None, 5), logtext()[-800:])
    ql = queue_list()
    check("damaged entry shown by queue list", hid in ql and
          "damaged" in ql, ql)
    check("damaged entry never delivered",
          not sinks["ok"].got("hank@ok.test") and
          not sinks["ok"].got("jank@ok.test"))
    # the refused entry was tried again at the restart; next in 60 s
    check("refused entry retried at the restart", wait_for(
        lambda: "to=<erin@refused.test>" in logtext()[mark:], 10))
    late = Sink("127.0.0.1", p_refused)
    time.sleep(1.5)
    early = late.got("erin@refused.test")
    r = nm(["ctl", "flush"])
    check("ctl flush answers", r.returncode == 0, r.stderr)
    check("ctl flush delivers at once", not early and wait_for(
        lambda: late.got("erin@refused.test"), 8), logtext()[-800:])
    late.close()
    check("whole run bounded", time.time() - t0 < 80, time.time() - t0)
    srv2.send_signal(signal.SIGTERM)
    try:
        srv2.wait(40)
    except subprocess.TimeoutExpired:
        pass
    check("server exits 0 on SIGTERM", srv2.returncode == 0,
          logtext()[-1500:])
finally:
    for p in (srv, srv2, dns):
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(10)
    for s in list(sinks.values()) + ([mx2] if mx2 else []):
        s.close()
    if os.environ.get("T_KEEP"):
        print("kept " + tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
finish()
PYEOF
