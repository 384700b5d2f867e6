//! TCP rules end to end: two interfaces through a bridge that sees every
//! segment and can lose, answer or forge frames (tests/src/relay.rs), in
//! simulated time. Each test checks what an application relies on, and the
//! segments on the wire where the rule is about them.

use rstcp::socket::tcp::{State, TcpApiError, TcpError};
use rstcp::socket::SocketHandle;
use rstcp::time::{Duration, Instant};
use rstcp::wire::icmpv4::Icmpv4DstUnreachable;
use rstcp::wire::tcp::{TcpFlags, TcpSeqNumber};
use rstcp::wire::{IpAddr, IpEndpoint};
use rstcp_tests::bulk::{hash, Pattern};
use rstcp_tests::relay::*;
use rstcp_tests::sim::{self, *};

const PORT: u16 = 80;

/// A listener on B and a client on A, connected; (client, server).
fn connect(r: &mut Relay, to: IpAddr, buffer: usize) -> (SocketHandle, SocketHandle) {
    let listener = r.b.tcp_listener(PORT, 4, 4, 1, buffer);
    let client = r.a.tcp(buffer);
    let server = establish(r, listener, client, to);
    (client, server)
}

/// Connects `client` on A to `listener` on B at `to`; gives the accepted
/// socket once both ends are established.
fn establish(
    r: &mut Relay,
    listener: SocketHandle,
    client: SocketHandle,
    to: IpAddr,
) -> SocketHandle {
    let remote = IpEndpoint::new(to, PORT);
    sim::establish(r, listener, client, remote, Duration::from_secs(5)).expect("connected")
}

/// Starts connecting `client` on A to `remote` from an ephemeral port.
fn start_connect(r: &mut Relay, client: SocketHandle, remote: IpEndpoint) {
    r.a.connect(r.now, client, remote, 0).unwrap();
}

/// A deterministic byte stream.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    Pattern::bytes(seed, len)
}

/// Sends `data` from `from` to `to` the way `dir` says, reading as it
/// comes; returns what was read.
fn carry(
    r: &mut Relay,
    dir: Dir,
    from: SocketHandle,
    to: SocketHandle,
    data: &[u8],
    limit: Duration,
) -> Vec<u8> {
    let mut sent = 0;
    let mut got = Vec::with_capacity(data.len());
    let done = r.run_until(limit, |r| {
        let (sender, receiver) = match dir {
            Dir::AtoB => (&mut r.a, &mut r.b),
            Dir::BtoA => (&mut r.b, &mut r.a),
        };
        if sent < data.len() {
            sent += sender.tcp_socket(from).send_slice(&data[sent..]).unwrap();
        }
        let mut buf = [0u8; 4096];
        loop {
            let n = receiver.tcp_socket(to).recv_slice(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        got.len() == data.len()
    });
    assert!(done, "only {} of {} bytes arrived", got.len(), data.len());
    got
}

// ----- 1. keepalive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6) ------------------

const IDLE: Duration = Duration::from_secs(10);
const INTERVAL: Duration = Duration::from_secs(2);
const PROBES: u32 = 3;

/// Within a few milliseconds of `expected` (the idle time counts from the
/// last segment received, a few simulated microseconds before `connect`
/// returned).
fn near(t: Instant, expected: Instant) -> bool {
    t + Duration::from_millis(5) >= expected && t < expected + Duration::from_millis(5)
}

/// Keepalive probes from A: empty segments one below SND.NXT.
fn probes(r: &Relay, from: usize) -> Vec<Seen> {
    r.seen(Dir::AtoB, from)
        .filter(|s| s.len == 0 && s.flags.is_empty() && s.ack.is_some())
        .cloned()
        .collect::<Vec<_>>()
}

#[test]
fn keepalive_probes_an_idle_connection_and_an_alive_peer_keeps_it_open() {
    let mut r = Relay::new(1500);
    let (client, server) = connect(&mut r, IpAddr::V4(IP4_B), 4096);
    r.a.tcp_socket(client).config_mut().keepalive = Some((IDLE, INTERVAL, PROBES));
    let start = r.now;
    let mark = r.log.len();
    let last_ack = r.seen(Dir::AtoB, 0).last().unwrap().seq;
    r.run_for(Duration::from_secs(35));
    let p = probes(&r, mark);
    assert_eq!(p.len(), 3, "one probe per idle period: {p:?}");
    for (i, probe) in p.iter().enumerate() {
        // RFC 9293 §3.8.4: SEG.SEQ = SND.NXT − 1, so the peer must answer.
        assert_eq!(probe.seq, last_ack - 1);
        let expected = start + IDLE * (i as u32 + 1);
        assert!(
            near(probe.at, expected),
            "probe {i} at {} (idle since {start})",
            probe.at
        );
        // The peer answered each one.
        assert!(r
            .seen(Dir::BtoA, 0)
            .any(|s| s.at >= probe.at && s.at < probe.at + Duration::from_millis(1)));
    }
    assert_eq!(r.a.tcp_socket(client).state(), State::Established);
    assert_eq!(r.a.tcp_socket(client).error(), None);
    // The connection still carries data.
    let got = carry(
        &mut r,
        Dir::AtoB,
        client,
        server,
        b"still here",
        Duration::from_secs(1),
    );
    assert_eq!(got, b"still here");
}

#[test]
fn keepalive_gives_up_on_a_vanished_peer_after_count_probes() {
    let mut r = Relay::new(1500);
    let (client, server) = connect(&mut r, IpAddr::V4(IP4_B), 4096);
    r.a.tcp_socket(client).config_mut().keepalive = Some((IDLE, INTERVAL, PROBES));
    let start = r.now;
    let mark = r.log.len();
    r.set_filter(|_, _, _| Verdict::Drop);
    assert!(
        r.run_until(Duration::from_secs(60), |r| r.a.tcp_socket(client).state()
            == State::Closed)
    );
    let failed_at = r.now;
    let p = probes(&r, mark);
    assert_eq!(p.len(), PROBES as usize, "{p:?}");
    for (i, probe) in p.iter().enumerate() {
        let expected = start + IDLE + INTERVAL * i as u32;
        assert!(
            near(probe.at, expected),
            "probe {i} at {}, expected {expected}",
            probe.at
        );
    }
    // Given up one interval after the last unanswered probe.
    let expected = start + IDLE + INTERVAL * PROBES;
    assert!(
        near(failed_at, expected),
        "failed at {failed_at}, expected {expected}"
    );
    assert_eq!(r.a.tcp_socket(client).error(), Some(TcpError::TimedOut));
    assert_eq!(
        r.a.tcp_socket(client).send_slice(b"x"),
        Err(TcpApiError::Failed(TcpError::TimedOut))
    );
    // B had keepalive off: it knows nothing.
    assert_eq!(r.b.tcp_socket(server).state(), State::Established);
}

#[test]
fn keepalive_with_linux_defaults_gives_up_even_once_arp_fails() {
    // Two hours idle, nine probes 75 s apart: long enough for A's ARP entry
    // for B to expire, so the probes die unresolved before the wire.
    let (idle, interval, count) = (Duration::from_secs(7200), Duration::from_secs(75), 9);
    let mut r = Relay::new(1500);
    let (client, _server) = connect(&mut r, IpAddr::V4(IP4_B), 4096);
    r.a.tcp_socket(client).config_mut().keepalive = Some((idle, interval, count));
    let start = r.now;
    r.set_filter(|_, _, _| Verdict::Drop);
    assert!(r.run_until(Duration::from_secs(4 * 3600), |r| r
        .a
        .tcp_socket(client)
        .state()
        == State::Closed));
    assert_eq!(r.a.tcp_socket(client).error(), Some(TcpError::TimedOut));
    let expected = start + idle + interval * count;
    // Each probe may first wait for ARP to fail (a few seconds).
    assert!(
        r.now + Duration::from_millis(5) >= expected && r.now < expected + Duration::from_secs(60),
        "gave up at {}, expected {expected}",
        r.now
    );
}

// ----- 2. user timeout (RFC 9293 §3.8.3, RFC 5482) -------------------------

#[test]
fn unacknowledged_data_past_the_user_timeout_fails_the_connection() {
    let mut r = Relay::new(1500);
    let (client, _server) = connect(&mut r, IpAddr::V4(IP4_B), 4096);
    let limit = Duration::from_secs(20);
    r.a.tcp_socket(client).config_mut().user_timeout = Some(limit);
    r.set_filter(|_, _, _| Verdict::Drop);
    let mark = r.log.len();
    r.a.tcp_socket(client).send_slice(b"into the void").unwrap();
    let sent_at = r.now;
    assert!(
        r.run_until(Duration::from_secs(120), |r| r.a.tcp_socket(client).state()
            == State::Closed)
    );
    let failed_at = r.now;
    assert_eq!(r.a.tcp_socket(client).error(), Some(TcpError::TimedOut));
    // On time: not before the limit, and not a whole backed-off RTO later.
    assert!(
        failed_at >= sent_at + limit && failed_at < sent_at + limit + Duration::from_millis(50),
        "failed at {failed_at}, data sent at {sent_at}"
    );
    let data: Vec<_> = r.seen(Dir::AtoB, mark).filter(|s| s.len > 0).collect();
    assert!(data.len() >= 4, "retransmitted with backoff: {data:?}");
    // The documented choice (TcpError::TimedOut): no reset, the peer is
    // presumed unreachable.
    assert!(!r.seen(Dir::AtoB, mark).any(Seen::is_rst));
    assert_eq!(
        r.a.tcp_socket(client).send_slice(b"more"),
        Err(TcpApiError::Failed(TcpError::TimedOut))
    );
}

// ----- 3. ICMP errors (RFC 9293 §3.9, RFC 5927, RFC 1191) -------------------

#[test]
fn port_unreachable_in_syn_sent_refuses_the_connect() {
    let mut r = Relay::new(1500);
    r.set_filter(|dir, frame, seg| match seg {
        Some(s) if dir == Dir::AtoB && s.is_syn() => Verdict::Reply(
            icmpv4_unreachable(frame, IP4_B, Icmpv4DstUnreachable::PortUnreachable, 0).unwrap(),
        ),
        _ => Verdict::Pass,
    });
    let client = r.a.tcp(4096);
    start_connect(&mut r, client, IpEndpoint::new(IpAddr::V4(IP4_B), 9));
    assert!(
        r.run_until(Duration::from_secs(10), |r| r.a.tcp_socket(client).state()
            == State::Closed)
    );
    assert_eq!(
        r.a.tcp_socket(client).error(),
        Some(TcpError::ConnectionRefused)
    );
    // At once: before the SYN's first retransmission (RFC 6298 §2.1: 1 s).
    assert!(r.now < Instant::from_millis(100), "{}", r.now);
    assert_eq!(r.seen(Dir::AtoB, 0).filter(|s| s.is_syn()).count(), 1);
}

#[test]
fn a_forged_port_unreachable_not_quoting_our_syn_is_ignored() {
    // RFC 5927 §4.1: the quoted sequence number must be one in flight.
    let mut r = Relay::new(1500);
    let listener = r.b.tcp_listener(PORT, 4, 4, 1, 4096);
    let mut forged = 0;
    r.set_filter(move |dir, frame, seg| match seg {
        Some(s) if dir == Dir::AtoB && s.is_syn() && forged == 0 => {
            forged += 1;
            // An attacker who saw the ports but not the ISN.
            let mut guess = frame.to_vec();
            let seq = &mut guess[14 + 20 + 4..14 + 20 + 8];
            let wrong = u32::from_be_bytes([seq[0], seq[1], seq[2], seq[3]]) ^ 0x8000_0000;
            seq.copy_from_slice(&wrong.to_be_bytes());
            Verdict::Reply(
                icmpv4_unreachable(&guess, IP4_B, Icmpv4DstUnreachable::PortUnreachable, 0)
                    .unwrap(),
            )
        }
        _ => Verdict::Pass,
    });
    let client = r.a.tcp(4096);
    start_connect(&mut r, client, IpEndpoint::new(IpAddr::V4(IP4_B), PORT));
    // The first SYN was lost; the retransmitted one connects.
    assert!(
        r.run_until(Duration::from_secs(5), |r| r.a.tcp_socket(client).state()
            != State::SynSent)
    );
    assert_eq!(r.a.tcp_socket(client).state(), State::Established);
    assert_eq!(r.a.tcp_socket(client).error(), None);
    assert_eq!(r.seen(Dir::AtoB, 0).filter(|s| s.is_syn()).count(), 2);
    assert!(r.run_until(Duration::from_secs(1), |r| r
        .b
        .listener(listener)
        .accept()
        .is_some()));
}

#[test]
fn fragmentation_needed_lowers_the_mss_and_the_data_gets_through() {
    const PATH_MTU: usize = 1000;
    let mut r = Relay::new(1500);
    let (client, server) = connect(&mut r, IpAddr::V4(IP4_B), 64 * 1024);
    // A router whose next hop carries 1000-byte packets (RFC 1191 §4).
    r.set_filter(move |dir, frame, seg| {
        let Some(s) = seg else { return Verdict::Pass };
        if dir != Dir::AtoB || s.ip_len <= PATH_MTU {
            return Verdict::Pass;
        }
        // RFC 1191 §3: a host doing path MTU discovery sets DF on every
        // datagram; a router fragments those without.
        let df = frame.get(14 + 6).is_some_and(|b| b & 0x40 != 0);
        assert!(df, "a TCP segment of {} bytes without DF", s.ip_len);
        Verdict::Reply(
            icmpv4_unreachable(
                frame,
                IP4_B,
                Icmpv4DstUnreachable::FragRequired,
                PATH_MTU as u16,
            )
            .unwrap(),
        )
    });
    let mark = r.log.len();
    let data = pattern(100_000, 3);
    let got = carry(
        &mut r,
        Dir::AtoB,
        client,
        server,
        &data,
        Duration::from_secs(30),
    );
    assert!(got == data, "the data arrived intact");
    let passed: Vec<_> = r
        .seen(Dir::AtoB, mark)
        .filter(|s| s.passed && s.len > 0)
        .collect();
    assert!(passed.iter().all(|s| s.ip_len <= PATH_MTU));
    // Full-sized segments for the new path: 1000 − 40, less the timestamps.
    assert_eq!(passed.iter().map(|s| s.len).max(), Some(PATH_MTU - 40 - 12));
    assert_eq!(r.a.tcp_socket(client).stats().mss, PATH_MTU - 40 - 12);
    // The first segments were too big and were bounced.
    assert!(r.seen(Dir::AtoB, mark).any(|s| !s.passed));
}

#[test]
fn packet_too_big_lowers_the_mss_over_ipv6() {
    // RFC 8201 §4; IPv6 never goes below 1280 (RFC 8200 §5).
    const PATH_MTU: usize = 1280;
    let mut r = Relay::new(1500);
    let (client, server) = connect(&mut r, IpAddr::V6(IP6_B), 64 * 1024);
    r.set_filter(|dir, frame, seg| match seg {
        Some(s) if dir == Dir::AtoB && s.ip_len > PATH_MTU => {
            Verdict::Reply(icmpv6_packet_too_big(frame, IP6_B, PATH_MTU as u32).unwrap())
        }
        _ => Verdict::Pass,
    });
    let mark = r.log.len();
    let data = pattern(100_000, 6);
    let got = carry(
        &mut r,
        Dir::AtoB,
        client,
        server,
        &data,
        Duration::from_secs(30),
    );
    assert!(got == data, "the data arrived intact");
    assert!(r.seen(Dir::AtoB, mark).any(|s| !s.passed), "some bounced");
    let passed: Vec<_> = r
        .seen(Dir::AtoB, mark)
        .filter(|s| s.passed && s.len > 0)
        .collect();
    assert!(passed.iter().all(|s| s.ip_len <= PATH_MTU));
    assert_eq!(passed.iter().map(|s| s.len).max(), Some(PATH_MTU - 60 - 12));
}

/// Carries 100 kB from A to B through a router that bounces every IPv4
/// packet above `path_mtu` with a "fragmentation needed" naming
/// `reported` as its next-hop MTU; gives A's MSS afterwards and the
/// largest payload that got through.
fn through_a_small_path(path_mtu: usize, reported: u16) -> (usize, usize) {
    let mut r = Relay::new(1500);
    let (client, server) = connect(&mut r, IpAddr::V4(IP4_B), 64 * 1024);
    r.set_filter(move |dir, frame, seg| match seg {
        Some(s) if dir == Dir::AtoB && s.ip_len > path_mtu => Verdict::Reply(
            icmpv4_unreachable(frame, IP4_B, Icmpv4DstUnreachable::FragRequired, reported).unwrap(),
        ),
        _ => Verdict::Pass,
    });
    let mark = r.log.len();
    let data = pattern(100_000, 7);
    let got = carry(
        &mut r,
        Dir::AtoB,
        client,
        server,
        &data,
        Duration::from_secs(60),
    );
    assert!(got == data, "the data arrived intact");
    let largest = r
        .seen(Dir::AtoB, mark)
        .filter(|s| s.passed)
        .map(|s| s.len)
        .max()
        .unwrap();
    (r.a.tcp_socket(client).stats().mss, largest)
}

#[test]
fn fragmentation_needed_from_an_old_router_walks_the_plateaus() {
    // RFC 1191 §5: a router from before RFC 1191 reports MTU 0; the host
    // takes the next plateau below the bounced packet's length: 1500 →
    // 1492 (bounced again) → 1006 (fits a 1006-byte hop).
    let (mss, largest) = through_a_small_path(1006, 0);
    assert_eq!(mss, 1006 - 40 - 12);
    assert_eq!(largest, 1006 - 40 - 12);
}

#[test]
fn a_tiny_reported_mtu_stops_at_the_floor() {
    // A forged (or broken) report of 100 bytes: Linux's min_pmtu, 552,
    // bounds how small anyone can make the segments (RFC 5927 §7).
    let (mss, largest) = through_a_small_path(600, 100);
    assert_eq!(mss, 552 - 40 - 12);
    assert_eq!(largest, 552 - 40 - 12);
}

#[test]
fn fragmentation_needed_above_the_quoted_packet_size_is_ignored() {
    // RFC 5927 §7.2: a 152-byte packet cannot have been too big for a
    // 1000-byte hop; such an error is forged or stale.
    let mut r = Relay::new(1500);
    let (client, _server) = connect(&mut r, IpAddr::V4(IP4_B), 64 * 1024);
    let before = r.a.tcp_socket(client).stats().mss;
    r.set_filter(|dir, frame, seg| match seg {
        Some(s) if dir == Dir::AtoB && s.len == 100 => Verdict::Reply(
            icmpv4_unreachable(frame, IP4_B, Icmpv4DstUnreachable::FragRequired, 1000).unwrap(),
        ),
        _ => Verdict::Pass,
    });
    r.a.tcp_socket(client).send_slice(&[7u8; 100]).unwrap();
    r.run_for(Duration::from_millis(50));
    assert_eq!(r.a.tcp_socket(client).stats().mss, before);
}

// ----- 4. window scaling and timestamps (RFC 7323) --------------------------

#[test]
fn window_scale_and_timestamps_are_negotiated_and_the_window_exceeds_64k() {
    let mut r = Relay::new(1500);
    let (client, server) = connect(&mut r, IpAddr::V4(IP4_B), 256 * 1024);
    let syn = r.seen(Dir::AtoB, 0).find(|s| s.is_syn()).unwrap().clone();
    let synack = r
        .seen(Dir::BtoA, 0)
        .find(|s| s.is_synack())
        .unwrap()
        .clone();
    // RFC 7323 §2.3: 256 KiB needs a shift of 3 to fit 16 bits.
    assert_eq!(syn.ws, Some(3));
    assert_eq!(synack.ws, Some(3));
    assert!(syn.sack_permitted && synack.sack_permitted);
    assert_eq!(syn.mss, Some(1460));
    // RFC 7323 §3.2: the SYN-ACK echoes the SYN's TSval.
    let (syn_tsval, _) = syn.ts.expect("timestamps in the SYN");
    let (_, echoed) = synack.ts.expect("timestamps in the SYN-ACK");
    assert_eq!(echoed, syn_tsval);
    // RFC 7323 §2.2: SYN windows are not scaled.
    assert_eq!(syn.window, 65535);
    assert_eq!(synack.window, 65535);

    let mark = r.log.len();
    let data = pattern(2 << 20, 4);
    let got = carry(
        &mut r,
        Dir::AtoB,
        client,
        server,
        &data,
        Duration::from_secs(60),
    );
    assert!(got == data);
    // Every later segment carries timestamps (RFC 7323 §3.2).
    assert!(r.log[mark..].iter().all(|s| s.ts.is_some()));
    // B advertised more than 64 KiB (field << 3), and A used it: more than
    // 65535 bytes were in flight at once.
    let max_window = r
        .seen(Dir::BtoA, mark)
        .map(|s| usize::from(s.window) << 3)
        .max()
        .unwrap();
    assert!(max_window > 65535, "{max_window}");
    let max_flight = max_flight(&r.log[mark..], syn.seq + 1);
    assert!(max_flight > 65535, "largest flight {max_flight}");

    // The other way too: the accepted socket scales its window and A's.
    let mark = r.log.len();
    let data = pattern(2 << 20, 5);
    let got = carry(
        &mut r,
        Dir::BtoA,
        server,
        client,
        &data,
        Duration::from_secs(60),
    );
    assert!(got == data);
    let max_window = r
        .seen(Dir::AtoB, mark)
        .map(|s| usize::from(s.window) << 3)
        .max()
        .unwrap();
    assert!(max_window > 65535, "{max_window}");
    let start = r.seen(Dir::BtoA, mark).next().unwrap().seq;
    let flight = max_flight_from_b(&r.log[mark..], start);
    assert!(flight > 65535, "largest flight B→A {flight}");
}

/// The most bytes A had sent and B not yet acknowledged, over `log`
/// (which starts when both were at `start`).
fn max_flight(log: &[Seen], start: TcpSeqNumber) -> usize {
    flight(log, start, Dir::AtoB)
}

/// [`max_flight`] for data from B to A.
fn max_flight_from_b(log: &[Seen], start: TcpSeqNumber) -> usize {
    flight(log, start, Dir::BtoA)
}

fn flight(log: &[Seen], start: TcpSeqNumber, data: Dir) -> usize {
    let (mut high_sent, mut high_ack, mut max) = (start, start, 0usize);
    for s in log {
        match s.dir {
            d if d == data && s.seq + s.len > high_sent => high_sent = s.seq + s.len,
            d if d != data => {
                if let Some(a) = s.ack.filter(|a| *a > high_ack) {
                    high_ack = a;
                }
            }
            _ => {}
        }
        max = max.max(high_sent.distance_from(high_ack).max(0) as usize);
    }
    max
}

// ----- 5. simultaneous open and close (RFC 9293 §3.5 figures 8 and 13) -----

#[test]
fn simultaneous_open_connects_both_sides() {
    let mut r = Relay::new(1500);
    let a = r.a.tcp(4096);
    let b = r.b.tcp(4096);
    let now = r.now;
    r.a.connect(now, a, IpEndpoint::new(IpAddr::V4(IP4_B), 5000), 6000)
        .unwrap();
    r.b.connect(now, b, IpEndpoint::new(IpAddr::V4(IP4_A), 6000), 5000)
        .unwrap();
    let mut saw_syn_received = (false, false);
    assert!(r.run_until(Duration::from_secs(5), |r| {
        saw_syn_received.0 |= r.a.tcp_socket(a).state() == State::SynReceived;
        saw_syn_received.1 |= r.b.tcp_socket(b).state() == State::SynReceived;
        r.a.tcp_socket(a).state() == State::Established
            && r.b.tcp_socket(b).state() == State::Established
    }));
    assert_eq!(saw_syn_received, (true, true), "both SYNs crossed");
    // No reset, and only the two SYNs and two SYN-ACKs.
    assert!(!r.log.iter().any(Seen::is_rst));
    assert_eq!(r.log.iter().filter(|s| s.is_syn()).count(), 2);
    assert_eq!(r.log.iter().filter(|s| s.is_synack()).count(), 2);
    let got = carry(&mut r, Dir::AtoB, a, b, b"ping", Duration::from_secs(1));
    assert_eq!(got, b"ping");
}

#[test]
fn simultaneous_close_goes_through_closing_and_time_wait() {
    let mut r = Relay::new(1500);
    let (client, server) = connect(&mut r, IpAddr::V4(IP4_B), 4096);
    r.a.tcp_socket(client).close();
    r.b.tcp_socket(server).close();
    let mut states = (Vec::new(), Vec::new());
    assert!(r.run_until(Duration::from_secs(5), |r| {
        let (sa, sb) = (
            r.a.tcp_socket(client).state(),
            r.b.tcp_socket(server).state(),
        );
        if states.0.last() != Some(&sa) {
            states.0.push(sa);
        }
        if states.1.last() != Some(&sb) {
            states.1.push(sb);
        }
        sa == State::TimeWait && sb == State::TimeWait
    }));
    let path = vec![State::FinWait1, State::Closing, State::TimeWait];
    assert_eq!(states.0, path);
    assert_eq!(states.1, path);
    // Each side's FIN crossed the other's and was acknowledged.
    assert_eq!(r.log.iter().filter(|s| s.is_fin()).count(), 2);
    assert!(r.run_until(Duration::from_secs(61), |r| {
        r.a.tcp_socket(client).state() == State::Closed
            && r.b.tcp_socket(server).state() == State::Closed
    }));
    assert_eq!(r.a.tcp_socket(client).error(), None);
    assert_eq!(r.b.tcp_socket(server).error(), None);
}

// ----- 6. resets (RFC 9293 §3.10.5, RFC 5961 §3) ---------------------------

#[test]
fn abort_resets_the_peer() {
    let mut r = Relay::new(1500);
    let (client, server) = connect(&mut r, IpAddr::V4(IP4_B), 4096);
    let mark = r.log.len();
    r.b.tcp_socket(server).abort();
    assert!(
        r.run_until(Duration::from_secs(1), |r| r.a.tcp_socket(client).state()
            == State::Closed)
    );
    assert_eq!(
        r.a.tcp_socket(client).error(),
        Some(TcpError::ConnectionReset)
    );
    let rst: Vec<_> = r.seen(Dir::BtoA, mark).filter(|s| s.is_rst()).collect();
    assert_eq!(rst.len(), 1);
    let mut buf = [0u8; 8];
    assert_eq!(
        r.a.tcp_socket(client).recv_slice(&mut buf),
        Err(TcpApiError::Failed(TcpError::ConnectionReset))
    );
}

/// A reset from B's side of the connection with sequence number `seq`.
fn forged_rst(r: &Relay, seq: TcpSeqNumber) -> Vec<u8> {
    forged(r, TcpFlags::RST, seq)
}

/// A bare segment with `control` from B's side of the connection.
fn forged(r: &Relay, control: TcpFlags, seq: TcpSeqNumber) -> Vec<u8> {
    let last = r.seen(Dir::BtoA, 0).last().unwrap();
    let repr = bare_tcp(last.src_port, last.dst_port, control, seq, None, 0);
    tcp_v4_frame(Dir::BtoA, &repr)
}

#[test]
fn resets_outside_the_window_are_ignored_and_inexact_ones_challenged() {
    let mut r = Relay::new(1500);
    let (client, server) = connect(&mut r, IpAddr::V4(IP4_B), 4096);
    let a_ack = r.seen(Dir::AtoB, 0).last().unwrap().clone();
    let rcv_nxt = a_ack.ack.unwrap();

    // Far outside the window: dropped without a word (RFC 5961 §3.2).
    let mark = r.log.len();
    assert!(r.inject(Dir::BtoA, &forged_rst(&r, rcv_nxt + (1 << 30))));
    r.run_for(Duration::from_millis(200));
    assert_eq!(r.a.tcp_socket(client).state(), State::Established);
    assert_eq!(r.seen(Dir::AtoB, mark).count(), 0, "no answer");

    // In the window but not at RCV.NXT: a challenge ACK, nothing else.
    let mark = r.log.len();
    assert!(r.inject(Dir::BtoA, &forged_rst(&r, rcv_nxt + 100)));
    r.run_for(Duration::from_millis(200));
    assert_eq!(r.a.tcp_socket(client).state(), State::Established);
    let answers: Vec<_> = r.seen(Dir::AtoB, mark).collect();
    assert_eq!(answers.len(), 1, "{answers:?}");
    let challenge = answers[0];
    assert!(challenge.flags.is_empty() && challenge.len == 0);
    assert_eq!((challenge.seq, challenge.ack), (a_ack.seq, Some(rcv_nxt)));
    // The connection is untouched.
    let got = carry(
        &mut r,
        Dir::AtoB,
        client,
        server,
        b"unharmed",
        Duration::from_secs(1),
    );
    assert_eq!(got, b"unharmed");

    // RFC 5961 §4.2: a SYN on the open connection, even in the window,
    // gets a challenge ACK and changes nothing.
    let rcv_nxt = r.seen(Dir::AtoB, 0).last().unwrap().ack.unwrap();
    let mark = r.log.len();
    assert!(r.inject(Dir::BtoA, &forged(&r, TcpFlags::SYN, rcv_nxt + 10)));
    r.run_for(Duration::from_millis(200));
    assert_eq!(r.a.tcp_socket(client).state(), State::Established);
    let answers: Vec<_> = r.seen(Dir::AtoB, mark).collect();
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0].ack, Some(rcv_nxt));
    assert!(!answers[0].is_rst() && !answers[0].is_syn());

    // Exactly at RCV.NXT: the connection is reset.
    let rcv_nxt = r.seen(Dir::AtoB, 0).last().unwrap().ack.unwrap();
    assert!(r.inject(Dir::BtoA, &forged_rst(&r, rcv_nxt)));
    r.run_for(Duration::from_millis(10));
    assert_eq!(r.a.tcp_socket(client).state(), State::Closed);
    assert_eq!(
        r.a.tcp_socket(client).error(),
        Some(TcpError::ConnectionReset)
    );
}

#[test]
fn a_handshake_ack_outside_the_offered_window_does_not_establish() {
    // RFC 9293 §3.10.7.4, first check in SYN-RECEIVED: right ACK number,
    // sequence number outside the window → dropped, no connection.
    let mut r = Relay::new(1500);
    let listener = r.b.tcp_listener(PORT, 4, 4, 1, 4096);
    let client = r.a.tcp(4096);
    // Lose the client's handshake-completing ACK (and anything after it).
    r.set_filter(|dir, _, seen| match (dir, seen) {
        (Dir::AtoB, Some(s)) if !s.is_syn() => Verdict::Drop,
        _ => Verdict::Pass,
    });
    start_connect(&mut r, client, IpEndpoint::new(IpAddr::V4(IP4_B), PORT));
    assert!(
        r.run_until(Duration::from_secs(1), |r| r.a.tcp_socket(client).state()
            == State::Established)
    );
    let synack = r
        .seen(Dir::BtoA, 0)
        .find(|s| s.is_synack())
        .unwrap()
        .clone();
    let syn = r.seen(Dir::AtoB, 0).find(|s| s.is_syn()).unwrap().clone();
    let mut repr = bare_tcp(
        syn.src_port,
        syn.dst_port,
        TcpFlags::empty(),
        syn.seq + 1 + (1 << 20),
        Some(synack.seq + 1),
        1024,
    );
    let mark = r.log.len();
    assert!(r.inject(Dir::AtoB, &tcp_v4_frame(Dir::AtoB, &repr)));
    r.run_for(Duration::from_millis(100));
    assert!(r.b.listener(listener).accept().is_none(), "not established");
    assert!(
        r.seen(Dir::BtoA, mark).all(|s| !s.is_rst()),
        "dropped, not reset"
    );
    // The right sequence number completes it.
    repr.seq_number = syn.seq + 1;
    assert!(r.inject(Dir::AtoB, &tcp_v4_frame(Dir::AtoB, &repr)));
    let mut server = None;
    assert!(r.run_until(Duration::from_millis(100), |r| {
        server = r.b.listener(listener).accept();
        server.is_some()
    }));
}

// ----- 7. backlog overflow (RFC 4987 §3.6) ----------------------------------

#[test]
fn more_clients_than_queues_all_connect_and_are_accepted_once() {
    const N: usize = 12;
    let mut r = Relay::new(1500);
    // A SYN queue of 2 and a backlog of 2 for 12 clients at once; enough
    // sockets lent for all of them.
    let listener = r.b.tcp_listener(PORT, 2, 2, N, 2048);
    let clients: Vec<_> = (0..N).map(|_| r.a.tcp(2048)).collect();
    for &c in &clients {
        start_connect(&mut r, c, IpEndpoint::new(IpAddr::V4(IP4_B), PORT));
    }
    // Each client speaks first, as HTTP does.
    let mut greeted = [false; N];
    let mut accepted = Vec::new();
    let mut heard: Vec<Vec<u8>> = Vec::new();
    let mut all = false;
    // A slow application: one accept every 300 ms.
    for _ in 0..400 {
        r.run_until(Duration::from_millis(300), |r| {
            for (i, &c) in clients.iter().enumerate() {
                if !greeted[i] && r.a.tcp_socket(c).state() == State::Established {
                    let msg = format!("client {i:02}");
                    assert_eq!(r.a.tcp_socket(c).send_slice(msg.as_bytes()), Ok(9));
                    greeted[i] = true;
                }
            }
            for (k, &h) in accepted.iter().enumerate() {
                let mut buf = [0u8; 16];
                let n = r.b.tcp_socket(h).recv_slice(&mut buf).unwrap();
                heard[k].extend_from_slice(&buf[..n]);
            }
            false
        });
        if let Some(h) = r.b.listener(listener).accept() {
            accepted.push(h);
            heard.push(Vec::new());
            assert!(accepted.len() <= N, "accepted more than once");
        }
        if heard.iter().filter(|m| m.len() == 9).count() == N {
            all = true;
            break;
        }
    }
    let st = r.b.listener(listener).stats();
    assert!(
        all,
        "accepted {} of {N} at {}: {st:?}; clients {:?}",
        accepted.len(),
        r.now,
        clients
            .iter()
            .map(|&c| (r.a.tcp_socket(c).state(), r.a.tcp_socket(c).send_queue()))
            .collect::<Vec<_>>()
    );
    // The queues overflowed, and nobody was lost.
    // (A completed handshake that finds the accept queue full is dropped,
    // as Linux does; the client's data retransmission completes it later.)
    assert!(st.cookies_sent > 0 && st.overflows > 0, "{st:?}");
    let mut names: Vec<_> = heard
        .iter()
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .collect();
    names.sort();
    let expected: Vec<_> = (0..N).map(|i| format!("client {i:02}")).collect();
    assert_eq!(names, expected, "each client served exactly once");
    let mut unique = accepted.clone();
    unique.sort_by_key(|h| h.index());
    unique.dedup();
    assert_eq!(unique.len(), N);
    assert_eq!(r.b.listener(listener).accept(), None);
    assert_eq!(st.accepted, N as u64);
}

// ----- 8. TIME-WAIT (RFC 9293 §3.10.7.4) ------------------------------------

#[test]
fn a_retransmitted_fin_in_time_wait_is_acked_again_and_restarts_the_wait() {
    let mut r = Relay::new(1500);
    let (client, server) = connect(&mut r, IpAddr::V4(IP4_B), 4096);
    r.a.tcp_socket(client).close();
    assert!(
        r.run_until(Duration::from_secs(1), |r| r.b.tcp_socket(server).state()
            == State::CloseWait)
    );
    // Lose A's ACK of B's FIN, once.
    let mut lost = false;
    r.set_filter(move |dir, _, seg| match seg {
        Some(s) if dir == Dir::AtoB && !lost && s.len == 0 && !s.is_fin() => {
            lost = true;
            Verdict::Drop
        }
        _ => Verdict::Pass,
    });
    let mark = r.log.len();
    r.b.tcp_socket(server).close();
    assert!(
        r.run_until(Duration::from_secs(1), |r| r.a.tcp_socket(client).state()
            == State::TimeWait)
    );
    let entered = r.now;
    assert!(
        r.run_until(Duration::from_secs(30), |r| r.b.tcp_socket(server).state()
            == State::Closed)
    );
    let fins: Vec<_> = r
        .seen(Dir::BtoA, mark)
        .filter(|s| s.is_fin())
        .cloned()
        .collect();
    assert_eq!(fins.len(), 2, "B's FIN and its retransmission: {fins:?}");
    let again = &fins[1];
    assert_eq!(again.seq, fins[0].seq);
    assert!(again.at > entered);
    let reack = r
        .seen(Dir::AtoB, mark)
        .find(|s| s.at >= again.at && s.passed)
        .expect("A answered the retransmitted FIN");
    assert_eq!(reack.ack, Some(again.seq + 1));
    assert_eq!(r.b.tcp_socket(server).error(), None);
    // 2·MSL counts again from the retransmitted FIN.
    assert!(
        r.run_until(Duration::from_secs(120), |r| r.a.tcp_socket(client).state()
            == State::Closed)
    );
    let msl2 = Duration::from_secs(60);
    assert!(
        r.now >= again.at + msl2 && r.now < again.at + msl2 + Duration::from_millis(5),
        "closed at {}, FIN again at {} (first TIME-WAIT at {entered})",
        r.now,
        again.at
    );
}

// ----- 9. zero window (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17) --------------

#[test]
fn a_zero_window_is_probed_with_backoff_and_reopens_when_the_app_reads() {
    let mut r = Relay::new(1500);
    let (client, server) = connect(&mut r, IpAddr::V4(IP4_B), 4096);
    let data = pattern(32 * 1024, 9);
    let mut sent = r.a.tcp_socket(client).send_slice(&data).unwrap();
    let mark = r.log.len();
    // B's application does not read for two minutes.
    let stall = Duration::from_secs(120);
    let start = r.now;
    r.run_until(stall, |r| {
        if sent < data.len() {
            sent += r.a.tcp_socket(client).send_slice(&data[sent..]).unwrap();
        }
        false
    });
    assert_eq!(
        r.b.tcp_socket(server).recv_queue(),
        4096,
        "B's buffer is full"
    );
    // The receiver keeps answering: the connection must stay open
    // (RFC 1122 §4.2.2.17) and be probed at growing intervals.
    assert_eq!(r.a.tcp_socket(client).state(), State::Established);
    let zero_at = r
        .seen(Dir::BtoA, mark)
        .find(|s| s.window == 0)
        .expect("B closed its window")
        .at;
    let probes: Vec<_> = r
        .seen(Dir::AtoB, mark)
        .filter(|s| s.at > zero_at && s.len <= 1)
        .map(|s| s.at)
        .collect();
    assert!(probes.len() >= 4, "probes at {probes:?}");
    let gaps: Vec<_> = probes.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.windows(2).all(|g| g[1] >= g[0]) && gaps.last() > gaps.first(),
        "backoff: gaps {gaps:?}"
    );
    assert!(r.now >= start + stall - Duration::from_millis(1));
    // The application reads: the window reopens and everything arrives.
    let mut got = Vec::new();
    assert!(r.run_until(Duration::from_secs(60), |r| {
        if sent < data.len() {
            sent += r.a.tcp_socket(client).send_slice(&data[sent..]).unwrap();
        }
        let mut buf = [0u8; 1024];
        let n = r.b.tcp_socket(server).recv_slice(&mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
        got.len() == data.len()
    }));
    assert!(got == data);
}

#[test]
fn a_zero_window_peer_that_stops_answering_is_given_up() {
    let mut r = Relay::new(1500);
    let (client, server) = connect(&mut r, IpAddr::V4(IP4_B), 4096);
    // B's 4096-byte buffer fills, and more waits behind its closed window.
    // (A's full buffer leaves whole, so B's ACK for the last of it may
    // come after B holds it all: wait for A's buffer to empty as well.)
    assert_eq!(r.a.tcp_socket(client).send_slice(&[7; 4096]), Ok(4096));
    assert!(r.run_until(Duration::from_secs(5), |r| r
        .b
        .tcp_socket(server)
        .recv_queue()
        == 4096
        && r.a.tcp_socket(client).send_queue() == 0));
    assert_eq!(r.a.tcp_socket(client).send_slice(&[8; 1000]), Ok(1000));
    r.run_for(Duration::from_secs(5));
    assert_eq!(r.a.tcp_socket(client).send_queue(), 1000);
    // B vanishes while its window is closed.
    r.set_filter(|_, _, _| Verdict::Drop);
    let mark = r.log.len();
    let vanished = r.now;
    assert!(r.run_until(Duration::from_secs(3600), |r| r
        .a
        .tcp_socket(client)
        .state()
        == State::Closed));
    assert_eq!(r.a.tcp_socket(client).error(), Some(TcpError::TimedOut));
    // Probed with backoff for minutes first (15 probes; once A's ARP entry
    // for B expires, they no longer reach the wire).
    let elapsed = r.now - vanished;
    assert!(
        elapsed > Duration::from_secs(60) && elapsed < Duration::from_secs(600),
        "gave up after {elapsed}"
    );
    assert!(r.seen(Dir::AtoB, mark).filter(|s| s.len == 1).count() >= 2);
}

// ----- 10. Nagle (RFC 9293 §3.8.6.2.1) --------------------------------------

/// Writes 200 bytes as 10-byte writes one millisecond apart; returns the
/// data segments A sent.
fn tiny_writes(nodelay: bool) -> usize {
    let mut r = Relay::new(1500);
    let (client, server) = connect(&mut r, IpAddr::V4(IP4_B), 4096);
    r.a.tcp_socket(client).set_nodelay(nodelay);
    let mark = r.log.len();
    let data = pattern(200, 10);
    for chunk in data.chunks(10) {
        assert_eq!(r.a.tcp_socket(client).send_slice(chunk), Ok(10));
        r.run_for(Duration::from_millis(1));
    }
    let mut got = Vec::new();
    assert!(r.run_until(Duration::from_secs(1), |r| {
        let mut buf = [0u8; 256];
        let n = r.b.tcp_socket(server).recv_slice(&mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
        got.len() == data.len()
    }));
    assert_eq!(got, data);
    r.seen(Dir::AtoB, mark).filter(|s| s.len > 0).count()
}

#[test]
fn nagle_coalesces_tiny_writes_and_nodelay_does_not() {
    let nagle = tiny_writes(false);
    let nodelay = tiny_writes(true);
    assert_eq!(nodelay, 20, "one segment per write");
    // With Nagle, writes wait for the ACK of the segment in flight (B
    // delays its ACK 40 ms): a handful of segments.
    assert!(nagle <= 4, "{nagle} segments with Nagle");
}

// ----- 11. IPv6 -------------------------------------------------------------

#[test]
fn a_transfer_over_ipv6_arrives_intact() {
    let mut r = Relay::new(1500);
    let (client, server) = connect(&mut r, IpAddr::V6(IP6_B), 64 * 1024);
    assert_eq!(
        r.a.tcp_socket(client).local_endpoint().unwrap().addr,
        IpAddr::V6(IP6_A)
    );
    let syn = r.seen(Dir::AtoB, 0).find(|s| s.is_syn()).unwrap();
    assert_eq!((syn.src, syn.dst), (IpAddr::V6(IP6_A), IpAddr::V6(IP6_B)));
    // RFC 9293 §3.7.1: MTU − 60 for IPv6.
    assert_eq!(syn.mss, Some(1440));
    let data = pattern(1 << 20, 11);
    let got = carry(
        &mut r,
        Dir::AtoB,
        client,
        server,
        &data,
        Duration::from_secs(60),
    );
    assert_eq!((got.len(), hash(&got)), (data.len(), hash(&data)));
    assert!(r.log.iter().all(|s| matches!(s.src, IpAddr::V6(_))));
    assert!(r.log.iter().all(|s| s.ip_len <= 1500));
    assert_eq!(
        r.seen(Dir::AtoB, 0).map(|s| s.len).max(),
        Some(1440 - 12),
        "full segments, less the timestamps"
    );
}

// ----- 12. SYN cookies keep the options (RFC 4987 §3.6, RFC 7323) ----------

#[test]
fn a_syn_cookie_connection_negotiates_window_scaling_sack_and_timestamps() {
    let mut r = Relay::new(1500);
    // No SYN queue at all: every SYN is answered with a cookie.
    let listener = r.b.tcp_listener(PORT, 0, 4, 1, 256 * 1024);
    let client = r.a.tcp(256 * 1024);
    let server = establish(&mut r, listener, client, IpAddr::V4(IP4_B));
    let st = r.b.listener(listener).stats();
    assert_eq!((st.cookies_sent, st.cookies_accepted), (1, 1), "{st:?}");
    let syn = r.seen(Dir::AtoB, 0).find(|s| s.is_syn()).unwrap().clone();
    let synack = r
        .seen(Dir::BtoA, 0)
        .find(|s| s.is_synack())
        .unwrap()
        .clone();
    assert_eq!(synack.ws, Some(3), "our shift for 256 KiB");
    assert!(synack.sack_permitted);
    assert_eq!(synack.mss, Some(1460));
    let (_, echoed) = synack.ts.expect("timestamps in the cookie SYN-ACK");
    assert_eq!(echoed, syn.ts.unwrap().0);
    // The server's later TSvals never go below the stamped one (PAWS on
    // the client, RFC 7323 §5).
    let stamped = synack.ts.unwrap().0;
    assert!(r
        .seen(Dir::BtoA, 0)
        .filter_map(|s| s.ts)
        .all(|(v, _)| v.wrapping_sub(stamped) < 1 << 31));

    // A transfer with one segment lost: B reports it with SACK blocks, and
    // more than 64 KiB is in flight at once (window scaling in use).
    let mut data_segments = 0;
    r.set_filter(move |dir, _, seg| match seg {
        Some(s) if dir == Dir::AtoB && s.len > 0 => {
            data_segments += 1;
            if data_segments == 60 {
                Verdict::Drop
            } else {
                Verdict::Pass
            }
        }
        _ => Verdict::Pass,
    });
    let mark = r.log.len();
    let data = pattern(2 << 20, 12);
    let got = carry(
        &mut r,
        Dir::AtoB,
        client,
        server,
        &data,
        Duration::from_secs(60),
    );
    assert!(got == data);
    assert!(
        r.seen(Dir::BtoA, mark).any(|s| !s.sack.is_empty()),
        "B sent SACK blocks"
    );
    assert!(r.log[mark..].iter().all(|s| s.ts.is_some()));
    let flight = max_flight(&r.log[mark..], syn.seq + 1);
    assert!(flight > 65535, "largest flight {flight}");
    assert!(r.a.tcp_socket(client).stats().fast_retransmits >= 1);
}
