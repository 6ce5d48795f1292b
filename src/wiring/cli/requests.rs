//! `baocao request …`: create a draft request, activate it, close it, show and list them.

use chrono::{DateTime, Utc};

use chrono_tz::Tz;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::{CliError, CliResult, Context, print_json};
use crate::domain::dates::{self, format_instant};
use crate::domain::directive::proposal_file::{Defaults, ProposalFile, tidy};
use crate::domain::model::{Recipients, Request, RequestState, UnitCode};

mod edit;
mod from;
use edit::*;
use from::{from_directive, with_proposal_file};

#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Tạo một yêu cầu báo cáo (bản nháp; chưa gửi gì)
    Add(Box<AddArgs>),
    /// Đọc văn bản (công văn .txt, .docx, .pdf) và đề xuất yêu cầu báo cáo; không tạo gì nếu chưa xác nhận
    From(Box<FromArgs>),
    /// Bắt đầu theo dõi và nhắc một yêu cầu
    Activate {
        /// BC-17, số hiệu (4189/KH-BCĐ) hoặc SỐ@NĂM
        request: String,
        /// Coi như bây giờ là thời điểm này (lập lịch nhắc từ đó), ví dụ "08:00 ngày 2/1/2024"
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
    },
    /// Đóng một yêu cầu: ngừng nhắc
    Close {
        /// BC-17, số hiệu (4189/KH-BCĐ) hoặc SỐ@NĂM
        request: String,
        /// Coi như bây giờ là thời điểm này
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
    },
    /// Gia hạn báo cáo cho cả yêu cầu hoặc cho một số đơn vị; lịch nhắc lập lại theo hạn mới
    Extend {
        /// BC-17, số hiệu (4189/KH-BCĐ) hoặc SỐ@NĂM
        request: String,
        /// Hạn mới, như văn bản ghi: "trước 17h00 ngày 10/01/2024", "10/01/2024"
        #[arg(long, value_name = "WHEN")]
        until: String,
        /// Chỉ gia hạn cho đơn vị này (ghi nhiều lần cho nhiều đơn vị); không ghi: cả yêu cầu
        #[arg(long = "unit", value_name = "U")]
        units: Vec<String>,
        /// Coi như bây giờ là thời điểm này (lập lại lịch nhắc từ đó)
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
    },
    /// Sửa yêu cầu: trích yếu, nội dung, cơ quan ban hành, hạn, nhóm/đơn vị, tệp gửi kèm; mỗi thay đổi được ghi lại
    Edit(Box<EditArgs>),
    /// Xóa một yêu cầu còn là bản nháp (chưa gửi gì)
    Delete {
        /// BC-17, số hiệu (4189/KH-BCĐ) hoặc SỐ@NĂM
        request: String,
    },
    /// Xem một yêu cầu
    Show {
        /// BC-17, số hiệu (4189/KH-BCĐ) hoặc SỐ@NĂM
        request: String,
        /// In kết quả dạng JSON (cho chương trình khác đọc)
        #[arg(long)]
        json: bool,
    },
    /// Liệt kê các yêu cầu
    List {
        /// In kết quả dạng JSON (cho chương trình khác đọc)
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct FromArgs {
    /// Tệp văn bản: .txt, .docx, hoặc .pdf (bản scan cần phần mềm nhận dạng chữ tesseract)
    #[arg(value_name = "TỆP")]
    pub file: std::path::PathBuf,
    /// Ghi đề xuất ra tệp TOML để xem, sửa rồi tạo bằng `request add --from-proposal TỆP`
    #[arg(long, value_name = "TỆP")]
    pub write_proposal: Option<std::path::PathBuf>,
    /// Tạo ngay yêu cầu (bản nháp) theo đề xuất, khi đề xuất đủ số, trích yếu, nơi nhận và hạn
    #[arg(long)]
    pub yes: bool,
    /// Coi như bây giờ là thời điểm này (kiểm tra hạn đã qua hay chưa)
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
    /// In đề xuất dạng JSON (cho chương trình khác đọc)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Số hiệu văn bản, ví dụ 4189/KH-BCĐ
    #[arg(required_unless_present = "from_proposal")]
    pub code: Option<String>,
    /// Trích yếu
    #[arg(long, required_unless_present = "from_proposal")]
    pub title: Option<String>,
    /// Tạo theo tệp đề xuất (đã xem, sửa) do `request from … --write-proposal` ghi ra
    #[arg(
        long,
        value_name = "TỆP",
        conflicts_with_all = ["code", "title", "deadline", "no_report", "groups", "units", "issued", "issuer", "kind", "year", "no_attachment_required"]
    )]
    pub from_proposal: Option<std::path::PathBuf>,
    /// Hạn báo cáo: 31/12/2023, 31/12/2023 17:00, "17h00 ngày 31/12/2023", "trước ngày 31/12/2023"
    #[arg(long, required_unless_present_any = ["no_report", "from_proposal"])]
    pub deadline: Option<String>,
    /// Văn bản để biết, không yêu cầu báo cáo: chỉ gửi văn bản, không hạn, không nhắc
    #[arg(long, conflicts_with_all = ["deadline", "remind", "overdue"])]
    pub no_report: bool,
    /// Tệp gửi kèm thông báo: văn bản gốc, biểu mẫu (ghi nhiều lần cho nhiều tệp; tổng ≤ 7 MB)
    #[arg(long = "attach", value_name = "TỆP")]
    pub attach: Vec<std::path::PathBuf>,
    /// Xác nhận dùng lại số hiệu của một yêu cầu đã đóng (yêu cầu cũ giữ nguyên hồ sơ)
    #[arg(long)]
    pub reuse_number: bool,
    /// Nhóm đơn vị phải báo cáo (ghi nhiều lần cho nhiều nhóm)
    #[arg(long = "group", value_name = "G")]
    pub groups: Vec<String>,
    /// Đơn vị phải báo cáo, theo mã (ghi nhiều lần cho nhiều đơn vị)
    #[arg(long = "unit", value_name = "U")]
    pub units: Vec<String>,
    /// Ngày ban hành văn bản (dd/mm/yyyy)
    #[arg(long)]
    pub issued: Option<String>,
    /// Cơ quan ban hành văn bản, ví dụ "Ban Chỉ đạo vận động hiến máu tình nguyện tỉnh"
    #[arg(long)]
    pub issuer: Option<String>,
    /// Loại văn bản (mặc định theo số hiệu: KH → Kế hoạch, QĐ → Quyết định, không có → Công văn)
    #[arg(long)]
    pub kind: Option<String>,
    /// Nội dung yêu cầu: báo cáo gì, theo mẫu nào
    #[arg(long)]
    pub content: Option<String>,
    /// Năm của số hiệu (mặc định: năm ban hành, hoặc năm của hạn)
    #[arg(long)]
    pub year: Option<i32>,
    /// Nhắc trước hạn, ví dụ 7d,3d,1d (mặc định theo cấu hình)
    #[arg(long)]
    pub remind: Option<String>,
    /// Nhắc sau hạn, ví dụ 1d,3d,7d (mặc định theo cấu hình)
    #[arg(long)]
    pub overdue: Option<String>,
    /// Không bắt buộc gửi kèm tệp
    #[arg(long)]
    pub no_attachment_required: bool,
    #[command(flatten)]
    pub escalate: super::escalate::EscalateArgs,
    /// In kết quả dạng JSON (cho chương trình khác đọc)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// BC-17, số hiệu (4189/KH-BCĐ) hoặc SỐ@NĂM
    pub request: String,
    /// Trích yếu mới
    #[arg(long)]
    pub title: Option<String>,
    /// Nội dung yêu cầu mới ("" để bỏ)
    #[arg(long)]
    pub content: Option<String>,
    /// Cơ quan ban hành mới ("" để bỏ)
    #[arg(long)]
    pub issuer: Option<String>,
    /// Loại văn bản mới ("" để tính theo số hiệu)
    #[arg(long)]
    pub kind: Option<String>,
    /// Hạn mới, như văn bản ghi; yêu cầu đang theo dõi chỉ được lùi hạn (gia hạn), lịch nhắc lập lại
    #[arg(long, value_name = "WHEN")]
    pub deadline: Option<String>,
    /// Thêm nhóm đơn vị phải báo cáo
    #[arg(long = "add-group", value_name = "G")]
    pub add_groups: Vec<String>,
    /// Bỏ nhóm đơn vị
    #[arg(long = "remove-group", value_name = "G")]
    pub remove_groups: Vec<String>,
    /// Thêm đơn vị phải báo cáo
    #[arg(long = "add-unit", value_name = "U")]
    pub add_units: Vec<String>,
    /// Bỏ đơn vị
    #[arg(long = "remove-unit", value_name = "U")]
    pub remove_units: Vec<String>,
    /// Thêm tệp gửi kèm thông báo (đơn vị chưa nhận thông báo sẽ nhận cùng thông báo)
    #[arg(long = "attach", value_name = "TỆP")]
    pub attach: Vec<std::path::PathBuf>,
    /// Bỏ tệp gửi kèm, theo tên tệp
    #[arg(long = "remove-attachment", value_name = "TÊN")]
    pub remove_attachments: Vec<String>,
    #[command(flatten)]
    pub escalate: super::escalate::EscalateArgs,
    /// Bỏ cài đặt chuyển cấp trên riêng: dùng cấu hình chung
    #[arg(long, conflicts_with = "escalate_after")]
    pub escalate_default: bool,
    /// Coi như bây giờ là thời điểm này (lập lại lịch nhắc từ đó)
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
}

/// A request as `--json` shows it. Field names are stable.
#[derive(Debug, Serialize)]
pub struct RequestView {
    pub token: String,
    pub code: String,
    pub year: i32,
    pub title: String,
    pub issued_on: Option<chrono::NaiveDate>,
    /// `null` for a request "để biết" (no report asked).
    pub deadline: Option<DateTime<Utc>>,
    pub deadline_text: String,
    /// The deadline as the directive wrote it, when it was given in words.
    pub deadline_wording: Option<String>,
    /// Who issued the directive, its kind and what to report (each may be null).
    pub letter: crate::domain::model::LetterFields,
    pub recipients: Recipients,
    pub remind_before: String,
    pub overdue_after: String,
    pub attachment_required: bool,
    pub state: RequestState,
    pub units: Vec<String>,
    /// The files sent with the notice.
    pub files: Vec<crate::adapters::store::StoredFile>,
}

fn view(
    request: &Request,
    units: Vec<UnitCode>,
    files: Vec<crate::adapters::store::StoredFile>,
    zone: Tz,
) -> RequestView {
    RequestView {
        token: request.token.clone(),
        code: request.code.to_string(),
        year: request.year,
        title: request.title.clone(),
        issued_on: request.issued_on,
        deadline: request.deadline,
        deadline_text: dates::format_deadline(request.deadline, zone),
        deadline_wording: request.deadline_wording.clone(),
        letter: request.letter.clone(),
        recipients: request.recipients.clone(),
        remind_before: request.remind_before.to_text(),
        overdue_after: request.overdue_after.to_text_ascending(),
        attachment_required: request.attachment_required,
        state: request.state,
        units: units.iter().map(|u| u.to_string()).collect(),
        files,
    }
}

pub async fn run(context: &Context, command: RequestCommand) -> CliResult {
    match command {
        RequestCommand::Add(args) => {
            let args = match args.from_proposal.clone() {
                Some(path) => with_proposal_file(*args, &path)?,
                None => *args,
            };
            add(context, args, context.now()).await
        }
        RequestCommand::From(args) => from_directive(context, *args).await,
        RequestCommand::Activate { request, at } => {
            change_state(context, &request, RequestState::Active, at.as_deref()).await
        }
        RequestCommand::Close { request, at } => {
            change_state(context, &request, RequestState::Closed, at.as_deref()).await
        }
        RequestCommand::Extend {
            request,
            until,
            units,
            at,
        } => extend(context, &request, &until, &units, at.as_deref()).await,
        RequestCommand::Edit(args) => edit(context, *args).await,
        RequestCommand::Delete { request } => {
            let request = context.store.resolve_request(&request).await?;
            context.store.delete_draft(&request, context.now()).await?;
            println!("đã xóa bản nháp {} ({})", request.token, request.code);
            Ok(())
        }
        RequestCommand::Show { request, json } => show(context, &request, json).await,
        RequestCommand::List { json } => list(context, json).await,
    }
}

/// `request add`'s arguments as the fields every way of creating a request checks alike.
fn fields_of(args: &AddArgs) -> ProposalFile {
    ProposalFile {
        code: args.code.clone(),
        title: args.title.clone(),
        issued: args.issued.clone(),
        year: args.year,
        issuer: args.issuer.clone(),
        kind: args.kind.clone(),
        groups: args.groups.clone(),
        units: args.units.clone(),
        deadline: args.deadline.clone(),
        no_report: args.no_report,
        attachment_required: Some(!args.no_attachment_required),
        content: args.content.clone(),
        remind: args.remind.clone(),
        overdue: args.overdue.clone(),
    }
}

fn refused(message: impl ToString) -> CliError {
    CliError::Refused(message.to_string())
}

/// Reads the files to send with a notice; refuses one it cannot read, naming it.
pub(super) fn read_files(paths: &[std::path::PathBuf]) -> CliResult<Vec<crate::domain::model::FileInput>> {
    paths
        .iter()
        .map(|path| {
            let data = std::fs::read(path).map_err(|e| {
                refused(format!(
                    "không đọc được tệp {}: {}",
                    path.display(),
                    crate::wiring::cli::io_error_vi(&e)
                ))
            })?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .ok_or_else(|| refused(format!("`{}` không phải là tệp", path.display())))?;
            Ok(crate::domain::model::FileInput {
                content_type: crate::domain::model::FileInput::content_type_of(&name).to_string(),
                name,
                data,
            })
        })
        .collect()
}

async fn add(context: &Context, args: AddArgs, now: DateTime<Utc>) -> CliResult {
    let zone = context.settings.office.zone;
    let defaults = Defaults {
        remind_before: &context.settings.reminders.remind_before,
        overdue_after: &context.settings.reminders.overdue_after,
    };
    let (mut input, deadline) = fields_of(&args).to_input(zone, defaults, now).map_err(refused)?;
    input.files = read_files(&args.attach)?;
    input.reuse_closed_number = args.reuse_number;
    input.escalation = args.escalate.escalation()?;
    if input.escalation.is_some() && args.no_report {
        return Err(refused(
            "văn bản để biết (--no-report) không có hạn báo cáo: bỏ --escalate-after",
        ));
    }
    let request = context.store.create_request(&input, now).await?;
    let units = context.store.request_unit_codes(request.id).await?;
    let files = context.store.request_files(request.id).await?;
    if let Some(instant) = request.deadline {
        warn_about_deadline(context, instant, now)?;
    }
    if args.json {
        return print_json(&view(&request, units, files, zone));
    }
    println!(
        "đã tạo yêu cầu {} (bản nháp): số {} năm {}",
        request.token, request.code, request.year
    );
    println!("  Trích yếu:  {}", request.title);
    match &deadline {
        Some(parsed) => {
            println!(
                "  Hạn:        {} ({})",
                format_instant(parsed.instant, zone),
                parsed.reading.explain_vi()
            );
            if let Some(wording) = &request.deadline_wording {
                println!("  Văn bản ghi: {wording} (đơn vị đọc hạn như vậy trong thư)");
            }
            println!("  Đơn vị:     {} đơn vị phải báo cáo", units.len());
        }
        None => {
            println!("  Hạn:        {}", dates::NO_DEADLINE_VI);
            println!(
                "  Đơn vị:     {} đơn vị nhận văn bản (chỉ gửi thông báo, không nhắc)",
                units.len()
            );
        }
    }
    print_files(&files);
    print_policy(&request);
    println!("bắt đầu theo dõi bằng: baocao request activate {}", request.token);
    Ok(())
}

/// Warns when a deadline falls on a day off or has passed.
fn warn_about_deadline(context: &Context, deadline: DateTime<Utc>, now: DateTime<Utc>) -> CliResult {
    let zone = context.settings.office.zone;
    for warning in crate::domain::calendar::deadline_warnings_vi(deadline, now, &context.calendar, zone) {
        eprintln!("cảnh báo: {warning}");
    }
    Ok(())
}

fn print_files(files: &[crate::adapters::store::StoredFile]) {
    if files.is_empty() {
        return;
    }
    let names: Vec<String> = files
        .iter()
        .map(|f| format!("{} ({})", f.file_name, size_vi(f.size)))
        .collect();
    println!("  Gửi kèm:    {}", names.join(", "));
}

fn size_vi(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / 1_048_576.0)
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

/// The reminder policy and attachment rule, as `add` and `show` print them.
fn print_policy(request: &Request) {
    if !request.expects_report() {
        return;
    }
    println!(
        "  Nhắc:       trước hạn {} · sau hạn {}",
        or_none(request.remind_before.to_text()),
        or_none(request.overdue_after.to_text_ascending())
    );
    let attachment = if request.attachment_required {
        "bắt buộc"
    } else {
        "không bắt buộc"
    };
    println!("  Tệp kèm:    {attachment}");
    if let Some(own) = &request.escalation {
        println!("  Cấp trên:   {}", own.describe_vi());
    }
}

fn or_none(text: String) -> String {
    if text.is_empty() { "không".to_string() } else { text }
}

async fn change_state(context: &Context, reference: &str, to: RequestState, at: Option<&str>) -> CliResult {
    let zone = context.settings.office.zone;
    let request = context.store.resolve_request(reference).await?;
    let now = context.at(at)?;
    let units = context.store.set_request_state(&request, to, now).await?;
    match to {
        RequestState::Active => {
            match request.deadline {
                Some(deadline) => println!(
                    "đã bắt đầu theo dõi {} ({}): {units} đơn vị, hạn {}",
                    request.token,
                    request.code,
                    format_instant(deadline, zone)
                ),
                None => println!(
                    "đã bắt đầu gửi {} ({}): văn bản để biết tới {units} đơn vị; chỉ gửi thông báo, không nhắc",
                    request.token, request.code
                ),
            }
            let calendar = &context.calendar;
            crate::services::reminders::plan_new_units(&context.store, &context.settings, calendar, now).await?;
            let stop = chrono::Duration::minutes(context.settings.reminders.stop_overdue_after_minutes);
            if let Some(deadline) = request.deadline {
                if now - deadline > stop {
                    println!(
                        "hạn đã qua {}: chỉ gửi thông báo, không gửi thư quá hạn (reminders.stop-overdue-after)",
                        crate::domain::plan::duration_vi((now - deadline).num_days() * 24 * 60)
                    );
                } else if now > deadline {
                    println!("hạn đã qua: thư quá hạn đã đến lượt trước lúc này không gửi; thông báo thay cho chúng");
                }
            }
            println!(
                "xem lịch gửi thư bằng: baocao reminders plan --request {}",
                request.token
            );
        }
        _ => {
            context
                .store
                .cancel_waiting(Some(request.id), None, crate::adapters::store::CLOSED, now)
                .await?;
            println!("đã đóng {} ({}); không nhắc thêm", request.token, request.code);
        }
    }
    Ok(())
}

async fn show(context: &Context, reference: &str, json: bool) -> CliResult {
    let zone = context.settings.office.zone;
    let request = context.store.resolve_request(reference).await?;
    let units = context.store.request_unit_codes(request.id).await?;
    let files = context.store.request_files(request.id).await?;
    if json {
        return print_json(&view(&request, units, files, zone));
    }
    println!("{} — số {} năm {}", request.token, request.code, request.year);
    println!("  Trích yếu:  {}", request.title);
    if let Some(issued) = request.issued_on {
        println!("  Ban hành:   {}", dates::format_date(issued));
    }
    if let Some(issuer) = &request.letter.issuer {
        println!("  Cơ quan:    {issuer}");
    }
    if let Some(content) = &request.letter.content {
        println!("  Nội dung:   {content}");
    }
    println!(
        "  Hạn:        {}",
        dates::deadline_shown(request.deadline, request.deadline_wording.as_deref(), zone)
    );
    println!("  Trạng thái: {}", request.state.label_vi());
    let mut named: Vec<String> = request.recipients.groups.iter().map(|g| format!("nhóm {g}")).collect();
    named.extend(request.recipients.units.iter().map(|u| u.to_string()));
    println!("  Gửi tới:    {} → {} đơn vị", named.join(", "), units.len());
    print_files(&files);
    print_policy(&request);
    let changes = context.store.request_changes(request.id).await?;
    if !changes.is_empty() {
        println!("  Lịch sử thay đổi:");
        for change in changes {
            println!(
                "    {} ({}) {}: {}",
                format_instant(change.changed_at, zone),
                change.changed_by,
                change.field,
                change_vi(change.before.as_deref(), change.after.as_deref())
            );
        }
    }
    Ok(())
}

async fn list(context: &Context, json: bool) -> CliResult {
    let zone = context.settings.office.zone;
    let requests = context.store.all_requests().await?;
    if json {
        let mut views = Vec::new();
        for request in &requests {
            let units = context.store.request_unit_codes(request.id).await?;
            let files = context.store.request_files(request.id).await?;
            views.push(view(request, units, files, zone));
        }
        return print_json(&views);
    }
    let rows: Vec<Vec<String>> = requests
        .iter()
        .map(|r| {
            vec![
                r.token.clone(),
                format!("{} (năm {})", r.code, r.year),
                r.title.clone(),
                dates::format_deadline(r.deadline, zone),
                r.state.label_vi().to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        crate::domain::report::table(&["Mã", "Số hiệu", "Trích yếu", "Hạn", "Trạng thái"], &rows)
    );
    println!("{} yêu cầu", requests.len());
    Ok(())
}
