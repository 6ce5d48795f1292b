#!/usr/bin/env bash
# Fan-out benchmark: UNITS reminders from `baocao reminders send` beside a peer that only
# speaks SMTP, with the same number of sessions, in one run: plain SMTP into Postfix's
# smtp-sink (peer: Postfix's smtp-source) and STARTTLS + AUTH into the mail lab's Postfix
# (peer: a raw STARTTLS client, since smtp-source has no TLS). Prints msg/s and the ratios.
#
#   bash scripts/bench-fanout.sh [UNITS=5000] [CONCURRENCY=4]
#
# baocao's figure covers everything `reminders send` does for a due slot: finding it,
# rendering the template, writing the message into the outbox (SQLite), claiming it with a
# lease, sending it over its own SMTP connection and recording the server's answer. The
# work is in benches/fanout.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-env.sh --for demo >/dev/null
exec cargo bench --locked --bench fan-out -- "${1:-5000}" "${2:-4}"
