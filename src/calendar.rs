//! The office's working calendar: which days are working days.
//!
//! Built in (Bộ luật Lao động 2019, Điều 112): Saturday and Sunday off; Tết Dương lịch 1/1;
//! Tết Nguyên đán (the last day of the lunar year and mùng 1–4, from [`crate::lunar`]); Giỗ Tổ
//! Hùng Vương 10/3 âm lịch; 30/4; 1/5; Quốc khánh 2/9 with one adjacent day (3/9 when 2/9 is
//! a Monday, else 1/9). A built-in holiday that falls on a weekend gives a compensatory day
//! off (nghỉ bù) on the next working day.
//!
//! The yearly government decisions (the exact Tết break, swapped days, make-up working
//! Saturdays) come from a calendar file ([`CalendarFile`]) the IT officer updates; its
//! entries win over the built-in rules. Pure code.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::lunar;

/// What kind of day a date is for the office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum DayKind {
    Working,
    Weekend,
    /// A public holiday or a day off decided by the government, with its name.
    Holiday(String),
    /// A Saturday or Sunday that is a working day (làm bù), with its name.
    MakeUpWorkday(String),
}

impl DayKind {
    pub fn is_working(&self) -> bool {
        matches!(self, DayKind::Working | DayKind::MakeUpWorkday(_))
    }
}

/// The yearly decisions: extra days off, make-up working days, and the years whose
/// decisions have been entered (so the digest can warn when next year's are missing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarFile {
    pub days_off: BTreeMap<NaiveDate, String>,
    pub working_days: BTreeMap<NaiveDate, String>,
    pub confirmed_years: BTreeSet<i32>,
}

/// Built-in rules plus the calendar file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    pub file: CalendarFile,
}

impl WorkingCalendar {
    pub fn new(file: CalendarFile) -> Self {
        WorkingCalendar { file }
    }

    /// What `date` is: the calendar file first, then the built-in holidays, then weekends.
    pub fn day(&self, date: NaiveDate) -> DayKind {
        if let Some(name) = self.file.working_days.get(&date) {
            return DayKind::MakeUpWorkday(name.clone());
        }
        if let Some(name) = self.file.days_off.get(&date) {
            return DayKind::Holiday(name.clone());
        }
        let compensate = !self.is_confirmed(date.year());
        if let Some(name) = built_in_holiday(date, compensate) {
            return DayKind::Holiday(name);
        }
        if is_weekend(date) {
            DayKind::Weekend
        } else {
            DayKind::Working
        }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.day(date).is_working()
    }

    /// The first working day on or after `date` (gives up after a year of days off).
    pub fn next_working_day(&self, date: NaiveDate) -> Option<NaiveDate> {
        date.iter_days().take(366).find(|d| self.is_working_day(*d))
    }

    /// Every day of `year` that is not an ordinary one: holidays and days off (weekend
    /// days only when they are holidays), and make-up working days, in date order.
    pub fn special_days(&self, year: i32) -> Vec<(NaiveDate, DayKind)> {
        let Some(first) = NaiveDate::from_ymd_opt(year, 1, 1) else {
            return Vec::new();
        };
        first
            .iter_days()
            .take_while(|d| d.year() == year)
            .filter_map(|d| match self.day(d) {
                kind @ (DayKind::Holiday(_) | DayKind::MakeUpWorkday(_)) => Some((d, kind)),
                _ => None,
            })
            .collect()
    }

    /// Whether the government's decisions for `year` have been entered in the file.
    pub fn is_confirmed(&self, year: i32) -> bool {
        self.file.confirmed_years.contains(&year)
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The name of the statutory day off on `date`, if it is one. The year's days are computed
/// once and remembered: planning asks about the same few years many times.
fn built_in_holiday(date: NaiveDate, compensate: bool) -> Option<String> {
    type Cache = HashMap<(i32, bool), BTreeMap<NaiveDate, String>>;
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    cache
        .entry((date.year(), compensate))
        .or_insert_with(|| built_in_days_off(date.year(), compensate))
        .get(&date)
        .cloned()
}

/// The statutory days off of `year` with their names; with `compensate`, also the
/// compensatory days the law gives for holidays on a weekend. Once a year's government
/// decisions are in the calendar file, the file lists the compensatory days itself (the
/// government often places them elsewhere), so they are not computed.
pub fn built_in_days_off(year: i32, compensate: bool) -> BTreeMap<NaiveDate, String> {
    let mut days: Vec<(NaiveDate, String)> = Vec::new();
    let mut add = |date: Option<NaiveDate>, name: &str| {
        if let Some(date) = date {
            days.push((date, name.to_string()));
        }
    };
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    add(ymd(1, 1), "Tết Dương lịch");
    if let Some(tet) = lunar::tet(year) {
        add(
            tet.checked_sub_days(Days::new(1)),
            "Tết Nguyên đán (ngày cuối năm âm lịch)",
        );
        for i in 0..4u64 {
            add(
                tet.checked_add_days(Days::new(i)),
                &format!("Tết Nguyên đán (mùng {})", i + 1),
            );
        }
    }
    add(lunar::hung_kings_day(year), "Giỗ Tổ Hùng Vương (10/3 âm lịch)");
    add(ymd(4, 30), "Ngày Chiến thắng (30/4)");
    add(ymd(5, 1), "Ngày Quốc tế Lao động (1/5)");
    add(ymd(9, 2), "Quốc khánh (2/9)");
    let adjacent = match ymd(9, 2).map(|d| d.weekday()) {
        Some(Weekday::Mon) => ymd(9, 3),
        _ => ymd(9, 1),
    };
    add(adjacent, "Quốc khánh (ngày liền kề)");

    let mut off: BTreeMap<NaiveDate, String> = days.iter().cloned().collect();
    if !compensate {
        return off;
    }
    // Nghỉ bù: each holiday on a weekend moves one day off to the next day that is neither
    // a weekend nor already off.
    for (date, name) in days.iter().filter(|(d, _)| is_weekend(*d)) {
        let mut candidate = *date;
        while let Some(next) = candidate.succ_opt() {
            candidate = next;
            if !is_weekend(candidate) && !off.contains_key(&candidate) {
                off.insert(candidate, format!("Nghỉ bù {name}"));
                break;
            }
        }
    }
    off
}

/// Why a calendar file was refused; the text names the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CalendarFileError(pub String);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCalendarFile {
    #[serde(default)]
    confirmed_years: Vec<i32>,
    #[serde(default)]
    day_off: Vec<RawDay>,
    #[serde(default)]
    working_day: Vec<RawDay>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDay {
    date: toml::Spanned<String>,
    name: String,
}

/// Reads a calendar file (format in README: `confirmed-years`, `[[day-off]]`,
/// `[[working-day]]`, dates as dd/mm/yyyy).
pub fn parse_calendar_file(text: &str) -> Result<CalendarFile, CalendarFileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let raw: RawCalendarFile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| format!("dòng {}: ", line_of(s.start)))
            .unwrap_or_default();
        CalendarFileError(format!("{line}{}", e.message()))
    })?;
    let mut file = CalendarFile {
        confirmed_years: raw.confirmed_years.into_iter().collect(),
        ..Default::default()
    };
    let mut problems = Vec::new();
    for (days, target) in [
        (raw.day_off, &mut file.days_off),
        (raw.working_day, &mut file.working_days),
    ] {
        for day in days {
            match crate::dates::parse_date(day.date.get_ref()) {
                Some(date) => {
                    target.insert(date, day.name.trim().to_string());
                }
                None => problems.push(format!(
                    "dòng {}: ngày `{}` không đúng dạng dd/mm/yyyy",
                    line_of(day.date.span().start),
                    day.date.get_ref()
                )),
            }
        }
    }
    for (date, _) in file.days_off.iter().filter(|(d, _)| file.working_days.contains_key(*d)) {
        problems.push(format!(
            "ngày {} vừa là ngày nghỉ vừa là ngày làm việc",
            date.format("%d/%m/%Y")
        ));
    }
    if problems.is_empty() {
        Ok(file)
    } else {
        Err(CalendarFileError(problems.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weekends_and_fixed_holidays_are_not_working_days() {
        let calendar = WorkingCalendar::default();
        assert_eq!(
            calendar.day(d(2024, 4, 30)),
            DayKind::Holiday("Ngày Chiến thắng (30/4)".into())
        );
        assert_eq!(
            calendar.day(d(2024, 5, 1)),
            DayKind::Holiday("Ngày Quốc tế Lao động (1/5)".into())
        );
        assert_eq!(calendar.day(d(2024, 5, 2)), DayKind::Working);
        assert_eq!(calendar.day(d(2024, 5, 4)), DayKind::Weekend);
        // 2/9/2024 was a Monday, so the adjacent day was 3/9.
        assert!(!calendar.is_working_day(d(2024, 9, 3)));
        assert!(calendar.is_working_day(d(2024, 8, 30)));
        // 2/9/2025 was a Tuesday, so the adjacent day was 1/9.
        assert!(!calendar.is_working_day(d(2025, 9, 1)));
    }

    #[test]
    fn tet_is_computed_from_the_lunar_calendar() {
        let calendar = WorkingCalendar::default();
        // Tết Giáp Thìn 2024: mùng 1 = 10/2/2024 (a Saturday); the eve 9/2 is off.
        assert!(matches!(calendar.day(d(2024, 2, 9)), DayKind::Holiday(n) if n.contains("cuối năm")));
        assert!(matches!(calendar.day(d(2024, 2, 13)), DayKind::Holiday(n) if n.contains("mùng 4")));
        // Mùng 1 and mùng 2 fell on the weekend: two compensatory days follow mùng 4.
        assert!(matches!(calendar.day(d(2024, 2, 14)), DayKind::Holiday(n) if n.starts_with("Nghỉ bù")));
        assert!(matches!(calendar.day(d(2024, 2, 15)), DayKind::Holiday(n) if n.starts_with("Nghỉ bù")));
        assert!(calendar.is_working_day(d(2024, 2, 16)));
        // Tết Ất Tỵ 2025 (29/1) and Bính Ngọ 2026 (17/2).
        assert!(matches!(calendar.day(d(2025, 1, 29)), DayKind::Holiday(n) if n.contains("mùng 1")));
        assert!(matches!(calendar.day(d(2026, 2, 17)), DayKind::Holiday(n) if n.contains("mùng 1")));
        assert!(matches!(calendar.day(d(2026, 4, 26)), DayKind::Holiday(n) if n.contains("Hùng Vương")));
    }

    #[test]
    fn the_calendar_file_adds_days_off_and_make_up_saturdays() {
        let mut file = CalendarFile::default();
        // 2025: 30/4 (Wed) and 1/5 (Thu) are holidays; 2/5 (Fri) was given off in exchange
        // for working on Saturday 26/4.
        file.days_off
            .insert(d(2025, 5, 2), "Nghỉ hoán đổi (làm bù 26/4)".into());
        file.working_days.insert(d(2025, 4, 26), "Làm bù cho 2/5".into());
        file.confirmed_years.insert(2025);
        let calendar = WorkingCalendar::new(file);
        assert!(calendar.is_working_day(d(2025, 4, 26)));
        assert_eq!(
            calendar.day(d(2025, 4, 26)),
            DayKind::MakeUpWorkday("Làm bù cho 2/5".into())
        );
        assert!(!calendar.is_working_day(d(2025, 5, 2)));
        assert_eq!(calendar.next_working_day(d(2025, 4, 30)), Some(d(2025, 5, 5)));
        assert!(calendar.is_confirmed(2025) && !calendar.is_confirmed(2026));
        let special: Vec<NaiveDate> = calendar.special_days(2025).into_iter().map(|(d, _)| d).collect();
        assert!(special.contains(&d(2025, 4, 26)) && special.contains(&d(2025, 5, 2)));
        assert!(!special.contains(&d(2025, 5, 3)), "plain weekends are not listed");
    }

    #[test]
    fn a_confirmed_year_takes_its_compensatory_days_from_the_file() {
        // Tết 2025: mùng 4 fell on Saturday 1/2; the government gave Monday 27/1 instead of
        // Monday 3/2. Unconfirmed, the law's rule gives 3/2; confirmed, the file decides.
        assert!(!WorkingCalendar::default().is_working_day(d(2025, 2, 3)));
        let shipped = parse_calendar_file(include_str!("../config/calendar.toml")).unwrap();
        let calendar = WorkingCalendar::new(shipped);
        assert!(calendar.is_working_day(d(2025, 2, 3)));
        assert!(!calendar.is_working_day(d(2025, 1, 27)));
        // 2024: off from 8/2 to 14/2, back at work on Thursday 15/2.
        let tet_2024: Vec<bool> = (8..=15).map(|day| calendar.is_working_day(d(2024, 2, day))).collect();
        assert_eq!(tet_2024, [false, false, false, false, false, false, false, true]);
        // 30/4–1/5/2024: Monday 29/4 off, made up on Saturday 4/5.
        assert!(!calendar.is_working_day(d(2024, 4, 29)));
        assert!(calendar.is_working_day(d(2024, 5, 4)));
    }

    #[test]
    fn calendar_file_mistakes_name_the_line() {
        let error = parse_calendar_file("[[day-off]]\ndate = \"31/02/2025\"\nname = \"x\"\n").unwrap_err();
        assert!(error.0.starts_with("dòng 2:"), "{error}");
        let error = parse_calendar_file("[[day-of]]\ndate = \"1/1/2025\"\n").unwrap_err();
        assert!(error.0.contains("day-of"), "{error}");
    }
}
