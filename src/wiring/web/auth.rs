//! Login, sessions and CSRF. Users and their argon2 hashes come from `[web] users` in the
//! configuration (`baocao user add NAME` writes them). A session is a random token in an
//! HttpOnly, SameSite=Strict cookie (Secure when `[web] secure-cookie = true`), kept in
//! memory for eight hours of inactivity; each session has its own CSRF token that every POST
//! form must carry. The login form itself is protected by a double-submit token (a cookie
//! and a form field that must match), so no other site can log a browser in; five failed
//! logins for one name block it for fifteen minutes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::WebState;
use super::password::PasswordChecks;
use super::throttle::{Refusal, Throttle};
use crate::adapters::config::{WebLogin, WebRole};

pub const SESSION_COOKIE: &str = "baocao_session";
const LOGIN_COOKIE: &str = "baocao_login";
const LIFETIME: Duration = Duration::from_secs(8 * 3600);

struct Session {
    user: String,
    csrf: String,
    last_seen: Instant,
}

/// Sessions in memory: a restart logs everyone out, which is acceptable for an office page.
pub struct Sessions {
    inner: Mutex<HashMap<String, Session>>,
    throttle: Mutex<Throttle>,
    checks: PasswordChecks,
    /// IMAP logins (`login = "imap"`) under way at once: a flood of logins opens at most this
    /// many connections to the office's mail server.
    imap_checks: tokio::sync::Semaphore,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            inner: Mutex::default(),
            throttle: Mutex::default(),
            checks: PasswordChecks::default(),
            imap_checks: tokio::sync::Semaphore::new(4),
        }
    }
}

impl Sessions {
    fn create(&self, user: &str) -> String {
        let token = random_token();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.retain(|_, s| s.last_seen.elapsed() < LIFETIME);
        inner.insert(
            token.clone(),
            Session {
                user: user.to_string(),
                csrf: random_token(),
                last_seen: Instant::now(),
            },
        );
        token
    }

    /// The user and CSRF token of a live session.
    fn get(&self, token: &str) -> Option<(String, String)> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let session = inner.get_mut(token)?;
        if session.last_seen.elapsed() >= LIFETIME {
            inner.remove(token);
            return None;
        }
        session.last_seen = Instant::now();
        Some((session.user.clone(), session.csrf.clone()))
    }

    fn remove(&self, token: &str) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).remove(token);
    }
}

/// Who is looking at a page.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub user: Option<String>,
    /// The user's role as the configuration says now (a role changed or a user removed by
    /// `systemctl reload` counts at once, not at the next login).
    pub role: Option<WebRole>,
    pub csrf: String,
}

impl Viewer {
    /// Whether the forms that change data are shown (and their POSTs accepted).
    pub fn may_change(&self) -> bool {
        self.role.is_some_and(WebRole::may_change)
    }
}

pub fn viewer(state: &WebState, headers: &HeaderMap) -> Viewer {
    let Some((user, csrf)) = cookie(headers, SESSION_COOKIE).and_then(|token| state.sessions.get(&token)) else {
        return Viewer::default();
    };
    let role = super::pages::current(state)
        .settings
        .web
        .users
        .iter()
        .find(|u| u.name == user)
        .map(|u| u.role);
    match role {
        Some(role) => Viewer {
            user: Some(user),
            role: Some(role),
            csrf,
        },
        // No longer a user: as if logged out.
        None => Viewer::default(),
    }
}

/// Read pages: the viewer, or a redirect to the login page.
#[allow(clippy::result_large_err)]
pub fn may_read(state: &WebState, headers: &HeaderMap, path: &str) -> Result<Viewer, Response> {
    let viewer = viewer(state, headers);
    let public = super::pages::current(state).settings.web.public_read;
    if viewer.user.is_some() || public {
        return Ok(viewer);
    }
    let next: String = url_escape(path);
    Err(Redirect::to(&format!("/login?next={next}")).into_response())
}

/// Reading what is personal beyond the status (the review queue's senders and subjects, the
/// units' addresses, original messages, attachments): a logged-in user, whatever
/// `public-read` says.
#[allow(clippy::result_large_err)]
pub fn may_read_private(state: &WebState, headers: &HeaderMap, path: &str) -> Result<Viewer, Response> {
    let viewer = viewer(state, headers);
    if viewer.user.is_some() {
        return Ok(viewer);
    }
    let next: String = url_escape(path);
    Err(Redirect::to(&format!("/login?next={next}")).into_response())
}

/// State changes: the logged-in user, if the form carries the session's CSRF token and the
/// user's role may change data (a "lãnh đạo" reads and exports only).
#[allow(clippy::result_large_err)]
pub fn may_change(state: &WebState, headers: &HeaderMap, form_csrf: Option<&str>) -> Result<String, Response> {
    let viewer = signed_post(state, headers, form_csrf)?;
    if !viewer.may_change() {
        return Err(read_only(&viewer));
    }
    Ok(viewer.user.unwrap_or_default())
}

/// The pages whose only use is to change data (a form for a new request): a logged-in user
/// whose role may change data; to the login page otherwise.
#[allow(clippy::result_large_err)]
pub fn may_change_page(state: &WebState, headers: &HeaderMap, path: &str) -> Result<Viewer, Response> {
    let viewer = may_read_private(state, headers, path)?;
    if !viewer.may_change() {
        return Err(read_only(&viewer));
    }
    Ok(viewer)
}

/// Before a form's body is read (an upload): a logged-in user whose role may change data.
/// The CSRF token, inside the body, is checked after with [`may_change`].
#[allow(clippy::result_large_err)]
pub fn may_post(state: &WebState, headers: &HeaderMap) -> Result<(), Response> {
    let viewer = viewer(state, headers);
    if viewer.user.is_none() {
        return Err((StatusCode::UNAUTHORIZED, "Cần đăng nhập để thay đổi dữ liệu.").into_response());
    }
    if !viewer.may_change() {
        return Err(read_only(&viewer));
    }
    Ok(())
}

/// 403 for a role that only reads, saying so.
fn read_only(viewer: &Viewer) -> Response {
    let user = viewer.user.clone().unwrap_or_default();
    let role = viewer.role.unwrap_or_default();
    tracing::warn!(user = %user, role = role.as_str(), "a change was refused: the role only reads");
    (
        StatusCode::FORBIDDEN,
        Html(format!(
            "<!doctype html><meta charset=utf-8><title>Không được phép</title>\
             <p>Tài khoản {} có vai trò {}: chỉ được xem và xuất danh sách, không thay đổi dữ liệu.</p>\
             <p><a href=\"/\">Về trang chính</a></p>",
            super::pages::escape(&user),
            role.label_vi()
        )),
    )
        .into_response()
}

/// A POST of a logged-in user with the session's CSRF token, whatever the role (logging out).
#[allow(clippy::result_large_err)]
fn signed_post(state: &WebState, headers: &HeaderMap, form_csrf: Option<&str>) -> Result<Viewer, Response> {
    let viewer = viewer(state, headers);
    let Some(user) = viewer.user.clone() else {
        return Err((StatusCode::UNAUTHORIZED, "Cần đăng nhập để thay đổi dữ liệu.").into_response());
    };
    match form_csrf {
        Some(token) if constant_time_eq(token.as_bytes(), viewer.csrf.as_bytes()) => Ok(viewer),
        _ => {
            tracing::warn!(user = %user, "a POST without the session's CSRF token was refused");
            Err((
                StatusCode::FORBIDDEN,
                "Yêu cầu bị từ chối: thiếu mã chống giả mạo (CSRF). Tải lại trang rồi thử lại.",
            )
                .into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_page(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Response {
    login_form(&state, &headers, safe_next(query.next.as_deref()), None, StatusCode::OK)
}

fn login_form(
    state: &WebState,
    headers: &HeaderMap,
    next: &str,
    problem: Option<&str>,
    status: StatusCode,
) -> Response {
    let token = random_token();
    let context = minijinja::context! {
        login_csrf => token.clone(),
        next => next,
        problem => problem,
        page => "login",
    };
    let mut response = super::pages::render(state, headers, "login.html", context);
    *response.status_mut() = status;
    let secure = super::pages::current(state).settings.web.secure_cookie;
    set_cookie(&mut response, &cookie_line(LOGIN_COOKIE, &token, 600, secure));
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    user: String,
    password: String,
    csrf: Option<String>,
    next: Option<String>,
}

pub async fn login(
    State(state): State<Arc<WebState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref()).to_string();
    let expected = cookie(&headers, LOGIN_COOKIE);
    let fresh = matches!((&expected, &form.csrf), (Some(a), Some(b)) if constant_time_eq(a.as_bytes(), b.as_bytes()));
    if !fresh {
        return (
            StatusCode::FORBIDDEN,
            "Yêu cầu đăng nhập bị từ chối: thiếu mã chống giả mạo (CSRF). Mở lại trang đăng nhập.",
        )
            .into_response();
    }
    let users = super::pages::current(&state).settings.web.users.clone();
    let name = form.user.trim().to_string();
    let client = peer.ip();
    if let Err(refusal) = lock_throttle(&state).begin(&name, client, Instant::now()) {
        tracing::warn!(user = %name, %client, ?refusal, "a login was refused: too many failures");
        let problem = match refusal {
            Refusal::Pair => "Đăng nhập sai quá nhiều lần: thử lại sau 15 phút.",
            Refusal::Address => "Máy này đăng nhập sai quá nhiều lần: thử lại sau 15 phút.",
        };
        let mut refused = login_form(&state, &headers, &next, Some(problem), StatusCode::TOO_MANY_REQUESTS);
        refused
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(Throttle::WINDOW.as_secs()));
        return refused;
    }
    let login = super::pages::current(&state).settings.web.login;
    let checked = match login {
        WebLogin::Password => {
            let hash = users
                .iter()
                .find(|u| u.name == name)
                .and_then(|u| u.password_hash.clone());
            state.sessions.checks.verify(hash, form.password).await
        }
        WebLogin::Imap => {
            let listed = users.iter().any(|u| u.name == name);
            // The server is asked for every name, listed or not: the answer's time and status
            // do not tell which names are users here.
            match imap_login(&state, &name, &form.password).await {
                Ok(accepted) => Ok(accepted && listed),
                Err(unavailable) => {
                    lock_throttle(&state).finish(&name, client, false, Instant::now());
                    tracing::warn!(user = %name, %client, error = %unavailable, "a login could not reach the mail server");
                    return login_form(
                        &state,
                        &headers,
                        &next,
                        Some("Không kết nối được máy chủ thư để kiểm tra mật khẩu: thử lại sau ít phút."),
                        StatusCode::SERVICE_UNAVAILABLE,
                    );
                }
            }
        }
    };
    let accepted = checked == Ok(true);
    lock_throttle(&state).finish(&name, client, accepted, Instant::now());
    match checked {
        Err(super::password::Busy) => {
            tracing::warn!(user = %name, %client, "a login waited too long for a password check");
            let mut busy = login_form(
                &state,
                &headers,
                &next,
                Some("Máy chủ đang bận kiểm tra nhiều lần đăng nhập: thử lại sau ít phút."),
                StatusCode::SERVICE_UNAVAILABLE,
            );
            busy.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(60u32));
            return busy;
        }
        Ok(false) => {
            tracing::warn!(user = %name, %client, "a login was refused");
            return login_form(
                &state,
                &headers,
                &next,
                Some("Sai tên đăng nhập hoặc mật khẩu."),
                StatusCode::UNAUTHORIZED,
            );
        }
        Ok(true) => {}
    }
    tracing::info!(user = %name, %client, "logged in");
    let token = state.sessions.create(&name);
    let secure = super::pages::current(&state).settings.web.secure_cookie;
    let mut response = Redirect::to(&next).into_response();
    set_cookie(
        &mut response,
        &cookie_line(SESSION_COOKIE, &token, LIFETIME.as_secs(), secure),
    );
    set_cookie(&mut response, &cookie_line(LOGIN_COOKIE, "", 0, secure));
    response
}

/// Whether the office's IMAP server accepts `user`'s own password (`login = "imap"`). Err:
/// the server could not be reached or answered something other than yes or no.
async fn imap_login(state: &WebState, user: &str, password: &str) -> Result<bool, anyhow::Error> {
    if password.is_empty() || user.is_empty() {
        return Ok(false);
    }
    let _slot = tokio::time::timeout(PasswordChecks::WAIT, state.sessions.imap_checks.acquire())
        .await
        .map_err(|_| anyhow::anyhow!("too many IMAP logins under way"))??;
    let Some(imap) = super::pages::current(state).settings.imap.clone() else {
        anyhow::bail!("login = \"imap\" but the configuration has no [imap] server");
    };
    let mut server = imap.server;
    server.user = Some(user.to_string());
    match crate::adapters::imap::connect(&server, password).await {
        Ok(session) => {
            crate::adapters::imap::logout(session).await;
            Ok(true)
        }
        Err(error) if crate::adapters::imap::LoginRefused::in_chain(&error) => Ok(false),
        Err(error) => Err(error),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

pub async fn logout(State(state): State<Arc<WebState>>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    if let Err(refused) = signed_post(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.sessions.remove(&token);
    }
    let secure = super::pages::current(&state).settings.web.secure_cookie;
    let mut response = Redirect::to("/login").into_response();
    set_cookie(&mut response, &cookie_line(SESSION_COOKIE, "", 0, secure));
    response
}

fn lock_throttle(state: &WebState) -> std::sync::MutexGuard<'_, Throttle> {
    state.sessions.throttle.lock().unwrap_or_else(|e| e.into_inner())
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

fn cookie_line(name: &str, value: &str, max_age: u64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

fn set_cookie(response: &mut Response, line: &str) {
    if let Ok(value) = HeaderValue::from_str(line) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Where a login leads: one of the read pages a login can be asked for (the paths
/// [`may_read`] sends), matched by shape, or the overview. `next` comes from the browser,
/// so nothing else ever reaches the Location header: no other host (`//evil`, `/\\evil`,
/// `/%09/evil`), no scheme, no query, no control character, nothing longer than 200 bytes.
/// The accepted shapes contain only ASCII letters, digits, `-`, `_` and `/`.
fn safe_next(next: Option<&str>) -> &str {
    const OVERVIEW: &str = "/";
    let Some(path) = next.filter(|p| p.len() <= 200) else {
        return OVERVIEW;
    };
    let Some(rest) = path.strip_prefix('/') else {
        return OVERVIEW;
    };
    let word = |s: &str| {
        !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let number = |s: &str| !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit());
    let segments: Vec<&str> = rest.split('/').collect();
    let known = match segments.as_slice() {
        [""] | ["review"] | ["units"] | ["audit"] | ["search"] | ["series"] => true,
        ["requests", token] => word(token),
        ["messages", id, "original"] => number(id),
        _ => false,
    };
    if known { path } else { OVERVIEW }
}

pub(super) fn url_escape(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_login_only_the_sites_own_pages_are_followed() {
        for own in ["/", "/review", "/units", "/requests/BC-1", "/messages/12/original"] {
            assert_eq!(safe_next(Some(own)), own);
        }
        let long = format!("/requests/{}", "A".repeat(300));
        for hostile in [
            "//evil.example",
            "/\\evil.example",
            "/%2F%2Fevil.example",
            "/\t/evil.example",
            "/\r\nSet-Cookie: a=b",
            "https://evil.example",
            "evil.example",
            "/requests/../../evil.example",
            "/requests/BC-1?x=//evil.example",
            "/requests/BC-1/",
            "/units/",
            "/messages/x/original",
            "/requests/Đ",
            "",
            &long,
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
