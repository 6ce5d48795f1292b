//! Intake: following the report mailbox; what each message is is decided in
//! `crate::domain::incoming` (pure).
//!
//! - [`pipeline`] is the one path every message takes, from the watcher or from
//!   `intake import`: read, keep a copy on disk, classify, record (store).
//! - [`watch`] follows the mailbox over IMAP: EXAMINE only, `BODY.PEEK[]`, by UID with
//!   UIDVALIDITY, IDLE or polling; it never sets a flag, deletes or moves.
//!
//! The authenticated IMAP session over TLS is opened by `crate::adapters::imap`.

pub mod pipeline;
pub mod watch;
