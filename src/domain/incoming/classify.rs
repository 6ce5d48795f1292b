//! The intake rules of PRODUCT.md as one pure function: [`classify`] takes a [`Letter`],
//! what the registry knows ([`Snapshot`]), which of our sent messages it refers to and
//! when the mailbox received it, and returns an [`Outcome`]: a state, one of thirteen
//! reasons, the rule that decided and a sentence a clerk can read. No IO, no clock.
//!
//! The order is the product's: duplicate, our own message, bounce, automatic mail, the
//! sender's unit, authentication, the request (thread, then code or token, then the only
//! open one), the attachment requirement, and the "not a report" check.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::message::Letter;
use crate::domain::matching::{contains_key, search_key};

/// Where a message ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Counted,
    Review,
    Ignored,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Counted => "counted",
            State::Review => "review",
            State::Ignored => "ignored",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        match text {
            "counted" => Some(State::Counted),
            "review" => Some(State::Review),
            "ignored" => Some(State::Ignored),
            _ => None,
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            State::Counted => "đã ghi nhận",
            State::Review => "chờ xem xét",
            State::Ignored => "bỏ qua",
        }
    }
}

/// Why a message ended where it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Report,
    Resubmission,
    Duplicate,
    AutoReply,
    Bounce,
    OwnMessage,
    UnknownSender,
    AmbiguousRequest,
    AuthFailed,
    MissingAttachment,
    NotAReport,
    Unrelated,
    /// Reading or judging it took longer than the per-message time budget.
    TooComplex,
}

impl Reason {
    pub const ALL: [Reason; 13] = [
        Reason::Report,
        Reason::Resubmission,
        Reason::Duplicate,
        Reason::AutoReply,
        Reason::Bounce,
        Reason::OwnMessage,
        Reason::UnknownSender,
        Reason::AmbiguousRequest,
        Reason::AuthFailed,
        Reason::MissingAttachment,
        Reason::NotAReport,
        Reason::Unrelated,
        Reason::TooComplex,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Report => "report",
            Reason::Resubmission => "resubmission",
            Reason::Duplicate => "duplicate",
            Reason::AutoReply => "auto_reply",
            Reason::Bounce => "bounce",
            Reason::OwnMessage => "own_message",
            Reason::UnknownSender => "unknown_sender",
            Reason::AmbiguousRequest => "ambiguous_request",
            Reason::AuthFailed => "auth_failed",
            Reason::MissingAttachment => "missing_attachment",
            Reason::NotAReport => "not_a_report",
            Reason::Unrelated => "unrelated",
            Reason::TooComplex => "too_complex",
        }
    }

    pub fn parse(text: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The words a clerk reads.
    pub fn label_vi(self) -> &'static str {
        match self {
            Reason::Report => "báo cáo",
            Reason::Resubmission => "báo cáo bổ sung",
            Reason::Duplicate => "thư trùng",
            Reason::AutoReply => "thư trả lời tự động",
            Reason::Bounce => "thư báo lỗi gửi",
            Reason::OwnMessage => "thư của chính văn phòng",
            Reason::UnknownSender => "người gửi chưa đăng ký",
            Reason::AmbiguousRequest => "chưa rõ báo cáo cho yêu cầu nào",
            Reason::AuthFailed => "thư không qua được kiểm tra xác thực",
            Reason::MissingAttachment => "thiếu tệp đính kèm",
            Reason::NotAReport => "không phải báo cáo",
            Reason::Unrelated => "thư không liên quan",
            Reason::TooComplex => "thư quá phức tạp để xử lý tự động",
        }
    }
}

/// The editable phrase lists of rule 5 and the out-of-office subjects of rule 2. Phrases
/// are compared without diacritics or case, as whole words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrases {
    pub acknowledgement: Vec<String>,
    pub question: Vec<String>,
    /// Words of time and lateness ("gia hạn", "báo cáo chậm"): a sentence that holds one
    /// and an asking phrase governing it asks for more time.
    pub more_time: Vec<String>,
    /// What makes a sentence ask ("xin", "đề nghị", "mong", "cho phép").
    pub asking: Vec<String>,
    /// Apologies ("xin lỗi", "thông cảm"): an asking word governing one ("mong Sở thông
    /// cảm") asks for nothing, and "xin lỗi vì báo cáo chậm" is not a request for more time.
    pub apology: Vec<String>,
    pub out_of_office: Vec<String>,
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl Default for Phrases {
    fn default() -> Self {
        Phrases {
            acknowledgement: strings(&[
                "đã nhận",
                "đã nhận được",
                "đã nhận thư",
                "đã biết",
                "sẽ báo cáo sau",
                "sẽ gửi sau",
                "sẽ gửi báo cáo",
                "sẽ nộp sau",
                "sẽ bổ sung sau",
                "sẽ gửi ngay",
                "đang tổng hợp",
                "đang hoàn thiện",
                "chưa kịp",
                "chưa hoàn thành",
                "noted",
                "received",
                "will send",
            ]),
            question: strings(&[
                "cho hỏi",
                "xin hỏi",
                "hỏi lại",
                "cho em hỏi",
                "như thế nào",
                "mẫu nào",
                "gửi lại mẫu",
                "xin mẫu",
            ]),
            more_time: strings(&[
                "gia hạn",
                "lùi hạn",
                "lùi thời hạn",
                "lùi thời gian",
                "thêm thời gian",
                "nộp chậm",
                "nộp muộn",
                "gửi chậm",
                "gửi muộn",
                "báo cáo chậm",
                "báo cáo muộn",
                // Not "gửi sau": "xin gửi sau đây báo cáo…" is how a report begins.
                "nộp sau",
                "extension",
                "extend",
                "more time",
                "later",
            ]),
            asking: strings(&[
                "xin",
                "đề nghị",
                "kính đề nghị",
                "mong",
                "cho phép",
                "xin phép",
                "cần",
                "please",
                "request",
                "could",
                "may we",
                "need",
            ]),
            apology: strings(&[
                "xin lỗi",
                "thành thật xin lỗi",
                "thông cảm",
                "sorry",
                "apologise",
                "apologize",
                "apologies",
            ]),
            out_of_office: strings(&[
                "out of office",
                "automatic reply",
                "auto reply",
                "auto-reply",
                "autoreply",
                "auto response",
                "trả lời tự động",
                "tự động trả lời",
                "thư trả lời tự động",
                "vắng mặt khỏi văn phòng",
                "không có mặt tại văn phòng",
                "đang nghỉ phép",
                "on vacation",
                "away from the office",
            ]),
        }
    }
}

/// What the rules need besides phrases.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub trusted_authserv_ids: Vec<String>,
    pub phrases: Phrases,
}

/// A request as intake sees it.
#[derive(Debug, Clone)]
pub struct RequestFacts {
    pub id: i64,
    pub code: String,
    pub token: String,
    pub deadline: DateTime<Utc>,
    pub attachment_required: bool,
    /// Active and asking a report: replies may count for it.
    pub active: bool,
    /// A request "để biết": it asks no report, so no reply counts for it.
    pub for_information: bool,
    pub(crate) code_needle: String,
    pub(crate) token_needle: String,
}

impl RequestFacts {
    pub fn new(
        id: i64,
        code: &str,
        token: &str,
        deadline: DateTime<Utc>,
        attachment_required: bool,
        active: bool,
    ) -> Self {
        RequestFacts {
            id,
            code: code.to_string(),
            token: token.to_string(),
            deadline,
            attachment_required,
            active,
            for_information: false,
            code_needle: search_key(code),
            token_needle: search_key(token),
        }
    }
}

/// What the registry knows, loaded once per batch of messages.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The office's report mailbox, lower case.
    pub office_mailbox: String,
    /// Active units by each of their addresses (lower case). An address two units share
    /// maps to both.
    pub units_by_address: HashMap<String, Vec<i64>>,
    pub unit_codes: HashMap<i64, String>,
    pub requests: HashMap<i64, RequestFacts>,
    /// The active requests each unit must answer.
    pub open_for_unit: HashMap<i64, Vec<i64>>,
    pub reported: HashSet<(i64, i64)>,
    pub extended: HashMap<(i64, i64), DateTime<Utc>>,
    /// SHA-256 of every file the office sends with its notices.
    pub our_files: HashSet<String>,
}

impl Snapshot {
    pub fn deadline(&self, request_id: i64, unit_id: i64) -> Option<DateTime<Utc>> {
        self.extended
            .get(&(request_id, unit_id))
            .copied()
            .or_else(|| self.requests.get(&request_id).map(|r| r.deadline))
    }

    fn open(&self, unit_id: i64) -> &[i64] {
        self.open_for_unit.get(&unit_id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Records a counted submission so later messages of the same batch see it.
    pub fn note_counted(&mut self, request_id: i64, unit_id: i64) {
        self.reported.insert((request_id, unit_id));
    }
}

/// One of our sent messages a letter refers to (by thread or, for a bounce, by the
/// returned original).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRef {
    pub request_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub to_address: String,
}

/// What is known about the letter beyond its text.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// When the mailbox received it (IMAP INTERNALDATE).
    pub received_at: DateTime<Utc>,
    /// An earlier record of the same message (same Message-ID, or same content without one).
    pub duplicate_of: Option<i64>,
    /// Our sent messages by Message-ID, for the ids the letter mentions.
    pub sent: HashMap<String, SentRef>,
}

/// An address to mark as failing, from a bounce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailingMark {
    pub unit_id: Option<i64>,
    pub address: String,
    pub reason: String,
}

/// Where a message ends and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub state: State,
    pub reason: Reason,
    /// The rule that decided, a stable English word (`thread`, `subject_token`, `dsn_failed`…).
    pub rule: &'static str,
    /// One sentence for the clerk.
    pub detail: String,
    pub unit_id: Option<i64>,
    pub request_id: Option<i64>,
    pub late: Option<bool>,
    pub suggested_unit: Option<i64>,
    /// Every unit the message may be from, when its sender could be several (the first is
    /// [`suggested_unit`](Self::suggested_unit)); the detail names them all.
    pub suggested_units: Vec<i64>,
    /// Requests the message might be for, when it is ambiguous.
    pub candidates: Vec<i64>,
    pub failing: Option<FailingMark>,
}

impl Outcome {
    /// A message recorded before (thread, Message-ID or content).
    pub fn duplicate(earlier: i64, rule: &'static str) -> Outcome {
        Outcome::new(
            State::Ignored,
            Reason::Duplicate,
            rule,
            format!("đã nhận thư này trước đó (thư số {earlier})"),
        )
    }

    /// A message nothing could be read from: a person must open it.
    pub fn unreadable(problem: &str) -> Outcome {
        Outcome::new(
            State::Review,
            Reason::UnknownSender,
            "unreadable",
            format!("{problem}: cần người mở tệp gốc để xem"),
        )
    }

    /// A message that took longer than the time budget to read or judge: a person opens it,
    /// and the mailbox goes on without it.
    pub fn too_complex(budget: std::time::Duration) -> Outcome {
        Outcome::new(
            State::Review,
            Reason::TooComplex,
            "time_budget",
            format!(
                "thư quá phức tạp, không xử lý xong trong {} giây: cần người mở tệp gốc để xem",
                budget.as_secs_f64()
            ),
        )
    }

    fn new(state: State, reason: Reason, rule: &'static str, detail: impl Into<String>) -> Outcome {
        Outcome {
            state,
            reason,
            rule,
            detail: detail.into(),
            unit_id: None,
            request_id: None,
            late: None,
            suggested_unit: None,
            suggested_units: Vec::new(),
            candidates: Vec::new(),
            failing: None,
        }
    }

    fn unit(mut self, unit_id: Option<i64>) -> Outcome {
        self.unit_id = unit_id;
        self
    }

    fn request(mut self, request_id: Option<i64>) -> Outcome {
        self.request_id = request_id;
        self
    }
}

/// Applies the intake rules in order.
pub fn classify(letter: &Letter, snapshot: &Snapshot, rules: &Rules, context: &Context) -> Outcome {
    // Our own directive or form sent back is not a report attachment.
    let ours = letter.without_our_files(&snapshot.our_files);
    let letter = ours.as_ref().unwrap_or(letter);
    if let Some(earlier) = context.duplicate_of {
        return Outcome::new(
            State::Ignored,
            Reason::Duplicate,
            if letter.message_id.is_some() {
                "same_message_id"
            } else {
                "same_content"
            },
            format!("đã nhận thư này trước đó (thư số {earlier})"),
        );
    }
    let from = letter.from.as_deref().unwrap_or("");
    let own_id = letter
        .message_id
        .as_ref()
        .is_some_and(|id| context.sent.contains_key(id));
    if own_id || (!from.is_empty() && from == snapshot.office_mailbox) {
        return Outcome::new(
            State::Ignored,
            Reason::OwnMessage,
            if own_id {
                "our_message_id"
            } else {
                "from_office_mailbox"
            },
            "thư do chính hộp thư của văn phòng gửi",
        );
    }
    if let Some(outcome) = bounce_outcome(letter, context) {
        return outcome;
    }
    let senders = Senders::of(letter, snapshot);
    if let Some(outcome) = automatic_outcome(letter, rules, senders.registered()) {
        return outcome;
    }
    let thread_refs: Vec<&SentRef> = letter
        .thread_ids()
        .iter()
        .filter_map(|id| context.sent.get(id))
        .collect();
    let unit_id = match senders.common.as_slice() {
        [unit] => *unit,
        [] if senders.registered() => return several_units(letter, snapshot, &thread_refs, &senders),
        [] => return unknown_sender(letter, snapshot, &thread_refs, "unknown_sender"),
        several => {
            // An address two units share: the thread may say which.
            match thread_refs
                .iter()
                .find_map(|r| r.unit_id.filter(|u| several.contains(u)))
            {
                Some(unit) => unit,
                None => return unknown_sender(letter, snapshot, &thread_refs, "shared_address"),
            }
        }
    };
    if let Some(auth) = &letter.auth
        && rules.trusted_authserv_ids.contains(&auth.authserv_id)
        && auth.dmarc.as_deref() == Some("fail")
    {
        return Outcome::new(
            State::Review,
            Reason::AuthFailed,
            "dmarc_fail",
            format!(
                "máy chủ {} báo thư không qua kiểm tra DMARC: có thể bị giả mạo người gửi",
                auth.authserv_id
            ),
        )
        .unit(Some(unit_id));
    }
    let (request_id, rule) = match find_request(letter, snapshot, unit_id, &thread_refs) {
        Found::One(request, rule) => (request, rule),
        Found::None => {
            return Outcome::new(
                State::Ignored,
                Reason::Unrelated,
                "no_open_request",
                "đơn vị không có yêu cầu báo cáo nào đang theo dõi",
            )
            .unit(Some(unit_id));
        }
        Found::Several(candidates, rule) => {
            let detail = "đơn vị có nhiều yêu cầu đang theo dõi, thư không ghi rõ số hiệu";
            let mut outcome = Outcome::new(State::Review, Reason::AmbiguousRequest, rule, detail).unit(Some(unit_id));
            outcome.candidates = candidates;
            return outcome;
        }
        Found::Elsewhere(referred) => {
            let for_information = referred
                .iter()
                .all(|id| snapshot.requests.get(id).is_some_and(|r| r.for_information));
            if for_information && snapshot.open(unit_id).is_empty() {
                // "Đã nhận văn bản" to a directive sent for information: nothing to count,
                // and nothing the unit must still report that it could be meant for.
                let codes: Vec<&str> = referred
                    .iter()
                    .filter_map(|id| snapshot.requests.get(id).map(|r| r.code.as_str()))
                    .collect();
                return Outcome::new(
                    State::Ignored,
                    Reason::Unrelated,
                    "for_information",
                    format!(
                        "thư trả lời văn bản để biết {} (không yêu cầu báo cáo)",
                        codes.join(", ")
                    ),
                )
                .unit(Some(unit_id));
            }
            return referred_elsewhere(snapshot, unit_id, referred);
        }
    };
    let Some(request) = snapshot.requests.get(&request_id) else {
        return Outcome::new(State::Review, Reason::AmbiguousRequest, rule, "không tìm thấy yêu cầu")
            .unit(Some(unit_id));
    };
    let matched = |state, reason, rule, detail: String| {
        Outcome::new(state, reason, rule, detail)
            .unit(Some(unit_id))
            .request(Some(request_id))
    };
    if letter.header_only {
        return matched(
            State::Review,
            Reason::Report,
            "too_large",
            format!(
                "thư quá lớn ({} MB) nên chỉ đọc phần đầu thư: cần người xem tệp đính kèm",
                letter.size / (1024 * 1024)
            ),
        );
    }
    if request.attachment_required && !letter.has_report_attachment() {
        let detail = if letter
            .attachments
            .iter()
            .any(|a| a.name.eq_ignore_ascii_case("winmail.dat"))
        {
            "yêu cầu có tệp đính kèm; thư chỉ có winmail.dat của Outlook, không đọc được tệp bên trong".to_string()
        } else {
            "yêu cầu có tệp đính kèm nhưng thư không có tệp nào".to_string()
        };
        return matched(State::Review, Reason::MissingAttachment, "attachment_required", detail);
    }
    if !letter.has_report_attachment()
        && let Some((rule, detail)) = not_a_report(&letter.own_text, &rules.phrases)
    {
        return matched(State::Review, Reason::NotAReport, rule, detail);
    }
    let deadline = snapshot.deadline(request_id, unit_id).unwrap_or(request.deadline);
    let late = context.received_at > deadline;
    let resubmission = snapshot.reported.contains(&(request_id, unit_id));
    let (reason, detail) = if resubmission {
        (
            Reason::Resubmission,
            "đơn vị đã báo cáo trước đó; ghi nhận là báo cáo bổ sung",
        )
    } else if late {
        (Reason::Report, "báo cáo trễ hạn")
    } else {
        (Reason::Report, "báo cáo đúng hạn")
    };
    let mut outcome = matched(State::Counted, reason, rule, detail.to_string());
    outcome.late = Some(late);
    outcome
}

fn bounce_outcome(letter: &Letter, context: &Context) -> Option<Outcome> {
    let bounce = letter.bounce.as_ref()?;
    let linked = bounce.original_ids.iter().find_map(|id| context.sent.get(id));
    let (request_id, unit_id) = linked.map_or((None, None), |s| (s.request_id, s.unit_id));
    if !bounce.failed() {
        return Some(
            Outcome::new(
                State::Ignored,
                Reason::Bounce,
                "delayed",
                "máy chủ báo thư chậm gửi (chưa phải lỗi); không đánh dấu địa chỉ",
            )
            .unit(unit_id)
            .request(request_id),
        );
    }
    let Some(sent) = linked else {
        return Some(Outcome::new(
            State::Ignored,
            Reason::Bounce,
            "bounce_unlinked",
            "thư báo lỗi gửi không thuộc thư nhắc nào của baocao",
        ));
    };
    let failed = bounce
        .recipients
        .iter()
        .find(|r| r.action == "failed" || r.status.as_deref().is_some_and(|s| s.starts_with('5')));
    let address = failed
        .and_then(|r| r.address.clone())
        .unwrap_or_else(|| sent.to_address.clone());
    let why = failed
        .and_then(|r| r.diagnostic.clone().or_else(|| r.status.clone()))
        .unwrap_or_else(|| "máy chủ nhận báo không gửi được".to_string());
    let mut outcome = Outcome::new(
        State::Ignored,
        Reason::Bounce,
        if bounce.structured {
            "dsn_failed"
        } else {
            "mailer_daemon_notice"
        },
        format!("thư nhắc không tới được {address}: {why}"),
    )
    .unit(unit_id)
    .request(request_id);
    outcome.failing = Some(FailingMark {
        unit_id,
        address,
        reason: why,
    });
    Some(outcome)
}

fn automatic_outcome(letter: &Letter, rules: &Rules, registered_sender: bool) -> Option<Outcome> {
    let auto = |rule, detail: String| Some(Outcome::new(State::Ignored, Reason::AutoReply, rule, detail));
    if letter.read_receipt {
        return auto("read_receipt", "thư xác nhận đã đọc".into());
    }
    if let Some(header) = &letter.auto.vendor_header {
        return auto("vendor_header", format!("thư trả lời tự động ({header})"));
    }
    if let Some(other) = letter.auto.auto_submitted.as_deref().filter(|v| *v != "auto-generated") {
        return auto(
            "auto_submitted",
            format!("thư trả lời tự động (Auto-Submitted: {other})"),
        );
    }
    if let Some(precedence) = &letter.auto.precedence {
        if precedence == "auto_reply" || precedence == "junk" {
            return auto("precedence", format!("thư tự động (Precedence: {precedence})"));
        }
        return Some(Outcome::new(
            State::Ignored,
            Reason::Unrelated,
            "bulk_or_list",
            format!("thư gửi hàng loạt (Precedence: {precedence})"),
        ));
    }
    if letter.auto.list {
        return Some(Outcome::new(
            State::Ignored,
            Reason::Unrelated,
            "bulk_or_list",
            "thư từ danh sách thư (List-Id)",
        ));
    }
    let subject = search_key(&letter.subject);
    if let Some(phrase) = rules
        .phrases
        .out_of_office
        .iter()
        .find(|p| contains_key(&subject, &search_key(p)))
    {
        return auto("out_of_office_subject", format!("tiêu đề thư vắng mặt (\"{phrase}\")"));
    }
    if subject.starts_with("read:") || subject.starts_with("da doc:") {
        return auto("read_receipt", "thư xác nhận đã đọc".into());
    }
    match letter.auto.auto_submitted.as_deref() {
        None => None,
        Some("auto-generated") if registered_sender && letter.has_report_attachment() => None,
        Some("auto-generated") => auto(
            "auto_generated",
            "thư do máy tự tạo (Auto-Submitted: auto-generated) không kèm báo cáo".into(),
        ),
        Some(other) => auto(
            "auto_submitted",
            format!("thư trả lời tự động (Auto-Submitted: {other})"),
        ),
    }
}

fn unknown_sender(letter: &Letter, snapshot: &Snapshot, thread_refs: &[&SentRef], rule: &'static str) -> Outcome {
    let suggested_unit = thread_refs.iter().find_map(|r| r.unit_id);
    let mut candidates: Vec<i64> = thread_refs.iter().filter_map(|r| r.request_id).collect();
    if candidates.is_empty() {
        let all: Vec<i64> = snapshot.requests.values().filter(|r| r.active).map(|r| r.id).collect();
        candidates = mentioned(letter, snapshot, &all);
    }
    candidates.sort_unstable();
    candidates.dedup();
    let who = letter.from.as_deref().unwrap_or("(không có địa chỉ)");
    let detail = match suggested_unit.and_then(|u| snapshot.unit_codes.get(&u)) {
        Some(code) if rule == "shared_address" => {
            format!("địa chỉ {who} dùng chung cho nhiều đơn vị; có thể là {code}")
        }
        Some(code) => format!("địa chỉ {who} chưa đăng ký; thư trả lời thư nhắc gửi đơn vị {code}"),
        None if rule == "shared_address" => format!("địa chỉ {who} dùng chung cho nhiều đơn vị"),
        None => format!("địa chỉ {who} chưa đăng ký cho đơn vị nào"),
    };
    let mut outcome = Outcome::new(State::Review, Reason::UnknownSender, rule, detail);
    outcome.suggested_unit = suggested_unit;
    outcome.suggested_units = suggested_unit.into_iter().collect();
    if let [only] = candidates.as_slice() {
        outcome.request_id = Some(*only);
    }
    outcome.candidates = candidates;
    outcome
}

/// The units the From mailboxes belong to.
struct Senders<'a> {
    /// Each registered From address (in the letter's order) with its units.
    registered: Vec<(&'a str, &'a [i64])>,
    /// The units every registered address belongs to: one for a unit's own address (or
    /// several of one unit's addresses), several for an address units share, none when the
    /// addresses belong to different units or none is registered.
    common: Vec<i64>,
}

impl<'a> Senders<'a> {
    fn of(letter: &'a Letter, snapshot: &'a Snapshot) -> Senders<'a> {
        let registered: Vec<(&str, &[i64])> = letter
            .authors()
            .into_iter()
            .filter_map(|address| {
                snapshot
                    .units_by_address
                    .get(address)
                    .filter(|units| !units.is_empty())
                    .map(|units| (address, units.as_slice()))
            })
            .collect();
        let mut common: Vec<i64> = registered.first().map(|(_, units)| units.to_vec()).unwrap_or_default();
        for (_, units) in registered.iter().skip(1) {
            common.retain(|u| units.contains(u));
        }
        Senders { registered, common }
    }

    fn registered(&self) -> bool {
        !self.registered.is_empty()
    }

    /// Every unit of the registered addresses, in the order the addresses come, each once.
    fn all_units(&self) -> Vec<i64> {
        let mut units: Vec<i64> = Vec::new();
        for (_, of_address) in &self.registered {
            for unit in *of_address {
                if !units.contains(unit) {
                    units.push(*unit);
                }
            }
        }
        units
    }
}

/// A From with addresses of different units (two offices signing one letter, or a
/// colleague of another unit added): no unit is credited; a person chooses. The thread's
/// unit, when it is one of them, is suggested first; the candidates are the thread's
/// request, else the requests named in the letter, else every request the units must answer.
fn several_units(letter: &Letter, snapshot: &Snapshot, thread_refs: &[&SentRef], senders: &Senders<'_>) -> Outcome {
    let mut units = senders.all_units();
    if let Some(position) = thread_refs
        .iter()
        .find_map(|r| r.unit_id.and_then(|u| units.iter().position(|x| *x == u)))
    {
        let unit = units.remove(position);
        units.insert(0, unit);
    }
    let mut candidates: Vec<i64> = thread_refs.iter().filter_map(|r| r.request_id).collect();
    let open: Vec<i64> = units.iter().flat_map(|u| snapshot.open(*u).iter().copied()).collect();
    if candidates.is_empty() {
        candidates = mentioned(letter, snapshot, &open);
    }
    if candidates.is_empty() {
        let all: Vec<i64> = snapshot.requests.values().filter(|r| r.active).map(|r| r.id).collect();
        candidates = mentioned(letter, snapshot, &all);
    }
    if candidates.is_empty() {
        candidates = open;
    }
    candidates.sort_unstable();
    candidates.dedup();
    let named: Vec<String> = units
        .iter()
        .map(|unit| {
            let code = snapshot.unit_codes.get(unit).map_or("?", String::as_str);
            let addresses: Vec<&str> = senders
                .registered
                .iter()
                .filter(|(_, of)| of.contains(unit))
                .map(|(address, _)| *address)
                .collect();
            format!("{code} ({})", addresses.join(", "))
        })
        .collect();
    let detail = format!(
        "thư ghi người gửi thuộc {} đơn vị khác nhau: {}; cần chọn đơn vị được ghi nhận",
        units.len(),
        named.join(", ")
    );
    let mut outcome = Outcome::new(State::Review, Reason::UnknownSender, "several_units", detail);
    outcome.suggested_unit = units.first().copied();
    outcome.suggested_units = units;
    if let [only] = candidates.as_slice() {
        outcome.request_id = Some(*only);
    }
    outcome.candidates = candidates;
    outcome
}

/// The letter names requests the unit need not answer: the candidates are those and the
/// unit's own open requests (the unit may have quoted the wrong number), and the detail
/// says why each named one does not fit.
fn referred_elsewhere(snapshot: &Snapshot, unit_id: i64, referred: Vec<i64>) -> Outcome {
    let code_of = |id: &i64| {
        snapshot
            .requests
            .get(id)
            .map_or_else(|| id.to_string(), |r| r.code.clone())
    };
    let named: Vec<String> = referred
        .iter()
        .map(|id| {
            let why = match snapshot.requests.get(id) {
                Some(r) if r.for_information => "văn bản để biết, không yêu cầu báo cáo",
                Some(r) if !r.active => "đã đóng",
                _ => "không giao cho đơn vị này",
            };
            format!("{} ({why})", code_of(id))
        })
        .collect();
    let open = snapshot.open(unit_id);
    let own = if open.is_empty() {
        "đơn vị không có yêu cầu nào khác đang theo dõi".to_string()
    } else {
        format!(
            "đơn vị đang phải báo cáo: {}",
            open.iter().map(code_of).collect::<Vec<_>>().join(", ")
        )
    };
    let detail = format!("thư nhắc tới {}; {own}", named.join(", "));
    let mut candidates = referred;
    candidates.extend_from_slice(open);
    candidates.sort_unstable();
    candidates.dedup();
    let mut outcome =
        Outcome::new(State::Review, Reason::AmbiguousRequest, "closed_request", detail).unit(Some(unit_id));
    outcome.candidates = candidates;
    outcome
}

enum Found {
    One(i64, &'static str),
    Several(Vec<i64>, &'static str),
    /// The letter names only requests the unit need not answer (closed, or addressed to
    /// other units).
    Elsewhere(Vec<i64>),
    None,
}

/// Rule 4: the request among those open for the unit.
fn find_request(letter: &Letter, snapshot: &Snapshot, unit_id: i64, thread_refs: &[&SentRef]) -> Found {
    let open = snapshot.open(unit_id);
    let mut referred_elsewhere: Vec<i64> = Vec::new();
    for sent in thread_refs {
        let Some(request) = sent.request_id else { continue };
        if open.contains(&request) {
            return Found::One(request, "thread");
        }
        referred_elsewhere.push(request);
    }
    let all: Vec<i64> = snapshot.requests.keys().copied().collect();
    for (source, rule) in [
        (Source::Subject, "subject_code"),
        (Source::Text, "text_code"),
        (Source::AttachmentNames, "attachment_name_code"),
    ] {
        let found = mentioned_in(letter, snapshot, &all, source);
        let (in_open, elsewhere): (Vec<i64>, Vec<i64>) = found.into_iter().partition(|r| open.contains(r));
        match in_open.as_slice() {
            [one] => return Found::One(*one, rule),
            [] => referred_elsewhere.extend(elsewhere),
            several => return Found::Several(several.to_vec(), rule),
        }
    }
    if !referred_elsewhere.is_empty() {
        referred_elsewhere.sort_unstable();
        referred_elsewhere.dedup();
        return Found::Elsewhere(referred_elsewhere);
    }
    match open {
        [] => Found::None,
        [one] => Found::One(*one, "only_open_request"),
        several => Found::Several(several.to_vec(), "no_code"),
    }
}

#[derive(Clone, Copy)]
enum Source {
    Subject,
    Text,
    AttachmentNames,
}

/// Requests among `among` whose token or code is written in the subject, else the text,
/// else the attachment names.
fn mentioned(letter: &Letter, snapshot: &Snapshot, among: &[i64]) -> Vec<i64> {
    for source in [Source::Subject, Source::Text, Source::AttachmentNames] {
        let found = mentioned_in(letter, snapshot, among, source);
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

fn mentioned_in(letter: &Letter, snapshot: &Snapshot, among: &[i64], source: Source) -> Vec<i64> {
    let haystack = match source {
        Source::Subject => search_key(&letter.subject),
        Source::Text => search_key(&letter.text),
        Source::AttachmentNames => {
            let names: Vec<&str> = letter.attachments.iter().map(|a| a.name.as_str()).collect();
            search_key(&names.join(" \n "))
        }
    };
    let mut found: Vec<i64> = among
        .iter()
        .filter_map(|id| snapshot.requests.get(id))
        .filter(|r| contains_key(&haystack, &r.token_needle) || contains_key(&haystack, &r.code_needle))
        .map(|r| r.id)
        .collect();
    // A token names one request; when a token is present, codes that also match (the same
    // code in another year) give way to it.
    let by_token: Vec<i64> = found
        .iter()
        .copied()
        .filter(|id| {
            snapshot
                .requests
                .get(id)
                .is_some_and(|r| contains_key(&haystack, &r.token_needle))
        })
        .collect();
    if !by_token.is_empty() {
        found = by_token;
    }
    found.sort_unstable();
    found
}

/// Rule 5's check for a reply without attachment: whether the sender's own words are
/// *only* an acknowledgement, a question or a request for more time. The text is cut into
/// sentences (the greeting and the closing with what follows set aside); a sentence that
/// asks for more time, acknowledges or asks a question decides, an apology or a remark about
/// lateness is set aside, and every other sentence is content. More than
/// [`CONTENT_WORDS_OF_A_REPORT`] words of content make the reply a report whatever else it
/// says ("… văn bản sẽ gửi sau", "xin lỗi vì báo cáo chậm …"). The detail quotes the
/// sentence that decided.
pub fn not_a_report(own_text: &str, phrases: &Phrases) -> Option<(&'static str, String)> {
    let sentences = sentences(own_text);
    let lists = PhraseKeys::of(phrases);
    let judged: Vec<(&str, SentenceKind)> = sentences.iter().map(|s| (s.as_str(), lists.kind_of(s))).collect();
    let content_words: usize = judged
        .iter()
        .filter(|(_, kind)| *kind == SentenceKind::Content)
        .map(|(sentence, _)| word_count(sentence))
        .sum();
    if content_words > CONTENT_WORDS_OF_A_REPORT {
        return None;
    }
    let first = |wanted: SentenceKind| judged.iter().find(|(_, kind)| *kind == wanted).map(|(s, _)| quote(s));
    if let Some(sentence) = first(SentenceKind::MoreTime) {
        return Some((
            "more_time",
            format!("thư xin thêm thời gian (\"{sentence}\"), không kèm báo cáo"),
        ));
    }
    if let Some(sentence) = first(SentenceKind::Acknowledgement) {
        return Some((
            "acknowledgement",
            format!("thư chỉ xác nhận (\"{sentence}\"), không kèm báo cáo"),
        ));
    }
    if let Some(sentence) = first(SentenceKind::Question) {
        return Some(("question", format!("thư hỏi lại (\"{sentence}\"), không kèm báo cáo")));
    }
    if content_words > 0 {
        return None;
    }
    if let Some(sentence) = first(SentenceKind::Aside) {
        return Some((
            "acknowledgement",
            format!("thư chỉ xin lỗi hoặc báo chậm (\"{sentence}\"), không kèm báo cáo"),
        ));
    }
    Some(("empty", "thư không có nội dung và không kèm báo cáo".to_string()))
}

/// More words of content than this, beside the sentences that acknowledge, ask or ask for
/// more time, make a reply a report.
pub const CONTENT_WORDS_OF_A_REPORT: usize = 20;

/// What one sentence of a reply is, for rule 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SentenceKind {
    /// Asks for more time: an asking phrase whose nearest time phrase is a time phrase, not
    /// an apology ("xin gia hạn", "đề nghị cho lùi hạn"; not "xin lỗi vì báo cáo chậm").
    MoreTime,
    Acknowledgement,
    /// Ends in `?` or holds a question phrase.
    Question,
    /// An apology, or a remark about lateness or deadlines that asks nothing: neither
    /// content nor deciding.
    Aside,
    Content,
}

/// The phrase lists as word sequences of [`search_key`]s.
struct PhraseKeys {
    acknowledgement: Vec<Vec<String>>,
    question: Vec<Vec<String>>,
    more_time: Vec<Vec<String>>,
    asking: Vec<Vec<String>>,
    apology: Vec<Vec<String>>,
}

impl PhraseKeys {
    fn of(phrases: &Phrases) -> PhraseKeys {
        let keys = |list: &[String]| -> Vec<Vec<String>> {
            list.iter()
                .map(|p| words_of(&search_key(p)))
                .filter(|w| !w.is_empty())
                .collect()
        };
        PhraseKeys {
            acknowledgement: keys(&phrases.acknowledgement),
            question: keys(&phrases.question),
            more_time: keys(&phrases.more_time),
            asking: keys(&phrases.asking),
            apology: keys(&phrases.apology),
        }
    }

    fn kind_of(&self, sentence: &str) -> SentenceKind {
        let words = words_of(&search_key(sentence));
        let time = occurrences(&words, &self.more_time);
        let apology = occurrences(&words, &self.apology);
        // An asking word inside an apology ("xin" of "xin lỗi") asks nothing.
        let asking: Vec<(usize, usize)> = occurrences(&words, &self.asking)
            .into_iter()
            .filter(|(start, _)| !apology.iter().any(|(a, end)| a <= start && start < end))
            .collect();
        let asks_for_time = asking.iter().any(|&(start, end)| {
            // The phrase an asking word governs: the nearest one after it, else before it.
            let after = time
                .iter()
                .map(|t| (t.0, true))
                .chain(apology.iter().map(|a| (a.0, false)))
                .filter(|(at, _)| *at >= end)
                .min_by_key(|(at, _)| *at);
            let before = time
                .iter()
                .map(|t| (t.1, true))
                .chain(apology.iter().map(|a| (a.1, false)))
                .filter(|(at, _)| *at <= start)
                .max_by_key(|(at, _)| *at);
            after.or(before).is_some_and(|(_, is_time)| is_time)
        });
        if asks_for_time {
            SentenceKind::MoreTime
        } else if !occurrences(&words, &self.acknowledgement).is_empty() {
            SentenceKind::Acknowledgement
        } else if sentence.contains('?') || !occurrences(&words, &self.question).is_empty() {
            SentenceKind::Question
        } else if !time.is_empty() || !apology.is_empty() {
            SentenceKind::Aside
        } else {
            SentenceKind::Content
        }
    }
}

/// Where each phrase of `list` occurs in `words`, as `(start, end)` word positions.
fn occurrences(words: &[String], list: &[Vec<String>]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    for phrase in list {
        if phrase.len() > words.len() {
            continue;
        }
        for start in 0..=words.len() - phrase.len() {
            if words[start..start + phrase.len()] == phrase[..] {
                found.push((start, start + phrase.len()));
            }
        }
    }
    found
}

/// The words of a [`search_key`]: runs of letters, digits, `/` and `-`.
fn words_of(key: &str) -> Vec<String> {
    key.split(|c: char| !(c.is_alphanumeric() || c == '/' || c == '-'))
        .map(|w| w.trim_matches(['/', '-']))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// A sentence as the review detail quotes it: without its final full stop, at most 200
/// characters.
fn quote(sentence: &str) -> String {
    let trimmed = sentence.trim().trim_end_matches(['.', ' ']);
    let mut quoted: String = trimmed.chars().take(200).collect();
    if trimmed.chars().count() > 200 {
        quoted.push('…');
    }
    quoted
}

/// How the first line of a reply greets ("Kính gửi Văn phòng Sở,").
const GREETINGS: [&str; 8] = [
    "kính gửi",
    "kính thưa",
    "thưa",
    "dear",
    "xin chào",
    "chào",
    "hello",
    "hi",
];
/// How a reply closes; the closing line and what follows (a name, a title, a phone number)
/// are not its content.
const CLOSINGS: [&str; 10] = [
    "trân trọng",
    "xin cảm ơn",
    "cảm ơn",
    "xin chân thành cảm ơn",
    "chân thành cảm ơn",
    "kính chúc",
    "best regards",
    "regards",
    "thanks",
    "thank you",
];
/// A greeting or closing line longer than this is content that happens to start alike.
const SHORT_LINE_WORDS: usize = 10;

/// The sentences of a reply's own words, the greeting and the closing set aside: lines,
/// cut after `.`, `!`, `?` or `;` where a space or the line's end follows.
fn sentences(own_text: &str) -> Vec<String> {
    let starts_with_any = |line: &str, list: &[&str]| {
        let key = search_key(line);
        list.iter().any(|p| {
            let p = search_key(p);
            key.starts_with(&p) && !key[p.len()..].starts_with(char::is_alphanumeric)
        })
    };
    let mut lines: Vec<&str> = own_text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if let Some(first) = lines.first().copied()
        && starts_with_any(first, &GREETINGS)
    {
        match first.split_once(',') {
            Some((_, rest)) => lines[0] = rest.trim(),
            None if word_count(first) <= SHORT_LINE_WORDS => lines[0] = "",
            None => {}
        }
    }
    if let Some(closing) = lines
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, line)| starts_with_any(line, &CLOSINGS) && word_count(line) <= SHORT_LINE_WORDS / 2 + 1)
        .map(|(i, _)| i)
    {
        lines.truncate(closing);
    }
    let mut out = Vec::new();
    for line in lines {
        let mut start = 0;
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        for (k, (at, c)) in chars.iter().enumerate() {
            let ends =
                matches!(c, '.' | '!' | '?' | ';') && chars.get(k + 1).is_none_or(|(_, next)| next.is_whitespace());
            if ends {
                let end = at + c.len_utf8();
                out.push(line[start..end].trim().to_string());
                start = end;
            }
        }
        out.push(line[start..].trim().to_string());
    }
    out.retain(|s| word_count(s) > 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incoming::message::{Attachment, AuthResults, Bounce, BounceRecipient};
    use chrono::TimeZone;

    const UNIT_A: i64 = 1;
    const UNIT_B: i64 = 2;
    const REQ_1: i64 = 10;
    const REQ_2: i64 = 20;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2023, 12, day, 3, 0, 0).single().expect("valid")
    }

    fn snapshot() -> Snapshot {
        let mut s = Snapshot {
            office_mailbox: "vanphong@so.vn".into(),
            ..Snapshot::default()
        };
        s.units_by_address.insert("a@donvi.vn".into(), vec![UNIT_A]);
        s.units_by_address.insert("b@donvi.vn".into(), vec![UNIT_B]);
        s.unit_codes.insert(UNIT_A, "a".into());
        s.unit_codes.insert(UNIT_B, "b".into());
        s.requests.insert(
            REQ_1,
            RequestFacts::new(REQ_1, "4189/KH-BCĐ", "BC-1", at(20), false, true),
        );
        s.requests
            .insert(REQ_2, RequestFacts::new(REQ_2, "165/LĐLĐ", "BC-2", at(20), true, true));
        s.open_for_unit.insert(UNIT_A, vec![REQ_1, REQ_2]);
        s.open_for_unit.insert(UNIT_B, vec![REQ_1]);
        s
    }

    fn letter(from: &str, subject: &str, text: &str) -> Letter {
        Letter {
            from: Some(from.into()),
            subject: subject.into(),
            text: text.into(),
            own_text: crate::domain::incoming::message::own_text(text),
            ..Letter::default()
        }
    }

    fn pdf() -> Attachment {
        Attachment {
            name: "baocao.pdf".into(),
            size: 1000,
            sha256: "report-bytes".into(),
            not_counted: None,
        }
    }

    /// A context whose letter refers to our message `m1@so.vn` to unit A for request 1.
    fn ctx_with_sent(day: u32) -> Context {
        let mut c = ctx(day);
        c.sent.insert(
            "m1@so.vn".into(),
            SentRef {
                request_id: Some(REQ_1),
                unit_id: Some(UNIT_A),
                to_address: "a@donvi.vn".into(),
            },
        );
        c
    }

    fn run(l: &Letter, ctx: &Context) -> Outcome {
        classify(l, &snapshot(), &Rules::default(), ctx)
    }

    fn ctx(day: u32) -> Context {
        Context {
            received_at: at(day),
            ..Context::default()
        }
    }

    #[test]
    fn the_only_open_request_of_the_sender_is_counted_on_time_or_late() {
        let l = letter("b@donvi.vn", "Báo cáo", "Đơn vị gửi báo cáo kết quả thực hiện.");
        let o = run(&l, &ctx(5));
        assert_eq!(
            (o.state, o.reason, o.rule),
            (State::Counted, Reason::Report, "only_open_request")
        );
        assert_eq!(
            (o.unit_id, o.request_id, o.late),
            (Some(UNIT_B), Some(REQ_1), Some(false))
        );
        assert_eq!(run(&l, &ctx(21)).late, Some(true));
    }

    #[test]
    fn a_code_in_the_subject_picks_the_request_whatever_its_spelling() {
        let mut l = letter("a@donvi.vn", "TL: bao cao 4189 / kh-bcd", "gửi kèm");
        l.attachments.push(pdf());
        let o = run(&l, &ctx(5));
        assert_eq!((o.request_id, o.rule), (Some(REQ_1), "subject_code"));
        let l = letter("a@donvi.vn", "Báo cáo", "Đơn vị gửi báo cáo.");
        let o = run(&l, &ctx(5));
        assert_eq!((o.state, o.reason), (State::Review, Reason::AmbiguousRequest));
        assert_eq!(o.candidates, vec![REQ_1, REQ_2]);
    }

    #[test]
    fn a_thread_never_overrides_the_sender() {
        let c = ctx_with_sent(5);
        let mut l = letter("b@donvi.vn", "RE: nhắc", "Gửi báo cáo");
        l.in_reply_to = vec!["m1@so.vn".into()];
        let o = run(&l, &c);
        assert_eq!((o.unit_id, o.request_id, o.rule), (Some(UNIT_B), Some(REQ_1), "thread"));
    }

    #[test]
    fn the_office_own_file_sent_back_is_not_a_report() {
        // A forward of the notice, or an e-office acknowledgement carrying the directive.
        let mut l = letter("a@donvi.vn", "[BC-2] đã nhận", "Đơn vị đã nhận văn bản.");
        let mut directive = pdf();
        directive.name = "4189-KH-BCD.pdf".into();
        directive.sha256 = "our-directive".into();
        l.attachments = vec![directive];
        let mut s = snapshot();
        let counted = classify(&l, &s, &Rules::default(), &ctx(5));
        assert_eq!(counted.state, State::Counted, "before the office's files are known");
        s.our_files.insert("our-directive".into());
        let o = classify(&l, &s, &Rules::default(), &ctx(5));
        assert_eq!((o.state, o.reason), (State::Review, Reason::MissingAttachment), "{o:?}");
        // With the unit's own report beside it, the report counts.
        l.attachments.push(pdf());
        assert_eq!(classify(&l, &s, &Rules::default(), &ctx(5)).state, State::Counted);
    }

    #[test]
    fn required_attachment_and_not_a_report() {
        let l = letter("a@donvi.vn", "[BC-2] báo cáo", "gửi báo cáo ạ");
        let o = run(&l, &ctx(5));
        assert_eq!((o.state, o.reason), (State::Review, Reason::MissingAttachment));
        let l = letter("b@donvi.vn", "RE: [BC-1]", "Đơn vị đã nhận được, sẽ gửi sau ạ.");
        assert_eq!(run(&l, &ctx(5)).reason, Reason::NotAReport);
        let l = letter(
            "b@donvi.vn",
            "RE: [BC-1]",
            "Đơn vị xin gia hạn đến 25/12 vì chưa đủ số liệu.",
        );
        assert_eq!(run(&l, &ctx(5)).rule, "more_time");
        let l = letter(
            "b@donvi.vn",
            "RE: [BC-1]",
            "Báo cáo mẫu số 2 gửi theo hướng dẫn thế nào ạ?",
        );
        assert_eq!(run(&l, &ctx(5)).rule, "question");
    }

    // Issue 12, item 4: a From with mailboxes of two units is nobody's until a person says.
    #[test]
    fn a_from_with_mailboxes_of_two_units_is_an_unknown_sender() {
        let mut l = letter("a@donvi.vn", "Báo cáo [BC-1]", "Hai đơn vị gửi báo cáo chung.");
        l.from_addresses = vec!["a@donvi.vn".into(), "b@donvi.vn".into()];
        let o = run(&l, &ctx(5));
        assert_eq!(
            (o.state, o.reason, o.rule),
            (State::Review, Reason::UnknownSender, "several_units")
        );
        assert_eq!((o.unit_id, o.request_id), (None, Some(REQ_1)));
        assert_eq!(o.suggested_units, vec![UNIT_A, UNIT_B]);
        assert_eq!(o.suggested_unit, Some(UNIT_A));
        assert_eq!(o.candidates, vec![REQ_1]);
        assert!(
            o.detail.contains("a (a@donvi.vn)") && o.detail.contains("b (b@donvi.vn)"),
            "{}",
            o.detail
        );
        // The order of the mailboxes does not matter, nor does a thread of one of them.
        let mut c = ctx_with_sent(5);
        l.from_addresses.reverse();
        l.in_reply_to = vec!["m1@so.vn".into()];
        let o = run(&l, &c);
        assert_eq!((o.reason, o.unit_id), (Reason::UnknownSender, None));
        assert_eq!(o.suggested_unit, Some(UNIT_A), "the thread's unit is suggested first");
        // Without a code or thread, the candidates are the requests either unit must answer.
        c.sent.clear();
        l.in_reply_to.clear();
        l.subject = "Báo cáo".into();
        assert_eq!(run(&l, &c).candidates, vec![REQ_1, REQ_2]);
    }

    #[test]
    fn a_from_with_two_addresses_of_one_unit_is_that_unit() {
        let mut s = snapshot();
        s.units_by_address.insert("a.canhan@gmail.com".into(), vec![UNIT_A]);
        let mut l = letter("a@donvi.vn", "Báo cáo [BC-1]", "Đơn vị gửi báo cáo.");
        l.from_addresses = vec!["a.canhan@gmail.com".into(), "a@donvi.vn".into()];
        let o = classify(&l, &s, &Rules::default(), &ctx(5));
        assert_eq!(
            (o.state, o.unit_id, o.request_id),
            (State::Counted, Some(UNIT_A), Some(REQ_1))
        );
        // A co-author nobody registered changes nothing.
        l.from_addresses.push("khach@example.com".into());
        let o = classify(&l, &s, &Rules::default(), &ctx(5));
        assert_eq!((o.state, o.unit_id), (State::Counted, Some(UNIT_A)));
    }

    // Issue 12, item 6: quoting another unit's request offers the unit's own requests too.
    #[test]
    fn a_code_of_a_request_not_addressed_to_the_unit_offers_the_units_own_requests_too() {
        // Unit B must answer REQ_1 only; it quotes REQ_2's code.
        let l = letter("b@donvi.vn", "Báo cáo 165/LĐLĐ", "Đơn vị gửi báo cáo.");
        let o = run(&l, &ctx(5));
        assert_eq!(
            (o.state, o.reason, o.rule),
            (State::Review, Reason::AmbiguousRequest, "closed_request")
        );
        assert_eq!(o.candidates, vec![REQ_1, REQ_2]);
        assert!(
            o.detail.contains("165/LĐLĐ") && o.detail.contains("4189/KH-BCĐ"),
            "{}",
            o.detail
        );
        // A closed request quoted by a unit with nothing open: that request alone.
        let mut s = snapshot();
        s.open_for_unit.insert(UNIT_B, vec![]);
        if let Some(r) = s.requests.get_mut(&REQ_1) {
            r.active = false;
        }
        let l = letter("b@donvi.vn", "Báo cáo 4189/KH-BCĐ", "Đơn vị gửi báo cáo.");
        let o = classify(&l, &s, &Rules::default(), &ctx(5));
        assert_eq!((o.rule, o.candidates.clone()), ("closed_request", vec![REQ_1]));
    }

    #[test]
    fn unknown_sender_gets_a_suggested_unit_from_the_thread() {
        let c = ctx_with_sent(5);
        let mut l = letter("canhan@gmail.com", "RE: nhắc", "gửi báo cáo");
        l.references = vec!["m1@so.vn".into()];
        let o = run(&l, &c);
        assert_eq!((o.state, o.reason), (State::Review, Reason::UnknownSender));
        assert_eq!((o.suggested_unit, o.request_id), (Some(UNIT_A), Some(REQ_1)));
    }

    // Issue 12, item 5: "only an acknowledgement, a question or a request for more time"
    // means only: the words beyond the deciding sentence are measured, and an apology for
    // lateness is not a request for more time.
    #[test]
    fn not_a_report_means_only_that() {
        const REPORT: &str = "Đơn vị báo cáo kết quả thực hiện: đã tổ chức tuyên truyền cho 100% cán bộ, \
            giáo viên; phối hợp với công đoàn tổ chức 3 hoạt động hưởng ứng, thu hút 120 người tham gia; \
            thăm hỏi 5 đoàn viên có hoàn cảnh khó khăn với tổng kinh phí 12 triệu đồng.";
        let phrases = Phrases::default();
        let rule = |text: &str| not_a_report(text, &phrases).map(|(rule, _)| rule);
        let cases: Vec<(String, Option<&str>)> = vec![
            (format!("{REPORT}\nVăn bản sẽ gửi sau."), None),
            (
                format!("Kính gửi Sở,\n{REPORT} Văn bản có chữ ký sẽ gửi sau ạ.\nTrân trọng."),
                None,
            ),
            (format!("Xin lỗi vì báo cáo chậm. {REPORT}"), None),
            (
                format!("{REPORT}\nĐơn vị thành thật xin lỗi vì nộp báo cáo chậm, mong Sở thông cảm."),
                None,
            ),
            (format!("{REPORT} Cho em hỏi có cần gửi bản giấy không ạ?"), None),
            (
                "Đơn vị xin gia hạn đến 25/12 vì chưa đủ số liệu.".into(),
                Some("more_time"),
            ),
            (
                "Kính đề nghị Sở cho đơn vị được lùi hạn nộp báo cáo đến ngày 05/01/2024.".into(),
                Some("more_time"),
            ),
            (
                "Xin lỗi Sở, đơn vị xin gia hạn thêm 3 ngày. Lý do: các trường chưa gửi đủ số liệu \
                 nên Phòng cần thêm thời gian để tổng hợp và đối chiếu, mong Sở thông cảm."
                    .into(),
                Some("more_time"),
            ),
            (
                "Kính gửi Sở, Phòng xin phép nộp báo cáo chậm 2 ngày ạ.".into(),
                Some("more_time"),
            ),
            (
                "Dạ, xin lỗi vì báo cáo chậm ạ. Đơn vị sẽ gửi ngay trong chiều nay.".into(),
                Some("acknowledgement"),
            ),
            ("Xin lỗi Sở vì báo cáo chậm.".into(), Some("acknowledgement")),
            ("Đơn vị chưa kịp hoàn thành báo cáo.".into(), Some("acknowledgement")),
            ("Dạ đã nhận ạ".into(), Some("acknowledgement")),
            (
                "Báo cáo mẫu số 2 gửi theo hướng dẫn thế nào ạ?".into(),
                Some("question"),
            ),
            ("".into(), Some("empty")),
            ("Đơn vị gửi báo cáo.".into(), None),
            ("Xin lỗi vì báo cáo chậm. Đơn vị gửi báo cáo kết quả.".into(), None),
        ];
        for (text, expected) in &cases {
            assert_eq!(rule(text), *expected, "{text}");
        }
    }

    #[test]
    fn the_review_detail_quotes_the_sentence_that_decided() {
        let phrases = Phrases::default();
        let (_, detail) = not_a_report(
            "Kính gửi Sở,\nĐơn vị xin gia hạn đến 25/12 vì chưa đủ số liệu.\nTrân trọng.",
            &phrases,
        )
        .expect("more time");
        assert!(
            detail.contains("\"Đơn vị xin gia hạn đến 25/12 vì chưa đủ số liệu\""),
            "{detail}"
        );
        let (_, detail) = not_a_report("Dạ, công đoàn đã nhận được ạ.", &phrases).expect("ack");
        assert!(detail.contains("công đoàn đã nhận được ạ"), "{detail}");
        // The lists are the configuration's: a phrase added there decides.
        let mut custom = Phrases::default();
        custom.more_time.push("khất".into());
        assert_eq!(
            not_a_report("Đơn vị xin được khất đến tuần sau.", &custom).map(|(r, _)| r),
            Some("more_time")
        );
        assert_eq!(
            not_a_report("Đơn vị xin được khất đến tuần sau.", &phrases).map(|(r, _)| r),
            None
        );
    }

    #[test]
    fn failed_and_delayed_bounces() {
        let c = ctx_with_sent(5);
        let mut l = letter("mailer-daemon@mx.vn", "Undelivered", "");
        l.bounce = Some(Bounce {
            structured: true,
            recipients: vec![BounceRecipient {
                address: Some("a@donvi.vn".into()),
                action: "failed".into(),
                status: Some("5.1.1".into()),
                diagnostic: Some("550 user unknown".into()),
            }],
            original_ids: vec!["m1@so.vn".into()],
            text_says_delayed: false,
        });
        let o = run(&l, &c);
        assert_eq!((o.reason, o.unit_id), (Reason::Bounce, Some(UNIT_A)));
        assert_eq!(o.failing.as_ref().map(|f| f.address.as_str()), Some("a@donvi.vn"));
        if let Some(b) = l.bounce.as_mut() {
            b.recipients[0].action = "delayed".into();
            b.recipients[0].status = Some("4.4.1".into());
        }
        let o = run(&l, &c);
        assert_eq!((o.reason, o.rule, o.failing), (Reason::Bounce, "delayed", None));
    }

    #[test]
    fn automatic_mail_and_the_e_office_exception() {
        let mut l = letter("a@donvi.vn", "Trả lời tự động: Nhắc báo cáo", "Tôi vắng mặt");
        assert_eq!(run(&l, &ctx(5)).reason, Reason::AutoReply);
        l.subject = "[BC-2] Văn bản điện tử".into();
        l.auto.auto_submitted = Some("auto-generated".into());
        assert_eq!(run(&l, &ctx(5)).reason, Reason::AutoReply);
        l.attachments.push(pdf());
        assert_eq!(run(&l, &ctx(5)).state, State::Counted);
        l.from = Some("noreply@eoffice.vn".into());
        assert_eq!(run(&l, &ctx(5)).reason, Reason::AutoReply);
    }

    #[test]
    fn trusted_dmarc_failure_goes_to_review_untrusted_is_ignored() {
        let mut l = letter("b@donvi.vn", "Báo cáo", "gửi báo cáo");
        l.auth = Some(AuthResults {
            authserv_id: "mx.so.vn".into(),
            dmarc: Some("fail".into()),
        });
        let rules = Rules {
            trusted_authserv_ids: vec!["mx.so.vn".into()],
            ..Rules::default()
        };
        assert_eq!(classify(&l, &snapshot(), &rules, &ctx(5)).reason, Reason::AuthFailed);
        assert_eq!(
            classify(&l, &snapshot(), &Rules::default(), &ctx(5)).reason,
            Reason::Report
        );
    }

    #[test]
    fn duplicates_own_messages_and_resubmissions() {
        let l = letter("b@donvi.vn", "Báo cáo", "gửi báo cáo");
        let mut c = ctx(5);
        c.duplicate_of = Some(7);
        assert_eq!(run(&l, &c).reason, Reason::Duplicate);
        let own = letter("vanphong@so.vn", "Nhắc", "x");
        assert_eq!(run(&own, &ctx(5)).reason, Reason::OwnMessage);
        let mut s = snapshot();
        s.note_counted(REQ_1, UNIT_B);
        assert_eq!(
            classify(&l, &s, &Rules::default(), &ctx(5)).reason,
            Reason::Resubmission
        );
    }
}
