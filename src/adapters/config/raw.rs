//! What the person wrote: `Raw*` structs that reject unknown keys.

use serde::Deserialize;
use toml::Spanned;

use super::TlsMode;

// ---------------------------------------------------------------------------------------
// What the person wrote.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawConfig {
    pub(super) office: Option<Spanned<RawOffice>>,
    #[serde(default)]
    pub(super) database: RawDatabase,
    pub(super) smtp: Option<Spanned<RawSmtp>>,
    pub(super) imap: Option<Spanned<RawImap>>,
    #[serde(default)]
    pub(super) send_window: RawSendWindow,
    #[serde(default)]
    pub(super) reminders: RawReminders,
    #[serde(default)]
    pub(super) calendar: RawCalendar,
    #[serde(default)]
    pub(super) templates: RawTemplates,
    #[serde(default)]
    pub(super) digest: RawDigest,
    #[serde(default)]
    pub(super) intake: RawIntake,
    #[serde(default)]
    pub(super) daemon: RawDaemon,
    #[serde(default)]
    pub(super) web: RawWeb,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawWeb {
    pub(super) enabled: Option<bool>,
    pub(super) listen: Option<Spanned<String>>,
    pub(super) public_read: Option<bool>,
    pub(super) secure_cookie: Option<bool>,
    pub(super) login: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) users: Vec<Spanned<RawWebUser>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawWebUser {
    pub(super) name: Option<String>,
    pub(super) password_hash: Option<String>,
    pub(super) role: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawDaemon {
    pub(super) tick_seconds: Option<Spanned<u64>>,
    pub(super) reconcile_minutes: Option<Spanned<u64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawIntake {
    pub(super) message_dir: Option<Spanned<String>>,
    pub(super) max_message_size_mb: Option<Spanned<usize>>,
    pub(super) message_time_budget_seconds: Option<Spanned<f64>>,
    pub(super) trusted_authserv_ids: Option<Vec<String>>,
    pub(super) poll_seconds: Option<Spanned<u64>>,
    pub(super) idle_minutes: Option<Spanned<u64>>,
    pub(super) acknowledgement_phrases: Option<Vec<String>>,
    pub(super) question_phrases: Option<Vec<String>>,
    pub(super) more_time_phrases: Option<Vec<String>>,
    pub(super) asking_phrases: Option<Vec<String>>,
    pub(super) apology_phrases: Option<Vec<String>>,
    pub(super) out_of_office_subjects: Option<Vec<String>>,
    pub(super) receipts: Option<bool>,
    pub(super) receipt_pause_minutes: Option<Spanned<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawTemplates {
    pub(super) dir: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawDigest {
    pub(super) enabled: Option<bool>,
    pub(super) time: Option<Spanned<String>>,
    pub(super) to: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawCalendar {
    pub(super) file: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawOffice {
    pub(super) name: Option<Spanned<String>>,
    pub(super) time_zone: Option<Spanned<String>>,
    pub(super) report_mailbox: Option<Spanned<String>>,
    pub(super) contact: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawDatabase {
    pub(super) url: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawSmtp {
    pub(super) host: Option<Spanned<String>>,
    pub(super) port: Option<u16>,
    pub(super) tls: Option<TlsMode>,
    pub(super) user: Option<String>,
    pub(super) password_file: Option<Spanned<String>>,
    pub(super) password_credential: Option<Spanned<String>>,
    pub(super) ca_file: Option<Spanned<String>>,
    pub(super) helo_name: Option<String>,
    pub(super) timeout_seconds: Option<Spanned<u64>>,
    pub(super) concurrency: Option<Spanned<usize>>,
    pub(super) first_retry_seconds: Option<Spanned<i64>>,
    pub(super) claim_lease_seconds: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawImap {
    pub(super) host: Option<Spanned<String>>,
    pub(super) port: Option<u16>,
    pub(super) tls: Option<TlsMode>,
    pub(super) user: Option<String>,
    pub(super) password_file: Option<Spanned<String>>,
    pub(super) password_credential: Option<Spanned<String>>,
    pub(super) ca_file: Option<Spanned<String>>,
    pub(super) mailbox: Option<String>,
    pub(super) start_from: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawSendWindow {
    pub(super) hours: Option<Spanned<Vec<String>>>,
    pub(super) working_days_only: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawReminders {
    pub(super) remind_before: Option<Spanned<String>>,
    pub(super) overdue_after: Option<Spanned<String>>,
    pub(super) notice_on_activation: Option<bool>,
    pub(super) give_up_after: Option<Spanned<String>>,
    pub(super) stop_overdue_after: Option<Spanned<String>>,
    pub(super) escalate_after: Option<Spanned<String>>,
    pub(super) escalate_to: Option<Spanned<String>>,
    pub(super) escalate_via: Option<Spanned<String>>,
}
