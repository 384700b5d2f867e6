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
//!
//! One struct, its methods by concept: this file holds the state and the
//! application's API; [`open`] the opens the interface drives; [`receive`]
//! segment arrival; [`icmp`] ICMP reports; [`send`] what may go and
//! `dispatch`; [`timers`] `poll_at` and every timer; [`loss`] RACK-TLP and
//! the undo. Methods one file calls in another are `pub(super)`; the
//! fields stay private to this module and its children (the tests in
//! `socket/tcp/tests/` are one).

use core::fmt;

use heapless::Vec;
use managed::ManagedSlice;

use super::assembler::{Assembler, RangeSlot, SackBlock};
use super::congestion::{Congestion, CongestionControl, CongestionKind, Prr};
use super::rack::Rack;
use super::recovery::Phase;
use super::rtt::{RtoConfig, RttEstimator, RttTimer, TsClock};
use super::sack::Scoreboard;
use crate::socket::waker::SocketWakers;
use crate::storage::RingBuffer;
use crate::time::{Duration, Instant};
use crate::wire::tcp::{TcpRepr, TcpSeqNumber};
use crate::wire::{IpAddr, IpEndpoint};

mod icmp;
#[path = "../loss.rs"]
mod loss;
mod open;
mod receive;
mod send;
mod timers;

#[cfg(test)]
#[path = "../tests/mod.rs"]
mod tests;

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

/// Why a connection ended badly (read with [`Socket::error`]).
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
    /// While the connection was being opened, the next hop toward the peer
    /// (the peer itself when on the link, else the gateway) never answered
    /// address resolution (ARP, or Neighbor Discovery): Linux's
    /// `EHOSTUNREACH`, "No route to host".
    HostUnreachable(IpAddr),
}

impl fmt::Display for TcpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let TcpError::HostUnreachable(hop) = self {
            return write!(
                f,
                "host unreachable: {hop} did not answer address resolution"
            );
        }
        f.write_str(match self {
            TcpError::ConnectionRefused => "connection refused",
            TcpError::ConnectionReset => "connection reset by peer",
            TcpError::TimedOut => "connection timed out",
            TcpError::Unreachable => "destination unreachable",
            TcpError::HostUnreachable(_) => "host unreachable",
        })
    }
}

impl core::error::Error for TcpError {}

/// A user call that does not fit the connection's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TcpApiError {
    /// Not in a state that allows it (e.g. send after close).
    InvalidState,
    /// An unspecified remote address or port 0.
    Unaddressable,
    /// The connection ended with an error (see [`Socket::error`]).
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

impl core::error::Error for TcpApiError {}

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
    /// Answer each out-of-order segment, and the one that fills a hole,
    /// with its own ACK before the interface takes the next frame of a
    /// burst (RFC 5681 §4.2's immediate duplicate ACK, the SACK blocks as
    /// they stand, RFC 2018 §4; Linux answers every segment so). Off,
    /// such segments still owe an ACK at once, but one ACK answers all
    /// those of a burst when the poll sends (the SACK blocks touched
    /// beyond what one ACK carries follow in further ACKs). On by default;
    /// the std runtime turns it off, see its `StackConfig::tcp`.
    pub ack_each_out_of_order: bool,
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
            ack_each_out_of_order: true,
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
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
    /// Segments retransmitted (a super-segment handed to a device with
    /// TSO counts as the segments it is cut into, as Linux's
    /// `tcpi_total_retrans` counts).
    pub retransmits: u64,
    /// Of which by timeout.
    pub timeouts: u64,
    /// Fast retransmits (dupacks or SACK).
    pub fast_retransmits: u64,
    /// Payload bytes acknowledged by the peer.
    pub bytes_acked: u64,
    /// Payload bytes received in order.
    pub bytes_received: u64,
    /// Segments sent: those on the wire, a super-segment counting as the
    /// segments the device cuts it into (Linux's `tcpi_segs_out`).
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
    /// Losses a tail loss probe repaired, each a window reduction (RFC
    /// 8985 §7.4; Linux's `TCPLossProbeRecovery`). The reductions in all:
    /// this, `fast_retransmits` and `timeouts`.
    pub probe_recoveries: u64,
    /// Times RACK deemed more data lost (RFC 8985 §6.2 step 5).
    pub rack_marked: u64,
    /// Reordering has been seen (RFC 8985 §6.2 step 3, or a D-SACK).
    pub reordering_seen: bool,
    /// RACK's reordering window now: how long past an RTT a segment may
    /// trail data sent after it before it counts as lost (RFC 8985 §6.2
    /// step 4).
    pub reordering_window: Duration,
}

/// What the interface must know about the IP layer when it asks for a segment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TcpContext {
    pub now: Instant,
    /// The largest IP packet the path carries (device MTU).
    pub mtu: usize,
    /// The most payload one segment handed to the device may carry when
    /// the device cuts super-segments itself (TSO); 0 without TSO, when
    /// every segment carries one MSS at most.
    pub tso_payload: usize,
    /// How many segments one `dispatch` may hand over: after the first,
    /// plain new data goes on with the same header (1: one segment a call).
    pub segments: usize,
}

/// Timestamps state (RFC 7323 §3, §4, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Timestamps {
    /// TS.Recent: the peer's last TSval to echo.
    recent: u32,
    /// When TS.Recent was set (PAWS invalidates it after 24 days, §5.5).
    recent_at: Instant,
    /// Our timestamp clock, randomly offset (RFC 7323 §5.4, §7.1).
    clock: TsClock,
}

/// A TCP connection.
///
/// A socket is made closed, over a receive ring and a send ring the caller
/// lends, and added to a [`SocketSet`](crate::socket::SocketSet). It is
/// opened one of two ways:
///
/// - **actively**, with
///   [`Interface::tcp_connect`](crate::iface::Interface::tcp_connect)`(now,
///   sockets, handle, remote, local_port)`: it picks the source address
///   (and an ephemeral port for `local_port` 0) and puts the socket in
///   SYN-SENT; the SYN leaves on the next poll;
/// - **passively**, lent to a [`tcp::Listener`](super::Listener), which
///   completes a client's handshake into it and hands it out with
///   [`accept`](super::Listener::accept).
///
/// Then [`send_slice`](Self::send_slice) / [`recv_slice`](Self::recv_slice)
/// (or [`send`](Self::send) / [`recv`](Self::recv) in place) move data
/// through the rings, and [`close`](Self::close) sends a FIN after what is
/// queued. A connection that failed tells why in [`error`](Self::error).
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
/// use rstcp::socket::tcp::{self, State};
/// use rstcp::storage::RingBuffer;
/// use rstcp::wire::{IpAddr, IpEndpoint};
///
/// let (mut rx, mut tx) = ([0u8; 4096], [0u8; 4096]);
/// let socket = tcp::Socket::new(RingBuffer::new(&mut rx[..]), RingBuffer::new(&mut tx[..]));
/// let handle = sockets.add(socket).unwrap();
///
/// let server = IpEndpoint::new(IpAddr::V4(Ipv4Addr::new(192, 168, 69, 100)), 7);
/// let local = iface
///     .tcp_connect(Instant::ZERO, &mut sockets, handle, server, 0)
///     .unwrap();
/// assert_eq!(local.addr, IpAddr::V4(Ipv4Addr::new(192, 168, 69, 1)));
///
/// let socket = sockets.get_mut::<tcp::Socket>(handle).unwrap();
/// assert_eq!(socket.state(), State::SynSent);
/// // Data may be queued at once: it leaves once the handshake completes.
/// assert_eq!(socket.send_slice(b"hello").unwrap(), 5);
/// // From here, the loop polls the interface (see `Interface`) and reads
/// // the echo with `recv_slice` once `can_recv` says so.
/// ```
pub struct Socket<'a> {
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
    /// Our timestamp clock for this connection, its offset keyed per
    /// 4-tuple by the interface (RFC 7323 §7.1).
    ts_clock: TsClock,
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
    /// A read grew the window enough to tell the peer (`after_read`): an
    /// ACK is owed, unless data that arrives first takes the growth back
    /// (`in_order`), as `ack_now` would not let it.
    window_update: bool,
    /// The segment just processed owes its ACK before the next one is
    /// taken (out of order, filling a hole, or a duplicate: RFC 5681
    /// §4.2), even when the device handed over a burst: set by `process`,
    /// taken by the interface right after (`immediate_ack`).
    ack_at_once: bool,
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
    /// When the last keepalive probe left (meaningful while
    /// `keepalive_probes > 0`): the next is due `interval` after it, so a
    /// late poll sends one probe, not every one that fell due meanwhile.
    keepalive_probe_at: Instant,
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
    /// Tasks awaiting this connection (feature `async`; empty otherwise).
    wakers: SocketWakers,
}

/// The former name of [`Socket`]: it stays for existing code (it is the same
/// type), but new code should say `tcp::Socket`, the name the other socket
/// kinds follow (`udp::Socket` is not `rstcp::runtime::UdpSocket`, nor
/// `tcp::Listener` `rstcp::runtime::TcpListener`).
pub type TcpSocket<'a> = Socket<'a>;

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
            .field("window_update", &self.window_update)
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
            ts_clock: TsClock::new(0),
            peer_ws: None,
            fin_queued: false,
            fin_sent: false,
            rtt: RttEstimator::new(config.rto),
            rtt_timer: RttTimer::default(),
            rto_at: None,
            ack_at: None,
            ack_now: false,
            window_update: false,
            ack_at_once: false,
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
            keepalive_probe_at: Instant::ZERO,
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
            wakers: SocketWakers::new(),
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
        s.reordering_seen = self.rack.reordering_seen();
        s.reordering_window = self.reo_wnd();
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
            self.window_update = true;
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
        // Whoever awaits reading, writing or connecting is done waiting.
        self.wakers.wake_all();
        // Nothing is owed to a closed connection but a reset (`reset`,
        // which dispatch still sends): an owed ACK or probe kept `poll_at`
        // at "now" forever, as dispatch sends nothing when closed.
        self.ack_now = false;
        self.window_update = false;
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

// ----- async (feature `async`) ------------------------------------------

impl TcpSocket<'_> {
    /// Wakes `waker`'s task once the socket has data to read, or once no
    /// more will come (the peer's FIN, a reset, a timeout, a close). One
    /// task at a time: a different waker registered later replaces this
    /// one (and wakes it). See smoltcp's method of the same name.
    #[cfg(feature = "async")]
    pub fn register_recv_waker(&mut self, waker: &core::task::Waker) {
        self.wakers.register_recv(waker);
    }

    /// Wakes `waker`'s task once the connection is established with room
    /// in the send buffer, or once it can never send (closed, reset,
    /// refused, timed out). Also the way to await a connect.
    #[cfg(feature = "async")]
    pub fn register_send_waker(&mut self, waker: &core::task::Waker) {
        self.wakers.register_send(waker);
    }

    /// Wakes the tasks whose wait is over, after anything from the network
    /// or a timer changed the connection.
    pub(super) fn wake_ready(&mut self) {
        let receiving = matches!(
            self.state,
            State::SynSent
                | State::SynReceived
                | State::Established
                | State::FinWait1
                | State::FinWait2
        );
        self.wakers.wake_recv_if(!self.rx.is_empty() || !receiving);
        let sending = matches!(self.state, State::Established | State::CloseWait);
        let opening = matches!(self.state, State::SynSent | State::SynReceived);
        self.wakers
            .wake_send_if(!opening && (!sending || (!self.fin_queued && self.tx.window() > 0)));
    }
}

/// `a ≥ b` in the wrapping 32-bit timestamp space (RFC 7323 §5.2).
fn wrapping_ge(a: u32, b: u32) -> bool {
    a.wrapping_sub(b) < 0x8000_0000
}
