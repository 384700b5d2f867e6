//! Neighbor Discovery in the interface (RFC 4861): solicitations answered
//! and advertisements learnt; router discovery as a host (§6.3): Router
//! Advertisements validated and applied, Router Solicitations sent (the
//! engine is `router.rs`). The Neighbor Solicitations we send are part of
//! resolution, in [`super::out`].
//!
//! Redirects (§8) are validated here (§8.1: from the current first-hop
//! router for the destination) and recorded in `redirect.rs` (§8.3).

use super::event::Event;
use super::interface::{solicited_node, Inner, ALL_NODES};
use super::neighbor::{Fill, Filled, NeighborConfig};
use super::out::Out;
use super::router::RouterChange;
use super::stats::DropReason;
use crate::phy::Medium;
use crate::time::{Duration, Instant};
use crate::wire::icmpv6::Icmpv6Repr;
use crate::wire::ndp::{NdiscRepr, NeighborFlags};
use crate::wire::{EthernetAddress, IpAddr, Ipv6Addr};

/// ff02::2, all routers (RFC 4291 §2.7.1): where solicitations go (RFC 4861
/// §6.3.7).
const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);

impl Inner {
    pub(super) fn process_ndisc(
        &mut self,
        out: &mut Out<'_, '_>,
        src: Ipv6Addr,
        dst: Ipv6Addr,
        ndisc: NdiscRepr<'_>,
    ) {
        let now = out.now;
        // An IP link has no link-layer addresses: one an option names is
        // not learnt (RFC 4861 §4: the options are for links that have
        // them), and nothing resolves through the neighbor cache there.
        let ethernet = self.caps.medium == Medium::Ethernet;
        match ndisc {
            NdiscRepr::NeighborSolicit {
                target_addr,
                lladdr,
                nonce,
                ..
            } => {
                // RFC 4861 §7.1.1: from the unspecified address (DAD) there
                // must be no source link-layer option and the destination
                // is a solicited-node group; we answer to all-nodes.
                let dad = src.is_unspecified();
                if dad && (lladdr.is_some() || dst != solicited_node(&target_addr)) {
                    return self.drop(DropReason::Malformed);
                }
                let mut flags = NeighborFlags::OVERRIDE;
                if let Some(e) = self.v6.get(&target_addr).filter(|e| e.tentative()) {
                    if dad {
                        // RFC 7527 §4.2: our own solicitation looped back
                        // (its nonce is one we sent) is no conflict.
                        let own = e.dad.zip(nonce).is_some_and(|(d, n)| d.is_own(&n));
                        if own {
                            return self.drop(DropReason::BadSource);
                        }
                        // RFC 4862 §5.4.3: "If the source address of the
                        // Neighbor Solicitation is the unspecified address,
                        // the solicitation is from a node performing
                        // Address Detection": another node wants the
                        // address too, and it is not ours yet.
                        return self.dad_failed(&target_addr, None);
                    }
                    // §5.4.3: address resolution of a tentative address
                    // "MUST be silently discarded"; RFC 4429 §3.3: an
                    // optimistic one is answered, without the Override
                    // flag, so that it does not displace a true owner.
                    if !e.optimistic {
                        return self.drop(DropReason::NotForUs);
                    }
                    flags = NeighborFlags::empty();
                } else if !self.has_v6(&target_addr) {
                    return self.drop(DropReason::NotForUs);
                }
                if let (false, Some(mac), true) = (dad, lladdr, ethernet) {
                    // RFC 4861 §7.2.3: create or update the entry as STALE.
                    if self.nd.fill(src, mac, Fill::solicitation(), now) != Filled::Ignored {
                        self.schedule_flush(IpAddr::V6(src));
                    }
                }
                if !dad {
                    flags |= NeighborFlags::SOLICITED;
                }
                let reply_dst = if dad { ALL_NODES } else { src };
                let advert = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
                    flags,
                    target_addr,
                    lladdr: self.link_addr(),
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
                if let Some(e) = self.v6.get(&target_addr) {
                    // RFC 4862 §5.4.4: "If the target address is tentative,
                    // the tentative address is not unique" (an optimistic
                    // one too, RFC 4429 §3.3). For an address already in
                    // use no action is defined: nothing is learnt about
                    // ourselves.
                    if e.tentative() {
                        return self.dad_failed(&target_addr, lladdr);
                    }
                    return self.drop(DropReason::BadSource);
                }
                let solicited = flags.contains(NeighborFlags::SOLICITED);
                let Some(mac) = lladdr.filter(|_| ethernet) else {
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
            NdiscRepr::RouterAdvert { .. } => {
                // RFC 4861 §6.1.2: hop limit 255 (checked by the caller
                // for every ND message), ICMP length >= 16, code 0 and no
                // zero-length option (the wire parse), and "IP Source
                // Address is a link-local address": routers must be
                // identifiable by it even after renumbering.
                if !src.is_unicast_link_local() {
                    return self.drop(DropReason::BadSource);
                }
                self.router_advert(now, src, &ndisc, ethernet);
            }
            NdiscRepr::Redirect {
                target_addr,
                dest_addr,
                lladdr,
                ..
            } => {
                let lladdr = lladdr.filter(|_| ethernet);
                self.redirect(now, src, target_addr, dest_addr, lladdr)
            }
            _ => {}
        }
    }

    /// A valid Router Advertisement (RFC 4861 §6.3.4): the default router
    /// list, the link parameters, the prefix list and the router's
    /// link-layer address.
    fn router_advert(&mut self, now: Instant, src: Ipv6Addr, ra: &NdiscRepr<'_>, ethernet: bool) {
        let NdiscRepr::RouterAdvert {
            hop_limit,
            router_lifetime,
            reachable_time,
            retrans_time,
            lladdr,
            mtu,
            ..
        } = *ra
        else {
            return;
        };
        if let Some(change) = self.rdisc.router_advert(src, router_lifetime, now) {
            self.router_event(change);
        }
        // §6.3.4: "If the received Cur Hop Limit value is non-zero, the
        // host SHOULD set its CurHopLimit variable to the received value."
        self.rdisc.set_hop_limit(hop_limit);
        // §6.3.4 / §6.3.2: a new BaseReachableTime draws a new
        // ReachableTime in [0.5, 1.5) x base.
        if let Some(base) = self.rdisc.set_base_reachable_time(reachable_time, now) {
            let r = self.rand();
            self.nd.config_mut().reachable_time =
                NeighborConfig::randomized_reachable_time(base, r);
        }
        // §6.3.4: "If the received Retrans Timer value is non-zero, the
        // host SHOULD set its RetransTimer variable to the received value."
        if retrans_time != 0 {
            self.nd.config_mut().retrans_timer = Duration::from_millis(u64::from(retrans_time));
        }
        if let Some(mtu) = mtu {
            let link = self.caps.mtu;
            self.rdisc.set_mtu(mtu, link);
        }
        for pi in ra.prefix_info() {
            self.rdisc.prefix_info(&pi, now);
            // RFC 4862 §5.5.3: every option is also looked at for SLAAC,
            // with or without the L flag.
            self.slaac_prefix(&pi, now);
        }
        // RFC 8106 §5.3.1: DNS servers and search domains with lifetimes.
        let mut dns_changed = false;
        for rdnss in ra.rdnss() {
            dns_changed |= self.rdisc.rdnss(&rdnss, now).is_some();
        }
        for dnssl in ra.dnssl() {
            let (changed, err) = self.rdisc.dnssl(&dnssl, now);
            dns_changed |= changed.is_some();
            if err.is_some() {
                // The rest of the RA stands; the bad option is counted.
                self.drop(DropReason::Malformed);
            }
        }
        if dns_changed {
            self.router_event(RouterChange::Dns);
        }
        // §6.3.4: the Source Link-Layer Address is recorded for the router,
        // creating the entry (STALE) if necessary, STALE if it changed.
        if let (Some(mac), true) = (lladdr, ethernet) {
            if self.nd.fill(src, mac, Fill::solicitation(), now) != Filled::Ignored {
                self.schedule_flush(IpAddr::V6(src));
            }
        }
    }

    /// A Redirect (RFC 4861 §8.1 validity, §8.3 effect). The hop limit 255
    /// and the message checks (code, length, options, no multicast
    /// Destination) were done before; here the checks that need our state.
    fn redirect(
        &mut self,
        now: Instant,
        src: Ipv6Addr,
        target: Ipv6Addr,
        dest: Ipv6Addr,
        lladdr: Option<EthernetAddress>,
    ) {
        // §8.1: "The IP source address of the Redirect is a link-local
        // address": routers send them from one.
        if !src.is_unicast_link_local() {
            return self.drop(DropReason::BadSource);
        }
        // §8.1: "The IP source address of the Redirect is the same as the
        // current first-hop router for the specified ICMP Destination
        // Address": only the router we use for it may move it.
        let first_hop = self.next_hop(&IpAddr::V6(dest));
        if first_hop != Some(IpAddr::V6(src)) || first_hop == Some(IpAddr::V6(dest)) {
            return self.drop(DropReason::BadSource);
        }
        // §8.1: "The ICMP Target Address is either a link-local address
        // (when redirected to a router) or the same as the ICMP Destination
        // Address (when redirected to the on-link destination)."
        if !target.is_unicast_link_local() && target != dest {
            return self.drop(DropReason::Malformed);
        }
        // §8.3: the destination's next hop is the target from now on.
        self.redirects.redirect(dest, target, src, now);
        net_debug!("ndisc: redirect {} via {}", dest, target);
        // §8.3: a Target Link-Layer Address creates or updates the
        // target's entry (STALE if new or changed).
        if let Some(mac) = lladdr {
            if self.nd.fill(target, mac, Fill::solicitation(), now) != Filled::Ignored {
                self.schedule_flush(IpAddr::V6(target));
            }
        }
    }

    fn router_event(&mut self, change: RouterChange) {
        if let RouterChange::Removed(router) = change {
            // What a router redirected is its word: gone with it.
            self.redirects.forget_router(&router);
        }
        self.event(match change {
            RouterChange::Added(a) => Event::RouterAdded(a),
            RouterChange::Removed(a) => Event::RouterRemoved(a),
            RouterChange::Dns => Event::DnsChanged,
        });
    }

    /// Router discovery's timers: routers and prefixes whose lifetime ran
    /// out leave their list (RFC 4861 §6.3.5), and a due Router
    /// Solicitation goes out (§6.3.7).
    pub(super) fn router_timers(&mut self, out: &mut Out<'_, '_>) {
        let now = out.now;
        while let Some(change) = self.rdisc.poll(now) {
            self.router_event(change);
        }
        if let Some(base) = self.rdisc.reachable_time_redraw(now) {
            let r = self.rand();
            self.nd.config_mut().reachable_time =
                NeighborConfig::randomized_reachable_time(base, r);
        }
        if !self.rdisc.solicitation_due(now) {
            return;
        }
        // §6.3.7 / §4.1: from a link-local address with the Source
        // Link-Layer Address option; with none usable (tentative, RFC
        // 4862 §5.4), from :: and without it. RFC 4429 §3.2: from an
        // optimistic address, without the option either.
        let src = self.v6.link_local();
        let slla = src
            .filter(|e| !e.tentative())
            .and_then(|_| self.link_addr());
        let src = src.map_or(Ipv6Addr::UNSPECIFIED, |e| e.addr());
        let rs = Icmpv6Repr::Ndisc(NdiscRepr::RouterSolicit {
            lladdr: slla,
            options: &[],
        });
        let pkt = self.icmpv6_packet(src, ALL_ROUTERS, &rs, 255);
        let mac = EthernetAddress::from_ipv6_multicast(&ALL_ROUTERS);
        // A solicitation the device had no room for counts as sent: a
        // lost one is what the RFC's three tries are for, and retrying at
        // once would spin a caller that sleeps until `poll_at`.
        if !self.send_ip_to(out, mac, &pkt) {
            self.drop(DropReason::DeviceBusy);
        }
        self.rdisc.solicitation_sent(now);
    }
}
