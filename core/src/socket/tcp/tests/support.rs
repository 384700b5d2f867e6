//! Crafted segments in, emitted segments out, for the rule tests.
extern crate std;
pub(super) use super::super::*;
pub(super) use crate::socket::tcp::assembler::INLINE_RANGES;
pub(super) use crate::wire::tcp::{TcpFlags, MAX_SACK_BLOCKS};
use crate::wire::Ipv4Addr;
pub(super) use std::vec;
pub(super) use std::vec::Vec;

pub(super) const LOCAL: IpEndpoint = IpEndpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 49152);
pub(super) const REMOTE: IpEndpoint = IpEndpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);
pub(super) const ISS: TcpSeqNumber = TcpSeqNumber(0xffff_fff0); // near the 2^32 wrap
pub(super) const IRS: TcpSeqNumber = TcpSeqNumber(1000);
pub(super) const MTU: usize = 1500;

/// An owned copy of an emitted segment.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Seg {
    pub control: TcpFlags,
    pub seq: TcpSeqNumber,
    pub ack: Option<TcpSeqNumber>,
    pub window: u16,
    pub mss: Option<u16>,
    pub ws: Option<u8>,
    pub sack_perm: bool,
    pub sack: Vec<(u32, u32)>,
    pub ts: Option<(u32, u32)>,
    pub payload: Vec<u8>,
}

pub(super) fn socket(buf: usize) -> TcpSocket<'static> {
    let mut s = TcpSocket::new(
        RingBuffer::new(vec![0u8; buf]),
        RingBuffer::new(vec![0u8; buf]),
    );
    // The keyed offset the interface would set (RFC 7323 §7.1): never
    // TSval 0 at time 0, which a peer cannot tell from "no echo".
    s.set_ts_offset(0x5eed_0ff5);
    s
}

pub(super) fn out(s: &mut TcpSocket<'_>, now: Instant) -> Option<Seg> {
    out_mtu(s, now, MTU)
}

/// Emits the next segment of `s` with this MTU, copied.
pub(super) fn out_mtu(s: &mut TcpSocket<'_>, now: Instant, mtu: usize) -> Option<Seg> {
    out_with(
        s,
        TcpContext {
            now,
            mtu,
            tso_payload: 0,
            segments: 1,
        },
    )
}

/// Emits the next segment of `s` with TSO: a super-segment of up to 64 KB.
pub(super) fn out_tso(s: &mut TcpSocket<'_>, now: Instant) -> Option<Seg> {
    out_with(
        s,
        TcpContext {
            now,
            mtu: MTU,
            tso_payload: 65535,
            segments: 1,
        },
    )
}

/// Emits the next segment of `s` as the interface would in `cx`, copied.
fn out_with(s: &mut TcpSocket<'_>, cx: TcpContext) -> Option<Seg> {
    let mut got = None;
    let _ = s.dispatch::<()>(cx, |r| {
        got = Some(copy(r));
        Ok(())
    });
    got
}

/// Every segment one `dispatch` call hands over when it may hand over
/// `segments` (the interface's burst), copied in order.
pub(super) fn out_burst(s: &mut TcpSocket<'_>, now: Instant, segments: usize) -> Vec<Seg> {
    let mut got = Vec::new();
    let cx = TcpContext {
        now,
        mtu: MTU,
        tso_payload: 0,
        segments,
    };
    let _ = s.dispatch::<()>(cx, |r| {
        got.push(copy(r));
        Ok(())
    });
    got
}

/// An owned copy of `r`.
fn copy(r: &TcpRepr<'_>) -> Seg {
    Seg {
        control: r.control,
        seq: r.seq_number,
        ack: r.ack_number,
        window: r.window_len,
        mss: r.max_seg_size,
        ws: r.window_scale,
        sack_perm: r.sack_permitted,
        sack: r.sack_ranges.iter().flatten().copied().collect(),
        ts: r.timestamp,
        payload: r.payload.to_vec(),
    }
}

pub(super) fn seg<'p>(
    control: TcpFlags,
    seq: TcpSeqNumber,
    ack: Option<TcpSeqNumber>,
    payload: &'p [u8],
) -> TcpRepr<'p> {
    TcpRepr {
        ack_number: ack,
        window_len: 65535,
        payload,
        ..TcpRepr::bare(REMOTE.port, LOCAL.port, control, seq)
    }
}

/// An established client connection without options (so numbers are plain).
pub(super) fn established(buf: usize) -> TcpSocket<'static> {
    let mut s = socket(buf);
    s.config.timestamps = false;
    s.config.sack = false;
    s.config.window_scaling = false;
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    let syn = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(syn.control, TcpFlags::SYN);
    let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
    synack.max_seg_size = Some(1460);
    s.process(Instant::ZERO, &synack);
    assert_eq!(s.state(), State::Established);
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((ack.seq, ack.ack), (ISS + 1, Some(IRS + 1)));
    s
}

/// Established with SACK, no timestamps (so 4 blocks fit), every
/// segment ACKed at once.
pub(super) fn established_with_sack() -> TcpSocket<'static> {
    let mut s = socket(8192);
    s.config.timestamps = false;
    s.config.ack_delay = None;
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
    synack.sack_permitted = true;
    s.process(Instant::ZERO, &synack);
    out(&mut s, Instant::ZERO).unwrap();
    s
}
