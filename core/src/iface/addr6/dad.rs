//! Duplicate Address Detection for one tentative address (RFC 4862 §5.4):
//! when its Neighbor Solicitations are due, the nonce each carries (RFC
//! 7527), and when the address passes. A machine that knows no
//! `Interface`: `autoconf.rs` frames the solicitations and reports what the
//! link said about the address ([`Dad`] is only asked about nonces).

use crate::time::{Duration, Instant};

/// RFC 4861 §10 MAX_RTR_SOLICITATION_DELAY, which RFC 4862 §5.4.2 borrows
/// for the random delay before the first solicitation of DAD: 1 s.
pub const MAX_DAD_DELAY: Duration = Duration::from_secs(1);

/// What a due DAD timer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DadStep {
    /// Send a Neighbor Solicitation for the address from `::`, to its
    /// solicited-node group, carrying this Nonce option (RFC 7527 §4.1).
    Solicit([u8; 6]),
    /// DupAddrDetectTransmits solicitations went out and RetransTimer
    /// passed after the last with no answer: the address is unique (§5.4.3,
    /// §5.4.4 did not fire).
    Passed,
}

/// DAD of one address: `transmits` solicitations, `RetransTimer` apart,
/// the first after a random delay (RFC 4862 §5.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Dad {
    /// Solicitations still to send.
    left: u8,
    /// Solicitations sent so far (their nonces are `nonce_base ^ i`).
    sent: u8,
    /// When the next step is due.
    at: Instant,
    /// 48 random bits: the nonce of the first solicitation.
    nonce_base: u64,
}

/// A random delay in `[0, MAX_RTR_SOLICITATION_DELAY)` from 32 random bits:
/// RFC 4862 §5.4.2's delay before the first solicitation, and before
/// joining the address's solicited-node group.
pub fn random_delay(random: u32) -> Duration {
    let max = MAX_DAD_DELAY.total_micros();
    Duration::from_micros(((u128::from(max) * u128::from(random)) >> 32) as u64)
}

impl Dad {
    /// DAD with `transmits` (≥ 1) solicitations, the first at `first`.
    /// `nonce`: 48 random bits.
    ///
    /// RFC 4862 §5.4.2: "the node SHOULD delay sending the first Neighbor
    /// Solicitation by a random delay between 0 and
    /// MAX_RTR_SOLICITATION_DELAY" so that hosts started together (a power
    /// failure) do not collide: the caller picks `first` with
    /// [`random_delay`], after the delayed join of the solicited-node group.
    pub fn new(transmits: u8, first: Instant, nonce: u64) -> Dad {
        Dad {
            left: transmits.max(1),
            sent: 0,
            at: first,
            nonce_base: nonce & 0xffff_ffff_ffff,
        }
    }

    /// When the machine has its next step.
    pub fn poll_at(&self) -> Instant {
        self.at
    }

    /// The step due at `now`, if any. `retrans`: the interface's
    /// RetransTimer (RFC 4861 §6.3.2, 1 s unless an RA said otherwise),
    /// which spaces the solicitations and is waited after the last (§5.4.2).
    pub fn poll(&mut self, now: Instant, retrans: Duration) -> Option<DadStep> {
        if now < self.at {
            return None;
        }
        if self.left == 0 {
            return Some(DadStep::Passed);
        }
        let nonce = self.nonce(self.sent);
        self.left -= 1;
        self.sent = self.sent.saturating_add(1);
        self.at = now + retrans;
        Some(DadStep::Solicit(nonce))
    }

    /// The nonce of the `i`th solicitation: distinct per solicitation, as
    /// RFC 7527 §4.1 asks, without storing each.
    fn nonce(&self, i: u8) -> [u8; 6] {
        let n = self.nonce_base ^ u64::from(i);
        let b = n.to_be_bytes();
        [b[2], b[3], b[4], b[5], b[6], b[7]]
    }

    /// RFC 7527 §4.2: a solicitation for the address carrying the nonce of
    /// one we sent is our own, looped back by the link, not a conflict.
    pub fn is_own(&self, nonce: &[u8]) -> bool {
        (0..self.sent).any(|i| self.nonce(i)[..] == *nonce)
    }

    /// How many solicitations went out.
    pub fn sent(&self) -> u8 {
        self.sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solicitations_are_spaced_by_retrans_timer_and_pass_one_timer_after_the_last() {
        let t0 = Instant::from_secs(10);
        let retrans = Duration::from_secs(1);
        // random u32::MAX/2: half the maximum delay.
        let mut d = Dad::new(2, t0 + random_delay(u32::MAX / 2), 0x1234_5678_9abc);
        let first = d.poll_at();
        assert!(first > t0 && first < t0 + MAX_DAD_DELAY);
        assert_eq!(d.poll(t0, retrans), None);
        let Some(DadStep::Solicit(n1)) = d.poll(first, retrans) else {
            panic!("first solicitation")
        };
        assert_eq!(d.poll(first + Duration::from_millis(999), retrans), None);
        let Some(DadStep::Solicit(n2)) = d.poll(first + retrans, retrans) else {
            panic!("second solicitation")
        };
        assert_ne!(n1, n2);
        assert!(d.is_own(&n1) && d.is_own(&n2));
        assert!(!d.is_own(&[0; 6]));
        assert_eq!(d.poll(first + retrans * 2, retrans), Some(DadStep::Passed));
    }

    #[test]
    fn no_nonce_is_ours_before_the_first_solicitation() {
        let d = Dad::new(1, Instant::ZERO, 0);
        assert!(!d.is_own(&[0; 6]));
    }
}
