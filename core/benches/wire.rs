//! Wire-format benchmarks, each side by side with smoltcp on the same input.
//!
//! Run with `cargo bench -p rstcp --bench wire`. After criterion's own report
//! a table prints each pair's mean time and the ratio smoltcp / rstcp
//! (above 1.0 means rstcp is faster).

use criterion::{black_box, Criterion};
use std::path::PathBuf;

/// A deterministic 1500-byte buffer (an MTU-sized frame's worth of bytes).
fn mtu_bytes() -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..1500)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// Checksum of a 1500-byte datagram: the UDP checksum verification, pseudo-header
/// included. smoltcp keeps its checksum function private, so this compares the
/// public operation that is dominated by it (`UdpPacket::verify_checksum`).
fn checksum(c: &mut Criterion) {
    use rstcp::wire::checksum::{combine, finish, pseudo_header_v4, sum};
    use rstcp::wire::{IpProtocol, Ipv4Addr};
    use smoltcp::wire::{IpAddress, UdpPacket};

    let src = Ipv4Addr::new(192, 168, 69, 100);
    let dst = Ipv4Addr::new(192, 168, 69, 1);
    let mut dgram = mtu_bytes();
    let len = dgram.len() as u16;
    dgram[4..6].copy_from_slice(&len.to_be_bytes());
    dgram[6..8].copy_from_slice(&[0, 0]);
    let ph = pseudo_header_v4(&src, &dst, IpProtocol::Udp, u32::from(len));
    let c16 = finish(combine(&[ph, sum(&dgram)]));
    dgram[6..8].copy_from_slice(&c16.to_be_bytes());

    let ours = |d: &[u8]| {
        combine(&[
            pseudo_header_v4(&src, &dst, IpProtocol::Udp, d.len() as u32),
            sum(d),
        ]) == 0xffff
    };
    let (s_src, s_dst) = (IpAddress::from(src), IpAddress::from(dst));
    let theirs = |d: &[u8]| UdpPacket::new_unchecked(d).verify_checksum(&s_src, &s_dst);
    assert!(
        ours(&dgram) && theirs(&dgram),
        "both must accept the datagram before their speed means anything"
    );

    let mut g = c.benchmark_group("checksum_1500B");
    g.throughput(criterion::Throughput::Bytes(dgram.len() as u64));
    g.bench_function("rstcp", |b| b.iter(|| ours(black_box(&dgram))));
    g.bench_function("smoltcp", |b| b.iter(|| theirs(black_box(&dgram))));
    g.finish();
}

/// Reads criterion's mean point estimate (ns) for one benchmark.
fn mean_ns(group: &str, name: &str) -> Option<f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = dir
        .join("criterion")
        .join(group)
        .join(name)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    // {"mean":{"confidence_interval":{...},"point_estimate":123.4,...
    let mean = &text[text.find("\"mean\"")?..];
    let pe = &mean[mean.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = pe.find([',', '}'])?;
    pe[..end].trim().parse().ok()
}

fn print_ratios(groups: &[&str]) {
    println!();
    println!(
        "{:<28} {:>12} {:>12} {:>16}",
        "benchmark", "rstcp", "smoltcp", "smoltcp/rstcp"
    );
    for g in groups {
        match (mean_ns(g, "rstcp"), mean_ns(g, "smoltcp")) {
            (Some(a), Some(b)) => {
                println!("{g:<28} {a:>10.1}ns {b:>10.1}ns {:>15.2}x", b / a)
            }
            _ => println!("{g:<28} (no estimate: run without a filter)"),
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    checksum(&mut c);
    c.final_summary();
    print_ratios(&["checksum_1500B"]);
}
