//! What classifying a message decides: an [`Outcome`] per state, each carrying exactly its
//! fields (a counted message always has its request and unit), the [`Reason`] a clerk reads
//! and the [`Rule`] that decided.

use serde::Serialize;

use crate::domain::model::{IncomingId, RequestId, UnitId};

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

/// Declares [`Rule`]: each variant with the stable English word stored in
/// `incoming_messages.rule` and shown beside the Vietnamese detail.
macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident = $text:literal,)*) => {
        /// The rule that decided where a message ends.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Rule {
            $($(#[$doc])* $variant,)*
        }

        impl Rule {
            pub const ALL: &[Rule] = &[$(Rule::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Rule::$variant => $text,)*
                }
            }
        }
    };
}

rules! {
    /// The same Message-ID was recorded before.
    SameMessageId = "same_message_id",
    /// The same bytes (no Message-ID) were recorded before.
    SameContent = "same_content",
    /// One of our own Message-IDs.
    OurMessageId = "our_message_id",
    FromOfficeMailbox = "from_office_mailbox",
    /// A delivery delay notice: no address is marked.
    Delayed = "delayed",
    BounceUnlinked = "bounce_unlinked",
    DsnFailed = "dsn_failed",
    MailerDaemonNotice = "mailer_daemon_notice",
    ReadReceipt = "read_receipt",
    VendorHeader = "vendor_header",
    AutoSubmitted = "auto_submitted",
    Precedence = "precedence",
    BulkOrList = "bulk_or_list",
    OutOfOfficeSubject = "out_of_office_subject",
    AutoGenerated = "auto_generated",
    UnknownSender = "unknown_sender",
    /// An address several units share, and the thread does not say which.
    SharedAddress = "shared_address",
    /// Addresses of different units in one From.
    SeveralUnits = "several_units",
    DmarcFail = "dmarc_fail",
    /// The message answers one of our letters about the request.
    Thread = "thread",
    SubjectCode = "subject_code",
    TextCode = "text_code",
    AttachmentNameCode = "attachment_name_code",
    OnlyOpenRequest = "only_open_request",
    /// A periodic report: the period named in the subject, the file names or the text.
    NamedPeriod = "named_period",
    /// A periodic report naming no period: the unit's oldest open period not reported yet.
    OldestOpenPeriod = "oldest_open_period",
    /// The subject names one period and the files another, or the text names several.
    PeriodConflict = "period_conflict",
    /// The period named has no request: not begun yet, or a year no request is for.
    NoSuchPeriod = "no_such_period",
    /// Several open requests and no code names one.
    NoCode = "no_code",
    NoOpenRequest = "no_open_request",
    /// A reply to a directive sent "để biết".
    ForInformation = "for_information",
    /// Names only requests the unit need not answer (closed, or other units').
    ClosedRequest = "closed_request",
    /// Above the size cap: only the header was read.
    TooLarge = "too_large",
    AttachmentRequired = "attachment_required",
    MoreTime = "more_time",
    Acknowledgement = "acknowledgement",
    Question = "question",
    Empty = "empty",
    Unreadable = "unreadable",
    /// Reading or judging took longer than the time budget.
    TimeBudget = "time_budget",
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An address to mark as failing, from a bounce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailingMark {
    pub unit_id: Option<UnitId>,
    pub address: String,
    pub reason: String,
}

/// Where a message ends and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Counted(Counted),
    Review(ToReview),
    Ignored(Ignored),
}

/// A report of a unit for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub rule: Rule,
    /// One sentence for the clerk.
    pub detail: String,
    pub unit_id: UnitId,
    pub request_id: RequestId,
    /// Received after the unit's deadline.
    pub late: bool,
    /// The unit had reported before: a resubmission.
    pub resubmission: bool,
    /// More periods of the same series the message reports on (one file per period).
    pub also: Vec<AlsoCounted>,
}

/// Another request one message counts for: a periodic report sent for several periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlsoCounted {
    pub request_id: RequestId,
    pub late: bool,
    pub resubmission: bool,
}

/// A person decides; the message may say which unit and request it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToReview {
    pub reason: Reason,
    pub rule: Rule,
    pub detail: String,
    pub unit_id: Option<UnitId>,
    pub request_id: Option<RequestId>,
    /// Every unit the message may be from, when its sender could be several (the first is
    /// the one suggested); the detail names them all.
    pub suggested_units: Vec<UnitId>,
    /// Requests the message might be for, when it is ambiguous.
    pub candidates: Vec<RequestId>,
}

/// Nothing to count or decide; a bounce may mark an address failing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    pub reason: Reason,
    pub rule: Rule,
    pub detail: String,
    pub unit_id: Option<UnitId>,
    pub request_id: Option<RequestId>,
    pub failing: Option<FailingMark>,
}

impl ToReview {
    pub fn new(reason: Reason, rule: Rule, detail: impl Into<String>) -> ToReview {
        ToReview {
            reason,
            rule,
            detail: detail.into(),
            unit_id: None,
            request_id: None,
            suggested_units: Vec::new(),
            candidates: Vec::new(),
        }
    }

    pub fn unit(mut self, unit_id: Option<UnitId>) -> ToReview {
        self.unit_id = unit_id;
        self
    }

    pub fn request(mut self, request_id: Option<RequestId>) -> ToReview {
        self.request_id = request_id;
        self
    }
}

impl Ignored {
    pub fn new(reason: Reason, rule: Rule, detail: impl Into<String>) -> Ignored {
        Ignored {
            reason,
            rule,
            detail: detail.into(),
            unit_id: None,
            request_id: None,
            failing: None,
        }
    }

    pub fn unit(mut self, unit_id: Option<UnitId>) -> Ignored {
        self.unit_id = unit_id;
        self
    }

    pub fn request(mut self, request_id: Option<RequestId>) -> Ignored {
        self.request_id = request_id;
        self
    }
}

impl From<Counted> for Outcome {
    fn from(counted: Counted) -> Outcome {
        Outcome::Counted(counted)
    }
}

impl From<ToReview> for Outcome {
    fn from(review: ToReview) -> Outcome {
        Outcome::Review(review)
    }
}

impl From<Ignored> for Outcome {
    fn from(ignored: Ignored) -> Outcome {
        Outcome::Ignored(ignored)
    }
}

impl Outcome {
    /// A message recorded before (thread, Message-ID or content).
    pub fn duplicate(earlier: IncomingId, rule: Rule) -> Outcome {
        Ignored::new(
            Reason::Duplicate,
            rule,
            format!("đã nhận thư này trước đó (thư số {earlier})"),
        )
        .into()
    }

    /// A message nothing could be read from: a person must open it.
    pub fn unreadable(problem: &str) -> Outcome {
        ToReview::new(
            Reason::UnknownSender,
            Rule::Unreadable,
            format!("{problem}: cần người mở tệp gốc để xem"),
        )
        .into()
    }

    /// A message that took longer than the time budget to read or judge: a person opens it,
    /// and the mailbox goes on without it.
    pub fn too_complex(budget: std::time::Duration) -> Outcome {
        ToReview::new(
            Reason::TooComplex,
            Rule::TimeBudget,
            format!(
                "thư quá phức tạp, không xử lý xong trong {} giây: cần người mở tệp gốc để xem",
                budget.as_secs_f64()
            ),
        )
        .into()
    }

    pub fn state(&self) -> State {
        match self {
            Outcome::Counted(_) => State::Counted,
            Outcome::Review(_) => State::Review,
            Outcome::Ignored(_) => State::Ignored,
        }
    }

    pub fn reason(&self) -> Reason {
        match self {
            Outcome::Counted(c) if c.resubmission => Reason::Resubmission,
            Outcome::Counted(_) => Reason::Report,
            Outcome::Review(r) => r.reason,
            Outcome::Ignored(i) => i.reason,
        }
    }

    pub fn rule(&self) -> Rule {
        match self {
            Outcome::Counted(c) => c.rule,
            Outcome::Review(r) => r.rule,
            Outcome::Ignored(i) => i.rule,
        }
    }

    /// One sentence for the clerk.
    pub fn detail(&self) -> &str {
        match self {
            Outcome::Counted(c) => &c.detail,
            Outcome::Review(r) => &r.detail,
            Outcome::Ignored(i) => &i.detail,
        }
    }

    pub fn unit_id(&self) -> Option<UnitId> {
        match self {
            Outcome::Counted(c) => Some(c.unit_id),
            Outcome::Review(r) => r.unit_id,
            Outcome::Ignored(i) => i.unit_id,
        }
    }

    pub fn request_id(&self) -> Option<RequestId> {
        match self {
            Outcome::Counted(c) => Some(c.request_id),
            Outcome::Review(r) => r.request_id,
            Outcome::Ignored(i) => i.request_id,
        }
    }

    /// Whether a counted report came after the deadline; `None` for anything not counted.
    pub fn late(&self) -> Option<bool> {
        match self {
            Outcome::Counted(c) => Some(c.late),
            _ => None,
        }
    }

    /// The unit suggested to the person who decides.
    pub fn suggested_unit(&self) -> Option<UnitId> {
        self.suggested_units().first().copied()
    }

    pub fn suggested_units(&self) -> &[UnitId] {
        match self {
            Outcome::Review(r) => &r.suggested_units,
            _ => &[],
        }
    }

    pub fn candidates(&self) -> &[RequestId] {
        match self {
            Outcome::Review(r) => &r.candidates,
            _ => &[],
        }
    }

    pub fn failing(&self) -> Option<&FailingMark> {
        match self {
            Outcome::Ignored(i) => i.failing.as_ref(),
            _ => None,
        }
    }

    /// The (request, unit) a counted report is for.
    pub fn counted_for(&self) -> Option<(RequestId, UnitId)> {
        match self {
            Outcome::Counted(c) => Some((c.request_id, c.unit_id)),
            _ => None,
        }
    }

    /// Every (request, unit) a counted report is for: the first and the other periods.
    pub fn counted_pairs(&self) -> Vec<(RequestId, UnitId)> {
        match self {
            Outcome::Counted(c) => std::iter::once(c.request_id)
                .chain(c.also.iter().map(|a| a.request_id))
                .map(|r| (r, c.unit_id))
                .collect(),
            _ => Vec::new(),
        }
    }
}
