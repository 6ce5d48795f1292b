//! The pages and the actions behind their forms. Read pages gather facts from the store and
//! render a template; actions check the login and CSRF token, make the decision through
//! [`crate::decisions`] (the same code as the CLI) and send the browser back to the page.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use minijinja::Value;
use serde::{Deserialize, Serialize};

use super::auth::{Viewer, may_read, may_read_private, viewer};
use super::{WebState, now};
use crate::adapters::store::StoreError;
use crate::domain::dates::format_instant;
use crate::domain::incoming::Reason;
use crate::domain::model::{IncomingId, Request, RequestState, SubmissionVia};
use crate::domain::report::status::{RequestStatus, StateCounts, UnitState, request_status};
use crate::services::decisions::DecisionError;
use crate::services::letters::Setup;
use crate::services::reminders::{PlanLine, plan_view_each};
use crate::wiring::current::Current;

mod actions;
pub use actions::*;

mod downloads;
pub use downloads::*;

mod audit;
pub use audit::*;

mod outbox;
pub use outbox::*;

mod settings;
pub use settings::*;

mod series_new;
pub use series_new::*;

mod unit_page;
pub use unit_page::*;

mod letter_templates;
pub use letter_templates::*;

mod request_edit;
pub use request_edit::*;

mod requests;
pub use requests::*;

mod units;
pub use units::*;

mod series;
pub use series::*;

mod search;
pub use search::*;

pub fn current(state: &WebState) -> Arc<Current> {
    crate::wiring::current::read(&state.shared)
}

/// Renders a template with what every page shows (office, user, CSRF token).
pub fn render(state: &WebState, headers: &HeaderMap, name: &str, context: Value) -> Response {
    let viewer = viewer(state, headers);
    render_for(state, &viewer, name, context, 0)
}

fn render_for(state: &WebState, viewer: &Viewer, name: &str, context: Value, review_count: i64) -> Response {
    let office = current(state).settings.office.name.clone();
    let full = minijinja::context! {
        office => office,
        user => viewer.user.clone(),
        role => viewer.role.map(|r| r.label_vi()),
        role_code => viewer.role.map(|r| r.as_str()),
        may_change => viewer.may_change(),
        csrf => viewer.csrf.clone(),
        review_count => review_count,
        ..context
    };
    match state.templates.get_template(name).and_then(|t| t.render(full)) {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(template = name, error = %error, "a page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "Lỗi hiển thị trang.").into_response()
        }
    }
}

async fn page(state: &WebState, viewer: &Viewer, name: &str, context: Value) -> Response {
    let review_count = state.store.open_review_count().await.unwrap_or(0);
    render_for(state, viewer, name, context, review_count)
}

/// [`page`] answered with `status` (a form sent back with its refusals: 400), unless the page
/// itself failed.
async fn page_with_status(
    state: &WebState,
    viewer: &Viewer,
    name: &str,
    context: Value,
    status: StatusCode,
) -> Response {
    let mut response = page(state, viewer, name, context).await;
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}

fn store_failed(error: StoreError) -> Response {
    match error {
        StoreError::NotFound(text) => (StatusCode::NOT_FOUND, text).into_response(),
        StoreError::Rejected(_) => (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
        other => {
            tracing::error!(error = %other, "a page could not read the database");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "Không đọc được cơ sở dữ liệu, thử lại sau.",
            )
                .into_response()
        }
    }
}

fn refused(error: DecisionError, back: &str) -> Response {
    match error {
        DecisionError::Refused(text) => (
            StatusCode::BAD_REQUEST,
            Html(format!(
                "<!doctype html><html lang=\"vi\"><meta charset=utf-8><title>Không thực hiện được</title>\
                 <main><p role=\"alert\">Không thực hiện được: {}</p><p><a href=\"{}\">Quay lại</a></p></main></html>",
                escape(&text),
                escape(back)
            )),
        )
            .into_response(),
        DecisionError::Store(error) => store_failed(error),
    }
}

pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One request on the overview and at the top of its page.
#[derive(Serialize)]
struct RequestCard {
    token: String,
    code: String,
    title: String,
    deadline: String,
    state: &'static str,
    state_label: &'static str,
    reported: usize,
    total: usize,
    percent: usize,
    late: usize,
    pending: usize,
    overdue: usize,
    review: usize,
    /// A request "để biết": `reported` counts the units its notice went to; no report, no
    /// manual mark, no "not reported" list.
    for_information: bool,
}

fn card(status: &RequestStatus, zone: chrono_tz::Tz) -> RequestCard {
    card_of(
        (&status.request, &status.code, &status.title),
        (status.deadline, status.deadline_wording.as_deref()),
        status.state,
        status.counts(),
        zone,
    )
}

/// A request's card from its counts (the overview computes them for all requests at once).
fn card_of(
    (token, code, title): (&str, &str, &str),
    (deadline, wording): (Option<chrono::DateTime<chrono::Utc>>, Option<&str>),
    state: RequestState,
    counts: StateCounts,
    zone: chrono_tz::Tz,
) -> RequestCard {
    RequestCard {
        token: token.to_string(),
        code: code.to_string(),
        title: title.to_string(),
        deadline: crate::domain::dates::deadline_shown(deadline, wording, zone),
        state: match state {
            RequestState::Draft => "draft",
            RequestState::Active => "active",
            RequestState::Closed => "closed",
        },
        state_label: state.label_vi(),
        reported: counts.reported,
        total: counts.total,
        percent: (100 * counts.reported).checked_div(counts.total).unwrap_or(0),
        late: counts.late,
        pending: counts.pending,
        overdue: counts.overdue,
        review: counts.review,
        for_information: deadline.is_none(),
    }
}

pub async fn overview(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let viewer = match may_read(&state, &headers, "/") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let current = current(&state);
    let zone = current.settings.office.zone;
    let at = now();
    let requests = match state.store.all_requests().await {
        Ok(all) => all
            .into_iter()
            .filter(|r| r.state == RequestState::Active)
            .collect::<Vec<_>>(),
        Err(e) => return store_failed(e),
    };
    // Every request's counts from one query, by the same rules as its own page.
    let groups = match state.store.active_state_groups().await {
        Ok(groups) => groups,
        Err(e) => return store_failed(e),
    };
    let cards: Vec<RequestCard> = requests
        .iter()
        .map(|r| {
            let counts = StateCounts::of_groups(groups.get(&r.id).map_or(&[][..], Vec::as_slice), r.deadline, at);
            card_of(
                (&r.token, &r.code.to_string(), &r.title),
                (r.deadline, r.deadline_wording.as_deref()),
                r.state,
                counts,
                zone,
            )
        })
        .collect();
    let mut failing = Vec::new();
    if let Ok(units) = state.store.list_units(None).await {
        for unit in units {
            for a in unit.addresses.iter().filter(|a| a.failing_since.is_some()) {
                failing.push(minijinja::context! {
                    unit => format!("{} ({})", unit.name, unit.code),
                    address => a.address.to_string(),
                    reason => a.failing_reason.clone().unwrap_or_default(),
                });
            }
        }
    }
    // The service's own line is English, for the IT officer; the clerk reads this.
    let service = state
        .store
        .service_health()
        .await
        .ok()
        .and_then(|rows| rows.into_iter().next())
        .filter(|h| (at - h.updated_at).num_seconds() < 60)
        .map(|h| {
            let mut text = format!("đang chạy, cập nhật lúc {}", format_instant(h.updated_at, zone));
            if let Some(problem) = &h.imap_problem {
                text.push_str(&format!(
                    "; không đọc được hộp thư nhận báo cáo, đang thử lại ({problem})"
                ));
            }
            if let Some(problem) = &h.smtp_problem {
                text.push_str(&format!("; không gửi được thư, đang thử lại ({problem})"));
            }
            text
        });
    // This year's calendar not confirmed (in December, next year's too): said on the page.
    let today = at.with_timezone(&zone).date_naive();
    let calendar_warning = crate::domain::calendar::unconfirmed_short_vi(&current.calendar.years_to_confirm(today));
    let service = match (service, calendar_warning) {
        (Some(service), Some(warning)) => Some(format!("{service}; {warning}")),
        (service, warning) => service.or(warning),
    };
    let context = minijinja::context! {
        page => "overview",
        requests => Value::from(minijinja::value::Serde(&cards)),
        failing => failing,
        service => service,
    };
    page(&state, &viewer, "overview.html", context).await
}

#[derive(Serialize)]
struct UnitRow {
    code: String,
    name: String,
    state: &'static str,
    state_label: String,
    reported: bool,
    received_at: String,
    via: &'static str,
    attachments: Vec<String>,
    incoming_id: Option<IncomingId>,
    reminders_sent: i64,
    last_reminder: String,
    next_reminder: String,
    next_reason: String,
    failing: String,
}

/// The CSS class of a unit's state (`state-overdue`…), as every page colours it.
fn state_class(state: UnitState) -> &'static str {
    match state {
        UnitState::Pending => "pending",
        UnitState::Reported => "reported",
        UnitState::ReportedLate => "reported_late",
        UnitState::Overdue => "overdue",
        UnitState::Review => "review",
        UnitState::Informed => "informed",
        UnitState::NotInformed => "not_informed",
    }
}

/// A request by its token and its status at `at`, or the page that says why not.
pub(super) async fn status_of(
    state: &WebState,
    current: &Current,
    token: &str,
    at: DateTime<Utc>,
) -> Result<(Request, RequestStatus), Response> {
    let request = state.store.resolve_request(token).await.map_err(store_failed)?;
    let facts = state.store.status_facts(request.id).await.map_err(store_failed)?;
    let status = request_status(&request, &facts, at, (&current.calendar, current.settings.office.zone));
    Ok((request, status))
}

/// The reports a request received day by day against its deadline (a drawing made of numbers
/// and dates only): from the day it was made to its deadline when that is within a month, or
/// to today. None for a draft, or a request "để biết".
fn reports_chart(request: &Request, status: &RequestStatus, at: DateTime<Utc>, zone: chrono_tz::Tz) -> Option<String> {
    let deadline = request.deadline?;
    if request.state == RequestState::Draft || status.total == 0 {
        return None;
    }
    let day = |t: DateTime<Utc>| t.with_timezone(&zone).date_naive();
    let received: Vec<chrono::NaiveDate> = status.units.iter().filter_map(|u| u.reported_at.map(day)).collect();
    let today = day(at);
    let due = day(deadline);
    let last = if due >= today && (due - today).num_days() <= 31 {
        due
    } else {
        today
    };
    let first = day(request.created_at).min(received.iter().min().copied().unwrap_or(last));
    Some(crate::domain::report::chart::reports_by_day_svg(
        &received,
        (first, last),
        Some(due),
        status.total,
    ))
}

/// How a walk over a request's plan ended early: each unit's next letter found, or the store
/// failed.
enum PlanWalk {
    Enough,
    Store(StoreError),
}

impl From<StoreError> for PlanWalk {
    fn from(error: StoreError) -> Self {
        PlanWalk::Store(error)
    }
}

pub async fn request(State(state): State<Arc<WebState>>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    let viewer = match may_read(&state, &headers, &format!("/requests/{token}")) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (current, at) = (current(&state), now());
    let zone = current.settings.office.zone;
    let (request, status) = match status_of(&state, &current, &token, at).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let setup = Setup {
        settings: &current.settings,
        calendar: &current.calendar,
        templates: &current.templates,
    };
    // Each unit's next letter: the plan goes in order of time, so the first line that is not
    // skipped is the next, and the walk stops once every unit waiting for one has it (2,000
    // units × 7 letters made the whole plan a quarter of a second of this page).
    let waiting = status.units.iter().filter(|u| !u.state.has_reported()).count();
    let mut next_of: std::collections::HashMap<String, PlanLine> = std::collections::HashMap::new();
    let walked = plan_view_each(&state.store, &setup, at, Some(request.id), |line| {
        if line.action != "skip" && !next_of.contains_key(&line.unit) {
            next_of.insert(line.unit.clone(), line);
            if next_of.len() >= waiting {
                return Err(PlanWalk::Enough);
            }
        }
        Ok(())
    })
    .await;
    if let Err(PlanWalk::Store(e)) = walked {
        tracing::warn!(error = %e, request = %request.token, "the request page shows no next reminders");
    }
    let units: Vec<UnitRow> = status
        .units
        .iter()
        .map(|u| {
            let next = next_of.get(&u.unit);
            UnitRow {
                code: u.unit.clone(),
                name: u.name.clone(),
                state: state_class(u.state),
                state_label: match &u.late_by {
                    Some(late_by) => format!("{} {late_by}", u.state.label_vi()),
                    None => u.state.label_vi().to_string(),
                },
                reported: u.state.has_reported(),
                received_at: u.reported_at.map(|t| format_instant(t, zone)).unwrap_or_default(),
                via: match u.via {
                    Some(SubmissionVia::Email) => "qua email",
                    Some(SubmissionVia::Manual) => "ghi nhận thủ công",
                    None => "",
                },
                attachments: if u.incoming_id.is_some() {
                    u.attachments.clone()
                } else {
                    vec![]
                },
                incoming_id: u.incoming_id,
                reminders_sent: u.reminders_sent,
                last_reminder: u.last_reminder_at.map(|t| format_instant(t, zone)).unwrap_or_default(),
                next_reminder: next.map(|l| format_instant(l.due_at, zone)).unwrap_or_default(),
                next_reason: next.map(|l| l.reason.clone()).unwrap_or_default(),
                failing: u.failing_addresses.join(", "),
            }
        })
        .collect();
    let history = if viewer.user.is_some() {
        history_of(&state, &request, zone).await
    } else {
        // Who changed what is not for the public status (`public-read`).
        Vec::new()
    };
    let files: Vec<Value> = state
        .store
        .request_files(request.id)
        .await
        .unwrap_or_default()
        .iter()
        .map(|f| minijinja::context! { name => f.file_name.clone(), kb => (f.size + 1023) / 1024 })
        .collect();
    let context = minijinja::context! {
        page => "request",
        chart => reports_chart(&request, &status, at, zone),
        r => Value::from(minijinja::value::Serde(card(&status, zone))),
        units => Value::from(minijinja::value::Serde(&units)),
        history => history,
        files => files,
    };
    page(&state, &viewer, "request.html", context).await
}

pub async fn review(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let viewer = match may_read_private(&state, &headers, "/review") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let zone = current(&state).settings.office.zone;
    let raw_items = match state.store.review_items(true).await {
        Ok(items) => items,
        Err(e) => return store_failed(e),
    };
    let items: Vec<Value> = raw_items
        .iter()
        .map(|i| {
            #[derive(Deserialize)]
            struct File {
                name: String,
            }
            let files: Vec<File> = serde_json::from_str(&i.attachments).unwrap_or_default();
            minijinja::context! {
                id => i.id.get(),
                incoming_id => i.incoming_id.get(),
                received_at => format_instant(i.received_at, zone),
                from => match (&i.from_name, &i.from_address) {
                    (Some(name), Some(address)) => format!("{name} <{address}>"),
                    (None, Some(address)) => address.clone(),
                    _ => "(không rõ)".into(),
                },
                subject => i.subject.clone().unwrap_or_default(),
                reason => Reason::parse(&i.reason).map_or(i.reason.clone(), |r| r.label_vi().to_string()),
                detail => i.detail.as_deref().filter(|d| !d.is_empty()).map(|d| {
                    let (before, words, after) = deciding_words(d);
                    minijinja::context! { before => before, words => words, after => after }
                }),
                attachments => files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "),
                suggested_unit => i.unit_code.clone().or_else(|| i.suggested_unit_code.clone()),
                request => i.request_token.clone(),
                extendable => i.unit_id.is_some() && i.request_id.is_some(),
            }
        })
        .collect();
    let units: Vec<Value> = state
        .store
        .list_units(None)
        .await
        .unwrap_or_default()
        .iter()
        .map(|u| minijinja::context! { code => u.code.to_string(), name => u.name.clone() })
        .collect();
    let requests: Vec<Value> = state
        .store
        .all_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.state == RequestState::Active)
        .map(|r| minijinja::context! { token => r.token.clone(), code => r.code.to_string() })
        .collect();
    // Senders with several messages waiting (a robot, a newsletter): one decision for all.
    let mut by_sender: std::collections::BTreeMap<String, Vec<i64>> = std::collections::BTreeMap::new();
    for item in &raw_items {
        if let Some(address) = &item.from_address {
            by_sender.entry(address.to_lowercase()).or_default().push(item.id.get());
        }
    }
    let senders: Vec<Value> = by_sender
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(address, ids)| minijinja::context! { address => address, count => ids.len(), items => ids })
        .collect();
    let context = minijinja::context! {
        page => "review", items => items, units => units, requests => requests, senders => senders,
    };
    page(&state, &viewer, "review.html", context).await
}

pub async fn units(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let viewer = match may_read_private(&state, &headers, "/units") {
        Ok(v) => v,
        Err(r) => return r,
    };
    // After an upload was applied: its counts (numbers only).
    let applied = query.get("created").map(|_| {
        let count = |name: &str| query.get(name).and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
        minijinja::context! {
            created => count("created"), updated => count("updated"),
            reactivated => count("reactivated"), retired => count("retired"),
        }
    });
    units_page(
        &state,
        &viewer,
        minijinja::context! { applied => applied },
        StatusCode::OK,
    )
    .await
}

/// The unit registry's page, with `extra` in its context (an applied upload's counts, or the
/// unit form as typed with its refusals).
pub(super) async fn units_page(state: &WebState, viewer: &Viewer, extra: Value, status: StatusCode) -> Response {
    let units = match state.store.list_units(None).await {
        Ok(units) => units,
        Err(e) => return store_failed(e),
    };
    let group_names = match state.store.group_names().await {
        Ok(names) => names,
        Err(e) => return store_failed(e),
    };
    let rows: Vec<Value> = units
        .iter()
        .map(|u| {
            let addresses: Vec<Value> = u
                .addresses
                .iter()
                .map(|a| {
                    minijinja::context! {
                        address => a.address.to_string(),
                        failing => a.failing_since.map(|_| a.failing_reason.clone().unwrap_or_else(|| "lỗi".into())),
                    }
                })
                .collect();
            minijinja::context! {
                code => u.code.to_string(),
                name => u.name.clone(),
                // The office reads a group's display name; its code stays in the tooltip.
                groups => u.groups.iter().map(|g| group_names.get(g).cloned().unwrap_or_else(|| g.to_string())).collect::<Vec<_>>().join(", "),
                group_codes => u.groups.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(", "),
                addresses => addresses,
                failing => u.addresses.iter().any(|a| a.failing_since.is_some()),
                parent => u.parent.as_ref().map(|p| p.to_string()),
            }
        })
        .collect();
    let context = minijinja::context! { page => "units", units => rows, ..extra };
    page_with_status(state, viewer, "units.html", context, status).await
}

/// A review item's explanation split around the words that decided it — the sender's own
/// sentence the classifier quotes (`thư xin thêm thời gian ("…"), không kèm báo cáo`) — so
/// the page can mark them; the whole text before them when nothing is quoted.
fn deciding_words(detail: &str) -> (&str, &str, &str) {
    let Some(open) = detail.find("(\"") else {
        return (detail, "", "");
    };
    let start = open + 2;
    match detail[start..].find("\")") {
        Some(length) => (
            &detail[..start],
            &detail[start..start + length],
            &detail[start + length..],
        ),
        None => (detail, "", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::deciding_words;

    #[test]
    fn the_quoted_sentence_is_what_decided() {
        assert_eq!(
            deciding_words("thư xin thêm thời gian (\"Phòng xin gia hạn đến tháng 1\"), không kèm báo cáo"),
            (
                "thư xin thêm thời gian (\"",
                "Phòng xin gia hạn đến tháng 1",
                "\"), không kèm báo cáo"
            )
        );
        assert_eq!(
            deciding_words("thư không có nội dung"),
            ("thư không có nội dung", "", "")
        );
        assert_eq!(deciding_words("lạ (\"không đóng"), ("lạ (\"không đóng", "", ""));
    }
}
