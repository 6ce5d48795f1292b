#!/usr/bin/env bash
# README command (b): install what the tests need (idempotent), then check formatting and
# lints and run every test: unit tests, integration tests against real Dovecot, Postfix,
# SQLite and PostgreSQL on loopback, and the Debian package installed into a clean Debian
# root (scripts/test-package.sh, with the binary the tests used). Ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-test-env.sh --for tests
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings

log=$(mktemp)
package_log=$(mktemp)
trap 'rm -f "$log" "$package_log"' EXIT
status=0
cargo test --locked 2>&1 | tee "$log" || status=$?
echo
bash scripts/test-package.sh 2>&1 | tee "$package_log" || status=$?
echo
awk '/^test result:/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed", p, f }' "$log"
package=$(grep '^package: ' "$package_log" | tail -1 | sed 's/^package: //; s/ ([0-9]* s)$//')
echo "; package: ${package:-did not run to the end}"
exit $status
