//! The interface on a device with a virtio-net header (issue 13): what it
//! trusts from the header on receive, and the header and super-segments it
//! writes on transmit. An in-memory device with the TAP's capabilities;
//! every frame built byte by byte here, so the tests read the wire format
//! and not the code under test.

extern crate std;
use crate::iface::{Config, DropReason, Interface, InterfaceStorage};
use crate::phy::frames::FrameQueue;
use crate::phy::{DeviceCapabilities, VirtioOffload};
use crate::socket::tcp::{State, TcpSocket};
use crate::socket::udp::UdpSocket;
use crate::socket::{IndexSlot, SocketHandle, SocketSet, SocketStorage};
use crate::storage::{PacketBuffer, PacketMetadata, RingBuffer};
use crate::time::Instant;
use crate::wire::checksum;
use crate::wire::virtio::{GsoType, VirtioNetRepr, F_DATA_VALID, F_NEEDS_CSUM};
use crate::wire::{EthernetAddress, IpAddr, IpEndpoint, IpProtocol, Ipv4Addr, Ipv4Cidr};
use std::vec;
use std::vec::Vec;

const OUR_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
const PEER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 2];
const OUR_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const PEER_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
/// The TAP's header: Virtio 1.x, 12 bytes.
const VNET: usize = 12;
/// Ethernet + IPv4: where the transport header starts in a frame.
const L4: usize = 14 + 20;

/// A TAP opened with offloads: header, device checksums, TSO.
fn offload_caps() -> DeviceCapabilities {
    let mut caps = DeviceCapabilities::ethernet(1500);
    caps.virtio = Some(VirtioOffload::new(VNET, true));
    caps.max_segment_size = Some(65535);
    caps
}

struct Host {
    iface: Interface<'static>,
    sockets: SocketSet<'static>,
    dev: FrameQueue,
}

impl Host {
    fn new(caps: DeviceCapabilities) -> Host {
        let mut config = Config::new(EthernetAddress(OUR_MAC));
        config.ipv4_probe = false;
        let mut iface = Interface::new(config, InterfaceStorage::none(), Instant::ZERO);
        iface
            .add_ipv4_address(Ipv4Cidr::new(OUR_IP, 24).unwrap(), Instant::ZERO)
            .unwrap();
        Host {
            iface,
            sockets: SocketSet::new(
                (0..4).map(|_| SocketStorage::EMPTY).collect::<Vec<_>>(),
                vec![IndexSlot::default(); 8],
                1,
            ),
            dev: FrameQueue::new(caps),
        }
    }

    fn recv(&mut self, frame: Vec<u8>) {
        self.dev.rx.push_back(frame);
        self.poll();
    }

    fn poll(&mut self) {
        self.iface
            .poll(Instant::ZERO, &mut self.dev, &mut self.sockets);
    }

    fn udp(&mut self, port: u16) -> SocketHandle {
        let buf = || PacketBuffer::new(vec![PacketMetadata::EMPTY; 4], vec![0u8; 4096]);
        let h = self.sockets.add(UdpSocket::new(buf(), buf())).unwrap();
        self.sockets.bind_udp(h, port).unwrap();
        h
    }

    fn udp_recv(&mut self, h: SocketHandle) -> Option<Vec<u8>> {
        let s = self.sockets.get_mut::<UdpSocket>(h).unwrap();
        s.recv().ok().map(|(d, _)| d.to_vec())
    }
}

fn vnet(repr: VirtioNetRepr) -> Vec<u8> {
    let mut h = vec![0u8; VNET];
    repr.emit(&mut h);
    h
}

fn header(flags: u8, csum_start: u16, csum_offset: u16) -> VirtioNetRepr {
    VirtioNetRepr {
        flags,
        csum_start,
        csum_offset,
        ..VirtioNetRepr::PLAIN
    }
}

/// Ethernet + IPv4 (valid header checksum) from the peer to us around `l4`.
fn ipv4_frame(protocol: u8, l4: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&OUR_MAC);
    f.extend_from_slice(&PEER_MAC);
    f.extend_from_slice(&[0x08, 0x00]);
    let total = (20 + l4.len()) as u16;
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip[6] = 0x40; // DF
    ip[8] = 64;
    ip[9] = protocol;
    ip[12..16].copy_from_slice(&PEER_IP.octets());
    ip[16..20].copy_from_slice(&OUR_IP.octets());
    let c = checksum::finish(checksum::sum(&ip));
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(l4);
    f
}

/// A UDP datagram to `port` whose checksum field holds `csum`.
fn udp(port: u16, data: &[u8], csum: u16) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&4000u16.to_be_bytes());
    u.extend_from_slice(&port.to_be_bytes());
    u.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    u.extend_from_slice(&csum.to_be_bytes());
    u.extend_from_slice(data);
    u
}

/// The pseudo-header's sum for a transport message of `len` bytes from
/// the peer (the partial checksum of a `NEEDS_CSUM` frame).
fn pseudo(protocol: IpProtocol, len: usize) -> u16 {
    checksum::pseudo_header_v4(&PEER_IP, &OUR_IP, protocol, len as u32)
}

/// The right UDP checksum of `data` to `port`.
fn udp_checksum(port: u16, data: &[u8]) -> u16 {
    let bytes = udp(port, data, 0);
    checksum::finish(checksum::combine(&[
        pseudo(IpProtocol::Udp, bytes.len()),
        checksum::sum(&bytes),
    ]))
}

#[test]
fn a_frame_the_device_verified_is_not_verified_again() {
    let mut h = Host::new(offload_caps());
    let s = h.udp(7);
    // DATA_VALID: the device checked it; a wrong checksum is not ours to
    // find (it proves the stack did not recompute it).
    let wrong = udp_checksum(7, b"vouched") ^ 0x5a5a;
    let mut frame = vnet(header(F_DATA_VALID, 0, 0));
    frame.extend(ipv4_frame(17, &udp(7, b"vouched", wrong)));
    h.recv(frame);
    assert_eq!(h.udp_recv(s).as_deref(), Some(&b"vouched"[..]));
    assert_eq!(h.iface.stats().dropped(DropReason::BadChecksum), 0);
}

#[test]
fn a_partial_checksum_from_the_host_is_accepted() {
    let mut h = Host::new(offload_caps());
    let s = h.udp(7);
    // NEEDS_CSUM: the frame never left the host; its field holds only the
    // pseudo-header's sum, as Linux leaves a CHECKSUM_PARTIAL packet.
    let partial = pseudo(IpProtocol::Udp, 8 + 7);
    let mut frame = vnet(header(F_NEEDS_CSUM, L4 as u16, 6));
    frame.extend(ipv4_frame(17, &udp(7, b"partial", partial)));
    h.recv(frame);
    assert_eq!(h.udp_recv(s).as_deref(), Some(&b"partial"[..]));
}

#[test]
fn a_bad_checksum_the_device_did_not_vouch_for_is_dropped_and_counted() {
    let mut h = Host::new(offload_caps());
    let s = h.udp(7);
    let wrong = udp_checksum(7, b"corrupt") ^ 0x5a5a;
    let mut frame = vnet(VirtioNetRepr::PLAIN);
    frame.extend(ipv4_frame(17, &udp(7, b"corrupt", wrong)));
    h.recv(frame);
    assert_eq!(h.udp_recv(s), None);
    assert_eq!(h.iface.stats().dropped(DropReason::BadChecksum), 1);
    // The same datagram with its right checksum goes through.
    let mut frame = vnet(VirtioNetRepr::PLAIN);
    frame.extend(ipv4_frame(
        17,
        &udp(7, b"corrupt", udp_checksum(7, b"corrupt")),
    ));
    h.recv(frame);
    assert_eq!(h.udp_recv(s).as_deref(), Some(&b"corrupt"[..]));
}

#[test]
fn a_header_that_does_not_fit_its_frame_drops_the_frame() {
    let mut h = Host::new(offload_caps());
    let s = h.udp(7);
    let good = udp(7, b"x", udp_checksum(7, b"x"));
    let len = ipv4_frame(17, &good).len() as u16;
    let bad = [
        // The checksum field past the frame's end.
        header(F_NEEDS_CSUM, len - 1, 0),
        // Headers longer than the frame.
        VirtioNetRepr {
            hdr_len: len + 1,
            ..VirtioNetRepr::PLAIN
        },
        // A super-frame without a segment size.
        VirtioNetRepr {
            gso_type: GsoType::TcpV4,
            ..VirtioNetRepr::PLAIN
        },
    ];
    for repr in bad {
        let mut frame = vnet(repr);
        frame.extend(ipv4_frame(17, &good));
        h.recv(frame);
    }
    // An unknown flag and an unknown GSO type, written as raw bytes.
    for (at, value) in [(0, 0x04), (1, 0x03)] {
        let mut frame = vnet(VirtioNetRepr::PLAIN);
        frame[at] = value;
        frame.extend(ipv4_frame(17, &good));
        h.recv(frame);
    }
    // A frame shorter than the header.
    h.recv(vec![0; VNET - 1]);
    assert_eq!(h.udp_recv(s), None);
    assert_eq!(h.iface.stats().dropped(DropReason::Malformed), 5);
    assert_eq!(h.iface.stats().dropped(DropReason::Truncated), 1);
}

/// A TCP segment from the peer: `flags`, MSS option when `mss`, right checksum.
fn tcp(seq: u32, ack: u32, flags: u8, mss: Option<u16>, data: &[u8]) -> Vec<u8> {
    let hl = if mss.is_some() { 24 } else { 20 };
    let mut t = vec![0u8; hl];
    t[0..2].copy_from_slice(&80u16.to_be_bytes());
    t[2..4].copy_from_slice(&49152u16.to_be_bytes());
    t[4..8].copy_from_slice(&seq.to_be_bytes());
    t[8..12].copy_from_slice(&ack.to_be_bytes());
    t[12] = ((hl / 4) as u8) << 4;
    t[13] = flags;
    t[14..16].copy_from_slice(&65535u16.to_be_bytes());
    if let Some(mss) = mss {
        t[20..22].copy_from_slice(&[2, 4]);
        t[22..24].copy_from_slice(&mss.to_be_bytes());
    }
    t.extend_from_slice(data);
    let c = checksum::finish(checksum::combine(&[
        pseudo(IpProtocol::Tcp, t.len()),
        checksum::sum(&t),
    ]));
    t[16..18].copy_from_slice(&c.to_be_bytes());
    t
}

/// An ARP request from the peer for our address (we learn its MAC).
fn arp_request() -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&PEER_MAC);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1]);
    f.extend_from_slice(&PEER_MAC);
    f.extend_from_slice(&PEER_IP.octets());
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&OUR_IP.octets());
    f
}

/// The TCP frames sent, as (header, frame after it).
/// (A device without a header: `PLAIN` beside each frame.)
fn sent_tcp(dev: &mut FrameQueue) -> Vec<(VirtioNetRepr, Vec<u8>)> {
    let hl = dev.caps.virtio_header_len();
    dev.tx
        .drain(..)
        .filter(|f| f.len() > hl + L4 && f[hl + 12..hl + 14] == [0x08, 0x00] && f[hl + 23] == 6)
        .map(|f| {
            let repr = match hl {
                0 => VirtioNetRepr::PLAIN,
                _ => VirtioNetRepr::parse(&f[..hl], f.len() - hl).unwrap(),
            };
            (repr, f[hl..].to_vec())
        })
        .collect()
}

/// A frame from the peer, behind a plain header on a device that has one.
fn from_peer(h: &Host, frame: Vec<u8>) -> Vec<u8> {
    let mut f = vnet(VirtioNetRepr::PLAIN);
    f.truncate(h.dev.caps.virtio_header_len());
    f.extend(frame);
    f
}

/// A connection from us (port 49152) to the peer's port 80, established by
/// hand: the peer offers `mss` and no other option.
fn established(caps: DeviceCapabilities, mss: u16) -> (Host, SocketHandle, u32) {
    let mut h = Host::new(caps);
    let arp = from_peer(&h, arp_request());
    h.recv(arp);
    h.dev.tx.clear();
    let s = TcpSocket::new(
        RingBuffer::new(vec![0u8; 65536]),
        RingBuffer::new(vec![0u8; 65536]),
    );
    let handle = h.sockets.add(s).unwrap();
    let remote = IpEndpoint::new(IpAddr::V4(PEER_IP), 80);
    h.iface
        .tcp_connect(Instant::ZERO, &mut h.sockets, handle, remote, 49152)
        .unwrap();
    h.poll();
    let syn = sent_tcp(&mut h.dev);
    assert_eq!(syn.len(), 1, "one SYN");
    let iss = u32::from_be_bytes(syn[0].1[L4 + 4..L4 + 8].try_into().unwrap());
    let synack = from_peer(&h, ipv4_frame(6, &tcp(1000, iss + 1, 0x12, Some(mss), &[])));
    h.recv(synack);
    assert_eq!(
        h.sockets.get::<TcpSocket>(handle).unwrap().state(),
        State::Established
    );
    h.dev.tx.clear();
    (h, handle, iss + 1)
}

/// Completes a `NEEDS_CSUM` checksum as the device does (RFC 1071 sum from
/// `csum_start` to the end, the field holding the seed) and says whether
/// the TCP segment then checks against its pseudo-header.
fn completes_to_a_valid_checksum(repr: &VirtioNetRepr, frame: &[u8]) -> bool {
    let mut f = frame.to_vec();
    let start = usize::from(repr.csum_start);
    let field = start + usize::from(repr.csum_offset);
    let c = checksum::finish(checksum::sum(&f[start..]));
    f[field..field + 2].copy_from_slice(&c.to_be_bytes());
    let tcp = &f[L4..];
    let ph = checksum::pseudo_header_v4(&OUR_IP, &PEER_IP, IpProtocol::Tcp, tcp.len() as u32);
    checksum::combine(&[ph, checksum::sum(tcp)]) == 0xffff
}

#[test]
fn tcp_hands_the_device_a_super_segment_with_its_virtio_header() {
    let (mut h, handle, seq) = established(offload_caps(), 1000);
    let data: Vec<u8> = (0..30_000u32).map(|i| (i % 251) as u8).collect();
    let n = h
        .sockets
        .get_mut::<TcpSocket>(handle)
        .unwrap()
        .send_slice(&data)
        .unwrap();
    assert_eq!(n, data.len());
    h.poll();
    let sent = sent_tcp(&mut h.dev);
    let (repr, frame) = &sent[0];
    let payload = &frame[L4 + 20..];
    // RFC 5681 §3.1's initial window of 10 segments of the peer's MSS,
    // in one write, for the device to cut into 1000-byte segments.
    assert_eq!(
        payload.len(),
        10_000,
        "one super-segment of the initial window"
    );
    assert_eq!(payload, &data[..10_000]);
    assert_eq!(repr.flags, F_NEEDS_CSUM);
    assert_eq!(repr.gso_type, GsoType::TcpV4);
    assert_eq!(repr.gso_size, 1000);
    assert_eq!(usize::from(repr.hdr_len), L4 + 20);
    assert_eq!(usize::from(repr.csum_start), L4);
    assert_eq!(repr.csum_offset, 16);
    // The IPv4 length covers the super-segment; the sequence number is
    // the first byte's.
    assert_eq!(
        usize::from(u16::from_be_bytes([frame[16], frame[17]])),
        20 + 20 + 10_000
    );
    assert_eq!(
        u32::from_be_bytes(frame[L4 + 4..L4 + 8].try_into().unwrap()),
        seq
    );
    assert!(completes_to_a_valid_checksum(repr, frame));
    assert_eq!(sent.len(), 1, "the window allowed no more");
}

#[test]
fn a_segment_of_one_mss_or_less_leaves_the_checksum_but_not_the_cutting_to_the_device() {
    let (mut h, handle, _) = established(offload_caps(), 1000);
    h.sockets
        .get_mut::<TcpSocket>(handle)
        .unwrap()
        .send_slice(b"short")
        .unwrap();
    h.poll();
    let sent = sent_tcp(&mut h.dev);
    let (repr, frame) = &sent[0];
    assert_eq!(&frame[L4 + 20..], b"short");
    // Linux refuses a GSO packet whose payload fits one segment.
    assert_eq!(repr.gso_type, GsoType::None);
    assert_eq!(repr.gso_size, 0);
    assert_eq!(repr.flags, F_NEEDS_CSUM);
    assert!(completes_to_a_valid_checksum(repr, frame));
}

#[test]
fn without_offloads_tcp_sends_mss_sized_segments_with_their_checksums() {
    let (mut h, handle, _) = established(DeviceCapabilities::ethernet(1500), 1000);
    h.sockets
        .get_mut::<TcpSocket>(handle)
        .unwrap()
        .send_slice(&[7u8; 5000])
        .unwrap();
    h.poll();
    // Plain frames: no header to parse, each segment one MSS.
    let frames: Vec<Vec<u8>> = h.dev.tx.drain(..).collect();
    assert_eq!(frames.len(), 5);
    for f in &frames {
        assert_eq!(f.len(), L4 + 20 + 1000);
        let tcp = &f[L4..];
        let ph = checksum::pseudo_header_v4(&OUR_IP, &PEER_IP, IpProtocol::Tcp, tcp.len() as u32);
        assert_eq!(checksum::combine(&[ph, checksum::sum(tcp)]), 0xffff);
    }
}

#[test]
fn a_received_super_frame_is_acknowledged_at_once() {
    let (mut h, handle, seq) = established(offload_caps(), 1000);
    // 20 segments' worth in one frame, as the kernel's TSO hands it over.
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 253) as u8).collect();
    let gro = VirtioNetRepr {
        flags: F_NEEDS_CSUM,
        gso_type: GsoType::TcpV4,
        gso_ecn: false,
        hdr_len: (L4 + 20) as u16,
        gso_size: 1000,
        csum_start: L4 as u16,
        csum_offset: 16,
    };
    let mut frame = vnet(gro);
    frame.extend(ipv4_frame(6, &tcp(1001, seq, 0x10, None, &data)));
    h.recv(frame);
    let mut got = vec![0u8; 30_000];
    let n = h
        .sockets
        .get_mut::<TcpSocket>(handle)
        .unwrap()
        .recv_slice(&mut got)
        .unwrap();
    assert_eq!(&got[..n], &data[..]);
    // Not held for the delayed-ACK timer: the sender would wait for it.
    let acks = sent_tcp(&mut h.dev);
    assert_eq!(acks.len(), 1, "one ACK for the super-frame, sent now");
    let ack = u32::from_be_bytes(acks[0].1[L4 + 8..L4 + 12].try_into().unwrap());
    assert_eq!(ack, 1001 + 20_000);
}

#[test]
fn the_capabilities_of_a_device_without_a_header_change_nothing() {
    let caps = DeviceCapabilities::ethernet(1500);
    assert_eq!(caps.virtio_header_len(), 0);
    assert_eq!(caps.tso_max(), None);
}

#[test]
fn random_headers_and_cut_frames_never_panic_and_every_frame_is_accounted() {
    // The header is untrusted like the rest: random bytes in it, over
    // frames cut anywhere, on the receive path and with a TCP connection
    // open (whose segments the header would vouch for).
    let (mut h, _, seq) = established(offload_caps(), 1000);
    let udp_frame = ipv4_frame(17, &udp(7, b"payload", udp_checksum(7, b"payload")));
    let tcp_frame = ipv4_frame(6, &tcp(1001, seq, 0x10, None, &[9u8; 3000]));
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..4000 {
        let base = if i % 2 == 0 { &udp_frame } else { &tcp_frame };
        let mut frame = vec![0u8; VNET];
        for b in frame.iter_mut() {
            // Mostly small values, so flags and types are often valid.
            *b = (next() % if i % 3 == 0 { 256 } else { 8 }) as u8;
        }
        let cut = (next() as usize) % (base.len() + 1);
        frame.extend_from_slice(&base[..cut]);
        let before = h.iface.stats().rx_frames;
        h.recv(frame);
        assert_eq!(h.iface.stats().rx_frames, before + 1);
    }
    // Most were refused, each counted under one reason.
    assert!(h.iface.stats().dropped_total() > 1000);
}
