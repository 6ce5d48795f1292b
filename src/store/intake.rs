//! Incoming messages: what the rules need to know (the registry snapshot, earlier copies
//! of a message, our sent messages it refers to), recording each outcome with its
//! submission, review item or failing mark in one transaction together with the mailbox
//! checkpoint, and the mailbox checkpoints themselves.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::outbox::{REPORTED, insert_message};
use super::review::supersede_reviews_in_tx;
use super::slots::cancel_waiting_in_tx;
use super::{Store, StoreResult, in_tx, on_pool};
use crate::domain::incoming::classify::{Outcome, Reason, RequestFacts, Rule, SentRef, Snapshot, State};

/// Where the watcher is in one mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    pub uidvalidity: i64,
    /// The first UID intake owns: older messages predate the start.
    pub first_uid: i64,
    pub last_uid: i64,
    pub start_from: DateTime<Utc>,
}

/// Where a message came from: a UID in a mailbox, or a file given to `intake import`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The mailbox name, or `import`.
    pub mailbox: String,
    pub uid: Option<(i64, i64)>,
}

/// One message to record, with its outcome.
#[derive(Debug, Clone)]
pub struct NewIncoming<'a> {
    pub origin: &'a Origin,
    pub message_id: Option<&'a str>,
    pub content_hash: &'a str,
    pub from_address: Option<&'a str>,
    pub from_name: Option<&'a str>,
    pub subject: &'a str,
    pub received_at: DateTime<Utc>,
    pub size: i64,
    /// JSON `[{"name", "size"}]` of the attachments that count.
    pub attachments_json: String,
    pub raw_path: Option<&'a str>,
    pub outcome: &'a Outcome,
    /// The receipt to queue if the message is counted after all.
    pub receipt: Option<&'a QueuedReceipt>,
}

/// A receipt for a message being recorded.
#[derive(Debug, Clone)]
pub struct QueuedReceipt {
    pub message: super::NewMessage,
    /// Not queued when the same address got a receipt after this instant.
    pub unless_sent_since: DateTime<Utc>,
}

/// What recording did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A new row with the outcome recorded, which may differ from the one classified when the
    /// transaction saw something the snapshot had not (an earlier submission: a
    /// resubmission; an earlier copy: a duplicate). `receipt`:
    /// a receipt was queued for the sender.
    New { id: i64, outcome: Outcome, receipt: bool },
    /// The same message seen again under a new UIDVALIDITY: the row now points at its new
    /// UID and nothing is counted again.
    Moved { id: i64 },
    /// Another watcher already processed this UID.
    AlreadyDone,
}

/// Queues a receipt inside a transaction unless its address got one after
/// `unless_sent_since`; evaluates to whether it was queued.
macro_rules! queue_receipt_in_tx {
    ($tx:expr, $queued:expr, $now:expr) => {{
        let queued: &QueuedReceipt = $queued;
        let (recent,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM outgoing_messages WHERE kind = 'receipt' AND to_address = $1 AND created_at > $2",
        )
        .bind(&queued.message.to_address)
        .bind(queued.unless_sent_since)
        .fetch_one(&mut *$tx)
        .await?;
        recent == 0 && insert_message!($tx, queued.message, $now) == 1
    }};
}

#[derive(sqlx::FromRow)]
struct EarlierRow {
    id: i64,
    content_hash: String,
    mailbox: String,
    uidvalidity: Option<i64>,
}

/// The earlier record of a message: same Message-ID, or same content when it has none.
macro_rules! find_earlier {
    ($exec:expr, $message_id:expr, $content_hash:expr) => {{
        let message_id: Option<&str> = $message_id;
        let row: Option<EarlierRow> = match message_id {
            Some(id) => {
                sqlx::query_as(
                    "SELECT id, content_hash, mailbox, uidvalidity FROM incoming_messages \
                     WHERE message_id = $1 ORDER BY id LIMIT 1",
                )
                .bind(id)
                .fetch_optional($exec)
                .await?
            }
            None => {
                sqlx::query_as(
                    "SELECT id, content_hash, mailbox, uidvalidity FROM incoming_messages \
                     WHERE content_hash = $1 AND message_id IS NULL ORDER BY id LIMIT 1",
                )
                .bind($content_hash)
                .fetch_optional($exec)
                .await?
            }
        };
        row
    }};
}

impl Store {
    /// Everything the intake rules need from the registry.
    pub async fn intake_snapshot(&self, office_mailbox: &str) -> StoreResult<Snapshot> {
        let mut snapshot = Snapshot {
            office_mailbox: office_mailbox.to_lowercase(),
            ..Snapshot::default()
        };
        for unit in self.all_units().await? {
            snapshot.unit_codes.insert(unit.id, unit.code.as_str().to_string());
            if !unit.active {
                continue;
            }
            for address in &unit.addresses {
                let list = snapshot
                    .units_by_address
                    .entry(address.address.as_str().to_lowercase())
                    .or_default();
                if !list.contains(&unit.id) {
                    list.push(unit.id);
                }
            }
        }
        for request in self.all_requests().await? {
            let active = request.state == crate::domain::model::RequestState::Active && request.expects_report();
            let mut facts = RequestFacts::new(
                request.id,
                request.code.as_str(),
                &request.token,
                // A request "để biết" is never open, so its deadline is never read.
                request.deadline.unwrap_or(request.created_at),
                request.attachment_required,
                active,
            );
            facts.for_information = !request.expects_report();
            snapshot.requests.insert(request.id, facts);
        }
        let pairs: Vec<(i64, i64)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT ru.request_id, ru.unit_id FROM request_units ru \
                 JOIN requests r ON r.id = ru.request_id WHERE r.state = 'active' AND r.expects_report \
                 ORDER BY ru.request_id",
            )
            .fetch_all(pool)
            .await?
        });
        for (request_id, unit_id) in pairs {
            snapshot.open_for_unit.entry(unit_id).or_default().push(request_id);
        }
        snapshot.reported = self.reported_pairs().await?;
        snapshot.extended = self.extended_deadlines().await?;
        let hashes: Vec<(String,)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT DISTINCT sha256 FROM request_attachments")
                .fetch_all(pool)
                .await?
        });
        snapshot.our_files = hashes.into_iter().map(|(hash,)| hash).collect();
        Ok(snapshot)
    }

    /// The id of an earlier record of the same message, if any.
    pub async fn earlier_copy(&self, message_id: Option<&str>, content_hash: &str) -> StoreResult<Option<i64>> {
        let row = on_pool!(self, |pool| find_earlier!(pool, message_id, content_hash));
        Ok(row.map(|r| r.id))
    }

    /// Our sent messages among `ids`, by Message-ID: one query whatever the number of ids
    /// (the caller bounds them; see `Letter::thread_ids`).
    pub async fn sent_refs(&self, ids: &[String]) -> StoreResult<HashMap<String, SentRef>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        // The ids go in as one JSON array, which both databases unpack server-side.
        let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let rows: Vec<(String, Option<i64>, Option<i64>, String)> = match self {
            Store::Sqlite(pool) => {
                sqlx::query_as(
                    "SELECT message_id, request_id, unit_id, to_address FROM outgoing_messages \
                     WHERE message_id IN (SELECT value FROM json_each($1))",
                )
                .bind(&list)
                .fetch_all(pool)
                .await?
            }
            Store::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT message_id, request_id, unit_id, to_address FROM outgoing_messages \
                     WHERE message_id IN (SELECT json_array_elements_text($1::json))",
                )
                .bind(&list)
                .fetch_all(pool)
                .await?
            }
        };
        Ok(rows
            .into_iter()
            .map(|(id, request_id, unit_id, to_address)| {
                (
                    id,
                    SentRef {
                        request_id,
                        unit_id,
                        to_address,
                    },
                )
            })
            .collect())
    }

    /// Records one message and everything its outcome implies, and advances the mailbox
    /// checkpoint to its UID, all in one transaction: a crash leaves either all of it or
    /// none, so the message is processed again from the start.
    pub async fn record_incoming(&self, new: &NewIncoming<'_>, now: DateTime<Utc>) -> StoreResult<Recorded> {
        let recorded = in_tx!(self, |tx| {
            'record: {
                if let Some((uidvalidity, uid)) = new.origin.uid {
                    let current: Option<(i64, i64)> = match self {
                        Store::Postgres(_) => {
                            sqlx::query_as(
                                "SELECT uidvalidity, last_uid FROM mailbox_checkpoints WHERE mailbox = $1 FOR UPDATE",
                            )
                            .bind(&new.origin.mailbox)
                            .fetch_optional(&mut *tx)
                            .await?
                        }
                        Store::Sqlite(_) => {
                            sqlx::query_as("SELECT uidvalidity, last_uid FROM mailbox_checkpoints WHERE mailbox = $1")
                                .bind(&new.origin.mailbox)
                                .fetch_optional(&mut *tx)
                                .await?
                        }
                    };
                    if current.is_some_and(|(v, last)| v == uidvalidity && last >= uid) {
                        break 'record Recorded::AlreadyDone;
                    }
                    sqlx::query("UPDATE mailbox_checkpoints SET uidvalidity = $2, last_uid = $3, updated_at = $4 WHERE mailbox = $1")
                        .bind(&new.origin.mailbox)
                        .bind(uidvalidity)
                        .bind(uid)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                let earlier = find_earlier!(&mut *tx, new.message_id, new.content_hash);
                let mut outcome = new.outcome.clone();
                if let Some(earlier) = &earlier {
                    // The very same bytes under a new UIDVALIDITY: the same message, moved.
                    let same_mailbox_new_validity = earlier.content_hash == new.content_hash
                        && earlier.mailbox == new.origin.mailbox
                        && new.origin.uid.is_some_and(|(v, _)| earlier.uidvalidity != Some(v));
                    if same_mailbox_new_validity && let Some((v, uid)) = new.origin.uid {
                        sqlx::query("UPDATE incoming_messages SET uidvalidity = $2, uid = $3 WHERE id = $1")
                            .bind(earlier.id)
                            .bind(v)
                            .bind(uid)
                            .execute(&mut *tx)
                            .await?;
                        break 'record Recorded::Moved { id: earlier.id };
                    }
                    if outcome.reason() != Reason::Duplicate {
                        outcome = Outcome::duplicate(earlier.id, Rule::SameMessageId);
                    }
                }
                let mut receipt = false;
                if let Outcome::Counted(counted) = &mut outcome {
                    let (count,): (i64,) =
                        sqlx::query_as("SELECT COUNT(*) FROM submissions WHERE request_id = $1 AND unit_id = $2")
                            .bind(counted.request_id)
                            .bind(counted.unit_id)
                            .fetch_one(&mut *tx)
                            .await?;
                    counted.resubmission = count > 0;
                }
                let (uidvalidity, uid) = new.origin.uid.map_or((None, None), |(v, u)| (Some(v), Some(u)));
                let (id,): (i64,) = sqlx::query_as(
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
                .fetch_one(&mut *tx)
                .await?;
                match &outcome {
                    Outcome::Counted(counted) => {
                        let (request_id, unit_id) = (counted.request_id, counted.unit_id);
                        {
                            sqlx::query(
                                "INSERT INTO submissions (request_id, unit_id, incoming_id, via, received_at, late, \
                                 attachments, note, is_resubmission, created_at) \
                                 VALUES ($1, $2, $3, 'email', $4, $5, $6, NULL, $7, $8)",
                            )
                            .bind(request_id)
                            .bind(unit_id)
                            .bind(id)
                            .bind(new.received_at)
                            .bind(counted.late)
                            .bind(&new.attachments_json)
                            .bind(counted.resubmission)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                            let _ = cancel_waiting_in_tx!(tx, Some(request_id), Some(unit_id), REPORTED, now);
                            let _ = supersede_reviews_in_tx!(tx, request_id, unit_id, Some(id), now);
                            if let Some(queued) = new.receipt {
                                receipt = queue_receipt_in_tx!(tx, queued, now);
                            }
                        }
                    }
                    Outcome::Review(review) => {
                        let candidates = serde_json::to_string(&review.candidates).unwrap_or_else(|_| "[]".into());
                        sqlx::query(
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
                        .execute(&mut *tx)
                        .await?;
                    }
                    Outcome::Ignored(_) => {}
                }
                if let Some(failing) = outcome.failing() {
                    sqlx::query(
                        "UPDATE unit_addresses SET failing_since = COALESCE(failing_since, $3), failing_reason = $2 \
                         WHERE address = $1 AND ($4 IS NULL OR unit_id = $4)",
                    )
                    .bind(failing.address.to_lowercase())
                    .bind(&failing.reason)
                    .bind(now)
                    .bind(failing.unit_id)
                    .execute(&mut *tx)
                    .await?;
                }
                // Real mail from an address shows it works again.
                if outcome.state() != State::Ignored
                    && let Some(from) = new.from_address
                {
                    sqlx::query(
                        "UPDATE unit_addresses SET failing_since = NULL, failing_reason = NULL \
                         WHERE address = $1 AND failing_since IS NOT NULL",
                    )
                    .bind(from)
                    .execute(&mut *tx)
                    .await?;
                }
                Recorded::New { id, outcome, receipt }
            }
        });
        Ok(recorded)
    }

    /// Queues a receipt for a submission counted outside intake (a review item assigned by
    /// hand), with the same pause per address.
    pub async fn queue_receipt(&self, queued: &QueuedReceipt, now: DateTime<Utc>) -> StoreResult<bool> {
        Ok(in_tx!(self, |tx| { queue_receipt_in_tx!(tx, queued, now) }))
    }

    /// The watcher's place in a mailbox.
    pub async fn checkpoint(&self, mailbox: &str) -> StoreResult<Option<Checkpoint>> {
        let row: Option<(i64, i64, i64, DateTime<Utc>)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT uidvalidity, first_uid, last_uid, start_from FROM mailbox_checkpoints WHERE mailbox = $1",
            )
            .bind(mailbox)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(uidvalidity, first_uid, last_uid, start_from)| Checkpoint {
            uidvalidity,
            first_uid,
            last_uid,
            start_from,
        }))
    }

    /// Sets the checkpoint outright: on first connection, and when UIDVALIDITY changed
    /// (then `last_uid` restarts below the messages to rescan).
    pub async fn set_checkpoint(&self, mailbox: &str, checkpoint: Checkpoint, now: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO mailbox_checkpoints (mailbox, uidvalidity, last_uid, start_from, updated_at, first_uid) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = $2, \
                 last_uid = $3, start_from = $4, updated_at = $5, first_uid = $6",
            )
            .bind(mailbox)
            .bind(checkpoint.uidvalidity)
            .bind(checkpoint.last_uid)
            .bind(checkpoint.start_from)
            .bind(now)
            .bind(checkpoint.first_uid)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The state of every recorded message of a mailbox under one UIDVALIDITY, by UID.
    pub async fn recorded_uids(&self, mailbox: &str, uidvalidity: i64) -> StoreResult<HashMap<i64, String>> {
        let rows: Vec<(i64, String)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT uid, state FROM incoming_messages WHERE mailbox = $1 AND uidvalidity = $2 AND uid IS NOT NULL",
            )
            .bind(mailbox)
            .bind(uidvalidity)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().collect())
    }
}
