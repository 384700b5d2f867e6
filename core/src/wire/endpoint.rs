//! Transport endpoints: an address and a port.

use core::fmt;
use core::net::IpAddr;

/// A remote or local transport endpoint (address and port).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IpEndpoint {
    /// The IP address.
    pub addr: IpAddr,
    /// The port.
    pub port: u16,
}

impl IpEndpoint {
    /// `addr:port`.
    pub const fn new(addr: IpAddr, port: u16) -> IpEndpoint {
        IpEndpoint { addr, port }
    }
}

impl fmt::Display for IpEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            IpAddr::V4(a) => write!(f, "{a}:{}", self.port),
            IpAddr::V6(a) => write!(f, "[{a}]:{}", self.port),
        }
    }
}

impl<A: Into<IpAddr>> From<(A, u16)> for IpEndpoint {
    fn from((addr, port): (A, u16)) -> Self {
        IpEndpoint::new(addr.into(), port)
    }
}

/// What a socket is bound to: a port, and optionally one local address
/// (`None` means every address of the interface, like `0.0.0.0`/`::`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IpListenEndpoint {
    /// The local address, or `None` for any.
    pub addr: Option<IpAddr>,
    /// The local port (0: not bound yet).
    pub port: u16,
}

impl IpListenEndpoint {
    /// True once a port has been chosen.
    pub const fn is_specified(&self) -> bool {
        self.port != 0
    }

    /// True when a datagram for `addr:port` is for this endpoint.
    pub fn accepts(&self, addr: &IpAddr, port: u16) -> bool {
        self.port == port && self.addr.is_none_or(|a| a == *addr)
    }
}

impl From<u16> for IpListenEndpoint {
    fn from(port: u16) -> Self {
        IpListenEndpoint { addr: None, port }
    }
}

impl From<IpEndpoint> for IpListenEndpoint {
    fn from(ep: IpEndpoint) -> Self {
        let addr = if ep.addr.is_unspecified() {
            None
        } else {
            Some(ep.addr)
        };
        IpListenEndpoint {
            addr,
            port: ep.port,
        }
    }
}

impl<A: Into<IpAddr>> From<(A, u16)> for IpListenEndpoint {
    fn from(pair: (A, u16)) -> Self {
        IpEndpoint::from(pair).into()
    }
}

impl fmt::Display for IpListenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            Some(addr) => IpEndpoint::new(addr, self.port).fmt(f),
            None => write!(f, "*:{}", self.port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    #[test]
    fn listen_endpoint_matching() {
        let any = IpListenEndpoint::from(7);
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        assert!(any.accepts(&a, 7));
        assert!(!any.accepts(&a, 8));
        let one = IpListenEndpoint::from((Ipv4Addr::new(10, 0, 0, 2), 7));
        assert!(!one.accepts(&a, 7));
        let unspec = IpListenEndpoint::from((Ipv4Addr::UNSPECIFIED, 9));
        assert_eq!(unspec.addr, None);
    }
}
