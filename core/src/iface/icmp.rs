//! ICMP and ICMPv6 in the interface, both directions: echo answered, ping
//! sockets fed and sent for, the errors we send about received datagrams
//! (RFC 1122 §3.2.2, RFC 4443 §2.4: the builders every protocol calls), and
//! the errors we receive handed to the socket whose datagram they quote.
//!
//! On the receive path every early return drops the packet and counts
//! exactly one reason.

use super::interface::Inner;
use super::mld::MldInvalid;
use super::out::{dropped_is_done, Out, SendError};
use super::packet::{Body, IpIn, IpOut};
use super::pmtu::path_mtu_from_report;
use super::stats::DropReason;
use super::tcp::{clamp_tcp_to_path_mtu, deliver_to_tcp, raise_tcp_to_path_mtu};
use crate::socket::SocketSet;
use crate::wire::icmpv4::{Icmpv4DstUnreachable, Icmpv4Packet, Icmpv4Repr, Icmpv4TimeExceeded};
use crate::wire::icmpv6::{self, Icmpv6Packet, Icmpv6Repr};
use crate::wire::ipv4::Ipv4Packet;
use crate::wire::ipv6::Ipv6Packet;
use crate::wire::ipv6ext;
use crate::wire::{IpAddr, IpProtocol};

/// RFC 1812 §4.3.2.3: an ICMP error quotes as much of the datagram as fits
/// in 576 bytes.
const ICMP_ERROR_MAX: usize = 576;

impl Inner {
    pub(super) fn process_icmpv4(
        &mut self,
        out: &mut Out<'_, '_>,
        ip: IpIn<'_>,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
    ) {
        let now = out.now;
        let Some(packet) = self.wire(Icmpv4Packet::new_checked(payload)) else {
            return;
        };
        let Some(repr) = self.wire(Icmpv4Repr::parse(
            &packet,
            self.caps.checksum.icmpv4.rx_mode(),
        )) else {
            return;
        };
        let (IpAddr::V4(src), IpAddr::V4(dst)) = (ip.src, ip.dst) else {
            return;
        };
        if let Icmpv4Repr::DstUnreachable {
            reason: Icmpv4DstUnreachable::FragRequired,
            next_hop_mtu,
            ..
        } = repr
        {
            // RFC 1191: a path MTU report, no error for the sender; a ping
            // socket still hears it below.
            self.path_mtu_report_v4(now, &repr, next_hop_mtu, sockets);
            if quoted_echo_ident_v4(&repr).is_none() {
                return;
            }
        }
        match repr {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                if ip.to_group && !self.config.echo_reply_to_broadcast {
                    return self.drop(DropReason::NotForUs);
                }
                // RFC 1122 §3.2.2.6: reply from the address the request was
                // sent to; for a broadcast request, from one of ours.
                let Some(reply_src) = self.v4_reply_source(&dst, &src) else {
                    return self.drop(DropReason::NoRoute);
                };
                let verified = self.caps.checksum.icmpv4.rx_mode().is_check();
                let pkt = IpOut {
                    src: IpAddr::V4(reply_src),
                    dst: IpAddr::V4(src),
                    protocol: IpProtocol::Icmp,
                    hop_limit: self.hop_limit,
                    body: Body::icmpv4_echo_reply(
                        ident,
                        seq_no,
                        data,
                        verified.then(|| (packet.msg_code(), packet.checksum())),
                        self.caps.checksum.icmpv4.tx_mode(),
                    ),
                };
                self.send_reply(out, &pkt);
            }
            Icmpv4Repr::EchoReply { ident, .. } => match sockets.icmp_for(ident) {
                Some(s) if s.accepts_v4(src, dst, &packet) => {
                    if s.process(now, ip.src, payload).is_err() {
                        self.drop(DropReason::BufferFull);
                    }
                }
                _ => self.drop(DropReason::NoSocket),
            },
            _ if quoted_echo_ident_v4(&repr).is_some() => {
                // An error about one of our pings: the ping socket hears it.
                let ident = quoted_echo_ident_v4(&repr).unwrap_or(0);
                if let Some(s) = sockets.icmp_for(ident) {
                    if s.accepts_v4(src, dst, &packet) && s.process(now, ip.src, payload).is_err() {
                        self.drop(DropReason::BufferFull);
                    }
                }
            }
            Icmpv4Repr::DstUnreachable { reason, .. } => {
                let kind = match reason {
                    Icmpv4DstUnreachable::PortUnreachable
                    | Icmpv4DstUnreachable::ProtoUnreachable => {
                        crate::socket::error::SocketError::ConnectionRefused
                    }
                    Icmpv4DstUnreachable::NetUnreachable => {
                        crate::socket::error::SocketError::NetworkUnreachable
                    }
                    _ => crate::socket::error::SocketError::HostUnreachable,
                };
                deliver_icmp_error_v4(&repr, kind, sockets);
            }
            Icmpv4Repr::TimeExceeded { .. } | Icmpv4Repr::ParamProblem { .. } => {
                deliver_icmp_error_v4(
                    &repr,
                    crate::socket::error::SocketError::HostUnreachable,
                    sockets,
                );
            }
            Icmpv4Repr::Redirect { .. } => {}
        }
        let _ = src;
    }

    pub(super) fn process_icmpv6(
        &mut self,
        out: &mut Out<'_, '_>,
        hop_limit: u8,
        ip: IpIn<'_>,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
    ) {
        let now = out.now;
        let (IpAddr::V6(src), IpAddr::V6(dst)) = (ip.src, ip.dst) else {
            return;
        };
        let Some(packet) = self.wire(Icmpv6Packet::new_checked(payload)) else {
            return;
        };
        let Some(repr) = self.wire(Icmpv6Repr::parse(
            &src,
            &dst,
            &packet,
            self.caps.checksum.icmpv6.rx_mode(),
        )) else {
            return;
        };
        match repr {
            Icmpv6Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                let Some(reply_src) = self.v6_reply_source(&dst, &src) else {
                    return self.drop(DropReason::NoRoute);
                };
                let reply = Icmpv6Repr::EchoReply {
                    ident,
                    seq_no,
                    data,
                };
                let hop_limit = self.rdisc.hop_limit(self.hop_limit);
                let pkt = self.icmpv6_packet(reply_src, src, &reply, hop_limit);
                self.send_reply(out, &pkt);
            }
            Icmpv6Repr::EchoReply { ident, .. } => match sockets.icmp_for(ident) {
                Some(s) if s.accepts_v6(src, dst, &packet) => {
                    if s.process(now, ip.src, payload).is_err() {
                        self.drop(DropReason::BufferFull);
                    }
                }
                _ => self.drop(DropReason::NoSocket),
            },
            Icmpv6Repr::DstUnreachable { data, reason } => {
                let kind = if reason == icmpv6::DstUnreachable::PortUnreachable {
                    crate::socket::error::SocketError::ConnectionRefused
                } else {
                    crate::socket::error::SocketError::HostUnreachable
                };
                deliver_icmp_error_v6(data, kind, sockets);
            }
            // RFC 8201: a smaller path MTU toward the destination quoted.
            Icmpv6Repr::PktTooBig { mtu, data } => {
                let mtu = usize::try_from(mtu).unwrap_or(usize::MAX);
                self.path_mtu_report_v6(now, data, mtu, sockets);
            }
            Icmpv6Repr::Ndisc(ndisc) => {
                // RFC 4861 §7.1.1/§7.1.2: ND messages arrive with hop limit
                // 255, proving they were not forwarded by a router.
                if hop_limit != 255 {
                    return self.drop(DropReason::Malformed);
                }
                self.process_ndisc(out, src, dst, ndisc);
            }
            Icmpv6Repr::Mld(mld) => {
                let r = self.rand();
                if let Err(e) = self.mld.process(now, src, hop_limit, &mld, r) {
                    // RFC 3810 §5.1.14: an invalid query is dropped.
                    net_debug!("mld: invalid query: {:?}", e);
                    self.drop(match e {
                        MldInvalid::NotLinkLocal => DropReason::BadSource,
                        MldInvalid::HopLimit | MldInvalid::NotMulticast => DropReason::Malformed,
                    });
                }
            }
            _ => {}
        }
    }

    /// Sends an ICMPv4 error about `ip` (its data field is filled here with
    /// the quote), if the rules allow one.
    pub(crate) fn icmpv4_error(
        &mut self,
        out: &mut Out<'_, '_>,
        ip: &IpIn<'_>,
        repr: Icmpv4Repr<'_>,
    ) {
        let now = out.now;
        let (IpAddr::V4(src), IpAddr::V4(dst)) = (ip.src, ip.dst) else {
            return;
        };
        // RFC 1122 §3.2.2: never about a broadcast/multicast datagram, a
        // non-first fragment, a non-unicast source, or an ICMP error.
        if ip.to_group
            || !ip.first_fragment
            || src.is_unspecified()
            || src.is_multicast()
            || self.is_v4_broadcast(&src)
        {
            return;
        }
        if is_icmpv4_error(ip.packet) {
            return;
        }
        if !self.icmp_limit.allow(now) {
            return self.drop(DropReason::RateLimited);
        }
        let Some(reply_src) = self.v4_reply_source(&dst, &src) else {
            return;
        };
        let quote_len = ip.packet.len().min(ICMP_ERROR_MAX - 20 - 8);
        let quote = ip.packet.get(..quote_len).unwrap_or(&[]);
        // Callers pass an error message with empty data: the quote goes in.
        let repr = super::packet::with_data_v4(&repr, quote);
        let pkt = self.icmpv4_packet(reply_src, src, &repr);
        self.stats.icmp_errors_sent = self.stats.icmp_errors_sent.wrapping_add(1);
        self.send_reply(out, &pkt);
    }

    /// Sends an ICMPv6 error about `ip`, if RFC 4443 §2.4 allows one.
    /// `to_group_ok`: the Parameter Problem code 2 exception of §2.4 (e.3).
    pub(crate) fn icmpv6_error(
        &mut self,
        out: &mut Out<'_, '_>,
        ip: &IpIn<'_>,
        repr: Icmpv6Repr<'_>,
        to_group_ok: bool,
    ) {
        let now = out.now;
        let (IpAddr::V6(src), IpAddr::V6(dst)) = (ip.src, ip.dst) else {
            return;
        };
        // RFC 4443 §2.4 (e): not to a multicast destination (with two
        // exceptions), not from an unspecified or multicast source, not
        // about an ICMPv6 error.
        if (ip.to_group && !to_group_ok) || src.is_unspecified() || src.is_multicast() {
            return;
        }
        if is_icmpv6_error(ip.packet) {
            return;
        }
        if !self.icmp_limit.allow(now) {
            return self.drop(DropReason::RateLimited);
        }
        let Some(reply_src) = self.v6_reply_source(&dst, &src) else {
            return;
        };
        // RFC 4443 §2.4 (c): as much of the invoking packet as fits in the
        // minimum IPv6 MTU (1280).
        let quote_len = ip.packet.len().min(1280 - 40 - 8);
        let quote = ip.packet.get(..quote_len).unwrap_or(&[]);
        let repr = super::packet::with_data_v6(&repr, quote);
        let hop_limit = self.rdisc.hop_limit(self.hop_limit);
        let pkt = self.icmpv6_packet(reply_src, src, &repr, hop_limit);
        self.stats.icmp_errors_sent = self.stats.icmp_errors_sent.wrapping_add(1);
        self.send_reply(out, &pkt);
    }

    /// Sends an ICMP Time Exceeded (fragment reassembly) for an expired datagram.
    pub(crate) fn reassembly_timeout(&mut self, out: &mut Out<'_, '_>, first: &[u8]) {
        if first.first().is_some_and(|b| b >> 4 == 6) {
            // RFC 8200 §4.5: Time Exceeded code 1 to the source, only when
            // the first fragment arrived (the reassembler hands it).
            let Ok(p) = Ipv6Packet::new_checked_header(first) else {
                return;
            };
            let dst = p.dst_addr();
            let ip = IpIn {
                src: IpAddr::V6(p.src_addr()),
                dst: IpAddr::V6(dst),
                packet: first,
                to_group: dst.is_multicast(),
                first_fragment: true,
            };
            let repr = Icmpv6Repr::TimeExceeded {
                reason: icmpv6::TimeExceeded::FragReassemblyExceeded,
                data: &[],
            };
            return self.icmpv6_error(out, &ip, repr, false);
        }
        let Ok(p) = Ipv4Packet::new_checked_header(first) else {
            return;
        };
        let ip = IpIn {
            src: IpAddr::V4(p.src_addr()),
            dst: IpAddr::V4(p.dst_addr()),
            packet: first,
            to_group: p.dst_addr().is_multicast() || self.is_v4_broadcast(&p.dst_addr()),
            first_fragment: true,
        };
        // RFC 792 / RFC 1122 §3.3.2: code 1, only when fragment zero arrived.
        self.icmpv4_error(
            out,
            &ip,
            Icmpv4Repr::TimeExceeded {
                reason: Icmpv4TimeExceeded::FragExpired,
                data: &[],
            },
        );
    }
}

/// The identifier of the echo request an ICMPv4 error quotes, if it does.
fn quoted_echo_ident_v4(repr: &Icmpv4Repr<'_>) -> Option<u16> {
    let quoted = repr.quoted_packet().ok()?;
    if quoted.next_header() != IpProtocol::Icmp || quoted.frag_offset() != 0 {
        return None;
    }
    let inner = repr.data().get(quoted.header_len()..)?;
    // Type 8 (echo request), code, checksum, then the identifier.
    (inner.first() == Some(&8))
        .then(|| inner.get(4..6).map(|b| u16::from_be_bytes([b[0], b[1]])))?
}

fn is_icmpv4_error(packet: &[u8]) -> bool {
    let Ok(p) = Ipv4Packet::new_checked_header(packet) else {
        return false;
    };
    if p.next_header() != IpProtocol::Icmp {
        return false;
    }
    let icmp_type = packet.get(p.header_len()).copied().unwrap_or(0);
    // Echo (0, 8), timestamp (13, 14) and info (15, 16) are queries; the rest errors.
    !matches!(icmp_type, 0 | 8 | 13 | 14 | 15 | 16 | 9 | 10)
}

fn is_icmpv6_error(packet: &[u8]) -> bool {
    let Ok(p) = Ipv6Packet::new_checked_header(packet) else {
        return false;
    };
    let Ok(walk) = ipv6ext::walk(p.next_header(), packet.get(40..).unwrap_or(&[])) else {
        return false;
    };
    // RFC 4443 §2.1: types 0–127 are errors.
    walk.upper == IpProtocol::Icmpv6 && packet.get(40 + walk.upper_offset).is_some_and(|t| *t < 128)
}

impl Inner {
    /// An ICMPv4 Fragmentation Needed (RFC 1191 §4) reporting
    /// `next_hop_mtu`: see [`path_mtu_report`](Self::path_mtu_report).
    fn path_mtu_report_v4(
        &mut self,
        now: crate::time::Instant,
        repr: &Icmpv4Repr<'_>,
        next_hop_mtu: u16,
        sockets: &mut SocketSet<'_>,
    ) {
        let Ok(quoted) = repr.quoted_packet() else {
            return self.drop(DropReason::Malformed);
        };
        // A fragment other than the first quotes no transport header.
        if quoted.frag_offset() != 0 {
            return self.drop(DropReason::NotForUs);
        }
        let transport = repr.data().get(quoted.header_len()..).unwrap_or(&[]);
        let report = QuotedPacket {
            src: quoted.src_addr().into(),
            dst: quoted.dst_addr().into(),
            protocol: quoted.next_header(),
            len: usize::from(quoted.total_len()),
            transport,
        };
        self.path_mtu_report(now, &report, usize::from(next_hop_mtu), sockets);
    }

    /// An ICMPv6 Packet Too Big (RFC 4443 §3.2) reporting `mtu` and quoting
    /// `data`: see [`path_mtu_report`](Self::path_mtu_report).
    fn path_mtu_report_v6(
        &mut self,
        now: crate::time::Instant,
        data: &[u8],
        mtu: usize,
        sockets: &mut SocketSet<'_>,
    ) {
        let Ok(quoted) = Ipv6Packet::new_checked_header(data) else {
            return self.drop(DropReason::Malformed);
        };
        let Ok(walk) = ipv6ext::walk(quoted.next_header(), data.get(40..).unwrap_or(&[])) else {
            return self.drop(DropReason::Malformed);
        };
        let report = QuotedPacket {
            src: quoted.src_addr().into(),
            dst: quoted.dst_addr().into(),
            protocol: walk.upper,
            len: quoted.total_len(),
            transport: data.get(40 + walk.upper_offset..).unwrap_or(&[]),
        };
        self.path_mtu_report(now, &report, mtu, sockets);
    }

    /// A path MTU report (RFC 1191, RFC 8201) about `quoted`: bounded
    /// ([`path_mtu_from_report`]: floor, plateaus, not above the quoted
    /// packet) and taken only if it quotes a packet we sent (RFC 5927
    /// §4.1, §7): from one of our addresses, and for TCP a segment in
    /// flight on a connection to that peer, for UDP a bound socket's port,
    /// for ICMP one of our ping sockets' echo requests, else a raw socket
    /// of that protocol. A report taken lowers the destination's entry of
    /// the path MTU cache, and every TCP connection to that host clamps its
    /// MSS. A report refused is dropped and counted (`NotForUs`).
    fn path_mtu_report(
        &mut self,
        now: crate::time::Instant,
        quoted: &QuotedPacket<'_>,
        reported: usize,
        sockets: &mut SocketSet<'_>,
    ) {
        let ipv6 = matches!(quoted.dst, IpAddr::V6(_));
        let Some(mtu) = path_mtu_from_report(reported, quoted.len, ipv6) else {
            return self.drop(DropReason::NotForUs);
        };
        let ours = match quoted.src {
            IpAddr::V4(a) => self.has_v4(&a),
            IpAddr::V6(a) => self.has_v6(&a),
        };
        if !ours || !quoted.sent_by(mtu, sockets) {
            return self.drop(DropReason::NotForUs);
        }
        if self.pmtu.learn(quoted.dst, mtu, now) {
            net_debug!("pmtu: {} now {}", quoted.dst, mtu);
            clamp_tcp_to_path_mtu(quoted.dst, mtu, sockets);
            // A new aging deadline (`quiet.rs`): ICMPv4 alone would not
            // forget the quiet window.
            self.timers_changed();
        }
    }

    /// RFC 8201 §5.3 / RFC 1191 §6.3: path MTU estimates that aged out are
    /// forgotten, and every open TCP connection to their destination gets
    /// the MSS the link allows again (RFC 8201 §4: a host "MAY" raise its
    /// estimate once it aged, to find out whether the path grew; a router
    /// still too small says so with another Packet Too Big).
    pub(super) fn pmtu_timers(&mut self, now: crate::time::Instant, sockets: &mut SocketSet<'_>) {
        while let Some(dst) = self.pmtu.expire(now) {
            let mtu = self.ip_mtu_at(&dst, now);
            net_debug!("pmtu: {} aged out, {} again", dst, mtu);
            raise_tcp_to_path_mtu(dst, mtu, sockets);
        }
    }
}

/// The packet an ICMP error quotes, its headers read.
struct QuotedPacket<'a> {
    src: IpAddr,
    dst: IpAddr,
    /// The upper-layer protocol (after IPv6 extension headers).
    protocol: IpProtocol,
    /// The total length in its IP header.
    len: usize,
    /// What is quoted of its upper-layer header and data.
    transport: &'a [u8],
}

impl QuotedPacket<'_> {
    /// RFC 5927 §4.1: whether a socket of ours sent it (for TCP, the
    /// connection takes the bounded `mtu` if the segment is in flight).
    fn sent_by(&self, mtu: usize, sockets: &mut SocketSet<'_>) -> bool {
        let ports = self
            .transport
            .get(..2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]));
        match self.protocol {
            IpProtocol::Tcp => {
                let kind = crate::socket::error::SocketError::HostUnreachable;
                deliver_to_tcp(self.src, self.dst, self.transport, kind, Some(mtu), sockets)
            }
            IpProtocol::Udp => ports.is_some_and(|port| sockets.udp_for(&self.src, port).is_some()),
            IpProtocol::Icmp | IpProtocol::Icmpv6 => {
                // An echo request (type 8 or 128): the identifier at 4..6.
                let echo = matches!(self.transport.first(), Some(8 | 128));
                let ident = self
                    .transport
                    .get(4..6)
                    .map(|b| u16::from_be_bytes([b[0], b[1]]));
                echo && ident.is_some_and(|i| sockets.icmp_for(i).is_some())
            }
            other => {
                let version = match self.dst {
                    IpAddr::V4(_) => crate::socket::raw::IpVersion::Ipv4,
                    IpAddr::V6(_) => crate::socket::raw::IpVersion::Ipv6,
                };
                sockets.raw_for(version, other).is_some()
            }
        }
    }
}

/// Hands an ICMPv4 error to the UDP socket whose datagram it quotes.
fn deliver_icmp_error_v4(
    repr: &Icmpv4Repr<'_>,
    kind: crate::socket::error::SocketError,
    sockets: &mut SocketSet<'_>,
) {
    let Ok(quoted) = repr.quoted_packet() else {
        return;
    };
    let transport = repr.data().get(quoted.header_len()..).unwrap_or(&[]);
    let (src, dst) = (quoted.src_addr().into(), quoted.dst_addr().into());
    match quoted.next_header() {
        IpProtocol::Udp => deliver_to_udp(src, dst, transport, kind, sockets),
        IpProtocol::Tcp => {
            deliver_to_tcp(src, dst, transport, kind, None, sockets);
        }
        _ => {}
    }
}

/// Hands an ICMPv6 error to the UDP socket whose datagram it quotes.
fn deliver_icmp_error_v6(
    data: &[u8],
    kind: crate::socket::error::SocketError,
    sockets: &mut SocketSet<'_>,
) {
    let Ok(quoted) = Ipv6Packet::new_checked_header(data) else {
        return;
    };
    let Ok(walk) = ipv6ext::walk(quoted.next_header(), data.get(40..).unwrap_or(&[])) else {
        return;
    };
    let transport = data.get(40 + walk.upper_offset..).unwrap_or(&[]);
    let (src, dst) = (quoted.src_addr().into(), quoted.dst_addr().into());
    match walk.upper {
        IpProtocol::Udp => deliver_to_udp(src, dst, transport, kind, sockets),
        IpProtocol::Tcp => {
            deliver_to_tcp(src, dst, transport, kind, None, sockets);
        }
        _ => {}
    }
}

/// The quoted datagram went from our `local` to `remote`; its UDP header
/// (at least the ports) starts `udp`.
fn deliver_to_udp(
    local: IpAddr,
    remote: IpAddr,
    udp: &[u8],
    kind: crate::socket::error::SocketError,
    sockets: &mut SocketSet<'_>,
) {
    let Some(ports) = udp.get(..4) else {
        return;
    };
    let src_port = u16::from_be_bytes([ports[0], ports[1]]);
    let dst_port = u16::from_be_bytes([ports[2], ports[3]]);
    let remote = crate::wire::IpEndpoint::new(remote, dst_port);
    if let Some(s) = sockets.udp_for(&local, src_port) {
        s.process_icmp_error(kind, remote);
    }
}

impl Inner {
    /// Sends one ICMP message from a ping socket, checksum computed here.
    pub(super) fn send_icmp(
        &mut self,
        out: &mut Out<'_, '_>,
        dst: IpAddr,
        hop_limit: Option<u8>,
        message: &[u8],
    ) -> Result<(), SendError> {
        let Some(src) = self.source_for(&dst) else {
            self.drop(DropReason::NoRoute);
            return Ok(());
        };
        let (protocol, pseudo, csum) = match (src, dst) {
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let len = message.len() as u32;
                // RFC 4443 §2.3: the ICMPv6 checksum covers a pseudo-header.
                let ph = crate::wire::checksum::pseudo_header_v6(&s, &d, IpProtocol::Icmpv6, len);
                (
                    IpProtocol::Icmpv6,
                    Some(ph),
                    self.caps.checksum.icmpv6.tx_mode(),
                )
            }
            _ => (IpProtocol::Icmp, None, self.caps.checksum.icmpv4.tx_mode()),
        };
        let Some(body) = Body::prebuilt(message, pseudo, 2, csum) else {
            self.drop(DropReason::Malformed);
            return Ok(());
        };
        let pkt = IpOut {
            src,
            dst,
            protocol,
            hop_limit: hop_limit.unwrap_or(self.hop_limit_for(&dst)),
            body,
        };
        self.send_socket_packet(out, &pkt).or_else(dropped_is_done)
    }
}
