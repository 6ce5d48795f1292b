//! Intake: following the report mailbox over IMAP. So far only the connection: TCP with a
//! timeout, TLS (implicit or STARTTLS), greeting and login. The mailbox is only ever opened
//! read-only (EXAMINE) and read with `BODY.PEEK[]`, so no `\Seen` flag is ever set.

pub mod connect;
