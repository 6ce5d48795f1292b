#!/usr/bin/env bash
# README command (b): install what the tests need (idempotent), then check formatting and
# lints and run every test: unit tests, and integration tests against real Dovecot,
# Postfix, SQLite and PostgreSQL on loopback. Ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-test-env.sh --for tests
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked 2>&1 | tee "$log" || status=$?
echo
awk '/^test result:/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit $status
