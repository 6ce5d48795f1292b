//! baocao: chase reports from subordinate units by email.
//!
//! See `ARCHITECTURE.md` for the map. Modules in reading order: the pure core (`model`,
//! `matching`, `dates`), reading configuration (`config`) and unit lists (`import`), the
//! store (`store`), what the office reads (`report`), the mail adapters (`tls`, `intake`),
//! the service (`daemon`, `telemetry`) and the command line (`cli`).

pub mod checks;
pub mod cli;
pub mod clock;
pub mod config;
pub mod current;
pub mod daemon;
pub mod decisions;
pub mod domain;
pub mod import;
pub mod intake;
pub mod jobs;
#[cfg(test)]
mod layers;
pub mod letters;
pub mod mailer;
pub mod reminders;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod web;
