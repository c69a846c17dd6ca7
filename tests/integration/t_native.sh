#!/bin/bash
# t_native.sh - native mailboxes of system accounts in per-connection
# mode: `newmail pop3d --inetd` under systemd-socket-activate --accept
# --inetd (what inetd, xinetd and systemd Accept=yes do) on a loopback
# port, with pop3.system_accounts = yes, a PAM service file made for the
# test, and system users made with useradd/chpasswd.  Python poplib checks:
# LIST sizes and RETR bytes exact, UIDL stable across sessions, QUIT moving
# retrieved mail to ~/mbox and removing deleted mail from /var/mail/USER
# while keeping mail delivered during the session, the serving process
# running as the user (/proc/PID/status), a Maildir user, a popstore
# account with the same name winning (legacy order), a wrong password
# answered like an unknown user, expired and nologin accounts refused
# with their codes.
#
# Needs root (users, /var/mail, /etc/pam.d); as another user it prints
# "SKIP t_native: needs root" and exits 0.  Everything it creates (users
# nmtsvc and nmtest1..5 with their homes, their spool files, the PAM file
# /etc/pam.d/newmail-test, the temp directory) is removed on exit, also on
# failure.
#
# Usage: tests/integration/t_native.sh [PATH-TO-NEWMAIL]
# Prints one line per check, then "N passed, N failed"; exits 1 on failure.

top=$(cd "$(dirname "$0")/../.." && pwd)
nm=${1:-${NEWMAIL:-$top/build/newmail}}
case $nm in /*) ;; *) nm=$(pwd)/$nm ;; esac
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP t_native: needs root"
    exit 0
fi
if [ ! -x "$nm" ]; then
    echo "t_native: $nm is not built (run make first)" >&2
    exit 2
fi
for c in python3 useradd userdel chpasswd chage runuser \
         systemd-socket-activate; do
    command -v "$c" >/dev/null || { echo "t_native: needs $c" >&2; exit 2; }
done

USERS="nmtest1 nmtest2 nmtest3 nmtest4 nmtest5"
SVC=nmtsvc
PAMFILE=/etc/pam.d/newmail-test
tmp=$(mktemp -d /tmp/t_native.XXXXXX)
act=""

cleanup() {
    [ -n "$act" ] && kill "$act" 2>/dev/null && wait "$act" 2>/dev/null
    for u in $USERS $SVC; do
        if id "$u" >/dev/null 2>&1; then
            # sessions end with their connections; wait for them (bounded)
            n=0
            while pgrep -u "$u" >/dev/null 2>&1 && [ $n -lt 50 ]; do
                sleep 0.1
                n=$((n + 1))
            done
            userdel -f -r "$u" >/dev/null 2>&1
        fi
        rm -f "/var/mail/$u" "/var/mail/$u.lock"
    done
    rm -f "$PAMFILE"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The users: a service account for the popstore, and the mail users.
useradd --system --no-create-home --shell /usr/sbin/nologin "$SVC" || exit 1
for u in nmtest1 nmtest2 nmtest3 nmtest4; do
    useradd -m -s /bin/sh "$u" || exit 1
done
useradd -m -s /usr/sbin/nologin nmtest5 || exit 1
printf '%s\n' "nmtest1:Pw-one-1" "nmtest2:Pw-two-2" "nmtest3:Sys-three-3" \
    "nmtest4:Pw-four-4" "nmtest5:Pw-five-5" | chpasswd || exit 1
chage -d 0 nmtest4          # must change the password: expired

cat > "$PAMFILE" <<'EOF'
# made by newmail tests/integration/t_native.sh; removed when it ends
auth    required pam_unix.so
account required pam_unix.so
EOF

# The spool files, owned as a delivery agent leaves them.
msg1='From alice@example.org Mon Jan  1 10:00:00 2024
Subject: first
From: alice@example.org

Hello one.
.leading dot line
From inside the body after text

'
msg2='From bob@example.org Mon Jan  1 10:00:01 2024
Subject: second

>From quoted
two
'
printf '%s\n%s\n' "$msg1" "$msg2" > "$tmp/spool1"
for u in nmtest1 nmtest3; do
    cp "$tmp/spool1" "/var/mail/$u"
    chown "$u:mail" "/var/mail/$u"
    chmod 0660 "/var/mail/$u"
done
# nmtest2 reads Maildir
h2=$(getent passwd nmtest2 | cut -d: -f6)
mkdir -p "$h2/Maildir/new" "$h2/Maildir/cur" "$h2/Maildir/tmp"
printf 'Subject: md\n\nmaildir body\n' > "$h2/Maildir/new/1700000000.M1P1.host"
chown -R nmtest2: "$h2/Maildir"

chmod 0755 "$tmp"
# A private copy: a rebuild of the tree during the run cannot swap it.
cp "$nm" "$tmp/newmail" || exit 1
nm=$tmp/newmail
mkdir "$tmp/store"
chown "$SVC:" "$tmp/store"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$tmp/newmail.conf" <<EOF
hostname = localhost
store.root = $tmp/store
service.user = $SVC
log.syslog = no
log.level = debug
log.file = $tmp/newmail.log
pop3.plaintext_auth = always
pop3.auth_penalty = no
pop3.system_accounts = yes
pop3.pam_service = newmail-test
EOF
chmod 0644 "$tmp/newmail.conf"
asvc() { runuser -u "$SVC" -- "$nm" -c "$tmp/newmail.conf" "$@"; }
asvc domain add --default example.org >/dev/null || exit 1
printf 'Store-three-3\n' | asvc user add nmtest3@example.org \
    --password-stdin >/dev/null || exit 1
printf 'Subject: store\n\npopstore copy\n' | asvc deliver nmtest3@example.org \
    >/dev/null || exit 1

# An ASan build: LeakSanitizer cannot stop the threads of a process that
# changed its uid and is no longer dumpable, so leak checks are off here
# (the other scripts keep them).  systemd-socket-activate passes only the
# variables named with -E.
if grep -q __asan_init "$nm" 2>/dev/null; then
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    export ASAN_OPTIONS
fi
systemd-socket-activate -l "127.0.0.1:$port" -a --inetd \
    -E ASAN_OPTIONS -E UBSAN_OPTIONS \
    "$nm" -c "$tmp/newmail.conf" pop3d --inetd 2>> "$tmp/server.log" &
act=$!

PYTHONPATH="$top/tests/integration${PYTHONPATH:+:$PYTHONPATH}" \
    python3 - "$nm" "$port" "$tmp" <<'PYEOF'
import os, poplib, pwd, sys, time
from nmtest import check, finish, wait_port

NM, PORT, TMP = sys.argv[1:4]
PORT = int(PORT)

def crlf(b):
    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")

def login(user, pw):
    p = poplib.POP3("127.0.0.1", PORT, timeout=20)
    p.user(user)
    p.pass_(pw)
    return p

def fail_text(user, pw):
    p = poplib.POP3("127.0.0.1", PORT, timeout=20)
    try:
        p.user(user)
        p.pass_(pw)
        return "logged in"
    except poplib.error_proto as e:
        return e.args[0].decode("ascii", "replace")
    finally:
        try:
            p.quit()
        except Exception:
            pass

def server_uids():
    """Real, effective, saved, fs uids of the pop3d --inetd processes."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
            if argv[0].decode() != NM or b"pop3d" not in argv:
                continue
            with open("/proc/%s/status" % pid) as f:
                for line in f:
                    if line.startswith("Uid:"):
                        out.append([int(x) for x in line.split()[1:]])
        except (OSError, UnicodeDecodeError):
            pass
    return out

spool1 = open(os.path.join(TMP, "spool1"), "rb").read()
parts = spool1.split(b"\n\nFrom bob")
m1 = parts[0].split(b"\n", 1)[1] + b"\n"
m2 = b"From bob" + parts[1]
m2 = m2.split(b"\n", 1)[1]
while m2.endswith(b"\n\n"):
    m2 = m2[:-1]
want = [crlf(m1), crlf(m2)]
u1 = pwd.getpwnam("nmtest1")
svc = pwd.getpwnam("nmtsvc")

check("socket activator listens", wait_port(PORT, 15), "no listener")

# --- session A: sizes, bytes, ids, identity; ends without QUIT ---
p = login("nmtest1", "Pw-one-1")
count, size = p.stat()
check("system account: STAT counts the spool", count == 2, (count, size))
lst = p.list()[1]
sizes = [int(x.split()[1]) for x in lst]
check("LIST sizes exact", sizes == [len(w) for w in want],
      (sizes, [len(w) for w in want]))
for i in (1, 2):
    body = b"\r\n".join(p.retr(i)[1]) + b"\r\n"
    check("RETR %d byte exact" % i, body == want[i - 1], body[:300])
uidl_a = p.uidl()[1]
uids = server_uids()
check("the serving process runs as the user (/proc Uid)",
      [u1.pw_uid] * 4 in uids and not any(0 in u for u in uids), uids)
busy = fail_text("nmtest1", "Pw-one-1")
check("a second session on the same mailbox: -ERR [IN-USE]",
      busy.startswith("-ERR [IN-USE]"), busy)
p.close()   # no QUIT: nothing changes
end = time.time() + 10
while server_uids() and time.time() < end:
    time.sleep(0.1)
check("a session without QUIT changes nothing",
      open("/var/mail/nmtest1", "rb").read() == spool1, "spool changed")

# --- session B: same ids; RETR 1, DELE 2, mail arrives, QUIT ---
p = login("nmtest1", "Pw-one-1")
check("UIDL stable across sessions", p.uidl()[1] == uidl_a,
      (p.uidl()[1], uidl_a))
p.retr(1)
p.dele(2)
late = (b"From carol@example.org Mon Jan  1 10:00:02 2024\n"
        b"Subject: late\n\nwhile you were reading\n\n")
with open("/var/mail/nmtest1", "ab") as f:
    f.write(late)
resp = p.quit()
check("QUIT +OK", resp.startswith(b"+OK"), resp)
time.sleep(0.3)
spool = open("/var/mail/nmtest1", "rb").read()
check("DELE + QUIT removed from the spool, late mail kept", spool == late,
      spool[:400])
mbox_path = os.path.join(u1.pw_dir, "mbox")
mb = open(mbox_path, "rb").read() if os.path.exists(mbox_path) else b""
check("retrieved, not deleted: moved to ~/mbox with its From_ line",
      mb.startswith(b"From alice@example.org Mon Jan  1 10:00:00 2024\n")
      and b"Hello one." in mb and b"\n>From inside the body" in mb, mb[:400])
st = os.stat(mbox_path) if mb else None
check("~/mbox belongs to the user, mode 0600",
      st is not None and st.st_uid == u1.pw_uid and
      (st.st_mode & 0o777) == 0o600, st)
check("the dot-lock is gone", not os.path.exists("/var/mail/nmtest1.lock"))
p = login("nmtest1", "Pw-one-1")
check("next session sees only the late message", p.stat()[0] == 1, p.stat())
p.quit()

log = open(os.path.join(TMP, "newmail.log"), "rb").read().decode(
    "utf-8", "replace")
check("the dot-lock could be made (spool group kept): no fcntl-only "
      "warning", "relying on the fcntl lock alone" not in log and
      "user=nmtest1" in log, log[-600:])

# --- failures: one answer for wrong password and unknown user ---
wrong = fail_text("nmtest1", "not-the-password")
unknown = fail_text("nosuchuser9", "whatever")
check("wrong password answered like an unknown user",
      wrong == unknown and wrong.startswith("-ERR"), (wrong, unknown))
exp = fail_text("nmtest4", "Pw-four-4")
check("expired password: -ERR [AUTH] Password expired",
      exp.startswith("-ERR [AUTH] Password expired"), exp)
nol = fail_text("nmtest5", "Pw-five-5")
check("nologin account: -ERR [AUTH] Account disabled",
      nol.startswith("-ERR [AUTH] Account disabled"), nol)

# --- Maildir user ---
u2 = pwd.getpwnam("nmtest2")
p = login("nmtest2", "Pw-two-2")
check("Maildir: one message", p.stat()[0] == 1, p.stat())
check("Maildir: UIDL is the base name",
      p.uidl(1).split()[2] == b"1700000000.M1P1.host", p.uidl(1))
body = b"\r\n".join(p.retr(1)[1]) + b"\r\n"
check("Maildir: RETR byte exact",
      body == b"Subject: md\r\n\r\nmaildir body\r\n", body)
p.quit()
cur = os.listdir(os.path.join(u2.pw_dir, "Maildir", "cur"))
new = os.listdir(os.path.join(u2.pw_dir, "Maildir", "new"))
check("Maildir: retrieved message renamed into cur/ with :2,S",
      cur == ["1700000000.M1P1.host:2,S"] and new == [], (cur, new))

# --- legacy order: a popstore account by the same name wins ---
p = login("nmtest3", "Store-three-3")
count = p.stat()[0]
body = b"\r\n".join(p.retr(1)[1]) if count else b""
check("popstore account wins over the system account",
      count == 1 and b"popstore copy" in body, (count, body[:200]))
uids = server_uids()
check("a popstore session runs as service.user",
      [svc.pw_uid] * 4 in uids, uids)
p.quit()
sysl = fail_text("nmtest3", "Sys-three-3")
check("the system password does not reach a popstore name",
      sysl == unknown, sysl)
check("the popstore name's spool is untouched",
      open("/var/mail/nmtest3", "rb").read() == spool1, "changed")

finish()
PYEOF
rc=$?
if [ $rc -ne 0 ]; then
    echo "--- server log ---"
    tail -n 40 "$tmp/server.log"
fi
exit $rc
