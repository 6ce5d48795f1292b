//! `baocao series …`: periodic reports (báo cáo định kỳ). A series makes one request per
//! period, `lead-days` before its deadline; `series plan --year` shows them before they exist.

use chrono::{DateTime, Datelike, Utc};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::{CliError, CliResult, Context, print_json};
use crate::domain::dates::format_instant;
use crate::domain::model::{GroupCode, Offsets, Series, SeriesState, UnitCode};
use crate::domain::period::{CutOff, DeadlineSpec, Instance, OnDayOff, PeriodKind};

#[derive(Debug, Subcommand)]
pub enum SeriesCommand {
    /// Tạo một chuỗi báo cáo định kỳ (tháng, quý, 6 tháng, 9 tháng, năm, năm học)
    Add(Box<AddArgs>),
    /// Liệt kê các chuỗi báo cáo định kỳ
    List {
        /// In kết quả dạng JSON
        #[arg(long)]
        json: bool,
    },
    /// Xem một chuỗi: lịch, các kỳ đã tạo, kỳ tiếp theo
    Show {
        /// Mã chuỗi, ví dụ bc-thang
        series: String,
        /// Coi như bây giờ là thời điểm này
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
        /// In kết quả dạng JSON
        #[arg(long)]
        json: bool,
    },
    /// Các kỳ báo cáo của một năm và hạn của từng kỳ theo lịch làm việc (chưa tạo gì)
    Plan {
        /// Mã chuỗi
        series: String,
        /// Năm, ví dụ 2027
        #[arg(long)]
        year: i32,
        /// In kết quả dạng JSON
        #[arg(long)]
        json: bool,
    },
    /// Sửa chuỗi: áp dụng cho các kỳ tạo sau (kỳ đã tạo sửa bằng baocao request edit)
    Edit(Box<EditArgs>),
    /// Tạm dừng: không tạo kỳ mới (các kỳ đã tạo vẫn được nhắc)
    Pause {
        /// Mã chuỗi
        series: String,
    },
    /// Chạy lại chuỗi đã tạm dừng, từ kỳ đầu tiên chưa tới hạn (các kỳ trong lúc dừng không tạo)
    Resume {
        /// Mã chuỗi
        series: String,
        /// Coi như bây giờ là thời điểm này
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
    },
    /// Kết thúc chuỗi: không tạo kỳ mới
    Close {
        /// Mã chuỗi
        series: String,
    },
    /// Tạo ngay các kỳ đã đến lúc tạo (dịch vụ tự làm việc này mỗi phút)
    MakeDue {
        /// Coi như bây giờ là thời điểm này
        #[arg(long, value_name = "WHEN")]
        at: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Mã chuỗi: chữ thường không dấu, số, dấu -, ví dụ bc-thang-cchc
    pub code: String,
    /// Số hiệu văn bản giao báo cáo định kỳ, ví dụ 12/KH-UBND
    #[arg(long = "doc", value_name = "SỐ")]
    pub doc: String,
    /// Trích yếu, không ghi kỳ (kỳ được thêm vào từng yêu cầu): "Báo cáo công tác cải cách hành chính"
    #[arg(long)]
    pub title: String,
    /// Kỳ báo cáo: thang, quy, 6-thang, 9-thang, nam, nam-hoc
    #[arg(long = "period", value_name = "KỲ")]
    pub period: String,
    /// Hạn mỗi kỳ: "ngày 15 tháng cuối kỳ", "ngày 5 tháng sau kỳ", "3 ngày làm việc sau ngày chốt số liệu", có thể thêm giờ
    #[arg(long)]
    pub deadline: String,
    /// Ngày chốt số liệu: ngày trong tháng cuối kỳ (mặc định 14, Nghị định 09/2019/NĐ-CP) hoặc cuoi-ky
    #[arg(long, value_name = "NGÀY")]
    pub cut_off: Option<String>,
    /// Hạn rơi vào ngày nghỉ: sau (mặc định, Bộ luật Dân sự Điều 148), truoc, giu
    #[arg(long, value_name = "CÁCH")]
    pub on_day_off: Option<String>,
    /// Năm học: ngày kết thúc đầu năm học, học kỳ I, cuối năm học (mặc định 30/09,15/01,31/05)
    #[arg(long, value_name = "NGÀY")]
    pub school_dates: Option<String>,
    /// Tạo mỗi kỳ (và gửi thông báo) trước hạn bao nhiêu ngày (mặc định 15)
    #[arg(long, default_value_t = 15)]
    pub lead_days: u32,
    /// Kỳ đầu tiên, ví dụ "Quý I/2027", "T1/2027", 2027-Q1 (mặc định: kỳ đầu tiên chưa tới hạn)
    #[arg(long, value_name = "KỲ")]
    pub from: Option<String>,
    /// Nhóm đơn vị phải báo cáo (ghi nhiều lần cho nhiều nhóm)
    #[arg(long = "group", value_name = "G")]
    pub groups: Vec<String>,
    /// Đơn vị phải báo cáo, theo mã
    #[arg(long = "unit", value_name = "U")]
    pub units: Vec<String>,
    /// Ngày ban hành văn bản (dd/mm/yyyy)
    #[arg(long)]
    pub issued: Option<String>,
    /// Cơ quan ban hành văn bản
    #[arg(long)]
    pub issuer: Option<String>,
    /// Loại văn bản (mặc định theo số hiệu)
    #[arg(long)]
    pub kind: Option<String>,
    /// Nội dung yêu cầu: báo cáo gì, theo mẫu nào
    #[arg(long)]
    pub content: Option<String>,
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
    /// Tệp gửi kèm thông báo của mỗi kỳ: văn bản giao báo cáo, biểu mẫu (tổng ≤ 7 MB)
    #[arg(long = "attach", value_name = "TỆP")]
    pub attach: Vec<std::path::PathBuf>,
    /// Coi như bây giờ là thời điểm này
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
    /// In kết quả dạng JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Mã chuỗi
    pub series: String,
    /// Trích yếu mới (không ghi kỳ)
    #[arg(long)]
    pub title: Option<String>,
    /// Nội dung yêu cầu mới ("" để bỏ)
    #[arg(long)]
    pub content: Option<String>,
    /// Cơ quan ban hành mới ("" để bỏ)
    #[arg(long)]
    pub issuer: Option<String>,
    /// Hạn mỗi kỳ mới, ví dụ "ngày 10 tháng sau kỳ"
    #[arg(long)]
    pub deadline: Option<String>,
    /// Hạn rơi vào ngày nghỉ: sau, truoc, giu
    #[arg(long, value_name = "CÁCH")]
    pub on_day_off: Option<String>,
    /// Ngày chốt số liệu: ngày trong tháng cuối kỳ hoặc cuoi-ky
    #[arg(long, value_name = "NGÀY")]
    pub cut_off: Option<String>,
    /// Tạo mỗi kỳ trước hạn bao nhiêu ngày
    #[arg(long)]
    pub lead_days: Option<u32>,
    /// Nhắc trước hạn, ví dụ 7d,3d,1d
    #[arg(long)]
    pub remind: Option<String>,
    /// Nhắc sau hạn, ví dụ 1d,3d,7d
    #[arg(long)]
    pub overdue: Option<String>,
    /// Thêm nhóm đơn vị
    #[arg(long = "add-group", value_name = "G")]
    pub add_groups: Vec<String>,
    /// Bỏ nhóm đơn vị
    #[arg(long = "remove-group", value_name = "G")]
    pub remove_groups: Vec<String>,
    /// Thêm đơn vị
    #[arg(long = "add-unit", value_name = "U")]
    pub add_units: Vec<String>,
    /// Bỏ đơn vị
    #[arg(long = "remove-unit", value_name = "U")]
    pub remove_units: Vec<String>,
    #[command(flatten)]
    pub escalate: super::escalate::EscalateArgs,
    /// Bỏ cài đặt chuyển cấp trên riêng: dùng cấu hình chung
    #[arg(long, conflicts_with = "escalate_after")]
    pub escalate_default: bool,
}

fn refused(message: impl ToString) -> CliError {
    CliError::Refused(message.to_string())
}

pub async fn run(context: &Context, command: SeriesCommand) -> CliResult {
    match command {
        SeriesCommand::Add(args) => add(context, *args).await,
        SeriesCommand::List { json } => list(context, json).await,
        SeriesCommand::Show { series, at, json } => show(context, &series, at.as_deref(), json).await,
        SeriesCommand::Plan { series, year, json } => plan(context, &series, year, json).await,
        SeriesCommand::Edit(args) => edit(context, *args).await,
        SeriesCommand::Pause { series } => change(context, &series, SeriesState::Paused, None).await,
        SeriesCommand::Resume { series, at } => change(context, &series, SeriesState::Active, at.as_deref()).await,
        SeriesCommand::Close { series } => change(context, &series, SeriesState::Closed, None).await,
        SeriesCommand::MakeDue { at } => make_due(context, at.as_deref()).await,
    }
}

fn parse_list<T, E: ToString>(values: &[String], parse: fn(&str) -> Result<T, E>) -> CliResult<Vec<T>> {
    values.iter().map(|v| parse(v).map_err(refused)).collect()
}

async fn add(context: &Context, args: AddArgs) -> CliResult {
    let zone = context.settings.office.zone;
    let now = context.at(args.at.as_deref())?;
    let or_empty = |value: &Option<String>| value.clone().unwrap_or_default();
    let form = crate::services::series::SeriesForm {
        code: args.code.clone(),
        doc: args.doc.clone(),
        title: args.title.clone(),
        period: args.period.clone(),
        deadline: args.deadline.clone(),
        cut_off: or_empty(&args.cut_off),
        on_day_off: or_empty(&args.on_day_off),
        school_dates: or_empty(&args.school_dates),
        lead_days: args.lead_days.to_string(),
        from: or_empty(&args.from),
        groups: args.groups.clone(),
        units: args.units.clone(),
        issued: or_empty(&args.issued),
        issuer: or_empty(&args.issuer),
        kind: or_empty(&args.kind),
        content: or_empty(&args.content),
        remind: args.remind.clone(),
        overdue: args.overdue.clone(),
        no_attachment_required: args.no_attachment_required,
    };
    let defaults = &context.settings.reminders;
    let mut input = crate::services::series::read_series_form(
        &form,
        (&defaults.remind_before, &defaults.overdue_after),
        (&context.calendar, zone),
        now,
    )
    .map_err(|problems| {
        // As the flags are named.
        let said: Vec<String> = problems
            .into_iter()
            .map(|(field, text)| match field {
                "period" | "deadline" | "title" | "code" | "doc" => text,
                other => {
                    let flag = match other {
                        "groups" => "group",
                        "units" => "unit",
                        flag => flag,
                    };
                    format!("--{} {text}", flag.replace('_', "-"))
                }
            })
            .collect();
        refused(said.join("\n"))
    })?;
    input.escalation = args.escalate.escalation()?;
    let files = super::requests::read_files(&args.attach)?;
    let series = context.store.create_series(&input, &files, now).await?;
    if args.json {
        return print_json(&series);
    }
    println!(
        "đã tạo chuỗi báo cáo {} ({}): {}",
        series.code,
        series.input.schedule.kind.label_vi(),
        series.input.title
    );
    print_schedule(&series);
    print_files(&context.store.series_files(&series).await?);
    let upcoming = upcoming(context, &series, now, 3);
    println!("Các kỳ sắp tới:");
    print_instances(&upcoming, zone);
    if let Some(early) = upcoming
        .iter()
        .find(|i| i.deadline.with_timezone(&zone).date_naive() <= i.data_to)
    {
        println!(
            "cảnh báo: hạn kỳ {} ({}) không sau ngày chốt số liệu ({}): đơn vị phải báo cáo trước khi có đủ số liệu; kiểm tra lại --deadline hoặc --cut-off",
            early.label,
            format_instant(early.deadline, zone),
            early.data_to.format("%d/%m/%Y")
        );
    }
    let longest = series.input.remind_before.minutes().iter().copied().max().unwrap_or(0);
    if longest > i64::from(series.input.schedule.lead_days) * 24 * 60 {
        println!(
            "cảnh báo: mỗi kỳ được tạo {} ngày trước hạn, nên lần nhắc sớm nhất ({}) không gửi; tăng --lead-days nếu cần",
            series.input.schedule.lead_days,
            crate::domain::plan::duration_vi(longest)
        );
    }
    println!(
        "dịch vụ tự tạo từng kỳ khi đến lúc; xem trước cả năm bằng: baocao series plan {} --year {}",
        series.code,
        now.with_timezone(&zone).year() + 1
    );
    Ok(())
}

fn print_schedule(series: &Series) {
    let input = &series.input;
    let schedule = &input.schedule;
    println!("  Văn bản:      {} — {}", input.doc_code, input.title);
    println!(
        "  Kỳ:           {}, từ {}",
        schedule.kind.label_vi(),
        input.first_period.label_vi()
    );
    println!(
        "  Hạn mỗi kỳ:   {} (văn bản ghi: \"{}\")",
        schedule.deadline.describe_vi(),
        input.deadline_text
    );
    println!("  Ngày nghỉ:    {}", schedule.deadline.on_day_off.describe_vi());
    if schedule.kind == PeriodKind::SchoolYear {
        println!(
            "  Mốc năm học:  kết thúc đầu năm học, học kỳ I, cuối năm học: {}",
            schedule.school.to_text()
        );
    } else {
        println!("  Chốt số liệu: {}", schedule.cut_off.describe_vi());
    }
    println!(
        "  Tạo mỗi kỳ:   {} ngày trước hạn (thông báo gửi khi tạo)",
        schedule.lead_days
    );
    let mut who: Vec<String> = input.recipients.groups.iter().map(|g| format!("nhóm {g}")).collect();
    who.extend(input.recipients.units.iter().map(|u| u.to_string()));
    println!("  Đơn vị:       {}", who.join(", "));
    println!(
        "  Nhắc:         trước hạn {}; sau hạn {}",
        or_none(input.remind_before.to_text()),
        or_none(input.overdue_after.to_text_ascending())
    );
    let escalation = match &input.escalation {
        Some(own) => own.describe_vi(),
        None => "theo cấu hình ([reminders] escalate-after)".to_string(),
    };
    println!("  Cấp trên:     {escalation}");
    println!("  Trạng thái:   {}", series.state.label_vi());
}

fn print_files(files: &[(String, i64)]) {
    if !files.is_empty() {
        let names: Vec<String> = files
            .iter()
            .map(|(name, size)| format!("{name} ({} KB)", (size + 1023) / 1024))
            .collect();
        println!("  Tệp gửi kèm:  {}", names.join(", "));
    }
}

fn or_none(text: String) -> String {
    if text.is_empty() { "không".to_string() } else { text }
}

/// The next `count` instances not made yet.
fn upcoming(context: &Context, series: &Series, now: DateTime<Utc>, count: usize) -> Vec<Instance> {
    let zone = context.settings.office.zone;
    let schedule = &series.input.schedule;
    let mut period = series.input.first_period;
    let mut out = Vec::new();
    for _ in 0..240 {
        let instance = schedule.instance(period, &context.calendar, zone);
        if instance.deadline > now {
            out.push(instance);
            if out.len() == count {
                break;
            }
        }
        period = period.next();
    }
    out
}

fn print_instances(instances: &[Instance], zone: chrono_tz::Tz) {
    for instance in instances {
        println!(
            "  {:<28} số liệu {}–{}  hạn {}  tạo {}",
            instance.label,
            instance.data_from.format("%d/%m/%Y"),
            instance.data_to.format("%d/%m/%Y"),
            format_instant(instance.deadline, zone),
            instance.create_at.with_timezone(&zone).format("%d/%m/%Y")
        );
        if let Some(moved) = &instance.moved {
            println!("  {:<28} {moved}", "");
        }
        if let Some(warning) = &instance.warning {
            println!("  {:<28} cảnh báo: {warning}", "");
        }
    }
}

/// A series as `--json` lists it.
#[derive(Debug, Serialize)]
struct SeriesView<'a> {
    #[serde(flatten)]
    series: &'a Series,
    instances: Vec<crate::adapters::store::SeriesInstance>,
}

async fn list(context: &Context, json: bool) -> CliResult {
    let all = context.store.list_series().await?;
    if json {
        let mut views = Vec::new();
        for series in &all {
            views.push(SeriesView {
                series,
                instances: context.store.series_instances(series).await?,
            });
        }
        return print_json(&views);
    }
    if all.is_empty() {
        println!("chưa có chuỗi báo cáo định kỳ nào; tạo bằng: baocao series add");
        return Ok(());
    }
    for series in &all {
        let made = context.store.series_instances(series).await?;
        println!(
            "{:<20} {:<12} {:<14} {} ({} kỳ đã tạo)",
            series.code,
            series.input.schedule.kind.label_vi(),
            series.state.label_vi(),
            series.input.title,
            made.len()
        );
    }
    Ok(())
}

async fn show(context: &Context, code: &str, at: Option<&str>, json: bool) -> CliResult {
    let zone = context.settings.office.zone;
    let now = context.at(at)?;
    let series = context.store.series_by_code(code).await?;
    let made = context.store.series_instances(&series).await?;
    if json {
        return print_json(&SeriesView {
            series: &series,
            instances: made,
        });
    }
    println!("Chuỗi báo cáo {}", series.code);
    print_schedule(&series);
    print_files(&context.store.series_files(&series).await?);
    if made.is_empty() {
        println!("Chưa tạo kỳ nào.");
    } else {
        println!("Các kỳ đã tạo:");
        for instance in &made {
            println!(
                "  {:<8} {:<28} hạn {}  ({})",
                instance.token,
                instance.period_label,
                format_instant(instance.deadline, zone),
                crate::domain::model::RequestState::parse(&instance.state)
                    .map_or(instance.state.as_str(), |s| s.label_vi())
            );
        }
    }
    if series.state == SeriesState::Active {
        let made_keys: Vec<&str> = made.iter().map(|m| m.period_key.as_str()).collect();
        let next: Vec<Instance> = upcoming(context, &series, now, 4)
            .into_iter()
            .filter(|i| !made_keys.contains(&i.key.as_str()))
            .take(2)
            .collect();
        if !next.is_empty() {
            println!("Kỳ tiếp theo:");
            print_instances(&next, zone);
        }
    }
    Ok(())
}

async fn plan(context: &Context, code: &str, year: i32, json: bool) -> CliResult {
    let zone = context.settings.office.zone;
    let series = context.store.series_by_code(code).await?;
    let instances = series
        .input
        .schedule
        .year_plan(year, series.input.first_period, &context.calendar, zone);
    if json {
        return print_json(&instances);
    }
    println!(
        "{} — các kỳ của năm {year} ({}):",
        series.code,
        series.input.schedule.deadline.describe_vi()
    );
    if instances.is_empty() {
        println!("  không có kỳ nào");
    }
    print_instances(&instances, zone);
    if let Some(years) = crate::domain::calendar::unconfirmed_short_vi(
        &[year]
            .into_iter()
            .filter(|y| !context.calendar.is_confirmed(*y))
            .collect::<Vec<_>>(),
    ) {
        println!("lưu ý: {years}");
    }
    Ok(())
}

async fn edit(context: &Context, args: EditArgs) -> CliResult {
    let series = context.store.series_by_code(&args.series).await?;
    let mut input = series.input.clone();
    let mut changed: Vec<String> = Vec::new();
    let optional = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
    if let Some(title) = &args.title {
        input.title = title.trim().to_string();
        changed.push(format!("trích yếu: {}", input.title));
    }
    if let Some(content) = &args.content {
        input.letter.content = optional(content);
        changed.push("nội dung yêu cầu".to_string());
    }
    if let Some(issuer) = &args.issuer {
        input.letter.issuer = optional(issuer);
        changed.push("cơ quan ban hành".to_string());
    }
    if let Some(text) = &args.on_day_off {
        input.schedule.deadline.on_day_off =
            OnDayOff::parse(text).ok_or_else(|| refused(format!("--on-day-off `{text}`: ghi sau, truoc hoặc giu")))?;
        changed.push(input.schedule.deadline.on_day_off.describe_vi().to_string());
    }
    if let Some(text) = &args.deadline {
        input.schedule.deadline = DeadlineSpec::parse(text, input.schedule.deadline.on_day_off).map_err(refused)?;
        input.deadline_text = text.trim().to_string();
        changed.push(format!("hạn mỗi kỳ: {}", input.schedule.deadline.describe_vi()));
    }
    if let Some(text) = &args.cut_off {
        input.schedule.cut_off = CutOff::parse(text).ok_or_else(|| {
            refused(format!(
                "--cut-off `{text}`: ghi ngày trong tháng cuối kỳ (1–31) hoặc cuoi-ky"
            ))
        })?;
        changed.push(input.schedule.cut_off.describe_vi());
    }
    if let Some(days) = args.lead_days {
        input.schedule.lead_days = days;
        changed.push(format!("tạo mỗi kỳ {days} ngày trước hạn"));
    }
    if let Some(text) = &args.remind {
        input.remind_before = Offsets::parse(text).map_err(refused)?;
        changed.push(format!("nhắc trước hạn {}", or_none(input.remind_before.to_text())));
    }
    if let Some(text) = &args.overdue {
        input.overdue_after = Offsets::parse(text).map_err(refused)?;
        changed.push(format!(
            "nhắc sau hạn {}",
            or_none(input.overdue_after.to_text_ascending())
        ));
    }
    for group in parse_list(&args.add_groups, GroupCode::parse)? {
        if !input.recipients.groups.contains(&group) {
            changed.push(format!("thêm nhóm {group}"));
            input.recipients.groups.push(group);
        }
    }
    for group in parse_list(&args.remove_groups, GroupCode::parse)? {
        input.recipients.groups.retain(|g| *g != group);
        changed.push(format!("bỏ nhóm {group}"));
    }
    for unit in parse_list(&args.add_units, UnitCode::parse)? {
        if !input.recipients.units.contains(&unit) {
            changed.push(format!("thêm đơn vị {unit}"));
            input.recipients.units.push(unit);
        }
    }
    for unit in parse_list(&args.remove_units, UnitCode::parse)? {
        input.recipients.units.retain(|u| *u != unit);
        changed.push(format!("bỏ đơn vị {unit}"));
    }
    if let Some(own) = args.escalate.escalation()? {
        changed.push(format!("chuyển cấp trên: {}", own.describe_vi()));
        input.escalation = Some(own);
    }
    if args.escalate_default {
        input.escalation = None;
        changed.push("chuyển cấp trên: theo cấu hình".to_string());
    }
    if changed.is_empty() {
        return Err(refused(
            "không có gì để sửa: ghi ít nhất một thay đổi (xem baocao series edit --help)",
        ));
    }
    let updated = context.store.update_series(&series, &input, context.now()).await?;
    println!("đã sửa chuỗi {} (áp dụng cho các kỳ tạo sau):", updated.code);
    for change in &changed {
        println!("  - {change}");
    }
    let made = context.store.series_instances(&updated).await?;
    if !made.is_empty() {
        let tokens: Vec<&str> = made.iter().map(|m| m.token.as_str()).collect();
        println!(
            "các kỳ đã tạo ({}) giữ nguyên; sửa từng kỳ bằng: baocao request edit BC-…",
            tokens.join(", ")
        );
    }
    Ok(())
}

async fn change(context: &Context, code: &str, to: SeriesState, at: Option<&str>) -> CliResult {
    let zone = context.settings.office.zone;
    let now = context.at(at)?;
    let series = context.store.series_by_code(code).await?;
    let first =
        crate::services::series::change_state(&context.store, &series, to, now, &context.calendar, zone).await?;
    match (to, first) {
        (SeriesState::Active, Some(first)) => println!(
            "chuỗi {} chạy lại; kỳ tiếp theo được tạo: {}",
            series.code,
            first.label_vi()
        ),
        (SeriesState::Paused, _) => println!(
            "đã tạm dừng chuỗi {}: không tạo kỳ mới; các kỳ đã tạo vẫn được nhắc",
            series.code
        ),
        _ => println!("đã kết thúc chuỗi {}: không tạo kỳ mới", series.code),
    }
    Ok(())
}

async fn make_due(context: &Context, at: Option<&str>) -> CliResult {
    let zone = context.settings.office.zone;
    let now = context.at(at)?;
    let made = crate::services::series::make_due(&context.store, &context.calendar, zone, now).await?;
    crate::services::reminders::plan_new_units(&context.store, &context.settings, &context.calendar, now).await?;
    if made.is_empty() {
        println!("chưa có kỳ báo cáo nào đến lúc tạo");
    }
    for instance in &made {
        println!(
            "đã tạo {} — {} kỳ {}: hạn {}{}",
            instance.token,
            instance.series,
            instance.label,
            format_instant(instance.deadline, zone),
            if instance.quiet {
                " (kỳ bị lỡ khi dịch vụ ngừng: không gửi thư, chỉ theo dõi)"
            } else {
                ""
            }
        );
        if let Some(warning) = &instance.warning {
            println!("  cảnh báo: {warning}");
        }
    }
    Ok(())
}
