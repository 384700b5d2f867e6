//! TCP between the stack and the Linux kernel over a TAP, the kernel in a
//! network namespace of its own: 100 MB each way with the kernel as client
//! (through the stack's echo) and as server (the stack's client sends, then
//! receives), 10 MB over IPv6, 200 kernel connections open at once on one
//! stack listener, and refusals both ways (TCP reset, ICMP port
//! unreachable for UDP).
//!
//! Content is checked by hashing the stream on both ends; each transfer
//! prints its throughput (no assertion on it: the machine is shared).
//! Sized for `cargo test --release`; a debug build is much slower.
//!
//! Needs root, /dev/net/tun and `ip` (iproute2); without them each test
//! says why and passes, except under CI=true.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use rstcp::iface::DropReason;
use rstcp::socket::tcp::{State, TcpError};
use rstcp::socket::SocketHandle;
use rstcp::wire::{IpAddr, IpEndpoint};
use rstcp_tests::bulk::{exchange, mbps, Exchanged, Pattern};
use rstcp_tests::netns::{require_root, NetNs, KERNEL_V4, KERNEL_V6};
use rstcp_tests::tap_stack::{
    bulk_service, echo_service, echo_service_with_listener, wait_bulk, BulkProgress, KernelRig,
};

/// The stack's echo port (TCP and UDP).
const ECHO: u16 = 7;
/// A port nothing listens on, on either side.
const CLOSED: u16 = 9;
/// The kernel server's port.
const KERNEL_PORT: u16 = 5001;
/// Each stack TCP buffer of the bulk tests: 1 MiB, advertised with window
/// scaling (RFC 7323 §2), so a round trip carries more than 64 KiB.
const BULK_BUFFER: usize = 1 << 20;
/// The large transfers.
const MB_100: usize = 100 * 1000 * 1000;
/// The IPv6 transfers.
const MB_10: usize = 10 * 1000 * 1000;
/// Generous: in release each 100 MB transfer takes a few seconds.
const TRANSFER_TIMEOUT: StdDuration = StdDuration::from_secs(90);

/// Seeds of the two streams of a transfer, so an echo of the wrong
/// direction's data cannot pass.
const KERNEL_SEED: u64 = 0x6b65726e;
const STACK_SEED: u64 = 0x737461636b;

// ----- the kernel as client, through the stack's echo -----------------------

/// Connects from the namespace to the stack's echo at `server`, sends `len`
/// bytes and checks that exactly they come back.
fn kernel_client_through_echo(server: SocketAddr, len: usize) {
    let rig = KernelRig::new("rstcp-kt-", KernelRig::host(), |h| {
        echo_service(h, ECHO, 1, BULK_BUFFER)
    });
    let seen = rig.kernel_exchange(server, len, KERNEL_SEED, StdDuration::from_secs(30));
    assert_eq!(seen.received.len(), len, "bytes echoed");
    assert_eq!(
        seen.received.finish(),
        Pattern::hash(KERNEL_SEED, len),
        "the echo changed the data"
    );
    println!(
        "kernel client -> stack echo -> kernel over {server}: {len} bytes each way in {:.2?}: \
         {:.0} Mbit/s each way; kernel retransmitted {:?} segments",
        seen.elapsed,
        mbps(len, seen.elapsed),
        rig.kernel_retransmits()
    );
}

#[test]
fn kernel_client_gets_100_mb_echoed_by_the_stack_over_ipv4() {
    if !require_root() {
        return;
    }
    kernel_client_through_echo(SocketAddr::from(([192, 168, 69, 1], ECHO)), MB_100);
}

#[test]
fn kernel_client_gets_10_mb_echoed_by_the_stack_over_ipv6() {
    if !require_root() {
        return;
    }
    let server = SocketAddr::new("fd00::1".parse().unwrap(), ECHO);
    kernel_client_through_echo(server, MB_10);
}

// ----- the stack as client, the kernel as server ----------------------------

/// A kernel `TcpListener` on `addr` in `ns` that accepts one connection and
/// runs [`exchange`] on it with `send` bytes. Returns once it listens.
fn kernel_server(
    ns: &NetNs,
    addr: SocketAddr,
    send: usize,
) -> JoinHandle<io::Result<io::Result<Exchanged>>> {
    let (listening, ready) = mpsc::channel();
    let server = ns.in_ns(move || -> io::Result<Exchanged> {
        let listener = TcpListener::bind(addr);
        let ok = listener.as_ref().map(|_| ()).map_err(|e| e.kind());
        let _ = listening.send(ok);
        let (stream, _) = listener?.accept()?;
        stream.set_read_timeout(Some(StdDuration::from_secs(30)))?;
        exchange(stream, send, KERNEL_SEED)
    });
    ready
        .recv_timeout(StdDuration::from_secs(5))
        .expect("the kernel server thread started")
        .expect("the kernel server listens");
    server
}

/// The stack connects to a kernel server at `kernel` and sends
/// `stack_sends` bytes while the kernel sends `kernel_sends`; each end
/// checks what it got by hash.
fn stack_client_with_kernel_server(kernel: IpAddr, stack_sends: usize, kernel_sends: usize) {
    stack_client_with_kernel_server_on(kernel, stack_sends, kernel_sends, false);
}

/// [`stack_client_with_kernel_server`], over a TAP with the kernel's
/// offloads when `offload` is true; then each direction that carried data
/// must have gone as super-segments and super-frames, not one frame per
/// MSS (the offload path was taken, not just asked for).
fn stack_client_with_kernel_server_on(
    kernel: IpAddr,
    stack_sends: usize,
    kernel_sends: usize,
    offload: bool,
) {
    let mut bulk: Option<(SocketHandle, Arc<Mutex<BulkProgress>>)> = None;
    let serve = |h: &mut rstcp_tests::sim::Host| {
        let socket = h.tcp(BULK_BUFFER);
        let (service, progress) = bulk_service(socket, stack_sends, STACK_SEED);
        bulk = Some((socket, progress));
        service
    };
    let rig = if offload {
        KernelRig::with_offload("rstcp-ko-", KernelRig::host(), serve)
    } else {
        KernelRig::new("rstcp-kt-", KernelRig::host(), serve)
    };
    let (socket, progress) = bulk.unwrap();
    let addr = SocketAddr::new(std_ip(kernel), KERNEL_PORT);
    let server = kernel_server(&rig.ns, addr, kernel_sends);
    rig.stack
        .tcp_connect(socket, IpEndpoint::new(kernel, KERNEL_PORT));
    let stack_saw = wait_bulk(&progress, TRANSFER_TIMEOUT);
    assert_eq!(stack_saw.error, None, "the stack's connection failed");
    assert!(stack_saw.done, "transfer not done in time: {stack_saw:?}");
    let kernel_saw = server
        .join()
        .expect("server thread")
        .expect("enter the namespace")
        .expect("the kernel server's transfer");
    assert_eq!(stack_saw.sent, stack_sends);
    assert_eq!(
        kernel_saw.received.len(),
        stack_sends,
        "bytes at the kernel"
    );
    assert_eq!(
        kernel_saw.received.finish(),
        Pattern::hash(STACK_SEED, stack_sends),
        "the kernel got other data than the stack sent"
    );
    assert_eq!(stack_saw.received.len(), kernel_sends, "bytes at the stack");
    assert_eq!(
        stack_saw.received.finish(),
        Pattern::hash(KERNEL_SEED, kernel_sends),
        "the stack got other data than the kernel sent"
    );
    let stats = rig.stack.with(|h| h.iface.stats().clone());
    println!(
        "stack client <-> kernel server at {kernel} (offload: {offload}): stack sent \
         {stack_sends}, kernel sent {kernel_sends} bytes in {:.2?}: {:.0} Mbit/s (the larger \
         direction); retransmitted segments: stack {}, kernel {:?}; frames: {} out, {} in",
        stack_saw.elapsed(),
        mbps(stack_sends.max(kernel_sends), stack_saw.elapsed()),
        stack_saw.retransmits,
        rig.kernel_retransmits(),
        stats.tx_frames,
        stats.rx_frames,
    );
    if offload {
        // One frame per 1448-byte segment without offloads; with them a
        // frame carries up to 64 KB. A quarter of the plain count leaves
        // room for ACKs, the handshake and small windows at the start.
        let plain = |bytes: usize| (bytes / 1448) as u64;
        if stack_sends >= MB_10 {
            assert!(
                stats.tx_frames < plain(stack_sends) / 4,
                "{} frames out for {stack_sends} bytes: no TSO super-segments",
                stats.tx_frames
            );
        }
        if kernel_sends >= MB_10 {
            assert!(
                stats.rx_frames < plain(kernel_sends) / 4,
                "{} frames in for {kernel_sends} bytes: no super-frames from the kernel",
                stats.rx_frames
            );
        }
        assert_eq!(
            stats.dropped(DropReason::Malformed),
            0,
            "bad virtio headers"
        );
        assert_eq!(stats.dropped(DropReason::BadChecksum), 0);
    }
}

fn std_ip(addr: IpAddr) -> std::net::IpAddr {
    match addr {
        IpAddr::V4(a) => std::net::IpAddr::V4(a),
        IpAddr::V6(a) => std::net::IpAddr::V6(a),
    }
}

#[test]
fn stack_client_sends_100_mb_to_a_kernel_server_over_ipv4() {
    if !require_root() {
        return;
    }
    stack_client_with_kernel_server(IpAddr::V4(KERNEL_V4), MB_100, 0);
}

#[test]
fn kernel_server_sends_100_mb_to_a_stack_client_over_ipv4() {
    if !require_root() {
        return;
    }
    stack_client_with_kernel_server(IpAddr::V4(KERNEL_V4), 0, MB_100);
}

#[test]
fn stack_sends_100_mb_to_the_kernel_as_tso_super_segments() {
    if !require_root() {
        return;
    }
    stack_client_with_kernel_server_on(IpAddr::V4(KERNEL_V4), MB_100, 0, true);
}

#[test]
fn kernel_sends_100_mb_to_the_stack_as_super_frames() {
    if !require_root() {
        return;
    }
    stack_client_with_kernel_server_on(IpAddr::V4(KERNEL_V4), 0, MB_100, true);
}

#[test]
fn stack_and_kernel_swap_10_mb_over_ipv6_with_offloads() {
    if !require_root() {
        return;
    }
    stack_client_with_kernel_server_on(IpAddr::V6(KERNEL_V6), MB_10, MB_10, true);
}

#[test]
fn stack_client_and_kernel_server_swap_10_mb_over_ipv6() {
    if !require_root() {
        return;
    }
    stack_client_with_kernel_server(IpAddr::V6(KERNEL_V6), MB_10, MB_10);
}

// ----- many connections on one listener -------------------------------------

/// The message of connection `i`: its number and bytes of a stream of its own.
fn message(i: usize) -> Vec<u8> {
    let mut m = format!("connection {i}:").into_bytes();
    m.extend_from_slice(&Pattern::bytes(i as u64, 1000 + i));
    m
}

#[test]
fn kernel_opens_200_connections_at_once_to_one_stack_listener() {
    if !require_root() {
        return;
    }
    const CONNECTIONS: usize = 200;
    const THREADS: usize = 200;
    let mut listener = None;
    let rig = KernelRig::new("rstcp-kt-", KernelRig::host(), |h| {
        let (service, handle) = echo_service_with_listener(h, ECHO, CONNECTIONS, 4096);
        listener = Some(handle);
        service
    });
    let listener = listener.unwrap();
    // A thread per connection, so the SYNs come at once (more than the
    // 16-entry SYN queue holds: the listener may answer with SYN cookies).
    // Every connection is open before any sends: all 200 are established
    // on the stack at the same time.
    let all_open = Arc::new(Barrier::new(THREADS));
    let clients: Vec<_> = (0..THREADS)
        .map(|t| {
            let all_open = all_open.clone();
            rig.ns.in_ns(move || -> io::Result<Vec<usize>> {
                let server = SocketAddr::from(([192, 168, 69, 1], ECHO));
                let mine: Vec<usize> = (t..CONNECTIONS).step_by(THREADS).collect();
                let connected: io::Result<Vec<TcpStream>> = mine
                    .iter()
                    .map(|_| {
                        let s = TcpStream::connect_timeout(&server, StdDuration::from_secs(10))?;
                        s.set_read_timeout(Some(StdDuration::from_secs(10)))?;
                        Ok(s)
                    })
                    .collect();
                // Every thread reaches the barrier, also after a failed
                // connect, or the others would wait for it forever.
                all_open.wait();
                let mut streams = connected?;
                for (&i, s) in mine.iter().zip(&mut streams) {
                    s.write_all(&message(i))?;
                    s.shutdown(Shutdown::Write)?;
                }
                let mut wrong = Vec::new();
                for (&i, s) in mine.iter().zip(&mut streams) {
                    let mut echoed = Vec::new();
                    s.read_to_end(&mut echoed)?;
                    if echoed != message(i) {
                        wrong.push(i);
                    }
                }
                Ok(wrong)
            })
        })
        .collect();
    for c in clients {
        let wrong = c
            .join()
            .expect("client thread")
            .expect("enter the namespace")
            .expect("connect, send and read back");
        assert!(wrong.is_empty(), "connections echoed wrongly: {wrong:?}");
    }
    let stats = rig.stack.with(|h| h.listener(listener).stats());
    assert_eq!(stats.accepted, CONNECTIONS as u64, "{stats:?}");
    assert_eq!(stats.overflows, 0, "{stats:?}");
    println!("listener after {CONNECTIONS} connections: {stats:?}");
    // Each connection closed cleanly (the kernel's last ACK ended LAST-ACK)
    // and its socket went back to the listener for the next client.
    let pooled = rig.stack.wait_for(StdDuration::from_secs(5), |h| {
        let l = h.listener(listener);
        (l.pooled() == CONNECTIONS).then_some(())
    });
    let now_pooled = rig.stack.with(|h| h.listener(listener).pooled());
    assert!(
        pooled.is_some(),
        "{now_pooled} of {CONNECTIONS} sockets back in the pool"
    );
}

// ----- refusals --------------------------------------------------------------

#[test]
fn kernel_connect_to_a_closed_stack_port_is_refused() {
    if !require_root() {
        return;
    }
    let rig = KernelRig::new("rstcp-kt-", KernelRig::host(), |h| {
        echo_service(h, ECHO, 1, 4096)
    });
    let results = rig.ns.run(|| {
        ["192.168.69.1", "fd00::1"].map(|ip| {
            let addr = SocketAddr::new(ip.parse().unwrap(), CLOSED);
            let r = TcpStream::connect_timeout(&addr, StdDuration::from_secs(5));
            (addr, r.map(|_| ()).map_err(|e| e.kind()))
        })
    });
    for (addr, r) in results {
        // A timeout would mean no RST: RFC 9293 §3.10.7.1 wants one.
        assert_eq!(r, Err(ErrorKind::ConnectionRefused), "connect to {addr}");
    }
}

#[test]
fn stack_connect_to_a_closed_kernel_port_is_refused() {
    if !require_root() {
        return;
    }
    let mut sockets = Vec::new();
    let rig = KernelRig::new("rstcp-kt-", KernelRig::host(), |h| {
        sockets = vec![h.tcp(4096), h.tcp(4096)];
        Box::new(|_| {})
    });
    let remotes = [IpAddr::V4(KERNEL_V4), IpAddr::V6(KERNEL_V6)];
    for (&socket, &remote) in sockets.iter().zip(&remotes) {
        rig.stack
            .tcp_connect(socket, IpEndpoint::new(remote, CLOSED));
    }
    for (&socket, remote) in sockets.iter().zip(remotes) {
        let outcome = rig
            .stack
            .wait_for(StdDuration::from_secs(5), |h| {
                let s = h.tcp_socket(socket);
                (s.state() == State::Closed).then(|| s.error())
            })
            .unwrap_or_else(|| panic!("connect to {remote} still open after 5 s"));
        assert_eq!(outcome, Some(TcpError::ConnectionRefused), "{remote}");
    }
}

#[test]
fn kernel_udp_to_a_closed_stack_port_gets_connection_refused() {
    if !require_root() {
        return;
    }
    let rig = KernelRig::new("rstcp-kt-", KernelRig::host(), |h| {
        echo_service(h, ECHO, 1, 4096)
    });
    let started = StdInstant::now();
    let results = rig.ns.run(|| {
        [("192.168.69.1", "0.0.0.0:0"), ("fd00::1", "[::]:0")].map(|(ip, local)| {
            let server = SocketAddr::new(ip.parse().unwrap(), CLOSED);
            (
                server,
                udp_refused(server, local).map_err(|e| e.to_string()),
            )
        })
    });
    for (server, r) in results {
        // The stack's port unreachable (RFC 1122 §3.2.2.1, RFC 4443 §3.1)
        // reaches the connected socket as ECONNREFUSED.
        assert_eq!(
            r,
            Ok(ErrorKind::ConnectionRefused),
            "UDP to {server}, {:.1?} after start",
            started.elapsed()
        );
    }
}

/// Sends a datagram from a kernel UDP socket connected to `server` and
/// gives the error its next receive reports. A datagram may be lost while
/// ARP/NDP resolves, so up to three are sent.
fn udp_refused(server: SocketAddr, local: &str) -> io::Result<ErrorKind> {
    let socket = UdpSocket::bind(local)?;
    socket.connect(server)?;
    socket.set_read_timeout(Some(StdDuration::from_secs(1)))?;
    let mut buf = [0u8; 64];
    let mut last = ErrorKind::TimedOut;
    for _ in 0..3 {
        // An error from an earlier datagram's ICMP may surface here.
        if let Err(e) = socket.send(b"anyone there?") {
            return Ok(e.kind());
        }
        match socket.recv(&mut buf) {
            Ok(_) => return Ok(ErrorKind::Other),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                last = e.kind();
            }
            Err(e) => return Ok(e.kind()),
        }
    }
    Ok(last)
}
