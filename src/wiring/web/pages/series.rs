//! Periodic reports on the page: the series, one series' unit × period matrix for a year
//! (coloured as the overview colours states, with its XLSX and CSV), the year's periods with
//! their data spans and deadlines before they exist, and pausing, resuming or closing it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use minijinja::Value;

use super::super::WebState;
use super::super::auth::may_read;
use super::actions::Posted;
use super::{current, now, page, refused, store_failed};
use crate::domain::dates::{format_date, format_instant};
use crate::domain::model::{Series, SeriesState};
use crate::domain::report::matrix::{LEGEND_VI, Matrix};
use crate::services::decisions::DecisionError;

fn summary(series: &Series) -> Value {
    minijinja::context! {
        code => series.code.clone(),
        doc => series.input.doc_code.to_string(),
        title => series.input.title.clone(),
        kind => series.input.schedule.kind.label_vi(),
        rule => series.input.deadline_text.clone(),
        state => series.state.label_vi(),
        state_code => series.state.as_str(),
    }
}

pub async fn series_list(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let viewer = match may_read(&state, &headers, "/series") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let series = match state.store.list_series().await {
        Ok(series) => series,
        Err(e) => return store_failed(e),
    };
    let context = minijinja::context! {
        page => "series",
        series => series.iter().map(summary).collect::<Vec<_>>(),
    };
    page(&state, &viewer, "series.html", context).await
}

/// The year asked (`?year=2027`), else this year in the office's zone.
fn year_of(query: &HashMap<String, String>, zone: chrono_tz::Tz) -> i32 {
    query
        .get("year")
        .and_then(|y| y.trim().parse::<i32>().ok())
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| now().with_timezone(&zone).year())
}

/// A series, the year asked and its matrix for that year.
async fn matrix_of(
    state: &WebState,
    code: &str,
    query: &HashMap<String, String>,
) -> Result<(Series, i32, Matrix), Response> {
    let current = current(state);
    let zone = current.settings.office.zone;
    let year = year_of(query, zone);
    let series = state.store.series_by_code(code).await.map_err(store_failed)?;
    let matrix = crate::services::series::matrix(&state.store, &series, Some(year), now(), &current.calendar, zone)
        .await
        .map_err(store_failed)?;
    Ok((series, year, matrix))
}

pub async fn series_page(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let viewer = match may_read(&state, &headers, &format!("/series/{code}")) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (series, year, matrix) = match matrix_of(&state, &code, &query).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let current = current(&state);
    let zone = current.settings.office.zone;
    let rows: Vec<Value> = matrix
        .rows
        .iter()
        .map(|row| {
            let cells: Vec<Value> = row
                .cells
                .iter()
                .map(|cell| match cell {
                    Some(cell) => minijinja::context! {
                        state => super::state_class(cell.state),
                        mark => cell.mark(),
                        text => cell.text_vi(zone),
                    },
                    None => minijinja::context! { state => "none", mark => "–", text => "không phải báo cáo kỳ này" },
                })
                .collect();
            minijinja::context! {
                unit => row.unit.clone(), name => row.name.clone(), cells => cells,
                on_time => row.on_time, late => row.late, overdue => row.overdue,
            }
        })
        .collect();
    let plan: Vec<Value> = series
        .input
        .schedule
        .year_plan(year, series.input.first_period, &current.calendar, zone)
        .iter()
        .map(|i| {
            minijinja::context! {
                label => i.label.clone(),
                data => format!("{} – {}", format_date(i.data_from), format_date(i.data_to)),
                deadline => i.wording.clone(),
                create_at => format_instant(i.create_at, zone),
                note => [i.moved.clone(), i.warning.clone()].into_iter().flatten().collect::<Vec<_>>().join("; "),
            }
        })
        .collect();
    let context = minijinja::context! {
        page => "series",
        s => summary(&series),
        year => year,
        legend => LEGEND_VI,
        columns => matrix.columns.iter().map(|c| minijinja::context! { token => c.token.clone(), label => c.label.clone() }).collect::<Vec<_>>(),
        rows => rows,
        plan => plan,
        // The on-time share per unit group, once a period of the year has been due.
        chart => (!matrix.columns.is_empty()).then(|| crate::domain::report::chart::on_time_by_group_svg(&matrix.by_group())),
    };
    page(&state, &viewer, "series_one.html", context).await
}

/// "Tổng hợp tình hình báo cáo định kỳ" as XLSX or CSV, as `export --series` writes it.
pub async fn series_export(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Path((code, file)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = may_read(&state, &headers, &format!("/series/{code}")) {
        return r;
    }
    let (series, year, matrix) = match matrix_of(&state, &code, &query).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let current = current(&state);
    let zone = current.settings.office.zone;
    let (bytes, content_type) = match file.as_str() {
        "export.csv" => (matrix.to_csv(zone), "text/csv; charset=utf-8"),
        "export.xlsx" => match matrix.to_xlsx(&current.settings.office.name, now(), zone) {
            Ok(bytes) => (
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            Err(error) => {
                tracing::error!(%error, "the series XLSX could not be written");
                return (StatusCode::INTERNAL_SERVER_ERROR, "Không tạo được tệp XLSX.").into_response();
            }
        },
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let extension = file.trim_start_matches("export.");
    super::download(
        bytes,
        content_type,
        &format!("{}-{year}-tong-hop-dinh-ky.{extension}", series.code),
    )
}

/// Pauses, resumes or closes a series (closing needs the confirmation tick).
pub async fn series_state(
    State(state): State<Arc<WebState>>,
    Path((code, action)): Path<(String, String)>,
    Posted { user, form, store }: Posted,
) -> Response {
    let to = match action.as_str() {
        "pause" => SeriesState::Paused,
        "resume" => SeriesState::Active,
        "close" => SeriesState::Closed,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let series = match store.series_by_code(&code).await {
        Ok(series) => series,
        Err(e) => return store_failed(e),
    };
    // Back to the page of the series found, never to a path built from what was asked.
    let back = format!("/series/{}", super::super::auth::url_escape(&series.code));
    if to == SeriesState::Closed && form.get("confirm") != Some("yes") {
        return refused(
            DecisionError::Refused("hãy đánh dấu ô xác nhận trước khi kết thúc chuỗi báo cáo".into()),
            &back,
        );
    }
    let current = current(&state);
    let zone = current.settings.office.zone;
    match crate::services::series::change_state(&store, &series, to, now(), &current.calendar, zone).await {
        Ok(_) => {
            tracing::info!(user = %user, series = %series.code, state = ?to, "series state changed on the web page");
            Redirect::to(&back).into_response()
        }
        Err(e) => refused(e.into(), &back),
    }
}
