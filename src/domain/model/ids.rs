//! The numbers the database gives units, requests and incoming messages, each its own type so
//! one cannot be passed where another is meant. They print and serialise as the bare number;
//! `new` is for the store reading a row and for the edges parsing what a person typed.

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;

use serde::Serialize;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(id: i64) -> Self {
                $name(id)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        /// The number as typed on the command line (`review show 12`).
        impl FromStr for $name {
            type Err = ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map($name)
            }
        }
    };
}

id_type!(
    /// A unit's row (`units.id`).
    UnitId
);
id_type!(
    /// A request's row (`requests.id`).
    RequestId
);
id_type!(
    /// An incoming message's number (`incoming_messages.id`): the "thư số N" clerks read and
    /// the review queue goes by. Not the Message-ID header, which this code calls `message_id`.
    IncomingId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_and_prints_as_its_bare_number() {
        let id: IncomingId = "42".parse().unwrap();
        assert_eq!(id, IncomingId::new(42));
        assert_eq!(id.get(), 42);
        assert_eq!(id.to_string(), "42");
        assert_eq!(serde_json::to_string(&[UnitId::new(7)]).unwrap(), "[7]");
        assert!("thư 4".parse::<RequestId>().is_err());
    }
}
