//! DHCPv4 messages (RFC 2131) and their options (RFC 2132), carried in the
//! BOOTP format (RFC 951, RFC 1542).
//!
//! The view [`DhcpPacket`] covers the 236-byte BOOTP fixed part, the magic
//! cookie and the options area after byte 240. [`DhcpOptions`] walks the
//! options area with bounds checks; [`DhcpRepr`] is the subset of a message a
//! DHCP client or small server acts on.
//!
//! Not handled, on purpose (a small stack does not need them):
//! - option overload (option 52, RFC 2132 §9.3): the option is reported by
//!   [`DhcpOptions`] but options stored in `sname`/`file` are not parsed;
//! - long options split over several instances (RFC 3396): the first instance
//!   of an option is used by [`DhcpRepr::parse`], later ones are ignored.

use byteorder::{ByteOrder, NetworkEndian};

use super::ip::enum_with_unknown;
use super::{Error, EthernetAddress, Ipv4Addr, Result};

enum_with_unknown! {
    /// The BOOTP `op` field (RFC 951 §3): which way the message travels.
    pub enum DhcpOpCode(u8) {
        /// BOOTREQUEST: client to server.
        Request = 1,
        /// BOOTREPLY: server to client.
        Reply = 2,
    }
}

enum_with_unknown! {
    /// The DHCP message type, option 53 (RFC 2132 §9.6).
    pub enum DhcpMessageType(u8) {
        /// DHCPDISCOVER: a client looks for servers.
        Discover = 1,
        /// DHCPOFFER: a server offers an address.
        Offer = 2,
        /// DHCPREQUEST: a client asks for (or renews) an offered address.
        Request = 3,
        /// DHCPDECLINE: the client found the address already in use.
        Decline = 4,
        /// DHCPACK: the server commits the lease.
        Ack = 5,
        /// DHCPNAK: the server refuses the request.
        Nak = 6,
        /// DHCPRELEASE: the client gives the address back.
        Release = 7,
        /// DHCPINFORM: a configured client asks for other parameters only.
        Inform = 8,
    }
}

impl DhcpMessageType {
    /// The BOOTP `op` a message of this type must carry (RFC 2131 §3.1 and
    /// Table 3: client messages are BOOTREQUEST, server messages BOOTREPLY);
    /// `None` for types this crate does not know.
    pub fn opcode(self) -> Option<DhcpOpCode> {
        match self {
            DhcpMessageType::Discover
            | DhcpMessageType::Request
            | DhcpMessageType::Decline
            | DhcpMessageType::Release
            | DhcpMessageType::Inform => Some(DhcpOpCode::Request),
            DhcpMessageType::Offer | DhcpMessageType::Ack | DhcpMessageType::Nak => {
                Some(DhcpOpCode::Reply)
            }
            DhcpMessageType::Unknown(_) => None,
        }
    }
}

/// The DHCP magic cookie, 99.130.83.99 (RFC 2131 §3, RFC 2132 §2).
pub const DHCP_MAGIC_COOKIE: u32 = 0x6382_5363;

/// The smallest BOOTP message a relay agent must accept (RFC 1542 §2.1): `emit`
/// pads to it, because some relays and servers drop shorter ones.
pub const BOOTP_MIN_LEN: usize = 300;

/// The UDP port a DHCP server listens on (RFC 2131 §4.1).
pub const SERVER_PORT: u16 = 67;
/// The UDP port a DHCP client listens on (RFC 2131 §4.1).
pub const CLIENT_PORT: u16 = 68;

/// The broadcast bit of the `flags` field (RFC 2131 §2, Figure 2).
const FLAG_BROADCAST: u16 = 0x8000;

/// The hardware type for Ethernet (RFC 1700 "ARP hardware types").
const HTYPE_ETHERNET: u8 = 1;

mod field {
    use crate::wire::{Field, Rest};

    pub const OP: usize = 0;
    pub const HTYPE: usize = 1;
    pub const HLEN: usize = 2;
    pub const HOPS: usize = 3;
    pub const XID: Field = 4..8;
    pub const SECS: Field = 8..10;
    pub const FLAGS: Field = 10..12;
    pub const CIADDR: Field = 12..16;
    pub const YIADDR: Field = 16..20;
    pub const SIADDR: Field = 20..24;
    pub const GIADDR: Field = 24..28;
    pub const CHADDR: Field = 28..44;
    pub const SNAME: Field = 44..108;
    pub const FILE: Field = 108..236;
    pub const MAGIC: Field = 236..240;
    pub const OPTIONS: Rest = 240..;
}

/// The length of the BOOTP fixed part plus the magic cookie.
pub const HEADER_LEN: usize = field::OPTIONS.start;

/// Option codes (RFC 2132), named once.
mod opt {
    pub const PAD: u8 = 0;
    pub const SUBNET_MASK: u8 = 1;
    pub const ROUTER: u8 = 3;
    pub const DNS: u8 = 6;
    pub const HOST_NAME: u8 = 12;
    pub const DOMAIN_NAME: u8 = 15;
    pub const REQUESTED_IP: u8 = 50;
    pub const LEASE_TIME: u8 = 51;
    pub const OVERLOAD: u8 = 52;
    pub const MESSAGE_TYPE: u8 = 53;
    pub const SERVER_ID: u8 = 54;
    pub const PARAMETER_REQUEST_LIST: u8 = 55;
    pub const MAX_MESSAGE_SIZE: u8 = 57;
    pub const RENEWAL_T1: u8 = 58;
    pub const REBINDING_T2: u8 = 59;
    pub const CLIENT_ID: u8 = 61;
    pub const END: u8 = 255;
}

/// A zero-copy view of a DHCPv4 (BOOTP) message, the UDP payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DhcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> DhcpPacket<T> {
    /// Wraps a buffer without looking at it; accessors may panic until
    /// [`check_len`](Self::check_len) has succeeded.
    pub const fn new_unchecked(buffer: T) -> DhcpPacket<T> {
        DhcpPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<DhcpPacket<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Ensures the fixed part and the magic cookie are present (240 bytes).
    ///
    /// The options area is walked with bounds checks, so no other length
    /// needs validating here. The cookie's value is checked by
    /// [`DhcpRepr::parse`], not here, so a dump tool can still show a BOOTP
    /// message.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    /// Gives back the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn data(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    fn ipv4(&self, f: super::Field) -> Ipv4Addr {
        let b = &self.data()[f];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }

    /// The `op` field: BOOTREQUEST (1) or BOOTREPLY (2); other values are `Unknown`.
    pub fn op(&self) -> DhcpOpCode {
        DhcpOpCode::from(self.data()[field::OP])
    }

    /// The hardware address type (`htype`; 1 is Ethernet).
    pub fn hardware_type(&self) -> u8 {
        self.data()[field::HTYPE]
    }

    /// The hardware address length (`hlen`; 6 for Ethernet).
    pub fn hardware_len(&self) -> u8 {
        self.data()[field::HLEN]
    }

    /// The relay hop count (`hops`).
    pub fn hops(&self) -> u8 {
        self.data()[field::HOPS]
    }

    /// The transaction ID chosen by the client (`xid`).
    pub fn xid(&self) -> u32 {
        NetworkEndian::read_u32(&self.data()[field::XID])
    }

    /// Seconds since the client began acquiring or renewing (`secs`).
    pub fn secs(&self) -> u16 {
        NetworkEndian::read_u16(&self.data()[field::SECS])
    }

    /// The whole `flags` field (only the broadcast bit is defined).
    pub fn flags(&self) -> u16 {
        NetworkEndian::read_u16(&self.data()[field::FLAGS])
    }

    /// True when the client asks for broadcast replies (RFC 2131 §4.1).
    pub fn broadcast(&self) -> bool {
        self.flags() & FLAG_BROADCAST != 0
    }

    /// The client's current address (`ciaddr`).
    pub fn client_ip(&self) -> Ipv4Addr {
        self.ipv4(field::CIADDR)
    }

    /// The address the server gives the client (`yiaddr`).
    pub fn your_ip(&self) -> Ipv4Addr {
        self.ipv4(field::YIADDR)
    }

    /// The next server in the bootstrap (`siaddr`).
    pub fn server_ip(&self) -> Ipv4Addr {
        self.ipv4(field::SIADDR)
    }

    /// The relay agent's address (`giaddr`).
    pub fn relay_agent_ip(&self) -> Ipv4Addr {
        self.ipv4(field::GIADDR)
    }

    /// The whole 16-byte `chaddr` field.
    pub fn chaddr(&self) -> &[u8] {
        &self.data()[field::CHADDR]
    }

    /// The first six bytes of `chaddr`, the client MAC when `htype` is 1 and
    /// `hlen` is 6 (other hardware types are not interpreted).
    pub fn client_hardware_address(&self) -> EthernetAddress {
        let mut mac = [0u8; 6];
        mac.copy_from_slice(&self.data()[field::CHADDR][..6]);
        EthernetAddress(mac)
    }

    /// The 64-byte server host name field (`sname`), NUL padded.
    pub fn sname(&self) -> &[u8] {
        &self.data()[field::SNAME]
    }

    /// The 128-byte boot file name field (`file`), NUL padded.
    pub fn file(&self) -> &[u8] {
        &self.data()[field::FILE]
    }

    /// The four bytes at offset 236, [`DHCP_MAGIC_COOKIE`] in a DHCP message.
    pub fn magic_cookie(&self) -> u32 {
        NetworkEndian::read_u32(&self.data()[field::MAGIC])
    }

    /// The options area (everything after the magic cookie).
    pub fn payload(&self) -> &[u8] {
        &self.data()[field::OPTIONS]
    }

    /// A bounds-checked walk over the options area.
    pub fn options(&self) -> DhcpOptions<'_> {
        DhcpOptions::new(self.payload())
    }

    /// The message type (option 53), found by walking the options; `None`
    /// when absent or when the options before it are malformed. Meant for a
    /// dump tool; [`DhcpRepr::parse`] does the full validation.
    pub fn message_type(&self) -> Option<DhcpMessageType> {
        for option in self.options() {
            match option {
                Ok(DhcpOption::MessageType(t)) => return Some(t),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> DhcpPacket<&'a T> {
    /// The options area, borrowed for the buffer's lifetime (so a
    /// [`DhcpRepr`] can outlive the view).
    fn options_area(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::OPTIONS]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> DhcpPacket<T> {
    fn data_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Sets the `op` field.
    pub fn set_op(&mut self, value: DhcpOpCode) {
        self.data_mut()[field::OP] = value.into();
    }

    /// Sets the hardware address type (`htype`).
    pub fn set_hardware_type(&mut self, value: u8) {
        self.data_mut()[field::HTYPE] = value;
    }

    /// Sets the hardware address length (`hlen`).
    pub fn set_hardware_len(&mut self, value: u8) {
        self.data_mut()[field::HLEN] = value;
    }

    /// Sets the relay hop count.
    pub fn set_hops(&mut self, value: u8) {
        self.data_mut()[field::HOPS] = value;
    }

    /// Sets the transaction ID.
    pub fn set_xid(&mut self, value: u32) {
        NetworkEndian::write_u32(&mut self.data_mut()[field::XID], value);
    }

    /// Sets the `secs` field.
    pub fn set_secs(&mut self, value: u16) {
        NetworkEndian::write_u16(&mut self.data_mut()[field::SECS], value);
    }

    /// Sets the whole `flags` field.
    pub fn set_flags(&mut self, value: u16) {
        NetworkEndian::write_u16(&mut self.data_mut()[field::FLAGS], value);
    }

    /// Sets or clears the broadcast bit, leaving the other flag bits alone.
    pub fn set_broadcast(&mut self, value: bool) {
        let flags = self.flags() & !FLAG_BROADCAST;
        self.set_flags(if value { flags | FLAG_BROADCAST } else { flags });
    }

    /// Sets `ciaddr`.
    pub fn set_client_ip(&mut self, value: Ipv4Addr) {
        self.data_mut()[field::CIADDR].copy_from_slice(&value.octets());
    }

    /// Sets `yiaddr`.
    pub fn set_your_ip(&mut self, value: Ipv4Addr) {
        self.data_mut()[field::YIADDR].copy_from_slice(&value.octets());
    }

    /// Sets `siaddr`.
    pub fn set_server_ip(&mut self, value: Ipv4Addr) {
        self.data_mut()[field::SIADDR].copy_from_slice(&value.octets());
    }

    /// Sets `giaddr`.
    pub fn set_relay_agent_ip(&mut self, value: Ipv4Addr) {
        self.data_mut()[field::GIADDR].copy_from_slice(&value.octets());
    }

    /// Writes a MAC into `chaddr` and zeroes the ten bytes after it.
    pub fn set_client_hardware_address(&mut self, value: EthernetAddress) {
        let chaddr = &mut self.data_mut()[field::CHADDR];
        chaddr.fill(0);
        chaddr[..6].copy_from_slice(value.as_bytes());
    }

    /// The `sname` field, to write a server name (or zero it).
    pub fn sname_mut(&mut self) -> &mut [u8] {
        &mut self.data_mut()[field::SNAME]
    }

    /// The `file` field, to write a boot file name (or zero it).
    pub fn file_mut(&mut self) -> &mut [u8] {
        &mut self.data_mut()[field::FILE]
    }

    /// Sets the four bytes at offset 236 (normally [`DHCP_MAGIC_COOKIE`]).
    pub fn set_magic_cookie(&mut self, value: u32) {
        NetworkEndian::write_u32(&mut self.data_mut()[field::MAGIC], value);
    }

    /// The options area, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.data_mut()[field::OPTIONS]
    }
}

/// A list of IPv4 addresses borrowed from an option (Router, DNS servers):
/// a non-empty multiple of four bytes, checked when the option is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4AddrList<'a> {
    bytes: &'a [u8],
}

impl<'a> Ipv4AddrList<'a> {
    /// The raw bytes, four per address.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The number of addresses.
    pub fn len(&self) -> usize {
        self.bytes.len() / 4
    }

    /// True when there are no addresses (never, for a list read from a packet).
    pub fn is_empty(&self) -> bool {
        self.bytes.len() < 4
    }

    /// The addresses, in order.
    pub fn iter(&self) -> impl Iterator<Item = Ipv4Addr> + 'a {
        self.bytes
            .chunks_exact(4)
            .filter_map(|c| <[u8; 4]>::try_from(c).ok())
            .map(Ipv4Addr::from)
    }

    /// The first address.
    pub fn first(&self) -> Option<Ipv4Addr> {
        self.iter().next()
    }
}

/// One option from the options area (RFC 2132), borrowing its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DhcpOption<'a> {
    /// Pad, code 0: one byte of alignment filler (RFC 2132 §3.1).
    Pad,
    /// End, code 255: the end of the options (RFC 2132 §3.2).
    End,
    /// Subnet mask, code 1 (RFC 2132 §3.3).
    SubnetMask(Ipv4Addr),
    /// Routers, code 3, in order of preference (RFC 2132 §3.5).
    Router(Ipv4AddrList<'a>),
    /// Domain name servers, code 6, in order of preference (RFC 2132 §3.8).
    DomainNameServer(Ipv4AddrList<'a>),
    /// Host name, code 12 (RFC 2132 §3.14); at least one byte.
    HostName(&'a [u8]),
    /// Domain name, code 15 (RFC 2132 §3.17); at least one byte.
    DomainName(&'a [u8]),
    /// Requested IP address, code 50 (RFC 2132 §9.1).
    RequestedIp(Ipv4Addr),
    /// Lease time in seconds, code 51 (RFC 2132 §9.2).
    LeaseTime(u32),
    /// Option overload, code 52 (RFC 2132 §9.3): 1 `file`, 2 `sname`, 3 both
    /// hold more options. Reported only; those fields are not parsed.
    Overload(u8),
    /// DHCP message type, code 53 (RFC 2132 §9.6).
    MessageType(DhcpMessageType),
    /// Server identifier, code 54 (RFC 2132 §9.7).
    ServerIdentifier(Ipv4Addr),
    /// Parameter request list, code 55 (RFC 2132 §9.8): option codes.
    ParameterRequestList(&'a [u8]),
    /// Maximum DHCP message size, code 57 (RFC 2132 §9.10).
    MaxMessageSize(u16),
    /// Renewal (T1) time in seconds, code 58 (RFC 2132 §9.11).
    RenewalT1(u32),
    /// Rebinding (T2) time in seconds, code 59 (RFC 2132 §9.12).
    RebindingT2(u32),
    /// Client identifier, code 61 (RFC 2132 §9.14): type byte and value.
    ClientIdentifier(&'a [u8]),
    /// Any other option, kept as its code and raw data.
    Other {
        /// The option code.
        kind: u8,
        /// The option data (the length byte excluded).
        data: &'a [u8],
    },
}

impl<'a> DhcpOption<'a> {
    /// Decodes one option's data, checking the length RFC 2132 gives it.
    fn decode(kind: u8, data: &'a [u8]) -> Result<DhcpOption<'a>> {
        fn addr(data: &[u8], what: &'static str) -> Result<Ipv4Addr> {
            <[u8; 4]>::try_from(data)
                .map(Ipv4Addr::from)
                .map_err(|_| Error::Malformed(what))
        }
        fn u32_of(data: &[u8], what: &'static str) -> Result<u32> {
            <[u8; 4]>::try_from(data)
                .map(u32::from_be_bytes)
                .map_err(|_| Error::Malformed(what))
        }
        fn list<'d>(data: &'d [u8], what: &'static str) -> Result<Ipv4AddrList<'d>> {
            // RFC 2132 §3.5, §3.8: "minimum length ... is 4 octets, and the
            // length MUST always be a multiple of 4".
            if data.len() < 4 || data.len() % 4 != 0 {
                return Err(Error::Malformed(what));
            }
            Ok(Ipv4AddrList { bytes: data })
        }
        fn at_least<'d>(data: &'d [u8], min: usize, what: &'static str) -> Result<&'d [u8]> {
            if data.len() < min {
                Err(Error::Malformed(what))
            } else {
                Ok(data)
            }
        }
        Ok(match kind {
            opt::SUBNET_MASK => DhcpOption::SubnetMask(addr(data, "subnet mask")?),
            opt::ROUTER => DhcpOption::Router(list(data, "router")?),
            opt::DNS => DhcpOption::DomainNameServer(list(data, "domain name server")?),
            // RFC 2132 §3.14, §3.17: "minimum length ... is 1".
            opt::HOST_NAME => DhcpOption::HostName(at_least(data, 1, "host name")?),
            opt::DOMAIN_NAME => DhcpOption::DomainName(at_least(data, 1, "domain name")?),
            opt::REQUESTED_IP => DhcpOption::RequestedIp(addr(data, "requested ip")?),
            opt::LEASE_TIME => DhcpOption::LeaseTime(u32_of(data, "lease time")?),
            opt::OVERLOAD => match data {
                // RFC 2132 §9.3: length 1, values 1 to 3.
                [v @ 1..=3] => DhcpOption::Overload(*v),
                _ => return Err(Error::Malformed("option overload")),
            },
            opt::MESSAGE_TYPE => match data {
                // RFC 2132 §9.6: length 1.
                [t] => DhcpOption::MessageType(DhcpMessageType::from(*t)),
                _ => return Err(Error::Malformed("dhcp message type")),
            },
            opt::SERVER_ID => DhcpOption::ServerIdentifier(addr(data, "server identifier")?),
            // RFC 2132 §9.8: "minimum length ... is 1".
            opt::PARAMETER_REQUEST_LIST => {
                DhcpOption::ParameterRequestList(at_least(data, 1, "parameter request list")?)
            }
            opt::MAX_MESSAGE_SIZE => match data {
                // RFC 2132 §9.10: length 2. Its "minimum legal value is 576"
                // is not enforced: a bad value only limits what we may send.
                [a, b] => DhcpOption::MaxMessageSize(u16::from_be_bytes([*a, *b])),
                _ => return Err(Error::Malformed("max message size")),
            },
            opt::RENEWAL_T1 => DhcpOption::RenewalT1(u32_of(data, "renewal time")?),
            opt::REBINDING_T2 => DhcpOption::RebindingT2(u32_of(data, "rebinding time")?),
            // RFC 2132 §9.14: "minimum length ... is 2".
            opt::CLIENT_ID => DhcpOption::ClientIdentifier(at_least(data, 2, "client identifier")?),
            kind => DhcpOption::Other { kind, data },
        })
    }
}

/// A bounds-checked iterator over an options area (RFC 2132 §2).
///
/// Yields every option, Pad and End included, and stops after End. An option
/// whose length runs past the area, or an area without End (RFC 2131 §4.1:
/// the options end with the End option), yields [`Error::Truncated`]; a known
/// option with a length RFC 2132 forbids yields [`Error::Malformed`]. After
/// an error the iterator is finished.
#[derive(Debug, Clone)]
pub struct DhcpOptions<'a> {
    rest: &'a [u8],
    done: bool,
}

impl<'a> DhcpOptions<'a> {
    /// Walks `area`, the bytes after the magic cookie.
    pub fn new(area: &'a [u8]) -> DhcpOptions<'a> {
        DhcpOptions {
            rest: area,
            done: false,
        }
    }

    fn step(&mut self) -> Result<DhcpOption<'a>> {
        let (&kind, after_kind) = self.rest.split_first().ok_or(Error::Truncated)?;
        match kind {
            // RFC 2132 §3.1, §3.2: Pad and End are a single byte, no length.
            opt::PAD => {
                self.rest = after_kind;
                Ok(DhcpOption::Pad)
            }
            opt::END => {
                self.rest = after_kind;
                self.done = true;
                Ok(DhcpOption::End)
            }
            _ => {
                let (&len, after_len) = after_kind.split_first().ok_or(Error::Truncated)?;
                let (data, rest) = after_len
                    .split_at_checked(usize::from(len))
                    .ok_or(Error::Truncated)?;
                self.rest = rest;
                DhcpOption::decode(kind, data)
            }
        }
    }
}

impl<'a> Iterator for DhcpOptions<'a> {
    type Item = Result<DhcpOption<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.step();
        if item.is_err() {
            self.done = true;
        }
        Some(item)
    }
}

impl core::iter::FusedIterator for DhcpOptions<'_> {}

/// The DNS servers a [`DhcpRepr`] keeps; more are dropped.
pub const MAX_DNS_SERVERS: usize = 3;

/// The parts of a DHCP message a client (or a small server) acts on.
///
/// Not kept: `hops`, the `flags` bits other than broadcast (RFC 2131 §2:
/// reserved, "MUST be ignored"), the `chaddr` padding, `sname`, `file`, and
/// options other than the ones below. So [`emit`](Self::emit) writes zero
/// hops, zero `sname`/`file`, and only these options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpRepr<'a> {
    /// Option 53. `op` is derived from it.
    pub message_type: DhcpMessageType,
    /// `xid`.
    pub transaction_id: u32,
    /// `secs`.
    pub secs: u16,
    /// `chaddr` (Ethernet only).
    pub client_hardware_address: EthernetAddress,
    /// `ciaddr`.
    pub client_ip: Ipv4Addr,
    /// `yiaddr`.
    pub your_ip: Ipv4Addr,
    /// `siaddr`.
    pub server_ip: Ipv4Addr,
    /// `giaddr`.
    pub relay_agent_ip: Ipv4Addr,
    /// The broadcast bit of `flags`.
    pub broadcast: bool,
    /// Option 50.
    pub requested_ip: Option<Ipv4Addr>,
    /// Option 54.
    pub server_identifier: Option<Ipv4Addr>,
    /// Option 1.
    pub subnet_mask: Option<Ipv4Addr>,
    /// Option 3, the first (preferred) router only.
    pub router: Option<Ipv4Addr>,
    /// Option 6, the first [`MAX_DNS_SERVERS`] servers; empty when absent.
    pub dns_servers: heapless::Vec<Ipv4Addr, MAX_DNS_SERVERS>,
    /// Option 51, seconds.
    pub lease_duration: Option<u32>,
    /// Option 58, seconds.
    pub renew_duration: Option<u32>,
    /// Option 59, seconds.
    pub rebind_duration: Option<u32>,
    /// Option 55, the requested option codes.
    pub parameter_request_list: Option<&'a [u8]>,
    /// Option 61, type byte then identifier.
    pub client_identifier: Option<&'a [u8]>,
    /// Option 12.
    pub host_name: Option<&'a [u8]>,
    /// Option 15.
    pub domain_name: Option<&'a [u8]>,
    /// Option 57.
    pub max_size: Option<u16>,
}

/// Sets `slot` unless an earlier instance of the option already did (the
/// first instance wins; RFC 3396 concatenation is not supported).
fn first<V>(slot: &mut Option<V>, value: V) {
    if slot.is_none() {
        *slot = Some(value);
    }
}

/// The longest data one option can carry; `emit` cuts longer slices.
const MAX_OPTION_DATA: usize = 255;

impl<'a> DhcpRepr<'a> {
    /// Parses and validates a DHCP message.
    ///
    /// Errors: [`Error::Truncated`] for a buffer under 240 bytes or options
    /// running past the end (or without End); [`Error::Unsupported`] for
    /// plain BOOTP (zero cookie, or a cookie but no message type option: RFC
    /// 1497 BOOTP vendor extensions use the same cookie, so such a message is
    /// valid BOOTP rather than broken DHCP), for a hardware type other than
    /// Ethernet and for message types this crate does not know (their `op`
    /// could not be re-derived on emit); [`Error::Malformed`] for another
    /// cookie, an `op` that does not match the message type, or a bad option.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &DhcpPacket<&'a T>) -> Result<DhcpRepr<'a>> {
        packet.check_len()?;
        match packet.magic_cookie() {
            DHCP_MAGIC_COOKIE => {}
            // RFC 951: an unused `vend` area is zero, i.e. plain BOOTP.
            0 => return Err(Error::Unsupported("bootp without dhcp cookie")),
            _ => return Err(Error::Malformed("magic cookie")),
        }
        // RFC 1700: htype 1 is Ethernet, with 6-byte addresses.
        if packet.hardware_type() != HTYPE_ETHERNET || packet.hardware_len() != 6 {
            return Err(Error::Unsupported("hardware type"));
        }

        let mut message_type = None;
        let mut requested_ip = None;
        let mut server_identifier = None;
        let mut subnet_mask = None;
        let mut router = None;
        let mut dns: Option<Ipv4AddrList<'a>> = None;
        let mut lease_duration = None;
        let mut renew_duration = None;
        let mut rebind_duration = None;
        let mut parameter_request_list = None;
        let mut client_identifier = None;
        let mut host_name = None;
        let mut domain_name = None;
        let mut max_size = None;

        for option in DhcpOptions::new(packet.options_area()) {
            match option? {
                DhcpOption::MessageType(t) => first(&mut message_type, t),
                DhcpOption::RequestedIp(a) => first(&mut requested_ip, a),
                DhcpOption::ServerIdentifier(a) => first(&mut server_identifier, a),
                DhcpOption::SubnetMask(a) => first(&mut subnet_mask, a),
                DhcpOption::Router(list) => {
                    if let Some(a) = list.first() {
                        first(&mut router, a)
                    }
                }
                DhcpOption::DomainNameServer(list) => first(&mut dns, list),
                DhcpOption::LeaseTime(s) => first(&mut lease_duration, s),
                DhcpOption::RenewalT1(s) => first(&mut renew_duration, s),
                DhcpOption::RebindingT2(s) => first(&mut rebind_duration, s),
                DhcpOption::ParameterRequestList(b) => first(&mut parameter_request_list, b),
                DhcpOption::ClientIdentifier(b) => first(&mut client_identifier, b),
                DhcpOption::HostName(b) => first(&mut host_name, b),
                DhcpOption::DomainName(b) => first(&mut domain_name, b),
                DhcpOption::MaxMessageSize(n) => first(&mut max_size, n),
                // Overload is not followed (see the module docs); Pad, End
                // and other options carry nothing this Repr keeps.
                DhcpOption::Overload(_)
                | DhcpOption::Pad
                | DhcpOption::End
                | DhcpOption::Other { .. } => {}
            }
        }

        // RFC 2131 §3: every DHCP message carries option 53.
        let message_type =
            message_type.ok_or(Error::Unsupported("bootp without dhcp message type"))?;
        // RFC 2131 §3.1 / Table 3: the op must match the message direction.
        let op = message_type
            .opcode()
            .ok_or(Error::Unsupported("dhcp message type"))?;
        if packet.op() != op {
            return Err(Error::Malformed("op"));
        }

        let mut dns_servers = heapless::Vec::new();
        if let Some(list) = dns {
            for a in list.iter().take(MAX_DNS_SERVERS) {
                // Cannot fail: at most MAX_DNS_SERVERS are taken.
                let _ = dns_servers.push(a);
            }
        }

        Ok(DhcpRepr {
            message_type,
            transaction_id: packet.xid(),
            secs: packet.secs(),
            client_hardware_address: packet.client_hardware_address(),
            client_ip: packet.client_ip(),
            your_ip: packet.your_ip(),
            server_ip: packet.server_ip(),
            relay_agent_ip: packet.relay_agent_ip(),
            broadcast: packet.broadcast(),
            requested_ip,
            server_identifier,
            subnet_mask,
            router,
            dns_servers,
            lease_duration,
            renew_duration,
            rebind_duration,
            parameter_request_list,
            client_identifier,
            host_name,
            domain_name,
            max_size,
        })
    }

    /// The byte-string options, in the order `emit` writes them after the
    /// fixed-size ones. Empty slices are skipped (RFC 2132 gives each of
    /// these a minimum length of at least 1).
    fn byte_options(&self) -> [(u8, Option<&'a [u8]>); 4] {
        [
            (opt::DOMAIN_NAME, self.domain_name),
            (opt::CLIENT_ID, self.client_identifier),
            (opt::HOST_NAME, self.host_name),
            (opt::PARAMETER_REQUEST_LIST, self.parameter_request_list),
        ]
    }

    /// The length of the options `emit` writes, End included.
    fn options_len(&self) -> usize {
        let addr_opts = [
            self.server_identifier,
            self.requested_ip,
            self.subnet_mask,
            self.router,
        ];
        let u32_opts = [
            self.lease_duration,
            self.renew_duration,
            self.rebind_duration,
        ];
        let mut len = 3; // message type
        len += addr_opts.iter().flatten().count() * 6;
        len += u32_opts.iter().flatten().count() * 6;
        if !self.dns_servers.is_empty() {
            len += 2 + 4 * self.dns_servers.len();
        }
        if self.max_size.is_some() {
            len += 4;
        }
        for (_, bytes) in self.byte_options() {
            if let Some(b) = bytes.filter(|b| !b.is_empty()) {
                len += 2 + b.len().min(MAX_OPTION_DATA);
            }
        }
        len + 1 // End
    }

    /// The bytes [`emit`](Self::emit) needs: 240 + options + End, padded to
    /// the BOOTP minimum of [`BOOTP_MIN_LEN`] (RFC 1542 §2.1).
    pub fn buffer_len(&self) -> usize {
        (HEADER_LEN + self.options_len()).max(BOOTP_MIN_LEN)
    }

    /// Writes the message into `packet`, whose buffer should be
    /// [`buffer_len`](Self::buffer_len) bytes (a longer one is zero-padded).
    ///
    /// Options are written in a fixed order: 53, 54, 50, 51, 58, 59, 1, 3, 6,
    /// 15, 61, 57, 12, 55, then End, then Pad (zero) bytes to the end of the
    /// buffer. `op` comes from the message type (an unknown type writes
    /// BOOTREQUEST), `htype`/`hlen` are Ethernet's, `hops`, `sname` and
    /// `file` are zero. Byte strings longer than 255 are cut to 255 (no RFC
    /// 3396 split) and empty ones are left out.
    ///
    /// Returns [`Error::Truncated`] when the buffer is too short.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut DhcpPacket<T>) -> Result<()> {
        if packet.data().len() < HEADER_LEN + self.options_len() {
            return Err(Error::Truncated);
        }
        packet.set_op(self.message_type.opcode().unwrap_or(DhcpOpCode::Request));
        packet.set_hardware_type(HTYPE_ETHERNET);
        packet.set_hardware_len(6);
        packet.set_hops(0);
        packet.set_xid(self.transaction_id);
        packet.set_secs(self.secs);
        packet.set_flags(if self.broadcast { FLAG_BROADCAST } else { 0 });
        packet.set_client_ip(self.client_ip);
        packet.set_your_ip(self.your_ip);
        packet.set_server_ip(self.server_ip);
        packet.set_relay_agent_ip(self.relay_agent_ip);
        packet.set_client_hardware_address(self.client_hardware_address);
        packet.sname_mut().fill(0);
        packet.file_mut().fill(0);
        packet.set_magic_cookie(DHCP_MAGIC_COOKIE);

        let mut w = OptionWriter {
            buf: packet.payload_mut(),
            pos: 0,
        };
        w.put(opt::MESSAGE_TYPE, &[self.message_type.into()])?;
        let addrs = [
            (opt::SERVER_ID, self.server_identifier),
            (opt::REQUESTED_IP, self.requested_ip),
        ];
        for (kind, a) in addrs {
            if let Some(a) = a {
                w.put(kind, &a.octets())?;
            }
        }
        let times = [
            (opt::LEASE_TIME, self.lease_duration),
            (opt::RENEWAL_T1, self.renew_duration),
            (opt::REBINDING_T2, self.rebind_duration),
        ];
        for (kind, t) in times {
            if let Some(t) = t {
                w.put(kind, &t.to_be_bytes())?;
            }
        }
        let addrs = [
            (opt::SUBNET_MASK, self.subnet_mask),
            (opt::ROUTER, self.router),
        ];
        for (kind, a) in addrs {
            if let Some(a) = a {
                w.put(kind, &a.octets())?;
            }
        }
        if !self.dns_servers.is_empty() {
            let mut list = [0u8; 4 * MAX_DNS_SERVERS];
            for (chunk, a) in list.chunks_exact_mut(4).zip(self.dns_servers.iter()) {
                chunk.copy_from_slice(&a.octets());
            }
            let n = 4 * self.dns_servers.len();
            w.put(opt::DNS, list.get(..n).ok_or(Error::Truncated)?)?;
        }
        let [domain, client_id, host, prl] = self.byte_options();
        for (kind, bytes) in [domain, client_id] {
            w.put_bytes(kind, bytes)?;
        }
        if let Some(n) = self.max_size {
            w.put(opt::MAX_MESSAGE_SIZE, &n.to_be_bytes())?;
        }
        for (kind, bytes) in [host, prl] {
            w.put_bytes(kind, bytes)?;
        }
        w.end()
    }
}

/// A bounds-checked cursor over the options area, for `emit`.
struct OptionWriter<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl OptionWriter<'_> {
    /// Writes code, length and data (at most 255 bytes of it).
    fn put(&mut self, kind: u8, data: &[u8]) -> Result<()> {
        let data = data.get(..MAX_OPTION_DATA).unwrap_or(data);
        let len = u8::try_from(data.len()).map_err(|_| Error::Malformed("option length"))?;
        let end = self.pos + 2 + data.len();
        let out = self.buf.get_mut(self.pos..end).ok_or(Error::Truncated)?;
        out[0] = kind;
        out[1] = len;
        out[2..].copy_from_slice(data);
        self.pos = end;
        Ok(())
    }

    /// Writes a byte-string option unless absent or empty.
    fn put_bytes(&mut self, kind: u8, data: Option<&[u8]>) -> Result<()> {
        match data {
            Some(b) if !b.is_empty() => self.put(kind, b),
            _ => Ok(()),
        }
    }

    /// Writes End and pads the rest with zeros (Pad, RFC 2132 §3.1).
    fn end(self) -> Result<()> {
        let rest = self.buf.get_mut(self.pos..).ok_or(Error::Truncated)?;
        let (end, pad) = rest.split_first_mut().ok_or(Error::Truncated)?;
        *end = opt::END;
        pad.fill(opt::PAD);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// DHCPDISCOVER from dhcp-rfc3004.pcap frame 1 (with two Pad bytes after End).
    const DISCOVER_HEX: &str = concat!(
        "0101060006e328640000000000000000000000000000000000000000000c291f",
        "7406000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "000000000000000000000000638253633501013204c0a801043707011c02030f",
        "060c4d25077375626f707431117375626f7074322d3132333435363738390a73",
        "75626f7074332d3132ff0000",
    );
    const DISCOVER_LEN: usize = 300;
    /// DHCPOFFER from dhcp-rfc3004.pcap frame 2 (280 bytes: shorter than the BOOTP minimum).
    const OFFER_HEX: &str = concat!(
        "0201060006e328640000000000000000c0a801040000000000000000000c291f",
        "7406000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "000000000000000000000000638253633501023604c0a8010133040001518001",
        "04ffffff000304c0a801010604c0a801010f04486f6d65ff",
    );
    const OFFER_LEN: usize = 280;
    /// Relayed DHCPREQUEST from dhcp-mud.pcap frame 1 (options 61, 57, 12, 55 and unknown 161, 60, 145).
    const REQUEST_HEX: &str = concat!(
        "01010601068c4847000000003e0cad7b00000000000000003e0cad79b827ebb8",
        "53c8000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "000000000000000000000000638253633501033d0701b827ebb853c8390205c0",
        "a13668747470733a2f2f6d756463746c2e6578616d706c652e636f6d2f2e7765",
        "6c6c2d6b6e6f776e2f6d75642f76312f72617362703130313c2d646863706364",
        "2d362e31312e353a4c696e75782d342e312e31382d76372b3a61726d76376c3a",
        "42434d323730390c0b7261737062657272797069910101371001792103060c0f",
        "1c2a33363a3b646577ff",
    );
    const REQUEST_LEN: usize = 394;
    /// Relayed DHCPACK from dhcp-mud.pcap frame 2 (options 54, 51, 1, 3, 6, 15 and unknown 101).
    const ACK_HEX: &str = concat!(
        "02010601068c4847000000003e0cad7b3e0cad7b3e0cad723e0cad79b827ebb8",
        "53c8000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000006382536335010536043e0cad7233040000025801",
        "04fffffff803043e0cad7906043e0cad720f136f66636f75727365696d726967",
        "68742e636f6d650d4575726f70652f4265726c696eff",
    );
    const ACK_LEN: usize = 310;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn ip(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
        Ipv4Addr::new(a, b, c, d)
    }

    fn parse(bytes: &[u8]) -> Result<DhcpRepr<'_>> {
        DhcpRepr::parse(&DhcpPacket::new_unchecked(bytes))
    }

    /// Emits into a fresh buffer of `buffer_len()` bytes.
    fn emit(repr: &DhcpRepr<'_>) -> Vec<u8> {
        let mut buf = vec![0xa5; repr.buffer_len()];
        repr.emit(&mut DhcpPacket::new_unchecked(&mut buf[..]))
            .unwrap();
        buf
    }

    /// The round trip the fuzz targets check: parse(emit(r)) == r.
    fn assert_round_trip(repr: &DhcpRepr<'_>) {
        let bytes = emit(repr);
        assert!(bytes.len() >= BOOTP_MIN_LEN);
        assert_eq!(&parse(&bytes).unwrap(), repr);
    }

    /// The DISCOVER's fixed part (op 1, Ethernet, cookie) followed by
    /// `options`, for hand-made option areas.
    fn with_options(options: &[u8]) -> Vec<u8> {
        let mut p = hex(DISCOVER_HEX)[..HEADER_LEN].to_vec();
        p.extend_from_slice(options);
        p
    }

    const MAC: EthernetAddress = EthernetAddress([0x00, 0x0c, 0x29, 0x1f, 0x74, 0x06]);
    const PI_MAC: EthernetAddress = EthernetAddress([0xb8, 0x27, 0xeb, 0xb8, 0x53, 0xc8]);

    #[test]
    fn real_discover_every_field() {
        let bytes = hex(DISCOVER_HEX);
        assert_eq!(bytes.len(), DISCOVER_LEN);
        let p = DhcpPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.op(), DhcpOpCode::Request);
        assert_eq!(p.hardware_type(), 1);
        assert_eq!(p.hardware_len(), 6);
        assert_eq!(p.hops(), 0);
        assert_eq!(p.xid(), 0x06e3_2864);
        assert_eq!(p.secs(), 0);
        assert_eq!(p.flags(), 0);
        assert!(!p.broadcast());
        assert_eq!(p.client_ip(), Ipv4Addr::UNSPECIFIED);
        assert_eq!(p.your_ip(), Ipv4Addr::UNSPECIFIED);
        assert_eq!(p.server_ip(), Ipv4Addr::UNSPECIFIED);
        assert_eq!(p.relay_agent_ip(), Ipv4Addr::UNSPECIFIED);
        assert_eq!(p.client_hardware_address(), MAC);
        assert_eq!(&p.chaddr()[6..], &[0u8; 10]);
        assert!(p.sname().iter().all(|&b| b == 0) && p.sname().len() == 64);
        assert!(p.file().iter().all(|&b| b == 0) && p.file().len() == 128);
        assert_eq!(p.magic_cookie(), DHCP_MAGIC_COOKIE);
        assert_eq!(p.message_type(), Some(DhcpMessageType::Discover));

        let user_class = b"\x07subopt1\x11subopt2-123456789\x0asubopt3-12";
        let opts: Vec<_> = p.options().map(|o| o.unwrap()).collect();
        assert_eq!(
            opts,
            vec![
                DhcpOption::MessageType(DhcpMessageType::Discover),
                DhcpOption::RequestedIp(ip(192, 168, 1, 4)),
                DhcpOption::ParameterRequestList(&[1, 28, 2, 3, 15, 6, 12]),
                DhcpOption::Other {
                    kind: 77,
                    data: user_class
                },
                DhcpOption::End,
            ]
        );

        let r = DhcpRepr::parse(&p).unwrap();
        assert_eq!(
            r,
            DhcpRepr {
                message_type: DhcpMessageType::Discover,
                transaction_id: 0x06e3_2864,
                secs: 0,
                client_hardware_address: MAC,
                client_ip: Ipv4Addr::UNSPECIFIED,
                your_ip: Ipv4Addr::UNSPECIFIED,
                server_ip: Ipv4Addr::UNSPECIFIED,
                relay_agent_ip: Ipv4Addr::UNSPECIFIED,
                broadcast: false,
                requested_ip: Some(ip(192, 168, 1, 4)),
                server_identifier: None,
                subnet_mask: None,
                router: None,
                dns_servers: heapless::Vec::new(),
                lease_duration: None,
                renew_duration: None,
                rebind_duration: None,
                parameter_request_list: Some(&[1, 28, 2, 3, 15, 6, 12]),
                client_identifier: None,
                host_name: None,
                domain_name: None,
                max_size: None,
            }
        );
        // Option 77 is not kept, so the emitted DISCOVER is shorter, but
        // still the BOOTP minimum.
        assert_eq!(r.buffer_len(), BOOTP_MIN_LEN);
        assert_round_trip(&r);
    }

    fn offer_repr() -> DhcpRepr<'static> {
        let mut dns = heapless::Vec::new();
        dns.push(ip(192, 168, 1, 1)).unwrap();
        DhcpRepr {
            message_type: DhcpMessageType::Offer,
            transaction_id: 0x06e3_2864,
            secs: 0,
            client_hardware_address: MAC,
            client_ip: Ipv4Addr::UNSPECIFIED,
            your_ip: ip(192, 168, 1, 4),
            server_ip: Ipv4Addr::UNSPECIFIED,
            relay_agent_ip: Ipv4Addr::UNSPECIFIED,
            broadcast: false,
            requested_ip: None,
            server_identifier: Some(ip(192, 168, 1, 1)),
            subnet_mask: Some(ip(255, 255, 255, 0)),
            router: Some(ip(192, 168, 1, 1)),
            dns_servers: dns,
            lease_duration: Some(86400),
            renew_duration: None,
            rebind_duration: None,
            parameter_request_list: None,
            client_identifier: None,
            host_name: None,
            domain_name: Some(b"Home"),
            max_size: None,
        }
    }

    #[test]
    fn real_offer_every_field() {
        let bytes = hex(OFFER_HEX);
        assert_eq!(bytes.len(), OFFER_LEN);
        let p = DhcpPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.op(), DhcpOpCode::Reply);
        assert_eq!(p.xid(), 0x06e3_2864);
        assert_eq!(p.your_ip(), ip(192, 168, 1, 4));
        assert_eq!(p.client_hardware_address(), MAC);
        assert_eq!(p.message_type(), Some(DhcpMessageType::Offer));
        let router = p
            .options()
            .find_map(|o| match o.unwrap() {
                DhcpOption::Router(list) => Some(list),
                _ => None,
            })
            .unwrap();
        assert_eq!(router.len(), 1);
        assert!(!router.is_empty());
        assert_eq!(router.as_bytes(), &[192, 168, 1, 1]);
        assert_eq!(router.first(), Some(ip(192, 168, 1, 1)));
        assert_eq!(DhcpRepr::parse(&p).unwrap(), offer_repr());
    }

    #[test]
    fn emit_offer_gives_the_captured_bytes_padded_to_300() {
        // The emit order (53, 54, 51, 1, 3, 6, 15) is the one this server
        // used, so the only difference is RFC 1542 padding to 300 bytes.
        let repr = offer_repr();
        assert_eq!(repr.buffer_len(), BOOTP_MIN_LEN);
        let mut expected = hex(OFFER_HEX);
        expected.resize(BOOTP_MIN_LEN, 0);
        assert_eq!(emit(&repr), expected);
        assert_round_trip(&repr);
    }

    #[test]
    fn real_relayed_request_every_field() {
        let bytes = hex(REQUEST_HEX);
        assert_eq!(bytes.len(), REQUEST_LEN);
        let p = DhcpPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.op(), DhcpOpCode::Request);
        assert_eq!(p.hops(), 1);
        assert_eq!(p.xid(), 0x068c_4847);
        assert_eq!(p.client_ip(), ip(62, 12, 173, 123));
        assert_eq!(p.relay_agent_ip(), ip(62, 12, 173, 121));
        let kinds: Vec<u8> = p
            .options()
            .map(|o| match o.unwrap() {
                DhcpOption::MessageType(_) => 53,
                DhcpOption::ClientIdentifier(_) => 61,
                DhcpOption::MaxMessageSize(_) => 57,
                DhcpOption::HostName(_) => 12,
                DhcpOption::ParameterRequestList(_) => 55,
                DhcpOption::Other { kind, .. } => kind,
                DhcpOption::End => 255,
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(kinds, vec![53, 61, 57, 161, 60, 12, 145, 55, 255]);

        let r = DhcpRepr::parse(&p).unwrap();
        assert_eq!(r.message_type, DhcpMessageType::Request);
        assert_eq!(r.transaction_id, 0x068c_4847);
        assert_eq!(r.secs, 0);
        assert_eq!(r.client_hardware_address, PI_MAC);
        assert_eq!(r.client_ip, ip(62, 12, 173, 123));
        assert_eq!(r.your_ip, Ipv4Addr::UNSPECIFIED);
        assert_eq!(r.server_ip, Ipv4Addr::UNSPECIFIED);
        assert_eq!(r.relay_agent_ip, ip(62, 12, 173, 121));
        assert!(!r.broadcast);
        assert_eq!(r.requested_ip, None);
        assert_eq!(r.server_identifier, None);
        assert_eq!(r.subnet_mask, None);
        assert_eq!(r.router, None);
        assert!(r.dns_servers.is_empty());
        assert_eq!(r.lease_duration, None);
        assert_eq!(r.renew_duration, None);
        assert_eq!(r.rebind_duration, None);
        assert_eq!(
            r.parameter_request_list,
            Some(&[1, 121, 33, 3, 6, 12, 15, 28, 42, 51, 54, 58, 59, 100, 101, 119][..])
        );
        assert_eq!(
            r.client_identifier,
            Some(&[1, 0xb8, 0x27, 0xeb, 0xb8, 0x53, 0xc8][..])
        );
        assert_eq!(r.host_name, Some(&b"raspberrypi"[..]));
        assert_eq!(r.domain_name, None);
        assert_eq!(r.max_size, Some(1472));
        assert_round_trip(&r);
    }

    #[test]
    fn real_relayed_ack_every_field() {
        let bytes = hex(ACK_HEX);
        assert_eq!(bytes.len(), ACK_LEN);
        let p = DhcpPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.op(), DhcpOpCode::Reply);
        assert_eq!(p.hops(), 1);
        assert_eq!(p.message_type(), Some(DhcpMessageType::Ack));
        let r = DhcpRepr::parse(&p).unwrap();
        assert_eq!(r.message_type, DhcpMessageType::Ack);
        assert_eq!(r.transaction_id, 0x068c_4847);
        assert_eq!(r.client_hardware_address, PI_MAC);
        assert_eq!(r.client_ip, ip(62, 12, 173, 123));
        assert_eq!(r.your_ip, ip(62, 12, 173, 123));
        assert_eq!(r.server_ip, ip(62, 12, 173, 114));
        assert_eq!(r.relay_agent_ip, ip(62, 12, 173, 121));
        assert!(!r.broadcast);
        assert_eq!(r.server_identifier, Some(ip(62, 12, 173, 114)));
        assert_eq!(r.lease_duration, Some(600));
        assert_eq!(r.subnet_mask, Some(ip(255, 255, 255, 248)));
        assert_eq!(r.router, Some(ip(62, 12, 173, 121)));
        assert_eq!(&r.dns_servers[..], &[ip(62, 12, 173, 114)]);
        assert_eq!(r.domain_name, Some(&b"ofcourseimright.com"[..]));
        assert_eq!(r.requested_ip, None);
        assert_eq!(r.renew_duration, None);
        assert_eq!(r.rebind_duration, None);
        assert_eq!(r.parameter_request_list, None);
        assert_eq!(r.client_identifier, None);
        assert_eq!(r.host_name, None);
        assert_eq!(r.max_size, None);
        assert_round_trip(&r);
    }

    fn all_real() -> [Vec<u8>; 4] {
        [
            hex(DISCOVER_HEX),
            hex(OFFER_HEX),
            hex(REQUEST_HEX),
            hex(ACK_HEX),
        ]
    }

    /// Where the End option of a real packet is (the first 255 reached by
    /// walking the options).
    fn end_offset(bytes: &[u8]) -> usize {
        let mut i = HEADER_LEN;
        loop {
            match bytes[i] {
                0 => i += 1,
                255 => return i,
                _ => i += 2 + usize::from(bytes[i + 1]),
            }
        }
    }

    #[test]
    fn every_truncation_is_truncated() {
        for bytes in all_real() {
            let end = end_offset(&bytes);
            for len in 0..bytes.len() {
                let prefix = &bytes[..len];
                if len < HEADER_LEN {
                    assert_eq!(
                        DhcpPacket::new_checked(prefix).err(),
                        Some(Error::Truncated)
                    );
                }
                if len <= end {
                    // Cut before End: the header, an option or the
                    // terminator is missing.
                    assert_eq!(parse(prefix), Err(Error::Truncated), "len {len}");
                } else {
                    // Only Pad bytes after End were cut.
                    assert_eq!(parse(prefix), parse(&bytes));
                }
            }
        }
    }

    #[test]
    fn cookie_and_header_errors() {
        let good = hex(DISCOVER_HEX);

        let mut bootp = good.clone();
        bootp[236..240].fill(0);
        assert_eq!(
            parse(&bootp),
            Err(Error::Unsupported("bootp without dhcp cookie"))
        );
        let mut wrong = good.clone();
        wrong[239] = 0x64;
        assert_eq!(parse(&wrong), Err(Error::Malformed("magic cookie")));

        let mut htype = good.clone();
        htype[1] = 6; // IEEE 802
        assert_eq!(parse(&htype), Err(Error::Unsupported("hardware type")));
        let mut hlen = good.clone();
        hlen[2] = 16;
        assert_eq!(parse(&hlen), Err(Error::Unsupported("hardware type")));

        // A DISCOVER sent as BOOTREPLY, and an op that is neither.
        for op in [2, 0, 3, 255] {
            let mut bad = good.clone();
            bad[0] = op;
            assert_eq!(parse(&bad), Err(Error::Malformed("op")), "op {op}");
        }
        let mut reply = hex(OFFER_HEX);
        reply[0] = 1;
        assert_eq!(parse(&reply), Err(Error::Malformed("op")));
    }

    #[test]
    fn message_type_missing_or_unknown() {
        // RFC 1497 BOOTP: the cookie but no option 53.
        let bootp = with_options(&[1, 4, 255, 255, 255, 0, 255]);
        let p = DhcpPacket::new_checked(&bootp[..]).unwrap();
        assert_eq!(p.message_type(), None);
        assert_eq!(
            DhcpRepr::parse(&p),
            Err(Error::Unsupported("bootp without dhcp message type"))
        );
        // DHCPLEASEQUERY (RFC 4388, type 10): the view reports it, the
        // Repr does not take it.
        let lq = with_options(&[53, 1, 10, 255]);
        let p = DhcpPacket::new_checked(&lq[..]).unwrap();
        assert_eq!(p.message_type(), Some(DhcpMessageType::Unknown(10)));
        assert_eq!(
            DhcpRepr::parse(&p),
            Err(Error::Unsupported("dhcp message type"))
        );
        // Options broken before 53: the dump accessor gives up.
        let broken = with_options(&[1, 3, 0, 0, 0, 53, 1, 1, 255]);
        let p = DhcpPacket::new_checked(&broken[..]).unwrap();
        assert_eq!(p.message_type(), None);
    }

    #[test]
    fn bad_option_lengths() {
        let cases: &[(&[u8], Error)] = &[
            (&[1, 3, 255, 255, 255], Error::Malformed("subnet mask")),
            (&[3, 0], Error::Malformed("router")),
            (&[3, 6, 1, 2, 3, 4, 5, 6], Error::Malformed("router")),
            (&[6, 3, 1, 2, 3], Error::Malformed("domain name server")),
            (&[12, 0], Error::Malformed("host name")),
            (&[15, 0], Error::Malformed("domain name")),
            (&[50, 5, 1, 2, 3, 4, 5], Error::Malformed("requested ip")),
            (&[51, 2, 0, 1], Error::Malformed("lease time")),
            (&[52, 1, 4], Error::Malformed("option overload")),
            (&[52, 2, 1, 1], Error::Malformed("option overload")),
            (&[53, 2, 1, 1], Error::Malformed("dhcp message type")),
            (&[53, 0], Error::Malformed("dhcp message type")),
            (&[54, 3, 1, 2, 3], Error::Malformed("server identifier")),
            (&[55, 0], Error::Malformed("parameter request list")),
            (&[57, 4, 0, 0, 5, 192], Error::Malformed("max message size")),
            (
                &[58, 8, 0, 0, 0, 0, 0, 0, 0, 0],
                Error::Malformed("renewal time"),
            ),
            (&[59, 1, 0], Error::Malformed("rebinding time")),
            (&[61, 1, 1], Error::Malformed("client identifier")),
            // Lengths running past the area, or no End at all.
            (&[53, 1, 1, 99, 10, 1, 2], Error::Truncated),
            (&[53, 1, 1, 99], Error::Truncated),
            (&[53, 1], Error::Truncated),
            (&[53, 1, 1], Error::Truncated),
            (&[53, 1, 1, 0, 0], Error::Truncated),
            (&[], Error::Truncated),
        ];
        for (options, err) in cases {
            // After a good message type, so the option itself is at fault.
            let mut opts = vec![53, 1, 1];
            opts.extend_from_slice(options);
            if !matches!(err, Error::Truncated) {
                opts.push(255);
            }
            let bytes = with_options(&opts);
            assert_eq!(parse(&bytes), Err(*err), "options {options:?}");
            // The iterator yields the error last, then stops.
            let mut it = DhcpOptions::new(&bytes[HEADER_LEN..]);
            let last = it.by_ref().find(|o| o.is_err());
            assert_eq!(last, Some(Err(*err)));
            assert_eq!(it.next(), None);
        }
    }

    #[test]
    fn option_iterator_pad_end_overload_and_trailing_bytes() {
        // Pad is reported, Overload is reported, bytes after End are ignored
        // (even if they would be malformed options).
        let area = [0, 0, 53, 1, 5, 52, 1, 3, 255, 1, 9];
        let got: Vec<_> = DhcpOptions::new(&area).collect();
        assert_eq!(
            got,
            vec![
                Ok(DhcpOption::Pad),
                Ok(DhcpOption::Pad),
                Ok(DhcpOption::MessageType(DhcpMessageType::Ack)),
                Ok(DhcpOption::Overload(3)),
                Ok(DhcpOption::End),
            ]
        );
        let mut reply = with_options(&area);
        reply[0] = 2;
        let r = parse(&reply).unwrap();
        assert_eq!(r.message_type, DhcpMessageType::Ack);
        assert_round_trip(&r);
    }

    #[test]
    fn repr_keeps_three_dns_first_router_and_first_instance() {
        let mut opts = vec![53, 1, 2];
        opts.extend_from_slice(&[6, 20]);
        for i in 1..=5u8 {
            opts.extend_from_slice(&[10, 0, 0, i]);
        }
        opts.extend_from_slice(&[3, 8, 10, 0, 0, 254, 10, 0, 0, 253]);
        // Second instances of options lose (no RFC 3396 concatenation).
        opts.extend_from_slice(&[3, 4, 10, 9, 9, 9, 6, 4, 10, 8, 8, 8]);
        opts.extend_from_slice(&[51, 4, 0, 0, 0, 60, 51, 4, 0, 0, 0, 99]);
        opts.extend_from_slice(&[58, 4, 0, 0, 0, 30, 59, 4, 0, 0, 0, 52]);
        opts.extend_from_slice(&[53, 1, 6]);
        opts.push(255);
        let mut bytes = with_options(&opts);
        bytes[0] = 2;
        let r = parse(&bytes).unwrap();
        assert_eq!(r.message_type, DhcpMessageType::Offer);
        assert_eq!(
            &r.dns_servers[..],
            &[ip(10, 0, 0, 1), ip(10, 0, 0, 2), ip(10, 0, 0, 3)]
        );
        assert_eq!(r.router, Some(ip(10, 0, 0, 254)));
        assert_eq!(r.lease_duration, Some(60));
        assert_eq!(r.renew_duration, Some(30));
        assert_eq!(r.rebind_duration, Some(52));
        assert_round_trip(&r);
        // What the Repr holds is what is emitted.
        let out = emit(&r);
        let dns = DhcpPacket::new_checked(&out[..])
            .unwrap()
            .options()
            .find_map(|o| match o.unwrap() {
                DhcpOption::DomainNameServer(l) => Some(l.iter().count()),
                _ => None,
            });
        assert_eq!(dns, Some(3));
    }

    #[test]
    fn broadcast_flag_and_reserved_bits() {
        let mut bytes = hex(DISCOVER_HEX);
        bytes[10] = 0xff; // broadcast plus reserved bits, which are ignored
        bytes[11] = 0x01;
        let r = parse(&bytes).unwrap();
        assert!(r.broadcast);
        let out = emit(&r);
        let p = DhcpPacket::new_checked(&out[..]).unwrap();
        assert_eq!(p.flags(), 0x8000);
        assert_round_trip(&r);

        let mut buf = [0u8; 300];
        let mut p = DhcpPacket::new_checked(&mut buf[..]).unwrap();
        p.set_flags(0x0001);
        p.set_broadcast(true);
        assert_eq!(p.flags(), 0x8001);
        p.set_broadcast(false);
        assert_eq!(p.flags(), 0x0001);
    }

    #[test]
    fn setters_write_the_fields() {
        let mut buf = [0xffu8; 244];
        let mut p = DhcpPacket::new_checked(&mut buf[..]).unwrap();
        p.set_op(DhcpOpCode::Reply);
        p.set_hardware_type(1);
        p.set_hardware_len(6);
        p.set_hops(3);
        p.set_xid(0x0102_0304);
        p.set_secs(7);
        p.set_flags(0);
        p.set_client_ip(ip(1, 1, 1, 1));
        p.set_your_ip(ip(2, 2, 2, 2));
        p.set_server_ip(ip(3, 3, 3, 3));
        p.set_relay_agent_ip(ip(4, 4, 4, 4));
        p.set_client_hardware_address(MAC);
        p.sname_mut().fill(0);
        p.file_mut().fill(0);
        p.set_magic_cookie(DHCP_MAGIC_COOKIE);
        p.payload_mut().copy_from_slice(&[53, 1, 2, 255]);
        assert_eq!(p.op(), DhcpOpCode::Reply);
        assert_eq!(p.hops(), 3);
        assert_eq!(p.xid(), 0x0102_0304);
        assert_eq!(p.secs(), 7);
        assert_eq!(p.client_ip(), ip(1, 1, 1, 1));
        assert_eq!(p.your_ip(), ip(2, 2, 2, 2));
        assert_eq!(p.server_ip(), ip(3, 3, 3, 3));
        assert_eq!(p.relay_agent_ip(), ip(4, 4, 4, 4));
        assert_eq!(&p.chaddr()[..6], MAC.as_bytes());
        assert_eq!(&p.chaddr()[6..], &[0u8; 10]);
        assert_eq!(p.payload(), &[53, 1, 2, 255]);
        assert_eq!(p.message_type(), Some(DhcpMessageType::Offer));
        let r = DhcpRepr::parse(&DhcpPacket::new_unchecked(&p.into_inner()[..])).unwrap();
        assert_eq!(r.transaction_id, 0x0102_0304);
    }

    #[test]
    fn emit_edge_cases() {
        // A buffer too short for the options.
        let r = offer_repr();
        let mut small = [0u8; 260];
        assert_eq!(
            r.emit(&mut DhcpPacket::new_unchecked(&mut small[..])),
            Err(Error::Truncated)
        );
        let mut tiny = [0u8; 10];
        assert_eq!(
            r.emit(&mut DhcpPacket::new_unchecked(&mut tiny[..])),
            Err(Error::Truncated)
        );
        // A longer buffer is padded with zeros after End.
        let mut big = vec![0xa5u8; 400];
        r.emit(&mut DhcpPacket::new_unchecked(&mut big[..]))
            .unwrap();
        assert_eq!(&big[..300], &emit(&r)[..]);
        assert!(big[300..].iter().all(|&b| b == 0));

        // Every option at once, long strings cut to 255, empty ones dropped.
        let long = [b'x'; 300];
        let mut all = offer_repr();
        all.message_type = DhcpMessageType::Request;
        all.requested_ip = Some(ip(9, 9, 9, 9));
        all.renew_duration = Some(1);
        all.rebind_duration = Some(2);
        all.dns_servers.push(ip(8, 8, 8, 8)).unwrap();
        all.dns_servers.push(ip(8, 8, 4, 4)).unwrap();
        all.parameter_request_list = Some(&[1, 3, 6]);
        all.client_identifier = Some(&[1, 2, 3]);
        all.host_name = Some(&long);
        all.domain_name = Some(&[]);
        all.max_size = Some(1500);
        let out = emit(&all);
        assert_eq!(out.len(), all.buffer_len());
        let back = parse(&out).unwrap();
        assert_eq!(back.host_name, Some(&long[..255]));
        assert_eq!(back.domain_name, None);
        let mut expected = all.clone();
        expected.host_name = Some(&long[..255]);
        expected.domain_name = None;
        assert_eq!(back, expected);
        assert_round_trip(&back);
        let kinds: Vec<u8> = DhcpOptions::new(&out[HEADER_LEN..])
            .filter_map(|o| match o.unwrap() {
                DhcpOption::Pad => None,
                DhcpOption::End => Some(255),
                DhcpOption::MessageType(_) => Some(53),
                DhcpOption::ServerIdentifier(_) => Some(54),
                DhcpOption::RequestedIp(_) => Some(50),
                DhcpOption::LeaseTime(_) => Some(51),
                DhcpOption::RenewalT1(_) => Some(58),
                DhcpOption::RebindingT2(_) => Some(59),
                DhcpOption::SubnetMask(_) => Some(1),
                DhcpOption::Router(_) => Some(3),
                DhcpOption::DomainNameServer(_) => Some(6),
                DhcpOption::ClientIdentifier(_) => Some(61),
                DhcpOption::MaxMessageSize(_) => Some(57),
                DhcpOption::HostName(_) => Some(12),
                DhcpOption::ParameterRequestList(_) => Some(55),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            vec![53, 54, 50, 51, 58, 59, 1, 3, 6, 61, 57, 12, 55, 255]
        );
    }

    #[test]
    fn enums_round_trip() {
        for v in 0..=255u8 {
            assert_eq!(u8::from(DhcpMessageType::from(v)), v);
            assert_eq!(u8::from(DhcpOpCode::from(v)), v);
        }
        assert_eq!(DhcpMessageType::from(8), DhcpMessageType::Inform);
        assert_eq!(DhcpMessageType::Nak.opcode(), Some(DhcpOpCode::Reply));
        assert_eq!(DhcpMessageType::Decline.opcode(), Some(DhcpOpCode::Request));
        assert_eq!(DhcpMessageType::Unknown(13).opcode(), None);
    }

    /// Ok or Err, never a panic; when Ok, the round trip holds.
    fn check_no_panic(bytes: &[u8]) {
        if let Ok(p) = DhcpPacket::new_checked(bytes) {
            let _ = (p.op(), p.xid(), p.flags(), p.chaddr(), p.sname(), p.file());
            let _ = p.message_type();
            for _ in p.options() {}
        }
        if let Ok(r) = parse(bytes) {
            assert_round_trip(&r);
        }
    }

    #[test]
    fn never_panics_on_prefixes_and_mutations() {
        for bytes in all_real() {
            for len in 0..=bytes.len() {
                check_no_panic(&bytes[..len]);
            }
            for i in 0..bytes.len() {
                for m in [0x00, 0xff, 0x01, 0x80] {
                    let mut b = bytes.clone();
                    b[i] = if m == 0x00 { 0 } else { b[i] ^ m };
                    check_no_panic(&b);
                }
            }
        }
    }
}
