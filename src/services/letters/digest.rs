//! The daily digest mailed to the office on working days at the configured time: per
//! active request, reported N/M, late and overdue units, the review queue and failing
//! addresses; a warning, with how to fix it, when this year's calendar is not confirmed, and
//! in December when next year's is not. A day with nothing to say (no active request, nothing
//! in review, no failing address, no December calendar nudge, no service warning) sends no
//! digest: an unconfirmed current year rides along with a digest that has news, it does not
//! make one by itself.

use chrono::{DateTime, Datelike, Utc};

use super::ids::digest_message_id;
use super::to_unit::office_vars;
use super::vars::{DigestRequest, DigestVars, FailingVars};
use super::{LetterError, Setup};
use crate::adapters::config::Settings;
use crate::adapters::store::{NewMessage, Store, StoreError};
use crate::domain::calendar::WorkingCalendar;
use crate::domain::model::RequestState;
use crate::domain::report::status::{UnitState, request_status};

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
            deadline: crate::domain::dates::format_deadline(request.deadline, zone),
            reported: status.reported,
            total: status.total,
            late: names(UnitState::ReportedLate),
            overdue: names(UnitState::Overdue),
            pending: names(UnitState::Pending),
            for_information: !request.expects_report(),
            not_informed: names(UnitState::NotInformed),
        });
    }
    let mut failing = Vec::new();
    let units = store.all_units().await?;
    let (escalated, not_escalated) = escalations(store, settings, calendar, &units, now).await?;
    for unit in units {
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
    let today = now.with_timezone(&zone).date_naive();
    let unconfirmed = calendar.years_to_confirm(today);
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
    let mut vars = DigestVars {
        office: office_vars(settings),
        date,
        weekday,
        requests,
        review_count: store.open_review_count().await?,
        failing,
        calendar_warning: None,
        service_warning,
        escalated,
        not_escalated,
    };
    vars.calendar_warning = calendar_warning(&unconfirmed, today.year(), vars.has_news());
    Ok(vars)
}

/// The overdue notices copied to a parent since a day before `now`, and the overdue units past
/// their first escalation threshold whose every address fails (nobody above them was told).
async fn escalations(
    store: &Store,
    settings: &Settings,
    calendar: &WorkingCalendar,
    units: &[crate::domain::model::Unit],
    now: DateTime<Utc>,
) -> Result<(Vec<super::vars::EscalatedVars>, Vec<super::vars::NotEscalatedVars>), StoreError> {
    #[derive(serde::Deserialize)]
    struct Copy {
        name: String,
    }
    let name_of = |id: Option<crate::domain::model::UnitId>| {
        units
            .iter()
            .find(|u| Some(u.id) == id)
            .map_or_else(String::new, |u| u.name.clone())
    };
    let requests = store.all_requests().await?;
    let token_of = |id: Option<crate::domain::model::RequestId>| {
        requests
            .iter()
            .find(|r| Some(r.id) == id)
            .map_or_else(String::new, |r| r.token.clone())
    };
    let escalated = store
        .escalated_since(now - chrono::Duration::days(1))
        .await?
        .into_iter()
        .map(|m| {
            let to: Vec<Copy> = match m.cc_addresses.as_deref() {
                Some(json) => serde_json::from_str(json).unwrap_or_default(),
                // A letter of its own (`thu-rieng`): its addressee.
                None => vec![Copy {
                    name: m.to_name.clone().unwrap_or_else(|| m.to_address.clone()),
                }],
            };
            super::vars::EscalatedVars {
                token: token_of(m.request_id),
                unit: name_of(m.unit_id),
                to: to.into_iter().map(|c| c.name).collect::<Vec<_>>().join(", "),
                how: if m.cc_addresses.is_some() {
                    "đồng gửi"
                } else {
                    "gửi thư riêng đề nghị đôn đốc tới"
                }
                .to_string(),
            }
        })
        .collect();
    let zone = settings.office.zone;
    let mut not_escalated = Vec::new();
    for request in requests.iter().filter(|r| r.state == RequestState::Active) {
        let escalation = request.escalation.as_ref().unwrap_or(&settings.reminders.escalation);
        let (Some(first), Some(deadline)) = (escalation.after_days.first(), request.deadline) else {
            continue;
        };
        let facts = store.status_facts(request.id).await?;
        let status = request_status(request, &facts, now, (calendar, zone));
        for row in status.units.iter().filter(|u| u.state == UnitState::Overdue) {
            let Some(unit) = units.iter().find(|u| u.code.as_str() == row.unit) else {
                continue;
            };
            let deadline = row.deadline.unwrap_or(deadline);
            let late_days = crate::domain::report::status::working_days_late(deadline, now, (calendar, zone));
            if late_days >= *first && unit.addresses.iter().all(|a| a.failing_since.is_some()) {
                not_escalated.push(super::vars::NotEscalatedVars {
                    token: request.token.clone(),
                    unit: unit.name.clone(),
                });
            }
        }
    }
    Ok((escalated, not_escalated))
}

/// The digest's calendar line: the years not confirmed and how to fix it, when next year's
/// (December) is among them or the digest goes out anyway for its other news.
fn calendar_warning(unconfirmed: &[i32], year: i32, has_news: bool) -> Option<String> {
    let next_year_nudge = unconfirmed.contains(&(year + 1));
    (next_year_nudge || has_news)
        .then(|| crate::domain::calendar::unconfirmed_vi(unconfirmed))
        .flatten()
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
) -> Result<usize, LetterError> {
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
            message_id: digest_message_id(day, settings.office.report_mailbox.domain()),
            subject: rendered.subject.clone(),
            body: rendered.text.clone(),
            body_html: rendered.html.clone(),
            in_reply_to: None,
            references_ids: None,
            cc_addresses: None,
        };
        if store.queue_message(&message, now).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calendar_line_warns_about_this_year_and_in_december_the_next() {
        // Nothing unconfirmed: no line.
        assert_eq!(calendar_warning(&[], 2026, true), None);
        // This year unconfirmed: in a digest that goes out anyway, with how to fix it …
        let line = calendar_warning(&[2027], 2027, true).unwrap();
        assert!(line.starts_with("lịch nghỉ lễ năm 2027 chưa được xác nhận"), "{line}");
        assert!(line.contains("baocao calendar add 2027 --confirm"), "{line}");
        // … but it sends no digest by itself.
        assert_eq!(calendar_warning(&[2027], 2027, false), None);
        // December: next year's nudge is news by itself, as it always was.
        let line = calendar_warning(&[2027], 2026, false).unwrap();
        assert!(line.starts_with("lịch nghỉ lễ năm 2027 chưa được xác nhận"), "{line}");
        let both = calendar_warning(&[2026, 2027], 2026, false).unwrap();
        assert!(both.starts_with("lịch nghỉ lễ năm 2026 và 2027"), "{both}");
    }
}
