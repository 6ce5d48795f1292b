//! Roles on the web page, enforced on the server for every route: a "lãnh đạo" reads every
//! page and export and changes nothing (each POST route answers 403 and the data stays); a
//! "văn thư" changes data and each change is in the audit trail as that user, from the web;
//! a user removed from the configuration is logged out at once. And `login = "imap"`: the
//! office's own mail server checks the password of a listed user.

use crate::harness::in_process::InProcess;
use crate::harness::mail_env::mail_env;
use crate::harness::service::{ALWAYS_OPEN, http};
use crate::harness::web::{LOGIN_TOKEN, form, hidden_field, login_body, set_cookie};
use crate::harness::{Backend, Env};

const LEADER: &str = "giamdoc";
const LEADER_PASSWORD: &str = "mật-khẩu-giám-đốc-2026";

/// Logs `user` in; the session cookie and the overview page's CSRF token.
fn session_of(port: u16, user: &str, password: &str) -> (String, String) {
    let cookie = format!("baocao_login={LOGIN_TOKEN}");
    let body = login_body(user, password, "/");
    let (status, head, page) = http(port, "POST", "/login", &[("Cookie", &cookie)], &body);
    assert_eq!(status, 303, "{head}{page}");
    let session = format!("baocao_session={}", set_cookie(&head, "baocao_session").unwrap());
    let (_, _, page) = http(port, "GET", "/", &[("Cookie", &session)], "");
    let csrf = hidden_field(&page, "csrf").unwrap_or_else(|| panic!("no csrf on the overview: {page}"));
    (session, csrf)
}

/// Seed 000's request BC-1, active, and a message waiting in review; the clerk and a leader.
fn office() -> Env {
    let env = Env::new(Backend::Sqlite);
    env.append_config(ALWAYS_OPEN);
    env.seed_000_request("17h00 ngày 30/12/2030");
    let message = "From: someone@gmail.com\nTo: vanphong.sodienbien@moet.edu.vn\nSubject: Báo cáo [BC-1]\n\
        Message-ID: <roles-1@gmail.com>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nBáo cáo.\n";
    let imported = env.import_at("roles.eml", message, "09:00 ngày 20/12/2030");
    assert_eq!(imported["state"], "review", "{imported:#}");
    env.add_clerk();
    env.add_web_user(LEADER, LEADER_PASSWORD);
    env.baocao(&["user", "role", LEADER, "lãnh đạo"]).ok();
    env
}

#[test]
fn a_leader_reads_everything_and_changes_nothing_on_any_route() {
    let env = office();
    // A new password keeps the role: a leader is not made a clerk by it.
    env.add_web_user(LEADER, LEADER_PASSWORD);
    let listed = env.baocao(&["user", "list"]).ok().stdout;
    assert!(listed.contains("giamdoc") && listed.contains("lãnh đạo"), "{listed}");
    let service = InProcess::start(&env);
    let port = service.web_port();
    let (leader, leader_csrf) = session_of(port, LEADER, LEADER_PASSWORD);
    let review_id = env.baocao(&["review", "list", "--json"]).ok().json()[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();

    // Every read page and export answers the leader, without a form that changes data.
    for path in [
        "/",
        "/requests/BC-1",
        "/requests/BC-1/letters",
        "/review",
        "/units",
        "/audit",
        "/requests/BC-1/export.csv",
        "/requests/BC-1/export.xlsx",
    ] {
        let (status, _, page) = http(port, "GET", path, &[("Cookie", &leader)], "");
        assert_eq!(status, 200, "{path}: {page}");
        if !path.contains("export") {
            assert!(
                !page.contains("/activate\"") && !page.contains("/close\"") && !page.contains("/assign\""),
                "{path}: {page}"
            );
            assert!(page.contains("giamdoc (lãnh đạo)"), "{path}: {page}");
        }
    }
    for path in ["/requests/new", "/requests/from"] {
        let (status, _, page) = http(port, "GET", path, &[("Cookie", &leader)], "");
        assert_eq!(status, 403, "{path}: {page}");
    }
    // Every route that changes data refuses the leader, with the reason, and changes nothing.
    let before = env.baocao(&["status", "BC-1", "--json"]).ok().stdout;
    let posts = [
        (
            "/requests/BC-1/mark".to_string(),
            vec![("unit", "pgd-muongcha"), ("note", "giấy")],
        ),
        ("/requests/BC-1/activate".to_string(), vec![]),
        ("/requests/BC-1/close".to_string(), vec![("confirm", "yes")]),
        (
            format!("/review/{review_id}/assign"),
            vec![("request", "BC-1"), ("unit", "pgd-muongcha")],
        ),
        (
            format!("/review/{review_id}/reject"),
            vec![("reason", "không phải báo cáo")],
        ),
        (format!("/review/{review_id}/extend"), vec![("until", "31/01/2031")]),
        (
            "/requests/new".to_string(),
            vec![
                ("code", "1/KH"),
                ("title", "t"),
                ("deadline", "31/12/2030"),
                ("units", "pgd-muongcha"),
                ("action", "save"),
            ],
        ),
        ("/requests/BC-1/extend".to_string(), vec![("until", "31/01/2031")]),
        ("/requests/BC-1/delete".to_string(), vec![("confirm", "yes")]),
        ("/requests/BC-1/files/remove".to_string(), vec![("name", "x.pdf")]),
        (
            "/units/save".to_string(),
            vec![("code", "x"), ("name", "X"), ("emails", "x@x.vn")],
        ),
        ("/units/apply".to_string(), vec![("token", "x")]),
        ("/units/pgd-muongcha/remove".to_string(), vec![("confirm", "yes")]),
        ("/series/bc-thang/pause".to_string(), vec![]),
        (
            "/review/reject-sender".to_string(),
            vec![("address", "someone@gmail.com"), ("reason", "x")],
        ),
        ("/requests/BC-1/edit".to_string(), vec![("title", "x")]),
        ("/outbox/1/retry".to_string(), vec![]),
        (
            "/series/bc-thang/edit".to_string(),
            vec![("title", "x"), ("deadline", "ngày 5 tháng sau kỳ"), ("action", "save")],
        ),
        (
            "/series/new".to_string(),
            vec![
                ("code", "bc-quy"),
                ("doc", "1/KH"),
                ("title", "t"),
                ("period", "quy"),
                ("deadline", "ngày 15 tháng cuối kỳ"),
                ("group", "phong-gddt"),
                ("action", "save"),
            ],
        ),
        (
            "/units/pgd-muongcha/role".to_string(),
            vec![("address", "pgddt.muongcha@dienbien.edu.vn"), ("role", "thu-truong")],
        ),
        ("/units/pgd-muongcha/rename".to_string(), vec![("name", "X")]),
        (
            "/units/pgd-muongcha/merge".to_string(),
            vec![("into", "pgd-tuachua"), ("action", "apply"), ("confirm", "yes")],
        ),
        (
            "/templates/reminder.body.txt".to_string(),
            vec![("text", "x {{ request.token }}"), ("action", "save")],
        ),
        // Forms with files are refused before their body is read.
        ("/units/upload".to_string(), vec![]),
        ("/requests/from".to_string(), vec![]),
        ("/requests/BC-1/files".to_string(), vec![]),
    ];
    // Every route that takes a POST is in the list (a new form cannot skip this test); the
    // router's source names them.
    let router = std::fs::read_to_string(crate::harness::repo_root().join("src/wiring/web/mod.rs")).unwrap();
    let mut routes = Vec::new();
    for chunk in router.split(".route(").skip(1) {
        let path = chunk.trim_start().trim_start_matches('"').split('"').next().unwrap();
        let handlers = chunk.split(".route(").next().unwrap();
        if handlers.contains("post(") || handlers.contains(".post(") {
            routes.push(path.to_string());
        }
    }
    assert!(routes.len() >= 20, "{routes:?}");
    let shape = |path: &str| -> Vec<String> {
        path.split('/')
            .map(|part| {
                if part.starts_with('{') {
                    "*".into()
                } else {
                    part.to_string()
                }
            })
            .collect()
    };
    for route in &routes {
        if ["/login", "/logout"].contains(&route.as_str()) {
            continue;
        }
        let wanted = shape(route);
        let covered = posts.iter().any(|(path, _)| {
            let parts: Vec<&str> = path.split('/').collect();
            parts.len() == wanted.len() && parts.iter().zip(&wanted).all(|(p, w)| w == "*" || p == w)
        });
        assert!(covered, "POST {route} is not checked for the leader's role");
    }
    for (path, fields) in &posts {
        let mut fields = fields.clone();
        fields.push(("csrf", &leader_csrf));
        let (status, _, page) = http(port, "POST", path, &[("Cookie", &leader)], &form(&fields));
        assert_eq!(status, 403, "{path}: {page}");
        assert!(page.contains("vai trò lãnh đạo: chỉ được xem"), "{path}: {page}");
    }
    assert_eq!(env.baocao(&["status", "BC-1", "--json"]).ok().stdout, before);
    assert_eq!(
        env.baocao(&["review", "list", "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Logging out is not a change of data.
    let (status, _, _) = http(
        port,
        "POST",
        "/logout",
        &[("Cookie", &leader)],
        &form(&[("csrf", &leader_csrf)]),
    );
    assert_eq!(status, 303);

    // The clerk may, and the change is the clerk's, from the web, in the audit trail.
    let (clerk, clerk_csrf) = session_of(port, crate::harness::web::CLERK, crate::harness::web::CLERK_PASSWORD);
    let (status, _, page) = http(
        port,
        "POST",
        &format!("/review/{review_id}/reject"),
        &[("Cookie", &clerk)],
        &form(&[("reason", "không phải báo cáo"), ("csrf", &clerk_csrf)]),
    );
    assert_eq!(status, 303, "{page}");
    let rows = env.baocao(&["audit", "--subject", "review", "--json"]).ok().json();
    assert_eq!(rows[0]["actor"], "vanthu", "{rows:#}");
    assert_eq!(rows[0]["via"], "web", "{rows:#}");
    assert_eq!(rows[0]["action"], "reject", "{rows:#}");
    // The page shows it, filtered, and downloads it as CSV; a bad date is said, not guessed.
    let (_, _, page) = http(port, "GET", "/audit?subject=review", &[("Cookie", &clerk)], "");
    assert!(
        page.contains("vanthu <span class=\"muted\">(trang web)</span>"),
        "{page}"
    );
    assert!(page.contains("không tính: không phải báo cáo"), "{page}");
    let (status, head, csv) = http(port, "GET", "/audit.csv?by=vanthu", &[("Cookie", &clerk)], "");
    assert_eq!(status, 200, "{head}");
    assert!(csv.contains(",vanthu,trang web,thư cần kiểm tra,"), "{csv}");
    let (_, _, page) = http(port, "GET", "/audit?since=h%C3%B4m+qua", &[("Cookie", &clerk)], "");
    assert!(page.contains("Từ ngày: không hiểu ngày"), "{page}");
    // The request's page shows its history to a logged-in user.
    let (_, _, page) = http(port, "GET", "/requests/BC-1", &[("Cookie", &clerk)], "");
    assert!(page.contains("Lịch sử thay đổi"), "{page}");
}

#[test]
fn a_role_changed_or_a_user_removed_counts_at_once() {
    let env = office();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let (leader, csrf) = session_of(port, LEADER, LEADER_PASSWORD);
    // Made a clerk (the configuration is read again, as `systemctl reload` does).
    env.baocao(&["user", "role", LEADER, "van-thu"]).ok();
    assert!(service.reload(), "the new configuration is taken");
    let (status, _, page) = http(
        port,
        "POST",
        "/requests/BC-1/mark",
        &[("Cookie", &leader)],
        &form(&[("unit", "pgd-muongcha"), ("note", "nhận bản giấy"), ("csrf", &csrf)]),
    );
    assert_eq!(status, 303, "{page}");
    // Removed from the configuration: the session no longer opens the private pages.
    let config = std::fs::read_to_string(&env.config).unwrap();
    let start = config.find(&format!("name = \"{LEADER}\"")).unwrap();
    let block_start = config[..start].rfind("[[web.users]]").unwrap();
    let block_end = config[start..]
        .find("[[web.users]]")
        .map_or(config.len(), |i| start + i);
    std::fs::write(
        &env.config,
        format!("{}{}", &config[..block_start], &config[block_end..]),
    )
    .unwrap();
    assert!(service.reload(), "the new configuration is taken");
    let (status, head, _) = http(port, "GET", "/review", &[("Cookie", &leader)], "");
    assert_eq!(status, 303, "{head}");
    let refused = env.baocao(&["user", "role", LEADER, "quản trị"]);
    assert_eq!(refused.code, 1);
    refused.assert_stderr_contains("không có người dùng giamdoc");
    let refused = env.baocao(&["user", "role", "vanthu", "thủ quỹ"]);
    refused.assert_stderr_contains("van-thu (văn thư), lanh-dao (lãnh đạo) hoặc quan-tri (quản trị)");
}

#[test]
fn the_office_mail_server_checks_the_password_with_login_imap() {
    let m = mail_env(Backend::Sqlite, None, &format!("{ALWAYS_OPEN}login = \"imap\"\n"));
    let hoa = m.lab.address("hoa");
    let added = m.env.baocao(&["user", "add", &hoa, "--role", "van-thu"]).ok().stdout;
    assert!(added.contains("mật khẩu hộp thư"), "{added}");
    let config = std::fs::read_to_string(&m.env.config).unwrap();
    assert!(
        !config.contains("password-hash"),
        "no second password is kept: {config}"
    );
    let service = InProcess::start(&m.env);
    let port = service.web_port();
    let cookie = format!("baocao_login={LOGIN_TOKEN}");
    let attempt = |user: &str, password: &str| {
        http(
            port,
            "POST",
            "/login",
            &[("Cookie", &cookie)],
            &login_body(user, password, "/"),
        )
        .0
    };
    // The lab's mail server takes its one password for every mailbox.
    assert_eq!(attempt(&hoa, crate::harness::mail_lab::MailLab::PASSWORD), 303);
    assert_eq!(attempt(&hoa, "sai-mat-khau"), 401);
    // A mailbox the server knows but the configuration does not list is refused too.
    let stranger = m.lab.address("nguoi-la");
    assert_eq!(attempt(&stranger, crate::harness::mail_lab::MailLab::PASSWORD), 401);
}

#[test]
fn one_box_finds_units_requests_and_messages() {
    let env = office();
    let service = InProcess::start(&env);
    let port = service.web_port();
    // A leader may search: it only reads.
    let (leader, _) = session_of(port, LEADER, LEADER_PASSWORD);
    let find = |q: &str| {
        let path = format!("/search?q={}", crate::harness::web::percent(q));
        let (status, _, page) = http(port, "GET", &path, &[("Cookie", &leader)], "");
        assert_eq!(status, 200, "{q}: {page}");
        page.replace("&#x2f;", "/")
    };
    // Without marks and case: "muong cha" finds Mường Chà.
    let page = find("muong cha");
    assert!(page.contains("<td>pgd-muongcha</td>"), "{page}");
    let page = find("4189/KH");
    assert!(page.contains(r#"<a href="/requests/BC-1">BC-1</a>"#), "{page}");
    let page = find("SOMEONE@gmail");
    assert!(page.contains("<td>someone@gmail.com</td>"), "{page}");
    assert!(page.contains("chờ xem xét"), "{page}");
    // LIKE's own signs are searched as text.
    let page = find("100%_");
    assert!(page.contains("Thư nhận được (0)"), "{page}");
    // Strangers see nothing.
    let (status, head, _) = http(port, "GET", "/search?q=gmail", &[], "");
    assert_eq!(status, 303, "{head}");
}

#[test]
fn every_message_of_one_sender_is_rejected_at_once() {
    let env = office();
    for n in 1..=2 {
        let message = format!(
            "From: Ban tin <bantin@news.example>\nTo: vanphong.sodienbien@moet.edu.vn\nSubject: [BC-1] Bản tin số {n}\n\
             Message-ID: <bantin-{n}@news.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nBản tin.\n"
        );
        let imported = env.import_at(&format!("bantin-{n}.eml"), message, "09:00 ngày 21/12/2030");
        assert_eq!(imported["state"], "review", "{imported:#}");
    }
    let service = InProcess::start(&env);
    let port = service.web_port();
    let (clerk, csrf) = session_of(port, crate::harness::web::CLERK, crate::harness::web::CLERK_PASSWORD);
    let (_, _, page) = http(port, "GET", "/review", &[("Cookie", &clerk)], "");
    assert!(page.contains("bantin@news.example (2 thư)"), "{page}");
    assert!(
        !page.contains("someone@gmail.com (1 thư)"),
        "one message needs no bulk form: {page}"
    );
    // The form names the messages shown; one that arrives later is not decided with them.
    let shown: Vec<String> = env
        .baocao(&["review", "list", "--json"])
        .ok()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["from_address"] == "bantin@news.example")
        .map(|i| i["id"].to_string())
        .collect();
    assert_eq!(shown.len(), 2);
    for id in &shown {
        assert!(page.contains(&format!(r#"name="item" value="{id}""#)), "{page}");
    }
    let later = "From: bantin@news.example\nTo: vanphong.sodienbien@moet.edu.vn\nSubject: [BC-1] Bản tin số 3\n\
        Message-ID: <bantin-3@news.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nBản tin.\n";
    assert_eq!(
        env.import_at("bantin-3.eml", later, "10:00 ngày 21/12/2030")["state"],
        "review"
    );
    let post = |fields: &[(&str, &str)]| {
        let mut fields = fields.to_vec();
        fields.push(("csrf", &csrf));
        for id in &shown {
            fields.push(("item", id));
        }
        http(
            port,
            "POST",
            "/review/reject-sender",
            &[("Cookie", &clerk)],
            &form(&fields),
        )
    };
    let (status, _, page) = post(&[("address", "bantin@news.example"), ("reason", "")]);
    assert_eq!(status, 400, "{page}");
    let (status, _, _) = post(&[
        ("address", "BANTIN@news.example"),
        ("reason", "bản tin, không phải báo cáo"),
    ]);
    assert_eq!(status, 303);
    let left = env.baocao(&["review", "list", "--json"]).ok().json();
    assert_eq!(
        left.as_array().unwrap().len(),
        2,
        "the gmail one and the later bulletin: {left:#}"
    );
    let rows = env.baocao(&["audit", "--subject", "review", "--json"]).ok().json();
    assert_eq!(rows.as_array().unwrap().len(), 2, "{rows:#}");
    let (status, _, page) = post(&[("address", "bantin@news.example"), ("reason", "lần nữa")]);
    assert_eq!(status, 400);
    assert!(page.contains("không có thư nào từ bantin@news.example"), "{page}");
}

#[test]
fn only_the_administrator_sees_the_settings_and_never_a_password() {
    let env = office();
    // A mail server with a password from a file, and an administrator.
    let secret = env.write("smtp-password", "mat-khau-may-chu-thu-bi-mat\n");
    env.append_config(&format!(
        "[smtp]\nhost = \"mail.sogd.test\"\nport = 465\nuser = \"vanphong@sogd.test\"\npassword-file = \"{}\"\n",
        secret.display()
    ));
    env.add_web_user("quantri", "mật-khẩu-quản-trị-2026");
    env.baocao(&["user", "role", "quantri", "quan-tri"]).ok();
    let service = InProcess::start(&env);
    let port = service.web_port();

    let (admin, _) = session_of(port, "quantri", "mật-khẩu-quản-trị-2026");
    let (status, _, page) = http(port, "GET", "/settings", &[("Cookie", &admin)], "");
    assert_eq!(status, 200, "{page}");
    for seen in [
        "giamdoc",
        "lãnh đạo",
        "quantri",
        "quản trị",
        "mail.sogd.test:465",
        "vanphong@sogd.test",
    ] {
        assert!(page.contains(seen), "{seen}: {page}");
    }
    assert!(!page.contains("mat-khau-may-chu-thu-bi-mat"), "no password on the page");
    assert!(page.contains(r#"href="/settings""#), "in the administrator's menu");

    for (user, password) in [
        (crate::harness::web::CLERK, crate::harness::web::CLERK_PASSWORD),
        (LEADER, LEADER_PASSWORD),
    ] {
        let (session, _) = session_of(port, user, password);
        let (status, _, page) = http(port, "GET", "/settings", &[("Cookie", &session)], "");
        assert_eq!(status, 403, "{user}: {page}");
        assert!(page.contains("vai trò quản trị"), "{page}");
        let (_, _, overview) = http(port, "GET", "/", &[("Cookie", &session)], "");
        assert!(
            !overview.contains(r#"href="/settings""#),
            "{user} has no settings in the menu"
        );
    }
    let (status, head, _) = http(port, "GET", "/settings", &[], "");
    assert_eq!(status, 303, "a login first: {head}");
}
