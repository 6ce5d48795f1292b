//! Dates and instants as Vietnamese offices write them: parsing a deadline typed by a clerk
//! (`31/12/2023`, `31/12/2023 17:00`, `17h00 ngày 31/12/2023`, `trước ngày 31/12/2023`,
//! RFC 3339) in the office's time zone, and printing instants as `dd/mm/yyyy lúc HH:MM`.
//!
//! Pure code: the time zone is passed in, the clock is never read. Working days and
//! holidays are not decided here.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

/// How a typed deadline was understood, so the clerk can see which reading was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineReading {
    /// A date and a time were given.
    AtTime,
    /// A bare date, or "đến hết ngày D" / "chậm nhất ngày D": the end of that day.
    EndOfDay,
    /// "trước ngày D": the end of the day before D.
    BeforeDay,
    /// "trong tháng M/YYYY": the end of the month's last day.
    EndOfMonth,
}

impl DeadlineReading {
    /// The sentence shown to the clerk after the deadline.
    pub fn explain_vi(self) -> &'static str {
        match self {
            DeadlineReading::AtTime => "đúng giờ đã ghi",
            DeadlineReading::EndOfDay => "đến hết ngày đã ghi",
            DeadlineReading::BeforeDay => "\"trước ngày\": hết ngày hôm trước",
            DeadlineReading::EndOfMonth => "\"trong tháng\": hết ngày cuối tháng",
        }
    }
}

/// A deadline as understood: the instant (UTC) and how it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedDeadline {
    pub instant: DateTime<Utc>,
    pub reading: DeadlineReading,
}

/// Why a date could not be read; the text is for the clerk, with three forms that are read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "không hiểu thời điểm `{input}`: {why}. Ví dụ baocao đọc được: \"trước 17h00 ngày 15/01/2024\", \
     \"chậm nhất ngày 20/12/2023\", \"trước ngày 20 tháng 12 năm 2023\""
)]
pub struct DateError {
    pub input: String,
    pub why: String,
}

/// Reads a deadline as clerks type it and công văn write it, in the office's time zone:
/// `31/12/2023`, `17h00 ngày 31/12/2023`, `trước 17 giờ 00 ngày 15/01/2024`, `16 giờ 30 phút,
/// ngày 05/6/2024`, `trước 15 giờ chiều ngày …`, `chậm nhất (vào) ngày …`, `hạn chót …`,
/// `đến hết ngày …`, `trong ngày …`, `trước ngày 20 tháng 12 năm 2023`, `trong tháng 12/2023`
/// (end of the month), `thứ Sáu, ngày 15/12/2023` (the weekday is checked), RFC 3339.
/// Periodic wordings (`hằng năm`, `định kỳ hằng tháng`) are refused with what to do instead.
pub fn parse_deadline(text: &str, zone: Tz) -> Result<ParsedDeadline, DateError> {
    let input = text.trim();
    let error = |why: String| DateError {
        input: input.to_string(),
        why,
    };
    if let Ok(instant) = DateTime::parse_from_rfc3339(input) {
        return Ok(ParsedDeadline {
            instant: instant.with_timezone(&Utc),
            reading: DeadlineReading::AtTime,
        });
    }
    let words = read_words(input).map_err(error)?;
    let (local, reading) = match (words.date, words.month, words.time) {
        (None, None, _) => return Err(error("chưa ghi ngày".into())),
        (Some(_), Some(_), _) => return Err(error("có cả ngày và tháng, chỉ ghi một".into())),
        (None, Some(_), Some(_)) => return Err(error("\"trong tháng\" không kèm giờ".into())),
        (None, Some((year, month)), None) => {
            if words.before {
                return Err(error(
                    "\"trước tháng\": ghi rõ ngày, ví dụ \"trước ngày 01/12/2023\"".into(),
                ));
            }
            let first_of_next = if month == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(year, month + 1, 1)
            };
            let last = first_of_next
                .and_then(|d| d.pred_opt())
                .ok_or_else(|| error("tháng ngoài phạm vi".into()))?;
            (end_of_day(last), DeadlineReading::EndOfMonth)
        }
        (Some(date), None, Some(time)) => {
            if words.before_day {
                return Err(error(
                    "\"trước ngày\" đi với một ngày, không kèm giờ (viết \"trước 17h00 ngày …\")".into(),
                ));
            }
            (date.and_time(time), DeadlineReading::AtTime)
        }
        (Some(date), None, None) if words.before => {
            let day_before = date.pred_opt().ok_or_else(|| error("ngày ngoài phạm vi".into()))?;
            (end_of_day(day_before), DeadlineReading::BeforeDay)
        }
        (Some(date), None, None) => (end_of_day(date), DeadlineReading::EndOfDay),
    };
    if let (Some(stated), Some(date)) = (words.weekday, words.date)
        && date.weekday() != stated
    {
        return Err(error(format!(
            "ngày {} là {}, không phải {}",
            format_date(date),
            weekday_vi(date.weekday()),
            weekday_vi(stated)
        )));
    }
    let instant =
        local_to_utc(local, zone).ok_or_else(|| error("giờ này không tồn tại ở múi giờ của cơ quan".into()))?;
    Ok(ParsedDeadline { instant, reading })
}

/// What the words of a deadline say.
#[derive(Debug, Default)]
struct Words {
    date: Option<NaiveDate>,
    /// "trong tháng 12/2023": (year, month).
    month: Option<(i32, u32)>,
    time: Option<NaiveTime>,
    /// "trước …" anywhere before the date.
    before: bool,
    /// "trước ngày" (the word right after "trước" is "ngày").
    before_day: bool,
    weekday: Option<Weekday>,
}

/// Words that carry no date and no time: the phrasing around them.
const FILLER: &[&str] = &[
    "ngày", "lúc", "vào", "là", "chậm", "nhất", "hạn", "chót", "cuối", "cùng", "đến", "hết", "trong", "thời", "báo",
    "cáo", "nộp", "gửi", "về", "tại", "hôm", "trước", "-", "–", ":",
];

/// The Vietnamese weekday after "thứ": `hai` … `bảy`, `2` … `7`.
fn weekday_after_thu(word: &str) -> Option<Weekday> {
    Some(match word {
        "hai" | "2" => Weekday::Mon,
        "ba" | "3" => Weekday::Tue,
        "tư" | "4" => Weekday::Wed,
        "năm" | "5" => Weekday::Thu,
        "sáu" | "6" => Weekday::Fri,
        "bảy" | "7" => Weekday::Sat,
        _ => return None,
    })
}

fn number(word: &str) -> Option<u32> {
    (!word.is_empty() && word.len() <= 4 && word.bytes().all(|b| b.is_ascii_digit()))
        .then(|| word.parse().ok())
        .flatten()
}

/// Splits the text into words (lower case, NFC, punctuation around words removed) and reads
/// the date, the time and the phrasing; `Err` names what could not be read.
fn read_words(input: &str) -> Result<Words, String> {
    use unicode_normalization::UnicodeNormalization;
    let text: String = input.nfc().collect::<String>().to_lowercase();
    if [
        "hằng năm",
        "hàng năm",
        "hằng tháng",
        "hàng tháng",
        "hằng quý",
        "hàng quý",
        "hằng tuần",
        "hàng tuần",
        "định kỳ",
    ]
    .iter()
    .any(|p| text.contains(p))
    {
        return Err(
            "đây là hạn định kỳ (lặp lại mỗi kỳ); baocao theo dõi từng kỳ: tạo một yêu cầu cho kỳ này với \
                    hạn cụ thể, ví dụ \"trước ngày 25/01/2025\""
                .into(),
        );
    }
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '"' | '“' | '”'))
        .map(|w| w.trim_end_matches(['.', ':']).to_string())
        .filter(|w| !w.is_empty())
        .collect();
    let mut read = Words::default();
    let mut i = 0;
    let set_date = |read: &mut Words, date: NaiveDate| -> Result<(), String> {
        if read.date.replace(date).is_some() {
            return Err("có hai ngày".into());
        }
        Ok(())
    };
    let set_time = |read: &mut Words, time: NaiveTime| -> Result<(), String> {
        if read.time.replace(time).is_some() {
            return Err("có hai giờ".into());
        }
        Ok(())
    };
    let weekday_twice = |read: &Words| -> Result<(), String> {
        if read.weekday.is_some() {
            return Err("có hai thứ trong tuần".into());
        }
        Ok(())
    };
    while i < words.len() {
        let word = words[i].as_str();
        let next = |k: usize| words.get(i + k).map(String::as_str).unwrap_or("");
        // 20 tháng 12 năm 2023
        if let (Some(d), "tháng", Some(m), "năm", Some(y)) =
            (number(word), next(1), number(next(2)), next(3), number(next(4)))
        {
            let date = NaiveDate::from_ymd_opt(y as i32, m, d)
                .ok_or_else(|| format!("không có ngày {d} tháng {m} năm {y}"))?;
            set_date(&mut read, date)?;
            i += 5;
            continue;
        }
        // tháng 12/2023, tháng 12 năm 2023
        if word == "tháng" {
            let (month, year, used) = match (next(1).split_once('/'), number(next(1)), next(2), number(next(3))) {
                (Some((m, y)), _, _, _) => (number(m), number(y), 2),
                (None, Some(m), "năm", Some(y)) => (Some(m), Some(y), 4),
                _ => (None, None, 1),
            };
            match (month, year) {
                (Some(m), Some(y)) if (1..=12).contains(&m) && y >= 1000 => {
                    read.month = Some((y as i32, m));
                    i += used;
                    continue;
                }
                _ => return Err("sau \"tháng\" cần tháng và năm, ví dụ \"trong tháng 12/2023\"".into()),
            }
        }
        if let Some(date) = parse_date(word) {
            set_date(&mut read, date)?;
            i += 1;
            continue;
        }
        if word.contains('/') && word.split('/').count() == 2 && word.split('/').all(|p| number(p).is_some()) {
            return Err(format!("`{word}` thiếu năm: ghi đủ ngày/tháng/năm"));
        }
        // 17 giờ 00 phút [chiều], 17 giờ, 10 giờ sáng
        if let (Some(h), "giờ") = (number(word), next(1)) {
            let mut used = 2;
            let mut minutes = 0;
            if let Some(m) = number(next(2)) {
                minutes = m;
                used = 3;
                if next(3) == "phút" {
                    used = 4;
                }
            }
            let (time, extra) = time_of_day(h, minutes, words.get(i + used).map(String::as_str))
                .ok_or_else(|| format!("giờ không hợp lệ: {h} giờ {minutes} phút"))?;
            set_time(&mut read, time)?;
            i += used + extra;
            continue;
        }
        // 17h00, 17h, 17:00, 7g30 [sáng|chiều]
        if word.starts_with(|c: char| c.is_ascii_digit()) && word.contains([':', 'h', 'g']) {
            let (h, m) = word.split_once([':', 'h', 'g']).unwrap_or((word, ""));
            let m = m.trim_end_matches("p").trim_end_matches("ph");
            let (Some(h), Some(m)) = (number(h), if m.is_empty() { Some(0) } else { number(m) }) else {
                return Err(format!(
                    "giờ không đúng dạng: `{word}` (viết 17:00, 17h00 hoặc 17 giờ 00)"
                ));
            };
            let (time, extra) = time_of_day(h, m, words.get(i + 1).map(String::as_str))
                .ok_or_else(|| format!("giờ không hợp lệ: `{word}`"))?;
            set_time(&mut read, time)?;
            i += 1 + extra;
            continue;
        }
        if word == "thứ" {
            weekday_twice(&read)?;
            read.weekday = Some(weekday_after_thu(next(1)).ok_or_else(|| format!("không hiểu `thứ {}`", next(1)))?);
            i += 2;
            continue;
        }
        if word == "chủ" && next(1) == "nhật" {
            weekday_twice(&read)?;
            read.weekday = Some(Weekday::Sun);
            i += 2;
            continue;
        }
        if word == "trước" && read.date.is_none() && read.month.is_none() {
            read.before = true;
            read.before_day = next(1) == "ngày" && read.time.is_none();
        }
        if FILLER.contains(&word) {
            i += 1;
            continue;
        }
        return Err(format!("có chữ không hiểu: `{word}`"));
    }
    if let Some(year) = read.date.map(|d| d.year()).or(read.month.map(|(y, _)| y))
        && !(2000..=2100).contains(&year)
    {
        return Err(format!("năm {year} không hợp lệ (ghi đủ 4 chữ số, ví dụ 2024)"));
    }
    if read.weekday.is_some() && read.date.is_none() {
        return Err("ghi thứ trong tuần thì ghi cả ngày".into());
    }
    // "trước 17h00 ngày …" is the time itself; "trước ngày …" alone is the day before.
    if read.time.is_some() {
        read.before = false;
    }
    Ok(read)
}

/// `h` giờ `m` phút with an optional part of the day after it (`sáng`, `trưa`, `chiều`,
/// `tối`, `đêm`): the time and how many words the part of the day took.
fn time_of_day(hours: u32, minutes: u32, part: Option<&str>) -> Option<(NaiveTime, usize)> {
    let (hours, extra) = match part {
        Some("sáng") if hours <= 12 => (hours, 1),
        Some("trưa") if (1..=2).contains(&hours) => (hours + 12, 1),
        Some("trưa") if (10..=14).contains(&hours) => (hours, 1),
        Some("chiều") if (1..12).contains(&hours) => (hours + 12, 1),
        Some("chiều") if (12..=23).contains(&hours) => (hours, 1),
        // "12 giờ đêm" / "12 giờ tối" is midnight at the end of the day, "11 giờ đêm" is 23:00;
        // "2 giờ đêm" could be either night: refused.
        Some("tối") if (1..12).contains(&hours) => (hours + 12, 1),
        Some("đêm") if (6..12).contains(&hours) => (hours + 12, 1),
        Some("tối" | "đêm") if hours == 12 => (24, 1),
        Some("tối" | "đêm") if (13..=24).contains(&hours) => (hours, 1),
        Some("chiều" | "tối" | "đêm" | "trưa" | "sáng") => return None,
        _ => (hours, 0),
    };
    if minutes > 59 || hours > 24 || (hours == 24 && minutes > 0) {
        return None;
    }
    if hours == 24 {
        // "24 giờ" is the end of the day, which the end-of-day reading already covers.
        return NaiveTime::from_hms_opt(23, 59, 59).map(|t| (t, extra));
    }
    NaiveTime::from_hms_opt(hours, minutes, 0).map(|t| (t, extra))
}

/// The deadline as written, to keep and show to units: spaces tidied, NFC, a leading
/// phrase word in lower case ("Trước ngày …" → "trước ngày …"), no final full stop; `None`
/// for an RFC 3339 instant or a date with a time and no words (`31/12/2023 17:00`, `17:00
/// ngày …`): those say nothing the instant does not, and units read `31/12/2023 lúc 17:00`.
/// A bare date is kept: it means the whole day, which "lúc 23:59" would misstate.
pub fn deadline_wording(text: &str) -> Option<String> {
    use unicode_normalization::UnicodeNormalization;
    let text = text.trim();
    if text.is_empty() || DateTime::parse_from_rfc3339(text).is_ok() {
        return None;
    }
    let lowered: String = text.nfc().collect::<String>().to_lowercase();
    let worded = lowered
        .split(|c: char| !c.is_alphabetic())
        .any(|word| !word.is_empty() && !matches!(word, "ngày" | "lúc" | "h" | "g"));
    let timed = parse_deadline(text, chrono_tz::UTC).is_ok_and(|d| d.reading == DeadlineReading::AtTime);
    if timed && !worded {
        return None;
    }
    let tidy: String = text
        .nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let tidy = tidy.trim_end_matches('.').to_string();
    let first = tidy.split(' ').next().unwrap_or_default().to_lowercase();
    if ["trước", "chậm", "đến", "hạn", "trong", "hết", "ngày", "thời"].contains(&first.as_str()) {
        let mut chars = tidy.chars();
        return chars.next().map(|c| c.to_lowercase().chain(chars).collect());
    }
    Some(tidy)
}

/// The deadline for the office: the instant baocao uses, and the directive's wording beside it
/// when there is one: `30/12/2023 lúc 23:59 (văn bản ghi: trước ngày 31/12/2023)`.
/// A request "để biết" has no deadline and shows this instead.
pub fn deadline_shown(instant: Option<DateTime<Utc>>, wording: Option<&str>, zone: Tz) -> String {
    match (instant, wording) {
        (None, _) => NO_DEADLINE_VI.to_string(),
        (Some(instant), Some(text)) => format!("{} (văn bản ghi: {text})", format_instant(instant, zone)),
        (Some(instant), None) => format_instant(instant, zone),
    }
}

/// What stands for the deadline of a request "để biết" (it asks no report).
pub const NO_DEADLINE_VI: &str = "không có (văn bản để biết, không yêu cầu báo cáo)";

/// The instant as `format_instant` writes it, or "để biết" for a request without a deadline.
pub fn format_deadline(instant: Option<DateTime<Utc>>, zone: Tz) -> String {
    instant.map_or_else(|| "để biết".to_string(), |i| format_instant(i, zone))
}

/// Reads a calendar date: `27/12/2022`, `7/4/2023` or `2022-12-27`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let numbers: Vec<u32> = parts.iter().map(|p| p.parse().ok()).collect::<Option<_>>()?;
    if parts.iter().any(|p| p.is_empty() || p.len() > 4) {
        return None;
    }
    match (parts.as_slice(), numbers.as_slice()) {
        ([_, _, y], [d, m, year]) if y.len() == 4 => NaiveDate::from_ymd_opt(*year as i32, *m, *d),
        ([y, _, _], [year, m, d]) if y.len() == 4 && text.contains('-') => {
            NaiveDate::from_ymd_opt(*year as i32, *m, *d)
        }
        _ => None,
    }
}

fn end_of_day(date: NaiveDate) -> NaiveDateTime {
    date.and_hms_opt(23, 59, 59).unwrap_or_default()
}

/// The UTC instant of a wall-clock time in the office's zone; the earlier one if a clock
/// change makes it ambiguous, none if it does not exist.
pub fn local_to_utc(local: NaiveDateTime, zone: Tz) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// `31/12/2023 lúc 23:59`.
pub fn format_instant(instant: DateTime<Utc>, zone: Tz) -> String {
    instant.with_timezone(&zone).format("%d/%m/%Y lúc %H:%M").to_string()
}

/// `31/12/2023`.
pub fn format_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// The Vietnamese name of a weekday (`thứ Hai` … `Chủ nhật`).
pub fn weekday_vi(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "thứ Hai",
        Weekday::Tue => "thứ Ba",
        Weekday::Wed => "thứ Tư",
        Weekday::Thu => "thứ Năm",
        Weekday::Fri => "thứ Sáu",
        Weekday::Sat => "thứ Bảy",
        Weekday::Sun => "Chủ nhật",
    }
}

/// The weekday of an instant's local date, if it falls on a weekend.
pub fn weekend_day(instant: DateTime<Utc>, zone: Tz) -> Option<Weekday> {
    let day = instant.with_timezone(&zone).weekday();
    matches!(day, Weekday::Sat | Weekday::Sun).then_some(day)
}

/// The year a request belongs to when none is given: the year of its issue date, else of
/// its deadline, in the office's zone.
pub fn request_year(issued_on: Option<NaiveDate>, deadline: DateTime<Utc>, zone: Tz) -> i32 {
    issued_on
        .map(|d| d.year())
        .unwrap_or_else(|| deadline.with_timezone(&zone).year())
}

#[cfg(test)]
mod tests;
