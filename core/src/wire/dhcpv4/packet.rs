//! The view over a message: the BOOTP fixed part, the magic cookie, the
//! options area.

use crate::wire::be;

use super::message::{DhcpMessageType, DhcpOpCode, FLAG_BROADCAST};
use super::options::{DhcpOption, DhcpOptions};
use crate::wire::{Error, EthernetAddress, Field, Ipv4Addr, Result};

#[cfg(doc)]
use super::{message::DHCP_MAGIC_COOKIE, DhcpRepr};

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

    pub(super) fn data(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    fn ipv4(&self, f: Field) -> Ipv4Addr {
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
        be::read_u32(&self.data()[field::XID])
    }

    /// Seconds since the client began acquiring or renewing (`secs`).
    pub fn secs(&self) -> u16 {
        be::read_u16(&self.data()[field::SECS])
    }

    /// The whole `flags` field (only the broadcast bit is defined).
    pub fn flags(&self) -> u16 {
        be::read_u16(&self.data()[field::FLAGS])
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
        be::read_u32(&self.data()[field::MAGIC])
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
    pub(super) fn options_area(&self) -> &'a [u8] {
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
        be::write_u32(&mut self.data_mut()[field::XID], value);
    }

    /// Sets the `secs` field.
    pub fn set_secs(&mut self, value: u16) {
        be::write_u16(&mut self.data_mut()[field::SECS], value);
    }

    /// Sets the whole `flags` field.
    pub fn set_flags(&mut self, value: u16) {
        be::write_u16(&mut self.data_mut()[field::FLAGS], value);
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
        be::write_u32(&mut self.data_mut()[field::MAGIC], value);
    }

    /// The options area, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.data_mut()[field::OPTIONS]
    }
}
