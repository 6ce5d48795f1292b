//! The outbox on the page (`/outbox`): the letters that failed or wait to be tried again, each
//! with the mail server's answer and "Gửi lại", then the latest letters sent; and a request's
//! whole reminder plan (`/requests/{token}/plan`), each planned letter with the reason for its
//! time, as `baocao reminders plan` prints it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use minijinja::Value;

use super::super::WebState;
use super::super::auth::may_read_private;
use super::actions::{Posted, answer};
use super::{current, now, page, store_failed};
use crate::adapters::store::{MessageFilter, OutgoingMessage, StoreError};
use crate::domain::dates::format_instant;
use crate::domain::model::{MessageKind, MessageState};
use crate::services::decisions::DecisionError;
use crate::services::letters::Setup;
use crate::services::reminders::plan_view_each;

/// Letters shown in each part of the outbox page.
const OUTBOX_ROWS: i64 = 200;
/// Planned letters shown on a plan page (the rest are counted).
const PLAN_ROWS: usize = 1_000;

fn kind_vi(kind: &str) -> &'static str {
    match kind {
        k if k == MessageKind::Notice.as_str() => "thông báo",
        k if k == MessageKind::Reminder.as_str() => "nhắc trước hạn",
        k if k == MessageKind::Overdue.as_str() => "nhắc quá hạn",
        k if k == MessageKind::Escalation.as_str() => "đề nghị đôn đốc",
        k if k == MessageKind::Receipt.as_str() => "xác nhận đã nhận",
        k if k == MessageKind::Digest.as_str() => "tổng hợp hằng ngày",
        _ => "khác",
    }
}

fn row_view(m: &OutgoingMessage, zone: chrono_tz::Tz) -> Value {
    let state = m.message_state().ok();
    let detail = match state {
        Some(MessageState::Sent) => m.smtp_response.clone().unwrap_or_default(),
        _ => m.last_error.clone().unwrap_or_default(),
    };
    minijinja::context! {
        id => m.id,
        state => m.state.clone(),
        state_label => state.map_or("không rõ", MessageState::label_vi),
        kind => kind_vi(&m.kind),
        to => match &m.to_name {
            Some(name) if !name.is_empty() => format!("{name} <{}>", m.to_address),
            _ => m.to_address.clone(),
        },
        subject => m.subject.clone(),
        at => format_instant(m.sent_at.unwrap_or(m.next_attempt_at), zone),
        attempts => m.attempts,
        detail => detail,
        may_retry => matches!(state, Some(MessageState::Failed | MessageState::Retry)),
    }
}

pub async fn outbox(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let viewer = match may_read_private(&state, &headers, "/outbox") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let zone = current(&state).settings.office.zone;
    let (problems, latest) = match (
        state
            .store
            .outgoing_messages(MessageFilter::Problems, OUTBOX_ROWS)
            .await,
        state.store.outgoing_messages(MessageFilter::All, OUTBOX_ROWS).await,
    ) {
        (Ok(problems), Ok(latest)) => (problems, latest),
        (Err(e), _) | (_, Err(e)) => return store_failed(e),
    };
    let context = minijinja::context! {
        page => "outbox",
        problems => problems.iter().map(|m| row_view(m, zone)).collect::<Vec<_>>(),
        latest => latest.iter().filter(|m| m.message_state().ok() != Some(MessageState::Failed)).map(|m| row_view(m, zone)).collect::<Vec<_>>(),
    };
    page(&state, &viewer, "outbox.html", context).await
}

/// "Gửi lại": a failed letter goes again at the next sending pass (as `outbox retry`).
pub async fn retry(Path(id): Path<i64>, Posted { user, store, .. }: Posted) -> Response {
    let result = store.retry_message(id, now()).await.map_err(DecisionError::from);
    answer(result, "/outbox", |m| {
        tracing::info!(user = %user, message = m.id, "failed message queued again on the web page");
    })
}

pub async fn plan(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let viewer = match may_read_private(&state, &headers, &format!("/requests/{token}/plan")) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let current = current(&state);
    let request = match state.store.resolve_request(&token).await {
        Ok(request) => request,
        Err(e) => return super::refused(DecisionError::from(e), "/"),
    };
    let setup = Setup {
        settings: &current.settings,
        calendar: &current.calendar,
        templates: &current.templates,
    };
    let only = query
        .get("unit")
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty());
    let (mut lines, mut more) = (Vec::new(), 0usize);
    let walked = plan_view_each(&state.store, &setup, now(), Some(request.id), |line| {
        if only.as_ref().is_some_and(|u| *u != line.unit) {
            return Ok(());
        }
        if lines.len() >= PLAN_ROWS {
            more += 1;
            return Ok(());
        }
        lines.push(minijinja::context! {
            unit => line.unit.clone(),
            unit_name => line.unit_name.clone(),
            kind => kind_vi(line.kind.as_str()),
            at => line.due_local.clone(),
            reason => line.reason.clone(),
            action => match line.action {
                "send_now" => "gửi ở lượt kế tiếp",
                "skip" => "không gửi",
                _ => "sẽ gửi",
            },
            skipped => line.action == "skip",
            note => line.note.clone().unwrap_or_default(),
        });
        Ok::<(), StoreError>(())
    })
    .await;
    if let Err(e) = walked {
        return store_failed(e);
    }
    let context = minijinja::context! {
        page => "plan",
        token => request.token.clone(),
        code => request.code.to_string(),
        title => request.title.clone(),
        unit => only,
        lines => lines,
        more => more,
    };
    page(&state, &viewer, "plan.html", context).await
}
