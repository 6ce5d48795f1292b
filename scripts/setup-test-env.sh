#!/usr/bin/env bash
# Install what the demo or the tests need on a Debian machine, idempotently:
#
#   bash scripts/setup-test-env.sh --for demo    # the demo and the fan-out benchmark
#   bash scripts/setup-test-env.sh [--for tests] # everything scripts/test.sh needs (default)
#
# demo:  Postfix, Dovecot and OpenSSL (the mail lab makes its own certificates), procps.
# tests: the demo's, plus swaks and its Perl TLS modules, systemd's tools (systemd-analyze
#        verifies the shipped unit; nothing is started), LibreOffice Calc (renders the XLSX
#        export to PDF), Chromium and ChromeDriver (browser tests), debootstrap and dpkg-dev
#        with cargo-deb (the package test, scripts/test-package.sh), axe-core from npm (the
#        browser tests' accessibility check), and a PostgreSQL
#        reachable on 127.0.0.1:5432 with user postgres and trust auth.
# Nothing here starts a system-wide mail server: the test harness runs its own. When another
# apt-get or dpkg holds the package locks (unattended-upgrades, another build), this waits up
# to 10 minutes for it instead of failing.
set -euo pipefail

purpose=tests
while [ $# -gt 0 ]; do
    case "$1" in
        --for) purpose=${2:-}; shift 2 || true ;;
        --for=*) purpose=${1#--for=}; shift ;;
        *) echo "setup-test-env: unknown argument $1 (use --for demo or --for tests)" >&2; exit 2 ;;
    esac
done

# procps: the mail lab stops Dovecot with kill(1). poppler-utils, tesseract-ocr-vie: `request
# from FILE.pdf` (pdftotext; OCR of a scan), which tests/it/cli_directive.rs runs on PDFs it builds.
demo_packages=(postfix dovecot-core dovecot-imapd dovecot-lmtpd openssl procps)
test_packages=("${demo_packages[@]}" ca-certificates swaks
    libnet-ssleay-perl libio-socket-ssl-perl libauthen-sasl-perl
    postgresql postgresql-client systemd
    libreoffice-calc-nogui chromium chromium-driver fonts-dejavu-core
    debootstrap dpkg-dev binutils poppler-utils tesseract-ocr tesseract-ocr-vie)
case "$purpose" in
    demo) packages=("${demo_packages[@]}") ;;
    tests) packages=("${test_packages[@]}") ;;
    *) echo "setup-test-env: --for takes demo or tests, not '$purpose'" >&2; exit 2 ;;
esac

# The package test builds the .deb with this cargo-deb; 3.8.0 builds on rustc 1.95.
cargo_deb_version=3.8.0
lock_wait_seconds=600

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup-test-env: must run as root (apt-get and the mail servers need it)" >&2
        exit 1
    fi
}

# apt-get, waiting for another package manager instead of failing at once with exit 100.
# DPkg::Lock::Timeout covers dpkg's locks; apt-get update's lock on /var/lib/apt/lists has
# no timeout option, so a refused lock is retried here until the same deadline.
apt_get() {
    local deadline=$((SECONDS + lock_wait_seconds)) errors status said=0
    errors=$(mktemp)
    while :; do
        status=0
        apt-get -o DPkg::Lock::Timeout="$lock_wait_seconds" "$@" 2>"$errors" || status=$?
        if [ $status -ne 0 ] && [ $SECONDS -lt $deadline ] &&
            grep -Eq 'Could not get lock|Unable to lock|Unable to acquire the dpkg frontend lock' "$errors"; then
            if [ $said = 0 ]; then
                echo "setup-test-env: another package manager holds the apt lock; waiting up to ${lock_wait_seconds} s" >&2
                said=1
            fi
            sleep 5
            continue
        fi
        cat "$errors" >&2
        rm -f "$errors"
        return $status
    done
}

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    need_root
    echo "setup-test-env: installing ${missing[*]}"
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    # Keep the packages' postinst scripts from starting system-wide daemons.
    created_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt_get update -qq
    apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ $created_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

if [ "$purpose" = demo ]; then
    echo "setup-test-env: ok (postfix, dovecot ready)"
    exit 0
fi

# cargo-deb, at the pinned version, into the invoking user's cargo bin directory.
if [ "$(cargo deb --version 2>/dev/null || true)" != "cargo-deb $cargo_deb_version" ]; then
    echo "setup-test-env: installing cargo-deb $cargo_deb_version (about 2 minutes)"
    cargo install cargo-deb --locked --version "$cargo_deb_version" --quiet
fi

# axe-core, the accessibility checker the browser tests run in Chromium, from the npm registry
# at a pinned version into target/test-tools (the tests read node_modules/axe-core/axe.min.js).
axe_version=4.14.1
tools=$(cd "$(dirname "$0")/.." && pwd)/target/test-tools
if [ "$(node -p "require('$tools/node_modules/axe-core/package.json').version" 2>/dev/null || true)" != "$axe_version" ]; then
    command -v npm >/dev/null || { need_root; apt_get install -y -qq --no-install-recommends npm >/dev/null; }
    echo "setup-test-env: installing axe-core $axe_version (npm)"
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error "axe-core@$axe_version" >/dev/null
fi

# PostgreSQL: use the one on 127.0.0.1:5432 if it answers; otherwise start the
# Debian cluster and make local TCP connections trusted for the postgres user.
pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_ready; then
    need_root
    version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1 || true)
    if [ -z "$version" ]; then
        echo "setup-test-env: no PostgreSQL cluster found after install" >&2
        exit 1
    fi
    if ! pg_lsclusters -h | grep -q " main "; then
        pg_createcluster "$version" main >/dev/null
    fi
    hba=/etc/postgresql/$version/main/pg_hba.conf
    if ! grep -q "baocao-test" "$hba"; then
        sed -i '1i host all postgres 127.0.0.1/32 trust # baocao-test\nlocal all postgres trust # baocao-test' "$hba"
    fi
    conf=/etc/postgresql/$version/main/postgresql.conf
    grep -q "^listen_addresses = '127.0.0.1'" "$conf" || echo "listen_addresses = '127.0.0.1'" >> "$conf"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster --skip-systemctl-redirect "$version" main restart
    for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    echo "setup-test-env: PostgreSQL on 127.0.0.1:5432 does not accept user postgres without a password" >&2
    exit 1
fi
echo "setup-test-env: ok (postfix, dovecot, postgresql, cargo-deb $cargo_deb_version, axe-core $axe_version ready)"
