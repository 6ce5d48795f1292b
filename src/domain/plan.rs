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
mod tests;
