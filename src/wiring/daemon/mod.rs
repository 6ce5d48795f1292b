//! The service, `baocao run`: one process that migrates the store and then runs the intake
//! watcher, the sender and the clockwork until it is told to stop. [`run`] is the whole life
//! of it — [`start`], serve until [`Event::Stop`], [`Running::stop`] — and [`start`] is also
//! how integration tests run the service inside their own process.
//!
//! Start-up order: configuration, templates and calendar (refused with exit 78 if any is
//! bad), database (migrations, then a write probe), the clockwork, the workers, the web page,
//! and only then `READY=1` to systemd, with the web page's bound address in the same message
//! (`X_BAOCAO_WEB=127.0.0.1:8080`; systemd ignores `X_` fields, a supervisor or test reads
//! it). A mail server that is down does not stop the start: the watcher retries in the
//! background and the status line and `baocao status` say so.
//!
//! tokio-cron-scheduler is the clockwork, not the memory (`clockwork.rs`): its jobs only wake
//! workers. Each worker (`workers.rs`, `watcher.rs`) is one task that runs its jobs one after
//! another, so a job never overlaps itself, and every job reads the truth from the database,
//! so a missed tick loses nothing and CLI changes are seen at the next tick.
//!
//! One way to stop: every task is spawned on one `TaskTracker`, and each worker holds a child
//! of one root `CancellationToken`, which it looks at between two units of work (a batch of
//! claims, a message, a job). On stop the root is cancelled and the tracker waited on for
//! [`SEND_GRACE`]; what still runs then is talking to a server that does not answer, so the
//! `cut` token abandons those network calls (never a transaction), the claims of sends that
//! did not finish are released (they go again after restart, never lost), and the process
//! exits within 10 s. Nothing is aborted. On reload the new configuration and templates are
//! checked first and refused (old ones kept, the reason logged) when invalid.
//!
//! Time comes from the one [`Clock`] in [`Options`]. The watchdog is pinged only while the
//! watcher and the clockwork have shown progress recently, so a stalled loop gets the
//! service restarted by systemd (`status.rs`).

mod clockwork;
mod serve;
mod status;
mod watcher;
mod workers;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use sd_notify::NotifyState;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::adapters::clock::Clock;
use crate::adapters::config::{self, ConfigError};
use crate::adapters::store::{Store, StoreError};
use crate::services::letters::{TemplateError, Templates};
use crate::wiring::current::{Current, Shared, read};
use crate::wiring::web::{Live, WebState};
use clockwork::{Clockwork, Wakes};
use serve::{ReloadAsked, Serving};
use status::{Board, SharedProgress, lock};
use watcher::WatcherTask;

/// What the service is told from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Stop,
    Reload,
}

/// Where the configuration comes from, and the clock the service reads.
#[derive(Debug, Clone)]
pub struct Options {
    pub config_path: PathBuf,
    /// `--database`, which wins over the file's `[database] url`.
    pub database_override: Option<String>,
    pub clock: Clock,
}

/// Why the service did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Templates(#[from] TemplateError),
    #[error("cannot open the database")]
    Database(#[source] StoreError),
    #[error("running the database migrations")]
    Migrate(#[source] StoreError),
    #[error("the database does not accept writes")]
    NotWritable(#[source] StoreError),
    #[error("starting the clockwork: {0}")]
    Clockwork(String),
}

/// The send in flight gets this long after a stop before it is cut and its claim released.
const SEND_GRACE: Duration = Duration::from_secs(6);
/// How long what was cut gets to end (records written, connections dropped).
const CUT_GRACE: Duration = Duration::from_secs(1);
/// Everything else must be done by this point after a stop.
const STOP_BUDGET: Duration = Duration::from_secs(9);
/// The `sd_notify` field that carries the web page's bound address with `READY=1`.
pub const WEB_ADDRESS_FIELD: &str = "X_BAOCAO_WEB";

/// Turns SIGTERM and SIGINT into [`Event::Stop`] and SIGHUP into [`Event::Reload`].
pub fn signal_events() -> std::io::Result<mpsc::Receiver<Event>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let (send, receive) = mpsc::channel(8);
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                _ = term.recv() => Event::Stop,
                _ = interrupt.recv() => Event::Stop,
                _ = hangup.recv() => Event::Reload,
            };
            if send.send(event).await.is_err() {
                return;
            }
        }
    });
    Ok(receive)
}

/// Runs the service until [`Event::Stop`] (or the end of `events`).
pub async fn run(options: Options, mut events: mpsc::Receiver<Event>) -> Result<(), StartError> {
    let running = start(options).await?;
    while let Some(Event::Reload) = events.recv().await {
        running.reload().await;
    }
    running.stop().await;
    Ok(())
}

/// Starts the service and returns once it is ready (`READY=1` said).
pub async fn start(options: Options) -> Result<Running, StartError> {
    crate::adapters::tls::install_crypto_provider();
    let clock = options.clock;
    let current = Arc::new(load(&options)?);
    let store = Store::open(&current.settings.database_url)
        .await
        .map_err(StartError::Database)?;
    store.migrate().await.map_err(StartError::Migrate)?;
    store
        .check_writable(clock.now())
        .await
        .map_err(StartError::NotWritable)?;

    let wiring = Wiring {
        store,
        shared: Arc::new(RwLock::new(current.clone())),
        progress: Arc::default(),
        wakes: Wakes::default(),
        worker: worker_id(),
        clock,
    };
    let clockwork = Clockwork::start(&current.settings, &wiring.wakes, &wiring.progress).await?;
    let (root, cut, tracker) = (CancellationToken::new(), CancellationToken::new(), TaskTracker::new());
    tracker.spawn(workers::sender_loop(wiring.clone(), root.child_token(), cut.clone()));
    tracker.spawn(workers::maintenance_loop(
        wiring.clone(),
        root.child_token(),
        cut.clone(),
    ));
    tracker.spawn(workers::jobs_loop(
        wiring.clone(),
        root.child_token(),
        cut.clone(),
        tracker.clone(),
    ));
    let watcher = WatcherTask::start(&current, &wiring.store, &root, &tracker);
    let live: Arc<Mutex<Live>> = Arc::default();
    let web_addr = start_web(&wiring, &live, root.child_token(), &tracker).await;

    let board = Board::start(&wiring, &watcher.status(), live).await;
    let address = web_addr.map(|a| format!("{WEB_ADDRESS_FIELD}={a}"));
    let mut ready = vec![NotifyState::Ready, NotifyState::Status(board.line())];
    ready.extend(address.as_deref().map(NotifyState::Custom));
    notify(&ready);
    tracing::info!(status = %board.line(), worker = %wiring.worker, "baocao is running");

    let (reloads, asked) = mpsc::channel(4);
    let serving = Serving {
        options,
        wiring: wiring.clone(),
        watcher,
        clockwork,
        board,
        root: root.clone(),
        tracker: tracker.clone(),
    };
    tracker.spawn(serving.run(asked, root.child_token()));
    Ok(Running {
        reloads,
        root,
        cut,
        tracker,
        wiring,
        web_addr,
    })
}

/// The service once it is ready: what [`run`] serves until a stop, and what in-process
/// tests drive. Dropping it without [`Running::stop`] cancels every task without waiting.
pub struct Running {
    reloads: mpsc::Sender<ReloadAsked>,
    root: CancellationToken,
    cut: CancellationToken,
    tracker: TaskTracker,
    wiring: Wiring,
    web_addr: Option<SocketAddr>,
}

impl Running {
    /// Where the web page listens, when it does.
    pub fn web_addr(&self) -> Option<SocketAddr> {
        self.web_addr
    }

    /// This instance's name on its claims and its health row.
    pub fn worker(&self) -> &str {
        &self.wiring.worker
    }

    /// Reads the configuration, templates and calendar again (SIGHUP); true when the new ones
    /// apply, false when they were refused and the old ones stay.
    pub async fn reload(&self) -> bool {
        let (answer, answered) = oneshot::channel();
        if self.reloads.send(answer).await.is_err() {
            return false;
        }
        answered.await.unwrap_or(false)
    }

    /// Stops: no new work, the work under way finishes and is recorded, sends that hang are
    /// cut after [`SEND_GRACE`] and their claims released, within [`STOP_BUDGET`].
    pub async fn stop(self) {
        notify(&[NotifyState::Stopping]);
        tracing::info!("stopping");
        let asked = Instant::now();
        self.root.cancel();
        self.tracker.close();
        if tokio::time::timeout(SEND_GRACE, self.tracker.wait()).await.is_err() {
            self.cut.cancel();
            if tokio::time::timeout(CUT_GRACE, self.tracker.wait()).await.is_err() {
                tracing::warn!(
                    tasks = self.tracker.len(),
                    "tasks still running at the end of the stop; they end with the process"
                );
            }
        }
        let Wiring {
            store, worker, clock, ..
        } = &self.wiring;
        for claimant in [worker.clone(), workers::job_worker(worker)] {
            match store.release_claims(&claimant, clock.now()).await {
                Ok(0) => {}
                Ok(released) => {
                    tracing::warn!(released, worker = %claimant, "a send did not finish in time; it goes again after restart")
                }
                Err(error) => {
                    tracing::error!(error = %error, "releasing unfinished sends failed; their lease expires")
                }
            }
        }
        let left = STOP_BUDGET.saturating_sub(asked.elapsed());
        let _ = tokio::time::timeout(left, store.forget_service(worker)).await;
        let _ = tokio::time::timeout(Duration::from_secs(1), store.close()).await;
        tracing::info!(after_ms = asked.elapsed().as_millis() as u64, "stopped");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.root.cancel();
        self.cut.cancel();
    }
}

/// What every task of the service shares.
#[derive(Clone)]
struct Wiring {
    store: Store,
    /// The configuration in force, replaced by a reload.
    shared: Shared,
    progress: SharedProgress,
    wakes: Wakes,
    /// This instance's name on claims, jobs and its health row.
    worker: String,
    clock: Clock,
}

/// Binds and serves the web page when `[web] listen` asks for it; its bound address. A page
/// that cannot listen does not stop the service: the status line says why.
async fn start_web(
    wiring: &Wiring,
    live: &Arc<Mutex<Live>>,
    stop: CancellationToken,
    tracker: &TaskTracker,
) -> Option<SocketAddr> {
    let address = read(&wiring.shared).settings.web.listen?;
    let problem = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => {
            let bound = listener.local_addr().map_or(address, |a| a);
            match WebState::new(wiring.store.clone(), wiring.shared.clone(), live.clone()) {
                Ok(state) => {
                    tracing::info!(address = %bound, "web page listening");
                    tracker.spawn(crate::wiring::web::serve(listener, Arc::new(state), stop));
                    return Some(bound);
                }
                Err(error) => {
                    tracing::error!(error = %error, "the web page's templates do not load");
                    "web page templates broken".to_string()
                }
            }
        }
        Err(error) => {
            tracing::error!(address = %address, error = %error, "the web page cannot listen; the service runs without it");
            format!("web page cannot listen on {address}: {error}")
        }
    };
    lock(&wiring.progress).web_problem = Some(problem);
    None
}

/// Reads and checks everything a reload may change.
fn load(options: &Options) -> Result<Current, StartError> {
    let loaded = config::load(&options.config_path)?;
    for warning in &loaded.warnings {
        tracing::warn!(key = %warning.key, line = ?warning.line, warning = %warning.message, "configuration warning");
    }
    let mut settings = loaded.settings;
    if let Some(url) = &options.database_override {
        settings.database_url = config::DatabaseUrl::parse(url);
    }
    let templates = Templates::load(settings.templates_dir.as_deref())?;
    for warning in &templates.warnings {
        tracing::warn!(warning = %warning, "template warning");
    }
    let calendar = loaded.calendar;
    Ok(Current {
        settings,
        templates: Arc::new(templates.templates),
        calendar: Arc::new(calendar),
    })
}

/// Loads the configuration again; on success it replaces the current one and is returned.
fn reload(options: &Options, shared: &Shared) -> Option<Arc<Current>> {
    let old = read(shared);
    match load(options) {
        Ok(mut new) => {
            if new.settings.database_url != old.settings.database_url {
                tracing::warn!("the database changed in the configuration: it takes effect at the next restart");
                new.settings.database_url = old.settings.database_url.clone();
            }
            if new.settings.web.listen != old.settings.web.listen {
                tracing::warn!(
                    "[web] listen changed: the page moves at the next restart (users and public-read apply now)"
                );
            }
            let new = Arc::new(new);
            *shared.write().unwrap_or_else(|e| e.into_inner()) = new.clone();
            tracing::info!("configuration and templates reloaded");
            Some(new)
        }
        Err(error) => {
            tracing::error!(
                error = %error,
                "reload refused: the new configuration or templates are not valid; still running on the old ones"
            );
            None
        }
    }
}

fn notify(state: &[NotifyState<'_>]) {
    if let Err(error) = sd_notify::notify(state) {
        tracing::debug!(error = %error, "systemd notification failed");
    }
}

/// Who holds a claim: host, process and a random tag.
pub fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}:{:08x}", std::process::id(), rand::random::<u32>())
}
