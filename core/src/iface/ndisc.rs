//! Neighbor Discovery in the interface (RFC 4861): solicitations answered
//! and advertisements learnt. The solicitations we send are part of
//! resolution, in [`super::out`].

use super::interface::{Inner, ALL_NODES};
use super::neighbor::{Fill, Filled};
use super::out::Out;
use super::stats::DropReason;
use crate::wire::icmpv6::Icmpv6Repr;
use crate::wire::ndp::{NdiscRepr, NeighborFlags};
use crate::wire::{EthernetAddress, IpAddr, Ipv6Addr};

impl Inner {
    pub(super) fn process_ndisc(
        &mut self,
        out: &mut Out<'_, '_>,
        src: Ipv6Addr,
        dst: Ipv6Addr,
        ndisc: NdiscRepr<'_>,
    ) {
        let now = out.now;
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
                let pkt = self.icmpv6_packet(target_addr, reply_dst, &advert, 255);
                // The solicitor told us its MAC: answer it directly.
                let mac = match (dad, lladdr) {
                    (true, _) => EthernetAddress::from_ipv6_multicast(&ALL_NODES),
                    (false, Some(mac)) => mac,
                    (false, None) => return self.send_reply(out, &pkt),
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
}
