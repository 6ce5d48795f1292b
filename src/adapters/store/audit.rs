//! The audit trail (nhật ký thay đổi): every change a person makes — from the web page or the
//! command line — is written in the same transaction as the change: who, how, when, to what,
//! which field, before and after. The table is append-only (the migrations' triggers refuse
//! UPDATE and DELETE); the store only ever inserts into it.
//!
//! Who acts is the store's [`Actor`]: the CLI opens its store as the OS user, the web page
//! takes a copy acting as the signed-in user for each request ([`Store::acting_as`]), the
//! service acts as itself.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::db::Db;
use super::{Store, StoreResult, on_pool, sql};
use crate::domain::model::RequestId;

/// How a change was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    Web,
    Cli,
    Service,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Web => "web",
            Via::Cli => "cli",
            Via::Service => "service",
        }
    }

    pub fn label_vi(text: &str) -> &'static str {
        match text {
            "web" => "trang web",
            "cli" => "dòng lệnh",
            "imported" => "ghi trước khi có nhật ký",
            _ => "dịch vụ",
        }
    }
}

/// Who makes the changes a store writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub via: Via,
}

impl Actor {
    /// A user signed in to the web page.
    pub fn web(user: &str) -> Actor {
        Actor {
            name: user.to_string(),
            via: Via::Web,
        }
    }

    /// The operating-system user running a command (the one `sudo` was run by).
    pub fn cli() -> Actor {
        Actor {
            name: super::os_user(),
            via: Via::Cli,
        }
    }

    /// The service itself (periods made by a series, automatic decisions).
    pub fn service() -> Actor {
        Actor {
            name: "dịch vụ".to_string(),
            via: Via::Service,
        }
    }
}

/// What a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Request,
    Unit,
    Group,
    Series,
    Review,
    Message,
    /// A letter template edited on the page (key: its file name).
    Template,
    /// A received message brought in by a person (`intake import`; key: its number).
    Incoming,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Request => "request",
            Subject::Unit => "unit",
            Subject::Group => "group",
            Subject::Series => "series",
            Subject::Review => "review",
            Subject::Message => "message",
            Subject::Template => "template",
            Subject::Incoming => "incoming",
        }
    }

    pub const ALL: [Subject; 8] = [
        Subject::Request,
        Subject::Unit,
        Subject::Group,
        Subject::Series,
        Subject::Review,
        Subject::Message,
        Subject::Template,
        Subject::Incoming,
    ];

    pub fn parse(text: &str) -> Option<Subject> {
        Subject::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label_vi(text: &str) -> &'static str {
        match text {
            "request" => "yêu cầu",
            "unit" => "đơn vị",
            "group" => "nhóm",
            "series" => "báo cáo định kỳ",
            "review" => "thư cần kiểm tra",
            "message" => "thư gửi đi",
            "template" => "mẫu thư",
            "incoming" => "thư nhận",
            _ => "khác",
        }
    }
}

/// One change to write.
#[derive(Debug, Clone)]
pub struct Entry {
    pub subject: Subject,
    /// The subject as people name it: a token, a unit code, a series code, a review id.
    pub key: String,
    /// The request it belongs to, for the request's history.
    pub request_id: Option<RequestId>,
    /// A stable key: `create`, `edit`, `activate`, … ([`action_vi`]).
    pub action: &'static str,
    /// The field changed, in Vietnamese ("hạn báo cáo"); `None` for the whole subject.
    pub field: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl Entry {
    pub fn new(subject: Subject, key: impl Into<String>, action: &'static str) -> Entry {
        Entry {
            subject,
            key: key.into(),
            request_id: None,
            action,
            field: None,
            before: None,
            after: None,
        }
    }

    pub fn of_request(mut self, id: RequestId) -> Entry {
        self.request_id = Some(id);
        self
    }

    pub fn change(mut self, field: impl Into<String>, before: Option<String>, after: Option<String>) -> Entry {
        self.field = Some(field.into());
        self.before = before;
        self.after = after;
        self
    }
}

/// The Vietnamese for an action key.
pub fn action_vi(action: &str) -> &'static str {
    match action {
        "create" => "tạo",
        "edit" => "sửa",
        "activate" => "kích hoạt",
        "close" => "đóng",
        "delete" => "xóa",
        "extend" => "gia hạn",
        "assign" => "ghi nhận",
        "reject" => "không tính",
        "mark" => "đánh dấu đã báo cáo",
        "import" => "nhập danh sách",
        "rename" => "đổi tên",
        "deactivate" => "ngừng theo dõi",
        "merge" => "sáp nhập",
        "role" => "vai trò địa chỉ",
        "pause" => "tạm dừng",
        "resume" => "tiếp tục",
        "retry" => "gửi lại",
        "note" => "ghi chú",
        "reset" => "trả về mẫu có sẵn",
        "intake" => "nhập thư từ tệp",
        _ => "thay đổi",
    }
}

/// Writes `entries` as `actor`, at `now`, inside the caller's transaction.
pub(crate) async fn write(
    db: &mut Db<'_>,
    actor: &Actor,
    entries: impl IntoIterator<Item = Entry>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    for entry in entries {
        sql(
            "INSERT INTO audit_log (at, actor, via, subject, subject_key, request_id, action, field, before, after) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(now)
        .bind(&actor.name)
        .bind(actor.via.as_str())
        .bind(entry.subject.as_str())
        .bind(&entry.key)
        .bind(entry.request_id)
        .bind(entry.action)
        .bind(&entry.field)
        .bind(&entry.before)
        .bind(&entry.after)
        .execute(db)
        .await?;
    }
    Ok(())
}

/// One stored change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub via: String,
    pub subject: String,
    pub subject_key: String,
    pub request_id: Option<RequestId>,
    pub action: String,
    pub field: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl AuditRow {
    /// "hạn báo cáo" for a field change, else the action: "kích hoạt".
    pub fn what_vi(&self) -> String {
        match &self.field {
            Some(field) => field.clone(),
            None => action_vi(&self.action).to_string(),
        }
    }
}

/// Which changes to list; every `None` matches all.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub subject: Option<Subject>,
    pub key: Option<String>,
    pub actor: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub request_id: Option<RequestId>,
    /// The newest this many (all when `None`), listed oldest first.
    pub limit: Option<i64>,
}

const AUDIT_COLUMNS: &str = "id, at, actor, via, subject, subject_key, request_id, action, field, before, after";

impl Store {
    /// Who this store's changes are written as.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The same database, its changes written as `actor` (a web request's user).
    pub fn acting_as(&self, actor: Actor) -> Store {
        Store {
            pools: self.pools.clone(),
            actor,
        }
    }

    /// The changes `filter` selects, oldest first.
    pub async fn audit(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
        // Every condition is always present, with a NULL meaning "any": a handful of
        // statement shapes for both databases, and no text pasted into SQL.
        let statement = format!(
            "SELECT {AUDIT_COLUMNS} FROM (SELECT {AUDIT_COLUMNS} FROM audit_log \
             WHERE ($1 IS NULL OR subject = $1) AND ($2 IS NULL OR lower(subject_key) = lower($2)) \
             AND ($3 IS NULL OR lower(actor) = lower($3)) AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5) \
             AND ($6 IS NULL OR request_id = $6) ORDER BY id DESC LIMIT $7) newest ORDER BY id"
        );
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(statement.clone()))
                .bind(filter.subject.map(Subject::as_str))
                .bind(&filter.key)
                .bind(&filter.actor)
                .bind(filter.since)
                .bind(filter.until)
                .bind(filter.request_id)
                .bind(filter.limit.unwrap_or(i64::MAX))
                .fetch_all(pool)
                .await?
        }))
    }

    /// Writes changes as this store's actor, in a transaction of their own.
    pub async fn record_audit(&self, entries: Vec<Entry>, now: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        write(&mut tx.db(), &self.actor, entries, now).await?;
        tx.commit().await
    }
}
