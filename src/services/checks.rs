//! Checks of the mail servers with the service's own passwords, one verdict per line:
//! SMTP (reachable, login) and IMAP (reachable, login, mailbox, IDLE). `baocao doctor` runs
//! them itself, or asks the running service to run them when only the service can read
//! the passwords; the lines travel back as JSON.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::adapters::config::{ServerSettings, Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Ok,
    Warning,
    Failed,
}

/// One checked thing and its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub verdict: Verdict,
    pub what: String,
    pub detail: String,
}

impl Check {
    /// The line `doctor` prints.
    pub fn line(&self) -> String {
        let mark = match self.verdict {
            Verdict::Ok => "[ok]      ",
            Verdict::Warning => "[cảnh báo]",
            Verdict::Failed => "[lỗi]     ",
        };
        format!("{mark} {}: {}", self.what, self.detail)
    }
}

/// The checks made so far; printed as they come when `echo` is on.
#[derive(Debug, Default)]
pub struct Checks {
    pub checks: Vec<Check>,
    pub echo: bool,
}

impl Checks {
    /// Checks printed as they are made.
    pub fn printing() -> Checks {
        Checks {
            checks: Vec::new(),
            echo: true,
        }
    }

    pub fn line(&mut self, verdict: Verdict, what: &str, detail: impl AsRef<str>) {
        self.push(Check {
            verdict,
            what: what.to_string(),
            detail: detail.as_ref().to_string(),
        });
    }

    pub fn push(&mut self, check: Check) {
        if self.echo {
            println!("{}", check.line());
        }
        self.checks.push(check);
    }

    pub fn failed(&self) -> usize {
        self.checks.iter().filter(|c| c.verdict == Verdict::Failed).count()
    }
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

async fn reachable(server: &ServerSettings) -> Result<(), String> {
    let address = format!("{}:{}", server.host, server.port);
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(&address)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("hết thời gian chờ sau {} giây", CONNECT_TIMEOUT.as_secs())),
    }
}

pub async fn smtp(report: &mut Checks, settings: &Settings) {
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
    let mailer = match crate::adapters::smtp::Mailer::new(settings) {
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

pub async fn imap(report: &mut Checks, settings: &Settings) {
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
    let mut session = match crate::adapters::imap::connect(&imap.server, &password).await {
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
