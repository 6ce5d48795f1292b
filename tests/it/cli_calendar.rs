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
    assert!(run.stdout.contains("04/05/2024  thứ Bảy   Làm bù"), "{}", run.stdout);
}

#[test]
fn an_unconfirmed_year_says_so_and_still_knows_the_lunar_holidays() {
    let json = show("2026", true).ok().json();
    assert_eq!(json["confirmed"], false);
    let days = json["days"].as_array().unwrap();
    let find = |date: &str| {
        days.iter()
            .find(|d| d["date"] == date)
            .map(|d| d["name"].as_str().unwrap().to_string())
    };
    assert_eq!(find("2026-02-17").as_deref(), Some("Tết Nguyên đán (mùng 1)"));
    assert_eq!(find("2026-04-26").as_deref(), Some("Giỗ Tổ Hùng Vương (10/3 âm lịch)"));
    // Giỗ Tổ 2026 is a Sunday: the law gives Monday 27/4 off.
    assert!(find("2026-04-27").unwrap().starts_with("Nghỉ bù"));
    assert!(show("2026", false).ok().stdout.contains("CHƯA cập nhật"));
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
