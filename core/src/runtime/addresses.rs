//! What [`Stack::addresses`](super::Stack::addresses) reports: each
//! address with its state (RFC 5227 probing for IPv4, RFC 4862 DAD and
//! lifetimes for IPv6) and where it came from.

use std::format;
use std::string::String;
use std::time::Duration;

use crate::iface::{AddressOrigin, AddressState, Interface, Ipv6Address};
use crate::time::Instant;
use crate::wire::IpCidr;

/// Where an address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressSource {
    /// Given in [`StackConfig`](super::StackConfig).
    Static,
    /// A DHCPv4 lease.
    Dhcpv4,
    /// The IPv6 link-local address formed from the MAC (RFC 4862 §5.3).
    LinkLocal,
    /// Formed from a Router Advertisement's prefix (SLAAC, RFC 4862 §5.5).
    Slaac,
}

/// One address of the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address {
    /// The address and its prefix length.
    pub cidr: IpCidr,
    /// Tentative (IPv4 being probed, IPv6 in DAD), optimistic, preferred
    /// or deprecated (IPv6 past its preferred lifetime).
    pub state: AddressState,
    /// Where it came from.
    pub source: AddressSource,
    /// Time left until it is deprecated; `None`: never (static, link-local,
    /// infinite lifetime, IPv4).
    pub preferred_for: Option<Duration>,
    /// Time left until it is removed (an IPv6 valid lifetime, the end of
    /// a DHCPv4 lease unless renewed); `None`: never.
    pub valid_for: Option<Duration>,
}

impl Address {
    /// True when the address can be a source: not tentative.
    pub fn is_usable(&self) -> bool {
        !matches!(self.state, AddressState::Tentative)
    }
}

impl core::fmt::Display for Address {
    /// `2001:db8::1/64 slaac preferred (preferred 59m, valid 1h59m)`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let source = match self.source {
            AddressSource::Static => "static",
            AddressSource::Dhcpv4 => "dhcpv4",
            AddressSource::LinkLocal => "link-local",
            AddressSource::Slaac => "slaac",
        };
        let state = match self.state {
            AddressState::Tentative => "tentative",
            AddressState::Optimistic => "optimistic",
            AddressState::Preferred => "preferred",
            AddressState::Deprecated => "deprecated",
        };
        write!(f, "{} {source} {state}", self.cidr)?;
        if self.preferred_for.is_some() || self.valid_for.is_some() {
            let show = |d: Option<Duration>| {
                d.map_or(String::from("forever"), |d| format!("{}s", d.as_secs()))
            };
            write!(
                f,
                " (preferred {}, valid {})",
                show(self.preferred_for),
                show(self.valid_for)
            )?;
        }
        Ok(())
    }
}

/// Every address of `iface` at `now` (IPv4 probing ones tentative); `dhcp`:
/// the leased address and when the lease ends (a renewal moves it).
pub(crate) fn list(
    iface: &Interface<'_>,
    now: Instant,
    dhcp: Option<(IpCidr, Instant)>,
) -> std::vec::Vec<Address> {
    let left = |t: Option<Instant>| {
        t.map(|t| Duration::from_micros(t.saturating_duration_since(now).total_micros()))
    };
    let usable4: std::vec::Vec<_> = iface.ipv4_addrs().collect();
    let v4 = iface.ip_addrs().filter_map(|c| match c {
        IpCidr::V4(a) => {
            let lease_end = dhcp.filter(|(d, _)| *d == c).map(|(_, end)| end);
            Some(Address {
                cidr: c,
                state: if usable4.contains(&a) {
                    AddressState::Preferred
                } else {
                    AddressState::Tentative
                },
                source: if lease_end.is_some() {
                    AddressSource::Dhcpv4
                } else {
                    AddressSource::Static
                },
                preferred_for: None,
                valid_for: left(lease_end),
            })
        }
        IpCidr::V6(_) => None,
    });
    let v6 = iface.ipv6_addresses().map(|a: Ipv6Address| Address {
        cidr: IpCidr::V6(a.cidr),
        state: a.state,
        source: match a.origin {
            AddressOrigin::LinkLocal => AddressSource::LinkLocal,
            AddressOrigin::Static => AddressSource::Static,
            AddressOrigin::Slaac => AddressSource::Slaac,
        },
        preferred_for: left(a.lifetimes.preferred_until),
        valid_for: left(a.lifetimes.valid_until),
    });
    v4.chain(v6).collect()
}
