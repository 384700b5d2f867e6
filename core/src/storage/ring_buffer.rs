//! A fixed-capacity ring of elements over caller-provided storage.
//!
//! The ring is the one queue shape of the crate: packet buffers use one ring
//! for packet descriptors and one of bytes for payloads, and TCP uses a byte
//! ring for each direction. Everything is done in place: the `*_with`
//! methods lend the largest *contiguous* part of the free or used space to a
//! closure, so that the caller can write or read straight into the storage
//! (zero copy); the `*_slice` helpers copy through two such rounds to cover
//! the wrap-around.
//!
//! The "unallocated" methods write *past* the tail without committing the
//! bytes: a TCP receiver puts out-of-order data at its place in the window
//! (RFC 9293 §3.10.7.4: segments are "processed in sequence number order",
//! so data ahead of a hole is held until the hole is filled), then commits it
//! with [`enqueue_unallocated`](RingBuffer::enqueue_unallocated) once the
//! hole is filled. The "allocated" methods read the queued data at an offset
//! without removing it (TCP retransmits from the send buffer until the data
//! is acknowledged), and [`dequeue_allocated`](RingBuffer::dequeue_allocated)
//! drops it once it is.
//!
//! A ring never moves its read position except by dequeuing, so an offset
//! past the tail keeps meaning the same storage slot while data is dequeued
//! in front of it. Only [`clear`](RingBuffer::clear) rewinds to slot 0.
//!
//! A ring of capacity zero is valid: it is at once empty and full, every
//! enqueue fails and every contiguous slice is empty. No method panics and
//! no index arithmetic can overflow, whatever the arguments.

use crate::copy::copy_bulk;
use core::cmp::min;
use core::fmt;

use managed::ManagedSlice;

/// The ring (or packet buffer) has no room for what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Full;

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("buffer full")
    }
}

impl core::error::Error for Full {}

/// The ring (or packet buffer) holds nothing to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Empty;

impl fmt::Display for Empty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("buffer empty")
    }
}

impl core::error::Error for Empty {}

/// A first-in first-out ring of `T` in caller-provided storage.
///
/// The capacity is the length of the storage; it never grows.
#[derive(Debug)]
pub struct RingBuffer<'a, T: 'a> {
    storage: ManagedSlice<'a, T>,
    /// Index of the oldest element. Always `< capacity` (or 0 when the
    /// capacity is 0).
    read_at: usize,
    /// Number of queued elements. Always `<= capacity`.
    length: usize,
}

impl<'a, T: 'a> RingBuffer<'a, T> {
    /// A ring over `storage` (a `&mut [T]`, an array, or a `Vec` with
    /// `alloc`), empty whatever the storage holds.
    pub fn new<S: Into<ManagedSlice<'a, T>>>(storage: S) -> RingBuffer<'a, T> {
        RingBuffer {
            storage: storage.into(),
            read_at: 0,
            length: 0,
        }
    }

    /// Forgets every queued element and rewinds to the start of the storage.
    pub fn clear(&mut self) {
        self.read_at = 0;
        self.length = 0;
    }

    /// How many elements the ring holds at most.
    pub fn capacity(&self) -> usize {
        self.storage.len()
    }

    /// How many elements are queued.
    pub fn len(&self) -> usize {
        self.length
    }

    /// How many more elements fit (the free space).
    pub fn window(&self) -> usize {
        self.capacity() - self.length
    }

    /// The largest number of elements that can be enqueued as one
    /// contiguous slice right now (the free space from the tail up to the
    /// end of the storage or the head, whichever comes first).
    pub fn contiguous_window(&self) -> usize {
        let tail = self.tail();
        min(self.window(), self.capacity() - tail)
    }

    /// True when nothing is queued (always true for capacity 0).
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// True when nothing more fits (always true for capacity 0).
    pub fn is_full(&self) -> bool {
        self.window() == 0
    }

    /// `(base + add) mod capacity`, for `base < capacity` and
    /// `add <= capacity`, without ever overflowing.
    fn wrap_add(&self, base: usize, add: usize) -> usize {
        let cap = self.capacity();
        let to_end = cap - base;
        if add >= to_end {
            // `add - to_end <= cap - to_end = base < cap`, except when the
            // capacity is 0 (then both are 0).
            add - to_end
        } else {
            base + add
        }
    }

    /// The index one past the newest element (where the next one goes).
    fn tail(&self) -> usize {
        let cap = self.capacity();
        if cap == 0 {
            0
        } else {
            // `length <= cap`, so the wrap brings it back below `cap`
            // (a full ring's tail is its head).
            let t = self.wrap_add(self.read_at, self.length);
            if t == cap {
                0
            } else {
                t
            }
        }
    }

    /// Appends one element slot and lends it for writing.
    ///
    /// The slot holds whatever was there before; the caller overwrites it.
    pub fn enqueue_one(&mut self) -> Result<&mut T, Full> {
        if self.is_full() {
            return Err(Full);
        }
        let index = self.tail();
        self.length += 1;
        self.storage.get_mut(index).ok_or(Full)
    }

    /// Removes the oldest element and lends it (it stays valid until the
    /// next enqueue overwrites its slot).
    pub fn dequeue_one(&mut self) -> Result<&mut T, Empty> {
        if self.is_empty() {
            return Err(Empty);
        }
        let index = self.read_at;
        self.read_at = self.wrap_add(self.read_at, 1);
        if self.read_at == self.capacity() {
            self.read_at = 0;
        }
        self.length -= 1;
        self.storage.get_mut(index).ok_or(Empty)
    }

    /// Lends the largest contiguous free slice after the tail to `f`, which
    /// fills a prefix of it and returns how many elements it filled (clamped
    /// to the slice) and a value passed back; those elements are enqueued.
    pub fn enqueue_many_with<R, F>(&mut self, f: F) -> (usize, R)
    where
        F: FnOnce(&mut [T]) -> (usize, R),
    {
        let start = self.tail();
        let size = self.contiguous_window();
        let slice = self.storage.get_mut(start..start + size).unwrap_or(&mut []);
        let (count, result) = f(slice);
        let count = min(count, size);
        self.length += count;
        (count, result)
    }

    /// Enqueues up to `size` elements as one contiguous slice and lends the
    /// slice for writing. It may be shorter than `size` (free space, or the
    /// end of the storage); the elements are enqueued whatever is written.
    pub fn enqueue_many(&mut self, size: usize) -> &mut [T] {
        let start = self.tail();
        let count = min(size, self.contiguous_window());
        self.length += count;
        self.storage
            .get_mut(start..start + count)
            .unwrap_or(&mut [])
    }

    /// Lends the largest contiguous run of queued elements from the head to
    /// `f`, which returns how many of them it consumed (clamped to the run)
    /// and a value passed back; those elements are dequeued.
    pub fn dequeue_many_with<R, F>(&mut self, f: F) -> (usize, R)
    where
        F: FnOnce(&mut [T]) -> (usize, R),
    {
        let start = self.read_at;
        let size = self.contiguous_len();
        let slice = self.storage.get_mut(start..start + size).unwrap_or(&mut []);
        let (count, result) = f(slice);
        let count = min(count, size);
        self.advance_read(count);
        (count, result)
    }

    /// Dequeues up to `size` elements as one contiguous slice and lends it.
    /// It may be shorter than `size` (fewer queued, or the end of storage).
    pub fn dequeue_many(&mut self, size: usize) -> &mut [T] {
        let start = self.read_at;
        let count = min(size, self.contiguous_len());
        self.advance_read(count);
        self.storage
            .get_mut(start..start + count)
            .unwrap_or(&mut [])
    }

    /// Dequeues up to `size` contiguous elements and then `skip` more, and
    /// lends the first `size`; rewinds to slot 0 if that empties the ring.
    ///
    /// For the packet buffer: a payload and the padding behind it leave in
    /// one step, while the payload is lent to the caller.
    pub(crate) fn dequeue_lend_and_skip(&mut self, size: usize, skip: usize) -> &mut [T] {
        let start = self.read_at;
        let count = min(size, self.contiguous_len());
        self.advance_read(count);
        let skip = min(skip, self.length);
        self.advance_read(skip);
        if self.length == 0 {
            self.read_at = 0;
        }
        self.storage
            .get_mut(start..start + count)
            .unwrap_or(&mut [])
    }

    /// The queued elements reachable from the head without wrapping.
    fn contiguous_len(&self) -> usize {
        min(self.length, self.capacity() - self.read_at)
    }

    /// Drops `count` (`<= length`) elements from the head.
    fn advance_read(&mut self, count: usize) {
        self.read_at = self.wrap_add(self.read_at, count);
        if self.read_at == self.capacity() {
            self.read_at = 0;
        }
        self.length -= count;
    }

    /// Lends up to `size` free slots starting `offset` past the tail, as one
    /// contiguous slice, *without* enqueuing them. Empty when `offset` is at
    /// or beyond the free space.
    pub fn get_unallocated(&mut self, offset: usize, size: usize) -> &mut [T] {
        let window = self.window();
        if offset >= window {
            return &mut [];
        }
        let start = self.wrap_add(self.tail(), offset);
        let start = if start == self.capacity() { 0 } else { start };
        let count = min(min(size, window - offset), self.capacity() - start);
        self.storage
            .get_mut(start..start + count)
            .unwrap_or(&mut [])
    }

    /// Lends up to `size` queued elements starting `offset` after the head,
    /// as one contiguous slice, without dequeuing them. Empty when `offset`
    /// is at or beyond the queued length.
    pub fn get_allocated(&self, offset: usize, size: usize) -> &[T] {
        match self.allocated_range(offset, size) {
            Some((start, count)) => self.storage.get(start..start + count).unwrap_or(&[]),
            None => &[],
        }
    }

    /// [`get_allocated`](Self::get_allocated) for writing in place (a packet
    /// buffer lets the owner of a queued packet edit it before it leaves).
    pub fn get_allocated_mut(&mut self, offset: usize, size: usize) -> &mut [T] {
        match self.allocated_range(offset, size) {
            Some((start, count)) => self
                .storage
                .get_mut(start..start + count)
                .unwrap_or(&mut []),
            None => &mut [],
        }
    }

    fn allocated_range(&self, offset: usize, size: usize) -> Option<(usize, usize)> {
        if offset >= self.length {
            return None;
        }
        let start = self.wrap_add(self.read_at, offset);
        let start = if start == self.capacity() { 0 } else { start };
        let count = min(min(size, self.length - offset), self.capacity() - start);
        Some((start, count))
    }

    /// Commits `count` elements after the tail (written earlier with the
    /// unallocated methods) as queued. Clamped to the free space; returns
    /// how many were committed.
    pub fn enqueue_unallocated(&mut self, count: usize) -> usize {
        let count = min(count, self.window());
        self.length += count;
        count
    }

    /// Drops `count` elements from the head without reading them. Clamped
    /// to the queued length; returns how many were dropped.
    pub fn dequeue_allocated(&mut self, count: usize) -> usize {
        let count = min(count, self.length);
        self.advance_read(count);
        count
    }
}

impl<'a, T: Copy + 'a> RingBuffer<'a, T> {
    /// Copies as much of `data` as fits onto the tail (across the
    /// wrap-around) and returns how many elements were enqueued.
    pub fn enqueue_slice(&mut self, data: &[T]) -> usize {
        let mut done = 0;
        // Two rounds: up to the end of the storage, then from its start.
        for _ in 0..2 {
            let rest = data.get(done..).unwrap_or(&[]);
            let (n, ()) = self.enqueue_many_with(|buf| {
                let n = min(buf.len(), rest.len());
                copy_bulk(&mut buf[..n], &rest[..n]);
                (n, ())
            });
            done += n;
        }
        done
    }

    /// Moves as many queued elements as fit into `data` (across the
    /// wrap-around) and returns how many were dequeued.
    pub fn dequeue_slice(&mut self, data: &mut [T]) -> usize {
        let mut done = 0;
        for _ in 0..2 {
            if done == data.len() {
                break;
            }
            let rest = data.get_mut(done..).unwrap_or(&mut []);
            let (n, ()) = self.dequeue_many_with(|buf| {
                let n = min(buf.len(), rest.len());
                copy_bulk(&mut rest[..n], &buf[..n]);
                (n, ())
            });
            done += n;
        }
        done
    }

    /// Copies `data` into the free space starting `offset` past the tail
    /// (across the wrap-around) without enqueuing it; returns how many
    /// elements fitted.
    pub fn write_unallocated(&mut self, offset: usize, data: &[T]) -> usize {
        // Every in-order TCP segment lands here: the free space's start and
        // the split at the end of the storage are found once, and the copy
        // is at most two bulk copies (`copy::copy_bulk`).
        let window = self.window();
        if offset >= window {
            return 0;
        }
        let n = min(data.len(), window - offset);
        let data = data.get(..n).unwrap_or(&[]);
        // `offset < window <= capacity`, so the start wraps at most once
        // and lands below the capacity (a full wrap would need a window
        // past the capacity).
        let cap = self.capacity();
        let start = self.wrap_add(self.tail(), offset);
        let start = if start == cap { 0 } else { start };
        let (first, second) = data.split_at(min(n, cap - start));
        if let Some(to) = self.storage.get_mut(start..start + first.len()) {
            copy_bulk(to, first);
        }
        if let Some(to) = self.storage.get_mut(..second.len()) {
            copy_bulk(to, second);
        }
        n
    }

    /// Copies queued elements starting `offset` after the head into `data`
    /// (across the wrap-around) without dequeuing them; returns how many.
    pub fn read_allocated(&self, offset: usize, data: &mut [T]) -> usize {
        let mut done = 0;
        for _ in 0..2 {
            if done == data.len() {
                break;
            }
            let rest = data.get_mut(done..).unwrap_or(&mut []);
            let Some(at) = offset.checked_add(done) else {
                break;
            };
            let buf = self.get_allocated(at, rest.len());
            let n = buf.len();
            copy_bulk(&mut rest[..n], buf);
            done += n;
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_at_a_time_is_fifo_and_bounded() {
        let mut ring = RingBuffer::new([0u8; 3]);
        assert!(ring.is_empty());
        assert_eq!(ring.capacity(), 3);
        for i in 1..=3 {
            *ring.enqueue_one().unwrap() = i;
        }
        assert!(ring.is_full());
        assert_eq!(ring.enqueue_one(), Err(Full));
        assert_eq!(*ring.dequeue_one().unwrap(), 1);
        *ring.enqueue_one().unwrap() = 4; // wraps to slot 0
        assert_eq!(ring.len(), 3);
        assert_eq!(*ring.dequeue_one().unwrap(), 2);
        assert_eq!(*ring.dequeue_one().unwrap(), 3);
        assert_eq!(*ring.dequeue_one().unwrap(), 4);
        assert_eq!(ring.dequeue_one(), Err(Empty));
        assert_eq!(ring.window(), 3);
    }

    #[test]
    fn zero_capacity_is_empty_and_full_and_never_panics() {
        let mut ring: RingBuffer<u8> = RingBuffer::new(&mut [][..]);
        assert!(ring.is_empty() && ring.is_full());
        assert_eq!(ring.enqueue_one(), Err(Full));
        assert_eq!(ring.dequeue_one(), Err(Empty));
        assert_eq!(ring.enqueue_slice(b"abc"), 0);
        assert_eq!(ring.dequeue_slice(&mut [0; 4]), 0);
        assert!(ring.enqueue_many(5).is_empty());
        assert!(ring.dequeue_many(5).is_empty());
        assert!(ring.get_unallocated(0, 5).is_empty());
        assert_eq!(ring.write_unallocated(0, b"x"), 0);
        assert!(ring.get_allocated(0, 5).is_empty());
        assert_eq!(ring.read_allocated(0, &mut [0; 2]), 0);
        assert_eq!(ring.enqueue_unallocated(3), 0);
        assert_eq!(ring.dequeue_allocated(3), 0);
        assert_eq!(ring.contiguous_window(), 0);
    }

    #[test]
    fn slices_wrap_around_the_end_of_storage() {
        let mut ring = RingBuffer::new([0u8; 8]);
        assert_eq!(ring.enqueue_slice(b"abcdef"), 6);
        let mut out = [0u8; 4];
        assert_eq!(ring.dequeue_slice(&mut out), 4);
        assert_eq!(&out, b"abcd");
        // Head at 4, tail at 6: 2 slots to the end, 4 at the start.
        assert_eq!(ring.contiguous_window(), 2);
        assert_eq!(ring.enqueue_slice(b"ghijklmn"), 6);
        assert!(ring.is_full());
        // The contiguous view from the head stops at the end of storage.
        assert_eq!(ring.get_allocated(0, 8), b"efgh");
        assert_eq!(ring.get_allocated(4, 8), b"ijkl");
        let mut all = [0u8; 10];
        assert_eq!(ring.dequeue_slice(&mut all), 8);
        assert_eq!(&all[..8], b"efghijkl");
        assert!(ring.is_empty());
    }

    #[test]
    fn with_closures_see_the_largest_contiguous_part_and_clamp_counts() {
        let mut ring = RingBuffer::new([0u8; 4]);
        let (n, len) = ring.enqueue_many_with(|buf| (99, buf.len()));
        // A closure claiming more than it was lent only gets the slice.
        assert_eq!((n, len), (4, 4));
        assert_eq!(ring.dequeue_allocated(3), 3);
        let (n, len) = ring.enqueue_many_with(|buf| {
            buf[0] = 7;
            (1, buf.len())
        });
        // Tail at 0 again, head at 3: three free contiguous slots.
        assert_eq!((n, len), (1, 3));
        let (n, seen) = ring.dequeue_many_with(|buf| (buf.len(), buf.len()));
        // Only the element at index 3 is contiguous from the head.
        assert_eq!((n, seen), (1, 1));
        assert_eq!(*ring.dequeue_one().unwrap(), 7);
    }

    #[test]
    fn enqueue_many_returns_short_slice_at_the_end() {
        let mut ring = RingBuffer::new([0u8; 5]);
        ring.enqueue_slice(b"abc");
        ring.dequeue_allocated(3);
        let s = ring.enqueue_many(4);
        assert_eq!(s.len(), 2); // slots 3 and 4
        s.copy_from_slice(b"xy");
        assert_eq!(ring.enqueue_many(4).len(), 3); // slots 0..3
        assert_eq!(ring.dequeue_many(10), b"xy");
        assert_eq!(ring.len(), 3);
    }

    #[test]
    fn out_of_order_data_waits_past_the_tail_until_committed() {
        // RFC 9293 §3.10.7.4: data beyond a hole is kept, not delivered.
        let mut ring = RingBuffer::new([0u8; 8]);
        ring.enqueue_slice(b"ab");
        assert_eq!(ring.write_unallocated(3, b"fgh"), 3);
        assert_eq!(ring.len(), 2); // not committed
                                   // Dequeuing in front does not move where the future data sits.
        let mut two = [0u8; 2];
        ring.dequeue_slice(&mut two);
        assert_eq!(ring.write_unallocated(0, b"cde"), 3); // the hole
        assert_eq!(ring.enqueue_unallocated(6), 6);
        let mut out = [0u8; 6];
        assert_eq!(ring.dequeue_slice(&mut out), 6);
        assert_eq!(&out, b"cdefgh");
    }

    #[test]
    fn unallocated_writes_wrap_and_stop_at_the_free_space() {
        let mut ring = RingBuffer::new([0u8; 6]);
        ring.enqueue_slice(b"abcd");
        ring.dequeue_allocated(3); // head 3, tail 4, free 5
                                   // Offset 1 from the tail is slot 5; the write wraps to slots 0..
        assert_eq!(ring.get_unallocated(1, 10).len(), 1);
        assert_eq!(ring.write_unallocated(1, b"123456"), 4);
        assert_eq!(ring.get_unallocated(5, 1).len(), 0); // beyond free space
        assert_eq!(ring.write_unallocated(usize::MAX, b"z"), 0);
        assert_eq!(ring.enqueue_unallocated(100), 5); // clamped
        let mut out = [0u8; 6];
        assert_eq!(ring.read_allocated(0, &mut out), 6);
        // Slot 4 was never written (zero); the rest is what we put there.
        assert_eq!(&out, b"d\x001234");
        assert_eq!(ring.read_allocated(usize::MAX, &mut out), 0);
        assert_eq!(ring.dequeue_allocated(usize::MAX), 6);
    }

    /// Against a model written one element at a time, for every head,
    /// length, offset and data length of small rings: the same count
    /// written, the same slots changed, nothing else.
    #[test]
    fn unallocated_writes_match_an_element_by_element_model() {
        for cap in 0..=7usize {
            for head in 0..cap.max(1) {
                for len in 0..=cap {
                    for offset in 0..=cap + 1 {
                        for n in 0..=cap + 1 {
                            let mut storage = [0u8; 7];
                            let mut ring = RingBuffer::new(&mut storage[..cap]);
                            ring.enqueue_unallocated(head);
                            ring.dequeue_allocated(head);
                            ring.enqueue_unallocated(len);
                            let data: [u8; 8] = core::array::from_fn(|k| k as u8 + 1);
                            let data = &data[..n];
                            let mut model = [0u8; 7];
                            let fits = n.min((cap - len).saturating_sub(offset));
                            for (k, &b) in data.iter().take(fits).enumerate() {
                                model[(head + len + offset + k) % cap] = b;
                            }
                            assert_eq!(
                                ring.write_unallocated(offset, data),
                                fits,
                                "{cap} {head} {len} {offset} {n}"
                            );
                            assert_eq!(
                                &ring.storage[..],
                                &model[..cap],
                                "{cap} {head} {len} {offset} {n}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn read_allocated_keeps_data_for_retransmission() {
        let mut ring = RingBuffer::new([0u8; 4]);
        ring.enqueue_slice(b"wxyz");
        ring.dequeue_allocated(2);
        ring.enqueue_slice(b"12");
        let mut out = [0u8; 3];
        assert_eq!(ring.read_allocated(1, &mut out), 3);
        assert_eq!(&out, b"z12");
        assert_eq!(ring.len(), 4);
        assert!(ring.get_allocated(4, 1).is_empty());
        ring.get_allocated_mut(0, 1)[0] = b'Y';
        assert_eq!(*ring.dequeue_one().unwrap(), b'Y');
    }

    #[test]
    fn clear_rewinds_to_slot_zero() {
        let mut ring = RingBuffer::new([0u8; 4]);
        ring.enqueue_slice(b"abc");
        ring.dequeue_allocated(3);
        assert_eq!(ring.contiguous_window(), 1);
        ring.clear();
        assert_eq!(ring.contiguous_window(), 4);
    }
}
