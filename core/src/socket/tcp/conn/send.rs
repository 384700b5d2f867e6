//! Sending: the window we advertise, what the windows let out (Nagle,
//! SWS avoidance, RFC 6675 pipe), the FIN's place, and `dispatch`, which
//! builds the next segment.

use super::loss::Resend;
use super::{State, TcpContext, TcpSocket};
use crate::socket::tcp::congestion::CongestionControl;
use crate::socket::tcp::ip_tcp_headers;
use crate::socket::tcp::recovery::{nonsack_pipe, Phase};
use crate::time::Instant;
use crate::wire::tcp::{TcpFlags, TcpRepr, MAX_SACK_BLOCKS};

impl TcpSocket<'_> {
    /// The receive window we can offer: free ring space.
    pub(super) fn rx_window(&self) -> usize {
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
    pub(super) fn pipe(&self) -> usize {
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
        let resend = if self.sack_ok {
            self.sack_resend()
        } else if self.phase != Phase::Fast || !self.rtx_head {
            None
        } else {
            Some((0, self.mss.min(self.tx.len().max(1)), Resend::Repair))
        };
        resend.and_then(|r| self.within_peer_window(r))
    }

    /// A retransmission (repair, rescue or tail loss probe) against the
    /// peer's *current* window, as Linux's __tcp_retransmit_skb: one
    /// starting at or past SND.UNA + SND.WND waits, unless it is the head,
    /// whose resend doubles as a zero-window probe (RFC 9293 §3.8.6.1);
    /// one across the edge is cut to it. RFC 1122 §4.2.2.16: after the
    /// window shrinks, retransmit "the old unacknowledged data between
    /// SND.UNA and SND.UNA+SND.WND", not what was once inside a larger one.
    fn within_peer_window(
        &self,
        (offset, len, kind): (usize, usize, Resend),
    ) -> Option<(usize, usize, Resend)> {
        match self.snd_wnd.checked_sub(offset).filter(|&room| room > 0) {
            Some(room) => Some((offset, len.min(room), kind)),
            None if offset == 0 => Some((offset, len, kind)),
            None => None,
        }
    }

    pub(super) fn in_flight(&self) -> usize {
        self.snd_max.distance_from(self.snd_una).max(0) as usize
    }

    /// Go back to SND.UNA for the next segment (timeout, fast retransmit).
    /// A FIN in flight goes again when the resent data reaches it
    /// ([`fin_due_after`](Self::fin_due_after)).
    pub(super) fn retransmit_head(&mut self) {
        self.snd_nxt = self.snd_una;
        self.rtt_timer.on_retransmit();
    }

    pub(super) fn has_segment_to_send(&self) -> bool {
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
                // told about waited for the RTO (issue 10 item 18). New
                // data, the common answer, is asked first: all four are
                // pure, and this runs before every segment.
                self.sendable_now() > 0
                    || self.recovery_retransmission().is_some()
                    || self.fin_due()
                    || self.persist_needed()
            }
            _ => false,
        }
    }

    /// Unsent bytes that the windows allow now, after Nagle and SWS rules,
    /// in one segment.
    pub(super) fn sendable_now(&self) -> usize {
        self.sendable_up_to(self.mss)
    }

    /// [`sendable_now`](Self::sendable_now) for a segment of up to `max`
    /// bytes: more than one MSS only for a device that cuts super-segments
    /// (TSO). A super-segment is whole MSS-sized segments, unless it ends
    /// with what is left to send where a short segment may go; the peer
    /// sees the segments the device cuts, so Nagle's and SWS avoidance's
    /// rules hold segment by segment, as for Linux's TSO sizing.
    fn sendable_up_to(&self, max: usize) -> usize {
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
        let n = unsent.min(usable).min(max.max(self.mss));
        if n == 0 {
            return 0;
        }
        // RFC 9293 §3.8.6.2.1 sender SWS avoidance with Nagle: send a full
        // segment, or all that is left when nothing is in flight (or Nagle
        // is off), or half the largest window the peer offered.
        let full = n >= self.mss;
        // A full send buffer is all the application can give until an
        // ACK frees room: holding its tail for more to join it (Nagle)
        // only sends it later, alone. With a 64 KiB buffer and TSO, the
        // tail after the last whole segment (375 bytes) then left as a
        // runt of its own once the flight was ACKed, before the
        // application could refill, and the next window waited for that
        // runt's ACK too: two round trips per window (issue 13).
        let all_left = n == unsent
            && (in_flight == 0 || !self.config.nagle || self.fin_queued || self.tx.is_full());
        let half_window = self.max_snd_wnd > 0 && n >= self.max_snd_wnd / 2;
        if all_left {
            n
        } else if n > self.mss {
            // Several segments: only whole ones (a short tail waits as a
            // short segment of its own would).
            n - n % self.mss
        } else if full || half_window {
            n
        } else {
            0
        }
    }

    /// Our FIN is acknowledged: it was sent, and SND.UNA reached SND.MAX,
    /// which lies beyond it.
    pub(super) fn fin_acked(&self) -> bool {
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
    pub(super) fn fin_held(&self) -> bool {
        let sent = self.snd_nxt.distance_from(self.snd_una).max(0) as usize;
        self.fin_due_after(sent) && !self.fin_fits(sent)
    }

    /// Offers the next segment to `emit`; state changes only when it
    /// returns `Ok`. `Ok(())` when nothing is due.
    pub(crate) fn dispatch<E>(
        &mut self,
        ctx: TcpContext,
        mut emit: impl FnMut(&TcpRepr<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let now = ctx.now;
        self.run_timers(now);
        self.wake_ready();
        let our_mss = ctx.mtu.saturating_sub(ip_tcp_headers(&self.remote.addr));

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
                            .then(|| (self.ts_clock.ts_val(now), 0));
                    } else {
                        repr.window_scale = self.peer_ws.map(|_| self.rcv_shift);
                        repr.sack_permitted = self.sack_ok;
                        repr.timestamp = self.ts.map(|ts| (ts.clock.ts_val(now), ts.recent));
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
            let mut repr = self.base_repr(now);
            let payload = self
                .tx
                .get_allocated(offset, len.min(self.data_room(&repr)));
            let seq = self.snd_una + offset;
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
        // RACK's references restart where data (or the FIN) leaves an
        // empty flight; a pure ACK from a side with nothing to send (a
        // receiver's every ACK) leaves them for that moment.
        if sent == 0 && self.snd_una == self.snd_max && (!self.tx.is_empty() || self.fin_queued) {
            self.rack_restart();
        }
        // An ACK owed during the handshake (RFC 5961 challenge) carries no
        // data: RFC 9293 §3.10.2 queues data until ESTABLISHED, and with
        // the SYN unacknowledged `sent` counts the SYN as a buffer byte.
        let handshake =
            matches!(self.state, State::SynSent | State::SynReceived) || !self.syn_acked;
        // Built once: the options it carries bound the payload (`data_room`).
        let mut repr = self.base_repr(now);
        // With TSO, a super-segment of whole segments of `room` bytes each:
        // the device repeats this header (options included) on every one.
        let room = self.data_room(&repr);
        let burst = if ctx.tso_payload > room {
            ctx.tso_payload - ctx.tso_payload % room
        } else {
            room
        };
        let mut len = if handshake {
            0
        } else {
            self.sendable_up_to(burst).min(burst)
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
                usable.min(self.mss).min(self.data_room(&repr))
            };
        }
        let payload = self.tx.get_allocated(sent, len);
        let len = payload.len();
        let fin = !handshake
            && self.fin_due_after(sent + len)
            && (self.fin_fits(sent + len) || (zero_window_probe && len == 0));
        let need_ack = self.ack_now || self.challenge_ack || self.window_update;
        if len == 0 && !fin && !need_ack {
            // Nothing to probe any more (acknowledged meanwhile).
            self.probe_due = false;
            // A window the peer closed on data we still have: arm the persist timer.
            self.arm_persist(now);
            return Ok(());
        }
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
        let header = header_of(&repr);

        let retransmission = self.snd_nxt < self.snd_max;
        self.data_sent(now, len, fin, zero_window_probe, room, true);
        self.probe_due = false;
        self.ack_sent(window_len);

        // More new data in the same call (issue 13): a segment that follows
        // plain new data shares its header but for the sequence number, PSH
        // and the payload, so it skips what each call does first (timers,
        // the reset and handshake checks, recovery, the header built again)
        // and the interface's work per call. Anything else (a FIN, a probe,
        // recovery, SACK blocks or another ACK owed) goes through the
        // whole path on the next call.
        let mut segments = 1;
        let plain = len > 0 && !fin && !zero_window_probe && !retransmission && !handshake;
        while plain && segments < ctx.segments && self.burst_may_continue(&header) {
            let sent = self.snd_nxt.distance_from(self.snd_una).max(0) as usize;
            let want = self.sendable_up_to(burst).min(burst);
            if want == 0 || self.fin_due_after(sent + want) {
                break;
            }
            let payload = self.tx.get_allocated(sent, want);
            let len = payload.len();
            let mut next = header;
            next.seq_number = self.snd_nxt;
            next.payload = payload;
            if sent + len == self.tx.len() {
                next.control |= TcpFlags::PSH;
            }
            if let Err(e) = emit(&next) {
                self.burst_sent(now, segments);
                return Err(e);
            }
            // The ACK it carries is the first segment's: `ack_sent` would
            // change nothing. The probe timer is re-armed once, at the end.
            self.data_sent(now, len, false, false, room, false);
            segments += 1;
        }
        self.burst_sent(now, segments);
        Ok(())
    }

    /// Sends the ACK the segment just processed owes at once
    /// (`ack_at_once`: out of order, filling a hole, a duplicate; RFC 5681
    /// §4.2) through `emit`, before the interface takes the next segment
    /// of a burst: a pure ACK with the SACK blocks as they stand, the
    /// most recent first (RFC 2018 §4). Anything else owed (a reset, a
    /// challenge ACK, the handshake) is left to `dispatch`, and so is
    /// data: it leaves after the burst, as usual. `Ok(())` when nothing
    /// was owed; on `Err` the ACK stays owed to `dispatch`.
    pub(crate) fn immediate_ack<E>(
        &mut self,
        now: Instant,
        emit: impl FnOnce(&TcpRepr<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let synchronized = matches!(
            self.state,
            State::Established
                | State::FinWait1
                | State::FinWait2
                | State::CloseWait
                | State::Closing
        );
        if !core::mem::take(&mut self.ack_at_once)
            || !self.config.ack_each_out_of_order
            || !self.ack_now
            || !synchronized
            || !self.syn_acked
            || self.reset.is_some()
            || self.challenge_ack
        {
            return Ok(());
        }
        let mut repr = self.base_repr(now);
        // As `dispatch`'s pure ACK: never past the window's right edge
        // while a zero-window probe is out (Linux's tcp_acceptable_seq).
        let window_end = self.snd_una + self.snd_wnd;
        if self.snd_nxt > window_end {
            repr.seq_number = window_end;
        }
        let window_len = repr.window_len;
        emit(&repr)?;
        self.stats.segments_out = self.stats.segments_out.wrapping_add(1);
        self.ack_sent(window_len);
        Ok(())
    }

    /// After a burst of `segments`: RFC 8985 §7.2 re-arms the probe
    /// timeout on each transmission of new data; with one `now` and the
    /// same flight but for its size, the last one's is what counts.
    fn burst_sent(&mut self, now: Instant, segments: usize) {
        if segments > 1 {
            self.schedule_tlp(now);
        }
    }

    /// Whether a burst of new data may go on with `header`: nothing but
    /// plain new data is due (no recovery, probe, reset or ACK of another
    /// kind owed) and the header reports no SACK block (each ACK carries
    /// its own, RFC 2018 §4).
    fn burst_may_continue(&self, header: &TcpRepr<'_>) -> bool {
        self.phase == Phase::Open
            && !self.tlp_due
            && !self.probe_due
            && self.reset.is_none()
            && !self.ack_now
            && !self.challenge_ack
            && self.snd_nxt == self.snd_max
            && header.sack_ranges[0].is_none()
    }

    /// State after a data (or FIN) segment of `len` bytes left: RACK, PRR,
    /// the RTT sample, SND.NXT/SND.MAX, and the timers (the probe timer
    /// only with `rearm_probe`: a burst re-arms it once, `burst_sent`).
    fn data_sent(
        &mut self,
        now: Instant,
        len: usize,
        fin: bool,
        zero_window_probe: bool,
        room: usize,
        rearm_probe: bool,
    ) {
        // Sent: update the state. A super-segment counts as the segments
        // the device cuts it into, as Linux counts tcp_skb_pcount.
        let wire_segments = len.div_ceil(room.max(1)).max(1) as u64;
        self.stats.segments_out = self.stats.segments_out.wrapping_add(wire_segments);
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
                self.stats.retransmits = self.stats.retransmits.wrapping_add(wire_segments);
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
            if !retransmission && !zero_window_probe && len > 0 && rearm_probe {
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
    }

    /// A segment carrying our ACK (and window `window_len`) left.
    fn ack_sent(&mut self, window_len: u16) {
        self.ack_now = false;
        self.window_update = false;
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
    fn data_room(&self, repr: &TcpRepr<'_>) -> usize {
        self.segment_payload(repr.header_len())
    }

    /// The payload of each segment a device cuts from a super-segment with
    /// a TCP header of `header_len` bytes: what [`data_room`](Self::data_room)
    /// allows beside those options (the virtio-net `gso_size`).
    pub(crate) fn segment_payload(&self, header_len: usize) -> usize {
        let ts = if self.ts.is_some() { 12 } else { 0 };
        (self.mss + ts)
            .saturating_sub(header_len.saturating_sub(20))
            .max(1)
    }

    /// The fields every segment of this connection shares.
    fn base_repr<'r>(&self, now: Instant) -> TcpRepr<'r> {
        let window = (self.advertised_window() >> self.rcv_shift).min(0xffff) as u16;
        let mut sack_ranges = [None; MAX_SACK_BLOCKS];
        let dup = self.dsack.first().copied();
        // Nothing held out of order and no duplicate to report: no block
        // (the common case, the sender's every segment included).
        if self.sack_ok && (dup.is_some() || !self.assembler.is_empty()) {
            // RFC 2018 §3: 3 blocks fit beside timestamps, 4 without.
            let max = self.sack_max();
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
            timestamp: self.ts.map(|ts| (ts.clock.ts_val(now), ts.recent)),
            ..TcpRepr::bare(
                self.local.port,
                self.remote.port,
                TcpFlags::empty(),
                self.snd_nxt,
            )
        }
    }
}

/// `repr` without its payload: the header a burst's next segments share.
fn header_of(repr: &TcpRepr<'_>) -> TcpRepr<'static> {
    TcpRepr {
        src_port: repr.src_port,
        dst_port: repr.dst_port,
        control: repr.control - TcpFlags::PSH,
        seq_number: repr.seq_number,
        ack_number: repr.ack_number,
        window_len: repr.window_len,
        window_scale: repr.window_scale,
        max_seg_size: repr.max_seg_size,
        sack_permitted: repr.sack_permitted,
        sack_ranges: repr.sack_ranges,
        timestamp: repr.timestamp,
        urgent_at: repr.urgent_at,
        payload: &[],
    }
}
