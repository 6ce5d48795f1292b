//! The letters' templates on the page (`/templates`): each one as it is used (edited or
//! built-in), its variables, the letter it makes with sample values; edited in a textarea with
//! the checks of a start or reload (an unknown variable named with its line, a missing
//! tracking token, a syntax error with its line), saved into `[templates] dir` and used at
//! once, or reset to the built-in one. Each save and reset is in the audit trail.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::super::auth::{Viewer, may_read_private, viewer};
use super::super::{WebState, now};
use super::actions::{Posted, field};
use super::{current, page, page_with_status, refused, store_failed};
use crate::adapters::store::{AuditEntry, AuditSubject};
use crate::services::decisions::DecisionError;
use crate::services::letters::templates::{
    TemplateKind, Templates, part_vi, template_file, template_source, template_variables,
};
use crate::wiring::current::Current;

pub async fn templates(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let viewer = match may_read_private(&state, &headers, "/templates") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let current = current(&state);
    let dir = current.settings.templates_dir.clone();
    let kinds: Vec<minijinja::Value> = TemplateKind::ALL
        .into_iter()
        .map(|kind| {
            let files: Vec<minijinja::Value> = ["subject.txt", "body.txt", "body.html"]
                .into_iter()
                .map(|part| {
                    let name = format!("{}.{part}", kind.as_str());
                    let found = template_source(dir.as_deref(), &name);
                    minijinja::context! {
                        name => name,
                        part => part_vi(part),
                        exists => found.is_some(),
                        edited => found.is_some_and(|(_, edited)| edited),
                    }
                })
                .collect();
            minijinja::context! { label => kind.label_vi(), files => files }
        })
        .collect();
    let context = minijinja::context! {
        page => "templates",
        kinds => kinds,
        dir => dir.map(|d| d.display().to_string()),
    };
    page(&state, &viewer, "templates.html", context).await
}

/// The edit page of one template: `text` as typed (or as used), the problems, the preview.
async fn edit_page(
    state: &WebState,
    viewer: &Viewer,
    name: &str,
    (text, problems, saved): (&str, &[String], bool),
    status: StatusCode,
) -> Response {
    let Some((kind, part)) = template_file(name) else {
        return refused(DecisionError::Refused(format!("không có mẫu thư {name}")), "/templates");
    };
    let current = current(state);
    let dir = current.settings.templates_dir.clone();
    // The letter the text makes, with the sample values (only when it passed the checks).
    let preview = if problems.is_empty() {
        Templates::load_with(dir.as_deref(), Some((name, Some(text))))
            .ok()
            .and_then(|loaded| loaded.templates.render_sample(kind).ok())
    } else {
        None
    };
    let edited = template_source(dir.as_deref(), name).is_some_and(|(_, edited)| edited);
    let context = minijinja::context! {
        page => "templates",
        name => name,
        label => kind.label_vi(),
        part => part_vi(part),
        text => text,
        problems => problems.to_vec(),
        saved => saved,
        edited => edited,
        dir => dir.map(|d| d.display().to_string()),
        variables => template_variables(kind),
        preview => preview.map(|p| minijinja::context! { subject => p.subject, text => p.text }),
    };
    page_with_status(state, viewer, "template_edit.html", context, status).await
}

pub async fn template_page(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let viewer = match may_read_private(&state, &headers, &format!("/templates/{name}")) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let dir = current(&state).settings.templates_dir.clone();
    let text = template_source(dir.as_deref(), &name)
        .map(|(text, _)| text)
        .unwrap_or_default();
    edit_page(
        &state,
        &viewer,
        &name,
        (&text, &[], query.contains_key("saved")),
        StatusCode::OK,
    )
    .await
}

/// Why a save stopped before it was live: a sentence for the page, or the store.
enum Stopped {
    Said(String, StatusCode),
    Store(crate::adapters::store::StoreError),
}

/// "Kiểm tra" (the checks and the preview, nothing saved), "Lưu" (checked, written into
/// `[templates] dir`, used at once) or "Trả về mẫu có sẵn" (the file removed).
pub async fn save_template(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Posted { user, form, store }: Posted,
) -> Response {
    let viewer = viewer(&state, &headers);
    if template_file(&name).is_none() {
        return refused(DecisionError::Refused(format!("không có mẫu thư {name}")), "/templates");
    }
    // One save at a time: each checks, writes and swaps in against what the one before left.
    let _one_at_a_time = state.template_saves.lock().await;
    let current = current(&state);
    let dir = current.settings.templates_dir.clone();
    let text = field(&form, "text").replace("\r\n", "\n");
    // An HTML body left empty is no HTML body (letters would go out blank in mail readers that
    // show HTML): the same as going back to none.
    let action = match field(&form, "action") {
        "save" if name.ends_with(".body.html") && text.trim().is_empty() => "reset",
        other => other,
    };
    let replaced = if action == "reset" { None } else { Some(text.as_str()) };
    let loaded = match Templates::load_with(dir.as_deref(), Some((&name, replaced))) {
        Ok(loaded) => loaded,
        Err(e) => return edit_page(&state, &viewer, &name, (&text, &e.0, false), StatusCode::BAD_REQUEST).await,
    };
    if action != "save" && action != "reset" {
        return edit_page(&state, &viewer, &name, (&text, &[], false), StatusCode::OK).await;
    }
    // What stops the save before it is live: said on the page, with what was typed.
    let saved: Result<(), Stopped> = async {
        let dir = dir.ok_or_else(|| {
            Stopped::Said(
                "chưa lưu được: cấu hình chưa có [templates] dir (thư mục mẫu thư mà baocao ghi được); \
                 nhờ người quản trị đặt, ví dụ dir = \"/var/lib/baocao/templates\""
                    .to_string(),
                StatusCode::BAD_REQUEST,
            )
        })?;
        let before = template_source(Some(&dir), &name).map(|(text, _)| text);
        let path = dir.join(&name);
        let cannot_write = |e: std::io::Error| {
            Stopped::Said(
                format!("không ghi được {}: {e}", path.display()),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        };
        // The new text waits beside the file; the change is recorded; then it takes the
        // file's place. A refused record leaves the file as it was.
        let partial = dir.join(format!(".{name}.dang-luu"));
        if action == "save" {
            std::fs::write(&partial, &text).map_err(cannot_write)?;
        }
        let mut entry = AuditEntry::new(
            AuditSubject::Template,
            name.clone(),
            if action == "reset" { "reset" } else { "edit" },
        );
        entry.field = Some(name.clone());
        entry.before = before;
        entry.after = Some(if action == "reset" {
            "(mẫu có sẵn)".to_string()
        } else {
            text.clone()
        });
        if let Err(e) = store.record_audit(vec![entry], now()).await {
            let _ = std::fs::remove_file(&partial);
            return Err(Stopped::Store(e));
        }
        if action == "reset" {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(cannot_write(e)),
                _ => Ok(()),
            }
        } else {
            std::fs::rename(&partial, &path).map_err(cannot_write)
        }
    }
    .await;
    match saved {
        Ok(()) => {}
        Err(Stopped::Said(problem, status)) => {
            return edit_page(&state, &viewer, &name, (&text, &[problem], false), status).await;
        }
        Err(Stopped::Store(e)) => return store_failed(e),
    }
    // Used from now on by this service (a reload reads the same files): only the templates
    // change in the configuration as it is now.
    let mut shared = state.shared.write().unwrap_or_else(|e| e.into_inner());
    *shared = Arc::new(Current {
        settings: shared.settings.clone(),
        calendar: shared.calendar.clone(),
        templates: Arc::new(loaded.templates),
    });
    drop(shared);
    tracing::info!(user = %user, template = %name, action = %action, "letter template changed on the web page");
    Redirect::to(&format!("/templates/{name}?saved=1")).into_response()
}
