//! How a DHCPv4 client behaves: its options (RFC 2132) and their limits.

use super::*;

/// The longest client identifier (option 61) [`Dhcpv4Config`] holds.
pub const MAX_CLIENT_ID_LEN: usize = 32;
/// The longest host name (option 12) [`Dhcpv4Config`] holds: one DNS label
/// is at most 63 bytes (RFC 1035 §2.3.4).
pub const MAX_HOSTNAME_LEN: usize = 63;
/// The longest parameter request list (option 55) [`Dhcpv4Config`] holds.
pub const MAX_PARAMETER_REQUEST_LEN: usize = 16;
/// How many events wait in the queue; when full, the oldest is dropped.
pub const EVENT_QUEUE_LEN: usize = 4;

/// The parameter request list sent by default: subnet mask, router, DNS,
/// domain name, lease time, server identifier, T1, T2 (RFC 2132 codes).
pub const DEFAULT_PARAMETER_REQUEST_LIST: [u8; 8] = [1, 3, 6, 15, 51, 54, 58, 59];

/// What the client sends as option 61 (RFC 2132 §9.14).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ClientIdentifier {
    /// Type 1 (Ethernet, RFC 1700 hardware type) followed by the MAC: what
    /// most clients send, so the server keys the lease on the MAC.
    #[default]
    HardwareAddress,
    /// These bytes, type byte first. Fewer than 2 bytes (RFC 2132 §9.14's
    /// minimum length) means no option 61.
    Custom(Vec<u8, MAX_CLIENT_ID_LEN>),
    /// No option 61: the server keys the lease on `chaddr` (RFC 2131 §4.2).
    Omit,
}

/// How a [`Dhcpv4Client`] behaves. `Default` gives the usual client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dhcpv4Config {
    /// Option 61, sent in every message (RFC 2131 Table 5: MAY in all).
    pub client_identifier: ClientIdentifier,
    /// Option 12 in DISCOVER and REQUEST; `None` (or empty) sends none.
    pub hostname: Option<Vec<u8, MAX_HOSTNAME_LEN>>,
    /// A previously held address: the client starts in INIT-REBOOT
    /// (RFC 2131 §3.2, §4.4.2) and asks for it with a broadcast REQUEST. If
    /// nobody answers it falls back to DISCOVER, still suggesting the
    /// address in option 50 (§4.4.1 MAY) until a server NAKs it.
    pub requested_ip: Option<Ipv4Addr>,
    /// Option 55, sent in DISCOVER and REQUEST (RFC 2131 §4.4.1: a list
    /// sent in DISCOVER MUST be in the REQUESTs too); empty sends none.
    pub parameter_request_list: Vec<u8, MAX_PARAMETER_REQUEST_LEN>,
    /// Shortens every lease to at most this. When it applies, T1 and T2 are
    /// derived from the shortened lease (the server's T1/T2 were relative to
    /// its longer one).
    pub max_lease_duration: Option<Duration>,
    /// Ignore DHCPNAK (for networks with a rogue server NAKing everything);
    /// the lease then only ends by expiry.
    pub ignore_naks: bool,
    /// Have the interface probe the offered address with ARP before using
    /// it, announce it after and defend it while leased (RFC 5227 §2.1,
    /// §2.3, §2.4; RFC 2131 §2.2 "SHOULD probe"). Turn off for links
    /// without ARP.
    pub arp_probe: bool,
    /// Set the BROADCAST flag in DISCOVER and in REQUESTs sent without an
    /// address (RFC 2131 §4.1: a client that cannot receive unicast
    /// datagrams before it is configured SHOULD). Off if the interface
    /// accepts UDP port 68 on any destination address.
    pub broadcast_flag: bool,
    /// Option 57 in DISCOVER and REQUEST (RFC 2132 §9.10; at least 576).
    pub max_message_size: Option<u16>,
}

impl Default for Dhcpv4Config {
    fn default() -> Self {
        let mut prl = Vec::new();
        // Cannot fail: 8 codes fit in MAX_PARAMETER_REQUEST_LEN.
        let _ = prl.extend_from_slice(&DEFAULT_PARAMETER_REQUEST_LIST);
        Dhcpv4Config {
            client_identifier: ClientIdentifier::HardwareAddress,
            hostname: None,
            requested_ip: None,
            parameter_request_list: prl,
            max_lease_duration: None,
            ignore_naks: false,
            arp_probe: true,
            broadcast_flag: true,
            max_message_size: None,
        }
    }
}
