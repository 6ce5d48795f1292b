//! Configuration in two steps: the TOML a person wrote (`Raw*` structs that reject unknown
//! keys), then the checked [`Settings`] the rest of the program uses, with real types for
//! the time zone, addresses, send window and reminder policy.
//!
//! Every problem found is reported with the file, the line and the dotted key, in
//! Vietnamese, so `baocao check-config` can list them all. Secrets are never read from the
//! config file itself: it only names a file or a systemd credential ([`SecretSource`]).

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

use crate::domain::model::{EmailAddress, Offsets};

/// Where the configuration is looked for when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/baocao/baocao.toml";
/// The embedded default store.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:///var/lib/baocao/baocao.db";
impl Settings {
    /// Where message copies are kept: as configured, else beside an SQLite database, else
    /// under `/var/lib/baocao`.
    pub fn message_dir(&self) -> PathBuf {
        match &self.intake.message_dir {
            Some(dir) => dir.clone(),
            None => default_message_dir(&self.database_url),
        }
    }
}

fn default_message_dir(database_url: &str) -> PathBuf {
    let sqlite_path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"));
    match sqlite_path.map(Path::new).and_then(Path::parent) {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join("messages"),
        _ => PathBuf::from("/var/lib/baocao/messages"),
    }
}

/// The process exit code for a configuration that cannot be used (sysexits EX_CONFIG).
pub const EXIT_CONFIG: i32 = 78;

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub office: Office,
    pub database_url: String,
    pub smtp: Option<SmtpSettings>,
    pub imap: Option<ImapSettings>,
    pub send_window: SendWindow,
    pub reminders: ReminderDefaults,
    /// The yearly government decisions; `None` means built-in holidays only.
    pub calendar_file: Option<PathBuf>,
    /// Where edited message templates live; `None` means the built-in ones.
    pub templates_dir: Option<PathBuf>,
    pub digest: DigestSettings,
    pub intake: IntakeSettings,
    pub daemon: DaemonSettings,
    pub web: WebSettings,
}

/// The status page `baocao run` serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSettings {
    /// Where it listens (127.0.0.1:8080 by default); `None` when turned off.
    pub listen: Option<std::net::SocketAddr>,
    /// Whether the pages that only show can be read without logging in.
    pub public_read: bool,
    /// Mark the session cookie `Secure` (behind an HTTPS proxy).
    pub secure_cookie: bool,
    pub users: Vec<WebUser>,
}

/// Someone who may log in; the password is kept only as an argon2 hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUser {
    pub name: String,
    pub password_hash: String,
}

/// The clockwork of `baocao run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonSettings {
    /// How often due reminders are claimed and sent (and changes made with the CLI seen).
    pub tick: std::time::Duration,
    /// How often the mailbox is compared with the store.
    pub reconcile_every: std::time::Duration,
}

/// How the report mailbox's messages are read and judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeSettings {
    /// Where a copy of every message is kept, named by its SHA-256; `None` means beside
    /// the SQLite database (see [`Settings::message_dir`]).
    pub message_dir: Option<PathBuf>,
    /// Messages above this many bytes are read header-first and go to the review queue.
    pub max_message_bytes: usize,
    /// Reading and judging one message may take this long; past it the message goes to
    /// the review queue as too complex, and intake moves on.
    pub time_budget: std::time::Duration,
    /// Authentication-Results from these servers are trusted (lower case authserv-ids).
    pub trusted_authserv_ids: Vec<String>,
    /// How often to look for new mail when the server has no IDLE.
    pub poll_interval: std::time::Duration,
    /// IDLE is re-issued after at most this long (RFC 2177 asks for less than 29 minutes).
    pub idle_renew: std::time::Duration,
    pub phrases: crate::domain::incoming::Phrases,
    /// Whether a counted submission is acknowledged by a threaded receipt to its sender.
    pub receipts: bool,
    /// A sender who got a receipt this recently gets no other (a burst of resubmissions,
    /// or a loop with a robot that slipped past the automatic-mail rules).
    pub receipt_pause: chrono::Duration,
}

/// The daily summary mailed to the office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSettings {
    /// Local time on working days; `None` turns the digest off.
    pub at: Option<NaiveTime>,
    /// Who gets it; by default the report mailbox itself.
    pub to: Vec<EmailAddress>,
}

/// The office that sends requests and receives reports.
#[derive(Debug, Clone)]
pub struct Office {
    pub name: String,
    pub zone: Tz,
    /// The watched mailbox: reminders are sent from it and replies and bounces come to it.
    pub report_mailbox: EmailAddress,
    /// Who units may call about a request ("bà Lò Thị Hoa, văn thư, ĐT 0215 3826 123"),
    /// printed before "Trân trọng./." in every letter.
    pub contact: Option<String>,
}

/// How a connection to a mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// TLS from the first byte (SMTP 465, IMAP 993); the default.
    Implicit,
    /// Plain connect, then STARTTLS, which must succeed.
    Starttls,
    /// No TLS at all: only sensible on loopback.
    None,
}

/// A mail server and how to log in to it.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: Option<String>,
    pub password: Option<SecretSource>,
    /// An extra CA certificate (PEM) to trust besides the system's.
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub server: ServerSettings,
    /// The name given in EHLO; the machine's host name is often just `localhost`.
    pub helo_name: Option<String>,
    /// The outer limit on one whole send (connect, TLS, login, message).
    pub timeout: std::time::Duration,
    /// How many sends may run at once.
    pub concurrency: usize,
    /// How long a message claimed for sending stays this instance's: renewed before each
    /// send, longer than one send's timeout, so no other instance takes it while it is sent.
    pub claim_lease: std::time::Duration,
    /// The wait after a first temporary failure (it doubles each time, up to an hour).
    pub first_retry: chrono::Duration,
}

#[derive(Debug, Clone)]
pub struct ImapSettings {
    pub server: ServerSettings,
    pub mailbox: String,
    /// Where intake starts on a new mailbox: `now` or a date (`01/12/2023`).
    pub start_from: StartFrom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartFrom {
    Now,
    Date(chrono::NaiveDate),
}

pub use crate::domain::window::SendWindow;

/// The reminder policy a request gets when it names none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderDefaults {
    pub remind_before: Offsets,
    pub overdue_after: Offsets,
    pub notice_on_activation: bool,
    /// A message that still fails temporarily this long after it was queued is given up.
    pub give_up_after_minutes: i64,
    /// No overdue notice goes out this long after the deadline (a long-past request
    /// activated late, or a service started after a long stop).
    pub stop_overdue_after_minutes: i64,
}

/// A password's source: a file (mode 0600) or a systemd credential name, read when a
/// connection is made, never when the configuration is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    File(PathBuf),
    Credential(String),
}

/// A secret value whose `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where `--direct` reads systemd credentials when it does not run under systemd: the
/// directory the unit's `LoadCredential=` lines take them from (the configuration's).
static CREDENTIALS_FALLBACK: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// `--direct`: credentials are read from `dir` when `$CREDENTIALS_DIRECTORY` is not set.
pub fn read_credentials_from(dir: PathBuf) {
    let _ = CREDENTIALS_FALLBACK.set(dir);
}

impl SecretSource {
    /// Why this process cannot read the password of `what` (a server, in Vietnamese), or
    /// `None` when it can.
    pub fn problem_vi(&self, what: &str) -> Option<String> {
        let path = match self.path() {
            Ok(path) => path,
            Err(_) => {
                let SecretSource::Credential(name) = self else {
                    return Some(format!("không đọc được mật khẩu {what}"));
                };
                return Some(format!(
                    "mật khẩu {what} là systemd credential \"{name}\": chỉ dịch vụ baocao (do systemd chạy) đọc được"
                ));
            }
        };
        match std::fs::File::open(&path) {
            Ok(_) => None,
            Err(error) => Some(match error.kind() {
                std::io::ErrorKind::PermissionDenied => {
                    format!("không có quyền đọc tệp mật khẩu {what} ({})", path.display())
                }
                std::io::ErrorKind::NotFound => format!("không có tệp mật khẩu {what} ({})", path.display()),
                _ => format!("không đọc được tệp mật khẩu {what} ({}): {error}", path.display()),
            }),
        }
    }

    /// Reads the secret, trimming the trailing newline editors add.
    pub fn read(&self) -> Result<Secret, std::io::Error> {
        let path = self.path()?;
        let text = std::fs::read_to_string(&path)?;
        Ok(Secret(text.trim_end_matches(['\r', '\n']).to_string()))
    }

    /// The file the secret lives in; a credential is looked up in `$CREDENTIALS_DIRECTORY`.
    pub fn path(&self) -> Result<PathBuf, std::io::Error> {
        match self {
            SecretSource::File(path) => Ok(path.clone()),
            SecretSource::Credential(name) => match std::env::var_os("CREDENTIALS_DIRECTORY") {
                Some(dir) => Ok(Path::new(&dir).join(name)),
                None if CREDENTIALS_FALLBACK.get().is_some() => {
                    Ok(CREDENTIALS_FALLBACK.get().map(|dir| dir.join(name)).unwrap_or_default())
                }
                None => Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "credential {name} requested but CREDENTIALS_DIRECTORY is not set (not started by systemd?)"
                    ),
                )),
            },
        }
    }
}

/// One thing wrong (or unwise) in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<usize>,
    pub key: String,
    pub message: String,
}

/// The outcome of reading a configuration: problems that make it unusable, and warnings.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub file: PathBuf,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", format_problem(&self.file, problem))?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// `FILE:LINE: key: message`, the way compilers point at a line.
pub fn format_problem(file: &Path, problem: &Problem) -> String {
    let location = match problem.line {
        Some(line) => format!("{}:{line}", file.display()),
        None => file.display().to_string(),
    };
    if problem.key.is_empty() {
        format!("{location}: {}", problem.message)
    } else {
        format!("{location}: {}: {}", problem.key, problem.message)
    }
}

/// A loaded configuration with the warnings found while checking it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub settings: Settings,
    pub warnings: Vec<Problem>,
}

/// Reads and checks a configuration file.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let fail = |message: String| ConfigError {
        file: path.to_path_buf(),
        problems: vec![Problem {
            line: None,
            key: String::new(),
            message,
        }],
    };
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => fail(
            "không tìm thấy tệp cấu hình (chỉ định tệp khác bằng --config; mẫu có trong config/baocao.example.toml)"
                .to_string(),
        ),
        _ => fail(format!("không đọc được tệp cấu hình: {e}")),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| fail("tệp cấu hình phải được lưu bằng mã UTF-8".into()))?;
    let mut loaded = parse(&text, path)?;
    loaded.warnings.extend(file_permission_warnings(path));
    Ok(loaded)
}

/// Checks configuration text. `path` names the file in messages, and a relative calendar
/// file is found beside it (secret paths are kept as written).
///
/// Every problem comes out in one run: an unknown key or a value of the wrong type is
/// named and left out (see [`deserialize_leniently`]), and the checks of the values that
/// remain still run. Only a file that is not TOML at all stops at its first syntax error.
pub fn parse(text: &str, path: &Path) -> Result<Loaded, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let fail = |problems: Vec<Problem>| ConfigError {
        file: path.to_path_buf(),
        problems,
    };
    let document = toml::de::DeTable::parse(text).map_err(|e| fail(vec![deserialize_problem(text, &e)]))?;
    let (raw, mut problems, left_out) = deserialize_leniently(text, document);
    let Some(raw) = raw else {
        return Err(fail(problems));
    };
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut check = Checker {
        text,
        base_dir,
        left_out,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let settings = check.settings(raw);
    problems.append(&mut check.problems);
    // In the order of the file; problems without a line (a missing table) last.
    problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
    match settings {
        Some(settings) if problems.is_empty() => Ok(Loaded {
            settings,
            warnings: check.warnings,
        }),
        _ => Err(fail(problems)),
    }
}

/// Deserialises as much of the document as can be. serde stops at the first unknown key
/// or value of the wrong type; each time, the key is reported with its line, taken out of
/// the document, and deserialisation starts again, until the rest is accepted. Returns the
/// raw configuration (`None` if an error could not be placed on a key), the problems, and
/// the dotted keys left out, so the checks that follow do not also call them missing.
fn deserialize_leniently(
    text: &str,
    mut document: Spanned<toml::de::DeTable<'_>>,
) -> (Option<RawConfig>, Vec<Problem>, HashSet<String>) {
    // Each round deserialises the whole document again: enough rounds for any file a person
    // wrote, not a quadratic run on a generated one.
    const MOST_ROUNDS: usize = 200;
    let mut problems = Vec::new();
    let mut left_out = HashSet::new();
    loop {
        if problems.len() >= MOST_ROUNDS {
            problems.push(Problem {
                line: None,
                key: String::new(),
                message: format!("dừng sau {MOST_ROUNDS} lỗi: sửa các lỗi trên rồi kiểm tra lại"),
            });
            return (None, problems, left_out);
        }
        let error = match RawConfig::deserialize(toml::de::Deserializer::from(document.clone())) {
            Ok(raw) => return (Some(raw), problems, left_out),
            Err(error) => error,
        };
        let mut problem = deserialize_problem(text, &error);
        // Each round takes one entry out, or stops: this ends.
        let path = error.span().and_then(|span| entry_at(document.get_ref(), span.start));
        let Some(path) = path.filter(|path| take_out(document.get_mut(), path)) else {
            problems.push(problem);
            return (None, problems, left_out);
        };
        let key = dotted(&path);
        if !problem.message.starts_with("thiếu khóa") {
            problem.key = key.clone();
        }
        problems.push(problem);
        left_out.insert(key);
    }
}

/// One step from a table to an entry inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    /// An item of an array of tables (`[[web.users]]`).
    Item(usize),
}

/// The dotted key of a path, without array positions: `web.users.name`.
fn dotted(path: &[Step]) -> String {
    path.iter()
        .filter_map(|step| match step {
            Step::Key(key) => Some(key.as_str()),
            Step::Item(_) => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The innermost entry at `offset`: the one whose key is there, else one inside a nested
/// table, else the one whose value covers it.
fn entry_at(table: &toml::de::DeTable<'_>, offset: usize) -> Option<Vec<Step>> {
    use toml::de::DeValue;
    let key_step = |key: &Spanned<std::borrow::Cow<'_, str>>| Step::Key(key.get_ref().to_string());
    if let Some((key, _)) = table.iter().find(|(key, _)| key.span().contains(&offset)) {
        return Some(vec![key_step(key)]);
    }
    for (key, value) in table.iter() {
        let deeper = match value.get_ref() {
            DeValue::Table(inner) => entry_at(inner, offset).map(|path| (None, path)),
            DeValue::Array(items) => items.iter().enumerate().find_map(|(index, item)| match item.get_ref() {
                DeValue::Table(inner) => entry_at(inner, offset).map(|path| (Some(index), path)),
                _ => None,
            }),
            _ => None,
        };
        if let Some((item, path)) = deeper {
            let mut full = vec![key_step(key)];
            full.extend(item.map(Step::Item));
            full.extend(path);
            return Some(full);
        }
    }
    table
        .iter()
        .find(|(_, value)| value.span().contains(&offset))
        .map(|(key, _)| vec![key_step(key)])
}

/// Removes the entry at `path`; says whether there was one.
fn take_out(table: &mut toml::de::DeTable<'_>, path: &[Step]) -> bool {
    use toml::de::DeValue;
    match path {
        [Step::Key(key)] => table.remove(key.as_str()).is_some(),
        [Step::Key(key), rest @ ..] => match (table.get_mut(key.as_str()).map(|v| v.get_mut()), rest) {
            (Some(DeValue::Table(inner)), _) => take_out(inner, rest),
            (Some(DeValue::Array(items)), [Step::Item(index), rest @ ..]) => {
                match items.get_mut(*index).map(|item| item.get_mut()) {
                    Some(DeValue::Table(inner)) => take_out(inner, rest),
                    _ => false,
                }
            }
            _ => false,
        },
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// What the person wrote.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    office: Option<Spanned<RawOffice>>,
    #[serde(default)]
    database: RawDatabase,
    smtp: Option<Spanned<RawSmtp>>,
    imap: Option<Spanned<RawImap>>,
    #[serde(default)]
    send_window: RawSendWindow,
    #[serde(default)]
    reminders: RawReminders,
    #[serde(default)]
    calendar: RawCalendar,
    #[serde(default)]
    templates: RawTemplates,
    #[serde(default)]
    digest: RawDigest,
    #[serde(default)]
    intake: RawIntake,
    #[serde(default)]
    daemon: RawDaemon,
    #[serde(default)]
    web: RawWeb,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawWeb {
    enabled: Option<bool>,
    listen: Option<Spanned<String>>,
    public_read: Option<bool>,
    secure_cookie: Option<bool>,
    #[serde(default)]
    users: Vec<Spanned<RawWebUser>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawWebUser {
    name: Option<String>,
    password_hash: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDaemon {
    tick_seconds: Option<Spanned<u64>>,
    reconcile_minutes: Option<Spanned<u64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawIntake {
    message_dir: Option<Spanned<String>>,
    max_message_size_mb: Option<Spanned<usize>>,
    message_time_budget_seconds: Option<Spanned<f64>>,
    trusted_authserv_ids: Option<Vec<String>>,
    poll_seconds: Option<Spanned<u64>>,
    idle_minutes: Option<Spanned<u64>>,
    acknowledgement_phrases: Option<Vec<String>>,
    question_phrases: Option<Vec<String>>,
    more_time_phrases: Option<Vec<String>>,
    asking_phrases: Option<Vec<String>>,
    apology_phrases: Option<Vec<String>>,
    out_of_office_subjects: Option<Vec<String>>,
    receipts: Option<bool>,
    receipt_pause_minutes: Option<Spanned<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTemplates {
    dir: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDigest {
    enabled: Option<bool>,
    time: Option<Spanned<String>>,
    to: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCalendar {
    file: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawOffice {
    name: Option<Spanned<String>>,
    time_zone: Option<Spanned<String>>,
    report_mailbox: Option<Spanned<String>>,
    contact: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDatabase {
    url: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSmtp {
    host: Option<Spanned<String>>,
    port: Option<u16>,
    tls: Option<TlsMode>,
    user: Option<String>,
    password_file: Option<Spanned<String>>,
    password_credential: Option<Spanned<String>>,
    ca_file: Option<Spanned<String>>,
    helo_name: Option<String>,
    timeout_seconds: Option<Spanned<u64>>,
    concurrency: Option<Spanned<usize>>,
    first_retry_seconds: Option<Spanned<i64>>,
    claim_lease_seconds: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawImap {
    host: Option<Spanned<String>>,
    port: Option<u16>,
    tls: Option<TlsMode>,
    user: Option<String>,
    password_file: Option<Spanned<String>>,
    password_credential: Option<Spanned<String>>,
    ca_file: Option<Spanned<String>>,
    mailbox: Option<String>,
    start_from: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSendWindow {
    hours: Option<Spanned<Vec<String>>>,
    working_days_only: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawReminders {
    remind_before: Option<Spanned<String>>,
    overdue_after: Option<Spanned<String>>,
    notice_on_activation: Option<bool>,
    give_up_after: Option<Spanned<String>>,
    stop_overdue_after: Option<Spanned<String>>,
}

// ---------------------------------------------------------------------------------------
// Checking.

struct Checker<'a> {
    text: &'a str,
    base_dir: PathBuf,
    /// Dotted keys already reported as unknown or of the wrong type and left out.
    left_out: HashSet<String>,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
}

/// The fields SMTP and IMAP share.
struct RawServer<'r> {
    section: &'static str,
    /// Where the section is, for what it lacks.
    table: Range<usize>,
    host: &'r Option<Spanned<String>>,
    port: Option<u16>,
    default_port: u16,
    tls: Option<TlsMode>,
    user: &'r Option<String>,
    password_file: &'r Option<Spanned<String>>,
    password_credential: &'r Option<Spanned<String>>,
    ca_file: &'r Option<Spanned<String>>,
}

impl Checker<'_> {
    fn problem(&mut self, span: Option<Range<usize>>, key: &str, message: impl Into<String>) {
        let line = span.map(|s| line_of(self.text, s.start));
        self.problems.push(Problem {
            line,
            key: key.to_string(),
            message: message.into(),
        });
    }

    /// A required key that is absent, unless it was there but unusable (already reported).
    fn missing(&mut self, table: Option<Range<usize>>, key: &str) {
        if !self.left_out.contains(key) {
            let name = key.rsplit('.').next().unwrap_or(key);
            self.problem(table, key, format!("thiếu khóa bắt buộc `{name}`"));
        }
    }

    fn warn(&mut self, span: Option<Range<usize>>, key: &str, message: impl Into<String>) {
        let line = span.map(|s| line_of(self.text, s.start));
        self.warnings.push(Problem {
            line,
            key: key.to_string(),
            message: message.into(),
        });
    }

    fn settings(&mut self, raw: RawConfig) -> Option<Settings> {
        let office = match &raw.office {
            Some(office) => self.office(office),
            None => {
                if !self.left_out.contains("office") {
                    self.problem(
                        None,
                        "office",
                        "thiếu bảng [office] (name = tên cơ quan, report-mailbox = hộp thư nhận báo cáo)",
                    );
                }
                None
            }
        };
        let database_url = match &raw.database.url {
            Some(url) => {
                let value = url.get_ref().trim().to_string();
                if !(value.starts_with("sqlite:")
                    || value.starts_with("postgres://")
                    || value.starts_with("postgresql://"))
                {
                    self.problem(
                        Some(url.span()),
                        "database.url",
                        "phải bắt đầu bằng sqlite: hoặc postgres://",
                    );
                }
                value
            }
            None => DEFAULT_DATABASE_URL.to_string(),
        };
        let smtp = raw.smtp.as_ref().map(|s| self.smtp(s.get_ref(), s.span()));
        if smtp.is_none() {
            self.warn(
                None,
                "smtp",
                "chưa cấu hình máy chủ gửi thư [smtp]: baocao sẽ không gửi được nhắc nhở",
            );
        }
        let imap = raw
            .imap
            .as_ref()
            .map(|i| (i.span(), i.get_ref()))
            .map(|(table, i)| ImapSettings {
                server: self.server(RawServer {
                    section: "imap",
                    table,
                    host: &i.host,
                    port: i.port,
                    default_port: match i.tls {
                        Some(TlsMode::Implicit) | None => 993,
                        _ => 143,
                    },
                    tls: i.tls,
                    user: &i.user,
                    password_file: &i.password_file,
                    password_credential: &i.password_credential,
                    ca_file: &i.ca_file,
                }),
                mailbox: i.mailbox.clone().unwrap_or_else(|| "INBOX".to_string()),
                start_from: self.start_from(&i.start_from),
            });
        if imap.is_none() {
            self.warn(
                None,
                "imap",
                "chưa cấu hình hộp thư nhận báo cáo [imap]: baocao sẽ không nhận được báo cáo",
            );
        }
        let send_window = self.send_window(&raw.send_window);
        let reminders = self.reminders(&raw.reminders);
        let calendar_file = self.calendar_file(&raw.calendar);
        let templates_dir = raw.templates.dir.as_ref().map(|dir| self.base_dir.join(dir.get_ref()));
        let digest = self.digest(&raw.digest, office.as_ref().map(|o| &o.report_mailbox));
        let intake = self.intake(&raw.intake);
        let web = self.web(&raw.web);
        let daemon = DaemonSettings {
            tick: std::time::Duration::from_secs(self.bounded(
                &raw.daemon.tick_seconds,
                "daemon.tick-seconds",
                1..=300,
                5,
            )),
            reconcile_every: std::time::Duration::from_secs(
                60 * self.bounded(&raw.daemon.reconcile_minutes, "daemon.reconcile-minutes", 1..=1440, 15),
            ),
        };
        Some(Settings {
            office: office?,
            database_url,
            smtp,
            imap,
            send_window,
            reminders,
            calendar_file,
            templates_dir,
            digest,
            intake,
            daemon,
            web,
        })
    }

    fn web(&mut self, raw: &RawWeb) -> WebSettings {
        let listen = match &raw.listen {
            Some(text) => match text.get_ref().trim().parse::<std::net::SocketAddr>() {
                Ok(address) => address,
                Err(_) => {
                    self.problem(
                        Some(text.span()),
                        "web.listen",
                        "phải là địa chỉ:cổng, ví dụ \"127.0.0.1:8080\"",
                    );
                    std::net::SocketAddr::from(([127, 0, 0, 1], 8080))
                }
            },
            None => std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let enabled = raw.enabled.unwrap_or(true);
        if enabled && !listen.ip().is_loopback() {
            self.warn(
                raw.listen.as_ref().map(|l| l.span()),
                "web.listen",
                "trang theo dõi mở ra ngoài máy này: nên đặt sau máy chủ HTTPS của cơ quan và bật secure-cookie",
            );
        }
        let mut users = Vec::new();
        for user in &raw.users {
            let span = user.span();
            let user = user.get_ref();
            let name = user.name.as_deref().unwrap_or_default().trim().to_string();
            if user.name.is_none() {
                self.missing(Some(span.clone()), "web.users.name");
                continue;
            }
            if name.is_empty() || name.contains(char::is_whitespace) {
                self.problem(
                    Some(span.clone()),
                    "web.users.name",
                    "tên đăng nhập không được trống hay có dấu cách",
                );
                continue;
            }
            let Some(password_hash) = &user.password_hash else {
                self.missing(Some(span), "web.users.password-hash");
                continue;
            };
            if argon2::PasswordHash::new(password_hash.trim()).is_err() {
                self.problem(
                    Some(span),
                    "web.users.password-hash",
                    format!("mật khẩu của {name} không phải mã băm argon2: tạo bằng `baocao user add {name}`"),
                );
                continue;
            }
            users.push(WebUser {
                name,
                password_hash: password_hash.trim().to_string(),
            });
        }
        WebSettings {
            listen: enabled.then_some(listen),
            public_read: raw.public_read.unwrap_or(false),
            secure_cookie: raw.secure_cookie.unwrap_or(false),
            users,
        }
    }

    fn intake(&mut self, raw: &RawIntake) -> IntakeSettings {
        let message_dir = raw.message_dir.as_ref().map(|dir| self.base_dir.join(dir.get_ref()));
        let defaults = crate::domain::incoming::Phrases::default();
        let list = |given: &Option<Vec<String>>, default: Vec<String>| match given {
            Some(list) => list
                .iter()
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
            None => default,
        };
        IntakeSettings {
            message_dir,
            max_message_bytes: self.bounded(&raw.max_message_size_mb, "intake.max-message-size-mb", 1..=500, 25)
                * 1024
                * 1024,
            time_budget: std::time::Duration::from_secs_f64(self.bounded(
                &raw.message_time_budget_seconds,
                "intake.message-time-budget-seconds",
                0.01..=600.0,
                10.0,
            )),
            trusted_authserv_ids: raw
                .trusted_authserv_ids
                .iter()
                .flatten()
                .map(|id| id.trim().to_ascii_lowercase())
                .filter(|id| !id.is_empty())
                .collect(),
            poll_interval: std::time::Duration::from_secs(self.bounded(
                &raw.poll_seconds,
                "intake.poll-seconds",
                1..=3600,
                60,
            )),
            idle_renew: std::time::Duration::from_secs(
                60 * self.bounded(&raw.idle_minutes, "intake.idle-minutes", 1..=25, 10),
            ),
            phrases: crate::domain::incoming::Phrases {
                acknowledgement: list(&raw.acknowledgement_phrases, defaults.acknowledgement),
                question: list(&raw.question_phrases, defaults.question),
                more_time: list(&raw.more_time_phrases, defaults.more_time),
                asking: list(&raw.asking_phrases, defaults.asking),
                apology: list(&raw.apology_phrases, defaults.apology),
                out_of_office: list(&raw.out_of_office_subjects, defaults.out_of_office),
            },
            receipts: raw.receipts.unwrap_or(false),
            receipt_pause: chrono::Duration::minutes(self.bounded(
                &raw.receipt_pause_minutes,
                "intake.receipt-pause-minutes",
                0..=1440,
                10,
            )),
        }
    }

    fn smtp(&mut self, s: &RawSmtp, table: Range<usize>) -> SmtpSettings {
        let timeout =
            std::time::Duration::from_secs(self.bounded(&s.timeout_seconds, "smtp.timeout-seconds", 5..=3600, 120));
        let claim_lease = match &s.claim_lease_seconds {
            Some(lease) if std::time::Duration::from_secs(*lease.get_ref()) <= timeout => {
                self.problem(
                    Some(lease.span()),
                    "smtp.claim-lease-seconds",
                    format!(
                        "phải dài hơn timeout-seconds ({} giây): một lần gửi phải xong trong thời gian giữ thư",
                        timeout.as_secs()
                    ),
                );
                timeout * 2 + std::time::Duration::from_secs(60)
            }
            Some(lease) => std::time::Duration::from_secs(*lease.get_ref()),
            None => timeout * 2 + std::time::Duration::from_secs(60),
        };
        SmtpSettings {
            server: self.server(RawServer {
                section: "smtp",
                table,
                host: &s.host,
                port: s.port,
                default_port: match s.tls {
                    Some(TlsMode::Starttls) => 587,
                    Some(TlsMode::None) => 25,
                    _ => 465,
                },
                tls: s.tls,
                user: &s.user,
                password_file: &s.password_file,
                password_credential: &s.password_credential,
                ca_file: &s.ca_file,
            }),
            helo_name: s.helo_name.clone(),
            timeout,
            claim_lease,
            concurrency: self.bounded(&s.concurrency, "smtp.concurrency", 1..=32, 4),
            first_retry: chrono::Duration::seconds(self.bounded(
                &s.first_retry_seconds,
                "smtp.first-retry-seconds",
                5..=3600,
                120,
            )),
        }
    }

    /// A number within `range`, or the default when absent.
    fn bounded<T>(&mut self, raw: &Option<Spanned<T>>, key: &str, range: std::ops::RangeInclusive<T>, default: T) -> T
    where
        T: Copy + PartialOrd + fmt::Display,
    {
        match raw {
            Some(value) if range.contains(value.get_ref()) => *value.get_ref(),
            Some(value) => {
                self.problem(
                    Some(value.span()),
                    key,
                    format!("phải nằm trong khoảng {} đến {}", range.start(), range.end()),
                );
                default
            }
            None => default,
        }
    }

    fn digest(&mut self, raw: &RawDigest, mailbox: Option<&EmailAddress>) -> DigestSettings {
        let at = match &raw.time {
            Some(text) => match NaiveTime::parse_from_str(text.get_ref().trim(), "%H:%M") {
                Ok(at) => Some(at),
                Err(_) => {
                    self.problem(Some(text.span()), "digest.time", "ghi giờ dạng HH:MM, ví dụ \"07:30\"");
                    None
                }
            },
            None => Some(hm(7, 30)),
        };
        let mut to = Vec::new();
        match &raw.to {
            Some(list) => {
                for text in list.get_ref() {
                    match EmailAddress::parse(text) {
                        Ok(address) => to.push(address),
                        Err(e) => self.problem(Some(list.span()), "digest.to", e.0),
                    }
                }
            }
            None => to.extend(mailbox.cloned()),
        }
        let enabled = raw.enabled.unwrap_or(true) && !to.is_empty();
        DigestSettings {
            at: if enabled { at } else { None },
            to,
        }
    }

    fn office(&mut self, table: &Spanned<RawOffice>) -> Option<Office> {
        let raw = table.get_ref();
        let name = match &raw.name {
            Some(name) => {
                if name.get_ref().trim().is_empty() {
                    self.problem(Some(name.span()), "office.name", "tên cơ quan không được để trống");
                }
                name.get_ref().trim().to_string()
            }
            None => {
                self.missing(Some(table.span()), "office.name");
                String::new()
            }
        };
        let zone = match &raw.time_zone {
            Some(zone) => match zone.get_ref().parse::<Tz>() {
                Ok(tz) => tz,
                Err(_) => {
                    self.problem(
                        Some(zone.span()),
                        "office.time-zone",
                        format!("không biết múi giờ `{}` (ví dụ đúng: Asia/Ho_Chi_Minh)", zone.get_ref()),
                    );
                    chrono_tz::Asia::Ho_Chi_Minh
                }
            },
            None => chrono_tz::Asia::Ho_Chi_Minh,
        };
        let report_mailbox = match &raw.report_mailbox {
            Some(text) => match EmailAddress::parse(text.get_ref()) {
                Ok(address) => Some(address),
                Err(e) => {
                    self.problem(Some(text.span()), "office.report-mailbox", e.0);
                    None
                }
            },
            None => {
                self.missing(Some(table.span()), "office.report-mailbox");
                None
            }
        };
        Some(Office {
            name,
            zone,
            report_mailbox: report_mailbox?,
            contact: raw
                .contact
                .as_deref()
                .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|c| !c.is_empty()),
        })
    }

    fn server(&mut self, raw: RawServer<'_>) -> ServerSettings {
        let section = raw.section;
        // Problems of the connection as a whole point at the host, or at the section.
        let at = raw.host.as_ref().map_or(raw.table.clone(), |h| h.span());
        let host = match raw.host {
            Some(host) => {
                let text = host.get_ref().trim().to_string();
                if text.is_empty() || text.contains(char::is_whitespace) {
                    self.problem(
                        Some(host.span()),
                        &format!("{section}.host"),
                        "tên máy chủ không hợp lệ",
                    );
                }
                text
            }
            None => {
                self.missing(Some(raw.table.clone()), &format!("{section}.host"));
                String::new()
            }
        };
        let tls = raw.tls.unwrap_or(TlsMode::Implicit);
        if tls == TlsMode::None && section == "imap" {
            // `baocao run` and `intake watch` refuse it; say so where the file is checked.
            self.problem(
                Some(at.clone()),
                "imap.tls",
                "hộp thư báo cáo luôn đọc qua kết nối mã hóa: ghi tls = \"implicit\" (cổng 993) hoặc \"starttls\" (cổng 143)",
            );
        } else if tls == TlsMode::None && !is_loopback(&host) {
            self.warn(
                Some(at.clone()),
                &format!("{section}.tls"),
                "kết nối không mã hóa tới máy chủ ngoài máy này: mật khẩu và thư đi qua mạng ở dạng rõ",
            );
        }
        let password = match (raw.password_file, raw.password_credential) {
            (Some(file), Some(_)) => {
                self.problem(
                    Some(file.span()),
                    &format!("{section}.password-file"),
                    "chỉ ghi một trong hai: password-file hoặc password-credential",
                );
                None
            }
            (Some(file), None) => {
                let path = PathBuf::from(file.get_ref());
                if !path.exists() {
                    self.warn(
                        Some(file.span()),
                        &format!("{section}.password-file"),
                        format!("tệp mật khẩu {} chưa có; cần tạo trước khi kết nối", path.display()),
                    );
                }
                Some(SecretSource::File(path))
            }
            (None, Some(name)) => {
                let valid = !name.get_ref().is_empty()
                    && name
                        .get_ref()
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
                if !valid {
                    self.problem(
                        Some(name.span()),
                        &format!("{section}.password-credential"),
                        "tên credential của systemd chỉ gồm chữ không dấu, số và - _ .",
                    );
                }
                Some(SecretSource::Credential(name.get_ref().clone()))
            }
            (None, None) => None,
        };
        // An inline `password` (or a mistyped password key) was refused already: do not also
        // say the password is missing.
        let password_refused = self
            .left_out
            .iter()
            .any(|key| key.starts_with(&format!("{section}.password")));
        if raw.user.is_some() && password.is_none() && !password_refused {
            self.problem(
                Some(at.clone()),
                &format!("{section}.user"),
                "có tên đăng nhập nhưng thiếu mật khẩu: thêm password-file hoặc password-credential",
            );
        }
        let ca_file = raw.ca_file.as_ref().map(|ca| {
            let path = PathBuf::from(ca.get_ref());
            if !path.exists() {
                self.problem(
                    Some(ca.span()),
                    &format!("{section}.ca-file"),
                    format!("không tìm thấy tệp chứng chỉ {}", path.display()),
                );
            }
            path
        });
        ServerSettings {
            host,
            port: raw.port.unwrap_or(raw.default_port),
            tls,
            user: raw.user.clone(),
            password,
            ca_file,
        }
    }

    fn start_from(&mut self, raw: &Option<Spanned<String>>) -> StartFrom {
        let Some(raw) = raw else { return StartFrom::Now };
        let text = raw.get_ref().trim();
        if text.eq_ignore_ascii_case("now") || text == "bây giờ" {
            return StartFrom::Now;
        }
        match crate::domain::dates::parse_date(text) {
            Some(date) => StartFrom::Date(date),
            None => {
                self.problem(
                    Some(raw.span()),
                    "imap.start-from",
                    "ghi `now` hoặc một ngày dd/mm/yyyy",
                );
                StartFrom::Now
            }
        }
    }

    fn send_window(&mut self, raw: &RawSendWindow) -> SendWindow {
        let default_periods = vec![(hm(7, 30), hm(11, 30)), (hm(13, 30), hm(17, 0))];
        let periods = match &raw.hours {
            None => default_periods,
            Some(hours) => {
                let mut periods = Vec::new();
                for period in hours.get_ref() {
                    match parse_period(period) {
                        Some(p) => periods.push(p),
                        None => self.problem(
                            Some(hours.span()),
                            "send-window.hours",
                            format!("khoảng giờ `{period}` không hợp lệ (ví dụ đúng: \"07:30-11:30\")"),
                        ),
                    }
                }
                periods.sort();
                if periods.windows(2).any(|w| w[0].1 > w[1].0) {
                    self.problem(Some(hours.span()), "send-window.hours", "các khoảng giờ chồng lên nhau");
                }
                if periods.is_empty() {
                    self.warn(
                        Some(hours.span()),
                        "send-window.hours",
                        "không có khoảng giờ nào: sẽ không gửi thư nào",
                    );
                }
                periods
            }
        };
        SendWindow {
            periods,
            working_days_only: raw.working_days_only.unwrap_or(true),
        }
    }

    fn calendar_file(&mut self, raw: &RawCalendar) -> Option<PathBuf> {
        let Some(file) = &raw.file else {
            self.warn(
                None,
                "calendar.file",
                "chưa có tệp lịch: chỉ dùng các ngày lễ theo luật, chưa có lịch nghỉ Tết và hoán đổi của từng năm",
            );
            return None;
        };
        // A relative path is relative to the configuration file's directory.
        let path = self.base_dir.join(file.get_ref());
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                if let Err(e) = crate::domain::calendar::parse_calendar_file(&text) {
                    for line in e.0.lines() {
                        self.problem(
                            Some(file.span()),
                            "calendar.file",
                            format!("{}: {line}", path.display()),
                        );
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.warn(
                Some(file.span()),
                "calendar.file",
                format!("chưa có tệp lịch {}: chỉ dùng các ngày lễ theo luật", path.display()),
            ),
            Err(e) => self.problem(
                Some(file.span()),
                "calendar.file",
                format!("không đọc được tệp lịch {}: {e}", path.display()),
            ),
        }
        Some(path)
    }

    fn reminders(&mut self, raw: &RawReminders) -> ReminderDefaults {
        let mut offsets = |value: &Option<Spanned<String>>, key: &str, default: &str| match value {
            Some(text) => Offsets::parse(text.get_ref()).unwrap_or_else(|e| {
                self.problem(Some(text.span()), key, e.0);
                Offsets::default()
            }),
            None => Offsets::parse(default).unwrap_or_default(),
        };
        let remind_before = offsets(&raw.remind_before, "reminders.remind-before", "7d,3d,1d");
        let overdue_after = offsets(&raw.overdue_after, "reminders.overdue-after", "1d,3d,7d");
        let mut one_duration = |value: &Option<Spanned<String>>, key: &str, default_minutes: i64| match value {
            Some(text) => match Offsets::parse(text.get_ref()).map(|o| o.minutes().to_vec()) {
                Ok(minutes) if minutes.len() == 1 => minutes[0],
                _ => {
                    self.problem(
                        Some(text.span()),
                        key,
                        "ghi một khoảng thời gian, ví dụ \"3d\" hoặc \"36h\"",
                    );
                    default_minutes
                }
            },
            None => default_minutes,
        };
        let give_up_after_minutes = one_duration(&raw.give_up_after, "reminders.give-up-after", 3 * 24 * 60);
        let stop_overdue_after_minutes =
            one_duration(&raw.stop_overdue_after, "reminders.stop-overdue-after", 30 * 24 * 60);
        ReminderDefaults {
            remind_before,
            overdue_after,
            notice_on_activation: raw.notice_on_activation.unwrap_or(true),
            give_up_after_minutes,
            stop_overdue_after_minutes,
        }
    }
}

fn hm(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default()
}

fn parse_period(text: &str) -> Option<(NaiveTime, NaiveTime)> {
    let (start, end) = text.split_once('-')?;
    let start = NaiveTime::parse_from_str(start.trim(), "%H:%M").ok()?;
    let end = NaiveTime::parse_from_str(end.trim(), "%H:%M").ok()?;
    (start < end).then_some((start, end))
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The dotted key written on the line that holds `offset`: the nearest `[table]` above it
/// plus the key before `=` on that line.
fn key_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |p| p + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |p| offset + p);
    let line = text[line_start..line_end].trim();
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    if line.starts_with('[') {
        return line.trim_matches(|c| c == '[' || c == ']').trim().to_string();
    }
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string());
    match (table, key) {
        (Some(table), Some(key)) => format!("{table}.{key}"),
        (None, Some(key)) => key,
        (Some(table), None) => table,
        (None, None) => String::new(),
    }
}

fn deserialize_problem(text: &str, error: &toml::de::Error) -> Problem {
    let span = error.span();
    let line = span.as_ref().map(|s| line_of(text, s.start));
    let key = span.as_ref().map(|s| key_at(text, s.start)).unwrap_or_default();
    let raw_message = error.message().trim();
    let message = if let Some(rest) = raw_message.strip_prefix("unknown field `") {
        let field = rest.split('`').next().unwrap_or_default();
        if field.starts_with("password") && field != "password-file" && field != "password-credential" {
            "không được ghi mật khẩu trong tệp cấu hình; dùng password-file (tệp chỉ root đọc được) hoặc password-credential (LoadCredential của systemd)".to_string()
        } else {
            let expected = rest.split_once("expected ").map(|(_, e)| e).unwrap_or_default();
            let expected = expected.strip_prefix("one of ").unwrap_or(expected);
            format!("khóa `{field}` không có trong cấu hình của baocao (các khóa hợp lệ: {expected})")
        }
    } else if let Some(rest) = raw_message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default();
        format!("thiếu khóa bắt buộc `{field}`")
    } else if let Some(rest) = raw_message.strip_prefix("unknown variant `") {
        let value = rest.split('`').next().unwrap_or_default();
        let expected = rest.split_once("expected ").map(|(_, e)| e).unwrap_or_default();
        let expected = expected.strip_prefix("one of ").unwrap_or(expected);
        format!("giá trị `{value}` không được chấp nhận; ghi một trong: {expected}")
    } else if span.is_some() && (raw_message.starts_with("invalid type") || raw_message.starts_with("invalid value")) {
        let expected = raw_message.rsplit_once("expected ").map(|(_, e)| e).unwrap_or_default();
        let wanted = match expected {
            "a string" => "cần một chuỗi trong dấu ngoặc kép",
            "a boolean" => "cần true hoặc false",
            "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" => {
                "cần một số nguyên, không có dấu ngoặc kép"
            }
            "f32" | "f64" => "cần một số, không có dấu ngoặc kép",
            "a sequence" => "cần một danh sách [\"…\", \"…\"]",
            _ if expected.starts_with("struct ") || expected == "a map" => "cần một bảng [tên-bảng]",
            _ => "không đúng loại",
        };
        if raw_message.starts_with("invalid type") {
            format!("giá trị sai kiểu: {wanted} ({raw_message})")
        } else {
            format!("giá trị nằm ngoài khoảng cho phép ({raw_message})")
        }
    } else {
        format!("tệp không đúng cú pháp TOML ({raw_message})")
    };
    let key = match raw_message.strip_prefix("missing field `") {
        // A missing key's span points at its table; name the key itself.
        Some(rest) => {
            let field = rest.split('`').next().unwrap_or_default();
            if key.is_empty() {
                field.to_string()
            } else {
                format!("{key}.{field}")
            }
        }
        None => key,
    };
    Problem { line, key, message }
}

fn file_permission_warnings(path: &Path) -> Vec<Problem> {
    use std::os::unix::fs::PermissionsExt;
    let mut warnings = Vec::new();
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o002 != 0
    {
        warnings.push(Problem {
            line: None,
            key: String::new(),
            message: "ai cũng ghi được vào tệp cấu hình: chạy chmod o-w".into(),
        });
    }
    warnings
}

/// The working calendar the settings name: built-in rules plus the calendar file, if one is
/// configured and present.
pub fn load_calendar(settings: &Settings) -> Result<crate::domain::calendar::WorkingCalendar, String> {
    let file = match &settings.calendar_file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => {
                crate::domain::calendar::parse_calendar_file(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Default::default(),
            Err(e) => return Err(format!("không đọc được tệp lịch {}: {e}", path.display())),
        },
        None => Default::default(),
    };
    Ok(crate::domain::calendar::WorkingCalendar::new(file))
}

/// Warnings about secret files that anyone on the machine can read.
pub fn secret_permission_warnings(settings: &Settings) -> Vec<Problem> {
    use std::os::unix::fs::PermissionsExt;
    let servers = [
        settings.smtp.as_ref().map(|s| ("smtp", &s.server)),
        settings.imap.as_ref().map(|i| ("imap", &i.server)),
    ];
    let mut warnings = Vec::new();
    for (section, server) in servers.into_iter().flatten() {
        if let Some(SecretSource::File(path)) = &server.password
            && let Ok(meta) = std::fs::metadata(path)
        {
            let message = if !meta.is_file() {
                format!(
                    "{} không phải là một tệp: password-file phải là tệp chứa mật khẩu",
                    path.display()
                )
            } else if meta.permissions().mode() & 0o044 != 0 {
                format!("người khác đọc được tệp mật khẩu {}: chạy chmod 600", path.display())
            } else {
                continue;
            };
            warnings.push(Problem {
                line: None,
                key: format!("{section}.password-file"),
                message,
            });
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[office]
name = "Sở Giáo dục và Đào tạo tỉnh Điện Biên"
report-mailbox = "vanphong.sodienbien@moet.edu.vn"
"#;

    fn problems(text: &str) -> Vec<Problem> {
        parse(text, Path::new("t.toml"))
            .expect_err("should be refused")
            .problems
    }

    #[test]
    fn a_minimal_config_gets_the_documented_defaults() {
        let loaded = parse(MINIMAL, Path::new("t.toml")).unwrap();
        let s = loaded.settings;
        assert_eq!(s.office.zone, chrono_tz::Asia::Ho_Chi_Minh);
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(
            s.send_window.periods,
            vec![(hm(7, 30), hm(11, 30)), (hm(13, 30), hm(17, 0))]
        );
        assert!(s.send_window.working_days_only);
        assert_eq!(s.reminders.remind_before.to_text(), "7d,3d,1d");
        assert_eq!(s.reminders.overdue_after.to_text_ascending(), "1d,3d,7d");
        assert_eq!(
            loaded.warnings.len(),
            3,
            "missing smtp, imap and calendar are warnings: {:?}",
            loaded.warnings
        );
    }

    #[test]
    fn the_not_a_report_phrase_lists_replace_the_built_in_ones() {
        let text = format!(
            "{MINIMAL}\n[intake]\nmore-time-phrases = [\"khất\"]\nasking-phrases = [\"xin\"]\napology-phrases = [\"xin lỗi\"]\n"
        );
        let phrases = parse(&text, Path::new("t.toml")).unwrap().settings.intake.phrases;
        assert_eq!(phrases.more_time, vec!["khất".to_string()]);
        assert_eq!(phrases.asking, vec!["xin".to_string()]);
        assert_eq!(phrases.apology, vec!["xin lỗi".to_string()]);
        assert_eq!(
            phrases.acknowledgement,
            crate::domain::incoming::Phrases::default().acknowledgement
        );
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let text = format!("{MINIMAL}\n[smtp]\nhost = \"mail.x.vn\"\nprot = 465\n");
        let found = problems(&text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, Some(8));
        assert_eq!(found[0].key, "smtp.prot");
        assert!(found[0].message.contains("prot"), "{}", found[0].message);
    }

    #[test]
    fn imap_without_tls_is_refused_where_the_file_is_checked() {
        // `run` refuses it; `check-config` must not say the file is fine.
        let text = format!("{MINIMAL}\n[imap]\nhost = \"127.0.0.1\"\ntls = \"none\"\n");
        let found = problems(&text);
        assert_eq!(found[0].key, "imap.tls", "{found:?}");
        assert!(found[0].message.contains("starttls"), "{}", found[0].message);
        // SMTP without TLS stays allowed on this machine (a local relay).
        let text = format!("{MINIMAL}\n[smtp]\nhost = \"127.0.0.1\"\ntls = \"none\"\n");
        assert!(parse(&text, Path::new("t.toml")).is_ok());
    }

    #[test]
    fn a_lease_no_longer_than_a_send_is_refused() {
        let text = format!("{MINIMAL}\n[smtp]\nhost = \"mail.x.vn\"\ntimeout-seconds = 30\nclaim-lease-seconds = 30\n");
        let found = problems(&text);
        assert_eq!(found[0].key, "smtp.claim-lease-seconds", "{found:?}");
        let text = format!("{MINIMAL}\n[smtp]\nhost = \"mail.x.vn\"\ntimeout-seconds = 30\n");
        let smtp = parse(&text, Path::new("t.toml")).unwrap().settings.smtp.unwrap();
        assert_eq!(smtp.claim_lease, std::time::Duration::from_secs(120));
    }

    #[test]
    fn a_password_file_that_is_a_directory_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{MINIMAL}\n[smtp]\nhost = \"mail.x.vn\"\nuser = \"u\"\npassword-file = \"{}\"\n",
            dir.path().display()
        );
        let settings = parse(&text, Path::new("t.toml")).unwrap().settings;
        let warnings = secret_permission_warnings(&settings);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].message.contains("không phải là một tệp"),
            "{}",
            warnings[0].message
        );
        assert!(!warnings[0].message.contains("người khác đọc được"));
    }

    #[test]
    fn an_inline_password_is_refused_with_the_way_out() {
        let text = format!("{MINIMAL}\n[imap]\nhost = \"mail.x.vn\"\npassword = \"secret\"\n");
        let found = problems(&text);
        assert_eq!(found[0].key, "imap.password");
        assert!(found[0].message.contains("password-file"));
        assert!(
            !format!("{found:?}").contains("\"secret\""),
            "the secret must not be echoed"
        );
    }

    #[test]
    fn every_semantic_problem_is_listed() {
        let text = r#"
[office]
name = "X"
time-zone = "Asia/Hanoi_Typo"
report-mailbox = "not an address"

[send-window]
hours = ["07:30-11:30", "17:00-13:30"]

[reminders]
remind-before = "7d,3x"
"#;
        let found = problems(text);
        let keys: Vec<(&str, Option<usize>)> = found.iter().map(|p| (p.key.as_str(), p.line)).collect();
        assert_eq!(
            keys,
            vec![
                ("office.time-zone", Some(4)),
                ("office.report-mailbox", Some(5)),
                ("send-window.hours", Some(8)),
                ("reminders.remind-before", Some(11)),
            ]
        );
    }

    #[test]
    fn unknown_keys_wrong_types_and_wrong_values_come_out_together_in_file_order() {
        let text = r#"
[office]
name = "X"
report-mailbox = "not an address"
colour = "blue"

[smtp]
host = "mail.x.vn"
port = "465"
tls = "ssl"
user = "u"
password = "secret"

[reminders]
remind-before = "7d,3x"

[[web.users]]
name = "vanthu"
password-hash = 42
[[web.users]]
password-hash = "x"
role = "admin"
"#;
        let found = problems(text);
        let keys: Vec<(&str, Option<usize>)> = found.iter().map(|p| (p.key.as_str(), p.line)).collect();
        assert_eq!(
            keys,
            vec![
                ("office.report-mailbox", Some(4)),
                ("office.colour", Some(5)),
                ("smtp.port", Some(9)),
                ("smtp.tls", Some(10)),
                // The inline password is refused once; `user` is not also said to lack one.
                ("smtp.password", Some(12)),
                ("reminders.remind-before", Some(15)),
                ("web.users.password-hash", Some(19)),
                ("web.users.name", Some(20)),
                ("web.users.role", Some(22)),
            ],
            "{found:#?}"
        );
        assert!(found[2].message.contains("số nguyên"), "{}", found[2].message);
        assert!(found[3].message.contains("`starttls`"), "{}", found[3].message);
        assert!(!format!("{found:?}").contains("\"secret\""));
    }

    #[test]
    fn a_key_left_out_for_its_type_is_not_also_missing() {
        let found = problems("[office]\nname = \"X\"\nreport-mailbox = [\"a@x.vn\"]\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].key.as_str(), found[0].line),
            ("office.report-mailbox", Some(3))
        );
        // Dotted keys are placed too.
        let found = problems(&format!("smtp.host = \"h\"\nsmtp.port = \"x\"\n{MINIMAL}"));
        assert_eq!(
            (found[0].key.as_str(), found[0].line),
            ("smtp.port", Some(2)),
            "{found:?}"
        );
        // A missing [office] is named without a line, after the others.
        let found = problems("[smtp]\nhost = \"h\"\nprot = 1\n");
        let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["smtp.prot", "office"]);
        assert_eq!(found[1].line, None);
    }

    #[test]
    fn a_generated_file_with_thousands_of_unknown_keys_stops_after_two_hundred() {
        let text = format!(
            "{MINIMAL}{}",
            (0..3000).map(|i| format!("k{i} = 1\n")).collect::<String>()
        );
        let found = problems(&text);
        assert_eq!(found.len(), 201);
        assert!(found[200].message.contains("dừng sau 200 lỗi"), "{:?}", found[200]);
    }

    #[test]
    fn a_wrong_type_names_the_key() {
        let text = format!("{MINIMAL}\n[smtp]\nhost = \"mail.x.vn\"\nport = \"465\"\n");
        let found = problems(&text);
        assert_eq!((found[0].key.as_str(), found[0].line), ("smtp.port", Some(8)));
    }

    #[test]
    fn a_missing_required_key_is_named() {
        let found = problems("[office]\nname = \"X\"\n");
        assert_eq!(found[0].key, "office.report-mailbox");
    }

    #[test]
    fn a_user_without_a_password_source_is_refused() {
        let text = format!("{MINIMAL}\n[smtp]\nhost = \"mail.x.vn\"\nuser = \"a\"\n");
        assert_eq!(problems(&text)[0].key, "smtp.user");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let secret = Secret("hunter2".into());
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
