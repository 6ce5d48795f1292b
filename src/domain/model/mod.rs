//! The product's nouns as plain Rust values: units, requests, their states, the small
//! value types (`UnitCode`, `GroupCode`, `EmailAddress`, `RequestCode`, `Offsets`) whose
//! checking constructors make an invalid value impossible past the edge of the program, and
//! the id types (`UnitId`, `RequestId`, `IncomingId`) that keep one row's number from being
//! passed for another's.
//!
//! Nothing here does IO or reads the clock.

mod ids;
mod series;
mod states;
mod values;

pub use ids::{IncomingId, RequestId, UnitId};
pub use series::{RequestPeriod, Series, SeriesInput, SeriesState, instance_title};
pub use states::{MessageKind, MessageState, ReviewState, SlotState};
pub use values::{DurationUnit, EmailAddress, GroupCode, Offsets, RequestCode, UnitCode, ValueError, in_largest_unit};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// An organisation that must report. The first address is where mail is sent; every
/// address identifies the unit when mail comes from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    pub id: UnitId,
    pub code: UnitCode,
    pub name: String,
    pub groups: Vec<GroupCode>,
    pub parent: Option<UnitCode>,
    pub addresses: Vec<UnitAddress>,
    pub active: bool,
    /// Set when the unit was merged into another (it is then inactive and its addresses are
    /// the other unit's); its past requests' records stay under its own row.
    pub merged: Option<MergedInto>,
}

/// Where a merged unit went, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergedInto {
    pub unit: UnitCode,
    pub at: DateTime<Utc>,
}

impl MergedInto {
    /// "đã sáp nhập vào `x` ngày 01/07/2025", the day in the office's zone.
    pub fn note_vi(&self, zone: chrono_tz::Tz) -> String {
        format!(
            "đã sáp nhập vào `{}` ngày {}",
            self.unit,
            self.at.with_timezone(&zone).format("%d/%m/%Y")
        )
    }
}

/// One address of a unit, with the failing mark that permanent delivery failures set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitAddress {
    pub address: EmailAddress,
    pub failing_since: Option<DateTime<Utc>>,
    pub failing_reason: Option<String>,
    pub role: AddressRole,
}

/// What a unit's address is for. Every address identifies the unit when mail comes from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddressRole {
    /// Nhận thư: the unit's letters go to the first of these that works.
    #[default]
    Receives,
    /// Thủ trưởng: the head, copied when the unit is escalated; no ordinary letters.
    Head,
    /// Văn thư: the unit's clerk.
    Clerk,
}

impl AddressRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressRole::Receives => "nhan-thu",
            AddressRole::Head => "thu-truong",
            AddressRole::Clerk => "van-thu",
        }
    }

    /// `nhan-thu`, `thủ trưởng`, `van thu` (no diacritics or case needed).
    pub fn parse(text: &str) -> Option<AddressRole> {
        match crate::domain::matching::search_key(text).replace(' ', "-").as_str() {
            "nhan-thu" => Some(AddressRole::Receives),
            "thu-truong" => Some(AddressRole::Head),
            "van-thu" => Some(AddressRole::Clerk),
            _ => None,
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            AddressRole::Receives => "nhận thư",
            AddressRole::Head => "thủ trưởng",
            AddressRole::Clerk => "văn thư",
        }
    }
}

/// What a clerk gives to create or replace a unit: everything but history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitInput {
    pub code: UnitCode,
    pub name: String,
    pub groups: Vec<GroupCode>,
    pub parent: Option<UnitCode>,
    pub addresses: Vec<EmailAddress>,
}

/// The life of a request: drafts send nothing, active requests are chased, closed ones are
/// history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Draft,
    Active,
    Closed,
}

impl RequestState {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Draft => "draft",
            RequestState::Active => "active",
            RequestState::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "draft" => Some(RequestState::Draft),
            "active" => Some(RequestState::Active),
            "closed" => Some(RequestState::Closed),
            _ => None,
        }
    }

    /// The word a clerk reads.
    pub fn label_vi(self) -> &'static str {
        match self {
            RequestState::Draft => "nháp",
            RequestState::Active => "đang theo dõi",
            RequestState::Closed => "đã đóng",
        }
    }
}

/// Who must report: whole groups and single units, as the directive's "Kính gửi" names them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Recipients {
    pub groups: Vec<GroupCode>,
    pub units: Vec<UnitCode>,
}

impl Recipients {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.units.is_empty()
    }
}

/// A report asked of some units. The code is unique only within a year, so `(code, year)`
/// is its identity; the short token (`BC-17`) is what outgoing mail carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    pub id: RequestId,
    pub code: RequestCode,
    pub year: i32,
    pub token: String,
    pub title: String,
    pub issued_on: Option<NaiveDate>,
    /// When the units must have reported; `None` for a request "để biết" (for information:
    /// the notice only, no reminders, no reply expected).
    pub deadline: Option<DateTime<Utc>>,
    /// The deadline as the directive wrote it ("trước ngày 31/12/2023"), shown to units.
    pub deadline_wording: Option<String>,
    /// The letter's facts: who issued the directive, its kind, what to report.
    pub letter: LetterFields,
    pub recipients: Recipients,
    pub remind_before: Offsets,
    pub overdue_after: Offsets,
    pub attachment_required: bool,
    pub state: RequestState,
    pub created_at: DateTime<Utc>,
    /// Set on a periodic report's instance: its series and period.
    pub period: Option<RequestPeriod>,
    /// Its own escalation; `None`: the configuration's.
    pub escalation: Option<crate::domain::escalation::Escalation>,
}

impl Request {
    /// Whether the request asks the units for a report (it is not "để biết").
    pub fn expects_report(&self) -> bool {
        self.deadline.is_some()
    }
}

/// What the letters to units say about the directive besides its number and title; each
/// optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LetterFields {
    /// Who issued the directive: "Ban Chỉ đạo vận động hiến máu tình nguyện tỉnh".
    pub issuer: Option<String>,
    /// The directive's kind when its number does not say it: "Công văn", "Kế hoạch".
    pub kind: Option<String>,
    /// What to report and in what form (nội dung yêu cầu).
    pub content: Option<String>,
}

/// The kinds of document and the abbreviations their numbers carry (Nghị định 30/2020/NĐ-CP,
/// Phụ lục III).
pub const DOCUMENT_KINDS: &[(&str, &str)] = &[
    ("NQ", "Nghị quyết"),
    ("QĐ", "Quyết định"),
    ("CT", "Chỉ thị"),
    ("QC", "Quy chế"),
    ("QyĐ", "Quy định"),
    ("TC", "Thông cáo"),
    ("TB", "Thông báo"),
    ("HD", "Hướng dẫn"),
    ("CTr", "Chương trình"),
    ("KH", "Kế hoạch"),
    ("PA", "Phương án"),
    ("ĐA", "Đề án"),
    ("DA", "Dự án"),
    ("BC", "Báo cáo"),
    ("BB", "Biên bản"),
    ("TTr", "Tờ trình"),
    ("CĐ", "Công điện"),
    ("GM", "Giấy mời"),
];

/// The kind of a document from the abbreviation in its number, as Nghị định 30/2020/NĐ-CP
/// (Phụ lục III) writes them: `4189/KH-BCĐ` is a Kế hoạch; a number without a kind
/// abbreviation (`165/LĐLĐ`, `123/SGDĐT-VP`) is a Công văn.
pub fn document_kind(code: &str) -> &'static str {
    // `12/2024/QĐ-UBND`: the symbol follows the last slash; `kh-bcđ` reads as `KH-BCĐ`.
    let symbol = code.rsplit_once('/').map_or("", |(_, s)| s).to_lowercase();
    let first = symbol.split('-').next().unwrap_or_default().trim().to_string();
    let has_second_part = symbol.contains('-');
    DOCUMENT_KINDS
        .iter()
        .find(|(abbreviation, _)| has_second_part && first == abbreviation.to_lowercase())
        .map_or("Công văn", |(_, kind)| kind)
}

/// What a clerk gives to create a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInput {
    pub code: RequestCode,
    pub year: i32,
    pub title: String,
    pub issued_on: Option<NaiveDate>,
    /// `None`: a request "để biết" that asks no report.
    pub deadline: Option<DateTime<Utc>>,
    /// The deadline as the directive wrote it.
    pub deadline_wording: Option<String>,
    pub letter: LetterFields,
    pub recipients: Recipients,
    pub remind_before: Offsets,
    pub overdue_after: Offsets,
    pub attachment_required: bool,
    /// Sent with the notice.
    pub files: Vec<FileInput>,
    /// Confirmed: a closed request of the same number and year may keep its number (it is
    /// renumbered internally, its records kept).
    pub reuse_closed_number: bool,
    /// Its own escalation; `None`: the configuration's.
    pub escalation: Option<crate::domain::escalation::Escalation>,
}

/// A file sent with a request's notice (the directive, a form to fill in), as read from disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInput {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// The most a request's files may weigh together. Base64 makes 7 MB about 9.6 MB on the wire,
/// under Postfix's default `message_size_limit` (10,240,000 bytes) and the ~10 MB of many
/// Zimbra and Exchange servers, with room for the letter itself.
pub const FILES_LIMIT_BYTES: usize = 7 * 1024 * 1024;

impl FileInput {
    /// The content type of a file an office sends, from its extension.
    pub fn content_type_of(name: &str) -> &'static str {
        let extension = name.rsplit_once('.').map(|(_, e)| e.to_lowercase()).unwrap_or_default();
        match extension.as_str() {
            "pdf" => "application/pdf",
            "doc" => "application/msword",
            "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "xls" => "application/vnd.ms-excel",
            "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "odt" => "application/vnd.oasis.opendocument.text",
            "ods" => "application/vnd.oasis.opendocument.spreadsheet",
            "txt" => "text/plain; charset=utf-8",
            "csv" => "text/csv; charset=utf-8",
            "zip" => "application/zip",
            "rar" => "application/vnd.rar",
            "jpg" | "jpeg" => "image/jpeg",
            "png" => "image/png",
            _ => "application/octet-stream",
        }
    }
}

/// How a submission reached the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionVia {
    Email,
    Manual,
}

impl SubmissionVia {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionVia::Email => "email",
            SubmissionVia::Manual => "manual",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "email" => Some(SubmissionVia::Email),
            "manual" => Some(SubmissionVia::Manual),
            _ => None,
        }
    }
}
