use super::*;
use crate::domain::incoming::message::{Attachment, AuthResults, Bounce, BounceRecipient};
use crate::domain::model::{IncomingId, RequestId, UnitId};
use chrono::{DateTime, TimeZone, Utc};

const UNIT_A: UnitId = UnitId::new(1);
const UNIT_B: UnitId = UnitId::new(2);
const REQ_1: RequestId = RequestId::new(10);
const REQ_2: RequestId = RequestId::new(20);

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
        (o.state(), o.reason(), o.rule().as_str()),
        (State::Counted, Reason::Report, "only_open_request")
    );
    assert_eq!(
        (o.unit_id(), o.request_id(), o.late()),
        (Some(UNIT_B), Some(REQ_1), Some(false))
    );
    assert_eq!(run(&l, &ctx(21)).late(), Some(true));
}

#[test]
fn a_code_in_the_subject_picks_the_request_whatever_its_spelling() {
    let mut l = letter("a@donvi.vn", "TL: bao cao 4189 / kh-bcd", "gửi kèm");
    l.attachments.push(pdf());
    let o = run(&l, &ctx(5));
    assert_eq!((o.request_id(), o.rule().as_str()), (Some(REQ_1), "subject_code"));
    let l = letter("a@donvi.vn", "Báo cáo", "Đơn vị gửi báo cáo.");
    let o = run(&l, &ctx(5));
    assert_eq!((o.state(), o.reason()), (State::Review, Reason::AmbiguousRequest));
    assert_eq!(o.candidates(), vec![REQ_1, REQ_2]);
}

#[test]
fn a_thread_never_overrides_the_sender() {
    let c = ctx_with_sent(5);
    let mut l = letter("b@donvi.vn", "RE: nhắc", "Gửi báo cáo");
    l.in_reply_to = vec!["m1@so.vn".into()];
    let o = run(&l, &c);
    assert_eq!(
        (o.unit_id(), o.request_id(), o.rule().as_str()),
        (Some(UNIT_B), Some(REQ_1), "thread")
    );
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
    assert_eq!(counted.state(), State::Counted, "before the office's files are known");
    s.our_files.insert("our-directive".into());
    let o = classify(&l, &s, &Rules::default(), &ctx(5));
    assert_eq!(
        (o.state(), o.reason()),
        (State::Review, Reason::MissingAttachment),
        "{o:?}"
    );
    // With the unit's own report beside it, the report counts.
    l.attachments.push(pdf());
    assert_eq!(classify(&l, &s, &Rules::default(), &ctx(5)).state(), State::Counted);
}

#[test]
fn required_attachment_and_not_a_report() {
    let l = letter("a@donvi.vn", "[BC-2] báo cáo", "gửi báo cáo ạ");
    let o = run(&l, &ctx(5));
    assert_eq!((o.state(), o.reason()), (State::Review, Reason::MissingAttachment));
    let l = letter("b@donvi.vn", "RE: [BC-1]", "Đơn vị đã nhận được, sẽ gửi sau ạ.");
    assert_eq!(run(&l, &ctx(5)).reason(), Reason::NotAReport);
    let l = letter(
        "b@donvi.vn",
        "RE: [BC-1]",
        "Đơn vị xin gia hạn đến 25/12 vì chưa đủ số liệu.",
    );
    assert_eq!(run(&l, &ctx(5)).rule().as_str(), "more_time");
    let l = letter(
        "b@donvi.vn",
        "RE: [BC-1]",
        "Báo cáo mẫu số 2 gửi theo hướng dẫn thế nào ạ?",
    );
    assert_eq!(run(&l, &ctx(5)).rule().as_str(), "question");
}

// Issue 12, item 4: a From with mailboxes of two units is nobody's until a person says.
#[test]
fn a_from_with_mailboxes_of_two_units_is_an_unknown_sender() {
    let mut l = letter("a@donvi.vn", "Báo cáo [BC-1]", "Hai đơn vị gửi báo cáo chung.");
    l.from_addresses = vec!["a@donvi.vn".into(), "b@donvi.vn".into()];
    let o = run(&l, &ctx(5));
    assert_eq!(
        (o.state(), o.reason(), o.rule().as_str()),
        (State::Review, Reason::UnknownSender, "several_units")
    );
    assert_eq!((o.unit_id(), o.request_id()), (None, Some(REQ_1)));
    assert_eq!(o.suggested_units(), vec![UNIT_A, UNIT_B]);
    assert_eq!(o.suggested_unit(), Some(UNIT_A));
    assert_eq!(o.candidates(), vec![REQ_1]);
    assert!(
        o.detail().contains("a (a@donvi.vn)") && o.detail().contains("b (b@donvi.vn)"),
        "{}",
        o.detail()
    );
    // The order of the mailboxes does not matter, nor does a thread of one of them.
    let mut c = ctx_with_sent(5);
    l.from_addresses.reverse();
    l.in_reply_to = vec!["m1@so.vn".into()];
    let o = run(&l, &c);
    assert_eq!((o.reason(), o.unit_id()), (Reason::UnknownSender, None));
    assert_eq!(o.suggested_unit(), Some(UNIT_A), "the thread's unit is suggested first");
    // Without a code or thread, the candidates are the requests either unit must answer.
    c.sent.clear();
    l.in_reply_to.clear();
    l.subject = "Báo cáo".into();
    assert_eq!(run(&l, &c).candidates(), vec![REQ_1, REQ_2]);
}

#[test]
fn a_from_with_two_addresses_of_one_unit_is_that_unit() {
    let mut s = snapshot();
    s.units_by_address.insert("a.canhan@gmail.com".into(), vec![UNIT_A]);
    let mut l = letter("a@donvi.vn", "Báo cáo [BC-1]", "Đơn vị gửi báo cáo.");
    l.from_addresses = vec!["a.canhan@gmail.com".into(), "a@donvi.vn".into()];
    let o = classify(&l, &s, &Rules::default(), &ctx(5));
    assert_eq!(
        (o.state(), o.unit_id(), o.request_id()),
        (State::Counted, Some(UNIT_A), Some(REQ_1))
    );
    // A co-author nobody registered changes nothing.
    l.from_addresses.push("khach@example.com".into());
    let o = classify(&l, &s, &Rules::default(), &ctx(5));
    assert_eq!((o.state(), o.unit_id()), (State::Counted, Some(UNIT_A)));
}

// Issue 12, item 6: quoting another unit's request offers the unit's own requests too.
#[test]
fn a_code_of_a_request_not_addressed_to_the_unit_offers_the_units_own_requests_too() {
    // Unit B must answer REQ_1 only; it quotes REQ_2's code.
    let l = letter("b@donvi.vn", "Báo cáo 165/LĐLĐ", "Đơn vị gửi báo cáo.");
    let o = run(&l, &ctx(5));
    assert_eq!(
        (o.state(), o.reason(), o.rule().as_str()),
        (State::Review, Reason::AmbiguousRequest, "closed_request")
    );
    assert_eq!(o.candidates(), vec![REQ_1, REQ_2]);
    assert!(
        o.detail().contains("165/LĐLĐ") && o.detail().contains("4189/KH-BCĐ"),
        "{}",
        o.detail()
    );
    // A closed request quoted by a unit with nothing open: that request alone.
    let mut s = snapshot();
    s.open_for_unit.insert(UNIT_B, vec![]);
    if let Some(r) = s.requests.get_mut(&REQ_1) {
        r.active = false;
    }
    let l = letter("b@donvi.vn", "Báo cáo 4189/KH-BCĐ", "Đơn vị gửi báo cáo.");
    let o = classify(&l, &s, &Rules::default(), &ctx(5));
    assert_eq!(
        (o.rule().as_str(), o.candidates().to_vec()),
        ("closed_request", vec![REQ_1])
    );
}

#[test]
fn unknown_sender_gets_a_suggested_unit_from_the_thread() {
    let c = ctx_with_sent(5);
    let mut l = letter("canhan@gmail.com", "RE: nhắc", "gửi báo cáo");
    l.references = vec!["m1@so.vn".into()];
    let o = run(&l, &c);
    assert_eq!((o.state(), o.reason()), (State::Review, Reason::UnknownSender));
    assert_eq!((o.suggested_unit(), o.request_id()), (Some(UNIT_A), Some(REQ_1)));
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
    let rule = |text: &str| not_a_report(text, &phrases).map(|(rule, _)| rule.as_str());
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
        not_a_report("Đơn vị xin được khất đến tuần sau.", &custom).map(|(r, _)| r.as_str()),
        Some("more_time")
    );
    assert_eq!(
        not_a_report("Đơn vị xin được khất đến tuần sau.", &phrases).map(|(r, _)| r.as_str()),
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
    assert_eq!((o.reason(), o.unit_id()), (Reason::Bounce, Some(UNIT_A)));
    assert_eq!(o.failing().map(|f| f.address.as_str()), Some("a@donvi.vn"));
    if let Some(b) = l.bounce.as_mut() {
        b.recipients[0].action = "delayed".into();
        b.recipients[0].status = Some("4.4.1".into());
    }
    let o = run(&l, &c);
    assert_eq!(
        (o.reason(), o.rule().as_str(), o.failing()),
        (Reason::Bounce, "delayed", None)
    );
}

#[test]
fn automatic_mail_and_the_e_office_exception() {
    let mut l = letter("a@donvi.vn", "Trả lời tự động: Nhắc báo cáo", "Tôi vắng mặt");
    assert_eq!(run(&l, &ctx(5)).reason(), Reason::AutoReply);
    l.subject = "[BC-2] Văn bản điện tử".into();
    l.auto.auto_submitted = Some("auto-generated".into());
    assert_eq!(run(&l, &ctx(5)).reason(), Reason::AutoReply);
    l.attachments.push(pdf());
    assert_eq!(run(&l, &ctx(5)).state(), State::Counted);
    l.from = Some("noreply@eoffice.vn".into());
    assert_eq!(run(&l, &ctx(5)).reason(), Reason::AutoReply);
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
    assert_eq!(classify(&l, &snapshot(), &rules, &ctx(5)).reason(), Reason::AuthFailed);
    assert_eq!(
        classify(&l, &snapshot(), &Rules::default(), &ctx(5)).reason(),
        Reason::Report
    );
}

#[test]
fn duplicates_own_messages_and_resubmissions() {
    let l = letter("b@donvi.vn", "Báo cáo", "gửi báo cáo");
    let mut c = ctx(5);
    c.duplicate_of = Some(IncomingId::new(7));
    assert_eq!(run(&l, &c).reason(), Reason::Duplicate);
    let own = letter("vanphong@so.vn", "Nhắc", "x");
    assert_eq!(run(&own, &ctx(5)).reason(), Reason::OwnMessage);
    let mut s = snapshot();
    s.note_counted(REQ_1, UNIT_B);
    assert_eq!(
        classify(&l, &s, &Rules::default(), &ctx(5)).reason(),
        Reason::Resubmission
    );
}
