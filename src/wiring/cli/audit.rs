//! `baocao audit`: the audit trail — who changed what, when, from the web page or the
//! command line — filtered, as lines, JSON or CSV.

use std::path::PathBuf;

use super::{CliError, CliResult, Context, print_json};
use crate::adapters::store::{AuditFilter, AuditSubject};

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Chỉ thay đổi của: request (yêu cầu), unit (đơn vị), group (nhóm), series (báo cáo
    /// định kỳ), review (thư cần kiểm tra), message (thư gửi đi)
    #[arg(long, value_name = "LOẠI")]
    pub subject: Option<String>,
    /// Chỉ thay đổi của đối tượng này: BC-17, mã đơn vị, mã chuỗi báo cáo, số thư
    #[arg(long, value_name = "MÃ")]
    pub key: Option<String>,
    /// Chỉ thay đổi của người này (người dùng trang web hoặc người dùng máy chủ)
    #[arg(long, value_name = "NGƯỜI")]
    pub by: Option<String>,
    /// Từ ngày (dd/mm/yyyy)
    #[arg(long, value_name = "NGÀY")]
    pub since: Option<String>,
    /// Đến hết ngày (dd/mm/yyyy)
    #[arg(long, value_name = "NGÀY")]
    pub until: Option<String>,
    /// Số dòng mới nhất tối đa (mặc định 200; 0: tất cả)
    #[arg(long, default_value_t = 200)]
    pub limit: i64,
    /// In dạng JSON (cho chương trình khác đọc)
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Ghi ra tệp CSV (mở được bằng Excel); `-` là màn hình
    #[arg(long, value_name = "TỆP")]
    pub csv: Option<PathBuf>,
}

pub async fn run(context: &Context, args: AuditArgs) -> CliResult {
    let zone = context.settings.office.zone;
    let day = |text: &Option<String>, flag: &str, through: bool| -> CliResult<_> {
        text.as_deref()
            .map(|text| crate::services::audit::day_bound(text, zone, through))
            .transpose()
            .map_err(|e| CliError::Refused(format!("{flag}: {e}")))
    };
    let subject = match &args.subject {
        Some(text) => Some(AuditSubject::parse(text.trim()).ok_or_else(|| {
            CliError::Refused(format!(
                "--subject: không có loại `{text}`; chọn request, unit, group, series, review hoặc message"
            ))
        })?),
        None => None,
    };
    let filter = AuditFilter {
        subject,
        key: args.key.clone(),
        actor: args.by.clone(),
        since: day(&args.since, "--since", false)?,
        until: day(&args.until, "--until", true)?,
        request_id: None,
        limit: (args.limit > 0).then_some(args.limit),
    };
    let rows = context.store.audit(&filter).await?;
    if args.json {
        return print_json(&rows);
    }
    if let Some(path) = &args.csv {
        let bytes = crate::services::audit::to_csv(&rows, zone).map_err(|e| CliError::Internal(e.into()))?;
        return super::export::write_out(path.clone(), &bytes, &format!("{} thay đổi", rows.len()));
    }
    if rows.is_empty() {
        println!("không có thay đổi nào khớp");
        return Ok(());
    }
    for row in &rows {
        println!("{}", crate::services::audit::line_vi(row, zone));
    }
    Ok(())
}
