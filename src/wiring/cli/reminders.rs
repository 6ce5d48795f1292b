//! `baocao reminders plan|send`, `baocao mark` and `baocao digest`: what will be sent and
//! why, sending what is due once (for cron users and tests), recording a report that came
//! through another channel, and previewing the daily digest.

use std::io::{BufWriter, Write as _};

use clap::{Args, Subcommand};

use super::ask::Asked;
use super::{CliError, CliResult, Context, print_json};
use crate::domain::dates::format_instant;
use crate::domain::model::RequestId;
use crate::domain::plan::SlotKind;
use crate::domain::report::{table_head, table_line, text_width};
use crate::services::jobs::JobKind;
use crate::services::letters::Setup;
use crate::services::letters::digest::digest_vars;
use crate::services::reminders::{PlanLine, plan_view_each};

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
    if json {
        return print_plan_json(context, &setup, from, request_id).await;
    }
    print_plan(context, &setup, from, request_id).await
}

/// `reminders plan --json`: one array, written element by element as the plan streams
/// (the same text `serde_json::to_string_pretty` gives for the whole list).
async fn print_plan_json(
    context: &Context,
    setup: &Setup<'_>,
    from: chrono::DateTime<chrono::Utc>,
    request_id: Option<RequestId>,
) -> CliResult {
    use serde::ser::{SerializeSeq, Serializer as _};
    let output = BufWriter::new(std::io::stdout());
    let mut serializer = serde_json::Serializer::with_formatter(output, serde_json::ser::PrettyFormatter::new());
    let mut array = serializer.serialize_seq(None).map_err(internal)?;
    plan_view_each(&context.store, setup, from, request_id, |line| {
        array.serialize_element(&line).map_err(internal)
    })
    .await?;
    array.end().map_err(internal)?;
    let mut output = serializer.into_inner();
    writeln!(output).map_err(internal)?;
    output.flush().map_err(internal)
}

/// `reminders plan`: a table printed as the plan streams. The column widths are fixed before
/// the first line, from what can be known without reading the slots: the longest request
/// token in view, the longest unit code in view (the request's units, or every active unit),
/// the longest kind, and the time column's fixed forms; the reason comes last and is not
/// padded. A unit that has reported has no line but still counts for the width.
async fn print_plan(
    context: &Context,
    setup: &Setup<'_>,
    from: chrono::DateTime<chrono::Utc>,
    request_id: Option<RequestId>,
) -> CliResult {
    let zone = context.settings.office.zone;
    let requests = context.store.all_requests().await?;
    let unit_codes: Vec<String> = match request_id {
        Some(id) => context
            .store
            .request_unit_codes(id)
            .await?
            .iter()
            .map(ToString::to_string)
            .collect(),
        None => context
            .store
            .all_units()
            .await?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| u.code.to_string())
            .collect(),
    };
    let instant = format_instant(from, zone);
    let widths = [
        widest(
            requests
                .iter()
                .filter(|r| request_id.is_none_or(|id| id == r.id))
                .map(|r| r.token.as_str()),
        ),
        widest(&unit_codes),
        widest([SlotKind::Notice, SlotKind::Reminder, SlotKind::Overdue].map(kind_vi)),
        widest([when("skip", &instant), when("send_now", &instant), instant.clone()]),
        0,
    ];
    drop(unit_codes);
    let mut output = BufWriter::new(std::io::stdout());
    let mut sending = 0_usize;
    let mut printed = 0_usize;
    plan_view_each(&context.store, setup, from, request_id, |line| {
        if printed == 0 {
            output
                .write_all(table_head(&["Mã", "Đơn vị", "Loại", "Gửi lúc", "Lý do"], &widths).as_bytes())
                .map_err(internal)?;
        }
        printed += 1;
        if line.action != "skip" {
            sending += 1;
        }
        let mut why = line.reason;
        if let Some(note) = &line.note {
            why = format!("{why}; {note}");
        }
        let cells = [
            line.request.as_str(),
            line.unit.as_str(),
            kind_vi(line.kind),
            &when(line.action, &line.due_local),
            &why,
        ];
        output
            .write_all(table_line(&widths, &cells).as_bytes())
            .map_err(internal)
    })
    .await?;
    if printed == 0 {
        writeln!(output, "không còn thư nhắc nào chờ gửi (tính từ {instant})").map_err(internal)?;
    } else {
        writeln!(output, "{sending} thư sẽ gửi (tính từ {instant})").map_err(internal)?;
    }
    output.flush().map_err(internal)
}

/// The width of the widest of `texts` on a terminal.
fn widest<S: AsRef<str>>(texts: impl IntoIterator<Item = S>) -> usize {
    texts.into_iter().map(|t| text_width(t.as_ref())).max().unwrap_or(0)
}

/// The "Gửi lúc" cell of a plan line.
fn when(action: &str, due_local: &str) -> String {
    match action {
        "skip" => format!("(bỏ qua) {due_local}"),
        "send_now" => format!("ngay — {due_local}"),
        _ => due_local.to_string(),
    }
}

fn internal(error: impl Into<anyhow::Error>) -> CliError {
    CliError::Internal(error.into())
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
    // Only what goes now is kept, not the whole plan.
    let mut lines: Vec<PlanLine> = Vec::new();
    plan_view_each(&context.store, &setup, now, None, |line| {
        if line.action == "send_now" {
            lines.push(line);
        }
        Ok::<(), CliError>(())
    })
    .await?;
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
