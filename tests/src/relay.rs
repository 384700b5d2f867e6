//! Two hosts joined through a programmable bridge, in simulated time.
//!
//! [`Sim`](crate::sim::Sim) wires two interfaces back to back; the TCP rule
//! tests also need to see every segment on the wire (to check options and
//! count segments) and to act as the network between the hosts: lose
//! every frame of a vanished peer, stand in for a router whose next hop
//! has a smaller MTU, or forge an ICMP error or a reset. The bridge sits
//! between two links, parses each frame it forwards into a [`Seen`]
//! record, and asks a [`Filter`] what to do with it.

use rstcp::phy::{Device, DeviceCapabilities, RxToken, TxToken};
use rstcp::time::{Duration, Instant};
use rstcp::wire::ethernet::{EtherType, EthernetFrame};
use rstcp::wire::icmpv4::{Icmpv4DstUnreachable, Icmpv4Packet, Icmpv4Repr};
use rstcp::wire::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use rstcp::wire::ipv4::{Ipv4Packet, Ipv4Repr};
use rstcp::wire::ipv6::{Ipv6Packet, Ipv6Repr};
use rstcp::wire::tcp::{TcpFlags, TcpPacket, TcpRepr, TcpSeqNumber};
use rstcp::wire::{ChecksumMode, IpAddr, IpProtocol};
use rstcp_testkit::loopback::{Link, Side};

use crate::sim::{Host, TwoHosts, IP4_A, IP4_B, IP6_A, IP6_B, MAC_A, MAC_B};

/// Which way a frame travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// From host A to host B.
    AtoB,
    /// From host B to host A.
    BtoA,
}

/// What the bridge does with a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Forward it unchanged.
    Pass,
    /// Lose it.
    Drop,
    /// Lose it and send this frame back to its sender instead (a router's
    /// ICMP error).
    Reply(Vec<u8>),
}

/// Decides each frame's fate: its direction, its bytes, and its TCP
/// segment when it carries one.
pub type Filter = Box<dyn FnMut(Dir, &[u8], Option<&Seen>) -> Verdict>;

/// One TCP segment seen on the wire (before the filter acted on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Its direction.
    pub dir: Dir,
    /// When the bridge saw it.
    pub at: Instant,
    /// The IP source.
    pub src: IpAddr,
    /// The IP destination.
    pub dst: IpAddr,
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// SYN, FIN, RST, PSH (the ACK flag is `ack.is_some()`).
    pub flags: TcpFlags,
    /// Sequence number.
    pub seq: TcpSeqNumber,
    /// Acknowledgment number, when the ACK flag is set.
    pub ack: Option<TcpSeqNumber>,
    /// The window field as sent (unscaled).
    pub window: u16,
    /// The window scale option.
    pub ws: Option<u8>,
    /// The MSS option.
    pub mss: Option<u16>,
    /// The SACK-permitted option.
    pub sack_permitted: bool,
    /// SACK blocks.
    pub sack: Vec<(u32, u32)>,
    /// The timestamps option (TSval, TSecr).
    pub ts: Option<(u32, u32)>,
    /// Payload length.
    pub len: usize,
    /// The IP packet's total length (header included).
    pub ip_len: usize,
    /// The filter let it through.
    pub passed: bool,
}

impl Seen {
    /// True for a SYN without ACK.
    pub fn is_syn(&self) -> bool {
        self.flags.contains(TcpFlags::SYN) && self.ack.is_none()
    }

    /// True for a SYN-ACK.
    pub fn is_synack(&self) -> bool {
        self.flags.contains(TcpFlags::SYN) && self.ack.is_some()
    }

    /// True for a reset.
    pub fn is_rst(&self) -> bool {
        self.flags.contains(TcpFlags::RST)
    }

    /// True for a FIN.
    pub fn is_fin(&self) -> bool {
        self.flags.contains(TcpFlags::FIN)
    }
}

/// A TCP segment with no options and no payload, for forging.
pub fn bare_tcp(
    src_port: u16,
    dst_port: u16,
    control: TcpFlags,
    seq_number: TcpSeqNumber,
    ack_number: Option<TcpSeqNumber>,
    window_len: u16,
) -> TcpRepr<'static> {
    TcpRepr {
        ack_number,
        window_len,
        ..TcpRepr::bare(src_port, dst_port, control, seq_number)
    }
}

/// Parses the TCP segment an Ethernet frame carries, if any.
pub fn parse_tcp(dir: Dir, at: Instant, frame: &[u8]) -> Option<Seen> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    let (src, dst, ip_len, tcp) = match eth.ethertype() {
        EtherType::Ipv4 => {
            let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
            if ip.next_header() != IpProtocol::Tcp || ip.frag_offset() != 0 {
                return None;
            }
            let len = usize::from(ip.total_len());
            (
                IpAddr::V4(ip.src_addr()),
                IpAddr::V4(ip.dst_addr()),
                len,
                eth.payload().get(ip.header_len()..len)?,
            )
        }
        EtherType::Ipv6 => {
            let ip = Ipv6Packet::new_checked(eth.payload()).ok()?;
            // The tests send no extension headers.
            if ip.next_header() != IpProtocol::Tcp {
                return None;
            }
            let len = ip.total_len();
            (
                IpAddr::V6(ip.src_addr()),
                IpAddr::V6(ip.dst_addr()),
                len,
                eth.payload().get(40..len)?,
            )
        }
        _ => return None,
    };
    let packet = TcpPacket::new_checked(tcp).ok()?;
    let r = TcpRepr::parse(&packet, &src, &dst, ChecksumMode::Check).ok()?;
    Some(Seen {
        dir,
        at,
        src,
        dst,
        src_port: r.src_port,
        dst_port: r.dst_port,
        flags: r.control,
        seq: r.seq_number,
        ack: r.ack_number,
        window: r.window_len,
        ws: r.window_scale,
        mss: r.max_seg_size,
        sack_permitted: r.sack_permitted,
        sack: r.sack_ranges.iter().flatten().copied().collect(),
        ts: r.timestamp,
        len: r.payload.len(),
        ip_len,
        passed: true,
    })
}

/// An Ethernet frame carrying an IPv4 packet: `ip` with `payload`.
pub fn ipv4_frame(
    dst_mac: rstcp::wire::EthernetAddress,
    src_mac: rstcp::wire::EthernetAddress,
    ip: &Ipv4Repr,
    payload: &[u8],
) -> Vec<u8> {
    let mut buf = vec![0u8; 14 + 20 + payload.len()];
    let mut f = EthernetFrame::new_unchecked(&mut buf[..]);
    f.set_dst_addr(dst_mac);
    f.set_src_addr(src_mac);
    f.set_ethertype(EtherType::Ipv4);
    ip.emit(
        &mut Ipv4Packet::new_unchecked(&mut buf[14..34]),
        ChecksumMode::Check,
    );
    buf[34..].copy_from_slice(payload);
    buf
}

/// The ICMPv4 destination-unreachable error a router (or the peer) at
/// `from` sends back about the IPv4 packet inside `frame`, addressed to
/// that packet's source (RFC 792; RFC 1191 §4 for `FragRequired` with
/// `next_hop_mtu`).
pub fn icmpv4_unreachable(
    frame: &[u8],
    from: rstcp::wire::Ipv4Addr,
    reason: Icmpv4DstUnreachable,
    next_hop_mtu: u16,
) -> Option<Vec<u8>> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
    // RFC 792: the header and the first 8 bytes of the data.
    let quoted = eth.payload().get(..ip.header_len() + 8)?;
    let icmp = Icmpv4Repr::DstUnreachable {
        reason,
        next_hop_mtu,
        data: quoted,
    };
    let mut body = vec![0u8; icmp.buffer_len()];
    icmp.emit(
        &mut Icmpv4Packet::new_unchecked(&mut body[..]),
        ChecksumMode::Check,
    );
    let reply = Ipv4Repr {
        src_addr: from,
        dst_addr: ip.src_addr(),
        next_header: IpProtocol::Icmp,
        payload_len: body.len(),
        hop_limit: 64,
        dscp: 0,
        ecn: 0,
        ident: 0x1cb,
        dont_frag: false,
        more_frags: false,
        frag_offset: 0,
    };
    Some(ipv4_frame(eth.src_addr(), eth.dst_addr(), &reply, &body))
}

/// The ICMPv6 Packet Too Big a router at `from` sends back about the IPv6
/// packet inside `frame` (RFC 4443 §3.2), quoting as much of it as fits
/// in the minimum MTU (§2.4 (c)).
pub fn icmpv6_packet_too_big(
    frame: &[u8],
    from: rstcp::wire::Ipv6Addr,
    mtu: u32,
) -> Option<Vec<u8>> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    let ip = Ipv6Packet::new_checked(eth.payload()).ok()?;
    let quoted = eth.payload().get(..ip.total_len().min(1280 - 40 - 8))?;
    let icmp = Icmpv6Repr::PktTooBig { mtu, data: quoted };
    let to = ip.src_addr();
    let header = Ipv6Repr {
        src_addr: from,
        dst_addr: to,
        next_header: IpProtocol::Icmpv6,
        payload_len: icmp.buffer_len() as u16,
        hop_limit: 64,
        traffic_class: 0,
        flow_label: 0,
    };
    let mut buf = vec![0u8; 14 + 40 + icmp.buffer_len()];
    let mut f = EthernetFrame::new_unchecked(&mut buf[..]);
    f.set_dst_addr(eth.src_addr());
    f.set_src_addr(eth.dst_addr());
    f.set_ethertype(EtherType::Ipv6);
    header.emit(&mut Ipv6Packet::new_unchecked(&mut buf[14..54]));
    icmp.emit(
        &from,
        &to,
        &mut Icmpv6Packet::new_unchecked(&mut buf[54..]),
        ChecksumMode::Check,
    );
    Some(buf)
}

/// A TCP segment `repr` from `src` to `dst` over IPv4 between the two
/// hosts' MACs (direction `dir`), for forging segments on the wire.
pub fn tcp_v4_frame(dir: Dir, repr: &TcpRepr<'_>) -> Vec<u8> {
    let (src, dst, smac, dmac) = match dir {
        Dir::AtoB => (IP4_A, IP4_B, MAC_A, MAC_B),
        Dir::BtoA => (IP4_B, IP4_A, MAC_B, MAC_A),
    };
    let mut tcp = vec![0u8; repr.buffer_len()];
    repr.emit(
        &mut TcpPacket::new_unchecked(&mut tcp[..]),
        &IpAddr::V4(src),
        &IpAddr::V4(dst),
        ChecksumMode::Check,
    );
    let ip = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Tcp,
        payload_len: tcp.len(),
        hop_limit: 64,
        dscp: 0,
        ecn: 0,
        ident: 0x5eed,
        dont_frag: true,
        more_frags: false,
        frag_offset: 0,
    };
    ipv4_frame(dmac, smac, &ip, &tcp)
}

/// Host A and host B on either side of a bridge, and the simulated clock.
pub struct Relay {
    /// Host A.
    pub a: Host,
    /// Host B.
    pub b: Host,
    /// Between A (end A) and the bridge (end B).
    link_a: Link,
    /// Between the bridge (end A) and B (end B).
    link_b: Link,
    /// Simulated time.
    pub now: Instant,
    /// Every TCP segment the bridge saw, in order.
    pub log: Vec<Seen>,
    /// Frames the bridge lost (filter or full queue).
    pub dropped: u64,
    filter: Filter,
}

impl Relay {
    /// Two hosts (as [`Sim::new`](crate::sim::Sim::new)) on links of MTU
    /// `mtu`, the bridge forwarding everything.
    pub fn new(mtu: usize) -> Relay {
        Relay {
            a: Host::new(MAC_A, IP4_A, IP6_A, 0xa11ce, false),
            b: Host::new(MAC_B, IP4_B, IP6_B, 0xb0b, false),
            link_a: Link::new(DeviceCapabilities::ethernet(mtu), 256),
            link_b: Link::new(DeviceCapabilities::ethernet(mtu), 256),
            now: Instant::ZERO,
            log: Vec::new(),
            dropped: 0,
            filter: Box::new(|_, _, _| Verdict::Pass),
        }
    }

    /// Replaces the filter.
    pub fn set_filter(&mut self, f: impl FnMut(Dir, &[u8], Option<&Seen>) -> Verdict + 'static) {
        self.filter = Box::new(f);
    }

    /// Forwards everything again.
    pub fn pass_all(&mut self) {
        self.set_filter(|_, _, _| Verdict::Pass);
    }

    /// Puts `frame` on the wire towards the host `dir` points at, as if a
    /// third party had sent it. False when that queue is full.
    pub fn inject(&mut self, dir: Dir, frame: &[u8]) -> bool {
        let mut end = match dir {
            Dir::AtoB => self.link_b.a(),
            Dir::BtoA => self.link_a.b(),
        };
        match end.transmit(self.now) {
            Some(tx) => {
                tx.consume(frame.len(), |b| b.copy_from_slice(frame));
                true
            }
            None => false,
        }
    }

    /// The segments seen going `dir` since index `from` of the log.
    pub fn seen(&self, dir: Dir, from: usize) -> impl Iterator<Item = &Seen> {
        self.log
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .filter(move |s| s.dir == dir)
    }

    /// Moves every frame waiting at the bridge through the filter.
    fn bridge(&mut self) {
        for dir in [Dir::AtoB, Dir::BtoA] {
            loop {
                let frame = {
                    let mut end = match dir {
                        Dir::AtoB => self.link_a.b(),
                        Dir::BtoA => self.link_b.a(),
                    };
                    match end.receive(self.now) {
                        Some((rx, _)) => rx.consume(|f| f.to_vec()),
                        None => break,
                    }
                };
                let mut seen = parse_tcp(dir, self.now, &frame);
                let verdict = (self.filter)(dir, &frame, seen.as_ref());
                if let Some(s) = seen.as_mut() {
                    s.passed = verdict == Verdict::Pass;
                }
                if let Some(s) = seen {
                    self.log.push(s);
                }
                let sent = match verdict {
                    Verdict::Pass => self.inject(dir, &frame),
                    Verdict::Drop => false,
                    Verdict::Reply(reply) => {
                        let back = match dir {
                            Dir::AtoB => Dir::BtoA,
                            Dir::BtoA => Dir::AtoB,
                        };
                        self.inject(back, &reply);
                        false
                    }
                };
                if !sent {
                    self.dropped += 1;
                }
            }
        }
    }

    /// Polls A, B and the bridge once; true when anything happened.
    pub fn step(&mut self) -> bool {
        let a = self
            .a
            .iface
            .poll(self.now, &mut self.link_a.a(), &mut self.a.sockets);
        let b = self
            .b
            .iface
            .poll(self.now, &mut self.link_b.b(), &mut self.b.sockets);
        let before = self.log.len() as u64 + self.dropped;
        self.bridge();
        a || b || self.log.len() as u64 + self.dropped != before
    }

    fn frames_queued(&self) -> bool {
        self.link_a.queued(Side::A) > 0
            || self.link_a.queued(Side::B) > 0
            || self.link_b.queued(Side::A) > 0
            || self.link_b.queued(Side::B) > 0
    }

    /// The earliest deadline either interface asked for.
    pub fn next_deadline(&self) -> Option<Instant> {
        crate::sim::next_deadline(self.now, &self.a, &self.b)
    }

    /// Runs until `done` holds (true) or simulated time passes `limit`
    /// (false), as [`Sim::run_until`](crate::sim::Sim::run_until): 10 µs
    /// per busy step, a jump to the next deadline when idle.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&mut Relay) -> bool) -> bool {
        let deadline = self.now + limit;
        let mut idle_steps = 0;
        loop {
            let busy = self.step();
            if done(self) {
                return true;
            }
            if busy || self.frames_queued() {
                self.now += Duration::from_micros(10);
                idle_steps = 0;
            } else {
                idle_steps += 1;
                match self.next_deadline() {
                    Some(t) if t > self.now => {
                        self.now = t.min(deadline + Duration::from_micros(1))
                    }
                    Some(_) if idle_steps > 2 => self.now += Duration::from_millis(1),
                    Some(_) => {}
                    // Nothing will ever happen: let time pass to the limit.
                    None => self.now = deadline + Duration::from_micros(1),
                }
            }
            if self.now > deadline {
                return false;
            }
        }
    }

    /// Runs for `span` of simulated time.
    pub fn run_for(&mut self, span: Duration) {
        let end = self.now + span;
        self.run_until(span, |s| s.now >= end);
        if self.now < end {
            self.now = end;
        }
    }
}

impl TwoHosts for Relay {
    fn hosts(&mut self) -> (&mut Host, &mut Host) {
        (&mut self.a, &mut self.b)
    }

    fn now(&self) -> Instant {
        self.now
    }

    fn run_until(&mut self, limit: Duration, done: impl FnMut(&mut Self) -> bool) -> bool {
        Relay::run_until(self, limit, done)
    }
}
