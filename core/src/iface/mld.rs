//! The listener side of MLD for one interface: reporting its IPv6 multicast
//! groups (the solicited-node groups of its addresses and the groups the
//! application joins) to the multicast routers and snooping bridges of the
//! link.
//!
//! MLDv2 by default (RFC 3810, as Linux), falling back to MLDv1 (RFC 2710)
//! while an MLDv1 querier is heard (RFC 3810 §8.2.1). Every group is joined
//! in filter mode `EXCLUDE {}` ("all sources"): no source filtering is
//! offered, so no record ever carries sources.
//!
//! What is implemented (a listener's behaviour, none of a router's):
//! - RFC 3810 §6.1 (state changes): a join sends `CHANGE_TO_EXCLUDE_MODE {}`,
//!   a leave `CHANGE_TO_INCLUDE_MODE {}`, at once and then again until
//!   [Robustness Variable] reports were sent, at random intervals in
//!   `[0, Unsolicited Report Interval]` (§9.11: 1 s). Pending changes of all
//!   groups travel in one report; a new change for a group restarts its count.
//! - RFC 3810 §6.2 (queries): one interface timer for General Queries and a
//!   timer per group for Multicast Address Specific ones, with the four
//!   rules of §6.2; the answer is `MODE_IS_EXCLUDE {}` records for every
//!   group (general) or for the group queried. A Multicast Address and
//!   Source Specific Query is answered as an address-specific one: with
//!   `EXCLUDE {}` every queried source is wanted, and the group's full
//!   current state says so, so no source list needs storing.
//! - RFC 3810 §5.1.3 and §5.1.9: Maximum Response Code and QQIC decoded,
//!   exponential forms included ([`decode_max_resp_code`], [`decode_qqic`]).
//! - RFC 3810 §5.1.14: queries not from a link-local source or not with hop
//!   limit 1 are refused ([`MldInvalid`]; the interface drops and counts
//!   them). Queries of a length other than 24 or ≥ 28 bytes are refused by
//!   the wire parser already.
//! - RFC 3810 §8.2.1 (compatibility): an MLDv1 query (24 bytes) starts the
//!   Older Version Querier Present timer for its timeout (§9.12: Robustness
//!   × Query Interval + Query Response Interval, 260 s by default, with the
//!   values learned from the last MLDv2 query). While it runs the listener
//!   speaks MLDv1 (RFC 2710 §4): a report to the group at once and again
//!   after a random delay in `[0, 10 s]`, per-group timers on queries,
//!   suppression by another listener's report, and a Done to ff02::2 on
//!   leave if we were the last reporter. A change of mode cancels every
//!   pending response and retransmission (§8.2.1).
//! - RFC 3810 §6: ff02::1 (link-scope all-nodes) is joined implicitly and
//!   never reported, nor is any group of reserved or interface-local scope
//!   (scopes 0 and 1).
//!
//! The machine is sans-IO and has no heap: `N` groups (at most
//! [`MAX_GROUPS`]) and one buffer of `N` address records. It never reads a
//! clock or an entropy source: `now` and `random` come from the caller.
//!
//! # How the interface uses it
//! - [`Mld::join`]/[`Mld::leave`] for the solicited-node group of every
//!   address it configures (RFC 4861 §7.2.1, RFC 4862 §5.4.2) and for every
//!   group the application joins; a group joined twice (two addresses with
//!   the same interface ID share a solicited-node group) is counted and
//!   left only after its last user leaves.
//! - Every MLD message received (checksum verified, parsed as
//!   [`MldRepr`]) goes to [`Mld::process`] with its source and hop limit.
//! - In its egress step it calls [`Mld::dispatch`] while [`Mld::poll_at`]
//!   is at or before `now`, and its own `poll_at` is the minimum with it.
//! - Each [`MldOutput`] goes out as one IPv6 packet with hop limit 1, a
//!   Hop-by-Hop header holding the Router Alert option (RFC 2711, RFC 3810
//!   §5), from the link-local address (or `::` while none is usable,
//!   §5.2.13): [`MldOutput::emit_datagram`].

use super::membership::{
    Compat, Due, Full, Learned, Membership, Querier, Query, RecordKind, Records, Timers,
};
use crate::time::{Duration, Instant};
use crate::wire::icmpv6::mld::{MldAddressRecord, MldRecordType, MldRepr, RECORD_LEN};
use crate::wire::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use crate::wire::ipv6::{Ipv6Packet, Ipv6Repr};
use crate::wire::{ChecksumMode, Error as WireError, IpProtocol, Ipv6Addr};

pub use super::membership::ALL_NODES;
/// ff02::2, link-scope all-routers: where MLDv1 Done messages go (RFC 2710 §4).
pub const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);
/// ff02::16, all MLDv2-capable routers: where MLDv2 reports go (RFC 3810 §5.2.14).
pub const ALL_MLDV2_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x16);

/// The most groups an [`Mld`] may hold: a report with one 20-byte record per
/// group, `40 + 8 + 8 + 60 × 20 = 1256` bytes, fits the IPv6 minimum MTU of
/// 1280 (RFC 8200 §5), so no report is ever fragmented or split.
pub const MAX_GROUPS: usize = 60;

/// Hop limit of every MLD message: it never leaves the link (RFC 3810 §5).
pub const HOP_LIMIT: u8 = 1;
/// Length of the IPv6 header plus the Hop-by-Hop header before the message.
pub const HEADER_LEN: usize = 40 + 8;

/// The Hop-by-Hop Options header every MLD message carries (RFC 3810 §5,
/// RFC 2710 §3): next header 58 (ICMPv6), length 0 (8 bytes), the Router
/// Alert option (RFC 2711 §2.1: type 5, length 2, value 0 "Multicast
/// Listener Discovery message"), then a 2-byte PadN to the 8-byte boundary.
/// Routers and snooping bridges look at the packet although it is not
/// addressed to them because of this option.
pub const fn router_alert_header() -> [u8; 8] {
    [58, 0, 5, 2, 0, 0, 1, 0]
}

/// RFC 3810 §5.1.3: the Maximum Response Delay, in milliseconds, that a
/// Maximum Response Code stands for: the code itself below 32768, else a
/// floating-point value `(mant | 0x1000) << (exp + 3)` with a 3-bit
/// exponent and a 12-bit mantissa.
pub const fn decode_max_resp_code(code: u16) -> u32 {
    crate::wire::ip::decode_exponential(code, 16)
}

/// RFC 3810 §5.1.9: the Querier's Query Interval, in seconds, that a QQIC
/// stands for: the code itself below 128, else `(mant | 0x10) << (exp + 3)`
/// with a 3-bit exponent and a 4-bit mantissa.
pub const fn decode_qqic(code: u8) -> u32 {
    crate::wire::ip::decode_exponential(code as u16, 8)
}

/// Why [`Mld::join`] refused a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MldError {
    /// Not an IPv6 multicast (ff00::/8) address.
    NotMulticast,
    /// Every slot holds a joined group.
    Full,
}

impl core::fmt::Display for MldError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MldError::NotMulticast => f.write_str("not an IPv6 multicast address"),
            MldError::Full => f.write_str("multicast group table full"),
        }
    }
}

/// Why [`Mld::process`] refused a query (RFC 3810 §5.1.14): the interface
/// drops the message and counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MldInvalid {
    /// The source is not a link-local address (a query from off the link).
    NotLinkLocal,
    /// The hop limit is not 1 (the query was forwarded).
    HopLimit,
    /// A Multicast Address Specific Query for an address that is not a
    /// multicast address.
    NotMulticast,
}

/// The MLD version the listener speaks: its Host Compatibility Mode (RFC 3810 §8.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MldVersion {
    /// RFC 2710: v1 reports to the group, Done to ff02::2.
    V1,
    /// RFC 3810: v2 reports to ff02::16 (the default).
    V2,
}

/// The timers and counters of [`Mld`]: RFC 3810 §9 and RFC 2710 §7 defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MldConfig {
    /// Robustness Variable (RFC 3810 §9.1): how many times a state change is
    /// reported. An MLDv2 query's non-zero QRV replaces it (§5.1.8). Zero is
    /// taken as one (§9.1: it MUST NOT be zero).
    pub robustness: u8,
    /// Query Interval (§9.2), until an MLDv2 query's QQIC says otherwise.
    pub query_interval: Duration,
    /// Query Response Interval (§9.3), until an MLDv2 query's Maximum
    /// Response Code says otherwise; used in the Older Version Querier
    /// Present Timeout.
    pub query_response_interval: Duration,
    /// Unsolicited Report Interval of MLDv2 (RFC 3810 §9.11).
    pub unsolicited_report_interval_v2: Duration,
    /// Unsolicited Report Interval of MLDv1 (RFC 2710 §7.10).
    pub unsolicited_report_interval_v1: Duration,
}

impl MldConfig {
    /// The RFC defaults.
    pub const DEFAULT: MldConfig = MldConfig {
        robustness: 2,
        query_interval: Duration::from_secs(125),
        query_response_interval: Duration::from_secs(10),
        unsolicited_report_interval_v2: Duration::from_secs(1),
        unsolicited_report_interval_v1: Duration::from_secs(10),
    };
}

impl Default for MldConfig {
    fn default() -> MldConfig {
        MldConfig::DEFAULT
    }
}

/// One message to send: the MLD message and its IPv6 destination.
///
/// v2 reports go to ff02::16 (RFC 3810 §5.2.14), v1 reports to the group
/// reported and Done to ff02::2 (RFC 2710 §4). The records of a v2 report
/// are lent from the machine's own buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MldOutput<'a> {
    /// The IPv6 destination address (also the Ethernet multicast destination).
    pub dst: Ipv6Addr,
    /// The message.
    pub repr: MldRepr<'a>,
}

impl MldOutput<'_> {
    /// The length of the whole IPv6 packet: header, Hop-by-Hop header with
    /// Router Alert, then the MLD message.
    pub fn datagram_len(&self) -> usize {
        HEADER_LEN + self.repr.buffer_len()
    }

    /// Writes the whole packet from `src` at the start of `buf` and returns
    /// its length: hop limit 1 and the Router Alert (RFC 3810 §5), the
    /// ICMPv6 checksum over the pseudo-header (computed unless `checksum`
    /// leaves it to the device). Fails with `Truncated` when `buf` is
    /// shorter than [`datagram_len`](Self::datagram_len).
    pub fn emit_datagram(
        &self,
        src: Ipv6Addr,
        buf: &mut [u8],
        checksum: ChecksumMode,
    ) -> Result<usize, WireError> {
        let len = self.datagram_len();
        let buf = buf.get_mut(..len).ok_or(WireError::Truncated)?;
        let (ip, rest) = buf.split_at_mut(40);
        let (hbh, icmp) = rest.split_at_mut(8);
        let repr = Ipv6Repr {
            src_addr: src,
            dst_addr: self.dst,
            next_header: IpProtocol::HopByHop,
            payload_len: u16::try_from(len - 40).map_err(|_| WireError::Truncated)?,
            hop_limit: HOP_LIMIT,
            traffic_class: 0,
            flow_label: 0,
        };
        repr.emit(&mut Ipv6Packet::new_unchecked(ip));
        hbh.copy_from_slice(&router_alert_header());
        Icmpv6Repr::Mld(self.repr).emit(
            &src,
            &self.dst,
            &mut Icmpv6Packet::new_unchecked(icmp),
            checksum,
        );
        Ok(len)
    }
}

/// The MLD listener state of one interface: its IPv6 multicast groups (up
/// to `N`, at most [`MAX_GROUPS`]) and their timers.
///
/// Fixed size, no heap. See the [module documentation](self) for what is
/// implemented and how the interface drives it.
#[derive(Debug, Clone)]
pub struct Mld<const N: usize> {
    config: MldConfig,
    /// The groups and their timers: the engine IGMP shares.
    engine: Membership<Ipv6Addr, N>,
    /// Where a v2 report's address records are built, one 20-byte record (no
    /// sources, no aux data) per group at most.
    records: [[u8; RECORD_LEN]; N],
}

impl<const N: usize> Default for Mld<N> {
    fn default() -> Mld<N> {
        Mld::new()
    }
}

impl<const N: usize> Mld<N> {
    /// No group joined, MLDv2, RFC default timers.
    pub const fn new() -> Mld<N> {
        Mld::with_config(MldConfig::DEFAULT)
    }

    /// No group joined, MLDv2, the given timers.
    pub const fn with_config(config: MldConfig) -> Mld<N> {
        const {
            assert!(
                N <= MAX_GROUPS,
                "Mld<N>: N must be at most MAX_GROUPS (one report must fit 1280 bytes)"
            )
        };
        Mld {
            config,
            engine: Membership::new(Timers {
                robustness: config.robustness,
                query_interval: config.query_interval,
                query_response_interval: config.query_response_interval,
                unsolicited_current: config.unsolicited_report_interval_v2,
                unsolicited_older: config.unsolicited_report_interval_v1,
                // MLD has no version without a Maximum Response Delay.
                oldest_max_response: config.query_response_interval,
            }),
            records: [[0; RECORD_LEN]; N],
        }
    }

    /// The configured timers.
    pub fn config(&self) -> &MldConfig {
        &self.config
    }

    /// The Host Compatibility Mode at `now` (RFC 3810 §8.2.1): v1 while the
    /// Older Version Querier Present timer runs, else v2.
    pub fn version(&self, now: Instant) -> MldVersion {
        match self.engine.mode(now) {
            Compat::Current => MldVersion::V2,
            Compat::Older | Compat::Oldest => MldVersion::V1,
        }
    }

    /// Whether packets to `group` are wanted: ff02::1 always, and every
    /// group joined and not left.
    pub fn is_joined(&self, group: &Ipv6Addr) -> bool {
        *group == ALL_NODES || self.engine.is_joined(group)
    }

    /// The groups joined (not ff02::1, which is implicit), in no set order.
    pub fn groups(&self) -> impl Iterator<Item = Ipv6Addr> + '_ {
        self.engine.groups()
    }

    /// Joins `group` and schedules its unsolicited reports, the first at `now`.
    ///
    /// v2 (RFC 3810 §6.1): `CHANGE_TO_EXCLUDE_MODE {}`, [Robustness Variable]
    /// times. v1 (RFC 2710 §4): a report, then again until Robustness reports
    /// went out. `random` decorrelates the retransmission times from other
    /// listeners'.
    ///
    /// Joining a joined group counts one more user and sends nothing;
    /// ff02::1 (implicit) does nothing; a group of scope 0 or 1 is joined but
    /// never reported (§6). Joining a group being left joins it again (a new
    /// state change). A full table gives up a group being left (its last
    /// retransmissions are lost: routers time it out after the Multicast
    /// Address Listening Interval) before refusing with [`MldError::Full`].
    pub fn join(&mut self, group: Ipv6Addr, now: Instant, random: u32) -> Result<(), MldError> {
        self.join_at(group, now, now, random)
    }

    /// [`join`](Self::join) with the first report at `first` (not before
    /// `now`) instead of at once; the group's packets are wanted from
    /// `now`. RFC 4862 §5.4.2: "the node SHOULD delay joining the
    /// solicited-node multicast address by a random delay between 0 and
    /// MAX_RTR_SOLICITATION_DELAY", so that nodes started together (a
    /// power failure) do not report at once. A report already due sooner
    /// carries the group along (RFC 3810 §6.1: one report holds every
    /// pending change).
    pub fn join_at(
        &mut self,
        group: Ipv6Addr,
        now: Instant,
        first: Instant,
        random: u32,
    ) -> Result<(), MldError> {
        if !group.is_multicast() {
            return Err(MldError::NotMulticast);
        }
        if group == ALL_NODES {
            return Ok(());
        }
        self.engine
            .join(group, now, first, random)
            .map_err(|Full| MldError::Full)?;
        net_debug!("mld: joined {}", group);
        Ok(())
    }

    /// Leaves `group` once (its last user leaving stops the listening);
    /// false when it was not joined (ff02::1 is never left).
    ///
    /// v2 (RFC 3810 §6.1): `CHANGE_TO_INCLUDE_MODE {}`, sent like a join's
    /// report; the group stays in the table until the last one is out.
    /// v1 (RFC 2710 §4): a Done to ff02::2, only if we sent the last report
    /// heard for the group.
    pub fn leave(&mut self, group: Ipv6Addr, now: Instant, random: u32) -> bool {
        if group == ALL_NODES {
            return false;
        }
        let left = self.engine.leave(group, now, random, false);
        if left {
            net_debug!("mld: left {}", group);
        }
        left
    }

    /// One MLD message received from `src` with `hop_limit` (checksum
    /// verified, parsed). Queries start or shorten report timers; another
    /// listener's v1 report suppresses ours in v1 mode (RFC 2710 §4); other
    /// messages are ignored.
    ///
    /// A query is refused (RFC 3810 §5.1.14) when its source is not
    /// link-local or its hop limit is not 1, and when it names a group that
    /// is not multicast: the caller drops and counts it. Then:
    /// - its shape sets the compatibility mode first (§8.2.1): a 24-byte
    ///   query is MLDv1; an MLDv2 query's QRV, QQIC and Maximum Response
    ///   Code are learned (§5.1.8, §5.1.9) when non-zero;
    /// - v2 mode (§6.2): a response after a random delay in
    ///   `[0, Maximum Response Delay]`: the interface timer for a General
    ///   Query, the group timer for an address-specific one (never later
    ///   than a pending one), nothing if a General Query response is due no
    ///   later;
    /// - v1 mode (RFC 2710 §4): a timer per group queried (every group for a
    ///   General Query), restarted only if the delay asked is shorter than
    ///   what is left of it.
    pub fn process(
        &mut self,
        now: Instant,
        src: Ipv6Addr,
        hop_limit: u8,
        repr: &MldRepr<'_>,
        random: u32,
    ) -> Result<(), MldInvalid> {
        let (group, max_resp, from) = match *repr {
            MldRepr::QueryV1 {
                max_resp_delay,
                mcast_addr,
            } => (
                mcast_addr,
                Duration::from_millis(u64::from(max_resp_delay)),
                // §8.2.1: an MLDv1 query (re)starts the Older Version
                // Querier Present timer.
                Querier::Older,
            ),
            MldRepr::QueryV2 {
                max_resp_code,
                mcast_addr,
                qrv,
                qqic,
                ..
            } => {
                let max_resp =
                    Duration::from_millis(u64::from(decode_max_resp_code(max_resp_code)));
                // §5.1.8, §5.1.9: the querier's values.
                let learned = Learned {
                    robustness: qrv,
                    query_interval: Duration::from_secs(u64::from(decode_qqic(qqic))),
                    response_interval: max_resp,
                };
                (mcast_addr, max_resp, Querier::Current(learned))
            }
            MldRepr::ReportV1 { mcast_addr } => {
                self.engine.heard_report(mcast_addr);
                return Ok(());
            }
            _ => return Ok(()),
        };
        // §5.1.14: a query from off the link, or forwarded, is not one.
        if !src.is_unicast_link_local() {
            return Err(MldInvalid::NotLinkLocal);
        }
        if hop_limit != HOP_LIMIT {
            return Err(MldInvalid::HopLimit);
        }
        let general = group.is_unspecified();
        if !general && !group.is_multicast() {
            return Err(MldInvalid::NotMulticast);
        }
        if general && repr.sources().next().is_some() {
            // A General Query with sources is undefined: ignored.
            return Ok(());
        }
        let query = Query {
            group,
            max_resp,
            from,
        };
        self.engine.query(now, query, random);
        Ok(())
    }

    /// When [`Mld::dispatch`] has something to send: `None` when nothing is
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
    /// In v2 mode a State Change Report goes first, then a General Query
    /// response, then the address-specific responses due (in one report).
    pub fn dispatch<F, E>(&mut self, now: Instant, f: F) -> Result<(), E>
    where
        F: FnOnce(MldOutput<'_>) -> Result<(), E>,
    {
        let buffer = &mut self.records;
        self.engine.dispatch(now, |due| {
            f(match due {
                Due::Report(records) => report(buffer, &records),
                // RFC 2710 §4: the report goes to the group itself.
                Due::OlderReport { group, .. } => MldOutput {
                    dst: group,
                    repr: MldRepr::ReportV1 { mcast_addr: group },
                },
                // RFC 2710 §4: "send a Done message to the link-scope
                // all-routers multicast address (FF02::2)".
                Due::Leave(group) => MldOutput {
                    dst: ALL_ROUTERS,
                    repr: MldRepr::Done { mcast_addr: group },
                },
            })
        })
    }
}

/// The v2 report (RFC 3810 §5.2) of `records`, one source-less 20-byte
/// address record each, written into `buffer`.
fn report<'b, const N: usize>(
    buffer: &'b mut [[u8; RECORD_LEN]; N],
    records: &Records<'_, Ipv6Addr>,
) -> MldOutput<'b> {
    let mut count = 0;
    // There are as many slots as groups can be: the zip drops nothing.
    for ((mcast_addr, kind), slot) in records.iter().zip(buffer.iter_mut()) {
        MldAddressRecord {
            record_type: match kind {
                RecordKind::ModeIsExclude => MldRecordType::ModeIsExclude,
                RecordKind::ChangeToInclude => MldRecordType::ChangeToInclude,
                RecordKind::ChangeToExclude => MldRecordType::ChangeToExclude,
            },
            mcast_addr,
            sources: &[],
            aux_data: &[],
        }
        .emit(slot);
        count += 1;
    }
    let bytes = buffer.as_flattened();
    let records = bytes.get(..count * RECORD_LEN).unwrap_or(bytes);
    MldOutput {
        dst: ALL_MLDV2_ROUTERS,
        repr: MldRepr::ReportV2 { records },
    }
}

#[cfg(test)]
mod tests;
