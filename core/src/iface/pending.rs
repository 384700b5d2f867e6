//! The queue of IP packets waiting for link-layer address resolution.
//!
//! RFC 1122 §2.3.2.2: "The link layer SHOULD save (rather than discard) at
//! least one (the latest) packet of each set of packets destined to the same
//! unresolved IP address". RFC 4861 §7.2.2 likewise queues packets while a
//! neighbor entry is INCOMPLETE, and drops them (with an ICMPv6 error) when
//! resolution fails.
//!
//! [`PendingQueue`] keeps those packets in one caller-provided byte arena.
//! Each packet is stored as a fixed header ([`PendingQueue::HEADER_LEN`]
//! bytes: length, next hop, enqueue time) followed by its bytes, in arrival
//! order, packed from the start of the arena. Packets for several next hops
//! interleave; taking one out of the middle moves the later ones down (a
//! `copy_within`), so the free space is always one block at the end and
//! nothing leaks however packets come and go. Queues are short (packets wait
//! at most a few seconds), so this move is cheap, and it keeps the arena free
//! of any allocator.
//!
//! A datagram too big for one frame is stored as its fragments, one packet
//! each, side by side; the first carries a mark, so that whatever leaves the
//! queue — sent, dropped, evicted — leaves as a whole datagram: a receiver
//! can do nothing with part of one (issue 10 item 20).
//!
//! # Bounds
//!
//! What unresolved neighbors may hold is bounded, as Linux bounds it per
//! neighbor (`unres_qlen_bytes`) and in total: a next hop still being
//! resolved holds at most a quarter of the packets and of the bytes
//! ([`PendingQueue::per_hop_packets`], [`PendingQueue::per_hop_bytes`]).
//! When the queue is full, room is made by evicting the oldest datagram of
//! the next hop that holds the most packets, so a flood of packets to many
//! addresses that never answer (one family or both) cannot keep a new
//! neighbor's packet out; see [`PendingQueue::make_room`].

use core::fmt;

use managed::ManagedSlice;

use crate::time::{Duration, Instant};
use crate::wire::IpAddr;

/// A packet could not be queued: the packet count or the byte arena is
/// exhausted (or the packet is longer than 65 535 bytes). The caller drops it
/// and counts the drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QueueFull;

impl fmt::Display for QueueFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("resolution queue full")
    }
}

impl core::error::Error for QueueFull {}

/// The header layout of one stored packet. All integers big-endian.
mod field {
    use crate::wire::Field;
    /// Length of the packet bytes that follow the header.
    pub const LEN: Field = 0..2;
    /// The next hop, as [`super::hop_key`] encodes it (family + 16 bytes).
    pub const HOP: Field = 2..19;
    /// Enqueue instant, in µs (`Instant::total_micros`).
    pub const TIME: Field = 19..27;
    /// Flags: [`FIRST`].
    pub const FLAGS: usize = 27;
    /// The packet starts a datagram (any other is a later fragment of the
    /// datagram stored just before it).
    pub const FIRST: u8 = 1;
    /// Total header length.
    pub const HEADER_LEN: usize = FLAGS + 1;
}

/// A next hop as stored: a family byte (4 or 6) then the address octets,
/// IPv4 zero-padded, so a comparison is a plain byte comparison.
type HopKey = [u8; 17];

fn hop_key(addr: &IpAddr) -> HopKey {
    let mut key = [0u8; 17];
    match addr {
        IpAddr::V4(a) => {
            key[0] = 4;
            key[1..5].copy_from_slice(&a.octets());
        }
        IpAddr::V6(a) => {
            key[0] = 6;
            key[1..17].copy_from_slice(&a.octets());
        }
    }
    key
}

/// The address a [`HopKey`] holds.
fn hop_addr(key: &HopKey) -> IpAddr {
    let mut v6 = [0u8; 16];
    v6.copy_from_slice(&key[1..17]);
    if key[0] == 4 {
        IpAddr::V4(crate::wire::Ipv4Addr::new(v6[0], v6[1], v6[2], v6[3]))
    } else {
        IpAddr::V6(crate::wire::Ipv6Addr::from(v6))
    }
}

/// The header of the packet stored at one offset.
struct Header {
    hop: HopKey,
    time: Instant,
    /// Header plus packet bytes.
    total: usize,
    /// It starts a datagram.
    first: bool,
}

/// How [`PendingQueue::make_room`] treats the next hop's own share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Room {
    /// The hop is resolved: its packets wait only for device buffers and
    /// leave on this poll. No per-hop bound.
    Resolved,
    /// The hop is being resolved and keeps to its share; past it, its oldest
    /// datagrams make way (RFC 1122 §2.3.2.2: save "at least one (the
    /// latest)"). For replies the stack generates.
    KeepLatest,
    /// The hop is being resolved and keeps to its share; past it, the new
    /// datagram is refused (a socket keeps it and tries again later, so its
    /// datagrams stay in order).
    Refuse,
}

/// A bounded FIFO of IP packets waiting for their next hop's link-layer
/// address, over caller storage. See the [module documentation](self).
///
/// Ordering is FIFO per next hop: [`pop_for`](Self::pop_for) returns the
/// oldest packet queued for that hop.
#[derive(Debug)]
pub struct PendingQueue<'a> {
    storage: ManagedSlice<'a, u8>,
    /// Bytes in use, all at the start of `storage`.
    used: usize,
    /// Packets stored.
    count: usize,
    /// The most packets stored at once.
    max_packets: usize,
    /// No packet queued was enqueued before this (`None`: none queued
    /// since the last look): [`expire`](Self::expire), asked on every poll
    /// while anything waits (a flood's SYN-ACKs to spoofed neighbors do,
    /// for seconds), answers without a walk until a packet can be due.
    oldest_bound: Option<Instant>,
}

impl<'a> PendingQueue<'a> {
    /// Arena bytes each packet costs on top of its own length.
    pub const HEADER_LEN: usize = field::HEADER_LEN;

    /// A queue over `storage` holding at most `max_packets` packets. Each
    /// packet takes [`HEADER_LEN`](Self::HEADER_LEN) plus its length bytes.
    pub fn new(storage: impl Into<ManagedSlice<'a, u8>>, max_packets: usize) -> Self {
        PendingQueue {
            storage: storage.into(),
            used: 0,
            count: 0,
            max_packets,
            oldest_bound: None,
        }
    }

    /// Packets queued.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when no packet is queued.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Arena bytes in use, headers included.
    pub fn bytes_used(&self) -> usize {
        self.used
    }

    /// The arena's size in bytes.
    pub fn capacity(&self) -> usize {
        self.storage.len()
    }

    /// The most packets the queue holds at once.
    pub fn max_packets(&self) -> usize {
        self.max_packets
    }

    /// The most packets a next hop being resolved may hold: a quarter of
    /// [`max_packets`](Self::max_packets) (at least one).
    pub fn per_hop_packets(&self) -> usize {
        (self.max_packets / 4).max(1)
    }

    /// The most arena bytes (headers included) a next hop being resolved may
    /// hold: a quarter of the arena.
    pub fn per_hop_bytes(&self) -> usize {
        self.storage.len() / 4
    }

    /// Makes room for a datagram of `packets` packets holding `bytes` bytes
    /// in all (headers not included) for `next_hop`, evicting whole
    /// datagrams: first the hop's own oldest when `room` is
    /// [`Room::KeepLatest`] and its share is full, then, while the queue is
    /// full, the oldest datagram of the other hop holding the most packets
    /// (the oldest such hop among equals). Returns how many packets were
    /// evicted (the caller counts them as drops); on `Err` nothing was
    /// evicted and the datagram does not fit.
    pub fn make_room(
        &mut self,
        next_hop: &IpAddr,
        packets: usize,
        bytes: usize,
        room: Room,
    ) -> Result<usize, QueueFull> {
        let key = hop_key(next_hop);
        let need = packets
            .checked_mul(field::HEADER_LEN)
            .and_then(|h| h.checked_add(bytes))
            .ok_or(QueueFull)?;
        let capped = room != Room::Resolved;
        if packets > self.max_packets
            || need > self.storage.len()
            || (capped && (packets > self.per_hop_packets() || need > self.per_hop_bytes()))
        {
            return Err(QueueFull);
        }
        let (own_packets, own_bytes) = self.held_by(&key);
        let own_over = capped
            && (own_packets + packets > self.per_hop_packets()
                || own_bytes + need > self.per_hop_bytes());
        if own_over && room == Room::Refuse {
            return Err(QueueFull);
        }
        // Check before evicting anything: everything but the hop's own
        // packets may go, and with KeepLatest those too.
        let evictable_bytes = if room == Room::KeepLatest {
            self.used
        } else {
            self.used - own_bytes
        };
        let evictable_packets = if room == Room::KeepLatest {
            self.count
        } else {
            self.count - own_packets
        };
        let keep_packets = self.count - evictable_packets;
        let keep_bytes = self.used - evictable_bytes;
        if keep_packets + packets > self.max_packets || keep_bytes + need > self.storage.len() {
            return Err(QueueFull);
        }
        let mut evicted = 0;
        if own_over {
            loop {
                let (p, b) = self.held_by(&key);
                if p + packets <= self.per_hop_packets() && b + need <= self.per_hop_bytes() {
                    break;
                }
                match self.evict_oldest_of(&key) {
                    0 => break,
                    n => evicted += n,
                }
            }
        }
        while self.count + packets > self.max_packets || self.used + need > self.storage.len() {
            let victim = match room {
                Room::KeepLatest => self.largest_hop(None),
                _ => self.largest_hop(Some(&key)),
            };
            let Some(victim) = victim else { break };
            match self.evict_oldest_of(&victim) {
                0 => break,
                n => evicted += n,
            }
        }
        Ok(evicted)
    }

    /// Packets and arena bytes held for `key`.
    fn held_by(&self, key: &HopKey) -> (usize, usize) {
        let (mut packets, mut bytes, mut offset) = (0, 0, 0);
        while let Some(h) = self.header_at(offset) {
            if h.hop == *key {
                packets += 1;
                bytes += h.total;
            }
            offset += h.total;
        }
        (packets, bytes)
    }

    /// The hop holding the most packets (the one queued first among
    /// equals), `except` one. Quadratic in the packets queued, which are
    /// few (the queue's packet bound), and run only when the queue is full.
    fn largest_hop(&self, except: Option<&HopKey>) -> Option<HopKey> {
        let mut best: Option<(usize, HopKey)> = None;
        let mut offset = 0;
        while let Some(h) = self.header_at(offset) {
            offset += h.total;
            if Some(&h.hop) == except {
                continue;
            }
            let n = self.held_by(&h.hop).0;
            if best.is_none_or(|(m, _)| n > m) {
                best = Some((n, h.hop));
            }
        }
        best.map(|(_, k)| k)
    }

    /// Removes the oldest datagram queued for `key` (its first stored packet
    /// and the fragments after it); returns how many packets went.
    fn evict_oldest_of(&mut self, key: &HopKey) -> usize {
        let Some((offset, first)) = self.find(key) else {
            return 0;
        };
        let (mut end, mut n) = (offset + first.total, 1);
        while let Some(h) = self.header_at(end) {
            if h.first || h.hop != *key {
                break;
            }
            end += h.total;
            n += 1;
        }
        self.storage.copy_within(end..self.used, offset);
        self.used -= end - offset;
        self.count = self.count.saturating_sub(n);
        n
    }

    /// Queues a packet of `len` bytes for `next_hop`, a datagram of its own,
    /// written in place by `fill` (the slice is zeroed first, so no byte of
    /// an earlier packet can leak onto the wire). `fill` is not called when
    /// the queue is full.
    pub fn enqueue(
        &mut self,
        next_hop: IpAddr,
        now: Instant,
        len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<(), QueueFull> {
        self.enqueue_part(next_hop, now, len, true, fill)
    }

    /// [`enqueue`](Self::enqueue) for one packet of a datagram stored as
    /// several (its fragments, queued one after another with no other
    /// packet between them): `first` marks the packet that starts it. Call
    /// [`make_room`](Self::make_room) for the whole datagram first, so that
    /// it is stored whole or not at all.
    pub fn enqueue_part(
        &mut self,
        next_hop: IpAddr,
        now: Instant,
        len: usize,
        first: bool,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<(), QueueFull> {
        if self.count >= self.max_packets {
            return Err(QueueFull);
        }
        let len16 = u16::try_from(len).map_err(|_| QueueFull)?;
        let start = self.used;
        let body = start.checked_add(field::HEADER_LEN).ok_or(QueueFull)?;
        let end = body.checked_add(len).ok_or(QueueFull)?;
        let slot = self.storage.get_mut(start..end).ok_or(QueueFull)?;
        let (header, packet) = slot.split_at_mut(field::HEADER_LEN);
        header[field::LEN].copy_from_slice(&len16.to_be_bytes());
        header[field::HOP].copy_from_slice(&hop_key(&next_hop));
        header[field::TIME].copy_from_slice(&now.total_micros().to_be_bytes());
        header[field::FLAGS] = if first { field::FIRST } else { 0 };
        packet.fill(0);
        fill(packet);
        self.used = end;
        self.count += 1;
        self.oldest_bound = Some(self.oldest_bound.map_or(now, |t| t.min(now)));
        Ok(())
    }

    /// The header of the packet at `offset`, or `None` past the end (or if
    /// the arena were ever inconsistent: then the walk simply stops).
    fn header_at(&self, offset: usize) -> Option<Header> {
        if offset >= self.used {
            return None;
        }
        let h = self
            .storage
            .get(offset..offset.checked_add(field::HEADER_LEN)?)?;
        let len = u16::from_be_bytes(h.get(field::LEN)?.try_into().ok()?);
        let hop: HopKey = h.get(field::HOP)?.try_into().ok()?;
        let micros = i64::from_be_bytes(h.get(field::TIME)?.try_into().ok()?);
        let first = h.get(field::FLAGS)? & field::FIRST != 0;
        let total = field::HEADER_LEN + usize::from(len);
        if offset.checked_add(total)? > self.used {
            return None;
        }
        Some(Header {
            hop,
            time: Instant::from_micros(micros),
            total,
            first,
        })
    }

    /// Offset and header of the oldest packet for `key`.
    fn find(&self, key: &HopKey) -> Option<(usize, Header)> {
        let mut offset = 0;
        while let Some(h) = self.header_at(offset) {
            if h.hop == *key {
                return Some((offset, h));
            }
            offset += h.total;
        }
        None
    }

    /// The oldest packet queued for `next_hop`, left in the queue (to send it
    /// only when the device has a transmit token, then
    /// [`pop_for`](Self::pop_for) it).
    pub fn peek_for(&self, next_hop: &IpAddr) -> Option<&[u8]> {
        let (offset, h) = self.find(&hop_key(next_hop))?;
        self.storage
            .get(offset + field::HEADER_LEN..offset + h.total)
    }

    /// Removes the oldest packet queued for `next_hop`, handing its bytes to
    /// `f` first (to send it, or to quote it in an ICMP error).
    pub fn pop_for<R>(&mut self, next_hop: &IpAddr, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let (offset, h) = self.find(&hop_key(next_hop))?;
        let packet = self
            .storage
            .get(offset + field::HEADER_LEN..offset + h.total)?;
        let r = f(packet);
        self.remove(offset, h.total);
        Some(r)
    }

    /// Removes `total` bytes at `offset`, moving the later packets down.
    fn remove(&mut self, offset: usize, total: usize) {
        let end = offset.saturating_add(total).min(self.used);
        self.storage.copy_within(end..self.used, offset);
        self.used -= end - offset;
        self.count = self.count.saturating_sub(1);
    }

    /// Removes every packet for which `drop` is true, in one pass that moves
    /// each kept packet at most once. Returns how many were removed.
    fn retain_not(&mut self, mut drop: impl FnMut(&Header) -> bool) -> usize {
        let (mut read, mut write, mut dropped) = (0, 0, 0);
        while let Some(h) = self.header_at(read) {
            if drop(&h) {
                dropped += 1;
            } else {
                if write != read {
                    self.storage.copy_within(read..read + h.total, write);
                }
                write += h.total;
            }
            read += h.total;
        }
        self.used = write;
        self.count = self.count.saturating_sub(dropped);
        dropped
    }

    /// Drops every packet queued for `next_hop` (its resolution failed or its
    /// entry was evicted) and returns how many, for the drop counter. To send
    /// an ICMP error for each instead, loop on [`pop_for`](Self::pop_for).
    pub fn drop_for(&mut self, next_hop: &IpAddr) -> usize {
        let key = hop_key(next_hop);
        self.retain_not(|h| h.hop == key)
    }

    /// Drops every packet queued `max_age` or longer ago (enqueued at or
    /// before `now - max_age`) and returns how many. A safety net for packets
    /// whose resolution was abandoned without a failure report (an entry
    /// removed by the user, or an eviction that could not be reported).
    pub fn expire(&mut self, now: Instant, max_age: Duration) -> usize {
        if self.oldest_bound.is_none_or(|t| now - t < max_age) {
            return 0;
        }
        let dropped = self.retain_not(|h| now - h.time >= max_age);
        self.oldest_bound = self.oldest();
        dropped
    }

    /// The enqueue instant of the oldest packet, so the caller can schedule
    /// [`expire`](Self::expire) (`oldest + max_age`).
    pub fn oldest(&self) -> Option<Instant> {
        let mut offset = 0;
        let mut oldest: Option<Instant> = None;
        while let Some(h) = self.header_at(offset) {
            oldest = Some(oldest.map_or(h.time, |o| o.min(h.time)));
            offset += h.total;
        }
        oldest
    }

    /// The next hop of every packet queued, oldest first (a hop appears
    /// once per packet).
    pub fn hops(&self) -> impl Iterator<Item = IpAddr> + '_ {
        let mut offset = 0;
        core::iter::from_fn(move || {
            let h = self.header_at(offset)?;
            offset += h.total;
            Some(hop_addr(&h.hop))
        })
    }

    /// Drops every packet.
    pub fn clear(&mut self) {
        self.used = 0;
        self.count = 0;
        self.oldest_bound = None;
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::wire::{Ipv4Addr, Ipv6Addr};
    use std::vec::Vec;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    const C: IpAddr = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1));
    const H: usize = PendingQueue::HEADER_LEN;

    fn t(ms: u64) -> Instant {
        Instant::ZERO + Duration::from_millis(ms)
    }

    /// Queues `len` bytes all equal to `tag`.
    fn put(q: &mut PendingQueue<'_>, hop: IpAddr, tag: u8, len: usize) -> Result<(), QueueFull> {
        q.enqueue(hop, t(0), len, |b| b.fill(tag))
    }

    /// Pops the oldest packet for `hop` as (tag, len).
    fn take(q: &mut PendingQueue<'_>, hop: IpAddr) -> Option<(u8, usize)> {
        q.pop_for(&hop, |p| {
            assert!(p.iter().all(|&b| Some(&b) == p.first()), "packet intact");
            (p.first().copied().unwrap_or(0), p.len())
        })
    }

    #[test]
    fn rfc1122_2_3_2_2_fifo_per_hop_with_interleaved_hops() {
        let mut buf = [0u8; 1024];
        let mut q = PendingQueue::new(&mut buf[..], 16);
        put(&mut q, A, 1, 10).unwrap();
        put(&mut q, B, 2, 20).unwrap();
        put(&mut q, A, 3, 30).unwrap();
        put(&mut q, C, 4, 40).unwrap();
        put(&mut q, B, 5, 50).unwrap();
        assert_eq!(q.len(), 5);
        assert_eq!(q.bytes_used(), 5 * H + 150);
        assert_eq!(q.peek_for(&B).map(|p| p.len()), Some(20));
        assert_eq!(take(&mut q, B), Some((2, 20)));
        assert_eq!(take(&mut q, A), Some((1, 10)));
        assert_eq!(take(&mut q, B), Some((5, 50)));
        assert_eq!(take(&mut q, B), None);
        assert_eq!(take(&mut q, C), Some((4, 40)));
        assert_eq!(take(&mut q, A), Some((3, 30)));
        assert_eq!(take(&mut q, A), None);
        assert!(q.is_empty());
        assert_eq!(q.bytes_used(), 0, "no space leaked");
    }

    #[test]
    fn ipv4_and_ipv6_hops_never_match_each_other() {
        // ::a00:1 has the same last four octets as 10.0.0.1.
        let v6 = IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0x0a00, 1));
        let v4_mapped_bytes = IpAddr::V6(Ipv6Addr::new(0x0a00, 1, 0, 0, 0, 0, 0, 0));
        let mut buf = [0u8; 256];
        let mut q = PendingQueue::new(&mut buf[..], 4);
        put(&mut q, A, 1, 4).unwrap();
        assert_eq!(take(&mut q, v6), None);
        assert_eq!(take(&mut q, v4_mapped_bytes), None);
        assert_eq!(take(&mut q, A), Some((1, 4)));
    }

    #[test]
    fn full_by_bytes() {
        let mut buf = [0u8; 2 * H + 100];
        let mut q = PendingQueue::new(&mut buf[..], 16);
        put(&mut q, A, 1, 60).unwrap();
        let mut called = false;
        let r = q.enqueue(A, t(0), 41, |_| called = true);
        assert_eq!(r, Err(QueueFull));
        assert!(!called, "fill is not called when refused");
        assert_eq!(q.len(), 1);
        // Exactly the remaining space fits.
        put(&mut q, B, 2, 40).unwrap();
        assert_eq!(q.bytes_used(), q.capacity());
        assert_eq!(put(&mut q, B, 3, 0), Err(QueueFull));
        // Too long for the length field, whatever the arena.
        let mut big = [0u8; 0];
        let mut q2 = PendingQueue::new(&mut big[..], 1);
        assert_eq!(put(&mut q2, A, 1, 65_536), Err(QueueFull));
        assert_eq!(q2.enqueue(A, t(0), usize::MAX, |_| ()), Err(QueueFull));
    }

    #[test]
    fn full_by_count() {
        let mut buf = [0u8; 4096];
        let mut q = PendingQueue::new(&mut buf[..], 3);
        for i in 0..3 {
            put(&mut q, A, i, 1).unwrap();
        }
        assert_eq!(put(&mut q, B, 9, 1), Err(QueueFull));
        assert_eq!(take(&mut q, A), Some((0, 1)));
        put(&mut q, B, 9, 1).unwrap();
        assert_eq!(q.len(), 3);
        let mut none = [0u8; 64];
        let mut q0 = PendingQueue::new(&mut none[..], 0);
        assert_eq!(put(&mut q0, A, 1, 1), Err(QueueFull));
    }

    #[test]
    fn space_is_reused_after_pops_over_many_rounds() {
        let mut buf = [0u8; 3 * (H + 100)];
        let mut q = PendingQueue::new(&mut buf[..], 8);
        let hops = [A, B, C];
        for round in 0..1000usize {
            // Fill to the brim with three hops interleaved.
            for (i, hop) in hops.iter().enumerate() {
                put(&mut q, *hop, (round + i) as u8, 100).unwrap();
            }
            assert_eq!(put(&mut q, A, 0, 0), Err(QueueFull));
            // Drain from the middle first.
            let order = [
                hops[round % 3],
                hops[(round + 1) % 3],
                hops[(round + 2) % 3],
            ];
            for hop in order {
                let i = hops.iter().position(|h| *h == hop).unwrap();
                assert_eq!(take(&mut q, hop), Some(((round + i) as u8, 100)));
            }
            assert_eq!((q.len(), q.bytes_used()), (0, 0));
        }
    }

    #[test]
    fn drop_for_removes_only_that_hop_and_keeps_order() {
        let mut buf = [0u8; 1024];
        let mut q = PendingQueue::new(&mut buf[..], 16);
        put(&mut q, A, 1, 5).unwrap();
        put(&mut q, B, 2, 6).unwrap();
        put(&mut q, A, 3, 7).unwrap();
        put(&mut q, B, 4, 8).unwrap();
        put(&mut q, A, 5, 9).unwrap();
        assert_eq!(q.drop_for(&A), 3);
        assert_eq!(q.drop_for(&A), 0);
        assert_eq!(q.len(), 2);
        assert_eq!(q.bytes_used(), 2 * H + 14);
        assert_eq!(take(&mut q, B), Some((2, 6)));
        assert_eq!(take(&mut q, B), Some((4, 8)));
        assert!(q.is_empty());
    }

    #[test]
    fn expire_at_exact_age() {
        let mut buf = [0u8; 1024];
        let mut q = PendingQueue::new(&mut buf[..], 16);
        q.enqueue(A, t(0), 1, |b| b[0] = 1).unwrap();
        q.enqueue(B, t(1000), 1, |b| b[0] = 2).unwrap();
        q.enqueue(A, t(2000), 1, |b| b[0] = 3).unwrap();
        assert_eq!(q.oldest(), Some(t(0)));
        let age = Duration::from_secs(3);
        let us = Duration::from_micros(1);
        assert_eq!(q.expire(t(3000) - us, age), 0);
        assert_eq!(q.expire(t(3000), age), 1);
        assert_eq!(q.oldest(), Some(t(1000)));
        assert_eq!(q.expire(t(4000) - us, age), 0);
        assert_eq!(q.expire(t(5000), age), 2);
        assert!(q.is_empty());
        assert_eq!(q.bytes_used(), 0);
        assert_eq!(q.oldest(), None);
    }

    #[test]
    fn expire_finds_every_old_packet_whatever_left_before() {
        // The bound that spares expire its walk stays a lower bound
        // through removals of other kinds and through a clear.
        let mut buf = [0u8; 1024];
        let mut q = PendingQueue::new(&mut buf[..], 16);
        let age = Duration::from_secs(3);
        q.enqueue(A, t(0), 1, |b| b[0] = 1).unwrap();
        q.enqueue(B, t(500), 1, |b| b[0] = 2).unwrap();
        assert_eq!(q.drop_for(&A), 1);
        q.enqueue(A, t(2000), 1, |b| b[0] = 3).unwrap();
        assert_eq!(q.expire(t(3000), age), 0, "the packet of t=0 left already");
        assert_eq!(q.expire(t(3500), age), 1, "B, enqueued at 500");
        assert_eq!(q.expire(t(4999), age), 0);
        assert_eq!(q.expire(t(5000), age), 1);
        q.enqueue(B, t(6000), 1, |b| b[0] = 4).unwrap();
        q.clear();
        q.enqueue(A, t(7000), 1, |b| b[0] = 5).unwrap();
        assert_eq!(q.expire(t(9999), age), 0);
        assert_eq!(q.expire(t(10_000), age), 1);
        assert!(q.is_empty());
    }

    #[test]
    fn fill_writes_in_place_over_zeroed_bytes() {
        let mut buf = [0u8; 256];
        let mut q = PendingQueue::new(&mut buf[..], 4);
        put(&mut q, A, 0xee, 50).unwrap();
        take(&mut q, A).unwrap();
        // The arena's bytes now hold 0xee; a fill that writes nothing must
        // still see (and send) zeros.
        q.enqueue(A, t(0), 50, |b| assert!(b.iter().all(|&x| x == 0)))
            .unwrap();
        let sent: Vec<u8> = q.pop_for(&A, |p| p.to_vec()).unwrap();
        assert_eq!(sent, [0u8; 50]);
    }

    #[test]
    fn clear_empties_the_queue() {
        let mut buf = [0u8; 128];
        let mut q = PendingQueue::new(&mut buf[..], 4);
        put(&mut q, C, 7, 10).unwrap();
        q.clear();
        assert_eq!((q.len(), q.bytes_used()), (0, 0));
        assert_eq!(take(&mut q, C), None);
    }

    /// Queues a datagram of `parts` packets of `len` bytes for `hop`, after
    /// making room for it with `room`; gives the packets evicted.
    fn put_datagram(
        q: &mut PendingQueue<'_>,
        hop: IpAddr,
        tag: u8,
        parts: usize,
        len: usize,
        room: Room,
    ) -> Result<usize, QueueFull> {
        let evicted = q.make_room(&hop, parts, parts * len, room)?;
        for i in 0..parts {
            q.enqueue_part(hop, t(0), len, i == 0, |b| b.fill(tag))
                .expect("make_room made room");
        }
        Ok(evicted)
    }

    /// Issue 10 item 20: a datagram in several packets is stored whole,
    /// making room by evicting whole datagrams of others, never in part.
    #[test]
    fn a_fragmented_datagram_is_stored_whole_or_not_at_all() {
        let mut buf = [0u8; 64 * (H + 100)];
        let mut q = PendingQueue::new(&mut buf[..], 64);
        // 63 one-packet datagrams for 63 hops: one slot left.
        for i in 0..63u32 {
            let hop = IpAddr::V4(Ipv4Addr::from_bits(0x0a00_0100 + i));
            put_datagram(&mut q, hop, 1, 1, 100, Room::KeepLatest).unwrap();
        }
        assert_eq!(q.len(), 63);
        let evicted = put_datagram(&mut q, C, 9, 3, 100, Room::Resolved).unwrap();
        assert_eq!(evicted, 2, "the two oldest datagrams made way");
        assert_eq!(q.len(), 64);
        for _ in 0..3 {
            assert_eq!(take(&mut q, C), Some((9, 100)));
        }
        let first = IpAddr::V4(Ipv4Addr::from_bits(0x0a00_0100));
        assert_eq!(take(&mut q, first), None, "the oldest went first");
    }

    #[test]
    fn evicting_a_fragmented_datagram_takes_all_its_fragments() {
        let mut buf = [0u8; 8 * (H + 100)];
        let mut q = PendingQueue::new(&mut buf[..], 8);
        put_datagram(&mut q, A, 1, 3, 100, Room::Resolved).unwrap();
        put_datagram(&mut q, A, 2, 2, 100, Room::Resolved).unwrap();
        put_datagram(&mut q, B, 3, 3, 100, Room::Resolved).unwrap();
        // Full: C's two packets evict A's first datagram (A holds the most),
        // all three of its fragments, and nothing of its second.
        assert_eq!(put_datagram(&mut q, C, 4, 2, 100, Room::Resolved), Ok(3));
        assert_eq!(take(&mut q, A), Some((2, 100)));
        assert_eq!(take(&mut q, A), Some((2, 100)));
        assert_eq!(take(&mut q, A), None);
        assert_eq!(q.len(), 5);
    }

    #[test]
    fn an_unresolved_hop_keeps_to_its_share() {
        let mut buf = [0u8; 16 * (H + 100)];
        let mut q = PendingQueue::new(&mut buf[..], 16);
        assert_eq!(q.per_hop_packets(), 4);
        for tag in 0..4 {
            put_datagram(&mut q, A, tag, 1, 100, Room::Refuse).unwrap();
        }
        // Refuse: a fifth is refused and nothing is evicted.
        assert_eq!(
            put_datagram(&mut q, A, 4, 1, 100, Room::Refuse),
            Err(QueueFull)
        );
        assert_eq!(q.len(), 4);
        // KeepLatest: the oldest makes way (RFC 1122 §2.3.2.2).
        assert_eq!(put_datagram(&mut q, A, 5, 1, 100, Room::KeepLatest), Ok(1));
        assert_eq!(take(&mut q, A), Some((1, 100)));
        // Larger than a share: never queued for an unresolved hop, but a
        // resolved hop may use the whole queue.
        assert_eq!(
            put_datagram(&mut q, B, 6, 5, 100, Room::KeepLatest),
            Err(QueueFull)
        );
        assert_eq!(put_datagram(&mut q, B, 6, 13, 100, Room::Resolved), Ok(0));
        assert_eq!(q.len(), 16);
    }

    /// Issue 10 item 19: a queue full of packets for many unresolved IPv4
    /// hops still takes a packet for a new IPv6 neighbor.
    #[test]
    fn a_flood_to_many_hops_of_one_family_leaves_room_for_another() {
        let mut buf = [0u8; 64 * (H + 60)];
        let mut q = PendingQueue::new(&mut buf[..], 64);
        for i in 0..300u32 {
            let hop = IpAddr::V4(Ipv4Addr::from_bits(0x0a00_0000 + i));
            put_datagram(&mut q, hop, 1, 1, 60, Room::KeepLatest).unwrap();
        }
        assert_eq!(q.len(), 64);
        assert_eq!(put_datagram(&mut q, C, 7, 1, 60, Room::KeepLatest), Ok(1));
        assert_eq!(take(&mut q, C), Some((7, 60)));
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn owned_storage_works_the_same() {
        let mut q = PendingQueue::new(std::vec![0u8; 2 * (H + 10)], 4);
        put(&mut q, C, 7, 10).unwrap();
        put(&mut q, A, 8, 10).unwrap();
        assert_eq!(put(&mut q, A, 9, 1), Err(QueueFull));
        assert_eq!(take(&mut q, A), Some((8, 10)));
        assert_eq!(take(&mut q, C), Some((7, 10)));
    }
}
