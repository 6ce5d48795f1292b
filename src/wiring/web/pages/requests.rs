//! Making and changing requests on the page: the form for a new request (what baocao
//! understood — the deadline's instant, the year, how many units — shown before it is saved,
//! each refusal next to its field), a later deadline for all or some units, deleting a draft.
//! The checks are `ProposalFile::to_input`'s and the store's, as for `request add`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::Value;

use super::super::auth::{Viewer, may_change_page, viewer};
use super::super::{WebState, now};
use super::actions::{Fields, Posted, PostedFiles, answer, field};
use super::{current, refused, render_for, store_failed};
use crate::adapters::store::StoreError;
use crate::domain::dates::{self, format_instant};
use crate::domain::directive::proposal_file::{Defaults, ProposalFile};
use crate::domain::directive::{Registry, Setting, propose};
use crate::domain::model::{GroupCode, Offsets, RequestCode, RequestState, UnitCode};
use crate::services::decisions::{self, DecisionError};

/// The form's fields as typed, to show them back.
#[derive(Debug, Default, serde::Serialize)]
struct Typed {
    code: String,
    title: String,
    issued: String,
    issuer: String,
    kind: String,
    content: String,
    deadline: String,
    units: String,
    remind: String,
    overdue: String,
    no_report: bool,
    no_attachment_required: bool,
    groups: Vec<String>,
    /// The year read from a directive, carried in a hidden field.
    year: Option<i32>,
}

impl Typed {
    fn of(form: &Fields) -> Typed {
        let text = |name: &str| field(form, name).trim().to_string();
        Typed {
            code: text("code"),
            title: text("title"),
            issued: text("issued"),
            issuer: text("issuer"),
            kind: text("kind"),
            content: text("content"),
            deadline: text("deadline"),
            units: text("units"),
            remind: text("remind"),
            overdue: text("overdue"),
            no_report: form.get("no_report") == Some("yes"),
            no_attachment_required: form.get("no_attachment_required") == Some("yes"),
            groups: form.all("group").into_iter().map(str::to_string).collect(),
            year: form.get("year").and_then(|y| y.trim().parse().ok()),
        }
    }

    /// The form filled from a directive's proposal.
    fn of_proposal(file: &ProposalFile) -> Typed {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Typed {
            code: text(&file.code),
            title: text(&file.title),
            issued: text(&file.issued),
            issuer: text(&file.issuer),
            kind: text(&file.kind),
            content: text(&file.content),
            deadline: text(&file.deadline),
            units: file.units.join(", "),
            remind: text(&file.remind),
            overdue: text(&file.overdue),
            no_report: file.no_report,
            no_attachment_required: file.attachment_required == Some(false),
            groups: file.groups.clone(),
            year: file.year,
        }
    }

    fn unit_codes(&self) -> Vec<String> {
        self.units
            .split([',', ';', ' ', '\n', '\r', '\t'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn proposal(&self) -> ProposalFile {
        let some = |text: &str| (!text.is_empty()).then(|| text.to_string());
        ProposalFile {
            code: some(&self.code),
            title: some(&self.title),
            issued: some(&self.issued),
            year: self.year,
            issuer: some(&self.issuer),
            kind: some(&self.kind),
            groups: self.groups.clone(),
            units: self.unit_codes(),
            deadline: some(&self.deadline),
            no_report: self.no_report,
            attachment_required: Some(!self.no_attachment_required),
            content: some(&self.content),
            remind: some(&self.remind),
            overdue: some(&self.overdue),
        }
    }
}

/// Each field's refusal, in the clerk's words; empty when the form can be saved.
fn field_errors(
    typed: &Typed,
    units: &[crate::domain::model::Unit],
    zone: chrono_tz::Tz,
) -> BTreeMap<&'static str, String> {
    let mut errors = BTreeMap::new();
    if typed.code.is_empty() {
        errors.insert("code", "Ghi số văn bản, ví dụ 4189/KH-BCĐ.".to_string());
    } else if let Err(e) = RequestCode::parse(&typed.code) {
        errors.insert("code", e.to_string());
    }
    if typed.title.is_empty() {
        errors.insert("title", "Ghi trích yếu của văn bản.".to_string());
    }
    if !typed.issued.is_empty() && dates::parse_date(&typed.issued).is_none() {
        errors.insert(
            "issued",
            format!("Không hiểu ngày \"{}\": viết dd/mm/yyyy.", typed.issued),
        );
    }
    if !typed.no_report {
        if typed.deadline.is_empty() {
            errors.insert(
                "deadline",
                "Ghi hạn báo cáo như văn bản ghi (ví dụ \"trước ngày 31/12/2023\"), hoặc chọn văn bản để biết."
                    .to_string(),
            );
        } else if let Err(e) = dates::parse_deadline(&typed.deadline, zone) {
            errors.insert("deadline", e.to_string());
        }
        for (name, text) in [("remind", &typed.remind), ("overdue", &typed.overdue)] {
            if !text.is_empty()
                && let Err(e) = Offsets::parse(text)
            {
                errors.insert(name, e.to_string());
            }
        }
    }
    let codes = typed.unit_codes();
    let mut unknown = Vec::new();
    for code in &codes {
        match UnitCode::parse(code) {
            Ok(code) if units.iter().any(|u| u.code == code) => {}
            _ => unknown.push(code.clone()),
        }
    }
    if !unknown.is_empty() {
        errors.insert("units", format!("Không có đơn vị: {}.", unknown.join(", ")));
        errors.insert("recipients", format!("Không có đơn vị: {}.", unknown.join(", ")));
    } else if typed.groups.is_empty() && codes.is_empty() {
        errors.insert(
            "recipients",
            "Chọn ít nhất một nhóm hoặc ghi mã một đơn vị.".to_string(),
        );
    }
    errors
}

/// The groups of the active units, with display names and sizes, those in `checked` ticked.
pub(super) fn group_choices(
    units: &[crate::domain::model::Unit],
    names: &BTreeMap<GroupCode, String>,
    checked: &[String],
) -> Vec<Value> {
    let mut counts: BTreeMap<&GroupCode, usize> = BTreeMap::new();
    for unit in units {
        for group in &unit.groups {
            *counts.entry(group).or_default() += 1;
        }
    }
    let mut choices: Vec<Value> = counts
        .iter()
        .map(|(code, count)| {
            minijinja::context! {
                code => code.to_string(),
                name => names.get(*code).cloned().unwrap_or_else(|| code.to_string()),
                count => count,
                checked => checked.iter().any(|c| c == code.as_str()),
            }
        })
        .collect();
    // A group ticked (or read from a directive) that has no active unit stays on the form,
    // ticked, so it is not dropped without a word.
    for code in checked
        .iter()
        .filter(|c| !counts.keys().any(|g| g.as_str() == c.as_str()))
    {
        choices.push(minijinja::context! { code => code.clone(), name => code.clone(), count => 0, checked => true });
    }
    choices
}

/// How many active units the typed groups and codes name.
fn recipients_count(typed: &Typed, units: &[crate::domain::model::Unit]) -> usize {
    let codes = typed.unit_codes();
    let named: BTreeSet<&UnitCode> = units
        .iter()
        .filter(|u| {
            u.groups.iter().any(|g| typed.groups.iter().any(|c| c == g.as_str()))
                || codes.iter().any(|c| c == u.code.as_str())
        })
        .map(|u| &u.code)
        .collect();
    named.len()
}

/// The form, with what was typed, the refusals and what baocao understood.
async fn form_page(
    state: &WebState,
    viewer: &Viewer,
    typed: &Typed,
    (errors, problems): (&BTreeMap<&'static str, String>, &[String]),
    understood: Option<Value>,
    status: StatusCode,
) -> Response {
    form_page_read(state, viewer, typed, (errors, problems), understood, None, status).await
}

/// [`form_page`] with what was read from a directive: each field's source line.
async fn form_page_read(
    state: &WebState,
    viewer: &Viewer,
    typed: &Typed,
    (errors, problems): (&BTreeMap<&'static str, String>, &[String]),
    understood: Option<Value>,
    read: Option<Value>,
    status: StatusCode,
) -> Response {
    let units = match state.store.list_units(None).await {
        Ok(units) => units,
        Err(e) => return store_failed(e),
    };
    let names = state.store.group_names().await.unwrap_or_default();
    let defaults = &current(state).settings.reminders;
    let context = minijinja::context! {
        page => "request_new",
        v => Value::from(minijinja::value::Serde(typed)),
        errors => Value::from(minijinja::value::Serde(errors)),
        problems => problems.to_vec(),
        understood => understood,
        groups => group_choices(&units, &names, &typed.groups),
        defaults => minijinja::context! {
            remind => defaults.remind_before.to_text(),
            overdue => defaults.overdue_after.to_text_ascending(),
        },
        ..read.unwrap_or_default()
    };
    let review_count = state.store.open_review_count().await.unwrap_or(0);
    let mut response = render_for(state, viewer, "request_new.html", context, review_count);
    *response.status_mut() = status;
    response
}

pub async fn new_request_page(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let viewer = match may_change_page(&state, &headers, "/requests/new") {
        Ok(v) => v,
        Err(r) => return r,
    };
    form_page(
        &state,
        &viewer,
        &Typed::default(),
        (&BTreeMap::new(), &[]),
        None,
        StatusCode::OK,
    )
    .await
}

pub async fn new_request(State(state): State<Arc<WebState>>, headers: HeaderMap, posted: Posted) -> Response {
    let Posted { user, form, store } = posted;
    let viewer = viewer(&state, &headers);
    let current = current(&state);
    let (zone, at) = (current.settings.office.zone, now());
    let typed = Typed::of(&form);
    let units = match store.list_units(None).await {
        Ok(units) => units,
        Err(e) => return store_failed(e),
    };
    let errors = field_errors(&typed, &units, zone);
    if !errors.is_empty() {
        return form_page(&state, &viewer, &typed, (&errors, &[]), None, StatusCode::BAD_REQUEST).await;
    }
    let defaults = Defaults {
        remind_before: &current.settings.reminders.remind_before,
        overdue_after: &current.settings.reminders.overdue_after,
    };
    let (input, parsed) = match typed.proposal().to_input(zone, defaults, at) {
        Ok(found) => found,
        Err(problem) => {
            return form_page(
                &state,
                &viewer,
                &typed,
                (&errors, &[problem]),
                None,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let understood = minijinja::context! {
        deadline => parsed.as_ref().map(|p| format_instant(p.instant, zone)),
        wording => input.deadline_wording.clone(),
        code => input.code.to_string(),
        year => input.year,
        units => recipients_count(&typed, &units),
        warnings => parsed
            .as_ref()
            .map(|p| crate::domain::calendar::deadline_warnings_vi(p.instant, at, &current.calendar, zone))
            .unwrap_or_default(),
    };
    if form.get("action") != Some("save") {
        return form_page(
            &state,
            &viewer,
            &typed,
            (&errors, &[]),
            Some(understood),
            StatusCode::OK,
        )
        .await;
    }
    match store.create_request(&input, at).await {
        Ok(request) => {
            tracing::info!(user = %user, request = %request.token, "request made on the web page");
            Redirect::to(&format!("/requests/{}", request.token)).into_response()
        }
        Err(StoreError::Rejected(problems)) => {
            form_page(
                &state,
                &viewer,
                &typed,
                (&errors, &problems),
                Some(understood),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => store_failed(e),
    }
}

pub async fn from_directive_page(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let viewer = match may_change_page(&state, &headers, "/requests/from") {
        Ok(v) => v,
        Err(r) => return r,
    };
    from_page(&state, &viewer, "", None, StatusCode::OK).await
}

async fn from_page(
    state: &WebState,
    viewer: &Viewer,
    text: &str,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let context = minijinja::context! { page => "request_from", text => text, problem => problem };
    let review_count = state.store.open_review_count().await.unwrap_or(0);
    let mut response = render_for(state, viewer, "request_from.html", context, review_count);
    *response.status_mut() = status;
    response
}

/// Reads an uploaded or pasted directive and shows the new-request form filled from it, each
/// field with the line it came from; nothing is saved.
pub async fn from_directive(State(state): State<Arc<WebState>>, headers: HeaderMap, posted: PostedFiles) -> Response {
    let PostedFiles { form, files, store, .. } = posted;
    let viewer = viewer(&state, &headers);
    let zone = current(&state).settings.office.zone;
    let pasted = field(&form, "text").to_string();
    let upload = files.into_iter().find(|f| f.field == "file");
    let (text, note, name) = match upload {
        Some(file) => {
            let name = file.name.clone();
            // pdftotext and OCR run as programs: off the async workers.
            let extracted = tokio::task::spawn_blocking(move || crate::adapters::documents::extract(&file.data)).await;
            match extracted {
                Ok(Ok(extracted)) => (extracted.text, extracted.how.note_vi(), Some(name)),
                Ok(Err(error)) => {
                    let problem = format!("Không đọc được tệp {name}: {error}");
                    return from_page(&state, &viewer, &pasted, Some(problem), StatusCode::BAD_REQUEST).await;
                }
                Err(error) => {
                    tracing::error!(%error, "reading an uploaded directive failed");
                    let problem = "Không đọc được tệp (lỗi bất ngờ): hãy dán nội dung văn bản.".to_string();
                    return from_page(
                        &state,
                        &viewer,
                        &pasted,
                        Some(problem),
                        StatusCode::INTERNAL_SERVER_ERROR,
                    )
                    .await;
                }
            }
        }
        None if pasted.trim().is_empty() => {
            let problem = "Chọn tệp văn bản hoặc dán nội dung văn bản.".to_string();
            return from_page(&state, &viewer, &pasted, Some(problem), StatusCode::BAD_REQUEST).await;
        }
        None => (pasted.clone(), None, None),
    };
    let units = match store.all_units().await {
        Ok(units) => units,
        Err(e) => return store_failed(e),
    };
    let names = store.group_names().await.unwrap_or_default();
    let registry = Registry::new(&units, &names);
    let setting = Setting {
        zone,
        report_mailbox: Some(current(&state).settings.office.report_mailbox.to_string()),
    };
    let proposal = propose(&text, &registry, &setting);
    let file = ProposalFile::from_proposal(&proposal, zone);
    let typed = Typed::of_proposal(&file);
    let sources: Vec<Value> = proposal
        .rows(zone)
        .iter()
        .map(|row| {
            minijinja::context! {
                label => row.label,
                value => row.value.clone(),
                missing => row.missing.clone(),
                lines => row.source.as_ref().map(|s| s.lines_vi()),
                text => row.source.as_ref().map(|s| s.text.clone()),
            }
        })
        .collect();
    let unmatched: Vec<Value> = proposal
        .unmatched()
        .map(|r| minijinja::context! { text => r.text.clone(), line => r.line })
        .collect();
    let read = minijinja::context! {
        sources => sources,
        unmatched => unmatched,
        note => note,
        source_name => name,
    };
    form_page_read(
        &state,
        &viewer,
        &typed,
        (&BTreeMap::new(), &[]),
        None,
        Some(read),
        StatusCode::OK,
    )
    .await
}

/// A later deadline for the whole request, or for the units ticked.
pub async fn extend_request(
    State(state): State<Arc<WebState>>,
    Path(token): Path<String>,
    Posted { user, form, store }: Posted,
) -> Response {
    let back = format!("/requests/{token}");
    let zone = current(&state).settings.office.zone;
    let request = match store.resolve_request(&token).await {
        Ok(r) => r,
        Err(e) => return store_failed(e),
    };
    let units: Vec<String> = form.all("unit").into_iter().map(str::to_string).collect();
    let result = decisions::extend_request(&store, &request, field(&form, "until"), &units, zone, now()).await;
    // The sender's next tick lays the reminders out again against the new deadline.
    answer(result, &back, |done| {
        tracing::info!(user = %user, request = %request.token, units = done.replanned, "deadline extended on the web page");
    })
}

/// Deletes a draft (nothing was sent), after the confirmation tick.
pub async fn delete_request(Path(token): Path<String>, Posted { user, form, store }: Posted) -> Response {
    let back = format!("/requests/{token}");
    if form.get("confirm") != Some("yes") {
        return refused(
            DecisionError::Refused("hãy đánh dấu ô xác nhận trước khi xóa bản nháp".into()),
            &back,
        );
    }
    let request = match store.resolve_request(&token).await {
        Ok(r) => r,
        Err(e) => return store_failed(e),
    };
    if request.state != RequestState::Draft {
        return refused(
            DecisionError::Refused(format!(
                "chỉ xóa được bản nháp; {} đang \"{}\"",
                request.token,
                request.state.label_vi()
            )),
            &back,
        );
    }
    match store.delete_draft(&request, now()).await {
        Ok(()) => {
            tracing::info!(user = %user, request = %request.token, "draft deleted on the web page");
            Redirect::to("/").into_response()
        }
        Err(e) => refused(e.into(), &back),
    }
}

/// The letters one unit of a request would get, rendered with the templates in use.
pub async fn letters(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(token): Path<String>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let viewer = match super::super::auth::may_read_private(&state, &headers, &format!("/requests/{token}")) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let current = current(&state);
    let zone = current.settings.office.zone;
    let request = match state.store.resolve_request(&token).await {
        Ok(r) => r,
        Err(e) => return store_failed(e),
    };
    let units = match state.store.units_of_request(request.id).await {
        Ok(units) => units,
        Err(e) => return store_failed(e),
    };
    let chosen = query
        .get("unit")
        .and_then(|code| units.iter().find(|u| u.code.as_str() == code.trim()))
        .or(units.first());
    let files: Vec<String> = state
        .store
        .request_files(request.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|f| f.file_name)
        .collect();
    let setup = crate::services::letters::Setup {
        settings: &current.settings,
        calendar: &current.calendar,
        templates: &current.templates,
    };
    let (letters, problem) = match chosen {
        Some(unit) => match crate::services::letters::to_unit::preview(&setup, &request, unit, files, now()) {
            Ok(letters) => (letters, None),
            Err(error) => (Vec::new(), Some(format!("Mẫu thư không dựng được: {error}"))),
        },
        None => (Vec::new(), Some("Yêu cầu chưa có đơn vị nào.".to_string())),
    };
    let context = minijinja::context! {
        page => "letters",
        token => request.token.clone(),
        unit => chosen.map(|u| u.code.to_string()),
        units => units.iter().map(|u| minijinja::context! { code => u.code.to_string(), name => u.name.clone() }).collect::<Vec<_>>(),
        letters => letters.iter().map(|l| minijinja::context! {
            label => l.label, at => format_instant(l.at, zone), to => l.to.clone(),
            subject => l.subject.clone(), body => l.body.clone(),
        }).collect::<Vec<_>>(),
        problem => problem,
    };
    super::page(&state, &viewer, "letters.html", context).await
}

/// Adds files (the directive, forms) to a draft or active request; units that have not had
/// the notice get them with it.
pub async fn attach_files(Path(token): Path<String>, posted: PostedFiles) -> Response {
    let PostedFiles { user, files, store, .. } = posted;
    let back = format!("/requests/{token}");
    let files: Vec<crate::domain::model::FileInput> = files
        .into_iter()
        .filter(|f| f.field == "files")
        .map(|f| crate::domain::model::FileInput {
            name: f.name,
            content_type: f.content_type,
            data: f.data,
        })
        .collect();
    if files.is_empty() {
        return refused(DecisionError::Refused("chọn ít nhất một tệp để đính kèm".into()), &back);
    }
    edit_files(
        &store,
        &token,
        &back,
        &user,
        crate::adapters::store::RequestEdit {
            add_files: files,
            ..Default::default()
        },
    )
    .await
}

/// Removes one of a request's files, by name.
pub async fn remove_file(Path(token): Path<String>, Posted { user, form, store }: Posted) -> Response {
    let back = format!("/requests/{token}");
    let edit = crate::adapters::store::RequestEdit {
        remove_files: vec![field(&form, "name").to_string()],
        ..Default::default()
    };
    edit_files(&store, &token, &back, &user, edit).await
}

async fn edit_files(
    store: &crate::adapters::store::Store,
    token: &str,
    back: &str,
    user: &str,
    edit: crate::adapters::store::RequestEdit,
) -> Response {
    let request = match store.resolve_request(token).await {
        Ok(r) => r,
        Err(e) => return store_failed(e),
    };
    let result = store
        .edit_request(&request, &edit, now())
        .await
        .map_err(DecisionError::from);
    answer(result, back, |done| {
        tracing::info!(user = %user, request = %request.token, changes = done.changes.len(), "files changed on the web page");
    })
}
