//! The review queue: messages a person must decide on, and the three decisions: assign to a
//! unit and request (counted, optionally remembering the sender's address), reject (not
//! counted), or grant the unit a later deadline (its waiting reminders are dropped so they
//! can be planned again against the new deadline).
//!
//! A review item is known by its message's number (`incoming_messages.id`, "thư số N"), the
//! number `intake import` prints and duplicates refer to: a message has at most one item,
//! so the clerk meets one numbering everywhere. The item's own row id stays inside here.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::outbox::{REPORTED, cancel_slots_of_cancelled_messages};
use super::slots::cancel_waiting_in;
use super::{AuditEntry, AuditSubject, Db, Store, StoreError, StoreResult, on_pool, sql};
use crate::domain::model::{IncomingId, RequestId, ReviewState, UnitId};

/// One review item with the message it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ReviewItem {
    /// The number the clerk uses: the message's (the same as `incoming_id`).
    pub id: IncomingId,
    pub incoming_id: IncomingId,
    pub reason: String,
    pub state: String,
    pub unit_id: Option<UnitId>,
    pub unit_code: Option<String>,
    pub request_id: Option<RequestId>,
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

const REVIEW_SELECT: &str = "SELECT ri.incoming_id AS id, ri.incoming_id, ri.reason, ri.state, ri.unit_id, u.code AS unit_code, \
     ri.request_id, r.token AS request_token, su.code AS suggested_unit_code, ri.candidates, ri.resolution_note, \
     ri.resolved_at, m.received_at, m.from_address, m.from_name, m.subject, m.detail, m.rule, m.attachments, \
     m.raw_path, m.message_id \
     FROM review_items ri JOIN incoming_messages m ON m.id = ri.incoming_id \
     LEFT JOIN units u ON u.id = ri.unit_id LEFT JOIN units su ON su.id = ri.suggested_unit_id \
     LEFT JOIN requests r ON r.id = ri.request_id";

/// How an item was assigned.
#[derive(Debug, Clone)]
pub struct Assignment<'a> {
    pub unit_id: UnitId,
    pub request_id: RequestId,
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

    pub async fn review_item(&self, id: IncomingId) -> StoreResult<ReviewItem> {
        let row: Option<ReviewItem> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{REVIEW_SELECT} WHERE ri.incoming_id = $1"
            )))
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.ok_or_else(|| StoreError::NotFound(format!("không có thư số {id} trong danh sách chờ xem xét")))
    }

    /// Counts message `id` for a unit and request. Returns whether it is a resubmission.
    /// Remembering an address another active unit already has is refused, as `unit add`
    /// refuses it: each address belongs to one unit, or every later message from it would
    /// wait in review as a shared address.
    pub async fn assign_review(&self, id: IncomingId, a: &Assignment<'_>, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let resubmission = {
            if let Some(address) = a.remember_address {
                let address = address.to_lowercase();
                let owner: Option<(String,)> = sql(
                    "SELECT u.code FROM unit_addresses ua JOIN units u ON u.id = ua.unit_id \
                     WHERE ua.address = $1 AND ua.unit_id <> $2 AND u.active ORDER BY u.code",
                )
                .bind(&address)
                .bind(a.unit_id)
                .fetch_optional(db)
                .await?;
                if let Some((other,)) = owner {
                    return Err(StoreError::Rejected(vec![format!(
                        "không ghi nhớ được địa chỉ {address}: địa chỉ này đã thuộc đơn vị `{other}` \
                         (mỗi địa chỉ chỉ thuộc một đơn vị). Hãy ghi nhận mà không ghi nhớ địa chỉ, \
                         hoặc bỏ địa chỉ khỏi đơn vị `{other}` trước."
                    )]));
                }
            }
            let claimed = sql(
                "UPDATE review_items SET state = 'assigned', unit_id = $2, request_id = $3, resolution_note = $4, \
                 resolved_at = $5 WHERE incoming_id = $1 AND state = 'open'",
            )
            .bind(id)
            .bind(a.unit_id)
            .bind(a.request_id)
            .bind(a.note)
            .bind(now)
            .execute(db)
            .await?;
            if claimed != 1 {
                return Err(StoreError::Rejected(vec![format!(
                    "thư số {id} không còn chờ xem xét (đã được xử lý)"
                )]));
            }
            let (incoming_id, received_at, attachments): (IncomingId, DateTime<Utc>, String) =
                sql("SELECT m.id, m.received_at, m.attachments FROM incoming_messages m WHERE m.id = $1")
                    .bind(id)
                    .fetch_one(db)
                    .await?;
            let resubmission = super::submissions::submission_count(db, a.request_id, a.unit_id).await? > 0;
            sql(
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
            .execute(db)
            .await?;
            sql(
                "UPDATE incoming_messages SET state = 'counted', reason = $2, rule = 'review_assign', unit_id = $3, \
                 request_id = $4 WHERE id = $1",
            )
            .bind(incoming_id)
            .bind(if resubmission { "resubmission" } else { "report" })
            .bind(a.unit_id)
            .bind(a.request_id)
            .execute(db)
            .await?;
            let mut remembered = false;
            if let Some(address) = a.remember_address {
                let (position,): (i64,) =
                    sql("SELECT COALESCE(MAX(position), -1) + 1 FROM unit_addresses WHERE unit_id = $1")
                        .bind(a.unit_id)
                        .fetch_one(db)
                        .await?;
                remembered = sql(
                    "INSERT INTO unit_addresses (unit_id, address, position) VALUES ($1, $2, $3) \
                     ON CONFLICT (unit_id, address) DO NOTHING",
                )
                .bind(a.unit_id)
                .bind(address.to_lowercase())
                .bind(position)
                .execute(db)
                .await?
                    == 1;
                sql("UPDATE units SET updated_at = $2 WHERE id = $1")
                    .bind(a.unit_id)
                    .bind(now)
                    .execute(db)
                    .await?;
            }
            let _ = cancel_waiting_in(db, Some(a.request_id), Some(a.unit_id), REPORTED, now).await?;
            let _ = supersede_reviews(db, a.request_id, a.unit_id, Some(id), now).await?;
            let (unit_code,): (String,) = sql("SELECT code FROM units WHERE id = $1")
                .bind(a.unit_id)
                .fetch_one(db)
                .await?;
            let mut after = format!("báo cáo của {unit_code}");
            let mut entries = Vec::new();
            if let Some(address) = a.remember_address.filter(|_| remembered) {
                after.push_str(&format!("; ghi nhớ địa chỉ {}", address.to_lowercase()));
                entries.push(AuditEntry::new(AuditSubject::Unit, unit_code.clone(), "edit").change(
                    "địa chỉ thư",
                    None,
                    Some(format!("{} (ghi nhớ từ thư số {id})", address.to_lowercase())),
                ));
            }
            entries.insert(
                0,
                AuditEntry::new(AuditSubject::Review, id.to_string(), "assign")
                    .of_request(a.request_id)
                    .change(format!("thư số {id}"), Some("chờ kiểm tra".to_string()), Some(after)),
            );
            super::audit::write(db, &self.actor, entries, now).await?;
            resubmission
        };
        tx.commit().await?;
        Ok(resubmission)
    }

    /// Decides message `id` is not a report.
    pub async fn reject_review(&self, id: IncomingId, note: &str, now: DateTime<Utc>) -> StoreResult<()> {
        self.reject_reviews(&[id], note, now).await
    }

    /// Rejects several review items at once, each recorded, in one transaction: all of them,
    /// or — when one was decided meanwhile — none.
    pub async fn reject_reviews(&self, ids: &[IncomingId], note: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        for &id in ids {
            resolve_item(db, id, ReviewState::Rejected, note, now).await?;
            let (request_id,): (Option<RequestId>,) = sql("SELECT request_id FROM review_items WHERE incoming_id = $1")
                .bind(id)
                .fetch_one(db)
                .await?;
            let mut entry = AuditEntry::new(AuditSubject::Review, id.to_string(), "reject").change(
                format!("thư số {id}"),
                Some("chờ kiểm tra".to_string()),
                Some(format!("không tính: {note}")),
            );
            entry.request_id = request_id;
            super::audit::write(db, &self.actor, [entry], now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Grants the unit a later deadline for the request; message `id` is not counted. The
    /// unit's waiting reminders are removed and its slots marked for planning again.
    /// `record`: the note on the item and the change as the request's record
    /// of changes shows it.
    pub async fn extend_review(
        &self,
        id: IncomingId,
        (request_id, unit_id): (RequestId, UnitId),
        until: DateTime<Utc>,
        (note, change): (&str, super::ChangeOf),
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        {
            super::files::record_changes(db, &self.actor, (request_id, "extend"), [change.clone()], now).await?;
            resolve_item(db, id, ReviewState::Extended, note, now).await?;
            super::requests::extend_unit(db, request_id, unit_id, until).await?;
            // Marks the unit to be planned again, too.
            super::slots::replan_unit(db, request_id, unit_id, note, now).await?;
            cancel_slots_of_cancelled_messages(db, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Closes the open item of message `id` with a state and note; the message is not counted.
async fn resolve_item(
    db: &mut Db<'_>,
    id: IncomingId,
    state: ReviewState,
    note: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let changed = sql(
        "UPDATE review_items SET state = $2, resolution_note = $3, resolved_at = $4 \
         WHERE incoming_id = $1 AND state = 'open'",
    )
    .bind(id)
    .bind(state.as_str())
    .bind(note)
    .bind(now)
    .execute(db)
    .await?;
    if changed != 1 {
        return Err(StoreError::Rejected(vec![format!(
            "thư số {} không còn chờ xem xét (đã được xử lý)",
            id
        )]));
    }
    sql("UPDATE incoming_messages SET state = 'ignored' WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

impl Store {
    /// Whether the unit has a message for the request waiting in review for `reason`.
    pub async fn has_open_review(
        &self,
        request_id: RequestId,
        unit_id: UnitId,
        reason: crate::domain::incoming::Reason,
    ) -> StoreResult<bool> {
        let row: Option<(i64,)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id FROM review_items WHERE state = 'open' AND request_id = $1 AND unit_id = $2 \
                 AND reason = $3 LIMIT 1",
            )
            .bind(request_id)
            .bind(unit_id)
            .bind(reason.as_str())
            .fetch_optional(pool)
            .await?
        });
        Ok(row.is_some())
    }
}

/// What a superseded review item says: the unit reported for that request afterwards.
pub const SUPERSEDED: &str = ReviewState::Superseded.label_vi();

/// Resolves the unit's open review items for the request, other than the message of
/// `except_incoming`, as `superseded`: once a unit has been counted for a request, its
/// earlier unclear messages for it (a reply without the attachment, say) need nobody. They
/// are kept, with the note, and leave the queue.
pub(crate) async fn supersede_reviews(
    db: &mut Db<'_>,
    request_id: RequestId,
    unit_id: UnitId,
    except_incoming: Option<IncomingId>,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    sql(
        "UPDATE review_items SET state = 'superseded', resolution_note = $1, resolved_at = $2 \
         WHERE state = 'open' AND request_id = $3 AND unit_id = $4 AND ($5 IS NULL OR incoming_id <> $5)",
    )
    .bind(SUPERSEDED)
    .bind(now)
    .bind(request_id)
    .bind(unit_id)
    .bind(except_incoming)
    .execute(db)
    .await
}
