//! The audit trail on the page (`/audit`, for a logged-in user of any role) and as CSV, and a
//! request's own history on its page.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::Value;

use super::super::WebState;
use super::super::auth::may_read_private;
use super::{current, page, store_failed};
use crate::adapters::store::{AuditFilter, AuditRow, AuditSubject, Via};
use crate::domain::dates::format_instant;
use crate::domain::model::Request;

/// At most this many rows on the page and in one CSV.
const LIMIT: i64 = 500;

/// The filter a query string asks, or the sentence saying which field is wrong.
fn filter_of(query: &HashMap<String, String>, zone: chrono_tz::Tz) -> Result<AuditFilter, String> {
    let text = |name: &str| query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let day = |name: &str, label: &str, through: bool| {
        text(name)
            .map(|value| crate::services::audit::day_bound(value, zone, through))
            .transpose()
            .map_err(|e| format!("{label}: {e}"))
    };
    let subject = match text("subject") {
        Some(value) => Some(AuditSubject::parse(value).ok_or_else(|| format!("không có loại \"{value}\""))?),
        None => None,
    };
    Ok(AuditFilter {
        subject,
        key: text("key").map(str::to_string),
        actor: text("by").map(str::to_string),
        since: day("since", "Từ ngày", false)?,
        until: day("until", "Đến ngày", true)?,
        request_id: None,
        limit: Some(LIMIT),
    })
}

/// One row as the page shows it.
pub(super) fn row_view(row: &AuditRow, zone: chrono_tz::Tz) -> Value {
    minijinja::context! {
        at => format_instant(row.at, zone),
        actor => row.actor.clone(),
        via => Via::label_vi(&row.via),
        subject => AuditSubject::label_vi(&row.subject),
        key => row.subject_key.clone(),
        change => crate::services::audit::change_vi(row),
    }
}

pub async fn audit(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let viewer = match may_read_private(&state, &headers, "/audit") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let zone = current(&state).settings.office.zone;
    let (rows, problem) = match filter_of(&query, zone) {
        Ok(filter) => match state.store.audit(&filter).await {
            Ok(rows) => (rows, None),
            Err(e) => return store_failed(e),
        },
        Err(problem) => (Vec::new(), Some(problem)),
    };
    let subjects: Vec<Value> = AuditSubject::ALL
        .iter()
        .map(|s| minijinja::context! { value => s.as_str(), label => AuditSubject::label_vi(s.as_str()) })
        .collect();
    let field = |name: &str| query.get(name).cloned().unwrap_or_default();
    let encoded: Vec<String> = ["subject", "key", "by", "since", "until"]
        .iter()
        .filter_map(|name| {
            query
                .get(*name)
                .map(|v| format!("{name}={}", super::super::auth::url_escape(v)))
        })
        .collect();
    let context = minijinja::context! {
        page => "audit",
        rows => rows.iter().map(|r| row_view(r, zone)).collect::<Vec<_>>(),
        subjects => subjects,
        problem => problem,
        query => encoded.join("&"),
        filter => minijinja::context! {
            subject => field("subject"), key => field("key"), by => field("by"),
            since => field("since"), until => field("until"),
        },
    };
    page(&state, &viewer, "audit.html", context).await
}

pub async fn audit_csv(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = may_read_private(&state, &headers, "/audit") {
        return r;
    }
    let zone = current(&state).settings.office.zone;
    let filter = match filter_of(&query, zone) {
        Ok(filter) => filter,
        Err(problem) => return (StatusCode::BAD_REQUEST, problem).into_response(),
    };
    let rows = match state.store.audit(&filter).await {
        Ok(rows) => rows,
        Err(e) => return store_failed(e),
    };
    match crate::services::audit::to_csv(&rows, zone) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"nhat-ky-thay-doi.csv\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "the audit CSV could not be written");
            (StatusCode::INTERNAL_SERVER_ERROR, "Không tạo được tệp CSV.").into_response()
        }
    }
}

/// A request's history (its own changes, and decisions on its review items), for its page.
pub(super) async fn history_of(state: &WebState, request: &Request, zone: chrono_tz::Tz) -> Vec<Value> {
    let filter = AuditFilter {
        request_id: Some(request.id),
        limit: Some(100),
        ..Default::default()
    };
    match state.store.audit(&filter).await {
        Ok(rows) => {
            // From the row that made it: on SQLite a deleted draft's id may be given again.
            let made = rows
                .iter()
                .rposition(|r| r.subject == "request" && r.action == "create")
                .unwrap_or(0);
            rows[made..].iter().map(|r| row_view(r, zone)).collect()
        }
        Err(error) => {
            tracing::warn!(%error, "a request's history could not be read");
            Vec::new()
        }
    }
}
