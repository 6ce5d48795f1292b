//! Intake: following the report mailbox and deciding what each message is.
//!
//! - [`message`] reads one message into a [`Letter`] (pure).
//! - [`classify`] applies the intake rules to a letter (pure).
//! - [`pipeline`] is the one path every message takes, from the watcher or from
//!   `intake import`: read, keep a copy on disk, classify, record (store).
//! - [`watch`] follows the mailbox over IMAP: EXAMINE only, `BODY.PEEK[]`, by UID with
//!   UIDVALIDITY, IDLE or polling; it never sets a flag, deletes or moves.
//! - [`receipt`] decides whether a counted submission's sender may get a receipt, and
//!   how it threads (pure).
//! - [`connect`] opens the authenticated IMAP session over TLS.
//! - [`rfc2231`] joins continued MIME parameters (`filename*0*=…`) before decoding them
//!   (pure).

pub mod classify;
pub mod connect;
pub mod message;
pub mod pipeline;
pub mod receipt;
pub mod rfc2231;
pub mod watch;

pub use classify::{Outcome, Phrases, Reason, Rules, Snapshot, State};
pub use message::Letter;
