//! The options area (RFC 2132): option codes, the bounds-checked walk that
//! reads it, and the cursor that writes it.

use super::message::DhcpMessageType;
use crate::wire::{Error, Ipv4Addr, Result};

/// Option codes (RFC 2132), named once.
pub(super) mod opt {
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
            if data.len() < 4 || !data.len().is_multiple_of(4) {
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

/// The longest data one option can carry; `emit` cuts longer slices.
pub(super) const MAX_OPTION_DATA: usize = 255;

/// A bounds-checked cursor over the options area, for `emit`.
pub(super) struct OptionWriter<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> OptionWriter<'b> {
    /// A writer at the start of `buf`, the options area.
    pub(super) fn new(buf: &'b mut [u8]) -> Self {
        OptionWriter { buf, pos: 0 }
    }

    /// Writes code, length and data (at most 255 bytes of it).
    pub(super) fn put(&mut self, kind: u8, data: &[u8]) -> Result<()> {
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
    pub(super) fn put_bytes(&mut self, kind: u8, data: Option<&[u8]>) -> Result<()> {
        match data {
            Some(b) if !b.is_empty() => self.put(kind, b),
            _ => Ok(()),
        }
    }

    /// Writes End and pads the rest with zeros (Pad, RFC 2132 §3.1).
    pub(super) fn end(self) -> Result<()> {
        let rest = self.buf.get_mut(self.pos..).ok_or(Error::Truncated)?;
        let (end, pad) = rest.split_first_mut().ok_or(Error::Truncated)?;
        *end = opt::END;
        pad.fill(opt::PAD);
        Ok(())
    }
}
