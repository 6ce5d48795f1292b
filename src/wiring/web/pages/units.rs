//! The unit registry on the page: upload a list (.xlsx, .xls, .ods, .csv) and see, before
//! anything changes, the units it adds, changes, brings back and — when asked — stops chasing
//! (those no longer in it), then apply it all or nothing; add or correct one unit; stop
//! chasing one. The checks are `unit import`'s and `unit edit`'s.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::Value;

use super::super::WebState;
use super::super::auth::{Viewer, viewer};
use super::actions::{Posted, PostedFiles, field};
use super::{now, refused, render_for, store_failed};
use crate::adapters::import::{ImportError, UnitSheet, read_units_upload};
use crate::adapters::store::{ApplyMode, Store, StoreError, UnitChange, planned_change};
use crate::domain::model::{EmailAddress, GroupCode, UnitCode, UnitInput};
use crate::services::decisions::DecisionError;

/// How long an uploaded list waits for "Áp dụng", and how many wait at once.
const UPLOAD_KEPT: Duration = Duration::from_secs(30 * 60);
const UPLOADS_AT_ONCE: usize = 8;

/// Uploaded lists waiting for confirmation, by a random token: who uploaded, the file.
#[derive(Default)]
pub struct Uploads(HashMap<String, Pending>);

struct Pending {
    user: String,
    name: String,
    bytes: Vec<u8>,
    at: Instant,
    /// The registry as the preview saw it, and the units it showed as left out: "Áp dụng"
    /// applies exactly what was shown, or refuses when the registry changed meanwhile.
    registry: u64,
    retire: Vec<UnitCode>,
}

impl Uploads {
    fn keep(&mut self, pending: Pending) -> String {
        // One list waits per user: a new upload replaces that user's earlier one only.
        self.0
            .retain(|_, p| p.at.elapsed() < UPLOAD_KEPT && p.user != pending.user);
        while self.0.len() >= UPLOADS_AT_ONCE {
            let oldest = self.0.iter().min_by_key(|(_, p)| p.at).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.0.remove(&oldest);
            }
        }
        let token = format!("{:032x}", rand::random::<u128>());
        self.0.insert(token.clone(), pending);
        token
    }

    /// The list `user` uploaded under `token`, taken out.
    fn take(&mut self, token: &str, user: &str) -> Option<Pending> {
        self.0.retain(|_, p| p.at.elapsed() < UPLOAD_KEPT);
        match self.0.get(token) {
            Some(p) if p.user == user => self.0.remove(token),
            _ => None,
        }
    }
}

fn lock(state: &WebState) -> std::sync::MutexGuard<'_, Uploads> {
    state.uploads.lock().unwrap_or_else(|e| e.into_inner())
}

/// A fingerprint of the registry as a list would change it: each unit's code, state, name,
/// groups, parent and addresses.
fn fingerprint(units: &[crate::domain::model::Unit]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for unit in units {
        unit.code.as_str().hash(&mut hasher);
        unit.active.hash(&mut hasher);
        unit.name.hash(&mut hasher);
        unit.parent.as_ref().map(UnitCode::as_str).hash(&mut hasher);
        for group in &unit.groups {
            group.as_str().hash(&mut hasher);
        }
        for address in &unit.addresses {
            address.address.as_str().hash(&mut hasher);
        }
    }
    hasher.finish()
}

/// The sheet of an uploaded list, off the async workers (a workbook is parsed in memory).
async fn read_sheet(name: String, bytes: Vec<u8>) -> Result<UnitSheet, String> {
    match tokio::task::spawn_blocking(move || read_units_upload(&name, &bytes)).await {
        Ok(Ok(sheet)) => Ok(sheet),
        Ok(Err(ImportError::Unreadable(text))) => Err(text),
        Err(error) => Err(format!("không đọc được tệp (lỗi bất ngờ: {error})")),
    }
}

/// Every problem of the list's rows and of the registry with them, `dòng N: …`.
async fn problems_of(store: &Store, sheet: &UnitSheet) -> Result<Vec<String>, StoreError> {
    let found = store.check_units(&sheet.units(), ApplyMode::Upsert).await?;
    Ok(sheet.problems(found.into_iter().map(|p| (p.input, p.text))))
}

/// The active units a list does not have.
fn missing_from(units: &[crate::domain::model::Unit], sheet: &UnitSheet) -> Vec<crate::domain::model::Unit> {
    let inputs = sheet.units();
    units
        .iter()
        .filter(|u| u.active && !inputs.iter().any(|(_, i)| i.code == u.code))
        .cloned()
        .collect()
}

async fn preview_page(state: &WebState, viewer: &Viewer, context: Value, status: StatusCode) -> Response {
    let review_count = state.store.open_review_count().await.unwrap_or(0);
    let mut response = render_for(state, viewer, "units_preview.html", context, review_count);
    *response.status_mut() = status;
    response
}

/// Reads an uploaded list and shows what applying it would change; nothing changes yet.
pub async fn upload_units(State(state): State<Arc<WebState>>, headers: HeaderMap, posted: PostedFiles) -> Response {
    let PostedFiles { user, files, store, .. } = posted;
    let viewer = viewer(&state, &headers);
    let Some(file) = files.into_iter().find(|f| f.field == "file") else {
        return refused(DecisionError::Refused("chọn tệp danh sách đơn vị".into()), "/units");
    };
    let (name, bytes) = (file.name, file.data);
    let sheet = match read_sheet(name.clone(), bytes.clone()).await {
        Ok(sheet) => sheet,
        Err(problem) => {
            let context = minijinja::context! { page => "units", name => name, problems => vec![problem] };
            return preview_page(&state, &viewer, context, StatusCode::BAD_REQUEST).await;
        }
    };
    let problems = match problems_of(&store, &sheet).await {
        Ok(problems) => problems,
        Err(e) => return store_failed(e),
    };
    if !problems.is_empty() {
        let context = minijinja::context! {
            page => "units", name => name, problems => problems, warnings => sheet.warnings,
        };
        return preview_page(&state, &viewer, context, StatusCode::BAD_REQUEST).await;
    }
    let existing = match store.all_units().await {
        Ok(units) => units,
        Err(e) => return store_failed(e),
    };
    let mut rows = Vec::new();
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    for (label, input) in sheet.units() {
        let (change, before, after) = planned_change(&existing, &input);
        let kind = match change {
            UnitChange::Created => "created",
            UnitChange::Updated => "updated",
            UnitChange::Reactivated => "reactivated",
            UnitChange::Unchanged => "unchanged",
        };
        *counts.entry(kind).or_default() += 1;
        rows.push(minijinja::context! {
            label => label, code => input.code.to_string(), kind => kind, before => before, after => after,
        });
    }
    let left_out = missing_from(&existing, &sheet);
    let missing: Vec<Value> = left_out
        .iter()
        .map(|u| minijinja::context! { code => u.code.to_string(), name => u.name.clone() })
        .collect();
    let token = lock(&state).keep(Pending {
        user,
        name: name.clone(),
        bytes,
        at: Instant::now(),
        registry: fingerprint(&existing),
        retire: left_out.into_iter().map(|u| u.code).collect(),
    });
    let context = minijinja::context! {
        page => "units",
        name => name,
        rows => rows,
        counts => counts,
        missing => missing,
        warnings => sheet.warnings,
        token => token,
    };
    preview_page(&state, &viewer, context, StatusCode::OK).await
}

/// Applies a previewed list, all or nothing; with `retire`, the active units it does not
/// have stop being chased in the same transaction.
pub async fn apply_units(State(state): State<Arc<WebState>>, Posted { user, form, store }: Posted) -> Response {
    let Some(pending) = lock(&state).take(field(&form, "token"), &user) else {
        return refused(
            DecisionError::Refused(
                "danh sách đã tải lên không còn (quá 30 phút, hoặc đã áp dụng): hãy tải lại tệp".into(),
            ),
            "/units",
        );
    };
    let sheet = match read_sheet(pending.name.clone(), pending.bytes).await {
        Ok(sheet) => sheet,
        Err(problem) => return refused(DecisionError::Refused(problem), "/units"),
    };
    match store.all_units().await {
        Ok(units) if fingerprint(&units) == pending.registry => {}
        Ok(_) => {
            return refused(
                DecisionError::Refused(
                    "danh sách đơn vị đã thay đổi từ lúc xem trước (có người vừa sửa): hãy tải lại tệp để xem thay đổi mới"
                        .into(),
                ),
                "/units",
            );
        }
        Err(e) => return store_failed(e),
    }
    // Exactly the units the preview showed as left out.
    let retire: Vec<UnitCode> = if form.get("retire") == Some("yes") {
        pending.retire.clone()
    } else {
        Vec::new()
    };
    let result = store
        .apply_units_retiring(&sheet.units(), &sheet.group_names(), ApplyMode::Upsert, &retire, now())
        .await;
    match result {
        Ok(summary) => {
            tracing::info!(user = %user, file = %pending.name, retired = retire.len(), "unit list applied on the web page");
            Redirect::to(&format!(
                "/units?created={}&updated={}&reactivated={}&retired={}",
                summary.count(UnitChange::Created),
                summary.count(UnitChange::Updated),
                summary.count(UnitChange::Reactivated),
                retire.len()
            ))
            .into_response()
        }
        Err(e) => refused(e.into(), "/units"),
    }
}

/// Adds a unit, or replaces one's description (as `unit add` / `unit edit`). A refusal comes
/// back on the same form, with what was typed kept and each problem next to its field.
pub async fn save_unit(State(state): State<Arc<WebState>>, headers: HeaderMap, posted: Posted) -> Response {
    let Posted { user, form, store } = posted;
    let list = |name: &str| -> Vec<String> {
        field(&form, name)
            .split([',', ';', '\n', '\r', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    let code = UnitCode::parse(field(&form, "code").trim()).map_err(|e| errors.push(("code", e.0)));
    let name = field(&form, "name").trim().to_string();
    if name.is_empty() {
        errors.push(("name", "hãy ghi tên đơn vị".into()));
    }
    let mut groups = Vec::new();
    for g in list("groups") {
        match GroupCode::parse(&g) {
            Ok(g) => groups.push(g),
            Err(e) => errors.push(("groups", format!("{g}: {}", e.0))),
        }
    }
    let parent = match field(&form, "parent").trim() {
        "" => None,
        parent => UnitCode::parse(parent).map_err(|e| errors.push(("parent", e.0))).ok(),
    };
    let mut addresses = Vec::new();
    for a in list("emails") {
        match EmailAddress::parse(&a) {
            Ok(a) => addresses.push(a),
            Err(e) => errors.push(("emails", format!("{a}: {}", e.0))),
        }
    }
    if list("emails").is_empty() {
        errors.push(("emails", "hãy ghi ít nhất một địa chỉ thư".into()));
    }
    if let (Ok(code), true) = (&code, errors.is_empty()) {
        let input = UnitInput {
            code: code.clone(),
            name,
            groups,
            parent,
            addresses,
        };
        match store
            .apply_units(&[(String::new(), input)], &[], ApplyMode::Upsert, now())
            .await
        {
            Ok(_) => {
                tracing::info!(user = %user, unit = %code, "unit saved on the web page");
                return Redirect::to("/units").into_response();
            }
            Err(StoreError::Rejected(problems)) => {
                for problem in problems {
                    // The store's checks name what they refuse; each goes by its field.
                    let text = problem
                        .split_once(": ")
                        .map_or(problem.as_str(), |(_, t)| t)
                        .to_string();
                    let name = if text.starts_with("địa chỉ") {
                        "emails"
                    } else if text.contains("cấp trên") {
                        "parent"
                    } else if text.contains("nhóm") {
                        "groups"
                    } else {
                        "code"
                    };
                    errors.push((name, text));
                }
            }
            Err(e) => return store_failed(e),
        }
    }
    let viewer = viewer(&state, &headers);
    let typed: HashMap<&str, String> = ["code", "name", "groups", "parent", "emails"]
        .into_iter()
        .map(|name| (name, field(&form, name).to_string()))
        .collect();
    let mut by_field: HashMap<&str, String> = HashMap::new();
    for (name, text) in errors {
        let said = by_field.entry(name).or_default();
        if !said.is_empty() {
            said.push_str("; ");
        }
        said.push_str(&text);
    }
    let errors = by_field;
    let context = minijinja::context! { unit_form => typed, unit_errors => errors };
    super::units_page(&state, &viewer, context, StatusCode::BAD_REQUEST).await
}

pub async fn remove_unit(Path(code): Path<String>, Posted { user, form, store }: Posted) -> Response {
    if form.get("confirm") != Some("yes") {
        return refused(
            DecisionError::Refused("hãy đánh dấu ô xác nhận trước khi ngừng theo dõi đơn vị".into()),
            "/units",
        );
    }
    let code = match UnitCode::parse(&code) {
        Ok(code) => code,
        Err(e) => return refused(DecisionError::Refused(e.0), "/units"),
    };
    match store.deactivate_unit(&code, now()).await {
        Ok(true) => {
            tracing::info!(user = %user, unit = %code, "unit removed on the web page");
            Redirect::to("/units").into_response()
        }
        Ok(false) => refused(
            DecisionError::Refused(format!("không có đơn vị {code} đang theo dõi")),
            "/units",
        ),
        Err(e) => store_failed(e),
    }
}
