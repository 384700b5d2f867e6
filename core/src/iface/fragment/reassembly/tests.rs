//! The reassembler driven with real IPv4 and IPv6 fragment headers: every
//! order, duplicates, overlaps, timeouts, full slots and the length limits.

extern crate std;
use super::*;
use crate::iface::fragment::{fragments, FragmentKey};
use crate::time::{Duration, Instant};
use crate::wire::ipv4::{Ipv4Packet, Ipv4Repr};
use crate::wire::{ChecksumMode, IpProtocol, Ipv4Addr, Ipv6Addr};
use std::vec;
use std::vec::Vec;

const SRC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const SRC2: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
const DST: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);
const SRC6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const DST6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);

fn key4(src: Ipv4Addr, ident: u16) -> FragmentKey {
    FragmentKey::V4 {
        src,
        dst: DST,
        ident,
        protocol: IpProtocol::Udp,
    }
}

fn key6(ident: u32) -> FragmentKey {
    FragmentKey::V6 {
        src: SRC6,
        dst: DST6,
        ident,
    }
}

/// An IPv4 fragment header with `options` (already padded to 4 bytes).
fn header4(src: Ipv4Addr, ident: u16, offset: usize, more: bool, len: usize) -> Vec<u8> {
    header4_opts(src, ident, offset, more, len, &[])
}

fn header4_opts(
    src: Ipv4Addr,
    ident: u16,
    offset: usize,
    more: bool,
    len: usize,
    options: &[u8],
) -> Vec<u8> {
    let mut h = vec![0u8; 20 + options.len()];
    let repr = Ipv4Repr {
        src_addr: src,
        dst_addr: DST,
        next_header: IpProtocol::Udp,
        payload_len: len + options.len(),
        hop_limit: 64,
        dscp: 0,
        ecn: 0,
        ident,
        dont_frag: false,
        more_frags: more,
        frag_offset: offset as u16,
    };
    let mut p = Ipv4Packet::new_unchecked(&mut h[..]);
    repr.emit(&mut p, ChecksumMode::Skip);
    p.set_header_len(20 + options.len());
    p.options_mut().copy_from_slice(options);
    p.fill_checksum();
    h
}

/// An IPv6 header, then a Fragment header (Next Header UDP).
fn header6(ident: u32, offset: usize, more: bool) -> Vec<u8> {
    let mut h = vec![0u8; 48];
    h[0] = 0x60;
    h[6] = 44; // Next Header: Fragment
    h[7] = 64;
    h[8..24].copy_from_slice(&SRC6.octets());
    h[24..40].copy_from_slice(&DST6.octets());
    h[40] = 17; // Fragment header's Next Header: UDP
    let off = (offset as u16) | u16::from(more);
    h[42..44].copy_from_slice(&off.to_be_bytes());
    h[44..48].copy_from_slice(&ident.to_be_bytes());
    h
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

type Out = Result<Option<(Vec<u8>, Vec<u8>)>, ReassemblyError>;

/// `add` with the result copied out of the slot.
fn add(
    r: &mut Reassembler<'_>,
    now: Instant,
    key: FragmentKey,
    header: &[u8],
    offset: usize,
    more: bool,
    payload: &[u8],
) -> Out {
    r.add(
        now,
        Fragment {
            key,
            offset_bytes: offset,
            more_fragments: more,
            header,
            payload,
        },
    )
    .map(|o| o.map(|d| (d.header.to_vec(), d.payload.to_vec())))
}

/// Adds one piece of an IPv4 datagram from SRC, `ident`.
fn add4(
    r: &mut Reassembler<'_>,
    now: Instant,
    ident: u16,
    whole: &[u8],
    at: (usize, usize, bool),
) -> Out {
    let (offset, len, more) = at;
    let h = header4(SRC, ident, offset, more, len);
    add(
        r,
        now,
        key4(SRC, ident),
        &h,
        offset,
        more,
        &whole[offset..offset + len],
    )
}

fn add6(
    r: &mut Reassembler<'_>,
    now: Instant,
    ident: u32,
    whole: &[u8],
    at: (usize, usize, bool),
) -> Out {
    let (offset, len, more) = at;
    let h = header6(ident, offset, more);
    add(
        r,
        now,
        key6(ident),
        &h,
        offset,
        more,
        &whole[offset..offset + len],
    )
}

fn with<R>(
    slots: usize,
    size: usize,
    config: ReassemblyConfig,
    f: impl FnOnce(&mut Reassembler<'_>) -> R,
) -> R {
    let mut bufs: Vec<Vec<u8>> = (0..slots).map(|_| vec![0; size]).collect();
    let mut slots: Vec<ReassemblySlot<'_>> = bufs
        .iter_mut()
        .map(|b| ReassemblySlot::new(&mut b[..]))
        .collect();
    let mut r = Reassembler::with_config(&mut slots[..], config);
    f(&mut r)
}

fn plan(len: usize, max: usize) -> Vec<(usize, usize, bool)> {
    fragments(len, max)
        .map(|p| (p.offset, p.len, p.more))
        .collect()
}

const T0: Instant = Instant::from_secs(100);

/// RFC 791 §3.2: the reassembled header is the offset-0 fragment's, with
/// MF clear, offset 0 and the whole Total Length.
fn check_v4_whole(header: &[u8], payload: &[u8], whole: &[u8]) {
    assert_eq!(payload, whole);
    let mut datagram = header.to_vec();
    datagram.extend_from_slice(payload);
    let p = Ipv4Packet::new_checked(&datagram[..]).unwrap();
    let repr = Ipv4Repr::parse(&p, ChecksumMode::Check).unwrap();
    assert_eq!(repr.payload_len, whole.len());
    assert!(!repr.more_frags);
    assert_eq!(repr.frag_offset, 0);
    assert_eq!(repr.ident, 7);
    assert_eq!(p.payload(), whole);
}

#[test]
fn v4_in_order_completes_on_last_fragment() {
    let whole = data(100, 1);
    with(1, 512, ReassemblyConfig::default(), |r| {
        let pieces = plan(whole.len(), 24);
        assert_eq!(pieces.len(), 5);
        for &p in &pieces[..4] {
            assert_eq!(add4(r, T0, 7, &whole, p), Ok(None));
            assert_eq!(r.in_progress(), 1);
        }
        let (h, d) = add4(r, T0, 7, &whole, pieces[4]).unwrap().unwrap();
        check_v4_whole(&h, &d, &whole);
        // The slot is lent until the next call, then free.
        assert_eq!(r.in_progress(), 0);
        assert_eq!(r.poll_at(), None);
    });
}

#[test]
fn v4_reassembled_datagram_is_contiguous_and_names_protocol() {
    let whole = data(40, 9);
    with(1, 512, ReassemblyConfig::default(), |r| {
        add4(r, T0, 7, &whole, (24, 16, false)).unwrap();
        let h = header4(SRC, 7, 0, true, 24);
        let out = r
            .add(
                T0,
                Fragment {
                    key: key4(SRC, 7),
                    offset_bytes: 0,
                    more_fragments: true,
                    header: &h,
                    payload: &whole[..24],
                },
            )
            .unwrap()
            .unwrap();
        assert_eq!(out.next_header(), Some(IpProtocol::Udp));
        assert_eq!(out.datagram().len(), 60);
        assert_eq!(&out.datagram()[20..], &whole[..]);
        assert_eq!(&out.datagram()[..20], out.header);
    });
}

#[test]
fn v4_reverse_order_completes_on_fragment_zero() {
    let whole = data(1000, 2);
    with(1, 2048, ReassemblyConfig::default(), |r| {
        let pieces = plan(whole.len(), 200);
        let (last, rest) = pieces.split_first().unwrap();
        for &p in rest.iter().rev() {
            assert_eq!(add4(r, T0, 7, &whole, p), Ok(None));
        }
        let (h, d) = add4(r, T0, 7, &whole, *last).unwrap().unwrap();
        check_v4_whole(&h, &d, &whole);
    });
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

#[test]
fn v4_every_permutation_of_five_fragments_completes_exactly_once() {
    let whole = data(77, 3); // 16+16+16+16+13
    let pieces = plan(whole.len(), 16);
    assert_eq!(pieces.len(), 5);
    let orders = permutations(5);
    assert_eq!(orders.len(), 120);
    with(1, 256, ReassemblyConfig::default(), |r| {
        for order in &orders {
            for (i, &k) in order.iter().enumerate() {
                let out = add4(r, T0, 7, &whole, pieces[k]).unwrap();
                if i < 4 {
                    assert_eq!(out, None, "order {order:?} completed early");
                } else {
                    let (h, d) = out.expect("complete after all five");
                    check_v4_whole(&h, &d, &whole);
                }
            }
        }
    });
}

#[test]
fn v6_every_permutation_of_five_fragments_completes_exactly_once() {
    let whole = data(77, 4);
    let pieces = plan(whole.len(), 16);
    with(1, 256, ReassemblyConfig::default(), |r| {
        for order in permutations(5) {
            for (i, &k) in order.iter().enumerate() {
                let out = add6(r, T0, 0xdead_beef, &whole, pieces[k]).unwrap();
                if i < 4 {
                    assert_eq!(out, None);
                } else {
                    let (h, d) = out.unwrap();
                    assert_eq!(d, whole);
                    // The offset-0 fragment's header, as received.
                    assert_eq!(h, header6(0xdead_beef, 0, true));
                }
            }
        }
    });
}

#[test]
fn v6_reassembled_names_protocol_from_first_fragment_header() {
    let whole = data(24, 4);
    with(1, 256, ReassemblyConfig::default(), |r| {
        add6(r, T0, 5, &whole, (16, 8, false)).unwrap();
        let h = header6(5, 0, true);
        let out = r
            .add(
                T0,
                Fragment {
                    key: key6(5),
                    offset_bytes: 0,
                    more_fragments: true,
                    header: &h,
                    payload: &whole[..16],
                },
            )
            .unwrap()
            .unwrap();
        assert_eq!(out.next_header(), Some(IpProtocol::Udp));
        assert_eq!(out.payload, &whole[..]);
    });
}

#[test]
fn exact_duplicates_are_dropped_alone_v4_and_v6() {
    let whole = data(48, 5);
    let pieces = plan(whole.len(), 16);
    with(1, 256, ReassemblyConfig::default(), |r| {
        assert_eq!(add4(r, T0, 7, &whole, pieces[1]), Ok(None));
        assert_eq!(add4(r, T0, 7, &whole, pieces[1]), Ok(None));
        assert_eq!(add4(r, T0, 7, &whole, pieces[0]), Ok(None));
        assert_eq!(add4(r, T0, 7, &whole, pieces[0]), Ok(None));
        assert_eq!(add4(r, T0, 7, &whole, pieces[1]), Ok(None));
        let (h, d) = add4(r, T0, 7, &whole, pieces[2]).unwrap().unwrap();
        check_v4_whole(&h, &d, &whole);

        // RFC 8200 §4.5: exact duplicates need not abandon the packet.
        assert_eq!(add6(r, T0, 9, &whole, pieces[2]), Ok(None));
        assert_eq!(add6(r, T0, 9, &whole, pieces[2]), Ok(None));
        assert_eq!(add6(r, T0, 9, &whole, pieces[0]), Ok(None));
        assert_eq!(add6(r, T0, 9, &whole, pieces[0]), Ok(None));
        let (_, d) = add6(r, T0, 9, &whole, pieces[1]).unwrap().unwrap();
        assert_eq!(d, whole);
    });
}

#[test]
fn v4_overlap_keeps_first_received_bytes_both_ways() {
    // A fragment over the head of an earlier one, then one over its tail:
    // RFC 1858 §4: a later fragment must not rewrite accepted bytes.
    let a = [0xaau8; 16];
    let b = [0xbbu8; 16];
    let c = [0xccu8; 16];
    let tail = [0xddu8; 5];
    with(1, 256, ReassemblyConfig::default(), |r| {
        let k = key4(SRC, 7);
        let h0 = header4(SRC, 7, 0, true, 16);
        let hx = header4(SRC, 7, 8, true, 16);
        assert_eq!(add(r, T0, k, &hx, 8, true, &a), Ok(None)); // [8,24) = A
        assert_eq!(add(r, T0, k, &h0, 0, true, &b), Ok(None)); // [0,16): only [0,8) new
        assert_eq!(add(r, T0, k, &hx, 16, true, &c), Ok(None)); // [16,32): only [24,32) new
        let (_, d) = add(r, T0, k, &hx, 32, false, &tail).unwrap().unwrap();
        let mut want = Vec::new();
        want.extend_from_slice(&[0xbb; 8]);
        want.extend_from_slice(&[0xaa; 16]);
        want.extend_from_slice(&[0xcc; 8]);
        want.extend_from_slice(&tail);
        assert_eq!(d, want);

        // The other way round: the wide fragment first, narrower ones
        // inside it later are covered and change nothing.
        assert_eq!(add(r, T0, k, &h0, 0, true, &[0x11; 32]), Ok(None));
        assert_eq!(add(r, T0, k, &hx, 8, true, &[0x22; 16]), Ok(None));
        assert_eq!(add(r, T0, k, &hx, 24, true, &[0x33; 16]), Ok(None)); // [32,40) new
        let (_, d) = add(r, T0, k, &hx, 40, false, &[0x44; 3]).unwrap().unwrap();
        let mut want = vec![0x11; 32];
        want.extend_from_slice(&[0x33; 8]);
        want.extend_from_slice(&[0x44; 3]);
        assert_eq!(d, want);
    });
}

#[test]
fn v6_overlap_abandons_whole_datagram_rfc5722() {
    let whole = data(64, 6);
    with(1, 256, ReassemblyConfig::default(), |r| {
        // Overlapping the head of what is there.
        assert_eq!(add6(r, T0, 1, &whole, (16, 16, true)), Ok(None));
        assert_eq!(
            add6(r, T0, 1, &whole, (8, 16, true)),
            Err(ReassemblyError::Overlap)
        );
        assert_eq!(r.in_progress(), 0);
        assert_eq!(r.poll_at(), None);
        // What follows starts afresh and cannot complete on its own.
        assert_eq!(add6(r, T0, 1, &whole, (0, 16, true)), Ok(None));
        assert_eq!(add6(r, T0, 1, &whole, (32, 32, false)), Ok(None));
        assert_eq!(r.in_progress(), 1);
        // Overlapping the tail of what is there.
        assert_eq!(
            add6(r, T0, 1, &whole, (8, 16, true)),
            Err(ReassemblyError::Overlap)
        );
        assert_eq!(r.in_progress(), 0);

        // Same range, different bytes: not an exact duplicate.
        assert_eq!(add6(r, T0, 2, &whole, (0, 16, true)), Ok(None));
        let h = header6(2, 0, true);
        assert_eq!(
            add(r, T0, key6(2), &h, 0, true, &[0u8; 16]),
            Err(ReassemblyError::Overlap)
        );
        assert_eq!(r.in_progress(), 0);
    });
}

#[test]
fn gaps_never_complete() {
    let whole = data(64, 7);
    with(2, 256, ReassemblyConfig::default(), |r| {
        assert_eq!(add4(r, T0, 7, &whole, (0, 16, true)), Ok(None));
        assert_eq!(add4(r, T0, 7, &whole, (32, 32, false)), Ok(None));
        assert_eq!(add4(r, T0, 7, &whole, (16, 8, true)), Ok(None));
        // [24, 32) still missing: no amount of repeating completes it.
        for _ in 0..3 {
            assert_eq!(add4(r, T0, 7, &whole, (0, 16, true)), Ok(None));
            assert_eq!(add4(r, T0, 7, &whole, (32, 32, false)), Ok(None));
        }
        assert_eq!(r.in_progress(), 1);
        // Fragment zero missing: never complete either.
        assert_eq!(add4(r, T0, 8, &whole, (16, 16, true)), Ok(None));
        assert_eq!(add4(r, T0, 8, &whole, (32, 32, false)), Ok(None));
        assert_eq!(r.in_progress(), 2);
        assert_eq!(
            add4(r, T0, 7, &whole, (24, 8, true)).unwrap().unwrap().1,
            whole
        );
    });
}

fn expired(r: &mut Reassembler<'_>, now: Instant) -> Vec<(FragmentKey, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    r.expire(now, |e| {
        out.push((e.key, e.first_fragment.map(|f| f.to_vec())))
    });
    out
}

#[test]
fn v4_timeout_at_exactly_first_arrival_plus_30s_with_fragment_zero() {
    let whole = data(64, 8);
    with(2, 256, ReassemblyConfig::default(), |r| {
        assert_eq!(add4(r, T0, 7, &whole, (0, 16, true)), Ok(None));
        // A later fragment does not restart the timer (RFC 791 §3.2 runs
        // it from the first-arriving fragment).
        let later = T0 + Duration::from_secs(10);
        assert_eq!(add4(r, later, 7, &whole, (32, 32, false)), Ok(None));
        let deadline = T0 + Duration::from_secs(30);
        assert_eq!(r.poll_at(), Some(deadline));
        assert!(expired(r, deadline - Duration::from_micros(1)).is_empty());
        assert_eq!(r.in_progress(), 1);
        let out = expired(r, deadline);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, key4(SRC, 7));
        // RFC 792: the header plus the first 64 bits of data.
        let mut quote = header4(SRC, 7, 0, true, 16);
        quote.extend_from_slice(&whole[..8]);
        assert_eq!(out[0].1.as_deref(), Some(&quote[..]));
        assert_eq!(r.in_progress(), 0);
        assert_eq!(r.poll_at(), None);
        assert!(expired(r, deadline + Duration::from_micros(1)).is_empty());
    });
}

#[test]
fn timeout_without_fragment_zero_reports_no_quote() {
    let whole = data(64, 8);
    with(2, 256, ReassemblyConfig::default(), |r| {
        assert_eq!(add4(r, T0, 7, &whole, (16, 16, true)), Ok(None));
        let deadline = T0 + Duration::from_secs(30);
        assert!(expired(r, deadline - Duration::from_micros(1)).is_empty());
        // RFC 1122 §3.3.2: no ICMP error unless fragment zero arrived.
        assert_eq!(expired(r, deadline), vec![(key4(SRC, 7), None)]);
    });
}

#[test]
fn v6_timeout_at_exactly_60s_quotes_whole_first_fragment() {
    let whole = data(64, 8);
    with(2, 256, ReassemblyConfig::default(), |r| {
        assert_eq!(add6(r, T0, 3, &whole, (24, 8, true)), Ok(None));
        let t1 = T0 + Duration::from_secs(1);
        assert_eq!(add4(r, t1, 7, &whole, (24, 8, true)), Ok(None));
        assert_eq!(add6(r, t1, 3, &whole, (0, 24, true)), Ok(None));
        // The IPv4 datagram (30 s) is due first.
        assert_eq!(r.poll_at(), Some(t1 + Duration::from_secs(30)));
        assert_eq!(expired(r, t1 + Duration::from_secs(30)).len(), 1);
        let deadline = T0 + Duration::from_secs(60);
        assert_eq!(r.poll_at(), Some(deadline));
        assert!(expired(r, deadline - Duration::from_micros(1)).is_empty());
        let mut quote = header6(3, 0, true);
        quote.extend_from_slice(&whole[..24]);
        assert_eq!(expired(r, deadline), vec![(key6(3), Some(quote))]);
    });
}

#[test]
fn configured_timeout_is_used() {
    let config = ReassemblyConfig {
        ipv4_timeout: Duration::from_secs(15), // RFC 791's suggestion
        ..ReassemblyConfig::default()
    };
    let whole = data(64, 8);
    with(1, 256, config, |r| {
        assert_eq!(add4(r, T0, 7, &whole, (16, 16, true)), Ok(None));
        assert_eq!(r.poll_at(), Some(T0 + Duration::from_secs(15)));
    });
}

#[test]
fn full_slots_evict_the_oldest_and_count_it() {
    let whole = data(32, 9);
    with(2, 256, ReassemblyConfig::default(), |r| {
        let t1 = T0 + Duration::from_millis(1);
        let t2 = T0 + Duration::from_millis(2);
        assert_eq!(add4(r, t1, 1, &whole, (0, 16, true)), Ok(None));
        assert_eq!(add4(r, T0, 2, &whole, (0, 16, true)), Ok(None)); // oldest
        assert_eq!(r.evictions(), 0);
        assert_eq!(add4(r, t2, 3, &whole, (0, 16, true)), Ok(None));
        assert_eq!(r.evictions(), 1);
        assert_eq!(r.in_progress(), 2);
        // Datagram 2 lost its first half: its last fragment evicts the
        // next oldest (1) and never completes.
        assert_eq!(add4(r, t2, 2, &whole, (16, 16, false)), Ok(None));
        assert_eq!(r.evictions(), 2);
        assert_eq!(
            add4(r, t2, 3, &whole, (16, 16, false)).unwrap().unwrap().1,
            whole
        );
    });
}

#[test]
fn full_slots_refuse_when_configured() {
    let config = ReassemblyConfig {
        when_full: WhenFull::Refuse,
        ..ReassemblyConfig::default()
    };
    let whole = data(32, 9);
    with(1, 256, config, |r| {
        assert_eq!(add4(r, T0, 1, &whole, (0, 16, true)), Ok(None));
        assert_eq!(
            add4(r, T0, 2, &whole, (0, 16, true)),
            Err(ReassemblyError::NoFreeSlot)
        );
        assert_eq!(r.evictions(), 0);
        assert_eq!(
            add4(r, T0, 1, &whole, (16, 16, false)).unwrap().unwrap().1,
            whole
        );
        // Once done, the slot serves the next datagram.
        assert_eq!(add4(r, T0, 2, &whole, (0, 16, true)), Ok(None));
    });
}

#[test]
fn more_fragments_with_length_not_multiple_of_8_is_rejected() {
    let whole = data(64, 10);
    with(1, 256, ReassemblyConfig::default(), |r| {
        // RFC 8200 §4.5 / RFC 791 §3.2.
        assert_eq!(
            add4(r, T0, 7, &whole, (0, 12, true)),
            Err(ReassemblyError::Unaligned)
        );
        assert_eq!(
            add6(r, T0, 7, &whole, (8, 20, true)),
            Err(ReassemblyError::Unaligned)
        );
        let h = header4(SRC, 7, 0, true, 8);
        assert_eq!(
            add(r, T0, key4(SRC, 7), &h, 4, true, &whole[..8]),
            Err(ReassemblyError::Unaligned)
        );
        assert_eq!(r.in_progress(), 0);
        // Only the last fragment may have any length.
        assert_eq!(add4(r, T0, 7, &whole, (48, 13, false)), Ok(None));
    });
}

#[test]
fn fragment_past_65535_is_rejected() {
    let big = vec![0x5a; 65600];
    with(1, 256, ReassemblyConfig::default(), |r| {
        // IPv4: 20-byte header + payload end must stay within 65535.
        assert_eq!(
            add4(r, T0, 7, &big, (65512, 8, true)),
            Err(ReassemblyError::TooLong)
        );
        assert_eq!(
            add4(r, T0, 7, &big, (65512, 4, false)),
            Err(ReassemblyError::TooLong)
        );
        assert_eq!(
            add4(r, T0, 7, &big, (65512, 3, false)),
            Err(ReassemblyError::TooBigForSlot),
            "65535 exactly is legal, only too big for this slot"
        );
        // IPv6: Payload Length (without the Fragment header) ≤ 65535.
        assert_eq!(
            add6(r, T0, 7, &big, (65528, 8, false)),
            Err(ReassemblyError::TooLong)
        );
        assert_eq!(
            add6(r, T0, 7, &big, (65528, 7, false)),
            Err(ReassemblyError::TooBigForSlot)
        );
        let h = header4(SRC, 7, 0, true, 8);
        assert_eq!(
            add(r, T0, key4(SRC, 7), &h, usize::MAX & !7, false, &[1]),
            Err(ReassemblyError::TooLong)
        );
        assert_eq!(r.in_progress(), 0);
    });
}

#[test]
fn largest_ipv4_datagram_fits_a_buffer_len_for_65535() {
    let whole = data(65515, 11);
    let size = ReassemblySlot::buffer_len_for(65535);
    with(1, size, ReassemblyConfig::default(), |r| {
        let pieces = plan(whole.len(), 1480);
        let (last, rest) = pieces.split_last().unwrap();
        for &p in rest.iter().rev() {
            assert_eq!(add4(r, T0, 7, &whole, p), Ok(None));
        }
        let (h, d) = add4(r, T0, 7, &whole, *last).unwrap().unwrap();
        check_v4_whole(&h, &d, &whole);
    });
    // One byte less of buffer and it no longer fits.
    with(1, size - 1, ReassemblyConfig::default(), |r| {
        let err = plan(whole.len(), 1480)
            .into_iter()
            .map(|p| add4(r, T0, 7, &whole, p))
            .find(|o| o.is_err());
        assert_eq!(err, Some(Err(ReassemblyError::TooBigForSlot)));
    });
}

#[test]
fn buffer_len_for_leaves_room_for_the_bitmap() {
    for n in (0..70_000).step_by(7) {
        let len = ReassemblySlot::buffer_len_for(n);
        let data_len = ReassemblySlot::data_len_of(len);
        assert!(data_len >= n, "n {n}");
        assert!(data_len.div_ceil(8) <= 8 * (len - data_len), "n {n}");
    }
    let max = ReassemblySlot::data_len_of(ReassemblySlot::MAX_BUFFER_LEN);
    assert!(max >= 65535 + 48);
}

#[test]
fn max_payload_len_is_enforced() {
    let config = ReassemblyConfig {
        max_payload_len: Some(576),
        ..ReassemblyConfig::default()
    };
    let whole = data(600, 12);
    with(1, 2048, config, |r| {
        assert_eq!(add4(r, T0, 7, &whole, (568, 8, true)), Ok(None));
        assert_eq!(
            add4(r, T0, 7, &whole, (576, 8, false)),
            Err(ReassemblyError::TooLong)
        );
        assert_eq!(r.in_progress(), 1);
    });
}

#[test]
fn conflicting_last_fragment_abandons_datagram() {
    let whole = data(64, 13);
    with(1, 256, ReassemblyConfig::default(), |r| {
        assert_eq!(add4(r, T0, 7, &whole, (16, 16, true)), Ok(None));
        assert_eq!(add4(r, T0, 7, &whole, (32, 16, false)), Ok(None));
        assert_eq!(
            add4(r, T0, 7, &whole, (32, 24, false)),
            Err(ReassemblyError::ConflictingEnd)
        );
        assert_eq!(r.in_progress(), 0);
        // A last fragment ending before data already received.
        assert_eq!(add4(r, T0, 7, &whole, (32, 16, true)), Ok(None));
        assert_eq!(
            add4(r, T0, 7, &whole, (16, 8, false)),
            Err(ReassemblyError::ConflictingEnd)
        );
        assert_eq!(r.in_progress(), 0);
    });
}

#[test]
fn fragment_beyond_known_end_abandons_datagram() {
    let whole = data(64, 14);
    with(1, 256, ReassemblyConfig::default(), |r| {
        assert_eq!(add6(r, T0, 7, &whole, (16, 13, false)), Ok(None));
        assert_eq!(
            add6(r, T0, 7, &whole, (24, 8, true)),
            Err(ReassemblyError::BeyondEnd)
        );
        assert_eq!(r.in_progress(), 0);
    });
}

#[test]
fn too_big_for_slot_refuses_new_and_abandons_existing() {
    let whole = data(512, 15);
    // 130 bytes: 2 of bitmap, 128 of data.
    with(1, 130, ReassemblyConfig::default(), |r| {
        assert_eq!(r.slots[0].capacity(), 128);
        assert_eq!(
            add4(r, T0, 7, &whole, (104, 8, true)),
            Err(ReassemblyError::TooBigForSlot)
        );
        assert_eq!(r.in_progress(), 0);
        assert_eq!(add4(r, T0, 7, &whole, (96, 8, true)), Ok(None)); // 20 + 104 ≤ 128
        assert_eq!(
            add4(r, T0, 7, &whole, (104, 8, false)),
            Err(ReassemblyError::TooBigForSlot)
        );
        assert_eq!(r.in_progress(), 0);
        // The header arriving last and longer than guessed can push the
        // data out of the slot too.
        assert_eq!(add4(r, T0, 7, &whole, (96, 8, false)), Ok(None));
        let h = header4_opts(SRC, 7, 0, true, 8, &[1, 1, 1, 0, 1, 1, 1, 0]);
        assert_eq!(
            add(r, T0, key4(SRC, 7), &h, 0, true, &whole[..8]),
            Err(ReassemblyError::TooBigForSlot)
        );
        assert_eq!(r.in_progress(), 0);
    });
}

#[test]
fn interleaved_datagrams_from_two_sources_with_same_ident() {
    let one = data(64, 16);
    let two = data(64, 17);
    with(2, 256, ReassemblyConfig::default(), |r| {
        let pieces = plan(64, 16);
        let mut done = Vec::new();
        for &p in &pieces {
            for (src, whole) in [(SRC, &one), (SRC2, &two)] {
                let (offset, len, more) = p;
                let h = header4(src, 7, offset, more, len);
                let k = key4(src, 7);
                if let Some((_, d)) =
                    add(r, T0, k, &h, offset, more, &whole[offset..offset + len]).unwrap()
                {
                    done.push((src, d));
                }
            }
        }
        assert_eq!(done, vec![(SRC, one.clone()), (SRC2, two.clone())]);
    });
}

#[test]
fn late_fragment_zero_with_other_header_length_moves_data() {
    let whole = data(64, 18);
    let opts = [0x94, 0x04, 0x00, 0x00]; // Router Alert (RFC 2113)
    with(1, 256, ReassemblyConfig::default(), |r| {
        // Longer header than the guess.
        assert_eq!(add4(r, T0, 7, &whole, (16, 32, true)), Ok(None));
        assert_eq!(add4(r, T0, 7, &whole, (48, 16, false)), Ok(None));
        let h = header4_opts(SRC, 7, 0, true, 16, &opts);
        let (hd, d) = add(r, T0, key4(SRC, 7), &h, 0, true, &whole[..16])
            .unwrap()
            .unwrap();
        assert_eq!(hd.len(), 24);
        assert_eq!(d, whole);
        check_v4_whole(&hd, &d, &whole);
    });
    with(1, 256, ReassemblyConfig::default(), |r| {
        // Shorter header than the guess (the first-arriving one had options).
        let h = header4_opts(SRC, 7, 16, true, 32, &opts);
        assert_eq!(
            add(r, T0, key4(SRC, 7), &h, 16, true, &whole[16..48]),
            Ok(None)
        );
        assert_eq!(add4(r, T0, 7, &whole, (48, 16, false)), Ok(None));
        let (hd, d) = add4(r, T0, 7, &whole, (0, 16, true)).unwrap().unwrap();
        assert_eq!(hd.len(), 20);
        check_v4_whole(&hd, &d, &whole);
    });
}

#[test]
fn whole_datagram_is_not_a_fragment() {
    let whole = data(16, 19);
    with(1, 256, ReassemblyConfig::default(), |r| {
        assert_eq!(
            add4(r, T0, 7, &whole, (0, 16, false)),
            Err(ReassemblyError::NotAFragment)
        );
        // RFC 6946 §4: an atomic fragment does not touch a queue in progress.
        assert_eq!(add6(r, T0, 7, &whole, (8, 8, false)), Ok(None));
        assert_eq!(
            add6(r, T0, 7, &whole, (0, 16, false)),
            Err(ReassemblyError::NotAFragment)
        );
        assert_eq!(r.in_progress(), 1);
    });
}

#[test]
fn release_frees_a_completed_slot_at_once() {
    let whole = data(32, 20);
    with(
        1,
        256,
        ReassemblyConfig {
            when_full: WhenFull::Refuse,
            ..Default::default()
        },
        |r| {
            assert_eq!(add4(r, T0, 1, &whole, (0, 16, true)), Ok(None));
            assert!(add4(r, T0, 1, &whole, (16, 16, false)).unwrap().is_some());
            assert!(!r.slots[0].is_free());
            r.release();
            assert!(r.slots[0].is_free());
            // expire also frees it, without reporting it.
            assert_eq!(add4(r, T0, 2, &whole, (0, 16, true)), Ok(None));
            assert!(add4(r, T0, 2, &whole, (16, 16, false)).unwrap().is_some());
            assert!(expired(r, T0 + Duration::from_secs(999)).is_empty());
            assert!(r.slots[0].is_free());
        },
    );
}

#[test]
fn v4_last_fragment_inside_earlier_data_still_fixes_the_end() {
    // Its bytes came with a longer, earlier fragment (keep-first), but it
    // is what says the datagram ends at 16: that completes it.
    let whole = data(16, 21);
    with(1, 256, ReassemblyConfig::default(), |r| {
        assert_eq!(add4(r, T0, 7, &whole, (0, 16, true)), Ok(None));
        let (h, d) = add4(r, T0, 7, &whole, (8, 8, false)).unwrap().unwrap();
        check_v4_whole(&h, &d, &whole);
    });
}

#[cfg(feature = "alloc")]
#[test]
fn owned_slots_from_vecs() {
    let slots = vec![
        ReassemblySlot::new(vec![0u8; 65535]),
        ReassemblySlot::new(vec![0u8; ReassemblySlot::MAX_BUFFER_LEN]),
    ];
    let mut r = Reassembler::new(slots);
    let whole = data(3000, 22);
    for p in plan(whole.len(), 1480) {
        let out = add4(&mut r, T0, 7, &whole, p).unwrap();
        assert_eq!(out.map(|o| o.1 == whole), (!p.2).then_some(true));
    }
}

#[test]
fn error_reasons_are_distinct() {
    use ReassemblyError::*;
    let all = [
        NotAFragment,
        Unaligned,
        TooLong,
        ConflictingEnd,
        BeyondEnd,
        Overlap,
        TooBigForSlot,
        NoFreeSlot,
    ];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a.reason(), b.reason());
        }
    }
}
