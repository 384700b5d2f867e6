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
//! An address the cache has confirmed (an answer to its own request or
//! probe, or an upper-layer confirmation) is not given up on the word of an
//! unsolicited ARP packet: anyone on the link can send one claiming any
//! address, and random or hostile frames would otherwise point a neighbor we
//! talk to at a MAC nobody has. A different MAC in such a packet makes the
//! entry re-validate the confirmed one by unicast probes (RFC 4861 §7.3.3),
//! and only if those go unanswered is the entry deleted and the neighbor
//! resolved afresh by broadcast (where whoever answers first wins, as in
//! Linux's `arp_process`, which takes the first of several replies within
//! its `locktime`). Entries created from received packets (RFC 826's merge)
//! may evict only a FAILED entry or one never confirmed, so a flood of ARP
//! from many addresses cannot push the confirmed neighbors out either.
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
/// ARP packets also set `reprobe` (except a gratuitous ARP, see
/// [`Fill::arp_announcement`]): a different address for an entry whose
/// address was confirmed is not recorded but re-validated.
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
    /// A different address for an entry whose current address was
    /// confirmed is not taken on this packet's word: the entry keeps its
    /// address and re-validates it by unicast probes (PROBE, RFC 4861
    /// §7.3.3); if they go unanswered the entry is deleted and the next
    /// packet resolves the neighbor afresh. An entry never confirmed is
    /// overridden as `override_hw` says.
    pub reprobe: bool,
}

impl Fill {
    /// Any ARP packet from `sender`. `for_us`: its target protocol address is
    /// ours, so RFC 826 adds the sender when absent (otherwise the merge rule
    /// only updates an existing entry). `unicast_reply`: an ARP reply sent to
    /// our own MAC, which proves reachability; broadcast replies (gratuitous
    /// ARP) and requests do not (Linux `arp_process` makes the same call).
    ///
    /// Nothing in an ARP packet authenticates it, and RFC 826's merge would
    /// let any host on the link redirect traffic for any address: so a
    /// different MAC for a confirmed entry is re-validated (`reprobe`)
    /// rather than recorded.
    pub const fn arp(for_us: bool, unicast_reply: bool) -> Fill {
        Fill {
            create: for_us,
            reachable: unicast_reply,
            override_hw: true,
            reprobe: true,
        }
    }

    /// A gratuitous ARP (sender and target protocol address the same: an
    /// RFC 5227 §2.3 announcement, sent by a host whose MAC changed, e.g. on
    /// failover): merged even over a confirmed address, as Linux's
    /// `arp_process` overrides for it (`is_garp`). Creates no entry.
    pub const fn arp_announcement(unicast_reply: bool) -> Fill {
        Fill {
            create: false,
            reachable: unicast_reply,
            override_hw: true,
            reprobe: false,
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
            reprobe: false,
        }
    }

    /// A Neighbor Advertisement with a Target LLAO and its Solicited and
    /// Override flags (RFC 4861 §7.2.5). Never creates an entry.
    pub const fn advertisement(solicited: bool, override_flag: bool) -> Fill {
        Fill {
            create: false,
            reachable: solicited,
            override_hw: override_flag,
            reprobe: false,
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
    /// When `hw` was last confirmed (an answer to our request or probe, an
    /// upper-layer confirmation); `None` while it never was (learned from
    /// an unsolicited packet). Such an address is defended against
    /// unsolicited claims (see [`Fill::reprobe`]).
    confirmed: Option<Instant>,
}

/// How long after a confirmation a different address in an unsolicited
/// ARP packet is ignored outright, without even a probe: Linux's ARP
/// `locktime` (1 s), which keeps the first of several answers and bounds
/// the probes a stream of spoofed packets can draw to one per second.
const LOCKTIME: Duration = Duration::from_secs(1);

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
            self.evict(|s, _| (s == NeighborState::Incomplete).then_some(0))
        } else {
            self.make_room()
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
            confirmed: None,
        };
        match self.entries.push(entry) {
            Ok(()) => Lookup::Request,
            Err(_) => Lookup::Failed,
        }
    }

    /// Frees one slot if the cache is full, for our own lookup or a static
    /// entry. Victims, best first: a FAILED entry, the oldest INCOMPLETE
    /// entry, the least recently used STALE entry never confirmed, then
    /// one confirmed, the least recently used REACHABLE, DELAY or PROBE
    /// entry. Returns false when no slot could be freed.
    ///
    /// Unresolved entries go before resolved ones (as Linux's forced garbage
    /// collection takes FAILED and unconfirmed entries first): a neighbor we
    /// talk to must outlive a flood of addresses that never answer.
    fn make_room(&mut self) -> bool {
        if !self.entries.is_full() {
            return true;
        }
        self.evict(|s, confirmed| match s {
            NeighborState::Failed => Some(0u8),
            NeighborState::Incomplete => Some(1),
            NeighborState::Stale if !confirmed => Some(2),
            NeighborState::Stale => Some(3),
            NeighborState::Reachable | NeighborState::Delay | NeighborState::Probe => Some(4),
            NeighborState::Permanent => None,
        })
    }

    /// Frees one slot, if the cache is full, for an entry a received packet
    /// creates (RFC 826's merge, an unsolicited Neighbor Solicitation): only
    /// a FAILED entry or a STALE one never confirmed may go. Packets anyone
    /// can send must not push out the neighbors we talk to (a flood of ARP
    /// from hundreds of addresses would, and the next spoof of a pushed-out
    /// neighbor's address would then create its entry with a false MAC);
    /// without room the packet is still answered, only not remembered, and
    /// our own lookups evict as [`make_room`](Self::make_room) says.
    fn make_room_unsolicited(&mut self) -> bool {
        if !self.entries.is_full() {
            return true;
        }
        self.evict(|s, confirmed| match s {
            NeighborState::Failed => Some(0u8),
            NeighborState::Stale if !confirmed => Some(1),
            _ => None,
        })
    }

    /// Removes the entry of lowest `rank` (given its state and whether its
    /// address was ever confirmed; the least recently used among equals;
    /// `None`: never), reporting an evicted INCOMPLETE entry to `poll`.
    /// Returns false when no entry may go.
    fn evict(&mut self, rank: impl Fn(NeighborState, bool) -> Option<u8>) -> bool {
        let victim = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| rank(e.state, e.confirmed.is_some()).map(|r| (r, e.used, i)))
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
    ///   else STALE), evicting if full only a FAILED entry or a STALE one
    ///   never confirmed (so that a flood of spoofed packets can neither
    ///   abort our own resolutions nor push out the neighbors we talk to);
    ///   otherwise ignore;
    /// - INCOMPLETE or FAILED: record `hw`; REACHABLE if `how.reachable`, else
    ///   STALE ([`Filled::Resolved`]: send the queued packets);
    /// - PERMANENT: ignore;
    /// - a different cached address: without `how.override_hw`, keep it and
    ///   make a REACHABLE entry STALE; with `how.reprobe` and a confirmed
    ///   address, keep it and probe it (PROBE), unless confirmed less than
    ///   a second ago or already probing; otherwise record `hw` and become
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
            e.confirmed = Some(now);
        };
        let found = match self.find(&addr) {
            Some(i) if self.settle(i, now) => Some(i),
            _ => None,
        };
        let Some(e) = found.and_then(|i| self.entries.get_mut(i)) else {
            if !how.create || !self.make_room_unsolicited() {
                return Filled::Ignored;
            }
            let mut e = Entry {
                addr,
                hw,
                state: NeighborState::Stale,
                deadline: now,
                sent: 0,
                used: now,
                confirmed: None,
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
                e.confirmed = None;
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
                if let (true, Some(confirmed)) = (how.reprobe, e.confirmed) {
                    // A confirmed address is not given up on an unsolicited
                    // claim (anyone can send one): the entry keeps it and
                    // asks that very MAC again (RFC 4861 §7.3.3 unicast
                    // probes). If the neighbor answers it stays; if it has
                    // really moved the probes go unanswered, the entry is
                    // deleted and the next packet broadcasts a request.
                    // Within LOCKTIME of the confirmation the claim is
                    // ignored outright (Linux's ARP locktime: the first of
                    // several answers wins), and an entry already probing
                    // keeps its round, so spoofs draw at most a probe per
                    // second and cannot keep a dead address alive.
                    let locked = e.state == NeighborState::Reachable && now < confirmed + LOCKTIME;
                    if !locked && e.state != NeighborState::Probe {
                        net_debug!("neighbor: address claimed by another MAC, probing");
                        e.state = NeighborState::Probe;
                        e.sent = 0;
                        e.deadline = now;
                    }
                    return Filled::Ignored;
                }
                e.hw = hw;
                e.sent = 0;
                e.confirmed = None;
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
                e.confirmed = Some(now);
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
            confirmed: None,
        };
        if let Some(e) = self.entries.iter_mut().find(|e| e.addr == addr) {
            *e = entry;
            return Ok(());
        }
        if !self.make_room() {
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
        if !self.evicted.is_empty() {
            if let Some(addr) = self.evicted.pop_front() {
                return Some(NeighborAction::Evicted(addr));
            }
        }
        // Asked every poll: nothing due is the common answer, found
        // without copying the configuration. STALE and PERMANENT entries
        // have no timer (the walk below passes them by too).
        let quiet = |e: &Entry<A>| {
            now < e.deadline || matches!(e.state, NeighborState::Stale | NeighborState::Permanent)
        };
        if self.entries.iter().all(quiet) {
            return None;
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

impl core::error::Error for CacheFull {}

#[cfg(test)]
mod tests;
