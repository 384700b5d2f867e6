//! TCP in the interface: segments to connections and listeners, resets for
//! segments no one takes, SYN-ACKs from the SYN queue or a cookie, and the
//! active open.

use super::interface::{Inner, Interface};
use super::neighbor::NeighborState;
use super::out::{ip_header_len, Out, SendError};
use super::packet::IpIn;
use super::packet::{Body, IpOut};
use super::stats::DropReason;
use crate::socket::tcp::{
    ListenContext, ListenDrop, State, SynAckOffer, TcpContext, TcpListener, TcpSocket,
};
use crate::socket::{SetError, Socket, SocketHandle, SocketSet};
use crate::time::Instant;
use crate::wire::tcp::{TcpFlags, TcpPacket, TcpRepr, TcpSeqNumber};
use crate::wire::{IpAddr, IpEndpoint, IpProtocol};

/// Why an active open could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConnectError {
    /// No such TCP socket in the set.
    BadHandle,
    /// The socket is not closed.
    InvalidState,
    /// Unspecified remote address, or port 0.
    Unaddressable,
    /// No local address of the remote's family.
    NoSourceAddress,
    /// The only addresses of the remote's family are still being checked
    /// for another owner (RFC 5227 probing for IPv4, about 6 s; DAD for
    /// IPv6, about 1 s, RFC 4862 §5.4): not ours to use yet. Connect again
    /// once the interface reports the address ready.
    SourceAddressTentative,
    /// No free local port, or the 4-tuple is taken.
    AddrInUse,
}

/// Segments of new data one connection hands over per `dispatch` call
/// (issue 13): a burst skips the per-call work (the socket walk's `poll_at`,
/// the context, the socket's checks and header) for all but its first
/// segment. The socket walk's own bound still applies per call.
const SEGMENTS_PER_DISPATCH: usize = 16;

impl core::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ConnectError::BadHandle => "no such TCP socket",
            ConnectError::InvalidState => "socket is not closed",
            ConnectError::Unaddressable => "unaddressable remote endpoint",
            ConnectError::NoSourceAddress => "no local address for the remote's family",
            ConnectError::SourceAddressTentative => {
                "the local address for the remote's family is still being checked for \
                 another owner (RFC 5227 probing or IPv6 DAD); try again when it is ready"
            }
            ConnectError::AddrInUse => "address in use",
        })
    }
}

impl core::error::Error for ConnectError {}

impl<'a> Interface<'a> {
    /// Opens a TCP connection to `remote` from `local_port` (0: an
    /// ephemeral port), choosing the source address and the initial
    /// sequence number (RFC 6528). Returns the local endpoint.
    pub fn tcp_connect(
        &mut self,
        now: Instant,
        sockets: &mut SocketSet<'_>,
        handle: SocketHandle,
        remote: IpEndpoint,
        local_port: u16,
    ) -> Result<IpEndpoint, ConnectError> {
        if remote.port == 0 || remote.addr.is_unspecified() || remote.addr.is_multicast() {
            return Err(ConnectError::Unaddressable);
        }
        let inner = &mut self.inner;
        let local_addr = match remote.addr {
            IpAddr::V4(a) => inner.v4_source(&a).map(IpAddr::V4),
            IpAddr::V6(a) => inner.v6_source(&a).map(IpAddr::V6),
        }
        .ok_or_else(|| {
            // Say why there is none: an address that is only still being
            // checked is a matter of seconds, not of configuration.
            let tentative = match remote.addr {
                IpAddr::V4(_) => inner.v4.iter().any(|a| !a.usable()),
                IpAddr::V6(_) => inner.v6.iter().any(|e| !e.usable()),
            };
            if tentative {
                ConnectError::SourceAddressTentative
            } else {
                ConnectError::NoSourceAddress
            }
        })?;
        let port = match local_port {
            0 => sockets
                .tcp_port(local_addr)
                .map_err(|_| ConnectError::AddrInUse)?,
            p => p,
        };
        let local = IpEndpoint::new(local_addr, port);
        let iss = inner.isn.isn(local, remote, now);
        let socket = sockets
            .get_mut::<TcpSocket>(handle)
            .ok_or(ConnectError::BadHandle)?;
        socket.set_ts_offset(inner.isn.ts_offset(local, remote));
        socket
            .connect(local, remote, iss, now)
            .map_err(|e| match e {
                crate::socket::tcp::TcpApiError::Unaddressable => ConnectError::Unaddressable,
                _ => ConnectError::InvalidState,
            })?;
        sockets
            .register_tcp(handle, local, remote)
            .map_err(|e| match e {
                SetError::AddrInUse => ConnectError::AddrInUse,
                _ => ConnectError::BadHandle,
            })?;
        Ok(local)
    }
}

impl Inner {
    pub(crate) fn process_tcp(
        &mut self,
        out: &mut Out<'_, '_>,
        ip: IpIn<'_>,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
    ) {
        let now = out.now;
        let Some(packet) = self.wire(TcpPacket::new_checked(payload)) else {
            return;
        };
        let Some(repr) = self.wire(TcpRepr::parse(
            &packet,
            &ip.src,
            &ip.dst,
            self.l4_rx_mode(self.caps.checksum.tcp),
        )) else {
            return;
        };
        // RFC 1122 §4.2.3.10: TCP is unicast only.
        if ip.to_group {
            return self.drop(DropReason::NotForUs);
        }
        let local = IpEndpoint::new(ip.dst, repr.dst_port);
        let remote = IpEndpoint::new(ip.src, repr.src_port);
        match sockets.tcp_for(&local, &remote) {
            Some((h, true)) => {
                let mut reopened = false;
                if let Some(Socket::Tcp(s)) = sockets.slot_mut(h.index()) {
                    let time_wait = s.state() == State::TimeWait;
                    s.process(now, &repr);
                    reopened = time_wait && s.state() == State::Closed;
                    // RFC 5681 §4.2: an out-of-order segment (or one filling
                    // a hole) is answered before the next frame of the burst
                    // is taken, through this frame's reply buffer; a failed
                    // send leaves the ACK to the socket walk after the burst.
                    let _ = s.immediate_ack(now, |ack| self.send_tcp(out, local, remote, ack));
                }
                sockets.touch(h.index());
                if reopened && repr.control.contains(TcpFlags::SYN) {
                    // RFC 9293 §3.10.7.4 / RFC 6191: the SYN ended the
                    // TIME-WAIT to open a new connection; the listener takes
                    // it now rather than after the client's retransmission
                    // (a whole SYN timeout), and without one it is refused.
                    match sockets.tcp_for(&local, &remote) {
                        Some((l, false)) => {
                            self.listener_segment(out, l, local, remote, &repr, sockets)
                        }
                        _ => self.tcp_reset_for(out, local, remote, &repr),
                    }
                }
            }
            Some((h, false)) => self.listener_segment(out, h, local, remote, &repr, sockets),
            None => {
                self.drop(DropReason::NoSocket);
                self.tcp_reset_for(out, local, remote, &repr);
            }
        }
    }

    /// RFC 9293 §3.10.7.1: a segment for no connection earns a reset,
    /// unless it is one.
    fn tcp_reset_for(
        &mut self,
        out: &mut Out<'_, '_>,
        local: IpEndpoint,
        remote: IpEndpoint,
        repr: &TcpRepr<'_>,
    ) {
        if repr.control.contains(TcpFlags::RST) {
            return;
        }
        let (seq, ack) = match repr.ack_number {
            Some(ack) => (ack, None),
            None => (TcpSeqNumber(0), Some(repr.seq_number + repr.segment_len())),
        };
        let rst = TcpRepr {
            ack_number: ack,
            ..TcpRepr::bare(local.port, remote.port, TcpFlags::RST, seq)
        };
        self.send_tcp_reply(out, local, remote, &rst);
    }

    /// Sends a segment the receive path answers with (a reset, a SYN-ACK
    /// with a cookie, a half-open connection's ACK).
    fn send_tcp_reply(
        &mut self,
        out: &mut Out<'_, '_>,
        local: IpEndpoint,
        remote: IpEndpoint,
        repr: &TcpRepr<'_>,
    ) {
        let pkt = self.tcp_packet(local, remote, repr);
        self.send_reply(out, &pkt);
    }

    /// `repr` from `local` to `remote` as an outgoing IP packet.
    fn tcp_packet<'p>(
        &self,
        local: IpEndpoint,
        remote: IpEndpoint,
        repr: &TcpRepr<'p>,
    ) -> IpOut<'p> {
        let body = Body::tcp(
            &local.addr,
            &remote.addr,
            repr,
            self.caps.checksum.tcp.tx_mode(),
        );
        IpOut {
            src: local.addr,
            dst: remote.addr,
            protocol: IpProtocol::Tcp,
            hop_limit: self.hop_limit_for(&remote.addr),
            body,
        }
    }

    /// A segment for a listener: the listener judges it (the handshake and
    /// SYN cookies are in `socket/tcp/listener.rs`), the interface sends
    /// and counts what it says, and moves a completed connection into the
    /// socket taken from the pool.
    fn listener_segment(
        &mut self,
        out: &mut Out<'_, '_>,
        h: SocketHandle,
        local: IpEndpoint,
        remote: IpEndpoint,
        repr: &TcpRepr<'_>,
        sockets: &mut SocketSet<'_>,
    ) {
        let now = out.now;
        let cx = ListenContext {
            now,
            mtu: self.ip_mtu(&remote.addr),
            offer: listener_offered_window(sockets, h),
            isn: &self.isn,
            cookies: &self.syn_cookies,
        };
        let Some(Socket::TcpListener(l)) = sockets.slot_mut(h.index()) else {
            return;
        };
        let verdict = l.segment(&cx, local, remote, repr);
        if verdict.touch {
            sockets.touch(h.index());
        }
        if let Some(reply) = verdict.reply {
            self.send_tcp_reply(out, local, remote, &reply);
        }
        if let Some(why) = verdict.drop {
            self.drop(match why {
                ListenDrop::NoRoom => DropReason::BufferFull,
                ListenDrop::Unacceptable => DropReason::Malformed,
                ListenDrop::NoConnection => DropReason::NoSocket,
            });
        }
        if verdict.reset {
            self.tcp_reset_for(out, local, remote, repr);
        }
        let Some(accepted) = verdict.accept else {
            return;
        };
        let child = accepted.child;
        let Some(Socket::Tcp(s)) = sockets.slot_mut(child.index()) else {
            return;
        };
        let mtu = self.ip_mtu(&remote.addr);
        accepted.complete(s, repr, mtu, now);
        if !accepted.pushed || sockets.register_tcp(child, local, remote).is_err() {
            if let Some(Socket::Tcp(s)) = sockets.slot_mut(child.index()) {
                s.abort();
            }
        }
        sockets.touch(child.index());
    }

    /// Sends a TCP segment of a socket; `Pending`/`Busy` keep it queued.
    pub(crate) fn send_tcp(
        &mut self,
        out: &mut Out<'_, '_>,
        local: IpEndpoint,
        remote: IpEndpoint,
        repr: &TcpRepr<'_>,
    ) -> Result<(), SendError> {
        let pkt = self.tcp_packet(local, remote, repr);
        self.send_socket_packet(out, &pkt)
    }

    /// Sends one TCP socket's due segments; true when the device is full.
    pub(crate) fn dispatch_tcp(
        &mut self,
        out: &mut Out<'_, '_>,
        s: &mut TcpSocket<'_>,
    ) -> Result<(), SendError> {
        let (Some(local), Some(remote)) = (s.local_endpoint(), s.remote_endpoint()) else {
            return Ok(());
        };
        if s.state() == State::SynSent {
            if let Some(hop) = self.failed_hop(&remote.addr, out.now) {
                s.next_hop_unreachable(hop);
                return Ok(());
            }
        }
        let offload = self.caps.virtio.is_some_and(|v| v.tx_checksum);
        // Room for the largest IP and TCP headers (RFC 9293 §3.1: 60 bytes)
        // inside the largest super-segment the device takes.
        let tso_payload = self.caps.tso_max().map_or(0, |max| {
            max.saturating_sub(ip_header_len(&remote.addr) + 60)
        });
        let ctx = TcpContext {
            now: out.now,
            mtu: self.ip_mtu(&remote.addr),
            tso_payload,
            segments: SEGMENTS_PER_DISPATCH,
        };
        // Each segment's payload beside a bare header: the options of a
        // segment come out of it (`segment_payload`).
        let bare_segment = s.segment_payload(20);
        s.dispatch(ctx, |repr| {
            if !offload {
                return lost_on_the_way(self.send_tcp(out, local, remote, repr));
            }
            let options = repr.header_len().saturating_sub(20);
            let segment =
                u16::try_from(bare_segment.saturating_sub(options).max(1)).unwrap_or(u16::MAX);
            let pkt = IpOut {
                src: local.addr,
                dst: remote.addr,
                protocol: IpProtocol::Tcp,
                hop_limit: self.hop_limit_for(&remote.addr),
                body: Body::tcp_offloaded(&local.addr, &remote.addr, repr, segment),
            };
            lost_on_the_way(self.send_socket_packet(out, &pkt))
        })
    }

    /// The next hop toward `dst` when its address resolution failed (the
    /// neighbor cache holds it FAILED: its solicitations went unanswered,
    /// RFC 4861 §7.3.3, the same for ARP).
    fn failed_hop(&self, dst: &IpAddr, now: Instant) -> Option<IpAddr> {
        let hop = self.next_hop(dst)?;
        let state = match hop {
            IpAddr::V4(a) => self.arp.get(&a, now).map(|e| e.state),
            IpAddr::V6(a) => self.nd.get(&a, now).map(|e| e.state),
        };
        (state == Some(NeighborState::Failed)).then_some(hop)
    }

    /// Sends a listener's due SYN-ACKs, and the resets owed to clients
    /// whose completed handshake expired in the SYN queue.
    pub(crate) fn dispatch_listener(
        &mut self,
        out: &mut Out<'_, '_>,
        l: &mut TcpListener<'_>,
        offer: SynAckOffer,
    ) -> Result<(), SendError> {
        let mut result = Ok(());
        let mtu = self.caps.mtu;
        l.dispatch(
            out.now,
            mtu,
            &offer,
            |local, remote, repr| match lost_on_the_way(self.send_tcp(out, local, remote, repr)) {
                Ok(()) => true,
                Err(e) => {
                    result = Err(e);
                    false
                }
            },
        );
        result
    }
}

/// A segment that can never go (no route, next hop unreachable, too big)
/// is lost as on the wire (and counted as a drop): the socket takes it as
/// sent, so its retransmission, persist and keepalive timers run on and
/// give up in time (RFC 9293 §3.8.1, §3.8.3). Refused, the segment would
/// be offered again on every poll and no timer would ever fire.
fn lost_on_the_way(sent: Result<(), SendError>) -> Result<(), SendError> {
    match sent {
        Err(SendError::Dropped) => Ok(()),
        other => other,
    }
}

/// What a listener's SYN-ACK offers: the window and the options of the
/// socket the connection will take from its pool. A queued connection
/// keeps what its first SYN-ACK offered; a SYN cookie connection takes its
/// options from the accepting socket when the ACK comes (as Linux does),
/// so the sockets lent to one listener should share a configuration and a
/// receive buffer size.
pub(crate) fn listener_offered_window(sockets: &SocketSet<'_>, h: SocketHandle) -> SynAckOffer {
    match sockets.slot(h.index()) {
        Some(Socket::TcpListener(l)) => l
            .peek_pooled()
            .and_then(|p| match sockets.slot(p.index()) {
                Some(Socket::Tcp(t)) => Some(t.offered_window()),
                _ => None,
            })
            .unwrap_or(SynAckOffer::DEFAULT),
        _ => SynAckOffer::DEFAULT,
    }
}

/// The quoted segment went from our `local` to `remote`: a hard error
/// refuses a connection being opened (RFC 9293 §3.9 / RFC 5927), a
/// "fragmentation needed" (`path_mtu`: the bounded path MTU) lowers its MSS
/// (RFC 1191, RFC 8201). True when a connection took the report (the
/// quoted segment is one of its own in flight, RFC 5927 §4.1).
pub(super) fn deliver_to_tcp(
    local: IpAddr,
    remote: IpAddr,
    tcp: &[u8],
    kind: crate::socket::error::SocketError,
    path_mtu: Option<usize>,
    sockets: &mut SocketSet<'_>,
) -> bool {
    // RFC 792 quotes at least 8 bytes: the ports and the sequence number.
    let Some(head) = tcp.get(..8) else {
        return false;
    };
    let local = crate::wire::IpEndpoint::new(local, u16::from_be_bytes([head[0], head[1]]));
    let remote = crate::wire::IpEndpoint::new(remote, u16::from_be_bytes([head[2], head[3]]));
    let seq =
        crate::wire::tcp::TcpSeqNumber(u32::from_be_bytes([head[4], head[5], head[6], head[7]]));
    let Some((h, true)) = sockets.tcp_for(&local, &remote) else {
        return false;
    };
    let mut taken = false;
    if let Some(crate::socket::Socket::Tcp(s)) = sockets.slot_mut(h.index()) {
        match path_mtu {
            Some(mtu) => taken = s.process_path_mtu(seq, mtu),
            None => s.process_icmp_error(
                seq,
                kind == crate::socket::error::SocketError::ConnectionRefused,
            ),
        }
    }
    sockets.touch(h.index());
    taken
}

/// The path MTU to `remote` dropped to `path_mtu` (the cache learnt it):
/// every other open connection to that host clamps its MSS now rather
/// than losing a window of segments to the same small hop (RFC 8201 §5.2:
/// the estimate is per destination, not per connection).
pub(super) fn clamp_tcp_to_path_mtu(remote: IpAddr, path_mtu: usize, sockets: &mut SocketSet<'_>) {
    each_tcp_to(remote, sockets, |s| s.clamp_to_path_mtu(path_mtu));
}

/// The path MTU estimate to `remote` aged out and `path_mtu` (the link's)
/// holds again: every open connection to that host takes the MSS it allows
/// again, bounded by the peer's SYN MSS (RFC 8201 §5.3).
pub(super) fn raise_tcp_to_path_mtu(remote: IpAddr, path_mtu: usize, sockets: &mut SocketSet<'_>) {
    each_tcp_to(remote, sockets, |s| s.raise_to_path_mtu(path_mtu));
}

/// `f` on every TCP connection to `remote`, each touched after.
fn each_tcp_to(
    remote: IpAddr,
    sockets: &mut SocketSet<'_>,
    mut f: impl FnMut(&mut crate::socket::tcp::TcpSocket<'_>),
) {
    let mut touched: heapless::Vec<usize, 16> = heapless::Vec::new();
    for (h, socket) in sockets.iter_mut() {
        if let crate::socket::Socket::Tcp(s) = socket {
            if s.remote_endpoint().is_some_and(|r| r.addr == remote) {
                f(s);
                if touched.push(h.index()).is_err() {
                    break;
                }
            }
        }
    }
    for i in touched {
        sockets.touch(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_that_cannot_go_is_lost_not_retried() {
        assert_eq!(lost_on_the_way(Err(SendError::Dropped)), Ok(()));
        assert_eq!(lost_on_the_way(Err(SendError::Busy)), Err(SendError::Busy));
        let hop = IpAddr::V4(crate::wire::Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(
            lost_on_the_way(Err(SendError::Pending(hop))),
            Err(SendError::Pending(hop))
        );
        assert_eq!(lost_on_the_way(Ok(())), Ok(()));
    }
}
