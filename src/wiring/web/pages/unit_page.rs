//! One unit on the page (`/units/{code}`): its addresses, each with its role (nhận thư, thủ
//! trưởng, văn thư) and the mail server's answer when it fails; a new code or name; merging it
//! into another unit, shown before it is done (the same report as `unit merge --dry-run`);
//! its history from the audit trail. The checks are `unit role`'s, `unit rename`'s and
//! `unit merge`'s.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::Value;

use super::super::auth::{Viewer, may_read_private, viewer};
use super::super::{WebState, now};
use super::actions::{Posted, answer, field};
use super::audit::row_view;
use super::{current, page_with_status, refused, store_failed};
use crate::adapters::store::{AuditFilter, AuditSubject, MergeRow, StoreError};
use crate::domain::model::{AddressRole, EmailAddress, UnitCode};
use crate::services::decisions::DecisionError;

const ROLES: [AddressRole; 3] = [AddressRole::Receives, AddressRole::Head, AddressRole::Clerk];

fn role_vi(role: AddressRole) -> &'static str {
    match role {
        AddressRole::Receives => "nhận thư",
        AddressRole::Head => "thủ trưởng (chỉ nhận thư đề nghị đôn đốc)",
        AddressRole::Clerk => "văn thư",
    }
}

/// The unit's page, with `extra` (a merge's preview, the merge form as typed and its refusal).
async fn unit_page(state: &WebState, viewer: &Viewer, code: &str, extra: Value, status: StatusCode) -> Response {
    let unit = match UnitCode::parse(code) {
        Ok(code) => match state.store.find_unit(&code).await {
            Ok(Some(unit)) => unit,
            Ok(None) => return refused(DecisionError::Refused(format!("không có đơn vị `{code}`")), "/units"),
            Err(e) => return store_failed(e),
        },
        Err(e) => return refused(DecisionError::Refused(e.0), "/units"),
    };
    let zone = current(state).settings.office.zone;
    let filter = AuditFilter {
        subject: Some(AuditSubject::Unit),
        key: Some(unit.code.to_string()),
        limit: Some(100),
        ..Default::default()
    };
    let history: Vec<Value> = match state.store.audit(&filter).await {
        Ok(rows) => rows.iter().map(|r| row_view(r, zone)).collect(),
        Err(e) => return store_failed(e),
    };
    let addresses: Vec<Value> = unit
        .addresses
        .iter()
        .map(|a| {
            minijinja::context! {
                address => a.address.to_string(),
                role => a.role.as_str(),
                role_label => role_vi(a.role),
                failing => a.failing_since.map(|_| a.failing_reason.clone().unwrap_or_else(|| "lỗi".into())),
            }
        })
        .collect();
    let context = minijinja::context! {
        page => "units",
        u => minijinja::context! {
            code => unit.code.to_string(),
            name => unit.name.clone(),
            active => unit.active,
            groups => unit.groups.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            parent => unit.parent.as_ref().map(ToString::to_string),
        },
        addresses => addresses,
        roles => ROLES.iter().map(|r| minijinja::context! { value => r.as_str(), label => role_vi(*r) }).collect::<Vec<_>>(),
        history => history,
        ..extra
    };
    page_with_status(state, viewer, "unit.html", context, status).await
}

pub async fn unit(State(state): State<Arc<WebState>>, headers: HeaderMap, Path(code): Path<String>) -> Response {
    let viewer = match may_read_private(&state, &headers, &format!("/units/{code}")) {
        Ok(v) => v,
        Err(r) => return r,
    };
    unit_page(&state, &viewer, &code, Value::from(()), StatusCode::OK).await
}

/// What one address is for (as `unit role`).
pub async fn address_role(Path(code): Path<String>, Posted { user, form, store }: Posted) -> Response {
    let back = format!("/units/{code}");
    let parsed = (|| -> Result<(UnitCode, EmailAddress, AddressRole), String> {
        let unit = UnitCode::parse(&code).map_err(|e| e.0)?;
        let address = EmailAddress::parse(field(&form, "address")).map_err(|e| e.0)?;
        let role = AddressRole::parse(field(&form, "role"))
            .ok_or_else(|| format!("không có vai trò \"{}\"", field(&form, "role")))?;
        Ok((unit, address, role))
    })();
    let (unit, address, role) = match parsed {
        Ok(parsed) => parsed,
        Err(problem) => return refused(DecisionError::Refused(problem), &back),
    };
    let result = store
        .set_address_role(&unit, &address, role, now())
        .await
        .map_err(DecisionError::from);
    answer(result, &back, |()| {
        tracing::info!(user = %user, unit = %unit, role = role.as_str(), "address role set on the web page");
    })
}

/// A new code and/or name (as `unit rename`).
pub async fn rename_unit(Path(code): Path<String>, Posted { user, form, store }: Posted) -> Response {
    let parsed = (|| -> Result<(UnitCode, UnitCode, Option<String>), String> {
        let old = UnitCode::parse(&code).map_err(|e| e.0)?;
        let typed = field(&form, "new_code").trim();
        let new = if typed.is_empty() {
            old.clone()
        } else {
            UnitCode::parse(typed).map_err(|e| format!("mã mới: {}", e.0))?
        };
        let name = Some(field(&form, "name").trim().to_string()).filter(|n| !n.is_empty());
        if new == old && name.is_none() {
            return Err("ghi mã mới hoặc tên mới".to_string());
        }
        Ok((old, new, name))
    })();
    let (old, new, name) = match parsed {
        Ok(parsed) => parsed,
        Err(problem) => return refused(DecisionError::Refused(problem), &format!("/units/{code}")),
    };
    match store.rename_unit(&old, &new, name.as_deref(), now()).await {
        Ok(unit) => {
            tracing::info!(user = %user, old = %old, new = %unit.code, "unit renamed on the web page");
            Redirect::to(&format!("/units/{}", unit.code)).into_response()
        }
        Err(e) => refused(DecisionError::from(e), &format!("/units/{code}")),
    }
}

/// Merges the unit into another: "Xem trước" shows what would happen; "Sáp nhập", after the
/// tick, does it (as `unit merge`).
pub async fn merge_unit(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Posted { user, form, store }: Posted,
) -> Response {
    let viewer = viewer(&state, &headers);
    let typed = minijinja::context! { into => field(&form, "into"), new_name => field(&form, "new_name") };
    let again = |problem: String| {
        let state = state.clone();
        let viewer = viewer.clone();
        let code = code.clone();
        let typed = typed.clone();
        async move {
            let extra = minijinja::context! { merge_form => typed, merge_error => problem };
            unit_page(&state, &viewer, &code, extra, StatusCode::BAD_REQUEST).await
        }
    };
    let row = match (UnitCode::parse(&code), UnitCode::parse(field(&form, "into").trim())) {
        (Ok(old), Ok(new)) => MergeRow {
            label: "trang web".to_string(),
            old,
            new,
            new_name: Some(field(&form, "new_name").trim().to_string()).filter(|n| !n.is_empty()),
        },
        (Err(e), _) => return refused(DecisionError::Refused(e.0), "/units"),
        (_, Err(e)) => return again(format!("đơn vị nhận: {}", e.0)).await,
    };
    let apply = field(&form, "action") == "apply";
    if apply && form.get("confirm") != Some("yes") {
        return again("hãy đánh dấu ô xác nhận trước khi sáp nhập".to_string()).await;
    }
    match store.merge_units(std::slice::from_ref(&row), !apply, now()).await {
        Ok(_) if apply => {
            tracing::info!(user = %user, old = %row.old, new = %row.new, "units merged on the web page");
            Redirect::to(&format!("/units/{}", row.new)).into_response()
        }
        Ok(report) => {
            let preview = crate::services::units::describe_merge(
                &report,
                "Đánh dấu ô xác nhận rồi bấm \"Sáp nhập\" để thực hiện.",
            );
            let extra = minijinja::context! { merge_form => typed, merge_preview => preview };
            unit_page(&state, &viewer, &code, extra, StatusCode::OK).await
        }
        Err(StoreError::Rejected(problems)) => again(problems.join("; ")).await,
        Err(e) => store_failed(e),
    }
}
