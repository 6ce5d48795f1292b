//! Submissions: a unit's report for a request. Here only the ones a clerk records by hand
//! (paper, e-office); intake records the ones that come by email.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::outbox::REPORTED;
use super::review::supersede_reviews;
use super::slots::cancel_waiting_in;
use super::{Db, Store, StoreResult, on_pool, sql};
use crate::domain::model::{RequestId, UnitId};

/// A report that came through another channel.
#[derive(Debug, Clone)]
pub struct ManualSubmission<'a> {
    pub request_id: RequestId,
    pub unit_id: UnitId,
    pub received_at: DateTime<Utc>,
    pub late: bool,
    pub note: &'a str,
}

/// How many submissions a unit has for a request (more than none: the next one is a
/// resubmission).
pub(crate) async fn submission_count(db: &mut Db<'_>, request_id: RequestId, unit_id: UnitId) -> StoreResult<i64> {
    sql("SELECT COUNT(*) FROM submissions WHERE request_id = $1 AND unit_id = $2")
        .bind(request_id)
        .bind(unit_id)
        .fetch_scalar(db)
        .await
}

impl Store {
    /// Records a manual submission and, in the same transaction, cancels the unit's waiting
    /// reminders and queued messages for that request. Returns whether the unit had
    /// reported before (then this is a resubmission).
    pub async fn record_manual_submission(&self, s: &ManualSubmission<'_>, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let earlier = {
            let earlier = submission_count(db, s.request_id, s.unit_id).await?;
            sql(
                "INSERT INTO submissions (request_id, unit_id, incoming_id, via, received_at, late, attachments, note, \
                 is_resubmission, created_at) VALUES ($1, $2, NULL, 'manual', $3, $4, '[]', $5, $6, $7)",
            )
            .bind(s.request_id)
            .bind(s.unit_id)
            .bind(s.received_at)
            .bind(s.late)
            .bind(s.note)
            .bind(earlier > 0)
            .bind(now)
            .execute(db)
            .await?;
            let _cancelled = cancel_waiting_in(db, Some(s.request_id), Some(s.unit_id), REPORTED, now).await?;
            let _ = supersede_reviews(db, s.request_id, s.unit_id, None, now).await?;
            let (unit_code,): (String,) = sql("SELECT code FROM units WHERE id = $1")
                .bind(s.unit_id)
                .fetch_one(db)
                .await?;
            let (token,): (String,) = sql("SELECT token FROM requests WHERE id = $1")
                .bind(s.request_id)
                .fetch_one(db)
                .await?;
            let entry = super::AuditEntry::new(super::AuditSubject::Request, token, "mark")
                .of_request(s.request_id)
                .change(
                    format!("báo cáo của {unit_code}"),
                    None,
                    Some(if s.note.is_empty() {
                        "đã báo cáo (đánh dấu thủ công)".to_string()
                    } else {
                        format!("đã báo cáo (đánh dấu thủ công): {}", s.note)
                    }),
                );
            super::audit::write(db, &self.actor, [entry], now).await?;
            earlier > 0
        };
        tx.commit().await?;
        Ok(earlier)
    }

    /// Every (request, unit) that has at least one submission, for active requests.
    pub async fn reported_pairs(&self) -> StoreResult<HashSet<(RequestId, UnitId)>> {
        let rows: Vec<(RequestId, UnitId)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT DISTINCT s.request_id, s.unit_id FROM submissions s \
                 JOIN requests r ON r.id = s.request_id WHERE r.state = 'active'",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().collect())
    }

    /// The deadline one unit must meet for one request: its granted later deadline, else
    /// the request's.
    pub async fn unit_deadline(
        &self,
        request: &crate::domain::model::Request,
        unit_id: UnitId,
    ) -> StoreResult<DateTime<Utc>> {
        let extended: Option<(Option<DateTime<Utc>>,)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT extended_deadline FROM request_units WHERE request_id = $1 AND unit_id = $2")
                .bind(request.id)
                .bind(unit_id)
                .fetch_optional(pool)
                .await?
        });
        let Some(deadline) = request.deadline else {
            return Err(super::StoreError::Rejected(vec![format!(
                "{} là văn bản để biết, không yêu cầu báo cáo: không có hạn, không ghi nhận báo cáo",
                request.token
            )]));
        };
        Ok(extended.and_then(|(d,)| d).unwrap_or(deadline))
    }

    /// The later deadlines granted to units: `(request, unit) → deadline`.
    pub async fn extended_deadlines(
        &self,
    ) -> StoreResult<std::collections::HashMap<(RequestId, UnitId), DateTime<Utc>>> {
        let rows: Vec<(RequestId, UnitId, DateTime<Utc>)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT request_id, unit_id, extended_deadline FROM request_units WHERE extended_deadline IS NOT NULL",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(r, u, d)| ((r, u), d)).collect())
    }
}

impl Store {
    /// Messages waiting for a person in the review queue.
    pub async fn open_review_count(&self) -> StoreResult<i64> {
        let (count,): (i64,) = on_pool!(self, |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM review_items WHERE state = 'open'")
                .fetch_one(pool)
                .await?
        });
        Ok(count)
    }
}
