//! Ethernet in the interface: which frames are ours (our MAC, broadcast,
//! the multicast groups we joined, our VLAN), and the hand-off by EtherType.

use super::interface::{solicited_node, Inner, Interface, ALL_NODES};
use super::out::{Out, Park, TokenOut};
use super::stats::DropReason;
use crate::phy::{Medium, TxToken};
use crate::socket::SocketSet;
use crate::time::Instant;
use crate::wire::ethernet::{EtherType, EthernetFrame};
use crate::wire::virtio::{GsoType, VirtioNetRepr};
use crate::wire::{EthernetAddress, Ipv4Addr};

impl<'a> Interface<'a> {
    pub(crate) fn process_frame<T: TxToken>(
        &mut self,
        now: Instant,
        frame: &mut [u8],
        sockets: &mut SocketSet<'_>,
        tx: T,
    ) {
        let Interface {
            inner,
            fragments,
            pending,
        } = self;
        inner.stats.rx_frames = inner.stats.rx_frames.wrapping_add(1);
        inner.stats.rx_bytes = inner.stats.rx_bytes.wrapping_add(frame.len() as u64);
        let frame: &[u8] = frame;
        let Some(frame) = inner.strip_virtio(frame) else {
            return;
        };
        if inner.caps.medium == Medium::Ip {
            return inner.process_ip_frame(fragments, pending, now, frame, sockets, tx);
        }
        let Some(eth) = inner.wire(EthernetFrame::new_checked(frame)) else {
            return;
        };
        let dst = eth.dst_addr();
        if !(dst == inner.hw
            || dst.is_broadcast()
            || (dst.is_multicast() && inner.accepts_multicast_mac(&dst)))
        {
            return inner.drop(DropReason::NotForUs);
        }
        // From our own MAC: a frame of ours that came back. Broadcast or
        // multicast, it was reflected (a hub, a bridge loop): RFC 5227
        // §2.1.1 conflicts are judged by MAC, so never learn from it. Unicast
        // to us, it is an IP packet we sent to one of our own addresses
        // (`Inner::resolve` gives our MAC for those) over a loopback device:
        // it is taken like any other, as Linux's `lo` carries traffic to the
        // host's own addresses. ARP never targets us that way.
        let looped = eth.src_addr() == inner.hw;
        if looped && dst != inner.hw {
            return inner.drop(DropReason::NotForUs);
        }
        let outer = eth.ethertype();
        let (ethertype, payload) = if inner.vlan_id.is_none() && !outer.is_vlan() {
            // Untagged, as the interface is: the payload follows the
            // 14-byte header (new_checked proved it present), no tag walk.
            match frame.get(eth.header_len()..) {
                Some(p) => (outer, p),
                None => return inner.drop(DropReason::Truncated),
            }
        } else {
            // 802.1Q: take frames of our VLAN only (or untagged ones only).
            let mut tags = eth.vlan_tags();
            let first_tag = tags.next();
            let vlan_ok = match (inner.vlan_id, first_tag) {
                (None, None) => true,
                (Some(id), Some(tag)) => tag.id == id && tags.next().is_none(),
                _ => false,
            };
            if !vlan_ok {
                return inner.drop(DropReason::Vlan);
            }
            match (eth.inner_ethertype(), eth.inner_payload()) {
                (Ok(t), Ok(p)) => (t, p),
                _ => return inner.drop(DropReason::Truncated),
            }
        };
        // The transmit token lent with the frame: a reply that fits goes
        // in it, anything more through the pending queue.
        let mut token = TokenOut::new(tx, inner.caps.virtio_header_len());
        let mut out = Out {
            frames: &mut token,
            pending,
            now,
            park: Park::No,
        };
        match ethertype {
            EtherType::Arp if looped => inner.drop(DropReason::NotForUs),
            EtherType::Arp => {
                // Conflict detection hears ARP (`quiet.rs`).
                inner.timers_changed();
                inner.process_arp(&mut out, dst, payload, sockets)
            }
            EtherType::Ipv4 => inner.process_ipv4(fragments, &mut out, payload, sockets),
            // RFC 4862 §5.4.5: IPv6 off (`ipv6_off.rs`) takes nothing.
            EtherType::Ipv6 if inner.ipv6_off => inner.drop(DropReason::Unsupported),
            EtherType::Ipv6 => {
                // NDP, MLD and DAD all ride on IPv6 (`quiet.rs`).
                inner.timers_changed();
                inner.process_ipv6(fragments, &mut out, payload, sockets)
            }
            _ => inner.drop(DropReason::Unsupported),
        }
    }
}

impl Inner {
    /// The frame after the device's virtio-net header, if it has one, with
    /// what the header vouches for noted in `rx_vouched`. The header is
    /// untrusted like the rest: one that does not fit the frame (checksum
    /// field or headers past its end, unknown flags or GSO type) drops the
    /// frame, counted as malformed. A super-frame (GRO, or the host's TSO
    /// before segmentation) is a TCP segment like any other, only longer:
    /// its IPv4 or IPv6 length field covers it whole.
    pub(super) fn strip_virtio<'f>(&mut self, frame: &'f [u8]) -> Option<&'f [u8]> {
        self.rx_vouched = false;
        let hl = self.caps.virtio_header_len();
        if hl == 0 {
            return Some(frame);
        }
        let Some((header, rest)) = frame.split_at_checked(hl) else {
            self.drop(DropReason::Truncated);
            return None;
        };
        let vnet = self.wire(VirtioNetRepr::parse(header, rest.len()))?;
        if vnet.gso_type == GsoType::UdpL4 {
            // UDP super-datagrams were not negotiated (no TUN_F_USO): one
            // would reach a socket as a single datagram.
            self.drop(DropReason::Unsupported);
            return None;
        }
        self.rx_vouched = vnet.needs_csum() || vnet.data_valid();
        Some(rest)
    }

    pub(crate) fn accepts_multicast_mac(&self, mac: &EthernetAddress) -> bool {
        let m = mac.as_bytes();
        if m[0] == 0x33 && m[1] == 0x33 {
            // IPv6: all-nodes and the solicited-node groups of our addresses.
            return *mac == EthernetAddress::from_ipv6_multicast(&ALL_NODES)
                || self.v6.iter().any(|e| {
                    *mac == EthernetAddress::from_ipv6_multicast(&solicited_node(&e.addr()))
                })
                || self
                    .mld
                    .groups()
                    .any(|g| *mac == EthernetAddress::from_ipv6_multicast(&g));
        }
        *mac == EthernetAddress::from_ipv4_multicast(&Ipv4Addr::new(224, 0, 0, 1))
            || self
                .igmp
                .groups()
                .any(|g| *mac == EthernetAddress::from_ipv4_multicast(&g))
    }
}
