//! `baocao run` as systemd runs it: the real binary with a `NOTIFY_SOCKET` this test listens
//! on. READY after migrations, watchdog pings, readable STATUS lines, CLI changes taking
//! effect while it runs, a reply counted by the running watcher, SIGTERM in the middle of a
//! send (nothing lost, nothing doubled), SIGHUP with a broken and then a fixed template.

use std::time::Duration;

use crate::harness::mail_env::{DISTRICT_OFFICES, MailEnv, lab_units, mail_env, text_reply};
use crate::harness::mail_lab::MailLab;
use crate::harness::proxy::{Mode, Proxy};
use crate::harness::service::{ALWAYS_OPEN, Service, holds_for, wait_until};
use crate::harness::{Backend, free_port};

/// The decoded text of each RFC 2047 encoded-word in header `name` of a raw message.
fn encoded_pieces(raw: &[u8], name: &str) -> Vec<String> {
    use base64::Engine;
    let text = String::from_utf8_lossy(raw);
    let text = text.replace("\r\n", "\n");
    let head = text.split("\n\n").next().unwrap_or_default().replace("\n ", " ");
    let line = head
        .lines()
        .find(|l| l.starts_with(&format!("{name}: ")))
        .unwrap_or_default()
        .to_string();
    line.split_whitespace()
        .filter_map(|t| t.strip_prefix("=?utf-8?b?")?.strip_suffix("?=").map(str::to_string))
        .map(|b| String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b).unwrap()).unwrap())
        .collect()
}

/// The lab office: mail at any hour, then `extra`; `[smtp]` on `smtp_port` when given.
fn office(smtp_port: Option<u16>, extra: &str) -> MailEnv {
    mail_env(Backend::Sqlite, smtp_port, &format!("{ALWAYS_OPEN}\n{extra}"))
}

/// Two units with lab addresses and request BC-1 (not activated).
fn register(o: &MailEnv) -> Vec<String> {
    let addresses = lab_units(&o.env, o.lab, &DISTRICT_OFFICES[..2]);
    request_for_both(o, "4189/KH-BCĐ");
    addresses
}

/// Request CODE for both units (not activated).
fn request_for_both(o: &MailEnv, code: &str) {
    o.env.request_for(code, &["pgd-muongcha", "pgd-tuangiao"]);
}

fn subjects(lab: &MailLab, address: &str) -> Vec<String> {
    lab.messages(address)
        .iter()
        .map(|raw| {
            mail_parser::MessageParser::default()
                .parse(raw)
                .and_then(|m| m.subject().map(str::to_string))
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn the_service_is_ready_after_migrations_pings_the_watchdog_and_works_while_running() {
    let mut o = office(None, "");
    // A database nothing has touched: the service migrates it before saying READY.
    let fresh = format!("sqlite://{}", o.env.path("fresh.db").display());
    o.env.use_database(fresh);
    let mut service = Service::start(&o.env, None);
    let ready_at = service.wait_ready();
    o.env.baocao(&["unit", "list"]).ok();
    let status = service.wait_for_status(Duration::from_secs(10), |s| s.contains("(IDLE)"));
    assert!(
        status.starts_with(&format!("watching {} (IDLE); 0 requests active", o.mailbox)),
        "{status}"
    );

    // The watchdog is pinged every half interval while the loops make progress.
    let pings = || {
        service
            .notes()
            .iter()
            .filter(|(at, n)| n == "WATCHDOG=1" && *at > ready_at)
            .count()
    };
    wait_until(Duration::from_secs(2), "three watchdog pings", || pings() >= 3);

    // A request activated with the CLI while the service runs: the notice goes out within
    // seconds, without a restart.
    let addresses = register(&o);
    o.env.baocao(&["request", "activate", "BC-1"]).ok();
    for address in &addresses {
        assert!(
            o.lab.wait_for_inbox(address, 1, Duration::from_secs(15)),
            "no notice for {address}:\n{}",
            service.log_text()
        );
    }
    let status = service.wait_for_status(Duration::from_secs(10), |s| s.contains("1 request active"));
    assert!(status.contains("next reminder "), "{status}");

    // A unit's reply reaches the report mailbox through Postfix: the running watcher counts it.
    let notice = &o.lab.messages(&addresses[0])[0];
    // The office's name travels in encoded-words that each end between two words, so no
    // mail client shows a word cut in two ("Điện Bi ên").
    let pieces = encoded_pieces(notice, "From");
    assert!(
        pieces.len() > 1,
        "the name needs more than one encoded-word: {pieces:?}"
    );
    assert_eq!(pieces.concat(), "Sở Giáo dục và Đào tạo tỉnh Điện Biên");
    for piece in &pieces[..pieces.len() - 1] {
        assert!(piece.ends_with(' '), "an encoded-word ends inside a word: {pieces:?}");
    }
    let notice = mail_parser::MessageParser::default().parse(notice).unwrap();
    assert_eq!(
        notice.from().and_then(|f| f.first()).and_then(|a| a.name()),
        Some("Sở Giáo dục và Đào tạo tỉnh Điện Biên")
    );
    let reply = text_reply(
        &addresses[0],
        &o.mailbox,
        &format!("RE: {}", notice.subject().unwrap()),
        "reply-daemon@lab.test",
        notice.message_id(),
        "",
    );
    o.lab.submit(&addresses[0], &o.mailbox, &reply);
    wait_until(Duration::from_secs(15), "the reply being counted", || {
        o.env.unit_status("BC-1", "pgd-muongcha")["state"] == "reported"
    });

    // `baocao status`, another process, sees the running service.
    let text = o.env.baocao(&["status"]).ok().stdout;
    assert!(
        text.contains("Dịch vụ baocao: đang chạy (đang theo dõi hộp thư nhận báo cáo; 1 yêu cầu đang theo dõi"),
        "{text}"
    );
    // The clerk's footer is Vietnamese; the English status line is for the journal.
    assert!(!text.contains("watching"), "{text}");

    let (exit, took) = service.stop();
    assert!(exit.success(), "{exit:?}\n{}", service.log_text());
    assert!(took < Duration::from_secs(10), "stopping took {took:?}");
    assert!(service.notes().iter().any(|(_, n)| n == "STOPPING=1"));
    let text = o.env.baocao(&["status"]).ok().stdout;
    assert!(
        text.contains("Dịch vụ baocao: chưa chạy"),
        "a clean stop says so: {text}"
    );
}

#[test]
fn sigterm_during_a_send_exits_in_time_and_the_message_goes_once_after_restart() {
    let lab = MailLab::shared();
    let relay = Proxy::new(lab.submission_port);
    relay.set(Mode::Hang);
    let o = office(Some(relay.port), "");
    let addresses = register(&o);
    o.env.baocao(&["unit", "remove", "pgd-tuangiao"]).ok();
    o.env.baocao(&["request", "activate", "BC-1"]).ok();

    let mut service = Service::start(&o.env, None);
    service.wait_ready();
    wait_until(Duration::from_secs(15), "the notice being claimed", || {
        o.env.outbox().iter().any(|m| m["state"] == "sending")
    });
    let (exit, took) = service.stop();
    assert!(exit.success(), "{exit:?}\n{}", service.log_text());
    assert!(took < Duration::from_secs(10), "stopping took {took:?}");
    let after_stop = o.env.outbox();
    assert_eq!(after_stop.len(), 1);
    assert_eq!(after_stop[0]["state"], "retry", "released, not lost: {after_stop:#?}");

    relay.set(Mode::Forward);
    let mut service = Service::start(&o.env, None);
    assert!(
        lab.wait_for_inbox(&addresses[0], 1, Duration::from_secs(20)),
        "{}",
        service.log_text()
    );
    holds_for(Duration::from_secs(2), "sent once", || {
        lab.inbox_count(&addresses[0]) == 1
    });
    assert_eq!(o.env.outbox()[0]["state"], "sent");
    assert!(service.stop().0.success());
}

#[test]
fn sighup_keeps_the_old_templates_when_the_new_ones_are_broken_and_applies_fixed_ones() {
    let o = office(None, "[templates]\ndir = \"templates\"\n");
    let templates = o.env.path("templates");
    std::fs::create_dir_all(&templates).unwrap();
    let subject = |text: &str| std::fs::write(templates.join("notice.subject.txt"), text).unwrap();
    subject("Thông báo bản A [{{ request.token }}] {{ request.code }}\n");
    let addresses = register(&o);
    let mut service = Service::start(&o.env, None);
    service.wait_ready();

    subject("Thông báo [{{ request.tokn }}]\n");
    service.signal("HUP");
    service.wait_for_log(Duration::from_secs(10), "reload refused");
    let refused_at = std::time::Instant::now();
    // Still healthy after the refused reload.
    service.wait_for_note_after(refused_at, Duration::from_secs(2), |n| n == "WATCHDOG=1");
    assert!(service.is_running());
    o.env.baocao(&["request", "activate", "BC-1"]).ok();
    assert!(o.lab.wait_for_inbox(&addresses[0], 1, Duration::from_secs(15)));
    assert!(
        subjects(o.lab, &addresses[0])[0].starts_with("Thông báo bản A [BC-1]"),
        "the old template: {:?}",
        subjects(o.lab, &addresses[0])
    );

    subject("Thông báo bản B [{{ request.token }}] {{ request.code }}\n");
    service.signal("HUP");
    service.wait_for_log(Duration::from_secs(10), "configuration and templates reloaded");
    request_for_both(&o, "1062/KH-UBND");
    o.env.baocao(&["request", "activate", "BC-2"]).ok();
    assert!(o.lab.wait_for_inbox(&addresses[0], 2, Duration::from_secs(15)));
    let all = subjects(o.lab, &addresses[0]);
    assert!(
        all.iter().any(|s| s.starts_with("Thông báo bản B [BC-2]")),
        "the fixed template applies: {all:?}"
    );
    assert!(service.stop().0.success());
}

#[test]
fn doctor_gives_each_check_a_verdict_and_fails_on_a_wrong_password_or_a_closed_port() {
    let o = office(None, "");
    let good = o.env.baocao(&["doctor"]);
    assert_eq!(good.code, 0, "{}\n{}", good.stdout, good.stderr);
    for line in [
        format!(
            "[ok]       Máy chủ gửi thư 127.0.0.1:{}: kết nối được",
            o.lab.submission_port
        ),
        format!(
            "[ok]       Đăng nhập máy chủ gửi thư: đăng nhập được với {} (TLS)",
            o.mailbox
        ),
        format!("[ok]       Máy chủ IMAP 127.0.0.1:{}: kết nối được", o.lab.imaps_port),
        format!("[ok]       Đăng nhập IMAP: đăng nhập được với {}", o.mailbox),
        "[ok]       Hộp thư INBOX: có, 0 thư".to_string(),
        "[ok]       IMAP IDLE: máy chủ hỗ trợ".to_string(),
        "[ok]       Mẫu thư: mọi mẫu hiển thị được".to_string(),
    ] {
        assert!(good.stdout.contains(&line), "missing {line:?} in:\n{}", good.stdout);
    }
    good.assert_stdout_contains("mở được, ghi được, cấu trúc mới nhất");

    // A wrong password: both logins fail, each on its own line, and the exit code says so.
    std::fs::write(o.env.path("lab-password"), "sai-mat-khau\n").unwrap();
    let bad = o.env.baocao(&["doctor"]);
    assert_eq!(bad.code, 1, "{}", bad.stdout);
    bad.assert_stdout_contains("[lỗi]      Đăng nhập máy chủ gửi thư:");
    bad.assert_stdout_contains("[lỗi]      Đăng nhập IMAP:");
    bad.assert_stderr_contains("2 mục kiểm tra không đạt");

    // Nothing listening where SMTP should be.
    let closed = free_port();
    let o2 = office(Some(closed), "");
    let down = o2.env.baocao(&["doctor"]);
    assert_eq!(down.code, 1);
    down.assert_stdout_contains(&format!(
        "[lỗi]      Máy chủ gửi thư 127.0.0.1:{closed}: không kết nối được"
    ));
}
