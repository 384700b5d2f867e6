//! IPv6 turned off on an interface whose hardware-derived link-local
//! address is in use by another node (RFC 4862 §5.4.5).
//!
//! "If the address is a link-local address formed from an interface
//! identifier based on the hardware address, which is supposed to be
//! uniquely assigned (e.g., EUI-64 for an Ethernet interface), IP
//! operation on the interface SHOULD be disabled": another node with our
//! MAC's interface identifier means the MAC itself is duplicated, so every
//! EUI-64 address we would form (SLAAC's included) collides too. Linux does
//! this with `accept_dad` 2 (`addrconf_dad_failure` sets `disable_ipv6`
//! when the failed address equals fe80:: plus the device's EUI-64);
//! [`Config::dad_disables_ipv6`](super::Config::dad_disables_ipv6) turns
//! it off (Linux's default, `accept_dad` 1). Only IPv6 stops: IPv4 goes on,
//! as Linux's `disable_ipv6` leaves it.
//!
//! Off means: every IPv6 address removed, the groups forgotten without a
//! report, nothing IPv6 sent (counted `NoRoute`) nor taken (counted
//! `Unsupported`), until the interface is made anew.

use super::event::Event;
use super::interface::{link_local_from_mac, Inner};
use super::mld::Mld;
use crate::wire::{EthernetAddress, Ipv6Addr};

impl Inner {
    /// RFC 4862 §5.4.5: whether a duplicate `addr` turns IPv6 off: the
    /// link-local address formed from the MAC's EUI-64 identifier, with
    /// the behaviour configured. A stable-privacy (RFC 7217) link-local
    /// address, a static or SLAAC one is only removed.
    pub(super) fn duplicate_disables_ipv6(&self, addr: &Ipv6Addr) -> bool {
        self.config.dad_disables_ipv6 && *addr == link_local_from_mac(&self.hw)
    }

    /// Turns IPv6 off (see the module documentation) and reports it.
    pub(super) fn disable_ipv6(&mut self, address: Ipv6Addr, other: Option<EthernetAddress>) {
        net_debug!("DAD: {} is a duplicate: IPv6 disabled", address);
        self.ipv6_off = true;
        self.v6.clear();
        // No Done or state-change report may leave: a fresh engine holds no
        // group and no timer.
        self.mld = Mld::with_config(*self.mld.config());
        self.timers_changed();
        self.event(Event::Ipv6Disabled { address, other });
    }
}
