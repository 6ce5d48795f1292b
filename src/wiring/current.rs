//! What the running service works with — settings, templates, calendar — shared by the
//! daemon (which replaces it on a successful reload) and the web page (which reads it per
//! request). Its own module so that the web page does not import the daemon.

use std::sync::{Arc, RwLock};

use crate::adapters::config::Settings;
use crate::domain::calendar::WorkingCalendar;
use crate::services::letters::Templates;

/// What the service works with; replaced as a whole by a successful reload.
pub struct Current {
    pub settings: Settings,
    pub templates: Arc<Templates>,
    pub calendar: Arc<WorkingCalendar>,
}

/// The current configuration, shared with the web page.
pub type Shared = Arc<RwLock<Arc<Current>>>;

/// The configuration in force now (a reload in progress does not block it).
pub fn read(shared: &Shared) -> Arc<Current> {
    shared.read().unwrap_or_else(|e| e.into_inner()).clone()
}
