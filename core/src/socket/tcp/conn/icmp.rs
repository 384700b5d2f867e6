//! ICMP errors about the connection (RFC 9293 §3.9, RFC 5927) and path
//! MTU reports (RFC 1191, RFC 8201), bounded by the interface's `pmtu.rs`.

use super::{State, TcpError, TcpSocket};
use crate::socket::tcp::congestion::CongestionControl;
use crate::socket::tcp::ip_tcp_headers;
use crate::socket::tcp::recovery::Phase;
use crate::wire::tcp::TcpSeqNumber;
use crate::wire::IpAddr;

impl TcpSocket<'_> {
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

    /// The next hop toward the peer, `hop`, never answered address
    /// resolution. A connection being opened fails at once, naming it:
    /// RFC 1122 §4.2.3.9 calls an unreachable host a soft error, but a SYN
    /// has no data to deliver later, and Linux's `tcp_v4_err` likewise
    /// ends a connection in SYN-SENT on one (RFC 5461 §4.1). An open
    /// connection keeps trying; its own timers decide.
    pub(crate) fn next_hop_unreachable(&mut self, hop: IpAddr) {
        if self.state == State::SynSent {
            self.fail(TcpError::HostUnreachable(hop));
        }
    }

    /// Fragmentation needed / packet too big (RFC 1191, RFC 8201) about the
    /// segment at `quoted_seq`: the path MTU `path_mtu`, already bounded by
    /// the interface (`iface::pmtu`), applies if the segment is one of ours
    /// in flight (RFC 5927 §4.1). Returns whether it was, so that the
    /// interface's path MTU cache learns only from reports that passed.
    pub(crate) fn process_path_mtu(&mut self, quoted_seq: TcpSeqNumber, path_mtu: usize) -> bool {
        if !self.icmp_quotes_ours(quoted_seq) {
            return false;
        }
        self.clamp_to_path_mtu(path_mtu);
        true
    }

    /// The MSS a path MTU of `path_mtu` bytes allows toward the peer: less
    /// the IP and TCP headers, bounded by the peer's SYN MSS and our
    /// options (`send_mss_for`).
    fn mss_for_path_mtu(&self, path_mtu: usize) -> usize {
        self.send_mss_for(path_mtu.saturating_sub(ip_tcp_headers(&self.remote.addr)))
    }

    /// The path to the peer carries `path_mtu` bytes (the interface's
    /// cache learnt it, from this connection or another to the same host):
    /// a smaller MSS from now on, and what no longer fits resent in smaller
    /// pieces. A path MTU the MSS already fits changes nothing.
    pub(crate) fn clamp_to_path_mtu(&mut self, path_mtu: usize) {
        let new = self.mss_for_path_mtu(path_mtu);
        if new < self.mss {
            self.mss = new;
            self.cc.set_mss(new);
            self.resend_after_mtu_drop();
        }
    }

    /// The path MTU estimate to the peer aged out and `path_mtu` (the
    /// link's) holds again (RFC 8201 §5.3, RFC 1191 §6.3): the MSS grows
    /// back to what it allows, never past the peer's SYN MSS (RFC 9293
    /// §3.7.1). Nothing in flight is resent: it fitted the smaller MSS. A
    /// connection still opening keeps its budget (its MSS is settled by
    /// the handshake with the MTU of that moment).
    pub(crate) fn raise_to_path_mtu(&mut self, path_mtu: usize) {
        if matches!(self.state, State::Closed | State::Listen | State::SynSent) {
            return;
        }
        let new = self.mss_for_path_mtu(path_mtu);
        if new > self.mss {
            self.mss = new;
            self.cc.set_mss(new);
        }
    }

    /// Resend in smaller pieces what no longer fits (RFC 1191 §6.5, RFC
    /// 8201 §5.4), as Linux's tcp_simple_retransmit: with SACK, every
    /// un-SACKed byte in flight is lost (we keep no per-segment sizes; all
    /// went at the old MSS or less), what the peer SACKed is never resent,
    /// and loss recovery resends the rest at the new MSS as cwnd allows.
    /// A path change is no congestion: cwnd stays, and no undo applies.
    /// Without SACK, go back to SND.UNA.
    fn resend_after_mtu_drop(&mut self) {
        if !self.sack_ok || self.data_outstanding() == 0 {
            self.retransmit_head();
            return;
        }
        self.rack.on_timeout(self.snd_max);
        if self.phase != Phase::Timeout {
            // Linux enters TCP_CA_Loss with high_seq = snd_nxt and
            // undo_marker = 0.
            self.phase = Phase::Timeout;
            self.recover = self.snd_max;
            self.undo = None;
            self.eifel_tsval = None;
        }
        self.tlp_end = None;
        self.tlp_due = false;
        self.pto_at = None;
        self.dupacks = 0;
        self.rtx_head = true;
        // Karn: what is timed goes again.
        self.rtt_timer.on_retransmit();
    }
}
