//! The ICMPv6 message types and the codes of the error messages.

use core::fmt;

use crate::wire::ip::enum_with_unknown;

enum_with_unknown! {
    /// ICMPv6 message type (IANA "ICMPv6 Parameters", RFC 4443 §2.1).
    pub enum Icmpv6Message(u8) {
        /// Destination Unreachable (RFC 4443 §3.1).
        DstUnreachable = 1,
        /// Packet Too Big (RFC 4443 §3.2).
        PktTooBig = 2,
        /// Time Exceeded (RFC 4443 §3.3).
        TimeExceeded = 3,
        /// Parameter Problem (RFC 4443 §3.4).
        ParamProblem = 4,
        /// Echo Request (RFC 4443 §4.1).
        EchoRequest = 128,
        /// Echo Reply (RFC 4443 §4.2).
        EchoReply = 129,
        /// Multicast Listener Query (RFC 2710 §3.6, RFC 3810 §5.1).
        MldQuery = 130,
        /// MLDv1 Multicast Listener Report (RFC 2710 §3.7).
        MldReport = 131,
        /// MLDv1 Multicast Listener Done (RFC 2710 §3.8).
        MldDone = 132,
        /// Router Solicitation (RFC 4861 §4.1).
        RouterSolicit = 133,
        /// Router Advertisement (RFC 4861 §4.2).
        RouterAdvert = 134,
        /// Neighbor Solicitation (RFC 4861 §4.3).
        NeighborSolicit = 135,
        /// Neighbor Advertisement (RFC 4861 §4.4).
        NeighborAdvert = 136,
        /// Redirect (RFC 4861 §4.5).
        Redirect = 137,
        /// Router Renumbering (RFC 2894).
        RouterRenumbering = 138,
        /// Node Information Query (RFC 4620).
        NodeInfoQuery = 139,
        /// Node Information Response (RFC 4620).
        NodeInfoResponse = 140,
        /// Version 2 Multicast Listener Report (RFC 3810 §5.2).
        MldV2Report = 143,
        /// Extended Echo Request (RFC 8335).
        ExtendedEchoRequest = 160,
        /// Extended Echo Reply (RFC 8335).
        ExtendedEchoReply = 161,
    }
}

impl Icmpv6Message {
    /// True for an error message (RFC 4443 §2.1: types 0-127 are errors,
    /// 128-255 informational). A node must never answer an error with an error
    /// (RFC 4443 §2.4(e)), so the interface asks this before replying.
    pub fn is_error(&self) -> bool {
        u8::from(*self) < 128
    }

    /// True for the Neighbor Discovery messages (RFC 4861 §4).
    pub fn is_ndisc(&self) -> bool {
        matches!(
            self,
            Icmpv6Message::RouterSolicit
                | Icmpv6Message::RouterAdvert
                | Icmpv6Message::NeighborSolicit
                | Icmpv6Message::NeighborAdvert
                | Icmpv6Message::Redirect
        )
    }

    /// True for the MLD messages (RFC 2710 §3, RFC 3810 §5).
    pub fn is_mld(&self) -> bool {
        matches!(
            self,
            Icmpv6Message::MldQuery
                | Icmpv6Message::MldReport
                | Icmpv6Message::MldDone
                | Icmpv6Message::MldV2Report
        )
    }
}

impl fmt::Display for Icmpv6Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv6Message::DstUnreachable => f.write_str("destination unreachable"),
            Icmpv6Message::PktTooBig => f.write_str("packet too big"),
            Icmpv6Message::TimeExceeded => f.write_str("time exceeded"),
            Icmpv6Message::ParamProblem => f.write_str("parameter problem"),
            Icmpv6Message::EchoRequest => f.write_str("echo request"),
            Icmpv6Message::EchoReply => f.write_str("echo reply"),
            Icmpv6Message::MldQuery => f.write_str("multicast listener query"),
            Icmpv6Message::MldReport => f.write_str("multicast listener report"),
            Icmpv6Message::MldDone => f.write_str("multicast listener done"),
            Icmpv6Message::RouterSolicit => f.write_str("router solicitation"),
            Icmpv6Message::RouterAdvert => f.write_str("router advertisement"),
            Icmpv6Message::NeighborSolicit => f.write_str("neighbor solicitation"),
            Icmpv6Message::NeighborAdvert => f.write_str("neighbor advertisement"),
            Icmpv6Message::Redirect => f.write_str("redirect"),
            Icmpv6Message::RouterRenumbering => f.write_str("router renumbering"),
            Icmpv6Message::NodeInfoQuery => f.write_str("node information query"),
            Icmpv6Message::NodeInfoResponse => f.write_str("node information response"),
            Icmpv6Message::MldV2Report => f.write_str("multicast listener report v2"),
            Icmpv6Message::ExtendedEchoRequest => f.write_str("extended echo request"),
            Icmpv6Message::ExtendedEchoReply => f.write_str("extended echo reply"),
            Icmpv6Message::Unknown(n) => write!(f, "type {n}"),
        }
    }
}

enum_with_unknown! {
    /// Destination Unreachable code (RFC 4443 §3.1, RFC 6554, RFC 8883).
    pub enum DstUnreachable(u8) {
        /// No route to destination.
        NoRoute = 0,
        /// Communication with destination administratively prohibited.
        AdminProhibit = 1,
        /// Beyond scope of source address.
        BeyondScope = 2,
        /// Address unreachable.
        AddrUnreachable = 3,
        /// Port unreachable.
        PortUnreachable = 4,
        /// Source address failed ingress/egress policy.
        FailedPolicy = 5,
        /// Reject route to destination.
        RejectRoute = 6,
        /// Error in Source Routing Header (RFC 6554).
        SrcRoutingHeader = 7,
        /// Headers too long (RFC 8883).
        HeadersTooLong = 8,
    }
}

enum_with_unknown! {
    /// Time Exceeded code (RFC 4443 §3.3).
    pub enum TimeExceeded(u8) {
        /// Hop limit exceeded in transit.
        HopLimitExceeded = 0,
        /// Fragment reassembly time exceeded.
        FragReassemblyExceeded = 1,
    }
}

enum_with_unknown! {
    /// Parameter Problem code (RFC 4443 §3.4, RFC 7112 §5).
    pub enum ParamProblem(u8) {
        /// Erroneous header field encountered.
        ErroneousHdrField = 0,
        /// Unrecognized Next Header type encountered.
        UnrecognizedNxtHdr = 1,
        /// Unrecognized IPv6 option encountered.
        UnrecognizedOption = 2,
        /// IPv6 first fragment has incomplete header chain (RFC 7112).
        IncompleteHdrChain = 3,
    }
}
