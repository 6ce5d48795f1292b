//! Requests made and changed on the web page, over HTTP: the new-request form shows what
//! baocao understood before saving and each refusal next to its field, saves a draft
//! recorded as the clerk's; a later deadline for one unit; a draft deleted after the
//! confirmation tick; what a clerk types is shown as text, never as markup.

use crate::harness::in_process::InProcess;
use crate::harness::service::{ALWAYS_OPEN, http};
use crate::harness::web::{CLERK, CLERK_PASSWORD, LOGIN_TOKEN, form, header, hidden_field, login_body, set_cookie};
use crate::harness::{Backend, Env};

/// POSTs a form with the session's CSRF token; the page read as the clerk reads it ("/" as
/// minijinja writes it, "&#x2f;", turned back).
fn post_form(port: u16, (session, csrf): (&str, &str), path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let mut fields = fields.to_vec();
    fields.push(("csrf", csrf));
    let (status, head, page) = http(port, "POST", path, &[("Cookie", session)], &form(&fields));
    (status, head, page.replace("&#x2f;", "/"))
}

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

/// Seed 000's units, a web page, and its clerk.
fn office() -> Env {
    let env = Env::new(Backend::Sqlite);
    env.append_config(ALWAYS_OPEN);
    env.seed_000_units();
    env.add_clerk();
    env
}

#[test]
fn a_clerk_makes_extends_and_deletes_requests_on_the_page() {
    let env = office();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let (session, csrf) = log_in(port);
    let post = |path: &str, fields: &[(&str, &str)]| post_form(port, (&session, &csrf), path, fields);

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
    // A form attached to the draft goes with the notice; the letters can be read first.
    let (body, content_type) = multipart(
        &[("csrf", &csrf)],
        Some(("files", "Bieu mau/bao cao.xlsx", b"PK\x03\x04 bieu mau")),
    );
    let (status, head, _) = crate::harness::service::http_bytes(
        port,
        "POST",
        "/requests/BC-1/files",
        &[("Cookie", &session), ("Content-Type", &content_type)],
        &body,
    );
    assert_eq!(status, 303, "{head}");
    let (_, _, page) = http(
        port,
        "GET",
        "/requests/BC-1/letters?unit=pgd-dienbien",
        &[("Cookie", &session)],
        "",
    );
    let page = page.replace("&#x2f;", "/");
    for seen in [
        "Thông báo",
        "Nhắc trước hạn",
        "Quá hạn",
        "Kính gửi: Phòng Giáo dục và Đào tạo huyện Điện Biên",
        "Bieu mau_bao cao.xlsx",
        "[BC-1]",
    ] {
        assert!(page.contains(seen), "{seen}: {page}");
    }
    let (status, _, _) = post("/requests/BC-1/files/remove", &[("name", "Bieu mau_bao cao.xlsx")]);
    assert_eq!(status, 303);
    let (status, _, page) = post("/requests/BC-1/files/remove", &[("name", "khong-co.pdf")]);
    assert_eq!(status, 400);
    assert!(page.contains("không có tệp gửi kèm"), "{page}");
    let files = env.baocao(&["audit", "--key", "BC-1", "--json"]).ok().json();
    let changed: Vec<&str> = files
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["field"].as_str())
        .collect();
    assert!(
        changed.iter().filter(|f| **f == "tệp gửi kèm").count() == 2,
        "{files:#}"
    );

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

/// A `multipart/form-data` body: text fields, then one file; and its Content-Type.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (Vec<u8>, String) {
    let boundary = "baocao-test-boundary-7e3f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    if let Some((field, name, data)) = file {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .bytes(),
        );
        body.extend_from_slice(data);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

#[test]
fn the_seed_directive_uploaded_fills_the_form_with_each_fields_line() {
    let env = office();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let (session, csrf) = log_in(port);
    let (status, _, page) = http(port, "GET", "/requests/from", &[("Cookie", &session)], "");
    assert_eq!(status, 200);
    let upload = |fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>| {
        let (body, content_type) = multipart(fields, file);
        let headers = [("Cookie", session.as_str()), ("Content-Type", content_type.as_str())];
        crate::harness::service::http_bytes(port, "POST", "/requests/from", &headers, &body)
    };
    assert!(page.contains(r#"enctype="multipart/form-data""#), "{page}");
    let seed = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/directives/seeds/000_f994f167548f7438.txt"),
    )
    .unwrap();
    let (status, _, page) = upload(
        &[("csrf", &csrf), ("text", "")],
        Some(("file", "4189-KH-BCD.txt", &seed)),
    );
    let page = page.replace("&#x2f;", "/");
    assert_eq!(status, 200, "{page}");
    // Each field with the line it came from, highlighted; what is missing says so.
    assert!(page.contains("Đọc từ văn bản 4189-KH-BCD.txt"), "{page}");
    assert!(page.contains("dòng 60–62:</span> <mark>"), "{page}");
    assert!(page.contains("<b>THIẾU</b>"), "{page}");
    // The form is filled: the deadline as written, the groups the "Kính gửi" names.
    assert!(
        page.contains(r#"name="deadline" value="trước ngày 31/12/2023""#),
        "{page}"
    );
    assert!(page.contains(r#"name="group" value="phong-gddt" checked"#), "{page}");
    assert!(page.contains(r#"name="group" value="truc-thuoc" checked"#), "{page}");
    let listed = env.baocao(&["request", "list", "--json"]).ok().json();
    assert!(listed.as_array().unwrap().is_empty(), "reading saves nothing");

    // A Word 97-2003 file is refused with what to do; nothing pasted and no file, too.
    let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0];
    let (status, _, page) = upload(&[("csrf", &csrf)], Some(("file", "cong-van.doc", &ole)));
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("Lưu thành → .docx"), "{page}");
    let (status, _, page) = upload(&[("csrf", &csrf), ("text", "  ")], None);
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("Chọn tệp văn bản hoặc dán nội dung văn bản."), "{page}");
    // Without the session's token: refused before anything is read.
    let (status, _, _) = upload(&[("csrf", "sai")], Some(("file", "x.txt", &seed)));
    assert_eq!(status, 403);
}

#[test]
fn a_unit_list_uploaded_shows_its_changes_and_applies_all_or_nothing() {
    let env = office();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let (session, csrf) = log_in(port);
    let upload = |name: &str, data: &[u8]| {
        let (body, content_type) = multipart(&[("csrf", &csrf)], Some(("file", name, data)));
        let headers = [("Cookie", session.as_str()), ("Content-Type", content_type.as_str())];
        let (status, head, page) = crate::harness::service::http_bytes(port, "POST", "/units/upload", &headers, &body);
        (status, head, page.replace("&#x2f;", "/"))
    };
    let post = |path: &str, fields: &[(&str, &str)]| post_form(port, (&session, &csrf), path, fields);
    let active = || -> Vec<String> {
        let list = env.baocao(&["unit", "list", "--json"]).ok().json();
        list.as_array()
            .unwrap()
            .iter()
            .map(|u| u["code"].as_str().unwrap().to_string())
            .collect()
    };
    let before = active();

    // The seed list with one unit renamed, one new (whose name holds markup), one left out.
    let seed =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/seed-000-units.csv"))
            .unwrap();
    let mut lines: Vec<String> = seed.lines().map(str::to_string).collect();
    lines.retain(|l| !l.starts_with("gdnn-tuangiao,"));
    for line in lines.iter_mut() {
        if line.starts_with("pgd-nampo,") {
            *line = line.replace("Phòng Giáo dục và Đào tạo huyện Nậm Pồ", "Phòng GD&ĐT huyện Nậm Pồ");
        }
    }
    lines.push("pgd-moi,<script>alert(1)</script> Phòng mới,phong-gddt,pgd.moi@dienbien.edu.vn,".into());
    let list = lines.join("\n");
    let (status, _, page) = upload("don-vi.csv", list.as_bytes());
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Thêm mới: <b>1</b> · Thay đổi: <b>1</b>"), "{page}");
    assert!(page.contains("Không có trong tệp: <b>1</b>"), "{page}");
    assert!(page.contains("gdnn-tuangiao</td><td>không có trong tệp"), "{page}");
    assert!(!page.contains("<script>alert(1)</script>"), "{page}");
    assert_eq!(active(), before, "a preview changes nothing");
    let token = hidden_field(&page, "token").unwrap();

    // A list with a bad row: every problem, by row, and nothing applied.
    let (status, _, page) = upload(
        "sai.csv",
        b"ma,ten,nhom,email\npgd-x,Phong X,phong-gddt,khong-phai-dia-chi\n",
    );
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("dòng 2"), "{page}");
    let (status, _, page) = upload("danh-sach.pdf", b"%PDF-1.4");
    assert_eq!(status, 400);
    assert!(page.contains(".xlsx, .xls, .ods hoặc tệp .csv"), "{page}");

    // The registry changed after the preview (a unit added with the CLI): applying what was
    // previewed is refused; the list is read again.
    env.add_unit("pgd-chen", "Phòng chen ngang", "chen@dienbien.edu.vn")
        .ok();
    let (status, _, page) = post("/units/apply", &[("token", &token), ("retire", "yes")]);
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("đã thay đổi từ lúc xem trước"), "{page}");
    env.baocao(&["unit", "remove", "pgd-chen"]).ok();
    let (status, _, page) = upload("don-vi.csv", list.as_bytes());
    assert_eq!(status, 200, "{page}");
    let token = hidden_field(&page, "token").unwrap();

    // Applied, with the units left out retired: one transaction, recorded as the clerk's.
    let (status, head, _) = post("/units/apply", &[("token", &token), ("retire", "yes")]);
    assert_eq!(status, 303, "{head}");
    assert_eq!(
        header(&head, "location").as_deref(),
        Some("/units?created=1&updated=1&reactivated=0&retired=1")
    );
    let now_active = active();
    assert!(now_active.contains(&"pgd-moi".to_string()) && !now_active.contains(&"gdnn-tuangiao".to_string()));
    let audit = env
        .baocao(&["audit", "--subject", "unit", "--by", CLERK, "--json"])
        .ok()
        .json();
    assert_eq!(audit.as_array().unwrap().len(), 3, "{audit:#}");
    // The same preview cannot be applied twice.
    let (status, _, page) = post("/units/apply", &[("token", &token)]);
    assert_eq!(status, 400);
    assert!(page.contains("hãy tải lại tệp"), "{page}");

    // One unit added by hand; a bad address refused; one retired after the tick.
    let (status, _, _) = post(
        "/units/save",
        &[
            ("code", "pgd-them"),
            ("name", "Phòng thêm"),
            ("groups", "phong-gddt"),
            ("emails", "them@dienbien.edu.vn"),
        ],
    );
    assert_eq!(status, 303);
    let (status, _, page) = post(
        "/units/save",
        &[("code", "pgd-sai"), ("name", "Sai"), ("emails", "khong dia chi")],
    );
    assert_eq!(status, 400, "{page}");
    let (status, _, _) = post("/units/pgd-them/remove", &[]);
    assert_eq!(status, 400);
    let (status, _, _) = post("/units/pgd-them/remove", &[("confirm", "yes")]);
    assert_eq!(status, 303);
    assert!(!active().contains(&"pgd-them".to_string()));
}

#[test]
fn a_series_shows_its_matrix_and_plan_and_is_paused_on_the_page() {
    let env = office();
    env.baocao(&[
        "series",
        "add",
        "bc-thang",
        "--doc",
        "12/KH-SGDĐT",
        "--title",
        "Báo cáo công tác giáo dục",
        "--period",
        "thang",
        "--deadline",
        "ngày 5 tháng sau kỳ",
        "--group",
        "phong-gddt",
        "--from",
        "Tháng 11/2026",
    ])
    .ok();
    env.baocao(&["series", "make-due", "--at", "08:00 ngày 25/11/2026"])
        .ok();
    env.baocao(&[
        "mark",
        "BC-1",
        "pgd-muongcha",
        "--note",
        "nhận bản giấy",
        "--received-at",
        "08:00 ngày 01/12/2026",
    ])
    .ok();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let (session, csrf) = log_in(port);
    let (status, _, page) = http(port, "GET", "/series", &[("Cookie", &session)], "");
    assert_eq!(status, 200);
    assert!(page.contains(r#"<a href="/series/bc-thang">bc-thang</a>"#), "{page}");
    let (status, _, page) = http(port, "GET", "/series/bc-thang?year=2026", &[("Cookie", &session)], "");
    let page = page.replace("&#x2f;", "/");
    assert_eq!(status, 200, "{page}");
    // The matrix: one column for November, ten units, coloured by state; the plan of 2026.
    assert!(page.contains("Tháng 11/2026</a></th>"), "{page}");
    // Ten units a period: November's, and December's too once the real clock passes the day
    // it is made (21/12/2026) — the service runs on the real clock.
    let cells = page.matches(r#"<td class="state state-"#).count();
    assert!(cells == 10 || cells == 20, "{cells} cells: {page}");
    assert!(page.contains("<td>Tháng 12/2026</td>"), "{page}");
    // The on-time share per group: Mường Chà's paper report counts; the others, pending or
    // overdue by the clock, are all in the same group.
    assert!(page.contains("Tỉ lệ đúng hạn theo nhóm đơn vị"), "{page}");
    assert!(page.contains("% đúng hạn (1/"), "{page}");
    let (status, head, _) = http(
        port,
        "GET",
        "/series/bc-thang/export.xlsx?year=2026",
        &[("Cookie", &session)],
        "",
    );
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("bc-thang-2026-tong-hop-dinh-ky.xlsx"), "{head}");
    // Paused, then closed only after the tick.
    let post = |path: &str, fields: &[(&str, &str)]| post_form(port, (&session, &csrf), path, fields);
    assert_eq!(post("/series/bc-thang/pause", &[]).0, 303);
    let shown = env.baocao(&["series", "show", "bc-thang", "--json"]).ok().json();
    assert_eq!(shown["state"], "paused", "{shown:#}");
    assert_eq!(post("/series/bc-thang/close", &[]).0, 400);
    assert_eq!(post("/series/bc-thang/close", &[("confirm", "yes")]).0, 303);
    let audit = env
        .baocao(&["audit", "--subject", "series", "--by", CLERK, "--json"])
        .ok()
        .json();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["pause", "close"]);
}

#[test]
fn the_words_that_sent_a_reply_to_review_are_marked() {
    let env = office();
    env.add_request(
        "12/KH-SGDĐT",
        "Báo cáo công tác tháng 12",
        "17h00 ngày 30/12/2030",
        &["--group", "phong-gddt", "--no-attachment-required"],
    )
    .ok();
    env.baocao(&["request", "activate", "BC-1"]).ok();
    let asks = "From: pgddt.tuachua@dienbien.edu.vn\nTo: vanphong.sodienbien@moet.edu.vn\n\
        Subject: [BC-1] Xin gia hạn\nMessage-ID: <tuachua-2@dienbien.edu.vn>\nMIME-Version: 1.0\n\
        Content-Type: text/plain; charset=utf-8\n\nKính gửi Văn phòng Sở. Phòng xin gia hạn nộp báo cáo đến ngày 10/01.\n";
    let imported = env.import_at("asks.eml", asks, "09:30 ngày 20/12/2030");
    assert_eq!(imported["state"], "review", "{imported:#}");
    let service = InProcess::start(&env);
    let port = service.web_port();
    let (session, _) = log_in(port);
    let (_, _, page) = http(port, "GET", "/review", &[("Cookie", &session)], "");
    let page = page.replace("&#x2f;", "/");
    let start = page
        .find(r#"<mark title="câu quyết định">"#)
        .unwrap_or_else(|| panic!("{page}"));
    let marked = &page[start..start + page[start..].find("</mark>").unwrap()];
    assert!(marked.contains("xin gia hạn nộp báo cáo"), "{marked}");
}

#[test]
fn a_unit_gets_roles_a_new_name_and_is_merged_on_its_page() {
    let env = office();
    env.add_request(
        "12/KH-SGDĐT",
        "Báo cáo công tác tháng 12",
        "17h00 ngày 30/12/2030",
        &[
            "--unit",
            "pgd-muongnhe",
            "--unit",
            "pgd-nampo",
            "--no-attachment-required",
        ],
    )
    .ok();
    env.baocao(&["request", "activate", "BC-1"]).ok();
    env.baocao(&[
        "unit",
        "edit",
        "pgd-muongcha",
        "--email",
        "pgddt.muongcha@dienbien.edu.vn",
        "--email",
        "truongphong.muongcha@dienbien.edu.vn",
    ])
    .ok();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let (session, csrf) = log_in(port);
    let post = |path: &str, fields: &[(&str, &str)]| post_form(port, (&session, &csrf), path, fields);
    let get = |path: &str| {
        let (status, _, page) = http(port, "GET", path, &[("Cookie", &session)], "");
        (status, page.replace("&#x2f;", "/"))
    };

    let (status, page) = get("/units/pgd-muongcha");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("truongphong.muongcha@dienbien.edu.vn"), "{page}");
    // The head's address gets only the letters asking to see to a late report.
    let (status, head, _) = post(
        "/units/pgd-muongcha/role",
        &[
            ("address", "truongphong.muongcha@dienbien.edu.vn"),
            ("role", "thu-truong"),
        ],
    );
    assert_eq!(status, 303, "{head}");
    let shown = env.baocao(&["unit", "show", "pgd-muongcha"]).ok().stdout;
    assert!(shown.contains("thủ trưởng"), "{shown}");
    let (status, _, page) = post("/units/pgd-muongcha/role", &[("address", "khac@x.vn"), ("role", "sep")]);
    assert_eq!(status, 400, "{page}");

    // A new name, the same unit.
    let (status, head, _) = post(
        "/units/pgd-muongnhe/rename",
        &[
            ("new_code", ""),
            ("name", "Phòng Giáo dục và Đào tạo huyện Mường Nhé (mới)"),
        ],
    );
    assert_eq!(status, 303, "{head}");
    let (_, page) = get("/units/pgd-muongnhe");
    assert!(page.contains("Mường Nhé (mới)"), "{page}");
    assert!(page.contains("đổi tên"), "the history: {page}");

    // Merged: previewed first (nothing changes), refused without the tick, then done; the
    // open request names the new unit.
    let fields = [("into", "pgd-muongnhe"), ("new_name", "")];
    let (status, _, page) = post(
        "/units/pgd-nampo/merge",
        &[&fields[..], &[("action", "preview")]].concat(),
    );
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("XEM TRƯỚC (chưa thay đổi gì)") && page.contains("sẽ sáp nhập pgd-nampo"),
        "{page}"
    );
    assert!(page.contains("yêu cầu BC-1 (đang theo dõi)"), "{page}");
    let active = |code: &str| {
        env.baocao(&["unit", "list", "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["code"] == code && u["active"] == true)
    };
    assert!(active("pgd-nampo"), "a preview changes nothing");
    let (status, _, page) = post(
        "/units/pgd-nampo/merge",
        &[&fields[..], &[("action", "apply")]].concat(),
    );
    assert_eq!(status, 400, "{page}");
    assert!(
        page.contains(r#"id="merge-error""#) && page.contains("xác nhận"),
        "{page}"
    );
    let (status, head, _) = post(
        "/units/pgd-nampo/merge",
        &[&fields[..], &[("action", "apply"), ("confirm", "yes")]].concat(),
    );
    assert_eq!(status, 303, "{head}");
    assert!(!active("pgd-nampo"));
    let audit = env.baocao(&["audit", "--key", "pgd-nampo", "--json"]).ok().json();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["action"] == "merge" && r["actor"] == CLERK),
        "{audit:#}"
    );
    // The request's own history says its recipients changed, and by whom.
    let history = env.baocao(&["audit", "--key", "BC-1", "--json"]).ok().json();
    assert!(
        history.as_array().unwrap().iter().any(|r| r["action"] == "merge"
            && r["field"] == "nơi nhận (sáp nhập đơn vị)"
            && r["before"] == "pgd-nampo"
            && r["after"] == "pgd-muongnhe"
            && r["actor"] == CLERK),
        "{history:#}"
    );
    let (status, _, page) = post(
        "/units/pgd-muongnhe/merge",
        &[("into", "khong hop le!"), ("action", "preview")],
    );
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("đơn vị nhận"), "{page}");
}

#[test]
fn a_series_is_made_on_the_page_after_its_year_is_previewed() {
    let env = office();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let (session, csrf) = log_in(port);
    let post = |path: &str, fields: &[(&str, &str)]| post_form(port, (&session, &csrf), path, fields);
    let (status, _, page) = http(port, "GET", "/series/new", &[("Cookie", &session)], "");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(r#"<label for="deadline">Hạn mỗi kỳ, như văn bản ghi</label>"#),
        "{page}"
    );
    assert!(!page.contains(r#"value="none""#), "an empty field is empty: {page}");

    // Everything wrong at once, each beside its field.
    let (status, _, page) = post(
        "/series/new",
        &[
            ("code", "bc-quy"),
            ("doc", "12/KH-SGDĐT"),
            ("title", ""),
            ("period", "tuan"),
            ("deadline", "hằng tuần"),
            ("lead_days", "mười"),
            ("group", "phong-gddt"),
            ("action", "preview"),
        ],
    );
    assert_eq!(status, 400, "{page}");
    for id in ["title-error", "period-error", "deadline-error", "lead_days-error"] {
        assert!(page.contains(&format!(r#"id="{id}""#)), "{id}: {page}");
    }
    assert!(page.contains("không hiểu kỳ báo cáo `tuan`"), "{page}");

    // The year previewed, then made.
    let fields = [
        ("code", "bc-quy"),
        ("doc", "12/KH-SGDĐT"),
        ("title", "Báo cáo công tác giáo dục"),
        ("period", "quy"),
        ("deadline", "ngày 15 tháng cuối kỳ"),
        ("from", "Quý I/2031"),
        ("group", "phong-gddt"),
        ("no_attachment_required", "yes"),
    ];
    let (status, _, page) = post("/series/new", &[&fields[..], &[("action", "preview")]].concat());
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Các kỳ của năm đầu") && page.contains("Quý IV/2031"),
        "{page}"
    );
    assert!(
        env.baocao(&["series", "list", "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (status, head, _) = post("/series/new", &[&fields[..], &[("action", "save")]].concat());
    assert_eq!(status, 303, "{head}");
    assert_eq!(header(&head, "location").as_deref(), Some("/series/bc-quy"));
    let shown = env.baocao(&["series", "show", "bc-quy", "--json"]).ok().json();
    assert_eq!(shown["input"]["deadline_text"], "ngày 15 tháng cuối kỳ", "{shown:#}");
    let audit = env.baocao(&["audit", "--key", "bc-quy", "--json"]).ok().json();
    assert_eq!(audit[0]["actor"], CLERK, "{audit:#}");
    // The same code again is refused beside it.
    let (status, _, page) = post("/series/new", &[&fields[..], &[("action", "save")]].concat());
    assert_eq!(status, 400, "{page}");
    assert!(page.contains(r#"id="code-error""#), "{page}");
}

#[test]
fn a_series_is_edited_on_the_page_for_the_periods_to_come() {
    let env = office();
    env.baocao(&[
        "series",
        "add",
        "bc-quy",
        "--doc",
        "12/KH-SGDĐT",
        "--title",
        "Báo cáo công tác giáo dục",
        "--period",
        "quy",
        "--deadline",
        "ngày 15 tháng cuối kỳ",
        "--cut-off",
        "10",
        "--group",
        "phong-gddt",
        "--from",
        "Quý I/2031",
    ])
    .ok();
    let service = InProcess::start(&env);
    let port = service.web_port();
    let (session, csrf) = log_in(port);
    let post = |path: &str, fields: &[(&str, &str)]| post_form(port, (&session, &csrf), path, fields);
    let (status, _, page) = http(port, "GET", "/series/bc-quy/edit", &[("Cookie", &session)], "");
    let page = page.replace("&#x2f;", "/");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(r#"value="ngày 15 tháng cuối kỳ""#),
        "the stored rule: {page}"
    );
    assert!(page.contains(r#"id="cut_off" name="cut_off" value="10""#), "{page}");

    let fields = |deadline: &'static str| {
        vec![
            ("title", "Báo cáo công tác giáo dục và đào tạo"),
            ("deadline", deadline),
            ("cut_off", "10"),
            ("lead_days", "20"),
            ("group", "phong-gddt"),
            ("group", "truc-thuoc"),
            ("action", "save"),
        ]
    };
    let (status, _, page) = post("/series/bc-quy/edit", &fields("hằng tuần"));
    assert_eq!(status, 400, "{page}");
    assert!(page.contains(r#"id="deadline-error""#), "{page}");
    let (status, head, _) = post("/series/bc-quy/edit", &fields("ngày 20 tháng cuối kỳ"));
    assert_eq!(status, 303, "{head}");
    let shown = env.baocao(&["series", "show", "bc-quy", "--json"]).ok().json();
    assert_eq!(shown["input"]["deadline_text"], "ngày 20 tháng cuối kỳ", "{shown:#}");
    assert_eq!(shown["input"]["schedule"]["lead_days"], 20, "{shown:#}");
    assert_eq!(
        shown["input"]["first_period"]["year"], 2031,
        "the first period stays: {shown:#}"
    );
    let audit = env.baocao(&["audit", "--key", "bc-quy", "--json"]).ok().json();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["actor"] == CLERK && r["via"] == "web"),
        "{audit:#}"
    );
}

#[test]
fn series_add_with_empty_reminders_sends_none_and_the_page_keeps_them_on_edit() {
    let env = office();
    env.baocao(&[
        "series",
        "add",
        "bc-quy",
        "--doc",
        "12/KH-SGDĐT",
        "--title",
        "Báo cáo công tác giáo dục",
        "--period",
        "quy",
        "--deadline",
        "ngày 15 tháng cuối kỳ",
        "--group",
        "phong-gddt",
        "--from",
        "Quý I/2031",
        "--remind",
        "",
        "--overdue",
        "",
    ])
    .ok();
    let shown = env.baocao(&["series", "show", "bc-quy", "--json"]).ok().json();
    assert_eq!(shown["input"]["remind_before"], serde_json::json!([]), "{shown:#}");
    assert_eq!(shown["input"]["overdue_after"], serde_json::json!([]), "{shown:#}");
    // Edited on the page with the reminder fields left empty: still none.
    let service = InProcess::start(&env);
    let port = service.web_port();
    let (session, csrf) = log_in(port);
    let (status, head, _) = post_form(
        port,
        (&session, &csrf),
        "/series/bc-quy/edit",
        &[
            ("title", "Báo cáo công tác giáo dục quý"),
            ("deadline", "ngày 15 tháng cuối kỳ"),
            ("group", "phong-gddt"),
            ("action", "save"),
        ],
    );
    assert_eq!(status, 303, "{head}");
    let shown = env.baocao(&["series", "show", "bc-quy", "--json"]).ok().json();
    assert_eq!(shown["input"]["title"], "Báo cáo công tác giáo dục quý", "{shown:#}");
    assert_eq!(shown["input"]["remind_before"], serde_json::json!([]), "{shown:#}");
}
