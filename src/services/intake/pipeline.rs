//! The one path every incoming message takes, whether the watcher fetched it or a clerk
//! gave it to `intake import`: read it, keep a copy on disk, look up what it refers to,
//! classify, record (with the receipt, when receipts are on and the sender may get one).
//! [`Intake::judge`] is the same minus the writes, for `intake explain`.
//!
//! Reading and judging run on tokio's blocking threads, each within the configured time
//! budget: a message built to be slow goes to the review queue as `too_complex` instead of
//! holding the mailbox, and it never stops the web page, the watchdog or a SIGTERM.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::adapters::config::Settings;
use crate::adapters::files::MessageFiles;
use crate::adapters::store::{NewIncoming, Origin, Recorded, Store, StoreError};
use crate::domain::incoming::classify::{self, Context, Outcome, Rule, Rules, Snapshot};
use crate::domain::incoming::message::{self, Letter};
use crate::domain::incoming::receipt;
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
        let bytes: Arc<[u8]> = Arc::from(raw.bytes());
        let header_only = match raw {
            Raw::Whole(_) => None,
            Raw::HeaderOnly(_, size) => Some(size),
        };
        let work = {
            let bytes = Arc::clone(&bytes);
            tokio::task::spawn_blocking(move || match header_only {
                None => message::read(&bytes),
                Some(size) => message::read_header_only(&bytes, size),
            })
        };
        let problem = match tokio::time::timeout(self.time_budget, work).await {
            Ok(Ok(Ok(letter))) => return (letter, None),
            Ok(Ok(Err(unreadable))) => Trouble::Unreadable(unreadable.0),
            // `read` catches the parser's panics; this is one of its own.
            Ok(Err(_)) => Trouble::Unreadable("không đọc được thư (lỗi khi đọc)".into()),
            Err(_) => {
                tracing::warn!(
                    size = bytes.len(),
                    budget_seconds = self.time_budget.as_secs_f64(),
                    "reading a message took longer than the time budget; it goes to review"
                );
                Trouble::TooComplex
            }
        };
        let size = bytes.len();
        let content_hash = tokio::task::spawn_blocking(move || message::content_hash(&bytes))
            .await
            .unwrap_or_default();
        let letter = Letter {
            content_hash,
            size,
            ..Letter::default()
        };
        (letter, Some(problem))
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
        match (trouble, duplicate_of) {
            (Some(_), Some(earlier)) => return Ok(Outcome::duplicate(earlier, Rule::SameContent)),
            (Some(Trouble::Unreadable(problem)), None) => return Ok(Outcome::unreadable(problem)),
            (Some(Trouble::TooComplex), None) => return Ok(Outcome::too_complex(self.time_budget)),
            (None, _) => {}
        }
        let mut ids = letter.thread_ids();
        ids.extend(letter.message_id.iter().cloned());
        if let Some(bounce) = &letter.bounce {
            ids.extend(bounce.original_ids.iter().take(message::MAX_IDS).cloned());
        }
        let sent = store.sent_refs(&ids).await?;
        let context = Context {
            received_at,
            duplicate_of,
            sent,
        };
        let work = {
            let (letter, snapshot, rules) = (Arc::clone(letter), Arc::clone(snapshot), Arc::clone(&self.rules));
            tokio::task::spawn_blocking(move || classify::classify(&letter, &snapshot, &rules, &context))
        };
        Ok(match tokio::time::timeout(self.time_budget, work).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Outcome::unreadable("không phân loại được thư (lỗi khi phân loại)"),
            Err(_) => {
                tracing::warn!(
                    size = letter.size,
                    budget_seconds = self.time_budget.as_secs_f64(),
                    "judging a message took longer than the time budget; it goes to review"
                );
                Outcome::too_complex(self.time_budget)
            }
        })
    }

    /// Processes one message through to the store. The snapshot learns of a counted
    /// submission so the next message of the batch sees it.
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
        (letter, trouble): Reading,
        bytes: &[u8],
        origin: &Origin,
        received_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Processed, IntakeError> {
        let letter = Arc::new(letter);
        let raw_path = self.keep_copy(&letter.content_hash, bytes).await?;
        let outcome = self
            .judge(store, snapshot, &letter, trouble.as_ref(), received_at)
            .await?;
        let attachments: Vec<AttachmentJson<'_>> = letter
            .counted_attachments()
            .map(|a| AttachmentJson {
                name: &a.name,
                size: a.size,
            })
            .collect();
        let receipt = match (&self.receipts, outcome.counted_for()) {
            (Some(receipts), Some(ids)) => match receipt::refusal(&letter) {
                None => {
                    let resubmission = snapshot.reported.contains(&ids);
                    receipts
                        .compose(store, &letter, ids, resubmission, received_at, now)
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
            origin,
            message_id: letter.message_id.as_deref(),
            content_hash: &letter.content_hash,
            from_address: letter.from.as_deref(),
            from_name: letter.from_name.as_deref(),
            subject: &letter.subject,
            received_at,
            size: i64::try_from(letter.size).unwrap_or(i64::MAX),
            attachments_json: serde_json::to_string(&attachments).unwrap_or_else(|_| "[]".into()),
            raw_path: Some(&raw_path_text),
            outcome: &outcome,
            receipt: receipt.as_ref(),
        };
        let recorded = store.record_incoming(&new, now).await?;
        let outcome = match &recorded {
            Recorded::New { outcome, .. } => {
                if let Some((request_id, unit_id)) = outcome.counted_for() {
                    // The classifying thread has let go of its handle, so this does not copy.
                    Arc::make_mut(snapshot).note_counted(request_id, unit_id);
                }
                outcome.clone()
            }
            Recorded::Moved { .. } | Recorded::AlreadyDone => outcome,
        };
        Ok(Processed {
            letter,
            outcome,
            recorded,
            raw_path: Some(raw_path),
        })
    }

    /// Keeps the bytes under their hash ([`MessageFiles::keep`]), on a blocking thread.
    pub async fn keep_copy(&self, hash: &str, bytes: &[u8]) -> Result<PathBuf, IntakeError> {
        let files = MessageFiles::new(&self.message_dir);
        let (hash, bytes) = (hash.to_string(), bytes.to_vec());
        tokio::task::spawn_blocking(move || {
            files.keep(&hash, &bytes).map_err(|source| IntakeError::Copy {
                path: files.path_of(&hash),
                source,
            })
        })
        .await?
    }
}
