//! What the service says about itself: the workers' progress, the counts behind the status
//! line, the status line (English for the journal, Vietnamese for `status` and the web page),
//! and whether the watchdog may be pinged.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::current::Current;
use crate::intake::watch::{WatchPhase, WatcherStatus};
use crate::store::Store;

/// The watcher must have shown life within this (it beats every 15 s while in IDLE, after
/// each message and each connection attempt; backoff is at most 144 s).
const WATCHER_STALL: Duration = Duration::from_secs(5 * 60);

/// What the workers report, for the status line and the watchdog.
#[derive(Debug, Clone, Default)]
pub(super) struct Progress {
    /// When the clockwork last woke the sender.
    pub(super) tick_fired: Option<Instant>,
    /// When the sender's current tick started, while one runs.
    pub(super) tick_running_since: Option<Instant>,
    pub(super) tick_done: Option<Instant>,
    pub(super) smtp_problem: Option<String>,
    /// The SMTP server refused our login: its answer. Sending pauses (5 minutes, doubling
    /// to an hour) instead of trying the password at every tick.
    pub(super) smtp_login_refused: Option<String>,
    pub(super) smtp_paused_until: Option<Instant>,
    pub(super) smtp_pause: Duration,
    pub(super) store_problem: Option<String>,
    pub(super) reconcile_problem: Option<String>,
    /// The years whose calendar is not confirmed and matters now: this year, and next year
    /// in December (`WorkingCalendar::years_to_confirm`).
    pub(super) calendar_unconfirmed: Vec<i32>,
    pub(super) web_problem: Option<String>,
}

pub(super) type SharedProgress = Arc<Mutex<Progress>>;

pub(super) fn lock(progress: &SharedProgress) -> std::sync::MutexGuard<'_, Progress> {
    progress.lock().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn snapshot(progress: &SharedProgress) -> Progress {
    lock(progress).clone()
}

/// Counts behind the status line, refreshed every few seconds.
#[derive(Debug, Default)]
pub(super) struct Counts {
    pub(super) active: i64,
    pub(super) next_reminder: Option<DateTime<Utc>>,
    pub(super) review: i64,
}

impl Counts {
    /// Reads the counts again; a failed read keeps the last ones (the status line says why).
    pub(super) async fn refresh(&mut self, store: &Store) {
        if let Ok((active, next)) = store.service_counts().await {
            self.active = active;
            self.next_reminder = next;
        }
        if let Ok(review) = store.open_review_count().await {
            self.review = review;
        }
    }
}

/// `watching vanphong@… (IDLE); 3 requests active; next reminder 07:30 02/12/2026; 1 in review`
pub(super) fn status_line(
    current: &Current,
    counts: &Counts,
    watcher: &Option<WatcherStatus>,
    progress: &Progress,
) -> String {
    let mut parts = Vec::new();
    let mailbox = current
        .settings
        .imap
        .as_ref()
        .and_then(|i| i.server.user.clone())
        .unwrap_or_default();
    parts.push(match watcher {
        None => "no report mailbox configured".to_string(),
        Some(s) if s.phase == WatchPhase::Retrying => format!(
            "intake retrying: {}",
            s.last_error.as_deref().map(short).unwrap_or_default()
        ),
        Some(s) if s.phase == WatchPhase::LoginRefused => format!(
            "IMAP login refused for {mailbox}: check the IMAP password file, then restart ({})",
            s.last_error.as_deref().map(short).unwrap_or_default()
        ),
        Some(s) if s.phase == WatchPhase::Standby => {
            format!("standby: another instance watches {mailbox}")
        }
        Some(s) => format!("watching {mailbox} ({})", s.phase.as_str()),
    });
    parts.push(format!(
        "{} request{} active",
        counts.active,
        if counts.active == 1 { "" } else { "s" }
    ));
    if let Some(at) = counts.next_reminder {
        let local = at.with_timezone(&current.settings.office.zone);
        parts.push(format!("next reminder {}", local.format("%H:%M %d/%m/%Y")));
    }
    if counts.review > 0 {
        parts.push(format!("{} in review", counts.review));
    }
    if let Some(answer) = &progress.smtp_login_refused {
        parts.push(format!(
            "SMTP login refused: check the SMTP password file, then restart ({})",
            short(answer)
        ));
    } else if let Some(problem) = &progress.smtp_problem {
        parts.push(format!("SMTP failing: {}", short(problem)));
    }
    if let Some(problem) = &progress.store_problem {
        parts.push(format!("database problem: {}", short(problem)));
    }
    if let Some(problem) = &progress.reconcile_problem {
        parts.push(format!("reconcile: {problem}"));
    }
    if !progress.calendar_unconfirmed.is_empty() {
        parts.push(format!(
            "calendar {} not confirmed (baocao calendar add, then reload)",
            years_en(&progress.calendar_unconfirmed)
        ));
    }
    if let Some(problem) = &progress.web_problem {
        parts.push(problem.clone());
    }
    parts.join("; ")
}

/// The status line for the clerk (`baocao status`): what the service is doing, in Vietnamese;
/// the English line with the technical detail goes to the journal.
pub(super) fn status_line_vi(
    current: &Current,
    counts: &Counts,
    watcher: &Option<WatcherStatus>,
    progress: &Progress,
) -> String {
    let zone = current.settings.office.zone;
    let mut parts = Vec::new();
    parts.push(match watcher.as_ref().map(|s| s.phase) {
        None => "chưa cấu hình hộp thư nhận báo cáo".to_string(),
        Some(WatchPhase::Retrying | WatchPhase::Connecting) => {
            "mất kết nối hộp thư nhận báo cáo, đang thử lại".to_string()
        }
        Some(WatchPhase::LoginRefused) => "máy chủ thư từ chối đăng nhập hộp thư nhận báo cáo".to_string(),
        Some(WatchPhase::Standby) => "máy khác đang theo dõi hộp thư; máy này sẵn sàng thay thế".to_string(),
        Some(WatchPhase::Stopped) => "đã ngừng theo dõi hộp thư".to_string(),
        Some(WatchPhase::Idle | WatchPhase::Polling | WatchPhase::Processing) => {
            "đang theo dõi hộp thư nhận báo cáo".to_string()
        }
    });
    parts.push(format!("{} yêu cầu đang theo dõi", counts.active));
    if let Some(at) = counts.next_reminder {
        parts.push(format!(
            "lần nhắc tiếp theo {}",
            crate::domain::dates::format_instant(at, zone)
        ));
    }
    if counts.review > 0 {
        parts.push(format!("{} thư chờ xem xét", counts.review));
    }
    if progress.smtp_login_refused.is_some() {
        parts.push("máy chủ gửi thư từ chối đăng nhập".to_string());
    } else if progress.smtp_problem.is_some() {
        parts.push("chưa gửi được thư, đang thử lại".to_string());
    }
    if progress.store_problem.is_some() {
        parts.push("lỗi cơ sở dữ liệu".to_string());
    }
    if progress.reconcile_problem.is_some() {
        parts.push("đối chiếu hộp thư thấy thư chưa được xử lý".to_string());
    }
    if let Some(warning) = crate::domain::calendar::unconfirmed_short_vi(&progress.calendar_unconfirmed) {
        parts.push(warning);
    }
    parts.join("; ")
}

pub(super) fn years_en(years: &[i32]) -> String {
    years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(" and ")
}

pub(super) fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// Whether the loops have shown progress recently enough to deserve a watchdog ping.
pub(super) fn healthy(settings: &Settings, watcher: &Option<WatcherStatus>, progress: &Progress) -> bool {
    let tick = settings.daemon.tick;
    let clockwork_alive = progress
        .tick_fired
        .is_some_and(|at| at.elapsed() < (tick * 4).max(Duration::from_secs(30)));
    let sender_alive = match progress.tick_running_since {
        // A pass may legitimately take as long as a few sends under their outer timeout.
        Some(since) => {
            let timeout = settings.smtp.as_ref().map_or(Duration::from_secs(120), |s| s.timeout);
            since.elapsed() < timeout * 2 + Duration::from_secs(60)
        }
        None => true,
    };
    let watcher_alive = watcher
        .as_ref()
        .is_none_or(|s| s.phase == WatchPhase::Stopped || s.heartbeat.elapsed() < WATCHER_STALL);
    // Before the first tick fires the service has just started.
    let starting = progress.tick_fired.is_none() && progress.tick_done.is_none();
    (clockwork_alive || starting) && sender_alive && watcher_alive
}

pub(super) fn imap_problem(watcher: &Option<WatcherStatus>) -> Option<String> {
    watcher
        .as_ref()
        .filter(|s| matches!(s.phase, WatchPhase::Retrying | WatchPhase::LoginRefused))
        .and_then(|s| s.last_error.clone())
}

/// Which servers refuse the service's login: `imap`, `smtp` or `imap smtp`.
pub(super) fn login_refused(watcher: &Option<WatcherStatus>, progress: &Progress) -> Option<String> {
    let imap = watcher.as_ref().is_some_and(|s| s.phase == WatchPhase::LoginRefused);
    let smtp = progress.smtp_login_refused.is_some();
    match (imap, smtp) {
        (true, true) => Some("imap smtp".into()),
        (true, false) => Some("imap".into()),
        (false, true) => Some("smtp".into()),
        (false, false) => None,
    }
}
