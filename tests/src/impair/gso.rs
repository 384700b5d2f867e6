//! The kernel's GSO for rstcp's TAP: what a stack with offloads writes
//! (a virtio-net header, partial checksums, TCP super-frames of up to
//! 64 KB) cut into the wire's frames before the line impairs them.
//!
//! Linux's sender in the rig hands its TAP 64 KB super-segments too: its
//! TAP has no offloads, so the kernel cuts them in software at the device
//! (GSO) and the forwarder reads wire-sized frames. rstcp's TAP runs with
//! offloads, as users run it, and its frames reach the forwarder whole, so
//! the forwarder does that same work here, with testkit's
//! segmenter (`SoftOffload`'s, which the simulated transfers use), before the
//! line sees a frame: the link loses, reorders and duplicates segments,
//! never super-frames.

use rstcp::wire::virtio::{GsoType, VirtioNetRepr, HEADER_LEN_V1};
use rstcp_testkit::offload::{cut, OffloadStats};

/// Cuts super-frames into wire frames; counts what it did.
#[derive(Debug, Default)]
pub struct Segmenter {
    stats: OffloadStats,
}

impl Segmenter {
    /// The wire frames that `buf` (a 12-byte virtio-net header, then a
    /// frame, as a `PACKET_VNET_HDR` socket reads them) stands for, each
    /// with its checksums complete and copied once (as the plain path
    /// copies each frame once). A header that does not describe its frame
    /// drops the frame (counted in [`stats`](Self::stats)).
    pub fn cut(&mut self, buf: &mut [u8]) -> Vec<Vec<u8>> {
        fix_hdr_len(buf);
        cut(buf, &mut self.stats).unwrap_or_default()
    }

    /// What the segmenter did so far.
    pub fn stats(&self) -> OffloadStats {
        self.stats
    }
}

/// The kernel's `hdr_len` on a packet socket is the length of the
/// frame's linear part (`skb_headlen`), a hint the virtio contract lets a
/// device ignore (Virtio 1.x §5.1.6.2); the segmenter wants the headers'
/// exact length, which the frame itself says (IHL, TCP data offset).
fn fix_hdr_len(buf: &mut [u8]) {
    let Some((header, frame)) = buf.split_at_mut_checked(HEADER_LEN_V1) else {
        return;
    };
    let Ok(vnet) = VirtioNetRepr::parse(header, frame.len()) else {
        return;
    };
    let l3 = 14;
    let ip_len = match vnet.gso_type {
        GsoType::TcpV4 => frame.get(l3).map(|b| usize::from(b & 0x0f) * 4),
        GsoType::TcpV6 => Some(40),
        _ => None,
    };
    let Some(ip_len) = ip_len else { return };
    let Some(tcp_len) = frame.get(l3 + ip_len + 12).map(|b| usize::from(b >> 4) * 4) else {
        return;
    };
    let hdr = (l3 + ip_len + tcp_len) as u16;
    header[2..4].copy_from_slice(&hdr.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstcp::wire::{checksum, IpProtocol, Ipv4Addr};

    /// An IPv4/TCP super-frame of `payload` bytes cut at `mss`, with the
    /// partial checksum a stack with TSO leaves, and `hdr_len` as given.
    fn super_frame(payload: usize, mss: u16, hdr_len: u16) -> Vec<u8> {
        let mut f = vec![0u8; HEADER_LEN_V1 + 14 + 20 + 20 + payload];
        let vnet = VirtioNetRepr {
            flags: rstcp::wire::virtio::F_NEEDS_CSUM,
            gso_type: GsoType::TcpV4,
            gso_ecn: false,
            hdr_len,
            gso_size: mss,
            csum_start: 34,
            csum_offset: 16,
        };
        vnet.emit(&mut f[..HEADER_LEN_V1]);
        let e = &mut f[HEADER_LEN_V1..];
        e[12..14].copy_from_slice(&[0x08, 0x00]);
        e[14] = 0x45;
        e[14 + 9] = 6;
        e[26..30].copy_from_slice(&[10, 0, 0, 1]);
        e[30..34].copy_from_slice(&[10, 0, 0, 2]);
        e[34 + 4..34 + 8].copy_from_slice(&1000u32.to_be_bytes());
        e[34 + 12] = 5 << 4;
        e[34 + 13] = 0x18; // ACK, PSH
        for (i, b) in e[54..].iter_mut().enumerate() {
            *b = i as u8;
        }
        f
    }

    #[test]
    fn a_super_frame_becomes_mss_segments_with_valid_checksums() {
        // The packet socket's hdr_len (the linear part) need not be the
        // headers' length: the cut must not depend on it.
        for hdr_len in [54, 128] {
            let mut s = Segmenter::default();
            let mut f = super_frame(3000, 1448, hdr_len);
            let segs = s.cut(&mut f);
            assert_eq!(segs.len(), 3, "hdr_len {hdr_len}");
            let sizes: Vec<_> = segs.iter().map(|s| s.len() - 54).collect();
            assert_eq!(sizes, [1448, 1448, 104]);
            let mut next = 0u8;
            for (i, seg) in segs.iter().enumerate() {
                let seq = u32::from_be_bytes(seg[38..42].try_into().unwrap());
                assert_eq!(seq, 1000 + 1448 * i as u32);
                // The IPv4 and TCP checksums are whole.
                assert_eq!(checksum::finish(checksum::sum(&seg[14..34])), 0);
                let ph = checksum::pseudo_header_v4(
                    &Ipv4Addr::new(10, 0, 0, 1),
                    &Ipv4Addr::new(10, 0, 0, 2),
                    IpProtocol::Tcp,
                    (seg.len() - 34) as u32,
                );
                let tcp = checksum::combine(&[ph, checksum::sum(&seg[34..])]);
                assert_eq!(checksum::finish(tcp), 0);
                for b in &seg[54..] {
                    assert_eq!(*b, next);
                    next = next.wrapping_add(1);
                }
            }
            assert_eq!(s.stats().segments, 3);
            assert_eq!(s.stats().bad_headers, 0);
        }
    }

    #[test]
    fn a_plain_frame_passes_whole_and_a_bad_header_drops_it() {
        let mut s = Segmenter::default();
        let mut plain = vec![0u8; HEADER_LEN_V1 + 60];
        plain[HEADER_LEN_V1] = 7;
        let out = s.cut(&mut plain);
        assert_eq!(out, [plain[HEADER_LEN_V1..].to_vec()]);
        let mut bad = super_frame(100, 1448, 54); // no bigger than one segment
        assert!(s.cut(&mut bad).is_empty());
        assert_eq!(s.stats().bad_headers, 1);
    }
}
