//! The office's working calendar: which days are working days.
//!
//! Built in (Bộ luật Lao động 2019, Điều 112): Saturday and Sunday off; Tết Dương lịch 1/1;
//! Tết Nguyên đán (the last day of the lunar year and mùng 1–4, from [`crate::domain::lunar`]); Giỗ Tổ
//! Hùng Vương 10/3 âm lịch; 30/4; 1/5; Quốc khánh 2/9 with one adjacent day (3/9 when 2/9 is
//! a Monday, else 1/9). A built-in holiday that falls on a weekend gives a compensatory day
//! off (nghỉ bù) on the next working day.
//!
//! The yearly government decisions (the exact Tết break, swapped days, make-up working
//! Saturdays) come from a calendar file ([`CalendarFile`]) the IT officer updates; its
//! entries win over the built-in rules, and each may name the document it comes from
//! (`source`). A holiday a new law adds is a `[[holiday]]` entry of the file (day/month and
//! the first year): it then counts as a statutory holiday for every year from then on,
//! nghỉ bù included. Pure code.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::domain::lunar;

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
/// decisions have been entered (so the service can warn when this year's or next year's are
/// missing); the document each entry comes from; holidays added by law after 2019.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarFile {
    pub days_off: BTreeMap<NaiveDate, String>,
    pub working_days: BTreeMap<NaiveDate, String>,
    pub confirmed_years: BTreeSet<i32>,
    /// The `source` of a `[[day-off]]` or `[[working-day]]` entry, by its date.
    pub sources: BTreeMap<NaiveDate, String>,
    /// `[[holiday]]` entries: yearly holidays on a fixed day and month, from a year on.
    pub holidays: Vec<YearlyHoliday>,
}

/// A yearly holiday on a fixed solar day and month that a law added (`[[holiday]]`), e.g.
/// 24/11 "Ngày Văn hóa Việt Nam" once it is enacted. From `from_year` on it is a statutory
/// holiday like 30/4: a day off, with nghỉ bù when it falls on a weekend in an unconfirmed year.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct YearlyHoliday {
    pub day: u32,
    pub month: u32,
    pub from_year: i32,
    pub name: String,
    pub source: Option<String>,
}

impl YearlyHoliday {
    /// Its date in `year`, if it applies that year.
    pub fn date_in(&self, year: i32) -> Option<NaiveDate> {
        (year >= self.from_year)
            .then(|| NaiveDate::from_ymd_opt(year, self.month, self.day))
            .flatten()
    }
}

/// Where the statutory holidays come from.
pub const LABOUR_CODE_HOLIDAYS: &str = "Bộ luật Lao động 2019, Điều 112";

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
        if let Some(name) = built_in_holiday(date, compensate, &self.file.holidays) {
            return DayKind::Holiday(name);
        }
        if is_weekend(date) {
            DayKind::Weekend
        } else {
            DayKind::Working
        }
    }

    /// The statutory holiday on `date` (built in or a `[[holiday]]`), without nghỉ bù and
    /// without the file's yearly decisions: what the day is before any decision.
    pub fn statutory_holiday(&self, date: NaiveDate) -> Option<String> {
        built_in_holiday(date, false, &self.file.holidays)
    }

    /// The document that makes `date` what it is, when the calendar file names one: the
    /// `source` of its `[[day-off]]`/`[[working-day]]` entry, or of the `[[holiday]]` it is.
    pub fn source(&self, date: NaiveDate) -> Option<String> {
        if self.file.working_days.contains_key(&date) || self.file.days_off.contains_key(&date) {
            return self.file.sources.get(&date).cloned();
        }
        let DayKind::Holiday(name) = self.day(date) else {
            return None;
        };
        self.file
            .holidays
            .iter()
            .find(|h| h.date_in(date.year()) == Some(date) && h.name == name)
            .and_then(|h| h.source.clone())
    }

    /// The years whose government decisions the office needs now and that the file does not
    /// confirm: the current year always, and next year in December (when its decisions are
    /// usually published). Empty when all is well.
    pub fn years_to_confirm(&self, today: NaiveDate) -> Vec<i32> {
        let year = today.year();
        let mut years = Vec::new();
        if !self.is_confirmed(year) {
            years.push(year);
        }
        if today.month() == 12 && !self.is_confirmed(year + 1) {
            years.push(year + 1);
        }
        years
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

/// How to bring a calendar up to date, in Vietnamese, for the years `years_to_confirm` names:
/// what is wrong and the commands that fix it. The digest and `doctor` show it.
pub fn unconfirmed_vi(years: &[i32]) -> Option<String> {
    let first = years.first()?;
    Some(format!(
        "lịch nghỉ lễ năm {} chưa được xác nhận trong tệp lịch: baocao đang dùng ngày lễ theo luật và tự tính nghỉ bù, \
         chưa có lịch nghỉ Tết, hoán đổi, làm bù của Chính phủ năm đó. Nhờ cán bộ CNTT nhập theo thông báo của Bộ Nội vụ: \
         baocao calendar add {first} --swap NGÀY_NGHỈ:NGÀY_LÀM_BÙ --source \"…\" (--day-off NGÀY --name \"…\" cho ngày \
         nghỉ thêm), rồi baocao calendar add {first} --confirm và systemctl reload baocao (README, mục Calendar file)",
        listed(years)
    ))
}

/// The same in a few words, for the service's status line and the web page.
pub fn unconfirmed_short_vi(years: &[i32]) -> Option<String> {
    let first = years.first()?;
    Some(format!(
        "lịch nghỉ lễ năm {} chưa được xác nhận, ngày nghỉ Tết và hoán đổi có thể chưa đúng: nhờ cán bộ CNTT \
         cập nhật tệp lịch (baocao calendar add {first} …)",
        listed(years)
    ))
}

fn listed(years: &[i32]) -> String {
    years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(" và ")
}

/// The name of the statutory day off on `date`, if it is one. The year's days are computed
/// once and remembered: planning asks about the same few years many times.
fn built_in_holiday(date: NaiveDate, compensate: bool, holidays: &[YearlyHoliday]) -> Option<String> {
    type Cache = HashMap<(i32, bool, Vec<YearlyHoliday>), BTreeMap<NaiveDate, String>>;
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let year = date.year();
    let added: Vec<YearlyHoliday> = holidays.iter().filter(|h| h.date_in(year).is_some()).cloned().collect();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    cache
        .entry((year, compensate, added))
        .or_insert_with_key(|(_, _, added)| built_in_days_off(year, compensate, added))
        .get(&date)
        .cloned()
}

/// The statutory days off of `year` with their names; with `compensate`, also the
/// compensatory days the law gives for holidays on a weekend. Once a year's government
/// decisions are in the calendar file, the file lists the compensatory days itself (the
/// government often places them elsewhere), so they are not computed. `holidays` are the
/// `[[holiday]]` entries of the file; they count like the built-in ones.
pub fn built_in_days_off(year: i32, compensate: bool, holidays: &[YearlyHoliday]) -> BTreeMap<NaiveDate, String> {
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
    for holiday in holidays {
        add(holiday.date_in(year), &holiday.name);
    }
    // One day off per date, even when a holiday of the file meets a built-in one.
    let mut seen = BTreeSet::new();
    days.retain(|(date, _)| seen.insert(*date));

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
    #[serde(default)]
    holiday: Vec<RawHoliday>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDay {
    date: toml::Spanned<String>,
    name: String,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawHoliday {
    /// `dd/mm`, every year.
    date: toml::Spanned<String>,
    from_year: toml::Spanned<i32>,
    name: toml::Spanned<String>,
    #[serde(default)]
    source: Option<String>,
}

/// The built-in holidays on a fixed day and month, (day, month).
const FIXED_BUILT_IN: [(u32, u32); 4] = [(1, 1), (30, 4), (1, 5), (2, 9)];

/// Reads a calendar file (format in README: `confirmed-years`, `[[day-off]]`,
/// `[[working-day]]` with dates as dd/mm/yyyy, `[[holiday]]` with dd/mm and `from-year`;
/// every entry may have a `source`).
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
    let source_of = |source: Option<String>| source.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let mut problems = Vec::new();
    // Where each date was first seen, to name both lines of a duplicate.
    let mut lines: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for (days, working) in [(raw.day_off, false), (raw.working_day, true)] {
        for day in days {
            let line = line_of(day.date.span().start);
            let Some(date) = crate::domain::dates::parse_date(day.date.get_ref()) else {
                problems.push(format!(
                    "dòng {line}: ngày `{}` không đúng dạng dd/mm/yyyy",
                    day.date.get_ref()
                ));
                continue;
            };
            if let Some(first) = lines.get(&date) {
                let what = if file.working_days.contains_key(&date) == working {
                    "đã có"
                } else {
                    "vừa là ngày nghỉ vừa là ngày làm việc: đã có"
                };
                problems.push(format!(
                    "dòng {line}: ngày {} {what} ở dòng {first}",
                    date.format("%d/%m/%Y")
                ));
                continue;
            }
            lines.insert(date, line);
            let target = if working {
                &mut file.working_days
            } else {
                &mut file.days_off
            };
            target.insert(date, day.name.trim().to_string());
            if let Some(source) = source_of(day.source) {
                file.sources.insert(date, source);
            }
        }
    }
    for holiday in raw.holiday {
        let line = line_of(holiday.date.span().start);
        let Some((day, month)) = day_and_month(holiday.date.get_ref()) else {
            problems.push(format!(
                "dòng {line}: ngày `{}` của [[holiday]] cần dạng dd/mm (ngày/tháng, lặp lại hằng năm), ví dụ \"24/11\"",
                holiday.date.get_ref()
            ));
            continue;
        };
        let from_year = *holiday.from_year.get_ref();
        let name = holiday.name.get_ref().trim().to_string();
        if FIXED_BUILT_IN.contains(&(day, month)) {
            problems.push(format!(
                "dòng {line}: ngày {day:02}/{month:02} đã là ngày lễ có sẵn trong baocao, không cần [[holiday]]"
            ));
        } else if file.holidays.iter().any(|h| (h.day, h.month) == (day, month)) {
            problems.push(format!("dòng {line}: [[holiday]] ngày {day:02}/{month:02} đã có"));
        } else if !(1900..=2199).contains(&from_year) {
            problems.push(format!(
                "dòng {}: from-year = {from_year} nằm ngoài khoảng 1900–2199",
                line_of(holiday.from_year.span().start)
            ));
        } else if name.is_empty() {
            problems.push(format!(
                "dòng {}: [[holiday]] cần tên (name), ví dụ \"Ngày Văn hóa Việt Nam\"",
                line_of(holiday.name.span().start)
            ));
        } else {
            file.holidays.push(YearlyHoliday {
                day,
                month,
                from_year,
                name,
                source: source_of(holiday.source),
            });
        }
    }
    if problems.is_empty() {
        Ok(file)
    } else {
        Err(CalendarFileError(problems.join("\n")))
    }
}

/// `24/11` → (24, 11): a day and month that exist every year (so not 29/02).
fn day_and_month(text: &str) -> Option<(u32, u32)> {
    let (day, month) = text.trim().split_once('/')?;
    let (day, month): (u32, u32) = (day.trim().parse().ok()?, month.trim().parse().ok()?);
    // 2023 is not a leap year: 29/02 does not pass.
    NaiveDate::from_ymd_opt(2023, month, day).map(|_| (day, month))
}

/// What a clerk should know about a deadline before saving it: it falls on a day off (and
/// which working day follows), or it has passed. baocao keeps the deadline as written.
pub fn deadline_warnings_vi(
    deadline: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
    calendar: &WorkingCalendar,
    zone: chrono_tz::Tz,
) -> Vec<String> {
    use crate::domain::dates::{format_date, weekday_vi, weekend_day};
    let mut warnings = Vec::new();
    let deadline_day = deadline.with_timezone(&zone).date_naive();
    let kind = calendar.day(deadline_day);
    if !kind.is_working() {
        let date = format_date(deadline_day);
        let why = match (&kind, weekend_day(deadline, zone)) {
            (DayKind::Holiday(name), _) => format!("{date}, ngày nghỉ {name}"),
            (_, Some(day)) => format!("{} ({date}), ngày nghỉ", weekday_vi(day)),
            _ => format!("{date}, ngày nghỉ"),
        };
        let next = calendar
            .next_working_day(deadline_day)
            .map(|d| {
                format!(
                    "; ngày làm việc kế tiếp là {} {}",
                    weekday_vi(d.weekday()),
                    format_date(d)
                )
            })
            .unwrap_or_default();
        warnings.push(format!(
            "hạn báo cáo rơi vào {why}{next}; baocao giữ nguyên hạn này, không tự dời"
        ));
    }
    if deadline <= now {
        warnings.push("hạn báo cáo đã qua".to_string());
    }
    warnings
}

#[cfg(test)]
mod tests;
