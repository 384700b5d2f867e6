//! Async TCP over the std runtime (features `std` and `async`).
//!
//! [`AsyncTcpStream`] is [`TcpStream`] for an executor: a read or write
//! that cannot go on registers the task's waker in the core socket
//! ([`TcpSocket::register_recv_waker`](crate::socket::tcp::TcpSocket::register_recv_waker)
//! and `register_send_waker`) under the same lock the stack's thread polls
//! under, and returns `Pending`; the socket wakes the task from inside that
//! poll when data, room, the connection or its end arrives. No thread per
//! connection, no polling of sockets in a loop, and a wake cannot be lost
//! between the check and the registration. The same type implements the
//! `futures-io`, `tokio` and `embedded-io-async` traits, each behind its
//! feature (`async_io.rs`).

use core::future::poll_fn;
use core::task::{Context, Poll};
use std::io;
use std::net::{Shutdown, SocketAddr};

use super::stack::Stack;
use super::tcp::{TcpListener, TcpStream};
use super::ListenAddr;
use crate::socket::tcp::State;

/// A TCP connection for async code, on the std runtime's stack.
///
/// Reads and writes take `&self` (one task may read while another
/// writes: each direction has its own waker slot, so give each direction
/// one task at a time). Dropping the stream closes the connection
/// gracefully, as [`TcpStream`]'s drop does.
///
/// ```no_run
/// # async fn demo(stack: &rstcp::runtime::Stack) -> std::io::Result<()> {
/// use rstcp::runtime::AsyncTcpStream;
/// let stream = AsyncTcpStream::connect(stack, ([192, 168, 69, 100], 7)).await?;
/// stream.write(b"hello").await?;
/// let mut buf = [0; 5];
/// let n = stream.read(&mut buf).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct AsyncTcpStream {
    inner: TcpStream,
}

impl AsyncTcpStream {
    /// Opens a connection to `addr`; the future completes once the
    /// handshake does (or fails: `ConnectionRefused`, `HostUnreachable`,
    /// `TimedOut` after TCP's retries). Dropping the future abandons the
    /// attempt. Bound it with the executor's timeout if needed.
    pub async fn connect(stack: &Stack, addr: impl Into<SocketAddr>) -> io::Result<Self> {
        let shared = stack.shared();
        let handle = TcpStream::begin_connect(shared, addr.into())?;
        // Owned from here: dropping the future drops it, which frees the
        // socket.
        let stream = TcpStream::from_handle(shared.clone(), handle);
        poll_fn(|cx| {
            ready(shared.with(|core| {
                let r = TcpStream::connected(core, handle)?;
                if r.is_none() {
                    core.tcp(handle)?.register_send_waker(cx.waker());
                }
                Ok(r)
            }))
        })
        .await?;
        Ok(AsyncTcpStream { inner: stream })
    }

    /// The blocking stream, driven by wakers from now on. Its timeouts
    /// and nonblocking mode do not apply to the async calls.
    pub fn from_blocking(stream: TcpStream) -> Self {
        AsyncTcpStream { inner: stream }
    }

    /// The blocking stream again.
    pub fn into_blocking(self) -> TcpStream {
        self.inner
    }

    /// Reads into `buf`: at least one byte, or 0 at the end of the stream.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    /// Writes some of `buf` (at least one byte, unless `buf` is empty).
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.write(buf).await?;
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Reads into `buf`, or registers the task to be woken when there is
    /// something to read (or an end) and returns `Pending`.
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let s = &self.inner;
        ready(s.shared().with(|core| {
            let r = s.try_read(core, buf)?;
            if r.is_none() {
                core.tcp(s.handle())?.register_recv_waker(cx.waker());
            }
            Ok(r)
        }))
    }

    /// Queues some of `buf` to send, or registers the task to be woken
    /// when there is room and returns `Pending`.
    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let s = &self.inner;
        ready(s.shared().with(|core| {
            let r = s.try_write(core, buf)?;
            if r.is_none() {
                core.tcp(s.handle())?.register_send_waker(cx.waker());
            }
            Ok(r)
        }))
    }

    /// Shuts the write side: a FIN follows the queued data. Ready at once
    /// (as `close` on a kernel socket: the stack sends it on its own).
    pub fn poll_shutdown(&self) -> Poll<io::Result<()>> {
        Poll::Ready(self.inner.shutdown(Shutdown::Write))
    }

    /// The remote end.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The local end.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The connection's state.
    pub fn state(&self) -> State {
        self.inner.state()
    }
}

/// `Ok(Some(v))` is ready, `Ok(None)` pending (the waker is in place).
pub(super) fn ready<T>(r: io::Result<Option<T>>) -> Poll<io::Result<T>> {
    match r {
        Ok(Some(v)) => Poll::Ready(Ok(v)),
        Ok(None) => Poll::Pending,
        Err(e) => Poll::Ready(Err(e)),
    }
}

/// A TCP listener for async code, on the std runtime's stack.
///
/// [`accept`](Self::accept) registers the task's waker in the core
/// listener, which wakes it when a handshake completes into its accept
/// queue. Dropping it stops listening, as [`TcpListener`]'s drop does.
#[derive(Debug)]
pub struct AsyncTcpListener {
    inner: TcpListener,
}

impl AsyncTcpListener {
    /// Listens on `addr` with room for `backlog` connections waiting for
    /// `accept` (see [`TcpListener::bind`]).
    pub fn bind(stack: &Stack, addr: impl ListenAddr, backlog: usize) -> io::Result<Self> {
        TcpListener::bind(stack, addr, backlog).map(|inner| AsyncTcpListener { inner })
    }

    /// The next connection and its peer.
    pub async fn accept(&self) -> io::Result<(AsyncTcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// The next connection, or registers the task to be woken when one
    /// completes its handshake and returns `Pending`.
    pub fn poll_accept(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(AsyncTcpStream, SocketAddr)>> {
        let l = &self.inner;
        ready(l.shared().with(|core| {
            let r = l.try_accept(core)?;
            if r.is_none() {
                l.listener(core)?.register_accept_waker(cx.waker());
            }
            Ok(r.map(|(s, peer)| (AsyncTcpStream::from_blocking(s), peer)))
        }))
    }

    /// The address listened on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}
