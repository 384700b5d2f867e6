//! Binds made on a socket itself, registered with the set.
//!
//! A smoltcp user writes `socket.bind(5000)` and then `sockets.add(socket)`,
//! or binds through `sockets.get_mut(handle)`. The set's index is what
//! delivers datagrams, and it learns about a port only from
//! [`SocketSet::bind_udp`]; a bind it never saw used to return `Ok` and then
//! receive nothing, silently. So: `add` registers a socket that is already
//! bound, and every UDP or ICMP socket lent out by `get_mut` is looked at
//! again before the next lookup, registering a bind made meanwhile. A port
//! another socket holds by then cannot be reported by the `bind` that already
//! returned: the late socket is closed (as Linux's `bind` would have refused
//! it) and counted in [`SocketSet::bind_conflicts`].

use super::index::{Key, Kind};
use super::{icmp, Socket, SocketHandle, SocketSet};

/// How many lent UDP/ICMP sockets the set remembers before it re-checks all
/// of them.
pub(super) const BINDS_LEN: usize = 16;

impl<'a> SocketSet<'a> {
    /// Remembers that socket `i` (UDP or ICMP) was lent out and may have
    /// been bound directly.
    pub(super) fn note_bind(&mut self, i: usize) {
        if !self.binds_all && !self.binds.contains(&i) && self.binds.push(i).is_err() {
            self.binds_all = true;
        }
    }

    /// Registers the binds made directly on lent sockets since the last
    /// call. Costs nothing when no UDP or ICMP socket was lent out.
    pub(crate) fn sync_binds(&mut self) {
        if self.binds.is_empty() && !self.binds_all {
            return;
        }
        let list = core::mem::take(&mut self.binds);
        if core::mem::take(&mut self.binds_all) {
            for i in 0..self.sockets.len() {
                self.sync_bind(i);
            }
        } else {
            for i in list {
                self.sync_bind(i);
            }
        }
    }

    /// Registers socket `i`'s own bind if the index does not hold it yet.
    pub(super) fn sync_bind(&mut self, i: usize) {
        let Some(item) = self.sockets.get(i).and_then(|s| s.inner.as_ref()) else {
            return;
        };
        let Some(key) = bound_key(&item.socket) else {
            return;
        };
        if item.key == Some(key) {
            return;
        }
        if self.claim(SocketHandle(i), key, |_| Ok(())).is_err() {
            self.bind_conflicts = self.bind_conflicts.wrapping_add(1);
            if let Some(item) = self.slot_mut(i) {
                match item {
                    Socket::Udp(u) => u.close(),
                    Socket::Icmp(s) => s.close(),
                    _ => {}
                }
            }
        }
    }

    /// Sockets bound directly (`UdpSocket::bind`, `IcmpSocket::bind`) to a
    /// port or identifier another socket of the set already held: each was
    /// closed when the set found out. [`SocketSet::bind_udp`] and
    /// [`SocketSet::bind_icmp`] report the conflict at once instead.
    pub fn bind_conflicts(&self) -> u64 {
        self.bind_conflicts
    }
}

/// The index key a socket's own bind stands for, if it is a bound UDP or
/// ICMP socket.
pub(super) fn bound_key(socket: &Socket<'_>) -> Option<Key> {
    match socket {
        Socket::Udp(u) if u.is_open() => {
            let ep = u.endpoint();
            Some(Key {
                kind: Kind::Udp,
                port: ep.port,
                addr: ep.addr,
                remote: None,
            })
        }
        Socket::Icmp(s) => match s.endpoint() {
            icmp::IcmpEndpoint::Ident(ident) => Some(Key {
                kind: Kind::Icmp,
                port: ident,
                addr: None,
                remote: None,
            }),
            icmp::IcmpEndpoint::Unspecified => None,
        },
        _ => None,
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    extern crate std;
    use super::super::*;
    use crate::storage::{PacketBuffer, PacketMetadata};
    use crate::wire::Ipv4Addr;
    use std::vec;

    fn udp() -> udp::UdpSocket<'static> {
        let buf = || PacketBuffer::new(vec![PacketMetadata::EMPTY; 2], vec![0u8; 64]);
        udp::UdpSocket::new(buf(), buf())
    }

    fn ping() -> icmp::IcmpSocket<'static> {
        let buf = || PacketBuffer::new(vec![PacketMetadata::EMPTY; 2], vec![0u8; 64]);
        icmp::IcmpSocket::new(buf(), buf())
    }

    const ANY: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));

    #[test]
    fn a_socket_bound_before_it_is_added_receives() {
        let mut set = SocketSet::new(vec![], vec![], 1);
        let mut socket = udp();
        socket.bind(5000).unwrap();
        let h = set.add(socket).unwrap();
        let found = set.udp_for(&ANY, 5000).map(|s| s.endpoint().port);
        assert_eq!(found, Some(5000));
        // A second one on the same port is refused by `add`, as `bind_udp`
        // would refuse it, and takes no slot.
        let mut other = udp();
        other.bind(5000).unwrap();
        assert_eq!(set.add(other).err(), Some(SetError::AddrInUse));
        assert_eq!(set.len(), 1);
        assert!(set.get::<udp::UdpSocket>(h).unwrap().is_open());
    }

    #[test]
    fn a_socket_bound_through_get_mut_receives() {
        let mut set = SocketSet::new(vec![], vec![], 1);
        let h = set.add(udp()).unwrap();
        set.get_mut::<udp::UdpSocket>(h)
            .unwrap()
            .bind(5000)
            .unwrap();
        assert!(set.udp_for(&ANY, 5000).is_some());
        // Closed and bound again elsewhere: the new port is found, the old
        // one is free.
        let s = set.get_mut::<udp::UdpSocket>(h).unwrap();
        s.close();
        s.bind(6000).unwrap();
        assert!(set.udp_for(&ANY, 6000).is_some());
        assert!(set.udp_for(&ANY, 5000).is_none());
        let other = set.add(udp()).unwrap();
        assert!(set.bind_udp(other, 5000).is_ok(), "5000 was given up");
    }

    #[test]
    fn a_late_conflicting_direct_bind_is_closed_and_counted() {
        let mut set = SocketSet::new(vec![], vec![], 1);
        let first = set.add(udp()).unwrap();
        set.bind_udp(first, 5000).unwrap();
        let late = set.add(udp()).unwrap();
        set.get_mut::<udp::UdpSocket>(late)
            .unwrap()
            .bind(5000)
            .unwrap();
        let owner = set.udp_for(&ANY, 5000).map(|s| s as *const _);
        assert_eq!(
            owner,
            set.get::<udp::UdpSocket>(first).map(|s| s as *const _)
        );
        assert!(!set.get::<udp::UdpSocket>(late).unwrap().is_open());
        assert_eq!(set.bind_conflicts(), 1);
    }

    #[test]
    fn ping_sockets_bound_directly_are_found_too() {
        let mut set = SocketSet::new(vec![], vec![], 1);
        let mut before = ping();
        before.bind(icmp::IcmpEndpoint::Ident(7)).unwrap();
        set.add(before).unwrap();
        let h = set.add(ping()).unwrap();
        set.get_mut::<icmp::IcmpSocket>(h)
            .unwrap()
            .bind(icmp::IcmpEndpoint::Ident(8))
            .unwrap();
        assert!(set.icmp_for(7).is_some());
        assert!(set.icmp_for(8).is_some());
    }

    #[test]
    fn more_lent_sockets_than_remembered_are_all_checked() {
        let mut set = SocketSet::new(vec![], vec![], 1);
        let handles: std::vec::Vec<_> = (0..super::BINDS_LEN + 4)
            .map(|_| set.add(udp()).unwrap())
            .collect();
        for (i, h) in handles.iter().enumerate() {
            let port = 5000 + i as u16;
            set.get_mut::<udp::UdpSocket>(*h)
                .unwrap()
                .bind(port)
                .unwrap();
        }
        for i in 0..handles.len() {
            assert!(
                set.udp_for(&ANY, 5000 + i as u16).is_some(),
                "port {}",
                5000 + i
            );
        }
    }
}
