//! `baocao unit …`: add, edit, remove (deactivate), show, list and import units; rename a
//! unit, merge units into another (one by one or from a table), and name groups.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::{CliError, CliResult, Context, print_json};
use crate::adapters::import::{ImportError, read_units};
use crate::adapters::store::{ApplyMode, ApplySummary, UnitChange};
use crate::domain::model::{EmailAddress, GroupCode, Unit, UnitCode, UnitInput, ValueError};

mod merge;
use merge::*;

#[derive(Debug, Subcommand)]
pub enum UnitCommand {
    /// Thêm một đơn vị
    Add(UnitFields),
    /// Sửa một đơn vị (chỉ các trường được ghi; --group/--email thay cả danh sách)
    Edit(EditArgs),
    /// Ngừng theo dõi một đơn vị (lịch sử vẫn giữ)
    Remove {
        /// Mã đơn vị
        code: String,
    },
    /// Vai trò của một địa chỉ: nhan-thu (nhận thư, mặc định), thu-truong (thủ trưởng: chỉ nhận
    /// bản đồng gửi khi chuyển cấp trên), van-thu (văn thư)
    Role {
        /// Mã đơn vị
        code: String,
        /// Địa chỉ email đã có của đơn vị
        address: String,
        /// nhan-thu, thu-truong hoặc van-thu
        role: String,
    },
    /// Xem một đơn vị
    Show {
        /// Mã đơn vị
        code: String,
        /// In kết quả dạng JSON (cho chương trình khác đọc)
        #[arg(long)]
        json: bool,
    },
    /// Liệt kê các đơn vị đang theo dõi
    List {
        /// Chỉ đơn vị thuộc nhóm này
        #[arg(long)]
        group: Option<String>,
        /// Cả đơn vị đã ngừng theo dõi hoặc đã sáp nhập
        #[arg(long)]
        all: bool,
        /// In kết quả dạng JSON (cho chương trình khác đọc)
        #[arg(long)]
        json: bool,
    },
    /// Nhập danh sách đơn vị từ bảng tính .xlsx, .xls, .ods hoặc tệp .csv (cả tệp hoặc không gì cả)
    Import {
        /// Tệp danh sách đơn vị (.xlsx, .xls, .ods, .csv)
        file: PathBuf,
        /// In kết quả dạng JSON (cho chương trình khác đọc)
        #[arg(long)]
        json: bool,
    },
    /// Đổi mã và/hoặc tên một đơn vị (vẫn là đơn vị đó: địa chỉ, nhóm, lịch sử giữ nguyên)
    Rename {
        /// Mã hiện tại
        old: String,
        /// Mã mới (ghi lại mã cũ nếu chỉ đổi tên)
        new: String,
        /// Tên mới
        #[arg(long)]
        name: Option<String>,
    },
    /// Sáp nhập đơn vị cũ vào một đơn vị (có sẵn hoặc tạo mới): chuyển địa chỉ, nhóm, yêu cầu đang theo dõi
    Merge(MergeArgs),
    /// Đặt tên hiển thị cho một nhóm (hiện trong tệp xuất và trang web thay cho mã nhóm)
    GroupName {
        /// Mã nhóm, ví dụ phong-gddt
        group: String,
        /// Tên nhóm, ví dụ "Phòng Giáo dục và Đào tạo các huyện"
        #[arg(required_unless_present = "clear")]
        name: Option<String>,
        /// Bỏ tên nhóm (hiện lại mã nhóm)
        #[arg(long, conflicts_with = "name")]
        clear: bool,
    },
    /// Liệt kê các nhóm, tên nhóm và số đơn vị
    Groups {
        /// In kết quả dạng JSON (cho chương trình khác đọc)
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Mã các đơn vị cũ
    #[arg(conflicts_with = "file", required_unless_present = "file", requires = "into")]
    pub olds: Vec<String>,
    /// Mã đơn vị nhận sáp nhập (có sẵn, hoặc tạo mới với --name)
    #[arg(long, conflicts_with = "file")]
    pub into: Option<String>,
    /// Tên đơn vị nhận sáp nhập (bắt buộc khi tạo mới)
    #[arg(long, conflicts_with = "file")]
    pub name: Option<String>,
    /// Bảng sáp nhập (.xlsx, .xls, .ods, .csv) có các cột "Mã cũ", "Mã mới", "Tên mới"
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Chỉ in những gì sẽ thay đổi, không thay đổi gì
    #[arg(long)]
    pub dry_run: bool,
    /// Ngày sáp nhập có hiệu lực (mặc định: bây giờ), ví dụ "01/07/2025"
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
    /// In kết quả dạng JSON (cho chương trình khác đọc)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UnitFields {
    /// Mã đơn vị, ví dụ pgd-muongcha
    pub code: String,
    /// Tên đầy đủ của đơn vị, ví dụ "Phòng GD&ĐT huyện Mường Chà"
    #[arg(long)]
    pub name: String,
    /// Nhóm đơn vị (ghi nhiều lần cho nhiều nhóm), ví dụ phong-gddt
    #[arg(long = "group", value_name = "G")]
    pub groups: Vec<String>,
    /// Địa chỉ email; địa chỉ đầu tiên là nơi nhận thư nhắc
    #[arg(long = "email", value_name = "ADDR", required = true)]
    pub emails: Vec<String>,
    /// Mã đơn vị cấp trên
    #[arg(long)]
    pub parent: Option<String>,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Mã đơn vị cần sửa
    pub code: String,
    /// Tên mới
    #[arg(long)]
    pub name: Option<String>,
    /// Nhóm (thay toàn bộ nhóm cũ; ghi nhiều lần cho nhiều nhóm)
    #[arg(long = "group", value_name = "G")]
    pub groups: Vec<String>,
    /// Bỏ hết nhóm của đơn vị
    #[arg(long, conflicts_with = "groups")]
    pub no_groups: bool,
    /// Địa chỉ email (thay toàn bộ địa chỉ cũ; địa chỉ đầu tiên nhận thư nhắc)
    #[arg(long = "email", value_name = "ADDR")]
    pub emails: Vec<String>,
    /// Mã đơn vị cấp trên mới
    #[arg(long, conflicts_with = "no_parent")]
    pub parent: Option<String>,
    /// Bỏ đơn vị cấp trên
    #[arg(long)]
    pub no_parent: bool,
}

/// A unit as `--json` shows it. Field names are stable.
#[derive(Debug, Serialize)]
pub struct UnitView {
    pub code: String,
    pub name: String,
    pub groups: Vec<String>,
    pub parent: Option<String>,
    pub emails: Vec<String>,
    pub failing_addresses: Vec<String>,
    pub active: bool,
    /// The unit it was merged into, and when (RFC 3339).
    pub merged_into: Option<String>,
    pub merged_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<&Unit> for UnitView {
    fn from(unit: &Unit) -> Self {
        UnitView {
            code: unit.code.to_string(),
            name: unit.name.clone(),
            groups: unit.groups.iter().map(|g| g.to_string()).collect(),
            parent: unit.parent.as_ref().map(|p| p.to_string()),
            emails: unit.addresses.iter().map(|a| a.address.to_string()).collect(),
            failing_addresses: unit
                .addresses
                .iter()
                .filter(|a| a.failing_since.is_some())
                .map(|a| a.address.to_string())
                .collect(),
            active: unit.active,
            merged_into: unit.merged.as_ref().map(|m| m.unit.to_string()),
            merged_at: unit.merged.as_ref().map(|m| m.at),
        }
    }
}

pub async fn run(context: &Context, command: UnitCommand) -> CliResult {
    match command {
        UnitCommand::Add(fields) => add(context, fields).await,
        UnitCommand::Edit(args) => edit(context, args).await,
        UnitCommand::Remove { code } => remove(context, &code).await,
        UnitCommand::Show { code, json } => show(context, &code, json).await,
        UnitCommand::Role { code, address, role } => set_role(context, &code, &address, &role).await,
        UnitCommand::List { group, all, json } => list(context, group, all, json).await,
        UnitCommand::Import { file, json } => import(context, file, json).await,
        UnitCommand::Rename { old, new, name } => rename(context, &old, &new, name.as_deref()).await,
        UnitCommand::Merge(args) => merge(context, args).await,
        UnitCommand::GroupName { group, name, clear: _ } => group_name(context, &group, name.as_deref()).await,
        UnitCommand::Groups { json } => groups(context, json).await,
    }
}

fn refused(error: ValueError) -> CliError {
    CliError::Refused(error.0)
}

fn parse_all<T>(texts: &[String], parse: fn(&str) -> Result<T, ValueError>) -> CliResult<Vec<T>> {
    texts.iter().map(|t| parse(t).map_err(refused)).collect()
}

async fn add(context: &Context, fields: UnitFields) -> CliResult {
    let input = UnitInput {
        code: UnitCode::parse(&fields.code).map_err(refused)?,
        name: fields.name.trim().to_string(),
        groups: parse_all(&fields.groups, GroupCode::parse)?,
        parent: fields
            .parent
            .as_deref()
            .map(UnitCode::parse)
            .transpose()
            .map_err(refused)?,
        addresses: parse_all(&fields.emails, EmailAddress::parse)?,
    };
    let summary = context
        .store
        .apply_units(&[(String::new(), input.clone())], &[], ApplyMode::Add, context.now())
        .await?;
    match summary.changes.first().map(|(_, c)| *c) {
        Some(UnitChange::Reactivated) => println!("đã theo dõi lại đơn vị {} ({})", input.code, input.name),
        _ => println!("đã thêm đơn vị {} ({})", input.code, input.name),
    }
    Ok(())
}

async fn find(context: &Context, code: &str) -> CliResult<Unit> {
    let code = UnitCode::parse(code).map_err(refused)?;
    context
        .store
        .find_unit(&code)
        .await?
        .ok_or_else(|| CliError::Refused(format!("không có đơn vị `{code}` (xem: baocao unit list)")))
}

async fn edit(context: &Context, args: EditArgs) -> CliResult {
    let unit = find(context, &args.code).await?;
    let input = UnitInput {
        code: unit.code.clone(),
        name: args
            .name
            .map(|n| n.trim().to_string())
            .unwrap_or_else(|| unit.name.clone()),
        groups: if args.no_groups {
            Vec::new()
        } else if args.groups.is_empty() {
            unit.groups.clone()
        } else {
            parse_all(&args.groups, GroupCode::parse)?
        },
        parent: if args.no_parent {
            None
        } else {
            match &args.parent {
                Some(parent) => Some(UnitCode::parse(parent).map_err(refused)?),
                None => unit.parent.clone(),
            }
        },
        addresses: if args.emails.is_empty() {
            unit.addresses.iter().map(|a| a.address.clone()).collect()
        } else {
            parse_all(&args.emails, EmailAddress::parse)?
        },
    };
    let summary = context
        .store
        .apply_units(&[(String::new(), input)], &[], ApplyMode::Upsert, context.now())
        .await?;
    match summary.changes.first().map(|(_, c)| *c) {
        Some(UnitChange::Unchanged) => println!("đơn vị {} không có gì thay đổi", unit.code),
        _ => println!("đã cập nhật đơn vị {}", unit.code),
    }
    Ok(())
}

async fn remove(context: &Context, code: &str) -> CliResult {
    let unit = find(context, code).await?;
    let now = context.now();
    if context.store.deactivate_unit(&unit.code, now).await? {
        context
            .store
            .cancel_waiting(None, Some(unit.id), crate::services::reminders::CANCEL_REMOVED, now)
            .await?;
        println!(
            "đã ngừng theo dõi đơn vị {} ({}); lịch sử vẫn được giữ",
            unit.code, unit.name
        );
    } else {
        println!("đơn vị {} đã ngừng theo dõi từ trước", unit.code);
    }
    Ok(())
}

async fn show(context: &Context, code: &str, json: bool) -> CliResult {
    let unit = find(context, code).await?;
    if json {
        return print_json(&UnitView::from(&unit));
    }
    println!("Mã:         {}", unit.code);
    println!("Tên:        {}", unit.name);
    let names = context.store.group_names().await?;
    println!(
        "Nhóm:       {}",
        join_or_dash(unit.groups.iter().map(|g| match names.get(g) {
            Some(name) => format!("{g} ({name})"),
            None => g.to_string(),
        }))
    );
    println!(
        "Cấp trên:   {}",
        unit.parent.as_ref().map_or("—".to_string(), |p| p.to_string())
    );
    for (i, address) in unit.addresses.iter().enumerate() {
        let label = if i == 0 { "Email:" } else { "" };
        let mut notes = Vec::new();
        let first_receiving = unit
            .addresses
            .iter()
            .position(|a| a.role != crate::domain::model::AddressRole::Head);
        if Some(i) == first_receiving {
            notes.push("nơi nhận thư nhắc".to_string());
        }
        if address.role != crate::domain::model::AddressRole::Receives {
            notes.push(address.role.label_vi().to_string());
        }
        if let Some(reason) = &address.failing_reason {
            notes.push(format!("LỖI GỬI: {reason}"));
        } else if address.failing_since.is_some() {
            notes.push("LỖI GỬI".to_string());
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };
        println!("{label:<11} {}{notes}", address.address);
    }
    let zone = context.settings.office.zone;
    println!("Trạng thái: {}", state_vi(&unit, zone));
    let filter = crate::adapters::store::AuditFilter {
        subject: Some(crate::adapters::store::AuditSubject::Unit),
        key: Some(unit.code.to_string()),
        limit: Some(50),
        ..Default::default()
    };
    let history = context.store.audit(&filter).await?;
    if !history.is_empty() {
        println!("Lịch sử thay đổi:");
        for row in &history {
            println!(
                "  {} ({}) {}",
                crate::domain::dates::format_instant(row.at, zone),
                row.actor,
                crate::services::audit::change_vi(row)
            );
        }
    }
    Ok(())
}

async fn set_role(context: &Context, code: &str, address: &str, role: &str) -> CliResult {
    let unit = UnitCode::parse(code).map_err(|e| CliError::Refused(e.to_string()))?;
    let address = crate::domain::model::EmailAddress::parse(address).map_err(|e| CliError::Refused(e.to_string()))?;
    let role = crate::domain::model::AddressRole::parse(role).ok_or_else(|| {
        CliError::Refused(format!(
            "không hiểu vai trò `{role}`: ghi nhan-thu, thu-truong hoặc van-thu"
        ))
    })?;
    context
        .store
        .set_address_role(&unit, &address, role, context.now())
        .await?;
    println!("đã đặt {address} của {unit} là {}", role.label_vi());
    Ok(())
}

/// "đang theo dõi", "đã ngừng theo dõi" or "đã sáp nhập vào `x` ngày 01/07/2025".
fn state_vi(unit: &Unit, zone: chrono_tz::Tz) -> String {
    match (&unit.merged, unit.active) {
        (Some(merged), _) => merged.note_vi(zone),
        (None, true) => "đang theo dõi".to_string(),
        (None, false) => "đã ngừng theo dõi".to_string(),
    }
}

fn join_or_dash(items: impl Iterator<Item = String>) -> String {
    let joined = items.collect::<Vec<_>>().join(", ");
    if joined.is_empty() { "—".to_string() } else { joined }
}

async fn list(context: &Context, group: Option<String>, all: bool, json: bool) -> CliResult {
    let group = group.as_deref().map(GroupCode::parse).transpose().map_err(refused)?;
    let units: Vec<Unit> = if all {
        context
            .store
            .all_units()
            .await?
            .into_iter()
            .filter(|u| group.as_ref().is_none_or(|g| u.groups.contains(g)))
            .collect()
    } else {
        context.store.list_units(group.as_ref()).await?
    };
    let zone = context.settings.office.zone;
    if json {
        return print_json(&units.iter().map(UnitView::from).collect::<Vec<_>>());
    }
    let rows: Vec<Vec<String>> = units
        .iter()
        .map(|u| {
            let view = UnitView::from(u);
            let mut emails = view.emails.join(", ");
            if !view.failing_addresses.is_empty() {
                emails.push_str(&format!(" (lỗi gửi: {})", view.failing_addresses.join(", ")));
            }
            let name = if u.active {
                view.name
            } else {
                format!("{} ({})", view.name, state_vi(u, zone))
            };
            vec![
                view.code,
                name,
                view.groups.join(", "),
                emails,
                view.parent.unwrap_or_default(),
            ]
        })
        .collect();
    print!(
        "{}",
        crate::domain::report::table(&["Mã", "Tên đơn vị", "Nhóm", "Email", "Cấp trên"], &rows)
    );
    println!("{} đơn vị", units.len());
    Ok(())
}

#[derive(Serialize)]
struct ImportReport {
    created: usize,
    updated: usize,
    reactivated: usize,
    unchanged: usize,
    units: Vec<ImportedUnit>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct ImportedUnit {
    code: String,
    change: UnitChange,
}

async fn import(context: &Context, file: PathBuf, json: bool) -> CliResult {
    let refuse_with = |problems: Vec<String>| {
        CliError::Refused(format!(
            "{}: không nhập gì vì có {} lỗi:\n{}",
            file.display(),
            problems.len(),
            problems.join("\n")
        ))
    };
    let sheet = read_units(&file)
        .map_err(|ImportError::Unreadable(message)| CliError::Refused(format!("{}: {message}", file.display())))?;
    for warning in &sheet.warnings {
        eprintln!("cảnh báo: {}: {warning}", file.display());
    }
    // Row problems and registry problems together, so one run names them all.
    let inputs = sheet.units();
    let found = context.store.check_units(&inputs, ApplyMode::Upsert).await?;
    let problems = sheet.problems(found.into_iter().map(|p| (p.input, p.text)));
    if !problems.is_empty() {
        return Err(refuse_with(problems));
    }
    let summary: ApplySummary = match context
        .store
        .apply_units(&inputs, &sheet.group_names(), ApplyMode::Upsert, context.now())
        .await
    {
        Err(crate::adapters::store::StoreError::Rejected(problems)) => return Err(refuse_with(problems)),
        other => other?,
    };
    let report = ImportReport {
        created: summary.count(UnitChange::Created),
        updated: summary.count(UnitChange::Updated),
        reactivated: summary.count(UnitChange::Reactivated),
        unchanged: summary.count(UnitChange::Unchanged),
        units: summary
            .changes
            .iter()
            .map(|(code, change)| ImportedUnit {
                code: code.to_string(),
                change: *change,
            })
            .collect(),
        warnings: sheet.warnings,
    };
    if json {
        return print_json(&report);
    }
    println!(
        "đã nhập {}: {} đơn vị mới, {} cập nhật, {} theo dõi lại, {} không đổi",
        file.display(),
        report.created,
        report.updated,
        report.reactivated,
        report.unchanged
    );
    Ok(())
}
