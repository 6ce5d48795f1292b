//! What the running service tells other processes about itself: its status line and the
//! mail-server problems it sees, one row per daemon instance, and the few counts its
//! status line needs. Also the release of claims a stopping daemon could not finish.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Store, StoreResult, on_pool, on_writer, sql};
use crate::domain::model::IncomingId;

/// The last word of one daemon instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ServiceHealth {
    pub instance: String,
    pub pid: i64,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub status_line: String,
    /// The report mailbox cannot be read: why.
    pub imap_problem: Option<String>,
    /// Mail cannot be sent: the last server answer or network error.
    pub smtp_problem: Option<String>,
    /// Which servers refused the service's login: `imap`, `smtp` or `imap smtp`.
    pub login_refused: Option<String>,
    /// The status line in Vietnamese, for the clerk.
    pub status_vi: Option<String>,
}

/// What `/metrics` counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricCounts {
    /// (state, reason, count)
    pub incoming: Vec<(String, String, i64)>,
    /// (kind, state, count)
    pub outgoing: Vec<(String, String, i64)>,
    pub queue_depth: i64,
    pub review_open: i64,
}

impl Store {
    pub async fn metric_counts(&self) -> StoreResult<MetricCounts> {
        let incoming: Vec<(String, String, i64)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT state, reason, COUNT(*) FROM incoming_messages GROUP BY state, reason ORDER BY state, reason",
            )
            .fetch_all(pool)
            .await?
        });
        let outgoing: Vec<(String, String, i64)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT kind, state, COUNT(*) FROM outgoing_messages GROUP BY kind, state ORDER BY kind, state",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(MetricCounts {
            incoming,
            outgoing,
            queue_depth: self.outbox_depth().await?,
            review_open: self.open_review_count().await?,
        })
    }

    /// Where the kept copy of an incoming message is.
    pub async fn incoming_raw_path(&self, id: IncomingId) -> StoreResult<Option<String>> {
        let row: Option<(Option<String>,)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT raw_path FROM incoming_messages WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.and_then(|(path,)| path))
    }

    /// Writes (or replaces) an instance's row.
    pub async fn record_service_health(&self, health: &ServiceHealth) -> StoreResult<()> {
        on_writer!(self, |pool| {
            sqlx::query(
                "INSERT INTO service_health (instance, pid, started_at, updated_at, status_line, imap_problem, \
                 smtp_problem, login_refused, status_vi) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (instance) DO UPDATE SET pid = $2, started_at = $3, updated_at = $4, status_line = $5, \
                 imap_problem = $6, smtp_problem = $7, login_refused = $8, status_vi = $9",
            )
            .bind(&health.instance)
            .bind(health.pid)
            .bind(health.started_at)
            .bind(health.updated_at)
            .bind(&health.status_line)
            .bind(&health.imap_problem)
            .bind(&health.smtp_problem)
            .bind(&health.login_refused)
            .bind(&health.status_vi)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Every instance's last word, newest first.
    pub async fn service_health(&self) -> StoreResult<Vec<ServiceHealth>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT instance, pid, started_at, updated_at, status_line, imap_problem, smtp_problem, \
                 login_refused, status_vi FROM service_health ORDER BY updated_at DESC",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Removes an instance's row (a clean stop).
    pub async fn forget_service(&self, instance: &str) -> StoreResult<()> {
        on_writer!(self, |pool| {
            sqlx::query("DELETE FROM service_health WHERE instance = $1")
                .bind(instance)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Active requests, and the earliest reminder still planned for one of them.
    pub async fn service_counts(&self) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
        let (active,): (i64,) = on_pool!(self, |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM requests WHERE state = 'active'")
                .fetch_one(pool)
                .await?
        });
        let next: Option<(DateTime<Utc>,)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT s.due_at FROM reminder_slots s JOIN requests r ON r.id = s.request_id \
                 WHERE s.state = 'planned' AND r.state = 'active' ORDER BY s.due_at LIMIT 1",
            )
            .fetch_optional(pool)
            .await?
        });
        Ok((active, next.map(|(at,)| at)))
    }

    /// Puts the messages `worker` claimed but did not finish back in the queue at once (a
    /// stopping daemon that gave up waiting for a send); they may have reached the server,
    /// so one may go twice, never none. Returns how many.
    pub async fn release_claims(&self, worker: &str, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let released = {
            sql(
                "UPDATE outgoing_messages SET state = 'retry', claimed_by = NULL, claim_expires_at = NULL, \
                 next_attempt_at = $2, updated_at = $2 WHERE state = 'sending' AND claimed_by = $1",
            )
            .bind(worker)
            .bind(now)
            .execute(db)
            .await?
        };
        tx.commit().await?;
        Ok(released)
    }

    /// Writes and removes a row, to prove the database accepts writes.
    pub async fn check_writable(&self, now: DateTime<Utc>) -> StoreResult<()> {
        let probe = ServiceHealth {
            instance: format!("probe:{}", std::process::id()),
            pid: i64::from(std::process::id()),
            started_at: now,
            updated_at: now,
            status_line: "write probe".into(),
            imap_problem: None,
            smtp_problem: None,
            login_refused: None,
            status_vi: None,
        };
        self.record_service_health(&probe).await?;
        self.forget_service(&probe.instance).await
    }
}
