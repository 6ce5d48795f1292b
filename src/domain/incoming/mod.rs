//! Incoming mail, decided without IO: [`message`] reads one message into a [`Letter`]
//! (never panics), [`rfc2231`] joins continued MIME parameters before decoding them,
//! [`classify`] applies the intake rules of PRODUCT.md in order, and [`receipt`] decides
//! whether a counted submission's sender may get a receipt and how it threads. The IO side
//! (IMAP, the kept copy, the store) is `crate::intake`.

pub mod classify;
pub mod message;
pub mod receipt;
pub mod rfc2231;

pub use classify::{Outcome, Phrases, Reason, Rules, Snapshot, State};
pub use message::Letter;
