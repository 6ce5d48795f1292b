//! The daily digest mailed to the office on working days at the configured time: per
//! active request, reported N/M, late and overdue units, the review queue and failing
//! addresses; in December, a warning when next year's calendar is not confirmed. A day with
//! nothing to say (no active request, nothing in review, no failing address, no warning)
//! sends no digest.

use chrono::{DateTime, Datelike, Utc};

use crate::calendar::WorkingCalendar;
use crate::compose::{DigestRequest, DigestVars, FailingVars};
use crate::config::Settings;
use crate::dates::format_instant;
use crate::model::RequestState;
use crate::reminders::{ReminderError, Setup, office_vars};
use crate::report::status::{UnitState, request_status};
use crate::store::{NewMessage, Store, StoreError};

/// Everything the digest template shows, as of `now`.
pub async fn digest_vars(
    store: &Store,
    settings: &Settings,
    calendar: &WorkingCalendar,
    now: DateTime<Utc>,
) -> Result<DigestVars, StoreError> {
    let zone = settings.office.zone;
    let mut requests = Vec::new();
    for request in store.all_requests().await? {
        if request.state != RequestState::Active {
            continue;
        }
        let facts = store.status_facts(request.id).await?;
        let status = request_status(&request, &facts, now, (calendar, zone));
        let names = |state: UnitState| -> Vec<String> {
            status
                .units
                .iter()
                .filter(|u| u.state == state)
                .map(|u| u.name.clone())
                .collect()
        };
        requests.push(DigestRequest {
            token: request.token.clone(),
            code: request.code.to_string(),
            title: request.title.clone(),
            deadline: format_instant(request.deadline, zone),
            reported: status.reported,
            total: status.total,
            late: names(UnitState::ReportedLate),
            overdue: names(UnitState::Overdue),
            pending: names(UnitState::Pending),
        });
    }
    let mut failing = Vec::new();
    for unit in store.all_units().await? {
        if !unit.active {
            continue;
        }
        for address in unit.addresses.iter().filter(|a| a.failing_since.is_some()) {
            failing.push(FailingVars {
                unit: unit.name.clone(),
                address: address.address.to_string(),
                reason: address.failing_reason.clone().unwrap_or_default(),
            });
        }
    }
    let local = now.with_timezone(&zone);
    let next_year = local.year() + 1;
    let calendar_warning = (local.month() == 12 && !calendar.is_confirmed(next_year)).then(|| {
        format!(
            "lịch nghỉ lễ, nghỉ bù năm {next_year} chưa được xác nhận trong tệp lịch; nhờ cán bộ CNTT cập nhật theo thông báo của Chính phủ (xem: baocao calendar show {next_year})"
        )
    });
    // A fresh row of a running service that a mail server refuses to log in.
    let service_warning = store
        .service_health()
        .await?
        .into_iter()
        .find(|h| (now - h.updated_at).num_seconds() <= 60)
        .and_then(|h| h.login_refused)
        .map(|servers| {
            if servers.contains("imap") {
                "máy chủ thư từ chối đăng nhập hộp thư nhận báo cáo (mật khẩu sai hoặc đã đổi): baocao không ghi nhận được báo cáo cho tới khi cán bộ CNTT sửa tệp mật khẩu và khởi động lại dịch vụ".to_string()
            } else {
                "máy chủ gửi thư từ chối đăng nhập (mật khẩu sai hoặc đã đổi): thư nhắc chưa được gửi cho tới khi cán bộ CNTT sửa tệp mật khẩu và khởi động lại dịch vụ".to_string()
            }
        });
    let (date, weekday) = DigestVars::date_parts(now, zone);
    Ok(DigestVars {
        office: office_vars(settings),
        date,
        weekday,
        requests,
        review_count: store.open_review_count().await?,
        failing,
        calendar_warning,
        service_warning,
    })
}

/// Whether today's digest is due at `now`: a working day, at or after the configured time.
pub fn digest_due(settings: &Settings, calendar: &WorkingCalendar, now: DateTime<Utc>) -> bool {
    let Some(at) = settings.digest.at else {
        return false;
    };
    let local = now.with_timezone(&settings.office.zone);
    calendar.is_working_day(local.date_naive()) && local.time() >= at
}

/// Queues today's digest once per recipient (whatever the time when `force`). Returns how
/// many messages were queued; 0 when it was queued before or is not due.
pub async fn queue_digest(
    store: &Store,
    setup: &Setup<'_>,
    now: DateTime<Utc>,
    force: bool,
) -> Result<usize, ReminderError> {
    let settings = setup.settings;
    if !force && !digest_due(settings, setup.calendar, now) {
        return Ok(0);
    }
    let day = now.with_timezone(&settings.office.zone).date_naive();
    let keys: Vec<String> = settings
        .digest
        .to
        .iter()
        .map(|to| format!("digest:{day}:{to}"))
        .collect();
    let done = store.existing_dedupe_keys(&keys).await?;
    if done.len() == keys.len() {
        // Already queued today: do not rebuild the whole digest on every pass.
        return Ok(0);
    }
    let vars = digest_vars(store, settings, setup.calendar, now).await?;
    if !force && !vars.has_news() {
        // "0 yêu cầu đang theo dõi" every morning teaches the office to ignore the digest.
        return Ok(0);
    }
    let rendered = setup.templates.render_digest(&vars)?;
    let mut queued = 0;
    for (to, key) in settings.digest.to.iter().zip(keys) {
        if done.contains(&key) {
            continue;
        }
        let message = NewMessage {
            slot_id: None,
            dedupe_key: key,
            kind: "digest".into(),
            request_id: None,
            unit_id: None,
            to_address: to.to_string(),
            to_name: None,
            message_id: format!(
                "baocao.digest.{day}.{:016x}@{}",
                rand::random::<u64>(),
                settings.office.report_mailbox.domain()
            ),
            subject: rendered.subject.clone(),
            body: rendered.text.clone(),
            body_html: rendered.html.clone(),
            in_reply_to: None,
            references_ids: None,
        };
        if store.queue_message(&message, now).await? {
            queued += 1;
        }
    }
    Ok(queued)
}
