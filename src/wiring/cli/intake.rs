//! `baocao intake explain|import|watch|reconcile`: what a message would become, processing
//! saved messages through the watcher's own path, following the mailbox, and comparing the
//! mailbox with the store.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::ask::Asked;
use super::{CliError, CliResult, Context, print_json};
use crate::adapters::store::{AuditEntry, AuditSubject, Origin, Recorded};
use crate::domain::dates::format_instant;
use crate::domain::incoming::classify::Snapshot;
use crate::domain::incoming::{Letter, Outcome, State};
use crate::domain::model::{IncomingId, RequestId, UnitId};
use crate::services::intake::pipeline::{Intake, Raw};
use crate::services::intake::watch::Watcher;
use crate::services::jobs::JobKind;

#[derive(Debug, Subcommand)]
pub enum IntakeCommand {
    /// Cho biết một thư (.eml) sẽ được xử lý thế nào, không ghi gì
    Explain(FileArgs),
    /// Xử lý các thư đã lưu (.eml, ví dụ thư được chuyển tiếp từ nơi khác) như thư đến hộp thư
    Import(ImportArgs),
    /// Theo dõi hộp thư nhận báo cáo (IMAP IDLE), cho tới khi dừng bằng Ctrl+C / SIGTERM
    Watch(WatchArgs),
    /// Đối chiếu hộp thư với dữ liệu: mọi thư từ ngày bắt đầu đều đã được xử lý?
    Reconcile(ReconcileArgs),
}

#[derive(Debug, Args)]
pub struct FileArgs {
    /// Tệp thư .eml
    pub file: PathBuf,
    /// Thời điểm hộp thư nhận thư (mặc định: theo dòng Received trên cùng, nếu không có thì bây giờ)
    #[arg(long, value_name = "WHEN")]
    pub received_at: Option<String>,
    /// In kết quả dạng JSON (cho chương trình khác đọc)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Các tệp thư .eml
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Thời điểm hộp thư nhận thư (mặc định: theo dòng Received trên cùng, nếu không có thì bây giờ)
    #[arg(long, value_name = "WHEN")]
    pub received_at: Option<String>,
    /// In kết quả dạng JSON (cho chương trình khác đọc)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Xử lý thư mới một lần rồi thoát
    #[arg(long)]
    pub once: bool,
    /// Tự đọc mật khẩu hộp thư (quyền root hoặc người dùng baocao; systemd credential đọc từ thư mục của tệp cấu hình)
    #[arg(long)]
    pub direct: bool,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// In kết quả dạng JSON (cho chương trình khác đọc)
    #[arg(long)]
    pub json: bool,
    /// Tự đọc mật khẩu hộp thư và đối chiếu ngay trong lệnh này (quyền root hoặc người dùng baocao), không nhờ dịch vụ
    #[arg(long)]
    pub direct: bool,
}

pub async fn run(context: &Context, command: IntakeCommand) -> CliResult {
    match command {
        IntakeCommand::Explain(args) => explain(context, args).await,
        IntakeCommand::Import(args) => import(context, args).await,
        IntakeCommand::Watch(args) => watch(context, args).await,
        IntakeCommand::Reconcile(args) => reconcile(context, args).await,
    }
}

/// What `explain` and `import` print for one message, with stable English field names.
#[derive(Debug, Serialize)]
struct Report {
    file: String,
    state: &'static str,
    reason: &'static str,
    rule: &'static str,
    detail: String,
    unit: Option<String>,
    request: Option<String>,
    /// The request's token (`BC-17`): what names one instance of a periodic report.
    token: Option<String>,
    /// The period, for an instance of a periodic report ("Tháng 11/2026").
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<String>,
    /// The other periods one message was counted for (their tokens).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    also: Vec<String>,
    late: Option<bool>,
    from: Option<String>,
    from_name: Option<String>,
    subject: String,
    message_id: Option<String>,
    in_reply_to: Vec<String>,
    references: Vec<String>,
    attachments: Vec<AttachmentReport>,
    failing_address: Option<String>,
    suggested_unit: Option<String>,
    candidates: Vec<String>,
    received_at: DateTime<Utc>,
    received_at_source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    incoming_id: Option<IncomingId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recorded: Option<&'static str>,
    /// A receipt to the sender was queued (`intake import` with receipts on).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    receipt: bool,
}

#[derive(Debug, Serialize)]
struct AttachmentReport {
    name: String,
    size: usize,
    counted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_counted: Option<&'static str>,
}

fn read_file(path: &PathBuf) -> CliResult<Vec<u8>> {
    std::fs::read(path).map_err(|e| CliError::Refused(format!("không đọc được tệp {}: {e}", path.display())))
}

/// `--received-at`, else the topmost Received header (what the receiving server saw),
/// else now.
fn received_at(context: &Context, given: Option<&str>, letter: &Letter) -> CliResult<(DateTime<Utc>, &'static str)> {
    if given.is_some() {
        return Ok((context.at(given)?, "option"));
    }
    Ok(match letter.received_header_at {
        Some(at) => (at, "received_header"),
        None => (context.now(), "now"),
    })
}

fn report(
    file: &str,
    letter: &Letter,
    outcome: &Outcome,
    snapshot: &Snapshot,
    at: (DateTime<Utc>, &'static str),
) -> Report {
    let unit_code = |id: Option<UnitId>| id.and_then(|id| snapshot.unit_codes.get(&id).cloned());
    let request_name = |id: RequestId| {
        snapshot.requests.get(&id).map(|r| match r.period {
            Some((_, period)) => format!("{} ({}, {})", r.token, r.code, period.label_vi()),
            None => format!("{} ({})", r.token, r.code),
        })
    };
    let request = outcome.request_id().and_then(|id| snapshot.requests.get(&id));
    Report {
        file: file.to_string(),
        state: outcome.state().as_str(),
        reason: outcome.reason().as_str(),
        rule: outcome.rule().as_str(),
        detail: outcome.detail().to_string(),
        unit: unit_code(outcome.unit_id()),
        request: request.map(|r| r.code.clone()),
        token: request.map(|r| r.token.clone()),
        period: request.and_then(|r| r.period).map(|(_, p)| p.label_vi()),
        also: match outcome {
            Outcome::Counted(c) => c
                .also
                .iter()
                .filter_map(|a| snapshot.requests.get(&a.request_id).map(|r| r.token.clone()))
                .collect(),
            _ => Vec::new(),
        },
        late: outcome.late(),
        from: letter.from.clone(),
        from_name: letter.from_name.clone(),
        subject: letter.subject.clone(),
        message_id: letter.message_id.clone(),
        in_reply_to: letter.in_reply_to.clone(),
        references: letter.references.clone(),
        attachments: letter
            .attachments
            .iter()
            .map(|a| AttachmentReport {
                name: a.name.clone(),
                size: a.size,
                counted: a.counts(),
                not_counted: a.not_counted,
            })
            .collect(),
        failing_address: outcome.failing().map(|f| f.address.clone()),
        suggested_unit: unit_code(outcome.suggested_unit()),
        candidates: outcome.candidates().iter().filter_map(|id| request_name(*id)).collect(),
        received_at: at.0,
        received_at_source: at.1,
        incoming_id: None,
        recorded: None,
        receipt: false,
    }
}

async fn explain(context: &Context, args: FileArgs) -> CliResult {
    let bytes = read_file(&args.file)?;
    let intake = Intake::new(&context.settings);
    let (letter, trouble) = intake.read(Raw::Whole(&bytes)).await;
    let letter = Arc::new(letter);
    let at = received_at(context, args.received_at.as_deref(), &letter)?;
    let snapshot = Arc::new(context.store.intake_snapshot(&intake.office_mailbox).await?);
    let outcome = intake
        .judge(&context.store, &snapshot, &letter, trouble.as_ref(), at.0)
        .await?;
    let report = report(&args.file.display().to_string(), &letter, &outcome, &snapshot, at);
    if args.json {
        return print_json(&report);
    }
    print_explained(context, &report, &letter);
    Ok(())
}

fn print_explained(context: &Context, report: &Report, letter: &Letter) {
    let zone = context.settings.office.zone;
    let dash = |v: Option<&str>| v.map(str::to_string).unwrap_or_else(|| "—".into());
    println!("Thư: {}", report.file);
    let from = match (&report.from_name, &report.from) {
        (Some(name), Some(address)) => format!("{name} <{address}>"),
        (None, Some(address)) => address.clone(),
        _ => "—".into(),
    };
    println!("  Người gửi:     {from}");
    println!("  Tiêu đề:       {}", report.subject);
    println!("  Message-ID:    {}", dash(report.message_id.as_deref()));
    if !report.in_reply_to.is_empty() || !report.references.is_empty() {
        println!("  Trả lời thư:   {}", report.in_reply_to.join(" "));
        println!("  References:    {}", report.references.join(" "));
    }
    if let Some(date) = letter.date_header {
        println!(
            "  Ngày ghi trong thư: {} (chỉ để xem, không dùng để tính hạn)",
            format_instant(date, zone)
        );
    }
    let source = match report.received_at_source {
        "option" => "theo --received-at",
        "received_header" => "theo dòng Received trên cùng",
        _ => "bây giờ",
    };
    println!(
        "  Nhận lúc:      {} ({source})",
        format_instant(report.received_at, zone)
    );
    if report.attachments.is_empty() {
        println!("  Tệp đính kèm:  không có");
    } else {
        println!("  Tệp đính kèm:");
        for a in &report.attachments {
            let why = a.not_counted.map(|w| format!(" — không tính: {w}")).unwrap_or_default();
            println!("    - {} ({}){why}", a.name, size_vi(a.size));
        }
    }
    let state = State::parse(report.state).map_or(report.state, State::label_vi);
    let reason = crate::domain::incoming::Reason::parse(report.reason).map_or(report.reason, |r| r.label_vi());
    println!("Kết quả: {state} — {reason} (quy tắc: {})", report.rule);
    println!("  {}", report.detail);
    if let Some(unit) = &report.unit {
        println!("  Đơn vị:        {unit}");
    }
    if let Some(request) = &report.request {
        let late = match report.late {
            Some(true) => " — trễ hạn",
            Some(false) => " — đúng hạn",
            None => "",
        };
        let token = report.token.as_deref().map(|t| format!("{t} ")).unwrap_or_default();
        let period = report
            .period
            .as_deref()
            .map(|p| format!(", kỳ {p}"))
            .unwrap_or_default();
        println!("  Yêu cầu:       {token}({request}{period}){late}");
        if !report.also.is_empty() {
            println!("  Cùng thư:      {} (mỗi kỳ một tệp)", report.also.join(", "));
        }
    }
    if let Some(unit) = &report.suggested_unit {
        println!("  Gợi ý đơn vị:  {unit}");
    }
    if !report.candidates.is_empty() {
        println!("  Có thể là:     {}", report.candidates.join("; "));
    }
    if let Some(address) = &report.failing_address {
        println!("  Đánh dấu địa chỉ lỗi: {address}");
    }
}

fn size_vi(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// Intake that records, with receipts when the configuration turns them on.
pub(super) fn recording_intake(context: &Context) -> CliResult<Intake> {
    if !context.settings.intake.receipts {
        return Ok(Intake::new(&context.settings));
    }
    let templates = std::sync::Arc::new(context.templates()?);
    Ok(Intake::recording(&context.settings, templates))
}

async fn import(context: &Context, args: ImportArgs) -> CliResult {
    let intake = recording_intake(context)?;
    let mut snapshot = Arc::new(context.store.intake_snapshot(&intake.office_mailbox).await?);
    let origin = Origin {
        mailbox: "import".into(),
        uid: None,
    };
    let mut reports = Vec::new();
    let mut failures = 0;
    for file in &args.files {
        let bytes = match read_file(file) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("lỗi: {e}");
                failures += 1;
                continue;
            }
        };
        let read = intake.read(Raw::Whole(&bytes)).await;
        let at = received_at(context, args.received_at.as_deref(), &read.0)?;
        let processed = intake
            .process_read(
                &context.store,
                &mut snapshot,
                read,
                &bytes,
                &origin,
                at.0,
                context.now(),
            )
            .await
            .map_err(|e| CliError::Internal(anyhow::Error::new(e)))?;
        let mut r = report(
            &file.display().to_string(),
            &processed.letter,
            &processed.outcome,
            &snapshot,
            at,
        );
        let request_id = processed.outcome.request_id();
        match processed.recorded {
            Recorded::New { id, receipt, .. } => {
                r.incoming_id = Some(id);
                r.recorded = Some("new");
                r.receipt = receipt;
            }
            Recorded::Moved { id } => {
                r.incoming_id = Some(id);
                r.recorded = Some("moved");
            }
            Recorded::AlreadyDone => r.recorded = Some("already"),
        }
        if r.recorded == Some("new")
            && let Some(id) = r.incoming_id
        {
            // A message a person brought in by hand is theirs in the audit trail.
            let state = State::parse(r.state).map_or(r.state, State::label_vi);
            let reason = crate::domain::incoming::Reason::parse(r.reason).map_or(r.reason, |x| x.label_vi());
            let mut entry = AuditEntry::new(AuditSubject::Incoming, id.to_string(), "intake").change(
                "nhập thư từ tệp",
                None,
                Some(format!("{}: {state} — {reason}", r.file)),
            );
            entry.request_id = request_id;
            context.store.record_audit(vec![entry], context.now()).await?;
        }
        if !args.json {
            print_import_line(&r);
        }
        reports.push(r);
    }
    if args.json {
        print_json(&reports)?;
    }
    if failures > 0 {
        return Err(CliError::Refused(format!("{failures} tệp không đọc được")));
    }
    Ok(())
}

fn print_import_line(r: &Report) {
    let state = State::parse(r.state).map_or(r.state, State::label_vi);
    let reason = crate::domain::incoming::Reason::parse(r.reason).map_or(r.reason, |x| x.label_vi());
    let mut line = format!("{}: {state} — {reason}", r.file);
    if let Some(unit) = &r.unit {
        line.push_str(&format!(" — đơn vị {unit}"));
    }
    if let Some(request) = &r.request {
        line.push_str(&format!(", yêu cầu {request}"));
    }
    match r.late {
        Some(true) => line.push_str(" (trễ hạn)"),
        Some(false) => line.push_str(" (đúng hạn)"),
        None => {}
    }
    if let Some(id) = r.incoming_id {
        line.push_str(&format!(" [thư số {id}]"));
        if r.state == State::Review.as_str() && r.recorded == Some("new") {
            line.push_str(&format!(" — xem: baocao review show {id}"));
        }
    }
    if r.receipt {
        line.push_str("; thư xác nhận đã vào hàng đợi gửi");
    }
    println!("{line}");
}

async fn watch(context: &Context, args: WatchArgs) -> CliResult {
    if args.direct {
        super::ask::prepare_direct(&context.config);
    }
    if let Some(why) = super::ask::unreadable(&context.settings, JobKind::Reconcile) {
        // Watching is the service's own work: it cannot be handed over, only pointed to.
        if !args.direct && super::ask::service_alive(&context.store, context.now()).await? {
            return Err(CliError::Refused(format!(
                "{why}.\nDịch vụ baocao đang chạy và theo dõi hộp thư: thư mới được xử lý ngay khi đến. \
                 Xem: baocao status; đối chiếu hộp thư: baocao intake reconcile"
            )));
        }
        let asked = Asked {
            direct: args.direct,
            simulated: false,
        };
        let refusal = super::ask::choose(asked, false, Some(why), "baocao intake watch")
            .err()
            .unwrap_or_default();
        return Err(CliError::Refused(refusal));
    }
    super::init_logging("info");
    let intake = recording_intake(context)?;
    let watcher = Watcher::new(&context.settings, context.store.clone(), intake)
        .map_err(|e| CliError::Refused(format!("{e:#}")))?;
    if args.once {
        let summary = watcher
            .catch_up()
            .await
            .map_err(|e| CliError::Refused(format!("không đọc được hộp thư: {e:#}")))?;
        println!(
            "đã xử lý {} thư: {} báo cáo được ghi nhận, {} chờ xem xét, {} bỏ qua",
            summary.processed, summary.counted, summary.review, summary.ignored
        );
        return Ok(());
    }
    let stop = tokio_util::sync::CancellationToken::new();
    let stopped = stop.clone();
    tokio::spawn(async move {
        super::wait_for_stop_signal().await;
        stop.cancel();
    });
    watcher.run(stopped).await.map_err(CliError::Internal)
}

async fn reconcile(context: &Context, args: ReconcileArgs) -> CliResult {
    let asked = Asked {
        direct: args.direct,
        simulated: false,
    };
    let answer = super::ask::work(context, JobKind::Reconcile, asked, "baocao intake reconcile", None).await?;
    super::ask::print_answer(answer, args.json)
}
