//! Fragmentation on transmit: which pieces, and the IPv4 header of each.
//!
//! [`fragments`] is the plan alone (offsets and lengths), usable for IPv4 and
//! IPv6 alike. [`Ipv4Fragmenter`] adds what an IPv4 emit loop needs: the
//! header of each fragment (RFC 791 §3.2: options without the copied flag
//! only in the first fragment; Total Length, MF, Fragment Offset and checksum
//! per fragment), written with the data straight into a device buffer:
//!
//! ```ignore
//! let fragmenter = Ipv4Fragmenter::new(&header[..header_len], payload, mtu)?;
//! for piece in fragmenter.iter() {
//!     let token = device.transmit(now)?;
//!     token.consume(link_header_len + piece.len(), |buf| {
//!         // ... link header ...
//!         piece.emit(&mut buf[link_header_len..])
//!     })?;
//! }
//! ```

use core::fmt;

use crate::wire::ipv4::{Ipv4Options, Ipv4Packet, HEADER_LEN, MAX_HEADER_LEN};

/// RFC 791 §3.1: the 16-bit Total Length bounds a datagram, header included.
const IPV4_MAX_DATAGRAM: usize = 65535;

/// One piece of a payload to send: `payload[offset..offset + len]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FragmentPlan {
    /// Where the piece starts in the payload (a multiple of 8).
    pub offset: usize,
    /// How many bytes it carries (a multiple of 8 unless it is the last).
    pub len: usize,
    /// More Fragments: true for every piece but the last.
    pub more: bool,
}

impl FragmentPlan {
    /// The payload range of this piece.
    pub const fn range(&self) -> core::ops::Range<usize> {
        self.offset..self.offset + self.len
    }
}

/// The pieces of a payload, from [`fragments`] or [`Fragments::new`].
#[derive(Debug, Clone)]
pub struct Fragments {
    payload_len: usize,
    next: usize,
    first_max: usize,
    rest_max: usize,
    done: bool,
}

impl Fragments {
    /// The pieces of `payload_len` bytes, when the first piece may carry
    /// `first_max` bytes and the others `rest_max` (an IPv4 first fragment
    /// can have a longer header than the rest: RFC 791 §3.2 copies only some
    /// options).
    ///
    /// Every piece but the last carries the largest multiple of 8 that fits
    /// (RFC 791 §3.2: offsets count 8-byte units). When a piece would have to
    /// be split but fewer than 8 bytes fit, the iteration stops early; check
    /// with [`fragment_count`] first.
    pub const fn new(payload_len: usize, first_max: usize, rest_max: usize) -> Fragments {
        Fragments {
            payload_len,
            next: 0,
            first_max,
            rest_max,
            done: false,
        }
    }
}

impl Iterator for Fragments {
    type Item = FragmentPlan;

    fn next(&mut self) -> Option<FragmentPlan> {
        if self.done {
            return None;
        }
        let offset = self.next;
        let left = self.payload_len.saturating_sub(offset);
        let max = if offset == 0 {
            self.first_max
        } else {
            self.rest_max
        };
        if left <= max {
            // The last piece (or the only one, possibly empty).
            self.done = true;
            return Some(FragmentPlan {
                offset,
                len: left,
                more: false,
            });
        }
        // RFC 791 §3.2: "the number of 8-octet blocks … is the largest
        // integer that fits" in what the MTU leaves for data.
        let len = max & !7;
        if len == 0 {
            self.done = true;
            return None;
        }
        self.next = offset + len;
        Some(FragmentPlan {
            offset,
            len,
            more: true,
        })
    }
}

impl core::iter::FusedIterator for Fragments {}

/// The pieces of a `payload_len`-byte payload when each may carry at most
/// `max_payload_per_fragment` bytes (the MTU minus every header).
///
/// An empty payload gives one empty piece. See [`Fragments::new`].
pub const fn fragments(payload_len: usize, max_payload_per_fragment: usize) -> Fragments {
    Fragments::new(
        payload_len,
        max_payload_per_fragment,
        max_payload_per_fragment,
    )
}

/// How many pieces [`fragments`] gives, or `None` when the payload must be
/// split and fewer than 8 bytes fit in a piece (no progress possible).
pub const fn fragment_count(payload_len: usize, max_payload_per_fragment: usize) -> Option<usize> {
    if payload_len <= max_payload_per_fragment {
        return Some(1);
    }
    let step = max_payload_per_fragment & !7;
    if step == 0 {
        return None;
    }
    // Full pieces until what is left fits the last one.
    let full = (payload_len - max_payload_per_fragment).div_ceil(step);
    Some(full + 1)
}

/// Why an IPv4 datagram cannot be sent as fragments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum FragmentError {
    /// The header has Don't Fragment set and the datagram exceeds the MTU
    /// (RFC 791 §3.2: it "must not be fragmented"; RFC 1191 path MTU discovery
    /// relies on this).
    DontFragment,
    /// The MTU leaves less than 8 bytes of data per fragment (RFC 791 §3.2:
    /// every host handles 68 bytes, enough for a 60-byte header and 8 bytes).
    MtuTooSmall,
    /// The header is not a complete IPv4 header (length under 20 or over 60,
    /// or not what its IHL says).
    BadHeader,
    /// Header and payload exceed 65535 bytes (RFC 791 §3.1 Total Length).
    TooLong,
    /// The output buffer is shorter than [`Ipv4Fragment::len`].
    BufferTooSmall,
}

impl fmt::Display for FragmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FragmentError::DontFragment => "don't fragment set",
            FragmentError::MtuTooSmall => "mtu too small to fragment",
            FragmentError::BadHeader => "bad ipv4 header",
            FragmentError::TooLong => "datagram too long",
            FragmentError::BufferTooSmall => "buffer too small",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for FragmentError {}

/// Splits one IPv4 datagram into fragments that fit an MTU.
///
/// Built from the datagram's header (as it would be sent unfragmented:
/// addresses, Identification, TTL, options) and its payload. A datagram that
/// already fits gives one piece, the datagram itself.
#[derive(Debug, Clone)]
pub struct Ipv4Fragmenter<'p> {
    header: &'p [u8],
    /// The header of the second and later fragments: the fixed header and
    /// the options with the copied flag (RFC 791 §3.1 "copied flag", §3.2).
    rest_header: [u8; MAX_HEADER_LEN],
    rest_header_len: usize,
    payload: &'p [u8],
    /// Offset and MF of the datagram itself, when it is already a fragment
    /// (RFC 791 §3.2: a fragment may be fragmented again).
    base_offset: usize,
    base_more: bool,
    mtu: usize,
}

impl<'p> Ipv4Fragmenter<'p> {
    /// Plans the fragments of `header ‖ payload` for links of `mtu` bytes
    /// (the IP MTU: header and data, no link header).
    pub fn new(header: &'p [u8], payload: &'p [u8], mtu: usize) -> Result<Self, FragmentError> {
        let header_len = header.len();
        if !(HEADER_LEN..=MAX_HEADER_LEN).contains(&header_len) {
            return Err(FragmentError::BadHeader);
        }
        let packet = Ipv4Packet::new_unchecked(header);
        if packet.header_len() != header_len {
            return Err(FragmentError::BadHeader);
        }
        let base_offset = usize::from(packet.frag_offset());
        let base_more = packet.more_frags();
        if header_len
            .saturating_add(base_offset)
            .saturating_add(payload.len())
            > IPV4_MAX_DATAGRAM
        {
            return Err(FragmentError::TooLong);
        }

        let mut rest_header = [0u8; MAX_HEADER_LEN];
        let mut rest_header_len = HEADER_LEN;
        if let (Some(dst), Some(src)) =
            (rest_header.get_mut(..HEADER_LEN), header.get(..HEADER_LEN))
        {
            dst.copy_from_slice(src);
        }
        for option in Ipv4Options::new(packet.options()) {
            // A malformed option list: copy nothing more (the first fragment
            // still carries the list as given).
            let Ok(option) = option else { break };
            if !option.copied() {
                continue;
            }
            let len = 2 + option.data.len();
            let Some(dst) = rest_header.get_mut(rest_header_len..rest_header_len + len) else {
                break;
            };
            if let Some((kind_len, data)) = dst.split_first_chunk_mut::<2>() {
                // The option length counts its type and length octets; the
                // walk checked it fits the 40-byte option area, so it fits u8.
                *kind_len = [option.kind, len as u8];
                data.copy_from_slice(option.data);
            }
            rest_header_len += len;
        }
        // Pad with End of Option List octets (zero) to a 32-bit boundary.
        rest_header_len = rest_header_len.next_multiple_of(4);

        let fragmenter = Ipv4Fragmenter {
            header,
            rest_header,
            rest_header_len,
            payload,
            base_offset,
            base_more,
            mtu,
        };
        if header_len + payload.len() > mtu {
            if packet.dont_frag() {
                return Err(FragmentError::DontFragment);
            }
            let (first_max, rest_max) = fragmenter.maxima();
            if first_max < 8 || rest_max < 8 {
                return Err(FragmentError::MtuTooSmall);
            }
        }
        Ok(fragmenter)
    }

    /// The most data the first and the later fragments can carry.
    fn maxima(&self) -> (usize, usize) {
        (
            self.mtu.saturating_sub(self.header.len()),
            self.mtu.saturating_sub(self.rest_header_len),
        )
    }

    /// The pieces' plan (offsets relative to this payload).
    pub fn plan(&self) -> Fragments {
        let (first_max, rest_max) = self.maxima();
        Fragments::new(self.payload.len(), first_max, rest_max)
    }

    /// How many fragments will be sent (1 when the datagram fits).
    pub fn count(&self) -> usize {
        self.plan().count()
    }

    /// The fragments, each ready to [`emit`](Ipv4Fragment::emit).
    pub fn iter(&self) -> Ipv4Fragments<'_> {
        Ipv4Fragments {
            fragmenter: self,
            plan: self.plan(),
        }
    }
}

/// The fragments of an [`Ipv4Fragmenter`].
#[derive(Debug, Clone)]
pub struct Ipv4Fragments<'f> {
    fragmenter: &'f Ipv4Fragmenter<'f>,
    plan: Fragments,
}

impl<'f> Iterator for Ipv4Fragments<'f> {
    type Item = Ipv4Fragment<'f>;

    fn next(&mut self) -> Option<Ipv4Fragment<'f>> {
        let plan = self.plan.next()?;
        let f = self.fragmenter;
        let header = if plan.offset == 0 {
            f.header
        } else {
            f.rest_header.get(..f.rest_header_len).unwrap_or(&[])
        };
        Some(Ipv4Fragment {
            header,
            payload: f.payload.get(plan.range()).unwrap_or(&[]),
            offset: f.base_offset + plan.offset,
            // RFC 791 §3.2: the last piece keeps the datagram's own MF.
            more: plan.more || f.base_more,
        })
    }
}

/// One IPv4 fragment to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Fragment<'f> {
    /// The header to copy (fields fixed up by [`emit`](Self::emit)).
    pub header: &'f [u8],
    /// The data of this fragment.
    pub payload: &'f [u8],
    /// The Fragment Offset in bytes (a multiple of 8).
    pub offset: usize,
    /// The More Fragments flag.
    pub more: bool,
}

impl Ipv4Fragment<'_> {
    /// The fragment's length on the wire (its Total Length).
    pub fn len(&self) -> usize {
        self.header.len() + self.payload.len()
    }

    /// Always false: a fragment has at least a header.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the fragment (header then data) at the start of `out`, with
    /// IHL, Total Length, MF, Fragment Offset and the checksum set. Returns
    /// the bytes written.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, FragmentError> {
        let len = self.len();
        let total_len = u16::try_from(len).map_err(|_| FragmentError::TooLong)?;
        let offset = u16::try_from(self.offset).map_err(|_| FragmentError::TooLong)?;
        let out = out.get_mut(..len).ok_or(FragmentError::BufferTooSmall)?;
        let (header, payload) = out.split_at_mut(self.header.len());
        header.copy_from_slice(self.header);
        payload.copy_from_slice(self.payload);
        if header.len() < HEADER_LEN {
            return Err(FragmentError::BadHeader);
        }
        let mut packet = Ipv4Packet::new_unchecked(header);
        packet.set_header_len(self.header.len());
        packet.set_total_len(total_len);
        packet.set_frag_offset(offset);
        packet.set_more_frags(self.more);
        packet.fill_checksum();
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::iface::fragment::{
        Fragment, FragmentKey, Reassembler, ReassemblyConfig, ReassemblySlot,
    };
    use crate::time::Instant;
    use crate::wire::ipv4::Ipv4Repr;
    use crate::wire::{ChecksumMode, IpProtocol, Ipv4Addr};
    use std::vec;
    use std::vec::Vec;

    /// The invariants of every plan: lengths sum to the payload, offsets are
    /// contiguous and 8-aligned, every non-last piece is the largest multiple
    /// of 8 that fits, only the last has `more` clear.
    fn check_plan(payload_len: usize, max: usize) -> Vec<FragmentPlan> {
        let plan: Vec<FragmentPlan> = fragments(payload_len, max).collect();
        assert_eq!(Some(plan.len()), fragment_count(payload_len, max));
        let mut next = 0;
        for (i, p) in plan.iter().enumerate() {
            assert_eq!(p.offset, next, "contiguous");
            assert_eq!(p.offset % 8, 0, "8-aligned");
            assert!(p.len <= max);
            let last = i + 1 == plan.len();
            assert_eq!(p.more, !last);
            if !last {
                assert_eq!(p.len, max & !7, "largest multiple of 8");
            }
            next += p.len;
        }
        assert_eq!(next, payload_len, "lengths sum to the payload");
        plan
    }

    #[test]
    fn plan_for_mtu_1500_and_10000_bytes() {
        // RFC 791 §3.2: 1500 − 20 = 1480 = 185 blocks of 8.
        let plan = check_plan(10_000, 1480);
        assert_eq!(plan.len(), 7);
        assert_eq!(
            plan[6],
            FragmentPlan {
                offset: 8880,
                len: 1120,
                more: false
            }
        );
    }

    #[test]
    fn plan_for_mtu_576_and_10000_bytes() {
        // 576 − 20 = 556, rounded down to 552 per non-last fragment.
        let plan = check_plan(10_000, 556);
        assert_eq!(plan.len(), 19);
        assert!(plan[..18].iter().all(|p| p.len == 552));
        assert_eq!(
            plan[18],
            FragmentPlan {
                offset: 9936,
                len: 64,
                more: false
            }
        );
    }

    #[test]
    fn plans_hold_their_invariants_over_many_sizes() {
        for max in [8, 9, 15, 16, 17, 100, 556, 1232, 1480] {
            for len in (0..3000).step_by(13) {
                check_plan(len, max);
            }
        }
    }

    #[test]
    fn empty_payload_gives_one_empty_fragment() {
        assert_eq!(
            check_plan(0, 1480),
            vec![FragmentPlan {
                offset: 0,
                len: 0,
                more: false
            }]
        );
        assert_eq!(fragments(0, 0).count(), 1);
    }

    #[test]
    fn payload_that_fits_exactly_is_one_fragment() {
        assert_eq!(check_plan(1480, 1480).len(), 1);
        assert_eq!(check_plan(1481, 1480).len(), 2);
    }

    #[test]
    fn fewer_than_8_bytes_per_fragment_cannot_progress() {
        assert_eq!(fragment_count(10, 7), None);
        assert_eq!(fragments(10, 7).count(), 0);
        assert_eq!(fragment_count(7, 7), Some(1));
    }

    #[test]
    fn first_fragment_may_have_a_different_maximum() {
        let plan: Vec<FragmentPlan> = Fragments::new(100, 20, 40).collect();
        assert_eq!(
            plan,
            vec![
                FragmentPlan {
                    offset: 0,
                    len: 16,
                    more: true
                },
                FragmentPlan {
                    offset: 16,
                    len: 40,
                    more: true
                },
                FragmentPlan {
                    offset: 56,
                    len: 40,
                    more: true
                },
                FragmentPlan {
                    offset: 96,
                    len: 4,
                    more: false
                },
            ]
        );
    }

    const SRC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
    const DST: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);

    fn header(payload_len: usize, options: &[u8], dont_frag: bool) -> Vec<u8> {
        let mut h = vec![0u8; 20 + options.len()];
        let repr = Ipv4Repr {
            src_addr: SRC,
            dst_addr: DST,
            next_header: IpProtocol::Udp,
            payload_len: payload_len + options.len(),
            hop_limit: 64,
            dscp: 0,
            ecn: 0,
            ident: 0x1234,
            dont_frag,
            more_frags: false,
            frag_offset: 0,
        };
        let mut p = Ipv4Packet::new_unchecked(&mut h[..]);
        repr.emit(&mut p, ChecksumMode::Skip);
        p.set_header_len(20 + options.len());
        p.options_mut().copy_from_slice(options);
        p.fill_checksum();
        h
    }

    fn payload(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + 5) as u8).collect()
    }

    /// Emits every fragment into its own buffer, as a device would send them.
    fn emit_all(f: &Ipv4Fragmenter<'_>) -> Vec<Vec<u8>> {
        f.iter()
            .map(|piece| {
                let mut buf = vec![0xffu8; piece.len() + 10];
                let n = piece.emit(&mut buf).unwrap();
                assert_eq!(n, piece.len());
                buf.truncate(n);
                buf
            })
            .collect()
    }

    #[test]
    fn ipv4_fragments_parse_and_reassemble_to_the_original() {
        let data = payload(10_000);
        let h = header(data.len(), &[], false);
        for mtu in [1500, 576, 68] {
            let f = Ipv4Fragmenter::new(&h, &data, mtu).unwrap();
            let frames = emit_all(&f);
            assert_eq!(frames.len(), f.count());
            assert_eq!(Some(frames.len()), fragment_count(data.len(), mtu - 20));
            let mut bufs = vec![0u8; ReassemblySlot::buffer_len_for(10_100)];
            let mut slots = [ReassemblySlot::new(&mut bufs[..])];
            let mut r = Reassembler::with_config(&mut slots[..], ReassemblyConfig::default());
            let mut next = 0;
            let mut done = None;
            // Reverse order, to exercise the reassembler's fragment-zero-last path.
            for frame in frames.iter().rev() {
                assert!(frame.len() <= mtu);
                let p = Ipv4Packet::new_checked(&frame[..]).unwrap();
                let repr = Ipv4Repr::parse(&p, ChecksumMode::Check).unwrap();
                assert_eq!(repr.ident, 0x1234);
                assert_eq!(usize::from(repr.frag_offset) % 8, 0);
                next += repr.payload_len;
                let out = r
                    .add(
                        Instant::ZERO,
                        Fragment {
                            key: FragmentKey::V4 {
                                src: SRC,
                                dst: DST,
                                ident: 0x1234,
                                protocol: IpProtocol::Udp,
                            },
                            offset_bytes: usize::from(repr.frag_offset),
                            more_fragments: repr.more_frags,
                            header: &frame[..p.header_len()],
                            payload: p.payload(),
                        },
                    )
                    .unwrap();
                if let Some(d) = out {
                    done = Some((d.payload.to_vec(), d.datagram().len()));
                }
            }
            assert_eq!(next, data.len());
            assert_eq!(done, Some((data.clone(), data.len() + 20)), "mtu {mtu}");
        }
    }

    #[test]
    fn ipv4_only_copied_options_go_into_later_fragments() {
        // RFC 791 §3.1: Router Alert (148) has the copied flag, a 7-byte
        // Record Route (7) does not; then EOL padding.
        let options = [148, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0, 0];
        let data = payload(100);
        let h = header(data.len(), &options, false);
        let f = Ipv4Fragmenter::new(&h, &data, 32 + 40).unwrap();
        let frames = emit_all(&f);
        // First: 32-byte header, 40 bytes of data; then 24-byte headers and
        // 48 bytes, then the rest.
        let lens: Vec<(usize, usize)> = frames
            .iter()
            .map(|fr| {
                let p = Ipv4Packet::new_checked(&fr[..]).unwrap();
                assert!(p.verify_checksum());
                (p.header_len(), p.payload().len())
            })
            .collect();
        assert_eq!(lens, vec![(32, 40), (24, 48), (24, 12)]);
        let first = Ipv4Packet::new_checked(&frames[0][..]).unwrap();
        assert_eq!(first.options(), &options);
        let later = Ipv4Packet::new_checked(&frames[1][..]).unwrap();
        assert_eq!(later.options(), &[148, 4, 0, 0]);
        assert_eq!(later.frag_offset(), 40);
        assert!(later.more_frags());
        let last = Ipv4Packet::new_checked(&frames[2][..]).unwrap();
        assert_eq!(last.frag_offset(), 88);
        assert!(!last.more_frags());
        assert_eq!(last.payload(), &data[88..]);
    }

    #[test]
    fn datagram_that_fits_is_sent_whole_even_with_dont_fragment() {
        let data = payload(1480);
        let h = header(data.len(), &[], true);
        let f = Ipv4Fragmenter::new(&h, &data, 1500).unwrap();
        let frames = emit_all(&f);
        assert_eq!(frames.len(), 1);
        let mut whole = h.clone();
        whole.extend_from_slice(&data);
        assert_eq!(frames[0], whole, "unchanged, checksum included");
    }

    #[test]
    fn dont_fragment_refuses_to_split() {
        let data = payload(1481);
        let h = header(data.len(), &[], true);
        assert_eq!(
            Ipv4Fragmenter::new(&h, &data, 1500).err(),
            Some(FragmentError::DontFragment)
        );
    }

    #[test]
    fn mtu_too_small_header_bad_or_datagram_too_long() {
        let data = payload(100);
        let h = header(data.len(), &[], false);
        assert_eq!(
            Ipv4Fragmenter::new(&h, &data, 27).err(),
            Some(FragmentError::MtuTooSmall)
        );
        assert!(Ipv4Fragmenter::new(&h, &data, 28).is_ok());
        assert_eq!(
            Ipv4Fragmenter::new(&h[..19], &data, 1500).err(),
            Some(FragmentError::BadHeader)
        );
        let mut h24 = h.clone();
        h24.extend_from_slice(&[0; 4]); // IHL still says 20
        assert_eq!(
            Ipv4Fragmenter::new(&h24, &data, 1500).err(),
            Some(FragmentError::BadHeader)
        );
        let big = vec![0u8; 65516];
        assert_eq!(
            Ipv4Fragmenter::new(&h, &big, 1500).err(),
            Some(FragmentError::TooLong)
        );
        assert!(Ipv4Fragmenter::new(&h, &big[..65515], 1500).is_ok());
    }

    #[test]
    fn emit_into_short_buffer_fails_without_writing_past_it() {
        let data = payload(100);
        let h = header(data.len(), &[], false);
        let f = Ipv4Fragmenter::new(&h, &data, 68).unwrap();
        let piece = f.iter().next().unwrap();
        assert_eq!(piece.len(), 68);
        let mut buf = [0u8; 67];
        assert_eq!(piece.emit(&mut buf), Err(FragmentError::BufferTooSmall));
    }

    #[test]
    fn refragmenting_a_fragment_keeps_its_offset_and_more_flag() {
        // RFC 791 §3.2: pieces of a middle fragment keep MF set on the last
        // piece, and offsets add to the fragment's own.
        let data = payload(64);
        let mut h = header(data.len(), &[], false);
        {
            let mut p = Ipv4Packet::new_unchecked(&mut h[..]);
            p.set_frag_offset(800);
            p.set_more_frags(true);
            p.fill_checksum();
        }
        let f = Ipv4Fragmenter::new(&h, &data, 20 + 32).unwrap();
        let got: Vec<(u16, bool, usize)> = emit_all(&f)
            .iter()
            .map(|fr| {
                let p = Ipv4Packet::new_checked(&fr[..]).unwrap();
                (p.frag_offset(), p.more_frags(), p.payload().len())
            })
            .collect();
        assert_eq!(got, vec![(800, true, 32), (832, true, 32)]);
    }
}
