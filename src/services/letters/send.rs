//! The sender: claims due messages from the outbox with a lease, sends each over SMTP
//! outside any transaction, and records what happened. Temporary failures come back with
//! exponential backoff and jitter until `give-up-after` has passed; permanent ones fail the
//! message, and a recipient's permanent failure marks the address failing.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::adapters::clock::Clock;
use crate::adapters::smtp::{Attempt, FailureClass, Mailer, classify, login_refused};
use crate::adapters::store::{Outcome, OutgoingMessage, Store, StoreError};
use crate::domain::model::MessageKind;
use crate::domain::plan::duration_vi;

/// What one pass of [`send_due`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SendSummary {
    pub sent: usize,
    pub retry: usize,
    pub failed: usize,
    /// Attempts whose claim had expired before the outcome could be recorded.
    pub lost_claims: usize,
    /// The error of the last attempt that did not get through, when the last attempt
    /// failed: how the daemon tells that the mail server is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_problem: Option<String>,
    /// The server refused our login: its answer. The pass stopped there; the messages it
    /// had claimed wait for the next attempt without being tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_refused: Option<String>,
}

/// What a message claimed but not tried after a refused login records.
const NOT_TRIED: &str = "chưa gửi: máy chủ gửi thư từ chối đăng nhập của baocao";
/// How long messages not tried after a refused login wait.
const AFTER_REFUSED_LOGIN: Duration = Duration::minutes(5);

/// How temporary failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first temporary failure; it doubles each time, up to an hour.
    pub first: Duration,
    /// Temporary failures become permanent after this long.
    pub give_up_after: Duration,
}

impl RetryPolicy {
    pub fn from_settings(settings: &crate::adapters::config::Settings) -> RetryPolicy {
        RetryPolicy {
            first: settings.smtp.as_ref().map_or(Duration::minutes(2), |s| s.first_retry),
            give_up_after: Duration::minutes(settings.reminders.give_up_after_minutes),
        }
    }
}

/// How long a claim on a message lasts: `[smtp] claim-lease-seconds`.
pub fn lease(settings: &crate::adapters::config::Settings) -> Duration {
    settings
        .smtp
        .as_ref()
        .and_then(|s| Duration::from_std(s.claim_lease).ok())
        .unwrap_or(Duration::minutes(10))
}

/// The delay before the next attempt after `attempts` failed ones. `jitter` in [0, 1)
/// spreads retries by ±20 %.
pub fn retry_delay(attempts: i64, class: FailureClass, first: Duration, jitter: f64) -> Duration {
    let (base, cap) = match class {
        FailureClass::Temporary => (first.num_seconds().max(1), 60 * 60),
        FailureClass::MailboxFull | FailureClass::Operator => (60 * 60, 6 * 60 * 60),
        FailureClass::Recipient => (0, 0),
    };
    let exponent = (attempts.max(1) - 1).min(16) as u32;
    let seconds = (base.saturating_mul(2i64.pow(exponent))).min(cap.max(base)) as f64;
    let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    Duration::seconds((seconds * factor).round() as i64)
}

/// What the outbox records for an attempt made at `now`.
pub fn outcome_of(
    attempt: Attempt,
    message: &OutgoingMessage,
    retry: &RetryPolicy,
    now: DateTime<Utc>,
    jitter: f64,
) -> Outcome {
    let (code, permanent, text) = match attempt {
        Attempt::Accepted(response) => return Outcome::Sent(response),
        Attempt::Refused { code, permanent, text } => (code, permanent, text),
    };
    let class = classify(code, permanent, &text);
    if class == FailureClass::Recipient {
        return Outcome::Failed {
            error: text,
            address_failing: message.kind != MessageKind::Digest.as_str(),
        };
    }
    let next = now + retry_delay(message.attempts, class, retry.first, jitter);
    let since = message.retry_since.unwrap_or(message.created_at);
    if next > since + retry.give_up_after {
        return Outcome::Failed {
            error: format!(
                "{text}; đã thử {} lần trong {}, ngừng gửi",
                message.attempts,
                duration_vi((now - since).num_minutes().max(1))
            ),
            address_failing: false,
        };
    }
    Outcome::Retry { error: text, at: next }
}

/// Who sends, how, and until when: everything one pass of [`send_due`] works with.
pub struct SendPass<'a> {
    pub store: &'a Store,
    pub mailer: &'a Mailer,
    /// This instance's name on its claims.
    pub worker: &'a str,
    pub concurrency: usize,
    pub retry: RetryPolicy,
    /// How long a claim is ours; longer than one send's timeout, renewed before a send it
    /// would not cover.
    pub lease: Duration,
    /// Outside the send window only the digest and receipts go.
    pub window_open: bool,
    /// Read for every claim, renewal and outcome: a pass may last longer than a lease.
    pub clock: Clock,
    /// Once cancelled, no further batch is claimed (the sends under way finish and are
    /// recorded).
    pub stop: &'a CancellationToken,
    /// Once cancelled, sends still talking to the server are abandoned: nothing is recorded
    /// for them and their claims stay, for the caller to release (never a half-written record).
    pub cut: &'a CancellationToken,
}

/// Sends every message that is due, `concurrency` at a time. Messages are claimed in
/// batches with a lease from the clock's current time; the next batch is claimed while the
/// last messages of the previous one are still being sent, so the connections never wait
/// for the database. Before each send the claim must outlast the send's timeout, or it is
/// renewed first; a message whose claim has already run out (another instance may have
/// taken it over) is left alone. So an instance never sends a message it no longer holds,
/// and two instances on one database never send the same message twice however long a
/// pass lasts.
///
/// Outcomes are recorded as soon as the attempt ends, by one recorder that writes every
/// outcome waiting at that moment in one transaction (one when the server is slow, several
/// when it is fast). Within a pass the claims, renewals and records take turns on one
/// lock instead of queueing on SQLite's writer lock.
pub async fn send_due(pass: &SendPass<'_>) -> Result<SendSummary, StoreError> {
    pass.store.cancel_obsolete_messages(pass.clock.now()).await?;
    let flow = &Flow {
        pass,
        writes: tokio::sync::Mutex::new(()),
        refused: AtomicBool::new(false),
        halted: AtomicBool::new(false),
    };
    let (report, reports) = tokio::sync::mpsc::unbounded_channel();
    let (sent, recorded) = tokio::join!(
        async move {
            let sent = send_all(flow, &report).await;
            // Every send has reported: the recorder ends once it has recorded them.
            drop(report);
            sent
        },
        record_all(flow, reports)
    );
    let summary = recorded?;
    sent?;
    Ok(summary)
}

/// What the sends of one pass share.
struct Flow<'a> {
    pass: &'a SendPass<'a>,
    /// One writer at a time: claims, renewals and records of this pass.
    writes: tokio::sync::Mutex<()>,
    /// The server refused our login: nothing more is tried in this pass.
    refused: AtomicBool,
    /// The outcomes cannot be recorded (a database error): nothing more is sent.
    halted: AtomicBool,
}

/// Where each send reports to the recorder.
type Reports = tokio::sync::mpsc::UnboundedSender<Report>;

/// A claimed message and how long the claim is known to last.
struct Held {
    message: OutgoingMessage,
    until: DateTime<Utc>,
}

/// What one claimed message came to, for the recorder.
enum Report {
    /// An attempt to record (or a message put back untried after a refused login), with
    /// the server's answer if it refused our login.
    Attempted {
        message: Box<OutgoingMessage>,
        outcome: Outcome,
        at: DateTime<Utc>,
        login: Option<String>,
    },
    /// The claim ran out before the send: nothing sent, nothing to record.
    Lost,
}

/// Claims and sends until nothing is due, the pass is stopped, or the login was refused.
async fn send_all(flow: &Flow<'_>, report: &Reports) -> Result<(), StoreError> {
    let mut batch = claim_batch(flow).await?;
    let Some(first) = batch.pop_front() else {
        return Ok(());
    };
    // The pass's first message goes alone: if the server refuses our login, it hears the
    // wrong password once, not once per connection.
    send_one(flow, report, first).await?;
    let concurrency = flow.pass.concurrency.max(1);
    let mut sends = futures::stream::FuturesUnordered::new();
    let mut first_error = None;
    let mut more = true;
    loop {
        while sends.len() < concurrency {
            let Some(held) = batch.pop_front() else { break };
            sends.push(send_one(flow, report, held));
        }
        if batch.is_empty() && more && flow.may_claim() {
            // Claim the next batch while the last sends of this one go on.
            let claim = std::pin::pin!(claim_batch(flow));
            let claimed = drive_while(&mut sends, &mut first_error, flow, claim).await;
            match claimed {
                Ok(claimed) => {
                    more = !claimed.is_empty();
                    batch = claimed;
                }
                Err(error) => {
                    flow.halted.store(true, Ordering::SeqCst);
                    first_error.get_or_insert(error);
                    more = false;
                }
            }
            continue;
        }
        match sends.next().await {
            Some(sent) => note_error(sent, &mut first_error, flow),
            None if batch.is_empty() => break,
            None => {}
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Runs `work` to its end while the sends under way go on (and finish).
async fn drive_while<S, W, T>(
    sends: &mut futures::stream::FuturesUnordered<S>,
    first_error: &mut Option<StoreError>,
    flow: &Flow<'_>,
    mut work: std::pin::Pin<&mut W>,
) -> T
where
    S: std::future::Future<Output = Result<(), StoreError>>,
    W: std::future::Future<Output = T>,
{
    loop {
        tokio::select! {
            biased;
            done = &mut work => return done,
            Some(sent) = sends.next(), if !sends.is_empty() => note_error(sent, first_error, flow),
        }
    }
}

/// A database error stops further sends; the ones under way finish.
fn note_error(sent: Result<(), StoreError>, first_error: &mut Option<StoreError>, flow: &Flow<'_>) {
    if let Err(error) = sent {
        flow.halted.store(true, Ordering::SeqCst);
        first_error.get_or_insert(error);
    }
}

impl Flow<'_> {
    fn may_claim(&self) -> bool {
        !self.pass.stop.is_cancelled() && !self.refused.load(Ordering::SeqCst) && !self.halted.load(Ordering::SeqCst)
    }
}

/// Claims the next batch of due messages with a lease from now.
async fn claim_batch(flow: &Flow<'_>) -> Result<std::collections::VecDeque<Held>, StoreError> {
    let pass = flow.pass;
    let _writing = flow.writes.lock().await;
    let now = pass.clock.now();
    let until = now + pass.lease;
    let claimed = pass
        .store
        .claim_messages(pass.worker, now, until, pass.window_open, (pass.concurrency * 4) as i64)
        .await?;
    Ok(claimed.into_iter().map(|message| Held { message, until }).collect())
}

/// One claimed message: make sure the claim outlasts the send, send, report the outcome.
/// After a refused login the message is put back for later without being tried.
async fn send_one(flow: &Flow<'_>, report: &Reports, held: Held) -> Result<(), StoreError> {
    let (pass, store, worker) = (flow.pass, flow.pass.store, flow.pass.worker);
    let Held { message, until } = held;
    let now = pass.clock.now();
    // The send is cut off after the mailer's timeout: a claim that lasts longer than that
    // covers it. Otherwise (a message that waited its turn, a slow server) renew it first.
    let timeout = Duration::from_std(pass.mailer.timeout()).unwrap_or(Duration::MAX);
    if until - now <= timeout {
        let renewed = {
            let _writing = flow.writes.lock().await;
            let now = pass.clock.now();
            store.renew_claim(message.id, worker, now, now + pass.lease).await?
        };
        if !renewed {
            tracing::warn!(
                id = message.id,
                to = %message.to_address,
                "claim ran out before the send; left to whoever holds it now"
            );
            let _ = report.send(Report::Lost);
            return Ok(());
        }
    }
    if flow.halted.load(Ordering::SeqCst) {
        // Its outcome could not be recorded: leave it claimed, it goes again when the
        // claim runs out.
        return Ok(());
    }
    if flow.refused.load(Ordering::SeqCst) {
        // One refused login is enough: do not try the password again and again.
        let now = pass.clock.now();
        let outcome = Outcome::Retry {
            error: NOT_TRIED.to_string(),
            at: now + AFTER_REFUSED_LOGIN,
        };
        let _ = report.send(Report::Attempted {
            message: Box::new(message),
            outcome,
            at: now,
            login: None,
        });
        return Ok(());
    }
    let attempt = tokio::select! {
        attempt = pass.mailer.send(&message) => attempt,
        () = pass.cut.cancelled() => {
            tracing::warn!(id = message.id, to = %message.to_address, "a send was cut off by the stop; its claim is released");
            return Ok(());
        }
    };
    let login = match &attempt {
        Attempt::Refused { code, permanent, text } if login_refused(*code, *permanent, text) => {
            flow.refused.store(true, Ordering::SeqCst);
            Some(text.clone())
        }
        _ => None,
    };
    let now = pass.clock.now();
    let outcome = outcome_of(attempt, &message, &pass.retry, now, rand::random::<f64>());
    log_outcome(&message, &outcome);
    let _ = report.send(Report::Attempted {
        message: Box::new(message),
        outcome,
        at: now,
        login,
    });
    Ok(())
}

/// Records outcomes as they come, every one waiting at that moment in one transaction,
/// until every send has reported; counts them.
async fn record_all(
    flow: &Flow<'_>,
    mut reports: tokio::sync::mpsc::UnboundedReceiver<Report>,
) -> Result<SendSummary, StoreError> {
    let pass = flow.pass;
    let mut summary = SendSummary::default();
    let mut waiting = Vec::new();
    loop {
        // Zero once every send is over and everything it reported is recorded.
        if reports.recv_many(&mut waiting, 256).await == 0 {
            break;
        }
        let mut attempts = Vec::with_capacity(waiting.len());
        for report in waiting.drain(..) {
            match report {
                Report::Lost => summary.lost_claims += 1,
                Report::Attempted {
                    message,
                    outcome,
                    at,
                    login,
                } => attempts.push((message, outcome, at, login)),
            }
        }
        if attempts.is_empty() {
            continue;
        }
        let recorded = {
            let _writing = flow.writes.lock().await;
            let rows: Vec<(&OutgoingMessage, &Outcome, DateTime<Utc>)> = attempts
                .iter()
                .map(|(message, outcome, at, _)| (message.as_ref(), outcome, *at))
                .collect();
            pass.store.record_outcomes(pass.worker, &rows).await
        };
        let recorded = match recorded {
            Ok(recorded) => recorded,
            Err(error) => {
                flow.halted.store(true, Ordering::SeqCst);
                return Err(error);
            }
        };
        for ((_, outcome, _, login), recorded) in attempts.into_iter().zip(recorded) {
            if login.is_some() {
                summary.login_refused = login;
            }
            if !recorded {
                summary.lost_claims += 1;
                continue;
            }
            match outcome {
                Outcome::Sent(_) => {
                    summary.sent += 1;
                    summary.last_problem = None;
                }
                Outcome::Retry { error, .. } => {
                    summary.retry += 1;
                    summary.last_problem = Some(error);
                }
                Outcome::Failed { .. } => summary.failed += 1,
            }
        }
    }
    Ok(summary)
}

fn log_outcome(message: &OutgoingMessage, outcome: &Outcome) {
    match outcome {
        Outcome::Sent(response) => tracing::info!(
            id = message.id,
            to = %message.to_address,
            kind = %message.kind,
            %response,
            "message sent"
        ),
        Outcome::Retry { error, at } => tracing::warn!(
            id = message.id,
            to = %message.to_address,
            attempt = message.attempts,
            %error,
            next_attempt = %at,
            "send failed, will retry"
        ),
        Outcome::Failed { error, address_failing } => tracing::error!(
            id = message.id,
            to = %message.to_address,
            %error,
            address_failing,
            "send failed permanently"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn message(attempts: i64) -> OutgoingMessage {
        let at = Utc.with_ymd_and_hms(2025, 1, 6, 2, 0, 0).unwrap();
        OutgoingMessage {
            id: 1,
            slot_id: Some(1),
            kind: "reminder".into(),
            request_id: Some(crate::domain::model::RequestId::new(1)),
            unit_id: Some(crate::domain::model::UnitId::new(1)),
            to_address: "a@b.vn".into(),
            to_name: None,
            message_id: "x@y".into(),
            subject: "s".into(),
            body: "b".into(),
            body_html: None,
            state: "sending".into(),
            attempts,
            next_attempt_at: at,
            claimed_by: Some("w".into()),
            claim_expires_at: None,
            smtp_response: None,
            last_error: None,
            created_at: at,
            sent_at: None,
            retry_since: Some(at),
            in_reply_to: None,
            references_ids: None,
            cc_addresses: None,
            files: Vec::new(),
        }
    }

    fn policy(give_up_minutes: i64) -> RetryPolicy {
        RetryPolicy {
            first: Duration::minutes(2),
            give_up_after: Duration::minutes(give_up_minutes),
        }
    }

    fn m_at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 6, 3, 0, 0).unwrap()
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let (first, quick) = (Duration::minutes(2), Duration::seconds(5));
        // (attempts, class, first delay, jitter) → delay
        let cases = [
            (1, FailureClass::Temporary, first, 0.5, Duration::minutes(2)),
            (3, FailureClass::Temporary, first, 0.5, Duration::minutes(8)),
            (30, FailureClass::Temporary, first, 0.5, Duration::minutes(60)),
            (1, FailureClass::Temporary, first, 0.0, Duration::seconds(96)),
            (1, FailureClass::Temporary, first, 1.0, Duration::seconds(144)),
            (1, FailureClass::Operator, first, 0.5, Duration::minutes(60)),
            (3, FailureClass::Temporary, quick, 0.5, Duration::seconds(20)),
        ];
        for (attempts, class, start, jitter, expected) in cases {
            assert_eq!(
                retry_delay(attempts, class, start, jitter),
                expected,
                "{attempts} attempts, {class:?}, jitter {jitter}"
            );
        }
    }

    #[test]
    fn temporary_failures_retry_until_the_give_up_time() {
        let m = message(2);
        let now = m.created_at + Duration::minutes(5);
        let temporary = || Attempt::Refused {
            code: Some(450),
            permanent: false,
            text: "450 4.2.0 try again later".into(),
        };
        assert_eq!(
            outcome_of(temporary(), &m, &policy(3 * 24 * 60), now, 0.5),
            Outcome::Retry {
                error: "450 4.2.0 try again later".into(),
                at: now + Duration::minutes(4)
            }
        );
        let late = m.created_at + Duration::days(3);
        let Outcome::Failed { error, address_failing } = outcome_of(temporary(), &m, &policy(3 * 24 * 60), late, 0.5)
        else {
            panic!("not given up")
        };
        assert!(!address_failing);
        assert!(error.contains("ngừng gửi"), "{error}");
    }

    #[test]
    fn a_recipient_refusal_fails_at_once_and_marks_the_address() {
        let refused = Attempt::Refused {
            code: Some(550),
            permanent: true,
            text: "550 5.1.1 mailbox unavailable".into(),
        };
        let outcome = outcome_of(refused, &message(1), &policy(60), m_at(), 0.5);
        assert_eq!(
            outcome,
            Outcome::Failed {
                error: "550 5.1.1 mailbox unavailable".into(),
                address_failing: true
            }
        );
        assert_eq!(
            outcome_of(
                Attempt::Accepted("250 ok".into()),
                &message(1),
                &policy(60),
                m_at(),
                0.5
            ),
            Outcome::Sent("250 ok".into())
        );
    }
}
