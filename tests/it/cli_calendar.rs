//! `baocao calendar show YEAR` with the shipped calendar file, and calendar files checked by
//! `check-config`.

use crate::harness::{baocao_raw, repo_root};

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
    assert!(run.stdout.contains("đã cập nhật theo quyết định"), "{}", run.stdout);
    assert!(
        run.stdout.contains("10/02/2024  thứ Bảy   Tết Nguyên đán (mùng 1)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("14/02/2024  thứ Tư    Nghỉ bù Tết Giáp Thìn"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Ngày làm bù"), "{}", run.stdout);
    // Each entry of the file says which document it comes from.
    assert!(
        run.stdout.contains(
            "04/05/2024  thứ Bảy   Làm bù cho thứ Hai 29/04/2024 — theo Công văn 2450/VPCP-KGVX ngày 12/04/2024"
        ),
        "{}",
        run.stdout
    );
    // 2023: Tết was 20–26/01 (Thông báo 5034/TB-LĐTBXH); Friday 27/01 was a working day.
    let run = show("2023", false).ok();
    assert!(
        run.stdout.contains(
            "20/01/2023  thứ Sáu   Nghỉ Tết Quý Mão (29 tháng Chạp) — theo Thông báo 5034/TB-LĐTBXH ngày 07/12/2022"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("26/01/2023  thứ Năm   Nghỉ bù Tết Quý Mão"),
        "{}",
        run.stdout
    );
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
}

#[test]
fn a_broken_calendar_file_fails_check_config_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("calendar.toml"),
        "confirmed-years = [2025]\n[[day-off]]\ndate = \"30/02/2025\"\nname = \"x\"\n",
    )
    .unwrap();
    let config = dir.path().join("baocao.toml");
    std::fs::write(
        &config,
        format!(
            "{}\n[calendar]\nfile = \"calendar.toml\"\n",
            crate::harness::MINIMAL_CONFIG
        ),
    )
    .unwrap();
    let run = baocao_raw(&["check-config", "--config", config.to_str().unwrap()], dir.path());
    assert_eq!(run.code, 78);
    assert!(run.stderr.contains("calendar.file"), "{}", run.stderr);
    assert!(run.stderr.contains("dòng 3"), "{}", run.stderr);
}
