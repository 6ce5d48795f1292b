//! The service's workers, each one task that does its jobs one after another (so a job
//! never overlaps itself) and reads the truth from the database: the sender (plan, queue,
//! digest, send), the jobs worker (work commands hand over) and maintenance (reconciliation
//! sweeps, the calendar nudge).
//!
//! Each worker has its own child of the service's cancellation token and looks at it
//! between two units of work, never in the middle of one: a pass's sends stop claiming and
//! are recorded, a job's answer is written. Only the network part of what is left when the
//! stop's grace runs out is cut (the `cut` token): a send that hangs, a sweep's IMAP reads.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Wiring;
use super::status::lock;
use super::status::years_en;
use crate::adapters::clock::Clock;
use crate::adapters::config::Settings;
use crate::adapters::smtp::Mailer;
use crate::adapters::store::{JobAnswer, Store};
use crate::services::intake::pipeline::Intake;
use crate::services::intake::watch::Watcher;
use crate::services::jobs::{JobKind, Work};
use crate::services::letters::Setup;
use crate::services::letters::digest::queue_digest;
use crate::services::letters::send::{SendPass, send_due};
use crate::services::reminders::{plan_new_units, queue_due};
use crate::wiring::current::{Current, read};

/// The sender: on each wake-up, plans units of newly active requests, queues due slots,
/// queues the digest when asked (and once at start, to catch up after downtime), and sends
/// what is due. One tick at a time.
pub(super) async fn sender_loop(wiring: Wiring, stop: CancellationToken, cut: CancellationToken) {
    let Wiring {
        store,
        shared,
        progress,
        wakes,
        worker,
        clock,
    } = &wiring;
    let mut digest_wanted = true;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = wakes.send.notified() => {}
            _ = wakes.digest.notified() => digest_wanted = true,
        }
        if stop.is_cancelled() {
            return;
        }
        let may_send = {
            let mut p = lock(progress);
            p.tick_running_since = Some(Instant::now());
            p.smtp_paused_until.is_none_or(|until| Instant::now() >= until)
        };
        let current = read(shared);
        let pass = Pass {
            store,
            current: &current,
            worker,
            clock: *clock,
            stop: &stop,
            cut: &cut,
        };
        let result = tick(&pass, digest_wanted, may_send).await;
        let mut p = lock(progress);
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

/// What one pass of the sender works with.
struct Pass<'a> {
    store: &'a Store,
    current: &'a Current,
    worker: &'a str,
    clock: Clock,
    /// No new claims once cancelled.
    stop: &'a CancellationToken,
    /// Sends still under way are abandoned once cancelled (their claims are released).
    cut: &'a CancellationToken,
}

/// One pass of the sender: plan, queue, digest, and (when `may_send`) send.
async fn tick(pass: &Pass<'_>, digest_wanted: bool, may_send: bool) -> anyhow::Result<SmtpSeen> {
    let Pass {
        store,
        current,
        worker,
        clock,
        stop,
        cut,
    } = *pass;
    let settings = &current.settings;
    let setup = Setup {
        settings,
        calendar: &current.calendar,
        templates: &current.templates,
    };
    let now = clock.now();
    let made = crate::services::series::make_due(store, &current.calendar, settings.office.zone, now).await?;
    if !made.is_empty() {
        tracing::info!(
            instances = made.len(),
            "made the instances of periodic reports that were due"
        );
    }
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
    if !may_send || stop.is_cancelled() || store.outbox_depth().await? == 0 {
        return Ok(SmtpSeen::Nothing);
    }
    // Built per pass: a rotated password file is picked up without a restart.
    let mailer = Mailer::new(settings)?;
    let summary = send_due(&SendPass {
        store,
        mailer: &mailer,
        worker,
        concurrency: smtp.concurrency,
        retry: crate::services::letters::send::RetryPolicy::from_settings(settings),
        lease: crate::services::letters::send::lease(settings),
        window_open: setup.window_open(now),
        clock,
        stop,
        cut,
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
/// Stops between two jobs; a job under way stops claiming at `stop`, and its answer is
/// still written.
pub(super) async fn jobs_loop(wiring: Wiring, stop: CancellationToken, cut: CancellationToken, tracker: TaskTracker) {
    let Wiring {
        store,
        shared,
        worker,
        clock,
        ..
    } = &wiring;
    let mut timer = tokio::time::interval(JOB_POLL);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = timer.tick() => {}
        }
        let taken = match store.take_job(worker, clock.now()).await {
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
                let (store, current, clock) = (store.clone(), read(shared), *clock);
                let (stop, cut) = (stop.clone(), cut.clone());
                // Its own claims: the sender pass never renews a message a job claimed.
                let job_worker = job_worker(worker);
                // Its own task: a panic ends this job with an answer, not the jobs loop.
                let task = tracker.spawn(async move {
                    crate::services::jobs::perform(
                        job,
                        &Work {
                            store: &store,
                            settings: &current.settings,
                            calendar: &current.calendar,
                            templates: &current.templates,
                            worker: &job_worker,
                            clock,
                            stop: &stop,
                            cut: &cut,
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
            match store.finish_job(id, &answer, clock.now()).await {
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
pub(super) fn job_worker(worker: &str) -> String {
    format!("{worker}/job")
}

/// Reconciliation sweeps and the calendar nudge (this year not confirmed; in December, next
/// year not confirmed), one at a time.
/// A sweep only reads (the mailbox and the store): it runs to its end after a stop unless the
/// stop's grace runs out (`cut`), when its IMAP conversation is dropped.
pub(super) async fn maintenance_loop(wiring: Wiring, stop: CancellationToken, cut: CancellationToken) {
    let Wiring {
        store,
        shared,
        progress,
        wakes,
        clock,
        ..
    } = &wiring;
    // The nudge also runs at start and after a reload, so it says it at once and a confirmed
    // calendar clears it.
    wakes.nudge.notify_one();
    loop {
        let reconcile = tokio::select! {
            () = stop.cancelled() => return,
            _ = wakes.reconcile.notified() => true,
            _ = wakes.nudge.notified() => false,
        };
        let current = read(shared);
        if reconcile {
            let problem = tokio::select! {
                problem = sweep(store, &current.settings) => problem,
                () = cut.cancelled() => return,
            };
            lock(progress).reconcile_problem = problem;
        } else {
            let today = clock.now().with_timezone(&current.settings.office.zone).date_naive();
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
            lock(progress).calendar_unconfirmed = years;
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
