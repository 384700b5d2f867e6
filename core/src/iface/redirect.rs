//! The IPv6 destination cache's next hops from Redirect messages (RFC 4861
//! §8.3): for a destination, the better first hop a router pointed us to
//! (another router, or the destination itself when it is on-link). An
//! engine that knows no `Interface`: `ndisc.rs` validates a Redirect
//! (§8.1) and records it here; `Inner::next_hop` asks here first for an
//! off-link destination.
//!
//! Fixed size, no heap. RFC 4861 gives a redirected next hop no lifetime;
//! it holds [`REDIRECT_AGE`] (as Linux's redirect routes expire), so a
//! stale one cannot pin a destination to a router forever, and goes at
//! once when the router that sent it leaves the default router list.

use super::table::push_evicting;
use crate::time::{Duration, Instant};
use crate::wire::Ipv6Addr;

/// Redirected destinations remembered; past it the oldest makes way.
pub const REDIRECT_CACHE_SIZE: usize = 8;

/// How long a redirected next hop holds (10 minutes, as a path MTU).
pub const REDIRECT_AGE: Duration = Duration::from_secs(600);

/// One destination's redirected next hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Redirected {
    /// The destination (the Redirect's Destination Address).
    pub dst: Ipv6Addr,
    /// Its first hop from now on (the Target Address): a router's
    /// link-local address, or `dst` itself when it is on-link.
    pub next_hop: Ipv6Addr,
    /// The router that sent the Redirect.
    pub router: Ipv6Addr,
    /// When it was recorded.
    pub since: Instant,
}

impl Redirected {
    fn live(&self, now: Instant) -> bool {
        now < self.since + REDIRECT_AGE
    }
}

/// The redirected next hops of the destination cache: `N` entries.
#[derive(Debug, Clone, Default)]
pub struct RedirectCache<const N: usize> {
    entries: heapless::Vec<Redirected, N>,
}

impl<const N: usize> RedirectCache<N> {
    /// Empty.
    pub const fn new() -> Self {
        RedirectCache {
            entries: heapless::Vec::new(),
        }
    }

    /// The redirected first hop for `dst` at `now`, if any.
    pub fn next_hop(&self, dst: &Ipv6Addr, now: Instant) -> Option<Ipv6Addr> {
        self.entries
            .iter()
            .find(|e| e.dst == *dst && e.live(now))
            .map(|e| e.next_hop)
    }

    /// Records a validated Redirect from `router` (RFC 4861 §8.3: "the
    /// host updates its Destination Cache"): `dst` goes through
    /// `next_hop` from now on, replacing what was known for it.
    pub fn redirect(&mut self, dst: Ipv6Addr, next_hop: Ipv6Addr, router: Ipv6Addr, now: Instant) {
        let entry = Redirected {
            dst,
            next_hop,
            router,
            since: now,
        };
        if let Some(e) = self.entries.iter_mut().find(|e| e.dst == dst) {
            *e = entry;
            return;
        }
        push_evicting(&mut self.entries, entry, |e| e.since);
    }

    /// `router` left the default router list: what it redirected goes too.
    pub fn forget_router(&mut self, router: &Ipv6Addr) {
        self.entries.retain(|e| e.router != *router);
    }

    /// The live entries at `now`.
    pub fn entries(&self, now: Instant) -> impl Iterator<Item = &Redirected> + '_ {
        self.entries.iter().filter(move |e| e.live(now))
    }
}

#[cfg(test)]
mod tests;
