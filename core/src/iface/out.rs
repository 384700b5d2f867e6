//! The one way out: every frame the interface sends goes through here.
//!
//! The frame sinks ([`FrameOut`]: the token lent with a received frame, the
//! device, a socket's view that parks packets), Ethernet framing, routing
//! and next-hop resolution ([`Inner::resolve`], the ARP requests and
//! Neighbor Solicitations it sends), IP framing and fragmentation
//! ([`Inner::send_ip_to`]), and the pending queue of packets waiting for a
//! next hop or a device buffer, with the neighbor timers that end the wait.

use super::fragment::{fragment_count, fragments};
use super::interface::{Inner, MAX_PENDING_PACKETS};
use super::neighbor::{Lookup, NeighborAction};
use super::packet::{Body, IpOut};
use super::pending::{PendingQueue, Room};
use super::stats::DropReason;
use crate::phy::{Device, Medium, TxToken};
use crate::time::Instant;
use crate::wire::arp::{ArpOperation, ArpPacket, ArpRepr};
use crate::wire::ethernet::{EtherType, EthernetFrame, EthernetRepr, VlanTag};
use crate::wire::icmpv4::Icmpv4Repr;
use crate::wire::icmpv6::Icmpv6Repr;
use crate::wire::ipv4::{Ipv4Packet, Ipv4Repr};
use crate::wire::ipv6::{Ipv6Packet, Ipv6Repr};
use crate::wire::ipv6ext::{Ipv6FragmentHeader, Ipv6FragmentRepr};
use crate::wire::ndp::NdiscRepr;
use crate::wire::virtio::{GsoType, VirtioNetRepr, F_NEEDS_CSUM};
use crate::wire::{ChecksumMode, EthernetAddress, IpAddr, IpProtocol, Ipv4Addr, Ipv6Addr};

/// Somewhere frames go: the one token a receive lends for a reply, or the
/// device itself. `frame` returns false when no buffer is available.
///
/// On a device with a virtio-net header ([`crate::phy::VirtioOffload`]) the
/// sink writes it before the `len` bytes of frame: `vnet` says what the
/// device must do with the frame (all zero, [`VirtioNetRepr::PLAIN`], for a
/// frame that is complete as it is).
pub(crate) trait FrameOut {
    /// Writes a frame of `len` bytes with `fill`, after the header `vnet`
    /// when the device takes one.
    fn frame_with(
        &mut self,
        vnet: &VirtioNetRepr,
        len: usize,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> bool;
    /// Writes a complete frame of `len` bytes with `fill`.
    fn frame(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8])) -> bool {
        self.frame_with(&VirtioNetRepr::PLAIN, len, fill)
    }
    /// How many frames can still be written (1 for a token, many for a device).
    fn room(&self) -> usize;
}

/// Lends `len` bytes of frame after a `header_len`-byte virtio-net header
/// (none when 0) filled from `vnet`.
fn with_header(
    token: impl TxToken,
    header_len: usize,
    vnet: &VirtioNetRepr,
    len: usize,
    fill: &mut dyn FnMut(&mut [u8]),
) {
    token.consume(header_len + len, |buf| {
        if header_len == 0 {
            return fill(buf);
        }
        if let Some((header, frame)) = buf.split_at_mut_checked(header_len) {
            vnet.emit(header);
            fill(frame);
        }
    });
}

/// The way out, handed to every protocol's handler in place of a frame
/// sink and a queue passed side by side: where frames go ([`FrameOut`]),
/// the pending queue for packets that cannot leave yet, the poll's time,
/// and what a socket's packet whose next hop is being resolved does.
pub(crate) struct Out<'r, 'p> {
    /// Where frames go.
    pub frames: &'r mut dyn FrameOut,
    /// Where packets wait for their next hop or for a device buffer.
    pub pending: &'r mut PendingQueue<'p>,
    /// The poll's time.
    pub now: Instant,
    /// Whether a socket's packet may wait in the pending queue.
    pub park: Park,
}

impl<'p> Out<'_, 'p> {
    /// The way out, ready for one socket's packets: the same sink and queue
    /// with its own [`Park`].
    pub fn parked(&mut self, park: Park) -> Out<'_, 'p> {
        Out {
            frames: &mut *self.frames,
            pending: &mut *self.pending,
            now: self.now,
            park,
        }
    }

    /// Writes a frame of `len` bytes with `fill`; false without a buffer.
    pub fn frame(&mut self, len: usize, fill: &mut dyn FnMut(&mut [u8])) -> bool {
        self.frames.frame(len, fill)
    }

    /// [`frame`](Self::frame) with the device's share of the work in a
    /// virtio-net header.
    pub fn frame_with(
        &mut self,
        vnet: &VirtioNetRepr,
        len: usize,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> bool {
        self.frames.frame_with(vnet, len, fill)
    }

    /// How many frames can still be written.
    pub fn room(&self) -> usize {
        self.frames.room()
    }
}

/// What a socket's packet does while its next hop is being resolved.
///
/// A socket with many peers (a listener's SYN-ACKs, a UDP or ping socket's
/// datagrams) parks it in the pending queue, within the hop's share,
/// instead of holding up its packets to other hops (issue 10 items 19,
/// 23). Linux likewise queues on the neighbor (`unres_qlen`), never on the
/// socket. Parking also lets the rest of a datagram whose first fragments
/// left wait for the next poll when the device ran out of buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Park {
    /// No parking: the socket keeps the packet and waits for the hop
    /// (replies and timers, TCP connections, DHCP, raw sockets).
    No,
    /// Park it; with the hop's share full the socket keeps it.
    Keep,
    /// Park it; with the hop's share full it is dropped and counted (a
    /// sender with its own retransmission: the listener).
    DropWhenFull,
}

/// What [`Inner::park`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parked {
    /// It waits in the pending queue: the socket may forget it.
    Yes,
    /// The next hop's share of the queue is full: the packet was dropped
    /// and counted (a sender with its own retransmission, the listener).
    Dropped,
    /// Not parked: the socket keeps it and waits for the hop.
    No,
}

impl Inner {
    /// Moves a socket's packet for a next hop being resolved into the
    /// pending queue as `out.park` says, so that the socket goes on with
    /// its next packets.
    fn park(&mut self, out: &mut Out<'_, '_>, hop: IpAddr, pkt: &IpOut<'_>) -> Parked {
        if out.park == Park::No {
            return Parked::No;
        }
        if self.queue(out, hop, pkt, Room::Refuse) {
            Parked::Yes
        } else if out.park == Park::DropWhenFull {
            self.drop(DropReason::Unresolved);
            Parked::Dropped
        } else {
            Parked::No
        }
    }
}

/// The transmit token lent with a received frame.
pub(crate) struct TokenOut<T: TxToken> {
    token: Option<T>,
    /// The device's virtio-net header length (0: none).
    header_len: usize,
}

impl<T: TxToken> TokenOut<T> {
    pub(crate) fn new(token: T, header_len: usize) -> TokenOut<T> {
        TokenOut {
            token: Some(token),
            header_len,
        }
    }
}

impl<T: TxToken> FrameOut for TokenOut<T> {
    fn frame_with(
        &mut self,
        vnet: &VirtioNetRepr,
        len: usize,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> bool {
        match self.token.take() {
            Some(t) => {
                with_header(t, self.header_len, vnet, len, fill);
                true
            }
            None => false,
        }
    }

    fn room(&self) -> usize {
        usize::from(self.token.is_some())
    }
}

/// The device, asked for a fresh transmit buffer per frame.
pub(crate) struct DeviceOut<'d, D: Device> {
    pub device: &'d mut D,
    pub now: Instant,
    /// The device's virtio-net header length (0: none).
    pub header_len: usize,
}

impl<D: Device> FrameOut for DeviceOut<'_, D> {
    fn frame_with(
        &mut self,
        vnet: &VirtioNetRepr,
        len: usize,
        fill: &mut dyn FnMut(&mut [u8]),
    ) -> bool {
        match self.device.transmit(self.now) {
            Some(t) => {
                with_header(t, self.header_len, vnet, len, fill);
                true
            }
            None => false,
        }
    }

    fn room(&self) -> usize {
        usize::MAX
    }
}

/// The IPv6 Fragment header's length (RFC 8200 §4.5).
const IPV6_FRAGMENT_HEADER: usize = 8;

/// Takes one IP packet of the given length, written by the inner closure;
/// false when it has no room.
type IpSink<'s> = dyn FnMut(usize, &mut dyn FnMut(&mut [u8])) -> bool + 's;

/// Why an outgoing packet did not leave now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendError {
    /// Waiting for this next hop: keep the data and retry once it resolves.
    Pending(IpAddr),
    /// The device had no buffer: keep the data and retry later.
    Busy,
    /// Cannot ever go (no route, unresolvable, too big): drop it.
    Dropped,
}

impl Inner {
    /// How frames are framed on this device (from its capabilities).
    pub(super) fn link(&self) -> Link {
        Link {
            hw: self.hw,
            vlan_id: self.vlan_id,
            ethernet: self.caps.medium == Medium::Ethernet,
        }
    }

    /// Our link-layer address for NDP's options: none on an IP link (RFC
    /// 4861 §4.1, §4.4: the options are "on link layers that have
    /// addresses").
    pub(super) fn link_addr(&self) -> Option<EthernetAddress> {
        (self.caps.medium == Medium::Ethernet).then_some(self.hw)
    }
}

/// The link header every frame starts with: Ethernet (our MAC, an 802.1Q
/// tag when a VLAN is configured), or nothing at all on an IP medium
/// ([`Medium::Ip`]: the frame is the IP packet).
#[derive(Debug, Clone, Copy)]
pub(super) struct Link {
    hw: EthernetAddress,
    vlan_id: Option<u16>,
    ethernet: bool,
}

impl Link {
    /// The header's length: 14, plus 4 for an 802.1Q tag; 0 on an IP link.
    pub(super) fn header_len(&self) -> usize {
        if !self.ethernet {
            return 0;
        }
        14 + if self.vlan_id.is_some() { 4 } else { 0 }
    }

    /// Writes the header to `dst` (ignored on an IP link); returns its length.
    pub(super) fn write(
        &self,
        buf: &mut [u8],
        dst: EthernetAddress,
        ethertype: EtherType,
    ) -> usize {
        if !self.ethernet {
            return 0;
        }
        if self.vlan_id.is_none() {
            // Untagged: destination, source, EtherType (IEEE 802.3 §3.1.1),
            // with no tag list to build. A short buffer is left alone, as
            // `EthernetRepr::emit` leaves it.
            if let Some(h) = buf.first_chunk_mut::<14>() {
                h[..6].copy_from_slice(dst.as_bytes());
                h[6..12].copy_from_slice(self.hw.as_bytes());
                h[12..].copy_from_slice(&u16::from(ethertype).to_be_bytes());
            }
            return 14;
        }
        let mut vlan = heapless::Vec::new();
        if let Some(vid) = self.vlan_id {
            let _ = vlan.push(VlanTag {
                pcp: 0,
                dei: false,
                id: vid,
                tpid: EtherType::Vlan,
            });
        }
        let repr = EthernetRepr {
            src_addr: self.hw,
            dst_addr: dst,
            ethertype,
            vlan,
        };
        let n = repr.buffer_len();
        let _ = repr.emit(&mut EthernetFrame::new_unchecked(&mut *buf));
        n
    }
}

impl Inner {
    /// Sends an ARP packet in one frame.
    pub(crate) fn send_arp(
        &mut self,
        out: &mut Out<'_, '_>,
        dst: EthernetAddress,
        repr: &ArpRepr,
    ) -> bool {
        if self.caps.medium != Medium::Ethernet {
            // No ARP on an IP link: nothing asks for it there (no probing,
            // no resolution); a stray request is consumed, not retried.
            self.drop(DropReason::Unsupported);
            return true;
        }
        let link = self.link();
        let len = link.header_len() + repr.buffer_len();
        let sent = out.frame(len, &mut |buf| {
            let at = link.write(buf, dst, EtherType::Arp);
            if let Some(rest) = buf.get_mut(at..) {
                let _ = repr.emit(&mut ArpPacket::new_unchecked(rest));
            }
        });
        if sent {
            self.count_tx(len);
        }
        sent
    }

    pub(super) fn count_tx(&mut self, len: usize) {
        self.stats.tx_frames = self.stats.tx_frames.wrapping_add(1);
        self.stats.tx_bytes = self.stats.tx_bytes.wrapping_add(len as u64);
    }

    /// How many frames `pkt` needs at the device MTU; `None` when it cannot
    /// be sent at all (too big and not fragmentable).
    pub(crate) fn frames_needed(&self, pkt: &IpOut<'_>) -> Option<usize> {
        self.frames_needed_len(pkt, pkt.body.len())
    }

    /// [`frames_needed`](Self::frames_needed) for a caller that knows the
    /// body's length (`pkt.body.len()`), so that it is counted once.
    fn frames_needed_len(&self, pkt: &IpOut<'_>, body_len: usize) -> Option<usize> {
        let mtu = self.ip_mtu(&pkt.dst);
        let hl = ip_header_len(&pkt.dst);
        let total = hl + body_len;
        if total <= mtu {
            return Some(1);
        }
        if pkt.body.is_super_segment() {
            // The device cuts it (TSO): one frame, never IP fragments.
            return self
                .caps
                .tso_max()
                .filter(|&max| total <= max && body_len <= 65535)
                .map(|_| 1);
        }
        // DHCP/NDP bodies are small and never split.
        if !pkt.body.is_splittable() || body_len > 65535 {
            return None;
        }
        let per_fragment = match pkt.dst {
            IpAddr::V4(_) if total > 65535 => return None,
            IpAddr::V4(_) => mtu.checked_sub(hl)?,
            // RFC 8200 §4.5: each fragment carries a Fragment header.
            IpAddr::V6(_) => mtu.checked_sub(hl + IPV6_FRAGMENT_HEADER)?,
        };
        fragment_count(body_len, per_fragment)
    }

    /// Writes `pkt` (fragmented as needed) as IP packets through `sink`,
    /// which gets each packet's length and a writer. Stops at the first
    /// packet the sink refuses; returns how many went.
    fn write_ip(&mut self, pkt: &IpOut<'_>, sink: &mut IpSink<'_>) -> usize {
        let ident = self.datagram_ident(pkt);
        self.write_ip_from(pkt, ident, 0, sink)
    }

    /// A fresh Identification for `pkt`: the next IPv4 ident, or for an
    /// IPv6 datagram that is fragmented an unpredictable one (RFC 7739 §5,
    /// so that no one off-path can forge pieces).
    fn datagram_ident(&mut self, pkt: &IpOut<'_>) -> u32 {
        match pkt.dst {
            IpAddr::V4(_) => u32::from(self.next_ident()),
            IpAddr::V6(_) if self.frames_needed(pkt).is_some_and(|n| n > 1) => self.rand(),
            IpAddr::V6(_) => 0,
        }
    }

    /// How the transport checksum of an outgoing `protocol` packet is made
    /// (by us, or left to the device).
    fn l4_tx_mode(&self, protocol: IpProtocol) -> ChecksumMode {
        match protocol {
            IpProtocol::Udp => self.caps.checksum.udp.tx_mode(),
            IpProtocol::Tcp => self.caps.checksum.tcp.tx_mode(),
            IpProtocol::Icmp => self.caps.checksum.icmpv4.tx_mode(),
            _ => self.caps.checksum.icmpv6.tx_mode(),
        }
    }

    /// [`write_ip`](Self::write_ip) with a given Identification, starting
    /// at packet `skip` (the first `skip` went already): how the rest of a
    /// datagram is written after the device ran out of buffers halfway.
    /// Returns how many packets went in all, the skipped ones included.
    fn write_ip_from(
        &mut self,
        pkt: &IpOut<'_>,
        ident: u32,
        skip: usize,
        sink: &mut IpSink<'_>,
    ) -> usize {
        let csum_ip = self.caps.checksum.ipv4.tx_mode();
        let csum_l4 = self.l4_tx_mode(pkt.protocol);
        let body_len = pkt.body.len();
        match (pkt.src, pkt.dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                let ident = ident as u16;
                // RFC 791 §3.2: every piece but the last a multiple of 8
                // bytes, to the path MTU (RFC 1191, as `frames_needed`
                // counts). A TSO super-segment is one piece: the device cuts
                // it into segments, each with DF (`frames_needed` checked
                // its length).
                let max_piece = if pkt.body.is_super_segment() {
                    65535 - 20
                } else {
                    self.ip_mtu(&pkt.dst).saturating_sub(20)
                };
                let body = &pkt.body;
                let mut piece = |offset: usize, len: usize, more: bool| {
                    let repr = Ipv4Repr {
                        src_addr: src,
                        dst_addr: dst,
                        next_header: pkt.protocol,
                        payload_len: len,
                        hop_limit: pkt.hop_limit,
                        dscp: 0,
                        ecn: 0,
                        ident,
                        dont_frag: dont_fragment(pkt.protocol, more || offset > 0),
                        more_frags: more,
                        frag_offset: offset as u16,
                    };
                    sink(20 + len, &mut |buf| {
                        repr.emit(&mut Ipv4Packet::new_unchecked(&mut *buf), csum_ip);
                        if let Some(rest) = buf.get_mut(20..20 + len) {
                            body.write(offset, rest, &pkt.src, &pkt.dst, csum_l4);
                        }
                    })
                };
                let mut sent = skip;
                if skip == 0 && body_len <= max_piece {
                    // One piece, what nearly every datagram is: the plan
                    // below would yield exactly this.
                    sent += usize::from(piece(0, body_len, false));
                } else {
                    for p in fragments(body_len, max_piece).skip(skip) {
                        if !piece(p.offset, p.len, p.more) {
                            break;
                        }
                        sent += 1;
                    }
                }
                if sent > 1 {
                    let new = (sent - skip) as u64;
                    self.stats.fragments_sent = self.stats.fragments_sent.wrapping_add(new);
                }
                sent
            }
            (IpAddr::V6(src), IpAddr::V6(dst))
                if 40 + body_len <= self.ip_mtu(&pkt.dst) || pkt.body.is_super_segment() =>
            {
                let repr = Ipv6Repr {
                    src_addr: src,
                    dst_addr: dst,
                    next_header: pkt.protocol,
                    payload_len: body_len as u16,
                    hop_limit: pkt.hop_limit,
                    traffic_class: 0,
                    flow_label: 0,
                };
                let body = &pkt.body;
                let ok = sink(40 + body_len, &mut |buf| {
                    repr.emit(&mut Ipv6Packet::new_unchecked(&mut *buf));
                    if let Some(rest) = buf.get_mut(40..40 + body_len) {
                        body.write(0, rest, &pkt.src, &pkt.dst, csum_l4);
                    }
                });
                usize::from(ok)
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                // RFC 8200 §4.5: the source fragments; each piece is the
                // fixed header, a Fragment header and a multiple of 8 bytes
                // (but the last).
                let plan = fragments(
                    body_len,
                    self.ip_mtu(&pkt.dst)
                        .saturating_sub(40 + IPV6_FRAGMENT_HEADER),
                );
                let mut sent = skip;
                for piece in plan.skip(skip) {
                    let (offset, len) = (piece.offset, piece.len);
                    let repr = Ipv6Repr {
                        src_addr: src,
                        dst_addr: dst,
                        next_header: IpProtocol::Ipv6Frag,
                        payload_len: (IPV6_FRAGMENT_HEADER + len) as u16,
                        hop_limit: pkt.hop_limit,
                        traffic_class: 0,
                        flow_label: 0,
                    };
                    let frag = Ipv6FragmentRepr {
                        next_header: pkt.protocol,
                        frag_offset: offset as u16,
                        more_frags: piece.more,
                        ident,
                    };
                    let body = &pkt.body;
                    let total = 40 + IPV6_FRAGMENT_HEADER + len;
                    let ok = sink(total, &mut |buf| {
                        repr.emit(&mut Ipv6Packet::new_unchecked(&mut *buf));
                        if let Some(h) = buf.get_mut(40..40 + IPV6_FRAGMENT_HEADER) {
                            frag.emit(&mut Ipv6FragmentHeader::new_unchecked(h));
                        }
                        if let Some(rest) = buf.get_mut(40 + IPV6_FRAGMENT_HEADER..total) {
                            body.write(offset, rest, &pkt.src, &pkt.dst, csum_l4);
                        }
                    });
                    if !ok {
                        break;
                    }
                    sent += 1;
                }
                let new = (sent - skip) as u64;
                self.stats.fragments_sent = self.stats.fragments_sent.wrapping_add(new);
                sent
            }
            _ => 0,
        }
    }

    /// Sends `pkt` to a known MAC (ignored on an IP link) through `out`;
    /// false if `out` ran dry.
    pub(crate) fn send_ip_to(
        &mut self,
        out: &mut Out<'_, '_>,
        mac: EthernetAddress,
        pkt: &IpOut<'_>,
    ) -> bool {
        // RFC 4862 §5.4.5: IPv6 off (`ipv6_off.rs`) sends nothing.
        if self.ipv6_off && matches!(pkt.dst, IpAddr::V6(_)) {
            self.drop(DropReason::NoRoute);
            return true;
        }
        let Some(frames) = self.frames_needed(pkt) else {
            self.drop(DropReason::TooBig);
            return true;
        };
        self.send_frames_to(out, mac, pkt, frames)
    }

    /// [`send_ip_to`](Self::send_ip_to) of a packet known to need `frames`
    /// frames ([`frames_needed`](Self::frames_needed), asked once).
    fn send_frames_to(
        &mut self,
        out: &mut Out<'_, '_>,
        mac: EthernetAddress,
        pkt: &IpOut<'_>,
        frames: usize,
    ) -> bool {
        if frames > out.room() {
            return false;
        }
        let ethertype = match pkt.dst {
            IpAddr::V4(_) => EtherType::Ipv4,
            IpAddr::V6(_) => EtherType::Ipv6,
        };
        // The link header once per datagram (none on an IP link), copied
        // before each of its frames.
        let mut eth = [0u8; 18];
        let eth_len = self.link().write(&mut eth, mac, ethertype);
        let hl = eth_len;
        let mut bytes = 0usize;
        let ident = self.datagram_ident(pkt);
        let vnet = self.virtio_for(pkt, hl);
        let sent = self.write_ip_from(pkt, ident, 0, &mut |len, fill| {
            let taken = out.frame_with(&vnet, hl + len, &mut |buf| {
                if let Some(h) = buf.get_mut(..eth_len) {
                    h.copy_from_slice(&eth[..eth_len]);
                }
                if let Some(rest) = buf.get_mut(hl..) {
                    fill(rest);
                }
            });
            // Only what the device took counts as sent.
            if taken {
                bytes += hl + len;
            }
            taken
        });
        for _ in 0..sent {
            self.stats.tx_frames = self.stats.tx_frames.wrapping_add(1);
        }
        self.stats.tx_bytes = self.stats.tx_bytes.wrapping_add(bytes as u64);
        if sent > 0 && sent < frames {
            // Part of a fragmented datagram left and the device ran out of
            // buffers: the rest waits in the pending queue for the next poll
            // (issue 10 item 20). Only where no queue is at hand, or it has
            // no room, is the rest lost (counted; the receiver's reassembly
            // times out).
            if out.park != Park::No && self.queue_rest(out, pkt, ident, sent) {
                return true;
            }
            self.drop(DropReason::DeviceBusy);
        }
        sent == frames
    }

    /// [`send_frames_to`](Self::send_frames_to) of an IPv4 packet known to
    /// fit one frame (the replies of the receive path): the link header,
    /// the IP header and the body written in one pass, without the fragment
    /// plan and its sink closures. The frame is the one `write_ip_from`
    /// writes for a one-piece datagram. `body_len` is `pkt.body.len()`,
    /// counted once by the caller.
    fn send_one_v4(
        &mut self,
        out: &mut Out<'_, '_>,
        mac: EthernetAddress,
        pkt: &IpOut<'_>,
        (src, dst): (Ipv4Addr, Ipv4Addr),
        body_len: usize,
    ) -> bool {
        let mut eth = [0u8; 18];
        let eth_len = self.link().write(&mut eth, mac, EtherType::Ipv4);
        let ip_end = eth_len + 20;
        let len = ip_end + body_len;
        let csum_ip = self.caps.checksum.ipv4.tx_mode();
        let csum_l4 = self.l4_tx_mode(pkt.protocol);
        let repr = Ipv4Repr {
            src_addr: src,
            dst_addr: dst,
            next_header: pkt.protocol,
            payload_len: body_len,
            hop_limit: pkt.hop_limit,
            dscp: 0,
            ecn: 0,
            ident: self.next_ident(),
            dont_frag: dont_fragment(pkt.protocol, false),
            more_frags: false,
            frag_offset: 0,
        };
        let vnet = self.virtio_for(pkt, eth_len);
        let body = &pkt.body;
        let sent = out.frame_with(&vnet, len, &mut |buf| {
            // An untagged Ethernet header by a fixed-length copy (no call).
            match (buf.first_chunk_mut::<14>(), eth.first_chunk::<14>()) {
                (Some(h), Some(e)) if eth_len == 14 => *h = *e,
                _ => {
                    if let Some(h) = buf.get_mut(..eth_len) {
                        h.copy_from_slice(&eth[..eth_len]);
                    }
                }
            }
            if let Some(ip) = buf.get_mut(eth_len..ip_end) {
                repr.emit(&mut Ipv4Packet::new_unchecked(ip), csum_ip);
            }
            if let Some(rest) = buf.get_mut(ip_end..len) {
                body.write(0, rest, &pkt.src, &pkt.dst, csum_l4);
            }
        });
        if sent {
            self.stats.tx_frames = self.stats.tx_frames.wrapping_add(1);
            self.stats.tx_bytes = self.stats.tx_bytes.wrapping_add(len as u64);
        }
        sent
    }

    /// The virtio-net header for `pkt` behind an Ethernet header of
    /// `eth_len` bytes: for a TCP segment built for the device's checksum,
    /// where the checksum starts and lies (RFC 9293 §3.1: the checksum
    /// field is 16 bytes into the TCP header), and for a super-segment the
    /// segment size and the headers each segment repeats.
    fn virtio_for(&self, pkt: &IpOut<'_>, eth_len: usize) -> VirtioNetRepr {
        let Some((offload, tcp_len)) = pkt.body.offload() else {
            return VirtioNetRepr::PLAIN;
        };
        let start = eth_len + ip_header_len(&pkt.dst);
        let gso_type = match (pkt.body.is_super_segment(), pkt.dst) {
            (false, _) => GsoType::None,
            (true, IpAddr::V4(_)) => GsoType::TcpV4,
            (true, IpAddr::V6(_)) => GsoType::TcpV6,
        };
        VirtioNetRepr {
            flags: F_NEEDS_CSUM,
            gso_type,
            gso_ecn: false,
            hdr_len: u16::try_from(start + tcp_len).unwrap_or(u16::MAX),
            gso_size: if gso_type == GsoType::None {
                0
            } else {
                offload.segment
            },
            csum_start: u16::try_from(start).unwrap_or(u16::MAX),
            csum_offset: 16,
        }
    }

    /// Queues the packets of `pkt` from `skip` on (written with `ident`) for
    /// its next hop, whole or not at all, and schedules their flush.
    fn queue_rest(
        &mut self,
        out: &mut Out<'_, '_>,
        pkt: &IpOut<'_>,
        ident: u32,
        skip: usize,
    ) -> bool {
        let (pending, now) = (&mut *out.pending, out.now);
        let Some(hop) = self.next_hop(&pkt.dst) else {
            return false;
        };
        let (Some(frames), Some(lens)) = (self.frames_needed(pkt), self.packet_lens(pkt)) else {
            return false;
        };
        let packets = frames.saturating_sub(skip);
        let bytes: usize = lens.skip(skip).sum();
        match pending.make_room(&hop, packets, bytes, Room::Resolved) {
            Ok(evicted) => (0..evicted).for_each(|_| self.drop(DropReason::Unresolved)),
            Err(_) => return false,
        }
        let mut first = true;
        let sent = self.write_ip_from(pkt, ident, skip, &mut |len, fill| {
            let part = core::mem::replace(&mut first, false);
            pending
                .enqueue_part(hop, now, len, part, |buf| fill(buf))
                .is_ok()
        });
        if sent < frames {
            pending.drop_for(&hop);
            return false;
        }
        self.schedule_flush(hop);
        true
    }

    /// The length of each IP packet `pkt` becomes at the device MTU, in
    /// order: the fragment plan `write_ip` follows.
    fn packet_lens(&self, pkt: &IpOut<'_>) -> Option<impl Iterator<Item = usize>> {
        let frames = self.frames_needed(pkt)?;
        let hl = ip_header_len(&pkt.dst);
        let body = pkt.body.len();
        // Every fragment repeats the header (IPv6: and a Fragment header).
        let per_packet = match pkt.dst {
            IpAddr::V4(_) => hl,
            IpAddr::V6(_) if frames > 1 => hl + IPV6_FRAGMENT_HEADER,
            IpAddr::V6(_) => hl,
        };
        let (plan, whole) = if frames > 1 {
            let max = self.ip_mtu(&pkt.dst).saturating_sub(per_packet);
            (Some(fragments(body, max)), None)
        } else {
            (None, Some(hl + body))
        };
        Some(
            plan.into_iter()
                .flatten()
                .map(move |p| per_packet + p.len)
                .chain(whole),
        )
    }

    /// The MAC for a next hop of a multicast or broadcast destination.
    fn group_mac(&self, hop: &IpAddr) -> Option<EthernetAddress> {
        match hop {
            IpAddr::V4(a) if a.is_broadcast() || self.is_v4_broadcast(a) => {
                Some(EthernetAddress::BROADCAST)
            }
            IpAddr::V4(a) if a.is_multicast() => Some(EthernetAddress::from_ipv4_multicast(a)),
            IpAddr::V6(a) if a.is_multicast() => Some(EthernetAddress::from_ipv6_multicast(a)),
            _ => None,
        }
    }

    /// True when `hop` is one of our usable unicast addresses.
    fn is_own_unicast(&self, hop: &IpAddr) -> bool {
        match hop {
            IpAddr::V4(a) => self.has_v4(a),
            IpAddr::V6(a) => self.has_v6(a),
        }
    }

    /// Routes and resolves `pkt`, sending a resolution request when one is
    /// due. `Ok(mac)` when it can go now.
    pub(crate) fn resolve(
        &mut self,
        out: &mut Out<'_, '_>,
        pkt: &IpOut<'_>,
    ) -> Result<(IpAddr, EthernetAddress), (IpAddr, SendError)> {
        // The common reply: an on-link IPv4 peer over Ethernet, told in one
        // pass over our addresses where the general path below takes three
        // (the next hop, the group MAC, our own address) for the same answer.
        if let IpAddr::V4(a) = pkt.dst {
            if self.caps.medium == Medium::Ethernet && self.is_v4_on_link_peer(&a) {
                return self.resolve_neighbor(out, pkt.dst);
            }
        }
        let off = self.ipv6_off && matches!(pkt.dst, IpAddr::V6(_));
        let Some(hop) = self.next_hop(&pkt.dst).filter(|_| !off) else {
            // RFC 4862 §5.4.5: IPv6 off (`ipv6_off.rs`) has no route.
            self.drop(DropReason::NoRoute);
            return Err((pkt.dst, SendError::Dropped));
        };
        if self.caps.medium == Medium::Ip {
            // A point-to-point IP link delivers every packet to the peer:
            // no ARP, no Neighbor Solicitation (Linux's IFF_NOARP).
            return Ok((hop, EthernetAddress::UNSPECIFIED));
        }
        if let Some(mac) = self.group_mac(&hop) {
            return Ok((hop, mac));
        }
        if self.is_own_unicast(&hop) {
            // To ourselves: no neighbor to ask (our own ARP request or
            // Neighbor Solicitation would come back as a reflection, and no
            // one else may answer for our address). Our MAC, so that a
            // loopback device carries it back to us (`ethernet.rs`).
            return Ok((hop, self.hw));
        }
        self.resolve_neighbor(out, hop)
    }

    /// True when `a` is a unicast neighbor on one of our prefixes: inside a
    /// configured prefix (so it is its own next hop, as `next_hop` says),
    /// not any prefix's broadcast nor the limited one, not multicast, and
    /// not one of our own addresses (usable or not: those take the general
    /// path). One pass over the addresses.
    fn is_v4_on_link_peer(&self, a: &Ipv4Addr) -> bool {
        if a.is_broadcast() || a.is_multicast() {
            return false;
        }
        let mut on_link = false;
        for c in self.v4.iter() {
            if c.cidr.address() == *a || c.cidr.broadcast() == Some(*a) {
                return false;
            }
            on_link |= c.cidr.contains_addr(a);
        }
        on_link
    }

    /// The neighbor cache's answer for the next hop `hop` of a unicast
    /// packet on an Ethernet link, asking (ARP, NDP) when one is due.
    #[inline(always)]
    fn resolve_neighbor(
        &mut self,
        out: &mut Out<'_, '_>,
        hop: IpAddr,
    ) -> Result<(IpAddr, EthernetAddress), (IpAddr, SendError)> {
        let now = self.now;
        let lookup = match hop {
            IpAddr::V4(a) => self.arp.lookup(&a, now),
            IpAddr::V6(a) => self.nd.lookup(&a, now),
        };
        match lookup {
            Lookup::Found(mac) => Ok((hop, mac)),
            Lookup::Probe(mac) => {
                self.send_solicit(out, hop, Some(mac));
                Ok((hop, mac))
            }
            Lookup::Request => {
                if !self.send_solicit(out, hop, None) {
                    // Could not ask now; the neighbor cache retries on its timer.
                }
                Err((hop, SendError::Pending(hop)))
            }
            Lookup::Pending => Err((hop, SendError::Pending(hop))),
            Lookup::Failed => {
                self.drop(DropReason::Unresolved);
                Err((hop, SendError::Dropped))
            }
        }
    }

    /// An ICMPv4 message from `src` to `dst` as an outgoing packet, with
    /// our hop limit.
    pub(crate) fn icmpv4_packet<'p>(
        &self,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        repr: &Icmpv4Repr<'p>,
    ) -> IpOut<'p> {
        IpOut {
            src: IpAddr::V4(src),
            dst: IpAddr::V4(dst),
            protocol: IpProtocol::Icmp,
            hop_limit: self.hop_limit,
            body: Body::icmpv4(repr, self.caps.checksum.icmpv4.tx_mode()),
        }
    }

    /// An ICMPv6 message from `src` to `dst` as an outgoing packet (its
    /// checksum covers the pseudo-header, RFC 4443 §2.3); Neighbor
    /// Discovery sends with `hop_limit` 255 (RFC 4861 §7.1).
    pub(crate) fn icmpv6_packet<'p>(
        &self,
        src: Ipv6Addr,
        dst: Ipv6Addr,
        repr: &Icmpv6Repr<'p>,
        hop_limit: u8,
    ) -> IpOut<'p> {
        IpOut {
            src: IpAddr::V6(src),
            dst: IpAddr::V6(dst),
            protocol: IpProtocol::Icmpv6,
            hop_limit,
            body: Body::icmpv6(&src, &dst, repr, self.caps.checksum.icmpv6.tx_mode()),
        }
    }

    /// Sends an ARP request or a Neighbor Solicitation for `hop`
    /// (unicast to `known` when confirming a cached entry).
    pub(crate) fn send_solicit(
        &mut self,
        out: &mut Out<'_, '_>,
        hop: IpAddr,
        known: Option<EthernetAddress>,
    ) -> bool {
        match hop {
            IpAddr::V4(target) => {
                let Some(src) = self.v4_source(&target) else {
                    return false;
                };
                let repr = ArpRepr::EthernetIpv4 {
                    operation: ArpOperation::Request,
                    source_hardware_addr: self.hw,
                    source_protocol_addr: src,
                    target_hardware_addr: EthernetAddress::UNSPECIFIED,
                    target_protocol_addr: target,
                };
                self.send_arp(out, known.unwrap_or(EthernetAddress::BROADCAST), &repr)
            }
            IpAddr::V6(target) => {
                let Some(src) = self.v6_source(&target) else {
                    return false;
                };
                // RFC 4861 §7.2.2: multicast to the solicited-node group, or
                // unicast when probing a known neighbor.
                let dst = match known {
                    Some(_) => target,
                    None => super::interface::solicited_node(&target),
                };
                // RFC 4429 §3.3: an optimistic source must not have its
                // link-layer address cached by the target: no option.
                let optimistic = self.v6.get(&src).is_some_and(|e| e.tentative());
                let ns = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
                    target_addr: target,
                    lladdr: (!optimistic).then_some(self.hw),
                    nonce: None,
                    options: &[],
                });
                let pkt = self.icmpv6_packet(src, dst, &ns, 255);
                let mac = known.unwrap_or_else(|| EthernetAddress::from_ipv6_multicast(&dst));
                self.send_ip_to(out, mac, &pkt)
            }
        }
    }

    /// Sends a packet the interface generated (a reply or an error): now if
    /// the neighbor is known and every frame of it fits `out`, else into the
    /// pending queue, whole or not at all (issue 10 item 20: the token lent
    /// with a received frame holds one frame, so a fragmented reply always
    /// goes through the queue).
    ///
    /// TCP segments answered from the receive path (a reset, a SYN-ACK
    /// carrying a SYN cookie) take no pending slot while the next hop is
    /// being resolved: the stack keeps no state for them (RFC 9293
    /// §3.10.7.1, RFC 4987 §3.6) and the peer's retransmission draws the
    /// answer again, by then resolved. A SYN flood from spoofed on-link
    /// sources therefore costs the queue nothing (issue 10 item 21); the
    /// request for the neighbor still goes out.
    pub(crate) fn send_reply(&mut self, out: &mut Out<'_, '_>, pkt: &IpOut<'_>) {
        match self.resolve(out, pkt) {
            Ok((hop, mac)) => {
                let body_len = pkt.body.len();
                // An IPv4 reply that fits the MTU whole (20-byte header, as
                // `ip_header_len` says) is one frame without the rest of
                // `frames_needed`'s plan.
                if let (IpAddr::V4(src), IpAddr::V4(dst)) = (pkt.src, pkt.dst) {
                    if 20 + body_len <= self.ip_mtu(&pkt.dst) && out.room() >= 1 {
                        if !self.send_one_v4(out, mac, pkt, (src, dst), body_len) {
                            self.drop(DropReason::DeviceBusy);
                        }
                        return;
                    }
                }
                let frames = self.frames_needed_len(pkt, body_len);
                if let Some(n) = frames.filter(|&n| n <= out.room()) {
                    let sent = match (n, pkt.src, pkt.dst) {
                        (1, IpAddr::V4(src), IpAddr::V4(dst)) => {
                            self.send_one_v4(out, mac, pkt, (src, dst), body_len)
                        }
                        _ => self.send_frames_to(out, mac, pkt, n),
                    };
                    if !sent {
                        self.drop(DropReason::DeviceBusy);
                    }
                } else if self.queue(out, hop, pkt, Room::Resolved) {
                    self.schedule_flush(hop);
                }
            }
            Err((_, SendError::Pending(_))) if pkt.protocol == IpProtocol::Tcp => {
                self.drop(DropReason::Unresolved);
            }
            Err((hop, SendError::Pending(_) | SendError::Busy)) => {
                self.queue(out, hop, pkt, Room::KeepLatest);
            }
            Err((_, SendError::Dropped)) => {}
        }
    }

    /// Stores `pkt` as ready-made IP packets (its fragments) for `hop`,
    /// whole or not at all, after making room as `room` allows (datagrams
    /// evicted for it are counted as drops). False (and counted) when it was
    /// not stored.
    pub(crate) fn queue(
        &mut self,
        out: &mut Out<'_, '_>,
        hop: IpAddr,
        pkt: &IpOut<'_>,
        room: Room,
    ) -> bool {
        if pkt.body.offload().is_some() {
            // The queue keeps bare IP packets: one whose checksum the
            // device must finish cannot wait there (TCP connections never
            // park; this guards that).
            self.drop(DropReason::Unresolved);
            return false;
        }
        let (pending, now) = (&mut *out.pending, out.now);
        let Some((packets, bytes)) = self.ip_packets_len(pkt) else {
            self.drop(DropReason::TooBig);
            return false;
        };
        match pending.make_room(&hop, packets, bytes, room) {
            Ok(evicted) => (0..evicted).for_each(|_| self.drop(DropReason::Unresolved)),
            Err(_) => {
                self.drop(DropReason::Unresolved);
                return false;
            }
        }
        let mut first = true;
        let queued = self.write_ip(pkt, &mut |len, fill| {
            let part = core::mem::replace(&mut first, false);
            pending
                .enqueue_part(hop, now, len, part, |buf| fill(buf))
                .is_ok()
        });
        if queued < packets {
            // make_room made room for all of them; never reached. Drop what
            // was stored rather than let part of a datagram leave.
            pending.drop_for(&hop);
            self.drop(DropReason::Unresolved);
            return false;
        }
        true
    }

    /// How many IP packets `pkt` becomes at the device MTU, and their bytes
    /// in all.
    fn ip_packets_len(&self, pkt: &IpOut<'_>) -> Option<(usize, usize)> {
        let frames = self.frames_needed(pkt)?;
        Some((frames, self.packet_lens(pkt)?.sum()))
    }
}

/// A neighbor cache's action with its address as an [`IpAddr`].
fn on_ip<A>(action: NeighborAction<A>, ip: impl Fn(A) -> IpAddr) -> NeighborAction<IpAddr> {
    match action {
        NeighborAction::Retransmit { addr, unicast_hw } => NeighborAction::Retransmit {
            addr: ip(addr),
            unicast_hw,
        },
        NeighborAction::Failed(addr) => NeighborAction::Failed(ip(addr)),
        NeighborAction::Evicted(addr) => NeighborAction::Evicted(ip(addr)),
    }
}

/// A packet that can never go is consumed (and was counted): the socket
/// moves on to its next one instead of retrying forever.
pub(super) fn dropped_is_done(e: SendError) -> Result<(), SendError> {
    match e {
        SendError::Dropped => Ok(()),
        other => Err(other),
    }
}

pub(super) fn ip_header_len(dst: &IpAddr) -> usize {
    match dst {
        IpAddr::V4(_) => 20,
        IpAddr::V6(_) => 40,
    }
}

impl Inner {
    /// The neighbor caches' timers (RFC 4861 §7.3.3, also for ARP):
    /// solicitations retransmitted, and packets waiting for a next hop that
    /// failed, was evicted or waited too long dropped.
    #[inline]
    pub(super) fn neighbor_timers(&mut self, out: &mut Out<'_, '_>) {
        // The common poll: nothing due, told in a few comparisons without
        // a call.
        let now = out.now;
        if self.arp.is_quiet(now) && self.nd.is_quiet(now) && out.pending.is_empty() {
            return;
        }
        self.run_neighbor_timers(out);
    }

    /// [`neighbor_timers`](Self::neighbor_timers) when one of them may be
    /// due.
    #[inline(never)]
    fn run_neighbor_timers(&mut self, out: &mut Out<'_, '_>) {
        let now = out.now;
        while let Some(action) = self.arp.poll(now) {
            self.neighbor_action(out, on_ip(action, IpAddr::V4));
        }
        while let Some(action) = self.nd.poll(now) {
            self.neighbor_action(out, on_ip(action, IpAddr::V6));
        }
        let expired = if out.pending.is_empty() {
            0
        } else {
            out.pending.expire(now, self.config.pending_timeout)
        };
        for _ in 0..expired {
            self.drop(DropReason::Unresolved);
        }
    }

    /// What a neighbor cache's timer asks for, in either family.
    fn neighbor_action(&mut self, out: &mut Out<'_, '_>, action: NeighborAction<IpAddr>) {
        match action {
            NeighborAction::Retransmit { addr, unicast_hw } => {
                self.send_solicit(out, addr, unicast_hw);
            }
            NeighborAction::Failed(addr) => {
                for _ in 0..out.pending.drop_for(&addr) {
                    self.drop(DropReason::Unresolved);
                }
                self.unstall(&addr);
                self.event(super::event::Event::NeighborUnreachable(addr));
            }
            NeighborAction::Evicted(addr) => {
                for _ in 0..out.pending.drop_for(&addr) {
                    self.drop(DropReason::Unresolved);
                }
                self.unstall(&addr);
            }
        }
    }

    /// Sends the packets queued for next hops that resolved (or that were
    /// queued only for want of a device buffer). A packet leaves the queue
    /// only once a device buffer took it: when the device is full the rest
    /// waits for the next poll, so no fragment of a datagram is lost on the
    /// way out (issue 10 item 20).
    #[inline]
    pub(super) fn flush_pending(&mut self, out: &mut Out<'_, '_>) {
        if self.flush_all || !self.flush.is_empty() {
            self.run_flush_pending(out);
        }
    }

    /// [`flush_pending`](Self::flush_pending) when some hop is to flush.
    #[inline(never)]
    fn run_flush_pending(&mut self, out: &mut Out<'_, '_>) {
        if core::mem::take(&mut self.flush_all) {
            // Every hop with a packet queued, each once.
            let mut hops: heapless::Vec<IpAddr, MAX_PENDING_PACKETS> = heapless::Vec::new();
            for hop in out.pending.hops() {
                if !hops.contains(&hop) && hops.push(hop).is_err() {
                    break;
                }
            }
            for hop in hops {
                if !self.flush_hop(hop, out) {
                    self.flush_all = true;
                    return;
                }
            }
        }
        while let Some(hop) = self.flush.pop() {
            if !self.flush_hop(hop, out) {
                self.schedule_flush(hop);
                return;
            }
        }
    }

    /// Sends the packets queued for `hop` if it is resolved; false when the
    /// device ran out of buffers (what is left stays queued).
    fn flush_hop(&mut self, hop: IpAddr, out: &mut Out<'_, '_>) -> bool {
        let now = out.now;
        let mac = match hop {
            // An IP link has no addresses to resolve: every hop is ready.
            _ if self.caps.medium == Medium::Ip => Some(EthernetAddress::UNSPECIFIED),
            IpAddr::V4(a) => self
                .group_mac(&hop)
                .or_else(|| self.arp.get(&a, now).and_then(|e| e.hw)),
            IpAddr::V6(a) => self
                .group_mac(&hop)
                .or_else(|| self.nd.get(&a, now).and_then(|e| e.hw)),
        };
        let Some(mac) = mac else { return true };
        let link = self.link();
        let hl = link.header_len();
        let ethertype = match hop {
            IpAddr::V4(_) => EtherType::Ipv4,
            IpAddr::V6(_) => EtherType::Ipv6,
        };
        while let Some(ip_packet) = out.pending.peek_for(&hop) {
            let len = hl + ip_packet.len();
            let sent = out.frames.frame(len, &mut |buf| {
                let at = link.write(buf, mac, ethertype);
                if let Some(rest) = buf.get_mut(at..at + ip_packet.len()) {
                    rest.copy_from_slice(ip_packet);
                }
            });
            if !sent {
                return false;
            }
            self.count_tx(len);
            out.pending.pop_for(&hop, |_| ());
        }
        true
    }
}

impl Inner {
    /// Routes, resolves and sends a socket's packet. `Pending`/`Busy` keep it
    /// in the socket for a later poll.
    pub(crate) fn send_socket_packet(
        &mut self,
        out: &mut Out<'_, '_>,
        pkt: &IpOut<'_>,
    ) -> Result<(), SendError> {
        // The body's length and the frame count once per packet: both are
        // asked again below only on the way to the pending queue.
        let body_len = pkt.body.len();
        let Some(frames) = self.frames_needed_len(pkt, body_len) else {
            self.drop(DropReason::TooBig);
            return Err(SendError::Dropped);
        };
        // RFC 4862 §5.4: a tentative address is never a source, not even
        // one a socket bound or a datagram named.
        if let IpAddr::V6(src) = pkt.src {
            if self.v6.get(&src).is_some_and(|e| !e.usable()) {
                self.drop(DropReason::BadSource);
                return Err(SendError::Dropped);
            }
        }
        let mac = match self.resolve(out, pkt) {
            Ok((_, mac)) => mac,
            Err((hop, SendError::Pending(_))) => {
                return match self.park(out, hop, pkt) {
                    Parked::Yes => Ok(()),
                    Parked::Dropped => Err(SendError::Dropped),
                    Parked::No => Err(SendError::Pending(hop)),
                };
            }
            Err((_, e)) => return Err(e),
        };
        let sent = match (frames, pkt.src, pkt.dst) {
            // One IPv4 piece (`write_ip_from`'s own test for it: a TSO
            // super-segment is one piece up to 65535 bytes in all), written
            // in one pass; the room asked first, as `send_frames_to` does,
            // so that a refused frame takes no Identification.
            (1, IpAddr::V4(src), IpAddr::V4(dst)) if body_len <= 65535 - 20 => {
                out.room() >= 1 && self.send_one_v4(out, mac, pkt, (src, dst), body_len)
            }
            _ => self.send_frames_to(out, mac, pkt, frames),
        };
        if sent {
            Ok(())
        } else {
            Err(SendError::Busy)
        }
    }

    /// Sends a whole IP packet a raw socket built.
    pub(super) fn send_raw(
        &mut self,
        out: &mut Out<'_, '_>,
        packet: &[u8],
    ) -> Result<(), SendError> {
        let dst = match packet.first().map(|b| b >> 4) {
            Some(4) => match Ipv4Packet::new_checked(packet) {
                Ok(p) => IpAddr::V4(p.dst_addr()),
                Err(_) => return Err(SendError::Dropped),
            },
            Some(6) => match Ipv6Packet::new_checked(packet) {
                Ok(p) => IpAddr::V6(p.dst_addr()),
                Err(_) => return Err(SendError::Dropped),
            },
            _ => return Err(SendError::Dropped),
        };
        if packet.len() > self.ip_mtu(&dst) {
            // Over the path MTU (RFC 1191, RFC 8201): fragmented like any
            // socket's datagram when its header allows, else refused.
            return match raw_as_datagram(packet) {
                Some(pkt) => self.send_socket_packet(out, &pkt),
                None => {
                    self.drop(DropReason::TooBig);
                    Err(SendError::Dropped)
                }
            };
        }
        // Resolve with a throwaway body: only the destination matters.
        let probe = IpOut {
            src: dst,
            dst,
            protocol: IpProtocol::Unknown(255),
            hop_limit: 0,
            body: Body::prebuilt(&[], None, 0, crate::wire::ChecksumMode::Skip)
                .ok_or(SendError::Dropped)?,
        };
        let (_, mac) = self.resolve(out, &probe).map_err(|(_, e)| e)?;
        let link = self.link();
        let hl = link.header_len();
        let ethertype = if matches!(dst, IpAddr::V4(_)) {
            EtherType::Ipv4
        } else {
            EtherType::Ipv6
        };
        let ok = out.frame(hl + packet.len(), &mut |buf| {
            let at = link.write(buf, mac, ethertype);
            if let Some(rest) = buf.get_mut(at..at + packet.len()) {
                rest.copy_from_slice(packet);
            }
        });
        if ok {
            self.count_tx(hl + packet.len());
            Ok(())
        } else {
            Err(SendError::Busy)
        }
    }
}

/// A raw socket's whole IP packet as a datagram the one way out can
/// fragment: an IPv4 header without options, DF or fragmentation (DF asks
/// that it never be cut, RFC 791), or an IPv6 header followed directly by
/// the upper layer (the source fragments, RFC 8200 §4.5; extension headers
/// would have to stay in the unfragmentable part). Its payload goes as it
/// is, checksums included; identification and flow label are the
/// interface's.
fn raw_as_datagram(packet: &[u8]) -> Option<IpOut<'_>> {
    let (src, dst, protocol, hop_limit, payload) = match packet.first().map(|b| b >> 4) {
        Some(4) => {
            let p = Ipv4Packet::new_checked(packet).ok()?;
            if p.header_len() != 20 || p.dont_frag() || p.more_frags() || p.frag_offset() != 0 {
                return None;
            }
            let payload = packet.get(20..usize::from(p.total_len()))?;
            let addrs = (IpAddr::V4(p.src_addr()), IpAddr::V4(p.dst_addr()));
            (addrs.0, addrs.1, p.next_header(), p.hop_limit(), payload)
        }
        Some(6) => {
            let p = Ipv6Packet::new_checked(packet).ok()?;
            let protocol = p.next_header();
            // An upper layer, not an extension header (RFC 8200 §4, and
            // Mobility 135, HIP 139, Shim6 140, experiments 253/254).
            let upper = match protocol {
                IpProtocol::Udp | IpProtocol::Tcp | IpProtocol::Icmpv6 => true,
                IpProtocol::Unknown(n) => !matches!(n, 135 | 139 | 140 | 253 | 254),
                _ => false,
            };
            if !upper {
                return None;
            }
            let payload = packet.get(40..p.total_len())?;
            let addrs = (IpAddr::V6(p.src_addr()), IpAddr::V6(p.dst_addr()));
            (addrs.0, addrs.1, protocol, p.hop_limit(), payload)
        }
        _ => return None,
    };
    let body = Body::prebuilt(payload, None, 0, crate::wire::ChecksumMode::Skip)?;
    Some(IpOut {
        src,
        dst,
        protocol,
        hop_limit,
        body,
    })
}

/// The DF bit of an outgoing IPv4 packet. RFC 1191 §3: a host doing path
/// MTU discovery sets DF, so a router with a smaller next hop answers
/// "fragmentation needed" instead of fragmenting. TCP does it (its
/// segments never exceed the MSS, which that ICMP error lowers); other
/// datagrams may be fragmented on the way, as Linux does for UDP, and a
/// packet we fragmented ourselves is already a piece.
fn dont_fragment(protocol: IpProtocol, fragmented: bool) -> bool {
    protocol == IpProtocol::Tcp && !fragmented
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_segments_carry_dont_fragment_for_path_mtu_discovery() {
        assert!(dont_fragment(IpProtocol::Tcp, false));
        assert!(!dont_fragment(IpProtocol::Udp, false));
        assert!(!dont_fragment(IpProtocol::Icmp, false));
        assert!(!dont_fragment(IpProtocol::Tcp, true));
    }
}
