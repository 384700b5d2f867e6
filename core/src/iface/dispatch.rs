//! What `poll` sends that is not a reply: each protocol's timers, then the
//! socket walk, which hands every socket with something due to its
//! protocol's sender.

use super::interface::{Inner, Interface};
use super::out::{dropped_is_done, DeviceOut, Out, Park, SendError};
use super::stats::DropReason;
use crate::phy::Device;
use crate::socket::{Socket, SocketHandle, SocketSet};
use crate::time::Instant;
use crate::wire::IpAddr;

impl<'a> Interface<'a> {
    /// Timers and sockets: everything `poll` sends that was not a reply.
    pub(crate) fn egress<D: Device>(
        &mut self,
        now: Instant,
        device: &mut D,
        sockets: &mut SocketSet<'_>,
    ) -> bool {
        let Interface {
            inner,
            fragments,
            pending,
        } = self;
        let mut device = DeviceOut {
            device,
            now,
            header_len: inner.caps.virtio_header_len(),
        };
        let mut out = Out {
            frames: &mut device,
            pending,
            now,
            park: Park::No,
        };
        let before = inner.stats.tx_frames;
        inner.neighbor_timers(&mut out);
        // The DHCP client's conflict detection follows the socket, which
        // the window does not see: with a client, every poll looks.
        if !inner.timers_quiet(now) || sockets.dhcp().is_some() {
            inner.address_timers(&mut out, sockets);
            inner.igmp_timers(&mut out);
            inner.mld_timers(&mut out);
            // After MLD: a new address's group report leaves before its first
            // DAD solicitation when both are due (RFC 4862 §5.4.2).
            inner.addr6_timers(&mut out);
            inner.router_timers(&mut out);
            inner.reassembly_timers(fragments, &mut out);
            inner.pmtu_timers(now, sockets);
            inner.timers_ran(fragments);
        }
        inner.flush_pending(&mut out);
        if !sockets.nothing_touched() {
            inner.dispatch_sockets(&mut out, sockets);
        }
        inner.stats.tx_frames != before
    }
}

impl Inner {
    fn dispatch_sockets(&mut self, out: &mut Out<'_, '_>, sockets: &mut SocketSet<'_>) {
        let now = out.now;
        let inner = self;
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        // Only sockets the application touched (or with timers) can have
        // something new: visit those, not all ten thousand.
        let mut list = heapless::Vec::new();
        let all = sockets.take_touched_into(&mut list);
        let count = if all { sockets.slots() } else { list.len() };
        let mut stop = false;
        for pos in 0..count {
            let i = if all {
                pos
            } else {
                list.get(pos).copied().unwrap_or(usize::MAX)
            };
            let handle = SocketHandle::from_index(i);
            // The common visit: a socket the application touched (a read)
            // with nothing due and no hop it waits for. Its sender would do
            // nothing; it stays touched only if it has a timer ahead. The
            // listener and the DHCP client decide inside their senders, so
            // they take the long way.
            if !stop && inner.stalled.is_empty() {
                // Its deadline remembered since it last changed, if it was
                // (`socket/due.rs`), else asked, and remembered for the
                // next walk.
                let known = sockets.known_poll_at(i, now);
                let idle = sockets.slot(i).and_then(|s| idle_poll_at(s, known, now));
                if let Some(at) = idle {
                    if known.is_none() {
                        sockets.remember_poll_at(i, now, at);
                    }
                    if at.is_some() {
                        sockets.touch(i);
                    }
                    continue;
                }
            }
            if stop || inner.waits_for_hop(handle, now) {
                // Not done: look again on the next poll.
                sockets.touch(i);
                continue;
            }
            // A connection unchanged since it last said when it is due, and
            // not due yet (a timer armed): nothing to do but keep it in
            // sight, without lending it out (which would forget that).
            if let Some(at) = sockets.known_poll_at(i, now) {
                if !due(at) && matches!(sockets.slot(i), Some(Socket::Tcp(_))) {
                    if at.is_some() {
                        sockets.touch(i);
                    }
                    continue;
                }
            }
            // A listener's SYN-ACK offers the window of the socket that the
            // connection will take from its pool.
            let offered = super::tcp::listener_offered_window(sockets, handle);
            let Some(socket) = sockets.slot_mut(i) else {
                continue;
            };
            let mut busy = false;
            match socket {
                Socket::Tcp(s) => {
                    busy = drain(inner, handle, |inner| {
                        due(s.poll_at(now)).then(|| inner.dispatch_tcp(&mut *out, s))
                    });
                }
                Socket::TcpListener(l) => {
                    // Each SYN-ACK is for another peer: one whose next hop
                    // is being resolved waits in the pending queue (or is
                    // lost, and retried on the half-open's own timer), never
                    // in front of the others (issue 10 item 19).
                    let mut park = out.parked(Park::DropWhenFull);
                    match inner.dispatch_listener(&mut park, l, offered) {
                        Err(SendError::Pending(hop)) => inner.stall(handle, hop),
                        Err(_) => busy = true,
                        Ok(()) => {}
                    }
                }
                Socket::Udp(s) => {
                    let mut park = out.parked(Park::Keep);
                    busy = drain(inner, handle, |inner| {
                        // With the hop's share of the queue full, a datagram
                        // waits in the socket only when every datagram
                        // behind it goes to the same place; otherwise it is
                        // dropped and counted, so that it never holds up
                        // datagrams to other neighbors (issue 10 item 23).
                        let one = s.queued_for_one_destination();
                        due(s.poll_at(now)).then(|| {
                            s.dispatch(now, |meta, local, data| {
                                match inner.send_udp(&mut park, meta, local, data) {
                                    Err(SendError::Pending(_))
                                        if one != Some(meta.endpoint.addr) =>
                                    {
                                        inner.drop(DropReason::Unresolved);
                                        Ok(())
                                    }
                                    r => r,
                                }
                            })
                        })
                    });
                }
                Socket::Icmp(s) => {
                    let mut park = out.parked(Park::Keep);
                    busy = drain(inner, handle, |inner| {
                        due(s.poll_at(now)).then(|| {
                            s.dispatch(now, |dst, hop_limit, message| {
                                inner.send_icmp(&mut park, dst, hop_limit, message)
                            })
                        })
                    });
                }
                Socket::Raw(s) => {
                    busy = drain(inner, handle, |inner| {
                        due(s.poll_at(now)).then(|| {
                            s.dispatch(now, |packet| {
                                inner.send_raw(&mut *out, packet).or_else(dropped_is_done)
                            })
                        })
                    });
                }
                Socket::Dhcpv4(c) => {
                    match c.dispatch(now, |output| {
                        inner.send_dhcp(out, output).or_else(dropped_is_done)
                    }) {
                        Err(SendError::Pending(hop)) => inner.stall(handle, hop),
                        Err(_) => busy = true,
                        Ok(()) => {}
                    }
                }
            }
            let at = super::interface::socket_poll_at(socket, now);
            sockets.remember_poll_at(i, now, at);
            if busy || at.is_some() {
                sockets.touch(i);
            }
            stop |= busy;
        }
    }
}

/// `Some(poll_at)` for a socket whose sender has nothing due at `now`
/// (each of these sends only when its `poll_at` is due); `None` when the
/// sender must be asked.
fn idle_poll_at(
    socket: &Socket<'_>,
    known: Option<Option<Instant>>,
    now: Instant,
) -> Option<Option<Instant>> {
    if matches!(socket, Socket::TcpListener(_) | Socket::Dhcpv4(_)) {
        return None;
    }
    let at = known.unwrap_or_else(|| super::interface::socket_poll_at(socket, now));
    at.is_none_or(|t| t > now).then_some(at)
}

/// Packets one socket may send per poll before the next socket's turn.
const MAX_PACKETS_PER_SOCKET: usize = 64;

/// Sends a socket's queued packets (`step` sends one, `None` when none is
/// due) until it has none, waits for a next hop (the socket is stalled on
/// it), or the device is full (returns true: stop for this poll).
fn drain(
    inner: &mut Inner,
    handle: crate::socket::SocketHandle,
    mut step: impl FnMut(&mut Inner) -> Option<Result<(), SendError>>,
) -> bool {
    // A bound per poll: fairness between sockets, and no spin if a socket
    // says it is due but has nothing to send (it stays touched).
    for _ in 0..MAX_PACKETS_PER_SOCKET {
        let Some(r) = step(inner) else { break };
        match r {
            Ok(()) => {}
            Err(SendError::Pending(hop)) => {
                inner.stall(handle, hop);
                return false;
            }
            Err(_) => return true,
        }
    }
    false
}

impl Inner {
    /// True when the socket waits for a next hop still being resolved. A
    /// socket whose hop is no longer INCOMPLETE (resolved, failed, or its
    /// entry evicted or removed, whether or not that was reported) is
    /// released here, so that no socket waits forever.
    fn waits_for_hop(&mut self, handle: SocketHandle, now: Instant) -> bool {
        let Some(hop) = self
            .stalled
            .iter()
            .find(|(h, _)| *h == handle)
            .map(|(_, a)| *a)
        else {
            return false;
        };
        let state = match hop {
            IpAddr::V4(a) => self.arp.get(&a, now).map(|e| e.state),
            IpAddr::V6(a) => self.nd.get(&a, now).map(|e| e.state),
        };
        if state == Some(super::neighbor::NeighborState::Incomplete) {
            return true;
        }
        self.unstall(&hop);
        false
    }
}
