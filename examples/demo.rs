//! README command (a), driven by `scripts/demo.sh`: the main job end to end on this machine.
//!
//! Starts a local Postfix and Dovecot (the test harness's mail lab, on loopback ports in a
//! temporary directory), loads the 23 units of seed 000 (Sở GD&ĐT Điện Biên) and request
//! 4189/KH-BCĐ with a deadline two minutes ahead and reminders in minutes, runs the service
//! (`baocao run`, SQLite) and lets the notices and reminders go out; then three units reply
//! through Postfix: one on time from its own address, one without the attachment the request
//! requires, one from a personal Gmail address, and a fourth after the deadline. Prints the
//! status table and the review queue, and stops everything it started.

// The demo is wiring: it reads the clock and unwraps (a panic is a failed demo).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

#[allow(dead_code, unused_imports)]
#[path = "../tests/it/harness/mod.rs"]
mod harness;

use std::time::{Duration, Instant};

use chrono::{Timelike, Utc};
use harness::mail_lab::MailLab;
use harness::service::{Service, wait_until};
use harness::{Backend, Env, SEED_000_REQUEST, SEED_000_TITLE, repo_root};

const OFFICE: &str = "vanphong.sodienbien@moet.edu.vn";

fn step(text: &str) {
    println!("\n\x1b[1m== {text}\x1b[0m");
}

fn show(env: &Env, args: &[&str]) -> String {
    let run = env.baocao(args);
    print!("{}", run.stdout);
    if run.code != 0 {
        eprint!("{}", run.stderr);
        panic!("baocao {args:?} failed");
    }
    run.stdout
}

fn main() {
    let began = Instant::now();
    step("Khởi động máy chủ thư cục bộ: Postfix (SMTP) và Dovecot (IMAP, IDLE) trên 127.0.0.1");
    let lab = MailLab::shared();
    println!(
        "SMTP submission 127.0.0.1:{} (STARTTLS), IMAPS 127.0.0.1:{}; thư gửi tới bất kỳ địa chỉ nào đều vào Dovecot, không ra ngoài máy",
        lab.submission_port, lab.imaps_port
    );
    let env = Env::new(Backend::Sqlite);
    let calendar = repo_root().join("config/calendar.toml");
    lab.write_config(
        &env,
        OFFICE,
        lab.submission_port,
        &format!(
            r#"
[calendar]
# The calendar the package installs: 2023–2026 confirmed from the official notices.
file = "{}"

[send-window]
# Bản trình diễn gửi thư bất kể giờ nào; mặc định là giờ hành chính các ngày làm việc.
hours = ["00:00-23:59"]
working-days-only = false

[intake]
receipts = true

[digest]
enabled = false

[daemon]
tick-seconds = 2
"#,
            calendar.display()
        ),
    );
    println!("Cấu hình: {}", env.config.display());
    println!("Cơ sở dữ liệu: {} (SQLite, mặc định)", env.db.url);

    step("Nhập danh sách 23 đơn vị của Sở GD&ĐT Điện Biên (config/seed-000-units.csv)");
    print!("{}", env.seed_000_units().stdout);
    let units = repo_root().join("config/seed-000-units.csv");

    // Two minutes ahead, on a whole minute: a reminder 1 minute before, an overdue notice
    // 1 minute after.
    let zone = chrono_tz::Asia::Ho_Chi_Minh;
    let local = (Utc::now() + chrono::Duration::seconds(150)).with_timezone(&zone);
    let deadline_local = local.with_second(0).unwrap();
    let deadline = deadline_local.format("%H:%M ngày %d/%m/%Y").to_string();
    step(&format!("Tạo và kích hoạt yêu cầu 4189/KH-BCĐ, hạn {deadline}"));
    let mut more = SEED_000_REQUEST.to_vec();
    more.extend(["--remind", "1m", "--overdue", "1m"]);
    let added = env.add_request("4189/KH-BCĐ", SEED_000_TITLE, &deadline, &more);
    print!("{}", added.ok().stdout);
    show(&env, &["request", "activate", "BC-1"]);

    step("Chạy dịch vụ: baocao run (như systemd chạy, với NOTIFY_SOCKET)");
    let mut service = Service::start(&env, None);
    service.wait_ready();
    let status = service.wait_for_status(Duration::from_secs(15), |s| s.contains("(IDLE)"));
    println!("systemd nhận: READY=1, STATUS={status}");

    step("Thông báo yêu cầu báo cáo đi tới 23 đơn vị");
    let addresses: Vec<String> = std::fs::read_to_string(&units)
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(3).map(str::to_string))
        .collect();
    wait_until(Duration::from_secs(60), "23 notices", || {
        addresses.iter().filter(|a| lab.inbox_count(a) >= 1).count() == addresses.len()
    });
    let muongcha = "pgddt.muongcha@dienbien.edu.vn";
    let notice = parse(&lab.messages(muongcha)[0]);
    println!("Thư tới {muongcha}:");
    println!("  Tiêu đề: {}", notice.subject);
    println!("  Message-ID: <{}>", notice.message_id);
    println!("  Auto-Submitted: {}", notice.auto_submitted);

    step("Các đơn vị trả lời (qua Postfix, tới hộp thư nhận báo cáo)");
    let parent = |address: &str| parse(&lab.messages(address)[0]);
    let reply = |from: &str, parent: &Letter, text: &str, attachment: Option<&str>| {
        let mut m = format!(
            "From: {from}\r\nTo: {OFFICE}\r\nSubject: RE: {}\r\nMessage-ID: <{}@{}>\r\nIn-Reply-To: <{}>\r\n\
             References: <{}>\r\nMIME-Version: 1.0\r\n",
            parent.subject,
            rand::random::<u32>(),
            from.split('@').nth(1).unwrap(),
            parent.message_id,
            parent.message_id
        );
        match attachment {
            Some(name) => m.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                 {text}\r\n--b\r\nContent-Type: application/pdf; name=\"{name}\"\r\n\
                 Content-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
                 JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2JqCg==\r\n--b--\r\n"
            )),
            None => m.push_str(&format!("Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n")),
        }
        m
    };
    lab.submit(
        muongcha,
        OFFICE,
        &reply(
            muongcha,
            &parent(muongcha),
            "Kính gửi Văn phòng Sở, Phòng GD&ĐT Mường Chà gửi báo cáo kết quả thực hiện kế hoạch.",
            Some("bao-cao-hien-mau-muong-cha.pdf"),
        ),
    );
    println!("1. {muongcha}: trả lời đúng luồng thư, có tệp đính kèm");
    let tuangiao = "pgddt.tuangiao@dienbien.edu.vn";
    lab.submit(
        tuangiao,
        OFFICE,
        &reply(
            tuangiao,
            &parent(tuangiao),
            "Kính gửi Văn phòng Sở, đơn vị đã tổ chức hiến máu, báo cáo chi tiết như sau: 3 đợt, 140 người tham gia.",
            None,
        ),
    );
    println!("2. {tuangiao}: trả lời nhưng quên đính kèm tệp (yêu cầu bắt buộc có tệp)");
    let personal = "nguyenvanhung.thpt@gmail.com";
    let thpt = addresses
        .iter()
        .find(|a| a.starts_with("c3"))
        .cloned()
        .unwrap_or_else(|| addresses[8].clone());
    lab.submit(
        personal,
        OFFICE,
        &reply(
            personal,
            &parent(&thpt),
            "Em gửi báo cáo của trường ạ (gửi từ hộp thư cá nhân).",
            Some("bao-cao-truong.pdf"),
        ),
    );
    println!("3. {personal}: gửi từ Gmail cá nhân, trả lời thư gửi {thpt}");
    wait_until(Duration::from_secs(30), "the three replies being recorded", || {
        let review = env.baocao(&["review", "list", "--json"]).json();
        let status = env.baocao(&["status", "BC-1", "--json"]).json();
        review.as_array().is_some_and(|r| r.len() >= 2) && status["requests"][0]["reported"].as_u64() == Some(1)
    });
    step(&format!(
        "Chờ qua hạn ({deadline}); thư nhắc 1 phút trước hạn đi tới các đơn vị chưa báo cáo"
    ));
    let deadline_utc = deadline_local.with_timezone(&Utc);
    wait_until(Duration::from_secs(300), "the deadline passing", || {
        Utc::now() >= deadline_utc + chrono::Duration::seconds(3)
    });
    let late = "pgddt.dienbien@dienbien.edu.vn";
    lab.submit(
        late,
        OFFICE,
        &reply(
            late,
            &parent(late),
            "Kính gửi Văn phòng Sở, xin lỗi vì gửi muộn, đơn vị gửi báo cáo.",
            Some("bao-cao-dien-bien.pdf"),
        ),
    );
    println!("4. {late}: gửi báo cáo sau hạn");
    wait_until(Duration::from_secs(30), "the late reply being counted", || {
        let status = env.baocao(&["status", "BC-1", "--json"]).json();
        status["requests"][0]["reported"].as_u64() == Some(2)
    });

    let outbox = env.baocao(&["outbox", "list", "--json"]).json();
    let sent = |kind: &str| {
        outbox
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == kind && m["state"] == "sent")
            .count()
    };
    println!(
        "Đã gửi: {} thông báo, {} thư nhắc trước hạn, {} thư xác nhận đã nhận báo cáo (mỗi thư một Message-ID riêng, ghi trong outbox)",
        sent("notice"),
        sent("reminder"),
        sent("receipt")
    );
    if let Some(receipt) = lab
        .messages(muongcha)
        .iter()
        .map(|raw| parse(raw))
        .find(|l| l.auto_submitted == "auto-replied")
    {
        println!("Thư xác nhận tới {muongcha}: {}", receipt.subject);
    }

    step("Tình hình báo cáo (baocao status BC-1)");
    show(&env, &["status", "BC-1"]);
    step("Thư chờ xem xét (baocao review list)");
    show(&env, &["review", "list"]);
    step("Đối chiếu hộp thư với dữ liệu (baocao intake reconcile)");
    show(&env, &["intake", "reconcile"]);

    step("Dừng dịch vụ (SIGTERM)");
    let (exit, took) = service.stop();
    println!("baocao run thoát ({exit}) sau {} ms", took.as_millis());
    println!(
        "\nXong trong {} giây. Máy chủ thư cục bộ và thư mục tạm được dọn khi chương trình kết thúc.",
        began.elapsed().as_secs()
    );
}

struct Letter {
    subject: String,
    message_id: String,
    auto_submitted: String,
}

fn parse(raw: &[u8]) -> Letter {
    let message = mail_parser::MessageParser::default().parse(raw).unwrap();
    Letter {
        subject: message.subject().unwrap_or_default().to_string(),
        message_id: message.message_id().unwrap_or_default().to_string(),
        auto_submitted: message
            .header_raw("Auto-Submitted")
            .map(|v| v.trim().to_string())
            .unwrap_or_default(),
    }
}
