//! `baocao export REQUEST --format csv|xlsx [--only pending|late|all] [-o FILE]`: the list
//! a clerk prints or sends on ("Danh sách đơn vị chưa báo cáo").

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{CliError, CliResult, Context};
use crate::domain::report::export::{self, Only};
use crate::domain::report::status::request_status;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Xlsx,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// BC-17, số hiệu hoặc SỐ@NĂM
    #[arg(required_unless_present = "series", conflicts_with = "series")]
    pub request: Option<String>,
    /// Báo cáo định kỳ: bảng tổng hợp đơn vị × kỳ của chuỗi này
    #[arg(long, value_name = "CHUỖI")]
    pub series: Option<String>,
    /// Với --series: chỉ các kỳ của năm này
    #[arg(long, requires = "series")]
    pub year: Option<i32>,
    /// Với --series: tình hình tại thời điểm này (mặc định: bây giờ)
    #[arg(long, value_name = "WHEN", requires = "series")]
    pub at: Option<String>,
    /// csv hoặc xlsx
    #[arg(long, value_enum)]
    pub format: Format,
    /// pending (chưa báo cáo, mặc định), late (trễ hạn) hoặc all (tất cả)
    #[arg(long, default_value = "pending")]
    pub only: String,
    /// Tệp ghi ra; mặc định: bc-17-chua-bao-cao.xlsx trong thư mục hiện tại; `-` là màn hình
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `export --series S`: "Tổng hợp tình hình báo cáo định kỳ".
async fn series(context: &Context, args: &ExportArgs, code: &str) -> CliResult {
    let zone = context.settings.office.zone;
    let now = context.at(args.at.as_deref())?;
    let series = context.store.series_by_code(code).await?;
    let matrix =
        crate::services::series::matrix(&context.store, &series, args.year, now, &context.calendar, zone).await?;
    let (bytes, extension) = match args.format {
        Format::Csv => (matrix.to_csv(zone), "csv"),
        Format::Xlsx => (
            matrix
                .to_xlsx(&context.settings.office.name, now, zone)
                .map_err(|e| CliError::Internal(anyhow::Error::new(e)))?,
            "xlsx",
        ),
    };
    let year = args.year.map(|y| format!("-{y}")).unwrap_or_default();
    let name = format!("{}{year}-tong-hop-dinh-ky.{extension}", series.code);
    write_out(
        args.output.clone().unwrap_or_else(|| PathBuf::from(name)),
        &bytes,
        &format!("{} đơn vị × {} kỳ", matrix.rows.len(), matrix.columns.len()),
    )
}

pub(super) fn write_out(path: PathBuf, bytes: &[u8], what: &str) -> CliResult {
    if path.as_os_str() == "-" {
        std::io::stdout()
            .write_all(bytes)
            .map_err(|e| CliError::Internal(e.into()))?;
        return Ok(());
    }
    std::fs::write(&path, bytes)
        .map_err(|e| CliError::Refused(format!("không ghi được tệp {}: {e}", path.display())))?;
    println!("đã ghi {} ({what})", path.display());
    Ok(())
}

pub async fn run(context: &Context, args: ExportArgs) -> CliResult {
    if let Some(code) = &args.series {
        return series(context, &args, code).await;
    }
    let only = Only::parse(&args.only)
        .ok_or_else(|| CliError::Refused(format!("--only {}: chọn pending, late hoặc all", args.only)))?;
    let request = context
        .store
        .resolve_request(args.request.as_deref().unwrap_or_default())
        .await?;
    let now = context.now();
    let zone = context.settings.office.zone;
    let facts = context.store.status_facts(request.id).await?;
    let calendar = &context.calendar;
    let status = request_status(&request, &facts, now, (calendar, zone));
    let sections = export::sections(&status, only, zone);
    let bytes = match args.format {
        Format::Csv => export::to_csv(&sections),
        Format::Xlsx => {
            let heading = export::heading(&status, &context.settings.office.name, only, now, zone);
            export::to_xlsx(&heading, &sections).map_err(|e| CliError::Internal(anyhow::Error::new(e)))?
        }
    };
    let rows: usize = sections.iter().map(|s| s.rows.len()).sum();
    let path = args
        .output
        .unwrap_or_else(|| PathBuf::from(default_name(&request.token, only, args.format)));
    write_out(path, &bytes, &format!("{rows} đơn vị"))
}

fn default_name(token: &str, only: Only, format: Format) -> String {
    let extension = match format {
        Format::Csv => "csv",
        Format::Xlsx => "xlsx",
    };
    export::file_name(token, only, extension)
}
