//! What every DHCP message carries before any view of it: the BOOTP op code,
//! the message type (option 53), the magic cookie, the ports and the sizes.

use crate::wire::ip::enum_with_unknown;

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
pub(super) const FLAG_BROADCAST: u16 = 0x8000;

/// The hardware type for Ethernet (RFC 1700 "ARP hardware types").
pub(super) const HTYPE_ETHERNET: u8 = 1;
