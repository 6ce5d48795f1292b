//! How many login attempts a client may make. Failures are counted per (user name, client
//! address) and per client address, never per name alone: a flood of wrong passwords for
//! the clerk's name from one machine blocks that machine, not the clerk at her own desk.
//!
//! An attempt is counted when it starts, not when its password check ends, so a burst of
//! simultaneous attempts is cut at the limit before any password is hashed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Why an attempt is refused before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures for this name from this address.
    Pair,
    /// Too many failures from this address, whatever the names.
    Address,
}

#[derive(Debug, Default)]
struct Count {
    failures: u32,
    first_failure: Option<Instant>,
    in_flight: u32,
}

impl Count {
    fn forget_old(&mut self, now: Instant) {
        if self
            .first_failure
            .is_some_and(|first| now.duration_since(first) >= Throttle::WINDOW)
        {
            self.failures = 0;
            self.first_failure = None;
        }
    }

    fn used(&self) -> u32 {
        self.failures + self.in_flight
    }

    fn is_empty(&self) -> bool {
        self.failures == 0 && self.in_flight == 0
    }

    fn finish(&mut self, failed: bool, now: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if failed {
            self.failures += 1;
            self.first_failure.get_or_insert(now);
        }
    }
}

/// Login attempts in the last [`Throttle::WINDOW`], per (name, address) and per address.
#[derive(Debug, Default)]
pub struct Throttle {
    pairs: HashMap<(String, IpAddr), Count>,
    addresses: HashMap<IpAddr, Count>,
}

impl Throttle {
    /// Failures (and attempts under way) for one name from one address.
    pub const PAIR_LIMIT: u32 = 5;
    /// Failures (and attempts under way) from one address, whatever the names.
    pub const ADDRESS_LIMIT: u32 = 20;
    /// A block lasts until this long after the first failure it counts.
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    /// Before a password is checked: the refusal, or one attempt reserved for `name` from
    /// `address`, which [`Throttle::finish`] must close.
    pub fn begin(&mut self, name: &str, address: IpAddr, now: Instant) -> Result<(), Refusal> {
        self.forget_old(now);
        let pair_key = (key(name), client(address));
        let pair_used = self.pairs.get(&pair_key).map_or(0, Count::used);
        let address_used = self.addresses.get(&pair_key.1).map_or(0, Count::used);
        if pair_used >= Self::PAIR_LIMIT {
            return Err(Refusal::Pair);
        }
        if address_used >= Self::ADDRESS_LIMIT {
            return Err(Refusal::Address);
        }
        self.addresses.entry(pair_key.1).or_default().in_flight += 1;
        self.pairs.entry(pair_key).or_default().in_flight += 1;
        Ok(())
    }

    /// After the password check that [`Throttle::begin`] allowed. A success clears the
    /// name's failures from that address; the address keeps its count.
    pub fn finish(&mut self, name: &str, address: IpAddr, accepted: bool, now: Instant) {
        let pair_key = (key(name), client(address));
        if let Some(count) = self.addresses.get_mut(&pair_key.1) {
            count.finish(!accepted, now);
        }
        if let Some(count) = self.pairs.get_mut(&pair_key) {
            count.finish(!accepted, now);
            if accepted {
                count.failures = 0;
                count.first_failure = None;
            }
        }
        self.forget_old(now);
    }

    fn forget_old(&mut self, now: Instant) {
        for count in self.pairs.values_mut().chain(self.addresses.values_mut()) {
            count.forget_old(now);
        }
        self.pairs.retain(|_, count| !count.is_empty());
        self.addresses.retain(|_, count| !count.is_empty());
    }
}

/// The name as counted: trimmed, lower case, at most 64 characters.
fn key(name: &str) -> String {
    name.trim().chars().take(64).collect::<String>().to_lowercase()
}

/// The client as counted: an IPv4 address, or the /64 network of an IPv6 one (one machine
/// usually holds a whole /64).
fn client(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & (u128::MAX << 64);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATTACKER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9));
    const CLERK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 168, 1, 20));

    fn fail(throttle: &mut Throttle, name: &str, address: IpAddr, now: Instant) -> Result<(), Refusal> {
        throttle.begin(name, address, now)?;
        throttle.finish(name, address, false, now);
        Ok(())
    }

    #[test]
    fn failures_block_the_name_only_from_the_address_they_came_from() {
        let mut throttle = Throttle::default();
        let start = Instant::now();
        for _ in 0..Throttle::PAIR_LIMIT {
            fail(&mut throttle, "vanthu", ATTACKER, start).unwrap();
        }
        let later = start + Duration::from_secs(60);
        assert_eq!(throttle.begin("VanThu ", ATTACKER, later), Err(Refusal::Pair));
        assert_eq!(throttle.begin("vanthu", CLERK, later), Ok(()), "the clerk's own desk");
        throttle.finish("vanthu", CLERK, true, later);
        assert_eq!(throttle.begin("ketoan", ATTACKER, later), Ok(()), "another name");
        throttle.finish("ketoan", ATTACKER, false, later);
        let after_window = start + Throttle::WINDOW + Duration::from_secs(1);
        assert_eq!(throttle.begin("vanthu", ATTACKER, after_window), Ok(()));
    }

    #[test]
    fn an_address_that_tries_many_names_is_blocked_for_all() {
        let mut throttle = Throttle::default();
        let now = Instant::now();
        for n in 0..Throttle::ADDRESS_LIMIT {
            fail(&mut throttle, &format!("user{n}"), ATTACKER, now).unwrap();
        }
        assert_eq!(throttle.begin("vanthu", ATTACKER, now), Err(Refusal::Address));
        assert_eq!(throttle.begin("vanthu", CLERK, now), Ok(()));
    }

    #[test]
    fn simultaneous_attempts_count_before_their_passwords_are_checked() {
        let mut throttle = Throttle::default();
        let now = Instant::now();
        let allowed = (0..160)
            .filter(|_| throttle.begin("vanthu", ATTACKER, now).is_ok())
            .count();
        assert_eq!(allowed, Throttle::PAIR_LIMIT as usize);
        for _ in 0..allowed {
            throttle.finish("vanthu", ATTACKER, false, now);
        }
        assert_eq!(throttle.begin("vanthu", ATTACKER, now), Err(Refusal::Pair));
    }

    #[test]
    fn a_success_clears_the_names_failures_but_not_the_addresss() {
        let mut throttle = Throttle::default();
        let now = Instant::now();
        for _ in 0..4 {
            fail(&mut throttle, "vanthu", CLERK, now).unwrap();
        }
        throttle.begin("vanthu", CLERK, now).unwrap();
        throttle.finish("vanthu", CLERK, true, now);
        for _ in 0..4 {
            fail(&mut throttle, "vanthu", CLERK, now).unwrap();
        }
        assert_eq!(throttle.begin("vanthu", CLERK, now), Ok(()));
        throttle.finish("vanthu", CLERK, true, now);
        assert_eq!(throttle.addresses[&CLERK].failures, 8);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        let a: IpAddr = "2001:db8:1:2::10".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.168.1.20".parse().unwrap();
        assert_eq!(client(a), client(b));
        assert_eq!(client(mapped), CLERK);
    }
}
