//! `request edit`: what a clerk corrects or changes in a request after making it, in one
//! transaction, each change recorded (who, when, before → after).

use chrono::{DateTime, Utc};

use super::requests::{insert_recipients, resolve_units, set_deadline};
use super::{ChangeOf, Store, StoreError, StoreResult, sql};
use crate::domain::model::{FileInput, GroupCode, Request, RequestState, UnitCode, UnitId};

/// What to change; `None` or empty leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct RequestEdit {
    pub title: Option<String>,
    /// `Some(None)` clears the field.
    pub content: Option<Option<String>>,
    pub issuer: Option<Option<String>>,
    pub kind: Option<Option<String>>,
    pub deadline: Option<NewDeadline>,
    pub add_groups: Vec<GroupCode>,
    pub remove_groups: Vec<GroupCode>,
    pub add_units: Vec<UnitCode>,
    pub remove_units: Vec<UnitCode>,
    pub add_files: Vec<FileInput>,
    /// File names, as `request show` lists them.
    pub remove_files: Vec<String>,
    /// A new escalation; `Some(None)`: back to the configuration's.
    pub escalation: Option<Option<crate::domain::escalation::Escalation>>,
    /// Why cancelled messages were cancelled when the deadline changes ("sửa hạn …").
    pub note: String,
}

/// A new deadline: the instant, its wording, and how the record shows the old and new one.
#[derive(Debug, Clone)]
pub struct NewDeadline {
    pub at: DateTime<Utc>,
    pub wording: Option<String>,
    pub before_shown: Option<String>,
    pub after_shown: String,
}

/// What an edit did besides the recorded changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditDone {
    pub changes: Vec<ChangeOf>,
    /// Units now named that were not.
    pub units_added: Vec<String>,
    /// Units no longer named (a unit that already reported stays, with its report).
    pub units_removed: Vec<String>,
    /// Units whose reminders are laid out again for a new deadline.
    pub replanned: usize,
}

/// The text a change record shows for an optional field.
fn shown(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.is_empty())
}

impl Store {
    /// Applies `edit` to a draft or active request in one transaction and records each
    /// change. Refuses (with every problem, nothing changed) a closed request, a group or unit
    /// that does not exist, a file that cannot be added or removed, and an edit that leaves
    /// the request naming no unit.
    pub async fn edit_request(
        &self,
        request: &Request,
        edit: &RequestEdit,
        now: DateTime<Utc>,
    ) -> StoreResult<EditDone> {
        if request.state == RequestState::Closed {
            return Err(StoreError::Rejected(vec![format!(
                "yêu cầu {} đã đóng: không sửa được (tạo yêu cầu mới nếu cần)",
                request.token
            )]));
        }
        let units = self.list_units(None).await?;
        let kept_files = self.request_files(request.id).await?;
        let mut problems = super::requests::unknown_recipients(&units, &edit.add_groups, &edit.add_units);
        for group in &edit.remove_groups {
            if !request.recipients.groups.contains(group) {
                problems.push(format!("yêu cầu không gửi tới nhóm `{group}`"));
            }
        }
        for code in &edit.remove_units {
            if !request.recipients.units.contains(code) {
                problems.push(format!(
                    "yêu cầu không ghi riêng đơn vị `{code}` (đơn vị thuộc nhóm thì bỏ cả nhóm bằng --remove-group)"
                ));
            }
        }
        let removed_ids: Vec<i64> = edit
            .remove_files
            .iter()
            .filter_map(|name| {
                let found = kept_files
                    .iter()
                    .find(|f| f.file_name.eq_ignore_ascii_case(name.trim()));
                if found.is_none() {
                    problems.push(format!("yêu cầu không có tệp gửi kèm `{name}`"));
                }
                found.map(|f| f.id)
            })
            .collect();
        let still_kept: Vec<super::StoredFile> = kept_files
            .iter()
            .filter(|f| !removed_ids.contains(&f.id))
            .cloned()
            .collect();
        problems.extend(super::check_files(&still_kept, &edit.add_files));
        if matches!(edit.escalation, Some(Some(_))) && !request.expects_report() {
            problems.push(format!(
                "{} là văn bản để biết, không có hạn báo cáo: không chuyển cấp trên",
                request.token
            ));
        }
        if let Some(title) = &edit.title
            && title.trim().is_empty()
        {
            problems.push("trích yếu (--title) không được để trống".to_string());
        }
        let mut groups = request.recipients.groups.clone();
        groups.retain(|g| !edit.remove_groups.contains(g));
        groups.extend(
            edit.add_groups
                .iter()
                .filter(|g| !request.recipients.groups.contains(g))
                .cloned(),
        );
        let mut named_units = request.recipients.units.clone();
        named_units.retain(|u| !edit.remove_units.contains(u));
        named_units.extend(
            edit.add_units
                .iter()
                .filter(|u| !request.recipients.units.contains(u))
                .cloned(),
        );
        if groups.is_empty() && named_units.is_empty() {
            problems.push("yêu cầu phải còn ít nhất một nhóm hoặc đơn vị".to_string());
        }
        if !problems.is_empty() {
            return Err(StoreError::Rejected(problems));
        }

        let mut done = EditDone::default();
        let text_changes = [
            ("trích yếu", Some(request.title.clone()), edit.title.clone().map(Some)),
            ("nội dung yêu cầu", request.letter.content.clone(), edit.content.clone()),
            ("cơ quan ban hành", request.letter.issuer.clone(), edit.issuer.clone()),
            ("loại văn bản", request.letter.kind.clone(), edit.kind.clone()),
        ];
        for (field, before, after) in text_changes {
            if let Some(after) = after
                && shown(&after) != shown(&before)
            {
                done.changes.push((field.to_string(), shown(&before), shown(&after)));
            }
        }
        let recipients_text = |groups: &[GroupCode], units: &[UnitCode]| {
            let mut named: Vec<String> = groups.iter().map(|g| format!("nhóm {g}")).collect();
            named.extend(units.iter().map(|u| u.to_string()));
            named.join(", ")
        };
        let before_recipients = recipients_text(&request.recipients.groups, &request.recipients.units);
        let after_recipients = recipients_text(&groups, &named_units);
        if before_recipients != after_recipients {
            done.changes
                .push(("gửi tới".to_string(), Some(before_recipients), Some(after_recipients)));
        }
        for name in &edit.remove_files {
            done.changes
                .push(("tệp gửi kèm".to_string(), Some(name.trim().to_string()), None));
        }
        for file in &edit.add_files {
            done.changes
                .push(("tệp gửi kèm".to_string(), None, Some(file.name.clone())));
        }
        let escalation_text = |e: &Option<crate::domain::escalation::Escalation>| match e {
            Some(e) => e.describe_vi(),
            None => "theo cấu hình chung".to_string(),
        };
        if let Some(escalation) = &edit.escalation
            && *escalation != request.escalation
        {
            done.changes.push((
                "chuyển cấp trên".to_string(),
                Some(escalation_text(&request.escalation)),
                Some(escalation_text(escalation)),
            ));
        }
        let new_deadline = edit.deadline.as_ref().filter(|d| Some(d.at) != request.deadline);
        if let Some(deadline) = new_deadline {
            done.changes.push((
                "hạn báo cáo".to_string(),
                deadline.before_shown.clone(),
                Some(deadline.after_shown.clone()),
            ));
        }
        if done.changes.is_empty() {
            return Err(StoreError::Rejected(vec![
                "không có gì thay đổi (các giá trị mới giống giá trị hiện tại)".to_string(),
            ]));
        }

        let id = request.id;
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let (added, removed, replanned) = {
            let (title, content, issuer, kind) = (
                edit.title.clone().unwrap_or_else(|| request.title.clone()),
                edit.content.clone().unwrap_or_else(|| request.letter.content.clone()),
                edit.issuer.clone().unwrap_or_else(|| request.letter.issuer.clone()),
                edit.kind.clone().unwrap_or_else(|| request.letter.kind.clone()),
            );
            sql(
                "UPDATE requests SET title = $1, content = $2, issuer = $3, doc_kind = $4, updated_at = $5 WHERE id = $6",
            )
            .bind(title.trim())
            .bind(shown(&content))
            .bind(shown(&issuer))
            .bind(shown(&kind))
            .bind(now)
            .bind(id)
            .execute(db)
            .await?;
            if let Some(escalation) = &edit.escalation {
                sql("UPDATE requests SET escalate_after = $1, escalate_to = $2, escalate_via = $3 WHERE id = $4")
                    .bind(escalation.as_ref().map(|e| e.after_text()))
                    .bind(escalation.as_ref().map(|e| e.to_text()))
                    .bind(escalation.as_ref().map(|e| e.via.as_str()))
                    .bind(id)
                    .execute(db)
                    .await?;
            }

            // Recipients: written again, then the units they name resolved.
            let before: Vec<(UnitId, String)> = sql(
                "SELECT u.id, u.code FROM request_units ru JOIN units u ON u.id = ru.unit_id WHERE ru.request_id = $1",
            )
            .bind(id)
            .fetch_all(db)
            .await?;
            sql("DELETE FROM request_recipients WHERE request_id = $1")
                .bind(id)
                .execute(db)
                .await?;
            insert_recipients(db, id, &groups, &named_units).await?;
            resolve_units(db, id, now).await?;
            // Units no longer named leave the request, unless they already reported: their
            // report stays on record.
            let gone: Vec<(UnitId, String)> = sql(
                "SELECT u.id, u.code FROM request_units ru JOIN units u ON u.id = ru.unit_id WHERE ru.request_id = $1 \
                 AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.request_id = ru.request_id AND s.unit_id = ru.unit_id) \
                 AND NOT ( \
                   u.code IN (SELECT value FROM request_recipients WHERE request_id = $1 AND kind = 'unit') \
                   OR u.id IN (SELECT g.unit_id FROM unit_groups g JOIN request_recipients r \
                               ON r.kind = 'group' AND r.value = g.group_code AND r.request_id = $1))",
            )
            .bind(id)
            .fetch_all(db)
            .await?;
            let note = "không gửi: đơn vị không còn trong danh sách của yêu cầu (đã sửa)";
            for (unit, _) in &gone {
                let _cancelled = super::slots::cancel_waiting_in(db, Some(id), Some(*unit), note, now).await?;
                sql("DELETE FROM request_units WHERE request_id = $1 AND unit_id = $2")
                    .bind(id)
                    .bind(unit)
                    .execute(db)
                    .await?;
            }
            let after: Vec<(String,)> =
                sql("SELECT u.code FROM request_units ru JOIN units u ON u.id = ru.unit_id WHERE ru.request_id = $1")
                    .bind(id)
                    .fetch_all(db)
                    .await?;
            let added: Vec<String> = after
                .into_iter()
                .map(|(code,)| code)
                .filter(|code| !before.iter().any(|(_, c)| c == code))
                .collect();

            // Files: removed ones keep their row for the messages that carried them.
            for file in &removed_ids {
                sql("UPDATE request_attachments SET removed_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(file)
                    .execute(db)
                    .await?;
            }
            super::files::insert_files(db, id, &edit.add_files, now).await?;

            let mut replanned = 0;
            if let Some(deadline) = new_deadline {
                let affected = set_deadline(db, id, deadline.at, deadline.wording.as_deref(), now).await?;
                for unit in &affected {
                    super::slots::replan_unit(db, id, *unit, &edit.note, now).await?;
                }
                super::outbox::cancel_slots_of_cancelled_messages(db, now).await?;
                replanned = affected.len();
            }
            super::files::record_changes(db, &self.actor, (id, "edit"), done.changes.clone(), now).await?;
            (
                added,
                gone.into_iter().map(|(_, code)| code).collect::<Vec<_>>(),
                replanned,
            )
        };
        tx.commit().await?;
        done.units_added = added;
        done.units_removed = removed;
        done.replanned = replanned;
        Ok(done)
    }
}
