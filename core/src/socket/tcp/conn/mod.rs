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

mod icmp;
#[path = "../loss.rs"]
mod loss;
mod open;
mod receive;
mod send;
mod timers;

#[cfg(test)]
#[path = "../recovery_tests.rs"]
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
#[path = "../tests/mod.rs"]
mod state_tests;
