//! Unit tests of the neighbor cache (`neighbor.rs`).

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

/// Stress script, random frames: an unsolicited ARP packet (a unicast
/// reply, a request) claiming a confirmed neighbor's address for another
/// MAC does not replace it; the entry probes the confirmed MAC instead,
/// and keeps it when that answers.
#[test]
fn a_confirmed_address_is_reprobed_not_replaced_by_unsolicited_arp() {
    let mut c = reachable_a();
    // Within the locktime of the confirmation: ignored outright.
    assert_eq!(
        c.fill(
            IP_A,
            HW_B,
            Fill::arp(true, true),
            t(0) + Duration::from_millis(500)
        ),
        Filled::Ignored
    );
    assert_eq!(state(&c, IP_A, t(0)), Some(NeighborState::Reachable));
    assert_eq!(c.poll(t(0) + Duration::from_millis(500)), None, "no probe");
    // Later: kept, and probed at once by unicast to the confirmed MAC.
    assert_eq!(
        c.fill(IP_A, HW_B, Fill::arp(true, true), t(2)),
        Filled::Ignored
    );
    assert_eq!(c.get(&IP_A, t(2)).unwrap().hw, Some(HW_A));
    assert_eq!(
        c.poll(t(2)),
        Some(NeighborAction::Retransmit {
            addr: IP_A,
            unicast_hw: Some(HW_A)
        })
    );
    assert_eq!(c.lookup(&IP_A, t(2)), Lookup::Found(HW_A), "still used");
    // More spoofs while probing start no new round.
    c.fill(IP_A, HW_C, Fill::arp(true, false), t(2));
    assert_eq!(c.poll(t(2)), None);
    // The real neighbor answers the probe: REACHABLE at its own MAC.
    assert_eq!(
        c.fill(IP_A, HW_A, Fill::arp(true, true), t(2)),
        Filled::Unchanged
    );
    assert_eq!(state(&c, IP_A, t(2)), Some(NeighborState::Reachable));
}

/// A confirmed neighbor that does not answer the probes is deleted, and
/// resolved afresh from the next packet (its move is followed).
#[test]
fn a_claimed_address_whose_owner_is_silent_is_resolved_afresh() {
    let mut c = reachable_a();
    c.fill(IP_A, HW_B, Fill::arp(true, false), t(5));
    for s in 5..=8 {
        while c.poll(t(s)).is_some() {}
    }
    assert!(c.get(&IP_A, t(8)).is_none(), "deleted after the probes");
    assert_eq!(c.lookup(&IP_A, t(8)), Lookup::Request);
    assert_eq!(
        c.fill(IP_A, HW_B, Fill::arp(true, true), t(8)),
        Filled::Resolved
    );
    assert_eq!(c.lookup(&IP_A, t(8)), Lookup::Found(HW_B));
}

/// An address never confirmed is merged as RFC 826 says, and a gratuitous
/// ARP (Linux's `is_garp`) overrides even a confirmed one.
#[test]
fn unconfirmed_addresses_and_gratuitous_arp_are_merged() {
    let mut c = Arp::default();
    c.fill(IP_A, HW_A, Fill::arp(true, false), t(0));
    assert_eq!(
        c.fill(IP_A, HW_B, Fill::arp(true, false), t(1)),
        Filled::Updated
    );
    assert_eq!(c.get(&IP_A, t(1)).unwrap().hw, Some(HW_B));
    let mut c = reachable_a();
    assert_eq!(
        c.fill(IP_A, HW_B, Fill::arp_announcement(false), t(5)),
        Filled::Updated
    );
    assert_eq!(c.get(&IP_A, t(5)).unwrap().hw, Some(HW_B));
}

/// Entries created from received packets may push out only FAILED entries
/// and ones never confirmed: a confirmed neighbor, even STALE and idle,
/// stays; our own lookups still evict it.
#[test]
fn unsolicited_creations_never_evict_a_confirmed_neighbor() {
    let mut c: NeighborCache<Ipv4Addr, 2> = NeighborCache::default();
    assert_eq!(c.lookup(&IP_A, t(0)), Lookup::Request);
    c.fill(IP_A, HW_A, Fill::arp(true, true), t(0));
    c.fill(IP_B, HW_B, Fill::arp(true, false), t(1));
    // B (never confirmed) makes way; A (confirmed, STALE by now) does not.
    assert_eq!(
        c.fill(IP_C, HW_C, Fill::arp(true, false), t(100)),
        Filled::Created
    );
    assert!(c.get(&IP_B, t(100)).is_none());
    const IP_D: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 4);
    c.fill(IP_C, HW_C, Fill::arp(true, false), t(101));
    assert_eq!(state(&c, IP_A, t(101)), Some(NeighborState::Stale));
    // Only unconfirmed C can go.
    assert_eq!(
        c.fill(IP_D, HW_C, Fill::arp(true, false), t(102)),
        Filled::Created
    );
    assert!(c.get(&IP_A, t(102)).is_some());
    // A full cache of confirmed entries takes no unsolicited one.
    let mut c: NeighborCache<Ipv4Addr, 1> = NeighborCache::default();
    c.lookup(&IP_A, t(0));
    c.fill(IP_A, HW_A, Fill::arp(true, true), t(0));
    assert_eq!(
        c.fill(IP_B, HW_B, Fill::arp(true, false), t(100)),
        Filled::Ignored
    );
    assert_eq!(c.lookup(&IP_B, t(100)), Lookup::Request, "our lookup may");
}

/// `poll` remembers that nothing is due until the earliest deadline; every
/// change that starts an earlier timer (a new INCOMPLETE entry, a STALE
/// entry used, an answer) must make it look again, or a retransmission or
/// probe would wait for an unrelated entry's deadline.
#[test]
fn the_quiet_window_is_forgotten_by_every_change_that_starts_a_timer() {
    // IP_A REACHABLE until t=30: the poll at t=1 has nothing to do.
    let mut c = reachable_a();
    assert_eq!(c.poll(t(1)), None);
    // A lookup of IP_B at t=1 starts its retransmit timer (due at t=2).
    assert_eq!(c.lookup(&IP_B, t(1)), Lookup::Request);
    assert_eq!(c.poll(t(1)), None);
    assert_eq!(
        c.poll(t(2)),
        Some(NeighborAction::Retransmit {
            addr: IP_B,
            unicast_hw: None
        })
    );
    // A STALE entry used starts DELAY (due 5 s later) while the window
    // would otherwise stand until IP_A's REACHABLE deadline.
    let mut c = reachable_a();
    c.fill(IP_C, HW_C, Fill::arp(true, false), t(0));
    assert_eq!(c.poll(t(1)), None);
    assert_eq!(c.lookup(&IP_C, t(1)), Lookup::Found(HW_C));
    assert_eq!(c.poll(t(5)), None);
    assert_eq!(
        c.poll(t(6)),
        Some(NeighborAction::Retransmit {
            addr: IP_C,
            unicast_hw: Some(HW_C)
        })
    );
    // An INCOMPLETE entry evicted for another is reported on the next
    // poll: the interface, which asks `is_quiet` before calling `poll`,
    // must not be told that nothing is due.
    let mut c = reachable_a();
    let ip_d = Ipv4Addr::new(192, 168, 1, 4);
    assert_eq!(c.lookup(&IP_B, t(1)), Lookup::Request);
    assert_eq!(c.lookup(&IP_C, t(1)), Lookup::Request);
    assert_eq!(c.poll(t(1)), None);
    assert!(c.is_quiet(t(1)));
    assert_eq!(c.lookup(&ip_d, t(1)), Lookup::Request);
    assert!(!c.is_quiet(t(1)));
    assert_eq!(c.poll(t(1)), Some(NeighborAction::Evicted(IP_B)));
}
