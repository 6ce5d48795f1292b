//! Property tests of the parsers that take outside input: a message (`intake::message::read`
//! then `classify`), a deadline as a clerk types it, a directive's text (`directive::propose`)
//! and the configuration file. Inputs are
//! random bytes, mutated fixture messages and messages assembled from tricky parts. Each run
//! tries `PROPTEST_CASES` cases (256 by default, as in CI); for a longer hunt:
//!
//!   PROPTEST_CASES=100000 cargo test --test it properties

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::OnceLock;

use baocao::domain::incoming::classify::{self, Context, RequestFacts, SentRef};
use baocao::domain::incoming::message::{self, MAX_IDS, THREAD_TAIL};
use baocao::domain::incoming::{Reason, Rules, Snapshot, State};
use baocao::domain::model::{RequestId, UnitId};
use chrono::{Datelike, NaiveDate, TimeZone, Timelike, Utc};
use proptest::prelude::*;

use crate::harness::repo_root;

fn fixtures() -> &'static Vec<Vec<u8>> {
    static FIXTURES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = repo_root().join("tests/fixtures/intake");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files.into_iter().map(|p| std::fs::read(p).unwrap()).collect()
    })
}

/// One edit of a message: overwrite, insert or cut a run of bytes at a relative position.
#[derive(Debug, Clone)]
enum Edit {
    Overwrite(f64, Vec<u8>),
    Insert(f64, Vec<u8>),
    Cut(f64, usize),
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for edit in edits {
        let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
        match edit {
            Edit::Overwrite(f, run) => {
                let start = at(*f, bytes.len());
                for (i, b) in run.iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(start + i) {
                        *slot = *b;
                    }
                }
            }
            Edit::Insert(f, run) => {
                let start = at(*f, bytes.len());
                bytes.splice(start..start, run.iter().copied());
            }
            Edit::Cut(f, n) => {
                let start = at(*f, bytes.len());
                let end = (start + n).min(bytes.len());
                bytes.drain(start..end);
            }
        }
    }
    bytes
}

/// Byte runs that mean something to a MIME parser.
fn tricky_run() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..24),
        Just(b"\r\n".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"--".to_vec()),
        Just(b"=?utf-8?b?".to_vec()),
        Just(b"=?windows-1258?q?=E1=BB".to_vec()),
        Just(b"?=".to_vec()),
        Just(b"; filename*0*=utf-8''%E1%BB".to_vec()),
        Just(b"; boundary=\"".to_vec()),
        Just(b"Content-Type: multipart/mixed; boundary=x\r\n".to_vec()),
        Just(b"Content-Transfer-Encoding: base64\r\n".to_vec()),
        Just(b"References: <a@b> <c@d> <a@b>\r\n".to_vec()),
        Just(b"From: a@b.vn, c@d.vn\r\n".to_vec()),
        Just(b"<".to_vec()),
        Just(b"\xff\xfe\xe1\xbb".to_vec()),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0.0..1.0f64, tricky_run()).prop_map(|(f, r)| Edit::Overwrite(f, r)),
        (0.0..1.0f64, tricky_run()).prop_map(|(f, r)| Edit::Insert(f, r)),
        (0.0..1.0f64, 0usize..200).prop_map(|(f, n)| Edit::Cut(f, n)),
    ]
}

/// A message assembled from parts: headers from a list of awkward forms, then a body that
/// may be nested multipart.
fn assembled() -> impl Strategy<Value = Vec<u8>> {
    let header = prop_oneof![
        Just("From: Phòng GD&ĐT <pgddt.tuachua@dienbien.edu.vn>".to_string()),
        Just("From: =?utf-8?b?UGjDsm5n?= <pgd.muongcha@dienbien.edu.vn>, x@y.vn".to_string()),
        Just("From: <>".to_string()),
        Just("Subject: =?utf-8?q?B=C3=A1o_c=C3=A1o?= [BC-1] 4189/KH-BCĐ".to_string()),
        Just("Subject: Re: FW: TL: Báo cáo".to_string()),
        Just("Auto-Submitted: auto-replied".to_string()),
        Just("Precedence: bulk".to_string()),
        Just("In-Reply-To: <baocao.bc-1.1.abc@moet.edu.vn>".to_string()),
        Just("Authentication-Results: mx.moet.edu.vn; dmarc=fail".to_string()),
        "[ -~]{0,80}".prop_map(|v| format!("X-Noise: {v}")),
        proptest::collection::vec("[a-z0-9]{1,8}", 0..40).prop_map(|ids| format!(
            "References: {}",
            ids.iter().map(|i| format!("<{i}@x>")).collect::<Vec<_>>().join(" ")
        )),
    ];
    let leaf = prop_oneof![
        Just("Content-Type: text/plain; charset=utf-8\r\n\r\nKính gửi Sở, đơn vị gửi báo cáo.\r\n".to_string()),
        Just("Content-Type: text/plain; charset=windows-1258\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C0=E1 b=E1o c=E1o=\r\n".to_string()),
        Just("Content-Type: application/pdf; name=\"Báo cáo số 215/BC-PGDĐT.pdf\"\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x!!!\r\n".to_string()),
        Just("Content-Type: text/html\r\n\r\n<div><p>đã nhận<br>xin gia hạn</p>".to_string()),
        Just("Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; a@b\r\nAction: failed\r\nStatus: 5.1.1\r\n".to_string()),
        "[ -~\r\n]{0,200}".prop_map(|t| format!("Content-Type: text/plain\r\n\r\n{t}")),
    ];
    let body = leaf.prop_recursive(4, 16, 4, |inner| {
        proptest::collection::vec(inner, 0..4).prop_map(|parts| {
            let mut out = String::from("Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n");
            for part in parts {
                out.push_str("--zz\r\n");
                out.push_str(&part);
                out.push_str("\r\n");
            }
            out.push_str("--zz--\r\n");
            out
        })
    });
    (proptest::collection::vec(header, 0..8), body).prop_map(|(headers, body)| {
        let mut out = headers.join("\r\n");
        out.push_str("\r\nMIME-Version: 1.0\r\n");
        out.push_str(&body);
        out.into_bytes()
    })
}

fn any_message() -> impl Strategy<Value = Vec<u8>> {
    let count = fixtures().len();
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        (0..count, proptest::collection::vec(edit(), 0..8)).prop_map(|(i, edits)| apply(fixtures()[i].clone(), &edits)),
        (assembled(), proptest::collection::vec(edit(), 0..3)).prop_map(|(m, edits)| apply(m, &edits)),
    ]
}

/// Two units, two open requests (one needs an attachment), one closed.
fn registry() -> Snapshot {
    let deadline = Utc.with_ymd_and_hms(2030, 12, 30, 10, 0, 0).unwrap();
    let mut snapshot = Snapshot {
        office_mailbox: "vanphong.sodienbien@moet.edu.vn".into(),
        ..Snapshot::default()
    };
    for (id, address, code) in [
        (1, "pgddt.tuachua@dienbien.edu.vn", "pgd-tuachua"),
        (2, "pgd.muongcha@dienbien.edu.vn", "pgd-muongcha"),
    ] {
        let id = UnitId::new(id);
        snapshot.units_by_address.insert(address.into(), vec![id]);
        snapshot.unit_codes.insert(id, code.into());
    }
    snapshot.requests.insert(
        RequestId::new(1),
        RequestFacts::new(RequestId::new(1), "4189/KH-BCĐ", "BC-1", deadline, true, true),
    );
    snapshot.requests.insert(
        RequestId::new(2),
        RequestFacts::new(RequestId::new(2), "215/BC-PGDĐT", "BC-2", deadline, false, true),
    );
    snapshot.requests.insert(
        RequestId::new(3),
        RequestFacts::new(RequestId::new(3), "12/CV-SGD", "BC-3", deadline, false, false),
    );
    snapshot
        .open_for_unit
        .insert(UnitId::new(1), vec![RequestId::new(1), RequestId::new(2)]);
    snapshot.open_for_unit.insert(UnitId::new(2), vec![RequestId::new(2)]);
    snapshot.reported.insert((RequestId::new(2), UnitId::new(2)));
    snapshot
}

/// Pieces of directives and of broken extraction, inserted anywhere.
fn directive_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Số:".to_string()),
        Just("\nSố: 12 /UBND-VP   ".to_string()),
        Just("\nKính gửi:".to_string()),
        Just("\n- ".to_string()),
        Just("V/v ".to_string()),
        Just(", ngày ".to_string()),
        Just(" tháng ".to_string()),
        Just(" năm 2024".to_string()),
        Just(" trước ngày 31/12/2023".to_string()),
        Just(" báo cáo ".to_string()),
        Just("chậm nhất 17h00 ngày".to_string()),
        Just("\u{c}".to_string()),
        Just("\t".to_string()),
        Just("\r\n".to_string()),
        Just("a\u{301}\u{323}".to_string()),
        Just("@".to_string()),
        Just("x@y.vn).".to_string()),
        Just(";".to_string()),
        Just("./.".to_string()),
        Just("ĐĐ".to_string()),
        "\\PC{0,12}",
    ]
}

fn config() -> ProptestConfig {
    // PROPTEST_CASES overrides the count; no failure files are written into the tree.
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_message_is_read_into_a_clean_bounded_letter_and_ends_in_one_coherent_state(
        raw in any_message(),
        received_hours in 0i64..24 * 365 * 10,
        refer in any::<bool>(),
    ) {
        let Ok(letter) = message::read(&raw) else {
            // Unreadable: the pipeline sends it to review; nothing more to check here.
            return Ok(());
        };
        prop_assert_eq!(letter.size, raw.len());
        prop_assert_eq!(&letter.content_hash, &message::content_hash(&raw));
        prop_assert!(letter.subject.chars().all(|c| !c.is_control()));
        prop_assert!(letter.subject.chars().count() <= 1000);
        if let Some(from) = &letter.from {
            prop_assert!(!from.is_empty() && from.chars().all(|c| !c.is_control() && !c.is_whitespace()));
            prop_assert_eq!(from, &from.to_lowercase());
        }
        prop_assert!(letter.references.len() <= MAX_IDS && letter.in_reply_to.len() <= MAX_IDS);
        let ids = letter.thread_ids();
        prop_assert!(ids.len() <= MAX_IDS + THREAD_TAIL);
        prop_assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
        for attachment in &letter.attachments {
            prop_assert!(attachment.name.chars().all(|c| !c.is_control()), "{:?}", attachment.name);
        }

        let snapshot = registry();
        let mut sent = HashMap::new();
        if refer {
            for id in &ids {
                sent.insert(id.clone(), SentRef { request_id: Some(RequestId::new(1)), unit_id: Some(UnitId::new(1)), to_address: "pgddt.tuachua@dienbien.edu.vn".into() });
            }
        }
        let context = Context {
            received_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(received_hours),
            duplicate_of: None,
            sent,
        };
        let rules = Rules { trusted_authserv_ids: vec!["mx.moet.edu.vn".into()], ..Rules::default() };
        let outcome = classify::classify(&letter, &snapshot, &rules, &context);
        prop_assert_eq!(&outcome, &classify::classify(&letter, &snapshot, &rules, &context), "deterministic");
        prop_assert!(!outcome.detail().is_empty());
        match outcome.state() {
            State::Counted => {
                prop_assert!(matches!(outcome.reason(), Reason::Report | Reason::Resubmission), "{:?}", outcome);
                let (unit, request) = (outcome.unit_id().unwrap(), outcome.request_id().unwrap());
                prop_assert!(snapshot.open_for_unit[&unit].contains(&request), "{:?}", outcome);
                prop_assert!(outcome.late().is_some());
                if snapshot.requests[&request].attachment_required {
                    prop_assert!(letter.has_report_attachment(), "{:?}", outcome);
                }
            }
            State::Ignored => prop_assert!(
                matches!(outcome.reason(), Reason::Duplicate | Reason::AutoReply | Reason::Bounce | Reason::OwnMessage | Reason::Unrelated),
                "{:?}", outcome
            ),
            State::Review => prop_assert!(
                !matches!(outcome.reason(), Reason::Duplicate | Reason::AutoReply | Reason::Bounce | Reason::OwnMessage | Reason::Unrelated | Reason::Resubmission),
                "{:?}", outcome
            ),
        }
    }

    #[test]
    fn any_text_as_a_deadline_is_read_or_refused_without_panic(text in "\\PC{0,40}") {
        let _ = baocao::domain::dates::parse_deadline(&text, chrono_tz::Asia::Ho_Chi_Minh);
    }

    #[test]
    fn a_deadline_written_as_directives_write_it_is_read_to_the_right_instant(
        day in 1u32..=31, month in 1u32..=12, year in 2000i32..2100, hour in 0u32..24, minute in 0u32..60, form in 0usize..5,
    ) {
        let Some(date) = NaiveDate::from_ymd_opt(year, month, day) else { return Ok(()) };
        let written = format!("{day:02}/{month:02}/{year}");
        let (text, expect_date, expect_time) = match form {
            0 => (written.clone(), date, (23, 59)),
            1 => (format!("đến hết ngày {written}"), date, (23, 59)),
            2 => (format!("trước ngày {written}"), date.pred_opt().unwrap(), (23, 59)),
            3 => (format!("{hour}h{minute:02} ngày {written}"), date, (hour, minute)),
            _ => (format!("{written} {hour:02}:{minute:02}"), date, (hour, minute)),
        };
        let zone = chrono_tz::Asia::Ho_Chi_Minh;
        let parsed = baocao::domain::dates::parse_deadline(&text, zone).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let local = parsed.instant.with_timezone(&zone);
        prop_assert_eq!(local.date_naive(), expect_date, "{}", text);
        prop_assert_eq!((local.hour(), local.minute()), expect_time, "{}", text);
        prop_assert_eq!(local.year(), expect_date.year());
    }

    #[test]
    fn any_directive_text_gives_a_proposal_whose_sources_are_lines_of_the_text(
        seed in 0usize..2,
        inserts in proptest::collection::vec((0.0f64..1.0, directive_fragment()), 0..12),
        noise in "\\PC{0,80}",
    ) {
        let seeds = [
            include_str!("../fixtures/directives/seeds/000_f994f167548f7438.txt"),
            include_str!("../fixtures/directives/seeds/003_beb9a2b09faed6c3.txt"),
        ];
        let mut text = seeds[seed].to_string();
        for (at, fragment) in &inserts {
            let chars: Vec<(usize, char)> = text.char_indices().collect();
            let index = chars.get((at * chars.len() as f64) as usize).map_or(text.len(), |c| c.0);
            text.insert_str(index, fragment);
        }
        text.push_str(&noise);
        let setting = baocao::domain::directive::Setting { zone: chrono_tz::Asia::Ho_Chi_Minh, report_mailbox: None };
        let proposal = baocao::domain::directive::propose(&text, &Default::default(), &setting);
        let lines = text.split('\n').count();
        for row in proposal.rows(setting.zone) {
            if let Some(source) = &row.source {
                prop_assert!(source.lines.iter().all(|&l| (1..=lines).contains(&l)), "{:?}", row);
            }
            prop_assert!(row.value.is_some() || row.missing.is_some() || row.field == baocao::domain::directive::Field::Mailbox, "{:?}", row);
        }
        if let Some(issued) = &proposal.issued && issued.value.date.is_some() {
            prop_assert!(issued.value.day.is_some() && issued.value.month.is_some() && issued.value.year.is_some());
        }
    }

    #[test]
    fn any_text_as_a_configuration_is_loaded_or_refused_with_problems(text in "\\PC{0,300}") {
        if let Err(error) = baocao::adapters::config::parse(&text, Path::new("baocao.toml")) {
            let shown = error.to_string();
            prop_assert!(!shown.is_empty());
        }
    }

    #[test]
    fn an_out_of_range_number_is_refused_by_its_key(size in any::<i64>(), budget in -1.0e6f64..1.0e6) {
        let text = format!(
            "[office]\nname = \"Sở\"\nreport-mailbox = \"vanphong@so.vn\"\n[intake]\nmax-message-size-mb = {size}\nmessage-time-budget-seconds = {budget:?}\n"
        );
        let fine = (1..=500).contains(&size) && (0.01..=600.0).contains(&budget);
        match baocao::adapters::config::parse(&text, Path::new("baocao.toml")) {
            Ok(_) => prop_assert!(fine, "{}", text),
            Err(error) => {
                prop_assert!(!fine, "{}: {}", text, error);
                let problems = format!("{:?}", error.problems);
                prop_assert!(problems.contains("max-message-size-mb") || problems.contains("message-time-budget-seconds"), "{}", problems);
            }
        }
    }
}
