//! Walks one captured frame down the layers with `rstcp::wire` views and
//! fills a [`Frame`]. Every view is over the capture reader's own buffer: no
//! byte of the frame is copied.
//!
//! Two kinds of short data are told apart, as tcpdump and Wireshark do:
//! - a frame cut by the capture's snap length (captured < on-wire length):
//!   headers that are present are decoded, and checksums over the missing
//!   bytes are reported as unknown (the `checksum_ok` key is left out);
//! - a header that is itself cut or malformed: the layer gets an `error` and
//!   nothing deeper is decoded.

use super::model::*;
use rstcp::wire::{
    arp::{ArpPacket, ArpRepr},
    dhcpv4::DhcpPacket,
    ethernet::{EtherType, EthernetFrame},
    icmpv4::Icmpv4Packet,
    icmpv6::Icmpv6Packet,
    ipv4::Ipv4Packet,
    ipv6::Ipv6Packet,
    ipv6ext,
    tcp::{TcpOption, TcpPacket},
    udp::UdpPacket,
    Error, IpAddr, IpProtocol,
};

/// The link layers `rstcp-dump` understands (pcap LINKTYPE values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// LINKTYPE_ETHERNET (1).
    Ethernet,
    /// LINKTYPE_RAW (101): IPv4 or IPv6 by the version nibble.
    Raw,
    /// LINKTYPE_IPV4 (228).
    Ipv4,
    /// LINKTYPE_IPV6 (229).
    Ipv6,
    /// LINKTYPE_LINUX_SLL (113): a 16-byte cooked header, protocol at 14..16.
    LinuxSll,
}

impl Link {
    /// Maps a pcap link type number; `None` for the ones not supported.
    pub fn from_linktype(v: u32) -> Option<Link> {
        Some(match v {
            1 => Link::Ethernet,
            101 => Link::Raw,
            228 => Link::Ipv4,
            229 => Link::Ipv6,
            113 => Link::LinuxSll,
            _ => return None,
        })
    }
}

/// Decodes one frame.
///
/// `orig_len` is the on-wire length from the capture record; when it exceeds
/// `data.len()` the frame was cut by the snap length.
pub fn dissect(number: u64, ts: (u64, u32), link: Link, data: &[u8], orig_len: u32) -> Frame {
    let mut f = Frame {
        number,
        len: orig_len,
        ts,
        ..Frame::default()
    };
    let snapped = (data.len() as u64) < u64::from(orig_len);
    let mut d = Dissector { f: &mut f, snapped };
    d.link(link, data);
    f
}

struct Dissector<'f> {
    f: &'f mut Frame,
    snapped: bool,
}

impl Dissector<'_> {
    fn fail(&mut self, layer: &'static str, e: Error) {
        self.f.error = Some(LayerError {
            layer,
            reason: e.to_string(),
        });
    }

    fn link(&mut self, link: Link, data: &[u8]) {
        match link {
            Link::Ethernet => self.ethernet(data),
            Link::Ipv4 => self.ipv4(data),
            Link::Ipv6 => self.ipv6(data),
            Link::Raw => match data.first().map(|b| b >> 4) {
                Some(4) => self.ipv4(data),
                Some(6) => self.ipv6(data),
                Some(_) => self.fail("ip", Error::Malformed("ip version")),
                None => self.fail("ip", Error::Truncated),
            },
            Link::LinuxSll => match (data.get(14..16), data.get(16..)) {
                (Some(p), Some(rest)) => {
                    let proto = u16::from_be_bytes([p[0], p[1]]);
                    self.ethertype(proto, rest);
                }
                _ => self.fail("sll", Error::Truncated),
            },
        }
    }

    fn ethernet(&mut self, data: &[u8]) {
        let frame = match EthernetFrame::new_checked(data) {
            Ok(f) => f,
            Err(e) => return self.fail("eth", e),
        };
        // Walk the tag stack first: the `eth.type` we report is the one after it.
        let (ethertype, payload) = match (frame.inner_ethertype(), frame.inner_payload()) {
            (Ok(t), Ok(p)) => (t, p),
            (Err(e), _) | (_, Err(e)) => {
                self.f.eth = Some(Eth {
                    src: frame.src_addr(),
                    dst: frame.dst_addr(),
                    ethertype: None,
                });
                self.f.vlan = frame.vlan_tags().map(vlan).collect();
                return self.fail("vlan", e);
            }
        };
        self.f.vlan = frame.vlan_tags().map(vlan).collect();
        let raw = u16::from(ethertype);
        // IEEE 802.3 frames carry a length, not a type: nothing above them here.
        let is_type = !ethertype.is_length();
        self.f.eth = Some(Eth {
            src: frame.src_addr(),
            dst: frame.dst_addr(),
            ethertype: is_type.then_some(raw),
        });
        if is_type {
            self.ethertype(raw, payload);
        }
    }

    fn ethertype(&mut self, ethertype: u16, payload: &[u8]) {
        match EtherType::from(ethertype) {
            EtherType::Ipv4 => self.ipv4(payload),
            EtherType::Ipv6 => self.ipv6(payload),
            EtherType::Arp => self.arp(payload),
            _ => {}
        }
    }

    fn arp(&mut self, data: &[u8]) {
        // The fixed 8-byte part names the operation even when the rest is
        // not Ethernet/IPv4 or is cut; report it, as Wireshark does.
        let op = match (data.get(6), data.get(7)) {
            (Some(&hi), Some(&lo)) => u16::from_be_bytes([hi, lo]),
            _ => return self.fail("arp", Error::Truncated),
        };
        let parsed = ArpPacket::new_checked(data).and_then(|p| ArpRepr::parse(&p));
        let addrs = match parsed {
            Ok(ArpRepr::EthernetIpv4 {
                source_hardware_addr,
                source_protocol_addr,
                target_hardware_addr,
                target_protocol_addr,
                ..
            }) => Some(ArpAddrs {
                sha: source_hardware_addr,
                spa: source_protocol_addr,
                tha: target_hardware_addr,
                tpa: target_protocol_addr,
            }),
            Ok(_) => None,
            Err(e) => {
                self.f.arp = Some(Arp { op, addrs: None });
                return self.fail("arp", e);
            }
        };
        self.f.arp = Some(Arp { op, addrs });
    }

    fn ipv4(&mut self, data: &[u8]) {
        // The relaxed constructor needs only the header; the full check below
        // tells a snapped capture from a lying total-length field.
        let ip = match Ipv4Packet::new_checked_header(data) {
            Ok(p) => p,
            Err(e) => return self.fail("ipv4", e),
        };
        if ip.version() != 4 {
            return self.fail("ipv4", Error::Malformed("ipv4 version"));
        }
        self.f.ip = Some(Ip::V4(V4 {
            src: ip.src_addr(),
            dst: ip.dst_addr(),
            proto: ip.next_header().into(),
            ttl: ip.hop_limit(),
            id: ip.ident(),
            df: ip.dont_frag(),
            mf: ip.more_frags(),
            frag_offset: ip.frag_offset(),
            total_len: ip.total_len(),
            checksum_ok: ip.verify_checksum(),
        }));
        let complete = match Ipv4Packet::new_checked(data) {
            Ok(_) => true,
            Err(Error::Truncated) if self.snapped => false,
            Err(e) => return self.fail("ipv4", e),
        };
        if let Some(e) = ip.options_iter().find_map(|o| o.err()) {
            return self.fail("ipv4", e);
        }
        // RFC 791: only the first fragment carries the upper-layer header.
        if ip.frag_offset() != 0 {
            return;
        }
        // A first fragment's checksum covers bytes still to come.
        let whole = complete && !ip.more_frags();
        let (src, dst) = (IpAddr::V4(ip.src_addr()), IpAddr::V4(ip.dst_addr()));
        self.upper(ip.next_header(), ip.payload(), src, dst, whole, false);
    }

    fn ipv6(&mut self, data: &[u8]) {
        let ip = match Ipv6Packet::new_checked_header(data) {
            Ok(p) => p,
            Err(e) => return self.fail("ipv6", e),
        };
        if ip.version() != 6 {
            return self.fail("ipv6", Error::Malformed("ipv6 version"));
        }
        let mut v6 = V6 {
            src: ip.src_addr(),
            dst: ip.dst_addr(),
            next_header: ip.next_header().into(),
            hop_limit: ip.hop_limit(),
            payload_len: ip.payload_len(),
            ext: Vec::new(),
        };
        let complete = match Ipv6Packet::new_checked(data) {
            Ok(_) => true,
            Err(Error::Truncated) if self.snapped => false,
            Err(e) => {
                self.f.ip = Some(Ip::V6(v6));
                return self.fail("ipv6", e);
            }
        };
        let payload = ip.payload();
        let walk = ipv6ext::walk(ip.next_header(), payload);
        match walk {
            Ok(w) => {
                v6.ext = w.headers.iter().map(|&h| u8::from(h)).collect();
                self.f.ip = Some(Ip::V6(v6));
                if w.is_non_first_fragment() || !w.has_upper_header() {
                    return;
                }
                let whole = complete && w.fragment.is_none();
                let upper = payload.get(w.upper_offset..).unwrap_or(&[]);
                let (src, dst) = (IpAddr::V6(ip.src_addr()), IpAddr::V6(ip.dst_addr()));
                self.upper(w.upper, upper, src, dst, whole, true);
            }
            Err(e) => {
                // Report the headers that did parse before the bad one.
                let mut chain = ipv6ext::Ipv6ExtChain::new(ip.next_header(), payload);
                v6.ext = chain
                    .by_ref()
                    .map_while(|h| h.ok())
                    .map(|h| u8::from(h.kind))
                    .collect();
                self.f.ip = Some(Ip::V6(v6));
                self.fail("ipv6", e)
            }
        }
    }

    /// The layer above IP. `whole` says the bytes are the entire upper-layer
    /// message, so its checksum can be verified.
    fn upper(
        &mut self,
        proto: IpProtocol,
        data: &[u8],
        src: IpAddr,
        dst: IpAddr,
        whole: bool,
        v6: bool,
    ) {
        match (proto, v6) {
            (IpProtocol::Tcp, _) => self.tcp(data, src, dst, whole),
            (IpProtocol::Udp, _) => self.udp(data, src, dst, whole),
            (IpProtocol::Icmp, false) => match Icmpv4Packet::new_checked(data) {
                Ok(p) => {
                    self.f.l4 = Some(L4::Icmp(Icmp {
                        ty: p.msg_type().into(),
                        code: p.msg_code(),
                        checksum_ok: whole.then(|| p.verify_checksum()),
                    }))
                }
                Err(e) => self.fail("icmp", e),
            },
            (IpProtocol::Icmpv6, true) => {
                let (IpAddr::V6(s), IpAddr::V6(d)) = (src, dst) else {
                    return;
                };
                match Icmpv6Packet::new_checked(data) {
                    Ok(p) => {
                        self.f.l4 = Some(L4::Icmpv6(Icmp {
                            ty: p.msg_type().into(),
                            code: p.msg_code(),
                            checksum_ok: whole.then(|| p.verify_checksum(&s, &d)),
                        }))
                    }
                    Err(e) => self.fail("icmpv6", e),
                }
            }
            (other, _) => self.f.l4 = Some(L4::Other(other.into())),
        }
    }

    fn udp(&mut self, data: &[u8], src: IpAddr, dst: IpAddr, whole: bool) {
        let (udp, complete) = match UdpPacket::new_checked(data) {
            Ok(p) => (p, true),
            // Snapped capture or first fragment: the 8-byte header is
            // here, the rest of the datagram is not.
            Err(Error::Truncated) if !whole && data.len() >= 8 => {
                (UdpPacket::new_unchecked(data), false)
            }
            Err(e) => return self.fail("udp", e),
        };
        let whole = whole && complete;
        self.f.l4 = Some(L4::Udp(Udp {
            src_port: udp.src_port(),
            dst_port: udp.dst_port(),
            len: udp.len(),
            checksum_ok: whole.then(|| udp.verify_checksum(&src, &dst)),
        }));
        if !complete {
            return;
        }
        let bootp = [67, 68];
        if bootp.contains(&udp.src_port()) || bootp.contains(&udp.dst_port()) {
            match DhcpPacket::new_checked(udp.payload()) {
                Ok(p) => {
                    self.f.dhcp = Some(Dhcp {
                        op: p.op().into(),
                        xid: p.xid(),
                        msg_type: p.message_type().map(u8::from),
                    })
                }
                Err(e) => self.fail("dhcp", e),
            }
        }
    }

    fn tcp(&mut self, data: &[u8], src: IpAddr, dst: IpAddr, whole: bool) {
        let tcp = match TcpPacket::new_checked(data) {
            Ok(p) => p,
            Err(e) => return self.fail("tcp", e),
        };
        let mut t = Tcp {
            src_port: tcp.src_port(),
            dst_port: tcp.dst_port(),
            seq: tcp.seq_number().0,
            ack: tcp.ack_number().0,
            flags: tcp.flags(),
            window: tcp.window_len(),
            checksum_ok: whole.then(|| tcp.verify_checksum(&src, &dst)),
            payload_len: tcp.payload().len(),
            options: TcpOpts::default(),
        };
        let mut bad = None;
        for opt in tcp.options_iter() {
            match opt {
                Ok(TcpOption::MaxSegmentSize(m)) => {
                    t.options.mss.get_or_insert(m);
                }
                Ok(TcpOption::WindowScale(w)) => {
                    t.options.wscale.get_or_insert(w);
                }
                Ok(TcpOption::SackPermitted) => t.options.sack_perm = true,
                Ok(TcpOption::Timestamp { tsval, tsecr }) => {
                    t.options.ts.get_or_insert((tsval, tsecr));
                }
                Ok(TcpOption::SackRange(blocks)) => t.options.sack.extend(blocks.iter().flatten()),
                Ok(_) => {}
                Err(e) => {
                    bad = Some(e);
                    break;
                }
            }
        }
        self.f.l4 = Some(L4::Tcp(t));
        if let Some(e) = bad {
            self.fail("tcp", e);
        }
    }
}

fn vlan(tag: rstcp::wire::ethernet::VlanTag) -> Vlan {
    Vlan {
        id: tag.id,
        pcp: tag.pcp,
    }
}
