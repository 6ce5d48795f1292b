//! Incoming messages: what the rules need to know (the registry snapshot, our sent
//! messages a message refers to), what recording one is given and answers (`recording`
//! writes it), and the mailbox checkpoints.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Db, Store, StoreResult, on_pool, on_writer, sql};
use crate::domain::incoming::classify::{Outcome, RequestFacts, SentRef, Snapshot};
use crate::domain::model::{IncomingId, RequestId, UnitId};

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
    /// resubmission; an earlier copy: a duplicate). `receipt`: a receipt was queued for the
    /// sender.
    New {
        id: IncomingId,
        outcome: Outcome,
        receipt: bool,
    },
    /// The same message seen again under a new UIDVALIDITY: the row now points at its new
    /// UID and nothing is counted again.
    Moved { id: IncomingId },
    /// Another watcher already processed this UID.
    AlreadyDone,
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
        let series: HashMap<i64, crate::domain::period::Schedule> = self
            .list_series()
            .await?
            .into_iter()
            .map(|s| (s.id, s.input.schedule))
            .collect();
        for (id, schedule) in &series {
            snapshot.series_school.insert(*id, schedule.school);
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
            facts.period = request.period.as_ref().and_then(|p| {
                let kind = series.get(&p.series_id)?.kind;
                Some((p.series_id, crate::domain::period::Period::parse(kind, &p.key)?))
            });
            snapshot.requests.insert(request.id, facts);
        }
        let pairs: Vec<(RequestId, UnitId)> = on_pool!(self, |pool| {
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

    /// Our sent messages among `ids`, by Message-ID: one query whatever the number of ids
    /// (the caller bounds them; see `Letter::thread_ids`).
    pub async fn sent_refs(&self, ids: &[String]) -> StoreResult<HashMap<String, SentRef>> {
        sent_refs_in(&mut self.connection().await?.db(), ids).await
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
        on_writer!(self, |pool| {
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

/// [`Store::sent_refs`] on a given connection (a recording transaction's).
pub(super) async fn sent_refs_in(db: &mut Db<'_>, ids: &[String]) -> StoreResult<HashMap<String, SentRef>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    // The ids go in as one JSON array, which both databases unpack server-side.
    let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let text = sent_refs_statement(db.is_postgres());
    let rows: Vec<(String, Option<RequestId>, Option<UnitId>, String)> =
        sql(sqlx::AssertSqlSafe(text)).bind(list).fetch_all(db).await?;
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

/// `sent_refs`' query: our sent messages among the Message-IDs of `$1` (a JSON array).
pub(crate) fn sent_refs_statement(postgres: bool) -> String {
    format!(
        // An escalation letter is about a unit, not to it: a reply or a bounce names its
        // addressee (the parent, the head), never the late unit.
        "SELECT message_id, request_id, CASE WHEN kind = 'escalation' THEN NULL ELSE unit_id END, to_address \
         FROM outgoing_messages WHERE message_id {}",
        super::recording::in_json(postgres, 1, "")
    )
}
