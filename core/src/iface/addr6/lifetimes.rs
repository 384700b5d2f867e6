//! The lifetimes of an autoconfigured address (RFC 4862 §5.5.3 e, §5.5.4):
//! a Prefix Information option refreshes them under the "two-hour rule",
//! and the address is deprecated when its preferred lifetime ends and
//! removed when its valid lifetime ends.

use crate::time::{Duration, Instant};

/// RFC 4862 §5.5.3 e): 2 hours, the valid lifetime an unauthenticated
/// Router Advertisement cannot shorten an address below.
pub const TWO_HOURS: Duration = Duration::from_secs(2 * 3600);

/// Preferred and valid lifetimes of an address as instants; `None`: infinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Lifetimes {
    /// End of the preferred lifetime: deprecated from then on (§5.5.4).
    pub preferred_until: Option<Instant>,
    /// End of the valid lifetime: removed then (§5.5.4).
    pub valid_until: Option<Instant>,
}

/// An advertised lifetime in seconds as an instant (0xffffffff: infinity,
/// RFC 4861 §4.6.2).
pub fn until(now: Instant, secs: u32) -> Option<Instant> {
    (secs != u32::MAX).then(|| now + Duration::from_secs(u64::from(secs)))
}

impl Lifetimes {
    /// Infinite lifetimes: a static or link-local address.
    pub const FOREVER: Lifetimes = Lifetimes {
        preferred_until: None,
        valid_until: None,
    };

    /// The lifetimes of a new address from a prefix (§5.5.3 d).
    pub fn new(now: Instant, preferred: u32, valid: u32) -> Lifetimes {
        Lifetimes {
            preferred_until: until(now, preferred),
            valid_until: until(now, valid),
        }
    }

    /// RFC 4862 §5.5.3 e): an option for the prefix of an existing address.
    /// The preferred lifetime is reset to the advertised one; the valid
    /// lifetime is reset to the advertised one only when that is over two
    /// hours or longer than what remains; else, if two hours or less
    /// remain, it is left alone (a spoofed RA cannot end the address
    /// early); else it becomes two hours.
    pub fn refresh(&mut self, now: Instant, preferred: u32, valid: u32) {
        self.preferred_until = until(now, preferred);
        let advertised = until(now, valid);
        let remaining = self.valid_until.map(|t| t.saturating_duration_since(now));
        let longer = match (advertised, remaining) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(r)) => a.saturating_duration_since(now) > r,
        };
        let over_two_hours = Duration::from_secs(u64::from(valid)) > TWO_HOURS;
        if over_two_hours || longer {
            self.valid_until = advertised;
        } else if remaining.is_some_and(|r| r <= TWO_HOURS) {
            // "If RemainingLifetime is less than or equal to 2 hours,
            // ignore the Prefix Information option with regards to the
            // valid lifetime."
        } else {
            self.valid_until = Some(now + TWO_HOURS);
        }
        // §5.5.3 c) keeps preferred ≤ valid for the option; keep it so
        // for the address too once the valid lifetime was cut.
        if let (Some(v), p) = (self.valid_until, self.preferred_until) {
            if p.is_none_or(|p| p > v) {
                self.preferred_until = Some(v);
            }
        }
    }

    /// True once the preferred lifetime ended (§5.5.4: deprecated).
    pub fn deprecated(&self, now: Instant) -> bool {
        self.preferred_until.is_some_and(|t| t <= now)
    }

    /// True once the valid lifetime ended (§5.5.4: invalid, removed).
    pub fn expired(&self, now: Instant) -> bool {
        self.valid_until.is_some_and(|t| t <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u32 = 3600;

    fn at(secs: i64) -> Instant {
        Instant::from_secs(secs)
    }

    #[test]
    fn a_long_advertised_valid_lifetime_always_replaces_the_remaining_one() {
        let mut l = Lifetimes::new(at(0), 10 * HOUR, 20 * HOUR);
        l.refresh(at(100), 5 * HOUR, 3 * HOUR);
        assert_eq!(l.valid_until, Some(at(100 + 3 * 3600)));
        assert_eq!(l.preferred_until, Some(at(100 + 3 * 3600)));
    }

    #[test]
    fn a_short_valid_lifetime_cuts_a_long_remaining_one_to_two_hours() {
        // §5.5.3 e) 3: remaining 20 h, advertised 0 (a prefix withdrawn, or
        // a spoofed RA): two hours, not zero.
        let mut l = Lifetimes::new(at(0), 10 * HOUR, 20 * HOUR);
        l.refresh(at(60), 0, 0);
        assert_eq!(l.valid_until, Some(at(60) + TWO_HOURS));
        assert!(
            l.deprecated(at(60)),
            "preferred lifetime 0 deprecates at once"
        );
        assert!(!l.expired(at(60) + TWO_HOURS - Duration::from_secs(1)));
        assert!(l.expired(at(60) + TWO_HOURS));
    }

    #[test]
    fn within_two_hours_a_shorter_valid_lifetime_is_ignored() {
        // §5.5.3 e) 2: remaining 1 h ≤ 2 h, advertised 10 min: unchanged.
        let mut l = Lifetimes::new(at(0), 1800, HOUR);
        l.refresh(at(0), 600, 600);
        assert_eq!(l.valid_until, Some(at(3600)));
        assert_eq!(l.preferred_until, Some(at(600)));
    }

    #[test]
    fn a_longer_valid_lifetime_within_two_hours_extends() {
        // §5.5.3 e) 1: advertised longer than remaining.
        let mut l = Lifetimes::new(at(0), 30, 60);
        l.refresh(at(30), 30, 90);
        assert_eq!(l.valid_until, Some(at(120)));
    }

    #[test]
    fn infinity_is_kept_and_a_finite_one_cannot_end_it_before_two_hours() {
        let mut l = Lifetimes::new(at(0), u32::MAX, u32::MAX);
        assert_eq!(l, Lifetimes::FOREVER);
        l.refresh(at(5), 100, 200);
        assert_eq!(l.valid_until, Some(at(5) + TWO_HOURS));
        assert_eq!(l.preferred_until, Some(at(105)));
    }
}
