//! What the logs may never show, at any level: a password (in clear or in any of the base64
//! forms SMTP and IMAP authentication put on the wire) or a message body.

use std::time::Duration;

use crate::harness::mail_env::{MailEnv, mail_env};
use crate::harness::mail_lab::MailLab;
use crate::harness::service::{ALWAYS_OPEN, Service};
use crate::harness::{Backend, base64};

#[test]
fn no_log_level_shows_a_password_or_a_message_body() {
    let MailEnv { env, mailbox, .. } = mail_env(Backend::Sqlite, None, ALWAYS_OPEN);
    env.seed_000_request("17h00 ngày 30/12/2030");
    // The service: SMTP with AUTH (the lab's submission port requires it) for the notices,
    // IMAP login and IDLE for the mailbox.
    let mut service = Service::start_logging(&env, None, "trace");
    service.wait_for_status(Duration::from_secs(20), |s| s.contains("(IDLE)"));
    service.wait_for_log(Duration::from_secs(30), "message sent");
    service.stop();
    let mut logs = service.log_text();
    // And doctor's checks, which log in to both servers.
    let doctor = env.command(&["doctor"]).env("RUST_LOG", "trace").output().unwrap();
    logs.push_str(&String::from_utf8_lossy(&doctor.stdout));
    logs.push_str(&String::from_utf8_lossy(&doctor.stderr));
    assert!(logs.contains("DEBUG"), "the lowest levels were on:\n{logs}");

    let password = MailLab::PASSWORD;
    let forbidden = [
        password.to_string(),
        base64(password.as_bytes()),
        base64(format!("\0{mailbox}\0{password}").as_bytes()),
        base64(format!("{mailbox}\0{mailbox}\0{password}").as_bytes()),
    ];
    for secret in &forbidden {
        assert!(!logs.contains(secret.as_str()), "the logs show {secret:?}");
    }
    // The notice's own words never reach the log either.
    for words in ["Kính gửi", "Trân trọng", "Triển khai thực hiện Kế hoạch vận động"] {
        assert!(!logs.contains(words), "the logs show message text {words:?}");
    }
}
