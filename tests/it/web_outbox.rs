//! The outbox and a request's plan on the page, over HTTP: letters the mail server refused
//! are listed with its answer and "Gửi lại" queues one again (recorded as the clerk's); a
//! request's plan lists every letter still to go with the reason for its time, for all units
//! or one; changing a request on its edit form, each refusal beside its field.

use crate::harness::in_process::InProcess;
use crate::harness::service::ALWAYS_OPEN;
use crate::harness::web::{CLERK, get_page, post_page, session_cookie};
use crate::harness::{Backend, Env, free_port, local_smtp_config};

/// GET `path` as the clerk; the page with "/" written plainly.
#[test]
fn the_outbox_shows_what_failed_and_sends_it_again_and_the_plan_says_why_each_time() {
    let env = Env::new(Backend::Sqlite);
    // Nothing listens on this port: every letter waits to be tried again, with the reason.
    let closed = free_port();
    std::fs::write(&env.config, local_smtp_config(closed, "none", "", ALWAYS_OPEN)).unwrap();
    env.seed_000_request("17h00 ngày 30/12/2030");
    env.baocao(&["reminders", "send", "--at", "08:00 ngày 02/12/2030"]).ok();
    let waiting = env.baocao(&["outbox", "list", "--failed", "--json"]).ok().json();
    let waiting = waiting.as_array().unwrap();
    assert_eq!(waiting.len(), 23, "{waiting:#?}");
    let id = waiting[0]["id"].as_i64().unwrap();
    env.add_clerk();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let session = session_cookie(port);

    let (status, page) = get_page(port, &session, "/outbox");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Thư lỗi và thư đang chờ gửi lại (23)"), "{page}");
    assert!(page.contains("chờ gửi lại"), "{page}");
    assert!(page.contains(&format!(r#"action="/outbox/{id}/retry""#)), "{page}");
    let error = waiting[0]["last_error"].as_str().unwrap();
    assert!(!error.is_empty());
    assert!(
        page.contains(&error.replace('"', "&quot;")[..20.min(error.len())]),
        "the server's answer: {page}"
    );

    let (status, head, _) = post_page(port, &session, &format!("/outbox/{id}/retry"), &[]);
    assert_eq!(status, 303, "{head}");
    let audit = env.baocao(&["audit", "--by", CLERK, "--json"]).ok().json();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["via"] == "web" && r["subject_key"].as_str().is_some_and(|k| k.contains(&id.to_string()))),
        "{audit:#}"
    );
    let (status, _, page) = post_page(port, &session, "/outbox/999999/retry", &[]);
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("Không thực hiện được"), "{page}");

    // The plan: every letter still to go, with why that time; then one unit's.
    let (status, page) = get_page(port, &session, "/requests/BC-1/plan");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Lịch gửi thư · BC-1"), "{page}");
    assert!(
        page.contains("nhắc trước hạn") && page.contains("nhắc quá hạn"),
        "{page}"
    );
    assert!(page.contains("ngày trước hạn"), "the reason for each time: {page}");
    assert!(page.contains("pgd-tuangiao"), "{page}");
    let (_, page) = get_page(port, &session, "/requests/BC-1/plan?unit=pgd-muongcha");
    assert!(
        page.contains("pgd-muongcha") && !page.contains("pgd-tuangiao"),
        "{page}"
    );
    let (status, _) = get_page(port, &session, "/requests/BC-9/plan");
    assert_eq!(status, 400);
}

#[test]
fn a_request_is_changed_on_its_edit_form_and_refusals_come_back_beside_their_fields() {
    let env = Env::new(Backend::Sqlite);
    env.append_config(ALWAYS_OPEN);
    env.seed_000_request("17h00 ngày 30/12/2030");
    env.add_clerk();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let session = session_cookie(port);

    let (status, page) = get_page(port, &session, "/requests/BC-1/edit");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(r#"<label for="title">Trích yếu</label>"#), "{page}");
    assert!(
        page.contains("Triển khai thực hiện Kế hoạch vận động hiến máu"),
        "{page}"
    );

    // Everything wrong at once: each problem beside its field, what was typed kept.
    let (status, _, page) = post_page(
        port,
        &session,
        "/requests/BC-1/edit",
        &[
            ("title", " "),
            ("deadline", "17h00 ngày 20/12/2030"),
            ("add_groups", "khong co!"),
            ("remove_units", "pgd-dienbien"),
            ("content", "Báo cáo theo <mẫu 01>"),
        ],
    );
    assert_eq!(status, 400, "{page}");
    assert!(page.contains(r#"id="title-error""#), "{page}");
    assert!(
        page.contains(r#"id="deadline-error""#) && page.contains("chỉ được lùi hạn"),
        "{page}"
    );
    assert!(page.contains(r#"id="add_groups-error""#), "{page}");
    assert!(
        page.contains(r#"id="remove_units-error""#) && page.contains("bỏ cả nhóm"),
        "{page}"
    );
    assert!(page.contains("Báo cáo theo &lt;mẫu 01&gt;"), "{page}");
    let shown = env.baocao(&["request", "show", "BC-1", "--json"]).ok().json();
    assert_eq!(shown["deadline"], "2030-12-30T10:00:00Z", "nothing saved: {shown:#}");

    // A later deadline, a new title, one group taken off: saved, re-planned, recorded.
    let (status, head, page) = post_page(
        port,
        &session,
        "/requests/BC-1/edit",
        &[
            ("title", "Báo cáo kết quả vận động hiến máu năm 2030"),
            ("deadline", "17h00 ngày 15/01/2031"),
            ("remove_groups", "GDNN-GDTX"),
            ("content", ""),
        ],
    );
    assert_eq!(status, 303, "{head}{page}");
    let shown = env.baocao(&["request", "show", "BC-1", "--json"]).ok().json();
    assert_eq!(
        shown["title"], "Báo cáo kết quả vận động hiến máu năm 2030",
        "{shown:#}"
    );
    assert_eq!(shown["deadline"], "2031-01-15T10:00:00Z", "{shown:#}");
    let status = env.baocao(&["status", "BC-1", "--json"]).ok().json();
    let units = status["requests"][0]["units"].as_array().unwrap();
    assert!(units.iter().all(|u| u["unit"] != "gdnn-tuachua"), "{status:#}");
    assert!(units.iter().any(|u| u["unit"] == "pgd-dienbien"), "{status:#}");
    let audit = env.baocao(&["audit", "--key", "BC-1", "--json"]).ok().json();
    let by_clerk: Vec<&serde_json::Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["actor"] == CLERK && r["via"] == "web")
        .collect();
    assert!(
        by_clerk.len() >= 3,
        "title, deadline and the group taken off: {audit:#}"
    );
}
