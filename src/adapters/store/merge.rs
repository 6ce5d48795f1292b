//! Merging units, as the two-tier local government reform of 1/7/2025 merged and abolished
//! bodies: old units hand their addresses, groups and sub-units to a new (or existing) unit
//! in one transaction, and become inactive with a pointer to it.
//!
//! What happens to requests: closed requests are not touched (the old units keep their
//! submissions, slots and messages, shown under their own names). In open requests (draft or
//! active) the new unit takes the old units' place: it joins the request (keeping the latest
//! deadline an old unit had been granted), the old units' submissions for it become the new
//! unit's (so a request an old unit had reported counts as reported), their waiting reminders
//! are cancelled with the reason, their open review items point at the new unit, and the old
//! units leave the request. The next planning pass plans the new unit's reminders (a unit
//! that already counts as reported is sent none).
//!
//! The checks ([`check_merge`]) are pure; a dry run runs them and describes the change
//! without writing.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::slots::cancel_waiting_in;
use super::units::load_all_units;
use super::{Db, Store, StoreError, StoreResult, parse_column, sql};
use crate::domain::model::RequestState;
use crate::domain::model::{EmailAddress, GroupCode, RequestId, Unit, UnitCode, UnitId};

/// The reason a merged unit's waiting reminders are cancelled with.
pub const CANCEL_MERGED: &str = "đơn vị đã sáp nhập";

/// One line of a merge: `old` goes into `new`, which may get a name (`Tên mới`). `label` is
/// `dòng 5` for a file's row, empty on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeRow {
    pub label: String,
    pub old: UnitCode,
    pub new: UnitCode,
    pub new_name: Option<String>,
}

/// What a merge does (or, in a dry run, would do) to one new unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeTarget {
    pub code: UnitCode,
    pub name: String,
    /// The unit did not exist and is created.
    pub created: bool,
    /// The unit existed under another name, or was inactive.
    pub renamed_from: Option<String>,
    pub reactivated: bool,
    pub olds: Vec<MergedOld>,
    /// Addresses the new unit gains, in the order they are added after its own.
    pub addresses_added: Vec<EmailAddress>,
    pub groups_added: Vec<GroupCode>,
    /// Open requests in which it takes the old units' place.
    pub requests: Vec<RequestTakeover>,
}

/// One old unit of a merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergedOld {
    pub code: UnitCode,
    pub name: String,
}

/// An open request in which the new unit takes the old units' place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestTakeover {
    /// For the request's own history.
    #[serde(skip)]
    pub request_id: RequestId,
    pub token: String,
    pub active: bool,
    /// The old units the request named.
    pub replaced: Vec<UnitCode>,
    /// Those of them that had reported: the new unit counts as reported.
    pub reported_by: Vec<UnitCode>,
    /// The request already named the new unit.
    pub already_named: bool,
}

/// What `merge_units` did or would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MergeReport {
    pub applied: bool,
    pub targets: Vec<MergeTarget>,
}

#[derive(sqlx::FromRow)]
struct OpenMembership {
    request_id: RequestId,
    token: Option<String>,
    state: String,
    unit_id: UnitId,
    extended_deadline: Option<DateTime<Utc>>,
}

impl Store {
    /// Merges the rows' old units into their new ones in one transaction, or, when
    /// `dry_run`, only says what that would do. Every problem of every row is refused
    /// together (`StoreError::Rejected`, `dòng N: …`), and then nothing changes.
    pub async fn merge_units(&self, rows: &[MergeRow], dry_run: bool, now: DateTime<Utc>) -> StoreResult<MergeReport> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();

        let existing = load_all_units(db).await?;
        let targets = check_merge(&existing, rows).map_err(StoreError::Rejected)?;
        let memberships: Vec<OpenMembership> = sql(
            "SELECT ru.request_id, r.token, r.state, ru.unit_id, ru.extended_deadline FROM request_units ru \
             JOIN requests r ON r.id = ru.request_id WHERE r.state IN ('draft', 'active') ORDER BY ru.request_id",
        )
        .fetch_all(db)
        .await?;
        let reported: HashSet<(RequestId, UnitId)> = sql("SELECT DISTINCT request_id, unit_id FROM submissions")
            .fetch_all::<(RequestId, UnitId)>(db)
            .await?
            .into_iter()
            .collect();
        let by_code: HashMap<&UnitCode, &Unit> = existing.iter().map(|u| (&u.code, u)).collect();
        let id_of = |code: &UnitCode| by_code.get(code).map(|u| u.id);
        let mut report = MergeReport {
            applied: !dry_run,
            targets: Vec::new(),
        };
        for plan in &targets {
            let old_ids: Vec<UnitId> = plan.olds.iter().filter_map(|o| id_of(&o.code)).collect();
            let new_id = id_of(&plan.code);
            report.targets.push(MergeTarget {
                requests: takeovers(&memberships, &reported, &old_ids, new_id, &existing)?,
                ..plan.clone()
            });
        }
        if dry_run {
            return Ok(report);
        }
        for target in &report.targets {
            merge_into(db, target, &existing, &memberships, now).await?;
            let olds: Vec<String> = target.olds.iter().map(|o| o.code.to_string()).collect();
            let mut entries = vec![
                super::AuditEntry::new(super::AuditSubject::Unit, target.code.to_string(), "merge").change(
                    "sáp nhập",
                    Some(olds.join(", ")),
                    Some(format!("{} ({})", target.code, target.name)),
                ),
            ];
            entries.extend(target.olds.iter().map(|old| {
                super::AuditEntry::new(super::AuditSubject::Unit, old.code.to_string(), "merge").change(
                    "sáp nhập vào",
                    None,
                    Some(target.code.to_string()),
                )
            }));
            // Each open request whose recipients changed says so in its own history.
            entries.extend(target.requests.iter().map(|taken| {
                let replaced: Vec<String> = taken.replaced.iter().map(ToString::to_string).collect();
                let mut entry = super::AuditEntry::new(super::AuditSubject::Request, taken.token.clone(), "merge")
                    .change(
                        "nơi nhận (sáp nhập đơn vị)",
                        Some(replaced.join(", ")),
                        Some(target.code.to_string()),
                    );
                entry.request_id = Some(taken.request_id);
                entry
            }));
            super::audit::write(db, &self.actor, entries, now).await?;
        }
        tx.commit().await?;
        Ok(report)
    }
}

/// Merges one target's old units into it, and moves their place in open requests to it.
async fn merge_into(
    db: &mut Db<'_>,
    target: &MergeTarget,
    existing: &[Unit],
    memberships: &[OpenMembership],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let by_code: HashMap<&UnitCode, &Unit> = existing.iter().map(|u| (&u.code, u)).collect();
    let id_of = |code: &UnitCode| by_code.get(code).map(|u| u.id);

    let new_id = match id_of(&target.code) {
        Some(id) => {
            sql("UPDATE units SET name = $1, active = TRUE, updated_at = $2 WHERE id = $3")
                .bind(&target.name)
                .bind(now)
                .bind(id)
                .execute(db)
                .await?;
            id
        }
        None => {
            let parent = shared_parent(existing, &target.olds).and_then(|p| id_of(&p));
            let (id,): (UnitId,) = sql(
                "INSERT INTO units (code, name, parent_id, active, created_at, updated_at) \
                 VALUES ($1, $2, $3, TRUE, $4, $4) RETURNING id",
            )
            .bind(target.code.as_str())
            .bind(&target.name)
            .bind(parent)
            .bind(now)
            .fetch_one(db)
            .await?;
            id
        }
    };
    let (mut position,): (i64,) = sql("SELECT COUNT(*) FROM unit_addresses WHERE unit_id = $1")
        .bind(new_id)
        .fetch_one(db)
        .await?;
    let note = format!("{CANCEL_MERGED} vào `{}`", target.code);
    let old_ids: Vec<UnitId> = target.olds.iter().filter_map(|o| id_of(&o.code)).collect();
    // Two old units may hold one address (one took it over from the other): the
    // first move wins, later copies are dropped.
    let mut moved: HashSet<String> = HashSet::new();
    for old in &target.olds {
        let Some(old_unit) = by_code.get(&old.code) else {
            continue;
        };
        let old_id = old_unit.id;
        // Addresses: the new unit's own first, then the old units' in order, each
        // row moved whole so its failing mark goes with it; one the new unit
        // already has is dropped from the old unit.
        for address in &old_unit.addresses {
            if target.addresses_added.contains(&address.address)
                && moved.insert(address.address.as_str().to_lowercase())
            {
                sql("UPDATE unit_addresses SET unit_id = $1, position = $2 WHERE unit_id = $3 AND address = $4")
                    .bind(new_id)
                    .bind(position)
                    .bind(old_id)
                    .bind(address.address.as_str())
                    .execute(db)
                    .await?;
                position += 1;
            } else {
                sql("DELETE FROM unit_addresses WHERE unit_id = $1 AND address = $2")
                    .bind(old_id)
                    .bind(address.address.as_str())
                    .execute(db)
                    .await?;
            }
        }
        for group in &old_unit.groups {
            sql("INSERT INTO unit_groups (unit_id, group_code) VALUES ($1, $2) \
                 ON CONFLICT (unit_id, group_code) DO NOTHING")
            .bind(new_id)
            .bind(group.as_str())
            .execute(db)
            .await?;
        }
        sql("UPDATE units SET active = FALSE, merged_into = $1, merged_at = $2, updated_at = $2 WHERE id = $3")
            .bind(new_id)
            .bind(now)
            .bind(old_id)
            .execute(db)
            .await?;
        // Sub-units follow; the new unit never ends up below itself.
        sql("UPDATE units SET parent_id = $1 WHERE parent_id = $2 AND id <> $1")
            .bind(new_id)
            .bind(old_id)
            .execute(db)
            .await?;
        sql("UPDATE units SET parent_id = NULL WHERE id = $1 AND parent_id = $2")
            .bind(new_id)
            .bind(old_id)
            .execute(db)
            .await?;
        let _cancelled = cancel_waiting_in(db, None, Some(old_id), &note, now).await?;
        for column in ["unit_id", "suggested_unit_id"] {
            sql(sqlx::AssertSqlSafe(format!(
                "UPDATE review_items SET {column} = $1 WHERE {column} = $2 AND state = 'open' \
                 AND (request_id IS NULL OR request_id IN (SELECT id FROM requests WHERE state <> 'closed'))"
            )))
            .bind(new_id)
            .bind(old_id)
            .execute(db)
            .await?;
        }
        let submission_note = format!("đơn vị cũ `{}` đã báo cáo trước khi sáp nhập", old.code);
        for membership in memberships.iter().filter(|m| m.unit_id == old_id) {
            // The latest deadline any of its old units had been granted.
            let extended = memberships
                .iter()
                .filter(|m| m.request_id == membership.request_id && old_ids.contains(&m.unit_id))
                .filter_map(|m| m.extended_deadline)
                .max();
            // A directive "để biết" an old unit already received is not sent to
            // the same offices again: the new unit counts as having it.
            let (expects_report,): (bool,) = sql("SELECT expects_report FROM requests WHERE id = $1")
                .bind(membership.request_id)
                .fetch_one(db)
                .await?;
            let informed: Option<(i64,)> = sql(
                "SELECT id FROM outgoing_messages WHERE request_id = $1 AND unit_id = $2 \
                 AND kind = 'notice' AND state IN ('sent', 'sending') LIMIT 1",
            )
            .bind(membership.request_id)
            .bind(old_id)
            .fetch_optional(db)
            .await?;
            let already_informed = !expects_report && informed.is_some();
            sql(
                "INSERT INTO request_units (request_id, unit_id, extended_deadline, added_at, slots_planned_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id, unit_id) DO NOTHING",
            )
            .bind(membership.request_id)
            .bind(new_id)
            .bind(extended)
            .bind(now)
            .bind(already_informed.then_some(now))
            .execute(db)
            .await?;
            if already_informed {
                sql(
                    "UPDATE outgoing_messages SET unit_id = $1 WHERE request_id = $2 AND unit_id = $3 \
                     AND kind = 'notice' AND state IN ('sent', 'sending')",
                )
                .bind(new_id)
                .bind(membership.request_id)
                .bind(old_id)
                .execute(db)
                .await?;
            }
            sql("UPDATE submissions SET unit_id = $1, \
                 note = CASE WHEN note IS NULL THEN $4 ELSE note || ' · ' || $4 END \
                 WHERE request_id = $2 AND unit_id = $3")
            .bind(new_id)
            .bind(membership.request_id)
            .bind(old_id)
            .bind(&submission_note)
            .execute(db)
            .await?;
            sql("DELETE FROM request_units WHERE request_id = $1 AND unit_id = $2")
                .bind(membership.request_id)
                .bind(old_id)
                .execute(db)
                .await?;
        }
        // Open requests that name the old unit name the new one.
        sql("INSERT INTO request_recipients (request_id, kind, value) \
             SELECT request_id, 'unit', $1 FROM request_recipients WHERE kind = 'unit' AND value = $2 \
             AND request_id IN (SELECT id FROM requests WHERE state IN ('draft', 'active')) \
             ON CONFLICT (request_id, kind, value) DO NOTHING")
        .bind(target.code.as_str())
        .bind(old.code.as_str())
        .execute(db)
        .await?;
        sql("DELETE FROM request_recipients WHERE kind = 'unit' AND value = $1 \
             AND request_id IN (SELECT id FROM requests WHERE state IN ('draft', 'active'))")
        .bind(old.code.as_str())
        .execute(db)
        .await?;
    }
    Ok(())
}

/// The open requests the old units are in, and what the new unit takes over in each.
fn takeovers(
    memberships: &[OpenMembership],
    reported: &HashSet<(RequestId, UnitId)>,
    old_ids: &[UnitId],
    new_id: Option<UnitId>,
    existing: &[Unit],
) -> StoreResult<Vec<RequestTakeover>> {
    let code_of = |id: UnitId| existing.iter().find(|u| u.id == id).map(|u| u.code.clone());
    let mut by_request: BTreeMap<RequestId, RequestTakeover> = BTreeMap::new();
    for membership in memberships.iter().filter(|m| old_ids.contains(&m.unit_id)) {
        let state = parse_column("requests.state", &membership.state, RequestState::parse)?;
        let entry = by_request
            .entry(membership.request_id)
            .or_insert_with(|| RequestTakeover {
                request_id: membership.request_id,
                token: membership.token.clone().unwrap_or_default(),
                active: state == RequestState::Active,
                replaced: Vec::new(),
                reported_by: Vec::new(),
                already_named: new_id.is_some_and(|new| {
                    memberships
                        .iter()
                        .any(|m| m.request_id == membership.request_id && m.unit_id == new)
                }),
            });
        if let Some(code) = code_of(membership.unit_id) {
            if reported.contains(&(membership.request_id, membership.unit_id)) {
                entry.reported_by.push(code.clone());
            }
            entry.replaced.push(code);
        }
    }
    Ok(by_request.into_values().collect())
}

/// The parent the olds share, for a new unit the merge creates; none when they differ.
fn shared_parent(existing: &[Unit], olds: &[MergedOld]) -> Option<UnitCode> {
    let codes: HashSet<&UnitCode> = olds.iter().map(|o| &o.code).collect();
    let parents: BTreeSet<Option<&UnitCode>> = existing
        .iter()
        .filter(|u| codes.contains(&u.code))
        .map(|u| u.parent.as_ref())
        .collect();
    match parents.into_iter().collect::<Vec<_>>().as_slice() {
        [Some(parent)] if !codes.contains(parent) => Some((*parent).clone()),
        _ => None,
    }
}

/// Checks every row against the others and the registry and, when nothing is wrong, says
/// what each new unit becomes (without its requests, which the store adds). Every problem
/// is a Vietnamese sentence, `dòng N: …` for a file's row.
pub fn check_merge(existing: &[Unit], rows: &[MergeRow]) -> Result<Vec<MergeTarget>, Vec<String>> {
    let by_code: HashMap<&UnitCode, &Unit> = existing.iter().map(|u| (&u.code, u)).collect();
    let mut problems: Vec<(usize, String)> = Vec::new();
    if rows.is_empty() {
        return Err(vec!["không có dòng nào để sáp nhập".to_string()]);
    }
    let mut first_as_old: HashMap<&UnitCode, usize> = HashMap::new();
    let mut first_as_new: HashMap<&UnitCode, usize> = HashMap::new();
    for (index, row) in rows.iter().enumerate() {
        first_as_new.entry(&row.new).or_insert(index);
    }
    let mut names: BTreeMap<&UnitCode, (usize, &str)> = BTreeMap::new();
    for (index, row) in rows.iter().enumerate() {
        let mut problem = |text: String| problems.push((index, text));
        match by_code.get(&row.old) {
            None => problem(format!("không có đơn vị `{}` (xem: baocao unit list --all)", row.old)),
            Some(old) => {
                if let Some(merged) = &old.merged {
                    problem(format!(
                        "đơn vị `{}` đã sáp nhập vào `{}` từ trước",
                        row.old, merged.unit
                    ));
                }
            }
        }
        if row.old == row.new {
            problem(format!("không thể sáp nhập đơn vị `{}` vào chính nó", row.old));
        }
        if let Some(&first) = first_as_old.get(&row.old) {
            problem(format!("mã cũ `{}` đã có ở {}", row.old, where_(rows, first)));
        } else {
            first_as_old.insert(&row.old, index);
        }
        if let Some(merged) = by_code.get(&row.new).and_then(|u| u.merged.as_ref()) {
            problem(format!(
                "đơn vị `{}` đã sáp nhập vào `{}`: sáp nhập thẳng vào `{}`",
                row.new, merged.unit, merged.unit
            ));
        }
        if let Some(name) = row.new_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            match names.get(&row.new) {
                Some((first, other)) if *other != name => problem(format!(
                    "tên mới của `{}` (\"{name}\") khác với {} (\"{other}\")",
                    row.new,
                    where_(rows, *first)
                )),
                Some(_) => {}
                None => {
                    names.insert(&row.new, (index, name));
                }
            }
        }
    }
    // A code both old and new makes a chain (a → b, b → c) or a loop (a → b, b → a).
    for (index, row) in rows.iter().enumerate() {
        if row.old == row.new {
            continue;
        }
        if let Some(&other) = first_as_old.get(&row.new) {
            let loops = rows[other].new == row.old;
            problems.push((
                index,
                if loops {
                    format!(
                        "`{}` và `{}` sáp nhập vào nhau (vòng); mỗi đơn vị cũ chỉ sáp nhập vào một đơn vị mới",
                        row.old, row.new
                    )
                } else {
                    format!(
                        "mã mới `{}` lại là mã cũ ở {}: ghi thẳng đơn vị cuối cùng (`{}`)",
                        row.new,
                        where_(rows, other),
                        rows[other].new
                    )
                },
            ));
        }
    }
    // Each new unit, in the order rows first name it.
    let mut order: Vec<(&UnitCode, usize)> = first_as_new.iter().map(|(c, i)| (*c, *i)).collect();
    order.sort_by_key(|(_, index)| *index);
    let mut targets = Vec::new();
    let olds_everywhere: HashSet<&UnitCode> = rows.iter().map(|r| &r.old).collect();
    for (code, first) in order {
        let stored = by_code.get(code).copied();
        let given_name = names.get(code).map(|(_, n)| n.to_string());
        let name = match (given_name.clone(), stored) {
            (Some(name), _) => name,
            (None, Some(unit)) => unit.name.clone(),
            (None, None) => {
                problems.push((
                    first,
                    format!("cần tên cho đơn vị mới `{code}` (cột \"Tên mới\" hoặc --name)"),
                ));
                String::new()
            }
        };
        let olds: Vec<&Unit> = rows
            .iter()
            .filter(|r| &r.new == code && r.old != r.new)
            .filter_map(|r| by_code.get(&r.old).copied())
            .collect();
        let mut addresses: Vec<EmailAddress> = stored
            .map(|u| u.addresses.iter().map(|a| a.address.clone()).collect())
            .unwrap_or_default();
        let mut addresses_added = Vec::new();
        let mut groups: Vec<GroupCode> = stored.map(|u| u.groups.clone()).unwrap_or_default();
        let mut groups_added = Vec::new();
        for old in &olds {
            for address in old.addresses.iter().map(|a| &a.address) {
                if !addresses.contains(address) {
                    addresses.push(address.clone());
                    addresses_added.push(address.clone());
                }
            }
            for group in &old.groups {
                if !groups.contains(group) {
                    groups.push(group.clone());
                    groups_added.push(group.clone());
                }
            }
        }
        // After the merge the new unit holds these addresses; no other active unit may.
        for address in &addresses {
            let owner = existing.iter().find(|u| {
                u.active
                    && &u.code != code
                    && !olds_everywhere.contains(&u.code)
                    && u.addresses.iter().any(|a| &a.address == address)
            });
            if let Some(owner) = owner {
                let from = olds
                    .iter()
                    .find(|o| o.addresses.iter().any(|a| &a.address == address))
                    .map_or(code, |o| &o.code);
                let index = rows.iter().position(|r| &r.old == from).unwrap_or(first);
                problems.push((
                    index,
                    format!(
                        "địa chỉ {address} của `{from}` đã thuộc đơn vị `{}` (mỗi địa chỉ chỉ thuộc một đơn vị)",
                        owner.code
                    ),
                ));
            }
        }
        if stored.is_none() && addresses.is_empty() && !olds.is_empty() {
            problems.push((
                first,
                format!("đơn vị mới `{code}` sẽ không có địa chỉ email nào (các đơn vị cũ không có)"),
            ));
        }
        targets.push(MergeTarget {
            code: code.clone(),
            name: name.clone(),
            created: stored.is_none(),
            renamed_from: stored.filter(|u| u.name != name).map(|u| u.name.clone()),
            reactivated: stored.is_some_and(|u| !u.active),
            olds: olds
                .iter()
                .map(|o| MergedOld {
                    code: o.code.clone(),
                    name: o.name.clone(),
                })
                .collect(),
            addresses_added,
            groups_added,
            requests: Vec::new(),
        });
    }
    if problems.is_empty() {
        return Ok(targets);
    }
    problems.sort_by_key(|(index, _)| *index);
    Err(problems
        .into_iter()
        .map(|(index, text)| match rows[index].label.as_str() {
            "" => text,
            label => format!("{label}: {text}"),
        })
        .collect())
}

/// `dòng 3`, or `dòng đầu` words for an unlabelled row.
fn where_(rows: &[MergeRow], index: usize) -> String {
    match rows[index].label.as_str() {
        "" => format!("dòng thứ {}", index + 1),
        label => label.to_string(),
    }
}

#[cfg(test)]
mod tests;
