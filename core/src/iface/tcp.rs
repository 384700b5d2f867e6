//! TCP in the interface: segments to connections and listeners, resets for
//! segments no one takes, SYN-ACKs from the SYN queue or a cookie, and the
//! active open.

use super::interface::{Inner, Interface};
use super::out::{Out, SendError};
use super::packet::IpIn;
use super::packet::{Body, IpOut};
use super::stats::DropReason;
use crate::socket::tcp::isn::{decode_ts_options, encode_ts_options, stamp_ts_options};
use crate::socket::tcp::rtt::TsClock;
use crate::socket::tcp::{HalfOpen, State, SynAckOffer, TcpContext, TcpListener, TcpSocket};
use crate::socket::{SetError, Socket, SocketHandle, SocketSet};
use crate::time::Instant;
use crate::wire::tcp::{TcpFlags, TcpPacket, TcpRepr, TcpSeqNumber, MAX_SACK_BLOCKS};
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
    /// No free local port, or the 4-tuple is taken.
    AddrInUse,
}

impl core::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ConnectError::BadHandle => "no such TCP socket",
            ConnectError::InvalidState => "socket is not closed",
            ConnectError::Unaddressable => "unaddressable remote endpoint",
            ConnectError::NoSourceAddress => "no local address for the remote's family",
            ConnectError::AddrInUse => "address in use",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ConnectError {}

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
        .ok_or(ConnectError::NoSourceAddress)?;
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
    /// The MSS we offer: the MTU less the IP and TCP headers.
    fn our_mss(&self, remote: &IpAddr) -> u16 {
        let header = match remote {
            IpAddr::V4(_) => 40,
            IpAddr::V6(_) => 60,
        };
        u16::try_from(self.caps.mtu.saturating_sub(header)).unwrap_or(u16::MAX)
    }

    pub(crate) fn process_tcp(
        &mut self,
        out: &mut Out<'_, '_>,
        ip: IpIn<'_>,
        payload: &[u8],
        sockets: &mut SocketSet<'_>,
    ) {
        let now = out.now;
        let packet = match TcpPacket::new_checked(payload) {
            Ok(p) => p,
            Err(e) => return self.drop(DropReason::from_wire(&e)),
        };
        let repr = match TcpRepr::parse(&packet, &ip.src, &ip.dst, self.caps.checksum.tcp.rx_mode())
        {
            Ok(r) => r,
            Err(e) => return self.drop(DropReason::from_wire(&e)),
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

    fn send_tcp_reply(
        &mut self,
        out: &mut Out<'_, '_>,
        local: IpEndpoint,
        remote: IpEndpoint,
        repr: &TcpRepr<'_>,
    ) {
        let body = Body::tcp(
            &local.addr,
            &remote.addr,
            repr,
            self.caps.checksum.tcp.tx_mode(),
        );
        let pkt = IpOut {
            src: local.addr,
            dst: remote.addr,
            protocol: IpProtocol::Tcp,
            hop_limit: self.hop_limit,
            body,
        };
        self.send_reply(out, &pkt);
    }

    /// A segment for a listener (RFC 9293 §3.10.7.2, RFC 4987 §3.6).
    #[allow(clippy::too_many_arguments)]
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
        let rst = repr.control.contains(TcpFlags::RST);
        let syn = repr.control.contains(TcpFlags::SYN);
        let our_mss = self.our_mss(&remote.addr);
        let offer = listener_offered_window(sockets, h);
        let Some(Socket::TcpListener(l)) = sockets.slot_mut(h.index()) else {
            return;
        };
        if rst {
            // RFC 5961 §3.2 (all states but SYN-SENT), in SYN-RECEIVED: only
            // a reset at exactly RCV.NXT ends the half-open connection; one
            // elsewhere in the window earns a challenge ACK (throttled), so a
            // blind attacker must hit one number in 2³², not one window.
            let Some(half) = l.find(&local, &remote) else {
                return;
            };
            if repr.seq_number == half.irs + 1 {
                l.take(&local, &remote);
            } else if half.sent > 0 && half.in_window(repr.seq_number) && half.may_ack(now) {
                let ack = half_open_ack(half, now);
                self.send_tcp_reply(out, local, remote, &ack);
            }
            return;
        }
        match (syn, repr.ack_number) {
            (true, None) => {
                l.stats_mut().syns = l.stats_mut().syns.wrapping_add(1);
                if let Some(half) = l.find(&local, &remote) {
                    // A retransmitted SYN: answer it again now.
                    if half.irs == repr.seq_number {
                        half.next_at = now;
                    }
                    sockets.touch(h.index());
                    return;
                }
                if !l.has_room() {
                    // No room for one more connection (accept queue full or
                    // no socket lent): ignore the SYN, as Linux does with a
                    // full accept queue (`tcp_conn_request`). The client
                    // stays in SYN-SENT and retransmits; answered, it would
                    // believe in a connection we cannot hold.
                    l.stats_mut().syns_dropped = l.stats_mut().syns_dropped.wrapping_add(1);
                    return self.drop(DropReason::BufferFull);
                }
                let iss = self.isn.isn(local, remote, now);
                let ts_offset = self.isn.ts_offset(local, remote);
                let half = HalfOpen::from_syn(local, remote, repr, iss, ts_offset, now);
                if l.enqueue_syn(half) {
                    sockets.touch(h.index());
                    return;
                }
                // The SYN queue is full: a SYN cookie keeps no state
                // (RFC 4987 §3.6), so a flood cannot crowd clients out.
                l.cookie_sent(now);
                let client_mss = repr.max_seg_size.unwrap_or(536).min(our_mss);
                let cookie =
                    self.syn_cookies
                        .encode(now, local, remote, repr.seq_number, client_mss);
                let mut cookie_half =
                    HalfOpen::from_syn(local, remote, repr, cookie, ts_offset, now);
                cookie_half.negotiate(&offer);
                if cookie_half.tsval.is_none() {
                    // Window scale and SACK-permitted fit only in a
                    // timestamp: without one they are not offered.
                    cookie_half.window_scale = None;
                    cookie_half.sack_permitted = false;
                    cookie_half.rcv_shift = 0;
                }
                let mut synack = synack_repr(&cookie_half, our_mss, offer.window, now);
                if let Some((tsval, tsecr)) = synack.timestamp {
                    // The usual cookie scheme (RFC 4987 §3.6 with RFC 7323):
                    // the options agreed to ride in the low bits of our
                    // TSval, which the client's ACK echoes in TSecr.
                    let options =
                        encode_ts_options(cookie_half.window_scale, cookie_half.sack_permitted);
                    synack.timestamp = Some((stamp_ts_options(tsval, options), tsecr));
                }
                self.send_tcp_reply(out, local, remote, &synack);
            }
            (false, Some(ack)) => {
                let cookies_recent = l.cookies_recent(now);
                let established = match l.find(&local, &remote) {
                    Some(half) if ack == half.iss + 1 => {
                        // RFC 9293 §3.10.7.4 first check, in SYN-RECEIVED:
                        // the sequence number must fall in the window we
                        // offered; an unacceptable segment is dropped and
                        // answered with an ACK (rate-limited, as Linux's
                        // `tcp_oow_rate_limited`).
                        if !half.in_window(repr.seq_number) {
                            if half.may_ack(now) {
                                let reply = half_open_ack(half, now);
                                self.send_tcp_reply(out, local, remote, &reply);
                            }
                            return self.drop(DropReason::Malformed);
                        }
                        l.take(&local, &remote).map(|h| (h, None))
                    }
                    Some(_) => None,
                    // RFC 4987 §3.6: a cookie is checked only while one we
                    // sent may still be valid.
                    None if cookies_recent => self
                        .syn_cookies
                        .decode(now, local, remote, repr.seq_number - 1, ack - 1)
                        .map(|mss| {
                            let ts_offset = self.isn.ts_offset(local, remote);
                            (
                                HalfOpen::from_syn(local, remote, repr, ack - 1, ts_offset, now),
                                Some(mss),
                            )
                        }),
                    None => None,
                };
                let Some((half, cookie_mss)) = established else {
                    // RFC 9293 §3.10.7.2: an ACK to a listener gets a reset.
                    self.drop(DropReason::NoSocket);
                    return self.tcp_reset_for(out, local, remote, repr);
                };
                if !l.has_room() {
                    // Accept queue full or no socket lent: as Linux, drop the
                    // ACK and keep the connection in the SYN queue, marked as
                    // completed; its SYN-ACK retransmissions draw the client's
                    // ACK again, and when it expires the client is reset, so
                    // no client is left believing in a connection that does
                    // not exist. A cookie connection gets a record too (in
                    // place of an unproven one if need be). When every slot
                    // holds a completed handshake, the cookie stays valid for
                    // the client's retransmissions (at most 128 s, then they
                    // earn a reset), as with Linux, unless the listener was
                    // told to abort on overflow (`tcp_abort_on_overflow`).
                    l.stats_mut().overflows = l.stats_mut().overflows.wrapping_add(1);
                    let held = match cookie_mss {
                        None => half,
                        Some(mss) => cookie_record(half, repr, mss, &offer, now),
                    };
                    if !l.abort_on_overflow() && l.enqueue_acked(held) {
                        sockets.touch(h.index());
                        return self.drop(DropReason::BufferFull);
                    }
                    self.drop(DropReason::BufferFull);
                    if l.abort_on_overflow() {
                        l.stats_mut().overflow_resets =
                            l.stats_mut().overflow_resets.wrapping_add(1);
                        return self.tcp_reset_for(out, local, remote, repr);
                    }
                    return;
                }
                let Some(child) = l.take_pooled() else { return };
                if cookie_mss.is_some() {
                    l.stats_mut().cookies_accepted = l.stats_mut().cookies_accepted.wrapping_add(1);
                }
                let pushed = l.push_accepted(child);
                let Some(Socket::Tcp(s)) = sockets.slot_mut(child.index()) else {
                    return;
                };
                match cookie_mss {
                    Some(mss) => {
                        let options = repr.timestamp.map(|(_, tsecr)| decode_ts_options(tsecr));
                        s.accept_cookie(
                            local,
                            remote,
                            repr,
                            mss,
                            options,
                            usize::from(our_mss),
                            half.ts_offset,
                            now,
                        )
                    }
                    None => s.accept_established(&half, repr, usize::from(our_mss), now),
                }
                // The ACK may carry data already.
                s.process(now, repr);
                if !pushed || sockets.register_tcp(child, local, remote).is_err() {
                    if let Some(Socket::Tcp(s)) = sockets.slot_mut(child.index()) {
                        s.abort();
                    }
                }
                sockets.touch(child.index());
            }
            _ => {
                // A SYN-ACK or a bare segment to a listener.
                if repr.ack_number.is_some() {
                    self.tcp_reset_for(out, local, remote, repr);
                }
            }
        }
    }

    /// Sends a TCP segment of a socket; `Pending`/`Busy` keep it queued.
    pub(crate) fn send_tcp(
        &mut self,
        out: &mut Out<'_, '_>,
        local: IpEndpoint,
        remote: IpEndpoint,
        repr: &TcpRepr<'_>,
    ) -> Result<(), SendError> {
        let body = Body::tcp(
            &local.addr,
            &remote.addr,
            repr,
            self.caps.checksum.tcp.tx_mode(),
        );
        let pkt = IpOut {
            src: local.addr,
            dst: remote.addr,
            protocol: IpProtocol::Tcp,
            hop_limit: self.hop_limit,
            body,
        };
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
        let ctx = TcpContext {
            now: out.now,
            mtu: self.caps.mtu,
        };
        s.dispatch(ctx, |repr| {
            lost_on_the_way(self.send_tcp(out, local, remote, repr))
        })
    }

    /// Sends a listener's due SYN-ACKs, and the resets owed to clients
    /// whose completed handshake expired in the SYN queue.
    pub(crate) fn dispatch_listener(
        &mut self,
        out: &mut Out<'_, '_>,
        l: &mut TcpListener<'_>,
        offer: SynAckOffer,
    ) -> Result<(), SendError> {
        let now = out.now;
        let mut result = Ok(());
        l.due_synacks(now, |half, expired| {
            let repr = if expired {
                // The client is in ESTABLISHED with RCV.NXT = our ISS + 1:
                // a reset there is accepted (RFC 9293 §3.10.7.4, RFC 5961
                // §3.2) and tells it the connection is gone.
                TcpRepr::bare(
                    half.local.port,
                    half.remote.port,
                    TcpFlags::RST,
                    half.iss + 1,
                )
            } else {
                if half.sent == 0 {
                    half.negotiate(&offer);
                }
                let mss = self.our_mss(&half.remote.addr);
                let repr = synack_repr(half, mss, offer.window, now);
                half.rcv_wnd = repr.window_len;
                repr
            };
            match lost_on_the_way(self.send_tcp(out, half.local, half.remote, &repr)) {
                Ok(()) => true,
                Err(e) => {
                    result = Err(e);
                    false
                }
            }
        });
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

/// The bare ACK of a half-open connection (SYN-RECEIVED: <SEQ=ISS+1>
/// <ACK=RCV.NXT>), answering an in-window reset (RFC 5961 §3.2) or an
/// unacceptable segment (RFC 9293 §3.10.7.4). Not a SYN: its window is
/// scaled when scaling was agreed (RFC 7323 §2.2).
fn half_open_ack(half: &HalfOpen, now: Instant) -> TcpRepr<'static> {
    TcpRepr {
        ack_number: Some(half.irs + 1),
        window_len: half.rcv_wnd >> half.rcv_shift,
        timestamp: half
            .tsval
            .map(|tsval| (TsClock::new(half.ts_offset).ts_val(now), tsval)),
        ..TcpRepr::bare(
            half.local.port,
            half.remote.port,
            TcpFlags::empty(),
            half.iss + 1,
        )
    }
}

/// The SYN-queue record of a cookie connection that completed when the
/// listener had no room (RFC 4987 §3.6 gives it back: the client's ISN
/// from SEG.SEQ, ours from SEG.ACK, the MSS from the cookie, the options
/// from TSecr), as if its SYN-ACK had been sent once.
fn cookie_record(
    mut half: HalfOpen,
    ack: &TcpRepr<'_>,
    mss: u16,
    offer: &SynAckOffer,
    now: Instant,
) -> HalfOpen {
    let options = ack.timestamp.map(|(_, tsecr)| decode_ts_options(tsecr));
    half.irs = ack.seq_number - 1;
    half.mss = Some(mss);
    half.window_scale = options.and_then(|o| o.wscale);
    half.sack_permitted = options.is_some_and(|o| o.sack_ok);
    half.tsval = ack.timestamp.map(|(tsval, _)| tsval);
    half.negotiate(offer);
    half.rcv_wnd = u16::try_from(offer.window).unwrap_or(u16::MAX);
    half.sent = 1;
    half.next_at = now + crate::socket::tcp::SYNACK_TIMEOUT;
    half
}

/// The SYN-ACK for a half-open connection (RFC 9293 §3.10.7.2): our ISN,
/// the client's plus one, and the options it offered that we take.
fn synack_repr(half: &HalfOpen, mss: u16, window: usize, now: Instant) -> TcpRepr<'static> {
    TcpRepr {
        src_port: half.local.port,
        dst_port: half.remote.port,
        control: TcpFlags::SYN,
        seq_number: half.iss,
        ack_number: Some(half.irs + 1),
        // RFC 7323 §2.2: the window of a SYN segment is never scaled.
        window_len: u16::try_from(window).unwrap_or(u16::MAX),
        window_scale: half.window_scale.map(|_| half.rcv_shift),
        max_seg_size: Some(mss),
        sack_permitted: half.sack_permitted,
        sack_ranges: [None; MAX_SACK_BLOCKS],
        // RFC 7323 §3.2: echo the client's TSval.
        timestamp: half
            .tsval
            .map(|tsval| (TsClock::new(half.ts_offset).ts_val(now), tsval)),
        urgent_at: None,
        payload: &[],
    }
}

/// The quoted segment went from our `local` to `remote`: a hard error
/// refuses a connection being opened (RFC 9293 §3.9 / RFC 5927), a
/// "fragmentation needed" (`mtu`: the reported MTU and the quoted packet's
/// total length) lowers its MSS (RFC 1191, RFC 8201).
pub(super) fn deliver_to_tcp(
    local: IpAddr,
    remote: IpAddr,
    tcp: &[u8],
    kind: crate::socket::error::SocketError,
    mtu: Option<(usize, usize)>,
    sockets: &mut SocketSet<'_>,
) {
    // RFC 792 quotes at least 8 bytes: the ports and the sequence number.
    let Some(head) = tcp.get(..8) else {
        return;
    };
    let local = crate::wire::IpEndpoint::new(local, u16::from_be_bytes([head[0], head[1]]));
    let remote = crate::wire::IpEndpoint::new(remote, u16::from_be_bytes([head[2], head[3]]));
    let seq =
        crate::wire::tcp::TcpSeqNumber(u32::from_be_bytes([head[4], head[5], head[6], head[7]]));
    let Some((h, true)) = sockets.tcp_for(&local, &remote) else {
        return;
    };
    if let Some(crate::socket::Socket::Tcp(s)) = sockets.slot_mut(h.index()) {
        match mtu {
            Some((mtu, quoted_len)) => s.process_path_mtu(seq, mtu, quoted_len),
            None => s.process_icmp_error(
                seq,
                kind == crate::socket::error::SocketError::ConnectionRefused,
            ),
        }
    }
    sockets.touch(h.index());
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
