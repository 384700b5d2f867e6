//! The receive path: a frame in the device's buffer, parsed layer by layer
//! in place, delivered to a socket or answered.
//!
//! Every early return drops the frame and counts exactly one reason.

use super::fragment::{Fragment, FragmentKey};
use super::interface::{solicited_node, Inner, Interface, ALL_NODES};
use super::neighbor::{Fill, Filled};
use super::out::{FrameOut, TokenOut};
use super::packet::{Body, IpIn, IpOut};
use super::stats::DropReason;
use crate::phy::TxToken;
use crate::socket::SocketSet;
use crate::time::Instant;
use crate::wire::arp::{ArpOperation, ArpPacket, ArpRepr};
use crate::wire::dhcpv4::{DhcpPacket, DhcpRepr};
use crate::wire::ethernet::{EtherType, EthernetFrame};
use crate::wire::icmpv4::{
    Icmpv4DstUnreachable, Icmpv4Packet, Icmpv4ParamProblem, Icmpv4Repr, Icmpv4TimeExceeded,
};
use crate::wire::icmpv6::{self, Icmpv6Packet, Icmpv6Repr};
use crate::wire::igmp::{IgmpPacket, IgmpRepr};
use crate::wire::ipv4::{Ipv4Packet, Ipv4Repr};
use crate::wire::ipv6::{Ipv6Packet, Ipv6Repr};
use crate::wire::ipv6ext::{self, Ipv6ExtView, Ipv6OptionFailureAction};
use crate::wire::ndp::{NdiscRepr, NeighborFlags};
use crate::wire::udp::{UdpPacket, UdpRepr};
use crate::wire::{ChecksumMode, EthernetAddress, IpAddr, IpProtocol, Ipv4Addr, Ipv6Addr};

/// RFC 1812 §4.3.2.3: an ICMP error quotes as much of the datagram as fits
/// in 576 bytes.
const ICMP_ERROR_MAX: usize = 576;

impl<'a> Interface<'a> {
    pub(crate) fn process_frame<T: TxToken>(
        &mut self,
        now: Instant,
        frame: &mut [u8],
        sockets: &mut SocketSet<'_>,
        tx: T,
    ) {
        let inner = &mut self.inner;
        inner.stats.rx_frames = inner.stats.rx_frames.wrapping_add(1);
        inner.stats.rx_bytes = inner.stats.rx_bytes.wrapping_add(frame.len() as u64);
        let frame: &[u8] = frame;
        let eth = match EthernetFrame::new_checked(frame) {
            Ok(f) => f,
            Err(e) => return inner.drop(DropReason::from_wire(&e)),
        };
        let dst = eth.dst_addr();
        if !(dst == inner.hw
            || dst.is_broadcast()
            || (dst.is_multicast() && inner.accepts_multicast_mac(&dst)))
        {
            return inner.drop(DropReason::NotForUs);
        }
        if eth.src_addr() == inner.hw {
            // Our own frame reflected back (a hub, a bridge loop): RFC 5227
            // §2.1.1 conflicts are judged by MAC, so never learn from it.
            return inner.drop(DropReason::NotForUs);
        }
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
        let (ethertype, payload) = match (eth.inner_ethertype(), eth.inner_payload()) {
            (Ok(t), Ok(p)) => (t, p),
            _ => return inner.drop(DropReason::Truncated),
        };
        let src_mac = eth.src_addr();
        let mut out = TokenOut::new(tx, now);
        match ethertype {
            EtherType::Arp => self.process_arp(now, dst, payload, sockets, &mut out),
            EtherType::Ipv4 => self.process_ipv4(now, src_mac, payload, sockets, &mut out),
            EtherType::Ipv6 => self.process_ipv6(now, src_mac, payload, sockets, &mut out),
            _ => self.inner.drop(DropReason::Unsupported),
        }
    }

    fn process_arp(
        &mut self,
        now: Instant,
        eth_dst: EthernetAddress,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
        out: &mut dyn FrameOut,
    ) {
        let inner = &mut self.inner;
        let repr = match ArpPacket::new_checked(payload).and_then(|p| ArpRepr::parse(&p)) {
            Ok(r) => r,
            Err(e) => return inner.drop(DropReason::from_wire(&e)),
        };
        #[allow(irrefutable_let_patterns)]
        let ArpRepr::EthernetIpv4 {
            operation,
            source_hardware_addr: sha,
            source_protocol_addr: spa,
            target_protocol_addr: tpa,
            ..
        } = repr
        else {
            return inner.drop(DropReason::Unsupported);
        };
        if !sha.is_unicast() {
            return inner.drop(DropReason::BadSource);
        }
        // RFC 5227: every ARP packet is evidence for conflict detection.
        for i in 0..inner.v4.len() {
            let Some(a) = inner.v4.get_mut(i) else { break };
            let address = a.cidr.address();
            if let Some(acd) = a.acd.as_mut() {
                match acd.process_arp(now, &repr) {
                    Some(super::acd::AcdEvent::Conflict { other, .. }) => {
                        inner.event(super::event::Event::AddressConflict { address, other });
                        // RFC 5227 §2.4: a leased address lost to another
                        // host is declined by the client (RFC 2131 §4.4.1).
                        if inner.is_dhcp_address(address) {
                            if let Some(dhcp) = sockets.dhcp() {
                                dhcp.address_conflict(now, address);
                            }
                        }
                    }
                    Some(super::acd::AcdEvent::Defended { .. }) => {
                        net_debug!("acd: defended {}", address);
                    }
                    None => {}
                }
            }
        }
        inner.dhcp_acd_arp(now, &repr, sockets.dhcp());
        let for_us = inner.has_v4(&tpa);
        // RFC 5227 §2.1.1 probes come from 0.0.0.0: nothing to learn, but a
        // probe for our address is answered (as Linux does) so that the
        // prober sees the conflict. The reply goes to the prober's MAC.
        if spa.is_unspecified() {
            if for_us && operation == ArpOperation::Request {
                let reply = ArpRepr::EthernetIpv4 {
                    operation: ArpOperation::Reply,
                    source_hardware_addr: inner.hw,
                    source_protocol_addr: tpa,
                    target_hardware_addr: sha,
                    target_protocol_addr: spa,
                };
                if !inner.send_arp(out, sha, &reply) {
                    inner.drop(DropReason::DeviceBusy);
                }
            }
            return;
        }
        // RFC 826 "merge": update an existing entry from any ARP packet;
        // create one only when the packet is addressed to us.
        let unicast_reply = operation == ArpOperation::Reply && eth_dst == inner.hw;
        if inner
            .arp
            .fill(spa, sha, Fill::arp(for_us, unicast_reply), now)
            != Filled::Ignored
        {
            inner.schedule_flush(IpAddr::V4(spa));
        }
        if for_us && operation == ArpOperation::Request {
            let reply = ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Reply,
                source_hardware_addr: inner.hw,
                source_protocol_addr: tpa,
                target_hardware_addr: sha,
                target_protocol_addr: spa,
            };
            if !inner.send_arp(out, sha, &reply) {
                inner.drop(DropReason::DeviceBusy);
            }
        }
    }

    fn process_ipv4(
        &mut self,
        now: Instant,
        _src_mac: EthernetAddress,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
        out: &mut dyn FrameOut,
    ) {
        let inner = &mut self.inner;
        let packet = match Ipv4Packet::new_checked(payload) {
            Ok(p) => p,
            Err(e) => return inner.drop(DropReason::from_wire(&e)),
        };
        let repr = match Ipv4Repr::parse(&packet, inner.caps.checksum.ipv4.rx_mode()) {
            Ok(r) => r,
            Err(e) => {
                inner.drop(DropReason::from_wire(&e));
                // RFC 1122 §3.2.1.8 / RFC 792: a bad option in an otherwise
                // sound header (version, checksum) earns a Parameter Problem
                // pointing at it, for datagrams addressed to us.
                if let (Some(pointer), true) =
                    (bad_option_offset(&packet), inner.has_v4(&packet.dst_addr()))
                {
                    let ip = IpIn {
                        src: IpAddr::V4(packet.src_addr()),
                        dst: IpAddr::V4(packet.dst_addr()),
                        packet: payload
                            .get(..usize::from(packet.total_len()))
                            .unwrap_or(payload),
                        to_group: false,
                        first_fragment: packet.frag_offset() == 0,
                    };
                    let problem = Icmpv4Repr::ParamProblem {
                        reason: Icmpv4ParamProblem::PointerIndicatesError,
                        pointer,
                        data: &[],
                    };
                    inner.icmpv4_error(&mut self.pending, now, &ip, problem, out);
                }
                return;
            }
        };
        // RFC 1122 §3.2.1.3: a source address must be a host address.
        if repr.src_addr.is_multicast() || inner.is_v4_broadcast(&repr.src_addr) {
            return inner.drop(DropReason::BadSource);
        }
        // A datagram that may not be fragmented cannot have more fragments.
        if repr.dont_frag && repr.more_frags {
            return inner.drop(DropReason::Malformed);
        }
        if repr.hop_limit == 0 {
            return inner.drop(DropReason::HopLimit);
        }
        let dst = repr.dst_addr;
        let to_group = dst.is_multicast() || inner.is_v4_broadcast(&dst);
        let for_us = inner.has_v4(&dst)
            || inner.is_v4_broadcast(&dst)
            || dst == Ipv4Addr::new(224, 0, 0, 1)
            || inner.igmp.is_joined(dst)
            // A DHCP server may unicast its OFFER/ACK to the address it is
            // offering, before we own it (RFC 2131 §4.1).
            || (repr.next_header == IpProtocol::Udp && sockets.dhcp().is_some());
        if !for_us {
            return inner.drop(DropReason::NotForUs);
        }
        let header_len = packet.header_len();
        let whole = payload
            .get(..header_len + repr.payload_len)
            .unwrap_or(payload);
        if repr.more_frags || repr.frag_offset != 0 {
            let key = FragmentKey::V4 {
                src: repr.src_addr,
                dst,
                ident: repr.ident,
                protocol: repr.next_header,
            };
            let fragment = Fragment {
                key,
                offset_bytes: usize::from(repr.frag_offset),
                more_fragments: repr.more_frags,
                header: whole.get(..header_len).unwrap_or(&[]),
                payload: packet.payload(),
            };
            match self.fragments.add(now, fragment) {
                Ok(Some(done)) => {
                    self.inner.stats.reassembled = self.inner.stats.reassembled.wrapping_add(1);
                    let ip = IpIn {
                        src: IpAddr::V4(repr.src_addr),
                        dst: IpAddr::V4(dst),
                        packet: done.datagram(),
                        to_group,
                        first_fragment: true,
                    };
                    let proto = repr.next_header;
                    let payload = done.payload;
                    Self::deliver_v4(
                        &mut self.inner,
                        &mut self.pending,
                        now,
                        ip,
                        proto,
                        payload,
                        sockets,
                        out,
                    );
                }
                Ok(None) => {}
                Err(e) => {
                    net_debug!("reassembly: {}", e.reason());
                    self.inner.drop(DropReason::Reassembly);
                }
            }
            return;
        }
        let ip = IpIn {
            src: IpAddr::V4(repr.src_addr),
            dst: IpAddr::V4(dst),
            packet: whole,
            to_group,
            first_fragment: true,
        };
        Self::deliver_v4(
            &mut self.inner,
            &mut self.pending,
            now,
            ip,
            repr.next_header,
            packet.payload(),
            sockets,
            out,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn deliver_v4(
        inner: &mut Inner,
        pending: &mut super::pending::PendingQueue<'_>,
        now: Instant,
        ip: IpIn<'_>,
        protocol: IpProtocol,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
        out: &mut dyn FrameOut,
    ) {
        let mut raw_taken = false;
        if let Some(raw) = sockets.raw_for(crate::socket::raw::IpVersion::Ipv4, protocol) {
            raw_taken = true;
            if raw.process(now, ip.packet).is_err() {
                inner.drop(DropReason::BufferFull);
            }
        }
        match protocol {
            IpProtocol::Icmp => inner.process_icmpv4(pending, now, ip, payload, sockets, out),
            IpProtocol::Udp => inner.process_udp(pending, now, ip, payload, sockets, out),
            IpProtocol::Tcp => inner.process_tcp(pending, now, ip, payload, sockets, out),
            IpProtocol::Igmp => inner.process_igmp(now, &ip, payload),
            _ if raw_taken => {}
            _ => {
                // RFC 1122 §3.2.2.1: protocol unreachable for a protocol we lack.
                inner.drop(DropReason::Unsupported);
                inner.icmpv4_error(
                    pending,
                    now,
                    &ip,
                    Icmpv4Repr::DstUnreachable {
                        reason: Icmpv4DstUnreachable::ProtoUnreachable,
                        next_hop_mtu: 0,
                        data: &[],
                    },
                    out,
                );
            }
        }
    }

    fn process_ipv6(
        &mut self,
        now: Instant,
        src_mac: EthernetAddress,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
        out: &mut dyn FrameOut,
    ) {
        let inner = &mut self.inner;
        let packet = match Ipv6Packet::new_checked(payload) {
            Ok(p) => p,
            Err(e) => return inner.drop(DropReason::from_wire(&e)),
        };
        let repr = match Ipv6Repr::parse(&packet) {
            Ok(r) => r,
            Err(e) => return inner.drop(DropReason::from_wire(&e)),
        };
        let dst = repr.dst_addr;
        let to_group = dst.is_multicast();
        let for_us = inner.has_v6(&dst)
            || dst == ALL_NODES
            || inner.v6.iter().any(|c| solicited_node(&c.address()) == dst);
        if !for_us {
            return inner.drop(DropReason::NotForUs);
        }
        let body = packet.payload();
        let walk = match ipv6ext::walk(repr.next_header, body) {
            Ok(w) => w,
            Err(e) => return inner.drop(DropReason::from_wire(&e)),
        };
        let whole = payload.get(..packet.total_len()).unwrap_or(payload);
        let ip = IpIn {
            src: IpAddr::V6(repr.src_addr),
            dst: IpAddr::V6(dst),
            packet: whole,
            to_group,
            first_fragment: true,
        };
        // RFC 8200 §4.2: an unrecognised option's two high bits say what to do.
        let mut chain = ipv6ext::Ipv6ExtChain::new(repr.next_header, body);
        let mut last_header_offset = None;
        for header in chain.by_ref() {
            let Ok(header) = header else { break };
            last_header_offset = Some(header.offset);
            let (Ipv6ExtView::HopByHop(opts) | Ipv6ExtView::DestOpts(opts)) = &header.view else {
                continue;
            };
            let mut at = header.offset + 2;
            for option in opts.iter() {
                let Ok(option) = option else { break };
                if let ipv6ext::Ipv6Option::Other { kind, .. } = option {
                    // Router Alert (RFC 2711) is understood; its value matters
                    // only to routers.
                    let understood = u8::from(kind) == 5;
                    match if understood {
                        Ipv6OptionFailureAction::Skip
                    } else {
                        kind.failure_action()
                    } {
                        Ipv6OptionFailureAction::Skip => {}
                        Ipv6OptionFailureAction::Discard => {
                            return inner.drop(DropReason::Unsupported)
                        }
                        action => {
                            inner.drop(DropReason::Unsupported);
                            let send =
                                action == Ipv6OptionFailureAction::DiscardSendIcmp || !to_group;
                            if send {
                                let pointer = (40 + at) as u32;
                                inner.icmpv6_error(
                                    &mut self.pending,
                                    now,
                                    &ip,
                                    Icmpv6Repr::ParamProblem {
                                        reason: icmpv6::ParamProblem::UnrecognizedOption,
                                        pointer,
                                        data: &[],
                                    },
                                    true,
                                    out,
                                );
                            }
                            return;
                        }
                    }
                }
                at += option.buffer_len();
            }
        }
        if let Some(frag) = walk.fragment {
            return self.reassemble_v6(now, src_mac, repr.hop_limit, ip, body, frag, sockets, out);
        }
        let upper_payload = body.get(walk.upper_offset..).unwrap_or(&[]);
        Self::deliver_v6(
            inner,
            &mut self.pending,
            now,
            src_mac,
            repr.hop_limit,
            ip,
            walk.upper,
            upper_payload,
            last_header_offset,
            sockets,
            out,
        );
    }

    /// RFC 8200 §4.5: a fragment joins its packet in the reassembler; the
    /// completed packet's fragmentable part is walked and delivered.
    #[allow(clippy::too_many_arguments)]
    fn reassemble_v6(
        &mut self,
        now: Instant,
        src_mac: EthernetAddress,
        hop_limit: u8,
        ip: IpIn<'_>,
        body: &[u8],
        frag: ipv6ext::Ipv6ExtFragment,
        sockets: &mut SocketSet<'_>,
        out: &mut dyn FrameOut,
    ) {
        let (IpAddr::V6(src), IpAddr::V6(dst)) = (ip.src, ip.dst) else {
            return;
        };
        let data_at = frag.header_offset + 8;
        let data = body.get(data_at..).unwrap_or(&[]);
        // RFC 8200 §4.5: a fragment that is not the last must carry a
        // multiple of 8 bytes; Parameter Problem code 0 points at its
        // Payload Length.
        if frag.repr.more_frags && data.len() % 8 != 0 {
            self.inner.drop(DropReason::Reassembly);
            if !ip.to_group {
                self.inner.icmpv6_error(
                    &mut self.pending,
                    now,
                    &ip,
                    Icmpv6Repr::ParamProblem {
                        reason: icmpv6::ParamProblem::ErroneousHdrField,
                        pointer: 4,
                        data: &[],
                    },
                    false,
                    out,
                );
            }
            return;
        }
        let fragment = Fragment {
            key: FragmentKey::V6 {
                src,
                dst,
                ident: frag.repr.ident,
            },
            offset_bytes: usize::from(frag.repr.frag_offset),
            more_fragments: frag.repr.more_frags,
            header: ip.packet.get(..40 + data_at).unwrap_or(&[]),
            payload: data,
        };
        match self.fragments.add(now, fragment) {
            Ok(Some(done)) => {
                self.inner.stats.reassembled = self.inner.stats.reassembled.wrapping_add(1);
                let Some(first) = done.next_header() else {
                    return self.inner.drop(DropReason::Reassembly);
                };
                // Extension headers may follow the Fragment header (in the
                // fragmentable part): walk them in the whole payload.
                let walk = match ipv6ext::walk(first, done.payload) {
                    Ok(w) => w,
                    Err(e) => return self.inner.drop(DropReason::from_wire(&e)),
                };
                let whole = IpIn {
                    packet: done.datagram(),
                    first_fragment: true,
                    ..ip
                };
                let upper_payload = done.payload.get(walk.upper_offset..).unwrap_or(&[]);
                Self::deliver_v6(
                    &mut self.inner,
                    &mut self.pending,
                    now,
                    src_mac,
                    hop_limit,
                    whole,
                    walk.upper,
                    upper_payload,
                    // An unknown protocol is named by the Fragment header.
                    Some(frag.header_offset),
                    sockets,
                    out,
                );
            }
            Ok(None) => {}
            Err(e) => {
                net_debug!("reassembly: {}", e.reason());
                self.inner.drop(DropReason::Reassembly);
            }
        }
    }

    /// Hands an IPv6 packet's upper layer to raw sockets and its protocol.
    #[allow(clippy::too_many_arguments)]
    fn deliver_v6(
        inner: &mut Inner,
        pending: &mut super::pending::PendingQueue<'_>,
        now: Instant,
        src_mac: EthernetAddress,
        hop_limit: u8,
        ip: IpIn<'_>,
        upper: IpProtocol,
        upper_payload: &[u8],
        last_header_offset: Option<usize>,
        sockets: &mut SocketSet<'_>,
        out: &mut dyn FrameOut,
    ) {
        let whole = ip.packet;
        let mut raw_taken = false;
        if let Some(raw) = sockets.raw_for(crate::socket::raw::IpVersion::Ipv6, upper) {
            raw_taken = true;
            if raw.process(now, whole).is_err() {
                inner.drop(DropReason::BufferFull);
            }
        }
        match upper {
            IpProtocol::Icmpv6 => inner.process_icmpv6(
                pending,
                now,
                src_mac,
                hop_limit,
                ip,
                upper_payload,
                sockets,
                out,
            ),
            IpProtocol::Udp => inner.process_udp(pending, now, ip, upper_payload, sockets, out),
            IpProtocol::Tcp => inner.process_tcp(pending, now, ip, upper_payload, sockets, out),
            IpProtocol::Ipv6NoNxt => {}
            _ if raw_taken => {}
            _ => {
                // RFC 8200 §4: unrecognised Next Header → Parameter Problem
                // code 1 pointing at the field that named it.
                inner.drop(DropReason::Unsupported);
                // The Next Header field is byte 6 of the fixed header, or
                // byte 0 of the last extension header.
                let pointer = match last_header_offset {
                    None => 6,
                    Some(off) => (40 + off) as u32,
                };
                inner.icmpv6_error(
                    pending,
                    now,
                    &ip,
                    Icmpv6Repr::ParamProblem {
                        reason: icmpv6::ParamProblem::UnrecognizedNxtHdr,
                        pointer,
                        data: &[],
                    },
                    false,
                    out,
                );
            }
        }
    }
}

impl Inner {
    pub(crate) fn accepts_multicast_mac(&self, mac: &EthernetAddress) -> bool {
        let m = mac.as_bytes();
        if m[0] == 0x33 && m[1] == 0x33 {
            // IPv6: all-nodes and the solicited-node groups of our addresses.
            return *mac == EthernetAddress::from_ipv6_multicast(&ALL_NODES)
                || self.v6.iter().any(|c| {
                    *mac == EthernetAddress::from_ipv6_multicast(&solicited_node(&c.address()))
                });
        }
        *mac == EthernetAddress::from_ipv4_multicast(&Ipv4Addr::new(224, 0, 0, 1))
            || self
                .igmp
                .groups()
                .any(|g| *mac == EthernetAddress::from_ipv4_multicast(&g))
    }

    fn process_igmp(&mut self, now: Instant, ip: &IpIn<'_>, payload: &[u8]) {
        let IpAddr::V4(dst) = ip.dst else { return };
        let repr = match IgmpPacket::new_checked(payload)
            .and_then(|p| IgmpRepr::parse(&p, ChecksumMode::Check))
        {
            Ok(r) => r,
            Err(e) => return self.drop(DropReason::from_wire(&e)),
        };
        match repr {
            IgmpRepr::MembershipQuery { .. } | IgmpRepr::MembershipQueryV3 { .. } => {
                let r = self.rand();
                self.igmp.process_query(now, &repr, dst, r);
            }
            // RFC 2236 §3: another member's report suppresses ours.
            IgmpRepr::MembershipReportV1 { group_addr }
            | IgmpRepr::MembershipReportV2 { group_addr } => self.igmp.process_report(group_addr),
            _ => {}
        }
    }

    fn process_icmpv4(
        &mut self,
        pending: &mut super::pending::PendingQueue<'_>,
        now: Instant,
        ip: IpIn<'_>,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
        out: &mut dyn FrameOut,
    ) {
        let packet = match Icmpv4Packet::new_checked(payload) {
            Ok(p) => p,
            Err(e) => return self.drop(DropReason::from_wire(&e)),
        };
        let repr = match Icmpv4Repr::parse(&packet, self.caps.checksum.icmpv4.rx_mode()) {
            Ok(r) => r,
            Err(e) => return self.drop(DropReason::from_wire(&e)),
        };
        let (IpAddr::V4(src), IpAddr::V4(dst)) = (ip.src, ip.dst) else {
            return;
        };
        match repr {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                if ip.to_group && !self.config.echo_reply_to_broadcast {
                    return self.drop(DropReason::NotForUs);
                }
                // RFC 1122 §3.2.2.6: reply from the address the request was
                // sent to; for a broadcast request, from one of ours.
                let Some(reply_src) = (if self.has_v4(&dst) {
                    Some(dst)
                } else {
                    self.v4_source(&src)
                }) else {
                    return self.drop(DropReason::NoRoute);
                };
                let reply = Icmpv4Repr::EchoReply {
                    ident,
                    seq_no,
                    data,
                };
                let body = Body::icmpv4(&reply, self.caps.checksum.icmpv4.tx_mode());
                let pkt = IpOut {
                    src: IpAddr::V4(reply_src),
                    dst: IpAddr::V4(src),
                    protocol: IpProtocol::Icmp,
                    hop_limit: self.hop_limit,
                    body,
                };
                self.send_reply(pending, now, &pkt, out);
            }
            Icmpv4Repr::EchoReply { ident, .. } => match sockets.icmp_for(ident) {
                Some(s) if s.accepts_v4(src, dst, &packet) => {
                    if s.process(now, ip.src, payload).is_err() {
                        self.drop(DropReason::BufferFull);
                    }
                }
                _ => self.drop(DropReason::NoSocket),
            },
            _ if quoted_echo_ident_v4(&repr).is_some() => {
                // An error about one of our pings: the ping socket hears it.
                let ident = quoted_echo_ident_v4(&repr).unwrap_or(0);
                if let Some(s) = sockets.icmp_for(ident) {
                    if s.accepts_v4(src, dst, &packet) && s.process(now, ip.src, payload).is_err() {
                        self.drop(DropReason::BufferFull);
                    }
                }
            }
            Icmpv4Repr::DstUnreachable { reason, .. } => {
                let kind = match reason {
                    Icmpv4DstUnreachable::PortUnreachable
                    | Icmpv4DstUnreachable::ProtoUnreachable => {
                        crate::socket::error::SocketError::ConnectionRefused
                    }
                    Icmpv4DstUnreachable::NetUnreachable => {
                        crate::socket::error::SocketError::NetworkUnreachable
                    }
                    _ => crate::socket::error::SocketError::HostUnreachable,
                };
                deliver_icmp_error_v4(&repr, kind, sockets);
            }
            Icmpv4Repr::TimeExceeded { .. } | Icmpv4Repr::ParamProblem { .. } => {
                deliver_icmp_error_v4(
                    &repr,
                    crate::socket::error::SocketError::HostUnreachable,
                    sockets,
                );
            }
            Icmpv4Repr::Redirect { .. } => {}
        }
        let _ = src;
    }

    #[allow(clippy::too_many_arguments)]
    fn process_icmpv6(
        &mut self,
        pending: &mut super::pending::PendingQueue<'_>,
        now: Instant,
        src_mac: EthernetAddress,
        hop_limit: u8,
        ip: IpIn<'_>,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
        out: &mut dyn FrameOut,
    ) {
        let (IpAddr::V6(src), IpAddr::V6(dst)) = (ip.src, ip.dst) else {
            return;
        };
        let packet = match Icmpv6Packet::new_checked(payload) {
            Ok(p) => p,
            Err(e) => return self.drop(DropReason::from_wire(&e)),
        };
        let repr = match Icmpv6Repr::parse(&src, &dst, &packet, self.caps.checksum.icmpv6.rx_mode())
        {
            Ok(r) => r,
            Err(e) => return self.drop(DropReason::from_wire(&e)),
        };
        match repr {
            Icmpv6Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                let Some(reply_src) = (if self.has_v6(&dst) {
                    Some(dst)
                } else {
                    self.v6_source(&src)
                }) else {
                    return self.drop(DropReason::NoRoute);
                };
                let reply = Icmpv6Repr::EchoReply {
                    ident,
                    seq_no,
                    data,
                };
                let body = Body::icmpv6(
                    &reply_src,
                    &src,
                    &reply,
                    self.caps.checksum.icmpv6.tx_mode(),
                );
                let pkt = IpOut {
                    src: IpAddr::V6(reply_src),
                    dst: IpAddr::V6(src),
                    protocol: IpProtocol::Icmpv6,
                    hop_limit: self.hop_limit,
                    body,
                };
                self.send_reply(pending, now, &pkt, out);
            }
            Icmpv6Repr::EchoReply { ident, .. } => match sockets.icmp_for(ident) {
                Some(s) if s.accepts_v6(src, dst, &packet) => {
                    if s.process(now, ip.src, payload).is_err() {
                        self.drop(DropReason::BufferFull);
                    }
                }
                _ => self.drop(DropReason::NoSocket),
            },
            Icmpv6Repr::DstUnreachable { data, reason } => {
                let kind = if reason == icmpv6::DstUnreachable::PortUnreachable {
                    crate::socket::error::SocketError::ConnectionRefused
                } else {
                    crate::socket::error::SocketError::HostUnreachable
                };
                deliver_icmp_error_v6(data, kind, None, sockets);
            }
            // RFC 8201: a smaller path MTU for the connection it quotes.
            Icmpv6Repr::PktTooBig { mtu, data } => {
                let mtu = usize::try_from(mtu).unwrap_or(usize::MAX);
                let kind = crate::socket::error::SocketError::HostUnreachable;
                deliver_icmp_error_v6(data, kind, Some(mtu), sockets);
            }
            Icmpv6Repr::Ndisc(ndisc) => {
                // RFC 4861 §7.1.1/§7.1.2: ND messages arrive with hop limit
                // 255, proving they were not forwarded by a router.
                if hop_limit != 255 {
                    return self.drop(DropReason::Malformed);
                }
                self.process_ndisc(pending, now, src_mac, &ip, src, dst, ndisc, out);
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn process_ndisc(
        &mut self,
        pending: &mut super::pending::PendingQueue<'_>,
        now: Instant,
        _src_mac: EthernetAddress,
        _ip: &IpIn<'_>,
        src: Ipv6Addr,
        dst: Ipv6Addr,
        ndisc: NdiscRepr<'_>,
        out: &mut dyn FrameOut,
    ) {
        let _ = pending;
        match ndisc {
            NdiscRepr::NeighborSolicit {
                target_addr,
                lladdr,
                ..
            } => {
                if !self.has_v6(&target_addr) {
                    return self.drop(DropReason::NotForUs);
                }
                // RFC 4861 §7.1.1: from the unspecified address (DAD) there
                // must be no source link-layer option, and we answer to all-nodes.
                let dad = src.is_unspecified();
                if dad && lladdr.is_some() {
                    return self.drop(DropReason::Malformed);
                }
                if let (false, Some(mac)) = (dad, lladdr) {
                    // RFC 4861 §7.2.3: create or update the entry as STALE.
                    if self.nd.fill(src, mac, Fill::solicitation(), now) != Filled::Ignored {
                        self.schedule_flush(IpAddr::V6(src));
                    }
                }
                let mut flags = NeighborFlags::OVERRIDE;
                if !dad {
                    flags |= NeighborFlags::SOLICITED;
                }
                let reply_dst = if dad { ALL_NODES } else { src };
                let advert = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
                    flags,
                    target_addr,
                    lladdr: Some(self.hw),
                    options: &[],
                });
                let body = Body::icmpv6(
                    &target_addr,
                    &reply_dst,
                    &advert,
                    self.caps.checksum.icmpv6.tx_mode(),
                );
                let pkt = IpOut {
                    src: IpAddr::V6(target_addr),
                    dst: IpAddr::V6(reply_dst),
                    protocol: IpProtocol::Icmpv6,
                    hop_limit: 255,
                    body,
                };
                // The solicitor told us its MAC: answer it directly.
                let mac = match (dad, lladdr) {
                    (true, _) => EthernetAddress::from_ipv6_multicast(&ALL_NODES),
                    (false, Some(mac)) => mac,
                    (false, None) => return self.send_reply(pending, now, &pkt, out),
                };
                if !self.send_ip_to(out, mac, &pkt) {
                    self.drop(DropReason::DeviceBusy);
                }
            }
            NdiscRepr::NeighborAdvert {
                flags,
                target_addr,
                lladdr,
                ..
            } => {
                // RFC 4861 §7.1.2: a solicited advert to a multicast address is invalid.
                if flags.contains(NeighborFlags::SOLICITED) && dst.is_multicast() {
                    return self.drop(DropReason::Malformed);
                }
                let solicited = flags.contains(NeighborFlags::SOLICITED);
                let Some(mac) = lladdr else {
                    // RFC 4861 §7.2.5: no address to learn; S still confirms.
                    if solicited && self.nd.confirm_reachable(&target_addr, now) {
                        self.schedule_flush(IpAddr::V6(target_addr));
                    }
                    return;
                };
                let how = Fill::advertisement(solicited, flags.contains(NeighborFlags::OVERRIDE));
                if self.nd.fill(target_addr, mac, how, now) != Filled::Ignored {
                    self.schedule_flush(IpAddr::V6(target_addr));
                }
            }
            _ => {}
        }
    }

    fn process_udp(
        &mut self,
        pending: &mut super::pending::PendingQueue<'_>,
        now: Instant,
        ip: IpIn<'_>,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
        out: &mut dyn FrameOut,
    ) {
        let packet = match UdpPacket::new_checked(payload) {
            Ok(p) => p,
            Err(e) => return self.drop(DropReason::from_wire(&e)),
        };
        let repr = match UdpRepr::parse(&packet, &ip.src, &ip.dst, self.caps.checksum.udp.rx_mode())
        {
            Ok(r) => r,
            Err(e) => return self.drop(DropReason::from_wire(&e)),
        };
        let data = packet.payload();
        if repr.dst_port == 68 && repr.src_port == 67 {
            if let (Some(dhcp), IpAddr::V4(src)) = (sockets.dhcp(), ip.src) {
                match DhcpPacket::new_checked(data).and_then(|p| DhcpRepr::parse(&p)) {
                    Ok(msg) => dhcp.process(now, src, &msg),
                    Err(e) => self.drop(DropReason::from_wire(&e)),
                }
                return;
            }
        }
        // Unicast to an address we do not own (accepted only for DHCP).
        let ours = match ip.dst {
            IpAddr::V4(a) => self.has_v4(&a) || ip.to_group,
            IpAddr::V6(a) => self.has_v6(&a) || ip.to_group,
        };
        if !ours {
            return self.drop(DropReason::NotForUs);
        }
        let src = crate::wire::IpEndpoint::new(ip.src, repr.src_port);
        match sockets.udp_for(&ip.dst, repr.dst_port) {
            Some(socket)
                if socket.accepts(&src, &crate::wire::IpEndpoint::new(ip.dst, repr.dst_port)) =>
            {
                if socket.process(now, src, ip.dst, data).is_err() {
                    self.drop(DropReason::BufferFull);
                }
            }
            _ => {
                self.drop(DropReason::NoSocket);
                // RFC 1122 §4.1.3.1: port unreachable for a datagram no one takes.
                match ip.src {
                    IpAddr::V4(_) => self.icmpv4_error(
                        pending,
                        now,
                        &ip,
                        Icmpv4Repr::DstUnreachable {
                            reason: Icmpv4DstUnreachable::PortUnreachable,
                            next_hop_mtu: 0,
                            data: &[],
                        },
                        out,
                    ),
                    IpAddr::V6(_) => self.icmpv6_error(
                        pending,
                        now,
                        &ip,
                        Icmpv6Repr::DstUnreachable {
                            reason: icmpv6::DstUnreachable::PortUnreachable,
                            data: &[],
                        },
                        false,
                        out,
                    ),
                }
            }
        }
    }

    /// Sends an ICMPv4 error about `ip` (its data field is filled here with
    /// the quote), if the rules allow one.
    pub(crate) fn icmpv4_error(
        &mut self,
        pending: &mut super::pending::PendingQueue<'_>,
        now: Instant,
        ip: &IpIn<'_>,
        repr: Icmpv4Repr<'_>,
        out: &mut dyn FrameOut,
    ) {
        let (IpAddr::V4(src), IpAddr::V4(dst)) = (ip.src, ip.dst) else {
            return;
        };
        // RFC 1122 §3.2.2: never about a broadcast/multicast datagram, a
        // non-first fragment, a non-unicast source, or an ICMP error.
        if ip.to_group
            || !ip.first_fragment
            || src.is_unspecified()
            || src.is_multicast()
            || self.is_v4_broadcast(&src)
        {
            return;
        }
        if is_icmpv4_error(ip.packet) {
            return;
        }
        if !self.icmp_limit.allow(now) {
            return self.drop(DropReason::RateLimited);
        }
        let Some(reply_src) = (if self.has_v4(&dst) {
            Some(dst)
        } else {
            self.v4_source(&src)
        }) else {
            return;
        };
        let quote_len = ip.packet.len().min(ICMP_ERROR_MAX - 20 - 8);
        let quote = ip.packet.get(..quote_len).unwrap_or(&[]);
        // Callers pass an error message with empty data: the quote goes in.
        let repr = super::packet::with_data_v4(&repr, quote);
        let body = Body::icmpv4(&repr, self.caps.checksum.icmpv4.tx_mode());
        let pkt = IpOut {
            src: IpAddr::V4(reply_src),
            dst: IpAddr::V4(src),
            protocol: IpProtocol::Icmp,
            hop_limit: self.hop_limit,
            body,
        };
        self.stats.icmp_errors_sent = self.stats.icmp_errors_sent.wrapping_add(1);
        self.send_reply(pending, now, &pkt, out);
    }

    /// Sends an ICMPv6 error about `ip`, if RFC 4443 §2.4 allows one.
    /// `to_group_ok`: the Parameter Problem code 2 exception of §2.4 (e.3).
    pub(crate) fn icmpv6_error(
        &mut self,
        pending: &mut super::pending::PendingQueue<'_>,
        now: Instant,
        ip: &IpIn<'_>,
        repr: Icmpv6Repr<'_>,
        to_group_ok: bool,
        out: &mut dyn FrameOut,
    ) {
        let (IpAddr::V6(src), IpAddr::V6(dst)) = (ip.src, ip.dst) else {
            return;
        };
        // RFC 4443 §2.4 (e): not to a multicast destination (with two
        // exceptions), not from an unspecified or multicast source, not
        // about an ICMPv6 error.
        if (ip.to_group && !to_group_ok) || src.is_unspecified() || src.is_multicast() {
            return;
        }
        if is_icmpv6_error(ip.packet) {
            return;
        }
        if !self.icmp_limit.allow(now) {
            return self.drop(DropReason::RateLimited);
        }
        let Some(reply_src) = (if self.has_v6(&dst) {
            Some(dst)
        } else {
            self.v6_source(&src)
        }) else {
            return;
        };
        // RFC 4443 §2.4 (c): as much of the invoking packet as fits in the
        // minimum IPv6 MTU (1280).
        let quote_len = ip.packet.len().min(1280 - 40 - 8);
        let quote = ip.packet.get(..quote_len).unwrap_or(&[]);
        let repr = super::packet::with_data_v6(&repr, quote);
        let body = Body::icmpv6(&reply_src, &src, &repr, self.caps.checksum.icmpv6.tx_mode());
        let pkt = IpOut {
            src: IpAddr::V6(reply_src),
            dst: IpAddr::V6(src),
            protocol: IpProtocol::Icmpv6,
            hop_limit: self.hop_limit,
            body,
        };
        self.stats.icmp_errors_sent = self.stats.icmp_errors_sent.wrapping_add(1);
        self.send_reply(pending, now, &pkt, out);
    }

    /// Sends an ICMP Time Exceeded (fragment reassembly) for an expired datagram.
    pub(crate) fn reassembly_timeout(
        &mut self,
        pending: &mut super::pending::PendingQueue<'_>,
        now: Instant,
        first: &[u8],
        out: &mut dyn FrameOut,
    ) {
        if first.first().is_some_and(|b| b >> 4 == 6) {
            // RFC 8200 §4.5: Time Exceeded code 1 to the source, only when
            // the first fragment arrived (the reassembler hands it).
            let Ok(p) = Ipv6Packet::new_checked_header(first) else {
                return;
            };
            let dst = p.dst_addr();
            let ip = IpIn {
                src: IpAddr::V6(p.src_addr()),
                dst: IpAddr::V6(dst),
                packet: first,
                to_group: dst.is_multicast(),
                first_fragment: true,
            };
            let repr = Icmpv6Repr::TimeExceeded {
                reason: icmpv6::TimeExceeded::FragReassemblyExceeded,
                data: &[],
            };
            return self.icmpv6_error(pending, now, &ip, repr, false, out);
        }
        let Ok(p) = Ipv4Packet::new_checked_header(first) else {
            return;
        };
        let ip = IpIn {
            src: IpAddr::V4(p.src_addr()),
            dst: IpAddr::V4(p.dst_addr()),
            packet: first,
            to_group: p.dst_addr().is_multicast() || self.is_v4_broadcast(&p.dst_addr()),
            first_fragment: true,
        };
        // RFC 792 / RFC 1122 §3.3.2: code 1, only when fragment zero arrived.
        self.icmpv4_error(
            pending,
            now,
            &ip,
            Icmpv4Repr::TimeExceeded {
                reason: Icmpv4TimeExceeded::FragExpired,
                data: &[],
            },
            out,
        );
    }
}

/// The identifier of the echo request an ICMPv4 error quotes, if it does.
fn quoted_echo_ident_v4(repr: &Icmpv4Repr<'_>) -> Option<u16> {
    let quoted = repr.quoted_packet().ok()?;
    if quoted.next_header() != IpProtocol::Icmp || quoted.frag_offset() != 0 {
        return None;
    }
    let inner = repr.data().get(quoted.header_len()..)?;
    // Type 8 (echo request), code, checksum, then the identifier.
    (inner.first() == Some(&8))
        .then(|| inner.get(4..6).map(|b| u16::from_be_bytes([b[0], b[1]])))?
}

/// The offset (from the start of the header) of the option that makes the
/// walk fail, when that is what is wrong with a version-4, checksum-valid
/// header.
fn bad_option_offset(packet: &Ipv4Packet<&[u8]>) -> Option<u8> {
    if packet.version() != 4 || !packet.verify_checksum() {
        return None;
    }
    let mut offset = 20usize;
    for option in packet.options_iter() {
        match option {
            Ok(o) if o.kind == 1 => offset += 1,
            Ok(o) => offset += 2 + o.data.len(),
            Err(_) => return u8::try_from(offset).ok(),
        }
    }
    None
}

fn is_icmpv4_error(packet: &[u8]) -> bool {
    let Ok(p) = Ipv4Packet::new_checked_header(packet) else {
        return false;
    };
    if p.next_header() != IpProtocol::Icmp {
        return false;
    }
    let icmp_type = packet.get(p.header_len()).copied().unwrap_or(0);
    // Echo (0, 8), timestamp (13, 14) and info (15, 16) are queries; the rest errors.
    !matches!(icmp_type, 0 | 8 | 13 | 14 | 15 | 16 | 9 | 10)
}

fn is_icmpv6_error(packet: &[u8]) -> bool {
    let Ok(p) = Ipv6Packet::new_checked_header(packet) else {
        return false;
    };
    let Ok(walk) = ipv6ext::walk(p.next_header(), packet.get(40..).unwrap_or(&[])) else {
        return false;
    };
    // RFC 4443 §2.1: types 0–127 are errors.
    walk.upper == IpProtocol::Icmpv6 && packet.get(40 + walk.upper_offset).is_some_and(|t| *t < 128)
}

/// Hands an ICMPv4 error to the UDP socket whose datagram it quotes.
fn deliver_icmp_error_v4(
    repr: &Icmpv4Repr<'_>,
    kind: crate::socket::error::SocketError,
    sockets: &mut SocketSet<'_>,
) {
    let Ok(quoted) = repr.quoted_packet() else {
        return;
    };
    let transport = repr.data().get(quoted.header_len()..).unwrap_or(&[]);
    let (src, dst) = (quoted.src_addr().into(), quoted.dst_addr().into());
    match quoted.next_header() {
        IpProtocol::Udp => deliver_to_udp(src, dst, transport, kind, sockets),
        IpProtocol::Tcp => {
            let mtu = match repr {
                Icmpv4Repr::DstUnreachable {
                    reason: Icmpv4DstUnreachable::FragRequired,
                    next_hop_mtu,
                    ..
                } => Some((usize::from(*next_hop_mtu), usize::from(quoted.total_len()))),
                _ => None,
            };
            deliver_to_tcp(src, dst, transport, kind, mtu, sockets)
        }
        _ => {}
    }
}

/// The quoted segment went from our `local` to `remote`: a hard error
/// refuses a connection being opened (RFC 9293 §3.9 / RFC 5927), a
/// "fragmentation needed" (`mtu`: the reported MTU and the quoted packet's
/// total length) lowers its MSS (RFC 1191, RFC 8201).
fn deliver_to_tcp(
    local: IpAddr,
    remote: IpAddr,
    tcp: &[u8],
    kind: crate::socket::error::SocketError,
    mtu: Option<(usize, usize)>,
    sockets: &mut SocketSet<'_>,
) {
    // RFC 792 quotes at least 8 bytes: the ports and the sequence number.
    let Some(head) = tcp.get(..8) else {
        return;
    };
    let local = crate::wire::IpEndpoint::new(local, u16::from_be_bytes([head[0], head[1]]));
    let remote = crate::wire::IpEndpoint::new(remote, u16::from_be_bytes([head[2], head[3]]));
    let seq =
        crate::wire::tcp::TcpSeqNumber(u32::from_be_bytes([head[4], head[5], head[6], head[7]]));
    let Some((h, true)) = sockets.tcp_for(&local, &remote) else {
        return;
    };
    if let Some(crate::socket::Socket::Tcp(s)) = sockets.slot_mut(h.index()) {
        match mtu {
            Some((mtu, quoted_len)) => s.process_path_mtu(seq, mtu, quoted_len),
            None => s.process_icmp_error(
                seq,
                kind == crate::socket::error::SocketError::ConnectionRefused,
            ),
        }
    }
    sockets.touch(h.index());
}

/// Hands an ICMPv6 error to the UDP socket whose datagram it quotes.
fn deliver_icmp_error_v6(
    data: &[u8],
    kind: crate::socket::error::SocketError,
    mtu: Option<usize>,
    sockets: &mut SocketSet<'_>,
) {
    let Ok(quoted) = Ipv6Packet::new_checked_header(data) else {
        return;
    };
    let Ok(walk) = ipv6ext::walk(quoted.next_header(), data.get(40..).unwrap_or(&[])) else {
        return;
    };
    let transport = data.get(40 + walk.upper_offset..).unwrap_or(&[]);
    let (src, dst) = (quoted.src_addr().into(), quoted.dst_addr().into());
    match walk.upper {
        IpProtocol::Udp => deliver_to_udp(src, dst, transport, kind, sockets),
        IpProtocol::Tcp => {
            let mtu = mtu.map(|m| (m, quoted.total_len()));
            deliver_to_tcp(src, dst, transport, kind, mtu, sockets)
        }
        _ => {}
    }
}

/// The quoted datagram went from our `local` to `remote`; its UDP header
/// (at least the ports) starts `udp`.
fn deliver_to_udp(
    local: IpAddr,
    remote: IpAddr,
    udp: &[u8],
    kind: crate::socket::error::SocketError,
    sockets: &mut SocketSet<'_>,
) {
    let Some(ports) = udp.get(..4) else {
        return;
    };
    let src_port = u16::from_be_bytes([ports[0], ports[1]]);
    let dst_port = u16::from_be_bytes([ports[2], ports[3]]);
    let remote = crate::wire::IpEndpoint::new(remote, dst_port);
    if let Some(s) = sockets.udp_for(&local, src_port) {
        s.process_icmp_error(kind, remote);
    }
}
