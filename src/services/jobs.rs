//! The work that needs a mail password — sending what is due, reconciling the mailbox,
//! checking the mail logins — done one way whoever does it: the command itself (`--direct`,
//! or a user who can read the passwords) or the running service on the command's behalf
//! (a `service_jobs` row, see `store::jobs`). Either way the outcome is a [`JobAnswer`]:
//! the exit code and exactly what the command prints, in Vietnamese, and as JSON.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::adapters::clock::Clock;
use crate::adapters::config::{SecretSource, Settings};
use crate::adapters::smtp::Mailer;
use crate::adapters::store::{JobAnswer, Store};
use crate::domain::calendar::WorkingCalendar;
use crate::domain::dates::format_instant;
use crate::services::checks::Checks;
use crate::services::intake::pipeline::Intake;
use crate::services::intake::watch::{Reconciliation, Watcher};
use crate::services::letters::Setup;
use crate::services::letters::Templates;
use crate::services::letters::digest::queue_digest;
use crate::services::letters::send::{RetryPolicy, SendPass, SendSummary, lease, send_due};
use crate::services::reminders::{QueueSummary, plan_new_units, queue_due};

/// Exit code of refused work (as the command line's).
const REFUSED: u8 = 1;
/// Exit code of an unexpected failure (as the command line's).
const SOFTWARE: u8 = 70;
/// Exit code of a mail server refusing the login (as the command line's).
const LOGIN_REFUSED: u8 = 77;

/// What a clerk's command may hand to the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// `baocao reminders send`: plan, queue and send what is due now.
    SendDue,
    /// `baocao intake reconcile`: compare the mailbox with the store.
    Reconcile,
    /// The mail server checks of `baocao doctor`.
    MailCheck,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::SendDue => "send_due",
            JobKind::Reconcile => "reconcile",
            JobKind::MailCheck => "mail_check",
        }
    }

    pub fn parse(text: &str) -> Option<JobKind> {
        [JobKind::SendDue, JobKind::Reconcile, JobKind::MailCheck]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    /// The passwords this work reads: (which server, in Vietnamese; where the password is).
    pub fn secrets(self, settings: &Settings) -> Vec<(&'static str, &SecretSource)> {
        let smtp = settings
            .smtp
            .as_ref()
            .and_then(|s| s.server.password.as_ref())
            .map(|source| ("máy chủ gửi thư (SMTP)", source));
        let imap = settings
            .imap
            .as_ref()
            .and_then(|i| i.server.password.as_ref())
            .map(|source| ("hộp thư nhận báo cáo (IMAP)", source));
        match self {
            JobKind::SendDue => smtp.into_iter().collect(),
            JobKind::Reconcile => imap.into_iter().collect(),
            JobKind::MailCheck => smtp.into_iter().chain(imap).collect(),
        }
    }
}

/// Everything the work reads.
pub struct Work<'a> {
    pub store: &'a Store,
    pub settings: &'a Settings,
    pub calendar: &'a WorkingCalendar,
    pub templates: &'a Templates,
    /// Who claims the messages sent (the daemon's or the command's worker id).
    pub worker: &'a str,
    pub clock: Clock,
    /// No further claims once cancelled; sends still under way are abandoned once `cut` is
    /// (see `SendPass`).
    pub stop: &'a CancellationToken,
    pub cut: &'a CancellationToken,
}

/// Does `kind`, and says what came of it.
pub async fn perform(kind: JobKind, work: &Work<'_>) -> JobAnswer {
    match kind {
        JobKind::SendDue => send_due_now(work).await,
        JobKind::Reconcile => reconcile(work).await,
        JobKind::MailCheck => mail_check(work).await,
    }
}

fn refused(text: impl Into<String>) -> JobAnswer {
    JobAnswer {
        exit_code: REFUSED,
        err: text.into(),
        ..JobAnswer::default()
    }
}

fn unexpected(error: impl std::fmt::Display) -> JobAnswer {
    JobAnswer {
        exit_code: SOFTWARE,
        err: error.to_string(),
        ..JobAnswer::default()
    }
}

fn json<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string_pretty(value).ok()
}

/// What `reminders send` did.
#[derive(Debug, Serialize)]
pub struct SendReport {
    pub at: DateTime<Utc>,
    pub window_open: bool,
    pub units_planned: usize,
    pub slots: QueueSummary,
    pub digest_queued: usize,
    pub outbox: SendSummary,
}

impl SendReport {
    /// The lines `reminders send` prints.
    pub fn text(&self, zone: chrono_tz::Tz) -> String {
        let mut out = String::new();
        if !self.window_open {
            out.push_str(&format!(
                "{} nằm ngoài giờ gửi thư: thư nhắc chờ tới giờ làm việc\n",
                format_instant(self.at, zone)
            ));
        }
        out.push_str(&format!(
            "đã gửi {} thư; {} thư chờ gửi lại; {} thư lỗi; bỏ qua {} lượt nhắc cũ; hủy {} lượt nhắc (đã báo cáo hoặc đã đóng)\n",
            self.outbox.sent, self.outbox.retry, self.outbox.failed, self.slots.skipped, self.slots.cancelled
        ));
        if self.outbox.failed > 0 || self.outbox.retry > 0 {
            out.push_str("xem thư lỗi bằng: baocao outbox list --failed\n");
        }
        out
    }
}

async fn send_due_now(work: &Work<'_>) -> JobAnswer {
    let settings = work.settings;
    let Some(smtp) = &settings.smtp else {
        return refused("chưa cấu hình máy chủ gửi thư [smtp] trong tệp cấu hình: không gửi được");
    };
    let mailer = match Mailer::new(settings) {
        Ok(mailer) => mailer,
        Err(error) => return refused(format!("không chuẩn bị được việc gửi thư: {error:#}")),
    };
    let setup = Setup {
        settings,
        calendar: work.calendar,
        templates: work.templates,
    };
    let now = work.clock.now();
    let queued = async {
        let units_planned = plan_new_units(work.store, settings, work.calendar, now).await?;
        let slots = queue_due(work.store, &setup, now).await?;
        let digest_queued = queue_digest(work.store, &setup, now, false).await?;
        Ok::<_, crate::services::letters::LetterError>((units_planned, slots, digest_queued))
    }
    .await;
    let (units_planned, slots, digest_queued) = match queued {
        Ok(done) => done,
        Err(crate::services::letters::LetterError::Template(error)) => return refused(error.to_string()),
        Err(crate::services::letters::LetterError::Store(error)) => return unexpected(error),
    };
    let window_open = setup.window_open(now);
    let outbox = match send_due(&SendPass {
        store: work.store,
        mailer: &mailer,
        worker: work.worker,
        concurrency: smtp.concurrency,
        retry: RetryPolicy::from_settings(settings),
        lease: lease(settings),
        window_open,
        clock: work.clock,
        stop: work.stop,
        cut: work.cut,
    })
    .await
    {
        Ok(summary) => summary,
        Err(error) => return unexpected(error),
    };
    let report = SendReport {
        at: now,
        window_open,
        units_planned,
        slots,
        digest_queued,
        outbox,
    };
    let (exit_code, err) = match &report.outbox.login_refused {
        Some(answer) => (
            LOGIN_REFUSED,
            format!(
                "máy chủ gửi thư từ chối đăng nhập ({answer}): kiểm tra mật khẩu SMTP của dịch vụ; thư chờ gửi lại \
                 khi đăng nhập được"
            ),
        ),
        None => (0, String::new()),
    };
    JobAnswer {
        exit_code,
        out: report.text(settings.office.zone),
        err,
        json: json(&report),
    }
}

/// The lines `intake reconcile` prints, and whether every message is accounted for.
pub fn reconciliation_text(report: &Reconciliation, zone: chrono_tz::Tz) -> String {
    let since = report.start_from.map(|t| format_instant(t, zone)).unwrap_or_default();
    let mut out = format!(
        "Hộp thư {} có {} thư kể từ {since}; {} đã xử lý: {} báo cáo được ghi nhận, {} chờ xem xét, {} bỏ qua.\n",
        report.mailbox,
        report.in_mailbox,
        report.accounted(),
        report.counted,
        report.review,
        report.ignored
    );
    if !report.pending.is_empty() {
        out.push_str(&format!(
            "{} thư mới chưa xử lý (UID {:?}).\n",
            report.pending.len(),
            report.pending
        ));
    }
    if !report.missing.is_empty() {
        out.push_str(&format!(
            "CẢNH BÁO: {} thư không có trong dữ liệu (UID {:?}).\n",
            report.missing.len(),
            report.missing
        ));
    }
    out
}

async fn reconcile(work: &Work<'_>) -> JobAnswer {
    let watcher = match Watcher::new(work.settings, work.store.clone(), Intake::new(work.settings)) {
        Ok(watcher) => watcher,
        Err(error) => return refused(format!("{error:#}")),
    };
    let report = match watcher.reconcile().await {
        Ok(report) => report,
        Err(error) if crate::adapters::imap::LoginRefused::in_chain(&error) => {
            return JobAnswer {
                exit_code: LOGIN_REFUSED,
                err: format!("máy chủ IMAP từ chối đăng nhập hộp thư nhận báo cáo ({error:#}): kiểm tra mật khẩu IMAP"),
                ..JobAnswer::default()
            };
        }
        Err(error) => return refused(format!("không đối chiếu được: {error:#}")),
    };
    JobAnswer {
        exit_code: if report.missing.is_empty() { 0 } else { REFUSED },
        out: reconciliation_text(&report, work.settings.office.zone),
        err: if report.missing.is_empty() {
            String::new()
        } else {
            "có thư chưa được ghi nhận".into()
        },
        json: json(&report),
    }
}

async fn mail_check(work: &Work<'_>) -> JobAnswer {
    let mut checks = Checks::default();
    crate::services::checks::smtp(&mut checks, work.settings).await;
    crate::services::checks::imap(&mut checks, work.settings).await;
    let failed = checks.failed();
    JobAnswer {
        exit_code: if failed == 0 { 0 } else { REFUSED },
        out: checks.checks.iter().map(|c| c.line() + "\n").collect(),
        err: if failed == 0 {
            String::new()
        } else {
            format!("{failed} mục kiểm tra không đạt")
        },
        json: json(&checks.checks),
    }
}

#[cfg(test)]
mod tests {
    use super::JobKind;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for kind in [JobKind::SendDue, JobKind::Reconcile, JobKind::MailCheck] {
            assert_eq!(JobKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(JobKind::parse("drop_tables"), None);
    }
}
