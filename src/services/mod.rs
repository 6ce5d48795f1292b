//! Services: what the product does, from the pure core and the adapters, with the clock
//! passed in. `letters` (outgoing mail: templates, a unit's letters, receipts, the digest and
//! the send loop), `reminders` (planning slots and queueing what is due), `intake` (the
//! mailbox watcher and the one path every message takes), `decisions` (review and manual
//! marks, shared by the CLI and the web page), `jobs` (the work that needs a mail password,
//! done by the CLI or handed to the running service), `checks` (`doctor`'s mail checks) and
//! `series` (making each period's instance of a periodic report when its time comes) and
//! `audit` (the audit trail as people read it, and its CSV).

pub mod audit;
pub mod checks;
pub mod decisions;
pub mod intake;
pub mod jobs;
pub mod letters;
pub mod reminders;
pub mod series;
pub mod units;
