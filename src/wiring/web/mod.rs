//! The status page `baocao run` serves (axum, server-rendered HTML from minijinja templates
//! compiled in from `config/web/`, no JavaScript): the overview of active requests, one
//! request unit by unit, the review queue with its decisions, the units, the exports, the
//! kept original messages and their attachments, the audit trail (`/audit`, `/audit.csv`),
//! `/metrics` for Prometheus and `/healthz`.
//!
//! Bound to 127.0.0.1:8080 unless `[web] listen` says otherwise. Everything that changes
//! state is a POST that needs a logged-in user and the session's CSRF token; reading needs
//! a login too unless `[web] public-read = true`. `/healthz` and `/metrics` carry no personal
//! data and need no login.
//!
//! Under attack: at most 256 connections (fewer under a low open-file limit), 10 s for a
//! request's headers and between kept-alive requests, the idlest connection closed to make
//! room (`connections.rs`); two password checks at a time (`password.rs`); failed logins
//! limited per name and address and per address (`throttle.rs`).

mod auth;
mod connections;
mod metrics;
mod pages;
mod password;
mod throttle;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::routing::{get, post};
use minijinja::Environment;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use password::hash_password;

use crate::adapters::store::Store;
use crate::wiring::current::Shared;

/// The largest form with files the page takes: a directive of up to
/// [`crate::adapters::documents::MAX_BYTES`], and the form around it.
const UPLOAD_LIMIT: usize = crate::adapters::documents::MAX_BYTES + 64 * 1024;

/// The largest unit list the page takes (a few thousand rows are well under 1 MB).
const LIST_LIMIT: usize = 4 * 1024 * 1024;

/// What the daemon's status loop publishes for `/metrics` and `/healthz`.
#[derive(Debug, Clone, Default)]
pub struct Live {
    pub status_line: String,
    pub watcher_connected: bool,
    pub last_tick: Option<Instant>,
    pub healthy: bool,
    /// Which mail servers refuse the service's login (`imap`, `smtp`): a wrong password.
    pub login_refused: Option<String>,
}

/// Everything a request handler needs.
pub struct WebState {
    pub store: Store,
    pub shared: Shared,
    pub live: Arc<Mutex<Live>>,
    sessions: auth::Sessions,
    templates: Environment<'static>,
    /// Unit lists uploaded and previewed, waiting for "Áp dụng" (`pages::units`).
    uploads: Mutex<pages::Uploads>,
    /// One letter template saved at a time (`pages::save_template`).
    template_saves: tokio::sync::Mutex<()>,
}

const TEMPLATES: [(&str, &str); 22] = [
    ("settings.html", include_str!("../../../config/web/settings.html")),
    ("series_new.html", include_str!("../../../config/web/series_new.html")),
    ("unit.html", include_str!("../../../config/web/unit.html")),
    ("templates.html", include_str!("../../../config/web/templates.html")),
    (
        "template_edit.html",
        include_str!("../../../config/web/template_edit.html"),
    ),
    ("outbox.html", include_str!("../../../config/web/outbox.html")),
    ("plan.html", include_str!("../../../config/web/plan.html")),
    (
        "request_edit.html",
        include_str!("../../../config/web/request_edit.html"),
    ),
    ("search.html", include_str!("../../../config/web/search.html")),
    ("series.html", include_str!("../../../config/web/series.html")),
    ("series_one.html", include_str!("../../../config/web/series_one.html")),
    (
        "units_preview.html",
        include_str!("../../../config/web/units_preview.html"),
    ),
    ("letters.html", include_str!("../../../config/web/letters.html")),
    (
        "request_from.html",
        include_str!("../../../config/web/request_from.html"),
    ),
    ("request_new.html", include_str!("../../../config/web/request_new.html")),
    ("audit.html", include_str!("../../../config/web/audit.html")),
    ("base.html", include_str!("../../../config/web/base.html")),
    ("login.html", include_str!("../../../config/web/login.html")),
    ("overview.html", include_str!("../../../config/web/overview.html")),
    ("request.html", include_str!("../../../config/web/request.html")),
    ("review.html", include_str!("../../../config/web/review.html")),
    ("units.html", include_str!("../../../config/web/units.html")),
];

impl WebState {
    pub fn new(store: Store, shared: Shared, live: Arc<Mutex<Live>>) -> Result<WebState, minijinja::Error> {
        let mut templates = Environment::new();
        templates.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for (name, text) in TEMPLATES {
            templates.add_template(name, text)?;
        }
        Ok(WebState {
            store,
            shared,
            live,
            sessions: auth::Sessions::default(),
            templates,
            uploads: Mutex::default(),
            template_saves: tokio::sync::Mutex::new(()),
        })
    }
}

pub fn router(state: Arc<WebState>) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/requests/new", get(pages::new_request_page).post(pages::new_request))
        .route(
            "/requests/from",
            get(pages::from_directive_page)
                .post(pages::from_directive)
                .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/requests/{token}", get(pages::request))
        .route("/requests/{token}/extend", post(pages::extend_request))
        .route(
            "/requests/{token}/edit",
            get(pages::edit_request_page).post(pages::edit_request),
        )
        .route("/requests/{token}/plan", get(pages::plan))
        .route("/requests/{token}/letters", get(pages::letters))
        .route(
            "/requests/{token}/files",
            post(pages::attach_files).layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/requests/{token}/files/remove", post(pages::remove_file))
        .route("/requests/{token}/delete", post(pages::delete_request))
        .route("/requests/{token}/export.xlsx", get(pages::export_xlsx))
        .route("/requests/{token}/export.csv", get(pages::export_csv))
        .route("/requests/{token}/mark", post(pages::mark))
        .route("/requests/{token}/activate", post(pages::activate))
        .route("/requests/{token}/close", post(pages::close))
        .route("/review", get(pages::review))
        .route("/review/reject-sender", post(pages::reject_sender))
        .route("/review/{id}/assign", post(pages::assign))
        .route("/review/{id}/reject", post(pages::reject))
        .route("/review/{id}/extend", post(pages::extend))
        .route("/units", get(pages::units))
        .route(
            "/units/upload",
            post(pages::upload_units).layer(axum::extract::DefaultBodyLimit::max(LIST_LIMIT)),
        )
        .route("/units/apply", post(pages::apply_units))
        .route("/units/save", post(pages::save_unit))
        .route("/units/{code}", get(pages::unit))
        .route("/units/{code}/role", post(pages::address_role))
        .route("/units/{code}/rename", post(pages::rename_unit))
        .route("/units/{code}/merge", post(pages::merge_unit))
        .route("/units/{code}/remove", post(pages::remove_unit))
        .route("/series", get(pages::series_list))
        .route("/series/new", get(pages::new_series_page).post(pages::new_series))
        .route(
            "/series/{code}/edit",
            get(pages::edit_series_page).post(pages::edit_series),
        )
        .route("/series/{code}", get(pages::series_page))
        .route(
            "/series/{code}/{file}",
            get(pages::series_export).post(pages::series_state),
        )
        .route("/templates", get(pages::templates))
        .route(
            "/templates/{name}",
            get(pages::template_page).post(pages::save_template),
        )
        .route("/settings", get(pages::settings))
        .route("/outbox", get(pages::outbox))
        .route("/outbox/{id}/retry", post(pages::retry))
        .route("/search", get(pages::search))
        .route("/audit", get(pages::audit))
        .route("/audit.csv", get(pages::audit_csv))
        .route("/messages/{id}/original", get(pages::original))
        .route("/messages/{id}/attachment", get(pages::attachment))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/metrics", get(metrics::metrics))
        .route("/healthz", get(metrics::healthz))
        .layer(axum::middleware::map_response(protect))
        .with_state(state)
}

/// Headers every answer carries: no framing (clickjacking), no scripts at all (the page has
/// none), no sniffing, no referrer leaving the site, no caching of personal data.
async fn protect(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Serves until `shutdown` is cancelled, with the connection limits of `connections.rs`.
pub async fn serve(listener: TcpListener, state: Arc<WebState>, shutdown: CancellationToken) {
    let open_files = connections::open_file_limit();
    let limits = connections::Limits::for_open_files(open_files);
    tracing::info!(
        connections = limits.connections,
        header_timeout_s = connections::HEADER_READ_TIMEOUT.as_secs(),
        open_file_limit = open_files,
        "web page limits"
    );
    connections::serve(listener, router(state), limits, shutdown).await;
}

/// The daemon's web page is wiring: it reads the clock here.
#[allow(clippy::disallowed_methods)]
fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
