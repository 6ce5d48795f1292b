#!/usr/bin/env bash
# README command (a): the main job on this machine, with SQLite as the embedded default.
# Today it installs the local mail servers, loads the units of seed 000 (Sở GD&ĐT Điện Biên),
# creates and activates the seed's request 4189/KH-BCĐ, and prints the status table.
# Reminders and intake join the demo as they land (see CHANGELOG.md).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-test-env.sh >/dev/null
cargo build --locked --quiet --bin baocao
bin=target/debug/baocao

work=$(mktemp -d -t baocao-demo-XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/baocao.toml" <<TOML
[office]
name = "Sở Giáo dục và Đào tạo tỉnh Điện Biên"
time-zone = "Asia/Ho_Chi_Minh"
report-mailbox = "vanphong.sodienbien@moet.edu.vn"

[database]
url = "sqlite://$work/baocao.db"
TOML
baocao() { "$bin" --config "$work/baocao.toml" "$@"; }

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Kiểm tra cấu hình"
baocao check-config 2>/dev/null
step "Khởi tạo cơ sở dữ liệu (SQLite)"
baocao migrate
step "Nhập danh sách đơn vị của Sở GD&ĐT Điện Biên (config/seed-000-units.csv)"
baocao unit import config/seed-000-units.csv
baocao unit list --group gdnn-gdtx

# The seed's real deadline (before 31/12/2023) is long past; the demo keeps its shape but
# moves it a week ahead so that every unit is still "pending".
deadline="17h00 ngày $(TZ=Asia/Ho_Chi_Minh date -d '+7 days' +%d/%m/%Y)"
step "Tạo yêu cầu báo cáo 4189/KH-BCĐ, hạn: $deadline"
baocao request add "4189/KH-BCĐ" \
    --title "Triển khai thực hiện Kế hoạch vận động hiến máu tình nguyện năm 2023" \
    --issued 27/12/2022 --deadline "$deadline" --remind 3d,1d --overdue 1d,3d \
    --group phong-gddt --group truc-thuoc --group gdnn-gdtx
baocao request activate BC-1
step "Lịch gửi thư nhắc của hai đơn vị (mỗi lần gửi có lý do)"
baocao reminders plan --request BC-1 | grep -E '^(Mã|-|BC-1 +(pgd-muongcha|gdnn-tuachua) )'
step "Tình hình báo cáo"
baocao status BC-1
