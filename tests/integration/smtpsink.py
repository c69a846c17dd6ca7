"""smtpsink.py - a scripted SMTP server for the SMTP client's tests
(tests/integration/t_smtpc.sh): loopback only, one session at a time, every
wait and size bounded.

  python3 smtpsink.py PORT RECORD-FILE SCRIPT-JSON

SCRIPT-JSON is a JSON object (or @FILE holding one); every key optional:
  greeting   "220 sink ESMTP"; null: never greet (greeting timeouts)
  ext        EHLO keywords before TLS, e.g. ["PIPELINING", "SIZE 1000"]
  ext_tls    EHLO keywords inside TLS (default: ext without STARTTLS)
  ehlo       a fixed reply to EHLO ("502 5.5.1 no"); HELO gets "helo"
  helo       reply to HELO (default "250 sink")
  cert, key  PEM files for STARTTLS (needed when STARTTLS is offered)
  starttls   reply to STARTTLS (default "220 2.0.0 go")
  inject     text sent in the same segment right after the STARTTLS reply
             (attack B7); never read by an honest client
  auth       reply to AUTH (default "235 2.7.0 ok"); AUTH LOGIN gets two
             "334" prompts first
  mail       reply to MAIL (default "250 2.1.0 ok")
  rcpt       {address: reply}; others get rcpt_default ("250 2.1.5 ok")
  data       reply to DATA (default "354 go"; 354 only with a recipient
             accepted, else "554 5.5.1 no valid recipients")
  dot        reply after the end of data (default "250 2.0.0 queued")
  close_after  a command verb after whose reply the sink hangs up
  sessions   sessions to serve before exiting (default 1)
Replies may hold several lines separated by "\\n" (sent as CRLF lines).

The record file gets one JSON object per line: {"tls": 0|1, "data": TEXT}
for each segment received (recv() result, latin-1), {"event": TEXT} for
STARTTLS, the end of data, and session ends; and {"message": TEXT} with
the DATA octets as received (dot-stuffed, up to the final CRLF.CRLF).

Prints "ready" once it listens.  Limits: 120 s per session, 30 s per
read, 16 MiB per session.
"""
import json
import socket
import ssl
import sys
import time

SESSION_SECS = 120
READ_SECS = 30
MAX_BYTES = 16 << 20


class Session:
    def __init__(self, conn, script, rec):
        self.conn = conn
        self.sock = conn
        self.script = script
        self.rec = rec
        self.buf = b""
        self.tls = 0
        self.total = 0
        self.end = time.time() + SESSION_SECS
        self.accepted = 0

    def log(self, **kw):
        self.rec.write(json.dumps(kw) + "\n")
        self.rec.flush()

    def recv(self):
        left = self.end - time.time()
        if left <= 0:
            raise TimeoutError("session time limit")
        self.sock.settimeout(min(READ_SECS, left))
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("client closed")
        self.total += len(data)
        if self.total > MAX_BYTES:
            raise ValueError("session size limit")
        self.log(tls=self.tls, data=data.decode("latin-1"))
        return data

    def line(self):
        while b"\n" not in self.buf:
            self.buf += self.recv()
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.rstrip(b"\r").decode("latin-1")

    def send(self, text, extra=b""):
        lines = text.split("\n")
        out = "".join("%s\r\n" % ln for ln in lines).encode("latin-1")
        self.sock.sendall(out + extra)

    def reply(self, key, default):
        return self.script.get(key, default)

    def ehlo_reply(self):
        if "ehlo" in self.script:
            return self.script["ehlo"]
        ext = self.script.get("ext", [])
        if self.tls:
            ext = self.script.get("ext_tls",
                                  [e for e in ext if e.upper() != "STARTTLS"])
        return "\n".join(["250-sink" if ext else "250 sink"] +
                         ["250-%s" % e for e in ext[:-1]] +
                         ["250 %s" % e for e in ext[-1:]])

    def starttls(self):
        rep = self.reply("starttls", "220 2.0.0 go")
        inject = self.script.get("inject", "").encode("latin-1")
        self.send(rep, inject)
        if not rep.startswith("220"):
            return
        self.buf = b""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.script["cert"], self.script["key"])
        self.sock.settimeout(READ_SECS)
        self.sock = ctx.wrap_socket(self.conn, server_side=True)
        self.tls = 1
        self.log(event="tls " + self.sock.version())

    def auth(self, args):
        if args.upper().startswith("LOGIN"):
            self.send("334 VXNlcm5hbWU6")
            self.line()
            self.send("334 UGFzc3dvcmQ6")
            self.line()
        self.send(self.reply("auth", "235 2.7.0 ok"))

    def data(self):
        if self.accepted == 0 and "data" not in self.script:
            self.send("554 5.5.1 no valid recipients")
            return
        rep = self.reply("data", "354 go")
        self.send(rep)
        if not rep.startswith("354"):
            return
        acc = self.buf
        while True:
            # the message starts as if after a CRLF: ".\r\n" at once ends
            # an empty one
            i = (b"\r\n" + acc).find(b"\r\n.\r\n")
            if i >= 0:
                msg, self.buf = acc[:i], acc[i + 3:]
                break
            acc += self.recv()
        self.log(message=msg.decode("latin-1"))
        self.send(self.reply("dot", "250 2.0.0 queued"))

    def command(self, ln):
        verb = ln.split(" ", 1)[0].upper()
        args = ln[len(verb) + 1:]
        if verb == "EHLO":
            self.send(self.ehlo_reply())
        elif verb == "HELO":
            self.send(self.reply("helo", "250 sink"))
        elif verb == "STARTTLS":
            self.starttls()
        elif verb == "AUTH":
            self.auth(args)
        elif verb == "MAIL":
            self.accepted = 0
            self.send(self.reply("mail", "250 2.1.0 ok"))
        elif verb == "RCPT":
            addr = args.split(":", 1)[-1].split(" ")[0].strip("<>")
            rep = self.script.get("rcpt", {}).get(
                addr, self.reply("rcpt_default", "250 2.1.5 ok"))
            if rep.startswith("2"):
                self.accepted += 1
            self.send(rep)
        elif verb == "DATA":
            self.data()
        elif verb == "QUIT":
            self.send("221 2.0.0 bye")
            return False
        elif verb in ("RSET", "NOOP"):
            self.send("250 2.0.0 ok")
        else:
            self.send("500 5.5.2 unknown command")
        return verb != self.script.get("close_after", "").upper()

    def run(self):
        greeting = self.reply("greeting", "220 sink ESMTP")
        try:
            if greeting is None:
                while True:
                    self.recv()
            self.send(greeting)
            if not greeting.startswith("2"):
                self.line()   # the client's QUIT, if it sends one
                self.send("221 2.0.0 bye")
                return
            while self.command(self.line()):
                pass
        except (EOFError, TimeoutError, ValueError, OSError,
                ssl.SSLError) as e:
            self.log(event="end " + type(e).__name__ + " " + str(e))
        finally:
            self.log(event="closed")
            try:
                self.sock.close()
            except OSError:
                pass


def main():
    port, record, script = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    if script.startswith("@"):
        with open(script[1:]) as f:
            script = f.read()
    script = json.loads(script)
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(8)
    lsock.settimeout(SESSION_SECS)
    print("ready", flush=True)   # the test waits for this, not a probe
    with open(record, "a") as rec:
        for _ in range(int(script.get("sessions", 1))):
            try:
                conn, _addr = lsock.accept()
            except OSError:
                break
            Session(conn, script, rec).run()
    lsock.close()


if __name__ == "__main__":
    main()
