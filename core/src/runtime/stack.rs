//! The stack's thread, and the state that user calls share with it.
//!
//! One thread owns the device and runs the loop every rstcp program has:
//! poll the interface, then sleep in [`WaitDevice::wait`] until a frame, the
//! interface's next deadline or a wake. The interface and the sockets sit in
//! a mutex shared with the application's threads. A user call locks it, acts
//! on its socket, wakes the stack thread if it changed anything the
//! interface must act on (queued data, read data that opens the window, a
//! close), and if it must wait, sleeps on a condition variable of its own
//! that the stack thread notifies after a poll that changed its socket.

use std::collections::VecDeque;
use std::format;
use std::io;
use std::string::{String, ToString};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration as StdDuration, Instant as StdInstant};
use std::vec;
use std::vec::Vec;

use super::batch::{Batch, Queue};
use super::config::StackConfig;
use super::drive::{Driving, Handover};
use super::error;
use super::outbox::Outbox;
use super::registry::Registry;
use crate::iface::fragment::ReassemblySlot;
use crate::iface::{Config, Interface, InterfaceStorage};
use crate::phy::wait::{Transmitter, WaitDevice, Waker};
use crate::phy::DeviceCapabilities;
use crate::socket::dhcpv4::{Dhcpv4Client, Dhcpv4Config};
use crate::socket::icmp::IcmpSocket;
use crate::socket::tcp::assembler::INLINE_RANGES;
use crate::socket::tcp::{HalfOpen, State, TcpError, TcpListener, TcpSocket};
use crate::socket::udp::UdpSocket;
use crate::socket::{AnySocket, Socket, SocketHandle, SocketSet};
use crate::storage::RingBuffer;
use crate::time::{Duration, Instant};
use crate::wire::{IpAddr, IpCidr, IpListenEndpoint};

/// A network stack running on its own thread over one device.
///
/// Sockets are created with a reference to it
/// ([`TcpStream::connect`](super::TcpStream::connect),
/// [`TcpListener::bind`](super::TcpListener::bind),
/// [`UdpSocket::bind`](super::UdpSocket::bind)) and keep working for as long
/// as the stack runs, whether or not this value still exists: dropping it
/// stops the stack (as [`stop`](Self::stop) does), after which their calls
/// fail with `NotConnected`.
pub struct Stack {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// Where the stack's thread is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Run {
    Running,
    /// `stop` asked; the thread has not begun closing yet.
    StopRequested,
    /// Connections were closed with a FIN; those still open at `until` are
    /// reset.
    Stopping {
        until: Instant,
    },
    /// Everything was reset; one more poll sends the RSTs.
    Final,
    Stopped,
}

/// A connection or datagram socket the application let go of, kept until
/// it has nothing left to send.
struct Orphan {
    handle: SocketHandle,
    since: Instant,
}

/// The interface, its sockets, and the runtime's bookkeeping.
pub(crate) struct Core {
    pub(crate) iface: Interface<'static>,
    pub(crate) sockets: SocketSet<'static>,
    pub(crate) config: StackConfig,
    epoch: StdInstant,
    dhcp: Option<SocketHandle>,
    orphans: Vec<Orphan>,
    /// Each listener and how many sockets its pool is kept at.
    listeners: Vec<Listening>,
    /// When every listener's pool is looked at again, whatever its
    /// count of connections says (see `top_up_pools`).
    pools_check_at: Option<Instant>,
    /// Sockets in the set (counted: `SocketSet::len` scans), spares
    /// included.
    live: usize,
    /// Closed TCP sockets kept in the set for the next connection: a short
    /// connection then costs no allocation (two zeroed rings of the
    /// configured size) and no free. At most
    /// [`spare_sockets`](StackConfig::spare_sockets); the rest are freed.
    spare: Vec<SocketHandle>,
    pub(super) run: Run,
    /// Why the thread ended, if not by `stop`.
    pub(super) failure: Option<String>,
    /// A user call changed something the interface must act on.
    pub(super) kick: bool,
    /// Polls made by calls to send what they made ready (`kicked`), not by
    /// a thread driving the device: counted for the tests.
    pub(super) send_polls: u64,
    /// The stack's thread is asleep in the device's wait, or on its way
    /// there with its decision made: only then does a kick need the
    /// waker's system call. While it runs, its next poll sees the change.
    pub(super) asleep: bool,
    /// When the sleeping stack's thread wakes by itself (`None`: only for
    /// a frame or a wake).
    pub(super) wake_at: Option<Instant>,
    /// Frames polls sent, to be written once the lock is let go.
    pub(super) tx: Queue,
    /// When the socket table, mostly free, is to be looked at for
    /// shrinking (see `compact`).
    pub(super) compact_at: Option<Instant>,
    /// The device's capabilities, for polls run by the application's
    /// threads.
    pub(super) caps: DeviceCapabilities,
    next_ident: u16,
    waiters: Vec<Waiter>,
    /// The last `waiters_to_wake` woke a call that would drive the device.
    pub(super) woke_driver: bool,
    next_waiter: u64,
    /// The pollers and the sockets each watches.
    pub(crate) registry: Registry,
    /// Interface events not read yet (`Stack::interface_events`).
    events: VecDeque<crate::iface::Event>,
}

/// A listener whose pool of closed sockets the runtime keeps full.
#[derive(Debug, Clone, Copy)]
struct Listening {
    handle: SocketHandle,
    /// The pool is kept at this many sockets (the backlog).
    target: usize,
    /// The listener's count of connections queued for accept when its
    /// pool was last found full: a connection that took a pooled socket
    /// moves it on, so while it has not moved the pool is still full and
    /// is not counted again after every poll (`None`: count it).
    full_at: Option<u64>,
}

/// How often every pool is counted even though no connection was queued:
/// a handshake that took a pooled socket and found the accept queue full
/// (the connection is reset) is not counted by the listener.
const POOL_RECHECK: Duration = Duration::from_millis(100);

/// Interface events kept for [`Stack::interface_events`].
const EVENT_LOG: usize = 64;

/// What user calls share with the stack's thread.
pub(crate) struct Shared {
    core: Mutex<Core>,
    pub(super) waker: Waker,
    /// Sends frames from any thread, if the device can (see `send.rs`).
    pub(super) transmitter: Option<Transmitter>,
    /// Who writes frames, and the frames taken out to write.
    pub(super) out: Outbox,
    /// The device between the threads that drive it (see `drive.rs`).
    pub(super) handover: Handover,
    /// The stack is stopping or stopped: the stack's thread takes the
    /// device back at once.
    pub(super) halted: AtomicBool,
    /// The stack's clock starts here (also `Core::epoch`, read under the
    /// lock).
    pub(super) epoch: StdInstant,
}

/// What a waiting call last saw of its socket. The stack thread wakes the
/// call only when the socket's mark changed in a poll, so a frame for one
/// connection does not wake the threads blocked on all the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// A connection: state, bytes to read, bytes unacknowledged, error.
    Tcp(State, usize, usize, Option<TcpError>),
    /// A listener: connections waiting for accept.
    Listener(usize),
    /// A UDP socket not connected to one peer: open, datagrams waiting,
    /// room to queue one, datagrams received and sent so far. (A connected
    /// one is `Other`: the ICMP error its calls report is not visible
    /// without taking it.)
    Udp(bool, bool, bool, u64, u64),
    /// An ICMP socket (a ping): open, replies waiting, room to send.
    Icmp(bool, bool, bool),
    /// A poller: whether any of its sockets is ready.
    Ready(bool),
    /// Anything else (a connected UDP socket, the interface's addresses):
    /// woken after every poll.
    Other,
}

/// What a blocked call waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Watch {
    /// Any poll (the interface's addresses, datagram sockets).
    Any,
    /// A change of one socket.
    Socket(SocketHandle),
    /// Some socket of a [`Poller`](super::Poller) becoming ready.
    Poller(u64),
}

/// A call blocked in [`Shared::block`].
struct Waiter {
    id: u64,
    watch: Watch,
    seen: Mark,
    wake: Arc<Condvar>,
    /// It would drive the device itself if given it (see `drive.rs`).
    drives: bool,
}

/// When a blocking call gives up.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Deadline {
    /// Wait as long as it takes.
    Never,
    /// Do not wait (nonblocking mode).
    Now,
    /// Wait until then.
    At(StdInstant),
}

impl Deadline {
    /// The deadline for a call with this timeout, or none in nonblocking
    /// mode.
    pub(crate) fn new(nonblocking: bool, timeout: Option<StdDuration>) -> Deadline {
        match (nonblocking, timeout) {
            (true, _) => Deadline::Now,
            (false, None) => Deadline::Never,
            (false, Some(t)) => Deadline::At(StdInstant::now() + t),
        }
    }
}

/// How a blocking call ended without a result.
pub(crate) enum Expired {
    /// Nonblocking mode and not ready.
    WouldBlock,
    /// The timeout passed.
    TimedOut,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Core> {
        // Every socket operation leaves the socket consistent before it can
        // panic (they only panic on bugs); keep serving the other sockets.
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the running stack, once, and wakes the stack's thread if
    /// `f` asked for it.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Core) -> io::Result<T>) -> io::Result<T> {
        let mut core = self.lock();
        core.check_running()?;
        let r = f(&mut core);
        let after = self.kicked(&mut core, false);
        drop(core);
        self.finish(after);
        r
    }

    /// Runs `f` until it returns a result, or until `deadline`. Between
    /// tries the call sleeps until a poll changes what it watches.
    pub(crate) fn block<T>(
        &self,
        deadline: Deadline,
        watch: Watch,
        f: impl FnMut(&mut Core) -> io::Result<Option<T>>,
    ) -> io::Result<Result<T, Expired>> {
        // A poller's wait drives the device itself when it lies unused
        // (see `drive.rs`); put back when this call returns.
        let drives = matches!(watch, Watch::Poller(_));
        self.block_driving(deadline, watch, drives, f)
    }

    /// [`block`](Self::block), driving the device while it waits when
    /// `drives` and the device lies unused (see `drive.rs`): a blocking
    /// TCP read, whose thread then reads the frames, polls and copies the
    /// data out itself (see `TcpStream::read`).
    pub(crate) fn block_driving<T>(
        &self,
        deadline: Deadline,
        watch: Watch,
        mut drives: bool,
        mut f: impl FnMut(&mut Core) -> io::Result<Option<T>>,
    ) -> io::Result<Result<T, Expired>> {
        let mut core = self.lock();
        let mut wake: Option<Arc<Condvar>> = None;
        let mut driving: Option<Driving<'_>> = None;
        loop {
            core.check_running()?;
            let r = f(&mut core);
            // A poller's wait sends what the loop's calls left (see
            // `kicked`), and so does a call about to sleep.
            let flush = matches!(watch, Watch::Poller(_))
                || (matches!(r, Ok(None)) && !matches!(deadline, Deadline::Now));
            let after = self.kicked(&mut core, flush);
            if !after.is_empty() || !matches!(r, Ok(None)) {
                drop(core);
                self.finish(after);
                if let Some(v) = r? {
                    return Ok(Ok(v));
                }
                // Frames went out first; look again before sleeping.
                core = self.lock();
                continue;
            }
            let left = match deadline {
                Deadline::Now => return Ok(Err(Expired::WouldBlock)),
                Deadline::Never => None,
                Deadline::At(at) => {
                    let left = at.saturating_duration_since(StdInstant::now());
                    if left.is_zero() {
                        return Ok(Err(Expired::TimedOut));
                    }
                    Some(left)
                }
            };
            if drives && driving.is_none() {
                driving = self.handover.claim().map(|d| Driving::new(self, d));
            }
            if let Some(d) = driving.as_mut() {
                drop(core);
                if !d.round(left) {
                    // Handed on, or the device failed: wait as the others.
                    driving = None;
                    drives = false;
                }
                core = self.lock();
                continue;
            }
            // Registered under the same lock the check above ran under: a
            // poll that changes the socket after the check sees the waiter.
            let cv = wake.get_or_insert_with(|| Arc::new(Condvar::new())).clone();
            let id = core.add_waiter(watch, cv.clone(), drives);
            core = match left {
                None => cv.wait(core).unwrap_or_else(|e| e.into_inner()),
                Some(left) => {
                    cv.wait_timeout(core, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
            core.waiters.retain(|w| w.id != id);
        }
    }

    /// Runs `f` whether or not the stack still runs (for drops), waking the
    /// thread if it asked.
    pub(crate) fn release(&self, f: impl FnOnce(&mut Core)) {
        let mut core = self.lock();
        f(&mut core);
        let after = self.kicked(&mut core, false);
        drop(core);
        self.finish(after);
    }
}

impl Core {
    /// The stack's clock: time since start.
    pub(crate) fn now(&self) -> Instant {
        Instant::from_micros(self.epoch.elapsed().as_micros() as i64)
    }

    /// What a waiter on `watch` sees of it now.
    fn mark(&self, watch: Watch) -> Mark {
        let h = match watch {
            Watch::Any => return Mark::Other,
            Watch::Poller(id) => return Mark::Ready(self.registry.any_ready(&self.sockets, id)),
            Watch::Socket(h) => h,
        };
        if let Some(s) = self.sockets.get::<TcpSocket>(h) {
            return Mark::Tcp(s.state(), s.recv_queue(), s.send_queue(), s.error());
        }
        if let Some(l) = self.sockets.get::<TcpListener>(h) {
            return Mark::Listener(l.backlog());
        }
        if let Some(u) = self.sockets.get::<UdpSocket>(h) {
            if u.remote_endpoint().is_none() {
                let c = u.counters();
                return Mark::Udp(
                    u.is_open(),
                    u.can_recv(),
                    u.can_send(),
                    c.rx_datagrams,
                    c.tx_datagrams,
                );
            }
        }
        if let Some(i) = self.sockets.get::<IcmpSocket>(h) {
            return Mark::Icmp(i.is_open(), i.can_recv(), i.can_send());
        }
        Mark::Other
    }

    fn add_waiter(&mut self, watch: Watch, wake: Arc<Condvar>, drives: bool) -> u64 {
        self.next_waiter += 1;
        let id = self.next_waiter;
        let seen = self.mark(watch);
        self.waiters.push(Waiter {
            id,
            watch,
            seen,
            wake,
            drives,
        });
        id
    }

    /// After a poll: the calls to wake, those whose socket changed (every
    /// call once the stack stops). The caller notifies them after
    /// unlocking, so a woken call does not at once block on the lock the
    /// stack's thread still holds. (No wake is lost: each waiter went to
    /// sleep under the lock, before this decision.)
    pub(super) fn waiters_to_wake(&mut self) -> Vec<Arc<Condvar>> {
        self.registry.note_changes(&mut self.sockets);
        let stopping = self.run != Run::Running;
        let mut wake = Vec::new();
        self.woke_driver = false;
        for i in 0..self.waiters.len() {
            let w = &self.waiters[i];
            let now = self.mark(w.watch);
            if stopping || now == Mark::Other || now != w.seen {
                let w = &mut self.waiters[i];
                w.seen = now;
                self.woke_driver |= w.drives;
                wake.push(w.wake.clone());
            }
        }
        wake
    }

    /// Wakes the calls waiting on `h` now, without a poll: for changes made
    /// by the application itself (a `shutdown` of the read side).
    pub(crate) fn wake_socket(&mut self, h: SocketHandle) {
        for w in self.waiters.iter().filter(|w| w.watch == Watch::Socket(h)) {
            w.wake.notify_one();
        }
    }

    /// A waiting call that would drive the device, while the stack runs.
    pub(super) fn volunteer(&self) -> Option<Arc<Condvar>> {
        if self.run != Run::Running {
            return None;
        }
        self.waiters
            .iter()
            .find(|w| w.drives)
            .map(|w| w.wake.clone())
    }

    /// Asks the stack's thread to poll soon.
    pub(crate) fn kick(&mut self) {
        self.kick = true;
    }

    pub(crate) fn check_running(&self) -> io::Result<()> {
        match self.run {
            Run::Running => Ok(()),
            _ => Err(error::stopped(self.failure.as_deref())),
        }
    }

    /// Adds a socket within the configured limit (spares do not count:
    /// one is freed to make room).
    pub(crate) fn add<T: AnySocket<'static>>(&mut self, socket: T) -> io::Result<SocketHandle> {
        if self.live >= self.config.max_sockets {
            if let Some(h) = self.spare.pop() {
                self.remove(h);
            }
        }
        if self.live >= self.config.max_sockets {
            return Err(error::too_many_sockets(self.config.max_sockets));
        }
        let h = self
            .sockets
            .add(socket)
            .map_err(|e| error::set(e, "adding a socket"))?;
        self.live += 1;
        Ok(h)
    }

    /// Frees a socket at once.
    pub(crate) fn remove(&mut self, handle: SocketHandle) {
        if self.sockets.remove(handle).is_some() {
            self.live -= 1;
        }
    }

    /// Hands a socket the application let go of to the reaper, which frees
    /// it once it has nothing left to send (a TCP connection: once CLOSED).
    pub(crate) fn orphan(&mut self, handle: SocketHandle) {
        let since = self.now();
        self.orphans.push(Orphan { handle, since });
        self.kick();
    }

    /// A closed TCP socket with the configured buffers and settings: a
    /// spare if there is one, else a new one.
    pub(crate) fn new_tcp(&mut self) -> io::Result<SocketHandle> {
        while let Some(h) = self.spare.pop() {
            let tcp = self.config.tcp;
            if let Some(s) = self.sockets.get_mut::<TcpSocket>(h) {
                // What the last user set (nodelay …) goes; the connection
                // state is reset by the next connect or accept.
                *s.config_mut() = tcp;
                return Ok(h);
            }
        }
        let mut s = TcpSocket::with_config(
            RingBuffer::new(vec![0u8; self.config.tcp_rx_buffer]),
            RingBuffer::new(vec![0u8; self.config.tcp_tx_buffer]),
            self.config.tcp,
        );
        // One out-of-order range per 2 KiB of receive buffer (8 bytes
        // each: 0.4 % of it): room for a hole every second segment of a
        // full window, where Linux keeps any number (issue 10, receiving
        // under loss).
        let ranges = (self.config.tcp_rx_buffer / 2048).max(INLINE_RANGES);
        s.set_out_of_order_storage(vec![(0, 0); ranges]);
        self.add(s)
    }

    /// The TCP connection behind `h`.
    pub(crate) fn tcp(&mut self, h: SocketHandle) -> io::Result<&mut TcpSocket<'static>> {
        self.sockets
            .get_mut::<TcpSocket>(h)
            .ok_or_else(|| io::Error::other("the TCP socket is gone"))
    }

    /// The TCP connection behind `h`, to look at (does not mark it for the
    /// next poll).
    pub(crate) fn tcp_ref(&self, h: SocketHandle) -> io::Result<&TcpSocket<'static>> {
        self.sockets
            .get::<TcpSocket>(h)
            .ok_or_else(|| io::Error::other("the TCP socket is gone"))
    }

    /// A listener on `endpoint` whose pool is kept at `backlog` sockets.
    pub(crate) fn listen(
        &mut self,
        endpoint: IpListenEndpoint,
        backlog: usize,
    ) -> io::Result<(SocketHandle, IpListenEndpoint)> {
        let backlog = backlog.max(1);
        let mut l = TcpListener::new(
            vec![None::<HalfOpen>; self.config.syn_queue.max(1)],
            vec![None; backlog],
            vec![None; backlog],
        );
        l.set_abort_on_overflow(self.config.tcp_abort_on_overflow);
        let h = self.add(l)?;
        let ep = match self.sockets.listen(h, endpoint) {
            Ok(ep) => ep,
            Err(e) => {
                self.remove(h);
                return Err(error::set(e, &format!("listening on TCP {endpoint}")));
            }
        };
        self.listeners.push(Listening {
            handle: h,
            target: backlog,
            full_at: None,
        });
        if let Err(e) = self.top_up(h, backlog) {
            self.close_listener(h);
            return Err(e);
        }
        self.kick();
        Ok((h, ep))
    }

    /// Lends listener `h` closed sockets until it holds `target`.
    pub(crate) fn top_up_listener(&mut self, h: SocketHandle) -> io::Result<()> {
        match self.listeners.iter().find(|l| l.handle == h) {
            Some(&Listening { target, .. }) => self.top_up(h, target),
            None => Ok(()),
        }
    }

    fn top_up(&mut self, h: SocketHandle, target: usize) -> io::Result<()> {
        let pooled = match self.sockets.get::<TcpListener>(h) {
            Some(l) => l.pooled(),
            None => return Ok(()),
        };
        for _ in pooled..target {
            let s = self.new_tcp()?;
            let lent = self
                .sockets
                .get_mut::<TcpListener>(h)
                .map(|l| l.provide(s).is_ok());
            if lent != Some(true) {
                self.remove(s);
                break;
            }
        }
        Ok(())
    }

    /// Stops listener `h`: connections not yet accepted are reset, pooled
    /// sockets freed, the listener removed.
    pub(crate) fn close_listener(&mut self, h: SocketHandle) {
        self.listeners.retain(|l| l.handle != h);
        let mut pooled = Vec::new();
        let mut waiting = Vec::new();
        if let Some(l) = self.sockets.get_mut::<TcpListener>(h) {
            l.close();
            while let Some(s) = l.accept() {
                waiting.push(s);
            }
            while let Some(s) = l.take_pooled() {
                pooled.push(s);
            }
        }
        for s in waiting {
            if let Ok(sock) = self.tcp(s) {
                sock.abort();
            }
            self.orphan(s);
        }
        for s in pooled {
            self.remove(s);
        }
        self.remove(h);
    }

    /// A free ICMP echo identifier for a ping.
    pub(crate) fn next_ident(&mut self) -> u16 {
        self.next_ident = self.next_ident.wrapping_add(1);
        self.next_ident
    }

    /// True once each enabled family has a usable address: IPv4 (static
    /// or DHCPv4) an address past probing; IPv6 (static or SLAAC) no
    /// address still tentative in DAD (RFC 4862 §5.4) and one usable, the
    /// link-local one at least (a SLAAC address formed meanwhile is waited
    /// for too; one that failed DAD is gone and waited for no more).
    fn configured(&self) -> bool {
        use crate::iface::AddressState;
        let v4_on = !self.config.ipv4.is_empty() || self.dhcp.is_some();
        let v6_on = !self.config.ipv6.is_empty() || self.config.slaac || !v4_on;
        let v4_ok = self.iface.ipv4_addrs().next().is_some();
        let states = || self.iface.ipv6_addresses().map(|a| a.state);
        let v6_ok = states().all(|s| s != AddressState::Tentative) && states().next().is_some();
        (!v4_on || v4_ok) && (!v6_on || v6_ok)
    }

    /// After each poll: DHCP leases, events, orphans, listener pools.
    pub(super) fn after_poll(&mut self, now: Instant) {
        if let Some(h) = self.dhcp {
            while let Some(ev) = self
                .sockets
                .get_mut::<Dhcpv4Client>(h)
                .and_then(|c| c.poll_event())
            {
                self.iface.apply_dhcpv4(&ev);
            }
        }
        // Kept for `Stack::interface_events` (the oldest dropped past
        // EVENT_LOG entries, so an application that never reads them costs
        // nothing more).
        while let Some(e) = self.iface.poll_event() {
            if self.events.len() == EVENT_LOG {
                self.events.pop_front();
            }
            self.events.push_back(e);
        }
        self.reap(now);
        self.compact(now);
        self.top_up_pools(now);
    }

    /// Tops up the pools that lent sockets since they were last full.
    ///
    /// Counting a pool walks its slots; done for every listener after
    /// every poll, it was a fifteenth of the instructions of a short
    /// connection (the profile of `services`, four listeners of 64). A
    /// pool lends a socket only to a connection it then queues for accept,
    /// which the listener counts, so a pool is counted only when that count
    /// moved, and every one at least each [`POOL_RECHECK`].
    fn top_up_pools(&mut self, now: Instant) {
        let all = self.pools_check_at.is_none_or(|t| now >= t);
        if all {
            self.pools_check_at = Some(now + POOL_RECHECK);
        }
        for i in 0..self.listeners.len() {
            let Listening {
                handle: h,
                target,
                full_at,
            } = self.listeners[i];
            let queued = match self.sockets.get::<TcpListener>(h) {
                Some(l) => l.stats().accepted,
                None => continue,
            };
            if !all && full_at == Some(queued) {
                continue;
            }
            // Out of socket room: the listener overflows and counts it,
            // and the pool is counted again after the next poll.
            let _ = self.top_up(h, target);
            let full = self
                .sockets
                .get::<TcpListener>(h)
                .is_some_and(|l| l.pooled() >= target);
            self.listeners[i].full_at = full.then_some(queued);
        }
    }

    /// Gives back the socket table's high-water mark once a burst is over.
    ///
    /// Each slot of the table holds a whole socket (a TCP connection's
    /// state is some 2.4 KiB, its rings apart), so 5 000 connections at
    /// once leave 12 MiB of slots written, kept for good if nothing
    /// shrinks the table. Only its free tail can go, and the closed
    /// sockets kept for reuse (listener pools, spares), lent while the
    /// table was full, sit in it: they are interchangeable, so those past
    /// the last socket in use are freed, the free tail dropped, and the
    /// pools topped up again (by the caller) from the lowest free slots.
    /// Looked at only when the table is mostly free, at most once a
    /// second (the stack's thread wakes for it), so a steady load never
    /// pays for it.
    fn compact(&mut self, now: Instant) {
        const MIN_SLOTS: usize = 1024;
        let slots = self.sockets.slots();
        if slots < MIN_SLOTS || slots < 2 * self.live + MIN_SLOTS / 2 {
            self.compact_at = None;
            return;
        }
        if self.compact_at.is_some_and(|t| now < t) {
            return;
        }
        // Looked at again in a second (the stack's thread wakes for it)
        // if connections still open near the end keep the tail now.
        self.compact_at = Some(now + Duration::from_secs(1));
        let mut reusable: Vec<SocketHandle> = self.spare.clone();
        for l in &self.listeners {
            if let Some(l) = self.sockets.get::<TcpListener>(l.handle) {
                reusable.extend(l.pooled_handles());
            }
        }
        let in_use = self
            .sockets
            .iter()
            .map(|(h, _)| h)
            .filter(|h| !reusable.contains(h))
            .map(|h| h.index() + 1)
            .max()
            .unwrap_or(0);
        if slots - in_use < MIN_SLOTS / 2 {
            // Connections still open near the end: nothing worth freeing.
            return;
        }
        let past = |h: &SocketHandle| h.index() >= in_use;
        // The pools lose sockets here: count them all after.
        self.pools_check_at = None;
        for i in 0..self.listeners.len() {
            let h = self.listeners[i].handle;
            let mut kept = Vec::new();
            while let Some(s) = self
                .sockets
                .get_mut::<TcpListener>(h)
                .and_then(|l| l.take_pooled())
            {
                if past(&s) {
                    self.remove(s);
                } else {
                    kept.push(s);
                }
            }
            // Those before the end go back at once.
            if let Some(l) = self.sockets.get_mut::<TcpListener>(h) {
                for s in kept {
                    let _ = l.provide(s);
                }
            }
        }
        let (gone, kept): (Vec<_>, Vec<_>) = self.spare.drain(..).partition(past);
        self.spare = kept;
        for s in gone {
            self.remove(s);
        }
        self.sockets.trim();
    }

    /// Frees orphans that finished; resets those that took too long.
    fn reap(&mut self, now: Instant) {
        let limit = Duration::from(self.config.orphan_timeout);
        let mut i = 0;
        while i < self.orphans.len() {
            let Orphan { handle, since } = self.orphans[i];
            let done = self.finished(handle, now);
            if done {
                self.retire(handle);
                self.orphans.swap_remove(i);
                continue;
            }
            if now - since >= limit {
                if let Some(s) = self.sockets.get_mut::<TcpSocket>(handle) {
                    s.abort();
                }
                if let Some(s) = self.sockets.get_mut::<UdpSocket>(handle) {
                    s.close();
                }
            }
            i += 1;
        }
    }

    /// Frees a finished socket, or keeps it as a spare (a closed TCP
    /// connection, while there are fewer spares than configured).
    fn retire(&mut self, h: SocketHandle) {
        let closed_tcp = self
            .sockets
            .get::<TcpSocket>(h)
            .is_some_and(|s| s.state() == State::Closed);
        if closed_tcp && self.spare.len() < self.config.spare_sockets && self.run == Run::Running {
            self.spare.push(h);
        } else {
            self.remove(h);
        }
    }

    /// True when the socket has nothing left to do (or is gone).
    fn finished(&self, h: SocketHandle, now: Instant) -> bool {
        if let Some(s) = self.sockets.get::<TcpSocket>(h) {
            return s.state() == State::Closed && s.poll_at(now).is_none();
        }
        if let Some(s) = self.sockets.get::<UdpSocket>(h) {
            return !s.is_open() || s.poll_at(now).is_none();
        }
        true
    }

    /// The stop sequence, run by the stack's thread before each poll.
    pub(super) fn stop_step(&mut self, now: Instant) {
        match self.run {
            Run::StopRequested => {
                for (_, s) in self.sockets.iter_mut() {
                    match s {
                        Socket::Tcp(t) => t.close(),
                        Socket::TcpListener(l) => l.close(),
                        _ => {}
                    }
                }
                let grace = Duration::from(self.config.shutdown_grace);
                self.run = Run::Stopping { until: now + grace };
            }
            Run::Stopping { until } => {
                let open = self.sockets.iter().any(|(_, s)| match s {
                    Socket::Tcp(t) => {
                        !matches!(t.state(), State::Closed | State::TimeWait)
                            || t.poll_at(now) == Some(now)
                    }
                    _ => false,
                });
                if !open {
                    self.run = Run::Final;
                } else if now >= until {
                    for (_, s) in self.sockets.iter_mut() {
                        if let Socket::Tcp(t) = s {
                            if t.state() != State::TimeWait {
                                t.abort();
                            }
                        }
                    }
                    self.run = Run::Final;
                }
            }
            Run::Final => self.run = Run::Stopped,
            Run::Running | Run::Stopped => {}
        }
    }
}

/// A seed from the process's random hash keys and the clock: the stack has
/// no entropy of its own.
fn random_seed() -> u64 {
    use std::hash::BuildHasher;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::collections::hash_map::RandomState::new().hash_one(nanos)
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

impl Stack {
    /// Configures an interface over `device` and starts its thread.
    ///
    /// Fails when the configuration is refused (an address or gateway the
    /// interface cannot take) or the thread cannot be spawned.
    pub fn start<D: WaitDevice + 'static>(device: D, config: StackConfig) -> io::Result<Stack> {
        let seed = config.random_seed.unwrap_or_else(random_seed);
        let mut ic = Config::new(config.mac);
        // The device's medium from the start: on a TUN the addresses are
        // used at once (no probing, no DAD), as Linux does there.
        ic.medium = device.capabilities().medium;
        if ic.medium == crate::phy::Medium::Ip && config.ipv4.is_empty() && config.dhcpv4 {
            return Err(invalid(
                "DHCPv4 needs a broadcast link with hardware addresses (RFC 2131), \
                 which an IP-medium device (a TUN) is not: give a static IPv4 address \
                 (StackConfig::ipv4), or set StackConfig::dhcpv4 to false for IPv6 only"
                    .into(),
            ));
        }
        ic.random_seed = seed;
        ic.ipv4_probe = config.ipv4_probe;
        ic.slaac = config.slaac;
        ic.dad_transmits = config.dad_transmits;
        let storage = InterfaceStorage {
            // Room to rebuild two 64 KiB datagrams at once, and to queue
            // packets while their next hop resolves.
            reassembly: vec![
                ReassemblySlot::new(vec![0u8; ReassemblySlot::MAX_BUFFER_LEN]),
                ReassemblySlot::new(vec![0u8; ReassemblySlot::MAX_BUFFER_LEN]),
            ]
            .into(),
            pending: vec![0u8; 64 * 1024].into(),
        };
        let mut iface = Interface::new(ic, storage, Instant::ZERO);
        for a in &config.ipv4 {
            iface
                .add_ipv4_address(*a, Instant::ZERO)
                .map_err(|e| invalid(format!("IPv4 address {a}: {e}")))?;
        }
        for a in &config.ipv6 {
            iface
                .add_ipv6_address(*a)
                .map_err(|e| invalid(format!("IPv6 address {a}: {e}")))?;
        }
        let gateways = [
            config.ipv4_gateway.map(IpAddr::V4),
            config.ipv6_gateway.map(IpAddr::V6),
        ];
        for gw in gateways.into_iter().flatten() {
            iface
                .add_default_gateway(gw)
                .map_err(|_| invalid(format!("gateway {gw}: route table full")))?;
        }
        let mut sockets = SocketSet::new(vec![], vec![], seed.rotate_left(17) ^ 0x5eed);
        let mut live = 0;
        let dhcp = if config.ipv4.is_empty() && config.dhcpv4 {
            let client = Dhcpv4Client::new(Dhcpv4Config::default(), config.mac, seed ^ 0xd4c9);
            live += 1;
            Some(
                sockets
                    .add(client)
                    .map_err(|e| error::set(e, "adding the DHCPv4 client"))?,
            )
        } else {
            None
        };
        let device = Batch::new(device, config.mtu);
        let epoch = StdInstant::now();
        let waker = device.inner().waker();
        let transmitter = device.inner().transmitter();
        let caps = device.capabilities();
        let shared = Arc::new(Shared {
            core: Mutex::new(Core {
                iface,
                sockets,
                next_ident: seed as u16,
                config,
                epoch,
                dhcp,
                orphans: Vec::new(),
                listeners: Vec::new(),
                pools_check_at: None,
                live,
                spare: Vec::new(),
                run: Run::Running,
                failure: None,
                kick: false,
                send_polls: 0,
                asleep: false,
                wake_at: None,
                tx: Queue::default(),
                compact_at: None,
                caps,
                waiters: Vec::new(),
                woke_driver: false,
                next_waiter: 0,
                registry: Registry::default(),
                events: VecDeque::new(),
            }),
            waker,
            transmitter,
            out: Outbox::default(),
            handover: Handover::default(),
            halted: AtomicBool::new(false),
            epoch,
        });
        let for_thread = shared.clone();
        let thread = std::thread::Builder::new()
            .name("rstcp".to_string())
            .spawn(move || super::drive::run(&for_thread, std::boxed::Box::new(device)))?;
        Ok(Stack {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Closes every connection (a FIN, then after
    /// [`shutdown_grace`](StackConfig::shutdown_grace) a reset for those
    /// still open), stops the thread and waits for it. Sockets still held
    /// fail with `NotConnected` afterwards. Calling it again does nothing.
    ///
    /// Fails if the thread had stopped on a device error or panicked.
    pub fn stop(&self) -> io::Result<()> {
        {
            let mut core = self.shared.lock();
            if core.run == Run::Running {
                core.run = Run::StopRequested;
            }
        }
        self.shared.halted.store(true, SeqCst);
        self.shared.waker.wake();
        self.shared.handover.wake_stack();
        // Joined under the lock: a second caller returns only once the
        // thread has ended too.
        let mut thread = self.thread.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = thread.take() {
            if t.join().is_err() {
                return Err(io::Error::other("the network stack's thread panicked"));
            }
        }
        drop(thread);
        match &self.shared.lock().failure {
            Some(f) => Err(io::Error::other(format!("the network stack failed: {f}"))),
            None => Ok(()),
        }
    }

    /// True until the stack stops.
    pub fn is_running(&self) -> bool {
        self.shared.lock().run == Run::Running
    }

    /// Waits until the interface has a usable address: an IPv4 address
    /// that passed probing (RFC 5227) or came with a DHCPv4 lease, or, on a
    /// stack without IPv4, its first static IPv6 address. Fails with
    /// `TimedOut` after `timeout`.
    pub fn wait_configured(&self, timeout: StdDuration) -> io::Result<()> {
        let deadline = Deadline::At(StdInstant::now() + timeout);
        match self.shared.block(deadline, Watch::Any, |core| {
            Ok(core.configured().then_some(()))
        })? {
            Ok(()) => Ok(()),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no usable address within {timeout:?}"),
            )),
        }
    }

    /// Every address with its state, source and lifetimes: IPv4 ones
    /// (tentative while RFC 5227 probes them), IPv6 ones (link-local,
    /// static, SLAAC; tentative while DAD runs, deprecated past their
    /// preferred lifetime). [`Address::is_usable`](super::Address::is_usable) tells which can be used.
    pub fn addresses(&self) -> Vec<super::Address> {
        let core = self.shared.lock();
        let now = Instant::from_micros(core.epoch.elapsed().as_micros() as i64);
        let lease = core
            .dhcp
            .and_then(|h| core.sockets.get::<Dhcpv4Client>(h))
            .and_then(|c| c.lease())
            .map(|l| (IpCidr::V4(l.address), l.expires_at));
        super::addresses::list(&core.iface, now, lease)
    }

    /// The interface events since the last call, oldest first (at most
    /// the last 64): DAD results, SLAAC addresses added, deprecated and
    /// expired, routers added and removed, IPv4 conflicts.
    pub fn interface_events(&self) -> Vec<crate::iface::Event> {
        self.shared.lock().events.drain(..).collect()
    }

    /// The DHCPv4 lease in use (its DNS servers, router, expiry), if the
    /// stack runs DHCPv4 and holds one. Its instants count from the
    /// stack's start.
    pub fn dhcp_lease(&self) -> Option<crate::socket::dhcpv4::Lease> {
        let core = self.shared.lock();
        let client = core.sockets.get::<Dhcpv4Client>(core.dhcp?)?;
        client.lease().cloned()
    }

    /// The DNS servers to ask: the configured ones
    /// ([`StackConfig::dns_servers`]) first, then the DHCPv4 lease's, then
    /// the IPv6 ones of Router Advertisements (RDNSS, RFC 8106 §5.1) whose
    /// lifetime has not run out.
    pub fn dns_servers(&self) -> Vec<IpAddr> {
        let lease = self.dhcp_lease();
        let core = self.shared.lock();
        let mut servers = core.config.dns_servers.clone();
        if let Some(l) = lease {
            servers.extend(l.dns_servers.iter().copied().map(IpAddr::V4));
        }
        let now = core.now();
        let rd = core.iface.router_discovery();
        servers.extend(rd.dns_servers(now).map(|s| IpAddr::V6(s.addr)));
        servers
    }

    /// The DNS search domains of Router Advertisements (DNSSL, RFC 8106
    /// §5.2) whose lifetime has not run out, dotted (`example.com`).
    pub fn search_domains(&self) -> Vec<String> {
        let core = self.shared.lock();
        let now = core.now();
        let rd = core.iface.router_discovery();
        rd.search_domains(now)
            .map(|d| d.name().to_string())
            .collect()
    }

    /// The MTU packets to `dst` are sized to: the link's, or the path MTU
    /// learnt from Packet Too Big / Fragmentation Needed reports (RFC 8201,
    /// RFC 1191) until it ages out.
    pub fn path_mtu(&self, dst: IpAddr) -> usize {
        let core = self.shared.lock();
        core.iface.path_mtu(&dst, core.now())
    }

    /// The interface's counters.
    pub fn stats(&self) -> crate::iface::Stats {
        self.shared.lock().iface.stats().clone()
    }

    /// How many sockets the stack holds, those it keeps for listeners and
    /// connections still closing included (spare closed sockets kept for
    /// reuse are not counted).
    pub fn socket_count(&self) -> usize {
        let core = self.shared.lock();
        core.live - core.spare.len()
    }

    /// How many slots the stack's socket table holds, used or free. Each
    /// holds a whole socket's state (a TCP connection's is some 2.4 KiB,
    /// its buffers apart), so this is the table's memory: it grows with a
    /// burst of connections and shrinks again once most of them are gone.
    pub fn socket_slots(&self) -> usize {
        self.shared.lock().sockets.slots()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

impl core::fmt::Debug for Stack {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let core = self.shared.lock();
        f.debug_struct("Stack")
            .field("mac", &core.config.mac)
            .field("run", &core.run)
            .field("sockets", &core.live)
            .finish()
    }
}

/// Marks the stack stopped when its thread ends, however it ends: a
/// panic in the thread must not leave user calls waiting forever.
pub(crate) struct ExitGuard<'a>(pub(crate) &'a Shared);

impl Drop for ExitGuard<'_> {
    fn drop(&mut self) {
        self.0.halted.store(true, SeqCst);
        let mut core = self.0.lock();
        if core.run != Run::Stopped {
            core.run = Run::Stopped;
            if std::thread::panicking() && core.failure.is_none() {
                core.failure = Some("its thread panicked".to_string());
            }
        }
        for cv in core.waiters_to_wake() {
            cv.notify_one();
        }
    }
}
