//! Outgoing IP packets as the interface builds them, before they meet a buffer.
//!
//! A transport payload is kept as a small `head` (the transport header,
//! checksum already computed) and a borrowed `tail` (the data, wherever it
//! lives: a socket's send ring, the received frame being answered, a
//! reassembly buffer). Writing the packet, or any fragment of it, copies
//! straight from those two places into the device's transmit buffer: the
//! data is copied exactly once, and fragmentation needs no scratch buffer.

use crate::wire::checksum;
use crate::wire::dhcpv4::{DhcpPacket, DhcpRepr};
use crate::wire::icmpv4::{Icmpv4Packet, Icmpv4Repr};
use crate::wire::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use crate::wire::tcp::{TcpPacket, TcpRepr};
use crate::wire::udp::{UdpPacket, UdpRepr};
use crate::wire::{ChecksumMode, IpAddr, IpProtocol, Ipv6Addr};

/// The longest transport header kept in a [`Head`] (TCP with options: 60).
pub(crate) const MAX_HEAD: usize = 60;

/// A transport header, built in place with its checksum.
#[derive(Clone, Copy)]
pub(crate) struct Head {
    bytes: [u8; MAX_HEAD],
    len: usize,
    /// The device finishes the checksum (and may segment): see [`Offload`].
    offload: Option<Offload>,
}

/// A TCP segment whose checksum the device completes, and which the device
/// may cut into segments (TSO): the checksum field holds the pseudo-header's
/// sum over the whole length, as the virtio-net `NEEDS_CSUM` contract and
/// Linux's GSO (which adjusts it per segment) expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Offload {
    /// Payload bytes per segment on the wire (the connection's MSS less
    /// the options); a payload longer than this is a super-segment.
    pub segment: u16,
}

impl Head {
    fn new(len: usize) -> Head {
        Head {
            bytes: [0; MAX_HEAD],
            len: len.min(MAX_HEAD),
            offload: None,
        }
    }

    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[..self.len]
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// What follows the IP header.
#[derive(Clone)]
pub(crate) enum Body<'p> {
    /// A header built here and data borrowed from elsewhere.
    Split { head: Head, tail: &'p [u8] },
    /// A DHCP message over UDP, written in place (always fits one frame).
    Dhcp { udp: UdpRepr, repr: DhcpRepr<'p> },
    /// A whole ICMPv6 message (NDP) emitted by its repr; small, one frame.
    Icmpv6(Icmpv6Repr<'p>),
}

impl<'p> Body<'p> {
    /// A UDP datagram with its checksum over the pseudo-header.
    pub(crate) fn udp(
        src: &IpAddr,
        dst: &IpAddr,
        repr: UdpRepr,
        data: &'p [u8],
        csum: ChecksumMode,
    ) -> Body<'p> {
        let mut head = Head::new(8);
        let len = 8 + data.len();
        {
            let mut p = UdpPacket::new_unchecked(head.as_mut());
            p.set_src_port(repr.src_port);
            p.set_dst_port(repr.dst_port);
            p.set_len(u16::try_from(len).unwrap_or(0));
            p.set_checksum(0);
        }
        if csum.is_check() {
            let ph = checksum::pseudo_header(src, dst, IpProtocol::Udp, len as u32);
            let mut c = checksum::finish(checksum::combine(&[
                ph,
                checksum::sum(head.as_slice()),
                checksum::sum(data),
            ]));
            // RFC 768: a computed zero is sent as all ones (zero means "none").
            if c == 0 {
                c = 0xffff;
            }
            UdpPacket::new_unchecked(head.as_mut()).set_checksum(c);
        }
        Body::Split { head, tail: data }
    }

    /// A TCP segment: the header (options included) built here with the
    /// checksum over the pseudo-header and the data, the data borrowed
    /// (from the socket's send ring).
    pub(crate) fn tcp(
        src: &IpAddr,
        dst: &IpAddr,
        repr: &TcpRepr<'p>,
        csum: ChecksumMode,
    ) -> Body<'p> {
        let (mut head, data) = Self::tcp_head(src, dst, repr);
        TcpPacket::new_unchecked(head.as_mut()).set_checksum(0);
        if csum.is_check() {
            let len = head.len + data.len();
            let ph = checksum::pseudo_header(src, dst, IpProtocol::Tcp, len as u32);
            // The header is a multiple of 4 bytes: the data's sum lines up.
            let c = checksum::finish(checksum::combine(&[
                ph,
                checksum::sum(head.as_slice()),
                checksum::sum(data),
            ]));
            TcpPacket::new_unchecked(head.as_mut()).set_checksum(c);
        }
        Body::Split { head, tail: data }
    }

    /// The header of `repr` (options included, checksum field not yet
    /// written) and its data, borrowed: what both TCP builders share.
    fn tcp_head(src: &IpAddr, dst: &IpAddr, repr: &TcpRepr<'p>) -> (Head, &'p [u8]) {
        let header_only = TcpRepr {
            payload: &[],
            ..*repr
        };
        let mut head = Head::new(header_only.header_len());
        header_only.emit(
            &mut TcpPacket::new_unchecked(head.as_mut()),
            src,
            dst,
            ChecksumMode::Skip,
        );
        (head, repr.payload)
    }

    /// A TCP segment for a device that completes TCP checksums itself
    /// (virtio `NEEDS_CSUM`), possibly a super-segment of several
    /// `segment`-byte payloads that the device cuts (TSO): only the
    /// pseudo-header's sum is written here, so the data is read once, by
    /// the copy into the device's buffer.
    pub(crate) fn tcp_offloaded(
        src: &IpAddr,
        dst: &IpAddr,
        repr: &TcpRepr<'p>,
        segment: u16,
    ) -> Body<'p> {
        let (mut head, data) = Self::tcp_head(src, dst, repr);
        let len = head.len + data.len();
        let ph = checksum::pseudo_header(src, dst, IpProtocol::Tcp, len as u32);
        TcpPacket::new_unchecked(head.as_mut()).set_checksum(ph);
        head.offload = Some(Offload { segment });
        Body::Split { head, tail: data }
    }

    /// The device's share of the work, for a TCP segment built by
    /// [`tcp_offloaded`](Self::tcp_offloaded); with it, the transport
    /// header's length.
    pub(crate) fn offload(&self) -> Option<(Offload, usize)> {
        match self {
            Body::Split { head, .. } => head.offload.map(|o| (o, head.len)),
            _ => None,
        }
    }

    /// True for a TCP super-segment: more payload than one segment carries.
    pub(crate) fn is_super_segment(&self) -> bool {
        match self {
            Body::Split { head, tail } => head
                .offload
                .is_some_and(|o| tail.len() > usize::from(o.segment)),
            _ => false,
        }
    }

    /// An ICMPv4 message; the data of echo and error messages is borrowed.
    pub(crate) fn icmpv4(repr: &Icmpv4Repr<'p>, csum: ChecksumMode) -> Body<'p> {
        let mut head = Head::new(8);
        let data = repr.data();
        // Emit the header alone: Icmpv4Repr::emit wants the data in the same
        // buffer, so write an empty-data copy and then sum the data in.
        let empty = with_data_v4(repr, &[]);
        empty.emit(
            &mut Icmpv4Packet::new_unchecked(head.as_mut()),
            ChecksumMode::Skip,
        );
        Icmpv4Packet::new_unchecked(head.as_mut()).set_checksum(0);
        if csum.is_check() {
            let c = checksum::finish(checksum::combine(&[
                checksum::sum(head.as_slice()),
                checksum::sum(data),
            ]));
            Icmpv4Packet::new_unchecked(head.as_mut()).set_checksum(c);
        }
        Body::Split { head, tail: data }
    }

    /// An echo reply to the echo request whose code and checksum field were
    /// `request` (`Some` only when that checksum was verified): the reply
    /// differs from the request only in its type-and-code word (8, code →
    /// 0, 0), so its checksum is the request's updated for that word (RFC
    /// 1624 eqn. 3), with no second pass over the data. Otherwise summed.
    pub(crate) fn icmpv4_echo_reply(
        ident: u16,
        seq_no: u16,
        data: &'p [u8],
        request: Option<(u8, u16)>,
        csum: ChecksumMode,
    ) -> Body<'p> {
        let Some((code, request)) = request.filter(|_| csum.is_check()) else {
            let reply = Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            };
            return Self::icmpv4(&reply, csum);
        };
        // RFC 792: type 0 (echo reply), code 0. The request's code is
        // whatever the sender put there (RFC 792 says 0, a peer may not):
        // the update takes the word as received, or the reply's checksum
        // is wrong by the code (found by the `iface` fuzz target).
        let mut c = checksum::update(request, u16::from_be_bytes([8, code]), 0x0000);
        // One's complement has two zeros: an all-zero reply sums to +0, so
        // a full recomputation stores 0xffff where the update yields 0.
        if c == 0 && ident == 0 && seq_no == 0 && data.iter().all(|&b| b == 0) {
            c = 0xffff;
        }
        let mut head = Head::new(8);
        let h = head.as_mut();
        h[0..2].copy_from_slice(&[0, 0]);
        h[2..4].copy_from_slice(&c.to_be_bytes());
        h[4..6].copy_from_slice(&ident.to_be_bytes());
        h[6..8].copy_from_slice(&seq_no.to_be_bytes());
        Body::Split { head, tail: data }
    }

    /// An ICMPv6 echo or error message; its data is borrowed.
    pub(crate) fn icmpv6(
        src: &Ipv6Addr,
        dst: &Ipv6Addr,
        repr: &Icmpv6Repr<'p>,
        csum: ChecksumMode,
    ) -> Body<'p> {
        let data = match *repr {
            Icmpv6Repr::DstUnreachable { data, .. }
            | Icmpv6Repr::PktTooBig { data, .. }
            | Icmpv6Repr::TimeExceeded { data, .. }
            | Icmpv6Repr::ParamProblem { data, .. }
            | Icmpv6Repr::EchoRequest { data, .. }
            | Icmpv6Repr::EchoReply { data, .. } => data,
            _ => return Body::Icmpv6(*repr),
        };
        let mut head = Head::new(8);
        let empty = with_data_v6(repr, &[]);
        empty.emit(
            src,
            dst,
            &mut Icmpv6Packet::new_unchecked(head.as_mut()),
            ChecksumMode::Skip,
        );
        Icmpv6Packet::new_unchecked(head.as_mut()).set_checksum(0);
        if csum.is_check() {
            let len = 8 + data.len();
            let ph = checksum::pseudo_header_v6(src, dst, IpProtocol::Icmpv6, len as u32);
            let c = checksum::finish(checksum::combine(&[
                ph,
                checksum::sum(head.as_slice()),
                checksum::sum(data),
            ]));
            Icmpv6Packet::new_unchecked(head.as_mut()).set_checksum(c);
        }
        Body::Split { head, tail: data }
    }

    /// A message whose bytes the user built (ICMP sockets): the first
    /// `checksum_at` bytes' checksum field is recomputed over everything.
    pub(crate) fn prebuilt(
        message: &'p [u8],
        pseudo: Option<u16>,
        checksum_at: usize,
        csum: ChecksumMode,
    ) -> Option<Body<'p>> {
        let head_len = message.len().min(8);
        let (h, tail) = message.split_at_checked(head_len)?;
        let mut head = Head::new(head_len);
        head.as_mut().copy_from_slice(h);
        if csum.is_check() {
            let field = head.as_mut().get_mut(checksum_at..checksum_at + 2)?;
            field.copy_from_slice(&[0, 0]);
            let c = checksum::finish(checksum::combine(&[
                pseudo.unwrap_or(0),
                checksum::sum(head.as_slice()),
                checksum::sum(tail),
            ]));
            head.as_mut()
                .get_mut(checksum_at..checksum_at + 2)?
                .copy_from_slice(&c.to_be_bytes());
        }
        Some(Body::Split { head, tail })
    }

    /// Bytes after the IP header.
    pub(crate) fn len(&self) -> usize {
        match self {
            Body::Split { head, tail } => head.len + tail.len(),
            Body::Dhcp { repr, .. } => 8 + repr.buffer_len(),
            Body::Icmpv6(repr) => repr.buffer_len(),
        }
    }

    /// True when the body can be cut into fragments.
    pub(crate) fn is_splittable(&self) -> bool {
        matches!(self, Body::Split { .. })
    }

    /// Writes bytes `offset..offset + out.len()` of the body into `out`.
    /// Only `Split` bodies can be written in parts; the others need
    /// `offset == 0` and the whole length.
    pub(crate) fn write(
        &self,
        offset: usize,
        out: &mut [u8],
        src: &IpAddr,
        dst: &IpAddr,
        csum: ChecksumMode,
    ) {
        match self {
            Body::Split { head, tail } => {
                // The whole body (every unfragmented packet): the head
                // copied by a fixed length when it is a UDP or ICMP header,
                // then the tail, with no offset arithmetic.
                if offset == 0 && out.len() == head.len + tail.len() {
                    let (h, t) = out.split_at_mut(head.len);
                    match (h.first_chunk_mut::<8>(), head.bytes.first_chunk::<8>()) {
                        (Some(h8), Some(b8)) if head.len == 8 => *h8 = *b8,
                        _ => h.copy_from_slice(head.as_slice()),
                    }
                    // A TCP payload of up to 64 KB with TSO.
                    crate::copy::copy_bulk(t, tail);
                    return;
                }
                let head = head.as_slice();
                let mut written = 0;
                if offset < head.len() {
                    let part = &head[offset..head.len().min(offset + out.len())];
                    out[..part.len()].copy_from_slice(part);
                    written = part.len();
                }
                let tail_from = offset.saturating_sub(head.len());
                let rest = &mut out[written..];
                if let Some(src_bytes) = tail.get(tail_from..tail_from + rest.len()) {
                    crate::copy::copy_bulk(rest, src_bytes);
                }
            }
            Body::Dhcp { udp, repr } => {
                let dhcp_len = repr.buffer_len();
                let mut p = UdpPacket::new_unchecked(&mut *out);
                udp.emit(
                    &mut p,
                    src,
                    dst,
                    dhcp_len,
                    |payload| {
                        // buffer_len() bytes were reserved: emit cannot run short.
                        let _ = repr.emit(&mut DhcpPacket::new_unchecked(payload));
                    },
                    csum,
                );
            }
            Body::Icmpv6(repr) => {
                if let (IpAddr::V6(s), IpAddr::V6(d)) = (src, dst) {
                    repr.emit(s, d, &mut Icmpv6Packet::new_unchecked(out), csum);
                }
            }
        }
    }
}

/// `repr` with its data replaced (echo data or an error's quote).
pub(crate) fn with_data_v4<'x>(repr: &Icmpv4Repr<'_>, data: &'x [u8]) -> Icmpv4Repr<'x> {
    match *repr {
        Icmpv4Repr::EchoRequest { ident, seq_no, .. } => Icmpv4Repr::EchoRequest {
            ident,
            seq_no,
            data,
        },
        Icmpv4Repr::EchoReply { ident, seq_no, .. } => Icmpv4Repr::EchoReply {
            ident,
            seq_no,
            data,
        },
        Icmpv4Repr::DstUnreachable {
            reason,
            next_hop_mtu,
            ..
        } => Icmpv4Repr::DstUnreachable {
            reason,
            next_hop_mtu,
            data,
        },
        Icmpv4Repr::TimeExceeded { reason, .. } => Icmpv4Repr::TimeExceeded { reason, data },
        Icmpv4Repr::ParamProblem {
            reason, pointer, ..
        } => Icmpv4Repr::ParamProblem {
            reason,
            pointer,
            data,
        },
        Icmpv4Repr::Redirect {
            reason, gateway, ..
        } => Icmpv4Repr::Redirect {
            reason,
            gateway,
            data,
        },
    }
}

/// `repr` with its data replaced; NDP and MLD messages (which carry no
/// data) become an empty echo reply, so callers pass only echo and errors.
pub(crate) fn with_data_v6<'x>(repr: &Icmpv6Repr<'_>, data: &'x [u8]) -> Icmpv6Repr<'x> {
    match *repr {
        Icmpv6Repr::EchoRequest { ident, seq_no, .. } => Icmpv6Repr::EchoRequest {
            ident,
            seq_no,
            data,
        },
        Icmpv6Repr::EchoReply { ident, seq_no, .. } => Icmpv6Repr::EchoReply {
            ident,
            seq_no,
            data,
        },
        Icmpv6Repr::DstUnreachable { reason, .. } => Icmpv6Repr::DstUnreachable { reason, data },
        Icmpv6Repr::PktTooBig { mtu, .. } => Icmpv6Repr::PktTooBig { mtu, data },
        Icmpv6Repr::TimeExceeded { reason, .. } => Icmpv6Repr::TimeExceeded { reason, data },
        Icmpv6Repr::ParamProblem {
            reason, pointer, ..
        } => Icmpv6Repr::ParamProblem {
            reason,
            pointer,
            data,
        },
        _ => Icmpv6Repr::EchoReply {
            ident: 0,
            seq_no: 0,
            data,
        },
    }
}

/// An IP packet to send.
#[derive(Clone)]
pub(crate) struct IpOut<'p> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: IpProtocol,
    pub hop_limit: u8,
    pub body: Body<'p>,
}

/// Metadata of a received IP datagram that its transport layer needs.
#[derive(Clone, Copy)]
pub(crate) struct IpIn<'p> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The whole received IP packet (header included), to quote in errors.
    pub packet: &'p [u8],
    /// True when the destination was a broadcast or multicast address
    /// (RFC 1122 §3.2.2: no ICMP error to those).
    pub to_group: bool,
    /// True when this is a reassembled or first fragment (errors allowed).
    pub first_fragment: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{IpAddr, Ipv4Addr};

    /// The body `b` written out whole.
    fn bytes(b: &Body<'_>) -> [u8; 128] {
        let mut out = [0u8; 128];
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        b.write(0, &mut out[..b.len()], &ip, &ip, ChecksumMode::Check);
        out
    }

    /// The echo reply's checksum, derived from the request's (RFC 1624),
    /// equals a full recomputation for every data length and content, the
    /// all-zero ones included (where ±0 could differ).
    #[test]
    fn echo_reply_checksum_from_the_request_equals_a_full_sum() {
        let mut data = [0u8; 100];
        for len in 0..data.len() {
            for (seed, ident, seq_no) in [(0u8, 0u16, 0u16), (7, 0x1234, 1), (0xff, 0xffff, 0xfff7)]
            {
                for (i, b) in data.iter_mut().enumerate() {
                    *b = seed.wrapping_mul(i as u8).wrapping_add(seed);
                }
                let data = &data[..len];
                let request = Body::icmpv4(
                    &Icmpv4Repr::EchoRequest {
                        ident,
                        seq_no,
                        data,
                    },
                    ChecksumMode::Check,
                );
                let req = bytes(&request);
                let request_checksum = u16::from_be_bytes([req[2], req[3]]);
                let derived = Body::icmpv4_echo_reply(
                    ident,
                    seq_no,
                    data,
                    Some((0, request_checksum)),
                    ChecksumMode::Check,
                );
                let summed =
                    Body::icmpv4_echo_reply(ident, seq_no, data, None, ChecksumMode::Check);
                assert_eq!(bytes(&derived), bytes(&summed), "len {len} seed {seed}");
            }
        }
    }

    /// A request whose code is not 0 (RFC 792 wants 0; a peer may send
    /// anything) gets a reply whose derived checksum is still right: the
    /// update starts from the word received, not from 8, 0.
    #[test]
    fn echo_reply_to_a_request_with_a_nonzero_code_has_the_summed_checksum() {
        let data = [0x5a_u8; 24];
        for code in [1u8, 2, 0x80, 0xff] {
            let request = Body::icmpv4(
                &Icmpv4Repr::EchoRequest {
                    ident: 0x4024,
                    seq_no: 7,
                    data: &data,
                },
                ChecksumMode::Check,
            );
            let mut req = bytes(&request);
            req[1] = code;
            // The request as a peer sends it: its checksum covers its code.
            req[2..4].copy_from_slice(&[0, 0]);
            let c = checksum::finish(checksum::sum(&req));
            let derived =
                Body::icmpv4_echo_reply(0x4024, 7, &data, Some((code, c)), ChecksumMode::Check);
            let summed = Body::icmpv4_echo_reply(0x4024, 7, &data, None, ChecksumMode::Check);
            assert_eq!(bytes(&derived), bytes(&summed), "code {code}");
        }
    }
}
