//! The POST actions behind the forms: each checks the login and CSRF token (the router's layer),
//! decides through `crate::decisions` (the same code as the CLI) and sends the browser back to the
//! page.

use std::sync::Arc;

use axum::Form;
use axum::extract::{FromRequest, Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::super::auth::may_change;
use super::super::{WebState, now};
use super::*;
use crate::adapters::store::{Actor, Store};
use crate::domain::model::{IncomingId, RequestState};
use crate::services::decisions::{self, DecisionError};
use crate::services::letters::receipt::Receipts;

/// A form posted by a logged-in user with the session's CSRF token: who, and the fields. Any
/// other POST is refused before the handler runs (401 without a login, 403 without the token).
pub struct Posted {
    pub user: String,
    pub form: Fields,
    /// The database, its changes written in the audit trail as this user.
    pub store: Store,
}

impl FromRequest<Arc<WebState>> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Arc<WebState>) -> Result<Posted, Response> {
        let headers = request.headers().clone();
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = Fields(pairs);
        let user = may_change(state, &headers, form.get("csrf"))?;
        let store = state.store.acting_as(Actor::web(&user));
        Ok(Posted { user, form, store })
    }
}

/// A file a form sent.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The field it came in.
    pub field: String,
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A `multipart/form-data` form posted by a logged-in user who may change data, with the
/// session's CSRF token: its text fields and its files (empty file inputs left out). The
/// route's body limit bounds the whole.
pub struct PostedFiles {
    pub user: String,
    pub form: Fields,
    pub files: Vec<Upload>,
    pub store: Store,
}

impl FromRequest<Arc<WebState>> for PostedFiles {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Arc<WebState>) -> Result<PostedFiles, Response> {
        let headers = request.headers().clone();
        // Who may post is known from the session: a stranger's upload is not read at all.
        super::super::auth::may_post(state, &headers)?;
        let mut multipart = axum::extract::Multipart::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let mut form = Fields::default();
        let mut files = Vec::new();
        let too_big = |e: axum::extract::multipart::MultipartError| {
            (
                e.status(),
                format!("Không nhận được biểu mẫu: {} (tệp quá lớn hoặc gửi dở).", e.body_text()),
            )
                .into_response()
        };
        while let Some(part) = multipart.next_field().await.map_err(too_big)? {
            let field = part.name().unwrap_or_default().to_string();
            match part.file_name().map(str::to_string) {
                Some(name) => {
                    let content_type = part.content_type().unwrap_or("application/octet-stream").to_string();
                    let data = part.bytes().await.map_err(too_big)?.to_vec();
                    // An empty file input sends a part with no name and no bytes.
                    if !name.is_empty() || !data.is_empty() {
                        files.push(Upload {
                            field,
                            name: crate::domain::incoming::message::safe_file_name(&name),
                            content_type,
                            data,
                        });
                    }
                }
                None => {
                    let text = part.text().await.map_err(too_big)?;
                    form.0.push((field, text));
                }
            }
        }
        let user = may_change(state, &headers, form.get("csrf"))?;
        let store = state.store.acting_as(Actor::web(&user));
        Ok(PostedFiles {
            user,
            form,
            files,
            store,
        })
    }
}

/// Back to `back` once a decision is recorded (after `done` logs it), or the refusal.
pub(super) fn answer<T>(result: Result<T, DecisionError>, back: &str, done: impl FnOnce(T)) -> Response {
    match result {
        Ok(value) => {
            done(value);
            Redirect::to(back).into_response()
        }
        Err(e) => refused(e, back),
    }
}

/// A posted form's fields in order; a name may come several times (checkboxes).
#[derive(Debug, Clone, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

pub(super) fn field<'a>(form: &'a Fields, name: &str) -> &'a str {
    form.get(name).unwrap_or_default()
}

pub async fn assign(
    State(state): State<Arc<WebState>>,
    Path(id): Path<i64>,
    Posted { user, form, store }: Posted,
) -> Response {
    let note = format!("ghi nhận trên trang theo dõi bởi {user}");
    let current = current(&state);
    let receipts = Receipts::when_on(&current.settings, current.templates.clone());
    let options = decisions::AssignOptions {
        remember_address: field(&form, "remember") == "on",
        note: Some(&note),
        receipts: receipts.as_ref(),
    };
    let result = decisions::assign(
        &store,
        IncomingId::new(id),
        field(&form, "request"),
        field(&form, "unit"),
        options,
        now(),
    )
    .await;
    answer(result, "/review", |done| {
        tracing::info!(user = %user, item = id, unit = %done.unit.code, request = %done.request.token, "review item assigned");
    })
}

pub async fn reject(
    State(_): State<Arc<WebState>>,
    Path(id): Path<i64>,
    Posted { user, form, store }: Posted,
) -> Response {
    let result = decisions::reject(&store, IncomingId::new(id), field(&form, "reason"), now()).await;
    answer(result, "/review", |()| {
        tracing::info!(user = %user, item = id, "review item rejected");
    })
}

/// "Không tính" for every message waiting from one sender.
pub async fn reject_sender(Posted { user, form, store }: Posted) -> Response {
    let address = field(&form, "address").to_string();
    let shown: Vec<IncomingId> = form
        .all("item")
        .into_iter()
        .filter_map(|id| id.trim().parse().ok().map(IncomingId::new))
        .collect();
    let result = decisions::reject_from_sender(&store, &address, &shown, field(&form, "reason"), now()).await;
    answer(result, "/review", |count| {
        tracing::info!(user = %user, sender = %address, count, "review items of one sender rejected");
    })
}

pub async fn extend(
    State(state): State<Arc<WebState>>,
    Path(id): Path<i64>,
    Posted { user, form, store }: Posted,
) -> Response {
    let zone = current(&state).settings.office.zone;
    let result = decisions::extend(&store, IncomingId::new(id), field(&form, "until"), zone, now()).await;
    // The sender's next tick plans the unit's reminders against the new deadline.
    answer(result, "/review", |note| {
        tracing::info!(user = %user, item = id, %note, "later deadline granted");
    })
}

pub async fn mark(
    State(_): State<Arc<WebState>>,
    Path(token): Path<String>,
    Posted { user, form, store }: Posted,
) -> Response {
    let back = format!("/requests/{token}");
    let at = now();
    // An empty note stays empty, so the decision refuses it.
    let written = field(&form, "note").trim();
    let note = if written.is_empty() {
        String::new()
    } else {
        format!("{written} (ghi nhận bởi {user})")
    };
    let result = decisions::mark(&store, &token, field(&form, "unit"), &note, at, at).await;
    answer(result, &back, |done| {
        tracing::info!(user = %user, unit = %done.unit.code, request = %done.request.token, "marked as reported");
    })
}

pub(super) async fn change_state(token: &str, posted: Posted, to: RequestState) -> Response {
    let Posted { user, form, store } = posted;
    let back = format!("/requests/{token}");
    if to == RequestState::Closed && form.get("confirm") != Some("yes") {
        // Closing stops every reminder still to go: the form asks for a tick first, and a
        // POST without it (no browser check) is refused here too.
        return refused(
            DecisionError::Refused("hãy đánh dấu ô xác nhận trước khi đóng yêu cầu".into()),
            &back,
        );
    }
    let at = now();
    let request = match store.resolve_request(token).await {
        Ok(r) => r,
        Err(e) => return store_failed(e),
    };
    if let Err(e) = store.set_request_state(&request, to, at).await {
        return refused(e.into(), &back);
    }
    if to == RequestState::Closed
        && let Err(e) = store
            .cancel_waiting(Some(request.id), None, crate::adapters::store::CLOSED, at)
            .await
    {
        return store_failed(e);
    }
    // An activated request's reminders are planned by the sender's next tick.
    tracing::info!(user = %user, request = %request.token, state = ?to, "request state changed on the web page");
    Redirect::to(&back).into_response()
}

pub async fn activate(Path(token): Path<String>, posted: Posted) -> Response {
    change_state(&token, posted, RequestState::Active).await
}

pub async fn close(Path(token): Path<String>, posted: Posted) -> Response {
    change_state(&token, posted, RequestState::Closed).await
}
