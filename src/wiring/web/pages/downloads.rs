//! Downloads: the status exports (XLSX, CSV) and a message's original and attachments, each behind
//! the login.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::super::auth::{may_read, may_read_private};
use super::super::{WebState, now};
use super::*;
use crate::domain::model::IncomingId;
use crate::domain::report::export::{self, Only};

#[derive(Deserialize)]
pub struct OnlyQuery {
    only: Option<String>,
}

pub(super) async fn export(
    state: &WebState,
    headers: &HeaderMap,
    token: &str,
    only: Option<&str>,
    xlsx: bool,
) -> Response {
    if let Err(r) = may_read(state, headers, &format!("/requests/{token}")) {
        return r;
    }
    let Some(only) = Only::parse(only.unwrap_or("pending")) else {
        return (StatusCode::BAD_REQUEST, "only: pending, late hoặc all").into_response();
    };
    let (current, at) = (current(state), now());
    let zone = current.settings.office.zone;
    let (request, status) = match status_of(state, &current, token, at).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let sections = export::sections(&status, only, zone);
    let (bytes, content_type, extension) = if xlsx {
        let heading = export::heading(&status, &current.settings.office.name, only, at, zone);
        match export::to_xlsx(&heading, &sections) {
            Ok(bytes) => (
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            Err(error) => {
                tracing::error!(error = %error, "the XLSX export failed");
                return (StatusCode::INTERNAL_SERVER_ERROR, "Không tạo được tệp XLSX.").into_response();
            }
        }
    } else {
        (export::to_csv(&sections), "text/csv; charset=utf-8", "csv")
    };
    let name = export::file_name(&request.token, only, extension);
    download(bytes, content_type, &name)
}

pub async fn export_xlsx(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(query): Query<OnlyQuery>,
) -> Response {
    export(&state, &headers, &token, query.only.as_deref(), true).await
}

pub async fn export_csv(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(query): Query<OnlyQuery>,
) -> Response {
    export(&state, &headers, &token, query.only.as_deref(), false).await
}

pub(super) fn download(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
    // The name is what a browser saves under: no `/` or `\` (document numbers keep their
    // words: `215/BC-PGDĐT` is saved as `215_BC-PGDĐT`), nothing a disk refuses.
    let name = &crate::domain::incoming::message::safe_file_name(name);
    // RFC 6266: an ASCII fallback and the UTF-8 name.
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// The kept copy of a message, as it came.
pub(super) async fn raw_message(state: &WebState, id: IncomingId) -> Result<Vec<u8>, Response> {
    let path = match state.store.incoming_raw_path(id).await {
        Ok(Some(path)) => path,
        Ok(None) => return Err((StatusCode::NOT_FOUND, "Không có bản lưu của thư này.").into_response()),
        Err(e) => return Err(store_failed(e)),
    };
    tokio::fs::read(&path).await.map_err(|error| {
        tracing::error!(path = %path, error = %error, "a kept message cannot be read");
        (StatusCode::NOT_FOUND, "Không đọc được bản lưu của thư.").into_response()
    })
}

pub async fn original(State(state): State<Arc<WebState>>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    if let Err(r) = may_read_private(&state, &headers, &format!("/messages/{id}/original")) {
        return r;
    }
    match raw_message(&state, IncomingId::new(id)).await {
        Ok(bytes) => download(bytes, "message/rfc822", &format!("thu-{id}.eml")),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub struct NameQuery {
    name: String,
}

pub async fn attachment(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(query): Query<NameQuery>,
) -> Response {
    if let Err(r) = may_read_private(&state, &headers, &format!("/messages/{id}/original")) {
        return r;
    }
    let bytes = match raw_message(&state, IncomingId::new(id)).await {
        Ok(bytes) => bytes,
        Err(r) => return r,
    };
    match crate::domain::incoming::message::attachment_named(&bytes, &query.name) {
        // Served as a download, never rendered in the page's origin.
        Some(file) => download(file, "application/octet-stream", &query.name),
        None => (StatusCode::NOT_FOUND, "Thư không có tệp này.").into_response(),
    }
}
