//! The review queue as a clerk uses it, on both databases (issue 12, item 7): the number
//! `intake import` prints is the one `review show`/`review assign` and the web page take,
//! and remembering the sender's address never gives an address to a second unit, from the
//! command line or from the web page's assign form. The web page also downloads an
//! attachment whose name holds a document number under a name a disk accepts.

use crate::harness::in_process::InProcess;
use crate::harness::service::{ALWAYS_OPEN, http};
use crate::harness::web::{header, hidden_field, percent, session_cookie};
use crate::harness::{Backend, Env, Run};
use crate::on_both_backends;

on_both_backends!(
    the_number_import_prints_is_the_one_review_assign_takes,
    remembering_an_address_of_another_unit_is_refused,
    the_web_page_uses_the_same_numbers_and_refuses_the_same_address,
);

const MUONGCHA: &str = "pgddt.muongcha@dienbien.edu.vn";
const TUANGIAO: &str = "pgd.tuangiao@dienbien.edu.vn";

fn setup(backend: Backend, extra_config: &str) -> Env {
    let env = Env::new(backend);
    env.append_config(extra_config);
    env.add_unit("pgd-muongcha", "Phòng GD&ĐT huyện Mường Chà", MUONGCHA)
        .ok();
    env.add_unit("pgd-tuangiao", "Phòng GD&ĐT huyện Tuần Giáo", TUANGIAO)
        .ok();
    env.add_request(
        "4189/KH-BCĐ",
        "Báo cáo kết quả thực hiện Kế hoạch phòng, chống ma túy",
        "17:00 ngày 29/12/2030",
        &["--unit", "pgd-muongcha", "--unit", "pgd-tuangiao"],
    )
    .ok();
    env.baocao(&["request", "activate", "BC-1"]).ok();
    env
}

/// A message from `from`; with a PDF named `attachment` when given.
fn message(from: &str, subject: &str, id: &str, attachment: Option<&str>) -> String {
    let mut m = format!(
        "From: {from}\nTo: vanphong.sodienbien@moet.edu.vn\nSubject: {subject}\nMessage-ID: <{id}>\n\
         Date: Wed, 20 Dec 2023 09:00:00 +0700\nMIME-Version: 1.0\n"
    );
    match attachment {
        Some(name) => m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n\
             Gửi báo cáo.\n--b1\nContent-Type: application/pdf\nContent-Disposition: attachment; \
             filename*=utf-8''{}\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQKJcOkw7zDtsOf\n--b1--\n",
            percent(name)
        )),
        None => m.push_str("Content-Type: text/plain; charset=utf-8\n\nGửi báo cáo ạ.\n"),
    }
    m
}

/// Imports one message; returns what `intake import` printed.
fn import(env: &Env, name: &str, content: &str) -> String {
    let path = env.write(name, content);
    env.baocao(&[
        "intake",
        "import",
        path.to_str().unwrap(),
        "--received-at",
        "20/12/2030 09:00",
    ])
    .ok()
    .stdout
}

/// The N of `[thư số N]` in an import line.
fn printed_number(line: &str) -> String {
    let start = line
        .find("[thư số ")
        .unwrap_or_else(|| panic!("no number printed: {line}"))
        + "[thư số ".len();
    line[start..].chars().take_while(char::is_ascii_digit).collect()
}

/// `review assign NUMBER --unit pgd-tuangiao --request BC-1`, remembering the address or not.
fn assign_to_tuangiao(env: &Env, number: &str, remember: bool) -> Run {
    let mut args = vec![
        "review",
        "assign",
        number,
        "--unit",
        "pgd-tuangiao",
        "--request",
        "BC-1",
    ];
    if remember {
        args.push("--remember-address");
    }
    env.baocao(&args)
}

fn open_subjects(env: &Env) -> Vec<String> {
    let items = env.baocao(&["review", "list", "--json"]).ok().json();
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["subject"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn the_number_import_prints_is_the_one_review_assign_takes(backend: Backend) {
    let env = setup(backend, "");
    // A counted report first, so messages and review items are numbered differently
    // when each keeps its own count.
    let counted = import(
        &env,
        "m1.eml",
        &message(MUONGCHA, "Báo cáo 4189/KH-BCĐ", "m1@x", Some("bc.pdf")),
    );
    assert!(counted.contains("đã ghi nhận"), "{counted}");
    let first = import(
        &env,
        "s1.eml",
        &message("an.nguyen@gmail.com", "Báo cáo Tuần Giáo (An)", "s1@x", Some("a.pdf")),
    );
    let second = import(
        &env,
        "s2.eml",
        &message("binh.tran@gmail.com", "Báo cáo Tuần Giáo (Bình)", "s2@x", Some("b.pdf")),
    );
    let (first_number, second_number) = (printed_number(&first), printed_number(&second));
    assert_ne!(first_number, second_number);

    // The list and the JSON show the same numbers.
    let listed = env.baocao(&["review", "list"]).ok().stdout;
    assert!(listed.contains(&format!("#{first_number} ")), "{listed}");
    let items = env.baocao(&["review", "list", "--json"]).ok().json();
    let ids: Vec<String> = items.as_array().unwrap().iter().map(|i| i["id"].to_string()).collect();
    assert_eq!(ids, vec![first_number.clone(), second_number.clone()], "{items:#}");
    let shown = env.baocao(&["review", "show", &first_number]).ok().stdout;
    assert!(shown.contains("Báo cáo Tuần Giáo (An)"), "{shown}");
    assert!(
        shown.contains(&format!("Thư số {first_number}")),
        "show names the message by its number: {shown}"
    );

    // Assigning the number printed for An's message assigns An's message.
    let assigned = assign_to_tuangiao(&env, &first_number, false);
    assert_eq!(assigned.code, 0, "{assigned:?}");
    assert_eq!(open_subjects(&env), vec!["Báo cáo Tuần Giáo (Bình)".to_string()]);
    env.baocao(&["review", "reject", &second_number, "--reason", "gửi nhầm"])
        .ok();
    assert!(open_subjects(&env).is_empty());
    // A number that is not in the queue is refused with the same words.
    let missing = env.baocao(&["review", "show", "999"]);
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(missing.stderr.contains("thư số 999"), "{missing:?}");
}

fn remembering_an_address_of_another_unit_is_refused(backend: Backend) {
    let env = setup(backend, "");
    // Mường Chà's own address, without the required attachment: review, for Mường Chà.
    let printed = import(&env, "r1.eml", &message(MUONGCHA, "Báo cáo 4189/KH-BCĐ", "r1@x", None));
    let number = printed_number(&printed);
    let refused = assign_to_tuangiao(&env, &number, true);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains(MUONGCHA) && refused.stderr.contains("đã thuộc đơn vị `pgd-muongcha`"),
        "{refused:?}"
    );
    // Nothing changed: the item is still open and the address still Mường Chà's alone.
    assert_eq!(open_subjects(&env).len(), 1);
    let tuangiao = env.baocao(&["unit", "show", "pgd-tuangiao", "--json"]).ok().json();
    assert!(!tuangiao.to_string().contains(MUONGCHA), "{tuangiao}");
    // Without remembering, the assignment goes through.
    assign_to_tuangiao(&env, &number, false).ok();

    // A letter signed by both units: the first address is Mường Chà's, so it cannot be
    // remembered for Tuần Giáo either.
    let both = message(
        &format!("\"Mường Chà\" <{MUONGCHA}>, \"Tuần Giáo\" <{TUANGIAO}>"),
        "Báo cáo chung 4189/KH-BCĐ",
        "r2@x",
        Some("chung.pdf"),
    );
    let printed = import(&env, "r2.eml", &both);
    assert!(printed.contains("người gửi chưa đăng ký"), "{printed}");
    let refused = assign_to_tuangiao(&env, &printed_number(&printed), true);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("pgd-muongcha"), "{refused:?}");

    // Mường Chà's next report is still Mường Chà's, not a shared address.
    let next = import(
        &env,
        "r3.eml",
        &message(MUONGCHA, "Báo cáo 4189/KH-BCĐ", "r3@x", Some("bc.pdf")),
    );
    assert!(
        next.contains("đơn vị pgd-muongcha") && next.contains("đã ghi nhận"),
        "{next}"
    );
}

fn the_web_page_uses_the_same_numbers_and_refuses_the_same_address(backend: Backend) {
    let env = setup(backend, ALWAYS_OPEN);
    let document = "Báo cáo số 215/BC-PGDĐT.pdf";
    let counted = import(
        &env,
        "w1.eml",
        &message(TUANGIAO, "Báo cáo 4189/KH-BCĐ", "w1@x", Some(document)),
    );
    assert!(counted.contains("đã ghi nhận"), "{counted}");
    let counted_number = printed_number(&counted);
    let printed = import(&env, "w2.eml", &message(MUONGCHA, "Báo cáo 4189/KH-BCĐ", "w2@x", None));
    let number = printed_number(&printed);
    env.add_clerk();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let session = session_cookie(port);

    let (status, _, page) = http(port, "GET", "/review", &[("Cookie", &session)], "");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&format!("id=\"item-{number}\"")), "{page}");
    assert!(page.contains(&format!("/review/{number}/assign")), "{page}");
    let csrf = hidden_field(&page, "csrf").expect("a CSRF field");
    let assign = |remember: bool| {
        let body = format!(
            "csrf={csrf}&unit=pgd-tuangiao&request=BC-1{}",
            if remember { "&remember=on" } else { "" }
        );
        let path = format!("/review/{number}/assign");
        http(port, "POST", &path, &[("Cookie", &session)], &body)
    };
    let (status, _, body) = assign(true);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("pgd-muongcha") && body.contains(MUONGCHA), "{body}");
    let tuangiao = env.baocao(&["unit", "show", "pgd-tuangiao", "--json"]).ok().json();
    assert!(!tuangiao.to_string().contains(MUONGCHA), "{tuangiao}");
    let (status, _, body) = assign(false);
    assert_eq!(status, 303, "{body}");
    assert!(open_subjects(&env).is_empty());

    // The document number's `/` is kept on the page and made safe for the download.
    let (status, _, page) = http(port, "GET", "/requests/BC-1", &[("Cookie", &session)], "");
    assert_eq!(status, 200);
    assert!(page.replace("&#x2f;", "/").contains(document), "{page}");
    let (status, head, body) = http(
        port,
        "GET",
        &format!("/messages/{counted_number}/attachment?name={}", percent(document)),
        &[("Cookie", &session)],
        "",
    );
    assert_eq!(status, 200, "{head}");
    assert!(body.starts_with("%PDF"), "{body}");
    let disposition = header(&head, "content-disposition").unwrap_or_default();
    assert!(
        disposition.contains("filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20s%E1%BB%91%20215_BC-PGD%C4%90T.pdf"),
        "{disposition}"
    );
    assert!(
        !disposition.contains("%2F") && !disposition.contains('/'),
        "{disposition}"
    );
}
