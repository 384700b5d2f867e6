//! Things shared by IPv4 and IPv6: the protocol number registry.

use core::fmt;

macro_rules! enum_with_unknown {
    ($(#[$m:meta])* pub enum $name:ident($ty:ty) { $($(#[$vm:meta])* $variant:ident = $value:expr),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub enum $name {
            $($(#[$vm])* $variant,)+
            /// A value with no name here.
            Unknown($ty),
        }
        impl From<$ty> for $name {
            fn from(v: $ty) -> Self {
                match v {
                    $($value => $name::$variant,)+
                    other => $name::Unknown(other),
                }
            }
        }
        impl From<$name> for $ty {
            fn from(v: $name) -> Self {
                match v {
                    $($name::$variant => $value,)+
                    $name::Unknown(other) => other,
                }
            }
        }
    };
}
pub(crate) use enum_with_unknown;

/// Decodes the floating-point time codes of IGMPv3 and MLDv2, one rule for
/// both widths: a code below `1 << (bits - 1)` is the value itself; from
/// there on it is `1 | 3-bit exponent | mantissa` standing for
/// `(mant | 1 << mant_bits) << (exp + 3)`, where `mant_bits = bits - 4`.
/// RFC 3376 §4.1.1 and §4.1.7 (8 bits: Max Resp Code, QQIC), RFC 3810
/// §5.1.3 (16 bits: Maximum Response Code) and §5.1.9 (8 bits: QQIC).
pub(crate) const fn decode_exponential(code: u16, bits: u32) -> u32 {
    let mant_bits = bits - 4;
    if (code as u32) < 1 << (bits - 1) {
        code as u32
    } else {
        let mant = code as u32 & ((1 << mant_bits) - 1);
        let exp = (code as u32 >> mant_bits) & 0x7;
        (mant | 1 << mant_bits) << (exp + 3)
    }
}

enum_with_unknown! {
    /// An IP protocol / IPv6 next-header number (IANA "Assigned Internet Protocol Numbers").
    pub enum IpProtocol(u8) {
        /// IPv6 Hop-by-Hop Options (RFC 8200 §4.3).
        HopByHop = 0,
        /// ICMP for IPv4 (RFC 792).
        Icmp = 1,
        /// IGMP (RFC 2236, RFC 9776).
        Igmp = 2,
        /// TCP (RFC 9293).
        Tcp = 6,
        /// UDP (RFC 768).
        Udp = 17,
        /// IPv6 Routing header (RFC 8200 §4.4).
        Ipv6Route = 43,
        /// IPv6 Fragment header (RFC 8200 §4.5).
        Ipv6Frag = 44,
        /// ESP (RFC 4303).
        Esp = 50,
        /// AH (RFC 4302).
        Ah = 51,
        /// ICMPv6 (RFC 4443).
        Icmpv6 = 58,
        /// No next header (RFC 8200 §4.7).
        Ipv6NoNxt = 59,
        /// IPv6 Destination Options (RFC 8200 §4.6).
        Ipv6Opts = 60,
    }
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpProtocol::HopByHop => f.write_str("HopByHop"),
            IpProtocol::Icmp => f.write_str("ICMP"),
            IpProtocol::Igmp => f.write_str("IGMP"),
            IpProtocol::Tcp => f.write_str("TCP"),
            IpProtocol::Udp => f.write_str("UDP"),
            IpProtocol::Ipv6Route => f.write_str("IPv6-Route"),
            IpProtocol::Ipv6Frag => f.write_str("IPv6-Frag"),
            IpProtocol::Esp => f.write_str("ESP"),
            IpProtocol::Ah => f.write_str("AH"),
            IpProtocol::Icmpv6 => f.write_str("ICMPv6"),
            IpProtocol::Ipv6NoNxt => f.write_str("IPv6-NoNxt"),
            IpProtocol::Ipv6Opts => f.write_str("IPv6-Opts"),
            IpProtocol::Unknown(n) => write!(f, "{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips() {
        for v in 0..=255u8 {
            assert_eq!(u8::from(IpProtocol::from(v)), v);
        }
        assert_eq!(IpProtocol::from(6), IpProtocol::Tcp);
        assert_eq!(IpProtocol::from(200), IpProtocol::Unknown(200));
    }
}
