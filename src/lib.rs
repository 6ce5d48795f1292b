//! baocao: chase reports from subordinate units by email.
//!
//! See `ARCHITECTURE.md` for the map. The tree is the layers, each importing only itself and
//! those below (`layers.rs` checks it): `domain` (the pure core: the model, dates and the
//! working calendar, planning, reading and classifying mail, what the office reads),
//! `adapters` (configuration and unit lists, the database, SMTP, IMAP, TLS, the clock),
//! `services` (letters, reminders, intake, decisions, jobs, checks) and `wiring` (the CLI, the
//! daemon, the web page).

pub mod adapters;
pub mod domain;
#[cfg(test)]
mod layers;
pub mod services;
pub mod wiring;
