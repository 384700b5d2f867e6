//! Seed inputs for every target, cut out of the shared tcpdump captures.
//!
//! The same extraction feeds `fuzz-seeds` (which writes the cargo-fuzz
//! corpora) and `tests/fuzz_seeds.rs` (which replays the bodies on stable),
//! so both see the same inputs.

use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Cursor;
use std::path::{Path, PathBuf};

use rstcp::wire::ethernet::{EtherType, EthernetFrame};
use rstcp::wire::ipv4::Ipv4Packet;
use rstcp::wire::ipv6::Ipv6Packet;
use rstcp::wire::ipv6ext::walk;
use rstcp::wire::udp::UdpPacket;
use rstcp::wire::IpProtocol;
use rstcp_pcap::{CaptureReader, LinkType};

/// The shared capture corpus, relative to this crate.
pub const CORPUS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/tcpdump");

/// The most seeds kept per target: enough variety for the fuzzer to start
/// from, few enough that the stable replay stays fast.
pub const MAX_SEEDS: usize = 2000;

/// Whole capture files up to this size become `pcap` seeds; libFuzzer's
/// default `-max_len` scales with the largest seed, and big ones slow it.
pub const MAX_PCAP_SEED: usize = 64 * 1024;

/// Seeds by target name (every name of [`super::TARGETS`] is a key).
pub type Seeds = BTreeMap<&'static str, Vec<Vec<u8>>>;

/// A stable content hash, to deduplicate and to name seed files.
pub fn content_hash(data: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    data.hash(&mut h);
    h.finish()
}

/// Reads every capture under `corpus_dir` (sorted, so the result is
/// deterministic) and cuts seeds for each target: Ethernet frames for
/// `ethernet`, the ARP/IP/ICMP/UDP/TCP/DHCP slices for the others (with the
/// address prefixes their inputs start with), whole small files for `pcap`.
///
/// Files that do not read as captures are skipped; a packet that stops
/// parsing at some layer still seeds the layers above it. To keep the seeds
/// varied the cap is filled round-robin over the files, so one big capture
/// cannot crowd out the rest.
pub fn collect(corpus_dir: &Path) -> std::io::Result<Seeds> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort();

    // Per target, per file, the new (globally unique) seeds in file order.
    let mut per_file: BTreeMap<&'static str, Vec<Vec<Vec<u8>>>> = BTreeMap::new();
    let mut seen: HashSet<(&'static str, u64)> = HashSet::new();
    for path in &files {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let mut cut = Cutter::default();
        if bytes.len() <= MAX_PCAP_SEED {
            cut.add("pcap", &bytes);
        }
        if let Ok(mut reader) = CaptureReader::new(Cursor::new(&bytes[..])) {
            while let Some(Ok(packet)) = reader.next_packet() {
                cut.link_layer(packet.link_type, packet.data);
            }
        }
        // `iface` inputs are sequences of this file's Ethernet frames.
        if let Some(frames) = cut.0.get("ethernet").cloned() {
            for seed in super::iface::capture_seeds(&frames) {
                cut.add("iface", &seed);
            }
        }
        for (target, seeds) in cut.0 {
            let fresh: Vec<Vec<u8>> = seeds
                .into_iter()
                .filter(|s| seen.insert((target, content_hash(s))))
                .collect();
            per_file.entry(target).or_default().push(fresh);
        }
    }

    let mut out: Seeds = super::TARGETS
        .iter()
        .map(|(t, _)| (*t, Vec::new()))
        .collect();
    // Crafted `iface` inputs first, so that the cap never cuts them.
    out.insert("iface", super::iface::crafted_seeds());
    // `tcp_socket` inputs are scripts for a peer, not captures: crafted only.
    out.insert("tcp_socket", super::tcp_socket::seeds());
    for (target, mut lists) in per_file {
        let seeds = out.entry(target).or_default();
        for list in &mut lists {
            list.reverse(); // pop() from the front of each file's list
        }
        while seeds.len() < MAX_SEEDS && lists.iter().any(|l| !l.is_empty()) {
            for list in &mut lists {
                if seeds.len() == MAX_SEEDS {
                    break;
                }
                if let Some(seed) = list.pop() {
                    seeds.push(seed);
                }
            }
        }
    }
    Ok(out)
}

/// The seeds cut from one capture file, by target.
#[derive(Default)]
struct Cutter(BTreeMap<&'static str, Vec<Vec<u8>>>);

impl Cutter {
    fn add(&mut self, target: &'static str, data: &[u8]) {
        self.0.entry(target).or_default().push(data.to_vec());
    }

    fn link_layer(&mut self, link: LinkType, data: &[u8]) {
        match link {
            LinkType::Ethernet => {
                self.add("ethernet", data);
                let Ok(frame) = EthernetFrame::new_checked(data) else {
                    return;
                };
                if let (Ok(ethertype), Ok(payload)) =
                    (frame.inner_ethertype(), frame.inner_payload())
                {
                    self.network(ethertype, payload);
                }
            }
            LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => match data.first().map(|b| b >> 4) {
                Some(4) => self.network(EtherType::Ipv4, data),
                Some(6) => self.network(EtherType::Ipv6, data),
                _ => {}
            },
            LinkType::LinuxSll => {
                if let Some(header) = data.get(..16) {
                    let ethertype = u16::from_be_bytes([header[14], header[15]]);
                    self.network(EtherType::from(ethertype), &data[16..]);
                }
            }
            _ => {}
        }
    }

    fn network(&mut self, ethertype: EtherType, data: &[u8]) {
        match ethertype {
            EtherType::Arp => self.add("arp", data),
            EtherType::Ipv4 => self.ipv4(data),
            EtherType::Ipv6 => self.ipv6(data),
            _ => {}
        }
    }

    fn ipv4(&mut self, data: &[u8]) {
        let Ok(packet) = Ipv4Packet::new_checked(data) else {
            // Still a seed: a malformed header is an input worth starting from.
            self.add("ipv4", data);
            return;
        };
        // Without the link-layer padding, which the target would only skip.
        self.add("ipv4", &data[..usize::from(packet.total_len())]);
        if packet.more_frags() || packet.frag_offset() != 0 {
            return;
        }
        let (src, dst) = (packet.src_addr().into(), packet.dst_addr().into());
        let payload = packet.payload();
        match packet.next_header() {
            IpProtocol::Icmp => self.add("icmpv4", payload),
            proto => self.transport(proto, src, dst, payload),
        }
    }

    fn ipv6(&mut self, data: &[u8]) {
        let Ok(packet) = Ipv6Packet::new_checked(data) else {
            self.add("ipv6", data);
            return;
        };
        self.add("ipv6", &data[..packet.total_len()]);
        let payload = packet.payload();
        let Ok(summary) = walk(packet.next_header(), payload) else {
            return;
        };
        if !summary.has_upper_header() {
            return;
        }
        let upper = summary.upper_payload(payload);
        let (src, dst) = (packet.src_addr(), packet.dst_addr());
        match summary.upper {
            IpProtocol::Icmpv6 => {
                let input = super::icmpv6_input(src, dst, upper);
                self.add("icmpv6", &input);
            }
            proto => self.transport(proto, src.into(), dst.into(), upper),
        }
    }

    fn transport(
        &mut self,
        proto: IpProtocol,
        src: std::net::IpAddr,
        dst: std::net::IpAddr,
        segment: &[u8],
    ) {
        let target = match proto {
            IpProtocol::Tcp => "tcp",
            IpProtocol::Udp => "udp",
            _ => return,
        };
        if let Some(input) = super::l4_input(src, dst, segment) {
            self.add(target, &input);
        }
        if proto == IpProtocol::Udp {
            if let Ok(udp) = UdpPacket::new_checked(segment) {
                if super::udp::is_dhcp(udp.src_port(), udp.dst_port()) {
                    self.add("dhcpv4", udp.payload());
                }
                if udp.src_port() == 53 || udp.dst_port() == 53 {
                    self.add("dns", udp.payload());
                }
            }
        }
    }
}
