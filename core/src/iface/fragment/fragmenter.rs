//! Fragmentation on transmit: which pieces a payload is cut into.
//!
//! [`fragments`] is the plan alone (offsets and lengths, RFC 791 §3.2 and
//! RFC 8200 §4.5: every piece but the last a multiple of 8 bytes), for IPv4
//! and IPv6 alike. The one emit path, `Inner::write_ip_from` in
//! `iface/out.rs`, follows it and writes each piece's header and data
//! straight into a device buffer or the pending queue (no copy of the
//! datagram: the transport body is written piece by piece).

/// One piece of a payload to send: `payload[offset..offset + len]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FragmentPlan {
    /// Where the piece starts in the payload (a multiple of 8).
    pub offset: usize,
    /// How many bytes it carries (a multiple of 8 unless it is the last).
    pub len: usize,
    /// More Fragments: true for every piece but the last.
    pub more: bool,
}

impl FragmentPlan {
    /// The payload range of this piece.
    pub const fn range(&self) -> core::ops::Range<usize> {
        self.offset..self.offset + self.len
    }
}

/// The pieces of a payload, from [`fragments`] or [`Fragments::new`].
#[derive(Debug, Clone)]
pub struct Fragments {
    payload_len: usize,
    next: usize,
    first_max: usize,
    rest_max: usize,
    done: bool,
}

impl Fragments {
    /// The pieces of `payload_len` bytes, when the first piece may carry
    /// `first_max` bytes and the others `rest_max` (an IPv4 first fragment
    /// can have a longer header than the rest: RFC 791 §3.2 copies only some
    /// options).
    ///
    /// Every piece but the last carries the largest multiple of 8 that fits
    /// (RFC 791 §3.2: offsets count 8-byte units). When a piece would have to
    /// be split but fewer than 8 bytes fit, the iteration stops early; check
    /// with [`fragment_count`] first.
    pub const fn new(payload_len: usize, first_max: usize, rest_max: usize) -> Fragments {
        Fragments {
            payload_len,
            next: 0,
            first_max,
            rest_max,
            done: false,
        }
    }
}

impl Iterator for Fragments {
    type Item = FragmentPlan;

    fn next(&mut self) -> Option<FragmentPlan> {
        if self.done {
            return None;
        }
        let offset = self.next;
        let left = self.payload_len.saturating_sub(offset);
        let max = if offset == 0 {
            self.first_max
        } else {
            self.rest_max
        };
        if left <= max {
            // The last piece (or the only one, possibly empty).
            self.done = true;
            return Some(FragmentPlan {
                offset,
                len: left,
                more: false,
            });
        }
        // RFC 791 §3.2: "the number of 8-octet blocks … is the largest
        // integer that fits" in what the MTU leaves for data.
        let len = max & !7;
        if len == 0 {
            self.done = true;
            return None;
        }
        self.next = offset + len;
        Some(FragmentPlan {
            offset,
            len,
            more: true,
        })
    }
}

impl core::iter::FusedIterator for Fragments {}

/// The pieces of a `payload_len`-byte payload when each may carry at most
/// `max_payload_per_fragment` bytes (the MTU minus every header).
///
/// An empty payload gives one empty piece. See [`Fragments::new`].
pub const fn fragments(payload_len: usize, max_payload_per_fragment: usize) -> Fragments {
    Fragments::new(
        payload_len,
        max_payload_per_fragment,
        max_payload_per_fragment,
    )
}

/// How many pieces [`fragments`] gives, or `None` when the payload must be
/// split and fewer than 8 bytes fit in a piece (no progress possible).
pub const fn fragment_count(payload_len: usize, max_payload_per_fragment: usize) -> Option<usize> {
    if payload_len <= max_payload_per_fragment {
        return Some(1);
    }
    let step = max_payload_per_fragment & !7;
    if step == 0 {
        return None;
    }
    // Full pieces until what is left fits the last one.
    let full = (payload_len - max_payload_per_fragment).div_ceil(step);
    Some(full + 1)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// The invariants of every plan: lengths sum to the payload, offsets are
    /// contiguous and 8-aligned, every non-last piece is the largest multiple
    /// of 8 that fits, only the last has `more` clear.
    fn check_plan(payload_len: usize, max: usize) -> Vec<FragmentPlan> {
        let plan: Vec<FragmentPlan> = fragments(payload_len, max).collect();
        assert_eq!(Some(plan.len()), fragment_count(payload_len, max));
        let mut next = 0;
        for (i, p) in plan.iter().enumerate() {
            assert_eq!(p.offset, next, "contiguous");
            assert_eq!(p.offset % 8, 0, "8-aligned");
            assert!(p.len <= max);
            let last = i + 1 == plan.len();
            assert_eq!(p.more, !last);
            if !last {
                assert_eq!(p.len, max & !7, "largest multiple of 8");
            }
            next += p.len;
        }
        assert_eq!(next, payload_len, "lengths sum to the payload");
        plan
    }

    #[test]
    fn plan_for_mtu_1500_and_10000_bytes() {
        // RFC 791 §3.2: 1500 − 20 = 1480 = 185 blocks of 8.
        let plan = check_plan(10_000, 1480);
        assert_eq!(plan.len(), 7);
        assert_eq!(
            plan[6],
            FragmentPlan {
                offset: 8880,
                len: 1120,
                more: false
            }
        );
    }

    #[test]
    fn plan_for_mtu_576_and_10000_bytes() {
        // 576 − 20 = 556, rounded down to 552 per non-last fragment.
        let plan = check_plan(10_000, 556);
        assert_eq!(plan.len(), 19);
        assert!(plan[..18].iter().all(|p| p.len == 552));
        assert_eq!(
            plan[18],
            FragmentPlan {
                offset: 9936,
                len: 64,
                more: false
            }
        );
    }

    #[test]
    fn plans_hold_their_invariants_over_many_sizes() {
        for max in [8, 9, 15, 16, 17, 100, 556, 1232, 1480] {
            for len in (0..3000).step_by(13) {
                check_plan(len, max);
            }
        }
    }

    #[test]
    fn empty_payload_gives_one_empty_fragment() {
        assert_eq!(
            check_plan(0, 1480),
            vec![FragmentPlan {
                offset: 0,
                len: 0,
                more: false
            }]
        );
        assert_eq!(fragments(0, 0).count(), 1);
    }

    #[test]
    fn payload_that_fits_exactly_is_one_fragment() {
        assert_eq!(check_plan(1480, 1480).len(), 1);
        assert_eq!(check_plan(1481, 1480).len(), 2);
    }

    #[test]
    fn fewer_than_8_bytes_per_fragment_cannot_progress() {
        assert_eq!(fragment_count(10, 7), None);
        assert_eq!(fragments(10, 7).count(), 0);
        assert_eq!(fragment_count(7, 7), Some(1));
    }

    #[test]
    fn first_fragment_may_have_a_different_maximum() {
        let plan: Vec<FragmentPlan> = Fragments::new(100, 20, 40).collect();
        assert_eq!(
            plan,
            vec![
                FragmentPlan {
                    offset: 0,
                    len: 16,
                    more: true
                },
                FragmentPlan {
                    offset: 16,
                    len: 40,
                    more: true
                },
                FragmentPlan {
                    offset: 56,
                    len: 40,
                    more: true
                },
                FragmentPlan {
                    offset: 96,
                    len: 4,
                    more: false
                },
            ]
        );
    }
}
