//! The receipt of a counted submission ("Xác nhận đã nhận báo cáo"), threaded under the
//! unit's message and queued with the submission in one transaction. Whether a sender may get
//! one at all (RFC 3834) is the pure core's `domain::incoming::receipt`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::ids::receipt_message_id;
use super::to_unit::office_vars;
use super::{OfficeVars, ReceiptVars, Templates, UnitVars};
use crate::adapters::config::Settings;
use crate::adapters::store::{NewMessage, QueuedReceipt, Store, StoreError};
use crate::domain::incoming::message::Letter;
use crate::domain::incoming::receipt;
use crate::domain::model::{RequestId, UnitId};

/// What writing a receipt needs.
#[derive(Debug, Clone)]
pub struct Receipts {
    templates: Arc<Templates>,
    office: OfficeVars,
    zone: Tz,
    domain: String,
    pause: chrono::Duration,
}

impl Receipts {
    /// Receipts as the configuration has them: `None` unless `[intake] receipts = true`.
    pub fn when_on(settings: &Settings, templates: Arc<Templates>) -> Option<Receipts> {
        settings.intake.receipts.then(|| Receipts::new(settings, templates))
    }

    pub fn new(settings: &Settings, templates: Arc<Templates>) -> Receipts {
        Receipts {
            templates,
            office: office_vars(settings),
            zone: settings.office.zone,
            domain: settings.office.report_mailbox.domain().to_string(),
            pause: settings.intake.receipt_pause,
        }
    }

    /// The receipt for a submission about to be counted, threaded under it; `None` (and a
    /// warning) when the template cannot render it: the submission counts all the same.
    pub async fn compose(
        &self,
        store: &Store,
        letter: &Letter,
        (request_id, unit_id): (RequestId, UnitId),
        resubmission: bool,
        received_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<QueuedReceipt>, StoreError> {
        let Some(to) = letter.from.clone() else {
            return Ok(None);
        };
        let request = store.request_by_id(request_id).await?;
        let deadline = store.unit_deadline(&request, unit_id).await?;
        let (code, name) = store.unit_code_and_name(unit_id).await?;
        let vars = ReceiptVars::new(
            self.office.clone(),
            UnitVars { code, name },
            &request,
            deadline,
            received_at,
            resubmission,
            letter.counted_attachments().map(|a| a.name.clone()).collect(),
            &letter.subject,
            self.zone,
        );
        let rendered = match self.templates.render_receipt(&vars) {
            Ok(rendered) => rendered,
            Err(error) => {
                tracing::warn!(request = %request.token, unit = unit_id.get(), %error, "receipt not written");
                return Ok(None);
            }
        };
        let (in_reply_to, references_ids) = receipt::threading(letter);
        let message = NewMessage {
            slot_id: None,
            dedupe_key: format!("receipt:{}", letter.content_hash),
            kind: "receipt".into(),
            request_id: Some(request_id),
            unit_id: Some(unit_id),
            to_address: to,
            to_name: letter.from_name.clone(),
            message_id: receipt_message_id(&request.token, &self.domain),
            subject: rendered.subject,
            body: rendered.text,
            body_html: rendered.html,
            in_reply_to,
            references_ids,
            cc_addresses: None,
        };
        Ok(Some(QueuedReceipt {
            message,
            unless_sent_since: now - self.pause,
        }))
    }
}
