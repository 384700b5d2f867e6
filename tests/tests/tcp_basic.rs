//! TCP between two interfaces on an in-memory link: handshake, data both
//! ways, close, reset for a closed port.

use rstcp::socket::tcp::{State, TcpError};
use rstcp::time::Duration;
use rstcp::wire::{IpAddr, IpEndpoint};
use rstcp_tests::relay::bare_tcp;
use rstcp_tests::sim::*;

#[test]
fn handshake_data_both_ways_and_close() {
    let mut sim = Sim::new(1500, false);
    let listener = sim.b.tcp_listener(80, 8, 4, 2, 64 * 1024);
    let client = sim.a.tcp(64 * 1024);
    let local = sim
        .a
        .connect(sim.now, client, IpEndpoint::new(IpAddr::V4(IP4_B), 80), 0)
        .unwrap();
    assert_eq!(local.addr, IpAddr::V4(IP4_A));
    assert!(
        sim.run_until(Duration::from_secs(2), |s| s.a.tcp_socket(client).state()
            == State::Established)
    );
    let mut server = None;
    assert!(sim.run_until(Duration::from_secs(1), |s| {
        server = s.b.listener(listener).accept();
        server.is_some()
    }));
    let server = server.unwrap();
    assert_eq!(sim.b.tcp_socket(server).state(), State::Established);
    assert_eq!(sim.b.tcp_socket(server).remote_endpoint(), Some(local));

    sim.a
        .tcp_socket(client)
        .send_slice(b"GET / HTTP/1.0\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    assert!(sim.run_until(Duration::from_secs(2), |s| {
        let mut buf = [0u8; 64];
        let n = s.b.tcp_socket(server).recv_slice(&mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
        got.len() == 18
    }));
    assert_eq!(got, b"GET / HTTP/1.0\r\n\r\n");
    sim.b
        .tcp_socket(server)
        .send_slice(b"HTTP/1.0 200 OK\r\n\r\nhello")
        .unwrap();
    sim.b.tcp_socket(server).close();
    let mut reply = Vec::new();
    assert!(sim.run_until(Duration::from_secs(2), |s| {
        let mut buf = [0u8; 64];
        if let Ok(n) = s.a.tcp_socket(client).recv_slice(&mut buf) {
            reply.extend_from_slice(&buf[..n]);
        }
        s.a.tcp_socket(client).recv_finished()
    }));
    assert_eq!(reply, b"HTTP/1.0 200 OK\r\n\r\nhello");
    assert_eq!(sim.a.tcp_socket(client).state(), State::CloseWait);
    sim.a.tcp_socket(client).close();
    assert!(
        sim.run_until(Duration::from_secs(2), |s| s.a.tcp_socket(client).state()
            == State::Closed)
    );
    // The server closed first: it waits 2·MSL in TIME-WAIT, then closes.
    assert_eq!(sim.b.tcp_socket(server).state(), State::TimeWait);
    assert!(
        sim.run_until(Duration::from_secs(61), |s| s.b.tcp_socket(server).state()
            == State::Closed)
    );
}

#[test]
fn connecting_to_a_closed_port_is_refused() {
    let mut sim = Sim::new(1500, false);
    let client = sim.a.tcp(4096);
    sim.a
        .connect(sim.now, client, IpEndpoint::new(IpAddr::V4(IP4_B), 81), 0)
        .unwrap();
    assert!(
        sim.run_until(Duration::from_secs(2), |s| s.a.tcp_socket(client).state()
            == State::Closed)
    );
    assert_eq!(
        sim.a.tcp_socket(client).error(),
        Some(TcpError::ConnectionRefused)
    );
}

#[test]
fn a_thousand_concurrent_connections_through_one_listener() {
    let mut sim = Sim::new(1500, false);
    const N: usize = 1000;
    let listener = sim.b.tcp_listener(7, 64, N, N, 2048);
    let clients: Vec<_> = (0..N).map(|_| sim.a.tcp(2048)).collect();
    for &c in &clients {
        sim.a
            .connect(sim.now, c, IpEndpoint::new(IpAddr::V4(IP4_B), 7), 0)
            .unwrap();
    }
    let mut servers = Vec::new();
    assert!(sim.run_until(Duration::from_secs(30), |s| {
        while let Some(h) = s.b.listener(listener).accept() {
            servers.push(h);
        }
        servers.len() == N
    }));
    // Every client says who it is; every server echoes; each gets its own back.
    for (i, &c) in clients.iter().enumerate() {
        sim.a
            .tcp_socket(c)
            .send_slice(format!("client {i}").as_bytes())
            .unwrap();
    }
    let mut echoed = 0;
    let mut replies = vec![Vec::new(); N];
    assert!(
        sim.run_until(Duration::from_secs(30), |s| {
            for &h in &servers {
                let mut buf = [0u8; 64];
                if let Ok(n) = s.b.tcp_socket(h).recv_slice(&mut buf) {
                    if n > 0 {
                        s.b.tcp_socket(h).send_slice(&buf[..n]).unwrap();
                        echoed += 1;
                    }
                }
            }
            for (i, &c) in clients.iter().enumerate() {
                let mut buf = [0u8; 64];
                if let Ok(n) = s.a.tcp_socket(c).recv_slice(&mut buf) {
                    replies[i].extend_from_slice(&buf[..n]);
                }
            }
            replies
                .iter()
                .enumerate()
                .all(|(i, r)| r == format!("client {i}").as_bytes())
        }),
        "echoed {echoed}"
    );
    let st = sim.b.listener(listener).stats();
    assert_eq!(st.accepted, N as u64);
    assert_eq!(st.overflows, 0);
}

#[test]
fn a_syn_flood_does_not_lock_out_a_real_client() {
    use rstcp::phy::{Device, TxToken};
    use rstcp::wire::ethernet::{EtherType, EthernetFrame};
    use rstcp::wire::ipv4::{Ipv4Packet, Ipv4Repr};
    use rstcp::wire::tcp::{TcpFlags, TcpPacket, TcpRepr, TcpSeqNumber};
    use rstcp::wire::{ChecksumMode, IpProtocol, Ipv4Addr};

    let mut sim = Sim::new(1500, false);
    let listener = sim.b.tcp_listener(80, 16, 4, 4, 4096);
    // 2000 SYNs from spoofed sources that will never answer.
    let mut flooded = 0;
    for i in 0..2000u32 {
        let src = Ipv4Addr::new(10, 66, (i >> 8) as u8, i as u8);
        let tcp = TcpRepr {
            max_seg_size: Some(1460),
            ..bare_tcp(
                1024 + (i % 50000) as u16,
                80,
                TcpFlags::SYN,
                TcpSeqNumber(i.wrapping_mul(2_654_435_761)),
                None,
                1024,
            )
        };
        let ip = Ipv4Repr {
            src_addr: src,
            dst_addr: IP4_B,
            next_header: IpProtocol::Tcp,
            payload_len: tcp.buffer_len(),
            hop_limit: 64,
            dscp: 0,
            ecn: 0,
            ident: i as u16,
            dont_frag: true,
            more_frags: false,
            frag_offset: 0,
        };
        let mut end = sim.link.a();
        let Some(tx) = end.transmit(sim.now) else {
            // The link queue is full: let B drain it.
            sim.b
                .iface
                .poll(sim.now, &mut sim.link.b(), &mut sim.b.sockets);
            continue;
        };
        tx.consume(14 + 20 + tcp.buffer_len(), |buf| {
            let mut f = EthernetFrame::new_unchecked(&mut buf[..]);
            f.set_dst_addr(MAC_B);
            f.set_src_addr(MAC_A);
            f.set_ethertype(EtherType::Ipv4);
            ip.emit(
                &mut Ipv4Packet::new_unchecked(&mut buf[14..34]),
                ChecksumMode::Check,
            );
            tcp.emit(
                &mut TcpPacket::new_unchecked(&mut buf[34..]),
                &IpAddr::V4(src),
                &IpAddr::V4(IP4_B),
                ChecksumMode::Check,
            );
        });
        flooded += 1;
        if i % 64 == 0 {
            sim.b
                .iface
                .poll(sim.now, &mut sim.link.b(), &mut sim.b.sockets);
        }
    }
    assert!(flooded > 1000);
    // Now a real client connects while the SYN queue is full of garbage.
    let client = sim.a.tcp(4096);
    let remote = IpEndpoint::new(IpAddr::V4(IP4_B), 80);
    let server = establish(&mut sim, listener, client, remote, Duration::from_secs(10))
        .expect("the real client connected");
    let st = sim.b.listener(listener).stats();
    assert!(
        st.cookies_sent > 0,
        "the SYN queue overflowed into cookies: {st:?}"
    );
    assert_eq!(st.cookies_accepted, 1, "{st:?}");
    // The cookie connection carries data.
    sim.a
        .tcp_socket(client)
        .send_slice(b"through the flood")
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s
        .b
        .tcp_socket(server)
        .recv_queue()
        == 17));
}
