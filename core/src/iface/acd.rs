//! IPv4 Address Conflict Detection (RFC 5227), one state machine per address.
//!
//! Before an IPv4 address is used, the host probes for it with ARP requests
//! that carry sender IP 0.0.0.0 (so that no neighbor cache is polluted if
//! someone else owns it), then claims it with ARP announcements; afterwards it
//! keeps watching ARP traffic and defends the address (RFC 5227 §2.1–§2.4).
//!
//! The machine is sans-IO: [`Acd::poll_at`] says when it wants to send,
//! [`Acd::dispatch`] hands the packet to a closure, [`Acd::process_arp`] is
//! fed every received ARP packet. It never reads a clock or an entropy source:
//! `now` and a `random` seed come from the caller.
//!
//! ```text
//!            new/restart            ANNOUNCE_WAIT after        ANNOUNCE_NUM
//!   ──────────► Probing ──────────► Announcing ───────────► Bound
//!     (PROBE_WAIT, PROBE_NUM ×      1st announcement sent     announcements sent
//!      probes PROBE_MIN..MAX apart)        │                     │
//!                 │ conflicting ARP        │ conflicting ARP (policy §2.4)
//!                 ▼                        ▼                     ▼
//!              Conflict  ◄──────────────────────────────────────┘
//! ```
//!
//! # How the interface uses it
//! - Per configured IPv4 address on an Ethernet interface, one [`Acd`].
//! - While `!is_usable()` the interface must neither use the address as a
//!   source nor answer ARP requests for it (RFC 5227 §2.1), but it must still
//!   pass every received ARP packet to [`Acd::process_arp`].
//! - In its egress step it calls [`Acd::dispatch`] and sends the
//!   [`AcdPacket`] (see [`AcdPacket::arp_repr`]) to the Ethernet broadcast
//!   address; its `poll_at` is the minimum with [`Acd::poll_at`].
//! - On [`AcdEvent::Conflict`] the address is lost: the interface stops using
//!   it and tells its configuring agent (DHCP sends DHCPDECLINE; link-local
//!   picks another address), which later calls [`Acd::restart`] or
//!   [`Acd::restart_with_address`] on the same `Acd` so the conflict count and
//!   the RFC 5227 §2.1.1 rate limit carry over.

use crate::rand::Rng;
use crate::time::{Duration, Instant};
use crate::wire::arp::{ArpOperation, ArpRepr};
use crate::wire::{EthernetAddress, Ipv4Addr};

/// What a host does on a conflicting ARP packet for an address it already
/// uses (RFC 5227 §2.4): one from another MAC with our address as sender IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DefendPolicy {
    /// §2.4 (a): give the address up at the first conflicting packet.
    Retreat,
    /// §2.4 (b), the default: answer the first conflicting packet with one
    /// announcement; a second one within `defend_interval` of it gives the
    /// address up.
    ///
    /// Why the default: a single stray packet (a host with a stale ARP cache,
    /// a misbehaving proxy, a spoofer) should not cost us every open TCP
    /// connection, which is the reason §2.4 (b) gives; yet two hosts that
    /// really share the address must not defend forever (the RFC's "endless
    /// loop"), and one of them gives up within `defend_interval`. This is
    /// also what most ACD clients choose (systemd-networkd's sd-ipv4acd).
    #[default]
    DefendOnce,
    /// §2.4 (c): never give the address up (a router, a DNS server). A
    /// conflict is announced against at most once per `defend_interval`, and
    /// reported as [`AcdEvent::Defended`] at the same rate, so that neither
    /// the link nor the log is flooded (§2.4 (c) asks for both).
    DefendAlways,
}

/// The timing of [`Acd`]: RFC 5227 §1.1 constants by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AcdConfig {
    /// Probe before using the address (§2.1). `false` skips straight to
    /// announcing (§2.3) and makes the address usable at once: for links the
    /// user owns, where waiting ~7 s at every boot buys nothing.
    pub probe: bool,
    /// PROBE_WAIT: the first probe goes out at a random instant in `[0, probe_wait]`.
    pub probe_wait: Duration,
    /// PROBE_NUM: how many probes. 0 means no probing, as `probe: false`.
    pub probe_num: u8,
    /// PROBE_MIN: least time between two probes.
    pub probe_min: Duration,
    /// PROBE_MAX: most time between two probes (when polled on time).
    pub probe_max: Duration,
    /// ANNOUNCE_WAIT: time after the last probe before the address is ours.
    pub announce_wait: Duration,
    /// ANNOUNCE_NUM: how many announcements (at least one is always sent:
    /// §2.3 makes announcing a MUST).
    pub announce_num: u8,
    /// ANNOUNCE_INTERVAL: time between two announcements.
    pub announce_interval: Duration,
    /// MAX_CONFLICTS: conflicts after which restarts are rate-limited.
    pub max_conflicts: u32,
    /// RATE_LIMIT_INTERVAL: least time between two attempts once rate-limited.
    pub rate_limit_interval: Duration,
    /// DEFEND_INTERVAL: see [`DefendPolicy`].
    pub defend_interval: Duration,
    /// What to do on a conflict once the address is in use.
    pub defend: DefendPolicy,
}

impl AcdConfig {
    /// RFC 5227 §1.1, with probing and [`DefendPolicy::DefendOnce`].
    pub const DEFAULT: AcdConfig = AcdConfig {
        probe: true,
        probe_wait: Duration::from_secs(1),
        probe_num: 3,
        probe_min: Duration::from_secs(1),
        probe_max: Duration::from_secs(2),
        announce_wait: Duration::from_secs(2),
        announce_num: 2,
        announce_interval: Duration::from_secs(2),
        max_conflicts: 10,
        rate_limit_interval: Duration::from_secs(60),
        defend_interval: Duration::from_secs(10),
        defend: DefendPolicy::DefendOnce,
    };
}

impl Default for AcdConfig {
    fn default() -> AcdConfig {
        AcdConfig::DEFAULT
    }
}

/// Where an [`Acd`] is in the RFC 5227 life of its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AcdState {
    /// Probing (§2.1), until ANNOUNCE_WAIT after the last probe: the address
    /// must not be used yet.
    Probing,
    /// Sending the announcements (§2.3): the address is usable.
    Announcing,
    /// Announced; still watching for conflicts (§2.4).
    Bound,
    /// Someone else has the address: stop using it; see [`Acd::restart`].
    Conflict,
}

/// A packet the machine wants sent: an ARP request to the Ethernet broadcast
/// address, from the interface's MAC (§2.1.1, §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AcdPacket {
    /// An ARP Probe: request with sender IP 0.0.0.0, target IP `target`.
    Probe {
        /// The address being probed.
        target: Ipv4Addr,
    },
    /// An ARP Announcement: request with sender IP = target IP = `address`.
    Announce {
        /// The address being claimed or defended.
        address: Ipv4Addr,
    },
}

impl AcdPacket {
    /// The ARP packet to send from `hardware` (the interface's MAC).
    ///
    /// Both are requests with an all-zero target MAC (§2.1.1, §2.3): a
    /// request rather than a reply because every implementation processes a
    /// broadcast request, and some ignore unsolicited replies (§3).
    pub fn arp_repr(&self, hardware: EthernetAddress) -> ArpRepr {
        // §2.1.1: the probe's sender IP is zero so that it updates no
        // neighbor cache while the address may still belong to someone else.
        let (sender, target) = match *self {
            AcdPacket::Probe { target } => (Ipv4Addr::UNSPECIFIED, target),
            AcdPacket::Announce { address } => (address, address),
        };
        ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Request,
            source_hardware_addr: hardware,
            source_protocol_addr: sender,
            target_hardware_addr: EthernetAddress::UNSPECIFIED,
            target_protocol_addr: target,
        }
    }
}

/// What [`Acd::process_arp`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AcdEvent {
    /// The address is in use by `other`: the state is now
    /// [`AcdState::Conflict`]; stop using the address and tell whoever
    /// configured it (§2.1.1, §2.4).
    Conflict {
        /// The address lost.
        address: Ipv4Addr,
        /// The sender MAC of the conflicting packet.
        other: EthernetAddress,
    },
    /// `other` claimed our address; we keep it and one announcement is due
    /// (see [`Acd::poll_at`]) (§2.4 (b) or (c)). Worth logging: two hosts
    /// are configured with one address.
    Defended {
        /// The address defended.
        address: Ipv4Addr,
        /// The sender MAC of the conflicting packet.
        other: EthernetAddress,
    },
}

/// The RFC 5227 state machine for one IPv4 address on one Ethernet interface.
///
/// Fixed size, no heap. See the [module documentation](self) for how the
/// interface drives it.
#[derive(Debug, Clone)]
pub struct Acd {
    address: Ipv4Addr,
    hardware: EthernetAddress,
    config: AcdConfig,
    state: AcdState,
    /// Probes (in `Probing`) or announcements (in `Announcing`) sent so far.
    sent: u8,
    /// When the next scheduled probe or announcement is due.
    next: Instant,
    /// A defensive announcement is due (§2.4 (b)/(c)); the instant it was decided.
    defend_at: Option<Instant>,
    /// When we last defended (the conflicting packet's arrival), for DEFEND_INTERVAL.
    last_defence: Option<Instant>,
    /// Conflicts that cost the address since `new` (saturating), for MAX_CONFLICTS.
    conflicts: u32,
    /// When the first packet of the latest attempt went out, for RATE_LIMIT_INTERVAL.
    last_attempt: Option<Instant>,
    /// Timing jitter, seeded by the caller's `random` at each start.
    rng: Rng,
}

impl Acd {
    /// Starts checking `address` for `hardware` (the interface's MAC): by
    /// default the first probe is due at a random instant in
    /// `[now, now + probe_wait]`. `random` seeds the timing jitter; give a
    /// different value to each host (e.g. from the MAC and a hardware RNG),
    /// or hosts booted together probe in lockstep (§2.1.1).
    pub fn new(
        address: Ipv4Addr,
        hardware: EthernetAddress,
        config: AcdConfig,
        now: Instant,
        random: u32,
    ) -> Acd {
        let mut acd = Acd {
            address,
            hardware,
            config,
            state: AcdState::Probing,
            sent: 0,
            next: now,
            defend_at: None,
            last_defence: None,
            conflicts: 0,
            last_attempt: None,
            rng: Rng::new(0),
        };
        acd.start(now, random);
        acd
    }

    /// The address this machine checks.
    pub fn address(&self) -> Ipv4Addr {
        self.address
    }

    /// The interface's MAC: packets from it are ours, never conflicts.
    pub fn hardware(&self) -> EthernetAddress {
        self.hardware
    }

    /// The timing in use.
    pub fn config(&self) -> &AcdConfig {
        &self.config
    }

    /// Where the machine is.
    pub fn state(&self) -> AcdState {
        self.state
    }

    /// Whether the interface may use the address: as a source, and to answer
    /// ARP requests for it. False while probing (RFC 5227 §2.1: not before
    /// the probing completes) and after a conflict.
    pub fn is_usable(&self) -> bool {
        matches!(self.state, AcdState::Announcing | AcdState::Bound)
    }

    /// How many times the address was lost to a conflict since [`Acd::new`]
    /// (restarts keep the count, §2.1.1). A defended conflict does not count:
    /// the rate limit is about attempts, and defending starts none.
    pub fn conflict_count(&self) -> u32 {
        self.conflicts
    }

    /// When [`Acd::dispatch`] has something to send: `None` when nothing is
    /// scheduled (bound, or in conflict). An instant at or before `now`
    /// means "now".
    pub fn poll_at(&self) -> Option<Instant> {
        let scheduled = match self.state {
            AcdState::Probing | AcdState::Announcing => Some(self.next),
            AcdState::Bound | AcdState::Conflict => None,
        };
        match (scheduled, self.defend_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Sends at most one due packet through `f`. The machine advances only
    /// if `f` returns `Ok` (a full device queue is retried on the next call);
    /// `f`'s error is returned. Nothing due: `f` is not called, `Ok(())`.
    pub fn dispatch<F, E>(&mut self, now: Instant, f: F) -> Result<(), E>
    where
        F: FnOnce(AcdPacket) -> Result<(), E>,
    {
        let announce = AcdPacket::Announce {
            address: self.address,
        };
        if self.state == AcdState::Conflict {
            return Ok(());
        }
        // A defence goes first: it answers a live conflict (§2.4).
        if self.defend_at.is_some() {
            f(announce)?;
            self.defend_at = None;
            return Ok(());
        }
        if self.state == AcdState::Bound || now < self.next {
            return Ok(());
        }
        match self.state {
            AcdState::Probing if self.sent < self.config.probe_num => {
                f(AcdPacket::Probe {
                    target: self.address,
                })?;
                self.note_attempt(now);
                self.sent = self.sent.saturating_add(1);
                self.next = if self.sent < self.config.probe_num {
                    // §2.1.1: probes spaced uniformly PROBE_MIN..PROBE_MAX apart,
                    // counted from when this one actually went out.
                    now + self.uniform(self.config.probe_min, self.config.probe_max)
                } else {
                    // §2.1.1: the address is ours if nothing conflicts for
                    // ANNOUNCE_WAIT after the last probe.
                    now + self.config.announce_wait
                };
            }
            AcdState::Probing | AcdState::Announcing => {
                f(announce)?;
                self.note_attempt(now);
                // §2.3: usable from the first announcement on.
                let sent = if self.state == AcdState::Probing {
                    1
                } else {
                    self.sent.saturating_add(1)
                };
                self.sent = sent;
                if sent >= self.config.announce_num.max(1) {
                    self.state = AcdState::Bound;
                } else {
                    self.state = AcdState::Announcing;
                    self.next = now + self.config.announce_interval;
                }
            }
            AcdState::Bound | AcdState::Conflict => {}
        }
        Ok(())
    }

    /// Looks at one received ARP packet (request or reply, any destination).
    ///
    /// Packets from our own MAC are ours (looped back, or another address of
    /// this interface) and never conflict. Otherwise:
    /// - Probing (§2.1.1): the sender IP is our address (someone uses it),
    ///   or it is a probe (sender IP 0.0.0.0) for our address (someone else
    ///   is probing for it at the same time) → [`AcdEvent::Conflict`].
    /// - Announcing or Bound (§2.4): the sender IP is our address → the
    ///   [`DefendPolicy`] decides. A probe for our address is not a conflict
    ///   once it is ours: the normal ARP reply tells the prober it is taken.
    pub fn process_arp(&mut self, now: Instant, repr: &ArpRepr) -> Option<AcdEvent> {
        let ArpRepr::EthernetIpv4 {
            source_hardware_addr: other,
            source_protocol_addr: sender,
            target_protocol_addr: target,
            ..
        } = *repr;
        if other == self.hardware {
            return None;
        }
        match self.state {
            AcdState::Probing => {
                let uses = sender == self.address;
                let probes = sender.is_unspecified() && target == self.address;
                (uses || probes).then(|| self.conflict(other))
            }
            AcdState::Announcing | AcdState::Bound if sender == self.address => {
                self.defend(now, other)
            }
            AcdState::Announcing | AcdState::Bound | AcdState::Conflict => None,
        }
    }

    /// Starts over with the same address (e.g. after a link came back up, or
    /// a conflict that the configuring agent wants retried). Returns when the
    /// first packet is due.
    ///
    /// RFC 5227 §2.1.1: once `max_conflicts` conflicts have been seen, an
    /// attempt starts no sooner than `rate_limit_interval` after the previous
    /// one, so a host fighting over addresses cannot flood the link.
    pub fn restart(&mut self, now: Instant, random: u32) -> Instant {
        self.start(now, random)
    }

    /// Starts over with a new candidate `address` (the next link-local
    /// address, a new DHCP lease), keeping the conflict count and the rate
    /// limit of [`Acd::restart`].
    pub fn restart_with_address(
        &mut self,
        now: Instant,
        address: Ipv4Addr,
        random: u32,
    ) -> Instant {
        self.address = address;
        self.start(now, random)
    }

    /// (Re)starts probing, or announcing when probing is off.
    fn start(&mut self, now: Instant, random: u32) -> Instant {
        self.rng = Rng::new(u64::from(random));
        self.sent = 0;
        self.defend_at = None;
        self.last_defence = None;
        let mut first = if self.config.probe && self.config.probe_num > 0 {
            self.state = AcdState::Probing;
            // §2.1.1: wait a random time in [0, PROBE_WAIT] so that hosts
            // powered on together do not probe in lockstep.
            now + self.uniform(Duration::ZERO, self.config.probe_wait)
        } else {
            // §2.3 still applies: an address not probed is announced.
            self.state = AcdState::Announcing;
            now
        };
        // §2.1.1: after MAX_CONFLICTS conflicts, at most one attempt per
        // RATE_LIMIT_INTERVAL.
        if self.conflicts >= self.config.max_conflicts {
            if let Some(last) = self.last_attempt {
                first = first.max(last + self.config.rate_limit_interval);
            }
        }
        self.next = first;
        first
    }

    /// Records the start of an attempt (its first packet) for the rate limit.
    fn note_attempt(&mut self, now: Instant) {
        if self.sent == 0 {
            self.last_attempt = Some(now);
        }
    }

    fn conflict(&mut self, other: EthernetAddress) -> AcdEvent {
        self.state = AcdState::Conflict;
        self.defend_at = None;
        self.conflicts = self.conflicts.saturating_add(1);
        AcdEvent::Conflict {
            address: self.address,
            other,
        }
    }

    /// §2.4: a conflicting packet for an address in use.
    fn defend(&mut self, now: Instant, other: EthernetAddress) -> Option<AcdEvent> {
        // "Recent" is strictly less than DEFEND_INTERVAL ago; a clock that
        // went backwards makes the last defence look recent (the safe side:
        // no second announcement).
        let recent = self
            .last_defence
            .is_some_and(|t| now.saturating_duration_since(t) < self.config.defend_interval);
        let defend = match self.config.defend {
            DefendPolicy::Retreat => false,
            DefendPolicy::DefendOnce => !recent,
            DefendPolicy::DefendAlways => {
                if recent {
                    // §2.4 (c): keep the address, but neither announce nor
                    // report more than once per DEFEND_INTERVAL.
                    return None;
                }
                true
            }
        };
        if !defend {
            return Some(self.conflict(other));
        }
        // §2.4 (b): record the time of the conflicting packet, then
        // broadcast one single announcement.
        self.last_defence = Some(now);
        self.defend_at = Some(now);
        Some(AcdEvent::Defended {
            address: self.address,
            other,
        })
    }

    /// A uniform duration in `[lo, hi]`: enough to decorrelate hosts, which
    /// is all §2.1.1 asks of this randomness.
    fn uniform(&mut self, lo: Duration, hi: Duration) -> Duration {
        self.rng.uniform(lo, hi)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    const ADDR: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 50);
    const OURS: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);
    const THEIRS: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x02]);
    const SEC: i64 = 1_000_000;

    fn at(us: i64) -> Instant {
        Instant::from_micros(us)
    }

    fn arp(
        operation: ArpOperation,
        from: EthernetAddress,
        sender: Ipv4Addr,
        target: Ipv4Addr,
    ) -> ArpRepr {
        ArpRepr::EthernetIpv4 {
            operation,
            source_hardware_addr: from,
            source_protocol_addr: sender,
            target_hardware_addr: EthernetAddress::UNSPECIFIED,
            target_protocol_addr: target,
        }
    }

    /// Someone else answering for, or announcing, our address.
    fn their_reply() -> ArpRepr {
        arp(
            ArpOperation::Reply,
            THEIRS,
            ADDR,
            Ipv4Addr::new(192, 168, 1, 7),
        )
    }

    /// Someone else probing for our address.
    fn their_probe() -> ArpRepr {
        arp(ArpOperation::Request, THEIRS, Ipv4Addr::UNSPECIFIED, ADDR)
    }

    /// Dispatches at `now`; the packet sent, if any.
    fn send(acd: &mut Acd, now: Instant) -> Option<AcdPacket> {
        let mut out = None;
        acd.dispatch(now, |p| {
            out = Some(p);
            Ok::<(), ()>(())
        })
        .unwrap();
        out
    }

    /// Polls exactly at every `poll_at` until nothing is scheduled or `until`.
    fn run(acd: &mut Acd, until: Instant) -> Vec<(Instant, AcdPacket)> {
        let mut sent = Vec::new();
        while let Some(t) = acd.poll_at() {
            if t > until || sent.len() > 100 {
                break;
            }
            // Nothing goes out one µs early.
            assert_eq!(send(acd, t - Duration::from_micros(1)), None);
            let p = send(acd, t).expect("due at poll_at");
            sent.push((t, p));
        }
        sent
    }

    fn probe() -> AcdPacket {
        AcdPacket::Probe { target: ADDR }
    }

    fn announce() -> AcdPacket {
        AcdPacket::Announce { address: ADDR }
    }

    /// A machine run until bound; returns it and the instant of the last announcement.
    fn bound(config: AcdConfig) -> (Acd, Instant) {
        let mut acd = Acd::new(ADDR, OURS, config, at(0), 7);
        let sent = run(&mut acd, at(100 * SEC));
        assert_eq!(acd.state(), AcdState::Bound);
        (acd, sent.last().unwrap().0)
    }

    #[test]
    fn rfc5227_probe_and_announce_timing_for_many_seeds() {
        let start = at(100 * SEC);
        let mut first_delays = std::collections::BTreeSet::new();
        let seeds = [0u32, 1, 2, 0xdead_beef, u32::MAX]
            .into_iter()
            .chain(1000..1200);
        for seed in seeds {
            let mut acd = Acd::new(ADDR, OURS, AcdConfig::default(), start, seed);
            assert_eq!(acd.state(), AcdState::Probing);
            let sent = run(&mut acd, at(1000 * SEC));
            let kinds: Vec<AcdPacket> = sent.iter().map(|s| s.1).collect();
            // §2.1.1 PROBE_NUM probes, then §2.3 ANNOUNCE_NUM announcements.
            assert_eq!(kinds, [probe(), probe(), probe(), announce(), announce()]);
            let t: Vec<i64> = sent.iter().map(|s| s.0.total_micros()).collect();
            // First probe after a random wait in [0, PROBE_WAIT].
            let delay = t[0] - start.total_micros();
            assert!((0..=SEC).contains(&delay), "seed {seed}: {delay}");
            first_delays.insert(delay);
            // Probes PROBE_MIN..PROBE_MAX apart.
            for gap in [t[1] - t[0], t[2] - t[1]] {
                assert!((SEC..=2 * SEC).contains(&gap), "seed {seed}: {gap}");
            }
            // ANNOUNCE_WAIT after the last probe, then ANNOUNCE_INTERVAL apart.
            assert_eq!(t[3] - t[2], 2 * SEC);
            assert_eq!(t[4] - t[3], 2 * SEC);
            assert_eq!(acd.state(), AcdState::Bound);
            assert_eq!(acd.poll_at(), None);
            assert_eq!(send(&mut acd, at(2000 * SEC)), None);
        }
        // The jitter really depends on the seed.
        assert!(first_delays.len() > 150, "{}", first_delays.len());
    }

    #[test]
    fn uniform_covers_both_ends_of_the_range() {
        // The scaling maps the extreme PRNG outputs to exactly lo and hi.
        let mut acd = Acd::new(ADDR, OURS, AcdConfig::default(), at(0), 1);
        let (lo, hi) = (Duration::from_secs(1), Duration::from_secs(2));
        // Many draws: every value within [lo, hi], and both ends reached to
        // the millisecond (a mapping that lost the top or bottom would not).
        let mut min = Duration::MAX;
        let mut max = Duration::ZERO;
        for _ in 0..100_000 {
            let d = acd.uniform(lo, hi);
            min = min.min(d);
            max = max.max(d);
        }
        assert!(min >= lo && max <= hi);
        assert!(min < lo + Duration::from_millis(1) && max > hi - Duration::from_millis(1));
        // A reversed range gives lo; the widest range does not overflow.
        assert_eq!(acd.uniform(hi, lo), hi);
        let d = acd.uniform(Duration::ZERO, Duration::MAX);
        assert!(d <= Duration::MAX);
        // Seed 0 (xorshift's fixed point) still produces jitter.
        let mut zero = Acd::new(ADDR, OURS, AcdConfig::default(), at(0), 0);
        assert_ne!(zero.uniform(lo, hi), zero.uniform(lo, hi));
    }

    #[test]
    fn usable_only_from_announce_wait_after_the_last_probe() {
        let mut acd = Acd::new(ADDR, OURS, AcdConfig::default(), at(0), 42);
        let probes = run(&mut acd, at(0));
        assert!(probes.is_empty() || probes.iter().all(|p| p.1 == probe()));
        let mut last = at(0);
        while acd.state() == AcdState::Probing
            && acd.poll_at() != Some(last + Duration::from_secs(2))
        {
            let t = acd.poll_at().unwrap();
            // RFC 5227 §2.1: not usable, and not answered for, while probing.
            assert!(!acd.is_usable());
            assert_eq!(send(&mut acd, t), Some(probe()));
            last = t;
        }
        let usable_at = last + Duration::from_secs(2);
        assert_eq!(send(&mut acd, usable_at - Duration::from_micros(1)), None);
        assert_eq!(acd.state(), AcdState::Probing);
        assert!(!acd.is_usable());
        assert_eq!(send(&mut acd, usable_at), Some(announce()));
        assert_eq!(acd.state(), AcdState::Announcing);
        assert!(acd.is_usable());
        let next = usable_at + Duration::from_secs(2);
        assert_eq!(acd.poll_at(), Some(next));
        assert_eq!(send(&mut acd, next - Duration::from_micros(1)), None);
        assert_eq!(send(&mut acd, next), Some(announce()));
        assert_eq!(acd.state(), AcdState::Bound);
        assert!(acd.is_usable());
    }

    #[test]
    fn packets_are_arp_requests_as_rfc5227_specifies() {
        // §2.1.1: probe = request, sender IP 0, target MAC 0, target IP = address.
        assert_eq!(
            probe().arp_repr(OURS),
            arp(ArpOperation::Request, OURS, Ipv4Addr::UNSPECIFIED, ADDR)
        );
        // §2.3: announcement = request, sender IP = target IP = address.
        assert_eq!(
            announce().arp_repr(OURS),
            arp(ArpOperation::Request, OURS, ADDR, ADDR)
        );
    }

    #[test]
    fn a_failed_send_is_retried_and_does_not_advance() {
        let mut acd = Acd::new(ADDR, OURS, AcdConfig::default(), at(0), 3);
        let t = acd.poll_at().unwrap();
        let mut seen = None;
        let r = acd.dispatch(t, |p| {
            seen = Some(p);
            Err("queue full")
        });
        assert_eq!((r, seen), (Err("queue full"), Some(probe())));
        assert_eq!(acd.poll_at(), Some(t));
        let sent = run(&mut acd, at(100 * SEC));
        assert_eq!(sent.len(), 5, "still three probes and two announcements");
        // A failed defence stays pending too.
        acd.process_arp(at(200 * SEC), &their_reply());
        let r = acd.dispatch(at(200 * SEC), |_| Err(()));
        assert_eq!(r, Err(()));
        assert_eq!(acd.poll_at(), Some(at(200 * SEC)));
        assert_eq!(send(&mut acd, at(201 * SEC)), Some(announce()));
        assert_eq!(acd.poll_at(), None);
    }

    #[test]
    fn conflict_while_probing_by_reply_or_announcement() {
        // §2.1.1: any ARP packet whose sender IP is the probed address.
        let packets = [
            their_reply(),
            arp(ArpOperation::Request, THEIRS, ADDR, ADDR),
            arp(
                ArpOperation::Request,
                THEIRS,
                ADDR,
                Ipv4Addr::new(192, 168, 1, 1),
            ),
        ];
        for packet in packets {
            let mut acd = Acd::new(ADDR, OURS, AcdConfig::default(), at(0), 9);
            let t = acd.poll_at().unwrap();
            assert_eq!(send(&mut acd, t), Some(probe()));
            assert_eq!(
                acd.process_arp(t, &packet),
                Some(AcdEvent::Conflict {
                    address: ADDR,
                    other: THEIRS
                })
            );
            assert_eq!(acd.state(), AcdState::Conflict);
            assert!(!acd.is_usable());
            assert_eq!(acd.poll_at(), None);
            assert_eq!(send(&mut acd, at(100 * SEC)), None);
            assert_eq!(acd.conflict_count(), 1);
            // Nothing more is reported once in conflict.
            assert_eq!(acd.process_arp(t, &packet), None);
        }
    }

    #[test]
    fn conflict_while_probing_by_simultaneous_probe() {
        // §2.1.1: someone else probing for the same address at the same time,
        // even in the ANNOUNCE_WAIT after our last probe (one µs before the end).
        let mut acd = Acd::new(ADDR, OURS, AcdConfig::default(), at(0), 11);
        let mut last = at(0);
        for _ in 0..3 {
            last = acd.poll_at().unwrap();
            assert_eq!(send(&mut acd, last), Some(probe()));
        }
        let t = last + Duration::from_secs(2) - Duration::from_micros(1);
        assert_eq!(
            acd.process_arp(t, &their_probe()),
            Some(AcdEvent::Conflict {
                address: ADDR,
                other: THEIRS
            })
        );
        assert_eq!(acd.state(), AcdState::Conflict);
        assert_eq!(send(&mut acd, last + Duration::from_secs(2)), None);
    }

    #[test]
    fn our_own_packets_and_unrelated_traffic_are_not_conflicts() {
        let mut acd = Acd::new(ADDR, OURS, AcdConfig::default(), at(0), 5);
        let t = acd.poll_at().unwrap();
        let p = send(&mut acd, t).unwrap();
        let quiet = [
            // Our own probe, looped back (same MAC).
            p.arp_repr(OURS),
            // Our own announcement, e.g. from a previous run.
            announce().arp_repr(OURS),
            // Someone asking who has our address: a normal request, not a probe.
            arp(
                ArpOperation::Request,
                THEIRS,
                Ipv4Addr::new(192, 168, 1, 9),
                ADDR,
            ),
            // Someone probing for another address.
            arp(
                ArpOperation::Request,
                THEIRS,
                Ipv4Addr::UNSPECIFIED,
                Ipv4Addr::new(192, 168, 1, 51),
            ),
            // Someone else's traffic.
            arp(
                ArpOperation::Reply,
                THEIRS,
                Ipv4Addr::new(192, 168, 1, 9),
                Ipv4Addr::new(192, 168, 1, 1),
            ),
        ];
        for packet in &quiet {
            assert_eq!(acd.process_arp(t, packet), None, "{packet:?}");
            assert_eq!(acd.state(), AcdState::Probing);
        }
        run(&mut acd, at(100 * SEC));
        assert_eq!(acd.state(), AcdState::Bound);
        for packet in &quiet {
            assert_eq!(acd.process_arp(at(100 * SEC), packet), None, "{packet:?}");
        }
        // Once the address is ours, a probe for it is not a conflict (§2.4
        // looks at the sender IP only): our ARP reply tells the prober.
        assert_eq!(acd.process_arp(at(100 * SEC), &their_probe()), None);
        assert_eq!(acd.state(), AcdState::Bound);
        assert_eq!(acd.poll_at(), None);
        assert_eq!(acd.conflict_count(), 0);
    }

    #[test]
    fn defend_once_then_conflict_within_defend_interval() {
        let (mut acd, t0) = bound(AcdConfig::default());
        let t1 = t0 + Duration::from_secs(30);
        // §2.4 (b): the first conflicting packet is answered by one announcement.
        assert_eq!(
            acd.process_arp(t1, &their_reply()),
            Some(AcdEvent::Defended {
                address: ADDR,
                other: THEIRS
            })
        );
        assert_eq!(acd.state(), AcdState::Bound);
        assert!(acd.is_usable());
        assert_eq!(acd.poll_at(), Some(t1));
        assert_eq!(send(&mut acd, t1), Some(announce()));
        assert_eq!(acd.poll_at(), None);
        assert_eq!(send(&mut acd, t1), None, "one single announcement");
        // A second one within DEFEND_INTERVAL (one µs before it ends): give up.
        let t2 = t1 + Duration::from_secs(10) - Duration::from_micros(1);
        assert_eq!(
            acd.process_arp(t2, &their_reply()),
            Some(AcdEvent::Conflict {
                address: ADDR,
                other: THEIRS
            })
        );
        assert_eq!(acd.state(), AcdState::Conflict);
        assert!(!acd.is_usable());
        assert_eq!(acd.conflict_count(), 1);
    }

    #[test]
    fn defence_allowed_again_after_defend_interval() {
        let (mut acd, t0) = bound(AcdConfig::default());
        let t1 = t0 + Duration::from_secs(1);
        assert!(matches!(
            acd.process_arp(t1, &their_reply()),
            Some(AcdEvent::Defended { .. })
        ));
        assert_eq!(send(&mut acd, t1), Some(announce()));
        // Exactly DEFEND_INTERVAL later the previous conflict is no longer recent.
        let t2 = t1 + Duration::from_secs(10);
        assert!(matches!(
            acd.process_arp(t2, &their_reply()),
            Some(AcdEvent::Defended { .. })
        ));
        assert_eq!(send(&mut acd, t2), Some(announce()));
        // ...and the window now counts from t2.
        assert!(matches!(
            acd.process_arp(t2 + Duration::from_secs(9), &their_reply()),
            Some(AcdEvent::Conflict { .. })
        ));
        assert_eq!(acd.conflict_count(), 1);
    }

    #[test]
    fn a_clock_going_backwards_counts_as_recent() {
        let (mut acd, t0) = bound(AcdConfig::default());
        let t1 = t0 + Duration::from_secs(60);
        assert!(matches!(
            acd.process_arp(t1, &their_reply()),
            Some(AcdEvent::Defended { .. })
        ));
        assert!(matches!(
            acd.process_arp(t1 - Duration::from_secs(30), &their_reply()),
            Some(AcdEvent::Conflict { .. })
        ));
    }

    #[test]
    fn retreat_policy_gives_up_at_the_first_conflict() {
        let config = AcdConfig {
            defend: DefendPolicy::Retreat,
            ..AcdConfig::default()
        };
        let (mut acd, t0) = bound(config);
        assert_eq!(
            acd.process_arp(t0, &their_reply()),
            Some(AcdEvent::Conflict {
                address: ADDR,
                other: THEIRS
            })
        );
        assert_eq!(acd.state(), AcdState::Conflict);
        assert_eq!(send(&mut acd, t0), None);
    }

    #[test]
    fn defend_always_keeps_the_address_and_announces_once_per_interval() {
        let config = AcdConfig {
            defend: DefendPolicy::DefendAlways,
            ..AcdConfig::default()
        };
        let (mut acd, t0) = bound(config);
        let t1 = t0 + Duration::from_secs(1);
        assert!(matches!(
            acd.process_arp(t1, &their_reply()),
            Some(AcdEvent::Defended { .. })
        ));
        assert_eq!(send(&mut acd, t1), Some(announce()));
        // §2.4 (c): within DEFEND_INTERVAL, neither announce nor report again.
        for dt in [0, 1, 9_999_999] {
            let t = t1 + Duration::from_micros(dt);
            assert_eq!(acd.process_arp(t, &their_reply()), None);
            assert_eq!(acd.state(), AcdState::Bound);
            assert_eq!(acd.poll_at(), None);
        }
        let t2 = t1 + Duration::from_secs(10);
        assert!(matches!(
            acd.process_arp(t2, &their_reply()),
            Some(AcdEvent::Defended { .. })
        ));
        assert_eq!(send(&mut acd, t2), Some(announce()));
        assert!(acd.is_usable());
        assert_eq!(acd.conflict_count(), 0);
    }

    #[test]
    fn a_defence_while_announcing_goes_first_and_keeps_the_schedule() {
        let mut acd = Acd::new(ADDR, OURS, AcdConfig::default(), at(0), 13);
        // Up to and including the first announcement.
        let mut t = at(0);
        while acd.state() == AcdState::Probing {
            t = acd.poll_at().unwrap();
            send(&mut acd, t);
        }
        assert_eq!(acd.state(), AcdState::Announcing);
        let second = t + Duration::from_secs(2);
        assert_eq!(acd.poll_at(), Some(second));
        let tc = t + Duration::from_secs(1);
        assert!(matches!(
            acd.process_arp(tc, &their_reply()),
            Some(AcdEvent::Defended { .. })
        ));
        assert_eq!(acd.poll_at(), Some(tc));
        assert_eq!(send(&mut acd, tc), Some(announce()));
        assert_eq!(acd.state(), AcdState::Announcing);
        assert_eq!(acd.poll_at(), Some(second));
        assert_eq!(send(&mut acd, second), Some(announce()));
        assert_eq!(acd.state(), AcdState::Bound);
    }

    #[test]
    fn skip_probe_mode_only_announces_and_is_usable_at_once() {
        let config = AcdConfig {
            probe: false,
            ..AcdConfig::default()
        };
        let t0 = at(5 * SEC);
        let mut acd = Acd::new(ADDR, OURS, config, t0, 1);
        assert_eq!(acd.state(), AcdState::Announcing);
        assert!(acd.is_usable());
        assert_eq!(acd.poll_at(), Some(t0));
        let sent = run(&mut acd, at(100 * SEC));
        assert_eq!(
            sent,
            [(t0, announce()), (t0 + Duration::from_secs(2), announce())]
        );
        assert_eq!(acd.state(), AcdState::Bound);
        // Defence works the same.
        assert!(matches!(
            acd.process_arp(at(50 * SEC), &their_reply()),
            Some(AcdEvent::Defended { .. })
        ));
        // PROBE_NUM 0 means the same as probe: false.
        let config = AcdConfig {
            probe_num: 0,
            ..AcdConfig::default()
        };
        let acd = Acd::new(ADDR, OURS, config, t0, 1);
        assert_eq!(
            (acd.state(), acd.poll_at()),
            (AcdState::Announcing, Some(t0))
        );
    }

    #[test]
    fn at_least_one_announcement_is_sent() {
        // §2.3 makes announcing a MUST: ANNOUNCE_NUM 0 still sends one.
        let config = AcdConfig {
            announce_num: 0,
            probe: false,
            ..AcdConfig::default()
        };
        let mut acd = Acd::new(ADDR, OURS, config, at(0), 1);
        assert_eq!(run(&mut acd, at(100 * SEC)), [(at(0), announce())]);
        assert_eq!(acd.state(), AcdState::Bound);
    }

    /// Restarts, waits for the first probe, and has it answered by a conflict.
    /// Returns the instant the restart said was due, at which the probe went out.
    fn lose_once(acd: &mut Acd, now: Instant, seed: u32) -> Instant {
        let due = acd.restart(now, seed);
        assert_eq!(acd.state(), AcdState::Probing);
        assert_eq!(acd.poll_at(), Some(due));
        assert_eq!(send(acd, due - Duration::from_micros(1)), None);
        assert_eq!(send(acd, due), Some(probe()));
        assert!(matches!(
            acd.process_arp(due, &their_reply()),
            Some(AcdEvent::Conflict { .. })
        ));
        due
    }

    #[test]
    fn restarts_are_rate_limited_after_max_conflicts() {
        let mut acd = Acd::new(ADDR, OURS, AcdConfig::default(), at(0), 1);
        let first = acd.poll_at().unwrap();
        assert_eq!(send(&mut acd, first), Some(probe()));
        assert!(acd.process_arp(first, &their_reply()).is_some());
        let mut now = first;
        // Conflicts 2..=10: each restart starts within PROBE_WAIT.
        for i in 2..=10u32 {
            let due = lose_once(&mut acd, now, i);
            assert!(due - now <= Duration::from_secs(1), "attempt {i}");
            assert_eq!(acd.conflict_count(), i);
            now = due;
        }
        // §2.1.1: with MAX_CONFLICTS reached, one attempt per RATE_LIMIT_INTERVAL,
        // counted from the previous attempt's first probe.
        let due = lose_once(&mut acd, now, 99);
        assert_eq!(due, now + Duration::from_secs(60));
        let sent = due;
        // Restarting later than that is not delayed further (beyond PROBE_WAIT).
        let later = sent + Duration::from_secs(100);
        let due = acd.restart(later, 5);
        assert!(due >= later && due - later <= Duration::from_secs(1));
        assert_eq!(acd.conflict_count(), 11);
    }

    #[test]
    fn restart_with_a_new_address_probes_that_one() {
        let (mut acd, t0) = bound(AcdConfig::default());
        assert!(matches!(
            acd.process_arp(t0, &their_reply()),
            Some(AcdEvent::Defended { .. })
        ));
        let other = Ipv4Addr::new(192, 168, 1, 77);
        let due = acd.restart_with_address(t0, other, 3);
        assert_eq!(acd.address(), other);
        assert!(!acd.is_usable());
        // The pending defence of the old address is dropped.
        assert_eq!(acd.poll_at(), Some(due));
        assert_eq!(
            send(&mut acd, due),
            Some(AcdPacket::Probe { target: other })
        );
        // The old address no longer concerns this machine.
        assert_eq!(acd.process_arp(due, &their_reply()), None);
        assert!(matches!(
            acd.process_arp(due, &arp(ArpOperation::Reply, THEIRS, other, ADDR)),
            Some(AcdEvent::Conflict { address, .. }) if address == other
        ));
    }

    #[test]
    fn accessors_and_defaults_match_rfc5227_section_1_1() {
        let c = AcdConfig::default();
        assert_eq!(c, AcdConfig::DEFAULT);
        assert!(c.probe);
        assert_eq!((c.probe_wait, c.probe_num), (Duration::from_secs(1), 3));
        assert_eq!(
            (c.probe_min, c.probe_max),
            (Duration::from_secs(1), Duration::from_secs(2))
        );
        assert_eq!(
            (c.announce_wait, c.announce_num),
            (Duration::from_secs(2), 2)
        );
        assert_eq!(c.announce_interval, Duration::from_secs(2));
        assert_eq!(
            (c.max_conflicts, c.rate_limit_interval),
            (10, Duration::from_secs(60))
        );
        assert_eq!(c.defend_interval, Duration::from_secs(10));
        assert_eq!(c.defend, DefendPolicy::DefendOnce);
        let acd = Acd::new(ADDR, OURS, c, at(0), 1);
        assert_eq!(
            (acd.address(), acd.hardware(), *acd.config()),
            (ADDR, OURS, c)
        );
    }
}
