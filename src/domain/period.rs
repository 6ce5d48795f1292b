//! Periodic reports (báo cáo định kỳ): the periods a series reports on, their Vietnamese
//! labels, the data cut-off of Nghị định 09/2019/NĐ-CP, the deadline rules a directive writes
//! ("ngày 15 của tháng cuối kỳ", "ngày 5 tháng sau kỳ", "3 ngày làm việc sau ngày chốt số
//! liệu") and the instance of one period: its deadline on the working calendar and when it
//! is created. [`mention`] reads the periods a reply names ("quý IV", "T11", "HK1").
//!
//! Pure code: the calendar and the zone are passed in, the clock is never read.

pub mod mention;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::calendar::WorkingCalendar;
use super::dates::local_to_utc;

/// How often a series reports. Nghị định 09/2019/NĐ-CP, Điều 12 names the month, quarter,
/// 6-month, 9-month and year reports; schools report by school year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeriodKind {
    Month,
    Quarter,
    /// "6 tháng đầu năm" (index 1); "6 tháng cuối năm" is index 2.
    HalfYear,
    /// "9 tháng đầu năm".
    NineMonths,
    Year,
    /// A point of the school year: 1 đầu năm học, 2 học kỳ I, 3 cuối năm học (học kỳ II).
    SchoolYear,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 6] = [
        PeriodKind::Month,
        PeriodKind::Quarter,
        PeriodKind::HalfYear,
        PeriodKind::NineMonths,
        PeriodKind::Year,
        PeriodKind::SchoolYear,
    ];

    /// The name in the configuration and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "thang",
            PeriodKind::Quarter => "quy",
            PeriodKind::HalfYear => "6-thang",
            PeriodKind::NineMonths => "9-thang",
            PeriodKind::Year => "nam",
            PeriodKind::SchoolYear => "nam-hoc",
        }
    }

    /// Reads `thang`, `tháng`, `quý`, `6-thang`, `6 tháng`, `nam-hoc`, … (and the English
    /// `month`, `quarter`, `half-year`, `nine-months`, `year`, `school-year`).
    pub fn parse(text: &str) -> Option<PeriodKind> {
        let key: String = super::matching::search_key(text).replace([' ', '_'], "-");
        Some(match key.as_str() {
            "thang" | "hang-thang" | "month" | "monthly" => PeriodKind::Month,
            "quy" | "hang-quy" | "quarter" | "quarterly" => PeriodKind::Quarter,
            "6-thang" | "sau-thang" | "half-year" => PeriodKind::HalfYear,
            "9-thang" | "chin-thang" | "nine-months" => PeriodKind::NineMonths,
            "nam" | "hang-nam" | "year" | "yearly" => PeriodKind::Year,
            "nam-hoc" | "hoc-ky" | "school-year" => PeriodKind::SchoolYear,
            _ => return None,
        })
    }

    /// "hằng tháng", "hằng quý", …
    pub fn label_vi(self) -> &'static str {
        match self {
            PeriodKind::Month => "hằng tháng",
            PeriodKind::Quarter => "hằng quý",
            PeriodKind::HalfYear => "6 tháng",
            PeriodKind::NineMonths => "9 tháng",
            PeriodKind::Year => "hằng năm",
            PeriodKind::SchoolYear => "theo năm học",
        }
    }

    /// The indexes of a year's periods of this kind that a series of it reports on.
    fn indexes(self) -> std::ops::RangeInclusive<u8> {
        match self {
            PeriodKind::Month => 1..=12,
            PeriodKind::Quarter => 1..=4,
            PeriodKind::HalfYear | PeriodKind::NineMonths | PeriodKind::Year => 1..=1,
            PeriodKind::SchoolYear => 1..=3,
        }
    }

    /// Whether `index` names a period of this kind (a mention may name `6 tháng cuối năm`,
    /// which no series of ours reports on).
    fn valid_index(self, index: u8) -> bool {
        match self {
            PeriodKind::HalfYear => matches!(index, 1 | 2),
            _ => self.indexes().contains(&index),
        }
    }
}

/// One period: a month, a quarter, … of a year; for the school year, `year` is the year the
/// school year starts (2026 for "năm học 2026–2027").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Period {
    pub kind: PeriodKind,
    pub year: i32,
    pub index: u8,
}

/// Roman numerals as công văn write quarters and terms.
const ROMAN: [&str; 5] = ["", "I", "II", "III", "IV"];

impl Period {
    pub fn new(kind: PeriodKind, year: i32, index: u8) -> Option<Period> {
        (kind.valid_index(index) && (1900..=9998).contains(&year)).then_some(Period { kind, year, index })
    }

    /// The key stored with an instance and typed on the command line: `2026-11`, `2026-Q4`,
    /// `2026-H1`, `2026-9T`, `2026`, `2026-2027-HK1`.
    pub fn key(&self) -> String {
        let year = self.year;
        match self.kind {
            PeriodKind::Month => format!("{year}-{:02}", self.index),
            PeriodKind::Quarter => format!("{year}-Q{}", self.index),
            PeriodKind::HalfYear => format!("{year}-H{}", self.index),
            PeriodKind::NineMonths => format!("{year}-9T"),
            PeriodKind::Year => format!("{year}"),
            PeriodKind::SchoolYear => format!("{year}-{}-{}", year + 1, SCHOOL_KEYS[usize::from(self.index)]),
        }
    }

    /// Reads a [`Period::key`] of the given kind, or what a clerk writes for it ("Quý IV/2026",
    /// "11/2026", "T11/2026", "HK1 2026-2027"), through the mention reader.
    pub fn parse(kind: PeriodKind, text: &str) -> Option<Period> {
        let text = text.trim();
        if kind == PeriodKind::Month
            && let Some((month, year)) = text.split_once(['/', '-'])
            && let (Ok(a), Ok(b)) = (month.trim().parse::<i32>(), year.trim().parse::<i32>())
        {
            // `11/2026` and `2026-11`.
            let (year, month) = if a > 12 { (a, b) } else { (b, a) };
            return u8::try_from(month).ok().and_then(|m| Period::new(kind, year, m));
        }
        if kind == PeriodKind::Year {
            // `2026`, "Năm 2026".
            let digits = text.trim_start_matches(|c: char| !c.is_ascii_digit());
            return digits.parse::<i32>().ok().and_then(|year| Period::new(kind, year, 1));
        }
        let upper = text.to_ascii_uppercase();
        if let Some((year, rest)) = upper.split_once('-')
            && let Ok(year) = year.parse::<i32>()
        {
            let index = match (kind, rest) {
                (PeriodKind::Quarter, r) => r.strip_prefix('Q').and_then(|i| i.parse().ok()),
                (PeriodKind::HalfYear, r) => r.strip_prefix('H').and_then(|i| i.parse().ok()),
                (PeriodKind::NineMonths, "9T") => Some(1),
                (PeriodKind::SchoolYear, r) => {
                    let point = r.rsplit('-').next().unwrap_or_default();
                    SCHOOL_KEYS
                        .iter()
                        .position(|k| *k == point)
                        .and_then(|i| u8::try_from(i).ok())
                }
                _ => None,
            };
            if let Some(period) = index.and_then(|i| Period::new(kind, year, i)) {
                return Some(period);
            }
        }
        mention::mentions(text)
            .into_iter()
            .find(|m| m.kind == kind && m.year.is_some())
            .and_then(|m| Period::new(kind, m.year.unwrap_or_default(), m.index))
    }

    /// "Tháng 11/2026", "Quý IV/2026", "6 tháng đầu năm 2026", "9 tháng đầu năm 2026",
    /// "Năm 2026", "Học kỳ I năm học 2026–2027".
    pub fn label_vi(&self) -> String {
        let year = self.year;
        let roman = ROMAN.get(usize::from(self.index)).copied().unwrap_or_default();
        match self.kind {
            PeriodKind::Month => format!("Tháng {}/{year}", self.index),
            PeriodKind::Quarter => format!("Quý {roman}/{year}"),
            PeriodKind::HalfYear if self.index == 2 => format!("6 tháng cuối năm {year}"),
            PeriodKind::HalfYear => format!("6 tháng đầu năm {year}"),
            PeriodKind::NineMonths => format!("9 tháng đầu năm {year}"),
            PeriodKind::Year => format!("Năm {year}"),
            PeriodKind::SchoolYear => {
                let point = SCHOOL_LABELS[usize::from(self.index)];
                format!("{point} {year}–{}", year + 1)
            }
        }
    }

    /// A short heading for a table column: "T11/26", "Q4/26", "6T/26", "9T/26", "2026",
    /// "ĐN 26–27", "HK1 26–27", "CN 26–27".
    pub fn short_label(&self) -> String {
        let yy = self.year.rem_euclid(100);
        match self.kind {
            PeriodKind::Month => format!("T{}/{yy:02}", self.index),
            PeriodKind::Quarter => format!("Q{}/{yy:02}", self.index),
            PeriodKind::HalfYear if self.index == 2 => format!("6T2/{yy:02}"),
            PeriodKind::HalfYear => format!("6T/{yy:02}"),
            PeriodKind::NineMonths => format!("9T/{yy:02}"),
            PeriodKind::Year => self.year.to_string(),
            PeriodKind::SchoolYear => {
                let point = ["", "ĐN", "HK1", "CN"][usize::from(self.index.min(3))];
                format!("{point} {yy:02}–{:02}", (self.year + 1).rem_euclid(100))
            }
        }
    }

    /// The period after this one among those a series of its kind reports on.
    pub fn next(&self) -> Period {
        let last = *self.kind.indexes().end();
        if self.index >= last {
            Period {
                year: self.year + 1,
                index: *self.kind.indexes().start(),
                ..*self
            }
        } else {
            Period {
                index: self.index + 1,
                ..*self
            }
        }
    }

    /// The period's first month (year, month); for the school year, the month it starts.
    fn first_month(&self, school: &SchoolDates) -> (i32, u32) {
        let year = self.year;
        let index = u32::from(self.index);
        match self.kind {
            PeriodKind::Month => (year, index),
            PeriodKind::Quarter => (year, index * 3 - 2),
            PeriodKind::HalfYear => (year, if index == 2 { 7 } else { 1 }),
            PeriodKind::NineMonths | PeriodKind::Year => (year, 1),
            // Each point's report counts from the start of the school year: "sơ kết học
            // kỳ I" and "tổng kết năm học" cover the year so far.
            PeriodKind::SchoolYear => (year, school.start_month),
        }
    }

    /// The period's last month (year, month).
    fn last_month(&self, school: &SchoolDates) -> (i32, u32) {
        let year = self.year;
        match self.kind {
            PeriodKind::Month => (year, u32::from(self.index)),
            PeriodKind::Quarter => (year, u32::from(self.index) * 3),
            PeriodKind::HalfYear => (year, if self.index == 2 { 12 } else { 6 }),
            PeriodKind::NineMonths => (year, 9),
            PeriodKind::Year => (year, 12),
            PeriodKind::SchoolYear => {
                let end = school.end_of(*self);
                (end.year(), end.month())
            }
        }
    }

    /// The first day of the period as the calendar counts it: a reply received before it
    /// cannot be for it, and a period named without its year is the latest one begun.
    pub fn starts_on(&self, school: &SchoolDates) -> NaiveDate {
        let (year, month) = self.first_month(school);
        NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default()
    }
}

const SCHOOL_KEYS: [&str; 4] = ["", "DN", "HK1", "CN"];
const SCHOOL_LABELS: [&str; 4] = ["", "Đầu năm học", "Học kỳ I năm học", "Cuối năm học"];

/// Where each point of the school year ends (its data are counted up to that day), as
/// day and month; configurable per series because each Sở sets its own school calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SchoolDates {
    /// The month the school year starts (its data for "đầu năm học" begin then).
    pub start_month: u32,
    /// (day, month) of the end of each point: đầu năm học, học kỳ I, cuối năm học.
    pub ends: [(u32, u32); 3],
}

impl Default for SchoolDates {
    /// The usual school calendar of the Bộ Giáo dục và Đào tạo's yearly decision on the
    /// school year's timetable (e.g. Quyết định 2045/QĐ-BGDĐT ngày 28/7/2025): the year
    /// opens in September, học kỳ I ends by mid-January, the year ends by 31 May. Start-of-
    /// year statistics are taken at the end of September.
    fn default() -> Self {
        SchoolDates {
            start_month: 9,
            ends: [(30, 9), (15, 1), (31, 5)],
        }
    }
}

impl SchoolDates {
    /// Reads `30/09,15/01,31/05`: where đầu năm học, học kỳ I and cuối năm học end.
    pub fn parse(text: &str) -> Result<SchoolDates, String> {
        let refuse = || {
            format!(
                "không hiểu mốc năm học `{}`: ghi ba ngày kết thúc đầu năm học, học kỳ I, cuối năm học, ví dụ 30/09,15/01,31/05",
                text.trim()
            )
        };
        let mut ends = [(0, 0); 3];
        let parts: Vec<&str> = text.split([',', ';']).map(str::trim).collect();
        if parts.len() != 3 {
            return Err(refuse());
        }
        for (slot, part) in ends.iter_mut().zip(&parts) {
            let (day, month) = part.split_once('/').ok_or_else(refuse)?;
            let (day, month): (u32, u32) = (
                day.trim().parse().map_err(|_| refuse())?,
                month.trim().parse().map_err(|_| refuse())?,
            );
            if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
                return Err(refuse());
            }
            *slot = (day, month);
        }
        Ok(SchoolDates {
            ends,
            ..SchoolDates::default()
        })
    }

    /// The form [`SchoolDates::parse`] reads.
    pub fn to_text(&self) -> String {
        self.ends
            .iter()
            .map(|(d, m)| format!("{d:02}/{m:02}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The last day of a school-year point: in the start year for months from the start
    /// month on, in the next calendar year otherwise.
    pub fn end_of(&self, period: Period) -> NaiveDate {
        let (day, month) = self.ends[usize::from(period.index.clamp(1, 3)) - 1];
        let year = if month >= self.start_month.min(8) {
            period.year
        } else {
            period.year + 1
        };
        clamped_date(year, month, day)
    }
}

/// Day `day` of a month, or the month's last day when it has fewer (31 → 30/4, 28/2).
fn clamped_date(year: i32, month: u32, day: u32) -> NaiveDate {
    let last = last_day_of_month(year, month);
    NaiveDate::from_ymd_opt(year, month, day.clamp(1, last)).unwrap_or_default()
}

fn last_day_of_month(year: i32, month: u32) -> u32 {
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day())
}

fn add_months((year, month): (i32, u32), delta: i32) -> (i32, u32) {
    let zero_based = year * 12 + month as i32 - 1 + delta;
    (zero_based.div_euclid(12), zero_based.rem_euclid(12) as u32 + 1)
}

/// Where a period's data end: Nghị định 09/2019/NĐ-CP, Điều 12 (thời gian chốt số liệu),
/// counts a month's report from the 15th of the month before to the 14th of the month, and
/// likewise the quarter, 6 months, 9 months and year (from 15/12 of the year before); a
/// series may count to the period's calendar end instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "day")]
pub enum CutOff {
    /// Data up to day N of the period's last month (Nghị định 09/2019: N = 14).
    DayOfLastMonth(u32),
    /// Data up to the period's last day.
    EndOfPeriod,
}

impl Default for CutOff {
    fn default() -> Self {
        CutOff::DayOfLastMonth(14)
    }
}

impl CutOff {
    /// The form [`CutOff::parse`] reads.
    pub fn to_text(&self) -> String {
        match self {
            CutOff::DayOfLastMonth(day) => day.to_string(),
            CutOff::EndOfPeriod => "cuoi-ky".to_string(),
        }
    }

    /// `14` (day of the last month) or `cuoi-ky` / `cuối kỳ`.
    pub fn parse(text: &str) -> Option<CutOff> {
        let key = super::matching::search_key(text);
        if matches!(key.as_str(), "cuoi ky" | "cuoi-ky" | "end") {
            return Some(CutOff::EndOfPeriod);
        }
        let day: u32 = key.trim_start_matches("ngay").trim().parse().ok()?;
        (1..=31).contains(&day).then_some(CutOff::DayOfLastMonth(day))
    }

    pub fn describe_vi(&self) -> String {
        match self {
            CutOff::DayOfLastMonth(day) if *day < 28 => format!(
                "số liệu từ ngày {} tháng trước kỳ đến ngày {day} tháng cuối kỳ",
                day + 1
            ),
            CutOff::DayOfLastMonth(day) => format!(
                "số liệu từ sau ngày chốt của kỳ trước đến ngày {day} tháng cuối kỳ (tháng ngắn hơn: ngày cuối tháng)"
            ),
            CutOff::EndOfPeriod => "số liệu đến hết ngày cuối kỳ".to_string(),
        }
    }
}

/// The span of days whose data a period's report counts (thời gian chốt số liệu).
pub fn data_span(period: Period, cut_off: CutOff, school: &SchoolDates) -> (NaiveDate, NaiveDate) {
    if period.kind == PeriodKind::SchoolYear {
        let end = school.end_of(period);
        return (period.starts_on(school), end);
    }
    let first = period.first_month(school);
    let last = period.last_month(school);
    match cut_off {
        CutOff::DayOfLastMonth(day) => {
            // The day after the period before closed its data (15/12 of the year before for
            // the year-long spans of Điều 12); with a cut-off of 28–31 in a short month, the
            // periods still meet without a gap or an overlap.
            let (year, month) = add_months(first, -1);
            let previous_end = clamped_date(year, month, day);
            (
                previous_end.succ_opt().unwrap_or(previous_end),
                clamped_date(last.0, last.1, day),
            )
        }
        CutOff::EndOfPeriod => (
            NaiveDate::from_ymd_opt(first.0, first.1, 1).unwrap_or_default(),
            clamped_date(last.0, last.1, 31),
        ),
    }
}

/// When a period's report is due, as a directive writes it for a periodic report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "n")]
pub enum DeadlineRule {
    /// "ngày N của tháng cuối kỳ".
    DayOfLastMonth(u32),
    /// "ngày N của tháng sau kỳ báo cáo".
    DayOfNextMonth(u32),
    /// "N ngày làm việc sau ngày chốt số liệu".
    WorkingDaysAfterCutOff(u32),
    /// "ngày N hằng tháng": the first day N after the data cut-off (a monthly report cut off
    /// on the 14th is due on the 20th of the same month, or on the 5th of the next).
    DayAfterCutOff(u32),
}

/// What happens when a rule lands on a day off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnDayOff {
    /// Bộ luật Dân sự 2015, Điều 148 khoản 5: a time limit ending on a day off ends at the
    /// end of the next working day.
    #[default]
    NextWorkingDay,
    /// The directive asks for the report before the break.
    PreviousWorkingDay,
    /// The directive's date stands even on a day off (the clerk is warned).
    Keep,
}

impl OnDayOff {
    pub fn parse(text: &str) -> Option<OnDayOff> {
        match super::matching::search_key(text).replace(' ', "-").as_str() {
            "sau" | "lui" | "next" | "ngay-lam-viec-sau" => Some(OnDayOff::NextWorkingDay),
            "truoc" | "som" | "previous" | "ngay-lam-viec-truoc" => Some(OnDayOff::PreviousWorkingDay),
            "giu" | "giu-nguyen" | "keep" => Some(OnDayOff::Keep),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OnDayOff::NextWorkingDay => "sau",
            OnDayOff::PreviousWorkingDay => "truoc",
            OnDayOff::Keep => "giu",
        }
    }

    pub fn describe_vi(self) -> &'static str {
        match self {
            OnDayOff::NextWorkingDay => {
                "hạn rơi vào ngày nghỉ thì lùi đến hết ngày làm việc tiếp theo (Bộ luật Dân sự 2015, Điều 148)"
            }
            OnDayOff::PreviousWorkingDay => "hạn rơi vào ngày nghỉ thì chuyển về ngày làm việc liền trước",
            OnDayOff::Keep => "giữ nguyên hạn dù rơi vào ngày nghỉ",
        }
    }
}

/// A deadline rule with its hour (none: to the end of the day) and day-off handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeadlineSpec {
    pub rule: DeadlineRule,
    pub at: Option<NaiveTime>,
    pub on_day_off: OnDayOff,
    /// "trước ngày N …" without an hour: the end of the day before, as for a single request
    /// ([`crate::domain::dates::DeadlineReading::BeforeDay`]).
    pub before_day: bool,
}

/// Why a deadline rule could not be read, with the forms that are.
pub const RULE_FORMS_VI: &str = "\"ngày 15 tháng cuối kỳ\", \"ngày 5 tháng sau kỳ\" (hoặc \"ngày 5 tháng đầu quý sau\"), \
     \"ngày 5 hằng tháng\", \"3 ngày làm việc sau ngày chốt số liệu\", mỗi dạng có thể thêm giờ: \"trước 17h00 ngày 5 tháng sau kỳ\"";

impl DeadlineSpec {
    /// Reads the rule as a directive writes it: "ngày 15 của tháng cuối kỳ", "chậm nhất ngày
    /// 05 tháng sau kỳ báo cáo", "trước 17h00 ngày 20 tháng cuối quý", "03 ngày làm việc sau
    /// ngày chốt số liệu", with or without diacritics.
    pub fn parse(text: &str, on_day_off: OnDayOff) -> Result<DeadlineSpec, String> {
        let key = super::matching::search_key(text).replace([',', '(', ')'], " ");
        let words: Vec<&str> = key.split_whitespace().collect();
        let refuse = || format!("không hiểu quy tắc hạn `{}`; viết như: {RULE_FORMS_VI}", text.trim());
        let mut at = None;
        let mut rule = None;
        let mut i = 0;
        while i < words.len() {
            let word = words[i];
            if let Some(time) = read_hour(word, words.get(i + 1).copied()) {
                at = Some(time.0);
                i += time.1;
                continue;
            }
            let number = |w: Option<&&str>| w.and_then(|w| w.parse::<u32>().ok());
            if word == "ngay"
                && let Some(day) = number(words.get(i + 1))
            {
                let rest = &words[i + 2..];
                let rest: Vec<&str> = rest
                    .iter()
                    .copied()
                    .filter(|w| !matches!(*w, "cua" | "thuoc"))
                    .collect();
                let next_word = |w: &&str| matches!(*w, "sau" | "tiep" | "ke");
                // "ngày 5 hằng tháng" (hàng tháng, hằng quý, …): the first 5th after the cut-off.
                if matches!(rest.first(), Some(&"hang") | Some(&"moi"))
                    && matches!(rest.get(1), Some(&"thang") | Some(&"quy") | Some(&"nam") | Some(&"ky"))
                    && (1..=31).contains(&day)
                {
                    rule = Some(DeadlineRule::DayAfterCutOff(day));
                    break;
                }
                if rest.first() == Some(&"thang") {
                    let which = rest.get(1).copied().unwrap_or_default();
                    // "tháng đầu quý sau", "tháng đầu của kỳ tiếp theo": the month after the period.
                    let after = next_word(&which) || (which == "dau" && rest.iter().skip(2).take(3).any(next_word));
                    let last = matches!(which, "cuoi");
                    if (after || last) && (1..=31).contains(&day) {
                        rule = Some(if after {
                            DeadlineRule::DayOfNextMonth(day)
                        } else {
                            DeadlineRule::DayOfLastMonth(day)
                        });
                        break;
                    }
                }
                return Err(refuse());
            }
            if let Ok(days) = word.parse::<u32>()
                && words.get(i + 1) == Some(&"ngay")
                && words.get(i + 2) == Some(&"lam")
                && words.get(i + 3) == Some(&"viec")
                && words[i + 4..].contains(&"chot")
                && (1..=60).contains(&days)
            {
                rule = Some(DeadlineRule::WorkingDaysAfterCutOff(days));
                break;
            }
            i += 1;
        }
        // An hour may follow the rule: "ngày 5 tháng sau kỳ, trước 17 giờ".
        if at.is_none() {
            for (i, word) in words.iter().enumerate() {
                if let Some((time, _)) = read_hour(word, words.get(i + 1).copied()) {
                    at = Some(time);
                }
            }
        }
        // "trước ngày 20 …": by the end of the 19th; "trước 17h00 ngày 20 …" is the 20th at 17:00.
        let before_day = at.is_none() && words.windows(2).any(|w| w == ["truoc", "ngay"]);
        rule.map(|rule| DeadlineSpec {
            rule,
            at,
            on_day_off,
            before_day,
        })
        .ok_or_else(refuse)
    }

    /// "ngày 15 của tháng cuối kỳ", "trước 17:00 ngày 5 của tháng sau kỳ", …
    pub fn describe_vi(&self) -> String {
        let rule = match self.rule {
            DeadlineRule::DayOfLastMonth(day) => format!("ngày {day} của tháng cuối kỳ"),
            DeadlineRule::DayOfNextMonth(day) => format!("ngày {day} của tháng sau kỳ"),
            DeadlineRule::WorkingDaysAfterCutOff(n) => format!("{n} ngày làm việc sau ngày chốt số liệu"),
            DeadlineRule::DayAfterCutOff(day) => {
                format!("ngày {day} hằng tháng (ngày {day} đầu tiên sau ngày chốt số liệu)")
            }
        };
        match self.at {
            Some(at) => format!("trước {} {rule}", at.format("%H:%M")),
            None if self.before_day => format!("trước {rule} (hết ngày hôm trước)"),
            None => format!("hết {rule}"),
        }
    }
}

/// `17h00`, `17h`, `17:00`, `17 gio` (then the next word may be `00`): the time and how many
/// words it used.
fn read_hour(word: &str, next: Option<&str>) -> Option<(NaiveTime, usize)> {
    let (hour, minute, used) = if let Some((h, m)) = word.split_once(['h', ':']) {
        let minute = if m.is_empty() { Some(0) } else { m.parse().ok() };
        (h.parse::<u32>().ok()?, minute?, 1)
    } else if next == Some("gio") {
        (word.parse::<u32>().ok()?, 0, 2)
    } else {
        return None;
    };
    NaiveTime::from_hms_opt(hour, minute, 0).map(|t| (t, used))
}

/// One period of a series as it will be (or was) created: the label units read, the data
/// span, the deadline on the working calendar and why it moved, and when it is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instance {
    pub period: Period,
    pub key: String,
    pub label: String,
    pub data_from: NaiveDate,
    pub data_to: NaiveDate,
    /// The day the rule gives, before any move for a day off.
    pub rule_date: NaiveDate,
    pub deadline: DateTime<Utc>,
    /// Why the deadline is not on `rule_date` (a day off, a short month), in Vietnamese.
    pub moved: Option<String>,
    /// The deadline as the units read it: "trước 17h00 ngày 05/12/2026", "hết ngày 15/12/2026".
    pub wording: String,
    /// When the daemon creates and activates it: `lead_days` before the deadline.
    pub create_at: DateTime<Utc>,
    /// Set when no working day is left between creation and the deadline.
    pub warning: Option<String>,
}

/// Said when no working day is left between `from` (when a period is made) and its
/// deadline: the period is made anyway, and the clerk is told why the units may get nothing
/// before it.
pub fn no_working_day_left(
    from: DateTime<Utc>,
    deadline: DateTime<Utc>,
    calendar: &WorkingCalendar,
    zone: Tz,
) -> Option<String> {
    let first = from.with_timezone(&zone).date_naive();
    let last = deadline.with_timezone(&zone).date_naive();
    let any = first
        .iter_days()
        .take_while(|d| *d <= last)
        .any(|d| calendar.is_working_day(d));
    (!any).then(|| {
        format!(
            "không còn ngày làm việc nào từ khi tạo ({}) đến hạn ({}): vẫn tạo kỳ báo cáo; thư thông báo chờ giờ gửi kế tiếp, có thể sau hạn",
            first.format("%d/%m/%Y"),
            last.format("%d/%m/%Y")
        )
    })
}

/// What a series needs to compute its instances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub kind: PeriodKind,
    pub cut_off: CutOff,
    pub deadline: DeadlineSpec,
    pub school: SchoolDates,
    /// Days before the deadline the instance is created and its notice goes.
    pub lead_days: u32,
}

impl Schedule {
    /// The instance of one period.
    pub fn instance(&self, period: Period, calendar: &WorkingCalendar, zone: Tz) -> Instance {
        let (data_from, data_to) = data_span(period, self.cut_off, &self.school);
        let last = period.last_month(&self.school);
        let mut notes: Vec<String> = Vec::new();
        let rule_date = match self.deadline.rule {
            DeadlineRule::DayOfLastMonth(day) | DeadlineRule::DayOfNextMonth(day) => {
                let (year, month) = match self.deadline.rule {
                    DeadlineRule::DayOfNextMonth(_) => add_months(last, 1),
                    _ => last,
                };
                let date = clamped_date(year, month, day);
                if date.day() != day {
                    notes.push(format!("tháng {month}/{year} không có ngày {day}: lấy ngày cuối tháng"));
                }
                date
            }
            DeadlineRule::WorkingDaysAfterCutOff(n) => {
                let mut date = data_to;
                let mut counted = 0;
                while counted < n {
                    match date.succ_opt() {
                        Some(next) => date = next,
                        None => break,
                    }
                    if calendar.is_working_day(date) {
                        counted += 1;
                    }
                }
                date
            }
            DeadlineRule::DayAfterCutOff(day) => {
                let mut month = (data_to.year(), data_to.month());
                loop {
                    let date = clamped_date(month.0, month.1, day);
                    if date > data_to {
                        if date.day() != day {
                            notes.push(format!(
                                "tháng {}/{} không có ngày {day}: lấy ngày cuối tháng",
                                month.1, month.0
                            ));
                        }
                        break date;
                    }
                    month = add_months(month, 1);
                }
            }
        };
        // "trước ngày N": the last day is the day before.
        let rule_date = if self.deadline.before_day {
            rule_date.pred_opt().unwrap_or(rule_date)
        } else {
            rule_date
        };
        let mut date = rule_date;
        if !calendar.is_working_day(rule_date) {
            let why = match calendar.day(rule_date) {
                // Inside a sentence: "là nghỉ bù Tết Nguyên đán", "là ngày Chiến thắng (30/4)".
                super::calendar::DayKind::Holiday(name) => {
                    let mut chars = name.chars();
                    chars
                        .next()
                        .map_or(String::new(), |c| c.to_lowercase().chain(chars).collect())
                }
                _ => "ngày nghỉ cuối tuần".to_string(),
            };
            let moved_to = match self.deadline.on_day_off {
                OnDayOff::NextWorkingDay => calendar.next_working_day(rule_date),
                OnDayOff::PreviousWorkingDay => rule_date
                    .iter_days()
                    .rev()
                    .take(366)
                    .find(|d| calendar.is_working_day(*d)),
                OnDayOff::Keep => None,
            };
            match moved_to {
                Some(to) => {
                    notes.push(format!(
                        "ngày {} là {why}; {}: hạn là ngày {}",
                        rule_date.format("%d/%m/%Y"),
                        self.deadline.on_day_off.describe_vi(),
                        to.format("%d/%m/%Y")
                    ));
                    date = to;
                }
                None => notes.push(format!(
                    "ngày {} là {why}; giữ nguyên hạn theo văn bản",
                    rule_date.format("%d/%m/%Y")
                )),
            }
        }
        let time = self
            .deadline
            .at
            .unwrap_or_else(|| NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default());
        let deadline = local_to_utc(date.and_time(time), zone).unwrap_or_else(|| date.and_time(time).and_utc());
        let wording = match self.deadline.at {
            Some(at) => format!("trước {} ngày {}", at.format("%Hh%M"), date.format("%d/%m/%Y")),
            // As the directive writes it: "trước ngày 20/12/2026" when nothing moved it.
            None if self.deadline.before_day && date == rule_date => date.succ_opt().map_or_else(
                || format!("chậm nhất ngày {}", date.format("%d/%m/%Y")),
                |d| format!("trước ngày {}", d.format("%d/%m/%Y")),
            ),
            None => format!("chậm nhất ngày {}", date.format("%d/%m/%Y")),
        };
        let create_at = deadline - Duration::days(i64::from(self.lead_days));
        let warning = no_working_day_left(create_at, deadline, calendar, zone);
        Instance {
            period,
            key: period.key(),
            label: period.label_vi(),
            data_from,
            data_to,
            rule_date,
            deadline,
            moved: (!notes.is_empty()).then(|| notes.join("; ")),
            wording,
            create_at,
            warning,
        }
    }

    /// The instances of the periods of `year` (for the school year, the school year that
    /// starts in it), in order, from `first` (the series' first period) on.
    pub fn year_plan(&self, year: i32, first: Period, calendar: &WorkingCalendar, zone: Tz) -> Vec<Instance> {
        self.kind
            .indexes()
            .filter_map(|index| Period::new(self.kind, year, index))
            .filter(|p| *p >= first)
            .map(|p| self.instance(p, calendar, zone))
            .collect()
    }

    /// The periods to create at `now`, from `first` (or the one after `last_created`):
    /// every period whose creation time has come, up to `until` when the series is closed.
    pub fn due_periods(
        &self,
        first: Period,
        last_created: Option<Period>,
        now: DateTime<Utc>,
        calendar: &WorkingCalendar,
        zone: Tz,
    ) -> Vec<Instance> {
        let mut period = match last_created {
            Some(last) if last >= first => last.next(),
            _ => first,
        };
        let mut due = Vec::new();
        // Bounded: ten years of months after a long stop is still a finite list.
        for _ in 0..120 {
            let instance = self.instance(period, calendar, zone);
            if instance.create_at > now {
                break;
            }
            due.push(instance);
            period = period.next();
        }
        due
    }

    /// The first period whose deadline comes after `now`: where a new series starts.
    pub fn first_open_period(&self, now: DateTime<Utc>, calendar: &WorkingCalendar, zone: Tz) -> Period {
        let year = now.with_timezone(&zone).year();
        let mut period = Period::new(self.kind, year - 1, *self.kind.indexes().start()).unwrap_or(Period {
            kind: self.kind,
            year,
            index: 1,
        });
        for _ in 0..64 {
            if self.instance(period, calendar, zone).deadline > now {
                break;
            }
            period = period.next();
        }
        period
    }
}
