//! Requests made and changed on the web page, over HTTP: the new-request form shows what
//! baocao understood before saving and each refusal next to its field, saves a draft
//! recorded as the clerk's; a later deadline for one unit; a draft deleted after the
//! confirmation tick; what a clerk types is shown as text, never as markup.

use crate::harness::in_process::InProcess;
use crate::harness::service::{ALWAYS_OPEN, http};
use crate::harness::web::{CLERK, CLERK_PASSWORD, LOGIN_TOKEN, form, header, hidden_field, login_body, set_cookie};
use crate::harness::{Backend, Env};

fn log_in(port: u16) -> (String, String) {
    let cookie = format!("baocao_login={LOGIN_TOKEN}");
    let (status, head, _) = http(
        port,
        "POST",
        "/login",
        &[("Cookie", &cookie)],
        &login_body(CLERK, CLERK_PASSWORD, "/"),
    );
    assert_eq!(status, 303, "{head}");
    let session = format!("baocao_session={}", set_cookie(&head, "baocao_session").unwrap());
    let (_, _, page) = http(port, "GET", "/requests/new", &[("Cookie", &session)], "");
    let csrf = hidden_field(&page, "csrf").unwrap_or_else(|| panic!("{page}"));
    (session, csrf)
}

#[test]
fn a_clerk_makes_extends_and_deletes_requests_on_the_page() {
    let env = Env::new(Backend::Sqlite);
    env.append_config(ALWAYS_OPEN);
    env.seed_000_units();
    env.add_clerk();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let (session, csrf) = log_in(port);
    let post = |path: &str, fields: &[(&str, &str)]| {
        let mut fields = fields.to_vec();
        fields.push(("csrf", &csrf));
        let (status, head, page) = http(port, "POST", path, &[("Cookie", &session)], &form(&fields));
        // minijinja writes "/" as "&#x2f;" in HTML: read the page as the clerk does.
        (status, head, page.replace("&#x2f;", "/"))
    };

    // The form, with the groups to choose from.
    let (status, _, page) = http(port, "GET", "/requests/new", &[("Cookie", &session)], "");
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"<label for="deadline">Hạn báo cáo, như văn bản ghi</label>"#),
        "{page}"
    );
    assert!(page.contains(r#"name="group" value="phong-gddt""#), "{page}");

    // Refusals come back next to their fields, with what was typed kept (and escaped).
    let (status, _, page) = post(
        "/requests/new",
        &[
            ("code", "12/KH-SGDĐT"),
            ("title", ""),
            ("deadline", "khi nào xong"),
            ("units", "pgd-dienbien, khong-co"),
            ("issuer", "<script>alert(1)</script>"),
            ("action", "preview"),
        ],
    );
    assert_eq!(status, 400, "{page}");
    assert!(page.contains(r#"id="title-error""#), "{page}");
    assert!(page.contains(r#"id="deadline-error""#), "{page}");
    assert!(page.contains("Không có đơn vị: khong-co."), "{page}");
    assert!(page.contains(r#"value="12/KH-SGDĐT""#), "{page}");
    assert!(!page.contains("<script>alert(1)</script>"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;"), "{page}");

    // A preview says what baocao understood, and saves nothing.
    let fields = [
        ("code", "12/KH-SGDĐT"),
        ("title", "Báo cáo công tác tháng 12 <b>khẩn</b>"),
        ("issued", "01/12/2030"),
        ("deadline", "trước ngày 31/12/2030"),
        ("group", "phong-gddt"),
        ("units", "thpt-chuyen-lqd"),
    ];
    let (status, _, page) = post("/requests/new", &[&fields[..], &[("action", "preview")]].concat());
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Hạn báo cáo: <b>30/12/2030 lúc 23:59</b>"), "{page}");
    assert!(page.contains("(văn bản ghi: \"trước ngày 31/12/2030\")"), "{page}");
    assert!(
        page.contains("Gửi tới 11 đơn vị"),
        "10 in the group and one more: {page}"
    );
    let listed = env.baocao(&["request", "list", "--json"]).ok().json();
    assert_eq!(listed.as_array().unwrap().len(), 0, "a preview saves nothing");

    // Saved: a draft, the clerk's, from the web.
    let (status, head, _) = post("/requests/new", &[&fields[..], &[("action", "save")]].concat());
    assert_eq!(status, 303, "{head}");
    assert_eq!(header(&head, "location").as_deref(), Some("/requests/BC-1"));
    let shown = env.baocao(&["request", "show", "BC-1", "--json"]).ok().json();
    assert_eq!(shown["state"], "draft");
    assert_eq!(shown["deadline_wording"], "trước ngày 31/12/2030");
    let audit = env.baocao(&["audit", "--key", "BC-1", "--json"]).ok().json();
    assert_eq!(
        (audit[0]["actor"].as_str(), audit[0]["via"].as_str()),
        (Some(CLERK), Some("web")),
        "{audit:#}"
    );
    let (_, _, page) = http(port, "GET", "/requests/BC-1", &[("Cookie", &session)], "");
    assert!(page.contains("Báo cáo công tác tháng 12 &lt;b&gt;khẩn&lt;"), "{page}");
    assert!(!page.contains("<b>khẩn</b>"), "{page}");
    // The same number again: the store's refusal is shown on the form.
    let (status, _, page) = post("/requests/new", &[&fields[..], &[("action", "save")]].concat());
    assert_eq!(status, 400);
    assert!(page.contains("đã có yêu cầu số 12/KH-SGDĐT"), "{page}");

    // Activated, then one unit gets a later deadline; a wrong date is refused with the reason.
    let (status, _, _) = post("/requests/BC-1/activate", &[]);
    assert_eq!(status, 303);
    let (status, _, page) = post(
        "/requests/BC-1/extend",
        &[("until", "sau Tết"), ("unit", "pgd-dienbien")],
    );
    assert_eq!(status, 400);
    assert!(page.contains("hạn mới"), "{page}");
    let (status, _, page) = post(
        "/requests/BC-1/extend",
        &[("until", "trước ngày 15/01/2031"), ("unit", "pgd-dienbien")],
    );
    assert_eq!(status, 303, "{page}");
    let status = env.baocao(&["status", "BC-1", "--json"]).ok().json();
    let units = status["requests"][0]["units"].as_array().unwrap();
    let extended = units.iter().find(|u| u["unit"] == "pgd-dienbien").unwrap();
    assert!(
        extended["deadline"].as_str().unwrap().starts_with("2031-01-14"),
        "{extended:#}"
    );
    let other = units.iter().find(|u| u["unit"] == "thpt-chuyen-lqd").unwrap();
    assert!(
        other["deadline"].is_null() || other["deadline"].as_str().unwrap().starts_with("2030-12-30"),
        "{other:#}"
    );

    // A draft is deleted after the tick; an active request is not.
    let (status, _, _) = post(
        "/requests/new",
        &[
            ("code", "13/KH-SGDĐT"),
            ("title", "Báo cáo nhầm"),
            ("deadline", "trước ngày 31/12/2030"),
            ("units", "pgd-dienbien"),
            ("action", "save"),
        ],
    );
    assert_eq!(status, 303);
    let (status, _, page) = post("/requests/BC-2/delete", &[]);
    assert_eq!(status, 400);
    assert!(page.contains("xác nhận"), "{page}");
    let (status, _, _) = post("/requests/BC-2/delete", &[("confirm", "yes")]);
    assert_eq!(status, 303);
    let refused = env.baocao(&["request", "show", "BC-2"]);
    assert_ne!(refused.code, 0);
    let (status, _, page) = post("/requests/BC-1/delete", &[("confirm", "yes")]);
    assert_eq!(status, 400);
    assert!(page.contains("chỉ xóa được bản nháp"), "{page}");
    let audit = env.baocao(&["audit", "--key", "BC-2", "--json"]).ok().json();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "delete"]);
}
