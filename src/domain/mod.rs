//! The pure core: the product's nouns and every decision made from them, with `now` and the
//! settings they need passed in. Nothing here does IO, reads the clock, or imports a module
//! outside `domain` (the `layers` test fails on an import that points up).
//!
//! - [`model`], [`matching`]: units, requests and their checked values; how codes compare.
//! - [`dates`], [`lunar`], [`calendar`], [`calendar_edit`]: deadlines as công văn write them,
//!   the working calendar and its yearly decisions.
//! - [`window`], [`plan`]: when mail may go, and when each reminder of a unit goes and why.
//! - [`incoming`]: one message read into a letter, the intake rules, receipt rules.
//! - [`report`]: where each unit stands, lateness in working days, the exports.

pub mod calendar;
pub mod calendar_edit;
pub mod dates;
pub mod directive;
pub mod escalation;
pub mod incoming;
pub mod lunar;
pub mod matching;
pub mod model;
pub mod period;
pub mod plan;
pub mod report;
pub mod window;
