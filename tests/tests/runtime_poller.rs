//! The std runtime's `Poller`: one thread serving many connections (an
//! event loop), and sockets the runtime reuses. Two `Stack`s joined by an
//! in-memory pipe.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::thread;

use rstcp_tests::eventually;
use std::time::Duration;

use rstcp::phy::pipe;
use rstcp::runtime::{Interest, Poller, Stack, StackConfig, TcpListener, TcpStream};
use rstcp::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr};

const IP4_A: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 1);
const IP4_B: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 2);

fn config(last: u8, v4: Ipv4Addr) -> StackConfig {
    let mut c = StackConfig::new(EthernetAddress([2, 0, 0, 0, 0, last]));
    c.ipv4 = vec![Ipv4Cidr::new(v4, 24).unwrap()];
    c.ipv4_probe = false;
    c.random_seed = Some(u64::from(last).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    c.tcp.msl = rstcp::time::Duration::from_millis(200);
    // Thousands of connections: small rings keep the test light.
    c.tcp_rx_buffer = 4096;
    c.tcp_tx_buffer = 4096;
    c.max_sockets = 12_000;
    c
}

fn stacks() -> (Stack, Stack) {
    let (da, db) = pipe::pair();
    let a = Stack::start(da, config(1, IP4_A)).unwrap();
    let b = Stack::start(db, config(2, IP4_B)).unwrap();
    (a, b)
}

fn b_addr(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(IP4_B), port)
}

/// An echo server on one thread: the listener and every connection in one
/// poller. Returns when the stack stops.
fn echo_loop(stack: &Stack, port: u16) -> thread::JoinHandle<()> {
    let listener = TcpListener::bind(stack, port, 64).unwrap();
    listener.set_nonblocking(true).unwrap();
    let poller = Poller::new(stack);
    poller.register(&listener, 0, Interest::READABLE).unwrap();
    thread::spawn(move || {
        let mut conns: HashMap<usize, TcpStream> = HashMap::new();
        let mut next = 1;
        let mut events = Vec::new();
        let mut buf = [0u8; 4096];
        while poller.wait(&mut events, None).is_ok() {
            for ev in &events {
                if ev.token == 0 {
                    while let Ok((s, _)) = listener.accept() {
                        s.set_nonblocking(true).unwrap();
                        poller.register(&s, next, Interest::READABLE).unwrap();
                        conns.insert(next, s);
                        next += 1;
                    }
                    continue;
                }
                let Some(s) = conns.get_mut(&ev.token) else {
                    continue;
                };
                match s.read(&mut buf) {
                    // Small echoes: the 4 KiB send ring takes each whole.
                    Ok(n) if n > 0 => s.write_all(&buf[..n]).unwrap(),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    _ => {
                        conns.remove(&ev.token);
                    }
                }
            }
        }
    })
}

#[test]
fn one_thread_serves_five_thousand_idle_connections_that_each_echo() {
    let (a, b) = stacks();
    let server = echo_loop(&b, 7);
    const N: usize = 5000;
    let mut streams: Vec<TcpStream> = (0..N)
        .map(|i| {
            TcpStream::connect_timeout(&a, &b_addr(7), Duration::from_secs(10))
                .unwrap_or_else(|e| panic!("connection {i}: {e}"))
        })
        .collect();
    assert!(
        eventually(Duration::from_secs(5), || b.socket_count() > N),
        "B holds every connection at once: {} sockets",
        b.socket_count()
    );
    for (i, s) in streams.iter_mut().enumerate() {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let msg = format!("connection {i}");
        s.write_all(msg.as_bytes()).unwrap();
        let mut back = vec![0u8; msg.len()];
        s.read_exact(&mut back)
            .unwrap_or_else(|e| panic!("echo {i}: {e}"));
        assert_eq!(back, msg.as_bytes());
    }
    drop(streams);
    // Memory flat (stress script): once the burst is over, both tables give
    // back the slots it grew them to (each slot holds a whole socket, some
    // 2.4 KiB), so the process's memory returns to where it was.
    let small = |s: &Stack| s.socket_slots() < 1024;
    assert!(
        eventually(Duration::from_secs(10), || small(&a) && small(&b)),
        "socket tables after the burst: A {} slots, B {} slots",
        a.socket_slots(),
        b.socket_slots()
    );
    // And the listener still has sockets to lend.
    let mut s = TcpStream::connect_timeout(&a, &b_addr(7), Duration::from_secs(10)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"after").unwrap();
    let mut back = [0u8; 5];
    s.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"after");
    drop(s);
    b.stop().unwrap();
    server.join().unwrap();
}

#[test]
fn wait_reports_only_ready_sockets_and_times_out_when_none_is() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, 9, 8).unwrap();
    listener.set_nonblocking(true).unwrap();
    let poller = Poller::new(&b);
    poller.register(&listener, 100, Interest::READABLE).unwrap();
    let mut events = Vec::new();
    let t = Some(Duration::from_millis(50));
    assert_eq!(poller.wait(&mut events, t).unwrap(), 0, "nothing to accept");

    let mut c1 = TcpStream::connect(&a, b_addr(9)).unwrap();
    let _c2 = TcpStream::connect(&a, b_addr(9)).unwrap();
    assert_eq!(poller.wait(&mut events, t).unwrap(), 1);
    assert_eq!((events[0].token, events[0].readable), (100, true));
    // The second handshake may still be finishing on B's side.
    listener.set_nonblocking(false).unwrap();
    let (s1, _) = listener.accept().unwrap();
    let (s2, _) = listener.accept().unwrap();
    s1.set_nonblocking(true).unwrap();
    poller.register(&s1, 1, Interest::READABLE).unwrap();
    poller.register(&s2, 2, Interest::READABLE).unwrap();
    assert_eq!(poller.wait(&mut events, t).unwrap(), 0, "both idle");

    c1.write_all(b"x").unwrap();
    assert_eq!(poller.wait(&mut events, None).unwrap(), 1);
    assert_eq!(events[0].token, 1);
    // Level-triggered: reported again until read.
    assert_eq!(poller.wait(&mut events, t).unwrap(), 1);
    let mut buf = [0u8; 4];
    assert_eq!((&s1).read(&mut buf).unwrap(), 1);
    assert_eq!(poller.wait(&mut events, t).unwrap(), 0);

    // Writable: room in the send ring.
    poller.register(&s1, 1, Interest::WRITABLE).unwrap();
    assert_eq!(poller.wait(&mut events, t).unwrap(), 1);
    assert!(events[0].writable && !events[0].readable);

    // Another poller cannot take a socket this one watches.
    let other = Poller::new(&b);
    let err = other.register(&s2, 7, Interest::READABLE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    poller.deregister(&s2).unwrap();
    other.register(&s2, 7, Interest::READABLE).unwrap();
}

#[test]
fn a_dropped_socket_leaves_its_poller() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, 9, 8).unwrap();
    let poller = Poller::new(&b);
    let mut events = Vec::new();
    let t = Some(Duration::from_millis(50));
    let c = TcpStream::connect(&a, b_addr(9)).unwrap();
    let (s, _) = listener.accept().unwrap();
    poller.register(&s, 5, Interest::READABLE).unwrap();
    drop(s);
    drop(c);
    // The closed socket's handle is reused for the next connections; the
    // poller must not report them under the old token.
    let _later: Vec<_> = (0..4)
        .map(|_| {
            let c = TcpStream::connect(&a, b_addr(9)).unwrap();
            (&c).write_all(b"data").unwrap();
            (c, listener.accept().unwrap().0)
        })
        .collect();
    assert_eq!(poller.wait(&mut events, t).unwrap(), 0, "{events:?}");
}

#[test]
fn a_reused_socket_forgets_the_last_connections_settings() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, 9, 1).unwrap();
    let base = a.socket_count();
    let c = TcpStream::connect(&a, b_addr(9)).unwrap();
    c.set_nodelay(true).unwrap();
    let (s, _) = listener.accept().unwrap();
    drop(c);
    drop(s);
    // Closed and past TIME-WAIT: kept as a spare, not counted.
    assert!(eventually(Duration::from_secs(5), || a.socket_count() == base));
    let c = TcpStream::connect(&a, b_addr(9)).unwrap();
    assert!(
        !c.nodelay().unwrap(),
        "a new connection starts with Nagle on"
    );
}

/// A thread waiting in a poller drives the device itself (the runtime's
/// `drive.rs`), and keeps it while it handles its events. One that then
/// stays busy must not leave everyone else's frames unread: the stack's
/// thread takes the device back after a short grace, so a connection
/// served by another thread goes on while the poller's thread is away.
#[test]
fn frames_keep_moving_while_the_thread_that_drove_is_busy_elsewhere() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, 9, 8).unwrap();
    listener.set_nonblocking(true).unwrap();
    let poller = Poller::new(&b);
    poller.register(&listener, 0, Interest::READABLE).unwrap();
    let (busy_tx, busy_rx) = std::sync::mpsc::channel();
    let busy = thread::spawn(move || {
        let mut events = Vec::new();
        // Waits (and drives) until a connection comes, then stays away
        // from the poller for three seconds.
        poller
            .wait(&mut events, Some(Duration::from_secs(10)))
            .unwrap();
        busy_tx.send(()).unwrap();
        thread::sleep(Duration::from_secs(3));
        drop(listener);
    });
    // Another service on B, a thread of its own with blocking calls.
    let echo = TcpListener::bind(&b, 7, 8).unwrap();
    let server = thread::spawn(move || {
        let (mut s, _) = echo.accept().unwrap();
        let mut buf = [0u8; 64];
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => s.write_all(&buf[..n]).unwrap(),
            }
        }
    });
    let _wake = TcpStream::connect_timeout(&a, &b_addr(9), Duration::from_secs(5)).unwrap();
    busy_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    let start = std::time::Instant::now();
    let mut s = TcpStream::connect_timeout(&a, &b_addr(7), Duration::from_secs(5)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for i in 0..20u8 {
        s.write_all(&[i; 10]).unwrap();
        let mut back = [0u8; 10];
        s.read_exact(&mut back).unwrap();
        assert_eq!(back, [i; 10]);
    }
    // Twenty round trips and a handshake while the poller's thread is
    // away: each frame waits at most the grace (a millisecond), never the
    // three seconds the thread is busy.
    let took = start.elapsed();
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    drop(s);
    server.join().unwrap();
    busy.join().unwrap();
    b.stop().unwrap();
    a.stop().unwrap();
}

/// `stop` ends the stack while a poller's thread drives the device: the
/// thread's wait fails with `NotConnected` and the stack's thread, given
/// the device back, closes every connection.
#[test]
fn stop_ends_a_wait_that_drives_the_device() {
    let (a, b) = stacks();
    let server = echo_loop(&b, 7);
    let mut s = TcpStream::connect_timeout(&a, &b_addr(7), Duration::from_secs(5)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"ping").unwrap();
    let mut back = [0u8; 4];
    s.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"ping");
    // The echo loop waits again, with the device: stop must reach it.
    thread::sleep(Duration::from_millis(50));
    let start = std::time::Instant::now();
    b.stop().unwrap();
    server.join().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    // B's stop closed the connection (a FIN, then a reset as A never
    // closed its side): A hears of it rather than waiting.
    let mut rest = Vec::new();
    match s.read_to_end(&mut rest) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        r => panic!("A's end after B stopped: {r:?}"),
    }
    a.stop().unwrap();
}
