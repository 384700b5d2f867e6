//! The neighbor cache: protocol address → Ethernet address, for ARP and NDP.
//!
//! One design serves both families: [`NeighborCache<Ipv4Addr, N>`] for ARP
//! (RFC 826) and [`NeighborCache<Ipv6Addr, N>`] for Neighbor Discovery
//! (RFC 4861). Entries follow the Neighbor Unreachability Detection states of
//! RFC 4861 §7.3.2 (INCOMPLETE, REACHABLE, STALE, DELAY, PROBE); like Linux, the
//! ARP cache uses the same states, so a stale ARP entry is re-validated by
//! unicast probes instead of living forever (RFC 826 leaves ageing open;
//! RFC 1122 §2.3.2.1 asks for a way to flush stale entries). Two states are
//! added beside the RFC's five: FAILED, which remembers a failed resolution for
//! a short while so that every new packet to a dead host does not start a new
//! burst of requests, and PERMANENT, for static entries (`arp -s`).
//!
//! The cache is sans-IO: it never sends anything. [`NeighborCache::lookup`]
//! and [`NeighborCache::poll`] tell the caller what to send (a broadcast or
//! multicast request, a unicast probe) and when resolution failed;
//! [`NeighborCache::fill`] records what the caller learned from a received
//! ARP packet or ND message. Time only moves when the caller passes `now`.
//!
//! Capacity is fixed (`N` entries, no heap). Unresolved (INCOMPLETE) entries
//! may take at most [`NeighborCache::MAX_UNRESOLVED`] (half the cache, as
//! Linux bounds what unresolved neighbors hold with `gc_thresh` and
//! `unres_qlen`): a new resolution beyond that replaces the oldest
//! INCOMPLETE entry, so a flood of packets from or to addresses that never
//! answer (spoofed SYNs, random frames) churns through its own half of the
//! cache and can neither evict the neighbors we are talking to nor leave no
//! room to record an answer. When a new entry is needed and the cache is
//! full, the least valuable entry is evicted: a FAILED one first, then (only
//! for our own lookups) the oldest INCOMPLETE one, then the least recently
//! used STALE one, and only then the least recently used of the recently
//! confirmed (REACHABLE, DELAY, PROBE). PERMANENT entries are never evicted.
//!
//! [`NeighborCache<Ipv4Addr, N>`]: NeighborCache
//! [`NeighborCache<Ipv6Addr, N>`]: NeighborCache

use core::fmt;

use crate::time::{Duration, Instant};
use crate::wire::EthernetAddress;

/// The timers and retry counts of address resolution and NUD.
///
/// The defaults are the protocol constants of RFC 4861 §10; Linux uses the
/// same values for its ARP table (`base_reachable_time` 30 s,
/// `retrans_time` 1 s, `delay_first_probe_time` 5 s, `mcast_solicit` 3,
/// `ucast_solicit` 3), so one default serves both families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NeighborConfig {
    /// How long a confirmation keeps an entry REACHABLE (RFC 4861 §6.3.2
    /// ReachableTime). RFC 4861 wants it randomised around BaseReachableTime:
    /// see [`NeighborConfig::randomized_reachable_time`]; an IPv6 interface
    /// updates it when a Router Advertisement carries a new value (§6.3.4).
    pub reachable_time: Duration,
    /// The interval between two requests or probes for one address
    /// (RFC 4861 §10 RETRANS_TIMER; RFC 1122 §2.3.2.1 recommends at most one
    /// ARP request per second per destination).
    pub retrans_timer: Duration,
    /// How long a STALE entry that was just used waits for an upper-layer
    /// confirmation before probing (RFC 4861 §10 DELAY_FIRST_PROBE_TIME).
    pub delay_first_probe_time: Duration,
    /// How many broadcast/multicast requests resolve an INCOMPLETE entry
    /// before resolution fails (RFC 4861 §10 MAX_MULTICAST_SOLICIT).
    pub max_multicast_solicit: u8,
    /// How many unicast probes re-validate an entry in PROBE before it is
    /// deleted (RFC 4861 §10 MAX_UNICAST_SOLICIT).
    pub max_unicast_solicit: u8,
    /// How long a failed resolution is remembered: during this time a lookup
    /// answers [`Lookup::Failed`] at once instead of sending new requests.
    /// Not an RFC constant (FreeBSD's `arpt_down` plays the same role).
    pub failed_hold_time: Duration,
}

impl NeighborConfig {
    /// RFC 4861 §10 REACHABLE_TIME: 30 s.
    pub const REACHABLE_TIME: Duration = Duration::from_secs(30);
    /// RFC 4861 §10 RETRANS_TIMER: 1 s.
    pub const RETRANS_TIMER: Duration = Duration::from_secs(1);
    /// RFC 4861 §10 DELAY_FIRST_PROBE_TIME: 5 s.
    pub const DELAY_FIRST_PROBE_TIME: Duration = Duration::from_secs(5);
    /// RFC 4861 §10 MAX_MULTICAST_SOLICIT: 3 transmissions.
    pub const MAX_MULTICAST_SOLICIT: u8 = 3;
    /// RFC 4861 §10 MAX_UNICAST_SOLICIT: 3 transmissions.
    pub const MAX_UNICAST_SOLICIT: u8 = 3;
    /// Default hold time of a FAILED entry: as long as one resolution takes
    /// (3 × 1 s), so a dead neighbor costs at most half the request rate a
    /// continuous resolution loop would.
    pub const FAILED_HOLD_TIME: Duration = Duration::from_secs(3);

    /// ReachableTime randomised as RFC 4861 §6.3.2 asks: uniformly in
    /// `[0.5, 1.5) × base` (MIN_RANDOM_FACTOR, MAX_RANDOM_FACTOR), from a
    /// caller-supplied random `u32` (the crate never draws randomness itself).
    pub fn randomized_reachable_time(base: Duration, random: u32) -> Duration {
        // factor / 2^32 = 0.5 + random / 2^32, in [0.5, 1.5).
        let factor = (1u128 << 31) + u128::from(random);
        let micros = (u128::from(base.total_micros()) * factor) >> 32;
        Duration::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }
}

impl Default for NeighborConfig {
    fn default() -> Self {
        NeighborConfig {
            reachable_time: Self::REACHABLE_TIME,
            retrans_timer: Self::RETRANS_TIMER,
            delay_first_probe_time: Self::DELAY_FIRST_PROBE_TIME,
            max_multicast_solicit: Self::MAX_MULTICAST_SOLICIT,
            max_unicast_solicit: Self::MAX_UNICAST_SOLICIT,
            failed_hold_time: Self::FAILED_HOLD_TIME,
        }
    }
}

/// The state of one cache entry (RFC 4861 §7.3.2, plus FAILED and PERMANENT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NeighborState {
    /// Resolution in progress: requests are being sent, no address yet.
    Incomplete,
    /// The neighbor was confirmed reachable less than `reachable_time` ago.
    Reachable,
    /// The address is known but not recently confirmed; nothing is done until
    /// a packet is sent to it.
    Stale,
    /// A packet was sent to a STALE entry; waiting `delay_first_probe_time`
    /// for an upper-layer confirmation before probing.
    Delay,
    /// Unicast probes are being sent to re-validate the address.
    Probe,
    /// Resolution failed; lookups fail at once until `failed_hold_time` ends.
    Failed,
    /// A static entry: never expires, never probed, never overwritten by
    /// received packets, never evicted.
    Permanent,
}

impl NeighborState {
    /// The name `ip neigh` prints for this state.
    pub const fn name(&self) -> &'static str {
        match self {
            NeighborState::Incomplete => "INCOMPLETE",
            NeighborState::Reachable => "REACHABLE",
            NeighborState::Stale => "STALE",
            NeighborState::Delay => "DELAY",
            NeighborState::Probe => "PROBE",
            NeighborState::Failed => "FAILED",
            NeighborState::Permanent => "PERMANENT",
        }
    }
}

impl fmt::Display for NeighborState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the caller does with an outgoing packet, answered by
/// [`NeighborCache::lookup`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Lookup {
    /// Send the packet to this address.
    Found(EthernetAddress),
    /// Send the packet to this address, and also send a unicast request
    /// (ARP request / Neighbor Solicitation) to it: the entry entered (or
    /// stayed in) PROBE and this probe is counted (RFC 4861 §7.3.3).
    Probe(EthernetAddress),
    /// Resolution is in flight: queue the packet; send no request now
    /// (retransmissions come from [`NeighborCache::poll`]).
    Pending,
    /// Queue the packet and send a broadcast ARP request / multicast Neighbor
    /// Solicitation now: an INCOMPLETE entry was created and this first
    /// request is counted (RFC 4861 §7.2.2).
    Request,
    /// Resolution failed recently (or no entry can be made): drop the packet
    /// and report the destination unreachable (ICMP host unreachable /
    /// ICMPv6 address unreachable, RFC 4861 §7.2.2).
    Failed,
}

/// How a received packet vouches for a neighbor's link-layer address, for
/// [`NeighborCache::fill`].
///
/// Three independent questions, so that both protocols' rules are expressed
/// by the same cache:
///
/// | event | `create` | `reachable` | `override_hw` | constructor |
/// |---|---|---|---|---|
/// | ARP packet whose target is us (RFC 826) | yes | unicast reply | yes | [`Fill::arp`]`(true, _)` |
/// | ARP packet not for us (RFC 826 merge) | no | unicast reply | yes | [`Fill::arp`]`(false, _)` |
/// | NS / RS / RA / Redirect with a source or target LLAO (RFC 4861 §7.2.3, §6.3.4, §8.3) | yes | no | yes | [`Fill::solicitation`] |
/// | NA with a TLLAO (RFC 4861 §7.2.5) | no | S flag | O flag | [`Fill::advertisement`] |
///
/// An NA without a TLLAO carries no address: when its S flag is set the
/// caller calls [`NeighborCache::confirm_reachable`] instead (RFC 4861 §7.2.5:
/// the entry becomes REACHABLE); otherwise it does nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Fill {
    /// Create an entry (STALE, or REACHABLE if `reachable`) when none exists.
    /// False means only an existing entry is updated (RFC 826's merge flag,
    /// RFC 4861 §7.2.5 "no entry: silently discard").
    pub create: bool,
    /// The packet proves forward-path reachability (an answer to our own
    /// request): the entry becomes REACHABLE. Otherwise a changed address
    /// makes it STALE and an unchanged one leaves its state alone.
    pub reachable: bool,
    /// The packet's address may replace a different cached one. Without it a
    /// different address is not recorded, and a REACHABLE entry becomes STALE
    /// (RFC 4861 §7.2.5, NA with O=0).
    pub override_hw: bool,
}

impl Fill {
    /// Any ARP packet from `sender`. `for_us`: its target protocol address is
    /// ours, so RFC 826 adds the sender when absent (otherwise the merge rule
    /// only updates an existing entry). `unicast_reply`: an ARP reply sent to
    /// our own MAC, which proves reachability; broadcast replies (gratuitous
    /// ARP) and requests do not (Linux `arp_process` makes the same call).
    pub const fn arp(for_us: bool, unicast_reply: bool) -> Fill {
        Fill {
            create: for_us,
            reachable: unicast_reply,
            override_hw: true,
        }
    }

    /// A Neighbor Solicitation with a Source LLAO from a unicast source
    /// (RFC 4861 §7.2.3), or a Router Solicitation / Router Advertisement
    /// with one (§6.2.6, §6.3.4), or a Redirect's Target LLAO (§8.3): create
    /// as STALE, or update and make STALE if the address changed.
    pub const fn solicitation() -> Fill {
        Fill {
            create: true,
            reachable: false,
            override_hw: true,
        }
    }

    /// A Neighbor Advertisement with a Target LLAO and its Solicited and
    /// Override flags (RFC 4861 §7.2.5). Never creates an entry.
    pub const fn advertisement(solicited: bool, override_flag: bool) -> Fill {
        Fill {
            create: false,
            reachable: solicited,
            override_hw: override_flag,
        }
    }
}

/// What [`NeighborCache::fill`] did.
///
/// After any result but `Ignored` the address is usable: the caller sends
/// the packets it queued for it (`Resolved` is the usual case; `Created` and
/// `Updated` can also have waiting packets if an earlier INCOMPLETE entry was
/// evicted or removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Filled {
    /// Nothing was recorded (no entry and `create` unset, a PERMANENT entry,
    /// a different address without `override_hw`, a multicast address, or
    /// no room).
    Ignored,
    /// A new entry was created.
    Created,
    /// An INCOMPLETE or FAILED entry got its address: send its queued packets.
    Resolved,
    /// A different address replaced the cached one.
    Updated,
    /// The address was already cached; only the state may have changed.
    Unchanged,
}

/// Something the caller must do, returned by [`NeighborCache::poll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NeighborAction<A> {
    /// Send a request for `addr` again: broadcast ARP / multicast NS when
    /// `unicast_hw` is `None` (INCOMPLETE), a unicast probe to `unicast_hw`
    /// otherwise (PROBE, RFC 4861 §7.3.3).
    Retransmit {
        /// The protocol address being resolved.
        addr: A,
        /// Where to send the probe, or `None` for a broadcast/multicast request.
        unicast_hw: Option<EthernetAddress>,
    },
    /// Resolution of `addr` failed after `max_multicast_solicit` requests:
    /// drop the packets queued for it and send ICMP host/address unreachable
    /// for them (RFC 4861 §7.2.2, RFC 1122 §2.3.2.2).
    Failed(A),
    /// The INCOMPLETE entry for `addr` was evicted to make room for another:
    /// drop its queued packets (without ICMP: it was not found unreachable).
    Evicted(A),
}

/// One entry as a user sees it (`arp -n`, `ip neigh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NeighborEntry<A> {
    /// The protocol address.
    pub addr: A,
    /// The link-layer address, `None` while INCOMPLETE or FAILED.
    pub hw: Option<EthernetAddress>,
    /// The state at the instant asked about.
    pub state: NeighborState,
}

/// One stored entry.
#[derive(Debug, Clone, Copy)]
struct Entry<A> {
    addr: A,
    /// Meaningless while INCOMPLETE or FAILED.
    hw: EthernetAddress,
    state: NeighborState,
    /// When the state's timer fires: next request (INCOMPLETE), end of
    /// reachability (REACHABLE), first probe (DELAY), next probe (PROBE), end
    /// of the hold (FAILED). Unused for STALE and PERMANENT.
    deadline: Instant,
    /// Requests or probes sent in the current INCOMPLETE or PROBE round.
    sent: u8,
    /// Last time a lookup used the entry (its creation for INCOMPLETE ones),
    /// for least-recently-used eviction.
    used: Instant,
}

impl<A: Copy> Entry<A> {
    fn view(&self, now: Instant) -> Option<NeighborEntry<A>> {
        let state = match self.state {
            // The timers with no action are applied lazily: report them as if
            // they had fired.
            NeighborState::Reachable if now >= self.deadline => NeighborState::Stale,
            NeighborState::Failed if now >= self.deadline => return None,
            s => s,
        };
        let hw = match state {
            NeighborState::Incomplete | NeighborState::Failed => None,
            _ => Some(self.hw),
        };
        Some(NeighborEntry {
            addr: self.addr,
            hw,
            state,
        })
    }
}

/// A fixed-capacity neighbor cache for one protocol family.
///
/// `A` is the protocol address (`Ipv4Addr` for ARP, `Ipv6Addr` for NDP); `N`
/// is the number of entries. See the [module documentation](self).
#[derive(Debug)]
pub struct NeighborCache<A, const N: usize> {
    entries: heapless::Vec<Entry<A>, N>,
    config: NeighborConfig,
    /// INCOMPLETE entries evicted since the last `poll`, reported by it. A
    /// few slots: under a flood more can be evicted between two polls; the
    /// oldest reports are then forgotten and their queued packets are left
    /// to the pending queue's own eviction and expiry.
    evicted: heapless::Deque<A, EVICTED_REPORTS>,
}

/// How many eviction reports a cache keeps between two polls.
const EVICTED_REPORTS: usize = 8;

impl<A: Copy + Eq, const N: usize> Default for NeighborCache<A, N> {
    fn default() -> Self {
        Self::new(NeighborConfig::default())
    }
}

impl<A: Copy + Eq, const N: usize> NeighborCache<A, N> {
    /// An empty cache with these timers.
    pub const fn new(config: NeighborConfig) -> Self {
        NeighborCache {
            entries: heapless::Vec::new(),
            config,
            evicted: heapless::Deque::new(),
        }
    }

    /// The most INCOMPLETE entries held at once: half the cache (at least
    /// one). The other half is always left to resolved entries and to
    /// answers that create entries.
    pub const MAX_UNRESOLVED: usize = if N / 2 > 1 { N / 2 } else { 1 };

    /// The timers in use.
    pub fn config(&self) -> &NeighborConfig {
        &self.config
    }

    /// The timers, to change them (e.g. ReachableTime and RetransTimer from a
    /// Router Advertisement, RFC 4861 §6.3.4). Running timers keep their
    /// deadlines; new values apply from the next transition.
    pub fn config_mut(&mut self) -> &mut NeighborConfig {
        &mut self.config
    }

    /// How many entries are stored (FAILED ones included until swept).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no entry is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The fixed number of entries, `N`.
    pub const fn capacity(&self) -> usize {
        N
    }

    fn find(&self, addr: &A) -> Option<usize> {
        self.entries.iter().position(|e| e.addr == *addr)
    }

    /// Applies the timers that need no action (REACHABLE → STALE, end of a
    /// FAILED hold) to entry `i`. Returns false if the entry was removed.
    fn settle(&mut self, i: usize, now: Instant) -> bool {
        let Some(e) = self.entries.get_mut(i) else {
            return false;
        };
        match e.state {
            // RFC 4861 §7.3.3: "When ReachableTime milliseconds have passed
            // since receipt of the last reachability confirmation for a
            // neighbor, the Neighbor Cache entry's state changes from
            // REACHABLE to STALE."
            NeighborState::Reachable if now >= e.deadline => {
                e.state = NeighborState::Stale;
                true
            }
            NeighborState::Failed if now >= e.deadline => {
                self.entries.swap_remove(i);
                false
            }
            _ => true,
        }
    }

    /// One step of the PROBE state (RFC 4861 §7.3.3): the hardware address to
    /// probe, counted, or `None` once `max_unicast_solicit` probes went
    /// unanswered (the caller then deletes the entry).
    fn probe_step(
        e: &mut Entry<A>,
        config: &NeighborConfig,
        now: Instant,
    ) -> Option<EthernetAddress> {
        if e.sent < config.max_unicast_solicit {
            e.sent = e.sent.saturating_add(1);
            e.deadline = now + config.retrans_timer;
            Some(e.hw)
        } else {
            None
        }
    }

    /// What to do with a packet for `addr`, sent at `now`.
    ///
    /// Creates an INCOMPLETE entry (answering [`Lookup::Request`]) when none
    /// exists, evicting another if the cache is full. Using a STALE entry
    /// starts the DELAY timer (RFC 4861 §7.3.3). Never sends more than one
    /// request per `retrans_timer` per address: retransmissions come only from
    /// [`poll`](Self::poll).
    pub fn lookup(&mut self, addr: &A, now: Instant) -> Lookup {
        if let Some(i) = self.find(addr) {
            if self.settle(i, now) {
                let config = self.config;
                let Some(e) = self.entries.get_mut(i) else {
                    return Lookup::Failed;
                };
                match e.state {
                    NeighborState::Reachable | NeighborState::Permanent => {
                        e.used = now;
                        return Lookup::Found(e.hw);
                    }
                    NeighborState::Stale => {
                        // RFC 4861 §7.3.3: "The first time a node sends a
                        // packet to a neighbor whose entry is STALE, the sender
                        // changes the state to DELAY and sets a timer to expire
                        // in DELAY_FIRST_PROBE_TIME seconds."
                        e.used = now;
                        e.state = NeighborState::Delay;
                        e.deadline = now + config.delay_first_probe_time;
                        return Lookup::Found(e.hw);
                    }
                    NeighborState::Delay | NeighborState::Probe => {
                        e.used = now;
                        if now < e.deadline {
                            return Lookup::Found(e.hw);
                        }
                        // The timer fired before poll saw it: do its work here.
                        if e.state == NeighborState::Delay {
                            // RFC 4861 §7.3.3: DELAY timer expiry → PROBE,
                            // send the first unicast probe.
                            e.state = NeighborState::Probe;
                            e.sent = 0;
                        }
                        if let Some(hw) = Self::probe_step(e, &config, now) {
                            return Lookup::Probe(hw);
                        }
                        // RFC 4861 §7.3.3: probes exhausted, "the entry
                        // SHOULD be deleted"; resolve again from scratch.
                        self.entries.swap_remove(i);
                    }
                    NeighborState::Incomplete => return Lookup::Pending,
                    NeighborState::Failed => return Lookup::Failed,
                }
            }
        }

        // RFC 4861 §7.2.2: create an INCOMPLETE entry and send the first
        // solicitation now; RFC 826 likewise broadcasts a request.
        if self.config.max_multicast_solicit == 0 {
            return Lookup::Failed;
        }
        // Unresolved entries keep to their share: past it, the oldest
        // INCOMPLETE entry makes way (a flood of unanswered addresses churns
        // through its own share instead of through resolved neighbors).
        let unresolved = self
            .entries
            .iter()
            .filter(|e| e.state == NeighborState::Incomplete)
            .count();
        let room = if unresolved >= Self::MAX_UNRESOLVED {
            self.evict(|s| (s == NeighborState::Incomplete).then_some(0))
        } else {
            self.make_room(true)
        };
        if !room {
            return Lookup::Failed;
        }
        let entry = Entry {
            addr: *addr,
            hw: EthernetAddress::UNSPECIFIED,
            state: NeighborState::Incomplete,
            deadline: now + self.config.retrans_timer,
            sent: 1,
            used: now,
        };
        match self.entries.push(entry) {
            Ok(()) => Lookup::Request,
            Err(_) => Lookup::Failed,
        }
    }

    /// Frees one slot if the cache is full. Victims, best first: a FAILED
    /// entry, (only when `evict_incomplete`) the oldest INCOMPLETE entry, the
    /// least recently used STALE entry, the least recently used REACHABLE,
    /// DELAY or PROBE entry. Returns false when no slot could be freed.
    ///
    /// Unresolved entries go before resolved ones (as Linux's forced garbage
    /// collection takes FAILED and unconfirmed entries first): a neighbor we
    /// talk to must outlive a flood of addresses that never answer.
    fn make_room(&mut self, evict_incomplete: bool) -> bool {
        if !self.entries.is_full() {
            return true;
        }
        self.evict(|s| match s {
            NeighborState::Failed => Some(0u8),
            NeighborState::Incomplete if evict_incomplete => Some(1),
            NeighborState::Stale => Some(2),
            NeighborState::Reachable | NeighborState::Delay | NeighborState::Probe => Some(3),
            NeighborState::Incomplete | NeighborState::Permanent => None,
        })
    }

    /// Removes the entry of lowest `rank` (the least recently used among
    /// equals; `None`: never), reporting an evicted INCOMPLETE entry to
    /// `poll`. Returns false when no entry may go.
    fn evict(&mut self, rank: impl Fn(NeighborState) -> Option<u8>) -> bool {
        let victim = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| rank(e.state).map(|r| (r, e.used, i)))
            .min();
        let Some((_, _, i)) = victim else {
            return false;
        };
        let gone = self.entries.swap_remove(i);
        if gone.state == NeighborState::Incomplete {
            if self.evicted.is_full() {
                self.evicted.pop_front();
            }
            let _ = self.evicted.push_back(gone.addr);
        }
        true
    }

    /// Records that `addr` is at `hw`, learned from a received packet as
    /// `how` describes (see [`Fill`] for which event maps to which rule).
    ///
    /// The rules, RFC 4861 §7.2.3 and §7.2.5 generalised (and RFC 826 with
    /// `override_hw` always set):
    /// - no entry: create one if `how.create` (REACHABLE if `how.reachable`,
    ///   else STALE), evicting a resolved entry if full but never an
    ///   INCOMPLETE one (so that a flood of spoofed packets cannot abort our
    ///   own resolutions); otherwise ignore;
    /// - INCOMPLETE or FAILED: record `hw`; REACHABLE if `how.reachable`, else
    ///   STALE ([`Filled::Resolved`]: send the queued packets);
    /// - PERMANENT: ignore;
    /// - a different cached address: without `how.override_hw`, keep it and
    ///   make a REACHABLE entry STALE; with it, record `hw` and become
    ///   REACHABLE if `how.reachable`, else STALE;
    /// - the same address: REACHABLE if `how.reachable`, else no change.
    ///
    /// A multicast or broadcast `hw` is never recorded (RFC 1812 §3.3.2: such
    /// an ARP reply must not be believed; RFC 4861 §7.2.5 likewise).
    pub fn fill(&mut self, addr: A, hw: EthernetAddress, how: Fill, now: Instant) -> Filled {
        if hw.is_multicast() {
            net_debug!("neighbor: ignoring multicast link-layer address {}", hw);
            return Filled::Ignored;
        }
        let config = self.config;
        let reachable_state = |e: &mut Entry<A>| {
            e.state = NeighborState::Reachable;
            e.deadline = now + config.reachable_time;
            e.sent = 0;
        };
        let found = match self.find(&addr) {
            Some(i) if self.settle(i, now) => Some(i),
            _ => None,
        };
        let Some(e) = found.and_then(|i| self.entries.get_mut(i)) else {
            if !how.create || !self.make_room(false) {
                return Filled::Ignored;
            }
            let mut e = Entry {
                addr,
                hw,
                state: NeighborState::Stale,
                deadline: now,
                sent: 0,
                used: now,
            };
            if how.reachable {
                reachable_state(&mut e);
            }
            return match self.entries.push(e) {
                Ok(()) => Filled::Created,
                Err(_) => Filled::Ignored,
            };
        };
        match e.state {
            NeighborState::Permanent => Filled::Ignored,
            NeighborState::Incomplete | NeighborState::Failed => {
                // RFC 4861 §7.2.5: an INCOMPLETE entry records the address
                // and becomes REACHABLE if solicited, STALE otherwise; the
                // O flag does not matter. RFC 826 merges into any entry.
                e.hw = hw;
                e.sent = 0;
                if how.reachable {
                    reachable_state(e);
                } else {
                    e.state = NeighborState::Stale;
                }
                Filled::Resolved
            }
            _ if e.hw != hw => {
                if !how.override_hw {
                    // RFC 4861 §7.2.5: O=0 and a different address: "If the
                    // state of the entry is REACHABLE, set it to STALE, but
                    // do not update the entry in any other way."
                    if e.state == NeighborState::Reachable {
                        e.state = NeighborState::Stale;
                    }
                    return Filled::Ignored;
                }
                e.hw = hw;
                e.sent = 0;
                if how.reachable {
                    reachable_state(e);
                } else {
                    // RFC 4861 §7.2.3 / §7.2.5: a changed address is STALE.
                    e.state = NeighborState::Stale;
                }
                Filled::Updated
            }
            _ => {
                // RFC 4861 §7.2.5: S=1 → REACHABLE; otherwise an unchanged
                // address leaves the state alone (§7.2.3 likewise).
                if how.reachable {
                    reachable_state(e);
                }
                Filled::Unchanged
            }
        }
    }

    /// An upper-layer reachability confirmation for `addr` (RFC 4861 §7.3.1:
    /// e.g. new TCP data acknowledged by the peer): a resolved entry becomes
    /// REACHABLE for another `reachable_time`. No effect on INCOMPLETE,
    /// FAILED or PERMANENT entries. Returns whether an entry was confirmed.
    pub fn confirm_reachable(&mut self, addr: &A, now: Instant) -> bool {
        let reachable_time = self.config.reachable_time;
        let Some(e) = self.entries.iter_mut().find(|e| e.addr == *addr) else {
            return false;
        };
        match e.state {
            NeighborState::Reachable
            | NeighborState::Stale
            | NeighborState::Delay
            | NeighborState::Probe => {
                e.state = NeighborState::Reachable;
                e.deadline = now + reachable_time;
                e.sent = 0;
                true
            }
            _ => false,
        }
    }

    /// Adds or replaces a static entry (`arp -s`): PERMANENT, never aged,
    /// never overwritten by received packets, never evicted. Evicts another
    /// entry if the cache is full; fails only when every entry is PERMANENT.
    pub fn insert_permanent(
        &mut self,
        addr: A,
        hw: EthernetAddress,
        now: Instant,
    ) -> Result<(), CacheFull> {
        let entry = Entry {
            addr,
            hw,
            state: NeighborState::Permanent,
            deadline: now,
            sent: 0,
            used: now,
        };
        if let Some(e) = self.entries.iter_mut().find(|e| e.addr == addr) {
            *e = entry;
            return Ok(());
        }
        if !self.make_room(true) {
            return Err(CacheFull);
        }
        self.entries.push(entry).map_err(|_| CacheFull)
    }

    /// Removes the entry for `addr`, whatever its state, returning what it
    /// was. If it was INCOMPLETE the caller drops the packets queued for it.
    pub fn remove(&mut self, addr: &A) -> Option<NeighborState> {
        let i = self.find(addr)?;
        Some(self.entries.swap_remove(i).state)
    }

    /// Removes every entry except the PERMANENT ones (as `ip neigh flush`
    /// does). The caller drops any packets still queued for resolution.
    pub fn flush(&mut self) {
        self.entries.retain(|e| e.state == NeighborState::Permanent);
        self.evicted.clear();
    }

    /// The entries as they stand at `now`, in no particular order.
    pub fn entries(&self, now: Instant) -> impl Iterator<Item = NeighborEntry<A>> + '_ {
        self.entries.iter().filter_map(move |e| e.view(now))
    }

    /// The entry for `addr` as it stands at `now`.
    pub fn get(&self, addr: &A, now: Instant) -> Option<NeighborEntry<A>> {
        self.entries
            .iter()
            .find(|e| e.addr == *addr)
            .and_then(|e| e.view(now))
    }

    /// Runs the timers due at `now` and returns the next thing the caller
    /// must do, or `None` when nothing is due. Call it until `None`.
    ///
    /// - INCOMPLETE: every `retrans_timer` another request
    ///   ([`NeighborAction::Retransmit`] with no `unicast_hw`); once
    ///   `max_multicast_solicit` went unanswered, FAILED
    ///   ([`NeighborAction::Failed`], RFC 4861 §7.2.2).
    /// - DELAY → PROBE after `delay_first_probe_time`, then a unicast probe
    ///   every `retrans_timer`; after `max_unicast_solicit` the entry is
    ///   deleted silently (RFC 4861 §7.3.3; no packet waits on it).
    /// - REACHABLE → STALE and the end of a FAILED hold happen silently.
    pub fn poll(&mut self, now: Instant) -> Option<NeighborAction<A>> {
        if let Some(addr) = self.evicted.pop_front() {
            return Some(NeighborAction::Evicted(addr));
        }
        let config = self.config;
        let mut i = 0;
        while let Some(e) = self.entries.get_mut(i) {
            if now < e.deadline {
                i += 1;
                continue;
            }
            match e.state {
                NeighborState::Stale | NeighborState::Permanent => {}
                NeighborState::Reachable => e.state = NeighborState::Stale,
                NeighborState::Failed => {
                    self.entries.swap_remove(i);
                    continue;
                }
                NeighborState::Incomplete => {
                    let addr = e.addr;
                    if e.sent < config.max_multicast_solicit {
                        // RFC 4861 §7.2.2: "retransmit the Neighbor Solicitation
                        // every RetransTimer milliseconds until a reachability
                        // confirmation is received ... or MAX_MULTICAST_SOLICIT
                        // solicitations have been sent".
                        e.sent = e.sent.saturating_add(1);
                        e.deadline = now + config.retrans_timer;
                        return Some(NeighborAction::Retransmit {
                            addr,
                            unicast_hw: None,
                        });
                    }
                    // RFC 4861 §7.2.2: "If no Neighbor Advertisement is
                    // received after MAX_MULTICAST_SOLICIT solicitations,
                    // address resolution has failed."
                    net_debug!("neighbor: resolution failed");
                    e.state = NeighborState::Failed;
                    e.sent = 0;
                    e.deadline = now + config.failed_hold_time;
                    return Some(NeighborAction::Failed(addr));
                }
                NeighborState::Delay | NeighborState::Probe => {
                    if e.state == NeighborState::Delay {
                        // RFC 4861 §7.3.3: DELAY timer expiry → PROBE.
                        e.state = NeighborState::Probe;
                        e.sent = 0;
                    }
                    let addr = e.addr;
                    if let Some(hw) = Self::probe_step(e, &config, now) {
                        return Some(NeighborAction::Retransmit {
                            addr,
                            unicast_hw: Some(hw),
                        });
                    }
                    // RFC 4861 §7.3.3: "If no response is received after
                    // waiting RetransTimer milliseconds after sending the
                    // MAX_UNICAST_SOLICIT solicitations, retransmissions cease
                    // and the entry SHOULD be deleted."
                    self.entries.swap_remove(i);
                    continue;
                }
            }
            i += 1;
        }
        None
    }

    /// The earliest instant at which [`poll`](Self::poll) has something to
    /// do, or `None` if nothing is scheduled; `now` if already overdue.
    ///
    /// Only timers that lead to an action count (INCOMPLETE, DELAY, PROBE,
    /// a pending eviction report): REACHABLE → STALE and the end of a FAILED
    /// hold are applied lazily by every call, so they never wake the caller.
    pub fn poll_at(&self, now: Instant) -> Option<Instant> {
        if !self.evicted.is_empty() {
            return Some(now);
        }
        self.entries
            .iter()
            .filter(|e| {
                matches!(
                    e.state,
                    NeighborState::Incomplete | NeighborState::Delay | NeighborState::Probe
                )
            })
            .map(|e| e.deadline.max(now))
            .min()
    }
}

/// A static entry could not be added: every entry is PERMANENT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CacheFull;

impl fmt::Display for CacheFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("neighbor cache full of permanent entries")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for CacheFull {}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::wire::{Ipv4Addr, Ipv6Addr};
    use std::string::ToString;

    const US: Duration = Duration::from_micros(1);
    const IP_A: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);
    const IP_B: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 2);
    const IP_C: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 3);
    const HW_A: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);
    const HW_B: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);
    const HW_C: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 3]);

    fn t(secs: u64) -> Instant {
        Instant::ZERO + Duration::from_secs(secs)
    }

    type Arp = NeighborCache<Ipv4Addr, 4>;

    fn state<const N: usize>(
        c: &NeighborCache<Ipv4Addr, N>,
        a: Ipv4Addr,
        now: Instant,
    ) -> Option<NeighborState> {
        c.get(&a, now).map(|e| e.state)
    }

    /// A cache holding IP_A → HW_A in REACHABLE since t=0.
    fn reachable_a() -> Arp {
        let mut c = Arp::default();
        assert_eq!(c.lookup(&IP_A, t(0)), Lookup::Request);
        assert_eq!(
            c.fill(IP_A, HW_A, Fill::arp(true, true), t(0)),
            Filled::Resolved
        );
        c
    }

    /// Resolves IP_A from t=0 and lets it fail at t=3 (FAILED until t=6).
    fn fail_a<const N: usize>(c: &mut NeighborCache<Ipv4Addr, N>) {
        assert_eq!(c.lookup(&IP_A, t(0)), Lookup::Request);
        for s in 1..=3 {
            while c.poll(t(s)).is_some() {}
        }
        assert_eq!(state(c, IP_A, t(3)), Some(NeighborState::Failed));
    }

    /// A cache holding IP_A → HW_A in DELAY since t=`at` (its deadline is
    /// at + 5 s).
    fn delay_a(at: u64) -> Arp {
        let mut c = Arp::default();
        c.fill(IP_A, HW_A, Fill::arp(true, false), t(0));
        assert_eq!(state(&c, IP_A, t(0)), Some(NeighborState::Stale));
        assert_eq!(c.lookup(&IP_A, t(at)), Lookup::Found(HW_A));
        assert_eq!(state(&c, IP_A, t(at)), Some(NeighborState::Delay));
        c
    }

    #[test]
    fn rfc4861_7_2_2_unknown_address_requests_once_then_pends() {
        let mut c = Arp::default();
        assert_eq!(c.lookup(&IP_A, t(0)), Lookup::Request);
        assert_eq!(state(&c, IP_A, t(0)), Some(NeighborState::Incomplete));
        assert_eq!(c.get(&IP_A, t(0)).unwrap().hw, None);
        // Rate limit: however many packets follow, no new request from lookup.
        for us in [0, 1, 999_999, 1_000_000, 5_000_000] {
            assert_eq!(
                c.lookup(&IP_A, t(0) + Duration::from_micros(us)),
                Lookup::Pending
            );
        }
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn rfc4861_7_2_2_retransmit_every_retrans_timer_then_fail() {
        let mut c = Arp::default();
        assert_eq!(c.lookup(&IP_A, t(0)), Lookup::Request);
        assert_eq!(c.poll_at(t(0)), Some(t(1)));
        // 1 µs before the retransmission: nothing.
        assert_eq!(c.poll(t(1) - US), None);
        let again = Some(NeighborAction::Retransmit {
            addr: IP_A,
            unicast_hw: None,
        });
        assert_eq!(c.poll(t(1)), again);
        assert_eq!(c.poll(t(1)), None, "one request per retrans_timer");
        assert_eq!(c.poll(t(2) - US), None);
        assert_eq!(c.poll(t(2)), again);
        assert_eq!(c.poll_at(t(2)), Some(t(3)));
        // Three requests went out (t=0, 1, 2): at t=3 resolution fails.
        assert_eq!(c.poll(t(3) - US), None);
        assert_eq!(c.lookup(&IP_A, t(3) - US), Lookup::Pending);
        assert_eq!(c.poll(t(3)), Some(NeighborAction::Failed(IP_A)));
        assert_eq!(c.poll(t(3)), None);
        assert_eq!(state(&c, IP_A, t(3)), Some(NeighborState::Failed));
        // FAILED holds for failed_hold_time (3 s), then a new resolution.
        assert_eq!(
            c.poll_at(t(3)),
            None,
            "a FAILED hold never wakes the caller"
        );
        assert_eq!(c.lookup(&IP_A, t(6) - US), Lookup::Failed);
        assert_eq!(c.lookup(&IP_A, t(6)), Lookup::Request);
        assert_eq!(state(&c, IP_A, t(6)), Some(NeighborState::Incomplete));
    }

    #[test]
    fn late_poll_does_not_burst_requests() {
        // Polled 10 s late: one retransmission, the next one retrans_timer
        // after it (RFC 1122 §2.3.2.1 rate limit), not three at once.
        let mut c = Arp::default();
        c.lookup(&IP_A, t(0));
        assert!(matches!(
            c.poll(t(10)),
            Some(NeighborAction::Retransmit { .. })
        ));
        assert_eq!(c.poll(t(10)), None);
        assert_eq!(c.poll_at(t(10)), Some(t(11)));
    }

    #[test]
    fn failed_hold_is_dropped_by_poll_and_from_listing() {
        let mut c = Arp::default();
        fail_a(&mut c);
        assert_eq!(c.len(), 1);
        assert_eq!(c.entries(t(6) - US).count(), 1);
        assert_eq!(c.entries(t(6)).count(), 0);
        assert_eq!(c.poll(t(6)), None);
        assert!(c.is_empty());
    }

    #[test]
    fn rfc4861_7_3_3_reachable_becomes_stale_after_reachable_time() {
        let mut c = reachable_a();
        let end = t(30);
        assert_eq!(state(&c, IP_A, end - US), Some(NeighborState::Reachable));
        assert_eq!(state(&c, IP_A, end), Some(NeighborState::Stale));
        assert_eq!(c.poll_at(t(0)), None, "REACHABLE -> STALE is lazy");
        // Used 1 µs before: still REACHABLE, no DELAY.
        assert_eq!(c.lookup(&IP_A, end - US), Lookup::Found(HW_A));
        assert_eq!(state(&c, IP_A, end - US), Some(NeighborState::Reachable));
        // Used at the deadline: STALE, then DELAY because a packet is sent.
        assert_eq!(c.lookup(&IP_A, end), Lookup::Found(HW_A));
        assert_eq!(state(&c, IP_A, end), Some(NeighborState::Delay));
        // poll also applies the silent transition.
        let mut c = reachable_a();
        assert_eq!(c.poll(end), None);
        assert_eq!(
            c.entries.first().map(|e| e.state),
            Some(NeighborState::Stale)
        );
    }

    #[test]
    fn rfc4861_7_3_3_stale_stays_stale_until_used() {
        let mut c = Arp::default();
        c.fill(IP_A, HW_A, Fill::solicitation(), t(0));
        assert_eq!(c.poll_at(t(0)), None);
        assert_eq!(c.poll(t(1_000_000)), None);
        assert_eq!(state(&c, IP_A, t(1_000_000)), Some(NeighborState::Stale));
    }

    #[test]
    fn rfc4861_7_3_3_delay_then_unicast_probes_then_delete() {
        let mut c = delay_a(10);
        // DELAY_FIRST_PROBE_TIME = 5 s after the first use at t=10.
        assert_eq!(c.poll_at(t(10)), Some(t(15)));
        assert_eq!(
            c.lookup(&IP_A, t(12)),
            Lookup::Found(HW_A),
            "DELAY keeps sending"
        );
        assert_eq!(c.poll(t(15) - US), None);
        let probe = Some(NeighborAction::Retransmit {
            addr: IP_A,
            unicast_hw: Some(HW_A),
        });
        assert_eq!(c.poll(t(15)), probe);
        assert_eq!(state(&c, IP_A, t(15)), Some(NeighborState::Probe));
        assert_eq!(
            c.lookup(&IP_A, t(15)),
            Lookup::Found(HW_A),
            "PROBE keeps sending"
        );
        assert_eq!(c.poll(t(16) - US), None);
        assert_eq!(c.poll(t(16)), probe);
        assert_eq!(c.poll(t(17) - US), None);
        assert_eq!(c.poll(t(17)), probe);
        // MAX_UNICAST_SOLICIT (3) probes unanswered: deleted RetransTimer later.
        assert_eq!(c.poll(t(18) - US), None);
        assert_eq!(state(&c, IP_A, t(18) - US), Some(NeighborState::Probe));
        assert_eq!(c.poll(t(18)), None, "deletion is silent");
        assert!(c.is_empty());
        assert_eq!(c.lookup(&IP_A, t(18)), Lookup::Request);
    }

    #[test]
    fn lookup_past_a_due_delay_sends_the_probe_itself() {
        let mut c = delay_a(0);
        assert_eq!(c.lookup(&IP_A, t(5) - US), Lookup::Found(HW_A));
        assert_eq!(c.lookup(&IP_A, t(5)), Lookup::Probe(HW_A));
        assert_eq!(c.lookup(&IP_A, t(5)), Lookup::Found(HW_A), "probe counted");
        assert_eq!(c.poll(t(5)), None, "poll does not repeat it");
        assert_eq!(c.lookup(&IP_A, t(6)), Lookup::Probe(HW_A));
        assert_eq!(c.lookup(&IP_A, t(7)), Lookup::Probe(HW_A));
        // Three probes sent; the next due one deletes and resolves anew.
        assert_eq!(c.lookup(&IP_A, t(8) - US), Lookup::Found(HW_A));
        assert_eq!(c.lookup(&IP_A, t(8)), Lookup::Request);
        assert_eq!(state(&c, IP_A, t(8)), Some(NeighborState::Incomplete));
    }

    #[test]
    fn rfc4861_7_3_1_upper_layer_confirmation_makes_reachable() {
        let mut c = delay_a(0);
        assert!(c.confirm_reachable(&IP_A, t(4)));
        assert_eq!(c.poll(t(5)), None, "no probe after confirmation");
        assert_eq!(state(&c, IP_A, t(34) - US), Some(NeighborState::Reachable));
        assert_eq!(state(&c, IP_A, t(34)), Some(NeighborState::Stale));
        // Not for INCOMPLETE (no address) nor unknown addresses.
        assert_eq!(c.lookup(&IP_B, t(4)), Lookup::Request);
        assert!(!c.confirm_reachable(&IP_B, t(4)));
        assert!(!c.confirm_reachable(&IP_C, t(4)));
        assert_eq!(state(&c, IP_B, t(4)), Some(NeighborState::Incomplete));
    }

    #[test]
    fn rfc4861_7_2_5_advert_rules() {
        let mut c = Arp::default();
        // No entry: discarded, whatever the flags.
        assert_eq!(
            c.fill(IP_A, HW_A, Fill::advertisement(true, true), t(0)),
            Filled::Ignored
        );
        assert!(c.is_empty());
        // INCOMPLETE + S=0: STALE (O is irrelevant).
        c.lookup(&IP_A, t(0));
        assert_eq!(
            c.fill(IP_A, HW_A, Fill::advertisement(false, false), t(0)),
            Filled::Resolved
        );
        assert_eq!(state(&c, IP_A, t(0)), Some(NeighborState::Stale));
        assert_eq!(c.poll_at(t(0)), None, "resolved: no more requests");
        // Same address, S=1: REACHABLE.
        assert_eq!(
            c.fill(IP_A, HW_A, Fill::advertisement(true, false), t(1)),
            Filled::Unchanged
        );
        assert_eq!(state(&c, IP_A, t(1)), Some(NeighborState::Reachable));
        // Different address, O=0: not recorded, REACHABLE → STALE.
        assert_eq!(
            c.fill(IP_A, HW_B, Fill::advertisement(true, false), t(2)),
            Filled::Ignored
        );
        let e = c.get(&IP_A, t(2)).unwrap();
        assert_eq!((e.hw, e.state), (Some(HW_A), NeighborState::Stale));
        // Different address, O=1, S=0: recorded, STALE.
        assert_eq!(
            c.fill(IP_A, HW_B, Fill::advertisement(false, true), t(3)),
            Filled::Updated
        );
        let e = c.get(&IP_A, t(3)).unwrap();
        assert_eq!((e.hw, e.state), (Some(HW_B), NeighborState::Stale));
        // Different address, O=1, S=1: recorded, REACHABLE.
        assert_eq!(
            c.fill(IP_A, HW_C, Fill::advertisement(true, true), t(4)),
            Filled::Updated
        );
        let e = c.get(&IP_A, t(4)).unwrap();
        assert_eq!((e.hw, e.state), (Some(HW_C), NeighborState::Reachable));
        // INCOMPLETE + S=1: REACHABLE.
        c.lookup(&IP_B, t(5));
        c.fill(IP_B, HW_B, Fill::advertisement(true, false), t(5));
        assert_eq!(state(&c, IP_B, t(5)), Some(NeighborState::Reachable));
    }

    #[test]
    fn rfc4861_7_2_3_solicitation_creates_stale_and_keeps_state_if_unchanged() {
        let mut c = reachable_a();
        // Same address: REACHABLE stays REACHABLE.
        assert_eq!(
            c.fill(IP_A, HW_A, Fill::solicitation(), t(1)),
            Filled::Unchanged
        );
        assert_eq!(state(&c, IP_A, t(1)), Some(NeighborState::Reachable));
        // Changed address: updated, STALE.
        assert_eq!(
            c.fill(IP_A, HW_B, Fill::solicitation(), t(2)),
            Filled::Updated
        );
        let e = c.get(&IP_A, t(2)).unwrap();
        assert_eq!((e.hw, e.state), (Some(HW_B), NeighborState::Stale));
        // No entry: created STALE.
        assert_eq!(
            c.fill(IP_B, HW_B, Fill::solicitation(), t(2)),
            Filled::Created
        );
        assert_eq!(state(&c, IP_B, t(2)), Some(NeighborState::Stale));
    }

    #[test]
    fn rfc826_merge_updates_any_entry_but_creates_only_when_for_us() {
        let mut c = Arp::default();
        // A request between two other hosts: not for us, no entry to merge.
        assert_eq!(
            c.fill(IP_A, HW_A, Fill::arp(false, false), t(0)),
            Filled::Ignored
        );
        assert!(c.is_empty());
        // A request for us: the sender is added (STALE: requests do not
        // prove that our packets reach it).
        assert_eq!(
            c.fill(IP_A, HW_A, Fill::arp(true, false), t(0)),
            Filled::Created
        );
        assert_eq!(state(&c, IP_A, t(0)), Some(NeighborState::Stale));
        // A packet not for us from a known sender: merged.
        assert_eq!(
            c.fill(IP_A, HW_B, Fill::arp(false, false), t(1)),
            Filled::Updated
        );
        assert_eq!(c.get(&IP_A, t(1)).unwrap().hw, Some(HW_B));
        // A unicast reply to us: REACHABLE.
        assert_eq!(
            c.fill(IP_A, HW_B, Fill::arp(true, true), t(2)),
            Filled::Unchanged
        );
        assert_eq!(state(&c, IP_A, t(2)), Some(NeighborState::Reachable));
        // A not-for-us packet resolves an INCOMPLETE entry too.
        c.lookup(&IP_B, t(3));
        assert_eq!(
            c.fill(IP_B, HW_B, Fill::arp(false, false), t(3)),
            Filled::Resolved
        );
        assert_eq!(c.lookup(&IP_B, t(3)), Lookup::Found(HW_B));
    }

    #[test]
    fn late_answer_revives_a_failed_entry() {
        let mut c = Arp::default();
        fail_a(&mut c);
        assert_eq!(c.lookup(&IP_A, t(4)), Lookup::Failed);
        // The host comes up and announces itself (gratuitous ARP).
        assert_eq!(
            c.fill(IP_A, HW_A, Fill::arp(false, false), t(4)),
            Filled::Resolved
        );
        // First use of a STALE entry → DELAY (Found).
        assert_eq!(c.lookup(&IP_A, t(4)), Lookup::Found(HW_A));
    }

    #[test]
    fn rfc1812_3_3_2_multicast_hardware_address_is_never_recorded() {
        let mut c = Arp::default();
        c.lookup(&IP_A, t(0));
        for hw in [
            EthernetAddress::BROADCAST,
            EthernetAddress([0x01, 0, 0x5e, 0, 0, 1]),
        ] {
            assert_eq!(
                c.fill(IP_A, hw, Fill::arp(true, true), t(0)),
                Filled::Ignored
            );
            assert_eq!(
                c.fill(IP_B, hw, Fill::solicitation(), t(0)),
                Filled::Ignored
            );
        }
        assert_eq!(state(&c, IP_A, t(0)), Some(NeighborState::Incomplete));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn full_cache_evicts_least_recently_used_resolved_entry() {
        let mut c: NeighborCache<Ipv4Addr, 2> = NeighborCache::default();
        c.fill(IP_A, HW_A, Fill::solicitation(), t(0));
        c.fill(IP_B, HW_B, Fill::solicitation(), t(1));
        // A is used after B: B is the least recently used.
        assert_eq!(c.lookup(&IP_A, t(2)), Lookup::Found(HW_A));
        assert_eq!(c.lookup(&IP_C, t(3)), Lookup::Request);
        assert_eq!(c.len(), 2);
        assert!(c.get(&IP_B, t(3)).is_none());
        assert!(c.get(&IP_A, t(3)).is_some());
        assert_eq!(
            c.poll(t(3)),
            None,
            "no eviction report for a resolved entry"
        );
    }

    #[test]
    fn full_cache_evicts_failed_entries_first() {
        let mut c: NeighborCache<Ipv4Addr, 2> = NeighborCache::default();
        fail_a(&mut c);
        c.fill(IP_B, HW_B, Fill::solicitation(), t(0));
        // A (FAILED) is more recent than B but goes first.
        assert_eq!(c.lookup(&IP_C, t(4)), Lookup::Request);
        assert!(c.get(&IP_A, t(4)).is_none());
        assert!(c.get(&IP_B, t(4)).is_some());
    }

    #[test]
    fn full_of_incomplete_evicts_the_oldest_and_reports_it() {
        const IP_D: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 4);
        const IP_E: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 5);
        let mut c: NeighborCache<Ipv4Addr, 4> = NeighborCache::default();
        c.insert_permanent(IP_C, HW_C, t(0)).unwrap();
        c.insert_permanent(IP_D, HW_C, t(0)).unwrap();
        assert_eq!(c.lookup(&IP_A, t(0)), Lookup::Request);
        assert_eq!(c.lookup(&IP_B, t(1)), Lookup::Request);
        assert_eq!(
            c.lookup(&IP_A, t(2)),
            Lookup::Pending,
            "pending use does not refresh age"
        );
        // A fill that would create an entry never evicts our resolutions.
        assert_eq!(
            c.fill(IP_E, HW_B, Fill::solicitation(), t(2)),
            Filled::Ignored
        );
        assert_eq!(
            c.poll_at(t(2)),
            Some(t(2)),
            "A's first retransmission is due"
        );
        // Our own lookup does: the oldest INCOMPLETE (A) goes.
        assert_eq!(c.lookup(&IP_E, t(2)), Lookup::Request);
        assert!(c.get(&IP_A, t(2)).is_none());
        assert_eq!(c.poll_at(t(2)), Some(t(2)));
        assert_eq!(c.poll(t(2)), Some(NeighborAction::Evicted(IP_A)));
        assert_eq!(c.poll_at(t(2)), Some(t(2)), "B's retransmission is due");
    }

    /// Issue 10 items 19 and 21: a flood of lookups for addresses that never
    /// answer (the SYN-ACKs to spoofed sources) must not evict a neighbor
    /// that answered, however long it lasts.
    #[test]
    fn a_flood_of_unresolved_lookups_never_evicts_a_confirmed_neighbor() {
        let mut c: NeighborCache<Ipv4Addr, 32> = NeighborCache::default();
        let client = Ipv4Addr::new(10, 0, 0, 1);
        assert_eq!(c.lookup(&client, t(0)), Lookup::Request);
        c.fill(client, HW_A, Fill::arp(true, true), t(0));
        // Other neighbors we talk to, resolved but idle for a while.
        for i in 0..8u8 {
            let a = Ipv4Addr::new(10, 0, 1, i);
            c.fill(a, HW_B, Fill::arp(true, false), t(0));
        }
        for i in 0..5_000u32 {
            let now = Instant::ZERO + Duration::from_micros(100 * u64::from(i));
            let spoofed = Ipv4Addr::from_bits(0x0a01_0000 | (i % 250 + 2_000));
            let r = c.lookup(&spoofed, now);
            assert!(matches!(r, Lookup::Request | Lookup::Pending), "{r:?}");
            while c.poll(now).is_some() {}
            assert!(
                c.entries(now)
                    .filter(|e| e.state == NeighborState::Incomplete)
                    .count()
                    <= NeighborCache::<Ipv4Addr, 32>::MAX_UNRESOLVED
            );
        }
        let now = Instant::ZERO + Duration::from_millis(500);
        assert_eq!(c.lookup(&client, now), Lookup::Found(HW_A));
        for i in 0..8u8 {
            let a = Ipv4Addr::new(10, 0, 1, i);
            assert!(c.get(&a, now).is_some(), "idle neighbor {a} kept");
        }
    }

    /// Issue 10 item 21: when a flood fills the cache with unresolved
    /// entries, the answer of a neighbor we asked (its own INCOMPLETE entry
    /// already replaced by the flood) must still be recorded.
    #[test]
    fn an_answer_is_recorded_while_the_cache_is_flooded_with_unresolved_entries() {
        let mut c: NeighborCache<Ipv4Addr, 32> = NeighborCache::default();
        for i in 0..100u32 {
            let spoofed = Ipv4Addr::from_bits(0x0a01_0000 | i);
            assert_eq!(c.lookup(&spoofed, t(0)), Lookup::Request);
        }
        let client = Ipv4Addr::new(10, 0, 0, 1);
        assert_eq!(
            c.fill(client, HW_A, Fill::arp(true, true), t(0)),
            Filled::Created
        );
        assert_eq!(c.lookup(&client, t(0)), Lookup::Found(HW_A));
    }

    #[test]
    fn permanent_entries_are_never_aged_overwritten_or_evicted() {
        let mut c: NeighborCache<Ipv4Addr, 1> = NeighborCache::default();
        assert_eq!(c.insert_permanent(IP_A, HW_A, t(0)), Ok(()));
        assert_eq!(
            c.fill(IP_A, HW_B, Fill::arp(true, true), t(0)),
            Filled::Ignored
        );
        assert!(!c.confirm_reachable(&IP_A, t(0)));
        assert_eq!(c.lookup(&IP_A, t(1_000_000)), Lookup::Found(HW_A));
        assert_eq!(c.poll(t(1_000_000)), None);
        // Full of PERMANENT: a new address cannot be resolved.
        assert_eq!(c.lookup(&IP_B, t(1)), Lookup::Failed);
        assert_eq!(c.insert_permanent(IP_B, HW_B, t(1)), Err(CacheFull));
        // Replacing the static entry itself works.
        assert_eq!(c.insert_permanent(IP_A, HW_C, t(1)), Ok(()));
        assert_eq!(c.lookup(&IP_A, t(1)), Lookup::Found(HW_C));
        // flush keeps it, remove does not.
        c.flush();
        assert_eq!(c.len(), 1);
        assert_eq!(c.remove(&IP_A), Some(NeighborState::Permanent));
        assert_eq!(c.remove(&IP_A), None);
        assert!(c.is_empty());
    }

    #[test]
    fn zero_capacity_never_panics() {
        let mut c: NeighborCache<Ipv4Addr, 0> = NeighborCache::default();
        assert_eq!(c.lookup(&IP_A, t(0)), Lookup::Failed);
        assert_eq!(
            c.fill(IP_A, HW_A, Fill::solicitation(), t(0)),
            Filled::Ignored
        );
        assert_eq!(c.insert_permanent(IP_A, HW_A, t(0)), Err(CacheFull));
        assert_eq!(c.poll(t(0)), None);
        assert_eq!(c.poll_at(t(0)), None);
    }

    #[test]
    fn zero_solicit_counts() {
        let mut c = Arp::new(NeighborConfig {
            max_multicast_solicit: 0,
            max_unicast_solicit: 0,
            ..NeighborConfig::default()
        });
        // No request may be sent: resolution fails at once.
        assert_eq!(c.lookup(&IP_A, t(0)), Lookup::Failed);
        assert!(c.is_empty());
        // No probe may be sent: DELAY expiry deletes the entry.
        c.fill(IP_B, HW_B, Fill::solicitation(), t(0));
        assert_eq!(c.lookup(&IP_B, t(0)), Lookup::Found(HW_B));
        assert_eq!(c.poll(t(5)), None);
        assert!(c.is_empty());
    }

    #[test]
    fn poll_loop_terminates_with_zero_timers() {
        // Zero intervals make every timer due at once; the retry counts still
        // bound how many actions one `now` yields.
        let mut c = Arp::new(NeighborConfig {
            retrans_timer: Duration::ZERO,
            delay_first_probe_time: Duration::ZERO,
            failed_hold_time: Duration::ZERO,
            ..NeighborConfig::default()
        });
        c.lookup(&IP_A, t(0));
        c.fill(IP_B, HW_B, Fill::solicitation(), t(0));
        c.lookup(&IP_B, t(0));
        let mut actions = 0;
        while c.poll(t(0)).is_some() {
            actions += 1;
            assert!(actions < 100, "poll must run dry");
        }
        // A: 2 retransmissions + Failed; B: 3 probes.
        assert_eq!(actions, 6);
        assert!(c.is_empty());
    }

    #[test]
    fn poll_at_is_never_in_the_past_and_is_the_earliest() {
        let mut c = Arp::default();
        assert_eq!(c.poll_at(t(0)), None);
        c.lookup(&IP_A, t(0)); // due at 1 s
        c.fill(IP_B, HW_B, Fill::solicitation(), t(0));
        c.lookup(&IP_B, t(0) + Duration::from_millis(500)); // DELAY, due at 5.5 s
        assert_eq!(c.poll_at(t(0)), Some(t(1)));
        assert_eq!(c.poll_at(t(7)), Some(t(7)));
        c.fill(IP_A, HW_A, Fill::arp(true, true), t(0));
        assert_eq!(c.poll_at(t(0)), Some(t(5) + Duration::from_millis(500)));
    }

    #[test]
    fn flush_and_listing() {
        let mut c = reachable_a();
        c.lookup(&IP_B, t(0));
        let mut v: heapless::Vec<NeighborEntry<Ipv4Addr>, 4> = c.entries(t(0)).collect();
        v.sort_by_key(|e| e.addr);
        assert_eq!(
            v.as_slice(),
            &[
                NeighborEntry {
                    addr: IP_A,
                    hw: Some(HW_A),
                    state: NeighborState::Reachable
                },
                NeighborEntry {
                    addr: IP_B,
                    hw: None,
                    state: NeighborState::Incomplete
                },
            ]
        );
        assert_eq!(NeighborState::Incomplete.to_string(), "INCOMPLETE");
        c.flush();
        assert!(c.is_empty());
        assert_eq!(c.poll_at(t(0)), None);
    }

    #[test]
    fn ipv6_instantiation_follows_the_same_states() {
        let a: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
        let mut c: NeighborCache<Ipv6Addr, 8> = NeighborCache::default();
        assert_eq!(c.lookup(&a, t(0)), Lookup::Request);
        assert_eq!(
            c.poll(t(1)),
            Some(NeighborAction::Retransmit {
                addr: a,
                unicast_hw: None
            })
        );
        assert_eq!(
            c.fill(a, HW_A, Fill::advertisement(true, true), t(1)),
            Filled::Resolved
        );
        assert_eq!(c.lookup(&a, t(1)), Lookup::Found(HW_A));
        assert_eq!(
            c.get(&a, t(31)).map(|e| e.state),
            Some(NeighborState::Stale)
        );
    }

    #[test]
    fn rfc4861_6_3_2_reachable_time_is_randomised_in_half_to_one_and_a_half() {
        let base = Duration::from_secs(30);
        let f = NeighborConfig::randomized_reachable_time;
        assert_eq!(f(base, 0), Duration::from_secs(15));
        assert_eq!(f(base, 1 << 31), Duration::from_secs(30));
        assert!(f(base, u32::MAX) < Duration::from_secs(45));
        assert!(f(base, u32::MAX) > Duration::from_secs(45) - Duration::from_millis(1));
        assert_eq!(f(Duration::MAX, u32::MAX), Duration::MAX);
    }

    #[test]
    fn config_changes_apply_to_new_timers() {
        let mut c = Arp::default();
        c.config_mut().reachable_time = Duration::from_secs(10);
        assert_eq!(c.config().reachable_time, Duration::from_secs(10));
        c.fill(IP_A, HW_A, Fill::arp(true, true), t(0));
        assert_eq!(state(&c, IP_A, t(10)), Some(NeighborState::Stale));
    }
}
