//! What classifying knows besides the letter: the editable phrase lists and rules from the
//! configuration, the registry's [`Snapshot`] (loaded once per batch), and the [`Context`]
//! of one message (when it arrived, an earlier copy, our sent messages it refers to).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::domain::matching::search_key;
use crate::domain::model::{IncomingId, RequestId, UnitId};
use crate::domain::period::{Period, SchoolDates};

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
    /// The office's zone: the day a message arrived, for a period named without its year.
    pub zone: chrono_tz::Tz,
}

/// A request as intake sees it.
#[derive(Debug, Clone)]
pub struct RequestFacts {
    pub id: RequestId,
    pub code: String,
    pub token: String,
    pub deadline: DateTime<Utc>,
    pub attachment_required: bool,
    /// Active and asking a report: replies may count for it.
    pub active: bool,
    /// A request "để biết": it asks no report, so no reply counts for it.
    pub for_information: bool,
    /// The instance of a periodic report: its series and period.
    pub period: Option<(i64, Period)>,
    pub(crate) code_needle: String,
    pub(crate) token_needle: String,
}

impl RequestFacts {
    pub fn new(
        id: RequestId,
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
            period: None,
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
    pub units_by_address: HashMap<String, Vec<UnitId>>,
    pub unit_codes: HashMap<UnitId, String>,
    pub requests: HashMap<RequestId, RequestFacts>,
    /// The active requests each unit must answer.
    pub open_for_unit: HashMap<UnitId, Vec<RequestId>>,
    pub reported: HashSet<(RequestId, UnitId)>,
    pub extended: HashMap<(RequestId, UnitId), DateTime<Utc>>,
    /// SHA-256 of every file the office sends with its notices.
    pub our_files: HashSet<String>,
    /// The school calendar of each series that reports by school year (others: the default).
    pub series_school: HashMap<i64, SchoolDates>,
}

impl Snapshot {
    pub fn deadline(&self, request_id: RequestId, unit_id: UnitId) -> Option<DateTime<Utc>> {
        self.extended
            .get(&(request_id, unit_id))
            .copied()
            .or_else(|| self.requests.get(&request_id).map(|r| r.deadline))
    }

    pub(super) fn open(&self, unit_id: UnitId) -> &[RequestId] {
        self.open_for_unit.get(&unit_id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Records a counted submission so later messages of the same batch see it.
    pub fn note_counted(&mut self, request_id: RequestId, unit_id: UnitId) {
        self.reported.insert((request_id, unit_id));
    }
}

/// One of our sent messages a letter refers to (by thread or, for a bounce, by the
/// returned original).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRef {
    pub request_id: Option<RequestId>,
    pub unit_id: Option<UnitId>,
    pub to_address: String,
}

/// What is known about the letter beyond its text.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// When the mailbox received it (IMAP INTERNALDATE).
    pub received_at: DateTime<Utc>,
    /// An earlier record of the same message (same Message-ID, or same content without one).
    pub duplicate_of: Option<IncomingId>,
    /// Our sent messages by Message-ID, for the ids the letter mentions.
    pub sent: HashMap<String, SentRef>,
}
