//! Report requests: creating drafts, naming them (token, code, code@year), activating and
//! closing them, and resolving their recipients into the units that must report.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{AuditEntry, AuditSubject, Db, Store, StoreError, StoreResult, on_pool, parse_column, sql};
use crate::domain::matching::code_key;
use crate::domain::model::{
    GroupCode, Offsets, Recipients, Request, RequestCode, RequestId, RequestInput, RequestPeriod, RequestState,
    UnitCode, UnitId,
};

/// How a clerk names a request on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestRef {
    /// The short token carried by our mail: `BC-17`.
    Token(String),
    /// The directive's number, with the year when the number alone is ambiguous.
    Code { key: String, year: Option<i32> },
}

impl RequestRef {
    pub fn parse(text: &str) -> RequestRef {
        let text = text.trim();
        if let Some(number) = text.to_ascii_uppercase().strip_prefix("BC-")
            && !number.is_empty()
            && number.chars().all(|c| c.is_ascii_digit())
        {
            return RequestRef::Token(format!("BC-{}", number.trim_start_matches('0')));
        }
        if let Some((code, year)) = text.rsplit_once('@')
            && let Ok(year) = year.trim().parse::<i32>()
        {
            return RequestRef::Code {
                key: code_key(code),
                year: Some(year),
            };
        }
        RequestRef::Code {
            key: code_key(text),
            year: None,
        }
    }
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: RequestId,
    code: String,
    year: i64,
    token: Option<String>,
    title: String,
    issued_on: Option<NaiveDate>,
    deadline: DateTime<Utc>,
    deadline_wording: Option<String>,
    issuer: Option<String>,
    doc_kind: Option<String>,
    content: Option<String>,
    remind_before: String,
    overdue_after: String,
    attachment_required: bool,
    state: String,
    created_at: DateTime<Utc>,
    expects_report: bool,
    series_id: Option<i64>,
    period_key: Option<String>,
    period_label: Option<String>,
    escalate_after: Option<String>,
    escalate_to: Option<String>,
    escalate_via: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RecipientRow {
    request_id: RequestId,
    kind: String,
    value: String,
}

const REQUEST_COLUMNS: &str = "SELECT id, code, year, token, title, issued_on, deadline, deadline_wording, issuer, doc_kind, content, remind_before, \
     overdue_after, attachment_required, state, created_at, expects_report, series_id, period_key, period_label, escalate_after, escalate_to, escalate_via FROM requests";

async fn load_all_requests(db: &mut Db<'_>) -> StoreResult<Vec<Request>> {
    let rows: Vec<RequestRow> = sql(sqlx::AssertSqlSafe(format!("{REQUEST_COLUMNS} ORDER BY year, id")))
        .fetch_all(db)
        .await?;
    let recipients: Vec<RecipientRow> =
        sql("SELECT request_id, kind, value FROM request_recipients ORDER BY kind, value")
            .fetch_all(db)
            .await?;
    assemble(rows, recipients)
}

/// The units a request's recipients name: active units of the named groups and the named
/// units themselves.
pub(crate) async fn resolve_units(db: &mut Db<'_>, request_id: RequestId, now: DateTime<Utc>) -> StoreResult<usize> {
    // One statement for all of them: activating a request for 20,000 units wrote 20,000
    // single-row inserts before. `WHERE` keeps SQLite from reading `ON CONFLICT` as a join's.
    let targets = "SELECT u.id FROM units u WHERE u.active AND ( \
           u.code IN (SELECT value FROM request_recipients WHERE request_id = $1 AND kind = 'unit') \
           OR u.id IN (SELECT g.unit_id FROM unit_groups g JOIN request_recipients r \
                       ON r.kind = 'group' AND r.value = g.group_code AND r.request_id = $1))";
    let count: i64 = sql(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM ({targets}) t")))
        .bind(request_id)
        .fetch_scalar(db)
        .await?;
    sql(sqlx::AssertSqlSafe(format!(
        "INSERT INTO request_units (request_id, unit_id, added_at) SELECT $1, t.id, $2 FROM ({targets}) t \
         WHERE true ON CONFLICT (request_id, unit_id) DO NOTHING"
    )))
    .bind(request_id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(count as usize)
}

/// What a request cannot name: a unit that does not exist, a group no active unit is in.
pub(super) fn unknown_recipients(
    units: &[crate::domain::model::Unit],
    groups: &[GroupCode],
    named: &[UnitCode],
) -> Vec<String> {
    let missing_units = named
        .iter()
        .filter(|code| !units.iter().any(|u| &u.code == *code))
        .map(|code| format!("không có đơn vị `{code}` (xem: baocao unit list)"));
    let empty_groups = groups
        .iter()
        .filter(|group| !units.iter().any(|u| u.groups.contains(group)))
        .map(|group| format!("nhóm `{group}` chưa có đơn vị nào"));
    missing_units.chain(empty_groups).collect()
}

/// Gives one unit of a request a later deadline of its own; refuses a unit the request does
/// not name.
pub(crate) async fn extend_unit(
    db: &mut Db<'_>,
    request_id: RequestId,
    unit_id: UnitId,
    until: DateTime<Utc>,
) -> StoreResult<()> {
    let changed = sql("UPDATE request_units SET extended_deadline = $3 WHERE request_id = $1 AND unit_id = $2")
        .bind(request_id)
        .bind(unit_id)
        .bind(until)
        .execute(db)
        .await?;
    if changed != 1 {
        return Err(StoreError::Rejected(vec![
            "đơn vị không thuộc danh sách phải báo cáo của yêu cầu này".into(),
        ]));
    }
    Ok(())
}

/// Writes a request's recipients (groups, then single units).
pub(crate) async fn insert_recipients(
    db: &mut Db<'_>,
    request_id: RequestId,
    groups: &[GroupCode],
    units: &[UnitCode],
) -> StoreResult<()> {
    let rows = groups
        .iter()
        .map(|g| ("group", g.as_str()))
        .chain(units.iter().map(|u| ("unit", u.as_str())));
    for (kind, value) in rows {
        sql("INSERT INTO request_recipients (request_id, kind, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(request_id)
            .bind(kind)
            .bind(value)
            .execute(db)
            .await?;
    }
    Ok(())
}

fn assemble(rows: Vec<RequestRow>, recipients: Vec<RecipientRow>) -> StoreResult<Vec<Request>> {
    let mut by_request: HashMap<RequestId, Recipients> = HashMap::new();
    for row in recipients {
        let entry = by_request.entry(row.request_id).or_default();
        match row.kind.as_str() {
            "group" => entry
                .groups
                .push(GroupCode::parse(&row.value).map_err(|_| StoreError::Corrupt {
                    column: "request_recipients.value",
                    value: row.value.clone(),
                })?),
            _ => entry.units.push(super::units::parse_unit_code(&row.value)?),
        }
    }
    rows.into_iter()
        .map(|row| {
            let corrupt = |column: &'static str, value: &str| StoreError::Corrupt {
                column,
                value: value.to_string(),
            };
            Ok(Request {
                id: row.id,
                code: RequestCode::parse(&row.code).map_err(|_| corrupt("requests.code", &row.code))?,
                year: row.year as i32,
                token: row.token.unwrap_or_default(),
                title: row.title,
                issued_on: row.issued_on,
                // A request "để biết" keeps its creation instant in the NOT NULL column.
                deadline: row.expects_report.then_some(row.deadline),
                deadline_wording: row.deadline_wording,
                letter: crate::domain::model::LetterFields {
                    issuer: row.issuer,
                    kind: row.doc_kind,
                    content: row.content,
                },
                recipients: by_request.remove(&row.id).unwrap_or_default(),
                remind_before: Offsets::parse(&row.remind_before)
                    .map_err(|_| corrupt("requests.remind_before", &row.remind_before))?,
                overdue_after: Offsets::parse(&row.overdue_after)
                    .map_err(|_| corrupt("requests.overdue_after", &row.overdue_after))?,
                attachment_required: row.attachment_required,
                state: parse_column("requests.state", &row.state, RequestState::parse)?,
                created_at: row.created_at,
                escalation: crate::domain::escalation::Escalation::from_columns(
                    row.escalate_after.as_deref(),
                    row.escalate_to.as_deref(),
                    row.escalate_via.as_deref(),
                )
                .map_err(|_| {
                    corrupt(
                        "requests.escalate_after",
                        row.escalate_after.as_deref().unwrap_or_default(),
                    )
                })?,
                period: match (row.series_id, row.period_key, row.period_label) {
                    (Some(series_id), Some(key), Some(label)) => Some(RequestPeriod { series_id, key, label }),
                    _ => None,
                },
            })
        })
        .collect()
}

impl Store {
    /// Every request, oldest year first.
    pub async fn all_requests(&self) -> StoreResult<Vec<Request>> {
        load_all_requests(&mut self.connection().await?.db()).await
    }

    /// Finds the one request a clerk means, or says why none or several match.
    pub async fn resolve_request(&self, text: &str) -> StoreResult<Request> {
        let reference = RequestRef::parse(text);
        let all = self.all_requests().await?;
        let matches: Vec<Request> = all
            .into_iter()
            .filter(|r| match &reference {
                RequestRef::Token(token) => r.token.eq_ignore_ascii_case(token),
                RequestRef::Code { key, year } => &r.code.key() == key && year.is_none_or(|y| y == r.year),
            })
            .collect();
        // A number reused after its request was closed names the one not closed; the closed
        // one is reached by its token.
        let mut matches = matches;
        if matches.len() > 1 && matches!(reference, RequestRef::Code { .. }) {
            let open: Vec<Request> = matches
                .iter()
                .filter(|r| r.state != RequestState::Closed)
                .cloned()
                .collect();
            if open.len() == 1 {
                matches = open;
            }
        }
        match matches.len() {
            0 => Err(StoreError::NotFound(format!(
                "không có yêu cầu báo cáo `{}` (xem danh sách: baocao request list)",
                text.trim()
            ))),
            1 => Ok(matches.into_iter().next().expect("one element, checked above")),
            _ => Err(StoreError::Rejected(vec![format!(
                "có nhiều yêu cầu mang số `{}`: {}; ghi rõ năm (SỐ@NĂM, ví dụ 4189/KH-BCĐ@2024) hoặc dùng mã BC-",
                text.trim(),
                matches
                    .iter()
                    .map(|r| format!("{} năm {} ({}, gõ {}@{})", r.code, r.year, r.token, r.code, r.year))
                    .collect::<Vec<_>>()
                    .join(", ")
            )])),
        }
    }

    /// Creates a draft request and resolves which units it names. Named units must exist
    /// and named groups must hold at least one active unit.
    pub async fn create_request(&self, input: &RequestInput, now: DateTime<Utc>) -> StoreResult<Request> {
        let units = self.list_units(None).await?;
        let mut problems = unknown_recipients(&units, &input.recipients.groups, &input.recipients.units);
        if input.recipients.is_empty() {
            problems.push("cần ít nhất một --group hoặc --unit".to_string());
        }
        if input.title.trim().is_empty() {
            problems.push("trích yếu (--title) không được để trống".to_string());
        }
        problems.extend(super::check_files(&[], &input.files));
        if !problems.is_empty() {
            return Err(StoreError::Rejected(problems));
        }
        let key = input.code.key();
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let id = {
            let clash: Option<(RequestId, String, String)> =
                sql("SELECT id, token, state FROM requests WHERE code_key = $1 AND year = $2")
                    .bind(&key)
                    .bind(i64::from(input.year))
                    .fetch_optional(db)
                    .await?;
            let clash = match clash {
                Some((old, token, state)) => {
                    Some((old, token, parse_column("requests.state", &state, RequestState::parse)?))
                }
                None => None,
            };
            match clash {
                Some((old, token, RequestState::Closed)) if input.reuse_closed_number => {
                    // The closed request keeps its number as written and every record; only
                    // its lookup key moves aside, so `SỐ@NĂM` now names the new request.
                    let moved = format!("{key}~{old}");
                    sql("UPDATE requests SET code_key = $1, updated_at = $2 WHERE id = $3")
                        .bind(&moved)
                        .bind(now)
                        .bind(old)
                        .execute(db)
                        .await?;
                    let change: [super::ChangeOf; 1] = [(
                        "số hiệu".to_string(),
                        Some(format!("{} năm {}", input.code, input.year)),
                        Some(format!(
                            "dùng lại cho yêu cầu mới; yêu cầu này vẫn tìm được bằng {token}"
                        )),
                    )];
                    super::files::record_changes(db, &self.actor, (old, "edit"), change, now).await?;
                }
                Some((_, token, RequestState::Closed)) => {
                    return Err(StoreError::Rejected(vec![format!(
                        "số {} năm {} đã dùng cho yêu cầu {token} (đã đóng). Nếu đây là văn bản mới cùng số, \
                         thêm --reuse-number để xác nhận (yêu cầu cũ giữ nguyên hồ sơ, tìm bằng {token}); \
                         nếu gõ nhầm số, sửa bằng: baocao request edit",
                        input.code, input.year
                    )]));
                }
                Some((_, token, _)) => {
                    return Err(StoreError::Rejected(vec![format!(
                        "đã có yêu cầu số {} năm {} ({token}) chưa đóng; sửa yêu cầu đó bằng: baocao request edit {token}",
                        input.code, input.year
                    )]));
                }
                None => {}
            }
            let (id,): (RequestId,) = sql(
                "INSERT INTO requests (code, code_key, year, title, issued_on, deadline, remind_before, \
                 overdue_after, attachment_required, state, created_at, updated_at, deadline_wording, issuer, doc_kind, \
                 content, expects_report, escalate_after, escalate_to, escalate_via) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', $10, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
                 RETURNING id",
            )
            .bind(input.code.as_str())
            .bind(&key)
            .bind(i64::from(input.year))
            .bind(input.title.trim())
            .bind(input.issued_on)
            .bind(input.deadline.unwrap_or(now))
            .bind(input.remind_before.to_text())
            .bind(input.overdue_after.to_text())
            .bind(input.attachment_required)
            .bind(now)
            .bind(&input.deadline_wording)
            .bind(&input.letter.issuer)
            .bind(&input.letter.kind)
            .bind(&input.letter.content)
            .bind(input.deadline.is_some())
            .bind(input.escalation.as_ref().map(|e| e.after_text()))
            .bind(input.escalation.as_ref().map(|e| e.to_text()))
            .bind(input.escalation.as_ref().map(|e| e.via.as_str()))
            .fetch_one(db)
            .await?;
            sql("UPDATE requests SET token = $1 WHERE id = $2")
                .bind(format!("BC-{id}"))
                .bind(id)
                .execute(db)
                .await?;
            insert_recipients(db, id, &input.recipients.groups, &input.recipients.units).await?;
            resolve_units(db, id, now).await?;
            super::files::insert_files(db, id, &input.files, now).await?;
            let entry = AuditEntry::new(AuditSubject::Request, format!("BC-{id}"), "create")
                .of_request(id)
                .change(
                    "yêu cầu",
                    None,
                    Some(format!("số {} năm {}: {}", input.code, input.year, input.title.trim())),
                );
            super::audit::write(db, &self.actor, [entry], now).await?;
            id
        };
        tx.commit().await?;
        self.request_by_id(id).await
    }

    pub async fn request_by_id(&self, id: RequestId) -> StoreResult<Request> {
        self.all_requests()
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("không có yêu cầu số hiệu nội bộ {id}")))
    }

    /// Moves a request to `to`. Activating re-resolves its recipients (units added to a
    /// group since the draft are included). Returns the number of units it now names.
    pub async fn set_request_state(
        &self,
        request: &Request,
        to: RequestState,
        now: DateTime<Utc>,
    ) -> StoreResult<usize> {
        let allowed = matches!(
            (request.state, to),
            (RequestState::Draft, RequestState::Active)
                | (RequestState::Draft, RequestState::Closed)
                | (RequestState::Active, RequestState::Closed)
        );
        if !allowed {
            return Err(StoreError::Rejected(vec![format!(
                "yêu cầu {} đang ở trạng thái \"{}\", không chuyển sang \"{}\" được",
                request.token,
                request.state.label_vi(),
                to.label_vi()
            )]));
        }
        let id = request.id;
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let count = {
            let (column_sql, resolve) = match to {
                RequestState::Active => (
                    "UPDATE requests SET state = 'active', activated_at = $1, updated_at = $1 WHERE id = $2",
                    true,
                ),
                _ => (
                    "UPDATE requests SET state = 'closed', closed_at = $1, updated_at = $1 WHERE id = $2",
                    false,
                ),
            };
            sql(column_sql).bind(now).bind(id).execute(db).await?;
            let action = if resolve { "activate" } else { "close" };
            let entry = AuditEntry::new(AuditSubject::Request, request.token.clone(), action)
                .of_request(id)
                .change(
                    "trạng thái",
                    Some(request.state.label_vi().to_string()),
                    Some(to.label_vi().to_string()),
                );
            super::audit::write(db, &self.actor, [entry], now).await?;
            if resolve {
                resolve_units(db, id, now).await?;
            }
            let (count,): (i64,) = sql("SELECT COUNT(*) FROM request_units WHERE request_id = $1")
                .bind(id)
                .fetch_one(db)
                .await?;
            count as usize
        };
        tx.commit().await?;
        Ok(count)
    }

    /// The codes of the units a request is chased from, ordered by code.
    pub async fn request_unit_codes(&self, request_id: RequestId) -> StoreResult<Vec<UnitCode>> {
        let rows: Vec<(String,)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT u.code FROM request_units ru JOIN units u ON u.id = ru.unit_id \
                 WHERE ru.request_id = $1 ORDER BY u.code",
            )
            .bind(request_id)
            .fetch_all(pool)
            .await?
        });
        rows.iter().map(|(code,)| super::units::parse_unit_code(code)).collect()
    }
}

/// Sets a request's deadline (and wording): units whose own extension is not later give it
/// up; returns the units to re-plan (every unit without a later
/// deadline of its own).
pub(crate) async fn set_deadline(
    db: &mut Db<'_>,
    id: RequestId,
    until: DateTime<Utc>,
    wording: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<UnitId>> {
    sql("UPDATE requests SET deadline = $1, deadline_wording = $2, updated_at = $3 WHERE id = $4")
        .bind(until)
        .bind(wording)
        .bind(now)
        .bind(id)
        .execute(db)
        .await?;
    let rows: Vec<(UnitId,)> = sql("SELECT unit_id FROM request_units WHERE request_id = $1 \
         AND (extended_deadline IS NULL OR extended_deadline <= $2)")
    .bind(id)
    .bind(until)
    .fetch_all(db)
    .await?;
    sql("UPDATE request_units SET extended_deadline = NULL WHERE request_id = $1 AND extended_deadline <= $2")
        .bind(id)
        .bind(until)
        .execute(db)
        .await?;
    Ok(rows.into_iter().map(|(unit,)| unit).collect())
}

/// A later deadline, for a whole request or some of its units.
#[derive(Debug, Clone)]
pub struct Extension<'a> {
    pub until: DateTime<Utc>,
    /// The new deadline as written, for the whole request.
    pub wording: Option<&'a str>,
    /// `None`: the whole request; else these units only.
    pub units: Option<&'a [UnitId]>,
    /// Why waiting messages were cancelled ("gia hạn đến …").
    pub note: &'a str,
    /// The change as the record shows it: `(field, before, after)`.
    pub change: super::ChangeOf,
}

impl Store {
    /// A later deadline for the whole request (the request's deadline and wording change, and
    /// a unit's own earlier extension gives way) or for some units (their own deadline). The
    /// affected units' waiting messages and planned slots are dropped so the next planning
    /// pass lays them out again (with a "gia hạn" notice for units that had the first one).
    /// The change is recorded. Returns how many units were re-planned.
    pub async fn extend_request(
        &self,
        request: &Request,
        extension: &Extension<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<usize> {
        let id = request.id;
        let until = extension.until;
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let affected = {
            let affected: Vec<UnitId> = match extension.units {
                None => set_deadline(db, id, until, extension.wording, now).await?,
                Some(units) => {
                    for unit in units {
                        extend_unit(db, id, *unit, until).await?;
                    }
                    units.to_vec()
                }
            };
            for unit in &affected {
                super::slots::replan_unit(db, id, *unit, extension.note, now).await?;
            }
            super::outbox::cancel_slots_of_cancelled_messages(db, now).await?;
            super::files::record_changes(db, &self.actor, (id, "extend"), [extension.change.clone()], now).await?;
            affected
        };
        tx.commit().await?;
        Ok(affected.len())
    }

    /// Deletes a draft request (nothing was sent for it); any other state is refused.
    pub async fn delete_draft(&self, request: &Request, now: DateTime<Utc>) -> StoreResult<()> {
        if request.state != RequestState::Draft {
            return Err(StoreError::Rejected(vec![format!(
                "chỉ xóa được yêu cầu ở trạng thái nháp; {} đang \"{}\" (đóng bằng: baocao request close {})",
                request.token,
                request.state.label_vi(),
                request.token
            )]));
        }
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        {
            for statement in [
                "DELETE FROM request_recipients WHERE request_id = $1",
                "DELETE FROM request_units WHERE request_id = $1",
                "DELETE FROM requests WHERE id = $1 AND state = 'draft'",
            ] {
                sql(statement).bind(request.id).execute(db).await?;
            }
            let entry = AuditEntry::new(AuditSubject::Request, request.token.clone(), "delete")
                .of_request(request.id)
                .change(
                    "yêu cầu",
                    Some(format!("số {} năm {}: {}", request.code, request.year, request.title)),
                    None,
                );
            super::audit::write(db, &self.actor, [entry], now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
