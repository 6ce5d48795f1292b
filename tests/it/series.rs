//! `baocao series …`: periodic reports on both databases. A series makes each period's
//! request once, `lead-days` before its deadline, whatever runs twice; after a stop, the
//! missed periods are made once each and only the newest is chased.

use std::time::Duration;

use crate::harness::mail_env::{DISTRICT_OFFICES, lab_units, mail_env, text_reply};
use crate::harness::service::{ALWAYS_OPEN, Service, wait_until};
use crate::harness::{Backend, Env};
use crate::on_both_backends;

on_both_backends!(
    a_monthly_series_makes_each_period_once_when_its_time_comes,
    periods_missed_while_stopped_are_made_once_and_only_the_newest_is_chased,
    two_runs_at_once_make_each_period_once,
    a_paused_series_makes_nothing_and_resumes_at_the_next_open_period,
    bad_series_input_is_refused_with_a_reason,
    replies_count_for_the_period_they_name,
    a_monthly_and_a_quarterly_series_run_for_a_year,
    an_edited_series_makes_its_next_periods_the_new_way_with_its_files,
    a_year_through_the_mail_lab_escalates_the_silent_unit_once_a_period,
);

fn monthly(env: &Env, more: &[&str]) -> crate::harness::Run {
    env.seed_000_units();
    let mut args = vec![
        "series",
        "add",
        "bc-thang",
        "--doc",
        "12/KH-SGDĐT",
        "--title",
        "Báo cáo công tác giáo dục",
        "--period",
        "thang",
        "--deadline",
        "ngày 5 tháng sau kỳ",
        "--group",
        "phong-gddt",
        "--no-attachment-required",
    ];
    args.extend_from_slice(more);
    env.baocao(&args)
}

fn make_due(env: &Env, at: &str) -> String {
    env.baocao(&["series", "make-due", "--at", at]).ok().stdout
}

fn instances(env: &Env) -> Vec<serde_json::Value> {
    let shown = env.baocao(&["series", "show", "bc-thang", "--json"]).ok().json();
    shown["instances"].as_array().cloned().unwrap_or_default()
}

fn a_monthly_series_makes_each_period_once_when_its_time_comes(backend: Backend) {
    let env = Env::new(backend);
    let added = monthly(&env, &["--from", "T11/2026", "--at", "08:00 ngày 20/10/2026"]).ok();
    added.assert_stdout_contains("đã tạo chuỗi báo cáo bc-thang (hằng tháng)");
    // 05/12/2026 is a Saturday: the Civil Code moves a time limit to the next working day.
    added.assert_stdout_contains("Tháng 11/2026");
    added.assert_stdout_contains("hạn 07/12/2026 lúc 23:59");
    added.assert_stdout_contains("Điều 148");

    let plan = env
        .baocao(&["series", "plan", "bc-thang", "--year", "2027"])
        .ok()
        .stdout;
    // The periods of 2027: January (due 05/02/2027) to December (05/01/2028); November's
    // falls on Sunday 05/12/2027 and moves to Monday.
    assert_eq!(plan.matches("  Tháng ").count(), 12, "{plan}");
    assert!(!plan.contains("Tháng 12/2026"), "{plan}");
    assert!(plan.contains("hạn 05/01/2028 lúc 23:59"), "{plan}");
    assert!(plan.contains("hạn 06/12/2027 lúc 23:59"), "{plan}");
    assert!(plan.contains("số liệu 15/10/2027–14/11/2027"), "{plan}");
    let json = env
        .baocao(&["series", "plan", "bc-thang", "--year", "2027", "--json"])
        .ok()
        .json();
    assert_eq!(json.as_array().unwrap().len(), 12);
    assert_eq!(json[0]["key"], "2027-01");

    // Created 15 days before 07/12/2026 23:59: not yet on 22/11 morning, then once.
    assert!(make_due(&env, "08:00 ngày 22/11/2026").contains("chưa có kỳ báo cáo nào"));
    assert!(instances(&env).is_empty());
    let first = make_due(&env, "08:00 ngày 23/11/2026");
    assert!(
        first.contains("đã tạo BC-1 — bc-thang kỳ Tháng 11/2026: hạn 07/12/2026 lúc 23:59"),
        "{first}"
    );
    assert!(make_due(&env, "09:00 ngày 23/11/2026").contains("chưa có kỳ báo cáo nào"));
    assert_eq!(instances(&env).len(), 1);

    // The instance is an ordinary active request for the series' units, its title naming the period.
    let request = env.baocao(&["request", "show", "BC-1", "--json"]).ok().json();
    assert_eq!(request["state"], "active");
    assert_eq!(request["title"], "Báo cáo công tác giáo dục tháng 11/2026");
    assert_eq!(request["code"], "12/KH-SGDĐT");
    assert_eq!(request["deadline_wording"], "chậm nhất ngày 07/12/2026");
    assert_eq!(request["units"].as_array().unwrap().len(), 10, "{request}");
    let plan = env
        .baocao(&[
            "reminders",
            "plan",
            "--request",
            "BC-1",
            "--json",
            "--at",
            "08:00 ngày 23/11/2026",
        ])
        .ok()
        .json();
    assert!(
        !plan.as_array().unwrap().is_empty(),
        "its reminders are planned: {plan}"
    );
    let status = env.baocao(&["status", "BC-1"]).ok().stdout;
    assert!(status.contains("tháng 11/2026"), "{status}");
}

fn periods_missed_while_stopped_are_made_once_and_only_the_newest_is_chased(backend: Backend) {
    let env = Env::new(backend);
    monthly(&env, &["--from", "T11/2026", "--at", "08:00 ngày 20/10/2026"]).ok();
    // Nothing ran from October to late February: November, December, January and February are due.
    let made = make_due(&env, "08:00 ngày 22/02/2027");
    for label in ["Tháng 11/2026", "Tháng 12/2026", "Tháng 1/2027", "Tháng 2/2027"] {
        assert_eq!(made.matches(&format!("kỳ {label}:")).count(), 1, "{label}: {made}");
    }
    assert_eq!(made.matches("không gửi thư").count(), 3, "{made}");
    let listed = instances(&env);
    let keys: Vec<&str> = listed.iter().map(|i| i["period_key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["2026-11", "2026-12", "2027-01", "2027-02"]);
    // The missed periods plan no mail; the newest is chased as usual.
    let at = ["--json", "--at", "08:00 ngày 22/02/2027"];
    for quiet in ["BC-1", "BC-2", "BC-3"] {
        let mut args = vec!["reminders", "plan", "--request", quiet];
        args.extend_from_slice(&at);
        let plan = env.baocao(&args).ok().json();
        assert!(plan.as_array().unwrap().is_empty(), "{quiet}: {plan}");
    }
    let mut args = vec!["reminders", "plan", "--request", "BC-4"];
    args.extend_from_slice(&at);
    assert!(!env.baocao(&args).ok().json().as_array().unwrap().is_empty());
    // The status still lists who has not reported.
    let status = env.baocao(&["status", "BC-1"]).ok().stdout;
    assert!(status.contains("pgd-"), "{status}");
    assert!(make_due(&env, "09:00 ngày 22/02/2027").contains("chưa có kỳ báo cáo nào"));
}

fn two_runs_at_once_make_each_period_once(backend: Backend) {
    let env = Env::new(backend);
    monthly(&env, &["--from", "T11/2026", "--at", "08:00 ngày 20/10/2026"]).ok();
    let runs: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(|| {
                    env.baocao(&["series", "make-due", "--at", "08:00 ngày 22/02/2027"])
                        .ok()
                        .stdout
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let made: usize = runs.iter().map(|r| r.matches("đã tạo BC-").count()).sum();
    assert_eq!(made, 4, "{runs:?}");
    assert_eq!(instances(&env).len(), 4);
}

fn a_paused_series_makes_nothing_and_resumes_at_the_next_open_period(backend: Backend) {
    let env = Env::new(backend);
    monthly(&env, &["--from", "T11/2026", "--at", "08:00 ngày 20/10/2026"]).ok();
    make_due(&env, "08:00 ngày 23/11/2026");
    env.baocao(&["series", "pause", "bc-thang"])
        .ok()
        .assert_stdout_contains("đã tạm dừng chuỗi bc-thang");
    assert!(make_due(&env, "08:00 ngày 01/03/2027").contains("chưa có kỳ báo cáo nào"));
    let resumed = env
        .baocao(&["series", "resume", "bc-thang", "--at", "08:00 ngày 01/03/2027"])
        .ok();
    // February's report is due 05/03/2027, still open: the series starts again there.
    resumed.assert_stdout_contains("kỳ tiếp theo được tạo: Tháng 2/2027");
    let made = make_due(&env, "08:00 ngày 01/03/2027");
    assert!(made.contains("kỳ Tháng 2/2027"), "{made}");
    assert!(!made.contains("không gửi thư"), "{made}");
    let keys: Vec<String> = instances(&env)
        .iter()
        .map(|i| i["period_key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys, ["2026-11", "2027-02"]);
    env.baocao(&["series", "close", "bc-thang"]).ok();
    assert!(make_due(&env, "08:00 ngày 01/06/2027").contains("chưa có kỳ báo cáo nào"));
    let refused = env.baocao(&["series", "resume", "bc-thang"]);
    assert_eq!(refused.code, 1);
    refused.assert_stderr_contains("đã kết thúc");
}

fn bad_series_input_is_refused_with_a_reason(backend: Backend) {
    let env = Env::new(backend);
    let cases: [(&[&str], &str); 6] = [
        (&["--period", "tuan"], "không hiểu kỳ báo cáo `tuan`"),
        (&["--deadline", "hằng tháng"], "không hiểu quy tắc hạn"),
        (&["--from", "Q5/2027"], "--from `Q5/2027`"),
        (&["--group", "khong-co"], "khong-co"),
        (&["--on-day-off", "bat-ky"], "--on-day-off"),
        (&["--cut-off", "40"], "--cut-off"),
    ];
    env.seed_000_units();
    for (change, expected) in cases {
        let mut args: Vec<&str> = vec![
            "series",
            "add",
            "bc-x",
            "--doc",
            "12/KH-SGDĐT",
            "--title",
            "Báo cáo",
            "--period",
            "quy",
            "--deadline",
            "ngày 15 tháng cuối kỳ",
            "--group",
            "phong-gddt",
        ];
        // A later flag replaces an earlier one only for single values; swap in place.
        let flag = change[0];
        if let Some(at) = args.iter().position(|a| *a == flag) {
            args[at + 1] = change[1];
        } else {
            args.extend_from_slice(change);
        }
        let run = env.baocao(&args);
        assert_eq!(run.code, 1, "{change:?}: {}", run.stdout);
        run.assert_stderr_contains(expected);
    }
    assert!(env.baocao(&["series", "list"]).ok().stdout.contains("chưa có chuỗi"));
    monthly(&env, &[]).ok();
    let again = monthly(&env, &[]);
    assert_eq!(again.code, 1);
    again.assert_stderr_contains("đã có chuỗi báo cáo `bc-thang`");
}

/// A report from Điện Biên Phủ's office with these attachment names.
fn report_mail(id: &str, subject: &str, files: &[&str]) -> String {
    let mut mail = format!(
        "From: pgddt.tpdienbienphu@dienbien.edu.vn\r\nTo: vanphong.sodienbien@moet.edu.vn\r\n\
         Subject: {subject}\r\nMessage-ID: <{id}@dienbien.edu.vn>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Phòng GD&ĐT thành phố gửi báo cáo.\r\n"
    );
    for name in files {
        mail.push_str(&format!(
            "--b\r\nContent-Type: application/vnd.ms-excel; name=\"{name}\"\r\n\
             Content-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
             {}\r\n",
            ["UEsDBBQ", id, name].concat().replace(['.', '_', '-'], "")
        ));
    }
    mail.push_str("--b--\r\n");
    mail
}

fn import(env: &Env, name: &str, mail: &str, at: &str) -> serde_json::Value {
    let file = env.write(name, mail);
    let run = env
        .baocao(&[
            "intake",
            "import",
            "--received-at",
            at,
            "--json",
            file.to_str().unwrap(),
        ])
        .ok();
    run.json()[0].clone()
}

fn replies_count_for_the_period_they_name(backend: Backend) {
    let env = Env::new(backend);
    monthly(&env, &["--from", "T10/2026", "--at", "08:00 ngày 01/10/2026"]).ok();
    // October (due 05/11/2026) and November (due 07/12/2026) are open.
    make_due(&env, "08:00 ngày 23/11/2026");
    let keys: Vec<String> = instances(&env)
        .iter()
        .map(|i| i["period_key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys, ["2026-10", "2026-11"]);

    // November's report in a file named for it, the subject naming no period.
    let one = import(
        &env,
        "a.eml",
        &report_mail("a", "Báo cáo", &["BC_T11_2026.xlsx"]),
        "09:00 ngày 25/11/2026",
    );
    assert_eq!(one["state"], "counted", "{one:#}");
    assert_eq!(one["rule"], "named_period", "{one:#}");
    assert_eq!(
        (one["token"].as_str(), one["period"].as_str()),
        (Some("BC-2"), Some("Tháng 11/2026")),
        "{one:#}"
    );
    // Nothing named: the oldest period not reported yet (October, late).
    let two = import(
        &env,
        "b.eml",
        &report_mail("b", "Gửi báo cáo", &["baocao.xlsx"]),
        "09:00 ngày 26/11/2026",
    );
    assert_eq!(
        (two["rule"].as_str(), two["token"].as_str()),
        (Some("oldest_open_period"), Some("BC-1")),
        "{two:#}"
    );
    assert_eq!(two["late"], true, "{two:#}");
    // The subject says October, the file November: a person decides.
    let three = import(
        &env,
        "c.eml",
        &report_mail("c", "Báo cáo tháng 10", &["T11.xlsx"]),
        "09:00 ngày 26/11/2026",
    );
    assert_eq!(
        (three["state"].as_str(), three["rule"].as_str()),
        (Some("review"), Some("period_conflict")),
        "{three:#}"
    );

    // One message, one file per period: counted for both (a resubmission of each here).
    let four = import(
        &env,
        "d.eml",
        &report_mail("d", "Báo cáo bổ sung", &["BC_T10.xlsx", "BC_T11.xlsx"]),
        "09:00 ngày 27/11/2026",
    );
    assert_eq!(four["state"], "counted", "{four:#}");
    assert_eq!(
        (four["token"].as_str(), four["also"][0].as_str()),
        (Some("BC-1"), Some("BC-2")),
        "{four:#}"
    );
    assert_eq!(four["reason"], "resubmission", "{four:#}");
    for (token, first) in [("BC-1", &two), ("BC-2", &one)] {
        let status = env.baocao(&["status", token, "--json"]).ok().json();
        let unit = status["requests"][0]["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit"] == "pgd-tp-dienbienphu")
            .cloned()
            .unwrap();
        assert_ne!(unit["state"], "pending", "{token}: {unit:#}");
        // The first on-time (or first) submission decides the status, not the later one.
        assert_eq!(unit["incoming_id"], first["incoming_id"], "{token}: {unit:#}");
    }
    // Another unit's first report, for both periods in one message: both are counted.
    let both = report_mail("f", "Báo cáo", &["T10.xlsx", "T11.xlsx"]).replace("pgddt.tpdienbienphu", "pgddt.muonglay");
    let six = import(&env, "f.eml", &both, "09:00 ngày 28/11/2026");
    assert_eq!(
        (six["reason"].as_str(), six["also"][0].as_str()),
        (Some("report"), Some("BC-2")),
        "{six:#}"
    );
    for token in ["BC-1", "BC-2"] {
        let status = env.baocao(&["status", token, "--json"]).ok().json();
        let unit = status["requests"][0]["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit"] == "pgd-tx-muonglay")
            .cloned()
            .unwrap();
        assert_eq!(unit["incoming_id"], six["incoming_id"], "{token}: {unit:#}");
    }
    let plan = env
        .baocao(&[
            "reminders",
            "plan",
            "--request",
            "BC-2",
            "--json",
            "--at",
            "09:00 ngày 28/11/2026",
        ])
        .ok()
        .stdout;
    assert!(
        !plan.contains("pgd-tx-muonglay"),
        "no more reminders for a unit that reported: {plan}"
    );
    // December has no request yet: the review queue says so.
    let five = import(
        &env,
        "e.eml",
        &report_mail("e", "Báo cáo tháng 12/2026", &["bc.xlsx"]),
        "09:00 ngày 03/12/2026",
    );
    assert_eq!(five["rule"], "no_such_period", "{five:#}");
    assert!(
        five["detail"]
            .as_str()
            .unwrap()
            .contains("chưa có yêu cầu báo cáo kỳ Tháng 12/2026"),
        "{five:#}"
    );

    // The matrix: one row per unit, one column per period (now is after both deadlines
    // only in a real clock's December; assert the reported cells, which do not move).
    let text = env.baocao(&["status", "--series", "bc-thang"]).ok().stdout;
    assert!(text.contains("T10/26 = Tháng 10/2026 (BC-1"), "{text}");
    let marks = |code: &str| -> Vec<String> {
        let line = text.lines().find(|l| l.starts_with(code)).unwrap_or_default();
        line.split_whitespace().skip(1).take(2).map(String::from).collect()
    };
    // Điện Biên Phủ: October late (its first report came after 05/11), November on time.
    assert_eq!(marks("pgd-tp-dienbienphu"), ["M", "Đ"], "{text}");
    assert_eq!(marks("pgd-tx-muonglay"), ["M", "Đ"], "{text}");
    let json = env
        .baocao(&[
            "status",
            "--series",
            "bc-thang",
            "--json",
            "--unit",
            "pgd-tp-dienbienphu",
        ])
        .ok()
        .json();
    assert_eq!(json["rows"].as_array().unwrap().len(), 1, "{json:#}");
    assert_eq!(json["rows"][0]["on_time"], 1);
    assert_eq!(json["rows"][0]["late"], 1);
    assert_eq!(json["columns"].as_array().unwrap().len(), 2);
    let year = env
        .baocao(&["status", "--series", "bc-thang", "--year", "2025"])
        .ok()
        .stdout;
    assert!(year.contains("chưa có kỳ nào trong năm 2025"), "{year}");
    let csv = env
        .baocao(&["export", "--series", "bc-thang", "--format", "csv", "-o", "-"])
        .ok()
        .stdout;
    assert!(csv.starts_with('\u{feff}'), "BOM for Excel");
    assert!(
        csv.contains("Mã đơn vị,Tên đơn vị,Tháng 10/2026,Tháng 11/2026,Đúng hạn,Muộn,Quá hạn"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 11, "a header and the 10 units: {csv}");
    let out = env.path("tong-hop.xlsx");
    env.baocao(&[
        "export",
        "--series",
        "bc-thang",
        "--format",
        "xlsx",
        "-o",
        out.to_str().unwrap(),
    ])
    .ok();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let sheet = book.worksheet_range("Tổng hợp định kỳ").unwrap();
    let cells: Vec<String> = sheet.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect();
    assert!(
        cells.iter().any(|c| c == "TỔNG HỢP TÌNH HÌNH BÁO CÁO ĐỊNH KỲ"),
        "{cells:?}"
    );
    assert!(cells.iter().any(|c| c.starts_with("Muộn")), "{cells:?}");
}

#[test]
fn the_running_service_makes_the_due_period_sends_its_notice_and_counts_the_reply() {
    let o = mail_env(Backend::Sqlite, None, ALWAYS_OPEN);
    let addresses = lab_units(&o.env, o.lab, &DISTRICT_OFFICES[..2]);
    // Quarterly, due the 5th of the month after the quarter, made 100 days ahead: on any
    // day of the year the open quarter is due (and sometimes the next one too).
    o.env
        .baocao(&[
            "series",
            "add",
            "bc-quy",
            "--doc",
            "45/KH-UBND",
            "--title",
            "Báo cáo công tác cải cách hành chính",
            "--period",
            "quy",
            "--deadline",
            "ngày 5 tháng sau kỳ",
            "--lead-days",
            "100",
            "--unit",
            "pgd-muongcha",
            "--unit",
            "pgd-tuangiao",
            "--no-attachment-required",
        ])
        .ok();
    let service = Service::start(&o.env, None);
    service.wait_ready();
    let made = || {
        let shown = o.env.baocao(&["series", "show", "bc-quy", "--json"]).ok().json();
        shown["instances"].as_array().cloned().unwrap_or_default()
    };
    wait_until(Duration::from_secs(20), "the service making the due quarter", || {
        !made().is_empty()
    });
    let instances = made();
    for address in &addresses {
        assert!(
            o.lab.wait_for_inbox(address, instances.len(), Duration::from_secs(20)),
            "no notice for {address}:\n{}",
            service.log_text()
        );
    }
    // Made once, however many passes the service makes.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(made().len(), instances.len());
    assert_eq!(o.lab.inbox_count(&addresses[0]), instances.len());
    let notice = mail_parser::MessageParser::default()
        .parse(&o.lab.messages(&addresses[0])[0])
        .unwrap()
        .into_owned();
    let subject = notice.subject().unwrap().to_string();
    // The notice names its quarter ("… quý IV/2026").
    let first = instances
        .iter()
        .find(|i| subject.contains(&i["period_label"].as_str().unwrap().replace("Quý", "quý")))
        .unwrap_or_else(|| panic!("{subject} names none of {instances:?}"));
    let reply = text_reply(
        &addresses[0],
        &o.mailbox,
        &format!("RE: {subject}"),
        "q@lab.test",
        notice.message_id(),
        "",
    );
    o.lab.submit(&addresses[0], &o.mailbox, &reply);
    let token = first["token"].as_str().unwrap().to_string();
    wait_until(Duration::from_secs(20), "the reply counted for its quarter", || {
        o.env.unit_status(&token, "pgd-muongcha")["state"] == "reported"
    });
}

/// A report from `address` received at `at`.
fn import_from(env: &Env, address: &str, id: &str, subject: &str, files: &[&str], at: &str) -> serde_json::Value {
    let mail = report_mail(id, subject, files).replace("pgddt.tpdienbienphu@dienbien.edu.vn", address);
    import(env, &format!("{id}.eml"), &mail, at)
}

fn a_monthly_and_a_quarterly_series_run_for_a_year(backend: Backend) {
    use chrono::{Duration as Days, NaiveDate};
    let env = Env::new(backend);
    monthly(&env, &["--from", "T1/2027", "--at", "08:00 ngày 01/12/2026"]).ok();
    env.baocao(&[
        "series",
        "add",
        "bc-quy",
        "--doc",
        "45/KH-UBND",
        "--title",
        "Báo cáo công tác cải cách hành chính",
        "--period",
        "quy",
        "--deadline",
        "trước 17h00 ngày 15 tháng cuối kỳ",
        "--group",
        "phong-gddt",
        "--from",
        "Quý I/2027",
        "--no-attachment-required",
        "--at",
        "08:00 ngày 01/12/2026",
    ])
    .ok();
    // Điện Biên Phủ reports every period two days before its deadline, naming it in the file;
    // Mường Lay three days after, naming it in the subject only; the others never.
    let (prompt, late) = ("pgddt.tpdienbienphu@dienbien.edu.vn", "pgddt.muonglay@dienbien.edu.vn");
    let mut day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let mut replied: std::collections::HashSet<String> = Default::default();
    let mut pending: Vec<(NaiveDate, String, String, String, Vec<String>)> = Vec::new();
    while day <= NaiveDate::from_ymd_opt(2028, 1, 19).unwrap() {
        let at = format!("08:00 ngày {}", day.format("%d/%m/%Y"));
        make_due(&env, &at);
        for code in ["bc-thang", "bc-quy"] {
            let shown = env.baocao(&["series", "show", code, "--json"]).ok().json();
            for instance in shown["instances"].as_array().unwrap() {
                let token = instance["token"].as_str().unwrap().to_string();
                if !replied.insert(token.clone()) {
                    continue;
                }
                let key = instance["period_key"].as_str().unwrap();
                let deadline = chrono::DateTime::parse_from_rfc3339(instance["deadline"].as_str().unwrap())
                    .unwrap()
                    .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
                    .date_naive();
                let (file, words) = if code == "bc-thang" {
                    let month = key[5..].parse::<u32>().unwrap();
                    (
                        format!("BC_T{month}_{}.xlsx", &key[..4]),
                        format!("Báo cáo tháng {month}"),
                    )
                } else {
                    let quarter = &key[6..];
                    (
                        format!("BC_Q{quarter}_{}.xlsx", &key[..4]),
                        format!("Báo cáo quý {quarter}"),
                    )
                };
                pending.push((
                    deadline - Days::days(2),
                    prompt.into(),
                    "Báo cáo".into(),
                    token.clone(),
                    vec![file],
                ));
                pending.push((
                    deadline + Days::days(3),
                    late.into(),
                    words,
                    token,
                    vec!["baocao.xlsx".into()],
                ));
            }
        }
        // The replies due by today arrive.
        pending.sort();
        while pending.first().is_some_and(|p| p.0 <= day) {
            let (on, from, subject, token, files) = pending.remove(0);
            let files: Vec<&str> = files.iter().map(String::as_str).collect();
            let id = format!("{token}-{}", from.split('@').next().unwrap());
            let at = format!("09:00 ngày {}", on.format("%d/%m/%Y"));
            let outcome = import_from(&env, &from, &id, &subject, &files, &at);
            assert_eq!(outcome["state"], "counted", "{outcome:#}");
            assert_eq!(outcome["token"], token.as_str(), "{outcome:#}");
            assert_eq!(outcome["late"], from == late, "{outcome:#}");
        }
        day += Days::days(7);
    }
    let keys = |code: &str| -> Vec<String> {
        let shown = env.baocao(&["series", "show", code, "--json"]).ok().json();
        shown["instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["period_key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        keys("bc-thang").len(),
        12,
        "January to December 2027: {:?}",
        keys("bc-thang")
    );
    assert_eq!(keys("bc-quy"), ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]);

    for (code, periods) in [("bc-thang", 12u64), ("bc-quy", 4)] {
        let json = env
            .baocao(&[
                "status",
                "--series",
                code,
                "--year",
                "2027",
                "--json",
                "--at",
                "08:00 ngày 20/01/2028",
            ])
            .ok()
            .json();
        assert_eq!(json["columns"].as_array().unwrap().len() as u64, periods);
        let row = |unit: &str| {
            json["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["unit"] == unit)
                .cloned()
                .unwrap()
        };
        let on_time = row("pgd-tp-dienbienphu");
        assert_eq!(
            (on_time["on_time"].as_u64(), on_time["late"].as_u64()),
            (Some(periods), Some(0)),
            "{code}: {on_time:#}"
        );
        let late_row = row("pgd-tx-muonglay");
        assert_eq!(late_row["late"].as_u64(), Some(periods), "{code}: {late_row:#}");
        let silent = row("pgd-dienbien");
        assert_eq!(silent["overdue"].as_u64(), Some(periods), "{code}: {silent:#}");
    }
    let unit = env
        .baocao(&[
            "status",
            "--series",
            "bc-quy",
            "--unit",
            "pgd-tx-muonglay",
            "--at",
            "08:00 ngày 20/01/2028",
        ])
        .ok()
        .stdout;
    let line = unit
        .lines()
        .find(|l| l.starts_with("pgd-tx-muonglay"))
        .unwrap_or_default();
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells, ["pgd-tx-muonglay", "M", "M", "M", "M", "0", "4", "0"], "{unit}");
}

fn an_edited_series_makes_its_next_periods_the_new_way_with_its_files(backend: Backend) {
    let env = Env::new(backend);
    let form = env.write("Mau bao cao thang.xlsx", b"PK form bytes");
    monthly(
        &env,
        &[
            "--from",
            "T11/2026",
            "--at",
            "08:00 ngày 20/10/2026",
            "--attach",
            form.to_str().unwrap(),
        ],
    )
    .ok();
    make_due(&env, "08:00 ngày 23/11/2026");
    let edited = env
        .baocao(&[
            "series",
            "edit",
            "bc-thang",
            "--deadline",
            "trước 17h00 ngày 10 tháng sau kỳ",
            "--remove-group",
            "phong-gddt",
            "--add-unit",
            "pgd-dienbien",
            "--title",
            "Báo cáo công tác giáo dục và đào tạo",
        ])
        .ok();
    edited.assert_stdout_contains("đã sửa chuỗi bc-thang");
    let escalated = env
        .baocao(&[
            "series",
            "edit",
            "bc-thang",
            "--escalate-after",
            "2",
            "--escalate-to",
            "thu-truong",
        ])
        .ok();
    escalated.assert_stdout_contains("chuyển cấp trên: sau 2 ngày làm việc quá hạn");
    let shown = env.baocao(&["series", "show", "bc-thang"]).ok().stdout;
    assert!(
        shown.contains("Cấp trên:     sau 2 ngày làm việc quá hạn, thư quá hạn kế tiếp đồng gửi thủ trưởng đơn vị"),
        "{shown}"
    );
    edited.assert_stdout_contains("BC-1");
    let shown = env.baocao(&["series", "show", "bc-thang"]).ok().stdout;
    assert!(shown.contains("Mau bao cao thang.xlsx"), "{shown}");
    // December is made the new way: due 10/01/2027 17:00, for one unit, with the form.
    let made = make_due(&env, "08:00 ngày 28/12/2026");
    assert!(
        made.contains("kỳ Tháng 12/2026: hạn 11/01/2027 lúc 17:00"),
        "10/01/2027 is a Sunday: {made}"
    );
    let december = env.baocao(&["request", "show", "BC-2", "--json"]).ok().json();
    assert_eq!(december["units"].as_array().unwrap().len(), 1, "{december:#}");
    assert_eq!(december["title"], "Báo cáo công tác giáo dục và đào tạo tháng 12/2026");
    assert_eq!(
        december["files"][0]["file_name"], "Mau bao cao thang.xlsx",
        "{december:#}"
    );
    let december_text = env.baocao(&["request", "show", "BC-2"]).ok().stdout;
    assert!(
        december_text.contains("Cấp trên:   sau 2 ngày làm việc quá hạn"),
        "the period carries the series' escalation: {december_text}"
    );
    env.baocao(&["series", "edit", "bc-thang", "--escalate-default"]).ok();
    let shown = env.baocao(&["series", "show", "bc-thang"]).ok().stdout;
    assert!(shown.contains("theo cấu hình"), "{shown}");
    // November, made before, is unchanged.
    let november = env.baocao(&["request", "show", "BC-1", "--json"]).ok().json();
    assert_eq!(november["units"].as_array().unwrap().len(), 10);
    assert_eq!(november["files"].as_array().unwrap().len(), 1);
    let refused = env.baocao(&["series", "edit", "bc-thang"]);
    assert_eq!(refused.code, 1);
    refused.assert_stderr_contains("không có gì để sửa");
    let refused = env.baocao(&["series", "edit", "bc-thang", "--remove-unit", "pgd-dienbien"]);
    assert_eq!(refused.code, 1);
    refused.assert_stderr_contains("ít nhất một nhóm hoặc đơn vị");
}

/// A monthly and a quarterly series for two district offices through the mail lab for a
/// simulated year: one reports before every deadline, the other never; its parent gets one
/// copy of an overdue notice per period (escalation after 3 working days), the digest lists
/// it, and the matrix shows both.
fn a_year_through_the_mail_lab_escalates_the_silent_unit_once_a_period(backend: Backend) {
    use crate::harness::mail_env::send_at;
    use chrono::{Duration as Days, NaiveDate};
    let m = mail_env(backend, None, ALWAYS_OPEN);
    let (prompt, silent, parent) = (m.lab.address("pgd-a"), m.lab.address("pgd-b"), m.lab.address("ubnd-b"));
    m.env.import_units([
        ["ubnd-b", "UBND huyện B", "ubnd", parent.as_str()],
        ["pgd-a", "Phòng GD&ĐT huyện A", "phong-gddt", prompt.as_str()],
        ["pgd-b", "Phòng GD&ĐT huyện B", "phong-gddt", silent.as_str()],
    ]);
    m.env.baocao(&["unit", "edit", "pgd-b", "--parent", "ubnd-b"]).ok();
    for (code, period, deadline, first) in [
        ("bc-thang", "thang", "ngày 5 tháng sau kỳ", "T1/2027"),
        ("bc-quy", "quy", "ngày 15 tháng cuối kỳ", "Quý I/2027"),
    ] {
        m.env
            .baocao(&[
                "series",
                "add",
                code,
                "--doc",
                "12/KH-SGDĐT",
                "--title",
                "Báo cáo",
                "--period",
                period,
                "--deadline",
                deadline,
                "--unit",
                "pgd-a",
                "--unit",
                "pgd-b",
                "--from",
                first,
                "--remind",
                "1d",
                "--overdue",
                "1d,3d",
                "--escalate-after",
                "3",
                "--no-attachment-required",
                "--at",
                "08:00 ngày 01/12/2026",
            ])
            .ok();
    }
    let mut replied: std::collections::HashSet<String> = Default::default();
    let mut digest_checked = false;
    let mut day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    while day <= NaiveDate::from_ymd_opt(2028, 1, 31).unwrap() {
        let at = format!("08:00 ngày {}", day.format("%d/%m/%Y"));
        make_due(&m.env, &at);
        // The prompt office answers each new period at once, naming it in the file.
        for code in ["bc-thang", "bc-quy"] {
            let shown = m.env.baocao(&["series", "show", code, "--json"]).ok().json();
            for instance in shown["instances"].as_array().unwrap() {
                let token = instance["token"].as_str().unwrap().to_string();
                if !replied.insert(token.clone()) {
                    continue;
                }
                // "BC_T1_2027.xlsx", "BaoCao_2027_Q1.xlsx": as offices name their files.
                let key = instance["period_key"].as_str().unwrap();
                let file = match key.split_once('-') {
                    Some((year, quarter)) if quarter.starts_with('Q') => format!("BaoCao_{year}_{quarter}.xlsx"),
                    Some((year, month)) => format!("BC_T{}_{year}.xlsx", month.trim_start_matches('0')),
                    None => unreachable!("{key}"),
                };
                let mail =
                    report_mail(&token, "Báo cáo", &[&file]).replace("pgddt.tpdienbienphu@dienbien.edu.vn", &prompt);
                let outcome = import(
                    &m.env,
                    &format!("{token}.eml"),
                    &mail,
                    &format!("09:00 ngày {}", day.format("%d/%m/%Y")),
                );
                assert_eq!(
                    (outcome["state"].as_str(), outcome["token"].as_str()),
                    (Some("counted"), Some(token.as_str())),
                    "{outcome:#}"
                );
            }
        }
        let before = m.lab.inbox_count(&parent);
        send_at(&m, &format!("09:30 ngày {}", day.format("%d/%m/%Y")));
        if !digest_checked && m.lab.wait_for_inbox(&parent, before + 1, Duration::from_millis(300)) {
            let digest = m
                .env
                .baocao(&["digest", "--at", &format!("10:00 ngày {}", day.format("%d/%m/%Y"))])
                .ok()
                .stdout;
            assert!(digest.contains("Đã chuyển cấp trên"), "{digest}");
            assert!(
                digest.contains("Phòng GD&ĐT huyện B — đồng gửi UBND huyện B"),
                "{digest}"
            );
            digest_checked = true;
        }
        day += Days::days(7);
    }
    assert!(digest_checked, "an escalation went out");
    // One copy per period: 12 months and 4 quarters of 2027, none for the prompt office.
    assert!(
        m.lab.wait_for_inbox(&parent, 16, Duration::from_secs(30)),
        "{}",
        m.lab.inbox_count(&parent)
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(m.lab.inbox_count(&parent), 16);
    for raw in m.lab.messages(&parent) {
        let copy = mail_parser::MessageParser::default().parse(&raw).unwrap().into_owned();
        let to: Vec<String> = copy
            .to()
            .map(|a| a.iter().filter_map(|m| m.address().map(str::to_string)).collect())
            .unwrap_or_default();
        assert_eq!(
            to,
            vec![silent.clone()],
            "copies of the silent office's overdue notices only"
        );
    }
    for (code, periods) in [("bc-thang", 12u64), ("bc-quy", 4)] {
        let json = m
            .env
            .baocao(&[
                "status",
                "--series",
                code,
                "--year",
                "2027",
                "--json",
                "--at",
                "08:00 ngày 31/01/2028",
            ])
            .ok()
            .json();
        let row = |unit: &str| {
            json["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["unit"] == unit)
                .cloned()
                .unwrap()
        };
        assert_eq!(row("pgd-a")["on_time"].as_u64(), Some(periods), "{json:#}");
        assert_eq!(row("pgd-b")["overdue"].as_u64(), Some(periods), "{json:#}");
    }
}
