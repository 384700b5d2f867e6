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
//!
//! From the bottom up: `message.rs` (op code, message type, cookie, ports),
//! `options.rs` (the options area read and written), `packet.rs` (the view),
//! `repr.rs` (parse and emit).

mod message;
mod options;
mod packet;
mod repr;
#[cfg(test)]
mod tests;

pub use self::message::{
    DhcpMessageType, DhcpOpCode, BOOTP_MIN_LEN, CLIENT_PORT, DHCP_MAGIC_COOKIE, SERVER_PORT,
};
pub use self::options::{DhcpOption, DhcpOptions, Ipv4AddrList};
pub use self::packet::{DhcpPacket, HEADER_LEN};
pub use self::repr::{DhcpRepr, MAX_DNS_SERVERS};
