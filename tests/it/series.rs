//! `baocao series …`: periodic reports on both databases. A series makes each period's
//! request once, `lead-days` before its deadline, whatever runs twice; after a stop, the
//! missed periods are made once each and only the newest is chased.

use crate::harness::{Backend, Env};
use crate::on_both_backends;

on_both_backends!(
    a_monthly_series_makes_each_period_once_when_its_time_comes,
    periods_missed_while_stopped_are_made_once_and_only_the_newest_is_chased,
    two_runs_at_once_make_each_period_once,
    a_paused_series_makes_nothing_and_resumes_at_the_next_open_period,
    bad_series_input_is_refused_with_a_reason,
    replies_count_for_the_period_they_name,
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
    // Due in 2027: December 2026 (05/01/2027) to November 2027 (06/12/2027, a Monday after Sunday 05/12).
    assert_eq!(plan.matches("  Tháng ").count(), 12, "{plan}");
    assert!(plan.contains("Tháng 12/2026"), "{plan}");
    assert!(plan.contains("hạn 05/01/2027 lúc 23:59"), "{plan}");
    assert!(plan.contains("hạn 06/12/2027 lúc 23:59"), "{plan}");
    assert!(plan.contains("số liệu 15/10/2027–14/11/2027"), "{plan}");
    let json = env
        .baocao(&["series", "plan", "bc-thang", "--year", "2027", "--json"])
        .ok()
        .json();
    assert_eq!(json.as_array().unwrap().len(), 12);
    assert_eq!(json[0]["key"], "2026-12");

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
