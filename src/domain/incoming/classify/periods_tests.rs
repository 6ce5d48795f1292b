//! Rule 4 for the instances of a monthly series: October and November 2026 are open for
//! unit A, beside an ordinary request; December has no instance yet.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;

use super::super::*;
use crate::domain::incoming::message::{Attachment, Letter};
use crate::domain::model::{RequestId, UnitId};
use crate::domain::period::{Period, PeriodKind};

const UNIT_A: UnitId = UnitId::new(1);
const OCT: RequestId = RequestId::new(31);
const NOV: RequestId = RequestId::new(32);
const SEP: RequestId = RequestId::new(30);
const OTHER: RequestId = RequestId::new(40);
const SERIES: i64 = 7;

fn local(day: u32, month: u32) -> DateTime<Utc> {
    Ho_Chi_Minh
        .with_ymd_and_hms(2026, month, day, 9, 0, 0)
        .unwrap()
        .to_utc()
}

fn instance(id: RequestId, token: &str, month: u8, deadline: DateTime<Utc>, active: bool) -> RequestFacts {
    let mut facts = RequestFacts::new(id, "12/KH-SGDĐT", token, deadline, false, active);
    facts.period = Some((SERIES, Period::new(PeriodKind::Month, 2026, month).unwrap()));
    facts
}

fn snapshot() -> Snapshot {
    let mut s = Snapshot {
        office_mailbox: "vanphong@so.vn".into(),
        ..Snapshot::default()
    };
    s.units_by_address.insert("a@donvi.vn".into(), vec![UNIT_A]);
    s.unit_codes.insert(UNIT_A, "a".into());
    s.requests.insert(SEP, instance(SEP, "BC-30", 9, local(5, 10), false));
    s.requests.insert(OCT, instance(OCT, "BC-31", 10, local(5, 11), true));
    s.requests.insert(NOV, instance(NOV, "BC-32", 11, local(7, 12), true));
    s.requests.insert(
        OTHER,
        RequestFacts::new(OTHER, "4189/KH-BCĐ", "BC-40", local(31, 12), false, true),
    );
    s.open_for_unit.insert(UNIT_A, vec![OCT, NOV]);
    s
}

fn rules() -> Rules {
    Rules {
        zone: Ho_Chi_Minh,
        ..Rules::default()
    }
}

fn letter(subject: &str, text: &str, files: &[&str]) -> Letter {
    Letter {
        from: Some("a@donvi.vn".into()),
        subject: subject.into(),
        text: text.into(),
        own_text: text.into(),
        attachments: files
            .iter()
            .map(|name| Attachment {
                name: name.to_string(),
                size: 1000,
                sha256: format!("sha-{name}"),
                not_counted: None,
            })
            .collect(),
        ..Letter::default()
    }
}

fn judge(snapshot: &Snapshot, letter: &Letter, received: DateTime<Utc>, thread: Option<RequestId>) -> Outcome {
    let mut context = Context {
        received_at: received,
        ..Context::default()
    };
    if let Some(request) = thread {
        context.sent.insert(
            "m@so.vn".into(),
            SentRef {
                request_id: Some(request),
                unit_id: Some(UNIT_A),
                to_address: "a@donvi.vn".into(),
            },
        );
    }
    let mut letter = letter.clone();
    if thread.is_some() {
        letter.in_reply_to = vec!["m@so.vn".into()];
    }
    classify(&letter, snapshot, &rules(), &context)
}

fn counted(outcome: &Outcome) -> Vec<RequestId> {
    outcome.counted_pairs().into_iter().map(|(r, _)| r).collect()
}

#[test]
fn a_period_named_in_the_subject_picks_its_instance() {
    let s = snapshot();
    for subject in [
        "Báo cáo tháng 11/2026",
        "BC T11",
        "bao cao thang 11 nam 2026",
        "Báo cáo tháng 11",
    ] {
        let o = judge(
            &s,
            &letter(subject, "Gửi báo cáo", &["baocao.xlsx"]),
            local(20, 11),
            None,
        );
        assert_eq!(
            (counted(&o), o.rule()),
            (vec![NOV], Rule::NamedPeriod),
            "{subject}: {o:?}"
        );
    }
}

#[test]
fn the_named_period_wins_over_last_periods_thread_whose_subject_it_repeats() {
    let s = snapshot();
    // The unit answers October's letter to send November's report.
    let l = letter(
        "Re: [BC-31] Báo cáo công tác tháng 10/2026",
        "Gửi báo cáo",
        &["BC_T11_2026.xlsx"],
    );
    let o = judge(&s, &l, local(20, 11), Some(OCT));
    assert_eq!((counted(&o), o.rule()), (vec![NOV], Rule::NamedPeriod), "{o:?}");
    // Without a period of its own, the thread decides.
    let l = letter(
        "Re: [BC-31] Báo cáo công tác tháng 10/2026",
        "Gửi báo cáo",
        &["baocao.xlsx"],
    );
    let o = judge(&s, &l, local(20, 11), Some(OCT));
    assert_eq!((counted(&o), o.rule()), (vec![OCT], Rule::Thread));
    // The thread of a closed period, no period named: the oldest open one not reported.
    let l = letter(
        "Re: [BC-30] Báo cáo công tác tháng 9/2026",
        "Gửi báo cáo",
        &["baocao.xlsx"],
    );
    let o = judge(&s, &l, local(20, 11), Some(SEP));
    assert_eq!((counted(&o), o.rule()), (vec![OCT], Rule::OldestOpenPeriod), "{o:?}");
}

#[test]
fn a_subject_and_a_file_naming_different_periods_go_to_review() {
    let s = snapshot();
    let o = judge(&s, &letter("Báo cáo T10", "", &["T11.xlsx"]), local(20, 11), None);
    assert_eq!((o.state(), o.rule()), (State::Review, Rule::PeriodConflict));
    assert!(
        o.detail().contains("Tháng 10/2026") && o.detail().contains("Tháng 11/2026"),
        "{}",
        o.detail()
    );
    assert_eq!(o.candidates(), [OCT, NOV]);
    let o = judge(
        &s,
        &letter("Báo cáo", "Gửi báo cáo tháng 10 và tháng 11", &["bc.xlsx"]),
        local(20, 11),
        None,
    );
    assert_eq!((o.state(), o.rule()), (State::Review, Rule::PeriodConflict));
}

#[test]
fn one_file_per_period_counts_for_each_period() {
    let s = snapshot();
    let o = judge(
        &s,
        &letter("Báo cáo", "", &["BC_T10.xlsx", "BC_T11.xlsx"]),
        local(20, 11),
        None,
    );
    assert_eq!(counted(&o), [OCT, NOV], "{o:?}");
    let Outcome::Counted(c) = &o else { panic!("{o:?}") };
    // October was due 05/11: late; November is on time.
    assert!(c.late);
    assert!(!c.also[0].late);
    assert!(c.detail.contains("2 kỳ"), "{}", c.detail);
    // The subject naming both agrees with the files.
    let o = judge(
        &s,
        &letter("Báo cáo T10, T11", "", &["BC_T10.xlsx", "BC_T11.xlsx"]),
        local(20, 11),
        None,
    );
    assert_eq!(counted(&o), [OCT, NOV]);
}

#[test]
fn a_period_without_a_request_goes_to_review_and_says_why() {
    let s = snapshot();
    let o = judge(
        &s,
        &letter("Báo cáo tháng 12/2026", "", &["bc.xlsx"]),
        local(20, 11),
        None,
    );
    assert_eq!((o.state(), o.rule()), (State::Review, Rule::NoSuchPeriod));
    assert!(o.detail().contains("kỳ Tháng 12/2026 chưa bắt đầu"), "{}", o.detail());
    let o = judge(
        &s,
        &letter("Báo cáo tháng 12/2026", "", &["bc.xlsx"]),
        local(3, 12),
        None,
    );
    assert!(
        o.detail().contains("chưa có yêu cầu báo cáo kỳ Tháng 12/2026"),
        "{}",
        o.detail()
    );
    let o = judge(
        &s,
        &letter("Báo cáo tháng 11/2025", "", &["bc.xlsx"]),
        local(20, 11),
        None,
    );
    assert_eq!(o.rule(), Rule::NoSuchPeriod);
    let o = judge(
        &s,
        &letter("Báo cáo tháng 9/2026", "", &["bc.xlsx"]),
        local(20, 11),
        None,
    );
    assert!(o.detail().contains("kỳ Tháng 9/2026 đã đóng"), "{}", o.detail());
    assert!(o.candidates().contains(&SEP));
}

#[test]
fn without_a_period_the_code_leads_to_the_oldest_open_period_not_reported() {
    let mut s = snapshot();
    let l = letter("Báo cáo theo Kế hoạch 12/KH-SGDĐT", "", &["bc.xlsx"]);
    assert_eq!(counted(&judge(&s, &l, local(20, 11), None)), [OCT]);
    s.note_counted(OCT, UNIT_A);
    let o = judge(&s, &l, local(20, 11), None);
    assert_eq!((counted(&o), o.rule()), (vec![NOV], Rule::OldestOpenPeriod));
    // The token names one instance.
    let o = judge(&s, &letter("[BC-31] bổ sung", "", &["bc.xlsx"]), local(20, 11), None);
    assert_eq!((counted(&o), o.reason()), (vec![OCT], Reason::Resubmission));
}

#[test]
fn a_named_period_picks_the_series_among_other_open_requests() {
    let mut s = snapshot();
    s.open_for_unit.insert(UNIT_A, vec![OCT, NOV, OTHER]);
    let o = judge(&s, &letter("Báo cáo tháng 11", "", &["bc.xlsx"]), local(20, 11), None);
    assert_eq!(counted(&o), [NOV], "{o:?}");
    // Nothing says which: the review queue.
    let o = judge(&s, &letter("Báo cáo", "", &["bc.xlsx"]), local(20, 11), None);
    assert_eq!((o.state(), o.reason()), (State::Review, Reason::AmbiguousRequest));
    // The ordinary request by its code is untouched by periods in the text.
    let o = judge(
        &s,
        &letter("Báo cáo 4189/KH-BCĐ", "số liệu đến tháng 11", &["bc.xlsx"]),
        local(20, 11),
        None,
    );
    assert_eq!(counted(&o), [OTHER]);
}

#[test]
fn a_period_named_only_in_the_text_counts() {
    let s = snapshot();
    let o = judge(
        &s,
        &letter("Báo cáo", "Đơn vị gửi báo cáo tháng 11/2026.", &["bc.xlsx"]),
        local(20, 11),
        None,
    );
    assert_eq!((counted(&o), o.rule()), (vec![NOV], Rule::NamedPeriod));
}

#[test]
fn a_subject_naming_two_periods_with_one_file_goes_to_review() {
    let s = snapshot();
    for (subject, files) in [
        ("Báo cáo tháng 10 và tháng 11", vec!["bc.xlsx"]),
        (
            "Trường THCS Quận 3 (Q3) gửi báo cáo tháng 11, tháng 10",
            vec!["bc.xlsx"],
        ),
    ] {
        let o = judge(&s, &letter(subject, "", &files), local(20, 11), None);
        assert_eq!(
            (o.state(), o.rule()),
            (State::Review, Rule::PeriodConflict),
            "{subject}: {o:?}"
        );
    }
    // One file naming two periods is not one file per period.
    let o = judge(
        &s,
        &letter("Báo cáo", "", &["BC T10 va T11.xlsx", "phu luc.pdf"]),
        local(20, 11),
        None,
    );
    assert_eq!(o.state(), State::Review, "{o:?}");
}

#[test]
fn a_reply_subject_keeps_only_the_periods_the_unit_added() {
    let s = snapshot();
    // In-Reply-To October's letter, the subject adds November: November alone.
    let l = letter(
        "Re: [BC-31] Đề nghị báo cáo tháng 10/2026 - gửi BC tháng 11",
        "",
        &["bc.xlsx"],
    );
    let o = judge(&s, &l, local(20, 11), Some(OCT));
    assert_eq!(counted(&o), [NOV], "{o:?}");
    // Without In-Reply-To, the token in the subject names the letter answered.
    let l = letter("Re: [BC-31] Đề nghị báo cáo tháng 10/2026", "", &["BC T11.xlsx"]);
    let o = judge(&s, &l, local(20, 11), None);
    assert_eq!((counted(&o), o.rule()), (vec![NOV], Rule::NamedPeriod), "{o:?}");
}

#[test]
fn abbreviations_in_running_text_are_not_periods() {
    let s = snapshot();
    // "sáng T2" is Monday morning; the thread decides.
    let l = letter(
        "Re: [BC-31] Đề nghị báo cáo tháng 10/2026",
        "Bản có dấu em gửi sáng T2.",
        &["bc.xlsx"],
    );
    let o = judge(&s, &l, local(20, 11), Some(OCT));
    assert_eq!((counted(&o), o.rule()), (vec![OCT], Rule::Thread), "{o:?}");
    // A form's name is not a period either.
    let l = letter("Re: [BC-31] Đề nghị báo cáo tháng 10/2026", "", &["Bieu mau T1.xlsx"]);
    let o = judge(&s, &l, local(20, 11), Some(OCT));
    assert_eq!(counted(&o), [OCT], "{o:?}");
}

#[test]
fn a_period_without_its_year_is_first_the_open_one() {
    // In January, "tháng 12" is December of the year before, which is open.
    let mut s = snapshot();
    let dec = RequestId::new(33);
    let mut facts = instance(dec, "BC-33", 12, local(5, 12), true);
    facts.deadline = Ho_Chi_Minh.with_ymd_and_hms(2027, 1, 5, 23, 59, 0).unwrap().to_utc();
    s.requests.insert(dec, facts);
    s.open_for_unit.insert(UNIT_A, vec![OCT, NOV, dec]);
    let received = Ho_Chi_Minh.with_ymd_and_hms(2027, 1, 3, 9, 0, 0).unwrap().to_utc();
    let o = judge(&s, &letter("Báo cáo tháng 12", "", &["bc.xlsx"]), received, None);
    assert_eq!(counted(&o), [dec], "{o:?}");
}
