//! The bare-metal quick start (`core/doc/bare_metal.rs`: the crate docs
//! and the README show it, `core/nostd-check` links it without std) does
//! what it says: a client on the other end of a wire connects to
//! 192.168.69.1:7 and gets its bytes echoed, over two connections in turn.
//! Real time (the server probes its address for ~6 s, RFC 5227), the
//! server on its own thread as on a board.

use std::time::Duration as StdDuration;

use rstcp::phy::pipe;
use rstcp::socket::tcp::State;
use rstcp::time::StdClock;
use rstcp::wire::{IpAddr, IpEndpoint};
use rstcp_tests::sim::{Host, IP4_B, IP6_B, MAC_B};

include!("../../core/doc/bare_metal.rs");

#[test]
fn the_quick_start_echoes_over_tcp() {
    let (mut board, mut wire) = pipe::pair();
    let clock = StdClock::new();
    std::thread::spawn(move || {
        let sleep = |delay: Option<Duration>| {
            let cap = StdDuration::from_millis(1);
            std::thread::sleep(delay.map_or(cap, |d| cap.min(d.into())));
        };
        run(&mut board, || clock.now(), sleep, 0x5eed)
    });

    let mut client = Host::new(MAC_B, IP4_B, IP6_B, 0xc11e, false);
    let poll = |c: &mut Host, wire: &mut pipe::PipeEnd| {
        while c.iface.poll(clock.now(), wire, &mut c.sockets) {}
        std::thread::sleep(StdDuration::from_millis(1));
    };
    // Until the server has its address (RFC 5227 probing, then its
    // announcement).
    let until = clock.now() + Duration::from_secs(7);
    while clock.now() < until {
        poll(&mut client, &mut wire);
    }
    let server = IpEndpoint::new(IpAddr::V4(Ipv4Addr::new(192, 168, 69, 1)), 7);
    for round in 0..3 {
        let h = client.tcp(4096);
        client.connect(clock.now(), h, server, 0).unwrap();
        let message = format!("hello, round {round}").into_bytes();
        let mut sent = false;
        let mut got = Vec::new();
        let deadline = clock.now() + Duration::from_secs(5);
        while got.len() < message.len() && clock.now() < deadline {
            poll(&mut client, &mut wire);
            let s = client.tcp_socket(h);
            if !sent && s.state() == State::Established {
                assert_eq!(s.send_slice(&message).unwrap(), message.len());
                sent = true;
            }
            let mut buf = [0u8; 64];
            let n = s.recv_slice(&mut buf).unwrap_or(0);
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(
            got,
            message,
            "round {round}: client {:?} {:?}",
            client.tcp_socket(h).state(),
            client.tcp_socket(h).error()
        );
        // We close; the server closes after the echo and lends its socket
        // to the listener again (two sockets, three rounds).
        client.tcp_socket(h).close();
        let deadline = clock.now() + Duration::from_secs(5);
        while client.tcp_socket(h).state() != State::Closed
            && client.tcp_socket(h).state() != State::TimeWait
            && clock.now() < deadline
        {
            poll(&mut client, &mut wire);
        }
        assert!(
            matches!(
                client.tcp_socket(h).state(),
                State::Closed | State::TimeWait
            ),
            "round {round}: the server did not close: {:?}",
            client.tcp_socket(h).state()
        );
        client.sockets.remove(h);
    }
}
