//! The clockwork: tokio-cron-scheduler jobs that only wake workers (the sender every
//! `tick-seconds`, the digest at its time, the reconciliation sweep, the daily calendar
//! nudge). It is not the memory: every worker reads the truth from the database, so a missed
//! tick loses nothing.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Notify;
use tokio_cron_scheduler::{Job, JobScheduler};

use super::StartError;
use super::status::{SharedProgress, lock};
use crate::adapters::config::Settings;

/// The notifications that wake the workers. A `Notify` keeps one permit, so wake-ups that
/// arrive while a job runs collapse into one more run, never a pile of them.
#[derive(Clone, Default)]
pub(super) struct Wakes {
    pub(super) send: Arc<Notify>,
    pub(super) digest: Arc<Notify>,
    pub(super) reconcile: Arc<Notify>,
    pub(super) nudge: Arc<Notify>,
}

/// The scheduler and its jobs.
pub(super) struct Clockwork {
    scheduler: JobScheduler,
}

impl Clockwork {
    pub(super) async fn start(
        settings: &Settings,
        wakes: &Wakes,
        progress: &SharedProgress,
    ) -> Result<Clockwork, StartError> {
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

    pub(super) async fn shutdown(&mut self) {
        if let Err(error) = self.scheduler.shutdown().await {
            tracing::warn!(error = %error, "stopping the clockwork");
        }
    }
}
