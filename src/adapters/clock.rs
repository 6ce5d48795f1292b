//! Where "now" comes from for work that lasts. Decisions take `now` as a value; a pass that
//! sends for minutes needs a clock instead, read again for each claim and each outcome, so a
//! lease or a retry time is never computed from a stale instant.

use std::time::Instant;

use chrono::{DateTime, Utc};

/// The wall clock, or a chosen start (`reminders send --at`) that moves on with real time.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    shifted: Option<(DateTime<Utc>, Instant)>,
}

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Clock {
        Clock { shifted: None }
    }

    /// `at` now, and as much later as real time goes on.
    pub fn starting_at(at: DateTime<Utc>) -> Clock {
        Clock {
            shifted: Some((at, Instant::now())),
        }
    }

    #[allow(clippy::disallowed_methods)]
    pub fn now(&self) -> DateTime<Utc> {
        match self.shifted {
            None => Utc::now(),
            Some((at, started)) => at + chrono::Duration::from_std(started.elapsed()).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_shifted_clock_moves_on_from_its_start() {
        let at = Utc.with_ymd_and_hms(2030, 3, 13, 0, 30, 0).unwrap();
        let clock = Clock::starting_at(at);
        let first = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let second = clock.now();
        assert!(first >= at && second > first, "{first} {second}");
        assert!(second - at < chrono::Duration::seconds(5));
    }
}
