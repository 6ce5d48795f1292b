//! Wiring: where the product meets people and the operating system, and the only layer that
//! reads the wall clock. `cli` (the commands), `daemon` (`baocao run`), `web` (the page the
//! daemon serves), `current` (what the running service works with, replaced by a reload; it
//! sits apart so the web page does not import the daemon) and `telemetry` (logs).

pub mod cli;
pub mod current;
pub mod daemon;
pub mod telemetry;
pub mod web;
