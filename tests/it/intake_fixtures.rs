//! The fixture suite: every `tests/fixtures/intake/*.eml` (made by `make_fixtures.py`)
//! is read and classified against one fixed registry, as stored and with LF and with CRLF
//! line endings, and must give the outcome `expected.toml` names. Also: whatever a message
//! holds, the subject and file names that come out carry no control characters (and the
//! names made for disks no `/` or `\`), and a 10 MB attachment is read whole. No servers:
//! this is the pure part of intake.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use baocao::domain::incoming::classify::{Context, Outcome, RequestFacts, Rules, SentRef, Snapshot, classify};
use baocao::domain::incoming::message::{self, Letter};
use baocao::domain::model::{IncomingId, RequestId, UnitId};
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Expected {
    fixture: Vec<Expect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    file: String,
    state: Option<String>,
    state_any: Option<Vec<String>>,
    reason: Option<String>,
    rule: Option<String>,
    unit: Option<String>,
    request: Option<String>,
    late: Option<bool>,
    attachments: Option<Vec<String>>,
    failing_address: Option<String>,
    suggested_unit: Option<String>,
    candidates: Option<Vec<String>>,
    received_at: Option<DateTime<Utc>>,
}

const OFFICE: &str = "vanphong.sodienbien@moet.edu.vn";

/// The registry every fixture is judged against.
struct Registry {
    snapshot: Snapshot,
    sent: HashMap<String, SentRef>,
    seen: HashSet<String>,
    unit_ids: HashMap<String, UnitId>,
    request_ids: HashMap<String, RequestId>,
}

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().unwrap()
}

fn registry() -> Registry {
    let mut snapshot = Snapshot {
        office_mailbox: OFFICE.into(),
        ..Snapshot::default()
    };
    let units: [(i64, &str, &[&str]); 7] = [
        (
            1,
            "pgd-muongcha",
            &["pgddt.muongcha@dienbien.edu.vn", "muongcha.pgd@gmail.com"],
        ),
        (2, "pgd-tuangiao", &["pgd.tuangiao@dienbien.edu.vn"]),
        (3, "thpt-phandinhgiot", &["c3phandinhgiot@dienbien.edu.vn"]),
        (
            4,
            "gdnn-tuangiao",
            &["ttgdnn.tuangiao@gmail.com", "gdnntuangiao@yahoo.com"],
        ),
        (5, "cdcs-truongmn", &["cdcs.mnhoaban@gmail.com"]),
        (6, "cdcs-ubndxa", &["congdoan.ubndxa@dienbien.gov.vn"]),
        (7, "pgd-dienbiendong", &["pgd.dienbiendong@dienbien.edu.vn"]),
    ];
    let mut unit_ids = HashMap::new();
    for (id, code, addresses) in units {
        let id = UnitId::new(id);
        snapshot.unit_codes.insert(id, code.into());
        unit_ids.insert(code.to_string(), id);
        for address in addresses {
            snapshot.units_by_address.insert(address.to_string(), vec![id]);
        }
    }
    // 17:00 on 31/12/2023 and 29/12/2023 in Hanoi.
    let requests = [
        (
            10,
            "BC-1",
            "4189/KH-BCĐ",
            utc(2023, 12, 31, 10),
            true,
            true,
            vec![1, 2, 3, 4],
        ),
        (
            20,
            "BC-2",
            "165/KH-LĐLĐ",
            utc(2023, 12, 29, 10),
            false,
            true,
            vec![1, 5, 6],
        ),
        (30, "BC-3", "98/BC-SGDĐT", utc(2023, 11, 30, 10), true, false, vec![2]),
    ];
    let mut request_ids = HashMap::new();
    for (id, token, code, deadline, attachment, active, units) in requests {
        let id = RequestId::new(id);
        snapshot
            .requests
            .insert(id, RequestFacts::new(id, code, token, deadline, attachment, active));
        request_ids.insert(token.to_string(), id);
        if active {
            for unit in units {
                snapshot.open_for_unit.entry(UnitId::new(unit)).or_default().push(id);
            }
        }
    }
    snapshot.reported.insert((RequestId::new(10), UnitId::new(3)));
    snapshot.reported.insert((RequestId::new(20), UnitId::new(6)));
    let sent_to = |request: Option<i64>, unit: Option<i64>, to: &str| SentRef {
        request_id: request.map(RequestId::new),
        unit_id: unit.map(UnitId::new),
        to_address: to.into(),
    };
    let sent = HashMap::from([
        (
            "baocao.bc-1.11.4f2a9c@moet.edu.vn".to_string(),
            sent_to(Some(10), Some(1), "pgddt.muongcha@dienbien.edu.vn"),
        ),
        (
            "baocao.bc-1.12.77e1b0@moet.edu.vn".to_string(),
            sent_to(Some(10), Some(2), "pgd.tuangiao@dienbien.edu.vn"),
        ),
        (
            "baocao.bc-1.14.a03d5e@moet.edu.vn".to_string(),
            sent_to(Some(10), Some(4), "ttgdnn.tuangiao@gmail.com"),
        ),
        (
            "baocao.bc-2.21.c4d2f1@moet.edu.vn".to_string(),
            sent_to(Some(20), Some(5), "cdcs.mnhoaban@gmail.com"),
        ),
        (
            "baocao.bc-3.31.9be0aa@moet.edu.vn".to_string(),
            sent_to(Some(30), Some(2), "pgd.tuangiao@dienbien.edu.vn"),
        ),
        (
            "baocao.digest.2023-12-20.1f1f@moet.edu.vn".to_string(),
            sent_to(None, None, OFFICE),
        ),
    ]);
    let seen = HashSet::from([
        "CAF7x9q2@mail.gmail.com".to_string(),
        "000101da3302$aa$bb@dienbien.edu.vn".to_string(),
    ]);
    Registry {
        snapshot,
        sent,
        seen,
        unit_ids,
        request_ids,
    }
}

fn rules() -> Rules {
    Rules {
        trusted_authserv_ids: vec!["mx.moet.edu.vn".into()],
        ..Rules::default()
    }
}

fn fixtures_dir() -> PathBuf {
    crate::harness::repo_root().join("tests/fixtures/intake")
}

/// Exactly what `Intake::judge` does, with the registry instead of a store.
fn judge(registry: &Registry, raw: &[u8], received_at: DateTime<Utc>) -> (Letter, Outcome) {
    let letter = match message::read(raw) {
        Ok(letter) => letter,
        Err(unreadable) => return (Letter::default(), Outcome::unreadable(&unreadable.0)),
    };
    let mut ids = letter.thread_ids();
    ids.extend(letter.message_id.iter().cloned());
    if let Some(bounce) = &letter.bounce {
        ids.extend(bounce.original_ids.iter().cloned());
    }
    let context = Context {
        received_at,
        duplicate_of: letter
            .message_id
            .as_ref()
            .filter(|id| registry.seen.contains(*id))
            .map(|_| IncomingId::new(1)),
        sent: ids
            .iter()
            .filter_map(|id| registry.sent.get(id).map(|s| (id.clone(), s.clone())))
            .collect(),
    };
    let outcome = classify(&letter, &registry.snapshot, &rules(), &context);
    (letter, outcome)
}

fn with_endings(raw: &[u8], crlf: bool) -> Vec<u8> {
    let mut lf = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\r' && raw.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        lf.push(raw[i]);
        i += 1;
    }
    if !crlf {
        return lf;
    }
    let mut out = Vec::with_capacity(lf.len() + lf.len() / 20);
    for byte in lf {
        if byte == b'\n' {
            out.push(b'\r');
        }
        out.push(byte);
    }
    out
}

fn check(registry: &Registry, expect: &Expect, variant: &str, raw: &[u8]) -> Vec<String> {
    let at = expect.received_at.unwrap_or_else(|| utc(2023, 12, 20, 3));
    let (letter, outcome) = judge(registry, raw, at);
    let mut problems = Vec::new();
    let mut differ = |what: &str, expected: String, got: String| {
        if expected != got {
            problems.push(format!(
                "{} [{variant}] {what}: expected {expected}, got {got} ({})",
                expect.file,
                outcome.detail()
            ));
        }
    };
    let code_of = |id: Option<UnitId>| {
        id.and_then(|id| {
            registry
                .unit_ids
                .iter()
                .find(|(_, v)| **v == id)
                .map(|(k, _)| k.clone())
        })
        .unwrap_or_default()
    };
    let token_of = |id: RequestId| {
        registry
            .request_ids
            .iter()
            .find(|(_, v)| **v == id)
            .map(|(k, _)| k.clone())
            .unwrap_or_default()
    };
    if let Some(state) = &expect.state {
        differ("state", state.clone(), outcome.state().as_str().into());
    }
    if let Some(any) = &expect.state_any
        && !any.iter().any(|s| s == outcome.state().as_str())
    {
        differ("state", format!("{any:?}"), outcome.state().as_str().into());
    }
    if let Some(reason) = &expect.reason {
        differ("reason", reason.clone(), outcome.reason().as_str().into());
    }
    if let Some(rule) = &expect.rule {
        differ("rule", rule.clone(), outcome.rule().as_str().into());
    }
    if let Some(unit) = &expect.unit {
        differ("unit", unit.clone(), code_of(outcome.unit_id()));
    }
    if let Some(request) = &expect.request {
        differ(
            "request",
            request.clone(),
            outcome.request_id().map(token_of).unwrap_or_default(),
        );
    }
    if let Some(late) = expect.late {
        differ(
            "late",
            format!("{late}"),
            format!("{:?}", outcome.late().unwrap_or(!late)),
        );
    }
    if let Some(names) = &expect.attachments {
        let got: Vec<String> = letter.counted_attachments().map(|a| a.name.clone()).collect();
        differ("attachments", format!("{names:?}"), format!("{got:?}"));
    }
    if let Some(address) = &expect.failing_address {
        let got = outcome.failing().map(|f| f.address.clone()).unwrap_or_default();
        differ("failing address", address.clone(), got);
    }
    if let Some(unit) = &expect.suggested_unit {
        differ("suggested unit", unit.clone(), code_of(outcome.suggested_unit()));
    }
    if let Some(candidates) = &expect.candidates {
        let got: Vec<String> = outcome.candidates().iter().map(|id| token_of(*id)).collect();
        differ("candidates", format!("{candidates:?}"), format!("{got:?}"));
    }
    // Whatever came in, what comes out is safe to show and to put in a header.
    let unsafe_char = |c: char| c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c);
    if letter.subject.chars().any(unsafe_char) {
        problems.push(format!(
            "{} [{variant}] control character in subject {:?}",
            expect.file, letter.subject
        ));
    }
    // A name keeps its `/` (document numbers: issue 12) but never a Windows path; the name
    // made for disks and headers has neither.
    for a in &letter.attachments {
        if a.name.chars().any(unsafe_char) || a.name.contains('\\') {
            problems.push(format!("{} [{variant}] unsafe file name {:?}", expect.file, a.name));
        }
        let safe = message::safe_file_name(&a.name);
        if safe.chars().any(unsafe_char) || safe.contains(['/', '\\']) || safe.starts_with('.') {
            problems.push(format!("{} [{variant}] unsafe disk name {safe:?}", expect.file));
        }
    }
    problems
}

#[test]
fn every_fixture_gets_its_expected_outcome_with_any_line_endings() {
    let dir = fixtures_dir();
    let expected: Expected =
        toml::from_str(&std::fs::read_to_string(dir.join("expected.toml")).unwrap()).expect("expected.toml parses");
    let registry = registry();
    let mut problems = Vec::new();
    let mut reasons: HashMap<String, usize> = HashMap::new();
    for expect in &expected.fixture {
        let raw = std::fs::read(dir.join(&expect.file)).unwrap_or_else(|e| panic!("{}: {e}", expect.file));
        for (variant, bytes) in [
            ("as stored", raw.clone()),
            ("LF", with_endings(&raw, false)),
            ("CRLF", with_endings(&raw, true)),
        ] {
            problems.extend(check(&registry, expect, variant, &bytes));
        }
        if let Some(reason) = &expect.reason {
            *reasons.entry(reason.clone()).or_default() += 1;
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(expected.fixture.len() >= 60, "{} fixtures", expected.fixture.len());
    // `too_complex` depends on the time budget, not on the message alone: tests/it/hostile.rs.
    for reason in baocao::domain::incoming::Reason::ALL
        .into_iter()
        .filter(|r| *r != baocao::domain::incoming::Reason::TooComplex)
    {
        let count = reasons.get(reason.as_str()).copied().unwrap_or(0);
        assert!(
            count >= 2,
            "reason {} has {count} fixtures, wants at least 2",
            reason.as_str()
        );
    }
    // Every .eml has an expectation.
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .count();
    assert_eq!(files, expected.fixture.len(), "a fixture without an expected outcome");
}

#[test]
fn a_ten_megabyte_attachment_is_read_whole_and_counted() {
    let registry = registry();
    let data = vec![0x25u8; 10 * 1024 * 1024];
    let mut encoded = String::new();
    let b64 = crate::harness::base64(&data);
    for chunk in b64.as_bytes().chunks(76) {
        encoded.push_str(std::str::from_utf8(chunk).unwrap());
        encoded.push_str("\r\n");
    }
    let raw = format!(
        "From: pgd.tuangiao@dienbien.edu.vn\r\nTo: {OFFICE}\r\nSubject: Bao cao 4189/KH-BCD\r\nMessage-ID: <big-1@x>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"big\"\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\n\
         gui bao cao\r\n--big\r\nContent-Type: application/pdf; name=\"scan.pdf\"\r\nContent-Disposition: attachment; \
         filename=\"scan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{encoded}--big--\r\n"
    );
    let (letter, outcome) = judge(&registry, raw.as_bytes(), utc(2023, 12, 20, 3));
    assert_eq!(outcome.state().as_str(), "counted", "{}", outcome.detail());
    assert_eq!(letter.attachments[0].size, data.len());
}
