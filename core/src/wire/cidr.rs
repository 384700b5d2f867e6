//! Addresses with a prefix length (CIDR), for interface addresses and routes.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An IPv4 address with a prefix length, such as `192.168.69.1/24`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv4Cidr {
    address: Ipv4Addr,
    prefix_len: u8,
}

impl Ipv4Cidr {
    /// `0.0.0.0/0`: every IPv4 address (the default route).
    pub const ANY: Ipv4Cidr = Ipv4Cidr {
        address: Ipv4Addr::UNSPECIFIED,
        prefix_len: 0,
    };

    /// `address/prefix_len`; `None` when `prefix_len > 32`.
    pub const fn new(address: Ipv4Addr, prefix_len: u8) -> Option<Ipv4Cidr> {
        if prefix_len > 32 {
            None
        } else {
            Some(Ipv4Cidr {
                address,
                prefix_len,
            })
        }
    }

    /// The address part.
    pub const fn address(&self) -> Ipv4Addr {
        self.address
    }

    /// The prefix length (0..=32).
    pub const fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// The netmask as an address (`255.255.255.0` for /24).
    pub const fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from_bits(self.mask())
    }

    const fn mask(&self) -> u32 {
        // Shifted in 64 bits so that /0 (a shift by 32) gives 0 without a
        // branch: every address test of the receive and send paths asks it.
        ((u32::MAX as u64) << (32 - self.prefix_len as u32)) as u32
    }

    /// The network this address lies in (host bits cleared).
    pub const fn network(&self) -> Ipv4Cidr {
        Ipv4Cidr {
            address: Ipv4Addr::from_bits(self.address.to_bits() & self.mask()),
            prefix_len: self.prefix_len,
        }
    }

    /// The directed broadcast address of the network; `None` for /31 and /32,
    /// which have none (RFC 3021).
    pub const fn broadcast(&self) -> Option<Ipv4Addr> {
        if self.prefix_len >= 31 {
            None
        } else {
            Some(Ipv4Addr::from_bits(self.address.to_bits() | !self.mask()))
        }
    }

    /// True when `addr` lies inside this network.
    pub const fn contains_addr(&self, addr: &Ipv4Addr) -> bool {
        (addr.to_bits() ^ self.address.to_bits()) & self.mask() == 0
    }

    /// A netmask as a prefix length; `None` when the mask is not contiguous.
    pub const fn prefix_len_of_mask(mask: Ipv4Addr) -> Option<u8> {
        let bits = mask.to_bits();
        let ones = bits.leading_ones();
        let rest = match bits.checked_shl(ones) {
            Some(r) => r,
            None => 0,
        };
        if rest == 0 {
            Some(ones as u8)
        } else {
            None
        }
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

/// An IPv6 address with a prefix length, such as `fd00::1/64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv6Cidr {
    address: Ipv6Addr,
    prefix_len: u8,
}

impl Ipv6Cidr {
    /// `::/0`: every IPv6 address (the default route).
    pub const ANY: Ipv6Cidr = Ipv6Cidr {
        address: Ipv6Addr::UNSPECIFIED,
        prefix_len: 0,
    };

    /// `address/prefix_len`; `None` when `prefix_len > 128`.
    pub const fn new(address: Ipv6Addr, prefix_len: u8) -> Option<Ipv6Cidr> {
        if prefix_len > 128 {
            None
        } else {
            Some(Ipv6Cidr {
                address,
                prefix_len,
            })
        }
    }

    /// The address part.
    pub const fn address(&self) -> Ipv6Addr {
        self.address
    }

    /// The prefix length (0..=128).
    pub const fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    const fn mask(&self) -> u128 {
        match self.prefix_len {
            0 => 0,
            n => u128::MAX << (128 - n as u32),
        }
    }

    /// The network this address lies in (host bits cleared).
    pub const fn network(&self) -> Ipv6Cidr {
        Ipv6Cidr {
            address: Ipv6Addr::from_bits(self.address.to_bits() & self.mask()),
            prefix_len: self.prefix_len,
        }
    }

    /// True when `addr` lies inside this network.
    pub const fn contains_addr(&self, addr: &Ipv6Addr) -> bool {
        (addr.to_bits() ^ self.address.to_bits()) & self.mask() == 0
    }
}

impl fmt::Display for Ipv6Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

/// An IPv4 or IPv6 CIDR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum IpCidr {
    /// IPv4.
    V4(Ipv4Cidr),
    /// IPv6.
    V6(Ipv6Cidr),
}

impl IpCidr {
    /// `address/prefix_len`; `None` when the prefix is too long for the family.
    pub const fn new(address: IpAddr, prefix_len: u8) -> Option<IpCidr> {
        match address {
            IpAddr::V4(a) => match Ipv4Cidr::new(a, prefix_len) {
                Some(c) => Some(IpCidr::V4(c)),
                None => None,
            },
            IpAddr::V6(a) => match Ipv6Cidr::new(a, prefix_len) {
                Some(c) => Some(IpCidr::V6(c)),
                None => None,
            },
        }
    }

    /// The address part.
    pub const fn address(&self) -> IpAddr {
        match self {
            IpCidr::V4(c) => IpAddr::V4(c.address),
            IpCidr::V6(c) => IpAddr::V6(c.address),
        }
    }

    /// The prefix length.
    pub const fn prefix_len(&self) -> u8 {
        match self {
            IpCidr::V4(c) => c.prefix_len,
            IpCidr::V6(c) => c.prefix_len,
        }
    }

    /// True when `addr` is of the same family and inside this network.
    pub const fn contains_addr(&self, addr: &IpAddr) -> bool {
        match (self, addr) {
            (IpCidr::V4(c), IpAddr::V4(a)) => c.contains_addr(a),
            (IpCidr::V6(c), IpAddr::V6(a)) => c.contains_addr(a),
            _ => false,
        }
    }
}

impl From<Ipv4Cidr> for IpCidr {
    fn from(c: Ipv4Cidr) -> Self {
        IpCidr::V4(c)
    }
}

impl From<Ipv6Cidr> for IpCidr {
    fn from(c: Ipv6Cidr) -> Self {
        IpCidr::V6(c)
    }
}

impl fmt::Display for IpCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpCidr::V4(c) => c.fmt(f),
            IpCidr::V6(c) => c.fmt(f),
        }
    }
}

/// Why a CIDR string such as `192.168.69.1/24` did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CidrParseError {
    /// No `/` between the address and the prefix length.
    MissingPrefix,
    /// The address part is not an address of this family.
    Address,
    /// The prefix length is not a number within the family's bits.
    PrefixLen,
}

impl fmt::Display for CidrParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CidrParseError::MissingPrefix => "expected ADDRESS/PREFIX_LEN",
            CidrParseError::Address => "invalid address",
            CidrParseError::PrefixLen => "invalid prefix length",
        })
    }
}

impl core::error::Error for CidrParseError {}

/// Splits `addr/len` and parses both halves; the length must be at most `max`.
fn split_cidr<A: core::str::FromStr>(s: &str, max: u8) -> Result<(A, u8), CidrParseError> {
    let (addr, len) = s.split_once('/').ok_or(CidrParseError::MissingPrefix)?;
    let addr = addr.parse().map_err(|_| CidrParseError::Address)?;
    // u8::from_str accepts a leading '+'; a prefix length never has one.
    if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CidrParseError::PrefixLen);
    }
    match len.parse::<u8>() {
        Ok(n) if n <= max => Ok((addr, n)),
        _ => Err(CidrParseError::PrefixLen),
    }
}

impl core::str::FromStr for Ipv4Cidr {
    type Err = CidrParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, n) = split_cidr(s, 32)?;
        Ipv4Cidr::new(a, n).ok_or(CidrParseError::PrefixLen)
    }
}

impl core::str::FromStr for Ipv6Cidr {
    type Err = CidrParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, n) = split_cidr(s, 128)?;
        Ipv6Cidr::new(a, n).ok_or(CidrParseError::PrefixLen)
    }
}

impl core::str::FromStr for IpCidr {
    type Err = CidrParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse::<Ipv4Cidr>() {
            Ok(c) => Ok(c.into()),
            Err(CidrParseError::Address) => s.parse::<Ipv6Cidr>().map(Into::into),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn cidr_text_round_trips_and_bad_text_is_named() {
        let v4: Ipv4Cidr = "192.168.69.1/24".parse().unwrap();
        assert_eq!(
            (v4.address(), v4.prefix_len()),
            (Ipv4Addr::new(192, 168, 69, 1), 24)
        );
        let v6: IpCidr = "fd00::1/64".parse().unwrap();
        assert_eq!(
            v6,
            IpCidr::V6(Ipv6Cidr::new(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1), 64).unwrap())
        );
        assert_eq!(
            "10.0.0.1".parse::<Ipv4Cidr>(),
            Err(CidrParseError::MissingPrefix)
        );
        assert_eq!(
            "10.0.0.1/33".parse::<Ipv4Cidr>(),
            Err(CidrParseError::PrefixLen)
        );
        assert_eq!(
            "10.0.0.1/+8".parse::<Ipv4Cidr>(),
            Err(CidrParseError::PrefixLen)
        );
        assert_eq!(
            "fd00::1/24".parse::<Ipv4Cidr>(),
            Err(CidrParseError::Address)
        );
        assert_eq!(
            "fd00::1/129".parse::<IpCidr>(),
            Err(CidrParseError::PrefixLen)
        );
        assert_eq!("nonsense/8".parse::<IpCidr>(), Err(CidrParseError::Address));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_network_math() {
        let c = Ipv4Cidr::new(Ipv4Addr::new(192, 168, 69, 1), 24).unwrap();
        assert_eq!(c.netmask(), Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(c.network().address(), Ipv4Addr::new(192, 168, 69, 0));
        assert_eq!(c.broadcast(), Some(Ipv4Addr::new(192, 168, 69, 255)));
        assert!(c.contains_addr(&Ipv4Addr::new(192, 168, 69, 200)));
        assert!(!c.contains_addr(&Ipv4Addr::new(192, 168, 70, 1)));
        let all = Ipv4Cidr::new(Ipv4Addr::UNSPECIFIED, 0).unwrap();
        assert!(all.contains_addr(&Ipv4Addr::new(8, 8, 8, 8)));
        assert_eq!(
            Ipv4Cidr::new(Ipv4Addr::LOCALHOST, 31).unwrap().broadcast(),
            None
        );
        assert_eq!(Ipv4Cidr::new(Ipv4Addr::LOCALHOST, 33), None);
    }

    #[test]
    fn netmask_to_prefix() {
        assert_eq!(
            Ipv4Cidr::prefix_len_of_mask(Ipv4Addr::new(255, 255, 255, 0)),
            Some(24)
        );
        assert_eq!(
            Ipv4Cidr::prefix_len_of_mask(Ipv4Addr::new(0, 0, 0, 0)),
            Some(0)
        );
        assert_eq!(
            Ipv4Cidr::prefix_len_of_mask(Ipv4Addr::new(255, 255, 255, 255)),
            Some(32)
        );
        assert_eq!(
            Ipv4Cidr::prefix_len_of_mask(Ipv4Addr::new(255, 0, 255, 0)),
            None
        );
    }

    #[test]
    fn v6_network_math() {
        let c = Ipv6Cidr::new("fd00::1".parse().unwrap(), 64).unwrap();
        assert!(c.contains_addr(&"fd00::ffff".parse().unwrap()));
        assert!(!c.contains_addr(&"fd00:0:0:1::1".parse().unwrap()));
        assert_eq!(c.network().address(), "fd00::".parse::<Ipv6Addr>().unwrap());
        let ip = IpCidr::from(c);
        assert!(!ip.contains_addr(&IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert_eq!(Ipv6Cidr::new(Ipv6Addr::UNSPECIFIED, 129), None);
    }
}
