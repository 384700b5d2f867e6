//! ICMPv6 (RFC 4443) and the messages carried in it: Neighbor Discovery
//! (RFC 4861, [`ndp`]) and Multicast Listener Discovery (RFC 2710, RFC 3810,
//! [`mld`]).
//!
//! The view [`Icmpv6Packet`] covers the whole ICMPv6 message (the IPv6
//! payload). NDP and MLD share its header; [`ndp`] and [`mld`] add their
//! type-specific accessors to it and hold their own representations, and
//! [`Icmpv6Repr`] dispatches to them.
//!
//! Every accessor reads through bounds-checked helpers: `check_len` validates
//! the length that the message's own type needs, and an accessor for a field
//! that the buffer does not hold (an NDP field read on an echo message, say)
//! returns zero instead of panicking.
//!
//! The files stand on one another in one direction: `message.rs` (types and
//! codes) and `access.rs` (the field helpers) at the bottom, `packet.rs` (the
//! view, and the fixed part of every type that `check_len` checks) on them,
//! `ndp.rs` and `mld.rs` on the view, and `repr.rs` (the dispatch) on top.
//! `wire::ndp` and `wire::mld` are these same modules.

mod access;
mod message;
mod packet;
mod repr;

pub mod mld;
pub mod ndp;

#[cfg(test)]
pub(crate) mod tests;

pub use self::access::Ipv6AddrIter;
pub use self::message::{DstUnreachable, Icmpv6Message, ParamProblem, TimeExceeded};
pub use self::packet::{Icmpv6Packet, HEADER_LEN, MAX_ERROR_LEN};
pub use self::repr::Icmpv6Repr;
