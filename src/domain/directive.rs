//! A request proposed from a directive's text (công văn, kế hoạch): the number ("Số: 4189/KH-BCĐ"),
//! the place-and-date line, the issuer (the heading's left column), the kind, the trích yếu
//! ("V/v …"), the recipients ("Kính gửi: …" matched to the registry's groups and units), the
//! report deadline sentence (read by [`crate::domain::dates::parse_deadline`]), a report
//! mailbox named in the text and whether a file is expected.
//!
//! Text comes as PDF and Word extraction leaves it: stray spaces, blank lines between lines,
//! page breaks, the two-column heading on one line. Every field found carries the lines it
//! came from; a field not found is listed in `missing` with why. Nothing is invented: a day
//! left blank stays blank, a number not written stays missing.
//!
//! Pure code: the registry and the office's zone are passed in. [`proposal_file`] is the
//! editable TOML form of a proposal (`--write-proposal`, `request add --from-proposal`).

mod deadline;
pub mod proposal_file;
mod recipients;
mod text;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::dates::DeadlineReading;
use crate::domain::matching::search_key;
use crate::domain::model::{self, GroupCode, RequestCode, UnitCode};
pub use recipients::{Registry, RegistryGroup, RegistryUnit};
use text::{Doc, Flow};

/// What the proposal needs besides the text.
#[derive(Debug, Clone)]
pub struct Setting {
    /// The office's time zone (deadlines are read in it).
    pub zone: Tz,
    /// The mailbox baocao watches, to compare with one the text names.
    pub report_mailbox: Option<String>,
}

/// Where a field was read: the line numbers (1-based, in the text as given) and the first
/// line's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub lines: Vec<usize>,
    pub text: String,
}

impl Source {
    /// "dòng 12" or "dòng 15–19".
    pub fn lines_vi(&self) -> String {
        match (self.lines.first(), self.lines.last()) {
            (Some(first), Some(last)) if first != last => format!("dòng {first}–{last}"),
            (Some(first), _) => format!("dòng {first}"),
            _ => "không rõ dòng".to_string(),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Found<T> {
    pub value: T,
    pub source: Source,
}

/// The place-and-date line; a part left blank stays `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueDate {
    pub place: Option<String>,
    pub day: Option<u32>,
    pub month: Option<u32>,
    pub year: Option<i32>,
    /// Set only when day, month and year are all written and form a date.
    pub date: Option<NaiveDate>,
}

/// Who issued the text: the issuing body and the body above it, as the heading writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issuer {
    pub name: String,
    pub parent: Option<String>,
    /// Read from a sentence of the body ("…, Sở Giáo dục và Đào tạo yêu cầu …") because the
    /// text has no heading.
    pub from_body: bool,
}

/// The kind of document and what told it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kind {
    pub name: String,
    pub basis: KindBasis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KindBasis {
    /// The title line ("KẾ HOẠCH").
    TitleLine,
    /// The number's type code (`/KH-`), by [`model::document_kind`].
    Number,
    /// The text names itself ("Nhận được Công văn này").
    SelfReference,
    /// A "V/v …" line, which only a công văn has (Nghị định 30/2020/NĐ-CP).
    SubjectLine,
}

/// The report deadline as the text writes it and as baocao reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub wording: String,
    pub instant: DateTime<Utc>,
    pub reading: DeadlineReading,
}

/// One line of "Kính gửi" and what it was matched to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    pub text: String,
    pub line: usize,
    pub matched: Vec<Match>,
}

impl Recipient {
    /// "Phòng GD&ĐT các huyện → nhóm phong-gddt", or "→ CHƯA KHỚP …".
    pub fn matched_vi(&self) -> String {
        let matched: Vec<String> = self
            .matched
            .iter()
            .map(|m| match m {
                Match::Group { code, .. } => format!("nhóm {code}"),
                Match::Unit { code, name } => format!("đơn vị {code} ({name})"),
            })
            .collect();
        if matched.is_empty() {
            format!("{} → CHƯA KHỚP nhóm hay đơn vị nào", self.text)
        } else {
            format!("{} → {}", self.text, matched.join(", "))
        }
    }
}

/// A registry entry a recipient names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Match {
    Group { code: GroupCode, name: Option<String> },
    Unit { code: UnitCode, name: String },
}

/// Whether the text asks for a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReportAsked {
    /// A sentence asks for a report (its first line).
    Yes { source: Source },
    /// No sentence asks for one: a letter "để biết" (create it with `--no-report`).
    No { source: Option<Source> },
}

/// The fields a proposal reads; the names the clerk sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Number,
    Issued,
    Issuer,
    Kind,
    Title,
    Recipients,
    Deadline,
    Mailbox,
    FileExpected,
}

impl Field {
    pub fn label_vi(self) -> &'static str {
        match self {
            Field::Number => "Số văn bản",
            Field::Issued => "Ngày ban hành",
            Field::Issuer => "Cơ quan ban hành",
            Field::Kind => "Loại văn bản",
            Field::Title => "Trích yếu",
            Field::Recipients => "Kính gửi",
            Field::Deadline => "Hạn báo cáo",
            Field::Mailbox => "Hộp thư nhận báo cáo",
            Field::FileExpected => "Gửi kèm tệp",
        }
    }
}

/// A field the text does not give, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub field: Field,
    pub why: String,
}

/// What the text proposes. Nothing here is created; the clerk confirms or edits it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub number: Option<Found<RequestCode>>,
    pub issued: Option<Found<IssueDate>>,
    pub issuer: Option<Found<Issuer>>,
    pub kind: Option<Found<Kind>>,
    pub title: Option<Found<String>>,
    /// Every "Kính gửi" line, matched or not; empty when there is none.
    pub recipients: Vec<Recipient>,
    pub report: ReportAsked,
    pub deadline: Option<Found<Deadline>>,
    /// Other deadlines of report sentences, after the first (shown, not used).
    pub other_deadlines: Vec<Found<Deadline>>,
    pub mailbox: Option<Found<String>>,
    /// Whether the report is expected as a file; `None` source when nothing says so.
    pub file_expected: Found<bool>,
    pub missing: Vec<Missing>,
    /// Things the clerk should know (a mailbox other than baocao's, a deadline passed…).
    pub notes: Vec<String>,
}

impl Proposal {
    /// The groups every matched recipient names, in order, once each.
    pub fn groups(&self) -> Vec<GroupCode> {
        self.matched(|m| match m {
            Match::Group { code, .. } => Some(code),
            Match::Unit { .. } => None,
        })
    }

    /// The units matched one by one, in order, once each.
    pub fn units(&self) -> Vec<UnitCode> {
        self.matched(|m| match m {
            Match::Unit { code, .. } => Some(code),
            Match::Group { .. } => None,
        })
    }

    fn matched<T: Clone + PartialEq>(&self, pick: impl Fn(&Match) -> Option<&T>) -> Vec<T> {
        let mut out: Vec<T> = Vec::new();
        for code in self.recipients.iter().flat_map(|r| &r.matched).filter_map(pick) {
            if !out.contains(code) {
                out.push(code.clone());
            }
        }
        out
    }

    /// The recipients that matched nothing in the registry.
    pub fn unmatched(&self) -> impl Iterator<Item = &Recipient> {
        self.recipients.iter().filter(|r| r.matched.is_empty())
    }

    /// Whether the text asks no report (a letter "để biết").
    pub fn is_for_information(&self) -> bool {
        matches!(self.report, ReportAsked::No { .. })
    }

    /// The year the request belongs to: the issue date's year, else the deadline's.
    pub fn year(&self, zone: Tz) -> Option<i32> {
        use chrono::Datelike;
        self.issued.as_ref().and_then(|i| i.value.year).or_else(|| {
            self.deadline
                .as_ref()
                .map(|d| d.value.instant.with_timezone(&zone).year())
        })
    }
}

/// One line of a proposal as the clerk reads it, on the command line or the web page: the
/// field, its value in words, where it was read, or why it is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub field: Field,
    pub label: &'static str,
    pub value: Option<String>,
    pub source: Option<Source>,
    pub missing: Option<String>,
}

impl KindBasis {
    fn explain_vi(self) -> &'static str {
        match self {
            KindBasis::TitleLine => "theo dòng tên loại văn bản",
            KindBasis::Number => "theo số hiệu",
            KindBasis::SelfReference => "văn bản tự gọi tên",
            KindBasis::SubjectLine => "có dòng \"V/v\": công văn",
        }
    }
}

impl Proposal {
    /// The proposal's rows, in the order of `request add`'s fields; one row per recipient.
    pub fn rows(&self, zone: Tz) -> Vec<Row> {
        let why = |field: Field| self.missing.iter().find(|m| m.field == field).map(|m| m.why.clone());
        let row = |field: Field, value: Option<String>, source: Option<&Source>| Row {
            field,
            label: field.label_vi(),
            missing: why(field),
            value,
            source: source.filter(|s| !s.lines.is_empty()).cloned(),
        };
        let mut rows = vec![row(
            Field::Number,
            self.number.as_ref().map(|n| n.value.to_string()),
            self.number.as_ref().map(|n| &n.source),
        )];
        rows.push(row(
            Field::Issued,
            self.issued.as_ref().map(|i| {
                let blank = |v: Option<String>| v.unwrap_or_else(|| "…".into());
                let date = match i.value.date {
                    Some(date) => crate::domain::dates::format_date(date),
                    None => format!(
                        "ngày {} tháng {} năm {}",
                        blank(i.value.day.map(|d| d.to_string())),
                        blank(i.value.month.map(|m| m.to_string())),
                        blank(i.value.year.map(|y| y.to_string()))
                    ),
                };
                match &i.value.place {
                    Some(place) => format!("{date} ({place})"),
                    None => date,
                }
            }),
            self.issued.as_ref().map(|i| &i.source),
        ));
        rows.push(row(
            Field::Issuer,
            self.issuer.as_ref().map(|i| {
                let mut text = i.value.name.clone();
                if let Some(parent) = &i.value.parent {
                    text.push_str(&format!(" (trực thuộc {parent})"));
                }
                if i.value.from_body {
                    text.push_str(" (đọc từ câu trong văn bản, văn bản không có phần đầu)");
                }
                text
            }),
            self.issuer.as_ref().map(|i| &i.source),
        ));
        rows.push(row(
            Field::Kind,
            self.kind
                .as_ref()
                .map(|k| format!("{} ({})", k.value.name, k.value.basis.explain_vi())),
            self.kind.as_ref().map(|k| &k.source),
        ));
        rows.push(row(
            Field::Title,
            self.title.as_ref().map(|t| t.value.clone()),
            self.title.as_ref().map(|t| &t.source),
        ));
        if self.recipients.is_empty() {
            rows.push(row(Field::Recipients, None, None));
        }
        for recipient in &self.recipients {
            let value = recipient.matched_vi();
            rows.push(Row {
                field: Field::Recipients,
                label: Field::Recipients.label_vi(),
                value: Some(value),
                source: Some(Source {
                    lines: vec![recipient.line],
                    text: recipient.text.clone(),
                }),
                missing: None,
            });
        }
        let deadline = match (&self.deadline, &self.report) {
            (Some(d), _) => Some(format!(
                "{}; {}",
                crate::domain::dates::deadline_shown(Some(d.value.instant), Some(&d.value.wording), zone),
                d.value.reading.explain_vi()
            )),
            (None, ReportAsked::No { .. }) => Some(crate::domain::dates::NO_DEADLINE_VI.to_string()),
            (None, ReportAsked::Yes { .. }) => None,
        };
        let deadline_source = match (&self.deadline, &self.report) {
            (Some(d), _) => Some(&d.source),
            (None, ReportAsked::No { source }) => source.as_ref(),
            _ => None,
        };
        rows.push(row(Field::Deadline, deadline, deadline_source));
        rows.push(row(
            Field::Mailbox,
            self.mailbox.as_ref().map(|m| m.value.clone()).or_else(|| {
                self.is_for_information()
                    .then(|| "không (không yêu cầu báo cáo)".to_string())
            }),
            self.mailbox.as_ref().map(|m| &m.source),
        ));
        let file = if self.is_for_information() {
            "không (không yêu cầu báo cáo)"
        } else if self.file_expected.value {
            "có: báo cáo phải kèm tệp"
        } else {
            "không thấy yêu cầu gửi tệp"
        };
        rows.push(row(
            Field::FileExpected,
            Some(file.to_string()),
            Some(&self.file_expected.source),
        ));
        rows
    }
}

/// Reads a directive's text into a proposal.
pub fn propose(text: &str, registry: &Registry, setting: &Setting) -> Proposal {
    let doc = Doc::new(text);
    let kinh_gui = doc.find(|key| key.starts_with("kinh gui"));
    let body_start = doc.body_start(kinh_gui);
    let header_end = kinh_gui.unwrap_or(body_start);
    let mut missing = Vec::new();
    let mut notes = Vec::new();

    let number = read_number(&doc, header_end);
    if number.is_none() {
        let hint = referenced_number(&doc)
            .map(|(code, line)| {
                format!(
                    "; văn bản có nhắc số {code} (dòng {line}), đó là văn bản được viện dẫn, không phải số của \
                     văn bản này"
                )
            })
            .unwrap_or_default();
        missing.push(Missing {
            field: Field::Number,
            why: format!("không thấy dòng \"Số: …\" ở đầu văn bản{hint}"),
        });
    }
    let issued = read_issue_date(&doc, header_end);
    match &issued {
        None => missing.push(Missing {
            field: Field::Issued,
            why: "không thấy dòng địa danh, ngày tháng (\"…, ngày … tháng … năm …\")".into(),
        }),
        Some(found) if found.value.date.is_none() => {
            let blank: Vec<&str> = [
                ("ngày", found.value.day.is_none()),
                ("tháng", found.value.month.is_none()),
                ("năm", found.value.year.is_none()),
            ]
            .iter()
            .filter(|(_, b)| *b)
            .map(|(w, _)| *w)
            .collect();
            let why = if blank.is_empty() {
                "ngày tháng ghi không hợp lệ".to_string()
            } else {
                format!("văn bản để trống {} ban hành", blank.join(", "))
            };
            missing.push(Missing {
                field: Field::Issued,
                why: format!("{why} ({}); điền khi biết", found.source.lines_vi()),
            });
        }
        Some(_) => {}
    }
    let title_line = read_title_line(&doc, header_end.max(body_start));
    let title = read_title(&doc, header_end.max(body_start), title_line.as_ref().map(|t| t.1));
    if title.is_none() {
        missing.push(Missing {
            field: Field::Title,
            why: "không thấy trích yếu (dòng \"V/v …\" hoặc dòng sau tên loại văn bản)".into(),
        });
    }
    let first_named = [
        number.as_ref().map(|n| n.source.lines[0]),
        issued.as_ref().map(|n| n.source.lines[0]),
        title.as_ref().map(|n| n.source.lines[0]),
        title_line.as_ref().map(|t| t.1),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(header_end);
    let issuer = read_issuer(&doc, first_named.min(header_end)).or_else(|| issuer_from_body(&doc, body_start));
    if issuer.is_none() {
        missing.push(Missing {
            field: Field::Issuer,
            why: "không thấy tên cơ quan ban hành ở đầu văn bản".into(),
        });
    }
    let kind = read_kind(&doc, &number, title_line, &title, body_start);
    if kind.is_none() {
        missing.push(Missing {
            field: Field::Kind,
            why: "không thấy số có mã loại, dòng tên loại hay câu \"… này\"; mặc định là Công văn".into(),
        });
    }
    let recipients = match kinh_gui {
        Some(line) => recipients::read(&doc, line, registry),
        None => Vec::new(),
    };
    if kinh_gui.is_none() {
        missing.push(Missing {
            field: Field::Recipients,
            why: "không thấy dòng \"Kính gửi\"".into(),
        });
    } else if recipients.iter().all(|r| r.matched.is_empty()) {
        missing.push(Missing {
            field: Field::Recipients,
            why: "không nơi nhận nào trùng tên nhóm hay đơn vị trong danh sách; ghi nhóm/đơn vị bằng tay".into(),
        });
    }

    let flow = Flow::new(
        &doc,
        body_start,
        doc.find_from(body_start, |k| k.starts_with("noi nhan")),
    );
    let found = deadline::read(&flow, &doc, setting.zone);
    let report = found.report;
    let mut deadlines = found.deadlines.into_iter();
    let deadline = deadlines.next();
    let other_deadlines: Vec<_> = deadlines.collect();
    if deadline.is_none() {
        match &report {
            ReportAsked::Yes { source } => missing.push(Missing {
                field: Field::Deadline,
                why: format!(
                    "văn bản yêu cầu báo cáo ({}) nhưng không thấy hạn có ngày tháng năm; ghi hạn bằng tay",
                    source.lines_vi()
                ),
            }),
            ReportAsked::No { .. } => notes.push(
                "văn bản không yêu cầu báo cáo: có vẻ là văn bản để biết, thực hiện (tạo yêu cầu với --no-report: \
                 chỉ gửi văn bản, không nhắc)"
                    .into(),
            ),
        }
    }
    if !other_deadlines.is_empty() {
        let listed: Vec<String> = other_deadlines
            .iter()
            .map(|d| format!("\"{}\" ({})", d.value.wording, d.source.lines_vi()))
            .collect();
        notes.push(format!(
            "văn bản còn ghi hạn khác: {}; baocao đề xuất hạn đầu tiên, sửa nếu cần",
            listed.join(", ")
        ));
    }
    let mailbox = found.mailbox;
    if let (Some(named), Some(ours)) = (&mailbox, &setting.report_mailbox)
        && !named.value.eq_ignore_ascii_case(ours)
    {
        notes.push(format!(
            "văn bản yêu cầu gửi báo cáo về {} nhưng baocao theo dõi hộp thư {ours}: báo cáo gửi tới {} sẽ không \
             được tự động ghi nhận",
            named.value, named.value
        ));
    }
    if mailbox.is_none() && !matches!(report, ReportAsked::No { .. }) {
        missing.push(Missing {
            field: Field::Mailbox,
            why: "văn bản không ghi địa chỉ email nhận báo cáo".into(),
        });
    }
    let file_expected = match (&report, found.file) {
        (ReportAsked::No { .. }, _) => Found {
            value: false,
            source: Source {
                lines: Vec::new(),
                text: String::new(),
            },
        },
        (_, Some(source)) => Found { value: true, source },
        (_, None) => Found {
            value: false,
            source: Source {
                lines: Vec::new(),
                text: String::new(),
            },
        },
    };
    Proposal {
        number,
        issued,
        issuer,
        kind,
        title,
        recipients,
        report,
        deadline,
        other_deadlines,
        mailbox,
        file_expected,
        missing,
        notes,
    }
}

/// "Số: 4189/KH-BCĐ", "Số:4189/KH-BCĐ", "Số: 165 /LĐLĐ", "SỐ: 12/2024/QĐ-UBND", on a line of the
/// heading (maybe beside the place-and-date line).
fn read_number(doc: &Doc, header_end: usize) -> Option<Found<RequestCode>> {
    for index in 0..header_end.min(doc.len()) {
        let line = doc.line(index);
        let trimmed = line.trim_start();
        let key = search_key(trimmed);
        if !(key.starts_with("so:") || key.starts_with("so :") || key.starts_with("so ")) {
            continue;
        }
        let after = trimmed.split_once(':').map(|(_, rest)| rest).unwrap_or_else(|| {
            trimmed
                .char_indices()
                .nth(2)
                .map(|(i, _)| &trimmed[i..])
                .unwrap_or_default()
        });
        let (code, _) = number_words(text::first_column(after.trim_start(), 2));
        if !code.starts_with(|c: char| c.is_ascii_digit()) || !code.contains('/') {
            continue;
        }
        if let Ok(code) = RequestCode::parse(&code) {
            return Some(Found {
                value: code,
                source: doc.source(&[index]),
            });
        }
    }
    None
}

/// The number at the start of `text`: its first word, joined with the next while a slash or
/// hyphen is left hanging ("165 /LĐLĐ", "12/ UBND"); OCR and some extractions keep no column
/// gap, so "1234/SGDĐT-VP Điện Biên, ngày …" stops at "Điện".
fn number_words(text: &str) -> (String, usize) {
    let mut code = String::new();
    let mut used = 0;
    for word in text.split_whitespace() {
        let hanging = code.is_empty() || code.ends_with(['/', '-']) || word.starts_with(['/', '-']);
        if !hanging {
            break;
        }
        code.push_str(word);
        used += 1;
    }
    (code.trim_end_matches(['.', ',', ';']).to_string(), used)
}

/// A number the text cites ("Kế hoạch số 4189/KH-BCĐ"), to say why it is not this text's.
fn referenced_number(doc: &Doc) -> Option<(String, usize)> {
    for index in 0..doc.len() {
        let line = doc.line(index);
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            if search_key(pair[0]) == "so" {
                let code = pair[1].trim_end_matches([',', '.', ';', ')']);
                if code.starts_with(|c: char| c.is_ascii_digit()) && code.contains('/') {
                    return Some((code.to_string(), index + 1));
                }
            }
        }
    }
    None
}

/// "Điện Biên, ngày 27 tháng 12 năm 2022"; blanks ("ngày    tháng 5 năm 2024") stay blank.
fn read_issue_date(doc: &Doc, header_end: usize) -> Option<Found<IssueDate>> {
    for index in 0..header_end.min(doc.len()) {
        let line = doc.line(index);
        let Some(at) = text::find_word(line, "ngày") else {
            continue;
        };
        let before = line[..at].trim_end();
        let Some(place_part) = before.strip_suffix(',') else {
            continue;
        };
        let words: Vec<&str> = line[at..].split_whitespace().collect();
        let blank = |w: &str| w.chars().all(|c| matches!(c, '.' | '…' | '_'));
        let number = |w: &str| w.trim_end_matches([',', '.']).parse::<u32>().ok();
        let mut i = 1;
        let day = words.get(i).and_then(|w| number(w));
        if day.is_some() || words.get(i).is_some_and(|w| blank(w)) {
            i += 1;
        }
        if words.get(i).map(|w| search_key(w)) != Some("thang".into()) {
            continue;
        }
        i += 1;
        let month = words.get(i).and_then(|w| number(w));
        if month.is_some() || words.get(i).is_some_and(|w| blank(w)) {
            i += 1;
        }
        if words.get(i).map(|w| search_key(w)) != Some("nam".into()) {
            continue;
        }
        let year = words.get(i + 1).and_then(|w| number(w)).map(|y| y as i32);
        let place = text::last_column(place_part, 3)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let place = remove_motto(&place);
        // Without a column gap the number may stand before the place ("Số: 12/UBND Điện Biên").
        let place = match place.split_once(char::is_whitespace) {
            Some((first, rest)) if search_key(first).starts_with("so") && rest.contains('/') => {
                let (_, used) = number_words(rest);
                rest.split_whitespace().skip(used).collect::<Vec<_>>().join(" ")
            }
            _ => place,
        };
        let date = match (day, month, year) {
            (Some(d), Some(m), Some(y)) => NaiveDate::from_ymd_opt(y, m, d),
            _ => None,
        };
        return Some(Found {
            value: IssueDate {
                place: Some(place).filter(|p| !p.is_empty()),
                day,
                month,
                year,
                date,
            },
            source: doc.source(&[index]),
        });
    }
    None
}

/// The national motto, removed where the heading's right column shares a line with the left.
const MOTTO: &[&str] = &["cong hoa xa hoi chu nghia viet nam", "doc lap tu do hanh phuc"];

fn remove_motto(line: &str) -> String {
    let mut text = line.to_string();
    for phrase in MOTTO {
        text = text::remove_phrase(&text, phrase);
    }
    text.trim().to_string()
}

/// Words that start the name of a body in a heading ("UBND TỈNH …", "SỞ …"); a heading line
/// that starts otherwise ("HUYỆN DƯƠNG MINH CHÂU") continues the name above it.
const BODY_WORDS: &[&str] = &[
    "ubnd",
    "uy ban",
    "hdnd",
    "hoi dong",
    "so",
    "bo",
    "ban",
    "phong",
    "truong",
    "trung tam",
    "lien doan",
    "cong doan",
    "dang",
    "doan",
    "hoi",
    "cuc",
    "tong cuc",
    "chi cuc",
    "vien",
    "benh vien",
    "tinh uy",
    "huyen uy",
    "thanh uy",
    "thi uy",
    "van phong",
    "mat tran",
    "bo chi huy",
    "cong an",
    "kho bac",
    "toa an",
    "bao hiem",
    "chi nhanh",
    "hoc vien",
    "dai hoc",
    "co quan",
    "bql",
    "ldld",
    "ubmttq",
    "bch",
    "so gd",
];

fn starts_a_body(key: &str) -> bool {
    BODY_WORDS
        .iter()
        .any(|w| key == *w || key.starts_with(&format!("{w} ")) || key.starts_with(&format!("{w}&")))
}

/// The heading's left column above the number: the last body named is the issuer, the one
/// above it its parent.
fn read_issuer(doc: &Doc, end: usize) -> Option<Found<Issuer>> {
    let mut names: Vec<(String, Vec<usize>)> = Vec::new();
    for index in 0..end.min(doc.len()) {
        let line = remove_motto(text::first_column(doc.line(index).trim(), 3));
        let letters: Vec<char> = line.chars().filter(|c| c.is_alphabetic()).collect();
        if letters.len() < 2 || letters.iter().any(|c| c.is_lowercase()) {
            continue;
        }
        let line = line.trim_matches(['-', '_', ' ']).to_string();
        let key = search_key(&line);
        if is_kind_title(&key) {
            continue;
        }
        match names.last_mut() {
            Some((name, lines)) if !starts_a_body(&key) => {
                name.push(' ');
                name.push_str(&line);
                lines.push(index);
            }
            _ => names.push((line, vec![index])),
        }
    }
    let (name, lines) = names.pop()?;
    let parent = names.pop().map(|(n, _)| n);
    Some(Found {
        value: Issuer {
            name,
            parent,
            from_body: false,
        },
        source: doc.source(&lines),
    })
}

/// Without a heading: the body that asks, in "…, Sở Giáo dục và Đào tạo yêu cầu các …".
fn issuer_from_body(doc: &Doc, from: usize) -> Option<Found<Issuer>> {
    for index in from..doc.len() {
        let line = doc.line(index);
        for verb in [" yêu cầu ", " đề nghị "] {
            let Some(at) = line.find(verb) else { continue };
            let before = line[..at].rsplit(',').next().unwrap_or_default().trim();
            let key = search_key(before);
            let words = before.split_whitespace().count();
            if before.starts_with(|c: char| c.is_uppercase()) && starts_a_body(&key) && (2..=12).contains(&words) {
                return Some(Found {
                    value: Issuer {
                        name: before.to_string(),
                        parent: None,
                        from_body: true,
                    },
                    source: doc.source(&[index]),
                });
            }
        }
    }
    None
}

fn is_kind_title(key: &str) -> bool {
    model::DOCUMENT_KINDS.iter().any(|(_, name)| search_key(name) == key)
}

/// A title line naming the kind ("KẾ HOẠCH"), in the heading or just after it.
fn read_title_line(doc: &Doc, end: usize) -> Option<(String, usize)> {
    (0..(end + 3).min(doc.len())).find_map(|index| {
        let line = doc.line(index).trim();
        let upper = line.chars().filter(|c| c.is_alphabetic()).all(|c| c.is_uppercase());
        let key = search_key(line);
        (upper && !line.is_empty() && is_kind_title(&key))
            .then(|| {
                model::DOCUMENT_KINDS
                    .iter()
                    .find(|(_, name)| search_key(name) == key)
                    .map(|(_, name)| (name.to_string(), index))
            })
            .flatten()
    })
}

/// "V/v …" (or "Về việc …"), continued on the lines below that start in lower case; else the
/// line under a kind title line.
fn read_title(doc: &Doc, end: usize, title_line: Option<usize>) -> Option<Found<String>> {
    let start = (0..(end + 3).min(doc.len()))
        .find_map(|index| {
            let line = text::first_column(doc.line(index).trim(), 3);
            let key = search_key(line);
            let rest = if key.starts_with("v/v") {
                line.get(3..)
            } else if key.starts_with("ve viec ") {
                line.char_indices().nth(7).map(|(i, _)| &line[i..])
            } else {
                None
            }?;
            Some((index, rest.trim_start_matches([':', ' ']).to_string()))
        })
        .or_else(|| {
            let next = doc.next_filled(title_line? + 1)?;
            let line = text::first_column(doc.line(next).trim(), 3);
            let key = search_key(line);
            let rest = if key.starts_with("ve viec ") {
                line.char_indices().nth(7).map(|(i, _)| &line[i..])?
            } else {
                line
            };
            Some((next, rest.to_string()))
        })?;
    let (first, mut title) = start;
    let mut lines = vec![first];
    let mut index = first + 1;
    while let Some(next) = doc.next_filled(index) {
        let line = text::first_column(doc.line(next).trim(), 3);
        let key = search_key(line);
        let continues = line.starts_with(|c: char| c.is_lowercase() || c.is_ascii_digit())
            && !MOTTO.iter().any(|m| key.contains(m))
            && text::find_word(line, "ngày").is_none_or(|_| !key.contains("thang"));
        if !continues || next > first + 8 {
            break;
        }
        title.push(' ');
        title.push_str(line);
        lines.push(next);
        index = next + 1;
    }
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let title = title.trim_end_matches(['.', ';']).to_string();
    if title.is_empty() {
        return None;
    }
    let mut chars = title.chars();
    let title: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    Some(Found {
        value: title,
        source: doc.source(&lines),
    })
}

/// The kind: a title line, else the number's type code, else the text naming itself
/// ("Công văn này").
fn read_kind(
    doc: &Doc,
    number: &Option<Found<RequestCode>>,
    title_line: Option<(String, usize)>,
    title: &Option<Found<String>>,
    body_start: usize,
) -> Option<Found<Kind>> {
    if let Some((name, index)) = title_line {
        return Some(Found {
            value: Kind {
                name,
                basis: KindBasis::TitleLine,
            },
            source: doc.source(&[index]),
        });
    }
    if let Some(number) = number {
        return Some(Found {
            value: Kind {
                name: model::document_kind(number.value.as_str()).to_string(),
                basis: KindBasis::Number,
            },
            source: number.source.clone(),
        });
    }
    for index in body_start..doc.len() {
        let key = search_key(doc.line(index));
        for (_, name) in model::DOCUMENT_KINDS.iter().chain([&("CV", "Công văn")]) {
            if key.contains(&format!("{} nay", search_key(name))) {
                return Some(Found {
                    value: Kind {
                        name: name.to_string(),
                        basis: KindBasis::SelfReference,
                    },
                    source: doc.source(&[index]),
                });
            }
        }
    }
    // A "V/v" line is what a công văn has (Nghị định 30/2020/NĐ-CP).
    title.as_ref().map(|title| Found {
        value: Kind {
            name: "Công văn".into(),
            basis: KindBasis::SubjectLine,
        },
        source: title.source.clone(),
    })
}

#[cfg(test)]
mod tests;
