//! From plan to outbox: planning the slots of newly activated (request, unit) pairs, and,
//! when the send window is open, turning due slots into queued messages. After downtime
//! only the latest due slot of a (request, unit) is queued; the others are skipped with the
//! reason. Units that have reported, removed units and closed requests get nothing.
//!
//! The decisions are pure ([`settle_group`]); the functions here fetch facts from the store,
//! decide, compose messages and hand everything back to the store in one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::adapters::config::Settings;
use crate::adapters::store::{Settlement, SlotRow, Store, StoreError};
use crate::domain::calendar::WorkingCalendar;
use crate::domain::dates::format_instant;
use crate::domain::model::{Offsets, Request, RequestId, RequestState, Unit, UnitId};
use crate::domain::plan::{PlanInput, SKIPPED_FOR_LATER_SLOT, SlotKind, catch_up, plan_slots};
use crate::services::letters::to_unit::{self, UnitLetter};
use crate::services::letters::{LetterError, Setup, TemplateKind};

/// Plans the slots of every (request, unit) of an active request not planned yet.
/// Returns how many units were planned.
///
/// Units of a request that share a deadline share a plan, so it is computed once per
/// (request, deadline) and recorded for all of them at once, in one transaction.
pub async fn plan_new_units(
    store: &Store,
    settings: &Settings,
    calendar: &WorkingCalendar,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let todo = store.units_to_plan().await?;
    if todo.is_empty() {
        return Ok(0);
    }
    let requests: HashMap<RequestId, Request> = store.all_requests().await?.into_iter().map(|r| (r.id, r)).collect();
    let mut groups: BTreeMap<(RequestId, Option<DateTime<Utc>>), Vec<UnitId>> = BTreeMap::new();
    for unit in todo {
        if !requests.contains_key(&unit.request_id) {
            continue;
        }
        groups
            .entry((unit.request_id, unit.extended_deadline))
            .or_default()
            .push(unit.unit_id);
    }
    let mut planned = 0;
    let mut plans = Vec::with_capacity(groups.len());
    for ((request_id, extended_deadline), units) in groups {
        let Some(request) = requests.get(&request_id) else {
            continue;
        };
        // A request "để biết" sends its notice and nothing else, whatever the settings.
        let none = Offsets::default();
        let (deadline, remind_before, overdue_after, notice) = match request.deadline {
            Some(deadline) => (
                extended_deadline.unwrap_or(deadline),
                &request.remind_before,
                &request.overdue_after,
                settings.reminders.notice_on_activation,
            ),
            None => (now, &none, &none, true),
        };
        let input = PlanInput {
            deadline,
            activated_at: now,
            remind_before,
            overdue_after,
            notice_on_activation: notice,
            stop_overdue_after: chrono::Duration::minutes(settings.reminders.stop_overdue_after_minutes),
            window: &settings.send_window,
            calendar,
            zone: settings.office.zone,
        };
        planned += units.len();
        plans.push((request_id, extended_deadline, plan_slots(&input)));
    }
    store.record_plans(&plans, now).await?;
    Ok(planned)
}

/// What one pass of [`queue_due`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueSummary {
    pub queued: usize,
    pub skipped: usize,
    pub cancelled: usize,
}

/// What is known about one (request, unit) when its due slots are settled.
#[derive(Debug, Clone, Copy)]
pub struct GroupFacts {
    pub request_active: bool,
    pub unit_active: bool,
    pub reported: bool,
    pub has_address: bool,
    /// The unit's deadline (an extension included).
    pub deadline: DateTime<Utc>,
    /// No overdue notice goes this long after the deadline.
    pub stop_overdue_after: chrono::Duration,
}

/// A due slot as [`settle_group`] sees it: id, kind, due instant.
pub type DueSlot = (i64, SlotKind, DateTime<Utc>);

/// The registry facts settling needs, loaded once per pass.
struct Registry {
    requests: HashMap<RequestId, Request>,
    units: HashMap<UnitId, Unit>,
    reported: HashSet<(RequestId, UnitId)>,
    extended: HashMap<(RequestId, UnitId), DateTime<Utc>>,
}

impl Registry {
    /// The registry a view of one request needs (`Some`): its units only; or all of it.
    async fn load_for(store: &Store, request_id: Option<RequestId>) -> Result<Registry, StoreError> {
        let Some(request_id) = request_id else {
            return Registry::load(store).await;
        };
        Ok(Registry {
            requests: store.all_requests().await?.into_iter().map(|r| (r.id, r)).collect(),
            units: store
                .units_of_request(request_id)
                .await?
                .into_iter()
                .map(|u| (u.id, u))
                .collect(),
            reported: store.reported_pairs().await?,
            extended: store.extended_deadlines().await?,
        })
    }

    async fn load(store: &Store) -> Result<Registry, StoreError> {
        Ok(Registry {
            requests: store.all_requests().await?.into_iter().map(|r| (r.id, r)).collect(),
            units: store.all_units().await?.into_iter().map(|u| (u.id, u)).collect(),
            reported: store.reported_pairs().await?,
            extended: store.extended_deadlines().await?,
        })
    }

    fn deadline(&self, request_id: RequestId, unit_id: UnitId) -> Option<DateTime<Utc>> {
        self.extended
            .get(&(request_id, unit_id))
            .copied()
            .or(self.requests.get(&request_id).and_then(|r| r.deadline))
    }

    fn facts(
        &self,
        request_id: RequestId,
        unit_id: UnitId,
        now: DateTime<Utc>,
        stop_overdue_after: chrono::Duration,
    ) -> GroupFacts {
        let request = self.requests.get(&request_id);
        let unit = self.units.get(&unit_id);
        GroupFacts {
            request_active: request.is_some_and(|r| r.state == RequestState::Active),
            unit_active: unit.is_some_and(|u| u.active),
            reported: self.reported.contains(&(request_id, unit_id)),
            has_address: unit.is_some_and(|u| !u.addresses.is_empty()),
            deadline: self.deadline(request_id, unit_id).unwrap_or(now),
            stop_overdue_after,
        }
    }
}

/// The verdict on one due slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Send,
    Skip(String),
    Cancel(String),
}

pub const CANCEL_CLOSED: &str = crate::adapters::store::CLOSED;
pub const CANCEL_REMOVED: &str = "không gửi: đơn vị đã bị gỡ khỏi danh sách";
pub const CANCEL_REPORTED: &str = crate::adapters::store::REPORTED;
pub const CANCEL_NO_ADDRESS: &str = "không gửi: đơn vị chưa có địa chỉ email";
pub const SKIP_PAST_DEADLINE: &str = "bỏ qua: đến lượt gửi thì đã qua hạn; thư quá hạn sẽ gửi theo lịch";
pub const SKIP_LONG_OVERDUE: &str =
    "bỏ qua: hạn đã qua quá lâu (reminders.stop-overdue-after), không gửi thư quá hạn nữa";

/// Decides the due slots of one (request, unit): `(slot id, kind, due_at)` in any order.
pub fn settle_group(slots: &[DueSlot], facts: GroupFacts, now: DateTime<Utc>) -> Vec<(i64, Verdict)> {
    let cancel_reason = if !facts.request_active {
        Some(CANCEL_CLOSED)
    } else if !facts.unit_active {
        Some(CANCEL_REMOVED)
    } else if facts.reported {
        Some(CANCEL_REPORTED)
    } else if !facts.has_address {
        Some(CANCEL_NO_ADDRESS)
    } else {
        None
    };
    if let Some(reason) = cancel_reason {
        return slots
            .iter()
            .map(|(id, _, _)| (*id, Verdict::Cancel(reason.to_string())))
            .collect();
    }
    let waiting: Vec<(i64, DateTime<Utc>)> = slots.iter().map(|(id, _, at)| (*id, *at)).collect();
    let (latest, earlier) = catch_up(&waiting, now);
    let mut verdicts: Vec<(i64, Verdict)> = earlier
        .into_iter()
        .map(|id| (id, Verdict::Skip(SKIPPED_FOR_LATER_SLOT.to_string())))
        .collect();
    if let Some(id) = latest {
        let is_reminder = slots.iter().any(|(s, kind, _)| *s == id && *kind == SlotKind::Reminder);
        let is_overdue = slots.iter().any(|(s, kind, _)| *s == id && *kind == SlotKind::Overdue);
        if is_reminder && now >= facts.deadline {
            verdicts.push((id, Verdict::Skip(SKIP_PAST_DEADLINE.to_string())));
        } else if is_overdue && now - facts.deadline > facts.stop_overdue_after {
            verdicts.push((id, Verdict::Skip(SKIP_LONG_OVERDUE.to_string())));
        } else {
            verdicts.push((id, Verdict::Send));
        }
    }
    verdicts
}

/// Queues the messages of every due slot, if the send window is open at `now`.
pub async fn queue_due(store: &Store, setup: &Setup<'_>, now: DateTime<Utc>) -> Result<QueueSummary, LetterError> {
    let mut summary = QueueSummary::default();
    if !setup.window_open(now) {
        return Ok(summary);
    }
    let due = store.due_slots(now).await?;
    if due.is_empty() {
        return Ok(summary);
    }
    let registry = Registry::load(store).await?;
    let mut groups: BTreeMap<(RequestId, UnitId), Vec<&SlotRow>> = BTreeMap::new();
    for slot in &due {
        groups.entry((slot.request_id, slot.unit_id)).or_default().push(slot);
    }
    let mut settlements = Vec::new();
    let mut files: HashMap<RequestId, Vec<String>> = HashMap::new();
    for ((request_id, unit_id), slots) in groups {
        let request = registry.requests.get(&request_id);
        let unit = registry.units.get(&unit_id);
        let facts = registry.facts(request_id, unit_id, now, setup.stop_overdue_after());
        let deadline = facts.deadline;
        let keyed: Vec<DueSlot> = slots
            .iter()
            .map(|s| Ok((s.id, s.slot_kind()?, s.due_at)))
            .collect::<Result<_, StoreError>>()?;
        for (id, verdict) in settle_group(&keyed, facts, now) {
            match verdict {
                Verdict::Send => {
                    let (Some(request), Some(unit)) = (request, unit) else {
                        continue;
                    };
                    let slot = slots.iter().find(|s| s.id == id).copied();
                    let Some(slot) = slot else { continue };
                    let kind = slot.slot_kind()?;
                    let missing_attachment = kind != SlotKind::Notice
                        && store
                            .has_open_review(request.id, unit.id, crate::domain::incoming::Reason::MissingAttachment)
                            .await?;
                    let earlier_notice = store.notice_message_id(request.id, unit.id).await?;
                    let template = match (kind, request.expects_report(), &earlier_notice) {
                        (SlotKind::Notice, false, _) => TemplateKind::Information,
                        // A second notice: the deadline was extended since the first.
                        (SlotKind::Notice, true, Some(_)) => TemplateKind::Extension,
                        (kind, _, _) => kind.into(),
                    };
                    let files = match template {
                        TemplateKind::Notice | TemplateKind::Information => {
                            files_of(store, &mut files, request.id).await?
                        }
                        _ => Vec::new(),
                    };
                    let (copies, via) = match kind {
                        SlotKind::Overdue => {
                            let escalation = request
                                .escalation
                                .as_ref()
                                .unwrap_or(&setup.settings.reminders.escalation);
                            (
                                escalation_copies(escalation, request, unit, slot.offset_minutes, &registry.units),
                                escalation.via,
                            )
                        }
                        _ => (Vec::new(), Default::default()),
                    };
                    let letter = UnitLetter {
                        slot_id: slot.id,
                        kind,
                        request,
                        unit,
                        template,
                        deadline: request.expects_report().then_some(deadline),
                        missing_attachment,
                        files,
                        answers: earlier_notice,
                        copies,
                        via,
                    };
                    let letters = to_unit::escalation_letters(setup, &letter, now)?;
                    let message = to_unit::compose(setup, letter, now)?;
                    settlements.push(Settlement::Queue(id, Box::new(message), letters));
                }
                Verdict::Skip(reason) => {
                    settlements.push(Settlement::Skip(id, reason));
                    summary.skipped += 1;
                }
                Verdict::Cancel(reason) => {
                    settlements.push(Settlement::Cancel(id, reason));
                    summary.cancelled += 1;
                }
            }
        }
    }
    summary.queued = store.settle_slots(&settlements, now).await?;
    Ok(summary)
}

/// Who an overdue notice of `offset_minutes` is copied to: the unit's parent (its first
/// working address) when the escalation's step falls on this notice. Never when every
/// address of the unit itself is failing (the unit would not get the notice: the digest
/// says so instead), nor to a parent that is removed or has no working address.
pub fn escalation_copies(
    escalation: &crate::domain::escalation::Escalation,
    request: &Request,
    unit: &Unit,
    offset_minutes: i64,
    units: &HashMap<UnitId, Unit>,
) -> Vec<to_unit::Copy> {
    if escalation.step(&request.overdue_after, offset_minutes).is_none() {
        return Vec::new();
    }
    let receiving = unit
        .addresses
        .iter()
        .filter(|a| a.role != crate::domain::model::AddressRole::Head);
    if receiving.clone().all(|a| a.failing_since.is_some()) {
        return Vec::new();
    }
    let mut copies = Vec::new();
    for target in &escalation.to {
        match target {
            crate::domain::escalation::EscalateTo::Parent => {
                let parent = unit
                    .parent
                    .as_ref()
                    .and_then(|code| units.values().find(|u| u.code == *code && u.active));
                if let Some(parent) = parent
                    && let Some(address) = parent.addresses.iter().find(|a| a.failing_since.is_none())
                {
                    copies.push(to_unit::Copy {
                        name: parent.name.clone(),
                        address: address.address.to_string(),
                    });
                }
            }
            crate::domain::escalation::EscalateTo::Head => {
                for head in unit
                    .addresses
                    .iter()
                    .filter(|a| a.role == crate::domain::model::AddressRole::Head && a.failing_since.is_none())
                {
                    copies.push(to_unit::Copy {
                        name: format!("Thủ trưởng {}", unit.name),
                        address: head.address.to_string(),
                    });
                }
            }
        }
    }
    copies
}

/// The names of a request's files, loaded once per pass.
async fn files_of(
    store: &Store,
    loaded: &mut HashMap<RequestId, Vec<String>>,
    request_id: RequestId,
) -> Result<Vec<String>, StoreError> {
    if let Some(names) = loaded.get(&request_id) {
        return Ok(names.clone());
    }
    let names: Vec<String> = store
        .request_files(request_id)
        .await?
        .into_iter()
        .map(|f| f.file_name)
        .collect();
    loaded.insert(request_id, names.clone());
    Ok(names)
}

/// One line of `reminders plan`.
#[derive(Debug, Clone, Serialize)]
pub struct PlanLine {
    pub request: String,
    pub request_code: String,
    pub unit: String,
    pub unit_name: String,
    pub kind: SlotKind,
    pub offset_minutes: i64,
    pub due_at: DateTime<Utc>,
    pub due_local: String,
    pub reason: String,
    /// `send` (at its time), `send_now` (overdue, goes at the next pass), `skip`.
    pub action: &'static str,
    pub note: Option<String>,
}

/// What would be sent from `from` on: every waiting slot of units that have not reported,
/// with the verdict the catch-up rule gives the ones already due, collected (the web page
/// of one request, the dry run of a send). [`plan_view_each`] streams it instead.
pub async fn plan_view(
    store: &Store,
    setup: &Setup<'_>,
    from: DateTime<Utc>,
    request_id: Option<RequestId>,
) -> Result<Vec<PlanLine>, StoreError> {
    let mut lines = Vec::new();
    plan_view_each(store, setup, from, request_id, |line| {
        lines.push(line);
        Ok::<(), StoreError>(())
    })
    .await?;
    Ok(lines)
}

/// [`plan_view`], each line handed to `each` as soon as it is known, in the order the slots
/// go: memory holds the registry and the verdicts of the slots already due, never the whole
/// plan (600,000 slots for 20,000 units × 5 requests).
///
/// Two passes over the store: first the due slots, each (request, unit)'s together, which the
/// catch-up rule decides (the latest goes, the earlier are skipped); then every waiting slot
/// in order of its time.
pub async fn plan_view_each<E: From<StoreError>>(
    store: &Store,
    setup: &Setup<'_>,
    from: DateTime<Utc>,
    request_id: Option<RequestId>,
    mut each: impl FnMut(PlanLine) -> Result<(), E>,
) -> Result<(), E> {
    let registry = Registry::load_for(store, request_id).await?;
    let zone = setup.settings.office.zone;
    let stop_overdue_after = setup.stop_overdue_after();

    let mut verdicts = DueVerdicts::default();
    let mut group: Vec<DueSlot> = Vec::new();
    let mut group_key: Option<(RequestId, UnitId)> = None;
    let decide = |key: (RequestId, UnitId), group: &mut Vec<DueSlot>, verdicts: &mut DueVerdicts| {
        let facts = registry.facts(key.0, key.1, from, stop_overdue_after);
        for (id, verdict) in settle_group(group, facts, from) {
            verdicts.insert(id, verdict);
        }
        group.clear();
    };
    store
        .for_each_due_waiting_slot(request_id, from, |slot| {
            let key = (slot.request_id, slot.unit_id);
            if let Some(previous) = group_key
                && previous != key
            {
                decide(previous, &mut group, &mut verdicts);
            }
            group_key = Some(key);
            group.push((slot.id, slot.slot_kind()?, slot.due_at));
            Ok::<(), StoreError>(())
        })
        .await?;
    if let Some(last) = group_key {
        decide(last, &mut group, &mut verdicts);
    }

    store
        .for_each_waiting_slot(request_id, |slot| {
            if registry.reported.contains(&(slot.request_id, slot.unit_id)) {
                return Ok(());
            }
            let (Some(request), Some(unit)) = (
                registry.requests.get(&slot.request_id),
                registry.units.get(&slot.unit_id),
            ) else {
                return Ok(());
            };
            if !unit.active {
                return Ok(());
            }
            let (action, mut note) = match verdicts.get(slot.id) {
                None => ("send", None),
                Some(Verdict::Send) => ("send_now", Some("đã đến giờ: gửi ở lượt gửi kế tiếp".to_string())),
                Some(Verdict::Skip(reason)) | Some(Verdict::Cancel(reason)) => ("skip", Some(reason.clone())),
            };
            let kind = slot.slot_kind()?;
            if kind == SlotKind::Overdue && action != "skip" {
                let escalation = request
                    .escalation
                    .as_ref()
                    .unwrap_or(&setup.settings.reminders.escalation);
                if let Some(step) = escalation.step(&request.overdue_after, slot.offset_minutes) {
                    let days = escalation.after_days[usize::from(step) - 1];
                    let mut to: Vec<String> = Vec::new();
                    for target in &escalation.to {
                        match target {
                            crate::domain::escalation::EscalateTo::Parent => match &unit.parent {
                                Some(parent) => to.push(format!("đơn vị cấp trên `{parent}`")),
                                None => to.push("(đơn vị chưa có cấp trên trong danh sách)".to_string()),
                            },
                            crate::domain::escalation::EscalateTo::Head => {
                                let heads: Vec<String> = unit
                                    .addresses
                                    .iter()
                                    .filter(|a| a.role == crate::domain::model::AddressRole::Head)
                                    .map(|a| a.address.to_string())
                                    .collect();
                                to.push(if heads.is_empty() {
                                    "(đơn vị chưa có địa chỉ thủ trưởng: baocao unit role)".to_string()
                                } else {
                                    format!("thủ trưởng {}", heads.join(", "))
                                });
                            }
                        }
                    }
                    let to = match escalation.via {
                        crate::domain::escalation::EscalateVia::Cc => format!("đồng gửi {}", to.join(", ")),
                        crate::domain::escalation::EscalateVia::Letter => {
                            format!("gửi thư riêng đề nghị đôn đốc tới {}", to.join(", "))
                        }
                    };
                    let line = format!("chuyển cấp trên lần {step} (quá hạn từ {days} ngày làm việc): {to}");
                    note = Some(match note {
                        Some(earlier) => format!("{earlier}; {line}"),
                        None => line,
                    });
                }
            }
            each(PlanLine {
                request: request.token.clone(),
                request_code: request.code.to_string(),
                unit: unit.code.to_string(),
                unit_name: unit.name.clone(),
                kind,
                offset_minutes: slot.offset_minutes,
                due_at: slot.due_at,
                due_local: format_instant(slot.due_at, zone),
                reason: slot.due_reason,
                action,
                note,
            })
        })
        .await
}

/// The verdicts on the slots already due, by slot id. The verdicts are few distinct values
/// (send, or one of a handful of reasons), so each is kept once and the map holds an index:
/// a plan viewed far ahead has every slot due.
#[derive(Default)]
struct DueVerdicts {
    distinct: Vec<Verdict>,
    by_slot: HashMap<i64, usize>,
}

impl DueVerdicts {
    fn insert(&mut self, slot: i64, verdict: Verdict) {
        let index = match self.distinct.iter().position(|known| *known == verdict) {
            Some(index) => index,
            None => {
                self.distinct.push(verdict);
                self.distinct.len() - 1
            }
        };
        self.by_slot.insert(slot, index);
    }

    fn get(&self, slot: i64) -> Option<&Verdict> {
        self.by_slot.get(&slot).and_then(|index| self.distinct.get(*index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, day, hour, 0, 0).unwrap()
    }

    fn facts() -> GroupFacts {
        GroupFacts {
            request_active: true,
            unit_active: true,
            reported: false,
            has_address: true,
            deadline: at(17, 10),
            stop_overdue_after: chrono::Duration::days(30),
        }
    }

    #[test]
    fn the_latest_due_slot_is_sent_and_the_earlier_ones_skipped() {
        let slots = [
            (1, SlotKind::Notice, at(6, 2)),
            (2, SlotKind::Reminder, at(10, 2)),
            (3, SlotKind::Reminder, at(14, 2)),
        ];
        let verdicts = settle_group(&slots, facts(), at(15, 3));
        assert_eq!(
            verdicts,
            vec![
                (1, Verdict::Skip(SKIPPED_FOR_LATER_SLOT.into())),
                (2, Verdict::Skip(SKIPPED_FOR_LATER_SLOT.into())),
                (3, Verdict::Send),
            ]
        );
    }

    #[test]
    fn a_reminder_whose_deadline_passed_during_downtime_is_not_sent() {
        let slots = [(2, SlotKind::Reminder, at(16, 2))];
        let verdicts = settle_group(&slots, facts(), at(17, 11));
        assert_eq!(verdicts, vec![(2, Verdict::Skip(SKIP_PAST_DEADLINE.into()))]);
        let overdue = [(2, SlotKind::Reminder, at(16, 2)), (4, SlotKind::Overdue, at(18, 2))];
        let verdicts = settle_group(&overdue, facts(), at(18, 3));
        assert_eq!(verdicts[1], (4, Verdict::Send));
    }

    #[test]
    fn a_service_started_long_after_the_deadline_sends_no_overdue_notice() {
        // Deadline 17/1 10:00; a 7-day stop lets the limit pass (30 days by default, 5 here).
        let slots = [(4, SlotKind::Overdue, at(18, 2))];
        let short = GroupFacts {
            stop_overdue_after: chrono::Duration::days(5),
            ..facts()
        };
        assert_eq!(
            settle_group(&slots, short, at(24, 2)),
            vec![(4, Verdict::Skip(SKIP_LONG_OVERDUE.into()))]
        );
        assert_eq!(settle_group(&slots, facts(), at(24, 2)), vec![(4, Verdict::Send)]);
    }

    #[test]
    fn reported_removed_closed_and_addressless_units_get_nothing() {
        let slots = [(1, SlotKind::Reminder, at(10, 2)), (2, SlotKind::Reminder, at(14, 2))];
        let cases = [
            (
                GroupFacts {
                    reported: true,
                    ..facts()
                },
                CANCEL_REPORTED,
            ),
            (
                GroupFacts {
                    request_active: false,
                    ..facts()
                },
                CANCEL_CLOSED,
            ),
            (
                GroupFacts {
                    unit_active: false,
                    ..facts()
                },
                CANCEL_REMOVED,
            ),
            (
                GroupFacts {
                    has_address: false,
                    ..facts()
                },
                CANCEL_NO_ADDRESS,
            ),
        ];
        for (facts, reason) in cases {
            let verdicts = settle_group(&slots, facts, at(15, 3));
            assert_eq!(
                verdicts,
                vec![(1, Verdict::Cancel(reason.into())), (2, Verdict::Cancel(reason.into()))]
            );
        }
    }
}
