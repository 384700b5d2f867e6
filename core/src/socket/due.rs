//! Each socket's next deadline, remembered between polls.
//!
//! `poll` and `poll_at` ask every touched socket when it next wants the
//! interface, and a socket with a timer armed stays touched: in the profile
//! of short connections (`services`, four clients) `TcpSocket::poll_at`
//! ran some 45 times per connection, a quarter of the stack's own
//! instructions, mostly answering the same question for sockets nothing
//! had happened to. Its answer depends only on the socket's state, and on
//! `now` only through "due now" (`Some(now)`, or a timer already past,
//! raised to `now`). So the answer found at `since` holds at any later
//! `now` as `at.max(now)`, for as long as the socket is not changed; and a
//! socket is changed only through a mutable borrow from its set, which
//! forgets the answer (see `SocketSet::item_mut`). Only TCP connections and
//! listeners are remembered: the others are few and cheap to ask.

use super::Socket;
use crate::time::Instant;

/// What a slot remembers of its socket's `poll_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    /// Not known: the socket was lent out mutably since it was asked.
    Unknown,
    /// `poll_at(since)` returned `at`, and the socket has not changed.
    Known { at: Option<Instant>, since: Instant },
}

impl Due {
    /// The socket's `poll_at(now)`, if it can be told without asking it.
    pub(crate) fn at(self, now: Instant) -> Option<Option<Instant>> {
        match self {
            // A clock that went back: ask again rather than answer for a
            // past the answer did not cover.
            Due::Known { at, since } if now >= since => Some(at.map(|t| t.max(now))),
            _ => None,
        }
    }

    /// What to remember of `socket`'s `poll_at(now) == at`.
    pub(crate) fn of(socket: &Socket<'_>, now: Instant, at: Option<Instant>) -> Due {
        match socket {
            Socket::Tcp(_) | Socket::TcpListener(_) => Due::Known { at, since: now },
            _ => Due::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    //! Two interfaces joined by an in-memory wire run TCP connections
    //! through their whole life (handshake, data both ways, a lost segment
    //! and its retransmission, delayed ACKs, close, TIME-WAIT) and, after
    //! every poll and every application call, each side's `poll_at` from
    //! remembered deadlines must equal the one found by asking every socket
    //! afresh: a path that changes a socket without forgetting its deadline
    //! shows as a difference here.
    extern crate std;
    use crate::iface::{Config, Interface, InterfaceStorage};
    use crate::phy::frames::FrameQueue;
    use crate::phy::DeviceCapabilities;
    use crate::socket::tcp::{HalfOpen, State, TcpListener, TcpSocket};
    use crate::socket::{IndexSlot, SocketHandle, SocketSet, SocketStorage};
    use crate::storage::RingBuffer;
    use crate::time::{Duration, Instant};
    use crate::wire::{EthernetAddress, IpAddr, IpEndpoint, Ipv4Addr, Ipv4Cidr};
    use std::vec;

    struct Host {
        iface: Interface<'static>,
        sockets: SocketSet<'static>,
        dev: FrameQueue,
    }

    fn ip(n: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, 0, 0, n)
    }

    impl Host {
        fn new(n: u8) -> Host {
            let mut config = Config::new(EthernetAddress([2, 0, 0, 0, 0, n]));
            config.ipv4_probe = false;
            config.random_seed = u64::from(n);
            let mut iface = Interface::new(config, InterfaceStorage::none(), Instant::ZERO);
            iface
                .add_ipv4_address(Ipv4Cidr::new(ip(n), 24).unwrap(), Instant::ZERO)
                .unwrap();
            Host {
                iface,
                // Leaked, so that the set runs without the `alloc` feature.
                sockets: SocketSet::new(
                    &mut std::boxed::Box::leak(std::boxed::Box::new([SocketStorage::EMPTY; 8]))[..],
                    &mut vec![IndexSlot::default(); 16].leak()[..],
                    u64::from(n),
                ),
                dev: FrameQueue::new(DeviceCapabilities::ethernet(1500)),
            }
        }

        fn tcp(&mut self) -> SocketHandle {
            let s = TcpSocket::new(
                RingBuffer::new(vec![0u8; 4096]),
                RingBuffer::new(vec![0u8; 4096]),
            );
            self.sockets.add(s).unwrap()
        }

        /// The deadline check this test is about.
        fn check(&self, now: Instant, what: &str) {
            let remembered = self.iface.poll_at_with(now, &self.sockets, true);
            let fresh = self.iface.poll_at_with(now, &self.sockets, false);
            assert_eq!(remembered, fresh, "{what} at {now}");
        }

        fn poll(&mut self, now: Instant) {
            self.check(now, "before a poll");
            self.iface.poll(now, &mut self.dev, &mut self.sockets);
            self.check(now, "after a poll");
        }

        fn conn(&mut self, h: SocketHandle) -> &mut TcpSocket<'static> {
            self.sockets.get_mut::<TcpSocket>(h).unwrap()
        }
    }

    /// Moves every frame each side sent to the other, `drop` deciding
    /// which are lost, and polls both until the wire is quiet.
    fn run(a: &mut Host, b: &mut Host, now: Instant, drop: &mut dyn FnMut(&[u8]) -> bool) {
        for _ in 0..20 {
            a.poll(now);
            b.poll(now);
            let (ab, ba) = (
                core::mem::take(&mut a.dev.tx),
                core::mem::take(&mut b.dev.tx),
            );
            if ab.is_empty() && ba.is_empty() {
                return;
            }
            b.dev.rx.extend(ab.into_iter().filter(|f| !drop(f)));
            a.dev.rx.extend(ba.into_iter().filter(|f| !drop(f)));
        }
    }

    /// Steps the clock to the earlier side's deadline, as a runtime sleeps.
    fn next(a: &Host, b: &Host, now: Instant) -> Option<Instant> {
        let at = [
            a.iface.poll_at(now, &a.sockets),
            b.iface.poll_at(now, &b.sockets),
        ];
        at.into_iter().flatten().min()
    }

    #[test]
    fn a_remembered_deadline_equals_a_fresh_one_through_a_connections_life() {
        let (mut a, mut b) = (Host::new(1), Host::new(2));
        // b listens, with a pooled socket for each of two connections.
        let l = b.sockets.add(TcpListener::new(
            vec![None::<HalfOpen>; 4],
            vec![None; 4],
            vec![None; 4],
        ));
        let l = l.unwrap();
        b.sockets.listen(l, 7).unwrap();
        for _ in 0..2 {
            let s = b.tcp();
            b.sockets
                .get_mut::<TcpListener>(l)
                .unwrap()
                .provide(s)
                .unwrap();
        }
        let mut now = Instant::from_millis(1);
        let c = a.tcp();
        let remote = IpEndpoint::new(IpAddr::V4(ip(2)), 7);
        a.iface
            .tcp_connect(now, &mut a.sockets, c, remote, 0)
            .unwrap();
        a.check(now, "after connect");
        run(&mut a, &mut b, now, &mut |_| false);
        assert_eq!(a.conn(c).state(), State::Established);
        let s = b
            .sockets
            .get_mut::<TcpListener>(l)
            .unwrap()
            .accept()
            .unwrap();
        b.check(now, "after accept");

        // Data both ways, then a lost data segment from a: the remembered
        // RTO must move with the retransmission.
        let mut lost = 0;
        for round in 0..6u8 {
            now += Duration::from_millis(3);
            a.conn(c).send_slice(&[round; 300]).unwrap();
            a.check(now, "after a write");
            let mut drop_one = |f: &[u8]| {
                let lose = round == 3 && lost == 0 && f.len() > 300;
                lost += usize::from(lose);
                lose
            };
            run(&mut a, &mut b, now, &mut drop_one);
            let mut buf = [0u8; 1024];
            let n = b.conn(s).recv_slice(&mut buf).unwrap();
            b.check(now, "after a read");
            b.conn(s).send_slice(&buf[..n]).unwrap();
            b.check(now, "after an echo");
            run(&mut a, &mut b, now, &mut |_| false);
            // Let the timers (delayed ACK, RTO) run as a runtime would.
            for _ in 0..4 {
                let Some(t) = next(&a, &b, now) else { break };
                if t > now + Duration::from_secs(2) {
                    break;
                }
                now = t.max(now);
                run(&mut a, &mut b, now, &mut |_| false);
            }
        }
        assert_eq!(lost, 1, "a segment was lost and resent");
        let mut got = [0u8; 4096];
        let n = a.conn(c).recv_slice(&mut got).unwrap();
        assert_eq!(n, 1800, "every byte echoed");

        // a closes first (FIN-WAIT, TIME-WAIT), b after it.
        a.conn(c).close();
        a.check(now, "after close");
        run(&mut a, &mut b, now, &mut |_| false);
        b.conn(s).close();
        b.check(now, "after close");
        run(&mut a, &mut b, now, &mut |_| false);
        assert_eq!(a.conn(c).state(), State::TimeWait);
        while let Some(t) = next(&a, &b, now) {
            now = t.max(now + Duration::from_millis(1));
            run(&mut a, &mut b, now, &mut |_| false);
            if a.conn(c).state() == State::Closed {
                break;
            }
        }
        assert_eq!(a.conn(c).state(), State::Closed);
        a.check(now, "closed");
        b.check(now, "closed");
    }
}
