//! The mailbox watcher: EXAMINE (read-only), new messages found by UID under UIDVALIDITY,
//! `BODY.PEEK[]` so no `\Seen` flag is ever set, nothing deleted or moved. Each message's
//! outcome and the checkpoint move together in one transaction, so a crash or a second
//! watcher never counts a message twice. IDLE when the server has it (re-issued every
//! `idle-minutes`, and a silent connection is treated as dead), polling otherwise; every
//! network call has a timeout; a lost connection is reopened with backoff and jitter.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use async_imap::extensions::idle::IdleResponse;
use async_imap::types::{Fetch, Mailbox};
use chrono::{DateTime, NaiveTime, SubsecRound as _, Utc};
use chrono_tz::Tz;
use rand::Rng as _;
use serde::Serialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::pipeline::{Arrival, Body, Intake, Prepared};
use crate::adapters::config::{ImapSettings, Settings, StartFrom};
use crate::adapters::files::MessageFiles;
use crate::adapters::imap::{
    ImapSession, LoginRefused, Meta, connect, fetch_bodies, fetch_meta, last_uid_of, logout, uid_set, within,
};
use crate::adapters::store::{Checkpoint, Leadership, Origin, Recorded, Store};

mod checkpoint;

/// Without a word from the server for this long, an IDLE connection is presumed dead
/// (Dovecot says "Still here" every 2 minutes, most servers at least every 10–15).
const IDLE_SILENCE: Duration = Duration::from_secs(16 * 60);
/// Longest wait for DONE and LOGOUT.
const SHORT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for DONE and LOGOUT when stopping: the service must exit within 10 s.
const STOP_TIMEOUT: Duration = Duration::from_secs(2);
/// Bodies are fetched, and recorded (one transaction each), in groups of at most this many
/// messages or bytes. Each group costs one `syncfs` of the copies (20–40 ms on the CI machine
/// kind) and one commit: at 50 the syncs were most of a drain's time, at 200 they are a
/// fifth of it. A crash redoes at most one group (it was not committed), a group holds the
/// SQLite writer for some tens of milliseconds, and three groups in flight (fetching,
/// reading, recording) stay within a few times `BATCH_BYTES`.
const BATCH_MESSAGES: usize = 200;
const BATCH_BYTES: usize = 16 * 1024 * 1024;
/// Bodies fetched and not yet recorded, at most (KiB): two full batches.
const IN_FLIGHT_KIB: u32 = (2 * BATCH_BYTES / 1024) as u32;
/// A share of [`IN_FLIGHT_KIB`], held by a batch until it is recorded.
type Room = tokio::sync::OwnedSemaphorePermit;
/// Reconnection backoff.
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(120);
/// After a refused login: the first wait, doubling up to the longest.
const LOGIN_BACKOFF_FIRST: Duration = Duration::from_secs(5 * 60);
const LOGIN_BACKOFF_MAX: Duration = Duration::from_secs(60 * 60);

/// What one pass over new mail did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PassSummary {
    pub processed: usize,
    pub counted: usize,
    pub review: usize,
    pub ignored: usize,
    /// Messages seen again after a UIDVALIDITY change and only re-pointed.
    pub moved: usize,
}

/// `intake reconcile`: the mailbox against the store.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reconciliation {
    pub mailbox: String,
    pub start_from: Option<DateTime<Utc>>,
    pub in_mailbox: usize,
    pub counted: usize,
    pub review: usize,
    pub ignored: usize,
    /// UIDs above the checkpoint: not processed yet.
    pub pending: Vec<u32>,
    /// UIDs at or below the checkpoint with no record: should never happen.
    pub missing: Vec<u32>,
}

impl Reconciliation {
    pub fn accounted(&self) -> usize {
        self.counted + self.review + self.ignored
    }
}

/// What the watcher is doing, for the daemon's status line and its watchdog.
#[derive(Debug, Clone)]
pub struct WatcherStatus {
    pub phase: WatchPhase,
    /// The last moment the watcher's loop showed it is alive (it beats at least every
    /// [`HEARTBEAT`] while waiting in IDLE, and after every message and every attempt).
    pub heartbeat: Instant,
    /// Why the last connection failed, while it is being retried.
    pub last_error: Option<String>,
    /// Messages recorded since start.
    pub processed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchPhase {
    Connecting,
    /// Waiting for new mail in IDLE.
    Idle,
    /// The server has no IDLE: looking every `poll-seconds`.
    Polling,
    Processing,
    /// The connection failed; waiting before the next attempt.
    Retrying,
    /// Another instance holds the mailbox's lock; waiting to take over.
    Standby,
    /// The server refused the login (wrong password): waiting minutes before trying again.
    LoginRefused,
    Stopped,
}

impl WatchPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchPhase::Connecting => "connecting",
            WatchPhase::Idle => "IDLE",
            WatchPhase::Polling => "polling",
            WatchPhase::Processing => "processing",
            WatchPhase::Retrying => "retrying",
            WatchPhase::Standby => "standby",
            WatchPhase::LoginRefused => "login refused",
            WatchPhase::Stopped => "stopped",
        }
    }
}

/// How often a standby watcher tries to take the mailbox's lock.
const STANDBY_RETRY: Duration = Duration::from_secs(3);
/// How often the leading watcher checks it still holds the lock.
const LEAD_CHECK: Duration = Duration::from_secs(5);

/// How often a watcher waiting in IDLE shows it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// Follows one mailbox.
pub struct Watcher {
    store: Store,
    intake: Intake,
    imap: ImapSettings,
    zone: Tz,
    poll_interval: Duration,
    idle_renew: Duration,
    status: watch::Sender<WatcherStatus>,
}

impl Watcher {
    /// A watcher of the configured mailbox that records through `intake`.
    pub fn new(settings: &Settings, store: Store, intake: Intake) -> anyhow::Result<Watcher> {
        let imap = settings
            .imap
            .clone()
            .context("no [imap] section in the configuration: there is no mailbox to watch")?;
        Ok(Watcher {
            store,
            intake,
            imap,
            zone: settings.office.zone,
            poll_interval: settings.intake.poll_interval,
            idle_renew: settings.intake.idle_renew,
            status: watch::Sender::new(WatcherStatus {
                phase: WatchPhase::Connecting,
                heartbeat: Instant::now(),
                last_error: None,
                processed: 0,
            }),
        })
    }

    /// Follows what the watcher is doing.
    pub fn status(&self) -> watch::Receiver<WatcherStatus> {
        self.status.subscribe()
    }

    fn beat(&self, phase: WatchPhase) {
        self.status.send_modify(|s| {
            s.phase = phase;
            s.heartbeat = Instant::now();
            if !matches!(phase, WatchPhase::Retrying | WatchPhase::Connecting) {
                s.last_error = None;
            }
        });
    }

    pub fn mailbox(&self) -> &str {
        &self.imap.mailbox
    }

    /// Watches until `shutdown` is cancelled, as long as this instance holds the mailbox's
    /// lock (see `store::Leadership`): without it, it stands by and tries again every few
    /// seconds, so when the watching instance dies, this one takes over. Once leading, the
    /// lock is checked every [`LEAD_CHECK`]; if it is lost the watcher stops between two
    /// messages and stands by again.
    pub async fn run(&self, shutdown: CancellationToken) -> anyhow::Result<()> {
        loop {
            let Some(mut leadership) = self.wait_to_lead(&shutdown).await else {
                self.beat(WatchPhase::Stopped);
                return Ok(());
            };
            self.remove_partial_copies();
            // Cancelled with `shutdown`, or alone when the lock is lost.
            let inner = shutdown.child_token();
            let follow = self.follow(&inner);
            tokio::pin!(follow);
            loop {
                tokio::select! {
                    result = &mut follow => return result,
                    () = shutdown.cancelled() => return follow.await,
                    _ = tokio::time::sleep(LEAD_CHECK) => {
                        if !leadership.still_held().await {
                            break;
                        }
                    }
                }
            }
            tracing::warn!(mailbox = %self.imap.mailbox, "lost the mailbox lock; stopping intake and standing by");
            inner.cancel();
            follow.await?;
            drop(leadership);
        }
    }

    /// The name of the mailbox's lock: server, user and folder.
    fn lock_name(&self) -> String {
        format!(
            "{}:{}/{}/{}",
            self.imap.server.host,
            self.imap.server.port,
            self.imap.server.user.as_deref().unwrap_or_default(),
            self.imap.mailbox
        )
    }

    /// Takes the mailbox's lock, standing by while another instance holds it; `None` when
    /// asked to stop first.
    async fn wait_to_lead(&self, shutdown: &CancellationToken) -> Option<Leadership> {
        let name = self.lock_name();
        let mut standing_by = false;
        loop {
            if shutdown.is_cancelled() {
                return None;
            }
            match self.store.try_lead(&name).await {
                Ok(Some(leadership)) => {
                    if standing_by {
                        tracing::info!(mailbox = %self.imap.mailbox, "took over the report mailbox");
                    }
                    return Some(leadership);
                }
                Ok(None) => {
                    self.beat(WatchPhase::Standby);
                    if !standing_by {
                        tracing::info!(
                            mailbox = %self.imap.mailbox,
                            "another instance watches the report mailbox; standing by"
                        );
                        standing_by = true;
                    }
                }
                Err(error) => {
                    let error = anyhow::Error::new(error).context("taking the mailbox lock");
                    tracing::warn!(error = format!("{error:#}"), "cannot tell who watches the mailbox");
                    self.status.send_modify(|s| {
                        s.phase = WatchPhase::Retrying;
                        s.heartbeat = Instant::now();
                        s.last_error = Some(format!("{error:#}"));
                    });
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(STANDBY_RETRY) => {}
                () = shutdown.cancelled() => return None,
            }
        }
    }

    /// Follows the mailbox until `shutdown` is cancelled, reconnecting after any failure.
    async fn follow(&self, shutdown: &CancellationToken) -> anyhow::Result<()> {
        let mut backoff = BACKOFF_FIRST;
        loop {
            if shutdown.is_cancelled() {
                self.beat(WatchPhase::Stopped);
                return Ok(());
            }
            let started = std::time::Instant::now();
            self.beat(WatchPhase::Connecting);
            match self.serve(shutdown).await {
                Ok(()) => {
                    self.beat(WatchPhase::Stopped);
                    return Ok(());
                }
                Err(error) => {
                    if started.elapsed() > Duration::from_secs(60) {
                        backoff = BACKOFF_FIRST;
                    }
                    // A refused login is not a network hiccup: retrying soon fixes nothing and
                    // may get the account locked, so wait minutes, and say so.
                    let refused = LoginRefused::in_chain(&error);
                    if refused {
                        backoff = backoff.max(LOGIN_BACKOFF_FIRST);
                    }
                    let wait = jittered(backoff);
                    self.status.send_modify(|s| {
                        s.phase = if refused {
                            WatchPhase::LoginRefused
                        } else {
                            WatchPhase::Retrying
                        };
                        s.heartbeat = Instant::now();
                        s.last_error = Some(format!("{error:#}"));
                    });
                    tracing::warn!(
                        mailbox = %self.imap.mailbox,
                        retry_in_ms = wait.as_millis() as u64,
                        error = format!("{error:#}"),
                        login_refused = refused,
                        "intake connection lost"
                    );
                    if self.wait_beating(wait, shutdown).await {
                        return Ok(());
                    }
                    backoff = (backoff * 2).min(if refused { LOGIN_BACKOFF_MAX } else { BACKOFF_MAX });
                }
            }
        }
    }

    /// Waits `wait`, showing it is alive every [`HEARTBEAT`]; true when asked to stop.
    async fn wait_beating(&self, wait: Duration, shutdown: &CancellationToken) -> bool {
        let until = tokio::time::Instant::now() + wait;
        loop {
            let now = tokio::time::Instant::now();
            if now >= until {
                return false;
            }
            tokio::select! {
                _ = tokio::time::sleep((until - now).min(HEARTBEAT)) => {
                    self.status.send_modify(|s| s.heartbeat = Instant::now());
                }
                () = shutdown.cancelled() => return true,
            }
        }
    }

    /// Connects once, processes everything new and logs out; refuses while another
    /// instance watches the mailbox (its watcher records the mail).
    pub async fn catch_up(&self) -> anyhow::Result<PassSummary> {
        let Some(_leadership) = self.store.try_lead(&self.lock_name()).await? else {
            bail!("dịch vụ baocao đang theo dõi hộp thư này và tự ghi nhận thư mới; không cần chạy lệnh này");
        };
        self.remove_partial_copies();
        let mut session = self.open().await?;
        let summary = self.drain(&mut session, None).await;
        logout(session).await;
        summary
    }

    async fn open(&self) -> anyhow::Result<ImapSession> {
        let password = match &self.imap.server.password {
            Some(source) => source
                .read()
                .map_err(|e| anyhow::anyhow!("reading the IMAP password: {e}"))?
                .expose()
                .to_string(),
            None => String::new(),
        };
        let mut session = connect(&self.imap.server, &password).await?;
        let mailbox = within(session.examine(&self.imap.mailbox), "EXAMINE").await?;
        self.prepare_checkpoint(&mut session, &mailbox).await?;
        Ok(session)
    }

    async fn serve(&self, shutdown: &CancellationToken) -> anyhow::Result<()> {
        let mut session = self.open().await?;
        let capabilities = within(session.capabilities(), "CAPABILITY").await?;
        let can_idle = capabilities.has_str("IDLE");
        tracing::info!(mailbox = %self.imap.mailbox, idle = can_idle, "watching the report mailbox");
        let waiting = if can_idle {
            WatchPhase::Idle
        } else {
            WatchPhase::Polling
        };
        loop {
            let summary = self.drain(&mut session, Some(shutdown)).await?;
            if shutdown.is_cancelled() {
                logout(session).await;
                return Ok(());
            }
            self.beat(waiting);
            if summary.processed > 0 {
                tracing::info!(
                    processed = summary.processed,
                    counted = summary.counted,
                    review = summary.review,
                    ignored = summary.ignored,
                    "intake pass"
                );
            }
            while session.unsolicited_responses.try_recv().is_ok() {}
            if !can_idle {
                tokio::select! {
                    _ = tokio::time::sleep(self.poll_interval) => {}
                    () = shutdown.cancelled() => {
                        logout(session).await;
                        return Ok(());
                    }
                }
                within(session.noop(), "NOOP").await?;
                continue;
            }
            let mut handle = session.idle();
            within(handle.init(), "IDLE").await?;
            let woke = {
                let (wait, _stop) =
                    handle.wait_with_timeout(IDLE_SILENCE.min(self.idle_renew + Duration::from_secs(60)));
                let wait = tokio::time::timeout(self.idle_renew, wait);
                tokio::pin!(wait);
                let mut heartbeat = tokio::time::interval(HEARTBEAT);
                loop {
                    tokio::select! {
                        r = &mut wait => break match r {
                            Ok(result) => Some(result.context("waiting in IDLE")?),
                            Err(_) => None, // time to re-issue IDLE
                        },
                        _ = heartbeat.tick() => self.beat(WatchPhase::Idle),
                        () = shutdown.cancelled() => break None,
                    }
                }
            };
            if shutdown.is_cancelled() {
                if let Ok(Ok(session)) = tokio::time::timeout(STOP_TIMEOUT, handle.done()).await {
                    logout(session).await;
                }
                return Ok(());
            }
            if matches!(woke, Some(IdleResponse::ManualInterrupt)) {
                bail!("the IMAP server closed the connection during IDLE");
            }
            let silent = matches!(woke, Some(IdleResponse::Timeout));
            session = tokio::time::timeout(SHORT_TIMEOUT, handle.done())
                .await
                .context("ending IDLE: timed out")?
                .context("ending IDLE")?;
            if silent {
                tracing::debug!("IDLE was silent; the connection answered DONE, so it lives");
            }
        }
    }

    /// Processes every message above the checkpoint, in UID order, until none is left or
    /// `shutdown` is cancelled. Messages go in groups (one fetch batch each, recorded in one
    /// transaction with the checkpoint), and the next batch is fetched while one is judged and
    /// recorded. A stop mid-group abandons the group: nothing of it is recorded and the
    /// checkpoint stays before it, so it is processed whole next time.
    async fn drain(
        &self,
        session: &mut ImapSession,
        shutdown: Option<&CancellationToken>,
    ) -> anyhow::Result<PassSummary> {
        let never = CancellationToken::new();
        let shutdown = shutdown.unwrap_or(&never);
        let mut summary = PassSummary::default();
        let name = self.imap.mailbox.clone();
        loop {
            let checkpoint = self
                .store
                .checkpoint(&name)
                .await?
                .context("the mailbox checkpoint disappeared")?;
            let first = checkpoint.last_uid + 1;
            let mut metas = fetch_meta(session, &format!("{first}:*"), wall_clock()).await?;
            metas.retain(|m| i64::from(m.uid) > checkpoint.last_uid);
            if metas.is_empty() {
                return Ok(summary);
            }
            metas.sort_by_key(|m| m.uid);
            let mut snapshot = Arc::new(self.store.intake_snapshot(&self.intake.office_mailbox).await?);
            // Bodies fetched and not yet recorded stay within IN_FLIGHT_KIB: a batch waits for
            // room (one larger than that, for everything before it to be recorded).
            let room = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT_KIB as usize));
            let (sender, receiver) = tokio::sync::mpsc::channel::<(Vec<Arrival>, Room)>(1);
            let fetching = async {
                let sender = sender;
                for batch in batches(&metas, self.intake.max_message_bytes) {
                    if shutdown.is_cancelled() {
                        break;
                    }
                    let kib: usize = batch
                        .iter()
                        .map(|m| m.size.min(self.intake.max_message_bytes))
                        .sum::<usize>()
                        / 1024;
                    let permit = Arc::clone(&room)
                        .acquire_many_owned(kib.clamp(1, IN_FLIGHT_KIB as usize) as u32)
                        .await
                        .context("the intake's memory budget closed")?;
                    let arrivals = self.fetch_batch(session, batch, checkpoint.uidvalidity).await?;
                    if sender.send((arrivals, permit)).await.is_err() {
                        break;
                    }
                }
                anyhow::Ok(())
            };
            // Reading and keeping the copies of one batch (on blocking threads, and the disk's
            // sync) overlap recording the batch before.
            let (ready, prepared) = tokio::sync::mpsc::channel::<(Prepared, Room)>(1);
            let preparing = async {
                let (mut receiver, ready) = (receiver, ready);
                while let Some((arrivals, permit)) = receiver.recv().await {
                    let prepared = tokio::select! {
                        prepared = self.intake.prepare(arrivals) => prepared?,
                        () = shutdown.cancelled() => break,
                    };
                    if ready.send((prepared, permit)).await.is_err() {
                        break;
                    }
                }
                anyhow::Ok(())
            };
            let recording = async {
                let mut prepared = prepared;
                while let Some((group, _permit)) = prepared.recv().await {
                    let uids: Vec<i64> = group.origins().map(|o| o.uid.map_or(0, |(_, uid)| uid)).collect();
                    let recorded = self.intake.record(&self.store, &mut snapshot, group, wall_clock());
                    let processed = tokio::select! {
                        processed = recorded => processed?,
                        () = shutdown.cancelled() => break,
                    };
                    for (uid, processed) in uids.into_iter().zip(processed) {
                        self.count(&mut summary, uid, &processed.recorded);
                    }
                }
                anyhow::Ok(())
            };
            let (fetched, prepared, recorded) = tokio::join!(fetching, preparing, recording);
            recorded?;
            prepared?;
            fetched?;
            if shutdown.is_cancelled() {
                return Ok(summary);
            }
        }
    }

    /// The bodies of one batch (only the header of a message above the size cap).
    async fn fetch_batch(
        &self,
        session: &mut ImapSession,
        batch: &[Meta],
        uidvalidity: i64,
    ) -> anyhow::Result<Vec<Arrival>> {
        let cap = self.intake.max_message_bytes;
        let whole: Vec<u32> = batch.iter().filter(|m| m.size <= cap).map(|m| m.uid).collect();
        let big: Vec<u32> = batch.iter().filter(|m| m.size > cap).map(|m| m.uid).collect();
        let mut bodies: HashMap<u32, Fetch> = HashMap::new();
        if !whole.is_empty() {
            bodies.extend(fetch_bodies(session, &whole, "(UID BODY.PEEK[])").await?);
        }
        if !big.is_empty() {
            bodies.extend(fetch_bodies(session, &big, "(UID BODY.PEEK[HEADER])").await?);
        }
        batch
            .iter()
            .map(|meta| {
                let fetch = bodies
                    .get(&meta.uid)
                    .with_context(|| format!("the server did not return UID {}", meta.uid))?;
                let body = if meta.size > cap {
                    Body {
                        bytes: Arc::from(fetch.header().unwrap_or_default()),
                        header_only_of: Some(meta.size),
                    }
                } else {
                    Body {
                        bytes: Arc::from(
                            fetch
                                .body()
                                .with_context(|| format!("UID {} came without a body", meta.uid))?,
                        ),
                        header_only_of: None,
                    }
                };
                Ok(Arrival {
                    body,
                    origin: Origin {
                        mailbox: self.imap.mailbox.clone(),
                        uid: Some((uidvalidity, i64::from(meta.uid))),
                    },
                    received_at: meta.received_at,
                })
            })
            .collect()
    }

    /// Counts and logs one recorded message.
    fn count(&self, summary: &mut PassSummary, uid: i64, recorded: &Recorded) {
        self.status.send_modify(|s| {
            s.phase = WatchPhase::Processing;
            s.heartbeat = Instant::now();
            s.processed += 1;
        });
        match recorded {
            Recorded::New { outcome, id, .. } => {
                summary.processed += 1;
                match outcome.state() {
                    crate::domain::incoming::State::Counted => summary.counted += 1,
                    crate::domain::incoming::State::Review => summary.review += 1,
                    crate::domain::incoming::State::Ignored => summary.ignored += 1,
                }
                tracing::info!(
                    uid,
                    incoming = id.get(),
                    state = outcome.state().as_str(),
                    reason = outcome.reason().as_str(),
                    rule = outcome.rule().as_str(),
                    "message recorded"
                );
            }
            Recorded::Moved { .. } => summary.moved += 1,
            Recorded::AlreadyDone => {}
        }
    }

    /// Removes the half-written copies a crash (`kill -9` while writing) left behind.
    fn remove_partial_copies(&self) {
        match MessageFiles::new(&self.intake.message_dir).remove_partial() {
            Ok(0) => {}
            Ok(removed) => {
                tracing::info!(removed, dir = %self.intake.message_dir.display(), "removed partial message copies")
            }
            Err(error) => {
                tracing::warn!(%error, dir = %self.intake.message_dir.display(), "cannot tidy the message copies")
            }
        }
    }
}

/// Groups metadata so no fetch brings more than [`BATCH_MESSAGES`] messages or roughly
/// [`BATCH_BYTES`] at once (a single large message is its own batch).
fn batches(metas: &[Meta], cap: usize) -> Vec<&[Meta]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, meta) in metas.iter().enumerate() {
        let size = meta.size.min(cap);
        if i > start && (i - start >= BATCH_MESSAGES || bytes + size > BATCH_BYTES) {
            out.push(&metas[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < metas.len() {
        out.push(&metas[start..]);
    }
    out
}

/// The watcher runs for months, so it is wiring: this is the one place it reads the clock.
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> DateTime<Utc> {
    Utc::now()
}

fn jittered(base: Duration) -> Duration {
    let factor = rand::rng().random_range(0.8..1.2);
    base.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(uid: u32, size: usize) -> Meta {
        Meta {
            uid,
            size,
            received_at: wall_clock(),
        }
    }

    #[test]
    fn batches_bound_count_and_bytes() {
        let many: Vec<Meta> = (1..=2 * BATCH_MESSAGES as u32 + 20).map(|u| meta(u, 1000)).collect();
        let sizes: Vec<usize> = batches(&many, 25 << 20).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![BATCH_MESSAGES, BATCH_MESSAGES, 20]);
        let big = vec![meta(1, 10 << 20), meta(2, 10 << 20), meta(3, 100)];
        let sizes: Vec<usize> = batches(&big, 25 << 20).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![1, 2]);
        assert!(batches(&[], 1).is_empty());
    }
}
