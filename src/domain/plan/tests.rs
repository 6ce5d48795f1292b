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
        crate::domain::calendar::parse_calendar_file(include_str!("../../../config/calendar.toml")).unwrap(),
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
