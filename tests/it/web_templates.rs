//! The letters' templates edited on the page, over HTTP: the checks of a start or reload
//! decide (an unknown variable named with its line, a subject without the tracking token, a
//! syntax error with its line), nothing is written until they pass; a saved template is used
//! at once (the letters preview shows it) and recorded in the audit trail; "Trả về mẫu có
//! sẵn" removes it; without `[templates] dir` nothing can be saved.

use crate::harness::in_process::InProcess;
use crate::harness::service::ALWAYS_OPEN;
use crate::harness::web::{CLERK, get_page, post_page, session_cookie};
use crate::harness::{Backend, Env};

#[test]
fn a_template_edited_on_the_page_is_checked_used_at_once_recorded_and_reset() {
    let env = Env::new(Backend::Sqlite);
    env.append_config(&format!("{ALWAYS_OPEN}\n[templates]\ndir = \"mau-thu\"\n"));
    let dir = env.dir.path().join("mau-thu");
    std::fs::create_dir_all(&dir).unwrap();
    env.seed_000_request("17h00 ngày 30/12/2030");
    env.add_clerk();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let session = session_cookie(port);

    let (status, page) = get_page(port, &session, "/templates");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Nhắc trước hạn") && page.contains("reminder.body.txt"),
        "{page}"
    );
    let (status, page) = get_page(port, &session, "/templates/reminder.body.txt");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Kính gửi"), "the built-in text: {page}");
    assert!(page.contains("request.token"), "the variables: {page}");
    let built_in = hidden_textarea(&page);

    // Refused, each with where: nothing written.
    let unknown = format!("{}\nĐơn vị: {{{{ unit.ten_day_du }}}}\n", built_in.trim_end());
    let line = unknown.lines().count();
    let (status, _, page) = post_page(
        port,
        &session,
        "/templates/reminder.body.txt",
        &[("text", &unknown), ("action", "save")],
    );
    assert_eq!(status, 400, "{page}");
    assert!(
        page.contains(&format!("không có biến `unit.ten_day_du` (dòng {line})")),
        "{page}"
    );
    assert!(page.contains("unit.ten_day_du"), "what was typed is kept: {page}");
    let (status, _, page) = post_page(
        port,
        &session,
        "/templates/reminder.subject.txt",
        &[("text", "Nhắc gửi báo cáo"), ("action", "save")],
    );
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("phải có mã theo dõi"), "{page}");
    let broken = "Kính gửi {{ unit.name }}\n{% if request.token %}\nchưa đóng if\n";
    let (status, _, page) = post_page(
        port,
        &session,
        "/templates/reminder.body.txt",
        &[("text", broken), ("action", "check")],
    );
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("dòng"), "a syntax error with its line: {page}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing written");

    // "Kiểm tra" previews with sample values and saves nothing.
    let edited = format!("{}\nĐơn vị cần gửi kèm biểu mẫu số 01 đã ký số.\n", built_in.trim_end());
    let (status, _, page) = post_page(
        port,
        &session,
        "/templates/reminder.body.txt",
        &[("text", &edited), ("action", "check")],
    );
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Xem trước với dữ liệu mẫu") && page.contains("biểu mẫu số 01 đã ký số"),
        "{page}"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "a check writes nothing");

    // Saved: written, used at once by the letters preview, recorded.
    let (status, head, _) = post_page(
        port,
        &session,
        "/templates/reminder.body.txt",
        &[("text", &edited), ("action", "save")],
    );
    assert_eq!(status, 303, "{head}");
    assert_eq!(std::fs::read_to_string(dir.join("reminder.body.txt")).unwrap(), edited);
    let (_, letters) = get_page(port, &session, "/requests/BC-1/letters?unit=pgd-dienbien");
    assert!(letters.contains("biểu mẫu số 01 đã ký số"), "{letters}");
    let audit = env.baocao(&["audit", "--by", CLERK, "--json"]).ok().json();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["subject"] == "template" && r["subject_key"] == "reminder.body.txt"),
        "{audit:#}"
    );
    let (_, page) = get_page(port, &session, "/templates");
    assert!(page.contains("reminder.body.txt, đã sửa"), "{page}");

    // Back to the built-in one.
    let (status, _, _) = post_page(
        port,
        &session,
        "/templates/reminder.body.txt",
        &[("text", ""), ("action", "reset")],
    );
    assert_eq!(status, 303);
    assert!(!dir.join("reminder.body.txt").exists());
    let (_, letters) = get_page(port, &session, "/requests/BC-1/letters?unit=pgd-dienbien");
    assert!(!letters.contains("biểu mẫu số 01 đã ký số"), "{letters}");
    // An HTML body saved empty is no HTML body: nothing written, letters stay plain text.
    let (status, _, _) = post_page(
        port,
        &session,
        "/templates/reminder.body.html",
        &[("text", "  \n"), ("action", "save")],
    );
    assert_eq!(status, 303);
    assert!(!dir.join("reminder.body.html").exists());
    let (status, _) = get_page(port, &session, "/templates/khong-co.txt");
    assert_eq!(status, 400);
}

#[test]
fn without_a_templates_directory_a_template_is_checked_but_not_saved() {
    let env = Env::new(Backend::Sqlite);
    env.append_config(ALWAYS_OPEN);
    env.add_clerk();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let session = session_cookie(port);
    let (_, page) = get_page(port, &session, "/templates");
    assert!(page.contains("chưa có <code>[templates] dir</code>"), "{page}");
    let (_, page) = get_page(port, &session, "/templates/notice.subject.txt");
    let text = hidden_textarea(&page);
    let (status, _, page) = post_page(
        port,
        &session,
        "/templates/notice.subject.txt",
        &[("text", &text), ("action", "save")],
    );
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("[templates] dir"), "{page}");
}

/// The textarea's text, unescaped as the browser would.
fn hidden_textarea(page: &str) -> String {
    let start = page.find("<textarea").unwrap();
    let start = start + page[start..].find('>').unwrap() + 1;
    let end = start + page[start..].find("</textarea>").unwrap();
    page[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}
