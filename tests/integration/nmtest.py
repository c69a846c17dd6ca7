"""nmtest.py - what the Python-driven integration scripts share: the
ok/FAIL reporting and its closing "N passed, N failed" line, free loopback
ports, waiting for a listener, and a throw-away certificate.

Every address is 127.0.0.1; every wait is bounded.  The scripts find this
module through PYTHONPATH, which their shell wrappers set.
"""
import os
import socket
import subprocess
import sys
import time

passed = 0
failed = 0


def check(name, cond, why=""):
    """Print "ok NAME" or "FAIL NAME" (and why, indented); return cond."""
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL " + name)
        if why:
            print("     " + str(why)[:900].replace("\n", "\n     "))
    sys.stdout.flush()
    return cond


def finish():
    """Print the closing line CI reads and exit 1 if any check failed."""
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


def free_ports(n):
    """n distinct ports that were free on 127.0.0.1 a moment ago."""
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def wait_port(port, secs=10.0):
    """True once something accepts on 127.0.0.1:port, False after secs."""
    end = time.time() + secs
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def make_cert(d, cn="localhost", timeout=60):
    """A self-signed P-256 certificate for cn in directory d: (cert, key)."""
    os.makedirs(d, exist_ok=True)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=" + cn], check=True,
                   capture_output=True, timeout=timeout)
    return cert, key
