//! Login, sessions and CSRF. Users and their argon2 hashes come from `[web] users` in the
//! configuration (`baocao user add NAME` writes them). A session is a random token in an
//! HttpOnly, SameSite=Strict cookie (Secure when `[web] secure-cookie = true`), kept in
//! memory for eight hours of inactivity; each session has its own CSRF token that every POST
//! form must carry. The login form itself is protected by a double-submit token (a cookie
//! and a form field that must match), so no other site can log a browser in; five failed
//! logins for one name block it for fifteen minutes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::WebState;

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
    failures: Mutex<Throttle>,
}

/// Failed logins per user name: after [`Throttle::LIMIT`] failures within
/// [`Throttle::WINDOW`], that name cannot log in until the window has passed.
#[derive(Debug, Default)]
struct Throttle {
    failed: HashMap<String, (u32, Instant)>,
}

impl Throttle {
    const LIMIT: u32 = 5;
    const WINDOW: Duration = Duration::from_secs(15 * 60);

    fn blocked(&mut self, name: &str, now: Instant) -> bool {
        self.failed
            .retain(|_, (_, first)| now.duration_since(*first) < Self::WINDOW);
        self.failed.get(name).is_some_and(|(count, _)| *count >= Self::LIMIT)
    }

    fn failed(&mut self, name: &str, now: Instant) {
        let entry = self.failed.entry(name.to_string()).or_insert((0, now));
        entry.0 += 1;
    }

    fn succeeded(&mut self, name: &str) {
        self.failed.remove(name);
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

pub async fn login(State(state): State<Arc<WebState>>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
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
    let throttle_key = name.to_lowercase();
    if lock_throttle(&state).blocked(&throttle_key, Instant::now()) {
        tracing::warn!(user = %name, "a login was refused: too many failures");
        return login_form(
            &state,
            &headers,
            &next,
            Some("Đăng nhập sai quá nhiều lần: thử lại sau 15 phút."),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let password = form.password;
    let hash = users.iter().find(|u| u.name == name).map(|u| u.password_hash.clone());
    let accepted = tokio::task::spawn_blocking(move || verify(hash.as_deref(), &password))
        .await
        .unwrap_or(false);
    if !accepted {
        lock_throttle(&state).failed(&throttle_key, Instant::now());
        tracing::warn!(user = %name, "a login was refused");
        return login_form(
            &state,
            &headers,
            &next,
            Some("Sai tên đăng nhập hoặc mật khẩu."),
            StatusCode::UNAUTHORIZED,
        );
    }
    lock_throttle(&state).succeeded(&throttle_key);
    tracing::info!(user = %name, "logged in");
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
    state.sessions.failures.lock().unwrap_or_else(|e| e.into_inner())
}

/// Checks a password against a stored argon2 hash; an unknown user costs the same work.
fn verify(hash: Option<&str>, password: &str) -> bool {
    use argon2::{Argon2, PasswordHash, PasswordVerifier};
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let text = match hash {
        Some(hash) => hash,
        None => DUMMY.get_or_init(|| hash_password("không có người dùng này").unwrap_or_default()),
    };
    let Ok(parsed) = PasswordHash::new(text) else {
        return false;
    };
    let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
    ok && hash.is_some()
}

/// The argon2id hash `baocao user add` writes.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
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

/// Only paths of this site: never another host after logging in.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path,
        _ => "/",
    }
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

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("mật-khẩu văn thư").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify(Some(&hash), "mật-khẩu văn thư"));
        assert!(!verify(Some(&hash), "mat-khau van thu"));
        assert!(!verify(None, "mật-khẩu văn thư"));
    }

    #[test]
    fn five_failed_logins_block_that_name_for_a_while() {
        let mut throttle = Throttle::default();
        let start = Instant::now();
        for _ in 0..Throttle::LIMIT {
            assert!(!throttle.blocked("vanthu", start));
            throttle.failed("vanthu", start);
        }
        assert!(throttle.blocked("vanthu", start + Duration::from_secs(60)));
        assert!(
            !throttle.blocked("ketoan", start + Duration::from_secs(60)),
            "only that name"
        );
        assert!(!throttle.blocked("vanthu", start + Throttle::WINDOW + Duration::from_secs(1)));
        throttle.failed("vanthu", start);
        throttle.succeeded("vanthu");
        assert!(!throttle.blocked("vanthu", start));
    }

    #[test]
    fn after_login_only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/requests/BC-1")), "/requests/BC-1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
