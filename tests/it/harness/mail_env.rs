//! A test environment with the mail lab as its SMTP and IMAP servers, units with lab
//! addresses, and what most mail tests do with them: send at a time, read the outbox, wait for
//! delivery, write a reply.

use std::time::Duration;

use serde_json::Value;

use super::mail_lab::MailLab;
use super::{Backend, Env};

pub struct MailEnv {
    pub env: Env,
    pub lab: &'static MailLab,
    pub mailbox: String,
}

/// An environment whose `[smtp]` is the lab's submission port (STARTTLS, login) or, with
/// `port`, a relay in front of it.
pub fn mail_env(backend: Backend, port: Option<u16>, extra: &str) -> MailEnv {
    let extra = if extra.contains("[digest]") {
        extra.to_string()
    } else {
        format!("{extra}\n[digest]\nenabled = false\n")
    };
    let lab = MailLab::shared();
    let env = Env::new(backend);
    let mailbox = lab.address("vanphong");
    lab.write_config(&env, &mailbox, port.unwrap_or(lab.submission_port), &extra);
    MailEnv { env, lab, mailbox }
}

/// Registers units (code, Vietnamese name) with fresh lab addresses made from `prefix`.
pub fn add_units(m: &MailEnv, units: &[(&str, &str, &str)]) -> Vec<String> {
    lab_units(&m.env, m.lab, units)
}

/// Registers units (code, Vietnamese name, in group `gdnn-gdtx`) in `env` with fresh
/// addresses of `lab` made from `prefix`; their addresses.
pub fn lab_units(env: &Env, lab: &MailLab, units: &[(&str, &str, &str)]) -> Vec<String> {
    let addresses: Vec<String> = units.iter().map(|(_, _, prefix)| lab.address(prefix)).collect();
    env.import_units(
        units
            .iter()
            .zip(&addresses)
            .map(|((code, name, _), address)| [*code, *name, "gdnn-gdtx", address.as_str()]),
    );
    addresses
}

pub fn send_at(m: &MailEnv, at: &str) -> Value {
    m.env.baocao(&["reminders", "send", "--at", at, "--json"]).ok().json()
}

/// [`send_at`], asserting that it sent `count` messages.
#[track_caller]
pub fn assert_sends_at(m: &MailEnv, at: &str, count: u64) {
    let sent = send_at(m, at);
    assert_eq!(sent["outbox"]["sent"], count, "{sent:#}");
}

pub fn wait_for(lab: &MailLab, address: &str, count: usize) {
    assert!(
        lab.wait_for_inbox(address, count, Duration::from_secs(20)),
        "{address} has {} messages, expected {count}",
        lab.inbox_count(address)
    );
}

pub const UNITS: [(&str, &str, &str); 5] = [
    (
        "gdnn-muongang",
        "Trung tâm GDNN-GDTX huyện Mường Ảng",
        "ttgdnn-muongang",
    ),
    ("gdnn-tuachua", "Trung tâm GDNN-GDTX huyện Tủa Chùa", "ttgdnn-tuachua"),
    (
        "gdnn-dienbien",
        "Trung tâm GDNN-GDTX huyện Điện Biên",
        "ttgdnn-dienbien",
    ),
    (
        "gdnn-muongcha",
        "Trung tâm GDNN-GDTX huyện Mường Chà",
        "ttgdnn-muongcha",
    ),
    (
        "gdnn-tuangiao",
        "Trung tâm GDNN-GDTX huyện Tuần Giáo",
        "ttgdnn-tuangiao",
    ),
];

/// `In-Reply-To` and `References` naming `parent`, each line ending in `eol`.
fn threading(parent: Option<&str>, eol: &str) -> String {
    parent
        .map(|parent| format!("In-Reply-To: <{parent}>{eol}References: <{parent}>{eol}"))
        .unwrap_or_default()
}

/// A unit's plain-text report to the office as it goes over SMTP (CRLF): Message-ID `<id>`,
/// threaded under `parent` when given, then `extra_headers` (each ending in CRLF).
pub fn text_reply(from: &str, to: &str, subject: &str, id: &str, parent: Option<&str>, extra_headers: &str) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{threading}{extra_headers}\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nKính gửi Sở, đơn vị báo cáo kết quả \
         thực hiện kế hoạch: đã tổ chức 3 đợt hiến máu với 120 người tham gia.\r\n",
        threading = threading(parent, "\r\n"),
    )
}

/// Three district offices (code, Vietnamese name, address prefix), for tests that want
/// units by their `--unit` codes.
pub const DISTRICT_OFFICES: [(&str, &str, &str); 3] = [
    ("pgd-muongcha", "Phòng GD&ĐT huyện Mường Chà", "pgd-muongcha"),
    ("pgd-tuangiao", "Phòng GD&ĐT huyện Tuần Giáo", "pgd-tuangiao"),
    ("pgd-tuachua", "Phòng GD&ĐT huyện Tủa Chùa", "pgd-tuachua"),
];

/// A unit's reply as its mail client would write it, with or without attachment.
pub fn reply(from: &str, to: &str, id: &str, in_reply_to: Option<&str>, extra_headers: &str, text: &str) -> String {
    let threading = threading(in_reply_to, "\n");
    format!(
        "From: {from}\nTo: {to}\nSubject: RE: [BC-1] Thông báo yêu cầu báo cáo\nMessage-ID: <{id}>\n{threading}{extra_headers}\
         Date: Mon, 04 Mar 2030 09:00:00 +0700\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n{text}\n\
         --b1\nContent-Type: application/pdf; name=\"Báo cáo hiến máu.pdf\"\nContent-Disposition: attachment; \
         filename*=utf-8''B%C3%A1o%20c%C3%A1o%20hi%E1%BA%BFn%20m%C3%A1u.pdf\nContent-Transfer-Encoding: base64\n\n\
         JVBERi0xLjQKJcOkw7zDtsOf\n--b1--\n"
    )
}
