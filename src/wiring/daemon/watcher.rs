//! The intake watcher as a task of the service: started at start-up and again after a
//! reload, stopped through its own child of the service's cancellation token (between two
//! messages, or out of IDLE with DONE/LOGOUT), never aborted.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::adapters::store::Store;
use crate::services::intake::pipeline::Intake;
use crate::services::intake::watch::{Watcher, WatcherStatus};
use crate::wiring::current::Current;

/// How long a reload waits for the old watcher before starting the new one anyway (the
/// mailbox's lock keeps the two from recording the same message).
const RESTART_WAIT: Duration = Duration::from_secs(4);

/// The running watcher, or nothing when no mailbox is configured.
pub(super) struct WatcherTask {
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
    status: Option<watch::Receiver<WatcherStatus>>,
}

impl WatcherTask {
    /// Starts watching under a child of `parent`, tracked by `tracker`.
    pub(super) fn start(
        current: &Current,
        store: &Store,
        parent: &CancellationToken,
        tracker: &TaskTracker,
    ) -> WatcherTask {
        let stop = parent.child_token();
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
        let stopped = stop.clone();
        let task = tracker.spawn(async move {
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

    pub(super) fn status(&self) -> Option<WatcherStatus> {
        self.status.as_ref().map(|s| s.borrow().clone())
    }

    /// Asks the watcher to stop (between two messages, or out of IDLE) and waits a little;
    /// one that takes longer finishes on its own, still tracked.
    pub(super) async fn stop(&mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take()
            && tokio::time::timeout(RESTART_WAIT, task).await.is_err()
        {
            tracing::warn!("the old watcher is still finishing; it stops on its own");
        }
    }
}
