//! Link-layer header types (the `LINKTYPE_*` registry of tcpdump.org).
//!
//! The reader accepts any link type: it only frames records. Which link
//! layers can actually be dissected is a question for the tool, which asks
//! [`LinkType::is_supported`] and reports [`PcapError::UnsupportedLinkType`].

use crate::PcapError;
use std::fmt;

/// The link-layer header type of the packets of a file or interface.
///
/// Values are the registry's `LINKTYPE_*` numbers, not the platform-specific
/// `DLT_*` ones (they differ for `Raw`: `DLT_RAW` is 12 or 14, the file value
/// is always 101).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// `LINKTYPE_NULL` (0): BSD loopback, a 4-byte protocol family in host
    /// byte order of the capturing machine.
    Null,
    /// `LINKTYPE_ETHERNET` (1): Ethernet II / 802.3 frames.
    Ethernet,
    /// `LINKTYPE_RAW` (101): a bare IPv4 or IPv6 packet, told apart by the
    /// version nibble.
    Raw,
    /// `LINKTYPE_LOOP` (108): OpenBSD loopback, the protocol family in
    /// network byte order.
    Loop,
    /// `LINKTYPE_LINUX_SLL` (113): Linux "cooked" capture, version 1.
    LinuxSll,
    /// `LINKTYPE_IPV4` (228): a bare IPv4 packet.
    Ipv4,
    /// `LINKTYPE_IPV6` (229): a bare IPv6 packet.
    Ipv6,
    /// Any other value, kept so a tool can name it in its message.
    Unknown(u32),
}

impl LinkType {
    /// The registry number written in files.
    pub fn value(self) -> u32 {
        match self {
            LinkType::Null => 0,
            LinkType::Ethernet => 1,
            LinkType::Raw => 101,
            LinkType::Loop => 108,
            LinkType::LinuxSll => 113,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::Unknown(v) => v,
        }
    }

    /// Whether the rstcp tools can dissect this link layer: Ethernet, Raw,
    /// IPv4, IPv6 and Linux SLL. `Null` and `Loop` are named but not
    /// supported, because their protocol family numbers are OS-specific.
    pub fn is_supported(self) -> bool {
        matches!(
            self,
            LinkType::Ethernet
                | LinkType::Raw
                | LinkType::Ipv4
                | LinkType::Ipv6
                | LinkType::LinuxSll
        )
    }

    /// `Ok(self)` if [`is_supported`](Self::is_supported), otherwise the
    /// [`PcapError::UnsupportedLinkType`] a tool should report.
    pub fn require_supported(self) -> Result<Self, PcapError> {
        if self.is_supported() {
            Ok(self)
        } else {
            Err(PcapError::UnsupportedLinkType(self.value()))
        }
    }
}

impl From<u32> for LinkType {
    fn from(v: u32) -> Self {
        match v {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            other => LinkType::Unknown(other),
        }
    }
}

impl From<LinkType> for u32 {
    fn from(lt: LinkType) -> Self {
        lt.value()
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            LinkType::Null => "NULL",
            LinkType::Ethernet => "ETHERNET",
            LinkType::Raw => "RAW",
            LinkType::Loop => "LOOP",
            LinkType::LinuxSll => "LINUX_SLL",
            LinkType::Ipv4 => "IPV4",
            LinkType::Ipv6 => "IPV6",
            LinkType::Unknown(v) => return write!(f, "LINKTYPE {v}"),
        };
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::LinkType;

    #[test]
    fn value_round_trips() {
        for v in [0, 1, 101, 108, 113, 228, 229, 147, 276, 65535] {
            assert_eq!(LinkType::from(v).value(), v);
        }
        assert_eq!(LinkType::from(1), LinkType::Ethernet);
        assert_eq!(LinkType::from(7), LinkType::Unknown(7));
    }

    #[test]
    fn supported_set() {
        let yes = [1, 101, 113, 228, 229];
        for v in 0..300 {
            assert_eq!(LinkType::from(v).is_supported(), yes.contains(&v), "{v}");
        }
        assert!(LinkType::Null.require_supported().is_err());
        assert_eq!(
            LinkType::Ethernet.require_supported().unwrap(),
            LinkType::Ethernet
        );
    }
}
