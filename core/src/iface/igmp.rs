//! The host side of IGMP for one interface: reporting its IPv4 multicast
//! groups to the multicast routers of the link.
//!
//! IGMPv3 by default (RFC 3376, as Linux), falling back to IGMPv2 (RFC 2236)
//! or IGMPv1 (RFC 1112) while an older querier is heard (RFC 3376 §7.2.1).
//! Every group is joined in the filter mode `EXCLUDE {}` ("all sources"),
//! which is what a plain `join` means; source filtering (`INCLUDE {S}`,
//! `EXCLUDE {S}`) is not offered, so no record ever carries sources.
//!
//! What is implemented (all behaviour of a host, none of a router):
//! - RFC 3376 §5.1 (state changes): a join sends `CHANGE_TO_EXCLUDE_MODE {}`,
//!   a leave `CHANGE_TO_INCLUDE_MODE {}`, at once and then again until
//!   [Robustness Variable] reports were sent, at random intervals in
//!   `[0, Unsolicited Report Interval]` (§8.11: 1 s). Pending changes of all
//!   groups travel in one report; a new change for a group restarts its count.
//! - RFC 3376 §5.2 (queries): one interface timer for General Queries and a
//!   timer per group for Group-Specific ones, with the four scheduling rules
//!   of §5.2; the answer is `MODE_IS_EXCLUDE {}` records for every group
//!   joined (general) or for the group queried. A Group-and-Source-Specific
//!   Query is answered as a Group-Specific one: with `EXCLUDE {}` every
//!   queried source is wanted, and `MODE_IS_EXCLUDE {}` says so (it is the
//!   group's full current state, which §6.4.1 routers accept in any state),
//!   so no source list needs storing (the §9.1 memory-exhaustion concern
//!   does not arise).
//! - RFC 3376 §7.2.1 (compatibility): a v1 query (8 bytes, Max Resp Code 0)
//!   or a v2 query (8 bytes, non-zero code) starts the IGMPv1/IGMPv2 Querier
//!   Present timer for the Older Version Querier Present Timeout (§8.12:
//!   Robustness × Query Interval + Query Response Interval, 260 s by
//!   default, with the values learned from the last v3 query). While one
//!   runs the host speaks that version; each change of mode cancels every
//!   pending response and retransmission (§7.2.1).
//! - RFC 2236 §3 in v2 mode: a v2 report to the group at once and once more
//!   after a random delay in `[0, 10 s]` (§8.10); per-group timers on queries,
//!   restarted only when the query's Max Response Time is shorter than what
//!   is left; another host's report for the group stops our timer
//!   (suppression) and makes it the "last reporter"; on leave a Leave Group to
//!   224.0.0.2 only if we were the last reporter (the RFC's SHOULD; otherwise
//!   another member answered the last query, and its MAY send nothing).
//! - RFC 1112 appendix I in v1 mode: the same with v1 reports, every query
//!   taken as a general one with a 10 s maximum delay, and no leave message.
//! - 224.0.0.1 (all systems) is joined implicitly and never reported
//!   (RFC 3376 §5, RFC 2236 §6).
//! - RFC 3376 §9.1: General Queries not sent to 224.0.0.1 are ignored (as
//!   FreeBSD), so that a unicast forged query cannot move hosts to v1.
//!
//! The machine is sans-IO and has no heap: `N` groups (at most
//! [`MAX_GROUPS`]) and one buffer of `N` group records. It never reads a clock
//! or an entropy source: `now` and `random` come from the caller.
//!
//! # How the interface uses it
//! - `join`/`leave` when an application joins or leaves a group (the
//!   interface keeps its own reference counts: here a group is joined once).
//!   Frames to [`Igmp::is_joined`] groups (and to 224.0.0.1) are received.
//! - Every IGMP message received (IP protocol 2, checksum verified, parsed
//!   with [`IgmpRepr::parse`]): a query goes to [`Igmp::process_query`] with
//!   the IPv4 destination address; a v1 or v2 report from another host goes
//!   to [`Igmp::process_report`]; anything else is ignored.
//! - In its egress step it calls [`Igmp::dispatch`] (one message per call)
//!   while [`Igmp::poll_at`] is at or before `now`, and its own `poll_at` is
//!   the minimum with [`Igmp::poll_at`].
//! - Each [`IgmpOutput`] goes out as one IPv4 datagram from the interface's
//!   address (or 0.0.0.0 while it has none, RFC 3376 §4.2.13) with TTL 1,
//!   precedence Internetwork Control (TOS 0xc0) and the Router Alert option
//!   (RFC 2236 §2, RFC 3376 §4): see [`IgmpOutput::ipv4_repr`] and
//!   [`IgmpOutput::emit_datagram`]. The Ethernet destination is the IPv4
//!   multicast mapping of `dst` (RFC 1112 §6.4).

use super::membership::{
    Compat, Due, Full, Learned, Membership, Querier, Query, RecordKind, Records, Timers,
};
use crate::rand::Rng;
use crate::time::{Duration, Instant};
use crate::wire::igmp::{
    decode_time_code, IgmpGroupRecord, IgmpGroupRecords, IgmpPacket, IgmpRecordType, IgmpRepr,
    IgmpSources, RECORD_HEADER_LEN,
};
use crate::wire::ipv4::{Ipv4Packet, Ipv4Repr, HEADER_LEN as IPV4_FIXED_HEADER_LEN};
use crate::wire::{ChecksumMode, Error as WireError, IpProtocol, Ipv4Addr};

pub use super::membership::ALL_SYSTEMS;
/// 224.0.0.2, the all-routers group: where IGMPv2 Leave Group messages go
/// (RFC 2236 §3, §9).
pub const ALL_ROUTERS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 2);
/// 224.0.0.22, the all-IGMPv3-capable-routers group: where v3 reports go
/// (RFC 3376 §4.2.14).
pub const ALL_IGMPV3_ROUTERS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 22);

/// The most groups an [`Igmp`] may hold: a report with one record per group,
/// `8 + 64 × 8 = 520` bytes, plus the 24-byte IPv4 header, fits in the 576
/// bytes every IPv4 host must accept (RFC 791), so no report is ever
/// fragmented or split (RFC 3376 §5.2 asks for as few reports as possible).
pub const MAX_GROUPS: usize = 64;

/// TTL of every IGMP message: it never leaves the link (RFC 2236 §2, RFC 3376 §4).
pub const IPV4_TTL: u8 = 1;
/// DSCP of every IGMP message: CS6, i.e. IP precedence Internetwork Control
/// (TOS 0xc0, RFC 3376 §4; Linux writes the same).
pub const IPV4_DSCP: u8 = 0x30;
/// The IPv4 header of an IGMP message: 20 bytes plus the 4-byte Router Alert
/// option, IHL = 6.
pub const IPV4_HEADER_LEN: usize = IPV4_FIXED_HEADER_LEN + 4;

/// The IPv4 Router Alert option (RFC 2113 §2.1: type 148 = copied flag,
/// class 0, number 20; length 4; value 0 "router shall examine packet"),
/// which every IGMP message carries (RFC 2236 §2, RFC 3376 §4) so that
/// routers look at it although it is not addressed to them. It fills the
/// options area exactly (no padding): bytes 20..24 of a header with IHL = 6.
pub const fn router_alert_option() -> [u8; 4] {
    [148, 4, 0, 0]
}

/// Why [`Igmp::join`] refused a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum IgmpError {
    /// Not an IPv4 multicast (class D, 224.0.0.0/4) address.
    NotMulticast,
    /// Every slot holds a joined group.
    Full,
}

impl core::fmt::Display for IgmpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            IgmpError::NotMulticast => f.write_str("not an IPv4 multicast address"),
            IgmpError::Full => f.write_str("multicast group table full"),
        }
    }
}

/// The IGMP version the host speaks: its Host Compatibility Mode (RFC 3376 §7.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum IgmpVersion {
    /// RFC 1112: v1 reports, no leave.
    V1,
    /// RFC 2236: v2 reports to the group, Leave Group to 224.0.0.2.
    V2,
    /// RFC 3376: v3 reports to 224.0.0.22 (the default).
    V3,
}

/// The timers and counters of [`Igmp`]: RFC 3376 §8 and RFC 2236 §8 defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IgmpConfig {
    /// Robustness Variable (RFC 3376 §8.1): how many times a state change is
    /// reported. A v3 query's non-zero QRV replaces it (§4.1.6, as Linux).
    /// Zero is taken as one (§8.1: it MUST NOT be zero).
    pub robustness: u8,
    /// Query Interval (§8.2), until a v3 query's QQIC says otherwise (§4.1.7).
    pub query_interval: Duration,
    /// Query Response Interval (§8.3), until a v3 query's Max Resp Code says
    /// otherwise; used in the Older Version Querier Present Timeout.
    pub query_response_interval: Duration,
    /// Unsolicited Report Interval of IGMPv3 (RFC 3376 §8.11).
    pub unsolicited_report_interval_v3: Duration,
    /// Unsolicited Report Interval of IGMPv1/v2 (RFC 2236 §8.10).
    pub unsolicited_report_interval_v2: Duration,
    /// The Max Response Time of a v1 query, whose field is zero
    /// (RFC 2236 §4: read as 100, 10 s; RFC 1112 appendix I).
    pub v1_max_response_time: Duration,
}

impl IgmpConfig {
    /// The RFC defaults.
    pub const DEFAULT: IgmpConfig = IgmpConfig {
        robustness: 2,
        query_interval: Duration::from_secs(125),
        query_response_interval: Duration::from_secs(10),
        unsolicited_report_interval_v3: Duration::from_secs(1),
        unsolicited_report_interval_v2: Duration::from_secs(10),
        v1_max_response_time: Duration::from_secs(10),
    };
}

impl Default for IgmpConfig {
    fn default() -> IgmpConfig {
        IgmpConfig::DEFAULT
    }
}

/// One message to send: the IGMP message and its IPv4 destination.
///
/// v3 reports go to 224.0.0.22 (RFC 3376 §4.2.14), v1/v2 reports to the group
/// reported (RFC 2236 §3), a Leave Group to 224.0.0.2 (RFC 2236 §3). The
/// records of a v3 report are lent from the machine's own buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IgmpOutput<'a> {
    /// The IPv4 destination address (also the Ethernet multicast destination).
    pub dst: Ipv4Addr,
    /// The message.
    pub repr: IgmpRepr<'a>,
}

impl IgmpOutput<'_> {
    /// The length of the whole IPv4 datagram: header with Router Alert, then
    /// the IGMP message.
    pub const fn datagram_len(&self) -> usize {
        IPV4_HEADER_LEN + self.repr.buffer_len()
    }

    /// The IPv4 header fields the interface must write, from `src` (its
    /// address, or 0.0.0.0 while it has none) with IP identification `ident`.
    ///
    /// TTL 1 (RFC 2236 §2, RFC 3376 §4: the message stays on the link), DSCP
    /// CS6 (TOS 0xc0, RFC 3376 §4), protocol 2, DF set (the datagram is at
    /// most 544 bytes, see [`MAX_GROUPS`]; Linux sets it too).
    /// `payload_len` is the IGMP message only: [`Ipv4Repr::emit`] writes no
    /// options, so after it the interface must set IHL to 6
    /// (`set_header_len(IPV4_HEADER_LEN)`), the total length to
    /// [`datagram_len`](Self::datagram_len), write [`router_alert_option`]
    /// into bytes 20..24, put the IGMP message at byte 24 and compute the
    /// header checksum last. [`emit_datagram`](Self::emit_datagram) does all
    /// of this.
    pub fn ipv4_repr(&self, src: Ipv4Addr, ident: u16) -> Ipv4Repr {
        Ipv4Repr {
            src_addr: src,
            dst_addr: self.dst,
            next_header: IpProtocol::Igmp,
            payload_len: self.repr.buffer_len(),
            hop_limit: IPV4_TTL,
            dscp: IPV4_DSCP,
            ecn: 0,
            ident,
            dont_frag: true,
            more_frags: false,
            frag_offset: 0,
        }
    }

    /// Writes the whole datagram (IPv4 header with Router Alert, IGMP
    /// message) at the start of `buf` and returns its length.
    ///
    /// The IGMP checksum is always computed (no device offloads it);
    /// `ip_checksum` says whether the IPv4 header checksum is computed or
    /// left zero for the device to fill. Fails with `Truncated` when `buf`
    /// is shorter than [`datagram_len`](Self::datagram_len).
    pub fn emit_datagram(
        &self,
        src: Ipv4Addr,
        ident: u16,
        buf: &mut [u8],
        ip_checksum: ChecksumMode,
    ) -> Result<usize, WireError> {
        let len = self.datagram_len();
        let buf = buf.get_mut(..len).ok_or(WireError::Truncated)?;
        let (header, igmp) = buf.split_at_mut(IPV4_HEADER_LEN);
        self.repr
            .emit(&mut IgmpPacket::new_unchecked(igmp), ChecksumMode::Check);
        let mut packet = Ipv4Packet::new_unchecked(header);
        // Ipv4Repr::emit writes IHL 5 and no options: the header is written
        // with the option counted as payload (so the total length is right),
        // then IHL is raised to 6 over the option.
        let mut repr = self.ipv4_repr(src, ident);
        repr.payload_len = len - IPV4_FIXED_HEADER_LEN;
        repr.emit(&mut packet, ChecksumMode::Skip);
        packet.set_header_len(IPV4_HEADER_LEN);
        packet.options_mut().copy_from_slice(&router_alert_option());
        if ip_checksum.is_check() {
            packet.fill_checksum();
        } else {
            packet.set_checksum(0);
        }
        Ok(len)
    }
}

/// The IGMP host state of one interface: its joined IPv4 multicast groups
/// (up to `N`, at most [`MAX_GROUPS`]) and their timers.
///
/// Fixed size, no heap. See the [module documentation](self) for what is
/// implemented and how the interface drives it.
#[derive(Debug, Clone)]
pub struct Igmp<const N: usize> {
    config: IgmpConfig,
    /// The groups and their timers: the engine MLD shares.
    engine: Membership<Ipv4Addr, N>,
    /// Where a v3 report's group records are built, one 8-byte record (no
    /// sources, no aux data) per group at most.
    records: [[u8; RECORD_HEADER_LEN]; N],
}

impl<const N: usize> Default for Igmp<N> {
    fn default() -> Igmp<N> {
        Igmp::new()
    }
}

impl<const N: usize> Igmp<N> {
    /// No group joined, IGMPv3, RFC default timers.
    pub const fn new() -> Igmp<N> {
        Igmp::with_config(IgmpConfig::DEFAULT)
    }

    /// No group joined, IGMPv3, the given timers.
    pub const fn with_config(config: IgmpConfig) -> Igmp<N> {
        const {
            assert!(
                N <= MAX_GROUPS,
                "Igmp<N>: N must be at most MAX_GROUPS (one report must fit 576 bytes)"
            )
        };
        Igmp {
            config,
            engine: Membership::new(Timers {
                robustness: config.robustness,
                query_interval: config.query_interval,
                query_response_interval: config.query_response_interval,
                unsolicited_current: config.unsolicited_report_interval_v3,
                unsolicited_older: config.unsolicited_report_interval_v2,
                oldest_max_response: config.v1_max_response_time,
            }),
            records: [[0; RECORD_HEADER_LEN]; N],
        }
    }

    /// The configured timers.
    pub fn config(&self) -> &IgmpConfig {
        &self.config
    }

    /// The Host Compatibility Mode at `now` (RFC 3376 §7.2.1): v1 while the
    /// IGMPv1 Querier Present timer runs, else v2 while the IGMPv2 one runs,
    /// else v3.
    pub fn version(&self, now: Instant) -> IgmpVersion {
        match self.engine.mode(now) {
            Compat::Oldest => IgmpVersion::V1,
            Compat::Older => IgmpVersion::V2,
            Compat::Current => IgmpVersion::V3,
        }
    }

    /// Whether frames to `group` are wanted: 224.0.0.1 always, and every
    /// group joined and not left.
    pub fn is_joined(&self, group: Ipv4Addr) -> bool {
        group == ALL_SYSTEMS || self.engine.is_joined(&group)
    }

    /// The groups joined (not 224.0.0.1, which is implicit), in no set order.
    pub fn groups(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        self.engine.groups()
    }

    /// Joins `group` and schedules its unsolicited reports, the first at `now`.
    ///
    /// v3 (RFC 3376 §5.1): `CHANGE_TO_EXCLUDE_MODE {}`, [Robustness Variable]
    /// times. v1/v2 (RFC 2236 §3, RFC 1112 appendix I): a report, then again
    /// until Robustness reports went out. `random` decorrelates the
    /// retransmission times from other hosts'.
    ///
    /// Joining a joined group, or 224.0.0.1 (implicit, RFC 3376 §5), does
    /// nothing (the interface keeps the reference counts: one [`leave`]
    /// leaves). Joining a group being left joins it again (a new state
    /// change). A full table gives up a group being left (its remaining
    /// retransmissions are lost: the routers time it out after the Group
    /// Membership Interval) before refusing with [`IgmpError::Full`].
    ///
    /// [`leave`]: Self::leave
    pub fn join(&mut self, group: Ipv4Addr, now: Instant, random: u32) -> Result<(), IgmpError> {
        if !group.is_multicast() {
            return Err(IgmpError::NotMulticast);
        }
        if group == ALL_SYSTEMS {
            return Ok(());
        }
        self.engine
            .join(group, now, now, random)
            .map_err(|Full| IgmpError::Full)?;
        net_debug!("igmp: joined {}", group);
        Ok(())
    }

    /// Leaves `group`; false when it was not joined (224.0.0.1 is never left).
    ///
    /// v3 (RFC 3376 §5.1): `CHANGE_TO_INCLUDE_MODE {}`, sent like a join's
    /// report; the group stays in the table until the last one is out.
    /// v2 (RFC 2236 §3): a Leave Group to 224.0.0.2, only if we sent the last
    /// report heard for the group; else another member answers the router's
    /// last-member queries and nothing needs sending. v1: nothing (RFC 1112
    /// has no leave).
    pub fn leave(&mut self, group: Ipv4Addr, now: Instant, random: u32) -> bool {
        if group == ALL_SYSTEMS {
            return false;
        }
        let left = self.engine.leave(group, now, random, true);
        if left {
            net_debug!("igmp: left {}", group);
        }
        left
    }

    /// An IGMP message received in a datagram to `dst` (the wire handling:
    /// the message is parsed and checksummed here, RFC 3376 §4 / RFC 2236
    /// §2.3). Queries start or shorten report timers (`rng` draws their
    /// random delays); another member's v1/v2 report suppresses ours
    /// (RFC 2236 §3); our own report types and v3 reports are ignored.
    pub fn process_packet(
        &mut self,
        now: Instant,
        dst: Ipv4Addr,
        payload: &[u8],
        rng: &mut Rng,
    ) -> Result<(), WireError> {
        let repr = IgmpPacket::new_checked(payload)
            .and_then(|p| IgmpRepr::parse(&p, ChecksumMode::Check))?;
        match repr {
            IgmpRepr::MembershipQuery { .. } | IgmpRepr::MembershipQueryV3 { .. } => {
                let random = rng.next_u32();
                self.process_query(now, &repr, dst, random);
            }
            IgmpRepr::MembershipReportV1 { group_addr }
            | IgmpRepr::MembershipReportV2 { group_addr } => self.process_report(group_addr),
            _ => {}
        }
        Ok(())
    }

    /// Looks at one received query (any other message is ignored); `dst` is
    /// its IPv4 destination address.
    ///
    /// - The query's shape sets the compatibility mode first (RFC 3376
    ///   §7.2.1): 8 bytes with code 0 is v1, 8 bytes otherwise v2; a v3
    ///   query's QRV, QQIC and Max Resp Code are learned (§4.1.6, §4.1.7, as
    ///   Linux) when non-zero.
    /// - v3 mode (§5.2): a response after a random delay in
    ///   `[0, Max Resp Time]` (code decoded by [`decode_time_code`]): the
    ///   interface timer for a General Query, the group timer for a
    ///   Group-Specific one (never later than a pending one), nothing if a
    ///   General Query response is due no later.
    /// - v2 mode (RFC 2236 §3): a timer per group queried (every group for a
    ///   General Query), restarted only if the Max Response Time is shorter
    ///   than what is left of it. A v3 query heard in v2 mode is read the
    ///   same way, its code decoded as v3 (as Linux).
    /// - v1 mode (RFC 1112): every query is general, 10 s maximum.
    ///
    /// Ignored: General Queries not sent to 224.0.0.1 (RFC 3376 §9.1), v3
    /// General Queries with sources (undefined), and queries for a group
    /// that is not a multicast address or is 224.0.0.1.
    pub fn process_query(&mut self, now: Instant, repr: &IgmpRepr<'_>, dst: Ipv4Addr, random: u32) {
        let (group, max_resp, from) = match *repr {
            IgmpRepr::MembershipQuery {
                max_resp_code: 0,
                group_addr,
            } => (
                group_addr,
                self.config.v1_max_response_time,
                Querier::Oldest,
            ),
            IgmpRepr::MembershipQuery {
                max_resp_code,
                group_addr,
            } => (
                group_addr,
                // RFC 2236 §2.2: in units of 1/10 second.
                tenths(u32::from(max_resp_code)),
                Querier::Older,
            ),
            IgmpRepr::MembershipQueryV3 {
                group_addr,
                sources,
                max_resp_code,
                qrv,
                qqic,
                ..
            } => {
                if group_addr.is_unspecified() && !sources.is_empty() {
                    return;
                }
                // RFC 3376 §4.1.1: the same unit, in a floating-point code.
                let max_resp = tenths(decode_time_code(max_resp_code));
                // §4.1.6, §4.1.7: the querier's values.
                let learned = Learned {
                    robustness: qrv,
                    query_interval: Duration::from_secs(u64::from(decode_time_code(qqic))),
                    response_interval: max_resp,
                };
                (group_addr, max_resp, Querier::Current(learned))
            }
            _ => return,
        };
        let general = group.is_unspecified();
        if general && dst != ALL_SYSTEMS {
            // RFC 3376 §9.1: a General Query must come to 224.0.0.1; one sent
            // elsewhere (unicast) may be forged from off the link.
            return;
        }
        if !general && (!group.is_multicast() || group == ALL_SYSTEMS) {
            return;
        }
        let query = Query {
            group,
            max_resp,
            from,
        };
        self.engine.query(now, query, random);
    }

    /// Another host's v1 or v2 report for `group` was heard: in v1/v2 mode
    /// our pending report for it is cancelled (RFC 2236 §3 suppression, RFC
    /// 1112 appendix I), unsolicited repeats included (as Linux), and we are
    /// no longer the last reporter. In v3 mode nothing (RFC 3376 appendix
    /// A.2: IGMPv3 hosts do not suppress).
    pub fn process_report(&mut self, group: Ipv4Addr) {
        self.engine.heard_report(group);
    }

    /// When [`Igmp::dispatch`] has something to send: `None` when nothing is
    /// scheduled. An instant at or before `now` means "now".
    pub fn poll_at(&self) -> Option<Instant> {
        self.engine.poll_at()
    }

    /// Whether [`dispatch`](Self::dispatch) has something to send at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.engine.due(now)
    }

    /// Sends at most one due message through `f`. The machine advances only
    /// if `f` returns `Ok` (a full device queue is retried on the next call);
    /// `f`'s error is returned. Nothing due: `f` is not called, `Ok(())`.
    ///
    /// In v3 mode a State-Change Report goes first, then a General Query
    /// response, then the Group-Specific responses due (in one report).
    pub fn dispatch<F, E>(&mut self, now: Instant, f: F) -> Result<(), E>
    where
        F: FnOnce(IgmpOutput<'_>) -> Result<(), E>,
    {
        let buffer = &mut self.records;
        self.engine.dispatch(now, |due| {
            f(match due {
                Due::Report(records) => report(buffer, &records),
                // RFC 2236 §3 / RFC 1112: the report goes to the group
                // itself, so that other members hear it and suppress theirs.
                Due::OlderReport {
                    group,
                    mode: Compat::Oldest,
                } => IgmpOutput {
                    dst: group,
                    repr: IgmpRepr::MembershipReportV1 { group_addr: group },
                },
                Due::OlderReport { group, .. } => IgmpOutput {
                    dst: group,
                    repr: IgmpRepr::MembershipReportV2 { group_addr: group },
                },
                // RFC 2236 §3: "send a Leave Group message to the
                // all-routers multicast group (224.0.0.2)".
                Due::Leave(group) => IgmpOutput {
                    dst: ALL_ROUTERS,
                    repr: IgmpRepr::LeaveGroup { group_addr: group },
                },
            })
        })
    }
}

/// A duration of `n` tenths of a second (the unit of IGMP's Max Resp Code).
fn tenths(n: u32) -> Duration {
    Duration::from_millis(u64::from(n) * 100)
}

/// The v3 report (RFC 3376 §4.2) of `records`, one source-less 8-byte group
/// record each, written into `buffer`.
fn report<'b, const N: usize>(
    buffer: &'b mut [[u8; RECORD_HEADER_LEN]; N],
    records: &Records<'_, Ipv4Addr>,
) -> IgmpOutput<'b> {
    let mut count = 0;
    // There are as many slots as groups can be: the zip drops nothing.
    for ((group_addr, kind), slot) in records.iter().zip(buffer.iter_mut()) {
        let record = IgmpGroupRecord {
            record_type: match kind {
                RecordKind::ModeIsExclude => IgmpRecordType::ModeIsExclude,
                RecordKind::ChangeToInclude => IgmpRecordType::ChangeToInclude,
                RecordKind::ChangeToExclude => IgmpRecordType::ChangeToExclude,
            },
            aux_data: &[],
            group_addr,
            sources: IgmpSources::default(),
        };
        // An 8-byte record without sources fits its 8-byte slot.
        if record.emit(slot).is_err() {
            break;
        }
        count += 1;
    }
    let bytes = buffer.as_flattened();
    let bytes = bytes.get(..count * RECORD_HEADER_LEN).unwrap_or(bytes);
    // Cannot fail: `count` whole records were written.
    let records =
        IgmpGroupRecords::new(bytes, u16::try_from(count).unwrap_or(u16::MAX)).unwrap_or_default();
    IgmpOutput {
        dst: ALL_IGMPV3_ROUTERS,
        repr: IgmpRepr::MembershipReportV3 { records },
    }
}

#[cfg(test)]
mod tests;
