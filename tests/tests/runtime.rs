//! The std runtime: two `Stack`s, each on its own thread, joined by an
//! in-memory pipe, used through the blocking `std::net`-shaped sockets.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::sync::Arc;
use std::thread;

use rstcp_tests::eventually;
use std::time::{Duration, Instant};

use rstcp::phy::pipe;
use rstcp::runtime::{ping, Stack, StackConfig, TcpListener, TcpStream, UdpSocket};
use rstcp::wire::{EthernetAddress, IpCidr, Ipv4Addr, Ipv4Cidr, Ipv6Addr, Ipv6Cidr};
use rstcp_tests::bulk::{hash, Pattern};

const IP4_A: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 1);
const IP4_B: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 2);
const IP6_A: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1);
const IP6_B: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2);

fn config(last: u8, v4: Ipv4Addr, v6: Ipv6Addr) -> StackConfig {
    let mut c = StackConfig::new(EthernetAddress([2, 0, 0, 0, 0, last]));
    c.ipv4 = vec![Ipv4Cidr::new(v4, 24).unwrap()];
    c.ipv6 = vec![Ipv6Cidr::new(v6, 64).unwrap()];
    // Nobody else is on the pipe to conflict with: skip the 5 s of probes
    // (and DAD's second: `wait_configured_waits_for_dad` runs it).
    c.ipv4_probe = false;
    c.dad_transmits = 0;
    c.random_seed = Some(u64::from(last).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    // TIME-WAIT of 1 s so that tests can see closed sockets freed.
    c.tcp.msl = rstcp::time::Duration::from_millis(500);
    c
}

/// Stacks A (192.168.69.1, fd00::1) and B (.2, fd00::2) on one pipe.
fn stacks() -> (Stack, Stack) {
    let (da, db) = pipe::pair();
    let a = Stack::start(da, config(1, IP4_A, IP6_A)).unwrap();
    let b = Stack::start(db, config(2, IP4_B, IP6_B)).unwrap();
    a.wait_configured(Duration::from_secs(5)).unwrap();
    b.wait_configured(Duration::from_secs(5)).unwrap();
    (a, b)
}

fn b_addr(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(IP4_B), port)
}

/// Deterministic bytes that are not a short repeating pattern (a shifted
/// or dropped segment changes the hash).
fn data(len: usize) -> Vec<u8> {
    Pattern::bytes(0x1234_5678_9abc_def0, len)
}

/// Echoes one connection until the peer closes its side.
fn echo(mut s: TcpStream) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => s.write_all(&buf[..n]).unwrap(),
            Err(e) => panic!("echo read: {e}"),
        }
    }
}

#[test]
fn tcp_echo_of_ten_megabytes_arrives_intact() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, 7, 4).unwrap();
    assert_eq!(listener.local_addr().unwrap().port(), 7);
    let server = thread::spawn(move || {
        let (s, peer) = listener.accept().unwrap();
        assert_eq!(peer.ip(), IpAddr::V4(IP4_A));
        echo(s);
    });
    let stream = TcpStream::connect(&a, b_addr(7)).unwrap();
    assert_eq!(stream.peer_addr().unwrap(), b_addr(7));
    assert_eq!(stream.local_addr().unwrap().ip(), IpAddr::V4(IP4_A));
    let sent = data(10 * 1024 * 1024);
    let received = thread::scope(|scope| {
        scope.spawn(|| {
            // Writes through `&TcpStream` while the reader below reads.
            let mut w = &stream;
            for chunk in sent.chunks(50_000) {
                w.write_all(chunk).unwrap();
            }
            stream.shutdown(Shutdown::Write).unwrap();
        });
        let mut got = Vec::with_capacity(sent.len());
        (&stream).read_to_end(&mut got).unwrap();
        got
    });
    assert_eq!(received.len(), sent.len());
    assert_eq!(hash(&received), hash(&sent));
    let st = stream.stats();
    assert!(st.bytes_acked >= sent.len() as u64, "{st:?}");
    assert!(st.srtt.is_some());
    server.join().unwrap();
}

#[test]
fn a_hundred_concurrent_connections_to_one_listener() {
    let (a, b) = stacks();
    let (a, b) = (Arc::new(a), Arc::new(b));
    const N: usize = 100;
    // A backlog as large as the burst: with a smaller one the handshakes
    // that overflow it complete only on SYN-ACK retransmission, seconds
    // later (as on Linux).
    let listener = TcpListener::bind(&b, 8080, 128).unwrap();
    let server = thread::spawn(move || {
        let mut workers = Vec::new();
        for _ in 0..N {
            let (s, _) = listener.accept().unwrap();
            workers.push(thread::spawn(move || echo(s)));
        }
        for w in workers {
            w.join().unwrap();
        }
        listener.stats()
    });
    let clients: Vec<_> = (0..N)
        .map(|i| {
            let a = a.clone();
            thread::spawn(move || {
                let mut s = TcpStream::connect(&a, b_addr(8080)).unwrap();
                let msg = format!("hello from client {i}").into_bytes();
                s.write_all(&msg).unwrap();
                s.shutdown(Shutdown::Write).unwrap();
                let mut back = Vec::new();
                s.read_to_end(&mut back).unwrap();
                assert_eq!(back, msg, "client {i}");
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let st = server.join().unwrap();
    assert_eq!(st.accepted, N as u64);
    assert_eq!(st.overflows, 0);
}

#[test]
fn sockets_are_freed_over_a_thousand_connections() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, 9000, 8).unwrap();
    let (base_a, base_b) = (a.socket_count(), b.socket_count());
    const N: usize = 1000;
    let server = thread::spawn(move || {
        for _ in 0..N {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 8];
            s.read_exact(&mut buf).unwrap();
            s.write_all(&buf).unwrap();
        }
        listener
    });
    for i in 0..N as u64 {
        let mut s = TcpStream::connect(&a, b_addr(9000)).unwrap();
        s.write_all(&i.to_be_bytes()).unwrap();
        let mut buf = [0u8; 8];
        s.read_exact(&mut buf).unwrap();
        assert_eq!(u64::from_be_bytes(buf), i);
    }
    let _listener = server.join().unwrap();
    // Every connection closes and leaves TIME-WAIT within a second or two:
    // the sets fall back to the listener and its pool.
    assert!(
        eventually(Duration::from_secs(10), || a.socket_count() == base_a
            && b.socket_count() == base_b),
        "a holds {} sockets (was {base_a}), b holds {} (was {base_b})",
        a.socket_count(),
        b.socket_count()
    );
}

#[test]
fn connecting_to_a_closed_port_is_refused() {
    let (a, _b) = stacks();
    let err = TcpStream::connect(&a, b_addr(81)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    assert!(err.to_string().contains("refused"), "{err}");
}

#[test]
fn connecting_to_a_silent_address_times_out() {
    let (a, _b) = stacks();
    let nobody = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 168, 69, 99)), 80);
    let start = Instant::now();
    let err = TcpStream::connect_timeout(&a, &nobody, Duration::from_millis(300)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert!(start.elapsed() >= Duration::from_millis(300));
}

#[test]
fn a_read_timeout_gives_would_block_and_the_stream_still_works() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, 10, 1).unwrap();
    let client = TcpStream::connect(&a, b_addr(10)).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    client
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    assert_eq!(
        client
            .set_read_timeout(Some(Duration::ZERO))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    let start = Instant::now();
    let mut buf = [0u8; 16];
    let err = (&client).read(&mut buf).unwrap_err();
    // std on Unix reports SO_RCVTIMEO as WouldBlock, on Windows TimedOut.
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );
    assert!(start.elapsed() >= Duration::from_millis(200));
    server.write_all(b"late").unwrap();
    let n = (&client).read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"late");

    client.set_nonblocking(true).unwrap();
    let err = (&client).read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
}

#[test]
fn nonblocking_accept_would_block_until_a_connection_comes() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, SocketAddr::from(([0, 0, 0, 0], 0)), 4).unwrap();
    let port = listener.local_addr().unwrap().port();
    assert_ne!(port, 0);
    listener.set_nonblocking(true).unwrap();
    let err = listener.accept().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    let _client = TcpStream::connect(&a, b_addr(port)).unwrap();
    assert!(eventually(Duration::from_secs(5), || listener
        .accept()
        .is_ok()));
}

#[test]
fn a_second_listener_on_a_port_is_addr_in_use() {
    let (_a, b) = stacks();
    let _first = TcpListener::bind(&b, 80, 4).unwrap();
    let err = TcpListener::bind(&b, 80, 4).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    let _u = UdpSocket::bind(&b, 53).unwrap();
    assert_eq!(
        UdpSocket::bind(&b, 53).unwrap_err().kind(),
        ErrorKind::AddrInUse
    );
}

#[test]
fn a_reset_connection_reads_reset_and_writes_broken_pipe() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, 11, 4).unwrap();
    let client = TcpStream::connect(&a, b_addr(11)).unwrap();
    // The connection waits in the backlog; closing the listener resets it.
    assert!(eventually(Duration::from_secs(5), || listener
        .stats()
        .accepted
        == 1));
    drop(listener);
    let mut buf = [0u8; 4];
    let err = (&client).read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    let err = (&client).write(b"more").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err}");
    assert!(err.to_string().contains("reset"), "{err}");
}

#[test]
fn dropping_a_stream_with_unread_data_resets_the_peer() {
    // RFC 2525 §2.17: data the application never read is reported lost.
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, 12, 4).unwrap();
    let mut client = TcpStream::connect(&a, b_addr(12)).unwrap();
    let (server, _) = listener.accept().unwrap();
    client.write_all(b"never read").unwrap();
    assert!(eventually(Duration::from_secs(5), || server
        .stats()
        .bytes_received
        >= 10));
    drop(server);
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 4];
    let err = client.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
}

#[test]
fn dropping_a_drained_stream_closes_gracefully() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, 13, 4).unwrap();
    let mut client = TcpStream::connect(&a, b_addr(13)).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    client.write_all(b"read").unwrap();
    let mut got = [0u8; 4];
    server.read_exact(&mut got).unwrap();
    server.write_all(b"bye").unwrap();
    drop(server);
    let mut rest = Vec::new();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    client.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b"bye", "the data, then end of stream");
}

#[test]
fn shutdown_of_the_read_side_ends_a_blocked_read() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, 14, 4).unwrap();
    let client = std::sync::Arc::new(TcpStream::connect(&a, b_addr(14)).unwrap());
    let _server = listener.accept().unwrap();
    let reader = client.clone();
    let t = thread::spawn(move || {
        let mut buf = [0u8; 8];
        (&*reader).read(&mut buf)
    });
    // Let the read block first: nothing will arrive.
    thread::sleep(Duration::from_millis(200));
    assert!(!t.is_finished(), "the read waits for data");
    client.shutdown(std::net::Shutdown::Read).unwrap();
    assert!(eventually(Duration::from_secs(2), || t.is_finished()));
    assert_eq!(t.join().unwrap().unwrap(), 0, "end of stream, as on Linux");
}

#[test]
fn udp_echo_both_ways_and_connected() {
    let (a, b) = stacks();
    let server = UdpSocket::bind(&b, 5353).unwrap();
    let t = thread::spawn(move || {
        let mut buf = [0u8; 2048];
        for _ in 0..2 {
            let (n, from) = server.recv_from(&mut buf).unwrap();
            server.send_to(&buf[..n], from).unwrap();
        }
    });
    let client = UdpSocket::bind(&a, 0).unwrap();
    let local = client.local_addr().unwrap();
    assert_ne!(local.port(), 0);
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    client.send_to(b"ping one", b_addr(5353)).unwrap();
    let mut buf = [0u8; 2048];
    let (n, from) = client.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"ping one"[..], b_addr(5353)));

    client.connect(b_addr(5353)).unwrap();
    assert_eq!(client.peer_addr().unwrap(), b_addr(5353));
    client.send(&[7u8; 1400]).unwrap();
    let n = client.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], &[7u8; 1400][..]);
    t.join().unwrap();

    client.set_nonblocking(true).unwrap();
    assert_eq!(
        client.recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

#[test]
fn udp_to_a_closed_port_is_refused_on_a_connected_socket() {
    let (a, _b) = stacks();
    let client = UdpSocket::bind(&a, 0).unwrap();
    client.connect(b_addr(9)).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    client.send(b"anyone?").unwrap();
    let mut buf = [0u8; 16];
    let err = client.recv(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
}

#[test]
fn ping_v4_and_v6() {
    let (a, _b) = stacks();
    let timeout = Duration::from_secs(5);
    let rtt = ping(&a, IpAddr::V4(IP4_B), 56, timeout).unwrap();
    assert!(rtt < timeout);
    ping(&a, IpAddr::V6(IP6_B), 56, timeout).unwrap();
    // Fragmented both ways.
    ping(&a, IpAddr::V4(IP4_B), 4000, timeout).unwrap();
    let err = ping(
        &a,
        IpAddr::V4(Ipv4Addr::new(192, 168, 69, 99)),
        56,
        Duration::from_millis(300),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
}

#[test]
fn addresses_are_listed() {
    let (a, _b) = stacks();
    let addrs: Vec<IpCidr> = a.addresses().iter().map(|a| a.cidr).collect();
    assert!(addrs.contains(&Ipv4Cidr::new(IP4_A, 24).unwrap().into()));
    assert!(addrs.contains(&Ipv6Cidr::new(IP6_A, 64).unwrap().into()));
    // The link-local address from the MAC (RFC 4291 §2.5.1).
    let ll = rstcp::iface::link_local_from_mac(&EthernetAddress([2, 0, 0, 0, 0, 1]));
    assert!(addrs.contains(&Ipv6Cidr::new(ll, 64).unwrap().into()));
}

#[test]
fn stop_joins_the_thread_and_the_peer_sees_the_connection_end() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, 12, 1).unwrap();
    let client = TcpStream::connect(&a, b_addr(12)).unwrap();
    let (server, _) = listener.accept().unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    a.stop().unwrap();
    assert!(!a.is_running());
    let mut buf = [0u8; 4];
    // A closes with a FIN (or a reset once the grace period is over).
    match (&server).read(&mut buf) {
        Ok(0) => {}
        Ok(n) => panic!("{n} unexpected bytes"),
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}"),
    }
    let err = (&client).write(b"x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotConnected, "{err}");
    assert!(err.to_string().contains("stopped"), "{err}");
    // Stopping twice is harmless.
    a.stop().unwrap();
}

/// A minimal RFC 2131 server on stack B's UDP port 67: offers and acks
/// `offer`, with B as router, for `rounds` DISCOVER/REQUEST messages.
fn dhcp_server(b: &Stack, offer: Ipv4Addr, rounds: usize) -> thread::JoinHandle<()> {
    use rstcp::wire::dhcpv4::{DhcpMessageType, DhcpPacket, DhcpRepr};
    let socket = UdpSocket::bind(b, 67).unwrap();
    socket.set_broadcast(true).unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 1500];
        for _ in 0..rounds {
            let (n, _) = socket.recv_from(&mut buf).unwrap();
            let packet = DhcpPacket::new_checked(&buf[..n]).unwrap();
            let msg = DhcpRepr::parse(&packet).unwrap();
            let kind = match msg.message_type {
                DhcpMessageType::Discover => DhcpMessageType::Offer,
                DhcpMessageType::Request => DhcpMessageType::Ack,
                _ => continue,
            };
            let mut reply = DhcpRepr {
                message_type: kind,
                transaction_id: msg.transaction_id,
                secs: 0,
                client_hardware_address: msg.client_hardware_address,
                client_ip: Ipv4Addr::UNSPECIFIED,
                your_ip: offer,
                server_ip: IP4_B,
                relay_agent_ip: Ipv4Addr::UNSPECIFIED,
                broadcast: msg.broadcast,
                requested_ip: None,
                server_identifier: Some(IP4_B),
                subnet_mask: Some(Ipv4Addr::new(255, 255, 255, 0)),
                router: Some(IP4_B),
                dns_servers: Default::default(),
                lease_duration: Some(3600),
                renew_duration: None,
                rebind_duration: None,
                parameter_request_list: None,
                client_identifier: None,
                host_name: None,
                domain_name: None,
                max_size: None,
            };
            reply.dns_servers.push(IP4_B).unwrap();
            let mut out = vec![0u8; reply.buffer_len()];
            reply
                .emit(&mut DhcpPacket::new_unchecked(&mut out[..]))
                .unwrap();
            socket
                .send_to(&out, SocketAddr::from((Ipv4Addr::BROADCAST, 68)))
                .unwrap();
        }
    })
}

#[test]
fn without_a_static_address_dhcp_configures_the_stack() {
    let (da, db) = pipe::pair();
    let mut ca = config(1, IP4_A, IP6_A);
    ca.ipv4.clear();
    let a = Stack::start(da, ca).unwrap();
    let b = Stack::start(db, config(2, IP4_B, IP6_B)).unwrap();
    b.wait_configured(Duration::from_secs(5)).unwrap();
    let offered = Ipv4Addr::new(192, 168, 69, 50);
    let server = dhcp_server(&b, offered, 2);
    // Nothing usable before the lease.
    assert!(!a
        .addresses()
        .iter()
        .any(|c| matches!(c.cidr, rstcp::wire::IpCidr::V4(_))));
    // DORA, then the client probes the address (RFC 5227: several seconds).
    a.wait_configured(Duration::from_secs(30)).unwrap();
    server.join().unwrap();
    let leased = a
        .addresses()
        .into_iter()
        .find(|c| c.cidr == Ipv4Cidr::new(offered, 24).unwrap().into())
        .expect("the leased address listed");
    // Listed as leased, with the time left of the lease.
    assert_eq!(leased.source, rstcp::runtime::AddressSource::Dhcpv4);
    assert!(
        leased.valid_for.is_some_and(|d| d > Duration::ZERO),
        "{leased}"
    );
    let lease = a.dhcp_lease().expect("a lease");
    assert_eq!(lease.router, Some(IP4_B));
    assert_eq!(&lease.dns_servers[..], &[IP4_B]);
    assert!(b.dhcp_lease().is_none());
    // The lease is in use: B answers A's ping from the leased address.
    ping(&a, IpAddr::V4(IP4_B), 56, Duration::from_secs(5)).unwrap();
}

#[test]
fn tcp_over_ipv6() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, SocketAddr::from((Ipv6Addr::UNSPECIFIED, 22)), 1).unwrap();
    assert!(listener.local_addr().unwrap().is_ipv6());
    let server = thread::spawn(move || echo(listener.accept().unwrap().0));
    let to = SocketAddr::new(IpAddr::V6(IP6_B), 22);
    let mut s = TcpStream::connect(&a, to).unwrap();
    assert_eq!(s.local_addr().unwrap().ip(), IpAddr::V6(IP6_A));
    let msg = data(100_000);
    let mut back = Vec::new();
    thread::scope(|scope| {
        scope.spawn(|| {
            (&s).write_all(&msg).unwrap();
            s.shutdown(Shutdown::Write).unwrap();
        });
        (&s).read_to_end(&mut back).unwrap();
    });
    assert_eq!(hash(&back), hash(&msg));
    s.set_nodelay(true).unwrap();
    assert!(s.nodelay().unwrap());
    s.flush().unwrap();
    server.join().unwrap();
}

#[test]
fn the_configured_mtu_limits_the_segment_size() {
    let (da, db) = pipe::pair();
    let mut ca = config(1, IP4_A, IP6_A);
    ca.mtu = Some(1000);
    let a = Stack::start(da, ca).unwrap();
    let b = Stack::start(db, config(2, IP4_B, IP6_B)).unwrap();
    let listener = TcpListener::bind(&b, 7, 1).unwrap();
    let client = TcpStream::connect(&a, b_addr(7)).unwrap();
    let (server, _) = listener.accept().unwrap();
    // 1000 less 20 bytes of IPv4 and 20 of TCP header, less options.
    assert!(client.stats().mss <= 960, "{:?}", client.stats());
    // B learns it from A's MSS option (RFC 9293 §3.7.1).
    assert!(server.stats().mss <= 960, "{:?}", server.stats());
}

#[test]
fn a_write_timeout_gives_would_block_when_the_peer_does_not_read() {
    let (a, b) = stacks();
    let listener = TcpListener::bind(&b, 13, 1).unwrap();
    let client = TcpStream::connect(&a, b_addr(13)).unwrap();
    // Accepted and never read: its window and our send buffer fill up.
    let _server = listener.accept().unwrap();
    client
        .set_write_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let chunk = vec![0u8; 16 * 1024];
    let mut written = 0usize;
    let err = loop {
        match (&client).write(&chunk) {
            Ok(n) => written += n,
            Err(e) => break e,
        }
        assert!(written < 10 * 1024 * 1024, "the writes never blocked");
    };
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );
    // Both 64 KiB buffers (B's receive, A's send) are full.
    assert!(written >= 64 * 1024, "{written}");
}

#[test]
fn the_socket_limit_is_kept() {
    let (da, _db) = pipe::pair();
    let mut c = config(1, IP4_A, IP6_A);
    c.max_sockets = 2;
    let a = Stack::start(da, c).unwrap();
    let _one = UdpSocket::bind(&a, 1).unwrap();
    let _two = UdpSocket::bind(&a, 2).unwrap();
    let err = UdpSocket::bind(&a, 3).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfMemory, "{err}");
    assert!(err.to_string().contains("limit of 2 sockets"), "{err}");
    // A dropped socket is freed by the stack's thread, making room.
    drop(_two);
    assert!(eventually(Duration::from_secs(5), || a.socket_count() == 1));
    // A listener needs itself plus its pool of 4: refused whole, with
    // nothing left over.
    let err = TcpListener::bind(&a, 80, 4).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfMemory, "{err}");
    assert_eq!(a.socket_count(), 1);
}

#[test]
fn stop_does_not_wait_out_the_grace_period_when_connections_close() {
    let (da, db) = pipe::pair();
    let mut ca = config(1, IP4_A, IP6_A);
    ca.shutdown_grace = Duration::from_secs(20);
    let a = Stack::start(da, ca).unwrap();
    let b = Stack::start(db, config(2, IP4_B, IP6_B)).unwrap();
    let listener = TcpListener::bind(&b, 14, 1).unwrap();
    let _client = TcpStream::connect(&a, b_addr(14)).unwrap();
    let (server, _) = listener.accept().unwrap();
    let closer = thread::spawn(move || {
        // B closes its side once A's FIN arrives.
        assert_eq!((&server).read(&mut [0u8; 4]).unwrap(), 0);
    });
    let start = Instant::now();
    a.stop().unwrap();
    closer.join().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "stop took {:?}",
        start.elapsed()
    );
}

#[test]
fn abort_on_overflow_comes_from_the_config_and_is_set_per_listener() {
    // What the listener does with it (reset at once, or keep the handshake
    // in the SYN queue) is tested in tcp_listener.rs; here: the runtime
    // hands the setting to the listener and lets the application change it.
    let (da, db) = pipe::pair();
    let a = Stack::start(da, config(1, IP4_A, IP6_A)).unwrap();
    let mut cb = config(2, IP4_B, IP6_B);
    cb.tcp_abort_on_overflow = true;
    let b = Stack::start(db, cb).unwrap();
    assert!(!StackConfig::new(EthernetAddress([2, 0, 0, 0, 0, 9])).tcp_abort_on_overflow);
    let on = TcpListener::bind(&b, 21, 1).unwrap();
    assert!(on.abort_on_overflow().unwrap());
    on.set_abort_on_overflow(false).unwrap();
    assert!(!on.abort_on_overflow().unwrap());
    let off = TcpListener::bind(&a, 22, 1).unwrap();
    assert!(!off.abort_on_overflow().unwrap());
    off.set_abort_on_overflow(true).unwrap();
    assert!(off.abort_on_overflow().unwrap());
}
