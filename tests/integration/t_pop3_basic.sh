#!/bin/bash
# t_pop3_basic.sh - drives the real server: `newmail serve` on loopback
# ephemeral ports with Python poplib (USER/PASS after STLS, POP3_SSL on the
# POP3S port, RETR bytes), the session limit, a port already in use,
# SIGHUP (new certificate for new sessions, a bad file keeps the old
# configuration), SIGTERM (listeners closed, the open session finishes, exit
# 0), systemd socket activation, `newmail pop3d --inetd` on an inherited
# socket, the embedded defaults, and the switch to service.user when root.
#
# Accounts and mail are made with `newmail user add` and `newmail deliver`;
# if this build has no such commands the tests that need them are skipped
# with a message.
#
# Usage: tests/integration/t_pop3_basic.sh [PATH-TO-NEWMAIL]
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.
# Needs python3 and the openssl command (test certificates); uses only
# 127.0.0.1.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-$top/build/newmail}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
if [ ! -x "$nm" ]; then
    echo "t_pop3_basic: $nm is not built (run make first)" >&2
    exit 2
fi
command -v python3 >/dev/null || { echo "t_pop3_basic: needs python3" >&2; exit 2; }

PYTHONPATH="$top/tests/integration${PYTHONPATH:+:$PYTHONPATH}" \
    exec python3 - "$nm" <<'PYEOF'
import os, poplib, signal, socket, ssl, subprocess, sys, tempfile, time, shutil
from nmtest import free_ports, wait_port, make_cert

NM = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="t_pop3_basic.")
passed = failed = skipped = 0
procs = []

def ok(name):
    global passed
    passed += 1
    print("ok   " + name)

def bad(name, why=""):
    global failed
    failed += 1
    print("FAIL " + name)
    if why:
        print("     " + str(why)[:600])

def skip(name, why):
    global skipped
    skipped += 1
    print("skip " + name + ": " + why)

def check(name, cond, why=""):
    (ok if cond else (lambda n: bad(n, why)))(name)

def run(args, stdin=None, cwd=None):
    p = subprocess.run([NM] + args, input=stdin, capture_output=True,
                       cwd=cwd, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        p.stderr.decode("utf-8", "replace")

def write_conf(path, p3, p3s, cert, key, store, extra=""):
    with open(path, "w") as f:
        f.write("# written by t_pop3_basic.sh\n"
                "hostname = localhost\n"
                "pop3.listen = 127.0.0.1:%d\n"
                "pop3s.listen = 127.0.0.1:%d\n"
                "tls.cert = %s\n"
                "tls.key = %s\n"
                "store.root = %s\n"
                "service.user = \"\"\n"
                "log.syslog = no\n"
                "log.level = debug\n"
                "pop3.maximum_threads = 3\n%s" % (p3, p3s, cert, key, store,
                                                  extra))

def start(args, log, cwd=None, env=None, prefix=None):
    f = open(log, "wb")
    cmd = (prefix or []) + [NM] + args
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=f,
                         cwd=cwd, env=env)
    procs.append(p)
    return p

def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

def logtext(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")

def tls_ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c

def login_stls(port, user, pw):
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    p.stls(tls_ctx())
    p.user(user)
    p.pass_(pw)
    return p

def crlf(b):
    """The message as POP3 gives it: every line end CRLF."""
    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")

try:
    if shutil.which("openssl") is None:
        bad("openssl command", "needed to make the test certificates "
            "(apt-get install openssl)")
        raise SystemExit
    P3, P3S = free_ports(2)
    certdir = os.path.join(tmp, "tls")
    cert, key = make_cert(certdir, "first.test")
    store = os.path.join(tmp, "store")
    conf = os.path.join(tmp, "newmail.conf")
    write_conf(conf, P3, P3S, cert, key, store)
    USER, PW = "alice@example.org", "correct horse battery"

    # --- help and usage ---
    rc, out, err = run(["serve", "--help"])
    check("serve --help (exit 0)", rc == 0 and "pop3.listen" in out, out + err)
    rc, out, err = run(["serve", "--bogus"])
    check("serve --bogus is a usage error (exit 64)", rc == 64, err)
    rc, out, err = run(["pop3d"])
    check("pop3d without --inetd is a usage error (exit 64)", rc == 64, err)

    # --- account and mail through the commands ---
    rc, out, err = run(["-c", conf, "user", "add", USER, "--password-stdin"],
                       stdin=(PW + "\n").encode())
    have_user = rc == 0
    if "unknown command" in err:
        skip("user add", "this build has no 'newmail user add' command")
    else:
        check("user add (exit 0)", rc == 0, err)
    msgs = [b"From: bob@example.org\r\nSubject: one\r\n\r\nfirst\r\n"
            b".starts with a dot\r\n..two dots\r\nlast\r\n",
            b"From: carol@example.org\nSubject: two\n\nbare LF lines\n" +
            (b"x" * 998 + b"\n") * 3 + b"end without newline"]
    have_mail = have_user
    for i, m in enumerate(msgs):
        rc, out, err = run(["-c", conf, "deliver", USER], stdin=m)
        if "unknown command" in err:
            skip("deliver", "this build has no 'newmail deliver' command")
            have_mail = False
            break
        check("deliver message %d (exit 0)" % (i + 1), rc == 0, err)
        have_mail = have_mail and rc == 0

    # --- the server ---
    log1 = os.path.join(tmp, "serve1.log")
    srv = start(["-c", conf, "serve"], log1)
    up = wait_port(P3) and wait_port(P3S)
    check("serve listens on pop3 and pop3s", up, logtext(log1))
    if not up:
        raise SystemExit

    p = poplib.POP3("127.0.0.1", P3, timeout=10)
    check("greeting", p.getwelcome().startswith(b"+OK"), p.getwelcome())
    caps = p.capa()
    check("CAPA offers STLS before TLS", "STLS" in caps, caps)
    p.quit()

    # a second server on the same ports fails clearly
    rc, out, err = run(["-c", conf, "serve"])
    check("port in use: exit 69 with a message", rc == 69 and
          "in use" in err, "rc=%d %s" % (rc, err))

    if have_mail:
        p = None
        try:
            p = login_stls(P3, USER, PW)
            n, size = p.stat()
            check("STAT after STLS login: 2 messages", n == 2, (n, size))
            lst = dict((int(a), int(b)) for a, b in
                       (x.split() for x in p.list()[1]))
            resp, lines, octets = p.retr(1)
            got = b"\r\n".join(lines) + b"\r\n"
            # poplib un-stuffs leading dots of the lines it returns
            check("RETR 1 returns the delivered bytes", got == crlf(msgs[0]),
                  got)
            check("RETR 1 octets match LIST", octets - 0 >= lst[1] and
                  len(got) == lst[1], (octets, lst, len(got)))
            resp, lines, octets = p.retr(2)
            got = b"\r\n".join(lines) + b"\r\n"
            check("RETR 2 (bare LF, no final newline) in CRLF form",
                  got == crlf(msgs[1]) + b"\r\n" and len(got) == lst[2],
                  (len(got), lst[2]))
            # No QUIT: retrieved mail would move to MAIL (OpenVMS folder
            # semantics) and the later sessions would find NEWMAIL empty.
            p.close()
            time.sleep(0.3)
        except Exception as e:
            bad("POP3 with STLS", repr(e))
            if p is not None:
                p.close()   # no QUIT: the mailbox lock goes with the session
            time.sleep(0.3)
        s = None
        try:
            s = poplib.POP3_SSL("127.0.0.1", P3S, context=tls_ctx(),
                                timeout=10)
            s.user(USER)
            s.pass_(PW)
            n, size = s.stat()
            check("POP3_SSL login and STAT", n == 2, (n, size))
            resp, lines, octets = s.retr(1)
            check("POP3_SSL RETR 1", b"\r\n".join(lines) + b"\r\n" ==
                  crlf(msgs[0]))
            s.close()
            time.sleep(0.3)
        except Exception as e:
            bad("POP3_SSL", repr(e))
            if s is not None:
                s.close()
    else:
        skip("login and RETR", "no account or mail (see above)")

    # --- the session limit: pop3.maximum_threads = 3 over POP3 and POP3S ---
    held = []
    try:
        held.append(poplib.POP3("127.0.0.1", P3, timeout=10))
        held.append(poplib.POP3("127.0.0.1", P3, timeout=10))
        held.append(poplib.POP3_SSL("127.0.0.1", P3S, context=tls_ctx(),
                                    timeout=10))
        c = socket.create_connection(("127.0.0.1", P3), 5)
        line = c.makefile("rb").readline()
        c.close()
        check("4th session refused with -ERR [SYS/TEMP]",
              line.startswith(b"-ERR [SYS/TEMP]"), line)
        try:
            x = socket.create_connection(("127.0.0.1", P3S), 5)
            t = tls_ctx().wrap_socket(x)
            t.recv(100)
            refused = False
        except (ssl.SSLError, OSError):
            refused = True
        check("POP3S over the limit is closed", refused)
    except Exception as e:
        bad("session limit", repr(e))
    for h in held:
        try:
            h.quit()
        except Exception:
            pass
    time.sleep(0.5)
    try:
        p = poplib.POP3("127.0.0.1", P3, timeout=10)
        check("after the sessions end a new one is served",
              p.getwelcome().startswith(b"+OK"))
        p.quit()
    except Exception as e:
        bad("session after limit", repr(e))
    check("refusals are logged", "too many sessions" in logtext(log1))

    # --- SIGHUP: a new certificate for new sessions ---
    def peer_cert():
        s = poplib.POP3_SSL("127.0.0.1", P3S, context=tls_ctx(), timeout=10)
        der = s.sock.getpeercert(binary_form=True)
        s.quit()
        return der
    before = peer_cert()
    old_sess = None
    if have_mail:
        old_sess = login_stls(P3, USER, PW)
    shutil.copy(cert, cert + ".old")
    shutil.copy(key, key + ".old")
    make_cert(certdir, "second.test")
    srv.send_signal(signal.SIGHUP)
    changed = False
    for _ in range(50):
        time.sleep(0.1)
        if peer_cert() != before:
            changed = True
            break
    check("SIGHUP: new sessions get the new certificate", changed)
    check("SIGHUP: reload logged", "TLS certificate" in logtext(log1) and
          "reload" in logtext(log1))
    if old_sess is not None:
        try:
            check("SIGHUP: a session begun before goes on",
                  old_sess.stat()[0] == 2)
            old_sess.close()
            time.sleep(0.3)
        except Exception as e:
            bad("session across reload", repr(e))
    # A broken configuration is refused and the old one kept.
    with open(conf) as f:
        good = f.read()
    with open(conf, "w") as f:
        f.write(good + "no.such.key = 1\n")
    srv.send_signal(signal.SIGHUP)
    time.sleep(1.0)
    alive = srv.poll() is None and wait_port(P3, 3)
    check("SIGHUP with a bad file: still serving", alive)
    check("SIGHUP with a bad file: logged", "configuration not changed"
          in logtext(log1), logtext(log1)[-800:])
    with open(conf, "w") as f:
        f.write(good)

    # --- SIGTERM: stop accepting, let the open session finish ---
    if have_mail:
        sess = login_stls(P3, USER, PW)
    else:
        sess = poplib.POP3("127.0.0.1", P3, timeout=10)
    t0 = time.time()
    srv.send_signal(signal.SIGTERM)
    refused = False
    for _ in range(40):
        time.sleep(0.1)
        try:
            socket.create_connection(("127.0.0.1", P3), 1).close()
        except OSError:
            refused = True
            break
    check("SIGTERM: new connections refused", refused)
    check("SIGTERM: server waits for the open session",
          srv.poll() is None)
    try:
        if have_mail:
            check("SIGTERM: the open session still works",
                  sess.stat()[0] == 2)
        else:
            sess.noop()
        sess.quit()
    except Exception as e:
        bad("SIGTERM: open session", repr(e))
    try:
        rc = srv.wait(10)
    except subprocess.TimeoutExpired:
        rc = None
    check("SIGTERM: exit 0 once the session ended", rc == 0,
          "exit %r; log: %s" % (rc, logtext(log1)[-3000:]))
    check("SIGTERM: logged", "shutting down" in logtext(log1) and
          "stopped" in logtext(log1), logtext(log1)[-500:])

    # --- a second SIGTERM ends the wait for sessions that do not end ---
    log6 = os.path.join(tmp, "serve6.log")
    srv6 = start(["-c", conf, "serve"], log6)
    if wait_port(P3):
        idle = poplib.POP3("127.0.0.1", P3, timeout=10)
        srv6.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        check("SIGTERM with an idle session: still waiting",
              srv6.poll() is None)
        srv6.send_signal(signal.SIGTERM)
        try:
            rc = srv6.wait(5)
        except subprocess.TimeoutExpired:
            rc = None
        check("second SIGTERM: exit 0 without the idle session", rc == 0,
              (rc, logtext(log6)[-400:]))
        check("second SIGTERM: the cut session is logged",
              "cut short" in logtext(log6), logtext(log6)[-400:])
        idle.close()
    else:
        bad("second SIGTERM: server did not start", logtext(log6)[-400:])

    # --- systemd socket activation ---
    sa = shutil.which("systemd-socket-activate")
    if sa is None:
        skip("socket activation", "no systemd-socket-activate")
    else:
        log2 = os.path.join(tmp, "serve2.log")
        srv2 = start(["-c", conf, "serve"], log2,
                     prefix=[sa, "-l", "127.0.0.1:%d" % P3S,
                             "-l", "127.0.0.1:%d" % P3])
        up = wait_port(P3) and wait_port(P3S)
        try:
            p = poplib.POP3("127.0.0.1", P3, timeout=10)
            caps = p.capa()
            p.quit()
            s = poplib.POP3_SSL("127.0.0.1", P3S, context=tls_ctx(),
                                timeout=10)
            s.quit()
            check("socket activation: each socket serves its service "
                  "(matched by port)", up and "STLS" in caps)
        except Exception as e:
            bad("socket activation", repr(e) + logtext(log2)[-500:])
        check("socket activation logged", "socket activation" in
              logtext(log2), logtext(log2)[-500:])
        stop(srv2)

    # --- per-connection mode: pop3d --inetd on an inherited socket ---
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    cl = socket.create_connection(ls.getsockname(), 5)
    conn, _ = ls.accept()
    child = subprocess.Popen([NM, "-c", conf, "pop3d", "--inetd"],
                             stdin=conn.fileno(), stdout=conn.fileno(),
                             stderr=subprocess.DEVNULL)
    conn.close()
    cl.settimeout(10)
    f = cl.makefile("rwb")
    greet = f.readline()
    check("pop3d --inetd: greeting on the inherited socket",
          greet.startswith(b"+OK"), greet)
    f.write(b"CAPA\r\n")
    f.flush()
    capa = []
    while True:
        line = f.readline()
        if not line or line == b".\r\n":
            break
        capa.append(line.strip())
    check("pop3d --inetd: STLS offered", b"STLS" in capa, capa)
    f.write(b"QUIT\r\n")
    f.flush()
    bye = f.readline()
    check("pop3d --inetd: QUIT", bye.startswith(b"+OK"), bye)
    try:
        rc = child.wait(10)
    except subprocess.TimeoutExpired:
        child.kill()
        rc = None
    check("pop3d --inetd: exits 0 after the session", rc == 0, rc)
    cl.close()
    ls.close()
    rc, out, err = run(["-c", conf, "pop3d", "--inetd"])
    check("pop3d --inetd without a socket fails (exit 66)", rc == 66,
          (rc, out, err))

    # systemd Accept=yes: the connection arrives as descriptor 3
    if sa is None:
        skip("pop3d under Accept=yes", "no systemd-socket-activate")
    else:
        for tls in (False, True):
            (P6,) = free_ports(1)
            args = ["-c", conf, "pop3d", "--inetd"]
            if tls:
                args.append("--tls")
            log5 = os.path.join(tmp, "accept.log")
            act = start(args, log5, prefix=[sa, "-a", "-l",
                                            "127.0.0.1:%d" % P6])
            name = "pop3d --inetd%s under Accept=yes" % (" --tls" if tls
                                                          else "")
            try:
                time.sleep(0.3)
                end = time.time() + 5
                while True:
                    try:
                        if tls:
                            q = poplib.POP3_SSL("127.0.0.1", P6,
                                                context=tls_ctx(), timeout=10)
                        else:
                            q = poplib.POP3("127.0.0.1", P6, timeout=10)
                        break
                    except OSError:
                        if time.time() > end:
                            raise
                        time.sleep(0.1)
                caps = q.capa()
                # STLS is offered only before TLS (RFC 2595)
                check(name, q.getwelcome().startswith(b"+OK") and
                      (("STLS" in caps) != tls), caps)
                q.quit()
            except Exception as e:
                bad(name, repr(e) + logtext(log5)[-300:])
            stop(act)

    # --- embedded defaults: no configuration file at all ---
    emb = os.path.join(tmp, "embedded")
    os.makedirs(emb)
    if os.path.exists("/etc/newmail/newmail.conf"):
        skip("embedded defaults", "/etc/newmail/newmail.conf exists")
    else:
        busy = False
        for port in (2110, 2995):
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                busy = True
            except OSError:
                pass
        if busy:
            skip("embedded defaults", "127.0.0.1:2110 or :2995 is in use")
        else:
            log3 = os.path.join(tmp, "serve3.log")
            srv3 = start(["serve"], log3, cwd=emb)
            up = wait_port(2110) and wait_port(2995)
            check("embedded defaults: POP3 on 2110 and POP3S on 2995", up,
                  logtext(log3)[-500:])
            check("embedded defaults: self-signed certificate made",
                  os.path.exists(os.path.join(emb, "newmail-data", "tls",
                                              "cert.pem")))
            try:
                s = poplib.POP3_SSL("127.0.0.1", 2995, context=tls_ctx(),
                                    timeout=10)
                check("embedded defaults: POP3S greeting",
                      s.getwelcome().startswith(b"+OK"))
                s.quit()
            except Exception as e:
                bad("embedded defaults: POP3S", repr(e))
            stop(srv3)
            check("embedded defaults: exit 0 on SIGTERM", srv3.returncode == 0,
                  srv3.returncode)

    # --- root: bind first, then run as service.user ---
    if os.geteuid() != 0:
        skip("service.user", "not running as root")
    else:
        import pwd
        try:
            nob = pwd.getpwnam("nobody")
        except KeyError:
            nob = None
        if nob is None:
            skip("service.user", "no 'nobody' account")
        else:
            P4, P5 = free_ports(2)
            st2 = os.path.join(tmp, "nobody-store")
            os.makedirs(st2)
            os.chown(st2, nob.pw_uid, nob.pw_gid)
            conf2 = os.path.join(tmp, "nobody.conf")
            write_conf(conf2, P4, P5, cert, key, st2)
            with open(conf2) as f:
                txt = f.read().replace('service.user = ""',
                                       "service.user = nobody")
            with open(conf2, "w") as f:
                f.write(txt)
            os.chmod(tmp, 0o755)
            log4 = os.path.join(tmp, "serve4.log")
            srv4 = start(["-c", conf2, "serve"], log4)
            up = wait_port(P4)
            uid = None
            try:
                with open("/proc/%d/status" % srv4.pid) as f:
                    for line in f:
                        if line.startswith("Uid:"):
                            uid = [int(x) for x in line.split()[1:]]
            except OSError:
                pass
            check("service.user: serving after the switch", up,
                  logtext(log4)[-500:])
            check("service.user: every uid is nobody's",
                  uid is not None and set(uid) == {nob.pw_uid}, uid)
            try:
                s = poplib.POP3_SSL("127.0.0.1", P5, context=tls_ctx(),
                                    timeout=10)
                check("service.user: TLS key read before the switch",
                      s.getwelcome().startswith(b"+OK"))
                s.quit()
            except Exception as e:
                bad("service.user: POP3S", repr(e))
            stop(srv4)
            conf3 = os.path.join(tmp, "nouser.conf")
            with open(conf3, "w") as f:
                f.write(txt.replace("service.user = nobody",
                                    "service.user = no_such_user_x"))
            rc, out, err = run(["-c", conf3, "serve"])
            check("service.user missing: exit 78 naming the account",
                  rc == 78 and "no_such_user_x" in err, (rc, err))
except SystemExit:
    pass
except Exception as e:
    bad("unexpected error", repr(e))
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(tmp, ignore_errors=True)

if skipped:
    print("%d skipped (see the skip lines)" % skipped)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PYEOF
