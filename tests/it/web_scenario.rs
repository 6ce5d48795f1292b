//! Issue 18's whole scenario in a real browser, without the CLI: a clerk uploads seed 000's
//! unit list, makes the request from the seed directive, reads the letters, starts it; the
//! daemon mails the notices through the lab's Postfix, units reply to the lab's Dovecot and
//! the request page shows them counted; the clerk resolves the review queue, extends one
//! unit and downloads the export. A leader then reads the same pages and can change nothing.
//! Every page is checked with axe-core and kept as a screenshot in `target/test-artifacts/`
//! (the README's pictures come from here). The CLI is used only to check what the page did.

use std::time::Duration;

use fantoccini::Locator;
use fantoccini::key::Key;

use crate::harness::browser::{Browser, inside};
use crate::harness::mail_env::{MailEnv, mail_env, reply, wait_for};
use crate::harness::service::{ALWAYS_OPEN, Service, http, wait_until};
use crate::harness::web::{CLERK_PASSWORD, hidden_field};
use crate::harness::{Backend, repo_root};

const LEADER: &str = "giamdoc";
const LEADER_PASSWORD: &str = "mật-khẩu-giám-đốc-2026";

/// Seed 000's unit list (config/seed-000-units.csv) with each unit's address in the lab, as
/// the clerk would upload it; the file and each unit's address.
fn unit_list(m: &MailEnv) -> (tempfile::TempPath, Vec<(String, String)>) {
    let seed = std::fs::read_to_string(repo_root().join("config/seed-000-units.csv")).unwrap();
    let mut csv = String::new();
    let mut addresses = Vec::new();
    for (i, line) in seed.trim_start_matches('\u{feff}').lines().enumerate() {
        let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
        if i > 0 {
            cells[3] = m.lab.address(&cells[0]);
            addresses.push((cells[0].clone(), cells[3].clone()));
        }
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    let file = tempfile::Builder::new()
        .prefix("danh-sach-don-vi")
        .suffix(".csv")
        .tempfile()
        .unwrap();
    std::fs::write(file.path(), csv).unwrap();
    (file.into_temp_path(), addresses)
}

fn address_of<'a>(addresses: &'a [(String, String)], unit: &str) -> &'a str {
    &addresses.iter().find(|(code, _)| code == unit).unwrap().1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_runs_the_seed_scenario_in_the_browser_and_a_leader_only_reads_it() {
    let m = mail_env(
        Backend::Sqlite,
        None,
        &format!("{ALWAYS_OPEN}\n[templates]\ndir = \"mau-thu\"\n"),
    );
    let env = &m.env;
    std::fs::create_dir_all(env.dir.path().join("mau-thu")).unwrap();
    env.add_clerk();
    env.add_web_user(LEADER, LEADER_PASSWORD);
    env.baocao(&["user", "role", LEADER, "lanh-dao"]).ok();
    let (list, addresses) = unit_list(&m);
    let service = Service::start(env, None);
    service.wait_ready();
    let port = service.web_port();
    let base = format!("http://127.0.0.1:{port}");
    let browser = Browser::start().await;
    // Signed in with the keyboard only: the name, Tab to the password, Enter.
    browser.client.goto(&format!("{base}/")).await.unwrap();
    browser.assert_accessible("/login").await;
    let name = browser.find(Locator::Css("input[name=user]")).await;
    name.click().await.unwrap();
    let keys = format!(
        "{}{}{CLERK_PASSWORD}{}",
        crate::harness::web::CLERK,
        Key::Tab,
        Key::Enter
    );
    let focused = browser.client.active_element().await.unwrap();
    focused.send_keys(&keys).await.unwrap();
    browser.text_with("Các yêu cầu báo cáo").await;

    // 1. The unit list: a list with a bad row is refused whole, row by row; the corrected list
    // shows what would change, then is applied.
    browser.open(&format!("{base}/units"), "Tải danh sách đơn vị").await;
    browser.assert_accessible("/units (empty)").await;
    let bad = env.write(
        "danh-sach-loi.csv",
        "ma,ten,nhom,email\npgd-a,Phòng A,phong-gddt,khong-phai-dia-chi\npgd-b,,phong-gddt,b@lab.test\n",
    );
    browser.choose_file(Locator::Id("file"), &bad).await;
    browser.click(Locator::Css("form[action='/units/upload'] button")).await;
    let page = browser.text_with("Không áp dụng gì: tệp có 2 lỗi.").await;
    assert!(page.contains("khong-phai-dia-chi"), "{page}");
    browser.assert_accessible("/units/upload (refused)").await;
    browser.screenshot("units-refused.png").await;
    let listed = env.baocao(&["unit", "list", "--json"]).ok().json();
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "nothing applied: {listed}");
    browser.open(&format!("{base}/units"), "Tải danh sách đơn vị").await;
    browser.choose_file(Locator::Id("file"), &list).await;
    browser.click(Locator::Css("form[action='/units/upload'] button")).await;
    let page = browser.text_with("Áp dụng tất cả").await;
    assert!(page.contains("Phòng Giáo dục và Đào tạo huyện Tuần Giáo"), "{page}");
    browser.assert_accessible("/units/upload (preview)").await;
    browser.screenshot("units-preview.png").await;
    browser.click(Locator::Css("form[action='/units/apply'] button")).await;
    let page = browser.text_with("Đã áp dụng danh sách").await;
    assert!(page.contains("thêm 23"), "{page}");
    browser.assert_accessible("/units").await;
    browser.screenshot("units.png").await;
    // A unit typed by hand with an address another unit has: refused next to the field.
    browser.click(Locator::Css("details summary")).await;
    browser.fill(Locator::Id("u-code"), "pgd-moi").await;
    browser.fill(Locator::Id("u-name"), "Phòng Giáo dục <mới>").await;
    browser
        .fill(Locator::Id("u-emails"), address_of(&addresses, "pgd-muongcha"))
        .await;
    browser.click(Locator::Css("form[action='/units/save'] button")).await;
    browser.text_with("Chưa lưu đơn vị").await;
    let said = browser.text_of(Locator::Id("u-emails-error")).await;
    assert!(said.contains("đã thuộc đơn vị `pgd-muongcha`"), "{said}");
    let kept = browser.find(Locator::Id("u-name")).await.prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("Phòng Giáo dục <mới>"), "what was typed is kept");
    browser.assert_accessible("/units/save (refused)").await;
    browser.screenshot("unit-refused.png").await;
    browser
        .open(&format!("{base}/units/pgd-muongcha"), "Sáp nhập vào đơn vị khác")
        .await;
    browser.assert_accessible("/units/pgd-muongcha").await;

    // 2. The request from the seed directive: the proposal, corrected, previewed, saved.
    browser
        .open(&format!("{base}/requests/from"), "Tạo yêu cầu từ công văn")
        .await;
    browser.assert_accessible("/requests/from").await;
    let directive = repo_root().join("tests/fixtures/directives/seeds/000_f994f167548f7438.txt");
    browser.choose_file(Locator::Id("file"), &directive).await;
    browser
        .click(Locator::Css("form[action='/requests/from'] button"))
        .await;
    let page = browser.text_with("Đọc từ văn bản").await;
    assert!(page.contains("THIẾU"), "the directive's own number is missing: {page}");
    browser.assert_accessible("/requests/from (proposal)").await;
    browser.screenshot("request-from-directive.png").await;
    browser.fill(Locator::Id("code"), "2150/SGDĐT-VP").await;
    browser
        .fill(
            Locator::Id("title"),
            "Triển khai thực hiện Kế hoạch vận động hiến máu tình nguyện",
        )
        .await;
    // A deadline baocao cannot read is refused next to its field.
    browser.fill(Locator::Id("deadline"), "khi nào xong").await;
    browser.click(Locator::Css("button[value=preview]")).await;
    browser.text_with("Hạn báo cáo, như văn bản ghi").await;
    let said = browser.text_of(Locator::Id("deadline-error")).await;
    assert!(!said.is_empty(), "the refusal beside the deadline");
    browser.assert_accessible("/requests/new (refused)").await;
    browser.screenshot("request-new-refused.png").await;
    browser.fill(Locator::Id("deadline"), "trước ngày 31/12/2030").await;
    browser.click(Locator::Css("button[value=preview]")).await;
    let page = browser.text_with("Gửi tới 23 đơn vị").await;
    assert!(page.contains("30/12/2030 lúc 23:59"), "{page}");
    browser.assert_accessible("/requests/new (preview)").await;
    browser.click(Locator::Css("button[value=save]")).await;
    browser.text_with("Bắt đầu theo dõi").await;
    let shown = env.baocao(&["request", "show", "BC-1", "--json"]).ok().json();
    assert_eq!(shown["state"], "draft", "{shown:#}");
    assert_eq!(shown["code"], "2150/SGDĐT-VP", "{shown:#}");

    // 3. The letters as units will read them.
    browser.click(Locator::LinkText("Xem trước thư gửi đơn vị")).await;
    let page = browser.text_with("Kính gửi").await;
    assert!(page.contains("[BC-1]") && page.contains("Trân trọng./."), "{page}");
    browser.assert_accessible("/requests/BC-1/letters").await;
    browser.screenshot("letters.png").await;

    // The notice's text, edited: a variable that does not exist is refused with its line, then
    // the office's own sentence is added and the letters show it.
    browser.open(&format!("{base}/templates"), "Mẫu thư").await;
    browser.assert_accessible("/templates").await;
    browser
        .open(
            &format!("{base}/templates/notice.body.txt"),
            "Thông báo yêu cầu báo cáo",
        )
        .await;
    let text = browser
        .find(Locator::Id("text"))
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    browser
        .fill(Locator::Id("text"), &format!("{text}\n{{{{ unit.so_dien_thoai }}}}\n"))
        .await;
    browser.click(Locator::Css("button[value=save]")).await;
    let said = browser.text_with("Mẫu chưa dùng được").await;
    assert!(said.contains("không có biến `unit.so_dien_thoai` (dòng"), "{said}");
    browser.assert_accessible("/templates/notice.body.txt (refused)").await;
    browser.screenshot("template-refused.png").await;
    let sentence = "Mọi vướng mắc xin liên hệ Văn phòng Sở, điện thoại 0215 3825 123.";
    browser
        .fill(Locator::Id("text"), &format!("{}\n{sentence}\n", text.trim_end()))
        .await;
    browser.click(Locator::Css("button[value=save]")).await;
    browser.text_with("Đã lưu").await;
    let page = browser.open(&format!("{base}/requests/BC-1/letters"), "Kính gửi").await;
    assert!(page.contains(sentence), "{page}");

    // A quarterly report, its year previewed (the form checked with axe as well).
    browser.open(&format!("{base}/series/new"), "Tạo báo cáo định kỳ").await;
    browser.fill(Locator::Id("code"), "bc-quy-hien-mau").await;
    browser.fill(Locator::Id("doc"), "2151/SGDĐT-VP").await;
    browser
        .fill(Locator::Id("title"), "Báo cáo kết quả vận động hiến máu")
        .await;
    browser
        .find(Locator::Id("period"))
        .await
        .select_by_value("quy")
        .await
        .unwrap();
    browser.fill(Locator::Id("deadline"), "ngày 20 tháng cuối kỳ").await;
    browser.fill(Locator::Id("from"), "Quý I/2031").await;
    browser.click(Locator::Css("button[value=preview]")).await;
    let plan = browser.text_with("Các kỳ của năm đầu").await;
    assert!(plan.contains("Quý IV/2031"), "{plan}");
    browser.assert_accessible("/series/new (preview)").await;
    browser.screenshot("series-new.png").await;

    // 4. Started: the daemon mails every unit its notice.
    browser.open(&format!("{base}/requests/BC-1"), "Bắt đầu theo dõi").await;
    browser.click(Locator::Css("form[action$='/activate'] button")).await;
    browser.text_with("Đóng yêu cầu").await;
    let muongcha = address_of(&addresses, "pgd-muongcha");
    wait_for(m.lab, muongcha, 1);
    let notice = String::from_utf8_lossy(&m.lab.messages(muongcha)[0]).into_owned();
    let sent = env.baocao(&["outbox", "list", "--json"]).ok().json();
    let first = sent
        .as_array()
        .and_then(|all| all.first())
        .expect("the notices in the outbox")["id"]
        .to_string();
    let letter = env.baocao(&["outbox", "show", &first, "--json"]).ok().json();
    assert!(
        letter["body"].as_str().is_some_and(|b| b.contains(sentence)),
        "the edited notice went: {letter:#}"
    );
    let notice_id = notice
        .lines()
        .find_map(|l| {
            l.strip_prefix("Message-ID: <")
                .or_else(|| l.strip_prefix("Message-Id: <"))
        })
        .and_then(|l| l.strip_suffix('>'))
        .unwrap_or_else(|| panic!("{notice}"))
        .to_string();

    // 5. Replies arrive: Mường Chà answers the notice; a teacher of Tuần Giáo reports from an
    // address nobody registered, which waits for the clerk.
    m.lab.submit(
        muongcha,
        &m.mailbox,
        &reply(
            muongcha,
            &m.mailbox,
            "muongcha-1@lab.test",
            Some(&notice_id),
            "",
            "Kính gửi Sở, Phòng gửi báo cáo.",
        ),
    );
    let stranger = m.lab.address("lovantuan");
    m.lab.submit(
        &stranger,
        &m.mailbox,
        &reply(
            &stranger,
            &m.mailbox,
            "tuangiao-1@lab.test",
            None,
            "",
            "Em gửi báo cáo của Phòng GD Tuần Giáo.",
        ),
    );
    wait_until(Duration::from_secs(30), "both replies taken in", || {
        let (_, _, page) = http(port, "GET", "/healthz", &[], "");
        page == "ok\n"
            && env.unit_status("BC-1", "pgd-muongcha")["state"] == "reported"
            && env
                .baocao(&["review", "list", "--json"])
                .ok()
                .json()
                .as_array()
                .is_some_and(|a| a.len() == 1)
    });
    browser.client.refresh().await.unwrap();
    let row = browser.text_of(Locator::Id("unit-pgd-muongcha")).await;
    assert!(
        row.contains("đã báo cáo") && row.contains("Báo cáo hiến máu.pdf"),
        "{row}"
    );
    let overview = browser.open(&format!("{base}/"), "Chờ xem xét (1)").await;
    assert!(overview.contains("Đã báo cáo: 1/23"), "{overview}");
    browser.assert_accessible("/").await;
    browser.screenshot("overview.png").await;

    // 6. The review queue: the report goes to Tuần Giáo and the address is remembered.
    browser.open(&format!("{base}/review"), &stranger).await;
    browser.assert_accessible("/review").await;
    browser.screenshot("review.png").await;
    let item = browser.find(Locator::Css("[id^=item-]")).await;
    inside(&item, "select[name=unit]")
        .await
        .select_by_value("pgd-tuangiao")
        .await
        .unwrap();
    inside(&item, "input[name=remember]").await.click().await.unwrap();
    inside(&item, "form.assign button").await.click().await.unwrap();
    browser.text_with("Không có thư nào chờ xem xét.").await;
    assert_eq!(env.unit_status("BC-1", "pgd-tuangiao")["state"], "reported");

    // 7. One unit gets a later deadline from the request page.
    browser.open(&format!("{base}/requests/BC-1"), "Gia hạn").await;
    browser
        .click(Locator::Css("input[form=extend][value=pgd-tuachua]"))
        .await;
    browser
        .fill(Locator::Css("#extend input[name=until]"), "17 giờ 00 ngày 15/01/2031")
        .await;
    browser.click(Locator::Css("#extend button")).await;
    wait_until(Duration::from_secs(10), "Tủa Chùa's later deadline", || {
        env.unit_status("BC-1", "pgd-tuachua")["deadline"] == "2031-01-15T10:00:00Z"
    });
    browser.text_with("Đã báo cáo 2/23").await;
    let chart = browser.text_of(Locator::Id("chart")).await;
    assert!(chart.contains("Báo cáo nhận theo ngày"), "{chart}");
    let drawing = browser
        .find(Locator::Css("#chart svg title"))
        .await
        .html(true)
        .await
        .unwrap();
    assert!(drawing.contains("2/23"), "the running total drawn: {drawing}");
    browser.assert_accessible("/requests/BC-1").await;
    browser.screenshot("request.png").await;

    // The letters still to go, each time with its reason; the outbox; the edit form.
    let plan = browser
        .open(&format!("{base}/requests/BC-1/plan"), "Lịch gửi thư")
        .await;
    assert!(plan.contains("nhắc trước hạn"), "{plan}");
    browser.assert_accessible("/requests/BC-1/plan").await;
    let outbox = browser.open(&format!("{base}/outbox"), "Thư gửi đi").await;
    assert!(
        outbox.contains("Không có thư lỗi.") && outbox.contains("đã gửi"),
        "{outbox}"
    );
    browser.assert_accessible("/outbox").await;
    browser.screenshot("outbox.png").await;
    browser
        .open(&format!("{base}/requests/BC-1/edit"), "Sửa yêu cầu BC-1")
        .await;
    browser.fill(Locator::Id("deadline"), "17h00 ngày 01/12/2030").await;
    browser.click(Locator::Css("form[action$='/edit'] button")).await;
    let said = browser.text_with("Chưa lưu").await;
    assert!(said.contains("chỉ được lùi hạn"), "{said}");
    browser.assert_accessible("/requests/BC-1/edit (refused)").await;
    browser.open(&format!("{base}/requests/BC-1"), "Đã báo cáo 2/23").await;

    // 8. The export, as the link downloads it.
    let (status, head, body) = browser.download("tất cả (XLSX)", port).await;
    assert_eq!(status, 200, "{head}");
    assert!(body.starts_with("PK"), "an XLSX (zip) file");
    assert!(head.to_lowercase().contains("spreadsheetml"), "{head}");

    // 9. The leader reads everything and is offered nothing to change.
    browser.client.delete_all_cookies().await.unwrap();
    browser.log_in_as(&base, LEADER, LEADER_PASSWORD).await;
    browser.text_with("Đã báo cáo: 2/23").await;
    browser.open(&format!("{base}/requests/BC-1"), "Đã báo cáo 2/23").await;
    let source = browser.source().await;
    let forms = source.matches("method=\"post\"").count();
    assert_eq!(forms, 1, "only the sign-out form: {source}");
    browser.assert_accessible("/requests/BC-1 (lãnh đạo)").await;
    browser.screenshot("request-leader.png").await;
    for page in [
        "/units",
        "/review",
        "/requests/BC-1/letters",
        "/requests/BC-1/plan",
        "/outbox",
        "/series",
        "/audit",
        "/templates/notice.body.txt",
    ] {
        browser.client.goto(&format!("{base}{page}")).await.unwrap();
        let source = browser.source().await;
        assert_eq!(
            source.matches("method=\"post\"").count(),
            1,
            "{page} offers the leader a change: {source}"
        );
    }
    let text = browser.open(&format!("{base}/requests/new"), "lãnh đạo").await;
    assert!(!text.contains("Lưu bản nháp"), "{text}");
    let text = browser.open(&format!("{base}/audit"), "Nhật ký thay đổi").await;
    assert!(text.contains(crate::harness::web::CLERK), "the clerk's changes: {text}");
    // A change sent anyway is refused, and changes nothing.
    let cookie = browser.session_cookie().await;
    let csrf = hidden_field(&browser.source().await, "csrf").expect("the sign-out form's token");
    let (status, _, page) = http(
        port,
        "POST",
        "/requests/BC-1/mark",
        &[("Cookie", &cookie)],
        &format!("unit=pgd-dienbien&note=giay&csrf={csrf}"),
    );
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("lãnh đạo"), "{page}");
    assert_eq!(env.unit_status("BC-1", "pgd-dienbien")["state"], "pending");
    // On a phone's screen the page fits its width: wide tables scroll inside themselves.
    browser.client.set_window_size(390, 844).await.unwrap();
    for page in ["/", "/requests/BC-1", "/units"] {
        browser.client.goto(&format!("{base}{page}")).await.unwrap();
        let fits = browser
            .client
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth + 1;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(fits, serde_json::json!(true), "{page} is wider than a phone's screen");
    }
    browser.client.goto(&format!("{base}/requests/BC-1")).await.unwrap();
    browser.assert_accessible("/requests/BC-1 (phone)").await;
    browser.screenshot("request-phone.png").await;
    browser.assert_all_accessible();
    browser.stop().await;
}
