//! `baocao review list|show|assign|reject|extend`: the messages that need a person, each
//! known by its message's number ("thư số N"), the one `intake import` prints.

use clap::{Args, Subcommand};

use super::{CliResult, Context, print_json};
use crate::adapters::store::ReviewItem;
use crate::domain::dates::format_instant;
use crate::domain::incoming::Reason;
use crate::domain::model::{IncomingId, RequestId, ReviewState};

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Danh sách thư chờ xem xét
    List {
        /// Cả các mục đã xử lý
        #[arg(long)]
        all: bool,
        /// In kết quả dạng JSON (cho chương trình khác đọc)
        #[arg(long)]
        json: bool,
    },
    /// Xem chi tiết một mục
    Show {
        /// Số thư (như `review list` và `intake import` in ra)
        id: IncomingId,
        /// In kết quả dạng JSON (cho chương trình khác đọc)
        #[arg(long)]
        json: bool,
    },
    /// Ghi nhận thư là báo cáo của một đơn vị cho một yêu cầu
    Assign(AssignArgs),
    /// Không tính thư này là báo cáo
    Reject {
        /// Số thư (như `review list` và `intake import` in ra)
        id: IncomingId,
        /// Lý do (bắt buộc)
        #[arg(long)]
        reason: String,
    },
    /// Cho đơn vị gia hạn nộp báo cáo; lịch nhắc được lập lại theo hạn mới
    Extend {
        /// Số thư (như `review list` và `intake import` in ra)
        id: IncomingId,
        /// Hạn mới, ví dụ "17:00 ngày 05/01/2024" hoặc "05/01/2024"
        #[arg(long, value_name = "WHEN")]
        until: String,
        /// Coi như bây giờ là thời điểm này (lập lại lịch nhắc từ đó)
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    /// Số thư (như `review list` và `intake import` in ra)
    pub id: IncomingId,
    /// Mã đơn vị
    #[arg(long)]
    pub unit: String,
    /// Yêu cầu (BC-17, số hiệu hoặc SỐ@NĂM)
    #[arg(long)]
    pub request: String,
    /// Thêm địa chỉ người gửi vào danh sách địa chỉ của đơn vị
    #[arg(long)]
    pub remember_address: bool,
    /// Ghi chú
    #[arg(long)]
    pub note: Option<String>,
}

pub async fn run(context: &Context, command: ReviewCommand) -> CliResult {
    match command {
        ReviewCommand::List { all, json } => list(context, all, json).await,
        ReviewCommand::Show { id, json } => show(context, id, json).await,
        ReviewCommand::Assign(args) => assign(context, args).await,
        ReviewCommand::Reject { id, reason } => reject(context, id, &reason).await,
        ReviewCommand::Extend { id, until, at } => extend(context, id, &until, at.as_deref()).await,
    }
}

fn reason_vi(reason: &str) -> &str {
    Reason::parse(reason).map_or(reason, |r| r.label_vi())
}

fn state_vi(state: &str) -> &str {
    match ReviewState::parse(state) {
        Some(known) => known.label_vi(),
        None => state,
    }
}

fn sender(item: &ReviewItem) -> String {
    match (&item.from_name, &item.from_address) {
        (Some(name), Some(address)) => format!("{name} <{address}>"),
        (None, Some(address)) => address.clone(),
        _ => "(không rõ)".into(),
    }
}

async fn list(context: &Context, all: bool, json: bool) -> CliResult {
    let items = context.store.review_items(!all).await?;
    if json {
        return print_json(&items);
    }
    if items.is_empty() {
        println!("Không có thư nào chờ xem xét.");
        return Ok(());
    }
    let zone = context.settings.office.zone;
    for item in &items {
        let mut line = format!(
            "#{}  {}  {}  {}",
            item.id,
            format_instant(item.received_at, zone),
            sender(item),
            reason_vi(&item.reason)
        );
        if all {
            line.push_str(&format!(" [{}]", state_vi(&item.state)));
        }
        println!("{line}");
        println!("     Tiêu đề: {}", item.subject.as_deref().unwrap_or(""));
        if let Some(detail) = &item.detail {
            println!("     {detail}");
        }
        if let Some(unit) = item.unit_code.as_ref().or(item.suggested_unit_code.as_ref()) {
            let token = item.request_token.as_deref().unwrap_or("?");
            println!("     Gợi ý: review assign {} --unit {unit} --request {token}", item.id);
        }
    }
    println!("{} mục.", items.len());
    Ok(())
}

async fn show(context: &Context, id: IncomingId, json: bool) -> CliResult {
    let item = context.store.review_item(id).await?;
    if json {
        return print_json(&item);
    }
    let zone = context.settings.office.zone;
    println!(
        "Thư số {} — {} ({})",
        item.id,
        reason_vi(&item.reason),
        state_vi(&item.state)
    );
    println!("  Người gửi:   {}", sender(&item));
    println!("  Tiêu đề:     {}", item.subject.as_deref().unwrap_or(""));
    println!("  Nhận lúc:    {}", format_instant(item.received_at, zone));
    if let Some(detail) = &item.detail {
        println!("  Lý do:       {detail}");
    }
    if let Some(unit) = &item.unit_code {
        println!("  Đơn vị:      {unit}");
    }
    if let Some(unit) = &item.suggested_unit_code {
        println!("  Gợi ý đơn vị: {unit}");
    }
    if let Some(token) = &item.request_token {
        println!("  Yêu cầu:     {token}");
    }
    let candidates: Vec<i64> = serde_json::from_str(&item.candidates).unwrap_or_default();
    if !candidates.is_empty() {
        let mut names = Vec::new();
        for id in candidates {
            if let Ok(request) = context.store.request_by_id(RequestId::new(id)).await {
                names.push(format!("{} ({})", request.token, request.code));
            }
        }
        println!("  Có thể là:   {}", names.join("; "));
    }
    let attachments: Vec<serde_json::Value> = serde_json::from_str(&item.attachments).unwrap_or_default();
    let names: Vec<String> = attachments
        .iter()
        .filter_map(|a| a.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .collect();
    println!(
        "  Tệp đính kèm: {}",
        if names.is_empty() {
            "không có".to_string()
        } else {
            names.join(", ")
        }
    );
    if let Some(path) = &item.raw_path {
        println!("  Thư gốc:     {path}");
    }
    if let Some(note) = &item.resolution_note {
        println!("  Ghi chú xử lý: {note}");
    }
    Ok(())
}

async fn assign(context: &Context, args: AssignArgs) -> CliResult {
    let receipts = super::intake::recording_intake(context)?.receipts;
    let crate::services::decisions::Assigned {
        unit,
        request,
        late,
        resubmission,
        remembered: remember,
        receipt,
    } = crate::services::decisions::assign(
        &context.store,
        args.id,
        &args.request,
        &args.unit,
        crate::services::decisions::AssignOptions {
            remember_address: args.remember_address,
            note: args.note.as_deref(),
            receipts: receipts.as_ref(),
        },
        context.now(),
    )
    .await?;
    println!(
        "đã ghi nhận báo cáo của {} cho {} ({}{})",
        unit.code,
        request.token,
        if late { "trễ hạn" } else { "đúng hạn" },
        if resubmission { ", báo cáo bổ sung" } else { "" }
    );
    if let Some(address) = remember {
        println!("đã thêm địa chỉ {address} vào đơn vị {}", unit.code);
    }
    if receipt {
        println!("thư xác nhận đã vào hàng đợi gửi");
    }
    Ok(())
}

async fn reject(context: &Context, id: IncomingId, reason: &str) -> CliResult {
    crate::services::decisions::reject(&context.store, id, reason, context.now()).await?;
    println!("thư số {id}: không tính là báo cáo ({})", reason.trim());
    Ok(())
}

async fn extend(context: &Context, id: IncomingId, until: &str, at: Option<&str>) -> CliResult {
    let item = context.store.review_item(id).await?;
    let now = context.at(at)?;
    let note = crate::services::decisions::extend(&context.store, id, until, context.settings.office.zone, now).await?;
    let calendar = &context.calendar;
    crate::services::reminders::plan_new_units(&context.store, &context.settings, calendar, now).await?;
    println!(
        "đơn vị {} được {note} cho {}; lịch nhắc đã lập lại theo hạn mới",
        item.unit_code.as_deref().unwrap_or("?"),
        item.request_token.as_deref().unwrap_or("?")
    );
    Ok(())
}
