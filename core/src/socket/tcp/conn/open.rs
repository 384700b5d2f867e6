//! Opening a connection, by the interface: an active open, a listener's
//! child (from its SYN queue or a SYN cookie), and what the peer's SYN
//! negotiated (RFC 9293 §3.5, §3.7.1; RFC 7323; RFC 2018).

use super::{State, TcpApiError, TcpSocket, TcpStats, Timestamps};
use crate::socket::tcp::congestion::{Congestion, CongestionControl};
use crate::socket::tcp::isn::TsCookieOptions;
use crate::socket::tcp::listener::{HalfOpen, SynAckOffer};
use crate::socket::tcp::rack::Rack;
use crate::socket::tcp::recovery::Phase;
use crate::socket::tcp::rtt::{RttEstimator, RttTimer, TsClock};
use crate::socket::tcp::sack::Scoreboard;
use crate::time::Instant;
use crate::wire::tcp::{TcpFlags, TcpRepr, TcpSeqNumber, MAX_SACK_BLOCKS};
use crate::wire::{IpAddr, IpEndpoint};

impl TcpSocket<'_> {
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
        self.ts_clock = TsClock::new(offset);
    }

    /// Becomes an established child of a listener: the handshake in
    /// `half` completed with `ack` (RFC 9293 §3.10.7.4, SYN-RECEIVED).
    pub(crate) fn accept_established(
        &mut self,
        half: &HalfOpen,
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
        self.ts_clock = TsClock::new(half.ts_offset);
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
            clock: self.ts_clock,
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
    pub(crate) fn offered_window(&self) -> SynAckOffer {
        SynAckOffer {
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
        options: Option<TsCookieOptions>,
        our_mss: usize,
        ts_offset: u32,
        now: Instant,
    ) {
        self.reset_state(now);
        self.local = local;
        self.remote = remote;
        self.ts_clock = TsClock::new(ts_offset);
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
        self.window_update = false;
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

    pub(super) fn take_syn_options(&mut self, syn: &TcpRepr<'_>, now: Instant) {
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
                clock: self.ts_clock,
            }),
            _ => None,
        };
    }

    /// The send MSS: the peer's limit and ours, less the timestamps option
    /// we put in every segment (RFC 9293 §3.7.1, RFC 7323 §3).
    pub(super) fn send_mss_for(&self, ours: usize) -> usize {
        let ts = if self.ts.is_some() { 12 } else { 0 };
        self.peer_mss.min(ours).saturating_sub(ts).max(64)
    }
}
