//! Configuration in two steps: the TOML a person wrote (`Raw*` structs that reject unknown
//! keys), then the checked [`Settings`] the rest of the program uses, with real types for
//! the time zone, addresses, send window and reminder policy.
//!
//! Every problem found is reported with the file, the line and the dotted key, in
//! Vietnamese, so `baocao check-config` can list them all. Secrets are never read from the
//! config file itself: it only names a file or a systemd credential ([`SecretSource`]).

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::Deserialize;

use crate::domain::calendar::WorkingCalendar;
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

fn default_message_dir(database_url: &DatabaseUrl) -> PathBuf {
    match database_url.sqlite_path().and_then(Path::parent) {
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
    pub database_url: DatabaseUrl,
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
    /// How users prove who they are.
    pub login: WebLogin,
    pub users: Vec<WebUser>,
}

/// How a web user's password is checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WebLogin {
    /// Against the argon2 hash in `[[web.users]]` (`baocao user add`).
    #[default]
    Password,
    /// By logging in to the office's mail server (`[imap]` host) with the user's own mailbox
    /// name and password: the office manages no second password.
    Imap,
}

/// Someone who may log in, and what they may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUser {
    pub name: String,
    /// The argon2 hash of the password; `None` with `login = "imap"`.
    pub password_hash: Option<String>,
    pub role: WebRole,
}

/// What a web user may do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WebRole {
    /// Văn thư: everything a clerk does — requests, series, units, letters, review.
    #[default]
    VanThu,
    /// Lãnh đạo: reads and exports, changes nothing.
    LanhDao,
    /// Quản trị: a clerk's rights, and users and settings.
    QuanTri,
}

impl WebRole {
    pub const ALL: [WebRole; 3] = [WebRole::VanThu, WebRole::LanhDao, WebRole::QuanTri];

    pub fn as_str(self) -> &'static str {
        match self {
            WebRole::VanThu => "van-thu",
            WebRole::LanhDao => "lanh-dao",
            WebRole::QuanTri => "quan-tri",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            WebRole::VanThu => "văn thư",
            WebRole::LanhDao => "lãnh đạo",
            WebRole::QuanTri => "quản trị",
        }
    }

    /// Reads `van-thu`, `lãnh đạo`, `quan_tri`, …
    pub fn parse(text: &str) -> Option<WebRole> {
        let key = crate::domain::matching::search_key(text).replace([' ', '_'], "-");
        WebRole::ALL.into_iter().find(|r| r.as_str() == key)
    }

    /// Whether the role may change data (a POST other than logging out).
    pub fn may_change(self) -> bool {
        matches!(self, WebRole::VanThu | WebRole::QuanTri)
    }
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
    /// When overdue notices are copied to the unit's parent, for requests and series that do
    /// not say otherwise (`escalate-after = "3,7"`; none by default).
    pub escalation: crate::domain::escalation::Escalation,
}

mod checks;
mod database_url;
mod diagnostics;
mod files;
mod raw;
mod secrets;

use checks::Checker;
pub use database_url::DatabaseUrl;
pub use diagnostics::{ConfigError, Problem, format_problem};
use diagnostics::{deserialize_leniently, deserialize_problem};
use files::file_permission_warnings;
pub use secrets::{Secret, SecretSource, read_credentials_from, secret_permission_warnings};

/// A loaded configuration with the warnings found while checking it, and the working
/// calendar it names (built-in rules plus the calendar file, read once while checking).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub settings: Settings,
    pub warnings: Vec<Problem>,
    pub calendar: WorkingCalendar,
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
        files: Vec::new(),
    };
    let settings = check.settings(raw);
    problems.append(&mut check.problems);
    // Then the disk: the files the settings name.
    let mut step = files::check(&check.files);
    problems.append(&mut step.problems);
    check.warnings.append(&mut step.warnings);
    check.warnings.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
    // In the order of the file; problems without a line (a missing table) last.
    problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
    match settings {
        Some(settings) if problems.is_empty() => Ok(Loaded {
            settings,
            warnings: check.warnings,
            calendar: WorkingCalendar::new(step.calendar.unwrap_or_default()),
        }),
        _ => Err(fail(problems)),
    }
}

#[cfg(test)]
mod tests {
    use super::checks::hm;
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
        assert_eq!(s.database_url, DatabaseUrl::parse(DEFAULT_DATABASE_URL));
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
group = "admin"
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
                ("web.users.group", Some(22)),
            ],
            "{found:#?}"
        );
        assert!(found[2].message.contains("số nguyên"), "{}", found[2].message);
        assert!(found[3].message.contains("`starttls`"), "{}", found[3].message);
        assert!(!format!("{found:?}").contains("\"secret\""));
    }

    #[test]
    fn a_web_users_role_and_login_are_checked() {
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
        let found = problems(&format!(
            "{MINIMAL}\n[web]\nlogin = \"imap\"\n[[web.users]]\nname = \"a\"\npassword-hash = \"{hash}\"\nrole = \"admin\"\n"
        ));
        let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
        // No [imap] in MINIMAL: an IMAP login has no server to ask.
        assert!(
            keys.contains(&"web.users.role") && keys.contains(&"web.login"),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|p| p.message.contains("van-thu, lanh-dao hoặc quan-tri")),
            "{found:#?}"
        );
        let found = problems(&format!("{MINIMAL}\n[web]\nlogin = \"ldap\"\n"));
        assert!(found[0].message.contains("\"password\""), "{found:#?}");
        assert_eq!(WebRole::parse("Lãnh đạo"), Some(WebRole::LanhDao));
        assert!(!WebRole::LanhDao.may_change() && WebRole::QuanTri.may_change());
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
}
