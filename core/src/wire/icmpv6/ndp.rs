//! Neighbor Discovery for IPv6 (RFC 4861): message bodies and options.
//!
//! NDP messages are ICMPv6 messages, so the view is [`Icmpv6Packet`]; this
//! file adds the NDP accessors to it, the [`NdiscOption`] view and iterator
//! over the options area, and [`NdiscRepr`].
//!
//! Design for round trip: an [`NdiscRepr`] keeps the raw options area
//! (`options`, validated by walking it during `parse`) and, for convenience,
//! the decoded values a host acts on (link-layer address, MTU, nonce,
//! redirected header), taken from the first option of each kind. `emit` copies
//! `options` verbatim and then appends an option for each convenience field
//! that is set and whose kind `options` does not already hold. So a parsed
//! repr emits the same bytes, and a repr built from scratch (empty `options`,
//! fields set) emits the options it names. Prefixes and RDNSS servers are read
//! with the iterators on the repr.
//!
//! The hop limit 255 check (RFC 4861 §6.1, §7.1) and the checks that need the
//! IP addresses belong to the interface, not here.

use bitflags::bitflags;

use super::access::{
    get_addr, get_u16, get_u32, get_u8, set_addr, set_bytes, set_u16, set_u32, set_u8, Ipv6AddrIter,
};
use super::message::Icmpv6Message;
use super::packet::Icmpv6Packet;
use crate::wire::ip::enum_with_unknown;
use crate::wire::{Error, EthernetAddress, Ipv6Addr, Result};

enum_with_unknown! {
    /// NDP option type (RFC 4861 §4.6, IANA "IPv6 Neighbor Discovery Option Formats").
    pub enum NdiscOptionType(u8) {
        /// Source Link-Layer Address (RFC 4861 §4.6.1).
        SourceLinkLayerAddr = 1,
        /// Target Link-Layer Address (RFC 4861 §4.6.1).
        TargetLinkLayerAddr = 2,
        /// Prefix Information (RFC 4861 §4.6.2).
        PrefixInformation = 3,
        /// Redirected Header (RFC 4861 §4.6.3).
        RedirectedHeader = 4,
        /// MTU (RFC 4861 §4.6.4).
        Mtu = 5,
        /// Nonce (RFC 3971 §5.3.2, used by RFC 7527 enhanced DAD).
        Nonce = 14,
        /// Recursive DNS Server (RFC 8106 §5.1).
        Rdnss = 25,
        /// DNS Search List (RFC 8106 §5.2).
        Dnssl = 31,
    }
}

bitflags! {
    /// Router Advertisement flags (RFC 4861 §4.2). Bits this crate does not
    /// name (Prf of RFC 4191, Proxy of RFC 4389) are kept as received.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct RouterFlags: u8 {
        /// M: addresses are available via DHCPv6.
        const MANAGED = 0x80;
        /// O: other configuration is available via DHCPv6.
        const OTHER = 0x40;
        /// H: the router is a Mobile IPv6 home agent (RFC 6275 §7.1).
        const HOME_AGENT = 0x20;
        const _ = !0;
    }
}

bitflags! {
    /// Neighbor Advertisement flags (RFC 4861 §4.4). The 29 reserved bits
    /// after them are ignored on receipt and sent as zero.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct NeighborFlags: u8 {
        /// R: the sender is a router.
        const ROUTER = 0x80;
        /// S: sent in response to a Neighbor Solicitation.
        const SOLICITED = 0x40;
        /// O: override an existing cache entry.
        const OVERRIDE = 0x20;
    }
}

bitflags! {
    /// Prefix Information flags (RFC 4861 §4.6.2). Other bits (R of RFC 6275)
    /// are kept as received.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct PrefixInfoFlags: u8 {
        /// L: the prefix is on-link.
        const ON_LINK = 0x80;
        /// A: the prefix can be used for stateless address autoconfiguration.
        const AUTONOMOUS = 0x40;
        const _ = !0;
    }
}

// bitflags' types have no defmt derive: print the raw bits, as the wire
// carries them (the Prefix List's entries are logged with them).
#[cfg(feature = "defmt")]
impl defmt::Format for PrefixInfoFlags {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "PrefixInfoFlags({=u8:#04x})", self.bits());
    }
}

/// Byte ranges of the NDP message bodies (RFC 4861 §4.1-§4.5), offsets from
/// the start of the ICMPv6 message.
mod field {
    use crate::wire::Field;

    // Router Advertisement (§4.2).
    pub const CUR_HOP_LIMIT: usize = 4;
    pub const ROUTER_FLAGS: usize = 5;
    pub const ROUTER_LT: Field = 6..8;
    pub const REACHABLE_TM: Field = 8..12;
    pub const RETRANS_TM: Field = 12..16;

    // Neighbor Solicitation / Advertisement (§4.3, §4.4) and Redirect (§4.5).
    pub const NEIGH_FLAGS: usize = 4;
    pub const RESERVED: Field = 4..8;
    pub const TARGET_ADDR: Field = 8..24;
    pub const DEST_ADDR: Field = 24..40;

    // Options (§4.6), offsets within one option.
    pub const OPT_TYPE: usize = 0;
    pub const OPT_LEN: usize = 1;

    // Prefix Information (§4.6.2).
    pub const PI_PREFIX_LEN: usize = 2;
    pub const PI_FLAGS: usize = 3;
    pub const PI_VALID_LT: Field = 4..8;
    pub const PI_PREF_LT: Field = 8..12;
    pub const PI_PREFIX: Field = 16..32;

    // MTU (§4.6.4) and RDNSS (RFC 8106 §5.1): a 32-bit value at 4..8.
    pub const OPT_U32: Field = 4..8;
    // Redirected Header (§4.6.3) and RDNSS: data after 6 or 8 bytes.
    pub const REDIR_DATA: usize = 8;
    pub const RDNSS_ADDRS: usize = 8;
    // DNSSL (RFC 8106 §5.2): the names after the lifetime.
    pub const DNSSL_NAMES: usize = 8;
    // Link-layer address, nonce (RFC 3971 §5.3.2): data after type and length.
    pub const OPT_DATA: usize = 2;
}

pub use super::packet::ndisc_fixed_len as fixed_len;

mod dnssl;
pub use self::dnssl::{encode_name, Dnssl, DomainName, Domains, MAX_LABEL_LEN, MAX_NAME_WIRE_LEN};

/// NDP accessors on the ICMPv6 view. `Icmpv6Packet::check_len` guarantees the
/// fixed part of the packet's own type; a field of another type reads as zero.
impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    /// Cur Hop Limit of a Router Advertisement (RFC 4861 §4.2).
    pub fn current_hop_limit(&self) -> u8 {
        get_u8(self.as_ref(), field::CUR_HOP_LIMIT)
    }

    /// Flags of a Router Advertisement.
    pub fn router_flags(&self) -> RouterFlags {
        RouterFlags::from_bits_retain(get_u8(self.as_ref(), field::ROUTER_FLAGS))
    }

    /// Router Lifetime in seconds (0: not a default router).
    pub fn router_lifetime(&self) -> u16 {
        get_u16(self.as_ref(), field::ROUTER_LT)
    }

    /// Reachable Time in milliseconds (0: unspecified).
    pub fn reachable_time(&self) -> u32 {
        get_u32(self.as_ref(), field::REACHABLE_TM)
    }

    /// Retrans Timer in milliseconds (0: unspecified).
    pub fn retrans_time(&self) -> u32 {
        get_u32(self.as_ref(), field::RETRANS_TM)
    }

    /// Flags of a Neighbor Advertisement (RFC 4861 §4.4).
    pub fn neighbor_flags(&self) -> NeighborFlags {
        NeighborFlags::from_bits_truncate(get_u8(self.as_ref(), field::NEIGH_FLAGS))
    }

    /// Target Address of a Neighbor Solicitation/Advertisement or Redirect.
    pub fn target_addr(&self) -> Ipv6Addr {
        get_addr(self.as_ref(), field::TARGET_ADDR)
    }

    /// Destination Address of a Redirect (RFC 4861 §4.5).
    pub fn dest_addr(&self) -> Ipv6Addr {
        get_addr(self.as_ref(), field::DEST_ADDR)
    }

    /// The options area of an NDP message: the bytes after its fixed part.
    pub fn ndisc_options(&self) -> &[u8] {
        let at = fixed_len(self.msg_type());
        self.as_ref().get(at..).unwrap_or(&[])
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Icmpv6Packet<&'a T> {
    /// [`ndisc_options`](Icmpv6Packet::ndisc_options) with the buffer's lifetime.
    fn ndisc_options_ref(&self) -> &'a [u8] {
        let at = fixed_len(self.msg_type());
        self.bytes().get(at..).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv6Packet<T> {
    /// Sets Cur Hop Limit of a Router Advertisement.
    pub fn set_current_hop_limit(&mut self, value: u8) {
        set_u8(self.as_mut(), field::CUR_HOP_LIMIT, value);
    }

    /// Sets the flags of a Router Advertisement.
    pub fn set_router_flags(&mut self, value: RouterFlags) {
        set_u8(self.as_mut(), field::ROUTER_FLAGS, value.bits());
    }

    /// Sets Router Lifetime (seconds).
    pub fn set_router_lifetime(&mut self, value: u16) {
        set_u16(self.as_mut(), field::ROUTER_LT, value);
    }

    /// Sets Reachable Time (milliseconds).
    pub fn set_reachable_time(&mut self, value: u32) {
        set_u32(self.as_mut(), field::REACHABLE_TM, value);
    }

    /// Sets Retrans Timer (milliseconds).
    pub fn set_retrans_time(&mut self, value: u32) {
        set_u32(self.as_mut(), field::RETRANS_TM, value);
    }

    /// Sets the flags of a Neighbor Advertisement, zeroing the reserved bits.
    pub fn set_neighbor_flags(&mut self, value: NeighborFlags) {
        set_u32(self.as_mut(), field::RESERVED, 0);
        set_u8(self.as_mut(), field::NEIGH_FLAGS, value.bits());
    }

    /// Sets the Target Address.
    pub fn set_target_addr(&mut self, value: &Ipv6Addr) {
        set_addr(self.as_mut(), field::TARGET_ADDR, value);
    }

    /// Sets the Destination Address of a Redirect.
    pub fn set_dest_addr(&mut self, value: &Ipv6Addr) {
        set_addr(self.as_mut(), field::DEST_ADDR, value);
    }

    /// The options area, mutable.
    pub fn ndisc_options_mut(&mut self) -> &mut [u8] {
        let at = fixed_len(self.msg_type());
        self.as_mut().get_mut(at..).unwrap_or(&mut [])
    }
}

/// The Prefix Information option (RFC 4861 §4.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrefixInformation {
    /// Number of leading bits of `prefix` that are valid (0-128; a host
    /// ignores an option with a larger value, RFC 4862 §5.5.3).
    pub prefix_len: u8,
    /// L and A flags.
    pub flags: PrefixInfoFlags,
    /// Seconds the prefix is valid for on-link determination (0xffffffff: infinity).
    pub valid_lifetime: u32,
    /// Seconds addresses generated from the prefix stay preferred.
    pub preferred_lifetime: u32,
    /// The prefix (bits after `prefix_len` are ignored by the receiver).
    pub prefix: Ipv6Addr,
}

/// The Recursive DNS Server option (RFC 8106 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rdnss<'a> {
    /// Seconds the servers may be used (0xffffffff: infinity, 0: stop using).
    pub lifetime: u32,
    /// The servers' addresses, 16 bytes each (the length is a multiple of 16).
    pub addresses: &'a [u8],
}

impl<'a> Rdnss<'a> {
    /// The DNS servers.
    pub fn servers(&self) -> Ipv6AddrIter<'a> {
        Ipv6AddrIter::new(self.addresses)
    }
}

/// One NDP option, decoded in place (zero copy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NdiscOption<'a> {
    /// Source Link-Layer Address of an Ethernet link (RFC 4861 §4.6.1, RFC 2464 §6).
    SourceLinkLayerAddr(EthernetAddress),
    /// Target Link-Layer Address of an Ethernet link.
    TargetLinkLayerAddr(EthernetAddress),
    /// Prefix Information (RFC 4861 §4.6.2).
    PrefixInformation(PrefixInformation),
    /// Redirected Header (RFC 4861 §4.6.3): the start of the redirected
    /// packet (an IPv6 header and data), reserved bytes excluded.
    RedirectedHeader(&'a [u8]),
    /// MTU of the link (RFC 4861 §4.6.4).
    Mtu(u32),
    /// Recursive DNS servers (RFC 8106 §5.1).
    Rdnss(Rdnss<'a>),
    /// DNS search list (RFC 8106 §5.2).
    Dnssl(Dnssl<'a>),
    /// Nonce (RFC 3971 §5.3.2), the bytes after type and length.
    Nonce(&'a [u8]),
    /// Any other option, or a link-layer address option whose length is not
    /// that of an Ethernet address (another link type): the bytes after type
    /// and length.
    Unknown {
        /// The option type.
        kind: u8,
        /// The option bytes after type and length.
        data: &'a [u8],
    },
}

/// The largest option the 8-bit Length field can describe (in bytes).
const MAX_OPTION_LEN: usize = 255 * 8;

impl<'a> NdiscOption<'a> {
    /// Decodes the option at the start of `bytes`, returning it and the rest.
    ///
    /// RFC 4861 §4.6: Length counts 8-byte units including type and length;
    /// 0 is invalid (Malformed, it would loop forever), and a length past the
    /// end of the buffer is Truncated. Options with a length fixed by their
    /// RFC are Malformed when it differs.
    pub fn parse(bytes: &'a [u8]) -> Result<(NdiscOption<'a>, &'a [u8])> {
        if bytes.len() < 2 {
            return Err(Error::Truncated);
        }
        let kind = get_u8(bytes, field::OPT_TYPE);
        let units = get_u8(bytes, field::OPT_LEN);
        if units == 0 {
            return Err(Error::Malformed("ndisc option length"));
        }
        let (opt, rest) = bytes
            .split_at_checked(usize::from(units) * 8)
            .ok_or(Error::Truncated)?;
        let data = opt.get(field::OPT_DATA..).unwrap_or(&[]);
        let option = match NdiscOptionType::from(kind) {
            NdiscOptionType::SourceLinkLayerAddr | NdiscOptionType::TargetLinkLayerAddr
                if units == 1 =>
            {
                let mac = EthernetAddress::from_bytes(data).ok_or(Error::Truncated)?;
                if kind == u8::from(NdiscOptionType::SourceLinkLayerAddr) {
                    NdiscOption::SourceLinkLayerAddr(mac)
                } else {
                    NdiscOption::TargetLinkLayerAddr(mac)
                }
            }
            NdiscOptionType::PrefixInformation => {
                // RFC 4861 §4.6.2: Length 4.
                if units != 4 {
                    return Err(Error::Malformed("prefix information length"));
                }
                NdiscOption::PrefixInformation(PrefixInformation {
                    prefix_len: get_u8(opt, field::PI_PREFIX_LEN),
                    flags: PrefixInfoFlags::from_bits_retain(get_u8(opt, field::PI_FLAGS)),
                    valid_lifetime: get_u32(opt, field::PI_VALID_LT),
                    preferred_lifetime: get_u32(opt, field::PI_PREF_LT),
                    prefix: get_addr(opt, field::PI_PREFIX),
                })
            }
            NdiscOptionType::RedirectedHeader => {
                NdiscOption::RedirectedHeader(opt.get(field::REDIR_DATA..).unwrap_or(&[]))
            }
            NdiscOptionType::Mtu => {
                // RFC 4861 §4.6.4: Length 1.
                if units != 1 {
                    return Err(Error::Malformed("mtu option length"));
                }
                NdiscOption::Mtu(get_u32(opt, field::OPT_U32))
            }
            NdiscOptionType::Rdnss => {
                // RFC 8106 §5.1: at least one address (Length 3), each
                // further address adds 2, so the Length is odd.
                if units < 3 || units.is_multiple_of(2) {
                    return Err(Error::Malformed("rdnss option length"));
                }
                NdiscOption::Rdnss(Rdnss {
                    lifetime: get_u32(opt, field::OPT_U32),
                    addresses: opt.get(field::RDNSS_ADDRS..).unwrap_or(&[]),
                })
            }
            NdiscOptionType::Dnssl => {
                // RFC 8106 §5.2: Length at least 2 (lifetime and one
                // 8-byte unit of names); the names are checked as read.
                if units < 2 {
                    return Err(Error::Malformed("dnssl option length"));
                }
                NdiscOption::Dnssl(Dnssl {
                    lifetime: get_u32(opt, field::OPT_U32),
                    names: opt.get(field::DNSSL_NAMES..).unwrap_or(&[]),
                })
            }
            NdiscOptionType::Nonce => NdiscOption::Nonce(data),
            _ => NdiscOption::Unknown { kind, data },
        };
        Ok((option, rest))
    }

    /// The option type this option is sent with.
    pub fn kind(&self) -> NdiscOptionType {
        match self {
            NdiscOption::SourceLinkLayerAddr(_) => NdiscOptionType::SourceLinkLayerAddr,
            NdiscOption::TargetLinkLayerAddr(_) => NdiscOptionType::TargetLinkLayerAddr,
            NdiscOption::PrefixInformation(_) => NdiscOptionType::PrefixInformation,
            NdiscOption::RedirectedHeader(_) => NdiscOptionType::RedirectedHeader,
            NdiscOption::Mtu(_) => NdiscOptionType::Mtu,
            NdiscOption::Rdnss(_) => NdiscOptionType::Rdnss,
            NdiscOption::Dnssl(_) => NdiscOptionType::Dnssl,
            NdiscOption::Nonce(_) => NdiscOptionType::Nonce,
            NdiscOption::Unknown { kind, .. } => NdiscOptionType::from(*kind),
        }
    }

    /// The fixed bytes before the variable data, and the variable data.
    fn variable(&self) -> (usize, &'a [u8]) {
        match *self {
            NdiscOption::RedirectedHeader(d) => (field::REDIR_DATA, d),
            NdiscOption::Rdnss(r) => (field::RDNSS_ADDRS, r.addresses),
            NdiscOption::Dnssl(d) => (field::DNSSL_NAMES, d.names),
            NdiscOption::Nonce(d) | NdiscOption::Unknown { data: d, .. } => (field::OPT_DATA, d),
            _ => (0, &[]),
        }
    }

    /// The bytes `emit` writes: the content rounded up to 8 bytes (RFC 4861
    /// §4.6), at most 2040 (longer data is cut).
    pub fn buffer_len(&self) -> usize {
        match self {
            NdiscOption::SourceLinkLayerAddr(_)
            | NdiscOption::TargetLinkLayerAddr(_)
            | NdiscOption::Mtu(_) => 8,
            NdiscOption::PrefixInformation(_) => 32,
            _ => {
                let (head, data) = self.variable();
                let len = head.saturating_add(data.len()).min(MAX_OPTION_LEN);
                len.div_ceil(8) * 8
            }
        }
    }

    /// Writes the option at the start of `buf` (which should hold
    /// `buffer_len()` bytes; what does not fit is dropped), padding with zeros.
    pub fn emit(&self, buf: &mut [u8]) {
        let len = self.buffer_len();
        if let Some(b) = buf.get_mut(..len) {
            b.fill(0);
        }
        set_u8(buf, field::OPT_TYPE, self.kind().into());
        // len <= 2040, so len / 8 fits the 8-bit Length field.
        set_u8(
            buf,
            field::OPT_LEN,
            u8::try_from(len / 8).unwrap_or(u8::MAX),
        );
        match *self {
            NdiscOption::SourceLinkLayerAddr(mac) | NdiscOption::TargetLinkLayerAddr(mac) => {
                set_bytes(buf, field::OPT_DATA, mac.as_bytes());
            }
            NdiscOption::PrefixInformation(pi) => {
                set_u8(buf, field::PI_PREFIX_LEN, pi.prefix_len);
                set_u8(buf, field::PI_FLAGS, pi.flags.bits());
                set_u32(buf, field::PI_VALID_LT, pi.valid_lifetime);
                set_u32(buf, field::PI_PREF_LT, pi.preferred_lifetime);
                set_addr(buf, field::PI_PREFIX, &pi.prefix);
            }
            NdiscOption::Mtu(mtu) => set_u32(buf, field::OPT_U32, mtu),
            NdiscOption::Rdnss(r) => {
                set_u32(buf, field::OPT_U32, r.lifetime);
                let n = r.addresses.len() / 16 * 16;
                let data = r.addresses.get(..n).unwrap_or(&[]);
                let fit = data.len().min(MAX_OPTION_LEN - field::RDNSS_ADDRS);
                set_bytes(buf, field::RDNSS_ADDRS, data.get(..fit).unwrap_or(&[]));
            }
            NdiscOption::Dnssl(d) => {
                set_u32(buf, field::OPT_U32, d.lifetime);
                let fit = d.names.len().min(len.saturating_sub(field::DNSSL_NAMES));
                set_bytes(buf, field::DNSSL_NAMES, d.names.get(..fit).unwrap_or(&[]));
            }
            NdiscOption::RedirectedHeader(_)
            | NdiscOption::Nonce(_)
            | NdiscOption::Unknown { .. } => {
                let (head, data) = self.variable();
                let fit = data.len().min(len.saturating_sub(head));
                set_bytes(buf, head, data.get(..fit).unwrap_or(&[]));
            }
        }
    }
}

/// An iterator over the options area of an NDP message.
///
/// Yields `Err` once (and then stops) at the first option that does not
/// parse, so a caller that walks the options sees every error.
#[derive(Debug, Clone)]
pub struct NdiscOptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> NdiscOptionIter<'a> {
    /// Iterates over the options in `options` (an NDP options area).
    pub fn new(options: &'a [u8]) -> Self {
        NdiscOptionIter { rest: options }
    }
}

impl<'a> Iterator for NdiscOptionIter<'a> {
    type Item = Result<NdiscOption<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match NdiscOption::parse(self.rest) {
            Ok((option, rest)) => {
                self.rest = rest;
                Some(Ok(option))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// Walks an options area, failing on the first bad option (RFC 4861 §6.1.1,
/// §6.1.2, §7.1.1, §7.1.2, §8.1: "all included options have a length that is
/// greater than zero").
fn validate_options(options: &[u8]) -> Result<()> {
    NdiscOptionIter::new(options).try_for_each(|o| o.map(|_| ()))
}

/// The first well-formed option `pick` selects (walking stops at a bad one).
fn find_option<'a, R>(options: &'a [u8], pick: impl Fn(NdiscOption<'a>) -> Option<R>) -> Option<R> {
    NdiscOptionIter::new(options)
        .map_while(|o| o.ok())
        .find_map(pick)
}

/// True when `options` holds an option of type `kind` (before any bad option).
fn has_option(options: &[u8], kind: NdiscOptionType) -> bool {
    find_option(options, |o| (o.kind() == kind).then_some(())).is_some()
}

/// A parsed Neighbor Discovery message (RFC 4861 §4).
///
/// `options` is the raw options area; the other optional fields are decoded
/// from it on parse, and appended to it on emit when it lacks them (see the
/// module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NdiscRepr<'a> {
    /// Router Solicitation (RFC 4861 §4.1).
    RouterSolicit {
        /// Source Link-Layer Address option.
        lladdr: Option<EthernetAddress>,
        /// The raw options area.
        options: &'a [u8],
    },
    /// Router Advertisement (RFC 4861 §4.2).
    RouterAdvert {
        /// Cur Hop Limit for outgoing packets (0: unspecified).
        hop_limit: u8,
        /// M, O and other flags.
        flags: RouterFlags,
        /// Seconds this router is a default router for (0: not one).
        router_lifetime: u16,
        /// Milliseconds a neighbor stays reachable (0: unspecified).
        reachable_time: u32,
        /// Milliseconds between retransmitted solicitations (0: unspecified).
        retrans_time: u32,
        /// Source Link-Layer Address option.
        lladdr: Option<EthernetAddress>,
        /// MTU option.
        mtu: Option<u32>,
        /// The raw options area (prefixes and RDNSS: see the iterators).
        options: &'a [u8],
    },
    /// Neighbor Solicitation (RFC 4861 §4.3).
    NeighborSolicit {
        /// The address being resolved.
        target_addr: Ipv6Addr,
        /// Source Link-Layer Address option.
        lladdr: Option<EthernetAddress>,
        /// A 6-byte Nonce option (RFC 7527 §4.1, enhanced DAD).
        nonce: Option<[u8; 6]>,
        /// The raw options area.
        options: &'a [u8],
    },
    /// Neighbor Advertisement (RFC 4861 §4.4).
    NeighborAdvert {
        /// R, S and O flags.
        flags: NeighborFlags,
        /// The address advertised.
        target_addr: Ipv6Addr,
        /// Target Link-Layer Address option.
        lladdr: Option<EthernetAddress>,
        /// The raw options area.
        options: &'a [u8],
    },
    /// Redirect (RFC 4861 §4.5).
    Redirect {
        /// The better first hop.
        target_addr: Ipv6Addr,
        /// The destination being redirected.
        dest_addr: Ipv6Addr,
        /// Target Link-Layer Address option.
        lladdr: Option<EthernetAddress>,
        /// Redirected Header option data (a multiple of 8 bytes on the wire;
        /// shorter data is padded with zeros on emit).
        redirected_hdr: Option<&'a [u8]>,
        /// The raw options area.
        options: &'a [u8],
    },
}

/// `opt` unless `options` already holds an option of its kind.
fn absent<'b>(options: &[u8], opt: Option<NdiscOption<'b>>) -> Option<NdiscOption<'b>> {
    opt.filter(|o| !has_option(options, o.kind()))
}

fn first_slla(options: &[u8]) -> Option<EthernetAddress> {
    find_option(options, |o| match o {
        NdiscOption::SourceLinkLayerAddr(mac) => Some(mac),
        _ => None,
    })
}

fn first_tlla(options: &[u8]) -> Option<EthernetAddress> {
    find_option(options, |o| match o {
        NdiscOption::TargetLinkLayerAddr(mac) => Some(mac),
        _ => None,
    })
}

impl<'a> NdiscRepr<'a> {
    /// Parses an NDP message whose length and checksum the caller has checked
    /// (see `Icmpv6Repr::parse`).
    ///
    /// Checks the receiver rules of RFC 4861 that need only the message:
    /// code 0, no multicast target (§7.1.1, §7.1.2) or Redirect destination
    /// (§8.1), every option well formed (§4.6).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Icmpv6Packet<&'a T>) -> Result<NdiscRepr<'a>> {
        packet.check_len()?;
        let msg_type = packet.msg_type();
        if !msg_type.is_ndisc() {
            return Err(Error::Unsupported("not a neighbor discovery message"));
        }
        if packet.msg_code() != 0 {
            return Err(Error::Malformed("ndisc code"));
        }
        let options = packet.ndisc_options_ref();
        validate_options(options)?;
        match msg_type {
            Icmpv6Message::RouterSolicit => Ok(NdiscRepr::RouterSolicit {
                lladdr: first_slla(options),
                options,
            }),
            Icmpv6Message::RouterAdvert => Ok(NdiscRepr::RouterAdvert {
                hop_limit: packet.current_hop_limit(),
                flags: packet.router_flags(),
                router_lifetime: packet.router_lifetime(),
                reachable_time: packet.reachable_time(),
                retrans_time: packet.retrans_time(),
                lladdr: first_slla(options),
                mtu: find_option(options, |o| match o {
                    NdiscOption::Mtu(m) => Some(m),
                    _ => None,
                }),
                options,
            }),
            Icmpv6Message::NeighborSolicit => {
                let target_addr = packet.target_addr();
                if target_addr.is_multicast() {
                    return Err(Error::Malformed("ndisc target address"));
                }
                // The first Nonce option decides; one that is not 6 bytes
                // (RFC 3971 allows longer) is left in `options` only.
                let nonce = find_option(options, |o| match o {
                    NdiscOption::Nonce(n) => Some(<[u8; 6]>::try_from(n).ok()),
                    _ => None,
                })
                .flatten();
                Ok(NdiscRepr::NeighborSolicit {
                    target_addr,
                    lladdr: first_slla(options),
                    nonce,
                    options,
                })
            }
            Icmpv6Message::NeighborAdvert => {
                let target_addr = packet.target_addr();
                if target_addr.is_multicast() {
                    return Err(Error::Malformed("ndisc target address"));
                }
                Ok(NdiscRepr::NeighborAdvert {
                    flags: packet.neighbor_flags(),
                    target_addr,
                    lladdr: first_tlla(options),
                    options,
                })
            }
            _ => {
                let dest_addr = packet.dest_addr();
                if dest_addr.is_multicast() {
                    return Err(Error::Malformed("redirect destination address"));
                }
                Ok(NdiscRepr::Redirect {
                    target_addr: packet.target_addr(),
                    dest_addr,
                    lladdr: first_tlla(options),
                    redirected_hdr: find_option(options, |o| match o {
                        NdiscOption::RedirectedHeader(h) => Some(h),
                        _ => None,
                    }),
                    options,
                })
            }
        }
    }

    /// The ICMPv6 message type of this message.
    pub fn msg_type(&self) -> Icmpv6Message {
        match self {
            NdiscRepr::RouterSolicit { .. } => Icmpv6Message::RouterSolicit,
            NdiscRepr::RouterAdvert { .. } => Icmpv6Message::RouterAdvert,
            NdiscRepr::NeighborSolicit { .. } => Icmpv6Message::NeighborSolicit,
            NdiscRepr::NeighborAdvert { .. } => Icmpv6Message::NeighborAdvert,
            NdiscRepr::Redirect { .. } => Icmpv6Message::Redirect,
        }
    }

    /// The raw options area.
    pub fn options(&self) -> &'a [u8] {
        match *self {
            NdiscRepr::RouterSolicit { options, .. }
            | NdiscRepr::RouterAdvert { options, .. }
            | NdiscRepr::NeighborSolicit { options, .. }
            | NdiscRepr::NeighborAdvert { options, .. }
            | NdiscRepr::Redirect { options, .. } => options,
        }
    }

    /// Every option of the raw options area.
    pub fn option_iter(&self) -> NdiscOptionIter<'a> {
        NdiscOptionIter::new(self.options())
    }

    /// The Prefix Information options (RFC 4861 §4.6.2) of the raw area.
    pub fn prefix_info(&self) -> impl Iterator<Item = PrefixInformation> + 'a {
        self.option_iter()
            .map_while(|o| o.ok())
            .filter_map(|o| match o {
                NdiscOption::PrefixInformation(p) => Some(p),
                _ => None,
            })
    }

    /// The RDNSS options (RFC 8106 §5.1) of the raw area.
    pub fn rdnss(&self) -> impl Iterator<Item = Rdnss<'a>> + 'a {
        self.option_iter()
            .map_while(|o| o.ok())
            .filter_map(|o| match o {
                NdiscOption::Rdnss(r) => Some(r),
                _ => None,
            })
    }

    /// The DNSSL options (RFC 8106 §5.2) of the raw area.
    pub fn dnssl(&self) -> impl Iterator<Item = Dnssl<'a>> + 'a {
        self.option_iter()
            .map_while(|o| o.ok())
            .filter_map(|o| match o {
                NdiscOption::Dnssl(r) => Some(r),
                _ => None,
            })
    }

    /// The options emit appends after the raw area, in order: the convenience
    /// fields that are set and whose kind the raw area lacks.
    fn extra_options(&self) -> [Option<NdiscOption<'_>>; 2] {
        let options = self.options();
        let add = |opt| absent(options, opt);
        match self {
            NdiscRepr::RouterSolicit { lladdr, .. } => {
                [add(lladdr.map(NdiscOption::SourceLinkLayerAddr)), None]
            }
            NdiscRepr::RouterAdvert { lladdr, mtu, .. } => [
                add(lladdr.map(NdiscOption::SourceLinkLayerAddr)),
                add(mtu.map(NdiscOption::Mtu)),
            ],
            NdiscRepr::NeighborSolicit { lladdr, nonce, .. } => [
                add(lladdr.map(NdiscOption::SourceLinkLayerAddr)),
                add(nonce.as_ref().map(|n| NdiscOption::Nonce(&n[..]))),
            ],
            NdiscRepr::NeighborAdvert { lladdr, .. } => {
                [add(lladdr.map(NdiscOption::TargetLinkLayerAddr)), None]
            }
            NdiscRepr::Redirect {
                lladdr,
                redirected_hdr,
                ..
            } => [
                add(lladdr.map(NdiscOption::TargetLinkLayerAddr)),
                add(redirected_hdr.map(NdiscOption::RedirectedHeader)),
            ],
        }
    }

    /// The length of the whole ICMPv6 message `emit` writes.
    pub fn buffer_len(&self) -> usize {
        let extra: usize = self
            .extra_options()
            .iter()
            .flatten()
            .map(NdiscOption::buffer_len)
            .sum();
        fixed_len(self.msg_type())
            .saturating_add(self.options().len())
            .saturating_add(extra)
    }

    /// Writes the message (type, code 0, body, options) into `packet`, which
    /// should be [`buffer_len`](Self::buffer_len) bytes long. The checksum is
    /// left to the caller (`Icmpv6Repr::emit`, or `fill_checksum`).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Icmpv6Packet<T>) {
        packet.set_msg_type(self.msg_type());
        packet.set_msg_code(0);
        match *self {
            NdiscRepr::RouterSolicit { .. } => packet.clear_reserved(),
            NdiscRepr::RouterAdvert {
                hop_limit,
                flags,
                router_lifetime,
                reachable_time,
                retrans_time,
                ..
            } => {
                packet.set_current_hop_limit(hop_limit);
                packet.set_router_flags(flags);
                packet.set_router_lifetime(router_lifetime);
                packet.set_reachable_time(reachable_time);
                packet.set_retrans_time(retrans_time);
            }
            NdiscRepr::NeighborSolicit { target_addr, .. } => {
                packet.clear_reserved();
                packet.set_target_addr(&target_addr);
            }
            NdiscRepr::NeighborAdvert {
                flags, target_addr, ..
            } => {
                packet.set_neighbor_flags(flags);
                packet.set_target_addr(&target_addr);
            }
            NdiscRepr::Redirect {
                target_addr,
                dest_addr,
                ..
            } => {
                packet.clear_reserved();
                packet.set_target_addr(&target_addr);
                packet.set_dest_addr(&dest_addr);
            }
        }
        let raw = self.options();
        let area = packet.ndisc_options_mut();
        set_bytes(area, 0, raw);
        let mut at = raw.len();
        for opt in self.extra_options().iter().flatten() {
            if let Some(dst) = area.get_mut(at..) {
                opt.emit(dst);
            }
            at = at.saturating_add(opt.buffer_len());
        }
    }
}

#[cfg(test)]
mod tests;
