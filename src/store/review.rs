//! The review queue: messages a person must decide on, and the three decisions: assign to a
//! unit and request (counted, optionally remembering the sender's address), reject (not
//! counted), or grant the unit a later deadline (its waiting reminders are dropped so they
//! can be planned again against the new deadline).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::outbox::{REPORTED, cancel_slots_of_cancelled_messages};
use super::slots::cancel_waiting_in_tx;
use super::{Store, StoreError, StoreResult, in_tx, on_pool};

/// One review item with the message it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ReviewItem {
    pub id: i64,
    pub incoming_id: i64,
    pub reason: String,
    pub state: String,
    pub unit_id: Option<i64>,
    pub unit_code: Option<String>,
    pub request_id: Option<i64>,
    pub request_token: Option<String>,
    pub suggested_unit_code: Option<String>,
    /// JSON list of request ids.
    pub candidates: String,
    pub resolution_note: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub rule: Option<String>,
    /// JSON `[{"name","size"}]`.
    pub attachments: String,
    pub raw_path: Option<String>,
    pub message_id: Option<String>,
}

const REVIEW_SELECT: &str = "SELECT ri.id, ri.incoming_id, ri.reason, ri.state, ri.unit_id, u.code AS unit_code, \
     ri.request_id, r.token AS request_token, su.code AS suggested_unit_code, ri.candidates, ri.resolution_note, \
     ri.resolved_at, m.received_at, m.from_address, m.from_name, m.subject, m.detail, m.rule, m.attachments, \
     m.raw_path, m.message_id \
     FROM review_items ri JOIN incoming_messages m ON m.id = ri.incoming_id \
     LEFT JOIN units u ON u.id = ri.unit_id LEFT JOIN units su ON su.id = ri.suggested_unit_id \
     LEFT JOIN requests r ON r.id = ri.request_id";

/// How an item was assigned.
#[derive(Debug, Clone)]
pub struct Assignment<'a> {
    pub unit_id: i64,
    pub request_id: i64,
    pub late: bool,
    /// Add the sender's address to the unit.
    pub remember_address: Option<&'a str>,
    pub note: Option<&'a str>,
}

impl Store {
    pub async fn review_items(&self, open_only: bool) -> StoreResult<Vec<ReviewItem>> {
        let rows = on_pool!(self, |pool| {
            if open_only {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{REVIEW_SELECT} WHERE ri.state = 'open' ORDER BY m.received_at, ri.id"
                )))
                .fetch_all(pool)
                .await?
            } else {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{REVIEW_SELECT} ORDER BY m.received_at, ri.id"
                )))
                .fetch_all(pool)
                .await?
            }
        });
        Ok(rows)
    }

    pub async fn review_item(&self, id: i64) -> StoreResult<ReviewItem> {
        let row: Option<ReviewItem> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{REVIEW_SELECT} WHERE ri.id = $1")))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or_else(|| StoreError::NotFound(format!("không có mục chờ xem xét số {id}")))
    }

    /// Counts the message for a unit and request. Returns whether it is a resubmission.
    pub async fn assign_review(&self, id: i64, a: &Assignment<'_>, now: DateTime<Utc>) -> StoreResult<bool> {
        let resubmission = in_tx!(self, |tx| {
            let claimed = sqlx::query(
                "UPDATE review_items SET state = 'assigned', unit_id = $2, request_id = $3, resolution_note = $4, \
                 resolved_at = $5 WHERE id = $1 AND state = 'open'",
            )
            .bind(id)
            .bind(a.unit_id)
            .bind(a.request_id)
            .bind(a.note)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed != 1 {
                return Err(StoreError::Rejected(vec![format!(
                    "mục {id} không còn chờ xem xét (đã được xử lý)"
                )]));
            }
            let (incoming_id, received_at, attachments): (i64, DateTime<Utc>, String) = sqlx::query_as(
                "SELECT m.id, m.received_at, m.attachments FROM incoming_messages m \
                 JOIN review_items ri ON ri.incoming_id = m.id WHERE ri.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            let (count,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM submissions WHERE request_id = $1 AND unit_id = $2")
                    .bind(a.request_id)
                    .bind(a.unit_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let resubmission = count > 0;
            sqlx::query(
                "INSERT INTO submissions (request_id, unit_id, incoming_id, via, received_at, late, attachments, \
                 note, is_resubmission, created_at) VALUES ($1, $2, $3, 'email', $4, $5, $6, $7, $8, $9)",
            )
            .bind(a.request_id)
            .bind(a.unit_id)
            .bind(incoming_id)
            .bind(received_at)
            .bind(a.late)
            .bind(&attachments)
            .bind(a.note)
            .bind(resubmission)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE incoming_messages SET state = 'counted', reason = $2, rule = 'review_assign', unit_id = $3, \
                 request_id = $4 WHERE id = $1",
            )
            .bind(incoming_id)
            .bind(if resubmission { "resubmission" } else { "report" })
            .bind(a.unit_id)
            .bind(a.request_id)
            .execute(&mut *tx)
            .await?;
            if let Some(address) = a.remember_address {
                let (position,): (i64,) =
                    sqlx::query_as("SELECT COALESCE(MAX(position), -1) + 1 FROM unit_addresses WHERE unit_id = $1")
                        .bind(a.unit_id)
                        .fetch_one(&mut *tx)
                        .await?;
                sqlx::query(
                    "INSERT INTO unit_addresses (unit_id, address, position) VALUES ($1, $2, $3) \
                     ON CONFLICT (unit_id, address) DO NOTHING",
                )
                .bind(a.unit_id)
                .bind(address.to_lowercase())
                .bind(position)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE units SET updated_at = $2 WHERE id = $1")
                    .bind(a.unit_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            let _ = cancel_waiting_in_tx!(tx, Some(a.request_id), Some(a.unit_id), REPORTED, now);
            resubmission
        });
        Ok(resubmission)
    }

    /// Decides the message is not a report.
    pub async fn reject_review(&self, id: i64, note: &str, now: DateTime<Utc>) -> StoreResult<()> {
        in_tx!(self, |tx| {
            resolve_in_tx!(tx, id, "rejected", note, now);
        });
        Ok(())
    }

    /// Grants the unit a later deadline for the request; the message is not counted. The
    /// unit's waiting reminders are removed and its slots marked for planning again.
    pub async fn extend_review(
        &self,
        id: i64,
        request_id: i64,
        unit_id: i64,
        until: DateTime<Utc>,
        note: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        in_tx!(self, |tx| {
            resolve_in_tx!(tx, id, "extended", note, now);
            let changed = sqlx::query(
                "UPDATE request_units SET extended_deadline = $3, slots_planned_at = NULL \
                 WHERE request_id = $1 AND unit_id = $2",
            )
            .bind(request_id)
            .bind(unit_id)
            .bind(until)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed != 1 {
                return Err(StoreError::Rejected(vec![
                    "đơn vị không thuộc danh sách phải báo cáo của yêu cầu này".into(),
                ]));
            }
            sqlx::query(
                "UPDATE outgoing_messages SET state = 'cancelled', last_error = $3, updated_at = $4 \
                 WHERE state IN ('queued', 'retry') AND kind IN ('notice', 'reminder', 'overdue') \
                 AND request_id = $1 AND unit_id = $2",
            )
            .bind(request_id)
            .bind(unit_id)
            .bind(note)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            cancel_slots_of_cancelled_messages!(tx, now);
            sqlx::query("DELETE FROM reminder_slots WHERE request_id = $1 AND unit_id = $2 AND state = 'planned'")
                .bind(request_id)
                .bind(unit_id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }
}

/// Closes an open item with a state and note inside a transaction; its message is not
/// counted.
macro_rules! resolve_in_tx {
    ($tx:expr, $id:expr, $state:expr, $note:expr, $now:expr) => {{
        let changed = sqlx::query(
            "UPDATE review_items SET state = $2, resolution_note = $3, resolved_at = $4 \
             WHERE id = $1 AND state = 'open'",
        )
        .bind($id)
        .bind($state)
        .bind($note)
        .bind($now)
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::Rejected(vec![format!(
                "mục {} không còn chờ xem xét (đã được xử lý)",
                $id
            )]));
        }
        sqlx::query(
            "UPDATE incoming_messages SET state = 'ignored' \
             WHERE id = (SELECT incoming_id FROM review_items WHERE id = $1)",
        )
        .bind($id)
        .execute(&mut *$tx)
        .await?;
    }};
}
use resolve_in_tx;
