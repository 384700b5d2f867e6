//! Proportional Rate Reduction (RFC 6937): how much may be sent on each
//! ACK during fast recovery.
//!
//! Without it, cwnd drops to ssthresh at once (RFC 6675 §5): with `pipe`
//! above the new cwnd the sender is silent for about half an RTT, then
//! sends in a burst, and a loss in the burst starts over. PRR spreads the
//! reduction over the recovery: while `pipe > ssthresh` it sends
//! `ssthresh / RecoverFS` of what each ACK reports delivered (the
//! proportional part); below ssthresh it grows back towards it no faster
//! than slow start, at most one SMSS above what was delivered (PRR-SSRB,
//! the RECOMMENDED bound, §3.1).
//!
//! The socket calls [`Prr::start`] when recovery begins, [`Prr::on_ack`]
//! on each ACK during it (with the bytes that ACK reported delivered,
//! cumulatively or by SACK: DeliveredData), and [`Prr::on_sent`] for each
//! segment it then sends; [`Prr::allowance`] is `sndcnt` less what was
//! sent since.

/// The PRR state of one recovery (RFC 6937 §3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prr {
    /// RecoverFS: the flight when recovery began.
    recover_fs: usize,
    /// prr_delivered: bytes delivered since then.
    delivered: usize,
    /// prr_out: bytes sent since then.
    out: usize,
    /// sndcnt of the last ACK, less what was sent since.
    allow: usize,
    /// An ACK arrived since recovery began.
    clocked: bool,
}

impl Prr {
    /// Recovery begins with `flight` bytes outstanding (RFC 6937 §3:
    /// RecoverFS = snd.nxt − snd.una).
    pub fn start(&mut self, flight: usize) {
        *self = Prr {
            recover_fs: flight.max(1),
            ..Prr::default()
        };
    }

    /// An ACK during recovery reported `delivered` bytes (DeliveredData);
    /// `pipe` is the data in flight after it, `ssthresh` the target.
    pub fn on_ack(&mut self, delivered: usize, pipe: usize, ssthresh: usize, mss: usize) {
        self.clocked = true;
        self.delivered = self.delivered.saturating_add(delivered);
        let sndcnt = if pipe > ssthresh {
            // Proportional Rate Reduction:
            // CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out.
            let target =
                (self.delivered as u128 * ssthresh as u128).div_ceil(self.recover_fs as u128);
            usize::try_from(target)
                .unwrap_or(usize::MAX)
                .saturating_sub(self.out)
        } else {
            // PRR-SSRB: MIN(ssthresh - pipe,
            //   MAX(prr_delivered - prr_out, DeliveredData) + MSS).
            let limit = self
                .delivered
                .saturating_sub(self.out)
                .max(delivered)
                .saturating_add(mss);
            ssthresh.saturating_sub(pipe).min(limit)
        };
        self.allow = sndcnt;
    }

    /// `bytes` were sent (retransmitted or new) during recovery.
    pub fn on_sent(&mut self, bytes: usize) {
        self.out = self.out.saturating_add(bytes);
        self.allow = self.allow.saturating_sub(bytes);
    }

    /// Bytes that may still be sent until the next ACK.
    ///
    /// Before any ACK of the recovery (one the RACK reordering timer
    /// started, RFC 8985 §6.3, when every ACK had already come), PRR has
    /// no clock: up to `ssthresh − pipe` may go, as RFC 6675 §5 would
    /// send; otherwise a lost retransmission with nothing sent after it
    /// could only be found by the retransmission timer.
    pub fn allowance(&self, pipe: usize, ssthresh: usize) -> usize {
        if self.clocked {
            self.allow
        } else {
            self.allow.max(ssthresh.saturating_sub(pipe))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: usize = 1000;

    #[test]
    fn rfc6937_proportional_part_sends_ssthresh_over_recover_fs() {
        // RFC 6937 §4 example: 20 segments in flight, ssthresh 10: one
        // segment out for every two delivered.
        let mut p = Prr::default();
        p.start(20 * MSS);
        let mut sent = 0;
        for i in 1..=10 {
            let pipe = 20 * MSS - i * MSS;
            p.on_ack(MSS, pipe.max(10 * MSS + 1), 10 * MSS, MSS);
            let n = p.allowance(usize::MAX, 0);
            p.on_sent(n);
            sent += n;
            assert_eq!(sent, (i * MSS).div_ceil(2), "after {i} ACKs");
        }
    }

    #[test]
    fn rfc6937_ssrb_grows_back_no_faster_than_slow_start() {
        let mut p = Prr::default();
        p.start(10 * MSS);
        // A big loss: pipe far below ssthresh; each ACK of one segment
        // lets out at most two (delivered + one MSS).
        p.on_ack(MSS, 2 * MSS, 5 * MSS, MSS);
        assert_eq!(p.allowance(usize::MAX, 0), 2 * MSS);
        p.on_sent(2 * MSS);
        assert_eq!(p.allowance(usize::MAX, 0), 0);
        // Never past ssthresh.
        p.on_ack(10 * MSS, 4 * MSS, 5 * MSS, MSS);
        assert_eq!(p.allowance(usize::MAX, 0), MSS);
    }

    #[test]
    fn before_any_ack_the_recovery_may_fill_up_to_ssthresh() {
        // Recovery started by a timer, not an ACK: no clock yet.
        let mut p = Prr::default();
        p.start(10 * MSS);
        assert_eq!(p.allowance(2 * MSS, 7 * MSS), 5 * MSS);
        assert_eq!(p.allowance(8 * MSS, 7 * MSS), 0);
        // The first ACK's rule takes over.
        p.on_ack(MSS, 2 * MSS, 7 * MSS, MSS);
        assert_eq!(p.allowance(2 * MSS, 7 * MSS), 2 * MSS);
    }

    #[test]
    fn extremes_do_not_overflow() {
        let mut p = Prr::default();
        p.start(0);
        p.on_ack(usize::MAX, usize::MAX, usize::MAX, usize::MAX);
        assert_eq!(p.allowance(usize::MAX, 0), 0);
        p.on_sent(usize::MAX);
        p.on_ack(usize::MAX, 0, usize::MAX, usize::MAX);
        assert_eq!(p.allowance(usize::MAX, 0), usize::MAX);
    }
}
