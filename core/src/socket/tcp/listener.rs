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

use super::isn::{
    decode_ts_options, encode_ts_options, stamp_ts_options, IsnGenerator, SynCookies,
};
use super::rtt::TsClock;
use super::TcpSocket;
use crate::socket::waker::SocketWakers;
use crate::socket::SocketHandle;
use crate::time::{Duration, Instant};
use crate::wire::tcp::{TcpFlags, TcpRepr, TcpSeqNumber, MAX_SACK_BLOCKS};
use crate::wire::{IpAddr, IpEndpoint, IpListenEndpoint};

/// SYN-ACK retransmissions before a half-open connection is dropped
/// (Linux `tcp_synack_retries` = 5).
pub const SYNACK_RETRIES: u8 = 5;

/// How many new records a listener tracks between two looks at its SYN
/// queue (more: the whole queue is looked at).
const FRESH_SLOTS: usize = 8;

/// What [`Listener::service`] did with one slot.
enum Serviced {
    /// No record there.
    Empty,
    /// The record ran out of retries and is gone.
    Gone,
    /// The record is next due at this instant.
    Next(Instant),
    /// Its segment could not go now: it stays due.
    Blocked,
}

/// The fewest SYN-ACK retransmissions an unanswered half-open connection
/// gets while the SYN queue is more than half full (Linux's floor in
/// `reqsk_timer_handler`): a SYN flood's records then die after about 7 s
/// instead of 63 s, so the queue, and the scan of it each segment to the
/// listener costs, is not left full long after the flood ended.
pub const SYNACK_RETRIES_PRUNED: u8 = 2;

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

    /// True when this record is the connection `local` ↔ `remote`. Every
    /// segment to the listener scans the SYN queue with this, and a flood
    /// leaves it full: the client's port, which differs between almost any
    /// two records (a flood's too), is compared first, so a scan of 1024
    /// records costs a few instructions each rather than two whole
    /// address comparisons.
    #[inline]
    pub fn is_for(&self, local: &IpEndpoint, remote: &IpEndpoint) -> bool {
        self.remote.port == remote.port
            && self.local.port == local.port
            && self.remote.addr == remote.addr
            && self.local.addr == local.addr
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

impl core::fmt::Display for ListenError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ListenError::PoolFull => f.write_str("the listener pool's storage is full"),
        }
    }
}

impl core::error::Error for ListenError {}

/// A listening socket: takes any number of connections on one port into
/// closed [`tcp::Socket`](super::Socket)s the application lends it.
///
/// Half-open connections are small records in the SYN queue, not sockets:
/// a SYN flood fills the queue, after which SYN cookies (RFC 4987 §3.6)
/// answer without state. A completed handshake takes a socket from the
/// pool ([`provide`](Self::provide)) and waits in the accept queue (the
/// backlog) for [`accept`](Self::accept). A socket whose connection ended
/// can be provided again.
///
/// # Example
///
/// ```
/// # use rstcp::iface::{Config, Interface, InterfaceStorage};
/// # use rstcp::socket::{IndexSlot, SocketSet, SocketStorage};
/// # use rstcp::time::Instant;
/// # use rstcp::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr};
/// # let mut config = Config::new(EthernetAddress([0x02, 0, 0, 0, 0, 0x01]));
/// # config.ipv4_probe = false;
/// # let mut iface = Interface::new(config, InterfaceStorage::none(), Instant::ZERO);
/// # let cidr = Ipv4Cidr::new(Ipv4Addr::new(192, 168, 69, 1), 24).unwrap();
/// # iface.add_ipv4_address(cidr, Instant::ZERO).unwrap();
/// # let mut slots = [SocketStorage::EMPTY; 4];
/// # let mut index = [IndexSlot::default(); 8];
/// # let mut sockets = SocketSet::new(&mut slots[..], &mut index[..], 0x5eed);
/// use rstcp::socket::tcp::{self, HalfOpen};
/// use rstcp::socket::SocketHandle;
/// use rstcp::storage::RingBuffer;
///
/// // A SYN queue of 8 half-open connections, a pool of 2 sockets, a
/// // backlog of 2.
/// let mut syn_queue = [None::<HalfOpen>; 8];
/// let mut pool = [None::<SocketHandle>; 2];
/// let mut backlog = [None::<SocketHandle>; 2];
/// let listener = tcp::Listener::new(&mut syn_queue[..], &mut pool[..], &mut backlog[..]);
/// let listener = sockets.add(listener).unwrap();
/// sockets.listen(listener, 7).unwrap();
///
/// let mut rings = [[0u8; 4096]; 4];
/// let mut rings = rings.iter_mut();
/// while let (Some(rx), Some(tx)) = (rings.next(), rings.next()) {
///     let socket = tcp::Socket::new(RingBuffer::new(&mut rx[..]), RingBuffer::new(&mut tx[..]));
///     let socket = sockets.add(socket).unwrap();
///     sockets.get_mut::<tcp::Listener>(listener).unwrap().provide(socket).unwrap();
/// }
///
/// // In the loop, after each poll: take the new connections.
/// while let Some(conn) = sockets.get_mut::<tcp::Listener>(listener).unwrap().accept() {
///     let socket = sockets.get_mut::<tcp::Socket>(conn).unwrap();
///     // ... recv_slice / send_slice; once !socket.is_open(), provide it again.
/// #   let _ = socket;
/// }
/// ```
#[derive(Debug)]
pub struct Listener<'a> {
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
    /// Slots that took a record since the last look at the queue: a new
    /// SYN's first SYN-ACK is sent by looking at these alone, so a
    /// connection costs no scan of the queue whatever else it holds.
    fresh: heapless::Vec<usize, FRESH_SLOTS>,
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
    /// The task awaiting a connection (feature `async`; its receive slot).
    wakers: SocketWakers,
}

/// The former name of [`Listener`]: it stays for existing code (it is the same
/// type), but new code should say `tcp::Listener`, so that it is never
/// confused with the std-like `rstcp::runtime::TcpListener` (a blocking handle on
/// the threaded runtime, `std` feature).
pub type TcpListener<'a> = Listener<'a>;

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
            fresh: heapless::Vec::new(),
            pool: pool.into(),
            accept_queue: accept_queue.into(),
            accept_head: 0,
            accept_len: 0,
            stats: ListenerStats::default(),
            last_cookie_at: None,
            abort_on_overflow: false,
            wakers: SocketWakers::new(),
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
        self.wakers.wake_all();
        self.syn_queue.iter_mut().for_each(|s| *s = None);
        self.syn_used = 0;
        self.syn_count = 0;
        self.syn_next = None;
        self.fresh.clear();
    }

    /// Wakes `waker`'s task once a connection waits for
    /// [`accept`](Self::accept), or the listener is closed (feature
    /// `async`). One task at a time: a later, different waker replaces this
    /// one and wakes it.
    #[cfg(feature = "async")]
    pub fn register_accept_waker(&mut self, waker: &core::task::Waker) {
        self.wakers.register_recv(waker);
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
            .find(|h| h.is_for(local, remote));
        // Not marked stale: a handshake completes through here, and
        // recomputing the next deadline after each would scan the whole
        // queue per connection (a flood's records too). A caller that
        // moves a deadline earlier says so with `note_due`.
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
            .find(|s| s.is_some_and(|h| h.is_for(local, remote)))
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

    /// The sockets lent and not yet used (for the std runtime, which
    /// frees those at the end of its socket table to shrink it).
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub(crate) fn pooled_handles(&self) -> impl Iterator<Item = SocketHandle> + '_ {
        self.pool.iter().flatten().copied()
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
                self.wakers.wake_recv_if(true);
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
        let fresh = core::mem::take(&mut self.fresh);
        if self.syn_next.is_none_or(|t| t > now) {
            // Only records stored since the last look can be due (a new
            // SYN's first SYN-ACK): those, not the whole queue, which a
            // flood leaves holding hundreds of records for a minute.
            // New records are young: never pruned (see
            // `unanswered_retries`).
            let pruned = SYNACK_RETRIES;
            for (k, &i) in fresh.iter().enumerate() {
                let Some(slot) = self.syn_queue.get_mut(i) else {
                    continue;
                };
                match Self::service(slot, now, pruned, &mut self.stats, &mut f) {
                    Serviced::Empty => {}
                    Serviced::Gone => self.syn_count = self.syn_count.saturating_sub(1),
                    Serviced::Next(at) => self.note_due(at),
                    Serviced::Blocked => {
                        // Left due: this one and the rest are looked at
                        // again on the next call.
                        self.fresh = fresh.get(k..).map_or_else(Default::default, |rest| {
                            heapless::Vec::from_slice(rest).unwrap_or_default()
                        });
                        return;
                    }
                }
            }
            return;
        }
        // Recomputed as the records are looked at; a record left due (no
        // room to send) keeps it at `now`.
        let pruned = self.unanswered_retries();
        let mut next: Option<Instant> = None;
        let n = self.syn_used.min(self.syn_queue.len());
        for slot in self.syn_queue[..n].iter_mut() {
            match Self::service(slot, now, pruned, &mut self.stats, &mut f) {
                Serviced::Empty => {}
                Serviced::Gone => self.syn_count = self.syn_count.saturating_sub(1),
                Serviced::Next(at) => next = Some(next.map_or(at, |t| t.min(at))),
                Serviced::Blocked => {
                    self.syn_next = Some(now);
                    return;
                }
            }
        }
        self.syn_next = next;
    }

    /// Sends the SYN-ACK (or the reset) of one slot's record if due, or
    /// drops it once out of retries; `pruned` is the retries left to a
    /// record no client answered.
    fn service(
        slot: &mut Option<HalfOpen>,
        now: Instant,
        pruned: u8,
        stats: &mut ListenerStats,
        f: &mut impl FnMut(&mut HalfOpen, bool) -> bool,
    ) -> Serviced {
        let Some(h) = slot else {
            return Serviced::Empty;
        };
        if h.next_at > now {
            return Serviced::Next(h.next_at);
        }
        // A client that completed the handshake is real: it keeps every
        // retry while it waits for room in the accept queue.
        let retries = if h.acked { SYNACK_RETRIES } else { pruned };
        if h.sent > retries {
            if h.acked {
                if !f(h, true) {
                    return Serviced::Blocked;
                }
                stats.overflow_resets = stats.overflow_resets.wrapping_add(1);
            }
            *slot = None;
            stats.expired = stats.expired.wrapping_add(1);
            return Serviced::Gone;
        }
        if !f(h, false) {
            return Serviced::Blocked;
        }
        h.sent = h.sent.saturating_add(1);
        // RFC 6298 §5.5-style doubling from 1 s.
        h.next_at = now + SYNACK_TIMEOUT * (1u32 << (h.sent - 1).min(6));
        Serviced::Next(h.next_at)
    }

    /// How many SYN-ACK retransmissions a record no client answered gets
    /// now. Normally [`SYNACK_RETRIES`]; once the SYN queue is more than
    /// half full, fewer (down to [`SYNACK_RETRIES_PRUNED`]) the more of
    /// it is old records, those already retransmitted to, as Linux's
    /// `reqsk_timer_handler` prunes: half the queue stays for young
    /// records (a real client answers the first SYN-ACK within an RTT),
    /// and a flood's records, which nobody answers, leave the queue in
    /// seconds. A real client whose SYN-ACKs were all lost retransmits
    /// its SYN and gets a new record (or a cookie).
    fn unanswered_retries(&self) -> u8 {
        let queued = self.syn_count;
        if queued * 2 <= self.syn_queue.len().max(8) {
            return SYNACK_RETRIES;
        }
        let young = self.used().iter().flatten().filter(|h| h.sent <= 1).count();
        let mut retries = SYNACK_RETRIES;
        // Each step down needs twice the old-to-young ratio of the last.
        let mut young = young.saturating_mul(2);
        while retries > SYNACK_RETRIES_PRUNED && queued >= young {
            retries -= 1;
            young = young.saturating_mul(2);
        }
        retries
    }

    /// Notes that a record found by [`find`](Self::find) was made due at
    /// `at` (a retransmitted SYN is answered at once).
    pub(crate) fn note_due(&mut self, at: Instant) {
        self.syn_next = Some(self.syn_next.map_or(at, |t| t.min(at)));
    }

    /// Notes a record stored in slot `i`, due at `at`.
    fn note_record(&mut self, i: usize, at: Instant) {
        self.syn_used = self.syn_used.max(i + 1);
        if self.fresh.push(i).is_err() {
            // More new records than the list holds: the whole queue is
            // looked at instead.
            self.note_due(at);
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

    /// No SYN-ACK is due before this (`None`: no record). A record taken
    /// since the last scan may leave it early: the poll then finds nothing
    /// due and the scan it makes sets it right, once, instead of a scan
    /// per completed handshake.
    pub(crate) fn poll_at(&self) -> Option<Instant> {
        let fresh = self
            .fresh
            .iter()
            .filter_map(|&i| self.syn_queue.get(i).copied().flatten())
            .map(|h| h.next_at)
            .min();
        match (self.syn_next, fresh) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The bare ACK of a half-open connection (SYN-RECEIVED: <SEQ=ISS+1>
/// <ACK=RCV.NXT>), answering an in-window reset (RFC 5961 §3.2) or an
/// unacceptable segment (RFC 9293 §3.10.7.4). Not a SYN: its window is
/// scaled when scaling was agreed (RFC 7323 §2.2).
fn half_open_ack(half: &HalfOpen, now: Instant) -> TcpRepr<'static> {
    TcpRepr {
        ack_number: Some(half.irs + 1),
        window_len: half.rcv_wnd >> half.rcv_shift,
        timestamp: half
            .tsval
            .map(|tsval| (TsClock::new(half.ts_offset).ts_val(now), tsval)),
        ..TcpRepr::bare(
            half.local.port,
            half.remote.port,
            TcpFlags::empty(),
            half.iss + 1,
        )
    }
}

/// The SYN-queue record of a cookie connection that completed when the
/// listener had no room (RFC 4987 §3.6 gives it back: the client's ISN
/// from SEG.SEQ, ours from SEG.ACK, the MSS from the cookie, the options
/// from TSecr), as if its SYN-ACK had been sent once.
fn cookie_record(
    mut half: HalfOpen,
    ack: &TcpRepr<'_>,
    mss: u16,
    offer: &SynAckOffer,
    now: Instant,
) -> HalfOpen {
    let options = ack.timestamp.map(|(_, tsecr)| decode_ts_options(tsecr));
    half.irs = ack.seq_number - 1;
    half.mss = Some(mss);
    half.window_scale = options.and_then(|o| o.wscale);
    half.sack_permitted = options.is_some_and(|o| o.sack_ok);
    half.tsval = ack.timestamp.map(|(tsval, _)| tsval);
    half.negotiate(offer);
    half.rcv_wnd = u16::try_from(offer.window).unwrap_or(u16::MAX);
    half.sent = 1;
    half.next_at = now + SYNACK_TIMEOUT;
    half
}

/// The SYN-ACK for a half-open connection (RFC 9293 §3.10.7.2): our ISN,
/// the client's plus one, and the options it offered that we take.
fn synack_repr(half: &HalfOpen, mss: u16, window: usize, now: Instant) -> TcpRepr<'static> {
    TcpRepr {
        src_port: half.local.port,
        dst_port: half.remote.port,
        control: TcpFlags::SYN,
        seq_number: half.iss,
        ack_number: Some(half.irs + 1),
        // RFC 7323 §2.2: the window of a SYN segment is never scaled.
        window_len: u16::try_from(window).unwrap_or(u16::MAX),
        window_scale: half.window_scale.map(|_| half.rcv_shift),
        max_seg_size: Some(mss),
        sack_permitted: half.sack_permitted,
        sack_ranges: [None; MAX_SACK_BLOCKS],
        // RFC 7323 §3.2: echo the client's TSval.
        timestamp: half
            .tsval
            .map(|tsval| (TsClock::new(half.ts_offset).ts_val(now), tsval)),
        urgent_at: None,
        payload: &[],
    }
}

/// What a listener needs from the interface to answer a segment.
pub(crate) struct ListenContext<'k> {
    /// The poll's time.
    pub now: Instant,
    /// The device MTU: the MSS we offer is what the IP and TCP headers
    /// leave of it.
    pub mtu: usize,
    /// What a SYN-ACK offers: the window and options of the socket the
    /// connection will take from the pool.
    pub offer: SynAckOffer,
    /// Initial sequence numbers (RFC 6528) and timestamp offsets.
    pub isn: &'k IsnGenerator,
    /// SYN cookies (RFC 4987 §3.6).
    pub cookies: &'k SynCookies,
}

/// Why a listener dropped a segment; the interface counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListenDrop {
    /// No room for one more connection (accept queue full or no socket lent).
    NoRoom,
    /// A segment outside the window offered to a half-open connection.
    Unacceptable,
    /// An ACK that completes no handshake (no record, no valid cookie).
    NoConnection,
}

/// What the interface does for a segment a listener took, in this order:
/// poll the listener again, send the reply, count the drop, answer with a
/// reset (RFC 9293 §3.10.7.1), hand the completed connection to its socket.
#[derive(Debug, Default)]
pub(crate) struct Verdict {
    /// The listener has something new to send (a SYN queued or repeated).
    pub touch: bool,
    /// A segment to send back: a SYN-ACK carrying a cookie, or the bare ACK
    /// of a half-open connection.
    pub reply: Option<TcpRepr<'static>>,
    /// The segment was dropped, for this reason.
    pub drop: Option<ListenDrop>,
    /// Answer the segment with a reset.
    pub reset: bool,
    /// A handshake completed: the connection moves into a pooled socket.
    pub accept: Option<Accepted>,
}

impl Verdict {
    fn dropped(why: ListenDrop) -> Verdict {
        Verdict {
            drop: Some(why),
            ..Verdict::default()
        }
    }

    fn reset() -> Verdict {
        Verdict {
            reset: true,
            ..Verdict::default()
        }
    }
}

/// A completed handshake, for the pooled socket that takes it.
#[derive(Debug)]
pub(crate) struct Accepted {
    /// The socket taken from the pool.
    pub child: SocketHandle,
    /// The connection's record (for a cookie connection, rebuilt from the
    /// ACK).
    pub half: HalfOpen,
    /// The MSS a SYN cookie encoded, for a connection proven by one.
    pub cookie_mss: Option<u16>,
    /// The accept queue took the socket; when it did not, the connection is
    /// aborted at once.
    pub pushed: bool,
}

impl Accepted {
    /// Moves the connection into `socket`, ESTABLISHED, and lets it take
    /// the ACK, which may carry data already.
    pub(crate) fn complete(
        &self,
        socket: &mut TcpSocket<'_>,
        ack: &TcpRepr<'_>,
        mtu: usize,
        now: Instant,
    ) {
        let half = &self.half;
        let our_mss = usize::from(our_mss(mtu, &half.remote.addr));
        match self.cookie_mss {
            Some(mss) => {
                let options = ack.timestamp.map(|(_, tsecr)| decode_ts_options(tsecr));
                socket.accept_cookie(
                    half.local,
                    half.remote,
                    ack,
                    mss,
                    options,
                    our_mss,
                    half.ts_offset,
                    now,
                )
            }
            None => socket.accept_established(half, ack, our_mss, now),
        }
        socket.process(now, ack);
    }
}

/// The MSS we offer: the MTU less the IP and TCP headers.
pub(crate) fn our_mss(mtu: usize, remote: &IpAddr) -> u16 {
    u16::try_from(mtu.saturating_sub(ip_tcp_headers(remote))).unwrap_or(u16::MAX)
}

/// The fixed IP and TCP headers of a segment to `remote`, without options
/// (RFC 9293 §3.7.1: the MSS is what is left of an MTU after them).
pub(crate) fn ip_tcp_headers(remote: &IpAddr) -> usize {
    match remote {
        IpAddr::V4(_) => 40,
        IpAddr::V6(_) => 60,
    }
}

impl TcpListener<'_> {
    /// A segment from `remote` to this listener's `local` (RFC 9293
    /// §3.10.7.2 LISTEN and SYN-RECEIVED, RFC 4987 §3.6 cookies, RFC 5961
    /// §3.2 resets): the SYN queue, the cookies and the accept queue
    /// change here; what goes on the wire is the interface's, as the
    /// [`Verdict`] says.
    pub(crate) fn segment(
        &mut self,
        cx: &ListenContext<'_>,
        local: IpEndpoint,
        remote: IpEndpoint,
        repr: &TcpRepr<'_>,
    ) -> Verdict {
        let now = cx.now;
        let our_mss = our_mss(cx.mtu, &remote.addr);
        let offer = cx.offer;
        let l = self;
        if repr.control.contains(TcpFlags::RST) {
            // RFC 5961 §3.2 (all states but SYN-SENT), in SYN-RECEIVED: only
            // a reset at exactly RCV.NXT ends the half-open connection; one
            // elsewhere in the window earns a challenge ACK (throttled), so a
            // blind attacker must hit one number in 2³², not one window.
            let Some(half) = l.find(&local, &remote) else {
                return Verdict::default();
            };
            if repr.seq_number == half.irs + 1 {
                l.take(&local, &remote);
            } else if half.sent > 0 && half.in_window(repr.seq_number) && half.may_ack(now) {
                return Verdict {
                    reply: Some(half_open_ack(half, now)),
                    ..Verdict::default()
                };
            }
            return Verdict::default();
        }
        match (repr.control.contains(TcpFlags::SYN), repr.ack_number) {
            (true, None) => {
                l.stats.syns = l.stats.syns.wrapping_add(1);
                if let Some(half) = l.find(&local, &remote) {
                    // A retransmitted SYN: answer it again now.
                    if half.irs == repr.seq_number {
                        half.next_at = now;
                        l.note_due(now);
                    }
                    return Verdict {
                        touch: true,
                        ..Verdict::default()
                    };
                }
                if !l.has_room() {
                    // No room for one more connection (accept queue full or
                    // no socket lent): ignore the SYN, as Linux does with a
                    // full accept queue (`tcp_conn_request`). The client
                    // stays in SYN-SENT and retransmits; answered, it would
                    // believe in a connection we cannot hold.
                    l.stats.syns_dropped = l.stats.syns_dropped.wrapping_add(1);
                    return Verdict::dropped(ListenDrop::NoRoom);
                }
                let iss = cx.isn.isn(local, remote, now);
                let ts_offset = cx.isn.ts_offset(local, remote);
                let half = HalfOpen::from_syn(local, remote, repr, iss, ts_offset, now);
                if l.enqueue_syn(half) {
                    return Verdict {
                        touch: true,
                        ..Verdict::default()
                    };
                }
                // The SYN queue is full: a SYN cookie keeps no state
                // (RFC 4987 §3.6), so a flood cannot crowd clients out.
                l.cookie_sent(now);
                let client_mss = repr.max_seg_size.unwrap_or(536).min(our_mss);
                let cookie = cx
                    .cookies
                    .encode(now, local, remote, repr.seq_number, client_mss);
                let mut cookie_half =
                    HalfOpen::from_syn(local, remote, repr, cookie, ts_offset, now);
                cookie_half.negotiate(&offer);
                if cookie_half.tsval.is_none() {
                    // Window scale and SACK-permitted fit only in a
                    // timestamp: without one they are not offered.
                    cookie_half.window_scale = None;
                    cookie_half.sack_permitted = false;
                    cookie_half.rcv_shift = 0;
                }
                let mut synack = synack_repr(&cookie_half, our_mss, offer.window, now);
                if let Some((tsval, tsecr)) = synack.timestamp {
                    // The usual cookie scheme (RFC 4987 §3.6 with RFC 7323):
                    // the options agreed to ride in the low bits of our
                    // TSval, which the client's ACK echoes in TSecr.
                    let options =
                        encode_ts_options(cookie_half.window_scale, cookie_half.sack_permitted);
                    synack.timestamp = Some((stamp_ts_options(tsval, options), tsecr));
                }
                Verdict {
                    reply: Some(synack),
                    ..Verdict::default()
                }
            }
            (false, Some(ack)) => {
                let cookies_recent = l.cookies_recent(now);
                let established = match l.find(&local, &remote) {
                    Some(half) if ack == half.iss + 1 => {
                        // RFC 9293 §3.10.7.4 first check, in SYN-RECEIVED:
                        // the sequence number must fall in the window we
                        // offered; an unacceptable segment is dropped and
                        // answered with an ACK (rate-limited, as Linux's
                        // `tcp_oow_rate_limited`).
                        if !half.in_window(repr.seq_number) {
                            let reply = half.may_ack(now).then(|| half_open_ack(half, now));
                            return Verdict {
                                reply,
                                drop: Some(ListenDrop::Unacceptable),
                                ..Verdict::default()
                            };
                        }
                        l.take(&local, &remote).map(|h| (h, None))
                    }
                    Some(_) => None,
                    // RFC 4987 §3.6: a cookie is checked only while one we
                    // sent may still be valid.
                    None if cookies_recent => cx
                        .cookies
                        .decode(now, local, remote, repr.seq_number - 1, ack - 1)
                        .map(|mss| {
                            let ts_offset = cx.isn.ts_offset(local, remote);
                            (
                                HalfOpen::from_syn(local, remote, repr, ack - 1, ts_offset, now),
                                Some(mss),
                            )
                        }),
                    None => None,
                };
                let Some((half, cookie_mss)) = established else {
                    // RFC 9293 §3.10.7.2: an ACK to a listener gets a reset.
                    return Verdict {
                        drop: Some(ListenDrop::NoConnection),
                        reset: true,
                        ..Verdict::default()
                    };
                };
                if !l.has_room() {
                    // Accept queue full or no socket lent: as Linux, drop the
                    // ACK and keep the connection in the SYN queue, marked as
                    // completed; its SYN-ACK retransmissions draw the client's
                    // ACK again, and when it expires the client is reset, so
                    // no client is left believing in a connection that does
                    // not exist. A cookie connection gets a record too (in
                    // place of an unproven one if need be). When every slot
                    // holds a completed handshake, the cookie stays valid for
                    // the client's retransmissions (at most 128 s, then they
                    // earn a reset), as with Linux, unless the listener was
                    // told to abort on overflow (`tcp_abort_on_overflow`).
                    l.stats.overflows = l.stats.overflows.wrapping_add(1);
                    let held = match cookie_mss {
                        None => half,
                        Some(mss) => cookie_record(half, repr, mss, &offer, now),
                    };
                    if !l.abort_on_overflow() && l.enqueue_acked(held) {
                        return Verdict {
                            touch: true,
                            drop: Some(ListenDrop::NoRoom),
                            ..Verdict::default()
                        };
                    }
                    let mut verdict = Verdict::dropped(ListenDrop::NoRoom);
                    if l.abort_on_overflow() {
                        l.stats.overflow_resets = l.stats.overflow_resets.wrapping_add(1);
                        verdict.reset = true;
                    }
                    return verdict;
                }
                let Some(child) = l.take_pooled() else {
                    return Verdict::default();
                };
                if cookie_mss.is_some() {
                    l.stats.cookies_accepted = l.stats.cookies_accepted.wrapping_add(1);
                }
                let pushed = l.push_accepted(child);
                Verdict {
                    accept: Some(Accepted {
                        child,
                        half,
                        cookie_mss,
                        pushed,
                    }),
                    ..Verdict::default()
                }
            }
            // A SYN-ACK or a bare segment to a listener.
            _ if repr.ack_number.is_some() => Verdict::reset(),
            _ => Verdict::default(),
        }
    }

    /// Sends the due SYN-ACKs through `send`, and the resets owed to
    /// clients whose completed handshake expired in the SYN queue. `send`
    /// returns false when the segment could not go now (the record stays
    /// due).
    pub(crate) fn dispatch(
        &mut self,
        now: Instant,
        mtu: usize,
        offer: &SynAckOffer,
        mut send: impl FnMut(IpEndpoint, IpEndpoint, &TcpRepr<'_>) -> bool,
    ) {
        self.due_synacks(now, |half, expired| {
            let repr = if expired {
                // The client is in ESTABLISHED with RCV.NXT = our ISS + 1:
                // a reset there is accepted (RFC 9293 §3.10.7.4, RFC 5961
                // §3.2) and tells it the connection is gone.
                TcpRepr::bare(
                    half.local.port,
                    half.remote.port,
                    TcpFlags::RST,
                    half.iss + 1,
                )
            } else {
                if half.sent == 0 {
                    half.negotiate(offer);
                }
                let mss = our_mss(mtu, &half.remote.addr);
                let repr = synack_repr(half, mss, offer.window, now);
                half.rcv_wnd = repr.window_len;
                repr
            };
            send(half.local, half.remote, &repr)
        });
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
        l.due_synacks(Instant::from_millis(300), |_, _| true);
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
        l.note_due(Instant::from_millis(100));
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

    /// Drives the SYN-ACK timers of `l` every 100 ms from 0 to `until`
    /// (no send fails).
    fn run_synacks(l: &mut TcpListener<'_>, until: Duration) {
        let mut t = Instant::ZERO;
        while t <= Instant::ZERO + until {
            l.due_synacks(t, |_, _| true);
            t += Duration::from_millis(100);
        }
    }

    #[test]
    fn a_flood_leaves_the_syn_queue_within_seconds() {
        // A SYN flood from sources that never answer fills the queue; the
        // flood ends. Its records must not hold the queue (and cost a scan
        // of it for every later segment to the listener, and push every
        // new client onto cookies) for the whole 63 s of 5 retries.
        let mut l = listener(64);
        for port in 1..=64 {
            assert!(l.enqueue_syn(half(port, 0)));
        }
        assert!(
            !l.enqueue_syn(half(100, 0)),
            "full: the next SYN gets a cookie"
        );
        run_synacks(&mut l, Duration::from_secs(8));
        assert_eq!(l.half_open(), 0, "gone after 1 + 2 SYN-ACKs unanswered");
        assert!(
            l.enqueue_syn(half(100, 8000)),
            "a new client gets a record again"
        );
        assert_eq!(l.stats().expired, 64);
    }

    #[test]
    fn a_queue_at_most_half_full_keeps_every_retry() {
        // A few slow clients (lost SYN-ACKs, long RTT) are not a flood:
        // each keeps the 5 retransmissions of `tcp_synack_retries`.
        let mut l = listener(64);
        for port in 1..=32 {
            assert!(l.enqueue_syn(half(port, 0)));
        }
        run_synacks(&mut l, Duration::from_secs(62));
        assert_eq!(l.half_open(), 32);
        run_synacks(&mut l, Duration::from_secs(64));
        assert_eq!(l.half_open(), 0);
    }

    #[test]
    fn young_records_spare_the_old_ones_a_full_prune() {
        // Linux keeps half the queue for young records: with as many young
        // (just answered) as old records, the old lose only one retry.
        let mut l = listener(8);
        for port in 1..=8 {
            assert!(l.enqueue_syn(HalfOpen {
                sent: if port <= 4 { 1 } else { 3 },
                ..half(port, 0)
            }));
        }
        assert_eq!(l.unanswered_retries(), SYNACK_RETRIES - 1);
        for port in 1..=3 {
            l.find(&ep(1, 80), &ep(2, port)).unwrap().sent = 2;
        }
        assert_eq!(l.unanswered_retries(), SYNACK_RETRIES_PRUNED);
        // A completed handshake waiting for room is never pruned.
        let mut l = listener(8);
        for port in 1..=8 {
            assert!(l.enqueue_syn(HalfOpen {
                sent: 3,
                acked: port == 1,
                ..half(port, 0)
            }));
        }
        run_synacks(&mut l, Duration::from_secs(10));
        assert_eq!(l.half_open(), 1);
        assert!(l.find(&ep(1, 80), &ep(2, 1)).is_some());
    }

    #[test]
    fn new_records_are_answered_beside_a_full_queue_of_old_ones() {
        let mut l = listener(1024);
        for port in 1..=1000 {
            assert!(l.enqueue_syn(half(port, 10_000)));
        }
        // Nothing due yet: the old records are looked at once.
        l.due_synacks(Instant::from_millis(1), |_, _| panic!("nothing is due"));
        assert_eq!(l.poll_at(), Some(Instant::from_millis(10_000)));
        // New SYNs, more than the fresh list holds, one send refused.
        for port in 2000..2012 {
            assert!(l.enqueue_syn(half(port, 1000)));
        }
        let mut sent = vec![];
        let mut refuse = true;
        let mut once = |h: &mut HalfOpen, _| {
            if h.remote.port == 2003 && core::mem::take(&mut refuse) {
                return false;
            }
            sent.push(h.remote.port);
            true
        };
        l.due_synacks(Instant::from_millis(1000), &mut once);
        l.due_synacks(Instant::from_millis(1000), &mut once);
        sent.sort_unstable();
        assert_eq!(sent, (2000..2012).collect::<std::vec::Vec<_>>());
        assert_eq!(l.poll_at(), Some(Instant::from_millis(2000)));
        // A retransmitted SYN makes its record due at once.
        l.find(&ep(1, 80), &ep(2, 500)).unwrap().next_at = Instant::from_millis(1500);
        l.note_due(Instant::from_millis(1500));
        let mut sent = vec![];
        l.due_synacks(Instant::from_millis(1500), |h, _| {
            sent.push(h.remote.port);
            true
        });
        assert_eq!(sent, [500]);
        assert_eq!(l.half_open(), 1012);
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

    #[test]
    fn a_full_syn_queue_answers_with_a_cookie_that_its_ack_redeems() {
        let isn = IsnGenerator::new([1; 16]);
        let cookies = SynCookies::new([2; 16]);
        let cx = |now| ListenContext {
            now,
            mtu: 1500,
            offer: SynAckOffer::DEFAULT,
            isn: &isn,
            cookies: &cookies,
        };
        // No SYN queue at all: every SYN is answered with a cookie.
        let mut l = listener(0);
        let child = SocketHandle::from_index(5);
        assert!(l.provide(child).is_ok());
        let (local, remote) = (ep(1, 80), ep(2, 4000));
        let t = Instant::from_secs(10);

        // RFC 9293 §3.10.7.2: an ACK that completes no handshake is reset.
        let stray = TcpRepr {
            ack_number: Some(TcpSeqNumber(1)),
            ..TcpRepr::bare(4000, 80, TcpFlags::empty(), TcpSeqNumber(8))
        };
        let v = l.segment(&cx(t), local, remote, &stray);
        assert!(v.reset && v.reply.is_none() && v.accept.is_none());
        assert_eq!(v.drop, Some(ListenDrop::NoConnection));

        // RFC 4987 §3.6: the SYN-ACK carries the cookie, and no state stays.
        let syn = TcpRepr {
            max_seg_size: Some(1460),
            ..TcpRepr::bare(4000, 80, TcpFlags::SYN, TcpSeqNumber(7))
        };
        let v = l.segment(&cx(t), local, remote, &syn);
        let synack = v.reply.expect("a SYN-ACK carrying a cookie");
        assert_eq!(synack.control, TcpFlags::SYN);
        assert_eq!(synack.ack_number, Some(TcpSeqNumber(8)));
        assert!(!v.reset && v.drop.is_none() && v.accept.is_none());
        assert_eq!(l.half_open(), 0);
        assert_eq!(l.stats().syns, 1);

        // The client's ACK of it: the cookie proves the handshake, and the
        // connection goes into the lent socket.
        let ack = TcpRepr {
            ack_number: Some(synack.seq_number + 1),
            ..TcpRepr::bare(4000, 80, TcpFlags::empty(), TcpSeqNumber(8))
        };
        let v = l.segment(&cx(t + Duration::from_millis(1)), local, remote, &ack);
        let accepted = v.accept.expect("the cookie completes the handshake");
        assert_eq!(accepted.child, child);
        assert!(accepted.cookie_mss.is_some() && accepted.pushed);
        assert!(!v.reset && v.drop.is_none() && v.reply.is_none());
        assert_eq!(l.stats().cookies_accepted, 1);
        assert_eq!(l.accept(), Some(child));

        // A forged ACK (one off) redeems nothing.
        let mut l = listener(0);
        assert!(l.provide(child).is_ok());
        let _ = l.segment(&cx(t), local, remote, &syn);
        let forged = TcpRepr {
            ack_number: Some(synack.seq_number + 2),
            ..ack
        };
        let v = l.segment(&cx(t), local, remote, &forged);
        assert!(v.accept.is_none() && v.reset);
    }

    #[cfg(feature = "async")]
    #[test]
    fn an_accept_is_woken_by_a_queued_connection_and_by_close() {
        use crate::socket::waker::counting::waker;
        let mut l = listener(1);
        let (w, count) = waker();
        l.register_accept_waker(&w);
        assert!(l.push_accepted(SocketHandle(3)));
        assert_eq!(count.get(), 1);
        assert_eq!(l.accept(), Some(SocketHandle(3)));
        l.register_accept_waker(&w);
        l.close();
        assert_eq!(count.get(), 2, "a closed listener ends the wait");
    }
}
