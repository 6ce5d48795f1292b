#!/usr/bin/env bash
# README command (a): the main job on this machine, with SQLite as the embedded default.
# Installs the local mail servers if missing (scripts/setup-test-env.sh --for demo: Postfix,
# Dovecot and OpenSSL, none of the tests' browsers or office suite), builds baocao, and
# runs examples/demo.rs: seed 000's 23 units and request 4189/KH-BCĐ with a deadline two
# minutes ahead, `baocao run` sending the notices and reminders through a local Postfix into
# Dovecot, four replies (on time, without attachment, from a personal address, late), then
# the status table and the review queue. Everything it starts is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-test-env.sh --for demo >/dev/null
cargo build --locked --quiet --bin baocao
BAOCAO_BIN="$PWD/target/debug/baocao" exec cargo run --locked --quiet --example demo
