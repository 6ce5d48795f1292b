//! Recording incoming messages: each one's row and everything its outcome implies (the
//! submission, the review item, the failing mark, the receipt), together with the mailbox
//! checkpoint. A [`Recording`] is one transaction for a group of messages (the watcher's
//! fetch batch): a crash leaves all of the group or none of it, so the group is processed
//! again from the start, and the checkpoint never passes a message whose outcome is lost.
//! Within the transaction it remembers what it read (the checkpoint, earlier copies, the
//! addresses marked failing), so most messages cost one or two statements.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::db::Tx;
use super::intake::{NewIncoming, QueuedReceipt, Recorded, sent_refs_in};
use super::outbox::{REPORTED, insert_message};
use super::review::supersede_reviews;
use super::slots::cancel_waiting_in;
use super::submissions::submission_count;
use super::{Db, Store, StoreResult, sql};
use crate::domain::incoming::classify::{Outcome, Reason, Rule, SentRef, State};
use crate::domain::model::{IncomingId, RequestId, UnitId};

impl Store {
    /// Records one message and everything its outcome implies, and advances the mailbox
    /// checkpoint to its UID, all in one transaction.
    pub async fn record_incoming(&self, new: &NewIncoming<'_>, now: DateTime<Utc>) -> StoreResult<Recorded> {
        let mut recording = self.begin_recording().await?;
        let recorded = recording.record(new, now).await?;
        recording.commit().await?;
        Ok(recorded)
    }

    /// Starts recording a group of messages in one transaction (SQLite: on the writer
    /// connection). Nothing is kept unless [`Recording::commit`] is called.
    pub async fn begin_recording(&self) -> StoreResult<Recording> {
        Ok(Recording {
            tx: self.begin().await?,
            checkpoints: HashMap::new(),
            earlier: HashMap::new(),
            failing: None,
            pairs: HashMap::new(),
        })
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

/// One transaction recording a group of incoming messages, in order.
pub struct Recording {
    tx: Tx,
    /// Each mailbox's checkpoint as this transaction has moved it (read once; on PostgreSQL
    /// the row stays locked until the end, so a second watcher waits and then skips what
    /// this one recorded).
    checkpoints: HashMap<String, Mark>,
    /// The earliest record of a message, by its key, as far as this transaction knows
    /// (`None`: known to have none).
    earlier: HashMap<Key, Option<EarlierRow>>,
    /// Addresses marked failing, read once: mail from any other address clears nothing.
    failing: Option<HashSet<String>>,
    /// What a counted submission of a (request, unit) would change, for the pairs read by
    /// [`look_up_pairs`](Self::look_up_pairs) and kept true as the group goes on.
    pairs: HashMap<(RequestId, UnitId), Pair>,
}

/// A (request, unit) within a [`Recording`].
#[derive(Debug, Clone, Copy)]
struct Pair {
    /// It has a submission: a new one is a resubmission.
    reported: bool,
    /// Planned slots or queued messages wait for it (a submission cancels them).
    waiting: bool,
    /// Open review items are about it (a submission supersedes them).
    open_reviews: bool,
}

impl Pair {
    /// A pair not looked up: act as if something may wait for it.
    const UNSURE: Pair = Pair {
        reported: false,
        waiting: true,
        open_reviews: true,
    };
    /// A pair just counted in this transaction: nothing waits any more.
    const SETTLED: Pair = Pair {
        reported: true,
        waiting: false,
        open_reviews: false,
    };
}

/// A mailbox checkpoint within a [`Recording`].
struct Mark {
    /// `(uidvalidity, last_uid)`; `None` when the mailbox has no checkpoint row.
    at: Option<(i64, i64)>,
    /// Set when it moved: the new position and when.
    moved: Option<DateTime<Utc>>,
}

/// How an earlier copy of a message is found: its Message-ID, or its content when it has none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    MessageId(String),
    Content(String),
}

impl Key {
    fn of(message_id: Option<&str>, content_hash: &str) -> Key {
        match message_id {
            Some(id) => Key::MessageId(id.to_string()),
            None => Key::Content(content_hash.to_string()),
        }
    }
}

impl Recording {
    /// Reads the earlier records of all these messages (Message-ID, content hash) in two
    /// queries, so that recording each of them does not look again.
    pub async fn look_up_earlier(&mut self, messages: &[(Option<&str>, &str)]) -> StoreResult<()> {
        let mut ids = Vec::new();
        let mut hashes = Vec::new();
        for &(message_id, hash) in messages {
            let key = Key::of(message_id, hash);
            if self.earlier.contains_key(&key) {
                continue;
            }
            match message_id {
                Some(id) => ids.push(id.to_string()),
                None => hashes.push(hash.to_string()),
            }
            self.earlier.insert(key, None);
        }
        let mut db = self.tx.db();
        let [by_id, by_content] = earlier_of_group_statements(db.is_postgres());
        let mut rows: Vec<EarlierRow> = Vec::new();
        if !ids.is_empty() {
            rows.extend(
                sql(sqlx::AssertSqlSafe(by_id))
                    .bind(json(&ids))
                    .fetch_all::<EarlierRow>(&mut db)
                    .await?,
            );
        }
        if !hashes.is_empty() {
            rows.extend(
                sql(sqlx::AssertSqlSafe(by_content))
                    .bind(json(&hashes))
                    .fetch_all::<EarlierRow>(&mut db)
                    .await?,
            );
        }
        for row in rows {
            let key = Key::of(row.message_id.as_deref(), &row.content_hash);
            let slot = self.earlier.entry(key).or_default();
            if slot.as_ref().is_none_or(|known| row.id.get() < known.id.get()) {
                *slot = Some(row);
            }
        }
        Ok(())
    }

    /// Reads, in four queries, what recording a submission of each of these (request, unit)
    /// pairs would change, so that recording does not ask again for each message.
    pub async fn look_up_pairs(&mut self, pairs: &[(RequestId, UnitId)]) -> StoreResult<()> {
        let new: Vec<(RequestId, UnitId)> = pairs
            .iter()
            .filter(|pair| !self.pairs.contains_key(pair))
            .copied()
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        let mut requests: Vec<i64> = new.iter().map(|(r, _)| r.get()).collect();
        let mut units: Vec<i64> = new.iter().map(|(_, u)| u.get()).collect();
        requests.sort_unstable();
        requests.dedup();
        units.sort_unstable();
        units.dedup();
        let mut db = self.tx.db();
        let queries = pair_statements(db.is_postgres());
        let (requests, units) = (json_ids(&requests), json_ids(&units));
        let mut found: Vec<Vec<(RequestId, UnitId)>> = Vec::with_capacity(queries.len());
        for query in queries {
            found.push(
                sql(sqlx::AssertSqlSafe(query))
                    .bind(requests.as_str())
                    .bind(units.as_str())
                    .fetch_all(&mut db)
                    .await?,
            );
        }
        for pair in &new {
            self.pairs.insert(
                *pair,
                Pair {
                    reported: found[0].contains(pair),
                    waiting: found[1].contains(pair) || found[2].contains(pair),
                    open_reviews: found[3].contains(pair),
                },
            );
        }
        Ok(())
    }

    /// The id of an earlier record of the same message, this group's included.
    pub async fn earlier_copy(
        &mut self,
        message_id: Option<&str>,
        content_hash: &str,
    ) -> StoreResult<Option<IncomingId>> {
        Ok(self.earlier_row(message_id, content_hash).await?.map(|r| r.id))
    }

    async fn earlier_row(&mut self, message_id: Option<&str>, content_hash: &str) -> StoreResult<Option<EarlierRow>> {
        let key = Key::of(message_id, content_hash);
        if let Some(known) = self.earlier.get(&key) {
            return Ok(known.clone());
        }
        let row = find_earlier(&mut self.tx.db(), message_id, content_hash).await?;
        self.earlier.insert(key, row.clone());
        Ok(row)
    }

    /// Our sent messages among `ids`, by Message-ID (see [`Store::sent_refs`]).
    pub async fn sent_refs(&mut self, ids: &[String]) -> StoreResult<HashMap<String, SentRef>> {
        sent_refs_in(&mut self.tx.db(), ids).await
    }

    /// Records one message and everything its outcome implies, and moves the checkpoint of
    /// its mailbox to its UID (written at [`commit`](Self::commit)).
    pub async fn record(&mut self, new: &NewIncoming<'_>, now: DateTime<Utc>) -> StoreResult<Recorded> {
        if let Some(position) = new.origin.uid
            && !self.advance(&new.origin.mailbox, position, now).await?
        {
            return Ok(Recorded::AlreadyDone);
        }
        let mut outcome = new.outcome.clone();
        if let Some(earlier) = self.earlier_row(new.message_id, new.content_hash).await? {
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
                    .execute(&mut self.tx.db())
                    .await?;
                let key = Key::of(new.message_id, new.content_hash);
                if let Some(Some(known)) = self.earlier.get_mut(&key) {
                    known.uidvalidity = Some(uidvalidity);
                }
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
        let db = &mut self.tx.db();
        // The snapshot may not have seen an earlier submission; the database has.
        let mut pair = None;
        let mut also_pairs = Vec::new();
        if let Outcome::Counted(counted) = &mut outcome {
            let key = (counted.request_id, counted.unit_id);
            let known = match self.pairs.get(&key) {
                Some(known) => *known,
                // Not looked up: ask whether it was reported.
                None => Pair {
                    reported: submission_count(db, key.0, key.1).await? > 0,
                    ..Pair::UNSURE
                },
            };
            counted.resubmission = known.reported;
            pair = Some((key, known));
            for also in &mut counted.also {
                let key = (also.request_id, counted.unit_id);
                let known = match self.pairs.get(&key) {
                    Some(known) => *known,
                    None => Pair {
                        reported: submission_count(db, key.0, key.1).await? > 0,
                        ..Pair::UNSURE
                    },
                };
                also.resubmission = known.reported;
                also_pairs.push((key, known));
            }
        }
        let id = insert_incoming(db, new, &outcome, now).await?;
        let key = Key::of(new.message_id, new.content_hash);
        if let Some(slot @ None) = self.earlier.get_mut(&key) {
            *slot = Some(EarlierRow {
                id,
                content_hash: new.content_hash.to_string(),
                mailbox: new.origin.mailbox.clone(),
                uidvalidity: new.origin.uid.map(|(uidvalidity, _)| uidvalidity),
                message_id: new.message_id.map(str::to_string),
            });
        }
        let receipt = record_outcome(db, new, &outcome, id, pair.map(|(_, p)| p), now).await?;
        if let Some((key, _)) = pair {
            self.pairs.insert(key, Pair::SETTLED);
        }
        if let Outcome::Counted(counted) = &outcome {
            for (also, (key, known)) in counted.also.iter().zip(also_pairs) {
                let report = Report {
                    request_id: also.request_id,
                    unit_id: counted.unit_id,
                    late: also.late,
                    resubmission: also.resubmission,
                };
                record_submission(&mut self.tx.db(), new, id, report, known, now).await?;
                self.pairs.insert(key, Pair::SETTLED);
            }
        }
        if let Outcome::Review(review) = &outcome
            && let (Some(request_id), Some(unit_id)) = (review.request_id, review.unit_id)
            && let Some(known) = self.pairs.get_mut(&(request_id, unit_id))
        {
            known.open_reviews = true;
        }
        self.mark_addresses(new, &outcome, now).await?;
        Ok(Recorded::New { id, outcome, receipt })
    }

    /// Moves the checkpoint to `(uidvalidity, uid)`; false when another watcher already
    /// recorded this UID.
    async fn advance(
        &mut self,
        mailbox: &str,
        (uidvalidity, uid): (i64, i64),
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        if !self.checkpoints.contains_key(mailbox) {
            let mut db = self.tx.db();
            let statement = if db.is_postgres() {
                "SELECT uidvalidity, last_uid FROM mailbox_checkpoints WHERE mailbox = $1 FOR UPDATE"
            } else {
                "SELECT uidvalidity, last_uid FROM mailbox_checkpoints WHERE mailbox = $1"
            };
            let at: Option<(i64, i64)> = sql(statement).bind(mailbox).fetch_optional(&mut db).await?;
            self.checkpoints.insert(mailbox.to_string(), Mark { at, moved: None });
        }
        let Some(mark) = self.checkpoints.get_mut(mailbox) else {
            return Ok(false);
        };
        if mark.at.is_some_and(|(v, last)| v == uidvalidity && last >= uid) {
            return Ok(false);
        }
        // Without a checkpoint row there is nothing to move (as an UPDATE of no row).
        if mark.at.is_some() {
            mark.at = Some((uidvalidity, uid));
            mark.moved = Some(now);
        }
        Ok(true)
    }

    /// Marks the address a bounce names as failing, and clears the mark of an address real
    /// mail came from (it works again).
    async fn mark_addresses(
        &mut self,
        new: &NewIncoming<'_>,
        outcome: &Outcome,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        if self.failing.is_none() {
            let rows: Vec<(String,)> = sql("SELECT address FROM unit_addresses WHERE failing_since IS NOT NULL")
                .fetch_all(&mut self.tx.db())
                .await?;
            self.failing = Some(rows.into_iter().map(|(address,)| address).collect());
        }
        let failing_now = self.failing.get_or_insert_default();
        let db = &mut self.tx.db();
        if let Some(failing) = outcome.failing() {
            let address = failing.address.to_lowercase();
            sql(
                "UPDATE unit_addresses SET failing_since = COALESCE(failing_since, $3), failing_reason = $2 \
                 WHERE address = $1 AND ($4 IS NULL OR unit_id = $4)",
            )
            .bind(address.as_str())
            .bind(&failing.reason)
            .bind(now)
            .bind(failing.unit_id)
            .execute(db)
            .await?;
            failing_now.insert(address);
        }
        if outcome.state() != State::Ignored
            && let Some(from) = new.from_address
            && failing_now.remove(from)
        {
            sql("UPDATE unit_addresses SET failing_since = NULL, failing_reason = NULL \
                 WHERE address = $1 AND failing_since IS NOT NULL")
            .bind(from)
            .execute(db)
            .await?;
        }
        Ok(())
    }

    /// Writes the checkpoints that moved and commits the whole group.
    pub async fn commit(mut self) -> StoreResult<()> {
        for (mailbox, mark) in &self.checkpoints {
            if let (Some((uidvalidity, uid)), Some(now)) = (mark.at, mark.moved) {
                sql("UPDATE mailbox_checkpoints SET uidvalidity = $2, last_uid = $3, updated_at = $4 WHERE mailbox = $1")
                    .bind(mailbox.as_str())
                    .bind(uidvalidity)
                    .bind(uid)
                    .bind(now)
                    .execute(&mut self.tx.db())
                    .await?;
            }
        }
        self.tx.commit().await
    }
}

/// A JSON array of values bound as `$n`, as a set to test `column IN` against: SQLite's
/// `json_each`; on PostgreSQL an array, so the planner sees `= ANY(…)` and uses the column's
/// index however small the tables (with `IN (SELECT json_array_elements_text(…))` it assumed
/// 100 values and chose to scan).
pub(super) fn in_json(postgres: bool, n: u8, cast: &str) -> String {
    if postgres {
        format!("= ANY(ARRAY(SELECT json_array_elements_text(${n}::json){cast}))")
    } else {
        format!("IN (SELECT value FROM json_each(${n}))")
    }
}

/// `look_up_earlier`'s queries: the records of a group's Message-IDs, and of the contents of
/// its messages without one (`$1`: a JSON array).
pub(crate) fn earlier_of_group_statements(postgres: bool) -> [String; 2] {
    let list = in_json(postgres, 1, "");
    [
        format!(
            "SELECT id, content_hash, mailbox, uidvalidity, message_id FROM incoming_messages \
             WHERE message_id {list}"
        ),
        format!(
            "SELECT id, content_hash, mailbox, uidvalidity, message_id FROM incoming_messages \
             WHERE content_hash {list} AND message_id IS NULL"
        ),
    ]
}

/// `look_up_pairs`' queries, each giving (request, unit) pairs among requests `$1` and units
/// `$2` (JSON arrays): reported, with planned slots, with queued messages, with open reviews.
pub(crate) fn pair_statements(postgres: bool) -> [String; 4] {
    let within = format!(
        "request_id {} AND unit_id {}",
        in_json(postgres, 1, "::bigint"),
        in_json(postgres, 2, "::bigint")
    );
    [
        format!("SELECT DISTINCT request_id, unit_id FROM submissions WHERE {within}"),
        format!("SELECT DISTINCT request_id, unit_id FROM reminder_slots WHERE state = 'planned' AND {within}"),
        format!(
            "SELECT DISTINCT request_id, unit_id FROM outgoing_messages WHERE state IN ('queued', 'retry') \
             AND kind IN ('notice', 'reminder', 'overdue', 'escalation') AND {within}"
        ),
        format!("SELECT DISTINCT request_id, unit_id FROM review_items WHERE state = 'open' AND {within}"),
    ]
}

/// `find_earlier`'s queries: by Message-ID, and by content for a message without one.
pub(crate) const EARLIER_BY_MESSAGE_ID: &str = "SELECT id, content_hash, mailbox, uidvalidity, message_id \
     FROM incoming_messages WHERE message_id = $1 ORDER BY id LIMIT 1";
pub(crate) const EARLIER_BY_CONTENT: &str = "SELECT id, content_hash, mailbox, uidvalidity, message_id \
     FROM incoming_messages WHERE content_hash = $1 AND message_id IS NULL ORDER BY id LIMIT 1";

fn json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

fn json_ids(list: &[i64]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct EarlierRow {
    id: IncomingId,
    content_hash: String,
    mailbox: String,
    uidvalidity: Option<i64>,
    message_id: Option<String>,
}

/// Writes what a recorded outcome implies: the submission (and the reminders it cancels,
/// the review items it settles, the receipt) or the review item. True when a receipt was
/// queued.
async fn record_outcome(
    db: &mut Db<'_>,
    new: &NewIncoming<'_>,
    outcome: &Outcome,
    id: IncomingId,
    pair: Option<Pair>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let pair = pair.unwrap_or(Pair::UNSURE);
    let mut receipt = false;
    match outcome {
        Outcome::Counted(counted) => {
            let report = Report {
                request_id: counted.request_id,
                unit_id: counted.unit_id,
                late: counted.late,
                resubmission: counted.resubmission,
            };
            record_submission(db, new, id, report, pair, now).await?;
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
    Ok(receipt)
}

/// One (request, unit) a counted message reports for.
#[derive(Debug, Clone, Copy)]
struct Report {
    request_id: RequestId,
    unit_id: UnitId,
    late: bool,
    resubmission: bool,
}

/// Writes a submission and what it settles: the unit's waiting reminders for the request
/// and its open review items.
async fn record_submission(
    db: &mut Db<'_>,
    new: &NewIncoming<'_>,
    id: IncomingId,
    report: Report,
    pair: Pair,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sql(
        "INSERT INTO submissions (request_id, unit_id, incoming_id, via, received_at, late, \
         attachments, note, is_resubmission, created_at) \
         VALUES ($1, $2, $3, 'email', $4, $5, $6, NULL, $7, $8)",
    )
    .bind(report.request_id)
    .bind(report.unit_id)
    .bind(id)
    .bind(new.received_at)
    .bind(report.late)
    .bind(&new.attachments_json)
    .bind(report.resubmission)
    .bind(now)
    .execute(&mut *db)
    .await?;
    let (request_id, unit_id) = (report.request_id, report.unit_id);
    if pair.waiting {
        cancel_waiting_in(db, Some(request_id), Some(unit_id), REPORTED, now).await?;
    }
    if pair.open_reviews {
        supersede_reviews(db, request_id, unit_id, Some(id), now).await?;
    }
    Ok(())
}

/// The earlier record of a message: same Message-ID, or same content when it has none.
async fn find_earlier(
    db: &mut Db<'_>,
    message_id: Option<&str>,
    content_hash: &str,
) -> StoreResult<Option<EarlierRow>> {
    let query = match message_id {
        Some(id) => sql(
            "SELECT id, content_hash, mailbox, uidvalidity, message_id FROM incoming_messages \
             WHERE message_id = $1 ORDER BY id LIMIT 1",
        )
        .bind(id),
        None => sql(
            "SELECT id, content_hash, mailbox, uidvalidity, message_id FROM incoming_messages \
             WHERE content_hash = $1 AND message_id IS NULL ORDER BY id LIMIT 1",
        )
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
