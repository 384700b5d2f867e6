//! The interface under adverse conditions: a lossy, reordering link; VLAN
//! policy; ICMP error rate limiting; ten thousand sockets.

use rstcp::iface::DropReason;
use rstcp::time::Duration;
use rstcp::wire::{IpAddr, IpEndpoint};
use rstcp_testkit::fault::{Chance, FaultConfig, Faults};
use rstcp_tests::sim::*;

fn ping_bytes(seq_no: u16) -> Vec<u8> {
    echo_request_v4(0x10, seq_no, b"lossy")
}

#[test]
fn arp_retries_and_pings_get_through_a_lossy_reordering_link() {
    let mut sim = Sim::new(1500, false);
    let lossy = FaultConfig {
        drop_pct: Chance::percent(30),
        reorder_pct: Chance::percent(20),
        duplicate_pct: Chance::percent(10),
        ..FaultConfig::none()
    };
    // Faults on what A receives and on what A sends.
    let mut faults = Faults::new(lossy, lossy, 7);
    let h = sim.a.icmp(0x10, 16 * 1024);
    let mut answered = std::collections::BTreeSet::new();
    let mut sent = 0u16;
    let start = sim.now;
    while sim.now < start + Duration::from_secs(60) && answered.len() < 20 {
        // One ping every 200 ms, as `ping -i 0.2` would.
        if sim.now >= start + Duration::from_millis(200 * u64::from(sent)) && sent < 40 {
            sent += 1;
            sim.a
                .icmp_socket(h)
                .send_slice(&ping_bytes(sent), IpAddr::V4(IP4_B))
                .unwrap();
        }
        let a = sim.a.iface.poll(
            sim.now,
            &mut faults.attach(sim.link.a()),
            &mut sim.a.sockets,
        );
        let b = sim
            .b
            .iface
            .poll(sim.now, &mut sim.link.b(), &mut sim.b.sockets);
        while let Ok((msg, _)) = sim.a.icmp_socket(h).recv() {
            answered.insert(u16::from_be_bytes([msg[6], msg[7]]));
        }
        sim.now += if a || b {
            Duration::from_micros(100)
        } else {
            Duration::from_millis(5)
        };
    }
    // With 30 % loss each way about half the pings come back; ARP itself
    // must have been retried until it got through.
    assert!(
        answered.len() >= 10,
        "only {} of {sent} pings answered",
        answered.len()
    );
    assert!(
        faults.tx_stats().dropped > 0 && faults.rx_stats().dropped > 0,
        "the link was not lossy"
    );
    assert_eq!(sim.b.iface.stats().dropped(DropReason::BadChecksum), 0);
}

#[test]
fn corrupted_frames_are_dropped_and_counted_never_delivered() {
    let mut sim = Sim::new(1500, false);
    let corrupt = FaultConfig {
        corrupt_pct: Chance::percent(50),
        ..FaultConfig::none()
    };
    // Half the frames B receives have one bit flipped somewhere.
    let mut faults = Faults::new(corrupt, FaultConfig::none(), 3);
    let client = sim.a.udp(0, 64 * 1024);
    let server = sim.b.udp(7, 64 * 1024);
    for i in 0..200u32 {
        let payload = i.to_be_bytes().repeat(100);
        sim.a
            .udp_socket(client)
            .send_slice(&payload, IpEndpoint::new(IpAddr::V4(IP4_B), 7).into())
            .ok();
        let _ = sim
            .a
            .iface
            .poll(sim.now, &mut sim.link.a(), &mut sim.a.sockets);
        let _ = sim.b.iface.poll(
            sim.now,
            &mut faults.attach(sim.link.b()),
            &mut sim.b.sockets,
        );
        sim.now += Duration::from_millis(10);
    }
    // Whatever reached B's socket is exactly what A sent: a flipped bit in a
    // header or payload is caught by a checksum (or the MAC/IP filters).
    let mut delivered = 0;
    while let Ok((d, _)) = sim.b.udp_socket(server).recv() {
        let first = &d[..4];
        assert!(
            d.len() == 400 && d.chunks(4).all(|c| c == first),
            "corrupted datagram delivered"
        );
        delivered += 1;
    }
    assert!(delivered > 50, "only {delivered} of 200 delivered");
    let s = sim.b.iface.stats();
    assert!(s.rx_frames > 0);
    assert!(s.dropped_total() > 0, "corruption went unnoticed: {s:?}");
}

#[test]
fn vlan_tagged_interfaces_talk_and_untagged_frames_are_dropped() {
    let mut a = Host::config(MAC_A, 1, false);
    let mut b = Host::config(MAC_B, 2, false);
    a.vlan_id = Some(69);
    b.vlan_id = Some(69);
    let mut sim = Sim::with_configs(1500, a, b);
    let h = sim.a.icmp(0x10, 4096);
    sim.a
        .icmp_socket(h)
        .send_slice(&ping_bytes(1), IpAddr::V4(IP4_B))
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s.a.icmp_socket(h).can_recv()));

    // B on VLAN 69, A untagged: B drops A's frames by VLAN policy.
    let a = Host::config(MAC_A, 1, false);
    let mut b = Host::config(MAC_B, 2, false);
    b.vlan_id = Some(69);
    let mut sim = Sim::with_configs(1500, a, b);
    let h = sim.a.icmp(0x10, 4096);
    sim.a
        .icmp_socket(h)
        .send_slice(&ping_bytes(1), IpAddr::V4(IP4_B))
        .unwrap();
    assert!(!sim.run_until(Duration::from_secs(2), |s| s.a.icmp_socket(h).can_recv()));
    assert!(sim.b.iface.stats().dropped(DropReason::Vlan) >= 1);
}

#[test]
fn icmp_errors_are_rate_limited() {
    let mut sim = Sim::new(1500, false);
    let client = sim.a.udp_with(0, 256 * 1024, 256);
    // Resolve neighbors first so every datagram leaves at once.
    sim.a
        .udp_socket(client)
        .send_slice(b"warm", IpEndpoint::new(IpAddr::V4(IP4_B), 1).into())
        .unwrap();
    sim.run_for(Duration::from_millis(100));
    let before = sim.b.iface.stats().icmp_errors_sent;
    for port in 2..202u16 {
        sim.a
            .udp_socket(client)
            .send_slice(b"x", IpEndpoint::new(IpAddr::V4(IP4_B), port).into())
            .unwrap();
    }
    // 200 datagrams to closed ports within a few ms: the burst (50) passes,
    // then about one per millisecond (Linux: 1000/s, burst 50).
    for _ in 0..50 {
        sim.step();
        sim.now += Duration::from_micros(20);
    }
    let sent = sim.b.iface.stats().icmp_errors_sent - before;
    let elapsed_ms = 1;
    assert!(
        sent >= 49 && sent <= 50 + elapsed_ms + 1,
        "{sent} ICMP errors in about 1 ms"
    );
    assert!(sim.b.iface.stats().dropped(DropReason::RateLimited) >= 140);
    assert_eq!(sim.b.iface.stats().dropped(DropReason::NoSocket), 201);
}

#[test]
fn ten_thousand_udp_sockets_each_get_their_own_datagram() {
    let mut sim = Sim::new(1500, false);
    let client = sim.a.udp_with(0, 1024 * 1024, 256);
    let mut servers = Vec::new();
    for port in 10_000..20_000u16 {
        servers.push((port, sim.b.udp_with(port, 64, 1)));
    }
    // One datagram to every 97th port, carrying its port number.
    let targets: Vec<u16> = (10_000..20_000u16).step_by(97).collect();
    for &port in &targets {
        sim.a
            .udp_socket(client)
            .send_slice(
                &port.to_be_bytes(),
                IpEndpoint::new(IpAddr::V4(IP4_B), port).into(),
            )
            .unwrap();
    }
    sim.run_for(Duration::from_millis(200));
    let mut delivered = 0;
    for &(port, h) in &servers {
        match sim.b.udp_socket(h).recv() {
            Ok((d, _)) => {
                assert_eq!(
                    d,
                    port.to_be_bytes(),
                    "datagram for {port} landed elsewhere"
                );
                assert!(targets.contains(&port));
                delivered += 1;
            }
            Err(_) => assert!(!targets.contains(&port), "port {port} got nothing"),
        }
    }
    assert_eq!(delivered, targets.len());
}
