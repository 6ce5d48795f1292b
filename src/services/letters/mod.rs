//! Outgoing mail, in one place: the templates (`templates`), the values each kind of letter
//! sees (`vars`), the letters themselves — a unit's notice, reminder and overdue notice
//! (`to_unit`), the receipt of a counted submission (`receipt`), the office's daily digest
//! (`digest`) —, our Message-IDs (`ids`), and the send loop that delivers what waits in the
//! outbox through the SMTP adapter (`send`).
//!
//! Every letter is rendered into the outbox (`store::outbox`) before any SMTP traffic; the
//! send loop only delivers rows of the outbox and records their outcome.

pub mod digest;
#[cfg(test)]
mod doc;
pub mod ids;
pub mod receipt;
pub mod send;
pub mod templates;
pub mod to_unit;
pub mod vars;

pub use templates::{Rendered, TemplateError, TemplateKind, Templates};
pub use vars::{DigestRequest, DigestVars, FailingVars, OfficeVars, ReceiptVars, RequestVars, UnitMessage, UnitVars};

use chrono::{DateTime, Utc};

use crate::adapters::config::Settings;
use crate::adapters::store::StoreError;
use crate::domain::calendar::WorkingCalendar;
use crate::domain::window::next_opening;

/// What writing letters needs besides the store: settings, the working calendar and templates.
pub struct Setup<'a> {
    pub settings: &'a Settings,
    pub calendar: &'a WorkingCalendar,
    pub templates: &'a Templates,
}

/// Why letters could not be queued: the store failed, or a template would not render.
#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Template(#[from] TemplateError),
}

impl Setup<'_> {
    /// Whether mail to units may go out at `at`.
    pub fn window_open(&self, at: DateTime<Utc>) -> bool {
        next_opening(at, &self.settings.send_window, self.calendar, self.settings.office.zone)
            .is_some_and(|opening| opening.moved.is_none())
    }

    /// How long after a deadline overdue notices stop.
    pub fn stop_overdue_after(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.settings.reminders.stop_overdue_after_minutes)
    }
}
