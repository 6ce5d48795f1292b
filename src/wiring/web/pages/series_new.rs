//! A periodic report made on the page (`/series/new`): every field of `series add` (without
//! escalation and files, which keep the configuration's and `series edit --attach`), "Xem
//! trước" showing the first year's periods — data span, deadline and why it moved, when each
//! is made — before "Lưu" makes it; each refusal beside its field. The reading is
//! `services::series::read_series_form`, the same as the CLI's.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::Value;

use super::super::auth::{Viewer, may_change_page, viewer};
use super::super::{WebState, now};
use super::actions::{Fields, Posted, field};
use super::requests::group_choices;
use super::{current, page_with_status, store_failed};
use crate::adapters::store::StoreError;
use crate::domain::dates::{format_date, format_instant};
use crate::services::series::{SeriesForm, read_series_form};

const PERIODS: [(&str, &str); 6] = [
    ("thang", "Tháng"),
    ("quy", "Quý"),
    ("6-thang", "6 tháng"),
    ("9-thang", "9 tháng"),
    ("nam", "Năm"),
    ("nam-hoc", "Năm học (học kỳ)"),
];
const DAY_OFF: [(&str, &str); 3] = [
    ("sau", "dời sang ngày làm việc kế tiếp (Bộ luật Dân sự 2015, Điều 148)"),
    ("truoc", "đưa lên ngày làm việc liền trước"),
    ("giu", "giữ nguyên ngày"),
];

fn typed(form: &Fields) -> SeriesForm {
    let text = |name: &str| field(form, name).trim().to_string();
    SeriesForm {
        code: text("code"),
        doc: text("doc"),
        title: text("title"),
        period: text("period"),
        deadline: text("deadline"),
        cut_off: text("cut_off"),
        on_day_off: text("on_day_off"),
        school_dates: text("school_dates"),
        lead_days: text("lead_days"),
        from: text("from"),
        groups: form.all("group").into_iter().map(str::to_string).collect(),
        units: field(form, "units")
            .split([',', ';', ' '])
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string)
            .collect(),
        issued: text("issued"),
        issuer: text("issuer"),
        kind: text("kind"),
        content: field(form, "content").trim().to_string(),
        remind: text("remind"),
        overdue: text("overdue"),
        no_attachment_required: form.get("no_attachment_required") == Some("yes"),
    }
}

async fn form_page(
    state: &WebState,
    viewer: &Viewer,
    form: &SeriesForm,
    (errors, plan): (&BTreeMap<&'static str, String>, Option<Vec<Value>>),
    status: StatusCode,
) -> Response {
    let units = match state.store.list_units(None).await {
        Ok(units) => units,
        Err(e) => return store_failed(e),
    };
    let names = state.store.group_names().await.unwrap_or_default();
    let defaults = &current(state).settings.reminders;
    let choose = |options: &[(&str, &str)], chosen: &str| -> Vec<Value> {
        options
            .iter()
            .map(|(value, label)| minijinja::context! { value => *value, label => *label, chosen => *value == chosen })
            .collect()
    };
    let context = minijinja::context! {
        page => "series",
        v => Value::from(minijinja::value::Serde(form)),
        units_typed => form.units.join(", "),
        groups => group_choices(&units, &names, &form.groups),
        periods => choose(&PERIODS, &form.period),
        day_off => choose(&DAY_OFF, if form.on_day_off.is_empty() { "sau" } else { &form.on_day_off }),
        defaults => minijinja::context! { remind => defaults.remind_before.to_text(), overdue => defaults.overdue_after.to_text() },
        errors => errors,
        plan => plan,
    };
    page_with_status(state, viewer, "series_new.html", context, status).await
}

pub async fn new_series_page(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let viewer = match may_change_page(&state, &headers, "/series/new") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let blank = SeriesForm {
        period: "thang".into(),
        lead_days: "15".into(),
        ..Default::default()
    };
    form_page(&state, &viewer, &blank, (&BTreeMap::new(), None), StatusCode::OK).await
}

pub async fn new_series(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Posted { user, form, store }: Posted,
) -> Response {
    let viewer = viewer(&state, &headers);
    let current = current(&state);
    let zone = current.settings.office.zone;
    let at = now();
    let typed = typed(&form);
    let defaults = &current.settings.reminders;
    let refused = |problems: Vec<(&'static str, String)>| {
        let mut errors: BTreeMap<&'static str, String> = BTreeMap::new();
        for (name, text) in problems {
            let said = errors.entry(name).or_default();
            if !said.is_empty() {
                said.push_str("; ");
            }
            said.push_str(&text);
        }
        errors
    };
    let input = match read_series_form(
        &typed,
        (&defaults.remind_before, &defaults.overdue_after),
        (&current.calendar, zone),
        at,
    ) {
        Ok(input) => input,
        Err(problems) => {
            return form_page(
                &state,
                &viewer,
                &typed,
                (&refused(problems), None),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    if field(&form, "action") != "save" {
        // The periods of the first period's year, as `series plan` shows them.
        let plan: Vec<Value> = input
            .schedule
            .year_plan(input.first_period.year, input.first_period, &current.calendar, zone)
            .iter()
            .map(|i| {
                minijinja::context! {
                    label => i.label.clone(),
                    data => format!("{} – {}", format_date(i.data_from), format_date(i.data_to)),
                    deadline => format!("{} ({})", format_instant(i.deadline, zone), i.wording),
                    create_at => format_instant(i.create_at, zone),
                    note => [i.moved.clone(), i.warning.clone()].into_iter().flatten().collect::<Vec<_>>().join("; "),
                }
            })
            .collect();
        return form_page(&state, &viewer, &typed, (&BTreeMap::new(), Some(plan)), StatusCode::OK).await;
    }
    match store.create_series(&input, &[], at).await {
        Ok(series) => {
            tracing::info!(user = %user, series = %series.input.code, "series made on the web page");
            Redirect::to(&format!("/series/{}", series.input.code)).into_response()
        }
        Err(StoreError::Rejected(problems)) => {
            let problems = problems
                .into_iter()
                .map(|p| {
                    let name = if p.contains("nhóm") {
                        "groups"
                    } else if p.contains("đơn vị") {
                        "units"
                    } else {
                        "code"
                    };
                    (name, p)
                })
                .collect();
            form_page(
                &state,
                &viewer,
                &typed,
                (&refused(problems), None),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => store_failed(e),
    }
}
