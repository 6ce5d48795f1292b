//! The service, `baocao run`: one process that migrates the store and then runs the intake
//! watcher, the sender and the clockwork until it is told to stop.
//!
//! Start-up order: configuration, templates and calendar (refused with exit 78 if any is
//! bad), database (migrations, then a write probe), the workers, and only then `READY=1` to
//! systemd. A mail server that is down does not stop the start: the watcher retries in the
//! background and the status line and `baocao status` say so.
//!
//! tokio-cron-scheduler is the clockwork, not the memory: its jobs only wake workers (the
//! sender every `tick-seconds`, the digest at its time, the reconciliation sweep, the daily
//! calendar nudge). Each worker is one task that runs its jobs one after another,
//! so a job never overlaps itself, and every job reads the truth from the database, so a
//! missed tick loses nothing and CLI changes are seen at the next tick.
//!
//! Events come from a channel (`Stop`, `Reload`): [`signal_events`] turns SIGTERM, SIGINT and
//! SIGHUP into them, and tests can send them directly. On stop: no new claims, the send in
//! flight gets a few seconds to finish and is otherwise released (so it goes again after
//! restart, never lost), IMAP says DONE/LOGOUT, and the process exits within 10 s. On
//! reload: the new configuration and templates are checked first and refused (old ones
//! kept, the reason logged) when invalid.
//!
//! The watchdog is pinged only while the watcher and the clockwork have shown progress
//! recently, so a stalled loop gets the service restarted by systemd.

mod status;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sd_notify::NotifyState;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::clock::Clock;
use crate::config::{self, ConfigError, Settings};
use crate::current::{Current, Shared, read};
use crate::intake::pipeline::Intake;
use crate::intake::watch::{WatchPhase, Watcher, WatcherStatus};
use crate::jobs::{JobKind, Work};
use crate::letters::Setup;
use crate::letters::digest::queue_digest;
use crate::letters::send::{SendPass, send_due};
use crate::letters::{TemplateError, Templates};
use crate::mailer::Mailer;
use crate::reminders::{plan_new_units, queue_due};
use crate::store::{JobAnswer, ServiceHealth, Store, StoreError};
use crate::web::{Live, WebState};
use status::{
    Counts, SharedProgress, healthy, imap_problem, lock, login_refused, snapshot, status_line, status_line_vi, years_en,
};

/// What the service is told from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Stop,
    Reload,
}

/// Where the configuration comes from.
#[derive(Debug, Clone)]
pub struct Options {
    pub config_path: PathBuf,
    /// `--database`, which wins over the file's `[database] url`.
    pub database_override: Option<String>,
}

/// Why the service did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Templates(#[from] TemplateError),
    #[error("{0}")]
    Calendar(String),
    #[error("cannot open the database")]
    Database(#[source] StoreError),
    #[error("running the database migrations")]
    Migrate(#[source] StoreError),
    #[error("the database does not accept writes")]
    NotWritable(#[source] StoreError),
    #[error("starting the clockwork: {0}")]
    Clockwork(String),
}

/// The send in flight gets this long after a stop before its claim is released.
const SEND_GRACE: Duration = Duration::from_secs(6);
/// Everything else must be done by this point after a stop.
const STOP_BUDGET: Duration = Duration::from_secs(9);
/// How often the status line, the watchdog and the health row are considered.
const STATUS_PERIOD: Duration = Duration::from_millis(500);
/// How often the health row and the counts behind the status line are refreshed.
const HEALTH_PERIOD: Duration = Duration::from_secs(5);

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
    crate::tls::install_crypto_provider();
    let current = Arc::new(load(&options)?);
    let settings = &current.settings;
    let store = Store::connect(&settings.database_url)
        .await
        .map_err(StartError::Database)?;
    store.migrate().await.map_err(StartError::Migrate)?;
    store
        .check_writable(wall_clock())
        .await
        .map_err(StartError::NotWritable)?;

    let worker = worker_id();
    let shared: Shared = Arc::new(RwLock::new(current.clone()));
    let progress: SharedProgress = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let wakes = Wakes::default();

    let mut sender = Some(tokio::spawn(sender_loop(
        store.clone(),
        shared.clone(),
        progress.clone(),
        stop.clone(),
        wakes.clone(),
        worker.clone(),
    )));
    let maintenance = tokio::spawn(maintenance_loop(
        store.clone(),
        shared.clone(),
        progress.clone(),
        stop.clone(),
        wakes.clone(),
    ));
    let jobs = tokio::spawn(jobs_loop(store.clone(), shared.clone(), stop.clone(), worker.clone()));
    let mut watcher = WatcherTask::start(&current, &store);
    let mut clockwork = Clockwork::start(settings, &wakes, &progress).await?;
    let live: Arc<Mutex<Live>> = Arc::default();
    let (web_stop, web_stopped) = watch::channel(false);
    let mut web_problem = None;
    let web = match settings.web.listen {
        None => None,
        Some(address) => match tokio::net::TcpListener::bind(address).await {
            Ok(listener) => {
                let bound = listener.local_addr().map_or(address, |a| a);
                match WebState::new(store.clone(), shared.clone(), live.clone()) {
                    Ok(state) => {
                        tracing::info!(address = %bound, "web page listening");
                        Some(tokio::spawn(crate::web::serve(listener, Arc::new(state), web_stopped)))
                    }
                    Err(error) => {
                        tracing::error!(error = %error, "the web page's templates do not load");
                        web_problem = Some("web page templates broken".to_string());
                        None
                    }
                }
            }
            Err(error) => {
                tracing::error!(address = %address, error = %error, "the web page cannot listen; the service runs without it");
                web_problem = Some(format!("web page cannot listen on {address}: {error}"));
                None
            }
        },
    };
    lock(&progress).web_problem = web_problem;

    let started_at = wall_clock();
    let mut counts = Counts::default();
    counts.refresh(&store).await;
    let mut last_line = status_line(&current, &counts, &watcher.status(), &lock(&progress));
    notify(&[NotifyState::Ready, NotifyState::Status(&last_line)]);
    tracing::info!(status = %last_line, worker = %worker, "baocao is running");

    let watchdog = sd_notify::watchdog_enabled();
    let mut timer = tokio::time::interval(STATUS_PERIOD);
    let mut last_health = Instant::now() - HEALTH_PERIOD;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(Event::Reload) => {
                    if let Some(new) = reload(&options, &shared) {
                        watcher.stop().await;
                        watcher = WatcherTask::start(&new, &store);
                        match Clockwork::start(&new.settings, &wakes, &progress).await {
                            Ok(fresh) => {
                                clockwork.shutdown().await;
                                clockwork = fresh;
                            }
                            Err(error) => tracing::error!(error = %error, "the clockwork keeps its old schedule"),
                        }
                        wakes.send.notify_one();
                        // A calendar confirmed since clears its warning now.
                        wakes.nudge.notify_one();
                    }
                }
                Some(Event::Stop) | None => break,
            },
            _ = timer.tick() => {
                let current = read(&shared);
                let health_due = last_health.elapsed() >= HEALTH_PERIOD;
                if health_due {
                    last_health = Instant::now();
                    counts.refresh(&store).await;
                }
                let watcher_status = watcher.status();
                let progress_now = snapshot(&progress);
                let line = status_line(&current, &counts, &watcher_status, &progress_now);
                if line != last_line {
                    notify(&[NotifyState::Status(&line)]);
                    last_line = line.clone();
                }
                let is_healthy = healthy(&current.settings, &watcher_status, &progress_now);
                if watchdog.is_some() && is_healthy {
                    notify(&[NotifyState::Watchdog]);
                }
                *live.lock().unwrap_or_else(|e| e.into_inner()) = Live {
                    status_line: line.clone(),
                    watcher_connected: watcher_status
                        .as_ref()
                        .is_some_and(|s| matches!(s.phase, WatchPhase::Idle | WatchPhase::Polling | WatchPhase::Processing)),
                    last_tick: progress_now.tick_fired,
                    healthy: is_healthy,
                    login_refused: login_refused(&watcher_status, &progress_now),
                };
                if health_due {
                    let health = ServiceHealth {
                        instance: worker.clone(),
                        pid: i64::from(std::process::id()),
                        started_at,
                        updated_at: wall_clock(),
                        status_line: line.clone(),
                        imap_problem: imap_problem(&watcher_status),
                        smtp_problem: progress_now.smtp_problem.clone(),
                        login_refused: login_refused(&watcher_status, &progress_now),
                        status_vi: Some(status_line_vi(&current, &counts, &watcher_status, &progress_now)),
                    };
                    if let Err(error) = store.record_service_health(&health).await {
                        tracing::warn!(error = %error, "recording the service health failed");
                    }
                }
            }
        }
    }

    // Stop: no new claims, the send in flight gets a grace period, IMAP closes cleanly.
    notify(&[NotifyState::Stopping]);
    tracing::info!("stopping");
    let stopped_at = Instant::now();
    stop.store(true, Ordering::SeqCst);
    wakes.wake_all();
    clockwork.shutdown().await;
    let watcher_stop = watcher.stop();
    let sender_stop = async {
        if let Some(task) = sender.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(SEND_GRACE, task).await.is_err() {
                abort.abort();
                match store.release_claims(&worker, wall_clock()).await {
                    Ok(n) if n > 0 => {
                        tracing::warn!(
                            released = n,
                            "a send did not finish in time; it goes again after restart"
                        )
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::error!(error = %error, "releasing unfinished sends failed; their lease expires")
                    }
                }
            }
        }
    };
    let _ = web_stop.send(true);
    let web_stop = async {
        if let Some(task) = web {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(3), task).await.is_err() {
                abort.abort();
            }
        }
    };
    // A job sending for a command stops claiming at the stop flag; what it claimed is
    // released with the sender's (same worker).
    let jobs_stop = async {
        let abort = jobs.abort_handle();
        if tokio::time::timeout(SEND_GRACE, jobs).await.is_err() {
            abort.abort();
            if let Ok(n) = store.release_claims(&job_worker(&worker), wall_clock()).await
                && n > 0
            {
                tracing::warn!(
                    released = n,
                    "a job's send did not finish in time; it goes again after restart"
                );
            }
        }
    };
    tokio::join!(watcher_stop, sender_stop, web_stop, jobs_stop);
    maintenance.abort();
    let left = STOP_BUDGET.saturating_sub(stopped_at.elapsed());
    let _ = tokio::time::timeout(left, store.forget_service(&worker)).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), store.close()).await;
    tracing::info!(after_ms = stopped_at.elapsed().as_millis() as u64, "stopped");
    Ok(())
}

/// Reads and checks everything a reload may change.
fn load(options: &Options) -> Result<Current, StartError> {
    let loaded = config::load(&options.config_path)?;
    for warning in &loaded.warnings {
        tracing::warn!(key = %warning.key, line = ?warning.line, warning = %warning.message, "configuration warning");
    }
    let mut settings = loaded.settings;
    if let Some(url) = &options.database_override {
        settings.database_url = url.clone();
    }
    let templates = Templates::load(settings.templates_dir.as_deref())?;
    for warning in &templates.warnings {
        tracing::warn!(warning = %warning, "template warning");
    }
    let calendar = config::load_calendar(&settings).map_err(StartError::Calendar)?;
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

/// The notifications that wake the workers. A `Notify` keeps one permit, so wake-ups that
/// arrive while a job runs collapse into one more run, never a pile of them.
#[derive(Clone, Default)]
struct Wakes {
    send: Arc<Notify>,
    digest: Arc<Notify>,
    reconcile: Arc<Notify>,
    nudge: Arc<Notify>,
}

impl Wakes {
    fn wake_all(&self) {
        for wake in [&self.send, &self.digest, &self.reconcile, &self.nudge] {
            wake.notify_one();
        }
    }
}

/// The scheduler and its jobs.
struct Clockwork {
    scheduler: JobScheduler,
}

impl Clockwork {
    async fn start(settings: &Settings, wakes: &Wakes, progress: &SharedProgress) -> Result<Clockwork, StartError> {
        let fail = |e: tokio_cron_scheduler::JobSchedulerError| StartError::Clockwork(e.to_string());
        let scheduler = JobScheduler::new().await.map_err(fail)?;
        let zone = settings.office.zone;

        let (send, fired) = (wakes.send.clone(), progress.clone());
        let tick = Job::new_repeated_async(settings.daemon.tick, move |_, _| {
            let (send, fired) = (send.clone(), fired.clone());
            Box::pin(async move {
                lock(&fired).tick_fired = Some(Instant::now());
                send.notify_one();
            })
        })
        .map_err(fail)?;
        scheduler.add(tick).await.map_err(fail)?;

        if let Some(at) = settings.digest.at {
            let (digest, send) = (wakes.digest.clone(), wakes.send.clone());
            let schedule = format!("0 {} {} * * *", at.format("%M"), at.format("%H"));
            let job = Job::new_async_tz(schedule.as_str(), zone, move |_, _| {
                let (digest, send) = (digest.clone(), send.clone());
                Box::pin(async move {
                    digest.notify_one();
                    send.notify_one();
                })
            })
            .map_err(fail)?;
            scheduler.add(job).await.map_err(fail)?;
        }

        let reconcile = wakes.reconcile.clone();
        let job = Job::new_repeated_async(settings.daemon.reconcile_every, move |_, _| {
            let reconcile = reconcile.clone();
            Box::pin(async move { reconcile.notify_one() })
        })
        .map_err(fail)?;
        scheduler.add(job).await.map_err(fail)?;

        // Every morning: is this year's calendar confirmed (and in December, next year's)?
        let nudge = wakes.nudge.clone();
        let job = Job::new_async_tz("0 0 8 * * *", zone, move |_, _| {
            let nudge = nudge.clone();
            Box::pin(async move { nudge.notify_one() })
        })
        .map_err(fail)?;
        scheduler.add(job).await.map_err(fail)?;

        scheduler.start().await.map_err(fail)?;
        Ok(Clockwork { scheduler })
    }

    async fn shutdown(&mut self) {
        if let Err(error) = self.scheduler.shutdown().await {
            tracing::warn!(error = %error, "stopping the clockwork");
        }
    }
}

/// The sender: on each wake-up, plans units of newly active requests, queues due slots,
/// queues the digest when asked (and once at start, to catch up after downtime), and sends
/// what is due. One tick at a time.
async fn sender_loop(
    store: Store,
    shared: Shared,
    progress: SharedProgress,
    stop: Arc<AtomicBool>,
    wakes: Wakes,
    worker: String,
) {
    let mut digest_wanted = true;
    loop {
        tokio::select! {
            _ = wakes.send.notified() => {}
            _ = wakes.digest.notified() => digest_wanted = true,
        }
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let may_send = {
            let mut p = lock(&progress);
            p.tick_running_since = Some(Instant::now());
            p.smtp_paused_until.is_none_or(|until| Instant::now() >= until)
        };
        let current = read(&shared);
        let result = tick(&store, &current, &worker, &stop, digest_wanted, may_send).await;
        let mut p = lock(&progress);
        p.tick_running_since = None;
        p.tick_done = Some(Instant::now());
        match result {
            Ok(smtp) => {
                p.store_problem = None;
                match smtp {
                    SmtpSeen::Nothing => {}
                    SmtpSeen::Through => {
                        p.smtp_problem = None;
                        p.smtp_login_refused = None;
                        p.smtp_paused_until = None;
                        p.smtp_pause = Duration::ZERO;
                    }
                    SmtpSeen::Problem(problem) => {
                        p.smtp_problem = Some(problem);
                        p.smtp_login_refused = None;
                    }
                    SmtpSeen::LoginRefused(answer) => {
                        p.smtp_pause = (p.smtp_pause * 2).clamp(SMTP_LOGIN_PAUSE_FIRST, SMTP_LOGIN_PAUSE_MAX);
                        p.smtp_paused_until = Some(Instant::now() + p.smtp_pause);
                        tracing::error!(
                            answer = %answer,
                            pause_seconds = p.smtp_pause.as_secs(),
                            "the SMTP server refused the login: check the SMTP password; sending pauses"
                        );
                        p.smtp_problem = Some(answer.clone());
                        p.smtp_login_refused = Some(answer);
                    }
                }
                digest_wanted = false;
            }
            Err(error) => {
                let text = format!("{error:#}");
                if p.store_problem.as_deref() != Some(&text) {
                    tracing::error!(error = %text, "the sender's pass failed; trying again at the next tick");
                }
                p.store_problem = Some(text);
            }
        }
    }
}

/// What a sender pass learnt of the SMTP server.
enum SmtpSeen {
    /// Nothing was attempted.
    Nothing,
    /// Mail went through.
    Through,
    /// The last attempt failed: why.
    Problem(String),
    /// The server refused our login: its answer.
    LoginRefused(String),
}

const SMTP_LOGIN_PAUSE_FIRST: Duration = Duration::from_secs(5 * 60);
const SMTP_LOGIN_PAUSE_MAX: Duration = Duration::from_secs(60 * 60);

/// One pass of the sender: plan, queue, digest, and (when `may_send`) send.
async fn tick(
    store: &Store,
    current: &Current,
    worker: &str,
    stop: &AtomicBool,
    digest_wanted: bool,
    may_send: bool,
) -> anyhow::Result<SmtpSeen> {
    let settings = &current.settings;
    let setup = Setup {
        settings,
        calendar: &current.calendar,
        templates: &current.templates,
    };
    let now = wall_clock();
    let planned = plan_new_units(store, settings, &current.calendar, now).await?;
    if planned > 0 {
        tracing::info!(units = planned, "planned the reminders of newly active units");
    }
    let queued = queue_due(store, &setup, now).await?;
    if queued.queued > 0 {
        tracing::info!(queued = queued.queued, skipped = queued.skipped, "reminders queued");
    }
    if digest_wanted && queue_digest(store, &setup, now, false).await? > 0 {
        tracing::info!("daily digest queued");
    }
    let Some(smtp) = &settings.smtp else {
        return Ok(SmtpSeen::Nothing);
    };
    if !may_send || store.outbox_depth().await? == 0 {
        return Ok(SmtpSeen::Nothing);
    }
    // Built per pass: a rotated password file is picked up without a restart.
    let mailer = Mailer::new(settings)?;
    let summary = send_due(&SendPass {
        store,
        mailer: &mailer,
        worker,
        concurrency: smtp.concurrency,
        retry: crate::letters::send::RetryPolicy::from_settings(settings),
        lease: crate::letters::send::lease(settings),
        window_open: setup.window_open(now),
        clock: Clock::system(),
        stop,
    })
    .await?;
    if let Some(answer) = summary.login_refused {
        return Ok(SmtpSeen::LoginRefused(answer));
    }
    if summary.sent + summary.retry + summary.failed == 0 {
        return Ok(SmtpSeen::Nothing);
    }
    Ok(summary.last_problem.map_or(SmtpSeen::Through, SmtpSeen::Problem))
}

/// How often the service looks for work a command asked it to do.
const JOB_POLL: Duration = Duration::from_secs(1);

/// Does the work commands hand over (`service_jobs`), one job at a time, with the
/// service's own passwords, and writes each answer back for the waiting command.
async fn jobs_loop(store: Store, shared: Shared, stop: Arc<AtomicBool>, worker: String) {
    let mut timer = tokio::time::interval(JOB_POLL);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        timer.tick().await;
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let taken = match store.take_job(&worker, wall_clock()).await {
            Ok(taken) => {
                failing = false;
                taken
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(error = %error, "looking for jobs failed; trying again");
                }
                failing = true;
                continue;
            }
        };
        let Some((id, kind, requested_by)) = taken else {
            continue;
        };
        let answer = match JobKind::parse(&kind) {
            None => JobAnswer {
                exit_code: 1,
                err: format!("dịch vụ baocao phiên bản này không biết việc \"{kind}\": cập nhật dịch vụ"),
                ..JobAnswer::default()
            },
            Some(job) => {
                tracing::info!(job = id, kind = %kind, requested_by = %requested_by, "doing the work a command asked for");
                let (store, current, stop) = (store.clone(), read(&shared), stop.clone());
                // Its own claims: the sender pass never renews a message a job claimed.
                let job_worker = job_worker(&worker);
                // Its own task: a panic ends this job with an answer, not the jobs loop.
                let task = tokio::spawn(async move {
                    crate::jobs::perform(
                        job,
                        &Work {
                            store: &store,
                            settings: &current.settings,
                            calendar: &current.calendar,
                            templates: &current.templates,
                            worker: &job_worker,
                            clock: Clock::system(),
                            stop: &stop,
                        },
                    )
                    .await
                });
                task.await.unwrap_or_else(|error| {
                    tracing::error!(job = id, error = %error, "the job failed unexpectedly");
                    JobAnswer {
                        exit_code: 70,
                        err: "dịch vụ gặp lỗi bất ngờ khi làm việc này; xem journalctl -u baocao".into(),
                        ..JobAnswer::default()
                    }
                })
            }
        };
        tracing::info!(job = id, exit_code = answer.exit_code, "job done");
        for attempt in 1..=3 {
            match store.finish_job(id, &answer, wall_clock()).await {
                Ok(()) => break,
                Err(error) if attempt == 3 => {
                    tracing::error!(job = id, error = %error, "writing a job's answer failed; its command waits in vain")
                }
                Err(_) => tokio::time::sleep(JOB_POLL).await,
            }
        }
    }
}

/// The worker name a service's jobs claim messages under.
fn job_worker(worker: &str) -> String {
    format!("{worker}/job")
}

/// Reconciliation sweeps and the calendar nudge (this year not confirmed; in December, next
/// year not confirmed), one at a time.
async fn maintenance_loop(store: Store, shared: Shared, progress: SharedProgress, stop: Arc<AtomicBool>, wakes: Wakes) {
    // The nudge also runs at start and after a reload, so it says it at once and a confirmed
    // calendar clears it.
    wakes.nudge.notify_one();
    loop {
        let reconcile = tokio::select! {
            _ = wakes.reconcile.notified() => true,
            _ = wakes.nudge.notified() => false,
        };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let current = read(&shared);
        if reconcile {
            let problem = sweep(&store, &current.settings).await;
            lock(&progress).reconcile_problem = problem;
        } else {
            let today = wall_clock().with_timezone(&current.settings.office.zone).date_naive();
            let years = current.calendar.years_to_confirm(today);
            if !years.is_empty() {
                tracing::warn!(
                    years = ?years,
                    "the working calendar is not confirmed for {}: enter the government's holiday decisions in the \
                     calendar file (baocao calendar add YEAR ..., then baocao calendar add YEAR --confirm), then \
                     systemctl reload baocao",
                    years_en(&years)
                );
            }
            lock(&progress).calendar_unconfirmed = years;
        }
    }
}

/// Compares the mailbox with the store; a message that is not accounted for is a problem.
async fn sweep(store: &Store, settings: &Settings) -> Option<String> {
    settings.imap.as_ref()?;
    let watcher = match Watcher::new(settings, store.clone(), Intake::new(settings)) {
        Ok(watcher) => watcher,
        Err(error) => return Some(format!("{error:#}")),
    };
    match watcher.reconcile().await {
        Ok(report) if report.missing.is_empty() => {
            tracing::info!(
                in_mailbox = report.in_mailbox,
                accounted = report.accounted(),
                pending = report.pending.len(),
                "reconciliation: every message is accounted for"
            );
            None
        }
        Ok(report) => {
            tracing::error!(missing = ?report.missing, "reconciliation: messages below the checkpoint have no record");
            Some(format!("{} messages not accounted for", report.missing.len()))
        }
        // The watcher reports the mail server itself; the sweep just tries again later.
        Err(error) => {
            tracing::warn!(error = format!("{error:#}"), "reconciliation skipped");
            None
        }
    }
}

/// The running watcher, or nothing when no mailbox is configured.
struct WatcherTask {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    status: Option<watch::Receiver<WatcherStatus>>,
}

impl WatcherTask {
    fn start(current: &Current, store: &Store) -> WatcherTask {
        let (stop, stopped) = watch::channel(false);
        let settings = &current.settings;
        let nothing = |stop| WatcherTask {
            stop,
            task: None,
            status: None,
        };
        if settings.imap.is_none() {
            return nothing(stop);
        }
        let intake = Intake::recording(settings, current.templates.clone());
        let watcher = match Watcher::new(settings, store.clone(), intake) {
            Ok(watcher) => watcher,
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "the report mailbox cannot be watched");
                return nothing(stop);
            }
        };
        let status = watcher.status();
        let task = tokio::spawn(async move {
            if let Err(error) = watcher.run(stopped).await {
                tracing::error!(error = format!("{error:#}"), "the watcher stopped");
            }
        });
        WatcherTask {
            stop,
            task: Some(task),
            status: Some(status),
        }
    }

    fn status(&self) -> Option<WatcherStatus> {
        self.status.as_ref().map(|s| s.borrow().clone())
    }

    /// Asks the watcher to stop (between two messages, or out of IDLE) and waits a little.
    async fn stop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(4), task).await.is_err() {
                tracing::warn!("the watcher did not stop in time");
                abort.abort();
            }
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

/// The daemon is wiring: this is where it reads the clock.
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> DateTime<Utc> {
    Utc::now()
}

#[cfg(test)]
mod tests {
    use super::status::Progress;
    use super::*;

    fn settings() -> Settings {
        let text = "[office]\nname = \"Sở\"\nreport-mailbox = \"vanphong@so.vn\"\n\
                    [imap]\nhost = \"mail.so.vn\"\nuser = \"vanphong@so.vn\"\npassword-credential = \"imap\"\n[daemon]\ntick-seconds = 5\n";
        config::parse(text, std::path::Path::new("/etc/baocao/baocao.toml"))
            .unwrap()
            .settings
    }

    fn watcher(phase: WatchPhase, silent_for: Duration) -> Option<WatcherStatus> {
        Some(WatcherStatus {
            phase,
            heartbeat: Instant::now() - silent_for,
            last_error: None,
            processed: 0,
        })
    }

    fn progress(fired_ago: Option<Duration>, running_for: Option<Duration>) -> Progress {
        Progress {
            tick_fired: fired_ago.map(|d| Instant::now() - d),
            tick_running_since: running_for.map(|d| Instant::now() - d),
            tick_done: fired_ago.map(|d| Instant::now() - d),
            ..Progress::default()
        }
    }

    #[test]
    fn the_watchdog_is_fed_only_while_every_loop_shows_progress() {
        let s = settings();
        let secs = Duration::from_secs;
        let ok_watcher = watcher(WatchPhase::Idle, secs(10));
        // Just started: no tick yet.
        assert!(healthy(&s, &ok_watcher, &progress(None, None)));
        // Ticking, watcher beating.
        assert!(healthy(&s, &ok_watcher, &progress(Some(secs(3)), None)));
        // The clockwork stopped waking the sender.
        assert!(!healthy(&s, &ok_watcher, &progress(Some(secs(40)), None)));
        // A pass stuck far beyond a few sends' timeouts.
        assert!(healthy(&s, &ok_watcher, &progress(Some(secs(3)), Some(secs(60)))));
        assert!(!healthy(&s, &ok_watcher, &progress(Some(secs(3)), Some(secs(400)))));
        // The watcher's loop fell silent (a mail server that is down still beats).
        assert!(!healthy(
            &s,
            &watcher(WatchPhase::Idle, secs(301)),
            &progress(Some(secs(3)), None)
        ));
        assert!(healthy(
            &s,
            &watcher(WatchPhase::Retrying, secs(100)),
            &progress(Some(secs(3)), None)
        ));
        assert!(healthy(&s, &None, &progress(Some(secs(3)), None)));
    }

    #[test]
    fn the_status_line_reads_like_a_sentence_and_names_problems() {
        let current = Current {
            settings: settings(),
            templates: Arc::new(Templates::built_in().unwrap()),
            calendar: Arc::new(crate::domain::calendar::WorkingCalendar::default()),
        };
        let counts = Counts {
            active: 3,
            next_reminder: None,
            review: 2,
        };
        let mut p = Progress::default();
        assert_eq!(
            status_line(&current, &counts, &watcher(WatchPhase::Idle, Duration::ZERO), &p),
            "watching vanphong@so.vn (IDLE); 3 requests active; 2 in review"
        );
        p.smtp_problem = Some("connection refused\nmore".into());
        let mut down = watcher(WatchPhase::Retrying, Duration::ZERO);
        if let Some(w) = down.as_mut() {
            w.last_error = Some("connecting to mail:993: timed out".into());
        }
        assert_eq!(
            status_line(&current, &counts, &down, &p),
            "intake retrying: connecting to mail:993: timed out; 3 requests active; 2 in review; SMTP failing: connection refused"
        );
    }

    #[test]
    fn an_unconfirmed_calendar_shows_in_both_status_lines() {
        let current = Current {
            settings: settings(),
            templates: Arc::new(Templates::built_in().unwrap()),
            calendar: Arc::new(crate::domain::calendar::WorkingCalendar::default()),
        };
        let counts = Counts {
            active: 1,
            next_reminder: None,
            review: 0,
        };
        let idle = watcher(WatchPhase::Idle, Duration::ZERO);
        let mut p = Progress::default();
        assert!(!status_line_vi(&current, &counts, &idle, &p).contains("lịch nghỉ lễ"));
        // This year (not only next year in December).
        p.calendar_unconfirmed = vec![2027];
        assert_eq!(
            status_line(&current, &counts, &idle, &p),
            "watching vanphong@so.vn (IDLE); 1 request active; calendar 2027 not confirmed (baocao calendar add, then reload)"
        );
        let vi = status_line_vi(&current, &counts, &idle, &p);
        assert!(
            vi.ends_with(
                "lịch nghỉ lễ năm 2027 chưa được xác nhận, ngày nghỉ Tết và hoán đổi có thể chưa đúng: nhờ cán bộ CNTT \
                 cập nhật tệp lịch (baocao calendar add 2027 …)"
            ),
            "{vi}"
        );
        p.calendar_unconfirmed = vec![2027, 2028];
        assert!(status_line(&current, &counts, &idle, &p).contains("calendar 2027 and 2028 not confirmed"));
    }
}
