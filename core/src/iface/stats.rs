//! Counters: what the interface received, sent, and dropped, and why.
//!
//! Every frame the interface does not deliver is counted here under exactly
//! one [`DropReason`], so a user can tell "the peer sends bad checksums" from
//! "my socket buffer is too small" without a packet capture.

/// Why a frame, packet or datagram was not delivered or not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DropReason {
    /// Shorter than its headers or length fields say.
    Truncated,
    /// A header field held a forbidden value.
    Malformed,
    /// A checksum did not match.
    BadChecksum,
    /// A protocol, version or option this stack does not handle.
    Unsupported,
    /// Addressed to another host (MAC or IP).
    NotForUs,
    /// VLAN-tagged while the interface takes untagged frames only.
    Vlan,
    /// A source address that no host may use (multicast, broadcast, ours).
    BadSource,
    /// No socket was bound to the destination.
    NoSocket,
    /// A socket or queue was full.
    BufferFull,
    /// No route to the destination.
    NoRoute,
    /// Link-layer resolution failed, or its queue was full.
    Unresolved,
    /// Fragment reassembly refused it or timed out.
    Reassembly,
    /// The TTL/hop limit ran out (we are not a router).
    HopLimit,
    /// Larger than the MTU with fragmentation forbidden.
    TooBig,
    /// The device could not take the frame.
    DeviceBusy,
    /// Suppressed by a rate limit (ICMP errors, ARP requests).
    RateLimited,
}

impl DropReason {
    /// Every reason, in counter order.
    pub const ALL: [DropReason; 16] = [
        DropReason::Truncated,
        DropReason::Malformed,
        DropReason::BadChecksum,
        DropReason::Unsupported,
        DropReason::NotForUs,
        DropReason::Vlan,
        DropReason::BadSource,
        DropReason::NoSocket,
        DropReason::BufferFull,
        DropReason::NoRoute,
        DropReason::Unresolved,
        DropReason::Reassembly,
        DropReason::HopLimit,
        DropReason::TooBig,
        DropReason::DeviceBusy,
        DropReason::RateLimited,
    ];

    /// A short lowercase name for logs and tables.
    pub const fn as_str(&self) -> &'static str {
        match self {
            DropReason::Truncated => "truncated",
            DropReason::Malformed => "malformed",
            DropReason::BadChecksum => "bad checksum",
            DropReason::Unsupported => "unsupported",
            DropReason::NotForUs => "not for us",
            DropReason::Vlan => "vlan",
            DropReason::BadSource => "bad source",
            DropReason::NoSocket => "no socket",
            DropReason::BufferFull => "buffer full",
            DropReason::NoRoute => "no route",
            DropReason::Unresolved => "unresolved",
            DropReason::Reassembly => "reassembly",
            DropReason::HopLimit => "hop limit",
            DropReason::TooBig => "too big",
            DropReason::DeviceBusy => "device busy",
            DropReason::RateLimited => "rate limited",
        }
    }

    const fn index(&self) -> usize {
        *self as usize
    }

    /// The reason a `wire` parse error stands for.
    pub const fn from_wire(err: &crate::wire::Error) -> DropReason {
        match err {
            crate::wire::Error::Truncated => DropReason::Truncated,
            crate::wire::Error::Malformed(_) => DropReason::Malformed,
            crate::wire::Error::Checksum => DropReason::BadChecksum,
            _ => DropReason::Unsupported,
        }
    }
}

/// The interface's counters. All of them only ever grow (wrapping at 2^64).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stats {
    /// Frames taken from the device.
    pub rx_frames: u64,
    /// Bytes in those frames.
    pub rx_bytes: u64,
    /// Frames handed to the device.
    pub tx_frames: u64,
    /// Bytes in those frames.
    pub tx_bytes: u64,
    /// IPv4 datagrams reassembled from fragments.
    pub reassembled: u64,
    /// IPv4 fragments sent.
    pub fragments_sent: u64,
    /// ICMP errors sent.
    pub icmp_errors_sent: u64,
    drops: [u64; DropReason::ALL.len()],
}

impl Stats {
    /// How many were dropped for `reason`.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.drops.get(reason.index()).copied().unwrap_or(0)
    }

    /// How many were dropped for any reason.
    pub fn dropped_total(&self) -> u64 {
        self.drops.iter().fold(0u64, |a, b| a.wrapping_add(*b))
    }

    /// Each reason with its count, zero counts included.
    pub fn drops(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL.iter().map(move |r| (*r, self.dropped(*r)))
    }

    pub(crate) fn drop(&mut self, reason: DropReason) {
        if let Some(c) = self.drops.get_mut(reason.index()) {
            *c = c.wrapping_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_its_own_counter() {
        let mut s = Stats::default();
        for (i, r) in DropReason::ALL.iter().enumerate() {
            for _ in 0..=i {
                s.drop(*r);
            }
        }
        for (i, r) in DropReason::ALL.iter().enumerate() {
            assert_eq!(s.dropped(*r), i as u64 + 1, "{}", r.as_str());
        }
        assert_eq!(s.dropped_total(), (1..=16).sum::<u64>());
        assert_eq!(
            DropReason::from_wire(&crate::wire::Error::Checksum),
            DropReason::BadChecksum
        );
    }
}
