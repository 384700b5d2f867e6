//! A bounded queue of whole packets: a ring of descriptors plus a ring of
//! payload bytes, both in caller-provided storage.
//!
//! Every payload is stored **contiguously**, so that a socket can lend it to
//! the application (receive) or the interface can hand it to a device token
//! (transmit) as one `&[u8]` with no copy. When a packet does not fit between
//! the tail and the end of the byte ring but fits at its start, the tail end
//! is filled with a *padding* descriptor; the padding is reclaimed as soon as
//! the packets in front of it are dequeued, and the byte ring rewinds to its
//! start whenever it becomes empty, so a buffer that is drained regularly
//! loses no space to fragmentation.
//!
//! The descriptor ring bounds the number of packets and the byte ring their
//! total size; whichever runs out first makes [`enqueue`](PacketBuffer::enqueue)
//! answer [`Full`]. A packet larger than the whole byte ring can never fit
//! and is refused at once (no retry loop can spin on it).

use managed::ManagedSlice;

use super::ring_buffer::{Empty, Full, RingBuffer};

/// The descriptor of one queued packet: its payload size and its header
/// (`None` marks padding at the end of the byte ring).
///
/// Storage for the descriptor ring is an array of these, e.g.
/// `[PacketMetadata::EMPTY; 8]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketMetadata<H> {
    size: usize,
    header: Option<H>,
}

impl<H> PacketMetadata<H> {
    /// An unused descriptor, to initialise storage with.
    pub const EMPTY: PacketMetadata<H> = PacketMetadata {
        size: 0,
        header: None,
    };

    fn padding(size: usize) -> PacketMetadata<H> {
        PacketMetadata { size, header: None }
    }

    fn is_padding(&self) -> bool {
        self.header.is_none()
    }
}

/// A FIFO of packets, each a header `H` and a contiguous payload.
#[derive(Debug)]
pub struct PacketBuffer<'a, H: 'a> {
    metadata_ring: RingBuffer<'a, PacketMetadata<H>>,
    payload_ring: RingBuffer<'a, u8>,
}

impl<'a, H: 'a> PacketBuffer<'a, H> {
    /// A packet buffer holding at most `metadata_storage.len()` packets and
    /// `payload_storage.len()` payload bytes in all.
    pub fn new<MS, PS>(metadata_storage: MS, payload_storage: PS) -> PacketBuffer<'a, H>
    where
        MS: Into<ManagedSlice<'a, PacketMetadata<H>>>,
        PS: Into<ManagedSlice<'a, u8>>,
    {
        PacketBuffer {
            metadata_ring: RingBuffer::new(metadata_storage),
            payload_ring: RingBuffer::new(payload_storage),
        }
    }

    /// True when no packet is queued.
    pub fn is_empty(&self) -> bool {
        self.metadata_ring.is_empty()
    }

    /// True when no further packet can be queued, not even an empty one
    /// (every descriptor is in use).
    pub fn is_full(&self) -> bool {
        self.metadata_ring.is_full()
    }

    /// How many packets are queued (padding included, at most one).
    pub fn packet_count(&self) -> usize {
        self.metadata_ring.len()
    }

    /// The most packets the buffer can hold.
    pub fn packet_capacity(&self) -> usize {
        self.metadata_ring.capacity()
    }

    /// The most payload bytes the buffer can hold; a payload longer than
    /// this is always refused.
    pub fn payload_capacity(&self) -> usize {
        self.payload_ring.capacity()
    }

    /// Payload bytes free right now (not all of them may be usable for one
    /// packet, since a payload must be contiguous).
    pub fn payload_bytes_free(&self) -> usize {
        self.payload_ring.window()
    }

    /// Drops every queued packet.
    pub fn reset(&mut self) {
        self.metadata_ring.clear();
        self.payload_ring.clear();
    }

    /// Queues a packet of `size` payload bytes with `header` and lends its
    /// payload for writing (zero copy: the caller fills the returned slice,
    /// which is exactly `size` bytes long).
    ///
    /// [`Full`] when there is no free descriptor or no contiguous run of
    /// `size` free bytes, and always when `size` exceeds
    /// [`payload_capacity`](Self::payload_capacity). Nothing changes then.
    pub fn enqueue(&mut self, size: usize, header: H) -> Result<&mut [u8], Full> {
        if self.metadata_ring.is_full() || size > self.payload_ring.capacity() {
            return Err(Full);
        }
        // An empty byte ring rewinds, so a lone packet always starts at 0
        // and any size up to the capacity fits. Queued zero-size packets
        // own no bytes, so rewinding under them is harmless.
        if self.payload_ring.is_empty() {
            self.payload_ring.clear();
        }
        let contiguous = self.payload_ring.contiguous_window();
        if contiguous < size {
            // The free space either ends at the head (then it is all there
            // is) or runs to the end of storage and resumes at 0, before
            // the head: only then can padding the tail end help.
            let at_start = self.payload_ring.window() - contiguous;
            if at_start < size || self.metadata_ring.window() < 2 {
                return Err(Full);
            }
            *self.metadata_ring.enqueue_one()? = PacketMetadata::padding(contiguous);
            self.payload_ring.enqueue_many(contiguous);
        }
        *self.metadata_ring.enqueue_one()? = PacketMetadata {
            size,
            header: Some(header),
        };
        // `size` contiguous bytes are free at the tail (checked above, or
        // at 0 after the padding), so the slice is exactly `size` long.
        Ok(self.payload_ring.enqueue_many(size))
    }

    /// Queues a copy of `data` with `header`.
    pub fn enqueue_slice(&mut self, data: &[u8], header: H) -> Result<(), Full> {
        let payload = self.enqueue(data.len(), header)?;
        payload.copy_from_slice(data);
        Ok(())
    }

    /// Drops padding at the head, reclaiming its bytes. Called after every
    /// dequeue, so that the head descriptor is never padding.
    fn reclaim_padding(&mut self) {
        while let Some(meta) = self.metadata_ring.get_allocated(0, 1).first() {
            if !meta.is_padding() {
                break;
            }
            let size = meta.size;
            let _ = self.metadata_ring.dequeue_one();
            self.payload_ring.dequeue_allocated(size);
        }
        if self.payload_ring.is_empty() {
            // Rewind so the next packet can use the whole ring.
            self.payload_ring.clear();
        }
    }

    /// Removes the oldest packet and lends its header and payload.
    pub fn dequeue(&mut self) -> Result<(H, &mut [u8]), Empty> {
        self.reclaim_padding();
        let meta = self.metadata_ring.dequeue_one()?;
        let size = meta.size;
        let header = meta.header.take().ok_or(Empty)?;
        // Padding right behind this packet is reclaimed now, so that
        // `is_empty` and `packet_count` never count it once the packet in
        // front of it is gone.
        let padding = match self.metadata_ring.get_allocated(0, 1).first() {
            Some(next) if next.is_padding() => next.size,
            _ => 0,
        };
        if padding > 0 {
            let _ = self.metadata_ring.dequeue_one();
        }
        // The payload is contiguous from the head by construction.
        let payload = self.payload_ring.dequeue_lend_and_skip(size, padding);
        Ok((header, payload))
    }

    /// Lends the oldest packet without removing it.
    pub fn peek(&self) -> Result<(&H, &[u8]), Empty> {
        let meta = self.front()?;
        let header = meta.header.as_ref().ok_or(Empty)?;
        let offset = self.front_offset();
        Ok((header, self.payload_ring.get_allocated(offset, meta.size)))
    }

    /// The oldest real packet's descriptor, looking past padding.
    fn front(&self) -> Result<&PacketMetadata<H>, Empty> {
        for index in 0..2 {
            match self.metadata_ring.get_allocated(index, 1).first() {
                Some(meta) if meta.is_padding() => continue,
                Some(meta) => return Ok(meta),
                None => return Err(Empty),
            }
        }
        Err(Empty)
    }

    /// The byte offset of the oldest real packet's payload (past a padding
    /// descriptor at the head, if any).
    fn front_offset(&self) -> usize {
        match self.metadata_ring.get_allocated(0, 1).first() {
            Some(meta) if meta.is_padding() => meta.size,
            _ => 0,
        }
    }

    /// Lends the oldest packet to `f` and removes it only if `f` returns
    /// `Ok`: a device that is busy (no transmit token) makes `f` fail, and
    /// the packet stays at the head to be tried again on a later poll.
    /// `Err(Empty)` when no packet is queued.
    pub fn dequeue_with<R, E, F>(&mut self, f: F) -> Result<Result<R, E>, Empty>
    where
        F: FnOnce(&mut H, &mut [u8]) -> Result<R, E>,
    {
        self.reclaim_padding();
        let Some(meta) = self.metadata_ring.get_allocated_mut(0, 1).first_mut() else {
            return Err(Empty);
        };
        let size = meta.size;
        let header = meta.header.as_mut().ok_or(Empty)?;
        let payload = self.payload_ring.get_allocated_mut(0, size);
        match f(header, payload) {
            Ok(value) => {
                let _ = self.metadata_ring.dequeue_one();
                self.payload_ring.dequeue_allocated(size);
                self.reclaim_padding();
                Ok(Ok(value))
            }
            Err(e) => Ok(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::borrow::ToOwned;
    use std::vec;
    use std::vec::Vec;

    use super::*;

    fn buffer(packets: usize, bytes: usize) -> PacketBuffer<'static, u32> {
        PacketBuffer::new(vec![PacketMetadata::EMPTY; packets], vec![0u8; bytes])
    }

    #[test]
    fn packets_come_out_whole_and_in_order() {
        let mut b = buffer(4, 16);
        b.enqueue(3, 1).unwrap().copy_from_slice(b"abc");
        b.enqueue_slice(b"de", 2).unwrap();
        assert_eq!(b.peek(), Ok((&1, &b"abc"[..])));
        assert_eq!(b.dequeue(), Ok((1, &mut b"abc".to_owned()[..])));
        assert_eq!(b.dequeue(), Ok((2, &mut b"de".to_owned()[..])));
        assert_eq!(b.dequeue(), Err(Empty));
        assert_eq!(b.peek(), Err(Empty));
        assert!(b.is_empty());
    }

    #[test]
    fn descriptor_ring_limits_the_packet_count() {
        let mut b = buffer(2, 16);
        b.enqueue(0, 1).unwrap();
        b.enqueue(0, 2).unwrap();
        assert!(b.is_full());
        assert_eq!(b.enqueue(0, 3), Err(Full));
        assert_eq!(b.dequeue().map(|(h, p)| (h, p.len())), Ok((1, 0)));
    }

    #[test]
    fn payload_ring_limits_the_bytes() {
        let mut b = buffer(4, 8);
        b.enqueue(5, 1).unwrap();
        assert_eq!(b.enqueue(4, 2), Err(Full));
        assert_eq!(b.payload_bytes_free(), 3);
        b.enqueue(3, 3).unwrap();
        assert_eq!(b.enqueue(0, 4).map(|p| p.len()), Ok(0));
    }

    #[test]
    fn larger_than_the_payload_capacity_is_refused_even_when_empty() {
        let mut b = buffer(4, 8);
        assert_eq!(b.enqueue(9, 1), Err(Full));
        assert_eq!(b.enqueue(usize::MAX, 1), Err(Full));
        assert!(b.is_empty());
        assert_eq!(b.enqueue(8, 1).map(|p| p.len()), Ok(8));
    }

    #[test]
    fn wrap_pads_the_tail_and_the_padding_is_reclaimed() {
        let mut b = buffer(4, 10);
        b.enqueue_slice(b"aaaa", 1).unwrap(); // bytes 0..4
        b.enqueue_slice(b"bbbb", 2).unwrap(); // bytes 4..8
        assert_eq!(b.dequeue().map(|(h, _)| h), Ok(1)); // head now at 4
                                                        // 6 bytes free but only 2 at the end: a 3-byte packet goes to 0..3
                                                        // behind a 2-byte padding.
        b.enqueue_slice(b"ccc", 3).unwrap();
        assert_eq!(b.packet_count(), 3); // bbbb, padding, ccc
        assert_eq!(b.payload_bytes_free(), 1);
        assert_eq!(
            b.dequeue().map(|(h, p)| (h, p.to_owned())),
            Ok((2, b"bbbb".to_vec()))
        );
        // The padding leaves with the packet in front of it: its bytes
        // come back and it is never counted as a packet.
        assert_eq!(b.packet_count(), 1);
        assert_eq!(b.payload_bytes_free(), 7);
        assert_eq!(b.peek(), Ok((&3, &b"ccc"[..])));
        assert_eq!(
            b.dequeue().map(|(h, p)| (h, p.to_owned())),
            Ok((3, b"ccc".to_vec()))
        );
        b.dequeue().unwrap_err();
        assert_eq!(b.packet_count(), 0);
        // Empty again: the ring rewinds and the full capacity is usable.
        assert_eq!(b.enqueue(10, 4).map(|p| p.len()), Ok(10));
    }

    #[test]
    fn wrap_needs_a_spare_descriptor_for_the_padding() {
        let mut b = buffer(2, 10);
        b.enqueue_slice(b"aaaa", 1).unwrap();
        b.enqueue_slice(b"bbbb", 2).unwrap();
        b.dequeue().unwrap();
        // One descriptor free: a packet that needs padding does not fit...
        assert_eq!(b.enqueue(3, 3), Err(Full));
        // ...but one that fits at the tail does.
        assert_eq!(b.enqueue(2, 3).map(|p| p.len()), Ok(2));
    }

    #[test]
    fn free_space_split_across_the_wrap_is_not_one_payload() {
        let mut b = buffer(4, 10);
        b.enqueue_slice(b"aaaaaa", 1).unwrap(); // 0..6
        b.enqueue_slice(b"bb", 2).unwrap(); // 6..8
        b.dequeue().unwrap(); // head at 6; free: 8..10 and 0..6
        assert_eq!(b.payload_bytes_free(), 8);
        assert_eq!(b.enqueue(7, 3), Err(Full)); // 2 + 6, never 7 contiguous
        assert_eq!(b.enqueue(6, 3).map(|p| p.len()), Ok(6));
    }

    #[test]
    fn dequeue_with_keeps_the_packet_on_error() {
        // Back-pressure: a busy device must not lose the datagram.
        let mut b = buffer(2, 8);
        b.enqueue_slice(b"xyz", 7).unwrap();
        let r: Result<Result<(), &str>, Empty> = b.dequeue_with(|_, _| Err("busy"));
        assert_eq!(r, Ok(Err("busy")));
        assert_eq!(b.packet_count(), 1);
        let r: Result<Result<usize, ()>, Empty> = b.dequeue_with(|h, p| {
            assert_eq!((*h, &*p), (7, &b"xyz"[..]));
            Ok(p.len())
        });
        assert_eq!(r, Ok(Ok(3)));
        assert!(b.is_empty());
        let r: Result<Result<(), ()>, Empty> = b.dequeue_with(|_, _| Ok(()));
        assert_eq!(r, Err(Empty));
    }

    #[test]
    fn dequeue_with_may_edit_the_packet_in_place() {
        let mut b = buffer(2, 8);
        b.enqueue_slice(b"ab", 1).unwrap();
        let _: Result<Result<(), ()>, _> = b.dequeue_with(|h, p| {
            *h = 5;
            p[0] = b'A';
            Err(())
        });
        assert_eq!(b.peek(), Ok((&5, &b"Ab"[..])));
    }

    #[test]
    fn dequeue_with_reaches_a_packet_behind_padding() {
        let mut b = buffer(4, 10);
        b.enqueue_slice(b"aaaa", 1).unwrap();
        b.enqueue_slice(b"bbbb", 2).unwrap();
        b.dequeue().unwrap();
        b.enqueue_slice(b"ccc", 3).unwrap(); // behind padding
        let first: Result<Result<u32, ()>, _> = b.dequeue_with(|h, _| Ok(*h));
        assert_eq!(first, Ok(Ok(2)));
        let second: Result<Result<std::vec::Vec<u8>, ()>, _> =
            b.dequeue_with(|_, p| Ok(p.to_vec()));
        assert_eq!(second, Ok(Ok(b"ccc".to_vec())));
        assert_eq!(b.payload_bytes_free(), 10);
    }

    #[test]
    fn zero_capacity_buffers_refuse_everything_without_panicking() {
        let mut none: PacketBuffer<u32> = PacketBuffer::new(vec![], vec![]);
        assert!(none.is_empty() && none.is_full());
        assert_eq!(none.enqueue(0, 1), Err(Full));
        assert_eq!(none.dequeue(), Err(Empty));
        // Descriptors but no bytes: only empty packets fit.
        let mut no_bytes: PacketBuffer<u32> =
            PacketBuffer::new(vec![PacketMetadata::EMPTY; 2], vec![]);
        assert_eq!(no_bytes.enqueue(1, 1), Err(Full));
        assert_eq!(no_bytes.enqueue(0, 1).map(|p| p.len()), Ok(0));
        assert_eq!(no_bytes.dequeue().map(|(h, p)| (h, p.len())), Ok((1, 0)));
    }

    #[test]
    fn zero_sized_headers_work() {
        let mut meta = [PacketMetadata::<()>::EMPTY; 2];
        let mut bytes = [0u8; 4];
        let mut b = PacketBuffer::new(&mut meta[..], &mut bytes[..]);
        b.enqueue_slice(b"ok", ()).unwrap();
        assert_eq!(b.dequeue().map(|(_, p)| p.len()), Ok(2));
    }

    #[test]
    fn a_60000_byte_datagram_fits_a_64k_buffer_again_and_again() {
        let mut b = buffer(4, 65536);
        for round in 0..5u32 {
            let p = b.enqueue(60_000, round).unwrap();
            p[0] = round as u8;
            p[59_999] = 0xee;
            // A second one can never fit beside it.
            assert_eq!(b.enqueue(60_000, 99), Err(Full));
            let (h, p) = b.dequeue().unwrap();
            assert_eq!(
                (h, p.len(), p[0], p[59_999]),
                (round, 60_000, round as u8, 0xee)
            );
        }
    }

    #[test]
    fn large_datagrams_interleaved_with_small_ones_wrap_with_padding() {
        let mut b = buffer(8, 65536);
        b.enqueue(1000, 0).unwrap();
        b.enqueue(30_000, 1).unwrap(); // 1000..31000
        b.dequeue().unwrap(); // head at 1000
                              // 34536 free at the tail: fits there.
        b.enqueue(34_000, 2).unwrap(); // 31000..65000
        b.dequeue().unwrap(); // head at 31000; free 65000..65536 and 0..31000
                              // 536 at the end is too short for 30 000: padded, placed at 0.
        let p = b.enqueue(30_000, 3).unwrap();
        p[29_999] = 3;
        assert_eq!(b.dequeue().map(|(h, p)| (h, p.len())), Ok((2, 34_000)));
        let (h, p) = b.dequeue().unwrap();
        assert_eq!((h, p.len(), p[29_999]), (3, 30_000, 3));
        assert!(b.is_empty());
    }

    #[test]
    fn random_traffic_matches_a_simple_queue_model() {
        // A deterministic pseudo-random mix of sizes, enqueues, dequeues and
        // refused dequeue_with calls, checked against a VecDeque: no packet
        // is lost, reordered, corrupted or cut, and space always comes back.
        use std::collections::VecDeque;
        let mut b = buffer(5, 97);
        let mut model: VecDeque<(u32, Vec<u8>)> = VecDeque::new();
        let mut seed: u32 = 0x2545_f491;
        let mut next = move || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            seed >> 8
        };
        for step in 0..20_000u32 {
            let r = next();
            match r % 4 {
                0 | 1 => {
                    let size = (next() % 60) as usize;
                    let data: Vec<u8> = (0..size).map(|i| (step as usize + i) as u8).collect();
                    if b.enqueue_slice(&data, step).is_ok() {
                        model.push_back((step, data));
                    } else {
                        // Refused only for a real reason: never into an
                        // empty buffer, never an empty packet while a
                        // descriptor is free, never when the bytes and a
                        // descriptor (two, should padding be needed) are free.
                        assert!(!model.is_empty(), "step {step}");
                        assert!(size > 0 || b.is_full(), "step {step}");
                        assert!(
                            size > b.payload_bytes_free() / 2
                                || b.packet_capacity() - b.packet_count() < 2,
                            "step {step}"
                        );
                    }
                }
                2 => {
                    let got = b.dequeue().map(|(h, p)| (h, p.to_vec())).ok();
                    assert_eq!(got, model.pop_front(), "step {step}");
                }
                _ => {
                    let r: Result<Result<(), ()>, Empty> = b.dequeue_with(|_, _| Err(()));
                    assert_eq!(r.is_err(), model.is_empty());
                }
            }
            assert_eq!(b.is_empty(), model.is_empty(), "step {step}");
            let used: usize = model.iter().map(|(_, d)| d.len()).sum();
            // Padding (at most the tail end) is the only unaccounted space.
            assert!(b.payload_bytes_free() + used <= 97);
            if model.is_empty() {
                assert_eq!(b.payload_bytes_free(), 97, "step {step}");
            }
        }
    }
}
