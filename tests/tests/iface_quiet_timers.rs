//! The quiet window of the address and group timers (core `iface/quiet.rs`):
//! after polls with nothing due, `poll` skips those timers until their
//! earliest deadline. A frame or a call that starts one of them must end
//! the window, or its work would never be done. Each test lets host A
//! settle with nothing due, then starts a timer and polls A alone (a frame
//! from B would end the window by itself), reading what A puts on the wire.

use rstcp::phy::{Device, RxToken};
use rstcp::time::Duration;
use rstcp::wire::checksum;
use rstcp::wire::ethernet::EtherType;
use rstcp::wire::ipv4::{Ipv4Packet, Ipv4Repr};
use rstcp::wire::{ChecksumMode, EthernetAddress, IpAddr, IpProtocol, Ipv4Addr};
use rstcp_tests::sim::*;

/// A and B know each other's MACs (one ping), then A runs long enough for
/// every start-up timer (router solicitations, MLD and IGMP reports) to
/// end; what is left on the wire is thrown away.
fn settled_sim() -> Sim {
    let mut sim = Sim::new(1500, false);
    let h = sim.a.icmp(1, 4096);
    sim.a
        .icmp_socket(h)
        .send_slice(&echo_request_v4(1, 1, b"hi"), IpAddr::V4(IP4_B))
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s
        .a
        .icmp_socket(h)
        .recv()
        .is_ok()));
    sim.run_for(Duration::from_secs(30));
    poll_a_alone(&mut sim, Duration::from_secs(1));
    sim
}

/// Puts an Ethernet frame carrying an IPv4 `packet` on the wire as B.
fn send_as_b(sim: &mut Sim, dst: EthernetAddress, packet: &[u8]) {
    assert!(sim.put_frame(Side::B, dst, EtherType::Ipv4, packet));
}

/// Polls A alone every 10 ms for `span` and returns the IPv4 packets it
/// put on the wire.
fn poll_a_alone(sim: &mut Sim, span: Duration) -> Vec<Vec<u8>> {
    let end = sim.now + span;
    let mut out = Vec::new();
    while sim.now < end {
        sim.a
            .iface
            .poll(sim.now, &mut sim.link.a(), &mut sim.a.sockets);
        let mut b = sim.link.b();
        while let Some((rx, _tx)) = b.receive(sim.now) {
            rx.consume(|f| {
                if f.get(12..14) == Some(&[0x08, 0x00][..]) {
                    out.push(f[14..].to_vec());
                }
            });
        }
        sim.now += Duration::from_millis(10);
    }
    out
}

/// An IPv4 header from B before `payload` (checksum filled).
fn ipv4_from_b(dst: Ipv4Addr, protocol: IpProtocol, ttl: u8, payload: &[u8]) -> Vec<u8> {
    let repr = Ipv4Repr {
        src_addr: IP4_B,
        dst_addr: dst,
        next_header: protocol,
        payload_len: payload.len(),
        hop_limit: ttl,
        dscp: 0,
        ecn: 0,
        ident: 0x4242,
        dont_frag: false,
        more_frags: false,
        frag_offset: 0,
    };
    let mut p = vec![0u8; 20 + payload.len()];
    repr.emit(
        &mut Ipv4Packet::new_unchecked(&mut p[..]),
        ChecksumMode::Check,
    );
    p[20..].copy_from_slice(payload);
    p
}

/// The IGMP messages among `packets` (IPv4 protocol 2), by type octet.
fn igmp_types(packets: &[Vec<u8>]) -> Vec<u8> {
    packets
        .iter()
        .filter_map(|p| {
            let ip = Ipv4Packet::new_checked(&p[..]).ok()?;
            (ip.next_header() == IpProtocol::Igmp).then(|| ip.payload().first().copied())?
        })
        .collect()
}

#[test]
fn a_group_joined_after_quiet_polls_is_reported() {
    let mut sim = settled_sim();
    let group = Ipv4Addr::new(239, 1, 2, 3);
    sim.a.iface.join_ipv4_group(group, sim.now).unwrap();
    let sent = poll_a_alone(&mut sim, Duration::from_secs(3));
    // RFC 3376 §5.1: the state change goes out as a v3 report (0x22).
    assert!(igmp_types(&sent).contains(&0x22), "{sent:?}");
}

#[test]
fn an_igmp_query_after_quiet_polls_is_answered() {
    let mut sim = settled_sim();
    let group = Ipv4Addr::new(239, 1, 2, 3);
    sim.a.iface.join_ipv4_group(group, sim.now).unwrap();
    poll_a_alone(&mut sim, Duration::from_secs(10));
    assert!(igmp_types(&poll_a_alone(&mut sim, Duration::from_secs(1))).is_empty());
    // RFC 2236 §2: a v2 general query (Max Resp Time 1 s) to all systems.
    let mut query = [0x11, 10, 0, 0, 0, 0, 0, 0];
    let c = checksum::finish(checksum::sum(&query));
    query[2..4].copy_from_slice(&c.to_be_bytes());
    let all_systems = Ipv4Addr::new(224, 0, 0, 1);
    let packet = ipv4_from_b(all_systems, IpProtocol::Igmp, 1, &query);
    send_as_b(
        &mut sim,
        EthernetAddress::from_ipv4_multicast(&all_systems),
        &packet,
    );
    let sent = poll_a_alone(&mut sim, Duration::from_secs(2));
    // RFC 2236 §3: answered with a v2 report (0x16) within the Max Resp Time.
    assert!(igmp_types(&sent).contains(&0x16), "{sent:?}");
}

#[test]
fn a_lone_fragment_after_quiet_polls_times_out_with_time_exceeded() {
    let mut sim = settled_sim();
    // The first fragment of an echo request whose rest never comes.
    let echo = echo_request_v4(9, 1, &[7u8; 64]);
    let mut packet = ipv4_from_b(IP4_A, IpProtocol::Icmp, 64, &echo[..32]);
    {
        let mut ip = Ipv4Packet::new_unchecked(&mut packet[..]);
        ip.set_total_len(52);
        ip.set_more_frags(true);
        ip.fill_checksum();
    }
    send_as_b(&mut sim, MAC_A, &packet);
    // Reassembly times out after 30 s (the configuration's default).
    let sent = poll_a_alone(&mut sim, Duration::from_secs(32));
    // RFC 792, RFC 1122 §3.3.2: Time Exceeded, code 1 (fragment
    // reassembly time exceeded), for a datagram whose first fragment came.
    let time_exceeded = sent.iter().any(|p| {
        let ip = Ipv4Packet::new_checked(&p[..]).unwrap();
        ip.next_header() == IpProtocol::Icmp && ip.payload().get(..2) == Some(&[11, 1][..])
    });
    assert!(time_exceeded, "{sent:?}");
}
