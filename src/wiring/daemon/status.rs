//! What the service says about itself: the workers' progress, the counts behind the status
//! line, the status line (English for the journal, Vietnamese for `status` and the web page),
//! whether the watchdog may be pinged, and the status loop's rounds ([`Board`]) that say it
//! to systemd, to the web page's `/metrics` and `/healthz`, and to the `service_health` row.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sd_notify::NotifyState;

use super::{Wiring, notify};
use crate::adapters::config::Settings;
use crate::adapters::store::{ServiceHealth, Store};
use crate::services::intake::watch::{WatchPhase, WatcherStatus};
use crate::wiring::current::{Current, read};
use crate::wiring::web::Live;

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

/// How often the health row and the counts behind the status line are refreshed.
const HEALTH_PERIOD: Duration = Duration::from_secs(5);

/// What the status loop keeps from one round to the next.
pub(super) struct Board {
    counts: Counts,
    last_line: String,
    last_health: Option<Instant>,
    watchdog: bool,
    live: Arc<Mutex<Live>>,
    started_at: DateTime<Utc>,
}

impl Board {
    /// Reads the counts and makes the first status line (the one said with `READY=1`).
    pub(super) async fn start(wiring: &Wiring, watcher: &Option<WatcherStatus>, live: Arc<Mutex<Live>>) -> Board {
        let mut counts = Counts::default();
        counts.refresh(&wiring.store).await;
        let last_line = status_line(&read(&wiring.shared), &counts, watcher, &lock(&wiring.progress));
        Board {
            counts,
            last_line,
            last_health: None,
            watchdog: sd_notify::watchdog_enabled().is_some(),
            live,
            started_at: wiring.clock.now(),
        }
    }

    pub(super) fn line(&self) -> &str {
        &self.last_line
    }

    /// One round: the status line (to systemd when it changed), the watchdog ping while the
    /// loops show progress, the values `/metrics` shows, and every few seconds the counts
    /// and the health row `baocao status` reads.
    pub(super) async fn round(&mut self, wiring: &Wiring, watcher: &Option<WatcherStatus>) {
        let current = read(&wiring.shared);
        let health_due = self.last_health.is_none_or(|at| at.elapsed() >= HEALTH_PERIOD);
        if health_due {
            self.last_health = Some(Instant::now());
            self.counts.refresh(&wiring.store).await;
        }
        let progress = snapshot(&wiring.progress);
        let line = status_line(&current, &self.counts, watcher, &progress);
        if line != self.last_line {
            notify(&[NotifyState::Status(&line)]);
            self.last_line = line.clone();
        }
        let is_healthy = healthy(&current.settings, watcher, &progress);
        if self.watchdog && is_healthy {
            notify(&[NotifyState::Watchdog]);
        }
        *self.live.lock().unwrap_or_else(|e| e.into_inner()) = Live {
            status_line: line.clone(),
            watcher_connected: watcher
                .as_ref()
                .is_some_and(|s| matches!(s.phase, WatchPhase::Idle | WatchPhase::Polling | WatchPhase::Processing)),
            last_tick: progress.tick_fired,
            healthy: is_healthy,
            login_refused: login_refused(watcher, &progress),
        };
        if health_due {
            let health = ServiceHealth {
                instance: wiring.worker.clone(),
                pid: i64::from(std::process::id()),
                started_at: self.started_at,
                updated_at: wiring.clock.now(),
                status_line: line,
                imap_problem: imap_problem(watcher),
                smtp_problem: progress.smtp_problem.clone(),
                login_refused: login_refused(watcher, &progress),
                status_vi: Some(status_line_vi(&current, &self.counts, watcher, &progress)),
            };
            if let Err(error) = wiring.store.record_service_health(&health).await {
                tracing::warn!(error = %error, "recording the service health failed");
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::config;
    use crate::services::letters::Templates;

    fn settings() -> Settings {
        let text = "[office]\nname = \"Sở\"\nreport-mailbox = \"vanphong@so.vn\"\n\
                    [imap]\nhost = \"mail.so.vn\"\nuser = \"vanphong@so.vn\"\npassword-credential = \"imap\"\n[daemon]\ntick-seconds = 5\n";
        config::parse(text, std::path::Path::new("/etc/baocao/baocao.toml"))
            .unwrap()
            .settings
    }

    fn current() -> Current {
        Current {
            settings: settings(),
            templates: Arc::new(Templates::built_in().unwrap()),
            calendar: Arc::new(crate::domain::calendar::WorkingCalendar::default()),
        }
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
        let current = current();
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
        let current = current();
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
