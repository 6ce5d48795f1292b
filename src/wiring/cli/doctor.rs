//! `baocao doctor`: one line per check, each with a clear verdict, for the IT officer who
//! installs the service: configuration, database, SMTP (reachable, login), IMAP (reachable,
//! login, mailbox, IDLE), templates, and the calendar file for this year and the next.
//! Exit 1 when any check fails; warnings do not fail.

use chrono::Datelike;
use clap::Args;

use super::ask::{self, Asked, Route};
use super::{Cli, CliError, CliResult};
use crate::adapters::config::{self, Settings};
use crate::adapters::store::Store;
use crate::services::checks::{Check, Checks, Verdict};
use crate::services::jobs::JobKind;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Tự đọc mật khẩu thư để kiểm tra đăng nhập (quyền root hoặc người dùng baocao), không nhờ dịch vụ đang chạy
    #[arg(long)]
    pub direct: bool,
}

pub async fn run(cli: &Cli, args: &DoctorArgs) -> CliResult {
    crate::adapters::tls::install_crypto_provider();
    let mut report = Checks::printing();
    let loaded = match config::load(&cli.config) {
        Ok(loaded) => loaded,
        Err(error) => {
            report.line(Verdict::Failed, "Cấu hình", cli.config.display().to_string());
            return Err(CliError::Config(error));
        }
    };
    let mut settings = loaded.settings;
    if let Some(url) = &cli.database {
        settings.database_url = config::DatabaseUrl::parse(url);
    }
    let warnings = loaded.warnings.len() + config::secret_permission_warnings(&settings).len();
    if warnings == 0 {
        report.line(Verdict::Ok, "Cấu hình", cli.config.display().to_string());
    } else {
        report.line(
            Verdict::Warning,
            "Cấu hình",
            format!(
                "{} ({warnings} cảnh báo, xem: baocao check-config)",
                cli.config.display()
            ),
        );
    }

    database(&mut report, &settings).await;
    mail(&mut report, &settings, cli, args.direct).await;

    match crate::services::letters::Templates::load(settings.templates_dir.as_deref()) {
        Ok(loaded) if loaded.warnings.is_empty() => {
            report.line(Verdict::Ok, "Mẫu thư", "mọi mẫu hiển thị được với dữ liệu mẫu")
        }
        Ok(loaded) => report.line(Verdict::Warning, "Mẫu thư", loaded.warnings.join("; ")),
        Err(error) => report.line(Verdict::Failed, "Mẫu thư", error.to_string().replace('\n', "; ")),
    }

    calendar(&mut report, &settings, &loaded.calendar);

    if report.failed() > 0 {
        return Err(CliError::Refused(format!("{} mục kiểm tra không đạt", report.failed())));
    }
    Ok(())
}

async fn database(report: &mut Checks, settings: &Settings) {
    let what = format!(
        "Cơ sở dữ liệu {}",
        super::redact_url(&settings.database_url.to_string())
    );
    let store = match Store::open_existing(&settings.database_url).await {
        Ok(store) => store,
        Err(crate::adapters::store::StoreError::NotFound(text)) => {
            report.line(Verdict::Failed, &what, text);
            return;
        }
        Err(error) => {
            report.line(
                Verdict::Failed,
                &what,
                format!("không mở được: {}", super::error_chain(&error)),
            );
            return;
        }
    };
    match store.is_migrated().await {
        Ok(true) => {}
        Ok(false) => {
            report.line(Verdict::Failed, &what, "chưa khởi tạo hoặc cũ: chạy `baocao migrate`");
            store.close().await;
            return;
        }
        Err(error) => {
            report.line(Verdict::Failed, &what, super::error_chain(&error));
            store.close().await;
            return;
        }
    }
    #[allow(clippy::disallowed_methods)]
    let now = chrono::Utc::now();
    match store.check_writable(now).await {
        Ok(()) => report.line(Verdict::Ok, &what, "mở được, ghi được, cấu trúc mới nhất"),
        Err(error) => report.line(
            Verdict::Failed,
            &what,
            format!("không ghi được: {}", super::error_chain(&error)),
        ),
    }
    store.close().await;
}

/// The SMTP and IMAP checks, with the passwords read here when this user can (or
/// `--direct`), else made by the running service with its own.
async fn mail(report: &mut Checks, settings: &Settings, cli: &Cli, direct: bool) {
    if direct {
        ask::prepare_direct(&cli.config);
    }
    let unreadable = ask::unreadable(settings, JobKind::MailCheck);
    let asked = Asked {
        direct,
        simulated: false,
    };
    if unreadable.is_none() || direct {
        if let Err(text) = ask::choose(asked, false, unreadable, "baocao doctor") {
            report.line(Verdict::Failed, "Mật khẩu thư", text.replace('\n', " "));
            return;
        }
        crate::services::checks::smtp(report, settings).await;
        crate::services::checks::imap(report, settings).await;
        return;
    }
    let store = match Store::open_existing(&settings.database_url).await {
        Ok(store) => store,
        Err(_) => {
            let why = unreadable.unwrap_or_default();
            report.line(
                Verdict::Failed,
                "Mật khẩu thư",
                format!("{why}; không hỏi được dịch vụ baocao vì cơ sở dữ liệu không mở được"),
            );
            return;
        }
    };
    #[allow(clippy::disallowed_methods)]
    let now = chrono::Utc::now();
    let alive = ask::service_alive(&store, now).await.unwrap_or(false);
    match ask::choose(asked, alive, unreadable, "baocao doctor") {
        Ok(Route::Service) => match ask::ask(&store, JobKind::MailCheck).await {
            Ok(answer) => {
                report.line(
                    Verdict::Ok,
                    "Mật khẩu thư",
                    "chỉ dịch vụ baocao đọc được; dịch vụ đang chạy đã kiểm tra máy chủ thư bằng mật khẩu đó",
                );
                let checks: Vec<Check> = answer
                    .json
                    .as_deref()
                    .and_then(|json| serde_json::from_str(json).ok())
                    .unwrap_or_default();
                if checks.is_empty() {
                    report.line(Verdict::Failed, "Máy chủ thư", "dịch vụ không trả lời kết quả kiểm tra");
                }
                for check in checks {
                    report.push(check);
                }
            }
            Err(error) => report.line(Verdict::Failed, "Máy chủ thư", error.to_string().replace('\n', " ")),
        },
        Ok(Route::Here) => {
            crate::services::checks::smtp(report, settings).await;
            crate::services::checks::imap(report, settings).await;
        }
        Err(text) => report.line(Verdict::Failed, "Mật khẩu thư", text.replace('\n', " ")),
    }
    store.close().await;
}

fn calendar(report: &mut Checks, settings: &Settings, calendar: &crate::domain::calendar::WorkingCalendar) {
    let Some(path) = settings.calendar_file.as_ref().filter(|p| p.exists()) else {
        report.line(
            Verdict::Warning,
            "Tệp lịch",
            "chưa có: chỉ dùng ngày lễ theo luật, chưa có lịch nghỉ Tết và hoán đổi của từng năm",
        );
        return;
    };
    #[allow(clippy::disallowed_methods)]
    let today = chrono::Utc::now().with_timezone(&settings.office.zone).date_naive();
    for line in calendar_lines(calendar, &path.display().to_string(), today) {
        report.line(line.0, &line.1, line.2);
    }
}

/// The calendar lines of `doctor` for this year and the next, each unconfirmed one with how
/// to update it.
fn calendar_lines(
    calendar: &crate::domain::calendar::WorkingCalendar,
    path: &str,
    today: chrono::NaiveDate,
) -> Vec<(Verdict, String, String)> {
    let year = today.year();
    [year, year + 1]
        .into_iter()
        .map(|y| {
            let what = format!("Lịch năm {y}");
            if calendar.is_confirmed(y) {
                return (Verdict::Ok, what, format!("đã xác nhận trong {path}"));
            }
            let when = if y == year {
                "baocao đang dùng ngày lễ theo luật và tự tính nghỉ bù, chưa có lịch nghỉ Tết, hoán đổi, làm bù \
                 của Chính phủ"
            } else {
                "quyết định của năm sau thường có vào tháng 10–12"
            };
            (
                Verdict::Warning,
                what,
                format!(
                    "chưa xác nhận trong {path}: {when}; nhập theo thông báo của Bộ Nội vụ bằng sudo baocao calendar \
                     add {y} --swap NGÀY_NGHỈ:NGÀY_LÀM_BÙ --source \"…\" (--day-off NGÀY --name \"…\" cho ngày nghỉ \
                     thêm), rồi sudo baocao calendar add {y} --confirm và sudo systemctl reload baocao"
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unconfirmed_year_says_how_to_update_it() {
        let mut file = crate::domain::calendar::CalendarFile::default();
        file.confirmed_years.insert(2026);
        let calendar = crate::domain::calendar::WorkingCalendar::new(file);
        let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let lines = calendar_lines(&calendar, "/etc/baocao/calendar.toml", today);
        assert_eq!(lines[0].0, Verdict::Ok);
        assert_eq!(lines[1].0, Verdict::Warning);
        assert!(
            lines[1].2.contains("sudo baocao calendar add 2027 --confirm"),
            "{}",
            lines[1].2
        );
        let today = chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
        let lines = calendar_lines(&calendar, "/etc/baocao/calendar.toml", today);
        assert_eq!((lines[0].0, lines[0].1.as_str()), (Verdict::Warning, "Lịch năm 2027"));
        assert!(lines[0].2.contains("tự tính nghỉ bù"), "{}", lines[0].2);
        assert!(
            lines[0].2.contains("sudo baocao calendar add 2027 --swap"),
            "{}",
            lines[0].2
        );
    }
}
