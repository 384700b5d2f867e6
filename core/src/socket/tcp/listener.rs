//! A listening TCP endpoint: a bounded SYN queue, SYN cookies when it is
//! full, and a bounded accept queue of connections built on sockets the
//! application lent it.
//!
//! Unlike a one-socket-per-connection listener, one `TcpListener` takes any
//! number of connections on its port, like every OS does. The memory is the
//! application's: each connection needs its own buffers, so it hands the
//! listener a pool of closed [`TcpSocket`](super::TcpSocket)s (by handle);
//! a completed handshake takes one, and [`TcpListener::accept`] returns it.
//!
//! Half-open connections (SYN received, SYN-ACK sent) are small records in
//! the SYN queue, not sockets: a SYN flood fills the queue, after which SYN
//! cookies (RFC 4987 §3.6) answer without keeping any state, so legitimate
//! clients still get through.

use managed::ManagedSlice;

use crate::socket::SocketHandle;
use crate::time::{Duration, Instant};
use crate::wire::tcp::{TcpRepr, TcpSeqNumber};
use crate::wire::{IpEndpoint, IpListenEndpoint};

/// SYN-ACK retransmissions before a half-open connection is dropped
/// (Linux `tcp_synack_retries` = 5).
pub const SYNACK_RETRIES: u8 = 5;

/// The first SYN-ACK retransmission timeout (RFC 6298 §2.1: 1 s), doubled
/// on each retry.
pub const SYNACK_TIMEOUT: Duration = Duration::from_secs(1);

/// A connection in the SYN queue: what the SYN said and what we answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HalfOpen {
    /// Our address and port.
    pub local: IpEndpoint,
    /// The client's.
    pub remote: IpEndpoint,
    /// The client's initial sequence number.
    pub irs: TcpSeqNumber,
    /// Ours.
    pub iss: TcpSeqNumber,
    /// The client's MSS option.
    pub mss: Option<u16>,
    /// The client's window scale option.
    pub window_scale: Option<u8>,
    /// The client offered SACK.
    pub sack_permitted: bool,
    /// The client's TSval, when it sent timestamps.
    pub tsval: Option<u32>,
    /// The client's (unscaled) window in the SYN.
    pub window: u16,
    /// When the SYN arrived.
    pub created: Instant,
    /// When the SYN-ACK is due again (`created` at first: due now).
    pub next_at: Instant,
    /// SYN-ACKs sent so far.
    pub sent: u8,
    /// The window scale we offered in the SYN-ACK (the accepting socket
    /// must use the same).
    pub rcv_shift: u8,
    /// The (unscaled) window our SYN-ACK offered: the span of sequence
    /// numbers a reset or the final ACK may carry (RFC 9293 §3.10.7.4).
    pub rcv_wnd: u16,
    /// The offset of our timestamp clock for this connection (RFC 7323
    /// §7.1), the one the accepting socket goes on with.
    pub ts_offset: u32,
    /// The client completed the handshake when we had no room for the
    /// connection: it believes it is connected, so the record is kept
    /// before unproven ones, its SYN-ACK retransmissions draw its ACK
    /// again, and it is reset rather than forgotten when it expires.
    pub acked: bool,
    /// When we last answered a segment of this record with a bare ACK (an
    /// RFC 5961 challenge or an out-of-window reply), for the rate limit.
    pub last_ack_at: Option<Instant>,
}

impl HalfOpen {
    /// The record for a received SYN, SYN-ACK due now; `ts_offset` is our
    /// timestamp clock's offset for the connection.
    pub fn from_syn(
        local: IpEndpoint,
        remote: IpEndpoint,
        syn: &TcpRepr<'_>,
        iss: TcpSeqNumber,
        ts_offset: u32,
        now: Instant,
    ) -> HalfOpen {
        HalfOpen {
            local,
            remote,
            irs: syn.seq_number,
            iss,
            mss: syn.max_seg_size,
            window_scale: syn.window_scale,
            sack_permitted: syn.sack_permitted,
            tsval: syn.timestamp.map(|(v, _)| v),
            window: syn.window_len,
            created: now,
            next_at: now,
            sent: 0,
            rcv_shift: 0,
            rcv_wnd: u16::MAX,
            ts_offset,
            acked: false,
            last_ack_at: None,
        }
    }

    /// True when `seq` falls in the window our SYN-ACK offered,
    /// RCV.NXT ≤ seq < RCV.NXT + RCV.WND, RCV.NXT being the client's ISN + 1
    /// (RFC 9293 §3.10.7.4; with a zero window only RCV.NXT itself).
    pub fn in_window(&self, seq: TcpSeqNumber) -> bool {
        let off = seq.distance_from(self.irs + 1) as i64;
        off == 0 || (0..i64::from(self.rcv_wnd)).contains(&off)
    }

    /// Whether a bare ACK may answer a segment now: at most one per
    /// [`INVALID_ACK_INTERVAL`] (RFC 5961 §7; Linux's
    /// `tcp_invalid_ratelimit`), so forged segments cannot turn the
    /// listener into a reflector. Records the answer when allowed.
    pub fn may_ack(&mut self, now: Instant) -> bool {
        if self
            .last_ack_at
            .is_some_and(|t| now - t < INVALID_ACK_INTERVAL)
        {
            return false;
        }
        self.last_ack_at = Some(now);
        true
    }
}

/// The least time between two bare ACKs answering invalid segments of one
/// connection (Linux `tcp_invalid_ratelimit`, 500 ms).
pub const INVALID_ACK_INTERVAL: Duration = Duration::from_millis(500);

/// How long after the listener last sent a SYN cookie it still checks ACKs
/// for one: a cookie is valid for at most two 64 s slots
/// ([`SYN_COOKIE_MAX_AGE_SLOTS`](super::isn::SYN_COOKIE_MAX_AGE_SLOTS)), so
/// no valid cookie can exist later. Linux's `tcp_synq_no_recent_overflow`
/// is the same idea (two minutes).
pub const SYN_COOKIE_WINDOW: Duration = Duration::from_secs(
    super::isn::SYN_COOKIE_SLOT_SECS as u64 * (super::isn::SYN_COOKIE_MAX_AGE_SLOTS as u64 + 1),
);

/// What a listener's SYN-ACK offers: the window and the options of the
/// socket the connection will take from the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SynAckOffer {
    /// The receive window (unscaled in the SYN-ACK, RFC 7323 §2.2).
    pub window: usize,
    /// Our window shift, `None` when the socket does not scale.
    pub shift: Option<u8>,
    /// SACK-permitted (RFC 2018 §2).
    pub sack: bool,
    /// Timestamps (RFC 7323 §3).
    pub timestamps: bool,
}

impl SynAckOffer {
    /// The offer when no socket is lent: the defaults of [`TcpConfig`]
    /// without window scaling (no buffer to size it from).
    ///
    /// [`TcpConfig`]: super::TcpConfig
    pub const DEFAULT: SynAckOffer = SynAckOffer {
        window: 0xffff,
        shift: None,
        sack: true,
        timestamps: true,
    };
}

impl HalfOpen {
    /// Keeps, of what the SYN offered, only what `offer` takes too (RFC
    /// 7323 §2.2, §3.2; RFC 2018 §2: an option is in use only when both
    /// sides sent it), and records our window shift. Done once, for the
    /// first SYN-ACK: its retransmissions must repeat the same options.
    pub(crate) fn negotiate(&mut self, offer: &SynAckOffer) {
        if offer.shift.is_none() {
            self.window_scale = None;
        }
        self.rcv_shift = match self.window_scale {
            Some(_) => offer.shift.unwrap_or(0),
            None => 0,
        };
        self.sack_permitted &= offer.sack;
        if !offer.timestamps {
            self.tsval = None;
        }
    }
}

/// Counters of one listener (`nstat`'s ListenOverflows & co).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListenerStats {
    /// SYNs received.
    pub syns: u64,
    /// SYNs answered with a cookie because the SYN queue was full.
    pub cookies_sent: u64,
    /// Connections completed from a valid cookie.
    pub cookies_accepted: u64,
    /// Handshakes completed into an accepted connection.
    pub accepted: u64,
    /// Completed handshakes that found no pooled socket or a full accept
    /// queue (`ListenOverflows`): kept in the SYN queue to try again when
    /// there was room there, else left to their cookie or reset.
    pub overflows: u64,
    /// SYNs ignored because the listener had no room for another
    /// connection (`ListenDrops`): the client retransmits its SYN.
    pub syns_dropped: u64,
    /// Clients reset because they completed a handshake the listener could
    /// not take (in time, or at all with
    /// [`set_abort_on_overflow`](TcpListener::set_abort_on_overflow)).
    pub overflow_resets: u64,
    /// Half-open connections that never completed.
    pub expired: u64,
}

/// Why a listener call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ListenError {
    /// The pool's storage is full.
    PoolFull,
}

/// A listening socket (see the module documentation).
#[derive(Debug)]
pub struct TcpListener<'a> {
    endpoint: IpListenEndpoint,
    open: bool,
    syn_queue: ManagedSlice<'a, Option<HalfOpen>>,
    /// Every record of `syn_queue` lies below this index: records take the
    /// first free slot, so the scans done for each segment and each poll
    /// (lookups, due SYN-ACKs, the next deadline) cost what is queued, not
    /// the queue's size (1024 by default in the runtime).
    syn_used: usize,
    /// Records in `syn_queue`: a full queue refuses a SYN without a scan.
    syn_count: usize,
    /// No record is due before this (`None`: no record): the due SYN-ACKs
    /// and the next deadline, asked on every poll, cost nothing between
    /// deadlines, even with the queue full of a SYN flood's records.
    syn_next: Option<Instant>,
    /// A record was lent out by [`find`](Self::find) and may have been
    /// made due sooner: `syn_next` is recomputed by the next scan.
    syn_stale: bool,
    pool: ManagedSlice<'a, Option<SocketHandle>>,
    accept_queue: ManagedSlice<'a, Option<SocketHandle>>,
    accept_head: usize,
    accept_len: usize,
    stats: ListenerStats,
    /// When the last SYN cookie went out (RFC 4987 §3.6): ACKs are checked
    /// for a cookie only within [`SYN_COOKIE_WINDOW`] of it.
    last_cookie_at: Option<Instant>,
    /// Reset a client whose handshake completes when there is no room
    /// (Linux `tcp_abort_on_overflow`).
    abort_on_overflow: bool,
}

impl<'a> TcpListener<'a> {
    /// A listener with room for `syn_queue.len()` half-open connections,
    /// `pool.len()` lent sockets and `accept_queue.len()` connections
    /// waiting for [`accept`](Self::accept) (the backlog).
    pub fn new(
        syn_queue: impl Into<ManagedSlice<'a, Option<HalfOpen>>>,
        pool: impl Into<ManagedSlice<'a, Option<SocketHandle>>>,
        accept_queue: impl Into<ManagedSlice<'a, Option<SocketHandle>>>,
    ) -> TcpListener<'a> {
        let mut l = TcpListener {
            endpoint: IpListenEndpoint::default(),
            open: false,
            syn_queue: syn_queue.into(),
            syn_used: 0,
            syn_count: 0,
            syn_next: None,
            syn_stale: false,
            pool: pool.into(),
            accept_queue: accept_queue.into(),
            accept_head: 0,
            accept_len: 0,
            stats: ListenerStats::default(),
            last_cookie_at: None,
            abort_on_overflow: false,
        };
        l.syn_queue.iter_mut().for_each(|s| *s = None);
        l.pool.iter_mut().for_each(|s| *s = None);
        l.accept_queue.iter_mut().for_each(|s| *s = None);
        l
    }

    /// The endpoint listened on.
    pub fn endpoint(&self) -> IpListenEndpoint {
        self.endpoint
    }

    /// True while listening.
    pub fn is_open(&self) -> bool {
        self.open
    }

    pub(crate) fn set_endpoint(&mut self, endpoint: IpListenEndpoint) {
        self.endpoint = endpoint;
        self.open = true;
    }

    /// Stops listening: half-open connections are forgotten; accepted
    /// ones stay with the application.
    pub fn close(&mut self) {
        self.open = false;
        self.syn_queue.iter_mut().for_each(|s| *s = None);
        self.syn_used = 0;
        self.syn_count = 0;
        self.syn_next = None;
        self.syn_stale = false;
    }

    /// Lends a closed TCP socket (by handle in the same set) for a future
    /// connection.
    pub fn provide(&mut self, socket: SocketHandle) -> Result<(), ListenError> {
        if self.pool.contains(&Some(socket)) {
            return Ok(());
        }
        match self.pool.iter_mut().find(|s| s.is_none()) {
            Some(slot) => {
                *slot = Some(socket);
                Ok(())
            }
            None => Err(ListenError::PoolFull),
        }
    }

    /// What to do with a handshake that completes when the accept queue is
    /// full or no socket is lent. Off (the default, as Linux): the ACK is
    /// dropped and the connection kept in the SYN queue, its SYN-ACK
    /// retried, so it completes once the application accepts (a cookie
    /// connection that finds no slot there completes on the client's
    /// retransmission while its cookie is valid), and the client is reset
    /// when it expires. On (Linux `tcp_abort_on_overflow`): the client is
    /// reset at once, for applications that prefer clients to fail fast
    /// and retry elsewhere.
    pub fn set_abort_on_overflow(&mut self, abort: bool) {
        self.abort_on_overflow = abort;
    }

    /// Whether overflowing handshakes are reset at once (see
    /// [`set_abort_on_overflow`](Self::set_abort_on_overflow)).
    pub fn abort_on_overflow(&self) -> bool {
        self.abort_on_overflow
    }

    /// Sockets lent and not yet used.
    pub fn pooled(&self) -> usize {
        self.pool.iter().filter(|s| s.is_some()).count()
    }

    /// The next established connection, if any.
    pub fn accept(&mut self) -> Option<SocketHandle> {
        if self.accept_len == 0 {
            return None;
        }
        let cap = self.accept_queue.len();
        let h = self.accept_queue.get_mut(self.accept_head)?.take();
        self.accept_head = (self.accept_head + 1) % cap.max(1);
        self.accept_len -= 1;
        h
    }

    /// Connections waiting for `accept`.
    pub fn backlog(&self) -> usize {
        self.accept_len
    }

    /// Half-open connections in the SYN queue.
    pub fn half_open(&self) -> usize {
        self.syn_count
    }

    /// The counters.
    pub fn stats(&self) -> ListenerStats {
        self.stats
    }

    // ----- for the interface ---------------------------------------------

    pub(crate) fn stats_mut(&mut self) -> &mut ListenerStats {
        &mut self.stats
    }

    /// The half-open record for a 4-tuple.
    pub(crate) fn find(
        &mut self,
        local: &IpEndpoint,
        remote: &IpEndpoint,
    ) -> Option<&mut HalfOpen> {
        let n = self.syn_used.min(self.syn_queue.len());
        let found = self.syn_queue[..n]
            .iter_mut()
            .flatten()
            .find(|h| h.local == *local && h.remote == *remote);
        // The caller may move its deadline (a retransmitted SYN is
        // answered at once).
        self.syn_stale |= found.is_some();
        found
    }

    /// Stores a half-open connection; false when the SYN queue is full.
    pub(crate) fn enqueue_syn(&mut self, half: HalfOpen) -> bool {
        if self.syn_count >= self.syn_queue.len() {
            return false;
        }
        match self.syn_queue.iter().position(Option::is_none) {
            Some(i) => {
                self.note_record(i, half.next_at);
                self.syn_count += 1;
                self.syn_queue[i] = Some(half);
                true
            }
            None => false,
        }
    }

    /// Stores a connection whose client completed the handshake when there
    /// was no room for it: in a free slot, else in place of the oldest
    /// record whose client left a whole SYN-ACK timeout unanswered (a SYN
    /// flood's, most likely: a real client that lost our SYN-ACK
    /// retransmits its SYN). A record answered more recently may have its
    /// ACK on the way, which would find nothing and earn a reset. False
    /// when no slot can be had.
    pub(crate) fn enqueue_acked(&mut self, half: HalfOpen) -> bool {
        let slot = match self.syn_queue.iter().position(Option::is_none) {
            Some(i) => Some(i),
            None => self
                .syn_queue
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    s.filter(|h| !h.acked && h.sent >= 2)
                        .map(|h| (i, h.created))
                })
                .min_by_key(|&(_, created)| created)
                .map(|(i, _)| i),
        };
        match slot.filter(|&i| i < self.syn_queue.len()) {
            Some(i) => {
                self.note_record(i, half.next_at);
                if self.syn_queue[i].is_none() {
                    self.syn_count += 1;
                }
                self.syn_queue[i] = Some(HalfOpen {
                    acked: true,
                    ..half
                });
                true
            }
            None => false,
        }
    }

    /// Notes that a SYN cookie went out at `now`.
    pub(crate) fn cookie_sent(&mut self, now: Instant) {
        self.last_cookie_at = Some(now);
        self.stats.cookies_sent = self.stats.cookies_sent.wrapping_add(1);
    }

    /// True when an ACK may be checked for a cookie: one went out recently
    /// enough to be still valid. A listener that never ran out of SYN queue
    /// so offers no brute-force target (24 bits of MAC) to forged ACKs.
    pub(crate) fn cookies_recent(&self, now: Instant) -> bool {
        self.last_cookie_at
            .is_some_and(|t| now - t <= SYN_COOKIE_WINDOW)
    }

    /// Removes and returns the half-open record for a 4-tuple.
    pub(crate) fn take(&mut self, local: &IpEndpoint, remote: &IpEndpoint) -> Option<HalfOpen> {
        let taken = self
            .used_mut()
            .iter_mut()
            .find(|s| s.is_some_and(|h| h.local == *local && h.remote == *remote))
            .and_then(Option::take);
        if taken.is_some() {
            self.syn_count = self.syn_count.saturating_sub(1);
        }
        taken
    }

    /// True when a completed handshake can become a connection now.
    pub(crate) fn has_room(&self) -> bool {
        self.accept_len < self.accept_queue.len() && self.pool.iter().any(Option::is_some)
    }

    /// The pooled socket the next connection will take.
    pub(crate) fn peek_pooled(&self) -> Option<SocketHandle> {
        self.pool.iter().flatten().next().copied()
    }

    /// Takes a pooled socket for a new connection.
    pub(crate) fn take_pooled(&mut self) -> Option<SocketHandle> {
        self.pool
            .iter_mut()
            .find(|s| s.is_some())
            .and_then(Option::take)
    }

    /// Queues an established connection for `accept`.
    pub(crate) fn push_accepted(&mut self, h: SocketHandle) -> bool {
        let cap = self.accept_queue.len();
        if self.accept_len >= cap {
            return false;
        }
        let at = (self.accept_head + self.accept_len) % cap;
        match self.accept_queue.get_mut(at) {
            Some(slot) => {
                *slot = Some(h);
                self.accept_len += 1;
                self.stats.accepted = self.stats.accepted.wrapping_add(1);
                true
            }
            None => false,
        }
    }

    /// The half-open connections whose SYN-ACK is due, expiring those out
    /// of retries (counted). Calls `f(record, false)` for each due SYN-ACK
    /// and `f(record, true)` for an expired record whose client completed
    /// the handshake (it is owed a reset); `f` returns false when it could
    /// not send (stop for now: the record stays due).
    pub(crate) fn due_synacks(
        &mut self,
        now: Instant,
        mut f: impl FnMut(&mut HalfOpen, bool) -> bool,
    ) {
        // Records left the end of the queue since the last look.
        while self.used().last().is_some_and(Option::is_none) {
            self.syn_used -= 1;
        }
        if !self.syn_stale && self.syn_next.is_none_or(|t| t > now) {
            return;
        }
        // Recomputed as the records are looked at; a record left due (no
        // room to send) keeps it at `now`.
        self.syn_stale = false;
        let mut next: Option<Instant> = None;
        let n = self.syn_used.min(self.syn_queue.len());
        for slot in self.syn_queue[..n].iter_mut() {
            let Some(h) = slot else { continue };
            if h.next_at <= now {
                if h.sent > SYNACK_RETRIES {
                    if h.acked {
                        if !f(h, true) {
                            self.syn_next = Some(now);
                            return;
                        }
                        self.stats.overflow_resets = self.stats.overflow_resets.wrapping_add(1);
                    }
                    *slot = None;
                    self.syn_count = self.syn_count.saturating_sub(1);
                    self.stats.expired = self.stats.expired.wrapping_add(1);
                    continue;
                }
                if !f(h, false) {
                    self.syn_next = Some(now);
                    return;
                }
                h.sent = h.sent.saturating_add(1);
                // RFC 6298 §5.5-style doubling from 1 s.
                h.next_at = now + SYNACK_TIMEOUT * (1u32 << (h.sent - 1).min(6));
            }
            next = Some(next.map_or(h.next_at, |t| t.min(h.next_at)));
        }
        self.syn_next = next;
    }

    /// Notes a record stored in slot `i`, due at `at`.
    fn note_record(&mut self, i: usize, at: Instant) {
        self.syn_used = self.syn_used.max(i + 1);
        if !self.syn_stale {
            self.syn_next = Some(self.syn_next.map_or(at, |t| t.min(at)));
        }
    }

    /// The part of the SYN queue that holds records.
    fn used(&self) -> &[Option<HalfOpen>] {
        let q: &[Option<HalfOpen>] = &self.syn_queue;
        q.get(..self.syn_used).unwrap_or(q)
    }

    fn used_mut(&mut self) -> &mut [Option<HalfOpen>] {
        let n = self.syn_used.min(self.syn_queue.len());
        &mut self.syn_queue[..n]
    }

    /// When the next SYN-ACK is due.
    pub(crate) fn poll_at(&self) -> Option<Instant> {
        if !self.syn_stale {
            return self.syn_next;
        }
        self.used().iter().flatten().map(|h| h.next_at).min()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::wire::{IpAddr, Ipv4Addr};
    use std::vec;

    fn ep(last: u8, port: u16) -> IpEndpoint {
        IpEndpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)), port)
    }

    fn half(port: u16, at: i64) -> HalfOpen {
        let syn = TcpRepr::bare(port, 80, crate::wire::tcp::TcpFlags::SYN, TcpSeqNumber(7));
        HalfOpen::from_syn(
            ep(1, 80),
            ep(2, port),
            &syn,
            TcpSeqNumber(1000),
            0,
            Instant::from_millis(at),
        )
    }

    fn listener(syn_queue: usize) -> TcpListener<'static> {
        TcpListener::new(vec![None; syn_queue], vec![None; 1], vec![None; 1])
    }

    #[test]
    fn a_completed_handshake_evicts_the_oldest_unanswered_record() {
        let mut l = listener(3);
        assert!(l.enqueue_syn(HalfOpen {
            sent: 2,
            ..half(1, 5)
        }));
        assert!(l.enqueue_syn(HalfOpen {
            sent: 3,
            ..half(2, 1)
        }));
        // Answered once only: its ACK may be on the way, it stays.
        assert!(l.enqueue_syn(HalfOpen {
            sent: 1,
            ..half(6, 0)
        }));
        // Full: the acked one takes the place of the oldest unacked (port 2).
        assert!(l.enqueue_acked(half(3, 9)));
        assert!(l.find(&ep(1, 80), &ep(2, 2)).is_none());
        assert!(l.find(&ep(1, 80), &ep(2, 3)).is_some_and(|h| h.acked));
        assert!(l.enqueue_acked(half(4, 9)));
        assert!(l.find(&ep(1, 80), &ep(2, 1)).is_none());
        assert!(!l.enqueue_acked(half(5, 9)));
        assert!(l.find(&ep(1, 80), &ep(2, 6)).is_some());
        assert_eq!(l.half_open(), 3);
    }

    #[test]
    fn an_expired_completed_handshake_is_owed_a_reset() {
        let mut l = listener(2);
        assert!(l.enqueue_syn(half(1, 0)));
        assert!(l.enqueue_acked(half(2, 0)));
        let mut t = Instant::ZERO;
        let mut resets = vec![];
        for _ in 0..20 {
            l.due_synacks(t, |h, expired| {
                if expired {
                    resets.push(h.remote.port);
                }
                true
            });
            t += Duration::from_secs(16);
        }
        assert_eq!(resets, [2], "only the acked one");
        assert_eq!(l.half_open(), 0);
        let st = l.stats();
        assert_eq!((st.expired, st.overflow_resets), (2, 1));
    }

    #[test]
    fn records_are_found_wherever_they_sit_as_others_come_and_go() {
        let mut l = listener(1024);
        for port in 1..=3 {
            assert!(l.enqueue_syn(half(port, i64::from(port) * 100)));
        }
        assert!(l.take(&ep(1, 80), &ep(2, 1)).is_some());
        assert!(l.take(&ep(1, 80), &ep(2, 2)).is_some());
        // The free slot at the front is reused; the last record is still
        // found behind the gap.
        assert!(l.enqueue_syn(half(4, 50)));
        assert!(l.find(&ep(1, 80), &ep(2, 3)).is_some());
        assert_eq!(l.poll_at(), Some(Instant::from_millis(50)));
        assert!(l.take(&ep(1, 80), &ep(2, 4)).is_some());
        assert_eq!(l.poll_at(), Some(Instant::from_millis(300)));
        assert!(l.take(&ep(1, 80), &ep(2, 3)).is_some());
        l.due_synacks(Instant::ZERO, |_, _| true);
        assert_eq!((l.half_open(), l.poll_at()), (0, None));
        // Filled to the end and back: every record is looked at.
        for port in 1..=1024 {
            assert!(l.enqueue_syn(half(port, 5000 - i64::from(port))));
        }
        assert!(!l.enqueue_syn(half(2000, 0)));
        assert_eq!(l.poll_at(), Some(Instant::from_millis(5000 - 1024)));
        assert!(l.find(&ep(1, 80), &ep(2, 1024)).is_some());
        assert_eq!(l.half_open(), 1024);
    }

    #[test]
    fn the_next_deadline_follows_records_added_moved_and_answered() {
        let mut l = listener(1024);
        assert_eq!(l.poll_at(), None);
        assert!(l.enqueue_syn(half(1, 1000)));
        assert!(l.enqueue_syn(half(2, 500)));
        assert_eq!(l.poll_at(), Some(Instant::from_millis(500)));
        let mut sent = vec![];
        l.due_synacks(Instant::from_millis(100), |h, _| {
            sent.push(h.remote.port);
            true
        });
        assert!(sent.is_empty(), "nothing due yet");
        // A retransmitted SYN is answered at once: the caller moves the
        // record's deadline through `find`.
        l.find(&ep(1, 80), &ep(2, 1)).unwrap().next_at = Instant::from_millis(100);
        assert_eq!(l.poll_at(), Some(Instant::from_millis(100)));
        l.due_synacks(Instant::from_millis(100), |h, _| {
            sent.push(h.remote.port);
            true
        });
        assert_eq!(sent, [1]);
        // Answered: due again a SYN-ACK timeout later; the other still at 500.
        assert_eq!(l.poll_at(), Some(Instant::from_millis(500)));
        l.due_synacks(Instant::from_millis(500), |h, _| {
            sent.push(h.remote.port);
            true
        });
        assert_eq!(sent, [1, 2]);
        assert_eq!(
            l.poll_at(),
            Some(Instant::from_millis(100) + SYNACK_TIMEOUT),
            "port 1's resend comes first"
        );
        l.close();
        assert_eq!(l.poll_at(), None);
    }

    #[test]
    fn cookies_are_checked_only_after_a_recent_one() {
        let mut l = listener(0);
        assert!(!l.cookies_recent(Instant::ZERO));
        l.cookie_sent(Instant::from_secs(10));
        assert!(l.cookies_recent(Instant::from_secs(10) + SYN_COOKIE_WINDOW));
        assert!(!l
            .cookies_recent(Instant::from_secs(10) + SYN_COOKIE_WINDOW + Duration::from_millis(1)));
    }

    #[test]
    fn bare_acks_of_a_record_are_rate_limited() {
        let mut h = half(1, 0);
        assert!(h.may_ack(Instant::from_millis(0)));
        assert!(!h.may_ack(Instant::from_millis(499)));
        assert!(h.may_ack(Instant::from_millis(500)));
    }

    #[test]
    fn the_window_check_starts_at_rcv_nxt() {
        let mut h = half(1, 0);
        h.rcv_wnd = 100;
        assert!(!h.in_window(TcpSeqNumber(7)), "the SYN's own number");
        assert!(h.in_window(TcpSeqNumber(8)));
        assert!(h.in_window(TcpSeqNumber(107)));
        assert!(!h.in_window(TcpSeqNumber(108)));
        h.rcv_wnd = 0;
        assert!(h.in_window(TcpSeqNumber(8)));
        assert!(!h.in_window(TcpSeqNumber(9)));
    }
}
