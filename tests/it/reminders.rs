//! Reminders end to end: `baocao reminders send --at …` drives time, Postfix delivers into
//! Dovecot, and the messages are read back from the units' mailboxes. SMTP failures are
//! real ones: Postfix answering 450 or 550, the server unreachable, a server that stalls
//! while the process is killed.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::harness::Backend;
use crate::harness::mail_env::{MailEnv, UNITS, add_units, assert_sends_at, mail_env, reply, send_at, wait_for};
use crate::harness::mail_lab::MailLab;
use crate::harness::proxy::{Mode, Proxy};
use crate::harness::service::{holds_for, wait_until};
use crate::on_both_backends;

on_both_backends!(
    reminders_reach_each_unit_and_stop_once_it_has_reported,
    a_temporary_refusal_is_retried_with_backoff_and_then_delivered,
    a_permanent_refusal_fails_the_message_and_marks_the_address,
    an_unreachable_server_loses_nothing_and_sends_nothing_twice,
    a_send_killed_between_claim_and_record_is_sent_again_after_the_lease,
    the_daily_digest_goes_to_the_office_once_per_working_day,
    a_counted_submission_gets_one_threaded_receipt_and_robots_get_none,
);

/// BC-1 for the `gdnn-gdtx` group, due 17h00 15/3/2030, reminding `remind` before and
/// `overdue` after, activated.
fn open_request_reminding(m: &MailEnv, remind: &str, overdue: &str) {
    m.env
        .add_request(
            "4189/KH-BCĐ",
            "Triển khai thực hiện Kế hoạch vận động hiến máu tình nguyện",
            "trước 17h00 ngày 15/3/2030",
            &[
                "--issuer",
                "Ban Chỉ đạo Vận động hiến máu tình nguyện tỉnh Điện Biên",
                "--content",
                "kết quả triển khai theo Phụ lục kèm theo",
                "--group",
                "gdnn-gdtx",
                "--remind",
                remind,
                "--overdue",
                overdue,
            ],
        )
        .ok();
    m.env.baocao(&["request", "activate", "BC-1"]).ok();
}

fn header(message: &mail_parser::Message<'_>, name: &str) -> String {
    message
        .header_raw(name)
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

fn reminders_reach_each_unit_and_stop_once_it_has_reported(backend: Backend) {
    let m = mail_env(backend, None, "");
    let addresses = add_units(&m, &UNITS);
    // Deadline Friday 15/3/2030 17:00: reminders 3d and 1d before, an overdue notice 1d after.
    open_request_reminding(&m, "3d,1d", "1d");

    // The plan says when each message goes and why.
    let plan = m.env.baocao(&["reminders", "plan", "--json"]).ok().json();
    let plan = plan.as_array().unwrap();
    assert_eq!(plan.len(), 5 * 4, "{plan:#?}");
    let notice_due = plan
        .iter()
        .filter(|l| l["kind"] == "notice")
        .map(|l| l["due_at"].as_str().unwrap().to_string())
        .max()
        .unwrap();
    let reasons: Vec<&str> = plan
        .iter()
        .filter(|l| l["unit"] == "gdnn-tuachua")
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        &reasons[1..],
        [
            // 17:00 is the window's end: the afternoon of that day, never after it.
            "3 ngày trước hạn; đưa lên 13:30 thứ Ba 12/03/2030 vì ngoài giờ làm việc",
            "1 ngày trước hạn; đưa lên 13:30 thứ Năm 14/03/2030 vì ngoài giờ làm việc",
            "1 ngày làm việc sau hạn: 07:30 thứ Hai 18/03/2030",
        ]
    );

    // The notice, at activation (or the next opening of the window).
    assert_sends_at(&m, &notice_due, 5);
    for address in &addresses {
        wait_for(m.lab, address, 1);
    }
    // The 3-day reminder.
    assert_sends_at(&m, "13:30 ngày 12/3/2030", 5);
    for address in &addresses {
        wait_for(m.lab, address, 2);
    }
    // Tuần Giáo reports by paper before the 1-day reminder.
    m.env
        .baocao(&[
            "mark",
            "BC-1",
            "gdnn-tuangiao",
            "--note",
            "nhận bản giấy qua văn thư",
            "--received-at",
            "10:00 ngày 13/3/2030",
        ])
        .ok();
    assert_sends_at(&m, "13:30 ngày 14/3/2030", 4);
    assert_sends_at(&m, "07:30 ngày 18/3/2030", 4);
    // Sending again at the same time sends nothing more.
    assert_sends_at(&m, "09:00 ngày 18/3/2030", 0);
    for address in &addresses[..4] {
        wait_for(m.lab, address, 4);
    }
    holds_for(Duration::from_millis(500), "four messages each", || {
        addresses[..4].iter().all(|address| m.lab.inbox_count(address) == 4)
    });
    assert_eq!(
        m.lab.inbox_count(&addresses[4]),
        2,
        "the unit that reported got nothing more"
    );

    // Every message parses back with its Vietnamese subject, the token, the headers and the
    // Message-ID the outbox recorded.
    let recorded = m.env.outbox();
    assert_eq!(recorded.len(), 5 + 5 + 4 + 4);
    assert!(
        recorded
            .iter()
            .all(|r| r["state"] == "sent" && r["smtp_response"].as_str().unwrap().starts_with("250"))
    );
    for (address, (_, name, _)) in addresses.iter().zip(UNITS) {
        let raws = m.lab.messages(address);
        // In the order the outbox queued them (Maildir names are not chronological).
        let mut subjects: Vec<(i64, String)> = Vec::new();
        for raw in &raws {
            let message = mail_parser::MessageParser::default().parse(raw).expect("parses");
            let subject = message.subject().unwrap().to_string();
            assert!(subject.starts_with("[BC-1] "), "{subject}");
            let text = message.body_text(0).unwrap();
            assert!(text.contains("[BC-1]"), "{text}");
            assert!(text.contains(&format!("Kính gửi: {name}")), "{text}");
            // The letter opens as an office writes to its units.
            assert!(
                text.contains(
                    "Thực hiện Kế hoạch số 4189/KH-BCĐ của Ban Chỉ đạo Vận động hiến máu tình nguyện tỉnh Điện Biên \
                     về việc triển khai thực hiện Kế hoạch vận động hiến máu tình nguyện, "
                ),
                "{text}"
            );
            assert!(text.contains("Trân trọng./."), "{text}");
            // The unit reads the deadline as the directive wrote it.
            assert!(text.contains("Hạn báo cáo: trước 17h00 ngày 15/3/2030"), "{text}");
            assert!(subject.contains("(hạn trước 17h00 ngày 15/3/2030)"), "{subject}");
            if subject.contains("Quá hạn") {
                // Monday morning after a Friday deadline: late by one working day.
                assert!(text.contains("đã quá hạn báo cáo 1 ngày làm việc nhưng"), "{text}");
            }
            assert_eq!(header(&message, "Auto-Submitted"), "auto-generated");
            assert_eq!(header(&message, "X-Auto-Response-Suppress"), "OOF, AutoReply");
            assert_eq!(
                header(&message, "Return-Path"),
                format!("<{}>", m.mailbox),
                "bounces go to the report mailbox"
            );
            let id = message.message_id().expect("a Message-ID");
            assert!(id.ends_with("@lab.test"), "{id}");
            let row = recorded
                .iter()
                .find(|r| r["message_id"] == id)
                .unwrap_or_else(|| panic!("Message-ID {id} not recorded"));
            assert_eq!(row["to_address"], address.as_str());
            assert_eq!(row["subject"], subject.as_str());
            subjects.push((row["id"].as_i64().unwrap(), subject));
        }
        subjects.sort();
        // Every later message answers the notice, so the unit's mail client threads them.
        let notice_id = recorded
            .iter()
            .find(|r| r["to_address"] == address.as_str() && r["kind"] == "notice")
            .map(|r| r["message_id"].as_str().unwrap().to_string())
            .unwrap();
        for raw in &raws {
            let message = mail_parser::MessageParser::default().parse(raw).unwrap();
            if message.message_id() != Some(notice_id.as_str()) {
                assert_eq!(header(&message, "In-Reply-To"), format!("<{notice_id}>"));
                assert_eq!(header(&message, "References"), format!("<{notice_id}>"));
            }
        }
        let subjects: Vec<String> = subjects.into_iter().map(|(_, s)| s).collect();
        assert!(
            subjects[0].contains("Đề nghị báo cáo theo văn bản số 4189/KH-BCĐ"),
            "{subjects:?}"
        );
        // Moved earlier, the reminders say what the policy says: 3 days, then 1 day left.
        assert!(
            subjects[1].contains("Nhắc báo cáo") && subjects[1].contains("còn 3 ngày"),
            "{subjects:?}"
        );
        if subjects.len() == 4 {
            assert!(subjects[2].contains("còn 1 ngày"), "{subjects:?}");
            assert!(subjects[3].contains("Quá hạn báo cáo"), "{subjects:?}");
        }
    }
    let status = m.env.baocao(&["status", "BC-1", "--json"]).ok().json();
    assert_eq!(status["requests"][0]["reported"], 1);
}

fn a_temporary_refusal_is_retried_with_backoff_and_then_delivered(backend: Backend) {
    let m = mail_env(backend, None, "[reminders]\nnotice-on-activation = false\n");
    let addresses = add_units(&m, &UNITS[..1]);
    let address = &addresses[0];
    m.lab.defer(address);
    open_request_reminding(&m, "3d", "");

    let sent = send_at(&m, "07:30 ngày 13/3/2030");
    assert_eq!(sent["outbox"]["retry"], 1, "{sent:#}");
    let row = &m.env.outbox()[0];
    assert_eq!(row["state"], "retry");
    assert_eq!(row["attempts"], 1);
    assert!(row["last_error"].as_str().unwrap().contains("450"), "{row:#}");

    m.lab.undefer(address);
    // Too early for the next attempt (about two minutes later, with jitter).
    assert_sends_at(&m, "07:31 ngày 13/3/2030", 0);
    assert_sends_at(&m, "07:40 ngày 13/3/2030", 1);
    wait_for(m.lab, address, 1);
    let row = &m.env.outbox()[0];
    assert_eq!(row["state"], "sent");
    assert_eq!(row["attempts"], 2);
    holds_for(Duration::from_millis(300), "sent once", || {
        m.lab.inbox_count(address) == 1
    });
}

fn a_permanent_refusal_fails_the_message_and_marks_the_address(backend: Backend) {
    let m = mail_env(backend, None, "[reminders]\nnotice-on-activation = false\n");
    let addresses = add_units(
        &m,
        &[
            (
                "gdnn-muongang",
                "Trung tâm GDNN-GDTX huyện Mường Ảng",
                "reject-muongang",
            ),
            ("gdnn-tuachua", "Trung tâm GDNN-GDTX huyện Tủa Chùa", "ttgdnn-tuachua"),
        ],
    );
    open_request_reminding(&m, "3d", "");
    let sent = send_at(&m, "07:30 ngày 13/3/2030");
    assert_eq!(
        (sent["outbox"]["sent"].as_u64(), sent["outbox"]["failed"].as_u64()),
        (Some(1), Some(1))
    );
    wait_for(m.lab, &addresses[1], 1);

    let failed = m.env.baocao(&["outbox", "list", "--failed", "--json"]).ok().json();
    let failed = failed.as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["to_address"], addresses[0].as_str());
    assert!(
        failed[0]["last_error"].as_str().unwrap().contains("5.1.1"),
        "{failed:#?}"
    );

    let status = m.env.baocao(&["status", "BC-1", "--json"]).ok().json();
    let units = status["requests"][0]["units"].as_array().unwrap();
    let muongang = units.iter().find(|u| u["unit"] == "gdnn-muongang").unwrap();
    assert_eq!(muongang["failing_addresses"][0], addresses[0].as_str());
    let text = m.env.baocao(&["status", "BC-1"]).ok().stdout;
    assert!(text.contains(&addresses[0]), "{text}");
    // `outbox retry` puts it back; Postfix still refuses, so it fails again.
    m.env.baocao(&["outbox", "retry", &failed[0]["id"].to_string()]).ok();
    let sent = send_at(&m, "07:35 ngày 13/3/2030");
    assert_eq!(sent["outbox"]["failed"], 1, "{sent:#}");
}

fn an_unreachable_server_loses_nothing_and_sends_nothing_twice(backend: Backend) {
    let lab = MailLab::shared();
    let proxy = Proxy::new(lab.submission_port);
    let m = mail_env(backend, Some(proxy.port), "[reminders]\nnotice-on-activation = false\n");
    let addresses = add_units(&m, &UNITS[..2]);
    open_request_reminding(&m, "3d", "");

    // Down: every attempt fails and is kept for later.
    let sent = send_at(&m, "07:30 ngày 13/3/2030");
    assert_eq!(sent["outbox"]["retry"], 2, "{sent:#}");
    let sent = send_at(&m, "07:33 ngày 13/3/2030");
    assert_eq!(sent["outbox"]["retry"], 2, "{sent:#}");
    // Up again.
    proxy.set(Mode::Forward);
    assert_sends_at(&m, "08:30 ngày 13/3/2030", 2);
    assert_sends_at(&m, "10:30 ngày 13/3/2030", 0);
    for address in &addresses {
        wait_for(m.lab, address, 1);
    }
    holds_for(Duration::from_millis(300), "one message each", || {
        addresses.iter().all(|address| m.lab.inbox_count(address) == 1)
    });
    assert!(
        m.env
            .outbox()
            .iter()
            .all(|r| r["state"] == "sent" && r["attempts"] == 3)
    );
}

fn a_send_killed_between_claim_and_record_is_sent_again_after_the_lease(backend: Backend) {
    let lab = MailLab::shared();
    let proxy = Proxy::new(lab.submission_port);
    proxy.set(Mode::Hang);
    let m = mail_env(backend, Some(proxy.port), "[reminders]\nnotice-on-activation = false\n");
    let addresses = add_units(&m, &UNITS[..1]);
    open_request_reminding(&m, "3d", "");

    // The server stalls; the sender has claimed the message when it is killed.
    let mut child = m
        .env
        .command(&["reminders", "send", "--at", "07:30 ngày 13/3/2030"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(20), "the message being claimed", || {
        m.env.outbox().first().is_some_and(|r| r["state"] == "sending")
    });
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    proxy.set(Mode::Forward);
    // The claim still holds: another pass leaves the message alone.
    assert_sends_at(&m, "07:31 ngày 13/3/2030", 0);
    assert_eq!(m.env.outbox()[0]["state"], "sending");
    // After the lease it is claimed again and sent.
    assert_sends_at(&m, "08:30 ngày 13/3/2030", 1);
    wait_for(m.lab, &addresses[0], 1);
    let row = &m.env.outbox()[0];
    assert_eq!(row["state"], "sent");
    assert_eq!(row["attempts"], 2);
    holds_for(Duration::from_millis(300), "sent once", || {
        m.lab.inbox_count(&addresses[0]) == 1
    });
}

fn the_daily_digest_goes_to_the_office_once_per_working_day(backend: Backend) {
    let m = mail_env(
        backend,
        None,
        "[reminders]\nnotice-on-activation = false\n[digest]\ntime = \"07:30\"\n",
    );
    add_units(&m, &UNITS[..3]);
    // Nothing to follow yet: no digest saying "0 yêu cầu đang theo dõi".
    assert_eq!(send_at(&m, "07:45 ngày 12/3/2030")["digest_queued"], 0);
    open_request_reminding(&m, "3d", "");
    m.env
        .baocao(&[
            "mark",
            "BC-1",
            "gdnn-tuachua",
            "--note",
            "e-office",
            "--received-at",
            "09:00 ngày 12/3/2030",
        ])
        .ok();
    // Saturday: no digest. Wednesday before 07:30: none yet.
    assert_eq!(send_at(&m, "08:00 ngày 9/3/2030")["digest_queued"], 0);
    assert_eq!(send_at(&m, "07:00 ngày 13/3/2030")["digest_queued"], 0);
    let sent = send_at(&m, "07:45 ngày 13/3/2030");
    assert_eq!(sent["digest_queued"], 1, "{sent:#}");
    assert_eq!(send_at(&m, "10:00 ngày 13/3/2030")["digest_queued"], 0, "once a day");
    wait_for(m.lab, &m.mailbox, 1);
    let raw = &m.lab.messages(&m.mailbox)[0];
    let message = mail_parser::MessageParser::default().parse(raw).unwrap();
    assert_eq!(
        message.subject(),
        Some("Tình hình báo cáo ngày 13/03/2030: 1 yêu cầu đang theo dõi")
    );
    let text = message.body_text(0).unwrap();
    assert!(text.contains("Đã báo cáo: 1/3"), "{text}");
    assert!(text.contains("Chưa báo cáo, còn trong hạn: 2 đơn vị"), "{text}");
    // No calendar file: 2030 is not confirmed, and a digest that goes out says so and how to fix it
    // (on 12/3, with nothing else to say, the warning alone sent no digest).
    assert!(
        text.contains("Lưu ý: lịch nghỉ lễ năm 2030 chưa được xác nhận trong tệp lịch"),
        "{text}"
    );
    assert!(text.contains("baocao calendar add 2030 --confirm"), "{text}");
    // The next working day brings the next digest.
    assert_eq!(send_at(&m, "07:30 ngày 14/3/2030")["digest_queued"], 1);
}

fn a_counted_submission_gets_one_threaded_receipt_and_robots_get_none(backend: Backend) {
    let m = mail_env(backend, None, "[intake]\nreceipts = true\nreceipt-pause-minutes = 10\n");
    let addresses = add_units(&m, &UNITS[..3]);
    open_request_reminding(&m, "3d,1d", "1d");
    assert_sends_at(&m, "08:00 ngày 4/3/2030", 3);
    for address in &addresses {
        wait_for(m.lab, address, 1);
    }
    let notice_id = |address: &str| {
        let raw = &m.lab.messages(address)[0];
        let message = mail_parser::MessageParser::default().parse(raw).unwrap();
        message.message_id().unwrap().to_string()
    };
    let import = |name: &str, content: String, at: &str| m.env.import_at(name, content, at);
    let parent = notice_id(&addresses[0]);
    // A person replies in the notice's thread: counted, and a receipt is queued.
    let first = import(
        "first.eml",
        reply(
            &addresses[0],
            &m.mailbox,
            "r1@mail.lab.test",
            Some(&parent),
            "",
            "Kính gửi Sở, đơn vị gửi báo cáo.",
        ),
        "09:00 ngày 4/3/2030",
    );
    assert_eq!(
        (first["state"].as_str(), first["receipt"].as_bool()),
        (Some("counted"), Some(true)),
        "{first:#}"
    );
    // The same person sends a corrected file two minutes later: counted as a resubmission,
    // but no second receipt within the pause.
    let again = import(
        "again.eml",
        reply(
            &addresses[0],
            &m.mailbox,
            "r2@mail.lab.test",
            Some(&parent),
            "",
            "Gửi lại bản đã sửa.",
        ),
        "09:02 ngày 4/3/2030",
    );
    assert_eq!(again["reason"], "resubmission", "{again:#}");
    assert!(again.get("receipt").is_none(), "{again:#}");
    // An e-office system's report is counted, but a robot is never answered.
    let e_office = import(
        "e-office.eml",
        reply(
            &addresses[1],
            &m.mailbox,
            "eoffice-1@lab.test",
            None,
            "Auto-Submitted: auto-generated\n",
            "Văn bản điện tử gửi từ hệ thống quản lý văn bản.",
        ),
        "09:05 ngày 4/3/2030",
    );
    assert_eq!(e_office["state"], "counted", "{e_office:#}");
    assert!(e_office.get("receipt").is_none(), "{e_office:#}");
    // An out-of-office reply is ignored and never answered.
    let away = import(
        "away.eml",
        reply(
            &addresses[2],
            &m.mailbox,
            "away-1@lab.test",
            Some(&notice_id(&addresses[2])),
            "Auto-Submitted: auto-replied\nX-Autoreply: yes\n",
            "Tôi đang nghỉ phép.",
        ),
        "09:06 ngày 4/3/2030",
    );
    assert_eq!(away["state"], "ignored", "{away:#}");
    // The third unit's report comes from a staff member's personal address: review, then the
    // clerk assigns it, and that sender gets the receipt.
    let personal = m.lab.address("canbo-canhan");
    let from_home = import(
        "personal.eml",
        reply(
            &personal,
            &m.mailbox,
            "home-1@lab.test",
            Some(&notice_id(&addresses[2])),
            "",
            "Em gửi báo cáo ạ.",
        ),
        "09:10 ngày 4/3/2030",
    );
    assert_eq!(from_home["reason"], "unknown_sender", "{from_home:#}");
    let review = m.env.baocao(&["review", "list", "--json"]).ok().json();
    let id = review[0]["id"].to_string();
    let assigned = m
        .env
        .baocao(&["review", "assign", &id, "--unit", "gdnn-dienbien", "--request", "BC-1"])
        .ok();
    assigned.assert_stdout_contains("thư xác nhận đã vào hàng đợi gửi");

    // Receipts answer mail just received: they go out even outside the send window.
    assert_sends_at(&m, "21:00 ngày 4/3/2030", 2);
    wait_for(m.lab, &personal, 1);
    let raw_home = m.lab.messages(&personal);
    let to_home = mail_parser::MessageParser::default().parse(&raw_home[0]).unwrap();
    assert_eq!(header(&to_home, "Auto-Submitted"), "auto-replied");
    assert_eq!(to_home.in_reply_to().as_text(), Some("home-1@lab.test"));
    wait_for(m.lab, &addresses[0], 2);
    holds_for(Duration::from_millis(300), "no receipt to the others", || {
        m.lab.inbox_count(&addresses[1]) == 1 && m.lab.inbox_count(&addresses[2]) == 1
    });
    let raws = m.lab.messages(&addresses[0]);
    let receipt = raws
        .iter()
        .map(|raw| mail_parser::MessageParser::default().parse(raw).unwrap())
        .find(|message| header(message, "Auto-Submitted") == "auto-replied")
        .expect("a receipt with Auto-Submitted: auto-replied");
    assert_eq!(receipt.in_reply_to().as_text(), Some("r1@mail.lab.test"));
    let references: Vec<&str> = receipt
        .references()
        .as_text_list()
        .unwrap_or_default()
        .iter()
        .map(|id| id.as_ref())
        .collect();
    assert_eq!(references, vec![parent.as_str(), "r1@mail.lab.test"]);
    let subject = receipt.subject().unwrap();
    assert!(subject.starts_with("[BC-1] Đã nhận báo cáo"), "{subject}");
    let text = receipt.body_text(0).unwrap();
    assert!(
        text.contains("Thời điểm nhận: 04/03/2030 lúc 09:00, trong hạn"),
        "{text}"
    );
    assert!(text.contains("  - Báo cáo hiến máu.pdf"), "{text}");
    let recorded: Vec<Value> = m.env.outbox().into_iter().filter(|r| r["kind"] == "receipt").collect();
    assert_eq!(recorded.len(), 2);
    assert!(
        recorded
            .iter()
            .any(|r| r["message_id"].as_str() == receipt.message_id())
    );

    // The receipt, should it come back to the report mailbox, is our own message.
    let own = import(
        "own.eml",
        String::from_utf8(
            raws.iter()
                .find(|r| String::from_utf8_lossy(r).contains("auto-replied"))
                .unwrap()
                .clone(),
        )
        .unwrap(),
        "21:01 ngày 4/3/2030",
    );
    assert_eq!(own["reason"], "own_message", "{own:#}");
}

#[test]
fn a_unit_whose_reply_lacked_the_file_is_reminded_of_the_file() {
    let m = mail_env(Backend::Sqlite, None, "[reminders]\nnotice-on-activation = false\n");
    let addresses = add_units(&m, &UNITS[..2]);
    open_request_reminding(&m, "3d", "");
    // Mường Ảng replied, but without the report file the request asks for.
    let reply = format!(
        "From: {}\nTo: {}\nSubject: Báo cáo [BC-1]\nMessage-ID: <muongang-no-file@lab.test>\nMIME-Version: 1.0\n\
         Content-Type: text/plain; charset=utf-8\n\nKính gửi Sở, Trung tâm gửi báo cáo.\n",
        addresses[0], m.mailbox
    );
    let imported = m.env.import_at("no-file.eml", reply, "09:00 ngày 11/3/2030");
    assert_eq!(imported["reason"], "missing_attachment", "{imported:#}");
    assert_sends_at(&m, "07:30 ngày 13/3/2030", 2);
    wait_for(m.lab, &addresses[0], 1);
    wait_for(m.lab, &addresses[1], 1);
    let text = |address: &str| {
        let raw = &m.lab.messages(address)[0];
        let message = mail_parser::MessageParser::default().parse(raw).unwrap();
        message.body_text(0).unwrap().to_string()
    };
    assert!(
        text(&addresses[0]).contains("chưa kèm tệp báo cáo"),
        "{}",
        text(&addresses[0])
    );
    assert!(
        !text(&addresses[1]).contains("chưa kèm tệp báo cáo"),
        "{}",
        text(&addresses[1])
    );
}
