//! `/metrics` in Prometheus's text format and `/healthz`: no personal data, no login (a
//! logged-in user also sees the status line on `/healthz`).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::WebState;

pub async fn metrics(State(state): State<Arc<WebState>>) -> Response {
    let counts = match state.store.metric_counts().await {
        Ok(counts) => counts,
        Err(error) => {
            tracing::warn!(error = %error, "metrics: the database cannot be read");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response();
        }
    };
    let live = state.live.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP baocao_incoming_messages Messages recorded from the report mailbox, by outcome."
    );
    let _ = writeln!(out, "# TYPE baocao_incoming_messages gauge");
    for (state, reason, n) in &counts.incoming {
        let _ = writeln!(
            out,
            "baocao_incoming_messages{{state=\"{state}\",reason=\"{reason}\"}} {n}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP baocao_outgoing_messages Messages in the outbox, by kind and state."
    );
    let _ = writeln!(out, "# TYPE baocao_outgoing_messages gauge");
    for (kind, state, n) in &counts.outgoing {
        let _ = writeln!(out, "baocao_outgoing_messages{{kind=\"{kind}\",state=\"{state}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP baocao_outbox_queue_depth Messages still to send (queued, retrying, sending)."
    );
    let _ = writeln!(out, "# TYPE baocao_outbox_queue_depth gauge");
    let _ = writeln!(out, "baocao_outbox_queue_depth {}", counts.queue_depth);
    let _ = writeln!(out, "# HELP baocao_review_open Messages waiting in the review queue.");
    let _ = writeln!(out, "# TYPE baocao_review_open gauge");
    let _ = writeln!(out, "baocao_review_open {}", counts.review_open);
    let _ = writeln!(
        out,
        "# HELP baocao_watcher_connected 1 while the report mailbox is being watched."
    );
    let _ = writeln!(out, "# TYPE baocao_watcher_connected gauge");
    let _ = writeln!(out, "baocao_watcher_connected {}", u8::from(live.watcher_connected));
    let _ = writeln!(
        out,
        "# HELP baocao_last_tick_age_seconds Seconds since the clockwork last woke the sender."
    );
    let _ = writeln!(out, "# TYPE baocao_last_tick_age_seconds gauge");
    match live.last_tick {
        Some(at) => {
            let _ = writeln!(out, "baocao_last_tick_age_seconds {:.1}", at.elapsed().as_secs_f64());
        }
        None => {
            let _ = writeln!(out, "baocao_last_tick_age_seconds NaN");
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        out,
    )
        .into_response()
}

/// `ok` or `unhealthy` (503) for monitors; the status line names the report mailbox, so only
/// a logged-in user sees it.
pub async fn healthz(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let live = state.live.lock().unwrap_or_else(|e| e.into_inner()).clone();
    // A refused login keeps the loops alive (the watchdog stays fed, so systemd does not
    // restart into more failed logins) but the service does not do its job: say so.
    let (status, word) = match (&live.login_refused, live.healthy) {
        (Some(servers), _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("unhealthy: login refused by {servers}"),
        ),
        (None, true) => (StatusCode::OK, "ok".to_string()),
        (None, false) => (StatusCode::SERVICE_UNAVAILABLE, "unhealthy".to_string()),
    };
    let text = match super::auth::viewer(&state, &headers).user {
        Some(_) => format!("{word}: {}\n", live.status_line),
        None => format!("{word}\n"),
    };
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}
