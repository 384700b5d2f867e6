//! IPv4 in the interface (RFC 791, RFC 1122 §3.2): header checks, which
//! datagrams are ours, reassembly of fragments and its timer, and the
//! hand-off by protocol; IGMP's framing (the engine, `igmp.rs`, parses and
//! times; its reports are IPv4 datagrams written here).

use super::fragment::{Fragment, FragmentKey, Reassembler};
use super::interface::Inner;
use super::out::Out;
use super::packet::IpIn;
use super::stats::DropReason;
use crate::socket::SocketSet;
use crate::wire::ethernet::EtherType;
use crate::wire::icmpv4::{Icmpv4DstUnreachable, Icmpv4ParamProblem, Icmpv4Repr};
use crate::wire::ipv4::{Ipv4Packet, Ipv4Repr};
use crate::wire::{EthernetAddress, IpAddr, IpProtocol, Ipv4Addr};

impl Inner {
    /// An IPv4 packet from the wire (RFC 1122 §3.2.1): checked, reassembled
    /// when it is a fragment, and handed to its protocol.
    pub(super) fn process_ipv4(
        &mut self,
        fragments: &mut Reassembler<'_>,
        out: &mut Out<'_, '_>,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
    ) {
        let now = out.now;
        let Some(packet) = self.wire(Ipv4Packet::new_checked(payload)) else {
            return;
        };
        let repr = match Ipv4Repr::parse(&packet, self.caps.checksum.ipv4.rx_mode()) {
            Ok(r) => r,
            Err(e) => {
                self.drop(DropReason::from_wire(&e));
                // RFC 1122 §3.2.1.8 / RFC 792: a bad option in an otherwise
                // sound header (version, checksum) earns a Parameter Problem
                // pointing at it, for datagrams addressed to us.
                if let (Some(pointer), true) =
                    (bad_option_offset(&packet), self.has_v4(&packet.dst_addr()))
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
                    self.icmpv4_error(out, &ip, problem);
                }
                return;
            }
        };
        // RFC 1122 §3.2.1.3: a source address must be a host address.
        if repr.src_addr.is_multicast() || self.is_v4_broadcast(&repr.src_addr) {
            return self.drop(DropReason::BadSource);
        }
        // A datagram that may not be fragmented cannot have more fragments.
        if repr.dont_frag && repr.more_frags {
            return self.drop(DropReason::Malformed);
        }
        if repr.hop_limit == 0 {
            return self.drop(DropReason::HopLimit);
        }
        let dst = repr.dst_addr;
        let broadcast = self.is_v4_broadcast(&dst);
        let to_group = dst.is_multicast() || broadcast;
        let for_us = self.has_v4(&dst)
            || broadcast
            || dst == Ipv4Addr::new(224, 0, 0, 1)
            || self.igmp.is_joined(dst)
            // A DHCP server may unicast its OFFER/ACK to the address it is
            // offering, before we own it (RFC 2131 §4.1).
            || (repr.next_header == IpProtocol::Udp && sockets.dhcp().is_some());
        if !for_us {
            return self.drop(DropReason::NotForUs);
        }
        let header_len = packet.header_len();
        let whole = payload
            .get(..header_len + repr.payload_len)
            .unwrap_or(payload);
        if repr.more_frags || repr.frag_offset != 0 {
            // A device's checksum verdict is about one frame; the datagram
            // reassembled here is checked in full.
            self.rx_vouched = false;
            // Reassembly has a timer (`quiet.rs`).
            self.timers_changed();
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
            match fragments.add(now, fragment) {
                Ok(Some(done)) => {
                    self.stats.reassembled = self.stats.reassembled.wrapping_add(1);
                    let ip = IpIn {
                        src: IpAddr::V4(repr.src_addr),
                        dst: IpAddr::V4(dst),
                        packet: done.datagram(),
                        to_group,
                        first_fragment: true,
                    };
                    let proto = repr.next_header;
                    let payload = done.payload;
                    self.deliver_v4(out, ip, proto, payload, sockets);
                }
                Ok(None) => {}
                Err(e) => {
                    net_debug!("reassembly: {}", e.reason());
                    self.drop(DropReason::Reassembly);
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
        // The payload is what follows the header in `whole`, which the
        // total length already bounds.
        let data = whole.get(header_len..).unwrap_or(&[]);
        self.deliver_v4(out, ip, repr.next_header, data, sockets);
    }

    pub(super) fn deliver_v4(
        &mut self,
        out: &mut Out<'_, '_>,
        ip: IpIn<'_>,
        protocol: IpProtocol,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
    ) {
        let now = out.now;
        let mut raw_taken = false;
        if let Some(raw) = sockets.raw_for(crate::socket::raw::IpVersion::Ipv4, protocol) {
            raw_taken = true;
            if raw.process(now, ip.packet).is_err() {
                self.drop(DropReason::BufferFull);
            }
        }
        match protocol {
            IpProtocol::Icmp => self.process_icmpv4(out, ip, payload, sockets),
            IpProtocol::Udp => self.process_udp(out, ip, payload, sockets),
            IpProtocol::Tcp => self.process_tcp(out, ip, payload, sockets),
            IpProtocol::Igmp => {
                // A query starts report timers (`quiet.rs`).
                self.timers_changed();
                let IpAddr::V4(dst) = ip.dst else { return };
                if let Err(e) = self.igmp.process_packet(now, dst, payload, &mut self.rng) {
                    self.drop(DropReason::from_wire(&e));
                }
            }
            _ if raw_taken => {}
            _ => {
                // RFC 1122 §3.2.2.1: protocol unreachable for a protocol we lack.
                self.drop(DropReason::Unsupported);
                self.icmpv4_error(
                    out,
                    &ip,
                    Icmpv4Repr::DstUnreachable {
                        reason: Icmpv4DstUnreachable::ProtoUnreachable,
                        next_hop_mtu: 0,
                        data: &[],
                    },
                );
            }
        }
    }

    /// Datagrams whose reassembly timed out (IPv4 and IPv6 alike, one
    /// reassembler): dropped, and a Time Exceeded sent when their first
    /// fragment had arrived.
    pub(super) fn reassembly_timers(
        &mut self,
        fragments: &mut Reassembler<'_>,
        out: &mut Out<'_, '_>,
    ) {
        let now = out.now;
        fragments.expire(now, |expired| {
            self.drop(DropReason::Reassembly);
            if let Some(first) = expired.first_fragment {
                self.reassembly_timeout(out, first);
            }
        });
    }
}

/// The offset (from the start of the header) of the option that makes the
/// walk fail, when that is what is wrong with a version-4, checksum-valid
/// header.
pub(super) fn bad_option_offset(packet: &Ipv4Packet<&[u8]>) -> Option<u8> {
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

impl Inner {
    /// Sends the IGMP reports the engine has due (RFC 3376 §5, RFC 2236
    /// §3), each an IPv4 datagram framed to its group's MAC. The engine
    /// sits below the interface state, so the framing is here.
    pub(super) fn igmp_timers(&mut self, out: &mut Out<'_, '_>) {
        let now = out.now;
        // Asked every poll: nothing due is the common answer.
        if !self.igmp.due(now) {
            return;
        }
        // RFC 3376 §4.2.13: from our address, or 0.0.0.0 without one.
        let src = self
            .v4
            .iter()
            .find(|a| a.usable())
            .map_or(Ipv4Addr::UNSPECIFIED, |a| a.cidr.address());
        let link = self.link();
        let csum = self.caps.checksum.ipv4.tx_mode();
        while self.igmp.due(now) {
            let ident = self.next_ident();
            let mut sent = 0;
            let r = self.igmp.dispatch(now, |msg| {
                let mac = EthernetAddress::from_ipv4_multicast(&msg.dst);
                let len = link.header_len() + msg.datagram_len();
                let ok = out.frame(len, &mut |buf| {
                    let at = link.write(buf, mac, EtherType::Ipv4);
                    if let Some(rest) = buf.get_mut(at..) {
                        let _ = msg.emit_datagram(src, ident, rest, csum);
                    }
                });
                sent = len;
                if ok {
                    Ok(())
                } else {
                    Err(())
                }
            });
            if r.is_err() || sent == 0 {
                break;
            }
            self.count_tx(sent);
        }
    }
}
