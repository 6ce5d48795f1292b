//! The settings as they are now, for the quản trị (`/settings`; other roles get 403): the web
//! page's users and their roles, the mail servers (never a password), the reminder defaults,
//! the daily digest, the calendar and the templates directory — each with the command or the
//! configuration key that changes it. The configuration file belongs to root (the packaged
//! service cannot write it), so this page reads it and says how to change it.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::super::WebState;
use super::super::auth::may_read_private;
use super::{current, now, page};
use crate::adapters::config::{ServerSettings, TlsMode, WebLogin, WebRole};

fn server(settings: &ServerSettings) -> minijinja::Value {
    minijinja::context! {
        address => format!("{}:{}", settings.host, settings.port),
        tls => match settings.tls {
            TlsMode::Implicit => "TLS ngay từ đầu",
            TlsMode::Starttls => "STARTTLS",
            TlsMode::None => "không mã hóa (chỉ nên dùng trên máy này)",
        },
        user => settings.user.clone().unwrap_or_else(|| "(không đăng nhập)".into()),
        password => if settings.password.is_some() { "có (từ tệp hoặc systemd credential, không hiện ở đây)" } else { "không" },
    }
}

pub async fn settings(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let viewer = match may_read_private(&state, &headers, "/settings") {
        Ok(v) => v,
        Err(r) => return r,
    };
    if viewer.role != Some(WebRole::QuanTri) {
        return (
            StatusCode::FORBIDDEN,
            Html(
                "<!doctype html><html lang=\"vi\"><meta charset=utf-8><title>Không có quyền</title>\
                 <main><p role=\"alert\">Trang cài đặt dành cho người có vai trò quản trị.</p><p><a href=\"/\">Về tổng quan</a></p></main></html>",
            ),
        )
            .into_response();
    }
    let current = current(&state);
    let s = &current.settings;
    let zone = s.office.zone;
    let today = now().with_timezone(&zone).date_naive();
    let context = minijinja::context! {
        page => "settings",
        office => s.office.name.clone(),
        login => match s.web.login {
            WebLogin::Imap => "mật khẩu hộp thư của người dùng (đăng nhập IMAP)",
            _ => "mật khẩu riêng của trang (argon2)",
        },
        users => s.web.users.iter().map(|u| minijinja::context! { name => u.name.clone(), role => u.role.label_vi(), code => u.role.as_str() }).collect::<Vec<_>>(),
        smtp => s.smtp.as_ref().map(|m| server(&m.server)),
        imap => s.imap.as_ref().map(|m| minijinja::context! { server => server(&m.server), mailbox => m.mailbox.clone() }),
        remind => s.reminders.remind_before.to_text(),
        overdue => s.reminders.overdue_after.to_text_ascending(),
        escalation => s.reminders.escalation.describe_vi(),
        digest => minijinja::context! {
            at => s.digest.at.map(|t| t.format("%H:%M").to_string()),
            to => s.digest.to.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        },
        calendar => s.calendar_file.as_ref().map(|p| p.display().to_string()),
        unconfirmed => current.calendar.years_to_confirm(today),
        templates => s.templates_dir.as_ref().map(|p| p.display().to_string()),
    };
    page(&state, &viewer, "settings.html", context).await
}
