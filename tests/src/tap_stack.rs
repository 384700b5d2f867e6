//! The stack under test on a thread of its own, driving a real device.
//!
//! Kernel tests need the stack to run while the test thread blocks in
//! `ping` or a `std::net` call, so the polling loop runs on a thread:
//! poll, serve (echo), sleep in [`WaitDevice::wait`] until a frame, a timer
//! or a wake. The test reaches the sockets through [`StackThread::with`],
//! which wakes the loop afterwards so what the test queued goes out at once.
//!
//! [`KernelRig`] puts it on a [`KernelTap`] in a namespace of its own;
//! [`echo_service`] and [`bulk_service`] are the servings the kernel tests
//! use.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use rstcp::phy::wait::{WaitDevice, Waker};
use rstcp::socket::tcp::{TcpError, TcpSocket};
use rstcp::socket::udp::UdpSocket;
use rstcp::socket::SocketHandle;
use rstcp::time::Instant;
use rstcp::wire::{EthernetAddress, IpEndpoint};
use rstcp_tap::TapDevice;

use crate::bulk::{exchange, Exchanged, Pattern, StreamHash};
use crate::netns::{KernelTap, NetNs, STACK_V4, STACK_V6};
use crate::sim::{Host, MAC_A};
use rstcp_testkit::echo::echo_tcp;

/// Called after every poll, with the host, to serve its sockets.
pub type Service = Box<dyn FnMut(&mut Host) + Send>;

/// An interface and its sockets, polled on a thread over `device`.
/// Dropping it stops the thread and closes the device.
pub struct StackThread {
    host: Arc<Mutex<Host>>,
    waker: Waker,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    start: StdInstant,
}

impl StackThread {
    /// Starts polling `host` over `device`, calling `service` after each poll.
    pub fn spawn<D: WaitDevice + 'static>(mut device: D, host: Host, mut service: Service) -> Self {
        let host = Arc::new(Mutex::new(host));
        let stop = Arc::new(AtomicBool::new(false));
        let waker = device.waker();
        let start = StdInstant::now();
        let thread = {
            let (host, stop) = (host.clone(), stop.clone());
            std::thread::spawn(move || {
                let clock = || Instant::from_micros(start.elapsed().as_micros() as i64);
                while !stop.load(Ordering::Acquire) {
                    let delay = {
                        let mut guard = host.lock().unwrap_or_else(|e| e.into_inner());
                        let h = &mut *guard;
                        let now = clock();
                        h.iface.poll(now, &mut device, &mut h.sockets);
                        service(h);
                        // Serving may have queued data: poll again before
                        // sleeping if it did.
                        h.iface.poll(now, &mut device, &mut h.sockets);
                        h.iface.poll_delay(clock(), &h.sockets)
                    };
                    // Bounded, so a lost wake costs 100 ms, not the test.
                    let delay = delay
                        .map(StdDuration::from)
                        .unwrap_or(StdDuration::MAX)
                        .min(StdDuration::from_millis(100));
                    device.wait(Some(delay)).expect("wait on the device");
                }
            })
        };
        StackThread {
            host,
            waker,
            stop,
            thread: Some(thread),
            start,
        }
    }

    /// The stack's clock (microseconds since the thread started).
    pub fn now(&self) -> Instant {
        Instant::from_micros(self.start.elapsed().as_micros() as i64)
    }

    /// Runs `f` on the host between polls, then wakes the loop.
    pub fn with<R>(&self, f: impl FnOnce(&mut Host) -> R) -> R {
        let r = f(&mut self.host.lock().unwrap_or_else(|e| e.into_inner()));
        self.waker.wake();
        r
    }

    /// Starts a TCP connection from the stack's `socket` to `remote`
    /// (an ephemeral local port); panics if the stack refuses to start it.
    pub fn tcp_connect(&self, socket: SocketHandle, remote: IpEndpoint) {
        let now = self.now();
        self.with(|h| h.iface.tcp_connect(now, &mut h.sockets, socket, remote, 0))
            .expect("connect");
    }

    /// Checks `f` between polls until it gives a value or `timeout` passes.
    pub fn wait_for<R>(
        &self,
        timeout: StdDuration,
        mut f: impl FnMut(&mut Host) -> Option<R>,
    ) -> Option<R> {
        let deadline = StdInstant::now() + timeout;
        loop {
            if let Some(r) = self.with(&mut f) {
                return Some(r);
            }
            if StdInstant::now() >= deadline {
                return None;
            }
            std::thread::sleep(StdDuration::from_millis(2));
        }
    }
}

impl Drop for StackThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.waker.wake();
        if let Some(t) = self.thread.take() {
            // A panic on the loop thread fails the test that joins it;
            // during an unwinding test, one panic is enough.
            if t.join().is_err() && !std::thread::panicking() {
                panic!("the stack's polling thread panicked");
            }
        }
    }
}

/// Echo on `port` for TCP (a listener lent `connections` sockets of
/// `bytes` each way) and UDP (`bytes` of datagrams each way): adds the
/// sockets to `host` and returns the service that answers them.
pub fn echo_service(host: &mut Host, port: u16, connections: usize, bytes: usize) -> Service {
    echo_service_with_listener(host, port, connections, bytes).0
}

/// [`echo_service`], and the TCP listener's handle (to read its stats).
pub fn echo_service_with_listener(
    host: &mut Host,
    port: u16,
    connections: usize,
    bytes: usize,
) -> (Service, SocketHandle) {
    let listener = host.tcp_listener(port, 16, connections, connections, bytes);
    let udp = host.udp_with(port, bytes.max(65536), 32);
    let mut open: Vec<SocketHandle> = Vec::new();
    let mut scratch = vec![0u8; 65536];
    let service = Box::new(move |h: &mut Host| {
        while let Some(s) = h.listener(listener).accept() {
            open.push(s);
        }
        open.retain(|&s| {
            let socket = h.sockets.get_mut::<TcpSocket>(s).unwrap();
            echo_tcp(socket, &mut scratch);
            let done = !socket.is_open();
            if done {
                h.listener(listener).provide(s).unwrap();
            }
            !done
        });
        let socket = h.sockets.get_mut::<UdpSocket>(udp).unwrap();
        while socket.can_recv() && socket.can_send() {
            let Ok((n, meta)) = socket.recv_slice(&mut scratch) else {
                break;
            };
            // A reply with no room is lost, as UDP may; the test that sent
            // it sees no echo.
            let _ = socket.send_slice(&scratch[..n], meta.endpoint.into());
        }
    });
    (service, listener)
}

/// A namespace with the kernel on one end of a TAP and the stack, polled on
/// a thread, on the other. Fields drop in order: the stack thread stops and
/// closes the TAP (and whatever wraps it) before the namespace goes.
pub struct KernelRig {
    /// The stack.
    pub stack: StackThread,
    /// The kernel side's interface name, in `ns`.
    pub tap_name: String,
    /// The kernel's namespace.
    pub ns: NetNs,
}

impl KernelRig {
    /// The stack's host as the kernel tests want it: our MAC, 192.168.69.1
    /// and fd00::1 ([`STACK_V4`], [`STACK_V6`]), no RFC 5227 probing.
    pub fn host() -> Host {
        Host::new(MAC_A, STACK_V4, STACK_V6, 0x5eed, false)
    }

    /// A namespace named after `prefix`, a TAP into it, and `host` polled
    /// over the TAP with the service `serve` adds to it.
    pub fn new(prefix: &str, host: Host, serve: impl FnOnce(&mut Host) -> Service) -> KernelRig {
        KernelRig::wrapped(prefix, host, serve, |tap| tap)
    }

    /// [`new`](Self::new) over a TAP opened with the kernel's offloads
    /// (TSO, partial checksums, super-frames: [`KernelTap::with_offload`]).
    /// Panics if the kernel agreed to none, so a test of the offload path
    /// cannot pass on the plain one.
    pub fn with_offload(
        prefix: &str,
        mut host: Host,
        serve: impl FnOnce(&mut Host) -> Service,
    ) -> KernelRig {
        let ns = NetNs::new(prefix).expect("namespace");
        let tap = KernelTap::with_offload(&ns, true).expect("TAP in the namespace");
        let offloads = tap.device.offloads();
        assert!(
            offloads.tx() && offloads.rx_tso && offloads.rx_checksum,
            "the kernel refused the TAP offloads: {offloads:?}"
        );
        let service = serve(&mut host);
        KernelRig {
            stack: StackThread::spawn(tap.device, host, service),
            tap_name: tap.name,
            ns,
        }
    }

    /// [`new`](Self::new), with the TAP wrapped by `wrap` (a recorder, say)
    /// before the stack gets it.
    pub fn wrapped<D: WaitDevice + 'static>(
        prefix: &str,
        mut host: Host,
        serve: impl FnOnce(&mut Host) -> Service,
        wrap: impl FnOnce(TapDevice) -> D,
    ) -> KernelRig {
        let ns = NetNs::new(prefix).expect("namespace");
        let tap = KernelTap::new(&ns).expect("TAP in the namespace");
        let service = serve(&mut host);
        KernelRig {
            stack: StackThread::spawn(wrap(tap.device), host, service),
            tap_name: tap.name,
            ns,
        }
    }

    /// A kernel client connects to `server` and runs [`exchange`] with
    /// `len` bytes of the stream for `seed`, failing a read after
    /// `read_timeout` of silence.
    pub fn kernel_exchange(
        &self,
        server: SocketAddr,
        len: usize,
        seed: u64,
        read_timeout: StdDuration,
    ) -> Exchanged {
        self.ns
            .run(move || -> io::Result<Exchanged> {
                let stream = TcpStream::connect_timeout(&server, StdDuration::from_secs(5))?;
                stream.set_read_timeout(Some(read_timeout))?;
                exchange(stream, len, seed)
            })
            .expect("TCP transfer")
    }

    /// Three pings of `size` bytes (56 is ping's default) from the
    /// namespace to `target`, 0.2 s apart; asserts that all were answered.
    pub fn kernel_ping(&self, target: &str, size: usize) {
        let family = if target.contains(':') { "-6" } else { "-4" };
        let size = size.to_string();
        let args = [
            family, "-c", "3", "-i", "0.2", "-W", "2", "-s", &size, target,
        ];
        let out = self.ns.exec("ping", &args).expect("run ping");
        let text = output_text(&out);
        assert!(
            out.status.success() && text.contains(" 3 received"),
            "ping {args:?}:\n{text}"
        );
    }

    /// The kernel side's MAC address.
    pub fn kernel_mac(&self) -> EthernetAddress {
        let out = self
            .ns
            .exec_ok("ip", &["-br", "link", "show", "dev", &self.tap_name])
            .expect("ip link show");
        let text = output_text(&out);
        let mac = text.split_whitespace().nth(2).expect("a MAC in ip -br");
        let bytes: Vec<u8> = mac
            .split(':')
            .map(|b| u8::from_str_radix(b, 16).expect("a hex MAC byte"))
            .collect();
        EthernetAddress(bytes.try_into().expect("six MAC bytes"))
    }

    /// The kernel's neighbor table entry for `addr` (`ip neigh show`).
    pub fn kernel_neighbor(&self, addr: &str) -> String {
        let out = self
            .ns
            .exec_ok("ip", &["neigh", "show", addr])
            .expect("ip neigh show");
        output_text(&out)
    }

    /// Segments the kernel retransmitted in the namespace (`nstat`'s
    /// TcpRetransSegs), or `None` when nstat cannot tell: for reports, as
    /// a lossless TAP should need none.
    pub fn kernel_retransmits(&self) -> Option<u64> {
        let out = self.ns.exec_ok("nstat", &["-asz", "TcpRetransSegs"]).ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .find_map(|l| l.strip_prefix("TcpRetransSegs"))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
    }
}

/// A command's stdout and stderr, for assertions and messages.
fn output_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// How a bulk transfer on a stack socket is going (see [`bulk_service`]).
#[derive(Debug, Clone, Default)]
pub struct BulkProgress {
    /// Bytes queued on the socket so far.
    pub sent: usize,
    /// The hash of what was read so far.
    pub received: StreamHash,
    /// Everything was queued, our FIN too, and the peer's FIN was read.
    pub done: bool,
    /// The socket's error, once it failed.
    pub error: Option<TcpError>,
    /// Segments the stack retransmitted on it.
    pub retransmits: u64,
    /// When the connection was first seen established.
    pub established: Option<StdInstant>,
    /// When `done` became true.
    pub finished: Option<StdInstant>,
}

impl BulkProgress {
    /// From established to done (zero until both happened).
    pub fn elapsed(&self) -> StdDuration {
        match (self.established, self.finished) {
            (Some(a), Some(b)) => b - a,
            _ => StdDuration::ZERO,
        }
    }
}

/// Serves one end of a bulk transfer on the stack socket `socket` (the
/// test connects it, or it is accepted elsewhere): queues `send` bytes of
/// the stream for `seed` as room frees up, then closes, and hashes every
/// byte it reads until the peer's FIN. The progress is shared with the test.
pub fn bulk_service(
    socket: SocketHandle,
    send: usize,
    seed: u64,
) -> (Service, Arc<Mutex<BulkProgress>>) {
    let progress = Arc::new(Mutex::new(BulkProgress::default()));
    let shared = progress.clone();
    let mut pattern = Pattern::new(seed);
    let mut closed = false;
    let service = Box::new(move |h: &mut Host| {
        let s = h.tcp_socket(socket);
        let mut p = shared.lock().unwrap_or_else(|e| e.into_inner());
        if p.established.is_none() && s.is_established() {
            p.established = Some(StdInstant::now());
        }
        // Fill the ring in place: no copy through a scratch buffer.
        while s.can_send() && p.sent < send {
            let left = send - p.sent;
            let n = s
                .send(|free| {
                    let n = free.len().min(left);
                    pattern.fill(&mut free[..n]);
                    (n, n)
                })
                .unwrap_or(0);
            if n == 0 {
                break;
            }
            p.sent += n;
        }
        if p.sent == send && !closed && s.is_established() {
            s.close();
            closed = true;
        }
        while s.can_recv() {
            let n = s
                .recv(|data| {
                    p.received.write(data);
                    (data.len(), data.len())
                })
                .unwrap_or(0);
            if n == 0 {
                break;
            }
        }
        if p.error.is_none() {
            p.error = s.error();
        }
        p.retransmits = s.stats().retransmits;
        if !p.done && closed && s.recv_finished() {
            p.done = true;
            p.finished = Some(StdInstant::now());
        }
    });
    (service, progress)
}

/// Waits until the bulk transfer is done or failed, or `timeout` passes;
/// gives its last progress.
pub fn wait_bulk(progress: &Mutex<BulkProgress>, timeout: StdDuration) -> BulkProgress {
    let deadline = StdInstant::now() + timeout;
    loop {
        let p = progress.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if p.done || p.error.is_some() || StdInstant::now() >= deadline {
            return p;
        }
        std::thread::sleep(StdDuration::from_millis(5));
    }
}
