//! IPv6 stateless address autoconfiguration in the interface (RFC 4862):
//! addresses added (link-local at start, static, SLAAC from Router
//! Advertisements' prefixes, §5.5.3), Duplicate Address Detection's
//! solicitations sent (§5.4.2) and the conflicts the receive path finds
//! (§5.4.3, §5.4.4) acted on (§5.4.5), lifetimes run out (§5.5.4). The
//! table and its machines are `addr6/`; this file frames and reports.

use super::addr6::dad::{random_delay, Dad};
use super::addr6::iid::{self, InterfaceIdMode, IDGEN_RETRIES};
use super::addr6::lifetimes::Lifetimes;
use super::addr6::{AddrChange, AddressOrigin, Entry};
use super::event::Event;
use super::interface::{solicited_node, AddressError, Inner};
use super::out::Out;
use super::stats::DropReason;
use crate::phy::Medium;
use crate::time::Instant;
use crate::wire::icmpv6::Icmpv6Repr;
use crate::wire::ndp::{NdiscRepr, PrefixInfoFlags, PrefixInformation};
use crate::wire::{EthernetAddress, Ipv6Addr, Ipv6Cidr};

impl Inner {
    /// Adds an address: its solicited-node group joined first (RFC 4862
    /// §5.4.2: "before sending a Neighbor Solicitation, an interface MUST
    /// join the all-nodes multicast address and the solicited-node
    /// multicast address of the tentative address"), then tentative while
    /// DAD runs (§5.4), or usable at once with `dad_transmits` 0. RFC 4429
    /// §3.1: optimistic DAD only for autoconfigured addresses, never for a
    /// static one.
    pub(super) fn add_v6(
        &mut self,
        cidr: Ipv6Cidr,
        origin: AddressOrigin,
        lifetimes: Lifetimes,
        dad_counter: u8,
    ) -> Result<(), AddressError> {
        let a = cidr.address();
        if a.is_unspecified() || a.is_multicast() || a.is_loopback() {
            return Err(AddressError::Invalid);
        }
        if self.ipv6_off {
            return Err(AddressError::Ipv6Disabled);
        }
        if self.v6.get(&a).is_some() {
            return Ok(());
        }
        let now = self.now;
        // No DAD on an IP link, as Linux on a TUN (`medium.rs`).
        let transmits = match self.medium {
            Medium::Ethernet => self.config.dad_transmits,
            Medium::Ip => 0,
        };
        // RFC 4862 §5.4.2: "the node SHOULD delay joining the
        // solicited-node multicast address by a random delay between 0 and
        // MAX_RTR_SOLICITATION_DELAY", and the first solicitation as much;
        // the report must still go before the solicitation (the group is
        // joined "before sending a Neighbor Solicitation"), so of two
        // draws the sooner is the join's, the later the solicitation's:
        // both stay under the 1 s the RFC allows each. The RFC asks the
        // join's delay when the solicitation is the interface's first
        // message; every DAD gets it, as the solicitation waits anyway.
        let mut join_at = now;
        let dad = (transmits > 0).then(|| {
            let (j, s) = (random_delay(self.rand()), random_delay(self.rand()));
            join_at = now + j.min(s);
            let (n1, n2) = (self.rand(), self.rand());
            Dad::new(
                transmits,
                now + j.max(s),
                u64::from(n1) << 16 ^ u64::from(n2),
            )
        });
        let mut e = Entry::new(cidr, origin, dad, lifetimes);
        e.optimistic =
            dad.is_some() && self.config.optimistic_dad && origin != AddressOrigin::Static;
        e.dad_counter = dad_counter;
        self.v6.push(e).map_err(|_| AddressError::Full)?;
        // RFC 4861 §7.2.1 / RFC 3810 §6.1: the group is reported so that
        // snooping bridges forward solicitations for the address to us;
        // two addresses may share it.
        let r = self.rand();
        if self
            .mld
            .join_at(solicited_node(&a), now, join_at, r)
            .is_err()
        {
            self.v6.remove(&a);
            return Err(AddressError::Full);
        }
        // The delayed report and DAD's solicitations are new deadlines
        // (`quiet.rs`), whichever path added the address.
        self.timers_changed();
        self.event(Event::Ipv6AddressAdded(a));
        if dad.is_none() {
            self.event(Event::Ipv6AddressReady(a));
        }
        Ok(())
    }

    /// Removes an address and leaves its solicited-node group.
    pub(super) fn remove_v6(&mut self, addr: &Ipv6Addr) -> Option<Entry> {
        let e = self.v6.remove(addr)?;
        let (now, r) = (self.now, self.rand());
        self.mld.leave(solicited_node(addr), now, r);
        Some(e)
    }

    /// RFC 4862 §5.4.5: a tentative address found to be a duplicate is
    /// not assigned: removed and reported. An RFC 7217 identifier is tried
    /// again with the next DAD_Counter, up to IDGEN_RETRIES (RFC 7217 §6).
    pub(super) fn dad_failed(&mut self, addr: &Ipv6Addr, other: Option<EthernetAddress>) {
        let Some(e) = self.remove_v6(addr) else {
            return;
        };
        net_debug!("DAD: {} is a duplicate", addr);
        self.event(Event::Ipv6DuplicateAddress {
            address: *addr,
            other,
        });
        if self.duplicate_disables_ipv6(addr) {
            return self.disable_ipv6(*addr, other);
        }
        let InterfaceIdMode::StablePrivacy { secret } = self.config.interface_id else {
            return;
        };
        if e.origin != AddressOrigin::Slaac || e.dad_counter >= IDGEN_RETRIES {
            return;
        }
        let counter = e.dad_counter + 1;
        let prefix = e.cidr.network();
        let id = iid::stable_privacy(&prefix, &self.hw, counter, &secret);
        let Some(cidr) = Ipv6Cidr::new(iid::address(&prefix, &id), 64) else {
            return;
        };
        let _ = self.add_v6(cidr, AddressOrigin::Slaac, e.lifetimes, counter);
    }

    /// RFC 4862 §5.5.3: a Prefix Information option of a valid Router
    /// Advertisement, for SLAAC.
    pub(super) fn slaac_prefix(&mut self, pi: &PrefixInformation, now: Instant) {
        // a) "If the Autonomous flag is not set, silently ignore".
        if !self.config.slaac || !pi.flags.contains(PrefixInfoFlags::AUTONOMOUS) {
            return;
        }
        // b) "If the prefix is the link-local prefix, silently ignore".
        if pi.prefix.is_unicast_link_local() {
            return;
        }
        // c) "If the preferred lifetime is greater than the valid lifetime,
        // silently ignore".
        if pi.preferred_lifetime > pi.valid_lifetime {
            return self.drop(DropReason::Malformed);
        }
        let Some(prefix) = Ipv6Cidr::new(pi.prefix, pi.prefix_len).map(|c| c.network()) else {
            return self.drop(DropReason::Malformed);
        };
        // e) an address formed from the prefix already: its lifetimes.
        let mut known = false;
        for e in self.v6.iter_mut() {
            if e.origin == AddressOrigin::Slaac && e.cidr.network() == prefix {
                known = true;
                e.lifetimes
                    .refresh(now, pi.preferred_lifetime, pi.valid_lifetime);
                // Preferred again: a later deprecation is reported anew. A
                // refresh that deprecates (preferred lifetime 0) is left
                // for `addr6_timers` to report, as a lifetime running out.
                if !e.lifetimes.deprecated(now) {
                    e.deprecated_reported = false;
                }
            }
        }
        // d) a new prefix with a non-zero valid lifetime: an address, if
        // prefix length + interface identifier length is 128 (64-bit
        // identifiers, RFC 4291 §2.5.1); "otherwise ... ignore".
        if known || pi.valid_lifetime == 0 {
            return;
        }
        if pi.prefix_len != 64 {
            return self.drop(DropReason::Unsupported);
        }
        let id = match self.config.interface_id {
            InterfaceIdMode::Eui64 => iid::eui64(&self.hw),
            InterfaceIdMode::StablePrivacy { secret } => {
                iid::stable_privacy(&prefix, &self.hw, 0, &secret)
            }
        };
        let Some(cidr) = Ipv6Cidr::new(iid::address(&prefix, &id), 64) else {
            return;
        };
        let lifetimes = Lifetimes::new(now, pi.preferred_lifetime, pi.valid_lifetime);
        if self
            .add_v6(cidr, AddressOrigin::Slaac, lifetimes, 0)
            .is_err()
        {
            // §5.5.3 lets a host that cannot form the address go on.
            self.drop(DropReason::BufferFull);
        }
    }

    /// The address table's timers: DAD's solicitations (RFC 4862 §5.4.2),
    /// addresses passing DAD, deprecated (§5.5.4) or expired.
    pub(super) fn addr6_timers(&mut self, out: &mut Out<'_, '_>) {
        let now = out.now;
        let retrans = self.nd.config().retrans_timer;
        while let Some(change) = self.v6.poll(now, retrans) {
            match change {
                AddrChange::Solicit(target, nonce) => self.send_dad_solicit(out, target, nonce),
                AddrChange::Ready(a) => {
                    net_debug!("DAD: {} is unique", a);
                    self.event(Event::Ipv6AddressReady(a));
                }
                AddrChange::Deprecated(a) => self.event(Event::Ipv6AddressDeprecated(a)),
                AddrChange::Expired(e) => {
                    let a = e.addr();
                    let r = self.rand();
                    self.mld.leave(solicited_node(&a), now, r);
                    self.event(Event::Ipv6AddressExpired(a));
                }
            }
        }
    }

    /// RFC 4862 §5.4.2: DAD's Neighbor Solicitation: from the unspecified
    /// address (the address is not ours yet), to the target's
    /// solicited-node group, without a Source Link-Layer Address option
    /// (RFC 4861 §7.1.1 forbids it from ::), with a Nonce option (RFC 7527
    /// §4.1) so that a copy the link loops back is known for ours.
    fn send_dad_solicit(&mut self, out: &mut Out<'_, '_>, target: Ipv6Addr, nonce: [u8; 6]) {
        let dst = solicited_node(&target);
        let ns = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
            target_addr: target,
            lladdr: None,
            nonce: Some(nonce),
            options: &[],
        });
        let pkt = self.icmpv6_packet(Ipv6Addr::UNSPECIFIED, dst, &ns, 255);
        let mac = EthernetAddress::from_ipv6_multicast(&dst);
        // A solicitation the device had no room for counts as sent, as a
        // lost one would (DupAddrDetectTransmits > 1 is the remedy for a
        // lossy link, §5.1); retrying at once would spin a caller that
        // sleeps until `poll_at`.
        if !self.send_ip_to(out, mac, &pkt) {
            self.drop(DropReason::DeviceBusy);
        }
    }
}
