//! Things the interface tells the user about, read with `Interface::poll_event`.

use crate::wire::{EthernetAddress, IpAddr, Ipv4Addr, Ipv6Addr};

/// Something the user may want to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Event {
    /// An IPv4 address finished its probes (RFC 5227) and is in use.
    AddressReady(Ipv4Addr),
    /// Another host uses one of our IPv4 addresses (RFC 5227 §2.1.1, §2.4).
    /// The address is no longer used; the user chooses another.
    AddressConflict {
        /// The contested address.
        address: Ipv4Addr,
        /// The other host's MAC.
        other: EthernetAddress,
    },
    /// Link-layer resolution of a neighbor failed; packets to it were dropped.
    NeighborUnreachable(IpAddr),
    /// A router entered the default router list (a Router Advertisement
    /// with a non-zero Router Lifetime, RFC 4861 §6.3.4).
    RouterAdded(Ipv6Addr),
    /// A default router left the list: it advertised lifetime 0, or its
    /// lifetime ran out (RFC 4861 §6.3.4, §6.3.5).
    RouterRemoved(Ipv6Addr),
    /// An IPv6 address was configured (link-local at start, static, or
    /// formed from a prefix by SLAAC) and is tentative while Duplicate
    /// Address Detection runs (RFC 4862 §5.4).
    Ipv6AddressAdded(Ipv6Addr),
    /// An IPv6 address passed DAD (or needed none) and is in use.
    Ipv6AddressReady(Ipv6Addr),
    /// DAD found the address in use by another node (an advertisement for
    /// it, or another node's DAD solicitation: RFC 4862 §5.4.3, §5.4.4).
    /// The address was removed (§5.4.5); the interface's other addresses
    /// go on, unless it was the link-local address formed from our MAC
    /// ([`Ipv6Disabled`](Event::Ipv6Disabled) follows).
    Ipv6DuplicateAddress {
        /// The address that was tentative.
        address: Ipv6Addr,
        /// The other node's MAC, when its advertisement named it.
        other: Option<EthernetAddress>,
    },
    /// An autoconfigured address's preferred lifetime ended: it is not
    /// chosen for new connections (RFC 4862 §5.5.4).
    Ipv6AddressDeprecated(Ipv6Addr),
    /// An autoconfigured address's valid lifetime ended: it was removed
    /// (RFC 4862 §5.5.4).
    Ipv6AddressExpired(Ipv6Addr),
    /// The DNS servers or search domains from Router Advertisements
    /// changed (RFC 8106 §5.3.1): read them with
    /// `Interface::router_discovery().dns_servers(now)` / `search_domains(now)`.
    DnsChanged,
    /// DAD found the link-local address formed from our MAC (EUI-64) in
    /// use: the MAC is duplicated on the link, so IPv6 was turned off on
    /// the interface (RFC 4862 §5.4.5: "IP operation on the interface
    /// SHOULD be disabled"): its IPv6 addresses removed, nothing IPv6 sent
    /// or taken. IPv4 goes on. Follows the address's
    /// [`Ipv6DuplicateAddress`](Event::Ipv6DuplicateAddress).
    Ipv6Disabled {
        /// The duplicate link-local address.
        address: Ipv6Addr,
        /// The other node's MAC, when its advertisement named it.
        other: Option<EthernetAddress>,
    },
}
