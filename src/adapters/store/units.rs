//! The unit registry: reading units with their groups and addresses, and applying a batch
//! of unit descriptions (from `unit add`, `unit edit` or an import file) all at once.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AuditEntry, AuditSubject, Db, Store, StoreError, StoreResult, on_pool, sql};
use crate::domain::model::{
    AddressRole, EmailAddress, GroupCode, MergedInto, RequestId, Unit, UnitAddress, UnitCode, UnitId, UnitInput,
};

/// What applying one unit description did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitChange {
    Created,
    Updated,
    Reactivated,
    Unchanged,
}

/// What a batch did, unit by unit, in input order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplySummary {
    pub changes: Vec<(UnitCode, UnitChange)>,
}

impl ApplySummary {
    pub fn count(&self, change: UnitChange) -> usize {
        self.changes.iter().filter(|(_, c)| *c == change).count()
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct UnitRow {
    id: UnitId,
    code: String,
    name: String,
    parent_id: Option<UnitId>,
    active: bool,
    merged_into: Option<UnitId>,
    merged_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(super) struct GroupRow {
    unit_id: UnitId,
    group_code: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct AddressRow {
    unit_id: UnitId,
    address: String,
    failing_since: Option<DateTime<Utc>>,
    failing_reason: Option<String>,
    role: String,
}

/// Loads every unit (active or not) with its groups and addresses, ordered by code.
pub(super) async fn load_all_units(db: &mut Db<'_>) -> StoreResult<Vec<Unit>> {
    let units: Vec<UnitRow> =
        sql("SELECT id, code, name, parent_id, active, merged_into, merged_at FROM units ORDER BY code")
            .fetch_all(db)
            .await?;
    let groups: Vec<GroupRow> = sql("SELECT unit_id, group_code FROM unit_groups ORDER BY group_code")
        .fetch_all(db)
        .await?;
    let addresses: Vec<AddressRow> = sql(
        "SELECT unit_id, address, failing_since, failing_reason, role FROM unit_addresses ORDER BY unit_id, position",
    )
    .fetch_all(db)
    .await?;
    assemble(units, groups, addresses)
}

fn assemble(units: Vec<UnitRow>, groups: Vec<GroupRow>, addresses: Vec<AddressRow>) -> StoreResult<Vec<Unit>> {
    let code_by_id: HashMap<UnitId, String> = units.iter().map(|u| (u.id, u.code.clone())).collect();
    let mut groups_by_unit: HashMap<UnitId, Vec<GroupCode>> = HashMap::new();
    for row in groups {
        let group = GroupCode::parse(&row.group_code).map_err(|_| StoreError::Corrupt {
            column: "unit_groups.group_code",
            value: row.group_code.clone(),
        })?;
        groups_by_unit.entry(row.unit_id).or_default().push(group);
    }
    let mut addresses_by_unit: HashMap<UnitId, Vec<UnitAddress>> = HashMap::new();
    for row in addresses {
        let address = EmailAddress::parse(&row.address).map_err(|_| StoreError::Corrupt {
            column: "unit_addresses.address",
            value: row.address.clone(),
        })?;
        let role = super::parse_column("unit_addresses.role", &row.role, AddressRole::parse)?;
        addresses_by_unit.entry(row.unit_id).or_default().push(UnitAddress {
            address,
            failing_since: row.failing_since,
            failing_reason: row.failing_reason,
            role,
        });
    }
    units
        .into_iter()
        .map(|row| {
            let code = parse_unit_code(&row.code)?;
            let parent = match row.parent_id.and_then(|id| code_by_id.get(&id)) {
                Some(parent) => Some(parse_unit_code(parent)?),
                None => None,
            };
            let merged = match (row.merged_into.and_then(|id| code_by_id.get(&id)), row.merged_at) {
                (Some(into), Some(at)) => Some(MergedInto {
                    unit: parse_unit_code(into)?,
                    at,
                }),
                _ => None,
            };
            Ok(Unit {
                id: row.id,
                code,
                name: row.name,
                groups: groups_by_unit.remove(&row.id).unwrap_or_default(),
                parent,
                addresses: addresses_by_unit.remove(&row.id).unwrap_or_default(),
                active: row.active,
                merged,
            })
        })
        .collect()
}

pub(super) fn parse_unit_code(text: &str) -> StoreResult<UnitCode> {
    UnitCode::parse(text).map_err(|_| StoreError::Corrupt {
        column: "units.code",
        value: text.to_string(),
    })
}

/// One thing that would make a batch inconsistent with itself or with the registry:
/// `input` is the index of the unit description it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchProblem {
    pub input: usize,
    pub text: String,
}

/// How `apply_units` treats a unit that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyMode {
    /// `unit add`: an active unit with the same code is an error; an inactive one comes back.
    Add,
    /// `unit edit` and imports: the description replaces what is stored.
    Upsert,
}

impl Store {
    /// Every unit, active or not, ordered by code.
    pub async fn all_units(&self) -> StoreResult<Vec<Unit>> {
        load_all_units(&mut self.connection().await?.db()).await
    }

    /// The units a request names, with their groups and addresses, and the units those
    /// point at (parent, merged into) so that their links resolve: what the views of one
    /// request need, without reading every unit (20,000 units took 150 ms to read whole).
    pub async fn units_of_request(&self, request_id: RequestId) -> StoreResult<Vec<Unit>> {
        let mut connection = self.connection().await?;
        let db = &mut connection.db();
        let units: Vec<UnitRow> = sql("SELECT id, code, name, parent_id, active, merged_into, merged_at FROM units \
             WHERE id IN (SELECT unit_id FROM request_units WHERE request_id = $1) \
             OR id IN (SELECT u.parent_id FROM units u JOIN request_units ru ON ru.unit_id = u.id WHERE ru.request_id = $1) \
             OR id IN (SELECT u.merged_into FROM units u JOIN request_units ru ON ru.unit_id = u.id WHERE ru.request_id = $1) \
             ORDER BY code")
        .bind(request_id)
        .fetch_all(db)
        .await?;
        let groups: Vec<GroupRow> = sql("SELECT unit_id, group_code FROM unit_groups \
             WHERE unit_id IN (SELECT unit_id FROM request_units WHERE request_id = $1) ORDER BY group_code")
        .bind(request_id)
        .fetch_all(db)
        .await?;
        let addresses: Vec<AddressRow> = sql(
            "SELECT unit_id, address, failing_since, failing_reason, role FROM unit_addresses \
             WHERE unit_id IN (SELECT unit_id FROM request_units WHERE request_id = $1) ORDER BY unit_id, position",
        )
        .bind(request_id)
        .fetch_all(db)
        .await?;
        assemble(units, groups, addresses)
    }

    /// Sets what one address of a unit is for (`unit role`).
    pub async fn set_address_role(
        &self,
        unit: &UnitCode,
        address: &EmailAddress,
        role: AddressRole,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let before: Option<(String,)> = sql("SELECT role FROM unit_addresses WHERE lower(address) = lower($1) \
             AND unit_id = (SELECT id FROM units WHERE code = $2)")
        .bind(address.as_str())
        .bind(unit.as_str())
        .fetch_optional(&mut *db)
        .await?;
        let Some((before,)) = before else {
            return Err(StoreError::NotFound(format!(
                "đơn vị `{unit}` không có địa chỉ {address} (xem: baocao unit show {unit})"
            )));
        };
        sql("UPDATE unit_addresses SET role = $1 WHERE lower(address) = lower($2) \
             AND unit_id = (SELECT id FROM units WHERE code = $3)")
        .bind(role.as_str())
        .bind(address.as_str())
        .bind(unit.as_str())
        .execute(&mut *db)
        .await?;
        if before != role.as_str() {
            let label = |text: &str| AddressRole::parse(text).map_or(text.to_string(), |r| r.label_vi().to_string());
            let entry = AuditEntry::new(AuditSubject::Unit, unit.to_string(), "role").change(
                format!("vai trò của {address}"),
                Some(label(&before)),
                Some(role.label_vi().to_string()),
            );
            super::audit::write(db, &self.actor, [entry], now).await?;
        }
        tx.commit().await
    }

    /// Active units, optionally only those of one group.
    pub async fn list_units(&self, group: Option<&GroupCode>) -> StoreResult<Vec<Unit>> {
        let units = self.all_units().await?;
        Ok(units
            .into_iter()
            .filter(|u| u.active && group.is_none_or(|g| u.groups.contains(g)))
            .collect())
    }

    /// A unit's code and name, by id.
    pub async fn unit_code_and_name(&self, id: UnitId) -> StoreResult<(String, String)> {
        let row: Option<(String, String)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT code, name FROM units WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or_else(|| StoreError::NotFound(format!("không có đơn vị số hiệu nội bộ {id}")))
    }

    pub async fn find_unit(&self, code: &UnitCode) -> StoreResult<Option<Unit>> {
        Ok(self.all_units().await?.into_iter().find(|u| &u.code == code))
    }

    /// What applying these unit descriptions would run into with each other and with the
    /// registry (codes twice, an address of two units, unknown parents, loops), without
    /// applying anything. Each description is taken as far as it goes: an import checks the
    /// rows that have problems of their own too, so one pass names every problem.
    pub async fn check_units(&self, inputs: &[(String, UnitInput)], mode: ApplyMode) -> StoreResult<Vec<BatchProblem>> {
        let existing = self.all_units().await?;
        Ok(check_together(&existing, inputs, mode))
    }

    /// Applies unit descriptions in one transaction: either all of them or none. Each input
    /// carries a label (`dòng 5`) used in the error sentences. Parents may be other units of
    /// the same batch. `group_names` (an import's "Tên nhóm" column) are set in the same
    /// transaction.
    pub async fn apply_units(
        &self,
        inputs: &[(String, UnitInput)],
        group_names: &[(GroupCode, String)],
        mode: ApplyMode,
        now: DateTime<Utc>,
    ) -> StoreResult<ApplySummary> {
        self.apply_units_retiring(inputs, group_names, mode, &[], now).await
    }

    /// [`Store::apply_units`], and in the same transaction the active units `retire` names
    /// stop being chased (a list uploaded as the whole registry: the units it no longer has).
    pub async fn apply_units_retiring(
        &self,
        inputs: &[(String, UnitInput)],
        group_names: &[(GroupCode, String)],
        mode: ApplyMode,
        retire: &[UnitCode],
        now: DateTime<Utc>,
    ) -> StoreResult<ApplySummary> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let summary = {
            let existing = load_all_units(db).await?;
            let mut problems = check_each(inputs);
            problems.extend(check_together(&existing, inputs, mode));
            problems.sort_by_key(|p| p.input);
            if !problems.is_empty() {
                let problems = problems.into_iter().map(|p| say(&inputs[p.input].0, p.text)).collect();
                return Err(StoreError::Rejected(problems));
            }
            let by_code: HashMap<&UnitCode, &Unit> = existing.iter().map(|u| (&u.code, u)).collect();
            let mut ids: HashMap<UnitCode, UnitId> = existing.iter().map(|u| (u.code.clone(), u.id)).collect();
            let mut summary = ApplySummary::default();
            for (_, input) in inputs {
                let change = match by_code.get(&input.code) {
                    None => {
                        let (id,): (UnitId,) = sql(
                            "INSERT INTO units (code, name, parent_id, active, created_at, updated_at) \
                             VALUES ($1, $2, NULL, TRUE, $3, $3) RETURNING id",
                        )
                        .bind(input.code.as_str())
                        .bind(&input.name)
                        .bind(now)
                        .fetch_one(db)
                        .await?;
                        ids.insert(input.code.clone(), id);
                        UnitChange::Created
                    }
                    Some(unit) if same_description(unit, input) && unit.active => UnitChange::Unchanged,
                    Some(unit) => {
                        sql("UPDATE units SET name = $1, active = TRUE, updated_at = $2 WHERE id = $3")
                            .bind(&input.name)
                            .bind(now)
                            .bind(unit.id)
                            .execute(db)
                            .await?;
                        if unit.active {
                            UnitChange::Updated
                        } else {
                            UnitChange::Reactivated
                        }
                    }
                };
                if change == UnitChange::Unchanged {
                    summary.changes.push((input.code.clone(), change));
                    continue;
                }
                let (action, before) = match by_code.get(&input.code) {
                    None => ("create", None),
                    Some(unit) if !unit.active => ("edit", Some(format!("(ngừng theo dõi) {}", unit_text(unit)))),
                    Some(unit) => ("edit", Some(unit_text(unit))),
                };
                let entry = AuditEntry::new(AuditSubject::Unit, input.code.to_string(), action).change(
                    "đơn vị",
                    before,
                    Some(input_text(input)),
                );
                super::audit::write(db, &self.actor, [entry], now).await?;
                let id = ids.get(&input.code).copied().unwrap_or(UnitId::new(0));
                sql("DELETE FROM unit_groups WHERE unit_id = $1")
                    .bind(id)
                    .execute(db)
                    .await?;
                for group in &input.groups {
                    sql("INSERT INTO unit_groups (unit_id, group_code) VALUES ($1, $2)")
                        .bind(id)
                        .bind(group.as_str())
                        .execute(db)
                        .await?;
                }
                // Keep the rows of addresses that stay, so their failing marks survive an edit.
                let kept: Vec<&EmailAddress> = by_code
                    .get(&input.code)
                    .map(|u| u.addresses.iter().map(|a| &a.address).collect())
                    .unwrap_or_default();
                for old in &kept {
                    if !input.addresses.contains(old) {
                        sql("DELETE FROM unit_addresses WHERE unit_id = $1 AND address = $2")
                            .bind(id)
                            .bind(old.as_str())
                            .execute(db)
                            .await?;
                    }
                }
                for (position, address) in input.addresses.iter().enumerate() {
                    let statement = if kept.contains(&address) {
                        "UPDATE unit_addresses SET position = $3 WHERE unit_id = $1 AND address = $2"
                    } else {
                        "INSERT INTO unit_addresses (unit_id, address, position) VALUES ($1, $2, $3)"
                    };
                    sql(statement)
                        .bind(id)
                        .bind(address.as_str())
                        .bind(position as i64)
                        .execute(db)
                        .await?;
                }
                summary.changes.push((input.code.clone(), change));
            }
            // Parents last: they may be units this batch has just created.
            for ((_, input), (_, change)) in inputs.iter().zip(&summary.changes) {
                if *change == UnitChange::Unchanged {
                    continue;
                }
                let parent_id = input.parent.as_ref().and_then(|p| ids.get(p).copied());
                sql("UPDATE units SET parent_id = $1 WHERE id = $2")
                    .bind(parent_id)
                    .bind(ids.get(&input.code).copied().unwrap_or(UnitId::new(0)))
                    .execute(db)
                    .await?;
            }
            for (group, name) in group_names {
                self.set_group_name_in(db, group, Some(name.as_str()), now).await?;
            }
            for code in retire.iter().filter(|c| !inputs.iter().any(|(_, i)| &i.code == *c)) {
                self.deactivate_in(db, code, now).await?;
            }
            summary
        };
        tx.commit().await?;
        Ok(summary)
    }

    /// The display name of every named group ("Phòng Giáo dục và Đào tạo các huyện" for
    /// `phong-gddt`); a group without one is shown by its code.
    pub async fn group_names(&self) -> StoreResult<BTreeMap<GroupCode, String>> {
        let rows: Vec<(String, String)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT group_code, name FROM unit_group_names ORDER BY group_code")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(code, name)| GroupCode::parse(&code).ok().map(|code| (code, name)))
            .collect())
    }

    /// Sets (or with `None` removes) a group's display name.
    pub async fn set_group_name(&self, group: &GroupCode, name: Option<&str>, now: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        {
            self.set_group_name_in(db, group, name, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Gives a unit a new code and/or name. It stays the same unit (the same row): its
    /// addresses, groups and every request's records follow it; requests that name it as a
    /// recipient name the new code.
    pub async fn rename_unit(
        &self,
        old: &UnitCode,
        new: &UnitCode,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Unit> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        {
            let existing = load_all_units(db).await?;
            let problems = check_rename(&existing, old, new, name);
            if !problems.is_empty() {
                return Err(StoreError::Rejected(problems));
            }
            let unit = existing
                .iter()
                .find(|u| &u.code == old)
                .expect("checked by check_rename");
            sql("UPDATE units SET code = $1, name = $2, updated_at = $3 WHERE id = $4")
                .bind(new.as_str())
                .bind(name.map_or(unit.name.as_str(), str::trim))
                .bind(now)
                .bind(unit.id)
                .execute(db)
                .await?;
            sql("UPDATE request_recipients SET value = $1 WHERE kind = 'unit' AND value = $2")
                .bind(new.as_str())
                .bind(old.as_str())
                .execute(db)
                .await?;
            let mut entries = Vec::new();
            if old != new {
                entries.push(AuditEntry::new(AuditSubject::Unit, new.to_string(), "rename").change(
                    "mã đơn vị",
                    Some(old.to_string()),
                    Some(new.to_string()),
                ));
            }
            if let Some(name) = name.map(str::trim).filter(|n| *n != unit.name) {
                entries.push(AuditEntry::new(AuditSubject::Unit, new.to_string(), "rename").change(
                    "tên đơn vị",
                    Some(unit.name.clone()),
                    Some(name.to_string()),
                ));
            }
            super::audit::write(db, &self.actor, entries, now).await?;
        }
        tx.commit().await?;
        self.find_unit(new)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("không có đơn vị `{new}`")))
    }

    /// Deactivates a unit: it is no longer chased, its history stays.
    pub async fn deactivate_unit(&self, code: &UnitCode, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        let deactivated = self.deactivate_in(db, code, now).await?;
        tx.commit().await?;
        Ok(deactivated)
    }

    async fn deactivate_in(&self, db: &mut Db<'_>, code: &UnitCode, now: DateTime<Utc>) -> StoreResult<bool> {
        let result = sql("UPDATE units SET active = FALSE, updated_at = $1 WHERE code = $2 AND active")
            .bind(now)
            .bind(code.as_str())
            .execute(&mut *db)
            .await?;
        if result > 0 {
            let entry = AuditEntry::new(AuditSubject::Unit, code.to_string(), "deactivate").change(
                "trạng thái",
                Some("đang theo dõi".to_string()),
                Some("ngừng theo dõi".to_string()),
            );
            super::audit::write(db, &self.actor, [entry], now).await?;
        }
        Ok(result > 0)
    }

    /// Upserts or deletes one group's display name, recording the change.
    async fn set_group_name_in(
        &self,
        db: &mut Db<'_>,
        group: &GroupCode,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let before: Option<(String,)> = sql("SELECT name FROM unit_group_names WHERE group_code = $1")
            .bind(group.as_str())
            .fetch_optional(&mut *db)
            .await?;
        let before = before.map(|(n,)| n);
        let after = name.map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
        set_group_name_in(db, group, name, now).await?;
        if before != after {
            let entry =
                AuditEntry::new(AuditSubject::Group, group.to_string(), "edit").change("tên nhóm", before, after);
            super::audit::write(db, &self.actor, [entry], now).await?;
        }
        Ok(())
    }
}

/// What applying `input` would do to the registry `existing`, with the unit as it is and as
/// it would be (for a preview before an upload is applied).
pub fn planned_change(existing: &[Unit], input: &UnitInput) -> (UnitChange, Option<String>, String) {
    match existing.iter().find(|u| u.code == input.code) {
        None => (UnitChange::Created, None, input_text(input)),
        Some(unit) if same_description(unit, input) && unit.active => {
            (UnitChange::Unchanged, Some(unit_text(unit)), input_text(input))
        }
        Some(unit) if !unit.active => (UnitChange::Reactivated, Some(unit_text(unit)), input_text(input)),
        Some(unit) => (UnitChange::Updated, Some(unit_text(unit)), input_text(input)),
    }
}

/// A unit as the audit trail shows it: name, groups, addresses, parent.
fn unit_text(unit: &Unit) -> String {
    let addresses: Vec<&str> = unit.addresses.iter().map(|a| a.address.as_str()).collect();
    let groups: Vec<&str> = unit.groups.iter().map(GroupCode::as_str).collect();
    described(&unit.name, &groups, &addresses, unit.parent.as_ref())
}

fn input_text(input: &UnitInput) -> String {
    let addresses: Vec<&str> = input.addresses.iter().map(EmailAddress::as_str).collect();
    let groups: Vec<&str> = input.groups.iter().map(GroupCode::as_str).collect();
    described(&input.name, &groups, &addresses, input.parent.as_ref())
}

fn described(name: &str, groups: &[&str], addresses: &[&str], parent: Option<&UnitCode>) -> String {
    let mut text = format!("{name}; nhóm {}; địa chỉ {}", groups.join(", "), addresses.join(", "));
    if let Some(parent) = parent {
        text.push_str(&format!("; cấp trên {parent}"));
    }
    text
}

/// Upserts or deletes one group's display name.
async fn set_group_name_in(
    db: &mut Db<'_>,
    group: &GroupCode,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => {
            sql(
                "INSERT INTO unit_group_names (group_code, name, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (group_code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
            )
            .bind(group.as_str())
            .bind(name)
            .bind(now)
            .execute(db)
            .await?;
        }
        None => {
            sql("DELETE FROM unit_group_names WHERE group_code = $1")
                .bind(group.as_str())
                .execute(db)
                .await?;
        }
    }
    Ok(())
}

/// Why `old` cannot become `new` (named `name`), in Vietnamese; empty when it can.
fn check_rename(existing: &[Unit], old: &UnitCode, new: &UnitCode, name: Option<&str>) -> Vec<String> {
    let Some(unit) = existing.iter().find(|u| &u.code == old) else {
        return vec![format!("không có đơn vị `{old}` (xem: baocao unit list --all)")];
    };
    let mut problems = Vec::new();
    if let Some(merged) = &unit.merged {
        problems.push(format!(
            "đơn vị `{old}` đã sáp nhập vào `{}`; đổi tên đơn vị `{}` nếu cần",
            merged.unit, merged.unit
        ));
    }
    if old != new
        && let Some(other) = existing.iter().find(|u| &u.code == new)
    {
        problems.push(format!(
            "mã `{new}` đã là của đơn vị \"{}\"; chọn mã khác hoặc dùng `baocao unit merge {old} --into {new}` để sáp nhập",
            other.name
        ));
    }
    if name.is_some_and(|n| n.trim().is_empty()) {
        problems.push("tên mới (--name) không được để trống".to_string());
    }
    if problems.is_empty() && old == new && name.is_none_or(|n| n.trim() == unit.name) {
        problems.push(format!("đơn vị `{old}` không có gì thay đổi: ghi mã mới hoặc --name"));
    }
    problems
}

fn same_description(unit: &Unit, input: &UnitInput) -> bool {
    let stored_addresses: Vec<&EmailAddress> = unit.addresses.iter().map(|a| &a.address).collect();
    let wanted_addresses: Vec<&EmailAddress> = input.addresses.iter().collect();
    let stored_groups: HashSet<&GroupCode> = unit.groups.iter().collect();
    let wanted_groups: HashSet<&GroupCode> = input.groups.iter().collect();
    unit.name == input.name
        && unit.parent == input.parent
        && stored_addresses == wanted_addresses
        && stored_groups == wanted_groups
}

/// `dòng 5: …`, or the sentence alone for an unlabelled input (`unit add`, `unit edit`).
fn say(label: &str, text: String) -> String {
    if label.is_empty() {
        text
    } else {
        format!("{label}: {text}")
    }
}

/// What each description lacks on its own (an import finds these while reading rows).
fn check_each(inputs: &[(String, UnitInput)]) -> Vec<BatchProblem> {
    let mut problems = Vec::new();
    for (index, (_, input)) in inputs.iter().enumerate() {
        if input.name.trim().is_empty() {
            problems.push(BatchProblem {
                input: index,
                text: format!("đơn vị `{}` thiếu tên", input.code),
            });
        }
        if input.addresses.is_empty() {
            problems.push(BatchProblem {
                input: index,
                text: format!("đơn vị `{}` cần ít nhất một địa chỉ email", input.code),
            });
        }
    }
    problems
}

/// Everything that would make the batch inconsistent with itself or with the registry.
fn check_together(existing: &[Unit], inputs: &[(String, UnitInput)], mode: ApplyMode) -> Vec<BatchProblem> {
    let mut problems = Vec::new();
    let stored: HashMap<&UnitCode, &Unit> = existing.iter().map(|u| (&u.code, u)).collect();
    let batch_codes: HashSet<&UnitCode> = inputs.iter().map(|(_, i)| &i.code).collect();

    // Who owns each address after the batch: active stored units not in the batch, then the
    // batch (with the label of the description that gave it).
    let mut owner: BTreeMap<&EmailAddress, (&UnitCode, Option<&str>)> = BTreeMap::new();
    for unit in existing.iter().filter(|u| u.active && !batch_codes.contains(&u.code)) {
        for address in &unit.addresses {
            owner.insert(&address.address, (&unit.code, None));
        }
    }
    let mut seen_codes: HashMap<&UnitCode, &str> = HashMap::new();
    for (index, (label, input)) in inputs.iter().enumerate() {
        let mut problem = |text: String| problems.push(BatchProblem { input: index, text });
        if let Some(first) = seen_codes.insert(&input.code, label) {
            problem(format!("mã đơn vị `{}` trùng với {first}", input.code));
        }
        if let Some(merged) = stored.get(&input.code).and_then(|u| u.merged.as_ref()) {
            problem(format!(
                "đơn vị `{}` đã sáp nhập vào `{}`; sửa đơn vị `{}` thay cho nó",
                input.code, merged.unit, merged.unit
            ));
        }
        if mode == ApplyMode::Add && stored.get(&input.code).is_some_and(|u| u.active) {
            problem(format!(
                "đơn vị `{}` đã có; dùng `baocao unit edit {}` để sửa",
                input.code, input.code
            ));
        }
        for address in &input.addresses {
            match owner.get(address) {
                Some((other, Some(other_label))) if *other != &input.code && !other_label.is_empty() => {
                    problem(format!(
                        "địa chỉ {address} đã ghi cho đơn vị `{other}` ở {other_label} (mỗi địa chỉ chỉ thuộc một đơn vị)"
                    ))
                }
                Some((other, _)) if *other != &input.code => problem(format!(
                    "địa chỉ {address} đã thuộc đơn vị `{other}` (mỗi địa chỉ chỉ thuộc một đơn vị)"
                )),
                _ => {
                    owner.insert(address, (&input.code, Some(label)));
                }
            }
        }
        if let Some(parent) = &input.parent {
            let known = batch_codes.contains(parent) || stored.get(parent).is_some_and(|u| u.active);
            if parent == &input.code {
                problem(format!("đơn vị `{}` không thể là cấp trên của chính nó", input.code));
            } else if !known {
                problem(format!("không có đơn vị cấp trên `{parent}`"));
            }
        }
    }

    // No unit may end up above itself.
    let mut parent_of: HashMap<&UnitCode, &UnitCode> = existing
        .iter()
        .filter_map(|u| u.parent.as_ref().map(|p| (&u.code, p)))
        .collect();
    for (_, input) in inputs {
        match &input.parent {
            Some(parent) => parent_of.insert(&input.code, parent),
            None => parent_of.remove(&input.code),
        };
    }
    for (index, (_, input)) in inputs.iter().enumerate() {
        let mut current = &input.code;
        for _ in 0..=parent_of.len() {
            match parent_of.get(current) {
                Some(&parent) if parent == &input.code && current != &input.code => {
                    problems.push(BatchProblem {
                        input: index,
                        text: format!("quan hệ cấp trên của `{}` tạo thành vòng", input.code),
                    });
                    break;
                }
                Some(&parent) => current = parent,
                None => break,
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests;
