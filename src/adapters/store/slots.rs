//! Reminder slots: recording the plan of each (request, unit), finding the slots that are
//! due, settling them (queued as a message, skipped or cancelled, with the reason), and
//! cancelling what is left when a unit reports, is removed, or the request closes.

use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use serde::Serialize;

use super::db::Arg;
use super::outbox::{NewMessage, cancel_slots_of_cancelled_messages, insert_message};
use super::{Db, Store, StoreError, StoreResult, on_pool, parse_column, sql};
use crate::domain::model::{RequestId, SlotState, UnitId};
use crate::domain::plan::{PlannedSlot, SlotKind};

mod query_plans;

/// A unit of an active request whose slots have not been planned yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnitToPlan {
    pub request_id: RequestId,
    pub unit_id: UnitId,
    pub extended_deadline: Option<DateTime<Utc>>,
}

/// A plan shared by units of a request: the request, the units' own deadline (`None`: the
/// request's) and the slots; see [`Store::record_plans`].
pub type UnitsPlan = (RequestId, Option<DateTime<Utc>>, Vec<PlannedSlot>);

/// One stored slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SlotRow {
    pub id: i64,
    pub request_id: RequestId,
    pub unit_id: UnitId,
    pub kind: String,
    pub offset_minutes: i64,
    pub planned_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub due_reason: String,
    pub state: String,
    pub state_reason: Option<String>,
}

impl SlotRow {
    pub fn slot_kind(&self) -> StoreResult<SlotKind> {
        parse_column("reminder_slots.kind", &self.kind, SlotKind::parse)
    }

    pub fn slot_state(&self) -> StoreResult<SlotState> {
        parse_column("reminder_slots.state", &self.state, SlotState::parse)
    }
}

/// What becomes of a due slot.
#[derive(Debug, Clone)]
pub enum Settlement {
    /// Sent as this message, with these others (escalation letters to those above the unit).
    Queue(i64, Box<NewMessage>, Vec<NewMessage>),
    /// Not sent, with the reason a clerk reads.
    Skip(i64, String),
    Cancel(i64, String),
}

/// Cancels waiting slots and queued messages of a request and/or a unit (`None` matches
/// any); returns the number of rows changed.
pub(crate) async fn cancel_waiting_in(
    db: &mut Db<'_>,
    request_id: Option<RequestId>,
    unit_id: Option<UnitId>,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    // Plain equality for the ids given, so the (request, unit) index is used: `$3 IS NULL
    // OR request_id = $3` made both databases scan every planned slot (12.6 ms per counted
    // message with 10,500 planned slots, 0.08 ms this way).
    let (filter, ids) = id_filter(request_id, unit_id);
    let statements = cancel_waiting_statements(filter);
    let mut changed = 0;
    for statement in statements {
        let mut query = sql(sqlx::AssertSqlSafe(statement)).bind(reason).bind(now);
        for id in &ids {
            query = query.bind(id.clone());
        }
        changed += query.execute(db).await?;
    }
    cancel_slots_of_cancelled_messages(db, now).await?;
    Ok(changed)
}

/// The statements of [`cancel_waiting_in`]: waiting slots, then queued messages, with
/// `filter` from [`id_filter`] (`$1` reason, `$2` now).
pub(crate) fn cancel_waiting_statements(filter: &str) -> [String; 2] {
    [
        format!(
            "UPDATE reminder_slots SET state = 'cancelled', state_reason = $1, updated_at = $2 \
             WHERE state = 'planned' {filter}"
        ),
        format!(
            "UPDATE outgoing_messages SET state = 'cancelled', last_error = $1, updated_at = $2 \
             WHERE state IN ('queued', 'retry') AND kind IN ('notice', 'reminder', 'overdue', 'escalation') {filter}"
        ),
    ]
}

/// The `AND …` of a statement limited to a request and/or a unit, its placeholders from `$3`,
/// and the ids to bind in that order.
pub(crate) fn id_filter(request_id: Option<RequestId>, unit_id: Option<UnitId>) -> (&'static str, Vec<Arg>) {
    match (request_id, unit_id) {
        (Some(request), Some(unit)) => (
            "AND request_id = $3 AND unit_id = $4",
            vec![request.into(), unit.into()],
        ),
        (Some(request), None) => ("AND request_id = $3", vec![request.into()]),
        (None, Some(unit)) => ("AND unit_id = $3", vec![unit.into()]),
        (None, None) => ("", Vec::new()),
    }
}

/// Drops what waits for one (request, unit) — queued messages (cancelled with `note`) and
/// planned slots — and marks it to be planned again, inside a transaction; the caller then
/// runs [`cancel_slots_of_cancelled_messages`] once. Used when its deadline changes.
pub(crate) async fn replan_unit(
    db: &mut Db<'_>,
    request_id: RequestId,
    unit_id: UnitId,
    note: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sql("UPDATE request_units SET slots_planned_at = NULL WHERE request_id = $1 AND unit_id = $2")
        .bind(request_id)
        .bind(unit_id)
        .execute(db)
        .await?;
    sql(
        "UPDATE outgoing_messages SET state = 'cancelled', last_error = $3, updated_at = $4 \
         WHERE state IN ('queued', 'retry') AND kind IN ('notice', 'reminder', 'overdue', 'escalation') \
         AND request_id = $1 AND unit_id = $2",
    )
    .bind(request_id)
    .bind(unit_id)
    .bind(note)
    .bind(now)
    .execute(db)
    .await?;
    sql("DELETE FROM reminder_slots WHERE request_id = $1 AND unit_id = $2 AND state = 'planned'")
        .bind(request_id)
        .bind(unit_id)
        .execute(db)
        .await?;
    // The finished slots of the old plan stay as history, but must not stop the new plan
    // from having its own notice and reminders at the same offsets: their key moves to
    // `offset_minutes = -id` (negative: a slot of an earlier plan; unique by its id).
    sql(
        "UPDATE reminder_slots SET offset_minutes = -id WHERE request_id = $1 AND unit_id = $2 AND offset_minutes >= 0",
    )
    .bind(request_id)
    .bind(unit_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Units whose slots one statement writes: their ids travel as one JSON array, so the number
/// is bounded by the size of the statement's work, not by a bind limit.
const UNITS_PER_STATEMENT: usize = 5_000;

/// Slots of one plan written by one statement: five placeholders each, far below SQLite's
/// 32,766 and PostgreSQL's 65,535 even for a plan longer than any office sets.
const SLOTS_PER_STATEMENT: usize = 1_000;

/// Marks the active units of a request whose own deadline is `deadline` (`None`: no
/// extension) as planned, only those not planned yet; returns the ones it marked (the ones
/// this transaction must write slots for). The units are chosen by that condition, not by a
/// list of ids: PostgreSQL, on a table not analysed yet, compared every row with every id of
/// a list (10 s per 5,000 units of 20,000).
async fn claim_units(
    db: &mut Db<'_>,
    request_id: RequestId,
    deadline: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<UnitId>> {
    let claimed: Vec<(UnitId,)> = sql("UPDATE request_units SET slots_planned_at = $1 \
         WHERE request_id = $2 AND slots_planned_at IS NULL AND extended_deadline IS NOT DISTINCT FROM $3 \
         AND EXISTS (SELECT 1 FROM units u WHERE u.id = request_units.unit_id AND u.active) RETURNING unit_id")
    .bind(now)
    .bind(request_id)
    .bind(deadline)
    .fetch_all(db)
    .await?;
    let mut units: Vec<UnitId> = claimed.into_iter().map(|(unit,)| unit).collect();
    units.sort_unstable();
    Ok(units)
}

/// Writes `slots` for each of `units` in one statement: the units (a JSON array) crossed
/// with the slots (`$4…`, five placeholders a slot). A slot that exists already (same
/// request, unit, kind and offset) is left alone, as a single-row insert would.
async fn insert_slots(
    db: &mut Db<'_>,
    request_id: RequestId,
    units: &[UnitId],
    slots: &[PlannedSlot],
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let unit_rows = if db.is_postgres() {
        "SELECT CAST(value AS BIGINT) AS unit_id FROM json_array_elements_text($3::json)"
    } else {
        "SELECT value AS unit_id FROM json_each($3)"
    };
    let slot_rows: Vec<String> = (0..slots.len())
        .map(|i| {
            let n = 4 + 5 * i;
            format!(
                "SELECT ${n} AS kind, ${} AS offset_minutes, ${} AS planned_at, ${} AS due_at, ${} AS due_reason",
                n + 1,
                n + 2,
                n + 3,
                n + 4
            )
        })
        .collect();
    // `WHERE true`: without a WHERE, SQLite would read `ON CONFLICT` as a join's `ON`.
    let statement = format!(
        "INSERT INTO reminder_slots (request_id, unit_id, kind, offset_minutes, planned_at, due_at, due_reason, \
         state, updated_at) SELECT $2, u.unit_id, p.kind, p.offset_minutes, p.planned_at, p.due_at, p.due_reason, \
         'planned', $1 FROM ({unit_rows}) u CROSS JOIN ({}) p WHERE true \
         ON CONFLICT (request_id, unit_id, kind, offset_minutes) DO NOTHING",
        slot_rows.join(" UNION ALL ")
    );
    let mut query = sql(sqlx::AssertSqlSafe(statement))
        .bind(now)
        .bind(request_id)
        .bind(id_list(units));
    for slot in slots {
        query = query
            .bind(slot.kind.as_str())
            .bind(slot.offset_minutes)
            .bind(slot.planned_at)
            .bind(slot.due_at)
            .bind(&slot.reason);
    }
    query.execute(db).await
}

/// Ids as a JSON array (`[3,17,42]`), which both databases unpack server-side.
fn id_list(units: &[UnitId]) -> String {
    let ids: Vec<i64> = units.iter().map(|unit| unit.get()).collect();
    serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())
}

/// The columns of [`SlotRow`], as a literal so the query texts below are constants.
macro_rules! slot_columns {
    () => {
        "SELECT id, request_id, unit_id, kind, offset_minutes, planned_at, due_at, due_reason, state, state_reason \
         FROM reminder_slots"
    };
}

/// Waiting slots whose time has come (`$1`), each (request, unit)'s together.
pub(crate) const DUE_SLOTS: &str = concat!(
    slot_columns!(),
    " WHERE state = 'planned' AND due_at <= $1 ORDER BY request_id, unit_id, due_at"
);

/// The plan view: every waiting slot of the active requests, in the order they go.
pub(crate) const WAITING_SLOTS: &str = concat!(
    slot_columns!(),
    " WHERE state = 'planned' AND request_id IN (SELECT id FROM requests WHERE state = 'active') \
     ORDER BY due_at, request_id, unit_id"
);

/// The plan view of one request (`$1`), if it is active, in the order they go. Its own text
/// (not `$1 IS NULL OR request_id = $1`) so the request's index is used, not every planned
/// slot of every request.
pub(crate) const WAITING_SLOTS_OF_REQUEST: &str = concat!(
    slot_columns!(),
    " WHERE request_id = $1 AND state = 'planned' \
     AND EXISTS (SELECT 1 FROM requests r WHERE r.id = $1 AND r.state = 'active') ORDER BY due_at, unit_id"
);

/// The waiting slots of the active requests whose time has come (`$1`), each (request,
/// unit)'s together: what the catch-up rule of the plan view is decided on.
pub(crate) const DUE_WAITING_SLOTS: &str = concat!(
    slot_columns!(),
    " WHERE state = 'planned' AND due_at <= $1 AND request_id IN (SELECT id FROM requests WHERE state = 'active') \
     ORDER BY request_id, unit_id, due_at"
);

/// [`DUE_WAITING_SLOTS`] of one request (`$2`).
pub(crate) const DUE_WAITING_SLOTS_OF_REQUEST: &str = concat!(
    slot_columns!(),
    " WHERE request_id = $2 AND state = 'planned' AND due_at <= $1 \
     AND EXISTS (SELECT 1 FROM requests r WHERE r.id = $2 AND r.state = 'active') ORDER BY unit_id, due_at"
);

impl Store {
    /// Units of active requests whose slots are still to be planned (just activated, or
    /// added to the request since).
    pub async fn units_to_plan(&self) -> StoreResult<Vec<UnitToPlan>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT ru.request_id, ru.unit_id, ru.extended_deadline FROM request_units ru \
                 JOIN requests r ON r.id = ru.request_id JOIN units u ON u.id = ru.unit_id \
                 WHERE r.state = 'active' AND u.active AND ru.slots_planned_at IS NULL \
                 ORDER BY ru.request_id, ru.unit_id",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Records the plans of many (request, unit) pairs in one transaction, each pair once.
    /// Each entry is a request, a deadline of its units (`None`: the request's own, for the
    /// units without an extension) and the plan they share: it is recorded for every active
    /// unit of the request with that deadline whose plan is not recorded yet. A pair whose
    /// plan is already recorded (another instance or an earlier pass got there first) is
    /// left as it is. Returns the number of slots written.
    ///
    /// Activation plans thousands of units at a time, so the slots are written in bulk: one
    /// statement claims the units (`slots_planned_at`) and one per chunk of units writes the
    /// plan for each of them (the units as one JSON array, crossed with the plan's slots),
    /// instead of one statement per slot.
    pub async fn record_plans(&self, plans: &[UnitsPlan], now: DateTime<Utc>) -> StoreResult<usize> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let mut written = 0;
        for (request_id, deadline, slots) in plans {
            let claimed = claim_units(db, *request_id, *deadline, now).await?;
            for units in claimed.chunks(UNITS_PER_STATEMENT) {
                for slots in slots.chunks(SLOTS_PER_STATEMENT) {
                    written += insert_slots(db, *request_id, units, slots, now).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(written as usize)
    }

    /// Slots still waiting whose time has come.
    pub async fn due_slots(&self, due_by: DateTime<Utc>) -> StoreResult<Vec<SlotRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(DUE_SLOTS).bind(due_by).fetch_all(pool).await?
        }))
    }

    /// Hands every waiting (planned) slot of the active requests (optionally one request)
    /// to `each`, in the order they go, as the database returns them: the plan view of
    /// 600,000 slots never holds more than one.
    pub async fn for_each_waiting_slot<E: From<StoreError>>(
        &self,
        request_id: Option<RequestId>,
        each: impl FnMut(SlotRow) -> Result<(), E>,
    ) -> Result<(), E> {
        let statement = match request_id {
            Some(_) => WAITING_SLOTS_OF_REQUEST,
            None => WAITING_SLOTS,
        };
        self.stream_slots(statement, None, request_id, each).await
    }

    /// Like [`for_each_waiting_slot`](Self::for_each_waiting_slot), only the slots due by
    /// `due_by`, each (request, unit)'s one after another.
    pub async fn for_each_due_waiting_slot<E: From<StoreError>>(
        &self,
        request_id: Option<RequestId>,
        due_by: DateTime<Utc>,
        each: impl FnMut(SlotRow) -> Result<(), E>,
    ) -> Result<(), E> {
        let statement = match request_id {
            Some(_) => DUE_WAITING_SLOTS_OF_REQUEST,
            None => DUE_WAITING_SLOTS,
        };
        self.stream_slots(statement, Some(due_by), request_id, each).await
    }

    /// Runs a slot query (binding `due_by`, then `request_id`, those given) and hands its
    /// rows to `each` one at a time.
    async fn stream_slots<E: From<StoreError>>(
        &self,
        statement: &'static str,
        due_by: Option<DateTime<Utc>>,
        request_id: Option<RequestId>,
        mut each: impl FnMut(SlotRow) -> Result<(), E>,
    ) -> Result<(), E> {
        on_pool!(self, |pool| {
            let mut query = sqlx::query_as::<_, SlotRow>(statement);
            if let Some(due_by) = due_by {
                query = query.bind(due_by);
            }
            if let Some(request_id) = request_id {
                query = query.bind(request_id);
            }
            let mut rows = query.fetch(pool);
            while let Some(row) = rows.try_next().await.map_err(StoreError::from)? {
                each(row)?;
            }
        });
        Ok(())
    }

    /// Settles due slots in one transaction. A slot that is no longer `planned` (another
    /// instance settled it) is left alone, and its message is not queued.
    pub async fn settle_slots(&self, settlements: &[Settlement], now: DateTime<Utc>) -> StoreResult<usize> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let queued = {
            let mut queued = 0;
            for settlement in settlements {
                let (id, state, reason) = match settlement {
                    Settlement::Queue(id, _, _) => (*id, SlotState::Queued, None),
                    Settlement::Skip(id, reason) => (*id, SlotState::Skipped, Some(reason.as_str())),
                    Settlement::Cancel(id, reason) => (*id, SlotState::Cancelled, Some(reason.as_str())),
                };
                let changed = sql(
                    "UPDATE reminder_slots SET state = $1, state_reason = $2, updated_at = $3 \
                     WHERE id = $4 AND state = 'planned'",
                )
                .bind(state.as_str())
                .bind(reason)
                .bind(now)
                .bind(id)
                .execute(db)
                .await?;
                if changed == 1
                    && let Settlement::Queue(_, message, others) = settlement
                {
                    queued += insert_message(db, message, now).await?;
                    for other in others {
                        queued += insert_message(db, other, now).await?;
                    }
                }
            }
            queued
        };
        tx.commit().await?;
        Ok(queued as usize)
    }

    /// Cancels every waiting slot and queued message of a request or of a unit (closed or
    /// removed).
    pub async fn cancel_waiting(
        &self,
        request_id: Option<RequestId>,
        unit_id: Option<UnitId>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let cancelled = { cancel_waiting_in(db, request_id, unit_id, reason, now).await? };
        tx.commit().await?;
        Ok(cancelled)
    }
}
