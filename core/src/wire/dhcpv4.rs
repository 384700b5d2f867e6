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

    /// The raw `op` byte (1 request, 2 reply).
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
