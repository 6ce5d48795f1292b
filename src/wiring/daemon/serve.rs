//! The service between ready and stop: one task that rounds the status every
//! [`STATUS_PERIOD`] and does reloads (a new `Current` swapped in only when all of it is
//! valid, then the watcher and the clockwork restarted); at the stop it ends the clockwork.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::clockwork::Clockwork;
use super::status::Board;
use super::watcher::WatcherTask;
use super::{Options, Wiring, reload};

/// How often the status line, the watchdog and the health row are considered.
const STATUS_PERIOD: Duration = Duration::from_millis(500);

/// A reload asked of the serving task, answered with whether the new configuration applies.
pub(super) type ReloadAsked = oneshot::Sender<bool>;

/// What the serving task owns.
pub(super) struct Serving {
    pub(super) options: Options,
    pub(super) wiring: Wiring,
    pub(super) watcher: WatcherTask,
    pub(super) clockwork: Clockwork,
    pub(super) board: Board,
    /// The parent of the watchers' tokens.
    pub(super) root: CancellationToken,
    pub(super) tracker: TaskTracker,
}

impl Serving {
    /// Rounds the status and answers reloads until `stop` is cancelled.
    pub(super) async fn run(mut self, mut reloads: mpsc::Receiver<ReloadAsked>, stop: CancellationToken) {
        let mut timer = tokio::time::interval(STATUS_PERIOD);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                Some(answer) = reloads.recv() => {
                    let applied = self.reload().await;
                    let _ = answer.send(applied);
                }
                _ = timer.tick() => self.board.round(&self.wiring, &self.watcher.status()).await,
            }
        }
        self.clockwork.shutdown().await;
    }

    /// Reloads the configuration; when it is valid, restarts the watcher and the clockwork
    /// on it and wakes the sender and the calendar nudge.
    async fn reload(&mut self) -> bool {
        let Some(new) = reload(&self.options, &self.wiring.shared) else {
            return false;
        };
        self.watcher.stop().await;
        self.watcher = WatcherTask::start(&new, &self.wiring.store, &self.root, &self.tracker);
        let wakes = &self.wiring.wakes;
        match Clockwork::start(&new.settings, wakes, &self.wiring.progress).await {
            Ok(fresh) => {
                self.clockwork.shutdown().await;
                self.clockwork = fresh;
            }
            Err(error) => tracing::error!(error = %error, "the clockwork keeps its old schedule"),
        }
        wakes.send.notify_one();
        // A calendar confirmed since clears its warning now.
        wakes.nudge.notify_one();
        true
    }
}
