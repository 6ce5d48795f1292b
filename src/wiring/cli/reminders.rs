//! `baocao reminders plan|send`, `baocao mark` and `baocao digest`: what will be sent and
//! why, sending what is due once (for cron users and tests), recording a report that came
//! through another channel, and previewing the daily digest.

use clap::{Args, Subcommand};

use super::ask::Asked;
use super::{CliError, CliResult, Context, print_json};
use crate::domain::dates::format_instant;
use crate::domain::plan::SlotKind;
use crate::services::jobs::JobKind;
use crate::services::letters::Setup;
use crate::services::letters::digest::digest_vars;
use crate::services::reminders::{PlanLine, plan_view};

#[derive(Debug, Subcommand)]
pub enum RemindersCommand {
    /// Liệt kê thư nhắc sẽ gửi từ bây giờ (hoặc từ --at), kèm lý do của từng thời điểm
    Plan {
        /// Xem từ thời điểm này, ví dụ "07:30 ngày 13/1/2025"
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
        /// Chỉ một yêu cầu (BC-17, số hiệu hoặc SỐ@NĂM)
        #[arg(long, value_name = "R")]
        request: Option<String>,
        /// In kết quả dạng JSON (cho chương trình khác đọc)
        #[arg(long)]
        json: bool,
    },
    /// Gửi một lần các thư đã đến giờ rồi thoát (dùng với cron, hoặc để thử)
    Send {
        /// Coi như bây giờ là thời điểm này
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
        /// Chỉ liệt kê thư sẽ gửi, không gửi và không ghi gì
        #[arg(long)]
        dry_run: bool,
        /// In kết quả dạng JSON (cho chương trình khác đọc)
        #[arg(long)]
        json: bool,
        /// Tự đọc mật khẩu thư và gửi ngay trong lệnh này (quyền root hoặc người dùng baocao), không nhờ dịch vụ
        #[arg(long)]
        direct: bool,
    },
}

#[derive(Debug, Args)]
pub struct MarkArgs {
    /// Yêu cầu (BC-17, số hiệu hoặc SỐ@NĂM)
    pub request: String,
    /// Mã đơn vị
    pub unit: String,
    /// Ghi chú: báo cáo nhận qua đâu (bắt buộc)
    #[arg(long)]
    pub note: String,
    /// Thời điểm nhận báo cáo (mặc định: bây giờ), ví dụ "15:30 ngày 14/1/2025"
    #[arg(long, value_name = "WHEN")]
    pub received_at: Option<String>,
}

#[derive(Debug, Args)]
pub struct DigestArgs {
    /// Tổng hợp tại thời điểm này
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
}

pub async fn run(context: &Context, command: RemindersCommand) -> CliResult {
    match command {
        RemindersCommand::Plan { at, request, json } => plan(context, at.as_deref(), request.as_deref(), json).await,
        RemindersCommand::Send {
            at,
            dry_run,
            json,
            direct,
        } => send(context, at.as_deref(), dry_run, json, direct).await,
    }
}

fn kind_vi(kind: SlotKind) -> &'static str {
    match kind {
        SlotKind::Notice => "thông báo",
        SlotKind::Reminder => "nhắc hạn",
        SlotKind::Overdue => "quá hạn",
    }
}

async fn plan(context: &Context, at: Option<&str>, request: Option<&str>, json: bool) -> CliResult {
    let from = context.at(at)?;
    let calendar = &context.calendar;
    let templates = context.templates()?;
    let setup = Setup {
        settings: &context.settings,
        calendar,
        templates: &templates,
    };
    let request_id = match request {
        Some(reference) => Some(context.store.resolve_request(reference).await?.id),
        None => None,
    };
    let lines = plan_view(&context.store, &setup, from, request_id).await?;
    if json {
        return print_json(&lines);
    }
    print_plan(&lines, from, context);
    Ok(())
}

fn print_plan(lines: &[PlanLine], from: chrono::DateTime<chrono::Utc>, context: &Context) {
    let zone = context.settings.office.zone;
    if lines.is_empty() {
        println!(
            "không còn thư nhắc nào chờ gửi (tính từ {})",
            format_instant(from, zone)
        );
        return;
    }
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            let when = match l.action {
                "skip" => format!("(bỏ qua) {}", l.due_local),
                "send_now" => format!("ngay — {}", l.due_local),
                _ => l.due_local.clone(),
            };
            let mut why = l.reason.clone();
            if let Some(note) = &l.note {
                why = format!("{why}; {note}");
            }
            vec![
                l.request.clone(),
                l.unit.clone(),
                kind_vi(l.kind).to_string(),
                when,
                why,
            ]
        })
        .collect();
    print!(
        "{}",
        crate::domain::report::table(&["Mã", "Đơn vị", "Loại", "Gửi lúc", "Lý do"], &rows)
    );
    let sending = lines.iter().filter(|l| l.action != "skip").count();
    println!("{sending} thư sẽ gửi (tính từ {})", format_instant(from, zone));
}

async fn send(context: &Context, at: Option<&str>, dry_run: bool, json: bool, direct: bool) -> CliResult {
    if dry_run {
        return send_dry_run(context, at, json).await;
    }
    let asked = Asked {
        direct,
        simulated: at.is_some(),
    };
    let answer = super::ask::work(context, JobKind::SendDue, asked, "baocao reminders send", at).await?;
    super::ask::print_answer(answer, json)
}

/// `reminders send --dry-run`: what would go now, nothing sent or written.
async fn send_dry_run(context: &Context, at: Option<&str>, json: bool) -> CliResult {
    let now = context.at(at)?;
    let calendar = &context.calendar;
    let templates = context.templates()?;
    let settings = &context.settings;
    let setup = Setup {
        settings,
        calendar,
        templates: &templates,
    };
    let zone = settings.office.zone;
    let lines: Vec<PlanLine> = plan_view(&context.store, &setup, now, None)
        .await?
        .into_iter()
        .filter(|l| l.action == "send_now")
        .collect();
    if json {
        return print_json(&lines);
    }
    if !setup.window_open(now) {
        println!(
            "{} nằm ngoài giờ gửi thư: chưa gửi thư nhắc nào",
            format_instant(now, zone)
        );
    }
    for line in &lines {
        println!(
            "sẽ gửi {} {} tới {} ({}): {}",
            kind_vi(line.kind),
            line.request,
            line.unit,
            line.unit_name,
            line.reason
        );
    }
    println!("{} thư nhắc đến giờ gửi; chưa gửi gì (--dry-run)", lines.len());
    Ok(())
}

pub async fn mark(context: &Context, args: MarkArgs) -> CliResult {
    let received_at = context.at(args.received_at.as_deref())?;
    let crate::services::decisions::Marked {
        unit,
        request,
        late,
        earlier,
    } = crate::services::decisions::mark(
        &context.store,
        &args.request,
        &args.unit,
        &args.note,
        received_at,
        context.now(),
    )
    .await?;
    let zone = context.settings.office.zone;
    println!(
        "đã ghi nhận {} ({}) báo cáo {} lúc {}{}{}; không nhắc thêm",
        unit.code,
        unit.name,
        request.token,
        format_instant(received_at, zone),
        if late { " (muộn)" } else { "" },
        if earlier { ", là báo cáo bổ sung" } else { "" }
    );
    Ok(())
}

pub async fn digest(context: &Context, args: DigestArgs) -> CliResult {
    let now = context.at(args.at.as_deref())?;
    let calendar = &context.calendar;
    let templates = context.templates()?;
    let vars = digest_vars(&context.store, &context.settings, calendar, now).await?;
    let rendered = templates
        .render_digest(&vars)
        .map_err(|e| CliError::Refused(e.to_string()))?;
    println!("Tiêu đề: {}", rendered.subject);
    println!();
    print!("{}", rendered.text);
    Ok(())
}
