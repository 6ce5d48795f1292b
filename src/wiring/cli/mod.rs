//! The command line: clap definitions, one file per group of subcommands, and the mapping
//! from outcomes to exit codes. What a clerk reads is Vietnamese; `--json` output has
//! stable English field names for machines.
//!
//! Exit codes: 0 done; 1 refused (bad input, not found, rows rejected); 2 wrong usage;
//! 69 database unreachable; 70 unexpected internal error; 78 configuration unusable.

mod ask;
mod audit;
mod calendar;
mod doctor;
mod escalate;
mod export;
mod intake;
mod outbox;
mod reminders;
mod requests;
mod review;
mod series;
mod status;
mod units;
mod usage;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::adapters::config::{self, EXIT_CONFIG, Settings};
use crate::adapters::store::{Store, StoreError};
use crate::domain::calendar::WorkingCalendar;

/// Refused input: the clerk can fix it.
pub const EXIT_REFUSED: u8 = 1;
/// The database could not be reached or opened.
pub const EXIT_UNAVAILABLE: u8 = 69;
/// Something unexpected inside baocao or the database.
pub const EXIT_SOFTWARE: u8 = 70;
/// A mail server refuses the running service's login (sysexits EX_NOPERM).
pub const EXIT_LOGIN_REFUSED: u8 = 77;

#[derive(Debug, Parser)]
#[command(
    name = "baocao",
    version,
    about = "Theo dõi báo cáo của các đơn vị qua email (báo cáo)",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// In hướng dẫn sử dụng
    #[arg(short = 'h', long = "help", global = true, action = clap::ArgAction::Help)]
    help: Option<bool>,
    /// In phiên bản
    #[arg(short = 'V', long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,
    /// Tệp cấu hình (configuration file)
    #[arg(long, global = true, value_name = "PATH", default_value = config::DEFAULT_CONFIG_PATH)]
    pub config: PathBuf,
    /// Cơ sở dữ liệu, thay cho giá trị trong tệp cấu hình (sqlite:PATH hoặc postgres://…)
    #[arg(long, global = true, value_name = "URL", env = "BAOCAO_DATABASE_URL")]
    pub database: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Chạy dịch vụ (systemd): nhận báo cáo, gửi thư nhắc, thư tổng hợp, cho tới khi dừng
    Run,
    /// Kiểm tra tệp cấu hình: in `ok` hoặc liệt kê từng lỗi (dòng, khóa)
    CheckConfig,
    /// Kiểm tra mọi thứ dịch vụ cần: cấu hình, cơ sở dữ liệu, SMTP, IMAP, mẫu thư, tệp lịch
    Doctor(doctor::DoctorArgs),
    /// Người được đăng nhập trang theo dõi
    #[command(subcommand)]
    User(users::UserCommand),
    /// Tạo hoặc nâng cấp cấu trúc cơ sở dữ liệu
    Migrate,
    /// Danh sách đơn vị (đơn vị phải báo cáo)
    #[command(subcommand)]
    Unit(units::UnitCommand),
    /// Yêu cầu báo cáo
    #[command(subcommand)]
    Request(requests::RequestCommand),
    /// Báo cáo định kỳ (tháng, quý, 6 tháng, 9 tháng, năm, năm học): mỗi kỳ một yêu cầu
    #[command(subcommand)]
    Series(series::SeriesCommand),
    /// Tình hình báo cáo: đơn vị nào đã báo cáo, đơn vị nào chưa
    Status(status::StatusArgs),
    /// Xuất danh sách (CSV, XLSX): đơn vị chưa báo cáo, trễ hạn hoặc tất cả
    Export(export::ExportArgs),
    /// Lịch làm việc: ngày nghỉ lễ, nghỉ bù và ngày làm bù
    #[command(subcommand)]
    Calendar(calendar::CalendarCommand),
    /// Nhắc báo cáo: xem lịch gửi, gửi các thư đã đến giờ
    #[command(subcommand)]
    Reminders(reminders::RemindersCommand),
    /// Thư gửi đi: xem thư lỗi, gửi lại
    #[command(subcommand)]
    Outbox(outbox::OutboxCommand),
    /// Ghi nhận một đơn vị đã báo cáo qua kênh khác (giấy, hệ thống e-office)
    Mark(reminders::MarkArgs),
    /// Xem thư tổng hợp hằng ngày (không gửi)
    Digest(reminders::DigestArgs),
    /// Nhận báo cáo: theo dõi hộp thư, xử lý thư đã lưu, giải thích, đối chiếu
    #[command(subcommand)]
    Intake(intake::IntakeCommand),
    /// Thư chờ xem xét: ghi nhận, không tính, gia hạn
    #[command(subcommand)]
    Review(review::ReviewCommand),
    /// Nhật ký thay đổi: ai thay đổi gì, lúc nào (trang web và dòng lệnh)
    Audit(audit::AuditArgs),
}

/// Why a command did not complete, and so which exit code it ends with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Refused(String),
    #[error("không kết nối được cơ sở dữ liệu {url}")]
    Unavailable { url: String, source: StoreError },
    #[error("lỗi bất ngờ")]
    Internal(#[source] anyhow::Error),
    /// A mail server refuses the service's login: what is wrong and what to do.
    #[error("{0}")]
    MailLoginRefused(String),
}

impl From<crate::services::decisions::DecisionError> for CliError {
    fn from(error: crate::services::decisions::DecisionError) -> Self {
        match error {
            crate::services::decisions::DecisionError::Refused(text) => CliError::Refused(text),
            crate::services::decisions::DecisionError::Store(e) => CliError::from(e),
        }
    }
}

impl From<StoreError> for CliError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Rejected(_) | StoreError::NotFound(_) => CliError::Refused(error.to_string()),
            other => CliError::Internal(anyhow::Error::new(other)),
        }
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

/// Parses the command line, runs the command and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let text = usage::vietnamese(&error);
            if error.use_stderr() {
                eprint!("{text}");
            } else {
                print!("{text}");
            }
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    // The service parses mail while it sends and pings the watchdog: give it two threads.
    let runtime = match &cli.command {
        Command::Run => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_current_thread().enable_all().build(),
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("lỗi: không khởi động được tiến trình: {e}");
            return ExitCode::from(EXIT_SOFTWARE);
        }
    };
    let outcome = runtime.block_on(run(cli));
    // A message that ran past its time budget may still hold a blocking thread: exit
    // without waiting for it (its outcome, `too_complex`, is already recorded).
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Config(e)) => {
            eprintln!("{e}");
            ExitCode::from(EXIT_CONFIG as u8)
        }
        Err(CliError::Refused(message)) => {
            for line in message.lines() {
                eprintln!("lỗi: {line}");
            }
            ExitCode::from(EXIT_REFUSED)
        }
        Err(CliError::Unavailable { url, source }) => {
            eprintln!("lỗi: {}", unavailable_vi(&url, &source));
            eprintln!("chi tiết (cho cán bộ CNTT): {}", error_chain(&source));
            ExitCode::from(EXIT_UNAVAILABLE)
        }
        Err(CliError::MailLoginRefused(message)) => {
            for line in message.lines() {
                eprintln!("lỗi: {line}");
            }
            ExitCode::from(EXIT_LOGIN_REFUSED)
        }
        // `baocao reminders plan | head`: the reader went away; the output it wanted was given.
        Err(CliError::Internal(error))
            if error.chain().any(|cause| {
                let kind = cause
                    .downcast_ref::<std::io::Error>()
                    .map(std::io::Error::kind)
                    .or_else(|| {
                        cause
                            .downcast_ref::<serde_json::Error>()
                            .and_then(serde_json::Error::io_error_kind)
                    });
                kind == Some(std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(CliError::Internal(error)) => {
            eprintln!("lỗi bất ngờ, xin báo cho cán bộ CNTT: {error:#}");
            ExitCode::from(EXIT_SOFTWARE)
        }
    }
}

/// `baocao unit list | head -1`: once the reader has gone, printing fails with a broken
/// pipe, which Rust's `println!` turns into a panic (exit 101 and a backtrace). The reader
/// wanted no more, so end quietly with success, as other command-line tools do.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

async fn run(cli: Cli) -> CliResult {
    if let Command::CheckConfig = cli.command {
        return check_config(&cli);
    }
    if let Command::Run = cli.command {
        return run_service(&cli).await;
    }
    if let Command::Doctor(args) = &cli.command {
        return doctor::run(&cli, args).await;
    }
    if let Command::User(command) = cli.command {
        return users::run(&cli.config, command);
    }
    let (settings, calendar) = load_settings(&cli)?;
    if let Command::Calendar(command) = cli.command {
        return calendar::run(&settings, &calendar, command);
    }
    let store = match cli.command {
        Command::Migrate => open_store(&settings).await?,
        _ => open_existing_store(&settings).await?,
    };
    if let Command::Migrate = cli.command {
        store
            .migrate()
            .await
            .map_err(|e| CliError::Internal(anyhow::Error::new(e).context("running migrations")))?;
        println!("cơ sở dữ liệu đã sẵn sàng ({})", store.backend());
        return Ok(());
    }
    if !store.is_migrated().await? {
        return Err(CliError::Refused(
            "cơ sở dữ liệu chưa được khởi tạo hoặc cũ hơn phiên bản này: chạy `baocao migrate` trước".into(),
        ));
    }
    let context = Context {
        settings,
        calendar,
        // What a command changes is recorded as the OS user who ran it (audit trail).
        store: store.acting_as(crate::adapters::store::Actor::cli()),
        config: cli.config.clone(),
    };
    let outcome = match cli.command {
        Command::Unit(command) => units::run(&context, command).await,
        Command::Request(command) => requests::run(&context, command).await,
        Command::Series(command) => series::run(&context, command).await,
        Command::Status(args) => status::run(&context, args).await,
        Command::Export(args) => export::run(&context, args).await,
        Command::Reminders(command) => reminders::run(&context, command).await,
        Command::Outbox(command) => outbox::run(&context, command).await,
        Command::Mark(args) => reminders::mark(&context, args).await,
        Command::Digest(args) => reminders::digest(&context, args).await,
        Command::Intake(command) => intake::run(&context, command).await,
        Command::Audit(args) => audit::run(&context, args).await,
        Command::Review(command) => review::run(&context, command).await,
        Command::Run
        | Command::Doctor(_)
        | Command::User(_)
        | Command::CheckConfig
        | Command::Migrate
        | Command::Calendar(_) => Ok(()),
    };
    context.store.close().await;
    outcome
}

/// `baocao run`: the service, until SIGTERM.
async fn run_service(cli: &Cli) -> CliResult {
    // The scheduler crate announces every job it creates at info level.
    init_logging("info,tokio_cron_scheduler=warn,sqlx=warn");
    let events = crate::wiring::daemon::signal_events()
        .map_err(|e| CliError::Internal(anyhow::Error::new(e).context("listening for signals")))?;
    let options = crate::wiring::daemon::Options {
        config_path: cli.config.clone(),
        database_override: cli.database.clone(),
        clock: crate::adapters::clock::Clock::system(),
    };
    use crate::wiring::daemon::StartError;
    match crate::wiring::daemon::run(options, events).await {
        Ok(()) => Ok(()),
        Err(StartError::Config(e)) => Err(CliError::Config(e)),
        Err(StartError::Templates(e)) => Err(CliError::Config(template_problems(&cli.config, e))),
        Err(StartError::Database(source)) | Err(StartError::NotWritable(source)) => {
            let url = match &cli.database {
                Some(url) => url.clone(),
                None => config::load(&cli.config)
                    .map(|l| l.settings.database_url.to_string())
                    .unwrap_or_default(),
            };
            Err(CliError::Unavailable { url, source })
        }
        Err(other) => Err(CliError::Internal(anyhow::Error::new(other))),
    }
}

/// What every command gets: the checked settings and an open, migrated store.
pub struct Context {
    pub settings: Settings,
    /// The working calendar the settings name, read with them.
    pub calendar: WorkingCalendar,
    pub store: Store,
    /// The configuration file (`--direct` reads systemd credentials beside it).
    pub config: PathBuf,
}

impl Context {
    /// The clock is read here, in the wiring layer, and passed down.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        #[allow(clippy::disallowed_methods)]
        chrono::Utc::now()
    }

    /// `--at WHEN` in the office's zone, or now.
    pub fn at(&self, when: Option<&str>) -> CliResult<chrono::DateTime<chrono::Utc>> {
        match when {
            None => Ok(self.now()),
            Some(text) => {
                if let Ok(instant) = chrono::DateTime::parse_from_rfc3339(text.trim()) {
                    return Ok(instant.with_timezone(&chrono::Utc));
                }
                crate::domain::dates::parse_deadline(text, self.settings.office.zone)
                    .map(|parsed| parsed.instant)
                    .map_err(|e| CliError::Refused(format!("--at: {e}")))
            }
        }
    }

    /// The message templates, checked; a broken one is a configuration error.
    pub fn templates(&self) -> CliResult<crate::services::letters::Templates> {
        let file = self
            .settings
            .templates_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("templates"));
        load_templates(&self.settings, &file)
    }
}

/// Loads and checks the templates; warnings go to stderr, problems are configuration errors
/// reported against `file`.
fn load_templates(settings: &Settings, file: &std::path::Path) -> CliResult<crate::services::letters::Templates> {
    match crate::services::letters::Templates::load(settings.templates_dir.as_deref()) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                eprintln!("cảnh báo: {warning}");
            }
            Ok(loaded.templates)
        }
        Err(e) => Err(CliError::Config(template_problems(file, e))),
    }
}

/// Template problems as a configuration error against `file`.
fn template_problems(file: &std::path::Path, e: crate::services::letters::TemplateError) -> config::ConfigError {
    config::ConfigError {
        file: file.to_path_buf(),
        problems: e
            .0
            .into_iter()
            .map(|message| config::Problem {
                line: None,
                key: "templates".into(),
                message,
            })
            .collect(),
    }
}

fn check_config(cli: &Cli) -> CliResult {
    let loaded = config::load(&cli.config)?;
    let mut warnings = loaded.warnings;
    warnings.extend(config::secret_permission_warnings(&loaded.settings));
    for warning in &warnings {
        eprintln!("cảnh báo: {}", config::format_problem(&cli.config, warning));
    }
    // The message templates are part of the configuration: check them too.
    load_templates(&loaded.settings, &cli.config)?;
    println!("ok");
    Ok(())
}

fn load_settings(cli: &Cli) -> CliResult<(Settings, WorkingCalendar)> {
    let loaded = config::load(&cli.config)?;
    let mut settings = loaded.settings;
    if let Some(url) = &cli.database {
        settings.database_url = config::DatabaseUrl::parse(url);
    }
    Ok((settings, loaded.calendar))
}

async fn open_store(settings: &Settings) -> CliResult<Store> {
    Store::open(&settings.database_url)
        .await
        .map_err(|source| CliError::Unavailable {
            url: settings.database_url.to_string(),
            source,
        })
}

/// The database, which must exist already (see `Store::connect_existing`).
async fn open_existing_store(settings: &Settings) -> CliResult<Store> {
    match Store::open_existing(&settings.database_url).await {
        Ok(store) => Ok(store),
        Err(StoreError::NotFound(text)) => Err(CliError::Refused(text)),
        Err(source) => Err(CliError::Unavailable {
            url: settings.database_url.to_string(),
            source,
        }),
    }
}

/// Why the database cannot be opened, in the clerk's words: a permission problem is not a
/// connection problem, and a refused PostgreSQL login is neither.
fn unavailable_vi(url: &str, source: &StoreError) -> String {
    const AS_SERVICE: &str = "chạy lệnh bằng người dùng của dịch vụ: runuser -u baocao -- baocao …";
    if let Some(path) = crate::adapters::config::DatabaseUrl::parse(url).sqlite_path() {
        let file = path;
        let dir = file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let denied = |e: &std::io::Error| e.kind() == std::io::ErrorKind::PermissionDenied;
        if std::fs::metadata(file).as_ref().is_err_and(denied) {
            return format!(
                "người dùng đang chạy lệnh không có quyền vào thư mục {}; {AS_SERVICE}",
                dir.display()
            );
        }
        match std::fs::OpenOptions::new().read(true).write(true).open(file) {
            Err(e) if denied(&e) => {
                return format!(
                    "người dùng đang chạy lệnh không có quyền đọc và ghi tệp cơ sở dữ liệu {}; {AS_SERVICE}",
                    path.display()
                );
            }
            Ok(_) if error_chain(source).contains("unable to open database file") => {
                return format!(
                    "người dùng đang chạy lệnh không tạo được tệp trong thư mục {} (SQLite ghi tệp -wal, -shm \
                     bên cạnh cơ sở dữ liệu); {AS_SERVICE}",
                    dir.display()
                );
            }
            _ => {}
        }
    } else {
        let text = error_chain(source).to_lowercase();
        let no_role = text.contains("role") && text.contains("does not exist");
        if no_role
            || [
                "password authentication failed",
                "no pg_hba.conf entry",
                "permission denied",
            ]
            .iter()
            .any(|t| text.contains(t))
        {
            return format!(
                "PostgreSQL từ chối đăng nhập {}: kiểm tra tên người dùng, mật khẩu trong địa chỉ cơ sở dữ liệu và pg_hba.conf",
                redact_url(url)
            );
        }
        if text.contains("does not exist") {
            return format!(
                "máy chủ PostgreSQL chưa có cơ sở dữ liệu {}: tạo nó (createdb) rồi chạy baocao migrate",
                redact_url(url)
            );
        }
    }
    format!("không kết nối được cơ sở dữ liệu {}", redact_url(url))
}

/// Hides a password in a database URL before it is printed.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.join(": ")
}

/// A request and one of the units that must answer it, as a clerk names them.
pub async fn request_and_unit(
    context: &Context,
    request: &str,
    unit: &str,
) -> CliResult<(crate::domain::model::Request, crate::domain::model::Unit)> {
    Ok(crate::services::decisions::request_and_unit(&context.store, request, unit).await?)
}

/// Logs (English, for the IT officer) go to stderr; `RUST_LOG` overrides the level.
pub fn init_logging(default_level: &str) {
    crate::wiring::telemetry::init(default_level);
}

/// Resolves on SIGTERM (systemd stop) or SIGINT (Ctrl+C).
pub async fn wait_for_stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> CliResult {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Internal(e.into()))?;
    println!("{text}");
    Ok(())
}

/// Why a file could not be read, in words a clerk knows.
pub fn io_error_vi(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "không có tệp này".to_string(),
        std::io::ErrorKind::PermissionDenied => "không có quyền đọc tệp".to_string(),
        std::io::ErrorKind::IsADirectory => "đây là thư mục, không phải tệp".to_string(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests;
