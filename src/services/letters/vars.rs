//! What templates see: the office, the unit, the request and each kind's own values
//! (time left, lateness, the files a notice carries, the receipt's list, the digest's
//! summary), built from the model in the office's zone.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::dates::{format_date, format_instant, weekday_vi};
use crate::domain::model::Request;
use crate::domain::plan::SlotKind;

#[derive(Debug, Clone, Serialize)]
pub struct OfficeVars {
    pub name: String,
    pub mailbox: String,
    /// Who to call ("bà Lò Thị Hoa, văn thư, ĐT 0215 3826 123"), when configured.
    pub contact: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitVars {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestVars {
    pub code: String,
    /// The directive's kind: `Kế hoạch` (from `KH` in the number), `Công văn`, or as given.
    pub kind: String,
    /// Who issued it, when known.
    pub issuer: Option<String>,
    /// What to report, when given.
    pub content: Option<String>,
    pub title: String,
    /// The title as it reads after "về việc": first letter in lower case unless the first
    /// word is an abbreviation ("triển khai …", "UBND …").
    pub title_after_ve_viec: String,
    pub token: String,
    /// The unit's deadline as the directive wrote it ("trước ngày 31/12/2023"), or, when the
    /// request has no wording or the unit was granted a later one, `31/12/2023 lúc 17:00`;
    /// empty for a request "để biết".
    pub deadline: String,
    /// The instant baocao uses: `30/12/2023 lúc 23:59`.
    pub deadline_at: String,
    pub deadline_date: String,
    pub issued_on: Option<String>,
    pub attachment_required: bool,
    /// The period of a periodic report's instance, as it reads in a sentence ("quý IV/2026",
    /// "tháng 11/2026"); none for an ordinary request.
    pub period: Option<String>,
}

/// "Quý IV/2026" as it reads inside a sentence: "quý IV/2026".
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A title as it reads after "về việc": the first letter lowered unless the first word is an
/// abbreviation written in capitals (UBND, HĐND, THPT).
fn after_ve_viec(title: &str) -> String {
    let mut title = title.trim();
    // The title as a directive prints it: "V/v triển khai …", "Về việc triển khai …".
    for prefix in ["V/v ", "v/v ", "V/V ", "Về việc ", "về việc "] {
        if let Some(rest) = title.strip_prefix(prefix) {
            title = rest.trim_start();
        }
    }
    let first_word = title.split_whitespace().next().unwrap_or_default();
    let capitals = first_word.chars().filter(|c| c.is_uppercase()).count();
    if capitals > 1 {
        return title.to_string();
    }
    let mut chars = title.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The variables of a notice, reminder or overdue notice.
#[derive(Debug, Clone, Serialize)]
pub struct UnitMessage {
    pub office: OfficeVars,
    pub unit: UnitVars,
    pub request: RequestVars,
    /// `notice`, `reminder` or `overdue`.
    pub kind: String,
    /// Calendar days from the sending day to the deadline's day; 0 on the day or after.
    pub days_left: i64,
    /// "3 ngày", "5 giờ", "40 phút"; empty once the deadline has passed.
    pub time_left: String,
    /// Calendar days since the deadline's day; 0 before it.
    pub days_late: i64,
    /// "2 ngày", "3 giờ"; empty before the deadline.
    pub time_late: String,
    /// The unit's reply for this request waits in review because it had no file: the reminder
    /// says so instead of "not received".
    pub missing_attachment: bool,
    /// The names of the request's files this message carries (the notice only).
    pub files: Vec<String>,
    /// Those above the unit an overdue notice escalates to, by name; empty otherwise.
    pub escalated_to: Vec<String>,
    /// How they are told: `cc` (copies of this notice) or `thu-rieng` (letters of their own);
    /// empty when not escalated.
    pub escalation_via: String,
    /// Whom an escalation letter is addressed to ("Kính gửi"); empty in the unit's own letters.
    pub addressee: String,
}

impl UnitMessage {
    pub(super) const SAMPLE_TOKEN: &'static str = "BC-9999";

    /// The variables for one unit, as of `at` (when the message is queued).
    pub fn new(
        office: OfficeVars,
        unit: UnitVars,
        request: &Request,
        deadline: Option<DateTime<Utc>>,
        kind: SlotKind,
        at: DateTime<Utc>,
        zone: Tz,
    ) -> UnitMessage {
        let (days_left, time_left) = deadline.map_or((0, String::new()), |d| distance(at, d, zone));
        let (days_late, time_late) = deadline.map_or((0, String::new()), |d| late_by(d, at));
        let text = |f: &dyn Fn(DateTime<Utc>) -> String| deadline.map(f).unwrap_or_default();
        UnitMessage {
            office,
            unit,
            request: RequestVars {
                code: request.code.to_string(),
                kind: request
                    .letter
                    .kind
                    .clone()
                    .unwrap_or_else(|| crate::domain::model::document_kind(request.code.as_str()).to_string()),
                issuer: request.letter.issuer.clone(),
                content: request.letter.content.clone(),
                title: request.title.clone(),
                title_after_ve_viec: after_ve_viec(&request.title),
                token: request.token.clone(),
                deadline: match &request.deadline_wording {
                    Some(wording) if deadline == request.deadline => wording.clone(),
                    _ => text(&|d| format_instant(d, zone)),
                },
                deadline_at: text(&|d| format_instant(d, zone)),
                deadline_date: text(&|d| format_date(d.with_timezone(&zone).date_naive())),
                issued_on: request.issued_on.map(format_date),
                attachment_required: request.attachment_required,
                period: request.period.as_ref().map(|p| lower_first(&p.label)),
            },
            kind: kind.as_str().to_string(),
            days_left,
            time_left,
            days_late,
            time_late,
            missing_attachment: false,
            files: Vec::new(),
            escalated_to: Vec::new(),
            escalation_via: String::new(),
            addressee: String::new(),
        }
    }

    pub(super) fn sample() -> UnitMessage {
        UnitMessage {
            office: OfficeVars {
                name: "Sở Giáo dục và Đào tạo".into(),
                mailbox: "vanphong@example.vn".into(),
                contact: Some("bà Lò Thị Hoa, văn thư, ĐT 0215 3826 123".into()),
            },
            unit: UnitVars {
                code: "pgd-mau".into(),
                name: "Phòng Giáo dục và Đào tạo huyện Mẫu".into(),
            },
            request: RequestVars {
                code: "4189/KH-BCĐ".into(),
                kind: "Kế hoạch".into(),
                issuer: Some("Ban Chỉ đạo vận động hiến máu tình nguyện tỉnh".into()),
                content: Some("kết quả thực hiện theo Phụ lục kèm theo".into()),
                title: "Báo cáo kết quả thực hiện kế hoạch".into(),
                title_after_ve_viec: "báo cáo kết quả thực hiện kế hoạch".into(),
                token: Self::SAMPLE_TOKEN.into(),
                deadline: "31/12/2023 lúc 17:00".into(),
                deadline_at: "31/12/2023 lúc 17:00".into(),
                deadline_date: "31/12/2023".into(),
                issued_on: Some("01/12/2023".into()),
                attachment_required: true,
                period: None,
            },
            kind: "reminder".into(),
            days_left: 3,
            time_left: "3 ngày".into(),
            days_late: 1,
            time_late: "1 ngày".into(),
            missing_attachment: true,
            files: vec!["1062-KH-UBND.pdf".into(), "Phu luc bieu mau.xlsx".into()],
            escalated_to: Vec::new(),
            escalation_via: String::new(),
            addressee: "Ủy ban nhân dân huyện Mẫu".into(),
        }
    }
}

/// The variables of a receipt: what was received from the unit, and when.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiptVars {
    pub office: OfficeVars,
    pub unit: UnitVars,
    pub request: RequestVars,
    /// When the mailbox received the submission: `20/12/2023 lúc 09:15`.
    pub received_at: String,
    pub late: bool,
    /// "2 ngày", "3 giờ" after the deadline; empty when on time.
    pub time_late: String,
    /// A later submission for a request the unit had already reported.
    pub resubmission: bool,
    /// Names of the attachments that count as the report.
    pub attachments: Vec<String>,
    /// The subject the unit wrote.
    pub original_subject: String,
}

impl ReceiptVars {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        office: OfficeVars,
        unit: UnitVars,
        request: &Request,
        deadline: DateTime<Utc>,
        received_at: DateTime<Utc>,
        resubmission: bool,
        attachments: Vec<String>,
        original_subject: &str,
        zone: Tz,
    ) -> ReceiptVars {
        // The request's variables exactly as a reminder shows them.
        let message = UnitMessage::new(
            office,
            unit,
            request,
            Some(deadline),
            SlotKind::Reminder,
            received_at,
            zone,
        );
        ReceiptVars {
            office: message.office,
            unit: message.unit,
            request: message.request,
            received_at: format_instant(received_at, zone),
            late: received_at > deadline,
            time_late: message.time_late,
            resubmission,
            attachments,
            original_subject: original_subject.to_string(),
        }
    }

    pub(super) fn sample() -> ReceiptVars {
        let message = UnitMessage::sample();
        ReceiptVars {
            office: message.office,
            unit: message.unit,
            request: message.request,
            received_at: "30/12/2023 lúc 09:15".into(),
            late: false,
            time_late: String::new(),
            resubmission: false,
            attachments: vec!["Báo cáo.pdf".into()],
            original_subject: "RE: báo cáo".into(),
        }
    }
}

/// From `from` to `to`: whole calendar days between their local dates, and a phrase.
/// Within the same day the phrase counts hours (or minutes under an hour), rounded up.
/// `(0, "")` when `to` is not after `from`.
fn distance(from: DateTime<Utc>, to: DateTime<Utc>, zone: Tz) -> (i64, String) {
    if to <= from {
        return (0, String::new());
    }
    let days = (to.with_timezone(&zone).date_naive() - from.with_timezone(&zone).date_naive()).num_days();
    if days > 0 {
        return (days, format!("{days} ngày"));
    }
    let minutes = ((to - from).num_seconds() + 59) / 60;
    if minutes >= 60 {
        (0, format!("{} giờ", (minutes + 59) / 60))
    } else {
        (0, format!("{minutes} phút"))
    }
}

/// How long past `deadline` the instant `at` is, never rounded up (a notice 7 hours after an
/// end-of-day deadline says "7 giờ", not "1 ngày"): whole days of 24 hours, else whole hours,
/// minutes or seconds. `(0, "")` before the deadline.
fn late_by(deadline: DateTime<Utc>, at: DateTime<Utc>) -> (i64, String) {
    let seconds = (at - deadline).num_seconds();
    if seconds <= 0 {
        return (0, String::new());
    }
    let days = seconds / 86_400;
    let text = match seconds {
        s if s < 60 => format!("{s} giây"),
        s if s < 3600 => format!("{} phút", s / 60),
        s if s < 86_400 => format!("{} giờ", s / 3600),
        _ => format!("{days} ngày"),
    };
    (days, text)
}

/// One request in the digest.
#[derive(Debug, Clone, Serialize)]
pub struct DigestRequest {
    pub token: String,
    pub code: String,
    pub title: String,
    pub deadline: String,
    pub reported: usize,
    pub total: usize,
    /// Names of units that reported late.
    pub late: Vec<String>,
    /// Names of units past their deadline without a report.
    pub overdue: Vec<String>,
    /// Names of units without a report, still in time.
    pub pending: Vec<String>,
    /// A request "để biết": `reported` counts the units its notice reached.
    pub for_information: bool,
    /// A request "để biết": names of units its notice has not reached yet.
    pub not_informed: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailingVars {
    pub unit: String,
    pub address: String,
    pub reason: String,
}

/// An overdue notice copied to a unit's parent (escalation), for the office's leader.
#[derive(Debug, Clone, Serialize)]
pub struct EscalatedVars {
    pub token: String,
    pub unit: String,
    /// Who was told, by name.
    pub to: String,
    /// How: "đồng gửi" (a copy of the overdue notice) or "gửi thư riêng đề nghị đôn đốc tới".
    pub how: String,
}

/// A unit escalation would have copied, but every address of it fails: someone should call.
#[derive(Debug, Clone, Serialize)]
pub struct NotEscalatedVars {
    pub token: String,
    pub unit: String,
}

/// The variables of the daily digest.
#[derive(Debug, Clone, Serialize)]
pub struct DigestVars {
    pub office: OfficeVars,
    /// `23/11/2026`.
    pub date: String,
    /// `thứ Hai`.
    pub weekday: String,
    pub requests: Vec<DigestRequest>,
    pub review_count: i64,
    pub failing: Vec<FailingVars>,
    /// Set in December when next year's calendar has not been confirmed.
    pub calendar_warning: Option<String>,
    /// Set when the running service cannot do its job (a mail server refuses its login).
    pub service_warning: Option<String>,
    /// Overdue notices copied to parents since the day before.
    pub escalated: Vec<EscalatedVars>,
    /// Overdue units past the escalation threshold whose every address fails.
    pub not_escalated: Vec<NotEscalatedVars>,
}

impl DigestVars {
    /// Whether the digest has anything to tell the office.
    pub fn has_news(&self) -> bool {
        !self.requests.is_empty()
            || self.review_count > 0
            || !self.failing.is_empty()
            || self.calendar_warning.is_some()
            || self.service_warning.is_some()
            || !self.escalated.is_empty()
    }

    pub fn date_parts(at: DateTime<Utc>, zone: Tz) -> (String, String) {
        let local = at.with_timezone(&zone);
        (format_date(local.date_naive()), weekday_vi(local.weekday()).to_string())
    }

    pub(super) fn sample() -> DigestVars {
        DigestVars {
            office: UnitMessage::sample().office,
            date: "23/11/2026".into(),
            weekday: "thứ Hai".into(),
            requests: vec![
                DigestRequest {
                    token: "BC-1".into(),
                    code: "4189/KH-BCĐ".into(),
                    title: "Báo cáo".into(),
                    deadline: "31/12/2023 lúc 17:00".into(),
                    reported: 1,
                    total: 3,
                    late: vec!["Đơn vị A".into()],
                    overdue: vec!["Đơn vị B".into()],
                    pending: vec!["Đơn vị C".into()],
                    for_information: false,
                    not_informed: vec![],
                },
                DigestRequest {
                    token: "BC-2".into(),
                    code: "165/LĐLĐ".into(),
                    title: "V/v triển khai kế hoạch".into(),
                    deadline: "để biết".into(),
                    reported: 2,
                    total: 3,
                    late: vec![],
                    overdue: vec![],
                    pending: vec![],
                    for_information: true,
                    not_informed: vec!["Đơn vị D".into()],
                },
            ],
            review_count: 2,
            failing: vec![FailingVars {
                unit: "Đơn vị B".into(),
                address: "b@example.vn".into(),
                reason: "550 5.1.1".into(),
            }],
            calendar_warning: Some("chưa có lịch năm sau".into()),
            service_warning: Some("máy chủ thư từ chối đăng nhập".into()),
            escalated: vec![EscalatedVars {
                token: "BC-1".into(),
                unit: "Đơn vị B".into(),
                to: "UBND huyện B".into(),
                how: "đồng gửi".into(),
            }],
            not_escalated: vec![NotEscalatedVars {
                token: "BC-1".into(),
                unit: "Đơn vị E".into(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::letters::{TemplateKind, Templates};

    #[test]
    fn titles_read_after_ve_viec_and_kinds_come_from_the_number() {
        assert_eq!(
            after_ve_viec("Triển khai Kế hoạch hiến máu"),
            "triển khai Kế hoạch hiến máu"
        );
        assert_eq!(after_ve_viec("UBND tỉnh giao nhiệm vụ"), "UBND tỉnh giao nhiệm vụ");
        assert_eq!(crate::domain::model::document_kind("4189/KH-BCĐ"), "Kế hoạch");
        assert_eq!(crate::domain::model::document_kind("12/QĐ-UBND"), "Quyết định");
        assert_eq!(crate::domain::model::document_kind("76/TB-SGDĐT"), "Thông báo");
        assert_eq!(crate::domain::model::document_kind("165/LĐLĐ"), "Công văn");
        assert_eq!(crate::domain::model::document_kind("1234/SGDĐT-VP"), "Công văn");
        assert_eq!(crate::domain::model::document_kind("KH"), "Công văn");
        assert_eq!(crate::domain::model::document_kind("12/2024/QĐ-UBND"), "Quyết định");
        assert_eq!(crate::domain::model::document_kind("4189/kh-bcđ"), "Kế hoạch");
        assert_eq!(crate::domain::model::document_kind("5/TTr-UBND"), "Tờ trình");
        assert_eq!(after_ve_viec("V/v triển khai kế hoạch"), "triển khai kế hoạch");
        assert_eq!(after_ve_viec("Về việc Báo cáo số liệu"), "báo cáo số liệu");
    }

    /// Request BC-7, active, due at `deadline`, written as `wording`.
    fn request_due(deadline: DateTime<Utc>, wording: Option<String>) -> Request {
        Request {
            id: crate::domain::model::RequestId::new(7),
            code: crate::domain::model::RequestCode::parse("4189/KH-BCĐ").unwrap(),
            year: 2023,
            token: "BC-7".into(),
            title: "Báo cáo kết quả".into(),
            issued_on: None,
            deadline: Some(deadline),
            deadline_wording: wording,
            letter: crate::domain::model::LetterFields::default(),
            recipients: crate::domain::model::Recipients::default(),
            remind_before: crate::domain::model::Offsets::parse("1d").unwrap(),
            overdue_after: crate::domain::model::Offsets::parse("1d").unwrap(),
            attachment_required: true,
            state: crate::domain::model::RequestState::Active,
            created_at: deadline,
            period: None,
            escalation: None,
        }
    }

    #[test]
    fn units_read_the_deadline_as_the_directive_wrote_it_unless_granted_a_later_one() {
        let templates = Templates::built_in().unwrap();
        let zone = chrono_tz::Asia::Ho_Chi_Minh;
        let parsed = crate::domain::dates::parse_deadline("Trước ngày 31/12/2023.", zone).unwrap();
        let sample = UnitMessage::sample();
        let request = request_due(
            parsed.instant,
            crate::domain::dates::deadline_wording("Trước  ngày 31/12/2023."),
        );
        let at = parsed.instant - chrono::Duration::days(3);
        let vars = |deadline| {
            UnitMessage::new(
                sample.office.clone(),
                sample.unit.clone(),
                &request,
                Some(deadline),
                SlotKind::Notice,
                at,
                zone,
            )
        };
        let notice = templates
            .render_unit_message(TemplateKind::Notice, &vars(parsed.instant))
            .unwrap();
        assert!(
            notice.text.contains("Hạn báo cáo: trước ngày 31/12/2023"),
            "{}",
            notice.text
        );
        assert!(
            notice.subject.contains("(hạn trước ngày 31/12/2023)"),
            "{}",
            notice.subject
        );
        assert!(!notice.text.contains("30/12/2023 lúc 23:59"), "{}", notice.text);
        let later = crate::domain::dates::parse_deadline("17:00 ngày 10/01/2024", zone)
            .unwrap()
            .instant;
        let extended = templates
            .render_unit_message(TemplateKind::Notice, &vars(later))
            .unwrap();
        assert!(
            extended.text.contains("Hạn báo cáo: 10/01/2024 lúc 17:00"),
            "{}",
            extended.text
        );
    }

    #[test]
    fn the_receipt_says_what_was_received_and_whether_it_was_late() {
        let templates = Templates::built_in().unwrap();
        let zone = chrono_tz::Asia::Ho_Chi_Minh;
        let at = |text: &str| crate::domain::dates::parse_deadline(text, zone).unwrap().instant;
        let sample = UnitMessage::sample();
        let request = request_due(at("17:00 ngày 29/12/2023"), None);
        let vars = |received: &str, resubmission| {
            ReceiptVars::new(
                sample.office.clone(),
                sample.unit.clone(),
                &request,
                at("17:00 ngày 29/12/2023"),
                at(received),
                resubmission,
                vec!["Báo cáo 6 tháng.pdf".into()],
                "RE: nhắc báo cáo",
                zone,
            )
        };
        let on_time = templates.render_receipt(&vars("09:15 ngày 28/12/2023", false)).unwrap();
        assert!(
            on_time
                .subject
                .starts_with(&format!("[{}] Đã nhận báo cáo", request.token)),
            "{}",
            on_time.subject
        );
        assert!(
            on_time.text.contains("Thời điểm nhận: 28/12/2023 lúc 09:15, trong hạn"),
            "{}",
            on_time.text
        );
        assert!(on_time.text.contains("  - Báo cáo 6 tháng.pdf"), "{}", on_time.text);
        let late = templates.render_receipt(&vars("08:00 ngày 31/12/2023", true)).unwrap();
        assert!(late.subject.contains("báo cáo bổ sung"), "{}", late.subject);
        assert!(
            late.text.contains("sau hạn 29/12/2023 lúc 17:00 (trễ 1 ngày)"),
            "{}",
            late.text
        );
    }

    #[test]
    fn time_left_and_late_count_calendar_days_then_hours() {
        let zone = chrono_tz::Asia::Ho_Chi_Minh;
        let at = |text: &str| crate::domain::dates::parse_deadline(text, zone).unwrap().instant;
        let deadline = at("17:00 ngày 17/1/2025");
        assert_eq!(
            distance(at("07:30 ngày 15/1/2025"), deadline, zone),
            (2, "2 ngày".into())
        );
        assert_eq!(
            distance(at("07:30 ngày 17/1/2025"), deadline, zone),
            (0, "10 giờ".into())
        );
        assert_eq!(
            distance(at("16:20 ngày 17/1/2025"), deadline, zone),
            (0, "40 phút".into())
        );
        assert_eq!(distance(at("17:30 ngày 17/1/2025"), deadline, zone), (0, String::new()));
        // Lateness is never rounded up: Friday 17:00 → Monday 07:30 is 2 days and 14.5 hours.
        assert_eq!(late_by(deadline, at("07:30 ngày 20/1/2025")), (2, "2 ngày".into()));
        let end_of_day = at("đến hết ngày 17/1/2025");
        assert_eq!(late_by(end_of_day, at("07:30 ngày 18/1/2025")), (0, "7 giờ".into()));
        assert_eq!(late_by(deadline, at("17:00 ngày 17/1/2025")), (0, String::new()));
        assert_eq!(
            late_by(deadline, deadline + chrono::Duration::seconds(20)),
            (0, "20 giây".into())
        );
    }
}
