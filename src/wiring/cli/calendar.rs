//! `baocao calendar show YEAR`: the year's holidays, days off and make-up working days, as
//! baocao will use them for the send window and deadline warnings, with the document each
//! comes from. `baocao calendar add YEAR …`: a year's decision entered from the notice,
//! checked ([`crate::domain::calendar_edit`]) and written into the calendar file.

use std::path::Path;

use chrono::Datelike;
use clap::Subcommand;
use serde::Serialize;

use super::{CliError, CliResult, print_json};
use crate::adapters::config::Settings;
use crate::domain::calendar::{DayKind, LABOUR_CODE_HOLIDAYS, WorkingCalendar, parse_calendar_file};
use crate::domain::calendar_edit::{AddRequest, check, no_longer_off, write};
use crate::domain::dates::{format_date, weekday_vi};

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Các ngày nghỉ và ngày làm bù của một năm
    Show {
        /// Năm, ví dụ 2026
        year: i32,
        /// In kết quả dạng JSON (cho chương trình khác đọc)
        #[arg(long)]
        json: bool,
    },
    /// Nhập quyết định nghỉ lễ của một năm vào tệp lịch (đã kiểm tra), ví dụ:
    /// baocao calendar add 2026 --swap 02/01/2026:10/01/2026 --source "Công văn 12729/VPCP-KGVX ngày 25/12/2025"
    Add {
        /// Năm của quyết định, ví dụ 2026
        year: i32,
        /// Ngày nghỉ thêm hoặc nghỉ bù (thứ Hai – thứ Sáu), dd/mm/yyyy; lặp lại được
        #[arg(long = "day-off", value_name = "NGÀY")]
        day_off: Vec<String>,
        /// Hoán đổi: ngày được nghỉ và thứ Bảy (Chủ nhật) đi làm bù, ví dụ 02/01/2026:10/01/2026; lặp lại được
        #[arg(long, value_name = "NGÀY_NGHỈ:NGÀY_LÀM_BÙ")]
        swap: Vec<String>,
        /// Tên ngày nghỉ như thông báo gọi, ví dụ "Nghỉ bù Giỗ Tổ Hùng Vương" (bắt buộc với --day-off)
        #[arg(long, value_name = "TÊN")]
        name: Option<String>,
        /// Văn bản quyết định: loại, số, ký hiệu, ngày, ví dụ "Thông báo 9441/TB-BNV ngày 16/10/2025"
        #[arg(long, value_name = "VĂN_BẢN")]
        source: Option<String>,
        /// Xác nhận đã nhập đủ quyết định của năm (thêm năm vào confirmed-years)
        #[arg(long)]
        confirm: bool,
        /// Chỉ kiểm tra và in kết quả, không ghi tệp lịch
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Serialize)]
struct CalendarJson {
    year: i32,
    confirmed: bool,
    days: Vec<DayJson>,
}

#[derive(Serialize)]
struct DayJson {
    date: chrono::NaiveDate,
    #[serde(flatten)]
    kind: DayKind,
    /// The document the calendar file names for this day, if any.
    source: Option<String>,
}

pub fn run(settings: &Settings, calendar: &WorkingCalendar, command: CalendarCommand) -> CliResult {
    match command {
        CalendarCommand::Show { year, json } => show(calendar, year, json),
        CalendarCommand::Add {
            year,
            day_off,
            swap,
            name,
            source,
            confirm,
            dry_run,
        } => add(
            settings,
            &AddRequest {
                year,
                days_off: day_off,
                swaps: swap,
                name,
                source,
                confirm,
            },
            dry_run,
        ),
    }
}

fn show(calendar: &WorkingCalendar, year: i32, json: bool) -> CliResult {
    if !(1900..=2199).contains(&year) {
        return Err(CliError::Refused(format!("năm {year} nằm ngoài khoảng 1900–2199")));
    }
    let days = calendar.special_days(year);
    if json {
        return print_json(&CalendarJson {
            year,
            confirmed: calendar.is_confirmed(year),
            days: days
                .into_iter()
                .map(|(date, kind)| DayJson {
                    date,
                    kind,
                    source: calendar.source(date),
                })
                .collect(),
        });
    }
    println!("Lịch làm việc năm {year}");
    if calendar.is_confirmed(year) {
        println!("(đã cập nhật theo quyết định của Chính phủ trong tệp lịch)");
    } else {
        println!(
            "(CHƯA cập nhật quyết định nghỉ lễ năm {year}: chỉ có ngày lễ theo luật và nghỉ bù tự tính; \
             cán bộ CNTT nhập theo thông báo của Bộ Nội vụ bằng baocao calendar add {year} …, rồi \
             baocao calendar add {year} --confirm)"
        );
    }
    let line = |date: chrono::NaiveDate, name: &str| {
        let source = calendar
            .source(date)
            .map(|source| format!(" — theo {source}"))
            .unwrap_or_default();
        println!(
            "  {}  {:<9} {name}{source}",
            format_date(date),
            weekday_vi(date.weekday())
        );
    };
    println!("Ngày nghỉ lễ, Tết, nghỉ bù và nghỉ hoán đổi (ngày lễ theo luật: {LABOUR_CODE_HOLIDAYS}):");
    for (date, kind) in &days {
        if let DayKind::Holiday(name) = kind {
            line(*date, name);
        }
    }
    let make_up: Vec<_> = days
        .iter()
        .filter(|(_, k)| matches!(k, DayKind::MakeUpWorkday(_)))
        .collect();
    if !make_up.is_empty() {
        println!("Ngày làm bù (thứ Bảy, Chủ nhật đi làm):");
        for (date, kind) in make_up {
            if let DayKind::MakeUpWorkday(name) = kind {
                line(*date, name);
            }
        }
    }
    Ok(())
}

/// `calendar add`: check, write the calendar file (same directory, then rename, keeping its
/// permissions), read it back, say what changed and what to check.
fn add(settings: &Settings, request: &AddRequest, dry_run: bool) -> CliResult {
    let Some(path) = settings.calendar_file.as_deref() else {
        return Err(CliError::Refused(
            "chưa cấu hình tệp lịch: thêm vào tệp cấu hình mục [calendar] với file = \"calendar.toml\"".into(),
        ));
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => NEW_FILE.to_string(),
        Err(e) => {
            return Err(CliError::Refused(format!(
                "không đọc được tệp lịch {}: {e}",
                path.display()
            )));
        }
    };
    let before = parse_calendar_file(&text)
        .map(WorkingCalendar::new)
        .map_err(|e| CliError::Refused(format!("tệp lịch {} có lỗi, sửa trước: {e}", path.display())))?;
    let addition = check(&before, request).map_err(|problems| {
        CliError::Refused(format!(
            "không thêm gì vào {}:\n{}",
            path.display(),
            problems.join("\n")
        ))
    })?;
    let new_text = write(&text, &addition).map_err(|e| CliError::Refused(format!("{}: {e}", path.display())))?;
    // Read back what would be written: it must parse and say what was asked.
    let after = parse_calendar_file(&new_text).map(WorkingCalendar::new).map_err(|e| {
        CliError::Internal(anyhow::anyhow!(
            "the calendar file written for `calendar add` does not parse: {e}"
        ))
    })?;
    for entry in &addition.entries {
        if after.is_working_day(entry.date) != entry.working {
            return Err(CliError::Internal(anyhow::anyhow!(
                "the calendar file written for `calendar add` does not have {} as asked",
                entry.date
            )));
        }
    }
    if !dry_run && new_text != text {
        save(path, &new_text)?;
    }
    let verb = if dry_run {
        "sẽ thêm (chưa ghi, --dry-run)"
    } else {
        "đã thêm"
    };
    if !addition.entries.is_empty() {
        println!("{verb} vào {}:", path.display());
        for entry in &addition.entries {
            let kind = if entry.working { "làm bù" } else { "nghỉ" };
            println!(
                "  {}  {:<9} {kind}: {} — theo {}",
                format_date(entry.date),
                weekday_vi(entry.date.weekday()),
                entry.name,
                entry.source
            );
        }
    }
    let year = addition.year;
    if addition.confirm {
        if before.is_confirmed(year) {
            println!("năm {year} đã được xác nhận từ trước");
        } else if dry_run {
            println!("sẽ xác nhận năm {year} (chưa ghi, --dry-run)");
        } else {
            println!("đã xác nhận năm {year} (confirmed-years)");
        }
    }
    let lost = no_longer_off(&before, &after, year);
    if !lost.is_empty() {
        println!(
            "lưu ý: khi năm {year} đã xác nhận, baocao không tự tính nghỉ bù nữa; các ngày sau thành ngày làm việc:"
        );
        for (date, name) in &lost {
            println!(
                "  {}  {:<9} (trước đây: {name})",
                format_date(*date),
                weekday_vi(date.weekday())
            );
        }
        println!(
            "  nếu thông báo cho nghỉ ngày nào trong số đó, thêm bằng: baocao calendar add {year} --day-off NGÀY \
             --name \"…\" --source \"…\""
        );
    }
    if !after.is_confirmed(year) {
        println!(
            "năm {year} chưa xác nhận: khi đã nhập đủ quyết định của năm, chạy baocao calendar add {year} --confirm"
        );
    }
    if !dry_run && new_text != text {
        println!("dịch vụ đang chạy dùng lịch mới sau: systemctl reload baocao");
    }
    Ok(())
}

/// The start of a calendar file `calendar add` creates.
const NEW_FILE: &str = "# Lịch làm việc: các quyết định hằng năm của Chính phủ (xem README, mục \"Calendar file\").\n\
                        confirmed-years = []\n";

fn save(path: &Path, text: &str) -> CliResult {
    let failed = |e: std::io::Error| {
        let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
            " (tệp lịch của dịch vụ thuộc quyền root: chạy lại lệnh bằng sudo)"
        } else {
            ""
        };
        CliError::Refused(format!("không ghi được tệp lịch {}: {e}{hint}", path.display()))
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temporary, text).map_err(failed)?;
    let kept = std::fs::metadata(path)
        .map(|m| m.permissions())
        .and_then(|permissions| std::fs::set_permissions(&temporary, permissions));
    let renamed = match kept {
        Ok(()) => std::fs::rename(&temporary, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::rename(&temporary, path),
        Err(e) => Err(e),
    };
    renamed.map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        failed(e)
    })
}
