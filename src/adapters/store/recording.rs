//! Recording one incoming message: its row, and everything its outcome implies (the
//! submission, the review item, the failing mark, the receipt), together with the mailbox
//! checkpoint, in one transaction. A crash leaves either all of it or none, so the message
//! is processed again from the start.

use chrono::{DateTime, Utc};

use super::intake::{NewIncoming, QueuedReceipt, Recorded};
use super::outbox::{REPORTED, insert_message};
use super::review::supersede_reviews;
use super::slots::cancel_waiting_in;
use super::submissions::submission_count;
use super::{Db, Store, StoreResult, sql};
use crate::domain::incoming::classify::{Outcome, Reason, Rule, State};
use crate::domain::model::IncomingId;

impl Store {
    /// Records one message and everything its outcome implies, and advances the mailbox
    /// checkpoint to its UID, all in one transaction.
    pub async fn record_incoming(&self, new: &NewIncoming<'_>, now: DateTime<Utc>) -> StoreResult<Recorded> {
        let mut tx = self.begin().await?;
        let recorded = record(&mut tx.db(), new, now).await?;
        tx.commit().await?;
        Ok(recorded)
    }

    /// Queues a receipt for a submission counted outside intake (a review item assigned by
    /// hand), with the same pause per address.
    pub async fn queue_receipt(&self, queued: &QueuedReceipt, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let queued = queue_receipt_in(&mut tx.db(), queued, now).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// The id of an earlier record of the same message, if any.
    pub async fn earlier_copy(&self, message_id: Option<&str>, content_hash: &str) -> StoreResult<Option<IncomingId>> {
        let row = find_earlier(&mut self.connection().await?.db(), message_id, content_hash).await?;
        Ok(row.map(|r| r.id))
    }
}

#[derive(sqlx::FromRow)]
struct EarlierRow {
    id: IncomingId,
    content_hash: String,
    mailbox: String,
    uidvalidity: Option<i64>,
}

async fn record(db: &mut Db<'_>, new: &NewIncoming<'_>, now: DateTime<Utc>) -> StoreResult<Recorded> {
    if let Some((uidvalidity, uid)) = new.origin.uid
        && !advance_checkpoint(db, &new.origin.mailbox, (uidvalidity, uid), now).await?
    {
        return Ok(Recorded::AlreadyDone);
    }
    let mut outcome = new.outcome.clone();
    if let Some(earlier) = find_earlier(db, new.message_id, new.content_hash).await? {
        // The very same bytes under a new UIDVALIDITY: the same message, moved.
        if earlier.content_hash == new.content_hash
            && earlier.mailbox == new.origin.mailbox
            && let Some((uidvalidity, uid)) = new.origin.uid
            && earlier.uidvalidity != Some(uidvalidity)
        {
            sql("UPDATE incoming_messages SET uidvalidity = $2, uid = $3 WHERE id = $1")
                .bind(earlier.id)
                .bind(uidvalidity)
                .bind(uid)
                .execute(db)
                .await?;
            return Ok(Recorded::Moved { id: earlier.id });
        }
        if outcome.reason() != Reason::Duplicate {
            let rule = if new.message_id.is_some() {
                Rule::SameMessageId
            } else {
                Rule::SameContent
            };
            outcome = Outcome::duplicate(earlier.id, rule);
        }
    }
    // The snapshot may not have seen an earlier submission; the database has.
    if let Outcome::Counted(counted) = &mut outcome {
        counted.resubmission = submission_count(db, counted.request_id, counted.unit_id).await? > 0;
    }
    let id = insert_incoming(db, new, &outcome, now).await?;
    let mut receipt = false;
    match &outcome {
        Outcome::Counted(counted) => {
            sql(
                "INSERT INTO submissions (request_id, unit_id, incoming_id, via, received_at, late, \
                 attachments, note, is_resubmission, created_at) \
                 VALUES ($1, $2, $3, 'email', $4, $5, $6, NULL, $7, $8)",
            )
            .bind(counted.request_id)
            .bind(counted.unit_id)
            .bind(id)
            .bind(new.received_at)
            .bind(counted.late)
            .bind(&new.attachments_json)
            .bind(counted.resubmission)
            .bind(now)
            .execute(db)
            .await?;
            let (request_id, unit_id) = (counted.request_id, counted.unit_id);
            cancel_waiting_in(db, Some(request_id), Some(unit_id), REPORTED, now).await?;
            supersede_reviews(db, request_id, unit_id, Some(id), now).await?;
            if let Some(queued) = new.receipt {
                receipt = queue_receipt_in(db, queued, now).await?;
            }
        }
        Outcome::Review(review) => {
            let candidates = serde_json::to_string(&review.candidates).unwrap_or_else(|_| "[]".into());
            sql(
                "INSERT INTO review_items (incoming_id, reason, unit_id, request_id, suggested_unit_id, \
                 candidates, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)",
            )
            .bind(id)
            .bind(review.reason.as_str())
            .bind(review.unit_id)
            .bind(review.request_id)
            .bind(outcome.suggested_unit())
            .bind(candidates)
            .bind(now)
            .execute(db)
            .await?;
        }
        Outcome::Ignored(_) => {}
    }
    mark_addresses(db, new, &outcome, now).await?;
    Ok(Recorded::New { id, outcome, receipt })
}

/// Moves the mailbox checkpoint to `(uidvalidity, uid)`; false when another watcher already
/// recorded this UID. On PostgreSQL the checkpoint row stays locked until the transaction
/// ends, so two watchers never record the same UID.
async fn advance_checkpoint(
    db: &mut Db<'_>,
    mailbox: &str,
    (uidvalidity, uid): (i64, i64),
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let statement = if db.is_postgres() {
        "SELECT uidvalidity, last_uid FROM mailbox_checkpoints WHERE mailbox = $1 FOR UPDATE"
    } else {
        "SELECT uidvalidity, last_uid FROM mailbox_checkpoints WHERE mailbox = $1"
    };
    let current: Option<(i64, i64)> = sql(statement).bind(mailbox).fetch_optional(db).await?;
    if current.is_some_and(|(v, last)| v == uidvalidity && last >= uid) {
        return Ok(false);
    }
    sql("UPDATE mailbox_checkpoints SET uidvalidity = $2, last_uid = $3, updated_at = $4 WHERE mailbox = $1")
        .bind(mailbox)
        .bind(uidvalidity)
        .bind(uid)
        .bind(now)
        .execute(db)
        .await?;
    Ok(true)
}

/// The earlier record of a message: same Message-ID, or same content when it has none.
async fn find_earlier(
    db: &mut Db<'_>,
    message_id: Option<&str>,
    content_hash: &str,
) -> StoreResult<Option<EarlierRow>> {
    let query = match message_id {
        Some(id) => sql("SELECT id, content_hash, mailbox, uidvalidity FROM incoming_messages \
             WHERE message_id = $1 ORDER BY id LIMIT 1")
        .bind(id),
        None => sql("SELECT id, content_hash, mailbox, uidvalidity FROM incoming_messages \
             WHERE content_hash = $1 AND message_id IS NULL ORDER BY id LIMIT 1")
        .bind(content_hash),
    };
    query.fetch_optional(db).await
}

/// Writes the message's row; returns its id.
async fn insert_incoming(
    db: &mut Db<'_>,
    new: &NewIncoming<'_>,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> StoreResult<IncomingId> {
    let (uidvalidity, uid) = new.origin.uid.map_or((None, None), |(v, u)| (Some(v), Some(u)));
    sql(
        "INSERT INTO incoming_messages (mailbox, uidvalidity, uid, message_id, content_hash, from_address, \
         from_name, subject, received_at, size, attachments, state, reason, rule, detail, unit_id, \
         request_id, suggested_unit_id, failing_address, raw_path, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
         $20, $21) RETURNING id",
    )
    .bind(&new.origin.mailbox)
    .bind(uidvalidity)
    .bind(uid)
    .bind(new.message_id)
    .bind(new.content_hash)
    .bind(new.from_address)
    .bind(new.from_name)
    .bind(new.subject)
    .bind(new.received_at)
    .bind(new.size)
    .bind(&new.attachments_json)
    .bind(outcome.state().as_str())
    .bind(outcome.reason().as_str())
    .bind(outcome.rule().as_str())
    .bind(outcome.detail())
    .bind(outcome.unit_id())
    .bind(outcome.request_id())
    .bind(outcome.suggested_unit())
    .bind(outcome.failing().map(|f| f.address.as_str()))
    .bind(new.raw_path)
    .bind(now)
    .fetch_scalar(db)
    .await
}

/// Marks the address a bounce names as failing, and clears the mark of an address real mail
/// came from (it works again).
async fn mark_addresses(
    db: &mut Db<'_>,
    new: &NewIncoming<'_>,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if let Some(failing) = outcome.failing() {
        sql(
            "UPDATE unit_addresses SET failing_since = COALESCE(failing_since, $3), failing_reason = $2 \
             WHERE address = $1 AND ($4 IS NULL OR unit_id = $4)",
        )
        .bind(failing.address.to_lowercase())
        .bind(&failing.reason)
        .bind(now)
        .bind(failing.unit_id)
        .execute(db)
        .await?;
    }
    if outcome.state() != State::Ignored
        && let Some(from) = new.from_address
    {
        sql("UPDATE unit_addresses SET failing_since = NULL, failing_reason = NULL \
             WHERE address = $1 AND failing_since IS NOT NULL")
        .bind(from)
        .execute(db)
        .await?;
    }
    Ok(())
}

/// Queues a receipt unless its address got one after `unless_sent_since`; returns whether
/// it was queued.
async fn queue_receipt_in(db: &mut Db<'_>, queued: &QueuedReceipt, now: DateTime<Utc>) -> StoreResult<bool> {
    let recent: i64 =
        sql("SELECT COUNT(*) FROM outgoing_messages WHERE kind = 'receipt' AND to_address = $1 AND created_at > $2")
            .bind(&queued.message.to_address)
            .bind(queued.unless_sent_since)
            .fetch_scalar(db)
            .await?;
    Ok(recent == 0 && insert_message(db, &queued.message, now).await? == 1)
}
