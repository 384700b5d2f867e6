//! Router discovery as a host (RFC 4861 §6.3): the Router Solicitation
//! schedule, the Default Router List and the Prefix List, with their
//! lifetimes. An engine that knows no `Interface`: `ndisc.rs` validates a
//! Router Advertisement, feeds it here and applies the link parameters;
//! `dispatch.rs` runs [`RouterDiscovery::poll`] and sends the solicitations
//! `ndisc.rs` frames.
//!
//! Both tables are fixed-size (no heap): a router or prefix that finds no
//! room is ignored, as RFC 4861 §6.3.4 allows ("a host MAY ... ignore").

mod dns;

pub use self::dns::{DnsConfig, DnsServer, SearchDomain, MAX_DNS_SERVERS, MAX_SEARCH_DOMAINS};
use crate::time::{Duration, Instant};
use crate::wire::ndp::{Dnssl, PrefixInfoFlags, PrefixInformation, Rdnss};
use crate::wire::{Ipv6Addr, Ipv6Cidr};

/// Default routers an interface remembers (RFC 4861 §6.3.4; Linux keeps
/// no fixed number, a host rarely sees more than two).
pub const MAX_DEFAULT_ROUTERS: usize = 4;
/// On-link prefixes an interface remembers (RFC 4861 §6.3.4).
pub const MAX_PREFIXES: usize = 8;

/// RFC 4861 §10 MAX_RTR_SOLICITATION_DELAY: 1 s.
pub const MAX_RTR_SOLICITATION_DELAY: Duration = Duration::from_secs(1);
/// RFC 4861 §10 RTR_SOLICITATION_INTERVAL: 4 s.
pub const RTR_SOLICITATION_INTERVAL: Duration = Duration::from_secs(4);
/// RFC 4861 §10 MAX_RTR_SOLICITATIONS: 3 transmissions.
pub const MAX_RTR_SOLICITATIONS: u8 = 3;

/// How often ReachableTime is drawn again from an unchanged
/// BaseReachableTime: RFC 4861 §6.3.4 asks for "at least every few hours"
/// so that hosts that drew alike do not stay in step.
pub const REACHABLE_TIME_REDRAW: Duration = Duration::from_secs(2 * 3600);

/// The smallest link MTU IPv6 allows (RFC 8200 §5); an RA's MTU option
/// below it is ignored (RFC 4861 §6.3.4).
pub const IPV6_MIN_MTU: usize = 1280;

/// One entry of the Default Router List (RFC 4861 §5.1, §6.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DefaultRouter {
    /// The router's link-local address (the RA's source).
    pub addr: Ipv6Addr,
    /// When its Router Lifetime runs out.
    pub expires_at: Instant,
}

/// One entry of the Prefix List (RFC 4861 §5.1, §6.3.4): a prefix on-link
/// by a Prefix Information option with the L flag.
///
/// SLAAC (RFC 4862 §5.5, a later slice of issue 12) reads the A flag and the
/// preferred lifetime kept here to form addresses; router discovery itself
/// uses only the prefix and its valid lifetime (on-link determination).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct OnLinkPrefix {
    /// The prefix (host bits zeroed).
    pub prefix: Ipv6Cidr,
    /// L and A flags as last advertised.
    pub flags: PrefixInfoFlags,
    /// End of the valid lifetime; `None`: infinity (0xffffffff).
    pub valid_until: Option<Instant>,
    /// End of the preferred lifetime; `None`: infinity.
    pub preferred_until: Option<Instant>,
}

/// A router entering or leaving the Default Router List.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RouterChange {
    /// A new default router.
    Added(Ipv6Addr),
    /// A default router left: lifetime 0 advertised, or its lifetime ran out.
    Removed(Ipv6Addr),
    /// The DNS servers or search domains changed (RFC 8106 §5.3.1): one
    /// came, or went by lifetime 0 or expiry.
    Dns,
}

/// The host side of router discovery for one interface, with `R` default
/// routers and `P` prefixes at most.
#[derive(Debug, Clone)]
pub struct RouterDiscovery<const R: usize, const P: usize> {
    routers: heapless::Vec<DefaultRouter, R>,
    prefixes: heapless::Vec<OnLinkPrefix, P>,
    /// When the next Router Solicitation is due; `None`: none will be sent.
    solicit_at: Option<Instant>,
    solicitations_sent: u8,
    /// BaseReachableTime last advertised (RFC 4861 §6.3.2).
    base_reachable_time: Option<Duration>,
    /// When ReachableTime is next drawn again from the same base.
    redraw_at: Option<Instant>,
    /// LinkMTU from the MTU option (RFC 4861 §6.3.4), already bounded.
    mtu: Option<usize>,
    /// CurHopLimit advertised (RFC 4861 §6.3.4), non-zero.
    hop_limit: Option<u8>,
    /// RDNSS servers and DNSSL domains (RFC 8106).
    dns: DnsConfig,
}

impl<const R: usize, const P: usize> Default for RouterDiscovery<R, P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const R: usize, const P: usize> RouterDiscovery<R, P> {
    /// No routers, no prefixes, no solicitation planned.
    pub const fn new() -> Self {
        RouterDiscovery {
            routers: heapless::Vec::new(),
            prefixes: heapless::Vec::new(),
            solicit_at: None,
            solicitations_sent: 0,
            base_reachable_time: None,
            redraw_at: None,
            mtu: None,
            hop_limit: None,
            dns: DnsConfig::new(),
        }
    }

    /// The interface came up: RFC 4861 §6.3.7, the first solicitation after
    /// a random delay in [0, MAX_RTR_SOLICITATION_DELAY), so that hosts
    /// started together do not all solicit at once. `random`: 32 bits from
    /// the interface's generator.
    pub fn start(&mut self, now: Instant, random: u32) {
        let max = MAX_RTR_SOLICITATION_DELAY.total_micros();
        let delay = (u128::from(max) * u128::from(random)) >> 32;
        self.solicit_at = Some(now + Duration::from_micros(delay as u64));
        self.solicitations_sent = 0;
    }

    /// True when a Router Solicitation is due at `now`.
    pub fn solicitation_due(&self, now: Instant) -> bool {
        self.solicit_at.is_some_and(|t| t <= now)
    }

    /// A solicitation left: the next one RTR_SOLICITATION_INTERVAL later,
    /// up to MAX_RTR_SOLICITATIONS (RFC 4861 §6.3.7).
    pub fn solicitation_sent(&mut self, now: Instant) {
        self.solicitations_sent = self.solicitations_sent.saturating_add(1);
        self.solicit_at = (self.solicitations_sent < MAX_RTR_SOLICITATIONS)
            .then(|| now + RTR_SOLICITATION_INTERVAL);
    }

    /// How many solicitations went out since [`start`](Self::start).
    pub fn solicitations_sent(&self) -> u8 {
        self.solicitations_sent
    }

    /// Adds, refreshes or removes the router `src` of a valid RA by its
    /// Router Lifetime in seconds (RFC 4861 §6.3.4). An RA with a non-zero
    /// lifetime also ends the solicitations (§6.3.7: "the host MUST desist
    /// from sending additional solicitations").
    pub fn router_advert(
        &mut self,
        src: Ipv6Addr,
        lifetime_secs: u16,
        now: Instant,
    ) -> Option<RouterChange> {
        let at = self.routers.iter().position(|r| r.addr == src);
        if lifetime_secs == 0 {
            // §6.3.4: "If the address is already present in the host's
            // Default Router List and the received Router Lifetime value is
            // zero, immediately time-out the entry."
            let i = at?;
            self.routers.swap_remove(i);
            return Some(RouterChange::Removed(src));
        }
        self.solicit_at = None;
        let expires_at = now + Duration::from_secs(u64::from(lifetime_secs));
        match at.and_then(|i| self.routers.get_mut(i)) {
            Some(r) => {
                r.expires_at = expires_at;
                None
            }
            None => {
                let r = DefaultRouter {
                    addr: src,
                    expires_at,
                };
                // A full list ignores the newcomer (§6.3.4 leaves room
                // limits to the host): the known routers keep working.
                self.routers.push(r).ok()?;
                Some(RouterChange::Added(src))
            }
        }
    }

    /// A Prefix Information option of a valid RA (RFC 4861 §6.3.4): with the
    /// L flag, the prefix enters, is refreshed in, or (valid lifetime 0)
    /// leaves the Prefix List. Without L, a link-local prefix, or a prefix
    /// length over 128: ignored for on-link determination.
    pub fn prefix_info(&mut self, pi: &PrefixInformation, now: Instant) {
        if !pi.flags.contains(PrefixInfoFlags::ON_LINK) {
            return;
        }
        let Some(prefix) = Ipv6Cidr::new(pi.prefix, pi.prefix_len).map(|c| c.network()) else {
            return;
        };
        // §6.3.4: "If the prefix is the link-local prefix, silently ignore
        // the Prefix Information option."
        if pi.prefix.is_unicast_link_local() {
            return;
        }
        let at = self.prefixes.iter().position(|p| p.prefix == prefix);
        if pi.valid_lifetime == 0 {
            // §6.3.4: "If the prefix is already present ... and the received
            // Valid Lifetime is zero, immediately time-out the entry."
            if let Some(i) = at {
                self.prefixes.swap_remove(i);
            }
            return;
        }
        let until =
            |secs: u32| (secs != u32::MAX).then(|| now + Duration::from_secs(u64::from(secs)));
        let entry = OnLinkPrefix {
            prefix,
            flags: pi.flags,
            valid_until: until(pi.valid_lifetime),
            preferred_until: until(pi.preferred_lifetime.min(pi.valid_lifetime)),
        };
        match at.and_then(|i| self.prefixes.get_mut(i)) {
            Some(p) => *p = entry,
            None => {
                let _ = self.prefixes.push(entry);
            }
        }
    }

    /// Expires one router or prefix whose lifetime ran out at `now`; a
    /// router leaving is reported (call until `None`).
    pub fn poll(&mut self, now: Instant) -> Option<RouterChange> {
        // Asked every poll: look before rewriting the list.
        let live = |p: &OnLinkPrefix| p.valid_until.is_none_or(|t| now < t);
        if !self.prefixes.iter().all(live) {
            self.prefixes.retain(live);
        }
        // RFC 8106 §5.3.1: a server or domain whose lifetime ran out goes.
        if self.dns.expire(now) {
            return Some(RouterChange::Dns);
        }
        let i = self.routers.iter().position(|r| r.expires_at <= now)?;
        let r = self.routers.swap_remove(i);
        Some(RouterChange::Removed(r.addr))
    }

    /// The next instant [`poll`](Self::poll) or a solicitation has work.
    pub fn poll_at(&self) -> Option<Instant> {
        let routers = self.routers.iter().map(|r| r.expires_at);
        let prefixes = self.prefixes.iter().filter_map(|p| p.valid_until);
        routers
            .chain(prefixes)
            .chain(self.solicit_at)
            .chain(self.redraw_at)
            .chain(self.dns.poll_at())
            .min()
    }

    /// The default routers, in the order they were learnt (expired ones
    /// the next `poll` removes excluded).
    pub fn routers(&self, now: Instant) -> impl Iterator<Item = &DefaultRouter> + '_ {
        self.routers.iter().filter(move |r| now < r.expires_at)
    }

    /// The on-link prefixes (SLAAC reads the A flag and lifetimes here).
    pub fn prefixes(&self, now: Instant) -> impl Iterator<Item = &OnLinkPrefix> + '_ {
        self.prefixes
            .iter()
            .filter(move |p| p.valid_until.is_none_or(|t| now < t))
    }

    /// An RDNSS option of a valid RA (RFC 8106 §5.3.1): its servers are
    /// added, refreshed, or (lifetime 0) removed. `Some(Dns)` when the
    /// list changed.
    pub fn rdnss(&mut self, option: &Rdnss<'_>, now: Instant) -> Option<RouterChange> {
        self.dns.rdnss(option, now).then_some(RouterChange::Dns)
    }

    /// A DNSSL option of a valid RA (RFC 8106 §5.3.1), as
    /// [`rdnss`](Self::rdnss); a malformed name (RFC 8106 §5.2) is the
    /// error, the names before it applied.
    pub fn dnssl(
        &mut self,
        option: &Dnssl<'_>,
        now: Instant,
    ) -> (Option<RouterChange>, Option<crate::wire::Error>) {
        let (changed, err) = self.dns.dnssl(option, now);
        (changed.then_some(RouterChange::Dns), err)
    }

    /// The recursive DNS servers of RDNSS options (RFC 8106 §5.1) valid at
    /// `now`, in the order learnt (at most [`MAX_DNS_SERVERS`]).
    pub fn dns_servers(&self, now: Instant) -> impl Iterator<Item = &DnsServer> + '_ {
        self.dns.servers(now)
    }

    /// The search domains of DNSSL options (RFC 8106 §5.2) valid at `now`,
    /// in the order learnt (at most [`MAX_SEARCH_DOMAINS`]).
    pub fn search_domains(&self, now: Instant) -> impl Iterator<Item = &SearchDomain> + '_ {
        self.dns.domains(now)
    }

    /// True when a prefix of the list puts `addr` on-link (RFC 4861 §5.2).
    pub fn on_link(&self, addr: &Ipv6Addr, now: Instant) -> bool {
        self.prefixes(now).any(|p| p.prefix.contains_addr(addr))
    }

    /// Records an RA's Reachable Time (ms, non-zero): returns true when it
    /// differs from the BaseReachableTime known, so the caller draws a new
    /// ReachableTime (RFC 4861 §6.3.4: "If the received Reachable Time
    /// value is non-zero, the host SHOULD set its BaseReachableTime ... to
    /// the new value ... If the new value differs from the previous value,
    /// the host SHOULD re-compute a new random ReachableTime value").
    pub fn set_base_reachable_time(&mut self, ms: u32, now: Instant) -> Option<Duration> {
        if ms == 0 {
            return None;
        }
        let base = Duration::from_millis(u64::from(ms));
        if self.base_reachable_time == Some(base) {
            return None;
        }
        self.base_reachable_time = Some(base);
        self.redraw_at = Some(now + REACHABLE_TIME_REDRAW);
        Some(base)
    }

    /// The BaseReachableTime to draw a new ReachableTime from when
    /// [`REACHABLE_TIME_REDRAW`] has passed since the last draw (§6.3.4).
    pub fn reachable_time_redraw(&mut self, now: Instant) -> Option<Duration> {
        if self.redraw_at.is_none_or(|t| now < t) {
            return None;
        }
        self.redraw_at = Some(now + REACHABLE_TIME_REDRAW);
        self.base_reachable_time
    }

    /// Records an RA's MTU option if RFC 4861 §6.3.4 lets it in: at least
    /// the IPv6 minimum, at most the link's own MTU.
    pub fn set_mtu(&mut self, mtu: u32, link_mtu: usize) -> bool {
        let Ok(mtu) = usize::try_from(mtu) else {
            return false;
        };
        if !(IPV6_MIN_MTU..=link_mtu).contains(&mtu) {
            return false;
        }
        self.mtu = Some(mtu);
        true
    }

    /// The IPv6 MTU for a link whose device MTU is `link_mtu`.
    pub fn mtu(&self, link_mtu: usize) -> usize {
        self.mtu.map_or(link_mtu, |m| m.min(link_mtu))
    }

    /// Records an RA's Cur Hop Limit (0: unspecified, left alone).
    pub fn set_hop_limit(&mut self, hop_limit: u8) {
        if hop_limit != 0 {
            self.hop_limit = Some(hop_limit);
        }
    }

    /// The hop limit for new IPv6 packets: the advertised one, else `default`.
    pub fn hop_limit(&self, default: u8) -> u8 {
        self.hop_limit.unwrap_or(default)
    }
}

#[cfg(test)]
mod tests;
