#!/bin/bash
# t_clients.sh - the real mail clients against the real server on loopback
# (issues 4 and 5, "Tests: real clients"):
#
#   SMTP: swaks (plain inbound, STARTTLS + AUTH PLAIN, LOGIN and CRAM-MD5
#         on submission, implicit TLS on submissions, PIPELINING, an 8-bit
#         body), curl smtp:// and smtps://, msmtp (STARTTLS + AUTH, SCRAM);
#   POP3: curl pop3:// (STLS) and pop3s:// (LIST, RETR, DELE; PLAIN and
#         LOGIN refused without TLS, CRAM-MD5 and APOP accepted), fetchmail
#         (keep mode with UIDL, a second run that fetches nothing, delete
#         mode that empties the mailbox), mpop (--serverinfo, pipelining,
#         STLS, keep with its UIDL file; POP3S with PLAIN, SCRAM-SHA-256,
#         CRAM-MD5, APOP), getmail6 (POP3S into an mboxrd file, oldmail);
#   end to end: a message sent with swaks is fetched with fetchmail byte for
#         byte, the Return-Path and Received headers the server adds and the
#         Received header fetchmail adds aside.
#
# Every client binary must be installed (tests/tools/deps.sh installs
# them); a missing one is a FAIL that names it, never a skip.  Every
# client runs with HOME in a temporary directory (fetchmail's .fetchids,
# mpop's UIDL file and getmail's oldmail files land there) and a 60 s
# timeout.
#
# Usage: tests/integration/t_clients.sh [PATH-TO-NEWMAIL]
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.
# Needs python3, openssl, swaks, curl, msmtp, fetchmail, mpop and getmail;
# uses only 127.0.0.1.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-$top/build/newmail}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
if [ ! -x "$nm" ]; then
    echo "t_clients: $nm is not built (run make first)" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "t_clients: needs python3" >&2; exit 2; }

PYTHONPATH="$top/tests/integration${PYTHONPATH:+:$PYTHONPATH}" \
    exec python3 - "$nm" <<'PYEOF'
import os, poplib, re, shutil, signal, smtplib, socket, ssl, subprocess
import sys, tempfile, time
from nmtest import check, finish, free_ports, wait_port, make_cert

NM = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="t_clients.")
home = os.path.join(tmp, "home")
os.makedirs(home)
T = 60                       # every client invocation is bounded by this


# The clients, each required: a missing one fails here, by name, and the
# checks that need it fail too (with the same reason).
CLIENTS = {"swaks": "swaks", "curl": "curl", "msmtp": "msmtp",
           "fetchmail": "fetchmail", "mpop": "mpop", "getmail": "getmail6",
           "openssl": "openssl"}
have = {}
for cmd, pkg in sorted(CLIENTS.items()):
    have[cmd] = shutil.which(cmd) is not None
    check("client %s installed" % cmd, have[cmd],
          "%s not found: install the Debian package %s "
          "(sh tests/tools/deps.sh)" % (cmd, pkg))
swaks_tls = have["swaks"] and subprocess.run(
    ["perl", "-MNet::SSLeay", "-e1"], capture_output=True).returncode == 0
check("swaks has TLS (Net::SSLeay, package libnet-ssleay-perl)", swaks_tls)

ENV = dict(os.environ, HOME=home, LC_ALL="C")
ENV.pop("MAILRC", None)
ENV.pop("FETCHMAILHOME", None)

def client(args, stdin=None, name=None):
    """Run a client with the temporary HOME; never raises."""
    if not have.get(args[0], True):
        return subprocess.CompletedProcess(args, 127, b"",
                                           b"%s is not installed" %
                                           args[0].encode())
    try:
        return subprocess.run(args, input=stdin, capture_output=True,
                              timeout=T, env=ENV, cwd=home)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(
            args, -999, e.stdout or b"",
            (e.stderr or b"") + b"\n(timed out after %d s)" % T)

def out(r):
    return (b"exit %d\nstdout: %s\nstderr: %s" %
            (r.returncode, r.stdout[-700:], r.stderr[-700:])).decode(
                "utf-8", "replace")

def wfile(name, data, mode=0o600):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)
    return path

# --- the server ----------------------------------------------------------
cert, key = make_cert(tmp, timeout=T)
P3, P3S, SMTP, SUB, SUBS = free_ports(5)
conf = os.path.join(tmp, "newmail.conf")
with open(conf, "w") as f:
    # pop3.leave_in_newmail: without it the OpenVMS semantics move every
    # retrieved message to MAIL at QUIT, and the keep-mode and UIDL checks
    # of fetchmail, mpop and getmail would pass whatever UIDL did.
    f.write("hostname = localhost\n"
            "pop3.listen = 127.0.0.1:%d\n"
            "pop3s.listen = 127.0.0.1:%d\n"
            "smtp.listen = 127.0.0.1:%d\n"
            "submission.listen = 127.0.0.1:%d\n"
            "submissions.listen = 127.0.0.1:%d\n"
            "tls.cert = %s\ntls.key = %s\n"
            "store.root = %s\n"
            "pop3.leave_in_newmail = yes\n"
            "auth.mechanisms = plain, login, cram-md5, scram-sha-256\n"
            "service.user = \"\"\nlog.syslog = no\nlog.level = info\n"
            % (P3, P3S, SMTP, SUB, SUBS, cert, key,
               os.path.join(tmp, "store")))

PW = "s3cret-pw"
USERS = ["alice", "bob", "carol", "dave"]
for u in USERS:
    # APOP and CRAM_MD5 keep the secret those mechanisms need.
    r = subprocess.run([NM, "-c", conf, "user", "add", u + "@example.org",
                        "--password-stdin", "--flags", "APOP,CRAM_MD5"],
                       input=(PW + "\n").encode(),
                       capture_output=True, timeout=T)
    check("user add %s" % u, r.returncode == 0, r.stderr)

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

def pop_open(user):
    p = poplib.POP3("127.0.0.1", P3, timeout=30)
    p.stls(context=ctx)
    p.user(user + "@example.org")
    p.pass_(PW)
    return p

def pop_all(user):
    """Every message of USER's NEWMAIL, as bytes with CRLF."""
    p = pop_open(user)
    try:
        n = p.stat()[0]
        return [b"\r\n".join(p.retr(i + 1)[1]) + b"\r\n"
                for i in range(n)]
    finally:
        p.quit()

def pop_stat(user):
    p = pop_open(user)
    try:
        return p.stat()[0]
    finally:
        p.quit()

def strip_added(msg, fetchmail=False):
    """MSG less the leading Received (fetchmail's, the server's) and
    Return-Path headers, with their continuation lines."""
    lines = msg.split(b"\r\n")
    i = 0
    while i < len(lines) and (lines[i].startswith(b"Return-Path:") or
                              lines[i].startswith(b"Received:") or
                              (i > 0 and lines[i][:1] in (b" ", b"\t"))):
        i += 1
    return b"\r\n".join(lines[i:])

def seed(user, subject, body=b"seeded body\r\n"):
    m = (b"From: seeder@remote.example\r\nTo: %s@example.org\r\n"
         b"Subject: %s\r\nMessage-ID: <%s@remote.example>\r\n\r\n" %
         (user.encode(), subject.encode(), subject.encode())) + body
    with smtplib.SMTP("127.0.0.1", SMTP, timeout=30) as s:
        s.sendmail("seeder@remote.example", [user + "@example.org"], m)
    return m

log = open(os.path.join(tmp, "serve.log"), "wb")
srv = subprocess.Popen([NM, "-c", conf, "serve", "--stderr"],
                       stdin=subprocess.DEVNULL, stdout=log, stderr=log)
try:
    check("server listens on pop3, pop3s, smtp, submission, submissions",
          all(wait_port(p) for p in (P3, P3S, SMTP, SUB, SUBS)))

    # --- swaks -------------------------------------------------------------
    sent = {}     # subject tag -> a byte string the delivered copy contains
    base = ["swaks", "--server", "127.0.0.1", "--helo", "client.example",
            "--to", "alice@example.org", "--timeout", "30"]
    auth = ["--auth-user", "alice@example.org", "--auth-password", PW,
            "--from", "alice@example.org"]

    r = client(base + ["--port", str(SMTP), "--from", "bob@remote.example",
                       "--header", "Subject: swaks-plain",
                       "--body", "plain swaks body"])
    check("swaks: plain SMTP delivery", r.returncode == 0, out(r))
    sent["swaks-plain"] = b"plain swaks body"

    for mech in ("PLAIN", "LOGIN", "CRAM-MD5"):
        tag = "swaks-starttls-" + mech.lower()
        r = client(base + ["--port", str(SUB), "--tls", "--auth", mech] +
                   auth + ["--header", "Subject: " + tag,
                           "--body", "body of " + tag])
        check("swaks: submission STARTTLS + AUTH %s" % mech,
              r.returncode == 0 and b"235 " in r.stdout, out(r))
        sent[tag] = b"body of " + tag.encode()

    # A plaintext mechanism before STARTTLS must be refused (not offered).
    r = client(base + ["--port", str(SUB), "--auth", "PLAIN"] + auth +
               ["--header", "Subject: never"])
    # swaks exit 28: the requested AUTH type is not offered.
    check("swaks: AUTH PLAIN not offered without TLS on submission",
          r.returncode == 28, out(r))

    tag = "swaks-submissions"
    r = client(base + ["--port", str(SUBS), "--tls-on-connect",
                       "--auth", "PLAIN"] + auth +
               ["--header", "Subject: " + tag, "--body", "body of " + tag])
    check("swaks: submissions (implicit TLS) + AUTH PLAIN",
          r.returncode == 0 and b"235 " in r.stdout, out(r))
    sent[tag] = b"body of " + tag.encode()

    tag = "swaks-pipeline"
    r = client(base + ["--port", str(SMTP), "--from", "bob@remote.example",
                       "--pipeline", "--header", "Subject: " + tag,
                       "--body", "body of " + tag])
    check("swaks: --pipeline (PIPELINING offered and used)",
          r.returncode == 0 and b"PIPELINING" in r.stdout, out(r))
    sent[tag] = b"body of " + tag.encode()

    # swaks 20201014 has no option for BODY=8BITMIME on MAIL FROM; it sends
    # the 8-bit body as it is.  The check: 8BITMIME is offered, and the
    # bytes arrive unchanged (checked through POP3 below).
    tag = "swaks-8bit"
    body8 = "caf\u00e9 na\u00efve \u00fcber \u20ac".encode("utf-8") + \
        b" raw \xff\xfe\x80"
    r = client(base + ["--port", str(SMTP), "--from", "bob@remote.example",
                       "--header", "Subject: " + tag,
                       "--header", "Content-Type: text/plain; charset=utf-8",
                       "--header", "Content-Transfer-Encoding: 8bit",
                       "--body", body8])
    check("swaks: 8-bit body accepted, 8BITMIME offered",
          r.returncode == 0 and b"8BITMIME" in r.stdout, out(r))
    sent[tag] = body8

    # --- curl smtp:// and smtps:// -----------------------------------------
    tag = "curl-smtp"
    f = wfile("curl-smtp.eml", b"From: bob@remote.example\r\n"
              b"To: alice@example.org\r\nSubject: %s\r\n\r\nbody of %s\r\n"
              % (tag.encode(), tag.encode()))
    r = client(["curl", "-sS", "--max-time", "30",
                "smtp://127.0.0.1:%d/client.example" % SMTP,
                "--mail-from", "bob@remote.example",
                "--mail-rcpt", "alice@example.org", "--upload-file", f])
    check("curl: smtp:// plain delivery", r.returncode == 0, out(r))
    sent[tag] = b"body of " + tag.encode()

    tag = "curl-smtps"
    f = wfile("curl-smtps.eml", b"From: alice@example.org\r\n"
              b"To: alice@example.org\r\nSubject: %s\r\n\r\nbody of %s\r\n"
              % (tag.encode(), tag.encode()))
    r = client(["curl", "-sS", "-k", "--max-time", "30",
                "smtps://127.0.0.1:%d/client.example" % SUBS,
                "--user", "alice@example.org:" + PW,
                "--mail-from", "alice@example.org",
                "--mail-rcpt", "alice@example.org", "--upload-file", f])
    check("curl: smtps:// (submissions) with --user", r.returncode == 0,
          out(r))
    sent[tag] = b"body of " + tag.encode()

    tag = "curl-submission-starttls"
    f = wfile("curl-sub.eml", b"From: alice@example.org\r\n"
              b"To: alice@example.org\r\nSubject: %s\r\n\r\nbody of %s\r\n"
              % (tag.encode(), tag.encode()))
    r = client(["curl", "-sS", "-k", "--ssl-reqd", "--max-time", "30",
                "smtp://127.0.0.1:%d/client.example" % SUB,
                "--user", "alice@example.org:" + PW,
                "--mail-from", "alice@example.org",
                "--mail-rcpt", "alice@example.org", "--upload-file", f])
    check("curl: smtp:// --ssl-reqd (STARTTLS) on submission with --user",
          r.returncode == 0, out(r))
    sent[tag] = b"body of " + tag.encode()

    # --- msmtp -------------------------------------------------------------
    for label, mech in (("auth on", "on"), ("auth scram-sha-256",
                                            "scram-sha-256")):
        tag = "msmtp-" + mech
        rc = wfile("msmtprc-" + mech,
                   "defaults\nlogfile %s\n\naccount test\nhost 127.0.0.1\n"
                   "port %d\nfrom alice@example.org\ndomain client.example\n"
                   "tls on\ntls_starttls on\ntls_certcheck off\n"
                   "auth %s\nuser alice@example.org\npassword %s\n"
                   "timeout 30\n" % (os.path.join(tmp, "msmtp.log"), SUB,
                                     mech, PW))
        r = client(["msmtp", "-C", rc, "-a", "test", "alice@example.org"],
                   stdin=b"From: alice@example.org\r\nTo: alice@example.org"
                   b"\r\nSubject: %s\r\n\r\nbody of %s\r\n" %
                   (tag.encode(), tag.encode()))
        check("msmtp: submission STARTTLS, %s" % label, r.returncode == 0,
              out(r))
        sent[tag] = b"body of " + tag.encode()

    # Everything sent above is in alice's NEWMAIL, byte for byte.
    try:
        got = pop_all("alice")
    except Exception as e:
        got = []
        check("poplib: alice's mailbox readable", False, e)
    for tag, needle in sorted(sent.items()):
        hit = [m for m in got if b"Subject: " + tag.encode() + b"\r\n" in m]
        check("delivered: %s" % tag, len(hit) == 1 and needle in hit[0],
              hit[0][-400:] if hit else "no message with Subject %s among %d"
              % (tag, len(got)))
    n_alice = len(got)

    # --- curl pop3:// and pop3s:// -----------------------------------------
    cpop = ["curl", "-sS", "-k", "--max-time", "30",
            "-u", "alice@example.org:" + PW]
    # Without TLS the plaintext mechanisms are not offered (curl exit 67,
    # login denied); CRAM-MD5 and APOP, which send no password, work.
    for lo in ("AUTH=PLAIN", "AUTH=LOGIN"):
        r = client(cpop[:2] + cpop[3:] + ["--login-options", lo,
                                          "pop3://127.0.0.1:%d/" % P3])
        check("curl: pop3:// %s without TLS refused" % lo,
              r.returncode == 67, out(r))
    for lo in ("AUTH=CRAM-MD5", "AUTH=+APOP"):
        r = client(cpop[:2] + cpop[3:] + ["--login-options", lo,
                                          "pop3://127.0.0.1:%d/" % P3])
        check("curl: pop3:// %s without TLS accepted" % lo,
              r.returncode == 0 and r.stdout.startswith(b"1 "), out(r))
    r = client(cpop + ["--ssl-reqd", "pop3://127.0.0.1:%d/" % P3])
    lines = [l for l in r.stdout.split(b"\r\n") if l]
    check("curl: pop3:// --ssl-reqd (STLS) LIST shows %d messages" % n_alice,
          r.returncode == 0 and len(lines) == n_alice and
          all(re.match(rb"^\d+ \d+$", l) for l in lines), out(r))
    sizes = dict(l.split() for l in lines) if r.returncode == 0 else {}
    r = client(cpop + ["--ssl-reqd", "pop3://127.0.0.1:%d/1" % P3])
    check("curl: pop3:// RETR 1 is the first message, its LIST size exact",
          r.returncode == 0 and got and r.stdout == got[0] and
          int(sizes.get(b"1", -1)) == len(got[0]), out(r))
    r = client(cpop + ["pop3s://127.0.0.1:%d/2" % P3S])
    check("curl: pop3s:// RETR 2", r.returncode == 0 and len(got) > 1 and
          r.stdout == got[1], out(r))
    r = client(cpop + ["--ssl-reqd", "-X", "DELE", "-I",
                       "pop3://127.0.0.1:%d/1" % P3])
    check("curl: pop3:// -X DELE 1", r.returncode == 0, out(r))
    r = client(cpop + ["pop3s://127.0.0.1:%d/" % P3S])
    lines = [l for l in r.stdout.split(b"\r\n") if l]
    check("curl: after DELE and QUIT, LIST shows %d messages" % (n_alice - 1),
          r.returncode == 0 and len(lines) == n_alice - 1, out(r))

    # --- fetchmail, and the end-to-end check with swaks ---------------------
    # The end-to-end message: dot lines, an empty line, 8-bit bytes, a
    # folded header, trailing spaces, a "From " line.  swaks --data sends
    # the file as it is (its lines already end with CRLF) but always appends
    # "\r\n." itself, so the file leaves out the last CRLF (swaks quirk).
    e2e = (b"From: Sender <sender@remote.example>\r\n"
           b"To: bob@example.org\r\n"
           b"Subject: end to end\r\n"
           b"Message-ID: <e2e.1@remote.example>\r\n"
           b"X-Folded: first part\r\n\tsecond part\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n"
           b"\r\n"
           b"line one\r\n"
           b".leading dot\r\n"
           b"..two dots\r\n"
           b"\r\n"
           b"From the start of a line\r\n"
           b"trailing spaces   \r\n"
           b"8-bit: caf\xc3\xa9 \xe2\x82\xac\r\n"
           b"last line\r\n")
    f = wfile("e2e.eml", e2e[:-2])
    r = client(["swaks", "--server", "127.0.0.1", "--port", str(SMTP),
                "--helo", "client.example", "--from", "sender@remote.example",
                "--to", "bob@example.org", "--timeout", "30",
                "--data", f])
    check("swaks: end-to-end message to bob", r.returncode == 0, out(r))
    seed("bob", "fm-2")

    # fetchmail hands each message to an MDA that writes it to its own file
    # (no local MTA).  Quirks worked around: "no stripcr" (with an MDA
    # fetchmail strips CR by default), "no rewrite" (it would rewrite
    # addresses in headers), "no sslcertck" (self-signed certificate),
    # "sslproto TLS1.2+" without "ssl" means STLS is required.
    fmdir = os.path.join(tmp, "fetched")
    os.makedirs(fmdir)
    mda = wfile("mda.sh", "#!/bin/sh\nexec cat > \"$(mktemp %s/m.XXXXXX)\"\n"
                % fmdir, 0o700)
    idfile = os.path.join(home, ".fetchids")
    fmrc = wfile("fetchmailrc",
                 "set no syslog\nset no bouncemail\n"
                 "poll 127.0.0.1 with proto POP3 port %d uidl timeout 30\n"
                 "  user \"bob@example.org\" there with password \"%s\"\n"
                 "  sslproto TLS1.2+ no sslcertck\n"
                 "  no rewrite no stripcr mda \"%s\"\n" % (P3, PW, mda))
    fm = ["fetchmail", "-f", fmrc, "-i", idfile, "--nodetach", "-v"]

    def fetched():
        out_ = {}
        for n in sorted(os.listdir(fmdir)):
            with open(os.path.join(fmdir, n), "rb") as fh:
                out_[n] = fh.read()
        return out_

    r = client(fm + ["--keep"])
    msgs = fetched()
    check("fetchmail: keep mode, STLS, fetched 2 messages",
          r.returncode == 0 and len(msgs) == 2, out(r))
    check("fetchmail: used STLS and UIDL",
          b"STLS" in r.stderr + r.stdout and b"UIDL" in r.stderr + r.stdout,
          out(r))
    check("fetchmail: keep mode left both messages on the server",
          pop_stat("bob") == 2)
    e2e_got = [m for m in msgs.values() if b"Subject: end to end" in m]
    if check("end to end: fetchmail captured the swaks message",
             len(e2e_got) == 1, list(msgs.values())):
        stripped = strip_added(e2e_got[0])
        check("end to end: swaks -> newmail -> fetchmail byte for byte "
              "(added Return-Path/Received aside)", stripped == e2e,
              "got:\n%r\nwant:\n%r" % (stripped, e2e))
        check("end to end: server added Return-Path <sender@remote.example>",
              b"Return-Path: <sender@remote.example>\r\n" in e2e_got[0],
              e2e_got[0][:400])

    r = client(fm + ["--keep"])
    # fetchmail exits 1 for "no mail".
    check("fetchmail: second keep run fetches nothing new (UIDL)",
          r.returncode == 1 and len(fetched()) == 2, out(r))

    seed("bob", "fm-3")
    r = client(fm + ["--nokeep", "--flush"])
    check("fetchmail: delete mode fetched only the new message",
          r.returncode == 0 and len(fetched()) == 3, out(r))
    try:
        n = pop_stat("bob")
    except Exception as e:
        n = e
    check("fetchmail: delete mode (--nokeep --flush) emptied the mailbox "
          "(STAT 0 over STLS)", n == 0, "STAT: %s" % n)

    # --- mpop --------------------------------------------------------------
    seed("carol", "mpop-1")
    seed("carol", "mpop-2", b"line\r\n.dot-stuffed\r\n")
    mbox = wfile("mpop.mbox", b"")
    uidls = os.path.join(home, "mpop-uidls")

    def mpoprc(name, port, starttls, authm):
        return wfile(name,
                     "defaults\n\naccount carol\nhost 127.0.0.1\nport %d\n"
                     "tls on\ntls_starttls %s\ntls_certcheck off\n"
                     "auth %s\nuser carol@example.org\npassword %s\n"
                     "pipelining on\ndelivery mbox %s\nkeep on\n"
                     "uidls_file %s\ntimeout 30\n"
                     % (port, "on" if starttls else "off", authm, PW, mbox,
                        uidls))
    rc1 = mpoprc("mpoprc", P3, True, "user")
    r = client(["mpop", "-C", rc1, "--serverinfo", "carol"])
    info = r.stdout.decode("utf-8", "replace")
    check("mpop: --serverinfo over STLS", r.returncode == 0, out(r))
    for cap in ("PIPELINING", "UIDL", "TOP", "RESP-CODES", "STLS"):
        check("mpop: --serverinfo lists %s" % cap,
              re.search(r"^\s*%s:" % cap, info, re.M) is not None,
              info[-900:])
    # mpop shows CAPA's USER and SASL lines as one "AUTH:" section.
    m = re.search(r"^\s*AUTH:\s*\n.*\n\s*(.*)$", info, re.M)
    mechs = m.group(1).split() if m else []
    check("mpop: --serverinfo lists USER and SASL PLAIN SCRAM-SHA-256 "
          "after STLS", all(x in mechs for x in
                            ("USER", "PLAIN", "SCRAM-SHA-256")), info[-900:])
    r = client(["mpop", "-C", rc1, "carol"])
    with open(mbox, "rb") as fh:
        mb = fh.read()
    check("mpop: retrieval (STLS, USER/PASS, pipelining) into mbox",
          r.returncode == 0 and mb.count(b"\nSubject: mpop-") == 2 and
          b"\n.dot-stuffed\n" in mb, out(r) + "\nmbox: %r" % mb[-400:])
    r = client(["mpop", "-C", rc1, "carol"])
    with open(mbox, "rb") as fh:
        mb2 = fh.read()
    check("mpop: second run with keep on retrieves nothing (UIDL file)",
          r.returncode == 0 and mb2 == mb, out(r))
    check("mpop: keep on left both messages on the server",
          pop_stat("carol") == 2)
    for authm in ("plain", "scram-sha-256", "cram-md5", "apop"):
        rc2 = mpoprc("mpoprc-" + authm, P3S, False, authm)
        r = client(["mpop", "-C", rc2, "--serverinfo", "carol"])
        check("mpop: POP3S, AUTH %s (--serverinfo after login)" %
              authm.upper(), r.returncode == 0, out(r))

    # --- getmail6 ----------------------------------------------------------
    seed("dave", "getmail-1")
    seed("dave", "getmail-2", b"From here on\r\n.dot-stuffed\r\n")
    gdir = os.path.join(home, ".getmail")
    os.makedirs(gdir)
    gmbox = wfile("getmail.mbox", b"")
    # getmail refuses to deliver as root: run as root (CI is), its Mboxrd
    # destination must name another user, who then writes the mbox file.
    guser = ""
    if os.geteuid() == 0:
        import pwd
        nob = pwd.getpwnam("nobody")
        os.chown(gmbox, nob.pw_uid, nob.pw_gid)
        os.chmod(tmp, 0o711)
        guser = "user = nobody\n"
    wfile("home/.getmail/getmailrc",
          "[retriever]\ntype = SimplePOP3SSLRetriever\nserver = 127.0.0.1\n"
          "port = %d\nusername = dave@example.org\npassword = %s\n"
          "timeout = 30\n\n"
          "[destination]\ntype = Mboxrd\npath = %s\n%s\n"
          "[options]\nread_all = false\ndelete = false\nverbose = 1\n"
          % (P3S, PW, gmbox, guser))
    r = client(["getmail", "-g", gdir, "-r", "getmailrc"])
    with open(gmbox, "rb") as fh:
        gm = fh.read()
    check("getmail: POP3S retrieval into an mboxrd file",
          r.returncode == 0 and gm.count(b"\nSubject: getmail-") == 2,
          out(r) + "\nmbox: %r" % gm[-400:])
    # mboxrd quotes a body line starting "From " as ">From "; POP3
    # dot-stuffing must be undone.
    check("getmail: mboxrd quoting and dot-unstuffing",
          b"\n>From here on\n.dot-stuffed\n" in gm, gm[-400:])
    r = client(["getmail", "-g", gdir, "-r", "getmailrc"])
    with open(gmbox, "rb") as fh:
        gm2 = fh.read()
    check("getmail: second run with read_all = false retrieves nothing",
          r.returncode == 0 and gm2 == gm, out(r))
    check("getmail: delete = false left both messages on the server",
          pop_stat("dave") == 2)
finally:
    srv.send_signal(signal.SIGTERM)
    try:
        srv.wait(30)
    except subprocess.TimeoutExpired:
        srv.kill()
        srv.wait()
    check("server exits 0 on SIGTERM", srv.returncode == 0,
          open(os.path.join(tmp, "serve.log"), "rb").read()[-2000:])
    if os.environ.get("T_CLIENTS_KEEP"):
        print("kept " + tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)

finish()
PYEOF
