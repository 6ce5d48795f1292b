//! `baocao doctor`: one line per check, each with a clear verdict, for the IT officer who
//! installs the service: configuration, database, SMTP (reachable, login), IMAP (reachable,
//! login, mailbox, IDLE), templates, and the calendar file for this year and the next.
//! Exit 1 when any check fails; warnings do not fail.

use std::time::Duration;

use chrono::Datelike;

use super::{Cli, CliError, CliResult};
use crate::config::{self, ServerSettings, Settings};
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Warning,
    Failed,
}

struct Report {
    failed: usize,
}

impl Report {
    fn line(&mut self, verdict: Verdict, what: &str, detail: impl AsRef<str>) {
        let mark = match verdict {
            Verdict::Ok => "[ok]      ",
            Verdict::Warning => "[cảnh báo]",
            Verdict::Failed => "[lỗi]     ",
        };
        if verdict == Verdict::Failed {
            self.failed += 1;
        }
        println!("{mark} {what}: {}", detail.as_ref());
    }
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(cli: &Cli) -> CliResult {
    crate::tls::install_crypto_provider();
    let mut report = Report { failed: 0 };
    let loaded = match config::load(&cli.config) {
        Ok(loaded) => loaded,
        Err(error) => {
            report.line(Verdict::Failed, "Cấu hình", cli.config.display().to_string());
            return Err(CliError::Config(error));
        }
    };
    let mut settings = loaded.settings;
    if let Some(url) = &cli.database {
        settings.database_url = url.clone();
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
    smtp(&mut report, &settings).await;
    imap(&mut report, &settings).await;

    match crate::compose::Templates::load(settings.templates_dir.as_deref()) {
        Ok(loaded) if loaded.warnings.is_empty() => {
            report.line(Verdict::Ok, "Mẫu thư", "mọi mẫu hiển thị được với dữ liệu mẫu")
        }
        Ok(loaded) => report.line(Verdict::Warning, "Mẫu thư", loaded.warnings.join("; ")),
        Err(error) => report.line(Verdict::Failed, "Mẫu thư", error.to_string().replace('\n', "; ")),
    }

    calendar(&mut report, &settings);

    if report.failed > 0 {
        return Err(CliError::Refused(format!("{} mục kiểm tra không đạt", report.failed)));
    }
    Ok(())
}

async fn database(report: &mut Report, settings: &Settings) {
    let what = format!("Cơ sở dữ liệu {}", super::redact_url(&settings.database_url));
    let store = match Store::connect_existing(&settings.database_url).await {
        Ok(store) => store,
        Err(crate::store::StoreError::NotFound(text)) => {
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

async fn reachable(server: &ServerSettings) -> Result<(), String> {
    let address = format!("{}:{}", server.host, server.port);
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(&address)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("hết thời gian chờ sau {} giây", CONNECT_TIMEOUT.as_secs())),
    }
}

async fn smtp(report: &mut Report, settings: &Settings) {
    let Some(smtp) = &settings.smtp else {
        report.line(
            Verdict::Warning,
            "Máy chủ gửi thư",
            "chưa cấu hình [smtp]: không gửi được thư nhắc",
        );
        return;
    };
    let what = format!("Máy chủ gửi thư {}:{}", smtp.server.host, smtp.server.port);
    if let Err(error) = reachable(&smtp.server).await {
        report.line(Verdict::Failed, &what, format!("không kết nối được: {error}"));
        return;
    }
    report.line(Verdict::Ok, &what, "kết nối được");
    let mailer = match crate::mailer::Mailer::new(settings) {
        Ok(mailer) => mailer,
        Err(error) => {
            report.line(Verdict::Failed, "Đăng nhập máy chủ gửi thư", format!("{error:#}"));
            return;
        }
    };
    match mailer.check_login().await {
        Ok(()) => report.line(
            Verdict::Ok,
            "Đăng nhập máy chủ gửi thư",
            match &smtp.server.user {
                Some(user) => format!("đăng nhập được với {user} (TLS)"),
                None => "máy chủ nhận thư không cần đăng nhập".into(),
            },
        ),
        Err(error) => report.line(Verdict::Failed, "Đăng nhập máy chủ gửi thư", error),
    }
}

async fn imap(report: &mut Report, settings: &Settings) {
    let Some(imap) = &settings.imap else {
        report.line(
            Verdict::Warning,
            "Hộp thư nhận báo cáo",
            "chưa cấu hình [imap]: không nhận được báo cáo",
        );
        return;
    };
    let what = format!("Máy chủ IMAP {}:{}", imap.server.host, imap.server.port);
    if let Err(error) = reachable(&imap.server).await {
        report.line(Verdict::Failed, &what, format!("không kết nối được: {error}"));
        return;
    }
    report.line(Verdict::Ok, &what, "kết nối được");
    let password = match &imap.server.password {
        Some(source) => match source.read() {
            Ok(secret) => secret.expose().to_string(),
            Err(error) => {
                report.line(
                    Verdict::Failed,
                    "Đăng nhập IMAP",
                    format!("không đọc được mật khẩu: {error}"),
                );
                return;
            }
        },
        None => String::new(),
    };
    let mut session = match crate::intake::connect::connect(&imap.server, &password).await {
        Ok(session) => session,
        Err(error) => {
            report.line(Verdict::Failed, "Đăng nhập IMAP", format!("{error:#}"));
            return;
        }
    };
    report.line(
        Verdict::Ok,
        "Đăng nhập IMAP",
        format!("đăng nhập được với {}", imap.server.user.as_deref().unwrap_or_default()),
    );
    match tokio::time::timeout(CONNECT_TIMEOUT, session.examine(&imap.mailbox)).await {
        Ok(Ok(mailbox)) => report.line(
            Verdict::Ok,
            &format!("Hộp thư {}", imap.mailbox),
            format!("có, {} thư (chỉ đọc, không đánh dấu)", mailbox.exists),
        ),
        Ok(Err(error)) => report.line(
            Verdict::Failed,
            &format!("Hộp thư {}", imap.mailbox),
            format!("không mở được: {error}"),
        ),
        Err(_) => report.line(
            Verdict::Failed,
            &format!("Hộp thư {}", imap.mailbox),
            "hết thời gian chờ",
        ),
    }
    match tokio::time::timeout(CONNECT_TIMEOUT, session.capabilities()).await {
        Ok(Ok(capabilities)) if capabilities.has_str("IDLE") => {
            report.line(Verdict::Ok, "IMAP IDLE", "máy chủ hỗ trợ: thư đến được nhận ngay")
        }
        Ok(Ok(_)) => report.line(
            Verdict::Warning,
            "IMAP IDLE",
            format!(
                "máy chủ không hỗ trợ: kiểm tra thư mới mỗi {} giây",
                settings.intake.poll_interval.as_secs()
            ),
        ),
        _ => report.line(Verdict::Failed, "IMAP IDLE", "không hỏi được khả năng của máy chủ"),
    }
    let _ = tokio::time::timeout(Duration::from_secs(3), session.logout()).await;
}

fn calendar(report: &mut Report, settings: &Settings) {
    let calendar = match config::load_calendar(settings) {
        Ok(calendar) => calendar,
        Err(error) => {
            report.line(Verdict::Failed, "Tệp lịch", error);
            return;
        }
    };
    let Some(path) = settings.calendar_file.as_ref().filter(|p| p.exists()) else {
        report.line(
            Verdict::Warning,
            "Tệp lịch",
            "chưa có: chỉ dùng ngày lễ theo luật, chưa có lịch nghỉ Tết và hoán đổi của từng năm",
        );
        return;
    };
    #[allow(clippy::disallowed_methods)]
    let year = chrono::Utc::now().with_timezone(&settings.office.zone).year();
    for y in [year, year + 1] {
        let what = format!("Lịch năm {y}");
        if calendar.is_confirmed(y) {
            report.line(Verdict::Ok, &what, format!("đã xác nhận trong {}", path.display()));
        } else {
            report.line(
                Verdict::Warning,
                &what,
                format!(
                    "chưa xác nhận trong {}: nhập quyết định nghỉ lễ, Tết của năm rồi thêm {y} vào confirmed-years",
                    path.display()
                ),
            );
        }
    }
}
