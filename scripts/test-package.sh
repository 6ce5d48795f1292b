#!/usr/bin/env bash
# The Debian package, installed for real. Called by scripts/test.sh after `cargo test`; runs
# alone too (as root, after scripts/setup-test-env.sh):
#
#   bash scripts/test-package.sh
#
# 1. Packages the debug binary `cargo test` built (`cargo deb --no-build --profile dev`: no
#    second build; the officer's `cargo deb` builds release) as version 0.1.0, and makes two
#    later versions from it whose shipped baocao.toml and calendar.toml differ, as a release
#    that changes them would.
# 2. Installs it into a clean Debian 12 root made by debootstrap by running README.md's
#    "With the Debian package" block line by line as root (apt install, editor, password
#    files, check-config, migrate, doctor --direct, systemctl: the last two stand-ins), then
#    with the root's own dpkg for the upgrades below
#    (minbase, the package's dependencies and nothing else: no sudo, no systemd running), and
#    checks every file, owner and mode, the conffiles, the service user, that the service is
#    neither enabled nor started, and that `baocao check-config` passes as the service user
#    on the shipped configuration with no warning.
# 3. Breaks the installed tree once (a wrong mode, a missing template) and expects the checks
#    to fail, so they are known to look.
# 4. Upgrades without edits (the new shipped files replace the old ones, the group of
#    baocao.toml is restored), edits baocao.toml and a template as an office would, upgrades
#    again and reinstalls the same version: the edits stay, and the new shipped baocao.toml
#    waits beside it as baocao.toml.dpkg-dist. Then removes and purges.
#
# The base root is cached in target/pkg-test/ (about 130 MB; `cargo clean` removes it); each
# run works on a copy that is deleted at the end. Nothing is installed on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "test-package: must run as root (chroot and dpkg need it)" >&2
    exit 1
fi
for tool in debootstrap dpkg-deb; do
    command -v "$tool" >/dev/null || { echo "test-package: $tool missing: run bash scripts/setup-test-env.sh" >&2; exit 1; }
done
cargo deb --version >/dev/null 2>&1 || { echo "test-package: cargo-deb missing: run bash scripts/setup-test-env.sh" >&2; exit 1; }

began=$SECONDS
suite=bookworm
mirror=${BAOCAO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What a minimal Debian has, plus the package's Depends (the install fails if one is missing).
include=adduser,init-system-helpers,procps
cache=$PWD/target/pkg-test
base=$cache/$suite-minbase
stamp="$suite $include"

# --- the clean root, made once -------------------------------------------------------------
if [ "$(cat "$base/.baocao-stamp" 2>/dev/null || true)" != "$stamp" ]; then
    echo "test-package: making a clean Debian $suite root with debootstrap (about a minute, once)"
    rm -rf "$base" "$base.partial"
    mkdir -p "$cache"
    if ! debootstrap --variant=minbase --include="$include" "$suite" "$base.partial" "$mirror" \
        >"$cache/debootstrap.log" 2>&1; then
        tail -20 "$cache/debootstrap.log" >&2
        rm -rf "$base.partial"
        echo "test-package: debootstrap failed (log: $cache/debootstrap.log)" >&2
        exit 1
    fi
    rm -rf "$base.partial"/var/cache/apt/archives/*.deb "$base.partial"/var/lib/apt/lists/*
    echo "$stamp" > "$base.partial/.baocao-stamp"
    mv "$base.partial" "$base"
fi

work=$(mktemp -d "$cache/run-XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT
root=$work/root
cp -a "$base" "$root"

# --- the packages ---------------------------------------------------------------------------
# The same binary `cargo test` used; a no-op after it, a debug build when run alone.
cargo test --locked --no-run --quiet
cargo deb --no-build --profile dev --fast --quiet -o "$work/baocao_0.1.0_amd64.deb" >/dev/null 2>"$work/cargo-deb.log" ||
    { cat "$work/cargo-deb.log" >&2; exit 1; }

# A later version: the same package with a new version number and, when asked, a line added
# to shipped configuration files, as a release that changes them would.
later_version() {
    local from=$1 version=$2 tree=$work/tree-$2
    shift 2
    dpkg-deb -R "$from" "$tree"
    sed -i "s/^Version: .*/Version: $version/" "$tree/DEBIAN/control"
    for file in "$@"; do
        echo "# đổi trong phiên bản $version" >> "$tree/$file"
    done
    dpkg-deb -Zgzip -z1 -b "$tree" "$work/baocao_${version}_amd64.deb" >/dev/null
    rm -rf "$tree"
}
later_version "$work/baocao_0.1.0_amd64.deb" 0.1.0+2 etc/baocao/baocao.toml etc/baocao/calendar.toml
later_version "$work/baocao_0.1.0+2_amd64.deb" 0.1.0+3 etc/baocao/baocao.toml etc/baocao/calendar.toml
cp "$work"/baocao_*.deb "$root/tmp/"

# --- checks -----------------------------------------------------------------------------------
checks=0
failures=0
ok() { checks=$((checks + 1)); }
not_ok() {
    checks=$((checks + 1))
    failures=$((failures + 1))
    echo "not ok: $*"
}
in_root() { chroot "$root" "$@"; }
# expect WHAT COMMAND...: the command succeeds.
expect() {
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then ok; else not_ok "$what"; fi
}

# owner:group and mode of one path inside the root, as its own /etc/passwd names them.
expect_stat() {
    local path=$1 kind=$2 wanted=$3 actual
    actual=$(in_root stat -c '%F %U:%G %a' "$path" 2>/dev/null || echo "missing")
    if [ "$actual" = "$kind $wanted" ]; then ok; else not_ok "$path: $actual, expected $kind $wanted"; fi
}

templates=$(cd config/templates && ls)

# Everything the package installs and the postinst sets up. Returns 1 when a check failed.
check_installed() {
    local before=$failures line conffiles unit_path
    expect_stat /usr/bin/baocao "regular file" "root:root 755"
    expect_stat /usr/lib/systemd/system/baocao.service "regular file" "root:root 644"
    expect_stat /etc/baocao directory "root:baocao 750"
    expect_stat /etc/baocao/baocao.toml "regular file" "root:baocao 640"
    expect_stat /etc/baocao/calendar.toml "regular file" "root:root 644"
    expect_stat /etc/baocao/templates directory "root:root 755"
    for template in $templates; do
        expect_stat "/etc/baocao/templates/$template" "regular file" "root:root 644"
    done
    expect_stat /var/lib/baocao directory "baocao:baocao 750"
    expect_stat /usr/share/doc/baocao/README.md "regular file" "root:root 644"
    expect_stat /usr/share/doc/baocao/copyright "regular file" "root:root 644"

    # Every file under /etc is a conffile, so an edited one is never overwritten.
    conffiles=$(in_root dpkg-query -W -f='${Conffiles}\n' baocao | awk 'NF { print $1 }' | sort)
    for path in /etc/baocao/baocao.toml /etc/baocao/calendar.toml $(printf '/etc/baocao/templates/%s\n' $templates); do
        if grep -qx "$path" <<<"$conffiles"; then ok; else not_ok "$path is not a conffile"; fi
    done

    # The service user: a system account without a login, at home in the state directory.
    line=$(in_root getent passwd baocao || true)
    IFS=: read -r _ _ uid gid _ home shell <<<"$line"
    if [ -n "$line" ] && [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/baocao ] && [ "$shell" = /usr/sbin/nologin ] &&
        [ "$(in_root getent group baocao | cut -d: -f3)" = "$gid" ]; then ok; else not_ok "service user: '$line'"; fi

    # Installed, neither enabled nor started: the office edits the configuration first.
    if [ ! -e "$root/etc/systemd/system/multi-user.target.wants/baocao.service" ]; then ok; else not_ok "the service is enabled"; fi

    # Every program the unit runs is there (/bin/kill for reload comes from procps).
    for unit_path in $(grep -E '^Exec[A-Za-z]*=' "$root/usr/lib/systemd/system/baocao.service" | sed -E 's/^[^=]*=[-@:+!]*//; s/ .*//'); do
        if in_root test -x "$unit_path"; then ok; else not_ok "the unit runs $unit_path, which is not installed"; fi
    done

    # The shipped configuration, read as the service reads it: ok, no warning.
    in_root runuser -u baocao -- baocao check-config >"$work/check.out" 2>"$work/check.err" || true
    if [ "$(cat "$work/check.out")" = ok ] && [ ! -s "$work/check.err" ]; then ok; else
        not_ok "check-config as baocao: $(cat "$work/check.out" "$work/check.err")"
    fi
    [ $failures = "$before" ]
}

# dpkg inside the root, its output kept in dpkg.out; stdin closed, as in an unattended upgrade.
dpkg_in_root() {
    in_root dpkg "$@" </dev/null >"$work/dpkg.out" 2>&1 || { cat "$work/dpkg.out"; not_ok "dpkg $*"; }
}
# same_as_in_package PACKAGE PATH [INSTALLED_PATH]: the installed file is the package's PATH.
same_as_in_package() {
    dpkg-deb --fsys-tarfile "$1" | tar -xO ".$2" | cmp -s - "$root${3:-$2}"
}

# 1. A fresh install, exactly as README.md's "With the Debian package" tells the IT officer:
#    each line of its block, in order, run as root in the clean root from /tmp (where the
#    package is). Two stand-ins: `editor` edits as an office would (the mail servers become
#    127.0.0.1 on a closed port: no mail server runs here), and `systemctl` (no systemd runs
#    in a chroot) records what it was asked.
cat > "$root/usr/local/bin/editor" <<'SH'
#!/bin/sh
sed -i -e 's/^host = .*/host = "127.0.0.1"/' -e 's/^port = .*/port = 9/' "$1"
SH
cat > "$root/usr/local/bin/systemctl" <<'SH'
#!/bin/sh
echo "$*" >> /tmp/systemctl.calls
SH
chmod 0755 "$root/usr/local/bin/editor" "$root/usr/local/bin/systemctl"
# A booted server has /proc and /dev (the README's `install … /dev/stdin <<< …` needs them).
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
# --one-file-system: never follow a mount that failed to come off into the machine's /dev.
trap 'umount "$root/dev" "$root/proc" 2>/dev/null || true; rm -rf --one-file-system "$work"' EXIT
readme_block=$(awk '/^Then on the server, as root:/ { found = 1; next }
    found && /^```sh/ { inside = 1; next }
    inside && /^```/ { exit }
    inside { print }' README.md)
[ -n "$readme_block" ] || { echo "test-package: README.md has no package install block" >&2; exit 1; }
readme_lines=0
while IFS= read -r line; do
    command=$(sed -E 's/[[:space:]]+#[[:space:]].*$//' <<<"$line")
    [ -n "${command// /}" ] || continue
    readme_lines=$((readme_lines + 1))
    status=0
    in_root /bin/bash -c "cd /tmp && $command" </dev/null >"$work/line.out" 2>&1 || status=$?
    echo "  README \$ $command  → exit $status"
    case "$command" in
        "apt install "*)
            cp "$work/line.out" "$work/dpkg.out"
            sed 's/^/  | /' "$work/dpkg.out"
            if [ "$status" -eq 0 ]; then ok; else not_ok "README: $command"; fi ;;
        *" doctor"*)
            # No mail server here: the SMTP and IMAP checks fail, everything else passes,
            # and the credentials were read from /etc/baocao.
            sed 's/^/  | /' "$work/line.out"
            expect "README doctor: the database check passes" grep -q '^\[ok\] *Cơ sở dữ liệu' "$work/line.out"
            expect "README doctor: SMTP is tried where the office set it" grep -q 'Máy chủ gửi thư 127.0.0.1:9: không kết nối được' "$work/line.out"
            if grep -q 'Mật khẩu thư' "$work/line.out"; then not_ok "README doctor: the credentials in /etc/baocao were not read"; else ok; fi ;;
        *)
            if [ "$status" -eq 0 ]; then ok; else sed 's/^/  | /' "$work/line.out"; not_ok "README: $command"; fi ;;
    esac
done <<<"$readme_block"
expect "README: every line of the install block ran" test "$readme_lines" -ge 8
expect "README: the service is enabled and started" grep -qx "enable --now baocao" "$root/tmp/systemctl.calls"
expect "README: the password files are root-only" test "$(in_root stat -c '%U %a' /etc/baocao/smtp-password)" = "root 600"
rm -f "$root/usr/local/bin/editor" "$root/usr/local/bin/systemctl" "$root/etc/baocao/smtp-password" "$root/etc/baocao/imap-password"
umount "$root/dev" "$root/proc"
# The rest starts from the shipped configuration (written into the file: owner and mode stay).
dpkg-deb --fsys-tarfile "$work/baocao_0.1.0_amd64.deb" | tar -xO ./etc/baocao/baocao.toml > "$root/etc/baocao/baocao.toml"
expect "postinst says what to do next" grep -q "systemctl enable --now baocao" "$work/dpkg.out"
expect "postinst says to migrate as the service user" grep -q "runuser -u baocao -- baocao migrate" "$work/dpkg.out"
expect "the package depends on adduser" grep -q "adduser" <(dpkg-deb -f "$work/baocao_0.1.0_amd64.deb" Depends)
expect "the package recommends poppler-utils (request from FILE.pdf)" grep -q "poppler-utils" <(dpkg-deb -f "$work/baocao_0.1.0_amd64.deb" Recommends)
# Not readable by others even between dpkg's unpack and the postinst's chgrp.
listing=$(dpkg-deb -c "$work/baocao_0.1.0_amd64.deb")
expect "baocao.toml is -rw-r----- in the package" grep -Eq '^-rw-r----- .* \./etc/baocao/baocao\.toml$' <<<"$listing"
check_installed || true
expect "migrate as the service user" in_root runuser -u baocao -- baocao migrate
expect "the database belongs to the service user" test "$(in_root stat -c %U:%G /var/lib/baocao/baocao.db)" = baocao:baocao
expect "status as the service user" in_root runuser -u baocao -- baocao status
calendar=$(in_root runuser -u baocao -- baocao calendar show 2025 || true)
expect "the shipped calendar file is read" grep -q "đã cập nhật theo quyết định" <<<"$calendar"

# 2. The checks see a broken tree.
chmod 0644 "$root/etc/baocao/baocao.toml"
if (check_installed) >/dev/null; then not_ok "a world-readable baocao.toml passed the checks"; else ok; fi
chmod 0640 "$root/etc/baocao/baocao.toml"
mv "$root/etc/baocao/templates/reminder.body.txt" "$work/"
if (check_installed) >/dev/null; then not_ok "a missing template passed the checks"; else ok; fi
mv "$work/reminder.body.txt" "$root/etc/baocao/templates/"

# 3. An upgrade of an unedited configuration: the new shipped files replace the old ones, and
#    baocao.toml, which dpkg writes as root:root, is the group's again.
dpkg_in_root -i /tmp/baocao_0.1.0+2_amd64.deb
expect "upgrade installs the new baocao.toml" same_as_in_package "$work/baocao_0.1.0+2_amd64.deb" /etc/baocao/baocao.toml
expect "upgrade installs the new calendar.toml" same_as_in_package "$work/baocao_0.1.0+2_amd64.deb" /etc/baocao/calendar.toml
if grep -q "neither enabled nor started" "$work/dpkg.out"; then not_ok "the first-install message on upgrade"; else ok; fi
check_installed || true

# 4. The office edits its configuration and a template, then upgrades to a version that
#    changed the shipped baocao.toml. dpkg asks what to do; the answer is given on the command
#    line, as an unattended `apt-get -o Dpkg::Options::=--force-confold` gives it: keep the edit.
sed -i 's/^name = .*/name = "Phòng Giáo dục và Đào tạo huyện Mường Chà"/' "$root/etc/baocao/baocao.toml"
echo "Người liên hệ: Lò Thị Hoa, văn thư, 0215 3826 123" >> "$root/etc/baocao/templates/reminder.body.txt"
cp "$root/etc/baocao/baocao.toml" "$work/edited.toml"
cp "$root/etc/baocao/templates/reminder.body.txt" "$work/edited.txt"
dpkg_in_root --force-confdef --force-confold -i /tmp/baocao_0.1.0+3_amd64.deb
expect "the edited baocao.toml survives an upgrade that changes it" cmp -s "$work/edited.toml" "$root/etc/baocao/baocao.toml"
expect "the new shipped baocao.toml waits as .dpkg-dist" \
    same_as_in_package "$work/baocao_0.1.0+3_amd64.deb" /etc/baocao/baocao.toml /etc/baocao/baocao.toml.dpkg-dist
expect "the edited template survives the upgrade" cmp -s "$work/edited.txt" "$root/etc/baocao/templates/reminder.body.txt"
expect "the unedited calendar.toml follows the package" same_as_in_package "$work/baocao_0.1.0+3_amd64.deb" /etc/baocao/calendar.toml
check_installed || true
digest=$(in_root runuser -u baocao -- baocao digest || true)
expect "the edited office name is read" grep -q "Mường Chà" <<<"$digest"

# ... and reinstalls the same version with no answer given: nothing to ask, the edits stay.
dpkg_in_root -i /tmp/baocao_0.1.0+3_amd64.deb
expect "the edited baocao.toml survives a reinstall" cmp -s "$work/edited.toml" "$root/etc/baocao/baocao.toml"
expect "the edited template survives a reinstall" cmp -s "$work/edited.txt" "$root/etc/baocao/templates/reminder.body.txt"
check_installed || true

# An owner or mode the administrator set with dpkg-statoverride is left alone.
in_root dpkg-statoverride --update --add baocao baocao 0770 /var/lib/baocao
dpkg_in_root -i /tmp/baocao_0.1.0+3_amd64.deb
expect "a dpkg-statoverride is respected" test "$(in_root stat -c %a /var/lib/baocao)" = 770
in_root dpkg-statoverride --remove /var/lib/baocao

# 5. Remove keeps the configuration; purge removes it and keeps the office's data.
dpkg_in_root -r baocao
if [ ! -e "$root/usr/bin/baocao" ] && [ -e "$root/etc/baocao/baocao.toml" ]; then ok; else not_ok "remove: binary gone, configuration kept"; fi
dpkg_in_root -P baocao
if [ ! -e "$root/etc/baocao/baocao.toml" ] && [ -e "$root/var/lib/baocao/baocao.db" ]; then ok; else
    not_ok "purge: configuration gone, database kept"
fi
expect "purge says what it kept" grep -q "kept the office's data" "$work/dpkg.out"

# 6. Installed again over the kept user and data; then a configuration file the administrator
#    deleted (dpkg does not bring it back) does not stop a reinstall.
dpkg_in_root -i /tmp/baocao_0.1.0+3_amd64.deb
expect "a new install after purge says what to do next" grep -q "systemctl enable --now baocao" "$work/dpkg.out"
expect "a new install after purge keeps the database" test -e "$root/var/lib/baocao/baocao.db"
rm "$root/etc/baocao/baocao.toml"
dpkg_in_root -i /tmp/baocao_0.1.0+3_amd64.deb

echo "package: $checks checks, $failures failed ($((SECONDS - began)) s)"
[ "$failures" -eq 0 ]
