//! A sans-IO DHCPv4 client (RFC 2131, options from RFC 2132), with RFC 5227
//! address conflict detection of the offered address.
//!
//! [`Dhcpv4Client`] owns no buffer and no clock. The interface drives it like
//! a socket:
//!
//! - on every poll, [`dispatch`](Dhcpv4Client::dispatch)`(now, f)`: when a
//!   message is due, the client builds it and calls `f` once with a
//!   [`DhcpOutput`]; the interface wraps it in UDP 68 → 67, IPv4 `src` →
//!   `dst` (Ethernet broadcast for 255.255.255.255, the neighbor cache
//!   otherwise). The client's state only advances when `f` returns `Ok`, so
//!   a busy device just delays the message to a later poll;
//! - every DHCP message received on UDP port 68 (whatever its IP destination:
//!   before the client is configured the server may unicast to the offered
//!   address) goes to [`process`](Dhcpv4Client::process);
//! - RFC 5227 is not done here but by the interface's one engine
//!   ([`crate::iface::acd`]), the same that checks static addresses: after
//!   the ACK the client is PROBING and hands the address out once through
//!   [`take_probe`](Dhcpv4Client::take_probe); the interface probes it and
//!   answers with [`probe_done`](Dhcpv4Client::probe_done) or
//!   [`address_conflict`](Dhcpv4Client::address_conflict). The same engine
//!   then defends the leased address (§2.4) once
//!   [`Interface::apply_dhcpv4`](crate::iface::Interface::apply_dhcpv4)
//!   installed it, and reports a lost defence through `address_conflict`;
//! - [`poll_at`](Dhcpv4Client::poll_at) says when to call `dispatch` next;
//! - [`poll_event`](Dhcpv4Client::poll_event) hands out what the interface
//!   must act on: set the address, route and DNS servers on
//!   [`Configured`](Dhcpv4Event::Configured) /
//!   [`Renewed`](Dhcpv4Event::Renewed), remove them on
//!   [`Deconfigured`](Dhcpv4Event::Deconfigured).
//!
//! States (RFC 2131 §4.4, Figure 5), with INIT folded into SELECTING (the
//! first DISCOVER goes out on the first `dispatch`) and two added for
//! RFC 5227: PROBING (between the ACK and BOUND) and the wait after a DECLINE.
//!
//! Randomness (transaction IDs, retransmission jitter) comes
//! from the stack's generator ([`crate::rand`]) seeded by the caller, never
//! from the OS.
//!
//! Deliberate simplifications, each a MAY or a SHOULD of RFC 2131:
//! - the first OFFER that passes the checks is taken (§4.4.1 lets a client
//!   collect several);
//! - no 1–10 s random wait before the first DISCOVER (§4.4.1 SHOULD): an
//!   embedded device wants its address now, and the transaction ID is already
//!   random; the retransmissions are jittered as §4.1 says;
//! - DHCPINFORM, FORCERENEW and option overload are not used.

use heapless::{Deque, Vec};

use crate::rand::Rng;
use crate::time::{Duration, Instant};
use crate::wire::dhcpv4::{DhcpMessageType, DhcpRepr, MAX_DNS_SERVERS};
use crate::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr};

mod client;
mod config;
mod lease;
#[cfg(test)]
mod tests;

pub use self::client::*;
pub use self::config::*;
pub use self::lease::*;
