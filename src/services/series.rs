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

/// A series as a clerk types it — `series add`'s arguments or the page's form — before it is
/// read: every field as text, lists as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SeriesForm {
    pub code: String,
    pub doc: String,
    pub title: String,
    pub period: String,
    pub deadline: String,
    pub cut_off: String,
    pub on_day_off: String,
    pub school_dates: String,
    pub lead_days: String,
    pub from: String,
    pub groups: Vec<String>,
    pub units: Vec<String>,
    pub issued: String,
    pub issuer: String,
    pub kind: String,
    pub content: String,
    /// `None`: the configuration's; `Some("")`: none at all (as `--remind ""`).
    pub remind: Option<String>,
    pub overdue: Option<String>,
    pub no_attachment_required: bool,
}

/// What the form's fields say, or every refusal by field (`code`, `period`, `deadline`, …),
/// each a sentence that says what to write. An empty optional field takes the default.
pub fn read_series_form(
    form: &SeriesForm,
    defaults: (&crate::domain::model::Offsets, &crate::domain::model::Offsets),
    (calendar, zone): (&WorkingCalendar, Tz),
    now: DateTime<Utc>,
) -> Result<crate::domain::model::SeriesInput, Vec<(&'static str, String)>> {
    use crate::domain::dates;
    use crate::domain::model::{GroupCode, LetterFields, Offsets, Recipients, RequestCode, SeriesInput, UnitCode};
    use crate::domain::period::{CutOff, DeadlineSpec, OnDayOff, Period, PeriodKind, Schedule, SchoolDates};

    let mut problems: Vec<(&'static str, String)> = Vec::new();
    let text = |value: &str| Some(value.trim()).filter(|v| !v.is_empty()).map(str::to_string);
    if text(&form.code).is_none() {
        problems.push((
            "code",
            "hãy ghi mã chuỗi (chữ thường không dấu, số, dấu -; ví dụ bc-thang-cchc)".into(),
        ));
    }
    if text(&form.title).is_none() {
        problems.push(("title", "hãy ghi trích yếu (không ghi kỳ)".into()));
    }
    let doc = RequestCode::parse(form.doc.trim())
        .map_err(|e| problems.push(("doc", e.to_string())))
        .ok();
    let kind = PeriodKind::parse(form.period.trim());
    if kind.is_none() {
        problems.push((
            "period",
            format!(
                "không hiểu kỳ báo cáo `{}`: ghi thang, quy, 6-thang, 9-thang, nam hoặc nam-hoc",
                form.period.trim()
            ),
        ));
    }
    let on_day_off = match text(&form.on_day_off) {
        Some(t) => OnDayOff::parse(&t).unwrap_or_else(|| {
            problems.push(("on_day_off", format!("`{t}`: ghi sau, truoc hoặc giu")));
            OnDayOff::default()
        }),
        None => OnDayOff::default(),
    };
    let cut_off = match text(&form.cut_off) {
        Some(t) => CutOff::parse(&t).unwrap_or_else(|| {
            problems.push((
                "cut_off",
                format!("`{t}`: ghi ngày trong tháng cuối kỳ (1–31) hoặc cuoi-ky"),
            ));
            CutOff::default()
        }),
        None => CutOff::default(),
    };
    let school = match text(&form.school_dates) {
        Some(t) => SchoolDates::parse(&t).unwrap_or_else(|e| {
            problems.push(("school_dates", e.to_string()));
            SchoolDates::default()
        }),
        None => SchoolDates::default(),
    };
    let deadline = DeadlineSpec::parse(form.deadline.trim(), on_day_off)
        .map_err(|e| problems.push(("deadline", e.to_string())))
        .ok();
    let lead_days = match text(&form.lead_days) {
        Some(t) => t.parse::<u32>().unwrap_or_else(|_| {
            problems.push(("lead_days", format!("`{t}`: ghi số ngày, ví dụ 15")));
            15
        }),
        None => 15,
    };
    let issued_on = text(&form.issued).and_then(|t| {
        let day = dates::parse_date(&t);
        if day.is_none() {
            problems.push(("issued", format!("ngày ban hành `{t}` không đúng dạng dd/mm/yyyy")));
        }
        day
    });
    let offsets =
        |value: &Option<String>, default: &Offsets, name: &'static str, problems: &mut Vec<(&'static str, String)>| {
            match value {
                Some(t) => Offsets::parse(t.trim()).unwrap_or_else(|e| {
                    problems.push((name, e.to_string()));
                    default.clone()
                }),
                None => default.clone(),
            }
        };
    let remind_before = offsets(&form.remind, defaults.0, "remind", &mut problems);
    let overdue_after = offsets(&form.overdue, defaults.1, "overdue", &mut problems);
    let mut groups = Vec::new();
    for g in form.groups.iter().map(|g| g.trim()).filter(|g| !g.is_empty()) {
        match GroupCode::parse(g) {
            Ok(g) => groups.push(g),
            Err(e) => problems.push(("groups", format!("{g}: {e}"))),
        }
    }
    let mut units = Vec::new();
    for u in form.units.iter().map(|u| u.trim()).filter(|u| !u.is_empty()) {
        match UnitCode::parse(u) {
            Ok(u) => units.push(u),
            Err(e) => problems.push(("units", format!("{u}: {e}"))),
        }
    }
    let (Some(kind), Some(deadline), Some(doc_code)) = (kind, deadline, doc) else {
        return Err(problems);
    };
    let schedule = Schedule {
        kind,
        cut_off,
        deadline,
        school,
        lead_days,
    };
    let first_period = match text(&form.from) {
        Some(t) => Period::parse(kind, &t).unwrap_or_else(|| {
            problems.push((
                "from",
                format!(
                    "`{t}`: không phải một kỳ {}; ví dụ {}",
                    kind.label_vi(),
                    example_period(kind)
                ),
            ));
            schedule.first_open_period(now, calendar, zone)
        }),
        None => schedule.first_open_period(now, calendar, zone),
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(SeriesInput {
        code: form.code.trim().to_string(),
        doc_code,
        title: form.title.trim().to_string(),
        issued_on,
        letter: LetterFields {
            issuer: text(&form.issuer),
            kind: text(&form.kind),
            content: text(&form.content),
        },
        schedule,
        deadline_text: form.deadline.trim().to_string(),
        first_period,
        recipients: Recipients { groups, units },
        remind_before,
        overdue_after,
        attachment_required: !form.no_attachment_required,
        escalation: None,
    })
}

/// A period of `kind` as a clerk may write it.
pub fn example_period(kind: crate::domain::period::PeriodKind) -> &'static str {
    use crate::domain::period::PeriodKind;
    match kind {
        PeriodKind::Month => "\"T1/2027\" hoặc 2027-01",
        PeriodKind::Quarter => "\"Quý I/2027\" hoặc 2027-Q1",
        PeriodKind::HalfYear => "\"6 tháng đầu năm 2027\" hoặc 2027-H1",
        PeriodKind::NineMonths => "\"9 tháng đầu năm 2027\" hoặc 2027-9T",
        PeriodKind::Year => "2027",
        PeriodKind::SchoolYear => "\"HK1 2026-2027\" hoặc 2026-2027-HK1",
    }
}
