//! Intake through `intake import` (the watcher's own path, fed from files) and the review
//! queue's decisions, on both databases: counting, duplicates, an unknown sender assigned
//! with its address remembered, a rejection, and a later deadline granted from review.

use crate::harness::{Backend, Env};
use crate::on_both_backends;

on_both_backends!(
    imported_messages_are_counted_once_and_review_decides_the_rest,
    a_later_deadline_granted_from_review_replans_the_unit_reminders,
    a_units_earlier_review_items_leave_the_queue_once_it_is_counted,
);

fn setup(backend: Backend) -> Env {
    let env = Env::new(backend);
    env.add_unit(
        "pgd-muongcha",
        "Phòng GD&ĐT huyện Mường Chà",
        "pgddt.muongcha@dienbien.edu.vn",
    )
    .ok();
    env.add_unit(
        "pgd-tuangiao",
        "Phòng GD&ĐT huyện Tuần Giáo",
        "pgd.tuangiao@dienbien.edu.vn",
    )
    .ok();
    env.add_unit(
        "thpt-dbp",
        "Trường THPT thành phố Điện Biên Phủ",
        "c3.tpdbp@dienbien.edu.vn",
    )
    .ok();
    env.add_request(
        "4189/KH-BCĐ",
        "Báo cáo kết quả thực hiện Kế hoạch phòng, chống ma túy",
        "17:00 ngày 29/12/2023",
        &["--unit", "pgd-muongcha", "--unit", "pgd-tuangiao", "--unit", "thpt-dbp"],
    )
    .ok();
    env.baocao(&["request", "activate", "BC-1", "--at", "08:00 ngày 18/12/2023"])
        .ok();
    env
}

fn message(from: &str, subject: &str, id: &str, text: &str, attachment: bool) -> String {
    let mut m = format!(
        "From: {from}\nTo: vanphong.sodienbien@moet.edu.vn\nSubject: {subject}\nMessage-ID: <{id}>\n\
         Date: Wed, 20 Dec 2023 09:00:00 +0700\nMIME-Version: 1.0\n"
    );
    if attachment {
        m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n{text}\n\
             --b1\nContent-Type: application/pdf; name=\"bao-cao.pdf\"\nContent-Disposition: attachment; \
             filename=\"bao-cao.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQKJcOkw7zDtsOf\n--b1--\n"
        ));
    } else {
        m.push_str(&format!("Content-Type: text/plain; charset=utf-8\n\n{text}\n"));
    }
    m
}

fn imported_messages_are_counted_once_and_review_decides_the_rest(backend: Backend) {
    let env = setup(backend);
    let report = message(
        "\"Phòng GD&ĐT Mường Chà\" <PGDDT.MuongCha@dienbien.edu.vn>",
        "TL: Báo cáo theo KH 4189/kh-bcd",
        "r1@dienbien.edu.vn",
        "Kính gửi Sở, Phòng gửi báo cáo.",
        true,
    );
    let first = env.import_at("r1.eml", &report, "20/12/2023 09:00");
    assert_eq!(first["state"], "counted", "{first}");
    assert_eq!(first["reason"], "report");
    assert_eq!(first["unit"], "pgd-muongcha");
    assert_eq!(first["request"], "4189/KH-BCĐ");
    assert_eq!(first["late"], false);
    assert_eq!(first["attachments"][0]["name"], "bao-cao.pdf");
    // The same message again (forwarded twice, imported twice) is not counted again.
    let again = env.import_at("r1-again.eml", &report, "20/12/2023 09:05");
    assert_eq!(
        (again["state"].as_str(), again["reason"].as_str()),
        (Some("ignored"), Some("duplicate"))
    );
    let status = env.unit_status("BC-1", "pgd-muongcha");
    assert_eq!(status["state"], "reported", "{status}");
    assert_eq!(status["attachments"], serde_json::json!(["bao-cao.pdf"]));

    // A personal address: review, then assigned with the address remembered.
    let personal = message(
        "Nguyễn Văn An <nguyenvanan.tg@gmail.com>",
        "Báo cáo 4189/KH-BCĐ của Phòng GD&ĐT Tuần Giáo",
        "p1@mail.gmail.com",
        "Em gửi báo cáo ạ.",
        true,
    );
    let outcome = env.import_at("p1.eml", &personal, "30/12/2023 08:00");
    assert_eq!(
        (outcome["state"].as_str(), outcome["reason"].as_str()),
        (Some("review"), Some("unknown_sender"))
    );
    assert_eq!(
        outcome["candidates"][0], "BC-1 (4189/KH-BCĐ)",
        "the code in the subject names the request"
    );
    let items = env.baocao(&["review", "list", "--json"]).ok().json();
    assert_eq!(items.as_array().map(Vec::len), Some(1), "{items}");
    let id = items[0]["id"].as_i64().unwrap().to_string();
    let listed = env.baocao(&["review", "list"]).ok().stdout;
    assert!(
        listed.contains("người gửi chưa đăng ký") && listed.contains("nguyenvanan.tg@gmail.com"),
        "{listed}"
    );
    let assigned = env
        .baocao(&[
            "review",
            "assign",
            &id,
            "--unit",
            "pgd-tuangiao",
            "--request",
            "BC-1",
            "--remember-address",
        ])
        .ok()
        .stdout;
    assert!(
        assigned.contains("trễ hạn"),
        "received 30/12 after the 29/12 deadline: {assigned}"
    );
    assert_eq!(env.unit_status("BC-1", "pgd-tuangiao")["state"], "reported_late");
    // Deciding twice is refused.
    let twice = env.baocao(&["review", "reject", &id, "--reason", "nhầm"]);
    assert_eq!(twice.code, 1, "{twice:?}");
    // The remembered address now identifies the unit directly.
    let unit = env.baocao(&["unit", "show", "pgd-tuangiao", "--json"]).ok().json();
    assert!(unit.to_string().contains("nguyenvanan.tg@gmail.com"), "{unit}");
    let next = message(
        "Nguyễn Văn An <nguyenvanan.tg@gmail.com>",
        "Báo cáo bổ sung",
        "p2@mail.gmail.com",
        "Gửi bổ sung phụ lục.",
        true,
    );
    let next = env.import_at("p2.eml", &next, "30/12/2023 09:00");
    assert_eq!(
        (next["unit"].as_str(), next["reason"].as_str()),
        (Some("pgd-tuangiao"), Some("resubmission"))
    );

    // An unrelated stranger: rejected, nothing counted.
    let stranger = message(
        "quangcao@example.com",
        "Khuyến mãi",
        "s1@example.com",
        "Mua ngay",
        false,
    );
    env.import_at("s1.eml", &stranger, "21/12/2023 10:00");
    let items = env.baocao(&["review", "list", "--json"]).ok().json();
    let id = items[0]["id"].as_i64().unwrap().to_string();
    env.baocao(&["review", "reject", &id, "--reason", "thư quảng cáo"]).ok();
    let open = env.baocao(&["review", "list", "--json"]).ok().json();
    assert_eq!(open, serde_json::json!([]));
    let all = env.baocao(&["review", "list", "--all", "--json"]).ok().json();
    assert_eq!(all.as_array().map(Vec::len), Some(2));
}

fn a_later_deadline_granted_from_review_replans_the_unit_reminders(backend: Backend) {
    let env = setup(backend);
    let ask = message(
        "c3.tpdbp@dienbien.edu.vn",
        "RE: [BC-1] Nhắc báo cáo",
        "x1@dienbien.edu.vn",
        "Nhà trường xin gia hạn nộp báo cáo đến ngày 10/01/2024 do đang tổng hợp số liệu.",
        false,
    );
    let outcome = env.import_at("x1.eml", &ask, "26/12/2023 10:00");
    // The request wants an attachment: a reply without one waits for a person.
    assert_eq!(outcome["state"], "review", "{outcome}");
    assert_eq!(outcome["unit"], "thpt-dbp");
    let items = env.baocao(&["review", "list", "--json"]).ok().json();
    let id = items[0]["id"].as_i64().unwrap().to_string();
    let refused = env.baocao(&["review", "extend", &id, "--until", "20/12/2023 17:00"]);
    assert_eq!(refused.code, 1, "an earlier deadline is not an extension: {refused:?}");
    env.baocao(&[
        "review",
        "extend",
        &id,
        "--until",
        "17:00 ngày 10/01/2024",
        "--at",
        "26/12/2023 10:05",
    ])
    .ok();
    let plan = env.reminder_plan("BC-1", "26/12/2023 10:00");
    let overdue_of = |unit: &str| -> Vec<String> {
        plan.as_array()
            .unwrap()
            .iter()
            .filter(|l| l["unit"] == unit && l["kind"] == "overdue")
            .map(|l| l["due_local"].as_str().unwrap().to_string())
            .collect()
    };
    // Overdue notices now follow 10/01/2024 (the first: the first working morning after,
    // Thursday 11/01); the other units keep the deadline Friday 29/12/2023 (the first
    // working morning after it is Tuesday 02/01/2024, New Year's Day being off).
    assert_eq!(
        overdue_of("thpt-dbp").first().map(String::as_str),
        Some("11/01/2024 lúc 07:30"),
        "{plan}"
    );
    assert_eq!(
        overdue_of("pgd-muongcha").first().map(String::as_str),
        Some("02/01/2024 lúc 07:30")
    );
    let status = env.unit_status("BC-1", "thpt-dbp");
    assert_eq!(status["deadline"], "2024-01-10T10:00:00Z", "{status}");
}

fn a_units_earlier_review_items_leave_the_queue_once_it_is_counted(backend: Backend) {
    let env = setup(backend);
    let open = |env: &Env| -> Vec<serde_json::Value> {
        env.baocao(&["review", "list", "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .clone()
    };
    // Two replies without the required attachment wait in review…
    for (n, at) in [(1, "09:00 ngày 20/12/2023"), (2, "10:00 ngày 20/12/2023")] {
        let first = message(
            "pgddt.muongcha@dienbien.edu.vn",
            "Báo cáo [BC-1]",
            &format!("muongcha-no-file-{n}@dienbien.edu.vn"),
            "Kính gửi Sở, Phòng gửi báo cáo.",
            false,
        );
        let outcome = env.import_at(&format!("no-file-{n}.eml"), &first, at);
        assert_eq!(outcome["reason"], "missing_attachment", "{outcome:#}");
    }
    // …and one from another unit, which stays.
    let other = message(
        "pgd.tuangiao@dienbien.edu.vn",
        "Báo cáo [BC-1]",
        "tuangiao-no-file@dienbien.edu.vn",
        "Kính gửi Sở, Phòng gửi báo cáo.",
        false,
    );
    env.import_at("other.eml", &other, "10:30 ngày 20/12/2023");
    assert_eq!(open(&env).len(), 3);

    // The report with its file arrives: the unit's earlier items are resolved on their own.
    let report = message(
        "pgddt.muongcha@dienbien.edu.vn",
        "Báo cáo [BC-1]",
        "muongcha-with-file@dienbien.edu.vn",
        "Kính gửi Sở, Phòng gửi báo cáo kèm tệp.",
        true,
    );
    assert_eq!(
        env.import_at("with-file.eml", &report, "11:00 ngày 20/12/2023")["state"],
        "counted"
    );
    let left = open(&env);
    assert_eq!(left.len(), 1, "{left:#?}");
    assert_eq!(left[0]["from_address"], "pgd.tuangiao@dienbien.edu.vn", "{left:#?}");
    let all = env.baocao(&["review", "list", "--all"]).ok().stdout;
    assert_eq!(all.matches("đã có báo cáo sau").count(), 2, "{all}");

    // A report marked by hand does the same for the other unit.
    env.baocao(&["mark", "BC-1", "pgd-tuangiao", "--note", "nhận bản giấy"])
        .ok();
    assert!(open(&env).is_empty(), "{:#?}", open(&env));
}
