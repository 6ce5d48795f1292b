//! `unit rename`, `unit merge` (one by one or from a table) and `unit group-name`: the registry as
//! the reform of 1/7/2025 changed it.

use serde::Serialize;

use super::super::{CliError, CliResult, Context, print_json};
use super::*;
use crate::adapters::import::ImportError;
use crate::adapters::import::mapping::read_mapping;
use crate::adapters::store::{MergeRow, StoreError, check_merge};
use crate::domain::model::{GroupCode, UnitCode};

pub(super) async fn rename(context: &Context, old: &str, new: &str, name: Option<&str>) -> CliResult {
    let old = UnitCode::parse(old).map_err(refused)?;
    let new = UnitCode::parse(new).map_err(refused)?;
    let unit = context.store.rename_unit(&old, &new, name, context.now()).await?;
    if old == new {
        println!("đã đổi tên đơn vị {} thành \"{}\"", unit.code, unit.name);
    } else {
        println!(
            "đã đổi mã đơn vị {old} thành {} ({}); địa chỉ, nhóm và lịch sử báo cáo giữ nguyên",
            unit.code, unit.name
        );
    }
    Ok(())
}

pub(super) async fn merge(context: &Context, args: MergeArgs) -> CliResult {
    let at = context.at(args.at.as_deref())?;
    let rows: Vec<MergeRow> = match &args.file {
        Some(file) => {
            let sheet = read_mapping(file).map_err(|ImportError::Unreadable(message)| {
                CliError::Refused(format!("{}: {message}", file.display()))
            })?;
            for warning in &sheet.warnings {
                eprintln!("cảnh báo: {}: {warning}", file.display());
            }
            let rows: Vec<MergeRow> = sheet
                .rows
                .iter()
                .map(|row| MergeRow {
                    label: format!("dòng {}", row.number),
                    old: row.old.clone(),
                    new: row.new.clone(),
                    new_name: row.new_name.clone(),
                })
                .collect();
            // The file's own problems and the registry's together, in row order.
            let mut problems = sheet.problems.clone();
            if let Err(found) = check_merge(&context.store.all_units().await?, &rows) {
                problems.extend(found);
            }
            if !problems.is_empty() {
                problems.sort_by_key(|p| row_number(p));
                return Err(merge_refused(&file.display().to_string(), problems));
            }
            rows
        }
        None => {
            let into = UnitCode::parse(args.into.as_deref().unwrap_or_default()).map_err(refused)?;
            let mut rows = Vec::new();
            for old in &args.olds {
                rows.push(MergeRow {
                    label: String::new(),
                    old: UnitCode::parse(old).map_err(refused)?,
                    new: into.clone(),
                    new_name: args.name.clone(),
                });
            }
            rows
        }
    };
    let what = args
        .file
        .as_ref()
        .map_or_else(|| "sáp nhập".to_string(), |f| f.display().to_string());
    let report = match context.store.merge_units(&rows, args.dry_run, at).await {
        Err(StoreError::Rejected(problems)) => return Err(merge_refused(&what, problems)),
        other => other?,
    };
    if args.json {
        return print_json(&report);
    }
    print!(
        "{}",
        crate::services::units::describe_merge(&report, "Chạy lại lệnh không có --dry-run để thực hiện.")
    );
    Ok(())
}

/// The row number of a `dòng N: …` sentence, for sorting (sentences without one first).
pub(super) fn row_number(problem: &str) -> usize {
    problem
        .strip_prefix("dòng ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

pub(super) fn merge_refused(what: &str, problems: Vec<String>) -> CliError {
    CliError::Refused(format!(
        "{what}: không sáp nhập gì vì có {} lỗi:\n{}",
        problems.len(),
        problems.join("\n")
    ))
}

pub(super) async fn group_name(context: &Context, group: &str, name: Option<&str>) -> CliResult {
    let group = GroupCode::parse(group).map_err(refused)?;
    let name = name.map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "));
    if name.as_deref() == Some("") {
        return Err(CliError::Refused(
            "tên nhóm không được để trống (bỏ tên nhóm: --clear)".to_string(),
        ));
    }
    context
        .store
        .set_group_name(&group, name.as_deref(), context.now())
        .await?;
    let members = context.store.list_units(Some(&group)).await?.len();
    match name {
        Some(name) => println!("nhóm {group}: \"{name}\" ({members} đơn vị)"),
        None => println!("đã bỏ tên nhóm {group}; tệp xuất và trang web hiện mã nhóm"),
    }
    if members == 0 {
        eprintln!("cảnh báo: chưa có đơn vị nào đang theo dõi thuộc nhóm {group}");
    }
    Ok(())
}

#[derive(Serialize)]
pub(super) struct GroupView {
    code: String,
    name: Option<String>,
    units: usize,
}

pub(super) async fn groups(context: &Context, json: bool) -> CliResult {
    let names = context.store.group_names().await?;
    let units = context.store.list_units(None).await?;
    let mut codes: std::collections::BTreeSet<GroupCode> = names.keys().cloned().collect();
    codes.extend(units.iter().flat_map(|u| u.groups.iter().cloned()));
    let views: Vec<GroupView> = codes
        .into_iter()
        .map(|code| GroupView {
            name: names.get(&code).cloned(),
            units: units.iter().filter(|u| u.groups.contains(&code)).count(),
            code: code.to_string(),
        })
        .collect();
    if json {
        return print_json(&views);
    }
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            vec![
                v.code.clone(),
                v.name.clone().unwrap_or_else(|| "—".into()),
                v.units.to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        crate::domain::report::table(&["Mã nhóm", "Tên nhóm", "Số đơn vị"], &rows)
    );
    Ok(())
}
