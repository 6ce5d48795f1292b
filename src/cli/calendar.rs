//! `baocao calendar show YEAR`: the year's holidays, days off and make-up working days, as
//! baocao will use them for the send window and deadline warnings, with the document each
//! comes from.

use chrono::Datelike;
use clap::Subcommand;
use serde::Serialize;

use super::{CliError, CliResult, print_json};
use crate::calendar::{DayKind, LABOUR_CODE_HOLIDAYS};
use crate::config::{Settings, load_calendar};
use crate::dates::{format_date, weekday_vi};

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

pub fn run(settings: &Settings, command: CalendarCommand) -> CliResult {
    let CalendarCommand::Show { year, json } = command;
    show(settings, year, json)
}

fn show(settings: &Settings, year: i32, json: bool) -> CliResult {
    if !(1900..=2199).contains(&year) {
        return Err(CliError::Refused(format!("năm {year} nằm ngoài khoảng 1900–2199")));
    }
    let calendar = load_calendar(settings).map_err(CliError::Refused)?;
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
             cán bộ CNTT cần bổ sung tệp lịch)"
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
