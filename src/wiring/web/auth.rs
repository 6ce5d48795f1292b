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
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::WebState;
use super::password::PasswordChecks;
use super::throttle::{Refusal, Throttle};

pub const SESSION_COOKIE: &str = "baocao_session";
const LOGIN_COOKIE: &str = "baocao_login";
const LIFETIME: Duration = Duration::from_secs(8 * 3600);

struct Session {
    user: String,
    csrf: String,
    last_seen: Instant,
}

/// Sessions in memory: a restart logs everyone out, which is acceptable for an office page.
#[derive(Default)]
pub struct Sessions {
    inner: Mutex<HashMap<String, Session>>,
    throttle: Mutex<Throttle>,
    checks: PasswordChecks,
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
    pub csrf: String,
}

pub fn viewer(state: &WebState, headers: &HeaderMap) -> Viewer {
    match cookie(headers, SESSION_COOKIE).and_then(|token| state.sessions.get(&token)) {
        Some((user, csrf)) => Viewer { user: Some(user), csrf },
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

/// State changes: the logged-in user, if the form carries the session's CSRF token.
#[allow(clippy::result_large_err)]
pub fn may_change(state: &WebState, headers: &HeaderMap, form_csrf: Option<&str>) -> Result<String, Response> {
    let viewer = viewer(state, headers);
    let Some(user) = viewer.user else {
        return Err((StatusCode::UNAUTHORIZED, "Cần đăng nhập để thay đổi dữ liệu.").into_response());
    };
    match form_csrf {
        Some(token) if constant_time_eq(token.as_bytes(), viewer.csrf.as_bytes()) => Ok(user),
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
    let hash = users.iter().find(|u| u.name == name).map(|u| u.password_hash.clone());
    let checked = state.sessions.checks.verify(hash, form.password).await;
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

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

pub async fn logout(State(state): State<Arc<WebState>>, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    if let Err(refused) = may_change(&state, &headers, form.csrf.as_deref()) {
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
        [""] | ["review"] | ["units"] => true,
        ["requests", token] => word(token),
        ["messages", id, "original"] => number(id),
        _ => false,
    };
    if known { path } else { OVERVIEW }
}

fn url_escape(path: &str) -> String {
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
