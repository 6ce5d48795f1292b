//! Reminder planning: which slots one (request, unit) gets, when each is due once the send
//! window has had its say, and, after downtime, which of the missed slots still goes out.
//!
//! Pure code: the clock, the calendar and the window are parameters. The store records the
//! slots; the outbox (not here) turns due slots into messages.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::calendar::WorkingCalendar;
use crate::config::SendWindow;
use crate::model::{DurationUnit, Offsets, in_largest_unit};
use crate::window::next_opening;

/// The three kinds of planned send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotKind {
    /// Sent when the request is activated.
    Notice,
    /// Before the deadline.
    Reminder,
    /// After the deadline.
    Overdue,
}

impl SlotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SlotKind::Notice => "notice",
            SlotKind::Reminder => "reminder",
            SlotKind::Overdue => "overdue",
        }
    }
}

/// One planned send for one (request, unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedSlot {
    pub kind: SlotKind,
    /// Minutes before (reminder) or after (overdue) the deadline; 0 for the notice.
    pub offset_minutes: i64,
    /// When the policy says it should go.
    pub planned_at: DateTime<Utc>,
    /// When it may go: the next opening of the send window.
    pub due_at: DateTime<Utc>,
    /// Why that time, for a clerk: "3 ngày trước hạn; dời sang 07:30 thứ Hai … vì …".
    pub reason: String,
}

/// What planning needs to know about a request.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    /// The unit's deadline: the request's, or the later one granted to the unit.
    pub deadline: DateTime<Utc>,
    pub activated_at: DateTime<Utc>,
    pub remind_before: &'a Offsets,
    pub overdue_after: &'a Offsets,
    pub notice_on_activation: bool,
    pub window: &'a SendWindow,
    pub calendar: &'a WorkingCalendar,
    pub zone: Tz,
}

/// The slots of one (request, unit), in due order. Reminders whose time had already passed
/// at activation are left out (the notice covers them), and so are reminders the window
/// would push past the deadline (an overdue notice follows instead). When the window moves
/// two slots onto the same opening, only the later in the policy (the more urgent text) is
/// kept, so a unit never gets two messages at once.
pub fn plan_slots(input: &PlanInput<'_>) -> Vec<PlannedSlot> {
    let mut wanted: Vec<(SlotKind, i64, DateTime<Utc>, String)> = Vec::new();
    if input.notice_on_activation {
        wanted.push((
            SlotKind::Notice,
            0,
            input.activated_at,
            "thông báo khi bắt đầu theo dõi".to_string(),
        ));
    }
    for &minutes in input.remind_before.minutes() {
        let at = input.deadline - Duration::minutes(minutes);
        if at > input.activated_at {
            wanted.push((
                SlotKind::Reminder,
                minutes,
                at,
                format!("{} trước hạn", duration_vi(minutes)),
            ));
        }
    }
    for &minutes in input.overdue_after.minutes() {
        let at = input.deadline + Duration::minutes(minutes);
        wanted.push((
            SlotKind::Overdue,
            minutes,
            at,
            format!("{} sau hạn", duration_vi(minutes)),
        ));
    }
    let mut slots: Vec<PlannedSlot> = wanted
        .into_iter()
        .filter_map(|(kind, offset_minutes, planned_at, why)| {
            let opening = next_opening(planned_at, input.window, input.calendar, input.zone)?;
            if kind == SlotKind::Reminder && opening.at >= input.deadline {
                return None;
            }
            let moved = opening.explain_vi(input.zone);
            let reason = if moved.is_empty() {
                why
            } else {
                format!("{why}; {moved}")
            };
            Some(PlannedSlot {
                kind,
                offset_minutes,
                planned_at,
                due_at: opening.at,
                reason,
            })
        })
        .collect();
    slots.sort_by_key(|s| (s.due_at, s.planned_at));
    // Two slots the window moved onto the same opening would arrive together: keep the later one.
    slots.dedup_by(|later, earlier| {
        if later.due_at == earlier.due_at {
            std::mem::swap(later, earlier);
            true
        } else {
            false
        }
    });
    slots
}

/// `7d` → "7 ngày", `36h` → "36 giờ", `90m` → "90 phút".
pub fn duration_vi(minutes: i64) -> String {
    let (count, unit) = in_largest_unit(minutes);
    let word = match unit {
        DurationUnit::Days => "ngày",
        DurationUnit::Hours => "giờ",
        DurationUnit::Minutes => "phút",
    };
    format!("{count} {word}")
}

/// After downtime several slots of one (request, unit) may be due at once. Only the latest
/// is sent; the earlier ones are skipped. Takes `(slot id, due_at)` of the slots that are
/// still waiting, returns the one to send (if any is due) and the ones to skip.
pub fn catch_up<Id: Copy>(waiting: &[(Id, DateTime<Utc>)], now: DateTime<Utc>) -> (Option<Id>, Vec<Id>) {
    let mut due: Vec<&(Id, DateTime<Utc>)> = waiting.iter().filter(|(_, at)| *at <= now).collect();
    due.sort_by_key(|(_, at)| *at);
    match due.split_last() {
        Some((latest, earlier)) => (Some(latest.0), earlier.iter().map(|(id, _)| *id).collect()),
        None => (None, Vec::new()),
    }
}

/// The reason recorded on a slot skipped by [`catch_up`].
pub const SKIPPED_FOR_LATER_SLOT: &str = "bỏ qua: đã quá giờ gửi khi hệ thống ngừng, chỉ gửi lần nhắc mới nhất";

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    const ZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;

    fn local(text: &str) -> DateTime<Utc> {
        crate::dates::parse_deadline(text, ZONE).unwrap().instant
    }

    fn window() -> SendWindow {
        let hm = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        SendWindow {
            periods: vec![(hm(7, 30), hm(11, 30)), (hm(13, 30), hm(17, 0))],
            working_days_only: true,
        }
    }

    fn plan(deadline: &str, activated: &str, remind: &str, overdue: &str) -> Vec<(SlotKind, DateTime<Utc>, String)> {
        let calendar = WorkingCalendar::default();
        let window = window();
        let (remind, overdue) = (Offsets::parse(remind).unwrap(), Offsets::parse(overdue).unwrap());
        let input = PlanInput {
            deadline: local(deadline),
            activated_at: local(activated),
            remind_before: &remind,
            overdue_after: &overdue,
            notice_on_activation: true,
            window: &window,
            calendar: &calendar,
            zone: ZONE,
        };
        plan_slots(&input)
            .into_iter()
            .map(|s| (s.kind, s.due_at, s.reason))
            .collect()
    }

    #[test]
    fn a_request_gets_a_notice_reminders_and_overdue_notices_in_the_window() {
        // Deadline Friday 17/1/2025 17:00, activated Monday 6/1 at 09:15.
        let slots = plan("17:00 ngày 17/1/2025", "09:15 ngày 6/1/2025", "7d,3d,1d", "1d,3d");
        let expected = [
            (
                SlotKind::Notice,
                "09:15 ngày 6/1/2025",
                "thông báo khi bắt đầu theo dõi",
            ),
            // 7 days before: Friday 10/1 17:00 is the end of the window: next Monday.
            (
                SlotKind::Reminder,
                "07:30 ngày 13/1/2025",
                "7 ngày trước hạn; dời sang 07:30 thứ Hai 13/01/2025 vì ngoài giờ làm việc",
            ),
            (
                SlotKind::Reminder,
                "07:30 ngày 15/1/2025",
                "3 ngày trước hạn; dời sang 07:30 thứ Tư 15/01/2025 vì ngoài giờ làm việc",
            ),
            (
                SlotKind::Reminder,
                "07:30 ngày 17/1/2025",
                "1 ngày trước hạn; dời sang 07:30 thứ Sáu 17/01/2025 vì ngoài giờ làm việc",
            ),
            // 1 day after falls on Saturday; 3 days after is Monday 17:00, the window's end.
            (
                SlotKind::Overdue,
                "07:30 ngày 20/1/2025",
                "1 ngày sau hạn; dời sang 07:30 thứ Hai 20/01/2025 vì ngày nghỉ cuối tuần",
            ),
            (
                SlotKind::Overdue,
                "07:30 ngày 21/1/2025",
                "3 ngày sau hạn; dời sang 07:30 thứ Ba 21/01/2025 vì ngoài giờ làm việc",
            ),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(k, at, why)| (*k, local(at), why.to_string()))
            .collect();
        assert_eq!(slots, expected);
    }

    #[test]
    fn reminders_already_past_at_activation_or_pushed_past_the_deadline_are_left_out() {
        // Activated on Saturday two days before a Monday 10:00 deadline: 7d and 3d are past.
        // The notice and the 1d reminder (Sunday) both wait for Monday 07:30, still before
        // the deadline; the unit gets one message there, the more urgent reminder.
        let slots = plan("10:00 ngày 20/1/2025", "09:00 ngày 18/1/2025", "7d,3d,1d", "");
        let kinds: Vec<SlotKind> = slots.iter().map(|s| s.0).collect();
        assert_eq!(kinds, [SlotKind::Reminder]);
        assert_eq!(slots[0].1, local("07:30 ngày 20/1/2025"));
        assert_eq!(
            slots[0].2,
            "1 ngày trước hạn; dời sang 07:30 thứ Hai 20/01/2025 vì ngày nghỉ cuối tuần"
        );
        // A Monday 07:00 deadline: the Sunday reminder could only go after it, so none.
        let slots = plan("07:00 ngày 20/1/2025", "09:00 ngày 15/1/2025", "1d", "");
        assert!(slots.iter().all(|s| s.0 != SlotKind::Reminder), "{slots:?}");
    }

    #[test]
    fn a_slot_at_noon_waits_for_13_30_and_sends_do_not_pile_up_on_one_opening() {
        let slots = plan("12:00 ngày 16/1/2025", "08:00 ngày 6/1/2025", "1d,90m", "");
        let reminders: Vec<_> = slots.iter().filter(|s| s.0 == SlotKind::Reminder).collect();
        assert_eq!(reminders.len(), 2);
        assert_eq!(reminders[0].1, local("13:30 ngày 15/1/2025"));
        // 90 minutes before 12:00 is 10:30, inside the window.
        assert_eq!(reminders[1].1, local("10:30 ngày 16/1/2025"));
        // Two overdue notices that the weekend would move onto the same Monday 07:30 become one.
        let slots = plan("17:00 ngày 17/1/2025", "08:00 ngày 6/1/2025", "", "1d,2d");
        let overdue: Vec<_> = slots.iter().filter(|s| s.0 == SlotKind::Overdue).collect();
        assert_eq!(overdue.len(), 1, "{overdue:?}");
        assert!(
            overdue[0].2.starts_with("2 ngày sau hạn"),
            "the later policy slot is kept"
        );
    }

    /// Plans with the shipped calendar file: (kind, due local time, reason contains).
    fn plan_shipped(
        deadline: &str,
        activated: &str,
        remind: &str,
        overdue: &str,
    ) -> Vec<(SlotKind, DateTime<Utc>, String)> {
        let calendar = WorkingCalendar::new(
            crate::calendar::parse_calendar_file(include_str!("../config/calendar.toml")).unwrap(),
        );
        let window = window();
        let (remind, overdue) = (Offsets::parse(remind).unwrap(), Offsets::parse(overdue).unwrap());
        plan_slots(&PlanInput {
            deadline: local(deadline),
            activated_at: local(activated),
            remind_before: &remind,
            overdue_after: &overdue,
            notice_on_activation: false,
            window: &window,
            calendar: &calendar,
            zone: ZONE,
        })
        .into_iter()
        .map(|s| (s.kind, s.due_at, s.reason))
        .collect()
    }

    #[test]
    fn planning_table_on_the_vietnamese_calendar() {
        use SlotKind::{Overdue, Reminder};
        struct Case {
            what: &'static str,
            deadline: &'static str,
            activated: &'static str,
            remind: &'static str,
            overdue: &'static str,
            expected: &'static [(SlotKind, &'static str, &'static str)],
        }
        let cases = [
            Case {
                what: "Tết Giáp Thìn 2024 (decided: off 8/2–14/2)",
                deadline: "17:00 ngày 16/2/2024",
                activated: "09:00 ngày 1/2/2024",
                remind: "8d,1d",
                overdue: "",
                expected: &[
                    (
                        Reminder,
                        "07:30 ngày 15/2/2024",
                        "8 ngày trước hạn; dời sang 07:30 thứ Năm 15/02/2024 vì nghỉ",
                    ),
                    (
                        Reminder,
                        "07:30 ngày 16/2/2024",
                        "1 ngày trước hạn; dời sang 07:30 thứ Sáu 16/02/2024 vì ngoài giờ",
                    ),
                ],
            },
            Case {
                what: "Tết Ất Tỵ 2025 (decided: off 25/1–2/2)",
                deadline: "17:00 ngày 4/2/2025",
                activated: "09:00 ngày 20/1/2025",
                remind: "7d",
                overdue: "",
                expected: &[(
                    Reminder,
                    "07:30 ngày 3/2/2025",
                    "7 ngày trước hạn; dời sang 07:30 thứ Hai 03/02/2025 vì nghỉ Tết",
                )],
            },
            Case {
                what: "Tết Bính Ngọ 2026 (decided: off 14/2–22/2, the built-in Tết days plus weekends)",
                deadline: "17:00 ngày 24/2/2026",
                activated: "09:00 ngày 9/2/2026",
                remind: "7d",
                overdue: "",
                expected: &[(
                    Reminder,
                    "07:30 ngày 23/2/2026",
                    "7 ngày trước hạn; dời sang 07:30 thứ Hai 23/02/2026 vì nghỉ Tết",
                )],
            },
            Case {
                what: "30/4–1/5/2025 bridge with the làm bù Saturday 26/4",
                deadline: "10:00 ngày 6/5/2025",
                activated: "09:00 ngày 21/4/2025",
                remind: "10d,6d,1d",
                overdue: "",
                expected: &[
                    (Reminder, "10:00 ngày 26/4/2025", "10 ngày trước hạn"),
                    (
                        Reminder,
                        "07:30 ngày 5/5/2025",
                        "6 ngày trước hạn; dời sang 07:30 thứ Hai 05/05/2025 vì nghỉ",
                    ),
                    (Reminder, "10:00 ngày 5/5/2025", "1 ngày trước hạn"),
                ],
            },
            Case {
                what: "a slot at 12:00 waits for 13:30",
                deadline: "12:00 ngày 16/1/2025",
                activated: "08:00 ngày 6/1/2025",
                remind: "1d",
                overdue: "",
                expected: &[(
                    Reminder,
                    "13:30 ngày 15/1/2025",
                    "1 ngày trước hạn; dời sang 13:30 thứ Tư 15/01/2025 vì ngoài giờ làm việc",
                )],
            },
            Case {
                what: "a deadline on Sunday: the Saturday reminder would only go after it",
                deadline: "17:00 ngày 19/1/2025",
                activated: "09:00 ngày 6/1/2025",
                remind: "1d",
                overdue: "1d",
                expected: &[(
                    Overdue,
                    "07:30 ngày 21/1/2025",
                    "1 ngày sau hạn; dời sang 07:30 thứ Ba 21/01/2025 vì ngoài giờ làm việc",
                )],
            },
        ];
        for case in cases {
            let got = plan_shipped(case.deadline, case.activated, case.remind, case.overdue);
            assert_eq!(got.len(), case.expected.len(), "{}: {got:#?}", case.what);
            for ((kind, at, reason), (want_kind, want_at, want_reason)) in got.iter().zip(case.expected) {
                assert_eq!((kind, *at), (want_kind, local(want_at)), "{}: {got:#?}", case.what);
                assert!(reason.starts_with(want_reason), "{}: {reason}", case.what);
            }
        }
    }

    #[test]
    fn after_downtime_only_the_latest_missed_slot_is_sent() {
        let slots = [
            (1, local("07:30 ngày 13/1/2025")),
            (2, local("07:30 ngày 15/1/2025")),
            (3, local("07:30 ngày 17/1/2025")),
        ];
        assert_eq!(catch_up(&slots, local("08:00 ngày 16/1/2025")), (Some(2), vec![1]));
        assert_eq!(catch_up(&slots, local("07:00 ngày 13/1/2025")), (None, vec![]));
        assert_eq!(catch_up(&slots, local("09:00 ngày 13/1/2025")), (Some(1), vec![]));
    }
}
