//! A device that does in software what a Linux TAP with offloads does in
//! the kernel: it takes frames with a virtio-net header, completes their
//! partial checksums and cuts TCP super-segments into MSS-sized segments
//! (GSO) before they reach the link; received frames get a plain header.
//! With it, the simulated transfers run the stack's TSO path through the
//! fault injector: the peer sees ordinary segments, and a loss of one
//! inside a super-segment is the sender's scoreboard's to repair.
//!
//! Written from the virtio-net contract (Virtio 1.x §5.1.6.2) and RFC 9293,
//! not from Linux's code: each segment repeats the headers, its IPv4
//! length and identification and its TCP sequence number follow its
//! place, FIN and PSH stay on the last one, and every checksum is
//! computed whole.

use std::vec::Vec;

use rstcp::phy::{Device, DeviceCapabilities, RxToken, TxToken, VirtioOffload};
use rstcp::time::Instant;
use rstcp::wire::checksum;
use rstcp::wire::virtio::{GsoType, VirtioNetRepr, HEADER_LEN_V1};
use rstcp::wire::{IpProtocol, Ipv4Addr, Ipv6Addr};

/// What the segmenter did, for a test to check that the offload path ran.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OffloadStats {
    /// Super-segments taken (a header with a GSO type).
    pub super_segments: u64,
    /// Segments cut from them.
    pub segments: u64,
    /// Partial checksums completed (single frames and segments alike).
    pub checksums: u64,
    /// Frames whose header did not match the frame (a stack bug): dropped.
    pub bad_headers: u64,
}

/// `inner` seen through offloads: see the module documentation.
pub struct SoftOffload<'s, D> {
    inner: D,
    stats: &'s mut OffloadStats,
}

impl<'s, D: Device> SoftOffload<'s, D> {
    /// Wraps `inner`, counting into `stats`.
    pub fn new(inner: D, stats: &'s mut OffloadStats) -> Self {
        SoftOffload { inner, stats }
    }
}

/// A received frame behind a plain header.
pub struct OffloadRx<T>(T);

impl<T: RxToken> RxToken for OffloadRx<T> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        self.0.consume(|frame| {
            let mut buf = vec![0u8; HEADER_LEN_V1 + frame.len()];
            VirtioNetRepr::PLAIN.emit(&mut buf[..HEADER_LEN_V1]);
            buf[HEADER_LEN_V1..].copy_from_slice(frame);
            f(&mut buf)
        })
    }
}

/// The reply token lent with a received frame: one frame, no GSO.
pub struct OffloadReply<'s, T> {
    token: T,
    stats: &'s mut OffloadStats,
}

impl<T: TxToken> TxToken for OffloadReply<'_, T> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        match segments(&buf, self.stats) {
            Some(frames) if frames.len() == 1 => {
                let frame = &frames[0];
                self.token
                    .consume(frame.len(), |b| b.copy_from_slice(frame));
            }
            _ => self.stats.bad_headers += 1,
        }
        r
    }
}

/// A transmit buffer whose frame is cut and sent on consume.
pub struct OffloadTx<'a, D> {
    inner: &'a mut D,
    stats: &'a mut OffloadStats,
    now: Instant,
}

impl<D: Device> TxToken for OffloadTx<'_, D> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        let Some(frames) = segments(&buf, self.stats) else {
            self.stats.bad_headers += 1;
            return r;
        };
        for frame in frames {
            // A segment the link has no room for is lost, as on a wire.
            if let Some(t) = self.inner.transmit(self.now) {
                t.consume(frame.len(), |b| b.copy_from_slice(&frame));
            }
        }
        r
    }
}

impl<'s, D: Device> Device for SoftOffload<'s, D> {
    type RxToken<'a>
        = OffloadRx<D::RxToken<'a>>
    where
        Self: 'a;
    type TxToken<'a>
        = OffloadTxAny<'a, D>
    where
        Self: 'a;

    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let (rx, tx) = self.inner.receive(now)?;
        Some((
            OffloadRx(rx),
            OffloadTxAny::Reply(OffloadReply {
                token: tx,
                stats: self.stats,
            }),
        ))
    }

    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
        Some(OffloadTxAny::Device(OffloadTx {
            inner: &mut self.inner,
            stats: self.stats,
            now,
        }))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = self.inner.capabilities();
        caps.virtio = Some(VirtioOffload::new(HEADER_LEN_V1, true));
        caps.max_segment_size = Some(65535);
        caps
    }
}

/// What [`SoftOffload`] does with one transmitted buffer (a 12-byte
/// virtio-net header, then the frame), for a program that holds such
/// buffers itself (a forwarder reading a TAP's interface with
/// `PACKET_VNET_HDR`): the wire frames it stands for, each copied once.
/// `None` (counted in `bad_headers`) when the header does not describe the
/// frame.
pub fn cut(buf: &[u8], stats: &mut OffloadStats) -> Option<Vec<Vec<u8>>> {
    let frames = segments(buf, stats);
    if frames.is_none() {
        stats.bad_headers += 1;
    }
    frames
}

/// Either transmit token of [`SoftOffload`].
pub enum OffloadTxAny<'a, D: Device + 'a> {
    /// The token lent with a received frame.
    Reply(OffloadReply<'a, D::TxToken<'a>>),
    /// A buffer from the device.
    Device(OffloadTx<'a, D>),
}

impl<'a, D: Device + 'a> TxToken for OffloadTxAny<'a, D> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        match self {
            OffloadTxAny::Reply(t) => t.consume(len, f),
            OffloadTxAny::Device(t) => t.consume(len, f),
        }
    }
}

/// The wire frames a header and frame stand for: the frame with its
/// checksum completed, or a super-segment's segments. `None` when the
/// header does not fit the frame or describes something not handled here.
fn segments(buf: &[u8], stats: &mut OffloadStats) -> Option<Vec<Vec<u8>>> {
    let (header, frame) = buf.split_at_checked(HEADER_LEN_V1)?;
    let vnet = VirtioNetRepr::parse(header, frame.len()).ok()?;
    if vnet.gso_type == GsoType::None {
        let mut frame = frame.to_vec();
        if vnet.needs_csum() {
            let start = usize::from(vnet.csum_start);
            let field = start + usize::from(vnet.csum_offset);
            // The field holds the pseudo-header's sum: the sum from
            // csum_start on, field included, is the whole checksum.
            let c = checksum::finish(checksum::sum(&frame[start..]));
            frame[field..field + 2].copy_from_slice(&c.to_be_bytes());
            stats.checksums += 1;
        }
        return Some(vec![frame]);
    }
    if !vnet.needs_csum() || vnet.gso_ecn {
        return None;
    }
    let l3 = 14;
    let (ip_len, v4) = match vnet.gso_type {
        GsoType::TcpV4 => (usize::from(*frame.get(l3)? & 0x0f) * 4, true),
        GsoType::TcpV6 => (40, false),
        _ => return None,
    };
    let l4 = l3 + ip_len;
    if usize::from(vnet.csum_start) != l4 || vnet.csum_offset != 16 {
        return None;
    }
    let tcp_len = usize::from(*frame.get(l4 + 12)? >> 4) * 4;
    let hdr = l4 + tcp_len;
    if usize::from(vnet.hdr_len) != hdr || frame.len() <= hdr {
        return None;
    }
    let payload = &frame[hdr..];
    let size = usize::from(vnet.gso_size);
    if payload.len() <= size {
        // Linux refuses such a "super-segment" (EINVAL): so do we.
        return None;
    }
    stats.super_segments += 1;
    let seq = u32::from_be_bytes(frame[l4 + 4..l4 + 8].try_into().ok()?);
    let ident = u16::from_be_bytes([frame[l3 + 4], frame[l3 + 5]]);
    let flags = frame[l4 + 13];
    let chunks = payload.chunks(size);
    let last = chunks.len() - 1;
    let mut out = Vec::new();
    for (i, chunk) in chunks.enumerate() {
        let mut seg = Vec::with_capacity(hdr + chunk.len());
        seg.extend_from_slice(&frame[..hdr]);
        seg.extend_from_slice(chunk);
        let ip_total = ip_len + tcp_len + chunk.len();
        if v4 {
            seg[l3 + 2..l3 + 4].copy_from_slice(&(ip_total as u16).to_be_bytes());
            let id = ident.wrapping_add(i as u16);
            seg[l3 + 4..l3 + 6].copy_from_slice(&id.to_be_bytes());
            seg[l3 + 10..l3 + 12].copy_from_slice(&[0, 0]);
            let c = checksum::finish(checksum::sum(&seg[l3..l4]));
            seg[l3 + 10..l3 + 12].copy_from_slice(&c.to_be_bytes());
        } else {
            let plen = (tcp_len + chunk.len()) as u16;
            seg[l3 + 4..l3 + 6].copy_from_slice(&plen.to_be_bytes());
        }
        let s = seq.wrapping_add((i * size) as u32);
        seg[l4 + 4..l4 + 8].copy_from_slice(&s.to_be_bytes());
        // FIN and PSH end the super-segment: they belong to its last byte.
        seg[l4 + 13] = if i == last { flags } else { flags & !0x09 };
        seg[l4 + 16..l4 + 18].copy_from_slice(&[0, 0]);
        let tcp_bytes = (tcp_len + chunk.len()) as u32;
        let ph = if v4 {
            let a = |at: usize| Ipv4Addr::from(<[u8; 4]>::try_from(&seg[at..at + 4]).unwrap());
            checksum::pseudo_header_v4(&a(l3 + 12), &a(l3 + 16), IpProtocol::Tcp, tcp_bytes)
        } else {
            let a = |at: usize| Ipv6Addr::from(<[u8; 16]>::try_from(&seg[at..at + 16]).unwrap());
            checksum::pseudo_header_v6(&a(l3 + 8), &a(l3 + 24), IpProtocol::Tcp, tcp_bytes)
        };
        let c = checksum::finish(checksum::combine(&[ph, checksum::sum(&seg[l4..])]));
        seg[l4 + 16..l4 + 18].copy_from_slice(&c.to_be_bytes());
        stats.checksums += 1;
        stats.segments += 1;
        out.push(seg);
    }
    Some(out)
}
