//! The socket index: finds the socket for an incoming packet without
//! scanning the set.
//!
//! An open-addressing hash table over caller storage, keyed by what a
//! packet's header names (protocol kind, local port, local address). A lookup
//! costs a hash and, at load ≤ ½, about one probe: 10 000 sockets cost what
//! 10 do. The hash is keyed by a per-set seed, so a peer that chooses ports
//! cannot aim collisions at one bucket chain.

use core::cell::Cell;

use managed::ManagedSlice;

use crate::wire::IpAddr;

/// What kind of socket a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Udp,
    Icmp,
    Raw,
    Tcp,
}

/// The lookup key: a kind, a port (or ICMP ident, or raw protocol) and the
/// local address, `None` for "every address".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub kind: Kind,
    pub port: u16,
    pub addr: Option<IpAddr>,
    /// The remote endpoint of a connected TCP socket (`None` for the rest).
    pub remote: Option<crate::wire::IpEndpoint>,
}

/// One slot of the index's storage.
#[derive(Debug, Clone, Copy, Default)]
pub struct IndexSlot {
    state: SlotState,
}

#[derive(Debug, Clone, Copy, Default)]
enum SlotState {
    #[default]
    Empty,
    /// Removed: lookups probe past it, inserts reuse it.
    Tombstone,
    Used {
        key: Key,
        handle: usize,
    },
    /// Only during an in-place rehash: a live entry not yet placed.
    Pending {
        key: Key,
        handle: usize,
    },
}

impl IndexSlot {
    /// An empty slot, for storage in a `static` (`[IndexSlot::EMPTY; N]`).
    pub const EMPTY: IndexSlot = IndexSlot {
        state: SlotState::Empty,
    };
}

/// The table is full (borrowed storage cannot grow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexFull;

impl core::fmt::Display for IndexFull {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the socket index is full (its borrowed storage cannot grow)")
    }
}

impl core::error::Error for IndexFull {}

pub(crate) struct SocketIndex<'a> {
    slots: ManagedSlice<'a, IndexSlot>,
    used: usize,
    tombstones: usize,
    seed: u64,
    /// Keys held per kind, and among them those naming a local address:
    /// a lookup the table cannot answer is skipped without hashing (no raw
    /// socket, no UDP socket bound to one address: the common case).
    per_kind: [u32; 4],
    specific: [u32; 4],
    /// The last TCP connection found (a key with a remote endpoint) and its
    /// handle: a bulk transfer's every segment names the same 4-tuple, and a
    /// key comparison costs a tenth of the hash and probe. Cleared by every
    /// `insert` and `remove`, the only changes of what a key maps to, so a
    /// hit answers exactly what the table would.
    last: Cell<Option<(Key, usize)>>,
}

impl<'a> SocketIndex<'a> {
    pub(crate) fn new(slots: ManagedSlice<'a, IndexSlot>, seed: u64) -> SocketIndex<'a> {
        let mut index = SocketIndex {
            slots,
            used: 0,
            tombstones: 0,
            seed,
            per_kind: [0; 4],
            specific: [0; 4],
            last: Cell::new(None),
        };
        for s in index.slots.iter_mut() {
            *s = IndexSlot::default();
        }
        index
    }

    /// Slots a probe sequence uses: the largest power of two in storage.
    fn capacity(&self) -> usize {
        match self.slots.len() {
            0 => 0,
            n => 1 << (usize::BITS - 1 - n.leading_zeros()),
        }
    }

    fn hash(&self, key: &Key) -> u64 {
        // A keyed multiply-xorshift mix (splitmix64 finaliser) over the key's
        // fields; cheap, and unpredictable without the seed.
        let mut h = self.seed ^ 0x9e37_79b9_7f4a_7c15;
        let mut mix = |v: u64| {
            h = (h ^ v).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            h ^= h >> 31;
        };
        mix(key.kind as u64);
        mix(u64::from(key.port));
        if let Some(r) = key.remote {
            mix(u64::from(r.port) | 1 << 20);
            match r.addr {
                IpAddr::V4(a) => mix(u64::from(a.to_bits())),
                IpAddr::V6(a) => {
                    let b = a.to_bits();
                    mix((b >> 64) as u64);
                    mix(b as u64);
                }
            }
        }
        match key.addr {
            None => mix(0),
            Some(IpAddr::V4(a)) => mix(u64::from(a.to_bits()) | 1 << 40),
            Some(IpAddr::V6(a)) => {
                let b = a.to_bits();
                mix((b >> 64) as u64);
                mix(b as u64 | 1);
            }
        }
        h ^= h >> 27;
        h.wrapping_mul(0x94d0_49bb_1331_11eb)
    }

    /// Whether the table holds any key of `kind` (`specific`: any that
    /// names a local address).
    pub(crate) fn holds(&self, kind: Kind, specific: bool) -> bool {
        let counts = if specific {
            &self.specific
        } else {
            &self.per_kind
        };
        counts[kind as usize] != 0
    }

    fn count(&mut self, key: &Key, add: bool) {
        let k = key.kind as usize;
        let step = |n: &mut u32| *n = if add { *n + 1 } else { n.saturating_sub(1) };
        step(&mut self.per_kind[k]);
        if key.addr.is_some() {
            step(&mut self.specific[k]);
        }
    }

    #[inline]
    pub(crate) fn get(&self, key: &Key) -> Option<usize> {
        match self.last.get() {
            Some((k, handle)) if k == *key => Some(handle),
            _ => self.probe(key),
        }
    }

    fn probe(&self, key: &Key) -> Option<usize> {
        let cap = self.capacity();
        if cap == 0 {
            return None;
        }
        let mask = cap - 1;
        let mut i = self.hash(key) as usize & mask;
        for _ in 0..cap {
            match self.slots.get(i)?.state {
                SlotState::Empty => return None,
                SlotState::Used { key: k, handle } if k == *key => {
                    if k.remote.is_some() {
                        self.last.set(Some((k, handle)));
                    }
                    return Some(handle);
                }
                _ => {}
            }
            i = (i + 1) & mask;
        }
        None
    }

    pub(crate) fn insert(&mut self, key: Key, handle: usize) -> Result<(), IndexFull> {
        self.remove(&key);
        self.last.set(None);
        self.reserve_one()?;
        let cap = self.capacity();
        let mask = cap - 1;
        let mut i = self.hash(&key) as usize & mask;
        for _ in 0..cap {
            let slot = self.slots.get_mut(i).ok_or(IndexFull)?;
            match slot.state {
                SlotState::Empty | SlotState::Tombstone => {
                    if matches!(slot.state, SlotState::Tombstone) {
                        self.tombstones -= 1;
                    }
                    slot.state = SlotState::Used { key, handle };
                    self.used += 1;
                    self.count(&key, true);
                    return Ok(());
                }
                SlotState::Used { .. } | SlotState::Pending { .. } => {}
            }
            i = (i + 1) & mask;
        }
        Err(IndexFull)
    }

    pub(crate) fn remove(&mut self, key: &Key) -> Option<usize> {
        self.last.set(None);
        let cap = self.capacity();
        if cap == 0 {
            return None;
        }
        let mask = cap - 1;
        let mut i = self.hash(key) as usize & mask;
        for _ in 0..cap {
            let slot = self.slots.get_mut(i)?;
            match slot.state {
                SlotState::Empty => return None,
                SlotState::Used { key: k, handle } if k == *key => {
                    slot.state = SlotState::Tombstone;
                    self.used -= 1;
                    self.tombstones += 1;
                    self.count(&k, false);
                    return Some(handle);
                }
                _ => {}
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// Makes room for one more key: keeps the load (used + tombstones)
    /// at most ½ so probes stay short; grows owned storage, rebuilds in
    /// place when tombstones are the problem, refuses when borrowed storage
    /// is truly full.
    fn reserve_one(&mut self) -> Result<(), IndexFull> {
        let cap = self.capacity();
        if (self.used + self.tombstones + 1) * 2 <= cap {
            return Ok(());
        }
        let want = if (self.used + 1) * 2 <= cap {
            cap
        } else {
            (cap * 2).max(16)
        };
        self.rebuild(want)?;
        if (self.used + 1) * 2 <= self.capacity() || self.used < self.capacity() {
            Ok(())
        } else {
            Err(IndexFull)
        }
    }

    fn rebuild(&mut self, want: usize) -> Result<(), IndexFull> {
        let grow = want > self.capacity();
        #[cfg(feature = "alloc")]
        if grow {
            if let ManagedSlice::Owned(v) = &mut self.slots {
                let mut old = core::mem::take(v);
                v.resize(want, IndexSlot::default());
                self.used = 0;
                self.tombstones = 0;
                for slot in old.drain(..) {
                    if let SlotState::Used { key, handle } = slot.state {
                        self.insert_fresh(key, handle);
                    }
                }
                return Ok(());
            }
        }
        if grow && self.tombstones == 0 {
            // Borrowed storage: fill past ½ rather than refuse while any
            // slot is free; lookups stay correct, only slower.
            return if self.used < self.capacity() {
                Ok(())
            } else {
                Err(IndexFull)
            };
        }
        // Rehash in place to drop tombstones. Every live entry is first
        // marked `Pending`, then placed in turn at the first slot of its
        // probe sequence that is not `Used`. An entry only ever skips `Used`
        // slots, and a `Used` slot never changes again during the rehash, so
        // no probe chain can be broken by a later move. (Reinserting in slot
        // order without the mark is wrong: an entry whose chain wraps past
        // the end skips entries not yet moved, and moving those later leaves
        // a hole in its chain: a lookup then misses a live key.) Each swap
        // places one entry for good, so this ends after at most `cap` moves.
        let cap = self.capacity();
        for i in 0..cap {
            if let Some(s) = self.slots.get_mut(i) {
                s.state = match s.state {
                    SlotState::Tombstone | SlotState::Empty => SlotState::Empty,
                    SlotState::Used { key, handle } | SlotState::Pending { key, handle } => {
                        SlotState::Pending { key, handle }
                    }
                };
            }
        }
        self.tombstones = 0;
        let mask = cap.wrapping_sub(1);
        for i in 0..cap {
            // Bounded: each pass of the loop either ends it or places one
            // entry as `Used`, and there are at most `cap` entries.
            for _ in 0..=cap {
                let Some(&IndexSlot {
                    state: SlotState::Pending { key, handle },
                }) = self.slots.get(i)
                else {
                    break;
                };
                let mut j = self.hash(&key) as usize & mask;
                for _ in 0..cap {
                    if j == i
                        || !matches!(
                            self.slots.get(j).map(|s| s.state),
                            Some(SlotState::Used { .. })
                        )
                    {
                        break;
                    }
                    j = (j + 1) & mask;
                }
                let placed = SlotState::Used { key, handle };
                if j == i {
                    if let Some(s) = self.slots.get_mut(i) {
                        s.state = placed;
                    }
                    break;
                }
                let Some(target) = self.slots.get_mut(j) else {
                    break;
                };
                let displaced = core::mem::replace(&mut target.state, placed);
                // An empty target frees slot `i`; a pending one swaps in and
                // is placed on the next pass.
                if let Some(s) = self.slots.get_mut(i) {
                    s.state = match displaced {
                        SlotState::Pending { .. } => displaced,
                        _ => SlotState::Empty,
                    };
                }
            }
        }
        debug_assert!(self
            .slots
            .iter()
            .all(|s| !matches!(s.state, SlotState::Pending { .. } | SlotState::Tombstone)));
        Ok(())
    }

    /// Inserts a key known to be absent into a table with a free slot.
    #[cfg(feature = "alloc")]
    fn insert_fresh(&mut self, key: Key, handle: usize) {
        let cap = self.capacity();
        if cap == 0 {
            return;
        }
        let mask = cap - 1;
        let mut i = self.hash(&key) as usize & mask;
        for _ in 0..cap {
            if let Some(slot) = self.slots.get_mut(i) {
                if matches!(slot.state, SlotState::Empty) {
                    slot.state = SlotState::Used { key, handle };
                    self.used += 1;
                    return;
                }
            }
            i = (i + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    #[cfg(feature = "alloc")]
    use crate::wire::Ipv4Addr;
    #[cfg(feature = "alloc")]
    use std::vec;

    fn key(port: u16) -> Key {
        Key {
            kind: Kind::Udp,
            port,
            addr: None,
            remote: None,
        }
    }

    fn conn(port: u16, remote_port: u16) -> Key {
        Key {
            kind: Kind::Tcp,
            port,
            addr: Some(IpAddr::V4(crate::wire::Ipv4Addr::new(10, 0, 0, 1))),
            remote: Some(crate::wire::IpEndpoint::new(
                IpAddr::V4(crate::wire::Ipv4Addr::new(10, 0, 0, 2)),
                remote_port,
            )),
        }
    }

    /// The last connection found is remembered; a removal or a new mapping
    /// must never let a lookup answer from that memory (a segment handed to
    /// the wrong slot, or to a socket whose connection is gone).
    #[test]
    fn remembered_connection_follows_every_change() {
        let mut storage = [IndexSlot::default(); 8];
        let mut idx = SocketIndex::new(ManagedSlice::Borrowed(&mut storage[..]), 3);
        idx.insert(conn(80, 1000), 1).unwrap();
        idx.insert(conn(80, 1001), 2).unwrap();
        assert_eq!(idx.get(&conn(80, 1000)), Some(1));
        assert_eq!(idx.get(&conn(80, 1000)), Some(1));
        assert_eq!(idx.get(&conn(80, 1001)), Some(2));
        assert_eq!(idx.get(&conn(80, 1002)), None);
        assert_eq!(idx.remove(&conn(80, 1001)), Some(2));
        assert_eq!(idx.get(&conn(80, 1001)), None);
        assert_eq!(idx.get(&conn(80, 1000)), Some(1));
        idx.insert(conn(80, 1000), 5).unwrap();
        assert_eq!(idx.get(&conn(80, 1000)), Some(5));
        idx.remove(&conn(80, 1000));
        assert_eq!(idx.get(&conn(80, 1000)), None);
    }

    #[test]
    fn insert_get_remove_in_borrowed_storage() {
        let mut storage = [IndexSlot::default(); 8];
        let mut idx = SocketIndex::new(ManagedSlice::Borrowed(&mut storage[..]), 42);
        for p in 1..=8u16 {
            idx.insert(key(p), p as usize).unwrap();
        }
        assert_eq!(idx.insert(key(9), 9), Err(IndexFull));
        for p in 1..=8u16 {
            assert_eq!(idx.get(&key(p)), Some(p as usize));
        }
        assert_eq!(idx.remove(&key(3)), Some(3));
        assert_eq!(idx.get(&key(3)), None);
        idx.insert(key(9), 9).unwrap();
        assert_eq!(idx.get(&key(9)), Some(9));
        for p in [1u16, 2, 4, 5, 6, 7, 8] {
            assert_eq!(idx.get(&key(p)), Some(p as usize));
        }
    }

    #[test]
    fn churn_does_not_fill_with_tombstones() {
        let mut storage = [IndexSlot::default(); 16];
        let mut idx = SocketIndex::new(ManagedSlice::Borrowed(&mut storage[..]), 7);
        for round in 0..1000u16 {
            idx.insert(key(round), round as usize).unwrap();
            assert_eq!(idx.get(&key(round)), Some(round as usize));
            assert_eq!(idx.remove(&key(round)), Some(round as usize));
        }
        assert_eq!(idx.used, 0);
    }

    #[test]
    #[cfg(feature = "alloc")]
    fn address_is_part_of_the_key() {
        let mut idx = SocketIndex::new(ManagedSlice::Owned(vec![]), 1);
        let a = Key {
            kind: Kind::Udp,
            port: 7,
            addr: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
            remote: None,
        };
        idx.insert(a, 1).unwrap();
        idx.insert(key(7), 2).unwrap();
        assert_eq!(idx.get(&a), Some(1));
        assert_eq!(idx.get(&key(7)), Some(2));
        let icmp = Key {
            kind: Kind::Icmp,
            ..key(7)
        };
        assert_eq!(idx.get(&icmp), None);
    }

    #[test]
    #[cfg(feature = "alloc")]
    fn owned_storage_grows_to_ten_thousand_keys() {
        let mut idx = SocketIndex::new(ManagedSlice::Owned(vec![]), 99);
        for p in 0..10_000u16 {
            idx.insert(key(p), p as usize).unwrap();
        }
        assert!(idx.capacity() >= 20_000);
        for p in 0..10_000u16 {
            assert_eq!(idx.get(&key(p)), Some(p as usize));
        }
        assert_eq!(idx.get(&key(10_001)), None);
    }

    /// Random inserts and removes against a model: after every operation
    /// every live key is found with its handle and every removed key is
    /// gone. Churn fills the table with tombstones, so the in-place rehash
    /// runs many times, including over probe chains that wrap past the
    /// table's end (a connection's 4-tuple key missed by a lookup after
    /// such a rehash sent an established connection's segment to its
    /// listener, which answered with a reset).
    #[test]
    fn random_churn_keeps_every_live_key_findable() {
        let mut rng: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for seed in 0..64u64 {
            let mut storage = [IndexSlot::default(); 32];
            let mut idx = SocketIndex::new(ManagedSlice::Borrowed(&mut storage[..]), seed);
            // The model: which of 24 ports is live, and its handle.
            let mut model = [None::<usize>; 24];
            for step in 0..4000usize {
                let p = (next() % 24) as usize;
                let live = model.iter().filter(|m| m.is_some()).count();
                if model[p].is_some() && next() % 2 == 0 {
                    assert_eq!(idx.remove(&key(p as u16)), model[p]);
                    model[p] = None;
                } else if live < 12 || model[p].is_some() {
                    idx.insert(key(p as u16), step).unwrap();
                    model[p] = Some(step);
                }
                for (q, m) in model.iter().enumerate() {
                    assert_eq!(
                        idx.get(&key(q as u16)),
                        *m,
                        "seed {seed} step {step}: key {q}"
                    );
                }
            }
        }
    }

    /// The per-kind counts let a lookup skip the table: they must follow
    /// every insert, replace, remove and in-place rebuild, or a bound
    /// socket would stop receiving.
    #[test]
    fn holds_follows_inserts_and_removes() {
        let mut storage = [IndexSlot::default(); 8];
        let mut idx = SocketIndex::new(ManagedSlice::Borrowed(&mut storage[..]), 3);
        assert!(!idx.holds(Kind::Udp, false) && !idx.holds(Kind::Raw, false));
        let specific = Key {
            addr: Some(IpAddr::V4(crate::wire::Ipv4Addr::new(10, 0, 0, 1))),
            ..key(53)
        };
        idx.insert(key(1), 0).unwrap();
        idx.insert(key(1), 1).unwrap(); // a replace counts once
        idx.insert(specific, 2).unwrap();
        assert!(idx.holds(Kind::Udp, false) && idx.holds(Kind::Udp, true));
        assert!(!idx.holds(Kind::Tcp, false) && !idx.holds(Kind::Raw, false));
        // Churn that leaves tombstones and forces in-place rebuilds.
        for p in 100..140 {
            idx.insert(key(p), 3).unwrap();
            assert_eq!(idx.remove(&key(p)), Some(3));
        }
        assert!(idx.holds(Kind::Udp, true));
        assert_eq!(idx.get(&specific), Some(2));
        assert_eq!(idx.remove(&specific), Some(2));
        assert!(!idx.holds(Kind::Udp, true) && idx.holds(Kind::Udp, false));
        assert_eq!(idx.remove(&key(1)), Some(1));
        assert!(!idx.holds(Kind::Udp, false));
        assert_eq!(idx.remove(&key(1)), None);
        assert!(!idx.holds(Kind::Udp, false));
    }
}
