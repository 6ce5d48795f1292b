//! A periodic report made on the page (`/series/new`): every field of `series add` (without
//! escalation and files, which keep the configuration's and `series edit --attach`), "Xem
//! trước" showing the first year's periods — data span, deadline and why it moved, when each
//! is made — before "Lưu" makes it; each refusal beside its field. The reading is
//! `services::series::read_series_form`, the same as the CLI's. The same form edits one
//! (`/series/{code}/edit`, as `series edit`): its code, directive, kind of period and first
//! period stay; the rest applies to the periods made from then on.

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
        // An empty field: the configuration's (a new series) or as it is (an edit).
        remind: Some(text("remind")).filter(|t| !t.is_empty()),
        overdue: Some(text("overdue")).filter(|t| !t.is_empty()),
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
    form_page_for(state, viewer, (form, None), (errors, plan), status).await
}

/// The form, for a new series or (with its code) for editing one.
async fn form_page_for(
    state: &WebState,
    viewer: &Viewer,
    (form, editing): (&SeriesForm, Option<&str>),
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
        editing => editing,
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
                (&by_field(problems), None),
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
            let problems = problems.into_iter().map(|p| (field_of_store_problem(&p), p)).collect();
            form_page(
                &state,
                &viewer,
                &typed,
                (&by_field(problems), None),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => store_failed(e),
    }
}

/// A stored series as the form shows it.
fn form_of(series: &crate::domain::model::Series) -> SeriesForm {
    let input = &series.input;
    SeriesForm {
        code: series.code.clone(),
        doc: input.doc_code.to_string(),
        title: input.title.clone(),
        period: input.schedule.kind.as_str().to_string(),
        deadline: input.deadline_text.clone(),
        cut_off: input.schedule.cut_off.to_text(),
        on_day_off: input.schedule.deadline.on_day_off.as_str().to_string(),
        school_dates: String::new(),
        lead_days: input.schedule.lead_days.to_string(),
        from: input.first_period.label_vi(),
        groups: input.recipients.groups.iter().map(ToString::to_string).collect(),
        units: input.recipients.units.iter().map(ToString::to_string).collect(),
        issued: input.issued_on.map(format_date).unwrap_or_default(),
        issuer: input.letter.issuer.clone().unwrap_or_default(),
        kind: input.letter.kind.clone().unwrap_or_default(),
        content: input.letter.content.clone().unwrap_or_default(),
        remind: Some(input.remind_before.to_text()),
        overdue: Some(input.overdue_after.to_text()),
        no_attachment_required: !input.attachment_required,
    }
}

pub async fn edit_series_page(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Response {
    let viewer = match may_change_page(&state, &headers, &format!("/series/{code}/edit")) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let series = match state.store.series_by_code(&code).await {
        Ok(series) => series,
        Err(e) => return super::refused(crate::services::decisions::DecisionError::from(e), "/series"),
    };
    let form = form_of(&series);
    form_page_for(
        &state,
        &viewer,
        (&form, Some(&series.code)),
        (&BTreeMap::new(), None),
        StatusCode::OK,
    )
    .await
}

/// Saves a series' changes (as `series edit`): code, directive, kind of period and first
/// period stay as they are; the periods already made keep theirs.
pub async fn edit_series(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    axum::extract::Path(code): axum::extract::Path<String>,
    Posted { user, form, store }: Posted,
) -> Response {
    let viewer = viewer(&state, &headers);
    let series = match store.series_by_code(&code).await {
        Ok(series) => series,
        Err(e) => return super::refused(crate::services::decisions::DecisionError::from(e), "/series"),
    };
    let current = current(&state);
    let zone = current.settings.office.zone;
    let stored = form_of(&series);
    let typed = SeriesForm {
        code: stored.code.clone(),
        doc: stored.doc.clone(),
        period: stored.period.clone(),
        // Read back by its key ("2026-11"); the page shows its label.
        from: series.input.first_period.key(),
        ..typed(&form)
    };
    let defaults = &current.settings.reminders;
    let read = read_series_form(
        &typed,
        (&defaults.remind_before, &defaults.overdue_after),
        (&current.calendar, zone),
        now(),
    );
    let read = match read {
        Ok(read) => read,
        Err(problems) => {
            let errors = by_field(problems);
            return form_page_for(
                &state,
                &viewer,
                (&typed, Some(&series.code)),
                (&errors, None),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let mut input = series.input.clone();
    input.title = read.title;
    input.issued_on = read.issued_on;
    input.letter = read.letter;
    input.schedule.deadline = read.schedule.deadline;
    input.schedule.cut_off = read.schedule.cut_off;
    input.schedule.lead_days = read.schedule.lead_days;
    if !typed.school_dates.is_empty() {
        input.schedule.school = read.schedule.school;
    }
    input.deadline_text = read.deadline_text;
    input.recipients = read.recipients;
    if typed.remind.is_some() {
        input.remind_before = read.remind_before;
    }
    if typed.overdue.is_some() {
        input.overdue_after = read.overdue_after;
    }
    input.attachment_required = read.attachment_required;
    if input == series.input {
        return Redirect::to(&format!("/series/{}", series.code)).into_response();
    }
    match store.update_series(&series, &input, now()).await {
        Ok(updated) => {
            tracing::info!(user = %user, series = %updated.code, "series edited on the web page");
            Redirect::to(&format!("/series/{}", updated.code)).into_response()
        }
        Err(StoreError::Rejected(problems)) => {
            let errors = by_field(problems.into_iter().map(|p| (field_of_store_problem(&p), p)).collect());
            form_page_for(
                &state,
                &viewer,
                (&typed, Some(&series.code)),
                (&errors, None),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => store_failed(e),
    }
}

/// Which field a store's refusal is about.
fn field_of_store_problem(problem: &str) -> &'static str {
    if problem.contains("nhóm") {
        "groups"
    } else if problem.contains("đơn vị") {
        "units"
    } else {
        "code"
    }
}

/// Refusals joined by field.
fn by_field(problems: Vec<(&'static str, String)>) -> BTreeMap<&'static str, String> {
    let mut errors: BTreeMap<&'static str, String> = BTreeMap::new();
    for (name, text) in problems {
        let said = errors.entry(name).or_default();
        if !said.is_empty() {
            said.push_str("; ");
        }
        said.push_str(&text);
    }
    errors
}
