# lib.sh - what tests/bench/bench.sh (make bench) and peers.sh (make
# bench-peers) share: free loopback ports, bounded waits, a private
# newmail server and its accounts, a private Postfix and Dovecot, the
# benchmark rows and the table.  Sourced by bash, never run.
#
# Every server listens on 127.0.0.1 only, on ports the system said were
# free; every wait is bounded; bn_stop_all (the callers' EXIT trap) stops
# everything started here.  Postfix and Dovecot need root.
#
# Variables the callers set: TOP (source tree), TMPD (work directory),
# NM (build/newmail), BENCH (build/newmail-bench), ROWS (key=value lines
# of every row), SECS (bound of one measured row), IDLE (idle
# connections), BIG (messages of the big mailbox), PW (every password),
# SS_4K and SS_100K (smtp-source messages per 1-session row).

BN_USERS_SMTP=16        # s1..s16@example.org receive the SMTP rows
BN_USERS_POP=64         # u1..u64 are read by the POP3 rows
BN_FILL=40              # messages per POP3 mailbox
BN_FILL_BIG=400         # messages per mailbox of the long POP3 row
NM_PID=
PF_DIR=
DV_CONF=

say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

# N ports free on 127.0.0.1 a moment ago.
bn_ports() {
    python3 -c '
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))' "$1"
}

# Wait at most $2 seconds until something accepts on 127.0.0.1:$1.
bn_wait_port() {
    python3 -c '
import socket, sys, time
end = time.time() + float(sys.argv[2])
while True:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close()
        sys.exit(0)
    except OSError:
        if time.time() > end: sys.exit(1)
        time.sleep(0.05)' "$1" "$2"
}

# The account list: every address the rows use, one per line.
bn_addresses() {
    local i n=$IDLE
    # u1..u72 at least: the POP3 rows read u1..u64 and u65..u72.
    [ "$n" -ge 72 ] || n=72
    for i in $(seq 1 "$n"); do echo "u$i@example.org"; done
    for i in $(seq 1 "$BN_USERS_SMTP"); do echo "s$i@example.org"; done
    for i in 1 2 3 4 5 6; do echo "ss$i@example.org"; done
    echo "big1@big.example"
}

bn_cert() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$TMPD/key.pem" -out "$TMPD/cert.pem" -days 2 \
        -subj /CN=localhost >/dev/null 2>&1 || die "openssl req"
    chmod 644 "$TMPD/cert.pem" "$TMPD/key.pem"
}

# ---- newmail ------------------------------------------------------------

# nm_setup SMTP POP3 POP3S: configuration and accounts (not started).
nm_setup() {
    NM_SMTP=$1 NM_POP3=$2 NM_POP3S=$3
    NM_CONF=$TMPD/nm/newmail.conf
    NM_STORE=$TMPD/nm/store
    mkdir -p "$TMPD/nm"
    cat >"$NM_CONF" <<CONF
hostname = localhost
smtp.listen = 127.0.0.1:$NM_SMTP
pop3.listen = 127.0.0.1:$NM_POP3
pop3s.listen = 127.0.0.1:$NM_POP3S
tls.cert = $TMPD/cert.pem
tls.key = $TMPD/key.pem
store.root = $NM_STORE
service.user = ""
log.syslog = no
log.level = warn
pop3.leave_in_newmail = yes
pop3.plaintext_auth = always
pop3.maximum_threads = $((IDLE + 100))
pop3.maximum_per_source = $((IDLE + 100))
smtp.maximum_threads = $((IDLE + 100))
smtp.maximum_per_source = $((IDLE + 100))
CONF
    say "newmail: adding $(bn_addresses | wc -l) accounts"
    # Two at a time: each add hashes the password (PBKDF2).
    bn_addresses | xargs -P 2 -I{} sh -c \
        'echo "$2" | "$1" -c "$3" user add "{}" --password-stdin >/dev/null' \
        _ "$NM" "$PW" "$NM_CONF" || die "newmail user add"
}

nm_start() {
    "$NM" -c "$NM_CONF" serve --stderr >"$TMPD/nm/serve.log" 2>&1 &
    NM_PID=$!
    bn_wait_port "$NM_SMTP" 20 && bn_wait_port "$NM_POP3" 5 \
        && bn_wait_port "$NM_POP3S" 5 || die "newmail serve did not listen"
}

nm_stop() {
    [ -n "$NM_PID" ] || return 0
    kill "$NM_PID" 2>/dev/null
    # Bounded: 10 s, then KILL.
    for _ in $(seq 1 100); do
        kill -0 "$NM_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$NM_PID" 2>/dev/null
    wait "$NM_PID" 2>/dev/null
    NM_PID=
}

# The big mailbox: BIG small messages imported once into NEWMAIL.
nm_bigbox() {
    python3 "$TOP/tests/bench/bigbox.py" mbox "$BIG" "$TMPD/big.mbox" \
        || die "bigbox.py"
    "$NM" -c "$NM_CONF" import big1@big.example "$TMPD/big.mbox" >/dev/null \
        || die "newmail import"
    rm -f "$TMPD/big.mbox"
}

# ---- Postfix ------------------------------------------------------------

# pf_start SMTP: a private instance (own config, queue and data
# directories) delivering the bench domains to Maildirs under
# $TMPD/mail/DOMAIN/USER/ as nobody, durability at the defaults.
pf_start() {
    PF_SMTP=$1
    PF_DIR=$TMPD/pf
    local etc=$PF_DIR/etc
    mkdir -p "$etc" "$PF_DIR/spool" "$PF_DIR/data" "$TMPD/mail"
    chown postfix "$PF_DIR/data"
    chown nobody:nogroup "$TMPD/mail"
    chmod 755 "$TMPD" "$TMPD/mail"
    bn_addresses | sed 's/^\(\([^@]*\)@\(.*\)\)$/\1 \3\/\2\//' \
        >"$etc/vmailbox"
    cat >"$etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $PF_DIR/spool
data_directory = $PF_DIR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.localdomain
mydomain = localdomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
maillog_file = $PF_DIR/maillog
virtual_mailbox_domains = example.org big.example
virtual_mailbox_base = $TMPD/mail
virtual_mailbox_maps = texthash:$etc/vmailbox
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
default_process_limit = $((IDLE + 100))
smtpd_tls_cert_file = $TMPD/cert.pem
smtpd_tls_key_file = $TMPD/key.pem
smtpd_tls_security_level = may
CF
    # Debian's services without chroot (the private queue directory has
    # no copy of /etc), smtpd on the bench port instead of port 25.
    awk -v port="$PF_SMTP" '
        /^#/ || /^[ \t]/ || NF < 8 { print; next }
        $1 == "smtp" && $2 == "inet" { $1 = "127.0.0.1:" port }
        { $5 = "n"; print }' /etc/postfix/master.cf >"$etc/master.cf"
    postfix -c "$etc" check >"$PF_DIR/check.log" 2>&1 \
        || { cat "$PF_DIR/check.log" >&2; die "postfix check"; }
    postfix -c "$etc" start >>"$PF_DIR/check.log" 2>&1 \
        || { cat "$PF_DIR/check.log" >&2; die "postfix start"; }
    bn_wait_port "$PF_SMTP" 20 || die "Postfix smtpd did not listen"
    PF_PID=$(tr -d ' ' <"$PF_DIR/spool/pid/master.pid")
}

pf_stop() {
    [ -n "$PF_DIR" ] || return 0
    postfix -c "$PF_DIR/etc" stop >/dev/null 2>&1
    # postfix stop waits for the master; bound it anyway.
    for _ in $(seq 1 100); do
        [ -n "$PF_PID" ] && kill -0 "$PF_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$PF_PID" ] && kill -9 "$PF_PID" 2>/dev/null
    PF_DIR=
}

# ---- Dovecot ------------------------------------------------------------

# dv_start POP3 POP3S: a private instance (own base_dir, passwd-file with
# the same users and password, SHA512-CRYPT as doveadm's default scheme)
# serving POP3 from Postfix's Maildirs.
dv_start() {
    DV_POP3=$1 DV_POP3S=$2
    local d=$TMPD/dv hash
    mkdir -p "$d/run" "$d/state"
    hash=$(openssl passwd -6 "$PW") || die "openssl passwd"
    bn_addresses | sed "s|\$|:{SHA512-CRYPT}$hash::::::|" >"$d/users"
    chmod 644 "$d/users"
    cat >"$d/dovecot.conf" <<CF
base_dir = $d/run
state_dir = $d/state
instance_name = bn-dovecot
log_path = $d/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <$TMPD/cert.pem
ssl_key = <$TMPD/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:$TMPD/mail/%d/%n
mail_uid = nobody
mail_gid = nogroup
default_process_limit = $((IDLE + 100))
default_client_limit = $((2 * IDLE + 200))
passdb {
  driver = passwd-file
  args = $d/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $DV_POP3
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $DV_POP3S
    ssl = yes
  }
}
CF
    DV_CONF=$d/dovecot.conf
    dovecot -c "$DV_CONF" >"$d/start.log" 2>&1 \
        || { cat "$d/start.log" "$d/dovecot.log" >&2; die "dovecot"; }
    bn_wait_port "$DV_POP3" 20 || die "Dovecot did not listen"
    DV_PID=$(tr -d ' ' <"$d/run/master.pid")
}

dv_stop() {
    [ -n "$DV_CONF" ] || return 0
    dovecot -c "$DV_CONF" stop >/dev/null 2>&1
    for _ in $(seq 1 100); do
        [ -n "$DV_PID" ] && kill -0 "$DV_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$DV_PID" ] && kill -9 "$DV_PID" 2>/dev/null
    DV_CONF=
}

# The Maildir of the big mailbox, written directly (no fsync: it is the
# fixture, not the measurement).
dv_bigbox() {
    python3 "$TOP/tests/bench/bigbox.py" maildir "$BIG" \
        "$TMPD/mail/big.example/big1" || die "bigbox.py"
    chown -R nobody:nogroup "$TMPD/mail/big.example"
}

bn_stop_all() {
    nm_stop
    pf_stop
    dv_stop
}

# ---- rows ---------------------------------------------------------------

# row SIDE LABEL bench-arguments...: one measured run; its key=value
# line goes to $ROWS with "side=SIDE" in front.  A failed run is kept
# (errors=N) and reported, not fatal.
row() {
    local side=$1 label=$2 out
    shift 2
    say "$side $label"
    out=$("$BENCH" --label "$label" --timeout 30 "$@" 2>&1)
    printf '%s\n' "$out" | grep -v '^bench ' >&2
    printf '%s\n' "$out" | sed -n "s/^bench /side=$side /p" >>"$ROWS"
}

# The SMTP rows: visible-wait command for layout $1 in $2, target port $3,
# server pid $4, extra bench options after.
smtp_rows() {
    local layout=$1 dir=$2 port=$3 pid=$4 side=$5 base s n
    shift 5
    for s in 4K 100K; do
        for n in 1 8 64; do
            base=$(sh "$TOP/tests/bench/visible.sh" count "$layout" "$dir")
            row "$side" "smtp-${s,,}-$n" --port "$port" --pid "$pid" "$@" \
                --sessions "$n" --size "$s" --messages 100000 \
                --users "$BN_USERS_SMTP" --user-prefix s \
                --max-seconds "$SECS" --visible-seconds 300 \
                --visible-cmd "sh $TOP/tests/bench/visible.sh $layout $dir $base" \
                smtp
        done
    done
    base=$(sh "$TOP/tests/bench/visible.sh" count "$layout" "$dir")
    row "$side" "smtp-4k-starttls-8" --port "$port" --pid "$pid" "$@" \
        --tls --sessions 8 --size 4K --messages 100000 \
        --users "$BN_USERS_SMTP" --user-prefix s --max-seconds "$SECS" \
        --visible-seconds 300 \
        --visible-cmd "sh $TOP/tests/bench/visible.sh $layout $dir $base" smtp
}

# Fill u1..u64 with BN_FILL messages each through SMTP (not a row).
pop_fill() {
    local layout=$1 dir=$2 port=$3 base out
    base=$(sh "$TOP/tests/bench/visible.sh" count "$layout" "$dir")
    out=$("$BENCH" --port "$port" --sessions 8 --size 4K \
        --messages $((BN_USERS_POP * BN_FILL)) --users "$BN_USERS_POP" \
        --max-seconds 300 --visible-seconds 300 \
        --visible-cmd "sh $TOP/tests/bench/visible.sh $layout $dir $base" \
        smtp 2>&1) || die "filling the POP3 mailboxes: $out"
}

# The POP3 rows on port $1 (POP3S $2), server pid $3, side $4.
pop_rows() {
    local port=$1 sport=$2 pid=$3 side=$4 n all=$((BN_USERS_POP * BN_FILL))
    shift 4
    for n in 1 8 64; do
        row "$side" "pop3-retr-$n" --port "$port" --pid "$pid" "$@" \
            --password "$PW" --users "$BN_USERS_POP" --sessions "$n" \
            --messages "$all" --max-seconds "$SECS" pop3
    done
    row "$side" "pop3s-retr-8" --port "$sport" --tls --pid "$pid" "$@" \
        --password "$PW" --users "$BN_USERS_POP" --sessions 8 \
        --messages "$all" --max-seconds "$SECS" pop3
    row "$side" "pop3-retr-dele-8" --port "$port" --dele --pid "$pid" "$@" \
        --password "$PW" --users "$BN_USERS_POP" --sessions 8 \
        --messages "$all" --max-seconds "$SECS" pop3
}

# The POP3 retrieval without the login dominating it: 8 sessions over
# u65..u72 holding BN_FILL_BIG messages each (one login per 400 RETRs).
# pop_rows_long LAYOUT DIR SMTPPORT POP3PORT PID SIDE [opts]
pop_rows_long() {
    local layout=$1 dir=$2 sport=$3 port=$4 pid=$5 side=$6 base out
    local all=$((8 * BN_FILL_BIG))
    shift 6
    base=$(sh "$TOP/tests/bench/visible.sh" count "$layout" "$dir")
    out=$("$BENCH" --port "$sport" --sessions 8 --size 4K --messages "$all" \
        --first-user 65 --users 8 --max-seconds 300 --visible-seconds 300 \
        --visible-cmd "sh $TOP/tests/bench/visible.sh $layout $dir $base" \
        smtp 2>&1) || die "filling u65..u72: $out"
    row "$side" "pop3-retr-8-$BN_FILL_BIG" --port "$port" --pid "$pid" "$@" \
        --password "$PW" --first-user 65 --users 8 --sessions 8 \
        --messages "$all" --max-seconds "$SECS" pop3
}

idle_rows() {   # pop3port smtpport pop3pid smtppid side [opts]
    local p3=$1 sm=$2 p3pid=$3 smpid=$4 side=$5
    shift 5
    row "$side" "idle-pop3-$IDLE" --port "$p3" --pid "$p3pid" "$@" \
        --password "$PW" --users "$IDLE" --sessions "$IDLE" \
        --max-seconds 300 idle
    row "$side" "idle-smtp-$IDLE" --port "$sm" --pid "$smpid" "$@" \
        --idle-proto smtp --sessions "$IDLE" --max-seconds 120 idle
}

big_rows() {    # pop3port pid side [opts]
    local p3=$1 pid=$2 side=$3
    shift 3
    # One visit to warm the server's index and caches, then the row.
    "$BENCH" --port "$p3" --password "$PW" --user-prefix big \
        --domain big.example --users 1 --sessions 1 --messages 1 \
        --max-seconds 300 --timeout 120 bigbox >/dev/null 2>&1
    row "$side" "bigbox-$BIG" --port "$p3" --pid "$pid" "$@" \
        --password "$PW" --user-prefix big --domain big.example --users 1 \
        --sessions 1 --messages 5 --max-seconds 300 bigbox
}

# The machine's own limits: disk loop at 1 and 16 threads, loopback TCP.
sys_rows() {
    row machine "disk-4k-1" --dir "$TMPD/disk" --sessions 1 --size 4K \
        --messages 100000 --max-seconds "$SECS" disk
    row machine "disk-4k-16" --dir "$TMPD/disk" --sessions 16 --size 4K \
        --messages 100000 --max-seconds "$SECS" disk
    row machine "tcp-1" --sessions 1 --size 64K --messages 200000 \
        --max-seconds "$SECS" tcp
}

# Postfix's smtp-source at 1, 8 and 64 sessions (issue 5's measure): one
# connection per message (its default), every message of a row to one
# mailbox of its own (ss1..ss6@example.org, empty before the row),
# timed from the start until the last one is visible in the mailbox.
# ss_rows LAYOUT DIR PORT SIDE.  Counts are fixed per row (SS_4K,
# SS_100K for 1 session, three times that for 8 and 64); each row is
# bounded by 300 s for sending and 300 s for the visibility wait.
ss_rows() {
    local layout=$1 dir=$2 port=$3 side=$4 s n m len base t0 t1 rc vis k=0
    command -v smtp-source >/dev/null || die "smtp-source (postfix) missing"
    for s in 4K 100K; do
        for n in 1 8 64; do
            k=$((k + 1))
            m=$SS_4K len=4096
            [ "$s" = 4K ] || m=$SS_100K len=102400
            [ "$n" = 1 ] || m=$((m * 3))
            say "$side smtp-source-${s,,}-$n ($m messages)"
            base=$(sh "$TOP/tests/bench/visible.sh" count "$layout" "$dir")
            t0=$(date +%s.%N)
            timeout 300 smtp-source -s "$n" -m "$m" -l "$len" \
                -f bench@bench.example -t "ss$k@example.org" \
                -M bench.example "127.0.0.1:$port" >/dev/null 2>&1
            rc=$?
            vis=no
            # At most 6000 polls of 50 ms and more: about 300 s.
            for _ in $(seq 1 6000); do
                if sh "$TOP/tests/bench/visible.sh" "$layout" "$dir" \
                      "$base" "$m"; then
                    vis=yes
                    break
                fi
                sleep 0.05
            done
            t1=$(date +%s.%N)
            python3 -c '
import sys
side, label, n, m, size, rc, vis, t0, t1 = sys.argv[1:]
secs = float(t1) - float(t0)
print("side=%s row=%s scenario=smtp-source sessions=%s messages=%s size=%s"
      " done=%s errors=%d seconds=%.3f msgs_per_s=%.1f mb_per_s=%.3f"
      " visible=%s" % (side, label, n, m, size, m if rc == "0" else 0,
      0 if rc == "0" and vis == "yes" else 1, secs, int(m) / secs,
      int(m) * int(size) / 1e6 / secs, vis))' \
                "$side" "smtp-source-${s,,}-$n" "$n" "$m" "$len" "$rc" \
                "$vis" "$t0" "$t1" | tee -a "$ROWS" >&2
        done
    done
}
