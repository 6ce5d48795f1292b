#!/usr/bin/env bash
# Fan-out benchmark: 5,000 reminders from `baocao reminders send` into a local SMTP sink
# (Postfix's smtp-sink), beside Postfix's own smtp-source sending 5,000 messages of the same
# size into the same sink in the same run. One command; prints both figures.
#
#   bash scripts/bench-fanout.sh [UNITS] [CONCURRENCY]
#
# baocao's figure covers everything `reminders send` does for a due slot: finding it,
# rendering the template, writing the message into the outbox (SQLite), claiming it with a
# lease, sending it over its own SMTP connection and recording the server's answer.
set -euo pipefail
cd "$(dirname "$0")/.."
units=${1:-5000}
concurrency=${2:-4}

bash scripts/setup-test-env.sh --for demo >/dev/null
cargo build --release --locked --quiet --bin baocao
bin=$PWD/target/release/baocao

work=$(mktemp -d -t baocao-bench-XXXXXX)
sink_pid=
cleanup() { [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
chmod 0755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# smtp-sink: accept everything, discard it; 256 = listen backlog.
(cd "$work" && exec smtp-sink -u nobody 127.0.0.1:"$port" 256) &
sink_pid=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done

cat > "$work/baocao.toml" <<TOML
[office]
name = "Sở Giáo dục và Đào tạo tỉnh Điện Biên"
report-mailbox = "vanphong@bench.test"
[database]
url = "sqlite://$work/baocao.db"
[smtp]
host = "127.0.0.1"
port = $port
tls = "none"
concurrency = $concurrency
[reminders]
notice-on-activation = false
[digest]
enabled = false
TOML
baocao() { "$bin" --config "$work/baocao.toml" "$@"; }
baocao migrate >/dev/null
{
    echo "ma,ten,nhom,email"
    for i in $(seq 1 "$units"); do echo "dv-$i,Đơn vị số $i huyện Mường Chà,bench,dv$i@bench.test"; done
} > "$work/units.csv"
baocao unit import "$work/units.csv" >/dev/null
baocao request add "4189/KH-BCĐ" --title "Báo cáo kết quả thực hiện Kế hoạch vận động hiến máu tình nguyện" \
    --deadline "17h00 ngày 15/3/2030" --group bench --remind 3d --overdue "" >/dev/null 2>&1
baocao request activate BC-1 >/dev/null

start=$(date +%s.%N)
result=$(baocao reminders send --at "07:30 ngày 13/3/2030" --json)
end=$(date +%s.%N)
sent=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["outbox"]["sent"])' "$result")
size=$(baocao outbox show 1 | wc -c)
baocao_secs=$(python3 -c "print(f'{$end - $start:.2f}')")
baocao_rate=$(python3 -c "print(f'{$sent / ($end - $start):.0f}')")

start=$(date +%s.%N)
smtp-source -s "$concurrency" -m "$units" -l "$size" -f vanphong@bench.test -t dv@bench.test 127.0.0.1:"$port"
end=$(date +%s.%N)
source_secs=$(python3 -c "print(f'{$end - $start:.2f}')")
source_rate=$(python3 -c "print(f'{$units / ($end - $start):.0f}')")

echo "fan-out into smtp-sink on 127.0.0.1, $units messages of ~$size bytes, $concurrency at a time, one connection per message"
printf '  %-46s %6s messages in %7s s = %6s msg/s\n' \
    "baocao reminders send (plan→outbox→SMTP→record)" "$sent" "$baocao_secs" "$baocao_rate" \
    "postfix smtp-source (SMTP only)" "$units" "$source_secs" "$source_rate"
