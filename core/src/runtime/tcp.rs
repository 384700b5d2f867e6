//! Blocking TCP: [`TcpStream`] and [`TcpListener`], shaped like `std::net`'s.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::error;
use super::options::{check_timeout, SocketOptions};
use super::stack::{Core, Deadline, Expired, Shared, Stack, Watch};
use super::{endpoint_to_socket_addr, ListenAddr};
use crate::socket::tcp::{State, TcpApiError, TcpStats};
use crate::socket::SocketHandle;
use crate::wire::{IpEndpoint, IpListenEndpoint};

/// A TCP connection (like `std::net::TcpStream`).
///
/// Reads and writes block until data or room is there, the timeout set
/// passes (`WouldBlock`, as `std` on Unix) or, in nonblocking mode, return
/// `WouldBlock` at once. Both also work through `&TcpStream`, so one thread
/// can read while another writes.
///
/// Dropping the stream closes the connection gracefully: queued data is
/// sent, then a FIN; the stack frees the socket once the connection is
/// CLOSED (after TIME-WAIT if this side closed first).
pub struct TcpStream {
    shared: Arc<Shared>,
    handle: SocketHandle,
    options: SocketOptions,
    /// `shutdown(Read)`: reads return end of stream.
    read_shut: AtomicBool,
}

/// A TCP socket listening for connections (like `std::net::TcpListener`).
///
/// The stack keeps `backlog` closed sockets lent to the listener, so up to
/// `backlog` handshakes can complete before [`accept`](Self::accept) is
/// called; each `accept` lends a new one.
pub struct TcpListener {
    shared: Arc<Shared>,
    handle: SocketHandle,
    local: SocketAddr,
    nonblocking: AtomicBool,
}

fn expired(e: Expired, what: &str) -> io::Error {
    match e {
        Expired::WouldBlock => error::would_block(what),
        Expired::TimedOut => error::timed_out(ErrorKind::WouldBlock, what),
    }
}

impl TcpStream {
    /// Opens a connection to `addr`, waiting as long as TCP retries the
    /// handshake. Fails with `ConnectionRefused` when the peer answers with
    /// a reset or ICMP reports the port unreachable.
    ///
    /// `addr` is a `SocketAddr` (or `([192, 168, 69, 2], 7)` and the like),
    /// or a name and a port (`("host.lan", 80)`, `"host.lan:80"`) resolved
    /// by the stack's DNS servers ([`ToStackAddrs`](super::ToStackAddrs));
    /// each address is tried in turn, and the last error is returned.
    pub fn connect(stack: &Stack, addr: impl super::ToStackAddrs) -> io::Result<TcpStream> {
        super::dns::each_addr(stack, addr, |a| Self::open(stack, a, None))
    }

    /// [`connect`](Self::connect) to one address that gives up with
    /// `TimedOut` after `timeout` (as std's, a `SocketAddr`: resolve a name
    /// first with [`lookup_host`](super::lookup_host)).
    pub fn connect_timeout(
        stack: &Stack,
        addr: &SocketAddr,
        timeout: Duration,
    ) -> io::Result<TcpStream> {
        check_timeout(Some(timeout))?;
        Self::open(stack, *addr, Some(timeout))
    }

    fn open(stack: &Stack, addr: SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
        let shared = stack.shared();
        let handle = Self::begin_connect(shared, addr)?;
        let deadline = Deadline::new(false, timeout);
        let r = shared.block(deadline, Watch::Socket(handle), |core| {
            Self::connected(core, handle)
        });
        match r {
            Ok(Ok(())) => Ok(TcpStream::from_handle(shared.clone(), handle)),
            Ok(Err(_)) => {
                Self::discard(shared, handle);
                Err(io::Error::new(
                    ErrorKind::TimedOut,
                    std::format!("connecting to {addr} timed out"),
                ))
            }
            Err(e) => {
                Self::discard(shared, handle);
                Err(e)
            }
        }
    }

    /// Sends the SYN of a new connection to `addr`; the handshake goes on
    /// without the caller.
    pub(super) fn begin_connect(shared: &Shared, addr: SocketAddr) -> io::Result<SocketHandle> {
        let remote = IpEndpoint::new(addr.ip(), addr.port());
        shared.with(|core| {
            let h = core.new_tcp()?;
            let now = core.now();
            let Core { iface, sockets, .. } = core;
            match iface.tcp_connect(now, sockets, h, remote, 0) {
                Ok(_) => {
                    core.kick();
                    Ok(h)
                }
                Err(e) => {
                    core.remove(h);
                    Err(error::connect(e))
                }
            }
        })
    }

    /// Whether the handshake of `handle` is over: `None` while it goes on,
    /// the error that ended it.
    pub(super) fn connected(core: &Core, handle: SocketHandle) -> io::Result<Option<()>> {
        let s = core.tcp_ref(handle)?;
        match s.state() {
            State::SynSent | State::SynReceived => Ok(None),
            State::Closed => Err(match s.error() {
                Some(e) => error::tcp(e),
                None => io::Error::new(
                    ErrorKind::ConnectionAborted,
                    "the connection closed during the handshake",
                ),
            }),
            _ => Ok(Some(())),
        }
    }

    /// Drops a connection attempt: reset if it got anywhere, then freed.
    pub(super) fn discard(shared: &Shared, handle: SocketHandle) {
        shared.release(|core| {
            if let Ok(s) = core.tcp(handle) {
                s.abort();
            }
            core.orphan(handle);
        });
    }

    pub(crate) fn from_handle(shared: Arc<Shared>, handle: SocketHandle) -> TcpStream {
        TcpStream {
            shared,
            handle,
            options: SocketOptions::default(),
            read_shut: AtomicBool::new(false),
        }
    }

    pub(crate) fn handle(&self) -> SocketHandle {
        self.handle
    }

    /// For the adapters to other traits (async, embedded-io): unused by
    /// the `std` feature alone (embedded-nal goes through `Stack`).
    #[cfg_attr(not(any(feature = "async", feature = "embedded-io")), allow(dead_code))]
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// True once the read side was shut down (embedded-io's `read`).
    #[cfg_attr(not(feature = "embedded-io"), allow(dead_code))]
    pub(crate) fn is_read_shut(&self) -> bool {
        self.read_shut.load(Ordering::Acquire)
    }

    /// The remote end.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        let ep = self.shared.lock().tcp_ref(self.handle)?.remote_endpoint();
        ep.map(endpoint_to_socket_addr)
            .ok_or_else(|| io::Error::new(ErrorKind::NotConnected, "no remote endpoint"))
    }

    /// The local end.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        let ep = self.shared.lock().tcp_ref(self.handle)?.local_endpoint();
        ep.map(endpoint_to_socket_addr)
            .ok_or_else(|| io::Error::new(ErrorKind::NotConnected, "no local endpoint"))
    }

    /// Shuts down the write side (a FIN after the queued data), the read
    /// side (later reads return 0), or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        if matches!(how, Shutdown::Read | Shutdown::Both) {
            self.read_shut.store(true, Ordering::Release);
            // A read already blocked on this stream returns 0 now, as on
            // Linux, rather than at its next wake.
            let h = self.handle;
            self.shared.release(|core| core.wake_socket(h));
        }
        if matches!(how, Shutdown::Write | Shutdown::Both) {
            let h = self.handle;
            self.shared.with(|core| {
                core.tcp(h)?.shutdown();
                core.kick();
                Ok(())
            })?;
        }
        Ok(())
    }

    /// How long a read waits (`None`: forever). Zero is refused, as by std.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.options.set_read_timeout(timeout)
    }

    /// How long a write waits for room (`None`: forever).
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.options.set_write_timeout(timeout)
    }

    /// The read timeout.
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.options.get().read_timeout)
    }

    /// The write timeout.
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.options.get().write_timeout)
    }

    /// In nonblocking mode reads and writes that would wait fail with
    /// `WouldBlock` instead.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.options.set_nonblocking(nonblocking)
    }

    /// Turns Nagle's algorithm off (`TCP_NODELAY`) or back on.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        let h = self.handle;
        self.shared.with(|core| {
            core.tcp(h)?.set_nodelay(nodelay);
            core.kick();
            Ok(())
        })
    }

    /// True when Nagle's algorithm is off.
    pub fn nodelay(&self) -> io::Result<bool> {
        let h = self.handle;
        self.shared.with(|core| {
            let nagle = core.tcp(h)?.config_mut().nagle;
            Ok(!nagle)
        })
    }

    /// The connection's statistics (RTT, congestion window, retransmits …).
    pub fn stats(&self) -> TcpStats {
        let core = self.shared.lock();
        core.tcp_ref(self.handle)
            .map(|s| s.stats())
            .unwrap_or_default()
    }

    /// The connection's state (for diagnostics).
    pub fn state(&self) -> State {
        let core = self.shared.lock();
        core.tcp_ref(self.handle)
            .map_or(State::Closed, |s| s.state())
    }

    fn read_inner(&self, buf: &mut [u8]) -> io::Result<usize> {
        let o = self.options.get();
        if buf.is_empty() || self.read_shut.load(Ordering::Acquire) {
            return Ok(0);
        }
        // A blocked read drives the device (`drive.rs`): its own thread
        // reads the frames, polls and copies the data out, where the
        // stack's thread would read and poll and then wake it (issue 10,
        // receiving through the impaired link: the stack's thread and the
        // reader took 3.1 ms of CPU per MB between them, one thread 2.4;
        // no futex wake per batch, and the data the poll wrote into the
        // ring is still in this CPU's cache when the read copies it).
        let r = self.shared.block_driving(
            Deadline::new(o.nonblocking, o.read_timeout),
            Watch::Socket(self.handle),
            true,
            |core| self.try_read(core, buf),
        )?;
        r.map_err(|e| expired(e, "read"))
    }

    /// One try at a read: `None` when it has to wait.
    pub(super) fn try_read(&self, core: &mut Core, buf: &mut [u8]) -> io::Result<Option<usize>> {
        let h = self.handle;
        if self.read_shut.load(Ordering::Acquire) {
            return Ok(Some(0));
        }
        // Look without touching: only a read marks the socket for
        // the next poll (its window may open).
        let s = core.tcp_ref(h)?;
        if s.can_recv() {
            let now = core.now();
            let s = core.tcp(h)?;
            let n = s.recv_slice(buf).map_err(api_error)?;
            // The read opened the window enough to announce
            // (RFC 9293 §3.8.6.2.2): send that now. Else nothing
            // changed that the interface must act on.
            if s.poll_at(now) == Some(now) {
                core.kick();
            }
            return Ok(Some(n));
        }
        if let Some(e) = s.error() {
            return Err(error::tcp(e));
        }
        if s.recv_finished() {
            return Ok(Some(0));
        }
        Ok(None)
    }

    fn write_inner(&self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let o = self.options.get();
        let r = self.shared.block(
            Deadline::new(o.nonblocking, o.write_timeout),
            Watch::Socket(self.handle),
            |core| self.try_write(core, buf),
        )?;
        r.map_err(|e| expired(e, "write"))
    }

    /// One try at a write: `None` when it has to wait for room.
    pub(super) fn try_write(&self, core: &mut Core, buf: &[u8]) -> io::Result<Option<usize>> {
        let s = core.tcp(self.handle)?;
        match s.send_slice(buf) {
            Ok(0) => Ok(None),
            Ok(n) => {
                core.kick();
                Ok(Some(n))
            }
            Err(TcpApiError::Failed(e)) => Err(error::broken_pipe(&std::format!("{e}"))),
            Err(_) => Err(error::broken_pipe(match s.state() {
                State::Closed | State::TimeWait => "the connection is closed",
                _ => "the connection is shut down for writing",
            })),
        }
    }
}

fn api_error(e: TcpApiError) -> io::Error {
    match e {
        TcpApiError::Failed(e) => error::tcp(e),
        e => io::Error::new(ErrorKind::NotConnected, e),
    }
}

impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_inner(buf)
    }
}

impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_inner(buf)
    }

    /// Data is handed to the stack by `write`; there is nothing to flush.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_inner(buf)
    }
}

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_inner(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        let h = self.handle;
        self.shared.release(|core| {
            core.registry.forget(h);
            if let Ok(s) = core.tcp(h) {
                // RFC 2525 §2.17 (and Linux): closing with data the
                // application never read resets the connection, so the
                // peer learns that what it sent was lost rather than
                // taking a FIN for "all delivered".
                if s.recv_queue() > 0 {
                    s.abort();
                } else {
                    s.close();
                }
            }
            core.orphan(h);
        });
    }
}

impl core::fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("state", &self.state())
            .finish()
    }
}

impl TcpListener {
    /// Listens on `addr` (a port, or a `SocketAddr` whose unspecified
    /// address means every local address; port 0 picks a free one), with
    /// room for `backlog` connections waiting for `accept`. Fails with
    /// `AddrInUse` when another listener has the port.
    pub fn bind(stack: &Stack, addr: impl ListenAddr, backlog: usize) -> io::Result<TcpListener> {
        let shared = stack.shared();
        let endpoint: IpListenEndpoint = addr.listen_endpoint();
        let (handle, ep) = shared.with(|core| core.listen(endpoint, backlog))?;
        Ok(TcpListener {
            shared: shared.clone(),
            handle,
            local: super::listen_to_socket_addr(ep, addr.is_ipv6()),
            nonblocking: AtomicBool::new(false),
        })
    }

    /// The address listened on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }

    pub(crate) fn handle(&self) -> SocketHandle {
        self.handle
    }

    /// Waits for the next connection (in nonblocking mode: `WouldBlock` when
    /// there is none).
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let deadline = Deadline::new(self.nonblocking.load(Ordering::Relaxed), None);
        let r = self
            .shared
            .block(deadline, Watch::Socket(self.handle), |core| {
                self.try_accept(core)
            })?;
        r.map_err(|e| expired(e, "accept"))
    }

    /// One try at an accept: `None` when no connection waits.
    pub(super) fn try_accept(
        &self,
        core: &mut Core,
    ) -> io::Result<Option<(TcpStream, SocketAddr)>> {
        let h = self.handle;
        let got = self.listener(core)?.accept();
        let Some(c) = got else { return Ok(None) };
        // Lend a socket in place of the one taken. At the socket limit
        // the pool stays short (handshakes then overflow and are
        // counted); the connection taken is still returned. Nothing
        // here is for the interface to send (a handshake kept for want
        // of room completes on its own timer), so no poll: one fewer
        // per connection.
        let _ = core.top_up_listener(h);
        let remote = core.tcp_ref(c)?.remote_endpoint();
        let stream = TcpStream::from_handle(self.shared.clone(), c);
        let peer = remote.map_or_else(
            || SocketAddr::from(([0, 0, 0, 0], 0)),
            endpoint_to_socket_addr,
        );
        Ok(Some((stream, peer)))
    }

    /// The core listener behind this one.
    pub(super) fn listener<'c>(
        &self,
        core: &'c mut Core,
    ) -> io::Result<&'c mut crate::socket::tcp::Listener<'static>> {
        core.sockets
            .get_mut::<crate::socket::tcp::Listener>(self.handle)
            .ok_or_else(|| io::Error::other("the listener is gone"))
    }

    #[cfg(feature = "async")]
    pub(super) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The connections, one `accept` each.
    pub fn incoming(&self) -> impl Iterator<Item = io::Result<TcpStream>> + '_ {
        core::iter::repeat_with(move || self.accept().map(|(s, _)| s))
    }

    /// In nonblocking mode `accept` fails with `WouldBlock` instead of
    /// waiting.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.nonblocking.store(nonblocking, Ordering::Relaxed);
        Ok(())
    }

    /// Whether a client whose handshake completes while this listener has
    /// no room (accept queue full, no socket lent) is reset at once (`true`,
    /// Linux `tcp_abort_on_overflow`), or its final ACK dropped and its
    /// SYN-ACK retried from the SYN queue until `accept` makes room (`false`,
    /// the default from [`StackConfig::tcp_abort_on_overflow`](super::StackConfig::tcp_abort_on_overflow)).
    pub fn set_abort_on_overflow(&self, abort: bool) -> io::Result<()> {
        self.shared.with(|core| {
            core.sockets
                .get_mut::<crate::socket::tcp::TcpListener>(self.handle)
                .ok_or_else(|| io::Error::other("the listener is gone"))?
                .set_abort_on_overflow(abort);
            Ok(())
        })
    }

    /// Whether overflowing handshakes are reset at once (see
    /// [`set_abort_on_overflow`](Self::set_abort_on_overflow)).
    pub fn abort_on_overflow(&self) -> io::Result<bool> {
        self.shared
            .lock()
            .sockets
            .get::<crate::socket::tcp::TcpListener>(self.handle)
            .map(|l| l.abort_on_overflow())
            .ok_or_else(|| io::Error::other("the listener is gone"))
    }

    /// The listener's counters (accepted, overflows, expired half-open).
    pub fn stats(&self) -> crate::socket::tcp::ListenerStats {
        self.shared
            .lock()
            .sockets
            .get::<crate::socket::tcp::TcpListener>(self.handle)
            .map(|l| l.stats())
            .unwrap_or_default()
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        let h = self.handle;
        self.shared.release(|core| {
            core.registry.forget(h);
            core.close_listener(h);
            core.kick();
        });
    }
}

impl core::fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TcpListener")
            .field("local", &self.local)
            .finish()
    }
}
