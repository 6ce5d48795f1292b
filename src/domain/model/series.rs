//! A periodic report (báo cáo định kỳ) as the registry keeps it: the directive that asks a
//! report every period, who must report, its schedule, and the period an instance is for.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{LetterFields, Offsets, Recipients, RequestCode};
use crate::domain::period::{Period, Schedule};

/// Whether a series still makes instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesState {
    Active,
    /// No new instance is made; those made go on.
    Paused,
    Closed,
}

impl SeriesState {
    pub fn as_str(self) -> &'static str {
        match self {
            SeriesState::Active => "active",
            SeriesState::Paused => "paused",
            SeriesState::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [SeriesState::Active, SeriesState::Paused, SeriesState::Closed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            SeriesState::Active => "đang chạy",
            SeriesState::Paused => "tạm dừng",
            SeriesState::Closed => "đã kết thúc",
        }
    }
}

/// A series: each of its periods becomes a request (an instance) with its own token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Series {
    pub id: i64,
    /// Short name the clerk types: `bc-thang`, `cchc-quy`.
    pub code: String,
    pub input: SeriesInput,
    pub state: SeriesState,
    pub created_at: DateTime<Utc>,
}

/// What a clerk gives to make a series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeriesInput {
    pub code: String,
    /// The directive's number: `12/KH-UBND`.
    pub doc_code: RequestCode,
    /// Trích yếu without the period: "Báo cáo công tác cải cách hành chính".
    pub title: String,
    pub issued_on: Option<NaiveDate>,
    pub letter: LetterFields,
    pub schedule: Schedule,
    /// The deadline rule as the clerk typed it (shown back, read again on load).
    pub deadline_text: String,
    /// The first period an instance is made for.
    pub first_period: Period,
    pub recipients: Recipients,
    pub remind_before: Offsets,
    pub overdue_after: Offsets,
    pub attachment_required: bool,
    /// Its own escalation, given to each instance; `None`: the configuration's.
    pub escalation: Option<crate::domain::escalation::Escalation>,
}

/// The period a request is the instance of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestPeriod {
    pub series_id: i64,
    /// [`Period::key`]: `2026-Q4`.
    pub key: String,
    /// "Quý IV/2026".
    pub label: String,
}

/// The title of a period's instance: the series' title and the period ("Báo cáo công tác
/// cải cách hành chính quý IV/2026"), so every letter, list and export names the period.
pub fn instance_title(title: &str, period: &Period) -> String {
    let label = period.label_vi();
    let mut chars = label.chars();
    let lowered: String = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => label,
    };
    // A title that already names the period ("Báo cáo quý IV/2026") keeps its words.
    let key = crate::domain::matching::search_key;
    if key(title).contains(&key(&lowered)) {
        return title.trim().to_string();
    }
    format!("{} {lowered}", title.trim())
}
