//! The parsed ICMPv6 message: error and echo messages here, NDP and MLD
//! handed to their own parsers.

use super::access::set_bytes;
use super::message::{DstUnreachable, Icmpv6Message, ParamProblem, TimeExceeded};
use super::mld::MldRepr;
use super::ndp::NdiscRepr;
use super::packet::{Icmpv6Packet, HEADER_LEN};
use crate::wire::{ChecksumMode, Error, Ipv6Addr, Result};

/// A parsed ICMPv6 message.
///
/// `data` of an error message is the quoted invoking packet; the integrator
/// reads its IPv6 header with `Ipv6Packet::new_checked_header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Icmpv6Repr<'a> {
    /// Destination Unreachable (RFC 4443 §3.1).
    DstUnreachable {
        /// Why the packet was not delivered.
        reason: DstUnreachable,
        /// The quoted invoking packet.
        data: &'a [u8],
    },
    /// Packet Too Big (RFC 4443 §3.2).
    PktTooBig {
        /// The MTU of the next-hop link.
        mtu: u32,
        /// The quoted invoking packet.
        data: &'a [u8],
    },
    /// Time Exceeded (RFC 4443 §3.3).
    TimeExceeded {
        /// Which limit ran out.
        reason: TimeExceeded,
        /// The quoted invoking packet.
        data: &'a [u8],
    },
    /// Parameter Problem (RFC 4443 §3.4).
    ParamProblem {
        /// What kind of problem.
        reason: ParamProblem,
        /// Offset of the offending octet in the invoking packet.
        pointer: u32,
        /// The quoted invoking packet.
        data: &'a [u8],
    },
    /// Echo Request (RFC 4443 §4.1).
    EchoRequest {
        /// Identifier, to match replies.
        ident: u16,
        /// Sequence number, to match replies.
        seq_no: u16,
        /// Arbitrary data, echoed back.
        data: &'a [u8],
    },
    /// Echo Reply (RFC 4443 §4.2).
    EchoReply {
        /// Identifier of the request.
        ident: u16,
        /// Sequence number of the request.
        seq_no: u16,
        /// The request's data.
        data: &'a [u8],
    },
    /// A Neighbor Discovery message (RFC 4861).
    Ndisc(NdiscRepr<'a>),
    /// A Multicast Listener Discovery message (RFC 2710, RFC 3810).
    Mld(MldRepr<'a>),
}

impl<'a> Icmpv6Repr<'a> {
    /// Parses and validates an ICMPv6 message sent from `src` to `dst`.
    ///
    /// The checksum is verified first when `checksum` is `Check`. Codes of
    /// the error messages are kept as received (unknown ones included);
    /// the "Unused" word of Destination Unreachable and Time Exceeded is
    /// ignored as RFC 4443 §3.1/§3.3 ask of a receiver.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        src: &Ipv6Addr,
        dst: &Ipv6Addr,
        packet: &Icmpv6Packet<&'a T>,
        checksum: ChecksumMode,
    ) -> Result<Icmpv6Repr<'a>> {
        packet.check_len()?;
        if checksum.is_check() && !packet.verify_checksum(src, dst) {
            return Err(Error::Checksum);
        }
        let data = packet.body();
        match packet.msg_type() {
            Icmpv6Message::DstUnreachable => Ok(Icmpv6Repr::DstUnreachable {
                reason: DstUnreachable::from(packet.msg_code()),
                data,
            }),
            // RFC 4443 §3.2: the code is set to 0 and ignored by the receiver.
            Icmpv6Message::PktTooBig => Ok(Icmpv6Repr::PktTooBig {
                mtu: packet.mtu(),
                data,
            }),
            Icmpv6Message::TimeExceeded => Ok(Icmpv6Repr::TimeExceeded {
                reason: TimeExceeded::from(packet.msg_code()),
                data,
            }),
            Icmpv6Message::ParamProblem => Ok(Icmpv6Repr::ParamProblem {
                reason: ParamProblem::from(packet.msg_code()),
                pointer: packet.pointer(),
                data,
            }),
            // RFC 4443 §4.1/§4.2: code 0; a receiver has no use for another.
            Icmpv6Message::EchoRequest => Ok(Icmpv6Repr::EchoRequest {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                data,
            }),
            Icmpv6Message::EchoReply => Ok(Icmpv6Repr::EchoReply {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                data,
            }),
            t if t.is_ndisc() => NdiscRepr::parse(packet).map(Icmpv6Repr::Ndisc),
            t if t.is_mld() => MldRepr::parse(packet).map(Icmpv6Repr::Mld),
            _ => Err(Error::Unsupported("icmpv6 message type")),
        }
    }

    /// The length of the whole ICMPv6 message `emit` writes.
    pub fn buffer_len(&self) -> usize {
        match self {
            Icmpv6Repr::DstUnreachable { data, .. }
            | Icmpv6Repr::PktTooBig { data, .. }
            | Icmpv6Repr::TimeExceeded { data, .. }
            | Icmpv6Repr::ParamProblem { data, .. }
            | Icmpv6Repr::EchoRequest { data, .. }
            | Icmpv6Repr::EchoReply { data, .. } => HEADER_LEN.saturating_add(data.len()),
            Icmpv6Repr::Ndisc(ndisc) => ndisc.buffer_len(),
            Icmpv6Repr::Mld(mld) => mld.buffer_len(),
        }
    }

    /// Writes the message into `packet`, which must be exactly
    /// [`buffer_len`](Self::buffer_len) bytes long (the checksum covers the
    /// whole buffer). The checksum is computed when `checksum` is `Check`.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        src: &Ipv6Addr,
        dst: &Ipv6Addr,
        packet: &mut Icmpv6Packet<T>,
        checksum: ChecksumMode,
    ) {
        let (msg_type, code, data) = match *self {
            Icmpv6Repr::DstUnreachable { reason, data } => {
                packet.clear_reserved();
                (Icmpv6Message::DstUnreachable, reason.into(), data)
            }
            Icmpv6Repr::PktTooBig { mtu, data } => {
                packet.set_mtu(mtu);
                (Icmpv6Message::PktTooBig, 0, data)
            }
            Icmpv6Repr::TimeExceeded { reason, data } => {
                packet.clear_reserved();
                (Icmpv6Message::TimeExceeded, reason.into(), data)
            }
            Icmpv6Repr::ParamProblem {
                reason,
                pointer,
                data,
            } => {
                packet.set_pointer(pointer);
                (Icmpv6Message::ParamProblem, reason.into(), data)
            }
            Icmpv6Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                packet.set_echo_ident(ident);
                packet.set_echo_seq_no(seq_no);
                (Icmpv6Message::EchoRequest, 0, data)
            }
            Icmpv6Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => {
                packet.set_echo_ident(ident);
                packet.set_echo_seq_no(seq_no);
                (Icmpv6Message::EchoReply, 0, data)
            }
            Icmpv6Repr::Ndisc(ref ndisc) => {
                ndisc.emit(packet);
                if checksum.is_check() {
                    packet.fill_checksum(src, dst);
                }
                return;
            }
            Icmpv6Repr::Mld(ref mld) => {
                mld.emit(packet);
                if checksum.is_check() {
                    packet.fill_checksum(src, dst);
                }
                return;
            }
        };
        packet.set_msg_type(msg_type);
        packet.set_msg_code(code);
        set_bytes(packet.payload_mut(), 0, data);
        if checksum.is_check() {
            packet.fill_checksum(src, dst);
        }
    }
}
