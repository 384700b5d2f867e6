//! The 48-bit IEEE 802 MAC address used by Ethernet, ARP and NDP.

use core::fmt;

/// A six-octet Ethernet (IEEE 802 MAC-48) address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EthernetAddress(pub [u8; 6]);

impl EthernetAddress {
    /// `ff:ff:ff:ff:ff:ff`.
    pub const BROADCAST: EthernetAddress = EthernetAddress([0xff; 6]);
    /// `00:00:00:00:00:00`, used as "unknown" in ARP requests.
    pub const UNSPECIFIED: EthernetAddress = EthernetAddress([0; 6]);

    /// Builds an address from the first six bytes of `data`, or `None` if shorter.
    pub fn from_bytes(data: &[u8]) -> Option<EthernetAddress> {
        let octets: [u8; 6] = data.get(..6)?.try_into().ok()?;
        Some(EthernetAddress(octets))
    }

    /// The six octets.
    pub const fn as_bytes(&self) -> &[u8; 6] {
        &self.0
    }

    /// True for `ff:ff:ff:ff:ff:ff`.
    pub fn is_broadcast(&self) -> bool {
        *self == Self::BROADCAST
    }

    /// True when the I/G bit is set (multicast, broadcast included).
    pub const fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// True for an individual (unicast) address.
    pub const fn is_unicast(&self) -> bool {
        !self.is_multicast()
    }

    /// True when the U/L bit is set (a locally administered address).
    pub const fn is_local(&self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// The multicast MAC an IPv4 group maps to (RFC 1112 §6.4).
    pub const fn from_ipv4_multicast(group: &core::net::Ipv4Addr) -> EthernetAddress {
        let o = group.octets();
        EthernetAddress([0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]])
    }

    /// The multicast MAC an IPv6 group maps to (RFC 2464 §7).
    pub const fn from_ipv6_multicast(group: &core::net::Ipv6Addr) -> EthernetAddress {
        let o = group.octets();
        EthernetAddress([0x33, 0x33, o[12], o[13], o[14], o[15]])
    }
}

impl fmt::Display for EthernetAddress {
    /// Lowercase, colon-separated: `02:00:00:77:77:77`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// The text was not six colon- or dash-separated hex octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseMacError;

impl fmt::Display for ParseMacError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected a MAC address like 02:00:00:77:77:77")
    }
}

impl core::error::Error for ParseMacError {}

impl core::str::FromStr for EthernetAddress {
    type Err = ParseMacError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for o in out.iter_mut() {
            let p = parts.next().ok_or(ParseMacError)?;
            if p.is_empty() || p.len() > 2 {
                return Err(ParseMacError);
            }
            *o = u8::from_str_radix(p, 16).map_err(|_| ParseMacError)?;
        }
        if parts.next().is_some() {
            return Err(ParseMacError);
        }
        Ok(EthernetAddress(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        let m: EthernetAddress = "02:00:00:77:77:7A".parse().unwrap();
        assert_eq!(m.0, [0x02, 0, 0, 0x77, 0x77, 0x7a]);
        let mut buf = [0u8; 17];
        let mut w = crate::wire::mac::tests::Buf(&mut buf, 0);
        core::fmt::write(&mut w, format_args!("{m}")).unwrap();
        assert_eq!(&buf, b"02:00:00:77:77:7a");
        assert!(m.is_local() && m.is_unicast());
        assert!("02:00:00:77:77".parse::<EthernetAddress>().is_err());
        assert!("02:00:00:77:77:77:77".parse::<EthernetAddress>().is_err());
        assert!("02:00:00:77:77:zz".parse::<EthernetAddress>().is_err());
    }

    #[test]
    fn multicast_mappings() {
        let g = core::net::Ipv4Addr::new(239, 255, 1, 2);
        assert_eq!(
            EthernetAddress::from_ipv4_multicast(&g).0,
            [0x01, 0x00, 0x5e, 0x7f, 0x01, 0x02]
        );
        let g6: core::net::Ipv6Addr = "ff02::1:ff00:1234".parse().unwrap();
        assert_eq!(
            EthernetAddress::from_ipv6_multicast(&g6).0,
            [0x33, 0x33, 0xff, 0x00, 0x12, 0x34]
        );
        assert!(EthernetAddress::BROADCAST.is_broadcast());
        assert!(EthernetAddress::BROADCAST.is_multicast());
    }

    /// A tiny fixed buffer writer so the test needs no allocation.
    pub(super) struct Buf<'a>(pub &'a mut [u8], pub usize);
    impl core::fmt::Write for Buf<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let end = self.1 + s.len();
            self.0
                .get_mut(self.1..end)
                .ok_or(core::fmt::Error)?
                .copy_from_slice(s.as_bytes());
            self.1 = end;
            Ok(())
        }
    }
}
