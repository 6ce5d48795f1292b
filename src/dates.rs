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
}

impl DeadlineReading {
    /// The sentence shown to the clerk after the deadline.
    pub fn explain_vi(self) -> &'static str {
        match self {
            DeadlineReading::AtTime => "đúng giờ đã ghi",
            DeadlineReading::EndOfDay => "đến hết ngày đã ghi",
            DeadlineReading::BeforeDay => "\"trước ngày\": hết ngày hôm trước",
        }
    }
}

/// A deadline as understood: the instant (UTC) and how it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedDeadline {
    pub instant: DateTime<Utc>,
    pub reading: DeadlineReading,
}

/// Why a date could not be read; the text is for the clerk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("không hiểu thời điểm `{input}`: {why}. Ví dụ đúng: 31/12/2023, 31/12/2023 17:00, 17h00 ngày 31/12/2023")]
pub struct DateError {
    pub input: String,
    pub why: String,
}

/// Reads a deadline typed by a clerk, in the office's time zone.
pub fn parse_deadline(text: &str, zone: Tz) -> Result<ParsedDeadline, DateError> {
    let input = text.trim();
    let error = |why: &str| DateError {
        input: input.to_string(),
        why: why.to_string(),
    };
    if let Ok(instant) = DateTime::parse_from_rfc3339(input) {
        return Ok(ParsedDeadline {
            instant: instant.with_timezone(&Utc),
            reading: DeadlineReading::AtTime,
        });
    }
    let lowered = input.to_lowercase();
    let (rest, reading_for_bare_date) = strip_day_phrase(&lowered);
    let words: Vec<&str> = rest
        .split_whitespace()
        .filter(|w| *w != "lúc" && *w != "ngày")
        .collect();
    let (date, time) = match words.as_slice() {
        [one] => (
            parse_date(one).ok_or_else(|| error("ngày không đúng dạng dd/mm/yyyy"))?,
            None,
        ),
        [first, second] => {
            // Either "DATE TIME" or "TIME DATE" ("17h00 ngày 31/12/2023").
            if let Some(date) = parse_date(first) {
                (
                    date,
                    Some(parse_time(second).ok_or_else(|| error("giờ không đúng dạng HH:MM hoặc 17h00"))?),
                )
            } else if let Some(date) = parse_date(second) {
                (
                    date,
                    Some(parse_time(first).ok_or_else(|| error("giờ không đúng dạng HH:MM hoặc 17h00"))?),
                )
            } else {
                return Err(error("ngày không đúng dạng dd/mm/yyyy"));
            }
        }
        [] => return Err(error("chưa ghi ngày")),
        _ => return Err(error("có chữ thừa")),
    };
    let (local, reading) = match (time, reading_for_bare_date) {
        (Some(_), DeadlineReading::BeforeDay) => {
            return Err(error("\"trước ngày\" đi với một ngày, không kèm giờ"));
        }
        (Some(time), _) => (date.and_time(time), DeadlineReading::AtTime),
        (None, DeadlineReading::BeforeDay) => {
            let day_before = date.pred_opt().ok_or_else(|| error("ngày ngoài phạm vi"))?;
            (end_of_day(day_before), DeadlineReading::BeforeDay)
        }
        (None, _) => (end_of_day(date), DeadlineReading::EndOfDay),
    };
    let instant = local_to_utc(local, zone).ok_or_else(|| error("giờ này không tồn tại ở múi giờ của cơ quan"))?;
    Ok(ParsedDeadline { instant, reading })
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

/// Reads a time of day: `17:00`, `17h00`, `17h`, `7g30`.
fn parse_time(text: &str) -> Option<NaiveTime> {
    let (hours, minutes) = text.split_once([':', 'h', 'g']).unwrap_or((text, ""));
    let hours: u32 = hours.parse().ok()?;
    let minutes: u32 = if minutes.is_empty() { 0 } else { minutes.parse().ok()? };
    if minutes > 59 || (minutes > 0 && hours > 23) || hours > 24 {
        return None;
    }
    if hours == 24 {
        // "24h00" is the end of the day, which the end-of-day reading already covers.
        return NaiveTime::from_hms_opt(23, 59, 59);
    }
    NaiveTime::from_hms_opt(hours, minutes, 0)
}

/// Removes a leading "đến hết ngày", "chậm nhất ngày", "trước ngày", "hạn" and returns how
/// a bare date after it is to be read.
fn strip_day_phrase(lowered: &str) -> (&str, DeadlineReading) {
    const END_OF_DAY: [&str; 4] = ["đến hết ngày", "chậm nhất ngày", "chậm nhất là ngày", "hết ngày"];
    for phrase in END_OF_DAY {
        if let Some(rest) = lowered.strip_prefix(phrase) {
            return (rest, DeadlineReading::EndOfDay);
        }
    }
    if let Some(rest) = lowered.strip_prefix("trước ngày") {
        return (rest, DeadlineReading::BeforeDay);
    }
    (lowered, DeadlineReading::EndOfDay)
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
mod tests {
    use super::*;

    const ZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;

    fn shown(text: &str) -> (String, DeadlineReading) {
        let parsed = parse_deadline(text, ZONE).unwrap();
        (format_instant(parsed.instant, ZONE), parsed.reading)
    }

    #[test]
    fn deadlines_in_the_forms_clerks_write() {
        use DeadlineReading::*;
        let cases = [
            ("31/12/2023", "31/12/2023 lúc 23:59", EndOfDay),
            ("31/12/2023 17:00", "31/12/2023 lúc 17:00", AtTime),
            ("31/12/2023 lúc 17:00", "31/12/2023 lúc 17:00", AtTime),
            ("17h00 ngày 31/12/2023", "31/12/2023 lúc 17:00", AtTime),
            ("17h ngày 31/12/2023", "31/12/2023 lúc 17:00", AtTime),
            ("7g30 ngày 5/1/2024", "05/01/2024 lúc 07:30", AtTime),
            ("Đến hết ngày 31/12/2023", "31/12/2023 lúc 23:59", EndOfDay),
            ("chậm nhất ngày 31/12/2023", "31/12/2023 lúc 23:59", EndOfDay),
            ("trước ngày 31/12/2023", "30/12/2023 lúc 23:59", BeforeDay),
            ("trước ngày 1/1/2024", "31/12/2023 lúc 23:59", BeforeDay),
            ("2023-12-31T10:00:00Z", "31/12/2023 lúc 17:00", AtTime),
            ("2023-12-31", "31/12/2023 lúc 23:59", EndOfDay),
        ];
        for (input, expected, reading) in cases {
            assert_eq!(shown(input), (expected.to_string(), reading), "{input}");
        }
    }

    #[test]
    fn a_bare_date_ends_at_the_last_second_of_the_local_day() {
        let parsed = parse_deadline("31/12/2023", ZONE).unwrap();
        assert_eq!(parsed.instant.to_rfc3339(), "2023-12-31T16:59:59+00:00");
    }

    #[test]
    fn impossible_or_unclear_dates_are_refused() {
        for bad in [
            "",
            "31/13/2023",
            "30/02/2024",
            "31/12/23",
            "tomorrow",
            "25:00 ngày 1/1/2024",
            "31/12/2023 17:00 thừa",
            "trước ngày 31/12/2023 17:00",
            "17:61 31/12/2023",
        ] {
            assert!(parse_deadline(bad, ZONE).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn weekends_are_noticed_in_the_office_zone() {
        // 30/12/2023 is a Saturday in Vietnam, while 16:59 UTC is still Saturday there too.
        let saturday = parse_deadline("30/12/2023", ZONE).unwrap().instant;
        assert_eq!(weekend_day(saturday, ZONE), Some(Weekday::Sat));
        // 01/01/2024 00:30 in Vietnam is Monday but still Sunday in UTC.
        let monday = parse_deadline("00:30 ngày 1/1/2024", ZONE).unwrap().instant;
        assert_eq!(weekend_day(monday, ZONE), None);
    }
}
