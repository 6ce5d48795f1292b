//! Logging: native journald records when systemd runs us with the journal on stdout/stderr
//! (`JOURNAL_STREAM` is set), plain lines on stderr otherwise, never ANSI colours. Logs are
//! English; secrets never reach them (they live in [`crate::adapters::config::Secret`], whose `Debug`
//! hides them, and connection strings are redacted before they are logged).

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Installs the global subscriber once; `RUST_LOG` overrides `default_level`.
pub fn init(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        // The journald layer needs the journal's socket; without it, fall back to stderr.
        if let Ok(journald) = tracing_journald::layer() {
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(journald.with_syslog_identifier("baocao".into()))
                .try_init();
            return;
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
