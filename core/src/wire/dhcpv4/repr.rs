//! The parts of a message a client acts on: parse and emit.

use super::message::{
    DhcpMessageType, DhcpOpCode, BOOTP_MIN_LEN, DHCP_MAGIC_COOKIE, FLAG_BROADCAST, HTYPE_ETHERNET,
};
use super::options::{opt, DhcpOption, DhcpOptions, Ipv4AddrList, OptionWriter, MAX_OPTION_DATA};
use super::packet::{DhcpPacket, HEADER_LEN};
use crate::wire::{Error, EthernetAddress, Ipv4Addr, Result};

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

        let mut w = OptionWriter::new(packet.payload_mut());
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
