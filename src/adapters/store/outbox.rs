//! The outbox: messages written before any SMTP traffic, claimed by a sender with a lease
//! (a crashed sender's claim expires and the message is claimed again), and the outcome of
//! each attempt. No transaction is ever held open across a send.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Db, Store, StoreError, StoreResult, on_pool, on_writer, parse_column, sql};
use crate::domain::model::{MessageKind, MessageState, RequestId, UnitId};

/// A message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub slot_id: Option<i64>,
    /// One message per key: `slot:17`, `digest:2026-11-23`.
    pub dedupe_key: String,
    pub kind: String,
    pub request_id: Option<RequestId>,
    pub unit_id: Option<UnitId>,
    pub to_address: String,
    pub to_name: Option<String>,
    /// Without angle brackets.
    pub message_id: String,
    pub subject: String,
    pub body: String,
    pub body_html: Option<String>,
    /// Threading of a receipt: the Message-ID it answers, without angle brackets.
    pub in_reply_to: Option<String>,
    /// Space-separated Message-IDs, without angle brackets.
    pub references_ids: Option<String>,
    /// Who it is copied to (escalation): a JSON array of `{"name", "address"}`.
    pub cc_addresses: Option<String>,
}

/// One stored outgoing message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OutgoingMessage {
    pub id: i64,
    pub slot_id: Option<i64>,
    pub kind: String,
    pub request_id: Option<RequestId>,
    pub unit_id: Option<UnitId>,
    pub to_address: String,
    pub to_name: Option<String>,
    pub message_id: String,
    pub subject: String,
    pub body: String,
    pub body_html: Option<String>,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub claimed_by: Option<String>,
    pub claim_expires_at: Option<DateTime<Utc>>,
    pub smtp_response: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub retry_since: Option<DateTime<Utc>>,
    pub in_reply_to: Option<String>,
    pub references_ids: Option<String>,
    /// Who it is copied to (escalation): a JSON array of `{"name", "address"}`.
    pub cc_addresses: Option<String>,
    /// The files it carries (a notice: the request's files when it was queued); loaded when
    /// it is claimed for sending.
    #[sqlx(skip)]
    #[serde(skip)]
    pub files: Vec<super::OutgoingFile>,
}

impl NewMessage {
    pub fn message_kind(&self) -> StoreResult<MessageKind> {
        parse_column("outgoing_messages.kind", &self.kind, MessageKind::parse)
    }
}

impl OutgoingMessage {
    pub fn message_kind(&self) -> StoreResult<MessageKind> {
        parse_column("outgoing_messages.kind", &self.kind, MessageKind::parse)
    }

    pub fn message_state(&self) -> StoreResult<MessageState> {
        parse_column("outgoing_messages.state", &self.state, MessageState::parse)
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted; the server's answer.
    Sent(String),
    /// A temporary failure: try again at this time.
    Retry { error: String, at: DateTime<Utc> },
    /// A permanent failure. `address_failing` marks the recipient's address as failing.
    Failed { error: String, address_failing: bool },
}

const MESSAGE_COLUMNS: &str = "id, slot_id, kind, request_id, unit_id, to_address, to_name, message_id, subject, body, \
     body_html, state, attempts, next_attempt_at, claimed_by, claim_expires_at, smtp_response, last_error, \
     created_at, sent_at, retry_since, in_reply_to, references_ids, cc_addresses";

/// Inserts a [`NewMessage`]; returns the number of rows written
/// (0 when a message with the same key exists).
pub(crate) async fn insert_message(db: &mut Db<'_>, m: &NewMessage, now: DateTime<Utc>) -> StoreResult<u64> {
    let written = sql(
        "INSERT INTO outgoing_messages (slot_id, dedupe_key, kind, request_id, unit_id, to_address, to_name, \
         message_id, subject, body, body_html, state, attempts, next_attempt_at, created_at, updated_at, \
         retry_since, in_reply_to, references_ids, cc_addresses) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'queued', 0, $12, $12, $12, $12, $13, $14, $15) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(m.slot_id)
    .bind(&m.dedupe_key)
    .bind(&m.kind)
    .bind(m.request_id)
    .bind(m.unit_id)
    .bind(&m.to_address)
    .bind(&m.to_name)
    .bind(&m.message_id)
    .bind(&m.subject)
    .bind(&m.body)
    .bind(&m.body_html)
    .bind(now)
    .bind(&m.in_reply_to)
    .bind(&m.references_ids)
    .bind(&m.cc_addresses)
    .execute(db)
    .await?;
    if written == 1 && m.message_kind()? == MessageKind::Notice {
        // The first notice a unit gets carries the request's files as they are now; a
        // later one (after an extension) does not send them again.
        sql("INSERT INTO outgoing_attachments (outgoing_id, attachment_id) \
             SELECT m.id, a.id FROM outgoing_messages m JOIN request_attachments a \
               ON a.request_id = m.request_id AND a.removed_at IS NULL WHERE m.dedupe_key = $1 \
             AND NOT EXISTS (SELECT 1 FROM outgoing_messages p WHERE p.request_id = m.request_id \
               AND p.unit_id = m.unit_id AND p.kind = 'notice' AND p.state IN ('sent', 'sending'))")
        .bind(&m.dedupe_key)
        .execute(db)
        .await?;
    }
    Ok(written)
}

/// The claim of [`Store::claim_messages`]: `$1` worker, `$2` lease end, `$3` now, `$4` whether
/// the send window is open, `$5` the most to claim.
pub(crate) fn claim_statement(postgres: bool) -> String {
    const KIND: &str = "(kind IN ('digest', 'receipt') OR $4)";
    let due = if postgres {
        // PostgreSQL skips rows another instance is claiming.
        format!(
            "SELECT id FROM outgoing_messages WHERE ((state IN ('queued', 'retry') AND next_attempt_at <= $3) \
             OR (state = 'sending' AND claim_expires_at <= $3)) AND {KIND} \
             ORDER BY next_attempt_at, id LIMIT $5 FOR UPDATE SKIP LOCKED"
        )
    } else {
        // SQLite's BEGIN IMMEDIATE already lets one writer at a time through. One
        // index-ordered scan per state, each stopping after `limit` rows: with the OR, SQLite
        // sorted every due message on each claim (a whole outbox per batch).
        let first = |state: &str, due: &str| {
            format!(
                "SELECT id, next_attempt_at FROM (SELECT id, next_attempt_at FROM outgoing_messages \
                 WHERE state = '{state}' AND {due} <= $3 AND {KIND} ORDER BY next_attempt_at, id LIMIT $5)"
            )
        };
        format!(
            "SELECT id FROM ({} UNION ALL {} UNION ALL {} ORDER BY next_attempt_at, id LIMIT $5)",
            first(MessageState::Queued.as_str(), "next_attempt_at"),
            first(MessageState::Retry.as_str(), "next_attempt_at"),
            first(MessageState::Sending.as_str(), "claim_expires_at"),
        )
    };
    format!(
        "UPDATE outgoing_messages SET state = 'sending', claimed_by = $1, claim_expires_at = $2, \
         attempts = attempts + 1, updated_at = $3 WHERE id IN ({due}) RETURNING {MESSAGE_COLUMNS}"
    )
}

/// The statement of [`cancel_slots_of_cancelled_messages`] (`$1` now).
pub(crate) const CANCEL_SLOTS_OF_CANCELLED_MESSAGES: &str = "UPDATE reminder_slots SET state = 'cancelled', \
     state_reason = (SELECT m.last_error FROM outgoing_messages m WHERE m.slot_id = reminder_slots.id), updated_at = $1 \
     WHERE state = 'queued' AND id IN (SELECT slot_id FROM outgoing_messages WHERE state = 'cancelled')";

/// Keeps a slot's state in step with its cancelled message.
pub(crate) async fn cancel_slots_of_cancelled_messages(db: &mut Db<'_>, now: DateTime<Utc>) -> StoreResult<()> {
    sql(CANCEL_SLOTS_OF_CANCELLED_MESSAGES).bind(now).execute(db).await?;
    Ok(())
}

/// The statement of [`Store::notice_message_id`] (`$1` request, `$2` unit).
pub(crate) const NOTICE_MESSAGE_ID: &str = "SELECT message_id FROM outgoing_messages WHERE request_id = $1 \
     AND unit_id = $2 AND kind = 'notice' AND state IN ('sent', 'sending') ORDER BY id LIMIT 1";

/// Which messages `outbox list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageFilter {
    All,
    /// Failed, or still being retried.
    Problems,
}

impl Store {
    /// The messages that escalated a late unit since `since` (overdue notices sent with a copy,
    /// letters of their own to those above it), oldest first.
    pub async fn escalated_since(&self, since: DateTime<Utc>) -> StoreResult<Vec<OutgoingMessage>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {MESSAGE_COLUMNS} FROM outgoing_messages WHERE (cc_addresses IS NOT NULL OR kind = 'escalation') AND state = 'sent' \
                 AND sent_at > $1 ORDER BY sent_at, id"
            )))
            .bind(since)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Which of these dedupe keys already have a message.
    pub async fn existing_dedupe_keys(&self, keys: &[String]) -> StoreResult<Vec<String>> {
        let mut found = Vec::new();
        for key in keys {
            let row: Option<(String,)> = on_pool!(self, |pool| {
                sqlx::query_as("SELECT dedupe_key FROM outgoing_messages WHERE dedupe_key = $1")
                    .bind(key)
                    .fetch_optional(pool)
                    .await?
            });
            found.extend(row.map(|(k,)| k));
        }
        Ok(found)
    }

    /// The Message-ID of the notice sent to a unit for a request, if one went out (or is going
    /// out now: a second notice composed meanwhile is the "gia hạn" one, without the files).
    pub async fn notice_message_id(&self, request_id: RequestId, unit_id: UnitId) -> StoreResult<Option<String>> {
        let row: Option<(String,)> = on_pool!(self, |pool| {
            sqlx::query_as(NOTICE_MESSAGE_ID)
                .bind(request_id)
                .bind(unit_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(id,)| id))
    }

    /// Queues a message that belongs to no slot (the digest). Returns false if a message
    /// with the same key was queued before.
    pub async fn queue_message(&self, message: &NewMessage, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let written = insert_message(&mut tx.db(), message, now).await?;
        tx.commit().await?;
        Ok(written == 1)
    }

    /// Cancels queued messages whose unit has reported or whose request is no longer
    /// active: a slot is sent only if the unit has still not reported when it goes out.
    pub async fn cancel_obsolete_messages(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let cancelled = {
            let reported = sql(
                "UPDATE outgoing_messages SET state = 'cancelled', last_error = $1, updated_at = $2 \
                 WHERE state IN ('queued', 'retry') AND request_id IS NOT NULL AND kind <> 'receipt' AND EXISTS ( \
                   SELECT 1 FROM submissions s WHERE s.request_id = outgoing_messages.request_id \
                   AND s.unit_id = outgoing_messages.unit_id)",
            )
            .bind(REPORTED)
            .bind(now)
            .execute(db)
            .await?;
            let closed = sql(
                "UPDATE outgoing_messages SET state = 'cancelled', last_error = $1, updated_at = $2 \
                 WHERE state IN ('queued', 'retry') AND request_id IN (SELECT id FROM requests WHERE state <> 'active')",
            )
            .bind(CLOSED)
            .bind(now)
            .execute(db)
            .await?;
            cancel_slots_of_cancelled_messages(db, now).await?;
            reported + closed
        };
        tx.commit().await?;
        Ok(cancelled)
    }

    /// Claims up to `limit` messages that are due (or whose previous claim expired) for
    /// `worker` until `lease_until`, counting the attempt. Outside the send window only
    /// the digest (to the office itself) and receipts (answers to mail just received) are
    /// claimed.
    pub async fn claim_messages(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        window_open: bool,
        limit: i64,
    ) -> StoreResult<Vec<OutgoingMessage>> {
        let statement = claim_statement(matches!(self.pools, super::Pools::Postgres(_)));
        let mut tx = self.begin().await?;
        let mut claimed: Vec<OutgoingMessage> = sql(sqlx::AssertSqlSafe(statement))
            .bind(worker)
            .bind(lease_until)
            .bind(now)
            .bind(window_open)
            .bind(limit)
            .fetch_all(&mut tx.db())
            .await?;
        tx.commit().await?;
        claimed.sort_by_key(|m| (m.next_attempt_at, m.id));
        // Compared as the stored word, not parsed: the claim is committed, so one row of a
        // kind this version does not know (a newer instance on the same database) must not
        // fail the whole batch; it is sent as any message is.
        let notices: Vec<i64> = claimed
            .iter()
            .filter(|m| m.kind == MessageKind::Notice.as_str())
            .map(|m| m.id)
            .collect();
        let mut files = self.files_of_messages(&notices).await?;
        for message in &mut claimed {
            message.files = files.remove(&message.id).unwrap_or_default();
        }
        Ok(claimed)
    }

    /// Extends `worker`'s claim on a message to `lease_until`, only if the claim is still
    /// `worker`'s and has not run out at `now`; returns whether it did. A sender calls it just
    /// before each send, so a message is sent only under a live lease.
    pub async fn renew_claim(
        &self,
        id: i64,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let changed = on_writer!(self, |pool| {
            sqlx::query(
                "UPDATE outgoing_messages SET claim_expires_at = $1, updated_at = $2 \
                 WHERE id = $3 AND state = 'sending' AND claimed_by = $4 AND claim_expires_at > $2",
            )
            .bind(lease_until)
            .bind(now)
            .bind(id)
            .bind(worker)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Records an attempt's outcome if `worker` still holds the claim; returns false when
    /// the claim had expired and someone else took the message over.
    pub async fn record_outcome(
        &self,
        message: &OutgoingMessage,
        worker: &str,
        outcome: &Outcome,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let recorded = self.record_outcomes(worker, &[(message, outcome, now)]).await?;
        Ok(recorded.first().copied().unwrap_or(false))
    }

    /// Records several attempts' outcomes (each with the time it ended) in one transaction,
    /// each only if `worker` still holds its claim; says for each whether it was recorded.
    /// The sender records every outcome that is waiting at once, so a fast server does not
    /// cost one commit per message.
    pub async fn record_outcomes(
        &self,
        worker: &str,
        attempts: &[(&OutgoingMessage, &Outcome, DateTime<Utc>)],
    ) -> StoreResult<Vec<bool>> {
        if attempts.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let recorded = {
            let mut recorded = Vec::with_capacity(attempts.len());
            for &(message, outcome, now) in attempts {
                let (state, response, sent_at, error, next_attempt_at) = match outcome {
                    Outcome::Sent(response) => (MessageState::Sent, Some(response), Some(now), None, None),
                    Outcome::Retry { error, at } => (MessageState::Retry, None, None, Some(error), Some(*at)),
                    Outcome::Failed { error, .. } => (MessageState::Failed, None, None, Some(error), None),
                };
                let changed = sql(
                    "UPDATE outgoing_messages SET state = $1, smtp_response = COALESCE($2, smtp_response), \
                     sent_at = $3, last_error = COALESCE($4, last_error), \
                     next_attempt_at = COALESCE($5, next_attempt_at), updated_at = $6, \
                     claimed_by = NULL, claim_expires_at = NULL \
                     WHERE id = $7 AND state = 'sending' AND claimed_by = $8",
                )
                .bind(state.as_str())
                .bind(response)
                .bind(sent_at)
                .bind(error)
                .bind(next_attempt_at)
                .bind(now)
                .bind(message.id)
                .bind(worker)
                .execute(db)
                .await?;
                if changed == 1 {
                    if let (Outcome::Sent(_), Some(slot)) = (outcome, message.slot_id) {
                        sql("UPDATE reminder_slots SET state = 'sent', updated_at = $1 WHERE id = $2")
                            .bind(now)
                            .bind(slot)
                            .execute(db)
                            .await?;
                    }
                    if let Outcome::Failed {
                        error,
                        address_failing: true,
                    } = outcome
                    {
                        sql("UPDATE unit_addresses SET failing_since = $1, failing_reason = $2 \
                             WHERE address = $3 AND failing_since IS NULL")
                        .bind(now)
                        .bind(error)
                        .bind(&message.to_address)
                        .execute(db)
                        .await?;
                    }
                }
                recorded.push(changed == 1);
            }
            recorded
        };
        tx.commit().await?;
        Ok(recorded)
    }

    /// Outgoing messages, newest first.
    pub async fn outgoing_messages(&self, filter: MessageFilter, limit: i64) -> StoreResult<Vec<OutgoingMessage>> {
        let condition = match filter {
            MessageFilter::All => "TRUE",
            MessageFilter::Problems => "state IN ('failed', 'retry')",
        };
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {MESSAGE_COLUMNS} FROM outgoing_messages WHERE {condition} ORDER BY id DESC LIMIT $1"
            )))
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }

    pub async fn outgoing_message(&self, id: i64) -> StoreResult<OutgoingMessage> {
        let row: Option<OutgoingMessage> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {MESSAGE_COLUMNS} FROM outgoing_messages WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.ok_or_else(|| StoreError::NotFound(format!("không có thư gửi đi số {id}")))
    }

    /// Puts a failed (or waiting) message back in the queue now, with a fresh retry period.
    pub async fn retry_message(&self, id: i64, now: DateTime<Utc>) -> StoreResult<OutgoingMessage> {
        let message = self.outgoing_message(id).await?;
        if !matches!(message.message_state()?, MessageState::Failed | MessageState::Retry) {
            return Err(StoreError::Rejected(vec![format!(
                "thư số {id} đang ở trạng thái {}: chỉ gửi lại được thư lỗi hoặc đang chờ gửi lại",
                message.state
            )]));
        }
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        sql(
            "UPDATE outgoing_messages SET state = 'retry', next_attempt_at = $1, retry_since = $1, \
             updated_at = $1 WHERE id = $2 AND state IN ('failed', 'retry')",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *db)
        .await?;
        let mut entry = super::AuditEntry::new(super::AuditSubject::Message, id.to_string(), "retry").change(
            format!("thư gửi {}", message.to_address),
            Some(
                MessageState::parse(&message.state).map_or_else(|| message.state.clone(), |s| s.label_vi().to_string()),
            ),
            Some("gửi lại".to_string()),
        );
        entry.request_id = message.request_id;
        super::audit::write(db, &self.actor, [entry], now).await?;
        tx.commit().await?;
        self.outgoing_message(id).await
    }

    /// Messages still to go: queued, waiting for a retry or being sent.
    pub async fn outbox_depth(&self) -> StoreResult<i64> {
        let (count,): (i64,) = on_pool!(self, |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM outgoing_messages WHERE state IN ('queued', 'retry', 'sending')")
                .fetch_one(pool)
                .await?
        });
        Ok(count)
    }
}

/// Why a queued message was not sent after all.
pub const REPORTED: &str = "không gửi: đơn vị đã báo cáo";
pub const CLOSED: &str = "không gửi: yêu cầu đã đóng";
