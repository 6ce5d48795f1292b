//! Changing a request on the page (`/requests/{token}/edit`): its title, content, issuer and
//! kind, a later deadline (any deadline while it is a draft), and its recipients — groups and
//! units added or taken off. The checks are `request edit`'s; each change is recorded in the
//! audit trail under the signed-in user, and a refusal comes back beside its field with what
//! was typed kept.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::super::auth::{Viewer, may_change_page, viewer};
use super::super::{WebState, now};
use super::actions::{Fields, Posted, field};
use super::{current, page_with_status, refused, store_failed};
use crate::adapters::store::{RequestEdit, StoreError};
use crate::domain::directive::proposal_file::tidy;
use crate::domain::model::{GroupCode, Request, RequestState, UnitCode};
use crate::services::decisions::{DecisionError, new_deadline};

/// The codes typed in a field, split at commas, semicolons and spaces.
fn codes(form: &Fields, name: &str) -> Vec<String> {
    field(form, name)
        .split([',', ';', ' ', '\n', '\r'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// The form: the request's fields as they are, or as typed with the refusals.
async fn form_page(
    state: &WebState,
    viewer: &Viewer,
    request: &Request,
    typed: Option<&Fields>,
    errors: &BTreeMap<&'static str, String>,
    status: StatusCode,
) -> Response {
    let value = |name: &str, stored: String| typed.map_or(stored, |form| field(form, name).to_string());
    let letter = &request.letter;
    let context = minijinja::context! {
        page => "request_edit",
        token => request.token.clone(),
        code => request.code.to_string(),
        draft => request.state == RequestState::Draft,
        for_information => request.deadline.is_none(),
        groups_now => request.recipients.groups.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        units_now => request.recipients.units.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        v => minijinja::context! {
            title => value("title", request.title.clone()),
            content => value("content", letter.content.clone().unwrap_or_default()),
            issuer => value("issuer", letter.issuer.clone().unwrap_or_default()),
            kind => value("kind", letter.kind.clone().unwrap_or_default()),
            deadline => value("deadline", String::new()),
            add_groups => value("add_groups", String::new()),
            remove_groups => value("remove_groups", String::new()),
            add_units => value("add_units", String::new()),
            remove_units => value("remove_units", String::new()),
        },
        deadline_now => crate::domain::dates::deadline_shown(request.deadline, request.deadline_wording.as_deref(), current(state).settings.office.zone),
        errors => errors,
    };
    page_with_status(state, viewer, "request_edit.html", context, status).await
}

async fn editable(state: &WebState, token: &str) -> Result<Request, Response> {
    let request = state
        .store
        .resolve_request(token)
        .await
        .map_err(|e| refused(DecisionError::from(e), "/"))?;
    if request.state == RequestState::Closed {
        return Err(refused(
            DecisionError::Refused(format!("yêu cầu {} đã đóng: không sửa được", request.token)),
            &format!("/requests/{}", request.token),
        ));
    }
    Ok(request)
}

pub async fn edit_request_page(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let viewer = match may_change_page(&state, &headers, &format!("/requests/{token}/edit")) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match editable(&state, &token).await {
        Ok(request) => form_page(&state, &viewer, &request, None, &BTreeMap::new(), StatusCode::OK).await,
        Err(r) => r,
    }
}

pub async fn edit_request(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Posted { user, form, store }: Posted,
) -> Response {
    let request = match editable(&state, &token).await {
        Ok(request) => request,
        Err(r) => return r,
    };
    let current = current(&state);
    let zone = current.settings.office.zone;
    let mut errors: BTreeMap<&'static str, String> = BTreeMap::new();
    let title = tidy(Some(field(&form, "title")));
    if title.is_none() {
        errors.insert("title", "trích yếu không được để trống".into());
    }
    // An optional text: cleared when emptied, unchanged when as stored.
    let optional = |name: &str, stored: &Option<String>| {
        let typed = tidy(Some(field(&form, name)));
        (typed != tidy(stored.as_deref())).then_some(typed)
    };
    let content = {
        let typed = Some(field(&form, "content").trim().replace("\r\n", "\n")).filter(|t| !t.is_empty());
        (typed != request.letter.content).then_some(typed)
    };
    let deadline = match field(&form, "deadline").trim() {
        "" => None,
        text => match new_deadline(&request, text, zone) {
            Ok(deadline) => Some(deadline),
            Err(problem) => {
                errors.insert("deadline", problem);
                None
            }
        },
    };
    let mut parse_all = |name: &'static str, parse: &dyn Fn(&str) -> Result<(), String>| {
        let all = codes(&form, name);
        let bad: Vec<String> = all
            .iter()
            .filter_map(|c| parse(c).err().map(|e| format!("{c}: {e}")))
            .collect();
        if !bad.is_empty() {
            errors.insert(name, bad.join("; "));
        }
        all
    };
    let group = |c: &str| GroupCode::parse(c).map(|_| ()).map_err(|e| e.0);
    let unit = |c: &str| UnitCode::parse(c).map(|_| ()).map_err(|e| e.0);
    let add_groups = parse_all("add_groups", &group);
    let remove_groups = parse_all("remove_groups", &group);
    let add_units = parse_all("add_units", &unit);
    let remove_units = parse_all("remove_units", &unit);
    // What is taken off must be named in the recipients as it is.
    // Codes are compared as parsed (lower case), as the CLI reads them.
    let named = |list: &[String], stored: Vec<String>| -> Vec<String> {
        list.iter()
            .filter(|c| !stored.contains(&c.trim().to_lowercase()))
            .cloned()
            .collect()
    };
    let stray = named(
        &remove_groups,
        request.recipients.groups.iter().map(ToString::to_string).collect(),
    );
    if !stray.is_empty() && !errors.contains_key("remove_groups") {
        errors.insert(
            "remove_groups",
            format!("yêu cầu không gửi tới nhóm {}", stray.join(", ")),
        );
    }
    let stray = named(
        &remove_units,
        request.recipients.units.iter().map(ToString::to_string).collect(),
    );
    if !stray.is_empty() && !errors.contains_key("remove_units") {
        errors.insert(
            "remove_units",
            format!(
                "yêu cầu không ghi riêng đơn vị {} (đơn vị nhận theo nhóm: bỏ cả nhóm ở ô \"Bỏ nhóm\")",
                stray.join(", ")
            ),
        );
    }
    let viewer = viewer(&state, &headers);
    if !errors.is_empty() {
        return form_page(&state, &viewer, &request, Some(&form), &errors, StatusCode::BAD_REQUEST).await;
    }
    let edit = RequestEdit {
        // Spaces tidied on both sides: a title nobody touched is not a change.
        title: title.filter(|t| Some(t) != tidy(Some(&request.title)).as_ref()),
        content,
        issuer: optional("issuer", &request.letter.issuer),
        kind: optional("kind", &request.letter.kind),
        deadline,
        add_groups: add_groups.iter().filter_map(|c| GroupCode::parse(c).ok()).collect(),
        remove_groups: remove_groups.iter().filter_map(|c| GroupCode::parse(c).ok()).collect(),
        add_units: add_units.iter().filter_map(|c| UnitCode::parse(c).ok()).collect(),
        remove_units: remove_units.iter().filter_map(|c| UnitCode::parse(c).ok()).collect(),
        add_files: Vec::new(),
        remove_files: Vec::new(),
        escalation: None,
        note: "hạn báo cáo đã sửa; lập lại lịch nhắc".to_string(),
    };
    let at = now();
    match store.edit_request(&request, &edit, at).await {
        Ok(done) => {
            tracing::info!(user = %user, request = %request.token, changes = done.changes.len(), "request edited on the web page");
            if request.state == RequestState::Active
                && let Err(e) =
                    crate::services::reminders::plan_new_units(&store, &current.settings, &current.calendar, at).await
            {
                tracing::warn!(error = %e, request = %request.token, "planning after an edit failed; the next pass plans it");
            }
            Redirect::to(&format!("/requests/{}", request.token)).into_response()
        }
        Err(StoreError::Rejected(problems)) => {
            for problem in problems {
                // The store's checks that remain: what is added, or the edit as a whole.
                let name = if problem.contains("ít nhất một nhóm hoặc đơn vị") {
                    "remove_groups"
                } else if problem.contains("không có gì thay đổi") {
                    "form"
                } else if problem.contains("nhóm") {
                    "add_groups"
                } else if problem.contains("đơn vị") {
                    "add_units"
                } else {
                    "form"
                };
                let said = errors.entry(name).or_default();
                if !said.is_empty() {
                    said.push_str("; ");
                }
                said.push_str(&problem);
            }
            form_page(&state, &viewer, &request, Some(&form), &errors, StatusCode::BAD_REQUEST).await
        }
        Err(e) => store_failed(e),
    }
}
