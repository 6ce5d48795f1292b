//! Periodic reports: the series and the instances made from it. An instance is an ordinary
//! request (its own token, slots, submissions) that also names its series and period;
//! `(series_id, period_key)` is unique, so making one twice writes nothing the second time.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::requests::{insert_recipients, resolve_units, unknown_recipients};
use super::{Db, Store, StoreError, StoreResult, on_pool, parse_column, sql};
use crate::domain::escalation::Escalation;
use crate::domain::matching::code_key;
use crate::domain::model::{
    FileInput, GroupCode, LetterFields, Offsets, Recipients, RequestCode, RequestId, Series, SeriesInput, SeriesState,
    instance_title,
};
use crate::domain::period::{CutOff, DeadlineSpec, Instance, OnDayOff, Period, PeriodKind, Schedule, SchoolDates};

#[derive(sqlx::FromRow)]
struct SeriesRow {
    id: i64,
    code: String,
    doc_code: String,
    title: String,
    issued_on: Option<NaiveDate>,
    issuer: Option<String>,
    doc_kind: Option<String>,
    content: Option<String>,
    period_kind: String,
    cut_off: String,
    deadline_rule: String,
    on_day_off: String,
    school_dates: Option<String>,
    lead_days: i64,
    first_period: String,
    remind_before: String,
    overdue_after: String,
    attachment_required: bool,
    state: String,
    created_at: DateTime<Utc>,
    escalate_after: Option<String>,
    escalate_to: Option<String>,
    escalate_via: Option<String>,
}

const SERIES_COLUMNS: &str = "SELECT id, code, doc_code, title, issued_on, issuer, doc_kind, content, period_kind, cut_off, \
     deadline_rule, on_day_off, school_dates, lead_days, first_period, remind_before, overdue_after, \
     attachment_required, state, created_at, escalate_after, escalate_to, escalate_via FROM series";

/// One instance made from a series, as `series show` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct SeriesInstance {
    pub request_id: RequestId,
    pub token: String,
    pub period_key: String,
    pub period_label: String,
    pub state: String,
    pub deadline: DateTime<Utc>,
}

fn corrupt(column: &'static str, value: &str) -> StoreError {
    StoreError::Corrupt {
        column,
        value: value.to_string(),
    }
}

fn assemble(row: SeriesRow, recipients: Recipients) -> StoreResult<Series> {
    let kind = parse_column("series.period_kind", &row.period_kind, PeriodKind::parse)?;
    let on_day_off = parse_column("series.on_day_off", &row.on_day_off, OnDayOff::parse)?;
    let deadline = DeadlineSpec::parse(&row.deadline_rule, on_day_off)
        .map_err(|_| corrupt("series.deadline_rule", &row.deadline_rule))?;
    let school = match &row.school_dates {
        Some(text) => SchoolDates::parse(text).map_err(|_| corrupt("series.school_dates", text))?,
        None => SchoolDates::default(),
    };
    let schedule = Schedule {
        kind,
        cut_off: parse_column("series.cut_off", &row.cut_off, CutOff::parse)?,
        deadline,
        school,
        lead_days: u32::try_from(row.lead_days).map_err(|_| corrupt("series.lead_days", &row.lead_days.to_string()))?,
    };
    let first_period =
        Period::parse(kind, &row.first_period).ok_or_else(|| corrupt("series.first_period", &row.first_period))?;
    Ok(Series {
        id: row.id,
        code: row.code.clone(),
        input: SeriesInput {
            code: row.code,
            doc_code: RequestCode::parse(&row.doc_code).map_err(|_| corrupt("series.doc_code", &row.doc_code))?,
            title: row.title,
            issued_on: row.issued_on,
            letter: LetterFields {
                issuer: row.issuer,
                kind: row.doc_kind,
                content: row.content,
            },
            schedule,
            deadline_text: row.deadline_rule,
            first_period,
            recipients,
            remind_before: Offsets::parse(&row.remind_before)
                .map_err(|_| corrupt("series.remind_before", &row.remind_before))?,
            overdue_after: Offsets::parse(&row.overdue_after)
                .map_err(|_| corrupt("series.overdue_after", &row.overdue_after))?,
            attachment_required: row.attachment_required,
            escalation: Escalation::from_columns(
                row.escalate_after.as_deref(),
                row.escalate_to.as_deref(),
                row.escalate_via.as_deref(),
            )
            .map_err(|_| {
                corrupt(
                    "series.escalate_after",
                    row.escalate_after.as_deref().unwrap_or_default(),
                )
            })?,
        },
        state: parse_column("series.state", &row.state, SeriesState::parse)?,
        created_at: row.created_at,
    })
}

async fn load_series(db: &mut Db<'_>, code: Option<&str>) -> StoreResult<Vec<Series>> {
    let rows: Vec<SeriesRow> = match code {
        Some(code) => {
            sql(sqlx::AssertSqlSafe(format!("{SERIES_COLUMNS} WHERE code = $1")))
                .bind(code)
                .fetch_all(&mut *db)
                .await?
        }
        None => {
            sql(sqlx::AssertSqlSafe(format!("{SERIES_COLUMNS} ORDER BY code")))
                .fetch_all(&mut *db)
                .await?
        }
    };
    let recipients: Vec<(i64, String, String)> =
        sql("SELECT series_id, kind, value FROM series_recipients ORDER BY kind, value")
            .fetch_all(&mut *db)
            .await?;
    let mut by_series: HashMap<i64, Recipients> = HashMap::new();
    for (series_id, kind, value) in recipients {
        let entry = by_series.entry(series_id).or_default();
        match kind.as_str() {
            "group" => entry
                .groups
                .push(GroupCode::parse(&value).map_err(|_| corrupt("series_recipients.value", &value))?),
            _ => entry.units.push(super::units::parse_unit_code(&value)?),
        }
    }
    rows.into_iter()
        .map(|row| {
            let recipients = by_series.remove(&row.id).unwrap_or_default();
            assemble(row, recipients)
        })
        .collect()
}

async fn insert_recipients_of(db: &mut Db<'_>, series_id: i64, recipients: &Recipients) -> StoreResult<()> {
    let rows = recipients
        .groups
        .iter()
        .map(|g| ("group", g.as_str()))
        .chain(recipients.units.iter().map(|u| ("unit", u.as_str())));
    for (kind, value) in rows {
        sql("INSERT INTO series_recipients (series_id, kind, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(series_id)
            .bind(kind)
            .bind(value)
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// The short name of a series: lower-case letters, digits and `-`, as unit codes are.
fn check_code(code: &str) -> Option<String> {
    let ok = !code.is_empty()
        && code.len() <= 40
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    (!ok).then(|| format!("mã chuỗi báo cáo `{code}` chỉ gồm chữ thường không dấu, số và dấu -, ví dụ bc-thang-cchc"))
}

/// One file each instance's notice carries (see [`super::files::insert_file_rows`]).
const SERIES_FILE: &str = "INSERT INTO series_attachments (series_id, file_name, content_type, size, sha256, data, added_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

impl Store {
    /// What stands in the way of a series: recipients that name nothing, no recipient, no title.
    async fn series_problems(&self, input: &SeriesInput, no_recipient: &str) -> StoreResult<Vec<String>> {
        let units = self.list_units(None).await?;
        let mut problems = unknown_recipients(&units, &input.recipients.groups, &input.recipients.units);
        if input.recipients.is_empty() {
            problems.push(no_recipient.to_string());
        }
        if input.title.trim().is_empty() {
            problems.push("trích yếu (--title) không được để trống".to_string());
        }
        Ok(problems)
    }

    /// Makes a series, with the files each instance's notice carries. Its recipients must
    /// exist, as a request's must.
    pub async fn create_series(
        &self,
        input: &SeriesInput,
        files: &[FileInput],
        now: DateTime<Utc>,
    ) -> StoreResult<Series> {
        let mut problems = self
            .series_problems(input, "cần ít nhất một --group hoặc --unit")
            .await?;
        problems.extend(super::check_files(&[], files));
        problems.extend(check_code(&input.code));
        if !problems.is_empty() {
            return Err(StoreError::Rejected(problems));
        }
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let exists: Option<(i64,)> = sql("SELECT id FROM series WHERE code = $1")
            .bind(&input.code)
            .fetch_optional(&mut *db)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Rejected(vec![format!(
                "đã có chuỗi báo cáo `{}`; xem bằng: baocao series show {}",
                input.code, input.code
            )]));
        }
        let schedule = &input.schedule;
        let school = (schedule.kind == PeriodKind::SchoolYear).then(|| schedule.school.to_text());
        let (id,): (i64,) = sql(
            "INSERT INTO series (code, doc_code, title, issued_on, issuer, doc_kind, content, period_kind, cut_off, \
             deadline_rule, on_day_off, school_dates, lead_days, first_period, remind_before, overdue_after, \
             attachment_required, state, created_at, updated_at, escalate_after, escalate_to, escalate_via) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'active', $18, $18, \
             $19, $20, $21) RETURNING id",
        )
        .bind(&input.code)
        .bind(input.doc_code.as_str())
        .bind(input.title.trim())
        .bind(input.issued_on)
        .bind(&input.letter.issuer)
        .bind(&input.letter.kind)
        .bind(&input.letter.content)
        .bind(schedule.kind.as_str())
        .bind(schedule.cut_off.to_text())
        .bind(input.deadline_text.trim())
        .bind(schedule.deadline.on_day_off.as_str())
        .bind(school)
        .bind(i64::from(schedule.lead_days))
        .bind(input.first_period.key())
        .bind(input.remind_before.to_text())
        .bind(input.overdue_after.to_text())
        .bind(input.attachment_required)
        .bind(now)
        .bind(input.escalation.as_ref().map(|e| e.after_text()))
        .bind(input.escalation.as_ref().map(|e| e.to_text()))
        .bind(input.escalation.as_ref().map(|e| e.via.as_str()))
        .fetch_one(&mut *db)
        .await?;
        insert_recipients_of(db, id, &input.recipients).await?;
        super::files::insert_file_rows(db, SERIES_FILE, id, files, now).await?;
        let entry = super::AuditEntry::new(super::AuditSubject::Series, input.code.clone(), "create").change(
            "báo cáo định kỳ",
            None,
            Some(format!(
                "số {}: {}; {}",
                input.doc_code,
                input.title.trim(),
                input.schedule.deadline.describe_vi()
            )),
        );
        super::audit::write(db, &self.actor, [entry], now).await?;
        tx.commit().await?;
        self.series_by_code(&input.code).await
    }

    /// The names and sizes of the files each instance's notice carries.
    pub async fn series_files(&self, series: &Series) -> StoreResult<Vec<(String, i64)>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as("SELECT file_name, size FROM series_attachments WHERE series_id = $1 ORDER BY id")
                .bind(series.id)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Replaces what a series makes its next instances from (the instances made are ordinary
    /// requests: `request edit` changes them). The code and the first period stay.
    pub async fn update_series(&self, series: &Series, input: &SeriesInput, now: DateTime<Utc>) -> StoreResult<Series> {
        let problems = self
            .series_problems(input, "chuỗi báo cáo cần ít nhất một nhóm hoặc đơn vị")
            .await?;
        if !problems.is_empty() {
            return Err(StoreError::Rejected(problems));
        }
        let schedule = &input.schedule;
        let school = (schedule.kind == PeriodKind::SchoolYear).then(|| schedule.school.to_text());
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        sql(
            "UPDATE series SET doc_code = $1, title = $2, issued_on = $3, issuer = $4, doc_kind = $5, content = $6, \
             cut_off = $7, deadline_rule = $8, on_day_off = $9, school_dates = $10, lead_days = $11, \
             remind_before = $12, overdue_after = $13, attachment_required = $14, updated_at = $15, \
             escalate_after = $17, escalate_to = $18, escalate_via = $19 WHERE id = $16",
        )
        .bind(input.doc_code.as_str())
        .bind(input.title.trim())
        .bind(input.issued_on)
        .bind(&input.letter.issuer)
        .bind(&input.letter.kind)
        .bind(&input.letter.content)
        .bind(schedule.cut_off.to_text())
        .bind(input.deadline_text.trim())
        .bind(schedule.deadline.on_day_off.as_str())
        .bind(school)
        .bind(i64::from(schedule.lead_days))
        .bind(input.remind_before.to_text())
        .bind(input.overdue_after.to_text())
        .bind(input.attachment_required)
        .bind(now)
        .bind(series.id)
        .bind(input.escalation.as_ref().map(|e| e.after_text()))
        .bind(input.escalation.as_ref().map(|e| e.to_text()))
        .bind(input.escalation.as_ref().map(|e| e.via.as_str()))
        .execute(&mut *db)
        .await?;
        sql("DELETE FROM series_recipients WHERE series_id = $1")
            .bind(series.id)
            .execute(&mut *db)
            .await?;
        insert_recipients_of(db, series.id, &input.recipients).await?;
        let entries = series_changes(&series.input, input)
            .into_iter()
            .map(|(field, before, after)| {
                super::AuditEntry::new(super::AuditSubject::Series, series.code.clone(), "edit")
                    .change(field, before, after)
            });
        super::audit::write(db, &self.actor, entries, now).await?;
        tx.commit().await?;
        self.series_by_code(&series.code).await
    }

    pub async fn list_series(&self) -> StoreResult<Vec<Series>> {
        load_series(&mut self.connection().await?.db(), None).await
    }

    pub async fn series_by_code(&self, code: &str) -> StoreResult<Series> {
        let code = code.trim().to_lowercase();
        load_series(&mut self.connection().await?.db(), Some(&code))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "không có chuỗi báo cáo `{code}` (xem danh sách: baocao series list)"
                ))
            })
    }

    /// Pauses, resumes or closes a series. Resuming may move its first period on (the
    /// periods of the pause are not made afterwards).
    pub async fn set_series_state(
        &self,
        series: &Series,
        to: SeriesState,
        first_period: Option<Period>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let allowed = matches!(
            (series.state, to),
            (SeriesState::Active, SeriesState::Paused)
                | (SeriesState::Paused, SeriesState::Active)
                | (SeriesState::Active | SeriesState::Paused, SeriesState::Closed)
        );
        if !allowed {
            return Err(StoreError::Rejected(vec![format!(
                "chuỗi báo cáo {} đang \"{}\", không chuyển sang \"{}\" được",
                series.code,
                series.state.label_vi(),
                to.label_vi()
            )]));
        }
        let first = first_period.unwrap_or(series.input.first_period).key();
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        sql("UPDATE series SET state = $1, first_period = $2, updated_at = $3 WHERE id = $4")
            .bind(to.as_str())
            .bind(&first)
            .bind(now)
            .bind(series.id)
            .execute(&mut *db)
            .await?;
        let action = match to {
            SeriesState::Paused => "pause",
            SeriesState::Active => "resume",
            SeriesState::Closed => "close",
        };
        let mut entries = vec![
            super::AuditEntry::new(super::AuditSubject::Series, series.code.clone(), action).change(
                "trạng thái",
                Some(series.state.label_vi().to_string()),
                Some(to.label_vi().to_string()),
            ),
        ];
        if first != series.input.first_period.key() {
            entries.push(
                super::AuditEntry::new(super::AuditSubject::Series, series.code.clone(), action).change(
                    "kỳ đầu tiên được tạo",
                    Some(series.input.first_period.label_vi()),
                    first_period.map(|p| p.label_vi()),
                ),
            );
        }
        super::audit::write(db, &self.actor, entries, now).await?;
        tx.commit().await
    }

    /// The instances made from a series, in period order.
    pub async fn series_instances(&self, series: &Series) -> StoreResult<Vec<SeriesInstance>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id AS request_id, COALESCE(token, '') AS token, period_key, period_label, state, deadline \
                 FROM requests WHERE series_id = $1 ORDER BY deadline, id",
            )
            .bind(series.id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Makes the instance of one period, active from `now`, in one transaction: the request,
    /// its recipients and its units. `quiet`: the period was missed while the service was
    /// stopped and a later one is made with it, so its units are marked planned with no
    /// reminder (no burst of old mail); the status still shows who has not reported.
    /// Returns `None` when the period already has its instance (another run made it).
    pub async fn create_instance(
        &self,
        series: &Series,
        instance: &Instance,
        quiet: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<RequestId>> {
        let input = &series.input;
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        // Unique per (series, period): two series under one directive number keep apart.
        let key = code_key(&format!("{}#{}#{}", input.doc_code.as_str(), series.code, instance.key));
        let inserted: Option<(RequestId,)> = sql(
            "INSERT INTO requests (code, code_key, year, title, issued_on, deadline, remind_before, overdue_after, \
             attachment_required, state, created_at, activated_at, updated_at, deadline_wording, issuer, doc_kind, \
             content, expects_report, series_id, period_key, period_label, escalate_after, escalate_to, escalate_via) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10, $10, $10, $11, $12, $13, $14, TRUE, $15, $16, $17, \
             $18, $19, $20) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(input.doc_code.as_str())
        .bind(&key)
        .bind(i64::from(instance.period.year))
        .bind(instance_title(&input.title, &instance.period))
        .bind(input.issued_on)
        .bind(instance.deadline)
        .bind(input.remind_before.to_text())
        .bind(input.overdue_after.to_text())
        .bind(input.attachment_required)
        .bind(now)
        .bind(&instance.wording)
        .bind(&input.letter.issuer)
        .bind(&input.letter.kind)
        .bind(&input.letter.content)
        .bind(series.id)
        .bind(&instance.key)
        .bind(&instance.label)
        .bind(input.escalation.as_ref().map(|e| e.after_text()))
        .bind(input.escalation.as_ref().map(|e| e.to_text()))
        .bind(input.escalation.as_ref().map(|e| e.via.as_str()))
        .fetch_optional(&mut *db)
        .await?;
        let Some((id,)) = inserted else {
            // Another run made this period (the same row conflicts on every unique key at
            // once; PostgreSQL reports a row still being inserted by another transaction on
            // whichever key it checks first, so the conflict is not narrowed to one key).
            // Anything else that stood in the way is an error, not a period made.
            let ours: Option<(i64,)> = sql("SELECT id FROM requests WHERE series_id = $1 AND period_key = $2")
                .bind(series.id)
                .bind(&instance.key)
                .fetch_optional(&mut *db)
                .await?;
            return match ours {
                Some(_) => Ok(None),
                None => Err(StoreError::Rejected(vec![format!(
                    "không tạo được kỳ {} của chuỗi {}: số hiệu {} đã dùng cho một yêu cầu khác",
                    instance.label, series.code, input.doc_code
                )])),
            };
        };
        sql("UPDATE requests SET token = $1 WHERE id = $2")
            .bind(format!("BC-{id}"))
            .bind(id)
            .execute(&mut *db)
            .await?;
        insert_recipients(db, id, &input.recipients.groups, &input.recipients.units).await?;
        resolve_units(db, id, now).await?;
        sql(
            "INSERT INTO request_attachments (request_id, file_name, content_type, size, sha256, data, added_at) \
             SELECT $1, file_name, content_type, size, sha256, data, $2 FROM series_attachments \
             WHERE series_id = $3 ORDER BY id",
        )
        .bind(id)
        .bind(now)
        .bind(series.id)
        .execute(&mut *db)
        .await?;
        // Why the deadline is not the rule's day, and a period made with no working day left:
        // in the request's history, which `request show` prints.
        let by = super::Actor {
            name: format!("baocao (chuỗi {})", series.code),
            via: super::Via::Service,
        };
        let mut notes: Vec<super::ChangeOf> = Vec::new();
        if let Some(moved) = &instance.moved {
            notes.push((
                "hạn".to_string(),
                Some(format!("theo quy tắc: {}", instance.rule_date.format("%d/%m/%Y"))),
                Some(moved.clone()),
            ));
        }
        if let Some(warning) = &instance.warning {
            notes.push(("cảnh báo".to_string(), None, Some(warning.clone())));
        }
        if !notes.is_empty() {
            super::files::record_changes(db, &by, (id, "note"), notes, now).await?;
        }
        if quiet {
            sql("UPDATE request_units SET slots_planned_at = $1 WHERE request_id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *db)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(id))
    }

    /// The periods of a series that have their instance.
    pub async fn series_periods(&self, series: &Series) -> StoreResult<Vec<Period>> {
        let keys: Vec<(String,)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT period_key FROM requests WHERE series_id = $1")
                .bind(series.id)
                .fetch_all(pool)
                .await?
        });
        keys.into_iter()
            .map(|(key,)| {
                Period::parse(series.input.schedule.kind, &key).ok_or_else(|| corrupt("requests.period_key", &key))
            })
            .collect()
    }
}

fn yes_no(value: bool) -> String {
    if value { "có" } else { "không" }.to_string()
}

fn date_text(date: Option<NaiveDate>) -> String {
    date.map(crate::domain::dates::format_date).unwrap_or_default()
}

/// What an edit changes in a series, field by field, as the audit trail shows it.
fn series_changes(old: &SeriesInput, new: &SeriesInput) -> Vec<super::ChangeOf> {
    let recipients = |r: &crate::domain::model::Recipients| {
        let mut named: Vec<String> = r.groups.iter().map(|g| format!("nhóm {g}")).collect();
        named.extend(r.units.iter().map(|u| u.to_string()));
        named.join(", ")
    };
    let escalation = |e: &Option<Escalation>| {
        e.as_ref()
            .map_or("theo cấu hình chung".to_string(), Escalation::describe_vi)
    };
    let fields = [
        ("số văn bản", old.doc_code.to_string(), new.doc_code.to_string()),
        ("trích yếu", old.title.clone(), new.title.clone()),
        (
            "quy tắc hạn",
            old.deadline_text.trim().to_string(),
            new.deadline_text.trim().to_string(),
        ),
        (
            "hạn rơi vào ngày nghỉ",
            old.schedule.deadline.on_day_off.describe_vi().to_string(),
            new.schedule.deadline.on_day_off.describe_vi().to_string(),
        ),
        (
            "ngày mốc năm học",
            old.schedule.school.to_text(),
            new.schedule.school.to_text(),
        ),
        ("ngày ban hành", date_text(old.issued_on), date_text(new.issued_on)),
        (
            "loại văn bản",
            old.letter.kind.clone().unwrap_or_default(),
            new.letter.kind.clone().unwrap_or_default(),
        ),
        (
            "bắt buộc gửi kèm tệp",
            yes_no(old.attachment_required),
            yes_no(new.attachment_required),
        ),
        (
            "chốt số liệu",
            old.schedule.cut_off.to_text(),
            new.schedule.cut_off.to_text(),
        ),
        (
            "tạo trước hạn (ngày)",
            old.schedule.lead_days.to_string(),
            new.schedule.lead_days.to_string(),
        ),
        (
            "nhắc trước hạn",
            old.remind_before.to_text(),
            new.remind_before.to_text(),
        ),
        (
            "nhắc sau hạn",
            old.overdue_after.to_text_ascending(),
            new.overdue_after.to_text_ascending(),
        ),
        ("gửi tới", recipients(&old.recipients), recipients(&new.recipients)),
        (
            "nội dung yêu cầu",
            old.letter.content.clone().unwrap_or_default(),
            new.letter.content.clone().unwrap_or_default(),
        ),
        (
            "cơ quan ban hành",
            old.letter.issuer.clone().unwrap_or_default(),
            new.letter.issuer.clone().unwrap_or_default(),
        ),
        (
            "chuyển cấp trên",
            escalation(&old.escalation),
            escalation(&new.escalation),
        ),
    ];
    let shown = |text: String| (!text.is_empty()).then_some(text);
    fields
        .into_iter()
        .filter(|(_, before, after)| before != after)
        .map(|(field, before, after)| (field.to_string(), shown(before), shown(after)))
        .collect()
}
