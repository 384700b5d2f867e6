//! IPv6 in the interface (RFC 8200): which packets are ours, the extension
//! header walk and its option actions (§4.2), reassembly (§4.5), and the
//! hand-off by upper-layer protocol.

use super::fragment::{Fragment, FragmentKey, Reassembler};
use super::interface::{solicited_node, Inner, ALL_NODES};
use super::out::Out;
use super::packet::IpIn;
use super::stats::DropReason;
use crate::socket::SocketSet;
use crate::wire::ethernet::EtherType;
use crate::wire::icmpv6::{self, Icmpv6Repr};
use crate::wire::ipv6::{Ipv6Packet, Ipv6Repr};
use crate::wire::ipv6ext::{self, Ipv6ExtView, Ipv6OptionFailureAction};
use crate::wire::{EthernetAddress, IpAddr, IpProtocol, Ipv6Addr};

impl Inner {
    /// An IPv6 packet from the wire (RFC 8200): ours or not, its extension
    /// headers walked, reassembled when it is a fragment, and handed to its
    /// upper layer.
    pub(super) fn process_ipv6(
        &mut self,
        fragments: &mut Reassembler<'_>,
        out: &mut Out<'_, '_>,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
    ) {
        let Some(packet) = self.wire(Ipv6Packet::new_checked(payload)) else {
            return;
        };
        let Some(repr) = self.wire(Ipv6Repr::parse(&packet)) else {
            return;
        };
        let dst = repr.dst_addr;
        let to_group = dst.is_multicast();
        let for_us = self.has_v6(&dst)
            || dst == ALL_NODES
            // Tentative addresses too: DAD's solicitations arrive here
            // (RFC 4862 §5.4.3).
            || self.v6.iter().any(|e| solicited_node(&e.addr()) == dst)
            || self.mld.is_joined(&dst);
        if !for_us {
            return self.drop(DropReason::NotForUs);
        }
        let body = packet.payload();
        let Some(walk) = self.wire(ipv6ext::walk(repr.next_header, body)) else {
            return;
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
                            return self.drop(DropReason::Unsupported)
                        }
                        action => {
                            self.drop(DropReason::Unsupported);
                            let send =
                                action == Ipv6OptionFailureAction::DiscardSendIcmp || !to_group;
                            if send {
                                let pointer = (40 + at) as u32;
                                self.icmpv6_error(
                                    out,
                                    &ip,
                                    Icmpv6Repr::ParamProblem {
                                        reason: icmpv6::ParamProblem::UnrecognizedOption,
                                        pointer,
                                        data: &[],
                                    },
                                    true,
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
            // A device's checksum verdict is about one frame; the packet
            // reassembled here is checked in full.
            self.rx_vouched = false;
            return self.reassemble_v6(fragments, out, repr.hop_limit, ip, body, frag, sockets);
        }
        let upper_payload = body.get(walk.upper_offset..).unwrap_or(&[]);
        self.deliver_v6(
            out,
            repr.hop_limit,
            ip,
            walk.upper,
            upper_payload,
            last_header_offset,
            sockets,
        );
    }

    /// RFC 8200 §4.5: a fragment joins its packet in the reassembler; the
    /// completed packet's fragmentable part is walked and delivered.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn reassemble_v6(
        &mut self,
        fragments: &mut Reassembler<'_>,
        out: &mut Out<'_, '_>,
        hop_limit: u8,
        ip: IpIn<'_>,
        body: &[u8],
        frag: ipv6ext::Ipv6ExtFragment,
        sockets: &mut SocketSet<'_>,
    ) {
        let now = out.now;
        let (IpAddr::V6(src), IpAddr::V6(dst)) = (ip.src, ip.dst) else {
            return;
        };
        let data_at = frag.header_offset + 8;
        let data = body.get(data_at..).unwrap_or(&[]);
        // RFC 8200 §4.5: a fragment that is not the last must carry a
        // multiple of 8 bytes; Parameter Problem code 0 points at its
        // Payload Length.
        if frag.repr.more_frags && data.len() % 8 != 0 {
            self.drop(DropReason::Reassembly);
            if !ip.to_group {
                self.icmpv6_error(
                    out,
                    &ip,
                    Icmpv6Repr::ParamProblem {
                        reason: icmpv6::ParamProblem::ErroneousHdrField,
                        pointer: 4,
                        data: &[],
                    },
                    false,
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
        match fragments.add(now, fragment) {
            Ok(Some(done)) => {
                self.stats.reassembled = self.stats.reassembled.wrapping_add(1);
                let Some(first) = done.next_header() else {
                    return self.drop(DropReason::Reassembly);
                };
                // Extension headers may follow the Fragment header (in the
                // fragmentable part): walk them in the whole payload.
                let Some(walk) = self.wire(ipv6ext::walk(first, done.payload)) else {
                    return;
                };
                let whole = IpIn {
                    packet: done.datagram(),
                    first_fragment: true,
                    ..ip
                };
                let upper_payload = done.payload.get(walk.upper_offset..).unwrap_or(&[]);
                self.deliver_v6(
                    out,
                    hop_limit,
                    whole,
                    walk.upper,
                    upper_payload,
                    // An unknown protocol is named by the Fragment header.
                    Some(frag.header_offset),
                    sockets,
                );
            }
            Ok(None) => {}
            Err(e) => {
                net_debug!("reassembly: {}", e.reason());
                self.drop(DropReason::Reassembly);
            }
        }
    }

    /// Hands an IPv6 packet's upper layer to raw sockets and its protocol.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn deliver_v6(
        &mut self,
        out: &mut Out<'_, '_>,
        hop_limit: u8,
        ip: IpIn<'_>,
        upper: IpProtocol,
        upper_payload: &[u8],
        last_header_offset: Option<usize>,
        sockets: &mut SocketSet<'_>,
    ) {
        let now = out.now;
        let whole = ip.packet;
        let mut raw_taken = false;
        if let Some(raw) = sockets.raw_for(crate::socket::raw::IpVersion::Ipv6, upper) {
            raw_taken = true;
            if raw.process(now, whole).is_err() {
                self.drop(DropReason::BufferFull);
            }
        }
        match upper {
            IpProtocol::Icmpv6 => self.process_icmpv6(out, hop_limit, ip, upper_payload, sockets),
            IpProtocol::Udp => self.process_udp(out, ip, upper_payload, sockets),
            IpProtocol::Tcp => self.process_tcp(out, ip, upper_payload, sockets),
            IpProtocol::Ipv6NoNxt => {}
            _ if raw_taken => {}
            _ => {
                // RFC 8200 §4: unrecognised Next Header → Parameter Problem
                // code 1 pointing at the field that named it.
                self.drop(DropReason::Unsupported);
                // The Next Header field is byte 6 of the fixed header, or
                // byte 0 of the last extension header.
                let pointer = match last_header_offset {
                    None => 6,
                    Some(off) => (40 + off) as u32,
                };
                self.icmpv6_error(
                    out,
                    &ip,
                    Icmpv6Repr::ParamProblem {
                        reason: icmpv6::ParamProblem::UnrecognizedNxtHdr,
                        pointer,
                        data: &[],
                    },
                    false,
                );
            }
        }
    }
}

impl Inner {
    /// Sends the MLD reports the engine has due (RFC 3810 §6, RFC 2710 §4),
    /// each an IPv6 packet framed to its group's MAC. The engine sits below
    /// the interface state, so the framing is here.
    pub(super) fn mld_timers(&mut self, out: &mut Out<'_, '_>) {
        let now = out.now;
        // Asked every poll: nothing due is the common answer.
        if !self.mld.due(now) {
            return;
        }
        // RFC 3810 §5.2.13: from a link-local address, or :: while none is
        // usable (a tentative one is not, RFC 4862 §5.4.2: the reports for
        // its own solicited-node group go from ::).
        let src = self
            .v6
            .link_local()
            .map(|e| e.addr())
            .unwrap_or(Ipv6Addr::UNSPECIFIED);
        let link = self.link();
        let csum = self.caps.checksum.icmpv6.tx_mode();
        while self.mld.due(now) {
            let mut sent = 0;
            let r = self.mld.dispatch(now, |msg| {
                let mac = EthernetAddress::from_ipv6_multicast(&msg.dst);
                let len = link.header_len() + msg.datagram_len();
                let ok = out.frame(len, &mut |buf| {
                    let at = link.write(buf, mac, EtherType::Ipv6);
                    if let Some(rest) = buf.get_mut(at..) {
                        let _ = msg.emit_datagram(src, rest, csum);
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
