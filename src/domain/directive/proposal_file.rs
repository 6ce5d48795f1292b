//! The proposal as a TOML file the clerk can edit: one key per field of `request add`, the
//! line each value was read from as a comment, and what is missing as a commented key with
//! the reason. `request add --from-proposal` reads it back ([`ProposalFile::parse`]) and
//! refuses it while a required field is empty ([`ProposalFile::missing_vi`]).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::{Field, Found, Proposal};
use crate::domain::dates::{self, ParsedDeadline};
use crate::domain::model::{GroupCode, LetterFields, Offsets, Recipients, RequestCode, RequestInput, UnitCode};

/// The fields of `request add`, as the file holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProposalFile {
    pub code: Option<String>,
    pub title: Option<String>,
    /// dd/mm/yyyy.
    pub issued: Option<String>,
    pub year: Option<i32>,
    pub issuer: Option<String>,
    pub kind: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub units: Vec<String>,
    /// As the directive writes it ("trước ngày 31/12/2023").
    pub deadline: Option<String>,
    #[serde(default)]
    pub no_report: bool,
    /// `None`: required (as `request add` without `--no-attachment-required`).
    pub attachment_required: Option<bool>,
    /// What to report and in what form (nội dung yêu cầu).
    pub content: Option<String>,
    /// Reminders before and after the deadline ("7d,3d,1d"); `None`: the configuration's.
    pub remind: Option<String>,
    pub overdue: Option<String>,
}

/// The reminder policy a request gets when its fields name none.
#[derive(Debug, Clone, Copy)]
pub struct Defaults<'a> {
    pub remind_before: &'a Offsets,
    pub overdue_after: &'a Offsets,
}

/// A typed value with its spaces tidied; nothing when empty.
pub fn tidy(text: Option<&str>) -> Option<String> {
    text.map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
}

impl ProposalFile {
    /// The request a proposal stands for.
    pub fn from_proposal(proposal: &Proposal, zone: Tz) -> ProposalFile {
        let value = |f: &Option<Found<String>>| f.as_ref().map(|f| f.value.clone());
        ProposalFile {
            code: proposal.number.as_ref().map(|n| n.value.to_string()),
            title: value(&proposal.title),
            issued: proposal
                .issued
                .as_ref()
                .and_then(|i| i.value.date)
                .map(dates::format_date),
            year: proposal.year(zone),
            issuer: proposal.issuer.as_ref().map(|i| i.value.name.clone()),
            kind: proposal.kind.as_ref().map(|k| k.value.name.clone()),
            groups: proposal.groups().iter().map(|g| g.to_string()).collect(),
            units: proposal.units().iter().map(|u| u.to_string()).collect(),
            deadline: proposal.deadline.as_ref().map(|d| d.value.wording.clone()),
            no_report: proposal.is_for_information(),
            attachment_required: Some(proposal.file_expected.value),
            content: None,
            remind: None,
            overdue: None,
        }
    }

    /// The request these fields ask for, checked as `request add` checks its arguments (the
    /// CLI's `request add`, `--from-proposal` and the web page all come here), with the
    /// deadline as it was read; the files and the reuse of a closed number are the caller's.
    pub fn to_input(
        &self,
        zone: Tz,
        defaults: Defaults<'_>,
        now: DateTime<Utc>,
    ) -> Result<(RequestInput, Option<ParsedDeadline>), String> {
        let code = RequestCode::parse(self.code.as_deref().unwrap_or_default()).map_err(|e| e.to_string())?;
        let deadline = match &self.deadline {
            Some(text) if !self.no_report => Some(dates::parse_deadline(text, zone).map_err(|e| e.to_string())?),
            _ => None,
        };
        let issued_on = match &self.issued {
            Some(text) => Some(
                dates::parse_date(text).ok_or_else(|| format!("ngày ban hành `{text}` không đúng dạng dd/mm/yyyy"))?,
            ),
            None => None,
        };
        let offsets = |text: &Option<String>, default: &Offsets| match (self.no_report, text) {
            (true, _) => Ok(Offsets::default()),
            (false, Some(text)) => Offsets::parse(text).map_err(|e| e.to_string()),
            (false, None) => Ok(default.clone()),
        };
        let recipients = Recipients {
            groups: self
                .groups
                .iter()
                .map(|g| GroupCode::parse(g))
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?,
            units: self
                .units
                .iter()
                .map(|u| UnitCode::parse(u))
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?,
        };
        let input = RequestInput {
            year: self
                .year
                .unwrap_or_else(|| dates::request_year(issued_on, deadline.as_ref().map_or(now, |d| d.instant), zone)),
            code,
            title: self.title.as_deref().unwrap_or_default().trim().to_string(),
            issued_on,
            deadline: deadline.as_ref().map(|d| d.instant),
            deadline_wording: self
                .deadline
                .as_deref()
                .and_then(dates::deadline_wording)
                .filter(|_| !self.no_report),
            letter: LetterFields {
                issuer: tidy(self.issuer.as_deref()),
                kind: tidy(self.kind.as_deref()),
                content: tidy(self.content.as_deref()),
            },
            recipients,
            remind_before: offsets(&self.remind, defaults.remind_before)?,
            overdue_after: offsets(&self.overdue, defaults.overdue_after)?,
            attachment_required: self.attachment_required.unwrap_or(true) && !self.no_report,
            files: Vec::new(),
            reuse_closed_number: false,
            escalation: None,
        };
        Ok((input, deadline))
    }

    /// What a request needs and the file does not give, in the clerk's words.
    pub fn missing_vi(&self) -> Vec<String> {
        let mut out = Vec::new();
        let empty = |v: &Option<String>| v.as_deref().is_none_or(|t| t.trim().is_empty());
        if empty(&self.code) {
            out.push("số văn bản (code)".to_string());
        }
        if empty(&self.title) {
            out.push("trích yếu (title)".to_string());
        }
        if self.groups.is_empty() && self.units.is_empty() {
            out.push("nhóm hoặc đơn vị phải báo cáo (groups, units)".to_string());
        }
        if empty(&self.deadline) && !self.no_report {
            out.push("hạn báo cáo (deadline), hoặc no-report = true nếu là văn bản để biết".to_string());
        }
        out
    }

    /// Reads an edited file; the error is for the clerk.
    pub fn parse(text: &str) -> Result<ProposalFile, String> {
        toml::from_str(text).map_err(|e| format!("tệp đề xuất không đúng dạng: {}", e.message()))
    }

    /// The file: each key with the line it came from, each missing field commented out with
    /// why, ready to edit.
    pub fn to_toml(&self, proposal: &Proposal, source_name: &str) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "# Đề xuất yêu cầu báo cáo đọc từ văn bản {source_name} (baocao request from).\n\
             # Xem lại, sửa các dòng dưới đây nếu cần, rồi tạo yêu cầu (bản nháp) bằng:\n\
             #   baocao request add --from-proposal <tệp này>\n\
             # Dòng bắt đầu bằng # là ghi chú; bỏ dấu # trước một khóa để điền giá trị còn thiếu.\n\n"
        ));
        let why = |field: Field| {
            proposal
                .missing
                .iter()
                .find(|m| m.field == field)
                .map(|m| m.why.clone())
                .unwrap_or_else(|| "không thấy trong văn bản".into())
        };
        let line =
            |out: &mut String, key: &str, value: Option<String>, source: Option<String>, field: Field| match value {
                Some(value) => {
                    out.push_str(&format!("{key} = {value}"));
                    if let Some(source) = source {
                        out.push_str(&format!("  # {source}"));
                    }
                    out.push('\n');
                }
                None => out.push_str(&format!("# {key} = \"\"  # THIẾU: {}\n", why(field))),
            };
        let source = |f: Option<&super::Source>| f.map(|s| format!("{}: {}", s.lines_vi(), s.text));
        for (key, value, from, field) in [
            (
                "code",
                &self.code,
                source(proposal.number.as_ref().map(|n| &n.source)),
                Field::Number,
            ),
            (
                "title",
                &self.title,
                source(proposal.title.as_ref().map(|n| &n.source)),
                Field::Title,
            ),
            (
                "issued",
                &self.issued,
                source(proposal.issued.as_ref().map(|n| &n.source)),
                Field::Issued,
            ),
            (
                "issuer",
                &self.issuer,
                source(proposal.issuer.as_ref().map(|n| &n.source)),
                Field::Issuer,
            ),
            (
                "kind",
                &self.kind,
                source(proposal.kind.as_ref().map(|n| &n.source)),
                Field::Kind,
            ),
        ] {
            line(&mut out, key, value.as_deref().map(quote), from, field);
        }
        match self.year {
            Some(year) => out.push_str(&format!("year = {year}  # năm của số hiệu\n")),
            None => out.push_str("# year = 2024  # THIẾU: không rõ năm; mặc định là năm nay\n"),
        }
        out.push_str(&format!("groups = {}\n", list(&self.groups)));
        out.push_str(&format!("units = {}\n", list(&self.units)));
        for recipient in &proposal.recipients {
            out.push_str(&format!(
                "#   Kính gửi (dòng {}): {}\n",
                recipient.line,
                recipient.matched_vi()
            ));
        }
        if self.no_report {
            out.push_str("no-report = true  # văn bản để biết: không hạn, không nhắc\n");
        } else {
            line(
                &mut out,
                "deadline",
                self.deadline.as_deref().map(quote),
                source(proposal.deadline.as_ref().map(|n| &n.source)),
                Field::Deadline,
            );
            out.push_str("no-report = false\n");
        }
        let attachment = self.attachment_required.unwrap_or(false);
        let evidence = if proposal.file_expected.source.lines.is_empty() {
            "văn bản không yêu cầu gửi tệp".to_string()
        } else {
            source(Some(&proposal.file_expected.source)).unwrap_or_default()
        };
        out.push_str(&format!("attachment-required = {attachment}  # {evidence}\n"));
        out.push_str(
            "# content = \"\"  # nội dung yêu cầu: báo cáo gì, theo mẫu nào (không bắt buộc)\n\
             # remind = \"7d,3d,1d\"  # nhắc trước hạn; không ghi: theo cấu hình\n\
             # overdue = \"1d,3d,7d\"  # nhắc sau hạn; không ghi: theo cấu hình\n",
        );
        if let Some(mailbox) = &proposal.mailbox {
            out.push_str(&format!(
                "# Hộp thư nhận báo cáo trong văn bản: {} ({})\n",
                mailbox.value,
                mailbox.source.lines_vi()
            ));
        }
        for note in &proposal.notes {
            out.push_str(&format!("# Lưu ý: {note}\n"));
        }
        out
    }
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|i| quote(i)).collect::<Vec<_>>().join(", "))
}
