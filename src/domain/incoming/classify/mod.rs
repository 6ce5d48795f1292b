//! The intake rules of PRODUCT.md as one pure function: [`classify`] takes a [`Letter`],
//! what the registry knows ([`Snapshot`]), which of our sent messages it refers to and
//! when the mailbox received it, and returns an [`Outcome`]: a state, one of thirteen
//! reasons, the rule that decided and a sentence a clerk can read. No IO, no clock.
//!
//! The order is the product's: duplicate, our own message, bounce, automatic mail, the
//! sender's unit, authentication, the request (thread, then code or token, then the only
//! open one), the attachment requirement, and the "not a report" check.

mod facts;
mod not_a_report;
mod outcome;
mod periods;
#[cfg(test)]
mod tests;

pub use facts::{Context, Phrases, RequestFacts, Rules, SentRef, Snapshot};
pub use not_a_report::{CONTENT_WORDS_OF_A_REPORT, not_a_report};
pub use outcome::{AlsoCounted, Counted, FailingMark, Ignored, Outcome, Reason, Rule, State, ToReview};

use super::message::Letter;
use crate::domain::matching::{contains_key, search_key};
use crate::domain::model::{RequestId, UnitId};

/// Applies the intake rules in order.
pub fn classify(letter: &Letter, snapshot: &Snapshot, rules: &Rules, context: &Context) -> Outcome {
    // Our own directive or form sent back is not a report attachment.
    let ours = letter.without_our_files(&snapshot.our_files);
    let letter = ours.as_ref().unwrap_or(letter);
    if let Some(earlier) = context.duplicate_of {
        return Ignored::new(
            Reason::Duplicate,
            if letter.message_id.is_some() {
                Rule::SameMessageId
            } else {
                Rule::SameContent
            },
            format!("đã nhận thư này trước đó (thư số {earlier})"),
        )
        .into();
    }
    let from = letter.from.as_deref().unwrap_or("");
    let own_id = letter
        .message_id
        .as_ref()
        .is_some_and(|id| context.sent.contains_key(id));
    if own_id || (!from.is_empty() && from == snapshot.office_mailbox) {
        return Ignored::new(
            Reason::OwnMessage,
            if own_id {
                Rule::OurMessageId
            } else {
                Rule::FromOfficeMailbox
            },
            "thư do chính hộp thư của văn phòng gửi",
        )
        .into();
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
        [] => return unknown_sender(letter, snapshot, &thread_refs, Rule::UnknownSender),
        several => {
            // An address two units share: the thread may say which.
            match thread_refs
                .iter()
                .find_map(|r| r.unit_id.filter(|u| several.contains(u)))
            {
                Some(unit) => unit,
                None => return unknown_sender(letter, snapshot, &thread_refs, Rule::SharedAddress),
            }
        }
    };
    if let Some(auth) = &letter.auth
        && rules.trusted_authserv_ids.contains(&auth.authserv_id)
        && auth.dmarc.as_deref() == Some("fail")
    {
        return ToReview::new(
            Reason::AuthFailed,
            Rule::DmarcFail,
            format!(
                "máy chủ {} báo thư không qua kiểm tra DMARC: có thể bị giả mạo người gửi",
                auth.authserv_id
            ),
        )
        .unit(Some(unit_id))
        .into();
    }
    let thread: Vec<RequestId> = thread_refs.iter().filter_map(|r| r.request_id).collect();
    let received_on = context.received_at.with_timezone(&rules.zone).date_naive();
    let found = find_request(letter, snapshot, unit_id, &thread_refs);
    let found = periods::refine(letter, snapshot, unit_id, &thread, received_on, found);
    let (request_id, rule, more) = match found {
        Found::One(request, rule) => (request, rule, Vec::new()),
        Found::Many(requests, rule) => match requests.split_first() {
            Some((first, rest)) => (*first, rule, rest.to_vec()),
            None => {
                return ToReview::new(Reason::AmbiguousRequest, rule, "không tìm thấy yêu cầu")
                    .unit(Some(unit_id))
                    .into();
            }
        },
        Found::Decided(outcome) => return outcome,
        Found::None => {
            return Ignored::new(
                Reason::Unrelated,
                Rule::NoOpenRequest,
                "đơn vị không có yêu cầu báo cáo nào đang theo dõi",
            )
            .unit(Some(unit_id))
            .into();
        }
        Found::Several(candidates, rule) => {
            let detail = "đơn vị có nhiều yêu cầu đang theo dõi, thư không ghi rõ số hiệu";
            let mut outcome = ToReview::new(Reason::AmbiguousRequest, rule, detail).unit(Some(unit_id));
            outcome.candidates = candidates;
            return outcome.into();
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
                return Ignored::new(
                    Reason::Unrelated,
                    Rule::ForInformation,
                    format!(
                        "thư trả lời văn bản để biết {} (không yêu cầu báo cáo)",
                        codes.join(", ")
                    ),
                )
                .unit(Some(unit_id))
                .into();
            }
            return referred_elsewhere(snapshot, unit_id, referred);
        }
    };
    let Some(request) = snapshot.requests.get(&request_id) else {
        return ToReview::new(Reason::AmbiguousRequest, rule, "không tìm thấy yêu cầu")
            .unit(Some(unit_id))
            .into();
    };
    let review = |reason, rule, detail: String| -> Outcome {
        ToReview::new(reason, rule, detail)
            .unit(Some(unit_id))
            .request(Some(request_id))
            .into()
    };
    if letter.header_only {
        return review(
            Reason::Report,
            Rule::TooLarge,
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
        return review(Reason::MissingAttachment, Rule::AttachmentRequired, detail);
    }
    if !letter.has_report_attachment()
        && let Some((rule, detail)) = not_a_report(&letter.own_text, &rules.phrases)
    {
        return review(Reason::NotAReport, rule, detail);
    }
    let judge = |request_id: RequestId| {
        let deadline = snapshot
            .deadline(request_id, unit_id)
            .or_else(|| snapshot.requests.get(&request_id).map(|r| r.deadline))
            .unwrap_or(request.deadline);
        let late = context.received_at > deadline;
        let resubmission = snapshot.reported.contains(&(request_id, unit_id));
        (late, resubmission)
    };
    let (late, resubmission) = judge(request_id);
    let mut detail = if resubmission {
        "đơn vị đã báo cáo trước đó; ghi nhận là báo cáo bổ sung"
    } else if late {
        "báo cáo trễ hạn"
    } else {
        "báo cáo đúng hạn"
    }
    .to_string();
    let also: Vec<AlsoCounted> = more
        .into_iter()
        .map(|request_id| {
            let (late, resubmission) = judge(request_id);
            AlsoCounted {
                request_id,
                late,
                resubmission,
            }
        })
        .collect();
    if !also.is_empty() {
        let labels: Vec<String> = std::iter::once(request_id)
            .chain(also.iter().map(|a| a.request_id))
            .filter_map(|id| snapshot.requests.get(&id).and_then(|r| r.period))
            .map(|(_, p)| p.label_vi())
            .collect();
        detail = format!("{detail}; thư gồm báo cáo {} kỳ: {}", labels.len(), labels.join(", "));
    }
    Counted {
        rule,
        detail,
        unit_id,
        request_id,
        late,
        resubmission,
        also,
    }
    .into()
}

fn bounce_outcome(letter: &Letter, context: &Context) -> Option<Outcome> {
    let bounce = letter.bounce.as_ref()?;
    let linked = bounce.original_ids.iter().find_map(|id| context.sent.get(id));
    let (request_id, unit_id) = linked.map_or((None, None), |s| (s.request_id, s.unit_id));
    if !bounce.failed() {
        return Some(
            Ignored::new(
                Reason::Bounce,
                Rule::Delayed,
                "máy chủ báo thư chậm gửi (chưa phải lỗi); không đánh dấu địa chỉ",
            )
            .unit(unit_id)
            .request(request_id)
            .into(),
        );
    }
    let Some(sent) = linked else {
        return Some(
            Ignored::new(
                Reason::Bounce,
                Rule::BounceUnlinked,
                "thư báo lỗi gửi không thuộc thư nhắc nào của baocao",
            )
            .into(),
        );
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
    let mut outcome = Ignored::new(
        Reason::Bounce,
        if bounce.structured {
            Rule::DsnFailed
        } else {
            Rule::MailerDaemonNotice
        },
        format!("thư nhắc không tới được {address}: {why}"),
    )
    .unit(unit_id)
    .request(request_id);
    // A copy's recipient (an escalation's Cc) is not the unit's address: marked by address.
    let unit_id = unit_id.filter(|_| address.eq_ignore_ascii_case(&sent.to_address));
    outcome.failing = Some(FailingMark {
        unit_id,
        address,
        reason: why,
    });
    Some(outcome.into())
}

fn automatic_outcome(letter: &Letter, rules: &Rules, registered_sender: bool) -> Option<Outcome> {
    let auto = |rule, detail: String| Some(Ignored::new(Reason::AutoReply, rule, detail).into());
    if letter.read_receipt {
        return auto(Rule::ReadReceipt, "thư xác nhận đã đọc".into());
    }
    if let Some(header) = &letter.auto.vendor_header {
        return auto(Rule::VendorHeader, format!("thư trả lời tự động ({header})"));
    }
    if let Some(other) = letter.auto.auto_submitted.as_deref().filter(|v| *v != "auto-generated") {
        return auto(
            Rule::AutoSubmitted,
            format!("thư trả lời tự động (Auto-Submitted: {other})"),
        );
    }
    if let Some(precedence) = &letter.auto.precedence {
        if precedence == "auto_reply" || precedence == "junk" {
            return auto(Rule::Precedence, format!("thư tự động (Precedence: {precedence})"));
        }
        return Some(
            Ignored::new(
                Reason::Unrelated,
                Rule::BulkOrList,
                format!("thư gửi hàng loạt (Precedence: {precedence})"),
            )
            .into(),
        );
    }
    if letter.auto.list {
        return Some(Ignored::new(Reason::Unrelated, Rule::BulkOrList, "thư từ danh sách thư (List-Id)").into());
    }
    let subject = search_key(&letter.subject);
    if let Some(phrase) = rules
        .phrases
        .out_of_office
        .iter()
        .find(|p| contains_key(&subject, &search_key(p)))
    {
        return auto(Rule::OutOfOfficeSubject, format!("tiêu đề thư vắng mặt (\"{phrase}\")"));
    }
    if subject.starts_with("read:") || subject.starts_with("da doc:") {
        return auto(Rule::ReadReceipt, "thư xác nhận đã đọc".into());
    }
    match letter.auto.auto_submitted.as_deref() {
        None => None,
        Some("auto-generated") if registered_sender && letter.has_report_attachment() => None,
        Some("auto-generated") => auto(
            Rule::AutoGenerated,
            "thư do máy tự tạo (Auto-Submitted: auto-generated) không kèm báo cáo".into(),
        ),
        Some(other) => auto(
            Rule::AutoSubmitted,
            format!("thư trả lời tự động (Auto-Submitted: {other})"),
        ),
    }
}

fn unknown_sender(letter: &Letter, snapshot: &Snapshot, thread_refs: &[&SentRef], rule: Rule) -> Outcome {
    let suggested_unit = thread_refs.iter().find_map(|r| r.unit_id);
    let mut candidates: Vec<RequestId> = thread_refs.iter().filter_map(|r| r.request_id).collect();
    if candidates.is_empty() {
        let all: Vec<RequestId> = snapshot.requests.values().filter(|r| r.active).map(|r| r.id).collect();
        candidates = mentioned(letter, snapshot, &all);
    }
    candidates.sort_unstable();
    candidates.dedup();
    let who = letter.from.as_deref().unwrap_or("(không có địa chỉ)");
    let detail = match suggested_unit.and_then(|u| snapshot.unit_codes.get(&u)) {
        Some(code) if rule == Rule::SharedAddress => {
            format!("địa chỉ {who} dùng chung cho nhiều đơn vị; có thể là {code}")
        }
        Some(code) => format!("địa chỉ {who} chưa đăng ký; thư trả lời thư nhắc gửi đơn vị {code}"),
        None if rule == Rule::SharedAddress => format!("địa chỉ {who} dùng chung cho nhiều đơn vị"),
        None => format!("địa chỉ {who} chưa đăng ký cho đơn vị nào"),
    };
    let mut outcome = ToReview::new(Reason::UnknownSender, rule, detail);
    outcome.suggested_units = suggested_unit.into_iter().collect();
    if let [only] = candidates.as_slice() {
        outcome.request_id = Some(*only);
    }
    outcome.candidates = candidates;
    outcome.into()
}

/// The units the From mailboxes belong to.
struct Senders<'a> {
    /// Each registered From address (in the letter's order) with its units.
    registered: Vec<(&'a str, &'a [UnitId])>,
    /// The units every registered address belongs to: one for a unit's own address (or
    /// several of one unit's addresses), several for an address units share, none when the
    /// addresses belong to different units or none is registered.
    common: Vec<UnitId>,
}

impl<'a> Senders<'a> {
    fn of(letter: &'a Letter, snapshot: &'a Snapshot) -> Senders<'a> {
        let registered: Vec<(&str, &[UnitId])> = letter
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
        let mut common: Vec<UnitId> = registered.first().map(|(_, units)| units.to_vec()).unwrap_or_default();
        for (_, units) in registered.iter().skip(1) {
            common.retain(|u| units.contains(u));
        }
        Senders { registered, common }
    }

    fn registered(&self) -> bool {
        !self.registered.is_empty()
    }

    /// Every unit of the registered addresses, in the order the addresses come, each once.
    fn all_units(&self) -> Vec<UnitId> {
        let mut units: Vec<UnitId> = Vec::new();
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
    let mut candidates: Vec<RequestId> = thread_refs.iter().filter_map(|r| r.request_id).collect();
    let open: Vec<RequestId> = units.iter().flat_map(|u| snapshot.open(*u).iter().copied()).collect();
    if candidates.is_empty() {
        candidates = mentioned(letter, snapshot, &open);
    }
    if candidates.is_empty() {
        let all: Vec<RequestId> = snapshot.requests.values().filter(|r| r.active).map(|r| r.id).collect();
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
    let mut outcome = ToReview::new(Reason::UnknownSender, Rule::SeveralUnits, detail);
    outcome.suggested_units = units;
    if let [only] = candidates.as_slice() {
        outcome.request_id = Some(*only);
    }
    outcome.candidates = candidates;
    outcome.into()
}

/// The letter names requests the unit need not answer: the candidates are those and the
/// unit's own open requests (the unit may have quoted the wrong number), and the detail
/// says why each named one does not fit.
fn referred_elsewhere(snapshot: &Snapshot, unit_id: UnitId, referred: Vec<RequestId>) -> Outcome {
    let code_of = |id: &RequestId| {
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
    let mut outcome = ToReview::new(Reason::AmbiguousRequest, Rule::ClosedRequest, detail).unit(Some(unit_id));
    outcome.candidates = candidates;
    outcome.into()
}

enum Found {
    One(RequestId, Rule),
    /// A periodic report for several periods at once (one file per period).
    Many(Vec<RequestId>, Rule),
    Several(Vec<RequestId>, Rule),
    /// The letter names only requests the unit need not answer (closed, or addressed to
    /// other units).
    Elsewhere(Vec<RequestId>),
    None,
    /// The period logic decided already (a conflict, a period with no request).
    Decided(Outcome),
}

/// Rule 4: the request among those open for the unit.
fn find_request(letter: &Letter, snapshot: &Snapshot, unit_id: UnitId, thread_refs: &[&SentRef]) -> Found {
    let open = snapshot.open(unit_id);
    let mut referred_elsewhere: Vec<RequestId> = Vec::new();
    for sent in thread_refs {
        let Some(request) = sent.request_id else { continue };
        if open.contains(&request) {
            return Found::One(request, Rule::Thread);
        }
        referred_elsewhere.push(request);
    }
    let all: Vec<RequestId> = snapshot.requests.keys().copied().collect();
    for (source, rule) in [
        (Source::Subject, Rule::SubjectCode),
        (Source::Text, Rule::TextCode),
        (Source::AttachmentNames, Rule::AttachmentNameCode),
    ] {
        let found = mentioned_in(letter, snapshot, &all, source);
        let (in_open, elsewhere): (Vec<RequestId>, Vec<RequestId>) = found.into_iter().partition(|r| open.contains(r));
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
        [one] => Found::One(*one, Rule::OnlyOpenRequest),
        several => Found::Several(several.to_vec(), Rule::NoCode),
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
fn mentioned(letter: &Letter, snapshot: &Snapshot, among: &[RequestId]) -> Vec<RequestId> {
    for source in [Source::Subject, Source::Text, Source::AttachmentNames] {
        let found = mentioned_in(letter, snapshot, among, source);
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

fn mentioned_in(letter: &Letter, snapshot: &Snapshot, among: &[RequestId], source: Source) -> Vec<RequestId> {
    let haystack = match source {
        Source::Subject => search_key(&letter.subject),
        Source::Text => search_key(&letter.text),
        Source::AttachmentNames => {
            let names: Vec<&str> = letter.attachments.iter().map(|a| a.name.as_str()).collect();
            search_key(&names.join(" \n "))
        }
    };
    let mut found: Vec<RequestId> = among
        .iter()
        .filter_map(|id| snapshot.requests.get(id))
        .filter(|r| contains_key(&haystack, &r.token_needle) || contains_key(&haystack, &r.code_needle))
        .map(|r| r.id)
        .collect();
    // A token names one request; when a token is present, codes that also match (the same
    // code in another year) give way to it.
    let by_token: Vec<RequestId> = found
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
