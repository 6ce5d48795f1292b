#!/usr/bin/env bash
# README command (b): install what the tests need (idempotent), then check formatting and
# lints and run every test: unit tests, and integration tests against real Dovecot,
# Postfix, SQLite and PostgreSQL on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-test-env.sh
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
