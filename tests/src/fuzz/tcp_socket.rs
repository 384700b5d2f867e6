//! The `tcp_socket` target: one TCP connection driven by a scripted peer.
//!
//! Random frames almost never land in a connection's window: the sequence
//! numbers are 32 bits and the ISN is secret. This body plays the peer of
//! one [`TcpSocket`] (the client side of a connect, or the connection a
//! [`TcpListener`] accepted) and writes every segment's sequence and
//! acknowledgment numbers *relative* to what the socket last said (its
//! ACK and the highest sequence number it sent), so that small fuzzed
//! deltas reach in-window data, overlaps, holes, duplicate ACKs, SACK
//! blocks, window probes, FIN and RST handling, and the RFC 5961 checks
//! around the window's edges. The socket's segment processing is crate
//! private, so the interface carries the segments, as it does in use.
//!
//! The peer's payload byte at sequence number `s` is [`peer_byte`]`(s)`
//! and the application's `n`-th byte written is [`app_byte`]`(n)`, so both
//! directions are checked end to end after every poll:
//!
//! - what the application reads is exactly the peer's stream from IRS + 1
//!   (reassembly, overlapping retransmissions, SYN data, FIN);
//! - every data byte the socket sends at sequence `s` is the application's
//!   byte `s - (ISS + 1)`, and was written (retransmission, SACK recovery,
//!   persist probes read the send ring at the right offset);
//! - the queues fit their buffers, a failed connection is closed, an open
//!   one has the 4-tuple it was opened with, `poll_at` is not in the past
//!   (nor stuck at now while nothing is sent),
//!   `poll` does not allocate (with [`CountingAlloc`](super::iface::CountingAlloc)),
//!   and every frame sent parses with checksums checked.
//!
//! # Input
//!
//! ```text
//! config byte: bit 0 server (else client), bits 1-3 the peer offers
//!   timestamps, SACK, window scale in its SYN; bit 4 Nagle off, bit 5 no
//!   delayed ACK, bit 6 keepalive and a user timeout, bit 7 NewReno
//! ISS selector (u16), IRS selector (u16): see [`seq_choice`]; 0 keeps
//!   the defaults (the ISS the interface picks at time 0, IRS [`PEER_ISS`])
//! records until the input ends:
//!   00cccccc: a segment, control bits c (FIN SYN RST PSH ACK URG from bit
//!     0), then seq delta (i16), ack delta (i16), window (u16), option byte
//!     (bit 0 TSopt, bits 1-2 SACK blocks, bit 3 MSS and WS, bit 4 ack
//!     delta from the peer's previous ACK instead), payload
//!     length / 8 (u8), and per SACK block its start and length relative
//!     to the ACK (u16 each)
//!   01nnnkkk: the application: k = 0 write (n + 1) * 512 bytes, 1 read
//!     all, 2 read 100 bytes, 3 close, 4 abort, 5 toggle Nagle, 6 connect
//!     again or lend the socket to the listener again, 7 shutdown
//!   10rrtttt: r + 1 polls, each after STEPS[t] (t = 15: jump to poll_at)
//!   11xxxxxx: one poll now
//! ```
//!
//! The sequence delta is added to the socket's last ACK (the peer's ISN
//! before there is one), the ack delta to the highest sequence number the
//! socket sent.
//!
//! # Sequence numbers near the wrap
//!
//! The selectors put the socket's ISS and the peer's IRS just below 2^32,
//! just below 2^31 (where a difference read as `i32` changes sign), just
//! above 0, or anywhere, so that the few kilobytes an input moves cross the
//! wrap in either direction. The peer picks its IRS freely; the socket's
//! ISS is RFC 6528's `M + F(4-tuple, secret)` with `M` the 4 µs clock, so
//! the harness starts its clock where `M` lands the ISS on the choice. `F`
//! is learnt once per configuration (and thread) from a throwaway run.
//!
//! # Cost
//!
//! A run is a few hundred polls at most; what is around them is kept small:
//! the link (with its frame buffers) is reused from run to run, segments are
//! built in one reused buffer, and the byte streams are slices of one
//! precomputed table (copied and compared with `memcpy`/`memcmp`, not byte by
//! byte under the fuzzer's comparison tracing).

use std::cell::{Cell, RefCell};
use std::hint::black_box;
use std::sync::OnceLock;

use rstcp::iface::fragment::ReassemblySlot;
use rstcp::iface::{Config, Interface, InterfaceStorage};
use rstcp::phy::{Device, DeviceCapabilities, RxToken, TxToken};
use rstcp::socket::tcp::congestion::CongestionKind;
use rstcp::socket::tcp::{HalfOpen, State, TcpConfig, TcpListener, TcpSocket};
use rstcp::socket::{SocketHandle, SocketSet};
use rstcp::storage::RingBuffer;
use rstcp::time::{Duration, Instant};
use rstcp::wire::ethernet::{EtherType, EthernetFrame};
use rstcp::wire::ipv4::{Ipv4Packet, Ipv4Repr};
use rstcp::wire::tcp::{TcpFlags, TcpPacket, TcpRepr, TcpSeqNumber, MAX_SACK_BLOCKS};
use rstcp::wire::{ChecksumMode, IpAddr, IpEndpoint, IpProtocol, Ipv4Cidr};
use rstcp_testkit::loopback::{Link, Side};

use super::iface::{
    allocations, answer_resolution, counting_installed, ipv4_frame_into, warm_up, IP4, MAC, PEER4,
};

/// The listener's port (server role).
pub const SERVER_PORT: u16 = 80;
/// Our port in the client role.
pub const CLIENT_PORT: u16 = 40000;
/// The peer's port.
pub const PEER_PORT: u16 = 5000;
/// The peer's initial sequence number when the input's IRS selector is 0:
/// close to the wrap, so that connections cross it.
pub const PEER_ISS: u32 = 0xffff_f000;
/// The socket's receive buffer.
pub const RX: usize = 4096;
/// The socket's send buffer.
pub const TX: usize = 8192;

/// Config bits.
pub const CFG_SERVER: u8 = 1 << 0;
/// The peer offers timestamps.
pub const CFG_TS: u8 = 1 << 1;
/// The peer offers SACK.
pub const CFG_SACK: u8 = 1 << 2;
/// The peer offers window scaling.
pub const CFG_WS: u8 = 1 << 3;
/// Nagle off.
pub const CFG_NODELAY: u8 = 1 << 4;
/// ACK every segment at once.
pub const CFG_QUICKACK: u8 = 1 << 5;
/// Keepalive (10 s, 1 s, 3 probes) and a 30 s user timeout.
pub const CFG_KEEPALIVE: u8 = 1 << 6;
/// NewReno instead of CUBIC.
pub const CFG_NEWRENO: u8 = 1 << 7;

/// Record kinds (top two bits).
pub const SEG: u8 = 0x00;
/// An application call.
pub const APP: u8 = 0x40;
/// Time passes.
pub const TIME: u8 = 0x80;
/// A poll now.
pub const POLL: u8 = 0xc0;

/// Segment option bits.
pub const O_TS: u8 = 1 << 0;
/// MSS and window scale (meant for SYNs).
pub const O_SYN: u8 = 1 << 3;
/// The ack delta counts from the peer's previous ACK (duplicate ACKs).
pub const O_PREV_ACK: u8 = 1 << 4;

/// Application calls.
pub const A_WRITE: u8 = 0;
/// Read everything.
pub const A_READ: u8 = 1;
/// Read 100 bytes.
pub const A_READ_SOME: u8 = 2;
/// Close.
pub const A_CLOSE: u8 = 3;
/// Abort.
pub const A_ABORT: u8 = 4;
/// Toggle Nagle.
pub const A_NODELAY: u8 = 5;
/// Connect again (client) or lend the socket again (server).
pub const A_REOPEN: u8 = 6;
/// Shut the write side.
pub const A_SHUTDOWN: u8 = 7;

/// µs per poll of a time record; 15 jumps to `poll_at`.
const STEPS: [u64; 16] = [
    0,
    1_000,
    10_000,
    40_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    30_000_000,
    60_000_000,
    120_000_000,
    600_000_000,
    u64::MAX,
];
const LINK_CAPACITY: usize = 64;
const MTU: usize = 1500;

/// The period of the byte streams: a prime larger than every buffer, so a
/// byte read or sent at a wrong offset differs from the right one (unless
/// the offset is off by a multiple of the period).
const PERIOD: usize = 65_521;
/// The longest slice [`pattern`] hands out from any start.
const SPAN: usize = 4096;

/// `PERIOD` pseudorandom bytes, then their first `SPAN` again, so that any
/// `SPAN` bytes of the periodic stream are one slice.
fn pattern() -> &'static [u8] {
    static TABLE: OnceLock<Box<[u8]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut x: u32 = 0x9e37_79b9;
        let mut t: Vec<u8> = (0..PERIOD)
            .map(|_| {
                // xorshift32
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect();
        t.extend_from_within(..SPAN);
        t.into_boxed_slice()
    })
}

/// The peer's stream from sequence number `seq`, `len` (at most [`SPAN`])
/// bytes: before the wrap and after it (byte `s` is the table's `s % PERIOD`).
fn peer_stream(seq: u32, len: usize) -> (&'static [u8], &'static [u8]) {
    let t = pattern();
    let before = usize::try_from((1u64 << 32) - u64::from(seq)).unwrap_or(usize::MAX);
    let first = len.min(before);
    let at = seq as usize % PERIOD;
    (&t[at..at + first], &t[..len - first])
}

/// The peer's payload byte at sequence number `seq`.
pub fn peer_byte(seq: u32) -> u8 {
    pattern()[seq as usize % PERIOD]
}

/// The application's bytes `n..n + len` (`len` at most [`SPAN`]).
fn app_stream(n: u64, len: usize) -> &'static [u8] {
    let at = (n % PERIOD as u64) as usize;
    &pattern()[at..at + len]
}

/// The application's `n`-th byte written on a connection.
pub fn app_byte(n: u64) -> u8 {
    app_stream(n, 1)[0]
}

/// Where an ISS or IRS selector puts the sequence number (`None` for 0: the
/// default). The top two bits pick the region, the low 14 a distance `d`:
/// `2^32 - d` (just below the wrap), `2^31 - d` (just below the half-turn),
/// `d` (just after the wrap), `d << 18` (anywhere).
pub fn seq_choice(sel: u16) -> Option<u32> {
    if sel == 0 {
        return None;
    }
    let d = u32::from(sel & 0x3fff);
    Some(match sel >> 14 {
        0 => 0u32.wrapping_sub(d),
        1 => (1u32 << 31).wrapping_sub(d),
        2 => d,
        _ => d << 18,
    })
}

/// The selector whose [`seq_choice`] is `2^32 - d` (`d` in 1..2^14).
pub fn below_wrap(d: u16) -> u16 {
    d & 0x3fff
}

/// Fuzz body; see the module docs for the input.
pub fn tcp_socket(data: &[u8]) {
    run(data);
}

/// What a run did, for the tests that check the seeds reach deep.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// The states the socket was seen in after polls (changes only).
    pub states: Vec<State>,
    /// Bytes the application read (all checked against the peer's stream).
    pub read: u64,
    /// Data bytes the socket sent (retransmissions included, all checked).
    pub sent_data: u64,
    /// Segments the socket sent, by kind: SYN, RST, FIN, pure ACK, data.
    pub sent: [u64; 5],
    /// The socket's counters at the end.
    pub stats: rstcp::socket::tcp::TcpStats,
    /// The ISS of the socket's first SYN or SYN-ACK.
    pub iss: Option<u32>,
}

/// Runs the body over `data`; `None` for an empty input.
pub fn run(data: &[u8]) -> Option<Outcome> {
    let (&config, rest) = data.split_first()?;
    // A cut-off selector reads as zero bytes: every prefix is an input.
    let mut sel = [0u8; 4];
    let n = rest.len().min(4);
    sel[..n].copy_from_slice(&rest[..n]);
    let mut rest = &rest[n..];
    let iss = seq_choice(u16::from_be_bytes([sel[0], sel[1]]));
    let irs = seq_choice(u16::from_be_bytes([sel[2], sel[3]])).unwrap_or(PEER_ISS);
    super::iface::keep_heap();
    let f = isn_offset(config);
    let mut h = Harness::new(config, iss, irs, Some(f));
    while let Some((&head, tail)) = rest.split_first() {
        rest = tail;
        match head & 0xc0 {
            SEG => {
                let Some((fields, tail)) = rest.split_first_chunk::<8>() else {
                    break;
                };
                rest = tail;
                let blocks = usize::from((fields[6] >> 1) & 3);
                let Some((sack, tail)) = rest.split_at_checked(blocks * 4) else {
                    break;
                };
                rest = tail;
                h.segment(head & 0x3f, fields, sack);
                h.poll();
            }
            APP => h.app(head & 7, (head >> 3) & 7),
            TIME => {
                for _ in 0..=((head >> 4) & 3) {
                    h.advance(STEPS[usize::from(head & 0x0f)]);
                    h.poll();
                }
            }
            _ => h.poll(),
        }
    }
    h.poll();
    for _ in 0..8 {
        if !h.jump() {
            break;
        }
        h.poll();
    }
    let stats = h.socket().stats();
    let out = std::mem::take(&mut h.out);
    Some(Outcome { stats, ..out })
}

/// What the peer knows of the socket's current connection, read off the
/// segments it sent.
#[derive(Debug, Default, Clone, Copy)]
struct Seen {
    /// ISS + 1: the sequence number of the application's byte 0.
    tx_base: Option<TcpSeqNumber>,
    /// The highest sequence number sent (end of the segment).
    snd_max: Option<TcpSeqNumber>,
    /// The last ACK sent (the socket's RCV.NXT).
    ack: Option<TcpSeqNumber>,
    /// The last TSval sent.
    tsval: u32,
}

/// What runs reuse: the link with its frame buffers (warmed up once, so
/// `poll` never allocates), the harness's frame buffers.
struct Reused {
    link: Link,
    scratch: Vec<u8>,
    frame: Vec<u8>,
}

thread_local! {
    /// The previous run's [`Reused`], handed back when it ended cleanly.
    static REUSED: RefCell<Option<Reused>> = const { RefCell::new(None) };
    /// Per config byte, `F` of RFC 6528's `ISS = M + F` for the socket's
    /// connection (see [`isn_offset`]).
    static ISN_OFFSET: Cell<[Option<u32>; 256]> = const { Cell::new([None; 256]) };
}

/// `F` of the ISS the socket gets under `config` (the random seed and the
/// role come from it): learnt from a throwaway run at time 0, where `M` is
/// 0 and the first SYN's sequence number is `F` itself.
fn isn_offset(config: u8) -> u32 {
    let mut table = ISN_OFFSET.get();
    if let Some(f) = table[usize::from(config)] {
        return f;
    }
    let mut h = Harness::new(config, None, PEER_ISS, None);
    if h.listener.is_some() {
        let syn = TcpFlags::SYN.bits() as u8;
        h.segment(syn, &[0, 0, 0, 0, 0xff, 0xff, 0, 0], &[]);
    }
    // The SYN (or SYN-ACK) leaves once the harness answered ARP.
    for _ in 0..4 {
        if h.seen.tx_base.is_some() {
            break;
        }
        h.poll();
    }
    assert_eq!(h.now, Instant::ZERO, "the learning run kept the clock at 0");
    let f = h
        .seen
        .tx_base
        .expect("the learning run's SYN")
        .0
        .wrapping_sub(1);
    table[usize::from(config)] = Some(f);
    ISN_OFFSET.set(table);
    f
}

struct Harness {
    /// Always `Some` but in `drop`, which hands it back for the next run.
    link: Option<Link>,
    frame: Vec<u8>,
    /// The peer's initial sequence number.
    irs: u32,
    /// `F` of the socket's ISS (`None` in the run that learns it).
    isn_f: Option<u32>,
    iface: Interface<'static>,
    sockets: SocketSet<'static>,
    now: Instant,
    config: u8,
    socket: SocketHandle,
    listener: Option<SocketHandle>,
    seen: Seen,
    /// The peer's last acknowledgment number.
    peer_ack: Option<TcpSeqNumber>,
    /// The next sequence number the application reads (IRS + 1 onwards),
    /// once the socket has acknowledged the peer's SYN.
    read_seq: Option<TcpSeqNumber>,
    /// IRS + 1 of the listener's latest SYN-ACK: `read_seq` at the accept.
    accept_read: Option<TcpSeqNumber>,
    /// Bytes the application wrote on this connection.
    written: u64,
    check_allocs: bool,
    injected: u64,
    nodelay: bool,
    /// The socket's state after the previous poll.
    last_state: State,
    out: Outcome,
    scratch: Vec<u8>,
}

impl Harness {
    /// A harness whose socket's ISS is `iss` (the interface's own choice at
    /// time 0 if `None`) and whose peer's is `irs`; `isn_f` is `F` of the
    /// ISS (see [`isn_offset`]), `None` only to learn it.
    fn new(config: u8, iss: Option<u32>, irs: u32, isn_f: Option<u32>) -> Harness {
        // RFC 6528: ISS = M + F with M = now / 4 µs (mod 2^32), so the clock
        // starts where M = iss - F (within 2^32 * 4 µs, about 4.8 h).
        let now = match (iss, isn_f) {
            (Some(iss), Some(f)) => Instant::from_micros(4 * i64::from(iss.wrapping_sub(f))),
            _ => Instant::ZERO,
        };
        let mut cfg = Config::new(MAC);
        cfg.random_seed = 0x7c9_0000 | u64::from(config);
        cfg.ipv4_probe = false;
        let storage = InterfaceStorage {
            reassembly: vec![ReassemblySlot::new(vec![
                0u8;
                ReassemblySlot::MAX_BUFFER_LEN
            ])]
            .into(),
            pending: vec![0u8; 16 * 1024].into(),
        };
        let mut iface = Interface::new(cfg, storage, now);
        iface
            .add_ipv4_address(Ipv4Cidr::new(IP4, 24).expect("cidr"), now)
            .expect("IPv4 address");
        let mut sockets = SocketSet::new(Vec::with_capacity(4), Vec::with_capacity(16), 0x7c9);

        let mut tcp = TcpConfig::default();
        tcp.nagle = config & CFG_NODELAY == 0;
        if config & CFG_QUICKACK != 0 {
            tcp.ack_delay = None;
        }
        if config & CFG_KEEPALIVE != 0 {
            tcp.keepalive = Some((Duration::from_secs(10), Duration::from_secs(1), 3));
            tcp.user_timeout = Some(Duration::from_secs(30));
        }
        if config & CFG_NEWRENO != 0 {
            tcp.congestion = CongestionKind::NewReno;
        }
        let socket = sockets
            .add(TcpSocket::with_config(
                RingBuffer::new(vec![0u8; RX]),
                RingBuffer::new(vec![0u8; TX]),
                tcp,
            ))
            .expect("add tcp");
        let listener = (config & CFG_SERVER != 0).then(|| {
            let l = sockets
                .add(TcpListener::new(
                    vec![None::<HalfOpen>; 2],
                    vec![None; 1],
                    vec![None; 1],
                ))
                .expect("add listener");
            sockets.listen(l, SERVER_PORT).expect("listen");
            sockets
                .get_mut::<TcpListener>(l)
                .expect("listener")
                .provide(socket)
                .expect("provide");
            l
        });
        if listener.is_none() {
            iface
                .tcp_connect(now, &mut sockets, socket, peer(), CLIENT_PORT)
                .expect("connect");
        }
        let reused = REUSED.take().unwrap_or_else(|| {
            let mut link = Link::new(DeviceCapabilities::ethernet(MTU), LINK_CAPACITY);
            warm_up(&mut link);
            Reused {
                link,
                scratch: Vec::with_capacity(2048),
                frame: Vec::with_capacity(2048),
            }
        });
        Harness {
            link: Some(reused.link),
            frame: reused.frame,
            irs,
            isn_f,
            iface,
            sockets,
            now,
            config,
            socket,
            listener,
            seen: Seen::default(),
            peer_ack: None,
            read_seq: None,
            accept_read: None,
            written: 0,
            check_allocs: counting_installed(),
            injected: 0,
            nodelay: config & CFG_NODELAY != 0,
            last_state: State::Closed,
            out: Outcome::default(),
            scratch: reused.scratch,
        }
    }

    fn link(&mut self) -> &mut Link {
        self.link.as_mut().expect("the link until drop")
    }

    fn local_port(&self) -> u16 {
        if self.listener.is_some() {
            SERVER_PORT
        } else {
            CLIENT_PORT
        }
    }

    fn socket(&mut self) -> &mut TcpSocket<'static> {
        self.sockets.get_mut::<TcpSocket>(self.socket).expect("tcp")
    }

    /// Builds and injects the peer's segment for a segment record.
    fn segment(&mut self, control: u8, f: &[u8; 8], sack: &[u8]) {
        let seq_delta = i16::from_be_bytes([f[0], f[1]]);
        let ack_delta = i16::from_be_bytes([f[2], f[3]]);
        let window = u16::from_be_bytes([f[4], f[5]]);
        let opts = f[6];
        let len = (usize::from(f[7]) * 8).min(MTU - 40 - 40);
        let rcv_ref = self.seen.ack.unwrap_or(TcpSeqNumber(self.irs));
        let snd_ref = match self.peer_ack {
            Some(prev) if opts & O_PREV_ACK != 0 => prev,
            _ => self.seen.snd_max.unwrap_or_else(|| self.blind_ack()),
        };
        let seq = add(rcv_ref, i32::from(seq_delta));
        let ack = add(snd_ref, i32::from(ack_delta));
        let mut ctl = TcpFlags::from_bits_truncate(u16::from(control)) & !TcpFlags::URG;
        let with_ack = ctl.contains(TcpFlags::ACK);
        ctl.remove(TcpFlags::ACK);
        if with_ack {
            self.peer_ack = Some(ack);
        }
        let syn_opts = opts & O_SYN != 0;
        let mut ranges = [None; MAX_SACK_BLOCKS];
        for (slot, b) in ranges.iter_mut().zip(sack.chunks_exact(4)) {
            let start = ack + usize::from(u16::from_be_bytes([b[0], b[1]]));
            let end = start + usize::from(u16::from_be_bytes([b[2], b[3]]));
            *slot = Some((start.0, end.0));
        }
        let mut payload = [0u8; MTU];
        let payload = &mut payload[..len];
        // SYN data starts after the SYN's sequence number.
        let first = seq.0.wrapping_add(u32::from(ctl.contains(TcpFlags::SYN)));
        let (a, b) = peer_stream(first, len);
        payload[..a.len()].copy_from_slice(a);
        payload[a.len()..].copy_from_slice(b);
        let tsval = (self.now.total_millis() as u32).wrapping_add(1);
        let repr = TcpRepr {
            src_port: PEER_PORT,
            dst_port: self.local_port(),
            control: ctl,
            seq_number: seq,
            ack_number: with_ack.then_some(ack),
            window_len: window,
            window_scale: (syn_opts && self.config & CFG_WS != 0).then_some(7),
            max_seg_size: syn_opts.then_some(1460),
            sack_permitted: syn_opts && self.config & CFG_SACK != 0,
            sack_ranges: ranges,
            timestamp: (opts & O_TS != 0 && self.config & CFG_TS != 0)
                .then_some((tsval, self.seen.tsval)),
            urgent_at: None,
            payload,
        };
        let mut frame = std::mem::take(&mut self.frame);
        let l4 = (IpProtocol::Tcp, repr.buffer_len());
        ipv4_frame_into(&mut frame, PEER4, IP4, l4, (1, 0, false), |seg| {
            repr.emit(
                &mut TcpPacket::new_unchecked(seg),
                &IpAddr::V4(PEER4),
                &IpAddr::V4(IP4),
                ChecksumMode::Check,
            );
        });
        self.inject(&frame);
        self.frame = frame;
    }

    /// What the peer acknowledges before it saw the socket's SYN: about half
    /// the sequence space away from the ISS the socket would pick now,
    /// beyond the reach of one ack delta. A peer that guessed ISS + 1 would
    /// complete a handshake whose SYN-ACK it never saw (legitimately: the
    /// listener cannot tell), and the harness would not know the stream's
    /// start. 2^16 past the half-turn: the half-turn itself, where sequence
    /// comparisons are undefined, takes two steps (`O_PREV_ACK`), so it is
    /// found as a case, not hit by every input.
    fn blind_ack(&self) -> TcpSeqNumber {
        let Some(f) = self.isn_f else {
            return TcpSeqNumber(0);
        };
        let m = self.now.total_micros().div_euclid(4) as u32;
        TcpSeqNumber(m.wrapping_add(f).wrapping_add((1 << 31) + (1 << 16)))
    }

    fn inject(&mut self, frame: &[u8]) {
        if self.link().queued(Side::A) >= LINK_CAPACITY {
            self.poll();
        }
        let now = self.now;
        let mut wire = self.link().b();
        let token = wire.transmit(now).expect("room after a poll");
        token.consume(frame.len(), |buf| buf.copy_from_slice(frame));
        self.injected += 1;
    }

    /// An application call.
    fn app(&mut self, call: u8, n: u8) {
        match call {
            A_WRITE => {
                let len = ((usize::from(n) + 1) * 512).min(SPAN);
                let chunk = app_stream(self.written, len);
                if let Ok(k) = self.socket().send_slice(chunk) {
                    self.written += k as u64;
                }
            }
            A_READ => self.read(usize::MAX),
            A_READ_SOME => self.read(100),
            A_CLOSE => self.socket().close(),
            A_ABORT => {
                // Abort empties the send buffer.
                self.socket().abort();
                self.written = 0;
            }
            A_NODELAY => {
                self.nodelay = !self.nodelay;
                let nd = self.nodelay;
                self.socket().set_nodelay(nd);
            }
            A_REOPEN => self.reopen(),
            _ => self.socket().shutdown(),
        }
    }

    /// Starts a new connection on the closed socket: connect (client) or
    /// lend it to the listener again (server).
    fn reopen(&mut self) {
        if self.socket().state() != State::Closed {
            return;
        }
        match self.listener {
            Some(l) => {
                let h = self.socket;
                let listener = self.sockets.get_mut::<TcpListener>(l).expect("listener");
                // Drain a stale accept first: the socket must not be both
                // queued and lent.
                while listener.accept().is_some() {}
                listener.provide(h).expect("pool of one");
                // `written` restarts at the accept, which empties the
                // buffers (see `check`).
            }
            None => {
                let r = self.iface.tcp_connect(
                    self.now,
                    &mut self.sockets,
                    self.socket,
                    peer(),
                    CLIENT_PORT,
                );
                r.expect("connect a closed socket");
                // Connecting empties the buffers.
                self.seen = Seen::default();
                self.read_seq = None;
                self.written = 0;
            }
        }
    }

    /// Reads up to `max` bytes and checks them against the peer's stream.
    fn read(&mut self, max: usize) {
        let mut buf = [0u8; 512];
        let mut left = max;
        while left > 0 {
            let want = left.min(buf.len());
            let Ok(n) = self.socket().recv_slice(&mut buf[..want]) else {
                break;
            };
            if n == 0 {
                break;
            }
            let at = self
                .read_seq
                .expect("data read before the socket acknowledged a SYN");
            let (a, b) = peer_stream(at.0, n);
            if buf[..a.len()] != *a || buf[a.len()..n] != *b {
                let i = (0..n)
                    .find(|&i| buf[i] != peer_byte(at.0.wrapping_add(i as u32)))
                    .unwrap_or(0);
                panic!(
                    "read byte {i} of {n} at seq {} is not the peer's",
                    at.0.wrapping_add(i as u32)
                );
            }
            self.read_seq = Some(at + n);
            self.out.read += n as u64;
            left -= n;
        }
    }

    fn advance(&mut self, micros: u64) {
        if micros == u64::MAX {
            self.jump();
        } else {
            self.now += Duration::from_micros(micros);
        }
    }

    fn jump(&mut self) -> bool {
        match self.iface.poll_at(self.now, &self.sockets) {
            Some(t) if t > self.now => self.now = t,
            Some(_) => self.now += Duration::from_millis(1),
            None => return false,
        }
        true
    }

    fn poll(&mut self) {
        let Harness {
            link,
            iface,
            sockets,
            now,
            ..
        } = self;
        let link = link.as_mut().expect("the link until drop");
        let (_, allocs) = allocations(|| iface.poll(*now, &mut link.a(), sockets));
        if self.check_allocs {
            assert_eq!(allocs, 0, "Interface::poll allocated {allocs} times");
        }
        self.drain_tx();
        if let Some(l) = self.listener {
            while let Some(h) = self
                .sockets
                .get_mut::<TcpListener>(l)
                .expect("listener")
                .accept()
            {
                assert_eq!(h, self.socket, "accepted a socket never lent");
                // The accept emptied the buffers: the stream starts after
                // the SYN the listener answered, the writes start over.
                assert_eq!(self.socket().send_queue(), 0, "accepted with data queued");
                self.read_seq = self.accept_read;
                self.written = 0;
            }
        }
        self.check();
    }

    /// Reads what the interface sent: answers ARP, checks every TCP
    /// segment, and learns the peer's references from the socket's.
    fn drain_tx(&mut self) {
        let mut replies: Vec<Vec<u8>> = Vec::new();
        loop {
            self.scratch.clear();
            {
                let now = self.now;
                let Harness { link, scratch, .. } = self;
                let mut b = link.as_mut().expect("the link until drop").b();
                let Some((rx, _)) = b.receive(now) else {
                    break;
                };
                rx.consume(|frame| scratch.extend_from_slice(frame));
            }
            let frame = std::mem::take(&mut self.scratch);
            if let Some(reply) = answer_resolution(&frame) {
                replies.push(reply);
            }
            self.sent_frame(&frame);
            self.scratch = frame;
        }
        for r in &replies {
            self.inject(r);
        }
    }

    fn sent_frame(&mut self, frame: &[u8]) {
        let eth = EthernetFrame::new_checked(frame).expect("tx: Ethernet");
        if eth.ethertype() != EtherType::Ipv4 {
            return;
        }
        let ip = Ipv4Packet::new_checked(eth.payload()).expect("tx: IPv4 length");
        let ipr = Ipv4Repr::parse(&ip, ChecksumMode::Check).expect("tx: IPv4 checksum");
        if ipr.next_header != IpProtocol::Tcp {
            return;
        }
        if ip.more_frags() && ip.frag_offset() == 0 {
            let p = TcpPacket::new_unchecked(ip.payload());
            panic!(
                "tx: TCP fragmented: IP total {} TCP header {} options {:?} seq {} state {}",
                ip.total_len(),
                p.header_len(),
                p.options_iter().collect::<Vec<_>>(),
                p.seq_number(),
                self.socket().state()
            );
        }
        assert!(
            !ip.more_frags() && ip.frag_offset() == 0,
            "tx: TCP fragmented"
        );
        let (src, dst) = (IpAddr::V4(ipr.src_addr), IpAddr::V4(ipr.dst_addr));
        let p = TcpPacket::new_checked(ip.payload()).expect("tx: TCP length");
        let r = TcpRepr::parse(&p, &src, &dst, ChecksumMode::Check).expect("tx: TCP checksum");
        assert!(
            r.payload.len() + r.header_len() + 20 <= MTU,
            "tx: segment over the MTU"
        );
        if r.src_port != self.local_port() || r.dst_port != PEER_PORT {
            // A reset for a segment no socket took.
            assert!(r.control.contains(TcpFlags::RST), "tx: stray {r:?}");
            return;
        }
        self.our_segment(&r);
    }

    /// One of the connection's segments: learn from it and check its data.
    fn our_segment(&mut self, r: &TcpRepr<'_>) {
        let syn = r.control.contains(TcpFlags::SYN);
        let rst = r.control.contains(TcpFlags::RST);
        let fin = r.control.contains(TcpFlags::FIN);
        let kind = if syn {
            0
        } else if rst {
            1
        } else if fin {
            2
        } else if r.payload.is_empty() {
            3
        } else {
            4
        };
        self.out.sent[kind] += 1;
        if rst {
            assert!(
                r.payload.is_empty() && !syn,
                "tx: RST with data or SYN: {r:?}"
            );
            return;
        }
        if let Some((tsval, _)) = r.timestamp {
            self.seen.tsval = tsval;
        }
        if syn {
            self.out.iss.get_or_insert(r.seq_number.0);
            let base = r.seq_number + 1;
            if self.seen.tx_base != Some(base) {
                // A new connection (or its first SYN). `written` counts
                // from when the socket last emptied its buffers, which the
                // harness sees elsewhere (connect, accept, abort).
                self.seen = Seen::default();
                self.seen.tx_base = Some(base);
                if self.listener.is_none() {
                    self.read_seq = None;
                }
            }
            if let Some(ack) = r.ack_number {
                // SYN-ACK: IRS + 1. The listener's is for a connection the
                // socket takes only at the accept; until then what it holds
                // is the previous connection's.
                if self.listener.is_some() {
                    self.accept_read = Some(ack);
                } else if self.read_seq.is_none() {
                    self.read_seq = Some(self.stream_start(ack));
                }
            }
        } else if let (Some(ack), None) = (r.ack_number, self.listener) {
            if self.read_seq.is_none() {
                self.read_seq = Some(self.stream_start(ack));
            }
        }
        if let Some(ack) = r.ack_number {
            self.seen.ack = Some(ack);
        }
        let end = r.seq_number + r.payload.len() + usize::from(syn) + usize::from(fin);
        if self.seen.snd_max.is_none_or(|m| end > m) {
            self.seen.snd_max = Some(end);
        }
        if r.payload.is_empty() {
            return;
        }
        let base = self.seen.tx_base.expect("tx: data before a SYN");
        let off = r.seq_number - base;
        let off = u64::try_from(off).expect("tx: data before ISS + 1");
        assert!(
            off + r.payload.len() as u64 <= self.written,
            "tx: data at {off}+{} beyond the {} bytes written",
            r.payload.len(),
            self.written
        );
        if r.payload != app_stream(off, r.payload.len()) {
            let i = (0..r.payload.len())
                .find(|&i| r.payload[i] != app_byte(off + i as u64))
                .unwrap_or(0);
            panic!("tx: byte {} is wrong", off + i as u64);
        }
        self.out.sent_data += r.payload.len() as u64;
    }

    /// IRS + 1, from the socket's first acknowledgment of the peer's SYN
    /// (client role): what it acknowledges less what it already holds, the
    /// data and FIN a SYN-ACK may carry (RFC 9293 §3.10.7.3: "Data or controls
    /// that were queued for transmission may be included"). Nothing was read
    /// yet: the application reads only after the stream start is known.
    fn stream_start(&self, ack: TcpSeqNumber) -> TcpSeqNumber {
        let s = self.sockets.get::<TcpSocket>(self.socket).expect("tcp");
        let fin = matches!(
            s.state(),
            State::CloseWait | State::LastAck | State::Closing | State::TimeWait
        );
        TcpSeqNumber(
            ack.0
                .wrapping_sub(s.recv_queue() as u32)
                .wrapping_sub(u32::from(fin)),
        )
    }

    fn check(&mut self) {
        let queued = self.link().queued(Side::A) as u64;
        assert_eq!(
            self.iface.stats().rx_frames + queued,
            self.injected,
            "rx_frames vs injected"
        );
        if let Some(at) = self.iface.poll_at(self.now, &self.sockets) {
            assert!(at >= self.now, "poll_at {at:?} before now {:?}", self.now);
        }
        // No busy loop: with nothing left to receive, a few polls send what
        // was due and `poll_at` moves past now (a socket that keeps asking
        // for "now" while sending nothing spins the whole interface).
        if self.link().queued(Side::A) == 0 {
            let mut spins = 0;
            while self.iface.poll_at(self.now, &self.sockets) == Some(self.now) {
                spins += 1;
                if spins >= 8 {
                    let s = self.sockets.get::<TcpSocket>(self.socket);
                    panic!("poll_at stays at now: busy loop: {s:#?}");
                }
                let link = self.link.as_mut().expect("the link until drop");
                let _ = self.iface.poll(self.now, &mut link.a(), &mut self.sockets);
                self.drain_tx();
            }
        }
        let local_port = self.local_port();
        let s = self.sockets.get::<TcpSocket>(self.socket).expect("tcp");
        let state = s.state();
        self.last_state = state;
        assert!(s.recv_queue() <= RX, "{state}: rx queue over the buffer");
        assert!(s.send_queue() <= TX, "{state}: tx queue over the buffer");
        assert!(
            s.send_queue() as u64 <= self.written,
            "{state}: more queued than written"
        );
        if s.error().is_some() {
            assert_eq!(state, State::Closed, "failed but {state}");
        }
        if !matches!(state, State::Closed | State::Listen) {
            let local = s.local_endpoint().expect("open without a local endpoint");
            assert_eq!(local, IpEndpoint::new(IpAddr::V4(IP4), local_port));
            assert_eq!(s.remote_endpoint(), Some(peer()), "{state}: remote");
        }
        if self.out.states.last() != Some(&state) && self.out.states.len() < 64 {
            self.out.states.push(state);
        }
        if let Some(l) = self.listener {
            let l = self.sockets.get::<TcpListener>(l).expect("listener");
            assert!(l.half_open() <= 2 && l.backlog() <= 1 && l.pooled() <= 1);
        }
        black_box(s.stats());
    }
}

impl Drop for Harness {
    /// Hands the link, emptied, and the buffers to the next run; not after
    /// a panic (the state may be anything).
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let Some(mut link) = self.link.take() else {
            return;
        };
        for side in [Side::A, Side::B] {
            let mut end = link.end(side);
            while let Some((rx, _)) = end.receive(self.now) {
                rx.consume(|_| {});
            }
        }
        REUSED.set(Some(Reused {
            link,
            scratch: std::mem::take(&mut self.scratch),
            frame: std::mem::take(&mut self.frame),
        }));
    }
}

fn peer() -> IpEndpoint {
    IpEndpoint::new(IpAddr::V4(PEER4), PEER_PORT)
}

fn add(base: TcpSeqNumber, delta: i32) -> TcpSeqNumber {
    TcpSeqNumber(base.0.wrapping_add_signed(delta))
}

// ---------------------------------------------------------------------------
// Seeds

/// Builds `tcp_socket` inputs.
#[derive(Debug, Clone)]
pub struct Input(Vec<u8>);

/// One segment record's fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seg {
    /// Control bits (ACK included).
    pub control: TcpFlags,
    /// Added to the socket's last ACK.
    pub seq: i16,
    /// Added to the highest sequence number the socket sent.
    pub ack: i16,
    /// Window field.
    pub window: u16,
    /// Option bits ([`O_TS`], [`O_SYN`]).
    pub opts: u8,
    /// Payload bytes (rounded down to 8).
    pub len: usize,
    /// SACK blocks (start, length) relative to the ACK.
    pub sack: &'static [(u16, u16)],
}

impl Input {
    /// An input with this config byte and the default ISS and IRS.
    pub fn new(config: u8) -> Input {
        Input::with_seqs(config, 0, 0)
    }

    /// An input with this config byte and ISS and IRS selectors
    /// ([`seq_choice`]).
    pub fn with_seqs(config: u8, iss: u16, irs: u16) -> Input {
        let mut v = vec![config];
        v.extend_from_slice(&iss.to_be_bytes());
        v.extend_from_slice(&irs.to_be_bytes());
        Input(v)
    }

    /// A segment record.
    pub fn seg(mut self, s: Seg) -> Input {
        let blocks = s.sack.len().min(3);
        self.0.push(SEG | (s.control.bits() as u8 & 0x3f));
        self.0.extend_from_slice(&s.seq.to_be_bytes());
        self.0.extend_from_slice(&s.ack.to_be_bytes());
        self.0.extend_from_slice(&s.window.to_be_bytes());
        self.0.push((s.opts & !6) | (blocks as u8) << 1);
        self.0.push((s.len / 8).min(255) as u8);
        for (start, len) in &s.sack[..blocks] {
            self.0.extend_from_slice(&start.to_be_bytes());
            self.0.extend_from_slice(&len.to_be_bytes());
        }
        self
    }

    /// An application record.
    pub fn app(mut self, call: u8, n: u8) -> Input {
        self.0.push(APP | (n & 7) << 3 | (call & 7));
        self
    }

    /// A time record: `polls` (1..=4) polls, each after `STEPS[step]`.
    pub fn wait(mut self, step: u8, polls: u8) -> Input {
        self.0
            .push(TIME | (polls.clamp(1, 4) - 1) << 4 | (step & 0x0f));
        self
    }

    /// The bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// An ACK from the peer, in order, acknowledging everything, with a window.
fn ack(len: usize) -> Seg {
    Seg {
        control: TcpFlags::ACK,
        window: 0xffff,
        len,
        ..Seg::default()
    }
}

/// Inputs that open, use and close a connection in both roles, with the
/// paths the fuzzer should start from: options, reordering, SACK, zero
/// window, FIN both ways, RST, the timers.
pub fn seeds() -> Vec<Vec<u8>> {
    let syn = Seg {
        control: TcpFlags::SYN,
        window: 0xffff,
        opts: O_SYN | O_TS,
        ..Seg::default()
    };
    let synack = Seg {
        control: TcpFlags::SYN | TcpFlags::ACK,
        ..syn
    };
    let all = CFG_TS | CFG_SACK | CFG_WS;
    let mut seeds = Vec::new();
    for (config, open) in [
        (all, Input::new(all).wait(1, 2).seg(synack)),
        (
            all | CFG_SERVER,
            Input::new(all | CFG_SERVER).seg(syn).wait(0, 1).seg(ack(0)),
        ),
        (
            CFG_NEWRENO | CFG_SACK,
            Input::new(CFG_NEWRENO | CFG_SACK).wait(1, 2).seg(synack),
        ),
        (
            CFG_SERVER | CFG_QUICKACK,
            Input::new(CFG_SERVER | CFG_QUICKACK)
                .seg(syn)
                .wait(0, 1)
                .seg(ack(0)),
        ),
    ] {
        let ts = if config & CFG_TS != 0 { O_TS } else { 0 };
        let ack = |len: usize| Seg {
            opts: ts,
            ..ack(len)
        };
        // Data both ways, in order; then the peer closes, we close.
        seeds.push(
            open.clone()
                .app(A_WRITE, 3)
                .seg(ack(200))
                .wait(3, 1)
                .app(A_READ, 0)
                .seg(ack(0))
                .seg(Seg {
                    control: TcpFlags::FIN | TcpFlags::ACK,
                    ..ack(0)
                })
                .app(A_CLOSE, 0)
                .wait(2, 1)
                .seg(ack(0))
                .wait(15, 4)
                .into_bytes(),
        );
        // Reordered data with a hole, then the hole filled; SACK from the
        // peer on our data with dupacks (fast retransmit), then all acked.
        seeds.push(
            open.clone()
                .seg(Seg {
                    seq: 400,
                    ..ack(400)
                })
                .seg(Seg {
                    seq: 800,
                    ..ack(200)
                })
                .seg(ack(400))
                .app(A_READ, 0)
                .app(A_WRITE, 7)
                .app(A_WRITE, 7)
                .wait(1, 1)
                .seg(Seg {
                    ack: -7000,
                    sack: &[(1448, 1448)],
                    ..ack(0)
                })
                .seg(Seg {
                    opts: ts | O_PREV_ACK,
                    sack: &[(1448, 2896)],
                    ..ack(0)
                })
                .seg(Seg {
                    opts: ts | O_PREV_ACK,
                    sack: &[(1448, 4344)],
                    ..ack(0)
                })
                .seg(Seg {
                    opts: ts | O_PREV_ACK,
                    sack: &[(1448, 5792)],
                    ..ack(0)
                })
                .wait(1, 2)
                .seg(ack(0))
                .wait(7, 2)
                .into_bytes(),
        );
        // Zero window: persist probes; then the window opens.
        seeds.push(
            open.clone()
                .seg(Seg {
                    window: 0,
                    ..ack(0)
                })
                .app(A_WRITE, 7)
                .wait(8, 4)
                .seg(ack(0))
                .wait(4, 2)
                .into_bytes(),
        );
        // Our data unacknowledged: retransmission timeouts, then a reset.
        seeds.push(
            open.clone()
                .app(A_WRITE, 1)
                .wait(8, 4)
                .wait(10, 2)
                .seg(Seg {
                    control: TcpFlags::RST,
                    ..Seg::default()
                })
                .app(A_REOPEN, 0)
                .wait(15, 4)
                .into_bytes(),
        );
        // Fill our receive window (no reads), then idle (keepalive, delayed
        // ACK), then we close first: FIN-WAIT, TIME-WAIT.
        seeds.push(
            open.app(A_WRITE, 0)
                .seg(ack(1400))
                .seg(Seg {
                    seq: 1400,
                    ..ack(1400)
                })
                .seg(Seg {
                    seq: 2800,
                    ..ack(1400)
                })
                .wait(11, 2)
                .app(A_READ, 0)
                .app(A_CLOSE, 0)
                .wait(3, 1)
                .seg(ack(0))
                .seg(Seg {
                    control: TcpFlags::FIN | TcpFlags::ACK,
                    ..ack(0)
                })
                .wait(12, 3)
                .into_bytes(),
        );
    }
    // Both ends' sequence numbers just below the wrap: the data both ways
    // and the FINs cross it (client and server, SACK recovery across it).
    for (config, iss, irs) in [
        (all, below_wrap(700), below_wrap(300)),
        (all | CFG_SERVER, below_wrap(1), below_wrap(2)),
        (CFG_SACK, 0x4000 | 500, 0x4000 | 900),
        (CFG_NEWRENO | CFG_SERVER, 0x8000 | 3, below_wrap(1500)),
    ] {
        let server = config & CFG_SERVER != 0;
        let ts = if config & CFG_TS != 0 { O_TS } else { 0 };
        let ack = |len: usize| Seg {
            opts: ts,
            ..ack(len)
        };
        let open = if server {
            Input::with_seqs(config, iss, irs)
                .seg(Seg {
                    opts: O_SYN | ts,
                    ..syn
                })
                .wait(0, 1)
                .seg(ack(0))
        } else {
            Input::with_seqs(config, iss, irs).wait(1, 2).seg(Seg {
                opts: O_SYN | ts,
                ..synack
            })
        };
        seeds.push(
            // Each segment acknowledged (delayed ACK at most 40 ms) before
            // the next, whose sequence number counts from that ACK.
            open.app(A_WRITE, 7)
                .seg(ack(1400))
                .wait(3, 1)
                .seg(ack(1400))
                .wait(3, 1)
                .seg(Seg {
                    ack: -2896,
                    sack: &[(1448, 1448)],
                    ..ack(0)
                })
                .seg(Seg {
                    opts: ts | O_PREV_ACK,
                    sack: &[(1448, 2896)],
                    ..ack(0)
                })
                .seg(Seg {
                    opts: ts | O_PREV_ACK,
                    sack: &[(1448, 4344)],
                    ..ack(0)
                })
                .app(A_READ, 0)
                .wait(3, 2)
                .seg(ack(0))
                .app(A_CLOSE, 0)
                .wait(2, 1)
                .seg(Seg {
                    control: TcpFlags::FIN | TcpFlags::ACK,
                    ..ack(0)
                })
                .wait(15, 4)
                .into_bytes(),
        );
    }
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seeds do what they say: a harness whose peer never lands in the
    /// window would pass every invariant without testing anything.
    #[test]
    fn seeds_reach_deep() {
        let seeds = seeds();
        let o: Vec<Outcome> = seeds.iter().map(|s| run(s).expect("input")).collect();
        for (i, o) in o.iter().enumerate() {
            assert!(
                o.states.contains(&State::Established),
                "seed {i}: {:?}",
                o.states
            );
        }
        // Client, all options: data both ways, passive close.
        assert_eq!(o[0].read, 200);
        assert_eq!(o[0].sent_data, 2048);
        assert!(o[0].states.contains(&State::LastAck), "{:?}", o[0].states);
        // Reassembly across the hole.
        assert_eq!(o[1].read, 1000, "{:?}", o[1]);
        assert!(o[1].stats.fast_retransmits >= 1, "{:?}", o[1].stats);
        // Persist: more data segments than the window allowed at first.
        assert!(o[2].sent_data > 0);
        // Retransmission timeouts, then the reset closes it.
        assert!(o[3].stats.timeouts >= 1 || o[3].states.contains(&State::Closed));
        // Active close: TIME-WAIT.
        assert!(o[4].states.contains(&State::TimeWait), "{:?}", o[4].states);
        // Server role reaches established and reads too.
        assert_eq!(o[5].read, 200, "{:?}", o[5]);
        assert!(o[9].states.contains(&State::TimeWait), "{:?}", o[9].states);
        // Near the wrap: the ISS is the input's choice, and data both ways
        // (and the FINs) cross 2^32 (or 2^31) intact.
        let wrap = &o[20..];
        assert_eq!(wrap.len(), 4);
        let iss = [
            0u32.wrapping_sub(700),
            0u32.wrapping_sub(1),
            (1 << 31) - 500,
            3,
        ];
        for (i, (o, iss)) in wrap.iter().zip(iss).enumerate() {
            assert_eq!(o.iss, Some(iss), "wrap seed {i}");
            assert_eq!(o.read, 2800, "wrap seed {i}: {o:?}");
            assert!(o.sent_data >= 4096, "wrap seed {i}: {o:?}");
            assert!(o.states.contains(&State::Established), "{:?}", o.states);
        }
    }
}
