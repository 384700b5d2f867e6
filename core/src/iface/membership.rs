//! The group-membership engine that IGMP (`igmp.rs`) and MLD (`mld.rs`)
//! share: which groups a host listens to, and when it must say so.
//!
//! IGMPv3 (RFC 3376) and MLDv2 (RFC 3810) are the same protocol for two
//! address families (RFC 3810 §1: "MLDv2 is a translation of IGMPv3"), and
//! so are their older versions IGMPv2 (RFC 2236) and MLDv1 (RFC 2710).
//! The engine holds everything the two have in common: the group table
//! (joins counted), the state-change reports and their Robustness
//! retransmissions (RFC 3376 §5.1, RFC 3810 §6.1), the query response
//! timers and their four rules (RFC 3376 §5.2, RFC 3810 §6.2), the older
//! versions' per-group timers, suppression and last-reporter leave
//! (RFC 2236 §3, RFC 2710 §4), the values learned from a current-version
//! query, and the host compatibility modes with their Older Version Querier
//! Present timers (RFC 3376 §7.2.1, RFC 3810 §8.2.1). It knows no address
//! family and no wire format: what to send comes out as a [`Due`], which
//! the protocol file frames (IGMP's group records or MLD's address records,
//! their destinations, IPv4 or IPv6 headers), and a query comes in as a
//! [`Query`] the protocol file decoded and validated.
//!
//! Every group is in filter mode `EXCLUDE {}`: no record carries sources.
//! Sans-IO, no heap: `N` groups; `now` and the random values come from the
//! caller.

use heapless::Vec;

use crate::rand::Rng;
use crate::time::{Duration, Instant};
use crate::wire::{Ipv4Addr, Ipv6Addr};

/// 224.0.0.1, the all-systems group: joined by every host, never reported
/// (RFC 3376 §5).
pub const ALL_SYSTEMS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 1);
/// ff02::1, link-scope all-nodes: joined by every node, never reported (RFC 3810 §6).
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// A multicast group address of one family.
pub trait Group: Copy + Eq {
    /// The unspecified address: the group field of a General Query.
    const UNSPECIFIED: Self;
    /// Whether the host reports the group (RFC 3376 §5: never 224.0.0.1;
    /// RFC 3810 §6: never ff02::1 nor a group of scope 0 or 1). A group not
    /// reported is still joined (packets to it are received).
    fn reportable(&self) -> bool;
}

impl Group for Ipv4Addr {
    const UNSPECIFIED: Ipv4Addr = Ipv4Addr::UNSPECIFIED;
    fn reportable(&self) -> bool {
        *self != ALL_SYSTEMS
    }
}

impl Group for Ipv6Addr {
    const UNSPECIFIED: Ipv6Addr = Ipv6Addr::UNSPECIFIED;
    fn reportable(&self) -> bool {
        *self != ALL_NODES && (self.segments()[0] & 0x000f) > 1
    }
}

/// The version a host speaks: its Host Compatibility Mode (RFC 3376
/// §7.2.1, RFC 3810 §8.2.1), oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Compat {
    /// IGMPv1 (RFC 1112): v1 reports, no leave, every query general. MLD
    /// has no such version.
    Oldest,
    /// IGMPv2 (RFC 2236) or MLDv1 (RFC 2710): reports to the group,
    /// suppression, a leave message from the last reporter.
    Older,
    /// IGMPv3 or MLDv2: state-change and current-state records (the default).
    Current,
}

/// The timers and counters of the engine, from the protocol's config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timers {
    /// Robustness Variable (RFC 3376 §8.1, RFC 3810 §9.1).
    pub robustness: u8,
    /// Query Interval (RFC 3376 §8.2, RFC 3810 §9.2).
    pub query_interval: Duration,
    /// Query Response Interval (RFC 3376 §8.3, RFC 3810 §9.3).
    pub query_response_interval: Duration,
    /// Unsolicited Report Interval of the current version (RFC 3376
    /// §8.11, RFC 3810 §9.11: 1 s).
    pub unsolicited_current: Duration,
    /// Unsolicited Report Interval of the older version (RFC 2236 §8.10,
    /// RFC 2710 §7.10: 10 s).
    pub unsolicited_older: Duration,
    /// The response delay in the oldest mode, whose queries carry none
    /// (RFC 1112 appendix I, RFC 2236 §4: 10 s).
    pub oldest_max_response: Duration,
}

/// What a current-version query tells (RFC 3376 §4.1.6–§4.1.7, RFC 3810
/// §5.1.8–§5.1.9); zero means "not given, use the default".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Learned {
    /// QRV, the querier's Robustness Variable.
    pub robustness: u8,
    /// QQIC decoded: the querier's Query Interval.
    pub query_interval: Duration,
    /// Maximum Response Code decoded: the Query Response Interval.
    pub response_interval: Duration,
}

/// Which version of querier sent a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Querier {
    /// IGMPv1: starts the oldest mode's Querier Present timer.
    Oldest,
    /// IGMPv2 or MLDv1: starts the older mode's timer.
    Older,
    /// IGMPv3 or MLDv2, with the values it carries.
    Current(Learned),
}

/// One query, decoded and validated by the protocol file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Query<A> {
    /// The group queried; unspecified for a General Query.
    pub group: A,
    /// The Maximum Response Delay the query asks for.
    pub max_resp: Duration,
    /// Its version.
    pub from: Querier,
}

/// The type of a record in a current-version report (RFC 3376 §4.2.12,
/// RFC 3810 §5.2.12): always without sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// MODE_IS_EXCLUDE {}: the current state, listening to all sources.
    ModeIsExclude,
    /// CHANGE_TO_INCLUDE_MODE {}: the group was left.
    ChangeToInclude,
    /// CHANGE_TO_EXCLUDE_MODE {}: the group was joined.
    ChangeToExclude,
}

/// A message the engine wants sent; the protocol file frames it.
#[derive(Debug, Clone, Copy)]
pub enum Due<'a, A> {
    /// A current-version report with these records.
    Report(Records<'a, A>),
    /// An older-version report for the group, in mode `Older` or `Oldest`.
    OlderReport {
        /// The group reported (also the destination, RFC 2236 §3).
        group: A,
        /// Which older version.
        mode: Compat,
    },
    /// An older-version leave: IGMPv2 Leave Group, MLDv1 Done.
    Leave(A),
}

/// Which records a current-version report holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pick {
    /// The pending state changes (§5.1 / §6.1).
    Changes,
    /// Every group listened to (a General Query response).
    All,
    /// The groups whose query response timer expired.
    DueGroups,
}

/// The records of one current-version report, lent from the group table.
#[derive(Debug, Clone, Copy)]
pub struct Records<'a, A> {
    entries: &'a [Entry<A>],
    pick: Pick,
    now: Instant,
}

impl<A: Group> Records<'_, A> {
    /// The records, one per reportable group picked.
    pub fn iter(&self) -> impl Iterator<Item = (A, RecordKind)> + '_ {
        let (pick, now) = (self.pick, self.now);
        self.entries
            .iter()
            .filter(|e| e.group.reportable())
            .filter_map(move |e| {
                let kind = match pick {
                    Pick::Changes if e.change_left == 0 => return None,
                    Pick::Changes if e.joined() => RecordKind::ChangeToExclude,
                    Pick::Changes => RecordKind::ChangeToInclude,
                    Pick::All if e.joined() => RecordKind::ModeIsExclude,
                    Pick::DueGroups if e.joined() && e.due(now) => RecordKind::ModeIsExclude,
                    Pick::All | Pick::DueGroups => return None,
                };
                Some((e.group, kind))
            })
    }
}

/// The table is full of groups still joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Full;

/// One group of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry<A> {
    group: A,
    /// How many joins the group has; zero once left (the entry then only
    /// waits for its last messages).
    users: u8,
    /// Current version: state-change reports still to carry a record for
    /// this group (RFC 3376 §5.1, RFC 3810 §6.1).
    change_left: u8,
    /// Current version: the group timer of a group-specific query response
    /// (§5.2 / §6.2). Older: when the next report is due (solicited or
    /// unsolicited), or, for a group left, when its leave message is due.
    timer: Option<Instant>,
    /// Older: unsolicited reports still to send after the one `timer` is for.
    unsolicited_left: u8,
    /// Older: we sent the last report for the group (RFC 2236 §3, RFC 2710
    /// §4 "last host to reply"): a leave then sends a leave message.
    reporter: bool,
}

impl<A> Entry<A> {
    const fn new(group: A) -> Entry<A> {
        Entry {
            group,
            users: 1,
            change_left: 0,
            timer: None,
            unsolicited_left: 0,
            reporter: false,
        }
    }

    fn joined(&self) -> bool {
        self.users > 0
    }

    fn due(&self, now: Instant) -> bool {
        self.timer.is_some_and(|t| t <= now)
    }
}

/// The membership state of one interface for one family: up to `N` groups
/// and their timers. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Membership<A, const N: usize> {
    timers: Timers,
    entries: Vec<Entry<A>, N>,
    /// Current version: the next State-Change Report (§5.1 / §6.1).
    change_at: Option<Instant>,
    /// Current version: the interface timer answering a General Query.
    general_at: Option<Instant>,
    /// Older Version Querier Present timer (IGMPv2 / MLDv1): running while
    /// `now` is before it.
    older_until: Option<Instant>,
    /// IGMPv1 Querier Present timer.
    oldest_until: Option<Instant>,
    /// The Host Compatibility Mode as of the last call.
    mode: Compat,
    /// Robustness Variable, Query Interval and Query Response Interval in
    /// use: the configured ones, or those learned from the last
    /// current-version query.
    robustness: u8,
    query_interval: Duration,
    query_response_interval: Duration,
    /// Report-delay jitter; callers stir in their own random values.
    rng: Rng,
}

impl<A: Group, const N: usize> Membership<A, N> {
    /// No group joined, current version.
    pub const fn new(timers: Timers) -> Membership<A, N> {
        Membership {
            timers,
            entries: Vec::new(),
            change_at: None,
            general_at: None,
            older_until: None,
            oldest_until: None,
            mode: Compat::Current,
            robustness: timers.robustness,
            query_interval: timers.query_interval,
            query_response_interval: timers.query_response_interval,
            rng: Rng::new(0),
        }
    }

    /// The Host Compatibility Mode at `now`: oldest while its Querier
    /// Present timer runs, else older while its timer runs, else current.
    pub fn mode(&self, now: Instant) -> Compat {
        let running = |t: Option<Instant>| t.is_some_and(|t| now < t);
        if running(self.oldest_until) {
            Compat::Oldest
        } else if running(self.older_until) {
            Compat::Older
        } else {
            Compat::Current
        }
    }

    /// Whether `group` is joined and not left.
    pub fn is_joined(&self, group: &A) -> bool {
        self.entries.iter().any(|e| e.joined() && e.group == *group)
    }

    /// The groups joined, in no set order.
    pub fn groups(&self) -> impl Iterator<Item = A> + '_ {
        self.entries.iter().filter(|e| e.joined()).map(|e| e.group)
    }

    /// Joins `group` once more; the first join schedules its unsolicited
    /// reports, the first at `now` (RFC 3376 §5.1 / RFC 3810 §6.1:
    /// `CHANGE_TO_EXCLUDE_MODE {}` Robustness times; older: a report at
    /// once, repeated until Robustness reports went out, RFC 2236 §3 /
    /// RFC 2710 §4). A group being left is joined again (a new state
    /// change). A full table gives up the group being left with the fewest
    /// messages to send before refusing.
    ///
    /// `first` (not before `now`) delays the first report: RFC 4862 §5.4.2
    /// asks that the solicited-node group of a tentative address be joined
    /// after a random delay. The group is wanted from `now` all the same.
    /// In the current version a state-change report already due earlier
    /// carries the group's record with it (one report holds every pending
    /// change).
    pub fn join(
        &mut self,
        group: A,
        now: Instant,
        first: Instant,
        random: u32,
    ) -> Result<(), Full> {
        let first = first.max(now);
        self.refresh(now);
        self.mix(random);
        let index = match self.entries.iter().position(|e| e.group == group) {
            Some(i) => {
                if let Some(e) = self.entries.get_mut(i).filter(|e| e.joined()) {
                    e.users = e.users.saturating_add(1);
                    return Ok(());
                }
                i
            }
            None => {
                self.make_room()?;
                self.entries.push(Entry::new(group)).map_err(|_| Full)?;
                self.entries.len() - 1
            }
        };
        let robustness = self.robustness();
        let mode = self.mode;
        let Some(entry) = self.entries.get_mut(index) else {
            return Ok(());
        };
        entry.users = 1;
        if !group.reportable() {
            return Ok(());
        }
        match mode {
            Compat::Current => {
                // §5.1 / §6.1: the state change is reported at once, then
                // retransmitted; a pending change for the group is replaced.
                entry.change_left = robustness;
                entry.timer = None;
                self.change_at = Some(self.change_at.map_or(first, |t| t.min(first)));
            }
            Compat::Older | Compat::Oldest => {
                // RFC 2236 §3 / RFC 2710 §4: "immediately transmit an
                // unsolicited Report ... repeat it once or twice after
                // short delays".
                entry.timer = Some(first);
                entry.unsolicited_left = robustness - 1;
                entry.reporter = false;
            }
        }
        Ok(())
    }

    /// Leaves `group` once, or for all its users with `all`; false when it
    /// was not joined. The last leave stops the listening: current version,
    /// `CHANGE_TO_INCLUDE_MODE {}` sent like a join's report (the entry
    /// stays until the last one is out); older, a leave message only if we
    /// sent the last report heard (RFC 2236 §3, RFC 2710 §4); oldest,
    /// nothing (RFC 1112 has no leave).
    pub fn leave(&mut self, group: A, now: Instant, random: u32, all: bool) -> bool {
        self.refresh(now);
        self.mix(random);
        let robustness = self.robustness();
        let mode = self.mode;
        let Some(entry) = self
            .entries
            .iter_mut()
            .find(|e| e.joined() && e.group == group)
        else {
            return false;
        };
        entry.users = if all { 0 } else { entry.users - 1 };
        if entry.joined() {
            return true;
        }
        entry.unsolicited_left = 0;
        let keep = group.reportable()
            && match mode {
                Compat::Current => {
                    entry.change_left = robustness;
                    entry.timer = None;
                    self.change_at = Some(self.change_at.map_or(now, |t| t.min(now)));
                    true
                }
                Compat::Older if entry.reporter => {
                    entry.timer = Some(now);
                    true
                }
                Compat::Older | Compat::Oldest => false,
            };
        if !keep {
            self.entries.retain(|e| e.group != group);
        }
        true
    }

    /// One query, validated by the protocol file.
    ///
    /// Its version sets the compatibility mode first (RFC 3376 §7.2.1, RFC
    /// 3810 §8.2.1): an older one (re)starts its Querier Present timer, a
    /// current one's values are learned. Then, in the mode in force:
    /// - current (RFC 3376 §5.2, RFC 3810 §6.2): a response after a random
    ///   delay in `[0, max_resp]`: the interface timer for a General Query,
    ///   the group timer for a group-specific one (never later than a
    ///   pending one), nothing if a General Query response is due no later;
    /// - older (RFC 2236 §3, RFC 2710 §4): a timer per group queried (every
    ///   group for a General Query), restarted only if the delay asked is
    ///   shorter than what is left of it;
    /// - oldest (RFC 1112 appendix I): every query general, with
    ///   [`Timers::oldest_max_response`].
    pub fn query(&mut self, now: Instant, query: Query<A>, random: u32) {
        self.refresh(now);
        self.mix(random);
        let timeout = self.older_version_querier_timeout();
        match query.from {
            Querier::Oldest => self.oldest_until = Some(now + timeout),
            Querier::Older => self.older_until = Some(now + timeout),
            Querier::Current(learned) => self.learn(learned),
        }
        self.refresh(now);
        let group = query.group;
        if group != A::UNSPECIFIED && !group.reportable() {
            return;
        }
        match self.mode {
            Compat::Current => self.schedule_current(now, group, query.max_resp),
            Compat::Older => self.schedule_older(now, group, query.max_resp),
            Compat::Oldest => {
                self.schedule_older(now, A::UNSPECIFIED, self.timers.oldest_max_response)
            }
        }
    }

    /// Another host's older-version report for `group` was heard: in an
    /// older mode our pending report for it is cancelled (RFC 2236 §3, RFC
    /// 2710 §4 suppression), unsolicited repeats included (as Linux), and
    /// we are no longer the last reporter. In the current mode nothing
    /// (RFC 3376 appendix A.2, RFC 3810 §8.2.2: no suppression).
    pub fn heard_report(&mut self, group: A) {
        // The mode of the last call: if an older querier timed out since,
        // the switch to the current mode cancels these timers anyway.
        if self.mode == Compat::Current {
            return;
        }
        if let Some(entry) = self
            .entries
            .iter_mut()
            .find(|e| e.joined() && e.group == group)
        {
            entry.timer = None;
            entry.unsolicited_left = 0;
            entry.reporter = false;
        }
    }

    /// When [`dispatch`](Self::dispatch) has something to send: `None` when
    /// nothing is scheduled. An instant at or before `now` means "now".
    pub fn poll_at(&self) -> Option<Instant> {
        let mut at = None;
        let mut take = |t: Option<Instant>| {
            if let Some(t) = t {
                at = Some(at.map_or(t, |a: Instant| a.min(t)));
            }
        };
        take(self.change_at);
        take(self.general_at);
        for e in self.entries.iter() {
            take(e.timer);
        }
        at
    }

    /// Whether [`dispatch`](Self::dispatch) has something to send at `now`:
    /// `poll_at() <= now`, stopping at the first timer due (every poll asks).
    pub fn due(&self, now: Instant) -> bool {
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        due(self.change_at) || due(self.general_at) || self.entries.iter().any(|e| due(e.timer))
    }

    /// Hands at most one due message to `f`. The engine advances only if
    /// `f` returns `Ok` (a full device queue is retried on the next call);
    /// `f`'s error is returned. Nothing due: `f` is not called.
    ///
    /// Current version: a State-Change Report first, then a General Query
    /// response, then the group-specific responses due (in one report).
    pub fn dispatch<F, E>(&mut self, now: Instant, f: F) -> Result<(), E>
    where
        F: FnOnce(Due<'_, A>) -> Result<(), E>,
    {
        self.refresh(now);
        match self.mode {
            Compat::Current => self.dispatch_current(now, f),
            Compat::Older | Compat::Oldest => self.dispatch_older(now, f),
        }
    }

    fn records(&self, pick: Pick, now: Instant) -> Option<Records<'_, A>> {
        let records = Records {
            entries: &self.entries,
            pick,
            now,
        };
        let any = records.iter().next().is_some();
        any.then_some(records)
    }

    fn dispatch_current<F, E>(&mut self, now: Instant, f: F) -> Result<(), E>
    where
        F: FnOnce(Due<'_, A>) -> Result<(), E>,
    {
        if self.change_at.is_some_and(|t| t <= now) {
            // §5.1 / §6.1: one report with the pending change of every group.
            if let Some(records) = self.records(Pick::Changes, now) {
                f(Due::Report(records))?;
                for e in self.entries.iter_mut() {
                    e.change_left = e.change_left.saturating_sub(1);
                }
                // A group left is forgotten once its last change is out.
                self.entries.retain(|e| e.joined() || e.change_left > 0);
                self.change_at = if self.entries.iter().any(|e| e.change_left > 0) {
                    // §5.1 / §6.1: retransmitted at random intervals in
                    // [0, Unsolicited Report Interval].
                    let uri = self.timers.unsolicited_current;
                    Some(now + self.rng.uniform(Duration::ZERO, uri))
                } else {
                    None
                };
                return Ok(());
            }
            self.change_at = None;
        }
        if self.general_at.is_some_and(|t| t <= now) {
            // §5.2 / §6.2: the interface timer expired: the current state
            // of every group with listening state.
            if let Some(records) = self.records(Pick::All, now) {
                f(Due::Report(records))?;
                self.general_at = None;
                return Ok(());
            }
            // Nothing to report: the group timers due go out in this call.
            self.general_at = None;
        }
        // §5.2 / §6.2: expired group timers: the group's current state,
        // only if it still has listening state (a group left has none).
        if let Some(records) = self.records(Pick::DueGroups, now) {
            f(Due::Report(records))?;
        }
        for e in self.entries.iter_mut().filter(|e| e.due(now)) {
            e.timer = None;
        }
        Ok(())
    }

    fn dispatch_older<F, E>(&mut self, now: Instant, f: F) -> Result<(), E>
    where
        F: FnOnce(Due<'_, A>) -> Result<(), E>,
    {
        let mode = self.mode;
        let Some(entry) = self.entries.iter_mut().find(|e| e.due(now)) else {
            return Ok(());
        };
        let group = entry.group;
        if !entry.joined() {
            if mode == Compat::Older {
                // RFC 2236 §3 / RFC 2710 §4: the leave message goes to the
                // all-routers group.
                f(Due::Leave(group))?;
            }
            self.entries.retain(|e| e.group != group);
            return Ok(());
        }
        // RFC 2236 §3 / RFC 2710 §4: the report goes to the group itself,
        // so that other members hear it and suppress theirs.
        f(Due::OlderReport { group, mode })?;
        entry.reporter = true;
        entry.timer = if entry.unsolicited_left > 0 {
            entry.unsolicited_left -= 1;
            let uri = self.timers.unsolicited_older;
            Some(now + self.rng.uniform(Duration::ZERO, uri))
        } else {
            None
        };
        Ok(())
    }

    /// RFC 3376 §5.2 / RFC 3810 §6.2 rules 1–4 (without source lists).
    fn schedule_current(&mut self, now: Instant, group: A, max_resp: Duration) {
        let at = now + self.rng.uniform(Duration::ZERO, max_resp);
        // Rule 1: a General Query response due no later covers this query.
        if self.general_at.is_some_and(|t| t <= at) {
            return;
        }
        if group == A::UNSPECIFIED {
            // Rule 2: the interface timer, replacing a later pending response.
            self.general_at = Some(at);
            return;
        }
        // Rules 3 and 4: the group timer, at the earlier of the pending
        // response and the new delay.
        if let Some(e) = self
            .entries
            .iter_mut()
            .find(|e| e.joined() && e.group == group)
        {
            e.timer = Some(e.timer.map_or(at, |t| t.min(at)));
        }
    }

    /// RFC 2236 §3 / RFC 2710 §4 (and RFC 1112 with `group` unspecified): a
    /// delay timer per group queried, "reset to the random value only if
    /// the requested Max Response Time is less than the remaining value of
    /// the running timer".
    fn schedule_older(&mut self, now: Instant, group: A, max_resp: Duration) {
        let general = group == A::UNSPECIFIED;
        for e in self
            .entries
            .iter_mut()
            .filter(|e| e.joined() && e.group.reportable() && (general || e.group == group))
        {
            let restart = e
                .timer
                .is_none_or(|t| max_resp < t.saturating_duration_since(now));
            if restart {
                e.timer = Some(now + self.rng.uniform(Duration::ZERO, max_resp));
            }
        }
    }

    /// Adopts a current-version querier's values, each when non-zero ("if
    /// zero, use the default", as Linux and FreeBSD).
    fn learn(&mut self, learned: Learned) {
        self.robustness = if learned.robustness != 0 {
            learned.robustness
        } else {
            self.timers.robustness
        };
        self.query_interval = if learned.query_interval != Duration::ZERO {
            learned.query_interval
        } else {
            self.timers.query_interval
        };
        if learned.response_interval != Duration::ZERO {
            self.query_response_interval = learned.response_interval;
        }
    }

    /// RFC 3376 §8.12 / RFC 3810 §9.12: Robustness Variable × Query
    /// Interval + one Query Response Interval (260 s with the defaults).
    fn older_version_querier_timeout(&self) -> Duration {
        self.query_interval
            .saturating_mul(u32::from(self.robustness()))
            + self.query_response_interval
    }

    /// The Robustness Variable in use, at least one (RFC 3376 §8.1, RFC
    /// 3810 §9.1: never zero).
    fn robustness(&self) -> u8 {
        self.robustness.max(1)
    }

    /// Moves the compatibility mode to what the Querier Present timers say
    /// at `now`; a change cancels every pending response and retransmission
    /// (RFC 3376 §7.2.1, RFC 3810 §8.2.1), and forgets the groups that were
    /// only waiting for their leave messages.
    fn refresh(&mut self, now: Instant) {
        let mode = self.mode(now);
        if mode == self.mode {
            return;
        }
        net_debug!(
            "membership: host compatibility mode {:?} -> {:?}",
            self.mode,
            mode
        );
        self.mode = mode;
        self.change_at = None;
        self.general_at = None;
        self.entries.retain(|e| e.joined());
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
    fn make_room(&mut self) -> Result<(), Full> {
        if !self.entries.is_full() {
            return Ok(());
        }
        let victim = self
            .entries
            .iter()
            .filter(|e| !e.joined())
            .min_by_key(|e| e.change_left)
            .map(|e| e.group)
            .ok_or(Full)?;
        self.entries.retain(|e| e.group != victim);
        Ok(())
    }
}

/// Test driver shared by the IGMP and MLD engines' unit tests.
#[cfg(test)]
pub(super) mod on_time {
    extern crate std;
    use crate::time::{Duration, Instant};
    use std::vec::Vec;

    /// Runs an engine on time, from `from` (the last instant it saw) to
    /// `until` included, sending at each instant `poll_at` gives: every
    /// message sent. Each one is checked not to go out one µs before its
    /// time, the promise a caller sleeping until `poll_at` relies on.
    pub fn run<M, S>(
        m: &mut M,
        from: Instant,
        until: Instant,
        poll_at: impl Fn(&M) -> Option<Instant>,
        mut send: impl FnMut(&mut M, Instant) -> Option<S>,
    ) -> Vec<S> {
        const US: Duration = Duration::from_micros(1);
        let mut sent = Vec::new();
        let mut last = from;
        for _ in 0..1000 {
            let Some(t) = poll_at(m) else { break };
            if t > until {
                break;
            }
            let t = t.max(last);
            if t - US >= last {
                assert!(send(m, t - US).is_none(), "sent before its time {t}");
            }
            sent.extend(send(m, t));
            last = t;
        }
        sent
    }
}
