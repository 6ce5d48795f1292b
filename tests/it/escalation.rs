//! Escalation (chuyển cấp trên) through the mail lab, on both databases: after the configured
//! working days overdue, the next overdue notice to a unit also goes, in copy, to its parent
//! unit; the plan says which notice before it goes; a series gives its own setting to each
//! period it makes.

use crate::harness::Backend;
use crate::harness::mail_env::{MailEnv, mail_env, send_at};
use crate::harness::service::ALWAYS_OPEN;
use crate::on_both_backends;

on_both_backends!(
    the_overdue_notice_past_the_threshold_is_copied_to_the_parent_unit,
    a_request_of_its_own_overrides_the_configuration,
    the_head_is_copied_and_gets_no_ordinary_letters,
    bad_escalation_settings_are_refused,
    a_separate_letter_asks_those_above_to_see_to_it,
);

/// Mường Chà's district office under its People's Committee, both at lab addresses, and
/// BC-1 for the office alone, due Friday 15/03/2030 17:00, overdue notices 1 and 3 working
/// days late.
fn office(backend: Backend, extra: &str) -> (MailEnv, String, String) {
    office_with(backend, extra, &[])
}

fn office_with(backend: Backend, extra: &str, more: &[&str]) -> (MailEnv, String, String) {
    let m = mail_env(backend, None, &format!("{ALWAYS_OPEN}\n{extra}"));
    let (unit, parent) = (m.lab.address("pgd-muongcha"), m.lab.address("ubnd-muongcha"));
    m.env.import_units([
        ["ubnd-muongcha", "UBND huyện Mường Chà", "ubnd", parent.as_str()],
        [
            "pgd-muongcha",
            "Phòng GD&ĐT huyện Mường Chà",
            "phong-gddt",
            unit.as_str(),
        ],
    ]);
    m.env
        .baocao(&["unit", "edit", "pgd-muongcha", "--parent", "ubnd-muongcha"])
        .ok();
    m.env
        .add_request(
            "12/KH-SGDĐT",
            "Báo cáo công tác tháng",
            "17h00 ngày 15/3/2030",
            &[
                &[
                    "--unit",
                    "pgd-muongcha",
                    "--no-attachment-required",
                    "--remind",
                    "",
                    "--overdue",
                    "1d,3d",
                ][..],
                more,
            ]
            .concat(),
        )
        .ok();
    m.env
        .baocao(&["request", "activate", "BC-1", "--at", "08:00 ngày 11/03/2030"])
        .ok();
    (m, unit, parent)
}

/// What `reminders plan` says of BC-1 on the day it is activated.
fn plan_text(m: &MailEnv) -> String {
    m.env
        .baocao(&[
            "reminders",
            "plan",
            "--request",
            "BC-1",
            "--at",
            "08:00 ngày 11/03/2030",
        ])
        .ok()
        .stdout
}

fn the_overdue_notice_past_the_threshold_is_copied_to_the_parent_unit(backend: Backend) {
    let (m, unit, parent) = office(backend, "[reminders]\nescalate-after = \"3\"\n");
    // The plan says which overdue notice is copied, and to whom.
    let plan = m
        .env
        .baocao(&[
            "reminders",
            "plan",
            "--request",
            "BC-1",
            "--json",
            "--at",
            "08:00 ngày 11/03/2030",
        ])
        .ok()
        .json();
    let notes: Vec<String> = plan
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("{} {}", l["offset_minutes"], l["note"].as_str().unwrap_or("")))
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("4320 ") && n.contains("chuyển cấp trên lần 1") && n.contains("ubnd-muongcha")),
        "{notes:?}"
    );
    assert!(
        !notes.iter().any(|n| n.starts_with("1440 ") && n.contains("cấp trên")),
        "{notes:?}"
    );

    send_at(&m, "08:00 ngày 11/03/2030");
    // One working day late (Monday 18/03): the unit alone.
    send_at(&m, "09:00 ngày 18/03/2030");
    assert!(m.lab.wait_for_inbox(&unit, 2, std::time::Duration::from_secs(20)));
    assert_eq!(m.lab.inbox_count(&parent), 0);
    // Three working days late (Wednesday 20/03): the unit, and its parent in copy.
    send_at(&m, "09:00 ngày 20/03/2030");
    assert!(m.lab.wait_for_inbox(&unit, 3, std::time::Duration::from_secs(20)));
    assert!(m.lab.wait_for_inbox(&parent, 1, std::time::Duration::from_secs(20)));
    let copy = &m.lab.messages(&parent)[0];
    let parsed = mail_parser::MessageParser::default().parse(copy).unwrap();
    let cc: Vec<String> = parsed
        .cc()
        .map(|a| a.iter().filter_map(|m| m.address().map(str::to_string)).collect())
        .unwrap_or_default();
    assert_eq!(cc, vec![parent.clone()]);
    assert_eq!(
        parsed.cc().and_then(|a| a.first()).and_then(|a| a.name()),
        Some("UBND huyện Mường Chà")
    );
    let to: Vec<String> = parsed
        .to()
        .map(|a| a.iter().filter_map(|m| m.address().map(str::to_string)).collect())
        .unwrap_or_default();
    assert_eq!(to, vec![unit.clone()]);
    let body = parsed.body_text(0).unwrap_or_default().to_string();
    assert!(
        body.contains("Thư này đồng gửi UBND huyện Mường Chà để chỉ đạo, đôn đốc"),
        "{body}"
    );
    assert_eq!(m.lab.inbox_count(&unit), 3, "the unit's copy went once");
    // The office's digest lists the escalation.
    let digest = m.env.baocao(&["digest", "--at", "10:00 ngày 20/03/2030"]).ok().stdout;
    assert!(digest.contains("Đã chuyển cấp trên"), "{digest}");
    assert!(
        digest.contains("[BC-1] Phòng GD&ĐT huyện Mường Chà — đồng gửi UBND huyện Mường Chà"),
        "{digest}"
    );
}

fn bad_escalation_settings_are_refused(backend: Backend) {
    let m = mail_env(
        backend,
        None,
        &format!("{ALWAYS_OPEN}\n[reminders]\nescalate-after = \"ba ngày\"\n"),
    );
    let run = m.env.baocao(&["check-config"]);
    assert_eq!(run.code, 78, "{}", run.stdout);
    assert!(run.stderr.contains("reminders.escalate-after"), "{}", run.stderr);
    assert!(run.stderr.contains("ví dụ \"3,7\""), "{}", run.stderr);
}

fn a_request_of_its_own_overrides_the_configuration(backend: Backend) {
    // The configuration escalates after 3 working days; this request after 1.
    let (m, unit, parent) = office_with(
        backend,
        "[reminders]\nescalate-after = \"3\"\n",
        &["--escalate-after", "1"],
    );
    let shown = m.env.baocao(&["request", "show", "BC-1"]).ok().stdout;
    assert!(shown.contains("sau 1 ngày làm việc quá hạn"), "{shown}");
    send_at(&m, "08:00 ngày 11/03/2030");
    send_at(&m, "09:00 ngày 18/03/2030");
    assert!(m.lab.wait_for_inbox(&unit, 2, std::time::Duration::from_secs(20)));
    assert!(m.lab.wait_for_inbox(&parent, 1, std::time::Duration::from_secs(20)));
    // The next overdue notice is not copied again.
    send_at(&m, "09:00 ngày 20/03/2030");
    assert!(m.lab.wait_for_inbox(&unit, 3, std::time::Duration::from_secs(20)));
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(m.lab.inbox_count(&parent), 1);
}

fn the_head_is_copied_and_gets_no_ordinary_letters(backend: Backend) {
    let (m, unit, parent) = office(
        backend,
        "[reminders]\nescalate-after = \"3\"\nescalate-to = \"cap-tren,thu-truong\"\n",
    );
    let head = m.lab.address("truongphong-muongcha");
    m.env
        .baocao(&["unit", "edit", "pgd-muongcha", "--email", &unit, "--email", &head])
        .ok();
    m.env
        .baocao(&["unit", "role", "pgd-muongcha", &head, "thủ trưởng"])
        .ok();
    let shown = m.env.baocao(&["unit", "show", "pgd-muongcha"]).ok().stdout;
    assert!(shown.contains(&format!("{head} (thủ trưởng)")), "{shown}");
    let refused = m.env.baocao(&["unit", "role", "pgd-muongcha", &head, "giam-doc"]);
    assert_eq!(refused.code, 1);
    refused.assert_stderr_contains("nhan-thu, thu-truong hoặc van-thu");
    let plan = plan_text(&m);
    assert!(plan.contains(&format!("thủ trưởng {head}")), "{plan}");
    send_at(&m, "08:00 ngày 11/03/2030");
    send_at(&m, "09:00 ngày 18/03/2030");
    assert!(m.lab.wait_for_inbox(&unit, 2, std::time::Duration::from_secs(20)));
    assert_eq!(m.lab.inbox_count(&head), 0, "the head gets no ordinary letter");
    send_at(&m, "09:00 ngày 20/03/2030");
    assert!(m.lab.wait_for_inbox(&head, 1, std::time::Duration::from_secs(20)));
    assert!(m.lab.wait_for_inbox(&parent, 1, std::time::Duration::from_secs(20)));
    let copy = mail_parser::MessageParser::default()
        .parse(&m.lab.messages(&head)[0])
        .unwrap()
        .into_owned();
    let cc: Vec<String> = copy
        .cc()
        .map(|a| a.iter().filter_map(|m| m.address().map(str::to_string)).collect())
        .unwrap_or_default();
    assert_eq!(cc, vec![parent.clone(), head.clone()]);
}

fn a_separate_letter_asks_those_above_to_see_to_it(backend: Backend) {
    // The configuration copies after 3 working days; `request edit` makes this request send
    // letters of their own instead, to the parent and to the head.
    let (m, unit, parent) = office(backend, "[reminders]\nescalate-after = \"3\"\n");
    let head = m.lab.address("truongphong-muongcha");
    m.env
        .baocao(&["unit", "edit", "pgd-muongcha", "--email", &unit, "--email", &head])
        .ok();
    m.env
        .baocao(&["unit", "role", "pgd-muongcha", &head, "thu-truong"])
        .ok();
    let edited = m
        .env
        .baocao(&[
            "request",
            "edit",
            "BC-1",
            "--escalate-after",
            "3",
            "--escalate-to",
            "cap-tren,thu-truong",
            "--escalate-via",
            "thư riêng",
        ])
        .ok()
        .stdout;
    assert!(
        edited.contains(
            "chuyển cấp trên: theo cấu hình chung → sau 3 ngày làm việc quá hạn, cùng thư quá hạn kế tiếp gửi thư riêng"
        ),
        "{edited}"
    );
    let refused = m.env.baocao(&[
        "request",
        "edit",
        "BC-1",
        "--escalate-after",
        "3",
        "--escalate-via",
        "fax",
    ]);
    assert_eq!(refused.code, 1);
    refused.assert_stderr_contains("thu-rieng");
    let plan = plan_text(&m);
    assert!(
        plan.contains("gửi thư riêng đề nghị đôn đốc tới đơn vị cấp trên `ubnd-muongcha`"),
        "{plan}"
    );

    send_at(&m, "08:00 ngày 11/03/2030");
    send_at(&m, "09:00 ngày 18/03/2030");
    assert!(m.lab.wait_for_inbox(&unit, 2, std::time::Duration::from_secs(20)));
    send_at(&m, "09:00 ngày 20/03/2030");
    assert!(m.lab.wait_for_inbox(&unit, 3, std::time::Duration::from_secs(20)));
    assert!(m.lab.wait_for_inbox(&parent, 1, std::time::Duration::from_secs(20)));
    assert!(m.lab.wait_for_inbox(&head, 1, std::time::Duration::from_secs(20)));
    let parse = |raw: &[u8]| mail_parser::MessageParser::default().parse(raw).unwrap().into_owned();
    let addresses = |list: Option<&mail_parser::Address>| -> Vec<String> {
        list.map(|a| a.iter().filter_map(|m| m.address().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    // The unit's overdue notice has no copy, and says who was asked.
    // The maildir does not keep the order of arrival: the notice three working days late.
    let notice = m
        .lab
        .messages(&unit)
        .iter()
        .map(|raw| parse(raw))
        .find(|n| {
            n.body_text(0)
                .is_some_and(|b| b.contains("quá hạn báo cáo 3 ngày làm việc"))
        })
        .expect("the overdue notice three working days late");
    assert!(addresses(notice.cc()).is_empty());
    let body = notice.body_text(0).unwrap_or_default().to_string();
    assert!(
        body.contains(
            "đồng thời đề nghị UBND huyện Mường Chà, Thủ trưởng Phòng GD&ĐT huyện Mường Chà chỉ đạo, đôn đốc"
        ),
        "{body}"
    );
    // The parent's letter is addressed to it, about the unit, in the register of a công văn.
    let letter = parse(&m.lab.messages(&parent)[0]);
    assert_eq!(addresses(letter.to()), vec![parent.clone()]);
    assert!(addresses(letter.cc()).is_empty());
    let subject = letter.subject().unwrap_or_default();
    assert!(
        subject.starts_with("[BC-1] Đề nghị đôn đốc Phòng GD&ĐT huyện Mường Chà báo cáo theo văn bản số 12/KH-SGDĐT"),
        "{subject}"
    );
    let body = letter.body_text(0).unwrap_or_default().to_string();
    assert_eq!(body.lines().next(), Some("Kính gửi: UBND huyện Mường Chà"), "{body}");
    assert!(
        body.contains(
            "Đề nghị UBND huyện Mường Chà chỉ đạo, đôn đốc Phòng GD&ĐT huyện Mường Chà khẩn trương gửi báo cáo"
        ),
        "{body}"
    );
    assert!(body.contains("quá hạn 3 ngày làm việc"), "{body}");
    assert!(body.lines().any(|l| l == "Trân trọng./."), "{body}");
    let to_head = parse(&m.lab.messages(&head)[0]);
    let body = to_head.body_text(0).unwrap_or_default().to_string();
    assert_eq!(
        body.lines().next(),
        Some("Kính gửi: Thủ trưởng Phòng GD&ĐT huyện Mường Chà"),
        "{body}"
    );
    // The digest says how those above were told.
    let digest = m.env.baocao(&["digest", "--at", "10:00 ngày 20/03/2030"]).ok().stdout;
    assert!(
        digest.contains("[BC-1] Phòng GD&ĐT huyện Mường Chà — gửi thư riêng đề nghị đôn đốc tới UBND huyện Mường Chà"),
        "{digest}"
    );
    // Back to the configuration's setting: copies again, for later notices.
    let back = m
        .env
        .baocao(&["request", "edit", "BC-1", "--escalate-default"])
        .ok()
        .stdout;
    assert!(back.contains("→ theo cấu hình chung"), "{back}");
    let shown = m.env.baocao(&["request", "show", "BC-1"]).ok().stdout;
    assert!(!shown.contains("  Cấp trên:"), "{shown}");
    assert!(
        shown.contains("→ theo cấu hình chung"),
        "the history keeps the change: {shown}"
    );
}
