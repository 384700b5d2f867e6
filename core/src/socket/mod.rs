//! Sockets: the endpoints applications read from and write to, and the set
//! that holds them.
//!
//! A [`SocketSet`] owns every socket in caller storage (a borrowed array on
//! bare metal, a `Vec` with `alloc`). The interface borrows the set during
//! `poll` to deliver incoming packets and collect outgoing ones; between
//! polls the application borrows single sockets with [`SocketSet::get_mut`].
//!
//! Incoming packets find their socket through a hash index, never by
//! scanning the set; the index is kept right by binding through the set
//! ([`SocketSet::bind_udp`], [`SocketSet::bind_icmp`], …).
//!
//! # Names
//!
//! Each protocol module names its socket `Socket`, used with the module:
//! [`tcp::Socket`] (a connection), [`tcp::Listener`], [`udp::Socket`],
//! [`icmp::Socket`], [`raw::Socket`] (as smoltcp does). These are the
//! sans-IO sockets a [`SocketSet`] holds; the std-like blocking handles of
//! the threaded runtime (`std` feature) are the ones called `TcpStream`,
//! `TcpListener` and `UdpSocket`, in `rstcp::runtime`. The former names
//! (`tcp::TcpSocket`, `tcp::TcpListener`, `udp::UdpSocket`,
//! `icmp::IcmpSocket`, `raw::RawSocket`) remain as aliases of the same
//! types.

mod binds;
pub mod dhcpv4;
mod due;
pub mod error;
pub mod icmp;
mod index;
pub mod raw;
pub mod tcp;
pub mod udp;
mod waker;

use managed::ManagedSlice;

use crate::time::Instant;
use crate::wire::{IpAddr, IpListenEndpoint, IpProtocol};

pub use self::index::{IndexFull, IndexSlot};
use self::index::{Key, Kind, SocketIndex};

/// A socket of any kind.
///
/// Sockets sit inline in the set's slots (no heap to box them into on bare
/// metal), so every slot is as large as the largest kind, the DHCP client.
#[non_exhaustive]
#[allow(clippy::large_enum_variant)]
pub enum Socket<'a> {
    /// A UDP socket.
    Udp(udp::UdpSocket<'a>),
    /// An ICMP (ping) socket.
    Icmp(icmp::IcmpSocket<'a>),
    /// A raw IP socket.
    Raw(raw::RawSocket<'a>),
    /// The DHCPv4 client.
    Dhcpv4(dhcpv4::Dhcpv4Client),
    /// A TCP connection.
    Tcp(tcp::TcpSocket<'a>),
    /// A listening TCP endpoint.
    TcpListener(tcp::TcpListener<'a>),
}

/// Converts between a concrete socket type and [`Socket`].
pub trait AnySocket<'a>: Sized {
    /// Wraps the socket.
    fn upcast(self) -> Socket<'a>;
    /// The concrete socket, if `socket` is one.
    fn downcast<'c>(socket: &'c Socket<'a>) -> Option<&'c Self>;
    /// The concrete socket, if `socket` is one.
    fn downcast_mut<'c>(socket: &'c mut Socket<'a>) -> Option<&'c mut Self>;
}

macro_rules! any_socket {
    ($ty:ty, $variant:ident) => {
        impl<'a> AnySocket<'a> for $ty {
            fn upcast(self) -> Socket<'a> {
                Socket::$variant(self)
            }
            fn downcast<'c>(socket: &'c Socket<'a>) -> Option<&'c Self> {
                match socket {
                    Socket::$variant(s) => Some(s),
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
            fn downcast_mut<'c>(socket: &'c mut Socket<'a>) -> Option<&'c mut Self> {
                match socket {
                    Socket::$variant(s) => Some(s),
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
        }
    };
}

any_socket!(udp::UdpSocket<'a>, Udp);
any_socket!(icmp::IcmpSocket<'a>, Icmp);
any_socket!(raw::RawSocket<'a>, Raw);
any_socket!(dhcpv4::Dhcpv4Client, Dhcpv4);
any_socket!(tcp::TcpSocket<'a>, Tcp);
any_socket!(tcp::TcpListener<'a>, TcpListener);

/// Names one socket in a [`SocketSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SocketHandle(usize);

impl SocketHandle {
    /// The slot number (for logs).
    pub const fn index(&self) -> usize {
        self.0
    }

    pub(crate) const fn from_index(i: usize) -> SocketHandle {
        SocketHandle(i)
    }
}

/// One slot of a socket set's storage. Make arrays of
/// [`SocketStorage::EMPTY`] for borrowed storage.
pub struct SocketStorage<'a> {
    inner: Option<Item<'a>>,
}

struct Item<'a> {
    socket: Socket<'a>,
    /// The index key this socket is registered under, if bound.
    key: Option<Key>,
    /// Its `poll_at`, while it has not changed (see `due.rs`).
    due: due::Due,
}

impl SocketStorage<'_> {
    /// An empty slot.
    pub const EMPTY: Self = SocketStorage { inner: None };
}

/// Why a socket could not be added or bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SetError {
    /// No free slot in borrowed storage.
    Full,
    /// No such socket, or not of the requested kind.
    BadHandle,
    /// Another socket is bound to the same address and port.
    AddrInUse,
    /// No ephemeral port is free.
    NoPorts,
    /// The socket refused the endpoint (already bound, or unaddressable).
    Refused,
    /// The index storage is full.
    IndexFull,
}

impl core::fmt::Display for SetError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SetError::Full => "socket set full",
            SetError::BadHandle => "no such socket",
            SetError::AddrInUse => "address in use",
            SetError::NoPorts => "no free ephemeral port",
            SetError::Refused => "socket refused the endpoint",
            SetError::IndexFull => "socket index full",
        })
    }
}

impl core::error::Error for SetError {}

/// Which sockets the interface should visit for outgoing data (a stack
/// value, built once per poll: its size is no concern).
#[allow(clippy::large_enum_variant)]
pub(crate) enum Touched {
    /// Every socket.
    All,
    /// Only these slots.
    Some(heapless::Vec<usize, TOUCHED_LEN>),
}

/// The ephemeral port range (RFC 6335 §6: 49152–65535, as IANA suggests).
pub const EPHEMERAL_PORTS: core::ops::RangeInclusive<u16> = 49152..=65535;

/// The sockets of one interface.
///
/// The set holds every socket in storage the caller lends (an array of
/// [`SocketStorage::EMPTY`], or with `alloc` a `Vec` that grows) and finds
/// the socket of each arriving packet through a hash index, also lent.
/// Sockets are added, then bound through the set ([`bind_udp`],
/// [`bind_icmp`], [`listen`]; a connection through
/// [`Interface::tcp_connect`](crate::iface::Interface::tcp_connect)), and
/// reached by handle with [`get_mut`].
///
/// [`bind_udp`]: SocketSet::bind_udp
/// [`bind_icmp`]: SocketSet::bind_icmp
/// [`listen`]: SocketSet::listen
/// [`get_mut`]: SocketSet::get_mut
///
/// # Example
///
/// ```
/// use rstcp::socket::udp::{self, UdpMetadata};
/// use rstcp::socket::{IndexSlot, SocketSet, SocketStorage};
/// use rstcp::storage::{PacketBuffer, PacketMetadata};
///
/// let mut slots = [SocketStorage::EMPTY; 4];
/// // At least twice the number of sockets.
/// let mut index = [IndexSlot::default(); 8];
/// // The seed keys the index hash and picks the first ephemeral port.
/// let mut sockets = SocketSet::new(&mut slots[..], &mut index[..], 0x5eed);
///
/// let (mut rx_meta, mut rx) = ([PacketMetadata::<UdpMetadata>::EMPTY; 4], [0u8; 1500]);
/// let (mut tx_meta, mut tx) = ([PacketMetadata::<UdpMetadata>::EMPTY; 4], [0u8; 1500]);
/// let socket = udp::Socket::new(
///     PacketBuffer::new(&mut rx_meta[..], &mut rx[..]),
///     PacketBuffer::new(&mut tx_meta[..], &mut tx[..]),
/// );
/// let handle = sockets.add(socket).unwrap();
/// let bound = sockets.bind_udp(handle, 5000).unwrap();
/// assert_eq!(bound.port, 5000);
/// // A second socket cannot take the same port.
/// # let (mut rx_meta2, mut rx2) = ([PacketMetadata::<UdpMetadata>::EMPTY; 4], [0u8; 1500]);
/// # let (mut tx_meta2, mut tx2) = ([PacketMetadata::<UdpMetadata>::EMPTY; 4], [0u8; 1500]);
/// # let other = udp::Socket::new(
/// #     PacketBuffer::new(&mut rx_meta2[..], &mut rx2[..]),
/// #     PacketBuffer::new(&mut tx_meta2[..], &mut tx2[..]),
/// # );
/// let other = sockets.add(other).unwrap();
/// assert!(sockets.bind_udp(other, 5000).is_err());
///
/// let socket = sockets.get_mut::<udp::Socket>(handle).unwrap();
/// assert!(!socket.can_recv());
/// sockets.remove(other);
/// ```
pub struct SocketSet<'a> {
    sockets: ManagedSlice<'a, SocketStorage<'a>>,
    index: SocketIndex<'a>,
    next_port: u16,
    dhcp: Option<usize>,
    /// Sockets the application touched since the interface last looked:
    /// only these can have new data to send, so `poll` and `poll_at` visit
    /// them instead of walking the whole set.
    touched: heapless::Vec<usize, TOUCHED_LEN>,
    /// More sockets were touched than `touched` holds: visit them all.
    touched_all: bool,
    /// Sockets touched since [`drain_changed`](Self::drain_changed) last
    /// looked: a frame for them arrived, a timer of theirs ran, or the
    /// application used them. A runtime asks it after each poll to learn
    /// whose readiness may have changed without looking at every socket.
    changed: heapless::Vec<usize, CHANGED_LEN>,
    /// More sockets changed than `changed` holds.
    changed_all: bool,
    /// Every slot below this one is taken, so `add` looks from here: adding
    /// N sockets costs O(N), not O(N²) (a runtime lends thousands).
    first_free: usize,
    /// UDP/ICMP sockets lent out by `get_mut` since the last lookup: they
    /// may have been bound directly (see `binds.rs`).
    binds: heapless::Vec<usize, { binds::BINDS_LEN }>,
    /// More were lent than `binds` holds: re-check every socket.
    binds_all: bool,
    /// Direct binds refused late (see [`SocketSet::bind_conflicts`]).
    bind_conflicts: u64,
}

/// How many touched sockets the set remembers before it falls back to
/// visiting every socket on the next poll.
pub const TOUCHED_LEN: usize = 64;

/// How many changed sockets the set remembers for the runtime's poller
/// (`SocketSet::drain_changed`) before it reports "all".
pub const CHANGED_LEN: usize = 256;

impl<'a> SocketSet<'a> {
    /// A set over `sockets` (a borrowed `[SocketStorage::EMPTY; N]` or, with
    /// `alloc`, a `Vec` that grows) and `index` slots (borrowed: make it at
    /// least twice the socket count; a `Vec` grows by itself). `seed` keys the
    /// index hash and picks the first ephemeral port: give it randomness.
    pub fn new(
        sockets: impl Into<ManagedSlice<'a, SocketStorage<'a>>>,
        index: impl Into<ManagedSlice<'a, IndexSlot>>,
        seed: u64,
    ) -> SocketSet<'a> {
        let span = u64::from(EPHEMERAL_PORTS.end() - EPHEMERAL_PORTS.start()) + 1;
        SocketSet {
            sockets: sockets.into(),
            index: SocketIndex::new(index.into(), seed),
            next_port: EPHEMERAL_PORTS.start() + (seed % span) as u16,
            dhcp: None,
            touched: heapless::Vec::new(),
            touched_all: false,
            changed: heapless::Vec::new(),
            changed_all: false,
            first_free: 0,
            binds: heapless::Vec::new(),
            binds_all: false,
            bind_conflicts: 0,
        }
    }

    /// Adds a socket and returns its handle.
    pub fn add<T: AnySocket<'a>>(&mut self, socket: T) -> Result<SocketHandle, SetError> {
        let socket = socket.upcast();
        let is_dhcp = matches!(socket, Socket::Dhcpv4(_));
        let item = Item {
            socket,
            key: None,
            due: due::Due::Unknown,
        };
        let from = self.first_free.min(self.sockets.len());
        let free = self.sockets[from..].iter().position(|s| s.inner.is_none());
        let slot = match free {
            Some(i) => from + i,
            None => match &mut self.sockets {
                #[cfg(feature = "alloc")]
                ManagedSlice::Owned(v) => {
                    v.push(SocketStorage { inner: None });
                    v.len() - 1
                }
                // Borrowed storage cannot grow. (`managed` may have its own
                // alloc feature on through another crate while ours is off:
                // then `Owned` exists but this crate never builds one.)
                #[allow(unreachable_patterns)]
                _ => return Err(SetError::Full),
            },
        };
        let storage = self.sockets.get_mut(slot).ok_or(SetError::Full)?;
        storage.inner = Some(item);
        if is_dhcp {
            if self.dhcp.is_some() {
                storage.inner = None;
                self.first_free = self.first_free.min(slot);
                return Err(SetError::AddrInUse);
            }
            self.dhcp = Some(slot);
        }
        self.first_free = slot + 1;
        // A socket bound before it was added (`socket.bind(5000)`, then
        // `add`) is registered now, or refused like `bind_udp` would.
        let key = storage
            .inner
            .as_ref()
            .and_then(|it| binds::bound_key(&it.socket));
        if let Some(key) = key {
            if let Err(e) = self.claim(SocketHandle(slot), key, |_| Ok(())) {
                self.remove(SocketHandle(slot));
                return Err(e);
            }
        }
        Ok(SocketHandle(slot))
    }

    /// The socket behind `handle`, if it is a `T`.
    pub fn get<T: AnySocket<'a>>(&self, handle: SocketHandle) -> Option<&T> {
        let item = self.sockets.get(handle.0)?.inner.as_ref()?;
        T::downcast(&item.socket)
    }

    /// The socket behind `handle`, if it is a `T`.
    pub fn get_mut<T: AnySocket<'a>>(&mut self, handle: SocketHandle) -> Option<&mut T> {
        self.touch(handle.0);
        let item = self.sockets.get(handle.0)?.inner.as_ref()?;
        if matches!(item.socket, Socket::Udp(_) | Socket::Icmp(_)) {
            self.note_bind(handle.0);
        }
        let item = self.item_mut(handle.0)?;
        T::downcast_mut(&mut item.socket)
    }

    /// Removes a socket and gives it back.
    pub fn remove(&mut self, handle: SocketHandle) -> Option<Socket<'a>> {
        let item = self.sockets.get_mut(handle.0)?.inner.take()?;
        self.first_free = self.first_free.min(handle.0);
        if let Some(key) = item.key {
            if self.index.get(&key) == Some(handle.0) {
                self.index.remove(&key);
            }
        }
        if self.dhcp == Some(handle.0) {
            self.dhcp = None;
        }
        Some(item.socket)
    }

    /// Gives back the memory of free slots at the end of a set over a
    /// growable `Vec` (a set that grew for a burst of connections): the
    /// trailing free slots are dropped, and the storage shrinks once less
    /// than half of it is in use. Every handle in use stays valid; a set
    /// over borrowed storage is left as it is. Returns the slots kept.
    pub fn trim(&mut self) -> usize {
        #[cfg(feature = "alloc")]
        if let ManagedSlice::Owned(v) = &mut self.sockets {
            while v.last().is_some_and(|s| s.inner.is_none()) {
                v.pop();
            }
            if v.len() < v.capacity() / 2 {
                v.shrink_to_fit();
            }
            self.first_free = self.first_free.min(v.len());
        }
        self.sockets.len()
    }

    /// How many sockets the set holds.
    pub fn len(&self) -> usize {
        self.sockets.iter().filter(|s| s.inner.is_some()).count()
    }

    /// True when the set holds no socket.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every socket with its handle.
    pub fn iter(&self) -> impl Iterator<Item = (SocketHandle, &Socket<'a>)> {
        self.sockets
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.inner.as_ref().map(|it| (SocketHandle(i), &it.socket)))
    }

    /// Every socket with its handle.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (SocketHandle, &mut Socket<'a>)> {
        self.touched_all = true;
        self.changed_all = true;
        self.sockets.iter_mut().enumerate().filter_map(|(i, s)| {
            s.inner.as_mut().map(|it| {
                it.due = due::Due::Unknown;
                (SocketHandle(i), &mut it.socket)
            })
        })
    }

    /// Binds a UDP socket. Port 0 picks a free ephemeral port. Returns the
    /// endpoint bound.
    pub fn bind_udp(
        &mut self,
        handle: SocketHandle,
        endpoint: impl Into<IpListenEndpoint>,
    ) -> Result<IpListenEndpoint, SetError> {
        self.claim_port(handle, Kind::Udp, endpoint.into(), |s, ep| match s {
            Socket::Udp(u) => u.bind(ep).map_err(|_| SetError::Refused),
            _ => Err(SetError::BadHandle),
        })
    }

    /// Binds an ICMP socket to an echo identifier.
    pub fn bind_icmp(&mut self, handle: SocketHandle, ident: u16) -> Result<(), SetError> {
        let key = Key {
            kind: Kind::Icmp,
            port: ident,
            addr: None,
            remote: None,
        };
        self.claim(handle, key, |s| match s {
            Socket::Icmp(i) => i
                .bind(icmp::IcmpEndpoint::Ident(ident))
                .map_err(|_| SetError::Refused),
            _ => Err(SetError::BadHandle),
        })
    }

    /// Registers a raw socket for its IP version and protocol (one socket
    /// per pair).
    pub fn bind_raw(&mut self, handle: SocketHandle) -> Result<(), SetError> {
        let (version, protocol) = match self.get::<raw::RawSocket>(handle) {
            Some(r) => (r.ip_version(), r.ip_protocol()),
            None => return Err(SetError::BadHandle),
        };
        let key = raw_key(version, protocol);
        self.claim(handle, key, |_| Ok(()))
    }

    /// Claims `ep` for `handle` among the sockets of `kind`, picking an
    /// ephemeral port for port 0, and lets `bind` set it on the socket.
    /// Returns the endpoint claimed.
    fn claim_port(
        &mut self,
        handle: SocketHandle,
        kind: Kind,
        mut ep: IpListenEndpoint,
        bind: impl FnOnce(&mut Socket<'a>, IpListenEndpoint) -> Result<(), SetError>,
    ) -> Result<IpListenEndpoint, SetError> {
        if ep.port == 0 {
            ep.port = self.free_port(kind, ep.addr)?;
        }
        let key = Key {
            kind,
            port: ep.port,
            addr: ep.addr,
            remote: None,
        };
        self.claim(handle, key, |s| bind(s, ep))?;
        Ok(ep)
    }

    fn claim(
        &mut self,
        handle: SocketHandle,
        key: Key,
        bind: impl FnOnce(&mut Socket<'a>) -> Result<(), SetError>,
    ) -> Result<(), SetError> {
        if let Some(other) = self.index.get(&key) {
            if other != handle.0 && self.is_live(other, &key) {
                return Err(SetError::AddrInUse);
            }
        }
        let item = self.item_mut(handle.0).ok_or(SetError::BadHandle)?;
        bind(&mut item.socket)?;
        let old = item.key.replace(key);
        // The old key may belong to another socket by now (this one was
        // closed, the other took it): remove it only if it is still ours,
        // as `remove` does.
        if let Some(old) = old {
            if self.index.get(&old) == Some(handle.0) {
                self.index.remove(&old);
            }
        }
        self.index
            .insert(key, handle.0)
            .map_err(|_| SetError::IndexFull)
    }

    /// True when socket `i` is open and still registered under `key`.
    #[inline]
    fn is_live(&self, i: usize, key: &Key) -> bool {
        let Some(item) = self.sockets.get(i).and_then(|s| s.inner.as_ref()) else {
            return false;
        };
        item.key == Some(*key)
            && match &item.socket {
                Socket::Udp(u) => u.is_open(),
                Socket::Icmp(s) => s.is_open(),
                Socket::Tcp(t) => t.state() != tcp::State::Closed,
                Socket::TcpListener(l) => l.is_open(),
                _ => true,
            }
    }

    fn free_port(&mut self, kind: Kind, addr: Option<IpAddr>) -> Result<u16, SetError> {
        let span = u32::from(EPHEMERAL_PORTS.end() - EPHEMERAL_PORTS.start()) + 1;
        for _ in 0..span {
            let port = self.next_port;
            self.next_port = if port == *EPHEMERAL_PORTS.end() {
                *EPHEMERAL_PORTS.start()
            } else {
                port + 1
            };
            let taken = [addr, None].iter().any(|a| {
                let key = Key {
                    kind,
                    port,
                    addr: *a,
                    remote: None,
                };
                self.index.get(&key).is_some_and(|i| self.is_live(i, &key))
            });
            if !taken {
                return Ok(port);
            }
        }
        Err(SetError::NoPorts)
    }

    /// Remembers that socket `i` may have something to send.
    pub(crate) fn touch(&mut self, i: usize) {
        // Every segment of a burst touches the same socket again: it is then
        // the newest entry of both records, and the searches below would
        // only find it there.
        if self.touched.last() == Some(&i) && self.changed.last() == Some(&i) {
            return;
        }
        if !self.touched_all && !self.touched.contains(&i) && self.touched.push(i).is_err() {
            self.touched_all = true;
        }
        // The last few first: a socket touched again in a row (every
        // segment of a burst) is found at once.
        if !self.changed_all
            && !self.changed.iter().rev().take(8).any(|&c| c == i)
            && self.changed.push(i).is_err()
        {
            self.changed_all = true;
        }
    }

    /// Hands `f` the slots of the sockets touched since the last call (a
    /// frame, a timer, or the application), and clears the record; false
    /// for "maybe all" (then `f` is not called): more than [`CHANGED_LEN`]
    /// were, or `iter_mut` lent them all. A slot may be handed twice. For
    /// the std runtime, which wakes whoever waits on a socket; it asks after
    /// every poll, so the record is walked in place, not copied out (2 KiB).
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub(crate) fn drain_changed(&mut self, mut f: impl FnMut(usize)) -> bool {
        let all = core::mem::take(&mut self.changed_all);
        if !all {
            self.changed.iter().for_each(|&i| f(i));
        }
        self.changed.clear();
        !all
    }

    /// The sockets that may have something to send: the touched ones and
    /// the DHCP client (it has timers of its own). Clears the record; the
    /// interface touches again those it could not finish.
    #[cfg(all(test, feature = "alloc"))]
    pub(crate) fn take_touched(&mut self) -> Touched {
        let mut list = heapless::Vec::new();
        if self.take_touched_into(&mut list) {
            Touched::All
        } else {
            Touched::Some(list)
        }
    }

    /// [`take_touched`](Self::take_touched) into the caller's (empty)
    /// `list`, copying only the slots listed: the hot path of every poll
    /// would otherwise move the whole array twice. Returns true for "all".
    pub(crate) fn take_touched_into(
        &mut self,
        list: &mut heapless::Vec<usize, TOUCHED_LEN>,
    ) -> bool {
        list.clear();
        if core::mem::take(&mut self.touched_all) {
            self.touched.clear();
            return true;
        }
        // Fits: both have the same capacity.
        let _ = list.extend_from_slice(&self.touched);
        self.touched.clear();
        if let Some(d) = self.dhcp {
            if !list.contains(&d) && list.push(d).is_err() {
                return true;
            }
        }
        false
    }

    /// True when no socket was touched and no DHCP client is set: the
    /// socket walk of `poll` has nothing to visit (checked before it sets
    /// up its list).
    #[inline]
    pub(crate) fn nothing_touched(&self) -> bool {
        !self.touched_all && self.touched.is_empty() && self.dhcp.is_none()
    }

    /// The slots touched since the last walk, looked at in place, with the
    /// DHCP client's (walked on every poll); `None` for "maybe all".
    /// (Only the runtime's send poll asks.)
    #[cfg(feature = "std")]
    pub(crate) fn touched_slots(&self) -> Option<impl Iterator<Item = usize> + '_> {
        (!self.touched_all).then(|| self.touched.iter().copied().chain(self.dhcp))
    }

    /// Like [`take_touched`](Self::take_touched) without clearing.
    pub(crate) fn peek_touched(&self) -> Touched {
        if self.touched_all {
            return Touched::All;
        }
        let mut list = self.touched.clone();
        if let Some(d) = self.dhcp {
            if !list.contains(&d) && list.push(d).is_err() {
                return Touched::All;
            }
        }
        Touched::Some(list)
    }

    /// The socket in slot `i`.
    pub(crate) fn slot_mut(&mut self, i: usize) -> Option<&mut Socket<'a>> {
        Some(&mut self.item_mut(i)?.socket)
    }

    /// Slot `i`'s socket, lent out to be changed: what the slot remembers
    /// of its deadline no longer holds. Every mutable path to a socket
    /// goes through here (see `due.rs`).
    fn item_mut(&mut self, i: usize) -> Option<&mut Item<'a>> {
        let item = self.sockets.get_mut(i)?.inner.as_mut()?;
        item.due = due::Due::Unknown;
        Some(item)
    }

    /// Slot `i`'s `poll_at(now)` if it is remembered (see `due.rs`):
    /// `None` when the socket must be asked.
    pub(crate) fn known_poll_at(&self, i: usize, now: Instant) -> Option<Option<Instant>> {
        self.sockets.get(i)?.inner.as_ref()?.due.at(now)
    }

    /// Remembers that slot `i`'s socket answered `at` to `poll_at(now)`,
    /// asked since it was last lent out.
    pub(crate) fn remember_poll_at(&mut self, i: usize, now: Instant, at: Option<Instant>) {
        if let Some(item) = self.sockets.get_mut(i).and_then(|s| s.inner.as_mut()) {
            item.due = due::Due::of(&item.socket, now, at);
        }
    }

    /// The socket in slot `i`.
    pub(crate) fn slot(&self, i: usize) -> Option<&Socket<'a>> {
        Some(&self.sockets.get(i)?.inner.as_ref()?.socket)
    }

    /// Number of slots (used or free).
    pub(crate) fn slots(&self) -> usize {
        self.sockets.len()
    }

    /// The UDP socket for a datagram to `addr:port`: one bound to exactly
    /// that address first, then one bound to every address.
    pub(crate) fn udp_for(&mut self, addr: &IpAddr, port: u16) -> Option<&mut udp::UdpSocket<'a>> {
        self.sync_binds();
        let exact = Key {
            kind: Kind::Udp,
            port,
            addr: Some(*addr),
            remote: None,
        };
        let any = Key {
            addr: None,
            ..exact
        };
        // The exact lookup only when some UDP socket is bound to one
        // address: most bind to every address, and a miss costs a hash.
        let keys = if self.index.holds(Kind::Udp, true) {
            &[exact, any][..]
        } else {
            &[any][..]
        };
        let i = keys
            .iter()
            .find_map(|k| self.index.get(k).filter(|i| self.is_live(*i, k)))?;
        match &mut self.item_mut(i)?.socket {
            Socket::Udp(u) => Some(u),
            _ => None,
        }
    }

    /// The ICMP socket bound to an echo identifier.
    pub(crate) fn icmp_for(&mut self, ident: u16) -> Option<&mut icmp::IcmpSocket<'a>> {
        self.sync_binds();
        if !self.index.holds(Kind::Icmp, false) {
            return None;
        }
        let key = Key {
            kind: Kind::Icmp,
            port: ident,
            addr: None,
            remote: None,
        };
        let i = self.index.get(&key).filter(|i| self.is_live(*i, &key))?;
        match &mut self.item_mut(i)?.socket {
            Socket::Icmp(s) => Some(s),
            _ => None,
        }
    }

    /// The raw socket for an IP version and protocol.
    pub(crate) fn raw_for(
        &mut self,
        version: raw::IpVersion,
        protocol: IpProtocol,
    ) -> Option<&mut raw::RawSocket<'a>> {
        if !self.index.holds(Kind::Raw, false) {
            return None;
        }
        let key = raw_key(version, protocol);
        let i = self.index.get(&key).filter(|i| self.is_live(*i, &key))?;
        match &mut self.item_mut(i)?.socket {
            Socket::Raw(s) => Some(s),
            _ => None,
        }
    }

    /// Makes a listener listen on `endpoint` (port 0 picks an ephemeral one).
    pub fn listen(
        &mut self,
        handle: SocketHandle,
        endpoint: impl Into<IpListenEndpoint>,
    ) -> Result<IpListenEndpoint, SetError> {
        self.claim_port(handle, Kind::Tcp, endpoint.into(), |s, ep| match s {
            Socket::TcpListener(l) => {
                l.set_endpoint(ep);
                Ok(())
            }
            _ => Err(SetError::BadHandle),
        })
    }

    /// A free local port for a TCP connection from `local` (ephemeral range).
    pub(crate) fn tcp_port(&mut self, local: IpAddr) -> Result<u16, SetError> {
        self.free_port(Kind::Tcp, Some(local))
    }

    /// Registers a TCP connection's 4-tuple (after connect or accept).
    pub(crate) fn register_tcp(
        &mut self,
        handle: SocketHandle,
        local: crate::wire::IpEndpoint,
        remote: crate::wire::IpEndpoint,
    ) -> Result<(), SetError> {
        let key = Key {
            kind: Kind::Tcp,
            port: local.port,
            addr: Some(local.addr),
            remote: Some(remote),
        };
        // The socket already holds its endpoints: only the key changes.
        self.claim(handle, key, |_| Ok(()))
    }

    /// The socket a TCP segment from `remote` to `local` belongs to: the
    /// connection for its 4-tuple, else a listener on the address, else one
    /// on every address.
    pub(crate) fn tcp_for(
        &self,
        local: &crate::wire::IpEndpoint,
        remote: &crate::wire::IpEndpoint,
    ) -> Option<(SocketHandle, bool)> {
        let conn = Key {
            kind: Kind::Tcp,
            port: local.port,
            addr: Some(local.addr),
            remote: Some(*remote),
        };
        if let Some(i) = self.index.get(&conn).filter(|i| self.is_live(*i, &conn)) {
            return Some((SocketHandle(i), true));
        }
        let exact = Key {
            remote: None,
            ..conn
        };
        let any = Key {
            addr: None,
            ..exact
        };
        [exact, any]
            .iter()
            .find_map(|k| self.index.get(k).filter(|i| self.is_live(*i, k)))
            .map(|i| (SocketHandle(i), false))
    }

    /// The DHCPv4 client, if the set holds one.
    pub(crate) fn dhcp(&mut self) -> Option<&mut dhcpv4::Dhcpv4Client> {
        let i = self.dhcp?;
        match &mut self.item_mut(i)?.socket {
            Socket::Dhcpv4(d) => Some(d),
            _ => None,
        }
    }
}

fn raw_key(version: raw::IpVersion, protocol: IpProtocol) -> Key {
    let v: u16 = match version {
        raw::IpVersion::Ipv4 => 4,
        raw::IpVersion::Ipv6 => 6,
    };
    Key {
        kind: Kind::Raw,
        port: v << 8 | u16::from(u8::from(protocol)),
        addr: None,
        remote: None,
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    extern crate std;
    use super::*;
    use crate::storage::{PacketBuffer, PacketMetadata};
    use std::vec;

    fn udp() -> udp::UdpSocket<'static> {
        let buf = || PacketBuffer::new(vec![PacketMetadata::EMPTY; 2], vec![0u8; 64]);
        udp::UdpSocket::new(buf(), buf())
    }

    fn list(t: Touched) -> Option<std::vec::Vec<usize>> {
        match t {
            Touched::All => None,
            Touched::Some(l) => Some(l.into_iter().collect()),
        }
    }

    #[test]
    fn only_touched_sockets_are_visited_and_overflow_means_all() {
        let mut set = SocketSet::new(vec![], vec![], 1);
        let handles: std::vec::Vec<_> = (0..100).map(|_| set.add(udp()).unwrap()).collect();
        let _ = set.take_touched();
        assert_eq!(list(set.take_touched()), Some(vec![]));
        set.get_mut::<udp::UdpSocket>(handles[42]).unwrap();
        set.get_mut::<udp::UdpSocket>(handles[7]).unwrap();
        set.get_mut::<udp::UdpSocket>(handles[42]).unwrap();
        assert_eq!(list(set.peek_touched()), Some(vec![42, 7]));
        assert_eq!(list(set.take_touched()), Some(vec![42, 7]));
        assert_eq!(list(set.take_touched()), Some(vec![]), "taking clears");
        for h in &handles[..TOUCHED_LEN + 1] {
            set.get_mut::<udp::UdpSocket>(*h).unwrap();
        }
        assert_eq!(list(set.take_touched()), None, "too many: visit all");
        let _ = set.iter_mut().count();
        assert_eq!(list(set.take_touched()), None, "iter_mut may touch any");
    }

    #[test]
    fn freed_slots_are_reused_lowest_first() {
        let mut set = SocketSet::new(vec![], vec![], 1);
        let h: std::vec::Vec<_> = (0..5).map(|_| set.add(udp()).unwrap()).collect();
        assert_eq!(
            h.iter().map(|h| h.0).collect::<std::vec::Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
        set.remove(h[3]).unwrap();
        set.remove(h[1]).unwrap();
        assert_eq!(set.add(udp()).unwrap().0, 1, "the lowest free slot");
        assert_eq!(set.add(udp()).unwrap().0, 3);
        assert_eq!(set.add(udp()).unwrap().0, 5, "then the end");
        // A full borrowed set says so, and a removal makes room again.
        let mut storage = [SocketStorage::EMPTY, SocketStorage::EMPTY];
        let mut index = [IndexSlot::default(); 4];
        let mut set = SocketSet::new(&mut storage[..], &mut index[..], 1);
        let a = set.add(udp()).unwrap();
        set.add(udp()).unwrap();
        assert_eq!(set.add(udp()).err(), Some(SetError::Full));
        set.remove(a).unwrap();
        assert_eq!(set.add(udp()).unwrap(), a);
    }

    #[test]
    fn binding_checks_the_index_for_conflicts() {
        let mut set = SocketSet::new(vec![], vec![], 1);
        let a = set.add(udp()).unwrap();
        let b = set.add(udp()).unwrap();
        assert_eq!(set.bind_udp(a, 7).unwrap().port, 7);
        assert_eq!(set.bind_udp(b, 7), Err(SetError::AddrInUse));
        let eph = set.bind_udp(b, 0).unwrap();
        assert!(EPHEMERAL_PORTS.contains(&eph.port));
        set.remove(a).unwrap();
        let c = set.add(udp()).unwrap();
        assert_eq!(set.bind_udp(c, 7).unwrap().port, 7, "freed by remove");
    }

    #[test]
    fn changed_sockets_are_recorded_until_taken_and_overflow_means_all() {
        let mut set = SocketSet::new(vec![], vec![], 1);
        let h: std::vec::Vec<_> = (0..CHANGED_LEN + 1)
            .map(|_| set.add(udp()).unwrap())
            .collect();
        let take = |set: &mut SocketSet<'_>| {
            let mut list = std::vec::Vec::new();
            set.drain_changed(|i| list.push(i)).then_some(list)
        };
        assert_eq!(take(&mut set).map(|l| l.len()), Some(0));
        set.get_mut::<udp::UdpSocket>(h[3]).unwrap();
        set.get_mut::<udp::UdpSocket>(h[3]).unwrap();
        set.get_mut::<udp::UdpSocket>(h[1]).unwrap();
        assert_eq!(take(&mut set).unwrap(), [3, 1]);
        assert_eq!(take(&mut set).map(|l| l.len()), Some(0), "cleared");
        for &s in &h {
            set.get_mut::<udp::UdpSocket>(s).unwrap();
        }
        assert!(take(&mut set).is_none(), "too many: look at all");
        assert_eq!(take(&mut set).map(|l| l.len()), Some(0));
    }

    #[test]
    fn reusing_a_closed_socket_leaves_its_old_key_to_the_new_owner() {
        // A closed socket kept for reuse (the std runtime keeps spares)
        // still holds its old key; another socket has since taken that
        // key. Binding the closed one elsewhere must not unregister the
        // other socket.
        let mut set = SocketSet::new(vec![], vec![], 1);
        let a = set.add(udp()).unwrap();
        let b = set.add(udp()).unwrap();
        set.bind_udp(a, 7).unwrap();
        set.get_mut::<udp::UdpSocket>(a).unwrap().close();
        set.bind_udp(b, 7).unwrap();
        set.bind_udp(a, 8).unwrap();
        let v4 = IpAddr::V4(crate::wire::Ipv4Addr::new(192, 168, 69, 1));
        assert!(
            set.udp_for(&v4, 7).is_some(),
            "port 7 still reaches the socket bound to it"
        );
        let c = set.add(udp()).unwrap();
        assert_eq!(set.bind_udp(c, 7), Err(SetError::AddrInUse));
    }
}
