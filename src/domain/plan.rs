//! Reminder planning: which slots one (request, unit) gets, when each is due once the send
//! window has had its say, and, after downtime, which of the missed slots still goes out.
//!
//! Pure code: the clock, the calendar and the window are parameters. The store records the
//! slots; the outbox (not here) turns due slots into messages.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::calendar::WorkingCalendar;
use crate::domain::model::{DurationUnit, Offsets, in_largest_unit};
use crate::domain::window::SendWindow;
use crate::domain::window::{last_opening, next_opening, working_morning_after};

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

    pub fn parse(text: &str) -> Option<SlotKind> {
        [SlotKind::Notice, SlotKind::Reminder, SlotKind::Overdue]
            .into_iter()
            .find(|kind| kind.as_str() == text)
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
    /// No overdue notice is planned this long after the deadline.
    pub stop_overdue_after: Duration,
    pub window: &'a SendWindow,
    pub calendar: &'a WorkingCalendar,
    pub zone: Tz,
}

/// The slots of one (request, unit), in due order.
///
/// - A reminder outside the send window moves **earlier**, to the last opening at or before
///   its target (a weekend deadline's last reminder goes on the last working day before it);
///   only when that opening is not after the activation does it wait for the next opening,
///   and it is left out when that is not before the deadline.
/// - An overdue notice "N days after" (whole days) goes on the morning of the Nth working day
///   after the deadline's day ("1 ngày làm việc sau hạn"); other offsets go at the next
///   opening after deadline + offset.
/// - Reminders and overdue notices whose time had passed at activation are left out (the
///   notice covers them), and so is every overdue notice later than `stop_overdue_after`
///   after the deadline.
///
/// When two slots land on the same opening, only the later in the policy (the more urgent
/// text) is kept, so a unit never gets two messages at once.
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
    let mut slots: Vec<PlannedSlot> = Vec::new();
    for &minutes in input.overdue_after.minutes() {
        if let Some(slot) = overdue_slot(input, minutes) {
            slots.push(slot);
        }
    }
    slots.extend(
        wanted
            .into_iter()
            .filter_map(|(kind, offset_minutes, planned_at, why)| {
                let opening = match kind {
                    SlotKind::Reminder => {
                        let earlier = last_opening(planned_at, input.window, input.calendar, input.zone)
                            .filter(|o| o.at > input.activated_at);
                        // Activated inside the period the reminder would move to: at once.
                        let at_activation = || {
                            next_opening(input.activated_at, input.window, input.calendar, input.zone)
                                .filter(|o| o.moved.is_none() && o.at < planned_at)
                                .map(|o| crate::domain::window::Opening {
                                    earlier: true,
                                    moved: Some(crate::domain::window::MoveReason::OutsideHours),
                                    ..o
                                })
                        };
                        match earlier.or_else(at_activation) {
                            Some(opening) => opening,
                            None => next_opening(planned_at, input.window, input.calendar, input.zone)?,
                        }
                    }
                    _ => next_opening(planned_at, input.window, input.calendar, input.zone)?,
                };
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
            }),
    );
    slots.sort_by_key(|s| (s.due_at, s.planned_at));
    // Two slots on the same opening would arrive together: keep one. The notice always stays
    // (it is the first letter, and later ones are threaded under it); otherwise the later in
    // the policy, the more urgent text.
    let mut kept: Vec<PlannedSlot> = Vec::with_capacity(slots.len());
    for slot in slots {
        match kept.last_mut() {
            Some(last) if last.due_at == slot.due_at => {
                if last.kind != SlotKind::Notice {
                    *last = slot;
                }
            }
            _ => kept.push(slot),
        }
    }
    kept
}

/// The overdue notice `minutes` after the deadline, or `None` when its time had passed at
/// activation or is past `stop_overdue_after`.
fn overdue_slot(input: &PlanInput<'_>, minutes: i64) -> Option<PlannedSlot> {
    let planned_at = input.deadline + Duration::minutes(minutes);
    if planned_at - input.deadline > input.stop_overdue_after {
        return None;
    }
    let whole_days = (minutes > 0 && minutes % (24 * 60) == 0).then_some(minutes / (24 * 60));
    let (due_at, reason) = match whole_days {
        Some(days) => {
            let at = working_morning_after(
                input.deadline,
                u32::try_from(days).ok()?,
                input.window,
                input.calendar,
                input.zone,
            )?;
            let local = at.with_timezone(&input.zone);
            let reason = format!(
                "{days} ngày làm việc sau hạn: {} {} {}",
                local.format("%H:%M"),
                crate::domain::dates::weekday_vi(chrono::Datelike::weekday(&local)),
                local.format("%d/%m/%Y")
            );
            (at, reason)
        }
        None => {
            let opening = next_opening(planned_at, input.window, input.calendar, input.zone)?;
            let moved = opening.explain_vi(input.zone);
            let why = format!("{} sau hạn", duration_vi(minutes));
            (
                opening.at,
                if moved.is_empty() {
                    why
                } else {
                    format!("{why}; {moved}")
                },
            )
        }
    };
    if due_at <= input.activated_at {
        return None;
    }
    Some(PlannedSlot {
        kind: SlotKind::Overdue,
        offset_minutes: minutes,
        planned_at,
        due_at,
        reason,
    })
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
        crate::domain::dates::parse_deadline(text, ZONE).unwrap().instant
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
            stop_overdue_after: Duration::days(30),
            window: &window,
            calendar: &calendar,
            zone: ZONE,
        };
        plan_slots(&input)
            .into_iter()
            .map(|s| (s.kind, s.due_at, s.reason))
            .collect()
    }

    fn expect(slots: &[(SlotKind, DateTime<Utc>, String)], expected: &[(SlotKind, &str, &str)], what: &str) {
        assert_eq!(slots.len(), expected.len(), "{what}: {slots:#?}");
        for ((kind, at, reason), (want_kind, want_at, want_reason)) in slots.iter().zip(expected) {
            assert_eq!((kind, *at), (want_kind, local(want_at)), "{what}: {slots:#?}");
            assert!(reason.starts_with(want_reason), "{what}: {reason}");
        }
    }

    #[test]
    fn reminders_move_earlier_and_overdue_notices_count_working_days() {
        use SlotKind::{Notice, Overdue, Reminder};
        // Deadline Friday 17/1/2025 17:00, activated Monday 6/1 at 09:15.
        let slots = plan("17:00 ngày 17/1/2025", "09:15 ngày 6/1/2025", "7d,3d,1d", "1d,3d");
        expect(
            &slots,
            &[
                (Notice, "09:15 ngày 6/1/2025", "thông báo khi bắt đầu theo dõi"),
                // 17:00 is the window's end: the afternoon of the same day, never after.
                (
                    Reminder,
                    "13:30 ngày 10/1/2025",
                    "7 ngày trước hạn; đưa lên 13:30 thứ Sáu 10/01/2025 vì ngoài giờ làm việc",
                ),
                (
                    Reminder,
                    "13:30 ngày 14/1/2025",
                    "3 ngày trước hạn; đưa lên 13:30 thứ Ba 14/01/2025",
                ),
                (
                    Reminder,
                    "13:30 ngày 16/1/2025",
                    "1 ngày trước hạn; đưa lên 13:30 thứ Năm 16/01/2025",
                ),
                // The first working morning after the deadline, then the third.
                (
                    Overdue,
                    "07:30 ngày 20/1/2025",
                    "1 ngày làm việc sau hạn: 07:30 thứ Hai 20/01/2025",
                ),
                (
                    Overdue,
                    "07:30 ngày 22/1/2025",
                    "3 ngày làm việc sau hạn: 07:30 thứ Tư 22/01/2025",
                ),
            ],
            "a plain week",
        );
    }

    #[test]
    fn a_reminder_waits_for_the_next_opening_only_when_no_earlier_one_follows_activation() {
        use SlotKind::Reminder;
        // Activated on Saturday two days before a Monday 10:00 deadline: 7d and 3d are past;
        // the 1d reminder's last earlier opening (Friday) is before the activation, so it
        // would wait for Monday 07:30, where the notice goes too: the unit gets the notice (its
        // first letter, which later ones thread under), not both.
        let slots = plan("10:00 ngày 20/1/2025", "09:00 ngày 18/1/2025", "7d,3d,1d", "");
        expect(
            &slots,
            &[(
                SlotKind::Notice,
                "07:30 ngày 20/1/2025",
                "thông báo khi bắt đầu theo dõi; dời sang 07:30 thứ Hai 20/01/2025 vì ngày nghỉ cuối tuần",
            )],
            "activated on Saturday",
        );
        // Without a notice on activation, that reminder goes at Monday 07:30.
        let calendar = WorkingCalendar::default();
        let window = window();
        let (remind, none) = (Offsets::parse("1d").unwrap(), Offsets::parse("").unwrap());
        let quiet = |activated: &str, deadline: &str| {
            plan_slots(&PlanInput {
                deadline: local(deadline),
                activated_at: local(activated),
                remind_before: &remind,
                overdue_after: &none,
                notice_on_activation: false,
                stop_overdue_after: Duration::days(30),
                window: &window,
                calendar: &calendar,
                zone: ZONE,
            })
        };
        let slots = quiet("09:00 ngày 18/1/2025", "10:00 ngày 20/1/2025");
        assert_eq!(slots.len(), 1);
        assert_eq!(slots[0].due_at, local("07:30 ngày 20/1/2025"), "{slots:?}");
        // Activated on Friday at 14:00 inside the afternoon period the reminder would move to:
        // it goes at once rather than on the deadline's own morning.
        let slots = quiet("14:00 ngày 17/1/2025", "10:00 ngày 20/1/2025");
        assert_eq!(slots.len(), 1);
        assert_eq!(slots[0].due_at, local("14:00 ngày 17/1/2025"), "{slots:?}");
        // A Monday 07:00 deadline: the Sunday reminder goes on Friday afternoon.
        let slots = plan("07:00 ngày 20/1/2025", "09:00 ngày 15/1/2025", "1d", "");
        expect(
            &slots,
            &[
                (SlotKind::Notice, "09:00 ngày 15/1/2025", "thông báo"),
                (
                    Reminder,
                    "13:30 ngày 17/1/2025",
                    "1 ngày trước hạn; đưa lên 13:30 thứ Sáu 17/01/2025 vì ngày nghỉ cuối tuần",
                ),
            ],
            "Monday 07:00",
        );
        // Activated on Sunday for that deadline: no opening between activation and deadline.
        let slots = plan("07:00 ngày 20/1/2025", "09:00 ngày 19/1/2025", "1d", "");
        assert!(slots.iter().all(|s| s.0 != Reminder), "{slots:?}");
    }

    #[test]
    fn a_slot_at_noon_goes_in_the_morning_and_sends_do_not_pile_up_on_one_opening() {
        use SlotKind::Reminder;
        let slots = plan("12:00 ngày 16/1/2025", "08:00 ngày 6/1/2025", "1d,90m", "");
        let reminders: Vec<_> = slots.iter().filter(|s| s.0 == Reminder).cloned().collect();
        expect(
            &reminders,
            &[
                (
                    Reminder,
                    "07:30 ngày 15/1/2025",
                    "1 ngày trước hạn; đưa lên 07:30 thứ Tư 15/01/2025",
                ),
                // 90 minutes before 12:00 is 10:30, inside the window.
                (Reminder, "10:30 ngày 16/1/2025", "90 phút trước hạn"),
            ],
            "noon",
        );
        // 2 days and 1 day before a Monday 17:00 deadline both fall on the weekend: both
        // would go on Friday afternoon; the unit gets one, the later in the policy.
        let slots = plan("17:00 ngày 20/1/2025", "08:00 ngày 6/1/2025", "2d,1d", "");
        let reminders: Vec<_> = slots.iter().filter(|s| s.0 == Reminder).cloned().collect();
        expect(
            &reminders,
            &[(Reminder, "13:30 ngày 17/1/2025", "1 ngày trước hạn")],
            "weekend pile-up",
        );
    }

    #[test]
    fn a_late_activation_sends_no_overdue_notice_already_due_or_long_past() {
        use SlotKind::{Notice, Overdue};
        // Activated five days after a Friday deadline: the 1st and 3rd working-day notices
        // have passed (the notice covers them); the 7th working day is still ahead.
        let slots = plan("17:00 ngày 7/3/2025", "09:00 ngày 12/3/2025", "7d,1d", "1d,3d,7d");
        expect(
            &slots,
            &[
                (Notice, "09:00 ngày 12/3/2025", "thông báo"),
                (
                    Overdue,
                    "07:30 ngày 18/3/2025",
                    "7 ngày làm việc sau hạn: 07:30 thứ Ba 18/03/2025",
                ),
            ],
            "five days late",
        );
        // A 2023 request activated in 2026: only the notice, nothing "overdue" to catch up.
        let slots = plan("trước ngày 31/12/2023", "09:00 ngày 2/12/2026", "7d,3d,1d", "1d,3d,7d");
        expect(
            &slots,
            &[(Notice, "09:00 ngày 2/12/2026", "thông báo")],
            "three years late",
        );
        // A deadline at 00:00 (the end of the day before): the first working morning is the
        // same day.
        let slots = plan("00:00 ngày 15/1/2025", "09:00 ngày 6/1/2025", "", "1d");
        let overdue: Vec<_> = slots.iter().filter(|s| s.0 == Overdue).collect();
        assert_eq!(overdue[0].1, local("07:30 ngày 15/1/2025"), "{overdue:?}");
        // No overdue notice later than stop-overdue-after (30 days by default).
        let slots = plan("17:00 ngày 17/1/2025", "09:00 ngày 6/1/2025", "", "1d,45d");
        let overdue: Vec<_> = slots.iter().filter(|s| s.0 == Overdue).collect();
        assert_eq!(overdue.len(), 1, "{overdue:?}");
    }

    /// Plans with the shipped calendar file: (kind, due local time, reason contains).
    fn plan_shipped(
        deadline: &str,
        activated: &str,
        remind: &str,
        overdue: &str,
    ) -> Vec<(SlotKind, DateTime<Utc>, String)> {
        let calendar = WorkingCalendar::new(
            crate::domain::calendar::parse_calendar_file(include_str!("../../config/calendar.toml")).unwrap(),
        );
        let window = window();
        let (remind, overdue) = (Offsets::parse(remind).unwrap(), Offsets::parse(overdue).unwrap());
        plan_slots(&PlanInput {
            deadline: local(deadline),
            activated_at: local(activated),
            remind_before: &remind,
            overdue_after: &overdue,
            notice_on_activation: false,
            stop_overdue_after: Duration::days(30),
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
        type Expected = &'static [(SlotKind, &'static str, &'static str)];
        let cases: [(&str, &str, &str, &str, &str, Expected); 6] = [
            (
                "a deadline on Saturday 30/12/2023 (trước ngày 31/12), New Year's Day Monday 1/1/2024",
                "trước ngày 31/12/2023",
                "09:00 ngày 11/12/2023",
                "3d,1d",
                "1d",
                &[
                    (
                        Reminder,
                        "13:30 ngày 27/12/2023",
                        "3 ngày trước hạn; đưa lên 13:30 thứ Tư 27/12/2023",
                    ),
                    (
                        Reminder,
                        "13:30 ngày 29/12/2023",
                        "1 ngày trước hạn; đưa lên 13:30 thứ Sáu 29/12/2023 vì ngoài giờ làm việc",
                    ),
                    (
                        Overdue,
                        "07:30 ngày 2/1/2024",
                        "1 ngày làm việc sau hạn: 07:30 thứ Ba 02/01/2024",
                    ),
                ],
            ),
            (
                "a deadline on 30/4/2025: the làm bù Saturday 26/4 is a working day, 1/5–4/5 are not",
                "17:00 ngày 30/4/2025",
                "09:00 ngày 14/4/2025",
                "3d,1d",
                "1d",
                &[
                    (
                        Reminder,
                        "13:30 ngày 26/4/2025",
                        "3 ngày trước hạn; đưa lên 13:30 thứ Bảy 26/04/2025",
                    ),
                    (
                        Reminder,
                        "13:30 ngày 29/4/2025",
                        "1 ngày trước hạn; đưa lên 13:30 thứ Ba 29/04/2025",
                    ),
                    (
                        Overdue,
                        "07:30 ngày 5/5/2025",
                        "1 ngày làm việc sau hạn: 07:30 thứ Hai 05/05/2025",
                    ),
                ],
            ),
            (
                "after Tết Ất Tỵ 2025 (off 25/1–2/2): the 7-day reminder goes before Tết",
                "17:00 ngày 4/2/2025",
                "09:00 ngày 20/1/2025",
                "7d",
                "",
                &[(
                    Reminder,
                    "13:30 ngày 24/1/2025",
                    "7 ngày trước hạn; đưa lên 13:30 thứ Sáu 24/01/2025 vì nghỉ",
                )],
            ),
            (
                "after Tết Giáp Thìn 2024 (off 8/2–14/2)",
                "17:00 ngày 16/2/2024",
                "09:00 ngày 1/2/2024",
                "8d,1d",
                "1d",
                &[
                    (
                        Reminder,
                        "13:30 ngày 7/2/2024",
                        "8 ngày trước hạn; đưa lên 13:30 thứ Tư 07/02/2024 vì nghỉ",
                    ),
                    (Reminder, "13:30 ngày 15/2/2024", "1 ngày trước hạn"),
                    (
                        Overdue,
                        "07:30 ngày 19/2/2024",
                        "1 ngày làm việc sau hạn: 07:30 thứ Hai 19/02/2024",
                    ),
                ],
            ),
            (
                "a deadline on Sunday: the last reminder on the Friday before",
                "17:00 ngày 19/1/2025",
                "09:00 ngày 6/1/2025",
                "1d",
                "1d",
                &[
                    (
                        Reminder,
                        "13:30 ngày 17/1/2025",
                        "1 ngày trước hạn; đưa lên 13:30 thứ Sáu 17/01/2025 vì ngày nghỉ cuối tuần",
                    ),
                    (
                        Overdue,
                        "07:30 ngày 20/1/2025",
                        "1 ngày làm việc sau hạn: 07:30 thứ Hai 20/01/2025",
                    ),
                ],
            ),
            (
                "a reminder target inside the window stays where it is",
                "10:00 ngày 6/5/2025",
                "09:00 ngày 21/4/2025",
                "10d,1d",
                "",
                &[
                    (Reminder, "10:00 ngày 26/4/2025", "10 ngày trước hạn"),
                    (Reminder, "10:00 ngày 5/5/2025", "1 ngày trước hạn"),
                ],
            ),
        ];
        for (what, deadline, activated, remind, overdue, expected) in cases {
            expect(&plan_shipped(deadline, activated, remind, overdue), expected, what);
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
