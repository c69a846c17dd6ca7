#!/bin/bash
# t_smtpc.sh - the SMTP client (src/smtpc, issue 6 item 4) against scripted
# servers on loopback: build/t_scrun runs sc_deliver once per check against
# tests/integration/smtpsink.py (which records every segment it receives)
# or Postfix's smtp-sink.
#
#   success and the byte-exact dot-stuffed body; a missing final CRLF;
#   commands one at a time without PIPELINING and MAIL+RCPT+DATA in one
#   segment with it; HELO after a refused EHLO; 4xx and 5xx per recipient;
#   421 and 550 at MAIL; every recipient refused (no DATA); connection
#   refused and a silent greeting (both quick with short timeouts); a 554
#   greeting; TLS required but not offered; STARTTLS may, encrypt and
#   verify (right and wrong name); bytes injected after the 220 to
#   STARTTLS (attack B7); AUTH only inside TLS (PLAIN, LOGIN, refused);
#   SIZE over the peer's limit; an 8-bit message to a peer without
#   8BITMIME in send and bounce modes; SMTPUTF8 required; DSN parameters
#   only when DSN is offered; 150 recipients, and pipelined groups over
#   32 KiB; Postfix smtp-sink plain and pipelined.
#
# Usage: tests/integration/t_smtpc.sh [PATH-TO-NEWMAIL]
# (t_scrun is taken from the same directory as newmail.)
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.
# Needs python3, openssl and postfix's smtp-sink; uses only 127.0.0.1.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-$top/build/newmail}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
scrun=$(dirname "$nm")/t_scrun
if [ ! -x "$scrun" ]; then
    echo "t_smtpc: $scrun is not built (run make $(dirname "$nm")/t_scrun)" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "t_smtpc: needs python3" >&2; exit 2; }

PYTHONPATH="$top/tests/integration${PYTHONPATH:+:$PYTHONPATH}" \
    exec python3 - "$scrun" "$top/tests/integration/smtpsink.py" <<'PYEOF'
import base64, json, os, select, shutil, subprocess, sys, tempfile, time
from nmtest import check, finish, free_ports, wait_port, make_cert

SCRUN, SINK = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="t_smtpc.")
CERT, KEY = make_cert(os.path.join(tmp, "tls"), cn="localhost")
T = 60                      # every program run is bounded by this
nrun = 0


def msgfile(data):
    global nrun
    nrun += 1
    path = os.path.join(tmp, "msg%d" % nrun)
    with open(path, "wb") as f:
        f.write(data)
    return path


def parse(out):
    """t_scrun's output as a dict: result, perm, status, tls, rcpt, ms."""
    r = {"result": None, "perm": None, "status": "", "tls": "none",
         "rcpt": {}, "ms": None, "raw": out}
    for ln in out.splitlines():
        w = ln.split(" ", 3)
        if w[0] == "result" and len(w) >= 3:
            r["result"], r["perm"] = int(w[1]), int(w[2])
            r["status"] = w[3] if len(w) > 3 else ""
        elif w[0] == "tls":
            r["tls"] = ln[4:]
        elif w[0] == "rcpt" and len(w) >= 3:
            r["rcpt"][w[1]] = (int(w[2]), w[3] if len(w) > 3 else "")
        elif w[0] == "elapsed":
            r["ms"] = int(w[1])
    return r


def scrun(args, port, rcpts, msg, frm="a@example.org", host="localhost"):
    cmd = [SCRUN] + args + [host, "127.0.0.1", str(port), frm,
                            msgfile(msg)] + rcpts
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=T)
        out = p.stdout.decode("latin-1") + p.stderr.decode("latin-1")
    except subprocess.TimeoutExpired:
        out = "t_scrun timed out"
    return parse(out)


def run(script, args=(), rcpts=("b@example.org",), msg=b"Subject: t\r\n"
        b"\r\nhello\r\n", frm="a@example.org", host="localhost"):
    """One sc_deliver against smtpsink.py with script: (result, records)."""
    global nrun
    nrun += 1
    port = free_ports(1)[0]
    rec = os.path.join(tmp, "rec%d" % nrun)
    sink = subprocess.Popen([sys.executable, SINK, str(port), rec,
                             json.dumps(script)], stdout=subprocess.PIPE)
    ready = select.select([sink.stdout], [], [], 10)[0]
    if not ready or sink.stdout.readline().strip() != b"ready":
        sink.kill()
        sink.wait()
        return parse("sink did not start"), []
    r = scrun(list(args), port, list(rcpts), msg, frm, host)
    try:
        sink.wait(timeout=30)
    except subprocess.TimeoutExpired:
        sink.kill()
        sink.wait()
    sink.stdout.close()
    recs = []
    if os.path.exists(rec):
        with open(rec) as f:
            recs = [json.loads(ln) for ln in f if ln.strip()]
    return r, recs


def segs(recs, tls=None):
    return [x["data"] for x in recs
            if "data" in x and (tls is None or x["tls"] == tls)]


def sent(recs, tls=None):
    return "".join(segs(recs, tls))


def messages(recs):
    return [x["message"] for x in recs if "message" in x]


def lines(recs):
    return sent(recs).split("\r\n")


ESMTP = ["SIZE 1000000", "8BITMIME", "ENHANCEDSTATUSCODES"]
PIPE = ["PIPELINING"] + ESMTP

# ---- success, body bytes, one command at a time -----------------------
body = (b"Subject: dots\r\n\r\n.\r\n..x\r\nline\r\n.end\r\n"
        b"trailing.\r\n")
stuffed = (b"Subject: dots\r\n\r\n..\r\n...x\r\nline\r\n..end\r\n"
           b"trailing.\r\n").decode()
r, recs = run({"ext": ESMTP}, msg=body)
check("plain: delivered", r["result"] == 0 and
      r["rcpt"].get("b@example.org", (0,))[0] == 250, r["raw"])
check("plain: body byte-exact and dot-stuffed",
      messages(recs) == [stuffed], messages(recs))
check("plain: SIZE announced",
      "MAIL FROM:<a@example.org> SIZE=%d\r\n" % len(body) in sent(recs),
      sent(recs))
cmd_segs = [s for s in segs(recs) if s.split(" ")[0] in ("MAIL", "RCPT",
                                                         "DATA\r\n")]
check("plain: without PIPELINING one command per segment",
      len(cmd_segs) == 3 and all(s.count("\r\n") == 1 for s in cmd_segs),
      cmd_segs)
check("plain: QUIT at the end", sent(recs).endswith("QUIT\r\n"),
      sent(recs)[-60:])
check("plain: remote and status", "remote localhost[127.0.0.1]:" in r["raw"]
      and r["status"].startswith("250 2.0.0 queued"), r["raw"])

r, recs = run({"ext": ESMTP}, msg=b"no final line end")
check("missing final CRLF added",
      messages(recs) == ["no final line end\r\n"], messages(recs))
r, recs = run({"ext": ESMTP}, msg=b"")
check("empty message", r["result"] == 0 and messages(recs) == [""],
      messages(recs))
r, recs = run({"ext": ESMTP}, msg=b"a\nb\r.\r\nc")
check("bare LF and CR go out as CRLF",
      messages(recs) == ["a\r\nb\r\n..\r\nc\r\n"], messages(recs))

# ---- pipelining ---------------------------------------------------------
r, recs = run({"ext": PIPE}, rcpts=["b@example.org", "c@example.org",
                                     "d@example.org"])
batch = [s for s in segs(recs) if s.startswith("MAIL")]
check("pipelining: delivered", r["result"] == 0 and all(
    v[0] == 250 for v in r["rcpt"].values()), r["raw"])
check("pipelining: MAIL, every RCPT and DATA in one segment",
      len(batch) == 1 and batch[0].count("RCPT TO:") == 3 and
      batch[0].endswith("DATA\r\n"), segs(recs))

# ---- HELO fallback ------------------------------------------------------
r, recs = run({"ehlo": "502 5.5.1 no EHLO here"})
check("HELO after EHLO 5xx", r["result"] == 0 and
      "HELO client.example\r\n" in sent(recs) and
      "MAIL FROM:<a@example.org>\r\n" in sent(recs), sent(recs))
r, recs = run({"ehlo": "502 5.5.1 no", "helo": "550 5.7.1 go away"})
check("HELO refused: host failure, not permanent",
      r["result"] == 550 and r["perm"] == 0, r["raw"])

# ---- per-recipient results --------------------------------------------
RC = {"bad@example.org": "550 5.1.1 <bad@example.org>: no such user",
      "later@example.org": "451 4.3.0 try\x01 later"}
for name, ext in (("plain", ESMTP), ("pipelined", PIPE)):
    r, recs = run({"ext": ext, "rcpt": RC},
                  rcpts=["good@example.org", "bad@example.org",
                         "later@example.org"])
    rc = r["rcpt"]
    check("%s: 250, 550 and 451 per recipient" % name,
          r["result"] == 0 and rc.get("good@example.org", (0,))[0] == 250
          and rc.get("bad@example.org") ==
          (550, "550 5.1.1 <bad@example.org>: no such user")
          and rc.get("later@example.org") == (451, "451 4.3.0 try? later"),
          r["raw"])
    check("%s: body sent once for the accepted one" % name,
          len(messages(recs)) == 1, messages(recs))

r, recs = run({"ext": ESMTP, "rcpt_default": "550 5.1.1 nobody"},
              rcpts=["x@example.org", "y@example.org"])
check("every recipient refused: no DATA, QUIT, each has its code",
      r["result"] == 0 and "DATA" not in sent(recs) and
      sent(recs).endswith("QUIT\r\n") and
      all(v[0] == 550 for v in r["rcpt"].values()), r["raw"] + sent(recs))
r, recs = run({"ext": PIPE, "rcpt_default": "550 5.1.1 nobody"})
check("every recipient refused, pipelined: DATA refused, no body",
      r["result"] == 0 and messages(recs) == [] and
      r["rcpt"]["b@example.org"][0] == 550, r["raw"])

r, recs = run({"ext": ESMTP, "mail": "421 4.3.2 shutting down",
               "close_after": "MAIL"})
check("421 at MAIL: temporary, recipients untouched",
      r["result"] == 421 and r["perm"] == 0 and
      r["rcpt"]["b@example.org"][0] == 0, r["raw"])
r, recs = run({"ext": PIPE, "mail": "550 5.7.1 sender refused"})
check("550 at MAIL (pipelined): permanent for the message",
      r["result"] == 550 and r["perm"] == 1 and
      r["status"].startswith("550 5.7.1") and messages(recs) == [],
      r["raw"])
r, recs = run({"ext": ESMTP, "data": "451 4.3.0 not now"})
check("451 at DATA: temporary, accepted recipient without a code",
      r["result"] == 451 and r["perm"] == 0 and
      r["rcpt"]["b@example.org"][0] == 0, r["raw"])
r, recs = run({"ext": ESMTP, "dot": "554 5.6.0 content refused"})
check("554 after the dot: the recipient's final code",
      r["result"] == 0 and r["rcpt"]["b@example.org"][0] == 554, r["raw"])

# ---- connection failures and timeouts ---------------------------------
port = free_ports(1)[0]
t0 = time.time()
r = scrun(["-w", "3000"], port, ["b@example.org"], b"x\r\n")
check("connection refused: SC_E_CONNECT at once",
      r["result"] == 1 and r["perm"] == 0 and time.time() - t0 < 3,
      r["raw"])
r, recs = run({"greeting": None}, args=["-w", "5000", "-g", "1000"])
check("silent greeting: SC_E_TIMEOUT after the greeting timeout",
      r["result"] == 2 and r["perm"] == 0 and r["ms"] is not None and
      900 <= r["ms"] < 4000, r["raw"])
r, recs = run({"greeting": "554 5.7.1 no service"})
check("554 greeting: this host only (not permanent)",
      r["result"] == 554 and r["perm"] == 0 and
      "MAIL" not in sent(recs), r["raw"])

# ---- TLS ----------------------------------------------------------------
TLSX = ["STARTTLS"] + PIPE
TLS = {"ext": TLSX, "cert": CERT, "key": KEY}
r, recs = run({"ext": ESMTP}, args=["-t", "encrypt"])
check("TLS required, not offered: SC_E_TLS, not permanent, no MAIL",
      r["result"] == 5 and r["perm"] == 0 and "MAIL" not in sent(recs),
      r["raw"])
r, recs = run({"ext": ESMTP}, args=["-t", "may"])
check("TLS may, not offered: plain delivery",
      r["result"] == 0 and r["tls"] == "none", r["raw"])
r, recs = run(TLS, args=["-t", "may"])
check("TLS may, offered: delivered inside TLS",
      r["result"] == 0 and r["tls"].startswith("TLSv1.") and
      "EHLO client.example\r\n" in sent(recs, 1) and
      "MAIL FROM:" in sent(recs, 1) and "MAIL" not in sent(recs, 0),
      r["raw"] + sent(recs))
r, recs = run(dict(TLS, starttls="454 4.7.0 TLS not available"),
              args=["-t", "may"])
check("TLS may, STARTTLS refused: plain delivery",
      r["result"] == 0 and r["tls"] == "none", r["raw"])
r, recs = run(dict(TLS, starttls="454 4.7.0 TLS not available"),
              args=["-t", "encrypt"])
check("TLS encrypt, STARTTLS refused: SC_E_TLS",
      r["result"] == 5 and r["perm"] == 0, r["raw"])
r, recs = run(TLS, args=["-t", "verify", "-c", CERT])
check("TLS verify against the right CA and name",
      r["result"] == 0 and r["tls"] != "none", r["raw"])
r, recs = run(TLS, args=["-t", "verify", "-c", CERT],
              host="wrong.example.org")
check("TLS verify, wrong name: SC_E_TLS, nothing sent after STARTTLS",
      r["result"] == 5 and r["perm"] == 0 and "verif" in r["status"] and
      sent(recs, 1) == "", r["raw"])
r, recs = run(TLS, args=["-t", "verify"])
check("TLS verify, self-signed against the system CAs: SC_E_TLS",
      r["result"] == 5, r["raw"])
# B7: bytes behind the 220 are discarded; the second shows that they
# would otherwise be read as the reply to EHLO
for inj in ("250-injected\r\n", "421 4.7.0 injected\r\n"):
    r, recs = run(dict(TLS, inject=inj), args=["-t", "may"])
    check("B7: %r after the STARTTLS 220 discarded" % inj,
          r["result"] == 0 and r["tls"] != "none" and
          "EHLO client.example\r\n" in sent(recs, 1) and
          "injected" not in r["raw"], r["raw"])

# ---- AUTH ---------------------------------------------------------------
plain = base64.b64encode(b"\0user\0secret pw").decode()
r, recs = run({"ext": ["AUTH PLAIN LOGIN"] + ESMTP},
              args=["-t", "may", "-u", "user", "-p", "secret pw"])
check("AUTH never without TLS (temporary SC_E_TLS)",
      r["result"] == 5 and r["perm"] == 0 and "AUTH" not in sent(recs),
      r["raw"] + sent(recs))
r, recs = run(dict(TLS, ext_tls=["AUTH PLAIN LOGIN"] + PIPE),
              args=["-t", "may", "-u", "user", "-p", "secret pw"])
check("AUTH PLAIN inside TLS only",
      r["result"] == 0 and "AUTH PLAIN %s\r\n" % plain in sent(recs, 1) and
      "AUTH" not in sent(recs, 0), r["raw"] + sent(recs))
r, recs = run(dict(TLS, ext_tls=["AUTH LOGIN"] + ESMTP),
              args=["-t", "may", "-u", "user", "-p", "secret pw"])
check("AUTH LOGIN when only LOGIN is offered",
      r["result"] == 0 and "AUTH LOGIN\r\n" in sent(recs, 1) and
      base64.b64encode(b"user").decode() + "\r\n" in sent(recs, 1) and
      base64.b64encode(b"secret pw").decode() + "\r\n" in sent(recs, 1),
      r["raw"] + sent(recs))
r, recs = run(dict(TLS, ext_tls=["AUTH PLAIN"] + ESMTP,
                   auth="535 5.7.8 bad credentials"),
              args=["-t", "may", "-u", "user", "-p", "wrong"])
check("AUTH refused: temporary (our configuration, not the message)",
      r["result"] == 535 and r["perm"] == 0 and "MAIL" not in sent(recs),
      r["raw"])

# ---- what the message needs -----------------------------------------
r, recs = run({"ext": ["SIZE 100"]}, msg=b"x" * 300 + b"\r\n")
check("SIZE over the peer's limit: 552 5.3.4, permanent, no MAIL",
      r["result"] == 552 and r["perm"] == 1 and "5.3.4" in r["status"]
      and "MAIL" not in sent(recs), r["raw"])
r, recs = run({"ext": ["SIZE 0"]}, msg=b"x" * 300 + b"\r\n")
check("SIZE 0 means no limit", r["result"] == 0, r["raw"])
eight = "Subject: \xe9t\xe9\r\n\r\nd\xe9j\xe0\r\n".encode("latin-1")
r, recs = run({"ext": ["SIZE 100000"]}, args=["-b", "8bit", "-8", "bounce"],
              msg=eight)
check("8-bit, no 8BITMIME, bounce: 554 5.6.3, permanent, no MAIL",
      r["result"] == 554 and r["perm"] == 1 and "5.6.3" in r["status"]
      and "MAIL" not in sent(recs), r["raw"])
r, recs = run({"ext": ["SIZE 100000"]}, args=["-b", "8bit", "-8", "send"],
              msg=eight)
check("8-bit, no 8BITMIME, send: delivered as it is, no BODY=",
      r["result"] == 0 and "BODY=" not in sent(recs) and
      messages(recs) == [eight.decode("latin-1")], r["raw"])
r, recs = run({"ext": ESMTP}, args=["-b", "8bit"], msg=eight)
check("8-bit with 8BITMIME: BODY=8BITMIME",
      r["result"] == 0 and " BODY=8BITMIME" in sent(recs), sent(recs))
r, recs = run({"ext": ESMTP}, args=["-U"])
check("SMTPUTF8 needed, not offered: 553 5.6.7, permanent",
      r["result"] == 553 and r["perm"] == 1 and "5.6.7" in r["status"],
      r["raw"])
r, recs = run({"ext": ESMTP + ["SMTPUTF8"]}, args=["-U"])
check("SMTPUTF8 offered: MAIL ... SMTPUTF8",
      r["result"] == 0 and " SMTPUTF8\r\n" in sent(recs), sent(recs))

DSNARGS = ["-r", "hdrs", "-e", "id+1=x", "-n", "6", "-o",
           "rfc822;u+x@example.org"]
r, recs = run({"ext": ESMTP + ["DSN"]}, args=DSNARGS)
check("DSN offered: RET, ENVID, NOTIFY and ORCPT as xtext",
      r["result"] == 0 and " RET=HDRS ENVID=id+2B1+3Dx" in sent(recs) and
      "RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE "
      "ORCPT=rfc822;u+2Bx@example.org\r\n" in sent(recs), sent(recs))
r, recs = run({"ext": ESMTP}, args=DSNARGS)
check("DSN not offered: no DSN parameters",
      r["result"] == 0 and "RET=" not in sent(recs) and
      "NOTIFY=" not in sent(recs) and "ORCPT=" not in sent(recs),
      sent(recs))

# ---- many recipients ------------------------------------------------------
many = ["r%03d@example.org" % i for i in range(150)]
r, recs = run({"ext": PIPE}, rcpts=many)
check("150 recipients pipelined: every one 250, one body",
      r["result"] == 0 and len(r["rcpt"]) == 150 and
      all(v[0] == 250 for v in r["rcpt"].values()) and
      sent(recs).count("RCPT TO:") == 150 and len(messages(recs)) == 1,
      r["raw"][-300:])
# 130 long paths are over 32 KiB of RCPT commands: several groups, DATA
# only at the end of the last one
longs = ["%03d%s@%s.example" % (i, "l" * 60, "d" * 180) for i in range(130)]
r, recs = run({"ext": PIPE}, rcpts=longs)
cmds = [ln.split(":")[0] for ln in lines(recs) if ln[:4] in ("MAIL", "RCPT",
                                                               "DATA")]
check("pipelined groups over 32 KiB: every recipient, DATA last",
      r["result"] == 0 and len(r["rcpt"]) == 130 and
      all(v[0] == 250 for v in r["rcpt"].values()) and
      cmds == ["MAIL FROM"] + ["RCPT TO"] * 130 + ["DATA"] and
      len(messages(recs)) == 1, r["raw"][-300:])
r, recs = run({"ext": ESMTP}, rcpts=many)
check("150 recipients one at a time",
      r["result"] == 0 and sent(recs).count("RCPT TO:") == 150 and
      all(v[0] == 250 for v in r["rcpt"].values()), r["raw"][-300:])

# ---- Postfix smtp-sink -----------------------------------------------------
SINKBIN = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
check("postfix smtp-sink installed", os.access(SINKBIN, os.X_OK),
      "install the Debian package postfix (sh tests/tools/deps.sh)")
for name, opt in (("plain", ["-p"]), ("pipelined", [])):
    if not os.access(SINKBIN, os.X_OK):
        check("smtp-sink %s" % name, False, "smtp-sink is missing")
        continue
    d = tempfile.mkdtemp(prefix="dump.", dir=tmp)
    os.chmod(tmp, 0o755)
    os.chmod(d, 0o777)
    port = free_ports(1)[0]
    cmd = [SINKBIN] + opt + ["-d", d + "/m."]
    if os.geteuid() == 0:
        cmd += ["-u", "nobody"]
    cmd += ["127.0.0.1:%d" % port, "10"]
    ps = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
    try:
        up = wait_port(port, 10)
        r = scrun([], port, ["b@example.org", "c@example.org"], body)
        time.sleep(0.2)
        dumps = []
        for fn in os.listdir(d):
            with open(os.path.join(d, fn), "rb") as f:
                dumps.append(f.read())
    finally:
        ps.terminate()
        try:
            ps.wait(timeout=10)
        except subprocess.TimeoutExpired:
            ps.kill()
            ps.wait()
    check("smtp-sink %s: delivered to both" % name,
          up and r["result"] == 0 and
          all(v[0] == 250 for v in r["rcpt"].values()), r["raw"])
    got = b"".join(dumps).replace(b"\r\n", b"\n")
    check("smtp-sink %s: the message arrived un-stuffed" % name,
          body.replace(b"\r\n", b"\n") in got, got[-300:])

shutil.rmtree(tmp, ignore_errors=True)
finish()
PYEOF
