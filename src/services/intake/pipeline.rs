//! The one path every incoming message takes, whether the watcher fetched it or a clerk
//! gave it to `intake import`: read it, keep a copy on disk, look up what it refers to,
//! classify, record (with the receipt, when receipts are on and the sender may get one).
//! [`Intake::judge`] is the same minus the writes, for `intake explain`.
//!
//! Messages go through in groups ([`Intake::process_group`]; the watcher's fetch batch, at
//! most 200 messages): all are read on one blocking thread, their copies written and made
//! durable with one `syncfs` ([`Intake::prepare`]), then, in one transaction
//! ([`Intake::record`]), what the store knows of them is read in a few queries for the whole
//! group, all are classified on one blocking thread, and each is recorded; the commit also
//! moves the mailbox checkpoint past the last. A crash loses the whole group or nothing, and
//! a copy is on disk before any outcome that names it.
//!
//! Reading and judging run on tokio's blocking threads, each message within the configured
//! time budget: a message built to be slow goes to the review queue as `too_complex` instead
//! of holding the mailbox, and it never stops the web page, the watchdog or a SIGTERM.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::adapters::config::Settings;
use crate::adapters::files::MessageFiles;
use crate::adapters::store::{NewIncoming, Origin, Recorded, Recording, Store, StoreError};
use crate::domain::incoming::classify::{self, Context, Outcome, Rule, Rules, SentRef, Snapshot};
use crate::domain::incoming::message::{self, Letter};
use crate::domain::incoming::receipt;
use crate::domain::model::{RequestId, UnitId};
use crate::services::letters::Templates;
use crate::services::letters::receipt::Receipts;

/// The settings intake works with, taken from the configuration once.
#[derive(Debug, Clone)]
pub struct Intake {
    pub rules: Arc<Rules>,
    pub office_mailbox: String,
    pub message_dir: PathBuf,
    pub max_message_bytes: usize,
    /// How long reading a message, and then judging it, may take.
    pub time_budget: Duration,
    /// Set when counted submissions are acknowledged.
    pub receipts: Option<Receipts>,
}

/// The bytes a message came as.
#[derive(Debug, Clone, Copy)]
pub enum Raw<'a> {
    Whole(&'a [u8]),
    /// Only the header of a message of this many bytes, above the size cap.
    HeaderOnly(&'a [u8], usize),
}

impl<'a> Raw<'a> {
    /// The bytes as they came (the whole message or its header).
    pub fn bytes(self) -> &'a [u8] {
        match self {
            Raw::Whole(bytes) | Raw::HeaderOnly(bytes, _) => bytes,
        }
    }
}

/// The bytes of a message, owned, to be read on another thread: what [`Raw`] borrows.
#[derive(Debug, Clone)]
pub struct Body {
    pub bytes: Arc<[u8]>,
    /// Set when only the header came, of a message of this many bytes (above the size cap).
    pub header_only_of: Option<usize>,
}

impl From<Raw<'_>> for Body {
    fn from(raw: Raw<'_>) -> Body {
        let header_only_of = match raw {
            Raw::Whole(_) => None,
            Raw::HeaderOnly(_, size) => Some(size),
        };
        Body {
            bytes: Arc::from(raw.bytes()),
            header_only_of,
        }
    }
}

/// A message to process in a group: its bytes, where it came from and when it arrived.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub body: Body,
    pub origin: Origin,
    pub received_at: DateTime<Utc>,
}

/// Why a message was not judged on its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trouble {
    /// Nothing could be made of it (the reason, in Vietnamese).
    Unreadable(String),
    /// Reading it took longer than the time budget.
    TooComplex,
}

/// A message read: its letter (only hash and size when it could not be read) and what
/// went wrong, if anything.
pub type Reading = (Letter, Option<Trouble>);

/// A group of messages read, their copies on disk: ready to [record](Intake::record).
#[derive(Debug)]
pub struct Prepared(Vec<(Arrived, Reading, PathBuf)>);

/// Where a prepared message came from and when; its bytes are no longer held (they are on
/// disk), so a group waiting to be recorded holds only what was read of it.
#[derive(Debug, Clone)]
struct Arrived {
    origin: Origin,
    received_at: DateTime<Utc>,
}

impl Prepared {
    /// Where each message came from, in order.
    pub fn origins(&self) -> impl Iterator<Item = &Origin> {
        self.0.iter().map(|(arrival, _, _)| &arrival.origin)
    }
}

/// A processed message.
#[derive(Debug, Clone)]
pub struct Processed {
    pub letter: Arc<Letter>,
    pub outcome: Outcome,
    pub recorded: Recorded,
    pub raw_path: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot keep a copy of the message in {path}")]
    Copy {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the task keeping a copy of the message stopped")]
    Task(#[from] tokio::task::JoinError),
    #[error("a group of messages to record was empty")]
    Empty,
}

#[derive(Serialize)]
struct AttachmentJson<'a> {
    name: &'a str,
    size: usize,
}

impl Intake {
    pub fn new(settings: &Settings) -> Intake {
        Intake {
            rules: Arc::new(Rules {
                trusted_authserv_ids: settings.intake.trusted_authserv_ids.clone(),
                phrases: settings.intake.phrases.clone(),
                zone: settings.office.zone,
            }),
            office_mailbox: settings.office.report_mailbox.as_str().to_lowercase(),
            message_dir: settings.message_dir(),
            max_message_bytes: settings.intake.max_message_bytes,
            time_budget: settings.intake.time_budget,
            receipts: None,
        }
    }

    /// Intake that records messages: with receipts when the configuration turns them on.
    pub fn recording(settings: &Settings, templates: Arc<Templates>) -> Intake {
        Intake {
            receipts: Receipts::when_on(settings, templates),
            ..Intake::new(settings)
        }
    }

    /// Reads the bytes on a blocking thread within the time budget. A message nothing can
    /// be made of, or that takes too long, still gets a letter (hash and size), and
    /// [`judge`](Self::judge) sends it to review.
    pub async fn read(&self, raw: Raw<'_>) -> Reading {
        let mut readings = self.read_all(&[Body::from(raw)]).await;
        readings
            .pop()
            .unwrap_or_else(|| (Letter::default(), Some(Trouble::TooComplex)))
    }

    /// Reads messages in order on one blocking thread, each within the time budget. One that
    /// overruns gets a letter with only its hash and size (see [`each_within`]).
    pub async fn read_all(&self, bodies: &[Body]) -> Vec<Reading> {
        let results = each_within(bodies.to_vec(), self.time_budget, |body: &Body| {
            match body.header_only_of {
                None => message::read(&body.bytes),
                Some(size) => message::read_header_only(&body.bytes, size),
            }
        })
        .await;
        let mut readings = Vec::with_capacity(bodies.len());
        for (body, result) in bodies.iter().zip(results) {
            let problem = match result {
                Ok(Ok(letter)) => {
                    readings.push((letter, None));
                    continue;
                }
                Ok(Err(unreadable)) => Trouble::Unreadable(unreadable.0),
                // `read` catches the parser's panics; this is one of its own.
                Err(Overrun::Failed) => Trouble::Unreadable("không đọc được thư (lỗi khi đọc)".into()),
                Err(Overrun::Slow) => {
                    tracing::warn!(
                        size = body.bytes.len(),
                        budget_seconds = self.time_budget.as_secs_f64(),
                        "reading a message took longer than the time budget; it goes to review"
                    );
                    Trouble::TooComplex
                }
            };
            readings.push((unread(body).await, Some(problem)));
        }
        readings
    }

    /// The outcome a letter would have now, changing nothing. The rules run on a blocking
    /// thread within the time budget.
    pub async fn judge(
        &self,
        store: &Store,
        snapshot: &Arc<Snapshot>,
        letter: &Arc<Letter>,
        trouble: Option<&Trouble>,
        received_at: DateTime<Utc>,
    ) -> Result<Outcome, StoreError> {
        let duplicate_of = store
            .earlier_copy(letter.message_id.as_deref(), &letter.content_hash)
            .await?;
        let sent = store.sent_refs(&referred_ids(letter)).await?;
        Ok(self
            .decide(snapshot, letter, trouble, duplicate_of, sent, received_at)
            .await)
    }

    /// The outcome of a letter given what the store knows of it: an earlier copy, and our
    /// sent messages it refers to.
    async fn decide(
        &self,
        snapshot: &Arc<Snapshot>,
        letter: &Arc<Letter>,
        trouble: Option<&Trouble>,
        duplicate_of: Option<crate::domain::model::IncomingId>,
        sent: HashMap<String, SentRef>,
        received_at: DateTime<Utc>,
    ) -> Outcome {
        let facts = Facts {
            letter: Arc::clone(letter),
            trouble: trouble.cloned(),
            context: Context {
                received_at,
                duplicate_of,
                sent,
            },
        };
        self.decide_all(snapshot, vec![facts])
            .await
            .pop()
            .unwrap_or_else(|| Outcome::too_complex(self.time_budget))
    }

    /// [`decide`](Self::decide) for several letters, classified in order on one blocking
    /// thread, each within the time budget.
    async fn decide_all(&self, snapshot: &Arc<Snapshot>, all: Vec<Facts>) -> Vec<Outcome> {
        let (snapshot, rules, budget) = (Arc::clone(snapshot), Arc::clone(&self.rules), self.time_budget);
        let sizes: Vec<usize> = all.iter().map(|f| f.letter.size).collect();
        let results = each_within(all, self.time_budget, move |facts: &Facts| {
            match (&facts.trouble, facts.context.duplicate_of) {
                (Some(_), Some(earlier)) => Outcome::duplicate(earlier, Rule::SameContent),
                (Some(Trouble::Unreadable(problem)), None) => Outcome::unreadable(problem),
                (Some(Trouble::TooComplex), None) => Outcome::too_complex(budget),
                (None, _) => classify::classify(&facts.letter, &snapshot, &rules, &facts.context),
            }
        })
        .await;
        results
            .into_iter()
            .zip(sizes)
            .map(|(result, size)| match result {
                Ok(outcome) => outcome,
                Err(Overrun::Failed) => Outcome::unreadable("không phân loại được thư (lỗi khi phân loại)"),
                Err(Overrun::Slow) => {
                    tracing::warn!(
                        size,
                        budget_seconds = self.time_budget.as_secs_f64(),
                        "judging a message took longer than the time budget; it goes to review"
                    );
                    Outcome::too_complex(self.time_budget)
                }
            })
            .collect()
    }

    /// Processes a group of messages through to the store (see the module's comment): all
    /// or none of them are recorded. The snapshot learns of each counted submission so the
    /// next group sees it.
    pub async fn process_group(
        &self,
        store: &Store,
        snapshot: &mut Arc<Snapshot>,
        arrivals: Vec<Arrival>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Processed>, IntakeError> {
        let prepared = self.prepare(arrivals).await?;
        self.record(store, snapshot, prepared, now).await
    }

    /// The first half of [`process_group`](Self::process_group), which needs no store: reads
    /// the messages and keeps their copies (on disk when this returns). A caller may prepare
    /// one group while it records the one before.
    pub async fn prepare(&self, arrivals: Vec<Arrival>) -> Result<Prepared, IntakeError> {
        let bodies: Vec<Body> = arrivals.iter().map(|a| a.body.clone()).collect();
        let readings = self.read_all(&bodies).await;
        self.prepare_read(arrivals.into_iter().zip(readings).collect()).await
    }

    /// [`prepare`](Self::prepare) for messages already read.
    async fn prepare_read(&self, group: Vec<(Arrival, Reading)>) -> Result<Prepared, IntakeError> {
        let copies: Vec<(String, Arc<[u8]>)> = group
            .iter()
            .map(|(arrival, (letter, _))| (letter.content_hash.clone(), Arc::clone(&arrival.body.bytes)))
            .collect();
        let raw_paths = self.keep_copies(copies).await?;
        Ok(Prepared(
            group
                .into_iter()
                .zip(raw_paths)
                .map(|((arrival, reading), path)| {
                    let arrived = Arrived {
                        origin: arrival.origin,
                        received_at: arrival.received_at,
                    };
                    (arrived, reading, path)
                })
                .collect(),
        ))
    }

    /// Processes one message through to the store (a group of one).
    pub async fn process(
        &self,
        store: &Store,
        snapshot: &mut Arc<Snapshot>,
        raw: Raw<'_>,
        origin: &Origin,
        received_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Processed, IntakeError> {
        let read = self.read(raw).await;
        self.process_read(store, snapshot, read, raw.bytes(), origin, received_at, now)
            .await
    }

    /// [`process`](Self::process) for a message already [`read`](Self::read), so a caller
    /// that needed the letter first (for its Received header) does not parse it twice.
    #[allow(clippy::too_many_arguments)]
    pub async fn process_read(
        &self,
        store: &Store,
        snapshot: &mut Arc<Snapshot>,
        reading: Reading,
        bytes: &[u8],
        origin: &Origin,
        received_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Processed, IntakeError> {
        let arrival = Arrival {
            body: Body::from(Raw::Whole(bytes)),
            origin: origin.clone(),
            received_at,
        };
        let prepared = self.prepare_read(vec![(arrival, reading)]).await?;
        let mut processed = self.record(store, snapshot, prepared, now).await?;
        processed.pop().ok_or(IntakeError::Empty)
    }

    /// The second half of [`process_group`](Self::process_group): judges a prepared group
    /// and records it in one transaction.
    pub async fn record(
        &self,
        store: &Store,
        snapshot: &mut Arc<Snapshot>,
        Prepared(group): Prepared,
        now: DateTime<Utc>,
    ) -> Result<Vec<Processed>, IntakeError> {
        let mut recording = store.begin_recording().await?;
        let keys: Vec<(Option<&str>, &str)> = group
            .iter()
            .map(|(_, (letter, _), _)| (letter.message_id.as_deref(), letter.content_hash.as_str()))
            .collect();
        recording.look_up_earlier(&keys).await?;
        let mut mentioned: Vec<String> = group
            .iter()
            .flat_map(|(_, (letter, _), _)| referred_ids(letter))
            .collect();
        mentioned.sort_unstable();
        mentioned.dedup();
        let sent = recording.sent_refs(&mentioned).await?;
        let mut facts = Vec::with_capacity(group.len());
        let mut rest = Vec::with_capacity(group.len());
        for (arrival, (letter, trouble), raw_path) in group {
            let duplicate_of = recording
                .earlier_copy(letter.message_id.as_deref(), &letter.content_hash)
                .await?;
            let sent_by_letter: HashMap<String, SentRef> = referred_ids(&letter)
                .into_iter()
                .filter_map(|id| sent.get(&id).map(|r| (id, r.clone())))
                .collect();
            let letter = Arc::new(letter);
            facts.push(Facts {
                letter: Arc::clone(&letter),
                trouble,
                context: Context {
                    received_at: arrival.received_at,
                    duplicate_of,
                    sent: sent_by_letter,
                },
            });
            rest.push((arrival, raw_path, letter));
        }
        // All classified against the registry as the group found it; recording settles what
        // an earlier message of the same group changes (a duplicate, a resubmission).
        let outcomes = self.decide_all(snapshot, facts).await;
        let counted: Vec<_> = outcomes.iter().flat_map(Outcome::counted_pairs).collect();
        recording.look_up_pairs(&counted).await?;
        let mut processed = Vec::with_capacity(rest.len());
        // Counted in this group: the snapshot learns of them once the group is recorded.
        let mut counted_now = HashSet::new();
        for ((arrival, raw_path, letter), outcome) in rest.into_iter().zip(outcomes) {
            let recorded = self
                .record_one(
                    store,
                    &mut recording,
                    (snapshot, &counted_now),
                    &letter,
                    &outcome,
                    &arrival,
                    &raw_path,
                    now,
                )
                .await?;
            let outcome = match &recorded {
                Recorded::New { outcome, .. } => {
                    counted_now.extend(outcome.counted_pairs());
                    outcome.clone()
                }
                Recorded::Moved { .. } | Recorded::AlreadyDone => outcome,
            };
            processed.push(Processed {
                letter,
                outcome,
                recorded,
                raw_path: Some(raw_path),
            });
        }
        recording.commit().await?;
        if !counted_now.is_empty() {
            let snapshot = Arc::make_mut(snapshot);
            for (request_id, unit_id) in counted_now {
                snapshot.note_counted(request_id, unit_id);
            }
        }
        Ok(processed)
    }

    /// Records one judged message in the group's transaction, with its receipt.
    #[allow(clippy::too_many_arguments)]
    async fn record_one(
        &self,
        store: &Store,
        recording: &mut Recording,
        (snapshot, counted_now): (&Snapshot, &HashSet<(RequestId, UnitId)>),
        letter: &Letter,
        outcome: &Outcome,
        arrival: &Arrived,
        raw_path: &std::path::Path,
        now: DateTime<Utc>,
    ) -> Result<Recorded, IntakeError> {
        let attachments: Vec<AttachmentJson<'_>> = letter
            .counted_attachments()
            .map(|a| AttachmentJson {
                name: &a.name,
                size: a.size,
            })
            .collect();
        let receipt = match (&self.receipts, outcome.counted_for()) {
            (Some(receipts), Some(ids)) => match receipt::refusal(letter) {
                None => {
                    let resubmission = snapshot.reported.contains(&ids) || counted_now.contains(&ids);
                    receipts
                        .compose(store, letter, ids, resubmission, arrival.received_at, now)
                        .await?
                }
                Some(why) => {
                    tracing::debug!(why, "no receipt for this submission");
                    None
                }
            },
            _ => None,
        };
        let raw_path_text = raw_path.to_string_lossy().into_owned();
        let new = NewIncoming {
            origin: &arrival.origin,
            message_id: letter.message_id.as_deref(),
            content_hash: &letter.content_hash,
            from_address: letter.from.as_deref(),
            from_name: letter.from_name.as_deref(),
            subject: &letter.subject,
            received_at: arrival.received_at,
            size: i64::try_from(letter.size).unwrap_or(i64::MAX),
            attachments_json: serde_json::to_string(&attachments).unwrap_or_else(|_| "[]".into()),
            raw_path: Some(&raw_path_text),
            outcome,
            receipt: receipt.as_ref(),
        };
        Ok(recording.record(&new, now).await?)
    }

    /// Keeps the copies ([`MessageFiles::keep_all`]: durable before this returns), on a
    /// blocking thread.
    pub async fn keep_copies(&self, copies: Vec<(String, Arc<[u8]>)>) -> Result<Vec<PathBuf>, IntakeError> {
        let files = MessageFiles::new(&self.message_dir);
        tokio::task::spawn_blocking(move || {
            files.keep_all(&copies).map_err(|source| IntakeError::Copy {
                path: files.dir().to_path_buf(),
                source,
            })
        })
        .await?
    }
}

/// The Message-IDs a letter mentions that may be ours: its thread, its own, and for a
/// bounce the message that bounced.
fn referred_ids(letter: &Letter) -> Vec<String> {
    let mut ids = letter.thread_ids();
    ids.extend(letter.message_id.iter().cloned());
    if let Some(bounce) = &letter.bounce {
        ids.extend(bounce.original_ids.iter().take(message::MAX_IDS).cloned());
    }
    ids
}

/// What a letter is judged on.
struct Facts {
    letter: Arc<Letter>,
    trouble: Option<Trouble>,
    context: Context,
}

/// Why [`each_within`] has no result for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overrun {
    /// It took longer than the budget.
    Slow,
    /// The work panicked.
    Failed,
}

/// Runs `work` on each item in order on one blocking thread (one hand-off for the lot, not
/// one per item), each within `budget`. An item that overruns, or whose work panics, gets an
/// [`Overrun`]; the rest then go on a fresh thread, and the stuck one stops after the item it
/// is on.
async fn each_within<T, R, F>(items: Vec<T>, budget: Duration, work: F) -> Vec<Result<R, Overrun>>
where
    T: Send + Sync + 'static,
    R: Send + 'static,
    F: Fn(&T) -> R + Send + Sync + 'static,
{
    let (items, work) = (Arc::new(items), Arc::new(work));
    let mut results = Vec::with_capacity(items.len());
    while results.len() < items.len() {
        let start = results.len();
        let abandoned = Arc::new(AtomicBool::new(false));
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
        {
            let (items, work, abandoned) = (Arc::clone(&items), Arc::clone(&work), Arc::clone(&abandoned));
            tokio::task::spawn_blocking(move || {
                for item in &items[start..] {
                    if abandoned.load(Ordering::Relaxed) || sender.send(work(item)).is_err() {
                        return;
                    }
                }
            });
        }
        while results.len() < items.len() {
            match tokio::time::timeout(budget, receiver.recv()).await {
                Ok(Some(result)) => results.push(Ok(result)),
                Ok(None) => {
                    results.push(Err(Overrun::Failed));
                    break;
                }
                Err(_) => {
                    abandoned.store(true, Ordering::Relaxed);
                    results.push(Err(Overrun::Slow));
                    break;
                }
            }
        }
    }
    results
}

/// The letter of a message that could not be read: only its hash and size.
async fn unread(body: &Body) -> Letter {
    let bytes = Arc::clone(&body.bytes);
    let size = bytes.len();
    let content_hash = tokio::task::spawn_blocking(move || message::content_hash(&bytes))
        .await
        .unwrap_or_default();
    Letter {
        content_hash,
        size,
        ..Letter::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intake(budget: Duration, dir: &std::path::Path) -> Intake {
        Intake {
            rules: Arc::new(Rules::default()),
            office_mailbox: "vanphong@so.vn".into(),
            message_dir: dir.to_path_buf(),
            max_message_bytes: 64 << 20,
            time_budget: budget,
            receipts: None,
        }
    }

    fn plain(n: usize) -> Body {
        let text = format!("From: dv{n}@so.vn\r\nSubject: Báo cáo {n}\r\n\r\nKính gửi Sở.\r\n");
        Body::from(Raw::Whole(text.as_bytes()))
    }

    /// 200,000 parts: seconds to parse in a test build.
    fn slow() -> Body {
        let mut text = String::from("From: x@so.vn\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
        for _ in 0..200_000 {
            text.push_str("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n");
        }
        text.push_str("--b--\r\n");
        Body::from(Raw::Whole(text.as_bytes()))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_message_over_the_budget_in_a_group_goes_to_review_and_the_rest_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let intake = intake(Duration::from_millis(300), dir.path());
        let slow = slow();
        let started = std::time::Instant::now();
        let readings = intake.read_all(&[plain(1), slow.clone(), plain(2), plain(3)]).await;
        assert_eq!(readings.len(), 4);
        assert!(readings[0].1.is_none());
        assert_eq!(readings[0].0.subject, "Báo cáo 1");
        assert_eq!(readings[1].1, Some(Trouble::TooComplex));
        assert_eq!(readings[1].0.content_hash, message::content_hash(&slow.bytes));
        assert_eq!(readings[1].0.size, slow.bytes.len());
        // Read on a fresh thread while the stuck one still parses.
        assert_eq!(readings[2].0.subject, "Báo cáo 2");
        assert_eq!(readings[3].0.subject, "Báo cáo 3");
        assert!(readings[2].1.is_none() && readings[3].1.is_none());
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    }
}
