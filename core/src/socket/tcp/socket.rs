//! The TCP connection: RFC 9293's state machine over two byte rings.
//!
//! The socket is sans-IO. The interface hands it each segment for its
//! 4-tuple ([`TcpSocket::process`]) and asks it for the next segment to send
//! ([`TcpSocket::dispatch`]); [`TcpSocket::poll_at`] says when a timer
//! (retransmission, delayed ACK, persist, keepalive, TIME-WAIT) is due.
//!
//! Data lives in two [`RingBuffer`]s. Sent data stays in the send ring until
//! acknowledged and is written to the wire straight from it; received data,
//! in order or not, is written into the receive ring at its place (the
//! out-of-order map is the [`Assembler`]), so nothing is copied twice.

use core::fmt;

use heapless::Vec;
use managed::ManagedSlice;

use super::assembler::{Assembler, RangeSlot, SackBlock};
use super::congestion::{Congestion, CongestionControl, CongestionKind, Prr};
use super::rack::Rack;
use super::recovery::{dupacks_after_partial_ack, nonsack_pipe, Phase};
use super::rtt::{rtt_from_echo, RtoConfig, RttEstimator, RttTimer};
use super::sack::{SackUpdate, Scoreboard};
use crate::storage::RingBuffer;
use crate::time::{Duration, Instant};
use crate::wire::tcp::{TcpFlags, TcpRepr, TcpSeqNumber, MAX_SACK_BLOCKS};
use crate::wire::{IpAddr, IpEndpoint};
use loss::Resend;

/// Duplicate ranges waiting for their D-SACK report (RFC 2883), one per ACK.
const DSACKS_OWED: usize = 4;
/// SACKed ranges the sender remembers.
pub const SCOREBOARD_RANGES: usize = 8;

/// Retransmissions of data (and unanswered zero-window probes) before the
/// connection is given up when no user timeout is set (Linux `tcp_retries2`).
const MAX_RETRIES: u32 = 15;
/// Retransmissions of a SYN or SYN-ACK (Linux `tcp_syn_retries`).
const MAX_SYN_RETRIES: u32 = 6;

/// Maximum segment lifetime (RFC 9293 §3.4.2 suggests 2 minutes; Linux's
/// TIME-WAIT is 60 s, i.e. MSL 30 s). TIME-WAIT lasts 2·MSL.
pub const DEFAULT_MSL: Duration = Duration::from_secs(30);

/// The states of RFC 9293 §3.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum State {
    /// No connection.
    Closed,
    /// Waiting for a SYN (only a listener's child passes through here).
    Listen,
    /// SYN sent, waiting for SYN-ACK.
    SynSent,
    /// SYN received and answered, waiting for the ACK.
    SynReceived,
    /// Open: data flows both ways.
    Established,
    /// We closed; our FIN is not yet acknowledged.
    FinWait1,
    /// Our FIN is acknowledged; waiting for the peer's.
    FinWait2,
    /// The peer closed; we may still send.
    CloseWait,
    /// Both closed at once; waiting for the ACK of our FIN.
    Closing,
    /// The peer closed, then we did; waiting for the ACK of our FIN.
    LastAck,
    /// Both closed; waiting 2·MSL for stray segments.
    TimeWait,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        })
    }
}

/// Why a connection ended badly (read with [`TcpSocket::error`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TcpError {
    /// The peer answered the SYN with a reset, or ICMP said port/protocol
    /// unreachable during SYN-SENT.
    ConnectionRefused,
    /// The peer reset an open connection.
    ConnectionReset,
    /// The user timeout or the keepalive probes ran out.
    TimedOut,
    /// ICMP reported the host or network unreachable for too long.
    Unreachable,
}

impl fmt::Display for TcpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TcpError::ConnectionRefused => "connection refused",
            TcpError::ConnectionReset => "connection reset by peer",
            TcpError::TimedOut => "connection timed out",
            TcpError::Unreachable => "destination unreachable",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for TcpError {}

/// A user call that does not fit the connection's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TcpApiError {
    /// Not in a state that allows it (e.g. send after close).
    InvalidState,
    /// An unspecified remote address or port 0.
    Unaddressable,
    /// The connection ended with an error (see [`TcpSocket::error`]).
    Failed(TcpError),
}

impl fmt::Display for TcpApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TcpApiError::InvalidState => f.write_str("invalid state"),
            TcpApiError::Unaddressable => f.write_str("unaddressable endpoint"),
            TcpApiError::Failed(e) => e.fmt(f),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for TcpApiError {}

/// Per-connection tunables; `Default` gives what Linux does where the RFCs
/// leave a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TcpConfig {
    /// Nagle's algorithm (RFC 9293 §3.8.6.2.1; on by default, like
    /// `TCP_NODELAY` off).
    pub nagle: bool,
    /// Delayed ACK timeout (RFC 9293 §3.8.6.3: under 0.5 s; Linux 40 ms),
    /// `None` to ACK every segment at once.
    pub ack_delay: Option<Duration>,
    /// Retransmission timer bounds.
    pub rto: RtoConfig,
    /// Congestion control algorithm (CUBIC by default).
    pub congestion: CongestionKind,
    /// Give up when data stays unacknowledged this long (RFC 9293 §3.8.3
    /// user timeout; RFC 5482). `None`: 15 retransmissions (or 15
    /// unanswered zero-window probes) as Linux. Giving up sends no reset,
    /// as Linux: the peer is presumed unreachable. The error is
    /// [`TcpError::TimedOut`].
    pub user_timeout: Option<Duration>,
    /// Keepalive: idle time, probe interval, probes (RFC 9293 §3.8.4; off by
    /// default as RFC 1122 §4.2.3.6 asks). Takes effect at once, also on an
    /// open connection. When the probes go unanswered the connection ends
    /// with [`TcpError::TimedOut`], without a reset.
    pub keepalive: Option<(Duration, Duration, u32)>,
    /// Offer timestamps (RFC 7323 §3).
    pub timestamps: bool,
    /// Offer SACK (RFC 2018).
    pub sack: bool,
    /// Offer window scaling (RFC 7323 §2); the shift follows the receive
    /// buffer size.
    pub window_scaling: bool,
    /// Maximum segment lifetime; TIME-WAIT is twice this.
    pub msl: Duration,
    /// How long FIN-WAIT-2 may last once the application called
    /// [`close`](TcpSocket::close) (Linux's `tcp_fin_timeout`, 60 s): a
    /// peer that never sends its FIN would otherwise hold the connection
    /// for ever, with nobody left to read it. Counted from whichever came
    /// later, entering FIN-WAIT-2 or the close; the connection then ends
    /// silently, as Linux's. A [`shutdown`](TcpSocket::shutdown) (the
    /// application still reads) waits for the FIN without a limit.
    /// `None`: no limit.
    pub fin_wait2_timeout: Option<Duration>,
    /// At most one RFC 5961 challenge ACK (for an in-window RST or SYN, or
    /// an ACK of data never sent) per this interval: RFC 5961 §7 asks for
    /// throttling so that forged segments cannot make the connection an
    /// ACK reflector. Per connection, not per host: a host-wide budget is
    /// itself a side channel (CVE-2016-5696). `Duration::ZERO`: no limit.
    pub challenge_ack_interval: Duration,
    /// At most one ACK per this interval answers a segment without data
    /// that is out of the window or fails PAWS (RFC 9293 §3.10.7.4 asks
    /// for the ACK, RFC 7323 §5.3 too); Linux's `tcp_invalid_ratelimit`,
    /// 500 ms. Segments with data are always answered.
    /// `Duration::ZERO`: no limit.
    pub invalid_ack_interval: Duration,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            nagle: true,
            ack_delay: Some(Duration::from_millis(40)),
            rto: RtoConfig::default(),
            congestion: CongestionKind::Cubic,
            user_timeout: None,
            keepalive: None,
            timestamps: true,
            sack: true,
            window_scaling: true,
            msl: DEFAULT_MSL,
            fin_wait2_timeout: Some(Duration::from_secs(60)),
            challenge_ack_interval: Duration::from_millis(100),
            invalid_ack_interval: Duration::from_millis(500),
        }
    }
}

/// The `ss -ti` of one connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpStats {
    /// Smoothed RTT.
    pub srtt: Option<Duration>,
    /// RTT variation.
    pub rttvar: Option<Duration>,
    /// Current retransmission timeout.
    pub rto: Duration,
    /// Congestion window (bytes).
    pub cwnd: usize,
    /// Slow-start threshold (bytes).
    pub ssthresh: usize,
    /// The send MSS in use.
    pub mss: usize,
    /// Segments retransmitted.
    pub retransmits: u64,
    /// Of which by timeout.
    pub timeouts: u64,
    /// Fast retransmits (dupacks or SACK).
    pub fast_retransmits: u64,
    /// Payload bytes acknowledged by the peer.
    pub bytes_acked: u64,
    /// Payload bytes received in order.
    pub bytes_received: u64,
    /// Segments sent.
    pub segments_out: u64,
    /// Segments received.
    pub segments_in: u64,
    /// Out-of-order segments dropped for want of room in the out-of-order
    /// map (Linux `TCPOFODrop`): the sender must resend them.
    pub out_of_order_dropped: u64,
    /// RFC 5961 challenge ACKs withheld by the throttle.
    pub challenge_acks_throttled: u64,
    /// Replies to out-of-window or PAWS-failing pure ACKs withheld by the
    /// throttle ([`TcpConfig::invalid_ack_interval`]).
    pub invalid_acks_throttled: u64,
    /// ACKs whose first SACK block was a D-SACK (RFC 2883): the peer got
    /// a segment twice.
    pub dsacks_received: u64,
    /// Tail loss probes sent (RFC 8985 §7).
    pub loss_probes: u64,
    /// Window reductions undone as spurious (D-SACK, RFC 3708; Eifel, RFC
    /// 4015).
    pub undos: u64,
}

/// What the interface must know about the IP layer when it asks for a segment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TcpContext {
    pub now: Instant,
    /// The largest IP packet the path carries (device MTU).
    pub mtu: usize,
}

/// Timestamps state (RFC 7323 §3, §4, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Timestamps {
    /// TS.Recent: the peer's last TSval to echo.
    recent: u32,
    /// When TS.Recent was set (PAWS invalidates it after 24 days, §5.5).
    recent_at: Instant,
    /// Random offset of our clock (RFC 7323 §7.1).
    offset: u32,
}

/// A received segment's acceptance, decided before the state machine acts.
enum Verdict {
    /// Drop it silently.
    Drop,
    /// Drop it and answer with an ACK (out of window, RFC 9293 §3.10.7.4).
    Ack,
    /// Drop it and answer with an RFC 5961 challenge ACK, throttled (§7).
    Challenge,
    /// Process it.
    Accept,
}

/// A TCP connection.
pub struct TcpSocket<'a> {
    state: State,
    config: TcpConfig,
    rx: RingBuffer<'a, u8>,
    tx: RingBuffer<'a, u8>,
    local: IpEndpoint,
    remote: IpEndpoint,

    // RFC 9293 §3.3.1 send sequence variables.
    iss: TcpSeqNumber,
    snd_una: TcpSeqNumber,
    /// Our SYN is acknowledged. State, not `SND.UNA == ISS`: after 2^32 − 1
    /// bytes the cumulative ACK lands on the ISS again (issue 10 item 1).
    syn_acked: bool,
    snd_nxt: TcpSeqNumber,
    /// The highest sequence number sent (snd_nxt can be pulled back by a
    /// retransmission timeout; this cannot).
    snd_max: TcpSeqNumber,
    snd_wnd: usize,
    snd_wl1: TcpSeqNumber,
    snd_wl2: TcpSeqNumber,
    max_snd_wnd: usize,
    /// Shift applied to the peer's window field (its window scale).
    snd_shift: u8,

    // Receive sequence variables.
    irs: TcpSeqNumber,
    rcv_nxt: TcpSeqNumber,
    /// Shift we apply to our window field (our window scale).
    rcv_shift: u8,
    /// The right edge of the window we last advertised (never moves left,
    /// RFC 9293 §3.8.6.2.2).
    rcv_adv: TcpSeqNumber,
    /// Last.ACK.sent (RFC 7323 §4.3): the ACK field of our latest segment.
    last_ack_sent: TcpSeqNumber,
    /// A FIN received beyond rcv_nxt, consumed when the data before it is.
    fin_at: Option<TcpSeqNumber>,

    // Negotiated.
    mss: usize,
    peer_mss: usize,
    sack_ok: bool,

    /// Duplicate segments' ranges, each reported once as a D-SACK block in
    /// an ACK of its own (RFC 2883 §4): they tell the sender a
    /// retransmission (a tail loss probe, say) was spurious, so it can undo
    /// its reaction.
    dsack: Vec<SackBlock, DSACKS_OWED>,
    /// We reopened a window closed to less than a segment and no data has
    /// come since: the update may have been lost (see `Verdict::Ack`).
    window_reopened: bool,
    /// Recent SACK blocks the ACKs sent since the last segments arrived
    /// reported already (see `ack_sent`).
    sack_skip: usize,
    ts: Option<Timestamps>,
    /// Our timestamp clock's offset for this connection (RFC 7323 §7.1),
    /// keyed per 4-tuple by the interface.
    ts_offset: u32,
    /// The peer sent a SYN with these options (a passive open).
    peer_ws: Option<u8>,

    // Our FIN.
    fin_queued: bool,
    /// The FIN went out at least once: it holds the last sequence number,
    /// below SND.MAX, for good (a retransmission resends it at the same
    /// place, and its ACK counts whenever it comes: issue 10 item 5).
    fin_sent: bool,

    // Timers.
    rtt: RttEstimator,
    rtt_timer: RttTimer,
    rto_at: Option<Instant>,
    ack_at: Option<Instant>,
    ack_now: bool,
    /// Segments received since our last ACK (ACK every second one, RFC 9293 §3.8.6.3).
    unacked_segments: u32,
    persist_at: Option<Instant>,
    persist_backoff: u32,
    /// The persist timer fired: the next segment probes a zero window or,
    /// when a window too small for SWS avoidance is open, sends what fits
    /// (the override timeout, RFC 1122 §4.2.3.4).
    probe_due: bool,
    /// Zero-window probes sent since the peer last answered.
    persist_unanswered: u32,
    timewait_at: Option<Instant>,
    /// The application closed for good (close, not shutdown): FIN-WAIT-2
    /// is bounded by `config.fin_wait2_timeout`.
    orphaned: bool,
    /// When an orphaned FIN-WAIT-2 gives up (set once both hold).
    fin_wait2_at: Option<Instant>,
    keepalive_probes: u32,
    /// When the oldest unacknowledged data was first sent (user timeout).
    first_unacked_at: Option<Instant>,
    last_activity: Instant,
    retries: u32,

    // Loss recovery.
    cc: Congestion,
    dupacks: u32,
    /// Which recovery the sender is in (fast retransmit or timeout).
    phase: Phase,
    /// RFC 6582 `recover` / RFC 6675 RecoveryPoint: the highest sequence
    /// sent when the last recovery began (fast or by timeout). Kept after
    /// the recovery ends: RFC 6582 §3.2 step 1 compares against it.
    recover: TcpSeqNumber,
    /// RFC 6675 §4 RescueRxt: the recovery point of the recovery whose
    /// rescue retransmission was sent (one per recovery).
    rescue_rxt: Option<TcpSeqNumber>,
    /// SACK recovery: the segment at SND.UNA is to be resent first.
    rtx_head: bool,
    scoreboard: Scoreboard<SCOREBOARD_RANGES>,
    /// RACK loss detection (RFC 8985 §6), with SACK.
    rack: Rack,
    /// What fast recovery may send per ACK (RFC 6937).
    prr: Prr,
    /// RFC 8985 §7.2 probe timeout.
    pto_at: Option<Instant>,
    /// The probe timeout fired: the next dispatch sends the probe.
    tlp_due: bool,
    /// RFC 8985 TLP.end_seq: SND.NXT after the last probe, until its fate
    /// is known (one probe at a time).
    tlp_end: Option<TcpSeqNumber>,
    /// TLP.is_retrans: the probe resent data rather than sending new data.
    tlp_retrans: bool,
    /// The TSval of the last timeout's retransmission: an echo older than
    /// it spans the backoff and is no RTT sample; one at least as new is,
    /// despite the backoff (RFC 7323 §4.1).
    rto_tsval: Option<u32>,
    /// The TSval of the first retransmission of a timeout recovery, until
    /// the first ACK after it is checked (Eifel, RFC 3522).
    eifel_tsval: Option<u32>,
    /// cwnd, ssthresh and SND.UNA before the last reduction, while it may
    /// still be undone (RFC 3708, RFC 4015).
    undo: Option<(usize, usize, TcpSeqNumber)>,
    /// Segments retransmitted since that reduction and not yet reported
    /// as duplicates (Linux's `undo_retrans`).
    undo_retrans: u32,
    assembler: Assembler<'a>,
    /// A challenge ACK or out-of-window ACK is owed (RFC 5961).
    challenge_ack: bool,
    /// When the last RFC 5961 challenge ACK was allowed (throttle, §7).
    last_challenge: Option<Instant>,
    /// When a pure ACK out of the window or failing PAWS was last answered
    /// (Linux `tcp_invalid_ratelimit`).
    last_invalid_ack: Option<Instant>,
    /// A reset is owed (to the segment that earned it: seq, ack, ack flag).
    reset: Option<(TcpSeqNumber, Option<TcpSeqNumber>)>,

    error: Option<TcpError>,
    stats: TcpStats,
}

impl fmt::Debug for TcpSocket<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpSocket")
            .field("state", &self.state)
            .field("local", &self.local)
            .field("remote", &self.remote)
            .field("snd_una", &self.snd_una)
            .field("syn_acked", &self.syn_acked)
            .field("snd_nxt", &self.snd_nxt)
            .field("rcv_nxt", &self.rcv_nxt)
            .field("snd_wnd", &self.snd_wnd)
            .field("tx", &self.tx.len())
            .field("rx", &self.rx.len())
            .field("rx_window", &self.rx.window())
            .field("rto_at", &self.rto_at)
            .field("persist_at", &self.persist_at)
            .field("ack_now", &self.ack_now)
            .finish()
    }
}

fn unspecified_endpoint() -> IpEndpoint {
    IpEndpoint::new(IpAddr::V4(crate::wire::Ipv4Addr::UNSPECIFIED), 0)
}

impl<'a> TcpSocket<'a> {
    /// A closed socket with the given receive and send rings.
    pub fn new(rx: RingBuffer<'a, u8>, tx: RingBuffer<'a, u8>) -> TcpSocket<'a> {
        Self::with_config(rx, tx, TcpConfig::default())
    }

    /// [`new`](Self::new) with non-default tunables.
    pub fn with_config(
        rx: RingBuffer<'a, u8>,
        tx: RingBuffer<'a, u8>,
        config: TcpConfig,
    ) -> TcpSocket<'a> {
        TcpSocket {
            state: State::Closed,
            rx,
            tx,
            local: unspecified_endpoint(),
            remote: unspecified_endpoint(),
            iss: TcpSeqNumber(0),
            snd_una: TcpSeqNumber(0),
            syn_acked: false,
            snd_nxt: TcpSeqNumber(0),
            snd_max: TcpSeqNumber(0),
            snd_wnd: 0,
            snd_wl1: TcpSeqNumber(0),
            snd_wl2: TcpSeqNumber(0),
            max_snd_wnd: 0,
            snd_shift: 0,
            irs: TcpSeqNumber(0),
            rcv_nxt: TcpSeqNumber(0),
            rcv_shift: 0,
            rcv_adv: TcpSeqNumber(0),
            last_ack_sent: TcpSeqNumber(0),
            fin_at: None,
            mss: 536,
            peer_mss: 536,
            sack_ok: false,
            dsack: Vec::new(),
            sack_skip: 0,
            window_reopened: false,
            ts: None,
            ts_offset: 0,
            peer_ws: None,
            fin_queued: false,
            fin_sent: false,
            rtt: RttEstimator::new(config.rto),
            rtt_timer: RttTimer::default(),
            rto_at: None,
            ack_at: None,
            ack_now: false,
            unacked_segments: 0,
            persist_at: None,
            persist_backoff: 0,
            probe_due: false,
            persist_unanswered: 0,
            timewait_at: None,
            orphaned: false,
            fin_wait2_at: None,
            keepalive_probes: 0,
            first_unacked_at: None,
            last_activity: Instant::ZERO,
            retries: 0,
            cc: Congestion::new(config.congestion, 536),
            dupacks: 0,
            phase: Phase::Open,
            recover: TcpSeqNumber(0),
            rescue_rxt: None,
            rtx_head: false,
            scoreboard: Scoreboard::default(),
            rack: Rack::default(),
            prr: Prr::default(),
            pto_at: None,
            tlp_due: false,
            tlp_end: None,
            tlp_retrans: false,
            rto_tsval: None,
            eifel_tsval: None,
            undo: None,
            undo_retrans: 0,
            assembler: Assembler::default(),
            challenge_ack: false,
            last_challenge: None,
            last_invalid_ack: None,
            reset: None,
            error: None,
            stats: TcpStats::default(),
            config,
        }
    }

    // ----- user API -------------------------------------------------------

    /// The connection state.
    pub fn state(&self) -> State {
        self.state
    }

    /// How the connection ended, if it ended badly.
    pub fn error(&self) -> Option<TcpError> {
        self.error
    }

    /// The local endpoint (address chosen at connect or accept).
    pub fn local_endpoint(&self) -> Option<IpEndpoint> {
        (self.state != State::Closed || self.local.port != 0).then_some(self.local)
    }

    /// The remote endpoint.
    pub fn remote_endpoint(&self) -> Option<IpEndpoint> {
        (self.remote.port != 0).then_some(self.remote)
    }

    /// Lends the receiver's out-of-order map its range slots: each hole in
    /// the received data takes one (RFC 9293 §3.10.7.4 lets a receiver
    /// keep out-of-order segments; without room it drops them and the
    /// sender must resend them). Without this the socket holds
    /// [`INLINE_RANGES`](super::assembler::INLINE_RANGES) ranges, too few
    /// for a large window under loss: at 5 % loss a 1 MiB window has some
    /// 36 holes in flight. Lend it before data arrives (held ranges that
    /// do not fit are forgotten); it stays across connections.
    pub fn set_out_of_order_storage(&mut self, storage: impl Into<ManagedSlice<'a, RangeSlot>>) {
        self.assembler.set_storage(storage);
    }

    /// How many holes the out-of-order map can hold.
    pub fn out_of_order_capacity(&self) -> usize {
        self.assembler.capacity()
    }

    /// The tunables, to change (Nagle, delayed ACK, keepalive, …).
    pub fn config_mut(&mut self) -> &mut TcpConfig {
        &mut self.config
    }

    /// Turns Nagle's algorithm off (`TCP_NODELAY`) or on.
    pub fn set_nodelay(&mut self, nodelay: bool) {
        self.config.nagle = !nodelay;
    }

    /// True while the connection can carry data or is being set up.
    pub fn is_open(&self) -> bool {
        !matches!(self.state, State::Closed | State::TimeWait | State::Listen)
    }

    /// True once the three-way handshake completed and the connection has
    /// not been fully closed.
    pub fn is_established(&self) -> bool {
        matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait
        )
    }

    /// True when [`send`](Self::send) can queue at least one byte.
    pub fn can_send(&self) -> bool {
        matches!(
            self.state,
            State::SynSent | State::SynReceived | State::Established | State::CloseWait
        ) && !self.fin_queued
            && self.tx.window() > 0
    }

    /// True when [`recv`](Self::recv) has at least one byte.
    pub fn can_recv(&self) -> bool {
        !self.rx.is_empty()
    }

    /// True when the peer closed its side and every byte it sent was read.
    pub fn recv_finished(&self) -> bool {
        self.rx.is_empty()
            && matches!(
                self.state,
                State::CloseWait
                    | State::LastAck
                    | State::Closing
                    | State::TimeWait
                    | State::Closed
            )
    }

    /// Bytes queued to send and not yet acknowledged.
    pub fn send_queue(&self) -> usize {
        self.tx.len()
    }

    /// Bytes received and not yet read.
    pub fn recv_queue(&self) -> usize {
        self.rx.len()
    }

    /// Per-connection statistics.
    pub fn stats(&self) -> TcpStats {
        let mut s = self.stats;
        s.srtt = self.rtt.srtt();
        s.rttvar = self.rtt.rttvar();
        s.rto = self.rtt.rto();
        s.cwnd = self.cc.cwnd();
        s.ssthresh = self.cc.ssthresh();
        s.mss = self.mss;
        s
    }

    /// Queues data to send in place: `f` gets the free contiguous part of
    /// the send ring and returns how many bytes it wrote (and a value).
    pub fn send<R>(&mut self, f: impl FnOnce(&mut [u8]) -> (usize, R)) -> Result<R, TcpApiError> {
        self.check_send()?;
        let (_, r) = self.tx.enqueue_many_with(f);
        Ok(r)
    }

    /// Copies as much of `data` as fits into the send ring; returns the count.
    pub fn send_slice(&mut self, data: &[u8]) -> Result<usize, TcpApiError> {
        self.check_send()?;
        Ok(self.tx.enqueue_slice(data))
    }

    fn check_send(&self) -> Result<(), TcpApiError> {
        if let Some(e) = self.error {
            return Err(TcpApiError::Failed(e));
        }
        match self.state {
            State::SynSent | State::SynReceived | State::Established | State::CloseWait
                if !self.fin_queued =>
            {
                Ok(())
            }
            _ => Err(TcpApiError::InvalidState),
        }
    }

    /// Reads in place: `f` gets the contiguous readable part of the receive
    /// ring and returns how many bytes it consumed (and a value).
    pub fn recv<R>(&mut self, f: impl FnOnce(&mut [u8]) -> (usize, R)) -> Result<R, TcpApiError> {
        self.check_recv()?;
        let (n, r) = self.rx.dequeue_many_with(f);
        self.after_read(n);
        Ok(r)
    }

    /// Copies received bytes into `data`; returns the count (0: nothing yet,
    /// or the peer finished: see [`recv_finished`](Self::recv_finished)).
    pub fn recv_slice(&mut self, data: &mut [u8]) -> Result<usize, TcpApiError> {
        self.check_recv()?;
        let n = self.rx.dequeue_slice(data);
        self.after_read(n);
        Ok(n)
    }

    fn check_recv(&self) -> Result<(), TcpApiError> {
        if !self.rx.is_empty() {
            return Ok(());
        }
        match self.error {
            Some(e) => Err(TcpApiError::Failed(e)),
            None if self.state == State::Closed => Err(TcpApiError::InvalidState),
            None => Ok(()),
        }
    }

    /// RFC 9293 §3.8.6.2.2: after a read, advertise the larger window only
    /// once it grew by a full segment or half the buffer (receiver SWS
    /// avoidance), so a slow reader does not cause a storm of tiny updates.
    fn after_read(&mut self, n: usize) {
        if n == 0 || !self.is_established() {
            return;
        }
        let advertised = self.rcv_adv.distance_from(self.rcv_nxt).max(0) as usize;
        let now_window = self.rx_window();
        let threshold = self.mss.min(self.rx.capacity() / 2).max(1);
        if now_window >= advertised + threshold {
            self.ack_now = true;
        }
    }

    /// Closes the connection for good (RFC 9293 §3.10.4): queued data is
    /// sent, then a FIN, and the application will read no more, so a peer
    /// that never closes its side is given up after
    /// [`fin_wait2_timeout`](TcpConfig::fin_wait2_timeout) in FIN-WAIT-2
    /// (Linux: `close()` of an orphaned socket). Bytes that still arrive
    /// can be read until then. To keep reading until the peer's FIN
    /// however long it takes, use [`shutdown`](Self::shutdown).
    pub fn close(&mut self) {
        self.shutdown();
        if self.is_open() {
            self.orphaned = true;
        }
    }

    /// Shuts the write side (`shutdown(SHUT_WR)`): queued data is sent,
    /// then a FIN (RFC 9293 §3.10.4); reading continues until the peer's
    /// FIN, without a time limit.
    pub fn shutdown(&mut self) {
        match self.state {
            State::Listen | State::SynSent => self.set_closed(),
            // RFC 9293 §3.10.4: the close waits for ESTABLISHED. The RFC
            // lets a close without data send its FIN at once; ours would
            // follow a SYN still unacknowledged, which only the SYN-RECEIVED
            // state resends: FIN-WAIT-1 with the SYN outstanding sent
            // nothing and asked to be polled at once forever (issue 10
            // item 6). The ACK of the SYN moves to FIN-WAIT-1.
            State::SynReceived => self.fin_queued = true,
            State::Established => {
                self.fin_queued = true;
                self.state = State::FinWait1;
            }
            State::CloseWait => {
                self.fin_queued = true;
                self.state = State::LastAck;
            }
            _ => {}
        }
    }

    /// Aborts: sends a reset and forgets the connection (RFC 9293 §3.10.5).
    pub fn abort(&mut self) {
        if self.is_open() && self.state != State::SynSent {
            self.reset = Some((self.snd_nxt, None));
        }
        self.set_closed();
        self.tx.clear();
        self.rx.clear();
    }

    // ----- setup (by the interface) ---------------------------------------

    /// Starts an active open. `local` has the address the interface chose.
    pub(crate) fn connect(
        &mut self,
        local: IpEndpoint,
        remote: IpEndpoint,
        iss: TcpSeqNumber,
        now: Instant,
    ) -> Result<(), TcpApiError> {
        if self.is_open() || self.state == State::TimeWait {
            return Err(TcpApiError::InvalidState);
        }
        if remote.port == 0 || remote.addr.is_unspecified() || local.port == 0 {
            return Err(TcpApiError::Unaddressable);
        }
        self.reset_state(now);
        self.local = local;
        self.remote = remote;
        self.iss = iss;
        self.snd_una = iss;
        self.snd_nxt = iss;
        self.snd_max = iss;
        self.state = State::SynSent;
        Ok(())
    }

    /// Sets the offset of our timestamp clock for the next connection (RFC
    /// 7323 §7.1); the interface keys it per 4-tuple before an active open.
    pub(crate) fn set_ts_offset(&mut self, offset: u32) {
        self.ts_offset = offset;
    }

    /// Becomes an established child of a listener: the handshake in
    /// `half` completed with `ack` (RFC 9293 §3.10.7.4, SYN-RECEIVED).
    pub(crate) fn accept_established(
        &mut self,
        half: &super::HalfOpen,
        ack: &TcpRepr<'_>,
        our_mss: usize,
        now: Instant,
    ) {
        self.reset_state(now);
        self.local = half.local;
        self.remote = half.remote;
        self.iss = half.iss;
        self.irs = half.irs;
        self.snd_una = half.iss + 1;
        self.syn_acked = true;
        self.snd_nxt = self.snd_una;
        self.snd_max = self.snd_una;
        self.rcv_nxt = half.irs + 1;
        let syn = TcpRepr {
            src_port: half.remote.port,
            dst_port: half.local.port,
            control: TcpFlags::SYN,
            seq_number: half.irs,
            ack_number: None,
            window_len: half.window,
            window_scale: half.window_scale,
            max_seg_size: half.mss,
            sack_permitted: half.sack_permitted,
            sack_ranges: [None; MAX_SACK_BLOCKS],
            timestamp: half.tsval.map(|v| (v, 0)),
            urgent_at: None,
            payload: &[],
        };
        self.ts_offset = half.ts_offset;
        self.take_syn_options(&syn, now);
        // What the SYN-ACK agreed to binds both ends, whatever this socket's
        // own configuration (RFC 7323 §2.2, §3.2; RFC 2018 §2): the
        // listener offered only what its pooled socket enables.
        (self.snd_shift, self.rcv_shift) = match half.window_scale {
            Some(ws) => (ws.min(14), half.rcv_shift),
            None => (0, 0),
        };
        self.peer_ws = half.window_scale;
        self.sack_ok = half.sack_permitted;
        self.ts = half.tsval.map(|recent| Timestamps {
            recent,
            recent_at: now,
            offset: half.ts_offset,
        });
        self.mss = self.send_mss_for(our_mss);
        self.cc.set_mss(self.mss);
        self.snd_wnd = usize::from(ack.window_len) << self.snd_shift;
        self.max_snd_wnd = self.snd_wnd;
        self.snd_wl1 = ack.seq_number;
        self.snd_wl2 = ack.ack_number.unwrap_or(self.snd_una);
        self.state = State::Established;
        self.rcv_adv = self.rcv_nxt + (self.rx_window() >> self.rcv_shift << self.rcv_shift);
        // The listener's SYN-ACK acknowledged the SYN.
        self.last_ack_sent = self.rcv_nxt;
        if half.sent > 1 {
            // RFC 6298 §5.7: the SYN-ACK was retransmitted.
            self.rtt.reset_after_syn_timeout();
        }
    }

    /// What a listener's SYN-ACK offers for a connection this socket will
    /// take: its window, and only the options its configuration enables.
    pub(crate) fn offered_window(&self) -> super::listener::SynAckOffer {
        super::listener::SynAckOffer {
            window: self.rx.capacity().min(0xffff),
            shift: self.config.window_scaling.then(|| self.our_window_shift()),
            sack: self.config.sack,
            timestamps: self.config.timestamps,
        }
    }

    /// Becomes an established child of a listener directly from a SYN
    /// cookie's ACK (RFC 4987 §3.6): the MSS the cookie held, and the
    /// window scale and SACK-permitted the SYN-ACK's TSval carried when the
    /// client echoes it (`options`, from the ACK's TSecr). Without them:
    /// no scaling, SACK or timestamps.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn accept_cookie(
        &mut self,
        local: IpEndpoint,
        remote: IpEndpoint,
        ack: &TcpRepr<'_>,
        mss: u16,
        options: Option<super::isn::TsCookieOptions>,
        our_mss: usize,
        ts_offset: u32,
        now: Instant,
    ) {
        self.reset_state(now);
        self.local = local;
        self.remote = remote;
        self.ts_offset = ts_offset;
        let ack_number = ack.ack_number.unwrap_or(TcpSeqNumber(0));
        self.iss = ack_number - 1;
        self.snd_una = ack_number;
        self.syn_acked = true;
        self.snd_nxt = ack_number;
        self.snd_max = ack_number;
        self.irs = ack.seq_number - 1;
        self.rcv_nxt = ack.seq_number;
        self.snd_wl1 = ack.seq_number;
        self.snd_wl2 = ack_number;
        // The SYN as far as the cookie and the timestamp remember it.
        let options = options.filter(|_| ack.timestamp.is_some());
        let syn = TcpRepr {
            src_port: remote.port,
            dst_port: local.port,
            control: TcpFlags::SYN,
            seq_number: self.irs,
            ack_number: None,
            window_len: ack.window_len,
            window_scale: options.and_then(|o| o.wscale),
            max_seg_size: Some(mss),
            sack_permitted: options.is_some_and(|o| o.sack_ok),
            sack_ranges: [None; MAX_SACK_BLOCKS],
            timestamp: options.and(ack.timestamp).map(|(v, _)| (v, 0)),
            urgent_at: None,
            payload: &[],
        };
        self.take_syn_options(&syn, now);
        self.mss = self.send_mss_for(our_mss);
        self.cc.set_mss(self.mss);
        // Not a SYN: the ACK's window is scaled (RFC 7323 §2.2).
        self.snd_wnd = usize::from(ack.window_len) << self.snd_shift;
        self.max_snd_wnd = self.snd_wnd;
        self.state = State::Established;
        self.rcv_adv =
            self.rcv_nxt + ((self.rx_window() >> self.rcv_shift).min(0xffff) << self.rcv_shift);
        self.last_ack_sent = self.rcv_nxt;
    }

    fn reset_state(&mut self, now: Instant) {
        let config = self.config;
        self.rx.clear();
        self.tx.clear();
        self.fin_at = None;
        self.fin_queued = false;
        self.fin_sent = false;
        self.syn_acked = false;
        self.sack_ok = false;
        self.dsack.clear();
        self.sack_skip = 0;
        self.window_reopened = false;
        self.ts = None;
        self.peer_ws = None;
        self.snd_shift = 0;
        self.rcv_shift = self.our_window_shift();
        self.rtt = RttEstimator::new(config.rto);
        self.rtt_timer = RttTimer::default();
        self.rto_at = None;
        self.ack_at = None;
        self.ack_now = false;
        self.unacked_segments = 0;
        self.persist_at = None;
        self.persist_backoff = 0;
        self.probe_due = false;
        self.timewait_at = None;
        self.orphaned = false;
        self.fin_wait2_at = None;
        self.keepalive_probes = 0;
        self.persist_unanswered = 0;
        self.first_unacked_at = None;
        self.last_activity = now;
        self.retries = 0;
        self.cc = Congestion::new(config.congestion, 536);
        self.dupacks = 0;
        self.phase = Phase::Open;
        self.rescue_rxt = None;
        self.rtx_head = false;
        self.scoreboard = Scoreboard::default();
        self.rack = Rack::default();
        self.pto_at = None;
        self.tlp_due = false;
        self.tlp_end = None;
        self.rto_tsval = None;
        self.eifel_tsval = None;
        self.undo = None;
        self.undo_retrans = 0;
        self.assembler.clear();
        self.challenge_ack = false;
        self.last_challenge = None;
        self.last_invalid_ack = None;
        self.reset = None;
        self.error = None;
        self.stats = TcpStats::default();
    }

    /// RFC 7323 §2.3: the smallest shift that lets the window field cover
    /// the whole receive buffer.
    fn our_window_shift(&self) -> u8 {
        if !self.config.window_scaling {
            return 0;
        }
        let mut shift = 0u8;
        while shift < 14 && (self.rx.capacity() >> shift) > 0xffff {
            shift += 1;
        }
        shift
    }

    fn take_syn_options(&mut self, syn: &TcpRepr<'_>, now: Instant) {
        // RFC 9293 §3.7.1: without the option, 536 (IPv4) / 1220 (IPv6).
        let default_mss = match self.remote.addr {
            IpAddr::V4(_) => 536,
            IpAddr::V6(_) => 1220,
        };
        self.peer_mss = syn.max_seg_size.map_or(default_mss, usize::from).max(64);
        // RFC 7323 §2.2: both sides must send the option for scaling to apply.
        match (syn.window_scale, self.config.window_scaling) {
            (Some(ws), true) => {
                self.peer_ws = Some(ws);
                // RFC 7323 §2.3: shifts above 14 are used as 14.
                self.snd_shift = ws.min(14);
            }
            _ => {
                self.snd_shift = 0;
                self.rcv_shift = 0;
            }
        }
        self.sack_ok = syn.sack_permitted && self.config.sack;
        self.ts = match (syn.timestamp, self.config.timestamps) {
            (Some((tsval, _)), true) => Some(Timestamps {
                recent: tsval,
                recent_at: now,
                offset: self.ts_offset,
            }),
            _ => None,
        };
    }

    // ----- segment arrival (RFC 9293 §3.10.7) -----------------------------

    /// Processes a segment addressed to this connection.
    pub(crate) fn process(&mut self, now: Instant, repr: &TcpRepr<'_>) {
        self.stats.segments_in = self.stats.segments_in.wrapping_add(1);
        match self.state {
            State::Closed | State::Listen => {}
            State::SynSent => self.process_syn_sent(now, repr),
            _ => self.process_synchronized(now, repr),
        }
    }

    fn process_syn_sent(&mut self, now: Instant, repr: &TcpRepr<'_>) {
        // RFC 9293 §3.10.7.3, first: the ACK must cover our SYN exactly.
        if let Some(ack) = repr.ack_number {
            // Against the highest number sent: a timeout pulls SND.NXT back
            // to the ISS before the SYN is resent, and the SYN-ACK to the
            // first copy may arrive in between (issue 10 item 17). Stated
            // as what is acceptable, ISS < SEG.ACK =< SND.MAX: half the
            // space away, sequence numbers compare neither way, and the
            // negation "SEG.ACK =< ISS or SEG.ACK > SND.MAX" let an ACK at
            // ISS + 2^31 through before our SYN had even left (SND.MAX =
            // ISS), which sent data from the SYN's number (found by the
            // `tcp_socket` fuzz target).
            let acceptable = ack > self.iss && ack <= self.snd_max;
            if !acceptable {
                if !repr.control.contains(TcpFlags::RST) {
                    self.reset = Some((ack, None));
                }
                return;
            }
        }
        if repr.control.contains(TcpFlags::RST) {
            // Second: a reset with an acceptable ACK refuses the connection;
            // without an ACK it is dropped (RFC 5961 §3.2 spirit).
            if repr.ack_number.is_some() {
                self.fail(TcpError::ConnectionRefused);
            }
            return;
        }
        if !repr.control.contains(TcpFlags::SYN) {
            return;
        }
        self.irs = repr.seq_number;
        self.rcv_nxt = repr.seq_number + 1;
        self.take_syn_options(repr, now);
        self.mss = self.send_mss_for(self.mss_budget());
        self.cc.set_mss(self.mss);
        match repr.ack_number {
            Some(ack) => {
                // The handshake is the first RTT sample (RFC 6298 §2.2),
                // unless the SYN was retransmitted and nothing tells which
                // copy this answers (Karn).
                self.sample_rtt(now, repr, ack);
                if self.rtt.backoffs() > 0 {
                    // RFC 6298 §5.7: the SYN timed out and (Karn) the
                    // handshake gave no sample: "the RTO MUST be
                    // re-initialized to 3 seconds when data transmission
                    // begins".
                    self.rtt.reset_after_syn_timeout();
                }
                self.retries = 0;
                self.ack_advance(now, ack);
                // RFC 7323 §2.2: the SYN-ACK's window is not scaled.
                self.snd_wnd = usize::from(repr.window_len);
                self.max_snd_wnd = self.snd_wnd;
                self.snd_wl1 = repr.seq_number;
                self.snd_wl2 = ack;
                self.state = State::Established;
                self.ack_now = true;
                self.rcv_adv = self.rcv_nxt;
                self.last_ack_sent = self.rcv_nxt;
                // RFC 9293 §3.10.7.3: "If there are other controls or text
                // in the segment, continue processing at the sixth step":
                // data and a FIN riding on the SYN-ACK are taken.
                self.process_text(now, repr);
                self.process_fin(now);
            }
            None => {
                // Simultaneous open (RFC 9293 §3.5, figure 8): SYN-ACK back.
                self.state = State::SynReceived;
                self.snd_nxt = self.iss;
                self.snd_wnd = usize::from(repr.window_len);
                // The SYN-ACK goes at once (SND.NXT = ISS asks for it) and
                // arms its own timer: an expired timer here made it a
                // timeout, backing the RTO off and spending a SYN retry.
                self.rto_at = None;
            }
        }
    }

    /// The MSS budget from the MTU the interface last told us.
    fn mss_budget(&self) -> usize {
        self.mss
    }

    /// The send MSS: the peer's limit and ours, less the timestamps option
    /// we put in every segment (RFC 9293 §3.7.1, RFC 7323 §3).
    fn send_mss_for(&self, ours: usize) -> usize {
        let ts = if self.ts.is_some() { 12 } else { 0 };
        self.peer_mss.min(ours).saturating_sub(ts).max(64)
    }

    fn process_synchronized(&mut self, now: Instant, repr: &TcpRepr<'_>) {
        if self.state == State::TimeWait
            && repr.control.contains(TcpFlags::FIN)
            && !repr.control.contains(TcpFlags::RST)
            && repr.seq_number + repr.payload.len() + 1 == self.rcv_nxt
        {
            // RFC 9293 §3.10.7.4: a retransmitted FIN in TIME-WAIT is
            // acknowledged again and the 2·MSL wait restarts.
            self.ack_now = true;
            self.enter_time_wait(now);
            return;
        }
        match self.acceptance(now, repr) {
            Verdict::Drop => return,
            Verdict::Ack => {
                // Linux's tcp_oow_rate_limited: a segment with data (or a
                // SYN or FIN) always earns its ACK, its sender needs it;
                // pure ACKs are answered at most once per interval, or
                // two ends that disagree (or a forger) loop on them.
                // A probe (one below RCV.NXT) while our reopened window is
                // unconfirmed: the window update may have been lost, and
                // the peer must learn of it at once (RFC 9293 §3.8.6.1),
                // not after another persist interval or several. Once per
                // reopening, so no ACK loop can build on it.
                let gap = self.config.invalid_ack_interval;
                let pure = repr.segment_len() == 0;
                let news = pure && core::mem::take(&mut self.window_reopened);
                if !pure || news || self.last_invalid_ack.is_none_or(|t| now - t >= gap) {
                    if pure {
                        self.last_invalid_ack = Some(now);
                    }
                    self.challenge_ack = true;
                } else {
                    self.stats.invalid_acks_throttled =
                        self.stats.invalid_acks_throttled.wrapping_add(1);
                }
                return;
            }
            Verdict::Challenge => {
                let gap = self.config.challenge_ack_interval;
                let allowed = self.last_challenge.is_none_or(|t| now - t >= gap);
                if allowed {
                    self.last_challenge = Some(now);
                    self.challenge_ack = true;
                } else {
                    self.stats.challenge_acks_throttled =
                        self.stats.challenge_acks_throttled.wrapping_add(1);
                }
                return;
            }
            Verdict::Accept => {}
        }
        self.last_activity = now;
        self.keepalive_probes = 0;
        self.persist_unanswered = 0;
        if let (Some(ts), Some((tsval, _))) = (self.ts.as_mut(), repr.timestamp) {
            // RFC 7323 §4.3 (2): TS.Recent takes the TSval of a segment
            // with SEG.SEQ =< Last.ACK.sent, the ACK we last sent, not
            // RCV.NXT: while our ACK is delayed, the echo stays that of the
            // earliest segment it will acknowledge, so the peer's RTT
            // measure includes the delay (§4.3, figure 3).
            if repr.seq_number <= self.last_ack_sent && wrapping_ge(tsval, ts.recent) {
                ts.recent = tsval;
                ts.recent_at = now;
            }
        }
        let Some(ack) = repr.ack_number else {
            // RFC 9293 §3.10.7.4 fifth: no ACK, drop.
            return;
        };
        if self.state == State::SynReceived {
            // SND.UNA < SEG.ACK =< SND.MAX, stated positively: see
            // process_syn_sent.
            if !(ack > self.snd_una && ack <= self.snd_max) {
                self.reset = Some((ack, None));
                return;
            }
            if self.rtt.backoffs() > 0 {
                // RFC 6298 §5.7: the SYN-ACK timed out; 3 s from now on
                // unless a sample says otherwise.
                self.rtt.reset_after_syn_timeout();
            }
            // A close queued in SYN-RECEIVED takes effect now (RFC 9293 §3.10.4).
            self.state = if self.fin_queued {
                State::FinWait1
            } else {
                State::Established
            };
            self.snd_wnd = usize::from(repr.window_len) << self.snd_shift;
            self.max_snd_wnd = self.snd_wnd;
            self.snd_wl1 = repr.seq_number;
            self.snd_wl2 = ack;
        }
        self.process_ack(now, repr, ack);
        if self.state == State::Closed {
            return;
        }
        self.process_text(now, repr);
        self.process_fin(now);
    }

    /// RFC 9293 §3.10.7.4 first to fourth checks, with PAWS (RFC 7323 §5)
    /// and the RFC 5961 blind-attack mitigations.
    fn acceptance(&mut self, now: Instant, repr: &TcpRepr<'_>) -> Verdict {
        let rst = repr.control.contains(TcpFlags::RST);
        // RFC 7323 §5.3 PAWS: an older timestamp than TS.Recent is a
        // duplicate from an earlier incarnation of the sequence space.
        if let (Some(ts), Some((tsval, _))) = (self.ts, repr.timestamp) {
            let stale = now - ts.recent_at > Duration::from_secs(24 * 24 * 3600);
            if !rst && !stale && !wrapping_ge(tsval, ts.recent) {
                return Verdict::Ack;
            }
        }
        let len = repr.segment_len();
        let wnd = self.rx_window();
        let seq = repr.seq_number;
        let in_window = |s: TcpSeqNumber| s >= self.rcv_nxt && s < self.rcv_nxt + wnd;
        // RFC 9293 §3.10.7.4 first: the four acceptability cases.
        let acceptable = match (len, wnd) {
            (0, 0) => seq == self.rcv_nxt,
            (0, _) => in_window(seq),
            // "If the RCV.WND is zero, no segments will be acceptable, but
            // special allowance should be made to accept valid ACKs, URGs,
            // and RSTs": a segment that reaches the left edge (a zero-window
            // probe, a retransmission) goes on for its ACK, window and RST;
            // process_text keeps none of its data and answers with an ACK.
            // Without this, two peers both at a zero window drop each
            // other's ACKs (each probe advances SND.NXT) until they give up
            // (issue 10 item 2). A bare FIN there is taken whole, as Linux
            // does (tcp_data_queue): it needs no room in the buffer.
            (_, 0) => seq <= self.rcv_nxt && seq + (len - 1) >= self.rcv_nxt,
            (_, _) => in_window(seq) || in_window(seq + (len - 1)),
        };
        if rst {
            // RFC 5961 §3.2: reset only on an exact match; in-window
            // resets get a challenge ACK; others are dropped.
            return if seq == self.rcv_nxt {
                match self.state {
                    // Our SYN-RECEIVED sockets come from an active open
                    // (simultaneous open, RFC 9293 §3.5 figure 8; a
                    // listener's half-open connections live in the
                    // listener): "the connection was refused" (§3.10.7.4).
                    State::SynReceived => self.fail(TcpError::ConnectionRefused),
                    State::TimeWait | State::Closing | State::LastAck => self.set_closed(),
                    _ => self.fail(TcpError::ConnectionReset),
                }
                Verdict::Drop
            } else if acceptable || in_window(seq) {
                Verdict::Challenge
            } else {
                Verdict::Drop
            };
        }
        if repr.control.contains(TcpFlags::SYN) {
            // RFC 5961 §4.2: any SYN in a synchronized state gets a challenge
            // ACK (a retransmitted SYN in SYN-RECEIVED too: the ACK helps).
            if self.state == State::TimeWait && self.syn_reopens(repr) {
                // RFC 9293 §3.10.7.4 / RFC 6191: a new SYN may reuse a
                // TIME-WAIT 4-tuple; the interface hands this same SYN to
                // the listener once we are gone.
                self.set_closed();
                return Verdict::Drop;
            }
            return Verdict::Challenge;
        }
        if !acceptable {
            // Zero-window probes and old duplicates: re-ACK what we have,
            // naming the duplicate data (RFC 2883 §4: "the first SACK
            // block … MUST specify the contiguous sequence space of the
            // duplicate segment" that triggered the ACK).
            let data = repr.payload.len();
            if data > 0 && seq + data <= self.rcv_nxt {
                self.owe_dsack((seq, seq + data));
            }
            return Verdict::Ack;
        }
        if let Some(ack) = repr.ack_number {
            // RFC 5961 §5.2: the ACK must be within the window we could have
            // sent; above SND.NXT it is answered with an ACK and dropped.
            let max_back = self.max_snd_wnd.max(1);
            if ack > self.snd_max {
                return Verdict::Challenge;
            }
            if ack < self.snd_una - max_back && self.state != State::SynReceived {
                return Verdict::Challenge;
            }
        }
        Verdict::Accept
    }

    /// RFC 6191 §2: a SYN (no ACK) in TIME-WAIT opens a new incarnation
    /// when its timestamp is newer than the last one seen (both sides used
    /// timestamps), else when its ISN is above RCV.NXT (RFC 9293
    /// §3.10.7.4); nothing older can be confused with the new connection.
    fn syn_reopens(&self, repr: &TcpRepr<'_>) -> bool {
        if repr.ack_number.is_some() {
            return false;
        }
        match (self.ts, repr.timestamp) {
            (Some(ts), Some((tsval, _))) => tsval != ts.recent && wrapping_ge(tsval, ts.recent),
            _ => repr.seq_number > self.rcv_nxt,
        }
    }

    fn process_ack(&mut self, now: Instant, repr: &TcpRepr<'_>, ack: TcpSeqNumber) {
        let window = usize::from(repr.window_len) << self.snd_shift;
        let old_una = self.snd_una;
        let advanced = ack > self.snd_una;
        let acked = ack.distance_from(self.snd_una).max(0) as usize;
        let mut sample = None;
        if advanced {
            sample = self.sample_rtt(now, repr, ack);
            // RFC 6298 §5 (Karn): the backoff stays until a valid RTT
            // sample (which `sample_rtt` gives the estimator) collapses it;
            // an ACK of retransmitted data is none, and resetting here would
            // loop in spurious timeouts at cwnd 1 when the RTT outgrew the
            // unbacked RTO.
            self.retries = 0;
            self.ack_advance(now, ack);
        }
        // The SACK scoreboard after SND.UNA moved (its `update` wants the new
        // cumulative ACK, RFC 6675 §5): a D-SACK block just below it is then
        // recognised as one (RFC 3708 §2), and nothing below it is merged.
        let mut sack = SackUpdate::default();
        let has_blocks = repr.sack_ranges.iter().any(Option::is_some);
        if self.sack_ok {
            let mut blocks = [(TcpSeqNumber(0), TcpSeqNumber(0)); MAX_SACK_BLOCKS];
            let mut n = 0;
            for (l, r) in repr.sack_ranges.iter().flatten() {
                if let Some(b) = blocks.get_mut(n) {
                    *b = (TcpSeqNumber(*l), TcpSeqNumber(*r));
                    n += 1;
                }
            }
            sack = self
                .scoreboard
                .update_ack(self.snd_una, self.snd_max, ack, &blocks[..n]);
            if sack.dsack.is_some() {
                self.stats.dsacks_received = self.stats.dsacks_received.wrapping_add(1);
            }
            self.rack_on_ack(now, old_una, repr, &sack);
        }
        if advanced {
            // FlightSize after this ACK, as the controller expects: the
            // flight before it would count the acknowledged bytes twice
            // and let an application-limited sender grow cwnd (RFC 7661).
            let in_flight = self.in_flight();
            match self.phase {
                // RFC 6582 §3.2 step 6: a full ACK ends recovery.
                Phase::Fast if ack >= self.recover => {
                    self.phase = Phase::Open;
                    self.rtx_head = false;
                    self.dupacks = 0;
                    self.rack.on_recovery_exit();
                    if !self.try_undo_recovery(now) {
                        self.cc.on_recovery_exit(now);
                    }
                }
                Phase::Fast => {
                    self.cc.on_recovery_ack(now, acked, in_flight);
                    if self.sack_ok {
                        // RACK decides what is lost (RFC 8985 §6): a head
                        // already retransmitted (in a RACK record) is a
                        // repair in flight, not to be sent again.
                        self.rtx_head = false;
                    } else {
                        // RFC 6582 §3.2 step 5: retransmit the first
                        // unacknowledged segment, and only it.
                        self.dupacks = dupacks_after_partial_ack(self.dupacks, acked, self.mss);
                        self.rtx_head = true;
                    }
                }
                // After a timeout the window grows in slow start again
                // (RFC 5681 §3.1) while the resent data is acknowledged.
                Phase::Timeout | Phase::Open => {
                    if self.phase == Phase::Timeout {
                        self.eifel_on_ack(now, repr);
                    }
                    if self.phase == Phase::Timeout && ack >= self.recover {
                        self.phase = Phase::Open;
                        self.rack.on_recovery_exit();
                        // What is acknowledged from now on was sent after
                        // the timeout (and the TS clock must not wrap on it).
                        self.rto_tsval = None;
                    }
                    self.dupacks = 0;
                    self.cc.on_ack(now, acked, in_flight, sample);
                }
            }
        } else if ack == self.snd_una && self.snd_max > self.snd_una {
            // A duplicate ACK: with SACK, RFC 6675 §2's definition — an ACK
            // that SACKs data not SACKed before, whatever its window field
            // did (a receiver buffering out-of-order data may well change
            // it); without SACK blocks, RFC 5681 §2's.
            let duplicate = if self.sack_ok && has_blocks {
                sack.newly_sacked > 0
            } else {
                self.is_duplicate_ack(repr, window)
            };
            if duplicate {
                self.dupacks = self.dupacks.saturating_add(1);
            }
            let sack_lost = self.sack_ok && self.scoreboard.is_lost(self.snd_una, self.mss);
            // RFC 6582 §3.2 step 1 / RFC 6675 §5.1: not again while a
            // recovery (fast or after a timeout) is repairing this flight.
            // With SACK, RACK marks the losses (below).
            if !self.sack_ok && self.phase == Phase::Open && (self.dupacks >= 3 || sack_lost) {
                self.enter_fast_recovery(now);
            }
        }
        // RFC 8985 §6: with SACK, a recovery starts once RACK deems a
        // segment lost (with reo_wnd = 0 before any reordering is seen and
        // DupThresh segments SACKed, as RFC 6675 §5 would).
        if self.sack_ok && self.phase == Phase::Open && self.rack_has_lost() {
            self.enter_fast_recovery(now);
        }
        if self.phase == Phase::Fast {
            // RFC 6937 §3.1: DeliveredData = change in SND.UNA + newly
            // SACKed bytes (without SACK, a duplicate ACK stands for one
            // segment delivered).
            let delivered = if self.sack_ok {
                acked.saturating_add(sack.newly_sacked)
            } else if advanced {
                acked
            } else {
                self.mss
            };
            let pipe = self.pipe();
            self.prr
                .on_ack(delivered, pipe, self.cc.ssthresh(), self.mss);
        }
        if advanced {
            self.schedule_tlp(now);
        }
        // RFC 9293 §3.10.7.4: update the send window when the segment is newer.
        // It orders updates by (SEG.SEQ, SEG.ACK): SND.WL1 < SEG.SEQ, or
        // equal and SND.WL2 =< SEG.ACK. With both equal (pure ACKs, possibly
        // reordered on the way) a larger window is taken, and a zero one
        // (issue 10 item 4; Linux's tcp_may_update_window), but not a
        // smaller open one: a stale update reordered behind a newer one
        // would shrink the window for nothing. A zero one is safe to obey
        // even when stale: the persist timer's probe learns the true window
        // within an RTO, while ignoring a true zero sends into a closed
        // window and burns retransmission timeouts that end the connection.
        let same = self.snd_wl1 == repr.seq_number && self.snd_wl2 == ack;
        let newer = self.snd_wl1 < repr.seq_number
            || (self.snd_wl1 == repr.seq_number && self.snd_wl2 < ack)
            || (same && (window > self.snd_wnd || window == 0));
        if newer {
            self.snd_wnd = window;
            self.max_snd_wnd = self.max_snd_wnd.max(window);
            self.snd_wl1 = repr.seq_number;
            self.snd_wl2 = ack;
            if window > 0 {
                self.persist_at = None;
                self.persist_backoff = 0;
                // A probe byte still unacknowledged (probes run no
                // retransmission timer) was most likely dropped by the full
                // receiver: it goes again at the head of the data, which
                // Nagle would otherwise hold behind it for a whole RTO.
                if self.snd_nxt > self.snd_una && self.rto_at.is_none() {
                    self.snd_nxt = self.snd_una;
                }
            }
        }
        // RFC 9293 §3.8.6.1: a zero window with data waiting and nothing in
        // flight (so no retransmission timer) starts the persist timer; its
        // probes get the window reopened even when the update was lost. So
        // does a window too small for SWS avoidance (the override timeout).
        self.arm_persist(now);
        // Our FIN acknowledged? It holds the last sequence number, so it is
        // once SND.UNA reaches SND.MAX, however often it was sent.
        let fin_acked = self.fin_acked();
        match self.state {
            State::FinWait1 if fin_acked => {
                self.state = State::FinWait2;
                self.arm_fin_wait2(now);
            }
            State::Closing if fin_acked => self.enter_time_wait(now),
            State::LastAck if fin_acked => self.set_closed(),
            // A retransmitted FIN: re-ACK and restart 2·MSL (§3.10.7.4).
            State::TimeWait if repr.control.contains(TcpFlags::FIN) => {
                self.ack_now = true;
                self.enter_time_wait(now);
            }
            _ => {}
        }
    }

    /// Fast retransmit (RFC 5681 §3.2, RFC 6675 §5): the first
    /// unacknowledged segment goes at once, and only it; the rest follows
    /// as the pipe allows (NextSeg with SACK, new data without).
    fn enter_fast_recovery(&mut self, now: Instant) {
        // RFC 6582 §3.2 step 2: recovery ends once `recover` is acked.
        self.save_undo();
        self.phase = Phase::Fast;
        self.recover = self.snd_max;
        self.rescue_rxt = None;
        self.pto_at = None;
        self.tlp_due = false;
        let in_flight = self.in_flight();
        self.cc.on_congestion(now, in_flight);
        self.prr.start(in_flight);
        self.stats.fast_retransmits = self.stats.fast_retransmits.wrapping_add(1);
        self.rtx_head = true;
        self.rtt_timer.on_retransmit();
    }

    /// RFC 5681 §2: an ACK is a duplicate when it carries no data, no
    /// SYN/FIN, the same ack and window, and data is outstanding.
    fn is_duplicate_ack(&self, repr: &TcpRepr<'_>, window: usize) -> bool {
        // A zero window says the reader is slow, not that a segment was lost:
        // the answers to zero-window probes must not trigger fast retransmit.
        repr.payload.is_empty()
            && !repr.control.intersects(TcpFlags::SYN | TcpFlags::FIN)
            && window > 0
            && window == self.snd_wnd
            && self.snd_max > self.snd_una
    }

    /// Moves SND.UNA to `ack`, dropping acknowledged bytes from the send ring.
    fn ack_advance(&mut self, now: Instant, ack: TcpSeqNumber) {
        let mut acked = ack.distance_from(self.snd_una).max(0) as usize;
        // The SYN and FIN occupy sequence space but no ring bytes.
        if !self.syn_acked && acked > 0 {
            acked -= 1;
            self.syn_acked = true;
        }
        let data = acked.min(self.tx.len());
        self.tx.dequeue_allocated(data);
        self.stats.bytes_acked = self.stats.bytes_acked.wrapping_add(data as u64);
        self.snd_una = ack;
        if self.snd_nxt < ack {
            self.snd_nxt = ack;
        }
        self.first_unacked_at = if self.snd_una == self.snd_max {
            None
        } else {
            Some(now)
        };
        self.rto_at = if self.snd_una == self.snd_max {
            None
        } else {
            // RFC 6298 §5.3: restart the timer on new data acknowledged.
            Some(now + self.rtt.rto())
        };
    }

    /// Processes the segment's data (RFC 9293 §3.10.7.4 seventh).
    fn process_text(&mut self, now: Instant, repr: &TcpRepr<'_>) {
        if !matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        ) {
            return;
        }
        let mut seq = repr.seq_number;
        let mut data = repr.payload;
        if repr.control.contains(TcpFlags::SYN) {
            seq += 1;
        }
        // Trim what we already have.
        let behind = self.rcv_nxt.distance_from(seq);
        if behind > 0 {
            let skip = (behind as usize).min(data.len());
            if self.sack_ok && skip > 0 {
                // Partly a duplicate: report the old part (RFC 2883 §4.1.1).
                self.owe_dsack((seq, seq + skip));
                self.ack_now = true;
            }
            data = data.get(skip..).unwrap_or(&[]);
            seq += skip;
        }
        if repr.control.contains(TcpFlags::FIN) {
            self.fin_at = Some(seq + data.len());
        }
        if data.is_empty() {
            if repr.segment_len() > 0 {
                // A duplicate: ACK at once (RFC 5681 §4.2 out-of-order rule).
                self.ack_now = true;
            }
            return;
        }
        // Data in the window: the peer saw it open.
        self.window_reopened = false;
        let offset = seq.distance_from(self.rcv_nxt).max(0) as usize;
        // Trim to the window we offered.
        let room = self.rx.window().saturating_sub(offset);
        let data = data.get(..data.len().min(room)).unwrap_or(&[]);
        if data.is_empty() {
            self.ack_now = true;
            return;
        }
        // RFC 2883 §4.1.3: data held out of order arriving again (the
        // sender resent what it did not see SACKed) is a duplicate too.
        if let Some((o, l)) = self.assembler.overlap(offset, data.len()) {
            self.owe_dsack((self.rcv_nxt + o, self.rcv_nxt + o + l));
        }
        // Write the bytes at their place in the ring (in order or not) and
        // let the assembler say how far the contiguous front now reaches.
        if self.assembler.add(offset, data.len()).is_err() {
            // Too many holes: drop it; the sender retransmits (RFC 9293 §3.10.7.4
            // allows a receiver to keep only in-order data).
            self.stats.out_of_order_dropped = self.stats.out_of_order_dropped.wrapping_add(1);
            self.ack_now = true;
            return;
        }
        self.rx.write_unallocated(offset, data);
        let advanced = self.rx.enqueue_unallocated(self.assembler.remove_front());
        if advanced == 0 {
            // Out of order: ACK at once so the sender sees a duplicate ACK
            // and our SACK blocks (RFC 5681 §4.2).
            self.ack_now = true;
            return;
        }
        let filled_hole = !self.assembler.is_empty() || advanced > data.len();
        self.rcv_nxt += advanced;
        self.stats.bytes_received = self.stats.bytes_received.wrapping_add(advanced as u64);
        self.unacked_segments += 1;
        // RFC 9293 §3.8.6.3: ACK at least every second full segment;
        // RFC 5681 §4.2: at once when a hole was (partly) filled.
        if self.unacked_segments >= 2 || filled_hole || self.config.ack_delay.is_none() {
            self.ack_now = true;
        } else if self.ack_at.is_none() {
            self.ack_at = self.config.ack_delay.map(|d| now + d);
        }
    }

    /// Consumes the peer's FIN once every byte before it arrived (eighth).
    fn process_fin(&mut self, now: Instant) {
        let Some(fin) = self.fin_at else { return };
        if fin != self.rcv_nxt {
            return;
        }
        self.fin_at = None;
        self.rcv_nxt += 1;
        self.ack_now = true;
        match self.state {
            State::SynReceived | State::Established => self.state = State::CloseWait,
            State::FinWait1 => {
                if self.fin_sent && self.snd_una == self.snd_max {
                    self.enter_time_wait(now);
                } else {
                    self.state = State::Closing;
                }
            }
            State::FinWait2 => self.enter_time_wait(now),
            _ => {}
        }
    }

    /// An orphaned FIN-WAIT-2 ends `fin_wait2_timeout` after it began.
    fn arm_fin_wait2(&mut self, now: Instant) {
        if self.state == State::FinWait2 && self.orphaned && self.fin_wait2_at.is_none() {
            self.fin_wait2_at = self.config.fin_wait2_timeout.map(|t| now + t);
        }
    }

    fn enter_time_wait(&mut self, now: Instant) {
        self.state = State::TimeWait;
        self.fin_wait2_at = None;
        self.timewait_at = Some(now + self.config.msl * 2);
        self.rto_at = None;
        self.persist_at = None;
    }

    fn set_closed(&mut self) {
        self.state = State::Closed;
        // Nothing is owed to a closed connection but a reset (`reset`,
        // which dispatch still sends): an owed ACK or probe kept `poll_at`
        // at "now" forever, as dispatch sends nothing when closed.
        self.ack_now = false;
        self.challenge_ack = false;
        self.probe_due = false;
        self.tlp_due = false;
        self.pto_at = None;
        self.rto_at = None;
        self.ack_at = None;
        self.persist_at = None;
        self.timewait_at = None;
        self.fin_wait2_at = None;
    }

    fn fail(&mut self, error: TcpError) {
        net_debug!("tcp {} -> {}: {}", self.local, self.remote, error);
        self.error = Some(error);
        self.set_closed();
    }

    /// RFC 5927 §4.1: an ICMP error counts only when the segment it quotes
    /// could be one of ours in flight, SND.UNA ≤ SEG.SEQ < SND.MAX; anyone
    /// can forge an ICMP error, few can guess the sequence number.
    fn icmp_quotes_ours(&self, quoted_seq: TcpSeqNumber) -> bool {
        quoted_seq >= self.snd_una && quoted_seq < self.snd_max
    }

    /// An ICMP error about this connection, quoting a segment that started
    /// at `quoted_seq` (RFC 9293 §3.9, RFC 5927): hard errors refuse a
    /// connection that is being opened; on an open one they are soft and
    /// the retransmission timer decides.
    pub(crate) fn process_icmp_error(&mut self, quoted_seq: TcpSeqNumber, refused: bool) {
        if !self.icmp_quotes_ours(quoted_seq) {
            return;
        }
        if self.state == State::SynSent && refused {
            self.fail(TcpError::ConnectionRefused);
        }
    }

    /// Fragmentation needed / packet too big (RFC 1191, RFC 8201) about the
    /// segment at `quoted_seq`, in a packet of `quoted_len` bytes: a smaller
    /// MSS from now on, and the segment resent in smaller pieces. The
    /// report is checked and bounded as [`super::pmtu`] says (RFC 5927).
    pub(crate) fn process_path_mtu(
        &mut self,
        quoted_seq: TcpSeqNumber,
        mtu: usize,
        quoted_len: usize,
    ) {
        if !self.icmp_quotes_ours(quoted_seq) {
            return;
        }
        let (header, ipv6) = match self.remote.addr {
            IpAddr::V4(_) => (40, false),
            IpAddr::V6(_) => (60, true),
        };
        let Some(mtu) = super::pmtu::path_mtu_from_report(mtu, quoted_len, ipv6) else {
            return;
        };
        let new = self.send_mss_for(mtu.saturating_sub(header));
        if new < self.mss {
            self.mss = new;
            self.cc.set_mss(new);
            // Resend what the oversize segment carried.
            self.retransmit_head();
        }
    }

    // ----- sending --------------------------------------------------------

    /// The receive window we can offer: free ring space.
    fn rx_window(&self) -> usize {
        self.rx.window()
    }

    /// The window to advertise: RFC 9293 §3.8.6.2.2 receiver SWS avoidance —
    /// the right edge moves only in steps of min(MSS, buffer/2), and never
    /// left — so the window field stays steady while a loss is repaired
    /// (duplicate ACKs need an unchanged window, RFC 5681 §2).
    fn advertised_window(&self) -> usize {
        let free = self.rx_window();
        if !self.is_established() {
            return free;
        }
        let promised = self.rcv_adv.distance_from(self.rcv_nxt).max(0) as usize;
        let step = self.mss.min(self.rx.capacity() / 2).max(1);
        if free >= promised.saturating_add(step) {
            free
        } else {
            promised.min(free.max(promised))
        }
    }

    /// Bytes in the network: in a recovery with SACK, RFC 6675 SetPipe
    /// with RACK's losses; RFC 6582's inflated view without SACK; else what
    /// was sent and not acknowledged.
    fn pipe(&self) -> usize {
        if self.sack_ok && self.phase != Phase::Open {
            self.rack.pipe(&self.scoreboard, self.snd_una, self.snd_max)
        } else if self.phase == Phase::Fast {
            nonsack_pipe(self.in_flight(), self.dupacks, self.mss)
        } else {
            self.snd_nxt.distance_from(self.snd_una).max(0) as usize
        }
    }

    /// The next recovery retransmission, as (offset from SND.UNA, length,
    /// why). With SACK, RACK-TLP decides (`loss.rs`). Without, the head
    /// once at the start of fast recovery and on each partial ACK (RFC 6582
    /// §3.2 step 5); a timeout goes back to SND.UNA instead.
    fn recovery_retransmission(&self) -> Option<(usize, usize, Resend)> {
        let handshake = matches!(self.state, State::SynSent | State::SynReceived);
        if handshake || self.snd_una == self.snd_max {
            return None;
        }
        if self.sack_ok {
            return self.sack_resend();
        }
        if self.phase != Phase::Fast || !self.rtx_head {
            return None;
        }
        Some((0, self.mss.min(self.tx.len().max(1)), Resend::Repair))
    }

    /// One RTT sample for an ACK that advances SND.UNA.
    ///
    /// With timestamps, RFC 7323 §4.1 (RTTM): every such ACK echoes the
    /// TSval of the segment that caused it, so each gives a sample, even
    /// for retransmitted data (the echo names the transmission that got
    /// through, which settles Karn's ambiguity: fast retransmissions are
    /// timed), and the gains shrink with the number of samples per window
    /// (Appendix G). Not after a timeout (see below). Only ACKs that advance
    /// SND.UNA are used: a duplicate ACK during loss echoes the TSval of the
    /// last in-order segment (§4.3), which would inflate the estimate.
    /// Without timestamps, Karn's timer times one segment per RTT and never
    /// a retransmitted one (RFC 6298 §3).
    fn sample_rtt(
        &mut self,
        now: Instant,
        repr: &TcpRepr<'_>,
        ack: TcpSeqNumber,
    ) -> Option<Duration> {
        let timed = self.rtt_timer.on_ack(ack, now);
        // After a retransmission timeout the echo is unreliable: when the
        // ACK of the copy that got through was lost, the receiver answers
        // the next copy (a duplicate, outside its window) with the TS.Recent
        // of the earlier one (RFC 7323 §5.3 R2 comes before R3), and the
        // "RTT" spans the whole backoff. One such sample inflates the RTO
        // for many round trips; Karn's rule governs until the timer is reset.
        // Only an echo of a transmission sent since the last timeout is
        // sound: an older one spans the backoff (the case above), whether
        // or not a sample has collapsed the backoff since.
        let fresh = |tsecr: u32| self.rto_tsval.is_none_or(|v| wrapping_ge(tsecr, v));
        let ts = self
            .ts
            .filter(|_| repr.timestamp.is_none_or(|(_, e)| e == 0 || fresh(e)));
        let echo = match (ts, repr.timestamp) {
            (Some(ts), Some((_, tsecr))) => Some(rtt_from_echo(self.ts_now(now, ts.offset), tsecr)),
            _ => None,
        };
        match echo {
            Some(Some(rtt)) => {
                let flight = self.in_flight().div_ceil(self.mss.max(1));
                self.rtt.sample_with_timestamps(rtt, flight);
                Some(rtt)
            }
            // Timestamps in use but this echo is unusable (zero, from the
            // future, absurd): no sample rather than a Karn one that the
            // next echo would contradict.
            Some(None) => None,
            None => {
                if let Some(rtt) = timed {
                    self.rtt.sample(rtt);
                    self.rack.on_rtt_sample(rtt);
                }
                timed
            }
        }
    }

    fn in_flight(&self) -> usize {
        self.snd_max.distance_from(self.snd_una).max(0) as usize
    }

    /// Go back to SND.UNA for the next segment (timeout, fast retransmit).
    /// A FIN in flight goes again when the resent data reaches it
    /// ([`fin_due_after`](Self::fin_due_after)).
    fn retransmit_head(&mut self) {
        self.snd_nxt = self.snd_una;
        self.rtt_timer.on_retransmit();
    }

    fn ts_now(&self, now: Instant, offset: u32) -> u32 {
        // RFC 7323 §5.4: a clock between 1 ms and 1 s per tick: 1 ms here.
        (now.total_millis() as u32).wrapping_add(offset)
    }

    /// When the socket next wants to send or a timer fires.
    pub(crate) fn poll_at(&self, now: Instant) -> Option<Instant> {
        if self.reset.is_some() || self.challenge_ack || self.ack_now {
            return Some(now);
        }
        if self.state == State::Closed {
            return None;
        }
        // A persist timer that fired has its probe (or override) to send.
        if self.probe_due || self.has_segment_to_send() {
            return Some(now);
        }
        let fin_wait2_unarmed = self.state == State::FinWait2
            && self.orphaned
            && self.fin_wait2_at.is_none()
            && self.config.fin_wait2_timeout.is_some();
        if fin_wait2_unarmed {
            return Some(now); // dispatch arms it
        }
        [
            self.fin_wait2_at,
            self.rto_at,
            self.rack.timer(),
            self.pto_at,
            self.ack_at,
            self.persist_at,
            self.timewait_at,
            self.keepalive_deadline(),
            self.user_timeout_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
        .map(|t| t.max(now))
    }

    fn has_segment_to_send(&self) -> bool {
        match self.state {
            State::SynSent | State::SynReceived => self.snd_nxt == self.iss,
            State::Established
            | State::CloseWait
            | State::FinWait1
            | State::LastAck
            | State::Closing => {
                // A pending fast retransmission counts even when neither
                // window lets new data out: the interface asks `poll_at`
                // before each dispatch, and a retransmission it was not
                // told about waited for the RTO (issue 10 item 18).
                self.recovery_retransmission().is_some()
                    || self.sendable_now() > 0
                    || self.fin_due()
                    || self.persist_needed()
            }
            _ => false,
        }
    }

    /// Unsent bytes that the windows allow now, after Nagle and SWS rules.
    fn sendable_now(&self) -> usize {
        if !self.syn_acked {
            // Our SYN is unacknowledged: no data yet (and `sent` would
            // count the SYN as a buffer byte).
            return 0;
        }
        let sent = self.snd_nxt.distance_from(self.snd_una).max(0) as usize;
        let unsent = self.tx.len().saturating_sub(sent);
        if unsent == 0 {
            return 0;
        }
        let in_flight = self.snd_nxt.distance_from(self.snd_una).max(0) as usize;
        // The peer's window counts from SND.UNA; the congestion window
        // against what is in the network (RFC 6675 pipe during recovery).
        // RFC 3042 limited transmit: each of the first two duplicate ACKs
        // lets one new segment out beyond cwnd, so a small window still
        // gets the three duplicate ACKs that fast retransmit needs.
        let mut limited = if self.phase == Phase::Open {
            self.mss * (self.dupacks.min(2) as usize)
        } else {
            0
        };
        if self.tlp_due {
            // RFC 8985 §7.3: the probe sends new data if the peer's window
            // allows, whatever cwnd says.
            limited += self.mss;
        }
        // In fast recovery PRR paces what goes (RFC 6937), else cwnd.
        let congestion_room = if self.phase == Phase::Fast {
            self.prr.allowance(self.pipe(), self.cc.ssthresh())
                + if self.tlp_due { self.mss } else { 0 }
        } else {
            (self.cc.cwnd() + limited).saturating_sub(self.pipe())
        };
        let usable = self.snd_wnd.saturating_sub(in_flight).min(congestion_room);
        let n = unsent.min(usable).min(self.mss);
        if n == 0 {
            return 0;
        }
        // RFC 9293 §3.8.6.2.1 sender SWS avoidance with Nagle: send a full
        // segment, or all that is left when nothing is in flight (or Nagle
        // is off), or half the largest window the peer offered.
        let full = n >= self.mss;
        let all_left = n == unsent && (in_flight == 0 || !self.config.nagle || self.fin_queued);
        let half_window = self.max_snd_wnd > 0 && n >= self.max_snd_wnd / 2;
        if full || all_left || half_window {
            n
        } else {
            0
        }
    }

    /// Data (or our FIN) waits for the peer's window with nothing in flight,
    /// so no retransmission timer will bring news of it: the persist timer
    /// must run. RFC 9293 §3.8.6.1 for a zero window; for a window open but
    /// too small for SWS avoidance (under a segment and half the largest
    /// window seen), RFC 9293 §3.8.6.2.1 and RFC 1122 §4.2.3.4 (d) ask for
    /// an override timeout, else one lost window update stalls the
    /// connection forever (issue 10 item 3). Linux arms its probe timer in
    /// both cases (tcp_check_probe_timer) and so do we: on expiry the next
    /// segment probes the zero window or sends what the small one takes.
    fn persist_needed(&self) -> bool {
        if self.persist_at.is_some()
            || self.rto_at.is_some()
            || self.probe_due
            || !self.syn_acked
            || self.snd_nxt != self.snd_una
        {
            return false;
        }
        let unsent = !self.tx.is_empty();
        (unsent && self.sendable_now() == 0) || (!unsent && self.fin_held())
    }

    /// Arms the persist timer when [`persist_needed`](Self::persist_needed).
    fn arm_persist(&mut self, now: Instant) {
        if self.persist_needed() {
            let backoff = 1u32 << self.persist_backoff.min(6);
            self.persist_at = Some(now + self.rtt.rto() * backoff);
        }
    }

    /// Our FIN is acknowledged: it was sent, and SND.UNA reached SND.MAX,
    /// which lies beyond it.
    fn fin_acked(&self) -> bool {
        self.fin_sent && self.snd_una == self.snd_max
    }

    fn fin_due(&self) -> bool {
        let sent = self.snd_nxt.distance_from(self.snd_una).max(0) as usize;
        self.fin_due_after(sent) && self.fin_fits(sent)
    }

    /// The FIN's sequence number, `sent_after` past SND.UNA, is inside the
    /// peer's window: it occupies one (RFC 9293 §3.4), and a receiver at a
    /// zero window may drop it (§3.10.7.4). One that does not fit waits for
    /// the window, paced by the persist timer like a zero-window probe,
    /// rather than being resent by retransmission timeouts that would end
    /// the connection (issue 10 item 17).
    fn fin_fits(&self, sent_after: usize) -> bool {
        self.snd_wnd > sent_after
    }

    /// The FIN is due (all data sent) but the window holds it back.
    fn fin_held(&self) -> bool {
        let sent = self.snd_nxt.distance_from(self.snd_una).max(0) as usize;
        self.fin_due_after(sent) && !self.fin_fits(sent)
    }

    /// Runs the timers due at `now` (before building a segment).
    fn run_timers(&mut self, now: Instant) {
        if self.timewait_at.is_some_and(|t| now >= t) {
            self.set_closed();
            return;
        }
        // A close() that came in FIN-WAIT-2 starts its limit now.
        self.arm_fin_wait2(now);
        if self.fin_wait2_at.is_some_and(|t| now >= t) {
            net_debug!("tcp {} -> {}: FIN-WAIT-2 timeout", self.local, self.remote);
            self.set_closed();
            return;
        }
        if self.ack_at.is_some_and(|t| now >= t) {
            self.ack_now = true;
            self.ack_at = None;
        }
        if let Some(limit) = self.config.user_timeout {
            if self.first_unacked_at.is_some_and(|t| now - t >= limit) {
                self.fail(TcpError::TimedOut);
                return;
            }
        }
        if self.rto_at.is_some_and(|t| now >= t) {
            self.on_rto(now);
        }
        if self.rack.timer().is_some_and(|t| now >= t) {
            self.on_rack_timer(now);
        }
        if self.pto_at.is_some_and(|t| now >= t) {
            self.on_pto();
        }
        if self.persist_at.is_some_and(|t| now >= t) && !self.on_persist() {
            return;
        }
        if let (Some((_, _, probes)), Some(due)) =
            (self.config.keepalive, self.keepalive_deadline())
        {
            if now >= due {
                if self.keepalive_probes >= probes {
                    self.fail(TcpError::TimedOut);
                    return;
                }
                self.keepalive_probes += 1;
                self.challenge_ack = true; // probe: seq = SND.UNA − 1
            }
        }
    }

    /// The persist timer fired (or the retransmission timer with a zero
    /// window): the next dispatch probes. `false` when the connection was
    /// given up.
    fn on_persist(&mut self) -> bool {
        // RFC 1122 §4.2.2.17 keeps the connection open as long as the
        // receiver answers the probes; one that stopped answering is
        // given up like unacknowledged data (or by the user timeout).
        if self.config.user_timeout.is_none() && self.persist_unanswered >= MAX_RETRIES {
            self.fail(TcpError::TimedOut);
            return false;
        }
        self.persist_unanswered += 1;
        self.persist_at = None;
        self.persist_backoff = self.persist_backoff.saturating_add(1);
        // The probe (or the override segment) goes out below. Its own
        // flag, not `ack_now`: an ACK owed while the timer runs (a
        // window update, say) must stay a pure ACK, or a peer at a zero
        // window drops it with the probe's byte.
        self.probe_due = true;
        // Each probe carries the first unacknowledged byte again.
        self.snd_nxt = self.snd_una;
        true
    }

    /// RFC 9293 §3.8.4 / RFC 1122 §4.2.3.6: the next keepalive probe (or,
    /// after the last, giving up) is due `idle` after the last segment
    /// received, then every `interval`. Computed from the configuration
    /// rather than cached, so keepalive turned on (or retuned) on an open,
    /// idle connection takes effect without waiting for other traffic.
    fn keepalive_deadline(&self) -> Option<Instant> {
        let (idle, interval, _) = self.config.keepalive?;
        // CLOSE-WAIT too (as Linux): the peer closed its side, ours is
        // open, and a peer that vanished since would hold it forever.
        let open = matches!(self.state, State::Established | State::CloseWait);
        (open && self.snd_una == self.snd_max)
            .then(|| self.last_activity + idle + interval * self.keepalive_probes)
    }

    /// RFC 9293 §3.8.3 (RFC 5482): the connection is given up when data
    /// stays unacknowledged for the user timeout. A deadline of its own, so
    /// it fires on time instead of at the next backed-off retransmission.
    fn user_timeout_deadline(&self) -> Option<Instant> {
        Some(self.first_unacked_at? + self.config.user_timeout?)
    }

    /// RFC 6298 §5.4–5.6: retransmit the earliest segment, back off.
    fn on_rto(&mut self, now: Instant) {
        let handshake = matches!(self.state, State::SynSent | State::SynReceived);
        if !handshake && self.snd_wnd == 0 {
            // The peer closed its window on data (or a FIN) in flight: what
            // it lacks it cannot take, and resending nothing while counting
            // the expiry toward MAX_RETRIES ended a connection whose
            // receiver answers every probe. Probe the head instead, paced
            // and given up by the persist timer (RFC 9293 §3.8.6.1, RFC
            // 1122 §4.2.2.17), which an answer resets; Linux's
            // tcp_retransmit_timer likewise spares a zero window the
            // retries2 limit while the peer answers. A zero window is flow
            // control, not congestion: cwnd is left alone.
            self.rto_at = None;
            self.pto_at = None;
            self.tlp_due = false;
            // Karn: the data timed is in flight again.
            self.rtt_timer.on_retransmit();
            self.on_persist();
            return;
        }
        self.retries = self.retries.saturating_add(1);
        let max_retries = if matches!(self.state, State::SynSent | State::SynReceived) {
            MAX_SYN_RETRIES
        } else {
            MAX_RETRIES
        };
        if self.config.user_timeout.is_none() && self.retries > max_retries {
            self.fail(TcpError::TimedOut);
            return;
        }
        self.stats.timeouts = self.stats.timeouts.wrapping_add(1);
        let in_flight = self.in_flight();
        let first = self.phase != Phase::Timeout;
        if !handshake {
            self.rto_tsval = self.ts.map(|ts| self.ts_now(now, ts.offset));
        }
        if first && !handshake {
            // The reduction may prove spurious (RFC 4015).
            self.save_undo();
            self.eifel_tsval = self.rto_tsval;
        }
        if !handshake {
            self.cc.on_timeout(now, in_flight);
        }
        self.rtt.backoff();
        // RFC 6582 §3.2 step 4, RFC 6675 §5.1: remember the highest sequence
        // sent; duplicate ACKs below it start no fast recovery.
        if !handshake {
            self.phase = Phase::Timeout;
            self.recover = self.snd_max;
        }
        self.rtx_head = false;
        self.dupacks = 0;
        if handshake {
            self.scoreboard.clear();
            self.snd_nxt = self.iss;
        } else if self.sack_ok && self.data_outstanding() > 0 {
            // Resend what is not SACKed, from the head, as cwnd allows.
            self.rack_on_timeout();
            self.rtx_head = true;
            self.rtt_timer.on_retransmit();
        } else {
            self.scoreboard.clear();
            self.retransmit_head();
        }
        self.rto_at = Some(now + self.rtt.rto());
    }

    /// Offers the next segment to `emit`; state changes only when it
    /// returns `Ok`. `Ok(())` when nothing is due.
    pub(crate) fn dispatch<E>(
        &mut self,
        ctx: TcpContext,
        emit: impl FnOnce(&TcpRepr<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let now = ctx.now;
        self.run_timers(now);
        let our_mss = ctx.mtu.saturating_sub(match self.remote.addr {
            IpAddr::V4(_) => 40,
            IpAddr::V6(_) => 60,
        });

        // A reset owed to the peer goes first (RFC 9293 §3.10.7).
        if let Some((seq, ack)) = self.reset {
            let mut repr = self.base_repr(now);
            repr.control = TcpFlags::RST;
            repr.seq_number = seq;
            repr.ack_number = ack;
            repr.window_len = 0;
            repr.timestamp = None;
            emit(&repr)?;
            self.reset = None;
            return Ok(());
        }

        match self.state {
            State::Closed | State::Listen => return Ok(()),
            State::SynSent | State::SynReceived => {
                if self.snd_nxt == self.iss {
                    // Active: a budget until the SYN-ACK's options say
                    // more. Passive (simultaneous open): the SYN's options
                    // are known and no later segment revisits them.
                    self.mss = if self.state == State::SynSent {
                        our_mss.max(64)
                    } else {
                        self.send_mss_for(our_mss)
                    };
                    // The initial window follows the MSS (RFC 5681 §3.1): in
                    // a simultaneous open whose SYN had not left yet, the
                    // window was still sized for 536 bytes, below one
                    // segment, and the send stalled.
                    self.cc.set_mss(self.mss);
                    let mut repr = self.base_repr(now);
                    repr.control = TcpFlags::SYN;
                    repr.seq_number = self.iss;
                    repr.max_seg_size = Some(u16::try_from(our_mss).unwrap_or(u16::MAX));
                    // RFC 7323 §2.2: the SYN's window is not scaled.
                    repr.window_len = u16::try_from(self.rx_window()).unwrap_or(u16::MAX);
                    let active = self.state == State::SynSent;
                    if active {
                        repr.ack_number = None;
                        repr.window_scale = self.config.window_scaling.then_some(self.rcv_shift);
                        repr.sack_permitted = self.config.sack;
                        repr.timestamp = self
                            .config
                            .timestamps
                            .then(|| (self.ts_now(now, self.ts_offset), 0));
                    } else {
                        repr.window_scale = self.peer_ws.map(|_| self.rcv_shift);
                        repr.sack_permitted = self.sack_ok;
                        repr.timestamp = self.ts.map(|ts| (self.ts_now(now, ts.offset), ts.recent));
                    }
                    emit(&repr)?;
                    if let Some(ack) = repr.ack_number {
                        self.last_ack_sent = ack;
                    }
                    // The user timeout covers the handshake too.
                    if self.first_unacked_at.is_none() {
                        self.first_unacked_at = Some(now);
                    }
                    self.snd_nxt = self.iss + 1;
                    self.snd_max = self.snd_max.max(self.snd_nxt);
                    if self.rto_at.is_none() || self.rto_at.is_some_and(|t| now >= t) {
                        self.rto_at = Some(now + self.rtt.rto());
                    }
                    self.stats.segments_out = self.stats.segments_out.wrapping_add(1);
                    if self.retries > 0 {
                        self.stats.retransmits = self.stats.retransmits.wrapping_add(1);
                        // Karn: the answer may be to either copy.
                        self.rtt_timer.on_retransmit();
                    } else {
                        // Time the handshake (RFC 6298 §2.2's first sample).
                        self.rtt_timer.start(self.iss + 1, now);
                    }
                    return Ok(());
                }
                if self.state == State::SynSent && !self.challenge_ack {
                    return Ok(());
                }
            }
            _ => {}
        }
        if self.state == State::TimeWait && !self.ack_now && !self.challenge_ack {
            return Ok(());
        }

        // SACK recovery retransmissions go before new data (RFC 6675 §5).
        if let Some((offset, len, kind)) = self.recovery_retransmission() {
            let payload = self.tx.get_allocated(offset, len.min(self.data_room(now)));
            let seq = self.snd_una + offset;
            let mut repr = self.base_repr(now);
            repr.seq_number = seq;
            repr.payload = payload;
            let sent_len = payload.len();
            // Only the FIN is left there (no data at that offset).
            let fin = sent_len == 0 && self.fin_sent;
            if fin {
                repr.control |= TcpFlags::FIN;
            }
            let window_len = repr.window_len;
            emit(&repr)?;
            let end = seq + sent_len + usize::from(fin);
            self.after_resend(now, seq, end, kind);
            if self.phase == Phase::Fast {
                self.prr.on_sent(sent_len.max(1));
            }
            self.rtx_head = false;
            self.stats.retransmits = self.stats.retransmits.wrapping_add(1);
            self.stats.segments_out = self.stats.segments_out.wrapping_add(1);
            self.rtt_timer.on_retransmit();
            if self.rto_at.is_none() {
                self.rto_at = Some(now + self.rtt.rto());
            }
            self.ack_sent(window_len);
            return Ok(());
        }

        // Data (and FIN) segments.
        let sent = self.snd_nxt.distance_from(self.snd_una).max(0) as usize;
        if sent == 0 && self.snd_una == self.snd_max && !self.tx.is_empty() {
            // RFC 5681 §4.1: data starts from an empty flight; after an idle
            // period longer than the RTO, cwnd restarts from min(IW, cwnd)
            // (the controller measures the idle time; RFC 9438 §5.8).
            self.cc.on_idle_restart(now, self.rtt.rto());
        }
        if sent == 0 && self.snd_una == self.snd_max {
            self.rack_restart();
        }
        // An ACK owed during the handshake (RFC 5961 challenge) carries no
        // data: RFC 9293 §3.10.2 queues data until ESTABLISHED, and with
        // the SYN unacknowledged `sent` counts the SYN as a buffer byte.
        let handshake =
            matches!(self.state, State::SynSent | State::SynReceived) || !self.syn_acked;
        let mut len = if handshake {
            0
        } else {
            self.sendable_now().min(self.data_room(now))
        };
        // The window left past what is in flight.
        let usable = self.snd_wnd.saturating_sub(sent);
        let probe = !handshake && self.probe_due;
        let zero_window_probe = probe && usable == 0;
        if probe && len == 0 {
            len = if zero_window_probe {
                // RFC 9293 §3.8.6.1: probe a zero window with one byte
                // (none left: the FIN alone is the probe).
                1
            } else {
                // RFC 1122 §4.2.3.4 (d): the override timeout sends what
                // the small window takes.
                usable.min(self.mss).min(self.data_room(now))
            };
        }
        let payload = self.tx.get_allocated(sent, len);
        let len = payload.len();
        let fin = !handshake
            && self.fin_due_after(sent + len)
            && (self.fin_fits(sent + len) || (zero_window_probe && len == 0));
        let need_ack = self.ack_now || self.challenge_ack;
        if len == 0 && !fin && !need_ack {
            // Nothing to probe any more (acknowledged meanwhile).
            self.probe_due = false;
            // A window the peer closed on data we still have: arm the persist timer.
            self.arm_persist(now);
            return Ok(());
        }
        let mut repr = self.base_repr(now);
        // A keepalive/challenge ACK with no data uses SND.NXT, except the
        // keepalive probe (RFC 9293 §3.8.4: one below SND.UNA).
        let window_end = self.snd_una + self.snd_wnd;
        repr.seq_number = if len == 0 && !fin && self.keepalive_probes > 0 && self.challenge_ack {
            self.snd_una - 1
        } else if len == 0 && !fin && self.syn_acked && self.snd_nxt > window_end {
            // A pure ACK while a zero-window probe (or anything past the
            // window) is out: SND.NXT lies beyond what the peer accepts,
            // and a peer at a zero window would drop the ACK and answer
            // with one of its own, which may be just as unacceptable to us
            // (an ACK storm). The window's right edge is acceptable
            // (Linux's tcp_acceptable_seq).
            window_end
        } else {
            self.snd_nxt
        };
        repr.payload = payload;
        if fin {
            repr.control |= TcpFlags::FIN;
        }
        if len > 0 && sent + len == self.tx.len() {
            repr.control |= TcpFlags::PSH;
        }
        let window_len = repr.window_len;
        emit(&repr)?;

        // Sent: update the state.
        self.stats.segments_out = self.stats.segments_out.wrapping_add(1);
        let seg_end = self.snd_nxt + len + usize::from(fin);
        if len > 0 || fin {
            let retransmission = self.snd_nxt < self.snd_max;
            if retransmission {
                self.rack.on_retransmit(self.snd_nxt, seg_end, now);
            } else if len > 0 {
                self.rack.on_send_new(self.snd_nxt, now);
            }
            if self.phase == Phase::Fast {
                self.prr.on_sent(len);
            }
            if retransmission {
                self.stats.retransmits = self.stats.retransmits.wrapping_add(1);
            } else if !zero_window_probe {
                // Not a probe: its ACK waits for the receiver's reader.
                self.rtt_timer.start(seg_end, now);
            }
            self.snd_nxt = seg_end;
            if self.snd_max < seg_end {
                self.snd_max = seg_end;
            }
            if fin {
                self.fin_sent = true;
            }
            if zero_window_probe {
                // RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17: probes are paced by
                // the persist timer, backing off exponentially, and not by
                // retransmission timeouts: a receiver that keeps answering
                // with a zero window keeps the connection open however long.
                let backoff = 1u32 << self.persist_backoff.min(6);
                self.persist_at = Some(now + self.rtt.rto() * backoff);
            } else if self.rto_at.is_none() {
                self.rto_at = Some(now + self.rtt.rto());
            }
            if !retransmission && !zero_window_probe && len > 0 {
                if self.tlp_due {
                    self.after_probe(now, true);
                } else {
                    self.schedule_tlp(now);
                }
            }
            if self.first_unacked_at.is_none() {
                self.first_unacked_at = Some(now);
            }
        }
        self.probe_due = false;
        self.ack_sent(window_len);
        Ok(())
    }

    /// A segment carrying our ACK (and window `window_len`) left.
    fn ack_sent(&mut self, window_len: u16) {
        self.ack_now = false;
        self.challenge_ack = false;
        self.ack_at = None;
        self.unacked_segments = 0;
        let before = self.rcv_adv.distance_from(self.rcv_nxt).max(0) as usize;
        let window = usize::from(window_len) << self.rcv_shift;
        if before < self.mss && window >= self.mss {
            self.window_reopened = true;
        }
        self.rcv_adv = self.rcv_nxt + window;
        self.last_ack_sent = self.rcv_nxt;
        if !self.sack_ok {
            self.dsack.clear();
            return;
        }
        // RFC 2883 §4: each duplicate is reported once, in one ACK.
        let had_dup = !self.dsack.is_empty();
        if had_dup {
            self.dsack.remove(0);
        }
        // Several segments processed before this transmission (a burst the
        // device handed over at once) may have touched more blocks than
        // one ACK reports, or brought several duplicates: one more ACK
        // each, at once, as Linux ACKs every out-of-order segment (a
        // block never reported is data the sender will resend).
        self.sack_skip += self.sack_max().saturating_sub(usize::from(had_dup));
        if self.sack_skip < self.assembler.unreported() || !self.dsack.is_empty() {
            self.ack_now = true;
        } else {
            self.sack_skip = 0;
            self.assembler.reported();
        }
    }

    /// SACK blocks per segment: RFC 2018 §3, 3 beside timestamps, 4 without.
    fn sack_max(&self) -> usize {
        if self.ts.is_some() {
            3
        } else {
            4
        }
    }

    /// Owes the peer a D-SACK block for `dup` (RFC 2883 §4), merged with
    /// the last one owed when they touch (one retransmitted run).
    fn owe_dsack(&mut self, dup: SackBlock) {
        if !self.sack_ok {
            return;
        }
        if let Some(last) = self.dsack.last_mut() {
            if dup.0 <= last.1 && dup.1 >= last.0 {
                *last = (
                    if dup.0 < last.0 { dup.0 } else { last.0 },
                    if dup.1 > last.1 { dup.1 } else { last.1 },
                );
                return;
            }
        }
        // Full: the rest go unreported (D-SACK is advisory).
        let _ = self.dsack.push(dup);
    }

    /// A segment ending `sent_after` past SND.UNA ends where the FIN goes:
    /// after the last byte of data, at the same sequence number every time
    /// (a retransmission carries it again), until it is acknowledged.
    fn fin_due_after(&self, sent_after: usize) -> bool {
        self.fin_queued && sent_after == self.tx.len() && !self.fin_acked()
    }

    /// The payload that fits in a segment beside the options it will carry.
    /// `mss` allows for timestamps only; SACK blocks come out of the data
    /// (RFC 9293 §3.7.1: the effective send MSS counts the TCP options; RFC
    /// 6691), or the datagram would exceed the path MTU.
    fn data_room(&self, now: Instant) -> usize {
        let options = self.base_repr(now).header_len().saturating_sub(20);
        let ts = if self.ts.is_some() { 12 } else { 0 };
        (self.mss + ts).saturating_sub(options).max(1)
    }

    /// The fields every segment of this connection shares.
    fn base_repr<'r>(&self, now: Instant) -> TcpRepr<'r> {
        let window = (self.advertised_window() >> self.rcv_shift).min(0xffff) as u16;
        let mut sack_ranges = [None; MAX_SACK_BLOCKS];
        if self.sack_ok {
            // RFC 2018 §3: 3 blocks fit beside timestamps, 4 without.
            let max = self.sack_max();
            let dup = self.dsack.first().copied();
            let blocks = self
                .assembler
                .report_blocks(self.rcv_nxt, max, dup, self.sack_skip);
            for (slot, block) in sack_ranges.iter_mut().zip(blocks) {
                *slot = block.map(|(l, r)| (l.0, r.0));
            }
        }
        TcpRepr {
            ack_number: Some(self.rcv_nxt),
            window_len: window,
            sack_ranges,
            timestamp: self.ts.map(|ts| (self.ts_now(now, ts.offset), ts.recent)),
            ..TcpRepr::bare(
                self.local.port,
                self.remote.port,
                TcpFlags::empty(),
                self.snd_nxt,
            )
        }
    }
}

/// `a ≥ b` in the wrapping 32-bit timestamp space (RFC 7323 §5.2).
fn wrapping_ge(a: u32, b: u32) -> bool {
    a.wrapping_sub(b) < 0x8000_0000
}

#[cfg(test)]
mod tests {
    //! Each RFC rule driven with crafted segments; the emitted segments are
    //! checked field by field.
    extern crate std;
    use super::tests_support::*;

    #[test]
    fn syn_carries_our_options_and_the_iss() {
        let mut s = socket(256 * 1024);
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        assert_eq!(s.state(), State::SynSent);
        let syn = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(syn.control, TcpFlags::SYN);
        assert_eq!(syn.seq, ISS);
        assert_eq!(syn.ack, None);
        // RFC 9293 §3.7.1: MTU − 40. RFC 7323 §2.3: the smallest shift
        // that makes 256 KiB fit 16 bits is 3 (262 144 >> 2 = 65 536).
        assert_eq!(syn.mss, Some(1460));
        assert_eq!(syn.ws, Some(3));
        assert!(syn.sack_perm);
        assert!(syn.ts.is_some());
        // RFC 7323 §2.2: the SYN's window is not scaled (and fits 16 bits).
        assert_eq!(syn.window, 65535);
        // Nothing more until the SYN's timer: RFC 6298 §2.1, 1 s.
        assert_eq!(out(&mut s, Instant::from_millis(999)), None);
        let again = out(&mut s, Instant::from_secs(1)).unwrap();
        assert_eq!((again.control, again.seq), (TcpFlags::SYN, ISS));
    }

    #[test]
    fn reset_in_window_but_not_exact_earns_a_challenge_ack() {
        // RFC 5961 §3.2.
        let mut s = established(8192);
        s.process(Instant::ZERO, &seg(TcpFlags::RST, IRS + 100, None, &[]));
        assert_eq!(s.state(), State::Established);
        let ack = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(
            (ack.control, ack.seq, ack.ack),
            (TcpFlags::empty(), ISS + 1, Some(IRS + 1))
        );
        // Out of the window: dropped silently.
        s.process(Instant::ZERO, &seg(TcpFlags::RST, IRS + 100_000, None, &[]));
        assert_eq!(out(&mut s, Instant::ZERO), None);
        // Exact: the connection is reset.
        s.process(Instant::ZERO, &seg(TcpFlags::RST, IRS + 1, None, &[]));
        assert_eq!(s.state(), State::Closed);
        assert_eq!(s.error(), Some(TcpError::ConnectionReset));
    }

    #[test]
    fn challenge_acks_are_throttled() {
        // RFC 5961 §7: a burst of forged in-window resets gets one
        // challenge ACK per interval, not one each.
        let mut s = established(8192);
        let gap = s.config.challenge_ack_interval;
        assert!(gap > Duration::ZERO);
        let mut answered = 0;
        for i in 0..10 {
            let t = Instant::ZERO + Duration::from_millis(i);
            s.process(t, &seg(TcpFlags::RST, IRS + 100, None, &[]));
            if out(&mut s, t).is_some() {
                answered += 1;
            }
        }
        assert_eq!(answered, 1);
        assert_eq!(s.stats().challenge_acks_throttled, 9);
        // After the interval, the next one is answered again.
        let later = Instant::ZERO + gap + Duration::from_millis(10);
        s.process(later, &seg(TcpFlags::SYN, IRS + 5, None, &[]));
        assert!(out(&mut s, later).is_some());
        assert_eq!(s.state(), State::Established);
    }

    #[test]
    fn syn_on_an_established_connection_earns_a_challenge_ack() {
        // RFC 5961 §4.2.
        let mut s = established(8192);
        s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS + 5, None, &[]));
        assert_eq!(s.state(), State::Established);
        let ack = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(ack.ack, Some(IRS + 1));
    }

    #[test]
    fn ack_of_unsent_data_is_answered_and_ignored() {
        // RFC 5961 §5.2 / RFC 9293 §3.10.7.4.
        let mut s = established(8192);
        s.send_slice(b"abc").unwrap();
        let data = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(data.payload, b"abc");
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1000), &[]),
        );
        assert_eq!(s.send_queue(), 3, "nothing was acknowledged");
        let ack = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!((ack.seq, ack.ack), (ISS + 4, Some(IRS + 1)));
    }

    #[test]
    fn delayed_ack_waits_40ms_or_for_a_second_segment() {
        // RFC 9293 §3.8.6.3.
        let mut s = established(8192);
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::PSH, IRS + 1, Some(ISS + 1), b"one"),
        );
        assert_eq!(out(&mut s, Instant::from_millis(39)), None);
        let ack = out(&mut s, Instant::from_millis(40)).unwrap();
        assert_eq!(ack.ack, Some(IRS + 4));
        s.process(
            Instant::from_millis(50),
            &seg(TcpFlags::empty(), IRS + 4, Some(ISS + 1), b"two"),
        );
        s.process(
            Instant::from_millis(50),
            &seg(TcpFlags::empty(), IRS + 7, Some(ISS + 1), b"3rd"),
        );
        let ack = out(&mut s, Instant::from_millis(50)).unwrap();
        assert_eq!(ack.ack, Some(IRS + 10), "every second segment at once");
    }

    #[test]
    fn out_of_order_data_is_acked_at_once_and_kept_in_place() {
        let mut s = established(8192);
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 4, Some(ISS + 1), b"def"),
        );
        let dup = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(dup.ack, Some(IRS + 1), "a duplicate ACK for the hole");
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), b"abc"),
        );
        let ack = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(ack.ack, Some(IRS + 7), "the hole filled: both acknowledged");
        let mut buf = [0u8; 16];
        let n = s.recv_slice(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"abcdef");
    }

    #[test]
    fn sack_blocks_describe_out_of_order_data() {
        // RFC 2018 §4: the block with the latest segment first.
        let mut s = socket(8192);
        s.config.timestamps = false;
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        out(&mut s, Instant::ZERO).unwrap();
        let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
        synack.sack_permitted = true;
        s.process(Instant::ZERO, &synack);
        out(&mut s, Instant::ZERO).unwrap();
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 11, Some(ISS + 1), b"0123456789"),
        );
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 31, Some(ISS + 1), b"0123456789"),
        );
        let ack = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(ack.ack, Some(IRS + 1));
        assert_eq!(
            ack.sack,
            vec![((IRS + 31).0, (IRS + 41).0), ((IRS + 11).0, (IRS + 21).0)]
        );
    }

    /// Established with SACK, no timestamps (so 4 blocks fit), every
    /// segment ACKed at once.
    fn established_with_sack() -> TcpSocket<'static> {
        let mut s = socket(8192);
        s.config.timestamps = false;
        s.config.ack_delay = None;
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        out(&mut s, Instant::ZERO).unwrap();
        let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
        synack.sack_permitted = true;
        s.process(Instant::ZERO, &synack);
        out(&mut s, Instant::ZERO).unwrap();
        s
    }

    #[test]
    fn a_duplicate_segment_is_reported_once_as_a_dsack_block() {
        // RFC 2883 §4: the ACK a duplicate triggers names it in its first
        // SACK block; Linux's tail loss probe retransmits the last segment
        // and learns from the D-SACK that nothing was lost.
        let mut s = established_with_sack();
        let data = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), b"0123456789");
        s.process(Instant::ZERO, &data);
        let ack = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!((ack.ack, ack.sack.clone()), (Some(IRS + 11), vec![]));
        s.process(Instant::ZERO, &data);
        let dup = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(dup.ack, Some(IRS + 11));
        assert_eq!(dup.sack, vec![((IRS + 1).0, (IRS + 11).0)]);
        // Reported once: the next ACK carries no D-SACK.
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 11, Some(ISS + 1), b"ab"),
        );
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 13, Some(ISS + 1), b"cd"),
        );
        let next = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!((next.ack, next.sack), (Some(IRS + 15), vec![]));
    }

    #[test]
    fn a_partly_duplicate_segment_reports_its_old_part() {
        // RFC 2883 §4.1.1 style: 5 old bytes and 5 new ones.
        let mut s = established_with_sack();
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), b"01234"),
        );
        out(&mut s, Instant::ZERO);
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), b"0123456789"),
        );
        let ack = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(ack.ack, Some(IRS + 11));
        assert_eq!(ack.sack, vec![((IRS + 1).0, (IRS + 6).0)]);
        let mut buf = [0u8; 16];
        let n = s.recv_slice(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"0123456789");
    }

    #[test]
    fn without_sack_a_duplicate_gets_a_plain_ack() {
        let mut s = established(8192);
        s.config.ack_delay = None;
        let data = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), b"0123456789");
        s.process(Instant::ZERO, &data);
        out(&mut s, Instant::ZERO);
        s.process(Instant::ZERO, &data);
        let dup = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!((dup.ack, dup.sack), (Some(IRS + 11), vec![]));
    }

    #[test]
    fn sack_blocks_take_their_room_from_the_data() {
        // RFC 9293 §3.7.1, RFC 6691: the MSS counts no options, so a data
        // segment carrying timestamps and SACK blocks must carry less data
        // to fit the MTU (found by the `tcp_socket` fuzz target: a full
        // 1448-byte segment with a SACK block made a 1512-byte datagram).
        for timestamps in [true, false] {
            let mut s = socket(64 * 1024);
            s.config.timestamps = timestamps;
            s.set_nodelay(true);
            s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
            out(&mut s, Instant::ZERO).unwrap();
            let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
            synack.max_seg_size = Some(1460);
            synack.sack_permitted = true;
            synack.timestamp = timestamps.then_some((1, 0));
            s.process(Instant::ZERO, &synack);
            out(&mut s, Instant::ZERO).unwrap();
            // Out of order data: the next segments carry a SACK block.
            let mut ooo = seg(TcpFlags::empty(), IRS + 11, Some(ISS + 1), b"0123456789");
            ooo.timestamp = timestamps.then_some((2, 0));
            s.process(Instant::ZERO, &ooo);
            s.send_slice(&[7u8; 1460 * 2]).unwrap();
            let mut data = 0;
            while let Some(seg) = out(&mut s, Instant::ZERO) {
                let ts = if seg.ts.is_some() { 10 + 2 } else { 0 };
                let sack = if seg.sack.is_empty() {
                    0
                } else {
                    2 + 8 * seg.sack.len() + 2
                };
                assert!(
                    20 + 20 + ts + sack + seg.payload.len() <= MTU,
                    "{} bytes beside {} bytes of options",
                    seg.payload.len(),
                    ts + sack
                );
                if !seg.payload.is_empty() {
                    assert_eq!(seg.sack.len(), 1, "the block rides on the data");
                }
                data += seg.payload.len();
            }
            assert_eq!(data, 1460 * 2, "all of it goes, in smaller segments");
        }
    }

    #[test]
    fn an_ack_owed_during_the_handshake_carries_no_data() {
        // RFC 9293 §3.10.2: data written in SYN-RECEIVED waits for
        // ESTABLISHED. Found by the `tcp_socket` fuzz target: a challenge
        // ACK in SYN-RECEIVED (simultaneous open) carried the data from
        // buffer offset 1 at ISS + 1, the SYN counted as a buffer byte.
        let mut s = socket(8192);
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        out(&mut s, Instant::ZERO).unwrap();
        s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
        assert_eq!(s.state(), State::SynReceived);
        let synack = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(synack.control, TcpFlags::SYN);
        // More than a segment, so Nagle does not hold it.
        let bytes: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        s.send_slice(&bytes).unwrap();
        // Below the window: a challenge ACK is owed.
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS - 2000, Some(ISS + 1), &[]),
        );
        let ack = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!((ack.seq, ack.ack), (ISS + 1, Some(IRS + 1)));
        assert!(ack.payload.is_empty(), "data before ESTABLISHED");
        // The handshake completes: the data goes from its first byte.
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]),
        );
        assert_eq!(s.state(), State::Established);
        let data = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(data.seq, ISS + 1);
        assert_eq!(data.payload[..], bytes[..data.payload.len()]);
    }

    #[test]
    fn simultaneous_open_keeps_the_peer_mss() {
        // RFC 9293 §3.7.1, figure 8 of §3.5. Found by the `tcp_socket` fuzz
        // target: sending the SYN-ACK in SYN-RECEIVED reset the send MSS to
        // our own, so the peer's MSS and the timestamps' 12 bytes were
        // forgotten (1460-byte segments with timestamps: fragmented).
        let mut s = socket(64 * 1024);
        s.set_nodelay(true);
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        let mut syn = seg(TcpFlags::SYN, IRS, None, &[]);
        syn.max_seg_size = Some(536);
        syn.timestamp = Some((1, 0));
        // The peer's SYN before ours went out (ours waited for ARP).
        s.process(Instant::ZERO, &syn);
        assert_eq!(s.state(), State::SynReceived);
        let synack = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(synack.control, TcpFlags::SYN);
        assert!(synack.ts.is_some());
        let mut ack = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
        ack.timestamp = Some((2, synack.ts.unwrap().0));
        s.process(Instant::ZERO, &ack);
        assert_eq!(s.state(), State::Established);
        s.send_slice(&[1u8; 3000]).unwrap();
        let data = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(data.payload.len(), 536 - 12, "the peer's MSS less TSopt");
    }

    #[test]
    fn close_in_syn_received_with_data_waits_for_established() {
        // RFC 9293 §3.10.4. Found by the `tcp_socket` fuzz target: the close
        // moved to FIN-WAIT-1 with the SYN unacknowledged, and the data then
        // went from buffer offset 1 at ISS + 1.
        let mut s = socket(8192);
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        out(&mut s, Instant::ZERO).unwrap();
        s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
        out(&mut s, Instant::ZERO).unwrap();
        let bytes: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        s.send_slice(&bytes).unwrap();
        s.close();
        assert_eq!(s.state(), State::SynReceived);
        assert_eq!(
            s.poll_at(Instant::ZERO).map(|t| t > Instant::ZERO),
            Some(true)
        );
        for t in [40, 1000] {
            // Delayed ACK, then the SYN-ACK again: never data.
            if let Some(seg) = out(&mut s, Instant::from_millis(t)) {
                assert!(seg.payload.is_empty(), "data before ESTABLISHED");
            }
        }
        s.process(
            Instant::from_millis(1001),
            &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]),
        );
        assert_eq!(s.state(), State::FinWait1);
        let data = out(&mut s, Instant::from_millis(1001)).unwrap();
        assert_eq!(data.seq, ISS + 1);
        assert_eq!(data.payload[..], bytes[..data.payload.len()]);
    }

    #[test]
    fn three_duplicate_acks_retransmit_the_first_segment() {
        // RFC 5681 §3.2.
        let mut s = established(64 * 1024);
        s.set_nodelay(true);
        s.send_slice(&[7u8; 1460 * 4]).unwrap();
        let mut sent = Vec::new();
        while let Some(seg) = out(&mut s, Instant::ZERO) {
            sent.push(seg);
        }
        assert_eq!(sent.len(), 4);
        let t = Instant::from_millis(1);
        for _ in 0..3 {
            s.process(t, &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]));
        }
        let re = out(&mut s, t).unwrap();
        assert_eq!(re.seq, ISS + 1, "the lost segment again");
        assert_eq!(re.payload.len(), 1460);
        assert_eq!(s.stats().fast_retransmits, 1);
    }

    #[test]
    fn rto_retransmits_and_backs_off() {
        // RFC 6298 §5.4–5.5: retransmit after one RTO, then after twice it.
        // The handshake (RTT 0) gave the first sample, so the RTO is the
        // configured floor.
        let mut s = established(8192);
        let rto = s.stats().rto;
        assert_eq!(rto, s.config.rto.min);
        let ms = Duration::from_millis(1);
        s.send_slice(b"lost").unwrap();
        out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(out(&mut s, Instant::ZERO + rto - ms), None);
        let re = out(&mut s, Instant::ZERO + rto).unwrap();
        assert_eq!((re.seq, &re.payload[..]), (ISS + 1, &b"lost"[..]));
        assert_eq!(out(&mut s, Instant::ZERO + rto * 3 - ms), None);
        assert!(
            out(&mut s, Instant::ZERO + rto * 3).is_some(),
            "doubled: 2 RTOs later"
        );
        assert_eq!(s.stats().timeouts, 2);
    }

    #[test]
    fn nagle_holds_a_small_segment_while_data_is_unacknowledged() {
        // RFC 9293 §3.8.6.2.1.
        let mut s = established(8192);
        s.send_slice(b"a").unwrap();
        assert!(out(&mut s, Instant::ZERO).is_some());
        s.send_slice(b"b").unwrap();
        assert_eq!(out(&mut s, Instant::ZERO), None, "held: 'a' is in flight");
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 2), &[]),
        );
        let next = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(next.payload, b"b");
        // TCP_NODELAY sends at once.
        s.set_nodelay(true);
        s.send_slice(b"c").unwrap();
        assert!(out(&mut s, Instant::ZERO).is_some());
    }

    #[test]
    fn zero_window_is_probed_until_it_opens() {
        // RFC 9293 §3.8.6.1.
        let mut s = established(8192);
        let mut closed = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
        closed.window_len = 0;
        s.process(Instant::ZERO, &closed);
        s.send_slice(b"waiting").unwrap();
        assert_eq!(
            out(&mut s, Instant::ZERO),
            None,
            "nothing fits a zero window"
        );
        let probe_at = s.poll_at(Instant::ZERO).expect("persist timer armed");
        let probe = out(&mut s, probe_at).unwrap();
        assert_eq!(
            (probe.seq, probe.payload.len()),
            (ISS + 1, 1),
            "a one-byte probe"
        );
    }

    #[test]
    fn zero_window_probes_back_off_and_never_give_up_while_answered() {
        // RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17.
        let mut s = established(8192);
        let mut closed = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
        closed.window_len = 0;
        s.process(Instant::ZERO, &closed);
        s.send_slice(b"waiting").unwrap();
        assert_eq!(out(&mut s, Instant::ZERO), None);
        let mut t = Instant::ZERO;
        let mut gaps = vec![];
        for _ in 0..20 {
            let next = s.poll_at(t).expect("persist timer armed");
            gaps.push(next - t);
            t = next;
            let probe = out(&mut s, t).expect("a probe");
            assert_eq!((probe.seq, &probe.payload[..]), (ISS + 1, &b"w"[..]));
            // The receiver answers: still no room.
            s.process(t, &closed);
        }
        assert_eq!(s.state(), State::Established);
        assert_eq!(s.stats().fast_retransmits, 0, "answers are not dupacks");
        assert!(gaps.windows(2).all(|g| g[1] >= g[0]) && gaps[5] > gaps[0]);
        // The window opens: the data goes, from the probed byte on.
        let mut open = closed;
        open.window_len = 4096;
        s.process(t, &open);
        let data = out(&mut s, t).unwrap();
        assert_eq!((data.seq, &data.payload[..]), (ISS + 1, &b"waiting"[..]));
    }

    #[test]
    fn a_window_closed_on_data_in_flight_keeps_the_connection_while_answered() {
        // The peer takes part of the flight and closes its window: the
        // retransmission timer then fires with a zero window. RFC 1122
        // §4.2.2.17 keeps a connection open while the receiver answers;
        // Linux's tcp_retransmit_timer resends the head and does not count
        // the expiry toward tcp_retries2 while ACKs keep coming. Each
        // expiry must probe (send something) and never end the connection.
        for sack in [false, true] {
            window_closed_on_flight(if sack {
                established_with_sack()
            } else {
                established(8192)
            });
        }
    }

    fn window_closed_on_flight(mut s: TcpSocket<'static>) {
        s.send_slice(b"abcdefgh").unwrap();
        assert!(out(&mut s, Instant::ZERO).is_some());
        let mut closed = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 5), &[]);
        closed.window_len = 0;
        s.process(Instant::ZERO, &closed);
        let mut t = Instant::ZERO;
        for i in 0..40 {
            let next = s.poll_at(t).expect("a timer armed");
            assert!(next > t, "no busy loop at expiry {i}");
            t = next;
            let probe = out(&mut s, t).expect("each expiry sends a probe");
            assert_eq!(probe.seq, ISS + 5, "from the head");
            s.process(t, &closed);
            assert_eq!(s.state(), State::Established, "after expiry {i}");
        }
        assert_eq!(s.error(), None);
        // The window opens: the rest goes.
        let mut open = closed;
        open.window_len = 4096;
        s.process(t, &open);
        let data = out(&mut s, t).unwrap();
        assert_eq!((data.seq, &data.payload[..]), (ISS + 5, &b"efgh"[..]));
    }

    #[test]
    fn a_window_closed_on_data_in_flight_by_a_vanished_peer_times_out() {
        // The other half: the probes that replace the retransmissions are
        // given up when nothing answers them, as data would be.
        let mut s = established_with_sack();
        s.send_slice(b"abcdefgh").unwrap();
        assert!(out(&mut s, Instant::ZERO).is_some());
        let mut closed = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 5), &[]);
        closed.window_len = 0;
        s.process(Instant::ZERO, &closed);
        let mut t = Instant::ZERO;
        let mut sent = 0;
        while let Some(next) = s.poll_at(t) {
            assert!(next > t || sent == 0, "no busy loop");
            t = next;
            sent += usize::from(out(&mut s, t).is_some());
            assert!(sent < 100);
        }
        assert_eq!(s.error(), Some(TcpError::TimedOut));
        assert!(sent >= 15, "probed before giving up: {sent}");
    }

    #[test]
    fn zero_window_probes_unanswered_give_the_connection_up() {
        let mut s = established(8192);
        let mut closed = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
        closed.window_len = 0;
        s.process(Instant::ZERO, &closed);
        s.send_slice(b"waiting").unwrap();
        let mut t = Instant::ZERO;
        let mut probes = 0;
        while let Some(next) = s.poll_at(t) {
            t = next;
            probes += usize::from(out(&mut s, t).is_some());
        }
        assert_eq!(probes, 15);
        assert_eq!(s.error(), Some(TcpError::TimedOut));
    }

    #[test]
    fn a_cookie_ack_echoing_options_gets_scaling_sack_and_timestamps() {
        // RFC 4987 §3.6, the options carried in our TSval (isn.rs).
        use crate::socket::tcp::isn::{decode_ts_options, encode_ts_options};
        let mut s = socket(256 * 1024);
        let mut ack = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
        ack.window_len = 1000;
        ack.timestamp = Some((5000, 0x1234_5677));
        let options = decode_ts_options(encode_ts_options(Some(7), true));
        s.accept_cookie(
            LOCAL,
            REMOTE,
            &ack,
            1460,
            Some(options),
            1460,
            0,
            Instant::ZERO,
        );
        assert_eq!(s.state(), State::Established);
        assert_eq!(s.stats().mss, 1460 - 12, "less the timestamps option");
        // Out-of-order data: the ACK carries SACK, timestamps, our scaled window.
        let mut data = seg(TcpFlags::empty(), IRS + 101, Some(ISS + 1), &[1; 10]);
        data.timestamp = Some((5001, 0x1234_5677));
        s.process(Instant::ZERO, &data);
        let a = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(a.sack, vec![((IRS + 101).0, (IRS + 111).0)]);
        assert_eq!(a.ts.map(|t| t.1), Some(5000), "TS.Recent from the ACK");
        assert_eq!(a.window, ((256 * 1024) >> 3) as u16, "shift 3");
        // The peer's window is scaled by its shift: 1000 << 7 bytes.
        s.set_nodelay(true);
        s.send_slice(&[0; 200_000]).unwrap();
        let mut sent = 0;
        while let Some(seg) = out(&mut s, Instant::ZERO) {
            sent += seg.payload.len();
        }
        assert!(sent > 1000, "{sent} bytes sent into a 128000-byte window");

        // Without an echoed timestamp: none of the options.
        let mut s = socket(256 * 1024);
        ack.timestamp = None;
        s.accept_cookie(
            LOCAL,
            REMOTE,
            &ack,
            1460,
            Some(options),
            1460,
            0,
            Instant::ZERO,
        );
        assert_eq!(s.stats().mss, 1460);
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 101, Some(ISS + 1), &[1; 10]),
        );
        let a = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!((a.sack.len(), a.ts, a.window), (0, None, 65535));
    }

    #[test]
    fn icmp_errors_count_only_when_they_quote_a_segment_in_flight() {
        // RFC 5927 §4.1: SND.UNA ≤ quoted SEG.SEQ < SND.NXT (SND.MAX here).
        let mut s = socket(8192);
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        out(&mut s, Instant::ZERO).unwrap();
        s.process_icmp_error(ISS + 1, true);
        s.process_icmp_error(ISS - 1, true);
        assert_eq!(s.state(), State::SynSent, "forged: not our SYN");
        s.process_icmp_error(ISS, true);
        assert_eq!(s.error(), Some(TcpError::ConnectionRefused));

        let mut s = established(8192);
        s.send_slice(&[0; 4000]).unwrap();
        let first = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(first.payload.len(), 1460);
        s.process_path_mtu(ISS + 100_000, 576, 1500);
        assert_eq!(s.stats().mss, 1460, "forged: ignored");
        s.process_path_mtu(ISS + 1, 576, 1500);
        assert_eq!(s.stats().mss, 536);
        let again = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!((again.seq, again.payload.len()), (ISS + 1, 536));
    }

    #[test]
    fn active_close_goes_through_time_wait_for_two_msl() {
        let mut s = established(8192);
        s.close();
        let fin = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!((fin.control, fin.seq), (TcpFlags::FIN, ISS + 1));
        assert_eq!(s.state(), State::FinWait1);
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 2), &[]),
        );
        assert_eq!(s.state(), State::FinWait2);
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::FIN, IRS + 1, Some(ISS + 2), &[]),
        );
        assert_eq!(s.state(), State::TimeWait);
        let ack = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(ack.ack, Some(IRS + 2));
        // A retransmitted FIN is acknowledged again and restarts the wait.
        let t = Instant::from_secs(30);
        s.process(t, &seg(TcpFlags::FIN, IRS + 1, Some(ISS + 2), &[]));
        assert_eq!(out(&mut s, t).unwrap().ack, Some(IRS + 2));
        assert!(s.poll_at(t) == Some(t + DEFAULT_MSL * 2));
        let _ = out(&mut s, t + DEFAULT_MSL * 2 - Duration::from_micros(1));
        assert_eq!(s.state(), State::TimeWait);
        let _ = out(&mut s, t + DEFAULT_MSL * 2);
        assert_eq!(s.state(), State::Closed);
    }

    #[test]
    fn keepalive_turned_on_when_idle_arms_its_timer() {
        // RFC 9293 §3.8.4: probes after `idle`, then every `interval`;
        // given up after `count` unanswered probes.
        let mut s = established(8192);
        assert_eq!(s.poll_at(Instant::ZERO), None, "idle, nothing armed");
        s.config_mut().keepalive = Some((Duration::from_secs(10), Duration::from_secs(2), 2));
        assert_eq!(s.poll_at(Instant::ZERO), Some(Instant::from_secs(10)));
        let probe = out(&mut s, Instant::from_secs(10)).unwrap();
        assert_eq!((probe.seq, probe.payload.len()), (ISS, 0), "SND.NXT − 1");
        assert_eq!(
            s.poll_at(Instant::from_secs(10)),
            Some(Instant::from_secs(12))
        );
        assert_eq!(out(&mut s, Instant::from_secs(11)), None, "not early");
        assert!(out(&mut s, Instant::from_secs(12)).is_some());
        assert_eq!(
            s.poll_at(Instant::from_secs(12)),
            Some(Instant::from_secs(14))
        );
        let _ = out(&mut s, Instant::from_secs(14));
        assert_eq!(s.error(), Some(TcpError::TimedOut));
    }

    #[test]
    fn keepalive_also_probes_in_close_wait() {
        // The peer closed its side; a peer that vanished since must not
        // hold our open half forever (Linux probes here too).
        let mut s = established(8192);
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::FIN, IRS + 1, Some(ISS + 1), &[]),
        );
        assert_eq!(s.state(), State::CloseWait);
        let _ = out(&mut s, Instant::ZERO); // the ACK of the FIN
        s.config_mut().keepalive = Some((Duration::from_secs(10), Duration::from_secs(2), 1));
        let probe = out(&mut s, Instant::from_secs(10)).expect("a probe");
        assert_eq!((probe.seq, probe.payload.len()), (ISS, 0), "SND.NXT − 1");
        let _ = out(&mut s, Instant::from_secs(12));
        assert_eq!(s.error(), Some(TcpError::TimedOut));
    }

    #[test]
    fn user_timeout_fires_on_time_not_at_the_next_retransmission() {
        // RFC 9293 §3.8.3 / RFC 5482.
        let mut s = established(8192);
        s.config_mut().user_timeout = Some(Duration::from_secs(20));
        s.send_slice(b"lost").unwrap();
        out(&mut s, Instant::ZERO).unwrap();
        let mut t = Instant::ZERO;
        while let Some(next) = s.poll_at(t) {
            t = next;
            let _ = out(&mut s, t);
        }
        assert_eq!(s.error(), Some(TcpError::TimedOut));
        assert_eq!(t, Instant::from_secs(20), "not at the RTO after it (31 s)");
    }

    #[test]
    fn user_timeout_covers_the_handshake() {
        let mut s = socket(8192);
        s.config_mut().user_timeout = Some(Duration::from_secs(5));
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        out(&mut s, Instant::ZERO).unwrap();
        let mut t = Instant::ZERO;
        while let Some(next) = s.poll_at(t) {
            t = next;
            let _ = out(&mut s, t);
        }
        assert_eq!(
            (s.error(), t),
            (Some(TcpError::TimedOut), Instant::from_secs(5))
        );
    }

    #[test]
    fn simultaneous_open_answers_a_syn_with_a_syn_ack() {
        // RFC 9293 §3.5, figure 8.
        let mut s = socket(8192);
        s.config.timestamps = false;
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        out(&mut s, Instant::ZERO).unwrap();
        s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
        assert_eq!(s.state(), State::SynReceived);
        let synack = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(
            (synack.control, synack.seq, synack.ack),
            (TcpFlags::SYN, ISS, Some(IRS + 1))
        );
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]),
        );
        assert_eq!(s.state(), State::Established);
    }

    #[test]
    fn simultaneous_open_syn_ack_is_no_timeout() {
        // RFC 9293 §3.5 figure 8: the SYN-ACK answering the peer's SYN is
        // a reply, not a retransmission timeout: it must not back the RTO
        // off, count a retransmission, or spend a SYN retry.
        let mut s = socket(8192);
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        out(&mut s, Instant::ZERO).unwrap();
        let rto = s.poll_at(Instant::ZERO).expect("the SYN's timer") - Instant::ZERO;
        let t = Instant::from_millis(10);
        s.process(t, &seg(TcpFlags::SYN, IRS, None, &[]));
        let synack = out(&mut s, t).unwrap();
        assert_eq!((synack.control, synack.ack), (TcpFlags::SYN, Some(IRS + 1)));
        assert_eq!(s.stats().retransmits, 0);
        assert_eq!(s.stats().timeouts, 0);
        assert_eq!(s.poll_at(t), Some(t + rto), "the RTO, not backed off");
    }

    #[test]
    fn a_closed_socket_owes_nothing_and_is_not_polled() {
        // An ACK owed when the connection ended (here an abort right after
        // data arrived) is owed no more: a closed socket that kept
        // `ack_now` asked to be polled at once forever (a busy loop of the
        // whole interface; found by the `tcp_socket` fuzz target).
        let mut s = established(8192);
        s.config_mut().ack_delay = None;
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), b"data"),
        );
        s.abort();
        let rst = out(&mut s, Instant::ZERO).expect("the reset");
        assert!(rst.control.contains(TcpFlags::RST));
        assert_eq!(out(&mut s, Instant::ZERO), None);
        assert_eq!(s.poll_at(Instant::ZERO), None);
    }

    #[test]
    fn reset_answering_our_syn_refuses_the_connection() {
        let mut s = socket(8192);
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        out(&mut s, Instant::ZERO).unwrap();
        // Wrong ACK: dropped (RFC 9293 §3.10.7.3).
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::RST, TcpSeqNumber(0), Some(ISS + 7), &[]),
        );
        assert_eq!(s.state(), State::SynSent);
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::RST, TcpSeqNumber(0), Some(ISS + 1), &[]),
        );
        assert_eq!(s.state(), State::Closed);
        assert_eq!(s.error(), Some(TcpError::ConnectionRefused));
    }
}

#[cfg(test)]
mod limited_transmit_tests {
    extern crate std;
    use super::tests_support::*;

    #[test]
    fn first_two_duplicate_acks_each_release_one_new_segment() {
        // RFC 3042 §2: cwnd is full; two duplicate ACKs send two new segments.
        let mut s = established(64 * 1024);
        s.set_nodelay(true);
        let iw = s.stats().cwnd;
        s.send_slice(&std::vec![1u8; iw + 3 * 1460]).unwrap();
        let mut first = 0;
        while out(&mut s, Instant::ZERO).is_some() {
            first += 1;
        }
        assert_eq!(first * 1460, iw, "cwnd worth sent");
        let t = Instant::from_millis(1);
        s.process(t, &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]));
        let one = out(&mut s, t).expect("first duplicate ACK: one new segment");
        assert_eq!(one.seq, ISS + 1 + iw);
        assert_eq!(out(&mut s, t), None);
        s.process(t, &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]));
        let two = out(&mut s, t).expect("second duplicate ACK: one more");
        assert_eq!(two.seq, ISS + 1 + iw + 1460);
        assert_eq!(out(&mut s, t), None);
    }
}

#[cfg(test)]
mod rttm_tests {
    extern crate std;
    use super::tests_support::*;

    /// An established connection, timestamps on or off, handshake at 10 ms.
    fn connected(timestamps: bool) -> TcpSocket<'static> {
        let mut s = socket(64 * 1024);
        s.config.timestamps = timestamps;
        s.config.sack = false;
        s.config.window_scaling = false;
        s.set_nodelay(true);
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        let syn = out(&mut s, Instant::ZERO).unwrap();
        let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
        synack.max_seg_size = Some(1460);
        synack.timestamp = syn.ts.map(|(v, _)| (7, v));
        let t = Instant::from_millis(10);
        s.process(t, &synack);
        assert_eq!(s.state(), State::Established);
        out(&mut s, t).unwrap();
        s
    }

    /// An ACK up to `ack` from the peer, echoing `echo`'s TSval.
    fn ack_echoing(ack: TcpSeqNumber, echo: &Seg) -> TcpRepr<'static> {
        let mut a = seg(TcpFlags::empty(), IRS + 1, Some(ack), &[]);
        a.timestamp = echo.ts.map(|(v, _)| (8, v));
        a
    }

    /// Four segments, three duplicate ACKs, a fast retransmission of the
    /// first, and the ACK of all four 50 ms after the retransmission left,
    /// echoing it. SRTT before and after that ACK.
    fn fast_retransmitted_then_acked(timestamps: bool) -> (Duration, Duration) {
        let mut s = connected(timestamps);
        let t = Instant::from_millis(10);
        let mss = s.stats().mss;
        s.send_slice(&std::vec![5; 4 * mss]).unwrap();
        let first = out(&mut s, t).unwrap();
        while out(&mut s, t).is_some() {}
        let before = s.stats().srtt.expect("the handshake gave a sample");
        assert!(before <= Duration::from_millis(10));
        let t1 = t + Duration::from_millis(1);
        for _ in 0..3 {
            s.process(t1, &ack_echoing(ISS + 1, &first));
        }
        let again = out(&mut s, t1).expect("fast retransmission");
        assert_eq!(again.seq, first.seq);
        assert_eq!(s.stats().timeouts, 0);
        s.process(
            t1 + Duration::from_millis(50),
            &ack_echoing(ISS + 1 + 4 * mss, &again),
        );
        (before, s.stats().srtt.unwrap())
    }

    #[test]
    fn timestamps_time_a_fast_retransmission() {
        // RFC 7323 §4.1: the echo names the copy that got through.
        let (before, after) = fast_retransmitted_then_acked(true);
        assert!(after > before, "sample taken: {before:?} -> {after:?}");
        assert!(after <= Duration::from_millis(50));
    }

    #[test]
    fn without_timestamps_karn_skips_a_retransmitted_segment() {
        // RFC 6298 §3 (Karn): an ACK of retransmitted data gives no sample.
        let (before, after) = fast_retransmitted_then_acked(false);
        assert_eq!(before, after);
    }

    #[test]
    fn a_stale_echo_after_a_timeout_is_not_a_sample() {
        // The ACK of the first copy was lost; the answer to the timeout's
        // copy echoes the first copy's TSval, seconds old.
        let mut s = connected(true);
        let t = Instant::from_millis(10);
        s.send_slice(&[5; 100]).unwrap();
        let first = out(&mut s, t).unwrap();
        let before = s.stats().srtt.unwrap();
        let rto_at = s.poll_at(t).unwrap();
        out(&mut s, rto_at).expect("RTO retransmission");
        let later = rto_at + Duration::from_secs(3);
        s.process(later, &ack_echoing(ISS + 101, &first));
        assert_eq!(s.send_queue(), 0, "the data is acknowledged");
        assert_eq!(s.stats().srtt, Some(before), "no 3 s sample");
    }
}

#[path = "loss.rs"]
mod loss;

#[cfg(test)]
#[path = "recovery_tests.rs"]
mod recovery_tests;

#[cfg(test)]
mod tests_support {
    //! Crafted segments in, emitted segments out, for the rule tests.
    extern crate std;
    pub(super) use super::*;
    pub(super) use crate::socket::tcp::assembler::INLINE_RANGES;
    use crate::wire::Ipv4Addr;
    pub(super) use std::vec;
    pub(super) use std::vec::Vec;

    pub(super) const LOCAL: IpEndpoint =
        IpEndpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 49152);
    pub(super) const REMOTE: IpEndpoint =
        IpEndpoint::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);
    pub(super) const ISS: TcpSeqNumber = TcpSeqNumber(0xffff_fff0); // near the 2^32 wrap
    pub(super) const IRS: TcpSeqNumber = TcpSeqNumber(1000);
    pub(super) const MTU: usize = 1500;

    /// An owned copy of an emitted segment.
    #[derive(Debug, Clone, PartialEq)]
    pub(super) struct Seg {
        pub control: TcpFlags,
        pub seq: TcpSeqNumber,
        pub ack: Option<TcpSeqNumber>,
        pub window: u16,
        pub mss: Option<u16>,
        pub ws: Option<u8>,
        pub sack_perm: bool,
        pub sack: Vec<(u32, u32)>,
        pub ts: Option<(u32, u32)>,
        pub payload: Vec<u8>,
    }

    pub(super) fn socket(buf: usize) -> TcpSocket<'static> {
        let mut s = TcpSocket::new(
            RingBuffer::new(vec![0u8; buf]),
            RingBuffer::new(vec![0u8; buf]),
        );
        // The keyed offset the interface would set (RFC 7323 §7.1): never
        // TSval 0 at time 0, which a peer cannot tell from "no echo".
        s.set_ts_offset(0x5eed_0ff5);
        s
    }

    pub(super) fn out(s: &mut TcpSocket<'_>, now: Instant) -> Option<Seg> {
        out_mtu(s, now, MTU)
    }

    /// Emits the next segment of `s` with this MTU, copied.
    pub(super) fn out_mtu(s: &mut TcpSocket<'_>, now: Instant, mtu: usize) -> Option<Seg> {
        let mut got = None;
        let _ = s.dispatch::<()>(TcpContext { now, mtu }, |r| {
            got = Some(Seg {
                control: r.control,
                seq: r.seq_number,
                ack: r.ack_number,
                window: r.window_len,
                mss: r.max_seg_size,
                ws: r.window_scale,
                sack_perm: r.sack_permitted,
                sack: r.sack_ranges.iter().flatten().copied().collect(),
                ts: r.timestamp,
                payload: r.payload.to_vec(),
            });
            Ok(())
        });
        got
    }

    pub(super) fn seg<'p>(
        control: TcpFlags,
        seq: TcpSeqNumber,
        ack: Option<TcpSeqNumber>,
        payload: &'p [u8],
    ) -> TcpRepr<'p> {
        TcpRepr {
            ack_number: ack,
            window_len: 65535,
            payload,
            ..TcpRepr::bare(REMOTE.port, LOCAL.port, control, seq)
        }
    }

    /// An established client connection without options (so numbers are plain).
    pub(super) fn established(buf: usize) -> TcpSocket<'static> {
        let mut s = socket(buf);
        s.config.timestamps = false;
        s.config.sack = false;
        s.config.window_scaling = false;
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        let syn = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!(syn.control, TcpFlags::SYN);
        let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
        synack.max_seg_size = Some(1460);
        s.process(Instant::ZERO, &synack);
        assert_eq!(s.state(), State::Established);
        let ack = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!((ack.seq, ack.ack), (ISS + 1, Some(IRS + 1)));
        s
    }
}

#[cfg(test)]
#[path = "tests/mod.rs"]
mod state_tests;
