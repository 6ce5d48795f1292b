//! The two seed directives field by field, and the directives of
//! `tests/fixtures/directives/` (each text beside a TOML file of its expected fields) with the
//! precision per field, which must stay at or above [`PRECISION_BAR`].

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};

use super::*;
use crate::domain::model::{GroupCode, UnitCode};

fn fixture_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/directives")
}

/// A seed directive (`tests/fixtures/directives/seeds/`, copies of `shared/seeds/`).
fn seed(name: &str) -> String {
    let path = fixture_dir().join("seeds").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Seed 000's 23 units and their three groups (no display names, as `unit import` of
/// `config/seed-000-units.csv` leaves them), a district's trade unions, communes and
/// lower secondary schools.
pub(crate) fn registry() -> Registry {
    let csv = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/seed-000-units.csv"))
        .expect("seed units");
    let mut rows: Vec<(String, String, String)> = csv
        .lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (cells[0].to_string(), cells[1].to_string(), cells[2].to_string())
        })
        .collect();
    for (code, name, group) in [
        ("cdcs-thcs-tt", "Công đoàn cơ sở Trường THCS thị trấn", "cdcs"),
        ("cdcs-bv-huyen", "Công đoàn cơ sở Bệnh viện huyện", "cdcs"),
        ("ubnd-suoida", "UBND xã Suối Đá", "ubnd-xa"),
        ("ubnd-tt-dmc", "UBND thị trấn Dương Minh Châu", "ubnd-xa"),
        ("thcs-leloi", "Trường THCS Lê Lợi", "truong-thcs"),
        ("thcs-nguyendu", "Trường THCS Nguyễn Du", "truong-thcs"),
    ] {
        rows.push((code.into(), name.into(), group.into()));
    }
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (_, name, group) in &rows {
        groups.entry(group.clone()).or_default().push(name.clone());
    }
    Registry {
        groups: groups
            .into_iter()
            .map(|(code, unit_names)| RegistryGroup {
                name: (code == "ubnd-xa").then(|| "Ủy ban nhân dân các xã, thị trấn".to_string()),
                code: GroupCode::parse(&code).expect("group"),
                unit_names,
            })
            .collect(),
        units: rows
            .into_iter()
            .map(|(code, name, _)| RegistryUnit {
                code: UnitCode::parse(&code).expect("unit"),
                name,
            })
            .collect(),
    }
}

pub(crate) fn setting() -> Setting {
    Setting {
        zone: chrono_tz::Asia::Ho_Chi_Minh,
        report_mailbox: Some("vanphong.sodienbien@moet.edu.vn".into()),
    }
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("rfc3339").with_timezone(&Utc)
}

#[test]
fn seed_000_every_field_is_right_and_nothing_is_invented() {
    let p = propose(&seed("000_f994f167548f7438.txt"), &registry(), &setting());
    // The text starts at "Kính gửi": it has no number, date, heading or "V/v" of its own.
    assert_eq!(p.number, None);
    let why = &p
        .missing
        .iter()
        .find(|m| m.field == Field::Number)
        .expect("number missing")
        .why;
    assert!(why.contains("4189/KH-BCĐ") && why.contains("dòng 11"), "{why}");
    assert_eq!(p.issued, None);
    assert_eq!(p.title, None);
    let issuer = p.issuer.as_ref().expect("issuer from the body");
    assert_eq!(issuer.value.name, "Sở Giáo dục và Đào tạo");
    assert!(issuer.value.from_body);
    assert_eq!(issuer.source.lines, vec![15]);
    let kind = p.kind.as_ref().expect("kind");
    assert_eq!(kind.value.name, "Công văn");
    assert_eq!(kind.value.basis, KindBasis::SelfReference);
    assert_eq!(kind.source.lines, vec![64]);
    let groups: Vec<String> = p.groups().iter().map(|g| g.to_string()).collect();
    assert_eq!(groups, ["phong-gddt", "truc-thuoc", "gdnn-gdtx"]);
    assert_eq!(p.recipients.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 5, 7]);
    assert!(p.unmatched().next().is_none());
    let deadline = p.deadline.as_ref().expect("deadline");
    assert_eq!(deadline.value.wording, "trước ngày 31/12/2023");
    assert_eq!(deadline.value.instant, instant("2023-12-30T16:59:59Z"));
    assert_eq!(deadline.value.reading, DeadlineReading::BeforeDay);
    assert_eq!(deadline.source.lines, vec![60, 62]);
    assert!(p.other_deadlines.is_empty(), "{:?}", p.other_deadlines);
    assert!(matches!(p.report, ReportAsked::Yes { .. }));
    let mailbox = p.mailbox.as_ref().expect("mailbox");
    assert_eq!(mailbox.value, "vanphong.sodienbien@moet.edu.vn");
    assert_eq!(mailbox.source.lines, vec![60]);
    assert!(p.file_expected.value);
    assert_eq!(p.file_expected.source.lines, vec![60]);
    let fields: Vec<Field> = p.missing.iter().map(|m| m.field).collect();
    assert_eq!(fields, [Field::Number, Field::Issued, Field::Title]);
    // Same mailbox as baocao's: no note about it.
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}

#[test]
fn seed_003_every_field_is_right_and_the_blank_day_stays_blank() {
    let p = propose(&seed("003_beb9a2b09faed6c3.txt"), &registry(), &setting());
    let number = p.number.as_ref().expect("number");
    assert_eq!(number.value.as_str(), "165/LĐLĐ");
    assert_eq!(number.source.lines, vec![14]);
    let issued = p.issued.as_ref().expect("date line");
    assert_eq!(
        issued.value,
        IssueDate {
            place: Some("Huyện DMC".into()),
            day: None,
            month: Some(5),
            year: Some(2024),
            date: None,
        }
    );
    assert_eq!(issued.source.lines, vec![25]);
    let why = &p
        .missing
        .iter()
        .find(|m| m.field == Field::Issued)
        .expect("day missing")
        .why;
    assert!(why.contains("để trống ngày") && why.contains("dòng 25"), "{why}");
    let issuer = p.issuer.as_ref().expect("issuer");
    assert_eq!(issuer.value.name, "LIÊN ĐOÀN LAO ĐỘNG HUYỆN DƯƠNG MINH CHÂU");
    assert_eq!(issuer.value.parent.as_deref(), Some("LIÊN ĐOÀN LAO ĐỘNG TỈNH TÂY NINH"));
    assert_eq!(issuer.source.lines, vec![8, 10]);
    assert_eq!(p.kind.as_ref().expect("kind").value.name, "Công văn");
    let title = p.title.as_ref().expect("title");
    assert_eq!(
        title.value,
        "Triển khai kế hoạch Phong trào thi đua thực hiện công tác quốc phòng địa phương và công tác giáo \
         dục quốc phòng - an ninh năm 2024"
    );
    assert_eq!(title.source.lines, vec![15, 17, 19]);
    let groups: Vec<String> = p.groups().iter().map(|g| g.to_string()).collect();
    assert_eq!(groups, ["cdcs"]);
    assert_eq!(p.recipients[0].line, 30);
    assert_eq!(p.deadline, None);
    assert!(p.is_for_information(), "{:?}", p.report);
    assert!(p.notes.iter().any(|n| n.contains("--no-report")), "{:?}", p.notes);
    assert_eq!(p.mailbox, None);
    assert!(!p.file_expected.value);
    assert_eq!(p.year(setting().zone), Some(2024));
    let fields: Vec<Field> = p.missing.iter().map(|m| m.field).collect();
    assert_eq!(fields, [Field::Issued]);
}

#[test]
fn trade_unions_are_not_taken_for_the_departments_own_units() {
    // Seed 000's registry has no trade unions: "trực thuộc" alone must not pick its group.
    let mut registry = registry();
    registry.groups.retain(|g| g.code.as_str() != "cdcs");
    registry.units.retain(|u| !u.code.as_str().starts_with("cdcs"));
    let p = propose(&seed("003_beb9a2b09faed6c3.txt"), &registry, &setting());
    assert!(p.groups().is_empty(), "{:?}", p.recipients);
    let unmatched: Vec<&str> = p.unmatched().map(|r| r.text.as_str()).collect();
    assert_eq!(unmatched, ["Các công đoàn cơ sở trực thuộc LĐLĐ huyện"]);
    assert!(p.missing.iter().any(|m| m.field == Field::Recipients));
}

#[test]
fn one_line_may_name_several_units_or_groups() {
    let text = "Kính gửi:\n- Phòng Giáo dục và Đào tạo huyện Điện Biên Đông, huyện Mường Nhé;\n\
                - Phòng GD&ĐT các huyện và Trung tâm GDNN-GDTX cấp huyện;\n\
                - Phòng Giáo dục và Đào tạo thành phố Điện Biên Phủ.\nCăn cứ …";
    let p = propose(text, &registry(), &setting());
    let units: Vec<String> = p.units().iter().map(|u| u.to_string()).collect();
    assert_eq!(units, ["pgd-dienbiendong", "pgd-muongnhe", "pgd-tp-dienbienphu"]);
    let groups: Vec<String> = p.groups().iter().map(|g| g.to_string()).collect();
    assert_eq!(groups, ["phong-gddt", "gdnn-gdtx"]);
}

/// What a fixture's TOML file expects; an absent key means "must be reported missing".
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Expected {
    number: Option<String>,
    issued: Option<NaiveDate>,
    issued_year: Option<i32>,
    issuer: Option<String>,
    kind: Option<String>,
    title: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    units: Vec<String>,
    #[serde(default)]
    unmatched: Vec<String>,
    deadline: Option<DateTime<Utc>>,
    wording: Option<String>,
    #[serde(default)]
    no_report: bool,
    mailbox: Option<String>,
    file: bool,
}

/// The lowest precision any field may have on the fixture set.
const PRECISION_BAR: f64 = 0.9;

#[derive(Default)]
struct Tally {
    /// A value was proposed.
    proposed: usize,
    /// …and it was the expected one.
    right: usize,
    /// No value, and none was expected.
    rightly_missing: usize,
    total: usize,
}

#[test]
fn fixture_directives_meet_the_precision_bar() {
    let registry = registry();
    let setting = setting();
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir())
        .expect("fixtures")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    assert!(names.len() >= 15, "{} fixtures", names.len());
    let mut texts: Vec<(String, String, Expected)> = names
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(fixture_dir().join(name)).expect("text");
            let toml_name = name.replace(".txt", ".toml");
            let expected: Expected =
                toml::from_str(&std::fs::read_to_string(fixture_dir().join(&toml_name)).expect("toml"))
                    .unwrap_or_else(|e| panic!("{toml_name}: {e}"));
            (name.clone(), text, expected)
        })
        .collect();
    // The seeds belong to the set too.
    for (name, expected) in [
        (
            "000_f994f167548f7438.txt",
            Expected {
                number: None,
                issued: None,
                issued_year: None,
                issuer: Some("Sở Giáo dục và Đào tạo".into()),
                kind: Some("Công văn".into()),
                title: None,
                groups: vec!["phong-gddt".into(), "truc-thuoc".into(), "gdnn-gdtx".into()],
                units: vec![],
                unmatched: vec![],
                deadline: Some(instant("2023-12-30T16:59:59Z")),
                wording: Some("trước ngày 31/12/2023".into()),
                no_report: false,
                mailbox: Some("vanphong.sodienbien@moet.edu.vn".into()),
                file: true,
            },
        ),
        (
            "003_beb9a2b09faed6c3.txt",
            Expected {
                number: Some("165/LĐLĐ".into()),
                issued: None,
                issued_year: Some(2024),
                issuer: Some("LIÊN ĐOÀN LAO ĐỘNG HUYỆN DƯƠNG MINH CHÂU".into()),
                kind: Some("Công văn".into()),
                title: Some(
                    "Triển khai kế hoạch Phong trào thi đua thực hiện công tác quốc phòng địa phương và công \
                     tác giáo dục quốc phòng - an ninh năm 2024"
                        .into(),
                ),
                groups: vec!["cdcs".into()],
                units: vec![],
                unmatched: vec![],
                deadline: None,
                wording: None,
                no_report: true,
                mailbox: None,
                file: false,
            },
        ),
    ] {
        texts.push((name.to_string(), seed(name), expected));
    }
    let fields = [
        "số",
        "ngày ban hành",
        "cơ quan",
        "loại",
        "trích yếu",
        "kính gửi",
        "hạn",
        "để biết",
        "hộp thư",
        "tệp",
    ];
    let mut tallies: Vec<Tally> = fields.iter().map(|_| Tally::default()).collect();
    let mut wrong = Vec::new();
    for (name, text, e) in &texts {
        let p = propose(text, &registry, &setting);
        let recipients = (
            p.groups().iter().map(|g| g.to_string()).collect::<Vec<_>>(),
            p.units().iter().map(|u| u.to_string()).collect::<Vec<_>>(),
            p.unmatched().map(|r| r.text.clone()).collect::<Vec<_>>(),
        );
        let expected_recipients = (e.groups.clone(), e.units.clone(), e.unmatched.clone());
        let issued = p.issued.as_ref().map(|i| (i.value.date, i.value.year));
        let expected_issued = match (e.issued, e.issued_year) {
            (Some(date), _) => Some((Some(date), Some(chrono::Datelike::year(&date)))),
            (None, Some(year)) => Some((None, Some(year))),
            (None, None) => None,
        };
        let deadline = p.deadline.as_ref().map(|d| (d.value.instant, d.value.wording.clone()));
        let expected_deadline = e.deadline.map(|d| (d, e.wording.clone().unwrap_or_default()));
        let checks: [(bool, bool, bool); 10] = [
            (
                p.number.is_some(),
                p.number.as_ref().map(|n| n.value.to_string()) == e.number,
                e.number.is_none(),
            ),
            (issued.is_some(), issued == expected_issued, expected_issued.is_none()),
            (
                p.issuer.is_some(),
                p.issuer.as_ref().map(|i| i.value.name.clone()) == e.issuer,
                e.issuer.is_none(),
            ),
            (
                p.kind.is_some(),
                p.kind.as_ref().map(|k| k.value.name.clone()) == e.kind,
                e.kind.is_none(),
            ),
            (
                p.title.is_some(),
                p.title.as_ref().map(|t| t.value.clone()) == e.title,
                e.title.is_none(),
            ),
            (
                !p.recipients.is_empty(),
                recipients == expected_recipients,
                expected_recipients.0.is_empty() && expected_recipients.1.is_empty(),
            ),
            (
                deadline.is_some(),
                deadline == expected_deadline,
                expected_deadline.is_none(),
            ),
            (true, p.is_for_information() == e.no_report, false),
            (
                p.mailbox.is_some(),
                p.mailbox.as_ref().map(|m| m.value.clone()) == e.mailbox,
                e.mailbox.is_none(),
            ),
            (true, p.file_expected.value == e.file, false),
        ];
        for (k, (given, right, none_expected)) in checks.into_iter().enumerate() {
            let tally = &mut tallies[k];
            tally.total += 1;
            if given {
                tally.proposed += 1;
                if right {
                    tally.right += 1;
                } else {
                    wrong.push(format!("{name}: {} wrong", fields[k]));
                }
            } else if none_expected {
                tally.rightly_missing += 1;
            } else {
                wrong.push(format!("{name}: {} not found", fields[k]));
            }
        }
        // Whatever is not proposed is said to be missing, with a reason.
        for (given, field) in [
            (p.number.is_some(), Field::Number),
            (p.title.is_some(), Field::Title),
            (p.issued.as_ref().is_some_and(|i| i.value.date.is_some()), Field::Issued),
        ] {
            assert_eq!(
                !given,
                p.missing.iter().any(|m| m.field == field),
                "{name}: {field:?} and the missing list disagree: {:?}",
                p.missing
            );
        }
    }
    println!("Độ chính xác theo trường trên {} văn bản:", texts.len());
    println!("| field | proposed | right | precision | rightly reported missing | accuracy |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let mut below = Vec::new();
    for (field, t) in fields.iter().zip(&tallies) {
        let precision = if t.proposed == 0 {
            1.0
        } else {
            t.right as f64 / t.proposed as f64
        };
        let accuracy = (t.right + t.rightly_missing) as f64 / t.total as f64;
        println!(
            "| {field} | {} | {} | {:.2} | {} | {:.2} |",
            t.proposed, t.right, precision, t.rightly_missing, accuracy
        );
        if precision < PRECISION_BAR {
            below.push(format!("{field}: {precision:.2}"));
        }
    }
    for line in &wrong {
        println!("  {line}");
    }
    assert!(below.is_empty(), "below {PRECISION_BAR}: {below:?}; {wrong:?}");
}

#[test]
fn a_proposal_file_round_trips_and_says_what_is_missing() {
    let p = propose(&seed("000_f994f167548f7438.txt"), &registry(), &setting());
    let file = proposal_file::ProposalFile::from_proposal(&p, setting().zone);
    let text = file.to_toml(&p, "cv.txt");
    assert!(
        text.contains("# code = \"\"  # THIẾU: không thấy dòng \"Số: …\""),
        "{text}"
    );
    assert!(
        text.contains("deadline = \"trước ngày 31/12/2023\"  # dòng 60–62:"),
        "{text}"
    );
    let read = proposal_file::ProposalFile::parse(&text).expect("parses");
    assert_eq!(read, file);
    assert_eq!(read.missing_vi(), ["số văn bản (code)", "trích yếu (title)"]);
    let edited = text.replace("# code = \"\"", "code = \"1520/SGDĐT-VP\"").replace(
        "# title = \"\"",
        "title = \"Triển khai Kế hoạch vận động hiến máu tình nguyện năm 2023\"",
    );
    let read = proposal_file::ProposalFile::parse(&edited).expect("parses");
    assert!(read.missing_vi().is_empty(), "{:?}", read.missing_vi());
    assert_eq!(read.code.as_deref(), Some("1520/SGDĐT-VP"));
    assert!(proposal_file::ProposalFile::parse("code = 12\n").is_err());
    assert!(proposal_file::ProposalFile::parse("unknown = 1\n").is_err());
}

#[test]
fn a_proposal_becomes_the_input_request_add_would_make() {
    let zone = setting().zone;
    let none = crate::domain::model::Offsets::default();
    let week = crate::domain::model::Offsets::parse("7d,3d,1d").unwrap();
    let defaults = proposal_file::Defaults {
        remind_before: &week,
        overdue_after: &none,
    };
    let now = instant("2024-05-20T01:00:00Z");
    let p = propose(&seed("003_beb9a2b09faed6c3.txt"), &registry(), &setting());
    let file = proposal_file::ProposalFile::from_proposal(&p, zone);
    let (input, deadline) = file.to_input(zone, defaults, now).unwrap();
    assert_eq!(input.code.as_str(), "165/LĐLĐ");
    assert_eq!(
        (input.year, input.issued_on, input.deadline, deadline),
        (2024, None, None, None)
    );
    assert!(!input.attachment_required && input.remind_before.is_empty());
    assert_eq!(input.recipients.groups, [GroupCode::parse("cdcs").unwrap()]);
    assert_eq!(
        input.letter.issuer.as_deref(),
        Some("LIÊN ĐOÀN LAO ĐỘNG HUYỆN DƯƠNG MINH CHÂU")
    );

    let p = propose(&seed("000_f994f167548f7438.txt"), &registry(), &setting());
    let mut file = proposal_file::ProposalFile::from_proposal(&p, zone);
    file.code = Some("1520/SGDĐT-VP".into());
    file.title = Some("Triển khai Kế hoạch hiến máu".into());
    let (input, deadline) = file.to_input(zone, defaults, now).unwrap();
    assert_eq!(input.deadline, Some(instant("2023-12-30T16:59:59Z")));
    assert_eq!(input.deadline_wording.as_deref(), Some("trước ngày 31/12/2023"));
    assert_eq!(deadline.map(|d| d.reading), Some(DeadlineReading::BeforeDay));
    assert_eq!((input.year, input.attachment_required), (2023, true));
    assert_eq!(input.remind_before, week);
    file.deadline = Some("hằng tháng".into());
    let error = file.to_input(zone, defaults, now).unwrap_err();
    assert!(error.contains("định kỳ"), "{error}");
}

#[test]
fn columns_without_a_gap_as_ocr_leaves_them() {
    let text = "UBND TỈNH ĐIỆN BIÊN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n\
                SỞ GIÁO DỤC VÀ ĐÀO TẠO Độc lập - Tự do - Hạnh phúc\n\
                Số: 1234 /SGDĐT-VP Điện Biên, ngày 05 tháng 01 năm 2024\n\
                V/v báo cáo số liệu\nKính gửi: Các đơn vị trực thuộc Sở.\n";
    let p = propose(text, &registry(), &setting());
    assert_eq!(p.number.map(|n| n.value.to_string()).as_deref(), Some("1234/SGDĐT-VP"));
    let issued = p.issued.expect("date").value;
    assert_eq!(issued.place.as_deref(), Some("Điện Biên"));
    assert_eq!(issued.date, NaiveDate::from_ymd_opt(2024, 1, 5));
    assert_eq!(p.issuer.expect("issuer").value.name, "SỞ GIÁO DỤC VÀ ĐÀO TẠO");
}

#[test]
fn odd_text_never_panics_and_invents_nothing() {
    for text in [
        "",
        "\u{feff}",
        "Số:",
        "Số: /",
        "Kính gửi:",
        "Kính gửi",
        "ngày tháng năm",
        ", ngày 99 tháng 99 năm 99999999999",
        "V/v",
        "báo cáo trước ngày 31/02/2024",
        "báo cáo trước ngày 31/12/2023 trước ngày 31/12/2023 trước 17h ngày",
        "\u{c}\u{c}\r\n\r\n",
    ] {
        let p = propose(text, &registry(), &setting());
        assert!(p.number.is_none() && p.title.is_none(), "{text:?}: {p:?}");
        assert!(p.issued.as_ref().is_none_or(|i| i.value.date.is_none()), "{text:?}");
    }
}
