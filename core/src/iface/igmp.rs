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

use heapless::Vec;

use crate::rand::Rng;
use crate::time::{Duration, Instant};
use crate::wire::igmp::{
    decode_time_code, IgmpGroupRecord, IgmpGroupRecords, IgmpPacket, IgmpRecordType, IgmpRepr,
    IgmpSources, RECORD_HEADER_LEN,
};
use crate::wire::ipv4::{Ipv4Packet, Ipv4Repr, HEADER_LEN as IPV4_FIXED_HEADER_LEN};
use crate::wire::{ChecksumMode, Error as WireError, IpProtocol, Ipv4Addr};

/// 224.0.0.1, the all-systems group: joined by every host, never reported.
pub const ALL_SYSTEMS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 1);
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

/// One group of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    group: Ipv4Addr,
    /// False once left: the entry only waits for its last messages (v3
    /// `CHANGE_TO_INCLUDE_MODE` retransmissions, or a v2 Leave Group).
    joined: bool,
    /// v3: state-change reports still to carry a record for this group (§5.1).
    change_left: u8,
    /// v3: the group timer of a Group-Specific Query response (§5.2).
    /// v1/v2: when the next report is due (solicited or unsolicited), or,
    /// for a group left, when its Leave Group is due (RFC 2236 §3).
    timer: Option<Instant>,
    /// v1/v2: unsolicited reports still to send after the one `timer` is for.
    unsolicited_left: u8,
    /// v2: we sent the last report for the group (RFC 2236 §3 "last host to
    /// reply"): a leave then sends a Leave Group.
    reporter: bool,
}

impl Entry {
    const fn new(group: Ipv4Addr) -> Entry {
        Entry {
            group,
            joined: true,
            change_left: 0,
            timer: None,
            unsolicited_left: 0,
            reporter: false,
        }
    }

    fn due(&self, now: Instant) -> bool {
        self.timer.is_some_and(|t| t <= now)
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
    entries: Vec<Entry, N>,
    /// Where a v3 report's group records are built, one 8-byte record (no
    /// sources, no aux data) per group at most.
    records: [[u8; RECORD_HEADER_LEN]; N],
    /// v3: the next State-Change Report (RFC 3376 §5.1).
    change_at: Option<Instant>,
    /// v3: the interface timer answering a General Query (RFC 3376 §5.2).
    general_at: Option<Instant>,
    /// IGMPv1 Querier Present timer: running while `now` is before it (§7.2.1).
    v1_until: Option<Instant>,
    /// IGMPv2 Querier Present timer.
    v2_until: Option<Instant>,
    /// The Host Compatibility Mode as of the last call.
    mode: IgmpVersion,
    /// Robustness Variable, Query Interval and Query Response Interval in
    /// use: the configured ones, or those learned from the last v3 query.
    robustness: u8,
    query_interval: Duration,
    query_response_interval: Duration,
    /// Report-delay jitter; callers stir in their own random values.
    rng: Rng,
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
            entries: Vec::new(),
            records: [[0; RECORD_HEADER_LEN]; N],
            change_at: None,
            general_at: None,
            v1_until: None,
            v2_until: None,
            mode: IgmpVersion::V3,
            robustness: config.robustness,
            query_interval: config.query_interval,
            query_response_interval: config.query_response_interval,
            rng: Rng::new(0),
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
        let running = |t: Option<Instant>| t.is_some_and(|t| now < t);
        if running(self.v1_until) {
            IgmpVersion::V1
        } else if running(self.v2_until) {
            IgmpVersion::V2
        } else {
            IgmpVersion::V3
        }
    }

    /// Whether frames to `group` are wanted: 224.0.0.1 always, and every
    /// group joined and not left.
    pub fn is_joined(&self, group: Ipv4Addr) -> bool {
        group == ALL_SYSTEMS || self.entries.iter().any(|e| e.joined && e.group == group)
    }

    /// The groups joined (not 224.0.0.1, which is implicit), in no set order.
    pub fn groups(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        self.entries.iter().filter(|e| e.joined).map(|e| e.group)
    }

    /// Joins `group` and schedules its unsolicited reports, the first at `now`.
    ///
    /// v3 (RFC 3376 §5.1): `CHANGE_TO_EXCLUDE_MODE {}`, [Robustness Variable]
    /// times. v1/v2 (RFC 2236 §3, RFC 1112 appendix I): a report, then again
    /// until Robustness reports went out. `random` decorrelates the
    /// retransmission times from other hosts'.
    ///
    /// Joining a joined group, or 224.0.0.1 (implicit, RFC 3376 §5), does
    /// nothing. Joining a group being left joins it again (a new state
    /// change). A full table gives up a group being left (its remaining
    /// retransmissions are lost: the routers time it out after the Group
    /// Membership Interval) before refusing with [`IgmpError::Full`].
    pub fn join(&mut self, group: Ipv4Addr, now: Instant, random: u32) -> Result<(), IgmpError> {
        if !group.is_multicast() {
            return Err(IgmpError::NotMulticast);
        }
        if group == ALL_SYSTEMS {
            return Ok(());
        }
        self.refresh(now);
        self.mix(random);
        let index = match self.entries.iter().position(|e| e.group == group) {
            Some(i) if self.entries.get(i).is_some_and(|e| e.joined) => return Ok(()),
            Some(i) => i,
            None => {
                self.make_room()?;
                self.entries
                    .push(Entry::new(group))
                    .map_err(|_| IgmpError::Full)?;
                self.entries.len() - 1
            }
        };
        let robustness = self.robustness();
        let mode = self.mode;
        let Some(entry) = self.entries.get_mut(index) else {
            return Ok(());
        };
        entry.joined = true;
        match mode {
            IgmpVersion::V3 => {
                // §5.1: the state change is reported at once, then
                // retransmitted; a pending change for the group is replaced.
                entry.change_left = robustness;
                entry.timer = None;
                self.change_at = Some(self.change_at.map_or(now, |t| t.min(now)));
            }
            IgmpVersion::V2 | IgmpVersion::V1 => {
                // RFC 2236 §3: "immediately transmit an unsolicited
                // Membership Report ... repeat once or twice after short delays".
                entry.timer = Some(now);
                entry.unsolicited_left = robustness - 1;
                entry.reporter = false;
            }
        }
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
        self.refresh(now);
        self.mix(random);
        let robustness = self.robustness();
        let mode = self.mode;
        let Some(entry) = self
            .entries
            .iter_mut()
            .find(|e| e.joined && e.group == group)
        else {
            return false;
        };
        entry.joined = false;
        entry.unsolicited_left = 0;
        let keep = match mode {
            IgmpVersion::V3 => {
                entry.change_left = robustness;
                entry.timer = None;
                self.change_at = Some(self.change_at.map_or(now, |t| t.min(now)));
                true
            }
            IgmpVersion::V2 if entry.reporter => {
                entry.timer = Some(now);
                true
            }
            IgmpVersion::V2 | IgmpVersion::V1 => false,
        };
        if !keep {
            self.entries.retain(|e| e.group != group);
        }
        net_debug!("igmp: left {}", group);
        true
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
        let (group, older) = match *repr {
            IgmpRepr::MembershipQuery {
                max_resp_code,
                group_addr,
            } => (
                group_addr,
                Some(if max_resp_code == 0 {
                    IgmpVersion::V1
                } else {
                    IgmpVersion::V2
                }),
            ),
            IgmpRepr::MembershipQueryV3 {
                group_addr,
                sources,
                ..
            } => {
                if group_addr.is_unspecified() && !sources.is_empty() {
                    return;
                }
                (group_addr, None)
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
        self.refresh(now);
        self.mix(random);
        // §7.2.1: a v1/v2 query (re)starts its Querier Present timer.
        let timeout = self.older_version_querier_timeout();
        match older {
            Some(IgmpVersion::V1) => self.v1_until = Some(now + timeout),
            Some(_) => self.v2_until = Some(now + timeout),
            None => self.learn(repr),
        }
        self.refresh(now);
        let max_resp = self.max_response_time(repr);
        match self.mode {
            IgmpVersion::V3 => self.schedule_v3(now, group, max_resp),
            IgmpVersion::V2 => self.schedule_v2(now, group, max_resp),
            IgmpVersion::V1 => {
                self.schedule_v2(now, Ipv4Addr::UNSPECIFIED, self.config.v1_max_response_time)
            }
        }
    }

    /// Another host's v1 or v2 report for `group` was heard: in v1/v2 mode
    /// our pending report for it is cancelled (RFC 2236 §3 suppression, RFC
    /// 1112 appendix I), unsolicited repeats included (as Linux), and we are
    /// no longer the last reporter. In v3 mode nothing (RFC 3376 appendix
    /// A.2: IGMPv3 hosts do not suppress).
    pub fn process_report(&mut self, group: Ipv4Addr) {
        // The mode of the last call: if an older querier timed out since,
        // the switch to v3 cancels these timers anyway.
        if self.mode == IgmpVersion::V3 {
            return;
        }
        if let Some(entry) = self
            .entries
            .iter_mut()
            .find(|e| e.joined && e.group == group)
        {
            entry.timer = None;
            entry.unsolicited_left = 0;
            entry.reporter = false;
        }
    }

    /// When [`Igmp::dispatch`] has something to send: `None` when nothing is
    /// scheduled. An instant at or before `now` means "now".
    pub fn poll_at(&self) -> Option<Instant> {
        [self.change_at, self.general_at]
            .into_iter()
            .chain(self.entries.iter().map(|e| e.timer))
            .flatten()
            .min()
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
        self.refresh(now);
        match self.mode {
            IgmpVersion::V3 => self.dispatch_v3(now, f),
            IgmpVersion::V2 | IgmpVersion::V1 => self.dispatch_older(now, f),
        }
    }

    fn dispatch_v3<F, E>(&mut self, now: Instant, f: F) -> Result<(), E>
    where
        F: FnOnce(IgmpOutput<'_>) -> Result<(), E>,
    {
        if self.change_at.is_some_and(|t| t <= now) {
            // §5.1: one report with the pending change of every group.
            let count = self.fill_records(|e| {
                (e.change_left > 0).then_some(if e.joined {
                    IgmpRecordType::ChangeToExclude
                } else {
                    IgmpRecordType::ChangeToInclude
                })
            });
            if count > 0 {
                f(self.report(count))?;
                for e in self.entries.iter_mut() {
                    e.change_left = e.change_left.saturating_sub(1);
                }
                // A group left is forgotten once its last change is out.
                self.entries.retain(|e| e.joined || e.change_left > 0);
                self.change_at = if self.entries.iter().any(|e| e.change_left > 0) {
                    // §5.1: retransmitted at random intervals in
                    // [0, Unsolicited Report Interval].
                    let uri = self.config.unsolicited_report_interval_v3;
                    Some(now + self.rng.uniform(Duration::ZERO, uri))
                } else {
                    None
                };
                return Ok(());
            }
            self.change_at = None;
        }
        if self.general_at.is_some_and(|t| t <= now) {
            // §5.2: the interface timer expired: the current state of every
            // group with reception state.
            let count = self.fill_records(|e| e.joined.then_some(IgmpRecordType::ModeIsExclude));
            if count > 0 {
                f(self.report(count))?;
                self.general_at = None;
                return Ok(());
            }
            self.general_at = None;
        }
        // §5.2: expired group timers: the group's current state, only if it
        // still has reception state (a group left has none).
        let count = self
            .fill_records(|e| (e.joined && e.due(now)).then_some(IgmpRecordType::ModeIsExclude));
        if count > 0 {
            f(self.report(count))?;
        }
        for e in self.entries.iter_mut().filter(|e| e.due(now)) {
            e.timer = None;
        }
        Ok(())
    }

    fn dispatch_older<F, E>(&mut self, now: Instant, f: F) -> Result<(), E>
    where
        F: FnOnce(IgmpOutput<'_>) -> Result<(), E>,
    {
        let v1 = self.mode == IgmpVersion::V1;
        let Some(entry) = self.entries.iter_mut().find(|e| e.due(now)) else {
            return Ok(());
        };
        let group = entry.group;
        if !entry.joined {
            if !v1 {
                // RFC 2236 §3: "send a Leave Group message to the
                // all-routers multicast group (224.0.0.2)".
                f(IgmpOutput {
                    dst: ALL_ROUTERS,
                    repr: IgmpRepr::LeaveGroup { group_addr: group },
                })?;
            }
            self.entries.retain(|e| e.group != group);
            return Ok(());
        }
        // RFC 2236 §3 / RFC 1112: the report goes to the group itself, so
        // that other members hear it and suppress theirs.
        let repr = if v1 {
            IgmpRepr::MembershipReportV1 { group_addr: group }
        } else {
            IgmpRepr::MembershipReportV2 { group_addr: group }
        };
        f(IgmpOutput { dst: group, repr })?;
        entry.reporter = true;
        entry.timer = if entry.unsolicited_left > 0 {
            entry.unsolicited_left -= 1;
            let uri = self.config.unsolicited_report_interval_v2;
            Some(now + self.rng.uniform(Duration::ZERO, uri))
        } else {
            None
        };
        Ok(())
    }

    /// Writes one source-less record per entry `pick` chooses into the
    /// record buffer and returns how many.
    fn fill_records(&mut self, pick: impl Fn(&Entry) -> Option<IgmpRecordType>) -> usize {
        let mut count = 0;
        let picked = self
            .entries
            .iter()
            .filter_map(|e| pick(e).map(|t| (e.group, t)));
        // There are as many slots as entries can be: the zip drops nothing.
        for ((group_addr, record_type), slot) in picked.zip(self.records.iter_mut()) {
            let record = IgmpGroupRecord {
                record_type,
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
        count
    }

    /// The v3 report holding the first `count` records of the buffer.
    fn report(&self, count: usize) -> IgmpOutput<'_> {
        let bytes = self.records.as_flattened();
        let bytes = bytes
            .get(..count.saturating_mul(RECORD_HEADER_LEN))
            .unwrap_or(bytes);
        // Cannot fail: `fill_records` wrote `count` whole records.
        let records = IgmpGroupRecords::new(bytes, u16::try_from(count).unwrap_or(u16::MAX))
            .unwrap_or_default();
        IgmpOutput {
            dst: ALL_IGMPV3_ROUTERS,
            repr: IgmpRepr::MembershipReportV3 { records },
        }
    }

    /// RFC 3376 §5.2 rules 1–4 (without source lists, see the module doc).
    fn schedule_v3(&mut self, now: Instant, group: Ipv4Addr, max_resp: Duration) {
        let at = now + self.rng.uniform(Duration::ZERO, max_resp);
        // Rule 1: a General Query response due no later covers this query.
        if self.general_at.is_some_and(|t| t <= at) {
            return;
        }
        if group.is_unspecified() {
            // Rule 2: the interface timer, replacing a later pending response.
            self.general_at = Some(at);
            return;
        }
        // Rules 3 and 4: the group timer, at the earlier of the pending
        // response and the new delay.
        if let Some(e) = self
            .entries
            .iter_mut()
            .find(|e| e.joined && e.group == group)
        {
            e.timer = Some(e.timer.map_or(at, |t| t.min(at)));
        }
    }

    /// RFC 2236 §3 (and RFC 1112 with `group` unspecified): a delay timer per
    /// group queried, "reset to the random value only if the requested Max
    /// Response Time is less than the remaining value of the running timer".
    fn schedule_v2(&mut self, now: Instant, group: Ipv4Addr, max_resp: Duration) {
        let general = group.is_unspecified();
        for e in self
            .entries
            .iter_mut()
            .filter(|e| e.joined && (general || e.group == group))
        {
            let restart = e
                .timer
                .is_none_or(|t| max_resp < t.saturating_duration_since(now));
            if restart {
                e.timer = Some(now + self.rng.uniform(Duration::ZERO, max_resp));
            }
        }
    }

    /// The Max Response Time a query asks for.
    fn max_response_time(&self, repr: &IgmpRepr<'_>) -> Duration {
        let tenths = match *repr {
            IgmpRepr::MembershipQuery {
                max_resp_code: 0, ..
            } => {
                return self.config.v1_max_response_time;
            }
            // RFC 2236 §2.2: in units of 1/10 second.
            IgmpRepr::MembershipQuery { max_resp_code, .. } => u32::from(max_resp_code),
            // RFC 3376 §4.1.1: the same unit, in a floating-point code.
            IgmpRepr::MembershipQueryV3 { max_resp_code, .. } => decode_time_code(max_resp_code),
            _ => 0,
        };
        Duration::from_millis(u64::from(tenths) * 100)
    }

    /// Adopts the querier's values from a v3 query: QRV (§4.1.6), QQIC
    /// (§4.1.7) and Max Resp Code (the Query Response Interval), each when
    /// non-zero ("if zero, use the default", as Linux and FreeBSD).
    fn learn(&mut self, repr: &IgmpRepr<'_>) {
        if let IgmpRepr::MembershipQueryV3 {
            max_resp_code,
            qrv,
            qqic,
            ..
        } = *repr
        {
            self.robustness = if qrv != 0 {
                qrv
            } else {
                self.config.robustness
            };
            self.query_interval = if qqic != 0 {
                Duration::from_secs(u64::from(decode_time_code(qqic)))
            } else {
                self.config.query_interval
            };
            if max_resp_code != 0 {
                self.query_response_interval =
                    Duration::from_millis(u64::from(decode_time_code(max_resp_code)) * 100);
            }
        }
    }

    /// RFC 3376 §8.12: Robustness Variable × Query Interval + one Query
    /// Response Interval (260 s with the defaults).
    fn older_version_querier_timeout(&self) -> Duration {
        self.query_interval
            .saturating_mul(u32::from(self.robustness()))
            + self.query_response_interval
    }

    /// The Robustness Variable in use, at least one (§8.1: never zero).
    fn robustness(&self) -> u8 {
        self.robustness.max(1)
    }

    /// Moves the compatibility mode to what the Querier Present timers say
    /// at `now`; a change cancels every pending response and retransmission
    /// (RFC 3376 §7.2.1), and forgets the groups that were only waiting for
    /// their leave messages.
    fn refresh(&mut self, now: Instant) {
        let mode = self.version(now);
        if mode == self.mode {
            return;
        }
        net_debug!(
            "igmp: host compatibility mode {:?} -> {:?}",
            self.mode,
            mode
        );
        self.mode = mode;
        self.change_at = None;
        self.general_at = None;
        self.entries.retain(|e| e.joined);
        for e in self.entries.iter_mut() {
            e.change_left = 0;
            e.timer = None;
            e.unsolicited_left = 0;
        }
    }

    /// Stirs a caller's random value into the generator.
    fn mix(&mut self, random: u32) {
        self.rng.mix(u64::from(random));
    }

    /// Frees a slot for a new group if the table is full: the group being
    /// left with the fewest messages still to send gives way.
    fn make_room(&mut self) -> Result<(), IgmpError> {
        if !self.entries.is_full() {
            return Ok(());
        }
        let victim = self
            .entries
            .iter()
            .filter(|e| !e.joined)
            .min_by_key(|e| e.change_left)
            .map(|e| e.group)
            .ok_or(IgmpError::Full)?;
        self.entries.retain(|e| e.group != victim);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::wire::ipv4::Ipv4Option;
    use std::vec;
    use std::vec::Vec;

    const A: Ipv4Addr = Ipv4Addr::new(239, 1, 2, 3);
    const B: Ipv4Addr = Ipv4Addr::new(239, 1, 2, 4);
    const C: Ipv4Addr = Ipv4Addr::new(239, 1, 2, 5);
    const D: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
    const ANY: Ipv4Addr = Ipv4Addr::UNSPECIFIED;
    const US: Duration = Duration::from_micros(1);

    fn secs(s: i64) -> Instant {
        Instant::from_secs(s)
    }

    /// One message as it went on the wire.
    #[derive(Debug)]
    struct Sent {
        at: Instant,
        dst: Ipv4Addr,
        bytes: Vec<u8>,
    }

    impl Sent {
        /// Parses the bytes back, checksum verified.
        fn repr(&self) -> IgmpRepr<'_> {
            let packet = IgmpPacket::new_checked(&self.bytes[..]).expect("valid length");
            IgmpRepr::parse(&packet, ChecksumMode::Check).expect("valid message")
        }

        /// The records of a v3 report, which never carry sources or aux data.
        fn records(&self) -> Vec<(IgmpRecordType, Ipv4Addr)> {
            assert_eq!(self.dst, ALL_IGMPV3_ROUTERS, "RFC 3376 §4.2.14");
            let IgmpRepr::MembershipReportV3 { records } = self.repr() else {
                panic!("not a v3 report: {:?}", self.repr());
            };
            let mut out: Vec<_> = records
                .iter()
                .map(|r| {
                    let r = r.expect("validated");
                    assert!(r.sources.is_empty() && r.aux_data.is_empty());
                    (r.record_type, r.group_addr)
                })
                .collect();
            out.sort_by_key(|&(t, g)| (u8::from(t), g));
            out
        }
    }

    /// Dispatches once at `now`; the message sent, if any.
    fn send<const N: usize>(igmp: &mut Igmp<N>, now: Instant) -> Option<Sent> {
        let mut out = None;
        let r: Result<(), ()> = igmp.dispatch(now, |o| {
            let mut bytes = vec![0u8; o.repr.buffer_len()];
            o.repr.emit(
                &mut IgmpPacket::new_unchecked(&mut bytes[..]),
                ChecksumMode::Check,
            );
            out = Some(Sent {
                at: now,
                dst: o.dst,
                bytes,
            });
            Ok(())
        });
        assert_eq!(r, Ok(()));
        out
    }

    /// Runs the machine on time, from `from` (the last instant it saw) to
    /// `until` included: every message sent. Each one is checked not to be
    /// sent one µs before the instant `poll_at` gave.
    fn run<const N: usize>(igmp: &mut Igmp<N>, from: Instant, until: Instant) -> Vec<Sent> {
        let mut sent = Vec::new();
        let mut last = from;
        for _ in 0..1000 {
            let Some(t) = igmp.poll_at() else { break };
            if t > until {
                break;
            }
            let t = t.max(last);
            if t - US >= last {
                assert!(send(igmp, t - US).is_none(), "sent before its time {t}");
            }
            sent.extend(send(igmp, t));
            last = t;
        }
        sent
    }

    fn v3_query(code: u8, group: Ipv4Addr) -> IgmpRepr<'static> {
        IgmpRepr::MembershipQueryV3 {
            max_resp_code: code,
            group_addr: group,
            s_flag: false,
            qrv: 2,
            qqic: 125,
            sources: IgmpSources::default(),
        }
    }

    fn old_query(code: u8, group: Ipv4Addr) -> IgmpRepr<'static> {
        IgmpRepr::MembershipQuery {
            max_resp_code: code,
            group_addr: group,
        }
    }

    /// Joins `groups` at `now` and sends all their unsolicited reports.
    fn joined<const N: usize>(groups: &[Ipv4Addr], now: Instant) -> Igmp<N> {
        let mut igmp = Igmp::new();
        for (i, &g) in groups.iter().enumerate() {
            igmp.join(g, now, 0x1234_5678 + i as u32).unwrap();
        }
        run(&mut igmp, now, now + Duration::from_secs(100));
        assert_eq!(igmp.poll_at(), None);
        igmp
    }

    #[test]
    fn rfc3376_5_1_join_sends_change_to_exclude_twice_within_unsolicited_interval() {
        let t0 = secs(10);
        let mut igmp: Igmp<4> = Igmp::new();
        igmp.join(A, t0, 7).unwrap();
        assert!(igmp.is_joined(A));
        assert_eq!(igmp.groups().collect::<Vec<_>>(), vec![A]);
        // §5.1: the first report goes at once.
        assert_eq!(igmp.poll_at(), Some(t0));
        let sent = run(&mut igmp, t0, secs(100));
        assert_eq!(sent.len(), 2, "Robustness Variable = 2 reports");
        assert_eq!(sent[0].at, t0);
        assert!(sent[1].at >= t0 && sent[1].at <= t0 + Duration::from_secs(1));
        for s in &sent {
            assert_eq!(s.records(), vec![(IgmpRecordType::ChangeToExclude, A)]);
            // Type 0x22, reserved, one record: type 4, no aux, no sources, A.
            assert_eq!(s.bytes.len(), 16);
            assert_eq!(s.bytes[0], 0x22);
            assert_eq!(s.bytes[4..8], [0, 0, 0, 1]);
            assert_eq!(s.bytes[8..16], [4, 0, 0, 0, 239, 1, 2, 3]);
        }
        assert_eq!(igmp.poll_at(), None);
        assert_eq!(igmp.version(secs(100)), IgmpVersion::V3);
    }

    #[test]
    fn rfc3376_5_1_retransmission_delay_is_random_within_one_second() {
        let mut gaps = Vec::new();
        for seed in 0..40u32 {
            let mut igmp: Igmp<1> = Igmp::new();
            igmp.join(A, Instant::ZERO, seed.wrapping_mul(0x9e37_79b9))
                .unwrap();
            let sent = run(&mut igmp, Instant::ZERO, secs(10));
            assert_eq!(sent.len(), 2);
            let gap = sent[1].at - sent[0].at;
            assert!(gap <= Duration::from_secs(1), "seed {seed}: {gap}");
            gaps.push(gap);
        }
        gaps.sort();
        gaps.dedup();
        assert!(gaps.len() > 30, "the delay depends on the seed: {gaps:?}");
        assert!(*gaps.last().unwrap() > Duration::from_millis(500));
    }

    #[test]
    fn rfc3376_5_1_leave_sends_change_to_include_twice_then_forgets_the_group() {
        let mut igmp: Igmp<4> = joined(&[A], secs(0));
        let t1 = secs(30);
        assert!(igmp.leave(A, t1, 99));
        assert!(!igmp.is_joined(A));
        assert_eq!(igmp.groups().count(), 0);
        assert_eq!(igmp.poll_at(), Some(t1));
        let sent = run(&mut igmp, t1, secs(100));
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0].at, t1);
        assert!(sent[1].at <= t1 + Duration::from_secs(1));
        for s in &sent {
            assert_eq!(s.records(), vec![(IgmpRecordType::ChangeToInclude, A)]);
        }
        assert_eq!(igmp.poll_at(), None);
        assert!(!igmp.leave(A, secs(101), 1), "left already");
        assert!(!igmp.leave(B, secs(101), 1), "never joined");
        // The slot is free again: four other groups fit.
        for g in [B, C, D, Ipv4Addr::new(239, 9, 9, 9)] {
            igmp.join(g, secs(102), 3).unwrap();
        }
    }

    #[test]
    fn rfc3376_5_1_pending_changes_share_a_report_and_a_new_change_replaces_the_old() {
        let t0 = secs(1);
        let mut igmp: Igmp<4> = Igmp::new();
        igmp.join(A, t0, 5).unwrap();
        let first = send(&mut igmp, t0).unwrap();
        assert_eq!(first.records(), vec![(IgmpRecordType::ChangeToExclude, A)]);
        // B joins before A's retransmission: the next report is at once and
        // carries A's last change and B's first.
        let t1 = t0 + US;
        igmp.join(B, t1, 6).unwrap();
        assert_eq!(igmp.poll_at(), Some(t1));
        let sent = run(&mut igmp, t1, secs(10));
        assert_eq!(sent.len(), 2);
        assert_eq!(
            sent[0].records(),
            vec![
                (IgmpRecordType::ChangeToExclude, A),
                (IgmpRecordType::ChangeToExclude, B)
            ]
        );
        assert_eq!(
            sent[1].records(),
            vec![(IgmpRecordType::ChangeToExclude, B)]
        );

        // A leave before the join was reported replaces it: only TO_IN goes.
        let t2 = secs(20);
        igmp.join(C, t2, 8).unwrap();
        assert!(igmp.leave(C, t2, 9));
        let sent = run(&mut igmp, t2, secs(30));
        assert_eq!(sent.len(), 2);
        for s in &sent {
            assert_eq!(s.records(), vec![(IgmpRecordType::ChangeToInclude, C)]);
        }
        // Joining a group being left joins it again, with a fresh count.
        let t3 = secs(40);
        assert!(igmp.leave(A, t3, 1));
        igmp.join(A, t3 + US, 2).unwrap();
        assert!(igmp.is_joined(A));
        let sent = run(&mut igmp, t3, secs(50));
        assert_eq!(sent.len(), 2);
        for s in &sent {
            assert_eq!(s.records(), vec![(IgmpRecordType::ChangeToExclude, A)]);
        }
    }

    #[test]
    fn rfc3376_5_2_general_query_answered_once_within_max_resp_time_with_every_group() {
        let mut igmp: Igmp<4> = joined(&[A, B, D], secs(0));
        let q = secs(50);
        // Max Resp Code 100: 10 s.
        igmp.process_query(q, &v3_query(100, ANY), ALL_SYSTEMS, 11);
        let due = igmp.poll_at().unwrap();
        assert!(due >= q && due <= q + Duration::from_secs(10));
        // A second General Query does not add a second response (§5.2
        // rules 1 and 2: the earlier one stands).
        igmp.process_query(q + US, &v3_query(100, ANY), ALL_SYSTEMS, 12);
        let sent = run(&mut igmp, q, secs(200));
        assert_eq!(sent.len(), 1);
        assert!(sent[0].at <= q + Duration::from_secs(10));
        assert_eq!(
            sent[0].records(),
            vec![
                (IgmpRecordType::ModeIsExclude, D),
                (IgmpRecordType::ModeIsExclude, A),
                (IgmpRecordType::ModeIsExclude, B),
            ]
        );
        assert_eq!(sent[0].bytes.len(), 8 + 3 * 8);
    }

    #[test]
    fn rfc3376_4_1_1_max_resp_code_is_decoded_as_floating_point() {
        // 0xff: exponent 7, mantissa 15: 31 << 10 = 31744 tenths = 3174.4 s,
        // where a linear reading would give 25.5 s.
        let limit = Duration::from_millis(3_174_400);
        let mut longest = Duration::ZERO;
        for seed in 1..=20u32 {
            let mut igmp: Igmp<1> = joined(&[A], secs(0));
            igmp.process_query(secs(100), &v3_query(0xff, ANY), ALL_SYSTEMS, seed);
            let delay = igmp.poll_at().unwrap() - secs(100);
            assert!(delay <= limit);
            longest = longest.max(delay);
        }
        assert!(longest > Duration::from_secs(26), "{longest}");
    }

    #[test]
    fn rfc3376_5_2_group_specific_query_answers_that_group_only() {
        let mut igmp: Igmp<4> = joined(&[A, B], secs(0));
        let q = secs(50);
        // Sent to the group, as §4.1.12 says; Max Resp Code 10: 1 s.
        igmp.process_query(q, &v3_query(10, A), A, 3);
        let sent = run(&mut igmp, q, secs(100));
        assert_eq!(sent.len(), 1);
        assert!(sent[0].at <= q + Duration::from_secs(1));
        assert_eq!(sent[0].records(), vec![(IgmpRecordType::ModeIsExclude, A)]);

        // A group we are not in: nothing.
        igmp.process_query(secs(101), &v3_query(10, C), C, 4);
        assert_eq!(igmp.poll_at(), None);

        // Group-and-source-specific: answered with the group's state.
        let sources = [10, 0, 0, 1, 10, 0, 0, 2];
        let gss = IgmpRepr::MembershipQueryV3 {
            max_resp_code: 10,
            group_addr: B,
            s_flag: false,
            qrv: 2,
            qqic: 125,
            sources: IgmpSources::new(&sources).unwrap(),
        };
        igmp.process_query(secs(110), &gss, B, 5);
        let sent = run(&mut igmp, secs(110), secs(200));
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].records(), vec![(IgmpRecordType::ModeIsExclude, B)]);
    }

    #[test]
    fn rfc3376_5_2_rule_1_pending_general_response_covers_a_group_query() {
        let mut igmp: Igmp<4> = joined(&[A, B], secs(0));
        let q = secs(50);
        // General: due within 0.1 s. Group-specific 0.1 s later: whatever
        // its delay, the general response is due no later.
        igmp.process_query(q, &v3_query(1, ANY), ALL_SYSTEMS, 3);
        igmp.process_query(q + Duration::from_millis(100), &v3_query(100, A), A, 4);
        let sent = run(&mut igmp, q, secs(100));
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].records().len(), 2);

        // Rule 4: a second group query keeps the earlier of the two times.
        igmp.process_query(secs(200), &v3_query(100, A), A, 5);
        let first = igmp.poll_at().unwrap();
        igmp.process_query(secs(200) + US, &v3_query(255, A), A, 6);
        assert_eq!(igmp.poll_at(), Some(first));
        assert_eq!(run(&mut igmp, secs(200) + US, secs(300)).len(), 1);
    }

    #[test]
    fn rfc3376_9_1_general_query_not_to_all_systems_is_ignored() {
        let mut igmp: Igmp<4> = joined(&[A], secs(0));
        let unicast = Ipv4Addr::new(192, 168, 1, 10);
        igmp.process_query(secs(10), &v3_query(100, ANY), unicast, 1);
        igmp.process_query(secs(10), &old_query(100, ANY), unicast, 1);
        igmp.process_query(secs(10), &old_query(0, ANY), unicast, 1);
        assert_eq!(igmp.poll_at(), None);
        assert_eq!(
            igmp.version(secs(11)),
            IgmpVersion::V3,
            "no forged downgrade"
        );
        // A v3 General Query with sources is meaningless: ignored too.
        let sources = [10, 0, 0, 1];
        let bad = IgmpRepr::MembershipQueryV3 {
            max_resp_code: 100,
            group_addr: ANY,
            s_flag: false,
            qrv: 2,
            qqic: 125,
            sources: IgmpSources::new(&sources).unwrap(),
        };
        igmp.process_query(secs(12), &bad, ALL_SYSTEMS, 1);
        // A group-specific query for a unicast "group", and non-queries.
        igmp.process_query(secs(12), &v3_query(100, unicast), unicast, 1);
        igmp.process_query(
            secs(12),
            &IgmpRepr::MembershipReportV2 { group_addr: A },
            A,
            1,
        );
        assert_eq!(igmp.poll_at(), None);
    }

    #[test]
    fn rfc3376_7_2_1_v2_querier_switches_to_v2_reports_and_back_to_v3_after_260s() {
        let mut igmp: Igmp<4> = joined(&[A], secs(0));
        let q = secs(100);
        igmp.process_query(q, &old_query(100, ANY), ALL_SYSTEMS, 21);
        assert_eq!(igmp.version(q), IgmpVersion::V2);
        // RFC 2236 §3: the answer is a v2 report sent to the group itself.
        let sent = run(&mut igmp, q, secs(149));
        assert_eq!(sent.len(), 1);
        assert!(sent[0].at <= q + Duration::from_secs(10));
        assert_eq!(sent[0].dst, A);
        assert_eq!(
            sent[0].repr(),
            IgmpRepr::MembershipReportV2 { group_addr: A }
        );
        assert_eq!(sent[0].bytes, [0x16, 0, 0xf8, 0xfa, 239, 1, 2, 3]);

        // A join in v2 mode: two v2 reports, at once and within 10 s.
        let j = secs(150);
        igmp.join(B, j, 22).unwrap();
        let sent = run(&mut igmp, j, secs(200));
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0].at, j);
        assert!(sent[1].at <= j + Duration::from_secs(10));
        for s in &sent {
            assert_eq!(s.dst, B);
            assert_eq!(s.repr(), IgmpRepr::MembershipReportV2 { group_addr: B });
        }

        // §8.12: 2 × 125 s + 10 s after the query, back to v3.
        let back = q + Duration::from_secs(260);
        assert_eq!(igmp.version(back - US), IgmpVersion::V2);
        assert_eq!(igmp.version(back), IgmpVersion::V3);
        igmp.join(C, back, 23).unwrap();
        let sent = run(&mut igmp, back, back + Duration::from_secs(10));
        assert_eq!(sent.len(), 2);
        for s in &sent {
            assert_eq!(s.records(), vec![(IgmpRecordType::ChangeToExclude, C)]);
        }
    }

    #[test]
    fn rfc3376_7_2_1_a_mode_change_cancels_pending_reports() {
        // v3 → v2: the second v3 report of a join is not sent.
        let mut igmp: Igmp<4> = Igmp::new();
        igmp.join(A, secs(0), 1).unwrap();
        assert!(send(&mut igmp, secs(0)).is_some());
        assert!(igmp.poll_at().is_some());
        igmp.process_query(secs(0) + US, &old_query(100, ANY), ALL_SYSTEMS, 2);
        let sent = run(&mut igmp, secs(0) + US, secs(100));
        assert_eq!(sent.len(), 1, "only the answer to the v2 query");
        assert_eq!(sent[0].dst, A);

        // v2 → v3 at the timeout: a v2 repeat due after it is not sent.
        let j = secs(260) - US;
        igmp.join(B, j, 3).unwrap();
        assert_eq!(send(&mut igmp, j).unwrap().dst, B);
        let repeat = igmp.poll_at().unwrap();
        assert!(
            repeat >= secs(260),
            "the seed puts the repeat after the switch"
        );
        assert!(run(&mut igmp, j, secs(400)).is_empty());
        assert_eq!(igmp.version(secs(400)), IgmpVersion::V3);
    }

    #[test]
    fn rfc2236_3_another_hosts_report_suppresses_ours() {
        let mut igmp: Igmp<4> = Igmp::new();
        igmp.process_query(secs(0), &old_query(100, ANY), ALL_SYSTEMS, 1);
        // Unsolicited: the first report goes, the repeat is suppressed.
        igmp.join(A, secs(1), 2).unwrap();
        assert_eq!(send(&mut igmp, secs(1)).unwrap().dst, A);
        assert!(igmp.poll_at().is_some());
        igmp.process_report(A);
        assert_eq!(igmp.poll_at(), None);
        // Solicited: the answer to a query is suppressed.
        igmp.process_query(secs(20), &old_query(100, ANY), ALL_SYSTEMS, 3);
        assert!(igmp.poll_at().is_some());
        igmp.process_report(B); // another group: no effect
        assert!(igmp.poll_at().is_some());
        igmp.process_report(A);
        assert_eq!(igmp.poll_at(), None);
        assert!(run(&mut igmp, secs(20), secs(100)).is_empty());
        // Someone else reported last: leaving sends nothing (RFC 2236 §3 MAY).
        assert!(igmp.leave(A, secs(101), 4));
        assert_eq!(igmp.poll_at(), None);
        assert!(!igmp.is_joined(A));
    }

    #[test]
    fn rfc2236_3_last_reporter_sends_leave_group_to_all_routers() {
        let mut igmp: Igmp<4> = Igmp::new();
        igmp.process_query(secs(0), &old_query(100, ANY), ALL_SYSTEMS, 1);
        igmp.join(A, secs(1), 2).unwrap();
        assert_eq!(run(&mut igmp, secs(1), secs(20)).len(), 2);
        assert!(igmp.leave(A, secs(30), 3));
        assert!(!igmp.is_joined(A));
        let sent = run(&mut igmp, secs(30), secs(100));
        assert_eq!(sent.len(), 1, "one Leave Group");
        assert_eq!(sent[0].at, secs(30));
        assert_eq!(sent[0].dst, ALL_ROUTERS);
        assert_eq!(sent[0].repr(), IgmpRepr::LeaveGroup { group_addr: A });
        assert_eq!(igmp.poll_at(), None);
    }

    #[test]
    fn rfc3376_appendix_a_v3_hosts_do_not_suppress() {
        let mut igmp: Igmp<4> = Igmp::new();
        igmp.join(A, secs(0), 1).unwrap();
        igmp.process_report(A);
        assert_eq!(run(&mut igmp, secs(0), secs(10)).len(), 2);
        igmp.process_query(secs(20), &v3_query(100, ANY), ALL_SYSTEMS, 2);
        igmp.process_report(A);
        assert_eq!(run(&mut igmp, secs(20), secs(40)).len(), 1);
    }

    #[test]
    fn rfc2236_3_timer_restarted_only_if_max_resp_time_is_shorter() {
        let mut igmp: Igmp<4> = Igmp::new();
        igmp.process_query(secs(0), &old_query(100, ANY), ALL_SYSTEMS, 1);
        igmp.join(A, secs(1), 2).unwrap();
        assert_eq!(run(&mut igmp, secs(1), secs(20)).len(), 2);

        let q = secs(100);
        igmp.process_query(q, &old_query(100, ANY), ALL_SYSTEMS, 3);
        let t1 = igmp.poll_at().unwrap();
        assert!(
            t1 > q + Duration::from_millis(100),
            "the seed leaves > 0.1 s"
        );
        // 25.5 s is not shorter than what is left: the timer stands.
        igmp.process_query(q, &old_query(255, A), A, 4);
        assert_eq!(igmp.poll_at(), Some(t1));
        // Exactly what is left is not shorter either.
        let left = t1 - q;
        let tenths = u8::try_from(left.total_millis().div_ceil(100)).unwrap();
        if Duration::from_millis(u64::from(tenths) * 100) == left {
            igmp.process_query(q, &old_query(tenths, A), A, 5);
            assert_eq!(igmp.poll_at(), Some(t1));
        }
        // 0.1 s is shorter: restarted within 0.1 s.
        igmp.process_query(q, &old_query(1, A), A, 6);
        let t2 = igmp.poll_at().unwrap();
        assert!(t2 <= q + Duration::from_millis(100));
        let sent = run(&mut igmp, q, secs(200));
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].at, t2);
    }

    #[test]
    fn rfc1112_v1_querier_gives_v1_reports_and_no_leave() {
        let mut igmp: Igmp<4> = Igmp::new();
        igmp.process_query(secs(0), &old_query(0, ANY), ALL_SYSTEMS, 1);
        assert_eq!(igmp.version(secs(0)), IgmpVersion::V1);
        igmp.join(A, secs(1), 2).unwrap();
        let sent = run(&mut igmp, secs(1), secs(30));
        assert_eq!(sent.len(), 2);
        assert!(sent[1].at <= secs(11));
        for s in &sent {
            assert_eq!(s.dst, A);
            assert_eq!(s.repr(), IgmpRepr::MembershipReportV1 { group_addr: A });
        }
        // A v2 query does not leave v1 mode (§7.2.1: v1 wins), and in v1
        // mode every query is general with 10 s to answer.
        igmp.join(B, secs(40), 3).unwrap();
        run(&mut igmp, secs(40), secs(60));
        igmp.process_query(secs(100), &old_query(1, B), B, 4);
        assert_eq!(igmp.version(secs(100)), IgmpVersion::V1);
        let sent = run(&mut igmp, secs(100), secs(150));
        assert_eq!(sent.len(), 2, "both groups answer");
        for s in &sent {
            assert!(s.at <= secs(110));
            assert!(matches!(s.repr(), IgmpRepr::MembershipReportV1 { .. }));
        }
        // No leave message in v1.
        assert!(igmp.leave(A, secs(160), 5));
        assert_eq!(igmp.poll_at(), None);
        // The v1 timer (from 0 s) ends at 260 s; the v2 one (from 100 s) runs on.
        assert_eq!(igmp.version(secs(260) - US), IgmpVersion::V1);
        assert_eq!(igmp.version(secs(260)), IgmpVersion::V2);
        assert_eq!(igmp.version(secs(360)), IgmpVersion::V3);
    }

    #[test]
    fn rfc3376_5_all_systems_group_is_implicit_and_never_reported() {
        let mut igmp: Igmp<1> = Igmp::new();
        assert!(igmp.is_joined(ALL_SYSTEMS));
        igmp.join(ALL_SYSTEMS, secs(0), 1).unwrap();
        assert_eq!(igmp.poll_at(), None);
        assert_eq!(igmp.groups().count(), 0);
        assert!(!igmp.leave(ALL_SYSTEMS, secs(0), 1));
        assert!(igmp.is_joined(ALL_SYSTEMS));
        // General and group-specific queries, v3 and v2: nothing to say.
        igmp.process_query(secs(1), &v3_query(10, ANY), ALL_SYSTEMS, 2);
        igmp.process_query(secs(1), &v3_query(10, ALL_SYSTEMS), ALL_SYSTEMS, 2);
        assert!(run(&mut igmp, secs(1), secs(20)).is_empty());
        igmp.process_query(secs(30), &old_query(10, ANY), ALL_SYSTEMS, 3);
        assert!(run(&mut igmp, secs(30), secs(50)).is_empty());
        // It takes no slot: the one slot still holds a real group, and a
        // general query reports that group only.
        igmp.join(A, secs(60), 4).unwrap();
        let sent = run(&mut igmp, secs(60), secs(75));
        assert_eq!(sent.len(), 2, "two unsolicited reports");
        igmp.process_query(secs(80), &old_query(10, ANY), ALL_SYSTEMS, 5);
        let sent = run(&mut igmp, secs(80), secs(100));
        assert_eq!(sent.len(), 1, "one answer");
        assert_eq!(
            sent[0].repr(),
            IgmpRepr::MembershipReportV2 { group_addr: A }
        );
    }

    #[test]
    fn join_refuses_non_multicast_and_a_full_table() {
        let mut igmp: Igmp<2> = Igmp::new();
        for bad in [
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::BROADCAST,
            ANY,
            Ipv4Addr::new(240, 0, 0, 1),
        ] {
            assert_eq!(igmp.join(bad, secs(0), 1), Err(IgmpError::NotMulticast));
        }
        igmp.join(A, secs(0), 1).unwrap();
        igmp.join(B, secs(0), 2).unwrap();
        assert_eq!(igmp.join(C, secs(0), 3), Err(IgmpError::Full));
        assert!(!igmp.is_joined(C));
        // Joined already, or implicit: no slot needed.
        assert_eq!(igmp.join(A, secs(0), 4), Ok(()));
        assert_eq!(igmp.join(ALL_SYSTEMS, secs(0), 5), Ok(()));
        let sent = run(&mut igmp, secs(0), secs(10));
        assert_eq!(sent.len(), 2, "a second join of A is no state change");
        // A group being left gives its slot to a new one.
        assert!(igmp.leave(A, secs(20), 6));
        assert_eq!(igmp.join(C, secs(20), 7), Ok(()));
        let mut groups: Vec<_> = igmp.groups().collect();
        groups.sort();
        assert_eq!(groups, vec![B, C]);
        assert_eq!(igmp.join(A, secs(20), 8), Err(IgmpError::Full));
        let sent = run(&mut igmp, secs(20), secs(30));
        assert!(sent
            .iter()
            .all(|s| s.records() == vec![(IgmpRecordType::ChangeToExclude, C)]));
    }

    #[test]
    fn dispatch_error_keeps_the_report() {
        // v3 join.
        let mut igmp: Igmp<2> = Igmp::new();
        igmp.join(A, secs(0), 1).unwrap();
        let mut calls = 0;
        let r = igmp.dispatch(secs(0), |o| {
            calls += 1;
            assert_eq!(o.dst, ALL_IGMPV3_ROUTERS);
            Err("queue full")
        });
        assert_eq!(r, Err("queue full"));
        assert_eq!(calls, 1);
        assert_eq!(igmp.poll_at(), Some(secs(0)));
        let sent = run(&mut igmp, secs(0), secs(10));
        assert_eq!(sent.len(), 2, "still two reports");

        // v3 query response.
        igmp.process_query(secs(20), &v3_query(10, ANY), ALL_SYSTEMS, 2);
        let due = igmp.poll_at().unwrap();
        assert_eq!(igmp.dispatch(due, |_| Err(())), Err(()));
        assert_eq!(igmp.poll_at(), Some(due));
        assert_eq!(run(&mut igmp, due, secs(40)).len(), 1);

        // v2 report and Leave Group.
        igmp.process_query(secs(50), &old_query(10, ANY), ALL_SYSTEMS, 3);
        let due = igmp.poll_at().unwrap();
        assert_eq!(igmp.dispatch(due, |_| Err(())), Err(()));
        assert_eq!(igmp.poll_at(), Some(due));
        assert_eq!(send(&mut igmp, due).unwrap().dst, A);
        assert!(igmp.leave(A, secs(60), 4));
        assert_eq!(igmp.dispatch(secs(60), |_| Err(())), Err(()));
        let leave = send(&mut igmp, secs(60)).unwrap();
        assert_eq!(leave.repr(), IgmpRepr::LeaveGroup { group_addr: A });
        assert_eq!(igmp.poll_at(), None);
    }

    #[test]
    fn rfc3376_4_1_6_learned_qrv_and_qqic_set_retransmissions_and_older_querier_timeout() {
        let mut igmp: Igmp<2> = Igmp::new();
        let q = IgmpRepr::MembershipQueryV3 {
            max_resp_code: 100,
            group_addr: ANY,
            s_flag: false,
            qrv: 3,
            qqic: 60,
            sources: IgmpSources::default(),
        };
        igmp.process_query(secs(0), &q, ALL_SYSTEMS, 1);
        igmp.join(A, secs(1), 2).unwrap();
        let changes = run(&mut igmp, secs(1), secs(19))
            .iter()
            .filter(|s| s.records() == [(IgmpRecordType::ChangeToExclude, A)])
            .count();
        assert_eq!(changes, 3, "QRV 3");
        // §8.12 with the learned values: 3 × 60 s + 10 s = 190 s.
        igmp.process_query(secs(20), &old_query(100, ANY), ALL_SYSTEMS, 3);
        assert_eq!(igmp.version(secs(210) - US), IgmpVersion::V2);
        assert_eq!(igmp.version(secs(210)), IgmpVersion::V3);
    }

    #[test]
    fn rfc2236_2_datagram_has_ttl_1_router_alert_and_internetwork_control() {
        assert_eq!(router_alert_option(), [0x94, 0x04, 0x00, 0x00]);
        let mut igmp: Igmp<2> = Igmp::new();
        igmp.join(A, secs(0), 1).unwrap();
        let src = Ipv4Addr::new(192, 168, 1, 10);
        let mut buf = [0u8; 64];
        let mut len = 0;
        igmp.dispatch(secs(0), |o| {
            assert_eq!(o.datagram_len(), 24 + 16);
            assert_eq!(
                o.emit_datagram(src, 7, &mut buf[..39], ChecksumMode::Check),
                Err(WireError::Truncated)
            );
            len = o.emit_datagram(src, 7, &mut buf, ChecksumMode::Check)?;
            Ok::<(), WireError>(())
        })
        .unwrap();
        assert_eq!(len, 40);
        let packet = Ipv4Packet::new_checked(&buf[..len]).unwrap();
        let ip = Ipv4Repr::parse(&packet, ChecksumMode::Check).unwrap();
        assert_eq!(buf[0], 0x46, "version 4, IHL 6");
        assert_eq!(buf[1], 0xc0, "TOS 0xc0");
        assert_eq!(ip.hop_limit, 1);
        assert_eq!(ip.next_header, IpProtocol::Igmp);
        assert_eq!((ip.src_addr, ip.dst_addr), (src, ALL_IGMPV3_ROUTERS));
        assert!(ip.dont_frag && !ip.more_frags);
        assert_eq!(ip.ident, 7);
        assert_eq!(ip.payload_len, 16);
        let options: Vec<_> = packet.options_iter().map(Result::unwrap).collect();
        assert_eq!(options.len(), 1);
        assert_eq!(options[0].kind, Ipv4Option::ROUTER_ALERT);
        assert_eq!(options[0].data, [0, 0]);
        let igmp_packet = IgmpPacket::new_checked(packet.payload()).unwrap();
        let repr = IgmpRepr::parse(&igmp_packet, ChecksumMode::Check).unwrap();
        assert!(matches!(repr, IgmpRepr::MembershipReportV3 { records } if records.len() == 1));
        // ipv4_repr says the same (payload = the IGMP message only).
        let out = IgmpOutput {
            dst: A,
            repr: IgmpRepr::MembershipReportV2 { group_addr: A },
        };
        let r = out.ipv4_repr(src, 9);
        assert_eq!((r.hop_limit, r.dscp, r.payload_len), (1, IPV4_DSCP, 8));
        // Offloaded header checksum: left zero, the IGMP one still computed.
        let mut buf = [0xffu8; 32];
        assert_eq!(
            out.emit_datagram(ANY, 9, &mut buf, ChecksumMode::Skip),
            Ok(32)
        );
        assert_eq!(buf[10..12], [0, 0]);
        let igmp_packet = IgmpPacket::new_checked(&buf[24..]).unwrap();
        assert!(igmp_packet.verify_checksum());
    }

    #[test]
    fn poll_at_is_the_earliest_timer() {
        let mut igmp: Igmp<4> = joined(&[A, B], secs(0));
        assert_eq!(igmp.poll_at(), None);
        igmp.process_query(secs(10), &v3_query(100, A), A, 1);
        let group = igmp.poll_at().unwrap();
        igmp.join(C, secs(11), 2).unwrap();
        assert_eq!(igmp.poll_at(), Some(group.min(secs(11))));
    }
}
