//! The listener side of TCP end to end (issue 10): what the SYN-ACK offers,
//! resets and cookies aimed at half-open connections, the timestamp clock,
//! connection bursts beyond what the application accepts, and a new SYN
//! on a TIME-WAIT 4-tuple. Two interfaces through the watching bridge of
//! tests/src/relay.rs, in simulated time.

use std::cell::RefCell;
use std::rc::Rc;

use rstcp::socket::tcp::{HalfOpen, ListenerStats, State, TcpConfig, TcpError, TcpListener};
use rstcp::socket::SocketHandle;
use rstcp::time::Duration;
use rstcp::wire::tcp::{TcpFlags, TcpSeqNumber};
use rstcp::wire::{IpAddr, IpEndpoint};
use rstcp_tests::bulk::Pattern;
use rstcp_tests::relay::*;
use rstcp_tests::sim::{self, *};

const PORT: u16 = 80;

fn server_ep() -> IpEndpoint {
    IpEndpoint::new(IpAddr::V4(IP4_B), PORT)
}

/// A listener on B whose `pool` lent sockets of `bytes` each way are
/// configured by `configure`.
fn listener_with(
    r: &mut Relay,
    syn_queue: usize,
    backlog: usize,
    pool: usize,
    bytes: usize,
    configure: impl Fn(&mut TcpConfig),
) -> SocketHandle {
    let l = TcpListener::new(
        vec![None::<HalfOpen>; syn_queue],
        vec![None; pool],
        vec![None; backlog],
    );
    let h = r.b.sockets.add(l).unwrap();
    r.b.sockets.listen(h, PORT).unwrap();
    for _ in 0..pool {
        let s = r.b.tcp(bytes);
        configure(r.b.tcp_socket(s).config_mut());
        r.b.listener(h).provide(s).unwrap();
    }
    h
}

/// Loses every segment from A but its SYNs (the handshake's last ACK
/// never arrives), keeping a copy of each lost frame.
fn lose_acks_from_a(r: &mut Relay) -> Rc<RefCell<Vec<Vec<u8>>>> {
    let lost = Rc::new(RefCell::new(Vec::new()));
    let keep = lost.clone();
    r.set_filter(move |dir, frame, seen| match (dir, seen) {
        (Dir::AtoB, Some(s)) if !s.is_syn() => {
            keep.borrow_mut().push(frame.to_vec());
            Verdict::Drop
        }
        _ => Verdict::Pass,
    });
    lost
}

/// The SYN A sent from `port` and B's SYN-ACK to it.
fn handshake(r: &Relay, port: u16) -> (Seen, Seen) {
    let syn = r
        .seen(Dir::AtoB, 0)
        .find(|s| s.is_syn() && s.src_port == port)
        .expect("a SYN")
        .clone();
    let synack = r
        .seen(Dir::BtoA, 0)
        .find(|s| s.is_synack() && s.dst_port == port)
        .expect("a SYN-ACK")
        .clone();
    (syn, synack)
}

/// Client socket `client` of A connects to `listener` on B within 5 s;
/// the accepted socket's handle.
fn connect(r: &mut Relay, listener: SocketHandle, client: SocketHandle) -> Option<SocketHandle> {
    sim::establish(r, listener, client, server_ep(), Duration::from_secs(5))
}

// ----- item 11: the SYN-ACK follows the pooled socket's configuration -------

#[test]
fn a_syn_ack_offers_only_what_the_pooled_sockets_enable() {
    let mut r = Relay::new(1500);
    let listener = listener_with(&mut r, 4, 4, 1, 64 * 1024, |c| {
        c.window_scaling = false;
        c.sack = false;
        c.timestamps = false;
    });
    // A offers everything: a 256 KiB buffer wants a window shift of 3.
    let client = r.a.tcp(256 * 1024);
    let server = connect(&mut r, listener, client).expect("connected");
    let local_port = r.a.tcp_socket(client).local_endpoint().unwrap().port;
    let (syn, synack) = handshake(&r, local_port);
    assert_eq!(syn.ws, Some(3));
    assert!(syn.sack_permitted && syn.ts.is_some());
    // RFC 7323 §2.2, §3.2; RFC 2018 §2: an option the socket does not use
    // must not be answered, or the client scales, SACKs and timestamps a
    // connection whose other end does none of it.
    assert_eq!(synack.ws, None, "{synack:?}");
    assert!(!synack.sack_permitted, "{synack:?}");
    assert_eq!(synack.ts, None, "{synack:?}");

    // B sends 1 MiB (which opens its congestion window wide).
    let mark = r.log.len();
    let data = Pattern::bytes(11, 1 << 20);
    let mut sent = 0;
    let mut got = Vec::new();
    assert!(r.run_until(Duration::from_secs(60), |r| {
        if sent < data.len() {
            sent += r.b.tcp_socket(server).send_slice(&data[sent..]).unwrap();
        }
        let mut buf = [0u8; 8192];
        loop {
            let n = r.a.tcp_socket(client).recv_slice(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        got.len() == data.len()
    }));
    assert!(got == data);
    assert!(r.log[mark..]
        .iter()
        .all(|s| s.ts.is_none() && s.sack.is_empty()));
    // A's window field is unscaled, 65535, and B reads it so: with A's ACKs
    // held back, B puts a whole 64 KiB send buffer in flight. (Had A
    // scaled its window by the 3 it asked for while B did not, B would
    // read 32767 and stop halfway.)
    r.run_for(Duration::from_millis(50));
    assert_eq!(r.seen(Dir::AtoB, mark).last().unwrap().window, 65535);
    r.set_filter(|dir, _, _| match dir {
        Dir::AtoB => Verdict::Drop,
        Dir::BtoA => Verdict::Pass,
    });
    let mark = r.log.len();
    let more = Pattern::bytes(12, 64 * 1024);
    assert_eq!(r.b.tcp_socket(server).send_slice(&more), Ok(more.len()));
    r.run_for(Duration::from_millis(100));
    let flight: usize = r.seen(Dir::BtoA, mark).map(|s| s.len).sum();
    assert!(flight > 60 * 1024, "B sent {flight} bytes into A's window");
}

#[test]
fn a_cookie_syn_ack_offers_only_what_the_pooled_sockets_enable() {
    let mut r = Relay::new(1500);
    // No SYN queue: the SYN-ACK is a cookie's.
    let listener = listener_with(&mut r, 0, 4, 1, 64 * 1024, |c| {
        c.window_scaling = false;
        c.sack = false;
    });
    let client = r.a.tcp(256 * 1024);
    let server = connect(&mut r, listener, client).expect("connected");
    assert_eq!(r.b.listener(listener).stats().cookies_accepted, 1);
    let port = r.a.tcp_socket(client).local_endpoint().unwrap().port;
    let (_, synack) = handshake(&r, port);
    assert_eq!(synack.ws, None, "{synack:?}");
    assert!(!synack.sack_permitted, "{synack:?}");
    assert!(synack.ts.is_some(), "timestamps stay on");
    // Both ends agree: the data flows, timestamps on every segment.
    let mark = r.log.len();
    r.a.tcp_socket(client).send_slice(b"ping").unwrap();
    assert!(r.run_until(Duration::from_secs(1), |r| r
        .b
        .tcp_socket(server)
        .recv_queue()
        == 4));
    assert!(r.log[mark..].iter().all(|s| s.ts.is_some()));
}

// ----- item 13: RFC 5961 §3 for half-open connections -----------------------

#[test]
fn only_an_exact_reset_ends_a_half_open_connection() {
    let mut r = Relay::new(1500);
    let listener = listener_with(&mut r, 4, 4, 2, 4096, |_| {});
    let c1 = r.a.tcp(4096);
    let c2 = r.a.tcp(4096);
    let _lost = lose_acks_from_a(&mut r);
    r.a.connect(r.now, c1, server_ep(), 40001).unwrap();
    r.a.connect(r.now, c2, server_ep(), 40002).unwrap();
    assert!(r.run_until(Duration::from_secs(1), |r| {
        r.a.tcp_socket(c1).state() == State::Established
            && r.a.tcp_socket(c2).state() == State::Established
    }));
    assert_eq!(r.b.listener(listener).half_open(), 2);
    let (syn1, synack1) = handshake(&r, 40001);
    let (syn2, synack2) = handshake(&r, 40002);

    // In the window but not at RCV.NXT: a challenge ACK, the record stays.
    let mark = r.log.len();
    let rst = bare_tcp(40001, PORT, TcpFlags::RST, syn1.seq + 1 + 100, None, 0);
    assert!(r.inject(Dir::AtoB, &tcp_v4_frame(Dir::AtoB, &rst)));
    r.run_for(Duration::from_millis(50));
    let answers: Vec<_> = r.seen(Dir::BtoA, mark).cloned().collect();
    assert_eq!(answers.len(), 1, "{answers:?}");
    let challenge = &answers[0];
    assert!(
        challenge.flags.is_empty() && challenge.len == 0,
        "{challenge:?}"
    );
    assert_eq!(
        (challenge.seq, challenge.ack),
        (synack1.seq + 1, Some(syn1.seq + 1))
    );
    // Outside the window: dropped without a word.
    let mark = r.log.len();
    let rst = bare_tcp(40001, PORT, TcpFlags::RST, syn1.seq + (1 << 30), None, 0);
    assert!(r.inject(Dir::AtoB, &tcp_v4_frame(Dir::AtoB, &rst)));
    r.run_for(Duration::from_millis(50));
    assert_eq!(r.seen(Dir::BtoA, mark).count(), 0);
    assert_eq!(r.b.listener(listener).half_open(), 2);

    // Exactly at RCV.NXT: the second half-open connection ends.
    let rst = bare_tcp(40002, PORT, TcpFlags::RST, syn2.seq + 1, None, 0);
    assert!(r.inject(Dir::AtoB, &tcp_v4_frame(Dir::AtoB, &rst)));
    r.run_for(Duration::from_millis(10));
    assert_eq!(r.b.listener(listener).half_open(), 1);

    // The first one's ACK still completes it; the second's earns a reset.
    r.pass_all();
    let mark = r.log.len();
    for (port, syn, synack) in [(40001, &syn1, &synack1), (40002, &syn2, &synack2)] {
        let ack = bare_tcp(
            port,
            PORT,
            TcpFlags::empty(),
            syn.seq + 1,
            Some(synack.seq + 1),
            1024,
        );
        assert!(r.inject(Dir::AtoB, &tcp_v4_frame(Dir::AtoB, &ack)));
    }
    let mut accepted = Vec::new();
    r.run_until(Duration::from_millis(100), |r| {
        if let Some(h) = r.b.listener(listener).accept() {
            accepted.push(h);
        }
        false
    });
    assert_eq!(accepted.len(), 1, "the first connection, once");
    let server = accepted[0];
    assert_eq!(
        r.b.tcp_socket(server).remote_endpoint().unwrap().port,
        40001
    );
    let rsts: Vec<_> = r
        .seen(Dir::BtoA, mark)
        .filter(|s| s.is_rst())
        .map(|s| s.dst_port)
        .collect();
    assert_eq!(rsts, [40002]);
}

// ----- item 14: cookies only after a recent overflow -------------------------

#[test]
fn a_listener_that_never_overflowed_takes_no_cookie() {
    let mut r = Relay::new(1500);
    // No SYN queue: the SYN is answered with a cookie.
    let first = listener_with(&mut r, 0, 4, 1, 4096, |_| {});
    let client = r.a.tcp(4096);
    let lost = lose_acks_from_a(&mut r);
    r.a.connect(r.now, client, server_ep(), 40003).unwrap();
    assert!(
        r.run_until(Duration::from_secs(1), |r| r.a.tcp_socket(client).state()
            == State::Established)
    );
    assert_eq!(r.b.listener(first).stats().cookies_sent, 1);
    let ack = lost.borrow().first().expect("A's ACK").clone();

    // A listener that never ran out of SYN queue takes the port.
    r.b.listener(first).close();
    r.b.sockets.remove(first);
    let second = listener_with(&mut r, 4, 4, 1, 4096, |_| {});
    r.pass_all();
    let mark = r.log.len();
    assert!(r.inject(Dir::AtoB, &ack));
    r.run_for(Duration::from_millis(50));
    assert_eq!(r.b.listener(second).accept(), None, "no cookie checked");
    assert_eq!(r.b.listener(second).stats().cookies_accepted, 0);
    // RFC 9293 §3.10.7.2: an ACK to a listener gets a reset.
    assert!(r.seen(Dir::BtoA, mark).any(|s| s.is_rst()));
}

// ----- item 15: the timestamp clock and invalid-ACK replies ------------------

#[test]
fn timestamps_do_not_reveal_the_host_clock() {
    // RFC 7323 §7.1: a per-connection offset no observer can compute.
    // With the offset a function of the ISN, TSval − ISN.rotl(13) gave
    // the host's millisecond clock to anyone who saw a SYN.
    let mut r = Relay::new(1500);
    let listener = listener_with(&mut r, 4, 4, 1, 4096, |_| {});
    let client = r.a.tcp(4096);
    connect(&mut r, listener, client).expect("connected");
    let port = r.a.tcp_socket(client).local_endpoint().unwrap().port;
    let (syn, synack) = handshake(&r, port);
    for s in [&syn, &synack] {
        let (tsval, _) = s.ts.expect("timestamps");
        let clock = s.at.total_millis() as u32;
        assert_ne!(tsval.wrapping_sub(s.seq.0.rotate_left(13)), clock, "{s:?}");
        // Nor is the offset the ISN itself or zero.
        assert_ne!(tsval.wrapping_sub(s.seq.0), clock);
        assert_ne!(tsval, clock);
    }
}

#[test]
fn out_of_window_acks_are_answered_at_most_twice_a_second() {
    // Linux's tcp_invalid_ratelimit: 500 ms per connection, for segments
    // without data (two stacks answering each other's invalid ACKs loop).
    let mut r = Relay::new(1500);
    let listener = listener_with(&mut r, 4, 4, 1, 4096, |_| {});
    let client = r.a.tcp(4096);
    connect(&mut r, listener, client).expect("connected");
    r.run_for(Duration::from_millis(100));
    let last_a = r.seen(Dir::AtoB, 0).last().unwrap().clone();
    let (a_port, rcv_nxt, snd_nxt) = (last_a.src_port, last_a.ack.unwrap(), last_a.seq);
    let forge = |r: &mut Relay, seq: TcpSeqNumber, payload: &[u8]| {
        let mut seg = bare_tcp(PORT, a_port, TcpFlags::empty(), seq, Some(snd_nxt), 4096);
        seg.payload = payload;
        assert!(r.inject(Dir::BtoA, &tcp_v4_frame(Dir::BtoA, &seg)));
    };
    let mark = r.log.len();
    for _ in 0..8 {
        forge(&mut r, rcv_nxt + (1 << 30), &[]);
        r.run_for(Duration::from_millis(40));
    }
    let answers = r.seen(Dir::AtoB, mark).count();
    assert_eq!(answers, 1, "one ACK for 8 invalid ones in 320 ms");
    // A duplicate carrying data is always answered: its sender needs the ACK.
    let mark = r.log.len();
    forge(&mut r, rcv_nxt - 10, b"0123456789");
    r.run_for(Duration::from_millis(40));
    assert_eq!(r.seen(Dir::AtoB, mark).count(), 1);
    // Half a second after the last answered one, the next is answered.
    r.run_for(Duration::from_millis(300));
    let mark = r.log.len();
    forge(&mut r, rcv_nxt + (1 << 30), &[]);
    r.run_for(Duration::from_millis(40));
    assert_eq!(r.seen(Dir::AtoB, mark).count(), 1);
    assert_eq!(r.a.tcp_socket(client).state(), State::Established);
}

// ----- item 22: bursts beyond what the application accepts ------------------

/// How many of `clients` are established.
fn established(r: &mut Relay, clients: &[SocketHandle]) -> usize {
    clients
        .iter()
        .filter(|&&c| r.a.tcp_socket(c).state() == State::Established)
        .count()
}

#[test]
fn a_full_listener_leaves_no_client_believing_it_is_connected() {
    let mut r = Relay::new(1500);
    // Room for two connections; the application accepts none of them.
    let listener = listener_with(&mut r, 4, 2, 2, 4096, |_| {});
    let clients: Vec<_> = (0..8).map(|_| r.a.tcp(4096)).collect();
    for &c in &clients {
        r.a.connect(r.now, c, server_ep(), 0).unwrap();
        r.run_for(Duration::from_millis(20));
    }
    r.run_for(Duration::from_secs(5));
    // RFC 9293 §3.10.7.2 leaves a full listener free to ignore a SYN (as
    // Linux does with a full accept queue); what it must not do is finish
    // a handshake for a connection it then forgets.
    let l = r.b.listener(listener);
    let held = l.backlog() + l.half_open();
    let up = established(&mut r, &clients);
    assert!(
        up <= held,
        "{up} clients established, B holds {held}: {:?}",
        r.b.listener(listener).stats()
    );
    assert_eq!(r.b.listener(listener).backlog(), 2);
    // The others are still trying (SYN-SENT), not failed.
    for &c in &clients {
        assert!(r.a.tcp_socket(c).state() != State::Closed);
    }
}

#[test]
fn a_completed_handshake_the_listener_cannot_take_is_reset_when_it_expires() {
    let mut r = Relay::new(1500);
    let listener = listener_with(&mut r, 4, 2, 2, 4096, |_| {});
    // Four at once: all four SYNs find room, two ACKs do not.
    let clients: Vec<_> = (0..4).map(|_| r.a.tcp(4096)).collect();
    for &c in &clients {
        r.a.connect(r.now, c, server_ep(), 0).unwrap();
    }
    r.run_for(Duration::from_secs(2));
    assert_eq!(established(&mut r, &clients), 4);
    assert_eq!(r.b.listener(listener).backlog(), 2);
    // The application never accepts. The two B could not take learn it
    // once B gives up on them, not never.
    r.run_for(Duration::from_secs(120));
    let fates: Vec<_> = clients
        .iter()
        .map(|&c| (r.a.tcp_socket(c).state(), r.a.tcp_socket(c).error()))
        .collect();
    let reset = fates
        .iter()
        .filter(|f| **f == (State::Closed, Some(TcpError::ConnectionReset)))
        .count();
    let open = fates.iter().filter(|f| f.0 == State::Established).count();
    assert_eq!((open, reset), (2, 2), "{fates:?}");
}

#[test]
fn held_handshakes_complete_once_the_application_accepts() {
    let mut r = Relay::new(1500);
    let listener = listener_with(&mut r, 4, 2, 2, 4096, |_| {});
    let clients: Vec<_> = (0..6).map(|_| r.a.tcp(4096)).collect();
    for &c in &clients {
        r.a.connect(r.now, c, server_ep(), 0).unwrap();
    }
    r.run_for(Duration::from_secs(2));
    // Each client speaks first; the application then accepts everything,
    // lending a new socket for each connection it takes.
    let mut accepted = Vec::new();
    let mut greeted = vec![false; clients.len()];
    let all = r.run_until(Duration::from_secs(60), |r| {
        for (i, &c) in clients.iter().enumerate() {
            if !greeted[i] && r.a.tcp_socket(c).state() == State::Established {
                r.a.tcp_socket(c).send_slice(b"hello").unwrap();
                greeted[i] = true;
            }
        }
        while let Some(h) = r.b.listener(listener).accept() {
            accepted.push(h);
            let s = r.b.tcp(4096);
            r.b.listener(listener).provide(s).unwrap();
        }
        accepted.len() == clients.len()
            && accepted
                .iter()
                .all(|&h| r.b.tcp_socket(h).recv_queue() == 5)
    });
    assert!(
        all,
        "accepted {}: {:?}",
        accepted.len(),
        r.b.listener(listener).stats()
    );
    for &c in &clients {
        assert_eq!(r.a.tcp_socket(c).error(), None);
    }
}

// ----- item 17: a SYN on a TIME-WAIT 4-tuple --------------------------------

#[test]
fn a_syn_in_time_wait_starts_a_new_connection_at_once() {
    let mut r = Relay::new(1500);
    let listener = listener_with(&mut r, 4, 4, 2, 4096, |_| {});
    let client = r.a.tcp(4096);
    r.a.connect(r.now, client, server_ep(), 40010).unwrap();
    let mut server = None;
    assert!(r.run_until(Duration::from_secs(1), |r| {
        server = server.or_else(|| r.b.listener(listener).accept());
        server.is_some() && r.a.tcp_socket(client).state() == State::Established
    }));
    let server = server.unwrap();
    // B closes first, so B keeps the TIME-WAIT.
    r.b.tcp_socket(server).close();
    assert!(
        r.run_until(Duration::from_secs(1), |r| r.a.tcp_socket(client).state()
            == State::CloseWait)
    );
    r.a.tcp_socket(client).close();
    assert!(
        r.run_until(Duration::from_secs(1), |r| r.b.tcp_socket(server).state()
            == State::TimeWait)
    );
    assert!(
        r.run_until(Duration::from_secs(1), |r| r.a.tcp_socket(client).state()
            == State::Closed)
    );
    r.run_for(Duration::from_millis(100));

    // The same 4-tuple again: RFC 9293 §3.10.7.4 / RFC 6191 let a SYN with
    // a newer timestamp (or a higher ISN) reopen it.
    let mark = r.log.len();
    let again = r.a.tcp(4096);
    r.a.connect(r.now, again, server_ep(), 40010).unwrap();
    let start = r.now;
    let mut second = None;
    assert!(
        r.run_until(Duration::from_secs(5), |r| {
            second = second.or_else(|| r.b.listener(listener).accept());
            second.is_some() && r.a.tcp_socket(again).state() == State::Established
        }),
        "not reconnected"
    );
    assert!(
        r.now - start < Duration::from_millis(100),
        "took {} (a SYN retransmission)",
        r.now - start
    );
    let syns = r.seen(Dir::AtoB, mark).filter(|s| s.is_syn()).count();
    assert_eq!(syns, 1);
    assert_ne!(second, Some(server));
}

#[test]
fn abort_on_overflow_resets_a_handshake_the_listener_cannot_take() {
    // Linux's tcp_abort_on_overflow: the client learns at once.
    let mut r = Relay::new(1500);
    let listener = listener_with(&mut r, 4, 1, 1, 4096, |_| {});
    r.b.listener(listener).set_abort_on_overflow(true);
    let clients: Vec<_> = (0..3).map(|_| r.a.tcp(4096)).collect();
    for &c in &clients {
        r.a.connect(r.now, c, server_ep(), 0).unwrap();
    }
    r.run_for(Duration::from_millis(100));
    let fates: Vec<_> = clients
        .iter()
        .map(|&c| (r.a.tcp_socket(c).state(), r.a.tcp_socket(c).error()))
        .collect();
    let reset = fates
        .iter()
        .filter(|f| **f == (State::Closed, Some(TcpError::ConnectionReset)))
        .count();
    assert_eq!(reset, 2, "{fates:?}");
    assert_eq!(r.b.listener(listener).half_open(), 0);
    assert_eq!(r.b.listener(listener).stats().overflow_resets, 2);
}

/// What a burst of `N` clients against a SYN queue of 8, a backlog of 4
/// and 4 lent sockets came to, the application taking one connection every
/// 20 ms and lending a socket for each: (clients served, clients reset,
/// the most clients ever established that B did not hold — accepted, in
/// the accept queue or kept as a completed handshake — and the stats).
fn burst(abort_on_overflow: bool) -> (usize, usize, usize, ListenerStats) {
    const N: usize = 64;
    let mut r = Relay::new(1500);
    let listener = listener_with(&mut r, 8, 4, 4, 2048, |_| {});
    r.b.listener(listener)
        .set_abort_on_overflow(abort_on_overflow);
    let clients: Vec<_> = (0..N).map(|_| r.a.tcp(2048)).collect();
    for &c in &clients {
        r.a.connect(r.now, c, server_ep(), 0).unwrap();
    }
    let mut accepted: Vec<SocketHandle> = Vec::new();
    let mut greeted = [false; N];
    let mut stranded_max = 0usize;
    let heard = |r: &mut Relay, accepted: &[SocketHandle]| {
        accepted
            .iter()
            .filter(|&&h| r.b.tcp_socket(h).recv_queue() == 2)
            .count()
    };
    let reset = |r: &mut Relay| {
        clients
            .iter()
            .filter(|&&c| r.a.tcp_socket(c).error().is_some())
            .count()
    };
    for _ in 0..6000 {
        r.run_for(Duration::from_millis(20));
        if let Some(h) = r.b.listener(listener).accept() {
            accepted.push(h);
            let s = r.b.tcp(2048);
            r.b.listener(listener).provide(s).unwrap();
        }
        for (i, &c) in clients.iter().enumerate() {
            if !greeted[i] && r.a.tcp_socket(c).state() == State::Established {
                r.a.tcp_socket(c).send_slice(b"hi").unwrap();
                greeted[i] = true;
            }
        }
        let l = r.b.listener(listener);
        let held = accepted.len() + l.backlog() + l.half_open();
        stranded_max = stranded_max.max(established(&mut r, &clients).saturating_sub(held));
        if heard(&mut r, &accepted) + reset(&mut r) == N {
            break;
        }
    }
    let st = r.b.listener(listener).stats();
    (heard(&mut r, &accepted), reset(&mut r), stranded_max, st)
}

#[test]
fn a_burst_of_clients_beyond_every_queue_is_served() {
    // As Linux: completed handshakes beyond the SYN queue's room wait on
    // their cookie; the clients' retransmissions complete them.
    let (served, reset, stranded, st) = burst(false);
    assert_eq!((served, reset), (64, 0), "{st:?}");
    println!("burst: {served} served, at most {stranded} clients waiting on a cookie: {st:?}");
}

#[test]
fn a_burst_with_abort_on_overflow_strands_no_client() {
    let (served, reset, stranded, st) = burst(true);
    assert_eq!(stranded, 0, "{st:?}");
    assert_eq!(served + reset, 64, "{st:?}");
    assert!(served >= 4 && reset > 0, "{served} {reset} {st:?}");
    println!("burst with abort: {served} served, {reset} reset: {st:?}");
}
