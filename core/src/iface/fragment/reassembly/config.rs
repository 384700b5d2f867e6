//! The reassembler's settings, and the IPv4 and IPv6 limits they bound.

use crate::iface::fragment::FragmentKey;
use crate::time::Duration;

#[cfg(doc)]
use super::{Reassembler, ReassemblyError};

/// Largest IPv4 datagram, header included (RFC 791 §3.1: 16-bit Total Length).
pub(super) const IPV4_MAX_DATAGRAM: usize = 65535;
/// Largest IPv6 Payload Length (RFC 8200 §3: 16 bits; jumbograms not handled).
pub(super) const IPV6_MAX_PAYLOAD: usize = 65535;
/// The IPv6 fixed header, not counted by Payload Length (RFC 8200 §3).
pub(super) const IPV6_FIXED_HEADER: usize = 40;
/// The IPv6 Fragment header (RFC 8200 §4.5).
pub(super) const IPV6_FRAGMENT_HEADER: usize = 8;

/// What [`Reassembler::add`] does with the first fragment of a new datagram
/// when every slot is busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WhenFull {
    /// Abandon the datagram whose first fragment arrived earliest, and count
    /// it in [`Reassembler::evictions`].
    ///
    /// The default, as lwIP does (`ip_reass_remove_oldest_datagram`): the
    /// oldest incomplete datagram is the one most likely to have lost a
    /// fragment for good, while refusing would keep such a dead datagram for
    /// its whole timeout and turn away every new one meanwhile.
    #[default]
    EvictOldest,
    /// Drop the new fragment ([`ReassemblyError::NoFreeSlot`]), keeping the
    /// work already done (as Linux does above `ipfrag_high_thresh`).
    Refuse,
}

/// How the [`Reassembler`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReassemblyConfig {
    /// How long an IPv4 datagram may take to complete, from its first
    /// fragment. Default 30 s, as Linux (`ipfrag_time`): RFC 791 §3.2
    /// suggests 15 s and RFC 1122 §3.3.2 60 to 120 s; 30 s bounds how long a
    /// slot stays taken by a datagram that lost a fragment.
    pub ipv4_timeout: Duration,
    /// How long an IPv6 packet may take to complete. Default 60 s, the most
    /// RFC 8200 §4.5 allows ("within 60 seconds … must be abandoned"), as Linux.
    pub ipv6_timeout: Duration,
    /// The longest reassembled payload accepted (EMTU_R minus the header, RFC
    /// 1122 §3.3.2), or `None` for the protocol's own limit: 65535 bytes
    /// minus the header for IPv4, a Payload Length of 65535 for IPv6.
    pub max_payload_len: Option<usize>,
    /// What to do when every slot is busy.
    pub when_full: WhenFull,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        ReassemblyConfig {
            ipv4_timeout: Duration::from_secs(30),
            ipv6_timeout: Duration::from_secs(60),
            max_payload_len: None,
            when_full: WhenFull::default(),
        }
    }
}

impl ReassemblyConfig {
    pub(super) fn timeout(&self, key: &FragmentKey) -> Duration {
        match key {
            FragmentKey::V4 { .. } => self.ipv4_timeout,
            FragmentKey::V6 { .. } => self.ipv6_timeout,
        }
    }

    /// The largest payload end a datagram with this header may have.
    pub(super) fn max_end(&self, key: &FragmentKey, header_len: usize) -> usize {
        let protocol = match key {
            // RFC 791 §3.1: Total Length counts the header.
            FragmentKey::V4 { .. } => IPV4_MAX_DATAGRAM.saturating_sub(header_len),
            // RFC 8200 §4.5: the reassembled Payload Length (which counts the
            // extension headers of the Unfragmentable Part but not the fixed
            // header, and loses the Fragment header) must not exceed 65535.
            FragmentKey::V6 { .. } => (IPV6_MAX_PAYLOAD + IPV6_FIXED_HEADER + IPV6_FRAGMENT_HEADER)
                .saturating_sub(header_len),
        };
        match self.max_payload_len {
            Some(limit) => protocol.min(limit),
            None => protocol,
        }
    }
}
