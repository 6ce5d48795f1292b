#!/usr/bin/env bash
# Install what the tests and the demo need on a Debian machine, idempotently:
# Postfix, Dovecot, OpenSSL (the harness makes its own certificates), swaks, systemd's tools
# (systemd-analyze verifies the shipped unit; nothing is started), LibreOffice Calc (renders
# the XLSX export to PDF), Chromium and ChromeDriver (browser tests), and a
# PostgreSQL reachable on 127.0.0.1:5432 with user postgres and trust auth.
# Nothing here starts a system-wide mail server: the test harness runs its own.
set -euo pipefail

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup-test-env: must run as root (apt-get and the mail servers need it)" >&2
        exit 1
    fi
}

packages=(postfix dovecot-core dovecot-imapd dovecot-lmtpd openssl swaks
    libnet-ssleay-perl libio-socket-ssl-perl libauthen-sasl-perl procps
    postgresql postgresql-client ca-certificates systemd
    libreoffice-calc-nogui chromium chromium-driver fonts-dejavu-core)

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
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ $created_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
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
echo "setup-test-env: ok (postfix, dovecot, postgresql ready)"
