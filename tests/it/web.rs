//! The status page in a real browser (headless Chromium driven through ChromeDriver): log
//! in, see the overview's counts for a prepared store, open a request, assign a review item
//! with "remember this address" and see the unit turn reported; a wrong password and a POST
//! without the CSRF token are refused. Screenshots of the overview and the request page are
//! kept in `target/test-artifacts/`. And `/metrics` follows messages as the watcher counts them.

use std::time::Duration;

use fantoccini::Locator;

use crate::harness::browser::{Browser, inside, type_into};
use crate::harness::in_process::InProcess;
use crate::harness::mail_env::{MailEnv, mail_env, text_reply};
use crate::harness::service::{ALWAYS_OPEN, Service, holds_for, http, wait_until};
use crate::harness::web::CLERK_PASSWORD;
use crate::harness::{Backend, Env};

/// Seed 000's units, request BC-1 (due 2030), one unit marked reported, and a report from
/// an unknown personal address waiting in review.
fn prepared_office() -> Env {
    let env = Env::new(Backend::Sqlite);
    env.append_config(ALWAYS_OPEN);
    env.seed_000_request("17h00 ngày 30/12/2030");
    env.baocao(&["mark", "BC-1", "pgd-muongcha", "--note", "nhận bản giấy"])
        .ok();
    let message = "From: Lò Văn Tuấn <lovantuan.tuangiao@gmail.com>\nTo: vanphong.sodienbien@moet.edu.vn\n\
        Subject: Báo cáo [BC-1] của Phòng GD&ĐT Tuần Giáo\nMessage-ID: <tuangiao-gmail-1@mail.gmail.com>\n\
        MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain; charset=utf-8\n\n\
        Kính gửi Văn phòng Sở, em gửi báo cáo của Phòng.\n--b\nContent-Type: application/pdf; name=\"bao-cao-tuan-giao.pdf\"\n\
        Content-Disposition: attachment; filename=\"bao-cao-tuan-giao.pdf\"\nContent-Transfer-Encoding: base64\n\n\
        JVBERi0xLjQKJcOkw7zDtsOf\n--b--\n";
    let imported = env.import_at("tuangiao.eml", message, "09:00 ngày 20/12/2030");
    assert_eq!(imported["state"], "review", "{imported:#}");
    // A unit that asks for more time instead of reporting.
    let more_time = "From: pgddt.tuachua@dienbien.edu.vn\nTo: vanphong.sodienbien@moet.edu.vn\n\
        Subject: [BC-1] Xin gia hạn báo cáo\nMessage-ID: <tuachua-1@dienbien.edu.vn>\nMIME-Version: 1.0\n\
        Content-Type: text/plain; charset=utf-8\n\nKính gửi Văn phòng Sở, Phòng xin gia hạn nộp báo cáo đến tháng 1.\n";
    let imported = env.import_at("tuachua.eml", more_time, "09:30 ngày 20/12/2030");
    assert_eq!(imported["state"], "review", "{imported:#}");
    env.add_clerk();
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_logs_in_sees_the_counts_and_assigns_a_review_item_in_the_browser() {
    let env = prepared_office();
    let service = Service::start(&env, None);
    service.wait_ready();
    let port = service.web_port();
    let base = format!("http://127.0.0.1:{port}");
    let browser = Browser::start().await;

    // Read pages need a login; a wrong password is refused.
    browser.log_in(&base, "mat-khau-sai").await;
    let page = browser.text_with("Sai tên đăng nhập hoặc mật khẩu.").await;
    assert!(!page.contains("Các yêu cầu báo cáo đang theo dõi"));

    browser.log_in(&base, CLERK_PASSWORD).await;
    let page = browser.text_with("Các yêu cầu báo cáo đang theo dõi").await;
    assert!(page.contains("BC-1 · Văn bản số 4189/KH-BCĐ"), "{page}");
    assert!(page.contains("Đã báo cáo: 1/23"), "{page}");
    assert!(page.contains("Chưa đến hạn: 21"), "{page}");
    assert!(page.contains("Quá hạn: 0"), "{page}");
    assert!(page.contains("Chờ xem xét: 1"), "the unit asking for more time: {page}");
    assert!(page.contains("Chờ xem xét (2)"), "the review queue in the menu: {page}");
    browser.screenshot("overview.png").await;

    // The request, unit by unit.
    browser.click(Locator::LinkText("BC-1 · Văn bản số 4189/KH-BCĐ")).await;
    browser.text_with("Thư nhắc đã gửi").await;
    let row = browser.text_of(Locator::Id("unit-pgd-muongcha")).await;
    assert!(row.contains("đã báo cáo") && row.contains("ghi nhận thủ công"), "{row}");
    let row = browser.text_of(Locator::Id("unit-pgd-tuangiao")).await;
    assert!(row.contains("chưa báo cáo"), "{row}");
    assert!(
        row.contains("3 ngày trước hạn") || row.contains("7 ngày trước hạn"),
        "next reminder and why: {row}"
    );
    browser.screenshot("request.png").await;

    // The review queue: assign the Gmail report to Tuần Giáo, remembering the address.
    browser.client.goto(&format!("{base}/review")).await.unwrap();
    let item = browser.find(Locator::Id("item-1")).await;
    let text = item.text().await.unwrap();
    assert!(
        text.contains("lovantuan.tuangiao@gmail.com") && text.contains("người gửi chưa đăng ký"),
        "{text}"
    );
    inside(&item, "select[name=unit]")
        .await
        .select_by_value("pgd-tuangiao")
        .await
        .unwrap();
    inside(&item, "input[name=remember]").await.click().await.unwrap();
    inside(&item, "form.assign button").await.click().await.unwrap();
    browser.text_without("lovantuan.tuangiao@gmail.com").await;

    // The unit that asked for more time gets a later deadline from the same queue.
    let item = browser.find(Locator::Id("item-2")).await;
    type_into(
        &inside(&item, "form.extend input[name=until]").await,
        "17:00 ngày 10/01/2031",
    )
    .await;
    inside(&item, "form.extend button").await.click().await.unwrap();
    browser.text_with("Không có thư nào chờ xem xét.").await;
    let tuachua = env.unit_status("BC-1", "pgd-tuachua");
    assert_eq!(tuachua["deadline"], "2031-01-10T10:00:00Z", "{tuachua:#}");

    browser.client.goto(&format!("{base}/requests/BC-1")).await.unwrap();
    let row = browser.text_of(Locator::Id("unit-pgd-tuangiao")).await;
    assert!(
        row.contains("đã báo cáo") && row.contains("bao-cao-tuan-giao.pdf"),
        "{row}"
    );
    let shown = env.baocao(&["unit", "show", "pgd-tuangiao"]).ok().stdout;
    assert!(
        shown.contains("lovantuan.tuangiao@gmail.com"),
        "address remembered: {shown}"
    );

    // The attachment downloads from the kept message.
    let cookies = browser.client.get_all_cookies().await.unwrap();
    let session = cookies
        .iter()
        .find(|c| c.name() == "baocao_session")
        .expect("a session cookie");
    assert_eq!(session.http_only(), Some(true));
    let cookie = format!("baocao_session={}", session.value());
    let (status, head, body) = browser.download("bao-cao-tuan-giao.pdf", port).await;
    assert_eq!(status, 200, "{head}");
    assert!(body.starts_with("%PDF-1.4"), "{body}");
    browser.stop().await;

    // A POST without the CSRF token is refused, even with a valid session; without a
    // session it needs a login.
    let (status, _, body) = http(
        port,
        "POST",
        "/requests/BC-1/mark",
        &[("Cookie", &cookie)],
        "unit=pgd-tuachua&note=giay",
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("CSRF"), "{body}");
    let (status, _, _) = http(
        port,
        "POST",
        "/requests/BC-1/mark",
        &[],
        "unit=pgd-tuachua&note=giay&csrf=x",
    );
    assert_eq!(status, 401);
    let tuachua = env.unit_status("BC-1", "pgd-tuachua");
    assert_eq!(tuachua["state"], "pending", "nothing changed");
    let (status, head, _) = http(port, "GET", "/", &[], "");
    assert_eq!(status, 303, "read pages need a login: {head}");
    let (_, head, _) = http(port, "GET", "/login", &[], "");
    let head = head.to_lowercase();
    for needed in [
        "x-frame-options: deny",
        "content-security-policy: default-src 'none'",
        "set-cookie: baocao_login=",
        "httponly; samesite=strict",
    ] {
        assert!(head.contains(needed), "{needed} missing:\n{head}");
    }

    // Closing a request asks for confirmation: the button alone submits nothing.
    let browser = Browser::start().await;
    browser.log_in(&base, CLERK_PASSWORD).await;
    browser.text_with("BC-1").await;
    browser.client.goto(&format!("{base}/requests/BC-1")).await.unwrap();
    let close_button = Locator::Css("form[action$='/close'] button");
    browser.click(close_button).await;
    let state = || env.baocao(&["request", "show", "BC-1", "--json"]).ok().json()["state"].clone();
    holds_for(Duration::from_millis(800), "not closed without confirmation", || {
        state() == "active"
    });
    browser
        .click(Locator::Css("form[action$='/close'] input[name=confirm]"))
        .await;
    browser.click(close_button).await;
    browser.text_with("đã đóng").await;
    assert_eq!(state(), "closed");
    browser.stop().await;
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn metrics_follow_the_messages_the_watcher_processes() {
    let MailEnv { env, lab, mailbox } = mail_env(Backend::Sqlite, None, ALWAYS_OPEN);
    let unit = lab.address("pgd-muongcha");
    env.muongcha_request(&unit);
    let service = InProcess::start(&env);
    let port = service.web_port();
    let scrape = || http(port, "GET", "/metrics", &[], "").2;
    wait_until(
        Duration::from_secs(20),
        "the notice being sent, the watcher connected and the clockwork fired once",
        || {
            let text = scrape();
            metric(&text, "baocao_outgoing_messages{kind=\"notice\",state=\"sent\"}") == Some(1.0)
                && metric(&text, "baocao_watcher_connected") == Some(1.0)
                && metric(&text, "baocao_last_tick_age_seconds").is_some_and(|age| age.is_finite())
        },
    );
    let before = scrape();
    assert_eq!(
        metric(&before, "baocao_incoming_messages{state=\"counted\",reason=\"report\"}"),
        None
    );
    assert_eq!(metric(&before, "baocao_outbox_queue_depth"), Some(0.0));
    assert!(
        metric(&before, "baocao_last_tick_age_seconds").is_some_and(|age| age < 10.0),
        "{before}"
    );

    let reply = |id: &str, subject: &str, extra: &str| {
        text_reply(&unit, &mailbox, subject, &format!("{id}@lab.test"), None, extra)
    };
    lab.submit(&unit, &mailbox, &reply("m1", "Báo cáo [BC-1]", ""));
    lab.submit(
        &unit,
        &mailbox,
        &reply(
            "m2",
            "Trả lời tự động: đang đi công tác",
            "Auto-Submitted: auto-replied\r\n",
        ),
    );
    wait_until(Duration::from_secs(20), "both messages in the metrics", || {
        let text = scrape();
        metric(&text, "baocao_incoming_messages{state=\"counted\",reason=\"report\"}") == Some(1.0)
            && metric(
                &text,
                "baocao_incoming_messages{state=\"ignored\",reason=\"auto_reply\"}",
            ) == Some(1.0)
    });
    let (status, _, body) = http(port, "GET", "/healthz", &[], "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, "ok\n", "no personal data without a login");
    // In the test's process too the service stops within its budget.
    let took = service.stop();
    assert!(took < Duration::from_secs(10), "stopping took {took:?}");
}
