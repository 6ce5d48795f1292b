//! `baocao calendar show YEAR` with the shipped calendar file, calendar files checked by
//! `check-config`, and `baocao calendar add` writing a copy of the shipped file.

use std::path::{Path, PathBuf};

use crate::harness::{Run, baocao_raw, repo_root};

fn show(year: &str, json: bool) -> crate::harness::Run {
    let example = repo_root().join("config/baocao.example.toml");
    let mut args = vec!["--config", example.to_str().unwrap(), "calendar", "show", year];
    if json {
        args.push("--json");
    }
    baocao_raw(&args, &repo_root())
}

#[test]
fn a_confirmed_year_lists_its_government_days_off_and_make_up_saturday() {
    let run = show("2024", false).ok();
    run.assert_stdout_contains("đã cập nhật theo quyết định");
    run.assert_stdout_contains("10/02/2024  thứ Bảy   Tết Nguyên đán (mùng 1)");
    run.assert_stdout_contains("14/02/2024  thứ Tư    Nghỉ bù Tết Giáp Thìn");
    run.assert_stdout_contains("Ngày làm bù");
    // Each entry of the file says which document it comes from.
    run.assert_stdout_contains(
        "04/05/2024  thứ Bảy   Làm bù cho thứ Hai 29/04/2024 — theo Công văn 2450/VPCP-KGVX ngày 12/04/2024",
    );
    // 2023: Tết was 20–26/01 (Thông báo 5034/TB-LĐTBXH); Friday 27/01 was a working day.
    let run = show("2023", false).ok();
    run.assert_stdout_contains(
        "20/01/2023  thứ Sáu   Nghỉ Tết Quý Mão (29 tháng Chạp) — theo Thông báo 5034/TB-LĐTBXH ngày 07/12/2022",
    );
    run.assert_stdout_contains("26/01/2023  thứ Năm   Nghỉ bù Tết Quý Mão");
    assert!(!run.stdout.contains("27/01/2023"), "{}", run.stdout);
    // 2026 in JSON: the source travels with each day.
    let json = show("2026", true).ok().json();
    assert_eq!(json["confirmed"], true);
    let days = json["days"].as_array().unwrap();
    let day = |date: &str| days.iter().find(|d| d["date"] == date).cloned().unwrap();
    assert_eq!(day("2026-08-22")["kind"], "make_up_workday");
    assert_eq!(day("2026-08-22")["source"], "Thông báo 9441/TB-BNV ngày 16/10/2025");
    assert_eq!(day("2026-01-02")["source"], "Công văn 12729/VPCP-KGVX ngày 25/12/2025");
    assert_eq!(day("2026-02-17")["source"], serde_json::Value::Null);
}

#[test]
fn an_unconfirmed_year_says_so_and_still_knows_the_lunar_holidays() {
    let json = show("2027", true).ok().json();
    assert_eq!(json["confirmed"], false);
    let days = json["days"].as_array().unwrap();
    let find = |date: &str| {
        days.iter()
            .find(|d| d["date"] == date)
            .map(|d| d["name"].as_str().unwrap().to_string())
    };
    assert_eq!(find("2027-02-06").as_deref(), Some("Tết Nguyên đán (mùng 1)"));
    assert_eq!(find("2027-04-16").as_deref(), Some("Giỗ Tổ Hùng Vương (10/3 âm lịch)"));
    // 1/5/2027 is a Saturday: the law gives Monday 3/5 off.
    assert!(find("2027-05-03").unwrap().starts_with("Nghỉ bù"));
    let text = show("2027", false).ok().stdout;
    assert!(text.contains("CHƯA cập nhật"), "{text}");
    assert!(text.contains("baocao calendar add 2027 --confirm"), "{text}");
}

#[test]
fn a_broken_calendar_file_fails_check_config_with_its_line() {
    let (dir, config, calendar) = with_calendar();
    std::fs::write(
        calendar,
        "confirmed-years = [2025]\n[[day-off]]\ndate = \"30/02/2025\"\nname = \"x\"\n",
    )
    .unwrap();
    let run = baocao_raw(&["check-config", "--config", config.to_str().unwrap()], dir.path());
    assert_eq!(run.code, 78);
    run.assert_stderr_contains("calendar.file");
    run.assert_stderr_contains("dòng 3");
}

/// A directory with a configuration naming a copy of the shipped calendar file.
fn with_calendar() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let calendar = dir.path().join("calendar.toml");
    std::fs::copy(repo_root().join("config/calendar.toml"), &calendar).unwrap();
    let config = dir.path().join("baocao.toml");
    std::fs::write(
        &config,
        format!(
            "{}\n[calendar]\nfile = \"calendar.toml\"\n",
            crate::harness::MINIMAL_CONFIG
        ),
    )
    .unwrap();
    (dir, config, calendar)
}

fn calendar_cmd(config: &Path, args: &[&str]) -> Run {
    let mut all = vec!["--config", config.to_str().unwrap(), "calendar"];
    all.extend_from_slice(args);
    baocao_raw(&all, config.parent().unwrap())
}

#[test]
fn calendar_add_writes_a_checked_decision_keeping_the_file_readable() {
    let (_dir, config, calendar) = with_calendar();
    let shipped = std::fs::read_to_string(&calendar).unwrap();
    let source = "Thông báo 1/TB-BNV ngày 01/10/2026";
    // --dry-run checks and prints, and writes nothing.
    let dry = calendar_cmd(
        &config,
        &[
            "add",
            "2027",
            "--swap",
            "03/09/2027:11/09/2027",
            "--source",
            source,
            "--dry-run",
        ],
    )
    .ok();
    dry.assert_stdout_contains("sẽ thêm (chưa ghi, --dry-run)");
    assert_eq!(std::fs::read_to_string(&calendar).unwrap(), shipped);

    let added = calendar_cmd(
        &config,
        &["add", "2027", "--swap", "03/09/2027:11/09/2027", "--source", source],
    )
    .ok();
    assert!(
        added.stdout.contains(&format!(
            "03/09/2027  thứ Sáu   nghỉ: Nghỉ hoán đổi (làm bù thứ Bảy 11/09/2027) — theo {source}"
        )),
        "{}",
        added.stdout
    );
    added.assert_stdout_contains("11/09/2027  thứ Bảy   làm bù: Làm bù cho thứ Sáu 03/09/2027");
    added.assert_stdout_contains("baocao calendar add 2027 --confirm");
    added.assert_stdout_contains("systemctl reload baocao");
    let day_off = calendar_cmd(
        &config,
        &[
            "add",
            "2027",
            "--day-off",
            "04/02/2027",
            "--name",
            "Nghỉ Tết Đinh Mùi (28 tháng Chạp)",
            "--source",
            source,
        ],
    )
    .ok();
    day_off.assert_stdout_contains("04/02/2027  thứ Năm   nghỉ: Nghỉ Tết Đinh Mùi");

    // The file keeps every comment and entry it had, and the new ones under their year.
    let text = std::fs::read_to_string(&calendar).unwrap();
    for line in shipped.lines() {
        assert!(text.contains(line), "lost line {line:?}:\n{text}");
    }
    assert_eq!(text.matches("# --- 2027 ---").count(), 1, "{text}");
    assert!(
        text.contains("date = \"11/09/2027\"\nname = \"Làm bù cho thứ Sáu 03/09/2027\"\n"),
        "{text}"
    );
    baocao_raw(
        &["check-config", "--config", config.to_str().unwrap()],
        config.parent().unwrap(),
    )
    .ok();
    let shown = calendar_cmd(&config, &["show", "2027"]).ok().stdout;
    assert!(
        shown.contains(&format!(
            "11/09/2027  thứ Bảy   Làm bù cho thứ Sáu 03/09/2027 — theo {source}"
        )),
        "{shown}"
    );
    assert!(shown.contains("CHƯA cập nhật"), "{shown}");

    // Confirming names the nghỉ bù baocao stops computing, for the officer to check.
    let confirmed = calendar_cmd(&config, &["add", "2027", "--confirm"]).ok();
    confirmed.assert_stdout_contains("đã xác nhận năm 2027");
    confirmed.assert_stdout_contains("không tự tính nghỉ bù nữa");
    assert!(
        confirmed
            .stdout
            .contains("03/05/2027  thứ Hai   (trước đây: Nghỉ bù Ngày Quốc tế Lao động (1/5))"),
        "{}",
        confirmed.stdout
    );
    let text = std::fs::read_to_string(&calendar).unwrap();
    assert!(
        text.contains("confirmed-years = [2023, 2024, 2025, 2026, 2027]"),
        "{text}"
    );
    let json = calendar_cmd(&config, &["show", "2027", "--json"]).ok().json();
    assert_eq!(json["confirmed"], true);
    let again = calendar_cmd(&config, &["add", "2027", "--confirm"]).ok();
    again.assert_stdout_contains("năm 2027 đã được xác nhận từ trước");
    assert_eq!(std::fs::read_to_string(&calendar).unwrap(), text);
}

#[test]
fn calendar_add_refuses_each_mistake_with_its_reason_and_leaves_the_file_alone() {
    let (_dir, config, calendar) = with_calendar();
    let shipped = std::fs::read_to_string(&calendar).unwrap();
    let src = "Thông báo 1/TB-BNV ngày 01/10/2026";
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "add",
                "2027",
                "--day-off",
                "13/02/2027",
                "--name",
                "Nghỉ",
                "--source",
                src,
            ],
            "ngày 13/02/2027 là thứ Bảy, vốn đã nghỉ",
        ),
        (
            &[
                "add",
                "2027",
                "--day-off",
                "05/02/2027",
                "--name",
                "Nghỉ",
                "--source",
                src,
            ],
            "ngày 05/02/2027 đã là ngày lễ theo luật (Tết Nguyên đán (ngày cuối năm âm lịch))",
        ),
        (
            &["add", "2027", "--swap", "03/09/2027:06/09/2027", "--source", src],
            "ngày làm bù 06/09/2027 là thứ Hai, vốn là ngày làm việc; ngày làm bù phải là thứ Bảy hoặc Chủ nhật",
        ),
        (
            &["add", "2027", "--swap", "03/05/2027:01/05/2027", "--source", src],
            "ngày làm bù 01/05/2027 là ngày lễ theo luật (Ngày Quốc tế Lao động (1/5))",
        ),
        (
            &[
                "add",
                "2027",
                "--day-off",
                "04/02/2026",
                "--name",
                "Nghỉ",
                "--source",
                src,
            ],
            "ngày nghỉ 04/02/2026 không thuộc năm 2027",
        ),
        (
            &["add", "2026", "--swap", "02/01/2026:10/01/2026", "--source", src],
            "ngày 02/01/2026 đã có trong tệp lịch là ngày nghỉ",
        ),
        (
            &[
                "add",
                "2027",
                "--day-off",
                "04/02/2027",
                "--day-off",
                "4/2/2027",
                "--name",
                "Nghỉ",
                "--source",
                src,
            ],
            "ngày 04/02/2027 được nhập hai lần",
        ),
        (
            &[
                "add",
                "2027",
                "--day-off",
                "31/02/2027",
                "--name",
                "Nghỉ",
                "--source",
                src,
            ],
            "ngày nghỉ `31/02/2027` không phải ngày hợp lệ (dd/mm/yyyy)",
        ),
        (
            &["add", "2027", "--swap", "03/09/2027", "--source", src],
            "--swap `03/09/2027`: cần hai ngày NGÀY_NGHỈ:NGÀY_LÀM_BÙ",
        ),
        (&["add", "2027", "--swap", "03/09/2027:11/09/2027"], "thiếu --source"),
        (
            &["add", "2027", "--day-off", "04/02/2027", "--source", src],
            "thiếu --name",
        ),
        (&["add", "2027"], "không có gì để thêm"),
    ];
    for (args, want) in cases {
        let run = calendar_cmd(&config, args);
        assert_eq!(run.code, 1, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(want), "{args:?}: want {want:?} in\n{}", run.stderr);
        assert!(
            run.stderr.starts_with("lỗi: không thêm gì vào "),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(
            std::fs::read_to_string(&calendar).unwrap(),
            shipped,
            "{args:?} changed the file"
        );
    }
    // Without a calendar file in the configuration there is nothing to write.
    let bare = config.with_file_name("bare.toml");
    std::fs::write(&bare, crate::harness::MINIMAL_CONFIG).unwrap();
    let run = calendar_cmd(&bare, &["add", "2027", "--confirm"]);
    assert_eq!(run.code, 1);
    run.assert_stderr_contains("chưa cấu hình tệp lịch");
}
