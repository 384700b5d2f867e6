//! The receive path never allocates: a counting global allocator watches
//! every `poll` of two interfaces exchanging pings (plain and fragmented)
//! and UDP datagrams once they are warmed up.
//!
//! The core has no heap by design; this proves the claim holds with the
//! `alloc` test devices too, where a stray `Vec` would be easy to add.

use rstcp::time::Duration;
use rstcp::wire::{IpAddr, IpEndpoint};
use rstcp_tests::alloc_count::{allocations, CountingAlloc};
use rstcp_tests::sim::*;

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Polls both hosts until idle, counting allocations made inside `poll`.
fn polls_allocations(sim: &mut Sim, rounds: usize) -> u64 {
    let mut total = 0;
    for _ in 0..rounds {
        let (_, n) = allocations(|| sim.step());
        total += n;
        sim.now += Duration::from_micros(10);
    }
    total
}

fn echo_request(seq_no: u16, len: usize) -> Vec<u8> {
    echo_request_v4(0x600d, seq_no, &vec![0x5a; len])
}

#[test]
fn receive_path_does_not_allocate() {
    let mut sim = Sim::new(1500, false);
    let ping = sim.a.icmp(0x600d, 64 * 1024);
    let client = sim.a.udp(0, 64 * 1024);
    let server = sim.b.udp(7, 64 * 1024);
    let to_b = IpEndpoint::new(IpAddr::V4(IP4_B), 7);

    // Warm up: resolve neighbors and let the link fill its buffer free list
    // with frames of every size used below (a device cost, not the stack's).
    for round in 0..3u16 {
        for (i, len) in [56usize, 1400, 4000].into_iter().enumerate() {
            let req = echo_request(round * 10 + i as u16, len);
            sim.a
                .icmp_socket(ping)
                .send_slice(&req, IpAddr::V4(IP4_B))
                .unwrap();
        }
        sim.a
            .udp_socket(client)
            .send_slice(&[1u8; 3000], to_b.into())
            .unwrap();
        sim.run_for(Duration::from_millis(50));
        while sim.a.icmp_socket(ping).recv().is_ok() {}
        while sim.b.udp_socket(server).recv().is_ok() {}
    }

    // Measured: the same traffic again. The test builds its messages outside
    // the counted region; only the interfaces' polls are counted.
    let mut replies = 0;
    let mut datagrams = 0;
    let mut allocations = 0;
    for round in 0..20u16 {
        for (i, len) in [56usize, 1400, 4000].into_iter().enumerate() {
            let req = echo_request(1000 + round * 10 + i as u16, len);
            sim.a
                .icmp_socket(ping)
                .send_slice(&req, IpAddr::V4(IP4_B))
                .unwrap();
        }
        sim.a
            .udp_socket(client)
            .send_slice(&[2u8; 3000], to_b.into())
            .unwrap();
        allocations += polls_allocations(&mut sim, 40);
        while sim.a.icmp_socket(ping).recv().is_ok() {
            replies += 1;
        }
        while sim.b.udp_socket(server).recv().is_ok() {
            datagrams += 1;
        }
    }
    assert_eq!(replies, 60, "every ping answered");
    assert_eq!(datagrams, 20, "every datagram delivered");
    assert!(
        sim.b.iface.stats().reassembled >= 40,
        "fragmented traffic was measured"
    );
    assert_eq!(allocations, 0, "poll allocated {allocations} times");
}
