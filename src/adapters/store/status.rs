//! The facts the status table is computed from, for one request: each unit it names, that
//! unit's submissions, open review items and last reminder. What the facts mean is decided
//! in `report::status`, not here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Store, StoreResult, on_pool};
use crate::domain::model::{EmailAddress, IncomingId, RequestId, SubmissionVia, UnitId};
use crate::domain::report::status::{StateFacts, StatusFacts, SubmissionFact};

#[derive(sqlx::FromRow)]
struct UnitFactRow {
    unit_id: UnitId,
    code: String,
    name: String,
    extended_deadline: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct SubmissionRow {
    unit_id: UnitId,
    received_at: DateTime<Utc>,
    via: String,
    late: bool,
    attachments: String,
    incoming_id: Option<IncomingId>,
}

/// Units, submissions, open review counts, last reminders, groups (code and display name)
/// and failing addresses.
type FactRows = (
    Vec<UnitFactRow>,
    Vec<SubmissionRow>,
    Vec<(UnitId, i64)>,
    Vec<(UnitId, Option<DateTime<Utc>>, i64)>,
    Vec<(UnitId, String, Option<String>)>,
    Vec<(UnitId, String)>,
);

// The queries of `status_facts`, one request's facts (constants, so the query-plan test
// in tests/it/query_plans.rs checks these very texts).
/// The units a request (`$1`) names.
pub(crate) const STATUS_UNITS: &str = "SELECT u.id AS unit_id, u.code, u.name, ru.extended_deadline FROM request_units ru \
                 JOIN units u ON u.id = ru.unit_id WHERE ru.request_id = $1 ORDER BY u.code";
/// Its submissions.
pub(crate) const STATUS_SUBMISSIONS: &str = "SELECT unit_id, received_at, via, late, attachments, incoming_id FROM submissions \
                 WHERE request_id = $1 ORDER BY received_at, id";
/// Its open review items, counted by unit.
pub(crate) const STATUS_REVIEWS: &str = "SELECT COALESCE(unit_id, suggested_unit_id) AS unit, COUNT(*) FROM review_items \
                 WHERE state = 'open' AND request_id = $1 AND COALESCE(unit_id, suggested_unit_id) IS NOT NULL \
                 GROUP BY COALESCE(unit_id, suggested_unit_id)";
/// Its reminders sent, the last and how many, by unit.
pub(crate) const STATUS_REMINDERS: &str = "SELECT unit_id, MAX(sent_at), COUNT(*) FROM outgoing_messages \
                 WHERE request_id = $1 AND state = 'sent' AND unit_id IS NOT NULL \
                 AND kind IN ('notice', 'reminder', 'overdue') GROUP BY unit_id";
/// The groups of its units, with display names.
pub(crate) const STATUS_GROUPS: &str = "SELECT g.unit_id, g.group_code, n.name FROM unit_groups g JOIN request_units ru ON ru.unit_id = g.unit_id \
                 LEFT JOIN unit_group_names n ON n.group_code = g.group_code \
                 WHERE ru.request_id = $1 ORDER BY g.group_code";
/// The failing addresses of its units.
pub(crate) const STATUS_FAILING: &str = "SELECT a.unit_id, a.address FROM unit_addresses a JOIN request_units ru ON ru.unit_id = a.unit_id \
                 WHERE ru.request_id = $1 AND a.failing_since IS NOT NULL ORDER BY a.position";

/// For every active request, its units grouped by what decides their state (see
/// `StateFacts`), with how many units share each: the overview's counts in one query.
pub(crate) const STATE_GROUPS: &str = "WITH sub AS (SELECT request_id, unit_id, \
                 SUM(CASE WHEN late THEN 0 ELSE 1 END) AS on_time FROM submissions GROUP BY request_id, unit_id), \
                 rev AS (SELECT DISTINCT request_id, COALESCE(unit_id, suggested_unit_id) AS unit_id FROM review_items \
                 WHERE state = 'open' AND request_id IS NOT NULL), \
                 went AS (SELECT DISTINCT request_id, unit_id FROM outgoing_messages \
                 WHERE state = 'sent' AND unit_id IS NOT NULL AND kind IN ('notice', 'reminder', 'overdue')) \
                 SELECT ru.request_id, ru.extended_deadline, \
                 CASE WHEN sub.on_time > 0 THEN 1 ELSE 0 END AS on_time, \
                 CASE WHEN sub.unit_id IS NULL THEN 0 ELSE 1 END AS reported, \
                 CASE WHEN rev.unit_id IS NULL THEN 0 ELSE 1 END AS in_review, \
                 CASE WHEN went.unit_id IS NULL THEN 0 ELSE 1 END AS informed, COUNT(*) AS units \
                 FROM request_units ru JOIN requests r ON r.id = ru.request_id \
                 LEFT JOIN sub ON sub.request_id = ru.request_id AND sub.unit_id = ru.unit_id \
                 LEFT JOIN rev ON rev.request_id = ru.request_id AND rev.unit_id = ru.unit_id \
                 LEFT JOIN went ON went.request_id = ru.request_id AND went.unit_id = ru.unit_id \
                 WHERE r.state = 'active' GROUP BY ru.request_id, ru.extended_deadline, 3, 4, 5, 6";

#[derive(sqlx::FromRow)]
struct StateGroupRow {
    request_id: RequestId,
    extended_deadline: Option<DateTime<Utc>>,
    on_time: i32,
    reported: i32,
    in_review: i32,
    informed: i32,
    units: i64,
}

impl Store {
    /// Every active request's units, grouped by the facts that decide their state, with how
    /// many units share them ([`STATE_GROUPS`]).
    pub async fn active_state_groups(&self) -> StoreResult<HashMap<RequestId, Vec<(StateFacts, usize)>>> {
        let rows: Vec<StateGroupRow> = on_pool!(self, |pool| sqlx::query_as(STATE_GROUPS).fetch_all(pool).await?);
        let mut groups: HashMap<RequestId, Vec<(StateFacts, usize)>> = HashMap::new();
        for row in rows {
            let facts = StateFacts {
                extended_deadline: row.extended_deadline,
                on_time: row.on_time != 0,
                reported: row.reported != 0,
                in_review: row.in_review != 0,
                informed: row.informed != 0,
            };
            groups
                .entry(row.request_id)
                .or_default()
                .push((facts, usize::try_from(row.units).unwrap_or(0)));
        }
        Ok(groups)
    }

    pub async fn status_facts(&self, request_id: RequestId) -> StoreResult<Vec<StatusFacts>> {
        let (units, submissions, reviews, reminders, groups, failing): FactRows = on_pool!(self, |pool| {
            let units = sqlx::query_as(STATUS_UNITS).bind(request_id).fetch_all(pool).await?;
            let submissions = sqlx::query_as(STATUS_SUBMISSIONS)
                .bind(request_id)
                .fetch_all(pool)
                .await?;
            let reviews = sqlx::query_as(STATUS_REVIEWS).bind(request_id).fetch_all(pool).await?;
            let reminders = sqlx::query_as(STATUS_REMINDERS)
                .bind(request_id)
                .fetch_all(pool)
                .await?;
            let groups = sqlx::query_as(STATUS_GROUPS).bind(request_id).fetch_all(pool).await?;
            let failing = sqlx::query_as(STATUS_FAILING).bind(request_id).fetch_all(pool).await?;
            (units, submissions, reviews, reminders, groups, failing)
        });
        let mut submissions_by_unit: HashMap<UnitId, Vec<SubmissionFact>> = HashMap::new();
        for row in submissions {
            let via = SubmissionVia::parse(&row.via).ok_or_else(|| super::StoreError::Corrupt {
                column: "submissions.via",
                value: row.via.clone(),
            })?;
            let attachments = attachment_names(&row.attachments);
            submissions_by_unit
                .entry(row.unit_id)
                .or_default()
                .push(SubmissionFact {
                    received_at: row.received_at,
                    via,
                    late: row.late,
                    attachments,
                    incoming_id: row.incoming_id,
                });
        }
        let reviews: HashMap<UnitId, i64> = reviews.into_iter().collect();
        let reminders: HashMap<UnitId, (Option<DateTime<Utc>>, i64)> = reminders
            .into_iter()
            .map(|(unit, last, count)| (unit, (last, count)))
            .collect();
        let mut groups_by_unit: HashMap<UnitId, (Vec<String>, Vec<String>)> = HashMap::new();
        for (unit_id, group, name) in groups {
            let (codes, names) = groups_by_unit.entry(unit_id).or_default();
            names.push(name.unwrap_or_else(|| group.clone()));
            codes.push(group);
        }
        let mut failing_by_unit: HashMap<UnitId, Vec<EmailAddress>> = HashMap::new();
        for (unit_id, address) in failing {
            if let Ok(address) = EmailAddress::parse(&address) {
                failing_by_unit.entry(unit_id).or_default().push(address);
            }
        }
        units
            .into_iter()
            .map(|row| {
                let (groups, group_names) = groups_by_unit.remove(&row.unit_id).unwrap_or_default();
                Ok(StatusFacts {
                    unit: super::units::parse_unit_code(&row.code)?,
                    unit_name: row.name,
                    groups,
                    group_names,
                    extended_deadline: row.extended_deadline,
                    submissions: submissions_by_unit.remove(&row.unit_id).unwrap_or_default(),
                    open_review_items: reviews.get(&row.unit_id).copied().unwrap_or(0),
                    last_reminder_at: reminders.get(&row.unit_id).and_then(|r| r.0),
                    reminders_sent: reminders.get(&row.unit_id).map_or(0, |r| r.1),
                    failing_addresses: failing_by_unit.remove(&row.unit_id).unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// Attachment lists are stored as JSON arrays of `{"name": …, "size": …}`.
fn attachment_names(json: &str) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Entry {
        name: String,
    }
    serde_json::from_str::<Vec<Entry>>(json)
        .map(|v| v.into_iter().map(|e| e.name).collect())
        .unwrap_or_default()
}

/// One received message a search found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct FoundMessage {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    pub from_address: Option<String>,
    pub subject: Option<String>,
    pub state: String,
    pub reason: String,
    pub unit_code: Option<String>,
    pub request_token: Option<String>,
}

impl Store {
    /// Received messages whose sender address or subject holds `text` (ASCII letters match
    /// whatever their case), newest first, at most `limit`.
    pub async fn search_messages(&self, text: &str, limit: i64) -> StoreResult<Vec<FoundMessage>> {
        let escaped = text
            .trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{}%", escaped.to_lowercase());
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT m.id, m.received_at, m.from_address, m.subject, m.state, m.reason, u.code AS unit_code, \
                 r.token AS request_token FROM incoming_messages m \
                 LEFT JOIN units u ON u.id = m.unit_id LEFT JOIN requests r ON r.id = m.request_id \
                 WHERE lower(COALESCE(m.from_address, '')) LIKE $1 ESCAPE '\\' \
                 OR lower(COALESCE(m.subject, '')) LIKE $1 ESCAPE '\\' \
                 ORDER BY m.id DESC LIMIT $2",
            )
            .bind(&pattern)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }
}
