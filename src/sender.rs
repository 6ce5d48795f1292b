//! The sender: claims due messages from the outbox with a lease, sends each over SMTP
//! outside any transaction, and records what happened. Temporary failures come back with
//! exponential backoff and jitter until `give-up-after` has passed; permanent ones fail the
//! message, and a recipient's permanent failure marks the address failing.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use serde::Serialize;

use crate::clock::Clock;
use crate::domain::plan::duration_vi;
use crate::mailer::{Attempt, FailureClass, Mailer, classify, login_refused};
use crate::store::{Outcome, OutgoingMessage, Store, StoreError};

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
    pub fn from_settings(settings: &crate::config::Settings) -> RetryPolicy {
        RetryPolicy {
            first: settings.smtp.as_ref().map_or(Duration::minutes(2), |s| s.first_retry),
            give_up_after: Duration::minutes(settings.reminders.give_up_after_minutes),
        }
    }
}

/// How long a claim on a message lasts: `[smtp] claim-lease-seconds`.
pub fn lease(settings: &crate::config::Settings) -> Duration {
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
            address_failing: message.kind != "digest",
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
    /// How long a claim is ours; renewed before each send, longer than one send's timeout.
    pub lease: Duration,
    /// Outside the send window only the digest and receipts go.
    pub window_open: bool,
    /// Read for every claim, renewal and outcome: a pass may last longer than a lease.
    pub clock: Clock,
    /// Once set, no further batch is claimed (the one in flight finishes).
    pub stop: &'a AtomicBool,
}

/// Sends every message that is due, `concurrency` at a time. Each batch is claimed with a
/// lease from the clock's current time; before each send the lease is renewed, and a
/// message whose lease has already run out (another instance may have taken it over) is
/// left alone. So an instance never sends a message it no longer holds, and two instances
/// on one database never send the same message twice however long a pass lasts.
pub async fn send_due(pass: &SendPass<'_>) -> Result<SendSummary, StoreError> {
    let mut summary = SendSummary::default();
    pass.store.cancel_obsolete_messages(pass.clock.now()).await?;
    let refused = AtomicBool::new(false);
    let mut first = true;
    while !pass.stop.load(Ordering::SeqCst) && !refused.load(Ordering::SeqCst) {
        let now = pass.clock.now();
        let mut batch = pass
            .store
            .claim_messages(
                pass.worker,
                now,
                now + pass.lease,
                pass.window_open,
                (pass.concurrency * 4) as i64,
            )
            .await?;
        if batch.is_empty() {
            break;
        }
        let mut results = Vec::new();
        if std::mem::take(&mut first) {
            // The pass's first message goes alone: if the server refuses our login, it hears
            // the wrong password once, not once per connection.
            let message = batch.remove(0);
            results.push(send_one(pass, &refused, message).await);
        }
        results.extend(
            futures::stream::iter(batch)
                .map(|message| send_one(pass, &refused, message))
                .buffer_unordered(pass.concurrency.max(1))
                .collect::<Vec<_>>()
                .await,
        );
        for result in results {
            let Some((outcome, recorded, login)) = result? else {
                summary.lost_claims += 1;
                continue;
            };
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

/// One claimed message: renew the claim, send, record. `None` when the claim ran out first.
/// After a refused login (`refused`) the message is put back for later without being tried.
/// Returns the outcome, whether it was recorded, and the server's answer if it refused
/// our login.
async fn send_one(
    pass: &SendPass<'_>,
    refused: &AtomicBool,
    message: OutgoingMessage,
) -> Result<Option<(Outcome, bool, Option<String>)>, StoreError> {
    let (store, worker) = (pass.store, pass.worker);
    let now = pass.clock.now();
    if !store.renew_claim(message.id, worker, now, now + pass.lease).await? {
        tracing::warn!(
            id = message.id,
            to = %message.to_address,
            "claim ran out before the send; left to whoever holds it now"
        );
        return Ok(None);
    }
    if refused.load(Ordering::SeqCst) {
        // One refused login is enough: do not try the password again and again.
        let outcome = Outcome::Retry {
            error: NOT_TRIED.to_string(),
            at: now + AFTER_REFUSED_LOGIN,
        };
        let recorded = store.record_outcome(&message, worker, &outcome, now).await?;
        return Ok(Some((outcome, recorded, None)));
    }
    let attempt = pass.mailer.send(&message).await;
    let login = match &attempt {
        Attempt::Refused { code, permanent, text } if login_refused(*code, *permanent, text) => {
            refused.store(true, Ordering::SeqCst);
            Some(text.clone())
        }
        _ => None,
    };
    let now = pass.clock.now();
    let outcome = outcome_of(attempt, &message, &pass.retry, now, rand::random::<f64>());
    log_outcome(&message, &outcome);
    let recorded = store.record_outcome(&message, worker, &outcome, now).await?;
    Ok(Some((outcome, recorded, login)))
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
            request_id: Some(1),
            unit_id: Some(1),
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
        let first = Duration::minutes(2);
        assert_eq!(
            retry_delay(1, FailureClass::Temporary, first, 0.5),
            Duration::minutes(2)
        );
        assert_eq!(
            retry_delay(3, FailureClass::Temporary, first, 0.5),
            Duration::minutes(8)
        );
        assert_eq!(
            retry_delay(30, FailureClass::Temporary, first, 0.5),
            Duration::minutes(60)
        );
        assert_eq!(
            retry_delay(1, FailureClass::Temporary, first, 0.0),
            Duration::seconds(96)
        );
        assert_eq!(
            retry_delay(1, FailureClass::Temporary, first, 1.0),
            Duration::seconds(144)
        );
        assert_eq!(
            retry_delay(1, FailureClass::Operator, first, 0.5),
            Duration::minutes(60)
        );
        let quick = Duration::seconds(5);
        assert_eq!(
            retry_delay(3, FailureClass::Temporary, quick, 0.5),
            Duration::seconds(20)
        );
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
