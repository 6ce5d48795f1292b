//! The one integration test binary: a module per capability, all standing on `harness`.

// Tests and their helpers may unwrap: a panic is a failed test with its location.
#![allow(clippy::unwrap_used)]

mod harness;

mod audit;
mod cli_calendar;
mod cli_config;
mod cli_directive;
mod cli_requests;
mod cli_units;
mod daemon;
mod daemon_faults;
mod escalation;
mod export;
mod hostile;
mod instances;
mod intake_fixtures;
mod intake_review;
mod intake_watch;
mod lab_selftest;
mod letters;
mod login_refused;
mod logs;
mod mailer;
mod overview_counts;
mod properties;
mod query_plans;
mod reminders;
mod review_queue;
mod series;
mod service_jobs;
mod service_unit;
mod unit_merge;
mod web;
mod web_limits;
mod web_outbox;
mod web_requests;
mod web_roles;
mod web_scenario;
mod web_templates;
