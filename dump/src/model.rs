//! What `rstcp-dump` knows about one frame: plain data, filled by the
//! dissector and rendered as a JSON object or a tcpdump-style line.
//!
//! Keeping the decoded values apart from both renderings means the JSON keys
//! (which the tshark agreement test checks) and the text line can never
//! disagree about what a frame contained.

use rstcp::wire::{EthernetAddress, Ipv4Addr, Ipv6Addr};

/// One decoded frame, outermost layer first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    /// 1-based position in the capture.
    pub number: u64,
    /// Length of the frame on the wire (may exceed the captured bytes).
    pub len: u32,
    /// Capture timestamp: seconds and nanoseconds since the Unix epoch.
    pub ts: (u64, u32),
    /// Link layer, when the capture's link type has one.
    pub eth: Option<Eth>,
    /// 802.1Q / 802.1ad tags, outermost first.
    pub vlan: Vec<Vlan>,
    /// ARP, when the frame carries it.
    pub arp: Option<Arp>,
    /// The outermost network layer.
    pub ip: Option<Ip>,
    /// The transport or control layer above IP.
    pub l4: Option<L4>,
    /// DHCP, when UDP carries it on ports 67/68.
    pub dhcp: Option<Dhcp>,
    /// The first layer that failed to parse; nothing deeper was looked at.
    pub error: Option<LayerError>,
}

/// Ethernet II header, after any VLAN tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eth {
    /// Source MAC.
    pub src: EthernetAddress,
    /// Destination MAC.
    pub dst: EthernetAddress,
    /// The EtherType after the last VLAN tag; `None` for an IEEE 802.3
    /// length field or a tag stack that could not be walked.
    pub ethertype: Option<u16>,
}

/// One VLAN tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vlan {
    /// VLAN identifier (12 bits).
    pub id: u16,
    /// Priority code point (3 bits).
    pub pcp: u8,
}

/// ARP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    /// Operation (1 request, 2 reply).
    pub op: u16,
    /// The addresses, when the packet is Ethernet/IPv4 ARP.
    pub addrs: Option<ArpAddrs>,
}

/// The four addresses of Ethernet/IPv4 ARP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpAddrs {
    /// Sender hardware address.
    pub sha: EthernetAddress,
    /// Sender protocol address.
    pub spa: Ipv4Addr,
    /// Target hardware address.
    pub tha: EthernetAddress,
    /// Target protocol address.
    pub tpa: Ipv4Addr,
}

/// The network layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ip {
    /// An IPv4 header.
    V4(V4),
    /// An IPv6 header and its extension chain.
    V6(V6),
}

/// IPv4 header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V4 {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Protocol number.
    pub proto: u8,
    /// Time to live.
    pub ttl: u8,
    /// Identification.
    pub id: u16,
    /// Don't fragment.
    pub df: bool,
    /// More fragments.
    pub mf: bool,
    /// Fragment offset in bytes.
    pub frag_offset: u16,
    /// Total length field.
    pub total_len: u16,
    /// Whether the header checksum verifies.
    pub checksum_ok: bool,
}

/// IPv6 header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V6 {
    /// Source address.
    pub src: Ipv6Addr,
    /// Destination address.
    pub dst: Ipv6Addr,
    /// Next header of the fixed header.
    pub next_header: u8,
    /// Hop limit.
    pub hop_limit: u8,
    /// Payload length field.
    pub payload_len: u16,
    /// Extension header numbers walked, in order.
    pub ext: Vec<u8>,
}

/// The layer above IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum L4 {
    /// ICMPv4.
    Icmp(Icmp),
    /// ICMPv6.
    Icmpv6(Icmp),
    /// UDP.
    Udp(Udp),
    /// TCP.
    Tcp(Tcp),
    /// Another protocol, not decoded (its number).
    Other(u8),
}

/// ICMPv4 or ICMPv6 type, code and checksum status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Icmp {
    /// Message type.
    pub ty: u8,
    /// Message code.
    pub code: u8,
    /// Whether the checksum verifies; `None` when the message is not all
    /// here (snapped capture, first fragment) so it cannot be told.
    pub checksum_ok: Option<bool>,
}

/// UDP header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Udp {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Length field.
    pub len: u16,
    /// Whether the checksum verifies (a zero checksum over IPv4 means none,
    /// and is ok); `None` when the datagram is not all here.
    pub checksum_ok: Option<bool>,
}

/// TCP header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tcp {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// The eight flag bits, CWR (0x80) down to FIN (0x01).
    pub flags: u8,
    /// Window field, unscaled.
    pub window: u16,
    /// Whether the checksum verifies; `None` when the segment is not all here.
    pub checksum_ok: Option<bool>,
    /// Payload length in bytes (captured or not).
    pub payload_len: usize,
    /// The options present.
    pub options: TcpOpts,
}

/// The TCP options `rstcp-dump` reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TcpOpts {
    /// Maximum segment size.
    pub mss: Option<u16>,
    /// Window scale shift.
    pub wscale: Option<u8>,
    /// SACK permitted.
    pub sack_perm: bool,
    /// Timestamp value and echo reply.
    pub ts: Option<(u32, u32)>,
    /// SACK blocks (left, right).
    pub sack: Vec<(u32, u32)>,
}

/// DHCPv4 summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dhcp {
    /// BOOTP op (1 request, 2 reply).
    pub op: u8,
    /// Transaction id.
    pub xid: u32,
    /// DHCP message type option, if present.
    pub msg_type: Option<u8>,
}

/// Where parsing stopped and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerError {
    /// The layer's JSON key (`eth`, `ipv4`, `tcp`, ...).
    pub layer: &'static str,
    /// The reason, e.g. `truncated` or `malformed tcp option length`.
    pub reason: String,
}
