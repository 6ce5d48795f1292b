//! `request from FILE`: the directive's text (`adapters::documents`) read into a proposal
//! (`domain::directive`), printed with each field's source line; created only with `--yes`
//! or, after the clerk edits the proposal file, by `request add --from-proposal`. Both go
//! through `request add`'s own code path.

use std::path::Path;

use super::{AddArgs, FromArgs, add, refused};
use crate::domain::directive::proposal_file::ProposalFile;
use crate::domain::directive::{Proposal, Registry, Setting, propose};
use crate::wiring::cli::{CliResult, Context, print_json};

/// The proposal of the directive in `args.file`, printed; created with `--yes`.
pub async fn from_directive(context: &Context, args: FromArgs) -> CliResult {
    let zone = context.settings.office.zone;
    let now = context.at(args.at.as_deref())?;
    let extracted = crate::adapters::documents::read_document(&args.file).map_err(refused)?;
    let registry = Registry::new(&context.store.all_units().await?, &context.store.group_names().await?);
    let setting = Setting {
        zone,
        report_mailbox: Some(context.settings.office.report_mailbox.to_string()),
    };
    let proposal = propose(&extracted.text, &registry, &setting);
    let file = ProposalFile::from_proposal(&proposal, zone);
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(note) = extracted.how.note_vi() {
        eprintln!("cảnh báo: {note}");
    }
    if args.json && args.yes {
        // `--json --yes` prints the created request as `request add --json` does.
    } else if args.json {
        print_json(&serde_json::json!({
            "proposal": &proposal,
            "rows": proposal.rows(zone),
            "request": &file,
            "missing_for_request": file.missing_vi(),
        }))?;
    } else {
        print_proposal(&proposal, &name, zone);
    }
    if let Some(path) = &args.write_proposal {
        std::fs::write(path, file.to_toml(&proposal, &name)).map_err(|e| {
            refused(format!(
                "không ghi được tệp đề xuất {}: {}",
                path.display(),
                crate::wiring::cli::io_error_vi(&e)
            ))
        })?;
        if !args.json {
            println!(
                "đã ghi đề xuất vào {}: xem, sửa rồi tạo yêu cầu bằng: baocao request add --from-proposal {}",
                path.display(),
                path.display()
            );
        }
    }
    if !args.yes {
        if !args.json && args.write_proposal.is_none() {
            let missing = file.missing_vi();
            if missing.is_empty() {
                println!(
                    "chưa tạo gì. Tạo yêu cầu (bản nháp) theo đề xuất này: thêm --yes; hoặc ghi ra tệp để sửa: \
                     --write-proposal de-xuat.toml"
                );
            } else {
                println!(
                    "chưa tạo gì. Đề xuất còn thiếu {}: ghi ra tệp để bổ sung (--write-proposal de-xuat.toml), rồi \
                     baocao request add --from-proposal de-xuat.toml",
                    missing.join(", ")
                );
            }
        }
        return Ok(());
    }
    for recipient in proposal.unmatched() {
        eprintln!(
            "cảnh báo: nơi nhận \"{}\" (dòng {}) chưa khớp nhóm hay đơn vị nào nên không có trong yêu cầu; thêm bằng \
             baocao request edit … --add-group/--add-unit nếu cần",
            recipient.text, recipient.line
        );
    }
    let args = args_of(file, empty_add_args(args.json)).map_err(|missing| {
        refused(format!(
            "chưa tạo yêu cầu: đề xuất còn thiếu {missing}. Ghi đề xuất ra tệp (--write-proposal de-xuat.toml), \
             bổ sung, rồi tạo bằng baocao request add --from-proposal de-xuat.toml"
        ))
    })?;
    add(context, args, now).await
}

/// `request add --from-proposal FILE`: the command's other options with the file's fields.
pub fn with_proposal_file(args: AddArgs, path: &Path) -> CliResult<AddArgs> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        refused(format!(
            "không đọc được tệp đề xuất {}: {}",
            path.display(),
            crate::wiring::cli::io_error_vi(&e)
        ))
    })?;
    let file = ProposalFile::parse(&text).map_err(refused)?;
    args_of(file, args).map_err(|missing| {
        refused(format!(
            "tệp đề xuất {} còn thiếu {missing}: điền vào tệp rồi chạy lại",
            path.display()
        ))
    })
}

/// `base` with the proposal's fields; `Err` lists what is missing.
fn args_of(file: ProposalFile, base: AddArgs) -> Result<AddArgs, String> {
    let missing = file.missing_vi();
    if !missing.is_empty() {
        return Err(missing.join(", "));
    }
    Ok(AddArgs {
        code: file.code,
        title: file.title,
        from_proposal: None,
        deadline: file.deadline.filter(|_| !file.no_report),
        no_report: file.no_report,
        groups: file.groups,
        units: file.units,
        issued: file.issued,
        issuer: file.issuer,
        kind: file.kind,
        year: file.year,
        no_attachment_required: !file.attachment_required.unwrap_or(true),
        content: base.content.or(file.content),
        remind: base.remind.or(file.remind),
        overdue: base.overdue.or(file.overdue),
        ..base
    })
}

fn empty_add_args(json: bool) -> AddArgs {
    AddArgs {
        code: None,
        title: None,
        from_proposal: None,
        deadline: None,
        no_report: false,
        attach: Vec::new(),
        reuse_number: false,
        groups: Vec::new(),
        units: Vec::new(),
        issued: None,
        issuer: None,
        kind: None,
        content: None,
        year: None,
        remind: None,
        overdue: None,
        no_attachment_required: false,
        escalate: Default::default(),
        json,
    }
}

/// The proposal as the clerk reads it: each field, the line it came from, what is missing.
fn print_proposal(proposal: &Proposal, name: &str, zone: chrono_tz::Tz) {
    println!("Đề xuất yêu cầu báo cáo từ văn bản {name}:");
    for row in proposal.rows(zone) {
        match (&row.value, &row.missing) {
            (Some(value), None) => println!("  {:<21} {value}", format!("{}:", row.label)),
            (Some(value), Some(why)) => println!("  {:<21} {value} — THIẾU: {why}", format!("{}:", row.label)),
            (None, why) => println!(
                "  {:<21} — THIẾU: {}",
                format!("{}:", row.label),
                why.as_deref().unwrap_or("không thấy trong văn bản")
            ),
        }
        if let Some(source) = &row.source {
            println!("  {:<21}   ↳ {}: {}", "", source.lines_vi(), source.text);
        }
    }
    for note in &proposal.notes {
        println!("lưu ý: {note}");
    }
}
