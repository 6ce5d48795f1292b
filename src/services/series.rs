//! Periodic reports: making each period's instance when its time comes (`lead_days` before
//! its deadline). Run by the service on every pass of the sender and by `baocao series
//! make-due`; making is idempotent, so two instances, a restart or a clock that jumps never
//! make a period twice, and the periods missed while the service was stopped are each made
//! once, in order, without a burst of old reminders.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::adapters::store::{Store, StoreError};
use crate::domain::calendar::WorkingCalendar;
use crate::domain::model::{RequestId, SeriesState};

/// One instance made by a pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Made {
    pub series: String,
    pub request_id: RequestId,
    pub token: String,
    pub label: String,
    pub deadline: DateTime<Utc>,
    pub wording: String,
    /// Made late for a period missed while the service was stopped: no reminders.
    pub quiet: bool,
    /// Why the deadline is not the rule's day, when it moved.
    pub moved: Option<String>,
    pub warning: Option<String>,
}

/// Makes every instance whose time has come, for every active series. The caller plans their
/// reminders (`reminders::plan_new_units`), as for any newly active request.
pub async fn make_due(
    store: &Store,
    calendar: &WorkingCalendar,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<Made>, StoreError> {
    let mut made = Vec::new();
    for series in store.list_series().await? {
        if series.state != SeriesState::Active {
            continue;
        }
        // One series that cannot be made (a constraint, a row that no longer reads) must not
        // stop the others, nor the reminders that follow in the same pass.
        match make_for(store, &series, calendar, zone, now).await {
            Ok(more) => made.extend(more),
            Err(error) => {
                tracing::error!(series = %series.code, error = %error, "could not make the periods of a series")
            }
        }
    }
    Ok(made)
}

async fn make_for(
    store: &Store,
    series: &crate::domain::model::Series,
    calendar: &WorkingCalendar,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<Made>, StoreError> {
    let mut made = Vec::new();
    let existing = store.series_periods(series).await?;
    let last = existing.iter().max().copied();
    let schedule = &series.input.schedule;
    let due: Vec<_> = schedule
        .due_periods(series.input.first_period, last, now, calendar, zone)
        .into_iter()
        .filter(|i| !existing.contains(&i.period))
        .collect();
    let newest = due.last().map(|i| i.period);
    for instance in due {
        // After a stop, only the newest missed period is chased; older ones whose
        // deadline has passed are made so the status shows them, without mail.
        let quiet = instance.deadline <= now && Some(instance.period) != newest;
        let mut instance = instance;
        // Made later than planned (after a stop): whether a working day is left is judged
        // from now.
        if now > instance.create_at {
            instance.warning = crate::domain::period::no_working_day_left(now, instance.deadline, calendar, zone);
        }
        let request_id = match store.create_instance(series, &instance, quiet, now).await {
            Ok(Some(id)) => id,
            Ok(None) => continue,
            // Periods are made in order: stop at this one (it is tried again next pass) and
            // keep what was made before it.
            Err(error) => {
                tracing::error!(series = %series.code, period = %instance.key, error = %error, "could not make a period");
                break;
            }
        };
        tracing::info!(
            series = %series.code,
            period = %instance.key,
            request = %request_id,
            quiet,
            "made the instance of a periodic report"
        );
        if let Some(moved) = &instance.moved {
            tracing::warn!(series = %series.code, period = %instance.key, moved = %moved, "the deadline of a period moved");
        }
        if let Some(warning) = &instance.warning {
            tracing::warn!(series = %series.code, period = %instance.key, warning = %warning, "a period was made with no working day left");
        }
        made.push(Made {
            series: series.code.clone(),
            request_id,
            token: format!("BC-{request_id}"),
            label: instance.label.clone(),
            deadline: instance.deadline,
            wording: instance.wording.clone(),
            quiet,
            moved: instance.moved.clone(),
            warning: instance.warning.clone(),
        });
    }
    Ok(made)
}

/// The unit × period status of a series ("Tổng hợp tình hình báo cáo định kỳ"): every
/// instance made, or those of one year (the periods' own year; for the school year, the
/// year it starts).
pub async fn matrix(
    store: &Store,
    series: &crate::domain::model::Series,
    year: Option<i32>,
    now: DateTime<Utc>,
    calendar: &WorkingCalendar,
    zone: Tz,
) -> Result<crate::domain::report::matrix::Matrix, StoreError> {
    use crate::domain::period::Period;
    use crate::domain::report::matrix::{Column, matrix};
    use crate::domain::report::status::request_status;
    let kind = series.input.schedule.kind;
    let mut periods = Vec::new();
    let requests: std::collections::HashMap<RequestId, crate::domain::model::Request> = store
        .all_requests()
        .await?
        .into_iter()
        .filter(|r| r.period.as_ref().is_some_and(|p| p.series_id == series.id))
        .map(|r| (r.id, r))
        .collect();
    for made in store.series_instances(series).await? {
        let Some(period) = Period::parse(kind, &made.period_key) else {
            continue;
        };
        if year.is_some_and(|y| y != period.year) {
            continue;
        }
        let Some(request) = requests.get(&made.request_id) else {
            continue;
        };
        let facts = store.status_facts(request.id).await?;
        let status = request_status(request, &facts, now, (calendar, zone));
        periods.push((
            Column {
                token: made.token,
                period_key: made.period_key,
                label: made.period_label,
                short: period.short_label(),
                deadline: request.deadline,
            },
            status,
        ));
    }
    Ok(matrix(&series.code, &series.input.title, periods))
}

/// Pauses, resumes or closes a series. Resuming starts again at the first period not yet
/// due (the periods of the pause are not made); returns that period.
pub async fn change_state(
    store: &Store,
    series: &crate::domain::model::Series,
    to: crate::domain::model::SeriesState,
    now: DateTime<Utc>,
    calendar: &WorkingCalendar,
    zone: Tz,
) -> Result<Option<crate::domain::period::Period>, StoreError> {
    let first = (to == crate::domain::model::SeriesState::Active).then(|| {
        let open = series.input.schedule.first_open_period(now, calendar, zone);
        open.max(series.input.first_period)
    });
    store.set_series_state(series, to, first, now).await?;
    Ok(first)
}
