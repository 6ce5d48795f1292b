//! `baocao status [REQUEST]`: who has reported, for one request or for every open one.

use clap::Args;
use serde::Serialize;

use super::{CliError, CliResult, Context, print_json};
use crate::adapters::store::ServiceHealth;
use crate::domain::dates::format_instant;
use crate::domain::model::RequestState;
use crate::domain::report::status::{RequestStatus, render_text, request_status};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// BC-17, số hiệu hoặc SỐ@NĂM; mặc định: mọi yêu cầu chưa đóng
    #[arg(conflicts_with = "series")]
    pub request: Option<String>,
    /// Báo cáo định kỳ: bảng đơn vị × kỳ của chuỗi này (mã chuỗi, ví dụ bc-thang)
    #[arg(long, value_name = "CHUỖI")]
    pub series: Option<String>,
    /// Với --series: chỉ các kỳ của năm này
    #[arg(long, requires = "series")]
    pub year: Option<i32>,
    /// Với --series: chỉ một đơn vị (hồ sơ báo cáo của đơn vị qua các kỳ)
    #[arg(long, value_name = "U", requires = "series")]
    pub unit: Option<String>,
    /// Với --series: tình hình tại thời điểm này (mặc định: bây giờ)
    #[arg(long, value_name = "WHEN", requires = "series")]
    pub at: Option<String>,
    /// In kết quả dạng JSON (cho chương trình khác đọc)
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct StatusJson {
    requests: Vec<RequestStatus>,
    /// What each running `baocao run` last said about itself (empty: no service running).
    service: Vec<ServiceHealth>,
}

/// A service row older than this means the service is not running (it writes every 5 s).
const SERVICE_SILENT_SECONDS: i64 = 60;

/// `status --series S [--year Y] [--unit U]`: the unit × period matrix.
async fn series_matrix(context: &Context, args: &StatusArgs, code: &str) -> CliResult {
    let zone = context.settings.office.zone;
    let series = context.store.series_by_code(code).await?;
    let mut matrix = crate::services::series::matrix(
        &context.store,
        &series,
        args.year,
        context.at(args.at.as_deref())?,
        &context.calendar,
        zone,
    )
    .await?;
    if let Some(unit) = &args.unit {
        let unit = unit.trim().to_lowercase();
        matrix = matrix.only_unit(&unit);
        if matrix.rows.is_empty() {
            return Err(CliError::Refused(format!(
                "đơn vị `{unit}` không phải báo cáo kỳ nào của chuỗi {} đã tạo",
                series.code
            )));
        }
    }
    if args.json {
        return print_json(&matrix);
    }
    if matrix.columns.is_empty() {
        println!(
            "chuỗi {} chưa có kỳ nào{}",
            series.code,
            args.year.map(|y| format!(" trong năm {y}")).unwrap_or_default()
        );
        return Ok(());
    }
    print!("{}", matrix.render_text(zone));
    Ok(())
}

pub async fn run(context: &Context, args: StatusArgs) -> CliResult {
    if let Some(code) = &args.series {
        return series_matrix(context, &args, code).await;
    }
    let requests = match &args.request {
        Some(reference) => vec![context.store.resolve_request(reference).await?],
        None => {
            let all = context.store.all_requests().await?;
            all.into_iter().filter(|r| r.state != RequestState::Closed).collect()
        }
    };
    let now = context.now();
    let calendar = &context.calendar;
    let mut statuses = Vec::new();
    for request in &requests {
        let facts = context.store.status_facts(request.id).await?;
        statuses.push(request_status(
            request,
            &facts,
            now,
            (calendar, context.settings.office.zone),
        ));
    }
    let service = context.store.service_health().await?;
    if args.json {
        return print_json(&StatusJson {
            requests: statuses,
            service,
        });
    }
    if statuses.is_empty() {
        println!("chưa có yêu cầu báo cáo nào đang theo dõi (tạo bằng: baocao request add)");
    }
    for (i, status) in statuses.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print!("{}", render_text(status, context.settings.office.zone));
    }
    println!();
    print_service(&service, now, context.settings.office.zone);
    match running(&service, now).and_then(|s| s.login_refused.as_deref()) {
        Some(servers) => Err(CliError::MailLoginRefused(login_refused_vi(servers))),
        None => Ok(()),
    }
}

/// The newest instance's row, if it is still alive.
fn running(service: &[ServiceHealth], now: chrono::DateTime<chrono::Utc>) -> Option<&ServiceHealth> {
    service
        .first()
        .filter(|s| (now - s.updated_at).num_seconds() <= SERVICE_SILENT_SECONDS)
}

/// What a refused login means for the office and what to do, for `imap`, `smtp` or both.
fn login_refused_vi(servers: &str) -> String {
    let mut lines = Vec::new();
    if servers.contains("imap") {
        lines.push(
            "máy chủ thư từ chối đăng nhập hộp thư nhận báo cáo (IMAP): mật khẩu sai hoặc đã đổi; trong lúc này baocao không ghi nhận được báo cáo nào."
                .to_string(),
        );
    }
    if servers.contains("smtp") {
        lines.push(
            "máy chủ gửi thư từ chối đăng nhập (SMTP): mật khẩu sai hoặc đã đổi; trong lúc này không thư nhắc nào được gửi."
                .to_string(),
        );
    }
    lines.push(
        "việc cần làm: cán bộ CNTT sửa tệp mật khẩu (password-file hoặc password-credential trong /etc/baocao/baocao.toml) rồi chạy: systemctl restart baocao"
            .to_string(),
    );
    lines.join("\n")
}

/// One line about the service, and one per mail server it cannot reach.
fn print_service(service: &[ServiceHealth], now: chrono::DateTime<chrono::Utc>, zone: chrono_tz::Tz) {
    let Some(latest) = service.first() else {
        println!("Dịch vụ baocao: chưa chạy (khởi động bằng: systemctl start baocao)");
        return;
    };
    if (now - latest.updated_at).num_seconds() > SERVICE_SILENT_SECONDS {
        println!(
            "Dịch vụ baocao: không hoạt động từ {} (kiểm tra: systemctl status baocao)",
            format_instant(latest.updated_at, zone)
        );
        return;
    }
    println!(
        "Dịch vụ baocao: đang chạy ({})",
        latest.status_vi.as_deref().unwrap_or(&latest.status_line)
    );
    // The technical cause (English) is in the journal; the clerk reads what it means.
    if latest.imap_problem.is_some() {
        println!("  Không đọc được hộp thư nhận báo cáo, đang thử lại (chi tiết: journalctl -u baocao)");
    }
    if latest.smtp_problem.is_some() {
        println!("  Không gửi được thư, đang thử lại (chi tiết: journalctl -u baocao)");
    }
}
