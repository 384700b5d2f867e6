//! ARP in the interface (RFC 826): requests answered, the cache merged,
//! and RFC 5227 conflict detection for static addresses, both the
//! evidence in received ARP and the probes and announcements on its timer.

use super::interface::Inner;
use super::neighbor::{Fill, Filled};
use super::out::Out;
use super::stats::DropReason;
use crate::socket::SocketSet;
use crate::wire::arp::{ArpOperation, ArpPacket, ArpRepr};
use crate::wire::{EthernetAddress, IpAddr, Ipv4Addr};

impl Inner {
    /// An ARP packet from the wire (RFC 826), sent to `eth_dst`.
    pub(super) fn process_arp(
        &mut self,
        out: &mut Out<'_, '_>,
        eth_dst: EthernetAddress,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
    ) {
        let now = out.now;
        let Some(repr) =
            self.wire(ArpPacket::new_checked(payload).and_then(|p| ArpRepr::parse(&p)))
        else {
            return;
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
            return self.drop(DropReason::Unsupported);
        };
        if !sha.is_unicast() {
            return self.drop(DropReason::BadSource);
        }
        // RFC 5227: every ARP packet is evidence for conflict detection.
        for i in 0..self.v4.len() {
            let Some(a) = self.v4.get_mut(i) else { break };
            let address = a.cidr.address();
            if let Some(acd) = a.acd.as_mut() {
                match acd.process_arp(now, &repr) {
                    Some(super::acd::AcdEvent::Conflict { other, .. }) => {
                        self.event(super::event::Event::AddressConflict { address, other });
                        // RFC 5227 §2.4: a leased address lost to another
                        // host is declined by the client (RFC 2131 §4.4.1).
                        if self.is_dhcp_address(address) {
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
        self.dhcp_acd_arp(now, &repr, sockets.dhcp());
        let for_us = self.has_v4(&tpa);
        // RFC 5227 §2.1.1 probes come from 0.0.0.0: nothing to learn, but a
        // probe for our address is answered (as Linux does) so that the
        // prober sees the conflict. The reply goes to the prober's MAC.
        if spa.is_unspecified() {
            if for_us && operation == ArpOperation::Request {
                self.arp_reply(out, sha, spa, tpa);
            }
            return;
        }
        // RFC 826 "merge": update an existing entry from any ARP packet;
        // create one only when the packet is addressed to us. A confirmed
        // address is re-validated rather than overwritten, except by a
        // gratuitous ARP (see `Fill::arp`).
        let unicast_reply = operation == ArpOperation::Reply && eth_dst == self.hw;
        let how = if spa == tpa {
            Fill::arp_announcement(unicast_reply)
        } else {
            Fill::arp(for_us, unicast_reply)
        };
        if self.arp.fill(spa, sha, how, now) != Filled::Ignored {
            self.schedule_flush(IpAddr::V4(spa));
        }
        if for_us && operation == ArpOperation::Request {
            self.arp_reply(out, sha, spa, tpa);
        }
    }

    /// RFC 5227 probes and announcements of our addresses (static, and the
    /// DHCP client's), and the address ready once probing ended well.
    pub(super) fn address_timers(&mut self, out: &mut Out<'_, '_>, sockets: &mut SocketSet<'_>) {
        let now = out.now;
        if let Some(dhcp) = sockets.dhcp() {
            self.dhcp_acd_timers(out, dhcp);
        }
        for i in 0..self.v4.len() {
            let hw = self.hw;
            let Some(addr) = self.v4.get_mut(i) else {
                break;
            };
            let Some(acd) = addr.acd.as_mut() else {
                continue;
            };
            let was_usable = acd.is_usable();
            let mut packet = None;
            let _ = acd.dispatch(now, |p| {
                packet = Some(p);
                Ok::<(), ()>(())
            });
            let usable = acd.is_usable();
            let address = addr.cidr.address();
            if let Some(p) = packet {
                let repr = p.arp_repr(hw);
                self.send_arp(out, EthernetAddress::BROADCAST, &repr);
            }
            if usable && !was_usable {
                self.event(super::event::Event::AddressReady(address));
            }
        }
    }
}

impl Inner {
    /// Answers a request for our `tpa` from `sha` (`spa` its address, or
    /// 0.0.0.0 for a probe), unicast to the asker's MAC.
    fn arp_reply(
        &mut self,
        out: &mut Out<'_, '_>,
        sha: EthernetAddress,
        spa: Ipv4Addr,
        tpa: Ipv4Addr,
    ) {
        let reply = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Reply,
            source_hardware_addr: self.hw,
            source_protocol_addr: tpa,
            target_hardware_addr: sha,
            target_protocol_addr: spa,
        };
        if !self.send_arp(out, sha, &reply) {
            self.drop(DropReason::DeviceBusy);
        }
    }
}
