//! The decisions a clerk makes, from the command line or from the web page: assign a review
//! item to a unit and request (optionally remembering the sender's address), reject it, grant
//! its unit a later deadline, and mark a unit as reported through another channel. Each one checks its input and either
//! refuses with a Vietnamese sentence that says what to fix, or records the decision and
//! returns what happened, so both front ends behave the same.

use chrono::{DateTime, Utc};

use crate::adapters::store::{Assignment, ManualSubmission, Store, StoreError};
use crate::domain::dates::format_instant;
use crate::domain::incoming::{message, receipt};
use crate::domain::model::{EmailAddress, IncomingId, Request, RequestId, Unit, UnitCode, UnitId};
use crate::services::letters::receipt::Receipts;

#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    /// The clerk can fix this: a sentence in Vietnamese.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for DecisionError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Rejected(_) | StoreError::NotFound(_) => DecisionError::Refused(error.to_string()),
            other => DecisionError::Store(other),
        }
    }
}

type Decided<T> = Result<T, DecisionError>;

/// The request (by token, number or NUMBER@YEAR) and one of the units it names.
pub async fn request_and_unit(store: &Store, request: &str, unit: &str) -> Decided<(Request, Unit)> {
    let request = store.resolve_request(request).await?;
    let code = UnitCode::parse(unit).map_err(|e| DecisionError::Refused(e.0))?;
    let unit = store
        .find_unit(&code)
        .await?
        .ok_or_else(|| DecisionError::Refused(format!("không có đơn vị {code}")))?;
    if !store.request_unit_codes(request.id).await?.contains(&unit.code) {
        return Err(DecisionError::Refused(format!(
            "đơn vị {} không thuộc danh sách phải báo cáo của {}",
            unit.code, request.token
        )));
    }
    Ok((request, unit))
}

/// What assigning a review item did.
#[derive(Debug, Clone)]
pub struct Assigned {
    pub unit: Unit,
    pub request: Request,
    pub late: bool,
    pub resubmission: bool,
    /// The sender's address, now one of the unit's.
    pub remembered: Option<String>,
    /// A receipt to the sender was queued (receipts on, and the sender may get one).
    pub receipt: bool,
}

/// How a review item is assigned.
#[derive(Debug, Clone, Copy)]
pub struct AssignOptions<'a> {
    pub remember_address: bool,
    pub note: Option<&'a str>,
    /// Set when receipts are on: the sender is acknowledged as intake would have.
    pub receipts: Option<&'a Receipts>,
}

/// Counts a review item as `unit`'s report for `request`, late or not by when the mailbox
/// received it against the unit's deadline.
pub async fn assign(
    store: &Store,
    item_id: IncomingId,
    request: &str,
    unit: &str,
    options: AssignOptions<'_>,
    now: DateTime<Utc>,
) -> Decided<Assigned> {
    let AssignOptions {
        remember_address,
        note,
        receipts,
    } = options;
    let item = store.review_item(item_id).await?;
    let (request, unit) = request_and_unit(store, request, unit).await?;
    let remembered = if remember_address {
        let address = item
            .from_address
            .as_deref()
            .ok_or_else(|| DecisionError::Refused("thư không có địa chỉ người gửi để ghi nhớ".into()))?;
        let checked = EmailAddress::parse(address)
            .map_err(|e| DecisionError::Refused(format!("địa chỉ người gửi không dùng được: {}", e.0)))?;
        Some(checked.as_str().to_string())
    } else {
        None
    };
    let deadline = store.unit_deadline(&request, unit.id).await?;
    let late = item.received_at > deadline;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    let resubmission = store
        .assign_review(
            item_id,
            &Assignment {
                unit_id: unit.id,
                request_id: request.id,
                late,
                remember_address: remembered.as_deref(),
                note,
            },
            now,
        )
        .await?;
    let receipt = match (receipts, item.raw_path.as_deref()) {
        (Some(receipts), Some(path)) => {
            let ids = (request.id, unit.id);
            acknowledge(store, receipts, path, ids, resubmission, item.received_at, now).await?
        }
        _ => false,
    };
    Ok(Assigned {
        unit,
        request,
        late,
        resubmission,
        remembered,
        receipt,
    })
}

/// Queues the receipt for a message counted by hand, read again from its kept copy; a copy
/// that cannot be read only costs the receipt.
async fn acknowledge(
    store: &Store,
    receipts: &Receipts,
    raw_path: &str,
    ids: (RequestId, UnitId),
    resubmission: bool,
    received_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Decided<bool> {
    let letter = match tokio::fs::read(raw_path)
        .await
        .ok()
        .and_then(|bytes| message::read(&bytes).ok())
    {
        Some(letter) => letter,
        None => {
            tracing::warn!(path = raw_path, "the kept message cannot be read again: no receipt");
            return Ok(false);
        }
    };
    if receipt::refusal(&letter).is_some() {
        return Ok(false);
    }
    match receipts
        .compose(store, &letter, ids, resubmission, received_at, now)
        .await?
    {
        Some(queued) => Ok(store.queue_receipt(&queued, now).await?),
        None => Ok(false),
    }
}

/// Rejects a review item: it is not a report.
pub async fn reject(store: &Store, item_id: IncomingId, reason: &str, now: DateTime<Utc>) -> Decided<()> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DecisionError::Refused("cần ghi lý do không tính là báo cáo".into()));
    }
    store.reject_review(item_id, reason, now).await?;
    Ok(())
}

/// Decides that the messages `shown` (those the clerk saw listed for `address`: an auto-reply
/// robot, a newsletter) are not reports, each with `reason` and each recorded, in one
/// transaction; one that came since is left alone. Returns how many.
pub async fn reject_from_sender(
    store: &Store,
    address: &str,
    shown: &[IncomingId],
    reason: &str,
    now: DateTime<Utc>,
) -> Decided<usize> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DecisionError::Refused("cần ghi lý do không tính là báo cáo".into()));
    }
    let address = address.trim();
    let items: Vec<IncomingId> = store
        .review_items(true)
        .await?
        .into_iter()
        .filter(|i| {
            i.from_address
                .as_deref()
                .is_some_and(|a| a.to_lowercase() == address.to_lowercase())
        })
        .filter(|i| shown.contains(&i.id))
        .map(|i| i.id)
        .collect();
    if items.is_empty() {
        return Err(DecisionError::Refused(format!(
            "không có thư nào từ {address} đang chờ xem xét"
        )));
    }
    // All at once: a message decided meanwhile refuses the whole batch, nothing half done.
    store.reject_reviews(&items, reason, now).await?;
    Ok(items.len())
}

/// Grants the unit of a review item a later deadline for its request (written as clerks
/// write deadlines); the unit's waiting reminders are dropped so the next planning pass lays
/// them out again against the new deadline. Returns the note recorded.
/// A later deadline for the unit of review item `item_id`, recorded in the request's changes
/// as the store's actor (a web user or the OS user).
pub async fn extend(
    store: &Store,
    item_id: IncomingId,
    until: &str,
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Decided<String> {
    let item = store.review_item(item_id).await?;
    let (Some(unit_id), Some(request_id)) = (item.unit_id, item.request_id) else {
        return Err(DecisionError::Refused(format!(
            "thư số {item_id} chưa rõ đơn vị hoặc yêu cầu: hãy ghi nhận cho một đơn vị hoặc không tính"
        )));
    };
    let parsed = crate::domain::dates::parse_deadline(until, zone)
        .map_err(|e| DecisionError::Refused(format!("hạn mới: {e}")))?;
    let request = store.request_by_id(request_id).await?;
    let current = store.unit_deadline(&request, unit_id).await?;
    if parsed.instant <= current {
        return Err(DecisionError::Refused(format!(
            "hạn mới phải sau hạn hiện tại ({})",
            format_instant(current, zone)
        )));
    }
    let note = format!("gia hạn đến {}", format_instant(parsed.instant, zone));
    let (unit_code, _) = store.unit_code_and_name(unit_id).await?;
    let change: crate::adapters::store::ChangeOf = (
        format!("hạn báo cáo của {unit_code} (gia hạn từ hàng đợi kiểm tra, thư số {item_id})"),
        Some(format_instant(current, zone)),
        Some(format_instant(parsed.instant, zone)),
    );
    store
        .extend_review(item_id, (request_id, unit_id), parsed.instant, (&note, change), now)
        .await?;
    Ok(note)
}

/// What marking a unit did.
#[derive(Debug, Clone)]
pub struct Marked {
    pub unit: Unit,
    pub request: Request,
    pub late: bool,
    /// The unit had reported before: this one is recorded as a resubmission.
    pub earlier: bool,
}

/// Records that `unit` reported `request` through another channel (paper, e-office).
pub async fn mark(
    store: &Store,
    request: &str,
    unit: &str,
    note: &str,
    received_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Decided<Marked> {
    let (request, unit) = request_and_unit(store, request, unit).await?;
    let note = note.trim();
    if note.is_empty() {
        return Err(DecisionError::Refused(
            "cần ghi chú báo cáo nhận qua đâu (giấy, hệ thống quản lý văn bản…)".into(),
        ));
    }
    let deadline = store.unit_deadline(&request, unit.id).await?;
    let late = received_at > deadline;
    let earlier = store
        .record_manual_submission(
            &ManualSubmission {
                request_id: request.id,
                unit_id: unit.id,
                received_at,
                late,
                note,
            },
            now,
        )
        .await?;
    Ok(Marked {
        unit,
        request,
        late,
        earlier,
    })
}

/// What extending a request did.
#[derive(Debug, Clone)]
pub struct Extended {
    /// The new deadline as the record and the letters show it.
    pub shown: String,
    /// Units whose reminders are laid out again.
    pub replanned: usize,
}

/// A later deadline (`until`, as a directive writes it) for the whole request, or for the
/// units named by code; refused for a closed request, a request "để biết", an unknown unit or
/// a deadline not later than the current one. The change is recorded; the next planning pass
/// lays the reminders out again (with a "gia hạn" letter for units that had the notice).
pub async fn extend_request(
    store: &Store,
    request: &Request,
    until: &str,
    units: &[String],
    zone: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Decided<Extended> {
    use crate::adapters::store::Extension;
    use crate::domain::dates;
    let refused = |text: String| DecisionError::Refused(text);
    if request.state == crate::domain::model::RequestState::Closed {
        return Err(refused(format!(
            "yêu cầu {} đã đóng: không gia hạn được",
            request.token
        )));
    }
    let current = request.deadline.ok_or_else(|| {
        refused(format!(
            "{} là văn bản để biết, không yêu cầu báo cáo: không có hạn để gia hạn",
            request.token
        ))
    })?;
    let parsed = dates::parse_deadline(until, zone).map_err(|e| refused(format!("hạn mới: {e}")))?;
    let wording = dates::deadline_wording(until);
    let shown = dates::deadline_shown(Some(parsed.instant), wording.as_deref(), zone);
    let note = format!("gia hạn đến {}", format_instant(parsed.instant, zone));
    let units: Vec<&String> = units.iter().filter(|u| !u.trim().is_empty()).collect();
    let replanned = if units.is_empty() {
        if parsed.instant <= current {
            return Err(refused(format!(
                "hạn mới phải sau hạn hiện tại ({})",
                format_instant(current, zone)
            )));
        }
        let extension = Extension {
            until: parsed.instant,
            wording: wording.as_deref(),
            units: None,
            note: &note,
            change: (
                "hạn báo cáo (gia hạn)".to_string(),
                Some(dates::deadline_shown(
                    request.deadline,
                    request.deadline_wording.as_deref(),
                    zone,
                )),
                Some(shown.clone()),
            ),
        };
        store.extend_request(request, &extension, now).await?
    } else {
        let named = store.request_unit_codes(request.id).await?;
        let mut ids = Vec::new();
        let mut before = Vec::new();
        let mut codes = Vec::new();
        for code in &units {
            let code = UnitCode::parse(code.trim()).map_err(|e| refused(e.0))?;
            let unit = store
                .find_unit(&code)
                .await?
                .ok_or_else(|| refused(format!("không có đơn vị `{code}`")))?;
            if !named.contains(&unit.code) {
                return Err(refused(format!(
                    "đơn vị {} không thuộc danh sách phải báo cáo của {}",
                    unit.code, request.token
                )));
            }
            let current = store.unit_deadline(request, unit.id).await?;
            if parsed.instant <= current {
                return Err(refused(format!(
                    "hạn mới của {} phải sau hạn hiện tại ({})",
                    unit.code,
                    format_instant(current, zone)
                )));
            }
            ids.push(unit.id);
            before.push(format!("{}: {}", unit.code, format_instant(current, zone)));
            codes.push(unit.code.to_string());
        }
        let extension = Extension {
            until: parsed.instant,
            wording: None,
            units: Some(&ids),
            note: &note,
            change: (
                format!("hạn báo cáo của {} (gia hạn)", codes.join(", ")),
                Some(before.join("; ")),
                Some(format_instant(parsed.instant, zone)),
            ),
        };
        store.extend_request(request, &extension, now).await?
    };
    let shown = if units.is_empty() {
        shown
    } else {
        format_instant(parsed.instant, zone)
    };
    Ok(Extended { shown, replanned })
}

/// A request's new deadline as typed, as `request edit` and the edit form take it: refused
/// for a request "để biết" (it has none), for words that are not a deadline, and — once the
/// units have been given one — for an earlier one (shortening takes a new directive).
pub fn new_deadline(
    request: &Request,
    text: &str,
    zone: chrono_tz::Tz,
) -> Result<crate::adapters::store::NewDeadline, String> {
    use crate::domain::dates::{self, parse_deadline};
    let Some(current) = request.deadline else {
        return Err(format!(
            "{} là văn bản để biết, không yêu cầu báo cáo: không có hạn để gia hạn",
            request.token
        ));
    };
    let parsed = parse_deadline(text, zone).map_err(|e| e.to_string())?;
    if request.state == crate::domain::model::RequestState::Active && parsed.instant < current {
        return Err(format!(
            "yêu cầu {} đang theo dõi, đơn vị đã nhận hạn {}: chỉ được lùi hạn (gia hạn); \
             rút ngắn hạn cần một văn bản mới",
            request.token,
            format_instant(current, zone)
        ));
    }
    let wording = dates::deadline_wording(text);
    Ok(crate::adapters::store::NewDeadline {
        at: parsed.instant,
        after_shown: dates::deadline_shown(Some(parsed.instant), wording.as_deref(), zone),
        wording,
        before_shown: Some(dates::deadline_shown(
            request.deadline,
            request.deadline_wording.as_deref(),
            zone,
        )),
    })
}
