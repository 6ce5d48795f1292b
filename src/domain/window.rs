//! The send window: mail goes out only on working days (by default) inside the configured
//! periods of local time, 07:30–11:30 and 13:30–17:00 unless configured otherwise. A send
//! due outside waits for the next opening; [`next_opening`] says when, and why it moved, in
//! words a clerk reads ("dời sang 13:30 thứ Hai 06/01/2025 vì ngoài giờ làm việc").
//!
//! Pure code: the instant, the zone and the calendar are passed in.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::calendar::{DayKind, WorkingCalendar};
use crate::domain::dates::{local_to_utc, weekday_vi};

/// Why a send was moved to a later opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "why", content = "name", rename_all = "snake_case")]
pub enum MoveReason {
    /// A working day, but outside the periods (lunch break, evening, early morning).
    OutsideHours,
    /// Saturday or Sunday.
    Weekend,
    /// A holiday or day off, with its name.
    Holiday(String),
}

/// When a send due at some instant may actually go out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opening {
    pub at: DateTime<Utc>,
    /// `None` when the due instant was already inside the window.
    pub moved: Option<MoveReason>,
    /// Moved to an earlier opening (a reminder must not arrive after its target).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub earlier: bool,
}

impl Opening {
    /// `""` when not moved, else "dời sang 07:30 thứ Hai 06/01/2025 vì …".
    pub fn explain_vi(&self, zone: Tz) -> String {
        let Some(reason) = &self.moved else {
            return String::new();
        };
        let local = self.at.with_timezone(&zone);
        let because = match reason {
            MoveReason::OutsideHours => "ngoài giờ làm việc".to_string(),
            MoveReason::Weekend => "ngày nghỉ cuối tuần".to_string(),
            MoveReason::Holiday(name) if name.to_lowercase().starts_with("nghỉ") => {
                let mut chars = name.chars();
                chars
                    .next()
                    .map(|c| c.to_lowercase().chain(chars).collect())
                    .unwrap_or_default()
            }
            MoveReason::Holiday(name) => format!("nghỉ {name}"),
        };
        format!(
            "{} {} {} {} vì {because}",
            if self.earlier { "đưa lên" } else { "dời sang" },
            local.format("%H:%M"),
            weekday_vi(local.weekday()),
            local.format("%d/%m/%Y")
        )
    }
}

/// When mail may go out: on working days (or every day), inside these periods of local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendWindow {
    pub periods: Vec<(chrono::NaiveTime, chrono::NaiveTime)>,
    pub working_days_only: bool,
}

/// The first instant at or after `due` inside the send window, or `None` if the window has
/// no periods or no working day comes within a year.
pub fn next_opening(due: DateTime<Utc>, window: &SendWindow, calendar: &WorkingCalendar, zone: Tz) -> Option<Opening> {
    let local = due.with_timezone(&zone).naive_local();
    let mut first_reason: Option<MoveReason> = None;
    for day in local.date().iter_days().take(400) {
        if window.working_days_only {
            let kind = calendar.day(day);
            if !kind.is_working() {
                first_reason.get_or_insert(match kind {
                    DayKind::Holiday(name) => MoveReason::Holiday(name),
                    _ => MoveReason::Weekend,
                });
                continue;
            }
        }
        for (start, end) in &window.periods {
            let opening = if day == local.date() {
                if local.time() >= *end {
                    continue;
                }
                if local.time() >= *start {
                    return Some(Opening {
                        at: due,
                        moved: None,
                        earlier: false,
                    });
                }
                day.and_time(*start)
            } else {
                day.and_time(*start)
            };
            let at = local_to_utc(opening, zone)?;
            return Some(Opening {
                at,
                moved: Some(first_reason.unwrap_or(MoveReason::OutsideHours)),
                earlier: false,
            });
        }
        if day == local.date() {
            first_reason.get_or_insert(MoveReason::OutsideHours);
        }
    }
    None
}

/// The last opening at or before `target`: `target` itself when it is inside the window,
/// else the start of the last period of the window that began before it (on a working day
/// when the window keeps to them), or `None` if none comes within a year before. What a
/// reminder uses so that it never arrives after its target.
pub fn last_opening(
    target: DateTime<Utc>,
    window: &SendWindow,
    calendar: &WorkingCalendar,
    zone: Tz,
) -> Option<Opening> {
    let local = target.with_timezone(&zone).naive_local();
    let reason = match calendar.day(local.date()) {
        DayKind::Holiday(name) if window.working_days_only => MoveReason::Holiday(name),
        kind if window.working_days_only && !kind.is_working() => MoveReason::Weekend,
        _ => MoveReason::OutsideHours,
    };
    let mut day = local.date();
    for _ in 0..400 {
        let open = !window.working_days_only || calendar.day(day).is_working();
        if open {
            for (start, end) in window.periods.iter().rev() {
                let start_at = day.and_time(*start);
                if start_at > local {
                    continue;
                }
                if day == local.date() && local.time() < *end {
                    return Some(Opening {
                        at: target,
                        moved: None,
                        earlier: false,
                    });
                }
                return Some(Opening {
                    at: local_to_utc(start_at, zone)?,
                    moved: Some(reason),
                    earlier: true,
                });
            }
        }
        day = day.pred_opt()?;
    }
    None
}

/// The `n`th working morning after `after` (the window's first opening on a working day,
/// strictly later than `after`): when an overdue notice "n working days late" goes. A
/// deadline at 00:00 or 06:00 has its first working morning the same day.
pub fn working_morning_after(
    after: DateTime<Utc>,
    n: u32,
    window: &SendWindow,
    calendar: &WorkingCalendar,
    zone: Tz,
) -> Option<DateTime<Utc>> {
    let (start, _) = window.periods.first()?;
    let mut day = after.with_timezone(&zone).date_naive();
    let mut seen = 0;
    for _ in 0..800 {
        if calendar.is_working_day(day) {
            let morning = local_to_utc(day.and_time(*start), zone)?;
            if morning > after {
                seen += 1;
                if seen >= n.max(1) {
                    return Some(morning);
                }
            }
        }
        day = day.succ_opt()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::parse_calendar_file;
    use chrono::NaiveTime;

    const ZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;

    fn window() -> SendWindow {
        let hm = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        SendWindow {
            periods: vec![(hm(7, 30), hm(11, 30)), (hm(13, 30), hm(17, 0))],
            working_days_only: true,
        }
    }

    fn local(text: &str) -> DateTime<Utc> {
        crate::domain::dates::parse_deadline(text, ZONE).unwrap().instant
    }

    fn shipped() -> WorkingCalendar {
        WorkingCalendar::new(parse_calendar_file(include_str!("../../config/calendar.toml")).unwrap())
    }

    #[test]
    fn sends_are_moved_to_the_next_opening_with_the_reason() {
        let cases = [
            // Inside the window: unchanged.
            ("09:00 ngày 2/1/2025", "09:00 ngày 2/1/2025", ""),
            ("13:30 ngày 2/1/2025", "13:30 ngày 2/1/2025", ""),
            // The lunch break waits for 13:30.
            (
                "12:00 ngày 2/1/2025",
                "13:30 ngày 2/1/2025",
                "dời sang 13:30 thứ Năm 02/01/2025 vì ngoài giờ làm việc",
            ),
            (
                "11:30 ngày 2/1/2025",
                "13:30 ngày 2/1/2025",
                "dời sang 13:30 thứ Năm 02/01/2025 vì ngoài giờ làm việc",
            ),
            // Early morning and evening.
            (
                "06:00 ngày 2/1/2025",
                "07:30 ngày 2/1/2025",
                "dời sang 07:30 thứ Năm 02/01/2025 vì ngoài giờ làm việc",
            ),
            (
                "17:00 ngày 3/1/2025",
                "07:30 ngày 6/1/2025",
                "dời sang 07:30 thứ Hai 06/01/2025 vì ngoài giờ làm việc",
            ),
            // A Saturday waits for Monday.
            (
                "09:00 ngày 4/1/2025",
                "07:30 ngày 6/1/2025",
                "dời sang 07:30 thứ Hai 06/01/2025 vì ngày nghỉ cuối tuần",
            ),
            // A deadline at midnight of a Sunday.
            (
                "00:00 ngày 5/1/2025",
                "07:30 ngày 6/1/2025",
                "dời sang 07:30 thứ Hai 06/01/2025 vì ngày nghỉ cuối tuần",
            ),
        ];
        for (due, expected, why) in cases {
            let opening = next_opening(local(due), &window(), &shipped(), ZONE).unwrap();
            assert_eq!(opening.at, local(expected), "{due}");
            assert_eq!(opening.explain_vi(ZONE), why, "{due}");
        }
    }

    #[test]
    fn holidays_move_sends_past_tet_and_the_30_4_bridge() {
        // Tết Ất Tỵ 2025 as decided: off from Saturday 25/1 to Sunday 2/2.
        let opening = next_opening(local("09:00 ngày 24/1/2025"), &window(), &shipped(), ZONE).unwrap();
        assert_eq!(opening.moved, None, "Friday 24/1 is still a working day");
        let opening = next_opening(local("17:30 ngày 24/1/2025"), &window(), &shipped(), ZONE).unwrap();
        assert_eq!(opening.at, local("07:30 ngày 3/2/2025"));
        let opening = next_opening(local("08:00 ngày 28/1/2025"), &window(), &shipped(), ZONE).unwrap();
        assert_eq!(opening.at, local("07:30 ngày 3/2/2025"));
        assert_eq!(
            opening.explain_vi(ZONE),
            "dời sang 07:30 thứ Hai 03/02/2025 vì nghỉ Tết Nguyên đán (ngày cuối năm âm lịch)"
        );
        // 30/4–1/5/2024: Monday 29/4 swapped off, so Saturday 27/4 to Wednesday 1/5 is off.
        let opening = next_opening(local("10:00 ngày 29/4/2024"), &window(), &shipped(), ZONE).unwrap();
        assert_eq!(opening.at, local("07:30 ngày 2/5/2024"));
        // The make-up Saturday 4/5/2024 is a working day: mail goes out.
        let opening = next_opening(local("10:00 ngày 4/5/2024"), &window(), &shipped(), ZONE).unwrap();
        assert_eq!(opening.moved, None);
    }

    #[test]
    fn a_window_open_every_day_ignores_the_calendar_and_an_empty_one_never_opens() {
        let every_day = SendWindow {
            working_days_only: false,
            ..window()
        };
        let opening = next_opening(local("09:00 ngày 4/1/2025"), &every_day, &shipped(), ZONE).unwrap();
        assert_eq!(opening.moved, None);
        let never = SendWindow {
            periods: vec![],
            working_days_only: true,
        };
        assert_eq!(
            next_opening(local("09:00 ngày 2/1/2025"), &never, &shipped(), ZONE),
            None
        );
    }
}
