#!/bin/sh
# deps.sh - installs the Debian/Ubuntu packages the build and `make check`
# need, and only those that are missing.
#
# Proves: every tool and library the checks use is present afterwards (each
# package is verified with dpkg-query after the install).  Fails when a
# package is missing and cannot be installed (no apt-get, no root and no
# sudo, or apt-get fails), naming the package.
#
# amd64: make gcc binutils pkg-config libssl-dev zlib1g-dev libcunit1-dev libpam0g-dev
#        gcc-multilib python3 file, and the clients the integration tests
#        and the README drive the server with: openssl (test
#        certificates), curl, swaks, and for tests/integration/t_clients.sh
#        fetchmail, mpop, getmail6 (the getmail command), msmtp and
#        libnet-ssleay-perl (swaks's TLS; only a Recommends, and recommends
#        are not installed); systemd (systemd-socket-activate) and passwd
#        (useradd, chpasswd, chage) for tests/integration/t_native.sh
#        (universal-ctags is optional)
# i386 run-time libraries for the 32-bit build (after
# `dpkg --add-architecture i386`): libcunit1 zlib1g libpam0g.  The i386 -dev
# packages of CUnit and zlib cannot be installed beside the amd64 ones
# (version skew), so `make unit32` links these run-time libraries by path
# and uses the amd64 headers; see doc/testing.md.
#
# The i386 OpenSSL packages (libssl3:i386, libssl-dev:i386) cannot be
# installed beside the amd64 ones, so they are fetched with `apt-get
# download` and unpacked (dpkg-deb -x, never installed) into I386_SSL_ROOT
# (default ~/.cache/newmail/i386-openssl), which `make unit32` links from.
#
# Non-interactive (DEBIAN_FRONTEND=noninteractive); runs apt-get through
# sudo when not root.
set -eu

I386_SSL_ROOT=${I386_SSL_ROOT:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/newmail/i386-openssl}

REQUIRED="make gcc binutils pkg-config libssl-dev zlib1g-dev libcunit1-dev libpam0g-dev gcc-multilib python3 file openssl curl swaks fetchmail mpop getmail6 msmtp libnet-ssleay-perl dnsmasq-base postfix systemd passwd"
REQUIRED_I386="libcunit1:i386 zlib1g:i386 libpam0g:i386"
OPTIONAL="universal-ctags"

have() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps: FAIL not a Debian/Ubuntu system (no dpkg); install by hand: $REQUIRED $REQUIRED_I386"
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    SUDO="none"
fi

run() {
    if [ "$SUDO" = none ]; then
        echo "deps: FAIL need root or sudo to run: $*"
        exit 1
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive "$@"
}

missing=""
for p in $REQUIRED; do have "$p" || missing="$missing $p"; done

need_i386=""
for p in $REQUIRED_I386; do have "$p" || need_i386="$need_i386 $p"; done
if [ -n "$need_i386" ] && ! dpkg --print-foreign-architectures | grep -qx i386; then
    echo "deps: adding the i386 architecture"
    run dpkg --add-architecture i386
fi

opt_missing=""
for p in $OPTIONAL; do have "$p" || opt_missing="$opt_missing $p"; done

# fetch_i386_ssl: unpack libssl3:i386 and libssl-dev:i386 into I386_SSL_ROOT.
fetch_i386_ssl() {
    [ -f "$I386_SSL_ROOT/usr/lib/i386-linux-gnu/libcrypto.so.3" ] && return 0
    echo "deps: unpacking the i386 OpenSSL into $I386_SSL_ROOT"
    dl=$(mktemp -d)
    if ! (cd "$dl" && apt-get download -q libssl3:i386 libssl-dev:i386) >/dev/null 2>"$dl/err"; then
        run apt-get update -qq || true
        (cd "$dl" && apt-get download -q libssl3:i386 libssl-dev:i386) >/dev/null 2>"$dl/err" || {
            cat "$dl/err"; rm -rf "$dl"
            echo "deps: FAIL cannot download libssl3:i386 and libssl-dev:i386"
            exit 1
        }
    fi
    rm -rf "$I386_SSL_ROOT"
    mkdir -p "$I386_SSL_ROOT"
    for d in "$dl"/*.deb; do dpkg-deb -x "$d" "$I386_SSL_ROOT"; done
    rm -rf "$dl"
    [ -f "$I386_SSL_ROOT/usr/lib/i386-linux-gnu/libcrypto.so.3" ] || {
        echo "deps: FAIL no libcrypto.so.3 in the unpacked i386 OpenSSL"; exit 1; }
}

if [ -z "$missing$need_i386$opt_missing" ]; then
    fetch_i386_ssl
    echo "deps: OK (all packages present; i386 OpenSSL in $I386_SSL_ROOT)"
    exit 0
fi

echo "deps: installing:$missing$need_i386$opt_missing"
# A partly failed index download (a mirror mid-sync) is not fatal: what
# counts is whether the packages install, verified below.
run apt-get update -qq || echo "deps: note: apt-get update reported errors; installing anyway"
if [ -n "$missing$need_i386" ]; then
    # shellcheck disable=SC2086
    if ! run apt-get install -y -qq --no-install-recommends $missing $need_i386; then
        echo "deps: install failed; refreshing the package lists and trying once more"
        run apt-get update -qq || true
        run apt-get install -y -qq --no-install-recommends $missing $need_i386 || true
    fi
fi
if [ -n "$opt_missing" ]; then
    # shellcheck disable=SC2086
    run apt-get install -y -qq --no-install-recommends $opt_missing || \
        echo "deps: note: optional$opt_missing not installed"
fi

bad=""
for p in $REQUIRED $REQUIRED_I386; do have "$p" || bad="$bad $p"; done
if [ -n "$bad" ]; then
    echo "deps: FAIL still missing:$bad"
    exit 1
fi
fetch_i386_ssl
echo "deps: OK (installed:$missing$need_i386; i386 OpenSSL in $I386_SSL_ROOT)"
