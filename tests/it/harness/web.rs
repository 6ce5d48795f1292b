//! The web page's clerk and what tests do with its forms and answers: encode a form, read a
//! header, a cookie or a hidden field, and log the clerk in over HTTP.

use std::net::Ipv4Addr;

use super::Env;
use super::service::{http, http_from};

/// The clerk's user name and password on every test's web page.
pub const CLERK: &str = "vanthu";
pub const CLERK_PASSWORD: &str = "mật-khẩu-văn-thư-2026";

/// Any value works for the login form's double-submit token, as long as cookie and field agree.
pub const LOGIN_TOKEN: &str = "0123456789abcdef";

impl Env {
    /// Adds the clerk as a web page user.
    pub fn add_clerk(&self) {
        self.add_web_user(CLERK, CLERK_PASSWORD);
    }
}

/// `text` percent-encoded, every byte but letters, digits and `-_.`.
pub fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A form body (`application/x-www-form-urlencoded`).
pub fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| format!("{name}={}", percent(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The first header `name` of an answer's head, its value trimmed.
pub fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim().to_string())
    })
}

/// The value of cookie `name` that the answer sets.
pub fn set_cookie(head: &str, name: &str) -> Option<String> {
    head.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case("set-cookie").then_some(value.trim())
        })
        .find_map(|value| {
            value
                .strip_prefix(&format!("{name}="))?
                .split(';')
                .next()
                .map(str::to_string)
        })
}

/// The value of the page's hidden field `name`, as the page writes it.
pub fn hidden_field(page: &str, name: &str) -> Option<String> {
    let before = format!(r#"name="{name}" value=""#);
    let start = page.find(&before)? + before.len();
    Some(page[start..].chars().take_while(|c| *c != '"').collect())
}

/// The login form's body for `user` with `password`, going to `next`.
pub fn login_body(user: &str, password: &str, next: &str) -> String {
    form(&[
        ("user", user),
        ("password", password),
        ("csrf", LOGIN_TOKEN),
        ("next", next),
    ])
}

/// The clerk's login with `password`, going to `next`, from the local address `from`.
pub async fn log_in_from(from: Ipv4Addr, port: u16, password: &str, next: &str) -> (u16, String, String) {
    let cookie = format!("baocao_login={LOGIN_TOKEN}");
    let body = login_body(CLERK, password, next);
    http_from(from, port, "POST", "/login", &[("Cookie", &cookie)], &body).await
}

/// Logs the clerk in with the right password; the session cookie (`baocao_session=…`).
pub fn session_cookie(port: u16) -> String {
    let cookie = format!("baocao_login={LOGIN_TOKEN}");
    let body = login_body(CLERK, CLERK_PASSWORD, "/");
    let (status, head, _) = http(port, "POST", "/login", &[("Cookie", &cookie)], &body);
    assert_eq!(status, 303, "{head}");
    let session = set_cookie(&head, "baocao_session").unwrap_or_else(|| panic!("no session cookie: {head}"));
    format!("baocao_session={session}")
}

/// 160 wrong passwords sent at once, attempt `i` for `user(i)` from `from(i)`: each answer's
/// status and body.
pub async fn login_flood(port: u16, from: impl Fn(u8) -> Ipv4Addr, user: impl Fn(u8) -> String) -> Vec<(u16, String)> {
    let attempts: Vec<_> = (0..160u8)
        .map(|i| {
            let (from, body) = (from(i), login_body(&user(i), &format!("doan-sai-{i}"), "/"));
            tokio::spawn(async move {
                let cookie = format!("baocao_login={LOGIN_TOKEN}");
                let (status, _, body) = http_from(from, port, "POST", "/login", &[("Cookie", &cookie)], &body).await;
                (status, body)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for attempt in attempts {
        answers.push(attempt.await.unwrap());
    }
    answers
}

/// GETs `path` with `session`: status and page, "/" as minijinja writes it ("&#x2f;") turned
/// back.
pub fn get_page(port: u16, session: &str, path: &str) -> (u16, String) {
    let (status, _, page) = http(port, "GET", path, &[("Cookie", session)], "");
    (status, page.replace("&#x2f;", "/"))
}

/// POSTs a form with `session` and its CSRF token (read from the overview): status, head, page.
pub fn post_page(port: u16, session: &str, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let (_, page) = get_page(port, session, "/");
    let csrf = hidden_field(&page, "csrf").expect("the page's CSRF token");
    let mut fields = fields.to_vec();
    fields.push(("csrf", &csrf));
    let (status, head, page) = http(port, "POST", path, &[("Cookie", session)], &form(&fields));
    (status, head, page.replace("&#x2f;", "/"))
}
