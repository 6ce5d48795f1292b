//! `baocao reminders plan|send`, `baocao mark` and `baocao digest`: what will be sent and
//! why, sending what is due once (for cron users and tests), recording a report that came
//! through another channel, and previewing the daily digest.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::{CliError, CliResult, Context, print_json};
use crate::clock::Clock;
use crate::dates::format_instant;
use crate::digest::{digest_vars, queue_digest};
use crate::mailer::Mailer;
use crate::plan::SlotKind;
use crate::reminders::{PlanLine, QueueSummary, ReminderError, Setup, plan_new_units, plan_view, queue_due};
use crate::sender::{SendPass, SendSummary, lease, send_due};

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
        RemindersCommand::Send { at, dry_run, json } => send(context, at.as_deref(), dry_run, json).await,
    }
}

fn internal(error: ReminderError) -> CliError {
    match error {
        ReminderError::Store(e) => e.into(),
        ReminderError::Template(e) => CliError::Refused(e.to_string()),
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
    let calendar = context.calendar()?;
    let templates = context.templates()?;
    let setup = Setup {
        settings: &context.settings,
        calendar: &calendar,
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
        crate::report::table(&["Mã", "Đơn vị", "Loại", "Gửi lúc", "Lý do"], &rows)
    );
    let sending = lines.iter().filter(|l| l.action != "skip").count();
    println!("{sending} thư sẽ gửi (tính từ {})", format_instant(from, zone));
}

#[derive(Serialize)]
struct SendReport {
    at: chrono::DateTime<chrono::Utc>,
    window_open: bool,
    units_planned: usize,
    slots: QueueSummary,
    digest_queued: usize,
    outbox: SendSummary,
}

async fn send(context: &Context, at: Option<&str>, dry_run: bool, json: bool) -> CliResult {
    let now = context.at(at)?;
    let calendar = context.calendar()?;
    let templates = context.templates()?;
    let settings = &context.settings;
    let setup = Setup {
        settings,
        calendar: &calendar,
        templates: &templates,
    };
    let zone = settings.office.zone;
    if dry_run {
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
        return Ok(());
    }
    if settings.smtp.is_none() {
        return Err(CliError::Refused(
            "chưa cấu hình máy chủ gửi thư [smtp] trong tệp cấu hình: không gửi được".into(),
        ));
    }
    let mailer =
        Mailer::new(settings).map_err(|e| CliError::Refused(format!("không chuẩn bị được việc gửi thư: {e:#}")))?;
    let units_planned = plan_new_units(&context.store, settings, &calendar, now).await?;
    let slots = queue_due(&context.store, &setup, now).await.map_err(internal)?;
    let digest_queued = queue_digest(&context.store, &setup, now, false)
        .await
        .map_err(internal)?;
    let smtp = settings.smtp.as_ref().map(|s| s.concurrency).unwrap_or(1);
    let worker = crate::daemon::worker_id();
    let window_open = setup.window_open(now);
    let clock = match at {
        Some(_) => Clock::starting_at(now),
        None => Clock::system(),
    };
    let outbox = send_due(&SendPass {
        store: &context.store,
        mailer: &mailer,
        worker: &worker,
        concurrency: smtp,
        retry: crate::sender::RetryPolicy::from_settings(settings),
        lease: lease(settings),
        window_open,
        clock,
        stop: &std::sync::atomic::AtomicBool::new(false),
    })
    .await?;
    let report = SendReport {
        at: now,
        window_open,
        units_planned,
        slots,
        digest_queued,
        outbox,
    };
    if json {
        return print_json(&report);
    }
    if !report.window_open {
        println!(
            "{} nằm ngoài giờ gửi thư: thư nhắc chờ tới giờ làm việc",
            format_instant(now, zone)
        );
    }
    println!(
        "đã gửi {} thư; {} thư chờ gửi lại; {} thư lỗi; bỏ qua {} lượt nhắc cũ; hủy {} lượt nhắc (đã báo cáo hoặc đã đóng)",
        report.outbox.sent, report.outbox.retry, report.outbox.failed, slots.skipped, slots.cancelled
    );
    if report.outbox.failed > 0 || report.outbox.retry > 0 {
        println!("xem thư lỗi bằng: baocao outbox list --failed");
    }
    Ok(())
}

pub async fn mark(context: &Context, args: MarkArgs) -> CliResult {
    let received_at = context.at(args.received_at.as_deref())?;
    let crate::decisions::Marked {
        unit,
        request,
        late,
        earlier,
    } = crate::decisions::mark(
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
    let calendar = context.calendar()?;
    let templates = context.templates()?;
    let vars = digest_vars(&context.store, &context.settings, &calendar, now).await?;
    let rendered = templates
        .render_digest(&vars)
        .map_err(|e| CliError::Refused(e.to_string()))?;
    println!("Tiêu đề: {}", rendered.subject);
    println!();
    print!("{}", rendered.text);
    Ok(())
}
