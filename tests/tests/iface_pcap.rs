//! What two interfaces say to each other, recorded with `PcapTap` and read
//! back by Wireshark's dissector: every frame well-formed, every checksum
//! right (tshark's expert info has no malformed or bad-checksum entry).

use std::process::Command;

use rstcp::time::Duration;
use rstcp::wire::icmpv4::{Icmpv4Packet, Icmpv4Repr};
use rstcp::wire::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use rstcp::wire::{ChecksumMode, IpAddr, IpEndpoint};
use rstcp_pcap::PcapTap;
use rstcp_tests::sim::*;
use rstcp_tests::tshark;

#[test]
fn recorded_traffic_is_clean_in_tshark() {
    let Some(tshark_bin) = tshark::required("the interface capture check") else {
        return;
    };
    let mut sim = Sim::new(1500, true);
    let mut tap = PcapTap::new(Vec::new()).unwrap();
    let ping = sim.a.icmp(0x7e57, 64 * 1024);
    let client = sim.a.udp(0, 64 * 1024);
    let _server = sim.b.udp(7, 64 * 1024);

    let mut queued = false;
    let end = sim.now + Duration::from_secs(12);
    let queue_at = sim.now + Duration::from_millis(8_001);
    while sim.now < end {
        // After probing (RFC 5227), a ping of each size and UDP both families.
        if !queued && sim.now >= queue_at {
            for len in [56usize, 3000] {
                let data = vec![0x42; len];
                let r4 = Icmpv4Repr::EchoRequest {
                    ident: 0,
                    seq_no: 1,
                    data: &data,
                };
                let mut b4 = vec![0; r4.buffer_len()];
                r4.emit(
                    &mut Icmpv4Packet::new_unchecked(&mut b4[..]),
                    ChecksumMode::Check,
                );
                sim.a
                    .icmp_socket(ping)
                    .send_slice(&b4, IpAddr::V4(IP4_B))
                    .unwrap();
            }
            let r6 = Icmpv6Repr::EchoRequest {
                ident: 0,
                seq_no: 2,
                data: b"v6",
            };
            let mut b6 = vec![0; r6.buffer_len()];
            r6.emit(
                &IP6_A,
                &IP6_B,
                &mut Icmpv6Packet::new_unchecked(&mut b6[..]),
                ChecksumMode::Skip,
            );
            sim.a
                .icmp_socket(ping)
                .send_slice(&b6, IpAddr::V6(IP6_B))
                .unwrap();
            sim.a
                .udp_socket(client)
                .send_slice(b"udp4", IpEndpoint::new(IpAddr::V4(IP4_B), 7).into())
                .unwrap();
            sim.a
                .udp_socket(client)
                .send_slice(b"udp6", IpEndpoint::new(IpAddr::V6(IP6_B), 7).into())
                .unwrap();
            // And one to a closed port, for a port unreachable.
            sim.a
                .udp_socket(client)
                .send_slice(b"closed", IpEndpoint::new(IpAddr::V4(IP4_B), 9).into())
                .unwrap();
            queued = true;
        }
        // End A seen through the tap: its tx and rx are everything on the wire.
        let a = sim
            .a
            .iface
            .poll(sim.now, &mut tap.attach(sim.link.a()), &mut sim.a.sockets);
        let b = sim
            .b
            .iface
            .poll(sim.now, &mut sim.link.b(), &mut sim.b.sockets);
        let next = sim.next_deadline().unwrap_or(end);
        // Idle time is skipped, but never past the instant the traffic is
        // queued: with nothing else due, the jump would go to the end.
        let wake = if queued { end } else { queue_at };
        sim.now = if a || b || next <= sim.now {
            sim.now + Duration::from_micros(100)
        } else {
            next.min(wake)
        };
    }
    let stats = tap.stats();
    let file = tap.into_inner();
    let path = std::env::temp_dir().join(format!("rstcp-iface-{}.pcap", std::process::id()));
    std::fs::write(&path, &file).unwrap();

    let out = Command::new(&tshark_bin)
        .args(["-n", "-r"])
        .arg(&path)
        .args([
            "-T",
            "fields",
            "-e",
            "frame.protocols",
            "-e",
            "_ws.expert.message",
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
        ])
        .output()
        .expect("tshark runs");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len() as u64,
        stats.rx_frames + stats.tx_frames,
        "every frame recorded"
    );
    for proto in ["arp", "icmp", "icmpv6", "udp"] {
        assert!(
            lines.iter().any(|l| l
                .split('\t')
                .next()
                .unwrap_or("")
                .split(':')
                .any(|p| p == proto)),
            "no {proto} frame in:\n{text}"
        );
    }
    for l in &lines {
        let lower = l.to_lowercase();
        assert!(
            !lower.contains("malformed")
                && !lower.contains("bad checksum")
                && !lower.contains("incorrect"),
            "tshark complains: {l}"
        );
    }
}
