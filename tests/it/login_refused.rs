//! A wrong mail password is its own state, not a network hiccup: the service keeps running
//! (systemd must not restart it into more failed logins) but says what is wrong — status
//! line, `/healthz` 503, `baocao status` in Vietnamese with exit code 77, the digest — and
//! tries the password again only after minutes, once.

use std::time::Duration;

use crate::harness::mail_env::{MailEnv, mail_env};
use crate::harness::service::{ALWAYS_OPEN, Service, holds_for, http};
use crate::harness::{Backend, Env, Run};

/// An office on the lab whose `section` (`smtp` or `imap`) reads a wrong password.
/// `baocao status`, once the service has written the refusal and status exits 77.
fn status_once_refused(env: &Env) -> Run {
    crate::harness::service::wait_until(Duration::from_secs(15), "status exits 77", || {
        env.baocao(&["status"]).code == 77
    });
    env.baocao(&["status"])
}

fn office_with_wrong_password(section: &str, extra: &str) -> (Env, String) {
    let MailEnv { env, mailbox, .. } = mail_env(Backend::Sqlite, None, &format!("{ALWAYS_OPEN}\n{extra}"));
    let wrong = env.write("wrong-password", "mat-khau-cu\n");
    std::fs::set_permissions(&wrong, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let config = std::fs::read_to_string(&env.config).unwrap();
    let at = config.find(&format!("[{section}]")).unwrap();
    let (head, tail) = config.split_at(at);
    let right = env.path("lab-password");
    let tail = tail.replacen(&right.display().to_string(), &wrong.display().to_string(), 1);
    std::fs::write(&env.config, format!("{head}{tail}")).unwrap();
    (env, mailbox)
}

fn log_count(service: &Service, text: &str) -> usize {
    service.log_text().matches(text).count()
}

#[test]
fn a_refused_imap_login_is_said_everywhere_and_not_retried_at_once() {
    let (env, mailbox) = office_with_wrong_password("imap", "");
    let service = Service::start(&env, None);
    let status = service.wait_for_status(Duration::from_secs(30), |s| s.contains("IMAP login refused"));
    assert!(status.contains(&mailbox), "{status}");
    let port = service.web_port();
    let (code, _, body) = http(port, "GET", "/healthz", &[], "");
    assert_eq!(code, 503, "{body}");
    assert_eq!(body.trim(), "unhealthy: login refused by imap");
    assert!(!body.contains(&mailbox), "no personal data without login: {body}");

    // `baocao status` says it in Vietnamese and exits 77, once the service has written it.
    let run = status_once_refused(&env);
    run.assert_stderr_contains("từ chối đăng nhập hộp thư nhận báo cáo");
    run.assert_stderr_contains("systemctl restart baocao");

    // The service stays up and fed the watchdog, and has tried the password only once.
    let refused = || service.log_text().matches("login_refused=true").count();
    holds_for(Duration::from_secs(5), "one login attempt", || refused() <= 1);
    assert_eq!(refused(), 1, "{}", service.log_text());
    let pings_after = service
        .notes()
        .iter()
        .rev()
        .take_while(|(_, n)| !n.starts_with("STATUS=IMAP login refused"))
        .filter(|(_, n)| n == "WATCHDOG=1")
        .count();
    assert!(pings_after > 0, "the watchdog is still fed: {:#?}", service.notes());
}

#[test]
fn a_refused_smtp_login_stops_the_pass_after_one_attempt() {
    let (env, _) = office_with_wrong_password("smtp", "");
    env.seed_000_request("17h00 ngày 30/12/2030");
    let service = Service::start(&env, None);
    let status = service.wait_for_status(Duration::from_secs(30), |s| s.contains("SMTP login refused"));
    assert!(status.contains("check the SMTP password"), "{status}");
    // 23 notices were due; the server heard the wrong password once.
    holds_for(Duration::from_secs(4), "one refused send", || {
        log_count(&service, "send failed") <= 1
    });
    assert_eq!(log_count(&service, "send failed"), 1, "{}", service.log_text());
    let outbox = env.baocao(&["outbox", "list", "--json"]).ok().json();
    let not_tried = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("từ chối đăng nhập"))
        })
        .count();
    let (code, _, body) = http(service.web_port(), "GET", "/healthz", &[], "");
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("smtp"), "{body}");
    let run = status_once_refused(&env);
    run.assert_stderr_contains("máy chủ gửi thư từ chối đăng nhập");
    assert!(not_tried <= 23, "{outbox:#}");
}
