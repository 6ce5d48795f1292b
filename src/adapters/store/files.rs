//! A request's files (sent with its notice, fixed per message when it is queued) and the
//! record of what changed in a request after it was made.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Db, Store, StoreResult, on_pool, sql};
use crate::domain::model::RequestId;

/// A file kept for a request, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StoredFile {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub added_at: DateTime<Utc>,
}

/// A file as it goes on the wire with a message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutgoingFile {
    pub outgoing_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// One recorded change of a request: who, when, which field, before → after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RequestChange {
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A change to record: `(field, before, after)`.
pub type ChangeOf = (String, Option<String>, Option<String>);

/// Refuses files a request cannot carry: an empty one, two of one name (among themselves
/// or with `kept`), or more than [`crate::domain::model::FILES_LIMIT_BYTES`] together.
pub fn check_files(kept: &[StoredFile], files: &[crate::domain::model::FileInput]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut names: Vec<String> = kept.iter().map(|f| f.file_name.to_lowercase()).collect();
    for file in files {
        if file.data.is_empty() {
            problems.push(format!("tệp `{}` rỗng", file.name));
        }
        if names.contains(&file.name.to_lowercase()) {
            problems.push(format!("đã có tệp tên `{}`", file.name));
        }
        names.push(file.name.to_lowercase());
    }
    let total: usize =
        kept.iter().map(|f| f.size as usize).sum::<usize>() + files.iter().map(|f| f.data.len()).sum::<usize>();
    if total > crate::domain::model::FILES_LIMIT_BYTES {
        problems.push(format!(
            "các tệp gửi kèm nặng {:.1} MB, quá {} MB (thư lớn hơn thường bị máy chủ thư từ chối); \
             nén tệp hoặc gửi đường dẫn trong nội dung yêu cầu",
            total as f64 / 1_048_576.0,
            crate::domain::model::FILES_LIMIT_BYTES / 1_048_576
        ));
    }
    problems
}

/// Inserts files for a request.
pub(crate) async fn insert_files(
    db: &mut Db<'_>,
    request_id: RequestId,
    files: &[crate::domain::model::FileInput],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    const REQUEST_FILE: &str = "INSERT INTO request_attachments (request_id, file_name, content_type, size, sha256, \
         data, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    insert_file_rows(db, REQUEST_FILE, request_id.get(), files, now).await
}

/// Writes each file with `statement`, whose `$1` is the owner (a request or a series) and
/// `$2`–`$7` the name, content type, size, SHA-256, bytes and time.
pub(crate) async fn insert_file_rows(
    db: &mut Db<'_>,
    statement: &'static str,
    owner: i64,
    files: &[crate::domain::model::FileInput],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    for file in files {
        sql(statement)
            .bind(owner)
            .bind(&file.name)
            .bind(&file.content_type)
            .bind(file.data.len() as i64)
            .bind(crate::domain::incoming::message::content_hash(&file.data))
            .bind(&file.data)
            .bind(now)
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// Records changes of a request in the audit trail, as `actor`.
pub(crate) async fn record_changes(
    db: &mut Db<'_>,
    actor: &super::Actor,
    (request_id, action): (RequestId, &'static str),
    changes: impl IntoIterator<Item = ChangeOf>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let (token,): (Option<String>,) = sql("SELECT token FROM requests WHERE id = $1")
        .bind(request_id)
        .fetch_one(&mut *db)
        .await?;
    let key = token.unwrap_or_else(|| request_id.to_string());
    let entries = changes.into_iter().map(|(field, before, after)| {
        super::AuditEntry::new(super::AuditSubject::Request, key.clone(), action)
            .of_request(request_id)
            .change(field, before, after)
    });
    super::audit::write(db, actor, entries, now).await
}

/// Who made a change from the command line: the operating-system user (the one `sudo` was
/// run by, when it was).
pub fn os_user() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "không rõ".to_string())
}

impl Store {
    /// The files a request's notice carries now, in the order they were added.
    pub async fn request_files(&self, request_id: RequestId) -> StoreResult<Vec<StoredFile>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, file_name, content_type, size, sha256, added_at FROM request_attachments \
                 WHERE request_id = $1 AND removed_at IS NULL ORDER BY id",
            )
            .bind(request_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// What changed in a request after it was made, oldest first.
    pub async fn request_changes(&self, request_id: RequestId) -> StoreResult<Vec<RequestChange>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(
                // From the row that made it: on SQLite a deleted draft's id may be given again,
                // and the old draft's rows are not this request's history.
                "SELECT at AS changed_at, actor AS changed_by, COALESCE(field, action) AS field, before, after \
                 FROM audit_log WHERE request_id = $1 AND id >= COALESCE((SELECT MAX(id) FROM audit_log \
                 WHERE request_id = $1 AND subject = 'request' AND action = 'create'), 0) ORDER BY id",
            )
            .bind(request_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The files each of these outgoing messages carries, with their bytes.
    pub async fn files_of_messages(&self, ids: &[i64]) -> StoreResult<HashMap<i64, Vec<OutgoingFile>>> {
        let mut by_message: HashMap<i64, Vec<OutgoingFile>> = HashMap::new();
        if ids.is_empty() {
            return Ok(by_message);
        }
        let list = ids.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ");
        let statement = format!(
            "SELECT oa.outgoing_id, a.file_name, a.content_type, a.data FROM outgoing_attachments oa \
             JOIN request_attachments a ON a.id = oa.attachment_id WHERE oa.outgoing_id IN ({list}) ORDER BY a.id"
        );
        let files: Vec<OutgoingFile> = on_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(statement)).fetch_all(pool).await?
        });
        for file in files {
            by_message.entry(file.outgoing_id).or_default().push(file);
        }
        Ok(by_message)
    }
}
