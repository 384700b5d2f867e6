//! The IP medium ([`Medium::Ip`]: a TUN, a point-to-point or tunnel link):
//! frames are bare IP packets, told apart by the version nibble, and there
//! are no link-layer addresses, so nothing is resolved or probed.
//!
//! What the interface does differently there follows Linux on a TUN
//! (`ARPHRD_NONE`, `IFF_NOARP`): no ARP and no RFC 5227 probing; no
//! Neighbor Solicitations for resolution (`out.rs` hands every packet to
//! the device at once); no Duplicate Address Detection (Linux's
//! `addrconf_dad_begin` skips it on `IFF_NOARP` links); NDP messages
//! without link-layer address options (RFC 4861 §4.1, §4.4). DHCPv4 is not
//! carried (RFC 2131 §2 needs broadcast and a client hardware address).
//! Framing is in `out.rs` ([`super::out::Link`]: no header at all); this
//! file has the receive side and the switch of the address machinery when
//! a device says it is an IP link.

use super::event::Event;
use super::fragment::Reassembler;
use super::interface::Inner;
use super::out::{Out, Park, TokenOut};
use super::pending::PendingQueue;
use super::stats::DropReason;
use crate::phy::{Medium, TxToken};
use crate::socket::SocketSet;
use crate::time::Instant;

impl Inner {
    /// A frame of an IP-medium device (its virtio-net header already
    /// stripped): an IPv4 or IPv6 packet by its version nibble (RFC 791
    /// §3.1, RFC 8200 §3); anything else is dropped and counted.
    pub(super) fn process_ip_frame<T: TxToken>(
        &mut self,
        fragments: &mut Reassembler<'_>,
        pending: &mut PendingQueue<'_>,
        now: Instant,
        packet: &[u8],
        sockets: &mut SocketSet<'_>,
        tx: T,
    ) {
        let Some(first) = packet.first() else {
            return self.drop(DropReason::Truncated);
        };
        let mut token = TokenOut::new(tx, self.caps.virtio_header_len());
        let mut out = Out {
            frames: &mut token,
            pending,
            now,
            park: Park::No,
        };
        match first >> 4 {
            4 => self.process_ipv4(fragments, &mut out, packet, sockets),
            // RFC 4862 §5.4.5: IPv6 off (`ipv6_off.rs`) takes nothing.
            6 if self.ipv6_off => self.drop(DropReason::Unsupported),
            6 => {
                self.timers_changed();
                self.process_ipv6(fragments, &mut out, packet, sockets)
            }
            _ => self.drop(DropReason::Malformed),
        }
    }

    /// Sets the address machinery up for `medium`, the device's, when it
    /// differs from what it was set up for (the interface is built before
    /// it sees a device; [`Interface::poll`](super::Interface::poll) calls
    /// this when the capabilities say otherwise).
    ///
    /// Onto an IP link: RFC 5227 probing of IPv4 addresses ends (it is
    /// ARP) and DAD of tentative IPv6 addresses ends (Linux runs none on a
    /// TUN), each address reported ready as it becomes usable; packets
    /// waiting for resolution are sent on this poll. Back onto Ethernet,
    /// addresses already in use stay in use; new ones are probed again.
    pub(super) fn adopt_medium(&mut self, medium: Medium) {
        self.medium = medium;
        if medium != Medium::Ip {
            return;
        }
        for i in 0..self.v4.len() {
            let Some(a) = self.v4.get_mut(i) else { break };
            let was_usable = a.usable();
            a.acd = None;
            let address = a.cidr.address();
            if !was_usable {
                self.event(Event::AddressReady(address));
            }
        }
        self.dhcp_acd = None;
        let mut ready: heapless::Vec<_, { super::interface::MAX_IPV6_ADDRS }> =
            heapless::Vec::new();
        for e in self.v6.iter_mut() {
            if e.dad.take().is_some() {
                e.optimistic = false;
                let _ = ready.push(e.addr());
            }
        }
        for a in ready {
            self.event(Event::Ipv6AddressReady(a));
        }
        self.stalled.clear();
        self.flush_all = true;
    }
}
