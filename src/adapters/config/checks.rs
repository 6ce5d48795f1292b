//! Checking: raw values → [`Settings`](super::Settings), every problem with its line and key.
//! No file-system access here: the files the settings name are listed for `super::files`.
//! Long because each key's check and its Vietnamese message live together, one method per
//! section.

use std::collections::HashSet;
use std::ops::Range;
use std::path::PathBuf;

use chrono::NaiveTime;
use chrono_tz::Tz;
use toml::Spanned;

use super::diagnostics::*;
use super::raw::*;
use super::*;
use crate::domain::model::{EmailAddress, Offsets};

// ---------------------------------------------------------------------------------------
// Checking.

pub(super) struct Checker<'a> {
    pub(super) text: &'a str,
    pub(super) base_dir: PathBuf,
    /// Dotted keys already reported as unknown or of the wrong type and left out.
    pub(super) left_out: HashSet<String>,
    pub(super) problems: Vec<Problem>,
    pub(super) warnings: Vec<Problem>,
    /// Files the settings name, checked on disk afterwards (`super::files`), not here.
    pub(super) files: Vec<super::files::FileCheck>,
}

/// The fields SMTP and IMAP share.
pub(super) struct RawServer<'r> {
    pub(super) section: &'static str,
    /// Where the section is, for what it lacks.
    pub(super) table: Range<usize>,
    pub(super) host: &'r Option<Spanned<String>>,
    pub(super) port: Option<u16>,
    pub(super) default_port: u16,
    pub(super) tls: Option<TlsMode>,
    pub(super) user: &'r Option<String>,
    pub(super) password_file: &'r Option<Spanned<String>>,
    pub(super) password_credential: &'r Option<Spanned<String>>,
    pub(super) ca_file: &'r Option<Spanned<String>>,
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

    pub(super) fn settings(&mut self, raw: RawConfig) -> Option<Settings> {
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
                if !DatabaseUrl::is_written_as_url(&value) {
                    self.problem(
                        Some(url.span()),
                        "database.url",
                        "phải bắt đầu bằng sqlite: hoặc postgres://",
                    );
                }
                DatabaseUrl::parse(&value)
            }
            None => DatabaseUrl::parse(DEFAULT_DATABASE_URL),
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
        if web.login == WebLogin::Imap && imap.is_none() {
            self.problem(
                raw.web.login.as_ref().map(|l| l.span()),
                "web.login",
                "login = \"imap\" kiểm tra mật khẩu trên máy chủ [imap] của cơ quan, nhưng chưa cấu hình [imap]",
            );
        }
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
        let login = match raw.login.as_ref().map(|l| l.get_ref().trim()) {
            None | Some("password" | "mat-khau") => WebLogin::Password,
            Some("imap") => WebLogin::Imap,
            Some(other) => {
                self.problem(
                    raw.login.as_ref().map(|l| l.span()),
                    "web.login",
                    format!("không có cách đăng nhập `{other}`: ghi \"password\" (mật khẩu riêng) hoặc \"imap\" (mật khẩu hộp thư)"),
                );
                WebLogin::Password
            }
        };
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
            let role = match user.role.as_deref() {
                None => WebRole::VanThu,
                Some(text) => match WebRole::parse(text) {
                    Some(role) => role,
                    None => {
                        self.problem(
                            Some(span.clone()),
                            "web.users.role",
                            format!("vai trò `{text}` của {name} không có: ghi van-thu, lanh-dao hoặc quan-tri"),
                        );
                        continue;
                    }
                },
            };
            let password_hash = match (&user.password_hash, login) {
                (None, WebLogin::Imap) => None,
                (None, WebLogin::Password) => {
                    self.missing(Some(span), "web.users.password-hash");
                    continue;
                }
                (Some(hash), _) => {
                    if argon2::PasswordHash::new(hash.trim()).is_err() {
                        self.problem(
                            Some(span),
                            "web.users.password-hash",
                            format!("mật khẩu của {name} không phải mã băm argon2: tạo bằng `baocao user add {name}`"),
                        );
                        continue;
                    }
                    Some(hash.trim().to_string())
                }
            };
            users.push(WebUser {
                name,
                password_hash,
                role,
            });
        }
        WebSettings {
            listen: enabled.then_some(listen),
            public_read: raw.public_read.unwrap_or(false),
            secure_cookie: raw.secure_cookie.unwrap_or(false),
            login,
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
                self.files.push(super::files::FileCheck {
                    line: line_of(self.text, file.span().start),
                    key: format!("{section}.password-file"),
                    path: path.clone(),
                    kind: super::files::FileKind::Password,
                });
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
            self.files.push(super::files::FileCheck {
                line: line_of(self.text, ca.span().start),
                key: format!("{section}.ca-file"),
                path: path.clone(),
                kind: super::files::FileKind::Certificate,
            });
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
        self.files.push(super::files::FileCheck {
            line: line_of(self.text, file.span().start),
            key: "calendar.file".to_string(),
            path: path.clone(),
            kind: super::files::FileKind::Calendar,
        });
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
        let after = raw.escalate_after.as_ref();
        let to = raw.escalate_to.as_ref();
        let escalation = crate::domain::escalation::Escalation::parse(
            after.map_or("", |a| a.get_ref()),
            to.map_or("", |t| t.get_ref()),
        )
        .unwrap_or_else(|e| {
            let (span, key) = match (after, to) {
                (_, Some(to)) if e.contains("người nhận") => (to.span(), "reminders.escalate-to"),
                (Some(after), _) => (after.span(), "reminders.escalate-after"),
                (None, Some(to)) => (to.span(), "reminders.escalate-to"),
                (None, None) => (0..0, "reminders.escalate-after"),
            };
            self.problem(Some(span), key, e);
            crate::domain::escalation::Escalation::default()
        });
        let escalation = match &raw.escalate_via {
            Some(via) => match crate::domain::escalation::EscalateVia::parse(via.get_ref()) {
                Ok(via) => crate::domain::escalation::Escalation { via, ..escalation },
                Err(e) => {
                    self.problem(Some(via.span()), "reminders.escalate-via", e);
                    escalation
                }
            },
            None => escalation,
        };
        ReminderDefaults {
            remind_before,
            overdue_after,
            notice_on_activation: raw.notice_on_activation.unwrap_or(true),
            give_up_after_minutes,
            stop_overdue_after_minutes,
            escalation,
        }
    }
}

pub(super) fn hm(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default()
}

pub(super) fn parse_period(text: &str) -> Option<(NaiveTime, NaiveTime)> {
    let (start, end) = text.split_once('-')?;
    let start = NaiveTime::parse_from_str(start.trim(), "%H:%M").ok()?;
    let end = NaiveTime::parse_from_str(end.trim(), "%H:%M").ok()?;
    (start < end).then_some((start, end))
}

pub(super) fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
